module gort/benches/gomap

go 1.19
