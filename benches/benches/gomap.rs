//! gomap benches
fn main() {}
