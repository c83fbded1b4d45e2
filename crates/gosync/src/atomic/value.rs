//! [`Value`]: Go's `sync/atomic.Value`, a value replaced atomically, whose
//! type is fixed by the first store.
//!
//! # What
//!
//! Go's `Value` holds an `any` (an interface: type word + data word). Every
//! store must use the concrete type of the first one; storing `nil` is
//! refused. Loads return the interface, and `CompareAndSwap` compares with
//! `==`.
//!
//! # Why not `Value<T>`
//!
//! A generic `Value<T>` would make Go's consistent-type rule vacuous (the
//! compiler enforces it) and would be `ArcSwap<T>` under another name. This
//! `Value` keeps Go's meaning instead: it holds an
//! [`AnyValue`] (`Arc<dyn Any + Send + Sync>`, Rust's `any`), fixes its
//! `TypeId` at the first store, and panics with Go's messages when a later
//! store, swap or compare-and-swap brings another type. Go's `nil` is
//! `None` in the `*_any` methods, which take and return `Option<AnyValue>`;
//! the typed methods ([`Value::store`], [`Value::swap`],
//! [`Value::compare_and_swap`], [`Value::load_as`]) wrap and unwrap the
//! `Arc` for you and cannot pass `nil`.
//!
//! # Layout
//!
//! ```text
//! Value { slot: RwLock<Option<AnyValue>> }   None until the first store,
//!                                            never None again (as Go's typ)
//! ```
//!
//! # Divergences
//!
//! - Go's `Value` is lock-free: the data word is swapped with one atomic
//!   pointer store (the garbage collector frees the old value later). A fat
//!   `Arc<dyn Any>` does not fit in one atomic word, and freeing the old value
//!   needs to know no `load` still clones it, so the slot sits behind the
//!   crate's [`RwLock`](crate::RwLock): loads take the read side (they never
//!   wait for each other), stores the write side for the time of a pointer
//!   swap. The replaced value is released after the lock, so a user `Drop`
//!   never runs under it.
//! - `compare_and_swap_any` compares by identity ([`Arc::ptr_eq`]): a
//!   `dyn Any` has no `==`. That is Go's `==` for pointer-typed values;
//!   [`Value::compare_and_swap`] compares with `T`'s `PartialEq`, as Go does
//!   for comparable value types.
//!
//! # Go correspondence (Go 1.19 `src/sync/atomic/value.go`)
//!
//! `Load` → [`Value::load`] / [`Value::load_as`], `Store` → [`Value::store`]
//! / [`Value::store_any`], `Swap` → [`Value::swap`] / [`Value::swap_any`],
//! `CompareAndSwap` → [`Value::compare_and_swap`] /
//! [`Value::compare_and_swap_any`].

use alloc::sync::Arc;
use core::any::{Any, TypeId};
use core::fmt;

use crate::RwLock;

/// Rust's `any` for [`Value`]: a shared, type-erased value.
pub type AnyValue = Arc<dyn Any + Send + Sync>;

/// The dynamic type of the value inside `v` (not the `Arc`'s own type).
fn type_of(v: &AnyValue) -> TypeId {
    let inner: &dyn Any = &**v;
    inner.type_id()
}

/// An atomically replaced value whose type is fixed by the first store: Go's
/// `sync/atomic.Value`.
///
/// Go: `var v atomic.Value; v.Store(cfg); c := v.Load().(Config)`.
///
/// # Examples
///
/// ```
/// use gosync::atomic::Value;
///
/// let v = Value::new();
/// assert!(v.load().is_none()); // Go: Load() == nil before the first Store
/// v.store(42_i32);
/// assert_eq!(*v.load_as::<i32>().unwrap(), 42);
/// v.store(84_i32);
/// assert_eq!(v.load().unwrap().downcast_ref::<i32>(), Some(&84));
/// ```
///
/// Another type after the first store panics with Go's message:
///
/// ```should_panic
/// let v = gosync::atomic::Value::new();
/// v.store(42_i32);
/// v.store("foo");
/// ```
#[doc(alias = "sync/atomic.Value")]
#[doc(alias = "atomic.Value")]
pub struct Value {
    slot: RwLock<Option<AnyValue>>,
}

impl Value {
    /// An empty value (Go's zero `atomic.Value`).
    ///
    /// # Examples
    ///
    /// ```
    /// static CONFIG: gosync::atomic::Value = gosync::atomic::Value::new();
    /// assert!(CONFIG.load().is_none());
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Value {
            slot: RwLock::new(None),
        }
    }

    /// An empty value (Go's zero `atomic.Value`).
    #[cfg(loom)]
    pub fn new() -> Self {
        Value {
            slot: RwLock::new(None),
        }
    }

    /// Returns the value of the latest store, or `None` (Go's `nil`) if there
    /// has been none.
    ///
    /// Go: `v.Load()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// v.store(String::from("foo"));
    /// let x = v.load().unwrap();
    /// assert_eq!(x.downcast_ref::<String>().map(String::as_str), Some("foo"));
    /// ```
    pub fn load(&self) -> Option<AnyValue> {
        self.slot.read().clone()
    }

    /// Returns the value of the latest store as a `T`: `None` if there has
    /// been no store or the stored type is not `T` (Go's comma-ok assertion
    /// `x, ok := v.Load().(T)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// assert!(v.load_as::<u8>().is_none());
    /// v.store(7u8);
    /// assert_eq!(v.load_as::<u8>().as_deref(), Some(&7));
    /// assert!(v.load_as::<u16>().is_none());
    /// ```
    pub fn load_as<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.load()?.downcast::<T>().ok()
    }

    /// Stores `val`. Every store must use the type of the first one.
    ///
    /// Go: `v.Store(val)`.
    ///
    /// # Panics
    ///
    /// `"sync/atomic: store of inconsistently typed value into Value"` if an
    /// earlier store used another type.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// v.store(vec![1, 2]);
    /// v.store(vec![3]);
    /// assert_eq!(*v.load_as::<Vec<i32>>().unwrap(), [3]);
    /// ```
    pub fn store<T: Any + Send + Sync>(&self, val: T) {
        self.store_any(Some(Arc::new(val)));
    }

    /// Stores `val`, or panics on `None` (Go's `Store(nil)`).
    ///
    /// Go: `v.Store(val)` with `val any`.
    ///
    /// # Panics
    ///
    /// - `"sync/atomic: store of nil value into Value"` if `val` is `None`;
    /// - `"sync/atomic: store of inconsistently typed value into Value"` if
    ///   an earlier store used another type.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let v = gosync::atomic::Value::new();
    /// let shared: gosync::atomic::AnyValue = Arc::new(1.5_f64);
    /// v.store_any(Some(Arc::clone(&shared)));
    /// assert!(Arc::ptr_eq(&v.load().unwrap(), &shared));
    /// ```
    pub fn store_any(&self, val: Option<AnyValue>) {
        let Some(val) = val else {
            panic!("sync/atomic: store of nil value into Value")
        };
        let Ok(old) = self.replace(val) else {
            panic!("sync/atomic: store of inconsistently typed value into Value")
        };
        drop(old); // after the lock: a panicking `Drop` leaves the Value consistent
    }

    /// Stores `new` and returns the previous value, `None` if there was none.
    ///
    /// Go: `old := v.Swap(new)`.
    ///
    /// # Panics
    ///
    /// `"sync/atomic: swap of inconsistently typed value into Value"` if an
    /// earlier store used another type.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// assert_eq!(v.swap(1u32), None);
    /// assert_eq!(v.swap(2u32).as_deref(), Some(&1));
    /// ```
    pub fn swap<T: Any + Send + Sync>(&self, new: T) -> Option<Arc<T>> {
        let old = self.swap_any(Some(Arc::new(new)))?;
        // Same TypeId as `new`: `replace` checked it.
        Some(
            old.downcast::<T>()
                .unwrap_or_else(|_| unreachable!("type checked by replace")),
        )
    }

    /// Stores `new` and returns the previous value, `None` if there was none;
    /// panics on `new == None` (Go's `Swap(nil)`).
    ///
    /// Go: `old := v.Swap(new)` with `new any`.
    ///
    /// # Panics
    ///
    /// - `"sync/atomic: swap of nil value into Value"` if `new` is `None`;
    /// - `"sync/atomic: swap of inconsistently typed value into Value"` if
    ///   an earlier store used another type.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let v = gosync::atomic::Value::new();
    /// assert!(v.swap_any(Some(Arc::new('a'))).is_none());
    /// let old = v.swap_any(Some(Arc::new('b'))).unwrap();
    /// assert_eq!(old.downcast_ref::<char>(), Some(&'a'));
    /// ```
    pub fn swap_any(&self, new: Option<AnyValue>) -> Option<AnyValue> {
        let Some(new) = new else {
            panic!("sync/atomic: swap of nil value into Value")
        };
        match self.replace(new) {
            Ok(old) => old,
            Err(()) => panic!("sync/atomic: swap of inconsistently typed value into Value"),
        }
    }

    /// Stores `new` if the current value equals `old` (`None`: if there has
    /// been no store yet); reports whether it did.
    ///
    /// Go: `v.CompareAndSwap(old, new)`, comparing with `==` (here `T`'s
    /// `PartialEq`, which runs outside the lock, as in Go's loop: compare a
    /// loaded value, then swap only if the slot still holds it; if `eq`
    /// panics, nothing is stored).
    ///
    /// # Panics
    ///
    /// `"sync/atomic: compare and swap of inconsistently typed value into
    /// Value"` if an earlier store used another type.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = gosync::atomic::Value::new();
    /// assert!(!v.compare_and_swap(Some(&1u8), 2)); // empty: only None matches
    /// assert!(v.compare_and_swap(None, 1u8));
    /// assert!(!v.compare_and_swap(None, 3u8)); // no longer empty
    /// assert!(v.compare_and_swap(Some(&1u8), 2u8));
    /// assert_eq!(*v.load_as::<u8>().unwrap(), 2);
    /// ```
    pub fn compare_and_swap<T: Any + Send + Sync + PartialEq>(
        &self,
        old: Option<&T>,
        new: T,
    ) -> bool {
        let new: AnyValue = Arc::new(new);
        // Go's loop: compare a loaded value (user `eq` runs outside the
        // lock), then swap only if the slot still holds that same value.
        loop {
            let cur = self.load();
            if let Some(cur) = &cur {
                if type_of(cur) != TypeId::of::<T>() {
                    panic!(
                        "sync/atomic: compare and swap of inconsistently typed value into Value"
                    );
                }
            }
            let equal = match (&cur, old) {
                (None, None) => true,
                (Some(cur), Some(old)) => cur.downcast_ref::<T>() == Some(old),
                _ => false,
            };
            if !equal {
                return false;
            }
            if self.replace_if_current(cur.as_ref(), &new) {
                return true;
            }
        }
    }

    /// Stores `new` if the current value is `old` — the same `Arc`, as
    /// returned by [`Value::load`] (`None`: if there has been no store yet);
    /// reports whether it did. Panics on `new == None` (Go's
    /// `CompareAndSwap(old, nil)`).
    ///
    /// Go: `v.CompareAndSwap(old, new)` with `old, new any`; Go compares with
    /// `==`, which a `dyn Any` lacks: identity is Go's `==` for pointers.
    ///
    /// # Panics
    ///
    /// - `"sync/atomic: compare and swap of nil value into Value"` if `new`
    ///   is `None`;
    /// - `"sync/atomic: compare and swap of inconsistently typed values"` if
    ///   `old` and `new` have different types;
    /// - `"sync/atomic: compare and swap of inconsistently typed value into
    ///   Value"` if an earlier store used another type.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let v = gosync::atomic::Value::new();
    /// v.store(1u8);
    /// let cur = v.load();
    /// assert!(v.compare_and_swap_any(cur.as_ref(), Some(Arc::new(2u8))));
    /// // `cur` is no longer the stored Arc, even though it holds 1 as before:
    /// assert!(!v.compare_and_swap_any(cur.as_ref(), Some(Arc::new(3u8))));
    /// ```
    pub fn compare_and_swap_any(&self, old: Option<&AnyValue>, new: Option<AnyValue>) -> bool {
        let Some(new) = new else {
            panic!("sync/atomic: compare and swap of nil value into Value")
        };
        if let Some(old) = old {
            if type_of(old) != type_of(&new) {
                panic!("sync/atomic: compare and swap of inconsistently typed values");
            }
        }
        let cur = self.load();
        if let Some(cur) = &cur {
            if type_of(cur) != type_of(&new) {
                panic!("sync/atomic: compare and swap of inconsistently typed value into Value");
            }
        }
        let same = match (&cur, old) {
            (None, None) => true,
            (Some(cur), Some(old)) => Arc::ptr_eq(cur, old),
            _ => false,
        };
        same && self.replace_if_current(old, &new)
    }

    /// Stores a clone of `new` if the slot still holds `cur` (the same `Arc`,
    /// or nothing); reports whether it did. The replaced value is dropped
    /// after the lock.
    fn replace_if_current(&self, cur: Option<&AnyValue>, new: &AnyValue) -> bool {
        let mut slot = self.slot.write();
        let unchanged = match (&*slot, cur) {
            (None, None) => true,
            (Some(now), Some(cur)) => Arc::ptr_eq(now, cur),
            _ => false,
        };
        if !unchanged {
            return false;
        }
        let replaced = slot.replace(Arc::clone(new));
        drop(slot);
        drop(replaced);
        true
    }

    /// Puts `new` in the slot if its type is the current one's; returns the
    /// previous value (for the caller to drop after the lock), or `Err` on a
    /// type mismatch (`new` is dropped, the slot untouched).
    fn replace(&self, new: AnyValue) -> Result<Option<AnyValue>, ()> {
        let mut slot = self.slot.write();
        if let Some(cur) = &*slot {
            if type_of(cur) != type_of(&new) {
                return Err(());
            }
        }
        Ok(slot.replace(new))
    }
}

impl Default for Value {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Value")
            .field("stored", &self.slot.read().is_some())
            .finish()
    }
}
