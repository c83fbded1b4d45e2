module gort/benches/gogc

go 1.19
