module gort/benches/gosched_net

go 1.19
