//! loom models of the idle mark workers' hand-off (`World::idle_take`)
//! and of scheduler Ps taking dedicated work (`World::p_take`): workers
//! taking buffers race the owning thread's stop of the world (or the
//! heap's exit). The plan's `max_idle` and `dedicated` bound how many hold
//! work at once, the stop returns only with no worker holding work (and
//! every dedicated slot free), and every buffer is either back on the
//! shared list or was drained (counted) by a worker.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_worker_modes`
#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;
use gogc::__loom::{CyclePlan, WorkerMode, World};

#[test]
fn idle_takes_respect_the_limit_and_a_stop_waits_for_them() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        world.plan_cycle(CyclePlan {
            dedicated: 0,
            fractional_goal: 0.0,
            max_idle: 1,
        });
        world.publish(vec![1, 2]);
        world.start_the_world(true);
        let holding = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(AtomicUsize::new(0));
        let idle_ps: Vec<_> = (0..2)
            .map(|_| {
                let (world, holding, drained) = (
                    Arc::clone(&world),
                    Arc::clone(&holding),
                    Arc::clone(&drained),
                );
                thread::spawn(move || {
                    if let Some(buf) = world.idle_take() {
                        let before = holding.fetch_add(1, Ordering::Relaxed);
                        assert_eq!(before, 0, "more idle workers than max_idle");
                        holding.fetch_sub(1, Ordering::Relaxed);
                        drained.fetch_add(1, Ordering::Relaxed);
                        world.worker_done_as(
                            WorkerMode::Idle,
                            Vec::new(),
                            u64::from(buf),
                            1,
                            (1, 8),
                        );
                    }
                })
            })
            .collect();
        let control = world.stop_the_world();
        assert_eq!(control.active, 0);
        assert_eq!(control.idle_workers, 0);
        assert_eq!(holding.load(Ordering::Relaxed), 0);
        let left = control.full.len();
        let idle_nanos = control.idle_nanos;
        drop(control);
        // Whatever a worker drained before the stop is in the counters.
        assert_eq!(idle_nanos as usize, 2 - left);
        for p in idle_ps {
            p.join().unwrap();
        }
        // After the stop no idle worker took anything.
        assert_eq!(drained.load(Ordering::Relaxed), 2 - left);
    });
}

/// Two scheduler Ps look for mark work before their run queues
/// (`World::p_take`, Go's `findRunnableGCWorker`) while the owning thread
/// stops the world to end the mark: at most the plan's one dedicated
/// worker holds work at a time, the other P marks as the fractional
/// worker only if its share allows, the stop returns with no P holding
/// work and the dedicated slot free, and no P takes work after it.
#[test]
fn ps_claiming_dedicated_work_race_the_end_of_the_mark() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        world.plan_cycle(CyclePlan {
            dedicated: 1,
            fractional_goal: 0.0,
            max_idle: 0,
        });
        world.publish(vec![1, 2]);
        world.start_the_world(true);
        let dedicated = Arc::new(AtomicUsize::new(0));
        let drained = Arc::new(AtomicUsize::new(0));
        let ps: Vec<_> = (0..2)
            .map(|p| {
                let (world, dedicated, drained) = (
                    Arc::clone(&world),
                    Arc::clone(&dedicated),
                    Arc::clone(&drained),
                );
                thread::spawn(move || {
                    if let Some((buf, mode, budget)) = world.p_take(p) {
                        assert_eq!(mode, WorkerMode::Dedicated, "no fractional goal");
                        assert!(budget.is_none());
                        let before = dedicated.fetch_add(1, Ordering::Relaxed);
                        assert_eq!(before, 0, "two dedicated workers for a plan of one");
                        dedicated.fetch_sub(1, Ordering::Relaxed);
                        drained.fetch_add(1, Ordering::Relaxed);
                        world.worker_done_on(Some(p), mode, Vec::new(), u64::from(buf), 1, (1, 8));
                    }
                })
            })
            .collect();
        let control = world.stop_the_world();
        assert_eq!(control.active, 0);
        assert_eq!(control.dedicated_ps, 0);
        let left = control.full.len();
        let nanos = control.dedicated_nanos;
        drop(control);
        assert_eq!(nanos as usize, 2 - left);
        for p in ps {
            p.join().unwrap();
        }
        assert_eq!(drained.load(Ordering::Relaxed), 2 - left);
        // Stopped: no P takes work, however much is queued.
        assert!(world.p_take(0).is_none());
    });
}

/// The heap goes away (`World::exit`) while a P marks as the dedicated
/// worker: the P hands its work back and takes none afterwards.
#[test]
fn a_p_marking_when_the_heap_exits_takes_nothing_more() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        world.plan_cycle(CyclePlan {
            dedicated: 1,
            fractional_goal: 0.0,
            max_idle: 0,
        });
        world.publish(vec![1, 2]);
        world.start_the_world(true);
        let p = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                // Two stretches at most (the model stays bounded).
                for _ in 0..2 {
                    let Some((buf, mode, _)) = world.p_take(0) else {
                        break;
                    };
                    world.worker_done_on(Some(0), mode, vec![buf], 0, 1, (0, 0));
                }
            })
        };
        world.exit();
        let control = world.stop_the_world();
        assert_eq!((control.active, control.dedicated_ps), (0, 0));
        // Every buffer is back on the list.
        assert_eq!(control.full.len(), 2);
        drop(control);
        p.join().unwrap();
        assert!(world.p_take(0).is_none());
    });
}
