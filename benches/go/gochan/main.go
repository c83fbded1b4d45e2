// Go 1.19's channels on the workloads of benches/benches/gochan.rs (the
// crossbeam-channel benchmark suite): seq, spsc, mpsc, mpmc, select_rx,
// select_both for capacities 0, 1 and 1024, and an unbuffered ping-pong.
// Prints rows "suite\tgroup\tsubject\tvalue\tunit\thigher|lower".
//
//	go run .          # 5,000,000 messages at cap 1024, 100,000 at caps 0 and 1
//	go run . -quick   # 100,000 and 2,000
package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
)

const threads = 4

func row(group string, value float64, unit, better string) {
	fmt.Printf("gochan\t%s\tgo1.19\t%g\t%s\t%s\n", group, value, unit, better)
}

// best runs f reps times and records the best throughput in Mops/s.
func best(group string, n int, reps int, f func()) {
	var b time.Duration = 1 << 62
	for i := 0; i < reps; i++ {
		start := time.Now()
		f()
		if d := time.Since(start); d < b {
			b = d
		}
	}
	row(group, float64(n)/b.Seconds()/1e6, "Mops/s", "higher")
}

func seq(c, n int) {
	ch := make(chan int, c)
	for sent := 0; sent < n; {
		k := c
		if n-sent < k {
			k = n - sent
		}
		for i := 0; i < k; i++ {
			ch <- i
		}
		for i := 0; i < k; i++ {
			<-ch
		}
		sent += k
	}
}

func spsc(c, n int) {
	ch := make(chan int, c)
	go func() {
		for i := 0; i < n; i++ {
			ch <- i
		}
	}()
	for i := 0; i < n; i++ {
		<-ch
	}
}

func mpsc(c, n int) {
	ch := make(chan int, c)
	for t := 0; t < threads; t++ {
		go func() {
			for i := 0; i < n/threads; i++ {
				ch <- i
			}
		}()
	}
	for i := 0; i < n/threads*threads; i++ {
		<-ch
	}
}

func mpmc(c, n int) {
	ch := make(chan int, c)
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func() {
			for i := 0; i < n/threads; i++ {
				ch <- i
			}
		}()
		go func() {
			for i := 0; i < n/threads; i++ {
				<-ch
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

func selectRx(c, n int) {
	var chs [threads]chan int
	for i := range chs {
		chs[i] = make(chan int, c)
		go func(ch chan int) {
			for i := 0; i < n/threads; i++ {
				ch <- i
			}
		}(chs[i])
	}
	for i := 0; i < n/threads*threads; i++ {
		select {
		case <-chs[0]:
		case <-chs[1]:
		case <-chs[2]:
		case <-chs[3]:
		}
	}
}

func selectBoth(c, n int) {
	var chs [threads]chan int
	for i := range chs {
		chs[i] = make(chan int, c)
	}
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func() {
			for i := 0; i < n/threads; i++ {
				select {
				case chs[0] <- i:
				case chs[1] <- i:
				case chs[2] <- i:
				case chs[3] <- i:
				}
			}
		}()
		go func() {
			for i := 0; i < n/threads; i++ {
				select {
				case <-chs[0]:
				case <-chs[1]:
				case <-chs[2]:
				case <-chs[3]:
				}
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

func pingpong(rounds int) float64 {
	a, b := make(chan int), make(chan int)
	go func() {
		for i := 0; i < rounds; i++ {
			v := <-a
			b <- v + 1
		}
	}()
	start := time.Now()
	for i := 0; i < rounds; i++ {
		a <- i
		<-b
	}
	return float64(time.Since(start).Nanoseconds()) / float64(rounds)
}

func main() {
	quick := flag.Bool("quick", false, "smaller sizes")
	flag.Parse()
	size := func(full, q int) int {
		if *quick {
			return q
		}
		return full
	}
	row("empty channel size", 96, "bytes", "lower")
	for _, c := range []int{0, 1, 1024} {
		n := size(100_000, 2_000)
		if c >= 1024 {
			n = size(5_000_000, 100_000)
		}
		if c > 0 {
			best(fmt.Sprintf("seq cap=%d", c), n, 2, func() { seq(c, n) })
		}
		best(fmt.Sprintf("spsc cap=%d", c), n, 2, func() { spsc(c, n) })
		best(fmt.Sprintf("mpsc cap=%d", c), n, 2, func() { mpsc(c, n) })
		best(fmt.Sprintf("mpmc cap=%d", c), n, 2, func() { mpmc(c, n) })
		best(fmt.Sprintf("select_rx cap=%d", c), n, 2, func() { selectRx(c, n) })
		best(fmt.Sprintf("select_both cap=%d", c), n, 2, func() { selectBoth(c, n) })
	}
	row("pingpong cap=0 round trip", pingpong(size(100_000, 2_000)), "ns", "lower")
}
