module gort/benches/gochan

go 1.19
