//! Waiting for an executive over real TCP (issue 16, item 7): the queue line's estimated
//! wait with and without recent hand-offs, a customer moved back in line told why, and a
//! second login with the same RUT taking the session over (the old connection told and
//! closed; a place in the queue kept; a chat ended as a disconnection; the identity
//! card's serial still asked before a secret).

use crate::common::{
    self, eventually_async, request_of, TestClient, TestServer, JORGE, JORGE_SERIAL,
};
use reclamos::console::PREFIX;
use std::time::Duration;

use reclamos::protocol::{
    agent as to_agent, console, customer as to_customer, history, notice, BOT_NAME,
};
use reclamos::registry::RequestState;
use reclamos::rut::Rut;

/// The RUT of Jorge's WiFi request, whose answer is a secret.
const WIFI_REQUEST: u64 = 124_578;
const WIFI_ANSWER: &str = "Asistente: su nueva clave wifi es: estaesmiclave";

/// Reads an executive's lines up to the chat hint; returns the customer's name.
async fn hand_off(agent: &mut TestClient) -> String {
    common::hand_off(agent).await.name
}

/// Reads an executive's lines up to the chat hint; returns the hand-off's request number.
async fn handed_off_request(agent: &mut TestClient) -> u64 {
    request_of(&common::hand_off(agent).await.lines[0])
}

/// Closes the executive's current chat with `name`.
async fn close(agent: &mut TestClient, name: &str) {
    agent.send(":close").await;
    agent.expect(&to_agent::chat_closed(name)).await;
}

/// Jorge logged in and handed to Ana: her connection, his, and the chat's request.
async fn jorge_chatting_with_ana(server: &TestServer) -> (TestClient, TestClient, u64) {
    let mut ana = server.agent("Ana").await;
    let mut jorge = server.logged_in(JORGE).await;
    jorge.send("3").await;
    jorge.recv_until_contains(to_customer::ASSIGNED_START).await;
    let request = handed_off_request(&mut ana).await;
    (ana, jorge, request)
}

/// A new connection that typed Jorge's RUT while his chat is on another one: asked for
/// the serial.
async fn at_the_serial_prompt(server: &TestServer) -> TestClient {
    let mut new = server.customer().await;
    new.send(JORGE).await;
    new.expect(to_customer::CHAT_ELSEWHERE).await;
    new
}

#[tokio::test]
async fn the_queue_line_gives_an_estimate_once_there_are_hand_offs() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(5).await;
    let mut ana = server.agent("Ana").await;
    // The first is served at once: no estimate, the executive's line follows.
    let mut served = server.logged_in(&ruts[0].to_string()).await;
    served.send("3").await;
    served.expect(&to_customer::enqueued(1)).await;
    served
        .recv_until(|l| l.starts_with(&to_customer::assigned_start("Ana")))
        .await;
    // Three wait behind, with no hand-off timed yet: said honestly.
    let mut waiting = Vec::new();
    for (i, rut) in ruts[1..4].iter().enumerate() {
        let mut customer = server.logged_in(&rut.to_string()).await;
        customer.send("3").await;
        customer.expect(&to_customer::enqueued(i + 1)).await;
        customer.expect(to_customer::WAIT_UNKNOWN).await;
        customer.expect_queue_hint().await;
        waiting.push(customer);
    }
    // Three hand-offs of customers who waited.
    let mut name = hand_off(&mut ana).await;
    for customer in &mut waiting {
        close(&mut ana, &name).await;
        customer
            .recv_until_contains(to_customer::ASSIGNED_START)
            .await;
        name = hand_off(&mut ana).await;
    }
    // The next one hears an estimate from them.
    let mut last = server.logged_in(&ruts[4].to_string()).await;
    last.send("3").await;
    last.expect(&to_customer::enqueued(1)).await;
    let estimate = last.recv().await;
    assert!(
        estimate.starts_with(to_customer::WAIT_ESTIMATE_START),
        "{estimate}"
    );
    // With nobody online, the line says so (no estimate). Ana's customer in course makes
    // her :quit ask first.
    ana.send(":quit").await;
    ana.expect(&to_agent::quit_with_chats(1)).await;
    ana.send(":quit").await;
    ana.expect(to_agent::GOODBYE).await;
    ana.expect_closed().await;
    server
        .expect_console(&console::agent_disconnected("Ana"))
        .await;
    let mut alone = server.logged_in(JORGE).await;
    alone.send("3").await;
    let lines = alone
        .recv_until(|l| l.starts_with(to_customer::NO_AGENTS_START))
        .await;
    assert_eq!(lines[0], to_customer::enqueued(3), "{lines:#?}");
    assert_eq!(lines.len(), 2, "{lines:#?}");
}

#[tokio::test]
async fn a_customer_moved_back_in_line_is_told_why() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(3).await;
    let mut ana = server.agent("Ana").await;
    let mut chatting = server.logged_in(&ruts[0].to_string()).await;
    chatting.send("3").await;
    chatting
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    hand_off(&mut ana).await;
    let mut second = server.logged_in(&ruts[1].to_string()).await;
    second.send("3").await;
    second.expect(&to_customer::enqueued(1)).await;
    second.expect(to_customer::WAIT_UNKNOWN).await;
    second.expect_queue_hint().await;
    let mut third = server.logged_in(&ruts[2].to_string()).await;
    third.send("3").await;
    third.expect(&to_customer::enqueued(2)).await;
    third.expect(to_customer::WAIT_UNKNOWN).await;
    third.expect_queue_hint().await;
    // Ana's connection drops: her customer goes back to the head, the others move back.
    drop(ana);
    chatting.expect(&to_customer::agent_left("Ana")).await;
    // The last executive left: the customer hears it, as on joining.
    let nobody = chatting.recv().await;
    assert!(nobody.starts_with(to_customer::NO_AGENTS_START), "{nobody}");
    chatting.expect_queue_hint().await;
    chatting.expect(&to_customer::queue_position(1)).await;
    second.expect(&to_customer::moved_back(2)).await;
    third.expect(&to_customer::moved_back(3)).await;
    // Moving forward again is just the number.
    chatting.send("cancelar").await;
    chatting
        .recv_until_contains(to_customer::LEFT_QUEUE_START)
        .await;
    second.expect(&to_customer::queue_position(1)).await;
    third.expect(&to_customer::queue_position(2)).await;
}

/// Asks for the WiFi request and expects the serial-number prompt.
async fn ask_for_the_wifi_key(customer: &mut TestClient) {
    customer.send("1").await;
    customer
        .recv_until(|l| l == to_customer::WHICH_REQUEST)
        .await;
    customer.send(&WIFI_REQUEST.to_string()).await;
    customer.recv_until(|l| l == to_customer::ASK_SERIAL).await;
}

#[tokio::test]
async fn a_second_login_takes_the_session_over_and_the_serial_is_asked_again() {
    let server = TestServer::start().await;
    let mut old = server.logged_in(JORGE).await;
    // The old session proved the serial number.
    ask_for_the_wifi_key(&mut old).await;
    old.send(JORGE_SERIAL).await;
    old.expect(WIFI_ANSWER).await;
    old.recv_until(|l| l == to_customer::MENU_LAST).await;

    let mut new = server.customer().await;
    new.send(JORGE).await;
    new.expect(&to_customer::hello("Jorge")).await;
    new.expect(to_customer::SESSION_RESUMED).await;
    new.expect_menu().await;
    old.expect(to_customer::TAKEN_OVER).await;
    old.expect_closed().await;
    server
        .expect_console(&console::session_taken_over("Jorge Sandoval"))
        .await;

    // The new connection works, and the secret still needs the serial number.
    ask_for_the_wifi_key(&mut new).await;
    new.send(JORGE_SERIAL).await;
    new.expect(WIFI_ANSWER).await;
    new.recv_until(|l| l == to_customer::MENU_LAST).await;
    new.send("4").await;
    new.expect(to_customer::GOODBYE).await;
    new.expect_closed().await;
    server
        .expect_console(&console::customer_disconnected("Jorge Sandoval"))
        .await;
    // The old connection's end printed no "desconectado" of its own.
    let disconnected = format!(
        "{PREFIX}{}",
        console::customer_disconnected("Jorge Sandoval")
    );
    let lines = server.console.lines();
    assert_eq!(
        lines.iter().filter(|l| **l == disconnected).count(),
        1,
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_connection_lost_in_the_queue_keeps_the_place_for_a_new_one() {
    let server = TestServer::start().await;
    let grace = reclamos::server::Limits::default().queue_grace;
    let ruts = server.load_customers(1).await;
    let old = queued_with_a_message(&server, 1).await;
    let mut behind = server.logged_in(&ruts[0].to_string()).await;
    behind.send("3").await;
    behind.expect(&to_customer::enqueued(2)).await;
    behind
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    let jorge: Rut = JORGE.parse().unwrap();
    let request = open_contact_request(&server).await;

    // The connection drops (a phone losing signal): the place is kept.
    drop(old);
    server
        .expect_console(&console::away_in_queue("Jorge Sandoval", request, grace))
        .await;
    // Nobody is handed to an executive in his absence: the customer behind him is
    // served first, and he stays first in line, shown as away.
    let mut ana = server.agent("Ana").await;
    assert_eq!(hand_off(&mut ana).await, "Cliente Carga 1");
    ana.send(":queue").await;
    ana.expect(&to_agent::queue_header(1)).await;
    ana.expect(&to_agent::queue_item(1, "Jorge Sandoval", jorge, 1, true))
        .await;

    // He logs in again: the same place, the same request, what he wrote before.
    let mut new = server.customer().await;
    new.send(JORGE).await;
    new.expect(&to_customer::hello("Jorge")).await;
    new.expect(to_customer::SESSION_RESUMED).await;
    new.expect(&to_customer::still_queued(1)).await;
    ana.send(":queue").await;
    ana.expect(&to_agent::queue_header(1)).await;
    ana.expect(&to_agent::queue_item(1, "Jorge Sandoval", jorge, 1, false))
        .await;
    close(&mut ana, "Cliente Carga 1").await;
    let handed = common::hand_off(&mut ana).await;
    assert_eq!(
        (handed.name.as_str(), handed.request),
        ("Jorge Sandoval", request)
    );
    assert!(
        handed.lines.contains(&to_agent::backlog_line(
            "Jorge Sandoval",
            "me cobraron dos veces"
        )),
        "{:#?}",
        handed.lines
    );
    new.recv_until(|l| l.starts_with(&to_customer::assigned_start("Ana")))
        .await;
    let stored = server.registry().request(request).await.unwrap().unwrap();
    assert_eq!(stored.state, RequestState::Abierto);
    // He never left the queue, as far as the console is concerned.
    let left = console::left_queue("Jorge Sandoval", request, console::QueueExit::Disconnected);
    let lines = server.console.lines();
    assert!(!lines.contains(&format!("{PREFIX}{left}")), "{lines:#?}");
}

/// Jorge's open contact request (made by asking for an executive).
async fn open_contact_request(server: &TestServer) -> u64 {
    server
        .registry()
        .requests_of(JORGE.parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == history::CONTACT_SUBJECT && r.state == RequestState::Abierto)
        .expect("the contact request")
        .id
}

/// Jorge in the queue at `position` (no executive online), having left a line for the
/// executive ("me cobraron dos veces").
async fn queued_with_a_message(server: &TestServer, position: usize) -> TestClient {
    let mut jorge = server.logged_in(JORGE).await;
    jorge.send("3").await;
    jorge.expect(&to_customer::enqueued(position)).await;
    jorge
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    jorge.expect_queue_hint().await;
    jorge.send("me cobraron dos veces").await;
    jorge.expect(to_customer::MESSAGE_KEPT).await;
    jorge
}

/// Jorge waiting in the queue (no executive online) on a connection that then drops: his
/// contact request's number.
async fn jorge_lost_in_the_queue(server: &TestServer) -> u64 {
    let mut jorge = server.logged_in(JORGE).await;
    jorge.send("3").await;
    jorge.expect(&to_customer::enqueued(1)).await;
    jorge
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    let request = open_contact_request(server).await;
    drop(jorge);
    request
}

/// [`jorge_lost_in_the_queue`] at the default grace, once the hub keeps his place.
async fn jorge_away_in_the_queue(server: &TestServer) -> u64 {
    let grace = reclamos::server::Limits::default().queue_grace;
    let request = jorge_lost_in_the_queue(server).await;
    server
        .expect_console(&console::away_in_queue("Jorge Sandoval", request, grace))
        .await;
    request
}

/// An executive who came online while the customer was away stays free for him: logging in
/// again, he is handed over at once, without being told a place first.
#[tokio::test]
async fn a_customer_back_to_a_free_executive_is_served_at_once() {
    let server = TestServer::start().await;
    let request = jorge_away_in_the_queue(&server).await;
    let mut ana = server.agent("Ana").await;
    let mut jorge = server.customer().await;
    jorge.send(JORGE).await;
    jorge.expect(&to_customer::hello("Jorge")).await;
    jorge.expect(to_customer::SESSION_RESUMED).await;
    let next = jorge.recv().await;
    assert!(next.starts_with(to_customer::ASSIGNED_START), "{next}");
    let handed = common::hand_off(&mut ana).await;
    assert_eq!(
        (handed.name.as_str(), handed.request),
        ("Jorge Sandoval", request)
    );
    // The console says who came back before the hand-off their return allowed, once.
    server
        .expect_console_order(
            &console::session_taken_over("Jorge Sandoval"),
            &console::assigned_start("Jorge Sandoval", "Ana"),
        )
        .await;
    let taken = format!("{PREFIX}{}", console::session_taken_over("Jorge Sandoval"));
    let lines = server.console.lines();
    assert_eq!(
        lines.iter().filter(|l| **l == taken).count(),
        1,
        "{lines:#?}"
    );
}

#[tokio::test]
async fn with_no_grace_a_connection_lost_in_the_queue_loses_the_place_at_once() {
    let server = TestServer::start_with(|config| config.limits.queue_grace = Duration::ZERO).await;
    let request = jorge_lost_in_the_queue(&server).await;
    let exit = console::QueueExit::Disconnected;
    server
        .expect_console(&console::left_queue("Jorge Sandoval", request, exit))
        .await;
    let stored = eventually_async(
        || async { server.registry().request(request).await.unwrap().unwrap() },
        |r| r.state == RequestState::Cerrado,
    )
    .await;
    assert_eq!(stored.state, RequestState::Cerrado);
    // Nobody was told the place was kept.
    let kept = console::away_in_queue("Jorge Sandoval", request, Duration::ZERO);
    let kept = kept.split(':').next().unwrap();
    let lines = server.console.lines();
    assert!(!lines.iter().any(|l| l.contains(kept)), "{lines:#?}");
}

#[tokio::test]
async fn a_stop_during_the_grace_keeps_the_request_open() {
    let server = TestServer::start().await;
    let request = jorge_away_in_the_queue(&server).await;
    let registry = server.registry().clone();
    let console_log = server.console.clone();
    // The stop does not wait out the grace (the test's timeout would), and leaves the
    // request open, as for every customer a stop takes from the queue.
    server.server.shutdown().await;
    let stopped = console::left_queue("Jorge Sandoval", request, console::QueueExit::ServerStopped);
    let lines = console_log.lines();
    assert!(lines.contains(&format!("{PREFIX}{stopped}")), "{lines:#?}");
    let stored = registry.request(request).await.unwrap().unwrap();
    let texts: Vec<&str> = stored.history.iter().map(|h| h.text.as_str()).collect();
    assert!(texts.contains(&history::SERVER_STOPPED), "{texts:#?}");
    assert_eq!(stored.state, RequestState::Abierto);
}

#[tokio::test]
async fn a_takeover_in_the_queue_keeps_the_place() {
    let server = TestServer::start().await;
    let ruts = server.load_customers(1).await;
    let mut ahead = server.logged_in(&ruts[0].to_string()).await;
    ahead.send("3").await;
    ahead
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    let mut old = queued_with_a_message(&server, 2).await;

    let mut new = server.customer().await;
    new.send(JORGE).await;
    new.expect(&to_customer::hello("Jorge")).await;
    new.expect(to_customer::SESSION_RESUMED).await;
    new.expect(&to_customer::still_queued(2)).await;
    old.expect(to_customer::TAKEN_OVER).await;
    old.expect_closed().await;

    // The queue moves for the new connection; the executive gets what the old one typed.
    let mut ana = server.agent("Ana").await;
    assert_eq!(hand_off(&mut ana).await, "Cliente Carga 1");
    new.expect(&to_customer::queue_position(1)).await;
    close(&mut ana, "Cliente Carga 1").await;
    let lines = ana.recv_until(|l| l == to_agent::CHAT_HINT).await;
    assert!(
        lines[0].starts_with(&format!("{}Jorge Sandoval ", to_agent::NEW_CUSTOMER_START)),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&to_agent::backlog_line(
            "Jorge Sandoval",
            "me cobraron dos veces"
        )),
        "{lines:#?}"
    );
    new.recv_until(|l| l.starts_with(&to_customer::assigned_start("Ana")))
        .await;
    ana.send("Hola Jorge").await;
    new.expect("Ana: Hola Jorge").await;
    // The contact request stayed open through the takeover.
    let request: u64 = lines[0]
        .rsplit("solicitud ")
        .next()
        .and_then(|n| n.trim_end_matches('.').parse().ok())
        .unwrap();
    let stored = server.registry().request(request).await.unwrap().unwrap();
    assert_eq!(stored.state, RequestState::Abierto);
}

#[tokio::test]
async fn a_login_that_does_not_prove_who_it_is_leaves_the_chat_where_it_is() {
    let server = TestServer::start().await;
    let (mut ana, mut old, _) = jorge_chatting_with_ana(&server).await;

    let mut new = at_the_serial_prompt(&server).await;
    // Meanwhile the chat goes on on the old connection.
    old.send("¿sigue ahí?").await;
    ana.expect("Jorge Sandoval: ¿sigue ahí?").await;
    new.send("volver").await;
    new.expect(to_customer::RESUME_DECLINED).await;
    server
        .expect_console(&console::resume_declined("Jorge Sandoval"))
        .await;
    // Three wrong serials close that connection; the chat is untouched.
    new.send(JORGE).await;
    new.expect(to_customer::CHAT_ELSEWHERE).await;
    for left in [2, 1] {
        new.send("111222333").await;
        new.expect(&to_customer::serial_mismatch(left)).await;
    }
    new.send("111222333").await;
    new.expect(&to_customer::serial_locked_for(1)).await;
    new.expect(to_customer::RESUME_REFUSED).await;
    new.expect_closed().await;
    ana.send("Sí, aquí estoy").await;
    old.expect("Ana: Sí, aquí estoy").await;
    old.send("gracias").await;
    ana.expect("Jorge Sandoval: gracias").await;
}

/// "volver" leaves the other connection as it is, even when its chat ended during the
/// prompt (before, the prompt asked the hub again and logged in, closing that connection).
#[tokio::test]
async fn declining_after_the_chat_ended_leaves_the_other_connection_alone() {
    let server = TestServer::start().await;
    let (mut ana, mut old, _) = jorge_chatting_with_ana(&server).await;

    let mut new = at_the_serial_prompt(&server).await;
    close(&mut ana, "Jorge Sandoval").await;
    old.recv_until(|l| l == to_customer::MENU_LAST).await;
    new.send("volver").await;
    new.expect(to_customer::RESUME_DECLINED).await;
    // The old connection is still Jorge's.
    old.send("1").await;
    old.recv_until_contains(to_customer::WHICH_REQUEST).await;
}

/// The customer whose connection hangs in a chat gets it back even when every customer
/// slot is taken: the hung connection's slot becomes the new one's.
#[tokio::test]
async fn a_chat_moves_to_a_new_connection_at_a_full_cap() {
    let server = TestServer::start_with(|config| config.limits.max_connections = 1).await;
    let ruts = server.load_customers(1).await;
    let (mut ana, mut old, _) = jorge_chatting_with_ana(&server).await;

    let mut new = server.customer().await;
    new.expect(notice::FULL).await;
    new.send(JORGE).await;
    new.expect(to_customer::CHAT_ELSEWHERE).await;
    new.send(JORGE_SERIAL).await;
    new.expect(to_customer::SESSION_RESUMED).await;
    new.expect(&to_customer::chat_resumed("Ana")).await;
    old.expect(to_customer::TAKEN_OVER).await;
    old.expect_closed().await;
    ana.expect(&to_agent::customer_returned("Jorge Sandoval", 0))
        .await;
    new.send("sigo sin internet").await;
    ana.expect("Jorge Sandoval: sigo sin internet").await;
    // Still full for anyone else.
    let mut other = server.customer().await;
    other.expect(notice::FULL).await;
    other.send(&ruts[0].to_string()).await;
    other.expect(notice::BUSY).await;
    other.expect_closed().await;
}

#[tokio::test]
async fn the_console_says_when_the_login_deadline_ends_the_serial_prompt() {
    let server = TestServer::start_with(|config| {
        config.limits.login_timeout = Duration::from_secs(3);
    })
    .await;
    let (mut ana, mut old, _) = jorge_chatting_with_ana(&server).await;

    let mut new = at_the_serial_prompt(&server).await;
    // Nobody types the serial: the connection is still logging in, so its deadline ends it.
    new.expect(&notice::line(BOT_NAME, notice::LOGIN_DEADLINE))
        .await;
    new.expect_closed().await;
    server
        .expect_console(&console::resume_abandoned("Jorge Sandoval"))
        .await;
    // The chat goes on where it was.
    ana.send("¿Sigue ahí?").await;
    old.expect("Ana: ¿Sigue ahí?").await;
}

#[tokio::test]
async fn a_customer_with_no_serial_on_file_cannot_take_a_chat_over_and_it_ends() {
    let server = TestServer::start().await;
    let mut ana = server.agent("Ana").await;
    let rut = Rut::from_number(15_000_001).unwrap();
    let mut old = server.customer().await;
    old.send(&rut.to_string()).await;
    old.recv_until_contains(to_customer::NOT_REGISTERED_MARK)
        .await;
    old.send("Ana María Pérez").await;
    old.expect(&to_customer::registered(rut)).await;
    old.expect(&to_customer::hello("Ana María")).await;
    old.expect_menu().await;
    old.send("3").await;
    old.recv_until_contains(to_customer::ASSIGNED_START).await;
    let request = handed_off_request(&mut ana).await;

    let mut new = server.customer().await;
    new.send(&rut.to_string()).await;
    new.expect(&to_customer::hello("Ana María")).await;
    new.expect(to_customer::SESSION_RESUMED).await;
    new.expect(&to_customer::chat_cut("Ana")).await;
    new.expect_menu().await;
    old.expect(to_customer::TAKEN_OVER_CHAT_ENDED).await;
    old.expect_closed().await;
    ana.expect(&to_agent::customer_disconnected("Ana María Pérez"))
        .await;
    server
        .expect_console(&console::chat_ended_by_login("Ana María Pérez", "Ana"))
        .await;
    let notes = eventually_async(
        || async {
            let request = server.registry().request(request).await.unwrap().unwrap();
            request
                .history
                .into_iter()
                .map(|entry| entry.text)
                .collect::<Vec<_>>()
        },
        |notes| notes.iter().any(|t| t == history::TAKEN_OVER_CHAT_ENDED),
    )
    .await;
    assert!(
        notes.iter().any(|t| t == history::TAKEN_OVER_CHAT_ENDED),
        "{notes:#?}"
    );
    assert!(
        !notes.iter().any(|t| t == history::TAKEN_OVER),
        "{notes:#?}"
    );
}

#[tokio::test]
async fn a_chat_moves_to_a_new_connection_after_the_serial() {
    let server = TestServer::start().await;
    let (mut ana, mut old, request) = jorge_chatting_with_ana(&server).await;
    ana.send("Hola Jorge").await;
    old.expect("Ana: Hola Jorge").await;

    old.send("no tengo internet").await;
    ana.expect("Jorge Sandoval: no tengo internet").await;

    // Jorge's connection hangs; he logs in again from elsewhere.
    let mut new = at_the_serial_prompt(&server).await;
    // What Ana writes meanwhile reaches only the hung connection.
    ana.send("¿Probó desenchufar el módem?").await;
    old.expect("Ana: ¿Probó desenchufar el módem?").await;
    new.send("111222333").await;
    new.expect(&to_customer::serial_mismatch(2)).await;
    new.send(JORGE_SERIAL).await;
    new.expect(to_customer::SESSION_RESUMED).await;
    // The chat's last lines, which the hung connection may not have shown.
    new.expect(to_customer::CHAT_SO_FAR).await;
    new.expect(&to_customer::earlier_line("Ana", "Hola Jorge"))
        .await;
    new.expect(&to_customer::earlier_line(
        "Jorge Sandoval",
        "no tengo internet",
    ))
    .await;
    new.expect(&to_customer::earlier_line(
        "Ana",
        "¿Probó desenchufar el módem?",
    ))
    .await;
    new.expect(&to_customer::chat_resumed("Ana")).await;
    old.expect(to_customer::TAKEN_OVER).await;
    old.expect_closed().await;
    ana.expect(&to_agent::customer_returned("Jorge Sandoval", 3))
        .await;

    // The same chat, both ways; the old connection's end did not end it.
    new.send("sigo sin internet").await;
    ana.expect("Jorge Sandoval: sigo sin internet").await;
    ana.send("Lo reviso").await;
    new.expect("Ana: Lo reviso").await;
    ana.send(":chats").await;
    let chats = ana.recv_until_contains("Jorge Sandoval").await;
    assert!(
        !chats.iter().any(|l| l.contains("el cliente se fue")),
        "{chats:#?}"
    );
    // Ana closes it; the customer on the new connection hears it.
    ana.send(":close").await;
    new.recv_until_contains(to_customer::CHAT_ENDED_START).await;
    let menu_end = to_customer::MENU[to_customer::MENU.len() - 1];
    new.recv_until(|l| l == menu_end).await;
    let transcript = server.registry().transcript(request).await.unwrap();
    let said: Vec<&str> = transcript.iter().map(|l| l.text.as_str()).collect();
    assert!(said.contains(&"sigo sin internet"), "{said:?}");
    let stored = server.registry().request(request).await.unwrap().unwrap();
    assert!(
        stored
            .history
            .iter()
            .any(|e| e.text == history::CHAT_RESUMED),
        "{:#?}",
        stored.history
    );
}

#[tokio::test]
async fn a_chat_that_ends_during_the_prompt_lets_the_new_connection_in() {
    let server = TestServer::start().await;
    let (mut ana, old, _) = jorge_chatting_with_ana(&server).await;

    let mut new = at_the_serial_prompt(&server).await;
    // The hung connection finally drops: the chat ends as a disconnection.
    drop(old);
    ana.expect(&to_agent::customer_disconnected("Jorge Sandoval"))
        .await;
    // A wrong serial now just logs in: nothing is left to protect, so it is not counted.
    new.send("111222333").await;
    new.expect(&to_customer::hello("Jorge")).await;
    new.expect(to_customer::CHAT_ENDED_ELSEWHERE).await;
    new.expect_menu().await;
    new.send("3").await;
    new.expect(&to_customer::enqueued(1)).await;
    let jorge: Rut = JORGE.parse().unwrap();
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    let failures = server
        .registry()
        .serial_failures(jorge, loopback)
        .await
        .unwrap();
    assert_eq!(failures.count, 0);
}

/// A server that stops ends a chat it had: the request's history says the server stopped,
/// after what was said, and nothing says the customer left (over TCP, with the store's
/// writes done by the time `shutdown` returns).
#[tokio::test]
async fn a_chat_the_server_stops_is_recorded_as_the_servers_stop() {
    let server = TestServer::start().await;
    let (mut ana, mut jorge, request) = jorge_chatting_with_ana(&server).await;
    jorge.send("hola, sigue cortado").await;
    ana.expect(&to_agent::from_customer(
        "Jorge Sandoval",
        "hola, sigue cortado",
    ))
    .await;
    let registry = server.registry().clone();
    server.server.shutdown().await;
    // The executive's last word is the stop, not that the customer left (every connection
    // closes with it).
    let mut heard = Vec::new();
    while let Some(line) = ana.recv_or_eof().await {
        heard.push(line);
    }
    assert!(
        heard.last().is_some_and(|l| l.ends_with(notice::SHUTDOWN)),
        "{heard:#?}"
    );
    assert!(
        !heard.contains(&to_agent::customer_disconnected("Jorge Sandoval")),
        "{heard:#?}"
    );
    let stored = registry.request(request).await.unwrap().unwrap();
    let texts: Vec<&str> = stored.history.iter().map(|h| h.text.as_str()).collect();
    assert!(texts.contains(&history::SERVER_STOPPED), "{texts:#?}");
    assert!(!texts.contains(&history::DISCONNECTED), "{texts:#?}");
    assert_eq!(
        stored.state,
        RequestState::Abierto,
        "left as the executive left it"
    );
}

/// A server that stops with a customer waiting and another chatting: the console says the
/// waiting one left the queue because the server stopped, and hands off or requeues
/// nobody while the connections close; the waiting request keeps the server's note and
/// stays open for an executive (the desk stopped, the customer did not give up). A
/// black-box test saw "dejó la fila de espera al desconectarse" and "vuelve a la fila de
/// espera" during a stop.
#[tokio::test]
async fn a_stop_says_why_the_queue_emptied_and_requeues_nobody() {
    let server = TestServer::start().await;
    let (_eva, _first, _second) = server.one_served_one_waiting("Eva").await;
    let waiting = "Cliente Carga 2";
    let queued_start = console::queued(waiting, "", 1);
    let queued_start = queued_start
        .split(" (solicitud")
        .next()
        .unwrap()
        .to_string();
    let request: u64 = server
        .console
        .lines()
        .iter()
        .find_map(|l| l.strip_prefix(PREFIX)?.strip_prefix(&queued_start))
        .and_then(|rest| rest.strip_prefix(" (solicitud ")?.strip_suffix(")."))
        .expect("the queued line")
        .parse()
        .unwrap();
    let before = server.console.lines().len();
    let registry = server.registry().clone();
    let console_log = server.console.clone();
    server.server.shutdown().await;
    let lines: Vec<String> = console_log.lines()[before..]
        .iter()
        .map(|l| l.trim_start_matches(PREFIX).to_string())
        .collect();
    let stopped = console::QueueExit::ServerStopped;
    assert!(
        lines.contains(&console::left_queue(waiting, request, stopped)),
        "{lines:#?}"
    );
    for line in &lines {
        assert!(
            !line.contains("redirigido") && !line.contains("vuelve a la fila"),
            "{lines:#?}"
        );
        assert!(!line.contains("al desconectarse"), "{lines:#?}");
    }
    let stored = registry.request(request).await.unwrap().unwrap();
    let texts: Vec<&str> = stored.history.iter().map(|h| h.text.as_str()).collect();
    assert!(texts.contains(&history::SERVER_STOPPED), "{texts:#?}");
    assert!(!texts.contains(&history::DISCONNECTED), "{texts:#?}");
    assert_eq!(stored.state, RequestState::Abierto);
}

/// A requeue the connection had not read when it ended is still applied before the
/// disconnection: the request's history says the executive left and then the customer
/// (before, the conversation still thought it was chatting, and the executive's departure
/// was never written). The request stays open: an executive worked on it. With room for
/// one event, the requeue and the position after it overflow the customer's outbox in one
/// hub call: the hub disconnects the customer before its task reads either.
#[tokio::test]
async fn a_requeue_not_read_before_the_connection_ends_is_still_recorded() {
    use reclamos::conversation::events::SessionId;
    use reclamos::hub::Outbox;
    use tokio_util::sync::CancellationToken;
    let server = TestServer::start_with(|config| config.limits.send_queue = 1).await;
    let rut = server.load_customers(1).await[0];
    let mut customer = server.logged_in(&rut.to_string()).await;
    customer.send("3").await;
    customer
        .recv_until_contains(&to_customer::enqueued(1))
        .await;
    let request = server
        .registry()
        .requests_of(rut)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .max()
        .expect("the contact request");
    let hub = server.server.services.hub.clone();
    let (tx, _eva_events) = tokio::sync::mpsc::channel(16);
    let eva = SessionId(u64::MAX);
    hub.agent_join(eva, "Eva", Outbox::new(tx, CancellationToken::new()))
        .unwrap();
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    hub.agent_gone(eva);
    let registry = server.registry().clone();
    let texts = |stored: &reclamos::registry::Request| -> Vec<String> {
        stored.history.iter().map(|h| h.text.clone()).collect()
    };
    let stored = eventually_async(
        || async { registry.request(request).await.unwrap().unwrap() },
        |stored| texts(stored).iter().any(|t| t == history::DISCONNECTED),
    )
    .await;
    let texts = texts(&stored);
    let left = texts.iter().position(|t| *t == history::agent_left("Eva"));
    let gone = texts.iter().position(|t| t == history::DISCONNECTED);
    assert!(left.is_some() && left < gone, "{texts:#?}");
    assert_eq!(stored.state, RequestState::Abierto, "{texts:#?}");
}

/// Over TCP: an executive notes a request and disconnects mid-chat; the customer, back in
/// the queue, cancels. The request keeps the executive's note and stays open, and the
/// customer is told so (a black-box test saw it closed as never attended).
#[tokio::test]
async fn cancelling_after_the_executive_left_keeps_their_work() {
    let server = TestServer::start().await;
    let rut = server.load_customers(1).await[0];
    let mut eva = server.agent("Eva").await;
    let mut customer = server.logged_in(&rut.to_string()).await;
    customer.send("3").await;
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    let lines = eva.recv_until(|l| l == to_agent::CHAT_HINT).await;
    let request = request_of(&lines[0]);
    eva.send(":history Confirmado cobro duplicado; falta la nota de crédito")
        .await;
    eva.recv().await;
    drop(eva);
    customer
        .recv_until_contains(&to_customer::agent_left("Eva"))
        .await;
    customer.send("cancelar").await;
    customer
        .recv_until_contains(&to_customer::left_queue_kept(request))
        .await;
    // The note is written off the customer's path: it may trail the answer.
    let registry = server.registry().clone();
    let stored = eventually_async(
        || async { registry.request(request).await.unwrap().unwrap() },
        |stored| {
            stored
                .history
                .iter()
                .any(|h| h.text == history::LEFT_QUEUE_SERVED)
        },
    )
    .await;
    let texts: Vec<&str> = stored.history.iter().map(|h| h.text.as_str()).collect();
    assert!(
        texts.contains(&"Confirmado cobro duplicado; falta la nota de crédito"),
        "{texts:#?}"
    );
    assert_eq!(
        texts.last(),
        Some(&history::LEFT_QUEUE_SERVED),
        "{texts:#?}"
    );
    assert_eq!(stored.state, RequestState::Abierto);
}
