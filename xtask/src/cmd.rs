//! Running commands: echo them, stream their output, count the tests they ran.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Tests passed and failed across every `cargo test` this process ran.
pub static TESTS_PASSED: AtomicU64 = AtomicU64::new(0);
/// See [`TESTS_PASSED`].
pub static TESTS_FAILED: AtomicU64 = AtomicU64::new(0);
/// What failed tests printed: each `test NAME ... FAILED` line and each
/// panic (`thread '..' panicked at FILE:LINE:` and its message), so the
/// summary at the end of a long run names them (a CI log is often cut to
/// its tail). Capped at [`MAX_FAILURE_LINES`].
pub static FAILURE_LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// How many lines [`FAILURE_LINES`] keeps.
pub const MAX_FAILURE_LINES: usize = 60;

/// A command to run from the workspace root.
pub struct Cmd {
    program: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    dir: Option<String>,
}

impl Cmd {
    /// A command running `program`.
    pub fn new(program: &str) -> Self {
        Cmd {
            program: program.to_string(),
            args: Vec::new(),
            envs: Vec::new(),
            dir: None,
        }
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    /// Runs in `dir` instead of the workspace root.
    pub fn dir(mut self, dir: &str) -> Self {
        self.dir = Some(dir.to_string());
        self
    }

    /// The command line as a user would type it.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.envs {
            s.push_str(&format!("{k}={v:?} "));
        }
        if let Some(d) = &self.dir {
            s = format!("(cd {d} && {s}");
        }
        s.push_str(&self.program);
        for a in &self.args {
            if a.contains(' ') {
                s.push_str(&format!(" {a:?}"));
            } else {
                s.push(' ');
                s.push_str(a);
            }
        }
        if self.dir.is_some() {
            s.push(')');
        }
        s
    }

    fn build(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        if let Some(d) = &self.dir {
            c.current_dir(d);
        }
        c
    }

    /// Runs the command with inherited output; `Err` says how it failed.
    pub fn status(&self) -> Result<(), String> {
        eprintln!("$ {}", self.display());
        match self.build().status() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(format!("`{}` failed ({s})", self.display())),
            Err(e) => Err(format!("`{}` could not start: {e}", self.display())),
        }
    }

    /// Runs the command, streaming its output, counting `test result:` lines.
    pub fn run_counting(&self) -> Result<(), String> {
        eprintln!("$ {}", self.display());
        self.run_relaying(
            || Sink::Terminal { to_stderr: false },
            || Sink::Terminal { to_stderr: true },
        )
    }

    /// Like [`Cmd::run_counting`], but keeps the output (standard output and
    /// error interleaved by line) and returns it instead of printing it, so
    /// commands running side by side do not mix their logs.
    pub fn run_captured(&self) -> (Result<(), String>, String) {
        let log = Arc::new(Mutex::new(format!("$ {}\n", self.display())));
        let result = self.run_relaying(
            || Sink::Buffer(Arc::clone(&log)),
            || Sink::Buffer(Arc::clone(&log)),
        );
        let text = std::mem::take(&mut *log.lock().unwrap_or_else(|e| e.into_inner()));
        (result, text)
    }

    fn run_relaying(
        &self,
        out_sink: impl FnOnce() -> Sink,
        err_sink: impl FnOnce() -> Sink,
    ) -> Result<(), String> {
        let mut child = self
            .build()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("`{}` could not start: {e}", self.display()))?;
        let out = child.stdout.take().map(|s| relay(s, out_sink()));
        let err = child.stderr.take().map(|s| relay(s, err_sink()));
        let status = child
            .wait()
            .map_err(|e| format!("`{}`: {e}", self.display()))?;
        for t in [out, err].into_iter().flatten() {
            let _ = t.join();
        }
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{}` failed ({status})", self.display()))
        }
    }

    /// Runs the command and returns its standard output (stderr inherited).
    pub fn output(&self) -> Result<String, String> {
        let out = self
            .build()
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("`{}` could not start: {e}", self.display()))?;
        if !out.status.success() {
            return Err(format!("`{}` failed ({})", self.display(), out.status));
        }
        String::from_utf8(out.stdout)
            .map_err(|e| format!("`{}` printed invalid UTF-8: {e}", self.display()))
    }

    /// Whether the command runs and succeeds, quietly.
    pub fn succeeds_quietly(&self) -> bool {
        self.build()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// Where [`relay`] sends the lines it reads.
enum Sink {
    /// Straight to this process's standard output or error.
    Terminal { to_stderr: bool },
    /// Appended to a shared log.
    Buffer(Arc<Mutex<String>>),
}

fn relay<R: Read + Send + 'static>(r: R, sink: Sink) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        // The line after a panic header is the panic's message.
        let mut after_panic = false;
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            match &sink {
                Sink::Terminal { to_stderr: true } => eprintln!("{line}"),
                Sink::Terminal { to_stderr: false } => println!("{line}"),
                Sink::Buffer(log) => {
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    log.push_str(&line);
                    log.push('\n');
                }
            }
            if let Some((passed, failed)) = parse_test_result(&line) {
                TESTS_PASSED.fetch_add(passed, Ordering::Relaxed);
                TESTS_FAILED.fetch_add(failed, Ordering::Relaxed);
            }
            let is_failure = is_failure_line(&line);
            if is_failure || after_panic {
                let mut kept = FAILURE_LINES.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() < MAX_FAILURE_LINES {
                    kept.push(line.trim_end().to_string());
                }
            }
            after_panic = is_failure && line.contains(" panicked at ");
        }
    })
}

/// Whether `line` names a failed test or starts a panic report.
pub fn is_failure_line(line: &str) -> bool {
    let line = line.trim_end();
    (line.starts_with("test ") && line.ends_with(" ... FAILED"))
        || (line.starts_with("thread '") && line.contains(" panicked at "))
}

/// Parses libtest's `test result: ok. 12 passed; 0 failed; ...` line.
pub fn parse_test_result(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let mut passed = None;
    let mut failed = None;
    for part in rest.split(';') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let n = words
            .iter()
            .rev()
            .nth(1)
            .and_then(|w| w.parse::<u64>().ok());
        match words.last() {
            Some(&"passed") => passed = n,
            Some(&"failed") => failed = n,
            _ => {}
        }
    }
    Some((passed?, failed?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_libtest_summaries() {
        let l = "test result: ok. 21 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s";
        assert_eq!(parse_test_result(l), Some((21, 0)));
        let l = "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(parse_test_result(l), Some((3, 2)));
        assert_eq!(parse_test_result("running 3 tests"), None);
    }

    #[test]
    fn captured_output_keeps_both_streams_and_counts_tests() {
        let before = TESTS_PASSED.load(Ordering::Relaxed);
        let (result, log) = Cmd::new("sh")
            .args([
                "-c",
                "echo 'test result: ok. 2 passed; 0 failed; 0 ignored'; echo oops >&2; exit 3",
            ])
            .run_captured();
        assert!(result.is_err(), "exit 3 must fail");
        assert!(log.contains("oops") && log.contains("2 passed"), "{log}");
        assert!(TESTS_PASSED.load(Ordering::Relaxed) >= before + 2);
    }

    #[test]
    fn recognises_failed_tests_and_panics() {
        assert!(is_failure_line("test net::echo_1000 ... FAILED"));
        assert!(is_failure_line(
            "thread 'sysmon_hands_off' panicked at crates/gosched/tests/net.rs:10:5:"
        ));
        assert!(!is_failure_line("test net::echo_1000 ... ok"));
        assert!(!is_failure_line("failures:"));
        assert!(!is_failure_line("test result: FAILED. 3 passed; 2 failed"));
    }

    #[test]
    fn displays_env_and_quoted_args() {
        let c = Cmd::new("cargo").args(["test", "a b"]).env("K", "v");
        assert_eq!(c.display(), "K=\"v\" cargo test \"a b\"");
    }
}
