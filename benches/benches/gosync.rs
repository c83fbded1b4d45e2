//! gosync benches
fn main() {}
