//! Behaviour tests of the default classifier and of intents-file loading, on the real
//! embedded training data and on real YAML files written to temp dirs.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::*;

/// The default classifier, trained once for every test of the `nlu` module.
pub(super) fn classifier() -> &'static YamlClassifier {
    static CLASSIFIER: OnceLock<YamlClassifier> = OnceLock::new();
    CLASSIFIER.get_or_init(|| {
        let data = load_training_data(None).expect("embedded intents parse");
        YamlClassifier::new(&data)
    })
}

/// Classifies each text with [`classifier`] and fails listing every one misread.
pub(super) fn check(cases: &[(&str, Intent)]) {
    let mut failures = Vec::new();
    for (text, expected) in cases {
        let p = classifier().classify(text);
        if p.intent != *expected {
            failures.push(format!("{text:?}: expected {expected}, got {p:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "misclassified:\n{}",
        failures.join("\n")
    );
}

#[test]
fn canonical_requests() {
    check(&[
        ("quiero ver mis reclamos", Intent::RevisarAtenciones),
        ("¿cómo va la solicitud 124578?", Intent::RevisarAtenciones),
        ("reiniciar servicios", Intent::ReiniciarServicios),
        ("no tengo internet", Intent::ReiniciarServicios),
        ("se me cayó el wifi", Intent::ReiniciarServicios),
        ("quiero hablar con un ejecutivo", Intent::ContactarEjecutivo),
        ("pásame con una persona", Intent::ContactarEjecutivo),
        ("chao, gracias", Intent::Salir),
        ("quiero salir", Intent::Salir),
    ]);
}

#[test]
fn normalisation_accents_case_and_repeated_letters() {
    check(&[
        (
            "QUIERO HABLAR CON UN EJECUTIVO!!!",
            Intent::ContactarEjecutivo,
        ),
        ("como va mi solicitud", Intent::RevisarAtenciones),
        ("se me cayo el wifiiii", Intent::ReiniciarServicios),
        ("chaaaaooo", Intent::Salir),
        ("¿¿EN QUÉ ESTÁ MI RECLAMO??", Intent::RevisarAtenciones),
    ]);
}

#[test]
fn typos_and_phonetic_spellings() {
    check(&[
        ("kiero ablar con un ejecutibo", Intent::ContactarEjecutivo),
        ("reinisiar servisios", Intent::ReiniciarServicios),
        ("el interne no funka", Intent::ReiniciarServicios),
        ("kiero ver mis reclamoz", Intent::RevisarAtenciones),
        ("el guifi no anda", Intent::ReiniciarServicios),
        ("quiero salri", Intent::Salir),
    ]);
}

#[test]
fn negation_and_contrast() {
    check(&[
        (
            "no quiero salir, quiero ver mis reclamos",
            Intent::RevisarAtenciones,
        ),
        (
            "no necesito un ejecutivo, solo reinicien el modem",
            Intent::ReiniciarServicios,
        ),
        (
            "no quiero reiniciar nada, pásame con una persona",
            Intent::ContactarEjecutivo,
        ),
        ("no quiero hablar con nadie, me voy", Intent::Salir),
        // Without punctuation: the second "quiero" starts a new clause.
        (
            "no quiero salir quiero ver mis reclamos",
            Intent::RevisarAtenciones,
        ),
        (
            "no quiero hablar con un ejecutivo quiero salir",
            Intent::Salir,
        ),
        (
            "no quiero reiniciar nada quiero hablar con una persona",
            Intent::ContactarEjecutivo,
        ),
        // A cleft names the real wish after a negation, without punctuation; "todo lo
        // que necesito" is no cleft.
        (
            "no me corten el internet lo que quiero es saber en que va mi reclamo",
            Intent::RevisarAtenciones,
        ),
        (
            "no reseteen el router lo unico q necesito es que alguien revise mi boleta",
            Intent::ContactarEjecutivo,
        ),
        ("eso es todo lo que necesito", Intent::Salir),
        // Negated problems are still problems: no desire verb is negated here.
        ("no me funciona el internet", Intent::ReiniciarServicios),
        // Nor is an action verb in a form that describes a fault ("salir", "reiniciar"
        // and "apagar" are wishes only as infinitives and imperatives).
        ("no sale imagen en la tele", Intent::ReiniciarServicios),
        ("no se reinicia el modem", Intent::ReiniciarServicios),
        (
            "en la tele no sale ningun canal",
            Intent::ReiniciarServicios,
        ),
        (
            "no quiero hablar con una máquina",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

#[test]
fn a_negated_wish_alone_asks_for_nothing() {
    check(&[
        ("no deseo hablar con ningún ejecutivo", Intent::Fallback),
        ("ya no quiero un ejecutivo", Intent::Fallback),
        ("no necesito reiniciar el internet", Intent::Fallback),
        ("no reinicien nada por favor", Intent::Fallback),
        ("no quiero revisar mis atenciones", Intent::Fallback),
        ("no me quiero salir", Intent::Fallback),
        // Not wanting the machine is wanting a person.
        (
            "no quiero seguir hablando con una máquina",
            Intent::ContactarEjecutivo,
        ),
        // The same words said plainly keep their meaning.
        ("quiero hablar con un ejecutivo", Intent::ContactarEjecutivo),
        ("necesito reiniciar el internet", Intent::ReiniciarServicios),
    ]);
}

#[test]
fn out_of_domain_and_greetings_abstain() {
    check(&[
        ("hola", Intent::Fallback),
        ("buenas tardes", Intent::Fallback),
        ("quiero reservar un hotel en la serena", Intent::Fallback),
        ("cuánto tengo en la cuenta corriente", Intent::Fallback),
        ("va a llover el fin de semana?", Intent::Fallback),
        ("cuéntame un chiste", Intent::Fallback),
        ("", Intent::Fallback),
        ("!!!", Intent::Fallback),
        ("qwertyuiop", Intent::Fallback),
    ]);
    let p = classifier().classify("hola");
    assert_eq!(p.decision, Decision::Fallback);
}

#[test]
fn prediction_is_well_formed() {
    for text in [
        "quiero ver mis reclamos",
        "hola",
        "xyz",
        "no tengo internet",
    ] {
        let p = classifier().classify(text);
        assert!((0.0..=1.0).contains(&p.confidence), "{text}: {p:?}");
        assert_eq!(p.ranking.len(), 4, "{text}");
        assert!(
            p.ranking.windows(2).all(|w| w[0].1 >= w[1].1),
            "{text}: sorted"
        );
        assert!(p.ranking.iter().all(|(i, _)| *i != Intent::Fallback));
        match p.decision {
            Decision::Intent(i) => assert_eq!(i, p.intent),
            Decision::Clarify(a, b) => {
                assert_eq!(a, p.intent);
                assert_ne!(a, b);
            }
            Decision::Fallback => assert_eq!(p.intent, Intent::Fallback),
        }
    }
}

#[test]
fn two_requests_ask_for_clarification() {
    let cases = [
        (
            "reiniciar el modem o hablar con alguien",
            Some([Intent::ReiniciarServicios, Intent::ContactarEjecutivo]),
        ),
        (
            "quiero ver mis reclamos y reiniciar el router",
            Some([Intent::RevisarAtenciones, Intent::ReiniciarServicios]),
        ),
        // A problem description plus one request is one request.
        ("no tengo internet, quiero hablar con una persona", None),
        (
            "ya reinicié el modem y no funciona, pásame con alguien",
            None,
        ),
        ("quiero ver mis reclamos", None),
    ];
    for (text, expected) in cases {
        let p = classifier().classify(text);
        match (expected, p.decision) {
            (Some(pair), Decision::Clarify(a, b)) => {
                let mut got = [a, b];
                let mut want = pair;
                got.sort();
                want.sort();
                assert_eq!(got, want, "{text}");
            }
            (None, Decision::Intent(_)) => {}
            _ => panic!("{text:?}: expected {expected:?}, got {p:?}"),
        }
    }
}

#[test]
fn decision_rules_follow_thresholds() {
    let c = classifier();
    let t = c.thresholds();
    // Clear winner.
    let p = c.decide(&[0.9, 0.04, 0.03, 0.02, 0.01]);
    assert_eq!(p.decision, Decision::Intent(Intent::RevisarAtenciones));
    // Two close options: clarify, best first.
    let close = 0.5 - t.clarify_margin / 4.0;
    let p = c.decide(&[0.0, close, 0.5, 0.0, 1.0 - 0.5 - close]);
    assert_eq!(
        p.decision,
        Decision::Clarify(Intent::ContactarEjecutivo, Intent::ReiniciarServicios)
    );
    // Fallback class wins.
    let p = c.decide(&[0.1, 0.1, 0.1, 0.1, 0.6]);
    assert_eq!(p.decision, Decision::Fallback);
    // No option reaches the abstain threshold.
    let low = t.abstain_threshold - 0.05;
    let p = c.decide(&[
        low,
        (1.0 - low) / 4.0,
        (1.0 - low) / 4.0,
        (1.0 - low) / 4.0,
        (1.0 - low) / 4.0,
    ]);
    assert_eq!(p.decision, Decision::Fallback);
}

fn write_temp(contents: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("intents.yaml");
    std::fs::write(&path, contents).expect("write yaml");
    (dir, path)
}

const PLAIN_RASA: &str = r#"version: "3.1"
nlu:
- intent: revisar_atenciones
  examples: |
    - quiero ver mis reclamos
    - estado de mi solicitud [124578](request_number)
    - como va mi ticket
- intent: reiniciar_servicios
  examples: |
    - reinicien el modem
    - no tengo internet
    - se cayo el wifi
- intent: contactar_ejecutivo
  examples: |
    - quiero hablar con un ejecutivo
    - pasame con una persona
    - necesito un humano
- intent: salir
  examples: |
    - chao
    - quiero salir
    - adios gracias
"#;

#[test]
fn plain_rasa_file_loads_and_classifies() {
    let (_dir, path) = write_temp(PLAIN_RASA);
    let data = load_training_data(Some(&path)).expect("plain Rasa file loads");
    assert_eq!(data.thresholds, Thresholds::default());
    let examples = &data
        .intent(Intent::RevisarAtenciones)
        .expect("intent")
        .examples;
    assert!(examples.contains(&"estado de mi solicitud 124578".to_owned()));
    let classifier = load_classifier(Some(&path)).expect("classifier builds");
    assert_eq!(
        classifier.classify("quiero hablar con un ejecutivo").intent,
        Intent::ContactarEjecutivo
    );
    assert_eq!(
        classifier.classify("reinicien el modem").intent,
        Intent::ReiniciarServicios
    );
}

#[test]
fn thresholds_come_from_the_yaml() {
    let with_margin =
        format!("{PLAIN_RASA}reclamos:\n  abstain_threshold: 0.2\n  clarify_margin: 1.0\n");
    let (_dir, path) = write_temp(&with_margin);
    let data = load_training_data(Some(&path)).expect("loads");
    assert_eq!(data.thresholds.clarify_margin, 1.0);
    let classifier = YamlClassifier::new(&data);
    // With a margin of 1.0 every confident answer becomes a clarification.
    let p = classifier.classify("quiero hablar con un ejecutivo");
    assert!(
        matches!(p.decision, Decision::Clarify(Intent::ContactarEjecutivo, _)),
        "{p:?}"
    );
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let broken = "version: \"3.1\"\nnlu:\n- intent: salir\n  examples: |\n    - chao\n  - intent: [unclosed\n";
    let (_dir, path) = write_temp(broken);
    let err = load_training_data(Some(&path)).expect_err("malformed file fails");
    let message = err.to_string();
    assert!(message.contains("intents.yaml"), "{message}");
    match err {
        IntentsError::Syntax { line, .. } => assert!(line >= 5, "line {line}: {message}"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn unknown_intent_is_rejected_with_its_line() {
    let unknown = format!("{PLAIN_RASA}- intent: pedir_pizza\n  examples: |\n    - una pizza\n");
    let (_dir, path) = write_temp(&unknown);
    let err = load_training_data(Some(&path)).expect_err("unknown intent fails");
    let message = err.to_string();
    assert!(message.contains("pedir_pizza"), "{message}");
    assert!(message.contains("intents.yaml:23:"), "{message}");
}

#[test]
fn inconsistent_entries_are_rejected() {
    let cases = [
        (
            "version: \"3.1\"\nnlu:\n- intent: salir\n  option: 2\n  examples: |\n    - chao\n",
            "option 2",
        ),
        (
            "version: \"3.1\"\nnlu:\n- intent: salir\n  examples: |\n    - chao\n- regex: broken\n  examples: |\n    - (unclosed\n",
            "regex `broken`",
        ),
        (
            "version: \"3.1\"\nnlu:\n- intent: salir\n  colour: red\n  examples: |\n    - chao\n",
            "unknown field `colour`",
        ),
        // About the whole file: no line 0.
        ("version: \"3.1\"\nnlu: []\n", "intents.yaml: no examples"),
        (
            "version: \"3.1\"\nreclamos:\n  abstain_threshold: 3\nnlu:\n- intent: salir\n  examples: |\n    - chao\n",
            "abstain_threshold",
        ),
        (
            "version: \"3.1\"\nreclamos:\n  fallback_bias: 9\nnlu:\n- intent: salir\n  examples: |\n    - chao\n",
            "fallback_bias",
        ),
        (
            // The error names the line that sets the value, not the comment before it.
            "version: \"3.1\"\nreclamos:\n  # temperature: scores are divided by it\n  temperature: 50\nnlu:\n- intent: salir\n  examples: |\n    - chao\n",
            "intents.yaml:4: temperature",
        ),
    ];
    for (yaml, needle) in cases {
        let (_dir, path) = write_temp(yaml);
        let err = load_training_data(Some(&path)).expect_err(needle);
        let message = err.to_string();
        assert!(message.contains(needle), "{needle}: {message}");
        assert!(message.contains("intents.yaml"), "{message}");
    }
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let err = load_training_data(Some(std::path::Path::new("/nonexistent/es.yaml")))
        .expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/es.yaml"));
}

#[test]
fn intent_names_and_options_round_trip() {
    for intent in Intent::OPTIONS {
        assert_eq!(Intent::from_name(intent.name()), Some(intent));
        let option = intent.option().expect("menu option");
        assert_eq!(Intent::from_option(option), Some(intent));
    }
    assert_eq!(Intent::from_name("nlu_fallback"), Some(Intent::Fallback));
    assert_eq!(Intent::from_option(0), None);
    assert_eq!(Intent::from_option(5), None);
}

#[test]
fn complaints_reach_an_executive_with_their_topic() {
    let cases = [
        (
            "me cobraron dos veces el plan este mes",
            Topic::CobroDuplicado,
        ),
        (
            "tengo un cargo que no reconozco en la boleta",
            Topic::CargoDesconocido,
        ),
        ("me dicen que tengo una deuda pero pague todo", Topic::Deuda),
        ("quiero cambiarme a un plan mas barato", Topic::CambioPlan),
        ("quiero dar de baja el cable", Topic::Baja),
        (
            "quiero la portabilidad a otra compañia",
            Topic::Portabilidad,
        ),
        ("el tecnico nunca llego ayer", Topic::VisitaTecnica),
        (
            "ya reinicie el router y sigue sin funcionar",
            Topic::ReinicioFallido,
        ),
        (
            "me reiniciaron el modem hace un rato y sigo sin internet",
            Topic::ReinicioFallido,
        ),
        ("AYUDA URGENTE", Topic::Urgencia),
    ];
    let mut failures = Vec::new();
    for (text, topic) in cases {
        let p = classifier().classify(text);
        if p.intent != Intent::ContactarEjecutivo || p.topic != Some(topic) {
            failures.push(format!("{text:?}: expected {topic}, got {p:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // No topic when the decision is not about an executive.
    assert_eq!(classifier().classify("no tengo internet").topic, None);
    assert_eq!(classifier().classify("hola").topic, None);
}

/// A complaint that asks how an earlier request stands is about that request: its
/// complaint words ("cargo que no reconozco", "bajar el plan") outweighed the question in
/// 12 of the blind probe sets' errors.
#[test]
fn a_question_about_an_earlier_request_is_option_1() {
    for (text, asks) in [
        (
            "puse un reclamo por un cargo que no reconozco, ¿en qué está?",
            true,
        ),
        (
            "hace tres días pedí que me bajaran el plan, ¿ya está listo?",
            true,
        ),
        (
            "ingresé un caso porque me cobraron doble, ¿cómo va eso?",
            true,
        ),
        // Whether they did it already (probe19's "ya me devolvieron la plata o no?").
        (
            "hice un reclamo por el cobro doble, ¿ya me lo devolvieron?",
            true,
        ),
        (
            "reclamé por la boleta hace un mes, ya la corrigieron o no",
            true,
        ),
        // "Mi reclamo" is one made before; "quedó" and a participle asks if it was done
        // (probe20's errors).
        ("mi reclamo por la boleta sigue pendiente?", true),
        ("presenté un reclamo hace un mes, ¿ya fue resuelto?", true),
        ("hice una solicitud de traslado, ¿quedó ingresada?", true),
        ("mi internet sigue sin funcionar", false),
        ("mi reclamo es que me cobraron doble", false),
        // Whether something asked for already happened (probe21).
        (
            "quiero saber si ya se hizo el traslado a mi nueva casa",
            true,
        ),
        ("quiero saber si ya llegó la fibra a mi sector", false),
        // Whether it was done, asked without a question mark or "ya" (probe24).
        (
            "me gustaria saber si aprobaron el cambio de plan que pedi",
            true,
        ),
        (
            "pedí el cambio de titular y quiero confirmar si quedó hecho",
            true,
        ),
        ("puse un reclamo, quiero saber si pueden llamarme", false),
        // Asking whether it was done tells of the request by itself; so does "¿y el
        // reclamo ...?"; "les escribí" is a request made earlier (probe25).
        ("me gustaria saber si cambiaron el plan como pedi", true),
        ("quiero saber si me cobraron la multa", false),
        // "Cuándo me van a responder", "hizo", "quiero confirmar que quedó ..." and a bare
        // "¿ya me ... -aron?" (probe7, probe8, probe9, probe10).
        ("cuando me van a responder lo que reclamé", true),
        (
            "mi papá hizo una solicitud de traslado, se puede ver si ya esta lista?",
            true,
        ),
        (
            "hice un reclamo, quiero confirmar que quedó ingresado",
            true,
        ),
        ("pedí el plan nuevo, ¿ya me lo activaron?", true),
        ("quiero confirmar que me cobraron doble", false),
        // Not while telling a failure, nor a bare "¿ya ...?" with no request named (the
        // code review's).
        (
            "necesito saber si mandaron a alguien a revisar el poste, sigo sin internet",
            false,
        ),
        ("¿ya arreglaron la falla del sector?", false),
        ("y el reclamo del cobro doble? ya pasaron dos semanas", true),
        ("y el reclamo que sentido tiene", false),
        (
            "les escribi ayer x el cobro de la recarga, alguna novedad?",
            true,
        ),
        // Complaints that say "ya", "quedó" or "ya fue" (the code review's).
        (
            "pedí la baja y ya me cobraron igual, ¿cómo es posible?",
            false,
        ),
        (
            "hice el pago y ya me cortaron el internet, ¿qué hago?",
            false,
        ),
        ("reclamé el cobro doble y ¿ya me volvieron a cobrar?", false),
        ("hice el cambio de plan y ya me subieron la cuenta?", false),
        ("pedí un técnico, ya fue y el internet sigue igual", false),
        (
            "pedí la portabilidad y el número quedó bloqueado, ¿qué hago?",
            false,
        ),
        (
            "mi caso ya fue visto por un tecnico y sigue sin funcionar",
            false,
        ),
        // Not asked, or no "ya" before the verb.
        (
            "hice un reclamo y ya me devolvieron la plata, gracias",
            false,
        ),
        ("pedí un técnico, ¿vinieron?", false),
        // No earlier request, or a person asked for: not this.
        ("me cobraron doble, ¿en qué está eso?", false),
        (
            "puse un reclamo y nadie responde, ¿cómo va? pásame con un ejecutivo",
            false,
        ),
        ("quiero bajar mi plan", false),
    ] {
        assert_eq!(entities::asks_status_of_earlier(text), asks, "{text}");
    }
    let c = classifier();
    // A clarification with the earlier request as one side (probe20: restart or review?).
    let p =
        c.classify("hice una gestion por telefono y no me llego ningun correo, quedo registrada?");
    assert_eq!(
        p.decision,
        Decision::Intent(Intent::RevisarAtenciones),
        "{p:?}"
    );
    // Placed nowhere, or read as an executive, by the model (contactar_ejecutivo, 0.57).
    let p = c.classify("hace rato les escribí por la boleta que no me llega, hay novedades?");
    assert_eq!(
        p.decision,
        Decision::Intent(Intent::RevisarAtenciones),
        "{p:?}"
    );
    // Without the rule, contactar_ejecutivo with 0.87.
    let p = c
        .classify("levanté un reclamo porque no reconozco un cargo de la boleta, en qué etapa va?");
    assert_eq!(
        p.decision,
        Decision::Intent(Intent::RevisarAtenciones),
        "{p:?}"
    );
}

/// A restart cannot help with a lost or stolen phone, nor with what a technician's visit
/// left worse: the blind probes' model read these as restarts.
#[test]
fn a_restart_that_cannot_help_is_a_complaint() {
    let contact = Intent::ContactarEjecutivo;
    for (text, topic) in [
        (
            "me robaron el celu en el metro, bloqueen la linea porfa",
            Topic::BloqueoLinea,
        ),
        (
            "vino el tecnico ayer a arreglar el cable y ahora el internet esta peor que antes",
            Topic::VisitaTecnica,
        ),
        // A restart done that did not help (probe17, probe21), or after which the failure
        // came back (probe24).
        (
            "gracias igual pero el reset no arreglo nada",
            Topic::ReinicioFallido,
        ),
        (
            "ayer me resetearon el modem y hoy otra vez se cae el internet",
            Topic::ReinicioFallido,
        ),
        // A visit after which something fails (probe20, probe24).
        (
            "desde que vino el técnico el decodificador no prende",
            Topic::VisitaTecnica,
        ),
        (
            "pasó la técnica el martes y desde entonces la tele no funciona",
            Topic::VisitaTecnica,
        ),
    ] {
        let p = classifier().classify(text);
        assert_eq!(p.decision, Decision::Intent(contact), "{text}: {p:?}");
        assert_eq!(p.topic, Some(topic), "{text}");
    }
    // A failure that has lasted days is bad service, which a restart does not mend (the
    // model said restart to 8 such messages of the blind probes).
    for text in [
        "desde el jueves que la tele no funciona",
        "el internet anda lento hace dos semanas",
    ] {
        let p = classifier().classify(text);
        assert_eq!(p.decision, Decision::Intent(contact), "{text}: {p:?}");
        assert_eq!(p.topic, Some(Topic::MalaCalidad), "{text}");
    }
    // Asked whether it meant a restart or an executive, the matter answers (a blind probe's
    // technician who left things worse was asked; so was this one).
    let p =
        classifier().classify("la tecnica vino ayer y quede peor con el cable, reinicien o algo");
    assert_eq!(p.decision, Decision::Intent(contact), "{p:?}");
    assert_eq!(p.topic, Some(Topic::VisitaTecnica));
    // Only that question: one between a restart and a goodbye is no offer of a person.
    let (restart, salir) = (Intent::ReiniciarServicios, Intent::Salir);
    let asked = |a, b| Prediction {
        intent: a,
        confidence: 0.4,
        ranking: vec![(a, 0.4), (b, 0.35)],
        decision: Decision::Clarify(a, b),
        topic: None,
        rule: None,
    };
    let beyond = || Some(Topic::VisitaTecnica);
    assert_eq!(
        asked(contact, restart)
            .matter_beyond_restart(beyond)
            .decision,
        Decision::Intent(contact)
    );
    assert_eq!(
        asked(restart, salir).matter_beyond_restart(beyond).decision,
        Decision::Clarify(restart, salir)
    );
    // The rule's topic stays, however the patterns word it.
    let p = classifier().classify("la tele no funciona hace un mes");
    assert_eq!(p.topic, Some(Topic::MalaCalidad), "{p:?}");
    // Since yesterday, or all day today, or today's failure after an older fact: a restart
    // may still help. A loss or a block denied, a technician still to come: a restart
    // (the code review's).
    for text in [
        "desde ayer que la tele no funciona",
        "el internet anda lento todo el dia",
        "desde el lunes tengo fibra nueva y hoy no anda",
        "no perdí el celular, solo quiero que reinicien el internet",
        "no quiero bloquear la linea, solo reinicien el internet",
        "el tecnico viene el jueves, mientras tanto reinicien el modem porque el wifi anda mal",
        // A restart asked for is no restart that failed.
        "reinicien todo porfavor q no funciona nada",
    ] {
        let p = classifier().classify(text);
        assert_eq!(
            p.decision,
            Decision::Intent(Intent::ReiniciarServicios),
            "{text}: {p:?}"
        );
    }
    // A forgotten WiFi password is no restart to do, nor is one the company already did
    // that did not help.
    for (text, topic) in [
        (
            "se me olvido la clave del wifi, me resetean el modem?",
            Topic::ClaveWifi,
        ),
        (
            "ustedes me resetearon el router en la mañana y sigo igual",
            Topic::ReinicioFallido,
        ),
    ] {
        assert_eq!(
            entities::topic_beyond_restart_in(&text::normalize(text)),
            Some(topic),
            "{text}"
        );
    }
    // A restart-or-executive question is answered by a failure reported without a person
    // asked for; not when a person is asked for.
    let either = Prediction {
        intent: Intent::ReiniciarServicios,
        confidence: 0.45,
        ranking: vec![(Intent::ReiniciarServicios, 0.45), (contact, 0.4)],
        decision: Decision::Clarify(Intent::ReiniciarServicios, contact),
        topic: None,
        rule: None,
    };
    assert_eq!(
        either.clone().outage_answers_if(|| true).decision,
        Decision::Intent(Intent::ReiniciarServicios)
    );
    assert_eq!(
        either.outage_answers_if(|| false).decision,
        Decision::Clarify(Intent::ReiniciarServicios, contact)
    );
    assert!(entities::asks_for_person(&text::normalize(
        "no tengo internet, comuniqueme con alguien"
    )));
    assert!(!entities::asks_for_person(&text::normalize(
        "les comunico que no tengo internet desde temprano"
    )));
    // The code review's: a demand, or a complaint topic, keeps the question open.
    for text in [
        "no tengo internet, quiero una compensación",
        "el internet no funciona, exijo una solución",
        "me cambié de casa y el internet no funciona",
    ] {
        let p = classifier().classify(text);
        assert_ne!(
            p.decision,
            Decision::Intent(Intent::ReiniciarServicios),
            "{text}: {p:?}"
        );
    }
    // Nor is a forgetting denied, or a restart not done yet, a matter beyond one.
    for text in [
        "no se me olvido la clave del wifi, el modem no conecta, reinicienlo",
        "aun no me reiniciaron el modem y sigo sin internet, reinicienlo porfa",
    ] {
        assert_eq!(
            entities::topic_beyond_restart_in(&text::normalize(text)),
            None,
            "{text}"
        );
    }
    // A visit or a restart after which nothing fails is no such matter.
    for text in [
        "vino el tecnico y ahora funciona todo",
        "me resetearon el modem y otra vez quiero hablar con alguien",
    ] {
        assert_eq!(
            entities::topic_beyond_restart_in(&text::normalize(text)),
            None,
            "{text}"
        );
    }
    // Only those matters: a restart that names another one stays a restart.
    let p = classifier().classify("reinicien el modem, el wifi anda mal");
    assert_eq!(p.decision, Decision::Intent(Intent::ReiniciarServicios));
    assert_eq!(
        entities::topic_beyond_restart_in(&text::normalize(
            "se corto el internet, el tecnico viene mañana"
        )),
        None
    );
}

#[test]
fn complaint_topics_by_rule() {
    let cases = [
        (
            "Me llegó la boleta cobrada DOBLE",
            Some(Topic::CobroDuplicado),
        ),
        (
            "que es este cobro de 5 lucas?",
            Some(Topic::CargoDesconocido),
        ),
        ("cuanto le debo a ustedes", Some(Topic::Deuda)),
        ("la cuenta vino carisima", Some(Topic::Boleta)),
        ("me cobraron de más", Some(Topic::Boleta)),
        // An amount between the charge and "de más" (a black-box test's complaints lost
        // their topic).
        ("me cobraron cuatro lucas de más", Some(Topic::Boleta)),
        (
            "me cobraron $4.000 de más en la boleta",
            Some(Topic::Boleta),
        ),
        (
            "me llegó la cuenta con como diez lucas extra",
            Some(Topic::Boleta),
        ),
        ("quiero subir mi plan", Some(Topic::CambioPlan)),
        ("quiero cancelar el contrato", Some(Topic::Baja)),
        ("me quiero portar", Some(Topic::Portabilidad)),
        // Leaving for another company in so many words (a re-test's "me voy a cambiar de
        // compañía" reached the queue without a topic).
        ("me voy a cambiar de compañía", Some(Topic::Portabilidad)),
        ("me paso a otra compañia", Some(Topic::Portabilidad)),
        ("nos vamos a ir a la competencia", Some(Topic::Portabilidad)),
        ("trabajo en otra empresa", None),
        ("necesito trasladar el servicio", Some(Topic::Traslado)),
        (
            "me dejaron plantado con la visita tecnica",
            Some(Topic::VisitaTecnica),
        ),
        ("el internet anda pesimo", Some(Topic::MalaCalidad)),
        ("el reinicio no me sirvio", Some(Topic::ReinicioFallido)),
        ("es una emergencia", Some(Topic::Urgencia)),
        // Services only a person gives (a black-box test got "No entendí" for them).
        (
            "me asaltaron y se llevaron el teléfono",
            Some(Topic::BloqueoLinea),
        ),
        ("perdí mi celular en la micro", Some(Topic::BloqueoLinea)),
        (
            "perdí el chip, quiero bloquearlo",
            Some(Topic::BloqueoLinea),
        ),
        ("perdí la señal del teléfono", None),
        ("se me olvidó la clave del wifi", Some(Topic::ClaveWifi)),
        (
            "me hackearon el wifi, quiero otra contraseña",
            Some(Topic::ClaveWifi),
        ),
        ("el wifi anda lento", None),
        // Not a theft or a loss; not a charge (the code review).
        ("me bloquearon la linea por no pago", None),
        // A mute phone is no move ("mudo").
        ("el telefono de la casa quedo mudo", None),
        ("me mude la semana pasada", Some(Topic::Traslado)),
        ("me bloquearon el numero por deuda", Some(Topic::Deuda)),
        ("quiero bloquear el numero de un spam", None),
        // A wish to block one's line or chip, the reason unsaid (probe19).
        ("bloqueen la linea altiro", Some(Topic::BloqueoLinea)),
        ("necesito bloquear mi numero", Some(Topic::BloqueoLinea)),
        ("se llevaron el equipo para reparar", None),
        (
            "me robaron el celular, bloqueen la linea",
            Some(Topic::BloqueoLinea),
        ),
        ("cuanto cuesta un cargador extra", None),
        ("quiero pagar un canal adicional", None),
        ("como pago la cuenta de mas meses", None),
        ("pagué 4 lucas de más", Some(Topic::Boleta)),
        // An amount "de más" without the verb (a black-box re-test got "No entendí").
        ("4 lucas de más", Some(Topic::Boleta)),
        ("cuatro lucas de mas!!", Some(Topic::Boleta)),
        ("como 10 mil pesos de mas", Some(Topic::Boleta)),
        ("$4.000 de más", Some(Topic::Boleta)),
        // Not an amount of money (the code review).
        ("ustedes me dieron 300 gigas de mas", None),
        ("quiero 5 lucas mas de saldo", None),
        ("quiero hablar con un ejecutivo", None),
        ("hola", None),
    ];
    for (text, topic) in cases {
        assert_eq!(complaint_topic(text), topic, "{text:?}");
    }
    for topic in Topic::ALL {
        assert_eq!(Topic::from_name(topic.name()), Some(topic));
        assert!(!topic.label().is_empty());
    }
}

/// A message the model places nowhere that reports a matter only a person handles is a
/// complaint with its topic (none of these is in the intents file; the model abstained on
/// each); a question for information, a refusal or another business's matter stays out
/// of scope.
#[test]
fn unplaced_reports_of_a_matter_only_a_person_handles_are_complaints() {
    let cases = [
        (
            "me robaron el celular, necesito bloquear el chip",
            Some(Topic::BloqueoLinea),
        ),
        (
            "perdí el teléfono en la micro, bloqueen mi línea",
            Some(Topic::BloqueoLinea),
        ),
        ("se me olvido la clave del wifi", Some(Topic::ClaveWifi)),
        ("la visita técnica tiene costo?", None),
        // A question after the report asks what to do about it (the code review).
        ("perdí mi celular, ¿qué hago?", Some(Topic::BloqueoLinea)),
        ("cuál es la contraseña del wifi", None),
        ("el banco me cobró dos veces la cuota", None),
        ("no quiero dar de baja nada", None),
        // The service condemned in so many words is bad service (two blind probes); an
        // insult that names no service is not.
        (
            "el servicio es una basura, siempre se cae en la noche",
            Some(Topic::MalaCalidad),
        ),
        ("son una basura", None),
        ("me llegan mensajes basura al celular", None),
        // Also as it gets (probe25).
        (
            "cuando llueve la señal se pone fatal",
            Some(Topic::MalaCalidad),
        ),
        // A block for debt, not for a loss.
        ("si no pago la cuenta me van a bloquear la linea", None),
        // A failure that has lasted days is bad service (a blind probe's slang the model
        // placed nowhere); since yesterday, or another business's, it is not.
        (
            "desde el domingo no tenemos internet en la pyme, el posnet no pasa",
            Some(Topic::MalaCalidad),
        ),
        ("no funciona la tarjeta del banco hace 3 dias", None),
    ];
    for (text, topic) in [
        ("ni una cosa anda hace una semana", Some(Topic::MalaCalidad)),
        ("llevamos dos semanas sin señal", Some(Topic::MalaCalidad)),
        (
            "el modem se desconecta solo desde el martes",
            Some(Topic::MalaCalidad),
        ),
        (
            "hace un mes que pierdo la señal en la pieza",
            Some(Topic::MalaCalidad),
        ),
        ("no anda nada desde ayer", None),
        ("hace tres dias me llamaron de ventas", None),
    ] {
        let reported = entities::reported_matter(text, &text::normalize(text));
        assert_eq!(reported, topic, "{text:?}");
    }
    for (text, topic) in cases {
        let p = classifier().classify(text);
        let expected = match topic {
            Some(_) => Intent::ContactarEjecutivo,
            None => Intent::Fallback,
        };
        assert_eq!((p.intent, p.topic), (expected, topic), "{text:?}: {p:?}");
    }
}

/// A message that condemns the bot or the chat asks for a person, whatever the model read
/// (the blind probes' "esta ... de chat no funciona" was a restart, "robot inútil" the
/// fallback); a question about the bot, or what it said to do, is not such a message.
#[test]
fn frustration_with_the_bot_asks_for_a_person() {
    check(&[
        ("la conversacion no sirve", Intent::ContactarEjecutivo),
        ("chat inutil", Intent::ContactarEjecutivo),
        (
            "me tienes dando vueltas con este menu",
            Intent::ContactarEjecutivo,
        ),
    ]);
    for (text, condemned) in [
        ("este robot no me entiende nada", true),
        ("eres un bot?", false),
        ("hice lo que dijo el bot y nada funciona", false),
        ("hice lo que dijo el bot y no funciona", false),
        ("el chat de whatsapp anda lento", false),
        ("el menú del decodificador no funciona", false),
        ("wn el chat de teams no carga, se cae el internet", false),
        ("bot weon", true),
    ] {
        assert_eq!(
            entities::condemns_the_bot(&text::normalize(text)),
            condemned,
            "{text}"
        );
    }
}

/// A failure of the service the model sends to an executive, with no topic, no person and
/// no demand, is an outage (as the guide says); a restart or a visit after which it fails,
/// a failure that lasts days or comes back, are not.
#[test]
fn an_outage_read_as_a_complaint_is_an_outage() {
    check(&[
        (
            "la fibra se cortó en la tarde y sigue igual",
            Intent::ReiniciarServicios,
        ),
        // (Without "ya", "reinicié" loses its accent and reads as the polite command.)
        (
            "ya reinicié el modem y no funciona",
            Intent::ContactarEjecutivo,
        ),
        (
            "hice lo que dijo el bot y nada funciona",
            Intent::ContactarEjecutivo,
        ),
        (
            "el tecnico se fue sin arreglar el cable",
            Intent::ContactarEjecutivo,
        ),
        (
            "mi pyme lleva 3 dias sin internet",
            Intent::ContactarEjecutivo,
        ),
        (
            "el wifi se cae, es la tercera vez esta semana",
            Intent::ContactarEjecutivo,
        ),
        // What the rule turned into restarts in probe27's blind measurement: a failure
        // every weekend, one of days with a discount asked for.
        (
            "todos los sabados se cae el internet, que lata",
            Intent::ContactarEjecutivo,
        ),
        (
            "estuvimos 2 dias sin tele, quiero un descuento",
            Intent::ContactarEjecutivo,
        ),
        // A restart asked for is no restart done, politely either (the code review's).
        (
            "solicito el reinicio del router porque no tengo internet",
            Intent::ReiniciarServicios,
        ),
        (
            "por favor resetee el router, no anda nada",
            Intent::ReiniciarServicios,
        ),
    ]);
    // Failures told in other words (probe5, probe8, probe9, probe11, probe12, probe15).
    for text in [
        "la tele quedo pegada en un canal",
        "el internet se murio de la nada",
        "el deco muestra pantalla negra",
        "no podemos navegar en la casa",
        "el celu dejo de funcionar en la mañana",
        "la velocidad esta lentisima esta noche",
        "el fijo no marca",
        // probe26's formal and quoted ways.
        "el servicio de internet no se encuentra operativo",
        "el notebook dice sin acceso a internet",
    ] {
        assert!(entities::fails(&text::normalize(text)), "{text}");
    }
    for text in ["el deco funciona bien", "no puedo llamar a mi mamá hoy"] {
        assert!(!entities::fails(&text::normalize(text)), "{text}");
    }
}

/// A message that ends by taking leave and asks for nothing before it is a goodbye, with
/// the model's confidence in `salir` (here 0.05: the conversation asks before closing); a
/// greeting is none, nor is a request signed off.
#[test]
fn a_message_that_ends_taking_leave_is_a_goodbye() {
    let p = classifier().classify("Me quedó claro todo. Buenas noches.");
    assert_eq!(p.decision, Decision::Intent(Intent::Salir), "{p:?}");
    let salir = p
        .ranking
        .iter()
        .find(|(i, _)| *i == Intent::Salir)
        .unwrap()
        .1;
    assert_eq!(p.confidence, salir);
    // The model alone ranked another intent first; the conversation confirms a goodbye
    // below 0.9.
    assert_ne!(p.ranking[0].0, Intent::Salir, "{p:?}");
    assert!(p.confidence < 0.9, "{p:?}");
    for (text, leaves) in [
        ("ya lo hablo con mi señora, chao", true),
        ("gracias por la paciencia, que tenga buena tarde", true),
        ("Gracias. Atentamente, Rosa Díaz", true),
        ("dale gracias cuidate", true),
        ("gracias por todo, que descanse", true),
        ("hola, buenas tardes", false),
        ("estimados, junto con saludar. saludos", false),
        ("hola. atte. Rosa", false),
        ("saludos", false),
        // The code review's: a greeting with a name, a report before a salute.
        ("Hola! Soy Juan, buenas tardes", false),
        ("tengo problemas con el wifi, saludos", false),
        ("Atentamente, Juan Soto", true),
    ] {
        assert_eq!(
            entities::ends_with_farewell(&text::normalize(text)),
            leaves,
            "{text}"
        );
    }
    check(&[
        ("hola, buenas tardes", Intent::Fallback),
        (
            "reinicien el modem porfa, gracias, chao",
            Intent::ReiniciarServicios,
        ),
        (
            "no me funciona el internet, chao",
            Intent::ReiniciarServicios,
        ),
        ("me cobraron doble, chao", Intent::ContactarEjecutivo),
        ("y mi reclamo en que va? chao", Intent::RevisarAtenciones),
        // The code review's: requests in other words before a goodbye; a cut chat.
        (
            "ver mis atenciones anteriores por favor, saludos",
            Intent::RevisarAtenciones,
        ),
        (
            "pueden hacer un reset al modem? gracias, saludos",
            Intent::ReiniciarServicios,
        ),
        (
            "me estaban atendiendo y se me cerró todo, buenas noches",
            Intent::ContactarEjecutivo,
        ),
        ("ya, nada más", Intent::Salir),
    ]);
}

/// Function words alone are no evidence: the character channel read "y" as an executive
/// with 1.00 (probe25's "🤔 y?").
#[test]
fn function_words_alone_are_not_understood() {
    check(&[("🤔 y?", Intent::Fallback), ("con", Intent::Fallback)]);
}

/// A question about how to do something with the equipment is out of scope, even when the
/// model reads a restart in it ("como funciona el reinicio del modem": restart, 0.88); a
/// failure asked about is not such a question.
#[test]
fn how_to_questions_are_out_of_scope() {
    check(&[
        ("como funciona el reinicio del modem", Intent::Fallback),
        (
            "como conecto el celular si el wifi no funciona",
            Intent::ReiniciarServicios,
        ),
        // A restart asked for in so many words stays one (the code review's).
        (
            "reinicien el modem y después me dicen cómo conecto la tele al wifi",
            Intent::ReiniciarServicios,
        ),
    ]);
    for (text, how_to) in [
        ("¿cómo se configura el repetidor?", true),
        ("hola, como pongo el modem en modo puente", true),
        ("no tengo internet, como lo arreglo", false),
        ("como estan, se me cayo el internet", false),
    ] {
        assert_eq!(
            entities::asks_how_to(&text::normalize(text)),
            how_to,
            "{text}"
        );
    }
    // A restart, asked for or offered, is taken back; the model's wish for a person only
    // when the message names no complaint topic, no person and asks for no call.
    let contact = Prediction {
        intent: Intent::ContactarEjecutivo,
        confidence: 0.9,
        ranking: vec![(Intent::ContactarEjecutivo, 0.9)],
        decision: Decision::Intent(Intent::ContactarEjecutivo),
        topic: None,
        rule: None,
    };
    assert_eq!(
        contact.clone().how_to_if(|| true, || true).decision,
        Decision::Intent(Intent::ContactarEjecutivo)
    );
    assert_eq!(
        contact.clone().how_to_if(|| true, || false).decision,
        Decision::Fallback
    );
    // A person a rule decided on stays.
    let decided = Prediction {
        rule: Some(Rule::BotCondemned),
        ..contact
    };
    assert_eq!(
        decided.how_to_if(|| true, || false).decision,
        Decision::Intent(Intent::ContactarEjecutivo)
    );
}

/// A message the model places nowhere that reports a failure naming the service is an
/// outage (the model abstained on each of these); one that names no service of ours, or
/// asks why, is not.
#[test]
fn unplaced_failures_of_the_service_are_outages() {
    check(&[
        (
            "el notebook no se conecta a la red wifi de la casa",
            Intent::ReiniciarServicios,
        ),
        (
            "la fibra se desconecto de la nada",
            Intent::ReiniciarServicios,
        ),
        ("se cortó la luz en la villa", Intent::Fallback),
        ("mi lavadora no funciona", Intent::Fallback),
        ("por que se corta el wifi?", Intent::Fallback),
        // Another business's word where the customer is (their workplace) is no other
        // business's wifi; one that owns the wifi is (a blind probe's workshop).
        (
            "en el gimnasio se desconectó el wifi",
            Intent::ReiniciarServicios,
        ),
        ("se desconectó el wifi del gimnasio", Intent::Fallback),
        // Another business's wifi is no restart to make, even when the model reads one
        // (probe27, probe28); "de"/"del" before such a word owns no service otherwise.
        (
            "se cayó el wifi del hotel donde estoy alojado",
            Intent::Fallback,
        ),
        (
            "los niños no pueden hacer las tareas del colegio, el internet no anda",
            Intent::ReiniciarServicios,
        ),
    ]);
    // A failure that comes back is bad service, not an outage; one that came back today
    // is still an outage.
    for (text, topic) in [
        ("el wifi se corta todos los dias", Some(Topic::MalaCalidad)),
        (
            "se cae la señal como 6 veces en la tarde",
            Some(Topic::MalaCalidad),
        ),
        ("el internet se cayo dos veces hoy", None),
        // "siempre" and "cada vez que" come back too, and "se me cae" drops (the code
        // review's).
        (
            "el wifi se corta siempre en la noche",
            Some(Topic::MalaCalidad),
        ),
        (
            "cada vez que llueve se me cae la señal",
            Some(Topic::MalaCalidad),
        ),
        // Since last night, whatever came before; a device of the customer's (the code
        // review's).
        (
            "contrate hace un mes y desde anoche no tengo internet",
            None,
        ),
        ("mi notebook no prende hace dias", None),
        // The span may be worded loosely.
        (
            "hace como tres semanas que el fijo no funciona",
            Some(Topic::MalaCalidad),
        ),
    ] {
        let reported = entities::reported_matter(text, &text::normalize(text));
        assert_eq!(reported, topic, "{text:?}");
    }
}

/// A chat with a person that was cut asks for the person again, whatever the model read
/// (it asked whether the first meant an executive or a goodbye); a phone call with family
/// that was cut does not.
#[test]
fn a_cut_chat_asks_for_the_person_again() {
    for text in [
        "estaba conversando con la Carla y se me cerro todo",
        "me estaban atendiendo y se corto el chat",
        "me desconecte cuando hablaba con el ejecutivo",
    ] {
        let p = classifier().classify(text);
        assert_eq!(
            p.decision,
            Decision::Intent(Intent::ContactarEjecutivo),
            "{text}: {p:?}"
        );
    }
    // The chat's window closed (probe25).
    assert!(entities::chat_was_cut(&text::normalize(
        "chateaba con un ejecutivo y se me cerró la página"
    )));
    // The code review's: what was cut is the service, or the talk was elsewhere.
    for text in [
        "estaba hablando con mi hija por telefono y se corto",
        "se corto el internet",
        "estaba hablando con la ejecutiva ayer",
        "estaba chateando con mis amigos y se cayo el internet",
        "estaba hablando por el celu y se corto",
        "estaba en clases online hablando con el profe y se corto el internet",
    ] {
        assert!(!entities::chat_was_cut(&text::normalize(text)), "{text}");
    }
}

/// A new complaint filed in so many words is no question about the earlier ones; a
/// complaint about another business that names nothing of the company's is out of scope
/// (the blind probes' delivery, pharmacy and water bill were sent to an executive).
#[test]
fn new_complaints_and_other_businesses_after_the_model() {
    let norm = |t: &str| text::normalize(t);
    assert!(entities::files_new_complaint(&norm(
        "quiero ingresar un reclamo, la atencion que me dieron fue mala"
    )));
    assert!(entities::files_new_complaint(&norm(
        "vengo a poner una queja"
    )));
    assert!(!entities::files_new_complaint(&norm(
        "no quiero poner otro reclamo, solo saber como va el mio"
    )));
    assert!(!entities::files_new_complaint(&norm("como va mi reclamo")));
    // The code review's: turned down earlier in the clause, or a complaint already made.
    assert!(!entities::files_new_complaint(&norm(
        "tampoco quiero poner otro reclamo, solo ver los anteriores"
    )));
    assert!(!entities::files_new_complaint(&norm(
        "quiero abrir mi reclamo para ver que paso"
    )));
    assert!(entities::files_new_complaint(&norm(
        "quiero poner un nuevo reclamo"
    )));
    let (review, contact) = (Intent::RevisarAtenciones, Intent::ContactarEjecutivo);
    let read = |intent, topic| Prediction {
        intent,
        confidence: 0.6,
        ranking: vec![(intent, 0.6)],
        decision: Decision::Intent(intent),
        topic,
        rule: None,
    };
    assert_eq!(
        read(review, None).new_complaint_if(|| true).decision,
        Decision::Intent(contact)
    );
    let restart = Intent::ReiniciarServicios;
    assert_eq!(
        read(restart, None).new_complaint_if(|| true).decision,
        Decision::Intent(restart)
    );
    assert_eq!(
        read(contact, None).other_business_if(|| true).decision,
        Decision::Fallback
    );
    // A named matter of the company's stays with the executive.
    let billed = read(contact, Some(Topic::CobroDuplicado)).other_business_if(|| true);
    assert_eq!(billed.decision, Decision::Intent(contact));
    // End to end: the model sent these to an executive; another business's complaint is
    // out of scope, one that names a payment to the company is not (the code review's).
    let c = classifier();
    assert_eq!(
        c.classify("la farmacia no tenia mi remedio y me hicieron ir dos veces")
            .decision,
        Decision::Fallback
    );
    assert_eq!(
        c.classify("pagué por el banco y me siguen cobrando")
            .decision,
        Decision::Intent(contact)
    );
    // A person asked for, or a service named, is the company's.
    assert!(entities::names_service(&norm(
        "quiero alguien de carne y hueso"
    )));
    assert!(entities::names_service(&norm("el celular no tiene señal")));
    assert!(!entities::names_service(&norm(
        "la farmacia no tenia mi remedio"
    )));
    // Catching a signal is working ("no agarra"), and a signal that went is gone.
    for failure in ["el pc no agarra el wifi", "se fue la señal del cable"] {
        assert!(
            entities::reports_failure(failure, &norm(failure)),
            "{failure}"
        );
    }
    // The code review's: a failure denied or over, a sale, a payment, a missing number.
    for text in [
        "gracias, el internet ya no se cae",
        "gracias, ya no se me cae el wifi",
        "perfecto, ya no se desconecta el wifi",
        "no tengo internet en mi casa y quiero contratar",
        "no tengo el teléfono del técnico que viene mañana",
        "no tengo internet, ya pagué la cuenta",
    ] {
        assert!(!entities::reports_failure(text, &norm(text)), "{text}");
    }
}

#[test]
fn service_words_alone_and_negated_actions_ask_for_nothing() {
    check(&[
        ("internet", Intent::Fallback),
        ("el modem", Intent::Fallback),
        ("decodificador", Intent::Fallback),
        ("no me corten el internet", Intent::Fallback),
        ("no me apaguen el router porfa", Intent::Fallback),
        ("no reseteen el deco", Intent::Fallback),
        // The "ir a" future between the negation and the wish (four blind probe sets had
        // "no me vayan a cortar ...").
        ("no nos vayan a desconectar el cable", Intent::Fallback),
        ("ojo que no me lo vayan a apagar", Intent::Fallback),
        ("cuanto cuesta el plan de fibra de 1 giga", Intent::Fallback),
        ("donde queda la oficina mas cercana", Intent::Fallback),
    ]);
}

/// A change of mind takes back what came before it: "no, mejor ..." or "mejor" starting a
/// clause is no second request to ask about (a blind probe set's "reinicien el modem...
/// no, mejor comuniqueme con alguien" was asked "¿Quiso decir (2) o (3)?"); passing the
/// customer on can be turned down like any action.
#[test]
fn a_change_of_mind_and_a_transfer_turned_down() {
    check(&[
        (
            "reinicien el modem... no, mejor comuníqueme con alguien",
            Intent::ContactarEjecutivo,
        ),
        (
            "reinicien el router. mejor páseme con un ejecutivo",
            Intent::ContactarEjecutivo,
        ),
        (
            "quiero hablar con alguien, no, mejor reinicien el modem",
            Intent::ReiniciarServicios,
        ),
        ("no me pasen con un ejecutivo", Intent::Fallback),
        ("no me comuniquen con nadie", Intent::Fallback),
        // Another manner of the same request takes nothing back (the model's clauses read
        // changes of mind as the entities do: this one was read as a restart).
        (
            "páseme con un ejecutivo, mejor si es ahora",
            Intent::ContactarEjecutivo,
        ),
        (
            "quiero hablar con alguien, no, mejor dicho con un supervisor",
            Intent::ContactarEjecutivo,
        ),
        // An article before a person changes the request too.
        (
            "reinicien el módem, no, mejor un humano",
            Intent::ContactarEjecutivo,
        ),
        (
            "resetea el router... mejor un ejecutivo por favor",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

#[test]
fn negation_without_a_comma_and_a_trailing_contrast_word() {
    check(&[
        (
            "no quiero hablar con nadie reinicien el wifi",
            Intent::ReiniciarServicios,
        ),
        (
            "no me reinicien nada pasenme con alguien",
            Intent::ContactarEjecutivo,
        ),
        (
            "no me vayan a cortar nada, reinicien el modem no mas",
            Intent::ReiniciarServicios,
        ),
        // Only the pronouns right behind the negation are skipped: an article further on
        // does not carry it to a wish (a review found the first skip list negated this).
        (
            "no me llega la boleta me gustaria hablar con alguien",
            Intent::ContactarEjecutivo,
        ),
        ("quiero salir ahora", Intent::Salir),
    ]);
}

#[test]
fn earlier_requests_by_other_names_and_formal_goodbyes() {
    check(&[
        ("en que va mi tramite", Intent::RevisarAtenciones),
        ("como va la orden que pedi", Intent::RevisarAtenciones),
        ("que me llame un supervisor", Intent::ContactarEjecutivo),
        ("atentamente", Intent::Salir),
        // Its abbreviation and another formal close (two blind probes).
        ("atte", Intent::Salir),
        ("cordialmente", Intent::Salir),
    ]);
}

#[test]
fn complaints_about_other_businesses_are_out_of_scope() {
    // None of these is in the intents file; their businesses are only words of its `ajeno`
    // lookup. Without that lookup the classifier abstained on 8 of them.
    let complaints = [
        "el cerrajero no vino",
        "el electricista no llegó nunca",
        "el dentista me cobró de más",
        "la peluquería me cobró el doble",
        "el colectivo no pasó en toda la mañana",
        "el pediatra no me atiende hace días",
        "mi pensión llegó incompleta",
        "la tintorería me arruinó un vestido",
        "el chofer del bus me trató pésimo",
        "la aseguradora no me paga el siniestro",
        "la municipalidad no responde mi reclamo",
        "el arrendador no me devuelve la garantía",
        "el kinesiólogo canceló mi hora",
        "el gimnasio me sigue cobrando la mensualidad",
        "la clínica me cobró un examen que no me hicieron",
        "la bencinera me cobró dos veces",
    ];
    assert_at_most(4, "accepted", &complaints, |p| p.intent != Intent::Fallback);
}

/// Asserts that at most `max` of `texts` get a prediction `counted` picks, listing them.
fn assert_at_most(max: usize, what: &str, texts: &[&str], counted: impl Fn(&Prediction) -> bool) {
    let picked: Vec<String> = texts
        .iter()
        .map(|text| (text, classifier().classify(text)))
        .filter(|(_, p)| counted(p))
        .map(|(text, p)| format!("{text:?}: {} {:.2}", p.intent, p.confidence))
        .collect();
    assert!(
        picked.len() <= max,
        "{} of {} {what}:\n{}",
        picked.len(),
        texts.len(),
        picked.join("\n")
    );
}

#[test]
fn in_scope_messages_with_words_other_businesses_also_use_are_not_abstained() {
    // Homes, power cuts, fines, interest, trips and slang for money also belong to the
    // company's customers: none of these words is in the `ajeno` lookup (the guide keeps
    // words of any domain out of it). With "se cae", "depto", "condominio", "apagón",
    // "viaje" and the like in it, the classifier abstained on 3 of these.
    let messages = [
        "el wifi se cae todo el dia",
        "se cae la señal de la tele a cada rato",
        "despues del apagon no volvio el internet",
        "me cobraron 20 lucas de mas en la boleta",
        "me quieren cobrar una multa por terminar el contrato",
        "no hay internet en el depto",
        "en todo el condominio estamos sin cable",
        "me estan cobrando intereses por una boleta que pague",
        "me voy de viaje y quiero suspender el plan",
        "no puedo hacer la tarea, se corto el internet",
        "no se ve ningun canal de cine",
        "se corto la electricidad y el modem no prende",
    ];
    assert_at_most(1, "abstained on", &messages, |p| {
        p.intent == Intent::Fallback
    });
}

#[test]
fn eval_reads_menu_numbers_before_the_classifier() {
    /// Always says goodbye, confidently.
    struct SaysGoodbye;
    impl Classifier for SaysGoodbye {
        fn classify(&self, _: &str) -> Prediction {
            let intent = Intent::Salir;
            Prediction {
                intent,
                confidence: 0.99,
                ranking: vec![(intent, 0.99)],
                decision: Decision::Intent(intent),
                topic: None,
                rule: None,
            }
        }
    }
    let case = |text: &str, expected| eval::Case {
        text: text.to_owned(),
        expected,
    };
    let cases = [
        case("la dos", Intent::ReiniciarServicios),
        case("opción cuatro", Intent::Salir),
        case("quiero la 1", Intent::RevisarAtenciones),
        // No such option: the menu is shown again, an abstention.
        case("5", Intent::Fallback),
        case("la quinta", Intent::Fallback),
        case("chao", Intent::Salir),
        case("quiero hablar con alguien", Intent::ContactarEjecutivo),
    ];
    let report = eval::evaluate(&SaysGoodbye, &cases);
    let missed: Vec<&str> = report.errors.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(missed, ["quiero hablar con alguien"]);
}

#[test]
fn the_fallback_bias_makes_the_classifier_abstain_more() {
    let c = classifier();
    let at = |fallback_bias| Thresholds {
        fallback_bias,
        ..c.thresholds()
    };
    // Messages no rule places when the model abstains (a reported failure or matter, or a
    // restart asked for in so many words, is placed by its rule whatever the bias: "no
    // tengo internet" and "reinicien el modem" are an outage, "chao gracias" a goodbye,
    // "quiero hablar con un ejecutivo" a person asked for).
    let texts = [
        "necesito un reinicio del modem",
        "me gustaría conversar con un ejecutivo",
        "un reseteo del deco por favor",
        "quiero ver mis solicitudes anteriores",
    ];
    for text in texts {
        assert_ne!(
            c.classify_with(text, &at(0.0)).intent,
            Intent::Fallback,
            "{text}"
        );
        assert_eq!(
            c.classify_with(text, &at(30.0)).intent,
            Intent::Fallback,
            "{text}"
        );
    }
    let abstentions = |bias| {
        test_sentences()
            .iter()
            .filter(|text| c.classify_with(text, &at(bias)).intent == Intent::Fallback)
            .count()
    };
    // (Between 0 and 1 the messages the bias turns are those the unrelated rule already
    // abstains on: low-confidence wishes for a person naming nothing of the company's.)
    let [low, none, some, high] = [-1.0, 0.0, 1.0, 10.0].map(abstentions);
    assert!(
        low < none && none <= some && some < high,
        "{low} {none} {some} {high}"
    );
}

#[test]
fn a_message_scored_once_is_decided_as_classify_decides_it() {
    // Cross-validation scores each held-out message once and decides it under many
    // settings; that must be the classifier's own decision at each setting.
    let c = classifier();
    let two_requests = [
        "reiniciar el modem o hablar con alguien",
        "quiero ver mis reclamos y reiniciar el router",
    ];
    for text in two_requests {
        assert!(
            matches!(c.classify(text).decision, Decision::Clarify(..)),
            "{text}"
        );
    }
    let texts = test_sentences()
        .into_iter()
        .chain(two_requests.map(String::from))
        .chain(RULED.map(|(text, _)| String::from(text)))
        .chain(["🤔 y?".to_owned()]);
    for text in texts {
        let scored = c.scored(&text);
        for (temperature, fallback_bias, abstain_threshold, clarify_margin) in [
            (1.0, 0.0, 0.5, 0.3),
            (1.348, 0.8, 0.25, 0.21),
            (2.0, -0.5, 0.7, 0.0),
        ] {
            let settings = Thresholds {
                temperature,
                fallback_bias,
                abstain_threshold,
                clarify_margin,
                rule_confidence: c.thresholds().rule_confidence,
            };
            // The decision, not the topic (cross-validation scores decisions).
            let mut expected = c.classify_with(&text, &settings);
            expected.topic = None;
            let mut decided = scored.decide(&settings);
            decided.topic = None;
            assert_eq!(decided, expected, "{text}");
        }
    }
}

/// One message for each rule after the model, with the rule that decides it.
const RULED: [(&str, Rule); 17] = [
    (
        "la tecnica vino ayer y quede peor con el cable, reinicien o algo",
        Rule::MatterBeyondRestart,
    ),
    (
        "desde el domingo no tenemos internet en la pyme, el posnet no pasa",
        Rule::MatterUnplaced,
    ),
    (
        "el notebook no se conecta a la red wifi de la casa",
        Rule::OutageUnplaced,
    ),
    (
        "estaba conversando con la Carla y se me cerro todo",
        Rule::PersonAgain,
    ),
    (
        "quiero ingresar un reclamo, la atencion que me dieron fue mala",
        Rule::NewComplaint,
    ),
    (
        "la farmacia no tenia mi remedio y me hicieron ir dos veces",
        Rule::OtherBusiness,
    ),
    (
        "se me olvido la clave del wifi, me resetean el modem?",
        Rule::MatterBeyondRestart,
    ),
    (
        "me robaron el celular, necesito bloquear el chip",
        Rule::MatterUnplaced,
    ),
    (
        "la fibra se cortó en la tarde y sigue igual",
        Rule::OutageOverContact,
    ),
    ("como funciona el reinicio del modem", Rule::HowTo),
    ("Me quedó claro todo. Buenas noches.", Rule::Farewell),
    ("la conversacion no sirve", Rule::BotCondemned),
    (
        "hace rato les escribí por la boleta que no me llega, hay novedades?",
        Rule::AboutEarlier,
    ),
    (
        "se cayó el wifi del hotel donde estoy alojado",
        Rule::ElsewhereOutage,
    ),
    (
        "ganaste un plan de internet gratis!! ingresa al link",
        Rule::Spam,
    ),
    (
        "mi abuelito quiere que lo llamen por teléfono, no sabe escribir bien",
        Rule::CallBack,
    ),
    (
        "no reinicien nada todavía, mi señora está conectada en línea",
        Rule::RestartDeclined,
    ),
];

#[test]
fn each_rule_names_the_decisions_it_makes() {
    let c = classifier();
    let mut wrong = Vec::new();
    for (text, rule) in RULED {
        let p = c.classify(text);
        if p.rule != Some(rule) {
            wrong.push(format!("{text:?}: expected {rule}, got {p:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // What the model decides alone names no rule.
    for text in [
        "quiero hablar con un ejecutivo",
        "no tengo internet",
        "chao",
    ] {
        assert_eq!(c.classify(text).rule, None, "{text}");
    }
}

/// `eval` names the rule that made a wrong decision (where a labeller looks first), and
/// none for the model's own.
#[test]
fn eval_names_the_rule_behind_each_wrong_decision() {
    let (how_to, rule) = RULED[9];
    assert_eq!(rule, Rule::HowTo);
    let cases = [
        eval::Case {
            text: how_to.to_owned(),
            expected: Intent::ReiniciarServicios,
        },
        eval::Case {
            text: "quiero hablar con un ejecutivo".to_owned(),
            expected: Intent::Salir,
        },
    ];
    let report = eval::evaluate(classifier(), &cases);
    let rules: Vec<_> = report
        .errors
        .iter()
        .map(|e| (e.text.as_str(), e.rule))
        .collect();
    assert_eq!(
        rules,
        [
            (how_to, Some("how_to")),
            ("quiero hablar con un ejecutivo", None)
        ]
    );
    let text = eval::render_text(&report);
    assert!(
        text.contains(&format!("{how_to:?} (rule how_to)")),
        "{text}"
    );
    let json = serde_json::to_value(&report.errors).unwrap();
    assert_eq!(json[0]["rule"], "how_to");
    assert!(json[1].get("rule").is_none(), "{json}");
}

#[test]
fn a_rules_decisions_take_the_confidence_the_file_gives_it() {
    let with = |rule: Rule, confidence: Option<f32>| {
        let mut data = load_training_data(None).expect("embedded intents parse");
        data.thresholds.rule_confidence.set(rule, confidence);
        YamlClassifier::new(&data)
    };
    let (text, rule) = RULED[9];
    assert_eq!(rule, Rule::HowTo);
    let unset = with(rule, None).classify(text);
    let set = with(rule, Some(0.42)).classify(text);
    assert_eq!(set.confidence, 0.42, "{set:?}");
    assert_eq!(set.decision, unset.decision);
    // Without one, the decision keeps the model's confidence.
    assert_ne!(unset.confidence, 0.42, "{unset:?}");
    // A goodbye keeps the model's `salir` score when that is lower (the conversation asks
    // before closing below its threshold), and the rule's when that is.
    let (goodbye, rule) = RULED[10];
    let salir = with(rule, None).classify(goodbye).confidence;
    assert!(salir > 0.0 && salir < 0.99, "{salir}");
    assert_eq!(with(rule, Some(0.99)).classify(goodbye).confidence, salir);
    let lower = salir / 2.0;
    assert_eq!(with(rule, Some(lower)).classify(goodbye).confidence, lower);
}

#[test]
fn rule_confidence_in_the_file_is_checked() {
    let block = |body: &str| format!("{PLAIN_RASA}reclamos:\n  rule_confidence:\n{body}");
    let (_dir, path) = write_temp(&block("    farewell: 0.8\n    how_to: 1\n"));
    let data = load_training_data(Some(&path)).expect("loads");
    let set: Vec<_> = data.thresholds.rule_confidence.iter().collect();
    assert_eq!(set, [(Rule::HowTo, 1.0), (Rule::Farewell, 0.8)]);
    for (body, says) in [
        ("    goodbye: 0.8\n", "unknown rule `goodbye`"),
        ("    farewell: 1.5\n", "farewell must be in 0..=1, got 1.5"),
    ] {
        let (_dir, path) = write_temp(&block(body));
        let message = load_training_data(Some(&path)).expect_err(body).to_string();
        assert!(message.contains(says), "{message}");
        assert!(message.contains("intents.yaml:"), "{message}");
    }
}

#[test]
fn rule_confidence_is_each_rules_share_of_right_decisions_on_the_folds() {
    let case = |expected| eval::Case {
        text: String::new(),
        expected,
    };
    let made = |intent, rule| Prediction {
        rule: Some(rule),
        ..Prediction::menu_choice(match intent {
            Intent::ContactarEjecutivo => "3",
            _ => "2",
        })
        .expect("a menu number")
    };
    let (contact, restart) = (Intent::ContactarEjecutivo, Intent::ReiniciarServicios);
    // Twelve decisions of one rule, nine right; nine of another, all right.
    let mut cases = Vec::new();
    let mut predictions = Vec::new();
    for i in 0..12 {
        cases.push(case(if i < 9 { contact } else { restart }));
        predictions.push(made(contact, Rule::MatterUnplaced));
    }
    for _ in 0..9 {
        cases.push(case(restart));
        predictions.push(made(restart, Rule::OutageUnplaced));
    }
    let report = eval::score(&cases, &predictions, Vec::new());
    let counted = |rule: Rule| report.rules.get(rule.name()).map(|s| (s.right, s.decided));
    assert_eq!(counted(Rule::MatterUnplaced), Some((9, 12)));
    assert_eq!(counted(Rule::OutageUnplaced), Some((9, 9)));
    assert_eq!(counted(Rule::Farewell), None);
    let fitted = eval::fit_rule_confidence(&report.rules);
    // (9 + 1) / (12 + 2), to two decimals; too few decisions for the other.
    assert_eq!(fitted.get(Rule::MatterUnplaced), Some(0.71));
    assert_eq!(fitted.get(Rule::OutageUnplaced), None);
}

/// The sentences of `intents/test.yaml`.
fn test_sentences() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("intents/test.yaml");
    let data = load_training_data(Some(&path)).expect("test.yaml parses");
    data.examples().map(|(text, _)| text.to_owned()).collect()
}

#[test]
fn calibration_error_measures_the_gap_between_confidence_and_accuracy() {
    let mut calibrated = vec![(0.85f32, true); 17];
    calibrated.extend([(0.85f32, false); 3]);
    let c = eval::calibration(&calibrated);
    assert!(c.ece < 1e-6, "{}", c.ece);
    assert_eq!(c.bins[8].count, 20);
    let overconfident = eval::calibration(&[(0.95, false), (0.95, true)]);
    assert!(
        (overconfident.ece - 0.45).abs() < 1e-6,
        "{}",
        overconfident.ece
    );
}

/// `PLAIN_RASA` with its intents, and the examples inside each, in reverse order.
fn reversed_plain_rasa() -> String {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in PLAIN_RASA.lines().skip(2) {
        if line.starts_with("- intent:") {
            blocks.push(vec![line]);
        } else if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    let mut out = String::from("version: \"3.1\"\nnlu:\n");
    for block in blocks.iter().rev() {
        let (head, examples) = block.split_at(2);
        for line in head.iter().chain(examples.iter().rev()) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_same_examples_in_another_order_train_the_same_model() {
    let reversed = reversed_plain_rasa();
    assert_ne!(reversed, PLAIN_RASA);
    let (_a, forward) = write_temp(PLAIN_RASA);
    let (_b, backward) = write_temp(&reversed);
    let forward = YamlClassifier::new(&load_training_data(Some(&forward)).unwrap());
    let backward = YamlClassifier::new(&load_training_data(Some(&backward)).unwrap());
    for text in [
        "quiero hablar con un ejecutivo",
        "se me cayo el internet",
        "como va mi ticket 124578",
        "chao gracias",
        "cuanto cuesta la fibra",
    ] {
        let (a, b) = (forward.classify(text), backward.classify(text));
        assert_eq!(a.ranking, b.ranking, "{text}");
        assert_eq!(a.decision, b.decision, "{text}");
    }
}

#[test]
fn the_fitted_setting_is_the_top_of_a_plateau_not_a_lone_peak() {
    // A 5 x 5 x 5 grid of (right decisions, utility): one lone cell with 100 right, a
    // 3 x 3 x 3 block with 90 around (3, 3, 3), 50 everywhere else.
    let dims = [5, 5, 5];
    let mut grid = vec![(50usize, 0.0f64); 125];
    let at = |i: usize, j: usize, k: usize| (i * 5 + j) * 5 + k;
    for i in 2..=4 {
        for j in 2..=4 {
            for k in 2..=4 {
                grid[at(i, j, k)] = (90, 0.0);
            }
        }
    }
    grid[at(0, 0, 0)] = (100, 0.0);
    assert_eq!(eval::plateau_top(&grid, dims), [3, 3, 3]);
    // On an even plateau the utility breaks the tie: its best neighbourhood is the
    // middle of the 3 x 3 block where wrong actions are fewest.
    let mut flat = vec![(70usize, 0.0f64); 125];
    for i in 1..=3 {
        for j in 1..=3 {
            for k in 0..5 {
                flat[at(i, j, k)].1 = 10.0;
            }
        }
    }
    let [i, j, _] = eval::plateau_top(&flat, dims);
    assert_eq!((i, j), (2, 2));
}

#[test]
fn spanglish_status_words_and_thanks_after_a_goodnight() {
    check(&[
        // Follow-up words ask how an earlier request stands.
        (
            "necesito seguimiento a mi reclamo del cobro que no reconozco",
            Intent::RevisarAtenciones,
        ),
        (
            "any update de mi ticket por el internet caido?",
            Intent::RevisarAtenciones,
        ),
        ("cual es el estatus de mi caso", Intent::RevisarAtenciones),
        // Thanks after a salute close the conversation; English ones too.
        (
            "ya es tarde, lo sigo mañana, buenas noches y gracias por todo",
            Intent::Salir,
        ),
        ("ok thanks, see you", Intent::Salir),
        // Failing all the time is bad service.
        (
            "el internet se corta todo el rato, es un pesimo servicio",
            Intent::ContactarEjecutivo,
        ),
    ]);
    // A whole day without service is today's outage, not bad service.
    assert_eq!(
        complaint_topic("llevamos todo el dia sin internet en la casa"),
        None
    );
    // Thanks in advance before a problem is no goodbye.
    let p = classifier().classify("buenas tardes y gracias, no tengo señal en el celular");
    assert_ne!(p.intent, Intent::Salir, "{p:?}");
}

#[test]
fn an_earlier_request_asked_about_after_what_was_sent() {
    check(&[
        (
            "les mandé la boleta escaneada para que corrigieran el monto, ¿ya la vieron?",
            Intent::RevisarAtenciones,
        ),
        (
            "escribí hace una semana por el cargo que no reconozco, hay respuesta?",
            Intent::RevisarAtenciones,
        ),
    ]);
    // A building's administration is another business: its charges are out of scope.
    let p = classifier().classify("el condominio me cobró doble la cuota de mantención");
    assert_ne!(p.intent, Intent::ContactarEjecutivo, "{p:?}");
}

#[test]
fn another_business_that_charged_or_is_complained_about_is_out_of_scope() {
    let c = classifier();
    for text in [
        "el minimarket del barrio me cobro dos veces el pack de cervezas",
        "la sanitaria me cobró una barbaridad este mes",
        "quiero poner una queja contra la compañía de electricidad por el apagón",
        // Asked whether it meant an executive or the earlier requests, too.
        "tengo un reclamo con el jumbo por un producto en mal estado",
    ] {
        let p = c.classify(text);
        assert_eq!(p.decision, Decision::Fallback, "{text}: {p:?}");
    }
    // The company's own charges stay complaints, wherever the customer paid.
    check(&[
        (
            "pagué la boleta en el banco y me cobraron doble",
            Intent::ContactarEjecutivo,
        ),
        (
            "la compañía me cobró de más en la boleta de este mes",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

#[test]
fn a_technician_who_left_things_worse_is_a_complaint_about_the_visit() {
    for text in [
        "la tecnica que enviaron dejo el modem mal puesto y ahora no hay internet",
        "el tecnico se fue hace una hora y desde que se fue no tenemos tele",
    ] {
        let p = classifier().classify(text);
        assert_eq!(p.intent, Intent::ContactarEjecutivo, "{text}: {p:?}");
        assert_eq!(p.topic, Some(Topic::VisitaTecnica), "{text}: {p:?}");
    }
    // A visit that left everything working is no complaint.
    let p = classifier().classify("el tecnico dejo todo funcionando, muchas gracias");
    assert_ne!(p.intent, Intent::ContactarEjecutivo, "{p:?}");
}

#[test]
fn the_session_rules_leave_ordinary_complaints_alone() {
    let c = classifier();
    // Sarcasm, a number and "whatsapp" are no spam; a technician quoted is no visit that
    // broke something; another business's word as an adjective charges nothing; a state
    // asked of an account is no earlier request.
    for (text, not) in [
        (
            "felicidades por nada, llevo 5 días sin internet y nadie me responde por whatsapp",
            Some(Rule::Spam),
        ),
        (
            "mi esposa gana poco y nos cobraron 15000 de más; no puedo ingresar al portal",
            Some(Rule::Spam),
        ),
        (
            "hubo una falla eléctrica y me cobraron la reposición del servicio",
            Some(Rule::OtherBusiness),
        ),
    ] {
        let p = c.classify(text);
        assert_ne!(p.rule, not, "{text}: {p:?}");
        assert_eq!(p.intent, Intent::ContactarEjecutivo, "{text}: {p:?}");
    }
    let p = c.classify("el técnico dijo que el módem dejó de funcionar, ahora no tengo internet");
    assert_ne!(p.topic, Some(Topic::VisitaTecnica), "{p:?}");
    let p = c.classify("hice el pago y quiero saber el estado de mi cuenta");
    assert_ne!(p.rule, Some(Rule::AboutEarlier), "{p:?}");
}

#[test]
fn spam_is_out_of_scope() {
    let c = classifier();
    for text in [
        "felicidades ganaste 1 año de tele gratis, escribe al wsp para cobrar",
        "gana plata facil desde la casa, escribeme al wsp",
    ] {
        assert!(entities::is_spam(&text::normalize(text)), "{text}");
        let p = c.classify(text);
        assert_eq!(p.decision, Decision::Fallback, "{text}: {p:?}");
    }
    // A customer asking about one they received is no spam.
    assert!(!entities::is_spam(&text::normalize(
        "me llegó un mensaje que dice que gané un premio y que haga clic en un link, es de ustedes?"
    )));
}

#[test]
fn a_chat_cut_midway_and_an_answer_asked_about() {
    check(&[
        (
            "el ejecutivo que me atendia se desconecto en medio de la conversacion",
            Intent::ContactarEjecutivo,
        ),
        (
            "hubo respuesta al reclamo que puse por el cobro doble?",
            Intent::RevisarAtenciones,
        ),
    ]);
}

#[test]
fn requests_made_for_someone_else_unrequested_services_and_borrowed_wifi() {
    check(&[
        // Someone else made the request; the customer asks how it stands.
        (
            "mi señora dejó una solicitud por el cambio de plan, en qué está?",
            Intent::RevisarAtenciones,
        ),
        (
            "mi hijo pidió la mudanza del internet, cuándo estará listo?",
            Intent::RevisarAtenciones,
        ),
        // Without a question about it, the complaint is a complaint.
        (
            "mi hermano dejó un reclamo por un cobro doble y quiero hablar con alguien",
            Intent::ContactarEjecutivo,
        ),
    ]);
    for (text, topic) in [
        (
            "me agregaron un canal premium sin que yo lo autorizara",
            Topic::CargoDesconocido,
        ),
        (
            "los del departamento de al lado se cuelgan de mi wifi",
            Topic::ClaveWifi,
        ),
        (
            "hace un mes que la fibra no dura ni diez minutos conectada",
            Topic::MalaCalidad,
        ),
    ] {
        let p = classifier().classify(text);
        assert_eq!(p.intent, Intent::ContactarEjecutivo, "{text}: {p:?}");
        assert_eq!(p.topic, Some(topic), "{text}: {p:?}");
    }
    // How to change the key oneself is the guide's how-to question, out of scope.
    let p = classifier().classify("alguien está usando mi internet, como lo saco?");
    assert_ne!(p.intent, Intent::ContactarEjecutivo, "{p:?}");
}

#[test]
fn a_wifi_that_hangs_or_a_family_on_it_is_no_matter_of_the_key() {
    for text in [
        "se me cuelga el wifi a cada rato hoy",
        "mi hijo usa el wifi para estudiar y no le carga nada",
    ] {
        let p = classifier().classify(text);
        assert_ne!(p.topic, Some(Topic::ClaveWifi), "{text}: {p:?}");
    }
}

#[test]
fn formal_status_requests_named_requests_and_lasting_failures() {
    check(&[
        // An earlier request asked about, formally, or named with an article.
        (
            "hace un mes ingresé un reclamo por un cobro y no me han dicho nada, agradeceré informarme el estado",
            Intent::RevisarAtenciones,
        ),
        ("la orden de instalación, ¿sigue pendiente?", Intent::RevisarAtenciones),
        (
            "mi mamá pidió que le cambiaran el plan, ¿eso ya está listo?",
            Intent::RevisarAtenciones,
        ),
        // "El caso es que" is a manner of speaking.
        ("el caso es que no me funciona el internet", Intent::ReiniciarServicios),
        // A failure that keeps the customer from watching.
        ("el decodificador tira un error y no me deja ver ningún canal", Intent::ReiniciarServicios),
        // Failures since a day named after an event, or that keep coming back.
        ("desde el corte de luz del lunes que no tengo internet", Intent::ContactarEjecutivo),
        (
            "el servicio tiene caídas frecuentes, necesito una solución",
            Intent::ContactarEjecutivo,
        ),
        // A goodbye without a question stays a goodbye.
        ("listo, eso era todo, gracias", Intent::Salir),
    ]);
}

#[test]
fn the_session_rules_leave_these_alone() {
    let c = classifier();
    // Found by the code review of the rules for probe32 to probe34: each was caught by a
    // first version of them.
    for (text, not) in [
        (
            "el servicio al cliente no sirve para nada",
            Intent::ReiniciarServicios,
        ),
        (
            "el servicio técnico no funciona",
            Intent::ReiniciarServicios,
        ),
        (
            "tengo un reclamo con la isapre por mal servicio",
            Intent::ContactarEjecutivo,
        ),
        (
            "quiero hacer el reclamo porque ya está bueno que se corte el internet todos los días",
            Intent::RevisarAtenciones,
        ),
        (
            "solicito informarme el estado de mi cuenta, aparece una deuda que no reconozco",
            Intent::RevisarAtenciones,
        ),
        (
            "Dejo un reclamo formal: el técnico nunca vino, ¿qué pasó con la visita?",
            Intent::RevisarAtenciones,
        ),
        (
            "la app no me deja ver el detalle de mi plan",
            Intent::ReiniciarServicios,
        ),
        (
            "hay cortes de luz constantes en mi barrio",
            Intent::ContactarEjecutivo,
        ),
    ] {
        let p = c.classify(text);
        assert_ne!(p.intent, not, "{text}: {p:?}");
    }
    for text in [
        "cuando alguien usa el wifi en la pieza se corta la tele",
        "mi hijo vive colgado del internet",
    ] {
        let p = c.classify(text);
        assert_ne!(p.topic, Some(Topic::ClaveWifi), "{text}: {p:?}");
    }
    // A question about a request the model read as a restart, for its failure.
    check(&[(
        "puse un reclamo porque el modem se reinicia solo, ¿hay novedades?",
        Intent::RevisarAtenciones,
    )]);
}

#[test]
fn requests_we_made_failures_that_went_away_and_merged_plans() {
    check(&[
        (
            "hicimos el pedido de traslado hace dos semanas, ya está listo o no",
            Intent::RevisarAtenciones,
        ),
        (
            "se nos fueron la señal y el internet recién",
            Intent::ReiniciarServicios,
        ),
    ]);
    // People who went away are no failure.
    let p = classifier().classify("los chiquillos se fueron de vacaciones y quiero bajar el plan");
    assert_ne!(p.intent, Intent::ReiniciarServicios, "{p:?}");
    assert_eq!(
        complaint_topic("queremos juntar nuestros dos planes en uno"),
        Some(Topic::CambioPlan)
    );
}

#[test]
fn the_second_review_of_the_session_rules() {
    use super::entities::{asks_status_of_earlier, fails, reported_matter};
    // Filing a complaint now, a date, a greeting before "dejo", "¿cómo van a...?", the
    // state of something else: no earlier request asked about.
    for text in [
        "quiero dejar mi reclamo, ya está bueno que se corte el internet todos los días",
        "No tengo internet desde el 12/03/2025, ¿qué pasó con el servicio?",
        "Buenas tardes, dejo un reclamo: el técnico nunca vino, ¿qué pasó con la visita?",
        "pedí una visita y nadie vino, ¿cómo van a solucionar esto?",
        "solicito informarme el estado actual de mi cuenta",
    ] {
        assert!(!asks_status_of_earlier(text), "{text}");
    }
    for text in [
        "mi hermano dejó un reclamo por la boleta, ¿qué pasó con eso?",
        "reclamos pendientes: la boleta y el técnico, en qué están?",
        "presenté un reclamo hace un mes, agradeceré informarme su estado",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    // Someone on the customer's WiFi, said the usual ways; not a family member on it.
    for (text, borrowed) in [
        ("creo que alguien está usando mi wifi", true),
        ("los vecinos se cuelgan del wifi", true),
        (
            "cuando alguien usa el wifi en la pieza se corta la tele",
            false,
        ),
    ] {
        let topic = complaint_topic(text);
        assert_eq!(
            topic == Some(Topic::ClaveWifi),
            borrowed,
            "{text}: {topic:?}"
        );
    }
    // Failures with an intensifier or a device after "no me deja"; another service's.
    for text in [
        "el servicio prestado ha tenido cortes muy seguidos",
        "el deco no me deja ver tv",
        "el módem no me deja conectarme a internet",
    ] {
        assert!(fails(&text::normalize(text)), "{text}");
    }
    let power = "llevamos 3 días sin servicio eléctrico";
    assert_eq!(reported_matter(power, &text::normalize(power)), None);
    let lasting = "hace una semana que el servicio tiene caídas muy frecuentes";
    assert_eq!(
        reported_matter(lasting, &text::normalize(lasting)),
        Some(Topic::MalaCalidad)
    );
}

#[test]
fn small_talk_about_the_weather_is_out_of_scope() {
    use super::entities::is_small_talk;
    let c = classifier();
    for text in [
        "¿va a llover mañana en Temuco?",
        "uf qué frío hace hoy en Osorno",
    ] {
        let p = c.classify(text);
        assert_eq!(p.decision, Decision::Fallback, "{text}: {p:?}");
        assert_eq!(p.rule, Some(Rule::SmallTalk), "{text}: {p:?}");
    }
    // A failure in a storm is a failure; "qué tiempo hace que" asks how long ago; a person
    // asked for is no small talk.
    for text in [
        "con el temporal se cortó el internet y hace un frío terrible",
        "¿qué tiempo hace que puse el reclamo?",
        "el clima de atención de ustedes es pésimo, quiero hablar con un supervisor",
    ] {
        assert!(!is_small_talk(&text::normalize(text)), "{text}");
    }
}

#[test]
fn a_seasons_greeting_alone_is_small_talk() {
    use super::entities::is_small_talk;
    let c = classifier();
    for text in ["¡Feliz dieciocho a todos!", "felices fiestas patrias"] {
        let p = c.classify(text);
        assert_eq!(p.decision, Decision::Fallback, "{text}: {p:?}");
        assert_eq!(p.rule, Some(Rule::SmallTalk), "{text}: {p:?}");
    }
    // With anything else it is that: a failure, thanks that close, a person asked for.
    for text in [
        "feliz año nuevo, sigo sin internet",
        "gracias y feliz navidad",
        "felices fiestas, necesito hablar con un ejecutivo",
    ] {
        assert!(!is_small_talk(&text::normalize(text)), "{text}");
    }
}

#[test]
fn a_request_named_by_its_number_is_one_made_before() {
    for text in [
        "tengo el número de caso 33017, me cuenta cómo va?",
        "ticket #5521 en qué está",
    ] {
        assert!(entities::asks_status_of_earlier(text), "{text}");
    }
    // A number without a request noun, or a request noun without a number, is not.
    for text in [
        "el caso es que en 2024 ya no sé en qué está todo",
        "quiero hacer un reclamo, cómo va esto",
    ] {
        assert!(!entities::asks_status_of_earlier(text), "{text}");
    }
}

#[test]
fn a_plan_changed_without_consent_is_a_complaint() {
    // A matter a person handles (what a message the model placed nowhere is sent on with).
    for text in [
        "a mi tía le modificaron el plan sin consultarle, ahora le cobran otra cosa",
        "nos subieron el plan sin nuestra autorización",
    ] {
        let normalized = text::normalize(text);
        assert_eq!(
            entities::reported_matter(text, &normalized),
            Some(Topic::CambioPlan),
            "{text}"
        );
    }
    // A wish to change it is a matter by itself (the guide: changing what one has), not
    // turned down; a question about it asks.
    let text = "quiero cambiar mi plan sin pagar multa";
    assert_eq!(
        entities::reported_matter(text, &text::normalize(text)),
        Some(Topic::CambioPlan)
    );
    for text in [
        "no quiero cambiar mi plan, solo preguntaba",
        "¿puedo cambiar el plan sin avisar al titular?",
    ] {
        let normalized = text::normalize(text);
        assert_eq!(entities::reported_matter(text, &normalized), None, "{text}");
    }
}

/// The rules written from `probe37`'s and `probe38`'s errors, on sentences of their own,
/// with what they must leave alone.
#[test]
fn the_rules_of_probe37_and_probe38() {
    use super::entities::{
        asks_status_of_earlier, complaint_topic, ends_with_farewell, fails, files_new_complaint,
        reported_matter,
    };
    let c = classifier();
    // The electricity company by its usual name charges its own bills; "la luz" of the
    // módem is the company's device.
    let p = c.classify("la empresa de luz me cobró dos veces el mismo mes");
    assert_eq!(p.decision, Decision::Fallback, "{p:?}");
    assert_eq!(p.rule, Some(Rule::OtherBusiness), "{p:?}");
    let p = c.classify("la luz del módem parpadea y encima me cobraron doble");
    assert!(p.decision.offers(Intent::ContactarEjecutivo), "{p:?}");
    // Asked to be told whether an earlier request was dealt with, or whether it has a
    // resolution; not whether something is sold.
    for text in [
        "¿me podrían decir si aprobaron la baja que pedí?",
        "agradeceré informarme si la solicitud ingresada el lunes fue aprobada",
        "hice un reclamo por el cobro del mes pasado, ¿hay alguna resolución?",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    assert!(!asks_status_of_earlier(
        "me pueden decir si tienen fibra en mi calle?"
    ));
    // A new complaint for one that was not solved, named before; not one turned down, nor
    // "uno nuevo" with no request named.
    for (text, files) in [
        (
            "no me resolvieron el reclamo, así que quiero poner uno nuevo",
            true,
        ),
        ("no quiero poner uno nuevo, solo saber del reclamo", false),
        ("quiero hacer uno nuevo", false),
    ] {
        assert_eq!(files_new_complaint(&text::normalize(text)), files, "{text}");
    }
    // A bill that went up is a bill dispute; paying for returned equipment, a charge not
    // recognised; "solo llamadas de emergencia" is the phone without signal, no emergency.
    for (text, topic) in [
        ("la cuenta subió 5 lucas este mes", Some(Topic::Boleta)),
        (
            "me siguen cobrando el módem que devolví",
            Some(Topic::CargoDesconocido),
        ),
        ("el celu dice solo llamadas de emergencia", None),
        (
            "tengo una emergencia con el teléfono de mi papá",
            Some(Topic::Urgencia),
        ),
    ] {
        assert_eq!(complaint_topic(text), topic, "{text}");
    }
    // A holder change asked for is a matter; a question about its procedure asks.
    for (text, matter) in [
        (
            "necesitamos pasar la cuenta a nombre de mi hijo",
            Some(Topic::CambioPlan),
        ),
        (
            "necesito cambiar el titular del contrato",
            Some(Topic::CambioPlan),
        ),
        ("qué documentos piden para cambiar el titular", None),
    ] {
        assert_eq!(
            reported_matter(text, &text::normalize(text)),
            matter,
            "{text}"
        );
    }
    // Goodbyes: a hug, the radio's, a clipped "nos vemo"; a hug wished for is none.
    for (text, farewell) in [
        ("ok gracias, un abrazo", true),
        ("cambio y fuera", true),
        ("ya, nos vemo", true),
        ("necesito un abrazo", false),
    ] {
        assert_eq!(
            ends_with_farewell(&text::normalize(text)),
            farewell,
            "{text}"
        );
    }
    assert!(fails("no me cargan las paginas"));
}

/// Any clarification of the model's (here between a restart and a goodbye) is about the
/// earlier request when the message asks how one stands and names it; not one a rule made.
#[test]
fn a_clarification_naming_the_request_asked_about_is_the_earlier_requests() {
    let (restart, salir) = (Intent::ReiniciarServicios, Intent::Salir);
    let asked = |rule| Prediction {
        intent: restart,
        confidence: 0.33,
        ranking: vec![(restart, 0.33), (salir, 0.2)],
        decision: Decision::Clarify(restart, salir),
        topic: None,
        rule,
    };
    let review = Decision::Intent(Intent::RevisarAtenciones);
    let p = asked(None).about_earlier_if(|| true, false, || true);
    assert_eq!(p.decision, review, "{p:?}");
    assert_eq!(p.rule, Some(Rule::AboutEarlier));
    // Naming no request, or a rule's question, it stays.
    let p = asked(None).about_earlier_if(|| true, false, || false);
    assert_eq!(p.decision, Decision::Clarify(restart, salir), "{p:?}");
    let p = asked(Some(Rule::Farewell)).about_earlier_if(|| true, false, || true);
    assert_eq!(p.decision, Decision::Clarify(restart, salir), "{p:?}");
}

/// The rules written from `probe39`'s errors, on sentences of their own, with what they
/// must leave alone.
#[test]
fn the_rules_of_probe39() {
    use super::entities::{
        asks_status_of_earlier, complaint_topic, condemns_the_bot, ends_with_farewell, fails,
    };
    // The bot condemned across a comma, in Chilean ("no cachai"); the bot quoted is not.
    assert!(condemns_the_bot(&text::normalize(
        "oye bot, no cachai nada"
    )));
    assert!(!condemns_the_bot(&text::normalize(
        "hice lo que dijo el bot, no me funciona"
    )));
    // One open request named, or "¿eso se hizo?", ask about an earlier request.
    for text in [
        "tengo un caso abierto por la portabilidad, ¿hay alguna novedad?",
        "mi hija pidió el cambio de dirección de la boleta, ¿eso se hizo?",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    // No channel shown, a phone that only makes emergency calls: failures.
    assert!(fails("hoy no aparece ningun canal"));
    assert!(fails("el telefono dice solo llamadas de emergencia"));
    // A service added that was never authorised; the steps followed in vain.
    for (text, topic) in [
        (
            "me agregaron un pack que nunca autoricé",
            Some(Topic::CargoDesconocido),
        ),
        (
            "hice todos los pasos y sigue igual",
            Some(Topic::ReinicioFallido),
        ),
        ("quiero que me digan los pasos para reiniciar", None),
    ] {
        assert_eq!(complaint_topic(text), topic, "{text}");
    }
    assert!(ends_with_farewell(&text::normalize(
        "gracias, que Dios la bendiga"
    )));
    // The customer's own business is no other party to the charge; another one is.
    let c = classifier();
    let p = c.classify("tengo una farmacia y me cobraron la instalacion dos veces");
    assert_ne!(p.rule, Some(Rule::OtherBusiness), "{p:?}");
    let p = c.classify("la farmacia me cobró dos veces el remedio");
    assert_eq!(p.decision, Decision::Fallback, "{p:?}");
}

/// What a code review of this session's first rules found them doing wrongly, each mended
/// on the entity function itself (the model's answer would often pass anyway).
#[test]
fn the_review_of_the_probe36_to_probe39_rules() {
    use super::entities::{
        asks_status_of_earlier, complaint_topic, ends_with_farewell, files_new_complaint,
        is_small_talk, reported_matter,
    };
    // Telling ("decir que"), asking about something that is no request, a request that
    // "no fue resuelto", an amount after "reclamo de", a resolution denied: no question
    // about an earlier request.
    for text in [
        "les quiero decir que me cambiaron el plan sin avisarme",
        "me pueden decir si cambiaron el horario de la sucursal de maipu?",
        "me pueden indicar si instalaron fibra en mi sector?",
        "les escribo para informar que el reclamo que puse no fue resuelto y me siguen cobrando",
        "quiero poner un reclamo de 35000 pesos, que paso con el descuento que me prometieron",
        "puse un reclamo hace 3 semanas y aun no hay resolucion, exijo una compensacion",
    ] {
        assert!(!asks_status_of_earlier(text), "{text}");
    }
    // A filing doubted earlier in its clause is none; one after "así que" is.
    for (text, files) in [
        (
            "yo no sé la verdad si quiero ingresar otro reclamo por mi caso",
            false,
        ),
        (
            "no me lo resolvieron, así que quiero poner otro reclamo",
            true,
        ),
    ] {
        assert_eq!(files_new_complaint(&text::normalize(text)), files, "{text}");
    }
    // Topics: a complaint filed on someone's behalf, equipment returned before cancelling,
    // "me devolví" (came back), speed that never rose, a restart that worked again, a real
    // emergency.
    for (text, topic) in [
        ("quiero poner un reclamo a nombre de mi abuelita", None),
        (
            "ya pague la cuenta y devolvi el deco, quiero dar de baja",
            Some(Topic::Baja),
        ),
        (
            "pague la cuenta y cuando me devolvi a la casa no tenia internet",
            None,
        ),
        ("pago 600 megas y la velocidad nunca subio de 100", None),
        (
            "ya reinicie el modem y volvio a funcionar, muchas gracias",
            None,
        ),
        (
            "hola, emergencia!! mi papa esta enfermo y no tenemos telefono",
            Some(Topic::Urgencia),
        ),
        ("el celu dice solo llamadas de emergencia", None),
    ] {
        assert_eq!(complaint_topic(text), topic, "{text}");
    }
    // Who the holder is is a question; a transfer to the customer's name is a change.
    for (text, matter) in [
        ("necesito saber quien es el titular de mi cuenta", None),
        (
            "necesito traspasar los servicios a mi nombre",
            Some(Topic::CambioPlan),
        ),
    ] {
        assert_eq!(
            reported_matter(text, &text::normalize(text)),
            matter,
            "{text}"
        );
    }
    // Season's greetings: alone they are small talk, after thanks a goodbye.
    for text in ["felices pascuas a todos", "que tengan un feliz 18"] {
        assert!(is_small_talk(&text::normalize(text)), "{text}");
    }
    for text in [
        "gracias y feliz navidad",
        "ok gracias, un abrazo grande",
        "un fuerte abrazo",
    ] {
        assert!(ends_with_farewell(&text::normalize(text)), "{text}");
    }
}

/// From `probe40`: whether a change asked for earlier "ya se aplicó" asks how it stands.
#[test]
fn whether_an_earlier_change_was_applied_asks_about_it() {
    let text = "mi señora pidió sacar el pack de películas, ¿eso ya se aplicó?";
    assert!(super::entities::asks_status_of_earlier(text), "{text}");
    // Not without an earlier request ("¿ya se aplicó el alza?" asks about prices).
    assert!(!super::entities::asks_status_of_earlier(
        "¿ya se aplicó el alza de precios?"
    ));
}

/// From `probe41`: whether it "se hizo", a question that opens with what was done, "quiero
/// abrir otro" after a request named, blessings and a season's wishes after thanks.
#[test]
fn the_rules_of_probe41() {
    use super::entities::{asks_status_of_earlier, ends_with_farewell, files_new_complaint};
    for text in [
        "hace dos semanas solicité el traslado, necesito saber si se hizo",
        "pedí que me sacaran el pack de fútbol, ¿eliminaron el cobro o no?",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    // Not a question about prices or coverage that opens with a verb, nor about a payment
    // (the second review's).
    for text in [
        "¿subieron los precios este mes?",
        "quiero saber si se registro mi pago",
        "necesito saber si se proceso el pago que hice ayer",
    ] {
        assert!(!asks_status_of_earlier(text), "{text}");
    }
    for (text, files) in [
        (
            "el caso anterior no lo resolvieron, quiero abrir otro",
            true,
        ),
        ("quiero abrir otro", false),
        ("el reclamo no sirvió, quiero abrir otro plan", false),
    ] {
        assert_eq!(files_new_complaint(&text::normalize(text)), files, "{text}");
    }
    for text in [
        "listo, gracias. Bendiciones para ustedes",
        "gracias, que tengan unas felices fiestas",
        "muchas gracias, que pasen una buena navidad",
        "gracias, bendiciones a usted y su familia",
    ] {
        assert!(ends_with_farewell(&text::normalize(text)), "{text}");
    }
}

/// From `probe42` and `probe43`: whether a request reached the company, asked to be checked
/// ("ver si quedó"), "tienen novedades", something left asked for, a wifi that hangs, a
/// speed below the one paid for, coverage questions, and "una empresa" as another business
/// ("online" as a service was dropped after the review: other businesses' sites are
/// online too).
#[test]
fn the_rules_of_probe42_and_probe43() {
    use super::entities::{
        asks_how_to, asks_status_of_earlier, fails, names_the_company, reported_matter,
    };
    for text in [
        "ayer les dejé un reclamo por la boleta, ¿les llegó?",
        "mandé una solicitud de traslado, ¿la recibieron?",
        "el vendedor iba a ingresar una orden de cambio de equipo, ¿pueden revisar si quedó?",
        "hice un reclamo por el cobro hace una semana, ¿tienen novedades?",
        "mi mamá dejó pedido el cambio de plan, ¿ya está listo?",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    // Not a payment's arrival, not checking the service, nor a bare "quedó" of no request.
    for text in [
        "hice el pago ayer, ¿les llegó?",
        "pagué el reclamo de la boleta, ¿les llegó el pago?",
        "¿pueden ver si quedó bien el internet?",
        "pueden revisar si funciona la señal",
        "quiero saber si quedó",
    ] {
        assert!(!asks_status_of_earlier(text), "{text}");
    }
    for (text, failing) in [
        ("se me cuelga el wifi a cada rato", true),
        ("el vecino se cuelga de mi wifi", false),
    ] {
        assert_eq!(fails(&text::normalize(text)), failing, "{text}");
    }
    for (text, matter) in [
        ("pago 600 megas y la bajada no pasa de 50 megas", true),
        ("me llega la mitad de la velocidad que contraté", true),
        ("¿el plan de 600 megas llega a todas las piezas?", false),
    ] {
        let found = reported_matter(text, &text::normalize(text));
        assert_eq!(
            found == Some(Topic::MalaCalidad),
            matter,
            "{text}: {found:?}"
        );
    }
    for (text, out_of_scope) in [
        ("¿hay cobertura en Caleta Tortel?", true),
        ("tienen factibilidad de fibra en el pasaje", true),
        ("no hay cobertura en la casa desde ayer", false),
        ("sin cobertura en el campo, se corta todo", false),
    ] {
        assert_eq!(asks_how_to(&text::normalize(text)), out_of_scope, "{text}");
    }
    for (text, company) in [
        ("me llama una empresa de cobranza", false),
        ("me cambié de otra compañía", false),
        ("la empresa me cobró de más", true),
    ] {
        assert_eq!(names_the_company(&text::normalize(text)), company, "{text}");
    }
}

/// From `probe44`: a request's status asked in more ways, failures shown or lost, a plan
/// changed or put in someone's name, where the customer was charged, meaning questions,
/// goodbyes with a laugh, gambling spam, a wish turned down after "tranquilos".
#[test]
fn the_rules_of_probe44() {
    use super::entities::{
        asks_how_to, asks_status_of_earlier, complaint_topic, declines, ends_with_farewell, fails,
        is_spam,
    };
    for text in [
        "necesito saber si se acogió la apelación por los días sin servicio",
        "puse un reclamo por un cargo raro, ¿tienen ya una resolución?",
        "el reclamo que hizo mi hija por la boleta, ¿eso se vio?",
        "mi solicitud de portabilidad ¿salió rechazada?",
        "¿se concretó el traslado que pedí el lunes? vivo en Osorno",
        "¿ya revisaron el reclamo que dejé? es que no tengo correo",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    // Not a failure told after a question with no request named, nor a change complained
    // about, nor a question after which comes none.
    for text in [
        "quiero saber si mandaron al técnico, sigo sin internet",
        "¿se cambió el plan sin mi permiso? pedí otro",
        "pedí un cambio de plan y se hizo mal, ahora pago más",
    ] {
        assert!(!asks_status_of_earlier(text), "{text}");
    }
    for (text, failing) in [
        ("el celu no me toma los datos", true),
        ("los equipos perdieron conexión a la vez", true),
        ("las luces del router están rojas", true),
        ("las luces del módem quedaron apagadas", true),
        ("dejé la luz de la pieza apagada", false),
    ] {
        assert_eq!(fails(&text::normalize(text)), failing, "{text}");
    }
    for (text, how_to) in [
        ("¿qué significa la luz roja que parpadea en el módem?", true),
        ("no tengo internet, ¿qué significa la luz roja?", false),
    ] {
        assert_eq!(asks_how_to(&text::normalize(text)), how_to, "{text}");
    }
    for text in [
        "me pasaron a otro plan sin avisarme",
        "quiero que la línea quede a nombre de mi hija",
    ] {
        assert_eq!(complaint_topic(text), Some(Topic::CambioPlan), "{text}");
    }
    assert!(ends_with_farewell(&text::normalize("bueno, chao jajaja")));
    assert!(is_spam(&text::normalize(
        "casino online con bono de bienvenida, entra al link"
    )));
    assert!(!is_spam(&text::normalize(
        "me llegó un link de giros gratis, ¿es de ustedes?"
    )));
    assert!(declines("tranquilos, no me quiero cambiar de compañía"));
    // Where the customer was charged is the other party; where they paid is not.
    let c = classifier();
    let p = c.classify("en la farmacia del centro me cobraron dos veces");
    assert_eq!(p.decision, Decision::Fallback, "{p:?}");
    check(&[(
        "pagué la boleta en la farmacia y me cobraron dos veces",
        Intent::ContactarEjecutivo,
    )]);
}

/// The review of the `probe42`–`probe44` rules (a helper session's): each finding, with
/// the sentence that showed it (or one like it), as the rules read them now.
#[test]
fn the_review_of_the_probe42_to_probe44_rules() {
    use super::entities::{
        asks_how_to, asks_status_of_earlier, complaint_topic, fails, files_new_complaint, is_spam,
        names_service,
    };
    // Arrival, checks, news and done verbs: not in a statement, not of a payment, not
    // with only a denied request ("yo no pedí nada"), not denied ("todavía no hay
    // noticias"), not a question the customer answers "no".
    for text in [
        "hice un reclamo por un cargo y ahora le llegó otra boleta con el mismo cargo",
        "¿pueden ver si me cambiaron el plan? yo no pedí nada y pago más",
        "hice el pago por transferencia, ¿pueden ver si quedó?",
        "hice el pago ayer, ¿se registró?",
        "hice la transferencia, ¿pueden revisar si la recibieron?",
        "puse un reclamo hace un mes y todavía no hay noticias, exijo una compensación",
        "hice el reclamo por el cobro ¿y se solucionó? no, me volvieron a cobrar",
        "¿se revisó lo que reclamé? me siguen cobrando, quiero reclamar de nuevo",
    ] {
        assert!(!asks_status_of_earlier(text), "{text}");
    }
    // A question followed by more than a denial still asks.
    assert!(asks_status_of_earlier(
        "mi solicitud de portabilidad ¿se rechazó? no me ha llegado ningún correo"
    ));
    assert!(files_new_complaint(&text::normalize(
        "no me solucionaron nada, quiero reclamar de nuevo"
    )));
    // "Online" is no service of the company's; a device's top speed is no complaint.
    assert!(!names_service(&text::normalize(
        "el formulario online del registro civil no carga"
    )));
    let c = classifier();
    for text in [
        "mi notebook es antiguo y su tarjeta de red no pasa de 100 mbps",
        "hay corte de luz en mi comuna y las luces del router están apagadas, ¿cuándo vuelve?",
    ] {
        let p = c.classify(text);
        assert_eq!(p.decision, Decision::Fallback, "{text}: {p:?}");
    }
    // A failure told after a meaning question, a phone without signal before a coverage
    // question.
    for text in [
        "¿qué significa la luz roja? no tengo internet desde la mañana",
        "el teléfono quedó sin barras de repente, ¿hay cobertura en el centro?",
    ] {
        assert!(!asks_how_to(&text::normalize(text)), "{text}");
    }
    for text in [
        "mi celu dice solo SOS",
        "no se ve ningún canal desde la mañana",
    ] {
        assert!(fails(&text::normalize(text)), "{text}");
    }
    // A plan named as background is no plan change.
    assert_eq!(
        complaint_topic("me pasaron a un plan de fibra la semana pasada y hoy no tengo internet"),
        None
    );
    // A complaint about a promised bonus is no spam.
    assert!(!is_spam(&text::normalize(
        "prometieron un bono de bienvenida al contratar y nunca lo aplicaron, el link no sirve"
    )));
    // Paid through the bank: the company's double charge; the customer's own business (or
    // the router they ask to restart) is no other business's outage.
    check(&[
        (
            "tengo PAC y por el banco me cobraron dos veces este mes",
            Intent::ContactarEjecutivo,
        ),
        (
            "me suscribí al PAT y en el banco me cobraron el mes dos veces",
            Intent::ContactarEjecutivo,
        ),
        (
            "el wifi de la hostería no funciona y tengo pasajeros, ¿pueden reiniciar el router?",
            Intent::ReiniciarServicios,
        ),
    ]);
}

/// From `probe45`: "nunca supe si", "sigue en trámite", "eso sería" before a salute, a
/// phone "sustraído", "no tiene internet" (not "ni tiene"), and what a phone without
/// signal reads asks for no call.
#[test]
fn the_rules_of_probe45() {
    use super::entities::{
        asks_for_person, asks_status_of_earlier, complaint_topic, ends_with_farewell, fails,
    };
    for text in [
        "nunca supe si aprobaron el traslado que pedí",
        "pedí una solicitud de cambio de equipo hace un mes, ¿sigue en trámite?",
    ] {
        assert!(asks_status_of_earlier(text), "{text}");
    }
    assert!(ends_with_farewell(&text::normalize(
        "eso sería, buenas tardes"
    )));
    assert!(!ends_with_farewell(&text::normalize("buenas tardes")));
    assert_eq!(
        complaint_topic("mi celular fue sustraído en la micro"),
        Some(Topic::BloqueoLinea)
    );
    for (text, failing) in [
        ("la oficina no tiene internet hoy", true),
        (
            "a mi abuela le llegó una carta y ella ni tiene internet",
            false,
        ),
    ] {
        assert_eq!(fails(&text::normalize(text)), failing, "{text}");
    }
    for (text, person) in [
        (
            "no hay señal y solo me deja hacer llamadas de emergencia",
            false,
        ),
        ("no hay señal, necesito hacer llamadas importantes", true),
    ] {
        assert_eq!(asks_for_person(&text::normalize(text)), person, "{text}");
    }
}

/// From `probe46`: open requests asked about by naming them, a service that "no existe"
/// for weeks, "más gigas", blocking "esa línea", "internet lento", a season's greeting to
/// the chat.
#[test]
fn the_rules_of_probe46() {
    use super::entities::{asks_status_of_earlier, complaint_topic, fails, is_small_talk};
    assert!(asks_status_of_earlier("¿tengo reclamos pendientes?"));
    assert!(!asks_status_of_earlier(
        "tengo reclamos pendientes y nadie me llama"
    ));
    for (text, failing) in [
        ("la señal del celular en la población no existe", true),
        ("el internet anda lento", true),
        ("el problema no existe", false),
    ] {
        assert_eq!(fails(&text::normalize(text)), failing, "{text}");
    }
    for text in [
        "quiero un plan con más gigas",
        "se me cayó el celu al río, hay que bloquear esa línea",
    ] {
        assert!(complaint_topic(text).is_some(), "{text}");
    }
    assert!(is_small_talk(&text::normalize(
        "¡feliz 18 a todos los del chat!"
    )));
}

/// From `probe47` and `probe48`: requests "acogidas" or processed, asked after "no sé si",
/// promised, asked about by name or for someone else; a device that does not respond or
/// turn on; a restart or a call asked for in so many words; a question about the bot; a
/// charge that comes from another business, or from a company of another trade.
#[test]
fn the_rules_of_probe47_and_probe48() {
    use super::entities::{
        asks_for_a_call, asks_for_restart, asks_status_of_earlier, asks_what_if, complaint_topic,
        ends_with_farewell, fails, is_small_talk,
    };
    for (text, asks) in [
        ("necesito saber si acogieron mi apelación", true),
        (
            "solicité la baja y no sé si la procesaron, me confirma?",
            true,
        ),
        ("no sé si quiero la baja", false),
        (
            "¿podría indicarme si fue acogida la reclamación que presenté?",
            true,
        ),
        ("me dijeron que el reclamo no fue acogido", false),
        (
            "quería saber si salió la nota de crédito que me prometieron por los días sin servicio",
            true,
        ),
        ("quería saber si salió un plan nuevo", false),
        (
            "mi hijo dejo un reclamo a mi nombre por el cobro, ya hay resolucion?",
            true,
        ),
        (
            "la señora me pidió que preguntara por el reclamo que hizo",
            true,
        ),
        ("quiero preguntar por un plan con más megas", false),
        ("my complaint del mes pasado, status?", true),
    ] {
        assert_eq!(asks_status_of_earlier(text), asks, "{text}");
    }
    for (text, failing) in [
        ("el deco no responde al control", true),
        ("el modem no enciende la luz de internet", true),
        ("el deco se apagó solo y no quiere prender", true),
        ("la señal se pierde cuando hay viento", true),
        ("el ejecutivo no responde", false),
    ] {
        assert_eq!(fails(&text::normalize(text)), failing, "{text}");
    }
    for (text, asks) in [
        (
            "reinicien el deco por fa q mi hijo quiere ver el partido",
            true,
        ),
        ("¿me pueden resetear el módem?", true),
        ("no reinicien nada", false),
        ("reinicie el modem y sigue igual", false),
        ("reinicia el deco, no, mejor pásame con un humano", false),
        // Taken back by a change of mind; asked again after one.
        ("resetea el router... mejor no", false),
        ("reinicien el modem, no mejor no lo hagan", false),
        ("reinicia la tele, no, mejor reinicia el modem", true),
        ("mejorar el plan no, reinicien el router", true),
        // Taken back in a later clause: refused, forgotten, or the service back; not a
        // failure told after it.
        ("¿me reinician el módem? ah no, ya volvió, gracias", false),
        ("reinicien el deco, no, olvídelo", false),
        ("¿me resetean el router? no, ya está", false),
        ("¿me reinician el deco? no tengo tele desde ayer", true),
        ("reinicien el deco porfa, no, mejor", false),
        // Another device or a manner of the same request takes nothing back.
        ("reinicia la tele, no, mejor el modem", true),
        ("reinicien el router, mejor dicho el modem", true),
        (
            "reinicien el modem por favor, mejor si es ahora mismo",
            true,
        ),
    ] {
        assert_eq!(asks_for_restart(&text::normalize(text)), asks, "{text}");
    }
    for (text, asks) in [
        ("mi abuelito quiere que lo llamen por teléfono", true),
        ("llámenme al fijo por favor", true),
        ("no quiero que me llamen más", false),
        ("me llamaron ayer de ustedes", false),
    ] {
        assert_eq!(asks_for_a_call(&text::normalize(text)), asks, "{text}");
    }
    assert!(ends_with_farewell(&text::normalize(
        "Agradezco su tiempo. Que tenga una excelente jornada."
    )));
    for (text, small_talk) in [
        ("felices fiestas patrias pa todos los del chat", true),
        ("con quien estoy hablando, es una maquina esto?", true),
        ("¿eres un bot?", true),
        ("¿con quién hablo para reclamar por el cobro?", false),
        ("¿es un bot? quiero hablar con una persona", false),
        ("hola", false),
    ] {
        assert_eq!(is_small_talk(&text::normalize(text)), small_talk, "{text}");
    }
    assert_eq!(
        complaint_topic("en la boleta sale un pack que jamás contraté"),
        Some(Topic::CargoDesconocido)
    );
    for (text, asks) in [
        ("el internet funciona si se corta la luz?", true),
        ("el internet no funciona si no reinicio el modem?", false),
    ] {
        assert_eq!(asks_what_if(text, &text::normalize(text)), asks, "{text}");
    }
    let c = classifier();
    for (text, intent) in [
        (
            "me llegó un cobro de Falabella por una cuota que no es mía",
            Intent::Fallback,
        ),
        (
            "la empresa de alarmas me cobró doble la mensualidad",
            Intent::Fallback,
        ),
        (
            "la empresa de internet me cobró doble la mensualidad",
            Intent::ContactarEjecutivo,
        ),
        (
            "me llamaron de una empresa de cobranza diciendo que les debo plata",
            Intent::ContactarEjecutivo,
        ),
        ("se cayó la página del SII", Intent::Fallback),
        (
            "el router del minimarket no enciende la luz de internet",
            Intent::ReiniciarServicios,
        ),
    ] {
        assert_eq!(c.classify(text).intent, intent, "{text}");
    }
}

/// From `probe49` and `probe50`: requests asked about with "en q va", "se sabe algo", "eso
/// salió", "¿alguien la vio?", made with someone's help; a key "generada"; "no ai
/// internet"; a season's wish to all "allá"; snow; whether something works in a case, the
/// case first; a charge by another business when "ustedes" are named.
#[test]
fn the_rules_of_probe49_and_probe50() {
    use super::entities::{
        asks_status_of_earlier, asks_what_if, ends_with_farewell, fails, is_small_talk,
    };
    for (text, asks) in [
        (
            "puse un reclamo hace 2 semanas x el cobro, en q va eso?",
            true,
        ),
        (
            "mi hija me ayudó a poner un reclamo por el saldo, se sabe algo?",
            true,
        ),
        (
            "mi vecina me ayudó a pedir el cambio de plan, ya se aplicó?",
            true,
        ),
        (
            "me ayudó a entender la boleta, ya se aplicó el descuento?",
            false,
        ),
        (
            "ayer pedi que me mandaran la clave nueva del wifi, ya la generaron?",
            true,
        ),
        (
            "mi hija les pidió que me devolvieran la plata del doble cobro, eso salió?",
            true,
        ),
        (
            "puse una queja porque el tecnico no llego, alguien la vio?",
            true,
        ),
        (
            "puse una queja porque el tecnico no llego, alguien me ayuda?",
            false,
        ),
        ("puse una queja, alguien la vio y no hizo nada", false),
    ] {
        assert_eq!(asks_status_of_earlier(text), asks, "{text}");
    }
    assert!(fails(&text::normalize("ola no ai internet")));
    assert!(ends_with_farewell(&text::normalize(
        "gracias y feliz año nuevo pa todos alla"
    )));
    assert!(is_small_talk(&text::normalize(
        "va a nevar en farellones este finde?"
    )));
    for (text, asks) in [
        (
            "si hay apagon por el incendio el modem sigue funcionando?",
            true,
        ),
        (
            "si se corta la luz, ¿el teléfono fijo igual funciona?",
            true,
        ),
        ("si reinicio el modem sigue sin funcionar?", false),
        ("si hay apagon el modem sigue funcionando", false),
    ] {
        assert_eq!(asks_what_if(text, &text::normalize(text)), asks, "{text}");
    }
    let c = classifier();
    for (text, intent) in [
        (
            "pague la boleta por la app del banco y ustedes me la cobraron 2 veces",
            Intent::ContactarEjecutivo,
        ),
        (
            "la empresa de agua me mandó una boleta carísima",
            Intent::Fallback,
        ),
        // The business's own service, though "ustedes" are asked.
        (
            "el wifi del hotel es pésimo, ¿ustedes pueden hacer algo?",
            Intent::Fallback,
        ),
    ] {
        assert_eq!(c.classify(text).intent, intent, "{text}");
    }
}

/// The review of the `probe47` and `probe48` rules (a helper session's): each finding, with
/// the label the guide gives it.
#[test]
fn the_review_of_the_probe47_and_probe48_rules() {
    use Intent::{ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart};
    let c = classifier();
    let mut wrong = Vec::new();
    for (text, intent) in [
        // "empresa de" anything but another trade is no other business.
        ("la compania de nuevo me cobro doble este mes", Contact),
        ("compañia de ladrones me cobraron doble este mes", Contact),
        ("la compania de tv me cobro doble", Contact),
        ("la empresa de siempre me vuelve a cobrar de mas", Contact),
        // The customer's own company, or where they work.
        ("tengo una empresa de eventos y me cobraron la instalacion dos veces", Contact),
        ("trabajo en una empresa de aseo y me cobraron dos veces este mes", Contact),
        // A failure under a condition is no question.
        ("el wifi no me funciona si no estoy al lado del router", Restart),
        ("el wifi funciona si, pero el deco no prende", Restart),
        ("la tele solo funciona si desenchufo el deco", Restart),
        ("nada funciona si no apago y prendo el modem", Restart),
        // "No sé si" asks only of a request named; a payment is no request.
        ("no se si me cambiaron el plan, la boleta llego mas cara", Contact),
        ("no se si me enviaron la boleta al correo", Fallback),
        ("quiero saber si fue registrado mi pago de ayer", Fallback),
        ("pague ayer y no se si fue procesado el pago, me llego aviso de corte", Contact),
        // "Quedaron" promises nothing.
        (
            "necesito saber si mandaron a alguien, quedaron de venir en la mañana y sigo sin internet",
            Contact,
        ),
        ("quiero saber si salio el tecnico, quedaron de venir hoy en la mañana", Fallback),
        // Asking about a procedure is no request made.
        ("hola, queria consultar por el tramite de baja, se puede hacer por aca?", Contact),
        // A restart of something not the company's.
        ("me pueden reiniciar la contraseña de la cuenta", Fallback),
        ("me pueden resetear el celular? se me olvido el patron de desbloqueo", Fallback),
        // Nobody's device refusing to start.
        ("mi hijo no quiere prender la tele porque esta castigado", Fallback),
        // A charge "de" a thing.
        ("me llego un cobro de licencia de antivirus que nunca contrate", Contact),
        // The customer's own complaint after a relative named.
        ("mi hija lleva una semana sin internet, dejo un reclamo, ya esta bueno", Contact),
        // A call the customer makes, or turned down.
        ("el tecnico dijo que le llame antes de venir", Fallback),
        ("no quiero bajo ninguna circunstancia que me llamen", Fallback),
        ("no me llamen, que me contacten por whatsapp", Contact),
        // A wish for a person is no question about the bot.
        ("hablo con un humano", Contact),
        // A guest's device.
        ("el deco del hotel donde estoy alojado no funciona", Fallback),
        // A failure whenever it rains comes back.
        ("la señal se pierde cuando llueve", Contact),
    ] {
        let p = c.classify(text);
        if p.intent != intent {
            wrong.push(format!("{text:?}: expected {intent:?}, got {p:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// From `probe51` and `probe52`: "¿ya la tomó alguien?", "¿me confirman si les llegó mi
/// reclamo?", "¿fue acogida?", a chat cut before a question, "me tengo que ir", "o no" as a
/// question, a service that works "a ratos" since last week, "los de la alarma".
#[test]
fn the_rules_of_probe51_and_probe52() {
    use super::entities::{
        asks_status_of_earlier, asks_what_if, chat_was_cut, ends_with_farewell, fails,
    };
    for (text, asks) in [
        ("la solicitud que deje ayer ya la tomo alguien?", true),
        ("puse un reclamo, se cayo alguien del techo?", false),
        ("¿me confirman si les llegó mi reclamo por el cargo?", true),
        ("¿me confirman si les llegó el pago?", false),
        ("wena, ¿la reclamación por los cortes fue acogida?", true),
        ("¿mi reclamo fue rechazado? no, todavía nada", false),
        ("hice el pago, ¿fue procesado?", false),
    ] {
        assert_eq!(asks_status_of_earlier(text), asks, "{text}");
    }
    for (text, cut) in [
        (
            "me estaban atendiendo por aca y se cayo la conexion, me devuelven con ella?",
            true,
        ),
        ("estaba hablando con mi mamá y se cortó, ¿qué pasa?", false),
    ] {
        assert_eq!(chat_was_cut(&text::normalize(text)), cut, "{text}");
    }
    for (text, leaves) in [
        ("gracias, me tengo que ir que entro a la pega", true),
        ("gracias, me tengo que ir a otra compañía", false),
    ] {
        let normalized = text::normalize(text);
        assert_eq!(
            ends_with_farewell(&normalized)
                && super::entities::complaint_topic_in(&normalized).is_none(),
            leaves,
            "{text}"
        );
    }
    let text = "si se corta la luz sigue funcionando el wifi o no";
    assert!(asks_what_if(text, &text::normalize(text)));
    assert!(fails(&text::normalize("el internet funciona a ratos")));
    assert!(!fails(&text::normalize("el internet funciona")));
    let c = classifier();
    for (text, intent) in [
        (
            "el internet funciona a ratos desde la semana pasada",
            Intent::ContactarEjecutivo,
        ),
        (
            "los de la alarma me cobraron doble la mensualidad",
            Intent::Fallback,
        ),
        (
            "los de la empresa me cobraron doble la mensualidad",
            Intent::ContactarEjecutivo,
        ),
    ] {
        assert_eq!(c.classify(text).intent, intent, "{text}");
    }
}

/// The rules from `probe53`'s errors, each with the cases it must leave alone.
#[test]
fn the_probe53_rules_and_their_limits() {
    use Intent::{
        ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Status,
    };
    let c = classifier();
    let mut wrong = Vec::new();
    for (text, intent) in [
        // A liquor store's charge is another business's; the customer's own one is not.
        (
            "en la botilleria de la esquina me cobraron el doble",
            Fallback,
        ),
        (
            "tengo una botilleria y me cobraron la instalacion del internet dos veces",
            Contact,
        ),
        // "¿Hay algo nuevo?" about a request named asks how it stands; "no hay nada
        // nuevo" complains.
        (
            "deje un reclamo por la boleta el mes pasado, hay algo nuevo?",
            Status,
        ),
        // Only dropping by to greet is small talk; with a complaint or a failure it is not.
        ("pasaba a saludar no mas, que esten bien", Fallback),
        (
            "pasaba a saludar y a reclamar porque me cobraron dos veces",
            Contact,
        ),
        // (From the review: the visit with a request, a call or a goodbye is not small
        // talk.)
        ("pasaba a saludar y a preguntar como va mi reclamo", Status),
        (
            "no tengo nada que reclamar, solo quiero saber el estado de mi solicitud",
            Status,
        ),
        (
            "no tengo nada que reclamar, pero quiero que me llamen",
            Contact,
        ),
        ("no tengo nada que reclamar, gracias, chao", Intent::Salir),
        (
            "no tengo nada que reclamar del cobro pero el internet no funciona",
            Restart,
        ),
        // Moving the equipment to another room is a how-to question; a failure is not.
        ("se puede mover el modem a otra pieza?", Fallback),
        (
            "movi el modem a otra pieza y ahora no tengo internet",
            Restart,
        ),
    ] {
        let p = c.classify(text);
        if p.intent != intent {
            wrong.push(format!("{text:?}: expected {intent:?}, got {p:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The rules from `probe54`'s errors, each with the cases it must leave alone.
#[test]
fn the_probe54_rules_and_their_limits() {
    use super::entities::{asks_what_if, ends_with_farewell};
    // Farewells: "cuídense", thanks after "mil", a formal sign-off after "fue un gusto".
    for (text, leaves) in [
        ("listo, cuidense", true),
        ("mil gracias y felices fiestas", true),
        ("mil gracias, pero sigo sin internet", false),
        ("fue un placer, atentamente, Rosa Diaz", true),
    ] {
        assert_eq!(ends_with_farewell(&text::normalize(text)), leaves, "{text}");
    }
    // Whether a service goes on working in a case is a question; how it goes on failing
    // is not.
    for (text, asks) in [
        ("¿el wifi sigue funcionando si hay un apagón?", true),
        (
            "¿por qué el internet sigue funcionando mal si ya pagué?",
            false,
        ),
        (
            "¿el wifi sigue funcionando si se corta la luz? porque ayer se cortó y desde entonces no tengo internet",
            false,
        ),
    ] {
        assert_eq!(asks_what_if(text, &text::normalize(text)), asks, "{text}");
    }
}

/// Goodbyes in other words (probe55, probe56): a promise to write later, "se agradece"
/// before a salute, a signature of two short lines; not with a failure before them, nor a
/// greeting alone.
#[test]
fn goodbyes_that_promise_to_write_later_or_sign_with_two_lines() {
    check(&[
        ("ya, me tengo que ir, luego les escribo", Intent::Salir),
        ("bueno, más rato le escribo", Intent::Salir),
        ("se agradece, buenas noches", Intent::Salir),
        (
            "Quedo conforme. Atentamente, Marta Rojas, Jardín Infantil Los Copihues",
            Intent::Salir,
        ),
        (
            "se me cortó el internet en la casa, después les escribo",
            Intent::ReiniciarServicios,
        ),
        ("hola, buenas tardes", Intent::Fallback),
    ]);
    // The pieces themselves (the model already read some of the sentences above as
    // goodbyes): a signature of two lines after a closing or as the whole message, not
    // a greeting that opens one, nor lines that ask.
    for (text, leaves) in [
        (
            "Quedo conforme. Atentamente, Marta Rojas, Jardín Infantil Los Copihues",
            true,
        ),
        ("Atentamente, Cristóbal Urrutia, abogado", true),
        ("Saludos, soy Ana, consulta", false),
        ("Saludos, buenas tardes, consulta", false),
        ("Atentamente, una consulta, gracias", false),
        ("se agradece, buenas noches", true),
        ("me tengo que ir a trabajar, gracias igual", true),
    ] {
        assert_eq!(
            entities::ends_with_farewell(&text::normalize(text)),
            leaves,
            "{text}"
        );
    }
}

/// Progress questions about a request made before in other words (probe55): "¿cuánto
/// falta?", "¿cuándo me dan respuesta?", a request made in the perfect or by others; not
/// a visit's logistics with no request before, nor what the company asked for.
#[test]
fn progress_questions_about_requests_made_in_the_perfect_or_by_others() {
    check(&[
        (
            "pedí el cambio de domicilio hace dos semanas, ¿cuánto falta?",
            Intent::RevisarAtenciones,
        ),
        (
            "ya habíamos ingresado un reclamo por la boleta, ¿hay novedades?",
            Intent::RevisarAtenciones,
        ),
        (
            "mis hijos pidieron subir los megas del plan, ¿eso se concretó?",
            Intent::RevisarAtenciones,
        ),
        (
            "dejé una queja por el corte del sábado, ¿cuándo me dan una respuesta?",
            Intent::RevisarAtenciones,
        ),
        (
            "me pidieron reiniciar el módem y sigue sin funcionar",
            Intent::ContactarEjecutivo,
        ),
    ]);
    // A request made in the perfect is named within three words, and made by the
    // customer's people, not the company's.
    for (text, earlier) in [
        (
            "ya habíamos ingresado un reclamo por la boleta, ¿hay novedades?",
            true,
        ),
        (
            "ya he hecho tres reinicios hoy, ¿cuánto falta para que lo arreglen?",
            false,
        ),
        (
            "he hecho de todo y sigo sin internet, ¿cuándo me dan una respuesta?",
            false,
        ),
        (
            "los del laboratorio pidieron subir la velocidad, ¿se concretó?",
            true,
        ),
        (
            "los técnicos pidieron cambiar el módem, ¿cuándo me dan respuesta?",
            false,
        ),
        ("pidieron mi RUT en la sucursal, ¿cuánto falta?", false),
    ] {
        assert_eq!(entities::asks_status_of_earlier(text), earlier, "{text}");
    }
}

/// Asking to be called as a question ("¿me podrían llamar ...?", probe56) is asking for a
/// person; a plan change wished for (probe2, probe54, probe56), a promotion left out of
/// the bill (probe56) and an account to be left in another's name (probe55) are matters
/// for one; a price question and a change turned down are not.
#[test]
fn calls_asked_as_questions_plan_changes_and_promotions_left_out() {
    check(&[
        (
            "¿me podrían llamar a este número?",
            Intent::ContactarEjecutivo,
        ),
        (
            "no me aplicaron el descuento de cliente antiguo en la boleta",
            Intent::ContactarEjecutivo,
        ),
        (
            "el descuento por pago automático no lo respetaron este mes",
            Intent::ContactarEjecutivo,
        ),
        (
            "la cuenta tiene que quedar a nombre de mi hija",
            Intent::ContactarEjecutivo,
        ),
        (
            "necesitamos bajar el plan de la oficina, ya no usamos tanto",
            Intent::ContactarEjecutivo,
        ),
        ("bájenme el plan al más barato", Intent::ContactarEjecutivo),
        (
            "¿qué descuentos tienen para clientes nuevos?",
            Intent::Fallback,
        ),
        (
            "no quiero cambiar el plan, solo estoy cotizando",
            Intent::Fallback,
        ),
        (
            "el descuento no lo aplican a planes empresa",
            Intent::Fallback,
        ),
        (
            "quiero contratar fibra, activo un plan a mi nombre",
            Intent::Fallback,
        ),
    ]);
    // A plan change wished for is a matter by itself; not with a price asked, nor "bajar"
    // something else.
    for (text, matter) in [
        (
            "como no me alcanzan los gigas quiero subir el plan",
            Some(Topic::CambioPlan),
        ),
        (
            "quiero cambiar el plan, ¿cuánto cuesta el de 600 megas?",
            None,
        ),
        ("necesito bajar la app del plan", None),
    ] {
        assert_eq!(
            entities::reported_matter(text, &text::normalize(text)),
            matter,
            "{text}"
        );
    }
}

/// A restart asked as "hacer un reset" (probe56), also after a speed test's figures; how
/// to do one is a how-to question, one done in vain a complaint.
#[test]
fn a_restart_asked_as_making_a_reset() {
    check(&[
        (
            "¿me pueden hacer un reset al módem?",
            Intent::ReiniciarServicios,
        ),
        (
            "bajada 3 megas, subida 1, hagan un reinicio de la línea porfa",
            Intent::ReiniciarServicios,
        ),
        ("¿cómo hago un reset del router?", Intent::Fallback),
        (
            "hice un reset al modem y sigue igual",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

/// How-to questions the model read as a wish for a person (probe56): doing something
/// oneself, what to do in a case, whether a light is normal; not with a failure, a
/// complaint topic or a person in them.
#[test]
fn how_to_questions_read_as_a_wish_for_a_person() {
    check(&[
        ("¿puedo instalar yo misma el repetidor?", Intent::Fallback),
        (
            "¿es normal que la luz del router esté naranja?",
            Intent::Fallback,
        ),
        (
            "¿qué hago si no tengo internet desde ayer?",
            Intent::ReiniciarServicios,
        ),
        (
            "¿es normal que se corte el internet a cada rato?",
            Intent::ContactarEjecutivo,
        ),
        (
            "¿puedo hablar yo mismo con un supervisor?",
            Intent::ContactarEjecutivo,
        ),
        // Nor "¿cómo hago para ...?", which asks for anything, what one cannot do oneself,
        // a light with a failure.
        (
            "¿cómo hago para poner un reclamo?",
            Intent::ContactarEjecutivo,
        ),
        (
            "¿cómo hago para que me atienda una persona?",
            Intent::ContactarEjecutivo,
        ),
        (
            "no puedo hacerlo yo mismo, necesito que alguien me ayude",
            Intent::ContactarEjecutivo,
        ),
        (
            "la luz del módem está roja y no tengo internet, ¿es normal?",
            Intent::ReiniciarServicios,
        ),
    ]);
}

/// The rules written from `probe57`'s and `probe58`'s errors, on sentences of their own
/// (each classified otherwise before them, but for the last five: what they must leave
/// alone): a progress question, services added without asking, a neighbour on the WiFi, a
/// contract or plan cut, another business's place told with "donde", a goodbye with thanks
/// after it.
#[test]
fn rules_from_probe57_and_probe58() {
    check(&[
        (
            "puse un reclamo por el cobro y quisiera saber su estado",
            Intent::RevisarAtenciones,
        ),
        (
            "mandé los papeles de la portabilidad el lunes, ¿me los aceptaron?",
            Intent::RevisarAtenciones,
        ),
        (
            "me activaron un pack de series sin consultarme",
            Intent::ContactarEjecutivo,
        ),
        (
            "me pusieron un seguro del celular que no pedí",
            Intent::ContactarEjecutivo,
        ),
        (
            "el vecino del segundo piso del block está usando mi wifi",
            Intent::ContactarEjecutivo,
        ),
        (
            "la vecina de la casa del lado está ocupando mi wifi",
            Intent::ContactarEjecutivo,
        ),
        (
            "corten el plan del celular de mi papá, falleció",
            Intent::ContactarEjecutivo,
        ),
        (
            "corten el contrato del internet de la oficina, cerramos",
            Intent::ContactarEjecutivo,
        ),
        (
            "el hotel donde me estoy quedando no tiene wifi",
            Intent::Fallback,
        ),
        (
            "en la clínica donde está mi mamá no funciona la tele",
            Intent::Fallback,
        ),
        (
            "fui al banco donde me atienden y mi internet no funciona desde ayer",
            Intent::ReiniciarServicios,
        ),
        ("me tengo que ir a trabajar, gracias igual", Intent::Salir),
        // Left alone: a restart asked before the goodbye, a device that fails, one's own
        // service, a cut turned down.
        (
            "reinicien el módem por favor, gracias, chao",
            Intent::ReiniciarServicios,
        ),
        (
            "el módem no soporta tantos equipos, se cae a cada rato",
            Intent::ContactarEjecutivo,
        ),
        (
            "mi internet de la casa no funciona desde ayer",
            Intent::ReiniciarServicios,
        ),
        ("no me corten el plan, ya pagué", Intent::Fallback),
    ]);
    // The pieces the model already got right on sentences of their own: a progress
    // question ("¿tiene respuesta?", "seguimiento al reclamo"), a capability question, thanks
    // for a restart done.
    for (text, earlier) in [
        (
            "el reclamo por la boleta que dejé en mayo, ¿tiene respuesta?",
            true,
        ),
        ("necesito seguimiento al reclamo del cobro del router", true),
        ("necesito seguimiento, el internet se corta", false),
        ("puse un reclamo y todavía no tiene respuesta", false),
        (
            "mi abuela interpuso un reclamo en abril, ¿ya fue resuelto?",
            true,
        ),
    ] {
        assert_eq!(entities::asks_status_of_earlier(text), earlier, "{text}");
    }
    for (text, how_to) in [
        ("¿el decodificador nuevo soporta 4k?", true),
        (
            "el modem no soporta tantos equipos, se cae a cada rato",
            false,
        ),
    ] {
        assert_eq!(
            entities::asks_how_to(&text::normalize(text)),
            how_to,
            "{text}"
        );
    }
    check(&[(
        "gracias por el reinicio, ya funciona todo, chao",
        Intent::Salir,
    )]);
}

/// The rules written from `probe59`'s and `probe60`'s errors, on sentences of their own
/// (each classified otherwise before them, but for those after "Left alone"): a failure of
/// the customer's own small business's service, a failure with the service said to work, a
/// price or restart question, a plan change with another business named for another
/// reason.
#[test]
fn rules_from_probe59_and_probe60() {
    check(&[
        (
            "se cortó el wifi de la peluquería hace una hora",
            Intent::ReiniciarServicios,
        ),
        (
            "tengo un hostal y el wifi del hostal no funciona desde anoche",
            Intent::ReiniciarServicios,
        ),
        (
            "la impresora no imprime pero el wifi funciona bien",
            Intent::Fallback,
        ),
        (
            "se me congela el juego pero es la consola, el internet anda perfecto",
            Intent::Fallback,
        ),
        (
            "si reseteo el router, ¿se borran las redes guardadas?",
            Intent::Fallback,
        ),
        (
            "súbanme el plan que los niños ven tele todo el día en la pensión de la abuela",
            Intent::ContactarEjecutivo,
        ),
        // Left alone (a review's sentences among them): a place one goes to or works at,
        // someone else's shop, a shop's charge, another business's plan, "bien" as
        // "very", a failure denied or the service's working quoted, another service
        // failing, a price with a failure or a restart asked, a device that restarts by
        // itself.
        ("el wifi de mi colegio es malísimo", Intent::Fallback),
        (
            "mi gimnasio me cobró dos veces la mensualidad",
            Intent::Fallback,
        ),
        (
            "el wifi de la peluquería de mi vecina no funciona",
            Intent::Fallback,
        ),
        (
            "mi hija trabaja en un minimarket y el internet del minimarket se cae",
            Intent::Fallback,
        ),
        (
            "la isapre me cambió el plan sin preguntarme",
            Intent::Fallback,
        ),
        (
            "el internet anda bien penca hoy",
            Intent::ReiniciarServicios,
        ),
        (
            "ustedes dicen que mi internet está bien pero no me carga nada",
            Intent::ReiniciarServicios,
        ),
        (
            "reinicien el módem porfa, ¿cuánto me cobran por eso?",
            Intent::ReiniciarServicios,
        ),
        (
            "el router se resetea solo a cada rato y se desconfigura todo",
            Intent::ContactarEjecutivo,
        ),
        (
            "el minimarket de la esquina me cobró dos veces",
            Intent::Fallback,
        ),
        ("quiero cambiar el plan de la isapre", Intent::Fallback),
        (
            "el internet anda bien lento hoy",
            Intent::ReiniciarServicios,
        ),
        (
            "el internet no anda bien desde la mañana",
            Intent::ReiniciarServicios,
        ),
        (
            "el wifi funciona bien pero la tele no se ve",
            Intent::ReiniciarServicios,
        ),
        (
            "¿cuánto se demora el reinicio? no tengo internet",
            Intent::ReiniciarServicios,
        ),
    ]);
    // The pieces: what says the service works, what asks a price or how to restart.
    for (text, works) in [
        ("mi pc tiene lag pero el internet anda bien", true),
        ("el profe se cayó de la llamada, no es mi internet", true),
        ("el internet anda bien lento", false),
        ("el internet no anda bien", false),
        (
            "el wifi funciona bien en el living pero en la pieza no llega",
            false,
        ),
        (
            "si según ustedes el internet anda bien, ¿por qué no carga nada?",
            false,
        ),
        ("el wifi funciona bien pero el deco no prende", false),
    ] {
        let normalized = text::normalize(text);
        assert_eq!(entities::says_service_works(&normalized), works, "{text}");
    }
    for (text, asks) in [
        ("¿cuánto cuesta el plan de 800 megas?", true),
        ("¿cómo se reinicia el deco? para hacerlo yo misma", true),
        ("si reinicio el módem, ¿se borra la configuración?", true),
        ("¿cuánto cuesta arreglarlo? no tengo internet", false),
        ("¿cómo se reinicia el deco? no tengo señal", false),
    ] {
        let normalized = text::normalize(text);
        assert_eq!(entities::asks_how_to(&normalized), asks, "{text}");
    }
}

/// The second round of rules from `probe59`'s and `probe60`'s errors, on sentences of their
/// own (the first three classified otherwise before them; the rest must stay as they are,
/// a review's sentences among them):
/// "algo le pasa" to the service, a restart thanked for that did not help, a question about
/// a request that turns to a person.
#[test]
fn more_rules_from_probe59_and_probe60() {
    check(&[
        ("algo le pasa a mi internet hoy", Intent::ReiniciarServicios),
        (
            "gracias por resetearlo, pero el deco sigue pegado",
            Intent::ContactarEjecutivo,
        ),
        (
            "¿en qué va mi reclamo? no, mejor quiero conversar con una persona",
            Intent::ContactarEjecutivo,
        ),
        (
            "el teléfono fijo está mudo desde la mañana",
            Intent::ReiniciarServicios,
        ),
        (
            "ya reiniciaron el router y anda bien, muchas gracias, chao",
            Intent::Salir,
        ),
        ("¿usted es un ser humano o un robot?", Intent::Fallback),
        (
            "reiniciaron el módem pero sigue sin internet, chao",
            Intent::ContactarEjecutivo,
        ),
        ("algo le pasa a mi perro, no quiere comer", Intent::Fallback),
        (
            "si algo le pasa al módem, ¿me lo cambian gratis?",
            Intent::Fallback,
        ),
        (
            "perdón por reiniciar el chat, sigo sin internet",
            Intent::ReiniciarServicios,
        ),
        (
            "me hacen un reinicio al router porfa, gracias, buenas tardes",
            Intent::ReiniciarServicios,
        ),
        (
            "¿cómo se le puede llamar a la red wifi? quiero cambiarle el nombre",
            Intent::Fallback,
        ),
        (
            "¿cómo va mi reclamo? pero no quiero hablar con nadie",
            Intent::RevisarAtenciones,
        ),
        (
            "no quiero hablar con un ejecutivo, quiero ver mi reclamo",
            Intent::RevisarAtenciones,
        ),
    ]);
    for (text, turns) in [
        (
            "quiero saber cómo va mi reclamo, pero prefiero que me lo explique una persona",
            true,
        ),
        (
            "en qué va mi caso... no, mejor quiero hablar con un supervisor",
            true,
        ),
        (
            "no quiero hablar con un ejecutivo, quiero ver mi reclamo",
            false,
        ),
        (
            "¿cómo va mi reclamo? pero no quiero hablar con nadie",
            false,
        ),
        (
            "¿en qué va mi reclamo? pero primero quiero conversar con alguien de la junta de vecinos",
            false,
        ),
        (
            "¿ya respondieron mi reclamo? pero quiero hablar con alguien solo si no hay respuesta",
            false,
        ),
    ] {
        let normalized = text::normalize(text);
        assert_eq!(entities::turns_to_a_person(&normalized), turns, "{text}");
    }
}

/// What `probe61` showed of the rules above, on sentences of their own (the first
/// classified otherwise before; the rest must stay): an erased setting told with "se me",
/// doing a restart "yo", a restart done "después del reinicio" before a goodbye, a turn to a
/// person without a verb of wanting.
#[test]
fn rules_widened_by_probe61() {
    check(&[
        (
            "si reseteo el router, ¿se me borra la clave del wifi?",
            Intent::Fallback,
        ),
        (
            "¿cómo se resetea el deco? para poder hacerlo yo si pasa de nuevo",
            Intent::Fallback,
        ),
        (
            "ya funciona todo después del reinicio, muchas gracias, adiós",
            Intent::Salir,
        ),
        (
            "¿cómo va mi reclamo por la boleta? mejor que me llame un ejecutivo",
            Intent::ContactarEjecutivo,
        ),
        (
            "se me borran los canales cada vez que se reinicia el deco, ahora no veo nada",
            Intent::ReiniciarServicios,
        ),
    ]);
    let normalized = text::normalize("¿en qué va mi caso? mejor que me lo explique una persona");
    assert!(entities::turns_to_a_person(&normalized));
}

/// An answer still missing, told and not asked, is a complaint (the guide's "aún no hay
/// resolución"), on sentences of their own: the first classified otherwise before; asked as
/// a question or with information asked for, it stays a question about the request.
#[test]
fn an_answer_still_missing_is_a_complaint_unless_asked() {
    check(&[
        (
            "hice un reclamo hace un mes y todavía no hay respuesta, esto es un abuso",
            Intent::ContactarEjecutivo,
        ),
        (
            "aún no hay solución para el cobro doble, necesito que alguien lo vea",
            Intent::ContactarEjecutivo,
        ),
        (
            "¿aún no hay respuesta de mi reclamo?",
            Intent::RevisarAtenciones,
        ),
        (
            "aún no hay respuesta de mi reclamo, quiero saber en qué va",
            Intent::RevisarAtenciones,
        ),
        (
            "todavía no tengo respuesta de la solicitud 44321, ¿me pueden informar su estado?",
            Intent::RevisarAtenciones,
        ),
    ]);
}

/// A person asked for in so many words after something the model reads as out of scope
/// (`probe62`'s "ya no sé cómo decirlo: NECESITO UNA PERSONA"), on sentences of their own:
/// the first classified otherwise before; a person denied, someone else's or one for a
/// chore stays out of scope.
#[test]
fn a_person_asked_in_so_many_words_reaches_an_executive() {
    check(&[
        (
            "no sé cómo usar esto, quiero un ejecutivo",
            Intent::ContactarEjecutivo,
        ),
        (
            "no me voy a ir sin hablar con un supervisor",
            Intent::ContactarEjecutivo,
        ),
        (
            "yo no necesito un ejecutivo, solo el horario",
            Intent::Fallback,
        ),
        (
            "necesito hablar con una persona del banco por mi tarjeta",
            Intent::Fallback,
        ),
    ]);
    let demands = |s: &str| entities::demands_a_person(&text::normalize(s));
    assert!(demands("ya no sé cómo decirlo: NECESITO UNA PERSONA"));
    assert!(demands("necesito una persona que me explique la boleta"));
    assert!(!demands("necesito alguien que limpie mi pieza"));
    assert!(!demands("no quiero hablar con un ejecutivo"));
    assert!(!demands("quiero hablar con alguien de mi casa primero"));
}

/// The rules written from `probe62`'s and `probe63`'s errors, on sentences of their own
/// (each classified otherwise before, but the last two, which must stay): the service
/// that "se me va", an unrecognised purchase, what the chat keeps and a message meant for
/// another chat, what unplugging or restarting loses, a restart done by the bot that did
/// not help, thanks and a salute in one clause.
#[test]
fn rules_from_probe62_and_probe63() {
    check(&[
        (
            "cada vez que sopla el viento se me va la señal del internet",
            Intent::ContactarEjecutivo,
        ),
        (
            "no reconozco unas compras de aplicaciones que salen en mi boleta",
            Intent::ContactarEjecutivo,
        ),
        (
            "¿la conversación queda grabada si cierro?",
            Intent::Fallback,
        ),
        ("¿este chat guarda lo que escribo?", Intent::Fallback),
        (
            "al reiniciar el deco ¿se pierden las series grabadas?",
            Intent::Fallback,
        ),
        (
            "el asistente me reinició el módem ayer y hoy está otra vez pegado",
            Intent::ContactarEjecutivo,
        ),
        (
            "ya se arregló la tele solita, gracias y buenas tardes",
            Intent::Salir,
        ),
        (
            "me equivoqué de chat, necesito hablar con un ejecutivo por mi boleta",
            Intent::ContactarEjecutivo,
        ),
        (
            "si apago el módem se pierde la señal y no vuelve, ya lo hice dos veces",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

/// The edges of the rules above that a helper's review found (its sentences: each was
/// right before the rules and wrong with their first version) and the second round's
/// cases: a failure since an installation, a closing word before thanks and a salute.
#[test]
fn edges_of_the_rules_from_probe62_and_probe63() {
    check(&[
        (
            "nunca dije que quiero un ejecutivo, solo pregunté el horario de la sucursal",
            Intent::Fallback,
        ),
        (
            "necesito una persona para que me instale unas repisas en el living",
            Intent::Fallback,
        ),
        (
            "deseo un ejecutivo bancario que me ayude con el crédito hipotecario",
            Intent::Fallback,
        ),
        (
            "se me va el internet a mitad de mes, ¿cuánto cuesta una bolsa de gigas?",
            Intent::Fallback,
        ),
        (
            "no reconozco una compra que me aparece en Mercado Libre",
            Intent::Fallback,
        ),
        (
            "me equivoqué de chat antes, lo que quería era revisar mis atenciones",
            Intent::RevisarAtenciones,
        ),
        (
            "después del apagón se me desconfiguran los canales del deco al prenderlo",
            Intent::ReiniciarServicios,
        ),
        (
            "quería saber de mi reclamo, gracias y buenas tardes",
            Intent::RevisarAtenciones,
        ),
        (
            "desde que instalaron la fibra el deco no ha funcionado bien",
            Intent::ContactarEjecutivo,
        ),
        ("perfecto gracias buenas noches", Intent::Salir),
    ]);
}

/// What is owed in other words ("cuánto nos queda por pagar") and a service cut for good are
/// complaints (debt, cancellation), on sentences of their own that the model placed nowhere
/// before.
#[test]
fn what_is_left_to_pay_and_a_cut_for_good_reach_an_executive() {
    check(&[
        (
            "hola cuanto nos queda por pagar, somos los del local 5",
            Intent::ContactarEjecutivo,
        ),
        (
            "corten el internet para siempre, me voy del país",
            Intent::ContactarEjecutivo,
        ),
    ]);
    assert_eq!(
        entities::complaint_topic("¿cuánto tengo pendiente de pago?"),
        Some(Topic::Deuda)
    );
}

/// The rules written from `probe64`'s errors, on sentences of their own (each classified
/// otherwise before): a restart commanded with its object as a pronoun ("reinícienlo"),
/// cancelling the internet or the fibre, whether a request "llegó a alguna parte".
#[test]
fn rules_from_probe64() {
    check(&[
        ("ok entonces reinícienlo", Intent::ReiniciarServicios),
        (
            "mi papá puso un reclamo por la boleta y quiere saber si llegó a alguna parte",
            Intent::RevisarAtenciones,
        ),
        (
            "quiero cancelar la fibra de la casa de mi mamá, se fue a vivir conmigo",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

/// The edges of the rules above that a helper's review found (its sentences, each right
/// before those rules and wrong with their first version): how or where to pay what is
/// pending, "cancelar" as paying, a credit line, a cut turned down, a restart questioned and
/// refused, a streaming service the company bundles.
#[test]
fn edges_of_the_rules_from_probe64() {
    check(&[
        (
            "como pago el saldo pendiente, por transferencia o en caja vecina?",
            Intent::Fallback,
        ),
        (
            "cuanto me queda pendiente de gigas? no quiero pasarme",
            Intent::Fallback,
        ),
        (
            "como cancelo la linea de credito de la tarjeta",
            Intent::Fallback,
        ),
        (
            "ya cancele el internet, cuando se ve reflejado el pago?",
            Intent::Fallback,
        ),
        (
            "no me suspendan el servicio definitivamente, mañana pago",
            Intent::Fallback,
        ),
        (
            "reinicienlo? no gracias, prefiero esperar",
            Intent::Fallback,
        ),
        (
            "el pack con spotify me lo cobran pero nunca me lo activaron",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

/// A restart turned down, with no failure told, is out of scope whatever the model read in
/// the words left (`probe64`'s and `probe65`'s errors), on sentences of their own (the
/// first classified otherwise before); a restart asked in another clause, or before
/// the refusal in the same one, or a failure told, keeps it.
#[test]
fn a_restart_turned_down_is_out_of_scope() {
    check(&[
        (
            "no reinicien nada todavía, mi señora está conectada en línea",
            Intent::Fallback,
        ),
        (
            "no reinicien el módem, reinicien el deco",
            Intent::ReiniciarServicios,
        ),
        (
            "reinicien el deco pero no me reinicien el módem",
            Intent::ReiniciarServicios,
        ),
    ]);
    let declines = |s: &str| entities::declines_restart(&text::normalize(s));
    assert!(declines(
        "ni se les ocurra resetear el módem, estoy en una reunión"
    ));
    assert!(!declines("no me reinicien nada, sigo sin internet"));
    assert!(!declines("reinicien el deco pero no me reinicien el módem"));
}

/// The rules written from `probe65`'s errors, on sentences of their own (the first three
/// classified otherwise before), and the edges a helper's review found in their first
/// version (its sentences, each right before and wrong with it): cancelling the TV, thanks
/// for the patience before a season's goodbye, a failure every winter; "cancelar" as
/// paying, "la visita" as guests, "todos los meses" of a payment or a data plan, a speed
/// test of a device, a restart asked after a refusal without a comma or denied as not done.
#[test]
fn rules_from_probe65() {
    check(&[
        (
            "quiero cancelar la tele digital de la casa de la playa",
            Intent::ContactarEjecutivo,
        ),
        (
            "gracias por la paciencia y que tengan un buen año nuevo",
            Intent::Salir,
        ),
        (
            "todos los inviernos se corta la señal con el temporal",
            Intent::ContactarEjecutivo,
        ),
        (
            "quiero cancelar la tv digital con tarjeta, ¿se puede por la app?",
            Intent::Fallback,
        ),
        (
            "con la visita el wifi anda peor, reinicien el router porfa",
            Intent::ReiniciarServicios,
        ),
        (
            "todos los meses se me va el internet del celu a mitad de mes, ¿cuanto cuesta una bolsa de gigas?",
            Intent::Fallback,
        ),
        (
            "contrate 1000 megas pero el test en el celu no pasa de 300 y por cable llega a 940, ¿es por el celular?",
            Intent::Fallback,
        ),
        ("no reinicien el modem sino el deco", Intent::ReiniciarServicios),
        (
            "todavia no reinicie el modem, ¿me lo pueden reiniciar ustedes?",
            Intent::ReiniciarServicios,
        ),
    ]);
}

/// The rules for `probe66`'s errors (a request's "número de atención", a "queja" made by
/// someone else, a failure since a technician's visit, a service not kept, a landline lost
/// whenever it rains, a call asked for where the model read a restart, a turn to a person
/// after a status question, what the chat keeps, a device's property, the papers for a
/// change) on sentences of their own, with their edges.
#[test]
fn rules_from_probe66() {
    use Intent::{
        ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Review,
    };
    check(&[
        (
            "mi número de atención es el 77310, ¿en qué etapa está?",
            Review,
        ),
        (
            "mi mamá ingresó una queja por un cargo, ¿saben si ya fue resuelta?",
            Review,
        ),
        ("desde la visita del técnico no tengo tele", Contact),
        (
            "no queremos seguir con la tele, solo dejen el internet",
            Contact,
        ),
        ("cuando llueve nos quedamos sin fijo, pasa siempre", Contact),
        (
            "llámenme al celu a las 6, ahora estoy en el trabajo",
            Contact,
        ),
        (
            "¿cómo va mi reclamo? no, mejor que me lo diga una persona",
            Contact,
        ),
        ("¿esta conversación la graban?", Fallback),
        ("el router que me pusieron, ¿es de doble banda?", Fallback),
        (
            "¿qué papeles piden para poner la línea a nombre de mi señora?",
            Fallback,
        ),
        (
            "me quedé sin internet en la pieza, ¿cómo lo soluciono?",
            Restart,
        ),
        // Edges: a restart asked after the call, the change asked before the papers, the
        // number of the call centre, a problem not kept, the neighbours' own WiFi, lag in
        // one game.
        ("llámenme... no, mejor reinicien el módem", Restart),
        ("quiero cambiar el titular, ¿qué papeles necesito?", Contact),
        ("¿cuál es el número de atención al cliente?", Fallback),
        (
            "no quiero seguir con este problema, reinicien el módem",
            Restart,
        ),
        (
            "mis vecinos dicen que el wifi de ellos tampoco funciona",
            Restart,
        ),
        ("tengo lag en un juego pero el internet anda bien", Fallback),
    ]);
    // The number of an attention names a request made before; an attention alone does not.
    assert!(super::entities::asks_status_of_earlier(
        "Buenas, mi número de atención es el 40917. ¿Me pueden indicar en qué etapa se encuentra?"
    ));
    assert!(!super::entities::asks_status_of_earlier(
        "Buenas, mi atención fue mala. ¿Me pueden indicar en qué etapa se encuentra?"
    ));
}

/// The rules for `probe67`'s errors (a status asked "¿la van a hacer o no?", a reply that
/// did not come, failures every dawn or "constantemente", "cdt", a loss denied, a price of
/// a plan change, a technician who fixed nothing) on sentences of their own, with their
/// edges.
#[test]
fn rules_from_probe67() {
    use Intent::{
        ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Review, Salir,
    };
    check(&[
        (
            "pedí hace días la devolución del cargo doble, ¿la van a hacer o no?",
            Review,
        ),
        ("el decodificador se cae todas las madrugadas", Contact),
        ("el internet se corta constantemente", Contact),
        ("ok, todo bien, cdt", Salir),
        ("ah no, no perdí el celular, lo tenía mi hijo", Fallback),
        ("¿cuánto me costaría bajar a un plan más barato?", Fallback),
        (
            "el técnico vino ayer y no arregló nada, sigo sin internet",
            Contact,
        ),
        // Edges: failing since this dawn, or constantly since this morning, is today's; a
        // reply denied is a complaint; a loss denied, then a theft told; a price disputed; a
        // change asked for with no price.
        (
            "las cámaras se desconectan del wifi desde esta madrugada",
            Restart,
        ),
        (
            "el módem se reinicia constantemente desde hoy en la mañana",
            Restart,
        ),
        (
            "no me llegó respuesta del reclamo, exijo una solución",
            Contact,
        ),
        (
            "no perdí el celu, me lo robaron en la micro, bloqueen la línea",
            Contact,
        ),
        ("¿por qué me cobran tanto si bajé el plan?", Contact),
        ("quiero bajar el plan, me cobran mucho", Contact),
    ]);
}

/// A review's sentences that the first version of the rules for `probe66` got wrong (lag
/// with the service said to work, a state not borne or someone else's service not kept, a
/// device's property denied or failing, papers with a change asked, an hour of lag).
#[test]
fn edges_of_the_rules_from_probe66() {
    use Intent::{ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "el juego tiene lag constante pero el internet anda perfecto, será el servidor?",
            Fallback,
        ),
        ("lag constante en valorant pero el wifi anda bien", Fallback),
        (
            "el computador anda con lag constante, es el pc no el internet",
            Fallback,
        ),
        ("no quiero seguir con el internet caído, reinicien porfa", Restart),
        (
            "mi hermano no quiere seguir con el plan de Entel, ¿cuánto sale el de ustedes?",
            Fallback,
        ),
        (
            "mi vecino no quiere seguir con el internet de la otra empresa, ¿tienen fibra en Lampa?",
            Fallback,
        ),
        (
            "el módem que me pusieron no es de doble banda y yo contraté uno que sí",
            Contact,
        ),
        (
            "el módem que me pusieron es de doble banda pero la banda de 5 nunca ha funcionado, llevo un mes así",
            Contact,
        ),
        (
            "qué papeles ni qué nada, me cobraron dos veces y quiero que me devuelvan la plata",
            Contact,
        ),
        (
            "¿qué papeles hay que llevar? necesito cambiar el titular urgente",
            Contact,
        ),
        (
            "¿qué documentos necesito? quiero dar de baja el servicio ahora",
            Contact,
        ),
        (
            "tengo lag constante desde hace una hora, reinicien el router",
            Restart,
        ),
    ]);
}

/// A review's sentences that the first version of the rules for `probe67` got wrong: a
/// failure that comes back "constantemente" within hours of today is today's outage
/// (`dated_today` reads hours ago too).
#[test]
fn edges_of_the_rules_from_probe67() {
    use Intent::ReiniciarServicios as Restart;
    check(&[
        (
            "desde hace un rato se corta constantemente la señal del wifi",
            Restart,
        ),
        (
            "desde las 3 que se corta constantemente el internet",
            Restart,
        ),
        (
            "desde hace una hora el wifi se desconecta constantemente",
            Restart,
        ),
    ]);
}

/// The rules for `probe68`'s errors (the service not back after a power cut, a person
/// asked in Portuguese, Mapuche and abbreviated goodbyes, frost in the weather, a restart
/// turned down that the model sent to an executive, the owners' WiFi, the steps to restart
/// oneself, a loss denied) on sentences of their own, with their edges.
#[test]
fn rules_from_probe68() {
    use Intent::{ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        (
            "ya volvió la electricidad pero no ha vuelto la señal de la tele",
            Restart,
        ),
        ("bom dia, gostaria de falar com uma pessoa", Contact),
        ("oki gracias, bns noches", Salir),
        ("gracias por la ayuda, feliz navidad pa ti también", Salir),
        ("¿va a granizar mañana en Talca?", Fallback),
        (
            "estamos en una cabaña arrendada y el internet del dueño no funciona",
            Fallback,
        ),
        (
            "¿cuáles son los pasos para reiniciar el deco por mi cuenta?",
            Fallback,
        ),
        // Edges: a restart turned down after one that failed; the service back; days
        // without it; a price asked in Portuguese.
        (
            "no me reinicien nada, ya lo reinicié yo y sigue igual",
            Contact,
        ),
        ("la señal volvió", Fallback),
        ("no me reinicien nada, estoy subiendo un video", Fallback),
        (
            "no me reinicien nada, quiero hablar con una persona",
            Contact,
        ),
        (
            "el internet de la casa no volvió a funcionar desde el lunes",
            Contact,
        ),
        (
            "preciso de internet no meu apartamento, quanto custa?",
            Fallback,
        ),
    ]);
}

/// A review's sentences that the first version of the rules for `probe68` got wrong: "no ha
/// vuelto a fallar" is "not again", a failure after a restart is a failed restart, the
/// customer's own service beside the owner's WiFi, a failure told with the steps asked, a
/// refusal after a restart that failed.
#[test]
fn edges_of_the_rules_from_probe68() {
    use Intent::{ContactarEjecutivo as Contact, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        ("el internet no ha vuelto a fallar, gracias, chao", Salir),
        (
            "la tele no ha vuelto a congelarse, muchas gracias, buenas noches",
            Salir,
        ),
        (
            "el internet no volvió después del reinicio que me hicieron",
            Contact,
        ),
        (
            "me estoy colgando del wifi del dueño porque el mío no funciona",
            Restart,
        ),
        (
            "uso el wifi de los dueños porque mi internet se cayó",
            Restart,
        ),
        (
            "quiero los pasos pa reiniciar el deco por mi cuenta, la tele no se ve",
            Restart,
        ),
        (
            "no me reinicien nada, ya lo hizo el bot y sigue igual",
            Contact,
        ),
        // And the owners' WiFi alone is still theirs.
        (
            "estoy en la pieza que arriendo y el wifi de la dueña no funciona",
            Fallback,
        ),
    ]);
}

/// The rules for `probe69`'s errors (whether a refund will come, a date asked for what was
/// requested, abbreviated thanks and wishes for the family, leaving to come back later,
/// someone else's failure with the service said to work, the network of the house) on
/// sentences of their own, with their edges.
#[test]
fn rules_from_probe69() {
    use Intent::{Fallback, ReiniciarServicios as Restart, RevisarAtenciones as Review, Salir};
    check(&[
        (
            "pedí la instalación del segundo deco, ¿ya tiene fecha?",
            Review,
        ),
        ("grcs x todo, bn noches", Salir),
        ("gracias y feliz navidad pa toda la familia", Salir),
        ("tengo que ir a buscar a los niños, después sigo", Salir),
        (
            "el profe se desconectó de la clase pero mi internet anda bien",
            Fallback,
        ),
        (
            "mi amigo se desconectó del discord, mi internet anda perfecto",
            Fallback,
        ),
        ("el notebook no se conecta a la red de la casa", Restart),
        // Edges: the customer's own WiFi failing too; a date asked of nothing requested;
        // another network.
        (
            "el otro jugador se desconectó y mi wifi también se cayó",
            Restart,
        ),
        ("el deco no tiene fecha de vencimiento?", Fallback),
        ("la red de agua se rompió en mi calle", Fallback),
    ]);
}

/// The rules written for `probe70`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe70() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Review, Salir,
    };
    check(&[
        (
            "hace rato que estoy marcando opciones y siempre me devuelve al inicio",
            Person,
        ),
        ("ya grax, buena noche", Salir),
        (
            "¿me explican cómo cambiarle el nombre a la red desde el celu?",
            Fallback,
        ),
        ("¿me enseña a resetear el deco yo misma?", Fallback),
        (
            "¿el repetidor que me dejaron alcanza a llegar al patio?",
            Fallback,
        ),
        (
            "¿otra persona puede ver los mensajes que mando aquí?",
            Fallback,
        ),
        (
            "vivo en un hostal y la señal es del hostal, hoy no se conecta nada",
            Fallback,
        ),
        ("el turno está eterno hoy jaja", Fallback),
        ("quierosabercomovamireclamo", Review),
        ("notengoseñaldesdeayer", Restart),
        // Edges: a restart asked after being taught; a reach denied; a person asked
        // beside the chat's reader; one's own WiFi; a failure beside the mood.
        (
            "no me expliquen cómo reiniciar, reinícienlo ustedes que no tengo internet",
            Restart,
        ),
        (
            "el router que me pusieron no alcanza a cubrir ni el living, qué mal servicio",
            Person,
        ),
        (
            "no sé si alguien lee lo que escribo, quiero hablar con un ejecutivo",
            Person,
        ),
        ("el wifi es mío y no funciona desde la mañana", Restart),
        ("la pega está fome y encima se cayó el internet", Restart),
    ]);
    // A device's start screen is no bot going round in circles.
    let condemns = |text: &str| entities::condemns_the_bot(&text::normalize(text));
    assert!(condemns("me tiene eligiendo opciones hace rato"));
    assert!(!condemns(
        "el deco me devuelve al inicio cada vez que cambio de canal"
    ));
}

/// The review of the rules for `probe70`: sentences of the reviewer's that the first
/// version got wrong (another screen's start or options, a question how to go back, nobody
/// answering), and the forms it missed.
#[test]
fn edges_of_the_rules_from_probe70() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "la tv se pega y me tira al inicio del menú, no puedo ver nada",
            Restart,
        ),
        (
            "la página del banco me devuelve al inicio cada vez que pago",
            Fallback,
        ),
        (
            "el juego me devuelve al inicio cuando pierdo jaja",
            Fallback,
        ),
        ("¿cómo vuelvo al inicio?", Fallback),
        (
            "estoy eligiendo opciones de canales premium, ¿cuánto sale HBO?",
            Fallback,
        ),
        (
            "hola??? alguien lee lo que escribo??? nadie me responde",
            Person,
        ),
        ("¿alguien más puede leer lo que escribo?", Fallback),
        ("llevo media hora apretando opciones y nada", Person),
    ]);
}

/// The rules written for `probe71`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe71() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Review,
    };
    check(&[
        (
            "hice dos solicitudes el mes pasado por las líneas de mis hijos, ¿en qué van?",
            Review,
        ),
        (
            "se cortó el chat con el joven que me atendía, ¿me pueden volver a conectar?",
            Person,
        ),
        ("¿este chat lo están guardando?", Fallback),
        (
            "la semana ha estado agotadora, recién llego a la casa",
            Fallback,
        ),
        ("¿se puede contratar una línea si soy extranjero?", Fallback),
        (
            "arrendamos una cabaña en Pucón y el wifi de la cabaña no anda",
            Fallback,
        ),
        // Edges: a failure after the day's mood; a plan changed, not bought; the chat
        // cut by the service's own failure.
        ("el turno está eterno y encima no tengo señal", Restart),
        ("¿puedo cambiar mi plan a uno más barato?", Person),
        ("me estaban atendiendo y se cayó el internet", Restart),
        (
            "tengo unas cabañas en Chonchi y el wifi de las cabañas no funciona",
            Restart,
        ),
    ]);
}

/// The rules written for `probe72`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe72() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        (
            "me cogotearon el celu saliendo del trabajo, bloqueen el número porfa",
            Person,
        ),
        ("q le vaya bien, gracias", Salir),
        ("feliz navidad pa ustedes y sus familias", Salir),
        ("felices fiestas a todos, que lo pasen bien", Fallback),
        (
            "¿me explican los pasos para resetear el módem? así lo hago yo la próxima",
            Fallback,
        ),
        ("la pega en la bodega está eterna hoy", Fallback),
        (
            "¿quedan guardadas las cosas que uno escribe aquí? ¿guardan lo que uno escribe?",
            Fallback,
        ),
        (
            "para hacer el traslado, ¿tengo que llevar la cédula?",
            Fallback,
        ),
        (
            "soy repartidor y no me alcanzan los gigas, necesito un plan más grande",
            Person,
        ),
        // Edges: a change asked after the papers; a price of a bigger plan; another
        // business's charge with no service of the company; a failure after the mood.
        (
            "quiero cambiar el titular, ¿tengo que ir con el carnet?",
            Person,
        ),
        ("¿cuánto sale un plan más grande?", Fallback),
        (
            "el banco me cobró dos veces la comisión de mantención",
            Fallback,
        ),
        (
            "el turno en la faena está eterno y encima no hay señal",
            Restart,
        ),
    ]);
}

/// The review of the rules for `probe71`: sentences of the reviewer's that the first
/// version got wrong (the day's mood before a request, "cómo van ustedes a ...", a plan
/// changed asked as "¿puedo tomar ...?", anyone who can read the chat asked to answer,
/// a talk cut with a neighbour over a failing line, a bank's cash machine).
#[test]
fn edges_of_the_rules_from_probe71() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Review, Salir,
    };
    check(&[
        ("la semana ha estado pesadísima, ¿me pueden llamar?", Person),
        ("el trabajo ha estado pesado, ¿cómo va mi reclamo?", Review),
        ("el turno de hoy está pesadísimo, reinicien todo porfa", Restart),
        ("la pega está pesada, gracias por la ayuda, chao", Salir),
        (
            "pedí un técnico y nunca vino, ¿cómo van ustedes a responder por esto?",
            Person,
        ),
        ("hice dos pagos ayer, ¿cómo van? ¿ya se reflejaron?", Fallback),
        ("¿podría sacar un plan más chico? ya no uso tanto el internet", Person),
        ("¿alguien puede leer este chat? llevo rato esperando", Person),
        (
            "estaba conversando con el vecino y se cortó la conversación con el vecino, se me fue la señal",
            Restart,
        ),
        (
            "en el cajero llevo rato apretando opciones y me devuelve al inicio",
            Fallback,
        ),
        ("vuelvo al inicio de nuevo, llevo media hora así", Person),
    ]);
}

/// The review of the rules for `probe72`: sentences of the reviewer's that the first
/// version got wrong (another business's charge paid "por internet", a spam number to
/// block, a plan bought, the card asked to complain, a failure told beside the restart one
/// would do, nobody who explains, another business's phone menu, a cancellation with
/// goodbyes).
#[test]
fn edges_of_the_rules_from_probe72() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "Falabella me cobró dos veces la compra que hice por internet",
            Fallback,
        ),
        (
            "me llegan mensajes de spam de un numero raro, quiero bloquear el número",
            Fallback,
        ),
        (
            "necesito un plan más grande para mi hija que se va a vivir sola, ¿cómo lo contrato?",
            Fallback,
        ),
        (
            "hay que ir con el carnet pa reclamar? me llegó un cargo que no reconozco",
            Person,
        ),
        (
            "¿cómo reinicio el deco? la tele está en negro, lo hago yo altiro",
            Restart,
        ),
        (
            "¿guardan lo que uno escribe? porque nadie me explica nada",
            Person,
        ),
        (
            "llamé al banco, llevo media hora marcando opciones y me devuelve al inicio",
            Fallback,
        ),
        ("cancelen el cable porfa, q este bien", Person),
    ]);
}

/// The rules written for `probe73`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe73() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "mi cuñado dejó un reclamo por la boleta, ¿será que ya le dieron respuesta?",
            Intent::RevisarAtenciones,
        ),
        (
            "no me reseteen nada, ya apagué el router tres veces y nada",
            Person,
        ),
        (
            "dije que no quería el canal de películas y de todas formas me lo están cobrando",
            Person,
        ),
        (
            "enséñeme a resetear el deco yo sola, así no les escribo cada vez",
            Fallback,
        ),
        (
            "la cosecha está pesadísima este año, no damos más",
            Fallback,
        ),
        (
            "estamos en un camping arrendado en Pucón y el wifi del camping no funciona",
            Fallback,
        ),
        (
            "mi compañero de juego se desconectó de la partida, yo tengo buena conexión",
            Fallback,
        ),
        (
            "¿cuánto más pagaría si me cambio al plan de 600 megas?",
            Fallback,
        ),
        (
            "necesito bloquear un número raro que me escribe a cada rato",
            Fallback,
        ),
        (
            "¿este chat funciona con el lector de voz del celu?",
            Fallback,
        ),
        (
            "a los temporeros se les va el internet todas las mañanas en el packing",
            Person,
        ),
        // Edges: one's own number blocked after a theft; "y nada más" is no failed restart;
        // a cabin one lives in; a price disputed; a failure with the mood; the chat broken.
        (
            "me robaron el teléfono, necesito bloquear mi número",
            Person,
        ),
        (
            "no me reinicien nada, yo ya lo apagué y lo prendí y anda bien",
            Fallback,
        ),
        (
            "vivo en una cabaña arrendada y el wifi no funciona desde ayer",
            Restart,
        ),
        (
            "¿por qué cuánto más pagaría? me subieron la boleta sin avisar",
            Person,
        ),
        (
            "el chat no funciona con mi celular, quiero hablar con una persona",
            Person,
        ),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe73` got wrong:
/// an answer told or denied is no question about it; another shop's charge; a cabin one
/// lives in; a good signal that loads nothing; a restart that worked, and "ya, reinicie".
#[test]
fn edges_of_the_rules_from_probe73() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "dejé un reclamo hace un mes y nunca me dieron respuesta, esto es una vergüenza",
            Person,
        ),
        (
            "mi mamá dejó un reclamo y jamás le dieron respuesta, quiero reclamar de nuevo",
            Person,
        ),
        (
            "me dieron respuesta al reclamo y el cargo sigue apareciendo en la boleta",
            Person,
        ),
        (
            "en la farmacia rechacé el seguro y de todas formas me lo cobraron",
            Fallback,
        ),
        (
            "estamos viviendo en una cabaña arrendada y el wifi de la cabaña no funciona",
            Restart,
        ),
        ("tengo buena señal pero no me carga ninguna página", Restart),
        (
            "tengo unas cabañas arrendadas todo el verano y el wifi de las cabañas se cayó",
            Restart,
        ),
    ]);
    // A restart that worked, with "y na po", and "ya, reinicie" (asked) are no restart in
    // vain for a person.
    let c = classifier();
    for text in [
        "ya lo reinicié y ahora anda, y na po, gracias",
        "ya, reinicie el módem porfa, intento entrar a cualquier página y nada",
    ] {
        assert_ne!(
            c.classify(text).decision,
            Decision::Intent(Intent::ContactarEjecutivo),
            "{text}"
        );
    }
}

/// The rules written for `probe74`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe74() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "me prometieron que en tres días me llamaban por lo del traslado y nada, ¿alguna novedad?",
            Intent::RevisarAtenciones,
        ),
        (
            "cuando perdí el teléfono pedí que bloquearan la línea, ¿quedó bloqueada?",
            Intent::RevisarAtenciones,
        ),
        ("ya volvió la luz pero la tele todavía nada", Restart),
        (
            "nunca quise el seguro del celular y me lo cobraron igual",
            Person,
        ),
        (
            "no quiero más el teléfono fijo, déjenme solo con la fibra",
            Person,
        ),
        ("déjenme solamente el wifi, el cable no lo vemos nunca", Person),
        ("¿va a volver a llover mañana?", Fallback),
        (
            "para el traslado a Coyhaique, ¿hay que ir a una sucursal?",
            Fallback,
        ),
        (
            "el que se desconectó de la reunión fue mi jefe, yo tenía buena conexión",
            Fallback,
        ),
        (
            "enséñenme a cambiar la clave del wifi yo misma",
            Fallback,
        ),
        ("¿desde qué hora atiende el chat?", Fallback),
        ("la semana con los niños enfermos ha sido agotadora", Fallback),
        // Edges: a stolen line to block now; a failure with no power back; a branch
        // visit to complain; a key forgotten; a week that kept the service down.
        (
            "me robaron el celular, bloqueen la línea",
            Person,
        ),
        (
            "tengo que ir a una sucursal para reclamar por un cobro doble?",
            Person,
        ),
        (
            "olvidé la clave del wifi, ¿me la pueden cambiar?",
            Person,
        ),
        (
            "la semana ha sido agotadora, llevo cinco días sin internet",
            Person,
        ),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe74` got wrong: a
/// shop's charge after turning it down; "déjenme solo con la tele" (alone with it); the
/// chat's hours told while condemning it.
#[test]
fn edges_of_the_rules_from_probe74() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        ("no quería la bolsa en el súper y me la cobraron igual", Fallback),
        (
            "no quería la garantía extendida de la tienda de electrodomésticos y me la cobraron igual",
            Fallback,
        ),
        (
            "déjenme solo con la tele, no me reinicien nada que estoy viendo el partido",
            Fallback,
        ),
        (
            "este chat atiende todo el día pero nunca responde nada útil",
            Person,
        ),
        (
            "el ejecutivo me dijo que me respondían por correo en tres días, ¿hay novedades?",
            Intent::RevisarAtenciones,
        ),
    ]);
}

/// The rules written for `probe75`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe75() {
    use Intent::{ContactarEjecutivo as Person, Fallback, RevisarAtenciones as Review};
    check(&[
        (
            "el bot me dio el código 7712045 la semana pasada, ¿en qué va?",
            Review,
        ),
        (
            "trabajo en una farmacia de turno, que me llamen en la mañana",
            Person,
        ),
        ("la lluvia en Temuco está terrible hoy", Fallback),
        // Edges: a code that is no request; a shop's charge; the wind that cut the service.
        ("¿cuál es el código de área de Temuco?", Fallback),
        ("la farmacia me cobró de más", Fallback),
        (
            "necesito que me llame la veterinaria mañana temprano",
            Fallback,
        ),
        (
            "el viento está terrible y se cortó el internet",
            Intent::ReiniciarServicios,
        ),
    ]);
}

/// The rules written for `probe76`'s errors, on sentences of our own, and their edges.
#[test]
fn rules_from_probe76() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "en el call center me dieron el número de atención 66120, ¿qué ha pasado con eso?",
            Intent::RevisarAtenciones,
        ),
        ("el teléfono de la casa no se escucha nada", Restart),
        ("gracias, jikisiñkama", Intent::Salir),
        (
            "para dar de baja el cable, ¿hay que ir en persona a una oficina?",
            Fallback,
        ),
        (
            "¿me están contestando una persona o es automático?",
            Fallback,
        ),
        ("la semana cuidando a mi mamá ha sido agotadora", Fallback),
        ("hoy hace un frío tremendo en Punta Arenas", Fallback),
        // Edges: a branch visit to complain; a person asked for; the cold that cut the
        // service; the phone heard fine.
        (
            "¿tengo que ir en persona a una sucursal para reclamar por un cobro doble?",
            Person,
        ),
        ("¿me puede responder una persona, por favor?", Person),
        ("hace un frío terrible y se cortó el internet", Restart),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe75` and
/// `probe76` got wrong: another business's installation (the rule that took any charged
/// installation for the company's was dropped); the cold before a request or a goodbye; a
/// business to call; "¿me está respondiendo alguien?".
#[test]
fn edges_of_the_rules_from_probe76() {
    use Intent::{ContactarEjecutivo as Person, Fallback, Salir};
    check(&[
        (
            "el gasfíter me cobró dos veces la instalación del calefont",
            Fallback,
        ),
        (
            "la tienda me cobró la instalación de la lavadora y nunca vinieron",
            Fallback,
        ),
        (
            "la empresa de gas me cobró doble la instalación del medidor",
            Fallback,
        ),
        (
            "hace un frío tremendo, ¿cómo va mi reclamo?",
            Intent::RevisarAtenciones,
        ),
        ("hace calor, gracias por todo, chao", Salir),
        (
            "¿la veterinaria me puede llamar para confirmar la hora?",
            Fallback,
        ),
        ("¿me está respondiendo alguien?", Person),
    ]);
}

/// The rules written for `probe78`'s misreadings, on sentences of our own, with their
/// edges.
#[test]
fn rules_from_probe78() {
    use Intent::{ContactarEjecutivo as Person, Fallback, Salir};
    check(&[
        ("ya, nos vimos, gracias", Salir),
        (
            "me agregaron el pack de fútbol que yo había rechazado",
            Person,
        ),
        (
            "quiero un plan de internet más grande, este no me alcanza",
            Person,
        ),
        (
            "la compañía de gas me cortó el suministro y me cobró la reconexión",
            Fallback,
        ),
        (
            "el lector de tarjetas es de otra empresa y me cobraron dos veces la comisión",
            Fallback,
        ),
        // Edges: a price asked; the company charged when spoken to; a customer who
        // came from another company; a meeting, not a goodbye.
        ("¿cuánto cuesta un plan de datos más grande?", Fallback),
        (
            "la empresa de luz me cortó la luz y ustedes me cobraron dos veces la boleta",
            Person,
        ),
        (
            "me cambié desde otra empresa y me cobraron dos veces la instalación",
            Person,
        ),
        (
            "nos vimos con el técnico el lunes y el internet sigue cortándose hace una semana",
            Person,
        ),
    ]);
}

/// The rules written for `probe79`'s misreadings, on sentences of our own (each misread
/// before them), with their edges.
#[test]
fn rules_from_probe79() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        (
            "disculpe, mi tata pregunta si ya le contestaron la carta que envió por la boleta",
            Earlier,
        ),
        (
            "el código que me dio el bot ayer es 5521907, ¿cómo va?",
            Earlier,
        ),
        ("wenas, les habla don Pedro de Coyhaique", Fallback),
        ("hola, les escribe Rosa Pérez desde Linares", Fallback),
        (
            "explíqueme los pasos para reiniciar el deco, así no tengo que escribirles",
            Fallback,
        ),
        ("el wifi les hace mal a los niños?", Fallback),
        (
            "la farmacia necesita cambiar el plan a uno con más megas",
            Person,
        ),
        (
            "le dije al ejecutivo que no quería el seguro y apareció igual en la boleta",
            Person,
        ),
        (
            "bravo, otro mes pagando un internet q no funciona nunca 👏",
            Person,
        ),
        (
            "qué maravilla, quince días sin señal y ustedes cobrando igual",
            Person,
        ),
        ("ya van doce días sin internet y ustedes felices", Person),
        ("ya, gracias, q estes bien", Salir),
        ("dale, que estés bien", Salir),
        (
            "iba saliendo de la casa y me quitaron el celu, bloqueen el chip",
            Person,
        ),
        ("ya volvió la luz pero la tele sigue muerta", Restart),
        // Edges: another business that raises the customer's plan; a failure told after
        // who writes; a goodbye after a matter settled; a restart asked after days.
        ("la isapre quiere subirme el plan", Fallback),
        ("la isapre quiere subir el plan", Fallback),
        ("la clínica quiere cambiar mi plan de salud", Fallback),
        (
            "mi tata pregunta si ya le contestaron del banco por el préstamo",
            Fallback,
        ),
        (
            "listo, quedó todo resuelto con el cobro, que le vaya bien",
            Salir,
        ),
        (
            "les escribe Rosa Pérez, no tengo internet desde la mañana",
            Restart,
        ),
        ("ya me bloquearon el chip, gracias, chao", Salir),
        ("el internet sigue muerto desde que volvió la luz", Restart),
    ]);
}

/// Whether a visit or a procedure is charged, asked: a price question, out of scope; not
/// when the charge is disputed.
#[test]
fn whether_a_visit_is_charged_is_a_price_question() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "¿me van a cobrar el traslado del servicio a la casa nueva?",
            Fallback,
        ),
        ("¿la visita del técnico es gratis?", Fallback),
        ("una consulta, ¿la reconexión se paga?", Fallback),
        // Edges: a charge disputed, a visit that never came.
        ("me cobran la visita y el técnico nunca vino", Person),
        ("¿por qué me cobran la instalación si era gratis?", Person),
        ("me van a cobrar la visita del técnico que no llegó", Person),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe78` and
/// `probe79` misread, and forms those rules first missed.
#[test]
fn edges_of_the_rules_from_probe79() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        // Goodbyes after a settled matter take leave.
        (
            "quedó listo el traslado, muchas gracias, hasta luego",
            Salir,
        ),
        ("quedó resuelto lo del cobro, gracias, chao", Salir),
        // Another business answers.
        (
            "mi tata pregunta si ya le contestaron del consultorio por la hora médica",
            Fallback,
        ),
        // Forms first missed.
        ("catorce días sin internet, es el colmo", Person),
        ("oigan me sumaron netflix q yo rechace, q onda", Person),
        (
            "le activaron a mi mamá el seguro del celular que ella rechazó",
            Person,
        ),
        (
            "buenas tardes, les habla la señora Rosa de Chillán",
            Fallback,
        ),
        (
            "enséñeme a reiniciar el deco pa no tener que llamarlos",
            Fallback,
        ),
        (
            "mi señora dice que el modem en la pieza nos hace mal, ¿es cierto?",
            Fallback,
        ),
        (
            "el código que me dio el sistema es el 3321456, ¿en qué va?",
            Intent::RevisarAtenciones,
        ),
        // Still a failure to restart: a day, not days.
        ("el wifi no funciona desde hoy en la mañana", Restart),
    ]);
}

/// The rules written for `probe80`'s misreadings, on sentences of our own (each misread
/// before them), with their edges.
#[test]
fn rules_from_probe80() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        (
            "¿cómo reseteo yo misma el router? así no les escribo cada vez",
            Fallback,
        ),
        (
            "¿me explican cómo cambiar la contraseña del wifi yo misma?",
            Fallback,
        ),
        (
            "¿el repetidor sirve para una casa de dos pisos con patio?",
            Fallback,
        ),
        ("¿este router sirve pa un depto grande?", Fallback),
        (
            "el teléfono de la casa suena con un pito y no se entiende nada",
            Restart,
        ),
        ("¿me reinician el modem? gracias, chao", Restart),
        (
            "¿me resetean el deco? muchas gracias, buenas noches",
            Restart,
        ),
        // Edges: a restart that failed, asked how to mend; a restart done, then goodbye;
        // a person who does not understand.
        (
            "ya reinicié el módem tres veces y sigue igual, ¿cómo lo arreglo?",
            Person,
        ),
        ("ya me reiniciaron el deco y funciona, gracias, chao", Salir),
        (
            "no entiendo nada de la boleta, quiero hablar con alguien",
            Person,
        ),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe80` (and the
/// price question) misread, and forms they first missed.
#[test]
fn edges_of_the_rules_from_probe80() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        // A restart taken back before the goodbye is no restart.
        (
            "¿me reinician el deco? ah no, ya volvió la señal, gracias chao",
            Salir,
        ),
        ("¿me resetean el modem? no, ya está, gracias, chao", Salir),
        (
            "¿me reinician el router? olvídelo, ya anda, gracias, adiós",
            Salir,
        ),
        // ... not a failure told after it.
        (
            "¿me reinician el deco? no tengo tele desde ayer, gracias chao",
            Restart,
        ),
        // A charge blamed on the company is disputed.
        (
            "¿me van a cobrar la reconexión si el corte fue error de ustedes?",
            Person,
        ),
        // Forms first missed.
        ("¿la visita técnica es gratuita?", Fallback),
        (
            "¿me cobrarían la visita si el técnico viene un sábado?",
            Fallback,
        ),
        ("el telefono hace un zumbido y no se entiende na", Restart),
    ]);
}

/// The rules written for `probe81`'s misreadings, on sentences of our own (each misread
/// before them), with their edges.
#[test]
fn rules_from_probe81() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        ("¿queda algún registro de la conversación?", Fallback),
        ("el taller necesita un plan con más megas", Person),
        ("hay fibra en Putre?", Fallback),
        (
            "la línea de la casa hace un pito y no se escucha na",
            Restart,
        ),
        // Edges: fibre that does not reach the customer's home; the bot that does not
        // solve, and a person asked.
        ("no hay fibra en mi casa desde ayer", Restart),
        (
            "este chat no me soluciona nada, pásenme con alguien",
            Person,
        ),
    ]);
}

/// The rules written for `probe82`'s misreadings, on sentences of our own (each misread
/// before them), with their edges.
#[test]
fn rules_from_probe82() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "¿me enseñan a reiniciar el deco pa no molestarlos más?",
            Fallback,
        ),
        ("¿el chat funciona con JAWS?", Fallback),
        (
            "pa cambiar el titular a mi hijo, qué papeles tengo que llevar",
            Fallback,
        ),
        ("¿cobran algo por instalar un segundo deco?", Fallback),
        // Edges: the change asked first; a charge for an installation that never came.
        (
            "quiero cambiar el titular a mi hijo, qué papeles necesito",
            Person,
        ),
        ("me cobraron por instalar un deco que nunca llegó", Person),
    ]);
}

/// The rules written for `probe84`'s misreadings, on sentences of our own (each misread
/// before them), with their edges.
#[test]
fn rules_from_probe84() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        // One service kept, said with an infinitive; not alone with it.
        (
            "queremos dejar solamente la tele, el internet no lo ocupamos",
            Person,
        ),
        // A call asked with courtesy before the pronoun.
        (
            "mi señora pide que por favor la llamen a su celular",
            Person,
        ),
        // A product turned down that "viene igual en la boleta".
        (
            "le dije al ejecutivo que no quería el pack de canales y igual viene en la boleta",
            Person,
        ),
        // A high ping that comes back is bad service; asking what ping to have is not.
        ("el ping siempre está en 200 y pago fibra", Person),
        ("¿cuánto ping debería tener para jugar?", Fallback),
        // A holder change, whoever it goes to and whatever is no longer so.
        (
            "quiero pasar el plan a nombre de mi hija, yo ya no uso el celular",
            Person,
        ),
        // Goodbyes in shorthand.
        ("ya grax, bn dia", Salir),
        // Who writes, alone; with a failure it is the failure.
        ("buenas tardes, me llamo Yolanda, soy de Chillán", Fallback),
        ("hola, me llamo Pedro, sin internet desde ayer", Restart),
        // A pupil's failure with the service said to work.
        (
            "el estudiante se me desconectó de la clase, pero mi internet estaba bien",
            Fallback,
        ),
        // How the week went, a few words of what one did in it.
        (
            "la semana trabajando en la cosecha ha sido pesadísima",
            Fallback,
        ),
        // What the equipment holds, asked; not denied.
        ("¿el modem soporta a 15 equipos conectados?", Fallback),
        (
            "el router no aguanta a 4 personas conectadas, se cae a cada rato",
            Person,
        ),
        // WiFi that does not reach, a signal that is a disaster for days.
        ("en la pieza del fondo no llega la señal del wifi", Restart),
        ("hace una semana que el internet es un desastre", Person),
    ]);
}

/// The rules written for `probe85`'s misreadings, on sentences of our own, with their
/// edges.
#[test]
fn rules_from_probe85() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier,
    };
    check(&[
        // Whether the equipment harms one's health, asked.
        (
            "¿será malo dejar el router prendido toda la noche?",
            Fallback,
        ),
        (
            "¿es peligroso tener el modem en la pieza de la guagua?",
            Fallback,
        ),
        // A line on a condition: a sale.
        ("¿puedo sacar un chip con mi pasaporte?", Fallback),
        // "¿Qué onda?" with a request named asks how it stands; alone it greets.
        ("q onda con mi reclamo de la boleta?", Earlier),
        ("q onda, quiero poner un reclamo por la boleta", Person),
        ("hola que onda", Fallback),
        // A screen that stays black fails.
        ("prendí el deco y la pantalla queda negra", Restart),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe84` and
/// `probe85` misread, and forms they first missed.
#[test]
fn edges_of_the_rules_from_probe84() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        // After "me llamo", only who writes: a request after the name is the request.
        ("me llamo Pedro, reinicien porfa", Restart),
        ("me llamo Luis, llámenme", Person),
        (
            "Estimados, mi nombre es Ignacio Fuentes desde Punta Arenas",
            Fallback,
        ),
        // A failure told after the restart is no take-back.
        (
            "que me llame un ejecutivo... no, mejor reinicien el deco, no sé qué le pasa",
            Restart,
        ),
        (
            "llámenme, no mejor reinicien el router, no hace nada",
            Restart,
        ),
        // A call another business is to make, with courtesy in between.
        (
            "el doctor dijo que por favor lo llamen si le sube la fiebre",
            Fallback,
        ),
        // A holder change turned down; a new holder named "del".
        (
            "ya no quiero pasar el plan a nombre de mi hijo, déjelo así",
            Fallback,
        ),
        (
            "hay que cambiar el titular, el plan tiene que quedar a nombre del nuevo arrendatario",
            Person,
        ),
        // The WiFi free at another business.
        ("no me llega la señal del wifi gratis del mall", Fallback),
        // The service worked before and fails now.
        (
            "el wifi estaba bien, pero ahora se cortó y mis alumnos quedaron fuera de la clase",
            Restart,
        ),
        // One service kept: not denied, not left on.
        ("queremos dejar solo el internet", Person),
        (
            "no quiero dejar solo el internet, quiero mantener la tele también",
            Fallback,
        ),
        (
            "quiero dejar solo el wifi prendido en la noche, ¿se puede programar?",
            Fallback,
        ),
        // Equipment turned down and billed anyway.
        (
            "no pedí el decodificador extra y viene igual en la boleta",
            Person,
        ),
        // A week waiting for the technician is no mood.
        ("la semana esperando al técnico ha sido eterna", Person),
    ]);
}

/// The rules written for `probe86`'s misreadings, on sentences of our own (the first nine
/// misread before them), with their edges.
#[test]
fn rules_from_probe86() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier,
    };
    check(&[
        // A service that "todavía no vuelve" after the power; WiFi that does not reach.
        (
            "volvió la luz en el barrio pero el internet de la casa todavía no vuelve",
            Restart,
        ),
        ("en el patio no alcanza a llegar la señal", Restart),
        ("el wifi no alcanza a llegar al segundo piso", Restart),
        // A phone dropped in the river, its line to block.
        (
            "se me cayó el teléfono al río pescando, necesito bloquear el número",
            Person,
        ),
        // Did what the bot said and it goes on: a failed restart.
        (
            "hice todo lo que el asistente me dijo y sigue sin internet",
            Person,
        ),
        // Questions about the bot, learning to restart alone, someone else's drop.
        ("¿usted es humano de verdad o un bot?", Fallback),
        (
            "¿dónde queda el botón para reiniciar el módem? así lo hago yo la próxima vez",
            Fallback,
        ),
        (
            "mi contrincante se desconectó de la partida, mi internet anda perfecto",
            Fallback,
        ),
        (
            "el paciente se desconectó de la sesión pero mi wifi andaba bien",
            Fallback,
        ),
        // Who writes and where they live or work, alone.
        ("hola, me llamo Marta y vivo en Coquimbo", Fallback),
        // Edges: the number the bot gave, requests pending, a debt collector, nobody came.
        (
            "el asistente me dio el numero 4471203 el lunes, en que va",
            Earlier,
        ),
        (
            "tengo pendiente un reclamo por la boleta, ¿me puede decir cómo va?",
            Earlier,
        ),
        ("me van a meter a dicom por una boleta que ya pagué", Person),
        (
            "el técnico quedó de venir en la mañana y nadie vino",
            Person,
        ),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe86` misread.
#[test]
fn edges_of_the_rules_from_probe86() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        // Who writes, then a wish: the wish.
        ("me llamo Rosa y vivo en Maipú quiero reclamar", Person),
        ("me llamo Diego y vivo en Maipú llámenme porfa", Person),
        ("wena, me llamo Kevin y soy de Puente Alto", Fallback),
        // DICOM and collections asked about are no debt disputed.
        ("¿el plan se puede contratar estando en dicom?", Fallback),
        ("¿el área de cobranza atiende los sábados?", Fallback),
        // A request told pending, then another question.
        (
            "tengo pendiente un trámite en el registro civil, ¿a qué hora cierran?",
            Fallback,
        ),
        // Another business's bot.
        (
            "el bot del banco me dio el número 4471203, ¿cómo va mi crédito?",
            Fallback,
        ),
        // Done as the bot said and all works: a goodbye.
        (
            "hice todo lo que el bot me pidió y ya tengo internet, lo mismo la tele, gracias, bn noche",
            Salir,
        ),
        // A line that will not answer again is no service down.
        (
            "la línea de atención todavía no vuelve a contestarme desde ayer",
            Person,
        ),
        // Learning to restart with the failures counted: the failures.
        (
            "¿dónde queda el botón pa resetear el módem? la próxima vez que se corte lo hago yo, ya van tres veces esta semana",
            Person,
        ),
        ("¿usted es humano de verdad o es un bot?", Fallback),
        ("hice lo que el bot dijo pero el wifi anda igual de lento", Person),
        ("el wifi no alcanza a llegar a la pieza de mi hija", Restart),
        ("el bot me dio el número 5530917 la semana pasada, ¿cómo va?", Earlier),
    ]);
}

/// The rules written for `probe87`'s misreadings, on sentences of our own (the first seven
/// misread before them), with their edges.
#[test]
fn rules_from_probe87() {
    use Intent::{ContactarEjecutivo as Person, Fallback, RevisarAtenciones as Earlier};
    check(&[
        // "Ya no" with what no longer is gives a reason.
        ("bájenme el plan, ya no usamos tanto internet", Person),
        // An instalment past the count bought.
        (
            "compré el teléfono en 6 cuotas y me cobraron la cuota 7",
            Person,
        ),
        // A status question taken back for a person, across a clause's "no".
        (
            "quería saber cómo va mi reclamo, no, mejor comuníqueme con un ejecutivo",
            Person,
        ),
        // How the season goes; a repeater asked about; a power of attorney; who reads.
        ("la siembra este año ha estado pesadísima", Fallback),
        (
            "¿si pongo un extensor me llegaría el wifi al quincho?",
            Fallback,
        ),
        ("para el traslado, ¿sirve un poder simple?", Fallback),
        ("¿alguien de ustedes lee después los mensajes?", Fallback),
        // Edges: told free and billed, charged in both, "uno con más megas", a person
        // "de carne y hueso" wished and denied, "q ha pasado con eso".
        (
            "la vendedora me dijo que la instalación era gratis y me la cobraron en la boleta",
            Person,
        ),
        ("el plan me lo descontaron en las dos tarjetas", Person),
        (
            "tenemos plan pyme y queremos uno con más megas pa la oficina",
            Person,
        ),
        ("quiero hablar con alguien de carne y hueso", Person),
        (
            "no quiero hablar con nadie de carne y hueso, solo preguntaba",
            Fallback,
        ),
        (
            "ayer deje un reclamo por la boleta, q ha pasado con eso?",
            Earlier,
        ),
    ]);
}

/// The reviewers' sentences that the first version of the rules for `probe87` misread.
#[test]
fn edges_of_the_rules_from_probe87() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        // Papers to complain: the complaint.
        (
            "¿sirve un poder notarial pa reclamar por el cobro doble en la cuenta de mi papá?",
            Person,
        ),
        // An instalment within those bought is no charge not owed.
        (
            "lo compré en 10 cuotas y ya me cobraron la cuota 2, vamos bien",
            Fallback,
        ),
        (
            "el teléfono lo pagué en 24 cuotas y me llegó la cuota 25 en la boleta",
            Person,
        ),
        // Another business's double charge.
        (
            "en la casa comercial me cobraron en las dos tarjetas la misma compra",
            Fallback,
        ),
        // A free WiFi's page is no bill.
        (
            "me dijeron que el wifi del hotel era gratis pero la página no me deja entrar",
            Fallback,
        ),
        // "Ya no me interesa" turns down.
        ("ya no me interesa el traslado, olvídenlo", Fallback),
    ]);
}

/// The rules written after `probe88` and `probe89` (measured before them: 92.93% and
/// 94.03%), each with sentences of our own the build before misread, and their edges.
#[test]
fn rules_from_probe88_and_probe89() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        // Goodbyes: a good week or weekend, kisses, "dps escribo", "que tengan buenas
        // tardes" (plural).
        ("buen fin de semana para ustedes", Salir),
        ("buen finde", Salir),
        ("okis, besos pa todos", Salir),
        ("ahora no puedo, dps escribo", Salir),
        ("que tengan buenas tardes", Salir),
        // The weather: snow, a clear sky, a frost.
        ("en Futrono está nevando desde temprano", Fallback),
        ("está despejado en La Serena hoy", Fallback),
        ("hay una helada en Los Ángeles que quema todo", Fallback),
        // Someone else's WiFi: the administrators', a library's, a barge's.
        (
            "el wifi de los administradores del edificio no anda",
            Fallback,
        ),
        ("el wifi de la biblioteca municipal está caído", Fallback),
        ("en la barcaza el wifi de ellos no funciona", Fallback),
        // An earlier request asked about with "¿alcanzaron a...?" or "¿ya me dieron...?".
        (
            "pedí la baja del cable hace una semana, ¿alcanzaron a procesarla?",
            Earlier,
        ),
        (
            "reclamé porque no vino el técnico, ¿ya me dieron otra hora?",
            Earlier,
        ),
        // Equipment returned and still billed; a product added though turned down; the
        // plan for the customer's own business; a TV that freezes again and again.
        (
            "entregamos el router en la tienda y aún nos cobran el arriendo en la boleta",
            Person,
        ),
        (
            "me activaron un seguro aunque le dije al ejecutivo que no lo quería",
            Person,
        ),
        (
            "pa mi restaurante necesitamos subir el plan, con los clientes no alcanza",
            Person,
        ),
        ("la tv se pega todas las noches", Person),
        // Edges: the weather with a failure, a restart or a request named; a goodbye
        // with the weather; a device returned with a question only; "se congela" of a
        // person; a TV that froze once today.
        (
            "está nevando y se cortó el internet, ¿me lo reinician?",
            Restart,
        ),
        (
            "hace un frío tremendo y el módem no prende, reinícienlo por favor",
            Restart,
        ),
        ("está lloviendo harto, ¿en qué va mi reclamo?", Earlier),
        ("hace calor, gracias por todo, chao", Salir),
        (
            "devolví el módem ayer, ¿dónde me dan el comprobante?",
            Fallback,
        ),
        ("hace tanto frío que uno se congela", Fallback),
        ("hay un temporal en Chiloé que no para", Fallback),
        ("adiosito, gracias por todo", Salir),
    ]);
}

/// A review's sentences against the rules for `probe88` and `probe89` (165 of its own: 110
/// right before them, 140 with their first version, 4 worse): a product added needs its
/// pronoun ("que no lo quería"), "pa mi gimnasio" makes it the customer's only with a wish,
/// a freezing device is the subject of its clause; and a business's WiFi is no other's
/// when the customer's own fails too (the guide's rule, now for businesses as for owners).
#[test]
fn edges_of_the_rules_from_probe88_and_probe89() {
    use Intent::{Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "me agregaron a un grupo de whatsapp aunque dije que no quería",
            Fallback,
        ),
        (
            "pagué la mensualidad pa mi gimnasio y me la cobraron dos veces",
            Fallback,
        ),
        (
            "la canción del comercial de la tele se me pega todo el día",
            Fallback,
        ),
        (
            "estoy en el hotel, el wifi del hotel no anda y el mío tampoco",
            Restart,
        ),
    ]);
}

/// The rules written after `probe90` (measured before them: 91.20%), each with sentences
/// of our own the build before misread, and their edges.
#[test]
fn rules_from_probe90() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        // Goodbyes: "bn finde", a good shift, "los dejo".
        ("bn finde pa todos", Salir),
        ("que tenga buen turno", Salir),
        ("bueno los dejo", Salir),
        ("ya te dejo", Salir),
        // How the shift went, with what aches; a corner shop's charge.
        (
            "hoy el turno estuvo durísimo, me duele la espalda",
            Fallback,
        ),
        (
            "en el almacén de la esquina me cobraron de más las marraquetas",
            Fallback,
        ),
        // A product added by one of the company's people, not asked for.
        (
            "la empresa me instaló un segundo deco que no pedimos",
            Person,
        ),
        // Edges: added by a relative; the customer's own shop; thanks after "los dejo".
        (
            "mi hijo me instaló una app aunque le dije que no lo quería",
            Fallback,
        ),
        (
            "tengo un almacén y desde esta mañana no tenemos internet",
            Restart,
        ),
        ("el wifi del almacén se cayó hoy, reinícienlo", Restart),
        ("ya, los dejo, gracias", Salir),
        // A review's: leaving the company, not the chat; someone's employer or trade.
        ("si no me solucionan esto hoy, los dejo", Person),
        (
            "llevo diez años con ustedes y me suben el precio sin avisar. Los dejo.",
            Person,
        ),
        (
            "la empresa donde trabajo me instaló un antivirus que no pedí",
            Fallback,
        ),
        (
            "mi vecino que es técnico me instaló un programa en el notebook que no pedí",
            Fallback,
        ),
        ("que tengan buen turno chiquillos", Salir),
        (
            "el vendedor que vino a la casa me suscribió a un plan que no pedí",
            Person,
        ),
    ]);
}

/// The rules written after `probe91` (measured before them: 88.61%), each with sentences
/// of our own the build before misread, and their edges.
#[test]
fn rules_from_probe91() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        // An earlier request asked about with "¿se alcanzó a...?", "¿se pudo...?".
        (
            "solicité el cambio de titular, ¿eso se pudo hacer al final?",
            Earlier,
        ),
        (
            "mi papá pidió la portabilidad, ¿se alcanzó a procesar?",
            Earlier,
        ),
        // Equipment returned and still charged; a restart done and the device frozen
        // again; the service moved to the new house.
        (
            "entregamos los decos en la tienda y todavía nos los cobran",
            Person,
        ),
        (
            "ayer me reiniciaron el router y hoy volvió a quedar pegado",
            Person,
        ),
        (
            "nos cambiamos en abril, hay que mover el internet pa la casa nueva",
            Person,
        ),
        // Goodbyes: God's company or keeping, hugs to the whole team.
        ("gracias mijita, que Dios la guarde", Salir),
        ("listo, abrazos a todo el equipo", Salir),
        // A cancellation turned down ("no me den de baja").
        ("tranqui, no me den de baja nada, solo preguntaba", Fallback),
        ("no, no me den de baja, era una prueba", Fallback),
        // Edges: still billed, in so many words; the service taken "pa allá"; a
        // cancellation wished or not done; a frozen device with no restart before.
        (
            "devolví el módem en abril y me lo siguen facturando",
            Person,
        ),
        (
            "nos vamos a Rancagua, ¿me pueden llevar el servicio pa allá?",
            Person,
        ),
        ("quiero que me den de baja el cable", Person),
        ("no me dieron de baja el cable y ya van dos meses", Person),
        ("el deco volvió a quedar pegado hoy, reinícienlo", Restart),
    ]);
}

/// A review's sentences against the rules for `probe91` (74 of its own: 50 right before
/// them, 63 with their first version and 5 worse): a request told to another business is
/// no earlier request of ours; a restart the customer did "como me dijeron" or followed by
/// "y volvió a..." is done; a cancellation turned down for another wish still asks.
#[test]
fn edges_of_the_rules_from_probe91() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "pedí una pizza hace una hora, ¿se alcanzó a despachar?",
            Fallback,
        ),
        ("pedí un reembolso en el banco, ¿se pudo hacer?", Fallback),
        (
            "reinicié el deco como me dijeron y volvió a quedar pegado",
            Person,
        ),
        ("ok no me den de baja, mejor bájenme el plan", Person),
    ]);
}

/// The rules written after `probe92` and `probe93` (measured before them: 90.45% and
/// 93.38%), with sentences of our own the build before misread: a fibre that does not come
/// back; a restart wished mid-clause ("necesitamos que nos reinicien"); a price for
/// installing or moving; a person asked in Portuguese; the service moved to another plot
/// or store; a signal lost "constantemente"; goodbyes to the whole team; how the harvest,
/// the night or the shift went (the emergency ward is no plea); the wind "hoy"; someone
/// else's connection lost while one's own worked; a theatre's WiFi; what a thing is for,
/// unknown; a plan charged to two cards; a business that needs a bigger plan; "¿qué pasa
/// con eso?" about a number the assistant gave. The number also names the request for a
/// clarification's sake.
#[test]
fn rules_from_probe92_and_probe93() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        ("¿me van a cobrar por trasladar el internet a la casa nueva?", Fallback),
        ("volvió la luz hace una hora pero la fibra aún no vuelve", Restart),
        ("preciso falar com alguém por favor", Person),
        ("tenemos que llevar la fibra del taller a la otra bodega", Person),
        ("el internet del celu se pierde constantemente en la micro", Person),
        ("buena semana a todo el equipo", Salir),
        ("besitos para todos los chiquillos del chat", Salir),
        ("la esquila este año estuvo malísima", Fallback),
        ("la noche en la garita está eterna", Fallback),
        (
            "en la reunión online se le cortó la conexión a un colega, pero mi internet iba perfecto",
            Fallback,
        ),
        ("el wifi del teatro donde ensayamos no funciona", Fallback),
        ("en la partida se le cayó el internet al rival, el nuestro estaba joya", Fallback),
        ("me instalaron una app nueva en el teléfono y no sé pa qué sirve", Fallback),
        ("el deco trae un botón rojo y no sé pa qué sirve", Fallback),
        ("el turno de noche en urgencias estuvo pesadísimo", Fallback),
        ("el viento en Punta Arenas hoy anda loco", Fallback),
        ("la boleta de marzo me la cargaron en mi tarjeta y también en la otra", Person),
        ("nuestra farmacia veterinaria necesita otro plan con más gigas", Person),
        ("el asistente me dio el número 5530021 el lunes, ¿qué pasa con eso?", Earlier),
    ]);
    assert!(entities::names_request(&crate::nlu::text::normalize(
        "el chat de ayer me dio el código 6610452"
    )));
    assert!(!entities::names_request(&crate::nlu::text::normalize(
        "mi número es el 6610452"
    )));
}

/// The edges of the rules from `probe92` and `probe93`: sentences the build before read
/// right and must still read right (a visit that did not come, "jamás" or not; a restart
/// turned down; the customer's own failure beside another's; bad service in the harvest's
/// sentence; no fibre in the area; a code the chat gave; "¿qué pasa con el internet?").
#[test]
fn edges_of_the_rules_from_probe92_and_probe93() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier,
    };
    check(&[
        (
            "me cobraron la visita técnica y el técnico jamás llegó",
            Person,
        ),
        (
            "somos una ferretería en Rancagua y necesitamos que nos reinicien el módem",
            Restart,
        ),
        (
            "hola, me llamo Jacinta y vendo empanadas en la feria",
            Fallback,
        ),
        (
            "el asistente ayer me dio el código 5512345, ¿qué pasó con eso?",
            Earlier,
        ),
        (
            "la semana de turnos antes de las vacaciones ha sido agotadora",
            Fallback,
        ),
        ("no quiero que reinicien mi wifi", Fallback),
        ("esta semana el internet estuvo malísimo", Person),
        (
            "necesito atención de urgencia, me robaron el celular",
            Person,
        ),
        ("me cobraron la visita y el técnico no vino", Person),
        ("¿me van a cobrar la visita del técnico?", Fallback),
        (
            "se nos cayó la conexión en el torneo y al otro club también",
            Restart,
        ),
        (
            "el internet se cae y mi amigo dice que mi wifi anda bien",
            Restart,
        ),
        (
            "que tengan buen finde, pero antes, ¿cómo va mi reclamo?",
            Earlier,
        ),
        (
            "necesito que me llame un ejecutivo para que reinicien el router",
            Person,
        ),
        (
            "la cosecha de uva estuvo malísima, y el internet también",
            Person,
        ),
        ("no hay fibra en mi sector", Fallback),
        (
            "el wifi del teatro anda pésimo y el mío tampoco funciona",
            Restart,
        ),
        ("¿qué pasa con el internet? no anda nada", Restart),
        (
            "qué pasa con ustedes, llevo una semana sin internet",
            Person,
        ),
        // From the review of these rules: a theatre the customer runs, a radio's signal,
        // the two cards with the verb first, another plan needed, a code told before who
        // gave it, the service said to work before another's failure.
        (
            "tengo un teatro y el internet del teatro no anda desde la mañana",
            Restart,
        ),
        ("la señal de la radio se pierde en el túnel", Fallback),
        (
            "me cargaron el plan en la tarjeta de crédito y también en la de débito",
            Person,
        ),
        (
            "la botillería necesita otro plan, este no nos alcanza",
            Person,
        ),
        (
            "¿qué pasa con el código 4471203 que me dio el chat?",
            Earlier,
        ),
        ("mi wifi iba bien, el que se cayó fue el del club", Fallback),
        ("el colegio necesita otro plan de estudios", Fallback),
        ("mi wifi iba bien, ahora no carga nada", Restart),
    ]);
}

/// The rules written after `probe94` (measured before them: 91.84%), and the mends of the
/// review of those for `probe92` and `probe93`, with sentences of our own the build before
/// (`02c29dc`) misread: a request's state asked as "me informaran el estado de su
/// tramitación"; leaving for work after "los dejo"; introductions from a shop or a club;
/// the chat with a screen reader; the wind on a long place name; someone else's failure
/// while the customer's own worked ("lo nuestro", "el mío", "no es nuestra conexión"); a
/// theatre the customer runs; a plan charged to two cards, the verb first; another plan a
/// business needs; a code told before who gave it; a radio's signal.
#[test]
fn rules_from_probe94() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        (
            "Estimado equipo: hace un mes presenté un reclamo por escrito y agradecería me informaran el estado de su tramitación.",
            Earlier,
        ),
        ("ya los dejo, tengo que volver a la pega", Salir),
        ("bueno te dejo, me toca entrar a turno", Salir),
        ("¿este chat funciona bien con TalkBack?", Fallback),
        ("el viento en la costa de Chiloé anda terrible", Fallback),
        (
            "el otro equipo se quedó sin internet en el partido online, el mío iba perfecto",
            Fallback,
        ),
        ("al alumno se le congeló la pantalla, pero lo nuestro andaba impeque", Fallback),
        ("la profe se desconectó de la clase, no es nuestra conexión", Fallback),
        ("tengo un teatro chico y el wifi del teatro no funciona desde anoche", Restart),
        ("la peluquería necesita otro plan porque este no alcanza", Person),
        ("¿qué pasa con el código 5521987 que me entregó el asistente?", Earlier),
        ("mi internet iba bien, el que se cortó fue el del profe", Fallback),
        ("la señal de la radio se pierde en la cuesta", Fallback),
        // Edges: who writes from a business named in two words; another card "además";
        // a restart asked after "los dejo"; the customer's own failure beside the teacher's.
        (
            "buenas noches, les escribe Marta de la ferretería de Puente Alto",
            Fallback,
        ),
        ("hola, habla Ernesto, del club de rayuela de Quilicura", Fallback),
        ("me cobraron el plan en mi tarjeta y además en la cuenta vista", Person),
        ("bueno los dejo, tengo que reiniciar el módem porque se cayó", Restart),
        (
            "se nos cayó el internet en la clase y al profe también, el mío iba bien antes",
            Restart,
        ),
    ]);
}

/// The rules written after `probe95` (measured before them: 90.17%), with sentences of our
/// own the build before (`a6b0e97`) misread: the service moved "a la nueva oficina"; the
/// signal of a fleet's phones lost "siempre"; a phone taken from a pocket or a bag;
/// goodbyes in Haitian Creole; whether a storm is coming; a campsite's WiFi, unless the
/// customer runs it; a connection that was "perfecto" while a rival's fell; who writes,
/// from where and where they work. And their edges.
#[test]
fn rules_from_probe95() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        (
            "necesitamos cambiar el internet a la nueva oficina del centro",
            Person,
        ),
        (
            "la señal de los teléfonos de la empresa se pierde siempre en la carretera",
            Person,
        ),
        (
            "me sacaron el celular de la mochila en el metro, hay que bloquearlo",
            Person,
        ),
        ("mesi anpil pou tout, orevwa", Salir),
        (
            "el campeonato es en un camping y el wifi del camping no anda",
            Fallback,
        ),
        (
            "el rival se desconectó, nosotros teníamos internet perfecto",
            Fallback,
        ),
        (
            "buenas, me llamo Jean, soy de Puerto Príncipe y trabajo en una panadería",
            Fallback,
        ),
        // Edges: the power back and the office's internet not; a collection agency
        // writing; wind asked for tomorrow; a radio's signal; a collection call for what
        // was paid; a campsite the customer runs.
        (
            "ya llegó la luz al pueblo pero el internet de la oficina aún no volvió",
            Restart,
        ),
        (
            "nos mandan cartas de una agencia de cobranza por una deuda con ustedes",
            Person,
        ),
        ("¿va a haber viento mañana en Valparaíso?", Fallback),
        (
            "la señal de la radio del auto se pierde siempre en la carretera",
            Fallback,
        ),
        (
            "nos llaman de una cobranza por una deuda que ya pagamos",
            Person,
        ),
        (
            "tengo un camping y el wifi del camping no funciona desde anoche",
            Restart,
        ),
    ]);
}

/// The edges the review of the rules for `probe94` and `probe95` found (145 sentences of
/// its own: 88 right before, 127 with the first version and 4 worse, 134 after these
/// mends and none worse): a request named in an introduction, weekend plans, another
/// business's system giving a code, a phone found again (not "no lo encontré"), a
/// goodbye clause without "bueno", the connection denied before another clause, a theatre
/// the customer manages, another plan for the business.
#[test]
fn edges_of_the_rules_from_probe94_and_probe95() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        ("les escribe la señora Rosa del reclamo 45521", Earlier),
        (
            "se suspendió el asado, necesito otro plan pa el sábado jaja",
            Fallback,
        ),
        (
            "el código 4471203 que me dio el sistema de la isapre, en qué va?",
            Fallback,
        ),
        (
            "me sacaron el celu del bolsillo pero lo encontré en el auto, falsa alarma",
            Fallback,
        ),
        (
            "me robaron el celu y no lo encontré por ningún lado, bloqueen la línea",
            Person,
        ),
        ("los dejo, tengo que volver a la pega", Salir),
        (
            "no es nuestra conexión, es el servidor del juego que se cae",
            Fallback,
        ),
        (
            "administro un teatro y se cortó el internet del teatro",
            Restart,
        ),
        ("necesitamos otro plan pa la empresa", Person),
    ]);
}

/// The papers for a move asked after supposing it ("si nos mudamos de casa, ¿qué documentos
/// piden para el traslado?", from `probe95`'s leftovers) are a question about the
/// procedure, out of scope; the move told is still one (these sentences the build before,
/// `921479f`, read as complaints, but for the last two).
#[test]
fn papers_for_a_move_supposed() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "si nos mudamos de casa, ¿qué documentos piden para el traslado?",
            Fallback,
        ),
        (
            "cuando me cambie de depto, ¿qué papeles hay que llevar pal traslado?",
            Fallback,
        ),
        (
            "si me cambio de ciudad, ¿cuáles son los requisitos para trasladar el plan?",
            Fallback,
        ),
        (
            "me cambié de casa y necesito trasladar el servicio, ¿qué papeles necesitan?",
            Person,
        ),
        (
            "nos mudamos la semana pasada, quiero el traslado del internet",
            Person,
        ),
    ]);
}

/// Rules for the misreadings of `probe96` to `probe98`, each checked with sentences of our
/// own that the classifier before them misread: a reason after "ya no" told by someone
/// ("el negocio ya no abre"), one service kept after another taken away, nights without
/// service, a person "de verdad", a product added though the seller was told no, a charge
/// nobody asked for, a chat cut with the executive helping, a move of office, the signal
/// that does not climb or pass, a plan the customer wants for the business, someone else's
/// failure beside the customer's working service, and goodbyes ("hablamos mañana",
/// "después sigo con el trámite", "luego escribo si hay algo más").
#[test]
fn rules_from_probe96_to_probe98() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        ("bájenme el plan, el negocio ya no abre los domingos", Person),
        ("quítenme la tele, que me quede solo el internet", Person),
        ("llevamos tres noches sin señal en la cabaña", Person),
        ("el internet se nos cayó tres noches seguidas", Person),
        (
            "quiero saber en qué va mi solicitud, pero prefiero que me lo diga una persona de verdad",
            Person,
        ),
        (
            "nos activaron un paquete de canales y le dijimos al vendedor q no queriamos nada más",
            Person,
        ),
        (
            "me agregó un seguro del celular, y le dije a la vendedora que no lo quería",
            Person,
        ),
        ("en la boleta viene un canal para adultos que nadie pidió", Person),
        (
            "nos cambiamos de oficina el mes que viene, qué hay que hacer con el internet",
            Person,
        ),
        ("el wifi no pasa a la pieza del fondo", Restart),
        (
            "el otro del equipo se quedó pegado, mi wifi andaba impecable",
            Fallback,
        ),
        (
            "a mi polola se le congela el zoom pero mi internet anda de lujo",
            Fallback,
        ),
        ("ya me tengo que ir, después sigo con el trámite", Salir),
        ("ok gracias, hablamos mañana", Salir),
        ("ya funciona, gracias, luego escribo si hay algo más", Salir),
    ]);
}

/// What the rules for `probe96` to `probe98` leave as it was (each read right before them
/// too): a wish taken back is still a refusal, nobody's app or WhatsApp group is a charge,
/// the night without sleep is no outage, a chat cut with family is no executive's.
#[test]
fn edges_of_the_rules_from_probe96_to_probe98() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        ("bájenme el plan, mi señora ya no trabaja desde la casa", Person),
        ("quiero dar de baja el cable, ya no lo vemos", Person),
        ("quiero sacar el cable, la abuela ya no lo ve", Person),
        (
            "estoy preguntando por mi reclamo, pero prefiero que me lo explique una persona de verdad",
            Person,
        ),
        (
            "me pusieron un pack de fútbol aunque le dije a la ejecutiva que no lo quería",
            Person,
        ),
        ("me pusieron un plan que no pedí, dije que no lo quería", Person),
        ("en la cuenta aparece un seguro que nadie en la casa pidió", Person),
        (
            "se me cortó el chat con el ejecutivo que me estaba ayudando con el traslado",
            Person,
        ),
        (
            "se nos cayó la conversación con el ejecutivo que nos estaba ayudando con la boleta",
            Person,
        ),
        (
            "pa los celulares de los choferes queremos otro plan con más gigas",
            Person,
        ),
        ("pa la flota queremos un plan con más gigas", Person),
        ("quiero pedir la baja del servicio de cable", Person),
        (
            "la señal del wifi no sube al segundo piso, ¿pueden reiniciar el módem?",
            Restart,
        ),
        (
            "me agregaron a un grupo de whatsapp aunque dije que no quería",
            Fallback,
        ),
        ("mi hijo me puso una app que nunca pedí", Fallback),
        ("ya no, gracias, chao", Salir),
        ("muchas gracias, buenas tardes y que tengan buena cosecha", Salir),
        ("listo, namaste", Salir),
        ("bueno chao, cuídense harto", Salir),
        ("gracias por todo, me voy a acostar que mañana madrugo", Salir),
        ("gracias, me voy a almorzar", Salir),
        ("perfecto, gracias, que esté muy bien", Salir),
        ("chao y que tengan buen fin de semana", Salir),
        // From the review: the change itself called off, nights away from home, a bill of
        // another company, a chat cut with a neighbour, an office changed at work.
        ("pensándolo bien ya no damos de baja el cable", Fallback),
        (
            "pasamos tres noches en la clínica y al volver el módem tenía la luz roja",
            Restart,
        ),
        ("la boleta del agua trae un cobro que nadie pidió", Fallback),
        (
            "se me cortó el chat con la vecina que me estaba ayudando con el notebook",
            Fallback,
        ),
        ("me cambié de oficina en la pega, ahora estoy al lado de la ventana", Fallback),
    ]);
}

/// Rules for the misreadings of `probe99` and `probe100`, each checked with sentences of
/// our own that the classifier before them misread: goodbyes ("cualquier cosa les aviso",
/// "que pasen una buena tarde", a hug or kisses "desde" a place, a day wished after "nos
/// vemos"), another business's page down, a shift "de terror" as small talk, equipment sold
/// as included and then charged, a pack added "sin pedirlo", a chip cancelled, a phone
/// "sustraído", a failure with every storm.
#[test]
fn rules_from_probe99_and_probe100() {
    use Intent::{ContactarEjecutivo as Person, Fallback, Salir};
    check(&[
        ("ya gracias, cualquier cosa les aviso de nuevo", Salir),
        ("gracias por todo, que pasen una buena tarde", Salir),
        ("gracias, un abrazo grande desde Punta Arenas", Salir),
        (
            "gracias chiquillas, besitos pa todas desde la peluquería",
            Salir,
        ),
        (
            "ok, nos vemos, y feliz día de la madre pa ustedes tb",
            Salir,
        ),
        (
            "me dijeron que el router venía incluido y ahora me lo cobran aparte",
            Person,
        ),
        ("me activaron un paquete de canales sin pedirlo", Person),
        (
            "necesito cancelar el chip de mi señora, ya no lo usa",
            Person,
        ),
        ("ha sido sustraído mi teléfono, solicito el bloqueo", Person),
        ("cada temporal me deja sin señal, estoy aburrida", Person),
        (
            "el banco tiene la página caída y no puedo pagar nada",
            Fallback,
        ),
        (
            "el turno de hoy fue de terror, no paré ni un minuto",
            Fallback,
        ),
    ]);
}

/// The review of the rules for `probe99` and `probe100` and the misreadings of `probe101`
/// and `probe102`: a phone taken away at school is no theft, a coverage question inside a
/// complaint is the complaint, a pack added "sin pedirlo" by the seller is a charge; a
/// failing service said to be someone else's ("el internet que tiene la dueña no anda")
/// and a participant's drop beside the customer's working internet are not the customer's.
#[test]
fn mends_of_the_rules_from_probe99_and_probe100() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "en la cabaña que arrendamos el internet que tiene la dueña no anda",
            Fallback,
        ),
        (
            "el participante de Lima se desconectó, pero mi internet iba perfecto",
            Fallback,
        ),
        (
            "a mi sobrino le quitaron el celular en el colegio por usarlo en clases",
            Fallback,
        ),
        (
            "me cobraron la visita y no saben cuándo llegan con fibra a mi pasaje",
            Person,
        ),
        (
            "la vendedora me activó el paquete de canales sin pedirlo",
            Person,
        ),
        // Edges, right before too.
        (
            "el wifi del café donde estudio no funciona, pero es de ellos",
            Fallback,
        ),
        (
            "cuántas lucas me van a cobrar por el router que ya devolví",
            Person,
        ),
        ("el wifi no anda, es de ellos pero el mío tampoco", Restart),
    ]);
}

/// What the rules for `probe99` and `probe100` leave as it was (each read right before
/// them too): a season's greeting alone is small talk, a hard shift that asks for a call or
/// about a request asks, leaving for the competition is a portability.
#[test]
fn edges_of_the_rules_from_probe99_and_probe100() {
    use Intent::{ContactarEjecutivo as Person, Fallback, RevisarAtenciones as Earlier, Salir};
    check(&[
        (
            "bueno los dejo que tengo que ir a buscar a los niños, gracias",
            Salir,
        ),
        ("listo, gracias, feliz semana pa todos", Salir),
        ("mil gracias, un abrazo y cuídense mucho", Salir),
        ("me voy a la cancha que tengo partido, gracias", Salir),
        (
            "perfecto, muchas gracias. Se despide cordialmente la señora Marta",
            Salir,
        ),
        (
            "muy buenas tardes, les saluda la profesora Carmen desde Lonquimay",
            Fallback,
        ),
        ("cuántas lucas sale cambiar el módem de pieza?", Fallback),
        (
            "en la factura aparece el cobro del router que entregamos en la oficina",
            Person,
        ),
        ("quiero saber si llegan con fibra a Puerto Cisnes", Fallback),
        ("el router soporta tener 15 equipos conectados?", Fallback),
        ("la compañía de agua nos cortó sin aviso", Fallback),
        ("la vendimia viene buenísima, harta uva", Fallback),
        ("feliz día del profesor a todos", Fallback),
        ("felices fiestas desde Chillán", Fallback),
        ("el turno estuvo pesado, necesito que me llamen", Person),
        ("la pega está fome, ¿y mi reclamo?", Earlier),
        ("me voy a cambiar a la competencia", Person),
        ("¿cuánto cuesta el plan de 600 megas?", Fallback),
    ]);
}

/// Rules for the misreadings of `probe101` and `probe102` (and some of `probe97` to
/// `probe100`) about earlier requests that name a complaint topic, each checked with
/// sentences of our own that the classifier before them misread: a request left by someone
/// named with an article ("la vecina dejo una queja", "el administrador del edificio dejo
/// un reclamo"), a new date asked for a visit, "alegué", "¿en qué van las tres?".
#[test]
fn rules_from_probe101_and_probe102() {
    use Intent::RevisarAtenciones as Earlier;
    check(&[
        (
            "la vecina dejo una queja por el cobro del cable, la resolvieron o no?",
            Earlier,
        ),
        (
            "el administrador del edificio dejo un reclamo por la señal, alguna novedad?",
            Earlier,
        ),
        ("el técnico que pedí, ¿ya tiene nueva fecha?", Earlier),
        (
            "alegué por un cobro doble el lunes, ¿hay resolución?",
            Earlier,
        ),
        (
            "hicimos tres solicitudes este mes, ¿en qué van las tres?",
            Earlier,
        ),
    ]);
}

/// What the rules for `probe101` and `probe102` leave as it was (each read right before
/// them too): a request the customer has or made asked about by its state, and a complaint
/// filed now ("dejo un reclamo: ...", "tengo un reclamo por un cobro que no reconozco"); and,
/// from their review, a complaint filed now whatever comes before "dejo" ("con toda la
/// bronca"), one told with a colon, an argument with the technician, a concert's new
/// date, a payment's state.
#[test]
fn edges_of_the_rules_from_probe101_and_probe102() {
    use Intent::{ContactarEjecutivo as Person, Fallback, RevisarAtenciones as Earlier};
    check(&[
        (
            "con toda la bronca dejo un reclamo: me cortaron el internet estando al día",
            Person,
        ),
        (
            "tengo un reclamo: me cobraron doble la boleta, ¿qué ha sido de mi plata?",
            Person,
        ),
        (
            "alegamos con el técnico toda la tarde y se fue sin arreglar nada",
            Person,
        ),
        (
            "¿ya tiene nueva fecha el concierto? pedí el pack de canales pa verlo",
            Fallback,
        ),
        (
            "pagué la boleta ayer en la caja vecina, ¿me pueden indicar su estado?",
            Fallback,
        ),
        (
            "tengo un reclamo por un cargo del roaming, quiero saber en qué va",
            Earlier,
        ),
        (
            "les dejé una solicitud de traslado, ¿me dicen si la acogieron?",
            Earlier,
        ),
        (
            "pedí la visita la semana pasada, ¿la agendaron o sigo esperando?",
            Earlier,
        ),
        (
            "ingresamos dos reclamos por la boleta y necesito el estado de cada uno",
            Earlier,
        ),
        ("mi reclamo del 5 de mayo, ¿qué ha sido de él?", Earlier),
        (
            "presenté un reclamo por la factura, agradeceré indicarme el estado de dicho reclamo",
            Earlier,
        ),
        ("tengo un reclamo por un cobro que no reconozco", Person),
        (
            "la vecina dejo el wifi abierto y me cobraron de más",
            Person,
        ),
        ("dejo un reclamo: me cobraron dos veces la boleta", Person),
        ("¿cómo van las cosas por allá?", Fallback),
    ]);
}

/// The weather, the sea or the earth told in a word of their own (a hailstorm, fog, the
/// puelche, a swell, a dry summer) and how tired or sore the customer is, asking nothing of
/// the company: small talk. Each sentence here was read as a failure or a complaint before
/// (`speaks_of_nature`, `tells_of_fatigue`).
#[test]
fn the_weather_and_tiredness_in_words_of_their_own() {
    check(&[
        (
            "anoche cayó tremenda granizada en Rancagua, quedaron las calles blancas",
            Intent::Fallback,
        ),
        (
            "hoy la neblina en la costanera está espesa, apenas se ven los autos",
            Intent::Fallback,
        ),
        (
            "el puelche en la cordillera hoy anda pesado, volaron las carpas",
            Intent::Fallback,
        ),
        (
            "con la marejada cerraron el puerto y los botes no salieron",
            Intent::Fallback,
        ),
        (
            "este verano ha sido durísimo para los cultivos, no cae ni una gota",
            Intent::Fallback,
        ),
        (
            "llevo diez horas de guardia y estoy reventada",
            Intent::Fallback,
        ),
        ("qué semana más larga, por fin viernes", Intent::Fallback),
    ]);
}

/// What the weather and tiredness rules leave to the company (each read so before them
/// too): a failure, a wait, a call, a complaint, a request asked about, a temporary
/// password, a goodbye.
#[test]
fn edges_of_the_weather_and_tiredness() {
    use Intent::{ContactarEjecutivo as Person, RevisarAtenciones as Earlier, Salir};
    check(&[
        (
            "con el temporal se cortó el internet y nadie me atiende",
            Person,
        ),
        (
            "estoy cansada de llamar y que nadie me solucione el cobro",
            Person,
        ),
        ("estoy agotado de esperar al técnico que no llega", Person),
        ("hace un frío terrible, ¿me pueden llamar mañana?", Person),
        (
            "no doy más con ustedes, cada mes me cobran algo distinto",
            Person,
        ),
        (
            "estoy cansado de repetir lo mismo, páseme con una persona",
            Person,
        ),
        (
            "llueve y el router está con la luz roja, me lo reinician",
            Intent::ReiniciarServicios,
        ),
        (
            "pedí la compensación por el corte del terremoto, ¿en qué va?",
            Earlier,
        ),
        (
            "me dieron una clave temporal para revisar mis solicitudes, en qué están",
            Earlier,
        ),
        ("estoy muerta de sueño, gracias por todo, chao", Salir),
        ("hace frío, me voy a acostar, gracias y hasta mañana", Salir),
    ]);
}

/// Thanks with a good day, week or turn wished, a hug, kisses or blessings sent, or a
/// leave-taking anywhere around them: a goodbye (`thanks_with_good_wishes`). Each sentence
/// here was read otherwise before.
#[test]
fn thanks_with_good_wishes_take_leave() {
    check(&[
        (
            "todo resuelto, le agradezco y le deseo un buen viaje de vuelta a casa",
            Intent::Salir,
        ),
        (
            "quedó todo claro, agradecida, un abrazo apretado para la señorita que me atendió",
            Intent::Salir,
        ),
    ]);
}

/// What the thanks with good wishes leave as they were (each read so before them too):
/// goodbyes already read, thanks with a turn against what came before, a move to the
/// competition, a restart, a person or an earlier request asked for.
#[test]
fn edges_of_thanks_with_good_wishes() {
    use Intent::{ContactarEjecutivo as Person, Salir};
    check(&[
        (
            "listo, ya entendí todo, gracias y que tenga un lindo fin de semana",
            Salir,
        ),
        (
            "mil gracias por la ayuda, saludos a todo el equipo y bendiciones",
            Salir,
        ),
        ("gracias señorita, me voy a almorzar que ya es tarde", Salir),
        ("grax x todo, besitos pa las niñas del chat", Salir),
        ("ok muchas gracias, nos vemos en la próxima", Salir),
        (
            "gracias, pero sigo sin respuesta del cobro duplicado, buen día",
            Person,
        ),
        (
            "gracias, me voy a cambiar a la competencia, buen día",
            Person,
        ),
        (
            "le deseo buena semana, aunque el cobro duplicado sigue en la boleta, gracias",
            Person,
        ),
        (
            "gracias por su tiempo, ahora páseme con un ejecutivo por favor, buen día",
            Person,
        ),
        (
            "gracias, ¿me pueden reiniciar el deco? buen día",
            Intent::ReiniciarServicios,
        ),
        (
            "muchas gracias, quiero saber en qué va mi reclamo, saludos",
            Intent::RevisarAtenciones,
        ),
    ]);
}

/// A service to be cancelled or moved is the customer's wherever it was used, and "mi
/// taller de ..." is the customer's own workshop: a complaint for a person. Each read as
/// out of scope before.
#[test]
fn a_service_cancelled_or_moved_from_a_business_is_the_customers() {
    check(&[
        (
            "den de baja la línea fija, la usábamos en la farmacia y ya cerró",
            Intent::ContactarEjecutivo,
        ),
        (
            "necesito trasladar el internet de mi taller de bicicletas al local de enfrente",
            Intent::ContactarEjecutivo,
        ),
    ]);
}

/// The mends of the weather, tiredness and thanks rules after their review (each read
/// otherwise by their first version): "no doy más" with what the customer cannot stand,
/// thanks with what did not help, the "-ísimo" of tiredness.
#[test]
fn mends_of_the_weather_tiredness_and_thanks_rules() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        ("no doy más con este servicio de cuarta", Person),
        ("chao y gracias, el bot no me sirvió para nada", Person),
        ("ando cansadísima con tanto turno", Fallback),
        ("estoy cansadisimo hoy", Fallback),
    ]);
}

/// What those mends leave as it was (each read so by the rules' first version too):
/// thanks with what was not done, and goodbyes to the beach, to work, to the grandchildren.
#[test]
fn edges_of_the_mends_of_the_weather_tiredness_and_thanks_rules() {
    use Intent::{ContactarEjecutivo as Person, Salir};
    check(&[
        (
            "gracias y feliz año, pero no me han devuelto lo del cobro doble",
            Person,
        ),
        (
            "gracias y saludos, nunca me contestaron lo del cargo extra",
            Person,
        ),
        ("gracias, me voy a ver a mis nietos", Salir),
        ("gracias po, me voy a la playa con los cabros", Salir),
        ("ya gracias, nos vamos al trabajo", Salir),
        ("listo gracias, me voy a duchar", Salir),
    ]);
}

/// Any trade a company or supplier is "de" is another business ("la empresa de
/// fumigación", "el proveedor de verduras"): its charges and faults are out of scope. Each
/// read as a complaint before.
#[test]
fn a_supplier_of_any_trade_is_another_business() {
    check(&[
        (
            "la empresa de fumigación nos cobró dos veces la visita",
            Intent::Fallback,
        ),
        (
            "el proveedor de verduras nos mandó todo podrido otra vez",
            Intent::Fallback,
        ),
    ]);
}

/// What that leaves as it was (each read so before too): other suppliers already known,
/// the company called names or by its trade, the customer's internet provider, a debt
/// collector, the customer's own employer.
#[test]
fn edges_of_a_supplier_of_any_trade() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        ("el proveedor de harina nos cobró de más este mes", Fallback),
        (
            "la compañía de seguros del auto me cobró doble la prima",
            Fallback,
        ),
        (
            "esta empresa de porquería me cobró dos veces la boleta",
            Person,
        ),
        (
            "ustedes como empresa de telecomunicaciones deberían responder por el cobro doble",
            Person,
        ),
        ("mi proveedor de internet me cobró doble este mes", Person),
        (
            "la empresa de cobranza me llama todos los días por una deuda que ya pagué",
            Person,
        ),
        (
            "trabajo en una empresa de aseo y me cobraron dos veces el plan",
            Person,
        ),
        (
            "una empresa de este tamaño no puede cobrarme dos veces la misma boleta",
            Person,
        ),
    ]);
}

/// An extra product on the bill the customer did not ask for, in any order (an insurance, a
/// pack, an antivirus; "sin preguntarme", "nadie lo pidió", "le dije que no lo quería"): a
/// charge not recognised. Each read as out of scope before.
#[test]
fn an_extra_product_not_asked_for_on_the_bill() {
    use Intent::ContactarEjecutivo as Person;
    check(&[
        (
            "en la factura viene un antivirus que nadie pidió en la oficina",
            Person,
        ),
        (
            "la niña de la tienda me metió una promo de canales sin preguntarme y ahora viene en la boleta",
            Person,
        ),
        (
            "aparece un paquete de canales en mi boleta y yo le dije al vendedor que no lo quería",
            Person,
        ),
    ]);
}

/// What that leaves as it was (each read so before too): other unasked products already
/// read, and questions about a product not asked for yet, its price or what it brings.
#[test]
fn edges_of_an_extra_product_not_asked_for() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "me pusieron una asistencia en viaje que nunca contraté y ahora sale en la boleta",
            Person,
        ),
        (
            "el de la tienda me encajó un seguro que yo no quería y ahora me lo cobran todos los meses",
            Person,
        ),
        (
            "aparece una suscripción de música en mi cuenta y nunca la pedí",
            Person,
        ),
        (
            "no pedí el pack de fútbol todavía, ¿cuánto sale al mes?",
            Fallback,
        ),
        (
            "¿el seguro del celular se puede contratar después? no lo pedí al comprarlo",
            Fallback,
        ),
        (
            "¿qué canales trae el paquete premium? no lo he pedido aún",
            Fallback,
        ),
    ]);
}

/// A service kept alone after "quítenla" (a clitic on the command), WiFi that "no se
/// alcanza a captar" or "no está llegando", a move of "el servicio" from a business: each
/// read otherwise before.
#[test]
fn a_service_kept_alone_out_of_reach_or_moved_as_el_servicio() {
    check(&[
        (
            "quítenla nomás, que nos quede solo la fibra en la oficina",
            Intent::ContactarEjecutivo,
        ),
        (
            "la señal no se alcanza a captar en la pieza de atrás",
            Intent::ReiniciarServicios,
        ),
    ]);
}

/// What those leave as they were (each read so before too): a move or cancellation of the
/// services named so, WiFi not reaching a place of the customer's, and another business's
/// WiFi, service or account.
#[test]
fn edges_of_a_service_kept_alone_out_of_reach_or_moved() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "nos cambiamos con la botica a la otra cuadra, hay que trasladar el servicio",
            Person,
        ),
        (
            "la academia cierra en marzo, quiero dar de baja los servicios que tenemos ahí",
            Person,
        ),
        (
            "en la bodega del fondo no está llegando el wifi desde ayer",
            Intent::ReiniciarServicios,
        ),
        (
            "en el hotel no está llegando el wifi a las piezas, pero es de ellos",
            Fallback,
        ),
        (
            "¿el servicio de la funeraria incluye el traslado del cuerpo?",
            Fallback,
        ),
        (
            "quiero dar de baja mi cuenta del gimnasio, cómo lo hago",
            Fallback,
        ),
    ]);
}

/// The mends of the supplier, unasked-product and cancelled-service rules after their
/// review (each read right before the rules, wrong by their first version): what else a
/// company is "de" (toda la vida, manera, vuelta), a relative told not to order a product,
/// another business's plan cancelled or moved.
#[test]
fn mends_of_the_supplier_unasked_product_and_cancelled_service_rules() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        ("la empresa de toda la vida me cobró doble este mes", Person),
        (
            "la empresa de manera sorpresiva me cobró un recargo en la boleta",
            Person,
        ),
        ("la compañía de vuelta me cobró dos veces", Person),
        (
            "le dije a mi hijo que no pidiera el pack de juegos porque sube la cuenta",
            Fallback,
        ),
        ("quiero dar de baja el plan dental de la isapre", Fallback),
        (
            "necesito trasladar el plan de salud de la isapre a fonasa",
            Fallback,
        ),
    ]);
}

/// "Vuelta" and "chat" keep the weather and tiredness from small talk only as themselves
/// ("tantas vueltas", "este chat"): a way back told with a tiring week is small talk (read
/// as a complaint before), and the runaround and the chat still are not.
#[test]
fn a_way_back_is_no_runaround() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        ("de vuelta del campo, qué semana más pesada", Fallback),
        (
            "estoy cansada de tantas vueltas, nadie me soluciona nada",
            Person,
        ),
        (
            "estoy agotado de chatear con una máquina, quiero una persona",
            Person,
        ),
    ]);
}

/// Life told with nothing of the company's in it (a day at the beach, a birthday, an
/// operation, a sting, a driving test): out of scope, where the model alone leaned, not
/// surely, to a person (`Prediction::unrelated_if`). Each was read as a wish for a person
/// before.
#[test]
fn life_told_with_nothing_of_the_company_is_out_of_scope() {
    check(&[
        (
            "ayer fui a la playa con los niños y se quemaron enteros",
            Intent::Fallback,
        ),
        (
            "mi abuelita cumple noventa años el sábado y le vamos a hacer una once",
            Intent::Fallback,
        ),
        (
            "mañana me toca dar la prueba de manejo, estoy nerviosa",
            Intent::Fallback,
        ),
        (
            "me operan de la rodilla el próximo martes",
            Intent::Fallback,
        ),
        (
            "me picó una avispa en el brazo y se me hinchó entero",
            Intent::Fallback,
        ),
    ]);
}

/// What the unrelated rule leaves to the model and the other rules (each read so before it
/// too): a price rise, a contract ended, a seller's promise, a connection or a person asked
/// for in a few words, a menu number, a restart, a record of mistreatment, conditions
/// changed.
#[test]
fn edges_of_the_unrelated_rule() {
    use Intent::{ContactarEjecutivo as Person, ReiniciarServicios as Restart};
    check(&[
        ("me subieron la mensualidad sin avisarme", Person),
        (
            "mi mamá quiere terminar el contrato porque se va a vivir con mi hermana",
            Person,
        ),
        (
            "el vendedor me prometió otra cosa y ahora me sale todo distinto",
            Person,
        ),
        ("llevo tres días llamando y nadie me responde", Person),
        ("quiero dejar constancia de lo mal que me trataron", Person),
        ("me cambiaron las condiciones sin preguntarme nada", Person),
        ("¿hay alguien que me pueda atender?", Person),
        ("la 3 porfa", Person),
        (
            "la tele se quedó pegada en la misma imagen, reinícienla porfa",
            Restart,
        ),
    ]);
}

/// Goodbyes, questions about the bot and complaints in words the rules lacked: thanks
/// shortened ("grx", "tks", "bn nochs"), hugs sent to the whole team, thanks in Haitian
/// Creole; who reads what one writes; the earth shaking, legs wrecked after a race, "feliz
/// 18" to the "cabros"; a request never answered, a threat to leave if a fix does not
/// come, a service moved "al local nuevo", one kept alone while another is dropped, a
/// product "jamás solicitado" billed, a technician who left things the same; a modem
/// "sin dar internet". Each was misread before.
#[test]
fn goodbyes_bot_questions_and_complaints_in_new_words() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        ("oki grx, bn nochs a todos", Salir),
        ("tks, bna tarde pa todos", Salir),
        ("abrazos a todo el equipo, unos cracks", Salir),
        ("orevwa, mesi pou tout", Salir),
        ("¿quién lee después lo que uno escribe aquí?", Fallback),
        (
            "está temblando fuerte acá en Illapel, ¿lo sintieron?",
            Fallback,
        ),
        (
            "hoy corrí la maratón y tengo las piernas destrozadas",
            Fallback,
        ),
        ("¡feliz 18 cabros, que lo pasen la raja!", Fallback),
        (
            "nunca me respondieron lo que reclamé la otra vez, qué falta de respeto",
            Person,
        ),
        ("si no me responden hoy los dejo", Person),
        (
            "hay que mover el internet al local nuevo de la feria",
            Person,
        ),
        ("déjenme solo con el wifi, no quiero más la tele", Person),
        (
            "en la oficina nos están facturando un seguro que jamás solicitamos",
            Person,
        ),
        (
            "el técnico estuvo toda la mañana, se fue y la tele quedó igual",
            Person,
        ),
        (
            "volvió la luz hace rato pero el router sigue sin dar internet",
            Restart,
        ),
    ]);
}

/// What those mends leave as it was (each read so before them too): a goodbye "si no hay
/// nada más", hugs to a relative, hugs with a failure and a person asked for, a question
/// about the bot with a person asked for, thanks for nothing, a request asked about, a
/// restart asked for; and "déjenme solo con la tele" that keeps the customer alone, not one
/// service.
#[test]
fn edges_of_the_goodbye_bot_question_and_complaint_mends() {
    use Intent::{
        ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart,
        RevisarAtenciones as Earlier, Salir,
    };
    check(&[
        ("bueno, si no hay nada más, los dejo", Salir),
        ("abrazos a mi abuelita que me está leyendo, chao", Salir),
        (
            "abrazos a todo el equipo, pero sigo sin internet y quiero hablar con alguien",
            Person,
        ),
        (
            "¿eres una IA? quiero hablar con una persona de verdad",
            Person,
        ),
        ("gracias por nada, el cobro sigue igual", Person),
        ("¿ya respondieron el reclamo que puse el lunes?", Earlier),
        (
            "¿en qué va mi solicitud de traslado al depto nuevo?",
            Earlier,
        ),
        (
            "el módem no da internet desde la mañana, reinícienlo porfa",
            Restart,
        ),
        (
            "déjenme solo con la tele, no reinicien nada que estoy viendo la teleserie",
            Fallback,
        ),
    ]);
}

/// The company's phone number asked for is out of scope, as branches and hours are (the
/// guide), whatever the model read (`entities::asks_for_the_number`): each of the first
/// two was read as a wish for a person before. Not the number of a request, nor a number
/// asked for to complain or be called.
#[test]
fn the_companys_phone_number_is_out_of_scope() {
    use Intent::{ContactarEjecutivo as Person, Fallback, RevisarAtenciones as Earlier};
    check(&[
        (
            "¿me pasan el número de atención al cliente? quiero llamar mañana temprano",
            Fallback,
        ),
        ("¿a qué número puedo llamar desde Argentina?", Fallback),
        ("oiga, ¿cuál es el número del servicio técnico?", Fallback),
        ("mi número de atención es el 55102, ¿en qué va?", Earlier),
        ("¿cuál es el número de mi reclamo? lo perdí", Earlier),
        (
            "llamé al número de atención al cliente y nadie contesta, quiero hablar con un ejecutivo",
            Person,
        ),
        ("necesito que me llamen al número que tengo registrado", Person),
        (
            "me cobraron dos veces, ¿a qué número llamo para reclamar?",
            Person,
        ),
    ]);
}

/// Goodbyes with what keeps the customer busy after them, a complaint filed about a branch,
/// a product added by a seller without asking, a restart that came to nothing, the
/// papers for a procedure, an introduction from a town, noise on the line (probe114 to
/// probe116's misreads, in words of my own). Each was misread before.
#[test]
fn goodbyes_with_a_reason_and_complaints_about_a_branch_or_a_seller() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        ("bueno, los dejo, tengo pacientes esperando", Salir),
        (
            "ya te dejo, tengo que ir a dejar a la abuela al consultorio",
            Salir,
        ),
        ("después les escribo, ahora estoy en una reunión", Salir),
        (
            "la vendedora me inscribió en un seguro sin consultarme",
            Person,
        ),
        (
            "anoche me reiniciaron el módem y otra vez se congela todo",
            Person,
        ),
        (
            "pa cancelar el contrato, ¿hay que ir sí o sí a una sucursal?",
            Fallback,
        ),
        (
            "hola, me llamo Ernesto y les escribo desde Curicó",
            Fallback,
        ),
        (
            "en el fijo hay como estática y no se entiende lo que dicen",
            Restart,
        ),
    ]);
}

/// What those mends leave as it was (each read so before them too): a complaint filed
/// about a branch and one about another business, papers asked for to complain, a name
/// given with a call asked for, an app a relative installed, a restart asked for by
/// someone with customers waiting.
#[test]
fn edges_of_the_goodbye_with_a_reason_and_branch_complaint_mends() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart};
    check(&[
        (
            "vengo a poner una queja por cómo me atendieron en la sucursal del centro",
            Person,
        ),
        (
            "quiero poner una queja en el sernac contra el supermercado",
            Fallback,
        ),
        (
            "¿tengo que ir a una sucursal para reclamar por un cobro doble?",
            Person,
        ),
        ("me llamo Ernesto, llámenme por favor", Person),
        (
            "mi hijo me instaló una app que nadie pidió en el celu",
            Fallback,
        ),
        (
            "tengo clientes esperando y el internet no funciona, reinicien el módem porfa",
            Restart,
        ),
    ]);
}

/// A request asked about as "¿le han dado curso?", "¿se llegó a procesar?" or "¿alguna de
/// las dos salió?"; a technician thanked for leaving it working; a season wished to the
/// whole team; who one chats with or who reads the messages; the health of sleeping by
/// the router after a lead-in; a price rise asked about (probe114 to probe116's misreads,
/// in words of my own). Each was misread before.
#[test]
fn requests_followed_up_in_new_words_and_questions_about_the_chat_or_prices() {
    use Intent::{Fallback, RevisarAtenciones as Earlier, Salir};
    check(&[
        (
            "Hice un reclamo por el cobro hace días, ¿le han dado curso?",
            Earlier,
        ),
        (
            "ya pedí dos veces la portabilidad, ¿alguna de las dos salió?",
            Earlier,
        ),
        (
            "mi señora pidió el traslado en mayo, ¿se llegó a procesar?",
            Earlier,
        ),
        (
            "la técnica vino y dejó el internet funcionando, mil gracias, hasta luego",
            Salir,
        ),
        (
            "felices fiestas a todo el equipo, que les vaya bonito",
            Salir,
        ),
        ("¿con quién tengo el gusto? ¿es automático esto?", Fallback),
        ("¿los mensajes los lee alguien de verdad?", Fallback),
        (
            "tengo una duda: ¿es malo dormir con el router prendido al lado de la cama?",
            Fallback,
        ),
        (
            "¿es verdad que van a subir los planes el próximo año?",
            Fallback,
        ),
    ]);
}

/// What those mends leave as it was (each read so before them too): a technician who left
/// things badly or the same, a price rise told or disputed, a button or a price asked
/// about in the words read before.
#[test]
fn edges_of_the_follow_up_chat_and_price_mends() {
    use Intent::{ContactarEjecutivo as Person, Fallback};
    check(&[
        (
            "el técnico dejó el módem mal conectado y no tengo internet",
            Person,
        ),
        ("el técnico vino y dejó todo igual, sigo sin señal", Person),
        ("me subieron los precios sin avisar", Person),
        ("¿por qué me van a subir el plan si tengo contrato?", Person),
        ("¿qué hace el botón que dice WPS en el router?", Fallback),
        (
            "¿cuánta plata más me saldría el plan con más megas?",
            Fallback,
        ),
    ]);
}

/// A goodbye called away to eat, a call turned down alone, a restart done by the customer
/// in vain ("ya lo hice yo ... y nada"), a request asked whether "está resuelta o no"
/// (probe117 and probe118's misreads, in words of my own). Each was misread before.
#[test]
fn a_call_turned_down_and_a_restart_done_in_vain() {
    use Intent::{ContactarEjecutivo as Person, Fallback, RevisarAtenciones as Earlier, Salir};
    check(&[
        ("ya te dejo, me llaman pa tomar once", Salir),
        ("no quiero que me llamen, ni se les ocurra", Fallback),
        (
            "no reinicien el módem, ya lo hice yo tres veces y nada",
            Person,
        ),
        (
            "dejé una queja el mes pasado, ¿me dice si está resuelta o no?",
            Earlier,
        ),
    ]);
}

/// What those mends leave as it was (each read so before them too): a call turned down
/// with a person asked for or a failure told, a resolution thanked for, a lost phone, a
/// person asked for with the matter named, a harvest told.
#[test]
fn edges_of_the_call_and_restart_mends() {
    use Intent::{ContactarEjecutivo as Person, Fallback, ReiniciarServicios as Restart, Salir};
    check(&[
        (
            "no me llamen, prefiero hablar con un ejecutivo por acá",
            Person,
        ),
        (
            "no quiero que me llamen, no tengo internet desde ayer",
            Restart,
        ),
        ("ya está resuelto, gracias, chao", Salir),
        (
            "el celu se me cayó del bote y no lo encontré, necesito bloquear la línea",
            Person,
        ),
        (
            "¿me comunican con una persona? es por lo del traslado",
            Person,
        ),
        (
            "la siembra de trigo este año estuvo buenísima en el valle",
            Fallback,
        ),
    ]);
}
