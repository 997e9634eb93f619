//! The SQLite store on real files in temporary directories: creation, WAL mode, read-only
//! handles, file failures and `kill -9` durability. What holds for every store is in
//! `conformance`.

use std::path::{Path, PathBuf};

use std::time::Instant;

use reclamos::registry::demo::{PLAN_REQUEST, WIFI_REQUEST};
use reclamos::registry::{Registry, RegistryError, RequestFilter, RequestState};
use reclamos::rut::Rut;
use rusqlite::ErrorCode;

fn jorge() -> Rut {
    "12.345.678-5".parse().unwrap()
}

fn claudio() -> Rut {
    "11.111.111-1".parse().unwrap()
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reclamos.db");
    (dir, path)
}

fn is_sqlite(err: &RegistryError, code: ErrorCode) -> bool {
    matches!(err, RegistryError::Sqlite(e) if e.sqlite_error_code() == Some(code))
}

#[tokio::test]
async fn open_creates_the_file_its_directory_and_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/reclamos.db");
    let registry = Registry::open(&path).unwrap();
    assert!(path.is_file());
    assert_eq!(registry.path(), Some(path.as_path()));

    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, reclamos::registry::schema::LATEST);
}

#[tokio::test]
async fn read_only_handle_reads_live_data_and_refuses_writes() {
    let (_dir, path) = temp_db();
    let writer = Registry::open(&path).unwrap();
    let reader = Registry::open_read_only(&path).unwrap();
    assert!(reader.request(WIFI_REQUEST).await.unwrap().is_some());

    // A write through the writer is visible to the reader (WAL: readers see commits).
    let created = writer
        .create_request(jorge(), "Nueva", RequestState::Abierto, "a", "b")
        .await
        .unwrap();
    assert_eq!(
        reader.request(created.id).await.unwrap(),
        Some(created.clone())
    );

    // Every kind of write fails with SQLITE_READONLY, not a panic, and nothing changes.
    let errors = [
        reader
            .create_request(jorge(), "x", RequestState::Abierto, "a", "b")
            .await
            .map(drop),
        reader.append_history(created.id, "a", "b").await.map(drop),
        reader.append_transcript(created.id, "a", "b").await,
        reader
            .set_state(created.id, RequestState::Cerrado, "a")
            .await
            .map(drop),
        reader
            .register_customer("7.654.321-6".parse().unwrap(), "x")
            .await
            .map(drop),
        reader.seed_load_customers(3).await.map(drop),
    ];
    for result in errors {
        let err = result.unwrap_err();
        assert!(is_sqlite(&err, ErrorCode::ReadOnly), "{err:?}");
    }
    assert_eq!(writer.request(created.id).await.unwrap(), Some(created));
    // The handle still works after the failures.
    assert!(reader.customer(jorge()).await.unwrap().is_some());
}

#[tokio::test]
async fn read_only_open_never_creates_a_database() {
    let (dir, path) = temp_db();
    let err = Registry::open_read_only(&path).unwrap_err();
    assert!(is_sqlite(&err, ErrorCode::CannotOpen), "{err:?}");
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // An empty SQLite database is not a reclamos database.
    rusqlite::Connection::open(&path).unwrap();
    let err = Registry::open_read_only(&path).unwrap_err();
    assert!(matches!(err, RegistryError::Open { .. }), "{err:?}");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_an_error() {
    let (_dir, path) = temp_db();
    std::fs::write(&path, vec![b'x'; 8192]).unwrap();
    let err = Registry::open(&path).unwrap_err();
    assert!(is_sqlite(&err, ErrorCode::NotADatabase), "{err:?}");
}

/// A database whose pages were damaged (here: garbage over every page but the first) is
/// refused when the server opens it, with a message saying so, instead of starting and
/// then apologising to every customer.
#[tokio::test]
async fn a_damaged_database_is_refused_at_start_with_a_clear_message() {
    let (_dir, path) = temp_db();
    {
        let registry = Registry::open(&path).unwrap();
        registry.seed_load_customers(2_000).await.unwrap();
    }
    assert!(
        !path.with_extension("db-wal").exists()
            || std::fs::metadata(path.with_extension("db-wal"))
                .unwrap()
                .len()
                == 0,
        "the WAL was folded back on close"
    );
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 4 * page, "{} bytes", bytes.len());
    for (i, byte) in bytes[page..].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Registry::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("damaged") || is_sqlite(&err, ErrorCode::DatabaseCorrupt),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_database_in_an_uncreatable_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let err = Registry::open(&blocker.join("reclamos.db")).unwrap_err();
    assert!(matches!(err, RegistryError::Open { .. }), "{err:?}");
}

/// Environment variable naming the database the `kill -9` child writes to.
const KILL9_CHILD_DB: &str = "RECLAMOS_KILL9_CHILD_DB";

/// The child half of `kill9_loses_no_committed_request`: writes requests forever, printing
/// `ID <id> <n>` after each commit. Ignored unless that test spawns it.
#[tokio::test]
#[ignore = "child process of kill9_loses_no_committed_request"]
async fn kill9_writer_child() {
    use std::io::Write;
    let Some(path) = std::env::var_os(KILL9_CHILD_DB) else {
        return;
    };
    let registry = Registry::open(Path::new(&path)).unwrap();
    let mut out = std::io::stdout().lock();
    // Bounded so a parent that fails to kill it cannot leave it running for ever.
    for n in 0..1_000_000 {
        let request = registry
            .create_request(
                jorge(),
                &format!("kill9 {n}"),
                RequestState::Abierto,
                "t",
                "creada",
            )
            .await
            .unwrap();
        registry
            .append_history(request.id, "t", &format!("extra {n}"))
            .await
            .unwrap();
        writeln!(out, "ID {} {n}", request.id).unwrap();
        out.flush().unwrap();
    }
}

#[cfg(unix)]
#[tokio::test]
async fn kill9_loses_no_committed_request() {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    const KILL_AFTER: usize = 300;
    let (_dir, path) = temp_db();
    Registry::open(&path).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "registry::kill9_writer_child",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env(KILL9_CHILD_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ID ") {
                let mut parts = rest.split(' ');
                let id: u64 = parts.next().unwrap().parse().unwrap();
                let n: u64 = parts.next().unwrap().parse().unwrap();
                if tx.send((id, n)).is_err() {
                    break;
                }
            }
        }
    });
    let mut acknowledged = Vec::new();
    while acknowledged.len() < KILL_AFTER {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(pair) => acknowledged.push(pair),
            Err(err) => {
                let _ = child.kill();
                panic!(
                    "child stopped writing after {} ids: {err}",
                    acknowledged.len()
                );
            }
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
    reader.join().unwrap();
    // Ids printed between our count and the kill are acknowledged commits too.
    acknowledged.extend(rx.try_iter());

    let registry = Registry::open(&path).unwrap();
    for &(id, n) in &acknowledged {
        let request = registry
            .request(id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged request {id} lost"));
        assert_eq!(request.subject, format!("kill9 {n}"));
        assert_eq!(
            request.history.last().map(|h| h.text.as_str()),
            Some(format!("extra {n}").as_str())
        );
    }
    let written = registry
        .list(&RequestFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.subject.starts_with("kill9 "))
        .count();
    assert!(written >= acknowledged.len());
    println!(
        "kill -9: {} acknowledged requests all present; {} kill9 requests in the file",
        acknowledged.len(),
        written
    );
}

/// Prints rough per-operation costs on a file database (not asserted: timing depends on the
/// machine and on the build profile).
#[tokio::test]
async fn timing_figures() {
    const N: usize = 500;
    let (_dir, path) = temp_db();
    let registry = Registry::open(&path).unwrap();
    let start = Instant::now();
    let mut ids: Vec<u64> = Vec::with_capacity(N);
    for n in 0..N {
        let created = registry
            .create_request(jorge(), &format!("t{n}"), RequestState::Abierto, "a", "b")
            .await
            .unwrap();
        ids.push(created.id);
    }
    let create = start.elapsed();
    let start = Instant::now();
    for (n, id) in ids.iter().enumerate() {
        registry
            .append_history(*id, "a", &n.to_string())
            .await
            .unwrap();
    }
    let append = start.elapsed();
    let start = Instant::now();
    for id in &ids {
        registry.append_transcript(*id, "a", "hola").await.unwrap();
    }
    let transcript = start.elapsed();
    let start = Instant::now();
    for _ in 0..N {
        assert_eq!(registry.requests_of(claudio()).await.unwrap().len(), 2);
    }
    let read = start.elapsed();
    assert_eq!(
        registry.requests_of(jorge()).await.unwrap().len(),
        (N + 2).min(reclamos::registry::ACCOUNT_REQUESTS)
    );
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / N as f64;
    println!(
        "registry ({} build), µs per operation over {N}: create_request {:.1}, \
         append_history {:.1}, append_transcript {:.1}, requests_of (2 requests) {:.1}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        per(create),
        per(append),
        per(transcript),
        per(read)
    );
}

/// Automatic checkpoints are off on the writing connection; the background thread must
/// still copy the WAL into the database file.
#[tokio::test]
async fn background_checkpoints_move_the_wal_into_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.db");
    let registry = Registry::open(&path).unwrap();
    let before = std::fs::metadata(&path).unwrap().len();
    let rut = reclamos::rut::Rut::from_number(12_345_678).unwrap();
    let request = registry
        .create_request(
            rut,
            "checkpoint",
            reclamos::registry::RequestState::Abierto,
            "test",
            "x",
        )
        .await
        .unwrap();
    for i in 0..2000 {
        registry
            .append_history(
                request.id,
                "test",
                &format!("entrada {i} {}", "x".repeat(200)),
            )
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "the WAL was never checkpointed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Consultations are an audit trail of their own: they never clutter the history the
/// customer reads, and they survive a reopen.
#[tokio::test]
async fn consultations_are_recorded_apart_from_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let registry = Registry::open(&path).unwrap();
    let history_before = registry
        .request(WIFI_REQUEST)
        .await
        .unwrap()
        .unwrap()
        .history
        .len();
    registry.record_consultation(WIFI_REQUEST, "chat");
    registry.record_consultation(WIFI_REQUEST, "chat");
    // A consultation of a request that does not exist is skipped, not an error for the batch.
    registry.record_consultation(999_999_999, "chat");
    // Dropping the last handle (or the background thread, whichever holds it last) writes
    // what is pending; a second process sees it.
    drop(registry);
    let reader = Registry::open_read_only(&path).unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let seen = loop {
        let seen = reader.consultations(WIFI_REQUEST).await.unwrap();
        if seen.len() >= 2 || Instant::now() > deadline {
            break seen;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    drop(reader);
    let registry = Registry::open(&path).unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[0] <= seen[1]);
    assert_eq!(
        registry
            .request(WIFI_REQUEST)
            .await
            .unwrap()
            .unwrap()
            .history
            .len(),
        history_before
    );
}

/// While the registry stays open, the background thread writes consultations on its own,
/// so another process sees them without any further call on the writing handle.
#[tokio::test]
async fn consultations_reach_the_file_while_the_registry_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit-open.db");
    let registry = Registry::open(&path).unwrap();
    for _ in 0..50 {
        registry.record_consultation(PLAN_REQUEST, "chat");
    }
    let reader = Registry::open_read_only(&path).unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while reader.consultations(PLAN_REQUEST).await.unwrap().len() < 50 {
        assert!(
            Instant::now() < deadline,
            "the background thread never wrote them"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(registry);
}
