use super::*;

#[test]
fn menu_numbers() {
    for (text, expected) in [
        ("1", Some(1)),
        ("3.", Some(3)),
        ("(2)", Some(2)),
        ("opción 4", Some(4)),
        ("7", Some(7)),
        ("124578", None),
        ("hola", None),
    ] {
        assert_eq!(menu_number(text), expected, "{text}");
    }
}

#[test]
fn names() {
    assert_eq!(
        valid_name("  Ana   María Pérez "),
        Some("Ana María Pérez".into())
    );
    assert_eq!(valid_name("x"), None);
    assert_eq!(valid_name("Robert'); DROP TABLE--"), None);
    assert_eq!(valid_name("\u{1b}[2J"), None);
}

#[test]
fn serials_ignore_punctuation() {
    assert_eq!(
        normalise_serial("100.200.300"),
        normalise_serial("100200300")
    );
    assert_eq!(normalise_serial("a-12 3"), "A123");
}

fn in_phase(phase: Phase) -> CustomerConversation {
    CustomerConversation {
        phase,
        session: Session::default(),
    }
}

#[test]
fn the_classifier_is_asked_only_when_its_answer_is_used() {
    let choosing = || Phase::Choosing {
        requests: vec![
            (124_578, "Cambio de clave WiFi".to_string()),
            (123_499, "Cambio de Plan".to_string()),
        ],
    };
    let clarify = || Phase::Clarify {
        first: Intent::ReiniciarServicios,
        second: Intent::ContactarEjecutivo,
    };
    let table = [
        (Phase::AwaitRut, "quiero ver mis reclamos", false),
        (Phase::Menu, "quiero ver mis reclamos", true),
        (Phase::Menu, "  3. ", false),
        (Phase::Menu, "", false),
        (Phase::Menu, "124578", true),
        (clarify(), "sí", false),
        (clarify(), "2", false),
        (clarify(), "mejor hablar con alguien", true),
        (choosing(), "2", false),
        (choosing(), "volver", false),
        (choosing(), "la del wifi", false),
        (choosing(), "la solicitud 124578", false),
        (choosing(), "mejor quiero hablar con un ejecutivo", true),
        (
            Phase::Queued {
                request: 1,
                told_backlog: false,
            },
            "hola",
            false,
        ),
    ];
    for (phase, line, wanted) in table {
        let conv = in_phase(phase.clone());
        assert_eq!(
            conv.wants_classification(line),
            wanted,
            "{phase:?} {line:?}"
        );
    }
}

#[test]
fn results_reach_only_pending_states() {
    let ctx = Context {
        policy: crate::conversation::Policy::default(),
        agent_token: std::sync::Arc::from("t"),
    };
    let mut out = Effects::new();
    let conv = in_phase(Phase::Menu).step(
        Input::Stored(StoreResult::Requests(Err(StoreFailed))),
        &ctx,
        &mut out,
    );
    assert_eq!(conv.phase, Phase::Menu);
    assert!(out.0.is_empty());
    let conv = conv.step(Input::Hub(HubResult::LoggedIn(Ok(()))), &ctx, &mut out);
    assert_eq!(conv.phase, Phase::Menu);
    assert!(out.0.is_empty());
}
