module gort/benches/gosched

go 1.19
