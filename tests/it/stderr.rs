//! The diagnostics on stderr never stall the server: a log reader that stops reading (a
//! paused terminal, a full pipe) costs log lines, not connections.

use std::io::BufReader;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

use reclamos::protocol::customer as to_customer;

/// Connects from `from` (any loopback address) to `to`, within `limit`.
async fn connect_from(from: [u8; 4], to: SocketAddr, limit: Duration) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("bind a loopback address");
    tokio::time::timeout(limit, socket.connect(to))
        .await
        .ok()?
        .ok()
}

#[tokio::test]
async fn an_unread_stderr_stalls_no_connection() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stderr.db");
    // Every connection from 127.0.0.2 is accepted and closed at once, and each logs two
    // debug lines (refusals no longer do: their warning is throttled to one a second): far
    // more than a pipe holds (64 KiB) when nobody reads it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .args(["server", "--port", "0", "--agent-port", "0", "--db"])
        .arg(&db)
        .arg("--create-db")
        .args(["--address-connections", "off"])
        .env("RECLAMOS_TOKEN_FILE", dir.path().join("token"))
        .env("RUST_LOG", "reclamos=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server binary starts");
    // Held, never read.
    let _stderr = child.stderr.take().unwrap();
    let mut console = BufReader::new(child.stdout.take().unwrap());
    let addr = crate::common::customers_address(&mut console, true);

    let flood = Instant::now();
    let mut opened = 0;
    while opened < 3_000 && flood.elapsed() < Duration::from_secs(20) {
        match connect_from([127, 0, 0, 2], addr, Duration::from_secs(1)).await {
            Some(stream) => {
                opened += 1;
                drop(stream);
            }
            // The server no longer accepts: the flood has done its part.
            None => break,
        }
    }

    // A customer from another address is greeted as usual.
    let mut customer = connect_from([127, 0, 0, 1], addr, Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("no connection after {opened} others"));
    let mut greeting = vec![0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(10), customer.read(&mut greeting))
        .await
        .unwrap_or_else(|_| panic!("no greeting within 10 s after {opened} others"))
        .unwrap();
    let greeting = String::from_utf8_lossy(&greeting[..read]);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        greeting.starts_with(to_customer::GREETING),
        "{greeting:?} after {opened} others"
    );
}

/// Throttled warnings are not lost when no later one comes: the count held back after the
/// last warning logged is reported on its own (by the server's housekeeping, every 10 s).
#[tokio::test]
async fn warnings_held_back_are_reported_without_a_later_one() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("held.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .args(["server", "--port", "0", "--agent-port", "0", "--db"])
        .arg(&db)
        .arg("--create-db")
        .args(["--address-connections", "1/1h"])
        .env("RECLAMOS_TOKEN_FILE", dir.path().join("token"))
        .env("RUST_LOG", "reclamos=warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server binary starts");
    let mut console = BufReader::new(child.stdout.take().unwrap());
    let addr = crate::common::customers_address(&mut console, true);
    // The first connection spends the address's budget; the next three are refused, one
    // warning logged and two held back.
    let mut held = Vec::new();
    for _ in 0..4 {
        let stream = connect_from([127, 0, 0, 1], addr, Duration::from_secs(10)).await;
        held.push(stream.expect("connected (refused ones are told why, then closed)"));
    }
    let (lines, seen) = std::sync::mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let mut log = Vec::new();
    let reported = loop {
        match seen.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.contains("suppressed=2") => break Some(line),
            Ok(line) => log.push(line),
            Err(_) => break None,
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let refused = log
        .iter()
        .filter(|l| l.contains("connection refused"))
        .count();
    assert_eq!(refused, 1, "{log:#?}");
    let reported = reported.unwrap_or_else(|| panic!("no report of the two held back: {log:#?}"));
    assert!(reported.contains("connections refused"), "{reported}");
    assert!(reported.contains("budget ran out"), "{reported}");
}
