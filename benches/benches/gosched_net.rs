//! gosched_net benches: gosched's netpoller against tokio, smol and Go 1.19,
//! as servers over loopback.
//!
//! Two servers, each written the same way for every runtime (one task per
//! accepted connection, `TCP_NODELAY` set as Go sets it by default):
//! - `echo`: reads up to 4 KiB and writes back what it read. A request is a
//!   64-byte message; it is answered when all 64 bytes are back.
//! - `http`: a tiny HTTP/1.1 "hello" server with keep-alive: every complete
//!   request head (`\r\n\r\n`) in the input gets a fixed `200 OK` response
//!   with a 13-byte body (the same bytes as the `http_hello` example).
//!
//! Every server runs in a child process of this binary (`--serve SERVER KIND
//! WORKERS`), which prints its listening address and serves until killed, so
//! each one starts from a clean process and none shares the load generator's
//! threads or allocator. Subjects, ours first: `gosched` (`procs(WORKERS)`),
//! `tokio` (multi-thread runtime, `WORKERS` worker threads), `smol`
//! (`async-executor` run by `WORKERS` threads, with `async-io`'s reactor).
//!
//! The load generator is the same for every server: one std thread per
//! connection with a blocking socket, each in a closed loop (send one request,
//! wait for the whole answer), the fixed total of requests split evenly over
//! the connections. All connections are made before the clock starts. Rows per
//! workload: requests per second over the whole run, and the p50, p99 and max
//! of the per-request latencies of every connection.
//!
//! Go: `benches/go/gosched_net/` (run by `cargo xtask bench --go`) runs this
//! binary with `--go-server PROGRAM`; the binary then measures `PROGRAM serve
//! KIND PROCS` (Go's `net`, a goroutine per connection, GOMAXPROCS = PROCS)
//! with the same load generator and prints its rows (subject `go`) on stdout
//! for xtask to collect.
//!
//! The Go rows are measured in that later run, not back to back with the
//! Rust servers of the same workload, so on a busy machine their ratios
//! carry more noise than the others.
//!
//! Reading the latencies: with many connections in closed loops, a server
//! that tends to serve the connection it just served again gives most
//! requests a tiny latency and a few a long wait (low p50, high p99), while
//! one that takes connections in turn spreads the wait evenly (p50 near the
//! p99). Throughput and p99 are the rows to compare.
//!
//! Requests per workload: 100,000 (`--quick`: 5,000; `--requests N`: N), at
//! least 10 per connection. `--only WORD` runs only the workloads whose name
//! contains WORD; `--servers LIST` (comma-separated, e.g. `gosched,go`) only
//! those subjects, so that one shape can be measured before and after a
//! change, paired, in one sitting. `go` is measured when the Go program is
//! given (`--go-server`, or `cargo xtask bench --go`). `gosched-turns`
//! (gosched with `Builder::io_budget(2)`, connections taking turns; not
//! Go's scheduling) is measured only when `--servers` names it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use gort_benches::{Better, Suite};

/// Bytes in one echo request.
const ECHO_MSG: usize = 64;
/// The HTTP server's response body.
const BODY: &str = "Hello, World!";
/// The HTTP request each connection sends.
const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
/// Connection counts measured.
const CONNS: [usize; 3] = [1, 50, 500];
/// Worker counts measured.
const WORKERS: [usize; 2] = [1, 2];
/// `Builder::io_budget` of the `gosched-turns` subject (measured only when
/// `--servers` names it): a request read and its answer written per turn.
const TURNS_BUDGET: u32 = 2;
/// Stack of each load-generator thread.
const CLIENT_STACK: usize = 64 << 10;

/// Which server a child runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Echo,
    Http,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Echo => "echo",
            Kind::Http => "http",
        }
    }

    fn parse(s: &str) -> Kind {
        match s {
            "echo" => Kind::Echo,
            "http" => Kind::Http,
            other => panic!("unknown server kind {other:?}"),
        }
    }
}

/// The HTTP response to one request (keep-alive).
fn http_response() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

/// Appends one response to `out` per complete request head at the start of
/// `pending`; returns how many bytes of `pending` it consumed.
fn answer_requests(pending: &[u8], out: &mut Vec<u8>, response: &[u8]) -> usize {
    let mut used = 0;
    while let Some(end) = pending[used..].windows(4).position(|w| w == b"\r\n\r\n") {
        used += end + 4;
        out.extend_from_slice(response);
    }
    used
}

/// One connection's request handling, the same for every runtime: what to
/// write back for the bytes just read.
struct Replier {
    kind: Kind,
    response: Vec<u8>,
    /// HTTP bytes read but not yet a complete request head.
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl Replier {
    fn new(kind: Kind) -> Replier {
        Replier {
            kind,
            response: http_response(),
            pending: Vec::new(),
            out: Vec::new(),
        }
    }

    /// The reply to `input`: itself for echo, one response per complete
    /// request for HTTP (possibly none yet).
    fn reply<'a>(&'a mut self, input: &'a [u8]) -> &'a [u8] {
        match self.kind {
            Kind::Echo => input,
            Kind::Http => {
                self.pending.extend_from_slice(input);
                self.out.clear();
                let used = answer_requests(&self.pending, &mut self.out, &self.response);
                self.pending.drain(..used);
                &self.out
            }
        }
    }
}

/// The part of each server that differs by runtime: given the kind, run the
/// accept loop forever, printing the listening address first.
mod servers {
    use super::{Kind, Replier};
    use std::io::Write as _;

    fn announce(addr: std::net::SocketAddr) {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{addr}");
        let _ = out.flush();
    }

    /// `io_budget`: `Builder::io_budget` (0: off, the default, Go's
    /// scheduling).
    pub fn gosched(kind: Kind, workers: usize, io_budget: u32) {
        use gosched::net::{TcpListener, TcpStream};
        async fn handle(conn: TcpStream, kind: Kind) {
            let _ = conn.set_nodelay(true);
            let mut replier = Replier::new(kind);
            let mut buf = vec![0u8; 4096];
            loop {
                let n = match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if conn.write_all(replier.reply(&buf[..n])).await.is_err() {
                    return;
                }
            }
        }
        let rt = gosched::Runtime::builder()
            .procs(workers)
            .io_budget(io_budget)
            .build()
            .unwrap();
        let _ = rt.block_on(async move {
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            announce(ln.local_addr().unwrap());
            loop {
                if let Ok((conn, _)) = ln.accept().await {
                    gosched::go(handle(conn, kind));
                }
            }
        });
    }

    pub fn tokio(kind: Kind, workers: usize) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        use tokio::net::{TcpListener, TcpStream};
        async fn handle(mut conn: TcpStream, kind: Kind) {
            let _ = conn.set_nodelay(true);
            let mut replier = Replier::new(kind);
            let mut buf = vec![0u8; 4096];
            loop {
                let n = match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if conn.write_all(replier.reply(&buf[..n])).await.is_err() {
                    return;
                }
            }
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_io()
            .build()
            .unwrap();
        rt.block_on(async move {
            let ln = TcpListener::bind("127.0.0.1:0").await.unwrap();
            announce(ln.local_addr().unwrap());
            loop {
                if let Ok((conn, _)) = ln.accept().await {
                    tokio::spawn(handle(conn, kind));
                }
            }
        });
    }

    pub fn smol(kind: Kind, workers: usize) {
        use async_executor::Executor;
        use async_io::Async;
        use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};
        use std::net::{TcpListener, TcpStream};
        use std::sync::Arc;
        async fn handle(mut conn: Async<TcpStream>, kind: Kind) {
            let _ = conn.get_ref().set_nodelay(true);
            let mut replier = Replier::new(kind);
            let mut buf = vec![0u8; 4096];
            loop {
                let n = match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if conn.write_all(replier.reply(&buf[..n])).await.is_err() {
                    return;
                }
            }
        }
        let ex = Arc::new(Executor::new());
        // WORKERS threads run the executor; the first is this thread.
        for _ in 1..workers {
            let ex = ex.clone();
            std::thread::spawn(move || {
                async_io::block_on(ex.run(std::future::pending::<()>()));
            });
        }
        let spawner = ex.clone();
        async_io::block_on(ex.run(async move {
            let ln = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
            announce(ln.get_ref().local_addr().unwrap());
            loop {
                if let Ok((conn, _)) = ln.accept().await {
                    spawner.spawn(handle(conn, kind)).detach();
                }
            }
        }));
    }
}

/// A server child process, killed on drop.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `program args` and reads the address it prints.
    fn start(program: &std::path::Path, args: &[String]) -> ServerProcess {
        let mut child = Command::new(program)
            .args(args)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("server prints its address");
        let addr = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("server printed {line:?}, not an address"));
        ServerProcess { child, addr }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one load-generator run measured.
struct Load {
    requests_per_sec: f64,
    p50_us: f64,
    p99_us: f64,
    max_us: f64,
}

/// Sends one request on `conn` and waits for its whole answer.
fn one_request(kind: Kind, conn: &mut TcpStream, reader: &mut Vec<u8>, msg: &[u8]) {
    match kind {
        Kind::Echo => {
            conn.write_all(msg).expect("echo write");
            conn.read_exact(&mut reader[..ECHO_MSG]).expect("echo read");
            assert_eq!(&reader[..ECHO_MSG], msg, "echo answered other bytes");
        }
        Kind::Http => {
            conn.write_all(GET).expect("http write");
            // Read until the head is complete, then the Content-Length body.
            let mut have = 0;
            loop {
                if reader.len() < have + 512 {
                    reader.resize(have + 512, 0);
                }
                let n = conn.read(&mut reader[have..]).expect("http read");
                assert!(n > 0, "http server closed the connection");
                have += n;
                let Some(end) = reader[..have].windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = std::str::from_utf8(&reader[..end]).expect("utf-8 head");
                assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .expect("Content-Length");
                if have >= end + 4 + len {
                    assert_eq!(have, end + 4 + len, "one response per request");
                    return;
                }
            }
        }
    }
}

/// Drives the server at `addr` with `conns` connections in closed loops,
/// `requests` in total.
fn generate_load(addr: SocketAddr, kind: Kind, conns: usize, requests: usize) -> Load {
    let per_conn = (requests / conns).max(1);
    let start_line = Arc::new(Barrier::new(conns + 1));
    let finish_line = Arc::new(Barrier::new(conns + 1));
    let threads: Vec<_> = (0..conns)
        .map(|i| {
            let start_line = start_line.clone();
            let finish_line = finish_line.clone();
            thread::Builder::new()
                .stack_size(CLIENT_STACK)
                .spawn(move || {
                    let mut conn = TcpStream::connect(addr).expect("connect");
                    conn.set_nodelay(true).expect("nodelay");
                    let msg: Vec<u8> = (0..ECHO_MSG).map(|b| (b + i) as u8).collect();
                    let mut reader = vec![0u8; 512];
                    let mut latencies = Vec::with_capacity(per_conn);
                    start_line.wait();
                    for _ in 0..per_conn {
                        let t = Instant::now();
                        one_request(kind, &mut conn, &mut reader, &msg);
                        latencies.push(t.elapsed());
                    }
                    finish_line.wait();
                    latencies
                })
                .expect("spawn client thread")
        })
        .collect();
    start_line.wait();
    let t = Instant::now();
    finish_line.wait();
    let took = t.elapsed();
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|h| h.join().expect("client thread"))
        .collect();
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e6;
    Load {
        requests_per_sec: all.len() as f64 / took.as_secs_f64(),
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        max_us: pct(1.0),
    }
}

/// One workload: a server kind, connection and worker count.
struct Workload {
    kind: Kind,
    conns: usize,
    workers: usize,
}

impl Workload {
    fn name(&self) -> String {
        format!(
            "{} server, {} conn{}, {} worker{}",
            self.kind.name(),
            self.conns,
            if self.conns == 1 { "" } else { "s" },
            self.workers,
            if self.workers == 1 { "" } else { "s" },
        )
    }

    /// The rows of one measurement: (group, value, unit, better).
    fn rows(&self, load: &Load) -> [(String, f64, &'static str, Better); 4] {
        let name = self.name();
        [
            (
                format!("{name}: throughput"),
                load.requests_per_sec / 1e3,
                "kreq/s",
                Better::Higher,
            ),
            (
                format!("{name}: p50 latency"),
                load.p50_us,
                "us",
                Better::Lower,
            ),
            (
                format!("{name}: p99 latency"),
                load.p99_us,
                "us",
                Better::Lower,
            ),
            (
                format!("{name}: max latency"),
                load.max_us,
                "us",
                Better::Lower,
            ),
        ]
    }
}

fn workloads() -> Vec<Workload> {
    let mut all = Vec::new();
    for kind in [Kind::Echo, Kind::Http] {
        for workers in WORKERS {
            for conns in CONNS {
                all.push(Workload {
                    kind,
                    conns,
                    workers,
                });
            }
        }
    }
    all
}

/// Requests per run: enough for a stable rate, and at least a few per
/// connection for the percentiles.
fn request_count(quick: bool, requests: Option<usize>, conns: usize) -> usize {
    let total = requests.unwrap_or(if quick { 5_000 } else { 100_000 });
    total.max(conns * 10)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(i) = args.iter().position(|a| a == "--serve") {
        // A server child: `--serve SERVER KIND WORKERS`.
        let server = &args[i + 1];
        let kind = Kind::parse(&args[i + 2]);
        let workers: usize = args[i + 3].parse().expect("worker count");
        match server.as_str() {
            "gosched" => servers::gosched(kind, workers, 0),
            "gosched-turns" => servers::gosched(kind, workers, TURNS_BUDGET),
            "tokio" => servers::tokio(kind, workers),
            "smol" => servers::smol(kind, workers),
            other => panic!("unknown server {other:?}"),
        }
        return;
    }
    let suite = Suite::new("gosched_net");
    let quick = suite.quick();
    let only = arg("--only");
    let requests = arg("--requests").map(|n| n.parse::<usize>().expect("--requests N"));
    let servers = arg("--servers");
    let named = |server: &str| {
        servers
            .as_deref()
            .is_some_and(|list| list.split(',').any(|s| s == server))
    };
    let measured = |server: &str| servers.is_none() || named(server);
    let selected: Vec<Workload> = workloads()
        .into_iter()
        .filter(|w| only.as_deref().map_or(true, |o| w.name().contains(o)))
        .collect();
    if let Some(go_program) = arg("--go-server") {
        // Run for the Go program: measure it and print its rows.
        let program = std::path::PathBuf::from(go_program);
        for w in selected.iter().filter(|_| measured("go")) {
            let serve = [
                "serve".to_string(),
                w.kind.name().to_string(),
                w.workers.to_string(),
            ];
            let server = ServerProcess::start(&program, &serve);
            let load = generate_load(
                server.addr,
                w.kind,
                w.conns,
                request_count(quick, requests, w.conns),
            );
            drop(server);
            for (group, value, unit, better) in w.rows(&load) {
                let better = if better == Better::Higher {
                    "higher"
                } else {
                    "lower"
                };
                println!("gosched_net\t{group}\tgo\t{value}\t{unit}\t{better}");
                eprintln!("  {group:<50} {:<10} {value:>12.1} {unit}", "go");
            }
        }
        return;
    }
    let me = std::env::current_exe().expect("own path");
    let mut suite = suite;
    for w in &selected {
        for server in ["gosched", "gosched-turns", "tokio", "smol"]
            .into_iter()
            .filter(|&s| {
                if s == "gosched-turns" {
                    named(s)
                } else {
                    measured(s)
                }
            })
        {
            let serve = [
                "--serve".to_string(),
                server.to_string(),
                w.kind.name().to_string(),
                w.workers.to_string(),
            ];
            let process = ServerProcess::start(&me, &serve);
            let load = generate_load(
                process.addr,
                w.kind,
                w.conns,
                request_count(quick, requests, w.conns),
            );
            drop(process);
            for (group, value, unit, better) in w.rows(&load) {
                suite.record(&group, server, value, unit, better);
            }
        }
    }
    suite.finish();
}
