//! Interface values: Go's `eface` and `iface`, conversions, assertions and
//! type switches (`runtime/iface.go`, `cmd/compile/internal/walk/switch.go`).
//!
//! # What
//!
//! An [`Eface`] (`interface{}`) is a type word and a data word; an [`Iface`]
//! (a non-empty interface) is an itab word and a data word. `nil` means the
//! first word is nil, whatever the data word holds — so a typed nil pointer
//! stored in an interface is *not* nil:
//!
//! ```text
//! var p *T = nil; var e any = p
//! Eface { typ: ──► *main.T, data: Val::Pointer(None) }     e != nil
//! Eface { typ: nil,         data: … }                       e == nil
//! Iface { tab: ──► Itab{ inter: main.I, typ: main.T, hash, fun[..] }, data }
//! ```
//!
//! # Invariants
//!
//! - E1: `data` has the shape of `typ` (checked by every constructor).
//! - E2: `Iface.tab`, when set, implements (`tab.implements()`) and its
//!   `inter` is the `Iface`'s static interface type.
//!
//! # Go correspondence
//!
//! `eface` → [`Eface`], `iface` → [`Iface`], `convT*` → [`Eface::new`], static itab conversion →
//! [`Iface::convert`], `convI2I` → [`Iface::from_iface`], `assertE2I(2)` →
//! [`assert_e2i`]/[`assert_e2i2`], `assertI2I(2)` → [`assert_i2i`]/
//! [`assert_i2i2`], `panicdottypeE/I`/`panicnildottype` → the `assert*`
//! methods' panics, `TypeAssertionError` → [`TypeAssertionError`],
//! `walkSwitchType` → [`TypeSwitch`].
//!
//! # Divergences
//!
//! A [`TypeSwitch`] looks a run of up to 8 concrete cases up in a perfect
//! hash table on the type hash (one multiply, then the descriptor compare)
//! where Go scans below 4 cases and binary-searches above; other runs are
//! binary-searched as in Go. The outcome is the same: at most one case of
//! a run has the dynamic type.
//!
//! An [`Iface`] also records its static interface type (Go's compiler knows
//! it; here a nil `Iface` needs it for `main.I is nil, not main.A`). The
//! type switch on an `Iface` reads `tab.typ.hash` rather than `tab.hash`
//! (Go's run-time itabs hold 0 there, which Go never meets in a switch
//! because every switched pair has a static itab; here static and run-time
//! itabs can be made in either order).

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::fmt;
use core::ptr;

use crate::itab::{call_slot, itab_table, Itab};
use crate::kind::Kind;
use crate::ty::{same_type, ShapeError, Type};
use crate::types;
use crate::value::{Pointer, Val, Word};

/// An empty-interface value: type word + data word.
///
/// Go: `runtime.eface`, the representation of `interface{}` / `any`.
///
/// # Examples
///
/// ```
/// use goiface::{types, Eface, Val};
/// let e = Eface::from_int(42);
/// assert_eq!(e.typ().unwrap().to_string(), "int");
/// let p = types::ptr_to(types::int());
/// let typed_nil = Eface::new(p, Val::Pointer(None)).unwrap();
/// assert!(!typed_nil.is_nil()); // the typed-nil surprise
/// assert!(Eface::nil().is_nil());
/// ```
#[doc(alias = "eface")]
#[derive(Clone)]
pub struct Eface {
    typ: Option<&'static Type>,
    data: Word,
}

impl fmt::Debug for Eface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.typ {
            None => f.write_str("<nil>"),
            Some(t) => write!(f, "{}({:?})", t, *self.data),
        }
    }
}

impl Default for Eface {
    fn default() -> Self {
        Eface::nil()
    }
}

impl Eface {
    /// The nil interface (both words nil).
    #[inline]
    pub const fn nil() -> Eface {
        Eface {
            typ: None,
            data: Word::new(Val::Pointer(None)),
        }
    }

    /// Go: `var e any = v` for `v` of type `typ`. When `typ` is an
    /// interface type, `e` holds `v`'s dynamic value (Go's `convI2E`; a
    /// nil `v` gives the nil `any`): an interface type is never a dynamic
    /// type.
    ///
    /// # Errors
    ///
    /// [`ShapeError`] when `data` does not have `typ`'s shape (E1).
    pub fn new(typ: &'static Type, data: Val) -> Result<Eface, ShapeError> {
        typ.check(&data)?;
        if let Val::Iface(inner) = data {
            // `check` admits a `Val::Iface` only under an interface type.
            return Ok(*inner);
        }
        Ok(Eface {
            typ: Some(typ),
            data: Word::new(normalize(typ, data)),
        })
    }

    /// An eface whose type word is nil but whose data word is not: what Go
    /// code can only make with `unsafe`. It is `== nil` (iface.md c4).
    pub fn nil_type_with_data(data: Val) -> Eface {
        Eface {
            typ: None,
            data: Word::new(data),
        }
    }

    /// `any(int(i))`.
    #[inline]
    pub fn from_int(i: i64) -> Eface {
        let i = if cfg!(target_pointer_width = "64") {
            i
        } else {
            i as i32 as i64
        };
        Eface {
            typ: Some(types::int()),
            data: Word::new(Val::Int(i)),
        }
    }

    /// `any(float64(x))`.
    #[inline]
    pub fn from_f64(x: f64) -> Eface {
        Eface {
            typ: Some(types::float64()),
            data: Word::new(Val::Float(x)),
        }
    }

    /// `any(b)` for a `bool`.
    #[inline]
    pub fn from_bool(b: bool) -> Eface {
        Eface {
            typ: Some(types::bool()),
            data: Word::new(Val::Bool(b)),
        }
    }

    /// `any(s)` for a `string`.
    #[inline]
    pub fn from_string(s: &str) -> Eface {
        Eface {
            typ: Some(types::string()),
            data: Word::new(Val::String(Rc::from(s))),
        }
    }

    /// The type word (`None` for nil).
    #[inline]
    pub fn typ(&self) -> Option<&'static Type> {
        self.typ
    }

    /// The data word.
    #[inline]
    pub fn data(&self) -> &Val {
        &self.data
    }

    /// Go: `e == nil` — tests the type word only.
    #[inline]
    pub fn is_nil(&self) -> bool {
        self.typ.is_none()
    }

    /// Go: `v, ok := e.(T)` for a concrete `T`: one descriptor compare.
    ///
    /// # Errors
    ///
    /// The [`TypeAssertionError`] Go would panic with (`panicdottypeE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use goiface::{types, Eface};
    /// let e = Eface::from_string("hi");
    /// assert!(e.try_assert(types::string()).is_ok());
    /// let err = e.try_assert(types::int()).unwrap_err();
    /// assert_eq!(err.to_string(), "interface conversion: interface {} is string, not int");
    /// ```
    #[inline]
    pub fn try_assert(&self, t: &'static Type) -> Result<&Val, TypeAssertionError> {
        match self.typ {
            Some(have) if ptr::eq(have, t) => Ok(&*self.data),
            have => Err(TypeAssertionError::new(Some(types::any()), have, t)),
        }
    }

    /// Go: `v := e.(T)` for a concrete `T`.
    ///
    /// # Panics
    ///
    /// With Go's text when the dynamic type is not `T`.
    #[inline]
    pub fn assert(&self, t: &'static Type) -> &Val {
        self.try_assert(t).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Go: `v, ok := e.(T)`: the value or `None` (never panics).
    #[inline]
    pub fn assert2(&self, t: &'static Type) -> Option<&Val> {
        self.try_assert(t).ok()
    }
}

/// Keeps I2 of `crate::value` for values built by hand (truncation is checked
/// by `Type::check`; here `float32` values are rounded).
fn normalize(typ: &Type, data: Val) -> Val {
    match (typ.kind(), data) {
        (Kind::Float32, Val::Float(x)) => Val::Float(x as f32 as f64),
        (Kind::Complex64, Val::Complex(r, i)) => Val::Complex(r as f32 as f64, i as f32 as f64),
        (_, d) => d,
    }
}

/// A non-empty-interface value: itab word + data word.
///
/// Go: `runtime.iface`.
///
/// # Examples
///
/// ```
/// use goiface::{types, Eface, IMethod, Iface, Method, Named, Val};
/// fn name(_: &Val, _: &[Eface], out: &mut [Eface]) { out[0] = Eface::from_string("T"); }
/// let sig = types::func_of(&[], &[types::string()], false);
/// let namer = types::interface_of("main", &[IMethod::new("Name", sig)]).unwrap();
/// let t = Named::new("main", "T", types::int()).method(Method::new("Name", sig, name)).build().unwrap();
/// let i = Iface::convert(namer, &Eface::new(t, Val::Int(1)).unwrap()).unwrap();
/// let mut out = [Eface::nil()];
/// i.call(0, &[], &mut out);
/// assert_eq!(out[0].data(), &Val::from("T"));
/// assert_eq!(i.tab().unwrap().hash(), t.hash()); // a static itab
/// ```
#[doc(alias = "iface")]
#[derive(Clone)]
pub struct Iface {
    inter: &'static Type,
    tab: Option<&'static Itab>,
    data: Word,
}

impl fmt::Debug for Iface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tab {
            None => write!(f, "{}(<nil>)", self.inter),
            Some(t) => write!(f, "{}({}({:?}))", self.inter, t.typ(), *self.data),
        }
    }
}

impl Iface {
    /// The nil value of interface type `inter`.
    ///
    /// # Panics
    ///
    /// If `inter` is not a non-empty interface type.
    pub fn nil(inter: &'static Type) -> Iface {
        assert!(
            inter.kind() == Kind::Interface && !inter.imethods().is_empty(),
            "goiface: {inter} is not a non-empty interface type"
        );
        Iface {
            inter,
            tab: None,
            data: Word::new(Val::Pointer(None)),
        }
    }

    /// Go: `var i I = v` (compile-time conversion): the pair's static itab.
    /// A nil `e` gives a nil `Iface`.
    ///
    /// # Errors
    ///
    /// When `e`'s type does not implement `inter` (a compile error in Go).
    pub fn convert(inter: &'static Type, e: &Eface) -> Result<Iface, TypeAssertionError> {
        let mut i = Iface::nil(inter);
        if let Some(t) = e.typ {
            i.tab = Some(itab_table().static_itab(inter, t)?);
            i.data = e.data.clone();
        }
        Ok(i)
    }

    /// Go: `convI2I`: `var j J = i`. nil → nil; same interface → same itab;
    /// else `getitab(J, typ, false)`.
    ///
    /// # Panics
    ///
    /// When the dynamic type does not implement `j` (Go's run-time panic).
    pub fn from_iface(j: &'static Type, i: &Iface) -> Iface {
        let mut out = Iface::nil(j);
        if let Some(tab) = i.tab {
            out.tab = Some(if ptr::eq(tab.inter(), j) {
                tab
            } else {
                implementing_itab_or_panic(j, tab.typ())
            });
            out.data = i.data.clone();
        }
        out
    }

    /// The static interface type.
    pub fn inter(&self) -> &'static Type {
        self.inter
    }

    /// The itab word (`None` for nil).
    #[inline]
    pub fn tab(&self) -> Option<&'static Itab> {
        self.tab
    }

    /// The dynamic type (`tab.typ`).
    pub fn typ(&self) -> Option<&'static Type> {
        self.tab.map(|t| t.typ())
    }

    /// The data word.
    pub fn data(&self) -> &Val {
        &self.data
    }

    /// Go: `i == nil`.
    pub fn is_nil(&self) -> bool {
        self.tab.is_none()
    }

    /// Go: `var e any = i` — type = tab ? tab.typ : nil, no call.
    #[inline]
    pub fn to_eface(&self) -> Eface {
        Eface {
            typ: self.typ(),
            data: self.data.clone(),
        }
    }

    /// Go: `i.M(args)` where M is method `k` in the interface's sorted
    /// method list: one indirect call through `tab.fun[k]`.
    ///
    /// # Panics
    ///
    /// Go's nil-dereference panic on a nil interface; Go's `value method …
    /// called using nil *T pointer` for a value method through a nil `*T`.
    #[inline]
    pub fn call(&self, k: usize, args: &[Eface], results: &mut [Eface]) {
        // The common slot, a method declared on the receiver's own type,
        // is one load and one indirect call, as in Go; wrappers (`*T` to
        // a value method, promoted methods) and a nil receiver go out of
        // line.
        if let Some(f) = self.tab.and_then(|tab| tab.direct(k)) {
            return f(&self.data, args, results);
        }
        self.call_wrapped(k, args, results);
    }

    #[inline(never)]
    fn call_wrapped(&self, k: usize, args: &[Eface], results: &mut [Eface]) {
        match self.tab {
            Some(tab) => call_slot(tab, k, &self.data, args, results),
            None => panic!("runtime error: invalid memory address or nil pointer dereference"),
        }
    }

    /// The index of method `name` in the interface's method table.
    pub fn method_index(&self, name: &str) -> Option<usize> {
        self.inter.imethods().iter().position(|m| m.name() == name)
    }

    /// Go: `v, ok := i.(T)` for a concrete `T`: compare the itab with the
    /// pair's itab (one pointer compare).
    ///
    /// # Errors
    ///
    /// The [`TypeAssertionError`] of `panicdottypeI`.
    pub fn try_assert(&self, t: &'static Type) -> Result<&Val, TypeAssertionError> {
        match self.tab {
            Some(tab) if ptr::eq(tab.typ(), t) => Ok(&*self.data),
            tab => Err(TypeAssertionError::new(
                Some(self.inter),
                tab.map(|t| t.typ()),
                t,
            )),
        }
    }

    /// Go: `v := i.(T)`.
    ///
    /// # Panics
    ///
    /// With Go's text on failure.
    pub fn assert(&self, t: &'static Type) -> &Val {
        self.try_assert(t).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Go: `v := i.(any)`.
    ///
    /// # Panics
    ///
    /// `interface conversion: interface is nil, not interface {}` on nil.
    pub fn assert_any(&self) -> Eface {
        if self.is_nil() {
            panic!("{}", TypeAssertionError::new(None, None, types::any()));
        }
        self.to_eface()
    }
}

fn unwrap_or_panic<T>(r: Result<T, TypeAssertionError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Go: `j := e.(J)` for a non-empty interface `J` (`assertE2I`).
///
/// # Panics
///
/// `interface conversion: interface is nil, not main.J` for nil; `… main.A
/// is not main.J: missing method Z` when the type lacks a method.
///
/// # Examples
///
/// ```
/// use goiface::{assert_e2i2, types, Eface, IMethod};
/// let j = types::interface_of("main", &[IMethod::new("Z", types::func_of(&[], &[], false))]).unwrap();
/// assert!(assert_e2i2(j, &Eface::from_int(1)).is_none());
/// let r = std::panic::catch_unwind(|| goiface::assert_e2i(j, &Eface::from_int(1)));
/// let msg = *r.unwrap_err().downcast::<String>().unwrap();
/// assert_eq!(msg, "interface conversion: int is not interface { Z() }: missing method Z");
/// ```
pub fn assert_e2i(inter: &'static Type, e: &Eface) -> Iface {
    let Some(t) = e.typ else {
        panic!("{}", TypeAssertionError::new(None, None, inter));
    };
    let mut i = Iface::nil(inter);
    i.tab = Some(implementing_itab_or_panic(inter, t));
    i.data = e.data.clone();
    i
}

/// Go: `j, ok := e.(J)` (`assertE2I2`): `None` for nil or when the type lacks
/// a method; never panics.
#[inline]
pub fn assert_e2i2(inter: &'static Type, e: &Eface) -> Option<Iface> {
    let tab = implementing_itab(inter, e.typ?)?;
    Some(Iface {
        inter,
        tab: Some(tab),
        data: e.data.clone(),
    })
}

/// `getitab(inter, t, true)`: the pair's itab if `t` implements `inter`.
/// A cached pair is one lock-free probe here, inlined (Go's getitab also
/// starts with a lock-free find); the first assertion of a pair builds and
/// caches its itab out of line.
#[inline]
fn implementing_itab(inter: &'static Type, t: &'static Type) -> Option<&'static Itab> {
    let tab = match itab_table().find(inter, t) {
        Some(tab) => tab,
        None => getitab_canfail(inter, t)?,
    };
    tab.implements().then_some(tab)
}

#[cold]
#[inline(never)]
fn getitab_canfail(inter: &'static Type, t: &'static Type) -> Option<&'static Itab> {
    itab_table().getitab(inter, t, true).ok()
}

/// `getitab(inter, t, false)`: as [`implementing_itab`], but a missing
/// method panics with Go's text.
#[inline]
fn implementing_itab_or_panic(inter: &'static Type, t: &'static Type) -> &'static Itab {
    match itab_table().find(inter, t) {
        Some(tab) if tab.implements() => tab,
        _ => getitab_or_panic(inter, t),
    }
}

#[cold]
#[inline(never)]
fn getitab_or_panic(inter: &'static Type, t: &'static Type) -> &'static Itab {
    unwrap_or_panic(itab_table().getitab(inter, t, false))
}

/// Go: `j := i.(J)` (`assertI2I`): keeps the itab when `J` is `i`'s interface.
///
/// # Panics
///
/// As [`assert_e2i`].
pub fn assert_i2i(inter: &'static Type, i: &Iface) -> Iface {
    let Some(tab) = i.tab else {
        panic!("{}", TypeAssertionError::new(None, None, inter));
    };
    Iface::from_iface(
        inter,
        &Iface {
            inter: i.inter,
            tab: Some(tab),
            data: i.data.clone(),
        },
    )
}

/// Go: `j, ok := i.(J)` (`assertI2I2`).
#[inline]
pub fn assert_i2i2(inter: &'static Type, i: &Iface) -> Option<Iface> {
    let tab = i.tab?;
    let tab = if ptr::eq(tab.inter(), inter) {
        tab
    } else {
        implementing_itab(inter, tab.typ())?
    };
    Some(Iface {
        inter,
        tab: Some(tab),
        data: i.data.clone(),
    })
}

/// The panic value of a failed assertion: Go's `*runtime.TypeAssertionError`
/// (a `runtime.Error` whose text has no `runtime error:` prefix).
///
/// # Examples
///
/// ```
/// use goiface::{types, Eface};
/// let e = Eface::nil().try_assert(types::int()).unwrap_err();
/// assert_eq!(e.to_string(), "interface conversion: interface {} is nil, not int");
/// ```
#[derive(Clone, Debug)]
pub struct TypeAssertionError {
    interface: Option<&'static Type>,
    concrete: Option<&'static Type>,
    asserted: &'static Type,
    missing_method: &'static str,
}

impl TypeAssertionError {
    pub(crate) fn new(
        interface: Option<&'static Type>,
        concrete: Option<&'static Type>,
        asserted: &'static Type,
    ) -> Self {
        TypeAssertionError {
            interface,
            concrete,
            asserted,
            missing_method: "",
        }
    }

    pub(crate) fn missing(
        concrete: &'static Type,
        asserted: &'static Type,
        missing_method: &'static str,
    ) -> Self {
        TypeAssertionError {
            interface: None,
            concrete: Some(concrete),
            asserted,
            missing_method,
        }
    }

    /// The dynamic type (`None` when the interface was nil).
    pub fn concrete(&self) -> Option<&'static Type> {
        self.concrete
    }

    /// The asserted type.
    pub fn asserted(&self) -> &'static Type {
        self.asserted
    }

    /// The missing method ("" when the assertion was to a concrete type).
    pub fn missing_method(&self) -> &'static str {
        self.missing_method
    }
}

impl fmt::Display for TypeAssertionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inter = self.interface.map_or("interface", |t| t.string());
        let as_ = self.asserted.string();
        let Some(c) = self.concrete else {
            return write!(f, "interface conversion: {inter} is nil, not {as_}");
        };
        let cs = c.string();
        if self.missing_method.is_empty() {
            write!(f, "interface conversion: {inter} is {cs}, not {as_}")?;
            if cs == as_ {
                if c.runtime_pkg_path() != self.asserted.runtime_pkg_path() {
                    f.write_str(" (types from different packages)")?;
                } else {
                    f.write_str(" (types from different scopes)")?;
                }
            }
            return Ok(());
        }
        write!(
            f,
            "interface conversion: {cs} is not {as_}: missing method {}",
            self.missing_method
        )
    }
}

impl core::error::Error for TypeAssertionError {}

/// One case of a [`TypeSwitch`].
#[derive(Clone, Copy, Debug)]
pub enum Case {
    /// `case nil`
    Nil,
    /// `case T` (concrete) or `case I` (interface).
    Type(&'static Type),
}

/// Go's threshold between a linear and a binary search over a run of
/// concrete cases. Here a run of up to 8 cases is looked up in a small
/// perfect hash table (see [`TypeSwitch`]) and other runs are
/// binary-searched.
///
/// Go: `binarySearchMin` (cmd/compile/internal/walk/switch.go).
pub const BINARY_SEARCH_MIN: usize = 4;

/// The longest run of concrete cases given a [`HashedRun`] table.
const HASHED_RUN_MAX: usize = 8;

/// Slots in a [`HashedRun`] table: twice [`HASHED_RUN_MAX`], so a random
/// multiplier puts 8 distinct hashes in distinct slots with probability
/// (15·14·…·9)/16⁷ ≈ 0.12, and [`HASHED_TRIES`] multipliers all fail with
/// probability below 0.88²⁵⁶ ≈ 10⁻¹⁴ (fewer cases fare far better).
const HASHED_SLOTS: usize = 16;

/// How many multipliers a [`HashedRun`] tries before the run falls back
/// to a binary search.
const HASHED_TRIES: u32 = 256;

/// A run of at most [`HASHED_RUN_MAX`] concrete cases with distinct
/// hashes, as a perfect hash table: slot `(hash · mul) >> 28` (the top four
/// bits of the product) holds the case of that hash, and no two cases share
/// a slot. A lookup is one multiply, one descriptor compare.
#[derive(Debug)]
struct HashedRun {
    mul: u32,
    types: [Option<&'static Type>; HASHED_SLOTS],
    cases: [usize; HASHED_SLOTS],
}

impl HashedRun {
    /// A table that finds nothing.
    const EMPTY: HashedRun = HashedRun {
        mul: 1,
        types: [None; HASHED_SLOTS],
        cases: [0; HASHED_SLOTS],
    };

    /// The slot of `hash` under multiplier `mul`: always below
    /// [`HASHED_SLOTS`] (a `u32` shifted right by 28 is below 16).
    #[inline]
    fn slot(mul: u32, hash: u32) -> usize {
        (hash.wrapping_mul(mul) >> (32 - HASHED_SLOTS.trailing_zeros())) as usize
    }

    /// The table for `run` (`(hash, type, case)`, no type twice), or `None`
    /// when the run is too long, two cases share a hash (no multiplier
    /// separates them), or no multiplier tried separates the hashes.
    fn new(run: &[(u32, &'static Type, usize)]) -> Option<HashedRun> {
        if run.len() > HASHED_RUN_MAX {
            return None;
        }
        // Odd multipliers spread over the u32 range (golden-ratio steps).
        let muls = (0..HASHED_TRIES).map(|k| k.wrapping_mul(0x9e37_79b9).wrapping_add(0x7f4a_7c15) | 1);
        'tries: for mul in muls {
            let mut taken = 0u32;
            for &(h, _, _) in run {
                let bit = 1 << Self::slot(mul, h);
                if taken & bit != 0 {
                    continue 'tries;
                }
                taken |= bit;
            }
            let mut table = HashedRun::EMPTY;
            table.mul = mul;
            for &(h, t, case) in run {
                let k = Self::slot(mul, h);
                table.types[k] = Some(t);
                table.cases[k] = case;
            }
            return Some(table);
        }
        None
    }

    /// The case whose type is `t` (a run holds each type once).
    #[inline]
    fn find(&self, t: &'static Type, hash: u32) -> Option<usize> {
        let k = Self::slot(self.mul, hash);
        match self.types[k] {
            Some(c) if ptr::eq(c, t) => Some(self.cases[k]),
            _ => None,
        }
    }
}

/// A run of consecutive cases the compiled switch tests together, after
/// the head run.
#[derive(Debug)]
enum Run {
    /// A short concrete run with distinct hashes.
    Hashed(Box<HashedRun>),
    /// Other concrete runs: `hashes[start..end]` / `targets[start..end]`,
    /// sorted by hash.
    Sorted(usize, usize),
    /// `case I`: tested in place via `assertE2I2`.
    Interface(&'static Type, usize),
}

/// A compiled type switch: Go 1.19's `walkSwitchType`.
///
/// Cases keep source order and are split into runs: each run of
/// consecutive concrete cases, and each interface case on its own. The
/// runs are tried in order; the first case that matches wins (within a
/// concrete run at most one case can match: a repeated type is dropped).
///
/// - A concrete run of at most eight cases with distinct type hashes gets
///   a perfect hash table, built once here: a multiplier is chosen so the
///   cases' hashes fall in distinct slots of a 16-slot table, and a lookup
///   is one multiply and one descriptor compare, whatever the case's
///   position. The leading run's table is stored inline, so a switch over
///   concrete types reads no other memory.
/// - Any other concrete run is sorted by hash and binary-searched, each
///   hash hit confirmed by descriptor identity (Go's compiled `if h <=
///   pivot` tree, then `if typ == T`); equal hashes of different types
///   (types with the same name from different scopes) end up here.
/// - An interface case asks the itab table (`assertE2I2`); `case any`
///   matches any non-nil value.
///
/// `select` allocates nothing, builds no [`Eface`] and makes no indirect
/// call. No cache (that came in Go 1.22).
///
/// # Examples
///
/// ```
/// use goiface::{types, Case, Eface, TypeSwitch, Val};
/// let sw = TypeSwitch::new(&[Case::Nil, Case::Type(types::int()), Case::Type(types::string())]);
/// assert_eq!(sw.select(&Eface::from_string("x")), Some(2));
/// assert_eq!(sw.select(&Eface::nil()), Some(0));
/// assert_eq!(sw.select(&Eface::from_bool(true)), None); // default
/// ```
#[derive(Debug)]
pub struct TypeSwitch {
    nil_case: Option<usize>,
    /// The leading run when it is concrete and gets a table, else empty.
    head: HashedRun,
    /// The runs after `head`, in source order.
    rest: Box<[Run]>,
    /// The sorted runs' type hashes, run by run.
    hashes: Box<[u32]>,
    /// The sorted runs' types and case indices, parallel to `hashes`.
    targets: Box<[(&'static Type, usize)]>,
}

impl TypeSwitch {
    /// Compiles the cases.
    pub fn new(cases: &[Case]) -> TypeSwitch {
        let mut nil_case = None;
        // Runs in source order before flattening.
        enum Pending {
            Concrete(Vec<(u32, &'static Type, usize)>),
            Interface(&'static Type, usize),
        }
        let mut runs = Vec::new();
        let mut run: Vec<(u32, &'static Type, usize)> = Vec::new();
        for (i, c) in cases.iter().enumerate() {
            match *c {
                Case::Nil => {
                    nil_case.get_or_insert(i);
                }
                // `case I`, and `case any` / `case interface{}` (matches
                // every non-nil value).
                Case::Type(t) if t.kind() == Kind::Interface => {
                    if !run.is_empty() {
                        runs.push(Pending::Concrete(core::mem::take(&mut run)));
                    }
                    runs.push(Pending::Interface(t, i));
                }
                Case::Type(t) => {
                    // A repeated type can never be taken: keep the first.
                    if !run.iter().any(|r| ptr::eq(r.1, t)) {
                        run.push((t.hash(), t, i));
                    }
                }
            }
        }
        if !run.is_empty() {
            runs.push(Pending::Concrete(run));
        }
        let mut runs = runs.into_iter().peekable();
        let head = match runs.peek() {
            Some(Pending::Concrete(v)) => HashedRun::new(v),
            _ => None,
        };
        let head = match head {
            Some(table) => {
                runs.next();
                table
            }
            None => HashedRun::EMPTY,
        };
        // Flatten: each sorted run becomes a range of two parallel arrays
        // (hashes searched, then the descriptor compared).
        let mut hashes = Vec::new();
        let mut targets = Vec::new();
        let rest: Vec<Run> = runs
            .map(|r| match r {
                Pending::Concrete(mut v) => {
                    if let Some(table) = HashedRun::new(&v) {
                        return Run::Hashed(Box::new(table));
                    }
                    // Stable: equal hashes stay in source order.
                    v.sort_by_key(|c| c.0);
                    let start = hashes.len();
                    for (h, t, i) in v {
                        hashes.push(h);
                        targets.push((t, i));
                    }
                    Run::Sorted(start, hashes.len())
                }
                Pending::Interface(t, i) => Run::Interface(t, i),
            })
            .collect();
        TypeSwitch {
            nil_case,
            head,
            rest: rest.into_boxed_slice(),
            hashes: hashes.into_boxed_slice(),
            targets: targets.into_boxed_slice(),
        }
    }

    /// Binary-searches one sorted run on the hash (Go: the compiled `if h
    /// <= pivot` tree), then compares descriptors along the equal hashes.
    fn search_sorted(&self, start: usize, end: usize, t: &'static Type, hash: u32) -> Option<usize> {
        let hs = &self.hashes[start..end];
        let first = hs.partition_point(|&h| h < hash);
        let equal = hs[first..].iter().take_while(|&&h| h == hash).count();
        self.targets[start + first..start + first + equal]
            .iter()
            .find(|(target, _)| ptr::eq(*target, t))
            .map(|&(_, case)| case)
    }

    /// The runs after the head, for a non-nil type.
    fn select_rest(&self, t: &'static Type, hash: u32) -> Option<usize> {
        for r in &self.rest {
            let hit = match *r {
                Run::Hashed(ref table) => table.find(t, hash),
                Run::Sorted(start, end) => self.search_sorted(start, end, t, hash),
                Run::Interface(inter, i) => (inter.imethods().is_empty()
                    || implementing_itab(inter, t).is_some())
                .then_some(i),
            };
            if hit.is_some() {
                return hit;
            }
        }
        None
    }

    #[inline]
    fn select_typ(&self, typ: Option<&'static Type>) -> Option<usize> {
        let Some(t) = typ else {
            return self.nil_case;
        };
        let hash = t.hash();
        if let Some(case) = self.head.find(t, hash) {
            return Some(case);
        }
        if self.rest.is_empty() {
            return None;
        }
        self.select_rest(t, hash)
    }

    /// `switch e.(type)`: the index of the case taken, `None` for default.
    #[inline]
    pub fn select(&self, e: &Eface) -> Option<usize> {
        self.select_typ(e.typ)
    }

    /// `switch i.(type)` on a non-empty interface.
    #[inline]
    pub fn select_iface(&self, i: &Iface) -> Option<usize> {
        self.select_typ(i.typ())
    }
}

/// Builds a value of type `*T` pointing to a fresh variable holding `v`
/// (Go: `p := new(T); *p = v`), as an `Eface`.
///
/// # Errors
///
/// [`ShapeError`] when `v` is not a `T`.
///
/// ```
/// use goiface::{new_ptr, types, Val};
/// let e = new_ptr(types::int(), Val::Int(3)).unwrap();
/// assert_eq!(e.typ().unwrap().to_string(), "*int");
/// ```
pub fn new_ptr(t: &'static Type, v: Val) -> Result<Eface, ShapeError> {
    t.check(&v)?;
    Ok(Eface {
        typ: Some(types::ptr_to(t)),
        data: Word::new(Val::Pointer(Some(Pointer::new(v)))),
    })
}

impl From<Eface> for Val {
    /// A value of interface type holding `e` (a field or element of type `any`).
    fn from(e: Eface) -> Val {
        Val::Iface(Box::new(e))
    }
}

#[inline]
pub(crate) fn eface_parts(e: &Eface) -> (Option<&'static Type>, &Val) {
    (e.typ, &*e.data)
}

#[inline]
pub(crate) fn same(a: Option<&'static Type>, b: Option<&'static Type>) -> bool {
    same_type(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eight_types() -> [&'static Type; 8] {
        [
            types::int(),
            types::string(),
            types::bool(),
            types::float64(),
            types::int8(),
            types::int16(),
            types::int32(),
            types::int64(),
        ]
    }

    #[test]
    fn hashed_run_separates_distinct_hashes() {
        let ts = eight_types();
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        let sets = if cfg!(miri) { 20 } else { 5000 };
        for n in 0..sets {
            let len = n % HASHED_RUN_MAX + 1;
            let mut run: Vec<(u32, &'static Type, usize)> = Vec::new();
            while run.len() < len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let h = (x >> 32) as u32;
                if run.iter().all(|r| r.0 != h) {
                    let k = run.len();
                    run.push((h, ts[k], 10 + k));
                }
            }
            let table = HashedRun::new(&run).expect("a multiplier separates them");
            for &(h, t, case) in &run {
                assert_eq!(table.find(t, h), Some(case));
                // Another type with the same hash is not that case.
                let other = if ptr::eq(t, ts[0]) { ts[1] } else { ts[0] };
                assert_eq!(table.find(other, h), None);
            }
        }
    }

    #[test]
    fn hashed_run_refuses_equal_hashes_and_long_runs() {
        let ts = eight_types();
        assert!(HashedRun::new(&[(7, ts[0], 0), (7, ts[1], 1)]).is_none());
        let nine: Vec<_> = (0..9).map(|k| (k as u32 * 977, ts[k % 8], k)).collect();
        assert!(HashedRun::new(&nine).is_none());
        assert!(HashedRun::new(&nine[..8]).is_some());
        assert_eq!(HashedRun::EMPTY.find(ts[0], 0), None);
    }
}
