//! The customer's side over real TCP: the brief's Ejemplo 1, login rules, the menu options,
//! persistence and many customers at once.

use crate::common;

use crate::common::{TestClient, TestServer, JORGE, JORGE_SERIAL};
use reclamos::registry::{Registry, RequestFilter, RequestState};
use reclamos::rut::Rut;

#[tokio::test]
async fn ejemplo_1_consult_a_request_and_leave() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    client.send(JORGE).await;
    client
        .expect("Asistente: Hola Jorge, en qué te podemos ayudar?")
        .await;
    client.expect_menu().await;
    server
        .expect_console("[SERVER] Cliente Jorge Sandoval conectado.")
        .await;

    client.send("1").await;
    client.expect("Asistente: Estas son sus solicitudes:").await;
    client
        .expect("(1) Solicitud 124578: Cambio de clave WiFi")
        .await;
    client.expect("(2) Solicitud 123499: Cambio de Plan").await;
    let question = client.recv().await;
    assert!(
        question.starts_with("Asistente: ¿Cuál desea revisar?"),
        "{question}"
    );

    client.send("1").await;
    client
        .expect("Asistente: Solicitud 124578: Cambio de clave WiFi")
        .await;
    client.expect("Estado: cerrado").await;
    let details = client
        .recv_until_contains("número de serie de su cédula")
        .await;
    assert!(details.iter().any(|l| l == "Historial:"), "{details:#?}");
    client.send(JORGE_SERIAL).await;
    client
        .expect("Asistente: su nueva clave wifi es: estaesmiclave")
        .await;
    client
        .expect("Asistente: en qué más lo podemos ayudar.")
        .await;
    client.expect_menu().await;

    client.send("4").await;
    client
        .expect("Asistente: Gracias por contactarnos, que tenga un buen día.")
        .await;
    client.expect_closed().await;
    server
        .expect_console("[SERVER] Cliente Jorge Sandoval desconectado.")
        .await;
    // Consulting the request was recorded (as an audit entry, not in its history).
    let registry = &server.server.services.registry;
    assert_eq!(registry.consultations(124_578).await.unwrap().len(), 1);
}

#[tokio::test]
async fn wrong_check_digit_suggests_the_right_one_and_allows_another_try() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    client.send("12.345.678-9").await;
    let line = client.recv().await;
    assert!(
        line.contains("dígito verificador") && line.contains("debería ser 5"),
        "{line}"
    );
    client.send("123456785").await;
    client
        .expect("Asistente: Hola Jorge, en qué te podemos ayudar?")
        .await;
}

#[tokio::test]
async fn unknown_rut_can_register_and_gets_the_menu() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    let rut: Rut = Rut::from_number(15_000_001).unwrap();
    client.send(&rut.to_string()).await;
    let line = client.recv().await;
    assert!(line.contains("no está registrado"), "{line}");
    client.send("Ana María Pérez").await;
    let registered = client.recv().await;
    assert!(registered.contains("Lo registramos"), "{registered}");
    client
        .expect("Asistente: Hola Ana, en qué te podemos ayudar?")
        .await;
    client.expect_menu().await;
    client.send("1").await;
    client
        .expect("Asistente: No tiene solicitudes registradas.")
        .await;
    let customer = server
        .server
        .services
        .registry
        .customer(rut)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.name, "Ana María Pérez");
}

#[tokio::test]
async fn second_login_with_the_same_rut_is_refused_and_the_first_is_untouched() {
    let server = TestServer::start().await;
    let mut first = server.logged_in(JORGE).await;
    let mut second = server.customer().await;
    second.send(JORGE).await;
    let line = second.recv().await;
    assert!(line.contains("Ya hay una sesión activa"), "{line}");
    first.send("1").await;
    first.expect("Asistente: Estas son sus solicitudes:").await;
    // Once the first leaves, the RUT can log in again.
    first.send("volver").await;
    first.recv_until(|l| l == "(4) Salir").await;
    first.send("4").await;
    first.recv_until_contains("Gracias").await;
    first.expect_closed().await;
    server
        .expect_console("[SERVER] Cliente Jorge Sandoval desconectado.")
        .await;
    second.send(JORGE).await;
    second
        .expect("Asistente: Hola Jorge, en qué te podemos ayudar?")
        .await;
}

#[tokio::test]
async fn restart_records_a_request_and_prints_the_console_line() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("2").await;
    let lines = client.recv_until(|l| l == "(4) Salir").await;
    let done = lines
        .iter()
        .find(|l| l.contains("Registramos la solicitud"))
        .expect("a request number");
    let id: u64 = done
        .split_whitespace()
        .last()
        .and_then(|w| w.trim_end_matches('.').parse().ok())
        .expect("request id");
    server
        .expect_console("[SERVER] Reinicio Servicios Cliente Jorge Sandoval.")
        .await;
    let request = server
        .server
        .services
        .registry
        .request(id)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(request.subject, "Reinicio de servicios");
    assert_eq!(request.state, RequestState::Cerrado);
}

#[tokio::test]
async fn contacting_an_executive_with_none_connected_is_honest_and_cancellable() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("3").await;
    client
        .expect("Asistente: Estamos redirigiendo a un asistente, usted está número 1 en la fila.")
        .await;
    let line = client.recv().await;
    assert!(line.contains("no hay ejecutivos conectados"), "{line}");
    client.send("cancelar").await;
    let line = client.recv().await;
    assert!(line.starts_with("Asistente: Salió de la fila."), "{line}");
    client
        .expect("Asistente: en qué más lo podemos ayudar.")
        .await;
    client.expect_menu().await;
    let rut: Rut = JORGE.parse().unwrap();
    let requests = server
        .server
        .services
        .registry
        .requests_of(rut)
        .await
        .unwrap();
    assert!(requests
        .iter()
        .any(|r| r.subject == "Contacto con ejecutivo" && r.state == RequestState::Abierto));
}

#[tokio::test]
async fn unrecognised_text_gets_help_and_the_menu() {
    let server = TestServer::start().await;
    let mut client = server.logged_in(JORGE).await;
    client.send("").await;
    let line = client.recv().await;
    assert!(line.contains("No recibí ningún mensaje"), "{line}");
    client.send("9").await;
    client
        .expect("Asistente: La opción 9 no existe. Elija un número del 1 al 4.")
        .await;
    client.expect_menu().await;
    client.send("asdf qwerty zxcv").await;
    let line = client.recv().await;
    assert!(line.starts_with("Asistente: No entendí"), "{line}");
    client.expect_menu().await;
}

#[tokio::test]
async fn other_customers_requests_are_invisible() {
    let server = TestServer::start().await;
    let registry = &server.server.services.registry;
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
    assert_eq!(
        line,
        format!(
            "Asistente: No encontramos la solicitud {} entre sus solicitudes.",
            claudio.id
        )
    );
    client.send("1").await;
    client.recv_until_contains("¿Cuál desea revisar?").await;
    client.send(&claudio.id.to_string()).await;
    let line = client.recv().await;
    assert!(line.contains("No encontramos esa solicitud"), "{line}");
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
        client.recv_until(|l| l == "(4) Salir").await;
        client.send("2").await;
        let lines = client.recv_until(|l| l == "(4) Salir").await;
        let done = lines
            .iter()
            .find(|l| l.contains("Registramos la solicitud"))
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
    assert_eq!(request.subject, "Reinicio de servicios");
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
            client.recv_until(|l| l == "(4) Salir").await;
            client.send("2").await;
            client.recv_until(|l| l == "(4) Salir").await;
            client.send("1").await;
            client.recv_until_contains("¿Cuál desea revisar?").await;
            client.send("volver").await;
            client.recv_until(|l| l == "(4) Salir").await;
            client.send("4").await;
            client.recv_until_contains("Gracias por contactarnos").await;
            client.expect_closed().await;
        }));
    }
    for task in tasks {
        task.await.expect("session completed");
    }
    for rut in ruts {
        let restarts = server
            .server
            .services
            .registry
            .requests_of(rut)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.subject == "Reinicio de servicios")
            .count();
        assert_eq!(restarts, 1, "{rut}");
    }
}
