// Command gomap runs the gomap bench workloads on Go 1.19's own map and
// prints rows in the harness's TSV format (suite, group, subject, value,
// unit, higher|lower) with subject "go1.19", so `cargo xtask bench --go`
// shows Go beside gomap, hashbrown and std.
//
// Workloads (same as benches/benches/gomap.rs): uint64 and string keys at 1K
// and 1M (100K with GORT_BENCH_QUICK=1 or -quick): growing insert into an
// empty map, lookup hit, lookup miss, iterate, remove; insert latency of 8M
// uint64 keys (1M quick) timed one by one; heap bytes per entry at 1M.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"
)

const subject = "go1.19"

var quick = flag.Bool("quick", false, "smaller sizes")

func row(group string, value float64, unit, better string) {
	fmt.Printf("gomap\t%s\t%s\t%g\t%s\t%s\n", group, subject, value, unit, better)
}

// wyrand, as gocore's FastRand: the same key streams as the Rust benches.
type fastRand struct{ s uint64 }

func (r *fastRand) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

func mul64(x, y uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	x0, x1 := x&mask32, x>>32
	y0, y1 := y&mask32, y>>32
	w0 := x0 * y0
	t := x1*y0 + w0>>32
	w1 := t & mask32
	w2 := t >> 32
	w1 += x0 * y1
	hi = x1*y1 + w2 + w1>>32
	lo = x * y
	return
}

func u64Keys(n int, seed uint64) []uint64 {
	r := fastRand{seed}
	k := make([]uint64, n)
	for i := range k {
		k[i] = r.next()
	}
	return k
}

func strKeys(n int, seed uint64) []string {
	r := fastRand{seed}
	k := make([]string, n)
	for i := range k {
		k[i] = "key-" + strconv.FormatUint(r.next(), 10)
	}
	return k
}

// best runs f reps times and records ops/best-time in Mops/s.
func best(group string, ops int, reps int, f func()) {
	b := time.Duration(1<<63 - 1)
	for i := 0; i < reps; i++ {
		t := time.Now()
		f()
		if e := time.Since(t); e < b {
			b = e
		}
	}
	row(group, float64(ops)/b.Seconds()/1e6, "Mops/s", "higher")
}

var sink uint64

func workloadsU64(label string, keys, misses []uint64) {
	n := len(keys)
	rounds := 1000000 / n
	if rounds < 1 {
		rounds = 1
	}
	reps := 7
	if n >= 1000000 {
		reps = 3
	}
	ops := n * rounds
	best("insert (growing) "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			m := map[uint64]uint64{}
			for i, k := range keys {
				m[k] = uint64(i)
			}
			sink += uint64(len(m))
		}
	})
	full := map[uint64]uint64{}
	for i, k := range keys {
		full[k] = uint64(i)
	}
	best("lookup hit "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			for _, k := range keys {
				if _, ok := full[k]; ok {
					sink++
				}
			}
		}
	})
	best("lookup miss "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			for _, k := range misses {
				if _, ok := full[k]; ok {
					sink++
				}
			}
		}
	})
	best("iterate "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			for _, v := range full {
				sink += v
			}
		}
	})
	rr := rounds
	if rr > 20 {
		rr = 20
	}
	b := time.Duration(1<<63 - 1)
	for rep := 0; rep < reps; rep++ {
		maps := make([]map[uint64]uint64, rr)
		for j := range maps {
			maps[j] = map[uint64]uint64{}
			for i, k := range keys {
				maps[j][k] = uint64(i)
			}
		}
		t := time.Now()
		for _, m := range maps {
			for _, k := range keys {
				delete(m, k)
			}
		}
		if e := time.Since(t); e < b {
			b = e
		}
	}
	row("remove "+label, float64(n*rr)/b.Seconds()/1e6, "Mops/s", "higher")
}

func workloadsStr(label string, keys, misses []string) {
	n := len(keys)
	rounds := 1000000 / n
	if rounds < 1 {
		rounds = 1
	}
	reps := 7
	if n >= 1000000 {
		reps = 3
	}
	ops := n * rounds
	best("insert (growing) "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			m := map[string]uint64{}
			for i, k := range keys {
				m[k] = uint64(i)
			}
			sink += uint64(len(m))
		}
	})
	full := map[string]uint64{}
	for i, k := range keys {
		full[k] = uint64(i)
	}
	best("lookup hit "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			for _, k := range keys {
				if _, ok := full[k]; ok {
					sink++
				}
			}
		}
	})
	best("lookup miss "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			for _, k := range misses {
				if _, ok := full[k]; ok {
					sink++
				}
			}
		}
	})
	best("iterate "+label, ops, reps, func() {
		for r := 0; r < rounds; r++ {
			for _, v := range full {
				sink += v
			}
		}
	})
	rr := rounds
	if rr > 20 {
		rr = 20
	}
	b := time.Duration(1<<63 - 1)
	for rep := 0; rep < reps; rep++ {
		maps := make([]map[string]uint64, rr)
		for j := range maps {
			maps[j] = map[string]uint64{}
			for i, k := range keys {
				maps[j][k] = uint64(i)
			}
		}
		t := time.Now()
		for _, m := range maps {
			for _, k := range keys {
				delete(m, k)
			}
		}
		if e := time.Since(t); e < b {
			b = e
		}
	}
	row("remove "+label, float64(n*rr)/b.Seconds()/1e6, "Mops/s", "higher")
}

func tailLatency(keys []uint64) {
	samples := make([]int64, len(keys))
	m := map[uint64]uint64{}
	for i, k := range keys {
		t := time.Now()
		m[k] = uint64(i)
		samples[i] = int64(time.Since(t))
	}
	sink += uint64(len(m))
	sort.Slice(samples, func(a, b int) bool { return samples[a] < samples[b] })
	at := func(q float64) float64 {
		i := int(float64(len(samples))*q+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return float64(samples[i])
	}
	g := fmt.Sprintf("insert latency %dM u64", len(keys)/1000000)
	row(g+" p50", at(0.50), "ns", "lower")
	row(g+" p99", at(0.99), "ns", "lower")
	row(g+" p99.9", at(0.999), "ns", "lower")
	row(g+" max", float64(samples[len(samples)-1]), "ns", "lower")
}

func memory(keys []uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := map[uint64]uint64{}
	for i, k := range keys {
		m[k] = uint64(i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	sink += uint64(len(m))
	row(fmt.Sprintf("memory u64->u64 %dK entries", len(keys)/1000),
		float64(after.HeapAlloc-before.HeapAlloc)/float64(len(keys)), "bytes/entry", "lower")
	runtime.KeepAlive(m)
}

func main() {
	flag.Parse()
	if os.Getenv("GORT_BENCH_QUICK") == "1" {
		*quick = true
	}
	big, bigLabel, tail := 1000000, "1M", 8000000
	if *quick {
		big, bigLabel, tail = 100000, "100K", 1000000
	}
	for _, s := range []struct {
		n     int
		label string
	}{{1000, "1K"}, {big, bigLabel}} {
		workloadsU64("u64 "+s.label, u64Keys(s.n, 1), u64Keys(s.n, 2))
		workloadsStr("String "+s.label, strKeys(s.n, 1), strKeys(s.n, 2))
	}
	tailLatency(u64Keys(tail, 3))
	memory(u64Keys(1000000, 4))
	if sink == 42 {
		fmt.Fprintln(os.Stderr, sink)
	}
}
