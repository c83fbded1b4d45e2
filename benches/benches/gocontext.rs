//! gocontext benches
fn main() {}
