//! goslice benches
fn main() {}
