module gort/benches/gocontext

go 1.19
