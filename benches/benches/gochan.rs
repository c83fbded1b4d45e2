//! gochan benches
fn main() {}
