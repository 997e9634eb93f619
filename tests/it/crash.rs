//! The real server binary and its database: after a `kill -9` during activity every request
//! acknowledged to a customer is in the registry (on SQLite and on PostgreSQL); one SQLite
//! file serves one server; a missing file is created only when that is meant.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use crate::common::TestClient;
use reclamos::console::PREFIX;
use reclamos::protocol::console as to_console;
use reclamos::protocol::customer as to_customer;
use reclamos::registry::{Location, Registry, StoreConfig};

/// Starts `reclamos server` on free ports and returns it with the customers' address,
/// read from its "[SERVER] Escuchando clientes en ..." line.
fn spawn_server(dir: &std::path::Path, db: &str) -> (Child, SocketAddr) {
    let (child, _console, addr) = spawn_server_with_console(dir, db);
    (child, addr)
}

/// [`spawn_server`], also returning the console after the line with the address.
fn spawn_server_with_console(
    dir: &std::path::Path,
    db: &str,
) -> (Child, BufReader<ChildStdout>, SocketAddr) {
    // A new SQLite file is announced; a restart on it must not be.
    let new = !db.contains("://") && !std::path::Path::new(db).exists();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .args([
            "server",
            "--port",
            "0",
            "--agent-port",
            "0",
            "--demo-load-customers",
            "20",
            "--db",
            db,
            "--create-db",
            // Every simulated customer logs in again and again from 127.0.0.1.
            "--address-connections",
            "off",
            "--address-logins",
            "off",
        ])
        .env("RECLAMOS_TOKEN_FILE", dir.join("token"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("server binary starts");
    let mut console = BufReader::new(child.stdout.take().unwrap());
    let addr = crate::common::customers_address(&mut console, new);
    (child, console, addr)
}

/// `reclamos server` with `args` in `dir`, until it exits (it is expected to refuse).
fn refused_server(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .arg("server")
        .args(args)
        .current_dir(dir)
        .env("RECLAMOS_TOKEN_FILE", dir.join("token"))
        .env_remove("RECLAMOS_DB")
        .env_remove("RECLAMOS_CREATE_DB")
        .env("RUST_LOG", "warn")
        .output()
        .expect("server binary runs")
}

/// A mistyped `--db` must not start an empty registry that looks like the old one was
/// lost: a missing file is created only at the default path or with `--create-db`, and
/// the console says when one is.
#[test]
fn a_missing_database_file_is_created_only_at_the_default_path_or_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("reclamso.db");
    let refused = refused_server(
        dir.path(),
        &[
            "--port",
            "0",
            "--agent-port",
            "0",
            "--db",
            typo.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("reclamso.db does not exist") && stderr.contains("--create-db"),
        "{stderr}"
    );
    assert!(!typo.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // An empty RECLAMOS_CREATE_DB (set and blank in a service file) means no, not an error.
    let blank = Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .args(["server", "--port", "0", "--agent-port", "0", "--db"])
        .arg(&typo)
        .env("RECLAMOS_CREATE_DB", "")
        .env("RUST_LOG", "warn")
        .output()
        .expect("server binary runs");
    let stderr = String::from_utf8_lossy(&blank.stderr);
    assert!(
        stderr.contains("reclamso.db does not exist") && !typo.exists(),
        "{stderr}"
    );

    // The quick start: no --db, in a fresh directory.
    for (start, says_new) in [(1, true), (2, false)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reclamos"))
            .args(["server", "--port", "0", "--agent-port", "0"])
            .current_dir(dir.path())
            .env("RECLAMOS_TOKEN_FILE", dir.path().join("token"))
            .env_remove("RECLAMOS_DB")
            .env_remove("RECLAMOS_CREATE_DB")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("server binary starts");
        let mut console = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        console.read_line(&mut first).unwrap();
        if says_new {
            // Up and listening: the registry is written.
            let mut listening = String::new();
            console.read_line(&mut listening).unwrap();
            crate::common::customers_address(&mut listening.as_bytes(), false);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let new = format!(
            "{PREFIX}{}\n",
            to_console::new_database(reclamos::server::DEFAULT_DB)
        );
        assert_eq!(first == new, says_new, "start {start}: {first:?}");
        assert!(dir.path().join(reclamos::server::DEFAULT_DB).exists());
    }
}

/// SIGTERM as soon as the server listens (while it still trains its classifier) stops it
/// cleanly: exit code 0 and its goodbye on the console, not death by the signal.
#[cfg(unix)]
#[test]
fn sigterm_during_start_up_stops_the_server_cleanly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.db");
    let (mut child, mut console, _addr) =
        spawn_server_with_console(dir.path(), db.to_str().unwrap());
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    console.read_to_string(&mut rest).unwrap();
    assert!(
        status.success(),
        "{status:?}; console after listening: {rest:?}"
    );
    assert!(rest.contains(to_console::STOPPED), "{rest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    kill_9_during_restarts(dir.path(), db.to_str().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_request_on_postgres() {
    let Some(pg) = crate::pg::TestDb::new().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    kill_9_during_restarts(dir.path(), &pg.url).await;
}

/// A wait cut by a `kill -9` is told at the customer's next login, and "3" takes the same
/// request up again (a black-box test's customers got the plain menu, and asked again
/// into a new request each time).
#[tokio::test]
async fn a_wait_cut_by_kill_9_is_told_and_taken_up_at_the_next_login() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let (mut child, addr) = spawn_server(dir.path(), db);
    let mut jorge = login(addr).await;
    jorge.send("3").await;
    let lines = jorge
        .recv_until(|l| l.starts_with(to_customer::NO_AGENTS_START))
        .await;
    let waited = lines.last().unwrap().clone();
    let request: u64 = waited
        .rsplit("su solicitud ")
        .next()
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{waited}"));
    child.kill().expect("SIGKILL");
    child.wait().unwrap();

    let (mut child, addr) = spawn_server(dir.path(), db);
    let mut jorge = TestClient::connect(addr).await;
    jorge.expect(to_customer::GREETING).await;
    jorge.send(crate::common::JORGE).await;
    assert!(jorge.recv().await.starts_with(to_customer::HELLO_START));
    jorge.expect(&to_customer::wait_was_cut(request)).await;
    jorge.expect_menu().await;
    jorge.send("3").await;
    jorge.expect(&to_customer::enqueued(1)).await;
    jorge.expect(&to_customer::no_agents(request)).await;
    // Left again, the wait is over: a later login hears nothing of it.
    jorge.send("cancelar").await;
    jorge.recv_until(|l| l == to_customer::MENU_LAST).await;
    jorge.send("4").await;
    jorge.expect(to_customer::GOODBYE).await;
    jorge.expect_closed().await;
    let mut again = login(addr).await;
    again.send("4").await;
    again.expect(to_customer::GOODBYE).await;
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A customer of the demo data logged in at `addr`, past the greeting and the menu.
async fn login(addr: SocketAddr) -> TestClient {
    let mut client = TestClient::connect(addr).await;
    client.expect(to_customer::GREETING).await;
    client.send(crate::common::JORGE).await;
    assert!(client.recv().await.starts_with(to_customer::HELLO_START));
    client.expect_menu().await;
    client
}

/// Customers ask for restarts until the server is killed; then every request number they
/// were told is in the registry at `db`, and new numbers continue after them.
async fn kill_9_during_restarts(dir: &std::path::Path, db: &str) {
    let (mut child, addr) = spawn_server(dir, db);
    let (acks_tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for i in 1..=20u32 {
        let acks = acks_tx.clone();
        tasks.push(tokio::spawn(async move {
            let rut = reclamos::rut::Rut::from_number(50_000_000 + i).unwrap();
            // Restart again and again until the server dies under us: as many times as a
            // session may, then in a new session.
            loop {
                let mut client = TestClient::connect(addr).await;
                if client.recv_or_eof().await.is_none() {
                    return;
                }
                client.send(&rut.to_string()).await;
                client.recv_until(|l| l == to_customer::MENU_LAST).await;
                for _ in 0..reclamos::conversation::MAX_RESTARTS {
                    client.send("2").await;
                    loop {
                        let Some(line) = client.recv_or_eof().await else {
                            return;
                        };
                        if let Some(rest) = line.strip_prefix(to_customer::RESTARTED_START) {
                            let id: u64 = rest.trim_end_matches('.').parse().unwrap();
                            let _ = acks.send(id);
                        }
                        if line == to_customer::MENU_LAST {
                            break;
                        }
                    }
                }
                client.send("4").await;
                while client.recv_or_eof().await.is_some() {}
            }
        }));
    }
    drop(acks_tx);
    // Let the customers get going, then kill the server without warning.
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 200 {
        match tokio::time::timeout(Duration::from_secs(20), acks_rx.recv()).await {
            Ok(Some(id)) => acknowledged.push(id),
            _ => break,
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    for task in tasks {
        let _ = task.await;
    }
    while let Ok(id) = acks_rx.try_recv() {
        acknowledged.push(id);
    }
    assert!(
        acknowledged.len() >= 200,
        "only {} acknowledgements before the kill",
        acknowledged.len()
    );
    let registry = Registry::open_at(&Location::parse(db), StoreConfig::default())
        .await
        .unwrap();
    for id in &acknowledged {
        assert!(
            registry.request(*id).await.unwrap().is_some(),
            "acknowledged request {id} lost"
        );
    }
    // And the restarted registry keeps numbering after them.
    let max = acknowledged.iter().max().unwrap();
    let rut = reclamos::rut::Rut::from_number(50_000_001).unwrap();
    let next = registry
        .create_request(
            rut,
            "después del reinicio",
            reclamos::registry::RequestState::Abierto,
            "test",
            "x",
        )
        .await
        .unwrap();
    assert!(next.id > *max);
}

/// A second server on the same SQLite file is refused at start with a message pointing to
/// PostgreSQL, while the first keeps serving; `reclamos requests` still reads the file; once
/// the first is killed, a new server starts on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let db = db.to_str().unwrap();
    let (mut first, addr) = spawn_server(dir.path(), db);
    let mut second = Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .args(["server", "--port", "0", "--agent-port", "0", "--db", db])
        .env("RECLAMOS_TOKEN_FILE", dir.path().join("token"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server binary runs");
    // Without the lock it would start and serve: give it 30 s to give up, then fail.
    let mut waited = Duration::ZERO;
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if waited > Duration::from_secs(30) {
            second.kill().unwrap();
            first.kill().unwrap();
            panic!("the second server started on the same file");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += Duration::from_millis(50);
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("another reclamos server is using") && stderr.contains("PostgreSQL"),
        "{stderr}"
    );
    // The first one still serves, and the file can still be read.
    let mut client = TestClient::connect(addr).await;
    client.expect(to_customer::GREETING).await;
    let listing = Command::new(env!("CARGO_BIN_EXE_reclamos"))
        .args(["requests", "--db", db, "--json"])
        .output()
        .expect("requests runs");
    assert!(listing.status.success(), "{listing:?}");
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut again, _) = spawn_server(dir.path(), db);
    again.kill().unwrap();
    again.wait().unwrap();
}

/// A start that fails before the server listens (an intents file that does not load, a
/// port in use) leaves no database it created behind, an empty file it filled empty again,
/// and one that existed as it was.
#[tokio::test]
async fn a_failed_start_leaves_no_new_database_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nuevo.db");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port().to_string();
    let start = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_reclamos"))
            .args(["server", "--create-db", "--db"])
            .arg(&db)
            .args(extra)
            .env("RECLAMOS_TOKEN_FILE", dir.path().join("token"))
            .env("RUST_LOG", "off")
            .output()
            .expect("server binary runs")
    };
    let missing = dir.path().join("no-existe.yaml");
    let missing = missing.to_str().unwrap();
    for extra in [
        &["--port", "0", "--agent-port", "0", "--intents", missing][..],
        &["--port", &busy_port, "--agent-port", "0"],
    ] {
        let failed = start(extra);
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(!failed.status.success(), "{extra:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{extra:?}: {stderr}");
        // Nor does the console announce a registry that is not left behind.
        let stdout = String::from_utf8_lossy(&failed.stdout);
        assert!(
            !stdout.contains(to_console::NEW_DATABASE_START),
            "{extra:?}: {stdout}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|name| name.to_string_lossy().starts_with("nuevo.db"))
            .collect();
        assert!(left.is_empty(), "{extra:?} left {left:?}");
    }
    // An empty file (`touch`, made a registry as a missing one would be) is left empty.
    std::fs::File::create(&db).unwrap();
    let failed = start(&["--port", &busy_port, "--agent-port", "0"]);
    assert!(!failed.status.success());
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "emptied again");
    std::fs::remove_file(&db).unwrap();
    // A registry that was there before the failed start is kept.
    drop(Registry::open(&db).unwrap());
    let failed = start(&["--port", &busy_port, "--agent-port", "0"]);
    assert!(!failed.status.success());
    assert!(db.exists());
}
