//! A small, dependency-free Go parser for the declarations that decide layouts.
//!
//! Why our own: golayout needs only package clauses, imports, type and const
//! declarations and a way to skip everything else. A hand-written lexer and
//! recursive-descent parser do that in a few hundred lines, need only
//! `alloc` (so they work under `no_std`), carry exact `line:col` positions,
//! are easy to harden (depth limits, no panics — fuzzed), and read the whole
//! Go 1.19 standard library in well under a second. The Rust crates that
//! parse Go are either tree-sitter bindings (a C library and a build script:
//! no `no_std`, no thumb builds) or unmaintained partial grammars.
//!
//! - [`lexer`](self): tokens, positions, automatic semicolons.
//! - `parser`: the grammar ([`parse_file`]).
//! - `ast`: the tree ([`File`], [`TypeDecl`], [`TypeExpr`], [`Expr`]).
//! - `build`: `//go:build` constraints and file-name suffixes.

mod ast;
mod build;
mod lexer;
mod parser;

pub use ast::*;
pub use build::{eval_constraint, file_name_matches, tag_matches};
pub use lexer::ParseError;
pub use parser::{parse_file, MAX_DEPTH};
