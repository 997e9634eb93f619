//! Abuse resistance, the rest of issue 18: wrong executives' tokens counted for the whole
//! server and kept across reconnections and restarts, the queue's idle limit, and the cap
//! on the transcript lines a live chat keeps.

use std::net::IpAddr;
use std::time::Duration;

use crate::common::{eventually_async, TestClient, TestServer, JORGE, TOKEN};
use reclamos::protocol::{agent as to_agent, customer as to_customer, history as to_history};
use reclamos::registry::{RequestFilter, RequestState, TokenLockout};
use reclamos::rut::Rut;
use reclamos::server::budget::Budget;
use reclamos::server::{Config, Server};

/// An upper bound for anything these tests wait for: far above the limits they set.
const GENEROUS: Duration = Duration::from_secs(30);

/// The lock-out these tests use: every 3 wrong tokens, 2 s (shown as 1 minute, rounded up).
const LOCKOUT: TokenLockout = TokenLockout {
    every: 3,
    base: Duration::from_secs(2),
};

fn lockout_config(config: &mut Config) {
    config.policy.token_lockout = LOCKOUT;
    // Off, so that what locks is the server's count, not an address's budget.
    config.limits.address_token_attempts = Budget::Off;
}

/// Connects to the executives' port from `source` and types `token`; returns the answer.
async fn try_token(server: &Server, source: IpAddr, token: &str) -> (TestClient, String) {
    let mut client = TestClient::connect_from(server.agent_addr, source).await;
    client.expect(to_agent::GREETING).await;
    client.send(token).await;
    let answer = client.recv().await;
    (client, answer)
}

fn loopback(last: u8) -> IpAddr {
    [127, 0, 0, last].into()
}

/// Wrong tokens are counted for the server, not the connection or the address: three
/// wrong ones from three addresses lock the executives' login, with the right token too,
/// across a restart; once the lock passes the right token gets in (before: each
/// connection got a fresh try and only its address was slowed down).
#[tokio::test]
async fn wrong_tokens_lock_the_whole_server_across_reconnections_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reclamos.db");
    let start = || async {
        let mut config = Config::local(db.clone(), TOKEN);
        lockout_config(&mut config);
        Server::start(config, reclamos::console::Console::capture())
            .await
            .expect("server starts")
    };
    let server = start().await;
    let locked = to_agent::tokens_locked_for(1);
    for (i, source) in [2, 3, 4].into_iter().enumerate() {
        let (mut client, answer) = try_token(&server, loopback(source), "adivinanza").await;
        let expected = if i < 2 {
            to_agent::TOKEN_INVALID
        } else {
            &locked
        };
        assert_eq!(answer, expected, "wrong token {}", i + 1);
        client.expect_closed().await;
    }
    // The right token, from an address that never guessed, is refused the same way.
    let (mut client, answer) = try_token(&server, loopback(5), TOKEN).await;
    assert_eq!(answer, locked);
    client.expect_closed().await;

    // A restart does not forget the count.
    server.shutdown().await;
    let server = start().await;
    let (mut client, answer) = try_token(&server, loopback(6), TOKEN).await;
    assert_eq!(answer, locked);
    client.expect_closed().await;

    // Once the lock-out passes, the honest executive logs in.
    let started = tokio::time::Instant::now();
    let mut executive = loop {
        assert!(started.elapsed() < GENEROUS, "the lock-out never passed");
        let (client, answer) = try_token(&server, loopback(7), TOKEN).await;
        if answer == to_agent::TOKEN_ACCEPTED {
            break client;
        }
        assert_eq!(answer, locked);
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    executive.send("JuanPerez").await;
    let welcome = executive.recv().await;
    assert!(
        welcome.starts_with(&format!("{}JuanPerez.", to_agent::WELCOME_START)),
        "{welcome}"
    );
    // The right token forgot the count: the next wrong one is the first of a new round.
    let (_client, answer) = try_token(&server, loopback(8), "adivinanza").await;
    assert_eq!(answer, to_agent::TOKEN_INVALID);
    server.shutdown().await;
}

/// The newest request of `rut`.
async fn newest_request(server: &TestServer, rut: Rut) -> reclamos::registry::Request {
    server
        .registry()
        .list(&RequestFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.rut == rut)
        .max_by_key(|r| r.id)
        .expect("a request")
}

/// A customer who waits without writing while nobody takes them leaves the queue after
/// the queue's idle limit: told why, their contact request closed with a history entry,
/// back at the menu with the connection open (before: they waited forever).
#[tokio::test]
async fn a_silent_customer_nobody_takes_leaves_the_queue_after_the_idle_limit() {
    let server = TestServer::start_with(|config| {
        config.limits.queue_idle_timeout = Duration::from_secs(2);
    })
    .await;
    let jorge_rut: Rut = JORGE.parse().unwrap();
    let mut jorge = server.logged_in(JORGE).await;
    jorge.send("3").await;
    jorge.expect(&to_customer::enqueued(1)).await;
    let request = newest_request(&server, jorge_rut).await;
    assert_eq!(request.subject, to_history::CONTACT_SUBJECT);
    jorge.expect(&to_customer::no_agents(request.id)).await;
    jorge.expect_queue_hint().await;

    // Nothing is typed: the limit passes (the read waits up to 10 s for it).
    jorge
        .expect(&to_customer::queue_idle(Duration::from_secs(2), request.id))
        .await;
    jorge.expect(to_customer::MORE_HELP).await;
    jorge.expect_menu().await;

    let closed = eventually_async(
        || newest_request(&server, jorge_rut),
        |r| r.state == RequestState::Cerrado,
    )
    .await;
    assert_eq!(closed.id, request.id);
    assert_eq!(closed.state, RequestState::Cerrado);
    assert!(
        closed
            .history
            .iter()
            .any(|entry| entry.text == to_history::QUEUE_IDLE),
        "{:#?}",
        closed.history
    );
    // Nobody is left waiting: an executive who logs in finds an empty queue.
    let _executive = server.agent("JuanPerez").await;
    // The customer's connection is still theirs.
    jorge.send("4").await;
    jorge.expect(to_customer::GOODBYE).await;
    jorge.expect_closed().await;
}

/// Empty lines say nothing: sending one every second does not hold a place in the queue
/// (before this, any line reset the queue's idle limit).
#[tokio::test]
async fn empty_lines_do_not_hold_a_place_in_the_queue() {
    let server = TestServer::start_with(|config| {
        config.limits.queue_idle_timeout = Duration::from_secs(2);
    })
    .await;
    let mut jorge = server.logged_in(JORGE).await;
    jorge.send("3").await;
    jorge.expect(&to_customer::enqueued(1)).await;
    let request = newest_request(&server, JORGE.parse().unwrap()).await;
    jorge.expect(&to_customer::no_agents(request.id)).await;
    jorge.expect_queue_hint().await;
    let started = tokio::time::Instant::now();
    let notice = loop {
        assert!(
            started.elapsed() < GENEROUS,
            "empty lines held the place in the queue"
        );
        jorge.send("").await;
        // Nothing answers an empty line in the queue: the only line that can come is the
        // idle limit's.
        if let Ok(line) = tokio::time::timeout(Duration::from_secs(1), jorge.recv()).await {
            break line;
        }
    };
    assert_eq!(
        notice,
        to_customer::queue_idle(Duration::from_secs(2), request.id)
    );
}

/// During a live chat each party's lines kept in the request's transcript are capped:
/// every line still reaches the other party, each party is told once, and the transcript
/// holds at most the cap from each (before: every line was kept).
#[tokio::test]
async fn a_live_chat_keeps_a_bounded_transcript_and_says_so_once() {
    const CAP: usize = 3;
    let server = TestServer::start_with(|config| {
        config.policy.max_transcript_lines = CAP;
    })
    .await;
    let mut executive = server.agent("JuanPerez").await;
    let mut jorge = server.logged_in(JORGE).await;
    jorge.send("3").await;
    jorge.expect(&to_customer::enqueued(1)).await;
    jorge
        .recv_until(|l| l.starts_with(&to_customer::assigned_start("JuanPerez")))
        .await;
    executive.recv_until(|l| l == to_agent::CHAT_HINT).await;
    let request = newest_request(&server, JORGE.parse().unwrap()).await.id;

    let sent = CAP + 3;
    for i in 1..=sent {
        let line = format!("mensaje {i} del cliente");
        jorge.send(&line).await;
        executive
            .expect(&to_agent::from_customer("Jorge Sandoval", &line))
            .await;
        if i == CAP + 1 {
            jorge.expect(to_customer::TRANSCRIPT_FULL).await;
        }
    }
    for i in 1..=sent {
        let line = format!("respuesta {i} del ejecutivo");
        executive.send(&line).await;
        if i == CAP + 1 {
            executive.expect(to_agent::TRANSCRIPT_FULL).await;
        }
        jorge
            .expect(&to_customer::from_agent("JuanPerez", &line))
            .await;
    }
    // Told once each: the next lines from both sides are the other party's only.
    jorge.send("una más").await;
    executive
        .expect(&to_agent::from_customer("Jorge Sandoval", "una más"))
        .await;
    executive.send("otra más").await;
    jorge
        .expect(&to_customer::from_agent("JuanPerez", "otra más"))
        .await;

    let transcript = server.registry().transcript(request).await.unwrap();
    let from = |speaker: &str| transcript.iter().filter(|l| l.speaker == speaker).count();
    assert_eq!(from("Jorge Sandoval"), CAP, "{transcript:#?}");
    assert_eq!(from("JuanPerez"), CAP, "{transcript:#?}");
}
