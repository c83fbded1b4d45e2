//! Hostile user code: a `Park` that panics or returns spuriously, foreign
//! wakers that panic in `clone`, `wake` or `drop`, receives dropped after
//! being handed a value, blocking calls from thread-local destructors, and
//! capacities Go rejects. Every value is tracked: it must be dropped exactly
//! once, or come back out of the channel.
#![cfg(feature = "std")]

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

use gochan::{Chan, MakeChanError, Select, TryRecvError, TrySendError};
use gocore::park::Park;

/// A value that counts its drops.
#[derive(Debug)]
struct D(u32, Arc<AtomicUsize>);

impl Drop for D {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn drops(c: &Arc<AtomicUsize>) -> usize {
    c.load(Ordering::SeqCst)
}

// ---------------------------------------------------------------------------
// Parkers

/// A `Park` that panics when asked to sleep.
struct PanicPark;

impl Park for PanicPark {
    fn park(&self) {
        panic!("PanicPark::park");
    }
    fn unpark(&self) {}
}

/// A `Park` that first runs `action` (a counterpart completing the parked
/// operation), then panics.
struct ActThenPanic<F>(Mutex<Option<F>>);

impl<F: FnOnce() + Send> Park for ActThenPanic<F> {
    fn park(&self) {
        if let Some(f) = self.0.lock().unwrap().take() {
            f();
        }
        panic!("ActThenPanic::park");
    }
    fn unpark(&self) {}
}

/// A `Park` that returns at once without a token (spuriously); on its third
/// call it also runs `action`.
struct Spurious<F> {
    calls: AtomicUsize,
    action: Mutex<Option<F>>,
}

impl<F: FnOnce() + Send> Park for Spurious<F> {
    fn park(&self) {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 2 {
            if let Some(f) = self.action.lock().unwrap().take() {
                f();
            }
        }
    }
    fn unpark(&self) {}
}

#[test]
fn panicking_park_in_send_with_unlinks_and_drops_the_value_once() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| {
        c.send_with(D(1, n.clone()), &Arc::new(PanicPark))
    }));
    assert!(r.is_err(), "the park panicked");
    assert_eq!(c.snapshot().unwrap().sendq, 0, "no sudog left in the queue");
    assert_eq!(drops(&n), 1, "the unsent value was dropped exactly once");
    assert_eq!(c.try_recv().map(|d| d.0), Err(TryRecvError::Empty));
    assert_eq!(drops(&n), 1);
}

#[test]
fn panicking_park_in_recv_with_unlinks() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let r = catch_unwind(AssertUnwindSafe(|| c.recv_with(&Arc::new(PanicPark))));
    assert!(r.is_err());
    assert_eq!(c.snapshot().unwrap().recvq, 0, "no sudog left in the queue");
    // Nobody is receiving any more: an unbuffered send cannot proceed.
    match c.try_send(D(2, n.clone())) {
        Err(TrySendError::Full(d)) => assert_eq!(d.0, 2),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(drops(&n), 1);
}

#[test]
fn panicking_park_after_being_handed_a_value_gives_it_back() {
    for cap in [0, 1, 2] {
        let n = counter();
        let c = Chan::<D>::new(cap);
        let (c2, n2) = (c.clone(), n.clone());
        // The park delivers a value to the parked receiver, then panics.
        let park = Arc::new(ActThenPanic(Mutex::new(Some(move || {
            c2.try_send(D(7, n2)).unwrap();
        }))));
        let r = catch_unwind(AssertUnwindSafe(|| c.recv_with(&park)));
        assert!(r.is_err());
        assert_eq!(drops(&n), 0, "the handed value was not dropped");
        assert!(c.len() <= c.cap(), "cap {cap}: len {} > cap", c.len());
        if cap == 0 {
            assert_eq!(c.len(), 0, "an unbuffered channel never reports a length");
        }
        let d = c.try_recv().expect("the value is back in the channel");
        assert_eq!(d.0, 7);
        drop(d);
        assert_eq!(drops(&n), 1);
        assert_eq!(c.try_recv().map(|d| d.0), Err(TryRecvError::Empty));
    }
}

#[test]
fn panicking_park_after_a_hand_off_and_close_gives_the_value_back_first() {
    for cap in [0, 1] {
        let n = counter();
        let c = Chan::<D>::new(cap);
        let (c2, n2) = (c.clone(), n.clone());
        // The park is handed a value, the channel closes, then it panics.
        let park = Arc::new(ActThenPanic(Mutex::new(Some(move || {
            c2.try_send(D(7, n2)).unwrap();
            c2.close().unwrap();
        }))));
        let r = catch_unwind(AssertUnwindSafe(|| c.recv_with(&park)));
        assert!(r.is_err());
        assert_eq!(drops(&n), 0);
        assert!(c.len() <= c.cap());
        assert_eq!(c.recv_with(&Arc::new(PanicPark)).map(|d| d.0), Some(7));
        assert_eq!(c.recv_with(&Arc::new(PanicPark)).map(|d| d.0), None);
        assert_eq!(drops(&n), 1);
    }
}

#[test]
fn panicking_park_after_its_value_was_taken_drops_nothing() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let got = Arc::new(Mutex::new(None));
    let (c2, got2) = (c.clone(), got.clone());
    let park = Arc::new(ActThenPanic(Mutex::new(Some(move || {
        *got2.lock().unwrap() = Some(c2.try_recv().unwrap());
    }))));
    let r = catch_unwind(AssertUnwindSafe(|| c.send_with(D(3, n.clone()), &park)));
    assert!(r.is_err());
    assert_eq!(drops(&n), 0, "the receiver owns the value now");
    assert_eq!(got.lock().unwrap().take().map(|d| d.0), Some(3));
    assert_eq!(drops(&n), 1);
    assert_eq!(c.snapshot().unwrap().sendq, 0);
}

#[test]
fn spuriously_returning_park_is_harmless() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let got = Arc::new(Mutex::new(None));
    let (c2, got2) = (c.clone(), got.clone());
    let park = Arc::new(Spurious {
        calls: AtomicUsize::new(0),
        action: Mutex::new(Some(move || {
            *got2.lock().unwrap() = Some(c2.try_recv().unwrap());
        })),
    });
    c.send_with(D(4, n.clone()), &park).unwrap();
    assert!(
        park.calls.load(Ordering::SeqCst) >= 3,
        "it parked again after spurious returns"
    );
    assert_eq!(got.lock().unwrap().take().map(|d| d.0), Some(4));

    let (c3, n3) = (c.clone(), n.clone());
    let park = Arc::new(Spurious {
        calls: AtomicUsize::new(0),
        action: Mutex::new(Some(move || c3.try_send(D(5, n3)).unwrap())),
    });
    assert_eq!(c.recv_with(&park).map(|d| d.0), Some(5));
    assert_eq!(drops(&n), 2);
    let s = c.snapshot().unwrap();
    assert_eq!((s.sendq, s.recvq), (0, 0));
}

// ---------------------------------------------------------------------------
// Foreign wakers

/// What a [`hostile`] waker does.
#[derive(Default)]
struct Hostile {
    clone_panics: bool,
    wake_panics: bool,
    /// Shared, so a test's [`Hostile::on_clone`] action can arm it.
    drop_panics: Arc<AtomicBool>,
    wakes: AtomicUsize,
    /// Run (once) by the next `clone`, before it returns.
    on_clone: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(h_clone, h_wake, h_wake_by_ref, h_drop);

fn raw(h: Arc<Hostile>) -> RawWaker {
    RawWaker::new(Arc::into_raw(h).cast::<()>(), &VTABLE)
}

/// A waker over `h` (a strong count of `h` per waker).
fn hostile(h: &Arc<Hostile>) -> Waker {
    // SAFETY: the vtable's functions treat the data pointer as the
    // `Arc<Hostile>` that `raw` leaked, one strong count per waker.
    unsafe { Waker::from_raw(raw(h.clone())) }
}

/// Borrows the `Hostile` behind a waker's data pointer without consuming it.
///
/// # Safety
///
/// `p` comes from `raw` and its waker is alive.
unsafe fn borrow(p: *const ()) -> ManuallyDrop<Arc<Hostile>> {
    // SAFETY: the caller's contract: `p` is a live `Arc::into_raw` pointer.
    ManuallyDrop::new(unsafe { Arc::from_raw(p.cast::<Hostile>()) })
}

unsafe fn h_clone(p: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned is alive.
    let h = unsafe { borrow(p) };
    if h.clone_panics {
        panic!("hostile waker: clone");
    }
    let action = h.on_clone.lock().unwrap().take();
    if let Some(f) = action {
        f();
    }
    raw(Arc::clone(&h))
}

unsafe fn h_wake(p: *const ()) {
    // SAFETY: `wake` consumes the waker: take its strong count (released
    // also if we panic below).
    let h = unsafe { Arc::from_raw(p.cast::<Hostile>()) };
    h.wakes.fetch_add(1, Ordering::SeqCst);
    if h.wake_panics {
        panic!("hostile waker: wake");
    }
}

unsafe fn h_wake_by_ref(p: *const ()) {
    // SAFETY: the waker is alive.
    let h = unsafe { borrow(p) };
    h.wakes.fetch_add(1, Ordering::SeqCst);
    if h.wake_panics {
        panic!("hostile waker: wake_by_ref");
    }
}

unsafe fn h_drop(p: *const ()) {
    // SAFETY: the waker is being dropped: take its strong count.
    let h = unsafe { Arc::from_raw(p.cast::<Hostile>()) };
    if h.drop_panics.load(Ordering::SeqCst) {
        panic!("hostile waker: drop");
    }
}

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

#[test]
fn waker_clone_panic_in_send_async_keeps_the_value_and_links_nothing() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let h = Arc::new(Hostile {
        clone_panics: true,
        ..Hostile::default()
    });
    let w = hostile(&h);
    {
        let mut fut = pin!(c.send_async(D(1, n.clone())));
        let r = catch_unwind(AssertUnwindSafe(|| poll_once(fut.as_mut(), &w)));
        assert!(r.is_err(), "the clone panicked");
        assert_eq!(c.snapshot().unwrap().sendq, 0);
        assert_eq!(drops(&n), 0, "the future still owns the value");
    }
    assert_eq!(drops(&n), 1, "dropping the future drops the value once");
    {
        let mut fut = pin!(c.recv_async());
        let r = catch_unwind(AssertUnwindSafe(|| poll_once(fut.as_mut(), &w)));
        assert!(r.is_err());
        assert_eq!(c.snapshot().unwrap().recvq, 0);
    }
}

#[test]
fn waker_wake_panic_after_a_receive_gives_the_value_back() {
    // A sender parked with a waker that panics when woken: each receive
    // path wakes it after taking the value, and must not lose the value.
    for path in 0..4 {
        let n = counter();
        let c = Chan::<D>::new(0);
        let h = Arc::new(Hostile {
            wake_panics: true,
            ..Hostile::default()
        });
        let w = hostile(&h);
        let mut send = pin!(c.send_async(D(path, n.clone())));
        assert!(poll_once(send.as_mut(), &w).is_pending());
        let r = catch_unwind(AssertUnwindSafe(|| match path {
            0 => c.try_recv().ok().map(|d| d.0),
            1 => c.recv().map(|d| d.0),
            2 => {
                let mut sel = Select::new();
                sel.recv(&c, |v: Option<D>| v.map(|d| d.0));
                sel.select()
            }
            _ => {
                let empty = Chan::<D>::new(0);
                let mut sel = Select::new();
                sel.recv(&empty, |v: Option<D>| v.map(|d| d.0));
                sel.recv(&c, |v: Option<D>| v.map(|d| d.0));
                sel.select()
            }
        }));
        assert!(r.is_err(), "path {path}: the wake panicked");
        assert_eq!(h.wakes.load(Ordering::SeqCst), 1);
        assert_eq!(drops(&n), 0, "path {path}: the value was not dropped");
        assert_eq!(c.len(), 0);
        assert_eq!(
            c.try_recv().map(|d| d.0),
            Ok(path),
            "path {path}: value is back"
        );
        assert_eq!(drops(&n), 1);
        // The sender's sudog was completed: its future is ready.
        assert!(matches!(poll_once(send.as_mut(), &w), Poll::Ready(Ok(()))));
    }
}

#[test]
fn waker_wake_panic_in_recv_async_gives_the_value_back() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let h = Arc::new(Hostile {
        wake_panics: true,
        ..Hostile::default()
    });
    let w = hostile(&h);
    let mut send = pin!(c.send_async(D(9, n.clone())));
    assert!(poll_once(send.as_mut(), &w).is_pending());
    let quiet = Waker::noop();
    let mut recv = pin!(c.recv_async());
    let r = catch_unwind(AssertUnwindSafe(|| poll_once(recv.as_mut(), quiet)));
    assert!(r.is_err());
    assert_eq!(drops(&n), 0);
    assert_eq!(c.try_recv().map(|d| d.0), Ok(9));
    assert_eq!(drops(&n), 1);
}

#[test]
fn waker_drop_panic_when_replaced_leaves_the_channel_consistent() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let h = Arc::new(Hostile::default());
    let first = hostile(&h);
    let mut recv = pin!(c.recv_async());
    assert!(poll_once(recv.as_mut(), &first).is_pending());
    h.drop_panics.store(true, Ordering::SeqCst);
    // A different waker replaces the stored clone, whose drop panics.
    let r = catch_unwind(AssertUnwindSafe(|| poll_once(recv.as_mut(), Waker::noop())));
    assert!(r.is_err(), "dropping the replaced waker panicked");
    h.drop_panics.store(false, Ordering::SeqCst);
    assert_eq!(
        c.snapshot().unwrap().recvq,
        1,
        "still parked, with the new waker"
    );
    c.try_send(D(1, n.clone())).unwrap();
    assert_eq!(h.wakes.load(Ordering::SeqCst), 0, "the old waker is gone");
    assert!(matches!(
        poll_once(recv.as_mut(), Waker::noop()),
        Poll::Ready(Some(D(1, _)))
    ));
    assert_eq!(drops(&n), 1);
    drop(first);
}

#[test]
fn close_keeps_waking_after_a_waker_panics() {
    let c = Chan::<u8>::new(0);
    let bad = Arc::new(Hostile {
        wake_panics: true,
        ..Hostile::default()
    });
    let good: Vec<Arc<Hostile>> = (0..3).map(|_| Arc::new(Hostile::default())).collect();
    let bad_w = hostile(&bad);
    let mut first = pin!(c.recv_async());
    assert!(poll_once(first.as_mut(), &bad_w).is_pending());
    let good_w: Vec<Waker> = good.iter().map(hostile).collect();
    let mut rest: Vec<_> = good_w.iter().map(|_| Box::pin(c.recv_async())).collect();
    for (f, w) in rest.iter_mut().zip(&good_w) {
        assert!(poll_once(f.as_mut(), w).is_pending());
    }
    let r = catch_unwind(AssertUnwindSafe(|| c.close()));
    assert!(r.is_err(), "the first waker panicked");
    assert!(c.is_closed());
    for g in &good {
        assert_eq!(
            g.wakes.load(Ordering::SeqCst),
            1,
            "every other waiter was woken"
        );
    }
    let s = c.snapshot().unwrap();
    assert_eq!((s.recvq, s.sendq), (0, 0));
    for f in &mut rest {
        assert!(matches!(
            poll_once(f.as_mut(), Waker::noop()),
            Poll::Ready(None)
        ));
    }
    assert!(matches!(
        poll_once(first.as_mut(), Waker::noop()),
        Poll::Ready(None)
    ));
}

/// A task waker whose `clone` re-enters the channel (closing it, or
/// completing the very receive being polled): it runs with no lock held, so
/// it neither deadlocks nor leaves anything linked, and the poll sees the
/// new state.
#[test]
fn waker_clone_that_reenters_the_channel() {
    let n = counter();
    // A receive's clone closes the channel: the poll reports closed.
    let c = Chan::<D>::new(0);
    let h = Arc::new(Hostile::default());
    let c2 = c.clone();
    *h.on_clone.lock().unwrap() = Some(Box::new(move || c2.close().unwrap()));
    let w = hostile(&h);
    let mut recv = pin!(c.recv_async());
    assert!(matches!(poll_once(recv.as_mut(), &w), Poll::Ready(None)));
    assert_eq!(c.snapshot().unwrap().recvq, 0);

    // A send's clone closes the channel: the value comes back.
    let c = Chan::<D>::new(0);
    let c2 = c.clone();
    *h.on_clone.lock().unwrap() = Some(Box::new(move || c2.close().unwrap()));
    let mut send = pin!(c.send_async(D(1, n.clone())));
    match poll_once(send.as_mut(), &w) {
        Poll::Ready(Err(e)) => assert_eq!(e.into_inner().0, 1),
        other => panic!("expected the value back, got {other:?}"),
    }
    assert_eq!(c.snapshot().unwrap().sendq, 0);
    assert_eq!(drops(&n), 1);

    // A queued receive re-polled with a new waker, whose clone hands the
    // receive its value: the re-poll finds it completed.
    let c = Chan::<D>::new(0);
    let mut recv = pin!(c.recv_async());
    assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
    let (c2, n2) = (c.clone(), n.clone());
    *h.on_clone.lock().unwrap() = Some(Box::new(move || c2.try_send(D(2, n2)).unwrap()));
    match poll_once(recv.as_mut(), &w) {
        Poll::Ready(Some(d)) => assert_eq!(d.0, 2),
        other => panic!("expected the value, got {other:?}"),
    }
    assert_eq!(c.snapshot().unwrap().recvq, 0);
    assert_eq!(drops(&n), 2);
}

/// A `Park` that counts `unpark`s and whose `park` returns at once (a
/// spurious return, which the wait absorbs): a waiter that is never woken
/// still finishes, and the count tells whether it was woken.
#[derive(Default)]
struct CountPark {
    unparks: AtomicUsize,
}

impl Park for CountPark {
    fn park(&self) {
        std::thread::yield_now();
    }
    fn unpark(&self) {
        self.unparks.fetch_add(1, Ordering::SeqCst);
    }
}

/// An async send or receive first finds nothing, so it clones the task's
/// waker (outside the lock) and tries again; meanwhile a counterpart parks
/// (started from the clone itself), and the spare clone's `drop` panics.
/// The counterpart, already completed, must still be woken: a blocked
/// thread that is completed but never woken sleeps forever.
#[test]
fn a_panicking_spare_waker_drop_still_wakes_the_counterpart() {
    for recv_future in [true, false] {
        let n = counter();
        let c = Chan::<D>::new(0);
        let park = Arc::new(CountPark::default());
        let h = Arc::new(Hostile::default());
        let go = Arc::new(AtomicBool::new(false));
        let (c2, go2, arm) = (c.clone(), go.clone(), h.drop_panics.clone());
        *h.on_clone.lock().unwrap() = Some(Box::new(move || {
            go2.store(true, Ordering::SeqCst);
            let s = if recv_future {
                |s: &gochan::Snapshot| s.sendq
            } else {
                |s: &gochan::Snapshot| s.recvq
            };
            wait_parked(&c2, s);
            arm.store(true, Ordering::SeqCst);
        }));
        let w = hostile(&h);
        std::thread::scope(|s| {
            let counterpart = s.spawn(|| {
                while !go.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                if recv_future {
                    c.send_with(D(1, n.clone()), &park).unwrap();
                    None
                } else {
                    c.recv_with(&park).map(|d| d.0)
                }
            });
            let r = if recv_future {
                let mut fut = pin!(c.recv_async());
                catch_unwind(AssertUnwindSafe(|| {
                    let _ = poll_once(fut.as_mut(), &w);
                }))
            } else {
                let mut fut = pin!(c.send_async(D(2, n.clone())));
                catch_unwind(AssertUnwindSafe(|| {
                    let _ = poll_once(fut.as_mut(), &w);
                }))
            };
            assert!(r.is_err(), "the spare waker's drop panicked");
            h.drop_panics.store(false, Ordering::SeqCst);
            let got = counterpart.join().unwrap();
            assert_eq!(
                park.unparks.load(Ordering::SeqCst),
                1,
                "recv_future {recv_future}: the completed counterpart was woken"
            );
            if recv_future {
                assert_eq!(c.try_recv().map(|d| d.0), Ok(1), "the value is back");
            } else {
                assert_eq!(got, Some(2));
            }
        });
        assert_eq!(drops(&n), 1);
        let s = c.snapshot().unwrap();
        assert_eq!((s.sendq, s.recvq), (0, 0));
    }
}

// ---------------------------------------------------------------------------
// Values given back by dropped receives: len() <= cap(), send and try_send agree

/// Parks a `recv_async` on `c`, has `send` hand it a value, then drops it.
fn hand_then_drop(c: &Chan<D>, v: D) {
    let mut recv = Box::pin(c.recv_async());
    assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
    c.try_send(v).unwrap();
    drop(recv);
}

#[test]
fn dropped_recv_async_value_counts_toward_capacity() {
    let n = counter();
    let c = Chan::<D>::new(2);
    let mut recv = Box::pin(c.recv_async());
    assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
    c.try_send(D(1, n.clone())).unwrap(); // handed to `recv`
    c.try_send(D(2, n.clone())).unwrap(); // buffered
    drop(recv); // 1 comes back, ahead of 2
    assert_eq!(c.len(), 2);
    assert!(c.len() <= c.cap());
    assert!(matches!(
        c.try_send(D(3, n.clone())),
        Err(TrySendError::Full(_))
    ));
    // `send` agrees: there is no room.
    assert!(c
        .send_timeout(D(4, n.clone()), Duration::from_millis(1))
        .is_err());
    assert_eq!(c.len(), 2);
    assert_eq!(c.try_recv().map(|d| d.0), Ok(1));
    assert_eq!(c.try_recv().map(|d| d.0), Ok(2));
    assert_eq!(c.try_recv().map(|d| d.0), Err(TryRecvError::Empty));
    assert_eq!(drops(&n), 4);
}

#[test]
fn dropped_recv_async_on_a_full_buffer_while_senders_wait() {
    let n = counter();
    let c = Chan::<D>::new(1);
    let mut recv = Box::pin(c.recv_async());
    assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
    c.try_send(D(1, n.clone())).unwrap(); // handed to `recv`
    c.try_send(D(2, n.clone())).unwrap(); // fills the buffer
    let mut send = Box::pin(c.send_async(D(3, n.clone())));
    assert!(poll_once(send.as_mut(), Waker::noop()).is_pending()); // parked
    drop(recv);
    assert_eq!((c.len(), c.cap()), (1, 1));
    assert!(matches!(
        c.try_send(D(4, n.clone())),
        Err(TrySendError::Full(_))
    ));
    let got: Vec<u32> = std::iter::from_fn(|| c.try_recv().ok())
        .map(|d| d.0)
        .collect();
    assert_eq!(got, [1, 2, 3], "FIFO: the given-back value first");
    assert!(matches!(
        poll_once(send.as_mut(), Waker::noop()),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(drops(&n), 4);
}

#[test]
fn dropped_recv_async_on_an_unbuffered_channel_keeps_len_zero() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let mut r1 = Box::pin(c.recv_async());
    let mut r2 = Box::pin(c.recv_async());
    assert!(poll_once(r1.as_mut(), Waker::noop()).is_pending());
    assert!(poll_once(r2.as_mut(), Waker::noop()).is_pending());
    c.try_send(D(1, n.clone())).unwrap(); // handed to r1
    c.try_send(D(2, n.clone())).unwrap(); // handed to r2
    drop(r2);
    drop(r1);
    assert_eq!(c.len(), 0, "an unbuffered channel has no length");
    assert!(matches!(
        c.try_send(D(9, n.clone())),
        Err(TrySendError::Full(_))
    ));
    let mut send = Box::pin(c.send_async(D(3, n.clone())));
    assert!(poll_once(send.as_mut(), Waker::noop()).is_pending());
    let got: Vec<u32> = std::iter::from_fn(|| c.try_recv().ok())
        .map(|d| d.0)
        .collect();
    // Given-back values come before the parked sender's; each goes back to
    // the head, so the last one given back comes out first.
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(c.len(), 0);
    assert_eq!(drops(&n), 4);
}

#[test]
fn given_back_values_survive_close_and_channel_drop() {
    let n = counter();
    let c = Chan::<D>::new(1);
    hand_then_drop(&c, D(1, n.clone())); // into the buffer (room)
    let mut recv = Box::pin(c.recv_async());
    assert_eq!(
        poll_once(recv.as_mut(), Waker::noop()).map(|v| v.map(|d| d.0)),
        Poll::Ready(Some(1))
    );
    drop(recv);
    let u = Chan::<D>::new(0);
    hand_then_drop(&u, D(2, n.clone())); // into the stash
    u.close().unwrap();
    assert_eq!(u.recv().map(|d| d.0), Some(2), "drained after close");
    assert_eq!(u.recv().map(|d| d.0), None);
    hand_then_drop(&c, D(3, n.clone()));
    drop(c); // frees the buffered value
    assert_eq!(drops(&n), 3);
}

#[test]
fn a_value_given_back_after_close_drains_before_closed() {
    for cap in [0, 1, 2] {
        let n = counter();
        let c = Chan::<D>::new(cap);
        let mut recv = Box::pin(c.recv_async());
        assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
        c.try_send(D(1, n.clone())).unwrap(); // handed to `recv`
        for i in 0..cap as u32 {
            c.try_send(D(2 + i, n.clone())).unwrap(); // buffered
        }
        // A sender parked on the full buffer gets its value back at close.
        let mut send = Box::pin(c.send_async(D(9, n.clone())));
        assert!(poll_once(send.as_mut(), Waker::noop()).is_pending());
        c.close().unwrap();
        match poll_once(send.as_mut(), Waker::noop()) {
            Poll::Ready(Err(e)) => assert_eq!(e.into_inner().0, 9),
            other => panic!("cap {cap}: expected the value back, got {other:?}"),
        }
        drop(send);
        drop(recv); // gives 1 back to the closed channel
        assert!(c.len() <= c.cap());
        let got: Vec<u32> = std::iter::from_fn(|| c.recv()).map(|d| d.0).collect();
        let want: Vec<u32> = (1..=cap as u32 + 1).collect();
        assert_eq!(got, want, "cap {cap}: given back first, then buffered");
        assert_eq!(c.try_recv().map(|d| d.0), Err(TryRecvError::Closed));
        assert_eq!(drops(&n), cap + 2);
    }
}

/// `Iter` is a `FusedIterator`, and Go's `for v := range c` never resumes
/// once it has ended: a value a dropped receive gives back to the closed,
/// drained channel after the iterator returned `None` stays in the channel
/// (a plain `recv` still gets it) instead of reviving the iterator.
#[test]
fn an_ended_iter_stays_ended_when_a_value_is_given_back() {
    for cap in [0, 1, 2] {
        let n = counter();
        let c = Chan::<D>::new(cap);
        let mut recv = Box::pin(c.recv_async());
        assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
        c.try_send(D(1, n.clone())).unwrap(); // handed to `recv`
        c.close().unwrap();
        let mut it = c.iter();
        assert!(it.next().is_none(), "cap {cap}: closed and drained");
        drop(recv); // gives 1 back to the closed channel
        assert!(
            it.next().is_none(),
            "cap {cap}: a fused iterator stays ended"
        );
        assert_eq!(
            c.recv().map(|d| d.0),
            Some(1),
            "cap {cap}: the value is not lost"
        );
        assert!(c.recv().is_none());
        assert_eq!(drops(&n), 1);
    }
}

/// `IntoIter` (the owning `for v := range c`) ends for good as `Iter` does:
/// a value given back after it returned `None` stays in the channel instead
/// of reviving it, which it did (and it was no `FusedIterator`).
#[test]
fn an_ended_into_iter_stays_ended_when_a_value_is_given_back() {
    for cap in [0, 1, 2] {
        let n = counter();
        let c = Chan::<D>::new(cap);
        let mut recv = Box::pin(c.recv_async());
        assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
        c.try_send(D(1, n.clone())).unwrap(); // handed to `recv`
        c.close().unwrap();
        let mut it = c.receiver().into_iter();
        assert!(it.next().is_none(), "cap {cap}: closed and drained");
        drop(recv); // gives 1 back to the closed channel
        assert!(it.next().is_none(), "cap {cap}: stays ended");
        assert_eq!(c.recv().map(|d| d.0), Some(1), "cap {cap}: not lost");
        drop(it);
        assert_eq!(drops(&n), 1);
    }
    fn fused<I: core::iter::FusedIterator>(_: &I) {}
    fused(&Chan::<u8>::new(0).into_iter());
}

/// Close races receives that are dropped after being handed a value, under
/// threads: every value sent is received exactly once — by a receiver, or,
/// if every receiver had already seen the channel closed when it was given
/// back, by the final drain — and dropped exactly once.
#[cfg_attr(miri, ignore)]
#[test]
fn close_racing_dropped_recv_async_loses_nothing() {
    const K: u32 = 4;
    for cap in [0, 1, 3] {
        for _ in 0..300 {
            let n = counter();
            let c = Chan::<D>::new(cap);
            let received = AtomicUsize::new(0);
            let over = AtomicUsize::new(0);
            std::thread::scope(|s| {
                s.spawn(|| {
                    for i in 0..K {
                        c.send(D(i, n.clone())).unwrap();
                    }
                    c.close().unwrap();
                });
                // Cancelling receivers: poll once, maybe yield, drop.
                for _ in 0..2 {
                    s.spawn(|| loop {
                        if c.len() > c.cap() {
                            over.fetch_add(1, Ordering::SeqCst);
                        }
                        let mut fut = Box::pin(c.recv_async());
                        match poll_once(fut.as_mut(), Waker::noop()) {
                            Poll::Ready(Some(_)) => {
                                received.fetch_add(1, Ordering::SeqCst);
                            }
                            Poll::Ready(None) => break,
                            Poll::Pending => {
                                std::thread::yield_now();
                                drop(fut);
                            }
                        }
                    });
                }
                // A plain receiver keeps the senders moving.
                s.spawn(|| {
                    while c.recv().is_some() {
                        received.fetch_add(1, Ordering::SeqCst);
                    }
                });
            });
            let rest = std::iter::from_fn(|| c.try_recv().ok()).count();
            assert_eq!(c.try_recv().map(|d| d.0), Err(TryRecvError::Closed));
            assert_eq!(
                received.load(Ordering::SeqCst) + rest,
                K as usize,
                "cap {cap}"
            );
            assert_eq!(drops(&n), K as usize);
            assert_eq!(over.load(Ordering::SeqCst), 0);
        }
    }
}

#[test]
fn dropping_a_channel_drops_buffered_and_given_back_values_once_despite_a_panic() {
    /// Panics in `drop` when its flag says so.
    struct Bomb(bool, Arc<AtomicUsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
            if self.0 {
                panic!("Bomb::drop");
            }
        }
    }
    let n = counter();
    let c = Chan::<Bomb>::new(2);
    let mut recv = Box::pin(c.recv_async());
    assert!(poll_once(recv.as_mut(), Waker::noop()).is_pending());
    c.try_send(Bomb(false, n.clone())).unwrap(); // handed to `recv`
    c.try_send(Bomb(true, n.clone())).unwrap(); // buffered
    c.try_send(Bomb(false, n.clone())).unwrap(); // buffered: full
    drop(recv); // the handed value goes to the stash (the buffer is full)
    assert_eq!(c.len(), 2);
    let r = catch_unwind(AssertUnwindSafe(move || drop(c)));
    assert!(r.is_err(), "the buffered bomb panicked");
    assert_eq!(
        drops(&n),
        3,
        "every value dropped once, the stashed one too"
    );
}

// ---------------------------------------------------------------------------
// Blocking calls from thread-local destructors

/// Runs `op` from the destructor of a thread-local on a fresh thread, after
/// that thread's cached parker was created (so it is usually destroyed
/// first), and returns what `op` reported.
fn in_tls_destructor(op: Box<dyn FnOnce() -> u32 + Send>) -> std::thread::JoinHandle<()> {
    struct Late(Option<Box<dyn FnOnce() -> u32 + Send>>);
    impl Drop for Late {
        fn drop(&mut self) {
            if let Some(op) = self.0.take() {
                let _ = op();
            }
        }
    }
    std::thread_local! {
        static LATE: std::cell::RefCell<Option<Late>> = const { std::cell::RefCell::new(None) };
    }
    std::thread::spawn(move || {
        LATE.with(|l| *l.borrow_mut() = Some(Late(Some(op))));
        // Register the thread's cached parker after `LATE`.
        let _ = gocore::park::current_waker();
    })
}

fn wait_parked<T>(c: &Chan<T>, q: fn(&gochan::Snapshot) -> usize) {
    while q(&c.snapshot().unwrap()) == 0 {
        std::thread::yield_now();
    }
}

#[test]
fn blocking_send_recv_and_select_work_in_thread_local_destructors() {
    let n = counter();
    let c = Chan::<D>::new(0);
    let report = Chan::<u32>::new(3);

    let (c2, r2, n2) = (c.clone(), report.clone(), n.clone());
    let t = in_tls_destructor(Box::new(move || {
        c2.send(D(1, n2)).unwrap();
        r2.send(1).unwrap();
        1
    }));
    // Wait until the destructor is parked, so its side really blocks.
    wait_parked(&c, |s| s.sendq);
    assert_eq!(c.recv().map(|d| d.0), Some(1));
    t.join().unwrap();

    let (c2, r2) = (c.clone(), report.clone());
    let t = in_tls_destructor(Box::new(move || {
        let v = c2.recv().unwrap().0;
        r2.send(v).unwrap();
        v
    }));
    wait_parked(&c, |s| s.recvq);
    c.send(D(2, n.clone())).unwrap();
    t.join().unwrap();

    let (c2, r2) = (c.clone(), report.clone());
    let t = in_tls_destructor(Box::new(move || {
        let mut sel = Select::new();
        sel.recv(&c2, |v: Option<D>| v.unwrap().0);
        let v = sel.select();
        r2.send(v).unwrap();
        v
    }));
    wait_parked(&c, |s| s.recvq);
    c.send(D(3, n.clone())).unwrap();
    t.join().unwrap();

    let got: Vec<u32> = report.try_iter().collect();
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(drops(&n), 3);
}

// ---------------------------------------------------------------------------
// Capacities

fn panic_message(r: std::thread::Result<impl Sized>) -> String {
    let e = r.err().expect("it panicked");
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap()
}

#[test]
fn zero_sized_buffers_of_any_capacity_are_free() {
    let cap = if cfg!(target_pointer_width = "64") {
        1 << 40
    } else {
        1 << 30
    };
    let c = Chan::<()>::new(cap);
    assert_eq!(c.cap(), cap);
    c.try_send(()).unwrap();
    c.try_send(()).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.try_recv(), Ok(()));
    // Go's `int` capacity: anything up to isize::MAX is accepted for ().
    assert_eq!(
        Chan::<()>::try_new(isize::MAX as usize).unwrap().cap(),
        isize::MAX as usize
    );
    assert_eq!(
        Chan::<()>::try_new(isize::MAX as usize + 1).unwrap_err(),
        MakeChanError::OutOfRange
    );
}

#[test]
fn capacities_go_rejects_panic_with_gos_message() {
    for cap in [usize::MAX, isize::MAX as usize, usize::MAX / 8 + 1] {
        let m = panic_message(catch_unwind(|| Chan::<i64>::new(cap)));
        assert_eq!(m, "makechan: size out of range", "cap {cap}");
        assert_eq!(
            Chan::<i64>::try_new(cap).unwrap_err(),
            MakeChanError::OutOfRange
        );
    }
    assert_eq!(
        MakeChanError::OutOfRange.to_string(),
        "makechan: size out of range"
    );
}

#[cfg(target_pointer_width = "64")]
#[test]
fn go_size_limit_on_64_bit() {
    // maxAlloc - hchanSize = 2^48 - 96 bytes.
    let limit = (1usize << 48) - 96;
    assert_eq!(
        Chan::<u8>::try_new(limit + 1).unwrap_err(),
        MakeChanError::OutOfRange
    );
    assert_eq!(
        Chan::<u64>::try_new(limit / 8 + 1).unwrap_err(),
        MakeChanError::OutOfRange
    );
    let m = panic_message(catch_unwind(|| Chan::<u64>::new(1 << 59)));
    assert_eq!(m, "makechan: size out of range");
}

/// A capacity Go accepts (256 TiB of bytes) that no allocator here can
/// provide: an error, not an abort. (Miri reports exhaustion instead.)
#[cfg(target_pointer_width = "64")]
#[cfg_attr(miri, ignore)]
#[test]
fn allocation_failure_is_an_error_from_try_new() {
    let cap = (1usize << 48) - 96;
    match Chan::<u8>::try_new(cap) {
        Err(e @ MakeChanError::AllocFailed { bytes }) => {
            assert_eq!(bytes, cap);
            assert!(e.to_string().starts_with("makechan: cannot allocate"));
        }
        Err(MakeChanError::OutOfRange) => panic!("Go accepts this capacity"),
        Ok(_) => {} // an allocator that lends 256 TiB of address space: fine too
    }
}

#[cfg(target_pointer_width = "32")]
#[test]
fn go_size_limit_on_32_bit() {
    // Go's capacity is a 32-bit `int`: 2^31 is negative there.
    assert_eq!(
        Chan::<u8>::try_new(1 << 31).unwrap_err(),
        MakeChanError::OutOfRange
    );
    // maxAlloc - hchanSize = 2^32 - 1 - 56 bytes.
    assert_eq!(
        Chan::<u16>::try_new((1 << 31) - 1).unwrap_err(),
        MakeChanError::OutOfRange
    );
    // Accepted by Go, but beyond Rust's isize::MAX-byte limit.
    assert!(matches!(
        Chan::<u16>::try_new((1 << 31) - 100),
        Err(MakeChanError::AllocFailed { .. })
    ));
}
