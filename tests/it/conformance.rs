//! The conformance suite: every registry test that holds for any store, run against SQLite
//! (a file in a temporary directory) and PostgreSQL (a schema of its own on the tests'
//! server, see `pg`). "Reopening" a PostgreSQL registry opens a second pool, as a second
//! node or a restarted server would.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Barrier;

use reclamos::registry::demo::{self, JORGE_ID_SERIAL, PLAN_REQUEST, WIFI_ANSWER, WIFI_REQUEST};
use reclamos::registry::{
    Registry, RegistryError, RequestFilter, RequestState, StoreConfig, ACCOUNT_REQUESTS,
};
use reclamos::rut::Rut;

use crate::pg::TestDb;

/// Where a test's registry lives; opened as many times as the test likes.
pub enum Place {
    /// An SQLite file in a temporary directory (kept until the test ends).
    Sqlite(#[allow(dead_code)] tempfile::TempDir, PathBuf),
    /// A PostgreSQL schema of its own.
    Postgres(TestDb),
}

impl Place {
    pub fn sqlite() -> Place {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reclamos.db");
        Place::Sqlite(dir, path)
    }

    /// `None` (after printing why) when there is no PostgreSQL to test against.
    pub async fn postgres() -> Option<Place> {
        TestDb::new().await.map(Place::Postgres)
    }

    /// A new handle on the registry: another store on the same file or database.
    pub async fn open(&self) -> Registry {
        match self {
            Place::Sqlite(_, path) => Registry::open(path).unwrap(),
            Place::Postgres(db) => Registry::open_postgres(&db.url, test_config())
                .await
                .unwrap(),
        }
    }
}

/// Small pools (many tests run at once on one server), and a generous time budget: these
/// tests are about what is stored, and a server given in `RECLAMOS_TEST_PG` may fsync every
/// commit on a disk shared with the other tests.
pub fn test_config() -> StoreConfig {
    StoreConfig {
        pool_size: 4,
        op_timeout: std::time::Duration::from_secs(20),
        ..StoreConfig::default()
    }
}

/// Runs each named test (an `async fn(&Place)`) once per store: `sqlite::name` and
/// `postgres::name`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(&super::Place::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(place) = super::Place::postgres().await else {
                        return;
                    };
                    super::$name(&place).await;
                }
            )*
        }
    };
}

conformance!(
    demo_data_is_seeded_once,
    demo_customer_jorge_sees_the_wifi_request_first,
    new_ids_continue_after_the_largest_and_survive_reopening,
    every_change_persists_across_close_and_reopen,
    setting_the_same_state_or_subject_adds_no_history,
    history_and_transcript_keep_append_order,
    a_customers_requests_come_back_each_with_its_own_history_in_order,
    concurrent_appends_from_16_tasks_lose_nothing,
    missing_requests_are_not_found,
    customers_register_once_and_requests_need_a_customer,
    list_filters_by_rut_and_state,
    load_customers_are_seeded_idempotently,
    the_nlu_inbox_keeps_reviews_and_bounds_its_rows,
    wrong_serials_are_counted_per_rut_and_address_and_survive_reopening,
    wrong_tokens_are_counted_for_the_server_and_survive_reopening,
    a_request_by_number_is_found_only_for_its_owner,
    a_long_record_is_read_as_its_open_and_latest_requests,
);

fn jorge() -> Rut {
    "12.345.678-5".parse().unwrap()
}

fn claudio() -> Rut {
    "11.111.111-1".parse().unwrap()
}

async fn all(registry: &Registry) -> Vec<reclamos::registry::Request> {
    registry.list(&RequestFilter::default()).await.unwrap()
}

pub async fn demo_data_is_seeded_once(place: &Place) {
    let first = place.open().await;
    let requests = all(&first).await.len();
    let customers = first.customers().await.unwrap().len();
    let expected: usize = demo::demo_customers()
        .iter()
        .map(|c| c.requests.len())
        .sum();
    assert_eq!(requests, expected);
    assert_eq!(customers, demo::demo_customers().len());

    // A second handle while the first is open, then a reopen after closing both.
    let second = place.open().await;
    assert_eq!(all(&second).await.len(), requests);
    drop((first, second));
    let reopened = place.open().await;
    assert_eq!(all(&reopened).await.len(), requests);
    assert_eq!(reopened.customers().await.unwrap().len(), customers);
}

pub async fn demo_customer_jorge_sees_the_wifi_request_first(place: &Place) {
    let registry = place.open().await;
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

pub async fn new_ids_continue_after_the_largest_and_survive_reopening(place: &Place) {
    let registry = place.open().await;
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
    let registry = place.open().await;
    let third = registry
        .create_request(jorge(), "Otro", RequestState::Abierto, "Asistente", "")
        .await
        .unwrap();
    assert_eq!(third.id, second.id + 1);
    assert!(third.history.is_empty(), "empty history text adds no entry");
    assert_eq!(registry.request(first.id).await.unwrap(), Some(first));
}

pub async fn every_change_persists_across_close_and_reopen(place: &Place) {
    let registry = place.open().await;
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

    let registry = place.open().await;
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

pub async fn setting_the_same_state_or_subject_adds_no_history(place: &Place) {
    let registry = place.open().await;
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

pub async fn history_and_transcript_keep_append_order(place: &Place) {
    let registry = place.open().await;
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

pub async fn a_customers_requests_come_back_each_with_its_own_history_in_order(place: &Place) {
    let registry = place.open().await;
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
    let reader = place.open().await;
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

pub async fn concurrent_appends_from_16_tasks_lose_nothing(place: &Place) {
    const THREADS: usize = 16;
    const PER_THREAD: usize = 50;
    let shared = place.open().await;
    let id = WIFI_REQUEST;
    let before = shared.request(id).await.unwrap().unwrap().history.len();
    let barrier = Arc::new(Barrier::new(THREADS));
    let start = Instant::now();
    // Even tasks share one handle; odd tasks have a store of their own (SQLite: another
    // connection, so file locking and the busy timeout are exercised; PostgreSQL: another
    // pool, as another node).
    let mut registries = Vec::new();
    for t in 0..THREADS {
        registries.push(if t % 2 == 0 {
            shared.clone()
        } else {
            place.open().await
        });
    }
    let tasks: Vec<_> = registries
        .into_iter()
        .enumerate()
        .map(|(t, registry)| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
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
    let reopened = place.open().await;
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

pub async fn missing_requests_are_not_found(place: &Place) {
    let registry = place.open().await;
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

pub async fn wrong_serials_are_counted_per_rut_and_address_and_survive_reopening(place: &Place) {
    use reclamos::registry::{SerialFailures, SerialLockout};
    use std::net::IpAddr;
    use std::time::Duration;
    let lockout = SerialLockout {
        every: 3,
        base: Duration::from_secs(60),
    };
    let (here, there): (IpAddr, IpAddr) =
        ("192.0.2.7".parse().unwrap(), "2001:db8::".parse().unwrap());
    let registry = place.open().await;
    assert_eq!(
        registry.serial_failures(jorge(), here).await.unwrap(),
        SerialFailures::default()
    );
    for count in 1..=2 {
        let failures = registry
            .serial_failed(jorge(), here, lockout)
            .await
            .unwrap();
        assert_eq!(failures.count, count);
        assert!(failures.locked_for.is_zero());
    }
    let locked = registry
        .serial_failed(jorge(), here, lockout)
        .await
        .unwrap();
    assert_eq!(locked.count, 3);
    assert!(locked.locked_for > Duration::from_secs(50), "{locked:?}");
    // Another RUT is not affected, nor the same RUT from another address (whoever knows a
    // RUT cannot lock its owner out); a new handle (a restart) sees the same.
    assert_eq!(
        registry.serial_failures(claudio(), here).await.unwrap(),
        SerialFailures::default()
    );
    assert_eq!(
        registry.serial_failures(jorge(), there).await.unwrap(),
        SerialFailures::default()
    );
    let elsewhere = registry
        .serial_failed(jorge(), there, lockout)
        .await
        .unwrap();
    assert_eq!(elsewhere.count, 1, "counted apart");
    drop(registry);
    let reopened = place.open().await;
    let seen = reopened.serial_failures(jorge(), here).await.unwrap();
    assert_eq!(seen.count, 3);
    assert!(seen.locked_for > Duration::from_secs(50), "{seen:?}");
    // A right serial forgets the wrong ones from its address only.
    reopened.serial_passed(jorge(), there).await.unwrap();
    assert_eq!(
        reopened.serial_failures(jorge(), there).await.unwrap(),
        SerialFailures::default()
    );
    assert_eq!(
        reopened.serial_failures(jorge(), here).await.unwrap().count,
        3
    );
    reopened.serial_passed(jorge(), here).await.unwrap();
    assert_eq!(
        reopened.serial_failures(jorge(), here).await.unwrap(),
        SerialFailures::default()
    );
}

pub async fn wrong_tokens_are_counted_for_the_server_and_survive_reopening(place: &Place) {
    use reclamos::registry::{TokenFailures, TokenLockout};
    use std::time::Duration;
    let lockout = TokenLockout {
        every: 3,
        base: Duration::from_secs(60),
    };
    let registry = place.open().await;
    assert_eq!(
        registry.token_failures().await.unwrap(),
        TokenFailures::default()
    );
    for count in 1..=2 {
        let failures = registry.token_failed(lockout).await.unwrap();
        assert_eq!(failures.count, count);
        assert!(failures.locked_for.is_zero());
    }
    let locked = registry.token_failed(lockout).await.unwrap();
    assert_eq!(locked.count, 3);
    assert!(locked.locked_for > Duration::from_secs(50), "{locked:?}");
    assert!(lockout.began_with(&locked), "{locked:?}");
    // A guess during the lock-out is not checked, so not counted (nor taken for the start
    // of another one).
    let during = registry.token_failed(lockout).await.unwrap();
    assert_eq!(during.count, 3);
    assert!(during.locked_for > Duration::from_secs(50), "{during:?}");
    assert!(!lockout.began_with(&during), "{during:?}");
    // A new handle (a restart, or another node) sees the same.
    drop(registry);
    let reopened = place.open().await;
    let seen = reopened.token_failures().await.unwrap();
    assert_eq!(seen.count, 3);
    assert!(seen.locked_for > Duration::from_secs(50), "{seen:?}");
    // A right token (outside a lock-out) forgets them.
    reopened.token_passed().await.unwrap();
    assert_eq!(
        reopened.token_failures().await.unwrap(),
        TokenFailures::default()
    );

    // Many wrong tokens at once (from as many connections): one of them starts the
    // lock-out, so the console says it once.
    let registry = Arc::new(reopened);
    let guesses: Vec<_> = (0..12)
        .map(|_| {
            let registry = Arc::clone(&registry);
            tokio::spawn(async move { registry.token_failed(lockout).await.unwrap() })
        })
        .collect();
    let mut began = 0;
    for guess in guesses {
        if lockout.began_with(&guess.await.unwrap()) {
            began += 1;
        }
    }
    assert_eq!(began, 1);
    assert_eq!(registry.token_failures().await.unwrap().count, 3);
}

pub async fn a_request_by_number_is_found_only_for_its_owner(place: &Place) {
    let registry = place.open().await;
    let requests = all(&registry).await;
    let own = requests.iter().find(|r| r.rut == jorge()).expect("Jorge's");
    let foreign = requests
        .iter()
        .find(|r| r.rut != jorge())
        .expect("another's");
    let missing = requests.iter().map(|r| r.id).max().unwrap() + 1;
    assert_eq!(
        registry.request_of(jorge(), own.id).await.unwrap().as_ref(),
        Some(own)
    );
    assert_eq!(
        registry.request_of(jorge(), foreign.id).await.unwrap(),
        None
    );
    assert_eq!(registry.request_of(jorge(), missing).await.unwrap(), None);
    assert_eq!(registry.request_of(jorge(), u64::MAX).await.unwrap(), None);
    // Its owner finds it.
    assert_eq!(
        registry
            .request_of(foreign.rut, foreign.id)
            .await
            .unwrap()
            .as_ref(),
        Some(foreign)
    );
}

pub async fn customers_register_once_and_requests_need_a_customer(place: &Place) {
    let registry = place.open().await;
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

pub async fn list_filters_by_rut_and_state(place: &Place) {
    let registry = place.open().await;
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

pub async fn load_customers_are_seeded_idempotently(place: &Place) {
    let registry = place.open().await;
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
    let registry = place.open().await;
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

/// Prints the latency of a restart's commit (`create_request`, what a customer waits for
/// before hearing the request number), p50 and p99 over 300 in a row, on each store. Not
/// asserted (timing depends on the machine); run with `--ignored --nocapture`, and with
/// `RECLAMOS_TEST_PG` naming a server with its production settings (the private test server
/// runs with `fsync=off`).
async fn commit_latency_figures(place: &Place, store: &str) {
    const N: usize = 300;
    let registry = place.open().await;
    let mut took = Vec::with_capacity(N);
    for n in 0..N {
        let start = Instant::now();
        registry
            .create_request(
                jorge(),
                &format!("t{n}"),
                RequestState::Abierto,
                "Asistente",
                "x",
            )
            .await
            .unwrap();
        took.push(start.elapsed());
    }
    took.sort();
    println!(
        "{store}: create_request p50 {:.2} ms, p99 {:.2} ms over {N}",
        took[N / 2].as_secs_f64() * 1e3,
        took[N * 99 / 100].as_secs_f64() * 1e3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints figures"]
async fn commit_latency_on_sqlite() {
    commit_latency_figures(&Place::sqlite(), "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints figures"]
async fn commit_latency_on_postgres() {
    if let Some(place) = Place::postgres().await {
        commit_latency_figures(&place, "PostgreSQL").await;
    }
}

/// The NLU inbox: messages come back oldest first, a review marks them with the label,
/// reviewed ones are hidden unless asked for, and the row bound drops the oldest.
pub async fn the_nlu_inbox_keeps_reviews_and_bounds_its_rows(place: &Place) {
    use reclamos::nlu::Intent;
    use reclamos::registry::{InboxMessage, InboxOutcome, InboxRetention, Review};
    let retention = InboxRetention {
        max_rows: 3,
        ..InboxRetention::default()
    };
    let registry = place.open().await.with_inbox_retention(retention);
    for (i, outcome) in [
        InboxOutcome::Fallback,
        InboxOutcome::Clarify,
        InboxOutcome::Correction,
    ]
    .into_iter()
    .cycle()
    .take(5)
    .enumerate()
    {
        let message = InboxMessage {
            text: format!("mensaje {i}"),
            outcome,
            predicted: Intent::Fallback,
            confidence: 0.25,
        };
        registry.keep_inbox_message(message).await.unwrap();
    }
    let kept = registry.inbox(false).await.unwrap();
    let texts: Vec<&str> = kept.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        ["mensaje 2", "mensaje 3", "mensaje 4"],
        "the newest 3, oldest first"
    );
    assert_eq!(kept[0].outcome, InboxOutcome::Correction);
    assert_eq!(kept[1].outcome, InboxOutcome::Fallback);
    assert!((kept[0].confidence - 0.25).abs() < 1e-6);
    let reviews = vec![
        Review {
            id: kept[0].id,
            label: Some(Intent::ContactarEjecutivo),
        },
        Review {
            id: kept[1].id,
            label: None,
        },
        Review {
            id: -1,
            label: None,
        },
    ];
    assert_eq!(registry.mark_reviewed(reviews).await.unwrap(), 2);
    let open: Vec<String> = registry
        .inbox(false)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(open, ["mensaje 4"]);
    let every = registry.inbox(true).await.unwrap();
    assert_eq!(every.len(), 3);
    assert_eq!(every[0].label, Some(Intent::ContactarEjecutivo));
    assert!(every[0].reviewed_at.is_some() && every[1].reviewed_at.is_some());
    assert_eq!(every[1].label, None);
    assert!(every[2].reviewed_at.is_none());
}

/// A customer with more requests than [`ACCOUNT_REQUESTS`] is read as their open requests
/// and the most recent ones (not whole on every cache miss); an older one is still found by
/// its number, and only by its owner.
pub async fn a_long_record_is_read_as_its_open_and_latest_requests(place: &Place) {
    let registry = place.open().await;
    let create = |subject: String, state| {
        let registry = &registry;
        async move {
            registry
                .create_request(claudio(), &subject, state, "Asistente", "creada")
                .await
                .unwrap()
                .id
        }
    };
    let mut open: Vec<u64> = registry
        .requests_of(claudio())
        .await
        .unwrap()
        .iter()
        .filter(|r| r.state == RequestState::Abierto)
        .map(|r| r.id)
        .collect();
    open.push(create("Abierta hace tiempo".into(), RequestState::Abierto).await);
    let mut closed = Vec::new();
    for i in 0..ACCOUNT_REQUESTS {
        closed.push(create(format!("Reinicio {i}"), RequestState::Cerrado).await);
    }

    let ids: Vec<u64> = registry
        .requests_of(claudio())
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let mut expected = open.clone();
    expected.extend(&closed[closed.len() - (ACCOUNT_REQUESTS - open.len())..]);
    expected.sort_unstable();
    assert_eq!(ids, expected);

    let oldest = closed[0];
    assert!(!ids.contains(&oldest));
    let found = registry.request(oldest).await.unwrap().unwrap();
    assert_eq!(found.subject, "Reinicio 0");
    assert_eq!(found.history.len(), 1);
    assert_eq!(
        registry.request_of(claudio(), oldest).await.unwrap(),
        Some(found)
    );
    assert_eq!(registry.request_of(jorge(), oldest).await.unwrap(), None);
}
