//! Renders the design essays that open the crate's private modules as the
//! pages of the public, documentation-only `design` module.
//!
//! The essay stays in one place, the `//!` comment at the top of its source
//! file, next to the code whose invariants it numbers. This script copies
//! it to `$OUT_DIR/design/<module>.md` for `lib.rs` to include. Links into
//! the crate's private items cannot resolve from a public page, so they
//! become plain code spans (`[`Sudog`]` → `` `Sudog` ``); web links stay.

use std::path::PathBuf;

/// The essays `design` publishes: page name and source file.
const ESSAYS: &[(&str, &str)] = &[
    ("raw", "src/raw/mod.rs"),
    ("grow", "src/raw/grow.rs"),
    ("iter", "src/raw/iter.rs"),
    ("bucket", "src/raw/bucket.rs"),
    ("hugepage", "src/raw/hugepage.rs"),
    ("cursor", "src/cursor.rs"),
];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("design");
    std::fs::create_dir_all(&out).expect("create $OUT_DIR/design");
    for (name, src) in ESSAYS {
        println!("cargo:rerun-if-changed={src}");
        let text = std::fs::read_to_string(src).expect("read an essay's source");
        std::fs::write(out.join(format!("{name}.md")), essay(&text)).expect("write an essay");
    }
}

/// The leading `//!` comment of a source file, as Markdown.
fn essay(source: &str) -> String {
    let mut md = String::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("//!") else {
            break;
        };
        md.push_str(&unlink(rest.strip_prefix(' ').unwrap_or(rest)));
        md.push('\n');
    }
    md
}

/// Turns `[label](dest)` and `[`code`]` links into their label, keeping
/// links to web pages.
fn unlink(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let label = &after[..close];
        let tail = &after[close + 1..];
        if let Some(dest) = tail.strip_prefix('(') {
            if let Some(end) = dest.find(')') {
                if dest.starts_with("http") {
                    out.push_str(&rest[open..open + 1 + close + 1 + end + 2]);
                } else {
                    out.push_str(label);
                }
                rest = &dest[end + 1..];
                continue;
            }
        }
        if label.len() > 1 && label.starts_with('`') && label.ends_with('`') {
            out.push_str(label);
        } else {
            out.push('[');
            out.push_str(label);
            out.push(']');
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}
