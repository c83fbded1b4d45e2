//! Observability: the scheduler snapshot ([`Stats`], Go's
//! `GODEBUG=schedtrace`), the task dump ([`TaskDump`], Go's goroutine dump)
//! and the test-instrumentation [`Event`]s.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::panic::Location;
use core::time::Duration;
use gocore::atomic::Ordering;

use crate::runtime::{lock, Shared, P_IDLE, P_PUSHING, P_RUNNING, P_SCHED};
use crate::task::{reason_from_code, DONE, IDLE, NOTIFIED, REASON_YIELD, RUNNING, SCHEDULED};

/// A P's state in a [`Stats`] snapshot (Go's P statuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcStatus {
    /// On the idle list (Go: `_Pidle`).
    Idle,
    /// Held by an M that is looking for work (Go: `_Prunning`, in `schedule`).
    Scheduling,
    /// Held by an M polling a task (Go: `_Prunning`).
    Running,
}

/// One P in a [`Stats`] snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcStats {
    /// The P's index.
    pub id: usize,
    /// Idle, scheduling or running.
    pub status: ProcStatus,
    /// Tasks in the ring (Go's `runqtail - runqhead`).
    pub run_queue: usize,
    /// Whether `runnext` holds a task.
    pub runnext: bool,
    /// Go's `schedtick`: time slices started on this P.
    pub schedtick: u32,
    /// Entries in the timer heap (stopped ones included until swept).
    pub timers: usize,
    /// Finished tasks kept for reuse (Go's `gfreecnt`).
    pub free_tasks: usize,
}

/// A snapshot of the scheduler (Go's `schedtrace`). Its `Display` prints
/// Go's line: `SCHED 12ms: gomaxprocs=2 idleprocs=1 threads=3
/// spinningthreads=0 idlethreads=1 runqueue=0 [0 0]`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Time since the runtime was built.
    pub uptime: Duration,
    /// The number of Ps.
    pub gomaxprocs: usize,
    /// Ps on the idle list (Go: `sched.npidle`).
    pub idle_procs: usize,
    /// Worker threads started so far (Go: `mcount()`; sysmon and `block_on`
    /// threads are not counted).
    pub threads: usize,
    /// Ms spinning (Go: `sched.nmspinning`).
    pub spinning_threads: usize,
    /// Ms parked on the idle list (Go: `sched.nmidle`).
    pub idle_threads: usize,
    /// Tasks in the global queue (Go: `sched.runqsize`), counting the
    /// yielded tasks a P holds on their way to it.
    pub global_queue: usize,
    /// Live spawned tasks.
    pub tasks: usize,
    /// Finished tasks on the runtime's global free list, kept for reuse
    /// (Go: `sched.gFree.n`); each P's own list is in [`ProcStats`].
    pub free_tasks_global: usize,
    /// Per P.
    pub procs: Vec<ProcStats>,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCHED {}ms: gomaxprocs={} idleprocs={} threads={} spinningthreads={} idlethreads={} runqueue={}",
            self.uptime.as_millis(),
            self.gomaxprocs,
            self.idle_procs,
            self.threads,
            self.spinning_threads,
            self.idle_threads,
            self.global_queue
        )?;
        for (i, p) in self.procs.iter().enumerate() {
            f.write_str(if i == 0 { " [" } else { " " })?;
            write!(f, "{}", p.run_queue)?;
        }
        if !self.procs.is_empty() {
            f.write_str("]")?;
        }
        Ok(())
    }
}

/// A task's state in a [`TaskDump`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// In a run queue (Go: `runnable`).
    Runnable,
    /// Being polled (Go: `running`).
    Running,
    /// Parked, with the reason its future gave, if any (Go: `waiting`).
    Waiting(Option<gocore::wait::WaitReason>),
}

/// One task in a [`TaskDump`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// The task's id (Go's goroutine id; ids start at 2, as Go's `main` is 1).
    pub id: u64,
    /// Runnable, running or waiting (with why).
    pub state: TaskState,
    /// How long it has been parked (measured by sysmon's coarse clock, so
    /// to a resolution of 20 µs – 10 ms); zero unless waiting.
    pub waiting_for: Duration,
    /// Where it was spawned (`#[track_caller]`).
    pub spawned_at: &'static Location<'static>,
}

/// Every live spawned task, printed like Go's goroutine dump:
///
/// ```text
/// goroutine 7 [chan receive]:
/// created by src/main.rs:12:5
/// ```
///
/// Go adds `, N minutes` to the state after a minute of waiting; so does
/// this dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDump {
    /// The tasks, by id.
    pub tasks: Vec<TaskInfo>,
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state: String = match self.state {
            TaskState::Runnable => "runnable".into(),
            TaskState::Running => "running".into(),
            TaskState::Waiting(Some(r)) => r.as_str().into(),
            TaskState::Waiting(None) => "waiting".into(),
        };
        write!(f, "goroutine {} [{}", self.id, state)?;
        let minutes = self.waiting_for.as_secs() / 60;
        if minutes >= 1 {
            write!(f, ", {minutes} minutes")?;
        }
        write!(f, "]:\ncreated by {}", self.spawned_at)
    }
}

impl fmt::Display for TaskDump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.tasks.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

/// A scheduling event, recorded when the runtime is built with
/// [`Builder::record_events(true)`](crate::Builder::record_events). Tests use
/// them to check Go's order and hand-off rules.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// P `p` polls task `task`; `inherited` when it came from `runnext`
    /// (same time slice).
    Run {
        /// Task id.
        task: u64,
        /// P index.
        p: usize,
        /// Taken from `runnext` (Go's `inheritTime`).
        inherited: bool,
    },
    /// P `p`'s ring overflowed: `tasks` went to the global queue, in order.
    Overflow {
        /// P index.
        p: usize,
        /// Task ids, oldest first; the last is the task that did not fit.
        tasks: Vec<u64>,
    },
    /// P `p` took `n > 1` tasks from the global queue.
    GlobalBatch {
        /// P index.
        p: usize,
        /// Batch size.
        n: usize,
    },
    /// P `thief` stole `n` tasks from P `victim`.
    Steal {
        /// The stealing P.
        thief: usize,
        /// The P stolen from.
        victim: usize,
        /// How many tasks.
        n: usize,
    },
    /// An M was started (or unparked) for P `p`.
    StartM {
        /// P index.
        p: usize,
        /// Whether it starts spinning.
        spinning: bool,
    },
    /// An M holding P `p`, with nothing in its own queues, started spinning
    /// (looking for work to steal): Go's `findRunnable` admits it only when
    /// `2 × spinning < busy`, with `spinning` the Ms spinning before it and
    /// `busy` the Ps not idle (its own included). Ms that `wakep` starts
    /// spinning show as [`StartM`](Event::StartM) instead.
    Spin {
        /// P index.
        p: usize,
        /// Spinning Ms before this one (Go: `sched.nmspinning`).
        spinning: usize,
        /// Ps not idle (Go: `gomaxprocs - sched.npidle`).
        busy: usize,
    },
    /// A spinning M found nothing, released P `p` and stopped spinning;
    /// `work_found` tells whether its one recheck of every queue found work
    /// after all (then it takes an idle P and spins again, Go's "delicate
    /// dance").
    DropSpinning {
        /// The P it released.
        p: usize,
        /// The recheck saw queued work.
        work_found: bool,
    },
    /// An M parked on the idle list (Go's `stopm`).
    StopM,
    /// P `p` was handed off (Go's `handoffp`).
    Handoff {
        /// P index.
        p: usize,
    },
    /// Sysmon took P `p` from an M stuck in a poll (Go's `retake`).
    Retake {
        /// P index.
        p: usize,
    },
    /// A task entered `blocking` holding P `p`.
    EnterBlocking {
        /// P index.
        p: usize,
    },
    /// A task left `blocking` and got P `p`.
    ExitBlocking {
        /// P index.
        p: usize,
    },
    /// Sysmon ended a 10 ms time slice on P `p`: the `runnext` task `task`
    /// went to the global queue.
    Preempt {
        /// P index.
        p: usize,
        /// Task id.
        task: u64,
    },
}

impl Shared {
    pub(crate) fn stats(&self) -> Stats {
        // Counted before taking `sched.lock`: the scan may be long (finished
        // tasks on free lists stay in the registry).
        let spawned = self.live_tasks();
        let s = lock(&self.sched);
        let procs = self
            .ps
            .iter()
            .enumerate()
            .map(|(id, p)| ProcStats {
                id,
                status: match p.status.load(Ordering::Acquire) {
                    P_IDLE => ProcStatus::Idle,
                    P_SCHED => ProcStatus::Scheduling,
                    P_RUNNING | P_PUSHING => ProcStatus::Running,
                    _ => ProcStatus::Scheduling,
                },
                run_queue: p.runq.len(),
                runnext: p.runq.has_runnext(),
                schedtick: p.schedtick.load(Ordering::Relaxed),
                timers: lock(&p.timers).len(),
                free_tasks: p.gfree.len(),
            })
            .collect();
        Stats {
            uptime: self.start.elapsed(),
            gomaxprocs: self.ps.len(),
            idle_procs: s.idle_ps.len(),
            threads: s.mcount,
            spinning_threads: self.nmspinning.load(Ordering::Acquire) as usize,
            idle_threads: s.nmidle,
            global_queue: s.runq.len() + self.ps.iter().map(|p| p.yields.len()).sum::<usize>(),
            tasks: spawned,
            free_tasks_global: self.gfree_global.len(),
            procs,
        }
    }

    pub(crate) fn dump(&self) -> TaskDump {
        let now = self
            .coarse_now
            .load(Ordering::Relaxed)
            .max(self.now_nanos());
        let mut tasks: Vec<TaskInfo> = Vec::new();
        for shard in &self.registry {
            for t in lock(shard).iter() {
                let st = t.state.load(Ordering::Acquire);
                let (state, waiting_for) = match st {
                    IDLE => (
                        TaskState::Waiting(reason_from_code(t.wait_reason.load(Ordering::Relaxed))),
                        Duration::from_nanos(
                            now.saturating_sub(t.wait_since.load(Ordering::Relaxed)),
                        ),
                    ),
                    SCHEDULED => (TaskState::Runnable, Duration::ZERO),
                    // T7: queued after `yield_now`, still RUNNING or
                    // NOTIFIED, with the yield's wait reason.
                    RUNNING | NOTIFIED if t.wait_reason.load(Ordering::Relaxed) == REASON_YIELD => {
                        (TaskState::Runnable, Duration::ZERO)
                    }
                    RUNNING | NOTIFIED => (TaskState::Running, Duration::ZERO),
                    DONE => continue,
                    _ => continue,
                };
                tasks.push(TaskInfo {
                    id: t.id(),
                    state,
                    waiting_for,
                    spawned_at: t.location(),
                });
            }
        }
        tasks.sort_by_key(|t| t.id);
        TaskDump { tasks }
    }
}
