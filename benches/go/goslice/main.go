// Command goslice runs the goslice bench workloads on Go 1.19's own slices
// and prints rows in the harness's TSV format (suite, group, subject, value,
// unit, higher|lower) with subject "go1.19", so `cargo xtask bench --go`
// shows Go beside goslice and Vec.
//
// Workloads (same as benches/benches/goslice.rs), N = 10M uint64 (1M with
// GORT_BENCH_QUICK=1 or -quick): append one by one; append in batches of 64;
// reslice s[i:i+16] N times; copy 4096 uint64 N/4096 times; index N times;
// the bytes of the backing array after N one-by-one appends.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

const subject = "go1.19"

var quick = flag.Bool("quick", false, "smaller sizes")

func row(group string, value float64, unit, better string) {
	fmt.Printf("goslice\t%s\t%s\t%g\t%s\t%s\n", group, subject, value, unit, better)
}

// best runs f reps times and returns the shortest duration.
func best(reps int, f func()) time.Duration {
	b := time.Duration(1<<63 - 1)
	for i := 0; i < reps; i++ {
		start := time.Now()
		f()
		if d := time.Since(start); d < b {
			b = d
		}
	}
	return b
}

func mops(ops int, d time.Duration) float64 { return float64(ops) / d.Seconds() / 1e6 }

var sink uint64
var sinkSlice []uint64

func main() {
	flag.Parse()
	n := 10_000_000
	reps := 5
	if *quick || os.Getenv("GORT_BENCH_QUICK") == "1" {
		n, reps = 1_000_000, 3
	}
	m := n / 1_000_000

	d := best(reps, func() {
		var s []uint64
		for i := 0; i < n; i++ {
			s = append(s, uint64(i))
		}
		sinkSlice = s
	})
	row(fmt.Sprintf("append %dM u64 one by one", m), mops(n, d), "Mops/s", "higher")

	batch := make([]uint64, 64)
	for i := range batch {
		batch[i] = uint64(i)
	}
	d = best(reps, func() {
		var s []uint64
		for i := 0; i < n/64; i++ {
			s = append(s, batch...)
		}
		sinkSlice = s
	})
	row(fmt.Sprintf("append %dM u64 in batches of 64", m), mops(n, d), "Mops/s", "higher")

	base := make([]uint64, 4096)
	d = best(reps, func() {
		acc := 0
		for i := 0; i < n; i++ {
			j := i & 4063
			acc += len(base[j : j+16])
		}
		sink += uint64(acc)
	})
	row(fmt.Sprintf("reslice s[i:i+16] %dM times", m), mops(n, d), "Mops/s", "higher")

	rounds := n / 4096
	src := make([]uint64, 4096)
	dst := make([]uint64, 4096)
	for i := range src {
		src[i] = uint64(i)
	}
	d = best(reps, func() {
		c := 0
		for i := 0; i < rounds; i++ {
			c += copy(dst, src)
		}
		sink += uint64(c)
	})
	row(fmt.Sprintf("copy 4096 u64 x %d", rounds), mops(rounds*4096, d), "Mops/s", "higher")

	d = best(reps, func() {
		var acc uint64
		for i := 0; i < n; i++ {
			acc += src[i&4095]
		}
		sink += acc
	})
	row(fmt.Sprintf("get %dM u64", m), mops(n, d), "Mops/s", "higher")

	var s []uint64
	for i := 0; i < n; i++ {
		s = append(s, uint64(i))
	}
	// The backing array is cap*8 bytes (large objects are whole pages, and
	// cap already includes the rounding).
	row(fmt.Sprintf("memory %dM u64 appended one by one", m), float64(cap(s)*8)/1e6, "MB", "lower")
}
