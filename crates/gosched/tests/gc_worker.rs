//! The GC-worker hook (`IdleHook::register_gc_worker`, Go's
//! `findRunnableGCWorker`): while switched on, a P runs the worker before
//! its run queues; switched off it is never called; one worker per
//! runtime; a panicking worker is unregistered without killing its M; a
//! worker marking at shutdown is told to stop; a worker can send its P's
//! queued tasks to the global queue; and the Ps' idle time
//! (`Runtime::idle_time`) counts exactly the time they sit idle. The tests
//! that wait on the clock do not run under Miri.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
#[cfg(not(miri))]
use std::time::{Duration, Instant};

#[cfg(not(miri))]
use common::eventually;
use gosched::{GcWorker, GcWorkerP, Runtime};

/// Marks `left` units, one per call, logging each call.
struct Marker {
    left: AtomicUsize,
    calls: AtomicUsize,
    log: Arc<Mutex<Vec<&'static str>>>,
}

impl GcWorker for Marker {
    fn has_work(&self) -> bool {
        self.left.load(Ordering::Relaxed) > 0
    }
    fn run(&self, p: &GcWorkerP<'_>) -> bool {
        self.calls.fetch_add(1, Ordering::Relaxed);
        assert!(p.p() < p.procs());
        if self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_err()
        {
            return false;
        }
        p.begin();
        self.log.lock().unwrap().push("worker");
        true
    }
}

fn marker(left: usize, log: &Arc<Mutex<Vec<&'static str>>>) -> Arc<Marker> {
    Arc::new(Marker {
        left: AtomicUsize::new(left),
        calls: AtomicUsize::new(0),
        log: Arc::clone(log),
    })
}

#[test]
fn a_p_runs_the_worker_before_its_run_queues_only_while_switched_on() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let worker = marker(3, &log);
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    // Off: tasks run, the worker is never called.
    let task_log = Arc::clone(&log);
    rt.block_on(rt.spawn(async move { task_log.lock().unwrap().push("task") }))
        .unwrap()
        .unwrap();
    assert_eq!(worker.calls.load(Ordering::Relaxed), 0);
    // On: the P marks its three units before it runs the next task.
    registration.set_active(true);
    let task_log = Arc::clone(&log);
    rt.block_on(rt.spawn(async move { task_log.lock().unwrap().push("task") }))
        .unwrap()
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["task", "worker", "worker", "worker", "task"]
    );
    assert!(worker.calls.load(Ordering::Relaxed) >= 4);
    // Off again.
    registration.set_active(false);
    let calls = worker.calls.load(Ordering::Relaxed);
    rt.block_on(rt.spawn(async {})).unwrap().unwrap();
    assert_eq!(worker.calls.load(Ordering::Relaxed), calls);
}

#[test]
fn one_worker_per_runtime_until_its_registration_is_dropped() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let first = rt.idle_hook().register_gc_worker(marker(0, &log)).unwrap();
    assert!(rt.idle_hook().register_gc_worker(marker(0, &log)).is_none());
    first.set_active(true);
    drop(first);
    let second = marker(1, &log);
    let registration = rt.idle_hook().register_gc_worker(second.clone()).unwrap();
    // The dropped registration's switch went with it: the new worker is
    // off until switched on.
    rt.block_on(rt.spawn(async {})).unwrap().unwrap();
    assert_eq!(second.calls.load(Ordering::Relaxed), 0);
    registration.set_active(true);
    rt.block_on(rt.spawn(async {})).unwrap().unwrap();
    assert_eq!(second.left.load(Ordering::Relaxed), 0);
}

struct Panicker(AtomicUsize);

impl GcWorker for Panicker {
    fn has_work(&self) -> bool {
        false
    }
    fn run(&self, _: &GcWorkerP<'_>) -> bool {
        self.0.fetch_add(1, Ordering::Relaxed);
        panic!("worker panicked");
    }
}

#[test]
fn a_panicking_worker_is_unregistered_and_the_m_goes_on() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let worker = Arc::new(Panicker(AtomicUsize::new(0)));
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    for i in 0..10 {
        assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap().unwrap(), i);
    }
    // Called at most once per M before it was unregistered.
    let calls = worker.0.load(Ordering::Relaxed);
    assert!((1..=4).contains(&calls), "{calls} calls");
    // The slot is free again.
    drop(registration);
    let log = Arc::new(Mutex::new(Vec::new()));
    assert!(rt.idle_hook().register_gc_worker(marker(0, &log)).is_some());
}

/// Marks until preempted.
struct Endless {
    marking: AtomicBool,
    stopped: AtomicBool,
}

impl GcWorker for Endless {
    fn has_work(&self) -> bool {
        !self.stopped.load(Ordering::Relaxed)
    }
    fn run(&self, p: &GcWorkerP<'_>) -> bool {
        if self.stopped.load(Ordering::Relaxed) {
            return false;
        }
        p.begin();
        self.marking.store(true, Ordering::Relaxed);
        while !p.preempted() {
            std::thread::yield_now();
        }
        self.stopped.store(true, Ordering::Relaxed);
        true
    }
}

#[test]
#[cfg(not(miri))] // waits on the clock
fn a_worker_marking_at_shutdown_is_preempted() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let worker = Arc::new(Endless {
        marking: AtomicBool::new(false),
        stopped: AtomicBool::new(false),
    });
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    registration.wake();
    eventually("the worker marking", || {
        worker.marking.load(Ordering::Relaxed)
    });
    drop(rt); // joins the Ms: the worker must return
    assert!(worker.stopped.load(Ordering::Relaxed));
    drop(registration);
}

#[test]
#[cfg(not(miri))] // measures the clock
fn idle_time_counts_the_time_ps_sit_idle() {
    // Sysmon does not hand off a busy poll's P for a minute (a P it hands
    // off is idle, while its M goes on polling).
    let rt = Runtime::builder()
        .procs(2)
        .retake_after(Duration::from_secs(60))
        .build()
        .unwrap();
    // Both Ps idle.
    let before = rt.idle_time();
    let began = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    let idle = rt.idle_time() - before;
    let wall = began.elapsed();
    assert!(idle >= Duration::from_millis(40), "{idle:?}");
    assert!(
        idle <= wall * 2 + Duration::from_millis(1),
        "{idle:?} over {wall:?}"
    );
    // Both Ps busy with tasks that never return from their poll: the
    // idle time stands still (but for the moments the tasks start).
    let release = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (release, started) = (Arc::clone(&release), Arc::clone(&started));
            rt.spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(20);
                while !release.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    eventually("both tasks running", || started.load(Ordering::SeqCst) == 2);
    let busy_before = rt.idle_time();
    std::thread::sleep(Duration::from_millis(30));
    let busy_idle = rt.idle_time() - busy_before;
    release.store(true, Ordering::SeqCst);
    for task in tasks {
        rt.block_on(task).unwrap().unwrap();
    }
    assert_eq!(busy_idle, Duration::ZERO);
    // Monotonic.
    let a = rt.idle_time();
    let b = rt.idle_time();
    assert!(b >= a);
}

/// Sends its P's queued tasks to the global queue, and records how many.
struct Kicker {
    kicked: Mutex<Vec<usize>>,
}

impl GcWorker for Kicker {
    fn has_work(&self) -> bool {
        false
    }
    fn run(&self, p: &GcWorkerP<'_>) -> bool {
        let n = p.kick_local_work();
        if n > 0 {
            self.kicked.lock().unwrap().push(n);
        }
        false
    }
}

#[test]
fn a_worker_sends_its_ps_queued_tasks_to_the_global_queue() {
    // Sysmon must not hand the P off while the outer task runs (slowly,
    // under Miri): another M would run one of the three first.
    let rt = Runtime::builder()
        .procs(1)
        .retake_after(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let worker = Arc::new(Kicker {
        kicked: Mutex::new(Vec::new()),
    });
    let registration = rt.idle_hook().register_gc_worker(worker.clone()).unwrap();
    registration.set_active(true);
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = Arc::clone(&ran);
    // The outer task spawns three on its P (runnext and ring); when it
    // ends, the P's next look runs the worker first, which moves them. This
    // thread is no M: it waits outside the runtime.
    let outer = rt.spawn(async move {
        for _ in 0..3 {
            let ran = Arc::clone(&ran2);
            drop(gosched::spawn(async move {
                ran.fetch_add(1, Ordering::SeqCst);
            }));
        }
    });
    while ran.load(Ordering::SeqCst) < 3 {
        std::thread::yield_now();
    }
    rt.block_on(outer).unwrap().unwrap();
    assert_eq!(worker.kicked.lock().unwrap().first(), Some(&3));
    drop(registration);
}
