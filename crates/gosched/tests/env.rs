//! `GOMAXPROCS` from the environment (alone in its test binary: it sets a
//! process-wide variable).

#[test]
fn gomaxprocs_env_is_honoured() {
    std::env::set_var("GOMAXPROCS", "3");
    assert_eq!(gosched::default_procs(), 3);
    let rt = gosched::Runtime::new().unwrap();
    assert_eq!(rt.gomaxprocs(), 3);
    assert_eq!(
        gosched::gomaxprocs(),
        3,
        "outside a runtime: what a new one gets"
    );
    // Not a positive integer: ignored, as Go does.
    for bad in ["0", "-1", "two", ""] {
        std::env::set_var("GOMAXPROCS", bad);
        let want = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(gosched::default_procs(), want, "GOMAXPROCS={bad:?}");
    }
    std::env::remove_var("GOMAXPROCS");
}
