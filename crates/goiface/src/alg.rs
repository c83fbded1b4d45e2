//! `==` and hashing of interface values: Go's `runtime/alg.go`.
//!
//! # What
//!
//! Two interface values are equal iff their type words are equal and, for a
//! non-nil type, the values are equal under that type's `==`. A type with no
//! `==` (slices, maps, funcs and aggregates of them) panics — but only when
//! both sides have that same type; different types compare false at once.
//! Hashing (for map keys) mirrors this: nil hashes to the seed, an
//! unhashable dynamic type panics, else `c1 * typehash(t, data, seed ^ c0)`.
//!
//! # Invariants
//!
//! - A1: `efaceeq(a, b)` ⇒ `nilinterhash(a, h) == nilinterhash(b, h)`, except
//!   for NaNs, which are never equal and hash randomly (Go's choice: a map
//!   can hold any number of NaN keys).
//! - A2: ±0 are equal and hash alike (`f == 0` is hashed as `c1 * (c0 ^ h)`).
//!
//! # Tuning
//!
//! `c0`/`c1` are Go's (64-bit: 33054211828000289 / 23344194077549503, 32-bit:
//! 2860486313 / 3267000013). `memhash` is Go's portable fallback
//! (`hash64.go`, wyhash-style `mix`), with fixed keys in place of Go's
//! per-process random `hashkey`: maps add their own per-map seed on top.
//!
//! # Go correspondence
//!
//! `efaceeq`/`ifaceeq` → [`efaceeq`]/[`ifaceeq`], `nilinterhash`/`interhash`
//! → [`nilinterhash`]/[`interhash`], `typehash` → `typehash`,
//! `memhash`/`memhash32`/`memhash64` → [`memhash`] & co, `f32hash`/`f64hash`/
//! `c64hash`/`c128hash` → `float_hash`.
//!
//! # Divergences
//!
//! Regular-memory values are serialised to their little-endian bytes before
//! `memhash` (Go hashes the bytes in place); pointers hash a key derived from
//! their place (see `Pointer::addr_key`). The 64-bit fallback `memhash` is
//! used on every target (Go uses `hash32.go` on 32-bit ones). A place is a
//! root and a path, not an address, so two `unsafe.Pointer`s to a struct
//! and to its first field (or to an array and its element 0), one address
//! in Go and so equal there, are different here (typed pointers never meet
//! this: their types differ).

use alloc::vec::Vec;
use core::fmt;
use core::hash::{Hash, Hasher};

use golayout::BasicKind;

use crate::iface::{eface_parts, Eface, Iface};
use crate::ty::{Detail, Type, HOST_ARCH};
use crate::value::Val;

/// Go's hash multiplier `c0` for this pointer width.
pub const C0: usize = if cfg!(target_pointer_width = "64") {
    33054211828000289u64 as usize
} else {
    2860486313u64 as usize
};
/// Go's hash multiplier `c1` for this pointer width.
pub const C1: usize = if cfg!(target_pointer_width = "64") {
    23344194077549503u64 as usize
} else {
    3267000013u64 as usize
};

const M1: u64 = 0xa0761d6478bd642f;
const M2: u64 = 0xe7037ed1a0b428db;
const M3: u64 = 0x8ebc6af09c88c6e3;
const M4: u64 = 0x589965cc75374cc3;
const M5: u64 = 0x1d8e4e27c47d124f;
/// Stand-in for Go's per-process random `hashkey[0]`.
const HASHKEY0: u64 = 0x2d35_8dcc_aa6c_78a5;

#[inline]
fn mix(a: u64, b: u64) -> u64 {
    let r = (a as u128) * (b as u128);
    ((r >> 64) as u64) ^ (r as u64)
}

#[inline]
fn r4(b: &[u8]) -> u64 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64
}

#[inline]
fn r8(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

/// Go's `memhashFallback(p, seed, len(p))`.
///
/// ```
/// assert_ne!(goiface::memhash(b"go", 1), goiface::memhash(b"go", 2));
/// ```
pub fn memhash(p: &[u8], seed: usize) -> usize {
    let s = p.len();
    let mut seed = seed as u64 ^ HASHKEY0 ^ M1;
    let (a, b);
    match s {
        0 => return seed as usize,
        1..=3 => {
            a = p[0] as u64 | (p[s >> 1] as u64) << 8 | (p[s - 1] as u64) << 16;
            b = 0;
        }
        4 => {
            a = r4(p);
            b = a;
        }
        5..=7 => {
            a = r4(p);
            b = r4(&p[s - 4..]);
        }
        8 => {
            a = r8(p);
            b = a;
        }
        9..=16 => {
            a = r8(p);
            b = r8(&p[s - 8..]);
        }
        _ => {
            let mut q = p;
            let mut l = s;
            if l > 48 {
                let (mut seed1, mut seed2) = (seed, seed);
                while l > 48 {
                    seed = mix(r8(q) ^ M2, r8(&q[8..]) ^ seed);
                    seed1 = mix(r8(&q[16..]) ^ M3, r8(&q[24..]) ^ seed1);
                    seed2 = mix(r8(&q[32..]) ^ M4, r8(&q[40..]) ^ seed2);
                    q = &q[48..];
                    l -= 48;
                }
                seed ^= seed1 ^ seed2;
            }
            while l > 16 {
                seed = mix(r8(q) ^ M2, r8(&q[8..]) ^ seed);
                q = &q[16..];
                l -= 16;
            }
            a = r8(&q[l - 16..]);
            b = r8(&q[l - 8..]);
        }
    }
    mix(M5 ^ s as u64, mix(a ^ M2, b ^ seed)) as usize
}

/// Go's `memhash32Fallback`.
#[inline]
pub fn memhash32(v: u32, seed: usize) -> usize {
    let a = v as u64;
    mix(M5 ^ 4, mix(a ^ M2, a ^ seed as u64 ^ HASHKEY0 ^ M1)) as usize
}

/// Go's `memhash64Fallback`.
///
/// ```
/// use goiface::{nilinterhash, memhash64, Eface, C0, C1};
/// // iface.md c8: hash of any(int(5)) = c1 * memhash64(5, h ^ c0).
/// # if cfg!(target_pointer_width = "64") {
/// assert_eq!(nilinterhash(&Eface::from_int(5), 7), C1.wrapping_mul(memhash64(5, 7 ^ C0)));
/// # }
/// ```
#[inline]
pub fn memhash64(v: u64, seed: usize) -> usize {
    mix(M5 ^ 8, mix(v ^ M2, v ^ seed as u64 ^ HASHKEY0 ^ M1)) as usize
}

/// A run-time error of `==` or hashing, with Go's text.
///
/// ```
/// use goiface::{types, try_efaceeq, Eface, SliceVal, Val};
/// let s = Eface::new(types::slice_of(types::int()), Val::Slice(None)).unwrap();
/// let e = try_efaceeq(&s, &s).unwrap_err();
/// assert_eq!(e.to_string(), "runtime error: comparing uncomparable type []int");
/// ```
#[derive(Clone, Debug)]
pub enum RuntimeError {
    /// `comparing uncomparable type T`
    Uncomparable(&'static Type),
    /// `hash of unhashable type T`
    Unhashable(&'static Type),
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::Uncomparable(t) => {
                write!(f, "runtime error: comparing uncomparable type {t}")
            }
            RuntimeError::Unhashable(t) => write!(f, "runtime error: hash of unhashable type {t}"),
        }
    }
}

impl core::error::Error for RuntimeError {}

#[inline]
fn or_panic<T>(r: Result<T, RuntimeError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// `==` of two values of type `t` (Go: `t.equal`).
#[inline]
fn val_eq(t: &'static Type, a: &Val, b: &Val) -> Result<bool, RuntimeError> {
    // Fast paths: by I1 of `crate::value`, these shapes only occur under
    // comparable basic types.
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => return Ok(x == y),
        (Val::Uint(x), Val::Uint(y)) => return Ok(x == y),
        (Val::Bool(x), Val::Bool(y)) => return Ok(x == y),
        (Val::String(x), Val::String(y)) => return Ok(x == y),
        _ => {}
    }
    if !t.comparable() {
        return Err(RuntimeError::Uncomparable(t));
    }
    Ok(match (t.detail(), a, b) {
        (Detail::Array(e, _), Val::Array(x), Val::Array(y)) => {
            for (x, y) in x.iter().zip(y) {
                if !val_eq(e, x, y)? {
                    return Ok(false);
                }
            }
            true
        }
        (Detail::Struct(fs), Val::Struct(x), Val::Struct(y)) => {
            for ((f, x), y) in fs.iter().zip(x).zip(y) {
                if f.name() != "_" && !val_eq(f.typ(), x, y)? {
                    return Ok(false);
                }
            }
            true
        }
        (_, Val::Iface(x), Val::Iface(y)) => try_efaceeq(x, y)?,
        (_, Val::Float(x), Val::Float(y)) => x == y,
        (_, Val::Complex(a, b), Val::Complex(c, d)) => a == c && b == d,
        // Scalars, strings, pointers (same place), chans (same handle).
        _ => a == b,
    })
}

/// Go: `efaceeq` — `a == b` for two `any` values.
///
/// # Errors
///
/// [`RuntimeError::Uncomparable`] when both hold the same uncomparable type.
#[inline]
pub fn try_efaceeq(a: &Eface, b: &Eface) -> Result<bool, RuntimeError> {
    let ((ta, da), (tb, db)) = (eface_parts(a), eface_parts(b));
    if !crate::iface::same(ta, tb) {
        return Ok(false);
    }
    match ta {
        None => Ok(true),
        Some(t) => val_eq(t, da, db),
    }
}

/// Go: `a == b` on `any` values.
///
/// # Panics
///
/// `runtime error: comparing uncomparable type T` when both hold the same
/// uncomparable type `T`.
///
/// ```
/// use goiface::{efaceeq, Eface};
/// assert!(efaceeq(&Eface::from_int(1), &Eface::from_int(1)));
/// assert!(!efaceeq(&Eface::from_f64(f64::NAN), &Eface::from_f64(f64::NAN)));
/// assert!(efaceeq(&Eface::from_f64(0.0), &Eface::from_f64(-0.0)));
/// ```
#[inline]
pub fn efaceeq(a: &Eface, b: &Eface) -> bool {
    or_panic(try_efaceeq(a, b))
}

/// Go: `ifaceeq` — `a == b` on two values of (possibly different) non-empty
/// interface types: itab types, then values.
///
/// # Panics
///
/// As [`efaceeq`].
pub fn ifaceeq(a: &Iface, b: &Iface) -> bool {
    efaceeq(&a.to_eface(), &b.to_eface())
}

/// The little-endian bytes of a regular-memory value (Go hashes them in place).
fn regular_bytes(t: &Type, v: &Val, out: &mut Vec<u8>) {
    let w = HOST_ARCH.ptr_size() as usize;
    match (t.detail(), v) {
        (Detail::Array(e, _), Val::Array(x)) => x.iter().for_each(|x| regular_bytes(e, x, out)),
        (Detail::Struct(fs), Val::Struct(x)) => fs
            .iter()
            .zip(x)
            .for_each(|(f, x)| regular_bytes(f.typ(), x, out)),
        (_, Val::Bool(b)) => out.push(*b as u8),
        (_, Val::Int(i)) => out.extend_from_slice(&i.to_le_bytes()[..t.size() as usize]),
        (_, Val::Uint(u)) => out.extend_from_slice(&u.to_le_bytes()[..t.size() as usize]),
        (_, Val::Pointer(p)) => {
            let k = p.as_ref().map_or(0, |p| p.addr_key());
            out.extend_from_slice(&k.to_le_bytes()[..w]);
        }
        (_, Val::Ref(r)) => {
            let k = r
                .as_ref()
                .map_or(0, |r| alloc::rc::Rc::as_ptr(r) as *const u8 as usize as u64);
            out.extend_from_slice(&k.to_le_bytes()[..w]);
        }
        _ => {}
    }
}

fn float_hash(x: f64, single: bool, h: usize) -> usize {
    if x == 0.0 {
        C1.wrapping_mul(C0 ^ h)
    } else if x.is_nan() {
        C1.wrapping_mul(C0 ^ h ^ gocore::rand::fastrand() as usize)
    } else if single {
        memhash32((x as f32).to_bits(), h)
    } else {
        memhash64(x.to_bits(), h)
    }
}

/// Go: `typehash(t, p, h)`.
#[inline]
fn typehash(t: &'static Type, v: &Val, h: usize) -> Result<usize, RuntimeError> {
    if t.is_regular_memory() {
        // Scalars: their bytes are their little-endian bits (no buffer).
        let bits = match v {
            Val::Int(i) => Some(*i as u64),
            Val::Uint(u) => Some(*u),
            Val::Bool(b) => Some(*b as u64),
            _ => None,
        };
        if let Some(bits) = bits {
            return Ok(match t.size() {
                4 => memhash32(bits as u32, h),
                8 => memhash64(bits, h),
                n => memhash(&bits.to_le_bytes()[..n as usize], h),
            });
        }
        let mut b = Vec::with_capacity(t.size() as usize);
        regular_bytes(t, v, &mut b);
        return Ok(match b.len() {
            4 => memhash32(r4(&b) as u32, h),
            8 => memhash64(r8(&b), h),
            _ => memhash(&b, h),
        });
    }
    Ok(match (t.detail(), v) {
        (Detail::Basic(BasicKind::Float32), Val::Float(x)) => float_hash(*x, true, h),
        (Detail::Basic(BasicKind::Float64), Val::Float(x)) => float_hash(*x, false, h),
        (Detail::Basic(BasicKind::Complex64), Val::Complex(r, i)) => {
            float_hash(*i, true, float_hash(*r, true, h))
        }
        (Detail::Basic(BasicKind::Complex128), Val::Complex(r, i)) => {
            float_hash(*i, false, float_hash(*r, false, h))
        }
        (Detail::Basic(BasicKind::String), Val::String(s)) => memhash(s.as_bytes(), h),
        (Detail::Interface { .. }, Val::Iface(e)) => try_nilinterhash(e, h)?,
        (Detail::Array(e, _), Val::Array(x)) => {
            let mut h = h;
            for x in x {
                h = typehash(e, x, h)?;
            }
            h
        }
        (Detail::Struct(fs), Val::Struct(x)) => {
            let mut h = h;
            for (f, x) in fs.iter().zip(x) {
                if f.name() != "_" {
                    h = typehash(f.typ(), x, h)?;
                }
            }
            h
        }
        _ => return Err(RuntimeError::Unhashable(t)),
    })
}

/// Go: `nilinterhash(p, h)` — the hash of an `any` map key.
///
/// # Errors
///
/// [`RuntimeError::Unhashable`] naming the topmost unhashable type.
#[inline]
pub fn try_nilinterhash(e: &Eface, h: usize) -> Result<usize, RuntimeError> {
    let (t, data) = eface_parts(e);
    let Some(t) = t else {
        return Ok(h);
    };
    if !t.comparable() {
        return Err(RuntimeError::Unhashable(t));
    }
    Ok(C1.wrapping_mul(typehash(t, data, h ^ C0)?))
}

/// Go: `nilinterhash`.
///
/// # Panics
///
/// `runtime error: hash of unhashable type T`.
///
/// ```
/// use goiface::{nilinterhash, Eface};
/// assert_eq!(nilinterhash(&Eface::nil(), 99), 99); // nil hashes to the seed
/// ```
#[inline]
pub fn nilinterhash(e: &Eface, h: usize) -> usize {
    or_panic(try_nilinterhash(e, h))
}

/// Go: `interhash` — the hash of a non-empty-interface map key (the dynamic
/// type is not mixed in, so it equals the `any` hash of the same value).
///
/// # Panics
///
/// As [`nilinterhash`].
pub fn interhash(i: &Iface, h: usize) -> usize {
    nilinterhash(&i.to_eface(), h)
}

/// Go's `==` on `any`: panics like Go on uncomparable dynamic types.
/// (Not reflexive for NaN — as in Go, a map can hold many NaN keys.)
impl PartialEq for Eface {
    fn eq(&self, other: &Eface) -> bool {
        efaceeq(self, other)
    }
}

impl Eq for Eface {}

/// Go's map hashing of an `any` key: panics on unhashable dynamic types.
impl Hash for Eface {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(nilinterhash(self, 0));
    }
}

impl PartialEq for Iface {
    fn eq(&self, other: &Iface) -> bool {
        ifaceeq(self, other)
    }
}

impl Eq for Iface {}

impl Hash for Iface {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(interhash(self, 0));
    }
}

impl Type {
    /// Go's `t.equal(a, b)`: `==` on two values of this type.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Uncomparable`] when the type (or a dynamic type met
    /// inside an interface field) has no `==`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goiface::{types, Val};
    /// let t = types::array_of(2, types::float64());
    /// let nan = Val::Array(vec![Val::Float(f64::NAN), Val::Float(0.0)]);
    /// assert_eq!(t.equal(&nan, &nan).unwrap(), false);
    /// assert!(types::slice_of(t).equal(&Val::Slice(None), &Val::Slice(None)).is_err());
    /// ```
    pub fn equal(&'static self, a: &Val, b: &Val) -> Result<bool, RuntimeError> {
        val_eq(self, a, b)
    }

    /// Go's `typehash(t, p, seed)`: the hash of a value of this type.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Unhashable`] for types without `==`.
    ///
    /// # Examples
    ///
    /// ```
    /// use goiface::{types, Val};
    /// let t = types::string();
    /// assert_eq!(t.hash_value(&Val::from("go"), 1).unwrap(), t.hash_value(&Val::from("go"), 1).unwrap());
    /// ```
    pub fn hash_value(&'static self, v: &Val, seed: usize) -> Result<usize, RuntimeError> {
        if !self.comparable() {
            return Err(RuntimeError::Unhashable(self));
        }
        typehash(self, v, seed)
    }
}
