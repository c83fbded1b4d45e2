//! The `select!` macro: Go's `select` statement.
//!
//! The macro munches arms one at a time. Each step binds one case in locals
//! (`let __chan = &ch; let mut __case = RecvCase::new(__chan)`) and recurses
//! *inside* that scope, passing the case's identifier on; since every
//! expansion gets its own hygiene context, the `__chan`/`__case` identifiers
//! never clash. Channel operands and send values are therefore evaluated
//! exactly once, in source order, before any case is tried (spec: "the
//! channel operand of receive operations and the channel and right-hand-side
//! expressions of send statements are evaluated exactly once, in source
//! order, upon entering the select statement").
//!
//! `let __chan = &ch;` is what lets the operand be any expression: a place
//! (`a`, `self.rx`) is borrowed where it is, and a temporary (`make_chan()`,
//! `c.receiver()`) is kept alive to the end of the enclosing block by Rust's
//! temporary lifetime extension for `let x = &temp;`, i.e. for the whole
//! select. A reference operand becomes a `&&C`, which `CanRecv`/`CanSend`
//! accept through their impls for references. The last step hands all cases
//! to the select engine as `&mut dyn Case` (no allocation) and runs the arm of
//! the case that fired.

/// Waits on several channel operations and performs exactly one: Go's `select`.
///
/// Arms (any order, separated by commas; block bodies need no comma):
///
/// - `recv(c) -> v => body`: `v` is `Option<T>` (`None`: `c` is closed).
///   `c` is any expression giving a [`Chan`](crate::Chan) or
///   [`Receiver`](crate::Receiver), or a reference to one: a variable
///   (borrowed, not moved), a field, or a temporary such as `make()` or
///   `c.receiver()` (kept alive until the select ends).
/// - `recv(c) => body`: as above, ignoring the value.
/// - `send(c, x) => body`: sends `x` on `c`, any expression giving a
///   [`Chan`](crate::Chan) or [`Sender`](crate::Sender) or a reference to
///   one; like Go, **panics** with "send on closed channel" if this case
///   fires on a closed channel.
/// - `send(c, x) -> res => body`: `res` is `Result<(), SendError<T>>`, giving
///   the value back on a closed channel instead of panicking.
/// - `default => body`: runs if no case is ready (a non-blocking select).
/// - `default(timeout) => body`: blocks at most `timeout` (`std`); alone,
///   it waits out the whole timeout and then runs `body`.
///
/// As in crossbeam-channel's `select!`, `default()` is `default`, and a
/// trailing comma is accepted inside an arm's parentheses (`recv(c,)`,
/// `send(c, x,)`, `default(timeout,)`).
///
/// As in Go, every case's channel expression and every send's value
/// expression is evaluated exactly once, in source order, when the select
/// is entered, whichever case then fires (values of cases that do not fire
/// are dropped at the end of the select).
///
/// If several cases are ready, one is chosen uniformly at random. Cases on
/// nil channels are never chosen. Without `default`, the select blocks (needs
/// `std`); `select! {}` blocks forever. The macro is an expression: every
/// arm's body must have the same type.
///
/// # Examples
///
/// ```
/// use gochan::{select, Chan};
///
/// let a = Chan::new(1);
/// let b = Chan::<&str>::new(1);
/// a.send(1)?;
/// let got = select! {
///     recv(a) -> v => format!("a: {v:?}"),
///     recv(b) -> v => format!("b: {v:?}"),
///     default => "nothing".to_string(),
/// };
/// assert_eq!(got, "a: Some(1)");
///
/// // A send and a timeout.
/// let full = Chan::new(0); // nobody receives
/// select! {
///     send(full, 5) => panic!("nobody is receiving"),
///     default(std::time::Duration::from_millis(5)) => {}
/// }
///
/// // Channel operands may be any expression, evaluated once, in order.
/// fn pick(chans: &[Chan<i32>], i: usize) -> &Chan<i32> { &chans[i] }
/// let chans = vec![Chan::new(1), Chan::new(1)];
/// chans[1].send(7)?;
/// let got = select! {
///     recv(pick(&chans, 0)) -> v => v,
///     recv(chans[1].receiver()) -> v => v,
///     send(Chan::new(0), 1) => None, // a fresh channel nobody receives on
/// };
/// assert_eq!(got, Some(7));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__select_parse!(@arms (block) [] [] $($tokens)*)
    };
}

/// `select!` for async code: waits **as a task** (parking on the channels'
/// queues with the task's waker, never blocking the thread) on several
/// channel operations and performs exactly one. Use it inside an `async`
/// block or function; it awaits internally, so an arm's body can itself
/// `.await`, `return`, `break` or use `?` in the enclosing code.
///
/// The arms are [`select!`]'s: `recv(c) -> v => ...`, `recv(c) => ...`,
/// `send(c, x) => ...` (panics like Go on a closed channel),
/// `send(c, x) -> res => ...` and `default => ...`; the semantics are the
/// same (operands evaluated once, in source order; a uniformly random
/// choice among the ready cases; nil channels never chosen). With
/// `default`, nothing is awaited. `default(timeout)` is not available (gochan has no
/// timers): receive from a timer channel instead. `select_async! {}` never
/// completes (Go's `select {}`).
///
/// The cases, with their channels' references and send values, move into
/// the select's future, so it is `Send` when they are (every value type is
/// `Send`): a task that selects can move between worker threads.
/// Dropping the enclosing future while the select waits withdraws every
/// case; a value a receive case had already been handed goes back to the
/// head of its channel, so none is lost. While pending, the select reports
/// Go's wait reason through [`gocore::wait`]: `select`, `select (no cases)`
/// for `select_async! {}`, and for a single case the plain operation's
/// (`chan receive`, `chan send`, or their `(nil chan)` variants), as Go
/// compiles a one-case `select` into that operation.
///
/// # Examples
///
/// ```
/// use gochan::{select_async, Chan};
///
/// let (data, quit) = (Chan::new(0), Chan::<()>::new(0));
/// let producer = {
///     let (data, quit) = (data.clone(), quit.clone());
///     std::thread::spawn(move || {
///         gocore::park::block_on(async {
///             let mut sent = 0;
///             loop {
///                 select_async! {
///                     send(data, sent) => sent += 1,
///                     recv(quit) => return sent,
///                 }
///             }
///         })
///     })
/// };
/// let sum = gocore::park::block_on(async {
///     let mut sum = 0;
///     for _ in 0..5 {
///         sum += data.recv_async().await.unwrap();
///     }
///     quit.close().unwrap();
///     sum
/// });
/// assert_eq!(sum, 0 + 1 + 2 + 3 + 4);
/// assert_eq!(producer.join().unwrap(), 5);
/// ```
#[macro_export]
macro_rules! select_async {
    ($($tokens:tt)*) => {
        $crate::__select_parse!(@arms (async) [] [] $($tokens)*)
    };
}

/// Nests case identifiers into the pairs `(a, (b, ()))` an async select owns,
/// as an expression or a pattern.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_cons {
    (@expr) => { () };
    (@expr $head:ident $($tail:ident)*) => { ($head, $crate::__select_cons!(@expr $($tail)*)) };
    (@pat) => { () };
    (@pat $head:ident $($tail:ident)*) => { ($head, $crate::__select_cons!(@pat $($tail)*)) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // ---- recv(c) -> v => body
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] recv($ch:expr $(,)?) -> $v:pat => $body:block, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms $m [$($cases)* [recv __case ($v) $body]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] recv($ch:expr $(,)?) -> $v:pat => $body:block $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms $m [$($cases)* [recv __case ($v) $body]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] recv($ch:expr $(,)?) -> $v:pat => $body:expr, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms $m [$($cases)* [recv __case ($v) { $body }]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] recv($ch:expr $(,)?) -> $v:pat => $body:expr) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms $m [$($cases)* [recv __case ($v) { $body }]] [$($def)*])
    }};
    // ---- recv(c) => body
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] recv($ch:expr $(,)?) => $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [$($def)*] recv($ch) -> _ => $($rest)*)
    };
    // ---- send(c, x) -> res => body
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) -> $r:pat => $body:block, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [send __case ($r) $body]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) -> $r:pat => $body:block $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [send __case ($r) $body]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) -> $r:pat => $body:expr, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [send __case ($r) { $body }]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) -> $r:pat => $body:expr) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [send __case ($r) { $body }]] [$($def)*])
    }};
    // ---- send(c, x) => body (panics on a closed channel, like Go)
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) => $body:block, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [sendp __case (_) $body]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) => $body:block $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [sendp __case (_) $body]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) => $body:expr, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [sendp __case (_) { $body }]] [$($def)*] $($rest)*)
    }};
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr $(,)?) => $body:expr) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms $m [$($cases)* [sendp __case (_) { $body }]] [$($def)*])
    }};
    // ---- default() => body: crossbeam-channel's spelling of `default`
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)*] default() => $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [$($def)*] default => $($rest)*)
    };
    // ---- default(timeout) => body
    (@arms $m:tt [$($cases:tt)*] [] default($t:expr $(,)?) => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [timeout ($t) $body] $($rest)*)
    };
    (@arms $m:tt [$($cases:tt)*] [] default($t:expr $(,)?) => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [timeout ($t) $body] $($rest)*)
    };
    (@arms $m:tt [$($cases:tt)*] [] default($t:expr $(,)?) => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [timeout ($t) { $body }] $($rest)*)
    };
    (@arms $m:tt [$($cases:tt)*] [] default($t:expr $(,)?) => $body:expr) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [timeout ($t) { $body }])
    };
    // ---- default => body
    (@arms $m:tt [$($cases:tt)*] [] default => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [now $body] $($rest)*)
    };
    (@arms $m:tt [$($cases:tt)*] [] default => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [now $body] $($rest)*)
    };
    (@arms $m:tt [$($cases:tt)*] [] default => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [now { $body }] $($rest)*)
    };
    (@arms $m:tt [$($cases:tt)*] [] default => $body:expr) => {
        $crate::__select_parse!(@arms $m [$($cases)*] [now { $body }])
    };
    (@arms $m:tt [$($cases:tt)*] [$($def:tt)+] default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` arm")
    };
    // ---- done: no cases at all
    (@arms (block) [] []) => {
        $crate::__private::block_forever()
    };
    (@arms (async) [] []) => {
        match $crate::__private::select_no_cases().await {}
    };
    (@arms $m:tt [] [now $body:block]) => {
        $body
    };
    // ---- only `default(timeout)`: wait out the timeout, then run the body
    (@arms (block) [] [timeout ($t:expr) $body:block]) => {{
        let __cases: &mut [&mut dyn $crate::__private::Case<'_>] = &mut [];
        let _ = $crate::__private::run_deadline(__cases, $crate::__private::deadline_after($t));
        $body
    }};
    // ---- async: `default(timeout)` needs a timer, which gochan does not have
    (@arms (async) [$($cases:tt)*] [timeout ($t:expr) $body:block]) => {
        ::core::compile_error!(::core::concat!(
            "select_async!: `default(timeout)` needs a timer; add a case receiving from ",
            "a timer channel (e.g. gocontext's `after`), or race the select with your ",
            "executor's timeout"
        ))
    };
    // ---- async with `default`: nothing to wait for, the blocking engine answers at once
    (@arms (async) [$($cases:tt)+] [now $body:block]) => {
        $crate::__select_parse!(@arms (block) [$($cases)+] [now $body])
    };
    // ---- async: the cases move into the select's future, which parks the
    // task and gives them back once one has fired
    (@arms (async) [$([$kind:ident $case:ident ($p:pat) $body:block])+] []) => {{
        let $crate::__select_cons!(@pat $($case)+) = $crate::__private::SelectFuture::new(
            $crate::__select_cons!(@expr $($case)+)
        ).await;
        $( if $case.fired() {
            $crate::__select_arm!($kind $case ($p) $body)
        } else )+ {
            ::core::unreachable!("select: no case fired")
        }
    }};
    // ---- done: run the engine, then the arm of the case that fired
    (@arms (block) [$([$kind:ident $case:ident ($p:pat) $body:block])+] [$($def:tt)*]) => {{
        let __fired: ::core::option::Option<usize> = $crate::__select_run!(
            [$($case)+] $($def)*
        );
        let _ = __fired;
        $( if $case.fired() {
            $crate::__select_arm!($kind $case ($p) $body)
        } else )+ {
            $crate::__select_default!($($def)*)
        }
    }};
    (@arms $($other:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "select!/select_async!: cannot parse arm; expected `recv(c) -> v => ...`, `send(c, x) => ...`, ",
            "`send(c, x) -> res => ...`, `default => ...` or `default(timeout) => ...`"
        ))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_run {
    ([$($case:ident)+]) => {
        $crate::__private::run(&mut [$($crate::__private::as_case(&mut $case)),+], false)
    };
    ([$($case:ident)+] now $body:block) => {
        $crate::__private::run(&mut [$($crate::__private::as_case(&mut $case)),+], true)
    };
    ([$($case:ident)+] timeout ($t:expr) $body:block) => {
        $crate::__private::run_deadline(
            &mut [$($crate::__private::as_case(&mut $case)),+],
            $crate::__private::deadline_after($t),
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_arm {
    (recv $case:ident ($p:pat) $body:block) => {{
        let $p = $case.into_value();
        $body
    }};
    (send $case:ident ($p:pat) $body:block) => {{
        let $p = $case.into_result();
        $body
    }};
    (sendp $case:ident ($p:pat) $body:block) => {{
        $case.into_sent();
        $body
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_default {
    () => {
        ::core::unreachable!("select: no case fired")
    };
    (now $body:block) => {
        $body
    };
    (timeout ($t:expr) $body:block) => {
        $body
    };
}
