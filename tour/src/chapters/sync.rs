//! The `sync` chapter (issue #5): the Mutex state word tipping into
//! starvation mode and back, the WaitGroup's 12 bytes and their aligned
//! window, and a sync.Map's read and dirty maps as misses promote dirty.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gosync::raw::MutexState;
use gosync::{RawMutex, SyncMap, WaitGroup};

use crate::draw;

/// Runs the chapter.
pub fn run() {
    mutex_state_word();
    waitgroup_bytes();
    sync_map_promotion();
}

fn state_cells(s: MutexState) -> String {
    draw::cells(&[
        format!("waiters={}", s.waiters()),
        format!("S={}", u8::from(s.starving())),
        format!("W={}", u8::from(s.woken())),
        format!("L={}", u8::from(s.locked())),
    ])
}

fn mutex_state_word() {
    draw::section("Mutex: one 32-bit state word (waiters << 3 | starving | woken | locked)");
    draw::say("Go's sync.Mutex is `state int32` + `sema uint32`. We lock it, let three threads");
    draw::say("queue behind us, and each of them then holds it for 2 ms. A waiter that waited");
    draw::say("more than 1 ms and finds the mutex taken again sets S: starvation mode, where");
    draw::say("Unlock hands the lock straight to the first waiter. Watch the word change:");
    let m = Arc::new(RawMutex::new());
    m.lock();
    let stop = Arc::new(AtomicBool::new(false));
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
            thread::spawn(move || {
                let until = Instant::now() + Duration::from_millis(40);
                while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                    m.lock();
                    thread::sleep(Duration::from_millis(2));
                    // SAFETY: locked just above by this thread.
                    unsafe { m.unlock() };
                }
            })
        })
        .collect();
    let mut seen: Vec<MutexState> = Vec::new();
    let record = |s: MutexState, seen: &mut Vec<MutexState>| {
        if seen.last() != Some(&s) && seen.len() < 14 {
            seen.push(s);
        }
    };
    let t = Instant::now();
    while m.state().waiters() < 3 && t.elapsed() < Duration::from_secs(1) {
        record(m.state(), &mut seen);
        thread::yield_now();
    }
    record(m.state(), &mut seen);
    thread::sleep(Duration::from_millis(3));
    // SAFETY: locked by this thread at the start.
    unsafe { m.unlock() };
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(30) {
        record(m.state(), &mut seen);
        thread::sleep(Duration::from_micros(200));
    }
    stop.store(true, Ordering::Relaxed);
    for h in hs {
        h.join().unwrap();
    }
    record(m.state(), &mut seen);
    for (i, s) in seen.iter().enumerate() {
        let note = match (s.starving(), s.locked(), s.waiters()) {
            (_, _, _) if s.word() == 0 => "all gone: back to 0 (normal mode)",
            (true, false, _) => "starving, L clear: a hand-off to the first waiter is under way",
            (true, true, _) => "starvation mode: newcomers queue at the tail",
            (false, true, 0) => "locked, nobody waiting",
            (false, true, _) => "normal mode: waiters sleep on sema",
            (false, false, _) if s.woken() => {
                "W: a woken waiter is on its way; unlock wakes no one else"
            }
            _ => "unlocked, waiters still queued",
        };
        println!("  {:>2}. word = {:>3}  {note}", i + 1, s.word());
        println!("{}", indent(&state_cells(*s), 6));
    }
    if seen.iter().any(|s| s.starving()) {
        draw::say("The S bit appeared: some waiter went over 1 ms and tipped the mutex.");
    } else {
        draw::say("(This run never caught the S bit set between samples; run again to see it.)");
    }
}

fn indent(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    s.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[repr(C, align(8))]
struct Buf([u32; 6]);

fn waitgroup_bytes() {
    draw::section("WaitGroup: 12 bytes, the 64-bit state in whichever 8 are aligned");
    draw::say("Go 1.19 keeps `state1 uint64; state2 uint32`: counter (high 32 bits) and waiter");
    draw::say("count (low 32) in one 64-bit word, plus a semaphore. On 64-bit Go that is 16");
    draw::say("bytes (align 8, 4 of padding); on 32-bit targets 12 bytes at align 4, and Go");
    draw::say("picks at run time which 8 bytes are 8-aligned. gosync does that everywhere:");
    draw::say("Go 1.19 on a 64-bit target (state1 always 8-aligned):");
    println!(
        "{}",
        indent(&draw::cells(&["waiters", "counter", "sema", "(pad)"]), 4)
    );
    println!("    ^^^^^^^^^^^^^^^^^^^^^^                <- state1 uint64, 16 bytes in all");
    draw::say("Go 1.19 on a 32-bit target, and gosync on every target (12 bytes, align 4):");
    println!(
        "  size_of::<WaitGroup>() = {}, align_of = {}",
        core::mem::size_of::<WaitGroup>(),
        core::mem::align_of::<WaitGroup>()
    );
    let mut buf = Buf([0; 6]);
    for word in [0usize, 1] {
        let p = buf.0.as_mut_ptr().wrapping_add(word).cast::<WaitGroup>();
        // SAFETY: a 4-aligned, 12-byte slot inside `buf`, initialised here.
        unsafe { p.write(WaitGroup::new()) };
        // SAFETY: initialised above; `buf` outlives `wg`.
        let wg = unsafe { &*p };
        wg.add(3);
        let w = wg.window();
        // SAFETY: reading the three words of a WaitGroup nobody else uses.
        let words = unsafe { p.cast::<[u32; 3]>().read() };
        let role = |i: usize| {
            let off = i * 4;
            if off == w.sema_offset {
                "sema"
            } else if (off == w.state_offset) == (w.counter_shift == 0) {
                "counter"
            } else {
                "waiters"
            }
        };
        println!(
            "\n  WaitGroup at address ≡ {} (mod 8) after add(3): state = bytes {}..{} (8-aligned), sema = bytes {}..{}",
            (p as usize) % 8,
            w.state_offset,
            w.state_offset + 8,
            w.sema_offset,
            w.sema_offset + 4
        );
        let labels: Vec<String> = (0..3)
            .map(|i| format!("{} {}", role(i), words[i]))
            .collect();
        println!("{}", indent(&draw::cells(&labels), 4));
        let mark: String = (0..3)
            .map(|i| {
                let off = i * 4;
                if off >= w.state_offset && off < w.state_offset + 8 {
                    "^^^^^^^^^^^^"
                } else {
                    "            "
                }
            })
            .collect();
        println!("    {mark}  <- the 64-bit state word");
        wg.add(-3);
    }
    draw::say(
        "\nThe counter sits in word 1 in both windows, so a WaitGroup moved to an address of",
    );
    draw::say("the other parity (Rust moves values; Go forbids copying) keeps its count.");
}

fn sync_map_promotion() {
    draw::section("sync.Map: a read map for free loads, a dirty map behind a Mutex");
    draw::say("New keys go to dirty and set `amended`. A load that misses read while amended");
    draw::say("takes the lock and counts a miss; at misses == len(dirty), dirty is promoted.");
    let m = SyncMap::new();
    let show = |what: &str, m: &SyncMap<&str, u32>| {
        let s = m.stats();
        let dirty = s
            .dirty_len
            .map_or_else(|| String::from("nil"), |n| n.to_string());
        println!(
            "  {what:<40} read {} keys ({} live)  dirty {dirty:<4} amended {:<5}  misses {}",
            s.read_len, s.read_live, s.amended, s.misses
        );
    };
    show("new map", &m);
    for k in ["a", "b", "c"] {
        m.store(k, 1);
        show(&format!("store({k:?}): new key -> dirty"), &m);
    }
    for k in ["a", "b", "c"] {
        m.load(&k);
        show(&format!("load({k:?}): miss"), &m);
    }
    m.load(&"a");
    show("load(\"a\"): hits read, lock-free", &m);
    m.store("a", 2);
    show("store(\"a\"): CAS on read's entry", &m);
    m.delete(&"b");
    show("delete(\"b\"): read entry -> nil", &m);
    m.store("d", 1);
    show("store(\"d\"): dirty rebuilt, b expunged", &m);
    m.range(|_, _| true);
    show("range: promotes dirty first", &m);
}
