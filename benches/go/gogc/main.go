// Command gogc is the Go 1.19 peer of benches/benches/gogc.rs: the
// binary-trees churn with every allocation timed, and the cost of a pointer
// store into a heap object with the write barrier off and on. It prints rows
// in the harness's TSV format with subject "go1.19".
//
// Churn: one long-lived tree of depth 16, then 200 garbage trees of depth 12
// (20 with GORT_BENCH_QUICK=1), built bottom-up in post-order on an explicit
// stack exactly as the Rust side does, under Go's own collector (GOGC=100,
// GOMAXPROCS as the machine gives). Rows: wall time, longest single
// allocation, allocations over 100 µs, and the longest stop-the-world pause
// from runtime/metrics (/gc/pauses:seconds, a histogram: the upper bound of
// the highest non-empty bucket). Each figure is the best of 3 runs (1 quick).
//
// Pointer store: objs[i%1024].next = objs[(i*7)%1024] over 1024 heap
// objects. "not marking": GC off (debug.SetGCPercent(-1)), so the compiled
// barrier check finds the barrier disabled. "marking": a goroutine keeps
// running runtime.GC() over a 2M-node live list so that a cycle is nearly
// always in progress; the stores run in chunks of 4096 and only chunks that
// began and ended with runtime.writeBarrier.enabled set are counted. The
// figure is the fastest such chunk (as the Rust rows take the best run): the
// background marking shares the cores with the store loop, and a chunk during
// which the loop was descheduled says nothing about the barrier.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname
)

// writeBarrier mirrors the runtime's flag struct (runtime/mgc.go, Go 1.19).
//
//go:linkname writeBarrier runtime.writeBarrier
var writeBarrier struct {
	enabled bool
	pad     [3]byte
	needed  bool
	cgo     bool
	alignme uint64
}

const (
	longLivedDepth = 16
	garbageDepth   = 12
	storeObjects   = 1024
	slowOp         = 100 * time.Microsecond
)

type Node struct{ left, right *Node }

//go:noinline
func newNode(left, right *Node) *Node { return &Node{left, right} }

// plan is the post-order construction of a perfect tree: false pushes a
// leaf, true pops the right and left subtrees and pushes their parent.
func plan(depth int, out []bool) []bool {
	if depth == 0 {
		return append(out, false)
	}
	out = plan(depth-1, out)
	out = plan(depth-1, out)
	return append(out, true)
}

type ops struct {
	longest time.Duration
	slow    int
}

func (o *ops) build(p []bool) *Node {
	stack := make([]*Node, 0, longLivedDepth+2)
	for _, internal := range p {
		var left, right *Node
		if internal {
			right = stack[len(stack)-1]
			left = stack[len(stack)-2]
			stack = stack[:len(stack)-2]
		}
		t := time.Now()
		n := newNode(left, right)
		d := time.Since(t)
		if d > o.longest {
			o.longest = d
		}
		if d > slowOp {
			o.slow++
		}
		stack = append(stack, n)
	}
	return stack[0]
}

func count(n *Node) int {
	if n == nil {
		return 0
	}
	return 1 + count(n.left) + count(n.right)
}

var sink *Node

func pauseHistogram() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: "/gc/pauses:seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// longestPause is the upper bound of the highest histogram bucket that
// gained a pause between two readings.
func longestPause(before, after *metrics.Float64Histogram) time.Duration {
	for i := len(after.Counts) - 1; i >= 0; i-- {
		if after.Counts[i] > before.Counts[i] {
			return time.Duration(after.Buckets[i+1] * 1e9)
		}
	}
	return 0
}

func row(group string, value float64, unit, better string) {
	fmt.Printf("gogc\t%s\tgo1.19\t%g\t%s\t%s\n", group, value, unit, better)
}

func churn(trees, runs int) {
	long := plan(longLivedDepth, nil)
	garbage := plan(garbageDepth, nil)
	best := struct {
		total, longest, pause time.Duration
		slow                  int
	}{1 << 62, 1 << 62, 1 << 62, 1 << 30}
	for r := 0; r < runs; r++ {
		runtime.GC()
		before := pauseHistogram()
		var o ops
		t := time.Now()
		tree := o.build(long)
		for i := 0; i < trees; i++ {
			sink = o.build(garbage)
		}
		total := time.Since(t)
		pause := longestPause(before, pauseHistogram())
		sink = nil
		if c := count(tree); c != len(long) {
			fmt.Fprintf(os.Stderr, "gogc: long-lived tree has %d nodes, want %d\n", c, len(long))
			os.Exit(1)
		}
		if total < best.total {
			best.total = total
		}
		if o.longest < best.longest {
			best.longest = o.longest
		}
		if o.slow < best.slow {
			best.slow = o.slow
		}
		if pause < best.pause {
			best.pause = pause
		}
	}
	row("binary-trees churn total (ms)", best.total.Seconds()*1e3, "ms", "lower")
	row("binary-trees churn longest op (us)", best.longest.Seconds()*1e6, "us", "lower")
	row("binary-trees churn ops over 100us", float64(best.slow), "ops", "lower")
	row("binary-trees churn longest collector pause (us)", best.pause.Seconds()*1e6, "us", "lower")
}

type SNode struct{ next *SNode }

var objs []*SNode

//go:noinline
func stores(from, to uint) {
	for i := from; i < to; i++ {
		objs[i%storeObjects].next = objs[(i*7)%storeObjects]
	}
}

func storeNotMarking(n uint, reps int) float64 {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	best := 1e18
	for r := 0; r < reps; r++ {
		t := time.Now()
		stores(0, n)
		if ns := float64(time.Since(t).Nanoseconds()) / float64(n); ns < best {
			best = ns
		}
	}
	return best
}

type listNode struct {
	next *listNode
	pad  [6]uintptr // no pointers to follow, but scanned: 64-byte objects
}

func storeMarking(n uint, reps int) (float64, bool) {
	var list *listNode
	for i := 0; i < 2_000_000; i++ {
		list = &listNode{next: list}
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		for !stop.Load() {
			runtime.GC()
		}
		close(done)
	}()
	const chunk = 4096
	best := 1e18
	var counted uint
	deadline := time.Now().Add(5 * time.Second)
	for counted < n*uint(reps) && time.Now().Before(deadline) {
		if !writeBarrier.enabled {
			continue
		}
		t := time.Now()
		stores(0, chunk)
		d := time.Since(t)
		if writeBarrier.enabled {
			counted += chunk
			if ns := float64(d.Nanoseconds()) / chunk; ns < best {
				best = ns
			}
		}
	}
	found := counted > 0
	stop.Store(true)
	<-done
	runtime.KeepAlive(list)
	return best, found
}

func main() {
	quick := os.Getenv("GORT_BENCH_QUICK") == "1"
	trees, runs := 200, 3
	var n uint = 10_000_000
	if quick {
		trees, runs, n = 20, 1, 1_000_000
	}
	churn(trees, runs)

	for i := 0; i < storeObjects; i++ {
		objs = append(objs, &SNode{})
	}
	row("pointer store, not marking (ns)", storeNotMarking(n, 5), "ns", "lower")
	if ns, ok := storeMarking(n, 5); ok {
		row("pointer store, marking (ns)", ns, "ns", "lower")
	} else {
		fmt.Fprintln(os.Stderr, "gogc: never saw the write barrier enabled; marking row skipped")
	}
}
