//! Go 1.19's `src/context/example_test.go` examples as tests, plus the
//! String forms and the `Value` lookups of `context_test.go` not covered in
//! `golang.rs`.
//!
//! Source: <https://github.com/golang/go/blob/go1.19/src/context/example_test.go>,
//! covered by Go's BSD license (see `golang.rs`).
#![cfg(feature = "std")]

use std::thread;
use std::time::{Duration, Instant};

use gochan::{select, Chan, Receiver};
use gocontext::{
    after, background, todo, with_cancel, with_deadline, with_timeout, with_value, Context, Error,
};

const SHORT: Duration = Duration::from_millis(1);

/// ExampleWithCancel: a generator goroutine stops when its context is
/// cancelled, so it does not leak.
#[test]
fn example_with_cancel() {
    fn gen(ctx: &Context) -> (Receiver<i32>, thread::JoinHandle<i32>) {
        let dst = Chan::new(0);
        let rx = dst.receiver();
        let done = ctx.done();
        let h = thread::spawn(move || {
            let mut n = 1;
            loop {
                select! {
                    recv(done) => return n,
                    send(dst, n) => n += 1,
                }
            }
        });
        (rx, h)
    }
    let (ctx, cancel) = with_cancel(&background());
    let (rx, h) = gen(&ctx);
    let mut got = Vec::new();
    for n in rx.iter() {
        got.push(n);
        if n == 5 {
            break;
        }
    }
    cancel.cancel();
    assert_eq!(got, [1, 2, 3, 4, 5]);
    // The generator saw Done and returned; its last offered value was 6.
    assert_eq!(h.join().unwrap(), 6);
}

/// ExampleWithDeadline / ExampleWithTimeout: the context's Done fires
/// before a one-second timer, and Err is "context deadline exceeded".
#[test]
fn example_with_deadline_and_timeout() {
    for use_timeout in [false, true] {
        let (ctx, cancel) = if use_timeout {
            with_timeout(&background(), SHORT)
        } else {
            with_deadline(&background(), Instant::now() + SHORT)
        };
        let overslept = after(Duration::from_secs(1));
        let msg = select! {
            recv(overslept.receiver()) => String::from("overslept"),
            recv(ctx.done()) => ctx.err().unwrap().to_string(),
        };
        assert_eq!(msg, "context deadline exceeded");
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
        cancel.cancel();
        // Cancelling afterwards keeps the first error.
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded));
    }
}

/// ExampleWithValue: a key of a named string type; another key of that
/// type with another string is not found.
#[test]
fn example_with_value() {
    #[derive(PartialEq, Debug)]
    struct FavContextKey(&'static str);
    fn f(ctx: &Context, k: FavContextKey) -> String {
        match ctx.value::<_, &str>(&k) {
            Some(v) => format!("found value: {v}"),
            None => format!("key not found: {}", k.0),
        }
    }
    let ctx = with_value(&background(), FavContextKey("language"), "Go");
    assert_eq!(f(&ctx, FavContextKey("language")), "found value: Go");
    assert_eq!(f(&ctx, FavContextKey("color")), "key not found: color");
    // A key of another type holding the same string is another key (Go
    // compares interface values: type and value).
    assert_eq!(ctx.value::<_, &str>(&"language"), None);
}

/// context.go's stringify: a string value prints as itself, anything else
/// without a String method as `<not Stringer>`; values are looked up
/// through cancel and deadline layers.
#[test]
fn value_strings_and_lookup_through_layers() {
    #[derive(PartialEq)]
    struct K;
    let c = with_value(&todo(), K, 7u32);
    assert!(
        c.to_string().starts_with("context.TODO.WithValue(type "),
        "{c}"
    );
    assert!(c.to_string().ends_with(", val <not Stringer>)"), "{c}");
    let c = with_value(&background(), K, String::from("s"));
    assert!(c.to_string().ends_with(", val s)"), "{c}");

    let (c1, cancel) = with_cancel(&c);
    let (c2, cancel2) = with_timeout(&c1, Duration::from_secs(3600));
    assert_eq!(c2.value::<_, String>(&K).map(String::as_str), Some("s"));
    assert!(
        c2.to_string()
            .starts_with(&format!("{c}.WithCancel.WithDeadline(")),
        "{c2}"
    );
    cancel.cancel();
    // Cancellation reaches the child; values stay readable.
    assert_eq!(c2.err(), Some(Error::Canceled));
    assert_eq!(c2.value::<_, String>(&K).map(String::as_str), Some("s"));
    cancel2.cancel();
}

/// context_test.go XTestWithCancel's `Done` checks, for every kind of
/// context: Background and TODO have a nil Done (never ready) and no
/// deadline; a cancel context's Done is the same channel on every call.
#[test]
fn done_channels() {
    for c in [background(), todo()] {
        assert!(c.done().is_nil());
        assert_eq!(c.err(), None);
        assert_eq!(c.deadline(), None);
    }
    let (c, cancel) = with_cancel(&background());
    let (d1, d2) = (c.done(), c.done());
    assert!(!d1.is_nil());
    assert_eq!(d1, d2);
    assert!(!d1.is_closed());
    cancel.cancel();
    assert!(d1.is_closed() && d2.is_closed());
    assert_eq!(d1.recv(), None);
    // A value context shares its parent's Done.
    let v = with_value(&c, 1u8, 2u8);
    assert_eq!(v.done(), d1);
}

/// context.go's stringify calls a value's String method: a context stored
/// as a value prints as its own path (Go 1.19 prints
/// `context.Background.WithValue(type string, val context.Background.WithCancel)`).
#[test]
fn a_context_value_prints_as_its_path() {
    let (c, cancel) = with_cancel(&background());
    let v = with_value(&background(), "k", c.clone());
    assert_eq!(
        v.to_string(),
        format!(
            "context.Background.WithValue(type {}, val context.Background.WithCancel)",
            std::any::type_name::<&str>()
        )
    );
    // An error is not a Stringer in Go either.
    let e = with_value(&background(), "k", Error::Canceled);
    assert!(e.to_string().ends_with(", val <not Stringer>)"), "{e}");
    cancel.cancel();
}

/// Deadline errors propagate through cancel, value and later-deadline
/// children (Go 1.19, measured: every one reports "context deadline
/// exceeded", the later-deadline child inherits the parent's deadline and is
/// a plain `WithCancel`, and a cancel after the deadline keeps the error).
#[test]
fn deadline_exceeded_propagates_to_every_descendant() {
    let (p, pc) = with_timeout(&background(), Duration::from_millis(10));
    let (c, cc) = with_cancel(&p);
    let v = with_value(&c, "k", "v");
    let (d, dc) = with_timeout(&v, Duration::from_secs(3600));
    assert_eq!(d.done().recv(), None);
    for ctx in [&c, &v, &d] {
        assert_eq!(ctx.err(), Some(Error::DeadlineExceeded), "{ctx}");
    }
    assert_eq!(d.deadline(), p.deadline());
    assert!(
        d.to_string()
            .ends_with(".WithValue(type &str, val v).WithCancel"),
        "{d}"
    );
    cc.cancel();
    assert_eq!(c.err(), Some(Error::DeadlineExceeded));
    // Children made after the parent is done start done, with its error.
    let (e, ec) = with_cancel(&p);
    assert_eq!(e.err(), Some(Error::DeadlineExceeded));
    let (f, fc) = with_deadline(&p, Instant::now() + Duration::from_secs(3600));
    assert_eq!(f.err(), Some(Error::DeadlineExceeded));
    assert!(f.to_string().ends_with("]).WithCancel"), "{f}");
    for cancel in [pc, dc, ec, fc] {
        cancel.cancel();
    }
}
