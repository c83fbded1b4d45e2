//! loom model of the idle mark workers' hand-off (`World::idle_take`):
//! idle workers taking buffers race the owning thread's stop of the world.
//! The plan's `max_idle` bounds how many hold work at once, the stop
//! returns only with no idle worker holding work, and every buffer is
//! either back on the shared list or was drained (counted) by a worker.
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
