//! The customer's side over real TCP: the brief's Ejemplo 1, login rules, the menu options,
//! persistence and many customers at once.

use crate::common;

use crate::common::{restarted_request, TestClient, TestServer, JORGE, JORGE_SERIAL};
use reclamos::conversation::MAX_CUSTOMER_NAME_CHARS;
use reclamos::protocol::{console as to_console, customer as to_customer, history as to_history};
use reclamos::registry::demo::WIFI_ANSWER;
use reclamos::registry::{Registry, RequestFilter, RequestState};
use reclamos::rut::{Rut, RutError};

#[tokio::test]
async fn ejemplo_1_consult_a_request_and_leave() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    client.send(JORGE).await;
    client.expect(&to_customer::hello("Jorge")).await;
    client.expect_menu().await;
    server
        .expect_console(&to_console::customer_connected("Jorge Sandoval"))
        .await;

    // Issue 16 changed the list: open requests first, with state and date (the seed's
    // transcript listed them oldest first, without either).
    client.send("1").await;
    client.expect(to_customer::YOUR_REQUESTS).await;
    client
        .expect("(1) Solicitud 123499: Cambio de Plan (abierto, 2025-04-14)")
        .await;
    client
        .expect("(2) Solicitud 124578: Cambio de clave WiFi (cerrado, 2025-03-03)")
        .await;
    let question = client.recv().await;
    assert!(question == to_customer::WHICH_REQUEST, "{question}");

    client.send("2").await;
    client
        .expect(&to_customer::request_title(124578, "Cambio de clave WiFi"))
        .await;
    client.expect("Estado: cerrado").await;
    let details = client.recv_until_contains(to_customer::ASK_SERIAL).await;
    assert!(
        details.iter().any(|l| l == to_customer::HISTORY_HEADER),
        "{details:#?}"
    );
    client.send(JORGE_SERIAL).await;
    client.expect(&to_customer::bot(WIFI_ANSWER)).await;
    client.expect(to_customer::MORE_HELP).await;
    client.expect_menu().await;

    client.send("4").await;
    client.expect(to_customer::GOODBYE).await;
    client.expect_closed().await;
    server
        .expect_console(&to_console::customer_disconnected("Jorge Sandoval"))
        .await;
    // Consulting the request was recorded (as an audit entry, not in its history).
    let registry = server.registry();
    assert_eq!(registry.consultations(124_578).await.unwrap().len(), 1);
}

#[tokio::test]
async fn wrong_check_digit_suggests_the_right_one_and_allows_another_try() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    client.send("12.345.678-9").await;
    let wrong = "12.345.678-9".parse::<Rut>().unwrap_err();
    assert!(matches!(
        wrong,
        RutError::WrongCheckDigit { expected: '5', .. }
    ));
    client.expect(&to_customer::invalid_rut(wrong)).await;
    client.send("123456785").await;
    client.expect(&to_customer::hello("Jorge")).await;
}

#[tokio::test]
async fn unknown_rut_can_register_and_gets_the_menu() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    let rut: Rut = Rut::from_number(15_000_001).unwrap();
    client.send(&rut.to_string()).await;
    let line = client.recv().await;
    assert!(line.contains(to_customer::NOT_REGISTERED_MARK), "{line}");
    // Each refusal says why, and keeps the prompt.
    for (typed, answer) in [
        ("me cobraron 2 veces", to_customer::NAME_NOT_A_SENTENCE),
        ("Ana 2", to_customer::NAME_HINT),
        ("Pedro", to_customer::NAME_NEEDS_SURNAME),
        (
            "Ana Beatriz Carla Daniela Elena Fernanda Gabriela Pérez",
            to_customer::NAME_TOO_MANY_WORDS,
        ),
        (
            &format!("Ana {}", "Ñ".repeat(MAX_CUSTOMER_NAME_CHARS)),
            &to_customer::name_too_long(MAX_CUSTOMER_NAME_CHARS),
        ),
    ] {
        client.send(typed).await;
        client.expect(answer).await;
    }
    assert!(server.registry().customer(rut).await.unwrap().is_none());
    client.send("Ana María Pérez").await;
    let registered = client.recv().await;
    assert_eq!(registered, to_customer::registered(rut));
    client.expect(&to_customer::hello("Ana María")).await;
    client.expect_menu().await;
    client.send("1").await;
    client.expect(to_customer::NO_REQUESTS).await;
    let customer = server.registry().customer(rut).await.unwrap().unwrap();
    assert_eq!(customer.name, "Ana María Pérez");
}

#[tokio::test]
async fn restart_records_a_request_and_prints_the_console_line() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("2").await;
    let lines = client.recv_until(|l| l == to_customer::MENU_LAST).await;
    let id = restarted_request(&lines);
    server
        .expect_console(&to_console::restart("Jorge Sandoval", id, None))
        .await;
    let request = server
        .registry()
        .request(id)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(request.subject, to_history::RESTART_SUBJECT);
    assert_eq!(request.state, RequestState::Cerrado);
}

#[tokio::test]
async fn contacting_an_executive_with_none_connected_is_honest_and_cancellable() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("3").await;
    client.expect(&to_customer::enqueued(1)).await;
    let line = client.recv().await;
    assert!(line.starts_with(to_customer::NO_AGENTS_START), "{line}");
    client.expect_queue_hint().await;
    client.send("cancelar").await;
    let line = client.recv().await;
    assert!(line.starts_with(to_customer::LEFT_QUEUE_START), "{line}");
    client.expect(to_customer::MORE_HELP).await;
    client.expect_menu().await;
    let rut: Rut = JORGE.parse().unwrap();
    let contact_closed = |requests: &Vec<reclamos::registry::Request>| {
        requests
            .iter()
            .any(|r| r.subject == to_history::CONTACT_SUBJECT && r.state == RequestState::Cerrado)
    };
    // Written without waiting, a moment after the answer.
    let requests = crate::common::eventually_async(
        || async { server.registry().requests_of(rut).await.unwrap() },
        contact_closed,
    )
    .await;
    // Issue 16: a contact request nobody took is closed, saying why (it used to stay
    // "abierto" forever).
    let contact = requests
        .iter()
        .find(|r| r.subject == to_history::CONTACT_SUBJECT)
        .expect("recorded");
    assert_eq!(contact.state, RequestState::Cerrado);
    let said: Vec<&str> = contact.history.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        said[1..],
        [to_history::LEFT_QUEUE, "Estado cambiado a cerrado"],
        "{said:?}"
    );
}

#[tokio::test]
async fn unrecognised_text_gets_help_and_the_menu() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("").await;
    let line = client.recv().await;
    assert_eq!(line, to_customer::EMPTY_AT_MENU);
    client.send("9").await;
    client.expect(&to_customer::no_such_option(9)).await;
    client.expect_menu().await;
    client.send("asdf qwerty zxcv").await;
    let line = client.recv().await;
    assert_eq!(line, to_customer::NOT_UNDERSTOOD);
    client.expect_menu().await;
}

#[tokio::test]
async fn other_customers_requests_are_invisible() {
    let server = TestServer::start().await;
    let registry = server.registry();
    let claudio = registry
        .list(&RequestFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.rut != JORGE.parse().unwrap())
        .expect("someone else's request");
    let mut client = server.logged_in(JORGE).await;
    client
        .send(&format!("¿cómo va la solicitud {}?", claudio.id))
        .await;
    let line = client.recv().await;
    assert_eq!(line, to_customer::request_not_found(claudio.id));
    client.send("1").await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
    client.send(&claudio.id.to_string()).await;
    let line = client.recv().await;
    assert!(line.contains(to_customer::NOT_AMONG_YOURS), "{line}");
}

/// Issue 18, equal answers: a number that is another customer's and one that does not
/// exist get byte-identical answers, and the store does the same work for both (the same
/// lookups in its cache: the owner of a foreign number is never looked up).
#[tokio::test]
async fn another_customers_request_and_a_missing_one_take_the_same_path() {
    let server = TestServer::start().await;
    let registry = server.registry();
    let jorge: Rut = JORGE.parse().unwrap();
    let all = registry.list(&RequestFilter::default()).await.unwrap();
    let claudio = all
        .iter()
        .find(|r| r.rut != jorge)
        .expect("someone else's request")
        .rut;
    // The number the next request will get: missing for now, Claudio's later.
    let next = all.iter().map(|r| r.id).max().unwrap() + 1;
    let mut client = server.logged_in(JORGE).await;
    let ask = format!("¿cómo va la solicitud {next}?");
    let counts = || registry.cache_counts().expect("SQLite has a cache");

    let before = counts();
    client.send(&ask).await;
    let missing = client.recv_until(|l| l == to_customer::MENU_LAST).await;
    let after = counts();
    let missing_work = (after.hits - before.hits, after.loads - before.loads);

    let created = registry
        .create_request(
            claudio,
            "Otro reclamo",
            RequestState::Abierto,
            "Asistente",
            "x",
        )
        .await
        .unwrap();
    assert_eq!(created.id, next, "the number asked for is now Claudio's");
    let before = counts();
    client.send(&ask).await;
    let foreign = client.recv_until(|l| l == to_customer::MENU_LAST).await;
    let after = counts();
    let foreign_work = (after.hits - before.hits, after.loads - before.loads);

    assert_eq!(foreign, missing, "the answers differ");
    assert_eq!(missing[0], to_customer::request_not_found(next));
    assert_eq!(
        foreign_work, missing_work,
        "the store did different work (cache hits, loads) for a foreign number"
    );
}

#[tokio::test]
async fn registry_survives_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("persist.db");
    let id = {
        let console = reclamos::console::Console::capture();
        let config = reclamos::server::Config::local(db.clone(), common::TOKEN);
        let server = reclamos::server::Server::start(config, console)
            .await
            .unwrap();
        let mut client = TestClient::connect(server.customer_addr).await;
        client.recv().await;
        client.send(JORGE).await;
        client.recv_until(|l| l == to_customer::MENU_LAST).await;
        client.send("2").await;
        let lines = client.recv_until(|l| l == to_customer::MENU_LAST).await;
        let done = lines
            .iter()
            .find(|l| l.starts_with(to_customer::RESTARTED_START))
            .unwrap()
            .clone();
        server.shutdown().await;
        done.split_whitespace()
            .last()
            .unwrap()
            .trim_end_matches('.')
            .parse::<u64>()
            .unwrap()
    };
    let registry = Registry::open(&db).unwrap();
    let request = registry
        .request(id)
        .await
        .unwrap()
        .expect("request survives the restart");
    assert_eq!(request.subject, to_history::RESTART_SUBJECT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_customers_complete_sessions_concurrently() {
    let server = TestServer::start().await;
    let ruts: Vec<Rut> = server.load_customers(25).await;
    let addr = server.customers();
    let mut tasks = Vec::new();
    for rut in ruts.clone() {
        tasks.push(tokio::spawn(async move {
            let mut client = TestClient::connect(addr).await;
            client.recv().await;
            client.send(&rut.to_string()).await;
            client.recv_until(|l| l == to_customer::MENU_LAST).await;
            client.send("2").await;
            client.recv_until(|l| l == to_customer::MENU_LAST).await;
            client.send("1").await;
            client.recv_until_contains(to_customer::WHICH_REQUEST).await;
            client.send("volver").await;
            client.recv_until(|l| l == to_customer::MENU_LAST).await;
            client.send("4").await;
            client.recv_until_contains(to_customer::GOODBYE).await;
            client.expect_closed().await;
        }));
    }
    for task in tasks {
        task.await.expect("session completed");
    }
    for rut in ruts {
        let restarts = server
            .registry()
            .requests_of(rut)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.subject == to_history::RESTART_SUBJECT)
            .count();
        assert_eq!(restarts, 1, "{rut}");
    }
}
