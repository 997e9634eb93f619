//! The complaint desk over real TCP (issue 16): what the executive is told on hand-off
//! (the customer's words, what they typed while waiting, their open requests with state
//! and date, the previous executive's chat after a requeue), `:requests` and `:open`,
//! the customer told about changes to their request and its state on `:close`, and
//! `:quit` on the console.

use chrono::Utc;

use crate::common::{request_of, TestClient, TestServer, JORGE};
use reclamos::protocol::{
    agent as to_agent, console as to_console, customer as to_customer, history as to_history,
};
use reclamos::registry::demo::PLAN_REQUEST;
use reclamos::registry::RequestState;

/// Reads an executive's lines up to the chat hint.
async fn hand_off(agent: &mut TestClient) -> Vec<String> {
    agent.recv_until(|line| line == to_agent::CHAT_HINT).await
}

#[tokio::test]
async fn the_executive_gets_the_context_and_the_customer_hears_about_the_request() {
    let server = TestServer::start().await;
    // No executive yet: the customer waits and writes.
    let mut customer = server.logged_in(JORGE).await;
    customer.send("quiero hablar con un ejecutivo").await;
    customer.expect(&to_customer::enqueued(1)).await;
    customer.recv().await; // no executives connected
    customer.expect_queue_hint().await;
    customer.send("me cobraron dos veces la boleta").await;
    customer.expect(to_customer::MESSAGE_KEPT).await;

    let mut ana = server.agent("Ana").await;
    let first = hand_off(&mut ana).await;
    let request = request_of(&first[0]);
    let today = crate::common::desk_day(Utc::now());
    assert_eq!(
        first[1..],
        [
            to_agent::reason_words("quiero hablar con un ejecutivo"),
            to_agent::OPEN_REQUESTS.to_string(),
            to_agent::open_request(
                PLAN_REQUEST,
                "Cambio de Plan",
                RequestState::Abierto,
                // The demo request's own creation date.
                first[3]
                    .rsplit("desde ")
                    .next()
                    .unwrap()
                    .trim_end_matches(')')
            ),
            to_agent::WHILE_WAITING.to_string(),
            to_agent::backlog_line("Jorge Sandoval", "me cobraron dos veces la boleta"),
            to_agent::CHAT_HINT.to_string(),
        ],
        "{first:#?}"
    );
    assert!(first[3].contains("(abierto, desde 20"), "{}", first[3]);
    customer
        .recv_until_contains(&to_customer::assigned_start("Ana"))
        .await;

    // A short chat, then Ana leaves with :quit, like any other way of leaving.
    ana.send("Hola, soy Ana, ¿en qué le ayudo?").await;
    customer
        .expect(&to_customer::from_agent(
            "Ana",
            "Hola, soy Ana, ¿en qué le ayudo?",
        ))
        .await;
    customer.send("el cobro de noviembre salió dos veces").await;
    ana.expect(&to_agent::from_customer(
        "Jorge Sandoval",
        "el cobro de noviembre salió dos veces",
    ))
    .await;
    // Ana renames the request and notes it before she leaves.
    ana.send(":subject Cobro duplicado de noviembre").await;
    ana.expect(&to_agent::subject_set(
        request,
        "Cobro duplicado de noviembre",
    ))
    .await;
    ana.send(":history Pide la devolución del segundo cargo")
        .await;
    ana.expect(&to_agent::history_updated(request, 4)).await;
    // With a customer in course, :quit asks first; a second one leaves.
    ana.send(":quit").await;
    ana.expect(&to_agent::quit_with_chats(1)).await;
    ana.send(":quit").await;
    ana.expect(to_agent::GOODBYE).await;
    ana.expect_closed().await;
    server
        .expect_console(&to_console::agent_disconnected("Ana"))
        .await;
    customer
        .expect(&to_customer::subject_changed(
            "Ana",
            request,
            "Cobro duplicado de noviembre",
        ))
        .await;
    customer.expect(&to_customer::agent_left("Ana")).await;

    // Bruno gets the same context plus Ana's chat.
    let mut bruno = server.agent("Bruno").await;
    let second = hand_off(&mut bruno).await;
    assert_eq!(request_of(&second[0]), request);
    assert_eq!(
        second[1],
        to_agent::reason_words("quiero hablar con un ejecutivo")
    );
    // What Ana left: the subject she set and her notes, not her "took it" entry.
    let left = second
        .iter()
        .position(|l| {
            *l == to_agent::passed_on(
                "Ana",
                request,
                "Cobro duplicado de noviembre",
                RequestState::Abierto,
                2,
            )
        })
        .unwrap_or_else(|| panic!("no subject and notes in {second:#?}"));
    let notes = [
        to_history::subject_changed("Cobro duplicado de noviembre"),
        "Pide la devolución del segundo cargo".to_string(),
    ];
    for (line, note) in second[left + 1..].iter().zip(notes) {
        assert!(line.ends_with(&format!(" Ana: {note}")), "{second:#?}");
    }
    let previous = second
        .iter()
        .position(|l| l.starts_with(&to_agent::previous_chat("Ana", 3)))
        .unwrap_or_else(|| panic!("no previous chat in {second:#?}"));
    let said: Vec<&str> = second[previous + 1..]
        .iter()
        .map(|l| l.trim_start().split_once(' ').unwrap().1) // drop the time
        .collect();
    assert_eq!(
        said[..3],
        [
            "Jorge Sandoval: me cobraron dos veces la boleta",
            "Ana: Hola, soy Ana, ¿en qué le ayudo?",
            "Jorge Sandoval: el cobro de noviembre salió dos veces",
        ],
        "{second:#?}"
    );
    customer
        .recv_until_contains(&to_customer::assigned_start("Bruno"))
        .await;

    // :requests lists the customer's requests, open first; :open picks one.
    bruno.send(":requests").await;
    let listed = bruno.recv_until(|l| l == to_agent::OPEN_HINT).await;
    assert_eq!(
        listed[0],
        to_agent::requests_header("Jorge Sandoval", listed.len() - 2)
    );
    assert!(listed.len() > 3, "{listed:#?}");
    assert!(
        listed.iter().any(|l| *l
            == to_agent::request_item(
                1,
                request,
                "Cobro duplicado de noviembre",
                "abierto",
                &today,
                true
            )),
        "{listed:#?}"
    );
    let plan = listed
        .iter()
        .position(|l| l.contains(&format!("{PLAN_REQUEST} Cambio de Plan: abierto")))
        .unwrap_or_else(|| panic!("{listed:#?}"));
    bruno.send(":open 999999").await;
    bruno
        .expect(&to_agent::not_customers_request("Jorge Sandoval"))
        .await;
    // By position in the listing.
    bruno.send(&format!(":open {plan}")).await;
    bruno
        .expect(&to_agent::now_acting_on(
            PLAN_REQUEST,
            "Cambio de Plan",
            "abierto",
        ))
        .await;
    // And what was done about it, dated (a black-box test's executives could not read
    // an earlier request); it has no chat to show.
    bruno.expect(&to_agent::opened_history(2, 2)).await;
    bruno
        .expect(&to_agent::transcript_line(
            "2025-04-14 10:12",
            "Asistente",
            "Solicitud creada: el cliente quiere pasar a un plan de fibra de 600 Mbps",
        ))
        .await;
    bruno
        .expect(&to_agent::transcript_line(
            "2025-04-15 09:30",
            "Diego Soto",
            "Propuesta del nuevo plan enviada al cliente; falta su confirmación",
        ))
        .await;
    bruno.send(":state cerrado").await;
    bruno
        .expect(&to_agent::state_set(PLAN_REQUEST, "cerrado"))
        .await;
    customer
        .expect(&to_customer::state_changed(
            "Bruno",
            PLAN_REQUEST,
            "cerrado",
        ))
        .await;
    // :close notes the opened request too, and tells the customer of the chat's own
    // (the plan's state was told as it changed).
    bruno.send(":close").await;
    bruno.expect(&to_agent::chat_closed("Jorge Sandoval")).await;
    customer
        .expect(&to_customer::chat_ended("Bruno", request, Some("abierto")))
        .await;
    customer.expect(to_customer::MORE_HELP).await;
    customer.expect_menu().await;

    let registry = server.registry();
    let plan = registry.request(PLAN_REQUEST).await.unwrap().unwrap();
    assert_eq!(plan.state, RequestState::Cerrado);
    assert_eq!(plan.history.last().unwrap().author, "Bruno");
    let contact = registry.request(request).await.unwrap().unwrap();
    assert_eq!(contact.subject, "Cobro duplicado de noviembre");
}

#[tokio::test]
async fn option_three_by_number_says_so_and_close_tells_the_state() {
    let server = TestServer::start().await;
    let mut agent = server.agent("JuanPerez").await;
    let mut customer = server.logged_in(JORGE).await;
    customer.send("3").await;
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    let lines = hand_off(&mut agent).await;
    let request = request_of(&lines[0]);
    assert_eq!(lines[1], to_agent::REASON_MENU);
    agent.send(":subject Cambio de plan a 600 megas").await;
    agent
        .expect(&to_agent::subject_set(
            request,
            "Cambio de plan a 600 megas",
        ))
        .await;
    customer
        .expect(&to_customer::subject_changed(
            "JuanPerez",
            request,
            "Cambio de plan a 600 megas",
        ))
        .await;
    agent.send(":close").await;
    agent.expect(&to_agent::chat_closed("Jorge Sandoval")).await;
    customer
        .expect(&to_customer::chat_ended(
            "JuanPerez",
            request,
            Some("abierto"),
        ))
        .await;
}

#[tokio::test]
async fn a_request_abandoned_in_the_queue_is_closed_and_a_restart_is_closed() {
    // The place is kept a second for a new connection; nobody comes back.
    let grace = std::time::Duration::from_secs(1);
    let server = TestServer::start_with(|config| config.limits.queue_grace = grace).await;
    let registry = server.registry();
    let mut customer = server.logged_in(JORGE).await;
    customer.send("3").await;
    customer.expect(&to_customer::enqueued(1)).await;
    customer.recv().await; // no executives connected
    drop(customer);
    let rut: reclamos::rut::Rut = JORGE.parse().unwrap();
    let request = registry
        .requests_of(rut)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.subject == to_history::CONTACT_SUBJECT)
        .expect("recorded")
        .id;
    server
        .expect_console(&to_console::away_in_queue("Jorge Sandoval", request, grace))
        .await;
    server
        .expect_console(&to_console::left_queue(
            "Jorge Sandoval",
            request,
            to_console::QueueExit::Disconnected,
        ))
        .await;
    // The disconnection is recorded after the connection task notices it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let contact = loop {
        let requests = registry.requests_of(rut).await.unwrap();
        let contact = requests
            .into_iter()
            .find(|r| r.subject == to_history::CONTACT_SUBJECT)
            .expect("recorded");
        if contact.state == RequestState::Cerrado || tokio::time::Instant::now() > deadline {
            break contact;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(contact.state, RequestState::Cerrado);
    let said: Vec<&str> = contact.history.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(
        said[1..],
        [to_history::DISCONNECTED, "Estado cambiado a cerrado"]
    );

    // A completed restart is recorded, already closed.
    let mut customer = server.logged_in(JORGE).await;
    customer.send("2").await;
    customer.expect(to_customer::RESTARTING).await;
    let done = customer.recv().await;
    let id: u64 = done
        .strip_prefix(to_customer::RESTARTED_START)
        .and_then(|rest| rest.trim_end_matches('.').parse().ok())
        .unwrap_or_else(|| panic!("{done}"));
    let restart = registry.request(id).await.unwrap().unwrap();
    assert_eq!(restart.state, RequestState::Cerrado);
    assert_eq!(restart.subject, to_history::RESTART_SUBJECT);
}

#[tokio::test]
async fn option_one_lists_open_requests_first_and_older_closed_ones_on_request() {
    let server = TestServer::start().await;
    let registry = server.registry();
    let rut: reclamos::rut::Rut = JORGE.parse().unwrap();
    let mut closed = Vec::new();
    for i in 0..5 {
        let request = registry
            .create_request(
                rut,
                &format!("Consulta cerrada {i}"),
                RequestState::Cerrado,
                "Asistente",
                "Atendida",
            )
            .await
            .unwrap();
        closed.push(request.id);
    }
    let today = crate::common::desk_day(Utc::now());
    let mut customer = server.logged_in(JORGE).await;
    customer.send("1").await;
    customer.expect(to_customer::YOUR_REQUESTS).await;
    // The open one first, then the newest closed ones, five in all.
    customer
        .expect(&to_customer::request_item(
            1,
            PLAN_REQUEST,
            "Cambio de Plan",
            RequestState::Abierto,
            "2025-04-14",
        ))
        .await;
    for position in 2..=5 {
        let line = customer.recv().await;
        assert!(
            line.starts_with(&format!("({position}) Solicitud "))
                && line.ends_with(&format!("(cerrado, {today})")),
            "{line}"
        );
    }
    // The oldest of the new ones and the WiFi request wait behind "ver anteriores".
    customer.expect(&to_customer::older_requests(2)).await;
    customer.expect(to_customer::WHICH_REQUEST).await;
    customer.send("ver anteriores").await;
    customer
        .expect(&to_customer::request_item(
            6,
            closed[0],
            "Consulta cerrada 0",
            RequestState::Cerrado,
            &today,
        ))
        .await;
    customer
        .expect(&to_customer::request_item(
            7,
            reclamos::registry::demo::WIFI_REQUEST,
            "Cambio de clave WiFi",
            RequestState::Cerrado,
            "2025-03-03",
        ))
        .await;
    customer.expect(to_customer::WHICH_REQUEST).await;
    customer.send("7").await;
    customer
        .expect(&to_customer::request_title(
            reclamos::registry::demo::WIFI_REQUEST,
            "Cambio de clave WiFi",
        ))
        .await;
}

#[tokio::test]
async fn small_dialogue_bugs_at_the_menu_and_the_serial_prompt() {
    let server = TestServer::start().await;
    let mut customer = server.logged_in(JORGE).await;
    // A valid RUT at the menu is a RUT, not a wish for an executive.
    customer.send("12.345.678-5").await;
    customer
        .expect(&to_customer::already_in_as("Jorge Sandoval", true))
        .await;
    customer.expect_menu().await;
    customer.send("11.111.111-1").await;
    customer
        .expect(&to_customer::already_in_as("Jorge Sandoval", false))
        .await;
    customer.expect_menu().await;
    // A greeting gets a greeting; "volver" and "cancelar" just show the menu.
    customer.send("hola").await;
    customer.expect(&to_customer::hello("Jorge")).await;
    customer.expect_menu().await;
    for back in ["volver", "Cancelar"] {
        customer.send(back).await;
        customer.expect_menu().await;
    }
    // A request named by its topic from the menu, as inside the list.
    customer
        .send("¿qué pasa con el cambio de plan? quiero reclamar")
        .await;
    customer
        .expect(&to_customer::already_open(PLAN_REQUEST))
        .await;
    customer
        .expect(&to_customer::request_title(PLAN_REQUEST, "Cambio de Plan"))
        .await;
    // A complaint about it: the request first, then the offer of an executive to take
    // it up (not a new request).
    let confirm = to_customer::confirm_resume(PLAN_REQUEST);
    customer.recv_until(|l| l == confirm).await;
    customer.send("no").await;
    customer.expect(to_customer::DECLINED).await;
    customer.expect_menu().await;
    customer.send("cuál es mi clave wifi").await;
    customer
        .expect(&to_customer::request_title(
            reclamos::registry::demo::WIFI_REQUEST,
            "Cambio de clave WiFi",
        ))
        .await;
    customer.recv_until(|l| l == to_customer::ASK_SERIAL).await;
    // Words at the serial prompt are understood and spend no try.
    customer.send("no sé dónde está ese número").await;
    customer.expect(to_customer::NOT_A_SERIAL).await;
    customer.send("999").await;
    customer.expect(&to_customer::serial_mismatch(2)).await;
    customer.send("mejor quiero hablar con una persona").await;
    customer.expect(&to_customer::enqueued(1)).await;
}

#[tokio::test]
async fn complaints_reach_a_person_with_their_reason_and_side_effects_are_safe() {
    let server = TestServer::start().await;
    let registry = server.registry();
    let mut agent = server.agent("JuanPerez").await;
    let mut customer = server.logged_in(JORGE).await;

    // A complaint outside the menu: said back, confirmed, handed over with its topic.
    customer.send("me cobraron dos veces la boleta").await;
    let topic = reclamos::nlu::Topic::CobroDuplicado.label();
    customer.expect(&to_customer::confirm_contact(topic)).await;
    customer.send("sí").await;
    customer.expect(&to_customer::enqueued(1)).await;
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    let lines = hand_off(&mut agent).await;
    let request = request_of(&lines[0]);
    assert_eq!(
        lines[1..3],
        [
            to_agent::reason_words("me cobraron dos veces la boleta"),
            to_agent::reason_topic(topic),
        ]
    );
    let stored = registry.request(request).await.unwrap().unwrap();
    assert_eq!(stored.subject, "Cobro duplicado en su boleta");
    // The customer's words stay with the request, for whoever reads it later.
    assert_eq!(
        stored.history[0].text,
        to_history::contact_asked(Some("me cobraron dos veces la boleta"))
    );
    assert!(stored.history[0]
        .text
        .contains("«me cobraron dos veces la boleta»"));
    agent.send(":close").await;
    agent.expect(&to_agent::chat_closed("Jorge Sandoval")).await;
    customer.recv_until(|l| l == to_customer::MENU_LAST).await;

    // "no" to the offer: nothing is recorded, the menu again.
    customer.send("quiero dar de baja el servicio").await;
    customer
        .expect(&to_customer::confirm_contact(
            reclamos::nlu::Topic::Baja.label(),
        ))
        .await;
    customer.send("no").await;
    customer.expect(to_customer::DECLINED).await;
    customer.expect_menu().await;

    // A restart the classifier is not sure of is confirmed first.
    customer
        .send("necesito que me reinicien el servicio de internet, creo")
        .await;
    let line = customer.recv().await;
    if line == to_customer::CONFIRM_RESTART {
        customer.send("sí").await;
        customer.expect(to_customer::RESTARTING).await;
    } else {
        // Confident enough: restarted at once (the seed's Ejemplo 2 wording).
        assert_eq!(line, to_customer::RESTARTING);
    }
    customer.recv_until(|l| l == to_customer::MENU_LAST).await;
    // "sigo igual" right after a restart: an executive, not another restart.
    customer.send("sigo igual").await;
    customer
        .expect(&to_customer::confirm_contact(
            reclamos::nlu::Topic::ReinicioFallido.label(),
        ))
        .await;
    customer.send("no").await;
    customer.recv_until(|l| l == to_customer::MENU_LAST).await;

    // Both wishes in one line, in order: the restart, then the queue.
    customer
        .send("primero reinicien y después quiero hablar con alguien")
        .await;
    customer
        .expect(&to_customer::both_in_order(
            reclamos::nlu::Intent::ReiniciarServicios.label(),
            reclamos::nlu::Intent::ContactarEjecutivo.label(),
        ))
        .await;
    customer.expect(to_customer::RESTARTING).await;
    let done = customer.recv().await;
    assert!(done.starts_with(to_customer::RESTARTED_START), "{done}");
    customer.expect(&to_customer::enqueued(1)).await;
    customer
        .recv_until_contains(to_customer::ASSIGNED_START)
        .await;
    let lines = hand_off(&mut agent).await;
    // The complaint turned down on the line before goes along.
    assert_eq!(
        lines[1],
        to_agent::reason_words(
            "sigo igual / primero reinicien y después quiero hablar con alguien"
        )
    );
    agent.send(":close").await;
    customer.recv_until(|l| l == to_customer::MENU_LAST).await;
}

#[test]
fn both_options_of_a_question_are_done_in_order() {
    use reclamos::conversation::{
        Context, CustomerConversation, Effect, Effects, HubResult, Input, Policy, StoreOp,
        StoreResult,
    };
    use reclamos::nlu::{Decision, Intent, Prediction};
    // Over TCP the classifier rarely asks this question, so the state machine is driven
    // by hand: "las dos" after "¿(2) reiniciar o (3) ejecutivo?" restarts, then queues.
    let ctx = Context {
        policy: Policy::default(),
        agent_token: std::sync::Arc::from(crate::common::TOKEN),
        started: Some(chrono::Utc::now()),
        time_zone: reclamos::server::DEFAULT_TIME_ZONE,
        queue_grace: std::time::Duration::ZERO,
        wrap_up_limit: std::time::Duration::ZERO,
    };
    let mut out = Effects::new();
    let mut conv = CustomerConversation::new();
    let step = |conv: CustomerConversation, input: Input<'_, _>, out: &mut Effects| {
        out.clear();
        conv.step(input, &ctx, out)
    };
    conv = step(conv, Input::line(JORGE), &mut out);
    let jorge = reclamos::registry::Customer {
        rut: JORGE.parse().unwrap(),
        name: "Jorge Sandoval".into(),
        id_serial: None,
    };
    conv = step(
        conv,
        Input::Stored(StoreResult::Customer(Ok(Some(jorge)))),
        &mut out,
    );
    conv = step(conv, Input::Hub(HubResult::LoggedIn(Ok(None))), &mut out);
    conv = step(
        conv,
        Input::Stored(StoreResult::Requests(Ok(vec![]))),
        &mut out,
    );
    let prediction = Prediction {
        intent: Intent::ReiniciarServicios,
        confidence: 0.5,
        ranking: vec![
            (Intent::ReiniciarServicios, 0.5),
            (Intent::ContactarEjecutivo, 0.45),
        ],
        decision: Decision::Clarify(Intent::ReiniciarServicios, Intent::ContactarEjecutivo),
        topic: None,
        rule: None,
    };
    conv = step(
        conv,
        Input::Line {
            text: "algo con el internet",
            prediction: Some(prediction),
        },
        &mut out,
    );
    assert!(out
        .lines()
        .next()
        .unwrap()
        .starts_with(to_customer::CLARIFY_START));
    assert!(!conv.wants_classification("las dos"));
    conv = step(conv, Input::line("las dos"), &mut out);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            to_customer::both_in_order(
                Intent::ReiniciarServicios.label(),
                Intent::ContactarEjecutivo.label()
            )
            .as_str(),
            to_customer::RESTARTING,
        ]
    );
    let mut restart = reclamos::registry::Request {
        id: 7,
        rut: JORGE.parse().unwrap(),
        subject: to_history::RESTART_SUBJECT.into(),
        state: RequestState::Cerrado,
        answer: None,
        sensitive: false,
        history: Vec::new(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    conv = step(
        conv,
        Input::Stored(StoreResult::Changed(Ok(restart.clone()))),
        &mut out,
    );
    assert!(matches!(
        out.0.last(),
        Some(Effect::Store(StoreOp::CreateRequest { .. }))
    ));
    restart.id = 8;
    let _ = step(
        conv,
        Input::Stored(StoreResult::Changed(Ok(restart))),
        &mut out,
    );
    assert!(matches!(
        out.0.last(),
        Some(Effect::Hub(reclamos::conversation::HubOp::Enqueue { .. }))
    ));
}
