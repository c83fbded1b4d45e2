//! The `golayout` command; see [`golayout::cli`].

fn main() {
    std::process::exit(golayout::cli::main());
}
