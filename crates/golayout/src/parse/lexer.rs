//! A Go lexer: tokens with positions, automatic semicolons, comments kept aside.
//!
//! Follows the Go spec's "Lexical elements": identifiers (Unicode letters),
//! integer/float/imaginary/rune/string literals (raw and interpreted),
//! operators, and the semicolon rule ("a semicolon is automatically inserted
//! after a line's final token if that token is an identifier, a literal, one of
//! the keywords break, continue, fallthrough, return, or one of ++ -- ) ] }").
//! It works on bytes and only needs `core`/`alloc`. Invalid input becomes a
//! [`ParseError`] with a 1-based line and column (columns count bytes, as
//! `go/scanner` does); it never panics and runs in time linear in the input.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// A syntax error at a 1-based line and byte column.
///
/// ```
/// let e = golayout::parse::parse_file("package p\ntype T struct {").unwrap_err();
/// assert_eq!((e.line, e.col), (2, 16));
/// assert!(e.to_string().starts_with("2:16: "));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 1-based byte column.
    pub col: u32,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.msg)
    }
}

impl core::error::Error for ParseError {}

/// A source position (1-based line and byte column).
///
/// ```
/// let p = golayout::parse::Pos { line: 3, col: 7 };
/// assert_eq!(p.to_string(), "3:7");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based byte column.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Token kinds. Keywords are `Ident`s; the parser compares their text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Ident,
    Int,
    Float,
    Imag,
    Char,
    Str,
    /// Operators and punctuation; the text says which.
    Op,
    /// Explicit `;` or an automatically inserted one (text `\n` or empty at EOF).
    Semi,
    Eof,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: u32,
    pub end: u32,
    pub pos: Pos,
}

/// A comment: the line it starts on, whether code precedes it on that line, and its text.
#[derive(Clone, Debug)]
pub(crate) struct Comment {
    pub line: u32,
    pub start: u32,
    pub end: u32,
}

pub(crate) struct Lexed {
    pub toks: Vec<Token>,
    pub comments: Vec<Comment>,
}

const OPS3: [&str; 4] = ["<<=", ">>=", "&^=", "..."];
const OPS2: [&str; 21] = [
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", ">>", "&^", "&&", "||", "<-", "++", "--",
    "==", "!=", "<=", ">=", ":=",
];
const OPS1: &[u8] = b"+-*/%&|^<>=!()[]{},;.:~";

/// Whether the inside of a rune literal (between the quotes) is exactly
/// one character or one escape sequence, as Go requires.
fn is_one_rune(body: &str) -> bool {
    let Some(rest) = body.strip_prefix('\\') else {
        return body.chars().count() == 1;
    };
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_hexdigit());
    match rest.as_bytes().first() {
        Some(b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' | b'\'') => rest.len() == 1,
        Some(b'x') => hex(&rest[1..], 2),
        Some(b'u') => hex(&rest[1..], 4),
        Some(b'U') => hex(&rest[1..], 8),
        Some(b'0'..=b'7') => rest.len() == 3 && rest.bytes().all(|c| (b'0'..=b'7').contains(&c)),
        _ => false,
    }
}

pub(crate) fn lex(src: &str) -> Result<Lexed, ParseError> {
    let b = src.as_bytes();
    if b.len() >= u32::MAX as usize {
        return Err(ParseError {
            line: 1,
            col: 1,
            msg: "file too large".into(),
        });
    }
    let mut toks: Vec<Token> = Vec::new();
    let mut comments = Vec::new();
    let mut i = 0usize;
    let mut line = 1u32;
    let mut line_start = 0usize;
    let pos_of = |i: usize, line: u32, line_start: usize| Pos {
        line,
        col: (i - line_start + 1) as u32,
    };
    let err = |i: usize, line: u32, line_start: usize, msg: &str| ParseError {
        line,
        col: (i - line_start + 1) as u32,
        msg: msg.to_string(),
    };
    // Whether a newline here inserts a semicolon.
    let needs_semi = |toks: &Vec<Token>| -> bool {
        match toks.last() {
            None => false,
            Some(t) => match t.kind {
                Tok::Ident => {
                    let s = &src[t.start as usize..t.end as usize];
                    !is_keyword(s) || matches!(s, "break" | "continue" | "fallthrough" | "return")
                }
                Tok::Int | Tok::Float | Tok::Imag | Tok::Char | Tok::Str => true,
                Tok::Op => matches!(
                    &src[t.start as usize..t.end as usize],
                    ")" | "]" | "}" | "++" | "--"
                ),
                Tok::Semi | Tok::Eof => false,
            },
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                if needs_semi(&toks) {
                    toks.push(Token {
                        kind: Tok::Semi,
                        start: i as u32,
                        end: i as u32,
                        pos: pos_of(i, line, line_start),
                    });
                }
                i += 1;
                line += 1;
                line_start = i;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let s = i;
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                comments.push(Comment {
                    line,
                    start: s as u32,
                    end: i as u32,
                });
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let s = i;
                let (sl, sls) = (line, line_start);
                i += 2;
                let mut had_newline = false;
                loop {
                    if i + 1 >= b.len() {
                        return Err(err(s, sl, sls, "comment not terminated"));
                    }
                    if b[i] == b'*' && b[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if b[i] == b'\n' {
                        had_newline = true;
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
                comments.push(Comment {
                    line: sl,
                    start: s as u32,
                    end: i as u32,
                });
                // A general comment containing newlines acts like a newline.
                if had_newline && needs_semi(&toks) {
                    toks.push(Token {
                        kind: Tok::Semi,
                        start: s as u32,
                        end: s as u32,
                        pos: pos_of(s, sl, sls),
                    });
                }
            }
            b'"' => {
                let s = i;
                i += 1;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => {
                            return Err(err(s, line, line_start, "string literal not terminated"))
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                if i > b.len() {
                    return Err(err(s, line, line_start, "string literal not terminated"));
                }
                toks.push(Token {
                    kind: Tok::Str,
                    start: s as u32,
                    end: i as u32,
                    pos: pos_of(s, line, line_start),
                });
            }
            b'`' => {
                let s = i;
                let p = pos_of(s, line, line_start);
                i += 1;
                loop {
                    match b.get(i) {
                        None => {
                            return Err(ParseError {
                                line: p.line,
                                col: p.col,
                                msg: "raw string literal not terminated".into(),
                            })
                        }
                        Some(b'`') => {
                            i += 1;
                            break;
                        }
                        Some(b'\n') => {
                            i += 1;
                            line += 1;
                            line_start = i;
                        }
                        Some(_) => i += 1,
                    }
                }
                toks.push(Token {
                    kind: Tok::Str,
                    start: s as u32,
                    end: i as u32,
                    pos: p,
                });
            }
            b'\'' => {
                let s = i;
                i += 1;
                let mut n = 0;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => {
                            return Err(err(s, line, line_start, "rune literal not terminated"))
                        }
                        Some(b'\\') => {
                            i += 2;
                            n += 1;
                        }
                        Some(b'\'') => {
                            i += 1;
                            break;
                        }
                        Some(_) => {
                            i += 1;
                            n += 1;
                        }
                    }
                }
                if n == 0 || i > b.len() {
                    return Err(err(
                        s,
                        line,
                        line_start,
                        "empty or unterminated rune literal",
                    ));
                }
                if !is_one_rune(&src[s + 1..i - 1]) {
                    return Err(err(s, line, line_start, "illegal rune literal"));
                }
                toks.push(Token {
                    kind: Tok::Char,
                    start: s as u32,
                    end: i as u32,
                    pos: pos_of(s, line, line_start),
                });
            }
            b'0'..=b'9' => {
                let s = i;
                let kind = scan_number(b, &mut i);
                toks.push(Token {
                    kind,
                    start: s as u32,
                    end: i as u32,
                    pos: pos_of(s, line, line_start),
                });
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let s = i;
                let kind = scan_number(b, &mut i);
                toks.push(Token {
                    kind,
                    start: s as u32,
                    end: i as u32,
                    pos: pos_of(s, line, line_start),
                });
            }
            _ if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let s = i;
                if c >= 0x80 {
                    // Only letters may start an identifier; accept any non-ASCII
                    // char that is alphabetic (validating UTF-8 through &str).
                    let ch = src[i..].chars().next();
                    match ch {
                        Some(ch) if ch.is_alphabetic() => {}
                        Some('\u{feff}') if i == 0 => {
                            i += 3;
                            continue;
                        }
                        _ => return Err(err(i, line, line_start, "invalid character")),
                    }
                }
                while i < b.len() {
                    let c = b[i];
                    if c == b'_' || c.is_ascii_alphanumeric() {
                        i += 1;
                    } else if c >= 0x80 {
                        match src.get(i..).and_then(|r| r.chars().next()) {
                            Some(ch) if ch.is_alphanumeric() => i += ch.len_utf8(),
                            _ => break,
                        }
                    } else {
                        break;
                    }
                }
                toks.push(Token {
                    kind: Tok::Ident,
                    start: s as u32,
                    end: i as u32,
                    pos: pos_of(s, line, line_start),
                });
            }
            _ => {
                let s = i;
                let rest = &b[i..];
                let len = if OPS3.iter().any(|o| rest.starts_with(o.as_bytes())) {
                    3
                } else if OPS2.iter().any(|o| rest.starts_with(o.as_bytes())) {
                    2
                } else if OPS1.contains(&c) {
                    1
                } else {
                    return Err(err(i, line, line_start, "invalid character"));
                };
                i += len;
                let kind = if c == b';' { Tok::Semi } else { Tok::Op };
                toks.push(Token {
                    kind,
                    start: s as u32,
                    end: i as u32,
                    pos: pos_of(s, line, line_start),
                });
            }
        }
    }
    // Go's token.File starts no line after a final newline, so the end of
    // the file is on the last line, one column past its newline (where gofmt
    // reports "found 'EOF'").
    let (eof_line, eof_start) = if b.last() == Some(&b'\n') && line > 1 {
        let prev = b[..b.len() - 1]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |n| n + 1);
        (line - 1, prev)
    } else {
        (line, line_start)
    };
    if needs_semi(&toks) {
        toks.push(Token {
            kind: Tok::Semi,
            start: b.len() as u32,
            end: b.len() as u32,
            pos: pos_of(b.len(), eof_line, eof_start),
        });
    }
    toks.push(Token {
        kind: Tok::Eof,
        start: b.len() as u32,
        end: b.len() as u32,
        pos: pos_of(b.len(), eof_line, eof_start),
    });
    Ok(Lexed { toks, comments })
}

/// Scans a number literal starting at `*i` (a digit or `.digit`).
fn scan_number(b: &[u8], i: &mut usize) -> Tok {
    let mut kind = Tok::Int;
    let hex = b[*i] == b'0' && matches!(b.get(*i + 1), Some(b'x' | b'X'));
    if hex {
        *i += 2;
    }
    while *i < b.len() {
        let c = b[*i];
        let exp = if hex {
            matches!(c, b'p' | b'P')
        } else {
            matches!(c, b'e' | b'E')
        };
        if exp {
            kind = Tok::Float;
            *i += 1;
            if matches!(b.get(*i), Some(b'+' | b'-')) {
                *i += 1;
            }
        } else if c == b'.' {
            kind = Tok::Float;
            *i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            if c == b'i' {
                *i += 1;
                return Tok::Imag;
            }
            *i += 1;
        } else {
            break;
        }
    }
    kind
}

/// Go's 25 keywords.
pub(crate) fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "break"
            | "case"
            | "chan"
            | "const"
            | "continue"
            | "default"
            | "defer"
            | "else"
            | "fallthrough"
            | "for"
            | "func"
            | "go"
            | "goto"
            | "if"
            | "import"
            | "interface"
            | "map"
            | "package"
            | "range"
            | "return"
            | "select"
            | "struct"
            | "switch"
            | "type"
            | "var"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, String)> {
        lex(src)
            .unwrap()
            .toks
            .iter()
            .map(|t| (t.kind, src[t.start as usize..t.end as usize].to_string()))
            .collect()
    }

    #[test]
    fn semicolons_are_inserted_like_go() {
        let k = kinds("type T struct {\n a int // c\n}\n");
        let semis = k.iter().filter(|(t, _)| *t == Tok::Semi).count();
        assert_eq!(semis, 2);
        let k = kinds("x := 1.5e3 + 0x1p4 + 3i + 'a' + `r\naw`");
        assert_eq!(k[2].0, Tok::Float);
        assert_eq!(k[4].0, Tok::Float);
        assert_eq!(k[6].0, Tok::Imag);
        assert_eq!(k[8].0, Tok::Char);
        assert_eq!(k[10].0, Tok::Str);
    }

    #[test]
    fn errors_have_positions() {
        let e = lex("a\n  \"abc").err().unwrap();
        assert_eq!((e.line, e.col), (2, 3));
        assert!(lex("/* x").is_err());
        assert!(lex("a # b").is_err());
        assert!(lex("''").is_err());
    }
}
