//! Hostile tests of the GC-worker hook (`IdleHook::register_gc_worker`,
//! Go's `findRunnableGCWorker`) and the Ps' idle time: a `has_work` that
//! panics, a worker whose last reference (with a panicking `Drop`) goes in
//! the middle of its own call, a worker that lies (claims to mark and
//! never does), `block_on`'s main future woken while a worker marks on
//! the only P, timers falling due while a worker marks, sysmon retaking a
//! P during a long poll while a cycle starts, deadlock detection with a
//! worker registered or marking, and `Runtime::idle_time` read while Ps
//! come and go (monotonic, at most procs × wall time). Hangs abort through
//! a watchdog. They run under Miri too (its clock is virtual: the waits are
//! short there).

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use common::{tracked, watchdog, Tracked};
use gosched::{DeadlockError, GcWorker, GcWorkerP, GcWorkerRegistration, Runtime};

/// A future that completes once `set` is called from anywhere.
#[derive(Clone, Default)]
struct Flag(Arc<(AtomicBool, Mutex<Option<Waker>>)>);

impl Flag {
    fn set(&self) {
        self.0 .0.store(true, Ordering::SeqCst);
        if let Some(w) = self.0 .1.lock().unwrap().take() {
            w.wake();
        }
    }
    async fn wait(&self) {
        std::future::poll_fn(|cx| {
            *self.0 .1.lock().unwrap() = Some(cx.waker().clone());
            if self.0 .0.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }
}

/// `has_work` panics; `run` never marks.
struct PanicsInHasWork(AtomicUsize);

impl GcWorker for PanicsInHasWork {
    fn has_work(&self) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("has_work panicked");
    }
    fn run(&self, _: &GcWorkerP<'_>) -> bool {
        false
    }
}

#[test]
fn a_has_work_that_panics_unregisters_the_worker_and_the_m_parks_on() {
    let _w = watchdog("has_work panics", Duration::from_secs(60));
    let rt = Runtime::builder().procs(2).build().unwrap();
    let worker = Arc::new(PanicsInHasWork(AtomicUsize::new(0)));
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    // Ms park between these tasks: the first to ask `has_work` catches the
    // panic and unregisters the worker.
    for i in 0..20 {
        assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap().unwrap(), i);
        std::thread::sleep(Duration::from_millis(1));
    }
    common::eventually("has_work asked", || worker.0.load(Ordering::SeqCst) > 0);
    // Unregistered once the first panic is caught (after the panic hook,
    // which may take long: Ms that asked meanwhile panicked too): the
    // slot comes free, and then the worker is never asked again.
    let again = Arc::new(PanicsInHasWork(AtomicUsize::new(0)));
    let kept = Mutex::new(None); // the second (inactive) registration
    common::eventually("the slot free", || {
        let registered = rt.idle_hook().register_gc_worker(again.clone());
        let free = registered.is_some();
        *kept.lock().unwrap() = registered;
        free
    });
    // A call that cloned the worker just before it went may still count.
    std::thread::sleep(Duration::from_millis(20));
    let asked = worker.0.load(Ordering::SeqCst);
    for i in 0..20 {
        assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap().unwrap(), i);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(worker.0.load(Ordering::SeqCst), asked);
    assert_eq!(
        again.0.load(Ordering::SeqCst),
        0,
        "an inactive worker asked"
    );
    drop(kept);
    drop(registration);
}

/// Drops its own registration in its first call; the runtime's clone is
/// then the last reference, and the worker's `Drop` panics.
struct DropsItself {
    registration: Mutex<Option<GcWorkerRegistration>>,
    runs: AtomicUsize,
    _tracked: Tracked,
}

impl GcWorker for DropsItself {
    fn has_work(&self) -> bool {
        false
    }
    fn run(&self, _: &GcWorkerP<'_>) -> bool {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let registration = self.registration.lock().unwrap().take();
        drop(registration);
        false
    }
}

#[test]
fn a_worker_dropped_during_its_own_call_with_a_panicking_drop_is_dropped_once() {
    let _w = watchdog("worker dropped in its call", Duration::from_secs(60));
    let rt = Runtime::builder().procs(1).build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let worker = Arc::new(DropsItself {
        registration: Mutex::new(None),
        runs: AtomicUsize::new(0),
        _tracked: tracked(&drops, true),
    });
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    *worker.registration.lock().unwrap() = Some(registration);
    drop(worker); // the runtime holds the only reference
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    for i in 0..5 {
        assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap().unwrap(), i);
    }
    // Dropped exactly once, by the M that ran it (its panic caught), and
    // the slot is free.
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let again = Arc::new(PanicsInHasWork(AtomicUsize::new(0)));
    assert!(rt.idle_hook().register_gc_worker(again).is_some());
}

/// Claims to have marked on every call and never marks (nor `begin`s).
struct Liar(AtomicUsize);

impl GcWorker for Liar {
    fn has_work(&self) -> bool {
        true
    }
    fn run(&self, _: &GcWorkerP<'_>) -> bool {
        self.0.fetch_add(1, Ordering::Relaxed);
        std::thread::yield_now();
        true
    }
}

#[test]
fn a_lying_worker_holds_tasks_only_until_switched_off() {
    let _w = watchdog("lying worker", Duration::from_secs(60));
    let rt = Runtime::builder().procs(2).build().unwrap();
    let worker = Arc::new(Liar(AtomicUsize::new(0)));
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    registration.wake();
    let ran = Arc::new(AtomicBool::new(false));
    let ran2 = Arc::clone(&ran);
    let task = rt.spawn(async move {
        ran2.store(true, Ordering::SeqCst);
        7
    });
    // The main future itself is polled between the worker's calls.
    let main_polled = rt.block_on(async { 3 }).unwrap();
    assert_eq!(main_polled, 3);
    common::eventually("the liar called", || worker.0.load(Ordering::Relaxed) > 10);
    // Every look of every M goes to the worker first: the task waits.
    assert!(!ran.load(Ordering::SeqCst));
    registration.set_active(false);
    assert_eq!(rt.block_on(task).unwrap().unwrap(), 7);
    assert!(ran.load(Ordering::SeqCst));
    // A call an M began before the switch went off may still finish.
    std::thread::sleep(Duration::from_millis(20));
    let calls = worker.0.load(Ordering::Relaxed);
    for _ in 0..10 {
        rt.block_on(rt.spawn(async {})).unwrap().unwrap();
    }
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(worker.0.load(Ordering::Relaxed), calls, "called while off");
}

/// Marks until preempted (a dedicated worker), optionally firing its P's
/// due timers between slices.
struct Dedicated {
    fire_timers: bool,
    marking: AtomicBool,
    runs: AtomicUsize,
    fired: AtomicUsize,
    stop: AtomicBool,
    /// When it first began to mark.
    first_mark: Mutex<Option<Instant>>,
}

impl Dedicated {
    fn new(fire_timers: bool) -> Arc<Dedicated> {
        Arc::new(Dedicated {
            fire_timers,
            marking: AtomicBool::new(false),
            runs: AtomicUsize::new(0),
            fired: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            first_mark: Mutex::new(None),
        })
    }
}

impl GcWorker for Dedicated {
    fn has_work(&self) -> bool {
        !self.stop.load(Ordering::SeqCst)
    }
    fn run(&self, p: &GcWorkerP<'_>) -> bool {
        if self.stop.load(Ordering::SeqCst) {
            return false;
        }
        p.begin();
        self.first_mark
            .lock()
            .unwrap()
            .get_or_insert_with(Instant::now);
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.marking.store(true, Ordering::SeqCst);
        while !p.preempted() && !self.stop.load(Ordering::SeqCst) {
            if self.fire_timers && p.run_due_timers() {
                self.fired.fetch_add(1, Ordering::SeqCst);
            }
            std::thread::yield_now();
        }
        self.marking.store(false, Ordering::SeqCst);
        true
    }
}

#[test]
fn block_on_woken_while_a_worker_marks_on_the_only_p_returns() {
    let _w = watchdog("block_on woken under a worker", Duration::from_secs(60));
    let rt = Runtime::builder().procs(1).build().unwrap();
    let worker = Dedicated::new(false);
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    let flag = Flag::default();
    let waker_flag = flag.clone();
    let marking = Arc::clone(&worker);
    let waker_thread = std::thread::spawn(move || {
        common::eventually("the worker marking", || {
            marking.marking.load(Ordering::SeqCst)
        });
        waker_flag.set();
    });
    // The main future switches the collector on and waits: this M goes on
    // to the worker with the only P, and the flag (set only once the
    // worker marks) must get the main future polled again.
    let out = rt
        .block_on(async {
            registration.set_active(true);
            flag.wait().await;
            11
        })
        .unwrap();
    assert_eq!(out, 11);
    waker_thread.join().unwrap();
    assert!(worker.runs.load(Ordering::SeqCst) >= 1);
    worker.stop.store(true, Ordering::SeqCst);
    registration.set_active(false);
}

#[test]
fn timers_due_while_a_worker_marks_fire_from_the_worker() {
    let _w = watchdog("timers under a worker", Duration::from_secs(60));
    // Sysmon must not hand the P off while the main future polls (another
    // M would run the worker, and this one fire the timer as it parks).
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_secs(3600))
        .build()
        .unwrap();
    let worker = Dedicated::new(true);
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    // Long enough natively for the first look to come first on a loaded
    // machine.
    let wait = Duration::from_millis(if cfg!(miri) { 20 } else { 100 });
    let began = Instant::now();
    let mut due = None;
    let out = rt
        .block_on(async {
            registration.set_active(true);
            due = Some(Instant::now() + wait);
            gosched::sleep(wait).await;
            5
        })
        .unwrap();
    assert_eq!(out, 5);
    assert!(began.elapsed() >= wait);
    // If the worker began to mark before the timer was due (always, but
    // for a slow poll of the main future under Miri, where the timer may
    // fire before the first look), it held the only P when the timer fell
    // due, and fired it.
    let first_mark = *worker.first_mark.lock().unwrap();
    let marked_first = first_mark.is_some_and(|at| at < due.unwrap());
    assert!(
        marked_first || cfg!(miri),
        "the worker did not mark before the timer"
    );
    if marked_first {
        assert!(worker.fired.load(Ordering::SeqCst) >= 1);
    }
    worker.stop.store(true, Ordering::SeqCst);
    registration.set_active(false);
}

#[test]
fn block_on_reports_a_real_deadlock_with_a_worker_registered_and_on() {
    let _w = watchdog("deadlock with a worker", Duration::from_secs(60));
    let rt = Runtime::builder().procs(2).build().unwrap();
    let worker = Dedicated::new(false);
    worker.stop.store(true, Ordering::SeqCst); // no work
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    assert_eq!(
        rt.block_on(std::future::pending::<()>()).unwrap_err(),
        DeadlockError
    );
    assert_eq!(worker.runs.load(Ordering::SeqCst), 0);
    drop(registration);
}

#[test]
fn no_deadlock_is_reported_while_a_worker_marks() {
    let _w = watchdog("no deadlock while marking", Duration::from_secs(60));
    let rt = Runtime::builder().procs(2).build().unwrap();
    let worker = Dedicated::new(false);
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    registration.wake();
    common::eventually("the worker marking", || {
        worker.marking.load(Ordering::SeqCst)
    });
    // The worker marks on another M: the main future's pending is no
    // deadlock until the worker stops (after which nothing can wake it).
    let stopper = Arc::clone(&worker);
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        stopper.stop.store(true, Ordering::SeqCst);
    });
    let began = Instant::now();
    assert_eq!(
        rt.block_on(std::future::pending::<()>()).unwrap_err(),
        DeadlockError
    );
    t.join().unwrap();
    assert!(worker.stop.load(Ordering::SeqCst));
    assert!(!worker.marking.load(Ordering::SeqCst));
    assert!(began.elapsed() >= Duration::from_millis(40));
    drop(registration);
}

/// Marks `left` units, one per call, while its P's task is mid-poll.
struct Units(AtomicUsize);

impl GcWorker for Units {
    fn has_work(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
    fn run(&self, p: &GcWorkerP<'_>) -> bool {
        if self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return false;
        }
        p.begin();
        true
    }
}

#[test]
fn a_cycle_starting_during_a_long_poll_marks_on_the_retaken_p() {
    let _w = watchdog("retake during a cycle", Duration::from_secs(60));
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(Duration::from_millis(2))
        .build()
        .unwrap();
    let worker = Arc::new(Units(AtomicUsize::new(100)));
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    let seen = Arc::new(AtomicBool::new(false));
    let polling = Arc::new(AtomicBool::new(false));
    let (seen2, polling2, worker2) = (Arc::clone(&seen), Arc::clone(&polling), worker.clone());
    // The task's poll never returns until the worker has marked everything
    // (on the P sysmon took from it), or 20 s pass.
    let task = rt.spawn(async move {
        polling2.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(20);
        while worker2.0.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::hint::spin_loop();
        }
        seen2.store(worker2.0.load(Ordering::SeqCst) == 0, Ordering::SeqCst);
        9
    });
    common::eventually("the task polling", || polling.load(Ordering::SeqCst));
    registration.set_active(true);
    registration.wake();
    assert_eq!(rt.block_on(task).unwrap().unwrap(), 9);
    assert!(seen.load(Ordering::SeqCst), "the worker never got the P");
    assert_eq!(worker.0.load(Ordering::SeqCst), 0);
    registration.set_active(false);
    // The task finished on an M without a P: the runtime goes on.
    for i in 0..10 {
        assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap().unwrap(), i);
    }
}

#[test]
fn idle_time_is_monotonic_and_bounded_while_ps_come_and_go() {
    let _w = watchdog("idle time churn", Duration::from_secs(60));
    let procs = 2;
    let rt = Arc::new(Runtime::builder().procs(procs).build().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    // Ps go idle and busy all the time: short tasks with short gaps.
    let churners: Vec<_> = (0..2)
        .map(|_| {
            let (rt, stop) = (Arc::clone(&rt), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let tasks: Vec<_> = (0..4).map(|i| rt.spawn(async move { i })).collect();
                    for t in tasks {
                        n += rt.block_on(t).unwrap().unwrap();
                    }
                    std::thread::yield_now();
                }
                n
            })
        })
        .collect();
    let began = Instant::now();
    let first = rt.idle_time();
    let mut last = first;
    let mut readings = 0u64;
    while began.elapsed() < Duration::from_millis(400) {
        let now = rt.idle_time();
        assert!(
            now >= last,
            "idle time went back from {last:?} to {now:?} after {readings} readings"
        );
        last = now;
        readings += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for c in churners {
        c.join().unwrap();
    }
    let total = rt.idle_time() - first;
    let wall = began.elapsed();
    assert!(
        total <= wall * procs as u32 + Duration::from_millis(1),
        "{total:?} idle over {wall:?} with {procs} Ps"
    );
}
