module gort/benches/goslice

go 1.19
