//! A firmware-style program on the gort crates.
//!
//! What a bare-metal user writes: a heap for `alloc`, then Go's data
//! structures with no operating system under them. A `GoMap` counts sensor
//! readings by channel, a `Mutex` guards a shared total, a `WaitGroup`
//! counts outstanding work, a `Slice` keeps a log, and (on targets with compare-and-swap) a buffered channel carries
//! readings from a producer to a consumer while a context tells the loop when
//! to stop. Blocking never happens: the program uses the `try_` operations,
//! and a lock that must wait spins (`gocore::park::SpinPark`).
//!
//! `cargo xtask ci` builds and links it for `thumbv7em-none-eabihf` (default
//! features) and `thumbv6m-none-eabi` (`--no-default-features --features
//! no-cas`); see EMBEDDED.md.
#![no_std]
#![no_main]

extern crate alloc;

use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use embedded_alloc::LlffHeap as Heap;
use panic_halt as _;

use gocore::hash::DefaultHashBuilder;
use gomap::GoMap;
use goslice::Slice;
use gosync::{Mutex, WaitGroup};

#[global_allocator]
static HEAP: Heap = Heap::empty();

const HEAP_BYTES: usize = 16 * 1024;

#[entry]
fn main() -> ! {
    {
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
        // SAFETY: `main` runs once, before anything allocates, and this is
        // the only reference ever taken to HEAP_MEM.
        unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_BYTES) }
    }

    // No OS random source: seed the map's hash explicitly.
    let mut per_channel: GoMap<u8, u32, DefaultHashBuilder> =
        GoMap::with_hasher(DefaultHashBuilder::with_seed(0x5eed));
    let total = Mutex::new(0u32);
    let mut log: Slice<u16> = Slice::new();

    // A WaitGroup counts outstanding work, here one unit per reading. Its
    // 64-bit state word comes from portable-atomic on targets without
    // 64-bit atomics (both thumb targets), with no feature to add.
    let pending = WaitGroup::new();
    for reading in readings() {
        pending.add(1);
        *per_channel.entry(reading.channel).or_insert(0) += 1;
        *total.lock() += u32::from(reading.value);
        log = log.append(reading.value);
        pending.done();
    }
    pending.wait(); // returns at once: every add has its done
    black_box((
        per_channel.len(),
        *total.lock(),
        log.len(),
        pending.counter(),
    ));

    #[cfg(feature = "cas")]
    pipeline();

    loop {
        cortex_m::asm::wfi();
    }
}

#[derive(Clone, Copy)]
struct Reading {
    channel: u8,
    value: u16,
}

fn readings() -> impl Iterator<Item = Reading> {
    (0..64u16).map(|i| Reading {
        channel: (i % 4) as u8,
        value: black_box(i * 3),
    })
}

/// A producer and a consumer over a buffered channel, stopped by a context.
#[cfg(feature = "cas")]
fn pipeline() {
    use gochan::Chan;

    let (ctx, cancel) = gocontext::with_cancel(&gocontext::background());
    let ch: Chan<Reading> = Chan::new(8);
    let mut consumed = 0u32;
    let mut produced = readings();
    while ctx.err().is_none() {
        // Fill the buffer, then drain it, as a main loop would between
        // interrupts.
        while let Some(r) = produced.next() {
            if let Err(e) = ch.try_send(r) {
                let _ = e;
                break;
            }
        }
        while let Ok(r) = ch.try_recv() {
            consumed += u32::from(r.value);
        }
        if consumed > 1000 {
            cancel.cancel();
        }
    }
    black_box(consumed);
}
