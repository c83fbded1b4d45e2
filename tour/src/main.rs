//! The gort tour: each crate at work, drawn in the terminal.
//!
//! `cargo xtask tour` runs every chapter; `cargo xtask tour CHAPTER` runs one.
//! Each chapter lives in `chapters/<name>.rs` and draws with the helpers in
//! [`draw`]. Chapters are deterministic where they can be (seeded random) and
//! finish in seconds.

mod chapters;
mod draw;

use std::process::ExitCode;

/// One chapter of the tour.
pub struct Chapter {
    /// Name on the command line.
    pub name: &'static str,
    /// One-line summary for the table of contents.
    pub title: &'static str,
    /// Draws the chapter to standard output.
    pub run: fn(),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = chapters::ALL;
    match args.as_slice() {
        [] => {
            draw::banner("gort: Go's runtime data structures, in Rust");
            println!("Chapters:");
            for c in all {
                println!("  {:<8} {}", c.name, c.title);
            }
            for c in all {
                draw::chapter(c.name, c.title);
                (c.run)();
            }
            ExitCode::SUCCESS
        }
        [flag] if flag == "--list" => {
            for c in all {
                println!("{}\t{}", c.name, c.title);
            }
            ExitCode::SUCCESS
        }
        [name] => match all.iter().find(|c| c.name == name.as_str()) {
            Some(c) => {
                draw::chapter(c.name, c.title);
                (c.run)();
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<_> = all.iter().map(|c| c.name).collect();
                eprintln!(
                    "tour: no chapter {name:?}; chapters are: {}",
                    names.join(", ")
                );
                ExitCode::from(2)
            }
        },
        _ => {
            eprintln!("usage: cargo xtask tour [CHAPTER | --list]");
            ExitCode::from(2)
        }
    }
}
