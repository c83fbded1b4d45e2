// Go 1.19's scheduler on the shapes of benches/benches/gosched.rs (tokio's
// scheduler benchmark shapes, channel ping-pong between goroutines and the
// stalled-worker probe), each with GOMAXPROCS 1 and 2. Prints rows
// "suite\tgroup\tsubject\tvalue\tunit\thigher|lower".
//
// Go has no thread outside its runtime: the "remote" shapes spawn from the
// main goroutine and wait with a sync.WaitGroup, where the Rust executors
// spawn from a thread that is not one of their workers.
//
// spawn_many_remote_busy2 starts each chain from a goroutine of its own, as
// tokio's bench starts each from a task spawned from outside.
//
// The stalled-worker probe blocks its M with syscall.Nanosleep, a real
// blocking system call (entersyscall/exitsyscall), so sysmon's retake hands
// the P and its queued goroutines to another M. time.Sleep would only park
// the goroutine and a busy loop would be preempted at the 10 ms slice;
// neither blocks the thread the way std::thread::sleep does in the Rust
// probe.
//
//	go run .          # 100,000 ping-pong round trips, 10 runs per shape
//	go run . -quick   # 2,000 round trips, 3 runs (also GORT_BENCH_QUICK=1)
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	numSpawn      = 10000
	numSpawnBusy2 = 1000
	numPings      = 1000
	yieldTasks    = 200
	numYield      = 1000
	chain         = 1000
	stallDur      = 10 * time.Microsecond
	probeTasks    = 1000
	probeBlock    = 100 * time.Millisecond
)

func row(group string, value float64, unit string) {
	fmt.Printf("gosched\t%s\tgo1.19\t%g\t%s\tlower\n", group, value, unit)
}

// bestUs runs f reps times and returns the fastest run in microseconds.
func bestUs(reps int, f func()) float64 {
	var b time.Duration = 1 << 62
	for i := 0; i < reps; i++ {
		start := time.Now()
		f()
		if d := time.Since(start); d < b {
			b = d
		}
	}
	return float64(b.Nanoseconds()) / 1e3
}

// stall burns stallDur of CPU time, as tokio's bench does.
func stall() {
	start := time.Now()
	for time.Since(start) < stallDur {
	}
}

func spawnManyLocal() {
	done := make(chan struct{}, 1)
	var rem int64 = numSpawn
	go func() {
		for i := 0; i < numSpawn; i++ {
			go func() {
				if atomic.AddInt64(&rem, -1) == 0 {
					done <- struct{}{}
				}
			}()
		}
	}()
	<-done
}

func spawnAndWait(n int) {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go wg.Done()
	}
	wg.Wait()
}

func startBusy1(procs int, running *atomic.Bool) {
	for i := 0; i < 2*procs; i++ {
		go func() {
			for running.Load() {
				runtime.Gosched()
				stall()
			}
		}()
	}
}

func busy2Link(running *atomic.Bool) {
	go func() {
		if running.Load() {
			stall()
			busy2Link(running)
		}
	}()
}

func pingPong() {
	done := make(chan struct{}, 1)
	var rem int64 = numPings
	go func() {
		for i := 0; i < numPings; i++ {
			go func() {
				c1 := make(chan struct{}, 1)
				c2 := make(chan struct{}, 1)
				go func() {
					<-c1
					c2 <- struct{}{}
				}()
				c1 <- struct{}{}
				<-c2
				if atomic.AddInt64(&rem, -1) == 0 {
					done <- struct{}{}
				}
			}()
		}
	}()
	<-done
}

func yieldMany() {
	var wg sync.WaitGroup
	wg.Add(yieldTasks)
	for i := 0; i < yieldTasks; i++ {
		go func() {
			for j := 0; j < numYield; j++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

func chainLink(done chan struct{}, n int) {
	if n == 0 {
		done <- struct{}{}
		return
	}
	go chainLink(done, n-1)
}

func chainedSpawn() {
	done := make(chan struct{}, 1)
	go chainLink(done, chain)
	<-done
}

// chanPingPong returns ns per one-way message of rounds round trips between
// two goroutines over two channels of capacity c.
func chanPingPong(c, rounds int) float64 {
	c1 := make(chan int, c)
	c2 := make(chan int, c)
	took := make(chan time.Duration)
	go func() {
		for i := 0; i < rounds; i++ {
			v := <-c1
			c2 <- v + 1
		}
	}()
	go func() {
		start := time.Now()
		for i := 0; i < rounds; i++ {
			c1 <- i
			<-c2
		}
		took <- time.Since(start)
	}()
	return float64((<-took).Nanoseconds()) / float64(2*rounds)
}

// stalledWorker returns the worst spawn-to-start latency of probeTasks
// goroutines spawned by a goroutine that then blocks its M for probeBlock.
func stalledWorker() time.Duration {
	lat := make([]time.Duration, probeTasks)
	var wg sync.WaitGroup
	wg.Add(probeTasks)
	blocked := make(chan struct{})
	go func() {
		for i := 0; i < probeTasks; i++ {
			spawned := time.Now()
			i := i
			go func() {
				lat[i] = time.Since(spawned)
				wg.Done()
			}()
		}
		ts := syscall.NsecToTimespec(probeBlock.Nanoseconds())
		for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
		}
		close(blocked)
	}()
	wg.Wait()
	<-blocked
	worst := time.Duration(0)
	for _, d := range lat {
		if d > worst {
			worst = d
		}
	}
	return worst
}

func main() {
	quick := flag.Bool("quick", false, "smaller sizes")
	flag.Parse()
	if os.Getenv("GORT_BENCH_QUICK") == "1" {
		*quick = true
	}
	reps, probeReps, rounds := 10, 5, 100000
	if *quick {
		reps, probeReps, rounds = 3, 3, 2000
	}
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		w := fmt.Sprintf(" workers=%d", procs)
		row("spawn_many_local 10000"+w, bestUs(reps, spawnManyLocal), "us")
		row("spawn_many_remote_idle 10000"+w, bestUs(reps, func() { spawnAndWait(numSpawn) }), "us")
		var running atomic.Bool
		running.Store(true)
		startBusy1(procs, &running)
		row("spawn_many_remote_busy1 10000"+w, bestUs(reps, func() { spawnAndWait(numSpawn) }), "us")
		running.Store(false)
		var running2 atomic.Bool
		running2.Store(true)
		for i := 0; i < procs; i++ {
			go busy2Link(&running2)
		}
		row("spawn_many_remote_busy2 1000"+w, bestUs(reps, func() { spawnAndWait(numSpawnBusy2) }), "us")
		running2.Store(false)
		row("ping_pong 1000"+w, bestUs(reps, pingPong), "us")
		row("yield_many 200x1000"+w, bestUs(reps, yieldMany), "us")
		row("chained_spawn 1000"+w, bestUs(reps, chainedSpawn), "us")
		for _, c := range []int{0, 1} {
			best := 1e18
			for i := 0; i < reps; i++ {
				if ns := chanPingPong(c, rounds); ns < best {
					best = ns
				}
			}
			fmt.Printf("gosched\tchan pingpong cap=%d%s\tgo1.19\t%g\tns/msg\tlower\n", c, w, best)
		}
		worst := make([]time.Duration, probeReps)
		for i := range worst {
			worst[i] = stalledWorker()
		}
		sort.Slice(worst, func(i, j int) bool { return worst[i] < worst[j] })
		row("stalled worker: worst spawn-to-start"+w, float64(worst[len(worst)/2].Nanoseconds())/1e3, "us")
	}
}
