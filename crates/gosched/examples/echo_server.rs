//! A TCP echo server written as Go code is: one task per connection.
//!
//! `cargo run -p gosched --features net --example echo_server -- 127.0.0.1:7000`
//! serves until killed. Without an address it serves on a free port, drives
//! 100 clients through it and checks every echo.

use gosched::net::{TcpListener, TcpStream};
use std::net::Shutdown;

/// Go: `for { conn, err := ln.Accept(); ...; go handle(conn) }`.
async fn serve(ln: TcpListener) {
    let mut backoff = std::time::Duration::from_millis(5);
    loop {
        match ln.accept().await {
            Ok((conn, _)) => {
                backoff = std::time::Duration::from_millis(5);
                gosched::go(handle(conn));
            }
            Err(e) => {
                // As Go's http.Server: back off on errors such as running
                // out of file descriptors, then accept again.
                eprintln!("accept: {e}; retrying in {backoff:?}");
                gosched::sleep(backoff).await;
                backoff = (backoff * 2).min(std::time::Duration::from_secs(1));
            }
        }
    }
}

async fn handle(conn: TcpStream) {
    let mut buf = [0; 4096];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if conn.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = gosched::Runtime::builder().build()?;
    if let Some(addr) = std::env::args().nth(1) {
        rt.block_on(async move {
            let ln = TcpListener::bind(addr.as_str())?;
            println!("echo server on {}", ln.local_addr()?);
            serve(ln).await;
            Ok::<(), std::io::Error>(())
        })??;
        return Ok(());
    }
    let (conns, bytes) = rt.block_on(async {
        let ln = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        gosched::go(serve(ln));
        let clients: Vec<_> = (0..100)
            .map(|i| {
                gosched::spawn(async move {
                    let conn = TcpStream::connect(addr).await.unwrap();
                    let msg = format!("message from client {i}\n").repeat(10);
                    conn.write_all(msg.as_bytes()).await.unwrap();
                    conn.shutdown(Shutdown::Write).unwrap();
                    let mut back = Vec::new();
                    let mut buf = [0; 1024];
                    loop {
                        match conn.read(&mut buf).await.unwrap() {
                            0 => break,
                            n => back.extend_from_slice(&buf[..n]),
                        }
                    }
                    assert_eq!(back, msg.as_bytes());
                    back.len()
                })
            })
            .collect();
        let mut bytes = 0;
        let n = clients.len();
        for c in clients {
            bytes += c.await.unwrap();
        }
        (n, bytes)
    })?;
    println!("echoed {bytes} bytes over {conns} connections");
    assert_eq!(conns, 100);
    Ok(())
}
