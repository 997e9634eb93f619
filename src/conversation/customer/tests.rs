use super::*;

#[test]
fn every_then_phrase_holds_a_cue_of_the_quick_check() {
    for then in THEN {
        assert!(THEN_CUES.iter().any(|cue| then.contains(cue)), "{then:?}");
    }
}

#[test]
fn menu_words_are_found_in_any_case_and_punctuation_and_longer_lines_are_not() {
    for phrase in GREETINGS.iter().chain(BACK_TO_MENU) {
        assert!(
            phrase.split(' ').count() <= MENU_WORD_MAX_WORDS,
            "{phrase:?} has more words than the quick check lets through"
        );
        let typed = format!("  {}!! ", phrase.to_uppercase().replace(' ', ", "));
        assert!(menu_word(&typed).is_some(), "{typed:?}");
    }
    assert_eq!(menu_word("Hola, buenas tardes"), Some(MenuWord::Greeting));
    assert_eq!(menu_word("volver al menú"), Some(MenuWord::Back));
    assert_eq!(menu_word("hola buenas tardes amigo"), None);
    assert_eq!(menu_word("quiero volver al menu ahora"), None);
}

#[test]
fn names() {
    assert_eq!(
        valid_name("  Ana   María Pérez "),
        Ok("Ana María Pérez".into())
    );
    assert_eq!(valid_name("x"), Err(BadName::NotLetters));
    assert_eq!(
        valid_name("Robert'); DROP TABLE--"),
        Err(BadName::NotLetters)
    );
    assert_eq!(valid_name("\u{1b}[2J"), Err(BadName::NotLetters));
    assert_eq!(valid_name("12.345.678"), Err(BadName::NotLetters));
    // Two letters at least; punctuation alone does not make a name.
    assert_eq!(valid_name("J."), Err(BadName::NotLetters));
    assert_eq!(valid_name("O'"), Err(BadName::NotLetters));
    // An accent typed as a separate mark (e + U+0301) is the accented letter.
    assert_eq!(
        valid_name("Jose\u{301} Pe\u{301}rez"),
        Ok("José Pérez".into())
    );
    for console_like in [
        "Juan Pérez desconectado",
        "Juan Pérez se desconectó",
        "Ana Soto cerró la conversación con el cliente",
        "Cliente Juan Soto",
    ] {
        assert_eq!(
            valid_name(console_like),
            Err(BadName::Sentence),
            "{console_like}"
        );
    }
    assert_eq!(
        valid_name("Ana Beatriz Carla Daniela Elena Fernanda Gabriela Pérez"),
        Err(BadName::TooManyWords)
    );
    assert_eq!(valid_name(&"Ana ".repeat(21)), Err(BadName::TooManyWords));
    // A name needs a surname.
    for single in ["Pedro", "María", "de la Cruz"] {
        assert_eq!(name_words(single), 1, "{single}");
    }
    assert_eq!(name_words("José de la Cruz"), 2);
    // Few words, too many characters: told so, not "too many words".
    let long = format!("{} {}", "A".repeat(40), "B".repeat(40));
    assert_eq!(valid_name(&long), Err(BadName::TooLong));
    assert!(valid_name(&long[1..]).is_ok(), "80 characters is a name");
    // Names with particles, hyphens and apostrophes.
    for name in [
        "María de los Ángeles Pérez González",
        "Luz del Carmen O'Ryan",
        "José Miguel de la Cruz Pérez González",
        "María de los Ángeles Fernández de la Cruz",
        "María del Cerro",
        "Ana Dias",
        "José-Miguel Ñúñez",
        "Jorge",
    ] {
        assert_eq!(valid_name(name).as_deref(), Ok(name));
    }
    // A greeting or a sentence typed at the name prompt is not a name (a black-box test
    // registered "hola" and "me cobraron dos veces").
    for text in [
        "hola",
        "Buenas tardes",
        "me cobraron dos veces",
        "quiero hablar con un ejecutivo",
        "no tengo internet",
        "me cobraron 2 veces la boleta",
        "hola, necesito ayuda con mi plan de internet porque no funciona desde ayer",
    ] {
        assert_eq!(valid_name(text), Err(BadName::Sentence), "{text}");
    }
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
    let listed = |id, subject: &str| ListedRequest {
        id,
        subject: subject.to_string(),
        state: RequestState::Abierto,
        created: "2025-04-14".to_string(),
    };
    let choosing = || Phase::Choosing {
        requests: vec![
            listed(124_578, "Cambio de clave WiFi"),
            listed(123_499, "Cambio de Plan"),
        ],
        shown: 2,
    };
    let clarify = || Phase::Clarify {
        first: Intent::ReiniciarServicios,
        second: Intent::ContactarEjecutivo,
        words: "algo".to_string(),
    };
    let table = [
        (Phase::AwaitRut, "quiero ver mis reclamos", false),
        (Phase::Menu, "quiero ver mis reclamos", true),
        (Phase::Menu, "  3. ", false),
        (Phase::Menu, "", false),
        // A bare number is a request's: no classifier needed.
        (Phase::Menu, "124578", false),
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
        started: Some(chrono::Utc::now()),
        time_zone: crate::server::DEFAULT_TIME_ZONE,
        queue_grace: std::time::Duration::ZERO,
        wrap_up_limit: std::time::Duration::ZERO,
    };
    let mut out = Effects::new();
    let conv = in_phase(Phase::Menu).step(
        Input::Stored(StoreResult::Requests(Err(StoreFailed))),
        &ctx,
        &mut out,
    );
    assert_eq!(conv.phase, Phase::Menu);
    assert!(out.0.is_empty());
    let conv = conv.step(Input::Hub(HubResult::LoggedIn(Ok(None))), &ctx, &mut out);
    assert_eq!(conv.phase, Phase::Menu);
    assert!(out.0.is_empty());
}

// --- the NLU inbox -------------------------------------------------------------------------

fn ctx() -> Context {
    Context {
        policy: crate::conversation::Policy::default(),
        agent_token: std::sync::Arc::from("t"),
        started: Some(chrono::Utc::now()),
        time_zone: crate::server::DEFAULT_TIME_ZONE,
        queue_grace: std::time::Duration::ZERO,
        wrap_up_limit: std::time::Duration::ZERO,
    }
}

fn logged_in() -> CustomerConversation {
    CustomerConversation {
        phase: Phase::Menu,
        session: Session {
            customer: Some(Customer {
                rut: "12.345.678-5".parse().unwrap(),
                name: "Jorge Sandoval".into(),
                id_serial: None,
            }),
            ..Session::default()
        },
    }
}

fn predicted(intent: Intent, confidence: f32, decision: Decision) -> Prediction {
    Prediction {
        intent,
        confidence,
        ranking: Vec::new(),
        decision,
        topic: None,
        rule: None,
    }
}

/// Sends `text` with `prediction`.
fn say_line(
    conv: CustomerConversation,
    text: &str,
    prediction: Option<Prediction>,
    out: &mut Effects,
) -> CustomerConversation {
    conv.step(Input::Line { text, prediction }, &ctx(), out)
}

/// A request as the store returns it after creating or changing it, with no history.
fn stored_request(id: u64, rut: Rut, subject: &str, state: RequestState) -> Request {
    let now = chrono::Utc::now();
    Request {
        id,
        rut,
        subject: subject.into(),
        state,
        answer: None,
        sensitive: false,
        history: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

fn kept(out: &Effects) -> Vec<&InboxMessage> {
    out.0
        .iter()
        .filter_map(|effect| match effect {
            Effect::Record(StoreOp::KeepInboxMessage(message)) => Some(message),
            _ => None,
        })
        .collect()
}

#[test]
fn a_fallback_and_a_clarification_are_kept_without_customer_data() {
    let mut out = Effects::new();
    let conv = say_line(
        logged_in(),
        "  cuánto sale el pack de fútbol, mi rut es 12.345.678-5 ",
        Some(predicted(
            Intent::ReiniciarServicios,
            0.3,
            Decision::Fallback,
        )),
        &mut out,
    );
    // Unplaced text makes the conversation look for a request of theirs with that topic;
    // with one, the message was understood after all and is not kept (a black-box test
    // found "la del wifi", answered with the WiFi request, kept as a fallback).
    assert!(matches!(
        conv.phase,
        Phase::Pending(Pending::FindByTopic { .. })
    ));
    assert!(kept(&out).is_empty());
    let _found = conv.clone().step(
        Input::Stored(StoreResult::Requests(Ok(vec![stored_request(
            7,
            "12.345.678-5".parse().unwrap(),
            "Pack de fútbol",
            RequestState::Abierto,
        )]))),
        &ctx(),
        &mut out,
    );
    assert!(kept(&out).is_empty(), "{:?}", out.0);
    assert!(!out.lines().any(|l| l == say::NOT_UNDERSTOOD));
    // With none, the answer is "no entendí", and the message is kept.
    let mut out = Effects::new();
    let conv = conv.step(
        Input::Stored(StoreResult::Requests(Ok(Vec::new()))),
        &ctx(),
        &mut out,
    );
    assert_eq!(
        kept(&out),
        [&InboxMessage {
            text: "cuánto sale el pack de fútbol, mi rut es <rut>".into(),
            outcome: InboxOutcome::Fallback,
            predicted: Intent::ReiniciarServicios,
            confidence: 0.3,
        }]
    );
    assert!(out.lines().any(|l| l == say::NOT_UNDERSTOOD));
    assert_eq!(conv.phase, Phase::Menu);
    let mut out = Effects::new();
    let clarify = Decision::Clarify(Intent::ReiniciarServicios, Intent::ContactarEjecutivo);
    let conv = say_line(
        conv,
        "no me anda nada",
        Some(predicted(Intent::ReiniciarServicios, 0.5, clarify)),
        &mut out,
    );
    assert_eq!(kept(&out).len(), 1);
    assert_eq!(kept(&out)[0].outcome, InboxOutcome::Clarify);
    assert!(matches!(conv.phase, Phase::Clarify { .. }));
    // "no quiero nada" was understood (declined): not kept; nor is a menu number.
    let mut out = Effects::new();
    let conv = say_line(
        in_phase(Phase::Menu),
        "no quiero hablar con nadie",
        Some(predicted(Intent::Fallback, 0.9, Decision::Fallback)),
        &mut out,
    );
    let conv = say_line(conv, "7", None, &mut out);
    assert!(kept(&out).is_empty());
    assert_eq!(conv.phase, Phase::Menu);
}

#[test]
fn a_corrected_message_reaches_the_inbox_with_its_rut_masked() {
    // The message acted on is kept as typed until the next line; masked when kept.
    let restart = Some(predicted(
        Intent::ReiniciarServicios,
        0.9,
        Decision::Intent(Intent::ReiniciarServicios),
    ));
    let mut out = Effects::new();
    let conv = say_line(
        logged_in(),
        "soy 12.345.678-5 y se me cortó la luz",
        restart,
        &mut out,
    );
    let conv = conv.step(
        Input::Stored(StoreResult::Changed(Err(StoreFailed))),
        &ctx(),
        &mut out,
    );
    let mut out = Effects::new();
    say_line(conv, "no, quise decir otra cosa", None, &mut out);
    assert_eq!(kept(&out)[0].outcome, InboxOutcome::Correction);
    assert_eq!(kept(&out)[0].text, "soy <rut> y se me cortó la luz");
}

#[test]
fn a_correction_right_after_the_bot_acted_keeps_the_misunderstood_message() {
    let restart = || {
        Some(predicted(
            Intent::ReiniciarServicios,
            0.93,
            Decision::Intent(Intent::ReiniciarServicios),
        ))
    };
    let mut out = Effects::new();
    let conv = say_line(logged_in(), "se me cortó la luz", restart(), &mut out);
    assert!(
        kept(&out).is_empty(),
        "acting on a prediction keeps nothing yet"
    );
    assert_eq!(
        conv.phase,
        Phase::Pending(Pending::Restart {
            words: Some("se me cortó la luz".into())
        })
    );
    let conv = conv.step(
        Input::Stored(StoreResult::Changed(Err(StoreFailed))),
        &ctx(),
        &mut out,
    );
    assert_eq!(conv.phase, Phase::Menu);
    let mut out = Effects::new();
    let conv = say_line(conv, "No, quise decir hablar con alguien", None, &mut out);
    assert_eq!(
        kept(&out),
        [&InboxMessage {
            text: "se me cortó la luz".into(),
            outcome: InboxOutcome::Correction,
            predicted: Intent::ReiniciarServicios,
            confidence: 0.93,
        }]
    );
    // (The correction itself fell back here, as it has no prediction: kept as well, once
    // none of the customer's requests turns out to be what it names.)
    let conv = conv.step(
        Input::Stored(StoreResult::Requests(Ok(Vec::new()))),
        &ctx(),
        &mut out,
    );
    assert_eq!(kept(&out)[1].outcome, InboxOutcome::Fallback);
    // Only the very next line counts, and only a correction phrase.
    let mut out = Effects::new();
    let conv = say_line(conv, "no era eso", None, &mut out);
    assert!(kept(&out)
        .iter()
        .all(|m| m.outcome != InboxOutcome::Correction));
    let mut out = Effects::new();
    let conv = say_line(conv, "se me cortó la luz", restart(), &mut out);
    let conv = conv.step(
        Input::Stored(StoreResult::Changed(Err(StoreFailed))),
        &ctx(),
        &mut out,
    );
    let conv = say_line(conv, "gracias", None, &mut out);
    let _ = say_line(conv, "no era eso", None, &mut out);
    assert!(kept(&out)
        .iter()
        .all(|m| m.outcome != InboxOutcome::Correction));
    // A menu number is the customer's own choice: correcting it keeps nothing.
    let mut out = Effects::new();
    let conv = say_line(logged_in(), "2", None, &mut out);
    let conv = conv.step(
        Input::Stored(StoreResult::Changed(Err(StoreFailed))),
        &ctx(),
        &mut out,
    );
    let _ = say_line(conv, "no era eso", None, &mut out);
    assert!(kept(&out)
        .iter()
        .all(|m| m.outcome != InboxOutcome::Correction));
}

#[test]
fn a_reserved_name_is_not_registered() {
    let rut: Rut = "12.345.678-5".parse().unwrap();
    let mut conv = in_phase(Phase::AwaitName { rut });
    for name in ["Sistema", "sístema", "Asistente Virtual", "SERVER"] {
        let mut out = Effects::new();
        conv = say_line(conv, name, None, &mut out);
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [say::NAME_RESERVED],
            "{name}"
        );
        assert_eq!(conv.phase, Phase::AwaitName { rut }, "{name}");
    }
    let mut out = Effects::new();
    let conv = say_line(conv, "Juan Sistemas", None, &mut out);
    assert_eq!(conv.phase, Phase::Pending(Pending::Register { rut }));
    assert!(out.0.contains(&Effect::Store(StoreOp::RegisterCustomer {
        rut,
        name: "Juan Sistemas".into()
    })));
}

#[test]
fn a_waiting_customer_backlog_is_bounded_in_lines_and_bytes() {
    let policy = crate::conversation::Policy {
        max_backlog_lines: 3,
        max_backlog_bytes: 100,
        ..crate::conversation::Policy::default()
    };
    let ctx = Context { policy, ..ctx() };
    let queued = || {
        let mut conv = logged_in();
        conv.phase = Phase::Queued {
            request: 7,
            told_backlog: true,
        };
        conv
    };
    // Counts the stored lines and the notices over `lines`.
    let run = |lines: &[&str]| {
        let mut conv = queued();
        let (mut stored, mut told) = (0, 0);
        for line in lines {
            let mut out = Effects::new();
            conv = conv.step(
                Input::Line {
                    text: line,
                    prediction: None,
                },
                &ctx,
                &mut out,
            );
            if matches!(conv.phase, Phase::Pending(Pending::QueuedSays { .. })) {
                conv = conv.step(
                    Input::Hub(HubResult::Routed(Ok(Routed::Backlog { position: Some(2) }))),
                    &ctx,
                    &mut out,
                );
            }
            stored += out
                .0
                .iter()
                .filter(|e| matches!(e, Effect::Record(StoreOp::AppendTranscript { .. })))
                .count();
            told += out.lines().filter(|l| *l == say::BACKLOG_FULL).count();
            assert!(
                matches!(conv.phase, Phase::Queued { .. }),
                "{:?}",
                conv.phase
            );
        }
        (stored, told)
    };
    assert_eq!(
        run(&["uno", "dos", "tres", "cuatro", "cinco", "seis"]),
        (3, 1)
    );
    let long = "x".repeat(60);
    assert_eq!(run(&[&long, &long, "corto"]), (2, 1));
}

/// In the queue the first line is acknowledged (kept for the executive); later lines are
/// kept quietly, but a question ("¿cuánto falta?") gets an answer: a black-box test found
/// it unanswered.
#[test]
fn a_question_in_the_queue_is_answered_and_other_lines_kept_quietly() {
    let mut conv = logged_in();
    conv.phase = Phase::Queued {
        request: 7,
        told_backlog: false,
    };
    let mut said = Vec::new();
    for line in [
        "hola",
        "es por la boleta",
        "¿cuánto falta?",
        "ok",
        "¿hay alguien",
        "cuanto falta",
        "es urgente",
    ] {
        let mut out = Effects::new();
        conv = say_line(conv, line, None, &mut out);
        assert!(matches!(
            conv.phase,
            Phase::Pending(Pending::QueuedSays { .. })
        ));
        conv = conv.step(
            Input::Hub(HubResult::Routed(Ok(Routed::Backlog { position: Some(2) }))),
            &ctx(),
            &mut out,
        );
        said.push(out.lines().map(str::to_string).collect::<Vec<_>>());
    }
    assert_eq!(
        said,
        [
            vec![say::MESSAGE_KEPT.to_string()],
            vec![],
            vec![say::still_waiting(Some(2))],
            vec![],
            vec![say::still_waiting(Some(2))],
            vec![say::still_waiting(Some(2))],
            vec![],
        ]
    );
}

/// A question as the first line in the queue gets the customer's place, and the first
/// line that is not a question is still acknowledged (the re-test found it unanswered).
#[test]
fn a_first_question_in_the_queue_leaves_the_acknowledgement_for_the_next_line() {
    let mut conv = logged_in();
    conv.phase = Phase::Queued {
        request: 7,
        told_backlog: false,
    };
    let mut said = Vec::new();
    for line in ["¿cuánto falta?", "tengo un problema con internet", "ok"] {
        let mut out = Effects::new();
        conv = say_line(conv, line, None, &mut out);
        conv = conv.step(
            Input::Hub(HubResult::Routed(Ok(Routed::Backlog { position: Some(3) }))),
            &ctx(),
            &mut out,
        );
        said.push(out.lines().map(str::to_string).collect::<Vec<_>>());
    }
    assert_eq!(
        said,
        [
            vec![say::still_waiting(Some(3))],
            vec![say::MESSAGE_KEPT.to_string()],
            vec![],
        ]
    );
}

#[test]
fn a_stored_reserved_name_does_not_reach_the_executive() {
    let mut conv = logged_in();
    let rut = conv.session.customer.as_ref().unwrap().rut;
    conv.session.customer.as_mut().unwrap().name = "Sistema".into();
    conv.phase = Phase::Pending(Pending::Contact {
        reason: Reason::default(),
    });
    let mut out = Effects::new();
    conv.step(
        Input::Stored(StoreResult::Changed(Ok(stored_request(
            9,
            rut,
            "Contacto con ejecutivo",
            RequestState::Abierto,
        )))),
        &ctx(),
        &mut out,
    );
    assert!(
        out.0.iter().any(|e| matches!(
            e,
            Effect::Hub(HubOp::Enqueue { name, .. }) if *name == protocol::agent::unnamed_customer(rut)
        )),
        "{:?}",
        out.0
    );
}

#[test]
fn a_waiting_customer_who_names_a_cancellation_stays_in_the_queue() {
    // "quiero cancelar mi plan" is what they wait to talk about: it goes to the executive.
    // "cancelar" alone leaves the queue.
    for (line, leaves) in [
        ("quiero cancelar mi plan", false),
        ("quiero salir de esta compañía", false),
        ("cancelar", true),
        ("ya no quiero esperar", true),
    ] {
        let mut conv = logged_in();
        conv.phase = Phase::Queued {
            request: 7,
            told_backlog: false,
        };
        let mut out = Effects::new();
        conv = say_line(conv, line, None, &mut out);
        let left = out
            .0
            .iter()
            .any(|e| matches!(e, Effect::Hub(HubOp::LeaveQueue)));
        let forwarded = out
            .0
            .iter()
            .any(|e| matches!(e, Effect::Hub(HubOp::CustomerSays(text)) if text == line));
        assert_eq!((left, forwarded), (leaves, !leaves), "{line:?}");
        if !leaves {
            assert!(
                matches!(conv.phase, Phase::Pending(Pending::QueuedSays { .. })),
                "{line:?}: {:?}",
                conv.phase
            );
        }
    }
}

#[test]
fn an_unsure_wish_for_an_executive_is_confirmed_before_the_queue() {
    let ask = |confidence: f32| {
        let mut out = Effects::new();
        let conv = say_line(
            logged_in(),
            "café con leche",
            Some(predicted(
                Intent::ContactarEjecutivo,
                confidence,
                Decision::Intent(Intent::ContactarEjecutivo),
            )),
            &mut out,
        );
        let asked = out.lines().any(|l| l == say::CONFIRM_AGENT);
        let stored = out.0.iter().any(|e| matches!(e, Effect::Store(_)));
        (conv, asked, stored)
    };
    // Sure: straight to the request and the queue, as option 3.
    let (_, asked, stored) = ask(0.95);
    assert_eq!((asked, stored), (false, true));
    // Unsure: asked first; "no" goes back to the menu, "sí" records the request.
    let (conv, asked, stored) = ask(0.65);
    assert_eq!((asked, stored), (true, false));
    assert!(matches!(conv.phase, Phase::Confirm { .. }));
    let mut out = Effects::new();
    let declined = say_line(conv.clone(), "no", None, &mut out);
    assert_eq!(declined.phase, Phase::Menu);
    assert!(out.lines().any(|l| l == say::DECLINED));
    let mut out = Effects::new();
    let accepted = say_line(conv, "sí", None, &mut out);
    assert!(out.0.iter().any(|e| matches!(e, Effect::Store(_))));
    assert!(matches!(accepted.phase, Phase::Pending(_)));
}

/// A logged-in customer's goodbye the classifier gave `confidence`, and what it brought.
fn unsure_goodbye(text: &str, confidence: f32) -> (CustomerConversation, Effects) {
    let mut out = Effects::new();
    let prediction = predicted(Intent::Salir, confidence, Decision::Intent(Intent::Salir));
    let conv = say_line(logged_in(), text, Some(prediction), &mut out);
    (conv, out)
}

/// An unsure goodbye that names a matter only a person handles is offered an executive
/// for it, not asked "¿Cierro el chat?" ("cuatro lucas de más" was read as a goodbye).
#[test]
fn an_unsure_goodbye_naming_a_matter_offers_an_executive() {
    let (conv, out) = unsure_goodbye("cuatro lucas de mas", 0.86);
    let offer = say::confirm_contact(Topic::Boleta.label());
    assert!(out.lines().any(|l| l == offer), "{:?}", out.0);
    assert!(!out.lines().any(|l| l == say::CONFIRM_EXIT));
    assert!(matches!(
        conv.phase,
        Phase::Confirm {
            plan: Plan::Contact(Topic::Boleta),
            ..
        }
    ));
}

/// An unsure goodbye that turns a matter down is asked "¿Cierro el chat?", not offered an
/// executive for what it refused.
#[test]
fn an_unsure_goodbye_turning_a_matter_down_is_only_confirmed() {
    let (conv, out) = unsure_goodbye("no quiero dar de baja nada, gracias", 0.7);
    assert!(out.lines().any(|l| l == say::CONFIRM_EXIT), "{:?}", out.0);
    assert!(matches!(
        conv.phase,
        Phase::Confirm {
            plan: Plan::Exit,
            ..
        }
    ));
}

/// An unsure goodbye that refuses a grievance, not a wish, is still offered an executive
/// for it (the code review: "no quiero que me sigan cobrando de más" lost the offer).
#[test]
fn an_unsure_goodbye_refusing_a_grievance_still_offers_an_executive() {
    let (conv, out) = unsure_goodbye("no quiero que me sigan cobrando de más, gracias", 0.77);
    assert!(
        matches!(
            conv.phase,
            Phase::Confirm {
                plan: Plan::Contact(_),
                ..
            }
        ),
        "{:?}",
        out.0
    );
}

/// A goodbye the classifier is not sure of is asked about: a black-box test's "cuatro lucas
/// de más" (an overcharge) was "salir" with 0.86 and closed the conversation. A "no"
/// keeps the words for an executive asked for next; a sure goodbye closes at once.
#[test]
fn an_unsure_goodbye_is_confirmed_before_closing() {
    let say_bye = |confidence: f32| {
        let mut out = Effects::new();
        let conv = say_line(
            logged_in(),
            "ya fue, me aburri",
            Some(predicted(
                Intent::Salir,
                confidence,
                Decision::Intent(Intent::Salir),
            )),
            &mut out,
        );
        let asked = out.lines().any(|l| l == say::CONFIRM_EXIT);
        // Asked about, the message is kept for `nlu review` (a re-test missed it there).
        assert_eq!(kept(&out).len(), usize::from(asked));
        (conv, asked)
    };
    let (conv, asked) = say_bye(0.95);
    assert_eq!((conv.phase, asked), (Phase::Closed, false));
    // So at the list of requests and at the serial's prompt (a re-test's "gracias" there
    // closed the session without the question).
    for phase in [
        Phase::Choosing {
            requests: vec![ListedRequest {
                id: 124_578,
                subject: "Cambio de clave WiFi".to_string(),
                state: RequestState::Cerrado,
                created: "2025-03-03".to_string(),
            }],
            shown: 1,
        },
        Phase::AwaitSerial {
            request: 124_578,
            answer: "clave".to_string(),
        },
    ] {
        let mut conv = logged_in();
        conv.phase = phase;
        let mut out = Effects::new();
        let conv = say_line(
            conv,
            "gracias",
            Some(predicted(
                Intent::Salir,
                0.77,
                Decision::Intent(Intent::Salir),
            )),
            &mut out,
        );
        assert!(out.lines().any(|l| l == say::CONFIRM_EXIT), "{:?}", out.0);
        assert!(matches!(
            conv.phase,
            Phase::Confirm {
                plan: Plan::Exit,
                ..
            }
        ));
    }
    let (conv, asked) = say_bye(0.86);
    assert!(asked);
    assert!(matches!(
        conv.phase,
        Phase::Confirm {
            plan: Plan::Exit,
            ..
        }
    ));
    let mut out = Effects::new();
    let declined = say_line(conv.clone(), "no", None, &mut out);
    assert_eq!(declined.phase, Phase::Menu);
    assert!(out.lines().any(|l| l == say::DECLINED));
    let mut out = Effects::new();
    let contact = say_line(declined, "3", None, &mut out);
    assert!(
        matches!(
            &contact.phase,
            Phase::Pending(Pending::Contact { reason })
                if reason.words.as_deref().is_some_and(|w| w.contains("ya fue, me aburri"))
        ),
        "the words go to the executive: {:?}",
        contact.phase
    );
    let mut out = Effects::new();
    let closed = say_line(conv.clone(), "sí", None, &mut out);
    assert_eq!(closed.phase, Phase::Closed);
    assert!(out.lines().any(|l| l == say::GOODBYE));
    // Another goodbye, however unsure, or "no, nada más" is a yes (the code review saw
    // the question asked again, and "ya no necesito nada" taken for a no).
    let bye = Some(predicted(
        Intent::Salir,
        0.69,
        Decision::Intent(Intent::Salir),
    ));
    for (line, prediction) in [
        ("quiero terminar", bye),
        ("no, nada más", None),
        ("ya no necesito nada", None),
    ] {
        let mut out = Effects::new();
        let closed = say_line(conv.clone(), line, prediction, &mut out);
        assert_eq!(closed.phase, Phase::Closed, "{line}");
    }
    // Not a goodbye after a "no": the classifier reads the salute that ends it (the code
    // review's "No, todavía tengo una consulta. Buenas tardes").
    let mut out = Effects::new();
    let kept_open = say_line(
        conv,
        "No, todavía tengo una consulta. Buenas tardes",
        Some(predicted(
            Intent::Salir,
            0.3,
            Decision::Intent(Intent::Salir),
        )),
        &mut out,
    );
    assert_ne!(kept_open.phase, Phase::Closed, "{:?}", out.0);
    assert!(!out.lines().any(|l| l == say::GOODBYE));
}

/// "cancelar", "volver" or "olvídalo" at "¿Lo comunico con un ejecutivo?" turn it down:
/// they were read as free text, and "cancelar" (cancelling a service) as a wish for an
/// executive, so the customer was queued. A goodbye still says goodbye; "cancelar el
/// plan" is still a request of its own.
#[test]
fn a_way_back_at_a_yes_no_question_turns_it_down() {
    let confirm = || {
        let mut out = Effects::new();
        let conv = say_line(
            logged_in(),
            "me cobraron dos veces",
            Some(predicted(
                Intent::ContactarEjecutivo,
                0.65,
                Decision::Intent(Intent::ContactarEjecutivo),
            )),
            &mut out,
        );
        assert!(matches!(conv.phase, Phase::Confirm { .. }));
        conv
    };
    for text in [
        "cancelar",
        "volver",
        "Menú",
        "olvídalo",
        "mejor déjalo",
        "no importa",
    ] {
        let conv = confirm();
        assert!(!conv.wants_classification(text), "{text}");
        let mut out = Effects::new();
        let after = say_line(conv, text, None, &mut out);
        assert_eq!(after.phase, Phase::Menu, "{text}");
        assert!(out.lines().any(|l| l == say::DECLINED), "{text}");
        assert!(
            !out.0.iter().any(|e| matches!(e, Effect::Store(_))),
            "{text}"
        );
    }
    // Longer lines, goodbyes and wishes are still read as such (a review found
    // "quiero hablar con una persona no con un bot" read as a way back).
    for text in [
        "chao",
        "Chao!",
        "adiós, gracias",
        "me voy",
        "cancelar el plan",
        "no me sirve el bot quiero hablar con alguien",
        "quiero hablar con una persona no con un bot",
        "sí, pero no quiero esperar mucho",
    ] {
        assert!(confirm().wants_classification(text), "{text}");
    }
}

/// "quiero hablar con una persona" at "¿Lo comunico con un ejecutivo?" is a yes to the
/// complaint asked about: the request keeps its topic and the customer's first words (a
/// re-test found them replaced by the second line).
#[test]
fn a_wish_for_a_person_at_the_confirmation_keeps_the_complaint() {
    let mut conv = logged_in();
    conv.phase = Phase::Confirm {
        plan: Plan::Contact(Topic::CobroDuplicado),
        words: "me cobraron dos veces".to_string(),
    };
    let mut out = Effects::new();
    let conv = say_line(
        conv,
        "quiero hablar con una persona",
        Some(predicted(
            Intent::ContactarEjecutivo,
            0.95,
            Decision::Intent(Intent::ContactarEjecutivo),
        )),
        &mut out,
    );
    assert!(matches!(
        conv.phase,
        Phase::Pending(Pending::Contact { .. })
    ));
    let created = out.0.iter().find_map(|e| match e {
        Effect::Store(StoreOp::CreateRequest {
            subject, history, ..
        }) => Some((subject.to_string(), history.to_string())),
        _ => None,
    });
    let (subject, history) = created.expect("a request");
    assert_eq!(subject, "Cobro duplicado en su boleta");
    assert_eq!(
        history,
        history::contact_asked(Some("me cobraron dos veces"))
    );

    // A complaint of its own in the answer goes along (a re-test lost it).
    let mut conv = logged_in();
    conv.phase = Phase::Confirm {
        plan: Plan::Contact(Topic::ReinicioFallido),
        words: "no funciona, sigue igual".to_string(),
    };
    let mut out = Effects::new();
    say_line(
        conv,
        "y me cobraron dos veces la boleta",
        Some(predicted(
            Intent::ContactarEjecutivo,
            0.95,
            Decision::Intent(Intent::ContactarEjecutivo),
        )),
        &mut out,
    );
    let history = out.0.iter().find_map(|e| match e {
        Effect::Store(StoreOp::CreateRequest { history, .. }) => Some(history.to_string()),
        _ => None,
    });
    assert_eq!(
        history.as_deref(),
        Some(
            history::contact_asked(Some(
                "no funciona, sigue igual / y me cobraron dos veces la boleta"
            ))
            .as_ref()
        )
    );
}

#[test]
fn a_fourth_restart_in_a_session_offers_an_executive_instead() {
    let mut conv = logged_in();
    let rut = conv.session.customer.as_ref().unwrap().rut;
    let restarted = |id| {
        Input::Stored(StoreResult::Changed(Ok(stored_request(
            id,
            rut,
            "Reinicio de servicios",
            RequestState::Cerrado,
        ))))
    };
    for id in 1..=MAX_RESTARTS {
        let mut out = Effects::new();
        conv = say_line(conv, "2", None, &mut out);
        assert!(out.lines().any(|l| l == say::RESTARTING), "restart {id}");
        conv = conv.step(restarted(u64::from(id)), &ctx(), &mut out);
        assert!(out.lines().any(|l| l == say::restarted(id)));
    }
    let mut out = Effects::new();
    conv = say_line(conv, "2", None, &mut out);
    assert!(!out.lines().any(|l| l == say::RESTARTING));
    assert!(!out.0.iter().any(|e| matches!(e, Effect::Store(_))));
    assert!(out.lines().any(|l| l == say::restarts_done(MAX_RESTARTS)));
    assert!(matches!(
        conv.phase,
        Phase::Confirm {
            plan: Plan::Contact(Topic::ReinicioFallido),
            ..
        }
    ));
    // "sí": an executive, with the topic and no words of the customer's.
    let mut out = Effects::new();
    let conv = say_line(conv, "sí", None, &mut out);
    assert!(matches!(
        conv.phase,
        Phase::Pending(Pending::Contact { .. })
    ));
    assert!(matches!(
        &conv.phase,
        Phase::Pending(Pending::Contact { reason }) if reason.words.is_none()
    ));
}

/// Numbers that are neither a position in the list nor one of the customer's request
/// numbers are asked again (a black-box test saw "-1", "1 2" and a RUT open the first
/// request, and "2.5" queue the customer for an executive); positions written as words or
/// with their usual marks still pick.
/// Digits and signs without a word at the menu are a request's number or nothing: "2 2"
/// and "2222" asked for an executive (a black-box test), by way of the classifier.
#[test]
fn digits_without_words_at_the_menu_are_not_free_text() {
    for text in ["2 2", "2 3", "22 22", "...", "👍", "2-2"] {
        let bot = logged_in();
        assert!(!bot.wants_classification(text), "{text}");
        let mut out = Effects::new();
        let bot = say_line(bot, text, None, &mut out);
        assert!(
            out.lines().next() == Some(say::NOT_UNDERSTOOD),
            "{text}: {:?}",
            out.0
        );
        assert!(matches!(bot.phase, Phase::Menu), "{text}");
    }
    // Four digits or more are a request's number, looked up among the customer's own.
    let bot = logged_in();
    let mut out = Effects::new();
    say_line(bot, "2222", None, &mut out);
    assert!(
        out.0
            .iter()
            .any(|e| matches!(e, Effect::Store(StoreOp::RequestOf { request: 2222, .. }))),
        "{:?}",
        out.0
    );
}

#[test]
fn only_a_position_or_a_request_number_picks_from_the_list() {
    let listed = |id, subject: &str| ListedRequest {
        id,
        subject: subject.to_string(),
        state: RequestState::Abierto,
        created: "2025-04-14".to_string(),
    };
    let requests = vec![
        listed(124_578, "Cambio de clave WiFi"),
        listed(123_499, "Cambio de Plan"),
    ];
    for text in ["-1", "1 2", "11.111.111", "2.5", "0", "3"] {
        assert_eq!(
            resolve_choice(&requests, text),
            Choice::AskAgain(say::NOT_AMONG_YOURS),
            "{text}"
        );
    }
    for (text, id) in [
        ("1", 124_578),
        ("2.", 123_499),
        ("(2)", 123_499),
        ("#1", 124_578),
        ("la 1", 124_578),
        ("la segunda", 123_499),
        ("124.578", 124_578),
        ("la solicitud 123499", 123_499),
    ] {
        assert_eq!(resolve_choice(&requests, text), Choice::Show(id), "{text}");
    }
    assert!(!matches!(
        resolve_choice(&requests, "la primera o la segunda"),
        Choice::Show(_)
    ));
    assert_eq!(
        resolve_choice(&requests, "la primera de las dos"),
        Choice::Show(124_578)
    );
    assert_eq!(resolve_choice(&requests, "2!"), Choice::Show(123_499));
}

#[test]
fn neither_and_ordinals_are_told_from_other_answers() {
    for neither in [
        "ninguna",
        "ninguna de las dos",
        "Ninguno de los dos",
        "ni una ni otra",
        "ni lo uno ni lo otro",
        "no, ninguna de esas",
        "no gracias, ninguna",
        "nada de eso",
        "nada",
        "ningunas de las dos",
        "ninguna opción",
        "ningun",
    ] {
        assert!(is_neither(neither), "{neither}");
    }
    for other in [
        "ninguna funciona y quiero un ejecutivo",
        "las dos",
        "no",
        "la segunda",
        "ni idea",
        "nada más que decir",
        "ninguna de las dos, quiero hablar con una persona",
        "ninguna opción me sirve, pásame con alguien",
        "ni el internet ni la tele funcionan",
    ] {
        assert!(!is_neither(other), "{other}");
    }
    for (text, offered) in [
        ("la primera", Some(0)),
        ("el segundo", Some(1)),
        ("la segunda opción", Some(1)),
        ("la última", Some(1)),
        ("la 2", None),
        ("la primera y la segunda", None),
        ("segunda vez que me pasa", None),
    ] {
        assert_eq!(offered_ordinal(text), offered, "{text}");
    }
}
