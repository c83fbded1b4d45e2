//! loom model of the workers' scan-work counters across a cycle boundary:
//! a worker's last `worker_done` of a cycle must not leak its scan work
//! or assist credit into the next cycle, whose start (after the pause that
//! waited for the worker) clears the counters.
//!
//! Run: `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p gogc --test loom_cycle_counters`
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;

use gocore::model::check as model;
use gogc::__loom::World;

#[test]
fn a_workers_scan_work_is_counted_in_its_own_cycle() {
    model(|| {
        let world: Arc<World<u32>> = Arc::new(World::new());
        world.publish(vec![5]);
        world.start_the_world(true);
        let worker = {
            let world = Arc::clone(&world);
            thread::spawn(move || {
                while let Some(buf) = world.worker_take() {
                    world.worker_done(Vec::new(), u64::from(buf), 0, (1, 8));
                }
            })
        };
        // The next cycle's first pause: the world stops (the worker is
        // done or never started), the counters are cleared.
        drop(world.stop_the_world());
        world.reset_cycle_counters();
        world.start_the_world(false);
        world.exit();
        worker.join().unwrap();
        // Nothing of the last cycle leaks into the new one.
        assert_eq!(world.scanned(), 0, "scan work leaked into the next cycle");
        assert_eq!(world.steal_credit(usize::MAX), 0, "credit leaked");
    });
}
