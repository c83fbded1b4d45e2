//! Go values as this crate stores them in an interface's data word.
//!
//! Go keeps a value's bytes behind the data word (or, for pointer-shaped
//! types, the pointer itself). Here the data word holds a [`Val`]: a small
//! tree that mirrors the type's shape. Scalars are stored inline; everything
//! Go shares by reference is shared here through [`Rc`]:
//!
//! ```text
//! Val::Pointer(Some(p)) ──► Pointer { root: Rc<RefCell<Val>>, path: [field/index…] }
//! Val::Slice(Some(s))   ──► SliceVal { backing: Rc<RefCell<Val::Array>>, off, len, cap }
//! Val::Ref(Some(h))     ──► Rc<dyn Any>   (map, chan, func: identity only)
//! Val::Struct(fields) / Val::Array(elems): by value, copied like Go copies them
//! ```
//!
//! A [`Pointer`] names one *place*: a root cell plus a path of field and
//! element indices, so `&s.f` and `&a[2]` point into the middle of a value as
//! in Go, and two pointers are equal iff root and path are equal (Go: same
//! address and same type). That is what reflection's "addressable" means in
//! this crate: a value reached through a [`Pointer`].
//!
//! Inside an [`Eface`] or an `Iface` the value sits in a `Word`, which
//! clones and drops bools, numbers and nil pointers inline and calls out of
//! line only for values that own memory.
//!
//! Invariants:
//! - I1: a value stored under a type always has that type's shape
//!   ([`crate::Type::check`] enforces it at every entry point, down to
//!   pointers: a pointee is not followed, so cyclic structures can be
//!   checked, and a [`Pointer`] built by hand must point at a value of the
//!   element type — otherwise reads see the wrong shape and report it with
//!   a panic or a `ShapeError`, never undefined behaviour).
//! - I2: integer values are kept truncated to their type's width (`int8(-1)`
//!   is `Int(-1)`, `uint8(255)` is `Uint(255)`), `float32` values are rounded
//!   to `f32`, so equality and hashing need no type-specific normalising.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::any::Any;
use core::cell::RefCell;
use core::fmt;
use core::mem::{self, ManuallyDrop};
use core::ops::Deref;

use crate::iface::Eface;

/// A Go value, shaped like its type (see the module docs).
///
/// # Examples
///
/// ```
/// use goiface::Val;
/// let v = Val::Struct(vec![Val::Int(1), Val::from("go")]);
/// assert_eq!(v, Val::Struct(vec![Val::Int(1), Val::from("go")]));
/// ```
// `repr(C, u64)`: a word-sized tag and every payload from the second word
// on, so a scalar is two words to copy (a clone in an assertion, a method
// result): with a byte tag, `Bool`'s payload at byte 1 makes the copies
// move the bytes after the tag one by one.
#[derive(Clone)]
#[repr(C, u64)]
pub enum Val {
    /// `bool`
    Bool(bool),
    /// Signed integers (`int`, `int8` … `int64`), truncated to the type's width.
    Int(i64),
    /// Unsigned integers and `uintptr`, truncated to the type's width.
    Uint(u64),
    /// `float32` (rounded to `f32`) and `float64`.
    Float(f64),
    /// `complex64` and `complex128`: real and imaginary parts.
    Complex(f64, f64),
    /// `string`
    String(Rc<str>),
    /// `*T` and `unsafe.Pointer`; `None` is nil.
    Pointer(Option<Pointer>),
    /// `[]T`; `None` is a nil slice.
    Slice(Option<SliceVal>),
    /// `map`, `chan` and `func` values: an opaque handle compared by identity;
    /// `None` is nil.
    Ref(Option<Rc<dyn Any>>),
    /// `[N]T`: exactly N elements.
    Array(Vec<Val>),
    /// `struct{…}`: one value per field.
    Struct(Vec<Val>),
    /// A value of interface type (a field or element declared as an interface).
    Iface(Box<Eface>),
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Bool(b) => write!(f, "{b}"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Uint(u) => write!(f, "{u}"),
            Val::Float(x) => write!(f, "{x:?}"),
            Val::Complex(r, i) => write!(f, "({r:?}+{i:?}i)"),
            Val::String(s) => write!(f, "{s:?}"),
            Val::Pointer(None) | Val::Slice(None) | Val::Ref(None) => f.write_str("nil"),
            Val::Pointer(Some(p)) => write!(f, "&{:?}", p.path),
            Val::Slice(Some(s)) => write!(f, "[]{{len {} cap {}}}", s.len, s.cap),
            Val::Ref(Some(_)) => f.write_str("<ref>"),
            Val::Array(v) => f.debug_list().entries(v).finish(),
            Val::Struct(v) => {
                f.write_str("{")?;
                f.debug_list().entries(v).finish()?;
                f.write_str("}")
            }
            Val::Iface(e) => write!(f, "{e:?}"),
        }
    }
}

/// Structural equality of the stored trees (for tests and models). This is
/// *not* Go's `==`: NaN equals itself here, maps compare by identity. Use
/// [`crate::efaceeq`] for Go's rules.
impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Int(a), Val::Int(b)) => a == b,
            (Val::Uint(a), Val::Uint(b)) => a == b,
            (Val::Float(a), Val::Float(b)) => a.to_bits() == b.to_bits(),
            (Val::Complex(a, b), Val::Complex(c, d)) => {
                a.to_bits() == c.to_bits() && b.to_bits() == d.to_bits()
            }
            (Val::String(a), Val::String(b)) => a == b,
            (Val::Pointer(a), Val::Pointer(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.same_place(b),
                _ => false,
            },
            (Val::Slice(a), Val::Slice(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => {
                    Rc::ptr_eq(&a.backing, &b.backing)
                        && (a.off, a.len, a.cap) == (b.off, b.len, b.cap)
                }
                _ => false,
            },
            (Val::Ref(a), Val::Ref(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                _ => false,
            },
            (Val::Array(a), Val::Array(b)) | (Val::Struct(a), Val::Struct(b)) => a == b,
            (Val::Iface(a), Val::Iface(b)) => {
                crate::ty::same_type(a.typ(), b.typ()) && a.data() == b.data()
            }
            _ => false,
        }
    }
}

impl Val {
    /// Whether the value owns nothing (a bool, a number, a nil pointer):
    /// copying it is a clone, forgetting it is a drop.
    #[inline]
    fn is_scalar(&self) -> bool {
        matches!(
            self,
            Val::Bool(_)
                | Val::Int(_)
                | Val::Uint(_)
                | Val::Float(_)
                | Val::Complex(..)
                | Val::Pointer(None)
        )
    }
}

/// The [`Val`] in an interface's data word, cloned and dropped inline when
/// it is a scalar.
///
/// `Val`'s own `Clone` and drop glue are out-of-line functions that switch
/// over all twelve variants. An assertion (`j, ok := e.(J)` copies the data
/// word into the new `Iface`, which is then dropped) or a method result
/// (`out[0] = Eface::from_int(x)` drops the old result first) would call
/// both on every operation, and the opaque drop call also forces the new
/// value through a stack temporary that is written in pieces and copied in
/// wide loads (a store-forwarding stall). `Word` tests for a scalar inline
/// and only calls out for values that own memory.
pub(crate) struct Word(ManuallyDrop<Val>);

impl Word {
    #[inline]
    pub(crate) const fn new(v: Val) -> Word {
        Word(ManuallyDrop::new(v))
    }
}

impl Deref for Word {
    type Target = Val;
    #[inline]
    fn deref(&self) -> &Val {
        &self.0
    }
}

impl Clone for Word {
    #[inline]
    fn clone(&self) -> Word {
        Word::new(match *self.0 {
            Val::Bool(b) => Val::Bool(b),
            Val::Int(i) => Val::Int(i),
            Val::Uint(u) => Val::Uint(u),
            Val::Float(x) => Val::Float(x),
            Val::Complex(r, i) => Val::Complex(r, i),
            Val::Pointer(None) => Val::Pointer(None),
            ref owning => clone_owning(owning),
        })
    }
}

#[cold]
#[inline(never)]
fn clone_owning(v: &Val) -> Val {
    v.clone()
}

impl Drop for Word {
    #[inline]
    fn drop(&mut self) {
        if !self.0.is_scalar() {
            drop_owning(&mut self.0);
        }
    }
}

/// Drops the value, leaving a scalar in its place (which the
/// `ManuallyDrop` then forgets: a scalar owns nothing).
#[cold]
#[inline(never)]
fn drop_owning(v: &mut Val) {
    drop(mem::replace(v, Val::Bool(false)));
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::String(Rc::from(s))
    }
}

/// The address of one place: a root cell and a path of field/element indices.
///
/// Go: a `*T` value (the address of a variable, a field or an element).
///
/// # Examples
///
/// ```
/// use goiface::{Pointer, Val};
/// let p = Pointer::new(Val::Struct(vec![Val::Int(1), Val::Int(2)]));
/// let f1 = p.field(1); // &s.f1
/// f1.store(Val::Int(20));
/// assert_eq!(p.load(), Val::Struct(vec![Val::Int(1), Val::Int(20)]));
/// assert!(f1.same_place(&p.field(1)));
/// ```
#[derive(Clone)]
pub struct Pointer {
    root: Rc<RefCell<Val>>,
    path: Rc<[usize]>,
}

impl fmt::Debug for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pointer{:?}", self.path)
    }
}

impl Pointer {
    /// A fresh variable holding `v` (Go: `new(T)` then `*p = v`).
    pub fn new(v: Val) -> Pointer {
        Pointer {
            root: Rc::new(RefCell::new(v)),
            path: Rc::from([]),
        }
    }

    /// Runs `f` on the pointee in place (no copy).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Val) -> R) -> R {
        let mut root = self.root.borrow_mut();
        let mut cur: &mut Val = &mut root;
        for &i in self.path.iter() {
            cur = match cur {
                Val::Struct(v) | Val::Array(v) => &mut v[i],
                // I1: paths are only built over struct/array shapes.
                _ => panic!("goiface: pointer path through a non-aggregate value"),
            };
        }
        f(cur)
    }

    /// Reads the pointee (Go: `*p`).
    pub fn load(&self) -> Val {
        self.with(|v| v.clone())
    }

    /// Writes the pointee (Go: `*p = v`). The caller keeps I1 (safe API
    /// callers go through [`crate::Value::set`], which checks the type).
    pub fn store(&self, v: Val) {
        self.with(|slot| *slot = v);
    }

    /// The address of field or element `i` of the pointee (Go: `&p.f`, `&p[i]`).
    pub fn field(&self, i: usize) -> Pointer {
        let mut path = Vec::with_capacity(self.path.len() + 1);
        path.extend_from_slice(&self.path);
        path.push(i);
        Pointer {
            root: self.root.clone(),
            path: Rc::from(path),
        }
    }

    /// Whether both name the same place (Go: `p == q`).
    pub fn same_place(&self, other: &Pointer) -> bool {
        Rc::ptr_eq(&self.root, &other.root) && self.path == other.path
    }

    /// A number that is equal for equal pointers: the root's address mixed
    /// with the path (Go hashes the address itself).
    pub fn addr_key(&self) -> u64 {
        let mut k = Rc::as_ptr(&self.root) as *const u8 as usize as u64;
        for &i in self.path.iter() {
            k = k.rotate_left(13) ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        k
    }
}

/// A non-nil slice: a window `[off, off+len)` with capacity `cap` on a shared
/// backing array.
///
/// # Examples
///
/// ```
/// use goiface::{SliceVal, Val};
/// let s = SliceVal::new(vec![Val::Int(1), Val::Int(2)]);
/// assert_eq!(s.len(), 2);
/// s.elem_ptr(1).store(Val::Int(5));
/// assert_eq!(s.get(1), Val::Int(5));
/// ```
#[derive(Clone)]
pub struct SliceVal {
    backing: Rc<RefCell<Val>>,
    off: usize,
    len: usize,
    cap: usize,
}

impl SliceVal {
    /// A slice over a fresh backing array holding `elems` (len = cap).
    pub fn new(elems: Vec<Val>) -> SliceVal {
        let len = elems.len();
        SliceVal {
            backing: Rc::new(RefCell::new(Val::Array(elems))),
            off: 0,
            len,
            cap: len,
        }
    }

    /// `len(s)`.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `len(s) == 0`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `cap(s)`.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// `&s[i]`.
    ///
    /// # Panics
    ///
    /// Go's `index out of range [i] with length n` when `i >= len`.
    pub fn elem_ptr(&self, i: usize) -> Pointer {
        if i >= self.len {
            panic!(
                "runtime error: index out of range [{i}] with length {}",
                self.len
            );
        }
        Pointer {
            root: self.backing.clone(),
            path: Rc::from([self.off + i]),
        }
    }

    /// `s[i]`.
    ///
    /// # Panics
    ///
    /// As [`SliceVal::elem_ptr`].
    pub fn get(&self, i: usize) -> Val {
        self.elem_ptr(i).load()
    }
}
