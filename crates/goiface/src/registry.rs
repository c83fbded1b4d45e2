//! The global registry of descriptors and names (I4 of `crate::ty`).
//!
//! Go's type descriptors are linker data that never go away; ours are leaked
//! allocations. Every one is recorded here, in a static, so it stays reachable
//! (leak checkers such as Miri's treat it as live) and so unnamed types can be
//! interned: the same structural key gives the same descriptor, as
//! `reflect.PtrTo`/`SliceOf`/`MapOf` give the linker's descriptor.
//!
//! The lock is held only to look up and to insert, never while a descriptor is
//! being built (building may intern element types and names); two threads
//! racing to build the same type both build it and the second insert adopts
//! the first one's descriptor, dropping its own before it was ever shared.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use gocore::lock::SpinLock;

use crate::ty::{Proto, Type, TypeError};

/// The structural identity of an unnamed type: kind and element addresses.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Basic(u8),
    Ptr(usize),
    Slice(usize),
    Array(u64, usize),
    Map(usize, usize),
    Chan(u8, usize),
    Func(Vec<usize>, Vec<usize>, bool),
    Struct(String, Vec<(String, usize, bool)>),
    Interface(Vec<(String, String, usize)>),
}

pub(crate) struct Registry {
    all: Vec<&'static Type>,
    interned: BTreeMap<Key, &'static Type>,
    names: BTreeSet<&'static str>,
    hops: Vec<&'static [crate::ty::Hop]>,
}

impl Registry {
    const fn new() -> Registry {
        Registry {
            all: Vec::new(),
            interned: BTreeMap::new(),
            names: BTreeSet::new(),
            hops: Vec::new(),
        }
    }
}

#[cfg(not(loom))]
static REGISTRY: SpinLock<Registry> = SpinLock::new(Registry::new());

#[cfg(loom)]
loom::lazy_static! {
    static ref REGISTRY: SpinLock<Registry> = SpinLock::new(Registry::new());
}

/// Leaks `t` and records it (I4).
pub(crate) fn register(t: Type) -> &'static Type {
    let t: &'static Type = Box::leak(Box::new(t));
    REGISTRY.lock().all.push(t);
    t
}

/// The interned descriptor for `key`, built by `make` if there is none yet.
pub(crate) fn intern(key: Key, make: impl FnOnce() -> Proto) -> Result<&'static Type, TypeError> {
    if let Some(&t) = REGISTRY.lock().interned.get(&key) {
        return Ok(t);
    }
    let built = make().build()?;
    let mut reg = REGISTRY.lock();
    if let Some(&t) = reg.interned.get(&key) {
        return Ok(t);
    }
    let t: &'static Type = Box::leak(Box::new(built));
    reg.all.push(t);
    reg.interned.insert(key, t);
    Ok(t)
}

/// The one stored copy of the string `s`.
pub(crate) fn intern_str(s: &str) -> &'static str {
    let mut reg = REGISTRY.lock();
    if let Some(&n) = reg.names.get(s) {
        return n;
    }
    let n: &'static str = Box::leak(Box::from(s));
    reg.names.insert(n);
    n
}

/// Slot of `interface{}` in the fast cache (slots 0..=26 are the kinds of
/// the predeclared types).
pub(crate) const ANY_SLOT: usize = 27;

#[cfg(not(loom))]
mod fast {
    use core::ptr;

    use gocore::atomic::AtomicPtr;
    use gocore::atomic::Ordering::{Acquire, Release};

    use crate::ty::Type;

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: AtomicPtr<Type> = AtomicPtr::new(ptr::null_mut());
    /// The predeclared types and `any`, which every conversion and
    /// assertion error names: one atomic load instead of the registry lock.
    static FAST: [AtomicPtr<Type>; 28] = [EMPTY; 28];

    #[inline]
    pub(crate) fn cached(slot: usize, make: impl FnOnce() -> &'static Type) -> &'static Type {
        let p = FAST[slot].load(Acquire);
        if !p.is_null() {
            // SAFETY: only `&'static Type` references (leaked, never freed:
            // I4 of `crate::ty`) are stored, with Release, after they were
            // fully built; the Acquire load sees the whole descriptor.
            return unsafe { &*p };
        }
        let t = make();
        // Racing stores write the same interned descriptor.
        FAST[slot].store(t as *const Type as *mut Type, Release);
        t
    }
}

/// The interned descriptor in fast-cache `slot`, made by `make` the first time.
#[cfg(not(loom))]
pub(crate) use fast::cached;

/// Under loom the statics cannot hold loom atomics: no fast cache.
#[cfg(loom)]
pub(crate) fn cached(_slot: usize, make: impl FnOnce() -> &'static Type) -> &'static Type {
    make()
}

/// Stores a promoted method's field path for the life of the program (it
/// is referenced from a registered descriptor, so it stays reachable).
pub(crate) fn leak_hops(via: Vec<crate::ty::Hop>) -> &'static [crate::ty::Hop] {
    let via: &'static [crate::ty::Hop] = Box::leak(via.into_boxed_slice());
    // Recorded even when the method ends up unused (ambiguous, shadowed, or
    // its type lost an interning race), so nothing leaked is unreachable (I4).
    REGISTRY.lock().hops.push(via);
    via
}

/// How many descriptors exist (for tests and the tour).
pub fn type_count() -> usize {
    REGISTRY.lock().all.len()
}
