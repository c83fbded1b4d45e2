//! `#[derive(Trace)]` for [gogc](https://docs.rs/gogc).
//!
//! The derive writes `gogc::Trace` for a struct or enum by tracing every field
//! in declaration order, so the collector finds every `Gc` the value holds.
//! It needs every field type to implement `Trace` (the trait is implemented for
//! `Gc`, `GcCell`, `Weak`, the primitive types, `String`, `Box`, `Vec`,
//! `Option`, tuples and arrays); generic parameters get a `Trace` bound.
//!
//! The derived type must not implement `Drop`: a value swept by the collector
//! is dropped after the objects it points to may already have been freed, so a
//! `Drop` that followed a `Gc` field would read freed memory. The derive
//! enforces this by also implementing a marker trait that conflicts with any
//! `Drop` impl (the technique gc-arena's derive uses). Put resources that need
//! `Drop` in a field of their own type without `Gc` pointers instead.
//!
//! There is no attribute to skip a field: a skipped field holding a `Gc` would
//! let the collector free an object the program still reaches. A type the
//! derive cannot handle gets a hand-written `unsafe impl Trace`.
//!
//! ```ignore
//! use gogc::{Gc, GcCell, Trace};
//!
//! #[derive(Trace)]
//! struct Node {
//!     value: u64,
//!     next: GcCell<Option<Gc<Node>>>,
//! }
//! ```
//!
//! The example is `ignore`d here because this crate cannot depend on `gogc`
//! (it would be a cycle); `gogc`'s own documentation runs it.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::{parse_macro_input, parse_quote, Data, DeriveInput, Fields, GenericParam};

/// Derives `gogc::Trace` by tracing every field; see the crate documentation.
#[proc_macro_derive(Trace)]
pub fn derive_trace(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(input) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(mut input: DeriveInput) -> syn::Result<TokenStream2> {
    for param in &mut input.generics.params {
        if let GenericParam::Type(ty) = param {
            ty.bounds.push(parse_quote!(::gogc::Trace));
        }
    }
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut field_types = Vec::new();
    let body = match &input.data {
        Data::Struct(data) => {
            let (pattern, visits) = destructure(&data.fields, &mut field_types);
            quote! { let Self #pattern = self; #(#visits)* }
        }
        // An enum without variants has no values: `match *self {}` (a
        // `match self {}` on the reference does not type-check).
        Data::Enum(data) if data.variants.is_empty() => quote! { match *self {} },
        Data::Enum(data) => {
            let arms = data.variants.iter().map(|variant| {
                let ident = &variant.ident;
                let (pattern, visits) = destructure(&variant.fields, &mut field_types);
                quote! { Self::#ident #pattern => { #(#visits)* } }
            });
            quote! {
                #[allow(unreachable_code)]
                match self { #(#arms)* }
            }
        }
        Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span,
                "#[derive(Trace)] cannot trace a union: it does not know which field is live",
            ))
        }
    };
    let needs_trace = if field_types.is_empty() {
        quote!(false)
    } else {
        quote!(false #(|| <#field_types as ::gogc::Trace>::NEEDS_TRACE)*)
    };
    Ok(quote! {
        // SAFETY: `trace` visits every field, and every field type implements
        // `Trace`, so every `Gc` the value holds is visited. The impl below
        // rules out a `Drop` impl on the type.
        unsafe impl #impl_generics ::gogc::Trace for #name #ty_generics #where_clause {
            const NEEDS_TRACE: bool = #needs_trace;
            #[inline]
            fn trace(&self, tracer: &mut ::gogc::Tracer<'_>) {
                #body
            }
        }
        impl #impl_generics ::gogc::__private::MustNotImplDrop for #name #ty_generics #where_clause {}
    })
}

/// A pattern binding every field by reference, and one `trace` call per field.
fn destructure(fields: &Fields, types: &mut Vec<syn::Type>) -> (TokenStream2, Vec<TokenStream2>) {
    let mut bindings = Vec::new();
    let mut visits = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let binding = format_ident!("__gogc_field_{}", index);
        visits.push(quote! { ::gogc::Trace::trace(#binding, tracer); });
        types.push(field.ty.clone());
        bindings.push((field.ident.clone(), binding));
    }
    let pattern = match fields {
        Fields::Named(_) => {
            let parts = bindings
                .iter()
                .map(|(ident, binding)| quote! { #ident: #binding });
            quote! { { #(#parts),* } }
        }
        Fields::Unnamed(_) => {
            let parts = bindings.iter().map(|(_, binding)| binding);
            quote! { ( #(#parts),* ) }
        }
        Fields::Unit => quote! {},
    };
    (pattern, visits)
}
