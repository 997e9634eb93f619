//! Small extractors the conversation uses outside intent classification: yes/no answers,
//! request numbers, picking a request by its description, and cancelling a wait.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashSet;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::text::{self, words, CLAUSE_BREAK};

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::Spanish))
}

const YES: &[&str] = &[
    "si",
    "sip",
    "sii",
    "sis",
    "claro",
    "dale",
    "ya",
    "ok",
    "oka",
    "okey",
    "okay",
    "bueno",
    "obvio",
    "afirmativo",
    "correcto",
    "exacto",
    "exactamente",
    "perfecto",
    "vale",
    "listo",
    "bacan",
    "confirmo",
    "confirmado",
    "efectivamente",
    "porsupuesto",
    "seguro",
    "yes",
    "yep",
    "sipo",
    "sep",
    "simon",
    "va",
];
const NO: &[&str] = &[
    "no", "nop", "nope", "nel", "negativo", "nunca", "tampoco", "jamas", "nones", "noo", "na",
];
/// Filler words that may follow a yes/no ("sí po", "no gracias").
const FILLER: &[&str] = &[
    "po", "pues", "gracias", "porfa", "por", "favor", "nomas", "mas", "bien", "eso", "es", "señor",
    "senor", "senorita", "de", "acuerdo", "supuesto", "muchas", "que", "si", "ya", "oye", "claro",
    "seguro", "dale", "bueno", "okay", "ok", "listo", "todo", "mejor", "quiero", "necesito",
    "ahora", "todavia", "hazlo", "hagalo", "al", "tiro", "altiro", "porfavor", "acepto", "gusto",
    "momento", "aun", "obvio",
];

/// Reads a yes/no answer: "sí", "si po", "claro", "dale", "ya", "de acuerdo" -> `true`;
/// "no", "nop", "para nada", "claro que no", "mejor no" -> `false`; anything else
/// ("no sé", "el martes") -> `None`.
pub fn yes_no(input: &str) -> Option<bool> {
    let norm = text::normalize(input);
    let toks: Vec<&str> = words(&norm).collect();
    let joined = toks.join(" ");
    if toks.is_empty() {
        return None;
    }
    // Uncertainty is neither.
    let unsure = [
        "no se",
        "no lo se",
        "no estoy seguro",
        "tal vez",
        "quizas",
        "puede ser",
    ];
    if unsure.iter().any(|u| contains_phrase(&joined, u)) {
        return None;
    }
    let negative_phrases = [
        "para nada",
        "claro que no",
        "mejor no",
        "por ningun motivo",
        "de ninguna manera",
        "ni cagando",
        "ni ahi",
        "no gracias",
        "ya no",
        "todavia no",
        "aun no",
        "ahora no",
    ];
    if negative_phrases.iter().any(|p| contains_phrase(&joined, p)) {
        return Some(false);
    }
    let positive_phrases = [
        "de acuerdo",
        "por supuesto",
        "esta bien",
        "ta bien",
        "me parece",
    ];
    let first = toks[0];
    let answer = if NO.contains(&first) {
        Some(false)
    } else if YES.contains(&first) || positive_phrases.iter().any(|p| joined.starts_with(p)) {
        Some(true)
    } else {
        None
    }?;
    // The rest must not contradict or add a new request ("si, pero quiero salir").
    let rest_ok = toks[1..]
        .iter()
        .all(|t| FILLER.contains(t) || (answer && YES.contains(t)) || (!answer && NO.contains(t)));
    rest_ok.then_some(answer)
}

/// Wishes a leading "no" can turn down ("no quiero ...", "tampoco necesito ...").
const WISHES: &[&str] = &[
    "quiero",
    "kiero",
    "quisiera",
    "queria",
    "necesito",
    "deseo",
    "pido",
    "busco",
    "interesa",
    "gustaria",
    "hace",
    "necesario",
];

/// Requests of an action that, negated up front, turn it down ("no reinicien", "no me
/// corten el servicio").
const ACTIONS_TURNED_DOWN: &[&str] = &[
    "reinicien",
    "reinicies",
    "reseteen",
    "resetees",
    "apaguen",
    "corten",
    "desconecten",
    "toquen",
    "den",
    "pasen",
    "comuniquen",
    "transfieran",
    "deriven",
];

/// The customer's possessives ("mi internet", "nuestra conexión").
const POSSESSIVES: &[&str] = &["mi", "mis", "nuestro", "nuestra", "nuestros", "nuestras"];

/// Whether the "ya no" at `at` tells what someone no longer does, after the message began:
/// the customer or their people ("quiero cancelar la tv satelital, ya no la usamos"), or a
/// subject named before it ("bájenme el plan, el coro ya no ensaya"); not a wish ("ya no la
/// queremos", "ya no me interesa").
fn no_longer_does(toks: &[&str], at: usize) -> bool {
    let mut after = toks[at + 2..].iter().copied();
    let Some(mut verb) = after.next() else {
        return false;
    };
    if CLITICS.contains(&verb) {
        let Some(next) = after.next() else {
            return false;
        };
        verb = next;
    }
    // (Nor the change itself called off: "ya no damos de baja el internet", "ya no hacemos
    // el traslado".)
    let wish = [
        "quer", "quier", "necesit", "interes", "dese", "pid", "ped", "busc", "gust", "dam", "hac",
        "cambi", "cancel", "traslad", "baj", "sub", "contrat", "mud", "pas",
    ]
    .iter()
    .any(|stem| verb.starts_with(stem))
        || WISHES.contains(&verb);
    let ours = ["amos", "emos", "imos"]
        .iter()
        .any(|end| verb.ends_with(end));
    let subject = at >= 2
        && (matches!(toks[at - 2], "el" | "la" | "los" | "las" | "su" | "sus")
            || POSSESSIVES.contains(&toks[at - 2]))
        || matches!(
            toks[at - 1],
            "yo" | "nosotros" | "nosotras" | "ella" | "ellos" | "ellas"
        );
    !wish && (ours || subject)
}

/// Whether the message turns something down: a plain no ("no", "no gracias", "para
/// nada") or a wish or an action negated up front ("no quiero hablar con un ejecutivo",
/// "tampoco necesito eso", "no hace falta", "no me reinicien nada"). Doubt and confusion
/// ("no sé", "no entiendo") are not.
pub fn declines(input: &str) -> bool {
    let norm = text::normalize(input);
    let toks: Vec<&str> = words(&norm).collect();
    // "Ya no" and what no longer is gives a reason, not a refusal ("bájenme el plan, ya no
    // ocupo tanto", "ya no nos alcanza la velocidad"), when it is the message's only "no"
    // (a "casi no" is no refusal either: "el coro ya no ensaya y casi no usamos internet").
    let reason_only = || {
        toks.iter()
            .enumerate()
            .filter(|&(i, t)| *t == "no" && (i == 0 || toks[i - 1] != "casi"))
            .count()
            == 1
            && toks.windows(3).enumerate().any(|(i, w)| {
                let next = toks.get(i + 3).copied().unwrap_or("");
                w[0] == "ya"
                    && w[1] == "no"
                    && (match w[2] {
                        "ocupo" | "ocupamos" | "uso" | "usamos" | "vivo" | "vivimos"
                        | "trabajo" | "trabajamos" | "alcanza" | "sirve" | "veo" | "vemos" => true,
                        // ("Ya no nos alcanza", not "ya no me interesa".)
                        "me" | "nos" => matches!(next, "alcanza" | "alcanzan" | "sirve" | "sirven"),
                        _ => false,
                    } || i > 0 && no_longer_does(&toks, i))
            })
    };
    if yes_no(input) == Some(false) && !reason_only() {
        return true;
    }
    if turned_down_after(&toks) {
        return true;
    }
    // After an interjection ("tranquilo, no quiero cambiarme de compañía").
    let start = toks
        .iter()
        .take_while(|t| {
            matches!(
                **t,
                "tranquilo"
                    | "tranquila"
                    | "tranquilos"
                    | "tranquilas"
                    | "tranqui"
                    | "calma"
                    | "oye"
                    | "ok"
                    | "okey"
                    | "bueno"
                    | "ah"
                    | "ahh"
                    | "jaja"
                    | "jajaja"
                    | "perdon"
                    | "disculpe"
            )
        })
        .count();
    match toks[start..].split_first() {
        Some((first, rest)) if NO.contains(first) || *first == "ni" => rest
            .iter()
            .take(3)
            .any(|t| WISHES.contains(t) || ACTIONS_TURNED_DOWN.contains(t)),
        _ => false,
    }
}

/// Words that name a person to talk to.
const PERSON_WORDS: &[&str] = &[
    "ejecutivo",
    "ejecutiva",
    "ejecutivos",
    "persona",
    "humano",
    "humana",
    "alguien",
    "supervisor",
    "supervisora",
    "operador",
    "operadora",
    "agente",
];

/// What the bot offers, named in a fragment that turns it down ("ejecutivo no").
const OFFERED: &[&str] = &["reinicio", "reiniciar", "reset", "resetear", "salir"];

/// A fragment that names what it turns down before the "no": "nah, ejecutivo no",
/// "reinicio no, gracias", "una persona no". At most three words before the "no" (past
/// courtesy words after it), one of them a person or something the bot offers; "la tele
/// no" is a service that does not work, not a refusal.
pub(super) fn turned_down_after<T: AsRef<str>>(toks: &[T]) -> bool {
    let end = toks.len()
        - toks
            .iter()
            .rev()
            .take_while(|t| matches!(t.as_ref(), "gracias" | "po" | "porfa" | "mejor"))
            .count();
    let Some((last, before)) = toks[..end].split_last() else {
        return false;
    };
    last.as_ref() == "no"
        && (1..=3).contains(&before.len())
        && before.iter().any(|t| {
            let t = t.as_ref();
            PERSON_WORDS.contains(&t) || OFFERED.contains(&t)
        })
}

/// Beginnings of the verbs that ask to be put through ("hablar", "comuníqueme", "páseme",
/// "transfiéranme", "contactar", "derívenme", "que me llame").
const CONTACT_VERBS: &[&str] = &[
    "habl", "comunic", "comuniq", "pasar", "pase", "pasam", "transfi", "contact", "deriv", "llam",
];

/// Whether the message asks to be put through to a person ("comuníqueme con un ejecutivo
/// por lo del plan"): a contact verb at most four words before a person word, not negated
/// in the three words before it ("no quiero hablar con un ejecutivo"). A person named
/// otherwise ("alguien usó mi cuenta") is not an ask.
pub fn names_a_person(input: &str) -> bool {
    names_a_person_in(&text::normalize(input))
}

/// [`names_a_person`] of an already normalised text.
pub(crate) fn names_a_person_in(norm: &str) -> bool {
    // (With the clause breaks: a "no" in the clause before denies nothing, "reseteen el
    // deco. no, pensándolo bien, comuníqueme con un supervisor".)
    let toks: Vec<&str> = text::tokens(norm).collect();
    toks.iter().enumerate().any(|(i, t)| {
        PERSON_WORDS.contains(t)
            && (i.saturating_sub(4)..i).any(|v| {
                let before = toks[v.saturating_sub(3)..v]
                    .rsplit(|w| *w == CLAUSE_BREAK)
                    .next()
                    .unwrap_or_default();
                CONTACT_VERBS.iter().any(|verb| toks[v].starts_with(verb))
                    && !before
                        .iter()
                        .any(|w| NO.contains(w) || matches!(*w, "ni" | "tampoco" | "sin"))
            })
    })
}

/// Whether a normalised text speaks of reaching a person at all: a person word after a
/// contact verb, however far ("¿puedo hablar yo mismo con un supervisor?") and whether
/// denied or not; broader than [`names_a_person_in`], for the rules that must leave any
/// such message to the model.
pub(crate) fn speaks_of_a_person(norm: &str) -> bool {
    let mut contact = false;
    words(norm).any(|t| {
        contact |= CONTACT_VERBS.iter().any(|verb| t.starts_with(verb));
        contact && PERSON_WORDS.contains(&t)
    })
}

/// Words that ask for something new or again ("una nueva clave", "otra vez"), rather than
/// about something asked before.
const NEW_WORDS: &[&str] = &["nueva", "nuevo", "otra", "otro", "cambiar", "denuevo"];

/// Whether the message asks for something new or again, so that an earlier request it
/// resembles is not what it wants ("quiero una nueva clave wifi", "me cobraron doble otra
/// vez").
pub fn asks_for_new(input: &str) -> bool {
    let norm = text::normalize(input);
    words(&norm).any(|t| NEW_WORDS.contains(&t)) || contains_phrase(&norm, "de nuevo")
}

/// Words that tell of a request made earlier ("puse un reclamo", "pedí que me bajaran el
/// plan", "ingresé un caso").
const EARLIER_REQUEST: &[&str] = &[
    "puse",
    "ingrese",
    "hice",
    "pedi",
    "pidio",
    "solicite",
    "solicito",
    "deje",
    "abri",
    "reclame",
    "reporte",
    "levante",
    "curso",
    "presente",
    "escribi",
    "hizo",
    "mande",
    "pedimos",
    "solicitamos",
    "pusimos",
    "hicimos",
    "ingresamos",
    "dejamos",
    "reclamamos",
    "reportamos",
    "interpuse",
    "interpuso",
    "interpusimos",
];
/// Words before "el reclamo" that file one now rather than name one made before ("quiero
/// hacer el reclamo").
const FILING: &[&str] = &[
    "hacer",
    "poner",
    "ingresar",
    "dejar",
    "presentar",
    "levantar",
    "registrar",
    "quiero",
    "quisiera",
    "necesito",
    "hago",
    "pongo",
];
/// Verbs of someone else making a request, before "un reclamo", "una solicitud"...
/// ("dejó un reclamo", "ingresaron una solicitud"; alone they also say other things:
/// "me dejó sin internet", "el ingreso").
const THEIR_REQUEST: &[&str] = &[
    "dejo",
    "dejaron",
    "puso",
    "pusieron",
    "ingreso",
    "ingresaron",
    "levanto",
    "levantaron",
    "abrio",
    "abrieron",
    "hicieron",
];
/// Someone a customer writes for, after "mi" or "su" ("mi hijo dejó un reclamo").
const SOMEONE_ELSE: &[&str] = &[
    "hijo", "hija", "senora", "esposo", "esposa", "marido", "mama", "papa", "hermano", "hermana",
    "suegra", "suegro", "abuelo", "abuela", "pareja", "pololo", "polola", "tio", "tia", "vecino",
    "vecina", "jefe", "jefa",
];

/// What a customer calls a request made before, after "mi" ("mi reclamo por el cargo q no
/// reconozco sigue abierto?"; not "en mi caso").
const REQUEST_NOUNS: &[&str] = &[
    "reclamo",
    "queja",
    "complaint",
    "reclamacion",
    "apelacion",
    "solicitud",
    "caso",
    "ticket",
    "requerimiento",
    "tramite",
    "gestion",
    "orden",
];
/// Whether an already normalised text calls something a request, by one of
/// [`REQUEST_NOUNS`] ("¿hay respuesta al reclamo que dejé?"), or by the number the chat
/// gave it ("el chat de ayer me dio el código 6610452", [`numbered`]).
pub(crate) fn names_request(normalized: &str) -> bool {
    words(normalized).any(|t| REQUEST_NOUNS.contains(&t)) || {
        let toks: Vec<&str> = words(normalized).collect();
        numbered(&toks)
    }
}

/// Questions about how something stands ("¿en qué va?", "¿ya está listo?").
const STATUS_QUESTIONS: &[&str] = &[
    "en que va",
    "en q va",
    "en q esta",
    "en q quedo",
    "q paso con",
    "se sabe algo",
    "saben algo",
    "eso salio",
    "salio eso",
    "en que esta",
    "en que estan",
    "en que etapa",
    "en que estado",
    "como va",
    "como termino",
    "como quedo",
    "ya esta",
    "ya quedo",
    "ya salio",
    "que paso con",
    "que pasa con",
    "q pasa con",
    "que ha pasado con",
    "q ha pasado con",
    "que onda con",
    "q onda con",
    "que onda mi",
    "q onda mi",
    "lo esta viendo",
    "sigue en proceso",
    "sigue en tramite",
    "esta en tramite",
    "en que quedo",
    "sigue abierto",
    "sigue abierta",
    "sigue pendiente",
    "si ya fue",
    "ya se hizo",
    "ya se realizo",
    "ya se aplico",
    "ya esta aplicado",
    "ya esta aplicada",
    "ya fue revisado",
    "ya fue revisada",
    "ya fue resuelto",
    "ya fue resuelta",
    "ya fue aprobado",
    "ya fue aprobada",
    "ya fue atendido",
    "ya fue atendida",
    "cuando me van a responder",
    "cuando van a responder",
    "cuando me responden",
    "alguna respuesta",
    "hay respuesta",
    "hubo respuesta",
    "tienen respuesta",
    "alguna novedad",
    "seguimiento",
    "estatus",
    "status",
    "any update",
    "alguna update",
    "algun update",
    "alguna actualizacion",
    "hay actualizacion",
    "cuando queda listo",
    "cuando queda lista",
    "cuando quedara listo",
    "cuando quedara lista",
    "cuando estara listo",
    "cuando estara lista",
    "eso se hizo",
    "se hizo eso",
    "eso se vio",
    "se vio eso",
    "alguna resolucion",
    "cuanto falta",
    "cuanto le falta",
    "cuando me dan respuesta",
    "cuando me dan una respuesta",
    "cuando me daran respuesta",
    "cuando dan respuesta",
    "cuando tendre respuesta",
    "cuando tendremos respuesta",
    "van a hacer o no",
    "van a devolver o no",
    "van a aplicar o no",
    "van a resolver o no",
    "van a solucionar o no",
    "ya tiene fecha",
    "o sigo esperando",
    "o seguimos esperando",
    "lo acogieron",
    "la acogieron",
    "si avanzo",
    "si eso avanzo",
    "alguno avanzo",
    "alguna de las dos salio",
    "alguno de los dos salio",
    "dado curso",
    "dieron curso",
    "se llego a procesar",
    "ya se proceso",
    "ya fue procesado",
    "ya fue procesada",
    "esta resuelta o no",
    "esta resuelto o no",
    "si esta resuelta",
    "si esta resuelto",
];
/// Questions whether a request has been resolved or has news ("¿ya hay resolución?",
/// "¿tienen novedades?"), not when denied ("aún no hay resolución, exijo una
/// compensación", "todavía no hay noticias" complain).
const DENIABLE_QUESTIONS: &[&str] = &[
    "hay novedades",
    "tienen novedades",
    "alguna novedad",
    "hay noticias",
    "tienen noticias",
    "alguna noticia",
    "hay resolucion",
    "hay una resolucion",
    "tienen resolucion",
    "tienen una resolucion",
    "tienen ya una resolucion",
    "hay ya una resolucion",
    "hay algo nuevo",
    "tiene resolucion",
    "tiene respuesta",
    "tiene alguna respuesta",
    "llego respuesta",
    "llego alguna respuesta",
    "llego la respuesta",
];

/// Questions whether a request was answered ("¿será que ya le dieron respuesta?"), read
/// only in a question and not denied in it ("nunca me dieron respuesta" complains; "me
/// dieron respuesta y el cargo sigue" tells).
const ANSWERED_QUESTIONS: &[&str] = &[
    "dieron respuesta",
    "dieron alguna respuesta",
    "han dado respuesta",
    "han dado alguna respuesta",
];

/// Verbs that ask about something, before "por" and a request ("preguntar por el
/// reclamo").
const ASK_ABOUT: &[&str] = &[
    "preguntar",
    "preguntara",
    "pregunto",
    "pregunte",
    "preguntarles",
    "consultar",
    "consultara",
    "consulto",
    "consultarles",
];

/// Questions whether a request reached the company ("¿les llegó?"), read only when the
/// message names a request.
const ARRIVED_QUESTIONS: &[&str] = &[
    "les llego",
    "le llego",
    "les llegaron",
    "lo recibieron",
    "la recibieron",
    "lo tienen registrado",
    "la tienen registrada",
];

/// Whether the message asks how a request made earlier stands ("puse un reclamo por un
/// cargo que no reconozco, ¿en qué está?"), without asking for a person: the complaint's
/// words name the earlier request, not a new one.
pub fn asks_status_of_earlier(input: &str) -> bool {
    asks_status_of_earlier_in(input, &text::normalize(input))
}

/// [`asks_status_of_earlier`] of `input`, already normalised as `norm`.
pub(crate) fn asks_status_of_earlier_in(input: &str, norm: &str) -> bool {
    let toks: Vec<&str> = words(norm).collect();
    // "Mi reclamo", "el reclamo", "la orden" name one made before; "en mi caso" and "el
    // caso es que" are manners of speaking, not a request.
    let mine = |i: usize| {
        let Some(noun) = toks.get(i + 1) else {
            return false;
        };
        let named = match toks[i] {
            "mi" | "su" | "my" => REQUEST_NOUNS.contains(noun),
            "el" | "la" => *noun != "caso" && REQUEST_NOUNS.contains(noun),
            // "Seguimiento del caso", "seguimiento al reclamo", "respuesta del reclamo".
            "del" | "al" => {
                i > 0
                    && matches!(
                        toks[i - 1],
                        "seguimiento" | "respuesta" | "estado" | "avance" | "resultado"
                    )
                    && REQUEST_NOUNS.contains(noun)
            }
            _ => false,
        };
        // Not one being filed now ("quiero hacer el reclamo", "quiero dejar mi reclamo").
        let before = if i == 0 { "" } else { toks[i - 1] };
        named && before != "en" && !FILING.contains(&before)
    };
    // "Quiero saber si ya ...": whether something asked for already happened.
    let asks_whether_already = [
        "saber si ya",
        "confirmar si ya",
        "consultar si ya",
        "ver si ya",
    ]
    .iter()
    .any(|q| contains_phrase(norm, q));
    // Asking whether it was done ("saber si aprobaron el cambio de plan"), or after a
    // request named after "y" in a question ("¿y el reclamo del cobro doble?"), tells of a
    // request and asks how it stands.
    let and_the_request = input.contains('?')
        && toks.windows(3).any(|w| {
            w[0] == "y" && matches!(w[1], "el" | "la" | "mi") && REQUEST_NOUNS.contains(&w[2])
        });
    // (Not while telling a failure, "saber si mandaron a alguien, sigo sin internet",
    // unless a request is named: "saber si se acogió la reclamación por los días sin
    // servicio".)
    // (Nor of what was promised: "saber si salió la nota de crédito que me prometieron por
    // los días sin servicio".)
    let asks_outright = (wants_to_know_if_done(&toks) || and_the_request)
        && ((0..toks.len()).any(mine)
            || toks.iter().any(|t| PROMISED.contains(t))
            || !fails(&without_clause_breaks(norm)));
    // Someone else's request, for whom the customer writes ("mi hermano dejó un reclamo a
    // mi nombre"): a verb of making one, then the request.
    // Without their accents "dejo", "ingreso" and "levanto" also file one now ("Buenas
    // tardes, dejo un reclamo: ..."): those count only as written with it ("dejó").
    let accented = |verb: &str| {
        let past = format!("{}ó", &verb[..verb.len() - 1]);
        input.to_lowercase().contains(&past)
    };
    // ... or after someone else named as its subject, right before it or with a relative
    // clause ("mi hijo que estudia en Valdivia dejo un reclamo"; not "mi hija lleva una
    // semana sin internet, dejo un reclamo").
    // (Or a subject named with its article: "el capataz dejo una queja", "el presidente
    // del club dejo un requerimiento".)
    // A body other than the company named anywhere ("en el banco", "en la isapre").
    let with_other_body = || toks.iter().any(|t| OTHER_BODIES.contains(t));
    let someone_else_before = |i: usize| {
        (i.saturating_sub(8)..i.saturating_sub(1)).any(|j| {
            matches!(toks[j], "mi" | "su")
                && SOMEONE_ELSE.contains(&toks[j + 1])
                && (j + 2 == i || matches!(toks.get(j + 2), Some(&("que" | "q"))))
        }) || (i >= 2 && matches!(toks[i - 2], "el" | "la") && ROLES.contains(&toks[i - 1])
            || i >= 4
                && matches!(toks[i - 4], "el" | "la")
                && ROLES.contains(&toks[i - 3])
                && matches!(toks[i - 2], "del" | "de"))
            && !with_other_body()
    };
    let theirs = (0..toks.len().saturating_sub(2)).any(|i| {
        let verb = toks[i];
        let ambiguous = matches!(verb, "dejo" | "ingreso" | "levanto");
        THEIR_REQUEST.contains(&verb)
            && matches!(toks[i + 1], "un" | "una")
            && REQUEST_NOUNS.contains(&toks[i + 2])
            && (!ambiguous || accented(verb) || someone_else_before(i))
    });
    // Something left asked for ("mi señora dejó pedido el retiro del deco").
    let left_asked = toks.windows(2).any(|w| {
        matches!(w[0], "deje" | "dejo" | "dejaron" | "dejamos")
            && matches!(
                w[1],
                "pedido" | "pedida" | "solicitado" | "solicitada" | "encargado"
            )
    });
    // One the customer has ("tengo un reclamo por un cobro raro y necesito saber en qué
    // va"), which a status question then asks about.
    // (Told with what it is about, not filed now: "tengo un reclamo: me cobraron doble";
    // nor while telling a failure, a new one, or one with another body.)
    let has_one = toks.windows(4).any(|w| {
        matches!(w[0], "tengo" | "tenemos")
            && matches!(w[1], "un" | "una" | "dos" | "tres" | "varios" | "varias")
            && (REQUEST_NOUNS.contains(&w[2])
                || matches!(
                    w[2],
                    "reclamos" | "solicitudes" | "casos" | "requerimientos"
                ))
            && matches!(
                w[3],
                "por" | "pendiente" | "pendientes" | "abierto" | "abierta"
            )
    }) && !fails(&without_clause_breaks(norm))
        && !toks.iter().any(|t| matches!(*t, "nuevo" | "nueva"))
        && !with_other_body();
    // Argued for ("alegué por un cobro") or opened ("abrimos un caso"), not another body's.
    let argued = toks.windows(3).any(|w| {
        matches!(w[0], "alegue" | "alegamos") && w[1] == "por"
            || w[0] == "abrimos" && matches!(w[1], "un" | "una") && REQUEST_NOUNS.contains(&w[2])
    }) && !with_other_body();
    // Requests listed as still open ("reclamos pendientes: ...").
    let open_ones = toks.windows(2).any(|w| {
        matches!(
            w[0],
            "reclamos" | "solicitudes" | "casos" | "tickets" | "tramites"
        ) && matches!(w[1], "pendientes" | "abiertos" | "abiertas" | "anteriores")
            || REQUEST_NOUNS.contains(&w[0]) && matches!(w[1], "pendiente" | "abierto" | "abierta")
    });
    // ... or told pending ("tengo pendientes un reclamo por deuda y otro por el traslado"):
    // made before, which a status question then asks about.
    let told_pending = toks.windows(3).any(|w| {
        matches!(w[0], "pendiente" | "pendientes")
            && matches!(w[1], "un" | "una" | "dos" | "tres" | "mis" | "el" | "la")
            && REQUEST_NOUNS.contains(&w[2])
    });
    // Someone helped the customer make one ("mi hija me ayudó a poner un reclamo").
    let helped = toks.windows(3).any(|w| {
        matches!(w[0], "ayudo" | "ayudaron")
            && w[1] == "a"
            && (FILING.contains(&w[2]) || matches!(w[2], "pedir" | "solicitar"))
    });
    // Made before, in the perfect ("ya había dejado un reclamo", "he hecho una solicitud"),
    // or by the customer's people ("los del laboratorio pidieron más velocidad").
    let made_before = (0..toks.len()).any(|i| match toks[i] {
        // A request named within three words ("he hecho de todo" made none), not denied.
        "he" | "hemos" | "habia" | "habiamos" => {
            toks.get(i + 1).is_some_and(|made| {
                matches!(
                    *made,
                    "dejado"
                        | "puesto"
                        | "hecho"
                        | "ingresado"
                        | "pedido"
                        | "solicitado"
                        | "presentado"
                        | "levantado"
                )
            }) && toks[i + 2..(i + 5).min(toks.len())]
                .iter()
                .any(|noun| REQUEST_NOUNS.contains(noun))
                && !(i > 0 && NO.contains(&toks[i - 1]))
        }
        // The customer's people ("los del laboratorio", "mis hijos"), not the company's
        // ("los técnicos pidieron cambiar el módem", "me pidieron el RUT").
        "pidieron" | "solicitaron" => (i.saturating_sub(6)..i).any(|j| {
            matches!(toks[j], "mis" | "mi" | "nuestros" | "nuestras")
                || matches!(toks[j], "los" | "las")
                    && matches!(toks.get(j + 1), Some(&("del" | "de")))
        }),
        _ => false,
    });
    // An answer promised by a date ("me dijeron que en cinco días hábiles me respondían lo
    // del cambio de plan").
    let promised_reply = toks.windows(2).enumerate().any(|(i, w)| {
        matches!(w[0], "me" | "nos")
            && matches!(
                w[1],
                "dijeron" | "prometieron" | "aseguraron" | "dijo" | "prometio" | "aseguro"
            )
            && toks[i + 2..(i + 12).min(toks.len())].iter().any(|t| {
                matches!(
                    *t,
                    "respondian"
                        | "responderian"
                        | "contestaban"
                        | "contestarian"
                        | "llamaban"
                        | "llamarian"
                        | "avisaban"
                        | "avisarian"
                        | "resolvian"
                        | "resolverian"
                )
            })
    });
    let earlier = helped
        || promised_reply
        || made_before
        || toks.iter().any(|t| EARLIER_REQUEST.contains(t))
        || (0..toks.len()).any(mine)
        || theirs
        || left_asked
        || open_ones
        || told_pending
        || has_one
        || argued
        || asks_whether_already
        || numbered(&toks);
    // The word at `i`, or none past the end (for the checks that read around a word).
    let at = |i: usize| toks.get(i).copied().unwrap_or("");
    // "El estado de mi reclamo", "estado del caso" (not "el estado de mi cuenta").
    // Or asked to be told it ("agradeceré informarme su estado"), when no other thing's
    // state follows ("informarme el estado de mi cuenta").
    let state_of_request = || {
        (0..toks.len()).any(|i| {
            // (Or of its processing: "el estado de su tramitación".)
            let request = |w: &str| REQUEST_NOUNS.contains(&w) || w == "tramitacion";
            let of_request = matches!(at(i + 1), "de" | "del")
                && (request(at(i + 2))
                    || matches!(
                        at(i + 2),
                        "mi" | "mis" | "la" | "el" | "su" | "dicho" | "dicha" | "este" | "esta"
                    ) && request(at(i + 3)));
            let told = i >= 2
                && matches!(at(i - 1), "el" | "su")
                && matches!(
                    at(i - 2),
                    "informarme"
                        | "informarnos"
                        | "indicar"
                        | "indicarme"
                        | "indicarnos"
                        | "indiquen"
                        | "informen"
                        | "informar"
                        | "informenme"
                        | "informaran"
                        | "informara"
                        | "indicaran"
                        | "conocer"
                        | "saber"
                )
                && !matches!(at(i + 1), "de" | "del")
                && !matches!(at(i + 2), "de" | "del")
                && !mentions_payment(&toks);
            at(i) == "estado" && (of_request || told)
        })
    };
    let asks_resolved = || {
        DENIABLE_QUESTIONS.iter().any(|q| {
            phrase_starts(norm, q).any(|at| {
                // (Also past a pronoun: "no me llegó respuesta".)
                let before = norm[..at].trim_end();
                let before = ["me", "nos", "le", "les"]
                    .iter()
                    .find_map(|p| {
                        before
                            .strip_suffix(p)
                            .filter(|b| b.is_empty() || b.ends_with(' '))
                    })
                    .map_or(before, str::trim_end);
                before != "no" && !before.ends_with(" no")
            })
        })
    };
    // The message's questions, read once for the two checks below that need them.
    let questions = OnceCell::new();
    let questions = || questions.get_or_init(|| questions_of(input)).as_slice();
    // Whether it reached the company ("les dejé un reclamo anoche, ¿les llegó?"): in a
    // question, of a request the message names, the question's last words (not "hice el
    // pago, ¿les llegó?", "¿le llegó otra boleta con el cargo?").
    let asks_arrived = || {
        names_request(norm)
            && !mentions_payment(&toks)
            && questions().iter().any(|question| {
                ARRIVED_QUESTIONS.iter().any(|q| {
                    phrase_starts(&question.clause, q).any(|at| {
                        let after = question.clause[at + q.len()..].trim_start();
                        // Or the request itself ("¿me confirman si les llegó mi reclamo
                        // por el cargo?").
                        let mut next = words(after);
                        let request_follows =
                            matches!(next.next(), Some("mi" | "el" | "la" | "su"))
                                && next
                                    .next()
                                    .is_some_and(|noun| REQUEST_NOUNS.contains(&noun));
                        after.is_empty()
                            || request_follows
                            || ["o ", "ya", "bien"].iter().any(|w| after.starts_with(w))
                    })
                })
            })
    };
    // Asking about a request by name ("me pidió que preguntara por el reclamo que hizo",
    // "quiero consultar por mi solicitud").
    // Only one of the customer's, one told as made ("el reclamo que hizo") or numbered
    // ("quería consultar por el trámite de baja, ¿se puede hacer por acá?" asks how to make
    // one).
    let asks_about_request = || {
        let made = |noun: usize| {
            (noun + 1..noun + 4).any(|j| {
                matches!(at(j), "que" | "q")
                    && (EARLIER_REQUEST.contains(&at(j + 1)) || THEIR_REQUEST.contains(&at(j + 1)))
                    || at(j).len() >= 3 && at(j).bytes().all(|b| b.is_ascii_digit())
            })
        };
        (0..toks.len()).any(|i| {
            ASK_ABOUT.contains(&at(i))
                && at(i + 1) == "por"
                && match at(i + 2) {
                    "mi" | "su" | "mis" | "sus" => REQUEST_NOUNS.contains(&at(i + 3)),
                    "el" | "la" | "los" | "las" => {
                        REQUEST_NOUNS.contains(&at(i + 3)) && made(i + 3)
                    }
                    noun => REQUEST_NOUNS.contains(&noun) && made(i + 2),
                }
        })
    };
    // Whether anyone looked at it ("puse una queja, ¿alguien la vio?", "¿ya la tomó
    // alguien?"): "alguien" and a verb of [`DONE_VERBS`] or "vio", "leyó", "tomó" in the
    // past singular, after it (maybe past a pronoun) or before it past a pronoun.
    let someone_looked = || {
        let looked = |verb: &str| {
            matches!(verb, "vio" | "leyo" | "miro" | "tomo")
                || verb.ends_with('o') && DONE_VERBS.iter().any(|stem| verb.starts_with(stem))
        };
        (0..toks.len()).filter(|i| toks[*i] == "alguien").any(|i| {
            let after = if CLITICS.contains(&at(i + 1)) {
                at(i + 2)
            } else {
                at(i + 1)
            };
            looked(after) || i >= 2 && looked(at(i - 1)) && CLITICS.contains(&at(i - 2))
        })
    };
    // How several requests named stand, asked ("dejé varias solicitudes, ¿cómo van?",
    // "¿me dice cómo están?"; not
    // "¿cómo van ustedes a solucionar esto?", "como van las cosas me cambio").
    let how_they_go = || {
        input.contains('?')
            && toks.iter().any(|t| {
                REQUEST_NOUNS.contains(t)
                    || matches!(
                        *t,
                        "solicitudes" | "reclamos" | "casos" | "tramites" | "pedidos"
                    )
            })
            && ["como van", "en que van", "en q van", "como estan"]
                .iter()
                .any(|q| {
                    phrase_starts(norm, q).any(|at| {
                        let mut next = words(&norm[at + q.len()..]);
                        let (first, second) = (next.next(), next.next());
                        // (But "¿en qué van las tres?" counts them.)
                        first != Some("a")
                            && second != Some("a")
                            && (first != Some("las")
                                || matches!(second, Some("dos" | "tres" | "cuatro")))
                    })
                })
    };
    let asks_answered = || {
        questions().iter().any(|question| {
            !question.answered_no
                && ANSWERED_QUESTIONS.iter().any(|q| {
                    phrase_starts(&question.clause, q).any(|at| {
                        !words(&question.clause[..at]).any(|w| NO.contains(&w) || w == "ni")
                    })
                })
        })
    };
    // What became of it ("¿qué ha sido de ese?", "¿qué ha sido de mi reclamo?"; not "¿qué
    // ha sido de la señal?"), a new date for a visit ("el técnico que pedí, ¿ya tiene
    // nueva fecha?"; not a match's), the state of each one ("el estado de cada uno"; not
    // "de cada una de mis líneas").
    let what_became = || {
        ["que ha sido de", "q ha sido de"].iter().any(|q| {
            phrase_starts(norm, q).any(|at| {
                let mut next = words(&norm[at + q.len()..]);
                match next.next() {
                    Some("eso" | "ese" | "esa" | "ello" | "lo") => true,
                    Some("mi" | "el" | "la" | "su" | "mis") => next
                        .next()
                        .is_some_and(|noun| REQUEST_NOUNS.contains(&noun)),
                    _ => false,
                }
            })
        })
    };
    let new_date = || {
        [
            "tiene nueva fecha",
            "tienen nueva fecha",
            "tienen fecha nueva",
            "ya tienen fecha",
            "tiene dia asignado",
        ]
        .iter()
        .any(|q| contains_phrase(norm, q))
            && toks.iter().any(|t| {
                matches!(
                    *t,
                    "tecnico" | "tecnicos" | "visita" | "instalacion" | "traslado"
                )
            })
    };
    let each_one = || {
        ["el estado de cada uno", "el estado de cada una"]
            .iter()
            .any(|q| {
                phrase_starts(norm, q).any(|at| words(&norm[at + q.len()..]).next() != Some("de"))
            })
    };
    let asks_status = || {
        // "¿Tengo solicitudes pendientes?" asks by naming them.
        open_ones && input.contains('?')
            || asks_answered()
            || asks_about_request()
            || input.contains('?') && someone_looked()
            || STATUS_QUESTIONS.iter().any(|q| contains_phrase(norm, q))
            || how_they_go()
            || asks_resolved()
            || asks_arrived()
            || state_of_request()
            || asks_if_done(questions(), norm, &toks)
            || what_became()
            || new_date()
            || each_one()
    };
    (asks_outright || earlier && asks_status())
        && !names_a_person_in(norm)
        && !turns_to_a_person(norm)
        && (input.contains('?') || !denies_resolution(norm))
}

/// People of the customer's side who may have made a request for them, named with an
/// article before the verb ("el capataz dejo una queja", "la dueña dejo un requerimiento",
/// "el presidente del club dejo un requerimiento").
const ROLES: &[&str] = &[
    "capataz",
    "dueno",
    "duena",
    "presidente",
    "presidenta",
    "vecino",
    "vecina",
    "administrador",
    "administradora",
    "supervisor",
    "supervisora",
    "gerente",
    "secretario",
    "secretaria",
    "tesorero",
    "tesorera",
    "jefe",
    "jefa",
    "encargado",
    "encargada",
    "contador",
    "contadora",
    "director",
    "directora",
    "dirigente",
    "vendedor",
    "vendedora",
    "socio",
    "socia",
    "conserje",
];

/// Bodies other than the company where a request may be made ("dejó una solicitud en el
/// municipio", "tengo un reclamo en el SERNAC").
const OTHER_BODIES: &[&str] = &[
    "municipio",
    "muni",
    "municipalidad",
    "banco",
    "isapre",
    "afp",
    "sernac",
    "administracion",
    "fonasa",
    "sii",
    "farmacia",
    "mall",
];

/// Whether the words name a request by its number ("el número de caso 4452", "ticket 5521", "mi
/// reclamo n° 3301 es", "mi número de atención es el 55102"): one made before. A bare number is not
/// enough (years, amounts), nor a request noun alone.
fn numbered(toks: &[&str]) -> bool {
    toks.iter().enumerate().any(|(i, noun)| {
        // Not one being filed ("quiero poner un reclamo de 35000 pesos").
        let filed = i >= 2 && FILING.contains(&toks[i - 2]) && matches!(toks[i - 1], "un" | "una");
        let mut after = toks[i + 1..].iter().enumerate().skip_while(|(_, w)| {
            matches!(**w, "numero" | "nro" | "n" | "no" | "num" | "es" | "el")
        });
        // The menu's own word for one, after the number's name ("mi número de atención es
        // el 55102"; "la atención 2024" is no request); a code or number the chat gave ("el
        // chat de ayer me dio el código 5519033").
        let attention = *noun == "atencion"
            && i >= 2
            && toks[i - 1] == "de"
            && matches!(toks[i - 2], "numero" | "nro" | "n" | "num");
        let chat = |w: &&str| matches!(*w, "chat" | "bot" | "asistente" | "sistema");
        // (Or the number it gave: "el bot ayer me dio el número 5530917".)
        let gave = || {
            toks[i.saturating_sub(4)..i].iter().any(|w| {
                matches!(
                    *w,
                    "dio" | "dieron" | "entrego" | "entregaron" | "asigno" | "asignaron"
                )
            })
        };
        let code = (*noun == "codigo" || *noun == "numero" && gave())
            && toks[i.saturating_sub(6)..i].iter().any(chat);
        let number = |w: &str| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_digit());
        // ... also told after what gave it ("el código que me dio el chat el martes es
        // 6630192").
        // (Or the number right after it, then who gave it: "el código 4471203 que me dio
        // el chat".)
        let code_told = *noun == "codigo" && {
            let next = &toks[i + 1..(i + 10).min(toks.len())];
            next.iter().take(6).any(chat)
                && next.iter().enumerate().any(|(k, w)| {
                    *w == "es"
                        && next.get(k + 1).is_some_and(|n| {
                            number(n) || *n == "el" && next.get(k + 2).is_some_and(|n| number(n))
                        })
                })
                || next.first().is_some_and(|n| number(n))
                    && next.iter().skip(1).take(6).any(|w| {
                        matches!(*w, "dio" | "dieron" | "entrego" | "entregaron" | "asigno")
                    })
                    && next.iter().enumerate().skip(1).take(8).any(|(k, w)| {
                        // (Not another business's: "el sistema de la isapre".)
                        let of_another = matches!(next.get(k + 1), Some(&("de" | "del")))
                            && !next.get(k + 2).is_some_and(|t| {
                                matches!(
                                    *t,
                                    "ayer"
                                        | "hoy"
                                        | "anoche"
                                        | "lunes"
                                        | "martes"
                                        | "miercoles"
                                        | "jueves"
                                        | "viernes"
                                        | "sabado"
                                        | "domingo"
                                )
                            });
                        chat(w) && !of_another
                    })
        };
        !filed
            && (code_told
                || (REQUEST_NOUNS.contains(noun) || attention || code)
                    && after.next().is_some_and(|(j, w)| {
                        let amount = toks.get(i + 2 + j).is_some_and(|unit| {
                            matches!(*unit, "pesos" | "lucas" | "luca" | "mil" | "clp" | "megas")
                        });
                        number(w) && !amount
                    }))
    })
}

/// Words that ask, before "si" or "que", whether something happened ("necesito saber si
/// ...", "quiero confirmar que quedó listo", "nunca supe si aprobaron la baja").
const ASKING_IF: &[&str] = &[
    "saber",
    "confirmar",
    "confirman",
    "confirmen",
    "consultar",
    "preguntar",
    "pregunta",
    "averiguar",
    "supe",
];
/// Words that ask to be told, before "si", whether something happened ("¿me pueden decir si
/// respondieron la apelación que presenté?", "agradeceré informar si la reclamación fue
/// acogida"): only about a request the message names or says was made ("les quiero decir
/// que me cambiaron el plan" tells; "¿me pueden decir si instalaron fibra en mi sector?"
/// asks about coverage).
const TELL_ME_IF: &[&str] = &[
    "decir",
    "decirme",
    "informar",
    "informarme",
    "indicar",
    "indicarme",
];

/// Words that ask to check, before "si", whether something happened ("¿pueden ver si
/// quedó?"): only about a request the message names ("ver si funciona" tests the service).
const CHECK_IF: &[&str] = &["ver", "revisar", "chequear", "verificar", "revisen", "vean"];

/// Whether the words ask, anywhere and without a question mark, whether a request was dealt
/// with: one of [`ASKING_IF`] ("saber", "confirmar"...), "si" or "que", and one of
/// [`DONE_VERBS`] in the past, third person plural ("necesito saber si aprobaron el cambio
/// de plan que pedí"), or "quedó" and one of [`DONE_STATES`], or, further on, "fue" and one
/// of them ("informar si la reclamación presentada el día 12 fue acogida").
fn wants_to_know_if_done(toks: &[&str]) -> bool {
    let request_named = || {
        toks.iter()
            .any(|t| REQUEST_NOUNS.contains(t) || EARLIER_REQUEST.contains(t))
    };
    // A request called so, about no payment: what a check ("¿pueden ver si quedó?") and a
    // bare "quedó" are about ("yo no pedí nada" names none; "hice el pago, ¿pueden ver si
    // quedó?" asks about a payment).
    let request_noun = || toks.iter().any(|t| REQUEST_NOUNS.contains(t)) && !mentions_payment(toks);
    toks.windows(2)
        .enumerate()
        .filter(|(i, pair)| {
            ASKING_IF.contains(&pair[0]) && matches!(pair[1], "si" | "que")
                // "No sé si la procesaron."
                || pair[..] == ["se", "si"]
                    && i.checked_sub(1).is_some_and(|j| toks[j] == "no")
                    && request_named()
                || TELL_ME_IF.contains(&pair[0]) && pair[1] == "si" && request_named()
                || CHECK_IF.contains(&pair[0]) && pair[1] == "si" && request_noun()
        })
        .any(|(i, pair)| {
            let mut rest = toks[i + 2..]
                .iter()
                .filter(|w| **w != "ya" && !CLITICS.contains(w));
            // Whether it "fue acogida", asked after "si" ("... que el reclamo no fue
            // resuelto" tells).
            let became = pair[1] == "si"
                && !mentions_payment(toks)
                && toks[i + 1..]
                    .windows(3)
                    .any(|w| w[0] != "no" && matches!(w[1], "fue" | "fueron") && done_state(w[2]));
            if became {
                return true;
            }
            match rest.next() {
                // "Quedó ingresada", or a bare "quedó" of a request named ("el técnico iba
                // a dejar una orden, ¿pueden ver si quedó?").
                Some(&"quedo") => rest.next().map_or_else(request_noun, |w| done_state(w)),
                // Whether something asked for or promised "salió" ("saber si salió la nota
                // de crédito que me prometieron"; not a payment).
                Some(&"salio") => {
                    !mentions_payment(toks)
                        && toks
                            .iter()
                            .any(|t| EARLIER_REQUEST.contains(t) || PROMISED.contains(t))
                }
                // Whether a request named "llegó a alguna parte", "avanzó" ("hicimos un
                // reclamo en agosto y queremos saber si llegó a alguna parte").
                Some(&("llego" | "avanzo" | "progreso" | "resulto")) => request_named(),
                Some(verb) => {
                    done_by_them(verb)
                        // "Si se hizo", "si se procesó", of a request the message names
                        // ("saber si se registró mi pago" asks about a payment).
                        || toks[i + 2..].iter().find(|w| **w != "ya") == Some(&"se")
                            && SE_DONE.contains(verb)
                            && request_named()
                            && !mentions_payment(&toks[i + 2..])
                }
                None => false,
            }
        })
}

/// Words that tell of something the company promised ("la nota de crédito que me
/// prometieron").
const PROMISED: &[&str] = &["prometieron", "prometio", "ofrecieron", "ofrecio"];

/// Whether the words name a payment ("el pago", "la transferencia", "la tarjeta"): what
/// was done to it is no request's progress.
fn mentions_payment(toks: &[&str]) -> bool {
    toks.iter().any(|w| {
        matches!(
            *w,
            "pago" | "abono" | "transferencia" | "plata" | "tarjeta" | "recarga" | "deposito"
        )
    })
}

/// Pronouns that may stand between "ya" and its verb ("¿ya me lo devolvieron?").
const CLITICS: &[&str] = &[
    "me", "te", "lo", "la", "le", "los", "las", "les", "nos", "se",
];

/// Verbs (stems) of what the company does to a request: "¿ya me lo devolvieron?".
const DONE_VERBS: &[&str] = &[
    "devolv", "solucion", "resolv", "arregl", "corrig", "revis", "aprob", "respond", "contest",
    "reembols", "reintegr", "abon", "anul", "proces", "escal", "ingres", "registr", "atend", "sac",
    "elimin", "quit", "cambi", "hic", "activ", "desactiv", "instal", "agend", "envi", "mand",
    "vie", "recib", "acog", "gener", "acept", "cerr", "dier", "alcanz",
];
/// What a request may have become: "¿quedó ingresada?".
const DONE_STATES: &[&str] = &[
    "ingresad",
    "registrad",
    "resuelt",
    "aprobad",
    "solucionad",
    "anulad",
    "procesad",
    "agendad",
    "acogid",
    "rechazad",
    "listo",
    "lista",
    "hecho",
    "hecha",
    "bloquead",
];

/// Whether a question of the message asks whether a request was dealt with, in the
/// question's last clause: "ya" and one of [`DONE_VERBS`] in the past, third person plural
/// ("¿ya me devolvieron la plata?", "ya lo solucionaron o no"), or the question opening
/// with one ("¿procesaron la baja o no?"), or "quedó" or "salió" and one of [`DONE_STATES`]
/// ("¿quedó registrada?", "¿salió aprobada o rechazada?"), or "se" and one of [`SE_DONE`]
/// ("¿se concretó el cambio de plan que pidió mi esposo?"). The questions are the message's
/// ([`questions_of`]; those it answers "no" do not count) and a last clause of `norm`
/// ending "o no"; `norm_toks` are `norm`'s words. ("hice el pago y ya me cortaron el
/// internet, ¿qué hago?" is a complaint.)
fn asks_if_done(questions: &[Question], norm: &str, norm_toks: &[&str]) -> bool {
    // A complaint filed anew does not ask ("¿y se solucionó? no, quiero poner otro
    // reclamo").
    if files_new_complaint(norm) {
        return false;
    }
    let about_payment = || mentions_payment(norm_toks);
    let or_not = last_clause(norm).filter(|last| last.ends_with(" o no"));
    let mut clauses = questions
        .iter()
        .filter(|q| !q.answered_no)
        .map(|q| q.clause.as_str())
        .chain(or_not.as_deref());
    clauses.any(|clause| {
        let toks: Vec<&str> = words(clause).collect();
        let next = |i: usize| toks[i + 1..].iter().find(|w| !CLITICS.contains(w));
        let opens_done = toks
            .iter()
            .find(|w| !CLITICS.contains(w))
            .is_some_and(|verb| done_by_them(verb));
        opens_done
            || toks.iter().enumerate().any(|(i, t)| match *t {
                "ya" => next(i).is_some_and(|verb| done_by_them(verb)),
                "quedo" => next(i).is_some_and(|word| done_state(word)),
                // "¿La reclamación por los cortes fue acogida?" (not of a payment: "¿fue
                // procesado el pago?").
                "fue" | "fueron" => {
                    next(i).is_some_and(|word| done_state(word)) && !about_payment()
                }
                // Of a payment these tell how it went ("¿salió rechazada la tarjeta?", "¿se
                // registró?" after "hice el pago").
                "salio" => next(i).is_some_and(|word| done_state(word)) && !about_payment(),
                "se" => {
                    toks.get(i + 1).is_some_and(|verb| SE_DONE.contains(verb)) && !about_payment()
                }
                _ => false,
            })
    })
}

/// A question of a message: its last clause, normalised, and whether the customer answers
/// it "no" right after ("¿y se solucionó? obvio que no": no question).
struct Question {
    clause: String,
    answered_no: bool,
}

/// The questions of `input`: the text before each "?" (the text after the last one is no
/// question).
fn questions_of(input: &str) -> Vec<Question> {
    let pieces: Vec<&str> = input.split('?').collect();
    pieces
        .windows(2)
        .filter_map(|pair| {
            let clause = last_clause(&text::normalize(pair[0]))?;
            let answer = text::normalize(pair[1]);
            let answer = answer.trim_start_matches(['|', ' ']);
            let answered_no = [
                "no",
                "nada",
                "obvio que no",
                "claro que no",
                "para nada",
                "ni ahi",
            ]
            .iter()
            // A denial alone, or before a break ("no, me volvieron a cobrar"; "no me
            // ha llegado ni un correo" tells more).
            .any(|denial| {
                answer == *denial
                    || answer
                        .strip_prefix(denial)
                        .is_some_and(|rest| rest.trim_start().starts_with('|'))
            });
            Some(Question {
                clause,
                answered_no,
            })
        })
        .collect()
}

/// The last non-empty clause of a normalised text.
fn last_clause(normalized: &str) -> Option<String> {
    normalized
        .split('|')
        .map(str::trim)
        .rfind(|c| !c.is_empty())
        .map(str::to_owned)
}

/// What was done to a request, said impersonally after "se" ("¿se concretó el cambio?",
/// "¿se rechazó?"); not "se cambió", which complains as often as it asks ("¿se cambió el
/// plan sin mi permiso?").
const SE_DONE: &[&str] = &[
    "hizo",
    "proceso",
    "realizo",
    "aplico",
    "registro",
    "concreto",
    "acogio",
    "aprobo",
    "resolvio",
    "soluciono",
    "vio",
    "reviso",
    "rechazo",
    "anulo",
    "ingreso",
    "alcanzo",
    "pudo",
];

/// Whether `verb` says, in the past and third person plural, that the company did one of
/// [`DONE_VERBS`] ("devolvieron", "aprobaron").
fn done_by_them(verb: &str) -> bool {
    (verb.ends_with("aron") || verb.ends_with("ieron"))
        && DONE_VERBS.iter().any(|stem| verb.starts_with(stem))
}

/// Whether `word` is one of [`DONE_STATES`] ("ingresada", "listo").
fn done_state(word: &str) -> bool {
    DONE_STATES.iter().any(|state| word.starts_with(state))
}

/// Whether `phrase` occurs in `haystack` as whole words: bounded by spaces or the ends.
/// Runs on every line at the menu, so it allocates nothing.
fn contains_phrase(haystack: &str, phrase: &str) -> bool {
    phrase_starts(haystack, phrase).next().is_some()
}

/// Where `phrase` starts in `haystack` as whole words (see [`contains_phrase`]).
fn phrase_starts<'a>(haystack: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let bytes = haystack.as_bytes();
    haystack
        .match_indices(phrase)
        .filter_map(move |(start, _)| {
            let end = start + phrase.len();
            let whole = (start == 0 || bytes[start - 1] == b' ')
                && (end == bytes.len() || bytes[end] == b' ');
            whole.then_some(start)
        })
}

/// Finds a request number in the text: "¿cómo va la solicitud 124578?", "ticket #124578",
/// "n° 124.578". Digits written with thousands dots are joined; RUT-looking numbers
/// ("12.345.678-5") and phone numbers ("+56912345678", "9 1234 5678") are skipped. A number
/// of 4 to 12 digits.
pub fn request_number(input: &str) -> Option<u64> {
    let bytes = input.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_digit() {
                digits.push(char::from(b));
                i += 1;
            } else if b == b'.'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && bytes.get(i + 3).is_some_and(u8::is_ascii_digit)
            {
                i += 1;
            } else {
                break;
            }
        }
        let preceded_by_letter = start > 0 && bytes[start - 1].is_ascii_alphabetic();
        let rut_like = bytes.get(i) == Some(&b'-')
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_digit() || *b == b'k' || *b == b'K')
            && input[start..i].contains('.');
        // A phone number: after "+" ("+56912345678"), or digit groups split by spaces or
        // dashes ("9 1234 5678", "2 2345-6789"). All its groups are skipped.
        let split = |at: usize| {
            matches!(bytes.get(at), Some(b' ' | b'-'))
                && bytes.get(at + 1).is_some_and(u8::is_ascii_digit)
        };
        let phone = (start > 0 && bytes[start - 1] == b'+') || (!rut_like && split(i));
        if phone {
            while split(i) || bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            continue;
        }
        // An amount ("$4.000", "4000 pesos", "4.000 lucas") or a mobile number written
        // whole ("912345678"): a re-test was told "No encontramos la solicitud 4000".
        let amount = (start > 0 && bytes[start - 1] == b'$') || {
            let after = input[i..].trim_start().to_lowercase();
            ["pesos", "lucas", "luca", "mil", "clp"]
                .iter()
                .any(|unit| after.starts_with(unit))
        };
        let mobile = digits.len() == 9 && digits.starts_with('9');
        if (4..=12).contains(&digits.len())
            && !rut_like
            && !preceded_by_letter
            && !amount
            && !mobile
        {
            if let Ok(n) = digits.parse() {
                return Some(n);
            }
        }
    }
    None
}

/// Words that say nothing about which request is meant.
const PICK_STOPWORDS: &[&str] = &[
    "la",
    "el",
    "los",
    "las",
    "del",
    "de",
    "que",
    "con",
    "por",
    "para",
    "un",
    "una",
    "mi",
    "mis",
    "me",
    "lo",
    "le",
    "en",
    "y",
    "o",
    "a",
    "al",
    "su",
    "sus",
    "es",
    "esa",
    "ese",
    "esta",
    "este",
    "quiero",
    "ver",
    "solicitud",
    "reclamo",
    "ticket",
    "caso",
    "sobre",
    "hice",
    "puse",
    "po",
    "porfa",
    "favor",
    "cual",
    "tema",
    "asunto",
];

/// Picks a request by its description ("la del wifi" -> "Cambio de clave WiFi") among
/// `subjects`: the index of the subject sharing the most content words (stemmed, typo
/// tolerant), or, when the customer was shown the list (`listed`), by ordinal ("la
/// primera", "la última"). `None` when nothing matches or two subjects match equally well.
/// Without a list a number is no position: "pagué 4 lucas de más" is not the fourth.
pub fn pick_by_description(input: &str, subjects: &[&str], listed: bool) -> Option<usize> {
    let norm = text::normalize(input);
    let toks: Vec<&str> = words(&norm)
        .filter(|t| !PICK_STOPWORDS.contains(t))
        .collect();
    match best_subject(&toks, subjects, 0.5) {
        Some(Pick { index, tied }) => (!tied).then_some(index),
        None if !listed => None,
        None => {
            // "la primera o la segunda": alternatives ("o", "y" are stop words above).
            let alternatives = words(&norm).any(|t| matches!(t, "o" | "u" | "y" | "e"));
            ordinal(&toks, subjects.len(), alternatives)
        }
    }
}

/// Words of a question about one's requests that do not say which request is meant.
const ASKING_WORDS: &[&str] = &[
    "como",
    "va",
    "van",
    "anda",
    "estan",
    "quedo",
    "paso",
    "pasa",
    "estado",
    "ya",
    "hay",
    "alguna",
    "novedad",
    "novedades",
    "solicitudes",
    "reclamos",
    "casos",
    "atenciones",
    "atencion",
    "anteriores",
    "revisar",
    "mostrar",
    "muestrame",
    "saber",
    "consultar",
    "hola",
];

/// A request named by its subject in a message that asks about the requests ("¿cómo va
/// lo de la tele?" -> "Sin señal de TV"): [`pick_by_description`] without ordinals (no
/// list has been shown to count in), leaving out the words that ask about requests in
/// general, and only on a whole word's match (or one typo) with a single subject.
pub fn pick_by_subject(input: &str, subjects: &[&str]) -> Option<usize> {
    let norm = text::normalize(input);
    let toks: Vec<&str> = words(&norm)
        .filter(|t| !PICK_STOPWORDS.contains(t) && !ASKING_WORDS.contains(t))
        .collect();
    best_subject(&toks, subjects, 0.8)
        .filter(|pick| !pick.tied)
        .map(|pick| pick.index)
}

/// Other names customers give a service, as written in subjects.
fn service_synonym(word: &str) -> &str {
    match word {
        "tele" | "television" | "teve" | "cable" => "tv",
        "fono" | "telefonia" => "telefono",
        word => word,
    }
}

/// The subject that shares the most query words, when it scores at least `min`.
struct Pick {
    index: usize,
    /// Another subject scores within 0.25 of it.
    tied: bool,
}

/// The subject sharing the most query words, if it scores at least `min`.
fn best_subject(toks: &[&str], subjects: &[&str], min: f32) -> Option<Pick> {
    if toks.is_empty() || subjects.is_empty() {
        return None;
    }
    let query: Vec<Stem> = toks.iter().map(|t| Stem::of(t)).collect();
    // A customer's requests often share a subject ("Reinicio de servicios"): each distinct
    // one is read and scored once.
    let mut scored: Vec<(&str, f32)> = Vec::new();
    let scores: Vec<f32> = subjects
        .iter()
        .map(|&subject| {
            if let Some(&(_, score)) = scored.iter().find(|(s, _)| *s == subject) {
                return score;
            }
            let snorm = text::normalize(subject);
            let sstems: Vec<Stem> = words(&snorm)
                .filter(|t| !PICK_STOPWORDS.contains(t))
                .map(Stem::of)
                .collect();
            let score = query
                .iter()
                .map(|q| {
                    sstems
                        .iter()
                        .map(|s| word_match(q, s))
                        .fold(0.0f32, f32::max)
                })
                .sum();
            scored.push((subject, score));
            score
        })
        .collect();
    let (best, score) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, s)| (i, *s))?;
    let tied = scores
        .iter()
        .enumerate()
        .any(|(i, s)| i != best && (score - s).abs() < 0.25);
    (score >= min).then_some(Pick { index: best, tied })
}

/// A word as [`best_subject`] compares it: its stem (a service's other names as the
/// subjects write it) and, for a stem long enough to carry typos, its phonetic key.
struct Stem {
    stem: String,
    key: Option<String>,
}

impl Stem {
    fn of(word: &str) -> Stem {
        let stem = stemmer().stem(service_synonym(word)).into_owned();
        let key = (stem.len() >= 4).then(|| text::phonetic_key(&stem));
        Stem { stem, key }
    }
}

/// How well a query stem matches a subject stem: 1 exact, 0.8 prefix or one typo, 0.6
/// two typos in long words, else 0.
fn word_match(q: &Stem, s: &Stem) -> f32 {
    let (qs, ss) = (q.stem.as_str(), s.stem.as_str());
    if qs == ss {
        return 1.0;
    }
    if qs.len() >= 3 && ss.len() >= 3 && (ss.starts_with(qs) || qs.starts_with(ss)) {
        return 0.8;
    }
    let (Some(qk), Some(sk)) = (&q.key, &s.key) else {
        return 0.0;
    };
    // The distance is at least the difference in length: no need to count past two.
    if qk.chars().count().abs_diff(sk.chars().count()) > 2 {
        return 0.0;
    }
    match strsim::damerau_levenshtein(qk, sk) {
        0 | 1 => 0.8,
        2 if qk.len() >= 7 => 0.6,
        _ => 0.0,
    }
}

/// "la primera" -> 0, "la segunda" -> 1, "la última" -> len - 1, "la 2" -> 1.
fn ordinal(toks: &[&str], len: usize, alternatives: bool) -> Option<usize> {
    let mut named = toks.iter().filter_map(|t| match *t {
        "ultima" | "ultimo" => len.checked_sub(1),
        t => number_word(t).map(|n| usize::from(n) - 1),
    });
    let idx = named.next()?;
    // Two different ones offered as alternatives ("la primera o la segunda") name none;
    // "la primera de las dos" still names the first.
    if alternatives && named.any(|other| other != idx) {
        return None;
    }
    (idx < len).then_some(idx)
}

/// One to five as a digit, a word or an ordinal: "2", "dos", "segunda", "segundo" -> 2.
pub fn number_word(word: &str) -> Option<u8> {
    match word {
        "primera" | "primer" | "primero" | "1" | "uno" => Some(1),
        "segunda" | "segundo" | "2" | "dos" => Some(2),
        "tercera" | "tercero" | "3" | "tres" => Some(3),
        "cuarta" | "cuarto" | "4" | "cuatro" => Some(4),
        "quinta" | "quinto" | "5" | "cinco" => Some(5),
        _ => None,
    }
}

/// A menu choice written as a number: `3`, `3.`, `(3)`, `opción 3`; or in words, as a
/// whole message: `la tres`, `opción cuatro`, `la cuarta opción`, `el número 2 porfa`,
/// `marco la dos`.
pub fn menu_number(text: &str) -> Option<u8> {
    let lower = text.to_lowercase();
    // `strip_prefix` in a loop: `trim_start_matches` with a string pattern builds a
    // substring searcher on every call, and this runs for every line.
    let mut stripped = lower.as_str();
    while let Some(rest) = stripped.strip_prefix("opcion") {
        stripped = rest;
    }
    while let Some(rest) = stripped.strip_prefix("opción") {
        stripped = rest;
    }
    let stripped = stripped
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(['.', ')'])
        .trim();
    if stripped.len() <= 2 {
        if let Ok(number) = stripped.parse() {
            return Some(number);
        }
    }
    menu_number_in_words(&lower)
}

/// See [`menu_number`]: one number or ordinal, with only articles, "opción", "número" and
/// courtesy words around it.
fn menu_number_in_words(lower: &str) -> Option<u8> {
    let mut number = None;
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let this = match word {
            "la" | "el" | "opcion" | "opción" | "numero" | "número" | "nro" | "n" | "por"
            | "favor" | "porfa" | "plis" | "pls" | "xfa" | "gracias" | "quiero" | "elijo"
            | "escojo" | "marco" => None,
            word => Some(number_word(word)?),
        };
        if this.is_some() {
            if number.is_some() {
                return None;
            }
            number = this;
        }
    }
    number
}

/// What a customer's "cancelar", "salir" or "ya no quiero" can be about besides the wait:
/// the matter they wait to talk about ("quiero cancelar mi plan", "salir de esta compañía").
const SERVICE_OBJECTS: [&str; 32] = [
    "plan",
    "planes",
    "servicio",
    "servicios",
    "contrato",
    "boleta",
    "boletas",
    "cuenta",
    "internet",
    "wifi",
    "fibra",
    "tv",
    "tele",
    "television",
    "cable",
    "telefono",
    "fijo",
    "movil",
    "celular",
    "linea",
    "compania",
    "empresa",
    "pack",
    "suscripcion",
    "deuda",
    "cobro",
    "cargo",
    "equipo",
    "modem",
    "router",
    "deco",
    "decodificador",
];

/// Whether a customer waiting for an executive asks to stop waiting: "cancelar", "mejor
/// no", "ya no quiero esperar", "volver al menú", "salir", "me voy". Not "quiero hablar con
/// un ejecutivo", nor "no quiero salir, sigo esperando", nor what they wait to talk about:
/// a clause about a complaint or a service ("quiero cancelar mi plan", "salir de esta
/// compañía", "volver a tener internet") neither leaves nor stays: it goes to the executive
/// with the rest of what they write.
pub fn is_cancel(input: &str) -> bool {
    let norm = text::normalize(input);
    // Judge each clause: a negated wait ("ya no quiero esperar", "no quiero hablar con
    // un ejecutivo") cancels; a negated exit ("no quiero salir") and a plain wait
    // ("sigo esperando") keep the customer in the queue.
    let mut cancel = false;
    let mut keep_waiting = false;
    for clause in norm.split(CLAUSE_BREAK) {
        let toks: Vec<&str> = words(clause).collect();
        if toks.is_empty() {
            continue;
        }
        let joined = toks.join(" ");
        let phrases = [
            "ya no",
            "mejor no",
            "no importa",
            "no gracias",
            "me voy",
            "me aburri",
        ];
        let negated = toks.iter().any(|t| matches!(*t, "no" | "ni" | "nunca"));
        let cues = [
            "cancelar",
            "cancela",
            "cancelo",
            "cancelen",
            "cancelalo",
            "anular",
            "salir",
            "salirme",
            "volver",
            "vuelvo",
            "regresar",
            "menu",
            "olvidalo",
            "olvidenlo",
            "dejalo",
            "chao",
            "chau",
            "adios",
            "retiro",
            "basta",
            "desisto",
            "aburri",
        ];
        // "volver a tener ..." is "again", not "back".
        let again = |i: usize| {
            toks.get(i + 1) == Some(&"a")
                && toks
                    .get(i + 2)
                    .is_some_and(|n| ["ar", "er", "ir"].iter().any(|e| n.ends_with(e)))
        };
        let has_cue = toks
            .iter()
            .enumerate()
            .any(|(i, t)| cues.contains(t) && !again(i));
        // A cue or "no quiero" with a service after it names the matter, not the wait.
        let about_service = (0..toks.len())
            .find(|&i| {
                cues.contains(&toks[i]) || (toks[i] == "no" && toks.get(i + 1) == Some(&"quiero"))
            })
            .is_some_and(|i| toks[i + 1..].iter().any(|t| SERVICE_OBJECTS.contains(t)));
        if about_service || complaint_topic(clause).is_some() {
            continue;
        }
        let wait_words = [
            "espero",
            "esperando",
            "esperar",
            "ejecutivo",
            "ejecutiva",
            "sigo",
            "aguardo",
            "hablar",
            "persona",
            "alguien",
        ];
        let has_wait = toks.iter().any(|t| wait_words.contains(t));
        if phrases.iter().any(|p| contains_phrase(&joined, p)) || (negated && has_wait && !has_cue)
        {
            cancel = true;
        } else if negated && has_cue {
            keep_waiting = true;
        } else if has_cue {
            cancel = true;
        } else if has_wait {
            keep_waiting = true;
        }
    }
    cancel && !keep_waiting
}

#[cfg(test)]
mod tests {

    #[test]
    fn phrases_match_whole_words_only() {
        for (haystack, phrase, expected) in [
            ("volver", "volver", true),
            ("quiero volver", "volver", true),
            ("volver al menu", "volver", true),
            ("ya quiero volver al menu", "volver", true),
            ("revolver", "volver", false),
            ("volverlo", "volver", false),
            ("revolver volver", "volver", true),
            ("no quiero nada", "no quiero", true),
            ("no quieroo", "no quiero", false),
            ("", "volver", false),
        ] {
            assert_eq!(
                super::contains_phrase(haystack, phrase),
                expected,
                "{haystack:?} / {phrase:?}"
            );
        }
    }
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
            ("la cuatro", Some(4)),
            ("Opción cuatro", Some(4)),
            ("la cuarta opción", Some(4)),
            ("la tercera", Some(3)),
            ("el número 2 porfa", Some(2)),
            ("marco la tres", Some(3)),
            ("escojo la dos xfa", Some(2)),
            ("marco dos veces", None),
            ("quiero la uno", Some(1)),
            ("la quinta", Some(5)),
            ("uno o dos", None),
            ("la dos y la tres", None),
            ("tengo dos problemas", None),
            ("quiero hablar con una persona", None),
            ("la primera vez que llamo", None),
            ("quiero", None),
            ("quiero una", None),
        ] {
            assert_eq!(menu_number(text), expected, "{text}");
        }
    }

    #[test]
    fn yes_no_table() {
        let cases = [
            ("si", Some(true)),
            ("sí", Some(true)),
            ("Sí po", Some(true)),
            ("claro", Some(true)),
            ("dale", Some(true)),
            ("ya", Some(true)),
            ("ya po", Some(true)),
            ("ok", Some(true)),
            ("de acuerdo", Some(true)),
            ("sí, quiero", Some(true)),
            ("si por favor", Some(true)),
            ("dale al tiro", Some(true)),
            ("no por ahora", Some(false)),
            ("todavía no", Some(false)),
            ("no, quiero salir", None),
            ("siii", Some(true)),
            ("no", Some(false)),
            ("nop", Some(false)),
            ("No, gracias", Some(false)),
            ("para nada", Some(false)),
            ("claro que no", Some(false)),
            ("mejor no", Some(false)),
            ("nooo", Some(false)),
            ("no sé", None),
            ("quizás", None),
            ("el martes", None),
            ("si, pero quiero hablar con un ejecutivo", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(yes_no(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn declines_table() {
        let cases = [
            ("no", true),
            ("No, gracias", true),
            ("para nada", true),
            ("no quiero hablar con un ejecutivo", true),
            ("No me interesa", true),
            ("tampoco necesito eso", true),
            ("no hace falta", true),
            ("no es necesario", true),
            ("no reinicien", true),
            ("no me reinicien nada", true),
            ("no, no me pasen con nadie", true),
            ("no me reinicia el modem", false),
            ("no sé", false),
            ("no entiendo", false),
            ("no me funciona el internet", false),
            ("tranquilo, no quiero cambiarme de compañía", true),
            ("oye, no me funciona el internet", false),
            ("nah, ejecutivo no", true),
            ("reinicio no, gracias", true),
            ("una persona no po", true),
            ("la tele no", false),
            ("el internet no", false),
            ("no", true),
            ("quiero hablar con un ejecutivo, no", false),
            ("quiero hablar con un ejecutivo", false),
            ("sí", false),
            ("", false),
        ];
        for (input, expected) in cases {
            assert_eq!(declines(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn request_number_table() {
        let cases = [
            ("¿cómo va la solicitud 124578?", Some(124578)),
            ("ticket #124578", Some(124578)),
            ("n° 124.578", Some(124578)),
            ("solicitud N°98765 por favor", Some(98765)),
            ("mi rut es 12.345.678-5, solicitud 5566", Some(5566)),
            ("la 2", None),
            ("tengo 3 reclamos", None),
            ("sin número", None),
            ("abc12345", None),
            // Phone numbers are not request numbers.
            ("mi fono es +56912345678", None),
            ("llamenme al 9 1234 5678", None),
            ("al 2 2345-6789 o por la solicitud 124578", Some(124578)),
            // Nor are amounts or a mobile number written whole (a re-test).
            ("$4.000 de más", None),
            ("me cobraron 4000 pesos extra", None),
            ("4.500 lucas", None),
            ("mi número es 912345678 y no tengo señal", None),
            ("pagué $25.990, ¿cómo va la solicitud 124578?", Some(124578)),
        ];
        for (input, expected) in cases {
            assert_eq!(request_number(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn pick_by_description_table() {
        let subjects = [
            "Cambio de clave WiFi",
            "Cobro indebido en la boleta",
            "Decodificador sin señal",
            "Internet lento",
        ];
        let cases = [
            ("la del wifi", Some(0)),
            ("la de la clave", Some(0)),
            ("la del wify", Some(0)),
            ("el cobro de la boleta", Some(1)),
            ("la del cobro indevido", Some(1)),
            ("la del deco", Some(2)),
            ("el decodificador", Some(2)),
            ("la de internet", Some(3)),
            ("la primera", Some(0)),
            ("la última", Some(3)),
            ("la del teléfono", None),
            ("esa", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                pick_by_description(input, &subjects, true),
                expected,
                "input {input:?}"
            );
        }
        // Without a list shown, only descriptions pick: a number or an ordinal is no
        // position ("pagué 4 lucas de más" picked the fourth request).
        for (input, expected) in [
            ("la del wifi", Some(0)),
            ("la primera", None),
            ("pague 4 lucas de mas", None),
            ("la 2", None),
        ] {
            assert_eq!(
                pick_by_description(input, &subjects, false),
                expected,
                "input {input:?}"
            );
        }
        assert_eq!(pick_by_description("la 4", &subjects, true), Some(3));
        let ambiguous = ["Internet lento", "Internet cortado"];
        assert_eq!(
            pick_by_description("la de internet", &ambiguous, true),
            None
        );
        assert_eq!(
            pick_by_description("la del internet lento", &ambiguous, true),
            Some(0)
        );
        assert_eq!(pick_by_description("la del wifi", &[], true), None);
    }

    #[test]
    fn person_and_new_request_cues() {
        for (input, person) in [
            (
                "me pueden comunicar con un ejecutivo por lo del cambio de plan",
                true,
            ),
            ("quiero hablar con alguien por la boleta", true),
            ("páseme con una persona", true),
            ("no quiero hablar con un ejecutivo", false),
            (
                "gracias, pero no quiero hablar con un ejecutivo, ¿y mi plan?",
                false,
            ),
            ("alguien usó mi cuenta y me cobraron doble", false),
            ("la persona que vino no arregló nada", false),
            ("me cobraron doble", false),
        ] {
            assert_eq!(names_a_person(input), person, "{input:?}");
        }
        for (input, new) in [
            ("quiero una nueva clave wifi", true),
            ("quiero cambiar la clave del wifi", true),
            ("me cobraron doble otra vez", true),
            ("de nuevo sin internet", true),
            ("cuál es mi clave wifi", false),
            ("me cobraron doble", false),
        ] {
            assert_eq!(asks_for_new(input), new, "{input:?}");
        }
    }

    #[test]
    fn pick_by_subject_table() {
        // Subjects the bot and executives write.
        let subjects = [
            "Cambio de clave WiFi",
            "Cambio de plan",
            "Sin señal de TV",
            "Reinicio de servicios",
            "Contacto con ejecutivo",
            "Reclamo por el cobro de su boleta",
        ];
        let cases = [
            ("cómo va mi reclamo de la tele", Some(2)),
            ("que pasó con lo de la televisión", Some(2)),
            ("en qué quedó mi reclamo de la boleta", Some(5)),
            ("como va lo del plan", Some(1)),
            ("ya esta lista la clave del wifi?", Some(0)),
            // Asking about the requests in general: the list.
            ("quiero ver mis solicitudes", None),
            ("cómo van mis reclamos", None),
            ("estado de mis atenciones anteriores", None),
            ("revisar atenciones", None),
            ("hay alguna novedad de mis casos?", None),
            // No ordinals before a list was shown.
            ("la primera", None),
            ("la última solicitud", None),
            // Two subjects equally named.
            ("cómo va el cambio", None),
        ];
        for (input, expected) in cases {
            assert_eq!(pick_by_subject(input, &subjects), expected, "{input:?}");
        }
    }

    #[test]
    fn is_cancel_table() {
        let cases = [
            ("cancelar", true),
            ("mejor no", true),
            ("ya no quiero esperar", true),
            ("volver al menú", true),
            ("salir", true),
            ("me voy", true),
            ("olvídalo", true),
            ("no quiero esperar más", true),
            ("quiero hablar con un ejecutivo", false),
            ("no quiero salir, sigo esperando", false),
            ("sigo esperando", false),
            ("hola?", false),
            ("cuánto falta", false),
            ("ya no quiero hablar con un ejecutivo", true),
            ("no quiero hablar con nadie, quiero volver al menú", true),
            ("no quiero esperar, me voy", true),
            ("no cancelar, espero", false),
            // What the customer waits to talk about, not a wish to leave the queue.
            ("quiero cancelar mi plan", false),
            ("cancelar el servicio", false),
            ("cancelar la boleta", false),
            ("quiero salir de esta compañía", false),
            ("quiero volver a tener internet", false),
            ("cancelar el contrato", false),
            ("ya no quiero el plan", false),
            // Leaving, said in many ways.
            ("cancelar la espera", true),
            ("quiero salir de la fila", true),
            ("me aburrí de esperar, chao", true),
            ("volver", true),
            ("cancela todo", true),
            (
                "ya no quiero esperar, no tengo internet hace 3 días y nadie me atiende",
                true,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(is_cancel(input), expected, "input {input:?}");
        }
    }
}

/// What a complaint or account change is about, when a message asking for an executive
/// (`contactar_ejecutivo`) names it. The conversation can show [`Topic::label`] to
/// confirm ("Entiendo: un cobro duplicado en su boleta.") and use it as the request's
/// subject. See `intents/README.md` for the labelling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// The same charge billed twice.
    CobroDuplicado,
    /// A charge the customer does not recognise or never contracted.
    CargoDesconocido,
    /// What the customer owes, or a debt they dispute.
    Deuda,
    /// Any other dispute about the bill (too high, price raised).
    Boleta,
    /// Changing the plan (up, down, another plan).
    CambioPlan,
    /// Cancelling the service or the contract.
    Baja,
    /// Taking the number to another company.
    Portabilidad,
    /// Moving the service to another address.
    Traslado,
    /// A technician who never came or a bad technical visit.
    VisitaTecnica,
    /// Bad service: lasting or recurring failures, slower than contracted.
    MalaCalidad,
    /// A restart that did not solve the problem.
    ReinicioFallido,
    /// An urgent plea for help.
    Urgencia,
    /// A lost or stolen phone: the line to block.
    BloqueoLinea,
    /// The WiFi key: forgotten, to change, someone else using the network.
    ClaveWifi,
}

impl Topic {
    /// Every topic, in declaration order.
    pub const ALL: [Topic; 14] = [
        Topic::CobroDuplicado,
        Topic::CargoDesconocido,
        Topic::Deuda,
        Topic::Boleta,
        Topic::CambioPlan,
        Topic::Baja,
        Topic::Portabilidad,
        Topic::Traslado,
        Topic::VisitaTecnica,
        Topic::MalaCalidad,
        Topic::ReinicioFallido,
        Topic::Urgencia,
        Topic::BloqueoLinea,
        Topic::ClaveWifi,
    ];

    /// The topic's name in the labelling guide (`cobro_duplicado`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Topic::CobroDuplicado => "cobro_duplicado",
            Topic::CargoDesconocido => "cargo_desconocido",
            Topic::Deuda => "deuda",
            Topic::Boleta => "boleta",
            Topic::CambioPlan => "cambio_plan",
            Topic::Baja => "baja",
            Topic::Portabilidad => "portabilidad",
            Topic::Traslado => "traslado",
            Topic::VisitaTecnica => "visita_tecnica",
            Topic::MalaCalidad => "mala_calidad",
            Topic::ReinicioFallido => "reinicio_fallido",
            Topic::Urgencia => "urgencia",
            Topic::BloqueoLinea => "bloqueo_linea",
            Topic::ClaveWifi => "clave_wifi",
        }
    }

    /// Whether the topic's words name the matter by themselves, so that an executive is
    /// offered for it even when the classifier placed the message nowhere. Not
    /// [`Topic::MalaCalidad`] (a time span: "no me llega la boleta hace 3 meses"),
    /// [`Topic::ReinicioFallido`] (it needs a restart before) nor [`Topic::CambioPlan`]
    /// (price questions name plans).
    pub fn stands_alone(self) -> bool {
        // Every topic named: a new one must be placed on one side.
        match self {
            Topic::MalaCalidad | Topic::ReinicioFallido | Topic::CambioPlan => false,
            Topic::CobroDuplicado
            | Topic::CargoDesconocido
            | Topic::Deuda
            | Topic::Boleta
            | Topic::Baja
            | Topic::Portabilidad
            | Topic::Traslado
            | Topic::VisitaTecnica
            | Topic::Urgencia
            | Topic::BloqueoLinea
            | Topic::ClaveWifi => true,
        }
    }

    /// Whether the topic changes what the customer has with the company (ends it, moves it,
    /// takes it elsewhere, changes its plan) or what they owe or were charged for: a
    /// restart has nothing to do with it, whatever the words near it read as.
    pub fn changes_the_account(self) -> bool {
        // Every topic named: a new one must be placed on one side.
        match self {
            Topic::Baja
            | Topic::Portabilidad
            | Topic::Traslado
            | Topic::CambioPlan
            | Topic::Deuda
            | Topic::CargoDesconocido
            | Topic::CobroDuplicado => true,
            Topic::Boleta
            | Topic::MalaCalidad
            | Topic::ReinicioFallido
            | Topic::VisitaTecnica
            | Topic::Urgencia
            | Topic::BloqueoLinea
            | Topic::ClaveWifi => false,
        }
    }

    /// Parses a topic name.
    pub fn from_name(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.name() == name)
    }

    /// A Spanish noun phrase a customer reads: "Entiendo: {label}."
    pub fn label(self) -> &'static str {
        match self {
            Topic::CobroDuplicado => "un cobro duplicado en su boleta",
            Topic::CargoDesconocido => "un cargo que no reconoce en su cuenta",
            Topic::Deuda => "una consulta por el monto que adeuda",
            Topic::Boleta => "un reclamo por el cobro de su boleta",
            Topic::CambioPlan => "un cambio de plan",
            Topic::Baja => "dar de baja su servicio",
            Topic::Portabilidad => "la portabilidad de su número",
            Topic::Traslado => "el traslado de su servicio a otra dirección",
            Topic::VisitaTecnica => "un problema con la visita técnica",
            Topic::MalaCalidad => "la mala calidad de su servicio",
            Topic::ReinicioFallido => "un reinicio que no solucionó el problema",
            Topic::Urgencia => "una solicitud urgente de ayuda",
            Topic::BloqueoLinea => "el bloqueo de su línea por robo o pérdida del equipo",
            Topic::ClaveWifi => "la clave de su red WiFi",
        }
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Topic rules over normalised text, most specific first.
fn topic_rules() -> &'static [(Topic, regex::Regex)] {
    static RULES: OnceLock<Vec<(Topic, regex::Regex)>> = OnceLock::new();
    RULES.get_or_init(|| {
        let billing = r"(cobr|carg|boleta|cuenta|factur|pag|descont)";
        // A charge after turning it down ("dije que no quería el pack y de todas formas me
        // lo están cobrando", "me lo están cobrando igual", "apareció igual en la cuenta"):
        // of the company's products, or told to its people (not "no quería la bolsa en el
        // súper y me la cobraron igual").
        let charged = r"((igual|igualmente|aun asi|de todas formas|de todos modos) (me |nos )?(lo |la |los |las )?(estan |siguen |siguieron )?(cobrando|cobran|cobraron|cargaron|cargando)|(me |nos )?(lo |la |los |las )?(estan |siguen |siguieron )?(cobrando|cobran|cobraron|cargaron|cargando) (igual|igualmente|de todas formas|de todos modos)|(aparecio|aparece|llego|llega|salio|sale|vino|viene) igual (cobrad[oa] )?en (la |mi )?(cuenta|boleta)|igual (me )?(aparecio|aparece|llego|llega|salio|sale|vino|viene) en (la |mi )?(cuenta|boleta))";
        let refused = r"(no (queria|quise|acepte|pedi|pedimos)|dije que no( queria)?|rechace|nunca (quise|pedi))";
        let product = r"(el |la |los |las |ese |esa |un |una )?(pack|plan|canal|canales|paquete|servicio|suscripcion|promocion|promo|seguro del (equipo|celular|celu|telefono|modem)|netflix|hbo|futbol|deco|decodificador|decos|repetidor|equipo)";
        let refused_charge = format!(r"\b(ejecutiv[oa]|vendedor|vendedora|ustedes)\b.*\b{refused}\b.*\b{charged}\b|\b{refused}( \w+){{0,2}} {product}\b.*\b{charged}\b");
        // An extra product on the bill that the customer did not ask for, in any order
        // ("el vendedor me metió un seguro de celular que yo no pedí y ahora viene en la
        // cuenta", "aparece un seguro del celular en la cuenta y yo dije clarito que no lo
        // quería", "le dije a la niña q no quería el seguro y aparece en la cuenta").
        let extra = r"(seguro|seguros|pack|paquete|canal|canales|suscripcion|promocion|promo|asistencia|antivirus|netflix|hbo|disney|spotify)";
        let unasked = r"(no (lo |la |los |las )?(pedi|pedimos|solicite|solicitamos|contrate|contratamos|autorice|autorizamos|queria|queriamos)|nadie (lo |la )?(pidio|solicito|contrato)|sin (preguntar|consultar|avisar)(me|nos)?|sin (pedirlo|pedirla|solicitarlo|solicitarla)|sin (mi|nuestro|nuestra) (permiso|autorizacion|consentimiento)|(dije|dijimos)( \w+){0,3} (que |q )no (lo |la |los |las )?(queria|queriamos|quise|necesitaba|necesitabamos)|rechace|nunca (lo |la )?(pedi|contrate|quise))";
        // (Not what it "sale" or "viene" at: "no pedí el pack todavía, ¿cuánto sale?".)
        let billed = r"(cobr\w*|cuenta|boleta|factura|cargo|cargan|cargaron|aparece|aparecen)";
        let unasked_extra = format!(r"\b{extra}\b.*\b{unasked}\b.*\b{billed}\b|\b{billed}\b.*\b{extra}\b.*\b{unasked}\b|\b{unasked}( \w+){{0,3}} (el |la |los |las |un |una )?{extra}\b.*\b{billed}\b");
        let rules: [(Topic, String); 14] = [
            (
                Topic::CobroDuplicado,
                format!(
                    r"{billing}\w*\b.*\b(dos veces|2 veces|doble|duplicad\w*|repetid\w*)|\b(doble|duplic\w*)\b.*{billing}|\b(dos|2) (cobros|cargos) ((por|de) (la misma|el mismo|lo mismo)|iguales|identicos)\b|\b(boleta|plan|mensualidad|cargo fijo|ustedes)\b.*\b(cobraron|cargaron|descontaron)\b( \w+){{0,4}} en (los dos|las dos|los 2|las 2|ambos|ambas)\b|\b(cobraron|cargaron|descontaron)\b( \w+){{0,4}} en (los dos|las dos|los 2|las 2|ambos|ambas)\b.*\b(boleta|plan|mensualidad|cargo fijo)\b|\b(boleta|plan|mensualidad|cargo fijo)\b.*\b(cobraron|cargaron|descontaron)\b( \w+){{0,3}} en (la|mi) (tarjeta|cuenta)( \w+){{0,3}} y (tambien |ademas )?en (la|mi) (de |otra )?\w+|\b(cobraron|cargaron|descontaron) (el|la|mi) (plan|boleta|mensualidad|cargo fijo)( \w+){{0,3}} en (la|mi) (tarjeta|cuenta)( \w+){{0,3}} y (tambien |ademas )?en (la|mi) (de |otra )?\w+"
                ),
            ),
            (
                Topic::CargoDesconocido,
                format!(
                    r"{billing}\w*\b.*\b(no (lo |la )?reconozco|desconoc\w*|(nunca|jamas) (contrate|contratamos|pedi|pedimos|solicite|solicitamos)|(pack|canal|canales|paquete|seguro|servicio|suscripcion|promocion|promo|deco|linea|chip)\b.*\b(que|q) nadie( \w+){{0,3}} (pidio|contrato|solicito|autorizo)|no (contrate|pedi|solicite)|no corresponde|sin (mi )?(permiso|autorizacion)|di de baja|era gratis)|\b(era|eran|seria|iba a ser|venia|venian|iba|iban|estaba|estaban|salia) (gratis|incluid[oa]s?)\b.*\b(cobr\w*|cargaron|cargo|boleta|cuenta|factur\w*|pagar|pague|pagando|pago|aparte)\b|\b(cobrando|pagando|cobran|cobraron|cargo|cobro)( \w+){{0,5}} (que|q) (ya )?(lo |la |los |las )?(devolvi|devolvimos|entregue|entregamos)\b|\b(devolvi|devolvimos|entregue|entregamos) (el|la|los|las) (deco|decos|decodificador|decodificadores|modem|router|equipo|equipos|control)\b.*\b(todavia|aun|igual|sigue|siguen)( \w+){{0,3}} ((cobr|factur)\w*|(aparece|aparecen|llega|llegan|sale|salen|viene|vienen)\b.*\b(arriendo|boleta|cuenta|cargo|cobro))\b|\bque es este (cobro|cargo)\b|\b(boleta|cuenta|factura)\b.*\b(arriendo|cobro|cargo)\b( \w+){{0,6}} (que|q) (ya )?(lo |la )?(devolvi|devolvimos|entregue|entregamos)\b|\bno (reconozco|reconocemos|reconoce|reconocen) (un |una |unos |unas |el |la |los |las |este |esta |estos |estas |ese |esa )?((cargo|cargos|cobro|cobros|suscripcion|suscripciones)\b|(compra|compras|transaccion|transacciones)\b.*\b{billing})|\b(activaron|agregaron|pusieron|contrataron|suscribieron|cargaron|instalaron|sumaron)\b.*\bsin (que|q) (yo |nadie |nosotros )?(se )?(lo |la |los |las )?(pidiera|pidieramos|solicitara|solicitaramos|autorizara|autorizaramos|contratara|pidiese)\b|\b(activaron|agregaron|pusieron|instalaron|cargaron|sumaron|activo|agrego|puso|instalo|cargo|sumo)( \w+){{0,3}} (un|una|el|la|los|las) (pack|paquete|seguro|canal|canales|servicio|suscripcion|promocion|promo|deco|decodificador)\b( \w+){{0,5}} sin (pedirlo|pedirla|pedirlos|pedirlas|solicitarlo|solicitarla|haberlo pedido|haberla pedido)\b|\b(activaron|agregaron|pusieron|activo|agrego|puso) (un|una|el|la|los|las) (pack|paquete|seguro|canal|canales|servicio|suscripcion|promocion|promo)\b.*\b(dije|dijimos|avise|avisamos)( \w+){{0,4}} (que |q )no (lo |la |los |las )?(queria|queriamos|necesitaba|necesitabamos)\b|\b(activaron|agregaron|pusieron|contrataron|suscribieron|cargaron|instalaron|sumaron|inscribieron|dieron de alta)\b.*(\b(nunca|jamas) (autorice|pedi|solicite|contrate)\b|\b(dije|dijimos|avise|avisamos)( \w+){{0,4}} (que )?no (lo |la |los |las )(queria|queriamos|necesitaba|necesitabamos)\b|\b(que|q) (yo |nosotros )?(no (pedi|pedimos|solicite|solicitamos|contrate|contratamos|autorice|autorizamos)|rechace|rechazamos|(habia|habiamos) rechazado)\b|\b(que|q) nadie (lo |la |los |las )?(pidio|solicito|contrato|autorizo)\b|\b(que|q) (el|ella) (rechazo|habia rechazado)\b|\bsin (preguntar|consultar|avisar)(me|nos)?\b|\bsin (mi|nuestra|nuestro) (autorizacion|permiso|consentimiento)\b)|\b(el|la|un|una) (vendedor|vendedora|ejecutiv[oa]|tecnic[oa]|empresa|compania)( (que|q)( \w+){{1,6}})? (me|nos) (activo|agrego|suscribio|inscribio|instalo|puso)\b.*(\b(que|q) (yo |nosotros )?no (pedi|pedimos|solicite|solicitamos|contrate|contratamos|autorice|autorizamos)\b|\bsin (preguntar|consultar|avisar)(me|nos)?\b)|{refused_charge}|{unasked_extra}"
                ),
            ),
            (
                Topic::Portabilidad,
                r"\bport(abilidad|arme|arse|ar|o|ando)\b|llevarme (el|mi) (numero|fono)|\bcambi(ar|arme|arnos|o|amos)( \w+)? (de|a otra) (compania|empresa)\b|\b(me|nos) (voy|vamos|paso|pasamos|cambio)( a (ir|pasar|cambiar))? a (otra (compania|empresa)|la competencia)\b|\b(irme|irnos|pasarme|pasarnos) a (otra (compania|empresa)|la competencia)\b|\b(me|nos) (tengo|tenemos) que ir a (otra (compania|empresa)|la competencia)\b".to_owned(),
            ),
            (
                Topic::Baja,
                r"\bde baja\b|\bdarme de baja|\bsi no (me |nos |lo |la )?(arreglan|solucionan|resuelven|devuelven|compensan|bajan|rebajan|sacan|quitan|responden|contestan|reembolsan)\b( (\w+|\|)){0,10} (los|las) (dejo|dejamos)\b|\b(solicito|solicita|solicitamos|pido|pide|pedimos|quiero|queremos|necesito|necesitamos|tramitar|gestionar) la baja (del|de la|de los|de las|de mi|de nuestro|de nuestra) \w+|\b(cancel|anul|termin|finaliz|cerr)\w* (el |mi |la |todo |con )?(contrato|servicio|plan|cuenta)\b|\b(quiero|quisiera|necesito|deseo|queremos|necesitamos|vengo a) (cancelar|anular|terminar|dar de baja) (el |mi |la |todo el )?(internet|cable|fibra|telefono fijo|fijo|tv|tele|television|linea|chip|numero)( satelital| cable| digital)?\b|\bdesafili|\bdarse de baja|\bcort(en|ar|enme|arme|e) (el |mi |la |nuestro |nuestra )?(contrato|plan)\b|(^|\b(quiero|necesito) que |\b(pueden|podrian|puede|podria|favor|porfa) )((me|nos) )?(corten|cortar|suspendan|suspender)( el| mi| la| los| todo el)? (servicio|servicios|internet|linea|cable)( \w+){0,2} (definitivamente|para siempre|de forma definitiva|de manera definitiva)\b".to_owned(),
            ),
            (
                Topic::Traslado,
                r"\btrasla\w*|\bmudanza\b|\b(me|nos) mud\w*|\bmud(ar|arme|arnos|amos)\b|\botra direccion\b|\bcambio de (domicilio|direccion)\b|\bcambie de casa\b|\b(mover|llevar|llevarme|llevarnos|pasar) (el|la|mi|nuestro|nuestra|los) (internet|servicio|servicios|plan|wifi|fibra)( \w+)? (pa|para|a) (alla|la casa nueva|la nueva casa|el depto nuevo|el nuevo depto|la otra casa)\b|\b(mover|llevar|pasar|cambiar) (el|la|mi|nuestro|nuestra) (internet|servicio|plan|fibra)( (de|del|desde) (la |el )?\w+( \w+){0,4})? ((a|pa|para) (la|el)|al|pal) ((otra|otro|nueva|nuevo) (parcela|casa|oficina|sede|local|bodega|sucursal|depto|departamento|fundo|predio|campo|terreno)|(parcela|casa|oficina|sede|local|bodega|sucursal|depto|departamento|fundo|predio|campo|terreno) (nueva|nuevo))\b|\b(nos|me) (cambiamos|cambie|cambio|vamos a cambiar|voy a cambiar) de (local|oficina|sede|bodega|domicilio)\b.*\b(internet|servicio|servicios|plan|fibra|wifi|linea|telefono)\b|\b(internet|servicio|servicios|plan|fibra|wifi|linea|telefono)\b.*\b(nos|me) (cambiamos|cambie|cambio|vamos a cambiar|voy a cambiar) de (local|oficina|sede|bodega|domicilio)\b".to_owned(),
            ),
            (
                Topic::CambioPlan,
                r"\b(cambi|sub|baj|mejor|modific|rebaj|anul|junt|unific|fusion|combin)\w* (\w+ ){0,3}plan(es)?\b|\bplan( de (datos|internet|megas|gigas|minutos))? (mas|menos) (barato|caro|megas|grande|chico|completo|economico)|\b(me|nos|le) (pasaron|cambiaron|movieron) (a|de) otro plan\b|\bmas (megas|gigas)\b|\bplan de \d+ megas\b|\b(necesito|necesita|necesitamos|requiere|requerimos) otro plan( de (datos|internet|megas|gigas|minutos|telefono|celular))?( \||$| (porque|xq|pq|ya|este|que|con|mas)\b| (pa|para) (el |la |mi |los |las |nuestro |nuestra )?(casa|negocio|empresa|local|oficina|pyme|familia|celu|celular|telefono|internet|hogar|trabajo|pega|colegio|taller|flota)\b)|\btitular\w*|".to_owned()
                    + KEEPS_ONLY
                    + "|"
                    + HOLDER_TRANSFER,
            ),
            (
                Topic::VisitaTecnica,
                r"\btecnic\w*\b.*\b(no (llego|vino|aparecio|se presento)|(nunca|nadie) (llego|vino|aparecio)|plantad\w*|esperando|espere|dejo (\w+ ){0,3}(mal|sin|peor|botad\w*|tirad\w*|colgand\w*|suelt\w*|cortad\w*|rot[oa]s?|mal[oa]s?|igual)|peor|mal)\b|\b(esperando|espere) (al|el|a un|un) tecnic|\bvisita tecnica\b|\bplantad\w* con".to_owned(),
            ),
            (
                Topic::ReinicioFallido,
                r"\b(reinici|resete|desenchuf|apague|apagand|reset)\w*\b.*\b(no (me )?(sirvio|funciono|resulto|resolvio|arreglo|soluciono)|sigue|sigo|nada|igual|mismo)\b|\b(reinicie|reiniciaron|reiniciamos|resetee|resetearon|reseteamos|desenchufe|apague)\b.*(\b(de nuevo|otra vez) (no|sin|se)\b|\bvolvio a (caer|cortar|fallar|morir|pegar|colgar)\w*)|\b(segui|seguimos|hice|hicimos) (todos )?los pasos\b.*\b(sigue|siguen|sigo|igual|nada|mismo)\b|\b(hice|hicimos) (todo )?lo que (el bot|el asistente|la asistente|el chat|ustedes) (me |nos )?(dijo|dijeron|indico|indicaron|pidio|pidieron)\b.*\b(sigue|siguen|sigo|igual)\b|\bno (me )?(sirvio|funciono|resulto) (el |la )?(reinicio|reset)|\b(no|sigue|sigo|siguen)\b.*\b(despues|tras) (del|el) (reinicio|reset|reseteo)\b".to_owned(),
            ),
            (
                Topic::Deuda,
                r"\bdeud\w*|\bcuanto (le )?debo\b|\b(le )?debo a ustedes|\badeud\w*|\bcuanto tengo que pagar\b|\bcuanto (tengo|tenemos)( \w+)? (pendiente|impag\w*)\b|\bcuanto (tengo|tenemos|me queda|nos queda|me falta|nos falta) por pagar\b|\bponerme al dia\b|\bestando al dia\b|\bmoros\w*|\b(metieron|meter|meten|tengo|tienen|amenaza|amenazan|amenazaron|mandaron|mandar)\b( \w+){0,3} (en |a |al |con )?dicom\b.*\b(pague|pagamos|pagada|pagado|no (debo|debemos)|error)\b|\b(empresa|agencia|oficina) de cobranza\b( \w+){0,4} (me|nos) \w+|\b(me|nos) (llegan|llega|mandan|manda|envian|llaman|llama)( \w+){0,2} de (una |la )?(empresa|agencia|oficina) de cobranza\b|\b(me|nos) (llama|llaman|llamaron|llamo|escriben|escribieron) de (una |la )?cobranza\b".to_owned(),
            ),
            (
                Topic::BloqueoLinea,
                r"\b(perdi|extravie|robaron|hurtaron|perdio|robo|llevaron|cogotearon|manotearon|asaltaron)( (el|mi|su|un))? (celular|celu|telefono|fono|chip|movil)\b|\b(me|nos|le) quitaron (el|mi|su) (celular|celu|telefono|fono)\b.*\bbloque\w*|\b(fue|ha sido) (sustraido|robado|hurtado|extraviado) (el |mi |su )?(celular|telefono|movil|equipo)\b|\bme sacaron (el |mi )?(celular|celu|telefono|fono) (del|de la|de mi) (bolsillo|cartera|mochila|bolso|chaqueta)\b|\b(celular|telefono|chip|equipo)\b( \w+){0,2} (robado|perdido|extraviado|sustraido|hurtado)\b|\bbloque\w* (el |la |mi |su )?(chip|linea|celular|numero|telefono)\b.*\b(rob\w*|perd\w*|extravi\w*|hurt\w*)|\b(rob\w*|perd\w*|extravi\w*|hurt\w*|no lo (encontre|encuentro|pude encontrar|halle)|cayo( (el|mi) (celular|celu|telefono))? al (mar|agua|rio|lago|canal|wc|bano))\b.*\bbloque\w* (el |la |mi |su )?(chip|linea|celular|numero|telefono)\b|\b((bloqueen|bloquee|bloqueenme|bloqueeme)|(quiero|necesito|queremos|necesitamos|pueden|puede|podrian|podria|hay que|como) (\w+ )?(bloquear|bloquearme))( me)? ((el |la |mi |su |esa |este |ese |esta )?(chip|linea)|mi (celular|numero|telefono))\b|\b(bloqueen|bloquee|bloqueenme|bloqueeme) el (celular|numero|telefono)( (porfa|por favor|xfa|altiro|al tiro|ya|urgente))*( \||$)".to_owned(),
            ),
            (
                Topic::Boleta,
                format!(
                    r"{billing}\w*\b.*\b(car[oa]s?|caris\w*|demasiado|tanto|excesiv\w*|mal|error|subieron|alz\w*)\b|\b(boleta|cuenta|precio|cobro)( (de|del) \w+( \w+)?)? (me |nos |le )?(ya )?subio\b|\bsubieron (el )?precio|\bme cobran\b|\bcobro\b|\b(cobrad[oa]s?|cobraron|cobran|cobro) de mas\b|\b(cobr\w*|cargaron|descontaron|pague)\b( \w+){{0,5}} (de mas|extra)\b|\b(cuenta|boleta)\b( \w+){{0,6}} (lucas|pesos|mil)( \w+)? (de mas|extra)\b|\b(lucas|luca|pesos|mil)( \w+)? de mas\b|\b\d{{3,}}( (pesos|lucas|luca|mil|clp))? de mas\b|\b(promo|promocion|descuento|oferta|rebaja)\b( \w+){{0,8}} no ((me |nos |le )?(la |lo |las |los )?(aplicaron|respetaron|consideraron|hicieron valer)|(me|nos|le) (la |lo |las |los )?(aplican|respetan))\b|\bno ((me |nos |le )?(aplicaron|respetaron)|(me|nos|le) (aplican|respetan)) (el |la |los |las |mi |nuestro |nuestra )?(promo|promocion|descuento|oferta|rebaja)\b"
                ),
            ),
            (
                Topic::MalaCalidad,
                r"\bpesim\w*|\bmalisim\w*|\bbasura\b|\bcada rato\b|\btodo el rato\b|\bhace (\w+ )?(dias|semanas|meses)\b|\bllevo (\w+ )?(dias|semanas|meses)\b|\bdesde el (lunes|martes|miercoles|jueves|viernes|sabado|domingo)\b|\bme llegan\b|\bmala calidad\b|\bmal servicio\b|\bnadie me (soluciona|resuelve|ayuda)".to_owned(),
            ),
            (
                Topic::ClaveWifi,
                format!(r"\b(clave|contrasena|password)\b( \w+){{0,3}} (wifi|red|router|modem|internet|inalambrica)\b|\b(wifi|router|modem)\b( \w+){{0,3}} (clave|contrasena|password)\b|{BORROWED_WIFI}"),
            ),
            (
                Topic::Urgencia,
                // Not the phone's "solo llamadas de emergencia" (no signal): see
                // `complaint_topic_in`.
                r"\burgen\w*|\bemergencia\b|\bauxilio\b|\bsocorro\b|\bes grave\b".to_owned(),
            ),
        ];
        rules
            .into_iter()
            .map(|(topic, pattern)| (topic, ascii_regex(&pattern)))
            .collect()
    })
}

/// Someone else using the customer's WiFi ("el vecino se cuelga de mi wifi", "me están
/// robando el internet", "usan mi wifi sin permiso"; not "se me cuelga el wifi", "mi hijo
/// usa el wifi", "vive colgado del internet"): a matter of the WiFi key ([`Topic::ClaveWifi`]), which a restart
/// does not mend.
const BORROWED_WIFI: &str = r"\b(robando|roba|roban|robaron)( (el|mi|la|nuestro|nuestra))? (wifi|internet|red|senal)\b|\b(cuelga|cuelgan|colgando|colgad[oa]s?) (a|de) (mi|nuestro|nuestra) (wifi|internet|red)\b|\b(usando|usa|usan|ocupando|ocupa|ocupan|conectad[oa]s?|conecta|conectan) (a |en )?(mi|nuestro|nuestra) (wifi|internet|red)\b.*\bsin (permiso|autorizacion|pagar)\b|\b(vecin[oa]s?|extran[oa]s?|desconocid[oa]s?)\b( \w+){0,6} (usando|usa|usan|ocupando|ocupa|ocupan|conectad[oa]s?|conecta|conectan|colgad[oa]s?|cuelga|cuelgan) (a |en |de |del )?(mi |nuestro |nuestra |el )?(wifi|internet|red)\b|\balguien\b( \w+){0,3} (usando|usa|ocupando|ocupa|conectad[oa]|conecta|colgad[oa]|robando|roba) (a |en |de )?(mi|nuestro|nuestra) (wifi|internet|red)\b";

/// Words of a polite request put as a question ("¿me pueden bloquear el chip?").
const POLITE_REQUEST: &[&str] = &["pueden", "puede", "podrian", "podria", "podrias"];

/// Words that start a question for information ("cuál es la clave del wifi", "dónde pago
/// la boleta").
const INTERROGATIVES: &[&str] = &["cual", "cuales", "donde"];

/// Whether the message asks for information rather than reporting a matter or asking for
/// something to be done: it opens with a question ("¿la visita técnica tiene costo?",
/// "cuál es la contraseña del wifi") that is no polite request ("¿me pueden bloquear la
/// línea?"). A question after a report asks what to do about it ("perdí mi celular, ¿qué
/// hago?").
pub fn asks_for_information(input: &str) -> bool {
    let norm = text::normalize(input);
    let mut toks = words(&norm).peekable();
    let first = toks.peek().copied();
    if toks.any(|t| POLITE_REQUEST.contains(&t)) {
        return false;
    }
    let opening = input
        .trim_start()
        .split_inclusive(['.', ',', ';', '!', '?'])
        .next()
        .unwrap_or("");
    opening.contains(['?', '¿']) || first.is_some_and(|t| INTERROGATIVES.contains(&t))
}

/// The topic of a complaint or account change named in the text ("me cobraron dos veces
/// la boleta" -> `CobroDuplicado`), or `None` when it names none of them.
pub fn complaint_topic(input: &str) -> Option<Topic> {
    complaint_topic_in(&text::normalize(input))
}

/// The matter an already normalised text reports that a restart cannot help with: a lost or stolen
/// phone ([`Topic::BloqueoLinea`]), a forgotten WiFi password ("olvidé la clave del wifi, ¿me la
/// resetean?": [`Topic::ClaveWifi`]), a restart done that did not help ("el reset no arregló nada":
/// [`Topic::ReinicioFallido`]), a technician who never came, fixed nothing or left things worse
/// ([`Topic::VisitaTecnica`]), or a failure that has lasted days ([`lasts_days`]) or comes back
/// ([`recurs`]: [`Topic::MalaCalidad`]); nothing when the message denies the loss, the block, the
/// forgetting or the restart ("no perdí el celular, solo reinicien el internet", "aún no me
/// reiniciaron el módem").
pub(crate) fn topic_beyond_restart_in(normalized: &str) -> Option<Topic> {
    static PATTERNS: OnceLock<[regex::Regex; 8]> = OnceLock::new();
    let [denied, technician, technician_came, adjective, restart_failed, restart_done, forgot, borrowed] =
        PATTERNS.get_or_init(|| {
            // "Dejó" what it left ("dejó un cable suelto"), not "dejó de funcionar".
            let came = r"(vino|vinieron|paso|pasaron|estuvo|estuvieron|mandaron|enviaron|dej(o|aron) (un|una|el|la|los|las|mal|sin|todo|botad\w*|tirad\w*|colgand\w*)|se fue|se fueron)";
            // Restarts done, in verbs (the nouns also name a restart asked for: "solicito
            // el reinicio"); "reinicie" without its accent is also the polite command ("por
            // favor reinicie mi módem"): only after a word that makes it the past ("ya
            // reinicié").
            let ambiguous = "(reinicie|resetee|desenchufe|apague)";
            let past = "reiniciaron|resetearon|reiniciamos";
            // (Also done by the bot or a person: "anoche el bot me reinició el deco", "ayer
            // un ejecutivo me reinició el router a distancia".)
            let done_verb = format!("((ya|yo|lo|le|la|los|recien|tambien) {ambiguous}|{ambiguous}( \\w+){{0,3}} (y|pero) (volvio|volvieron|sigue|siguen|siguio|quedo|quedaron)|{ambiguous}( \\w+){{0,3}} como (me )?(dijeron|dijo|indicaron|indico)|{past}|reseteamos|lo que (me )?(dijo|dice|indico|indica) el (bot|asistente)|(el bot|el asistente|el sistema|ustedes|usted|(un|el) (ejecutivo|tecnico)|(una|la) (ejecutiva|tecnica)) (me |nos |le |lo |la )?(reinicio|reseteo))");
            // (Thanked for: "gracias por reiniciarlo pero la tele sigue sin señal".)
            let done = format!("({ambiguous}|{past}|el reinicio|del reinicio|el reset|del reset|gracias por (reiniciar|resetear)(lo|la|los|me)?)");
            [
                format!(r"{LOSS_DENIED}|\bno (quiero|necesito) (que )?bloque|\bno (me |nos |lo |la )?(han )?(reiniciaron|resetearon|reiniciado|reseteado)\b"),
                r"\btecnic(o|a|os)\b.*\b(no (llego|vino|aparecio|se presento|arreglo|soluciono|reparo|resolvio)|nunca (llego|vino|aparecio)|plantad\w*|peor|se (fue|fueron) sin (dejar|arreglar|solucionar|terminar)|(se fue|se fueron|termino|terminaron)\b.*\b(quedo|quedaron|sigue|siguen|esta|estan) igual)\b".to_owned(),
                // A visit after which something fails (with `fails`): "pasó la técnica
                // y desde entonces la tele no funciona", "desde que vino el técnico", "el
                // técnico que mandaron dejó un cable suelto y ahora...", "después de que
                // instalaron la fibra el deco no funciona bien", "después de la visita del
                // técnico quedé sin teléfono fijo").
                format!(r"\b(desde|despues) (de )?(que|q) (me |nos )?(instalaron|cambiaron|conectaron|pusieron) (el |la |los |las |mi |nuestra |nuestro )?(fibra|internet|modem|router|deco|decodificador|equipo|equipos|servicio|cable|antena)\b|(\b{came} (\w+ )?(el |la |los )?tecnic(o|a|os)\b|\btecnic(o|a|os)\b( \w+){{0,4}} {came}\b).*\b(ahora|desde ahi|desde entonces|tampoco|(desde|despues) (de )?(que|q) se (fue|fueron))\b|\b(desde|despues) (de )?que (\w+ )?{came} (\w+ )?(el |la |los )?tecnic(o|a|os)\b|\b(desde|despues de) la visita (del |de la |de los )?tecnic(o|a|os)\b"),
                r"\b(falla|problema|soporte|servicio|asistencia|error) tecnic".to_owned(),
                // (Or the customer's own, told as "lo hice yo": "no me reseteen nada, ya lo
                // hice yo dos veces y nada".)
                format!(r"\b{done}\b.*\b(no (me )?(sirvio|funciono|resulto|resolvio|arreglo|soluciono)|sigue|sigo)\b|\b(reinici|resete|desenchuf)\w*\b.*\b(ya )?lo (hice|hicimos)( yo| nosotros)?( \w+){{0,3}} (y|pero) (nada|igual|sigue|siguen|no (vuelve|volvio|sirvio|funciono|resulto))\b"),
                // A restart done (with a failure after it: `failed_after`).
                format!(r"\b{done_verb}\b"),
                r"\b(se me olvido|se nos olvido|olvide (la|mi|el)|olvidamos (la|el)|no me acuerdo de|no recuerdo|perdi (la|mi))\b".to_owned(),
                BORROWED_WIFI.to_owned(),
            ]
            .map(|pattern| ascii_regex(&pattern))
        });
    let text = without_clause_breaks(normalized);
    if denied.is_match(&text) {
        return None;
    }
    let named = |wanted: Topic| {
        topic_rules()
            .iter()
            .any(|(topic, re)| *topic == wanted && re.is_match(&text))
    };
    if named(Topic::BloqueoLinea) {
        Some(Topic::BloqueoLinea)
    } else if (forgot.is_match(&text) || borrowed.is_match(&text))
        && named(Topic::ClaveWifi)
        && !asks_how_to(&text)
    {
        Some(Topic::ClaveWifi)
    } else if restart_failed.is_match(&text)
        || failed_after(restart_done, &text)
        // (Read with its clause breaks: "ya, reinicie el módem" asks.)
        || restart_done.is_match(normalized) && came_to_nothing(normalized)
    {
        Some(Topic::ReinicioFallido)
    } else if (technician.is_match(&text) || technician_came.is_match(&text) && fails(&text))
        && !adjective.is_match(&text)
    {
        Some(Topic::VisitaTecnica)
    } else {
        // (Not with the customer's service said to work: "el profe se desconecta a cada
        // rato, pero nuestro internet anda bien".)
        ((lasts_days(&text) || fails(&text) && recurs(&text)) && !says_service_works(normalized))
            .then_some(Topic::MalaCalidad)
    }
}

/// Whether a clause of a normalised text ends in "y nada" ("ya desenchufé el módem dos veces
/// y nada", "lo reinicié y nada pasa"): what was tried did nothing (not "y nada más").
fn came_to_nothing(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    normalized.contains(" na")
        && PATTERN
            .get_or_init(|| {
                ascii_regex(r"\b(y|pero) (nada|na)( (pasa|paso|cambia|cambio|funciona|anda|sirve|sirvio|de nada|igual))?( \||$)")
            })
            .is_match(normalized)
}

/// Whether a failure ([`fails`]) is told after the first match of `done` in `text`: "me
/// resetearon el módem el lunes y otra vez se cae", "reinicié y no funciona nada", "hice lo
/// que dijo el bot y nada anda" (not "no funciona, ¿reinicié bien?").
fn failed_after(done: &regex::Regex, text: &str) -> bool {
    done.find(text).is_some_and(|m| fails(&text[m.end()..]))
}

/// Whether an already normalised text condemns the company's service in so many words: a
/// service and its verdict ("el servicio es una basura", "la señal del celu en mi casa es
/// malísima", "con lluvia la tele se pone fatal", "pésimo servicio"), or a speed below what
/// is paid for ("la subida no pasa de 20 megas", "me llega la mitad de lo que pago"; not a
/// device's: "la tarjeta de red no pasa de 100 mbps"), not an insult that names no service
/// ("son una basura") nor "mensajes basura".
fn condemns_the_service(normalized: &str) -> bool {
    static VERDICT: OnceLock<regex::Regex> = OnceLock::new();
    VERDICT
        .get_or_init(|| {
            let service = "(servicio|internet|wifi|senal|tele|television|cable|telefono|fono|conexion|plan|fibra|celular|celu|compania|empresa)";
            let pattern = format!(
                r"\b{service}\b( \w+){{0,5}} (es|son|esta|estan|anda|andan|va|funciona|ha sido|pone|ponen|queda|quedan)( \w+){{0,2}} (una basura|basura|pesim\w*|malisim\w*|un asco|penca|fatal|horrible|como las weas|como el forro)\b|\b(pesim\w*|malisim\w*|mal|penca|horrible) {service}\b|\bmala calidad\b|\b(internet|wifi|fibra|bajada|subida|descarga|velocidad|conexion|senal)\b( \w+){{0,3}} no (pasa|llega|supera) (de |a )?(los )?\d+ ?(megas|mb|mbps)\b|\bmitad de (la velocidad|lo que (pago|contrate))\b|\b{service}\b( \w+){{0,2}} (que |q )?(no (funciona|anda|sirve) nunca|nunca (funciona|anda|sirve))\b"
            );
            ascii_regex(&pattern)
        })
        .is_match(normalized)
}

/// One service kept, the others dropped ("ya no queremos el cable, que nos dejen solamente
/// el internet", "queremos dejar solo el internet", "no quiero más el fijo, déjenme solo
/// con la fibra", "sáquenme el fijo, que nos quede solo el internet"): a change of plan
/// ([`Topic::CambioPlan`]); "solo con" only after a service turned down ("déjenme solo con
/// la tele, no me reinicien nada" is alone with it).
const KEEPS_ONLY: &str = r"\b(dejen|dejenme|dejennos|(quiero|queremos|quisiera|quisieramos|necesito|necesitamos) (dejar|quedarme con|quedarnos con)) ((solamente|unicamente|nomas) (con )?(el |la )?|solo (el |la ))(internet|wifi|cable|tele|television|telefono|fijo|fibra)\b|\b(dejen|dejenme|dejennos) solo con (el |la )?(internet|wifi|cable|tele|television|telefono|fijo|fibra)\b.*\b(ya no|no) (quiero|queremos) (mas )?(el |la )?(internet|wifi|cable|tele|television|telefono|fijo|fibra)\b|\b(quiero|queremos|quisiera|quisieramos|necesito|necesitamos) (quedarme|quedarnos) (solo|solamente|unicamente) con (el |la )?(internet|wifi|cable|tele|television|telefono|fijo|fibra)\b|\b((ya no|no) (quiero|queremos)|saquen|saquenme|quiten|quitenme)\b.*\b(dejen|dejenme|dejennos) solo con (el |la )?(internet|wifi|cable|tele|television|telefono|fijo|fibra)\b|\b(saquen|quiten)(me|nos|la|lo|las|los|mela|melo|nosla|noslo)?\b.*\bque (me |nos )?(quede|queden) (solo|solamente|unicamente|nomas) (con )?(el |la )?(internet|wifi|cable|tele|television|telefono|fijo|fibra)\b";

/// Whether a normalised text keeps one service only ([`KEEPS_ONLY`]).
fn keeps_only(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    if !(normalized.contains("dejen")
        || normalized.contains("dejar")
        || normalized.contains("quedar")
        || normalized.contains("quede"))
    {
        return false;
    }
    let text = without_clause_breaks(normalized);
    // Not denied ("no quiero dejar solo el internet"), nor a service left on ("quiero dejar
    // solo el wifi prendido en la noche").
    PATTERN
        .get_or_init(|| ascii_regex(KEEPS_ONLY))
        .find_iter(&text)
        .any(|found| {
            let left_on = words(&text[found.end()..]).next().is_some_and(|w| {
                matches!(
                    w,
                    "prendido"
                        | "prendida"
                        | "encendido"
                        | "encendida"
                        | "apagado"
                        | "apagada"
                        | "conectado"
                        | "conectada"
                        | "funcionando"
                )
            });
            let before: Vec<&str> = words(&text[..found.start()]).collect();
            let denied = before[before.len().saturating_sub(2)..]
                .iter()
                .any(|w| negator(w));
            !left_on && !denied
        })
}

/// Whether turning the topic down ("no quiero dar de baja nada") asks for nothing: the
/// topics a customer wishes for, not the ones they suffer ("no quiero que me sigan cobrando
/// de más" is a complaint).
fn is_a_wish(topic: Topic) -> bool {
    // Every topic named: a new one must be placed on one side.
    match topic {
        Topic::Baja
        | Topic::Portabilidad
        | Topic::CambioPlan
        | Topic::Traslado
        | Topic::ClaveWifi
        | Topic::BloqueoLinea
        | Topic::VisitaTecnica => true,
        Topic::CobroDuplicado
        | Topic::CargoDesconocido
        | Topic::Deuda
        | Topic::Boleta
        | Topic::MalaCalidad
        | Topic::ReinicioFallido
        | Topic::Urgencia => false,
    }
}

/// The matter only a person handles that a message reports by itself: a topic that stands
/// alone ([`Topic::stands_alone`]), the service condemned in so many words, or a failure
/// that has lasted days (both bad service); not an opening question for information ("¿la visita técnica tiene costo?";
/// what is owed is still a matter), nor a wish turned down ("no quiero dar de baja nada"),
/// nor how to change the WiFi key oneself ("el vecino me roba el wifi, ¿cómo lo bloqueo?":
/// the guide's how-to policy).
pub(crate) fn reported_matter(text: &str, normalized: &str) -> Option<Topic> {
    let topic = complaint_topic_in(normalized)
        .filter(|t| {
            t.stands_alone()
                || *t == Topic::CambioPlan
                    && (without_consent(normalized)
                        || changes_holder(normalized)
                        || wants_plan_changed(normalized)
                        || keeps_only(normalized))
        })
        .or_else(|| condemns_the_service(normalized).then_some(Topic::MalaCalidad))
        .or_else(|| fails_for_days(normalized).then_some(Topic::MalaCalidad))?;
    // (Nor a price or the papers asked without the question mark: "cuánto cuesta
    // trasladar el servicio a otra comuna", "que documentos piden para el traslado".)
    if topic != Topic::Deuda
        && (asks_for_information(text)
            || asks_price(&without_clause_breaks(normalized))
            || asks_requirements(normalized))
    {
        return None;
    }
    // (Nor the key the customer asks to be taught to change alone: "¿me pueden explicar los
    // pasos pa cambiar la clave del wifi yo solo?".)
    if topic == Topic::ClaveWifi
        && (asks_how_to(normalized) || {
            let text = without_clause_breaks(normalized);
            by_oneself(&text)
                && ["explic", "ensen", "pasos", "como "]
                    .iter()
                    .any(|w| text.contains(w))
        })
    {
        return None;
    }
    // (A service not kept says "no quiero" and declines nothing.)
    // (Nor when it keeps a service: "ya no queremos el cable, que nos dejen solo el
    // internet"; nor a holder changed for what is no longer so: "pasar el plan a nombre de
    // mi arrendatario, yo ya no vivo ahí", but "ya no quiero pasar el plan a nombre de mi
    // hijo" turns it down.)
    if is_a_wish(topic)
        && declines(text)
        // (Nor turned to another wish after it: "no me den de baja, mejor bájenme el
        // plan".)
        && !words(normalized).any(|w| matches!(w, "mejor" | "sino"))
        && !stops_a_service(&without_clause_breaks(normalized))
        && !keeps_only(normalized)
        && !changes_holder_undenied(normalized)
    {
        return None;
    }
    Some(topic)
}

/// An account put in another name ("pasar el plan a nombre de la nueva directiva",
/// "traspasar los servicios a mi nombre"): a holder change ([`Topic::CambioPlan`]).
const HOLDER_TRANSFER: &str = r"\b(pasar|poner|cambiar|traspasar|pasen|pongan|cambien|traspasen) (el |la |los |las |mi |mis |nuestro |nuestra )?(plan|planes|cuenta|contrato|servicio|servicios|linea|numero)( \w+){0,4} a (nombre del?|mi nombre|nuestro nombre|otro nombre)\b|\b(pasarlo|pasarla|ponerlo|ponerla|cambiarlo|cambiarla|traspasarlo|traspasarla) a (otro nombre|nombre de|mi nombre|nuestro nombre)\b|\b(plan|planes|cuenta|contrato|servicio|servicios|linea|numero)( \w+){0,5} (quede|queden|quedar) a (nombre del?|mi nombre|nuestro nombre)\b|\b(lo|la|los|las) (pasen|pongan|cambien|traspasen) a (nombre de|mi nombre|nuestro nombre|otro nombre)\b";

/// Whether an already normalised text asks to change the contract's holder ("necesito
/// cambiar el titular", "pasar el plan a nombre de la nueva directiva"): a change only a
/// person makes, not a plan's price nor a question about the procedure ("qué documentos
/// piden para cambiar el titular").
fn changes_holder(normalized: &str) -> bool {
    holder_change().is_match(normalized)
}

/// Whether an already normalised text asks to change the contract's holder
/// ([`changes_holder`]) in a clause that does not deny it ("pasar el plan a nombre de mi
/// arrendatario, yo ya no vivo ahí"; not "ya no quiero pasar el plan a nombre de mi hijo").
fn changes_holder_undenied(normalized: &str) -> bool {
    holder_change()
        .find_iter(normalized)
        .any(|found| !denied_before(normalized, found.start()))
}

/// The pattern of [`changes_holder`].
fn holder_change() -> &'static regex::Regex {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        ascii_regex(&format!(r"\b(quiero|quisiera|necesito|queremos|quisieramos|necesitamos|deseo|deseamos)( \w+){{0,2}} (cambiar|pasar|traspasar|modificar)( \w+){{0,2}} (el |de |del )?titular\w*|{HOLDER_TRANSFER}"))
    })
}

/// Whether an already normalised text asks for its plan to be changed ("queremos cambiar
/// el plan de la empresa a uno con más gigas", "bájenme el plan", "deshagan el cambio de
/// plan", "necesito un plan más grande", "un plan de datos más grande"): changing what one
/// has, which only a person does
/// (the guide), not with a price asked anywhere in the message, nor a wish turned down,
/// nor a plan bought ("¿cómo lo contrato?").
fn wants_plan_changed(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        ascii_regex(r"\b(quiero|quisiera|quiere|quieren|necesito|necesita|queremos|quisieramos|necesitamos|deseo|deseamos|gustaria)( \w+){0,2} (cambiar|cambiarme|cambiarnos|subir|subirme|bajar|bajarme|mejorar|rebajar|modificar|pasar|pasarme|pasarnos) (el |mi |su |de |del |nuestro |a un |a otro |al )?plan(es)?\b|\b(cambienme|cambiennos|pasenme|pasennos|subanme|subannos|bajenme|bajennos|bajenle|subanle|cambienle|mejorenme) (el |mi |su |de |del |nuestro |a un |a otro |al )?plan(es)?\b|\bdesha(gan|ga|cer) (el|ese|este) cambio de plan\b|\b(quiero|quisiera|necesito|necesita|necesitan|queremos|necesitamos|deseo|gustaria) (un|otro) plan( de (datos|internet|megas|gigas|minutos))? (mas|con mas) (grande|barato|economico|chico|completo|megas|gigas|datos|minutos)\b|\bplan\b.*\b(quiero|quisiera|necesito|queremos|necesitamos|gustaria) (uno|otro) (mas|con mas) (grande|barato|economico|chico|completo|megas|gigas|datos|minutos)\b|\b(necesito|necesita|necesitamos|requiere|requerimos) otro plan( de (datos|internet|megas|gigas|minutos|telefono|celular))?( \||$| (porque|xq|pq|ya|este|que|con|mas)\b| (pa|para) (el |la |mi |los |las |nuestro |nuestra )?(casa|negocio|empresa|local|oficina|pyme|familia|celu|celular|telefono|internet|hogar|trabajo|pega|colegio|taller|flota)\b)")
    });
    static PRICE: OnceLock<regex::Regex> = OnceLock::new();
    // Not with a price asked anywhere ("quiero cambiar el plan, ¿cuánto cuesta el de 600
    // megas?"), nor turned down in the three words before it ("ojo que no quiero cambiarme
    // de plan"; "como no me alcanzan los gigas quiero subir el plan" wishes).
    let price = PRICE.get_or_init(|| {
        ascii_regex(r"\bcuanto (cuesta|cuestan|sale|salen|vale|valen|cobran|seria|saldria)\b|\bprecios?\b|\bvalor\b")
    });
    !price.is_match(normalized)
        // (Nor one bought: "necesito un plan más grande para mi hija, ¿cómo lo contrato?".)
        && !["contratar", "contratarlo", "contratarla", "lo contrato", "la contrato"]
            .iter()
            .any(|p| contains_phrase(normalized, p))
        && pattern.find_iter(normalized).any(|found| {
            let clause = normalized[..found.start()]
                .rsplit(CLAUSE_BREAK)
                .next()
                .unwrap_or("");
            let before: Vec<&str> = words(clause).collect();
            !before[before.len().saturating_sub(3)..]
                .iter()
                .any(|w| negator(w))
        })
}

/// Whether an already normalised text says something was done without the customer's
/// consent ("le cambiaron el plan sin preguntarle", "sin mi autorización", "sin avisarnos"):
/// a plan changed so is a complaint, not a wish to change it.
fn without_consent(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN
        .get_or_init(|| {
            ascii_regex(r"\bsin (preguntar|consultar|avisar|pedir|autorizar)(me|le|nos|les)?\b|\bsin (mi|su|nuestra|nuestro) (autorizacion|permiso|consentimiento)\b|\bsin (autorizacion|permiso|consentimiento)\b")
        })
        .is_match(normalized)
}

/// Whether an already normalised text reports a failure of the service (or of everything)
/// that has lasted days ([`lasts_days`]) or comes back ([`recurs`]): "ni una cosa anda hace
/// una semana", "llevo dos semanas sin internet", "se corta todos los días" (not "no
/// funciona desde ayer": a restart may help; not "mi notebook no prende hace días").
fn fails_for_days(normalized: &str) -> bool {
    let text = without_clause_breaks(normalized);
    // The service, or everything ("nada anda", "ni una wea funciona"), not a device of
    // the customer's ("mi notebook no prende hace días").
    // "El servicio" itself ("el servicio prestado"), not the technical or customer
    // service, nor another one ("el servicio de luz").
    let the_service_or_everything = || {
        let mut toks = words(&text).peekable();
        while let Some(t) = toks.next() {
            let everything = matches!(t, "nada" | "cosa" | "cosas" | "wea" | "weas" | "todo");
            let the_service = t == "servicio"
                && !toks.peek().is_some_and(|next| {
                    matches!(
                        *next,
                        "tecnico"
                            | "al"
                            | "de"
                            | "del"
                            | "a"
                            | "para"
                            | "electrico"
                            | "sanitario"
                            | "publico"
                            | "municipal"
                            | "medico"
                    )
                });
            if everything || the_service {
                return true;
            }
        }
        false
    };
    // (Or the lag a gamer feels, the connection's failure: "el lag es constante hace
    // semanas".)
    let lag = words(&text).any(|t| t == "lag") || high_ping(&text);
    let of_the_service = names_service(&text) || the_service_or_everything() || lag;
    // (Not with the customer's service said to work: "tengo lag hace días pero el internet
    // anda bien", "el profe se desconecta a cada rato, pero nuestro internet anda bien".)
    of_the_service
        && (lag || fails(&text))
        && (lasts_days(&text) || recurs(&text))
        && !says_service_works(normalized)
}

/// Whether a normalised text without clause breaks tells a high ping, a gamer's lag ("el
/// ping siempre está sobre 150", "ping altísimo"; not "¿cuánto ping debería tener?").
fn high_ping(text: &str) -> bool {
    static PING: OnceLock<regex::Regex> = OnceLock::new();
    text.contains("ping")
        && PING
            .get_or_init(|| {
                ascii_regex(r"\bping\b( \w+){0,3} (sobre|arriba de|mas de|de|en) \d{3,}\b|\bping (alto|altisimo|pesimo|malisimo|horrible|por las nubes)\b")
            })
            .is_match(text)
}

/// Whether a normalised text without clause breaks says a failure comes back: "todos los días",
/// "todos los fines de semana", "a cada rato", "siempre", "cada vez que llueve", "como 5 veces",
/// "la tercera vez", "constantemente" (bad service, like one that lasts days), not only today ("se
/// cortó dos veces hoy": a restart may still help).
fn recurs(text: &str) -> bool {
    static AGAIN: OnceLock<regex::Regex> = OnceLock::new();
    AGAIN
        .get_or_init(|| {
            ascii_regex(&format!(r"\b(tod[oa]s? l[oa]s (dias|noches|tardes|mananas|madrugadas|semanas|fines de semana|findes|lunes|martes|miercoles|jueves|viernes|sabados|domingos|inviernos)|con cualquier (lluvia|viento|temporal)|a cada rato|cada (rato|dia|noche|tarde|lluvia|temporal|tormenta|ventolera)|cada vez que|constantemente|frecuentemente|cuando (llueve|hay viento|corre viento|hace viento|hay lluvia|hay temporal)|siempre|(\d+|dos|tres|cuatro|cinco|varias|muchas|mil) veces|(segunda|tercera|cuarta|quinta) vez)\b|\b{RECURRING_FAILURES}\b"))
        })
        .is_match(text)
        && !dated_today(text)
}

/// Failures the words say come back ("cortes constantes", "interrupciones frecuentes", "caídas
/// reiteradas", "los cortes son constantes"): a failure ([`fails`]) that recurs ([`recurs`]).
const RECURRING_FAILURES: &str = r"(cortes|caidas|interrupciones|fallas|microcortes|desconexiones)( (de|del) (la )?(internet|senal|servicio|conexion|wifi|red|fibra|cable))?( (es|son|esta|estan))?( (muy|super|bastante|demasiado|tan|re))? (constantes?|frecuentes|reiterad[oa]s|continu[oa]s|seguid[oa]s|permanentes)";

/// Whether a message reports a failure that names the service, not in a question for
/// information ("se me desconectó la fibra", "los celulares no se conectan al wifi"; not
/// "¿por qué se corta el wifi?", "se cortó la luz", "el refrigerador no funciona"): an
/// outage, which a restart may mend.
pub(crate) fn reports_failure(text: &str, normalized: &str) -> bool {
    let text_only = without_clause_breaks(normalized);
    // Not a wish to buy, nor a service cut after a payment ("no tengo internet, ya pagué").
    let sale_or_payment = words(&text_only).any(|t| {
        matches!(
            t,
            "contratar" | "contratarlo" | "instalar" | "pague" | "pagado" | "pagamos" | "pago"
        )
    });
    !sale_or_payment
        && names_service(&text_only)
        && fails(&text_only)
        && !asks_for_information(text)
}

/// Whether an already normalised text asks for a restart within a clause, after telling
/// who writes or what happens ("somos la oficina de buses y necesitamos que reinicien el
/// router"; not "no quiero que reinicien mi wifi"): a wish ("necesitamos que", "pedimos
/// que", "favor") before the command and a service or device of the company's after it.
/// The classifier reads it beside [`asks_for_restart`] (which wants the clause to open
/// with the command) as an outage's evidence; the rules after it still turn down a restart
/// declined, another business's or a question.
pub(crate) fn wishes_restart(normalized: &str) -> bool {
    static WISH: OnceLock<regex::Regex> = OnceLock::new();
    (normalized.contains("reinici") || normalized.contains("reset"))
        && WISH
            .get_or_init(|| {
                ascii_regex(r"\b((necesito|necesitamos|quiero|queremos|quisiera|quisieramos|pido|pedimos|solicito|solicitamos) que (me |nos |le )?(reinicien|reseteen|reinicie|resetee)|(favor|porfa|xfa) (que )?(me |nos |le )?(reinicien|reseteen|reinicie|resetee)|(pido|pedimos|solicito|solicitamos|favor|porfa|xfa) (reiniciar|resetear|reiniciarnos|resetearnos))\b( \w+){0,3} (modem|router|deco|decodificador|internet|wifi|servicio|servicios|senal|fibra|equipo|equipos|tele|cable|conexion|red|linea)\b")
            })
            // (Not turned down: "no quiero que reinicien mi wifi".)
            .find_iter(normalized)
            .any(|wish| !words(&normalized[..wish.start()]).last().is_some_and(negator))
        && !asks_for_person(&without_clause_breaks(normalized))
}

/// Whether an already normalised text asks for a restart in so many words, a clause
/// opening with it past courtesy and naming a service or device of the company's
/// ("reinicien el deco por fa q mi hijo quiere ver el partido", "¿me pueden resetear el
/// módem?", "¿me reinician el deco?", "¿le pueden hacer un reset a la línea?"; not "me
/// pueden reiniciar la contraseña de la cuenta", "resetear el celular"),
/// asking for no person ("reinicia el deco, no, mejor pásame con un humano"); not denied
/// ("no reinicien nada"), nor taken back after it ("ah no, ya volvió",
/// [`takes_back_restart`]), nor one the customer did ("reinicié el módem": "reinicie" and
/// "resetee" are left out, unaccented they say both).
pub(crate) fn asks_for_restart(normalized: &str) -> bool {
    static ASKS: OnceLock<regex::Regex> = OnceLock::new();
    // Most messages name no restart.
    if !(normalized.contains("reinici") || normalized.contains("reset")) {
        return false;
    }
    let asks = ASKS.get_or_init(|| {
        ascii_regex(r"^((por favor|porfa|porfavor|xfa|x fa|pls|hola|oye|oiga|ya|buenas|buenos dias|buenas tardes|buenas noches|necesito que|quiero que|me pueden|pueden|podrian|podria|puede|me podrian|me puede|me|le|ustedes|mejor|dale) )*(reinicien|reinicienme|reinicieme|reiniciame|reinicia|reinician|resetean|reseteen|reseteenme|reseteeme|resetea|reiniciar|resetear|reiniciarme|resetearme|(hacer|hacerle|hacerme|hagan|haganle|haganme|haga|hagale|hagame) (un |el )?(reset|reseteo|reinicio))\b( \w+){0,3} (modem|router|deco|decodificador|internet|wifi|servicio|servicios|senal|fibra|equipo|equipos|tele|cable|conexion|red|linea|todo)\b")
    });
    // A command with its object as a pronoun, alone in its clause ("ok dale,
    // reinícienlo"), and nothing turned down after it ("¿reinícienlo? no gracias").
    static CLITIC: OnceLock<regex::Regex> = OnceLock::new();
    let clitic = CLITIC.get_or_init(|| {
        ascii_regex(r"^((ok|ya|dale|bueno|si|ya po|ok dale|por favor|porfa|entonces) )*(reinicienlo|reinicienla|reinicienlos|reinicienlas|reinicielo|reiniciela|reseteenlo|reseteenla|reseteelo|reseteela)( (nomas|porfa|por favor|ahora|al tiro|altiro|ya|entonces|po|pues|pls|xfa|mejor))*$")
    });
    // What a change of mind took back is not asked ("reinicien el módem... mejor no").
    let normalized = after_change_of_mind(normalized);
    let clauses: Vec<&str> = normalized.split(CLAUSE_BREAK).map(str::trim).collect();
    clauses.iter().enumerate().any(|(i, clause)| {
        let later = &clauses[i + 1..];
        (asks.is_match(clause)
            || clitic.is_match(clause)
                && !later
                    .iter()
                    .any(|c| words(c).any(|w| matches!(w, "no" | "nada" | "como" | "si"))))
            && !later.iter().enumerate().any(|(j, c)| {
                takes_back_restart(c) && !later.get(j + 1).is_some_and(|c| corrects(c))
            })
    }) && !asks_for_person(&without_clause_breaks(normalized))
}

/// Whether a clause (of an already normalised text, after one asking for a restart) takes
/// the restart back: a refusal, "olvídelo", or the service back ("¿me reinician el módem?
/// ah no, ya volvió, gracias", "no, ya está"; not "gracias, chao", nor "no tengo tele desde
/// ayer", a failure told).
fn takes_back_restart(clause: &str) -> bool {
    let first: Vec<&str> = words(clause).take(5).collect();
    // A bare "no", or one that takes it back ("no, ya está", "ah no, mejor no", "no hace
    // falta", "no se preocupe"; not "no sé qué le pasa", "no hace nada": a failure told).
    let refused = |k: usize| {
        let after = first.get(k + 2).copied().unwrap_or("");
        first[k] == "no"
            && first.get(k + 1).is_none_or(|next| match *next {
                "ya" | "mejor" | "gracias" | "importa" | "era" | "no" => true,
                "hace" => after == "falta",
                "se" => after.starts_with("preocup") || after.starts_with("moles"),
                next => next.starts_with("olvid"),
            })
    };
    (0..first.len().min(3)).any(refused)
        || first.iter().take(3).any(|w| w.starts_with("olvid"))
        || first.windows(2).any(|w| {
            w[0] == "ya"
                && matches!(
                    w[1],
                    "volvio" | "esta" | "anda" | "funciona" | "prendio" | "conecto" | "carga"
                )
        })
}

/// Whether a clause (of an already normalised text) corrects what the one before it asked
/// rather than taking it back: "mejor" with another device or time ("reinicia la tele, no,
/// mejor el módem"; not "no, mejor no", [`changes_mind`]).
fn corrects(clause: &str) -> bool {
    let mut words = words(clause);
    let (first, next) = (words.next(), words.next());
    first == Some("mejor") && next.is_some() && !changes_mind(None, next, words.next())
}

/// What follows the last change of mind of an already normalised text, the word "mejor"
/// opening a clause or after a bare "no", with a word after it that takes the request back
/// or replaces it ("reinicien el deco... no, mejor no, no reinicien nada": "mejor no, no
/// reinicien nada"; not "reinicia la tele, no, mejor el módem"); the whole text without
/// one.
fn after_change_of_mind(normalized: &str) -> &str {
    let mut start = 0;
    let mut previous: Option<&str> = None;
    // (Word by word: the text's words are separated by single spaces.)
    let mut at = 0;
    for word in normalized.split(' ') {
        let mut after = normalized[at + word.len()..]
            .split(' ')
            .filter(|w| !w.is_empty());
        if word == "mejor" && changes_mind(previous, after.next(), after.next()) {
            start = at;
        }
        if !word.is_empty() {
            previous = Some(word);
        }
        at += word.len() + 1;
    }
    &normalized[start..]
}

/// Whether the word "mejor" between `previous` and `next` (its neighbours in a normalised
/// text, `None` at the text's ends; `after_next` the word after `next`) is a change of
/// mind: it opens a clause or follows a bare "no", and what comes after takes the request
/// back or replaces it ("no, mejor no", "mejor pásenme con alguien", "no, mejor un
/// humano", "mejor ya no"); not another device, time or manner of the same request ("no,
/// mejor el módem", "mejor ahora mismo", "mejor dicho", "mejor si es ahora"). The
/// classifier's clauses (`model::retracts`) and the entities read the same changes of mind.
pub(crate) fn changes_mind(
    previous: Option<&str>,
    next: Option<&str>,
    after_next: Option<&str>,
) -> bool {
    previous.is_none_or(|p| p == CLAUSE_BREAK || p == "no")
        && next.is_some_and(|next| match next {
            CLAUSE_BREAK | "dicho" | "si" => false,
            // Another device, unless a person ("no, mejor un humano").
            "el" | "la" | "los" | "las" | "mi" | "un" | "una" => {
                after_next.is_some_and(|person| PERSON_WORDS.contains(&person))
            }
            // Another time, unless taken back ("mejor ya no", "mejor ahora no").
            "todavia" | "aun" | "ahora" | "altiro" | "ya" => after_next == Some("no"),
            _ => true,
        })
}

/// Whether an already normalised text asks to be called ("que me llamen", "llámenme", "mi
/// abuelito quiere que lo llamen por teléfono", "que me llame alguien"), not denied in its
/// clause ("no quiero bajo ninguna circunstancia que me llamen"; "no me llamen, que me
/// contacten por whatsapp" asks), nor the customer calling ("que le llame antes").
pub(crate) fn asks_for_a_call(normalized: &str) -> bool {
    static CALL: OnceLock<regex::Regex> = OnceLock::new();
    if !(normalized.contains("llam") || normalized.contains("contact")) {
        return false;
    }
    let call = CALL.get_or_init(|| {
        ascii_regex(r"\b(que ((por favor|porfa|porfavor|xfa) )?(me|lo|la|nos|les) (llamen|contacten)|que me (llame|contacte)|llamenme|llameme|llamame|contactenme|contacteme|(me|nos|lo|la|los) (pueden|podrian|puede|podria) (llamar|contactar)|(pueden|podrian|puede|podria) (llamarme|llamarnos|llamarlo|llamarla|llamarlos|contactarme|contactarnos|contactarlo|contactarla))\b")
    });
    call.find_iter(normalized)
        .any(|found| !denied_before(normalized, found.start()))
}

/// Whether `word` negates what follows it ("no", "ni", "nunca", "tampoco").
fn negator(word: &str) -> bool {
    matches!(word, "no" | "ni" | "nunca" | "tampoco")
}

/// Whether the clause of a normalised text that ends at byte `at` denies what follows ("no
/// quiero que me llamen").
fn denied_before(normalized: &str, at: usize) -> bool {
    let clause = normalized[..at].rsplit(CLAUSE_BREAK).next().unwrap_or("");
    words(clause).any(negator)
}

/// Whether a normalised text turns a restart down ("no reinicien nada todavía", "no me
/// vayan a reiniciar el deco", "ni se les ocurra resetear el módem") and tells no failure
/// nor names a restart it does not turn down ("no reinicien el módem, reinicien el deco"
/// asks for one; "no me reinicien nada, sigo sin internet" tells a failure).
pub(crate) fn declines_restart(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    if !(normalized.contains("reinici") || normalized.contains("reset")) {
        return false;
    }
    // ("No reinicie" is also "no reinicié", I did not: not a refusal.)
    let refusal = PATTERN.get_or_init(|| {
        ascii_regex(r"\b(no|ni|nunca) ((se )?(me|nos|le|les|lo|la|los|las) )*((vayan|vaya|van) a |se (les|le) ocurra )?(reinicien|reiniciar|reiniciarlo|reiniciarla|reseteen|resetear|resetearlo|resetearla)\b")
    });
    let text = without_clause_breaks(normalized);
    let Some(first) = refusal.find(&text) else {
        return false;
    };
    // Every restart the message names is turned down ("no reinicien el módem, reinicien el
    // deco" asks for one), and no other wish follows the refusal ("no reinicien el módem
    // sino el deco", "mejor reseteen ...").
    let restarts = words(&text)
        .filter(|w| w.starts_with("reinici") || w.starts_with("reset"))
        .count();
    restarts == refusal.find_iter(&text).count()
        && !words(&text[first.end()..]).any(|w| matches!(w, "sino" | "mejor" | "pero"))
        && !fails(&text)
        // (Nor one already done in vain: "no me reinicien na, yo ya desenchufé el módem dos
        // veces y nada".)
        && topic_beyond_restart_in(normalized) != Some(Topic::ReinicioFallido)
}

/// Whether a normalised text only turns a call down ("no quiero que me llamen, ni se les
/// ocurra", "no me llamen, hoy no tengo tiempo") and tells no failure nor names a service:
/// nothing is asked, as when a restart alone is turned down ([`declines_restart`]).
pub(crate) fn declines_a_call(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    if !normalized.contains("llam") {
        return false;
    }
    let text = without_clause_breaks(normalized);
    PATTERN
        .get_or_init(|| {
            ascii_regex(r"^((por favor|porfa|oiga|oigan|ya|y|pero) )*no ((quiero|queremos|necesito|necesitamos) (que )?)?(me|nos) (llamen|llame|contacten|contacte)\b")
        })
        .is_match(&text)
        && !fails(&text)
        && !names_service(&text)
        // (Nor with a person asked for in other words: "no me llamen, prefiero hablar con
        // un ejecutivo por acá".)
        && !speaks_of_a_person(normalized)
}

/// Whether a normalised text asks for a person in so many words: a wish, then the person
/// ("ya no sé cómo decirlo: necesito una persona", "quiero hablar con alguien", "no me voy
/// sin hablar con un ejecutivo"), or one "de carne y hueso" ("¿me comunican con un
/// ejecutivo de carne y hueso?", also misspelt); not denied ("no necesito un ejecutivo").
/// Narrower than [`asks_for_person`], it may place a message the model placed nowhere.
pub(crate) fn demands_a_person(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    if !PERSON_WORDS_IN_DEMANDS
        .iter()
        .any(|w| normalized.contains(w))
    {
        return false;
    }
    PATTERN
        .get_or_init(|| {
            ascii_regex(r"\b((necesito|necesitamos|quiero|queremos|quisiera|exijo|exigo|exigimos|pido|requiero|deseo) ((hablar|conversar) con |que me atienda )?(a )?|sin (hablar con|que me atienda) |(me|nos) (pasan|pasas|pasa|pase|pasen|comunican|comunica|comunique|comuniquen|conectan|derivan|transfieren) con )(una persona|un humano|una humana|un ejecutivo|una ejecutiva|un supervisor|una supervisora|un agente|alguien)\b|\b(preciso|quero|queria|gostaria de) (falar com )?(uma pessoa|um atendente|uma atendente|um humano|alguem)\b|\b(un|una|alguien)( \w+)? de carne y hueso\b")
        })
        .find_iter(normalized)
        .any(|found| {
            // Denied right before the wish ("no necesito un ejecutivo"; not "ya no sé cómo
            // decirlo quiero una persona"), reported or supposed ("nunca dije que quiero un
            // ejecutivo", "no sé si necesito un ejecutivo").
            let before: Vec<&str> = words(&normalized[..found.start()]).collect();
            let last = |n: usize| before.iter().rev().take(n);
            let denied = if found.as_str().starts_with("sin ") {
                // Only leaving without one demands one ("no me voy sin hablar con un
                // supervisor"; not "¿se puede pagar sin hablar con un ejecutivo?").
                !(last(5).any(|w| *w == "no")
                    && last(5).any(|w| {
                        matches!(*w, "voy" | "ir" | "salgo" | "salir" | "cierro" | "cerrar")
                    }))
            } else {
                last(2).any(|w| negator(w))
                    || last(1).any(|w| matches!(*w, "si" | "que"))
            };
            // Not someone else's ("una persona del banco", "un ejecutivo bancario"),
            // somewhere ("alguien en la casa"), nor someone for a chore ("necesito alguien
            // que limpie mi pieza", "una persona para que me instale unas repisas"; "una
            // persona que me explique la boleta" is one of the company's).
            let whose = normalized[found.end()..].trim_start();
            let trade = words(whose).next().is_some_and(|w| {
                w.ends_with("ario") || w.ends_with("aria") || w.starts_with("financier")
            });
            let chore = whose.starts_with("para ")
                || whose.starts_with("que ")
                    && !(whose.starts_with("que me ") || whose.starts_with("que nos "));
            !(denied || someone_elses(whose) || trade || whose.starts_with("en ") || chore)
        })
}

/// The person words [`demands_a_person`] looks for, as a cheap test before its pattern.
const PERSON_WORDS_IN_DEMANDS: &[&str] = &[
    "persona",
    "pessoa",
    "atendente",
    "human",
    "ejecutiv",
    "supervisor",
    "agente",
    "alguien",
    "alguem",
    "carne y hueso",
];

/// Whether a normalised text asks for a person ("un ejecutivo", "hablar con alguien") or
/// makes a demand only a person meets ("exijo una solución", "quiero una compensación",
/// "que me descuenten").
/// Broad on purpose ("me llamo Pedro", "no puedo hablar por teléfono" count): it only
/// keeps a question open. Fixing it oneself is no demand ("¿cómo lo soluciono?").
pub(crate) fn asks_for_person(normalized: &str) -> bool {
    static PERSON: OnceLock<regex::Regex> = OnceLock::new();
    let normalized = without_phone_display(normalized);
    PERSON
        .get_or_init(|| {
            ascii_regex(&format!(r"\b({PERSON_PATTERN}|hablar|llam\w*|atien\w*|contact\w*|reclamo|queja|compensa\w*|exij\w*|exig\w*|solucion|soluciones|solucion[ae]\w*|verguenza|devuel\w*|devolu\w*|reembols\w*|descuent\w*|descuento)\b|\bcomunic\w* con\b"))
        })
        .is_match(&normalized)
}

/// A person to talk to, as an alternation for the patterns ([`asks_for_person`],
/// [`names_service`]); broader than [`PERSON_WORDS`], the exact words a refusal names
/// ("ejecutivo no"), with stems ("asesora", "encargado") and "gerente".
const PERSON_PATTERN: &str = r"ejecutiv\w*|persona|personas|alguien|humano|humana|gerente|agente|supervisor\w*|operador\w*|asesor\w*|encargad\w*";

/// Whether a normalised text names the company or what the customer has with it: "ustedes",
/// "la empresa", the bill, the contract, the technician, a payment ("pagué por el banco y
/// me siguen cobrando").
pub(crate) fn names_the_company(normalized: &str) -> bool {
    let mut before = "";
    words(normalized).any(|t| {
        // "Una empresa de cobranza", "otra compañía" are some other business.
        let another = matches!(std::mem::replace(&mut before, t), "una" | "otra");
        OWN_BILL.contains(&t)
            || matches!(t, "empresa" | "compania") && !another
            || matches!(
                t,
                "servicio"
                    | "tecnico"
                    | "contrato"
                    | "pague"
                    | "pago"
                    | "pagar"
                    | "pagado"
                    | "pagamos"
            )
    })
}

/// The company's bills and the company spoken to ("ustedes"): what makes a charge the
/// company's, wherever the customer paid (part of [`names_the_company`]).
const OWN_BILL: &[&str] = &["boleta", "factura", "ustedes"];

/// Whether a normalised text names a bill of the company's or the company itself as the
/// customer's ("la boleta", "la factura", "ustedes").
pub(crate) fn names_own_bill(normalized: &str) -> bool {
    words(normalized).any(|t| OWN_BILL.contains(&t))
}

/// Whether a normalised text names a service or a device of the company, or a person to
/// talk to ("internet", "la señal", "el módem", "la red de la casa", "un ejecutivo", "alguien
/// de carne y hueso"; the generic ones, "alguien", "persona", "bot", count too).
pub(crate) fn names_service(normalized: &str) -> bool {
    static SERVICE: OnceLock<regex::Regex> = OnceLock::new();
    names_the_network(normalized)
        || SERVICE
            .get_or_init(|| {
                ascii_regex(&format!(r"\b(internet|wifi|senal|tele|tv|televisor|television|cable|linea|telefono|fono|fijo|conexion|fibra|datos|modem|router|deco|decodificador|celular|celu|megas|velocidad|chip|plan|{PERSON_PATTERN}|bot|robot)\b"))
            })
            .is_match(normalized)
}

/// Whether a normalised text names the network the customer connects to ("el computador no
/// agarra la red de la casa", "se cayó la red en el local"), not another one ("la red
/// social", "la red de agua", "la red eléctrica").
fn names_the_network(normalized: &str) -> bool {
    if !normalized.contains("la red") {
        return false;
    }
    let toks: Vec<&str> = words(normalized).collect();
    let at = |i: usize| toks.get(i).copied().unwrap_or("");
    (0..toks.len()).any(|i| {
        at(i) == "la"
            && at(i + 1) == "red"
            && !matches!(at(i + 2), "social" | "sociales" | "electrica" | "vial")
            && !(at(i + 2) == "de"
                && matches!(
                    at(i + 3),
                    "agua" | "cajeros" | "salud" | "metro" | "apoyo" | "gas" | "buses"
                ))
    })
}

/// Whether a normalised text without clause breaks says something of the service fails:
/// does not work, load, connect or dial ("ni una cosa anda", "dejó de funcionar", "no
/// puedo ver tele"), is missing ("no hay tele", "sin señal"; not "no tengo el teléfono del
/// técnico"), is stuck or crawls ("deco pegado", "pantalla negra", "la tele sigue negra",
/// "velocidad bajísima"), shows it ("las luces del módem están rojas"), does not reach ("en
/// el segundo piso no llega el wifi") or is a disaster ("la señal del celular es un
/// desastre"), or drops ("se corta", "se murió el
/// internet", "perdieron conexión", "se me cuelga el wifi"; not "ya no se cae", "se
/// cuelga de mi wifi"), or "algo le pasa" to it, or the phone is "mudo".
pub(crate) fn fails(text: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 6]> = OnceLock::new();
    let [broken, drops, stopped_dropping, hangs_on, lights, power_cut] = PATTERNS.get_or_init(|| {
        let service = "(internet|senal|wifi|servicio|tele|television|cable|linea|telefono|fono|conexion)";
        let device = "(internet|senal|wifi|tele|television|cable|fibra|conexion|velocidad|deco|decodificador|modem|router|imagen|pantalla|canal|canales)";
        // (The fibre too, for what does not come back: "no hay fibra" is coverage.)
        let back = "(internet|senal|wifi|servicio|tele|television|cable|linea|telefono|fono|conexion|fibra)";
        let drop = "(se (me |nos )?(cae|cayo|cayeron|corta|corto|cortaron|reinicia|desconecta|desconectan|desconecto|fue|murio|pego|congelo|colgo|cuelga)|se (me|nos) (fueron|murieron))";
        [
            format!(r"\b(no|ni|nada|tampoco)\b( \w+){{0,3}} (funciona|funcionan|funcionado|anda|andan|andado|carga|cargan|navega|conecta|conectan|sirve|prende|agarra|agarran|capta|marca|suena|toma|toman)\b|\b((no|ni) (tengo|tenemos|hay|ai)|no tiene)( (nada|ni|de|senal|mas|buena))* {service}\b|\bsin barras\b|\bsin tono\b|\b(de nuevo|otra vez) se (me |nos )?(pega|pegan|pego|congela|congelan|congelo|traba|traban|trabo)\b|\b(telefono|fijo|linea|llamo|llamada|llamadas)\b( \w+){{0,6}} (ruido|ruidos|interferencia|eco|zumbido|estatica|no se (oye|escucha|entiende))\b|\bsin (dar|tirar|entregar) (el |la )?(internet|senal|wifi|conexion|tono)\b|\bsolo (dice |marca |aparece |sale )?sos\b|\bno se (ve|ven) (nada|ningun\w*|los canales|la imagen|la tele|bien)\b|\b(sin|nada de) (acceso (a )?)?{service}\b|\b(quede|quedo|quedamos|quedaron|estoy|estamos|sigo|seguimos) sin (el |mi |nuestro )?fijo\b|\bno (se encuentra|esta|estan|se encuentran) (operativ[oa]s?|funcionando)\b|\b(pierde|pierdo|perdemos|perdio|perdieron|perdimos) (la )?(senal|conexion|internet)\b|\b(senal|conexion|internet|wifi)( (del|de la|de mi|de los|de mis|de nuestros) (celu|celus|celular|celulares|telefono|telefonos|fono|tele|television|deco|decodificador|modem|router|notebook|compu|computador|pc|tablet|casa|depto|pieza|oficina|local|negocio)( de (la|el|mi|nuestra|nuestro) \w+)?)? se (me |nos )?(pierde|perdio)\b|\bdej(o|aron|a|an) de (funcionar|andar|cargar|conectar)\b|\bno (puedo|podemos) (ver|navegar|conectarme|conectarnos)\b|\b{device}\b( \w+){{0,3}} (pegad[oa]s?|congelad[oa]s?|bajisim\w*|lent[oa]s?|lentisim\w*|en el suelo|muert[oa]s?)\b|\b{device}\b( \w+){{0,5}} no existe\b|\b(esta|estan|quedo|quedaron|sigue|siguen|amanecio|amanecieron|volvio a quedar|volvieron a quedar)( otra vez| de nuevo)? (pegad[oa]s?|congelad[oa]s?)\b|\bpantalla (negra|azul)\b|\b(tele|tv|television|televisor|pantalla|imagen)\b( \w+){{0,2}} (sigue|siguen|esta|quedo|queda|aparece) (negra|en negro)\b|\b(funciona|funcionan|anda|andan) (a ratos|cuando quiere|cuando quieren|intermitente)\b|\bno (me )?(aparece|aparecen|sale|salen) (ningun|ni un|los|el) (canal|canales|imagen|senal)\b|\bsolo (llamadas de )?emergencias?\b|\bno (me |nos |le )?duran? (\w+ ){{0,4}}(conectad[oa]s?|prendid[oa]s?|funcionando|andando)\b|\bno (me |nos )?dejan? (ver|navegar|conectarme|conectarnos|usar|entrar)( (a |al |en |el |la |los |las )?(nada|ningun\w*|tele|tv|television|canal|canales|internet|wifi|senal|red)\b|$)|\b(deco|decodificador|modem|router|control|tele|televisor)\b( \w+){{0,2}} no (responde|responden|enciende|encienden)\b|\b(deco|decodificador|modem|router|tele|televisor|internet|wifi|celular|celu|telefono|equipo|control)\b( \w+){{0,4}} no (quiere|quieren) (prender|encender|partir|funcionar|andar|conectar|conectarse|cargar)\b|\b{RECURRING_FAILURES}\b|(^|\| |\b(y|pero|hoy|ahora|siempre|porque|aca|aqui) )(el |la |los |las |mi |mis |nuestro |nuestra )?(tele|tv|television|televisor|deco|decodificador|imagen|pantalla|internet|wifi|senal|canal|canales)\b( \w+){{0,2}} se (me |nos )?(pega|pegan|congela|congelan|traba|traban)\b|\b{back}\b( \w+){{0,3}} no (volvio|ha vuelto|vuelve|regreso|ha regresado)( ([b-z0-9]\w*|a\w+)|$)|\bno (ha )?(volvio|vuelto|regreso|regresado) (el |la )?{back}\b|\b(tele|television|imagen|pantalla|canal|canales)\b( \w+){{0,2}} no se (ve|ven)( \||$)|\bno (me |nos |le )?(llega|llegan|alcanza a llegar|alcanzan a llegar|(esta|estan) llegando) (el |la )?(wifi|senal|internet)\b|\b(wifi|senal)\b( \w+){{0,2}} no se (alcanza|alcanzan|puede) (a )?(captar|agarrar|pillar|tomar)\b|\b(wifi|senal)\b( \w+){{0,2}} no (llega|llegan|alcanza|sube|pasa)\b|\b{back}\b( \w+){{0,5}} (todavia|aun) no (vuelve|volvio|ha vuelto|regresa|regreso)( ([b-z0-9]\w*|a\w+)|$)|\b(senal|internet|wifi|conexion|fibra|velocidad)\b( \w+){{0,3}} (es|esta|anda) (un desastre|un asco)\b"),
            format!(r"\b{drop}\b"),
            format!(r"\b(ya no|no|nunca|ni) ((me|nos) )?{drop}\b"),
            // Someone on the customer's WiFi ("el vecino se cuelga de mi wifi").
            r"\bse ((me|nos) )?(cuelga|cuelgan) (de|a|del|al)\b".to_owned(),
            // The modem's lights, unless the power is off ("hay corte de luz, las luces
            // del router están apagadas").
            r"\b(luz|luces)\b( \w+){0,4} (roj[oa]s?|parpade\w*)\b|\bluces\b( \w+){0,4} apagad[oa]s\b".to_owned(),
            r"\b(corte de luz|cortes de luz|se (corto|fue|cayo) la luz|sin luz|apagon|cortaron la luz)\b".to_owned(),
        ]
        .map(|pattern| ascii_regex(&pattern))
    });
    // The rarer patterns run only when a word of theirs is there (this runs several times
    // per message).
    let drops = || match drops.find_iter(text).count() {
        0 => false,
        dropped => {
            let hanging = if text.contains("cuelga") {
                hangs_on.find_iter(text).count()
            } else {
                0
            };
            dropped > stopped_dropping.find_iter(text).count() + hanging
        }
    };
    // "Algo le pasa" to the service, a phone "mudo", told, not supposed ("si algo le pasa
    // al módem, ¿me lo cambian?", "cuando el fijo está mudo, ¿lo cubre la mantención?").
    let symptom = || {
        static SYMPTOM: OnceLock<regex::Regex> = OnceLock::new();
        (text.contains("algo") || text.contains("mud"))
            && SYMPTOM
                .get_or_init(|| {
                    ascii_regex(r"\balgo (le |me |nos )?(pasa|paso) (a |al |con )?(el |la |mi )?(internet|wifi|conexion|fibra|modem|router|deco|decodificador|linea|telefono fijo|fijo)\b|\b(telefono|fono|linea|fijo)( \w+){0,3} (esta|quedo|anda|sigue) mud[oa]\b")
                })
                .find_iter(text)
                .any(|found| {
                    let before: Vec<&str> = words(&text[..found.start()]).collect();
                    !before[before.len().saturating_sub(4)..]
                        .iter()
                        .any(|w| matches!(*w, "si" | "cuando" | "cada"))
                })
    };
    // The service that "se me va" (or "se le va", to the customer's people) again and again
    // fails ("cada vez que hay viento se me va el internet"); once it may be data or coverage running out ("se me va el internet a
    // mitad de mes, ¿cuánto cuesta una bolsa?", "se me va la señal cuando salgo de
    // Santiago").
    let goes = || {
        static GOES: OnceLock<regex::Regex> = OnceLock::new();
        text.contains(" va")
            && GOES
                .get_or_init(|| {
                    ascii_regex(r"\bse (me |nos |le |les )?(va|van) (el |la |mi )?(internet|senal|wifi|cable|conexion)\b")
                })
                .is_match(text)
            && recurs(text)
    };
    // The service that "todavía nada" after something came back ("volvió la luz pero el
    // internet todavía nada"), or a line where "no se escucha nada" or "no se entiende nada"
    // (not one who "no escucha bien").
    let still_nothing = || {
        static STILL: OnceLock<regex::Regex> = OnceLock::new();
        (text.contains("nada") || text.contains(" na"))
            && STILL
                .get_or_init(|| {
                    ascii_regex(r"\b(el |la |mi )?(internet|wifi|senal|tele|cable|conexion|telefono|fijo) (todavia|aun|sigue|igual) nada\b|\bno se (escucha|escuchan|oye|oyen) (nada|na)\b|\b(telefono|fijo|linea)\b.*\bno se (entiende|entienden) (nada|na)\b")
                })
                .is_match(text)
    };
    // (Not what a thing is for, unknown: "no sé pa qué sirve".)
    let purpose = |found: &str| {
        matches!(
            found,
            "no se pa que sirve"
                | "no se para que sirve"
                | "no se pa q sirve"
                | "no se para q sirve"
        )
    };
    broken.is_match(text)
        && (!text.contains("sirve") || broken.find_iter(text).any(|found| !purpose(found.as_str())))
        || goes()
        || still_nothing()
        || (text.contains("luz") || text.contains("luces"))
            && lights.is_match(text)
            && !power_cut.is_match(text)
        || drops()
        || symptom()
}

/// Whether the text (normalised, without clause breaks) says something has lasted days:
/// "desde el lunes", "hace dos semanas", "llevo 3 días", "estuvimos 3 días sin señal" (not
/// "desde ayer", "todo el día": a restart may still help then), of a failure not dated
/// today ("desde el lunes tengo fibra nueva y hoy no anda" is today's outage).
fn lasts_days(text: &str) -> bool {
    static DAYS: OnceLock<regex::Regex> = OnceLock::new();
    DAYS.get_or_init(|| {
        ascii_regex(
            r"\b(hace|llevo|llevamos|lleva|llevan)( \w+){0,2} (dias|semanas|semana|meses|mes)\b|\b(\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|trece|catorce|quince|dieciseis|diecisiete|dieciocho|diecinueve|veinte|veinti\w+|treinta|varios|muchos) (dias|semanas|meses)\b|\b(hace|llevo|llevamos|lleva|llevan) (\w+ )?noches\b|\b(\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|varias|muchas) noches (seguidas|sin|que)\b|\b(segundo|tercer|cuarto|quinto) dia\b|\bdesde (el|este) ((\w+ ){1,3}(del|de) )?(lunes|martes|miercoles|jueves|viernes|sabado|domingo|fin de semana|finde)\b|\b(toda la semana|todo el mes|desde la semana pasada|desde el mes pasado)\b",
        )
    })
    .is_match(text)
        && !dated_today(text)
}

/// Whether an already normalised text thanks and, anywhere around the thanks, wishes a
/// good day, week or turn, sends hugs, kisses or blessings, or takes leave ("muchas
/// gracias por su tiempo, le deseo una excelente semana", "bendiciones para todo el
/// equipo, gracias por la paciencia", "ya gracias, me llegó un cliente, los dejo", "buena
/// onda, gracias, me voy al agua"), with no turn against what came before ("gracias, pero
/// sigo sin internet", "gracias por nada"), nothing left undone and no move to another
/// company ("gracias, me voy a la competencia"). What else such a goodbye may not ask is
/// the caller's (`YamlClassifier::only_takes_leave`).
pub(crate) fn thanks_with_good_wishes(normalized: &str) -> bool {
    static CLOSING: OnceLock<regex::Regex> = OnceLock::new();
    // (Most messages thank nobody: nothing is built for them.)
    if ![
        "gra", "grcs", "grx", "tks", "thx", "agradec", "thanks", "obrigad", "mesi", "abraz",
        "beso", "besit",
    ]
    .iter()
    .any(|h| normalized.contains(h))
    {
        return false;
    }
    let text = without_clause_breaks(normalized);
    let toks: Vec<&str> = words(&text).collect();
    // (Or a hug or kisses sent to the whole team: "abrazos a todo el equipo, se pasaron".)
    let to_the_team = || {
        static TEAM: OnceLock<regex::Regex> = OnceLock::new();
        TEAM.get_or_init(|| {
            ascii_regex(r"\b(abrazo|abrazos|abrazote|besos|besitos|un beso) (a|para|pa) (todo el equipo|el equipo|todos|todas|ustedes|los chiquillos|las chiquillas)\b")
        })
        .is_match(&text)
    };
    let thanks = toks.iter().any(|w| {
        matches!(
            *w,
            "gracias"
                | "grax"
                | "grx"
                | "grcs"
                | "tks"
                | "thx"
                | "mesi"
                | "agradezco"
                | "agradecemos"
                | "agradecida"
                | "agradecido"
                | "agradecidos"
                | "thanks"
                | "obrigado"
                | "obrigada"
        )
    }) || to_the_team();
    thanks
        && CLOSING
            .get_or_init(|| {
                ascii_regex(r"\b((buen|buena|buenas|bn|bna|feliz|felices|excelente|linda|lindo|bonito|bonita|hermoso|hermosa) (\w+ )?(dia|dias|tarde|tardes|noche|noches|nochs|semana|finde|fin de semana|domingo|sabado|lunes|viernes|turno|jornada|pega|vida|viaje|navidad|pascua|pascuas|dieciocho|18|ano|fiestas|vacaciones|descanso|feriado)|(le|les|te) deseo|abrazo|abrazos|abrazote|besos|besito|besitos|bendiciones|carinos|(me|nos) (despido|despedimos)|(los|las|la|lo|te) dejo|(me|nos) (voy|vamos|fui|fuimos) (a|al|pa|pal|para) (la |el |mi )?(dormir|acostar\w*|descansar|almorzar|comer|cenar|trabajar|trabajo|clases|misa|casa|agua|mar|playa|pega|turno|ver|duchar\w*|banar\w*)|nos (vemos|vimos|vemo|vimo)|hasta (luego|manana|pronto|la proxima)|chao|chau|adios|bye|orevwa|jikisinkama|cuidense|cuidese|cuidate)\b")
            })
            .is_match(&text)
        && !toks.iter().any(|w| {
            matches!(
                *w,
                "pero"
                    | "aunque"
                    | "embargo"
                    | "todavia"
                    | "aun"
                    | "sigue"
                    | "siguen"
                    | "sigo"
                    | "seguimos"
                    | "competencia"
                    | "cambiar"
                    | "cambiarme"
                    | "cambiarnos"
                    | "baja"
            )
        })
        && !contains_phrase(&text, "por nada")
        // (Nor what did not help or was not done: "grax, chao, no me sirvió de na este
        // bot", "gracias, feliz navidad, y no me han compensado el corte".)
        && !toks.iter().enumerate().any(|(i, w)| {
            [
                "sirv", "ayud", "resolv", "soluc", "compens", "arregl", "devolv", "respond",
                "contest",
            ]
            .iter()
            .any(|stem| w.starts_with(stem))
                && toks[i.saturating_sub(3)..i]
                    .iter()
                    .any(|b| matches!(*b, "no" | "nada" | "ni" | "nunca"))
        })
}

/// Whether an already normalised message ends by taking leave: its last clause is a
/// farewell ("lo reviso con mi señora y les aviso, chao", "que tenga buen día", "dale
/// gracias cuídate"), a salute after thanks or a closing ("Todo resuelto, muchas gracias.
/// Buenas noches."), or a sign-off and a name ("Atentamente, Rosa Díaz").
pub(crate) fn ends_with_farewell(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 4]> = OnceLock::new();
    let [farewell, salute, sign_off, closing] = PATTERNS.get_or_init(|| {
        let lead = r"^((y|(gracias|grcs|grcias|graciass)( (por|x) (todo|la ayuda|la paciencia))?|grax|muchas|mil|thanks|thx|ok|oki|oka|okis|okey|ya|bueno|vale|dale|entonces|listo|perfecto|excelente|genial|bacan|bien|bn) )*";
        [
            format!(r"{lead}(chao+|chau|chaito|adios|adiosito|bye|see (ya|you)|nos (vemos?|vimos?)|nos hablamos|cambio y fuera|bendiciones (para|a) (usted|ustedes|todos( ustedes)?|ti)( y (su|tu) familia)?|que (pasen|tengan|tenga|pase) (un |una |unas )?(buen|buena|buenas|feliz|felices|lindo|linda|lindas) {SEASONS}|(que )?dios (lo|la|te|los|las|le|les) (bendiga|acompane|guarde|cuide)|(un )?(fuerte |gran )?abrazos?( grande| fuerte)?( (desde|para|pa|a) (todo el equipo|todos|\w+( \w+){{0,2}}))?|(un )?(beso|besos|besito|besitos)( y (un )?abrazos?)?( (para|pa|a) (todos|todas|ustedes|usted|ti))?( desde (el |la |los |las )?\w+( \w+)?)?|(que (tenga|tengas|tengan) )?(un |una )?(buen|buena|bn|bna|linda|bonita|excelente|feliz) (semana|fin de semana|finde|turno)( largo)?|(bueno|ya|ahora) (los|las|lo|la|te) dejo( (que|q|porque|xq|pq) [a-z ]+)?|(feliz|felices) {SEASONS}( (a|para|pa) (todos|ustedes|usted|ti|toda la familia|la familia|todos ustedes|todo el equipo|el equipo)( y (su|tu|sus|tus) (familia|familias|seres queridos))?( (alla|aca|alli))?)?( tambien)?|chaltu( may)?|chaltumay|pewkallal|orevwa|jikisinkama|jikisinkamakama|pewmayal|hasta luego|hasta pronto|hasta la proxima|cuidate|cuidese|cuidense|cdt|cdte|bendiciones|(que|q) (le|les|te) vaya (bien|bonito|super|excelente|la raja)|(que|q) (este|estes|esten) (muy |super )?(bien|super|excelente)|(que|q) (descanse|descanses|descansen)|(que|q) (tenga|tengas|tengan|pase|pases|pasen) (un |una )?(buen|buena|buenas|excelente|lindo|linda|bonito|bonita|feliz) (dia|tarde|tardes|noche|noches|semana|fin de semana|jornada|turno)( largo)?|cualquier (cosa|duda) (les |le |te )?(escribo|aviso|hablo|vuelvo a escribir)( de nuevo)?|(feliz|buena|linda) (semana|finde|fin de semana)( (a|para|pa) (todos|ustedes|usted|ti))?|(me|nos) (voy|vamos) a (la|el|mi) (pega|pista|cancha|clase|oficina|casa|cama|feria|faena|mina|turno|iglesia|escuela|colegio|u|chacra|parcela|campo|huerto|taller|local|ronda|ruta)( (que|q|porque|xq|pq|ya) [a-z ]+)?|(me|nos|se) (despido|despide|despedimos|despiden)( (muy )?(atentamente|cordialmente|fraternalmente|afectuosamente))?( (el|la|los|las|de|desde) [a-z ]+)?|(me tengo que ir|tengo que irme|me tengo que retirar)( (a|que|porque|xq|pq|ya) [a-z ]+)?|(despues|dsp|dps|luego|mas rato|mas tarde|otro dia) (les |le |te )?(escribo|hablo|vuelvo a escribir|sigo( con (esto|eso|el tema|lo otro|lo demas|el tramite))?|vuelvo)( si (pasa|hay|sale) algo( mas)?)?|(hablamos|conversamos|seguimos|nos escribimos) (despues|dsp|dps|luego|mas rato|mas tarde|otro dia|manana)|namaste|(que|q) (tenga|tengas|tengan) (un |una )?(dia|tarde|noche|semana) (lleno|llena|bonito|bonita|lindo|linda|precioso|preciosa|tranquilo|tranquila)( de \w+)?|(me voy|nos vamos|me fui|nos fuimos) a (dormir|acostar|acostarme|descansar|almorzar|comer|cenar|trabajar|la pega|clases|misa)( (que|porque|xq|pq|ya) [a-z ]+)?)( (po|nomas|harto|mucho|y (que|q) (tenga|tengas|tengan|pase|pases|pasen) (\w+ ){{0,4}}\w+|a todos|(para|pa) (ustedes|usted|todos|ti)|tambien|usted tambien|chiquillos|chiquillas|(a|para|pa) (todo el equipo|el equipo|(todos|todas) (los|las) \w+( del (chat|equipo))?)|gracias|ja(ja)+|je(je)+|ji(ji)+|xd|tb|tmb|y (cuidate|cuidese|cuidense|chao|nos vemos|bendiciones)( harto| mucho)?))*$"),
            format!(r"{lead}(buenas tardes|buenas noches|buen dia|buenos dias|saludos|saludos cordiales|(bn(a|as|s)?|buena) (nochs|noches|nches|noche|tardes|tards|tarde)|bns (noches|nochs|tardes)|bn dia)( (a|para|pa) (todos|todas|ustedes|todos ustedes))?( y (muchas )?gracias( por todo)?| y (que|q) (tenga|tengan|tengas|pase|pasen|pases) (\w+ ){{0,2}}\w+)?$"),
            r"^(atte|atentamente|cordialmente|saludos|saludos cordiales)$".to_owned(),
            r"\b(gracias|grax|grcs|grcias|thanks|agradezco|se agradece|agradecid[oa]|conforme|listo|perfecto|resuelto|solucionado|quedo claro|eso (era|es|seria) todo|eso seria|seria eso|eso nomas|(era|es) solo eso|solo (era|es) eso|fue un (gusto|placer))\b".to_owned(),
        ]
        .map(|pattern| ascii_regex(&pattern))
    });
    // The clauses from the last one back (most messages end in no farewell: nothing is
    // collected).
    let mut before = normalized
        .rsplit(CLAUSE_BREAK)
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let Some(last) = before.next() else {
        return false;
    };
    // Thanks after the goodbye ("me tengo que ir a atender a los abuelitos, gracias igual").
    let thanks_only = || {
        static THANKS: OnceLock<regex::Regex> = OnceLock::new();
        THANKS
            .get_or_init(|| {
                ascii_regex(r"^((muchas|mil) )?gracias( (igual|igualmente|de todas formas|de todos modos|por todo|por la ayuda))?$")
            })
            .is_match(last)
    };
    // ... or where the customer goes or what keeps them busy now ("bueno los dejo, tengo
    // que volver a enrollar", "ya te dejo, tengo que ir a buscar a los niños al colegio",
    // "los dejo, tengo clientes esperando", "dps les escribo, ahora voy manejando").
    let going_to = || {
        static GOING: OnceLock<regex::Regex> = OnceLock::new();
        GOING
            .get_or_init(|| {
                ascii_regex(r"^(tengo|tenemos|me toca|nos toca) (que )?(ir|irme|irnos|volver|seguir|salir|entrar)( \w+){0,7}$|^(tengo|tenemos) (clientes|gente|pacientes|alumnos|visitas|pega|harta pega|trabajo|una reunion|reunion|un cliente|una clienta)( \w+){0,5}$|^(me|nos) (llaman|llama|esperan|espera) (pa|para|a) (almorzar|comer|cenar|tomar once|la once|la mesa)( \w+){0,3}$|^((ahora|ya) )?(voy|vamos|estoy|estamos|ando|andamos) (manejando|conduciendo|en la calle|en el auto|en la micro|en el metro|en una reunion|en reunion|en la pega|trabajando|ocupad[oa]s?|saliendo|llegando)( \w+){0,4}$")
            })
            .is_match(last)
            && !names_service(last)
    };
    // ... or a season or day wished after it ("nos vemos, y feliz día del trabajador pa
    // ustedes tb"; alone it is small talk: "feliz día del profesor a todos"), or two good
    // things ("se despide: buen viento y buena mar").
    let wish_after = || {
        static WISH: OnceLock<regex::Regex> = OnceLock::new();
        WISH.get_or_init(|| {
            ascii_regex(&format!(r"^(y )?(feliz|felices) (dia (del|de la|de los) \w+|{SEASONS}|semana|finde)( (a|para|pa) (todos|ustedes|usted|ti))?( (tambien|tb|tmb))?$|^(y )?(buen|buena) \w+ y (buen|buena) \w+$"))
        })
        .is_match(last)
    };
    if farewell.is_match(last)
        || (thanks_only() || wish_after())
            && before.clone().next().is_some_and(|c| farewell.is_match(c))
        || going_to()
            && before.clone().next().is_some_and(|c| {
                farewell.is_match(c)
                    || matches!(
                        c.strip_prefix("ya ").unwrap_or(c),
                        "los dejo" | "las dejo" | "lo dejo" | "la dejo" | "te dejo"
                    )
            })
    {
        return true;
    }
    // A salute ends a message only after thanks or a closing ("Todo resuelto, gracias.
    // Buenas noches."; "hola, buenas tardes" greets, "tengo problemas con el wifi, saludos"
    // asks); a signature, also when it is the whole message ("Atentamente, Rosa Díaz").
    if salute.is_match(last) {
        // Thanks after the salute close by themselves ("buenas noches y gracias"), and so
        // do thanks before it in the same clause ("ya funciona, gracias y buenas noches").
        return last.ends_with("gracias")
            || last.ends_with("por todo")
            || closing.is_match(last)
            || before.any(|c| closing.is_match(c));
    }
    // The signature: one or two short lines naming someone ("Atte., Claudio Soto,
    // Laboratorio de Óptica"; not "Atentamente, una consulta, gracias").
    let short = |c: &str| {
        c.split(' ').count() <= 4
            && !words(c).any(|w| {
                matches!(
                    w,
                    "consulta" | "pregunta" | "duda" | "reclamo" | "problema" | "ayuda" | "gracias"
                )
            })
    };
    let mut rest = before.peekable();
    match rest.next() {
        Some(c) if sign_off.is_match(c) => {
            short(last) && (rest.peek().is_none() || rest.any(|c| closing.is_match(c)))
        }
        // The whole message too, but for "saludos", which also opens one.
        Some(c) if short(c) => {
            short(last)
                && rest.next().is_some_and(|c| {
                    sign_off.is_match(c)
                        && (rest.peek().is_none() && !c.starts_with("saludos")
                            || rest.any(|c| closing.is_match(c)))
                })
        }
        _ => false,
    }
}

/// What a customer calls the bot, the chat or what it says.
const BOT_WORDS: &[&str] = &[
    "bot",
    "robot",
    "chatbot",
    "chat",
    "maquina",
    "conversacion",
    "menu",
    "respuestas",
];

/// Whether an already normalised text condemns the bot or the chat itself ("bot inútil",
/// "esta wea de chat no funciona", "tus respuestas no tienen nada que ver", "me tienes
/// dando vueltas en el menú", "llevo rato apretando opciones y vuelvo al principio"):
/// frustration with the bot, which asks for a person (the guide). Not a question about it
/// ("¿eres un bot?"), nor what the bot said to do ("hice lo que dijo el bot y no
/// funciona"), nor another thing's chat or menu ("el chat de WhatsApp no funciona", "el
/// menú del deco no sirve", "la página del banco me devuelve al inicio").
pub(crate) fn condemns_the_bot(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 4]> = OnceLock::new();
    // Most messages name no bot nor its options: one pass over the words before the
    // patterns.
    let bot_named = words(normalized).any(|t| BOT_WORDS.contains(&t));
    let options =
        || words(normalized).any(|t| matches!(t, "opciones" | "principio" | "inicio" | "comienzo"));
    if !bot_named && !options() {
        return false;
    }
    let [verdict, not_the_bot, in_circles, a_while] = PATTERNS.get_or_init(|| {
        let bot = format!("({})", BOT_WORDS.join("|"));
        // An insult next to the bot ("bot weon", "robot inútil"); what it fails to do, a
        // few words away ("este robot no me entiende nada").
        let insult = "(inutil|tont[oa]|weon|estupid[oa]|idiota|basura|penca|pesim[oa]|malisim[oa]|de mierda)";
        let fails = "(no (me )?sirve|no (me )?funciona|no (me )?(entiende|entiendes|entendis|cacha|cachas|cachai)|no (me )?ayuda|no (me )?(resuelve|soluciona)|dando vueltas|nada que ver)";
        [
            format!(
                r"\b{bot}( \w+)? {insult}\b|\b{insult}( \w+)? {bot}\b|\b{bot}\b( \w+){{0,4}} {fails}\b|\b{fails}( \w+){{0,4}} {bot}\b"
            ),
            // Another thing's chat or menu ("el chat de whatsapp", "el menú del deco"), or
            // the bot quoted ("hice lo que dijo el bot").
            format!(r"\b(chat|menu|conversacion|respuestas) (de|del)\b|\b(dijo|dice|indico|indica|pidio|pide) (el |la )?{bot}\b"),
            // Going round the options for a while without a bot named ("llevo media hora
            // apretando opciones y vuelvo al principio", "hace rato que siempre me devuelve
            // al inicio"); not something's options or start ("apretando opciones del
            // control", "al inicio del trámite"), nor asked how ("¿cómo vuelvo al inicio?").
            r"\b((apretando|marcando|eligiendo|poniendo|probando|escribiendo) (\w+ )?opciones|(vuelvo|volvi|me (devuelve|devolvio|manda|mando|lleva|llevo|tira|tiro))( de nuevo| otra vez| siempre)? al (mismo )?(principio|inicio|comienzo))( de(l)? (?P<of>\w+))?".to_owned(),
            r"\b(llevo|llevamos|hace rato|rato|media hora|una hora|siempre|otra vez|de nuevo|todo el rato)\b".to_owned(),
        ]
        .map(|pattern| ascii_regex(&pattern))
    });
    // Across a comma too ("oye robot, no cachai nada").
    let text = without_clause_breaks(normalized);
    // Another screen's options or start ("el deco me devuelve al inicio", "la página del
    // banco me devuelve al inicio", "en el cajero"; not "ni en el banco me hacen dar tantas
    // vueltas").
    let another_screen = || {
        static SCREEN: OnceLock<regex::Regex> = OnceLock::new();
        names_service(&text)
            || SCREEN
                .get_or_init(|| {
                    ascii_regex(r"\b(?P<ni>ni )?(el|la|los|las|al|en el|en la|del|de la|mi|app del|app de la) (tv|pagina|web|sitio|app|aplicacion|juego|juegos|control|cajero|netflix|youtube|banco|isapre|fonasa|afp|call center)\b")
                })
                .captures_iter(&text)
                .any(|found| found.name("ni").is_none())
    };
    // Round the options: not something's ("apretando opciones del control", "al inicio
    // del trámite"; "de nuevo" and "de todo" are no owner); twice is a while too ("vuelvo
    // al inicio y vuelvo al inicio").
    let rounds = || {
        let rounds = in_circles
            .captures_iter(&text)
            .filter(|found| {
                found
                    .name("of")
                    .is_none_or(|of| matches!(of.as_str(), "nuevo" | "todo"))
            })
            .count();
        rounds >= 2 || rounds == 1 && a_while.is_match(&text)
    };
    bot_named && verdict.is_match(&text) && !not_the_bot.is_match(normalized)
        || rounds() && !another_screen()
}

/// Whether an already normalised text says the company's service works ("el internet
/// anda bien", "mi wifi funciona perfecto", "no es mi internet" ending the message) and
/// tells no failure of the service outside those words ([`names_service`], [`fails`]): a
/// failure it tells is not the service's ("el profe se desconectó de la clase, no es mi
/// internet", "mi pc tiene lag pero el internet anda bien"), so no restart. Only as a
/// statement closing its clause: not "bien" as "very" ("anda bien penca"), nor where or
/// how long ("funciona bien en el living", "un rato"), nor denied, doubted or quoted ("ni
/// el wifi funciona bien", "si según ustedes anda bien", "dicen que está bien").
pub(crate) fn says_service_works(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 2]> = OnceLock::new();
    let [works, not_it] = PATTERNS.get_or_init(|| {
        [
            r"\b(el |la |mi )?(internet|wifi|senal|conexion|red|fibra) (anda|funciona|esta|va) (bien|bn|perfecto|perfecta|impeque|impecable|joya|normal|excelente|de lujo|filete|espectacular)( (igual|si))?( \| |$| pero\b| y\b| porque\b| xq\b| jaja\w*)|\b((el |la |mi )?(internet|wifi|senal|conexion|red|fibra)|(la|el) (nuestra|nuestro|mia|mio)|lo (mio|nuestro)) (andaba|funcionaba|estaba|iba) (bien|bn|perfecto|perfecta|impeque|impecable|joya|normal|excelente|de lujo|filete|espectacular)( (igual|si))?( jaja\w*)?( \| |$)|\b(tengo|tenemos|tenia|teniamos) (buena|buen|excelente) (conexion|internet|senal|wifi)( \| |$| jaja\w*)|\b(tengo|tenemos|tenia|teniamos) (una )?(conexion|internet|senal|wifi) (perfecta|perfecto|impecable|excelente|estable)( \| |$| jaja\w*)",
            r"\bno es (el |mi |la |del |nuestro |nuestra |problema del |culpa del )?(internet|wifi|senal|conexion)( jaja\w*)?( \| |$)",
        ]
        .map(ascii_regex)
    });
    let said = |pattern: &regex::Regex, failure_elsewhere: bool| {
        pattern.find_iter(normalized).any(|found| {
            // (Within its clause, after a "pero" or "y" that opens another statement.)
            let clause = normalized[..found.start()]
                .rsplit(CLAUSE_BREAK)
                .next()
                .unwrap_or("");
            let before: Vec<&str> = words(clause).collect();
            let opens = before
                .iter()
                .rposition(|w| matches!(*w, "pero" | "y"))
                .map_or(0, |at| at + 1);
            let before = &before[opens..];
            let doubted = before[before.len().saturating_sub(4)..].iter().any(|w| {
                matches!(
                    *w,
                    "no" | "ni" | "siquiera" | "si" | "segun" | "dicen" | "dice" | "que" | "aunque"
                )
            });
            let rest = without_clause_breaks(&format!(
                "{} | {}",
                &normalized[..found.start()],
                &normalized[found.end()..]
            ))
            .into_owned();
            // (A failure of someone else's, the other player's, the teacher's or the
            // pupil's, leaves the service working: "el otro jugador se desconectó, mi
            // internet anda perfecto", "el alumno se me cayó de la clase, pero mi conexión
            // estaba impecable".)
            let someone_elses = || {
                [
                    "otro equipo",
                    "otro del equipo",
                    "otra del equipo",
                    "otros del equipo",
                ]
                .iter()
                .any(|phrase| contains_phrase(&rest, phrase))
                    || words(&rest).any(|w| {
                        matches!(
                            w,
                            "jugador"
                                | "jugadores"
                                | "amigo"
                                | "amiga"
                                | "amigos"
                                | "profe"
                                | "profesor"
                                | "profesora"
                                | "rival"
                                | "rivales"
                                | "contrincante"
                                | "oponente"
                                | "paciente"
                                | "pacientes"
                                | "alumno"
                                | "alumna"
                                | "alumnos"
                                | "alumnas"
                                | "estudiante"
                                | "estudiantes"
                                | "companero"
                                | "companera"
                                | "apoderado"
                                | "apoderada"
                                | "apoderados"
                                | "cliente"
                                | "clientes"
                                | "participante"
                                | "participantes"
                                | "club"
                                | "jefe"
                                | "jefa"
                                | "host"
                                | "streamer"
                                | "youtuber"
                                | "colega"
                                | "servidor"
                                | "server"
                                | "juego"
                                | "app"
                                | "pagina"
                        )
                    })
            };
            // (The service named may be someone else's that failed, with nothing of the
            // customer's there: "se le cayó la conexión al otro club, la nuestra estaba
            // impeque", "el otro equipo se quedó sin internet, el mío iba perfecto".)
            let theirs = || {
                someone_elses()
                    && !words(&rest).any(|w| {
                        POSSESSIVES.contains(&w)
                            || matches!(w, "me" | "nos" | "tengo" | "tenemos" | "estoy" | "estamos")
                    })
            };
            // (Nor worked until then: "el wifi estaba bien, pero ahora se cortó".)
            let until_then = found.as_str().ends_with("| ")
                && words(&normalized[found.end()..]).next().is_some_and(|w| {
                    matches!(w, "pero" | "ahora" | "hasta" | "y" | "luego" | "despues")
                });
            !doubted
                && !until_then
                && (!names_service(&rest) || theirs())
                && (failure_elsewhere || !fails(&rest) || someone_elses())
        })
    };
    // (What "no es mi internet" closes may tell the failure that is not the service's.)
    said(works, false) || said(not_it, true)
}

/// Whether an already normalised text asks for the company's phone number ("¿a qué número
/// llamo?", "necesito el número del call center", "¿cuál es el número de atención al
/// cliente?"): branches, hours and phone numbers are out of scope (the guide); not the
/// number of a request ("mi número de atención es el 55102").
pub(crate) fn asks_for_the_number(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    normalized.contains("numero")
        && PATTERN
            .get_or_init(|| {
                ascii_regex(r"\bnumero( de telefono| telefonico| de fono)? (de|del|para|pa) (atencion al cliente|servicio al cliente|servicio tecnico|soporte|call center|ventas|reclamos|ustedes|la empresa|la compania|llamar)\b|\b(a|al) (que|q|cual) numero (llamo|puedo llamar|tengo que llamar|hay que llamar|debo llamar|les llamo|los llamo|marco)\b|\b(que|q) numero (tiene|tienen) (el |la )?(servicio al cliente|atencion al cliente|call center|soporte|servicio tecnico)\b")
            })
            .is_match(&without_clause_breaks(normalized))
}

/// Whether an already normalised text asks how to do something with the equipment or the
/// service, and reports no failure ([`fails`]): "¿cómo conecto la impresora al wifi?",
/// "como se configura el control del deco", "¿cómo funciona el modo avión?", "¿qué
/// significa la luz roja del router?" (equipment how-to and meaning questions are out of
/// scope), or asks where the service reaches ("¿hay
/// cobertura en Hanga Roa?", "tienen factibilidad en mi edificio", "¿hay fibra en Putre?";
/// not "no hay cobertura en mi casa"), not "no tengo internet, ¿cómo lo arreglo?".
pub(crate) fn asks_how_to(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 6]> = OnceLock::new();
    let text = without_clause_breaks(normalized);
    let [how, property, coverage, no_coverage, meaning, light] = PATTERNS.get_or_init(|| {
        [
            // Also making a restart ("¿cómo hago un reset del router?"; not any "¿cómo hago
            // para ...?", which asks for anything), moving the equipment to another room
            // ("¿puedo cambiar el router a otra pieza?"), doing it oneself ("¿puedo cambiar
            // yo mismo el nombre de la red?"), what the equipment supports and being taught
            // to do it ("¿me enseña a ponerle otra clave al wifi?"), and whether one can get
            // a line or plan, alone or on a condition ("¿puedo sacar un chip sin tener
            // cuenta?", "¿puedo sacar un plan con mi pasaporte?": a sale; not "¿puedo tomar
            // un plan más chico?", a change), and whether the WiFi harms one's health ("¿el
            // wifi le hace mal a la guagua?", "¿es malo dormir con el módem en la pieza?").
            r"\bcomo (se )?(hago|hacer|hace) (un |el |una )?(reset|reseteo|reinicio)\b|\bcomo (puedo |podria |se |le |lo |la |los )*(conecto|conectar|conecta|configuro|configurar|configura|activo|activar|activa|desactivo|desactivar|desactiva|instalo|instalar|instala|pongo|poner|pone|uso|usar|usa|veo|ver|agrego|agregar|cambio|cambiar|funciona|funcionan|bloqueo|bloquear|saco|sacar)\b|\b(puedo|se puede|podria) (cambiar|mover|llevar|trasladar|poner) (el|la|mi) (router|modem|deco|decodificador|repetidor|equipo)( \w+)? (a|al|en|para) (otra|otro) (pieza|piso|lugar|habitacion|dormitorio|parte|sala)\b|\b(wifi|router|modem|antena|antenas|5g|senal)\b( \w+){0,4} (le |les |me |nos |te )?(hace|hacen|hara|haran) mal\b|(^|\b(duda|pregunta|consulta) )((y|oye|hola|una consulta) )?(es|sera) (malo|peligroso|danino) (\w+ ){1,4}(el |la |los )?(wifi|router|modem|antena|antenas)\b|\b(puedo|podemos|podria|podriamos) (\w+ ){1,2}(yo mismo|yo misma|nosotros mismos|uno mismo)\b|^((y|oye|hola|una consulta) )?(con|si pongo|si compro|si instalo|si agrego) (un|una|otro|otra) (repetidor|extensor|router|antena|amplificador)\b( \w+){0,3} (llegaria|alcanzaria|mejoraria|tendria|andaria)\b|^((y|oye|hola|una consulta) )?((el|la|mi) \w+( \w+){0,4} )?(soporta|soportan|es compatible|son compatibles)\b|\b(puedo|podria|podemos|se puede|como puedo|como podria) (sacar|contratar|tomar|adquirir) (un|una) (plan|linea|chip|numero)( (si|siendo|sin (tener|ser|rut|carnet|cedula)|con (mi |el |un )?(pasaporte|dni|carnet extranjero|cedula extranjera))\b|$)|\b((me|nos) (ensena|ensenan|ensenas|ensenai|explica|explican|explicas|explicai)|ensename|ensenenme|ensenarme|ensenarnos|explicame|expliquenme|explicarme)( \w+)? (a|como) (se )?(conectar|configurar|activar|desactivar|instalar|poner|usar|ver|agregar|cambiar|bloquear|sacar)(le|la|lo|les|los|las)?\b",
            // What the equipment is, asked alone ("¿el módem que me pusieron es de doble
            // banda?", "¿el router alcanza a cubrir el segundo piso?", "¿el repetidor sirve
            // para una casa de dos pisos?", "¿el router aguanta a 30 personas conectadas?";
            // with nothing denied:
            // "el módem no es de doble banda y contraté uno que sí" complains).
            r"^((y|oye|hola|una consulta) )?(el|la|mi|este|esta|ese|esa) (modem|router|deco|decodificador|repetidor|equipo)( \w+){0,4} ((es|son|tiene|tienen|trae|viene) (de )?(doble banda|dual band|5 ?g|5 ?ghz|wifi 6|wifi 5|mesh|gigabit|4k|hd|full hd|smart|android)|(alcanza|alcanzan|alcanzaria|alcanzarian) (a )?(cubrir|llegar)( \w+){1,6}|(sirve|sirven|serviria) (pa|para) (una |un |mi |la |el )?(casa|depto|departamento|oficina|local|segundo piso|patio)( \w+){0,6}|(aguanta|aguantan|soporta|soportan|resiste|resisten) (conectar |tener |a )?(\d+|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|veinte|treinta|varios|varias|muchos|muchas|hartos|hartas|tantos|tantas)( \w+){0,6})( o no| cierto| verdad)?$",
            r"\b(hay|tienen|tiene|existe|habra) (\w+ )?(cobertura|factibilidad)\b|^((y|oye|hola|buenas|una consulta) )?(hay|llega|llegan|tienen) (fibra|fibra optica|5g) (en|a|al|pa|para|hasta) \w+( \w+){0,2}( o no| todavia)?$|^((y|oye|hola|buenas|una consulta) )?((quiero|quisiera|queria|quisieramos|queriamos) saber )?(si|cuando) (llegan|llega|van a llegar) con (la )?(fibra|fibra optica|5g|internet|senal) (a|al|hasta|pa|para) \w+",
            r"\b(no|sin|ni|nada de|poca|mala) (\w+ )?(cobertura|factibilidad)\b",
            // A message that opens asking what something means names what it sees, which
            // is no failure reported ("¿qué significa la luz roja que parpadea?").
            r"^((y|oye|hola|una consulta) )?(que|q) (significa|significan|quiere decir|quieren decir|hace el (boton|botoncito))\b",
            // Whether a light is normal ("¿la lucecita verde que parpadea en el módem es
            // normal?"), with no failure told anywhere ("la luz está roja y no tengo
            // internet, ¿es normal?" reports one).
            r"\b(luz|luces|lucecita|lucecitas|led|leds)\b.* es normal$|\bes normal (que )?(la|las|el|los) (luz|luces|lucecita|lucecitas|led|leds)\b",
        ]
        .map(ascii_regex)
    });
    // What follows the question that opens the message ("¿qué significa la luz roja? no
    // tengo internet" tells a failure).
    let after_first = normalized
        .split_once(CLAUSE_BREAK)
        .map_or("", |(_, rest)| rest);
    // A price asked ("¿cuánto me costaría cambiarme a un plan más caro?"), how to restart
    // oneself ("¿cómo se reinicia el deco? para saber hacerlo yo solita", "¿me enseñan a
    // resetearlo yo misma?", "¿dónde está el botón pa resetear el módem? la próxima vez lo
    // hago yo") or what a restart
    // does ("si reinicio el módem, ¿se borra la configuración?"), with no failure told: a
    // question, though it names a restart (the guard at the end takes those for requests).
    static ASKED: OnceLock<[regex::Regex; 2]> = OnceLock::new();
    let [oneself, erases] = ASKED.get_or_init(|| {
        [
            r"\b(como (se |lo |le |la )?(reinicia|reinicio|reiniciar|resetea|reseteo|resetear)|pasos (pa|para) (reiniciar|resetear)\w*|donde (esta|queda) el boton (pa|para|de) (reiniciar|resetear)\w*|(ensena|ensenan|ensenas|ensename|ensene|enseneme|ensenen|ensenenme|ensenarme|explica|explican|explicame|expliqueme|expliquenme|explicarme) (a|como|(los )?pasos (pa|para)) (reiniciar|resetear)\w*)\b.*\b(yo (mismo|misma|solo|sola|solito|solita)|(hacerlo|reiniciarlo|resetearlo) yo|por mi cuenta|la proxima( vez)?|cuando (vuelva a pasar|pase|se caiga|se corte)|(asi|para|pa) no (tener|tengo|tenga) (que|q) (escribir|escribirles|escribirle|llamar|llamarles|llamarle|llamarlos|llamarlas)|(asi|para|pa) no (molestar|molestarlos|molestarles|molestarlas))\b",
            r"\b(reinici\w*|resete\w*|desenchuf\w*|apago|apagar|apagarlo|apagarla|apagamos|desconecto|desconectar|desconectarlo|desconectamos)\b.*\b(se ((me|nos|le) )?(borra|borran|desconfigura|desconfiguran|desconfigure|desconfiguren|pierde|pierden)|pierdo|perdemos|perderia|perderiamos|(tengo|tenemos|hay) que (volver a )?(conectar|configurar|programar|instalar))\b|\bse ((me|nos|le) )?(borra|borran|desconfigura|desconfiguran)\b.*\b(reinici|resete)\w*\b",
        ]
        .map(ascii_regex)
    });
    // Not with a restart asked ("reinicien el módem porfa, ¿cuánto me cobran por eso?"),
    // a price disputed ("¿por qué cuesta tanto?", "me subieron la boleta"), nor a device
    // that restarts by itself ("se resetea solo y se desconfigura"); "cómo se reinicia"
    // asked is no failure.
    let asked_for = || {
        asks_for_restart(normalized)
            || words(&text).any(|t| t.starts_with("reinicien") || t.starts_with("reseteen"))
    };
    // Supposed: "si reinicio ...", "al desenchufar ...", "... sin que se desconfigure" (not
    // any "al": "apagué el módem al salir y al volver se pierde el wifi").
    let conditional = || {
        static WHEN: OnceLock<regex::Regex> = OnceLock::new();
        text.starts_with("si ")
            || [" si ", "sin que se"].iter().any(|w| text.contains(w))
            || text.contains("al ")
                && WHEN
                    .get_or_init(|| {
                        ascii_regex(r"\bal (reiniciar|resetear|desenchufar|apagar|desconectar)(lo|la|los)?\b")
                    })
                    .is_match(&text)
    };
    // (Most messages have none of their words: each pattern runs only on those that do.)
    if (asks_price(&text)
        || ["como", "pasos", "ensen", "explic", "boton"]
            .iter()
            .any(|w| text.contains(w))
            && oneself.is_match(&text)
            // (Not with the times it failed counted: "... lo hago yo, ya van tres veces esta
            // semana".)
            && !words(&text).any(|w| w == "veces")
        || [
            "borra",
            "desconfigur",
            "pierd",
            "perd",
            "que volver",
            "que conectar",
            "que configurar",
        ]
        .iter()
        .any(|w| text.contains(w))
            && erases.is_match(&text)
            && conditional())
        && !asked_for()
        && !fails(
            &text
                .replace("como se reinicia", "como reinicia")
                .replace("como se resetea", "como resetea"),
        )
    {
        return true;
    }
    // (Not what one cannot do oneself: "no puedo hacerlo yo mismo, necesito que alguien me
    // ayude".)
    let cannot = || {
        ["no puedo", "no podemos", "no podria"]
            .iter()
            .any(|p| contains_phrase(&text, p))
    };
    ((how.is_match(&text) && !cannot()
        || ["modem", "router", "deco", "repetidor", "equipo"]
            .iter()
            .any(|w| text.contains(w))
            && property.is_match(&text)
            && !words(&text).any(negator)
        || asks_requirements(normalized)
        || coverage.is_match(&text) && !no_coverage.is_match(&text)
        || light.is_match(&text)
        || blocks_a_caller(&text))
        && !fails(&text)
        || meaning.is_match(&text) && !fails(&without_clause_breaks(after_first)))
        // Not when it asks for a restart ("reinícienlo"; "¿cómo funciona el reinicio?" asks
        // how).
        && !words(&text).any(|t| {
            ["reinici", "resete"].iter().any(|stem| t.starts_with(stem))
                && !matches!(t, "reinicio" | "reinicios" | "reseteo" | "reseteos")
        })
}

/// Whether a normalised text (clause breaks removed) asks to block a number that calls or
/// writes, which the phone does ("quiero bloquear un número desconocido que me llama todas
/// las noches"); the guide's line block is one's own lost line ("bloqueen mi número, me
/// robaron el celu").
pub(crate) fn blocks_a_caller(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    text.contains("bloque")
        && PATTERN
            .get_or_init(|| {
                ascii_regex(r"\bbloque\w*( (a|de))? (un|el|ese|este|esa|esta|los|las|unos|unas|estos|esos) (numero|numeros|llamadas|mensajes)( \w+){0,3} (desconocid[oa]s?|rar[oa]s?|privad[oa]s?|de spam|spam|que (me|nos) (llama|llaman|escribe|escriben|molesta|molestan|manda|mandan|acosa|acosan))\b")
            })
            .is_match(text)
}

/// Whether a normalised text (clause breaks removed) says the customer does it alone ("yo
/// mismo", "por mi cuenta").
pub(crate) fn by_oneself(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    (text.contains("yo ") || text.contains("cuenta"))
        && PATTERN
            .get_or_init(|| {
                ascii_regex(r"\byo (mismo|misma|solo|sola|solito|solita)\b|\bpor mi cuenta\b")
            })
            .is_match(text)
}

/// Whether a normalised text (clause breaks removed) asks a price ("¿cuánto me saldría
/// subir a un plan de más megas?"), or whether a visit or a procedure is charged ("¿la
/// visita técnica se cobra?", "¿me van a cobrar la instalación o es gratis?"), not disputed
/// ("¿por qué cuesta tanto?", "me subieron la boleta, ¿cuánto me cobran ahora?", "me
/// cobran la visita y el técnico nunca vino").
pub(crate) fn asks_price(text: &str) -> bool {
    static PRICE: OnceLock<regex::Regex> = OnceLock::new();
    static CHARGED: OnceLock<regex::Regex> = OnceLock::new();
    let disputed = || {
        contains_phrase(text, "por que")
            || words(text).any(|t| {
                matches!(
                    t,
                    "subieron"
                        | "subio"
                        | "cobraron"
                        | "boleta"
                        | "devolvi"
                        | "devolvimos"
                        | "entregue"
                        | "entregamos"
                )
            })
    };
    let how_much = || {
        (text.contains("cuant") || text.contains("subir"))
            && PRICE
                .get_or_init(|| {
                    ascii_regex(r"\bcuant[oa]s? ((mas|lucas|lukas|plata|pesos) ){0,2}(me |nos |le )?(cuesta|cuestan|costaria|costarian|sale|salen|saldria|saldrian|vale|valen|cobran|cobrarian|cobraria|pagaria|pagariamos|pagarian|seria|serian)\b|\b(van a|iran a|vayan a) subir (los|el|las) (precio|precios|plan|planes|tarifa|tarifas|valor|valores)\b")
                })
                .is_match(text)
    };
    // (Nothing denied, told done or blamed: "me van a cobrar la visita y no vino nadie",
    // "¿me van a cobrar la reconexión si el corte fue error de ustedes?".)
    let whether_charged = || {
        ["cobr", "costo", "gratis", "gratuit", "paga"]
            .iter()
            .any(|w| text.contains(w))
            && !words(text).any(|t| {
                matches!(
                    t,
                    "no" | "nunca"
                        | "jamas"
                        | "ni"
                        | "sin"
                        | "cobro"
                        | "pague"
                        | "pagamos"
                        | "error"
                        | "culpa"
                )
            })
            && CHARGED
                .get_or_init(|| {
                    ascii_regex(r"\b(visita|instalacion|traslado|reconexion)( \w+){0,2} (se cobra|se paga|tiene (algun )?costo|es gratis|es gratuit[oa]|sale gratis|es pagad[oa])\b|\b(se cobra|se paga|cobran|cobra|cobrarian|cobraria|tiene (algun )?costo)( \w+){0,3} (visita|instalacion|traslado|reconexion|trasladar|instalar|reconectar)\b|\b(me|nos|le) (van a cobrar|cobrarian|cobraria)( \w+){0,3} (visita|instalacion|traslado|reconexion|instalar|trasladar|reconectar)\b")
                })
                .is_match(text)
    };
    (how_much() || whether_charged()) && !disputed()
}

/// Whether a normalised text opens asking what papers or requirements a procedure needs
/// ("¿qué papeles hay que llevar para poner el servicio a nombre de mi hijo?", "cuáles son
/// los requisitos para el traslado", "pa hacer el cambio de titular, ¿tengo que ir con el
/// carnet?"): a question about the procedure, not the change asked
/// for ("quiero cambiar el titular, ¿qué papeles necesito?" asks for it first, "¿qué papeles
/// hay que llevar? necesito cambiar el titular" after), nor "qué papeles ni qué nada".
pub(crate) fn asks_requirements(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    // (The identity card only for a change of the account: "¿tengo que ir con el carnet
    // pa reclamar un cobro doble?" complains.)
    let card = || {
        ["carnet", "cedula", "sucursal", "oficina", "tienda"]
            .iter()
            .any(|w| normalized.contains(w))
            && [
                "titular",
                "traslado",
                "baja",
                "portabilidad",
                "portar",
                "plan",
                "contrato",
            ]
            .iter()
            .any(|w| normalized.contains(w))
            && !normalized.contains("reclam")
    };
    (["papeles", "documentos", "requisitos"]
        .iter()
        .any(|w| normalized.contains(w))
        || normalized.contains("poder") && !normalized.contains("reclam")
        || card())
        && PATTERN
            .get_or_init(|| {
                // Also after the procedure it is for ("pa hacer el cambio de titular,
                // ¿tengo que ir con el carnet de los dos?"), or a move supposed ("si nos
                // mudamos de casa, ¿qué documentos piden para el traslado?").
                ascii_regex(r"^((y|oye|hola|buenas|buenas tardes|buenos dias|una consulta|consulta) )*((si|cuando) (me|nos) (cambio|cambiamos|cambie|cambiemos|mudo|mudamos|mude|mudemos)( de (casa|depto|departamento|domicilio|ciudad))? (\| )?)?((para|pa) (hacer|pedir|solicitar|dar|pasar|cambiar|trasladar|poner|terminar|cancelar|el|la) [^|]*?(\| )?)?((que|q) (papeles|documentos|requisitos)|cuales son (los|las) (papeles|documentos|requisitos)|(tengo|tenemos|hay) (que|q) (ir|llevar|presentar|mostrar) (con )?(el |la |los |las |mi |mis )?(carnet|carnets|cedula|cedulas|papeles|documentos)|(tengo|tenemos|hay) (que|q) ir (si o si |en persona |personalmente )*a (una|la|alguna) (sucursal|oficina|tienda)|sirve (un |el |una )?poder( notarial| simple)?)( (?P<next>\w+)|$)")
            })
            .captures(normalized)
            .is_some_and(|found| {
                // What follows the question's clause asks for nothing ("¿qué papeles hay
                // que llevar? necesito cambiar el titular" asks for the change).
                let after = normalized[found.get(0).map_or(0, |m| m.end())..]
                    .split_once(CLAUSE_BREAK)
                    .map_or("", |(_, rest)| rest);
                found.name("next").is_none_or(|next| next.as_str() != "ni")
                    && !words(after).any(|w| {
                        matches!(
                            w,
                            "quiero" | "queremos" | "necesito" | "necesitamos" | "exijo" | "deseo"
                        )
                    })
            })
}

/// Whether `text` (normalised as `normalized`) asks whether something works in a case
/// ("¿el internet funciona si se corta la luz?", "si hay apagón, ¿el módem sigue
/// funcionando?"): a question about the service, like a how-to one, with no complaint
/// topic, and no failure told outside the case. Not a failure under a condition ("el wifi
/// no me funciona si no estoy al lado del router", "la tele solo funciona si desenchufo el
/// deco", "nada funciona si no apago el modem"), nor "sí" ("el wifi funciona sí, pero el
/// deco no prende").
pub(crate) fn asks_what_if(text: &str, normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 2]> = OnceLock::new();
    // Most messages ask nothing so ("o no" at the end asks too).
    if !(text.contains('?') || normalized.trim_end().ends_with(" o no"))
        || !normalized.contains("si ")
    {
        return false;
    }
    let [works_if, if_works] = PATTERNS.get_or_init(|| {
        [
            // The verb, then the case, in one clause ("si" before a word, not a break).
            // ("Sigue funcionando si ...": right before the case.)
            r"\b((no|ni|nunca|nada|solo|solamente|unicamente|tampoco) ((me|nos|le|les|te) )?)?(funciona|funcionan|sirve|sirven|anda|andan)( \w+){0,2} si \w|\b(sigue|siguen|seguira|seguiran|seguiria) funcionando si \w",
            // The case first, then the verb.
            r"^(y )?si .*\b((no|ni|sin|nada) )?((igual|sigue|siguen|seguira|seguiria|va a) )?(funciona|funcionan|funcionando|anda|andan|sirve|sirven)\b",
        ]
        .map(ascii_regex)
    });
    let negated = |found: &regex::Captures<'_>, group: usize| found.get(group).is_some();
    let case_after = works_if.captures(normalized).is_some_and(|found| {
        let whole = found.get(0).expect("the whole match");
        // Nor a failure told after the case's clause ("¿sigue funcionando si se corta la
        // luz? porque ayer se cortó y no tengo internet").
        let after = normalized[whole.end()..]
            .split_once(CLAUSE_BREAK)
            .map_or("", |(_, rest)| rest);
        !negated(&found, 1)
            && !fails(&without_clause_breaks(&normalized[..whole.start()]))
            && !fails(&without_clause_breaks(after))
    });
    let case_before = || {
        if_works.captures(normalized).is_some_and(|found| {
            let end = found.get(0).expect("the whole match").end();
            !negated(&found, 2) && !fails(&without_clause_breaks(&normalized[end..]))
        })
    };
    (case_after || case_before()) && complaint_topic_in(normalized).is_none()
}

/// Whether an already normalised text says an answer is still missing ("aún no hay
/// resolución de mi reclamo y ya pasaron 20 días", "todavía no me dan ninguna respuesta",
/// "nunca me respondieron lo que reclamé"):
/// a complaint when not asked as a question (the guide: "aún no hay resolución" complains,
/// "¿ya hay resolución?" asks), nor with information asked for ("aún no tengo respuesta.
/// Agradecería información sobre su estado").
pub(crate) fn denies_resolution(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    ["aun", "todavia", "nunca"].iter().any(|w| normalized.contains(w))
        && !words(normalized).any(|w| {
            matches!(
                w,
                "estado" | "informacion" | "saber" | "informar" | "informen" | "informarme"
            )
        })
        && PATTERN
            .get_or_init(|| {
                ascii_regex(r"\b(aun|todavia) no (me )?(hay|han dado|dan|tengo|recibo|he recibido|llega|ha llegado|responden|han respondido) (ninguna |una |alguna )?(resolucion|respuesta|solucion)\b|\bnunca (me |nos )?((dieron|han dado|llego|ha llegado) (una |ninguna |alguna )?(resolucion|respuesta|solucion)|(respondieron|contestaron|solucionaron|resolvieron|han respondido|han contestado)( (\w+ ){0,2}(reclamo|reclame|reclamamos|queja|solicitud|pedi|pedimos))?\b)")
            })
            .is_match(&without_clause_breaks(normalized))
}

/// Whether an already normalised text, after asking about something, turns to a person
/// instead: "pero", "mejor" or "no" and then a wish to talk to one or be told by one
/// ("quiero saber cómo va mi reclamo, pero prefiero que me lo explique una persona", "en
/// qué va mi reclamo... no, mejor quiero hablar con un supervisor", "¿cómo va mi
/// solicitud? no, mejor que me lo cuente un ejecutivo"); not denied ("pero no
/// quiero hablar con nadie").
pub(crate) fn turns_to_a_person(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    // (Clause breaks kept: a bare "no" must end its clause, "no, mejor ...", not deny the
    // wish, "no quiero hablar con un ejecutivo".)
    PATTERN
        .get_or_init(|| {
            ascii_regex(r"\b(pero|mejor|no \|) ((\w+|\|) ){0,2}((quiero|quisiera|prefiero|preferiria|necesito)( \w+){0,2} )?(hablar|hablarlo|conversar|conversarlo|que me (\w+ )?(explique|expliquen|cuente|cuenten|diga|digan|atienda|atiendan|llame|llamen|contacte))\b( \w+){0,4} (una persona|un humano|una humana|un ejecutivo|una ejecutiva|un supervisor|una supervisora|alguien|un agente)\b")
        })
        .find_iter(normalized)
        .any(|found| {
            let whose = normalized[found.end()..].trim_start();
            let theirs = someone_elses(whose);
            // Nor one somewhere ("alguien en la casa"), nor on a condition ("con alguien
            // solo si no hay respuesta").
            let next: Vec<&str> = words(whose).take(3).collect();
            let placed = next.first() == Some(&"en") || next.contains(&"si");
            !words(found.as_str())
                .skip(1)
                .any(negator)
                && !theirs
                && !placed
        })
}

/// Whether the words after a person named (`whose`) make them someone else's, not the
/// company's: "alguien de mi casa", "una persona del banco", "alguien de la junta de
/// vecinos" ("alguien de la empresa" is the company's).
fn someone_elses(whose: &str) -> bool {
    let company = [
        "de ustedes",
        "de la empresa",
        "de la compania",
        "de atencion",
        "del servicio",
        "de soporte",
        // (Not someone else's: "una persona de verdad", "de carne y hueso".)
        "de verdad",
        "de carne",
        "de veras",
    ]
    .iter()
    .any(|w| whose.starts_with(w));
    (whose.starts_with("de ") || whose.starts_with("del ")) && !company
}

/// Whether an already normalised text tells that another business's page or system is
/// down ("el sii tiene la página caída", "el puerto tiene el sistema caído desde la
/// mañana") or that the power or water company cut it ("la empresa de luz nos cortó sin
/// aviso"), naming none of the company's services ("la empresa de luz cortó y el módem no
/// prende" is the customer's outage); or a failing service said to be theirs
/// ([`theirs_failing`]).
pub(crate) fn others_outage(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    // (Most messages have none of the words: no pattern read.)
    let down = ["caid", "abajo", "colapsad", "pegad"]
        .iter()
        .any(|w| normalized.contains(w));
    let cut = ["corto", "cortaron", "dejo sin", "suspendio"]
        .iter()
        .any(|w| normalized.contains(w))
        && ["luz", "agua", "gas", "electric"]
            .iter()
            .any(|w| normalized.contains(w));
    if !(down || cut) {
        return theirs_failing(normalized);
    }
    let text = without_clause_breaks(normalized);
    PATTERN
        .get_or_init(|| {
            ascii_regex(r"\b(el|la|los|las) \w+( \w+)? (tiene|tienen|tenia|tenian) (la pagina|el sistema|la app|la aplicacion|el portal|la web|el sitio|el servidor|la plataforma) (caid[oa]|abajo|colapsad[oa]|pegad[oa])\b|\b(empresa|compania) (de )?(la )?(luz|agua|gas|electricidad|electrica)\b( \w+){0,2} (corto|cortaron|dejo sin|suspendio)\b")
        })
        .is_match(&text)
        && !names_service(&text)
        || theirs_failing(normalized)
}

/// Whether an already normalised text tells a failure of a service it says is someone
/// else's, the place's or its owner's ("el wifi del bar no anda, pero es de ellos", "el wifi
/// de la posta no funciona, es del servicio de salud", "el internet que tiene el dueño de la
/// cabaña no anda"), and nothing of the customer's own ("es de ellos y el mío tampoco
/// anda").
fn theirs_failing(normalized: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    // (The words first: most messages name no place nor owner, and pay for nothing more.)
    let named = [
        "ellos",
        "ellas",
        "duen",
        "del local",
        "del lugar",
        "del recinto",
        "del edificio",
        "del hotel",
        "de salud",
        "muni",
    ]
    .iter()
    .any(|w| normalized.contains(w));
    if !named {
        return false;
    }
    let text = without_clause_breaks(normalized);
    PATTERN
            .get_or_init(|| {
                ascii_regex(r"\b(es|son) (de ellos|de ellas|del local|del lugar|del dueno|de la duena|de los duenos|del recinto|del edificio|del hotel|del servicio de salud|del municipio|de la muni)( nomas| no mas)?( \| |$| no (mio|mia|nuestro|nuestra)\b)|\b(internet|wifi|red|conexion) (de ellos|que tiene el dueno|que tiene la duena|que tienen los duenos|del edificio de ellos)\b")
            })
            .is_match(normalized)
        && fails(&text)
        && !words(&text).any(|w| {
            matches!(
                w,
                "mi" | "mio" | "mia" | "nuestro" | "nuestra" | "tampoco" | "ustedes"
            )
        })
}

/// Whether an already normalised text files a new complaint in so many words ("quiero
/// ingresar un reclamo", "vengo a poner una queja", "quiero reclamar de nuevo"), which the words of the first option
/// ("reclamo", "atención") may pull towards the earlier requests, also with the complaint
/// named before ("el reclamo anterior no me lo resolvieron, quiero ingresar uno nuevo"); not
/// when denied ("no quiero poner otro reclamo, solo saber cómo va el que hice").
pub(crate) fn files_new_complaint(normalized: &str) -> bool {
    static FILES: OnceLock<regex::Regex> = OnceLock::new();
    let files = FILES.get_or_init(|| {
        ascii_regex(r"\b(quiero|quisiera|necesito|vengo a|deseo|me gustaria|voy a) (ingresar|poner|hacer|dejar|presentar|levantar|registrar|interponer|abrir|ingresarles|ponerles|hacerles|dejarles) ((un|una|otro|otra)( (nuevo|nueva|formal))? (reclamo|queja|denuncia)|(?P<elided>uno nuevo|una nueva|otro nuevo|otra nueva|(otro|otra)( \|)*$))\b|\b(quiero|quisiera|necesito|vengo a|voy a) (reclamar|quejarme) (de nuevo|otra vez|nuevamente)\b")
    });
    // Not turned down or doubted before it in its clause ("tampoco quiero poner otro
    // reclamo", "yo no sé la verdad si quiero ingresar otro reclamo"), after its last
    // connector ("el anterior no me lo resolvieron así que quiero ingresar uno nuevo").
    files.captures_iter(normalized).any(|found| {
        let whole = found.get(0).expect("the whole match");
        let clause = normalized[..whole.start()].rsplit('|').next().unwrap_or("");
        let before: Vec<&str> = words(clause).collect();
        // "Uno nuevo" stands for a request the message names ("reclamo", "caso"...).
        (found.name("elided").is_none() || names_request(normalized))
            && !before
                .iter()
                .rev()
                .take_while(|t| !matches!(**t, "asi" | "entonces" | "por" | "pero" | "y"))
                .any(|t| negator(t))
    })
}

/// The seasons a customer wishes well for ("feliz 18", "felices fiestas", "buena navidad"):
/// small talk alone ([`is_small_talk`]), a goodbye after thanks ([`ends_with_farewell`]).
const SEASONS: &str = r"(18|dieciocho|fiestas( patrias)?|navidad|ano nuevo|pascuas?)";

/// Whether an already normalised text is small talk: a season's greeting alone ("¡feliz
/// 18 a todos!", "felices fiestas"), a question about the bot alone ("¿eres un bot?":
/// [`asks_only_about_the_bot`]), or the weather ("¿va a llover mañana en Temuco?", "qué
/// frío hace hoy", "está nevando en Coyhaique", "hay un viento terrible") naming no
/// service, failure, complaint topic or wish ("con el temporal se cortó el internet" is a
/// failure), or a greeting and who writes alone ("buenas, les habla Mireya desde Puerto
/// Montt").
pub(crate) fn is_small_talk(normalized: &str) -> bool {
    static WEATHER: OnceLock<regex::Regex> = OnceLock::new();
    static SEASONS_GREETINGS: OnceLock<regex::Regex> = OnceLock::new();
    let text = without_clause_breaks(normalized);
    // A season's greeting and nothing else ("feliz 18 a todos", "felices fiestas"); with
    // thanks it closes a chat ("gracias y feliz navidad" is a goodbye).
    let greeting_alone = || {
        SEASONS_GREETINGS
            .get_or_init(|| {
                ascii_regex(&format!(r"^((hola|oigan|buenas|buenos dias|buenas tardes|buenas noches|wena|wenas) )*(que (tengan|pasen) (un |una |unas )?)?(feliz|felices|buen|buenas?) ({SEASONS}|ano)( ((a|para|pa) )?(todos|todas|ustedes|el equipo|todo el equipo|chiquillos|chiquillas|chicos|chicas|cabros|amigos|amigas)( (los|las) del chat)?)?( (que lo (pasen|pase|pasemos)|pasenlo|pasenla) (chancho|bien|bonito|super|la raja|increible|muy bien))?$"))
            })
            .is_match(text.trim())
    };
    // How the day goes, and nothing else but how tired ("la pega está fome hoy jaja", "qué
    // lata el turno", "el turno de hoy está pesadísimo, ni he almorzado", "la semana
    // ensayando con el coro ha sido agotadora"; not "la semana estuvo pesada, ¿me pueden
    // llamar?").
    // (Neither the mood's statement after its first clause nor an introduction or the
    // weather asks something of the company: [`asks_something`].)
    let asks_something = || asks_something(normalized, &text);
    let mood = || {
        static MOOD: OnceLock<regex::Regex> = OnceLock::new();
        let mood = MOOD.get_or_init(|| {
            let day = "(la pega|el trabajo|la oficina|el turno|el dia|la noche|la semana|la tarde|la u|la clase|la vida|la vendimia|la cosecha|la esquila|la siembra|la faena|la temporada|la jornada)( (este|esta) (ano|semana|mes|temporada|invierno|verano))?";
            let how = "(fome|aburrid[oa]|lata|latoso|latosa|pesad[oa]|pesadisim[oa]|tranquil[oa]|mortal|eterno|eterna|larguisim[oa]|larg[oa]|agotador|agotadora|brigid[oa]|dur[oa]|durisim[oa]|matador[a]?|malisim[oa]|pesim[oa]|de terror|terrible|buen[oa]|buenaz[oa]|buenisim[oa]|excelente)";
            ascii_regex(&format!(r"^((hola|oye|wena|wenas|buenas|uf|ufff?|ay|hoy) )*({day}(( (de|del|en|con|antes del?|despues del?) (hoy|ayer|la noche|(la |el |los |las )?\w+( \w+)?)){{1,2}}| \w+(ando|iendo)( \w+){{0,3}})?( (este|esta) (ano|semana|mes|temporada|invierno|verano))? (esta|anda|estuvo|va|viene|vino|ha estado|ha sido|fue) (muy |re |super |harto |demasiado )?{how}|(que|q) {how} {day})( (hoy|ahora|hoy dia|esta semana|este ano|este mes|en (la|el) \w+|po|jaja\w*|xd|nomas|uf|y|ni he (comido|almorzado|cenado|dormido|parado)|recien (llego|llegue|llegando)( a (la|mi) casa)?|estoy (muert[oa]|cansad[oa]|agotad[oa]|reventad[oa])|me (duele|duelen) (todo|el cuerpo|la espalda|los pies|las manos|los brazos)|no (doy|damos) mas))*$"))
        });
        // (Or its first clause, and a plain statement after it: "el turno de hoy fue de
        // terror, mil llamadas de clientes enojados"; not "el turno estuvo pesado, necesito
        // que me llamen", "la pega está fome, ¿y mi reclamo?".)
        let first = normalized.split(CLAUSE_BREAK).next().unwrap_or("").trim();
        let plain_after = || {
            !fails(&text)
                && !asks_something()
                && !words(&text).any(|w| {
                    matches!(
                        w,
                        "quiero"
                            | "necesito"
                            | "pueden"
                            | "puede"
                            | "ayuda"
                            | "ayuden"
                            | "favor"
                            | "porfa"
                            | "gracias"
                            | "y"
                    )
                })
        };
        (mood.is_match(text.trim()) || first != text.trim() && mood.is_match(first) && plain_after())
            // (Nor with a service or a complaint topic named: "la semana con el internet
            // cortado ha sido agotadora", "la semana esperando al técnico ha sido eterna";
            // the harvest "malísima" is no bad service.)
            && !names_service(&text)
            && complaint_topic_in(normalized).is_none_or(|topic| topic == Topic::MalaCalidad)
    };
    // A greeting and who writes, nothing else ("buenas, les habla Mireya desde Puerto
    // Montt", "hola, me llamo Wilner, soy haitiano": after "me llamo" only the name and
    // who they are, not "me llamo Luis, llámenme"), naming no service ("me llamo Pedro,
    // sin internet"): the menu answers it.
    // (What an introduction must not carry: [`names_nothing`].)
    let names_nothing = || names_nothing(normalized, &text);
    let introduction = || {
        static INTRODUCTION: OnceLock<regex::Regex> = OnceLock::new();
        INTRODUCTION
            .get_or_init(|| {
                ascii_regex(r"^((hola|muy|buenas|buenos dias|buenas tardes|buenas noches|wena|wenas|saludos|estimados|estimadas) )*(((les|le) (habla|escribe|saluda)|habla) \w+( \w+){0,2}( (desde|de|del) \w+( \w+){0,2}){0,2}|(me llamo|mi nombre es) \w+(( \w+)?(( (y )?(soy|trabajo en|vivo en|vendo|trabajo de|trabajo como|escribo desde|les escribo desde) (de |del |la |el |una |un )?\w+( \w+)?( (de|del|en|en la|en el) \w+)?){1,2}| (desde|de) \w+( \w+)?))?)$")
            })
            .is_match(text.trim())
            // (Nor with a wish in a word after the name: "me llamo Luis y vivo en Maipú,
            // llámenme".)
            && names_nothing()
    };
    // The weather or how tired the customer is, told with no failure, nothing of the
    // company's named or asked for (a bad quality without a service is the weather's: "está
    // lloviendo hace tres días sin parar") and no goodbye: "está nevando, necesito que me
    // llamen", "hace un frío tremendo, ¿cómo va mi reclamo?", "hace calor, gracias por
    // todo, chao" are not small talk.
    let told_alone = || {
        !fails(&text)
            && !names_service(&text)
            && !asks_something()
            && complaint_topic_in(normalized).is_none_or(|topic| topic == Topic::MalaCalidad)
            && !ends_with_farewell(normalized)
            // (Nor thanks or a goodbye anywhere: "hace frío, me voy a acostar, gracias y
            // hasta mañana".)
            && !words(&text).any(|w| {
                matches!(
                    w,
                    "gracias" | "grax" | "chao" | "chau" | "adios" | "bye" | "despido" | "despedimos"
                )
            })
            && !["hasta manana", "hasta luego", "hasta pronto", "nos vemos"]
                .iter()
                .any(|goodbye| contains_phrase(&text, goodbye))
    };
    if greeting_alone()
        || introduction()
        || asks_only_about_the_bot(normalized)
        || only_visits(&text)
        || only_about_the_chat(&text)
        || mood()
        || tells_of_fatigue(&text) && told_alone()
    {
        return true;
    }
    (WEATHER
        .get_or_init(|| {
            ascii_regex(r"\b((que|como) (tiempo|clima) (hace|va a hacer|hara|habra|esta|estara|tendremos)|el clima|pronostico del tiempo|va a (volver a )?(llover|nevar|helar|granizar|temblar)|va a haber (un )?(temporal|lluvia|viento|nieve|tormenta|helada|heladas)|(el|la) (viento|temporal|lluvia|frio|calor|helada)( (en|de) \w+( \w+){0,3})?( hoy| ahora| hoy dia)? (esta|anda|viene|estuvo) (terrible|fuerte|horrible|brigid[oa]|heavy|intens[oa]|loc[oa])|(que|harto|mucho|tanto|el) (calor|frio) (que )?(hace|hara)|^((uf|ay|oye|que|hoy|aca|aqui|en \w+( \w+)?) )*hace (un |una |mucho |harto |tremendo )?(calor|frio|friazo|calorcito|helada)( \w+){0,6}$|la temperatura|(esta|sigue|estuvo|anda) (nevando|lloviendo|granizando|garuando|diluviando|tronando)|(esta|amanecio) (despejad|nublad|soleado|soleadisimo)\w*|hay (un|una) (viento|ventolera|temporal|nevazon|nevada|helada|calor|frio|calorazo))\b")
        })
        .is_match(&text)
        || speaks_of_nature(&text))
        // "¿Qué tiempo hace que puse el reclamo?" asks how long ago.
        && !contains_phrase(&text, "tiempo hace que")
        && told_alone()
}

/// Words only the weather, the sea or the earth is told in ("cayó un temporal terrible",
/// "la marea está bravísima", "hay una camanchaca que no se ve nada", "¿va a temblar de
/// nuevo?"); "temporal" and "helada" only after an article or a word of their own ("un
/// cobro temporal", "una clave temporal", "una bebida helada" are no weather).
const NATURE: &[&str] = &[
    "lluvia",
    "lluvias",
    "llueve",
    "llovia",
    "llovio",
    "lloviendo",
    "llover",
    "llovizna",
    "garua",
    "aguacero",
    "chaparron",
    "diluvio",
    "tormenta",
    "tormentas",
    "trueno",
    "truenos",
    "relampagos",
    "granizo",
    "granizada",
    "nieve",
    "nevada",
    "nevadas",
    "nevo",
    "nevazon",
    "heladas",
    "escarcha",
    "frio",
    "friazo",
    "calor",
    "calorazo",
    "bochorno",
    "viento",
    "vientos",
    "ventolera",
    "rachas",
    "puelche",
    "marea",
    "oleaje",
    "marejada",
    "marejadas",
    "camanchaca",
    "neblina",
    "niebla",
    "nublado",
    "nublada",
    "despejado",
    "soleado",
    "sismo",
    "temblor",
    "temblo",
    "temblar",
    "temblando",
    "tiembla",
    "terremoto",
    "incendio",
    "incendios",
    "sequia",
    "invierno",
    "verano",
    "otono",
    "primavera",
];

/// What may come before "temporal" or "helada" when they are the weather ([`NATURE`]).
const NATURE_BEFORE: &[&str] = &[
    "un", "una", "el", "la", "del", "este", "esta", "ese", "esa", "otro", "otra", "tremendo",
    "tremenda", "terrible", "flor", "de", "cayo", "cae", "cayendo", "viene", "hay", "al",
];

/// Whether a text (normalised, without clause breaks) tells of the weather, the sea or the
/// earth by a word of [`NATURE`] and asks nothing of the company
/// ([`leaves_the_company_out`]): "con este temporal ojalá no se corte la luz" is small
/// talk; "con la lluvia nadie me atiende", "llueve y sigo esperando al técnico", "la
/// compensación que pedí por el temporal" are not. The rest of [`is_small_talk`]'s weather
/// checks apply after it.
fn speaks_of_nature(text: &str) -> bool {
    // (A fixed fast hasher, as the model's word maps: the words are the program's own.)
    type WordSet = HashSet<&'static str, foldhash::fast::FixedState>;
    static WORDS: OnceLock<WordSet> = OnceLock::new();
    let nature_words = WORDS.get_or_init(|| NATURE.iter().copied().collect());
    // (Most messages name none: nothing is allocated for them.)
    let mut before = "";
    let nature = words(text).any(|w| {
        let told = nature_words.contains(w)
            || matches!(w, "temporal" | "helada")
                && (before.is_empty() || NATURE_BEFORE.contains(&before));
        before = w;
        told
    });
    nature && leaves_the_company_out(text)
}

/// Whether a text (normalised, without clause breaks) says how tired or sore the customer
/// is ("estoy muerta de cansancio", "me duele la espalda de tanto manejar", "¡qué día más
/// largo!", "no doy más" at the end) and asks nothing of the company
/// ([`leaves_the_company_out`]; not "estoy cansada de llamar", "no doy más con este
/// servicio de porquería", "estoy agotado de repetir lo mismo").
fn tells_of_fatigue(text: &str) -> bool {
    static FATIGUE: OnceLock<regex::Regex> = OnceLock::new();
    // (Most messages have none of its words: the pattern runs only when one is there.)
    let hint = [
        "muert", "revent", "agotad", "molid", "cansad", "destruid", "destroz", "rendid", "duele",
        " mas", " tan ",
    ];
    if !hint.iter().any(|h| text.contains(h)) {
        return false;
    }
    FATIGUE
        .get_or_init(|| {
            ascii_regex(r"\b((estoy|ando|quede|quedamos|estamos|andamos) (muert[oa]s?|reventad[oa]s?|agotad[oa]s?|agotadisim[oa]s?|molid[oa]s?|cansad[oa]s?|cansadisim[oa]s?|destruid[oa]s?|rendid[oa]s?)|muert[oa]s? de (cansancio|sueno|hambre|frio|calor)|me (duele|duelen) (hasta|todo|todos|el|la|los|las|mi|mis)|(tengo|ando con|quede con|quedamos con) (los|las|la|el|mis) (pies|piernas|manos|brazos|espalda|cuerpo|rodillas|pies y manos) (destrozad[oa]s?|destruid[oa]s?|molid[oa]s?|reventad[oa]s?)|(que|q) (dia|semana|turno|jornada|noche) (mas|tan) (larg[oa]|pesad[oa]|cansador[a]?|agotador[a]?|eterno|eterna)|no (doy|damos) mas( (hoy|po|uf|jaja\w*))*$)")
        })
        .is_match(text)
        && leaves_the_company_out(text)
}

/// Whether a normalised text leaves the company out: no call, wait, answer, help, fix,
/// charge, payment, complaint or request of any kind, nor the company, the chat, its
/// machine or a repeated question named ("llam", "esper", "cobr", "ustedes", "pedí",
/// "estoy cansado de escribirle a una máquina", ...): what the weather or the customer's
/// tiredness told alone must not carry ([`speaks_of_nature`], [`tells_of_fatigue`]).
fn leaves_the_company_out(text: &str) -> bool {
    !words(text).any(|w| {
        [
            "llam", "atien", "atenc", "esper", "respu", "respon", "contest", "soluc", "resuel",
            "arregl", "ayud", "cobr", "pag", "factur", "boleta", "ustedes", "empresa", "compan",
            "reclam", "compens", "solicit", "aprob", "repet", "escrib", "maquin", "sistem",
            "automat", "servic", "porquer", "mierd", "basura",
        ]
        .iter()
        .any(|stem| w.starts_with(stem))
            || matches!(
                w,
                "pedi" | "pedimos" | "pidio" | "pidieron" | "chat" | "chatear" | "vueltas"
            )
    })
}

/// Stems of the company's business beyond those [`leaves_the_company_out`] reads: the
/// bill and what is owed, the contract and what changes it, the visit and the equipment,
/// what fails, the bot and its menu, a person, a complaint of any kind.
const BUSINESS_STEMS: &[&str] = &[
    // The bill and what is owed.
    "cuenta",
    "carg",
    "debo",
    "debe",
    "debi",
    "deud",
    "tarifa",
    "alza",
    "precio",
    "monto",
    "luca",
    "plata",
    "dicom",
    "moros",
    "multa",
    "reembols",
    "devol",
    "descuent",
    "cliente",
    "mensual",
    "suscrip",
    "venc",
    // The contract and what changes it.
    "contrat",
    "plan",
    "prepag",
    "portab",
    "portar",
    "titular",
    "cancel",
    "anul",
    "baja",
    "traslad",
    "cambi",
    "renunci",
    "termin",
    "segur",
    "pack",
    "canal",
    // The visit, the equipment and what fails.
    "visit",
    "tecnic",
    "instal",
    "equipo",
    "chip",
    "linea",
    "numer",
    "senal",
    "mega",
    "ping",
    "subida",
    "bajada",
    "velocid",
    "clave",
    "contrasen",
    "ventana",
    "pagina",
    "aplicac",
    "aparec",
    "funcion",
    "fall",
    "sirv",
    "cort",
    "caid",
    "lent",
    "pantalla",
    "conect",
    "naveg",
    // The bot, its menu, a person.
    "menu",
    "opcion",
    "entiend",
    "entendi",
    "cach",
    "frustr",
    "bot",
    "robot",
    "asistente",
    "atend",
    "mail",
    "correo",
    "whatsapp",
    "wasap",
    "mensaje",
    "agent",
    "ajent",
    "person",
    "ejecut",
    "humano",
    "supervis",
    "represent",
    "operador",
    "encargad",
    "alguien",
    // A complaint of any kind, a sale or promise gone wrong.
    "quej",
    "denunc",
    "demand",
    "sernac",
    "abus",
    "estaf",
    "ladr",
    "rob",
    "urgen",
    "emergen",
    "auxilio",
    "socorro",
    "problem",
    "inconven",
    "vendedor",
    "venta",
    "promet",
    "engan",
    "mint",
    "trat",
    "constanc",
];

/// Whole words of the company's business: nobody who came or answered, a fall, a plea in
/// English.
const BUSINESS_WORDS: &[&str] = &[
    "nadie", "cae", "cayo", "caen", "app", "call", "agent", "speak", "talk", "help", "please",
    "human",
];

/// The menu's numbers, which pick an option in a message of a few words ("la 3 porfa",
/// "quiero la dos"; not "hoy di tres clases de ballet seguidas").
const MENU_NUMBERS: &[&str] = &["uno", "dos", "tres", "cuatro", "1", "2", "3", "4"];

/// Whether a normalised text names nothing of the company's: no word of its business
/// ([`leaves_the_company_out`], [`BUSINESS_STEMS`], [`BUSINESS_WORDS`], a menu number in a
/// message of a few words), no service,
/// failure, complaint topic, request, call, restart or person. Life told in words the
/// training file lacks ("la cosecha de cerezas viene buenaza", "mi vecino me tiene chato
/// con la música fuerte", "mi hija se casa en diciembre"), which the model may read as a
/// complaint's story.
pub(crate) fn names_nothing_of_the_company(normalized: &str) -> bool {
    let text = without_clause_breaks(normalized);
    let few_words = words(&text).nth(4).is_none();
    leaves_the_company_out(&text)
        && !words(&text).any(|w| {
            BUSINESS_STEMS.iter().any(|stem| w.starts_with(stem))
                || BUSINESS_WORDS.contains(&w)
                || few_words && MENU_NUMBERS.contains(&w)
        })
        && names_nothing(normalized, &text)
        && !fails(&text)
        // (Also a request named by its number, a person asked for in any words.)
        && !names_request(normalized)
        && !asks_for_person(normalized)
}

/// Whether a normalised text (`text`: the same without clause breaks) asks something of
/// the company: a request named ("les escribe la señora Rosa del reclamo 45521"), a call,
/// a restart or a person.
fn asks_something(normalized: &str, text: &str) -> bool {
    words(text).any(|w| REQUEST_NOUNS.contains(&w))
        || asks_for_a_call(normalized)
        || asks_for_restart(normalized)
        || demands_a_person(normalized)
}

/// Whether a normalised text (`text`: the same without clause breaks) names nothing of the
/// company's nor asks for it: no service, complaint topic, request, call, restart or person
/// ([`asks_something`]).
fn names_nothing(normalized: &str, text: &str) -> bool {
    !names_service(text)
        && !asks_something(normalized, text)
        && complaint_topic_in(normalized).is_none()
}

/// Whether a text (normalised, without clause breaks) only says that the customer drops by
/// to greet, or has nothing to claim ("no tengo nada que reclamar, pasaba a saludar
/// nomás"), with greetings and good wishes around it and nothing else: small talk ("pasaba
/// a saludar y a preguntar cómo va mi reclamo" asks; "no tengo nada que reclamar, gracias,
/// chao" says goodbye).
fn only_visits(text: &str) -> bool {
    static VISIT: OnceLock<regex::Regex> = OnceLock::new();
    VISIT
        .get_or_init(|| {
            ascii_regex(r"^((hola|holi|buenas|buenos dias|buenas tardes|buenas noches|wena|wenas|oigan|oye) )*((no tengo nada (que|q) reclamar|(y )?(solo |nomas )?(pasaba|paso|pase|entre|entraba) (solo |nomas |no mas )?a saludar(los|las)?|(solo|nomas) (queria|quiero|venia) (a )?saludar(los|las)?)( (nomas|no mas|po|nada mas))*( |$))+((que (esten|estes|este) (bien|super bien|muy bien))( \w+)?)?$")
        })
        .is_match(text.trim())
}

/// Whether a normalised text (clause breaks removed) only asks what the chat keeps ("¿este chat
/// queda grabado?", "¿esta conversación la guardan?", "si cierro el chat, ¿se pierde lo que
/// escribí?"), or who reads it ("¿alguien más lee lo que escribo?"), or says it was meant
/// for another chat ("perdón, me equivoqué de chat", "mandé esto al chat equivocado, era pa
/// mi grupo"), and asks for nothing else: no person, no failure, no complaint.
fn only_about_the_chat(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    if !["chat", "escrib", "equivoc", "conversacion", "mensajes"]
        .iter()
        .any(|w| text.contains(w))
    {
        return false;
    }
    let about_chat = PATTERN.get_or_init(|| {
            ascii_regex(r"\bqueda (algun )?registro de (esta|la) conversacion\b|\b(((este|el) chat|(esta|la) conversacion) ((lo|la) )?(queda|quedan|guarda|guardan|graba|graban|registra|registran|se guarda|se graba|(esta|estan) (guardando|grabando|registrando))|(la conversacion|lo que (escribo|escribi)|los mensajes|mis mensajes) (queda|quedan|se guarda|se guardan|se graba|se graban|se borra|se borran|se pierde|se pierden)|(se borra|se borran|se pierde|se pierden|se guarda|se guardan|se graba|se graban|queda guardad[oa]|queda grabad[oa]|quedan guardad[oa]s|quedan grabad[oa]s|guardan|graban) (todo )?(lo que (escribi|escribo|escribimos|puse|uno escribe|escribe uno)|la conversacion|esta conversacion|el chat|este chat|los mensajes|mis mensajes)|(me equivoque|nos equivocamos|equivocad[oa]) de (chat|conversacion|numero|grupo)|(al|el|a un|un) chat equivocado|(esto|este mensaje|eso) no era (para|pa) (ustedes|aca|este chat)|((alguien|quien|quienes)( de la empresa| de ustedes)? (mas )?|otra persona |otras personas )(va a |van a )?(lee|leen|leer|ve|ven|ver|revisa|revisan|revisar)( despues)? (lo que (escribo|escribi|escribimos|pongo|puse|uno escribe|escribe uno|uno pone)( (aqui|aca|aki))?|los mensajes|mis mensajes|estos mensajes|este chat|esta conversacion)|(las conversaciones|los mensajes|lo que (escribo|uno escribe)) (las |los |lo )?(lee|leen|revisa|revisan) (alguien|una persona|otra persona)\b|(alguien mas|otra persona|otras personas) (puede|pueden) (leer|ver) (lo que (escribo|escribi|escribimos|pongo|puse)|los mensajes|mis mensajes|este chat|esta conversacion)|(este|el) chat (sirve|funciona|se puede usar|es compatible|anda)( bien)? con (el |un |los )?(lector|lectores|nvda|jaws|talkback|voiceover|celular|celu|tablet|computador|notebook|telefono|voz|audio)|(hasta|desde|a) (que|q) hora (atiende|atienden|funciona|abre|cierra|esta abierto) (este|el) chat)\b")
        });
    about_chat.is_match(text)
        // Nor with an option named ("me equivoqué de chat antes, lo que quería era revisar
        // mis atenciones", "reinicien el deco porfa"), a request, a failure that recurs or
        // the chat condemned.
        && !words(text).any(|w| {
            ["reinici", "resete", "revis", "reclam", "solicit", "atencion"]
                .iter()
                .any(|stem| w.starts_with(stem))
        })
        // (The one who reads the chat is no person asked for; nobody who answers or
        // explains is a complaint: "¿alguien lee lo que escribo? nadie me responde"; not
        // nobody who may see it: "no quiero que nadie vea mis datos".)
        && !asks_for_person(&about_chat.replace_all(text, " "))
        && !words(text)
            .zip(words(text).skip(1))
            .any(|(before, w)| w == "nadie" && !matches!(before, "que" | "a"))
        && !asks_for_restart(text)
        && !fails(text)
        && !recurs(text)
        && !condemns_the_bot(text)
        && complaint_topic_in(text).is_none()
}

/// Whether every clause of an already normalised text asks what the bot is ("¿eres un
/// bot?", "con quién estoy hablando, ¿es una máquina esto?") or greets: a question about
/// the bot, out of scope by the guide's policy ("¿es un bot? quiero una persona" asks for
/// one; "¿con quién hablo para reclamar?" asks where to go).
fn asks_only_about_the_bot(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 2]> = OnceLock::new();
    let [question, greeting] = PATTERNS.get_or_init(|| {
        [
            r"^((hola|oye|oiga|buenas|wena|una consulta|y|pero) )*((eres|es|usted es|es usted|sera|esto es|este chat es|estoy hablando con|converso con|estoy chateando con) ((un|una) (bot|robot|maquina|chatbot|programa|ia)|con (ia|inteligencia artificial))( real)?( esto)?( o (hay )?(alguien|una persona|un humano)( (real|de verdad|escribiendo|respondiendo|contestando)){0,2})?|con quien (estoy hablando|converso|estoy chateando|tengo el gusto( de hablar)?)( ahora)?|(es|esto es) (automatico|automatizado)( esto)?|(me )?(esta|estan) (respondiendo|contestando|escribiendo) (una persona|un humano|una humana)( real)?( o (es |son )?(automatico|automatica|un bot|una maquina|un robot|un programa))?|(eres|usted es|es usted) (real|humano|humana|una persona|un ser humano)( (de verdad|real))?( o (es )?(un|una) (bot|robot|maquina|chatbot|programa|ia))?)$",
            r"^(hola|oye|oiga|buenas|wena|buenas tardes|buenos dias|buenas noches)$",
        ]
        .map(ascii_regex)
    });
    // Most messages name nothing the question asks about.
    if ![
        "bot",
        "maquina",
        "programa",
        "inteligencia",
        " ia",
        "quien",
        "eres",
        "automatic",
        "respondiendo",
        "contestando",
    ]
    .iter()
    .any(|w| normalized.contains(w))
    {
        return false;
    }
    let mut asked = false;
    normalized
        .split(CLAUSE_BREAK)
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .all(|c| {
            let asks = question.is_match(c);
            asked |= asks;
            asks || greeting.is_match(c)
        })
        && asked
}

/// Whether an already normalised text is an advertisement or a scam pasted into the chat
/// ("GANASTE UN PREMIO, ingresa a este link", "gana dinero desde tu casa, escribe al
/// wsp"): a prize won or easy money, with a link or a contact to write to. Not a customer
/// who tells of one they received ("me llegó un mensaje que dice que gané un premio, ¿es de
/// ustedes?"), nor a complaint that happens to say "gana" or "felicidades" and "whatsapp"
/// (a failure or a complaint topic named: "felicidades por nada, llevo 5 días sin internet
/// y nadie responde el whatsapp").
pub(crate) fn is_spam(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 3]> = OnceLock::new();
    let [bait, call, received] = PATTERNS.get_or_init(|| {
        [
            r"\b(ganaste|has ganado|eres (el|la) (ganador|ganadora)|gana (dinero|plata|\d+)|ganar (dinero|plata)|(dinero|plata) (facil|rapido)|(giros|tiradas|spins) gratis|apuestas deportivas|casino (online|en linea)|bono de bienvenida)\b",
            r"\b(link|enlace|click|clic|wsp|whatsapp|interno|privado|www|http|https)\b",
            r"\b(me (llego|llegan|llegaron|mandaron|enviaron|escribieron)|recibi|recibo)\b",
        ]
        .map(ascii_regex)
    });
    let text = without_clause_breaks(normalized);
    // A complaint about a promised bonus or a charge names it ("prometieron un bono de
    // bienvenida y nunca me lo aplicaron, quiero reclamar").
    let complains = || {
        words(&text).any(|t| {
            [
                "reclam", "descont", "descuent", "contrat", "prometi", "vendi",
            ]
            .iter()
            .any(|stem| t.starts_with(stem))
                || matches!(
                    t,
                    "saldo" | "boleta" | "cobraron" | "cobran" | "cobro" | "cobrando" | "cobra"
                )
        })
    };
    bait.is_match(&text)
        && call.is_match(&text)
        && !complains()
        && !received.is_match(&text)
        && !fails(&text)
        && complaint_topic_in(normalized).is_none()
}

/// Whether an already normalised text tells that a chat with a person was cut ("estaba
/// hablando con Ana y se cortó", "me estaba atendiendo un ejecutivo y se cayó la
/// conexión"): the customer wants the person back. Not a phone call, a video call or a
/// talk with someone of the family ("hablando con mi mamá por teléfono y se cortó" is the
/// line's failure).
pub(crate) fn chat_was_cut(normalized: &str) -> bool {
    static PATTERNS: OnceLock<[regex::Regex; 3]> = OnceLock::new();
    let [talking, cut, elsewhere] = PATTERNS.get_or_init(|| {
        [
            r"\b(hablando|conversando|chateando|hablaba|conversaba|chateaba)\b|\b(me|nos) (estaba |estaban )?(atendiendo|atendia|atendian)\b|\bse (me |nos )?(corto|cayo|cerro|termino) (el chat|la conversacion) con\b",
            // What was cut: nothing named after the verb, or the chat itself (with whoever
            // served: "se cayó la conversación con la señorita que me atendía") or its
            // window (not "se cayó el internet": the service's failure).
            r"\b(se (me |nos )?(corto|cayo|cerro|desconecto|termino|perdio|colgo)|me (desconecte|desconectaron|cortaron|sacaron|echaron|cerraron))( ((el chat|la conversacion)( con (el|la) ((ejecutiv[oa]|senorita|joven|caballero|agente|asesor|asesora|operador|operadora|chica|nina|persona)( (que|q) (me|nos) (atendia|atendio|estaba atendiendo|estaba ayudando|ayudaba)( con (el|la|lo|mi|nuestra|nuestro) \w+( \w+)?)?)?|\w+ (que|q) (me|nos) (atendia|atendio|estaba atendiendo)))?|la conexion|la ventana|la pagina|la app|la aplicacion|el navegador|todo|de repente|de la nada|(a|en) (la )?(mitad|medio) de (la )?(conversacion|atencion|chat)))?$",
            r"\b(telefono|llamada|llamando|fono|celu|celular|whatsapp|discord|video|videollamada|zoom|meet|teams|reunion|clase|clases|profe|profesor|profesora|mama|papa|hijo|hija|hijos|hermano|hermana|pololo|polola|novio|novia|esposo|esposa|marido|senora|amigo|amiga|amigos|amigas|abuelo|abuela|jefe|jefa|familia)\b",
        ]
        .map(ascii_regex)
    });
    let text = without_clause_breaks(normalized);
    let text = text.trim_end();
    // The cut ends the message, or a clause of it ("me estaban atendiendo y se cayó la
    // conexión, ¿me devuelven con ella?").
    let cut_ends_a_clause = || {
        normalized
            .split(CLAUSE_BREAK)
            .any(|clause| cut.is_match(clause.trim_end()))
    };
    talking.is_match(text)
        && (cut.is_match(text) || cut_ends_a_clause())
        && !elsewhere.is_match(text)
}

/// Whether a normalised text dates what it tells today or last night: "hoy", "ahora",
/// "recién", "anoche", "ayer", "esta mañana / tarde / noche / madrugada", or hours ago:
/// "hace un rato", "desde hace una hora", "desde las 3", "desde el almuerzo" (an outage
/// since then, which a restart may mend, whatever happened before: "contraté hace un mes y
/// desde anoche no tengo internet", "desde hace un rato se corta constantemente").
fn dated_today(text: &str) -> bool {
    static HOURS: OnceLock<regex::Regex> = OnceLock::new();
    words(text).any(|t| matches!(t, "hoy" | "ahora" | "recien" | "anoche" | "ayer"))
        || ["esta manana", "esta tarde", "esta noche", "esta madrugada"]
            .iter()
            .any(|w| text.contains(w))
        || (text.contains("hace") || text.contains("desde"))
            && HOURS
                .get_or_init(|| {
                    ascii_regex(r"\bhace (un rato|una hora|media hora|(\d+|unos|unas|dos|tres|cuatro|cinco|diez|veinte|varios|varias) (minutos|min|horas|hrs))\b|\bdesde (las \d+|el almuerzo|la hora de almuerzo|temprano|la manana|el mediodia|mediodia)\b")
                })
                .is_match(text)
}

/// A pattern for normalised text, which is ASCII: its `\b` and `\w` are compiled as ASCII
/// word boundaries and classes, which let the regex engine use its fastest automaton
/// (Unicode ones cost the classifier about 1 µs a message, on the messages it places
/// nowhere).
fn ascii_regex(pattern: &str) -> regex::Regex {
    let ascii = pattern
        .replace(r"\b", r"(?-u:\b)")
        .replace(r"\w", r"(?-u:\w)");
    regex::Regex::new(&ascii).expect("the entity patterns are valid")
}

/// A normalised text with its clause breaks (" | ") as plain spaces, for the patterns that
/// read across them; most messages have none, and are not copied.
pub(crate) fn without_clause_breaks(normalized: &str) -> Cow<'_, str> {
    if normalized.contains('|') {
        Cow::Owned(normalized.replace(" | ", " ").replace('|', " "))
    } else {
        Cow::Borrowed(normalized)
    }
}

/// [`complaint_topic`] of an already normalised text.
pub(crate) fn complaint_topic_in(normalized: &str) -> Option<Topic> {
    let normalized = without_clause_breaks(normalized);
    let found = topic_rules()
        .iter()
        .find(|(topic, re)| {
            re.is_match(&normalized)
                // What a phone without signal reads is no emergency, nor the emergency ward.
                && (*topic != Topic::Urgencia
                    || re.is_match(&without_the_ward(&without_phone_display(&normalized))))
                // In Chile "cancelar" is also paying: not with a way to pay named ("quiero
                // cancelar la tv digital con tarjeta").
                && (*topic != Topic::Baja || !cancels_by_paying(&normalized))
                // Nor a phone found again ("falsa alarma, no perdí el celu", "me sacaron el
                // celu del bolsillo pero lo encontré en el auto").
                && (*topic != Topic::BloqueoLinea
                    || !(loss_denied(&normalized) || recovered(&normalized)))
                // Nor a restart turned down ("no me reinicien nada, estoy subiendo un video";
                // not after one that failed: "no me reinicien nada, ya lo hizo el bot y
                // sigue igual").
                && (*topic != Topic::ReinicioFallido
                    || !declines_restart(&normalized)
                    || words(&normalized).any(|w| {
                        matches!(w, "sigue" | "sigo" | "siguen" | "igual" | "mismo" | "sirvio")
                    }))
        })
        .map(|(topic, _)| *topic)
        .or_else(|| charges_past_instalments(&normalized).then_some(Topic::CargoDesconocido));
    // A service not kept is a cancellation, after the topics the rules put before it.
    match found {
        Some(Topic::CobroDuplicado | Topic::CargoDesconocido | Topic::Portabilidad) => found,
        _ if stops_a_service(&normalized) => Some(Topic::Baja),
        _ => found,
    }
}

/// Whether a normalised text without clause breaks tells an instalment charged past those
/// bought ("compré el teléfono en 6 cuotas y me cobraron la cuota 7"; not "en 12 cuotas y
/// me cobraron la cuota 5"): a charge not owed ([`Topic::CargoDesconocido`]).
fn charges_past_instalments(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    text.contains("cuota")
        && PATTERN
            .get_or_init(|| {
                ascii_regex(r"\ben (?P<bought>\d+) cuotas\b.*\b(cobrando|cobraron|cargaron|cargando|llego)( \w+){0,2} cuota (?P<charged>\d+)\b")
            })
            .captures(text)
            .is_some_and(|found| {
                let number = |name: &str| found.name(name)?.as_str().parse::<u32>().ok();
                let (Some(bought), Some(charged)) = (number("bought"), number("charged")) else {
                    return false;
                };
                charged > bought
            })
}

/// Whether a normalised text says the customer will not go on with a service of theirs
/// ("no quiero seguir con el cable, déjenme solo con internet", "no queremos continuar con
/// ustedes"): a cancellation ([`Topic::Baja`]). Not a state they will not bear ("no quiero
/// seguir con el internet caído, reinicien"), someone else's ("no quiere seguir con el
/// plan de Entel"), another company's ("... con el cable de la otra compañía"), nor with a
/// restart asked.
pub(crate) fn stops_a_service(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    if !(text.contains("seguir con") || text.contains("continuar con")) {
        return false;
    }
    PATTERN
        .get_or_init(|| {
            ascii_regex(r"\bno (quiero|queremos) (seguir|continuar) con (el |la |mi |los |este |esta )?(cable|internet|fibra|fijo|telefono fijo|tv|tele|television|plan|servicio|servicios|contrato|ustedes|compania|empresa)\b")
        })
        .find_iter(text)
        .any(|found| {
            let next = words(&text[found.end()..]).next().unwrap_or("");
            !matches!(
                next,
                "caido" | "caida" | "cortado" | "cortada" | "lento" | "lenta" | "malo" | "mala"
                    | "asi" | "de" | "del" | "sin" | "fallando" | "pegado" | "pegada"
            )
        })
        && !asks_for_restart(text)
}

/// A loss, a theft or a forgetting denied ("no perdí el celu, estaba en la chaqueta", "no
/// me robaron nada", "no olvidé la clave").
const LOSS_DENIED: &str = r"\b(no|ni|nunca) (me |se me |lo |la |le )?(perdi|perdio|robaron|hurtaron|extravie|llevaron|olvide|olvido)\b";

/// Whether a normalised text denies the loss of the phone it names ("falsa alarma, no
/// perdí el celu"), with nothing turned to after it ("no lo perdí, me lo robaron" is
/// not denied: "pero", "sino", or a loss told again).
fn loss_denied(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    let Some(found) = PATTERN.get_or_init(|| ascii_regex(LOSS_DENIED)).find(text) else {
        return false;
    };
    nothing_lost_after(&text[found.end()..])
}

/// Whether what follows a loss denied or a phone found again turns to nothing else: no
/// "pero" or "sino", no loss told again.
fn nothing_lost_after(after: &str) -> bool {
    !words(after).any(|w| {
        matches!(w, "pero" | "sino")
            || ["perdi", "robaron", "robo", "hurtaron", "extravie"].contains(&w)
    })
}

/// Whether a normalised text tells the phone found again ("lo encontré en el auto", "falsa
/// alarma"; not "no lo encontré"), with nothing turned to after it ([`nothing_lost_after`]).
fn recovered(text: &str) -> bool {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    let Some(found) = PATTERN
        .get_or_init(|| {
            ascii_regex(
                r"\b(lo|la) (encontre|encontramos|recupere|recuperamos|pille)\b|\bfalsa alarma\b",
            )
        })
        .find(text)
    else {
        return false;
    };
    // (Not "no lo encontré por ningún lado".)
    let denied = words(&text[..found.start()]).last().is_some_and(negator);
    !denied && nothing_lost_after(&text[found.end()..])
}

/// Whether a normalised text says "cancelar" and names a way to pay, so that it may mean
/// paying ("cancelar la cuenta con tarjeta", "cancelé el internet por transferencia").
fn cancels_by_paying(text: &str) -> bool {
    text.contains("cancel")
        && (words(text).any(|w| {
            matches!(
                w,
                "tarjeta" | "transferencia" | "efectivo" | "webpay" | "pac" | "pat" | "cuotas"
            )
        }) || ["caja vecina", "pago automatico"]
            .iter()
            .any(|p| contains_phrase(text, p)))
}

/// An already normalised text without the emergency ward ("el turno en urgencias", "el
/// médico de urgencias"; not "necesito atención de urgencia"): a place, no plea.
fn without_the_ward(normalized: &str) -> Cow<'_, str> {
    static WARD: OnceLock<regex::Regex> = OnceLock::new();
    if !normalized.contains("urgencias") {
        return Cow::Borrowed(normalized);
    }
    WARD.get_or_init(|| ascii_regex(r"\b(en|a|de|por|al|del) (servicio de )?urgencias\b"))
        .replace_all(normalized, " ")
}

/// An already normalised text without what a phone with no signal reads ("solo llamadas de
/// emergencia", "solo me deja hacer llamadas de emergencia"): no emergency, and no call
/// asked for.
pub(crate) fn without_phone_display(normalized: &str) -> Cow<'_, str> {
    static PHONE_DISPLAY: OnceLock<regex::Regex> = OnceLock::new();
    PHONE_DISPLAY
        .get_or_init(|| {
            ascii_regex(r"\b(solo (me deja (hacer )?)?(llamadas de )?|llamadas de )emergencias?\b")
        })
        .replace_all(normalized, " ")
}
