//! Abuse resistance, the rest of issue 18: wrong executives' tokens counted for the whole
//! server and kept across reconnections and restarts.

use std::net::IpAddr;
use std::time::Duration;

use crate::common::{TestClient, TOKEN};
use reclamos::protocol::agent as to_agent;
use reclamos::registry::TokenLockout;
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
