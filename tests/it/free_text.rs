//! Customers reach every option by writing naturally, over real TCP, with the real
//! classifier built from the embedded intents.

use crate::common::{restarted_request, TestServer, JORGE, JORGE_SERIAL};
use reclamos::protocol::{console as to_console, customer as to_customer};
use reclamos::registry::demo::WIFI_ANSWER;
use reclamos::rut::Rut;

#[tokio::test]
async fn each_option_by_writing() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;

    client
        .send("oiga, quiero revisar mis reclamos anteriores")
        .await;
    client.expect(to_customer::YOUR_REQUESTS).await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
    client.send("mejor no, vuelvo al menú").await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;

    client
        .send("se me cayó el internet, pueden reiniciar el modem?")
        .await;
    client.expect(to_customer::RESTARTING).await;
    let lines = client.recv_until(|l| l == to_customer::MENU_LAST).await;
    server
        .expect_console(&to_console::restart(
            "Jorge Sandoval",
            restarted_request(&lines),
            None,
        ))
        .await;

    client.send("kiero ablar con un ejecutibo").await;
    client.expect(&to_customer::enqueued(1)).await;
    client
        .recv_until_contains(to_customer::NO_AGENTS_START)
        .await;
    client.expect_queue_hint().await;
    client.send("ya no quiero esperar").await;
    let line = client.recv().await;
    assert!(line.starts_with(to_customer::LEFT_QUEUE_START), "{line}");
    client.recv_until(|l| l == to_customer::MENU_LAST).await;

    client.send("eso era todo, muchas gracias, chao").await;
    client.expect(to_customer::GOODBYE).await;
    client.expect_closed().await;
}

#[tokio::test]
async fn negation_and_contrast_pick_the_wanted_option() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client
        .send("no quiero salir, quiero ver mis reclamos")
        .await;
    client.expect(to_customer::YOUR_REQUESTS).await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
    client.send("volver").await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;
    client
        .send("no necesito un ejecutivo, solo reinicien el modem")
        .await;
    client.expect(to_customer::RESTARTING).await;
}

#[tokio::test]
async fn a_refused_option_is_not_taken_and_the_menu_comes_back() {
    let server = TestServer::start().await;
    let services = &server.server.services;
    let jorge: Rut = JORGE.parse().unwrap();
    let requests = services.registry.requests_of(jorge).await.unwrap().len();
    let mut client = server.logged_in(JORGE).await;
    client.send("no quiero hablar con un ejecutivo").await;
    client.expect(to_customer::DECLINED).await;
    client.expect_menu().await;
    client.send("tampoco necesito reiniciar nada").await;
    client.expect(to_customer::DECLINED).await;
    client.expect_menu().await;
    // Not a refusal: the customer gets help on how to ask.
    client.send("no sé").await;
    client.expect(to_customer::NOT_UNDERSTOOD).await;
    client.expect_menu().await;
    // Nothing was done on the customer's behalf: no restart, nobody queued.
    assert_eq!(
        services.registry.requests_of(jorge).await.unwrap().len(),
        requests
    );
    assert_eq!(services.hub.occupancy().waiting, 0);
    assert!(
        !server
            .console
            .lines()
            .iter()
            .any(|l| l.contains(to_console::RESTART_START)),
        "{:?}",
        server.console.lines()
    );
}

#[tokio::test]
async fn request_numbers_and_descriptions_choose_a_request() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("¿cómo va la solicitud 123499?").await;
    client
        .expect(&to_customer::request_title(123499, "Cambio de Plan"))
        .await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;
    client.send("1").await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
    client.send("la del wifi").await;
    client
        .expect(&to_customer::request_title(124578, "Cambio de clave WiFi"))
        .await;
    client.recv_until_contains(to_customer::ASK_SERIAL).await;
    client.send(JORGE_SERIAL).await;
    client.expect(&to_customer::bot(WIFI_ANSWER)).await;
}

/// Asking about one request by what it was about opens it; asking about the requests in
/// general lists them.
#[tokio::test]
async fn asking_how_a_request_is_going_by_its_subject_opens_it() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client
        .send("hola, en qué quedó lo del cambio de plan?")
        .await;
    client
        .expect(&to_customer::request_title(123499, "Cambio de Plan"))
        .await;
    client.recv_until(|l| l == to_customer::MENU_LAST).await;
    client.send("cómo van mis reclamos?").await;
    client.expect(to_customer::YOUR_REQUESTS).await;
    client.recv_until_contains(to_customer::WHICH_REQUEST).await;
}

#[tokio::test]
async fn an_unsure_message_gets_a_question_answered_by_yes_no_or_a_number() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client
        .send("reinicien el modem o pásenme con alguien")
        .await;
    let question = client.recv().await;
    assert!(
        question.starts_with(to_customer::CLARIFY_START),
        "{question}"
    );
    client.send("sí").await;
    let answer = client.recv().await;
    assert!(
        answer == to_customer::RESTARTING || answer.starts_with(to_customer::ENQUEUED_START),
        "{answer}"
    );

    let mut other = server.logged_in("11.111.111-1").await;
    other.send("reinicien el modem o pásenme con alguien").await;
    other.recv_until_contains(to_customer::CLARIFY_START).await;
    other.send("no").await;
    other.expect(to_customer::DECLINED).await;
    other.expect_menu().await;
    other.send("reinicien el modem o pásenme con alguien").await;
    other.recv_until_contains(to_customer::CLARIFY_START).await;
    other.send("3").await;
    let line = other.recv().await;
    assert!(line.starts_with(to_customer::ENQUEUED_START), "{line}");
}

/// A request for something new is not answered with the closed request it resembles (the
/// old WiFi key), a complaint "again" is not answered with how the last one ended, and a
/// complaint that asks for a person in so many words goes to the queue.
#[tokio::test]
async fn new_wishes_and_explicit_asks_are_not_answered_with_old_requests() {
    let server = TestServer::start().await;
    let mut jorge = server.logged_in(JORGE).await;
    // Not the old key: an executive, for a new one.
    jorge.send("quiero cambiar la clave del wifi").await;
    let answer = jorge.recv().await;
    assert_eq!(
        answer,
        to_customer::confirm_contact(reclamos::nlu::Topic::ClaveWifi.label())
    );
    jorge.send("no").await;
    jorge.expect(to_customer::DECLINED).await;
    jorge.recv_until(|l| l == to_customer::MENU_LAST).await;
    // Asked for a person about the open plan change: queued at once, with that request.
    jorge
        .send("me pueden comunicar con un ejecutivo por lo del cambio de plan")
        .await;
    jorge
        .expect(&to_customer::taking_up(
            reclamos::registry::demo::PLAN_REQUEST,
        ))
        .await;
    jorge.expect(&to_customer::enqueued(1)).await;

    let claudio: Rut = "11.111.111-1".parse().unwrap();
    let mut claudio = server.logged_in(&claudio.to_string()).await;
    claudio
        .send("me cobraron doble otra vez en la boleta")
        .await;
    let answer = claudio.recv().await;
    assert!(
        answer.starts_with(to_customer::CONFIRM_CONTACT_START),
        "{answer}"
    );
}
