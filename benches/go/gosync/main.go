// Command gosync runs the gosync benchmark workloads on Go 1.19's sync
// package and prints harness rows: suite, group, subject, value, unit,
// higher|lower (tab-separated), subject "go1.19".
//
// Same groups as benches/benches/gosync.rs; -quick (or GORT_BENCH_QUICK=1)
// shrinks the sizes.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var quick = flag.Bool("quick", false, "smaller sizes")

func size(full, q int) int {
	if *quick || os.Getenv("GORT_BENCH_QUICK") == "1" {
		return q
	}
	return full
}

func row(group string, value float64, unit, better string) {
	fmt.Printf("gosync\t%s\tgo1.19\t%g\t%s\t%s\n", group, value, unit, better)
}

func mops(ops int, d time.Duration) float64 { return float64(ops) / d.Seconds() / 1e6 }

func runThreads(n int, f func(i int)) time.Duration {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			f(i)
		}(i)
	}
	t := time.Now()
	close(start)
	wg.Wait()
	return time.Since(t)
}

var sink uint64

func work(iters int) uint64 {
	x := uint64(1)
	for i := 0; i < iters; i++ {
		x = x*6364136223846793005 + uint64(i)
	}
	return x
}

func best(reps int, f func() time.Duration) time.Duration {
	b := time.Duration(1 << 62)
	for i := 0; i < reps; i++ {
		if d := f(); d < b {
			b = d
		}
	}
	return b
}

func main() {
	flag.Parse()

	// Mutex
	n := size(10_000_000, 1_000_000)
	var mu sync.Mutex
	var v uint64
	d := best(3, func() time.Duration {
		t := time.Now()
		for i := 0; i < n; i++ {
			mu.Lock()
			v++
			mu.Unlock()
		}
		return time.Since(t)
	})
	row("mutex uncontended lock/unlock", mops(n, d), "Mops/s", "higher")
	for _, threads := range []int{2, 4, 8} {
		for _, long := range []bool{false, true} {
			per := size(500_000, 50_000) / threads
			name := "short"
			if long {
				per = size(100_000, 10_000) / threads
				name = "long"
			}
			d := best(3, func() time.Duration {
				var m sync.Mutex
				var c uint64
				return runThreads(threads, func(int) {
					for i := 0; i < per; i++ {
						m.Lock()
						if long {
							c += work(40) & 1
						} else {
							c++
						}
						m.Unlock()
					}
				})
			})
			row(fmt.Sprintf("mutex %d threads %s cs", threads, name), mops(threads*per, d), "Mops/s", "higher")
		}
	}
	// TestMutexFairness
	{
		var m sync.Mutex
		var stop, started int32
		done := make(chan struct{})
		go func() {
			deadline := time.Now().Add(3 * time.Second)
			for atomic.LoadInt32(&stop) == 0 && time.Now().Before(deadline) {
				m.Lock()
				atomic.StoreInt32(&started, 1)
				time.Sleep(100 * time.Microsecond)
				m.Unlock()
			}
			close(done)
		}()
		// The polite rounds start once the greedy goroutine holds the lock
		// (as in the Rust bench, where a thread may start late).
		for atomic.LoadInt32(&started) == 0 {
			runtime.Gosched()
		}
		var longest time.Duration
		for i := 0; i < size(10, 5); i++ {
			time.Sleep(100 * time.Microsecond)
			t := time.Now()
			m.Lock()
			m.Unlock()
			if e := time.Since(t); e > longest {
				longest = e
			}
		}
		atomic.StoreInt32(&stop, 1)
		<-done
		row("mutex fairness: longest wait of the polite thread", longest.Seconds()*1e3, "ms", "lower")
	}

	// RWMutex
	per := size(500_000, 50_000)
	for _, w := range []int{1, 10} {
		d := best(3, func() time.Duration {
			var rw sync.RWMutex
			var c uint64
			return runThreads(4, func(t int) {
				r := rand.New(rand.NewSource(int64(per)))
				for i := 0; i < per; i++ {
					if r.Intn(100) < w {
						rw.Lock()
						c++
						rw.Unlock()
					} else {
						rw.RLock()
						atomic.AddUint64(&sink, 0)
						rw.RUnlock()
					}
				}
			})
		})
		row(fmt.Sprintf("rwlock 4 threads %d/%d read/write", 100-w, w), mops(4*per, d), "Mops/s", "higher")
	}
	{
		var rw sync.RWMutex
		var stop int32
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				deadline := time.Now().Add(3 * time.Second)
				for atomic.LoadInt32(&stop) == 0 && time.Now().Before(deadline) {
					t := time.Now()
					for time.Since(t) < 20*time.Microsecond {
						rw.RLock()
						rw.RUnlock()
					}
				}
			}()
		}
		var longest time.Duration
		for i := 0; i < size(200, 50); i++ {
			time.Sleep(time.Millisecond)
			t := time.Now()
			rw.Lock()
			rw.Unlock()
			if e := time.Since(t); e > longest {
				longest = e
			}
		}
		atomic.StoreInt32(&stop, 1)
		wg.Wait()
		row("rwlock writer starvation: longest writer wait", longest.Seconds()*1e6, "us", "lower")
	}

	// WaitGroup
	n = size(5_000_000, 500_000)
	d = best(3, func() time.Duration {
		var wg sync.WaitGroup
		t := time.Now()
		for i := 0; i < n; i++ {
			wg.Add(1)
			wg.Done()
			wg.Wait()
		}
		return time.Since(t)
	})
	row("waitgroup uncontended add/done/wait", mops(n, d), "Mops/s", "higher")
	per = size(1_000_000, 100_000)
	d = best(3, func() time.Duration {
		var wg sync.WaitGroup
		return runThreads(4, func(int) {
			for i := 0; i < per; i++ {
				wg.Add(1)
				wg.Done()
			}
		})
	})
	row("waitgroup 4 threads add/done", mops(4*per, d), "Mops/s", "higher")

	// Once
	n = size(50_000_000, 5_000_000)
	var once sync.Once
	once.Do(func() {})
	d = best(3, func() time.Duration {
		t := time.Now()
		for i := 0; i < n; i++ {
			once.Do(func() { panic("unreachable") })
		}
		return time.Since(t)
	})
	row("once done path", mops(n, d), "Mops/s", "higher")

	// sync.Map
	per = size(1_000_000, 100_000)
	keys := uint64(1 << 14)
	type mix struct {
		name                 string
		read, insert, remove int
		prefill, keys        uint64
	}
	mixes := []mix{
		{"read-heavy 98/1/1/0", 98, 1, 1, keys / 2, keys},
		{"exchange 10/40/40/10", 10, 40, 40, keys / 2, keys},
		{"rapid-grow 5/80/5/10", 5, 80, 5, 0, 1 << 20},
		{"stable keys read by many 100/0/0/0", 100, 0, 0, keys, keys},
	}
	for _, mx := range mixes {
		d := best(2, func() time.Duration {
			var m sync.Map
			for k := uint64(0); k < mx.prefill; k++ {
				m.Store(k, k)
			}
			return runThreads(4, func(t int) {
				r := rand.New(rand.NewSource(int64(t*7919 + 1)))
				for i := 0; i < per; i++ {
					k := r.Uint64() % mx.keys
					op := r.Intn(100)
					switch {
					case op < mx.read:
						m.Load(k)
					case op < mx.read+mx.insert:
						m.Store(k, k)
					case op < mx.read+mx.insert+mx.remove:
						m.Delete(k)
					default:
						m.Store(k, k+1)
					}
				}
			})
		})
		row("map 4 threads "+mx.name, mops(4*per, d), "Mops/s", "higher")
	}
	d = best(2, func() time.Duration {
		var m sync.Map
		return runThreads(4, func(t int) {
			base := uint64(t) << 32
			for i := uint64(0); i < uint64(per); i++ {
				k := base + i%1024
				if i%4 == 0 {
					m.Store(k, i)
				} else {
					m.Load(k)
				}
			}
		})
	})
	row("map 4 threads disjoint keys per writer (25% store)", mops(4*per, d), "Mops/s", "higher")
	// Pool
	per = size(2_000_000, 200_000)
	for _, threads := range []int{1, 4} {
		n := per / threads
		d = best(3, func() time.Duration {
			p := sync.Pool{New: func() any { return new([64]byte) }}
			return runThreads(threads, func(int) {
				for i := 0; i < n; i++ {
					b := p.Get().(*[64]byte)
					atomic.AddUint64(&sink, uint64(b[0]))
					p.Put(b)
				}
			})
		})
		name := fmt.Sprintf("pool take/give %d threads", threads)
		if threads == 1 {
			name = "pool take/give 1 thread"
		}
		row(name, mops(threads*n, d), "Mops/s", "higher")
	}
	rounds := size(5_000, 500)
	d = best(3, func() time.Duration {
		p := sync.Pool{New: func() any { return new([64]byte) }}
		return runThreads(4, func(int) {
			bufs := make([]*[64]byte, 100)
			for r := 0; r < rounds; r++ {
				for i := range bufs {
					bufs[i] = p.Get().(*[64]byte)
				}
				for _, b := range bufs {
					p.Put(b)
				}
			}
		})
	})
	row("pool overflow 4 threads x 100", mops(4*rounds*100, d), "Mops/s", "higher")

	// Cond: benchmarkCond (cond_test.go) and a signal ping-pong.
	rounds = size(100_000, 10_000)
	for _, waiters := range []int{1, 3} {
		d = best(3, func() time.Duration {
			c := sync.NewCond(&sync.Mutex{})
			id := 0
			return runThreads(waiters+1, func(int) {
				for i := 0; i < rounds; i++ {
					c.L.Lock()
					if id == -1 {
						c.L.Unlock()
						break
					}
					id++
					if id == waiters+1 {
						id = 0
						c.Broadcast()
					} else {
						c.Wait()
					}
					c.L.Unlock()
				}
				c.L.Lock()
				id = -1
				c.Broadcast()
				c.L.Unlock()
			})
		})
		row(fmt.Sprintf("cond broadcast barrier %d threads", waiters+1), float64(rounds)/d.Seconds()/1e6, "Mrounds/s", "higher")
	}
	d = best(3, func() time.Duration {
		c := sync.NewCond(&sync.Mutex{})
		turn := 0
		return runThreads(2, func(me int) {
			for i := 0; i < rounds; i++ {
				c.L.Lock()
				for turn%2 != me {
					c.Wait()
				}
				turn++
				c.Signal()
				c.L.Unlock()
			}
		})
	})
	row("cond signal ping-pong 2 threads", mops(2*rounds, d), "Mops/s", "higher")
}
