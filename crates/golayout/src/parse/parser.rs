//! A recursive-descent parser for the declarations that decide layouts.
//!
//! It follows the Go spec's grammar for `SourceFile`, `ImportDecl`,
//! `TypeDecl`, `ConstDecl` and every `Type` form, and skips `var` and `func`
//! declarations by bracket matching over tokens (bodies need not be
//! understood: string, rune and comment contents were already consumed by the
//! lexer, so counting `(`, `[` and `{` is exact). Recursion depth is capped
//! ([`MAX_DEPTH`]) so hostile input cannot overflow the stack, and every loop
//! consumes a token, so parsing is linear in the number of tokens.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::ast::*;
use super::lexer::{is_keyword, lex, Comment, ParseError, Tok, Token};

/// Deepest nesting of types/expressions accepted (gc itself has no limit, but
/// real code never comes close).
pub const MAX_DEPTH: u32 = 100;

const ATOMIC64: [&str; 10] = [
    "AddInt64",
    "AddUint64",
    "LoadInt64",
    "LoadUint64",
    "StoreInt64",
    "StoreUint64",
    "SwapInt64",
    "SwapUint64",
    "CompareAndSwapInt64",
    "CompareAndSwapUint64",
];

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    comments: Vec<Comment>,
    i: usize,
    depth: u32,
}

type PResult<T> = Result<T, ParseError>;

/// Parses one Go source file.
///
/// # Errors
///
/// A [`ParseError`] with the position of the first syntax error.
///
/// # Examples
///
/// ```
/// let f = golayout::parse::parse_file(r#"
/// package demo
/// const (
///     A = iota * 2
///     B
/// )
/// type (
///     T struct { a [B + 1]int8 `json:"a"` }
///     U[P any] struct { p P }
/// )
/// "#).unwrap();
/// assert_eq!(f.consts[1].iota, 1);
/// assert_eq!(f.types.len(), 2);
/// assert!(f.types[1].generic);
/// ```
pub fn parse_file(src: &str) -> Result<File, ParseError> {
    let lexed = lex(src)?;
    let mut p = Parser {
        src,
        toks: lexed.toks,
        comments: lexed.comments,
        i: 0,
        depth: 0,
    };
    p.file()
}

impl<'s> Parser<'s> {
    fn tok(&self) -> Token {
        self.toks[self.i.min(self.toks.len() - 1)]
    }
    fn text(&self, t: Token) -> &'s str {
        &self.src[t.start as usize..t.end as usize]
    }
    fn peek_text(&self, k: usize) -> &'s str {
        let t = self.toks[(self.i + k).min(self.toks.len() - 1)];
        self.text(t)
    }
    fn peek_kind(&self, k: usize) -> Tok {
        self.toks[(self.i + k).min(self.toks.len() - 1)].kind
    }
    fn next(&mut self) -> Token {
        let t = self.tok();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }
    fn is(&self, s: &str) -> bool {
        let t = self.tok();
        matches!(t.kind, Tok::Op | Tok::Ident) && self.text(t) == s
    }
    fn is_semi(&self) -> bool {
        self.tok().kind == Tok::Semi
    }
    fn err_at(&self, t: Token, msg: String) -> ParseError {
        ParseError {
            line: t.pos.line,
            col: t.pos.col,
            msg,
        }
    }
    fn found(&self) -> String {
        let t = self.tok();
        match t.kind {
            Tok::Eof => "EOF".into(),
            Tok::Semi if t.start == t.end => "newline".into(),
            _ => format!("'{}'", self.text(t)),
        }
    }
    fn unexpected(&self, want: &str) -> ParseError {
        self.err_at(
            self.tok(),
            format!("expected {want}, found {}", self.found()),
        )
    }
    fn expect(&mut self, s: &str) -> PResult<Token> {
        if self.is(s) {
            Ok(self.next())
        } else {
            Err(self.unexpected(&format!("'{s}'")))
        }
    }
    fn expect_semi_or(&mut self, close: &str) -> PResult<()> {
        if self.is_semi() {
            self.next();
            Ok(())
        } else if self.is(close) || self.tok().kind == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected(&format!("';' or '{close}'")))
        }
    }
    fn ident(&mut self) -> PResult<(String, Pos)> {
        let t = self.tok();
        if t.kind == Tok::Ident && !is_keyword(self.text(t)) {
            self.next();
            Ok((self.text(t).to_string(), t.pos))
        } else {
            Err(self.unexpected("identifier"))
        }
    }
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err_at(self.tok(), "nesting too deep".into()));
        }
        Ok(())
    }

    fn file(&mut self) -> PResult<File> {
        let mut f = File::default();
        while self.is_semi() {
            self.next();
        }
        let pkg_tok = self.tok();
        f.build = self.build_constraint(pkg_tok.start);
        self.expect("package")?;
        f.package = self.ident()?.0;
        self.expect_semi_or("")?;
        loop {
            let t = self.tok();
            match t.kind {
                Tok::Eof => break,
                Tok::Semi => {
                    self.next();
                }
                Tok::Ident => match self.text(t) {
                    "import" => {
                        self.next();
                        self.group(&mut f, Self::import_spec)?;
                    }
                    "type" => {
                        self.next();
                        self.group(&mut f, Self::type_spec)?;
                    }
                    "const" => {
                        self.next();
                        self.const_decl(&mut f)?;
                    }
                    "var" => {
                        self.next();
                        self.group(&mut f, Self::var_spec)?;
                    }
                    "func" => self.func_decl(&mut f)?,
                    _ => {
                        return Err(self
                            .err_at(t, "non-declaration statement outside function body".into()))
                    }
                },
                _ => {
                    return Err(
                        self.err_at(t, "non-declaration statement outside function body".into())
                    )
                }
            }
        }
        Ok(f)
    }

    /// `spec` or `( spec; spec; ... )`; the callback gets the spec index.
    fn group(
        &mut self,
        f: &mut File,
        spec: fn(&mut Self, &mut File, usize) -> PResult<()>,
    ) -> PResult<()> {
        if self.is("(") {
            self.next();
            let mut n = 0;
            while !self.is(")") {
                if self.is_semi() {
                    self.next();
                    continue;
                }
                if self.tok().kind == Tok::Eof {
                    return Err(self.unexpected("')'"));
                }
                spec(self, f, n)?;
                n += 1;
                self.expect_semi_or(")")?;
            }
            self.next();
            self.expect_semi_or("")?;
        } else {
            spec(self, f, 0)?;
            self.expect_semi_or("")?;
        }
        Ok(())
    }

    fn import_spec(&mut self, f: &mut File, _: usize) -> PResult<()> {
        let pos = self.tok().pos;
        let name = if self.is(".") {
            self.next();
            Some(".".to_string())
        } else if self.tok().kind == Tok::Ident {
            Some(self.ident()?.0)
        } else {
            None
        };
        let t = self.tok();
        if t.kind != Tok::Str {
            return Err(self.unexpected("import path"));
        }
        self.next();
        let raw = self.text(t);
        let path = raw[1..raw.len() - 1].to_string();
        f.imports.push(Import { name, path, pos });
        Ok(())
    }

    fn type_spec(&mut self, f: &mut File, _: usize) -> PResult<()> {
        let (name, pos) = self.ident()?;
        let mut generic = false;
        let mut params = Vec::new();
        if self.is("[") && self.looks_like_type_params() {
            generic = true;
            params = self.type_param_names();
            self.skip_balanced()?;
        }
        let alias = self.is("=");
        if alias {
            self.next();
        }
        let ty_pos = self.tok().pos;
        let ty = self.ty()?;
        f.types.push(TypeDecl {
            ty_pos,
            name,
            pos,
            generic,
            params,
            alias,
            ty,
        });
        Ok(())
    }

    /// At `[` after a type name: `[P any]`, `[K comparable, V any]` vs `[N]T`.
    fn looks_like_type_params(&self) -> bool {
        if self.peek_kind(1) != Tok::Ident {
            return false;
        }
        match self.peek_kind(2) {
            Tok::Ident => true,
            Tok::Op => matches!(self.peek_text(2), "," | "~"),
            _ => false,
        }
    }

    /// At `[`: the type parameter names (identifiers right after `[` or `,` at depth 1).
    fn type_param_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut depth = 0;
        let mut k = self.i;
        let mut prev_sep = false;
        while k < self.toks.len() {
            let t = self.toks[k];
            let s = self.text(t);
            match t.kind {
                Tok::Eof => break,
                Tok::Op if matches!(s, "(" | "[" | "{") => {
                    depth += 1;
                    prev_sep = depth == 1;
                }
                Tok::Op if matches!(s, ")" | "]" | "}") => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    prev_sep = false;
                }
                Tok::Op if s == "," && depth == 1 => prev_sep = true,
                Tok::Ident if prev_sep && depth == 1 => {
                    names.push(s.to_string());
                    prev_sep = false;
                }
                _ => prev_sep = false,
            }
            k += 1;
        }
        names
    }

    fn const_decl(&mut self, f: &mut File) -> PResult<()> {
        let grouped = self.is("(");
        if grouped {
            self.next();
        }
        let mut iota = 0i64;
        let mut prev: (Option<TypeExpr>, Vec<Expr>) = (None, Vec::new());
        loop {
            if grouped {
                while self.is_semi() {
                    self.next();
                }
                if self.is(")") {
                    self.next();
                    break;
                }
                if self.tok().kind == Tok::Eof {
                    return Err(self.unexpected("')'"));
                }
            }
            let mut names = vec_of(self.ident()?);
            while self.is(",") {
                self.next();
                names.push(self.ident()?);
            }
            let mut ty = None;
            let mut values = Vec::new();
            let explicit = !(self.is_semi() || self.is(")"));
            if explicit {
                if !self.is("=") {
                    ty = Some(self.ty()?);
                }
                if self.is("=") {
                    self.next();
                    if self.is_semi() || self.is(")") || self.tok().kind == Tok::Eof {
                        return Err(self.unexpected("operand"));
                    }
                    let start = self.i;
                    match self.expr_list() {
                        Ok(v) => values = v,
                        Err(_) => {
                            // Not understood (e.g. a float or complex
                            // expression): remember that, skip the rest.
                            self.i = start;
                            let pos = self.tok().pos;
                            self.skip_spec_in(grouped)?;
                            values = names
                                .iter()
                                .map(|_| Expr::Unsupported("expression", pos))
                                .collect();
                        }
                    }
                }
                prev = (ty.clone(), values.clone());
            } else {
                ty = prev.0.clone();
                values = prev.1.clone();
            }
            for (k, (name, pos)) in names.into_iter().enumerate() {
                f.consts.push(ConstDecl {
                    name,
                    pos,
                    ty: ty.clone(),
                    value: values.get(k).cloned(),
                    iota,
                });
            }
            iota += 1;
            if !grouped {
                self.expect_semi_or("")?;
                break;
            }
            self.expect_semi_or(")")?;
        }
        if grouped {
            self.expect_semi_or("")?;
        }
        Ok(())
    }

    fn skip_spec_in(&mut self, grouped: bool) -> PResult<()> {
        let _ = grouped;
        self.skip_spec()
    }

    /// Skips tokens up to (not including) a `;` or unmatched `)` at depth 0.
    fn skip_spec(&mut self) -> PResult<()> {
        let mut stack: Vec<u8> = Vec::new();
        loop {
            let t = self.tok();
            match t.kind {
                Tok::Eof => {
                    if stack.is_empty() {
                        return Ok(());
                    }
                    return Err(self.unexpected("closing bracket"));
                }
                Tok::Semi if t.start == t.end && matches!(stack.last(), Some(b')' | b']')) => {
                    return Err(self.missing_comma(t, stack.len()));
                }
                Tok::Semi if stack.is_empty() => return Ok(()),
                Tok::Op => match self.text(t) {
                    o @ ("(" | "[" | "{") => stack.push(self.closer(o)),
                    c @ (")" | "]" | "}") => {
                        if stack.is_empty() && c == ")" {
                            return Ok(());
                        }
                        if !closes(stack.pop(), c) {
                            return Err(self.err_at(t, format!("unexpected '{c}'")));
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
            self.next();
        }
    }

    /// What an opening bracket at the cursor waits for, as the skipping
    /// loops push it: its closer, or `g` for the parenthesis of a `var (`,
    /// `const (`, `type (` or `import (` group, whose lines end in
    /// semicolons.
    fn closer(&self, open: &str) -> u8 {
        let group = open == "("
            && self.i > 0
            && self.toks[self.i - 1].kind == Tok::Ident
            && matches!(
                self.text(self.toks[self.i - 1]),
                "var" | "const" | "type" | "import"
            );
        match open {
            _ if group => b'g',
            "(" => b')',
            "[" => b']',
            _ => b'}',
        }
    }

    /// Go's error for a line break (an automatic semicolon) inside `(…)`
    /// or `[…]`, at the line break, where gofmt reports it.
    fn missing_comma(&self, t: Token, _depth: usize) -> ParseError {
        if t.kind == Tok::Semi && self.src[t.start as usize..].starts_with('\n') {
            self.err_at(t, "missing ',' before newline in argument list".into())
        } else {
            self.err_at(t, "expected ')', found 'EOF'".into())
        }
    }

    /// At an opening bracket: skips to after its match.
    fn skip_balanced(&mut self) -> PResult<()> {
        let mut stack: Vec<u8> = Vec::new();
        loop {
            let t = self.tok();
            match t.kind {
                Tok::Eof => return Err(self.unexpected("closing bracket")),
                Tok::Semi if t.start == t.end && matches!(stack.last(), Some(b')' | b']')) => {
                    return Err(self.missing_comma(t, stack.len()));
                }
                Tok::Op => match self.text(t) {
                    o @ ("(" | "[" | "{") => stack.push(self.closer(o)),
                    c @ (")" | "]" | "}") => {
                        if !closes(stack.pop(), c) {
                            return Err(self.err_at(t, format!("unexpected '{c}'")));
                        }
                        if stack.is_empty() {
                            self.next();
                            return Ok(());
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
            self.next();
        }
    }

    /// `func [recv] name [tparams] sig [body]`: the receiver's and
    /// parameters' types, and from the body what the 64-bit atomic check
    /// needs ([`FuncDecl`]); everything else is skipped.
    fn func_decl(&mut self, f: &mut File) -> PResult<()> {
        self.expect("func")?;
        let mut decl = FuncDecl::default();
        let mut recv = None;
        if self.is("(") {
            let save = (self.i, self.depth);
            match self.receiver(&mut decl.vars) {
                Ok(base) => recv = base,
                Err(_) => {
                    (self.i, self.depth) = save;
                    decl.vars.clear();
                    self.skip_balanced()?;
                }
            }
        }
        let (name, pos) = self.ident()?;
        if let Some(recv) = recv {
            f.methods.push(MethodDecl { recv, name, pos });
        }
        if self.is("[") {
            self.skip_balanced()?;
        }
        if !self.is("(") {
            return Err(self.unexpected("'('"));
        }
        let save = (self.i, self.depth);
        let before = decl.vars.len();
        if self.params(&mut decl.vars).is_err() {
            (self.i, self.depth) = save;
            decl.vars.truncate(before);
            self.skip_balanced()?;
        }
        loop {
            let t = self.tok();
            match t.kind {
                Tok::Eof | Tok::Semi => break,
                Tok::Op if self.text(t) == "{" => {
                    let prev = self.toks[self.i - 1];
                    let after_type_kw = prev.kind == Tok::Ident
                        && matches!(self.text(prev), "struct" | "interface");
                    let body = self.i;
                    self.skip_balanced()?;
                    if !after_type_kw {
                        let end = self.i;
                        self.scan_body(f, &mut decl, body, end);
                        (self.i, self.depth) = (end, 0);
                        break;
                    }
                }
                Tok::Op if matches!(self.text(t), "(" | "[") => self.skip_balanced()?,
                Tok::Op if matches!(self.text(t), ")" | "]" | "}") => {
                    return Err(self.err_at(t, format!("unexpected '{}'", self.text(t))))
                }
                _ => {
                    self.next();
                }
            }
        }
        if !decl.atomic_uses.is_empty() {
            f.funcs.push(decl);
        }
        Ok(())
    }

    /// `(name T)`, `(name *T)`, `(T)`, `(name *T[P])`: the receiver's base
    /// type name (`T`), if it is a local type name.
    fn receiver(&mut self, vars: &mut Vec<VarDecl>) -> PResult<Option<String>> {
        self.expect("(")?;
        let named =
            self.tok().kind == Tok::Ident && !matches!(self.peek_text(1), ")" | "." | "[" | ",");
        let name = if named { Some(self.ident()?.0) } else { None };
        // A generic receiver `*List[T]` names the generic type: the
        // atomic check lays out declarations, so drop the arguments.
        let ty = strip_type_args(self.ty()?);
        self.expect(")")?;
        let base = match &ty {
            TypeExpr::Pointer(inner) => inner.as_ref(),
            t => t,
        };
        let base = match base {
            TypeExpr::Name {
                pkg: None, name, ..
            } => Some(name.clone()),
            _ => None,
        };
        if let Some(name) = name {
            vars.push(VarDecl { name, ty });
        }
        Ok(base)
    }

    /// A parameter list `(a, b *T, c int)` or `(int, string)`: the named ones.
    fn params(&mut self, vars: &mut Vec<VarDecl>) -> PResult<()> {
        self.expect("(")?;
        let mut pending: Vec<String> = Vec::new();
        loop {
            while self.is_semi() {
                self.next();
            }
            if self.is(")") {
                self.next();
                return Ok(());
            }
            let t = self.tok();
            let lone_name = t.kind == Tok::Ident
                && !is_keyword(self.text(t))
                && matches!(self.peek_text(1), "," | ")");
            let named = t.kind == Tok::Ident
                && !is_keyword(self.text(t))
                && !matches!(self.peek_text(1), "," | ")" | ".");
            if lone_name {
                pending.push(self.ident()?.0);
            } else if named {
                let name = self.ident()?.0;
                let variadic = self.is("...");
                if variadic {
                    self.next();
                }
                let ty = self.ty()?;
                let ty = if variadic {
                    TypeExpr::Slice(Box::new(ty))
                } else {
                    ty
                };
                for p in pending.drain(..) {
                    vars.push(VarDecl {
                        name: p,
                        ty: ty.clone(),
                    });
                }
                vars.push(VarDecl { name, ty });
            } else {
                if self.is("...") {
                    self.next();
                }
                self.ty()?;
                pending.clear();
            }
            if self.is(",") {
                self.next();
            } else if !self.is(")") {
                return Err(self.unexpected("',' or ')'"));
            }
        }
    }

    /// `var a, b T [= …]` or `var a = T{…}` at package level: the typed names.
    fn var_spec(&mut self, f: &mut File, _: usize) -> PResult<()> {
        let save = (self.i, self.depth);
        if let Some(vars) = self.typed_var() {
            f.vars.extend(vars);
        } else {
            (self.i, self.depth) = save;
        }
        self.skip_spec()
    }

    /// At the names of a `var` spec or a `:=`: the names and the type the
    /// declaration shows (`T`, or the type of a `T{…}`, `&T{…}` or
    /// `new(T)` initialiser), if it shows one. Moves the cursor.
    fn typed_var(&mut self) -> Option<Vec<VarDecl>> {
        let mut names = Vec::new();
        loop {
            let t = self.tok();
            if t.kind != Tok::Ident || is_keyword(self.text(t)) {
                return None;
            }
            names.push(self.text(t).to_string());
            self.next();
            if self.is(",") {
                self.next();
            } else {
                break;
            }
        }
        let ty = if self.is("=") || self.is(":=") {
            self.next();
            self.initializer_type()?
        } else {
            self.ty().ok()?
        };
        Some(
            names
                .into_iter()
                .map(|name| VarDecl {
                    name,
                    ty: ty.clone(),
                })
                .collect(),
        )
    }

    /// The type of `T{…}`, `&T{…}` (`*T`) or `new(T)` (`*T`).
    fn initializer_type(&mut self) -> Option<TypeExpr> {
        if self.is("new") && self.peek_text(1) == "(" {
            self.next();
            self.next();
            let t = self.ty().ok()?;
            if !self.is(")") {
                return None;
            }
            self.next();
            return Some(TypeExpr::Pointer(Box::new(t)));
        }
        let addr = self.is("&");
        if addr {
            self.next();
        }
        let t = self.ty().ok()?;
        // `func(…) T { … }` is a function literal, not a composite one.
        if !self.is("{") || matches!(t, TypeExpr::Func(_)) {
            return None;
        }
        Some(if addr {
            TypeExpr::Pointer(Box::new(t))
        } else {
            t
        })
    }

    /// Scans a function body (tokens `start..end`) for typed local
    /// variables and 64-bit `sync/atomic` calls on `&x.f…` operands.
    fn scan_body(&mut self, f: &File, decl: &mut FuncDecl, start: usize, end: usize) {
        let atomic = f
            .imports
            .iter()
            .find(|i| i.path == "sync/atomic")
            .map(|i| i.name.clone().unwrap_or_else(|| "atomic".to_string()));
        let mut k = start;
        while k < end {
            let t = self.toks[k];
            let text = self.text(t);
            self.i = k;
            self.depth = 0;
            if t.kind == Tok::Ident && text == "var" {
                self.i = k + 1;
                if let Some(vars) = self.typed_var() {
                    decl.vars.extend(vars);
                }
            } else if t.kind == Tok::Ident
                && !is_keyword(text)
                && (k == start
                    || matches!(self.toks[k - 1].kind, Tok::Semi)
                    || self.text(self.toks[k - 1]) == "{")
            {
                // `a, b := …` at the start of a statement.
                let mut j = k;
                while j + 1 < end
                    && (self.toks[j].kind == Tok::Ident || self.text(self.toks[j]) == ",")
                {
                    if self.text(self.toks[j + 1]) == ":=" {
                        break;
                    }
                    j += 1;
                }
                if j + 1 < end && self.text(self.toks[j + 1]) == ":=" {
                    if let Some(vars) = self.typed_var() {
                        decl.vars.extend(vars);
                    }
                }
            }
            if Some(text) == atomic.as_deref()
                && k + 5 < end
                && self.text(self.toks[k + 1]) == "."
                && ATOMIC64.contains(&self.text(self.toks[k + 2]))
                && self.text(self.toks[k + 3]) == "("
                && self.text(self.toks[k + 4]) == "&"
            {
                if let Some(chain) = self.selector_chain(k + 5, end) {
                    decl.atomic_uses.push(AtomicUse { chain, pos: t.pos });
                }
            }
            k += 1;
        }
    }

    /// `x.a.b` or `x.a[i].b` from token `k`, ending at `,` or `)`.
    fn selector_chain(&self, mut k: usize, end: usize) -> Option<Vec<String>> {
        let mut chain = Vec::new();
        let first = self.toks[k];
        if first.kind != Tok::Ident {
            return None;
        }
        chain.push(self.text(first).to_string());
        k += 1;
        while k < end {
            let t = self.toks[k];
            match self.text(t) {
                "," | ")" => return (chain.len() > 1).then_some(chain),
                "." => {
                    let n = self.toks[k + 1];
                    if n.kind != Tok::Ident {
                        return None;
                    }
                    chain.push(self.text(n).to_string());
                    k += 2;
                }
                "[" => {
                    let mut depth = 0;
                    while k < end {
                        match self.text(self.toks[k]) {
                            "[" | "(" | "{" => depth += 1,
                            "]" | ")" | "}" => depth -= 1,
                            _ => {}
                        }
                        k += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    chain.push("[]".to_string());
                }
                _ => return None,
            }
        }
        None
    }

    fn ty(&mut self) -> PResult<TypeExpr> {
        self.enter()?;
        let r = self.ty_inner();
        self.depth -= 1;
        r
    }

    fn ty_inner(&mut self) -> PResult<TypeExpr> {
        let t = self.tok();
        let s = self.text(t);
        match (t.kind, s) {
            (Tok::Ident, "struct") => {
                self.next();
                self.struct_body().map(TypeExpr::Struct)
            }
            (Tok::Ident, "interface") => {
                self.next();
                if !self.is("{") {
                    return Err(self.unexpected("'{'"));
                }
                let open = self.i;
                self.skip_balanced()?;
                Ok(TypeExpr::Interface(self.token_text(open + 1, self.i - 1)))
            }
            (Tok::Ident, "map") => {
                self.next();
                self.expect("[")?;
                let key_pos = self.key_pos();
                let k = self.ty()?;
                self.expect("]")?;
                let v = self.ty()?;
                Ok(TypeExpr::Map(Box::new(k), Box::new(v), key_pos))
            }
            (Tok::Ident, "chan") => {
                self.next();
                let dir = if self.is("<-") {
                    self.next();
                    1
                } else {
                    0
                };
                Ok(TypeExpr::Chan(dir, Box::new(self.ty()?)))
            }
            (Tok::Op, "<-") => {
                self.next();
                self.expect("chan")?;
                Ok(TypeExpr::Chan(2, Box::new(self.ty()?)))
            }
            (Tok::Ident, "func") => {
                let func_tok = self.i;
                self.next();
                self.signature(func_tok)
            }
            (Tok::Ident, _) if !is_keyword(s) => {
                let (mut name, pos) = self.ident()?;
                let mut pkg = None;
                if self.is(".") {
                    self.next();
                    pkg = Some(name);
                    name = self.ident()?.0;
                }
                let base = TypeExpr::Name { pkg, name, pos };
                if self.is("[") {
                    self.next();
                    let mut args = Vec::new();
                    while !self.is("]") {
                        args.push(self.ty()?);
                        if !self.is("]") {
                            self.expect(",")?;
                        }
                    }
                    self.next();
                    if args.is_empty() {
                        return Err(self.unexpected("type argument"));
                    }
                    return Ok(TypeExpr::Inst {
                        base: Box::new(base),
                        args,
                    });
                }
                Ok(base)
            }
            (Tok::Op, "*") => {
                self.next();
                Ok(TypeExpr::Pointer(Box::new(self.ty()?)))
            }
            (Tok::Op, "[") => {
                self.next();
                if self.is("]") {
                    self.next();
                    return Ok(TypeExpr::Slice(Box::new(self.ty()?)));
                }
                if self.is("...") {
                    return Err(self.err_at(
                        self.tok(),
                        "invalid use of [...] array (outside a composite literal)".into(),
                    ));
                }
                let n = self.expr()?;
                self.expect("]")?;
                Ok(TypeExpr::Array(Box::new(n), Box::new(self.ty()?)))
            }
            (Tok::Op, "(") => {
                self.next();
                let inner = self.ty()?;
                self.expect(")")?;
                Ok(inner)
            }
            _ => Err(self.unexpected("type")),
        }
    }

    /// Where gc reports a map key type starting at the current token: past
    /// opening parentheses, and at the parameters' `(` of a `func` type.
    fn key_pos(&self) -> Pos {
        let mut k = self.i;
        while k + 1 < self.toks.len()
            && self.toks[k].kind == Tok::Op
            && self.text(self.toks[k]) == "("
        {
            k += 1;
        }
        if k + 1 < self.toks.len()
            && self.toks[k].kind == Tok::Ident
            && self.text(self.toks[k]) == "func"
        {
            k += 1;
        }
        self.toks[k.min(self.toks.len() - 1)].pos
    }

    /// After `func`: parameters and results; the type keeps its source text.
    fn signature(&mut self, func_tok: usize) -> PResult<TypeExpr> {
        if !self.is("(") {
            return Err(self.unexpected("'('"));
        }
        self.skip_balanced()?;
        if self.is("(") {
            self.skip_balanced()?;
        } else if self.starts_type() {
            self.ty()?;
        }
        Ok(TypeExpr::Func(self.token_text(func_tok, self.i)))
    }

    /// The source of tokens `from..to` without comments: one space where
    /// the source had space or a comment between two tokens, none where
    /// they touch, and `; ` for a semicolon (written or inserted at a
    /// newline), except at the end (go/types writes `interface{A(); B()}`).
    fn token_text(&self, from: usize, to: usize) -> String {
        let mut out = String::new();
        let mut prev_end = None;
        let mut semi = false;
        for &t in &self.toks[from..to] {
            if t.kind == Tok::Semi {
                semi = !out.is_empty();
                continue;
            }
            if semi {
                out.push_str("; ");
            } else if prev_end.is_some_and(|e| e < t.start) {
                out.push(' ');
            }
            semi = false;
            out.push_str(self.text(t));
            prev_end = Some(t.end);
        }
        out
    }

    fn starts_type(&self) -> bool {
        let t = self.tok();
        match t.kind {
            Tok::Ident => {
                let s = self.text(t);
                !is_keyword(s) || matches!(s, "struct" | "interface" | "map" | "chan" | "func")
            }
            Tok::Op => matches!(self.text(t), "*" | "[" | "<-" | "("),
            _ => false,
        }
    }

    /// A type and its source text.
    fn ty_with_src(&mut self) -> PResult<(TypeExpr, String)> {
        let first = self.tok();
        let ty = self.ty()?;
        let last = self.toks[self.i - 1];
        Ok((
            ty,
            self.src[first.start as usize..last.end as usize].to_string(),
        ))
    }

    fn struct_body(&mut self) -> PResult<Vec<FieldDecl>> {
        self.expect("{")?;
        let mut fields = Vec::new();
        loop {
            while self.is_semi() {
                self.next();
            }
            if self.is("}") {
                self.next();
                break;
            }
            let start = self.tok();
            let (names, (ty, ty_src)) = if self.is("*") {
                // gc's grammar (gofmt's is looser): `*` and a type name.
                let star = self.i;
                self.next();
                let after = self.tok();
                if self.is("(") {
                    return Err(self.err_at(after, "cannot parenthesize embedded type".into()));
                }
                if after.kind != Tok::Ident || is_keyword(self.text(after)) {
                    return Err(self.unexpected("name"));
                }
                self.i = star;
                (Vec::new(), self.ty_with_src()?)
            } else if self.tok().kind == Tok::Ident && !is_keyword(self.text(start)) {
                let after = self.peek_text(1);
                let after_kind = self.peek_kind(1);
                let embedded = after == "."
                    || after_kind == Tok::Semi
                    || after_kind == Tok::Str
                    || after == "}";
                if embedded || (after == "[" && self.bracket_then_ends_field()) {
                    (Vec::new(), self.ty_with_src()?)
                } else {
                    let mut names = vec![self.ident()?.0];
                    while self.is(",") {
                        self.next();
                        names.push(self.ident()?.0);
                    }
                    (names, self.ty_with_src()?)
                }
            } else if self.is("(") {
                return Err(self.err_at(start, "cannot parenthesize embedded type".into()));
            } else {
                return Err(self.unexpected("field name or embedded type"));
            };
            let tag = if self.tok().kind == Tok::Str {
                let t = self.next();
                Some(self.text(t).to_string())
            } else {
                None
            };
            let (doc, comment) = self.field_comments(start, self.toks[self.i - 1]);
            fields.push(FieldDecl {
                names,
                ty,
                ty_src,
                tag,
                pos: start.pos,
                doc,
                comment,
            });
            self.expect_semi_or("}")?;
            if self.tok().kind == Tok::Eof {
                return Err(self.unexpected("'}'"));
            }
        }
        Ok(fields)
    }

    /// At `Ident [`: whether the bracket's match is followed by the end of the
    /// field (embedded `T[int]`) rather than an element type (`a [4]int`).
    fn bracket_then_ends_field(&self) -> bool {
        let mut depth = 0i32;
        let mut k = self.i + 1;
        while k < self.toks.len() {
            let t = self.toks[k];
            if t.kind == Tok::Eof {
                return false;
            }
            if t.kind == Tok::Op {
                match self.text(t) {
                    "(" | "[" | "{" => depth += 1,
                    c @ (")" | "]" | "}") => {
                        depth -= 1;
                        if depth == 0 {
                            if c != "]" {
                                return false;
                            }
                            let n = self.toks[(k + 1).min(self.toks.len() - 1)];
                            return matches!(n.kind, Tok::Semi | Tok::Str | Tok::Eof)
                                || (n.kind == Tok::Op && self.text(n) == "}");
                        }
                    }
                    _ => {}
                }
            }
            k += 1;
        }
        false
    }

    /// The comment lines directly above a field starting at `first`, and a
    /// comment after its last token `last` on the same line.
    fn field_comments(&self, first: Token, last: Token) -> (Vec<String>, Option<String>) {
        let own_line = |c: &Comment| {
            let line_start = self.src[..c.start as usize]
                .rfind('\n')
                .map_or(0, |n| n + 1);
            self.src[line_start..c.start as usize].trim().is_empty()
        };
        let mut doc: Vec<String> = Vec::new();
        let mut want = first.pos.line;
        for c in self.comments.iter().rev().filter(|c| c.end <= first.start) {
            if c.line + 1 != want || !own_line(c) {
                break;
            }
            doc.push(self.src[c.start as usize..c.end as usize].to_string());
            want = c.line;
        }
        doc.reverse();
        let trailing = self.comments.iter().find(|c| {
            c.start >= last.end
                && c.line == last.pos.line
                && self.src[last.end as usize..c.start as usize]
                    .trim_matches(|ch: char| ch == ' ' || ch == '\t' || ch == ';')
                    .is_empty()
        });
        (
            doc,
            trailing.map(|c| self.src[c.start as usize..c.end as usize].to_string()),
        )
    }

    fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut v = vec![self.expr()?];
        while self.is(",") {
            self.next();
            v.push(self.expr()?);
        }
        if !(self.is_semi() || self.is(")") || self.tok().kind == Tok::Eof) {
            return Err(self.unexpected("';'"));
        }
        Ok(v)
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = self.binary(1);
        self.depth -= 1;
        r
    }

    fn binary(&mut self, prec: u8) -> PResult<Expr> {
        let mut x = self.unary()?;
        loop {
            let t = self.tok();
            if t.kind != Tok::Op {
                return Ok(x);
            }
            let (op, p): (&'static str, u8) = match self.text(t) {
                "||" => ("||", 1),
                "&&" => ("&&", 2),
                "==" => ("==", 3),
                "!=" => ("!=", 3),
                "<" => ("<", 3),
                "<=" => ("<=", 3),
                ">" => (">", 3),
                ">=" => (">=", 3),
                "+" => ("+", 4),
                "-" => ("-", 4),
                "|" => ("|", 4),
                "^" => ("^", 4),
                "*" => ("*", 5),
                "/" => ("/", 5),
                "%" => ("%", 5),
                "<<" => ("<<", 5),
                ">>" => (">>", 5),
                "&" => ("&", 5),
                "&^" => ("&^", 5),
                _ => return Ok(x),
            };
            if p < prec {
                return Ok(x);
            }
            self.next();
            self.enter()?;
            let y = self.binary(p + 1);
            self.depth -= 1;
            x = Expr::Binary(op, Box::new(x), Box::new(y?), t.pos);
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        if t.kind == Tok::Op {
            let op: Option<&'static str> = match self.text(t) {
                "+" => Some("+"),
                "-" => Some("-"),
                "!" => Some("!"),
                "^" => Some("^"),
                "&" => Some("&"),
                "<-" if self.peek_text(1) != "chan" => Some("<-"),
                _ => None,
            };
            if let Some(op) = op {
                self.next();
                self.enter()?;
                let x = self.unary();
                self.depth -= 1;
                return Ok(Expr::Unary(op, Box::new(x?), t.pos));
            }
        }
        self.primary()
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        let mut x = match t.kind {
            Tok::Int => {
                self.next();
                Expr::Int(parse_int(self.text(t)), t.pos)
            }
            Tok::Float => {
                self.next();
                Expr::Float(parse_float(self.text(t)), t.pos)
            }
            Tok::Imag => {
                self.next();
                Expr::Unsupported("complex constant", t.pos)
            }
            Tok::Char => {
                self.next();
                Expr::Char(rune_value(self.text(t)), t.pos)
            }
            Tok::Str => {
                self.next();
                Expr::Str(string_len(self.text(t)), t.pos)
            }
            Tok::Ident if !is_keyword(self.text(t)) => {
                let (name, pos) = self.ident()?;
                let (pkg, name) = if self.is(".") && self.peek_kind(1) == Tok::Ident {
                    self.next();
                    (Some(name), self.ident()?.0)
                } else {
                    (None, name)
                };
                if self.is("{") {
                    self.skip_balanced()?;
                    Expr::Composite(Box::new(TypeExpr::Name { pkg, name, pos }), pos)
                } else {
                    Expr::Name { pkg, name, pos }
                }
            }
            Tok::Op if self.text(t) == "(" => {
                self.next();
                let x = self.expr()?;
                self.expect(")")?;
                x
            }
            _ if self.starts_type() => {
                let ty = Box::new(self.ty()?);
                if self.is("{") {
                    self.skip_balanced()?;
                    Expr::Composite(ty, t.pos)
                } else {
                    Expr::Type(ty, t.pos)
                }
            }
            _ => return Err(self.unexpected("expression")),
        };
        // Postfix: calls, selectors, indexing, composite literals.
        loop {
            let t = self.tok();
            if t.kind != Tok::Op {
                return Ok(x);
            }
            match self.text(t) {
                "(" => {
                    self.next();
                    let mut args = Vec::new();
                    while !self.is(")") {
                        if self.tok().kind == Tok::Eof {
                            return Err(self.unexpected("')'"));
                        }
                        args.push(self.expr()?);
                        if self.is("...") {
                            self.next();
                        }
                        if !self.is(")") {
                            self.expect(",")?;
                            while self.is_semi() {
                                self.next();
                            }
                        }
                    }
                    self.next();
                    x = Expr::Call(Box::new(x), args, t.pos);
                }
                "." if matches!(x, Expr::Composite(..)) && self.peek_kind(1) == Tok::Ident => {
                    self.next();
                    let (field, _) = self.ident()?;
                    x = match x {
                        Expr::Composite(ty, _) => Expr::FieldOf(ty, field, t.pos),
                        other => other,
                    };
                }
                "[" | "." | "{" => {
                    self.skip_postfix()?;
                    x = Expr::Unsupported("non-constant operand", t.pos);
                }
                _ => return Ok(x),
            }
        }
    }

    fn skip_postfix(&mut self) -> PResult<()> {
        if self.is(".") {
            self.next();
            if self.is("(") {
                return self.skip_balanced();
            }
            self.next();
            Ok(())
        } else {
            self.skip_balanced()
        }
    }

    /// `//go:build` line (or `// +build` lines) among comments before `package`.
    fn build_constraint(&self, before: u32) -> Option<String> {
        let mut plus: Vec<String> = Vec::new();
        for c in self.comments.iter().take_while(|c| c.end <= before) {
            let text = &self.src[c.start as usize..c.end as usize];
            if let Some(e) = text.strip_prefix("//go:build") {
                if e.is_empty() || e.starts_with([' ', '\t']) {
                    return Some(e.trim().to_string());
                }
            }
            if let Some(e) = text.strip_prefix("// +build") {
                if e.is_empty() || e.starts_with([' ', '\t']) {
                    let ors: Vec<String> = e
                        .split_whitespace()
                        .map(|term| {
                            let ands: Vec<&str> = term.split(',').collect();
                            format!("({})", ands.join(" && "))
                        })
                        .collect();
                    if !ors.is_empty() {
                        plus.push(format!("({})", ors.join(" || ")));
                    }
                }
            }
        }
        if plus.is_empty() {
            None
        } else {
            Some(plus.join(" && "))
        }
    }
}

fn vec_of<T>(x: T) -> Vec<T> {
    vec![x]
}

/// Value of an integer literal (`0x`, `0o`, `0b`, legacy octal, `_` separators).
pub(crate) fn parse_int(lit: &str) -> Option<i128> {
    let s: String = lit.chars().filter(|&c| c != '_').collect();
    let (digits, radix) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (r, 8)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (r, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (&s[..], 10)
    };
    if digits.is_empty() {
        return None;
    }
    i128::from_str_radix(digits, radix).ok()
}

/// The exact value of a floating-point literal (decimal `1.5e3`, `.5`,
/// `1e-3`, or hexadecimal `0x1.8p3`) as a fraction in lowest terms
/// (numerator, positive denominator); `None` when a part passes 128 bits.
pub(crate) fn parse_float(lit: &str) -> Option<(i128, i128)> {
    let s: String = lit.chars().filter(|&c| c != '_').collect();
    let (radix, body, exp_char, exp_base): (u32, &str, &[char], i128) =
        match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(r) => (16, r, &['p', 'P'], 2),
            None => (10, &s[..], &['e', 'E'], 10),
        };
    let (mant, exp) = match body.find(exp_char) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i32>().ok()?),
        None if radix == 16 => return None, // a hex float needs its exponent
        None => (body, 0),
    };
    let (int_part, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac.is_empty() {
        return None;
    }
    let mut num: i128 = 0;
    for c in int_part.chars().chain(frac.chars()) {
        let d = i128::from(c.to_digit(radix)?);
        num = num.checked_mul(i128::from(radix))?.checked_add(d)?;
    }
    let mut den = i128::from(radix).checked_pow(u32::try_from(frac.len()).ok()?)?;
    let scale = exp_base.checked_pow(exp.unsigned_abs())?;
    if exp >= 0 {
        num = num.checked_mul(scale)?;
    } else {
        den = den.checked_mul(scale)?;
    }
    let (mut a, mut b) = (num, den);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    Some((num / a, den / a))
}

/// Decodes one escape at the start of `s` (after the backslash); returns (value, bytes it encodes, consumed).
fn escape(s: &[u8]) -> Option<(u32, u64, usize)> {
    let c = *s.first()?;
    let simple = |v: u8| Some((u32::from(v), 1, 1));
    match c {
        b'a' => simple(7),
        b'b' => simple(8),
        b'f' => simple(12),
        b'n' => simple(10),
        b'r' => simple(13),
        b't' => simple(9),
        b'v' => simple(11),
        b'\\' | b'\'' | b'"' => simple(c),
        b'x' => {
            let v = u32::from_str_radix(core::str::from_utf8(s.get(1..3)?).ok()?, 16).ok()?;
            Some((v, 1, 3))
        }
        b'0'..=b'7' => {
            let v = u32::from_str_radix(core::str::from_utf8(s.get(0..3)?).ok()?, 8).ok()?;
            if v > 255 {
                return None;
            }
            Some((v, 1, 3))
        }
        b'u' | b'U' => {
            let n = if c == b'u' { 4 } else { 8 };
            let v = u32::from_str_radix(core::str::from_utf8(s.get(1..1 + n)?).ok()?, 16).ok()?;
            let ch = char::from_u32(v)?;
            Some((v, ch.len_utf8() as u64, 1 + n))
        }
        _ => None,
    }
}

/// Byte length of a string literal's value.
fn string_len(lit: &str) -> Option<u64> {
    if let Some(raw) = lit.strip_prefix('`') {
        return Some(raw.len().saturating_sub(1) as u64 - raw.matches('\r').count() as u64);
    }
    let b = lit.as_bytes();
    let inner = b.get(1..b.len().checked_sub(1)?)?;
    let mut i = 0;
    let mut n = 0u64;
    while i < inner.len() {
        if inner[i] == b'\\' {
            let (_, bytes, used) = escape(&inner[i + 1..])?;
            n += bytes;
            i += 1 + used;
        } else {
            n += 1;
            i += 1;
        }
    }
    Some(n)
}

/// Value of a rune literal.
fn rune_value(lit: &str) -> Option<i128> {
    let inner = lit.get(1..lit.len().checked_sub(1)?)?;
    if let Some(rest) = inner.strip_prefix('\\') {
        let (v, _, used) = escape(rest.as_bytes())?;
        if used != rest.len() {
            return None;
        }
        return Some(i128::from(v));
    }
    let mut cs = inner.chars();
    let c = cs.next()?;
    if cs.next().is_some() {
        return None;
    }
    Some(i128::from(u32::from(c)))
}

/// Whether closing bracket `c` matches the opening one `open` (as pushed:
/// the expected closer, or `g` for a declaration group's parenthesis).
fn closes(open: Option<u8>, c: &str) -> bool {
    match open {
        Some(b'g') => c == ")",
        Some(o) => c.as_bytes()[0] == o,
        None => false,
    }
}

/// A generic receiver type without its type arguments: `*List[T]` → `*List`.
fn strip_type_args(t: TypeExpr) -> TypeExpr {
    match t {
        TypeExpr::Inst { base, .. } => *base,
        TypeExpr::Pointer(inner) => TypeExpr::Pointer(Box::new(strip_type_args(*inner))),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_decode() {
        assert_eq!(parse_int("0x_FF"), Some(255));
        assert_eq!(parse_int("0755"), Some(493));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(string_len("\"a\\x00\\u00e9\""), Some(4));
        assert_eq!(string_len("`ab`"), Some(2));
        assert_eq!(rune_value("'\\n'"), Some(10));
        assert_eq!(rune_value("'é'"), Some(233));
        assert_eq!(parse_float("1.5e3"), Some((1500, 1)));
        assert_eq!(parse_float(".5"), Some((1, 2)));
        assert_eq!(parse_float("1e-3"), Some((1, 1000)));
        assert_eq!(parse_float("1_000.5"), Some((2001, 2)));
        assert_eq!(parse_float("0x1.8p3"), Some((12, 1)));
        assert_eq!(parse_float("0x1p-2"), Some((1, 4)));
        assert_eq!(parse_float("0X.8P1"), Some((1, 1)));
        assert_eq!(parse_float("0.0"), Some((0, 1)));
        // Past 128 bits: not evaluated, never wrong.
        assert_eq!(parse_float("1e40"), None);
        assert_eq!(parse_float("1e-999"), None);
    }

    #[test]
    fn fields_embedded_tags_and_generics() {
        let f = parse_file(
            "package p\ntype T struct {\n\tsync.Mutex\n\t*Node\n\ta, b int `json:\"a\"`\n\tarr [N]byte\n\tL[int]\n\tx struct{ y int }\n\tfn func(int) (string, error)\n}\n",
        )
        .unwrap();
        let TypeExpr::Struct(fs) = &f.types[0].ty else {
            panic!()
        };
        assert_eq!(fs.len(), 7);
        assert!(fs[0].names.is_empty() && fs[1].names.is_empty());
        assert_eq!(fs[2].names, ["a", "b"]);
        assert!(fs[2].tag.is_some());
        assert!(matches!(fs[3].ty, TypeExpr::Array(..)));
        assert!(matches!(fs[4].ty, TypeExpr::Inst { .. }) && fs[4].names.is_empty());
        assert!(matches!(&fs[6].ty, TypeExpr::Func(s) if s == "func(int) (string, error)"));
    }

    #[test]
    fn funcs_vars_and_atomics_are_skipped_or_noted() {
        let f = parse_file(
            "package p\nimport \"sync/atomic\"\nvar x = func() struct{a int} { return struct{a int}{} }()\nvar g0 Stats\nvar g1 = &Stats{}\nfunc (t *T) f(a, b int, c ...string) struct{ a int } { atomic.AddInt64(&t.s.n, 1); return }\nfunc g() { atomic.LoadUint64(&cnt) }\nfunc h() { s := &Stats{}; var u Stats; atomic.StoreUint64(&s.arr[i].v, 2); atomic.AddUint64(&u.n, 1); atomic.AddUint64(f().n, 1) }\ntype T struct{\n\t// doc\n\tn int64 `json:\"n\"` // atomic\n}\n",
        )
        .unwrap();
        let chains: Vec<Vec<&str>> = f
            .funcs
            .iter()
            .flat_map(|d| {
                d.atomic_uses
                    .iter()
                    .map(|u| u.chain.iter().map(String::as_str).collect())
            })
            .collect();
        // `&cnt` is not a field, `f().n` not a selector chain of names.
        assert_eq!(
            chains,
            [
                vec!["t", "s", "n"],
                vec!["s", "arr", "[]", "v"],
                vec!["u", "n"]
            ]
        );
        let names =
            |k: usize| -> Vec<String> { f.funcs[k].vars.iter().map(|v| v.name.clone()).collect() };
        assert_eq!(names(0), ["t", "a", "b", "c"]);
        assert_eq!(names(1), ["s", "u"]);
        assert!(matches!(&f.funcs[1].vars[0].ty, TypeExpr::Pointer(_)));
        let globals: Vec<&str> = f.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(globals, ["g0", "g1"]);
        let TypeExpr::Struct(fs) = &f.types[0].ty else {
            panic!()
        };
        assert_eq!(fs[0].doc, ["// doc"]);
        assert_eq!(fs[0].ty_src, "int64");
        assert_eq!(fs[0].comment.as_deref(), Some("// atomic"));
    }

    #[test]
    fn declaration_groups_keep_their_line_breaks() {
        // Line breaks end specs inside `var (`/`const (` groups, at package
        // level and in function bodies; elsewhere inside `(` they are errors.
        let f = parse_file(
            "package p\nvar (\n\ta = new(T)\n\tb = new(T)\n)\nfunc f() {\n\tvar (\n\t\tx int\n\t\ty = g(1,\n\t\t\t2)\n\t)\n\tconst (\n\t\tc = 1\n\t)\n}\ntype T struct{}\n",
        )
        .unwrap();
        assert_eq!(f.vars.len(), 2);
        assert_eq!(f.types.len(), 1);
        let e = parse_file("package p\nfunc f() {\n\tg(1\n\t)\n}\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 5));
    }

    #[test]
    fn build_constraints_are_read() {
        let f = parse_file("//go:build linux && !386\n\npackage p\n").unwrap();
        assert_eq!(f.build.as_deref(), Some("linux && !386"));
        let f = parse_file("// +build linux,amd64 darwin\n\npackage p\n").unwrap();
        assert_eq!(f.build.as_deref(), Some("((linux && amd64) || (darwin))"));
    }

    #[test]
    fn embedded_star_takes_a_type_name() {
        // gofmt accepts these; gc's parser stops at the token after `*`.
        for (field, msg) in [
            ("*[]int", "expected name, found '['"),
            ("**T", "expected name, found '*'"),
            ("*struct{}", "expected name, found 'struct'"),
            ("*(T)", "cannot parenthesize embedded type"),
        ] {
            let src = alloc::format!("package p\ntype S struct{{ {field} }}\n");
            let e = parse_file(&src).unwrap_err();
            assert_eq!((e.line, e.col, e.msg.as_str()), (2, 17, msg), "{field}");
        }
        let f = parse_file("package p\ntype S struct{ *T; *q.U; *G[int] }\n").unwrap();
        let TypeExpr::Struct(fs) = &f.types[0].ty else {
            panic!("not a struct")
        };
        assert!(fs
            .iter()
            .all(|fd| fd.names.is_empty() && matches!(fd.ty, TypeExpr::Pointer(_))));
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = parse_file("package p\ntype T struct { a int; b c d }\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 28));
        assert!(parse_file("package p\nx := 1\n").is_err());
        assert!(parse_file("type T int").is_err());
        let deep = alloc::format!("package p\ntype T {}int", "*".repeat(1_000));
        assert!(parse_file(&deep).is_err());
    }
}
