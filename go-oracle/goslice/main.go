// Command goslice prints the capacities Go's append produces, for the
// differential test crates/goslice/tests/go_oracle.rs.
//
// Regenerate the golden file (from the repository root):
//
//	cd go-oracle/goslice && /usr/lib/go-1.19/bin/go run . > ../../crates/goslice/tests/golden/growth.txt
//
// Every line is
//
//	<elem size> <pattern> <params...>: <cap> <cap> ...
//
// with these patterns:
//
//	one N              append one element at a time to a nil slice until len N; the cap after each growth
//	bulk K N           append K elements at once (append(s, buf[:K]...)) to a nil slice until len >= N; cap after each growth
//	make L C K         s := make([]T, L, C); s = append(s, buf[:K]...); the resulting cap
//	mix SEED N         nil slice; append counts drawn from a fixed LCG (1..=40, sometimes 200); cap after every append, until len >= N
//	s3 L C K           s := make([]T, C, C)[:L:L]; s = append(s, buf[:K]...); the resulting cap (full slice expression)
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
)

var out = bufio.NewWriter(os.Stdout)

// maxBytes bounds each sequence so the whole run stays small.
const maxBytes = 4 << 20

func limit(es, n int) int {
	if es == 0 {
		// Every append grows a zero-size slice to exactly len: keep it short.
		if n > 1000 {
			return 1000
		}
		return n
	}
	if m := maxBytes / es; m < n {
		return m
	}
	return n
}

func caps[T any](es int) {
	var zero T
	n := limit(es, 20000)

	// one N
	{
		var s []T
		fmt.Fprintf(out, "%d one %d:", es, n)
		last := -1
		for len(s) < n {
			s = append(s, zero)
			if cap(s) != last {
				fmt.Fprintf(out, " %d", cap(s))
				last = cap(s)
			}
		}
		fmt.Fprintln(out)
	}

	// bulk K N
	for _, k := range []int{2, 3, 7, 10, 100, 1000} {
		buf := make([]T, k)
		var s []T
		fmt.Fprintf(out, "%d bulk %d %d:", es, k, n)
		last := -1
		for len(s) < n {
			s = append(s, buf...)
			if cap(s) != last {
				fmt.Fprintf(out, " %d", cap(s))
				last = cap(s)
			}
		}
		fmt.Fprintln(out)
	}

	// make L C K
	starts := []int{0, 1, 2, 3, 5, 10, 17, 100, 255, 256, 257, 300, 511, 512, 513, 897, 1000, 1023, 1024, 1025, 1500, 5000}
	for _, c := range starts {
		if limit(es, 3*c+50) < 3*c+50 {
			continue
		}
		for _, l := range []int{c, c / 2} {
			fmt.Fprintf(out, "%d make %d %d:", es, l, c)
			for _, k := range []int{1, 2, c - l + 1, c + 1, 2*c - l + 1, 2*c + 1, 3*c + 7} {
				if l+k <= c {
					continue
				}
				s := make([]T, l, c)
				s = append(s, make([]T, k)...)
				fmt.Fprintf(out, " %d/%d", k, cap(s))
			}
			fmt.Fprintln(out)
		}
	}

	// mix SEED N
	for _, seed := range []uint32{1, 2, 3} {
		x := seed
		var s []T
		buf := make([]T, 200)
		fmt.Fprintf(out, "%d mix %d %d:", es, seed, n)
		for len(s) < n {
			x = x*1664525 + 1013904223
			k := int(x>>24)%40 + 1
			if x&0xff < 8 {
				k = 200
			}
			s = append(s, buf[:k]...)
			fmt.Fprintf(out, " %d", cap(s))
		}
		fmt.Fprintln(out)
	}

	// s3 L C K
	for _, c := range []int{4, 10, 300, 1100} {
		if limit(es, 3*c+50) < 3*c+50 {
			continue
		}
		fmt.Fprintf(out, "%d s3 %d:", es, c)
		for _, l := range []int{0, 1, c / 2, c} {
			s := make([]T, c)[:l:l]
			s = append(s, make([]T, 1)...)
			fmt.Fprintf(out, " %d/%d", l, cap(s))
		}
		fmt.Fprintln(out)
	}
}

func main() {
	fmt.Fprintf(out, "# %s %s/%s append capacities; see main.go for the format\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	caps[struct{}](0)
	caps[[1]byte](1)
	caps[[2]byte](2)
	caps[[3]byte](3)
	caps[[4]byte](4)
	caps[[5]byte](5)
	caps[[7]byte](7)
	caps[[8]byte](8)
	caps[[12]byte](12)
	caps[[16]byte](16)
	caps[[24]byte](24)
	caps[[32]byte](32)
	caps[[40]byte](40)
	caps[[48]byte](48)
	caps[[64]byte](64)
	caps[[100]byte](100)
	caps[[128]byte](128)
	caps[[256]byte](256)
	caps[[1000]byte](1000)
	caps[[4096]byte](4096)
	out.Flush()
}
