//! The socket budget (`Builder::io_budget`, not in Go 1.19): a task whose
//! connection always has the next request waiting cannot serve it in one
//! long poll while another connection waits. Two server tasks on one P,
//! each with a connection whose requests are all sent before it starts,
//! log which connection each answer is for: with a budget of 2 (a request
//! read and its answer written per poll) the log alternates; with the
//! budget off, the default, each task serves its whole connection in one
//! poll (Go's behaviour within a time slice, set long here). Miri cannot
//! make sockets.
#![cfg(all(feature = "net", not(miri)))]

use std::io::{Read as _, Write as _};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gosched::net::{TcpListener, TcpStream};

/// Requests per connection: one byte each, all in the socket before the
/// server reads, so that every read finds one.
const REQUESTS: usize = 200;

/// Serves `REQUESTS` one-byte requests on `conn`, logging `id` for each.
async fn serve(conn: TcpStream, id: u8, log: Arc<Mutex<Vec<u8>>>) {
    let mut byte = [0u8; 1];
    for _ in 0..REQUESTS {
        let n = conn.read(&mut byte).await.unwrap();
        assert_eq!(n, 1);
        log.lock().unwrap().push(id);
        conn.write_all(&byte).await.unwrap();
    }
}

/// Runs two always-ready connections on one P with `budget` (None: the
/// default) and returns the log of the connection of each answer.
fn run(budget: Option<u32>) -> Vec<u8> {
    let mut builder = gosched::Runtime::builder()
        .procs(1)
        // No other bound: no 10 ms slice, no P handed to another M.
        .time_slice(Duration::from_secs(600))
        .retake_after(Duration::from_secs(600));
    if let Some(b) = budget {
        builder = builder.io_budget(b);
    }
    let rt = builder.build().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    let clients = rt
        .block_on(async move {
            let ln = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = ln.local_addr().unwrap();
            let mut clients = Vec::new();
            let mut conns = Vec::new();
            for _ in 0..2 {
                // Every request is written before the server reads: the
                // socket buffer holds them all.
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(&[1; REQUESTS]).unwrap();
                clients.push(c);
                conns.push(ln.accept().await.unwrap().0);
            }
            let mut handles = Vec::new();
            for (id, conn) in conns.into_iter().enumerate() {
                handles.push(gosched::spawn(serve(conn, id as u8, log2.clone())));
            }
            for h in handles {
                h.await.unwrap();
            }
            clients
        })
        .unwrap();
    for mut c in clients {
        let mut back = [0u8; REQUESTS];
        c.read_exact(&mut back).unwrap();
        assert_eq!(back, [1; REQUESTS]);
    }
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 2 * REQUESTS);
    log
}

/// The answers logged while both connections still had requests: the log
/// up to the last answer of the connection that finished first.
fn while_both_served(log: &[u8]) -> &[u8] {
    let mut left = [REQUESTS; 2];
    for (i, &id) in log.iter().enumerate() {
        left[id as usize] -= 1;
        if left[id as usize] == 0 {
            return &log[..=i];
        }
    }
    log
}

/// The stretches of answers for one connection: their count and the
/// longest.
fn runs(log: &[u8]) -> (usize, usize) {
    let runs = log.chunk_by(|a, b| a == b);
    (runs.clone().count(), runs.map(<[u8]>::len).max().unwrap())
}

/// With `budget` operations per poll (a read and a write per request), a
/// task answers `budget / 2` requests per turn. One poll in 61 takes the
/// global queue's head first (Go's fairness check), which can give the
/// task that yielded last a second turn before the other's: at most two
/// turns in a row.
fn assert_turns(log: &[u8], budget: u32) {
    let per_turn = budget as usize / 2;
    let both = while_both_served(log);
    let (count, longest) = runs(both);
    assert!(
        longest <= 2 * per_turn,
        "longest stretch {longest}: {log:?}"
    );
    assert!(
        count * per_turn >= both.len() * 9 / 10,
        "{count} stretches for {} answers: {log:?}",
        both.len()
    );
    assert!(
        both.len() > REQUESTS,
        "one connection served first: {log:?}"
    );
}

#[test]
fn two_always_ready_connections_take_turns() {
    assert_turns(&run(Some(2)), 2);
}

#[test]
fn a_larger_budget_serves_that_many_requests_per_turn() {
    assert_turns(&run(Some(8)), 8);
}

#[test]
fn without_a_budget_one_connection_is_served_in_one_poll() {
    // Go's behaviour within a time slice: the first task serves every
    // request of its connection before the other runs; off is the default.
    for budget in [None, Some(0)] {
        let log = run(budget);
        assert_eq!(runs(&log), (2, REQUESTS), "budget {budget:?}, log: {log:?}");
    }
}
