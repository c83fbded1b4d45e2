module gort/benches/goiface

go 1.19
