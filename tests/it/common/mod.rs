//! Test helpers: a server on free ports with a temporary database, and line clients whose
//! every read is bounded by a timeout so that a hang fails fast.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use reclamos::console::Console;
use reclamos::protocol::{agent as to_agent, customer as to_customer};
use reclamos::server::{Config, Server};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// The executives' token used by every test server.
pub const TOKEN: &str = "token-de-prueba";
/// Jorge Sandoval's RUT (demo data).
pub const JORGE: &str = "12.345.678-5";
/// Jorge Sandoval's identity card serial (demo data).
pub const JORGE_SERIAL: &str = "100200300";
/// How long any single read may take before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads `read()` every 10 ms until `done` accepts the value or [`READ_TIMEOUT`] passes, and
/// returns the last value read. For state the server updates a moment after a client sees
/// the effect (a connection closed, an executive gone); the caller asserts on the result.
pub async fn eventually<T>(mut read: impl FnMut() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
    loop {
        let value = read();
        if done(&value) || tokio::time::Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// [`eventually`] for an async read, such as the registry's: for what a connection writes
/// without waiting (transcripts, histories, a request closed on leaving the queue), which
/// the store may commit a moment after the client reads the answer.
pub async fn eventually_async<T, F: std::future::Future<Output = T>>(
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
    loop {
        let value = read().await;
        if done(&value) || tokio::time::Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Reads the server binary's console up to its "[SERVER] Escuchando clientes en ADDR y
/// ejecutivos en ..." line and returns the customers' address. The line saying that a new
/// database was made must come before it exactly when `new_database`.
pub fn customers_address(console: &mut impl std::io::BufRead, new_database: bool) -> SocketAddr {
    let created = format!(
        "{}{}",
        reclamos::console::PREFIX,
        reclamos::protocol::console::NEW_DATABASE_START
    );
    let mut line = String::new();
    console.read_line(&mut line).expect("console readable");
    assert_eq!(line.starts_with(&created), new_database, "{line:?}");
    if new_database {
        line.clear();
        console.read_line(&mut line).expect("console readable");
    }
    line.split("clientes en ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
}

/// A server with its own temporary database and captured console.
pub struct TestServer {
    pub server: Server,
    pub console: Console,
    pub dir: TempDir,
}

impl TestServer {
    /// The server's registry, to check what it stored.
    pub fn registry(&self) -> &reclamos::registry::Registry {
        &self.server.services.registry
    }

    /// Starts a server on free ports with a new database.
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server, letting the test adjust the configuration, and waits until its
    /// classifier is trained.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::local(dir.path().join("reclamos.db"), TOKEN);
        adjust(&mut config);
        let console = Console::capture();
        let server = Server::start(config, console.clone())
            .await
            .expect("server starts");
        // The server listens while its classifier trains, and a free-text message waits
        // for the training: seconds in a debug build on a busy machine, which must not
        // count against a test's read timeout.
        server.classifier_trained().await;
        TestServer {
            server,
            console,
            dir,
        }
    }

    /// Seeds `n` synthetic customers ("Cliente Carga 1".."n") and returns their RUTs.
    pub async fn load_customers(&self, n: usize) -> Vec<reclamos::rut::Rut> {
        self.server
            .services
            .registry
            .seed_load_customers(n)
            .await
            .expect("seeding customers")
    }

    /// The customers' address.
    pub fn customers(&self) -> SocketAddr {
        self.server.customer_addr
    }

    /// The executives' address.
    pub fn agents(&self) -> SocketAddr {
        self.server.agent_addr
    }

    /// A customer connection past the greeting.
    pub async fn customer(&self) -> TestClient {
        let mut client = TestClient::connect(self.customers()).await;
        client.expect(to_customer::GREETING).await;
        client
    }

    /// A customer logged in with `rut`, past the menu.
    pub async fn logged_in(&self, rut: &str) -> TestClient {
        let mut client = self.customer().await;
        client.send(rut).await;
        let greeting = client.recv().await;
        assert!(
            greeting.starts_with(to_customer::HELLO_START),
            "unexpected greeting {greeting:?}"
        );
        client.expect_menu().await;
        client
    }

    /// A customer logged in as `rut` who asked for an executive and was handed to one (past
    /// the line that says who).
    pub async fn served(&self, rut: &str) -> TestClient {
        let mut customer = self.logged_in(rut).await;
        customer.send("3").await;
        customer
            .recv_until_contains(to_customer::ASSIGNED_START)
            .await;
        customer
    }

    /// An executive `agent` (one chat at a time) chatting with a load customer ("Cliente
    /// Carga 1"), and a second one ("Cliente Carga 2") waiting first in line: the
    /// executive's, the first's and the second's connections, each past those lines.
    pub async fn one_served_one_waiting(
        &self,
        agent: &str,
    ) -> (TestClient, TestClient, TestClient) {
        let ruts = self.load_customers(2).await;
        let mut executive = self.agent(agent).await;
        let first = self.served(&ruts[0].to_string()).await;
        executive.recv_until_contains(to_agent::CHAT_HINT).await;
        let mut second = self.logged_in(&ruts[1].to_string()).await;
        second.send("3").await;
        second.recv_until_contains(&to_customer::enqueued(1)).await;
        (executive, first, second)
    }

    /// An executive logged in as `name`.
    pub async fn agent(&self, name: &str) -> TestClient {
        let mut client = TestClient::connect(self.agents()).await;
        client.expect(to_agent::GREETING).await;
        client.send(TOKEN).await;
        client.expect(to_agent::TOKEN_ACCEPTED).await;
        client.send(name).await;
        let welcome = client.recv().await;
        assert!(
            welcome.starts_with(&format!("{}{name}.", to_agent::WELCOME_START)),
            "{welcome:?}"
        );
        client
    }

    /// Waits until the console has printed `message` (a sentence of
    /// `reclamos::protocol::console`, which the console prefixes with `[SERVER] `); console
    /// output may trail the socket.
    pub async fn expect_console(&self, message: &str) {
        let line = &format!("{}{message}", reclamos::console::PREFIX);
        let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
        while !self.console.lines().iter().any(|l| l == line) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "console never printed {line:?}; it printed {:#?}",
                self.console.lines()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl TestServer {
    /// Waits until the console has printed a line starting with `later` (a sentence of
    /// `reclamos::protocol::console`, or its start), and checks that a line starting with
    /// `earlier` came before it.
    pub async fn expect_console_order(&self, earlier: &str, later: &str) {
        let at = |lines: &[String], message: &str| {
            let line = format!("{}{message}", reclamos::console::PREFIX);
            lines.iter().position(|l| l.starts_with(&line))
        };
        let lines = eventually(|| self.console.lines(), |lines| at(lines, later).is_some()).await;
        let (earlier_at, later_at) = (at(&lines, earlier), at(&lines, later));
        assert!(
            earlier_at.is_some_and(|e| Some(e) < later_at),
            "{earlier:?} is not before {later:?}: {lines:#?}"
        );
    }
}

/// A line client.
pub struct TestClient {
    lines: Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl TestClient {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr) -> TestClient {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (reader, writer) = stream.into_split();
        TestClient {
            lines: BufReader::new(reader).lines(),
            writer,
        }
    }

    /// Connects to `addr` from the local address `source` (another loopback address such
    /// as 127.0.0.2 stands for another client machine).
    pub async fn connect_from(addr: SocketAddr, source: std::net::IpAddr) -> TestClient {
        let socket = match source {
            std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
            std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
        }
        .expect("socket");
        socket
            .bind(SocketAddr::new(source, 0))
            .expect("bind the source address");
        let stream = socket.connect(addr).await.expect("connect");
        let (reader, writer) = stream.into_split();
        TestClient {
            lines: BufReader::new(reader).lines(),
            writer,
        }
    }

    /// Sends one line.
    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes()).await;
    }

    /// Sends raw bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    /// Closes the write half.
    pub async fn shutdown_write(&mut self) {
        let _ = self.writer.shutdown().await;
    }

    /// The next line; fails the test on timeout or end of stream.
    pub async fn recv(&mut self) -> String {
        match tokio::time::timeout(READ_TIMEOUT, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => panic!("connection closed while a line was expected"),
            Ok(Err(err)) => panic!("read failed: {err}"),
            Err(_) => panic!("no line within {READ_TIMEOUT:?}"),
        }
    }

    /// The next line, `None` at end of stream.
    pub async fn recv_or_eof(&mut self) -> Option<String> {
        match tokio::time::timeout(READ_TIMEOUT, self.lines.next_line()).await {
            Ok(Ok(line)) => line,
            Ok(Err(_)) => None,
            Err(_) => panic!("neither a line nor end of stream within {READ_TIMEOUT:?}"),
        }
    }

    /// Asserts the next line.
    pub async fn expect(&mut self, expected: &str) {
        let line = self.recv().await;
        assert_eq!(line, expected);
    }

    /// Asserts the last line a customer hears on joining the queue at the default
    /// `--queue-grace`: a lost connection keeps the place.
    pub async fn expect_queue_hint(&mut self) {
        let grace = reclamos::server::Limits::default().queue_grace;
        self.expect(&to_customer::queue_grace_hint(grace)).await;
    }

    /// Reads lines until one satisfies `done`; returns all of them.
    pub async fn recv_until(&mut self, done: impl Fn(&str) -> bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self.recv().await;
            let finished = done(&line);
            seen.push(line);
            if finished {
                return seen;
            }
        }
    }

    /// Reads until a line containing `needle`.
    pub async fn recv_until_contains(&mut self, needle: &str) -> Vec<String> {
        self.recv_until(|line| line.contains(needle)).await
    }

    /// Asserts the four menu lines.
    pub async fn expect_menu(&mut self) {
        for line in to_customer::MENU {
            self.expect(line).await;
        }
    }

    /// Asserts that the server closes the connection next.
    pub async fn expect_closed(&mut self) {
        if let Some(line) = self.recv_or_eof().await {
            panic!("expected the connection to close, got {line:?}");
        }
    }
}

/// Runs `command` with its standard output closed before it writes anything (`| head -1`
/// that has already read its line), and returns how it ended and what it said on stderr.
pub fn into_closed_pipe(command: &mut std::process::Command) -> (std::process::ExitStatus, String) {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the command starts");
    // Closed at once: the command's first write finds no reader.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("the command ends");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The request number in the bot's "Listo: sus servicios fueron reiniciados" among `lines`.
pub fn restarted_request<S: AsRef<str> + std::fmt::Debug>(lines: &[S]) -> u64 {
    lines
        .iter()
        .find_map(|l| {
            l.as_ref()
                .strip_prefix(reclamos::protocol::customer::RESTARTED_START)
        })
        .and_then(|rest| rest.trim_end_matches('.').parse().ok())
        .unwrap_or_else(|| panic!("no restart in {lines:#?}"))
}

/// What an executive was told of a customer handed to them: the customer's name, the
/// request, and every line up to the chat hint.
pub struct HandOff {
    pub name: String,
    pub request: u64,
    pub lines: Vec<String>,
}

/// Reads an executive's lines up to the chat hint, which follow a hand-off ("Sistema: Nuevo
/// cliente: X (RUT ...), solicitud N.").
pub async fn hand_off(agent: &mut TestClient) -> HandOff {
    let lines = agent.recv_until(|l| l == to_agent::CHAT_HINT).await;
    let line = lines
        .iter()
        .find(|l| l.starts_with(to_agent::NEW_CUSTOMER_START))
        .unwrap_or_else(|| panic!("no new customer in {lines:#?}"));
    let name = line[to_agent::NEW_CUSTOMER_START.len()..]
        .split(" (RUT")
        .next()
        .unwrap()
        .to_string();
    let request = request_of(line);
    HandOff {
        name,
        request,
        lines,
    }
}

/// The day the chat shows for `at`: in the desk's default time zone (America/Santiago),
/// whose date differs from UTC's for three or four hours every night.
pub fn desk_day(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&reclamos::server::DEFAULT_TIME_ZONE)
        .format("%Y-%m-%d")
        .to_string()
}

/// Extracts the request number from "Sistema: Nuevo cliente: X (RUT ...), solicitud N."
pub fn request_of(assigned: &str) -> u64 {
    assert!(
        assigned.starts_with(reclamos::protocol::agent::NEW_CUSTOMER_START),
        "{assigned}"
    );
    assigned
        .rsplit("solicitud ")
        .next()
        .and_then(|n| n.trim_end_matches('.').parse().ok())
        .unwrap_or_else(|| panic!("no request number in {assigned:?}"))
}
