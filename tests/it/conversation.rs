//! The conversation logic driven without any socket: lines in, replies out, hub events
//! through plain channels.

use std::sync::Arc;

use reclamos::console::Console;
use reclamos::conversation::{AgentConversation, CustomerConversation, Policy, Reply, Services};
use reclamos::hub::{AgentEvent, CustomerEvent, Hub, SessionId};
use reclamos::registry::Registry;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "secreto";

fn services(dir: &tempfile::TempDir) -> Services {
    let console = Console::capture();
    Services {
        registry: Registry::open(&dir.path().join("r.db")).unwrap(),
        classifier: reclamos::nlu::load_classifier(None).unwrap(),
        hub: Hub::new(1, console.clone()),
        console,
        policy: Policy::default(),
        agent_token: Arc::from(TOKEN),
    }
}

fn customer() -> (CustomerConversation, mpsc::Receiver<CustomerEvent>) {
    let (tx, rx) = mpsc::channel(16);
    (
        CustomerConversation::new(SessionId::next(), tx, CancellationToken::new()),
        rx,
    )
}

fn agent() -> (AgentConversation, mpsc::Receiver<AgentEvent>) {
    let (tx, rx) = mpsc::channel(16);
    (
        AgentConversation::new(SessionId::next(), tx, CancellationToken::new()),
        rx,
    )
}

fn lines(reply: &Reply) -> Vec<&str> {
    reply.lines.iter().map(String::as_str).collect()
}

const MENU: [&str; 4] = [
    "(1) Revisar atenciones anteriores.",
    "(2) Reiniciar servicios.",
    "(3) Contactar a un ejecutivo",
    "(4) Salir",
];

#[tokio::test]
async fn ejemplo_1_as_a_state_machine() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(&dir);
    let (mut conv, _events) = customer();
    let reply = conv.handle_line("12.345.678-5", &services).await;
    let mut expected = vec!["Asistente: Hola Jorge, en qué te podemos ayudar?"];
    expected.extend(MENU);
    assert_eq!(lines(&reply), expected);
    assert_eq!(
        services.console.lines(),
        ["[SERVER] Cliente Jorge Sandoval conectado."]
    );

    let reply = conv.handle_line("1", &services).await;
    assert_eq!(reply.lines[1], "(1) Solicitud 124578: Cambio de clave WiFi");
    let reply = conv.handle_line("1", &services).await;
    assert_eq!(
        reply.lines[0],
        "Asistente: Solicitud 124578: Cambio de clave WiFi"
    );
    assert_eq!(
        reply.lines.last().unwrap(),
        "Asistente: Para ver la respuesta, ingrese el número de serie de su cédula de identidad."
    );
    let reply = conv.handle_line("999", &services).await;
    assert!(reply.lines[0].contains("no coincide"), "{reply:?}");
    let reply = conv.handle_line("100.200.300", &services).await;
    assert_eq!(
        reply.lines[0],
        "Asistente: su nueva clave wifi es: estaesmiclave"
    );
    assert_eq!(reply.lines[1], "Asistente: en qué más lo podemos ayudar.");

    let reply = conv.handle_line("4", &services).await;
    assert_eq!(
        lines(&reply),
        ["Asistente: Gracias por contactarnos, que tenga un buen día."]
    );
    assert!(reply.close);
    conv.disconnected(&services);
    assert_eq!(
        services.console.lines().last().unwrap(),
        "[SERVER] Cliente Jorge Sandoval desconectado."
    );
}

#[tokio::test]
async fn second_factor_locks_after_wrong_answers_and_can_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let mut services = services(&dir);
    let (mut conv, _events) = customer();
    conv.handle_line("12345678-5", &services).await;
    for attempt in 0..3 {
        conv.handle_line("1", &services).await;
        let reply = conv.handle_line("124578", &services).await;
        if attempt == 0 {
            assert!(reply.lines.last().unwrap().contains("número de serie"));
            for _ in 0..3 {
                conv.handle_line("000", &services).await;
            }
        } else {
            assert!(
                reply
                    .lines
                    .iter()
                    .any(|l| l.contains("Por seguridad no podemos mostrar")),
                "{reply:?}"
            );
            assert!(!reply.lines.iter().any(|l| l.contains("estaesmiclave")));
        }
    }
    services.policy.second_factor = false;
    let (mut open, _events) = customer();
    services.hub.customer_gone(SessionId(0));
    conv.disconnected(&services);
    open.handle_line("12345678-5", &services).await;
    open.handle_line("1", &services).await;
    let reply = open.handle_line("1", &services).await;
    assert!(reply
        .lines
        .iter()
        .any(|l| l == "Asistente: su nueva clave wifi es: estaesmiclave"));
}

#[tokio::test]
async fn queue_and_chat_through_the_hub_without_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(&dir);
    let (mut jorge, mut jorge_events) = customer();
    jorge.handle_line("12.345.678-5", &services).await;
    let reply = jorge.handle_line("3", &services).await;
    assert_eq!(
        reply.lines[0],
        "Asistente: Estamos redirigiendo a un asistente, usted está número 1 en la fila."
    );
    let reply = jorge
        .handle_line("se me cortó internet ayer", &services)
        .await;
    assert!(reply.lines[0].contains("Guardamos su mensaje"));

    let (mut juan, mut juan_events) = agent();
    assert_eq!(
        lines(&juan.handle_line(TOKEN, &services).await),
        ["Sistema: Token aceptado. Ingrese su nombre de ejecutivo."]
    );
    let reply = juan.handle_line("JuanPerez", &services).await;
    assert_eq!(reply.lines[0], "Sistema: Bienvenido JuanPerez. Escriba :help para ver los comandos. Clientes en espera: 1.");

    let event = juan_events.recv().await.unwrap();
    let AgentEvent::Assigned { backlog, chat } = &event else {
        panic!("{event:?}")
    };
    assert_eq!(backlog, &["se me cortó internet ayer"]);
    assert_eq!(chat.name, "Jorge Sandoval");
    let reply = juan.handle_event(event, &services).await;
    assert!(reply
        .lines
        .iter()
        .any(|l| l == "  Jorge Sandoval: se me cortó internet ayer"));

    let event = jorge_events.recv().await.unwrap();
    assert_eq!(
        event,
        CustomerEvent::Assigned {
            agent: "JuanPerez".into()
        }
    );
    jorge.handle_event(event, &services);
    juan.handle_line("Hola soy Juan Perez, en que le puedo ayudar", &services)
        .await;
    let event = jorge_events.recv().await.unwrap();
    assert_eq!(
        lines(&jorge.handle_event(event, &services)),
        ["JuanPerez: Hola soy Juan Perez, en que le puedo ayudar"]
    );
    assert_eq!(
        services.console.lines(),
        [
            "[SERVER] Cliente Jorge Sandoval conectado.",
            "[SERVER] Ejecutivo JuanPerez conectado.",
            "[SERVER] Cliente Jorge Sandoval redirigido a ejecutivo JuanPerez.",
        ]
    );
}

#[tokio::test]
async fn wrong_token_closes_and_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(&dir);
    let (mut juan, _events) = agent();
    let reply = juan.handle_line("adivinanza", &services).await;
    assert!(reply.close && reply.auth_failed);
    assert!(!juan.is_authenticated());
}
