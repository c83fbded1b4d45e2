module gort/benches/golayout

go 1.19
