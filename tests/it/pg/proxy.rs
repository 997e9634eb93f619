//! A TCP proxy in front of the tests' PostgreSQL that can play the server going away: refuse
//! every connection and cut the open ones, or cut one connection right after it forwarded a
//! `COMMIT` (the server commits, the client never hears it: an ambiguous commit), or go
//! silent (a network partition: connections stay open and nothing passes).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

struct State {
    upstream: SocketAddr,
    down: AtomicBool,
    cut_next_commit: AtomicBool,
    /// Moved to cut every open connection.
    cut: watch::Sender<u64>,
    /// While `true`, nothing is forwarded and new connections hang.
    frozen: watch::Sender<bool>,
}

/// A running proxy; it stops with the test's runtime.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Proxy {
    /// A proxy to `upstream` on a free port of 127.0.0.1.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            upstream,
            down: AtomicBool::new(false),
            cut_next_commit: AtomicBool::new(false),
            cut: watch::channel(0).0,
            frozen: watch::channel(false).0,
        });
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if shared.down.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                tokio::spawn(pipe(client, Arc::clone(&shared)));
            }
        });
        Proxy { addr, state }
    }

    /// `url` (a connection string to the upstream server) pointed at the proxy instead.
    pub fn url(&self, url: &str) -> String {
        let port = self.state.upstream.port();
        url.replacen(&format!(":{port}/"), &format!(":{}/", self.addr.port()), 1)
    }

    /// The database goes away (`true`): open connections are cut, new ones closed at once;
    /// or comes back (`false`).
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
        if down {
            self.state.cut.send_modify(|n| *n += 1);
        }
    }

    /// A silent partition (`true`): connections stay open, nothing passes either way,
    /// new ones are accepted and hang; or the end of it (`false`).
    pub fn set_frozen(&self, frozen: bool) {
        self.state.frozen.send_replace(frozen);
    }

    /// The next connection to send a `COMMIT` is cut after the server got it and before
    /// the client hears the answer.
    pub fn cut_after_next_commit(&self) {
        self.state.cut_next_commit.store(true, Ordering::SeqCst);
    }

    /// Whether a commit was cut since [`cut_after_next_commit`](Self::cut_after_next_commit).
    pub fn commit_was_cut(&self) -> bool {
        !self.state.cut_next_commit.load(Ordering::SeqCst)
    }
}

/// Returns once the proxy is not frozen.
async fn thawed(frozen: &mut watch::Receiver<bool>) {
    let _ = frozen.wait_for(|frozen| !*frozen).await;
}

async fn pipe(client: TcpStream, state: Arc<State>) {
    thawed(&mut state.frozen.subscribe()).await;
    let Ok(server) = TcpStream::connect(state.upstream).await else {
        return;
    };
    let mut cut = state.cut.subscribe();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mute = AtomicBool::new(false);
    let (mut frozen_up, mut frozen_down) = (state.frozen.subscribe(), state.frozen.subscribe());
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = client_read.read(&mut buf).await?;
            thawed(&mut frozen_up).await;
            if n == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let chunk = &buf[..n];
            // A simple-query message 'Q' carrying "COMMIT".
            let commit = chunk.windows(7).any(|w| w == b"COMMIT\0");
            if commit && state.cut_next_commit.swap(false, Ordering::SeqCst) {
                mute.store(true, Ordering::SeqCst);
                server_write.write_all(chunk).await?;
                // Long enough for the server to commit; the answer is never forwarded.
                tokio::time::sleep(Duration::from_millis(500)).await;
                return Ok(());
            }
            server_write.write_all(chunk).await?;
        }
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            thawed(&mut frozen_down).await;
            if n == 0 || mute.load(Ordering::SeqCst) {
                return Ok::<_, std::io::Error>(());
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
        _ = cut.changed() => {}
    }
}
