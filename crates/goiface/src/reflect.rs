//! Reflection's entry points: Go's `reflect.TypeOf`, `reflect.ValueOf` and
//! the `Value` methods that walk and set values (`reflect/value.go`).
//!
//! # What
//!
//! A [`Value`] is a type, a location and flags. The location is either an
//! owned copy (what `ValueOf(x)` holds: Go copies `x` into the interface) or
//! a *place* — a [`Pointer`] — which is what makes a `Value` addressable.
//! Settable = addressable and not reached through an unexported field
//! (Go: `CanSet` = `flagAddr` set and `flagRO` clear).
//!
//! ```text
//! ValueOf(x)             {int, Owned(5), kind|indir}           not addressable
//! ValueOf(&x)            {*int, Owned(ptr), kind}              not addressable
//! ValueOf(&x).Elem()     {int, Place(ptr), kind|indir|addr}    settable
//! ValueOf(s).Index(i)    {elem, Place(&s[i]), kind|indir|addr} settable (slice)
//! v.Field(i) unexported  {…, flags | stickyRO}                 never settable
//! ```
//!
//! # Go correspondence
//!
//! `flag`, `flagStickyRO`, `flagEmbedRO`, `flagIndir`, `flagAddr` →
//! [`Flag`] constants; `mustBeAssignable`, `mustBeExported` → the checks of
//! [`Value::set`]; `packEface` → [`Value::interface`]; `ValueError` → the
//! panic texts `reflect: call of reflect.Value.M on K Value`.
//!
//! # Divergences
//!
//! `flagIndir` is set where Go sets it — values of non-direct types from an
//! interface, and everything that lives in memory: reached through a
//! pointer, a slice, a string, or a field or element of an indirect
//! aggregate — but the data is always a [`Val`]. `Len` of maps and chans is not modelled (their values
//! are opaque handles) and panics saying so.

use alloc::boxed::Box;
use alloc::rc::Rc;

use crate::iface::Eface;
use crate::kind::Kind;
use crate::ty::{Detail, Type};
use crate::value::{Pointer, Val};

/// Go's `reflect.flag` bits.
pub type Flag = u32;
/// Go: `flagKindMask`.
pub const FLAG_KIND_MASK: Flag = (1 << 5) - 1;
/// Go: `flagStickyRO` — obtained via an unexported non-embedded field.
pub const FLAG_STICKY_RO: Flag = 1 << 5;
/// Go: `flagEmbedRO` — obtained via an unexported embedded field.
pub const FLAG_EMBED_RO: Flag = 1 << 6;
/// Go: `flagIndir` — the data word points to the value.
pub const FLAG_INDIR: Flag = 1 << 7;
/// Go: `flagAddr` — the value is addressable.
pub const FLAG_ADDR: Flag = 1 << 8;
/// Go: `flagMethod`.
pub const FLAG_METHOD: Flag = 1 << 9;
/// Go: `flagRO`.
pub const FLAG_RO: Flag = FLAG_STICKY_RO | FLAG_EMBED_RO;

/// Where a [`Value`]'s data lives.
#[derive(Clone, Debug)]
enum Loc {
    Owned(Val),
    Place(Pointer),
}

/// Go's `reflect.Value`.
///
/// # Examples
///
/// ```
/// use goiface::{new_ptr, types, value_of, Val};
/// let p = new_ptr(types::int(), Val::Int(1)).unwrap(); // &x
/// let v = value_of(&p);
/// assert!(!v.can_set());
/// let x = v.elem();
/// assert!(x.can_set());
/// x.set_int(7);
/// assert_eq!(value_of(&p).elem().interface().data(), &Val::Int(7));
/// ```
#[derive(Clone, Debug)]
pub struct Value {
    typ: Option<&'static Type>,
    loc: Loc,
    flag: Flag,
}

/// Go: `reflect.TypeOf(i)`: the type word (`None` for nil).
///
/// ```
/// assert_eq!(goiface::type_of(&goiface::Eface::from_int(1)).unwrap().to_string(), "int");
/// assert!(goiface::type_of(&goiface::Eface::nil()).is_none());
/// ```
pub fn type_of(e: &Eface) -> Option<&'static Type> {
    e.typ()
}

/// Go: `reflect.ValueOf(i)`: nil → the zero `Value`; else `{t, data,
/// kind | indir if !direct}`, not addressable.
pub fn value_of(e: &Eface) -> Value {
    match e.typ() {
        None => Value {
            typ: None,
            loc: Loc::Owned(Val::Pointer(None)),
            flag: 0,
        },
        Some(t) => Value {
            typ: Some(t),
            loc: Loc::Owned(e.data().clone()),
            flag: t.kind() as Flag | if t.is_direct_iface() { 0 } else { FLAG_INDIR },
        },
    }
}

fn value_error(method: &str, k: Kind) -> ! {
    if k == Kind::Invalid {
        panic!("reflect: call of reflect.Value.{method} on zero Value")
    }
    panic!("reflect: call of reflect.Value.{method} on {k} Value")
}

impl Value {
    /// `v.Kind()` (`Invalid` for the zero Value).
    pub fn kind(&self) -> Kind {
        Kind::from_u8((self.flag & FLAG_KIND_MASK) as u8).unwrap_or(Kind::Invalid)
    }

    /// `v.IsValid()`.
    pub fn is_valid(&self) -> bool {
        self.flag != 0
    }

    /// `v.Type()`.
    ///
    /// # Panics
    ///
    /// On the zero Value (Go: `reflect: call of reflect.Value.Type on zero Value`).
    pub fn typ(&self) -> &'static Type {
        self.typ
            .unwrap_or_else(|| value_error("Type", Kind::Invalid))
    }

    /// The flag word.
    pub fn flag(&self) -> Flag {
        self.flag
    }

    /// A copy of the value.
    pub fn val(&self) -> Val {
        match &self.loc {
            Loc::Owned(v) => v.clone(),
            Loc::Place(p) => p.load(),
        }
    }

    /// Runs `f` on the data without copying it.
    fn with_val<R>(&self, f: impl FnOnce(&Val) -> R) -> R {
        match &self.loc {
            Loc::Owned(v) => f(v),
            Loc::Place(p) => p.with(|v| f(v)),
        }
    }

    /// A Value of type `t` at `loc` with the flag bits `inherited` (each
    /// method picks which of `self`'s bits carry over and sets `flagIndir`
    /// as Go's do).
    fn derived(&self, t: &'static Type, loc: Loc, inherited: Flag) -> Value {
        Value {
            typ: Some(t),
            loc,
            flag: t.kind() as Flag | inherited,
        }
    }

    /// Go: `flag.ro()` — `flagStickyRO` if any read-only bit is set.
    fn ro(&self) -> Flag {
        if self.flag & FLAG_RO != 0 {
            FLAG_STICKY_RO
        } else {
            0
        }
    }

    /// `v.Addr()`: a pointer to an addressable value (read-only bits kept).
    ///
    /// # Panics
    ///
    /// `reflect.Value.Addr of unaddressable value`.
    pub fn addr(&self) -> Value {
        match &self.loc {
            Loc::Place(p) if self.flag & FLAG_ADDR != 0 => Value {
                typ: Some(crate::types::ptr_to(self.typ())),
                loc: Loc::Owned(Val::Pointer(Some(p.clone()))),
                flag: Kind::Pointer as Flag | (self.flag & FLAG_RO),
            },
            _ => panic!("reflect.Value.Addr of unaddressable value"),
        }
    }

    /// `v.Elem()`: the pointee of a pointer (addressable; the zero Value for
    /// nil), or the value inside an interface (not addressable, RO kept).
    ///
    /// # Panics
    ///
    /// `reflect: call of reflect.Value.Elem on K Value` for other kinds.
    pub fn elem(&self) -> Value {
        match self.kind() {
            Kind::Pointer => {
                let t = self
                    .typ()
                    .elem()
                    .unwrap_or_else(|| value_error("Elem", Kind::Pointer));
                match self.val() {
                    Val::Pointer(Some(p)) => {
                        self.derived(
                        t,
                        Loc::Place(p),
                        (self.flag & FLAG_RO) | FLAG_INDIR | FLAG_ADDR,
                    )
                    }
                    _ => value_of(&Eface::nil()),
                }
            }
            Kind::Interface => match self.val() {
                Val::Iface(e) => {
                    let mut v = value_of(&e);
                    if v.is_valid() {
                        v.flag |= self.ro();
                    }
                    v
                }
                _ => value_of(&Eface::nil()),
            },
            k => value_error("Elem", k),
        }
    }

    /// `v.NumField()`.
    ///
    /// # Panics
    ///
    /// On non-struct kinds.
    pub fn num_field(&self) -> usize {
        if self.kind() != Kind::Struct {
            value_error("NumField", self.kind())
        }
        self.typ().fields().len()
    }

    /// `v.Field(i)`: addressable iff `v` is; read-only if the field is
    /// unexported (sticky) or `v` was.
    ///
    /// # Panics
    ///
    /// `reflect: call of reflect.Value.Field on K Value`; `reflect: Field
    /// index out of range`.
    pub fn field(&self, i: usize) -> Value {
        if self.kind() != Kind::Struct {
            value_error("Field", self.kind())
        }
        let Some(f) = self.typ().fields().get(i) else {
            panic!("reflect: Field index out of range");
        };
        // Inherit permission bits from v, but clear flagEmbedRO (Go).
        let mut extra = self.flag & (FLAG_STICKY_RO | FLAG_INDIR | FLAG_ADDR);
        if !f.is_exported() {
            extra |= if f.embedded() {
                FLAG_EMBED_RO
            } else {
                FLAG_STICKY_RO
            };
        }
        let loc = match &self.loc {
            Loc::Place(p) => Loc::Place(p.field(i)),
            Loc::Owned(Val::Struct(fs)) => Loc::Owned(fs[i].clone()),
            Loc::Owned(_) => unreachable!("E1: a struct Value holds a Val::Struct"),
        };
        self.derived(f.typ(), loc, extra)
    }

    /// `v.Index(i)` on arrays (addressable iff `v` is), slices (always
    /// addressable) and strings (a `uint8`, never addressable).
    ///
    /// # Panics
    ///
    /// `reflect: call of reflect.Value.Index on K Value`; `reflect: array
    /// index out of range` / `slice index out of range` / `string index out of range`.
    pub fn index(&self, i: usize) -> Value {
        match self.kind() {
            Kind::Array => {
                let (e, n) = match self.typ().detail() {
                    Detail::Array(e, n) => (*e, *n),
                    _ => unreachable!("kind Array has Detail::Array"),
                };
                if i as u64 >= n {
                    panic!("reflect: array index out of range");
                }
                let loc = match &self.loc {
                    Loc::Place(p) => Loc::Place(p.field(i)),
                    Loc::Owned(Val::Array(xs)) => Loc::Owned(xs[i].clone()),
                    Loc::Owned(_) => unreachable!("E1: an array Value holds a Val::Array"),
                };
                self.derived(e, loc, (self.flag & (FLAG_INDIR | FLAG_ADDR)) | self.ro())
            }
            Kind::Slice => {
                let e = self
                    .typ()
                    .elem()
                    .unwrap_or_else(|| value_error("Index", Kind::Slice));
                let elem = self.with_val(|v| match v {
                    Val::Slice(Some(s)) if i < s.len() => s.elem_ptr(i),
                    _ => panic!("reflect: slice index out of range"),
                });
                self.derived(e, Loc::Place(elem), FLAG_ADDR | FLAG_INDIR | self.ro())
            }
            Kind::String => {
                let b = self.with_val(|v| match v {
                    Val::String(s) => s.as_bytes().get(i).copied(),
                    _ => unreachable!("E1: a string Value holds a Val::String"),
                });
                match b {
                    Some(b) => Value {
                        typ: Some(crate::types::uint8()),
                        loc: Loc::Owned(Val::Uint(b as u64)),
                        flag: Kind::Uint8 as Flag | self.ro() | FLAG_INDIR,
                    },
                    None => panic!("reflect: string index out of range"),
                }
            }
            k => value_error("Index", k),
        }
    }

    /// `v.Len()` for arrays, slices, strings and pointers to arrays (the
    /// array type's length, even for a nil pointer, as Go 1.19).
    ///
    /// # Panics
    ///
    /// `reflect: call of reflect.Value.Len on K Value` for other kinds,
    /// `reflect: call of reflect.Value.Len on ptr to non-array Value`, and
    /// for maps and chans, whose contents this crate does not model.
    pub fn len(&self) -> usize {
        let k = self.kind();
        if k == Kind::Pointer {
            return match self.typ().elem().map(|e| e.detail()) {
                Some(Detail::Array(_, n)) => usize::try_from(*n)
                    .unwrap_or_else(|_| panic!("goiface: array length {n} does not fit a usize")),
                _ => panic!("reflect: call of reflect.Value.Len on ptr to non-array Value"),
            };
        }
        self.with_val(|v| match (k, v) {
            (Kind::Array, Val::Array(v)) => v.len(),
            (Kind::Slice, Val::Slice(s)) => s.as_ref().map_or(0, |s| s.len()),
            (Kind::String, Val::String(s)) => s.len(),
            (k @ (Kind::Map | Kind::Chan), _) => panic!(
                "goiface: reflect.Value.Len of a {k} value is not modelled (its contents are an opaque handle)"
            ),
            (k, _) => value_error("Len", k),
        })
    }

    /// Whether [`Value::len`] is 0.
    ///
    /// # Panics
    ///
    /// As [`Value::len`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `v.CanSet()`: addressable and not read-only.
    pub fn can_set(&self) -> bool {
        self.flag & (FLAG_ADDR | FLAG_RO) == FLAG_ADDR
    }

    /// `v.CanAddr()`.
    pub fn can_addr(&self) -> bool {
        self.flag & FLAG_ADDR != 0
    }

    /// `v.CanInterface()`.
    ///
    /// # Panics
    ///
    /// On the zero Value.
    pub fn can_interface(&self) -> bool {
        if !self.is_valid() {
            value_error("CanInterface", Kind::Invalid)
        }
        self.flag & FLAG_RO == 0
    }

    /// `v.Interface()`: a copy of the value in an `any` (a snapshot for
    /// addressable values); for interface-kind values, the inner value.
    ///
    /// # Panics
    ///
    /// `reflect: call of reflect.Value.Interface on zero Value`;
    /// `reflect.Value.Interface: cannot return value obtained from unexported
    /// field or method` when read-only.
    pub fn interface(&self) -> Eface {
        if !self.is_valid() {
            value_error("Interface", Kind::Invalid)
        }
        if self.flag & FLAG_RO != 0 {
            panic!("reflect.Value.Interface: cannot return value obtained from unexported field or method");
        }
        match (self.kind(), self.val()) {
            (Kind::Interface, Val::Iface(e)) => *e,
            (_, v) => Eface::new(self.typ(), v)
                .unwrap_or_else(|e| unreachable!("E1: a Value's data has its type's shape: {e}")),
        }
    }

    /// Go: `flag.mustBeAssignable` (the zero Value first, then read-only,
    /// then unaddressable).
    fn must_be_assignable(&self, method: &str) {
        if self.flag == 0 {
            value_error(method, Kind::Invalid)
        }
        if self.flag & FLAG_RO != 0 {
            panic!("reflect: reflect.Value.{method} using value obtained using unexported field");
        }
        if self.flag & FLAG_ADDR == 0 {
            panic!("reflect: reflect.Value.{method} using unaddressable value");
        }
    }

    fn store(&self, v: Val) {
        match &self.loc {
            Loc::Place(p) => p.store(v),
            Loc::Owned(_) => unreachable!("must_be_assignable: settable values are places"),
        }
    }

    /// `v.Set(x)`.
    ///
    /// # Panics
    ///
    /// Go's texts: `reflect: reflect.Value.Set using unaddressable value`,
    /// `… using value obtained using unexported field` (for `v` or `x`),
    /// `reflect.Set: value of type X is not assignable to type Y`.
    pub fn set(&self, x: &Value) {
        self.must_be_assignable("Set");
        if !x.is_valid() {
            value_error("Set", Kind::Invalid)
        }
        if x.flag & FLAG_RO != 0 {
            panic!("reflect: reflect.Value.Set using value obtained using unexported field");
        }
        let (t, xt) = (self.typ(), x.typ());
        if !t.assignable_from(xt) {
            panic!("reflect.Set: value of type {xt} is not assignable to type {t}");
        }
        let v = if t.kind() == Kind::Interface && !core::ptr::eq(t, xt) {
            // Storing a value into an interface-typed place of another
            // type: the dynamic value (Go: `valueInterface`, then
            // `ifaceE2I`; a nil interface stays nil).
            Val::Iface(Box::new(x.interface()))
        } else {
            // Identical, or directly assignable: the same shape.
            x.val()
        };
        self.store(v);
    }

    /// `v.SetInt(x)` on signed integer kinds (truncating to the width, as Go).
    ///
    /// # Panics
    ///
    /// The assignability texts of [`Value::set`] with `SetInt`; `reflect:
    /// call of reflect.Value.SetInt on K Value` for other kinds.
    pub fn set_int(&self, x: i64) {
        self.must_be_assignable("SetInt");
        let v = match self.kind() {
            Kind::Int => {
                if crate::ty::HOST_ARCH.ptr_size() == 8 {
                    x
                } else {
                    x as i32 as i64
                }
            }
            Kind::Int8 => x as i8 as i64,
            Kind::Int16 => x as i16 as i64,
            Kind::Int32 => x as i32 as i64,
            Kind::Int64 => x,
            k => value_error("SetInt", k),
        };
        self.store(Val::Int(v));
    }

    /// `v.SetString(s)`.
    ///
    /// # Panics
    ///
    /// As [`Value::set_int`], with `SetString`.
    pub fn set_string(&self, s: &str) {
        self.must_be_assignable("SetString");
        if self.kind() != Kind::String {
            value_error("SetString", self.kind())
        }
        self.store(Val::String(Rc::from(s)));
    }
}
