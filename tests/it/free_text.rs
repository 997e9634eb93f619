//! Customers reach every option by writing naturally, over real TCP, with the real
//! classifier built from the embedded intents.

use crate::common::{TestServer, JORGE, JORGE_SERIAL};
use reclamos::rut::Rut;

#[tokio::test]
async fn each_option_by_writing() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;

    client
        .send("oiga, quiero revisar mis reclamos anteriores")
        .await;
    client.expect("Asistente: Estas son sus solicitudes:").await;
    client.recv_until_contains("¿Cuál desea revisar?").await;
    client.send("mejor no, vuelvo al menú").await;
    client.recv_until(|l| l == "(4) Salir").await;

    client
        .send("se me cayó el internet, pueden reiniciar el modem?")
        .await;
    client
        .expect("Asistente: Reiniciando sus servicios (Internet, TV y Telefonía)...")
        .await;
    client.recv_until(|l| l == "(4) Salir").await;
    server
        .expect_console("[SERVER] Reinicio Servicios Cliente Jorge Sandoval.")
        .await;

    client.send("kiero ablar con un ejecutibo").await;
    client
        .expect("Asistente: Estamos redirigiendo a un asistente, usted está número 1 en la fila.")
        .await;
    client
        .recv_until_contains("no hay ejecutivos conectados")
        .await;
    client.send("ya no quiero esperar").await;
    let line = client.recv().await;
    assert!(line.starts_with("Asistente: Salió de la fila."), "{line}");
    client.recv_until(|l| l == "(4) Salir").await;

    client.send("eso era todo, muchas gracias, chao").await;
    client
        .expect("Asistente: Gracias por contactarnos, que tenga un buen día.")
        .await;
    client.expect_closed().await;
}

#[tokio::test]
async fn negation_and_contrast_pick_the_wanted_option() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client
        .send("no quiero salir, quiero ver mis reclamos")
        .await;
    client.expect("Asistente: Estas son sus solicitudes:").await;
    client.recv_until_contains("¿Cuál desea revisar?").await;
    client.send("volver").await;
    client.recv_until(|l| l == "(4) Salir").await;
    client
        .send("no necesito un ejecutivo, solo reinicien el modem")
        .await;
    client
        .expect("Asistente: Reiniciando sus servicios (Internet, TV y Telefonía)...")
        .await;
}

#[tokio::test]
async fn a_refused_option_is_not_taken_and_the_menu_comes_back() {
    let server = TestServer::start().await;
    let services = &server.server.services;
    let jorge: Rut = JORGE.parse().unwrap();
    let requests = services.registry.requests_of(jorge).await.unwrap().len();
    let mut client = server.logged_in(JORGE).await;
    client.send("no quiero hablar con un ejecutivo").await;
    client
        .expect("Asistente: Entendido. ¿En qué te podemos ayudar?")
        .await;
    client.expect_menu().await;
    client.send("tampoco necesito reiniciar nada").await;
    client
        .expect("Asistente: Entendido. ¿En qué te podemos ayudar?")
        .await;
    client.expect_menu().await;
    // Not a refusal: the customer gets help on how to ask.
    client.send("no sé").await;
    client
        .expect("Asistente: No entendí su mensaje. Puede escribir el número de una opción o contarme con sus palabras qué necesita.")
        .await;
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
            .any(|l| l.contains("Reinicio")),
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
        .expect("Asistente: Solicitud 123499: Cambio de Plan")
        .await;
    client.recv_until(|l| l == "(4) Salir").await;
    client.send("1").await;
    client.recv_until_contains("¿Cuál desea revisar?").await;
    client.send("la del wifi").await;
    client
        .expect("Asistente: Solicitud 124578: Cambio de clave WiFi")
        .await;
    client.recv_until_contains("número de serie").await;
    client.send(JORGE_SERIAL).await;
    client
        .expect("Asistente: su nueva clave wifi es: estaesmiclave")
        .await;
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
        question.starts_with("Asistente: No estoy seguro de haber entendido. ¿Quiso decir ("),
        "{question}"
    );
    client.send("sí").await;
    let answer = client.recv().await;
    assert!(
        answer.starts_with("Asistente: Reiniciando")
            || answer.starts_with("Asistente: Estamos redirigiendo"),
        "{answer}"
    );

    let mut other = server.logged_in("11.111.111-1").await;
    other.send("reinicien el modem o pásenme con alguien").await;
    other.recv_until_contains("¿Quiso decir").await;
    other.send("no").await;
    other
        .expect("Asistente: Entendido. ¿En qué te podemos ayudar?")
        .await;
    other.expect_menu().await;
    other.send("reinicien el modem o pásenme con alguien").await;
    other.recv_until_contains("¿Quiso decir").await;
    other.send("3").await;
    let line = other.recv().await;
    assert!(
        line.starts_with("Asistente: Estamos redirigiendo a un asistente, usted está número "),
        "{line}"
    );
}
