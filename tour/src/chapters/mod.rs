//! The chapters, in reading order. Each crate's issue adds its chapter here.

mod chan;
mod context;
mod core;
mod gc;
mod iface;
mod layout;
mod map;
mod sched;
mod slice;
mod sync;

use crate::Chapter;

/// Every chapter, in the order `cargo xtask tour` shows them.
pub const ALL: &[Chapter] = &[
    Chapter {
        name: "core",
        title: "gocore: fast random, hash seeds, parking",
        run: core::run,
    },
    Chapter {
        name: "map",
        title: "gomap: buckets, tophash, growth and evacuation",
        run: map::run,
    },
    Chapter {
        name: "chan",
        title: "gochan: ring buffer, hand-off, select, close",
        run: chan::run,
    },
    Chapter {
        name: "sync",
        title: "gosync: mutex modes, WaitGroup bytes, sync.Map",
        run: sync::run,
    },
    Chapter {
        name: "slice",
        title: "goslice: shared arrays, append, growth policy",
        run: slice::run,
    },
    Chapter {
        name: "layout",
        title: "golayout: struct padding on 386 and amd64",
        run: layout::run,
    },
    Chapter {
        name: "context",
        title: "gocontext: cancellation trees and timers",
        run: context::run,
    },
    Chapter {
        name: "iface",
        title: "goiface: eface, iface, itabs, assertions, the typed nil",
        run: iface::run,
    },
    Chapter {
        name: "gc",
        title: "gogc: tri-colour marking, write barriers, the checker",
        run: gc::run,
    },
    Chapter {
        name: "sched",
        title: "gosched: Ps, runnext, overflow, stealing, sysmon",
        run: sched::run,
    },
];
