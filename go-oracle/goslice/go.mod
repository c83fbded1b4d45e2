module gort/go-oracle/goslice

go 1.19
