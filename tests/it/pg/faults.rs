//! The PostgreSQL store when things go wrong or happen elsewhere: an ambiguous commit, a
//! change made by another node, and the database going away while customers chat.

use std::time::{Duration, Instant};

use reclamos::protocol::customer as to_customer;
use reclamos::registry::{Location, Registry, RequestFilter, RequestState};
use reclamos::rut::Rut;

use super::proxy::Proxy;
use super::TestDb;
use crate::common::{TestServer, JORGE};
use crate::conformance::test_config;

fn jorge() -> Rut {
    JORGE.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_whose_answer_is_lost_creates_one_request_not_two() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let proxy = Proxy::start(db.upstream().await).await;
    let registry = Registry::open_postgres(&proxy.url(&db.url), test_config())
        .await
        .unwrap();
    proxy.cut_after_next_commit();
    let created = registry
        .create_request(
            jorge(),
            "Commit ambiguo",
            RequestState::Abierto,
            "Asistente",
            "creada",
        )
        .await
        .expect("the retry finds the committed request");
    assert!(proxy.commit_was_cut(), "the proxy never cut a commit");
    let direct = Registry::open_postgres(&db.url, test_config())
        .await
        .unwrap();
    let mine: Vec<_> = direct
        .list(&RequestFilter {
            rut: Some(jorge()),
            state: None,
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.subject == "Commit ambiguo")
        .collect();
    assert_eq!(mine.len(), 1, "a duplicate request: {mine:?}");
    assert_eq!(mine[0], created);
    assert_eq!(created.history.len(), 1);
}

/// Appending a history line is not run again after an unknown outcome (it would append the
/// line twice): the caller hears of the failure, and the line is there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_whose_commit_answer_is_lost_is_not_repeated() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let proxy = Proxy::start(db.upstream().await).await;
    let registry = Registry::open_postgres(&proxy.url(&db.url), test_config())
        .await
        .unwrap();
    let id = reclamos::registry::demo::PLAN_REQUEST;
    proxy.cut_after_next_commit();
    let result = registry.append_history(id, "Ana", "Una sola vez").await;
    assert!(proxy.commit_was_cut(), "the proxy never cut a commit");
    assert!(result.is_err(), "{result:?}");
    let direct = Registry::open_postgres(&db.url, test_config())
        .await
        .unwrap();
    let history = direct.request(id).await.unwrap().unwrap().history;
    let copies = history.iter().filter(|h| h.text == "Una sola vez").count();
    assert_eq!(copies, 1, "{history:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_nodes_change_reaches_this_nodes_cache_within_the_poll_bound() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let this = Registry::open_postgres(&db.url, test_config())
        .await
        .unwrap();
    let other = Registry::open_postgres(&db.url, test_config())
        .await
        .unwrap();
    let count = this.requests_of(jorge()).await.unwrap().len();
    let hits = this.cache_counts().unwrap().hits;
    this.requests_of(jorge()).await.unwrap();
    assert_eq!(
        this.cache_counts().unwrap().hits,
        hits + 1,
        "served from the cache"
    );

    other
        .create_request(jorge(), "Desde otro nodo", RequestState::Abierto, "x", "y")
        .await
        .unwrap();
    let committed = Instant::now();
    let bound = reclamos::registry::postgres::POLL_EVERY + Duration::from_secs(2);
    loop {
        let now = this.requests_of(jorge()).await.unwrap().len();
        if now == count + 1 {
            break;
        }
        assert!(
            committed.elapsed() < bound,
            "the other node's request was not seen within {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!("another node's change seen after {:?}", committed.elapsed());
}

/// A test database, a proxy in front of it and a server that reaches it through the proxy;
/// `None` (the test is skipped) without PostgreSQL.
async fn server_behind_a_proxy() -> Option<(TestDb, Proxy, TestServer)> {
    let db = TestDb::new().await?;
    let proxy = Proxy::start(db.upstream().await).await;
    let url = proxy.url(&db.url);
    let server = TestServer::start_with(|config| config.db = Location::Postgres(url)).await;
    Some((db, proxy, server))
}

/// A silent partition (PostgreSQL stops answering and no connection closes): within the
/// poll's bound plus the background task's statement timeout the node drops its cache, so
/// a customer's request list gets the apology instead of a copy nobody can refresh (before:
/// the poll hung, the cache was served for as long as the partition lasted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_partition_clears_the_cache_instead_of_serving_stale_copies() {
    let Some((_db, proxy, server)) = server_behind_a_proxy().await else {
        return;
    };
    let mut customer = server.logged_in(JORGE).await;
    customer.send("1").await;
    let list = customer
        .recv_until_contains(to_customer::WHICH_REQUEST)
        .await;
    assert!(list.iter().any(|l| l.contains("123499")), "{list:?}");
    customer.send("volver").await;
    answer(&mut customer).await;

    proxy.set_frozen(true);
    let frozen = Instant::now();
    loop {
        customer.send("1").await;
        let lines = customer
            .recv_until(|l| l.contains(to_customer::WHICH_REQUEST) || l == "(4) Salir")
            .await;
        if lines.iter().any(|l| *l == to_customer::APOLOGY) {
            break;
        }
        assert!(
            frozen.elapsed() < Duration::from_secs(15),
            "the cached list was still served {:?} into the partition",
            frozen.elapsed()
        );
        customer.send("volver").await;
        answer(&mut customer).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("cache dropped {:?} into the partition", frozen.elapsed());
    proxy.set_frozen(false);
}

/// Reads lines until one contains `needle` or the menu's last line comes; returns the lines.
async fn answer(client: &mut crate::common::TestClient) -> Vec<String> {
    client.recv_until(|line| line == "(4) Salir").await
}

fn request_number(lines: &[String]) -> Option<u64> {
    lines.iter().find_map(|line| {
        let rest = line.strip_prefix(to_customer::RESTARTED_START)?;
        rest.trim_end_matches('.').parse().ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_apologises_while_postgres_is_away_and_recovers_by_itself() {
    let Some((db, proxy, server)) = server_behind_a_proxy().await else {
        return;
    };
    let mut customer = server.logged_in(JORGE).await;
    customer.send("2").await;
    let before = request_number(&answer(&mut customer).await).expect("a restart before the outage");

    proxy.set_down(true);
    // What needs no store is still answered.
    customer.send("zzkq wvvx").await;
    let lines = answer(&mut customer).await;
    assert!(
        lines.iter().any(|l| *l == to_customer::NOT_UNDERSTOOD),
        "{lines:?}"
    );
    // What needs the store gets the apology, in bounded time.
    let asked = Instant::now();
    customer.send("2").await;
    let lines = answer(&mut customer).await;
    assert!(
        lines.iter().any(|l| *l == to_customer::APOLOGY) && request_number(&lines).is_none(),
        "{lines:?}"
    );
    println!("apology after {:?} with PostgreSQL away", asked.elapsed());

    // PostgreSQL is back: the same server recovers without a restart.
    proxy.set_down(false);
    let back = Instant::now();
    let after = loop {
        customer.send("2").await;
        if let Some(id) = request_number(&answer(&mut customer).await) {
            break id;
        }
        assert!(back.elapsed() < Duration::from_secs(20), "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!(
        "first restart recorded {:?} after PostgreSQL came back",
        back.elapsed()
    );
    assert!(after > before);
    let direct = Registry::open_postgres(&db.url, test_config())
        .await
        .unwrap();
    for id in [before, after] {
        assert!(
            direct.request(id).await.unwrap().is_some(),
            "request {id} lost"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_times_out_within_the_budget_without_blocking_the_runtime() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let budget = Duration::from_secs(1);
    let config = reclamos::registry::StoreConfig {
        pool_size: 1,
        op_timeout: budget,
        ..test_config()
    };
    let registry = Registry::open_postgres(&db.url, config).await.unwrap();
    // Another session locks a request: a change to it holds the pool's only connection.
    let mut other = db.client().await;
    let lock = other.transaction().await.unwrap();
    lock.execute(
        "SELECT 1 FROM requests WHERE id = $1 FOR UPDATE",
        &[&(reclamos::registry::demo::PLAN_REQUEST as i64)],
    )
    .await
    .unwrap();
    let started = Instant::now();
    let ticks = tokio::spawn(async {
        let mut ticks = 0;
        let mut interval = tokio::time::interval(Duration::from_millis(50));
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until {
            interval.tick().await;
            ticks += 1;
        }
        ticks
    });
    let (stuck, waiting) = tokio::join!(
        registry.set_state(
            reclamos::registry::demo::PLAN_REQUEST,
            RequestState::Cerrado,
            "Ana"
        ),
        async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            registry.customers().await
        }
    );
    let took = started.elapsed();
    assert!(
        matches!(stuck, Err(ref e) if e.is_unavailable()),
        "{stuck:?}"
    );
    assert!(
        matches!(waiting, Err(ref e) if e.is_unavailable()),
        "{waiting:?}"
    );
    assert!(took < budget * 2 + Duration::from_secs(1), "took {took:?}");
    assert!(ticks.await.unwrap() >= 10, "the runtime stalled");
    // Once the lock is gone the registry works again.
    lock.rollback().await.unwrap();
    let closed = async {
        loop {
            match registry
                .set_state(
                    reclamos::registry::demo::PLAN_REQUEST,
                    RequestState::Cerrado,
                    "Ana",
                )
                .await
            {
                Ok(request) => break request,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    };
    let closed = tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the registry recovers");
    assert_eq!(closed.state, RequestState::Cerrado);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_postgres_restart_while_customers_chat_loses_nothing() {
    let Some(pg) = tokio::task::block_in_place(super::OwnServer::start) else {
        return;
    };
    let url = pg.url.clone();
    let server = TestServer::start_with(|config| config.db = Location::Postgres(url)).await;
    let mut customer = server.logged_in(JORGE).await;
    customer.send("2").await;
    let before = request_number(&answer(&mut customer).await).expect("a restart before");

    tokio::task::block_in_place(|| pg.stop());
    customer.send("zzkq wvvx").await;
    let lines = answer(&mut customer).await;
    assert!(
        lines.iter().any(|l| *l == to_customer::NOT_UNDERSTOOD),
        "{lines:?}"
    );
    customer.send("2").await;
    let lines = answer(&mut customer).await;
    assert!(
        lines.iter().any(|l| *l == to_customer::APOLOGY) && request_number(&lines).is_none(),
        "{lines:?}"
    );

    tokio::task::block_in_place(|| pg.restart());
    let back = Instant::now();
    let after = loop {
        customer.send("2").await;
        if let Some(id) = request_number(&answer(&mut customer).await) {
            break id;
        }
        assert!(back.elapsed() < Duration::from_secs(20), "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("recovered {:?} after PostgreSQL restarted", back.elapsed());
    let direct = Registry::open_postgres(&pg.url, test_config())
        .await
        .unwrap();
    for id in [before, after] {
        assert!(
            direct.request(id).await.unwrap().is_some(),
            "request {id} lost"
        );
    }
}
