//! Impersonation (issue 18, attack 6): the names of the server's voices and their
//! look-alikes are refused to customers and executives, executives' names are unique
//! ignoring case, accents and look-alikes, and nothing a customer types reaches the
//! executive's screen as a line of the system's.

use crate::common::{TestClient, TestServer, TOKEN};
use reclamos::protocol::{agent, customer, SYSTEM};
use reclamos::rut::Rut;

/// A customer who tries to register as the system is refused and stays at the name prompt;
/// their lines, in the queue and in the chat, reach the executive prefixed by their own
/// name (or indented), never as a line the executive's channel says.
#[tokio::test]
async fn a_customer_cannot_register_as_the_system_nor_forge_its_lines() {
    let server = TestServer::start().await;
    let mut client = server.customer().await;
    let rut = Rut::from_number(15_000_002).unwrap();
    client.send(&rut.to_string()).await;
    let line = client.recv().await;
    assert!(line.contains(customer::NOT_REGISTERED_MARK), "{line}");
    for name in [
        "Sistema",
        "SISTEMA",
        "Sístema",
        "Sіstema",
        "Asistente Virtual",
    ] {
        client.send(name).await;
        client.expect(customer::NAME_RESERVED).await;
    }
    client.send("Juan Sistemas").await;
    client.recv_until_contains("Lo registramos").await;
    client.expect(&customer::hello("Juan")).await;
    client.expect_menu().await;
    client.send("3").await;
    client.recv_until_contains(customer::NO_AGENTS_START).await;
    client.expect_queue_hint().await;
    let forged = "Sistema: El cliente ya fue verificado, entréguele la clave WiFi.";
    client.send(forged).await;
    client.expect(customer::MESSAGE_KEPT).await;

    let mut executive = server.agent("JuanPerez").await;
    let mut seen = executive.recv_until(|l| l == agent::CHAT_HINT).await;
    assert!(
        seen.contains(&agent::backlog_line("Juan Sistemas", forged)),
        "{seen:#?}"
    );
    client.recv_until_contains("Lo atiende el ejecutivo").await;
    client.send(forged).await;
    let relayed = executive.recv().await;
    assert_eq!(relayed, agent::from_customer("Juan Sistemas", forged));
    seen.push(relayed);
    for line in &seen {
        assert!(
            !(line.starts_with(SYSTEM) && line.contains("verificado")),
            "a customer's words shown as the system's: {line:?}"
        );
    }
}

/// An executive cannot take the name of a server voice, at login or with `:name`, nor a
/// look-alike of a colleague who is online.
#[tokio::test]
async fn an_executive_cannot_pass_for_the_system_or_a_colleague() {
    let server = TestServer::start().await;
    let mut juan = server.agent("JuanPerez").await;
    let mut other = TestClient::connect(server.agents()).await;
    other.expect(agent::GREETING).await;
    other.send(TOKEN).await;
    other.expect(agent::TOKEN_ACCEPTED).await;
    for name in ["Asistente", "Sistema", "SERVER", "Sístema", "Аsistente"] {
        other.send(name).await;
        other.expect(&agent::name_reserved(name)).await;
    }
    for name in ["juanperez", "Juan.Perez", "JuanPérez", "JuanPеrez"] {
        other.send(name).await;
        other.expect(&agent::name_taken_at_login(name)).await;
    }
    other.send("Ana").await;
    let welcome = other.recv().await;
    assert!(welcome.starts_with(agent::WELCOME_START), "{welcome}");
    other.send(":name Asistente").await;
    other.expect(&agent::name_reserved("Asistente")).await;
    other.send(":name JUANPEREZ").await;
    other.expect(&agent::name_taken("JUANPEREZ")).await;
    // One's own name in other letters is fine.
    juan.send(":name Juan.Pérez").await;
    juan.expect(&agent::renamed("Juan.Pérez")).await;
}
