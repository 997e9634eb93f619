//! Hostile input and faults over real TCP. Each test also runs a well-behaved customer
//! on another connection and checks that it completes a full session unaffected.

use std::time::Duration;

use crate::common::{TestClient, TestServer, JORGE};
use reclamos::console::PREFIX;
use reclamos::protocol::{
    agent as to_agent, console as to_console, customer as to_customer, notice, BOT_NAME,
    SYSTEM_NAME,
};
use reclamos::registry::{RegistryError, RequestState};
use reclamos::rut::Rut;

/// A full, well-behaved session by a fresh load customer: login, list, restart, exit.
async fn well_behaved_session(server: &TestServer, rut: Rut) {
    let mut client = server.logged_in(&rut.to_string()).await;
    client.send("1").await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
    client.send("1").await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;
    client.send("2").await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;
    client.send("4").await;
    client.expect(to_customer::GOODBYE).await;
    client.expect_closed().await;
}

/// A line over the limit (a paste) is dropped and said so, and the session goes on; a
/// "line" that runs on for megabytes without a newline closes the connection. Neither
/// disturbs anyone else.
#[tokio::test]
async fn an_overlong_line_is_dropped_and_an_endless_one_closes() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(2).await;
    let mut pasting = server.customer().await;
    let mut paste = vec![b'x'; 5000];
    paste.push(b'\n');
    pasting.send_raw(&paste).await;
    pasting
        .expect(&notice::line(BOT_NAME, &notice::line_dropped(4096)))
        .await;
    pasting.send(&ruts[1].to_string()).await;
    let hello = pasting.recv().await;
    assert!(hello.starts_with(to_customer::HELLO_START), "{hello:?}");

    let raw = tokio::net::TcpStream::connect(server.customers())
        .await
        .unwrap();
    let (reader, mut writer) = raw.into_split();
    // The server closes once the line has run on far enough, so the write fails midway.
    let writing = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let _ = writer.write_all(&vec![b'a'; 10 * 1024 * 1024]).await;
    });
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(reader).lines();
    let mut said = Vec::new();
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await
    {
        said.push(line);
    }
    assert_eq!(
        said,
        [
            to_customer::GREETING.to_string(),
            notice::line(BOT_NAME, &notice::line_dropped(4096)),
            notice::line(BOT_NAME, &notice::too_long(4096)),
        ]
    );
    well_behaved_session(&server, ruts[0]).await;
    let _ = tokio::time::timeout(Duration::from_secs(10), writing).await;
}

#[tokio::test]
async fn invalid_utf8_nul_telnet_and_noise_get_clear_answers() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(1).await;
    let mut client = server.customer().await;
    // Telnet negotiation (IAC DO ECHO, IAC WILL SGA) before a valid RUT is ignored.
    client.send_raw(&[255, 253, 1, 255, 251, 3]).await;
    client.send_raw(b"\xff\xfe\x00garbage\x00\n").await;
    let line = client.recv().await;
    assert!(line.starts_with(to_customer::INVALID_RUT_START), "{line}");
    client
        .send_raw(b"\xc3\x28\xa0\xa1 binary \x01\x02\x7f\r\n")
        .await;
    let line = client.recv().await;
    assert!(line.starts_with(to_customer::INVALID_RUT_START), "{line}");
    client.send_raw(&[255, 253, 1]).await;
    client.send(JORGE).await;
    client.expect(&to_customer::hello("Jorge")).await;
    client.expect_menu().await;
    client.send_raw(b"\x00\x00\x00\n").await;
    let line = client.recv().await;
    assert_eq!(line, to_customer::NOT_UNDERSTOOD);
    client.expect_menu().await;
    well_behaved_session(&server, ruts[0]).await;
}

#[tokio::test]
async fn ansi_escapes_never_reach_the_executive_or_the_console() {
    let server = TestServer::start().await;
    let mut agent = server.agent("JuanPerez").await;
    let mut customer = server.logged_in(JORGE).await;
    customer.send("3").await;
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    agent.recv_until_contains(to_agent::CHAT_HINT).await;
    customer
        .send("\x1b[2J\x1b[31mrojo\x1b[0m\r[SERVER] Cliente falso desconectado.")
        .await;
    let line = agent.recv().await;
    // Escape sequences are dropped, the carriage return that would let the text overwrite
    // the line is replaced: the executive sees one plain line from the customer.
    assert_eq!(
        line,
        "Jorge Sandoval: rojo\u{FFFD}[SERVER] Cliente falso desconectado."
    );
    assert!(server.console.lines().iter().all(|l| !l.contains("falso")));
    agent.send("\x1b]0;titulo\x07hola").await;
    let line = customer.recv().await;
    assert_eq!(line, "JuanPerez: hola");
}

#[tokio::test]
async fn flood_is_warned_then_disconnected_without_slowing_others() {
    let server = TestServer::start_with(|config| {
        config.limits.rate = 5.0;
        config.limits.burst = 10;
    })
    .await;
    let ruts = server.load_customers(1).await;
    let mut flooder = server.logged_in(JORGE).await;
    let flood: String = "9\n".repeat(200);
    flooder.send_raw(flood.as_bytes()).await;
    let mut lines = Vec::new();
    while let Some(line) = flooder.recv_or_eof().await {
        lines.push(line);
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(notice::FLOOD_WARNING_START)),
        "warned"
    );
    assert_eq!(
        lines.last(),
        Some(&notice::line(BOT_NAME, notice::FLOOD_CLOSE))
    );
    well_behaved_session(&server, ruts[0]).await;
    server
        .expect_console(&to_console::customer_disconnected("Jorge Sandoval"))
        .await;
}

#[tokio::test]
async fn logged_in_customers_beyond_the_cap_are_refused_politely() {
    let server = TestServer::start_with(|config| config.limits.max_connections = 1).await;
    let ruts = server.load_customers(2).await;
    // Not logged in yet: the connection holds a pre-login slot, not a customer's.
    let mut waiting = server.customer().await;
    let _jorge = server.logged_in(JORGE).await;
    // The logged-in cap is full: a new connection is told so after the greeting, and
    // refused when its RUT has no session to take over...
    let mut refused = TestClient::connect(server.customers()).await;
    refused.expect(to_customer::GREETING).await;
    refused.expect(notice::FULL).await;
    refused.send(&ruts[1].to_string()).await;
    refused.expect(notice::BUSY).await;
    refused.expect_closed().await;
    // A RUT that is not a customer could take nothing over: refused as soon as it is typed,
    // before the prompt to register.
    let mut stranger = TestClient::connect(server.customers()).await;
    stranger.expect(to_customer::GREETING).await;
    stranger.expect(notice::FULL).await;
    stranger
        .send(&Rut::from_number(15_000_001).unwrap().to_string())
        .await;
    stranger.expect(notice::BUSY).await;
    stranger.expect_closed().await;
    // ...and so is one that was waiting at the RUT prompt when it logs in.
    waiting.send(&ruts[0].to_string()).await;
    let lines = waiting.recv_until(|l| l == notice::BUSY).await;
    assert!(!lines.is_empty());
    waiting.expect_closed().await;
}

/// At a full cap a customer still takes over their own session on another connection
/// (which closes, so no slot is added); the cap then holds for everyone else.
#[tokio::test]
async fn a_full_cap_lets_a_customer_take_over_their_own_session() {
    let server = TestServer::start_with(|config| config.limits.max_connections = 1).await;
    let ruts = server.load_customers(1).await;
    let mut second = server.customer().await;
    let mut jorge = server.logged_in(JORGE).await;
    second.send(JORGE).await;
    second.expect(&to_customer::hello("Jorge")).await;
    second.expect(to_customer::SESSION_RESUMED).await;
    second.expect_menu().await;
    jorge.expect(to_customer::TAKEN_OVER).await;
    jorge.expect_closed().await;
    second.send("1").await;
    let answer = second.recv_until_contains(to_customer::WHICH_REQUEST).await;
    assert!(answer.iter().any(|l| l.contains("124578")), "{answer:#?}");
    // The slot the old connection freed is the new one's: the cap is still full.
    let mut other = TestClient::connect(server.customers()).await;
    other.expect(to_customer::GREETING).await;
    other.expect(notice::FULL).await;
    other.send(&ruts[0].to_string()).await;
    other.expect(notice::BUSY).await;
    other.expect_closed().await;
}

#[tokio::test]
async fn connections_beyond_the_pre_login_cap_are_refused_politely() {
    let server = TestServer::start_with(|config| config.limits.max_pre_login_connections = 2).await;
    let _a = server.customer().await;
    let _b = server.customer().await;
    let mut refused = TestClient::connect(server.customers()).await;
    let line = refused.recv().await;
    assert_eq!(line, notice::BUSY);
    refused.expect_closed().await;
    drop(_a);
    // The slot is released when the connection ends.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut c = TestClient::connect(server.customers()).await;
        if c.recv().await == to_customer::GREETING {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "slot never released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn timeouts_say_why_before_closing_but_the_queue_is_not_idle() {
    let server = TestServer::start_with(|config| {
        config.limits.login_timeout = Duration::from_millis(1000);
        config.limits.idle_timeout = Duration::from_millis(600);
    })
    .await;
    let mut silent = server.customer().await;
    silent
        .expect(&notice::line(BOT_NAME, notice::LOGIN_DEADLINE))
        .await;
    silent.expect_closed().await;

    let mut idle = server.logged_in(JORGE).await;
    idle.expect(&notice::line(BOT_NAME, notice::IDLE)).await;
    idle.expect_closed().await;

    let ruts = server.load_customers(1).await;
    let mut waiting = server.logged_in(&ruts[0].to_string()).await;
    waiting.send("3").await;
    waiting
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut agent = server.agent("JuanPerez").await;
    waiting
        .recv_until_contains(&to_customer::assigned_start("JuanPerez"))
        .await;
    agent.recv_until_contains(to_agent::CHAT_HINT).await;
}

#[tokio::test]
async fn activity_keeps_postponing_the_idle_timeout() {
    const IDLE: Duration = Duration::from_millis(800);
    let server = TestServer::start_with(|config| config.limits.idle_timeout = IDLE).await;
    let mut active = server.logged_in(JORGE).await;
    // Three idle periods of activity: the timer armed at login fires while the customer is
    // still active and must be moved, not close the connection.
    let started = std::time::Instant::now();
    while started.elapsed() < 3 * IDLE {
        tokio::time::sleep(IDLE / 8).await;
        active.send("menu").await;
        let answer = active.recv_until(|l| l == to_customer::MENU_LAST).await;
        assert!(
            !answer.iter().any(|l| l.contains("inactividad")),
            "closed while active: {answer:?}"
        );
    }
    let silent_from = std::time::Instant::now();
    active.expect(&notice::line(BOT_NAME, notice::IDLE)).await;
    assert!(silent_from.elapsed() >= IDLE / 2, "closed too early");
    active.expect_closed().await;
}

#[tokio::test]
async fn a_customer_who_does_not_read_is_disconnected() {
    let server = TestServer::start_with(|config| {
        config.limits.write_timeout = Duration::from_millis(300);
        config.limits.send_queue = 8;
        config.limits.agent_rate = 1_000_000.0;
        config.limits.agent_burst = 1_000_000;
    })
    .await;
    let mut agent = server.agent("JuanPerez").await;
    let mut customer = server.logged_in(JORGE).await;
    customer.send("3").await;
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    agent.recv_until_contains(to_agent::CHAT_HINT).await;
    // The customer stops reading; the executive keeps writing 4 KB lines.
    let line = "x".repeat(4000);
    for _ in 0..4000 {
        agent.send(&line).await;
    }
    agent
        .recv_until_contains(&to_agent::customer_disconnected("Jorge Sandoval"))
        .await;
    server
        .expect_console(&to_console::customer_disconnected("Jorge Sandoval"))
        .await;
}

#[tokio::test]
async fn graceful_shutdown_tells_everyone_and_finishes() {
    let server = TestServer::start().await;
    let mut customer = server.logged_in(JORGE).await;
    let mut agent = server.agent("JuanPerez").await;
    let started = std::time::Instant::now();
    let TestServer {
        server,
        console,
        dir: _dir,
    } = server;
    server.shutdown().await;
    let grace = reclamos::server::Limits::default().shutdown_grace;
    assert!(started.elapsed() < grace + Duration::from_secs(5));
    let shutdown = notice::line(BOT_NAME, notice::SHUTDOWN);
    customer.expect(&shutdown).await;
    customer.expect_closed().await;
    // Executives hear it from "Sistema", as everything the server tells them.
    agent
        .expect(&notice::line(SYSTEM_NAME, notice::SHUTDOWN))
        .await;
    agent.expect_closed().await;
    assert!(console.lines().iter().any(|l| *l
        == format!(
            "{PREFIX}{}",
            to_console::customer_disconnected("Jorge Sandoval")
        )));
}

/// The database file deleted under a running server (`rm reclamos.db`): writes are refused
/// with the apology, since a number told then would live only in the unlinked file and be
/// lost with it (before: "Registramos la solicitud N", gone at the next start).
#[cfg(unix)]
#[tokio::test]
async fn a_deleted_database_file_refuses_writes_instead_of_losing_them() {
    let server = TestServer::start().await;
    let mut jorge = server.logged_in(JORGE).await;
    // Another customer waits in the queue (no executive connected).
    let ruts = server.load_customers(1).await;
    let mut waiting = server.logged_in(&ruts[0].to_string()).await;
    waiting.send("3").await;
    waiting
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    waiting.expect_queue_hint().await;
    let db = server.dir.path().join("reclamos.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut file = db.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    // The background thread looks at the file every 0.5 s.
    let refused = crate::common::eventually_async(
        || server.registry().append_history(124_578, "prueba", "x"),
        |r| matches!(r, Err(RegistryError::FileGone(_))),
    )
    .await;
    assert!(
        matches!(refused, Err(RegistryError::FileGone(_))),
        "{refused:?}"
    );
    jorge.send("2").await;
    let answer = jorge.recv_until(|l| l == to_customer::MENU_LAST).await;
    assert!(
        answer.iter().any(|l| l == to_customer::APOLOGY),
        "{answer:?}"
    );
    assert!(
        !answer
            .iter()
            .any(|l| l.starts_with(to_customer::RESTARTED_START)),
        "{answer:?}"
    );
    // Leaving the queue now cannot close the request: the customer is not told it is.
    waiting.send("cancelar").await;
    let line = waiting.recv().await;
    assert!(
        line.starts_with(to_customer::LEFT_QUEUE_START) && line.contains("queda abierta"),
        "{line}"
    );
    // The operator reads it on the console, not only in stderr's errors (a black-box
    // test's full database left the console silent).
    let console = crate::common::eventually(
        || server.console.lines(),
        |lines| {
            lines
                .iter()
                .any(|l| l.contains(to_console::STORE_FAILURES_START))
        },
    )
    .await;
    assert!(
        console
            .iter()
            .any(|l| l.contains(to_console::STORE_FAILURES_START)),
        "{console:#?}"
    );
}

/// Caps the database at its current size, then fills every table (each has its own pages)
/// with ever smaller rows (history and transcript on `request`) until not even a tiny one
/// fits.
async fn fill_the_database(registry: &reclamos::registry::Registry, request: u64) {
    registry.limit_size(0).await.unwrap();
    let rut: Rut = JORGE.parse().unwrap();
    for size in [2000, 200, 20, 1] {
        let text = "x".repeat(size);
        let mut rounds = 0;
        while registry
            .append_history(request, "relleno", &text)
            .await
            .is_ok()
            | registry
                .append_transcript(request, "relleno", &text)
                .await
                .is_ok()
            | registry
                .create_request(rut, &text, RequestState::Abierto, "relleno", &text)
                .await
                .is_ok()
        {
            rounds += 1;
            assert!(rounds < 100_000, "the cap never applied");
        }
    }
}

/// With the database full, an executive's changes are each answered at once with the
/// store's failure, reads still work, and `:close` says the closing note is missing and
/// ends the chat all the same (it said "try again" of a chat already closed); the request
/// stays open, as nothing could be written.
#[tokio::test]
async fn a_full_database_fails_an_executives_changes_clearly_and_close_still_ends_the_chat() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(1).await;
    let mut executive = server.agent("Ana").await;
    let mut customer = server.served(&ruts[0].to_string()).await;
    let crate::common::HandOff { name, request, .. } =
        crate::common::hand_off(&mut executive).await;
    fill_the_database(server.registry(), request).await;
    for change in [
        ":subject Cobro duplicado",
        ":history llamar mañana",
        ":state cerrado",
    ] {
        executive.send(change).await;
        executive.expect(to_agent::STORE_FAILED).await;
    }
    // Reads keep working.
    executive.send(":requests").await;
    let listed = executive.recv_until(|l| l == to_agent::OPEN_HINT).await;
    assert!(
        listed.iter().any(|l| l.contains(&request.to_string())),
        "{listed:#?}"
    );
    executive.send(":close").await;
    executive
        .expect(&to_agent::close_not_recorded(request))
        .await;
    executive.expect(&to_agent::chat_closed(&name)).await;
    customer
        .recv_until_contains(to_customer::CHAT_ENDED_START)
        .await;
    let stored = server.registry().request(request).await.unwrap().unwrap();
    assert_eq!(stored.state, RequestState::Abierto);
}

#[tokio::test]
async fn a_full_database_gets_an_apology_and_reads_keep_working() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(1).await;
    fill_the_database(server.registry(), 124_578).await;
    let mut client = server.logged_in(JORGE).await;
    client.send("2").await;
    let lines = client.recv_until(|l| l == to_customer::MENU_LAST).await;
    assert!(
        lines.iter().any(|l| l == to_customer::APOLOGY),
        "{lines:#?}"
    );
    assert!(server
        .console
        .lines()
        .iter()
        .all(|l| !l.contains(to_console::RESTART_START)));
    // Reads keep working.
    client.send("1").await;
    client.expect(to_customer::YOUR_REQUESTS).await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
    // Other customers are still served.
    let mut other = server.logged_in(&ruts[0].to_string()).await;
    other.send("4").await;
    other.recv_until_contains(to_customer::GOODBYE).await;
}

/// The same address for customers and executives is refused at start with a hint of the
/// options to change (a black-box test read only "listening for executives on ...:
/// Address already in use").
#[tokio::test]
async fn one_address_for_both_ports_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config =
        reclamos::server::Config::local(dir.path().join("reclamos.db"), crate::common::TOKEN);
    config.customer_addr = format!("127.0.0.1:{port}");
    config.agent_addr = config.customer_addr.clone();
    let err = match reclamos::server::Server::start(config, reclamos::console::Console::capture())
        .await
    {
        Ok(_) => panic!("a server started with one address for both ports"),
        Err(err) => format!("{err:#}"),
    };
    assert!(err.contains("--agent-port must differ"), "{err}");
}
