//! The message catalogue: every sentence the server sends to customers and executives,
//! defined once.
//!
//! Fixed sentences are `&'static str` constants that already carry their speaker's prefix
//! (no allocation to send them); sentences with a value in them are small functions
//! returning the whole line. The clients, the load generator and the tests match on these
//! definitions (or on the markers below) instead of typing the prose again, so rewording an
//! answer here changes it everywhere.
//!
//! Submodules: [`customer`] (what the bot says), [`agent`] (what the executives' channel
//! says), [`notice`] (the connection layer's notices, on either port), [`console`] (the
//! `[SERVER]` lines) and [`history`] (entries the bot writes in a request's history, which
//! customers and executives read back).

use std::fmt::Display;
use std::time::Duration;

/// Prefixes `text` (a literal) with the bot's speaker prefix at compile time.
macro_rules! bot {
    ($text:literal) => {
        concat!("Asistente: ", $text)
    };
}

/// Prefixes `text` (a literal) with the executives' channel's speaker prefix at compile
/// time.
macro_rules! system {
    ($text:literal) => {
        concat!("Sistema: ", $text)
    };
}

/// Who speaks for the server on the customers' port.
pub const BOT_NAME: &str = "Asistente";
/// Who speaks for the server on the executives' port.
pub const SYSTEM_NAME: &str = "Sistema";
/// Prefix of every line the bot says to a customer.
pub const BOT: &str = bot!("");
/// Prefix of every line the server says to an executive.
pub const SYSTEM: &str = system!("");

/// What the bot says to customers.
pub mod customer {
    use super::Display;
    use super::BOT;
    use std::time::Duration;

    /// The first line a customer receives.
    pub const GREETING: &str = bot!("Hola! Bienvenido, Ingrese su RUT");
    /// The menu, one line per option, without a speaker prefix.
    pub const MENU: [&str; 4] = [
        "(1) Revisar atenciones anteriores.",
        "(2) Reiniciar servicios.",
        "(3) Contactar a un ejecutivo",
        MENU_LAST,
    ];
    /// The menu's last line: a client that sees it knows the bot waits for a choice.
    pub const MENU_LAST: &str = "(4) Salir";
    /// Before the menu again, after an answer.
    pub const MORE_HELP: &str = bot!("en qué más lo podemos ayudar.");
    /// The goodbye before the connection closes.
    pub const GOODBYE: &str = bot!("Gracias por contactarnos, que tenga un buen día.");
    /// The answer to a "no" (to a question, or to an option the customer did not want).
    pub const DECLINED: &str = bot!("Entendido. ¿En qué lo podemos ayudar?");
    /// A store operation failed or took too long.
    pub const APOLOGY: &str = bot!("Lo sentimos, tuvimos un problema técnico y no pudimos completar su solicitud. Intente nuevamente más tarde.");
    /// An empty line before logging in.
    pub const RUT_HINT: &str = bot!("Ingrese su RUT, por ejemplo 12.345.678-5.");
    /// Too many invalid or unknown RUTs: the connection closes.
    pub const TOO_MANY_ATTEMPTS: &str =
        bot!("Demasiados intentos fallidos. Por seguridad cerramos la conexión.");
    /// A name the server's voices use (or a look-alike of one) while registering.
    pub const NAME_RESERVED: &str = bot!("Ese nombre está reservado para el sistema. Escriba su nombre completo, o ingrese otro RUT.");
    /// A name with digits or symbols, or fewer than two letters, while registering.
    pub const NAME_HINT: &str =
        bot!("Escriba su nombre completo (nombre y apellido, solo letras), o ingrese otro RUT.");
    /// A single word while registering (the prompt asks for name and surname).
    pub const NAME_NEEDS_SURNAME: &str =
        bot!("Escriba también su apellido (nombre y apellido), o ingrese otro RUT.");
    /// A name with more words than a name has while registering.
    pub const NAME_TOO_MANY_WORDS: &str = bot!(
        "Ese nombre tiene demasiadas palabras: escriba solo su nombre y sus apellidos, o ingrese otro RUT."
    );
    /// A name of more than `max` characters while registering.
    pub fn name_too_long(max: usize) -> String {
        format!("{BOT}Ese nombre es demasiado largo (hasta {max} caracteres): escriba solo su nombre y sus apellidos, o ingrese otro RUT.")
    }
    /// A greeting or a sentence at the name prompt ("me cobraron dos veces"): the
    /// customer is told why the bot cannot help yet.
    pub const NAME_NOT_A_SENTENCE: &str = bot!("Para atenderlo primero necesito registrarlo: escriba solo su nombre completo (por ejemplo, Ana María Pérez), o ingrese otro RUT.");
    /// An empty line at the menu.
    pub const EMPTY_AT_MENU: &str = bot!("No recibí ningún mensaje. Escriba el número de una opción (1 a 4) o cuénteme qué necesita.");
    /// Free text the classifier could not place.
    pub const NOT_UNDERSTOOD: &str = bot!("No entendí su mensaje. Puede escribir el número de una opción o contarme con sus palabras qué necesita.");
    /// A second message in a row the bot does not understand: an executive is offered.
    pub const NOT_UNDERSTOOD_AGAIN: &str =
        bot!("Sigo sin entender su mensaje. ¿Quiere que lo comunique con un ejecutivo? (sí/no)");
    /// Marker: the start of a clarification question.
    pub const CLARIFY_START: &str = bot!("No estoy seguro de haber entendido");
    /// Marker: the start of the answer to an empty line in a clarification.
    pub const YES_NO_START: &str = bot!("Responda sí o no");
    /// Option 1 with no requests.
    pub const NO_REQUESTS: &str = bot!("No tiene solicitudes registradas.");
    /// Before the list of requests.
    pub const YOUR_REQUESTS: &str = bot!("Estas son sus solicitudes:");
    /// After the list of requests.
    pub const WHICH_REQUEST: &str =
        bot!("¿Cuál desea revisar? Escriba su posición o el número de solicitud (o \"volver\").");
    /// Why a choice in the list was not understood: a number not in it.
    pub const NOT_AMONG_YOURS: &str = "No encontramos esa solicitud entre las suyas.";
    /// Why a choice in the list was not understood: an empty line.
    pub const NOTHING_RECEIVED: &str = "No recibí ningún mensaje.";
    /// Why a choice in the list was not understood: text that names none.
    pub const NOT_RECOGNISED: &str = "No reconocí cuál solicitud busca.";
    /// Marker: the end of [`ask_again`]'s line.
    pub const ASK_AGAIN_END: &str = "o \"volver\" para ir al menú.";
    /// The second factor is locked for this session.
    pub const SECOND_FACTOR_LOCKED: &str = bot!(
        "Por seguridad no podemos mostrar la respuesta en esta sesión. Contacte a un ejecutivo."
    );
    /// Asks for the identity card's serial number.
    pub const ASK_SERIAL: &str =
        bot!("Para ver la respuesta, ingrese el número de serie de su cédula de identidad.");
    /// The last wrong serial number.
    pub const SERIAL_LOCKED_NOW: &str = bot!(
        "El número de serie no coincide. Por seguridad no mostraremos la respuesta en esta sesión."
    );
    /// Marker: the start of [`serial_locked_for`].
    pub const SERIAL_LOCKED_START: &str =
        bot!("Por seguridad, la verificación con el número de serie está bloqueada");

    /// Too many wrong serials for this RUT (in any session): locked for `minutes`.
    pub fn serial_locked_for(minutes: u64) -> String {
        let unit = if minutes == 1 { "minuto" } else { "minutos" };
        format!("{SERIAL_LOCKED_START} por {minutes} {unit} tras varios intentos fallidos. Puede contactar a un ejecutivo.")
    }
    /// Marker: the start of [`serial_mismatch`].
    pub const SERIAL_MISMATCH_START: &str = bot!("El número de serie no coincide.");
    /// Option 2 starts.
    pub const RESTARTING: &str = bot!("Reiniciando sus servicios (Internet, TV y Telefonía)...");
    /// Marker: the start of [`enqueued`].
    pub const ENQUEUED_START: &str = bot!("Estamos redirigiendo a un asistente");
    /// The customer asked to leave the queue just as an executive took them.
    pub const JUST_TAKEN: &str = bot!("Un ejecutivo acaba de tomar su conversación.");
    /// The first line typed in the queue that is not a question about the wait was kept
    /// for the executive.
    pub const MESSAGE_KEPT: &str =
        bot!("Guardamos su mensaje: el ejecutivo lo leerá apenas lo atienda.");
    /// Marker: the start of [`still_waiting`].
    pub const STILL_WAITING_START: &str = bot!("Sigue en la fila");
    /// A question typed in the queue ("¿cuánto falta?"), with the customer's place when
    /// known.
    pub fn still_waiting(position: Option<usize>) -> String {
        let place = position
            .map(|p| format!(", número {p}"))
            .unwrap_or_default();
        format!("{STILL_WAITING_START}{place}: le avisaremos apenas un ejecutivo lo atienda, y él leerá sus mensajes. Para salir de la fila, escriba \"cancelar\".")
    }
    /// The customer's chat lines reached the bound the request's record keeps: they still
    /// reach the executive, later ones are not kept (said once per request).
    pub const TRANSCRIPT_FULL: &str = bot!("El ejecutivo sigue recibiendo sus mensajes, pero esta conversación ya llegó al máximo de líneas que guardamos en el registro de su solicitud: las siguientes no quedarán guardadas.");
    /// Marker: the start of [`queue_idle`].
    pub const QUEUE_IDLE_START: &str = bot!("Lleva");
    /// The customer waited `waited` in the queue without writing and nobody took them:
    /// their contact request is closed and they are back at the menu.
    pub fn queue_idle(waited: Duration, request: impl Display) -> String {
        format!("{QUEUE_IDLE_START} {} esperando sin escribir y ningún ejecutivo pudo atenderlo, así que cerramos su solicitud {request}. Si aún necesita ayuda, elija 3 para volver a pedir un ejecutivo.", waited_words(waited))
    }
    /// [`queue_idle`] for a request an executive already worked on (the customer was put
    /// back in the queue when the executive disconnected): it stays open.
    pub fn queue_idle_kept(waited: Duration, request: impl Display) -> String {
        format!("{QUEUE_IDLE_START} {} esperando sin escribir y ningún otro ejecutivo pudo atenderlo, así que salió de la fila. Su solicitud {request} sigue abierta, como la dejó el ejecutivo. Si aún necesita ayuda, elija 3 para volver a pedir un ejecutivo.", waited_words(waited))
    }
    /// [`queue_idle`], when the request could not be closed.
    pub fn queue_idle_unclosed(waited: Duration, request: impl Display) -> String {
        format!("{QUEUE_IDLE_START} {} esperando sin escribir y ningún ejecutivo pudo atenderlo, así que salió de la fila. No pudimos cerrar su solicitud {request} por un problema técnico, así que queda abierta. Si aún necesita ayuda, elija 3 para volver a pedir un ejecutivo.", waited_words(waited))
    }

    /// How long a customer waited, as [`queue_idle`] says it: seconds under a minute ("1
    /// minuto" for a limit of a few seconds was wrong), else minutes; both rounded to the
    /// nearest.
    fn waited_words(waited: Duration) -> String {
        let seconds = waited.as_secs_f64().round() as u64;
        if seconds < 60 {
            let unit = if seconds == 1 { "segundo" } else { "segundos" };
            return format!("{seconds} {unit}");
        }
        let minutes = (seconds as f64 / 60.0).round() as u64;
        let unit = if minutes == 1 { "minuto" } else { "minutos" };
        format!("{minutes} {unit}")
    }
    /// The waiting customer's lines reached the backlog's bound: later ones are not kept.
    pub const BACKLOG_FULL: &str = bot!("Ya guardamos todos los mensajes que el ejecutivo puede leer al atenderlo; los que escriba desde ahora mientras espera no se guardarán. Podrá contarle el resto apenas lo atienda.");
    /// Marker: the start of [`assigned`] (the executive's name follows).
    pub const ASSIGNED_START: &str = bot!("Lo atiende el ejecutivo ");
    /// Marker: the start of [`invalid_rut`].
    pub const INVALID_RUT_START: &str = bot!("RUT inválido");
    /// Marker: part of [`not_registered`].
    pub const NOT_REGISTERED_MARK: &str = "no está registrado";
    /// Marker: the start of [`hello`].
    pub const HELLO_START: &str = bot!("Hola ");

    /// An invalid RUT.
    pub fn invalid_rut(err: impl Display) -> String {
        format!("{BOT}RUT inválido: {err}. Intente nuevamente.")
    }

    /// A valid RUT that is not a customer's.
    pub fn not_registered(rut: impl Display) -> String {
        format!("{BOT}El RUT {rut} no está registrado como cliente. Si desea registrarse, escriba su nombre completo; o ingrese otro RUT.")
    }

    /// To the old connection when the customer's RUT logged in on another one, which
    /// takes the session over (this connection closes next).
    pub const TAKEN_OVER: &str = bot!("Se inició sesión con su RUT desde otra conexión, que continúa su atención. Cerramos esta conexión.");
    /// To the old connection when a login that could not prove more than the RUT took the
    /// session over and ended its chat (this connection closes next).
    pub const TAKEN_OVER_CHAT_ENDED: &str = bot!("Se inició sesión con su RUT desde otra conexión y su conversación con el ejecutivo terminó. Cerramos esta conexión.");
    /// To the new connection that took a session over (after [`hello`]).
    pub const SESSION_RESUMED: &str =
        bot!("Retomamos su sesión: cerramos la conexión anterior con su RUT.");

    /// At login: the RUT is chatting on another connection; it goes on here only after the
    /// identity card's serial number (the executive is not named: whoever typed the RUT has
    /// proved nothing yet).
    pub const CHAT_ELSEWHERE: &str = bot!("Su conversación con un ejecutivo sigue abierta en otra conexión. Para continuarla aquí, ingrese el número de serie de su cédula de identidad, o escriba \"volver\" para dejarla donde está.");

    /// Words at [`CHAT_ELSEWHERE`] that are not a serial number ("volver" there does not
    /// lead to the menu, as [`NOT_A_SERIAL`] says elsewhere).
    pub const RESUME_NOT_A_SERIAL: &str = bot!("Eso no parece un número de serie (no lo contamos como intento). Escríbalo tal como aparece en su cédula, por ejemplo 100200300, o escriba \"volver\" para dejar la conversación donde está.");
    /// At [`CHAT_ELSEWHERE`], "volver": nothing is asked or taken over (the login starts
    /// again; the chat may have ended meanwhile, so it is not said to be open).
    pub const RESUME_DECLINED: &str = bot!("No iniciamos sesión en esta conexión y dejamos la otra como estaba. Si quiere continuar aquí, ingrese de nuevo su RUT.");
    /// At [`CHAT_ELSEWHERE`], the serial number could not be proved (wrong ones, or locked):
    /// the chat stays on the other connection and this one closes.
    pub const RESUME_REFUSED: &str = bot!("Sin el número de serie no podemos continuar aquí su conversación, que sigue abierta en la otra conexión. Cerramos esta conexión.");

    /// The chat on the other connection ended while this one was asked for the serial (to
    /// someone who has not proved who they are: the executive is not named).
    pub const CHAT_ENDED_ELSEWHERE: &str = bot!("Su conversación con un ejecutivo en la otra conexión ya terminó. Si lo necesita, pida de nuevo un ejecutivo con la opción 3.");

    /// A chat on another connection ended by other means while the serial number was
    /// typed.
    pub fn chat_over(agent: &str) -> String {
        format!("{BOT}Su conversación con el ejecutivo {agent} terminó. Si lo necesita, pida de nuevo un ejecutivo con la opción 3.")
    }

    /// The chat of the old connection goes on in this one (after its last lines, see
    /// [`CHAT_SO_FAR`]).
    pub fn chat_resumed(agent: &str) -> String {
        format!("{BOT}Retomó su conversación con el ejecutivo {agent}. Escriba \"salir\" para terminar la conversación.")
    }

    /// Before [`chat_resumed`]: the chat's last lines follow, each as [`earlier_line`] (the
    /// old connection may not have shown them).
    pub const CHAT_SO_FAR: &str = bot!("Lo último de su conversación:");

    /// One line of [`CHAT_SO_FAR`].
    pub fn earlier_line(speaker: &str, text: &str) -> String {
        format!("  {speaker}: {text}")
    }

    /// After a takeover: the old connection's place in the queue is kept.
    pub fn still_queued(position: usize) -> String {
        format!("{BOT}Conserva su lugar en la fila: usted está número {position}. Puede escribir \"cancelar\" para volver al menú.")
    }

    /// After a takeover: the old connection's chat with an executive ended.
    pub fn chat_cut(agent: &str) -> String {
        format!("{BOT}Su conversación con el ejecutivo {agent} terminó al cerrarse la conexión anterior. Si lo necesita, pida de nuevo un ejecutivo con la opción 3.")
    }

    /// Words at the serial-number prompt that ask for nothing the bot can do.
    pub const NOT_A_SERIAL: &str = bot!("Eso no parece un número de serie (no lo contamos como intento). Escríbalo tal como aparece en su cédula, por ejemplo 100200300, o escriba \"volver\" para ir al menú.");

    /// A RUT typed at the menu: the customer is logged in already (`same`: with that RUT).
    pub fn already_in_as(name: &str, same: bool) -> String {
        if same {
            format!("{BOT}Ya inició sesión como {name}.")
        } else {
            format!("{BOT}Ya inició sesión como {name}. Para usar otro RUT, salga con la opción 4 y vuelva a conectarse.")
        }
    }

    /// A restart asked for in words the classifier is not sure of.
    pub const CONFIRM_RESTART: &str = bot!("Entiendo que quiere reiniciar sus servicios (Internet, TV y Telefonía). ¿Los reinicio ahora? (sí/no)");
    /// A restart asked for after `count` restarts in the same session: none is done (the
    /// offer of an executive follows).
    pub fn restarts_done(count: u32) -> String {
        format!("{BOT}Ya reiniciamos sus servicios {count} veces en esta conversación.")
    }
    /// A wish for an executive in words the classifier is not sure of, with no complaint
    /// named.
    pub const CONFIRM_AGENT: &str =
        bot!("Entiendo que quiere hablar con un ejecutivo. ¿Lo comunico ahora? (sí/no)");
    /// A goodbye in words the classifier is not sure of.
    pub const CONFIRM_EXIT: &str =
        bot!("Entiendo que quiere terminar la conversación. ¿Cierro el chat? (sí/no)");
    /// An empty line when a yes or a no is expected.
    pub const YES_OR_NO: &str = bot!("Responda sí o no, por favor.");
    /// Marker: the start of [`confirm_contact`].
    pub const CONFIRM_CONTACT_START: &str = bot!("Entiendo: ");

    /// A complaint understood: said back, with the offer of an executive.
    pub fn confirm_contact(topic: &str) -> String {
        format!("{CONFIRM_CONTACT_START}{topic}. ¿Lo comunico con un ejecutivo? (sí/no)")
    }

    /// At login: the chat about `request` was cut by a stop without notice.
    pub fn chat_was_cut(agent: &str, request: impl Display) -> String {
        format!("{BOT}Su conversación con el ejecutivo {agent} sobre la solicitud {request} se cortó porque el servicio se detuvo. Si aún necesita ayuda, elija 3 y la retomamos.")
    }

    /// At login: the wait for an executive about `request` was cut by a stop without
    /// notice.
    pub fn wait_was_cut(request: impl Display) -> String {
        format!("{BOT}Su espera por un ejecutivo (solicitud {request}) se cortó porque el servicio se detuvo. Si aún necesita ayuda, elija 3 y la retomamos.")
    }

    /// Before an open request on the complaint's topic, shown whole.
    pub fn already_open(request: impl Display) -> String {
        format!("{BOT}Ya tiene abierta la solicitud {request} sobre esto:")
    }

    /// Before the last (closed) request on the complaint's topic, shown whole.
    pub fn last_about_it(request: impl Display) -> String {
        format!("{BOT}Su última solicitud sobre esto fue la {request}:")
    }

    /// A complaint that asked for a person, on the topic of an open request: queued with it.
    pub fn taking_up(request: impl Display) -> String {
        format!(
            "{BOT}Lo comunicamos con un ejecutivo por su solicitud abierta {request} sobre esto."
        )
    }

    /// The offer of an executive to take up the open request on the complaint's topic.
    pub fn confirm_resume(request: impl Display) -> String {
        format!("{BOT}¿Lo comunico con un ejecutivo para retomar la solicitud {request}? (sí/no)")
    }

    /// Two wishes, done one after the other.
    pub fn both_in_order(first: &str, second: &str) -> String {
        format!("{BOT}De acuerdo: primero «{first}» y luego «{second}».")
    }

    /// Two wishes that cannot be done together: which first?
    pub fn which_first(first: (u8, &str), second: (u8, &str)) -> String {
        format!(
            "{BOT}Hagámoslo por partes. ¿Qué prefiere primero: ({}) {} o ({}) {}?",
            first.0, first.1, second.0, second.1
        )
    }

    /// The greeting after logging in.
    pub fn hello(first_name: &str) -> String {
        format!("{BOT}Hola {first_name}, en qué te podemos ayudar?")
    }

    /// A new customer was registered.
    pub fn registered(rut: impl Display) -> String {
        format!("{BOT}Lo registramos como cliente con el RUT {rut}.")
    }

    /// A menu number out of range.
    pub fn no_such_option(number: u8) -> String {
        format!("{BOT}La opción {number} no existe. Elija un número del 1 al 4.")
    }

    /// Asks which of two options the customer meant.
    pub fn clarify(first: (u8, &str), second: (u8, &str)) -> String {
        format!(
            "{BOT}No estoy seguro de haber entendido. ¿Quiso decir ({}) {} o ({}) {}?",
            first.0, first.1, second.0, second.1
        )
    }

    /// The answer to an empty line in a clarification.
    pub fn yes_no(first: u8, second: u8) -> String {
        format!("{BOT}Responda sí o no, o escriba {first} o {second}.")
    }

    /// One line of the list of requests (no speaker prefix).
    pub fn request_item(
        position: usize,
        id: impl Display,
        subject: &str,
        state: impl Display,
        created: &str,
    ) -> String {
        format!("({position}) Solicitud {id}: {subject} ({state}, {created})")
    }

    /// After the list: how many older closed requests are not shown.
    pub fn older_requests(count: usize) -> String {
        if count == 1 {
            format!("{BOT}Tiene 1 solicitud cerrada más antigua: escriba \"ver anteriores\" para verla.")
        } else {
            format!("{BOT}Tiene {count} solicitudes cerradas más antiguas: escriba \"ver anteriores\" para verlas.")
        }
    }

    /// "ver anteriores" when everything is shown already.
    pub const NO_OLDER_REQUESTS: &str = bot!("No tiene otras solicitudes.");

    /// A choice in the list that was not understood, with `why`.
    pub fn ask_again(why: &str, count: usize) -> String {
        format!("{BOT}{why} Escriba la posición (1 a {count}) o el número de solicitud, {ASK_AGAIN_END}")
    }

    /// A request number that is not one of the customer's.
    pub fn request_not_found(id: impl Display) -> String {
        format!("{BOT}No encontramos la solicitud {id} entre sus solicitudes.")
    }

    /// The first line of a request's details.
    pub fn request_title(id: impl Display, subject: &str) -> String {
        format!("{BOT}Solicitud {id}: {subject}")
    }

    /// A request's state (no speaker prefix).
    pub fn request_state(state: impl Display) -> String {
        format!("Estado: {state}")
    }

    /// Before a request's history entries (no speaker prefix).
    pub const HISTORY_HEADER: &str = "Historial:";

    /// One history entry (no speaker prefix).
    pub fn history_entry(at: impl Display, author: &str, text: &str) -> String {
        format!("  - {at} {author}: {text}")
    }

    /// Anything the bot says that is not in this catalogue (a request's stored answer).
    pub fn bot(text: &str) -> String {
        format!("{BOT}{text}")
    }

    /// A wrong serial number, with attempts left.
    pub fn serial_mismatch(left: u32) -> String {
        let left = if left == 1 {
            "Le queda 1 intento".to_string()
        } else {
            format!("Le quedan {left} intentos")
        };
        format!("{SERIAL_MISMATCH_START} {left} (o escriba \"volver\").")
    }

    /// Marker: the start of [`restarted`] (the request number follows).
    pub const RESTARTED_START: &str =
        bot!("Listo: sus servicios fueron reiniciados. Registramos la solicitud ");

    /// Option 2 done.
    pub fn restarted(request: impl Display) -> String {
        format!("{RESTARTED_START}{request}.")
    }

    /// Option 3: in the queue.
    pub fn enqueued(position: usize) -> String {
        format!(
            "{BOT}Estamos redirigiendo a un asistente, usted está número {position} en la fila."
        )
    }

    /// After the queue's lines (when `--queue-grace` is not 0): a customer whose
    /// connection drops keeps their place for `grace` (see [`still_queued`]).
    pub fn queue_grace_hint(grace: Duration) -> String {
        format!("{BOT}Si se corta su conexión, vuelva a ingresar con su RUT dentro de {} y conservará su lugar en la fila.", super::span_words(grace))
    }

    /// Marker: the start of [`no_agents`].
    pub const NO_AGENTS_START: &str = bot!("En este momento no hay ejecutivos conectados.");

    /// Marker: the start of [`wait_estimate`].
    pub const WAIT_ESTIMATE_START: &str = bot!("Tiempo de espera estimado: ");
    /// After [`enqueued`], with executives online but too few recent hand-offs to estimate
    /// the wait.
    pub const WAIT_UNKNOWN: &str = bot!("Aún no tenemos datos suficientes para estimar la espera.");

    /// After [`enqueued`]: the estimated wait, from recent hand-offs (under a minute, or in
    /// whole minutes, rounded).
    pub fn wait_estimate(wait: std::time::Duration) -> String {
        let seconds = wait.as_secs();
        let how_long = match (seconds + 30) / 60 {
            _ if seconds < 60 => "menos de un minuto".to_string(),
            1 => "alrededor de un minuto".to_string(),
            minutes => format!("unos {minutes} minutos"),
        };
        format!("{WAIT_ESTIMATE_START}{how_long}, según las últimas atenciones.")
    }

    /// Option 3 with no executive connected.
    pub fn no_agents(request: impl Display) -> String {
        format!("{NO_AGENTS_START} Puede esperar o escribir \"cancelar\" para volver al menú; su solicitud {request} quedó registrada.")
    }

    /// Marker: the start of [`left_queue`].
    pub const LEFT_QUEUE_START: &str = bot!("Salió de la fila.");

    /// The customer left the queue.
    pub fn left_queue(request: impl Display) -> String {
        format!("{LEFT_QUEUE_START} Cerramos su solicitud {request}; puede volver a pedir un ejecutivo cuando quiera.")
    }

    /// The customer left the queue they were put back in when their executive
    /// disconnected: the request stays open, as the executive left it.
    pub fn left_queue_kept(request: impl Display) -> String {
        format!("{LEFT_QUEUE_START} Su solicitud {request} sigue abierta, como la dejó el ejecutivo; puede volver a pedir un ejecutivo cuando quiera.")
    }

    /// [`left_queue`], when the request could not be closed.
    pub fn left_queue_unclosed(request: impl Display) -> String {
        format!("{LEFT_QUEUE_START} No pudimos cerrar su solicitud {request} por un problema técnico, así que queda abierta; puede volver a pedir un ejecutivo cuando quiera.")
    }

    /// The customer ended the chat about `request`.
    pub fn chat_left(agent: &str, request: impl Display) -> String {
        format!("{BOT}Terminó la conversación con el ejecutivo {agent}. Puede revisar su solicitud {request} con la opción 1.")
    }

    /// Marker: the start of [`queue_position`] (the position follows).
    pub const QUEUE_POSITION_START: &str = bot!("Usted está número ");

    /// A new position in the queue.
    pub fn queue_position(position: usize) -> String {
        format!("{QUEUE_POSITION_START}{position} en la fila.")
    }

    /// Marker: the start of [`assigned`] for `agent`.
    pub fn assigned_start(agent: &str) -> String {
        format!("{ASSIGNED_START}{agent}.")
    }

    /// An executive took the customer, about `request`.
    pub fn assigned(agent: &str, request: impl Display) -> String {
        format!("{ASSIGNED_START}{agent}. Número de su solicitud: {request}. Escriba \"salir\" para terminar la conversación.")
    }

    /// A line from the executive (no bot prefix: the executive speaks).
    pub fn from_agent(agent: &str, text: &str) -> String {
        format!("{agent}: {text}")
    }

    /// The executive changed display name.
    pub fn agent_renamed(agent: &str) -> String {
        format!("{BOT}Su ejecutivo ahora se identifica como {agent}.")
    }

    /// The executive restarted the customer's services.
    pub fn restarted_by(agent: &str) -> String {
        format!("{BOT}El ejecutivo {agent} reinició sus servicios (Internet, TV y Telefonía).")
    }

    /// Marker: the start of [`chat_ended`] (the executive's name follows).
    pub const CHAT_ENDED_START: &str = bot!("El ejecutivo ");

    /// The executive ended the chat about `request`; the request's state, when known.
    pub fn chat_ended(agent: &str, request: u64, state: Option<impl Display>) -> String {
        match state {
            Some(state) => format!(
                "{BOT}El ejecutivo {agent} finalizó la conversación. Su solicitud {request} quedó en estado {state}."
            ),
            None => format!(
                "{BOT}El ejecutivo {agent} finalizó la conversación sobre su solicitud {request}."
            ),
        }
    }

    /// The executive changed the subject of one of the customer's requests.
    pub fn subject_changed(agent: &str, request: impl Display, subject: &str) -> String {
        format!(
            "{BOT}El ejecutivo {agent} cambió el asunto de su solicitud {request} a «{subject}»."
        )
    }

    /// The executive changed the state of one of the customer's requests.
    pub fn state_changed(agent: &str, request: impl Display, state: impl Display) -> String {
        format!("{BOT}El ejecutivo {agent} cambió el estado de su solicitud {request} a {state}.")
    }

    /// The customer's position grew: customers of an executive who disconnected went back
    /// to the head of the queue.
    pub fn moved_back(position: usize) -> String {
        format!("{BOT}Un ejecutivo se desconectó y los clientes que atendía volvieron a la fila delante de usted: ahora está número {position} en la fila.")
    }

    /// The executive disconnected.
    pub fn agent_left(agent: &str) -> String {
        format!("{BOT}El ejecutivo {agent} se desconectó. Lo devolvimos a la fila, delante de quienes esperaban, para el próximo ejecutivo.")
    }
}

/// What the executives' channel says.
pub mod agent {
    use super::Display;
    use super::SYSTEM;
    use crate::conversation::events::HubError;
    use std::time::Duration;

    /// The first line an executive receives.
    pub const GREETING: &str = system!("Canal de ejecutivos. Ingrese su token de acceso.");
    /// An empty line where the token was expected: asked again, not counted as a wrong one.
    pub const TOKEN_EMPTY: &str = system!("No recibimos ningún token. Ingrese su token de acceso.");
    /// The token was right.
    pub const TOKEN_ACCEPTED: &str = system!("Token aceptado. Ingrese su nombre de ejecutivo.");
    /// The token was wrong: the connection closes.
    pub const TOKEN_INVALID: &str = system!("Token inválido. Conexión cerrada.");
    /// Marker: the start of [`tokens_locked_for`].
    pub const TOKENS_LOCKED_START: &str = system!(
        "Demasiados tokens incorrectos en este servidor: el ingreso de ejecutivos está bloqueado"
    );
    /// Too many wrong tokens on this server (from any address): every login, with any
    /// token, is refused for `minutes`; the connection closes.
    pub fn tokens_locked_for(minutes: u64) -> String {
        let unit = if minutes == 1 { "minuto" } else { "minutos" };
        format!("{TOKENS_LOCKED_START} por {minutes} {unit}. Conexión cerrada; intente nuevamente cuando termine el bloqueo.")
    }
    /// The lock-out of the executives' login could not be checked (the database failed):
    /// the connection closes.
    pub const TOKEN_UNCHECKED: &str = system!("No se pudo verificar el ingreso por un problema de la base de datos. Conexión cerrada; intente nuevamente.");
    /// The chat's request keeps no more of the executive's lines (they are still
    /// delivered); said once per request.
    pub const TRANSCRIPT_FULL: &str = system!("Esta conversación llegó al máximo de líneas suyas que se guardan en el registro de la solicitud: el cliente sigue recibiendo sus mensajes, pero los siguientes no se guardan.");
    /// An invalid display name at login.
    pub const INVALID_NAME: &str = system!("Nombre inválido: una palabra de 1 a 32 letras, números, '.', '_' o '-'. Ingrese su nombre.");
    /// A chat line with no customer to send it to.
    pub const NO_CUSTOMER: &str =
        system!("No tiene un cliente asignado; su mensaje no se envió. (:queue muestra la fila)");
    /// Before the command list.
    pub const COMMANDS: &str = system!("Comandos:");
    /// The command list shown by `:help` (each line is sent indented by two spaces).
    pub const HELP: [&str; 13] = [
        ":subject <descripción>  cambia el asunto de la solicitud",
        ":state abierto|cerrado  cambia el estado de la solicitud",
        ":history <texto>        agrega una entrada al historial (el cliente la ve)",
        ":name <nombre>          cambia su nombre visible",
        ":restart                reinicia los servicios del cliente",
        ":queue                  muestra la fila de espera",
        ":close                  termina la conversación actual (también si el cliente se fue)",
        ":quit                   se desconecta (con clientes en curso, pide repetirlo)",
        ":chats                  lista sus conversaciones actuales",
        ":switch <n>             conversa con la n-ésima conversación actual",
        ":requests               lista las solicitudes del cliente",
        ":open <n>               muestra el historial de esa solicitud del cliente; los comandos actúan sobre ella",
        ":help                   muestra esta ayuda",
    ];
    /// `:quit`.
    pub const GOODBYE: &str = system!("Hasta luego.");

    /// Marker: the start of [`quit_with_chats`].
    pub const QUIT_WITH_CHATS_START: &str = system!("Tiene ");

    /// `:quit` with customers still in their chats: they would go back to the queue, so
    /// a second `:quit` confirms.
    pub fn quit_with_chats(chats: usize) -> String {
        let chats = if chats == 1 {
            "1 conversación en curso: al salir, ese cliente vuelve".to_string()
        } else {
            format!("{chats} conversaciones en curso: al salir, esos clientes vuelven")
        };
        format!("{QUIT_WITH_CHATS_START}{chats} a la fila de espera para otro ejecutivo. Escriba :quit de nuevo para salir, o termine antes con :close.")
    }

    /// `:quit` with chats whose customers left still on the desk.
    pub fn ended_left_open(chats: usize) -> String {
        if chats == 1 {
            format!(
                "{SYSTEM}Queda 1 conversación terminada sin :close; su solicitud queda como está."
            )
        } else {
            format!("{SYSTEM}Quedan {chats} conversaciones terminadas sin :close; sus solicitudes quedan como están.")
        }
    }
    /// `:close` could not write its history entry on the request `:open` chose (the chat
    /// ends all the same).
    pub fn close_not_recorded(request: u64) -> String {
        format!("{SYSTEM}No se pudo anotar el cierre en la solicitud {request} por un problema de la base de datos.")
    }
    /// A command's change could not be stored.
    pub const STORE_FAILED: &str = system!(
        "No se pudo guardar el cambio por un problema de la base de datos. Intente nuevamente."
    );
    /// Marker: the start of [`new_customer`].
    pub const NEW_CUSTOMER_START: &str = system!("Nuevo cliente: ");
    /// The customer has no other open request.
    pub const NO_OTHER_OPEN: &str = system!("El cliente no tiene otras solicitudes abiertas.");
    /// Before the lines typed in the queue.
    pub const WHILE_WAITING: &str = system!("Mientras esperaba, el cliente escribió:");
    /// After them, when the customer typed more than the queue keeps.
    pub const BACKLOG_CUT: &str = system!("El cliente escribió más mientras esperaba, pero la fila guarda solo lo anterior: pídale que repita lo que falte.");
    /// The customer typed while waiting and the queue kept none of it
    /// (`--max-waiting-lines 0`).
    pub const BACKLOG_NONE_KEPT: &str = system!("El cliente escribió mientras esperaba, pero la fila no guarda mensajes: pídale que le cuente de nuevo.");
    /// The last line about a new customer.
    pub const CHAT_HINT: &str = system!("Escriba para conversar; :close termina la conversación.");
    /// Marker: the start of [`welcome`].
    pub const WELCOME_START: &str = system!("Bienvenido ");
    /// Marker: part of [`name_taken_at_login`] and [`name_taken`].
    pub const NAME_TAKEN_MARK: &str = "ya está en uso";
    /// Marker: the start of [`customer_disconnected`], [`customer_idle_closed`] and
    /// [`customer_ended`].
    pub const CUSTOMER_LEFT_START: &str = system!("El cliente ");
    /// Usage of `:subject`.
    pub const USAGE_SUBJECT: &str = ":subject <descripción>";
    /// Usage of `:history`.
    pub const USAGE_HISTORY: &str = ":history <texto>";
    /// Usage of `:name`.
    pub const USAGE_NAME: &str = ":name <nombre>";
    /// Usage of `:name` with an invalid name.
    pub const USAGE_NAME_INVALID: &str =
        ":name <nombre> (una palabra de 1 a 32 letras, números, '.', '_' o '-')";
    /// Usage of `:state`.
    pub const USAGE_STATE: &str = ":state abierto|cerrado";
    /// Usage of `:open`.
    pub const USAGE_OPEN: &str = ":open <número de solicitud o posición en :requests>";
    /// The customer chose option 3 by its number: no words of their own.
    pub const REASON_MENU: &str = system!("Motivo: eligió la opción 3 del menú.");
    /// Before the new customer's other open requests.
    pub const OPEN_REQUESTS: &str = system!("Solicitudes abiertas del cliente:");
    /// Before the new customer's requests closed in the last days.
    pub const RECENTLY_CLOSED: &str = system!(
        "Solicitudes cerradas en los últimos 30 días (:open <número> muestra su historial):"
    );
    /// After `:requests`' list.
    pub const OPEN_HINT: &str = system!(
        ":open <n> muestra el historial de una solicitud y la elige para :subject, :state y :history (:close la anota también)."
    );
    /// Usage of `:switch`.
    pub const USAGE_SWITCH: &str = ":switch <n> (ver :chats)";

    /// Logged in.
    pub fn welcome(name: &str, waiting: usize) -> String {
        format!("{WELCOME_START}{name}. Escriba :help para ver los comandos. Clientes en espera: {waiting}.")
    }

    /// A name that is one of the server's voices or a look-alike of one (at login or with
    /// `:name`).
    pub fn name_reserved(name: &str) -> String {
        format!("{SYSTEM}El nombre {name} está reservado para el sistema. Elija otro.")
    }

    /// The name chosen at login is taken.
    pub fn name_taken_at_login(name: &str) -> String {
        format!("{SYSTEM}El nombre {name} ya está en uso. Elija otro.")
    }

    /// Why the hub refused an executive's operation, as the executive reads it (after
    /// [`not_sent`], [`rename_failed`] or [`close_failed`]). The error's own `Display` is
    /// English, for the logs.
    pub fn hub_refusal(err: &HubError) -> String {
        match err {
            HubError::NotQueued => "el cliente no está en la fila".to_string(),
            HubError::NotChatting => "el cliente ya no está conversando con usted".to_string(),
            HubError::NoCustomer => "no tiene un cliente asignado".to_string(),
            HubError::NameTaken(name) => format!("el nombre {name} ya está en uso"),
            HubError::UnknownAgent => "su sesión de ejecutivo no está registrada".to_string(),
        }
    }

    /// A chat line the hub refused.
    pub fn not_sent(err: impl Display) -> String {
        format!("{SYSTEM}No se pudo enviar el mensaje: {err}.")
    }

    /// A line of the command list.
    pub fn help_line(line: &str) -> String {
        format!("  {line}")
    }

    /// `:queue`'s first line.
    pub fn queue_header(waiting: usize) -> String {
        format!("{SYSTEM}Clientes en espera: {waiting}.")
    }

    /// One waiting customer in `:queue`.
    pub fn queue_item(
        position: usize,
        name: &str,
        rut: impl Display,
        messages: usize,
        away: bool,
    ) -> String {
        let away = if away {
            " (perdió la conexión; conserva su lugar por si vuelve)"
        } else {
            ""
        };
        format!(
            "  ({position}) {name} (RUT {rut}), {}{away}",
            super::messages_count(messages)
        )
    }

    /// `:chats`' first line.
    pub fn chats_header(chats: usize) -> String {
        format!("{SYSTEM}Conversaciones actuales: {chats}.")
    }

    /// One current conversation in `:chats`.
    pub fn chat_item(
        position: usize,
        name: &str,
        rut: impl Display,
        request: impl Display,
        active: bool,
        left: bool,
    ) -> String {
        // The chat the commands act on is "activa" unless its customer left: then it is
        // only the current one ("activa" beside "se fue" read as a contradiction).
        let mark = match (active, left) {
            (true, false) => " (activa)",
            (true, true) => " (actual; el cliente se fue)",
            (false, true) => " (el cliente se fue)",
            (false, false) => "",
        };
        format!("  ({position}) {name} (RUT {rut}), solicitud {request}{mark}")
    }

    /// `:switch` done.
    pub fn now_talking_to(name: &str) -> String {
        format!("{SYSTEM}Ahora conversa con {name}.")
    }

    /// `:switch` to a conversation that does not exist.
    pub fn no_chat_number(n: usize) -> String {
        format!("{SYSTEM}No tiene una conversación número {n} (ver :chats).")
    }

    /// `:name` done.
    pub fn renamed(name: &str) -> String {
        format!("{SYSTEM}Ahora su nombre es {name}.")
    }

    /// `:name` with a name in use.
    pub fn name_taken(name: &str) -> String {
        format!("{SYSTEM}El nombre {name} ya está en uso.")
    }

    /// `:name` refused for another reason.
    pub fn rename_failed(err: impl Display) -> String {
        format!("{SYSTEM}No se pudo cambiar el nombre: {err}.")
    }

    /// A command that needs a customer, without one.
    pub fn needs_customer(command: impl Display) -> String {
        format!("{SYSTEM}{command}: no tiene un cliente asignado.")
    }

    /// `:subject` done.
    pub fn subject_set(request: impl Display, subject: &str) -> String {
        format!("{SYSTEM}Asunto de la solicitud {request}: {subject}.")
    }

    /// `:state` done.
    pub fn state_set(request: impl Display, state: impl Display) -> String {
        format!("{SYSTEM}Estado de la solicitud {request}: {state}.")
    }

    /// `:state` to the state the request already has: nothing changes, nobody is told.
    pub fn state_unchanged(request: impl Display, state: impl Display) -> String {
        format!("{SYSTEM}La solicitud {request} ya está en estado {state}; no cambió nada.")
    }

    /// `:history` done.
    pub fn history_updated(request: impl Display, entries: usize) -> String {
        format!("{SYSTEM}Historial de la solicitud {request} actualizado ({entries} entradas).")
    }

    /// `:restart` done.
    pub fn services_restarted(customer: &str) -> String {
        format!("{SYSTEM}Servicios de {customer} reiniciados.")
    }

    /// `:close` done.
    pub fn chat_closed(customer: &str) -> String {
        format!("{SYSTEM}Conversación con {customer} finalizada.")
    }

    /// `:close` refused.
    pub fn close_failed(err: impl Display) -> String {
        format!("{SYSTEM}No se pudo cerrar la conversación: {err}.")
    }

    /// A customer was assigned.
    pub fn new_customer(name: &str, rut: impl Display, request: impl Display) -> String {
        format!("{NEW_CUSTOMER_START}{name} (RUT {rut}), solicitud {request}.")
    }

    /// The customer's own words that led to the queue.
    pub fn reason_words(words: &str) -> String {
        format!("{SYSTEM}Motivo, en palabras del cliente: «{words}».")
    }

    /// The topic the bot understood.
    pub fn reason_topic(topic: &str) -> String {
        format!("{SYSTEM}Tema: {topic}.")
    }

    /// One of the new customer's requests closed in the last days.
    pub fn closed_request(id: impl Display, subject: &str, created: impl Display) -> String {
        format!("  {id} {subject} (cerrado, del {created})")
    }

    /// One of the new customer's other open requests.
    pub fn open_request(
        id: impl Display,
        subject: &str,
        state: impl Display,
        created: impl Display,
    ) -> String {
        format!("  {id} {subject} ({state}, desde {created})")
    }

    /// A requeued customer's request as their previous executive left it; `notes` of that
    /// executive's history entries follow.
    pub fn passed_on(
        agent: &str,
        request: impl Display,
        subject: &str,
        state: impl Display,
        notes: usize,
    ) -> String {
        let tail = match notes {
            0 => ", sin notas suyas.".to_string(),
            1 => " y esta nota:".to_string(),
            n => format!(" y estas {n} notas:"),
        };
        format!("{SYSTEM}El ejecutivo {agent} dejó la solicitud {request} con el asunto «{subject}» ({state}){tail}")
    }

    /// After [`passed_on`]: another of the customer's requests the previous executive wrote
    /// in during the chat; their entries follow.
    pub fn also_noted(
        agent: &str,
        request: impl Display,
        subject: &str,
        state: impl Display,
    ) -> String {
        format!("{SYSTEM}El ejecutivo {agent} también anotó la solicitud {request} «{subject}» ({state}):")
    }

    /// Before the transcript of a requeued customer's chat with their previous executive.
    pub fn previous_chat(agent: &str, lines: usize) -> String {
        format!(
            "{SYSTEM}Conversación anterior con el ejecutivo {agent} ({}):",
            super::messages_count(lines)
        )
    }

    /// Before the history of a request the customer took up again (what was done before
    /// this request for an executive): the last `shown` of `total` entries.
    pub fn resumed_request(request: impl Display, shown: usize, total: usize) -> String {
        format!("{SYSTEM}El cliente retoma la solicitud {request}; lo anterior ({shown} de {total} entradas):")
    }

    /// Before the history entries `:open` shows: the last `shown` of `total`.
    pub fn opened_history(shown: usize, total: usize) -> String {
        if shown == total {
            format!(
                "{SYSTEM}Historial ({total} {}):",
                super::plural(total, "entrada", "entradas")
            )
        } else {
            format!("{SYSTEM}Historial (últimas {shown} de {total} entradas):")
        }
    }

    /// Before the chat lines `:open` shows: the last `shown` of `total`.
    pub fn opened_chat(shown: usize, total: usize) -> String {
        if shown == total {
            format!(
                "{SYSTEM}Conversaciones sobre la solicitud ({}):",
                super::messages_count(total)
            )
        } else {
            format!(
                "{SYSTEM}Conversaciones sobre la solicitud (últimos {shown} de {total} mensajes):"
            )
        }
    }

    /// One line of a stored transcript.
    pub fn transcript_line(at: impl Display, speaker: &str, text: &str) -> String {
        format!("  {at} {speaker}: {text}")
    }

    /// `:requests`' first line.
    pub fn requests_header(customer: &str, count: usize) -> String {
        format!("{SYSTEM}Solicitudes de {customer}: {count}.")
    }

    /// `:requests` for a customer with more requests than are read with them.
    pub fn requests_header_latest(customer: &str, count: usize) -> String {
        format!("{SYSTEM}Solicitudes de {customer}: las {count} abiertas y más recientes (las anteriores, con :open <número>).")
    }

    /// One request in `:requests`.
    pub fn request_item(
        position: usize,
        id: impl Display,
        subject: &str,
        state: impl Display,
        created: impl Display,
        current: bool,
    ) -> String {
        let mark = if current { " (actual)" } else { "" };
        format!("  ({position}) {id} {subject}: {state}, {created}{mark}")
    }

    /// `:open` done.
    pub fn now_acting_on(id: impl Display, subject: &str, state: impl Display) -> String {
        format!("{SYSTEM}Los comandos actúan ahora sobre la solicitud {id} ({subject}, {state}).")
    }

    /// `:subject` with more than `max` characters (sent after [`SYSTEM`], as every
    /// command error).
    pub fn subject_too_long(max: usize) -> String {
        format!("El asunto tiene más de {max} caracteres: resúmalo (el detalle va con :history).")
    }

    /// `:open` with a number that is not one of the customer's requests.
    pub fn not_customers_request(customer: &str) -> String {
        format!("{SYSTEM}Esa solicitud no es de {customer}: :requests lista las suyas, y luego :open <posición> elige una de esa lista.")
    }

    /// One line typed in the queue.
    pub fn backlog_line(customer: &str, line: &str) -> String {
        format!("  {customer}: {line}")
    }

    /// The executive has several conversations now.
    pub fn many_chats(chats: usize) -> String {
        format!("{SYSTEM}Tiene {chats} conversaciones: :chats las lista y :switch <n> elige a quién escribe.")
    }

    /// How a customer whose stored name is reserved (registered before such names were
    /// refused) is shown to executives.
    pub fn unnamed_customer(rut: impl Display) -> String {
        format!("Cliente {rut}")
    }

    /// A line from a customer (no prefix: the customer speaks).
    pub fn from_customer(customer: &str, text: &str) -> String {
        format!("{customer}: {text}")
    }

    /// A customer's connection ended.
    pub fn customer_disconnected(customer: &str) -> String {
        format!("{CUSTOMER_LEFT_START}{customer} se desconectó.")
    }

    /// The server closed a customer's connection: nothing came from it for the idle
    /// timeout.
    pub fn customer_idle_closed(customer: &str) -> String {
        format!("{CUSTOMER_LEFT_START}{customer} se desconectó por inactividad.")
    }

    /// A customer logged in again on another connection, proved who they are, and goes on
    /// with the chat there (not [`CUSTOMER_LEFT_START`]: nobody left), having been shown the
    /// chat's last `shown` lines.
    pub fn customer_returned(customer: &str, shown: usize) -> String {
        let shown = match shown {
            0 => String::new(),
            1 => " Al retomarla se le mostró el último mensaje de la conversación.".to_string(),
            n => format!(
                " Al retomarla se le mostraron los últimos {n} mensajes de la conversación."
            ),
        };
        format!("{SYSTEM}{customer} se conectó de nuevo desde otra conexión y confirmó su identidad: la conversación sigue allí.{shown}")
    }

    /// A customer ended the chat.
    pub fn customer_ended(customer: &str) -> String {
        format!("{CUSTOMER_LEFT_START}{customer} terminó la conversación.")
    }

    /// After a customer left: their chat stays on the desk so the executive can finish
    /// the request, until `limit` passes with no line of theirs while their commands act
    /// on it (zero: until `:close`).
    pub fn wrap_up(request: impl Display, limit: Duration) -> String {
        if limit.is_zero() {
            return format!("{SYSTEM}La solicitud {request}{WRAP_UP_END}");
        }
        let limit = super::span_words(limit);
        format!("{SYSTEM}La solicitud {request}{WRAP_UP_END} Si no la termina, saldrá de :chats tras {limit} sin que usted escriba en ella.")
    }
    /// An ended chat leaves the desk in `left` unless closed or written in.
    pub fn wrap_up_soon(customer: &str, request: impl Display, left: Duration) -> String {
        let left = super::span_words(left);
        format!("{SYSTEM}La conversación terminada con {customer} (solicitud {request}) saldrá de :chats en {left} si no la termina con :close ni escribe en ella.")
    }
    /// An ended chat left the desk: the executive did not `:close` it, nor write while
    /// their commands acted on it, within `limit` (the request stays as it was).
    pub fn wrap_up_expired(customer: &str, request: impl Display, limit: Duration) -> String {
        let limit = super::span_words(limit);
        format!("{SYSTEM}Se quitó de :chats la conversación terminada con {customer} (solicitud {request}): pasaron {limit} sin :close ni líneas suyas en ella.")
    }
    /// Customers wait while the executive wraps up a chat whose customer left.
    pub fn customers_waiting(waiting: usize) -> String {
        match waiting {
            1 => format!("{SYSTEM}Hay 1 cliente esperando: llegará cuando termine con :close la conversación que terminó."),
            n => format!("{SYSTEM}Hay {n} clientes esperando: el siguiente llegará cuando termine con :close la conversación que terminó."),
        }
    }
    /// Marker: the end of [`wrap_up`] without a limit (with one, a sentence follows).
    pub const WRAP_UP_END: &str =
        " sigue en :chats: puede anotarla (:history, :state) y terminar con :close.";

    /// A chat line to a customer who has left.
    pub fn customer_gone(customer: &str) -> String {
        format!("{SYSTEM}{customer} ya no está en la conversación; su mensaje no se envió. :close la termina.")
    }

    /// A new customer arrived while the commands act on an ended chat.
    pub fn still_on_ended(
        ended: &str,
        request: impl Display,
        position: usize,
        customer: &str,
    ) -> String {
        format!("{SYSTEM}Sus comandos siguen en la conversación terminada con {ended} (solicitud {request}): termínela con :close, o escriba :switch {position} para hablar con {customer}.")
    }

    /// After a `:close`, the commands act on an ended chat.
    pub fn now_on_ended(customer: &str, request: impl Display) -> String {
        format!("{SYSTEM}Sus comandos actúan ahora sobre la conversación terminada con {customer} (solicitud {request}).")
    }

    /// A command or line for a chat after the chat the commands acted on left the desk at
    /// its wrap-up limit: not applied to another one.
    pub fn commands_chat_expired(customer: &str) -> String {
        format!("{SYSTEM}La conversación terminada con {customer} ya salió de :chats; su línea no se aplicó a otra conversación. Elija una con :switch (vea :chats).")
    }

    /// An ended chat's customer came back about its request, which `agent` serves now in
    /// a new chat (`None`: this executive): the ended chat left the desk.
    pub fn ended_chat_taken_up(
        customer: &str,
        request: impl Display,
        agent: Option<&str>,
    ) -> String {
        let serves = match agent {
            Some(agent) => format!("que ahora atiende {agent}"),
            None => "que usted atiende ahora en una conversación nueva".to_string(),
        };
        format!("{SYSTEM}{customer} volvió por la solicitud {request}, {serves}: se quitó de :chats la conversación terminada.")
    }

    /// Too many ended chats kept: the oldest leaves the desk (its request stays as it
    /// was).
    pub fn ended_chat_dropped(customer: &str, request: impl Display) -> String {
        format!("{SYSTEM}Se quitó de :chats la conversación terminada con {customer} (solicitud {request}).")
    }

    /// A command line that needs an argument (or a valid one).
    pub fn usage(usage: &str) -> String {
        format!("Uso: {usage}")
    }

    /// An unknown command.
    pub fn unknown_command(name: &str) -> String {
        format!("Comando desconocido :{name}. Escriba :help para ver los comandos; para enviar un texto que empieza con «:», escriba «::».")
    }
}

/// The connection layer's notices, said by the port's speaker (see [`notice::line`]).
pub mod notice {
    /// The server is shutting down.
    pub const SHUTDOWN: &str =
        "El servicio se está cerrando por mantención. Por favor vuelva a conectarse en unos minutos.";
    /// The party does not read what is sent to it.
    pub const SLOW_READER: &str =
        "Su conexión no está recibiendo los mensajes a tiempo. Cerramos la conexión.";
    /// Too many lines too fast (the first time).
    pub const FLOOD_WARNING: &str =
        "Está enviando mensajes demasiado rápido; los que exceden el límite no se procesan. Si continúa, cerraremos la conexión.";
    /// Too many lines too fast, again: the connection closes.
    pub const FLOOD_CLOSE: &str = "Conexión cerrada por exceso de mensajes.";
    /// Not logged in within the login deadline (counted from the connection's start).
    pub const LOGIN_DEADLINE: &str =
        "No completó el ingreso dentro del tiempo permitido. Cerramos la conexión; puede volver a conectarse cuando quiera.";
    /// Idle too long.
    pub const IDLE: &str =
        "Cerramos la conexión por inactividad. Puede volver a conectarse cuando quiera.";
    /// The notices the server sends before it closes a connection on its own (their end:
    /// each comes after a speaker, or is a whole line): a client that reads one last
    /// knows the session did not end as its user asked.
    pub const CLOSING: [&str; 6] = [
        SHUTDOWN,
        SLOW_READER,
        FLOOD_CLOSE,
        LOGIN_DEADLINE,
        IDLE,
        ADDRESS_FULL,
    ];
    /// A customer beyond the connection limit (the whole line).
    pub const BUSY: &str = bot!("En este momento estamos atendiendo al máximo de clientes. Por favor intente nuevamente en unos minutos.");
    /// After the greeting, when every customer's slot is taken: only a login that takes
    /// over the RUT's session on another connection gets in (the whole line).
    pub const FULL: &str = bot!("En este momento estamos atendiendo al máximo de clientes. Si tiene una sesión abierta en otra conexión, ingrese su RUT para continuarla aquí; si no, por favor intente nuevamente en unos minutos.");
    /// An executive beyond the executives' port's connection limit (the whole line).
    pub const AGENTS_BUSY: &str = system!("El canal de ejecutivos no admite más conexiones en este momento. Intente nuevamente en unos minutos.");
    /// One address holds too many connections that have not logged in.
    pub const ADDRESS_FULL: &str =
        "Hay demasiadas conexiones abiertas desde su dirección. Por favor intente nuevamente en unos minutos.";
    /// One address opened too many connections lately (followed by [`try_again_in`]).
    pub const TOO_MANY_CONNECTIONS: &str = "Hay demasiadas conexiones nuevas desde su dirección.";
    /// One address typed too many RUTs lately (followed by [`try_again_in`]).
    pub const TOO_MANY_LOGINS: &str = "Hay demasiados intentos de ingreso desde su dirección.";
    /// One address registered too many customers lately (followed by [`try_again_in`]).
    pub const TOO_MANY_REGISTRATIONS: &str = "Hay demasiados registros nuevos desde su dirección.";
    /// One address tried too many executive tokens lately (followed by [`try_again_in`]).
    pub const TOO_MANY_TOKENS: &str = "Hay demasiados intentos de token desde su dirección.";
    /// Marker: the start of every per-address refusal.
    pub const PER_ADDRESS_START: &str = "Hay demasiad";

    /// When to try again after a per-address refusal, in whole minutes (at least one).
    pub fn try_again_in(minutes: u64) -> String {
        match minutes {
            0 | 1 => "Por favor intente nuevamente en un minuto.".to_string(),
            n => format!("Por favor intente nuevamente en {n} minutos."),
        }
    }
    /// Marker: the start of the flood warning as the bot says it.
    pub const FLOOD_WARNING_START: &str = bot!("Está enviando mensajes demasiado rápido");

    /// A line that runs on far past the limit without ending: the connection closes.
    pub fn too_long(max: usize) -> String {
        format!("Su mensaje supera el máximo de {max} bytes por línea. Cerramos la conexión.")
    }

    /// A line longer than the limit: it is dropped and the conversation goes on.
    pub fn line_dropped(max: usize) -> String {
        format!("Su mensaje supera el máximo de {max} bytes por línea y no se envió; escríbalo en partes más cortas.")
    }

    /// `text` as said by `speaker` (`Asistente` or `Sistema`).
    pub fn line(speaker: &str, text: &str) -> String {
        format!("{speaker}: {text}")
    }
}

/// The `[SERVER]` lines the operators read (the console adds the prefix).
pub mod console {
    use super::Display;
    use std::time::Duration;

    /// A customer logged in.
    pub fn customer_connected(name: &str) -> String {
        format!("Cliente {name} conectado.")
    }

    /// At a customer's login: their chat or wait about `request` had been cut by a stop
    /// without notice.
    pub fn cut_short(name: &str, request: impl Display) -> String {
        format!("Cliente {name}: su atención de la solicitud {request} se había cortado por una detención sin aviso; se le informó.")
    }

    /// A logged-in customer's connection ended.
    pub fn customer_disconnected(name: &str) -> String {
        format!("Cliente {name} desconectado.")
    }

    /// Marker: the start of [`store_failures`].
    pub const STORE_FAILURES_START: &str = "La base de datos falló en ";

    /// `count` database operations failed since the last such line.
    pub fn store_failures(count: u64) -> String {
        let many = usize::try_from(count).unwrap_or(usize::MAX);
        let operations = super::plural(many, "operación", "operaciones");
        format!("{STORE_FAILURES_START}{count} {operations}: quienes las pidieron recibieron una disculpa o un aviso (el detalle, en el registro de errores).")
    }

    /// Marker: the start of [`restart`] (the customer's name follows).
    pub const RESTART_START: &str = "Reinicio Servicios Cliente ";

    /// Services restarted, recorded in `request`: by the bot, or by the executive `agent`.
    pub fn restart(customer: &str, request: impl Display, agent: Option<&str>) -> String {
        match agent {
            None => format!("{RESTART_START}{customer} (solicitud {request})."),
            Some(agent) => format!(
                "{RESTART_START}{customer} (solicitud {request}, por el ejecutivo {agent})."
            ),
        }
    }

    /// An executive logged in.
    pub fn agent_connected(name: &str) -> String {
        format!("Ejecutivo {name} conectado.")
    }

    /// An executive's connection ended.
    pub fn agent_disconnected(name: &str) -> String {
        format!("Ejecutivo {name} desconectado.")
    }

    /// An ended chat left executive `agent`'s desk: its customer came back about its
    /// request, which `serves` serves now.
    pub fn ended_chat_taken_up(
        agent: &str,
        customer: &str,
        request: impl Display,
        serves: &str,
    ) -> String {
        format!("Ejecutivo {agent}: la conversación terminada con el cliente {customer} salió de su escritorio: la solicitud {request} la atiende ahora {serves}.")
    }

    /// An ended chat left executive `agent`'s desk after `limit` without `:close`.
    pub fn wrap_up_expired(agent: &str, customer: &str, limit: Duration) -> String {
        let limit = super::span_words(limit);
        format!("Ejecutivo {agent}: la conversación terminada con el cliente {customer} salió de su escritorio tras {limit} sin :close.")
    }

    /// An executive changed display name.
    pub fn agent_renamed(old: &str, new: &str) -> String {
        format!("Ejecutivo {old} ahora se llama {new}.")
    }

    /// A login that could prove no more than the RUT took the session over and ended its
    /// chat (after [`session_taken_over`]).
    pub fn chat_ended_by_login(name: &str, agent: &str) -> String {
        format!("Cliente {name}: su conversación con el ejecutivo {agent} terminó al iniciar sesión desde una nueva conexión.")
    }

    /// A new connection with a customer's RUT did not prove who it is (declined, wrong
    /// serials, or locked) and took nothing over.
    pub fn resume_declined(name: &str) -> String {
        format!("Cliente {name}: una nueva conexión con su RUT no confirmó su identidad y no tomó su conversación.")
    }

    /// A new connection with a customer's RUT closed (or ran out of time to log in) at the
    /// prompt for the serial: it took nothing over (the chat may have ended meanwhile by
    /// other means, so where it is is not said).
    pub fn resume_abandoned(name: &str) -> String {
        format!("Cliente {name}: una nueva conexión con su RUT se cerró antes de confirmar su identidad y no tomó su conversación.")
    }

    /// A customer took their chat over to a new connection (after [`session_taken_over`]).
    pub fn chat_resumed(name: &str, agent: &str) -> String {
        format!("Cliente {name} retomó su conversación con el ejecutivo {agent} desde una nueva conexión.")
    }

    /// A customer logged in on a new connection and took over the session of an older
    /// one, which was closed.
    pub fn session_taken_over(name: &str) -> String {
        format!(
            "Cliente {name} retomó su sesión desde una nueva conexión; la anterior fue cerrada."
        )
    }

    /// Marker: the start of [`assigned`], up to the request.
    pub fn assigned_start(customer: &str, agent: &str) -> String {
        format!("Cliente {customer} redirigido a ejecutivo {agent} (")
    }

    /// A customer was assigned to an executive, about `request`.
    pub fn assigned(customer: &str, agent: &str, request: impl Display) -> String {
        format!("{}solicitud {request}).", assigned_start(customer, agent))
    }

    /// A customer joined the queue for an executive with `request` (`position`: 1 is
    /// next).
    pub fn queued(customer: &str, request: impl Display, position: usize) -> String {
        format!(
            "Cliente {customer} en la fila de espera, posición {position} (solicitud {request})."
        )
    }

    /// How a customer left the queue without being served.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum QueueExit {
        /// They asked to ("cancelar").
        Asked,
        /// They waited past the idle limit without writing.
        Idle,
        /// Their connection ended.
        Disconnected,
        /// The server stopped.
        ServerStopped,
    }

    /// A customer left the queue without being served (`how`); the request is closed
    /// unless an executive worked on it before or the server stopped.
    pub fn left_queue(customer: &str, request: impl Display, how: QueueExit) -> String {
        let how = match how {
            QueueExit::Asked => "por su cuenta",
            QueueExit::Idle => "por inactividad",
            QueueExit::Disconnected => "al desconectarse",
            QueueExit::ServerStopped => "al detenerse el servidor",
        };
        format!("Cliente {customer} dejó la fila de espera {how} (solicitud {request}).")
    }

    /// A waiting customer's connection was lost: they keep their place for `grace` (then
    /// [`left_queue`] and [`customer_disconnected`] follow, unless they came back).
    pub fn away_in_queue(customer: &str, request: impl Display, grace: Duration) -> String {
        format!("Cliente {customer} perdió la conexión en la fila de espera (solicitud {request}): conserva su lugar {} por si vuelve a ingresar.", super::span_words(grace))
    }

    /// A customer ended their chat with an executive.
    pub fn customer_ended_chat(customer: &str, agent: &str, request: impl Display) -> String {
        format!("Cliente {customer} terminó su conversación con el ejecutivo {agent} (solicitud {request}).")
    }

    /// An executive closed their chat with a customer (`:close`); the chat's request and
    /// its state, when the closing note was written.
    pub fn agent_closed_chat(
        agent: &str,
        customer: &str,
        request: Option<(u64, impl Display)>,
    ) -> String {
        match request {
            Some((id, state)) => format!(
                "Ejecutivo {agent} cerró la conversación con el cliente {customer} (solicitud {id}, {state})."
            ),
            None => format!("Ejecutivo {agent} cerró la conversación con el cliente {customer}."),
        }
    }

    /// An executive's connection ended mid-chat: the customer is back at the head of the
    /// queue.
    pub fn requeued(customer: &str, agent: &str, request: impl Display) -> String {
        format!(
            "Cliente {customer} vuelve a la fila de espera (solicitud {request}): el ejecutivo {agent} se desconectó."
        )
    }

    /// An executive changed a request's subject (`:subject`).
    pub fn subject_changed(agent: &str, request: impl Display, subject: &str) -> String {
        format!("Ejecutivo {agent} cambió el asunto de la solicitud {request} a «{subject}».")
    }

    /// An executive changed a request's state (`:state`).
    pub fn state_changed(agent: &str, request: impl Display, state: impl Display) -> String {
        format!("Ejecutivo {agent} cambió el estado de la solicitud {request} a {state}.")
    }

    /// The server is listening (`ready_ms`: how long the start took).
    pub fn listening(customers: impl Display, agents: impl Display, ready_ms: u128) -> String {
        format!(
            "Escuchando clientes en {customers} y ejecutivos en {agents} (listo en {ready_ms} ms)."
        )
    }

    /// Marker: the start of [`new_database`].
    pub const NEW_DATABASE_START: &str = "Base de datos nueva en ";

    /// The SQLite file did not exist: a new registry with the demo customers is made.
    pub fn new_database(path: impl Display) -> String {
        format!("{NEW_DATABASE_START}{path}, con los clientes de demostración.")
    }

    /// The `count`-th wrong executives' token in a row locked their login for `minutes`.
    pub fn tokens_locked(count: u32, minutes: u64) -> String {
        let unit = if minutes == 1 { "minuto" } else { "minutos" };
        format!(
            "Ingreso de ejecutivos bloqueado por {minutes} {unit} tras {count} tokens incorrectos."
        )
    }

    /// Ctrl-C or SIGTERM: the server starts shutting down.
    pub const STOPPING: &str = "Cerrando el servidor...";
    /// The server has shut down.
    pub const STOPPED: &str = "Servidor detenido.";

    /// The console dropped `count` lines (at least one) it could not write in time.
    pub fn lines_dropped(count: u64) -> String {
        if count == 1 {
            "(1 línea de consola omitida)".to_string()
        } else {
            format!("({count} líneas de consola omitidas)")
        }
    }
}

/// What the bot writes in requests' histories (and the subjects it gives them).
pub mod history {
    use std::borrow::Cow;
    use std::fmt::Display;

    /// Subject of the request option 2 records.
    pub const RESTART_SUBJECT: &str = "Reinicio de servicios";
    /// History of the request option 2 records.
    pub const RESTART_DONE: &str = "Reinicio remoto de Internet, TV y Telefonía completado.";
    /// Subject of the request option 3 records.
    pub const CONTACT_SUBJECT: &str = "Contacto con ejecutivo";
    /// History of the request option 3 records.
    pub const CONTACT_ASKED: &str = "El cliente pidió hablar con un ejecutivo.";
    /// History of a request for an executive, with the customer's own words when they
    /// wrote them (a complaint in free text), so that whoever reads the request later knows
    /// what it was about.
    pub fn contact_asked(words: Option<&str>) -> Cow<'static, str> {
        match words {
            Some(words) => Cow::Owned(format!("{CONTACT_ASKED} En sus palabras: «{words}».")),
            None => Cow::Borrowed(CONTACT_ASKED),
        }
    }

    /// The customer's connection ended in the queue or a chat (in the queue, the request
    /// is closed right after).
    pub const DISCONNECTED: &str = "El cliente se desconectó.";
    /// The server closed the customer's connection in a chat: nothing came from it for the
    /// idle timeout.
    pub const IDLE_CLOSED: &str = "El servidor cerró la conexión del cliente por inactividad.";
    /// The server stopped while the customer was in the queue or a chat (in the queue,
    /// the request is closed right after).
    pub const SERVER_STOPPED: &str = "El servidor se detuvo y cerró la conexión del cliente.";
    /// The customer left the queue (the request is closed right after).
    pub const LEFT_QUEUE: &str = "El cliente dejó la fila de espera sin ser atendido.";
    /// The customer waited in the queue past the idle limit without writing and nobody
    /// took them (the request is closed right after).
    pub const QUEUE_IDLE: &str =
        "El cliente esperó en la fila sin escribir más del tiempo límite y nadie lo atendió.";
    /// The customer left the queue they were put back in when their executive
    /// disconnected, before another took them: the request stays as the executive left it.
    pub const LEFT_QUEUE_SERVED: &str = "El cliente dejó la fila de espera antes de que otro ejecutivo lo atendiera; la solicitud sigue como la dejó el ejecutivo.";
    /// [`LEFT_QUEUE_SERVED`], by the queue's idle limit.
    pub const QUEUE_IDLE_SERVED: &str = "El cliente esperó en la fila sin escribir más del tiempo límite antes de que otro ejecutivo lo atendiera; la solicitud sigue como la dejó el ejecutivo.";
    /// The customer ended the chat.
    pub const ENDED_CHAT: &str = "El cliente terminó la conversación.";
    /// The customer logged in on another connection while in the queue or a chat, and
    /// the old connection was closed (a wait that was not kept is closed right after).
    pub const TAKEN_OVER: &str = "El cliente retomó su sesión desde otra conexión.";
    /// The customer's chat moved to a new connection of theirs (after the serial number).
    pub const CHAT_RESUMED: &str = "El cliente retomó la conversación desde otra conexión.";
    /// A login with the customer's RUT that could prove no more than the RUT ended the
    /// chat.
    pub const TAKEN_OVER_CHAT_ENDED: &str =
        "La conversación terminó: se inició sesión con el RUT del cliente desde otra conexión.";
    /// An executive restarted the services.
    pub const AGENT_RESTART: &str =
        "Reinicio de servicios (Internet, TV y Telefonía) hecho por el ejecutivo.";
    /// An executive took the request's customer from the queue (written under the
    /// executive's name).
    pub const AGENT_TOOK: &str = "El ejecutivo tomó la solicitud desde la fila de espera.";
    /// [`AGENT_TOOK`], after `previous` disconnected mid-chat (the requeue's own entry,
    /// written by another connection, may land before or after this one).
    pub fn agent_took(previous: Option<&str>) -> Cow<'static, str> {
        match previous {
            Some(previous) => Cow::Owned(format!(
                "El ejecutivo tomó la solicitud desde la fila de espera, tras la desconexión del ejecutivo {previous}."
            )),
            None => Cow::Borrowed(AGENT_TOOK),
        }
    }
    /// A request's subject changed (written by the store, under the author of the change).
    pub fn subject_changed(subject: &str) -> String {
        format!("Asunto cambiado a {subject}")
    }
    /// A request's state changed (written by the store, under the author of the change).
    pub fn state_changed(state: impl Display) -> String {
        format!("Estado cambiado a {state}")
    }
    /// Whether `text` is a [`contact_asked`] entry.
    pub fn is_contact_asked(text: &str) -> bool {
        text.starts_with(CONTACT_ASKED)
    }
    /// Whether `text` is an [`agent_took`] entry.
    pub fn is_agent_took(text: &str) -> bool {
        text.starts_with(AGENT_TOOK.trim_end_matches('.'))
    }
    /// An executive ended the chat.
    pub const AGENT_CLOSED: &str = "Conversación finalizada por el ejecutivo.";
    /// The customer had left and the executive did not close the chat within `limit`: it
    /// left the executive's desk (`--wrap-up-limit`).
    pub fn wrap_up_expired(limit: std::time::Duration) -> String {
        let limit = super::span_words(limit);
        format!("Conversación finalizada: pasaron {limit} sin cierre del ejecutivo.")
    }
    /// The end of [`agent_left`].
    const REQUEUED: &str = "se desconectó; el cliente volvió a la fila de espera.";
    /// The executive's connection ended mid-chat and the customer went back to the queue.
    pub fn agent_left(agent: &str) -> String {
        format!("El ejecutivo {agent} {REQUEUED}")
    }
    /// Whether `text` is an [`agent_left`] entry.
    pub fn is_requeue(text: &str) -> bool {
        text.ends_with(REQUEUED)
    }
    /// Found at the customer's next login: the server stopped without notice (a crash, a
    /// `kill -9`) during the request's wait or chat, and wrote no end.
    pub const CUT_SHORT: &str = "La atención se cortó porque el servicio se detuvo sin aviso; se le informó al cliente al volver.";
    /// Whether `text` ends a wait or a chat: the customer left, ended, was taken over or
    /// timed out, the executive closed it, the server stopped, or a stop without notice was
    /// found.
    pub fn ends_attention(text: &str) -> bool {
        [
            DISCONNECTED,
            IDLE_CLOSED,
            SERVER_STOPPED,
            LEFT_QUEUE,
            QUEUE_IDLE,
            LEFT_QUEUE_SERVED,
            QUEUE_IDLE_SERVED,
            ENDED_CHAT,
            TAKEN_OVER_CHAT_ENDED,
            AGENT_CLOSED,
            CUT_SHORT,
        ]
        .contains(&text)
    }
}

/// "1 mensaje", "2 mensajes".
fn messages_count(n: usize) -> String {
    format!("{n} {}", plural(n, "mensaje", "mensajes"))
}

/// A span the desk promises ("2 minutos", "90 segundos"), exact: whole minutes when it
/// is a multiple of a minute, else seconds (at least 1).
pub(crate) fn span_words(span: Duration) -> String {
    match span.as_secs().max(1) {
        seconds if seconds % 60 == 0 => {
            let minutes = seconds / 60;
            format!(
                "{minutes} {}",
                plural(minutes as usize, "minuto", "minutos")
            )
        }
        seconds => format!(
            "{seconds} {}",
            plural(seconds as usize, "segundo", "segundos")
        ),
    }
}

/// `one` for a count of 1, else `many`.
pub(crate) fn plural(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_promised_span_is_said_exactly() {
        for (seconds, words) in [
            (120, "2 minutos"),
            (60, "1 minuto"),
            (90, "90 segundos"),
            (1, "1 segundo"),
            (0, "1 segundo"),
        ] {
            assert_eq!(span_words(Duration::from_secs(seconds)), words);
        }
    }

    #[test]
    fn a_chat_item_never_calls_an_ended_chat_active() {
        let item = |active, left| agent::chat_item(1, "Jorge", "12.345.678-5", 7, active, left);
        assert!(item(true, false).ends_with("solicitud 7 (activa)"));
        assert!(item(true, true).ends_with("solicitud 7 (actual; el cliente se fue)"));
        assert!(item(false, true).ends_with("solicitud 7 (el cliente se fue)"));
        assert!(item(false, false).ends_with("solicitud 7"));
    }

    #[test]
    fn prefixes_are_the_speakers() {
        assert_eq!(BOT, format!("{BOT_NAME}: "));
        assert_eq!(SYSTEM, format!("{SYSTEM_NAME}: "));
        assert!(customer::GREETING.starts_with(BOT));
        assert!(agent::GREETING.starts_with(SYSTEM));
        assert_eq!(customer::MENU[3], customer::MENU_LAST);
    }

    #[test]
    fn attempts_left_agree_in_number() {
        assert!(customer::serial_mismatch(1).contains("Le queda 1 intento ("));
        assert!(customer::serial_mismatch(2).contains("Le quedan 2 intentos ("));
    }

    #[test]
    fn waits_are_said_in_rounded_minutes() {
        let table = [
            (0, "menos de un minuto"),
            (59, "menos de un minuto"),
            (60, "alrededor de un minuto"),
            (89, "alrededor de un minuto"),
            (90, "unos 2 minutos"),
            (600, "unos 10 minutos"),
            (3 * 3600, "unos 180 minutos"),
        ];
        for (seconds, said) in table {
            assert_eq!(
                customer::wait_estimate(std::time::Duration::from_secs(seconds)),
                format!(
                    "{}{said}, según las últimas atenciones.",
                    customer::WAIT_ESTIMATE_START
                )
            );
        }
    }

    #[test]
    fn markers_start_their_sentences() {
        let table = [
            (customer::hello("Ana"), customer::HELLO_START),
            (
                customer::chat_ended("Ana", 9, Some("cerrado")),
                customer::CHAT_ENDED_START,
            ),
            (customer::assigned("Juan", 9), customer::ASSIGNED_START),
            (customer::enqueued(2), customer::ENQUEUED_START),
            (customer::no_agents(9), customer::NO_AGENTS_START),
            (customer::left_queue(9), customer::LEFT_QUEUE_START),
            (
                customer::queue_idle(std::time::Duration::from_secs(1800), 9),
                customer::QUEUE_IDLE_START,
            ),
            (
                customer::queue_idle_kept(std::time::Duration::from_secs(3), 9),
                customer::QUEUE_IDLE_START,
            ),
            (customer::left_queue_kept(9), customer::LEFT_QUEUE_START),
            (agent::tokens_locked_for(2), agent::TOKENS_LOCKED_START),
            (customer::restarted(9), customer::RESTARTED_START),
            (customer::queue_position(2), customer::QUEUE_POSITION_START),
            (customer::invalid_rut("x"), customer::INVALID_RUT_START),
            (
                customer::wait_estimate(std::time::Duration::from_secs(600)),
                customer::WAIT_ESTIMATE_START,
            ),
            (
                customer::serial_mismatch(2),
                customer::SERIAL_MISMATCH_START,
            ),
            (
                customer::clarify((1, "a"), (2, "b")),
                customer::CLARIFY_START,
            ),
            (customer::yes_no(1, 2), customer::YES_NO_START),
            (
                agent::new_customer("Ana", "1-9", 3),
                agent::NEW_CUSTOMER_START,
            ),
            (agent::welcome("Ana", 0), agent::WELCOME_START),
            (agent::customer_ended("Ana"), agent::CUSTOMER_LEFT_START),
            (
                agent::customer_disconnected("Ana"),
                agent::CUSTOMER_LEFT_START,
            ),
        ];
        for (line, marker) in table {
            assert!(line.starts_with(marker), "{line:?} / {marker:?}");
        }
        assert!(customer::not_registered("1-9").contains(customer::NOT_REGISTERED_MARK));
        assert!(agent::name_taken_at_login("Ana").contains(agent::NAME_TAKEN_MARK));
        assert!(agent::name_taken("Ana").contains(agent::NAME_TAKEN_MARK));
        assert!(customer::ask_again("x", 2).ends_with(customer::ASK_AGAIN_END));
        assert!(
            notice::line(BOT_NAME, notice::FLOOD_WARNING).starts_with(notice::FLOOD_WARNING_START)
        );
    }

    /// The seed's own sentences, kept word for word (the first version of the product
    /// said them; they mix registers and lack opening marks, and stay as they are).
    const SEED: [&str; 9] = [
        "Hola! Bienvenido, Ingrese su RUT",
        "(1) Revisar atenciones anteriores.",
        "(2) Reiniciar servicios.",
        "(3) Contactar a un ejecutivo",
        "Hola {first_name}, en qué te podemos ayudar?",
        "en qué más lo podemos ayudar.",
        "Gracias por contactarnos, que tenga un buen día.",
        "Estamos redirigiendo a un asistente, usted está número {position} en la fila.",
        "(4) Salir",
    ];

    /// Words that only *tú* uses (pronouns, possessives and verb forms that cannot be
    /// read as *usted*'s third person). Forms shared by both registers ("escribe", "elige",
    /// "espera": *tú*'s imperative is also *usted*'s present) cannot be told apart here.
    const TU_WORDS: [&str; 22] = [
        "tú",
        "te",
        "ti",
        "tu",
        "tus",
        "contigo",
        "tienes",
        "quieres",
        "puedes",
        "deseas",
        "necesitas",
        "estás",
        "eres",
        "has",
        "hiciste",
        "cuéntame",
        "dime",
        "escríbelo",
        "escríbeme",
        "ingrésalo",
        "elígelo",
        "cuéntanos",
    ];

    /// The string literals of the catalogue's source (outside this test module and
    /// comments), escapes left as written.
    fn catalogue_literals() -> Vec<String> {
        let source = include_str!("protocol.rs");
        let source = &source[..source.find("#[cfg(test)]").expect("test module")];
        let code: String = source
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let mut literals = Vec::new();
        let mut chars = code.chars();
        let mut current: Option<String> = None;
        while let Some(c) = chars.next() {
            match (&mut current, c) {
                (None, '"') => current = Some(String::new()),
                (Some(text), '"') => {
                    literals.push(text.clone());
                    current = None;
                }
                (Some(text), '\\') => {
                    text.push('\\');
                    text.extend(chars.next());
                }
                (Some(text), c) => text.push(c),
                (None, _) => {}
            }
        }
        literals
    }

    /// Removes `{...}` placeholders (their format specs may hold a `?`).
    fn without_placeholders(text: &str) -> String {
        let mut out = String::new();
        let mut depth = 0;
        for c in text.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                c if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out
    }

    /// What the register check reads besides the catalogue's literals: the complaint
    /// topics the bot says back and the RUT errors it explains.
    fn other_sentences() -> Vec<String> {
        let mut sentences: Vec<String> = crate::nlu::Topic::ALL
            .iter()
            .map(|topic| customer::confirm_contact(topic.label()))
            .collect();
        for input in ["hola", "123-4", "12.345.678-9"] {
            let err = input.parse::<crate::rut::Rut>().expect_err(input);
            sentences.push(customer::invalid_rut(err));
        }
        sentences
    }

    #[test]
    fn the_seed_sentences_stay_word_for_word() {
        let literals = catalogue_literals();
        for seed in SEED {
            assert!(
                literals.iter().any(|l| l.contains(seed)),
                "the seed's sentence {seed:?} is gone from the catalogue"
            );
        }
        assert_eq!(
            customer::hello("Jorge"),
            "Asistente: Hola Jorge, en qué te podemos ayudar?"
        );
    }

    /// What is wrong with `sentence`'s register, if anything: a word only *tú* uses, or a
    /// closing `?`/`!` without its opening mark. The seed's sentences are taken out first.
    fn register_fault(sentence: &str) -> Option<String> {
        let mut text = without_placeholders(sentence);
        for seed in SEED {
            text = text.replace(&without_placeholders(seed), "");
        }
        let tu = text
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .find(|word| TU_WORDS.contains(&word.as_str()));
        if let Some(word) = tu {
            return Some(format!("speaks tú ({word:?})"));
        }
        for (open, close) in [('¿', '?'), ('¡', '!')] {
            let mut unclosed = 0;
            for c in text.chars() {
                if c == open {
                    unclosed += 1;
                } else if c == close {
                    if unclosed == 0 {
                        return Some(format!("{close:?} without {open:?}"));
                    }
                    unclosed -= 1;
                }
            }
        }
        None
    }

    #[test]
    fn every_other_sentence_speaks_usted_with_opening_marks() {
        let literals = catalogue_literals();
        assert!(
            literals.len() > 150,
            "the scan found {} literals",
            literals.len()
        );
        for sentence in literals.into_iter().chain(other_sentences()) {
            if let Some(fault) = register_fault(&sentence) {
                panic!("{sentence:?} {fault}; the bot speaks usted, with opening marks");
            }
        }
    }

    #[test]
    fn the_register_check_refuses_tu_and_missing_marks() {
        let table = [
            ("Entendido. ¿En qué te podemos ayudar?", true),
            ("Entendido. ¿En qué lo podemos ayudar?", false),
            ("Si quieres, escribe \"volver\".", true),
            ("Ya puedes ver tus solicitudes.", true),
            ("Hola, qué necesita?", true),
            ("Listo!", true),
            ("¡Listo! ¿Algo más?", false),
            ("Debug: {line:?} {err:?}", false),
            ("{BOT}Hola {first_name}, en qué te podemos ayudar?", false),
            ("Hola! Bienvenido, Ingrese su RUT", false),
            (":switch <n> elige a quién escribe.", false),
        ];
        for (sentence, faulty) in table {
            assert_eq!(register_fault(sentence).is_some(), faulty, "{sentence:?}");
        }
    }
}
