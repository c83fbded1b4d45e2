module gort/benches/gosync

go 1.19
