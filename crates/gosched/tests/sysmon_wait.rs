//! Sysmon's deep sleep (Go's `sysmonwait`): with every P idle it sleeps
//! until the earliest timer instead of napping every 10 ms, and a P leaving
//! the idle list wakes it, so a poll that blocks its thread right after a
//! quiet spell still loses its P within a few sysmon ticks. One test in its
//! own process, so that the only sysmon thread in it is this runtime's.
//! Linux only (it reads `/proc`).
#![cfg(all(target_os = "linux", not(miri)))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::voluntary_switches;

/// Phase 1: the runtime waits on a timer with its one P idle. Napping,
/// sysmon woke about 30 times in 300 ms of it (10 ms naps); in its deep
/// sleep it wakes at the timer. A machine busy with other work can
/// only delay sysmon's wake-ups, not add to them, so the bound is tight.
///
/// Phase 2: right after such a spell, a task's poll blocks its thread for
/// 300 ms while another task waits on the same P. The P leaving the idle
/// list ends sysmon's deep sleep, so sysmon sees the blocked poll and hands
/// the P to another M: the waiting task runs long before the 300 ms are
/// over. A lost wake-up would leave sysmon asleep until the next timer,
/// and the waiting task behind the blocked poll.
#[test]
fn sysmon_sleeps_while_every_p_is_idle_and_wakes_when_one_is_not() {
    let rt = gosched::Runtime::builder().procs(1).build().unwrap();
    rt.block_on(async {
        // Counted from a thread outside the runtime, so that nothing but
        // the timer takes the P: 100 ms to settle (sysmon backs off, then
        // sleeps), then 300 ms.
        let counter = std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            let before = voluntary_switches("gosched-sysmon");
            std::thread::sleep(Duration::from_millis(300));
            voluntary_switches("gosched-sysmon") - before
        });
        gosched::sleep(Duration::from_millis(450)).await;
        let wakes = gosched::blocking(|| counter.join().unwrap());
        assert!(
            wakes <= 5,
            "sysmon woke {wakes} times in 300 ms with every P idle"
        );

        // No timer pending from here: sysmon's deep sleep can only end by
        // a wake-up (or after a minute).
        gosched::blocking(|| std::thread::sleep(Duration::from_millis(100)));
        let ran = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::sync_channel::<Duration>(1);
        let started = Instant::now();
        let flag = ran.clone();
        gosched::go(async move {
            // Queued behind the blocker on the only P.
            gosched::go(async move {
                flag.store(true, Ordering::SeqCst);
                let _ = tx.send(started.elapsed());
            });
            // A poll that blocks its thread (no system call sysmon sees).
            std::thread::sleep(Duration::from_millis(300));
        });
        let waited = gosched::blocking(move || rx.recv().unwrap());
        assert!(ran.load(Ordering::SeqCst));
        assert!(
            waited < Duration::from_millis(200),
            "the queued task waited {waited:?} behind a blocked poll"
        );
    })
    .unwrap();
}
