//! The request registry on real SQLite files in temporary directories: creation and
//! migrations, persistence, ordering, concurrency, failures and `kill -9` durability.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Instant;
use tokio::sync::Barrier;

use reclamos::registry::demo::{self, JORGE_ID_SERIAL, PLAN_REQUEST, WIFI_ANSWER, WIFI_REQUEST};
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

async fn all(registry: &Registry) -> Vec<reclamos::registry::Request> {
    registry.list(&RequestFilter::default()).await.unwrap()
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
async fn demo_data_is_seeded_once() {
    let (_dir, path) = temp_db();
    let first = Registry::open(&path).unwrap();
    let requests = all(&first).await.len();
    let customers = first.customers().await.unwrap().len();
    let expected: usize = demo::demo_customers()
        .iter()
        .map(|c| c.requests.len())
        .sum();
    assert_eq!(requests, expected);
    assert_eq!(customers, demo::demo_customers().len());

    // A second handle while the first is open, then a reopen after closing both.
    let second = Registry::open(&path).unwrap();
    assert_eq!(all(&second).await.len(), requests);
    drop((first, second));
    let reopened = Registry::open(&path).unwrap();
    assert_eq!(all(&reopened).await.len(), requests);
    assert_eq!(reopened.customers().await.unwrap().len(), customers);
}

#[tokio::test]
async fn demo_customer_jorge_sees_the_wifi_request_first() {
    let (_dir, path) = temp_db();
    let registry = Registry::open(&path).unwrap();
    let customer = registry.customer(jorge()).await.unwrap().unwrap();
    assert_eq!(customer.name, "Jorge Sandoval");
    assert_eq!(customer.first_name(), "Jorge");
    assert_eq!(customer.id_serial.as_deref(), Some(JORGE_ID_SERIAL));

    let requests = registry.requests_of(jorge()).await.unwrap();
    let ids: Vec<u64> = requests.iter().map(|r| r.id).collect();
    assert_eq!(ids, [WIFI_REQUEST, PLAN_REQUEST]);
    let wifi = &requests[0];
    assert_eq!(wifi.subject, "Cambio de clave WiFi");
    assert_eq!(wifi.state, RequestState::Cerrado);
    assert_eq!(wifi.answer.as_deref(), Some(WIFI_ANSWER));
    assert!(wifi.sensitive);
    assert!(wifi.history.len() >= 2);
    assert!(wifi.history.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(wifi
        .history
        .iter()
        .all(|h| !h.text.contains("estaesmiclave")));
    let plan = &requests[1];
    assert_eq!(plan.subject, "Cambio de Plan");
    assert_eq!(plan.state, RequestState::Abierto);
    assert!(!plan.sensitive);
    assert!(plan.answer.is_none());
    assert!(!plan.history.is_empty());

    let nobody: Rut = "18.765.432-7".parse().unwrap();
    assert!(registry.customer(nobody).await.unwrap().is_some());
    assert!(registry.requests_of(nobody).await.unwrap().is_empty());
    assert!(registry
        .customer("7.654.321-6".parse().unwrap())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn new_ids_continue_after_the_largest_and_survive_reopening() {
    let (_dir, path) = temp_db();
    let registry = Registry::open(&path).unwrap();
    let first = registry
        .create_request(
            claudio(),
            "Sin señal de TV",
            RequestState::Abierto,
            "Asistente",
            "creada",
        )
        .await
        .unwrap();
    assert_eq!(first.id, demo::MAX_DEMO_REQUEST + 1);
    let second = registry
        .create_request(
            jorge(),
            "Internet lento",
            RequestState::Abierto,
            "Asistente",
            "creada",
        )
        .await
        .unwrap();
    assert_eq!(second.id, first.id + 1);
    drop(registry);
    let registry = Registry::open(&path).unwrap();
    let third = registry
        .create_request(jorge(), "Otro", RequestState::Abierto, "Asistente", "")
        .await
        .unwrap();
    assert_eq!(third.id, second.id + 1);
    assert!(third.history.is_empty(), "empty history text adds no entry");
    assert_eq!(registry.request(first.id).await.unwrap(), Some(first));
}

#[tokio::test]
async fn every_change_persists_across_close_and_reopen() {
    let (_dir, path) = temp_db();
    let registry = Registry::open(&path).unwrap();
    let created = registry
        .create_request(
            jorge(),
            "Consulta",
            RequestState::Abierto,
            "Asistente",
            "Solicitud creada desde el chat",
        )
        .await
        .unwrap();
    assert_eq!(created.created_at, created.updated_at);
    let id = created.id;
    registry
        .set_subject(id, "Cambio de clave WiFi", "Asistente")
        .await
        .unwrap();
    registry
        .append_history(id, "Paula Rojas", "Clave cambiada")
        .await
        .unwrap();
    registry
        .set_answer(id, "su nueva clave wifi es: otra", true, "Paula Rojas")
        .await
        .unwrap();
    registry
        .append_transcript(id, "Jorge", "hola")
        .await
        .unwrap();
    registry
        .append_transcript(id, "Paula Rojas", "hola Jorge")
        .await
        .unwrap();
    let closed = registry
        .set_state(id, RequestState::Cerrado, "Paula Rojas")
        .await
        .unwrap();
    drop(registry);

    let registry = Registry::open(&path).unwrap();
    let request = registry.request(id).await.unwrap().unwrap();
    assert_eq!(request, closed);
    assert_eq!(request.subject, "Cambio de clave WiFi");
    assert_eq!(request.state, RequestState::Cerrado);
    assert_eq!(
        request.answer.as_deref(),
        Some("su nueva clave wifi es: otra")
    );
    assert!(request.sensitive);
    assert!(request.updated_at >= request.created_at);
    let texts: Vec<&str> = request.history.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Solicitud creada desde el chat",
            "Asunto cambiado a Cambio de clave WiFi",
            "Clave cambiada",
            "Respuesta registrada",
            "Estado cambiado a cerrado",
        ]
    );
    let authors: Vec<&str> = request.history.iter().map(|h| h.author.as_str()).collect();
    assert_eq!(authors[2], "Paula Rojas");
    let transcript = registry.transcript(id).await.unwrap();
    let lines: Vec<(&str, &str)> = transcript
        .iter()
        .map(|l| (l.speaker.as_str(), l.text.as_str()))
        .collect();
    assert_eq!(lines, [("Jorge", "hola"), ("Paula Rojas", "hola Jorge")]);
}

#[tokio::test]
async fn setting_the_same_state_or_subject_adds_no_history() {
    let registry = Registry::open_in_memory().unwrap();
    let before = registry.request(PLAN_REQUEST).await.unwrap().unwrap();
    let same = registry
        .set_state(PLAN_REQUEST, RequestState::Abierto, "Asistente")
        .await
        .unwrap();
    let same = registry
        .set_subject(same.id, &same.subject.clone(), "Asistente")
        .await
        .unwrap();
    assert_eq!(same, before);
}

#[tokio::test]
async fn history_and_transcript_keep_append_order() {
    let registry = Registry::open_in_memory().unwrap();
    let id = registry
        .create_request(jorge(), "Orden", RequestState::Abierto, "a", "0")
        .await
        .unwrap()
        .id;
    for n in 1..=30 {
        registry
            .append_history(id, "a", &n.to_string())
            .await
            .unwrap();
        registry
            .append_transcript(id, "b", &n.to_string())
            .await
            .unwrap();
    }
    let history: Vec<String> = registry
        .request(id)
        .await
        .unwrap()
        .unwrap()
        .history
        .into_iter()
        .map(|h| h.text)
        .collect();
    let expected: Vec<String> = (0..=30).map(|n| n.to_string()).collect();
    assert_eq!(history, expected);
    let transcript: Vec<String> = registry
        .transcript(id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert_eq!(transcript, expected[1..]);
}

#[tokio::test]
async fn a_customers_requests_come_back_each_with_its_own_history_in_order() {
    let (_dir, path) = temp_db();
    let registry = Registry::open(&path).unwrap();
    // Camila Rojas starts with no requests.
    let camila: Rut = "18.765.432-7".parse().unwrap();
    let open = async |subject: &str, first: &str| {
        registry
            .create_request(camila, subject, RequestState::Abierto, "Asistente", first)
            .await
            .unwrap()
            .id
    };
    let a = open("Primera", "a0").await;
    let b = open("Segunda", "").await;
    let c = open("Tercera", "c0").await;
    // Entries of different requests interleave in the history table.
    for n in 1..=3 {
        registry
            .append_history(c, "Paula", &format!("c{n}"))
            .await
            .unwrap();
        registry
            .append_history(a, "Paula", &format!("a{n}"))
            .await
            .unwrap();
    }
    let texts = |request: &reclamos::registry::Request| -> Vec<String> {
        request.history.iter().map(|h| h.text.clone()).collect()
    };
    let expected = [
        (a, "Primera", vec!["a0", "a1", "a2", "a3"]),
        (b, "Segunda", vec![]),
        (c, "Tercera", vec!["c0", "c1", "c2", "c3"]),
    ];
    // A read-only handle has no cache: each of these reads SQLite.
    let reader = Registry::open_read_only(&path).unwrap();
    for requests in [
        reader.requests_of(camila).await.unwrap(),
        reader
            .list(&RequestFilter {
                rut: Some(camila),
                state: None,
            })
            .await
            .unwrap(),
        registry.requests_of(camila).await.unwrap(),
    ] {
        let got: Vec<_> = requests
            .iter()
            .map(|r| (r.id, r.subject.as_str(), texts(r)))
            .collect();
        let want: Vec<_> = expected
            .iter()
            .map(|(id, subject, history)| {
                (
                    *id,
                    *subject,
                    history.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(got, want);
        assert!(requests.iter().all(|r| r.rut == camila));
    }
    for (id, _, history) in &expected {
        let request = reader.request(*id).await.unwrap().unwrap();
        assert_eq!(texts(&request), *history);
        assert_eq!(request, registry.request(*id).await.unwrap().unwrap());
    }
    // A customer with no requests, and a RUT that is not a customer.
    let nobody: Rut = "22.222.222-2".parse().unwrap();
    assert!(reader.customer(nobody).await.unwrap().is_none());
    assert!(reader.requests_of(nobody).await.unwrap().is_empty());
    let pedro: Rut = "9.876.543-3".parse().unwrap();
    assert_eq!(
        reader.customer(pedro).await.unwrap().unwrap().name,
        "Pedro Muñoz"
    );
    assert_eq!(reader.requests_of(pedro).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_from_16_tasks_lose_nothing() {
    const THREADS: usize = 16;
    const PER_THREAD: usize = 50;
    let (_dir, path) = temp_db();
    let shared = Registry::open(&path).unwrap();
    let id = WIFI_REQUEST;
    let before = shared.request(id).await.unwrap().unwrap().history.len();
    let barrier = Arc::new(Barrier::new(THREADS));
    let start = Instant::now();
    let tasks: Vec<_> = (0..THREADS)
        .map(|t| {
            let (shared, path, barrier) = (shared.clone(), path.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                // Even tasks share one handle (one writer thread); odd tasks open their own
                // store, so SQLite's file locking and the busy timeout are exercised too.
                let registry = if t % 2 == 0 {
                    shared
                } else {
                    Registry::open(&path).unwrap()
                };
                barrier.wait().await;
                for n in 0..PER_THREAD {
                    registry
                        .append_history(id, &format!("hilo {t}"), &format!("{t}:{n}"))
                        .await
                        .unwrap();
                    registry
                        .append_transcript(id, &format!("hilo {t}"), &format!("{t}:{n}"))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = start.elapsed();
    println!(
        "{THREADS} threads x {PER_THREAD} x (append_history + append_transcript): {:.1} ms, \
         {:.0} writes/s ({} build)",
        elapsed.as_secs_f64() * 1e3,
        (2 * THREADS * PER_THREAD) as f64 / elapsed.as_secs_f64(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
    let reopened = Registry::open(&path).unwrap();
    let history = reopened.request(id).await.unwrap().unwrap().history;
    assert_eq!(history.len(), before + THREADS * PER_THREAD);
    let transcript = reopened.transcript(id).await.unwrap();
    assert_eq!(transcript.len(), THREADS * PER_THREAD);
    for texts in [
        history[before..]
            .iter()
            .map(|h| h.text.as_str())
            .collect::<Vec<_>>(),
        transcript.iter().map(|l| l.text.as_str()).collect(),
    ] {
        let unique: HashSet<&str> = texts.iter().copied().collect();
        assert_eq!(unique.len(), THREADS * PER_THREAD, "duplicates");
        // Each thread's own entries appear in the order it wrote them.
        for t in 0..THREADS {
            let mine: Vec<usize> = texts
                .iter()
                .filter_map(|s| s.strip_prefix(&format!("{t}:")))
                .map(|n| n.parse().unwrap())
                .collect();
            assert_eq!(mine, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
        }
    }
}

#[tokio::test]
async fn missing_requests_are_not_found() {
    let registry = Registry::open_in_memory().unwrap();
    let missing = 999_999;
    assert_eq!(registry.request(missing).await.unwrap(), None);
    assert_eq!(registry.request(u64::MAX).await.unwrap(), None);
    let not_found = |result: Result<_, RegistryError>| matches!(result, Err(RegistryError::NotFound(id)) if id == missing);
    assert!(not_found(
        registry.append_history(missing, "a", "b").await.map(drop)
    ));
    assert!(not_found(
        registry
            .set_state(missing, RequestState::Cerrado, "a")
            .await
            .map(drop)
    ));
    assert!(not_found(
        registry.set_subject(missing, "x", "a").await.map(drop)
    ));
    assert!(not_found(
        registry
            .set_answer(missing, "x", false, "a")
            .await
            .map(drop)
    ));
    assert!(not_found(
        registry.append_transcript(missing, "a", "b").await
    ));
    assert!(not_found(registry.transcript(missing).await.map(drop)));
    assert!(matches!(
        registry.append_history(u64::MAX, "a", "b").await,
        Err(RegistryError::NotFound(u64::MAX))
    ));
}

#[tokio::test]
async fn customers_register_once_and_requests_need_a_customer() {
    let registry = Registry::open_in_memory().unwrap();
    let rut: Rut = "7.654.321-6".parse().unwrap();
    let err = registry
        .create_request(rut, "x", RequestState::Abierto, "a", "b")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RegistryError::UnknownCustomer(r) if r == rut),
        "{err}"
    );

    let customer = registry.register_customer(rut, "Ana Pérez").await.unwrap();
    assert_eq!(customer.id_serial, None);
    assert_eq!(registry.customer(rut).await.unwrap(), Some(customer));
    assert!(matches!(
        registry.register_customer(rut, "Otra").await,
        Err(RegistryError::CustomerExists(r)) if r == rut
    ));
    assert!(matches!(
        registry.register_customer(jorge(), "Jorge").await,
        Err(RegistryError::CustomerExists(_))
    ));
    let request = registry
        .create_request(
            rut,
            "Cambio de Plan",
            RequestState::Abierto,
            "Asistente",
            "creada",
        )
        .await
        .unwrap();
    assert_eq!(registry.requests_of(rut).await.unwrap(), [request]);
}

#[tokio::test]
async fn list_filters_by_rut_and_state() {
    let registry = Registry::open_in_memory().unwrap();
    let every = all(&registry).await;
    assert!(
        every.windows(2).all(|w| w[0].id < w[1].id),
        "ordered by number"
    );
    let open = registry
        .list(&RequestFilter {
            state: Some(RequestState::Abierto),
            ..RequestFilter::default()
        })
        .await
        .unwrap();
    assert!(!open.is_empty());
    assert!(open.iter().all(|r| r.state == RequestState::Abierto));
    let jorge_closed = registry
        .list(&RequestFilter {
            rut: Some(jorge()),
            state: Some(RequestState::Cerrado),
        })
        .await
        .unwrap();
    let ids: Vec<u64> = jorge_closed.iter().map(|r| r.id).collect();
    assert_eq!(ids, [WIFI_REQUEST]);
    assert_eq!(
        every
            .iter()
            .filter(|r| r.state == RequestState::Cerrado)
            .count()
            + open.len(),
        every.len()
    );
}

#[tokio::test]
async fn load_customers_are_seeded_idempotently() {
    let (_dir, path) = temp_db();
    let registry = Registry::open(&path).unwrap();
    let before = all(&registry).await.len();
    let ruts = registry.seed_load_customers(100).await.unwrap();
    assert_eq!(ruts.len(), 100);
    assert_eq!(ruts[0].to_string(), "50.000.001-5");
    assert_eq!(
        registry.customer(ruts[99]).await.unwrap().unwrap().name,
        "Cliente Carga 100"
    );
    assert_eq!(all(&registry).await.len(), before + 100);
    let requests = registry.requests_of(ruts[41]).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].subject, demo::LOAD_SUBJECT);

    // Again, and larger, after a reopen: only the missing ones are added.
    drop(registry);
    let registry = Registry::open(&path).unwrap();
    assert_eq!(registry.seed_load_customers(100).await.unwrap(), ruts);
    assert_eq!(all(&registry).await.len(), before + 100);
    let more = registry.seed_load_customers(150).await.unwrap();
    assert_eq!(&more[..100], &ruts[..]);
    assert_eq!(all(&registry).await.len(), before + 150);
    assert!(matches!(
        registry
            .seed_load_customers(demo::MAX_LOAD_CUSTOMERS + 1)
            .await,
        Err(RegistryError::TooManyLoadCustomers(_))
    ));
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
    assert_eq!(registry.requests_of(jorge()).await.unwrap().len(), N + 2);
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
