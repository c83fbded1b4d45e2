//! The gort task runner (see `cargo xtask help`).
fn main() {}
