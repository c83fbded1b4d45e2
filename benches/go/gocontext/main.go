// Go 1.19 versions of benches/benches/gocontext.rs. Prints rows in the
// harness's TSV format: suite, group, subject, value, unit, higher|lower.
// Run: cd benches/go/gocontext && go run . [-quick]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

var quick = flag.Bool("quick", false, "smaller sizes")

func size(full, q int) int {
	if *quick || os.Getenv("GORT_BENCH_QUICK") == "1" {
		return q
	}
	return full
}

func label(n int) string {
	if n >= 1000000 {
		return fmt.Sprintf("%dM", n/1000000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

func row(group string, value float64, unit, better string) {
	fmt.Printf("gocontext\t%s\tgo1.19\t%g\t%s\t%s\n", group, value, unit, better)
}

// best-of-reps throughput in Mops/s; setup is untimed.
func throughput(group string, ops, reps int, setup func() any, f func(any)) {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < reps; i++ {
		in := setup()
		runtime.GC()
		start := time.Now()
		f(in)
		if d := time.Since(start); d < best {
			best = d
		}
	}
	row(group, float64(ops)/best.Seconds()/1e6, "Mops/s", "higher")
}

type node struct {
	ctx    context.Context
	cancel context.CancelFunc
}

const fanout = 10

func buildTree(n int) (context.CancelFunc, []node) {
	root, cancel := context.WithCancel(context.Background())
	all := make([]node, 0, n)
	parent := root
	pix := 0
	for len(all) < n {
		for i := 0; i < fanout && len(all) < n; i++ {
			c, f := context.WithCancel(parent)
			all = append(all, node{c, f})
		}
		parent = all[pix].ctx
		pix++
	}
	return cancel, all
}

type key struct{ i int }

func liveBytes() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func main() {
	flag.Parse()
	reps := 5
	if *quick {
		reps = 2
	}

	n := size(100000, 20000)
	type tree struct {
		cancel context.CancelFunc
		all    []node
	}
	throughput(fmt.Sprintf("cancel tree %dk", n/1000), n, reps, func() any {
		c, all := buildTree(n)
		return tree{c, all}
	}, func(in any) {
		t := in.(tree)
		t.cancel()
		if t.all[n-1].ctx.Err() == nil {
			panic("not cancelled")
		}
	})
	throughput(fmt.Sprintf("build tree %dk", n/1000), n, reps, func() any { return nil }, func(any) {
		c, all := buildTree(n)
		_, _ = c, all // left to the GC, as the Rust side drops its tree untimed
	})

	m := size(1000000, 100000)
	parent, pc := context.WithCancel(context.Background())
	throughput(fmt.Sprintf("with_cancel+cancel %s", label(m)), m, reps, func() any { return nil }, func(any) {
		for i := 0; i < m; i++ {
			_, cancel := context.WithCancel(parent)
			cancel()
		}
	})

	t := size(1000000, 100000)
	r3 := reps
	if r3 > 3 {
		r3 = 3
	}
	throughput(fmt.Sprintf("timers create+stop %s", label(t)), t, r3, func() any { return nil }, func(any) {
		ts := make([]*time.Timer, t)
		for i := range ts {
			ts[i] = time.NewTimer(time.Hour)
		}
		for _, x := range ts {
			if !x.Stop() {
				panic("stop")
			}
		}
	})

	l := size(10000000, 1000000)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		ctx = context.WithValue(ctx, key{i}, i)
	}
	throughput("value depth 10", l, reps, func() any { return nil }, func(any) {
		acc := 0
		k := key{0}
		for i := 0; i < l; i++ {
			acc += ctx.Value(k).(int)
		}
		if acc != 0 {
			panic("value")
		}
	})

	c := size(1000000, 100000)
	g := fmt.Sprintf("memory %s children", label(c))
	p2, pc2 := context.WithCancel(context.Background())
	base := liveBytes()
	kids := make([]context.CancelFunc, c)
	ctxs := make([]context.Context, c)
	for i := range kids {
		ctxs[i], kids[i] = context.WithCancel(p2)
	}
	peak := liveBytes() - base
	for _, f := range kids {
		f()
	}
	kids, ctxs = nil, nil
	after := int64(liveBytes()) - int64(base)
	if after < 0 {
		after = 0
	}
	row(g+": live bytes after cancel", float64(after), "bytes", "lower")
	row(g+": bytes per child (peak)", float64(peak)/float64(c), "bytes", "lower")
	pc2()
	pc()
}
