//! The customer's conversation with the bot: login by RUT, the menu, the request list, the
//! queue for an executive and the live chat.

use tokio_util::sync::CancellationToken;

use super::{Reply, Services};
use crate::hub::{CustomerEvent, HubError, Outbox, Routed, SessionId, Ticket};
use crate::nlu::{self, Decision, Intent, Prediction};
use crate::registry::{Customer, Request, RequestId, RequestState};
use crate::rut::Rut;
use crate::text::sanitize;

/// How the server should time out an idle customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Has not logged in yet.
    Login,
    /// Talking to the bot or an executive.
    Active,
    /// Waiting in the executives' queue: never timed out.
    Waiting,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    AwaitRut,
    AwaitName {
        rut: Rut,
    },
    Menu,
    Choosing {
        requests: Vec<(RequestId, String)>,
    },
    AwaitSerial {
        request: RequestId,
        answer: String,
    },
    Clarify {
        first: Intent,
        second: Intent,
    },
    Queued {
        request: RequestId,
        told_backlog: bool,
    },
    Chatting {
        request: RequestId,
        agent: String,
    },
    Closed,
}

/// One customer's conversation.
pub struct CustomerConversation {
    session: SessionId,
    outbox: Outbox<CustomerEvent>,
    phase: Phase,
    customer: Option<Customer>,
    login_attempts: u32,
    serial_attempts: u32,
    verified: bool,
    /// A prediction computed ahead by the server (on the model's worker threads) for the
    /// line being handled.
    precomputed: Option<(String, Prediction)>,
}

const MENU: [&str; 4] = [
    "(1) Revisar atenciones anteriores.",
    "(2) Reiniciar servicios.",
    "(3) Contactar a un ejecutivo",
    "(4) Salir",
];

const MORE_HELP: &str = "en qué más lo podemos ayudar.";
const GOODBYE: &str = "Gracias por contactarnos, que tenga un buen día.";
/// The answer to a "no" (to a question, or to an option the customer did not want).
const DECLINED: &str = "Entendido. ¿En qué te podemos ayudar?";
const APOLOGY: &str =
    "Lo sentimos, tuvimos un problema técnico y no pudimos completar su solicitud. Intente nuevamente más tarde.";

impl CustomerConversation {
    /// A new conversation for `session`; hub events for it go to `events`, and `kick`
    /// is cancelled when it cannot keep up with them.
    pub fn new(
        session: SessionId,
        events: tokio::sync::mpsc::Sender<CustomerEvent>,
        kick: CancellationToken,
    ) -> CustomerConversation {
        CustomerConversation {
            session,
            outbox: Outbox::new(events, kick),
            phase: Phase::AwaitRut,
            customer: None,
            login_attempts: 0,
            serial_attempts: 0,
            verified: false,
            precomputed: None,
        }
    }

    /// The logged-in customer, if any.
    pub fn customer(&self) -> Option<&Customer> {
        self.customer.as_ref()
    }

    /// How the server should time out this conversation now.
    pub fn idle(&self) -> Idle {
        match self.phase {
            Phase::AwaitRut | Phase::AwaitName { .. } => Idle::Login,
            Phase::Queued { .. } => Idle::Waiting,
            _ => Idle::Active,
        }
    }

    /// Whether the conversation has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether handling `line` now would run the classifier (free text at the menu, in the
    /// request list or in a clarification). The server then classifies it off the async
    /// runtime when the classifier is expensive, and passes the result to
    /// [`handle_line_classified`](Self::handle_line_classified).
    pub fn wants_classification(&self, line: &str) -> bool {
        let text = line.trim();
        let free_text = !text.is_empty() && menu_number(text).is_none();
        free_text
            && matches!(
                self.phase,
                Phase::Menu | Phase::Clarify { .. } | Phase::Choosing { .. }
            )
    }

    /// Like [`handle_line`](Self::handle_line), with the classifier's prediction for the
    /// line already computed.
    pub async fn handle_line_classified(
        &mut self,
        line: &str,
        prediction: Prediction,
        services: &Services,
    ) -> Reply {
        self.precomputed = Some((line.trim().to_string(), prediction));
        let reply = self.handle_line(line, services).await;
        self.precomputed = None;
        reply
    }

    /// Classifies free text, using the prediction computed ahead when there is one.
    fn classify(&mut self, text: &str, services: &Services) -> Prediction {
        match self.precomputed.take() {
            Some((line, prediction)) if line == text => prediction,
            _ => services.classifier.classify(text),
        }
    }

    /// Handles one line from the customer.
    pub async fn handle_line(&mut self, line: &str, services: &Services) -> Reply {
        let mut reply = Reply::default();
        let text = line.trim();
        match std::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::AwaitRut => self.on_rut(text, services, &mut reply).await,
            Phase::AwaitName { rut } => self.on_name(rut, text, services, &mut reply).await,
            Phase::Menu => self.on_menu(text, services, &mut reply).await,
            Phase::Choosing { requests } => {
                self.on_choice(requests, text, services, &mut reply).await
            }
            Phase::AwaitSerial { request, answer } => {
                self.on_serial(request, answer, text, services, &mut reply)
            }
            Phase::Clarify { first, second } => {
                self.on_clarify(first, second, text, services, &mut reply)
                    .await
            }
            Phase::Queued {
                request,
                told_backlog,
            } => {
                self.on_queued(request, told_backlog, text, services, &mut reply)
                    .await
            }
            Phase::Chatting { request, agent } => {
                self.on_chat(request, agent, text, services, &mut reply)
                    .await
            }
            Phase::Closed => reply.close = true,
        }
        if self.phase == Phase::Closed {
            reply.close = true;
        }
        reply
    }

    /// Handles an event from the hub (queue moves, executive messages...).
    pub fn handle_event(&mut self, event: CustomerEvent, _services: &Services) -> Reply {
        let mut reply = Reply::default();
        let request = match &self.phase {
            Phase::Queued { request, .. } | Phase::Chatting { request, .. } => *request,
            // Stale event for a conversation that already left the queue or the chat.
            _ => return reply,
        };
        match event {
            CustomerEvent::QueuePosition(position) => {
                reply.bot(format!("Usted está número {position} en la fila."));
            }
            CustomerEvent::Assigned { agent } => {
                reply.bot(format!(
                    "Lo atiende el ejecutivo {agent}. Escriba \"salir\" para terminar la conversación."
                ));
                self.phase = Phase::Chatting { request, agent };
            }
            CustomerEvent::FromAgent { agent, text } => {
                reply.line(format!("{agent}: {text}"));
            }
            CustomerEvent::AgentRenamed { agent } => {
                reply.bot(format!("Su ejecutivo ahora se identifica como {agent}."));
                self.phase = Phase::Chatting { request, agent };
            }
            CustomerEvent::ServicesRestarted { agent } => {
                reply.bot(format!(
                    "El ejecutivo {agent} reinició sus servicios (Internet, TV y Telefonía)."
                ));
            }
            CustomerEvent::ChatEnded { agent } => {
                reply.bot(format!("El ejecutivo {agent} finalizó la conversación."));
                self.menu(false, &mut reply);
            }
            CustomerEvent::AgentLeft { agent } => {
                reply.bot(format!(
                    "El ejecutivo {agent} se desconectó. Lo dejamos primero en la fila para el próximo ejecutivo."
                ));
                self.phase = Phase::Queued {
                    request,
                    told_backlog: true,
                };
            }
        }
        reply
    }

    /// The connection ended: leaves the hub and prints the console line.
    pub fn disconnected(&mut self, services: &Services) {
        services.hub.customer_gone(self.session);
        if let Phase::Queued { request, .. } | Phase::Chatting { request, .. } = self.phase {
            // Called when the connection's task ends (possibly from a `Drop`): the history
            // entry is written by a task of its own.
            let registry = services.registry.clone();
            let record = async move {
                if let Err(err) = registry
                    .append_history(request, "Asistente", "El cliente se desconectó.")
                    .await
                {
                    tracing::error!(cause = %err, request, "recording a disconnection");
                }
            };
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(record)),
                Err(_) => tracing::error!(request, "disconnection not recorded: no runtime"),
            }
        }
        if let Some(customer) = &self.customer {
            services
                .console
                .print(&format!("Cliente {} desconectado.", customer.name));
        }
        self.phase = Phase::Closed;
    }

    // --- login ---------------------------------------------------------------------------

    async fn on_rut(&mut self, text: &str, services: &Services, reply: &mut Reply) {
        self.phase = Phase::AwaitRut;
        if text.is_empty() {
            reply.bot("Ingrese su RUT, por ejemplo 12.345.678-5.");
            return;
        }
        if wants_out(text) {
            return self.goodbye(reply);
        }
        match text.parse::<Rut>() {
            Ok(rut) => self.login(rut, services, reply).await,
            Err(err) => {
                reply.bot(format!("RUT inválido: {err}. Intente nuevamente."));
                self.failed_attempt(services, reply);
            }
        }
    }

    fn failed_attempt(&mut self, services: &Services, reply: &mut Reply) {
        self.login_attempts += 1;
        if self.login_attempts >= services.policy.max_login_attempts {
            reply.bot("Demasiados intentos fallidos. Por seguridad cerramos la conexión.");
            self.phase = Phase::Closed;
        }
    }

    async fn login(&mut self, rut: Rut, services: &Services, reply: &mut Reply) {
        let customer = match services.registry.customer(rut).await {
            Ok(customer) => customer,
            Err(err) => {
                tracing::error!(cause = %err, "looking up a customer");
                reply.bot(APOLOGY);
                return;
            }
        };
        let Some(customer) = customer else {
            reply.bot(format!(
                "El RUT {rut} no está registrado como cliente. Si desea registrarse, escriba su nombre completo; o ingrese otro RUT."
            ));
            self.phase = Phase::AwaitName { rut };
            self.failed_attempt(services, reply);
            return;
        };
        if let Err(HubError::AlreadyLoggedIn(_)) = services.hub.login(rut, self.session) {
            reply.bot(format!(
                "Ya hay una sesión activa con el RUT {rut}. Ciérrela antes de ingresar nuevamente, o ingrese otro RUT."
            ));
            self.phase = Phase::AwaitRut;
            self.failed_attempt(services, reply);
            return;
        }
        services
            .console
            .print(&format!("Cliente {} conectado.", customer.name));
        reply.bot(format!(
            "Hola {}, en qué te podemos ayudar?",
            customer.first_name()
        ));
        self.customer = Some(customer);
        self.phase = Phase::Menu;
        show_menu(reply);
    }

    async fn on_name(&mut self, rut: Rut, text: &str, services: &Services, reply: &mut Reply) {
        if let Ok(other) = text.parse::<Rut>() {
            return self.login(other, services, reply).await;
        }
        self.phase = Phase::AwaitName { rut };
        if wants_out(text) {
            return self.goodbye(reply);
        }
        let Some(name) = valid_name(text) else {
            reply.bot("Escriba su nombre completo (solo letras), o ingrese otro RUT.");
            return;
        };
        match services.registry.register_customer(rut, &name).await {
            Ok(_) => {
                reply.bot(format!("Lo registramos como cliente con el RUT {rut}."));
                self.login(rut, services, reply).await;
            }
            Err(err) => {
                tracing::error!(cause = %err, "registering a customer");
                reply.bot(APOLOGY);
            }
        }
    }

    // --- the menu ------------------------------------------------------------------------

    fn menu(&mut self, first: bool, reply: &mut Reply) {
        if first {
            let name = self.customer.as_ref().map_or("", |c| c.first_name());
            reply.bot(format!("Hola {name}, en qué te podemos ayudar?"));
        } else {
            reply.bot(MORE_HELP);
        }
        show_menu(reply);
        self.phase = Phase::Menu;
    }

    async fn on_menu(&mut self, text: &str, services: &Services, reply: &mut Reply) {
        self.phase = Phase::Menu;
        if text.is_empty() {
            reply.bot("No recibí ningún mensaje. Escriba el número de una opción (1 a 4) o cuénteme qué necesita.");
            return;
        }
        if let Some(number) = menu_number(text) {
            match Intent::from_option(number) {
                Some(intent) => return self.choose(intent, services, reply).await,
                None => {
                    reply.bot(format!(
                        "La opción {number} no existe. Elija un número del 1 al 4."
                    ));
                    show_menu(reply);
                    return;
                }
            }
        }
        self.free_text(text, services, reply).await;
    }

    /// Routes free text typed at the menu through the classifier.
    async fn free_text(&mut self, text: &str, services: &Services, reply: &mut Reply) {
        let prediction = self.classify(text, services);
        if let Some(number) = nlu::request_number(text) {
            let about_requests = matches!(
                prediction.decision,
                Decision::Intent(Intent::RevisarAtenciones)
                    | Decision::Fallback
                    | Decision::Clarify(..)
            );
            if about_requests {
                return self.show_request(number, services, reply).await;
            }
        }
        match prediction.decision {
            Decision::Intent(intent) => self.choose(intent, services, reply).await,
            Decision::Clarify(first, second) => {
                reply.bot(format!(
                    "No estoy seguro de haber entendido. ¿Quiso decir ({}) {} o ({}) {}?",
                    first.option().unwrap_or(0),
                    first.label(),
                    second.option().unwrap_or(0),
                    second.label()
                ));
                self.phase = Phase::Clarify { first, second };
            }
            // "no quiero hablar con un ejecutivo" was understood: it asks for none of
            // the options.
            Decision::Fallback if nlu::declines(text) => {
                reply.bot(DECLINED);
                show_menu(reply);
            }
            Decision::Fallback => {
                reply.bot("No entendí su mensaje. Puede escribir el número de una opción o contarme con sus palabras qué necesita.");
                show_menu(reply);
            }
        }
    }

    async fn on_clarify(
        &mut self,
        first: Intent,
        second: Intent,
        text: &str,
        services: &Services,
        reply: &mut Reply,
    ) {
        self.phase = Phase::Menu;
        if menu_number(text).is_some() {
            return self.on_menu(text, services, reply).await;
        }
        match nlu::yes_no(text) {
            Some(true) => self.choose(first, services, reply).await,
            Some(false) => {
                reply.bot(DECLINED);
                show_menu(reply);
            }
            None if text.is_empty() => {
                reply.bot(format!(
                    "Responda sí o no, o escriba {} o {}.",
                    first.option().unwrap_or(0),
                    second.option().unwrap_or(0)
                ));
                self.phase = Phase::Clarify { first, second };
            }
            None => self.free_text(text, services, reply).await,
        }
    }

    async fn choose(&mut self, intent: Intent, services: &Services, reply: &mut Reply) {
        match intent {
            Intent::RevisarAtenciones => self.list_requests(services, reply).await,
            Intent::ReiniciarServicios => self.restart_services(services, reply).await,
            Intent::ContactarEjecutivo => self.contact_agent(services, reply).await,
            Intent::Salir => self.goodbye(reply),
            Intent::Fallback => self.menu(false, reply),
        }
    }

    fn goodbye(&mut self, reply: &mut Reply) {
        reply.bot(GOODBYE);
        self.phase = Phase::Closed;
    }

    // --- option 1: earlier requests --------------------------------------------------------

    async fn list_requests(&mut self, services: &Services, reply: &mut Reply) {
        let Some(customer) = &self.customer else {
            return;
        };
        let requests = match services.registry.requests_of(customer.rut).await {
            Ok(requests) => requests,
            Err(err) => {
                tracing::error!(cause = %err, "listing requests");
                reply.bot(APOLOGY);
                return self.menu(false, reply);
            }
        };
        if requests.is_empty() {
            reply.bot("No tiene solicitudes registradas.");
            return self.menu(false, reply);
        }
        reply.bot("Estas son sus solicitudes:");
        for (i, request) in requests.iter().enumerate() {
            reply.line(format!(
                "({}) Solicitud {}: {}",
                i + 1,
                request.id,
                request.subject
            ));
        }
        reply.bot(
            "¿Cuál desea revisar? Escriba su posición o el número de solicitud (o \"volver\").",
        );
        self.phase = Phase::Choosing {
            requests: requests.into_iter().map(|r| (r.id, r.subject)).collect(),
        };
    }

    async fn on_choice(
        &mut self,
        requests: Vec<(RequestId, String)>,
        text: &str,
        services: &Services,
        reply: &mut Reply,
    ) {
        let ask_again = |reply: &mut Reply, why: &str| {
            reply.bot(format!(
                "{why} Escriba la posición (1 a {}) o el número de solicitud, o \"volver\" para ir al menú.",
                requests.len()
            ));
        };
        if let Ok(number) = text
            .trim_start_matches('(')
            .trim_end_matches([')', '.'])
            .parse::<u64>()
        {
            let by_position = usize::try_from(number)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| requests.get(i));
            if let Some((id, _)) =
                by_position.or_else(|| requests.iter().find(|(id, _)| *id == number))
            {
                return self.show_request(*id, services, reply).await;
            }
            ask_again(reply, "No encontramos esa solicitud entre las suyas.");
            self.phase = Phase::Choosing { requests };
            return;
        }
        if text.is_empty() {
            ask_again(reply, "No recibí ningún mensaje.");
            self.phase = Phase::Choosing { requests };
            return;
        }
        if nlu::is_cancel(text) || nlu::yes_no(text) == Some(false) {
            return self.menu(false, reply);
        }
        if let Some(number) = nlu::request_number(text) {
            if requests.iter().any(|(id, _)| *id == number) {
                return self.show_request(number, services, reply).await;
            }
        }
        let subjects: Vec<&str> = requests
            .iter()
            .map(|(_, subject)| subject.as_str())
            .collect();
        if let Some(index) = nlu::pick_by_description(text, &subjects) {
            return self.show_request(requests[index].0, services, reply).await;
        }
        // Perhaps they changed their mind ("mejor quiero hablar con un ejecutivo").
        if let Decision::Intent(intent) = self.classify(text, services).decision {
            if intent != Intent::RevisarAtenciones {
                return self.choose(intent, services, reply).await;
            }
        }
        ask_again(reply, "No reconocí cuál solicitud busca.");
        self.phase = Phase::Choosing { requests };
    }

    /// Shows one of the customer's requests (chosen in the list or named by its number
    /// anywhere in the conversation); a number that is not the customer's gets the same
    /// answer as one that does not exist.
    async fn show_request(&mut self, id: RequestId, services: &Services, reply: &mut Reply) {
        let Some(customer) = self.customer.clone() else {
            return;
        };
        let request = match services.registry.request(id).await {
            Ok(Some(request)) if request.rut == customer.rut => request,
            Ok(_) => {
                reply.bot(format!(
                    "No encontramos la solicitud {id} entre sus solicitudes."
                ));
                return self.menu(false, reply);
            }
            Err(err) => {
                tracing::error!(cause = %err, "reading a request");
                reply.bot(APOLOGY);
                return self.menu(false, reply);
            }
        };
        describe(&request, reply);
        services.registry.record_consultation(id, "chat");
        match request.answer {
            Some(answer) if request.sensitive && self.needs_second_factor(services) => {
                if self.serial_attempts >= services.policy.max_serial_attempts {
                    reply.bot("Por seguridad no podemos mostrar la respuesta en esta sesión. Contacte a un ejecutivo.");
                    return self.menu(false, reply);
                }
                reply.bot(
                    "Para ver la respuesta, ingrese el número de serie de su cédula de identidad.",
                );
                self.phase = Phase::AwaitSerial {
                    request: id,
                    answer,
                };
            }
            Some(answer) => {
                reply.bot(answer);
                self.menu(false, reply);
            }
            None => self.menu(false, reply),
        }
    }

    fn needs_second_factor(&self, services: &Services) -> bool {
        let has_serial = self
            .customer
            .as_ref()
            .is_some_and(|c| c.id_serial.is_some());
        services.policy.second_factor && has_serial && !self.verified
    }

    fn on_serial(
        &mut self,
        request: RequestId,
        answer: String,
        text: &str,
        services: &Services,
        reply: &mut Reply,
    ) {
        if nlu::is_cancel(text) {
            return self.menu(false, reply);
        }
        let expected = self
            .customer
            .as_ref()
            .and_then(|c| c.id_serial.as_deref())
            .map(normalise_serial);
        if expected.is_some_and(|expected| expected == normalise_serial(text)) {
            self.verified = true;
            reply.bot(answer);
            return self.menu(false, reply);
        }
        self.serial_attempts += 1;
        let left = services
            .policy
            .max_serial_attempts
            .saturating_sub(self.serial_attempts);
        if left == 0 {
            tracing::warn!(request, "second factor locked after wrong serial numbers");
            reply.bot("El número de serie no coincide. Por seguridad no mostraremos la respuesta en esta sesión.");
            return self.menu(false, reply);
        }
        reply.bot(format!(
            "El número de serie no coincide. Le quedan {left} intentos (o escriba \"volver\")."
        ));
        self.phase = Phase::AwaitSerial { request, answer };
    }

    // --- option 2: restart -----------------------------------------------------------------

    async fn restart_services(&mut self, services: &Services, reply: &mut Reply) {
        let Some(customer) = &self.customer else {
            return;
        };
        reply.bot("Reiniciando sus servicios (Internet, TV y Telefonía)...");
        match services
            .registry
            .create_request(
                customer.rut,
                "Reinicio de servicios",
                RequestState::Cerrado,
                "Asistente",
                "Reinicio remoto de Internet, TV y Telefonía completado.",
            )
            .await
        {
            Ok(request) => {
                services
                    .console
                    .print(&format!("Reinicio Servicios Cliente {}.", customer.name));
                reply.bot(format!(
                    "Listo: sus servicios fueron reiniciados. Registramos la solicitud {}.",
                    request.id
                ));
            }
            Err(err) => {
                tracing::error!(cause = %err, "recording a restart");
                reply.bot(APOLOGY);
            }
        }
        self.menu(false, reply);
    }

    // --- option 3: an executive ------------------------------------------------------------

    async fn contact_agent(&mut self, services: &Services, reply: &mut Reply) {
        let Some(customer) = self.customer.clone() else {
            return;
        };
        let request = match services
            .registry
            .create_request(
                customer.rut,
                "Contacto con ejecutivo",
                RequestState::Abierto,
                "Asistente",
                "El cliente pidió hablar con un ejecutivo.",
            )
            .await
        {
            Ok(request) => request,
            Err(err) => {
                tracing::error!(cause = %err, "recording a contact request");
                reply.bot(APOLOGY);
                return self.menu(false, reply);
            }
        };
        self.phase = Phase::Queued {
            request: request.id,
            told_backlog: false,
        };
        let enqueued = services.hub.enqueue(Ticket {
            session: self.session,
            name: customer.name.clone(),
            rut: customer.rut,
            request: request.id,
            outbox: self.outbox.clone(),
        });
        reply.bot(format!(
            "Estamos redirigiendo a un asistente, usted está número {} en la fila.",
            enqueued.position
        ));
        if enqueued.agents_online == 0 {
            reply.bot(format!(
                "En este momento no hay ejecutivos conectados. Puede esperar o escribir \"cancelar\" para volver al menú; su solicitud {} quedó registrada.",
                request.id
            ));
        }
    }

    async fn on_queued(
        &mut self,
        request: RequestId,
        told_backlog: bool,
        text: &str,
        services: &Services,
        reply: &mut Reply,
    ) {
        self.phase = Phase::Queued {
            request,
            told_backlog,
        };
        if text.is_empty() {
            return;
        }
        if nlu::is_cancel(text) || text == "4" {
            match services.hub.leave_queue(self.session) {
                Ok(()) => {
                    reply.bot(format!(
                        "Salió de la fila. Su solicitud {request} quedó registrada."
                    ));
                    if let Err(err) = services
                        .registry
                        .append_history(request, "Asistente", "El cliente dejó la fila de espera.")
                        .await
                    {
                        tracing::error!(cause = %err, request, "recording leaving the queue");
                    }
                    return self.menu(false, reply);
                }
                // An executive took them a moment ago: the assignment event is on its way.
                Err(_) => {
                    reply.bot("Un ejecutivo acaba de tomar su conversación.");
                    return;
                }
            }
        }
        let name = self
            .customer
            .as_ref()
            .map_or("Cliente", |c| c.name.as_str())
            .to_string();
        let text = sanitize(text);
        if let Err(err) = services
            .registry
            .append_transcript(request, &name, &text)
            .await
        {
            tracing::error!(cause = %err, request, "recording a queued message");
        }
        match services.hub.customer_says(self.session, &text) {
            Ok(Routed::Backlog) if !told_backlog => {
                reply.bot("Guardamos su mensaje: el ejecutivo lo leerá apenas lo atienda.");
                self.phase = Phase::Queued {
                    request,
                    told_backlog: true,
                };
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(cause = %err, "routing a queued message"),
        }
    }

    // --- the live chat ---------------------------------------------------------------------

    async fn on_chat(
        &mut self,
        request: RequestId,
        agent: String,
        text: &str,
        services: &Services,
        reply: &mut Reply,
    ) {
        self.phase = Phase::Chatting {
            request,
            agent: agent.clone(),
        };
        if text.is_empty() {
            return;
        }
        if is_leave_chat(text) {
            if services.hub.customer_ends_chat(self.session).is_ok() {
                if let Err(err) = services
                    .registry
                    .append_history(request, "Asistente", "El cliente terminó la conversación.")
                    .await
                {
                    tracing::error!(cause = %err, request, "recording the end of a chat");
                }
            }
            reply.bot(format!("Terminó la conversación con el ejecutivo {agent}."));
            return self.menu(false, reply);
        }
        let name = self
            .customer
            .as_ref()
            .map_or("Cliente", |c| c.name.as_str())
            .to_string();
        let text = sanitize(text);
        if let Err(err) = services
            .registry
            .append_transcript(request, &name, &text)
            .await
        {
            tracing::error!(cause = %err, request, "recording a chat line");
        }
        if let Err(err) = services.hub.customer_says(self.session, &text) {
            tracing::warn!(cause = %err, "routing a chat line");
        }
    }
}

/// Writes the four menu lines.
fn show_menu(reply: &mut Reply) {
    for line in MENU {
        reply.line(line);
    }
}

/// Writes a request's details.
fn describe(request: &Request, reply: &mut Reply) {
    reply.bot(format!("Solicitud {}: {}", request.id, request.subject));
    reply.line(format!("Estado: {}", request.state));
    reply.line("Historial:");
    for entry in &request.history {
        reply.line(format!(
            "  - {} {}: {}",
            entry.at.format("%Y-%m-%d %H:%M"),
            entry.author,
            entry.text
        ));
    }
}

/// A menu choice written as a number: `3`, `3.`, `(3)`, `opción 3`.
fn menu_number(text: &str) -> Option<u8> {
    let lower = text.to_lowercase();
    let stripped = lower
        .trim_start_matches("opcion")
        .trim_start_matches("opción")
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(['.', ')'])
        .trim();
    if stripped.len() > 2 {
        return None;
    }
    stripped.parse().ok()
}

/// "salir" and friends before logging in.
fn wants_out(text: &str) -> bool {
    matches!(
        text.to_lowercase().as_str(),
        "salir" | "chao" | "adios" | "adiós" | "4"
    )
}

fn is_leave_chat(text: &str) -> bool {
    matches!(
        text.to_lowercase()
            .trim_matches(|c: char| !c.is_alphanumeric()),
        "salir" | "terminar" | "finalizar" | "terminar chat" | "salir del chat"
    )
}

fn valid_name(text: &str) -> Option<String> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let ok = (2..=80).contains(&name.chars().count())
        && name.chars().any(char::is_alphabetic)
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '-' | '.'));
    ok.then_some(name)
}

fn normalise_serial(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
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
}
