// Command pacer_trace runs the allocation trace that gogc's pacer
// conformance test (crates/gogc/tests/pacer_trace.rs) replays, so that
// Go 1.19's own pacer decisions can be recorded with
// GODEBUG=gctrace=1,gcpacertrace=1 (see record.sh) and compared cycle by
// cycle.
//
// The trace, single goroutine: build one long-lived binary tree of depth
// LiveDepth (65535 nodes of 128 bytes, 8 MiB), then Garbage trees of depth
// GarbageDepth (127 nodes, 16 KiB each: small, so that the part of one
// still being built when a cycle starts hardly changes what is marked),
// each dropped at once; 200 MiB of garbage in all. Trees are
// built bottom-up (left subtree, right subtree, then the parent). A node is
// two pointers and 14 words of payload: 128 bytes, Go's size class 128, the
// slot size the Rust node also has in gogc. At the end the program checks
// the long-lived tree and prints its node count, so nothing is optimised
// away. Before building, it prints the bytes the runtime allocated before
// main ("heap at main: N B"), which the replay allocates first. With the
// argument "forced" it runs two runtime.GC() cycles instead, for gctrace
// lines with the "(forced)" suffix.
package main

import (
	"fmt"
	"os"
	"runtime"
)

const (
	LiveDepth    = 15
	GarbageDepth = 6
	Garbage      = 12800
)

type Node struct {
	left, right *Node
	payload     [14]uint64
}

func bottomUp(depth int) *Node {
	if depth == 0 {
		return &Node{}
	}
	left := bottomUp(depth - 1)
	right := bottomUp(depth - 1)
	return &Node{left: left, right: right}
}

func (n *Node) count() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.count() + n.right.count()
}

var sink *Node

func main() {
	if len(os.Args) > 1 && os.Args[1] == "forced" {
		// gctrace lines of forced cycles (runtime.GC) for the formatter's
		// golden test: one on a small live heap, one on the live tree.
		runtime.GC()
		live := bottomUp(LiveDepth)
		runtime.GC()
		runtime.KeepAlive(live)
		return
	}
	// What the runtime allocated before main: the replay allocates as much
	// (as garbage) first.
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	fmt.Fprintf(os.Stderr, "heap at main: %d B\n", stats.HeapAlloc)
	live := bottomUp(LiveDepth)
	for i := 0; i < Garbage; i++ {
		sink = bottomUp(GarbageDepth)
		sink = nil
	}
	if got, want := live.count(), 1<<(LiveDepth+1)-1; got != want {
		fmt.Fprintln(os.Stderr, "live tree has", got, "nodes, want", want)
		os.Exit(1)
	}
	fmt.Println("live nodes:", live.count())
}
