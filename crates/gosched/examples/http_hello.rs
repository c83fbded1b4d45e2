//! A tiny HTTP/1.1 "hello" server: one task per connection, keep-alive,
//! pipelined requests answered in order.
//!
//! `cargo run -p gosched --features net --example http_hello -- 127.0.0.1:8080`
//! serves until killed (try `curl -v http://127.0.0.1:8080/`). Without an
//! address it serves on a free port and checks a few requests itself.

use gosched::net::{TcpListener, TcpStream};

const BODY: &str = "Hello, World!";

/// Answers every complete request in `buf` (requests without bodies);
/// returns how many bytes it consumed and whether the client asked to close.
fn respond(buf: &[u8], out: &mut Vec<u8>) -> (usize, bool) {
    let mut used = 0;
    while let Some(end) = find(&buf[used..], b"\r\n\r\n") {
        let head = &buf[used..used + end];
        used += end + 4;
        let close = String::from_utf8_lossy(head)
            .lines()
            .any(|l| l.eq_ignore_ascii_case("connection: close"));
        out.extend_from_slice(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{}\r\n{BODY}",
                BODY.len(),
                if close { "Connection: close\r\n" } else { "" },
            )
            .as_bytes(),
        );
        if close {
            return (used, true);
        }
    }
    (used, false)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn handle(conn: TcpStream) {
    let mut pending = Vec::new();
    let mut buf = [0; 4096];
    let mut out = Vec::new();
    loop {
        let n = match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        if pending.len() > 64 << 10 {
            return; // Headers this long: not our kind of client.
        }
        out.clear();
        let (used, close) = respond(&pending, &mut out);
        pending.drain(..used);
        if conn.write_all(&out).await.is_err() || close {
            return;
        }
    }
}

async fn serve(ln: TcpListener) {
    loop {
        match ln.accept().await {
            Ok((conn, _)) => gosched::go(handle(conn)),
            Err(_) => gosched::sleep(std::time::Duration::from_millis(5)).await,
        }
    }
}

async fn read_response(conn: &TcpStream, pending: &mut Vec<u8>) -> String {
    let mut buf = [0; 1024];
    loop {
        if let Some(end) = find(pending, b"\r\n\r\n") {
            let total = end + 4 + BODY.len();
            if pending.len() >= total {
                let r = String::from_utf8(pending.drain(..total).collect()).unwrap();
                return r;
            }
        }
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "server closed early");
        pending.extend_from_slice(&buf[..n]);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = gosched::Runtime::builder().build()?;
    if let Some(addr) = std::env::args().nth(1) {
        rt.block_on(async move {
            let ln = TcpListener::bind(addr.as_str())?;
            println!("http://{}/", ln.local_addr()?);
            serve(ln).await;
            Ok::<(), std::io::Error>(())
        })??;
        return Ok(());
    }
    let answered = rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        gosched::go(serve(ln));
        let conn = TcpStream::connect(addr).await.unwrap();
        // Two keep-alive requests pipelined in one write, then a third that
        // closes the connection.
        let get = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
        conn.write_all(format!("{get}{get}").as_bytes())
            .await
            .unwrap();
        let mut pending = Vec::new();
        let mut answered = 0;
        for _ in 0..2 {
            let r = read_response(&conn, &mut pending).await;
            assert!(
                r.starts_with("HTTP/1.1 200 OK\r\n") && r.ends_with(BODY),
                "{r}"
            );
            answered += 1;
        }
        conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let r = read_response(&conn, &mut pending).await;
        assert!(r.contains("Connection: close\r\n"), "{r}");
        answered += 1;
        // The server closed its side.
        assert_eq!(conn.read(&mut [0; 16]).await.unwrap(), 0);
        answered
    })?;
    println!("{answered} requests answered with {BODY:?}");
    assert_eq!(answered, 3);
    Ok(())
}
