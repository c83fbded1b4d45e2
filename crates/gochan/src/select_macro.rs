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
/// - `default(timeout) => body`: blocks at most `timeout` (`std`).
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
        $crate::__select_parse!(@arms [] [] $($tokens)*)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // ---- recv(c) -> v => body
    (@arms [$($cases:tt)*] [$($def:tt)*] recv($ch:expr) -> $v:pat => $body:block, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms [$($cases)* [recv __case ($v) $body]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] recv($ch:expr) -> $v:pat => $body:block $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms [$($cases)* [recv __case ($v) $body]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] recv($ch:expr) -> $v:pat => $body:expr, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms [$($cases)* [recv __case ($v) { $body }]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] recv($ch:expr) -> $v:pat => $body:expr) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::RecvCase::new(__chan);
        $crate::__select_parse!(@arms [$($cases)* [recv __case ($v) { $body }]] [$($def)*])
    }};
    // ---- recv(c) => body
    (@arms [$($cases:tt)*] [$($def:tt)*] recv($ch:expr) => $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [$($def)*] recv($ch) -> _ => $($rest)*)
    };
    // ---- send(c, x) -> res => body
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) -> $r:pat => $body:block, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [send __case ($r) $body]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) -> $r:pat => $body:block $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [send __case ($r) $body]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) -> $r:pat => $body:expr, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [send __case ($r) { $body }]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) -> $r:pat => $body:expr) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [send __case ($r) { $body }]] [$($def)*])
    }};
    // ---- send(c, x) => body (panics on a closed channel, like Go)
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) => $body:block, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [sendp __case (_) $body]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) => $body:block $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [sendp __case (_) $body]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) => $body:expr, $($rest:tt)*) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [sendp __case (_) { $body }]] [$($def)*] $($rest)*)
    }};
    (@arms [$($cases:tt)*] [$($def:tt)*] send($ch:expr, $val:expr) => $body:expr) => {{
        let __chan = &$ch;
        let mut __case = $crate::__private::SendCase::new(__chan, $val);
        $crate::__select_parse!(@arms [$($cases)* [sendp __case (_) { $body }]] [$($def)*])
    }};
    // ---- default(timeout) => body
    (@arms [$($cases:tt)*] [] default($t:expr) => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [timeout ($t) $body] $($rest)*)
    };
    (@arms [$($cases:tt)*] [] default($t:expr) => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [timeout ($t) $body] $($rest)*)
    };
    (@arms [$($cases:tt)*] [] default($t:expr) => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [timeout ($t) { $body }] $($rest)*)
    };
    (@arms [$($cases:tt)*] [] default($t:expr) => $body:expr) => {
        $crate::__select_parse!(@arms [$($cases)*] [timeout ($t) { $body }])
    };
    // ---- default => body
    (@arms [$($cases:tt)*] [] default => $body:block, $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [now $body] $($rest)*)
    };
    (@arms [$($cases:tt)*] [] default => $body:block $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [now $body] $($rest)*)
    };
    (@arms [$($cases:tt)*] [] default => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)*] [now { $body }] $($rest)*)
    };
    (@arms [$($cases:tt)*] [] default => $body:expr) => {
        $crate::__select_parse!(@arms [$($cases)*] [now { $body }])
    };
    (@arms [$($cases:tt)*] [$($def:tt)+] default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` arm")
    };
    // ---- done: no cases at all
    (@arms [] []) => {
        $crate::__private::block_forever()
    };
    (@arms [] [now $body:block]) => {
        $body
    };
    // ---- done: run the engine, then the arm of the case that fired
    (@arms [$([$kind:ident $case:ident ($p:pat) $body:block])+] [$($def:tt)*]) => {{
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
            "select!: cannot parse arm; expected `recv(c) -> v => ...`, `send(c, x) => ...`, ",
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
