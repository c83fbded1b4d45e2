//! Itabs and the global itab table: Go's `runtime/iface.go`.
//!
//! # What
//!
//! An [`Itab`] binds one interface type to one concrete type: the method
//! table a call through the interface uses. Building one means matching
//! method lists, so each (interface, type) pair is built once and cached in a
//! hash table that is read on every assertion and written rarely. Pairs that
//! do *not* match are cached too (their `fun[0]` is empty): a failing
//! assertion costs one lookup the second time.
//!
//! # Layout
//!
//! ```text
//! ItabTable { lock, table ──► Table { entries: [AtomicPtr<Itab>; size], prev ──► older Table … } }
//!                                     slot h0 = (inter.hash ^ type.hash) & (size-1)
//!                                     probe i: h_i = h_{i-1} + i  (h0, h0+1, h0+3, h0+6 …)
//! Itab { inter, typ, hash, implements, direct: [fn; 4], fun: [Option<slot>; n] }   fun[0] == None ⇔ !implements
//! ```
//!
//! # Invariants
//!
//! - T1: tables and itabs are never freed while the [`ItabTable`] lives (Go:
//!   `persistentalloc`); a reader may hold any of them after a grow.
//! - T2: a table or itab is fully written before the `Release` store that
//!   publishes it; readers load with `Acquire`, so they see it whole.
//! - T3: entries are only written under the lock, and a slot once non-null
//!   never changes; a grown table is complete before it replaces the old one.
//! - T4: every entry lies on the probe sequence of its pair from `h0`, with
//!   no null slot before it on that sequence (so a lock-free miss is a real
//!   miss for that table snapshot, and the locked re-check settles races).
//!
//! # Tuning
//!
//! [`ITAB_INIT_SIZE`] = 512 (Go's `itabInitSize`); grow ×2 when `count >=
//! 3*(size/4)`: the 385th entry of a 512 table doubles it (iface.md c2).
//! Triangular probing visits every slot of a power-of-two table.
//!
//! # Go correspondence
//!
//! `itabTableType` → `Table`, `itabTable`/`itabLock` → [`ItabTable`],
//! `getitab` → [`ItabTable::getitab`], `itabTableType.find` → `find`,
//! `itabAdd`/`add` → `add`, `itab.init` → [`missing_method`] + `build_fun`.
//!
//! # Divergences
//!
//! Go's itabs of static (compile-time) pairs come from the linker; here
//! [`ItabTable::static_itab`] plays `itabsinit` for a pair when the program
//! first converts a value to the interface. Old tables are kept (linked from
//! the new one) rather than left to the GC; a private table frees everything
//! when dropped.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ptr;

use gocore::atomic::AtomicPtr;
use gocore::atomic::Ordering::{Acquire, Release};
use gocore::lock::SpinLock;

use crate::iface::TypeAssertionError;
use crate::kind::Kind;
use crate::ty::{IMethod, MethodBody, MethodFn, Type};
use crate::value::Val;

/// First size of the itab table.
///
/// Go: `itabInitSize` (runtime/iface.go).
pub const ITAB_INIT_SIZE: usize = 512;

/// One method slot of an itab: the function and how to pass the receiver.
#[derive(Clone, Copy, Debug)]
pub enum ItabFn {
    /// The data word is the receiver as declared.
    Direct(MethodFn),
    /// A value-receiver method reached through `*T`: the data word is a
    /// pointer, dereferenced before the call (Go's `(*T).M` wrapper).
    Deref(MethodFn),
    /// A method promoted through embedded fields: walk `via` from the data
    /// word to the embedded value, then call with a pointer
    /// (`pointer_receiver`) or the value (Go's promoted-method wrappers).
    Promoted {
        /// The embedded fields to walk.
        via: &'static [crate::ty::Hop],
        /// The method.
        func: MethodFn,
        /// Whether it takes `*E`.
        pointer_receiver: bool,
    },
    /// A method promoted from an embedded interface field: walk `via` from
    /// the data word to the interface value, then call method `index` of
    /// `inter` on the value it holds (Go's wrapper `S.M` for `struct{ I }`).
    Embedded {
        /// The embedded fields to walk; the last is of type `inter`.
        via: &'static [crate::ty::Hop],
        /// The embedded interface type.
        inter: &'static Type,
        /// The method's index in `inter`'s method list.
        index: usize,
    },
}

/// An interface table: (interface, concrete type) → methods.
///
/// Go: `runtime.itab`.
///
/// # Examples
///
/// ```
/// use goiface::{types, getitab, IMethod, Method, Named, Val, Eface};
/// fn m(_: &Val, _: &[Eface], _: &mut [Eface]) {}
/// let sig = types::func_of(&[], &[], false);
/// let i = types::interface_of("main", &[IMethod::new("M", sig)]).unwrap();
/// let t = Named::new("main", "T", types::int()).method(goiface::Method::new("M", sig, m)).build().unwrap();
/// let tab = getitab(i, t, true).unwrap();
/// assert!(core::ptr::eq(tab, getitab(i, t, true).unwrap())); // cached: same itab
/// assert_eq!(tab.hash(), 0); // made at run time
/// ```
#[doc(alias = "itab")]
#[derive(Debug)]
pub struct Itab {
    inter: &'static Type,
    typ: &'static Type,
    hash: u32,
    /// `fun[0].is_some()`, kept beside `inter` and `typ` so a cached
    /// assertion reads one itab cache line and no method table (Go reads
    /// `fun[0]`, which its itab holds inline).
    implements: bool,
    /// The first [`INLINE_DIRECT`] slots again, as plain function pointers
    /// when they are [`ItabFn::Direct`]: a call through one of them is one
    /// load from the itab, as Go's inline `fun` array.
    direct: [Option<MethodFn>; INLINE_DIRECT],
    fun: Box<[Option<ItabFn>]>,
}

/// How many method slots an [`Itab`] also keeps inline (most interfaces
/// have at most four methods).
const INLINE_DIRECT: usize = 4;

impl Itab {
    /// The interface type.
    #[inline]
    pub fn inter(&self) -> &'static Type {
        self.inter
    }
    /// The concrete type.
    #[inline]
    pub fn typ(&self) -> &'static Type {
        self.typ
    }
    /// The type hash copy: the type's hash in static itabs, 0 in run-time ones.
    #[inline]
    pub fn hash(&self) -> u32 {
        self.hash
    }
    /// The method slots, in the interface's method order; `fun()[0]` is
    /// `None` iff the type does not implement the interface.
    #[inline]
    pub fn fun(&self) -> &[Option<ItabFn>] {
        &self.fun
    }
    /// Slot `k`'s function when it takes the data word as its receiver
    /// unchanged ([`ItabFn::Direct`]).
    #[inline]
    pub(crate) fn direct(&self, k: usize) -> Option<MethodFn> {
        match self.direct.get(k) {
            Some(&f) => f,
            None => direct_fn(self.fun.get(k)),
        }
    }
    /// Whether the type implements the interface (`fun[0] != 0`).
    #[inline]
    pub fn implements(&self) -> bool {
        self.implements
    }
}

/// The function of a slot that takes the data word as its receiver unchanged.
#[inline]
fn direct_fn(slot: Option<&Option<ItabFn>>) -> Option<MethodFn> {
    match slot {
        Some(Some(ItabFn::Direct(f))) => Some(*f),
        _ => None,
    }
}

/// Go's `itab.init` match: the first method of `imethods` that `typ` lacks,
/// by one merge pass over the two sorted lists (O(ni + nt)).
pub fn missing_method(imethods: &[IMethod], typ: &'static Type) -> Option<&'static str> {
    let tms = typ.methods();
    let mut j = 0;
    'imethods: for im in imethods {
        while j < tms.len() {
            let tm = &tms[j];
            if ptr::eq(tm.mtyp(), im.typ())
                && tm.name() == im.name()
                && (crate::ty::is_exported(tm.name()) || tm.pkg_path() == im.pkg_path())
            {
                continue 'imethods;
            }
            j += 1;
        }
        return Some(im.name());
    }
    None
}

/// Whether `typ` implements `inter` (`Err` carries the missing method).
pub(crate) fn implements(inter: &'static Type, typ: &'static Type) -> Result<(), &'static str> {
    match missing_method(inter.imethods(), typ) {
        None => Ok(()),
        Some(m) => Err(m),
    }
}

/// Fills the method slots (all `None` when a method is missing).
fn build_fun(inter: &'static Type, typ: &'static Type) -> Box<[Option<ItabFn>]> {
    let n = inter.imethods().len().max(1);
    if missing_method(inter.imethods(), typ).is_some() {
        return alloc::vec![None; n].into_boxed_slice();
    }
    let deref = typ.kind() == Kind::Pointer;
    inter
        .imethods()
        .iter()
        .map(|im| {
            typ.methods()
                .iter()
                .find(|m| {
                    ptr::eq(m.mtyp(), im.typ())
                        && m.name() == im.name()
                        && m.pkg_path() == im.pkg_path()
                })
                .map(|m| match m.body() {
                    MethodBody::Interface { inter, index } => ItabFn::Embedded {
                        via: m.via(),
                        inter,
                        index,
                    },
                    MethodBody::Func(func) if !m.via().is_empty() => ItabFn::Promoted {
                        via: m.via(),
                        func,
                        pointer_receiver: m.declared_on_pointer(),
                    },
                    MethodBody::Func(func) if deref && !m.is_pointer_receiver() => {
                        ItabFn::Deref(func)
                    }
                    MethodBody::Func(func) => ItabFn::Direct(func),
                })
        })
        .collect()
}

/// One generation of the open-addressing table.
struct Table {
    /// `size` slots, a power of two.
    entries: Box<[AtomicPtr<Itab>]>,
    /// The table this one replaced (T1), or null.
    prev: *mut Table,
}

#[inline]
fn table_hash(inter: &Type, typ: &Type) -> usize {
    (inter.hash() ^ typ.hash()) as usize
}

impl Table {
    fn new(size: usize, prev: *mut Table) -> Table {
        debug_assert!(size.is_power_of_two());
        Table {
            entries: (0..size).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            prev,
        }
    }

    #[inline]
    fn size(&self) -> usize {
        self.entries.len()
    }

    /// Go: `itabTableType.find`. Lock-free.
    #[inline]
    fn find(&self, inter: &Type, typ: &Type) -> Option<*mut Itab> {
        let entries = &*self.entries;
        // `size` is a power of two (`Table::new`), so `& mask` keeps every
        // probe in bounds.
        let mask = entries.len() - 1;
        let mut h = table_hash(inter, typ) & mask;
        let mut i = 0;
        loop {
            let p = entries[h].load(Acquire);
            if p.is_null() {
                return None;
            }
            // SAFETY: non-null entries point to itabs that are fully built
            // before publication (T2) and live as long as the table (T1).
            let m = unsafe { &*p };
            if ptr::eq(m.inter, inter) && ptr::eq(m.typ, typ) {
                return Some(p);
            }
            i += 1;
            if i == entries.len() {
                return None;
            }
            h = (h + i) & mask;
        }
    }

    /// Go: `itabTableType.add`. Caller holds the lock (T3).
    fn add(&self, m: *mut Itab) {
        // SAFETY: `m` is a live itab (T1), fully built (T2).
        let (inter, typ) = unsafe { ((*m).inter, (*m).typ) };
        let mask = self.size() - 1;
        let mut h = table_hash(inter, typ) & mask;
        for i in 1..=self.size() {
            let slot = &self.entries[h];
            let p = slot.load(Acquire);
            if p == m {
                return;
            }
            if p.is_null() {
                slot.store(m, Release);
                return;
            }
            h = (h + i) & mask;
        }
        unreachable!("itab table full: the grow rule keeps it at most 3/4 full");
    }
}

/// Counters kept under the lock.
struct Counts {
    count: usize,
}

/// An itab table: lock-free lookups, locked inserts, growth ×2 at 3/4 full.
///
/// The program-wide one is behind [`getitab`]; a private table serves tests
/// that count entries without interference and the loom model.
///
/// # Examples
///
/// ```
/// use goiface::{types, ItabTable};
/// let t = ItabTable::new();
/// let stringer = types::interface_of("fmt", &[goiface::IMethod::new(
///     "String", types::func_of(&[], &[types::string()], false))]).unwrap();
/// let ints = types::slice_of(types::int());
/// assert!(t.getitab(stringer, ints, true).is_err()); // []int has no methods
/// assert_eq!(t.count(), 0); // types without an uncommon part are not cached
/// assert!(t.getitab(stringer, types::int(), true).is_err());
/// assert_eq!(t.count(), 1); // int is named: the failure is cached
/// ```
pub struct ItabTable {
    lock: SpinLock<Counts>,
    table: AtomicPtr<Table>,
    init_size: usize,
}

// `ItabTable` is `Send + Sync` through its fields (`AtomicPtr`, `SpinLock`):
// the tables and itabs behind the pointers are immutable after publication
// (T2) apart from their atomics, and hold only `Sync` data (`&'static Type`,
// fn pointers), so sharing them is sound.

impl Default for ItabTable {
    fn default() -> Self {
        ItabTable::new()
    }
}

impl ItabTable {
    /// An empty table that starts at [`ITAB_INIT_SIZE`] slots.
    pub fn new() -> ItabTable {
        ItabTable::with_initial_size(ITAB_INIT_SIZE)
    }

    /// An empty table starting at `size` slots (rounded up to a power of two, at least 4).
    pub fn with_initial_size(size: usize) -> ItabTable {
        ItabTable {
            lock: SpinLock::new(Counts { count: 0 }),
            table: AtomicPtr::new(ptr::null_mut()),
            init_size: size.max(4).next_power_of_two(),
        }
    }

    #[inline]
    fn current(&self) -> Option<&Table> {
        let t = self.table.load(Acquire);
        // SAFETY: a published table is complete (T2) and outlives `self`'s
        // borrow (T1: freed only in `drop`, which takes `&mut self`).
        (!t.is_null()).then(|| unsafe { &*t })
    }

    /// The current number of slots (0 before the first insert).
    pub fn size(&self) -> usize {
        self.current().map_or(0, Table::size)
    }

    /// The number of entries, successes and failures.
    pub fn count(&self) -> usize {
        self.lock.lock().count
    }

    /// A snapshot of the slots: `(slot, itab)` for each filled one.
    pub fn entries(&self) -> Vec<(usize, &Itab)> {
        let Some(t) = self.current() else {
            return Vec::new();
        };
        t.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let p = e.load(Acquire);
                // SAFETY: as in `Table::find` (T1, T2).
                (!p.is_null()).then(|| (i, unsafe { &*p }))
            })
            .collect()
    }

    /// The slot a pair's probe sequence starts at in the current table.
    pub fn home_slot(&self, inter: &Type, typ: &Type) -> usize {
        table_hash(inter, typ) & self.size().saturating_sub(1)
    }

    /// Looks a pair up without taking the lock.
    #[inline]
    pub fn find(&self, inter: &Type, typ: &Type) -> Option<&Itab> {
        let p = self.current()?.find(inter, typ)?;
        // SAFETY: as in `Table::find` (T1, T2).
        Some(unsafe { &*p })
    }

    /// Go: `itabAdd`. Caller holds the lock.
    fn add_locked(&self, counts: &mut Counts, m: *mut Itab) {
        let mut cur = self.table.load(Acquire);
        if cur.is_null() {
            let t = Box::into_raw(Box::new(Table::new(self.init_size, ptr::null_mut())));
            self.table.store(t, Release);
            cur = t;
        }
        // SAFETY: published and live (T1, T2).
        let t = unsafe { &*cur };
        if counts.count >= 3 * (t.size() / 4) {
            // Grow: a complete copy at twice the size, then publish (T3).
            let t2 = Table::new(t.size() * 2, cur);
            for e in t.entries.iter() {
                let p = e.load(Acquire);
                if !p.is_null() {
                    t2.add(p);
                }
            }
            let t2 = Box::into_raw(Box::new(t2));
            self.table.store(t2, Release);
            cur = t2;
        }
        // SAFETY: as above.
        unsafe { &*cur }.add(m);
        counts.count += 1;
    }

    #[inline]
    fn find_or_add(&self, inter: &'static Type, typ: &'static Type, hash: u32) -> &Itab {
        if let Some(m) = self.find(inter, typ) {
            return m;
        }
        let mut counts = self.lock.lock();
        // Re-check under the lock: another thread may have added it.
        if let Some(m) = self.find(inter, typ) {
            return m;
        }
        let fun = build_fun(inter, typ);
        let m = Box::into_raw(Box::new(Itab {
            inter,
            typ,
            hash,
            implements: fun.first().is_some_and(|f| f.is_some()),
            direct: core::array::from_fn(|k| direct_fn(fun.get(k))),
            fun,
        }));
        self.add_locked(&mut counts, m);
        // SAFETY: just published, lives as long as the table (T1).
        unsafe { &*m }
    }

    /// Go: `getitab(inter, typ, canfail)`. The itab for the pair, made and
    /// cached (hash 0) if new; failures are cached too.
    ///
    /// # Errors
    ///
    /// When `typ` does not implement `inter`: the [`TypeAssertionError`]
    /// naming the missing method.
    ///
    /// # Panics
    ///
    /// With that error's text when `canfail` is false, and if `inter` is not
    /// a non-empty interface (Go: `internal error - misuse of itab`).
    #[inline]
    pub fn getitab(
        &self,
        inter: &'static Type,
        typ: &'static Type,
        canfail: bool,
    ) -> Result<&Itab, TypeAssertionError> {
        if inter.kind() != Kind::Interface || inter.imethods().is_empty() {
            panic!("internal error - misuse of itab");
        }
        let fail = |missing: &'static str| {
            let e = TypeAssertionError::missing(typ, inter, missing);
            if canfail {
                Err(e)
            } else {
                panic!("{e}")
            }
        };
        if !typ.has_uncommon() {
            return fail(inter.imethods()[0].name());
        }
        let m = self.find_or_add(inter, typ, 0);
        if m.implements() {
            return Ok(m);
        }
        // Re-run the match to name the missing method, as Go does.
        fail(missing_method(inter.imethods(), typ).unwrap_or(""))
    }

    /// The itab of a compile-time pair (Go: `go.itab.T,I`, added by
    /// `itabsinit`): hash = the type's hash. If the pair is already cached
    /// that itab is returned.
    ///
    /// # Errors
    ///
    /// When `typ` does not implement `inter` (a compile error in Go).
    pub fn static_itab(
        &self,
        inter: &'static Type,
        typ: &'static Type,
    ) -> Result<&Itab, TypeAssertionError> {
        if let Err(missing) = implements(inter, typ) {
            return Err(TypeAssertionError::missing(typ, inter, missing));
        }
        Ok(self.find_or_add(inter, typ, typ.hash()))
    }
}

impl Drop for ItabTable {
    fn drop(&mut self) {
        let mut t = self.table.load(Acquire);
        if t.is_null() {
            return;
        }
        // SAFETY: `&mut self`: no reader remains; the current table holds
        // every itab exactly once, older tables hold subsets (freed once here).
        let cur = unsafe { Box::from_raw(t) };
        for e in cur.entries.iter() {
            let p = e.load(Acquire);
            if !p.is_null() {
                // SAFETY: each itab was made by `Box::into_raw` and appears once
                // in the current table.
                drop(unsafe { Box::from_raw(p) });
            }
        }
        t = cur.prev;
        while !t.is_null() {
            // SAFETY: each table was made by `Box::into_raw` and is linked once.
            let old = unsafe { Box::from_raw(t) };
            t = old.prev;
        }
    }
}

#[cfg(not(loom))]
static ITAB_TABLE: ItabTable = ItabTable {
    lock: SpinLock::new(Counts { count: 0 }),
    table: AtomicPtr::new(ptr::null_mut()),
    init_size: ITAB_INIT_SIZE,
};

#[cfg(loom)]
loom::lazy_static! {
    static ref ITAB_TABLE: ItabTable = ItabTable::new();
}

/// The program-wide itab table (Go: `itabTable`).
#[inline]
pub fn itab_table() -> &'static ItabTable {
    &ITAB_TABLE
}

/// Go: `getitab` on the program-wide table. See [`ItabTable::getitab`].
///
/// # Errors
///
/// When `typ` does not implement `inter` and `canfail`.
///
/// # Panics
///
/// When it does not and `!canfail`, with Go's text.
pub fn getitab(
    inter: &'static Type,
    typ: &'static Type,
    canfail: bool,
) -> Result<&'static Itab, TypeAssertionError> {
    itab_table().getitab(inter, typ, canfail)
}

/// Calls slot `k` of `tab` with receiver data `recv`.
#[inline]
pub(crate) fn call_slot(
    tab: &Itab,
    k: usize,
    recv: &Val,
    args: &[crate::Eface],
    results: &mut [crate::Eface],
) {
    match tab.fun.get(k).copied().flatten() {
        Some(ItabFn::Direct(f)) => f(recv, args, results),
        Some(ItabFn::Deref(f)) => match recv {
            Val::Pointer(Some(p)) => f(&p.load(), args, results),
            _ => {
                let elem = tab.typ.elem().map_or("?", |e| e.string());
                let name = tab.inter.imethods().get(k).map_or("?", |m| m.name());
                panic!(
                    "value method {elem}.{name} called using nil *{} pointer",
                    tab.typ.elem().map_or("?", |e| e.name())
                )
            }
        },
        Some(ItabFn::Promoted {
            via,
            func,
            pointer_receiver,
        }) => {
            let recv = walk_embedded(recv, via, pointer_receiver);
            func(&recv, args, results)
        }
        Some(ItabFn::Embedded { via, inter, index }) => match walk_embedded(recv, via, false) {
            // Go: the wrapper loads the field's itab and calls through it.
            // The field's dynamic type implements `inter` (E1: values are
            // checked against their types), so the lookup cannot fail.
            Val::Iface(e) => match e.typ().map(|t| getitab(inter, t, true)) {
                Some(Ok(inner)) => call_slot(inner, index, e.data(), args, results),
                Some(Err(err)) => unreachable!("E1: {err}"),
                None => panic!("runtime error: invalid memory address or nil pointer dereference"),
            },
            _ => unreachable!("E1: a field of interface type holds a Val::Iface"),
        },
        None => panic!("goiface: method slot {k} of a non-implementing itab"),
    }
}

/// Where a promoted method's receiver is: a value or a place.
enum Recv {
    Value(Val),
    Place(crate::value::Pointer),
}

/// Walks embedded fields from a receiver (a struct value, or a pointer to
/// one) to the value a promoted method was declared on.
///
/// # Panics
///
/// Go's nil-dereference panic when an embedded pointer (or the receiver) is nil.
fn walk_embedded(recv: &Val, via: &[crate::ty::Hop], pointer_receiver: bool) -> Val {
    let nil = || -> ! { panic!("runtime error: invalid memory address or nil pointer dereference") };
    let mut cur = match recv {
        Val::Pointer(Some(p)) => Recv::Place(p.clone()),
        Val::Pointer(None) => nil(),
        v => Recv::Value(v.clone()),
    };
    for hop in via {
        cur = match cur {
            Recv::Place(p) => Recv::Place(p.field(hop.field)),
            Recv::Value(Val::Struct(mut fs)) => Recv::Value(fs.swap_remove(hop.field)),
            Recv::Value(_) => unreachable!("E1: embedded fields live in structs"),
        };
        if hop.deref {
            let v = match cur {
                Recv::Place(p) => p.load(),
                Recv::Value(v) => v,
            };
            cur = match v {
                Val::Pointer(Some(q)) => Recv::Place(q),
                _ => nil(),
            };
        }
    }
    match (cur, pointer_receiver) {
        (Recv::Place(p), true) => Val::Pointer(Some(p)),
        (Recv::Place(p), false) => p.load(),
        (Recv::Value(v), false) => v,
        // Method sets give pointer methods only to addressable receivers.
        (Recv::Value(_), true) => unreachable!("a value receiver has no pointer methods"),
    }
}
