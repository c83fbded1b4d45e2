// Command goiface times Go 1.19's interface operations, the peers of
// benches/benches/goiface.rs, and prints rows in the harness's TSV format
// with subject "go1.19" (Mops/s, higher is better).
package main

import (
	"fmt"
	"os"
	"testing"
)

// I1 and TS follow runtime/iface_test.go: a method without results.
type I1 interface{ Method1() }

// I2: a method returning a value, the shape Go users write.
type I2 interface{ Method2() int }

type TS uint16
type T0 int
type T1 int
type T2 int
type T3 int
type T4 int
type T5 int
type T6 int
type T7 int

//go:noinline
func (t TS) Method1() { sink = int(t) }

//go:noinline
func (t TS) Method2() int { return int(t) }

var (
	e    any = TS(7)
	eT   any = T5(5)
	i1   I1  = TS(7)
	i2   I2  = TS(7)
	ea   any = 1000
	eb   any = 1000
	ok   bool
	sink int
	m    = map[any]int{}
	keys []any
)

func row(group string, r testing.BenchmarkResult) {
	ns := float64(r.T.Nanoseconds()) / float64(r.N)
	fmt.Printf("goiface\t%s\t%s\t%g\t%s\t%s\n", group, "go1.19", 1e3/ns, "Mops/s", "higher")
}

func main() {
	if os.Getenv("GORT_BENCH_QUICK") == "1" {
		// testing.Benchmark picks its own N; nothing to shrink.
	}
	for k := 0; k < 1000; k++ {
		keys = append(keys, k)
		m[k] = k
	}
	row("assert E2I warm itab", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			_, ok = e.(I1)
		}
	}))
	row("assert E2T concrete", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			_, ok = e.(TS)
		}
	}))
	row("type switch 8 cases", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			switch eT.(type) {
			case T0:
				sink = 0
			case T1:
				sink = 1
			case T2:
				sink = 2
			case T3:
				sink = 3
			case T4:
				sink = 4
			case T5:
				sink = 5
			case T6:
				sink = 6
			case T7:
				sink = 7
			}
		}
	}))
	row("iface method call", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			i1.Method1()
		}
	}))
	row("iface method call returning int", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			sink = i2.Method2()
		}
	}))
	row("== on interfaces", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			ok = ea == eb
		}
	}))
	row("map[any] lookup 1000 int keys", testing.Benchmark(func(b *testing.B) {
		for n := 0; n < b.N; n++ {
			sink = m[keys[n%1000]]
		}
	}))
}
