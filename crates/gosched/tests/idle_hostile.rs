//! Hostile tests for the idle-work hook (`Runtime::idle_hook`): works that
//! panic (in `has_work`, `run` or their `Drop`), block until told, never
//! stop while nothing else is runnable, register and unregister from
//! inside `run` or from their `Drop`, registrations dropped while an M runs
//! the work, runtime shutdown with work registered, many registrations,
//! `block_on`'s deadlock detection with idle work registered, and tasks
//! (and timers) arriving while an M runs idle work.
#![cfg(not(miri))] // the runtime's threads and parking are not modelled under Miri

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{eventually, watchdog};
use gosched::{IdleHook, IdleP, IdleRegistration, IdleWork, Runtime};

fn runtime(procs: usize) -> Runtime {
    Runtime::builder().procs(procs).build().unwrap()
}

/// A task round trip through the runtime's Ps: proves the Ms are alive.
fn round_trip(rt: &Runtime) {
    let handle = rt.spawn(async {
        let inner = gosched::spawn(async { 20 });
        inner.await.unwrap() + 1
    });
    assert_eq!(rt.block_on(handle).unwrap().unwrap(), 21);
}

/// Counts drops of the works of a test.
struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// --- panics ----------------------------------------------------------

struct Panicky {
    in_has_work: bool,
    calls: AtomicUsize,
    _drops: Dropped,
}

impl IdleWork for Panicky {
    fn has_work(&self) -> bool {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.in_has_work {
            panic!("has_work panics");
        }
        true
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        panic!("run panics");
    }
}

#[test]
fn works_panicking_in_has_work_or_run_are_unregistered_and_dropped_once() {
    let _dog = watchdog("panicking works", Duration::from_secs(30));
    let rt = runtime(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let mut registrations = Vec::new();
    let mut works = Vec::new();
    for in_has_work in [true, false, true, false] {
        let work = Arc::new(Panicky {
            in_has_work,
            calls: AtomicUsize::new(0),
            _drops: Dropped(Arc::clone(&drops)),
        });
        registrations.push(rt.idle_hook().register(work.clone()).unwrap());
        works.push(work);
    }
    registrations[0].wake();
    // Each is called at most once more after its panic: it is unregistered.
    eventually("every panicking work was called", || {
        works.iter().all(|w| w.calls.load(Ordering::SeqCst) > 0)
    });
    round_trip(&rt);
    std::thread::sleep(Duration::from_millis(20));
    let calls: Vec<usize> = works
        .iter()
        .map(|w| w.calls.load(Ordering::SeqCst))
        .collect();
    for _ in 0..20 {
        round_trip(&rt);
    }
    let later: Vec<usize> = works
        .iter()
        .map(|w| w.calls.load(Ordering::SeqCst))
        .collect();
    assert_eq!(calls, later, "an unregistered work was called again");
    // Each panicked at its first call; an M that had taken its snapshot of
    // the list before the removal may call it once more.
    assert!(
        calls.iter().all(|&c| (1..=2).contains(&c)),
        "calls: {calls:?}"
    );
    // The runtime keeps no clone: ours are the last.
    for w in &works {
        assert_eq!(Arc::strong_count(w), 1);
    }
    drop(registrations);
    drop(works);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    drop(rt);
}

/// A panic payload whose own drop panics.
struct HostilePayload(Arc<AtomicUsize>);

impl Drop for HostilePayload {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("a panic payload that panics when dropped");
    }
}

struct PanicsWithHostilePayload(Arc<AtomicUsize>, AtomicUsize);

impl IdleWork for PanicsWithHostilePayload {
    fn has_work(&self) -> bool {
        true
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        self.1.fetch_add(1, Ordering::SeqCst);
        std::panic::panic_any(HostilePayload(Arc::clone(&self.0)));
    }
}

#[test]
fn a_panic_payload_whose_drop_panics_does_not_kill_the_m() {
    let _dog = watchdog("hostile payload", Duration::from_secs(30));
    let rt = runtime(1);
    let payload_drops = Arc::new(AtomicUsize::new(0));
    let work = Arc::new(PanicsWithHostilePayload(
        Arc::clone(&payload_drops),
        AtomicUsize::new(0),
    ));
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    registration.wake();
    eventually("the payload was dropped", || {
        payload_drops.load(Ordering::SeqCst) == 1
    });
    round_trip(&rt);
    assert_eq!(work.1.load(Ordering::SeqCst), 1);
    assert_eq!(payload_drops.load(Ordering::SeqCst), 1);
}

/// A work whose `run` waits until the test lets it go, and whose `Drop`
/// panics.
struct Gate {
    entered: AtomicBool,
    release: AtomicBool,
    drops: Arc<AtomicUsize>,
}

impl IdleWork for Gate {
    fn has_work(&self) -> bool {
        !self.release.load(Ordering::SeqCst)
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        self.entered.store(true, Ordering::SeqCst);
        while !self.release.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_micros(100));
        }
        true
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if !std::thread::panicking() {
            panic!("a hostile IdleWork drop");
        }
    }
}

#[test]
fn a_registration_dropped_while_an_m_runs_the_work_leaves_the_last_drop_there() {
    let _dog = watchdog("registration dropped during run", Duration::from_secs(30));
    let rt = runtime(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let work = Arc::new(Gate {
        entered: AtomicBool::new(false),
        release: AtomicBool::new(false),
        drops: Arc::clone(&drops),
    });
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    registration.wake();
    eventually("the M entered run", || work.entered.load(Ordering::SeqCst));
    // Unregistered while the only P's M is inside `run`: the M's clone is
    // now the last one besides ours.
    drop(registration);
    work.release.store(true, Ordering::SeqCst);
    eventually("the M let its clone go", || Arc::strong_count(&work) == 1);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    // The runtime's only M is still alive and schedules tasks.
    round_trip(&rt);
    // Our drop is the last: the hostile Drop panics here, on our thread.
    let dropped = catch_unwind(AssertUnwindSafe(move || drop(work)));
    assert!(dropped.is_err());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rt);
}

#[test]
fn a_work_whose_last_drop_panics_on_an_m_does_not_kill_the_m() {
    let _dog = watchdog("panicking drop on an M", Duration::from_secs(30));
    let rt = runtime(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let work = Arc::new(Gate {
        entered: AtomicBool::new(false),
        release: AtomicBool::new(false),
        drops: Arc::clone(&drops),
    });
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    registration.wake();
    eventually("the M entered run", || work.entered.load(Ordering::SeqCst));
    let release = {
        let work = Arc::clone(&work);
        move || work.release.store(true, Ordering::SeqCst)
    };
    // Only the M's clone (and `release`'s) left: then the M's is last.
    drop(registration);
    drop(work);
    release();
    drop(release);
    eventually("the work was dropped", || drops.load(Ordering::SeqCst) == 1);
    // The M that ran the drop still schedules tasks.
    round_trip(&rt);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    drop(rt);
}

/// A work that re-enters the hook from its `Drop`.
struct Reenter {
    hook: IdleHook,
    on_drop: Mutex<Option<IdleRegistration>>,
    registered_in_drop: Arc<AtomicBool>,
}

impl IdleWork for Reenter {
    fn has_work(&self) -> bool {
        false
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        false
    }
}

impl Drop for Reenter {
    fn drop(&mut self) {
        // Unregister another work, and register (and unregister) a third.
        drop(self.on_drop.lock().unwrap().take());
        let third = self.hook.register(Arc::new(Never));
        self.registered_in_drop
            .store(third.is_some(), Ordering::SeqCst);
    }
}

struct Never;

impl IdleWork for Never {
    fn has_work(&self) -> bool {
        false
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        false
    }
}

#[test]
fn a_work_whose_drop_registers_and_unregisters_does_not_deadlock() {
    let _dog = watchdog("re-entrant drop", Duration::from_secs(30));
    let rt = runtime(2);
    let other = rt.idle_hook().register(Arc::new(Never)).unwrap();
    let registered_in_drop = Arc::new(AtomicBool::new(false));
    let registration = rt
        .idle_hook()
        .register(Arc::new(Reenter {
            hook: rt.idle_hook(),
            on_drop: Mutex::new(Some(other)),
            registered_in_drop: Arc::clone(&registered_in_drop),
        }))
        .unwrap();
    drop(registration); // the last clone: `Reenter::drop` runs here
    assert!(registered_in_drop.load(Ordering::SeqCst));
    round_trip(&rt);
}

// --- registering from inside run; many registrations -------------------

struct Spawner {
    hook: IdleHook,
    children: Mutex<Vec<IdleRegistration>>,
    runs: AtomicUsize,
    child_runs: Arc<AtomicUsize>,
}

struct Child(Arc<AtomicUsize>, AtomicBool);

impl IdleWork for Child {
    fn has_work(&self) -> bool {
        !self.1.load(Ordering::SeqCst)
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        self.1.store(true, Ordering::SeqCst);
        true
    }
}

impl IdleWork for Spawner {
    fn has_work(&self) -> bool {
        self.runs.load(Ordering::SeqCst) < 50
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        let n = self.runs.fetch_add(1, Ordering::SeqCst);
        let mut children = self.children.lock().unwrap();
        // Register a child each run, and unregister an older one.
        let child = Child(Arc::clone(&self.child_runs), AtomicBool::new(false));
        children.push(self.hook.register(Arc::new(child)).unwrap());
        if n % 2 == 1 {
            children.remove(0);
        }
        true
    }
}

#[test]
fn works_register_and_unregister_from_inside_run() {
    let _dog = watchdog("register from run", Duration::from_secs(30));
    let rt = runtime(2);
    let child_runs = Arc::new(AtomicUsize::new(0));
    let spawner = Arc::new(Spawner {
        hook: rt.idle_hook(),
        children: Mutex::new(Vec::new()),
        runs: AtomicUsize::new(0),
        child_runs: Arc::clone(&child_runs),
    });
    let registration = rt.idle_hook().register(spawner.clone()).unwrap();
    registration.wake();
    eventually("the spawner ran 50 times", || {
        spawner.runs.load(Ordering::SeqCst) >= 50
    });
    round_trip(&rt);
    // Two Ms may both pass `has_work` near the end: 50 runs or a few more,
    // each registering a child, every second one dropping the oldest. A
    // run counts itself before it takes the children's lock, so an M may
    // still be on its way to register its child: wait for it.
    eventually("every run registered its child", || {
        let children = spawner.children.lock().unwrap();
        let runs = spawner.runs.load(Ordering::SeqCst);
        children.len() == runs - runs / 2
    });
    let runs = spawner.runs.load(Ordering::SeqCst);
    assert!((50..=52).contains(&runs), "{runs} runs");
    assert_eq!(spawner.children.lock().unwrap().len(), runs - runs / 2);
    assert!(child_runs.load(Ordering::SeqCst) >= 1);
    drop(registration);
    spawner.children.lock().unwrap().clear();
    // An M that was inside `run` when the registration went may still hold
    // its clone for a moment; then nothing keeps the spawner alive.
    eventually("every M let the spawner go", || {
        Arc::strong_count(&spawner) == 1
    });
}

struct Counted {
    left: AtomicUsize,
    runs: AtomicUsize,
    _drops: Dropped,
}

impl IdleWork for Counted {
    fn has_work(&self) -> bool {
        self.left.load(Ordering::SeqCst) > 0
    }
    fn run(&self, idle: &IdleP<'_>) -> bool {
        if idle.should_stop() {
            return false;
        }
        let took = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if took {
            self.runs.fetch_add(1, Ordering::SeqCst);
        }
        took
    }
}

#[test]
fn many_registrations_each_run_to_completion_and_are_dropped() {
    let _dog = watchdog("many registrations", Duration::from_secs(60));
    let rt = runtime(4);
    let drops = Arc::new(AtomicUsize::new(0));
    let n = 300;
    let works: Vec<Arc<Counted>> = (0..n)
        .map(|_| {
            Arc::new(Counted {
                left: AtomicUsize::new(3),
                runs: AtomicUsize::new(0),
                _drops: Dropped(Arc::clone(&drops)),
            })
        })
        .collect();
    let mut registrations: Vec<Option<IdleRegistration>> = works
        .iter()
        .map(|w| Some(rt.idle_hook().register(w.clone()).unwrap()))
        .collect();
    // Unregister every third before anything runs it: it may run or not,
    // but never after its registration's drop returned.
    for r in registrations.iter_mut().step_by(3) {
        *r = None;
    }
    let frozen: Vec<usize> = works
        .iter()
        .map(|w| w.runs.load(Ordering::SeqCst))
        .collect();
    registrations[1].as_ref().unwrap().wake();
    // `runs`, not `left`: a run takes its unit before it counts itself.
    eventually("every registered work ran out", || {
        works
            .iter()
            .zip(&registrations)
            .all(|(w, r)| r.is_none() || w.runs.load(Ordering::SeqCst) == 3)
    });
    for (i, w) in works.iter().enumerate() {
        let runs = w.runs.load(Ordering::SeqCst);
        if i % 3 == 0 {
            assert_eq!(runs, frozen[i], "work {i} ran after its unregistration");
        } else {
            assert_eq!(runs, 3, "work {i}");
        }
    }
    drop(registrations);
    round_trip(&rt);
    drop(rt);
    drop(works);
    assert_eq!(drops.load(Ordering::SeqCst), n);
}

// --- shutdown ----------------------------------------------------------

/// Runs until `should_stop` (the runtime shutting down, or a task).
struct UntilStopped {
    entered: AtomicUsize,
    left: AtomicUsize,
}

impl IdleWork for UntilStopped {
    fn has_work(&self) -> bool {
        true
    }
    fn run(&self, idle: &IdleP<'_>) -> bool {
        self.entered.fetch_add(1, Ordering::SeqCst);
        while !idle.should_stop() {
            std::hint::spin_loop();
        }
        self.left.fetch_add(1, Ordering::SeqCst);
        true
    }
}

#[test]
fn runtime_shutdown_stops_works_running_on_every_p() {
    let _dog = watchdog("shutdown with running work", Duration::from_secs(30));
    let rt = runtime(2);
    let work = Arc::new(UntilStopped {
        entered: AtomicUsize::new(0),
        left: AtomicUsize::new(0),
    });
    let registration = rt.idle_hook().register(work.clone()).unwrap();
    let hook = rt.idle_hook();
    registration.wake();
    eventually("an M entered run", || {
        work.entered.load(Ordering::SeqCst) > 0
    });
    drop(rt);
    assert_eq!(
        work.entered.load(Ordering::SeqCst),
        work.left.load(Ordering::SeqCst),
        "the runtime's drop returned with a work still running"
    );
    // The registration and hook outlive the runtime, inert.
    registration.wake();
    assert!(hook.register(work.clone()).is_none());
    assert!(hook.spawn(async {}).is_none());
    drop(registration);
    assert_eq!(Arc::strong_count(&work), 1);
}

// --- tasks, timers and block_on while idle work runs --------------------

#[test]
fn tasks_arriving_while_every_p_runs_idle_work_run_promptly() {
    let _dog = watchdog("task arriving during idle work", Duration::from_secs(60));
    for procs in [1, 2, 4] {
        let rt = runtime(procs);
        let work = Arc::new(UntilStopped {
            entered: AtomicUsize::new(0),
            left: AtomicUsize::new(0),
        });
        let registration = rt.idle_hook().register(work.clone()).unwrap();
        registration.wake();
        eventually("an M entered run", || {
            work.entered.load(Ordering::SeqCst) > 0
        });
        for _ in 0..200 {
            // From outside (global queue), and from a task (its P's ring).
            round_trip(&rt);
            let outside = rt.spawn(async { 3 });
            assert_eq!(rt.block_on(outside).unwrap().unwrap(), 3);
        }
        // A sleeping task's timer fires although idle work always has work.
        let slept = rt.block_on(async {
            let start = Instant::now();
            gosched::spawn(async { gosched::sleep(Duration::from_millis(5)).await })
                .await
                .unwrap();
            start.elapsed()
        });
        assert!(slept.unwrap() < Duration::from_secs(5));
        drop(registration);
        drop(rt);
    }
}

/// Has work for `left` runs of about 200 µs each, then none.
struct Finite {
    left: AtomicUsize,
}

impl IdleWork for Finite {
    fn has_work(&self) -> bool {
        self.left.load(Ordering::SeqCst) > 0
    }
    fn run(&self, _: &IdleP<'_>) -> bool {
        if self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_err()
        {
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
        true
    }
}

#[test]
fn deadlock_is_still_reported_with_idle_work_registered() {
    let _dog = watchdog("deadlock detection with idle work", Duration::from_secs(60));
    for procs in [1, 3] {
        let rt = runtime(procs);
        // A work that never has any.
        let never = rt.idle_hook().register(Arc::new(Never)).unwrap();
        never.wake();
        assert!(rt.block_on(std::future::pending::<()>()).is_err());
        // A work with some left: reported once it ran out, not before.
        let work = Arc::new(Finite {
            left: AtomicUsize::new(50),
        });
        let finite = rt.idle_hook().register(work.clone()).unwrap();
        finite.wake();
        let result = rt.block_on(async {
            gosched::go(std::future::pending::<()>());
            std::future::pending::<()>().await
        });
        assert!(result.is_err());
        assert_eq!(
            work.left.load(Ordering::SeqCst),
            0,
            "deadlock reported while idle work ran"
        );
        drop((never, finite));
        round_trip(&rt);
    }
}

#[test]
fn block_on_waiting_for_idle_work_is_not_a_deadlock() {
    let _dog = watchdog("block_on woken by idle work", Duration::from_secs(60));
    /// Wakes the main future once it ran out of work.
    struct Waking {
        left: AtomicUsize,
        waker: Mutex<Option<std::task::Waker>>,
    }
    impl IdleWork for Waking {
        fn has_work(&self) -> bool {
            self.left.load(Ordering::SeqCst) > 0
        }
        fn run(&self, _: &IdleP<'_>) -> bool {
            let before = self.left.fetch_sub(1, Ordering::SeqCst);
            if before == 1 {
                if let Some(w) = self.waker.lock().unwrap().take() {
                    w.wake();
                }
            }
            true
        }
    }
    for procs in [1, 2] {
        let rt = runtime(procs);
        let work = Arc::new(Waking {
            left: AtomicUsize::new(1000),
            waker: Mutex::new(None),
        });
        let registration = rt.idle_hook().register(work.clone()).unwrap();
        let result = rt.block_on(std::future::poll_fn(|cx| {
            if work.left.load(Ordering::SeqCst) == 0 {
                return std::task::Poll::Ready(7);
            }
            *work.waker.lock().unwrap() = Some(cx.waker().clone());
            registration.wake();
            if work.left.load(Ordering::SeqCst) == 0 {
                return std::task::Poll::Ready(7);
            }
            std::task::Poll::Pending
        }));
        assert_eq!(result.unwrap(), 7);
    }
}

/// Parks once, leaving its waker with the test; wakes up to return.
struct ParkOnce(Arc<Mutex<Option<std::task::Waker>>>, bool);

impl std::future::Future for ParkOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.1 {
            return std::task::Poll::Ready(());
        }
        self.1 = true;
        *self.0.lock().unwrap() = Some(cx.waker().clone());
        std::task::Poll::Pending
    }
}

#[test]
fn a_parked_system_task_with_live_wakers_does_not_hide_a_deadlock() {
    let _dog = watchdog(
        "deadlock with a parked system task",
        Duration::from_secs(30),
    );
    let rt = runtime(2);
    let waker = Arc::new(Mutex::new(None));
    let system = rt
        .idle_hook()
        .spawn(ParkOnce(Arc::clone(&waker), false))
        .unwrap();
    eventually("the system task parked", || waker.lock().unwrap().is_some());
    // Its waker is alive outside the runtime, yet Go's checkdead skips
    // system goroutines: the main future's deadlock is reported.
    assert!(rt.block_on(std::future::pending::<()>()).is_err());
    // An ordinary task parked the same way keeps block_on waiting: wake it
    // from a thread after a while, and the main future (awaiting it) ends.
    let plain_waker = Arc::new(Mutex::new(None));
    let plain = rt.spawn(ParkOnce(Arc::clone(&plain_waker), false));
    eventually("the plain task parked", || {
        plain_waker.lock().unwrap().is_some()
    });
    let waking = {
        let plain_waker = Arc::clone(&plain_waker);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            plain_waker.lock().unwrap().take().unwrap().wake();
        })
    };
    assert!(rt.block_on(plain).unwrap().is_ok());
    waking.join().unwrap();
    // The system task still runs when woken.
    waker.lock().unwrap().take().unwrap().wake();
    assert!(rt.block_on(system).unwrap().is_ok());
}
