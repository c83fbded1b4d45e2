module gort/go-oracle/golayout

go 1.19
