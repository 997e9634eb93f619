//! The executive's side: authentication, the chat with the current customer and the
//! commands that edit the customer's request.

use std::fmt;

use thiserror::Error;
use tokio_util::sync::CancellationToken;

use super::{Reply, Services};
use crate::auth::token_matches;
use crate::hub::{AgentEvent, ChatInfo, HubError, Outbox, SessionId};
use crate::registry::{RegistryError, RequestState};
use crate::text::sanitize;

/// A command an executive types (lines starting with `:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCommand {
    /// `:subject <descripción>`
    Subject(String),
    /// `:state abierto|cerrado`
    State(RequestState),
    /// `:history <texto>`
    History(String),
    /// `:name <nombre>`
    Name(String),
    /// `:restart`
    Restart,
    /// `:close`: end the current conversation.
    Close,
    /// `:queue`: who is waiting.
    Queue,
    /// `:help`
    Help,
    /// `:quit`: disconnect.
    Quit,
    /// `:chats`: the executive's current conversations (with `--agent-capacity` above 1).
    Chats,
    /// `:switch <n>`: talk to the n-th current conversation.
    Switch(usize),
}

/// Why a command line was not understood. Displays as the usage line to show.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    /// The command needs an argument.
    #[error("Uso: {0}")]
    Usage(&'static str),
    /// No such command.
    #[error("Comando desconocido :{0}. Escriba :help para ver los comandos.")]
    Unknown(String),
}

const HELP: [&str; 11] = [
    ":subject <descripción>  cambia el asunto de la solicitud",
    ":state abierto|cerrado  cambia el estado de la solicitud",
    ":history <texto>        agrega una entrada al historial",
    ":name <nombre>          cambia su nombre visible",
    ":restart                reinicia los servicios del cliente",
    ":queue                  muestra la fila de espera",
    ":close                  termina la conversación actual",
    ":quit                   se desconecta",
    ":chats                  lista sus conversaciones actuales",
    ":switch <n>             conversa con la n-ésima conversación actual",
    ":help                   muestra esta ayuda",
];

impl AgentCommand {
    /// Parses a line that starts with `:`. The line is sanitised first, so a command and
    /// its arguments never carry control characters (they are echoed back and stored).
    pub fn parse(line: &str) -> Result<AgentCommand, CommandError> {
        let line = sanitize(line);
        let line = line.trim();
        let body = line.strip_prefix(':').unwrap_or(line);
        let (name, arg) = match body.split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (body, ""),
        };
        let needs = |usage: &'static str| -> Result<String, CommandError> {
            if arg.is_empty() {
                Err(CommandError::Usage(usage))
            } else {
                Ok(arg.to_string())
            }
        };
        match name.to_lowercase().as_str() {
            "subject" => needs(":subject <descripción>").map(AgentCommand::Subject),
            "history" => needs(":history <texto>").map(AgentCommand::History),
            "name" => {
                let name = needs(":name <nombre>")?;
                valid_agent_name(&name).ok_or(CommandError::Usage(
                    ":name <nombre> (una palabra de 1 a 32 letras, números, '.', '_' o '-')",
                ))?;
                Ok(AgentCommand::Name(name))
            }
            "state" => arg
                .parse()
                .map(AgentCommand::State)
                .map_err(|_| CommandError::Usage(":state abierto|cerrado")),
            "restart" => Ok(AgentCommand::Restart),
            "close" => Ok(AgentCommand::Close),
            "queue" => Ok(AgentCommand::Queue),
            "help" => Ok(AgentCommand::Help),
            "quit" => Ok(AgentCommand::Quit),
            "chats" => Ok(AgentCommand::Chats),
            "switch" => arg
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .map(AgentCommand::Switch)
                .ok_or(CommandError::Usage(":switch <n> (ver :chats)")),
            other => Err(CommandError::Unknown(other.to_string())),
        }
    }
}

impl fmt::Display for AgentCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentCommand::Subject(text) => write!(f, ":subject {text}"),
            AgentCommand::State(state) => write!(f, ":state {state}"),
            AgentCommand::History(text) => write!(f, ":history {text}"),
            AgentCommand::Name(name) => write!(f, ":name {name}"),
            AgentCommand::Restart => f.write_str(":restart"),
            AgentCommand::Close => f.write_str(":close"),
            AgentCommand::Queue => f.write_str(":queue"),
            AgentCommand::Help => f.write_str(":help"),
            AgentCommand::Quit => f.write_str(":quit"),
            AgentCommand::Chats => f.write_str(":chats"),
            AgentCommand::Switch(n) => write!(f, ":switch {n}"),
        }
    }
}

/// Executive display names: one word of 1 to 32 letters, digits, `.`, `_` or `-`.
pub(crate) fn valid_agent_name(name: &str) -> Option<&str> {
    let ok = (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then_some(name)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    AwaitToken,
    AwaitName,
    Ready { name: String },
    Closed,
}

/// One executive's conversation.
pub struct AgentConversation {
    session: SessionId,
    outbox: Outbox<AgentEvent>,
    phase: Phase,
    /// The customer the executive's lines go to (the oldest current chat when unset).
    active: Option<SessionId>,
}

impl AgentConversation {
    /// A new executive conversation; hub events go to `events`.
    pub fn new(
        session: SessionId,
        events: tokio::sync::mpsc::Sender<AgentEvent>,
        kick: CancellationToken,
    ) -> AgentConversation {
        AgentConversation {
            session,
            outbox: Outbox::new(events, kick),
            phase: Phase::AwaitToken,
            active: None,
        }
    }

    /// The executive's display name once logged in.
    pub fn name(&self) -> Option<&str> {
        match &self.phase {
            Phase::Ready { name } => Some(name),
            _ => None,
        }
    }

    /// Whether the executive has authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.phase, Phase::AwaitName | Phase::Ready { .. })
    }

    /// Handles one line from the executive.
    pub async fn handle_line(&mut self, line: &str, services: &Services) -> Reply {
        let mut reply = Reply::default();
        let text = line.trim();
        match self.phase.clone() {
            Phase::AwaitToken => {
                if token_matches(&services.agent_token, text) {
                    reply.system("Token aceptado. Ingrese su nombre de ejecutivo.");
                    self.phase = Phase::AwaitName;
                } else {
                    reply.system("Token inválido. Conexión cerrada.");
                    reply.auth_failed = true;
                    self.phase = Phase::Closed;
                }
            }
            Phase::AwaitName => self.on_name(text, services, &mut reply),
            Phase::Ready { name } => self.on_ready(name, text, services, &mut reply).await,
            Phase::Closed => {}
        }
        reply.close |= self.phase == Phase::Closed;
        reply
    }

    fn on_name(&mut self, text: &str, services: &Services, reply: &mut Reply) {
        let Some(name) = valid_agent_name(text) else {
            reply.system("Nombre inválido: una palabra de 1 a 32 letras, números, '.', '_' o '-'. Ingrese su nombre.");
            return;
        };
        match services
            .hub
            .agent_join(self.session, name, self.outbox.clone())
        {
            Ok(waiting) => {
                reply.system(format!(
                    "Bienvenido {name}. Escriba :help para ver los comandos. Clientes en espera: {waiting}."
                ));
                self.phase = Phase::Ready {
                    name: name.to_string(),
                };
            }
            Err(_) => {
                reply.system(format!("El nombre {name} ya está en uso. Ingrese otro."));
            }
        }
    }

    /// The conversation the executive is talking to: the one chosen with `:switch` while
    /// it lasts, else the oldest.
    fn current(&self, services: &Services) -> Option<ChatInfo> {
        let chats = services.hub.chats_of(self.session);
        let active = self
            .active
            .and_then(|a| chats.iter().position(|c| c.customer == a));
        let index = active.unwrap_or(0);
        chats.into_iter().nth(index)
    }

    async fn on_ready(&mut self, name: String, text: &str, services: &Services, reply: &mut Reply) {
        if text.is_empty() {
            return;
        }
        if text.starts_with(':') {
            match AgentCommand::parse(text) {
                Ok(command) => self.run(command, name, services, reply).await,
                Err(err) => {
                    reply.system(err.to_string());
                }
            }
            return;
        }
        let Some(chat) = self.current(services) else {
            reply.system(
                "No tiene un cliente asignado; su mensaje no se envió. (:queue muestra la fila)",
            );
            return;
        };
        let text = sanitize(text);
        if let Err(err) = services
            .registry
            .append_transcript(chat.request, &name, &text)
            .await
        {
            tracing::error!(cause = %err, request = chat.request, "recording a chat line");
        }
        if let Err(err) = services.hub.agent_says(self.session, chat.customer, &text) {
            reply.system(format!("No se pudo enviar el mensaje: {err}."));
        }
    }

    async fn run(
        &mut self,
        command: AgentCommand,
        name: String,
        services: &Services,
        reply: &mut Reply,
    ) {
        match command {
            AgentCommand::Help => {
                reply.system("Comandos:");
                for line in HELP {
                    reply.line(format!("  {line}"));
                }
                return;
            }
            AgentCommand::Queue => {
                let queue = services.hub.queue();
                reply.system(format!("Clientes en espera: {}.", queue.len()));
                for waiting in queue {
                    reply.line(format!(
                        "  ({}) {} (RUT {}), {} mensajes",
                        waiting.position, waiting.name, waiting.rut, waiting.backlog_len
                    ));
                }
                return;
            }
            AgentCommand::Quit => {
                reply.system("Hasta luego.");
                self.phase = Phase::Closed;
                return;
            }
            AgentCommand::Chats => {
                let chats = services.hub.chats_of(self.session);
                let current = self.current(services).map(|c| c.customer);
                reply.system(format!("Conversaciones actuales: {}.", chats.len()));
                for (i, chat) in chats.iter().enumerate() {
                    let mark = if Some(chat.customer) == current {
                        " (activa)"
                    } else {
                        ""
                    };
                    reply.line(format!(
                        "  ({}) {} (RUT {}), solicitud {}{mark}",
                        i + 1,
                        chat.name,
                        chat.rut,
                        chat.request
                    ));
                }
                return;
            }
            AgentCommand::Switch(n) => {
                match services.hub.chats_of(self.session).into_iter().nth(n - 1) {
                    Some(chat) => {
                        self.active = Some(chat.customer);
                        reply.system(format!("Ahora conversa con {}.", chat.name));
                    }
                    None => {
                        reply.system(format!(
                            "No tiene una conversación número {n} (ver :chats)."
                        ));
                    }
                }
                return;
            }
            AgentCommand::Name(new) => {
                match services.hub.agent_rename(self.session, &new) {
                    Ok(()) => {
                        services
                            .console
                            .print(&format!("Ejecutivo {name} ahora se llama {new}."));
                        reply.system(format!("Ahora su nombre es {new}."));
                        self.phase = Phase::Ready { name: new };
                    }
                    Err(HubError::NameTaken(_)) => {
                        reply.system(format!("El nombre {new} ya está en uso."));
                    }
                    Err(err) => {
                        reply.system(format!("No se pudo cambiar el nombre: {err}."));
                    }
                }
                return;
            }
            _ => {}
        }
        let Some(chat) = self.current(services) else {
            reply.system(format!("{command}: no tiene un cliente asignado."));
            return;
        };
        let registry = &services.registry;
        let result: Result<String, RegistryError> = match command {
            AgentCommand::Subject(subject) => {
                let subject = sanitize(&subject);
                registry
                    .set_subject(chat.request, &subject, &name)
                    .await
                    .map(|r| format!("Asunto de la solicitud {}: {}.", r.id, r.subject))
            }
            AgentCommand::State(state) => registry
                .set_state(chat.request, state, &name)
                .await
                .map(|r| format!("Estado de la solicitud {}: {}.", r.id, r.state)),
            AgentCommand::History(text) => registry
                .append_history(chat.request, &name, &sanitize(&text))
                .await
                .map(|r| {
                    format!(
                        "Historial de la solicitud {} actualizado ({} entradas).",
                        r.id,
                        r.history.len()
                    )
                }),
            AgentCommand::Restart => registry
                .append_history(
                    chat.request,
                    &name,
                    "Reinicio de servicios (Internet, TV y Telefonía) hecho por el ejecutivo.",
                )
                .await
                .map(|_| {
                    services
                        .console
                        .print(&format!("Reinicio Servicios Cliente {}.", chat.name));
                    // The customer may have left in between; the restart is recorded anyway.
                    let _ = services.hub.agent_restarted(self.session, chat.customer);
                    format!("Servicios de {} reiniciados.", chat.name)
                }),
            AgentCommand::Close => {
                let _ = registry
                    .append_history(
                        chat.request,
                        &name,
                        "Conversación finalizada por el ejecutivo.",
                    )
                    .await;
                match services.hub.agent_closes(self.session, chat.customer) {
                    Ok(chat) => Ok(format!("Conversación con {} finalizada.", chat.name)),
                    Err(err) => Ok(format!("No se pudo cerrar la conversación: {err}.")),
                }
            }
            AgentCommand::Help
            | AgentCommand::Queue
            | AgentCommand::Quit
            | AgentCommand::Name(_)
            | AgentCommand::Chats
            | AgentCommand::Switch(_) => {
                unreachable!("handled above")
            }
        };
        match result {
            Ok(text) => {
                reply.system(text);
            }
            Err(err) => {
                tracing::error!(cause = %err, request = chat.request, "executive command");
                reply.system("No se pudo guardar el cambio por un problema de la base de datos. Intente nuevamente.");
            }
        }
    }

    /// Handles an event from the hub.
    pub async fn handle_event(&mut self, event: AgentEvent, services: &Services) -> Reply {
        let mut reply = Reply::default();
        match event {
            AgentEvent::Assigned { chat, backlog } => {
                reply.system(format!(
                    "Nuevo cliente: {} (RUT {}), solicitud {}.",
                    chat.name, chat.rut, chat.request
                ));
                match services.registry.requests_of(chat.rut).await {
                    Ok(requests) => {
                        let open: Vec<String> = requests
                            .iter()
                            .filter(|r| r.state == RequestState::Abierto && r.id != chat.request)
                            .map(|r| format!("{} {}", r.id, r.subject))
                            .collect();
                        if open.is_empty() {
                            reply.system("El cliente no tiene otras solicitudes abiertas.");
                        } else {
                            reply.system(format!("Solicitudes abiertas: {}.", open.join("; ")));
                        }
                    }
                    Err(err) => {
                        tracing::error!(cause = %err, "listing requests for an executive");
                    }
                }
                if !backlog.is_empty() {
                    reply.system("Mientras esperaba, el cliente escribió:");
                    for line in backlog {
                        reply.line(format!("  {}: {line}", chat.name));
                    }
                }
                let chats = services.hub.chats_of(self.session).len();
                if chats > 1 {
                    reply.system(format!(
                        "Tiene {chats} conversaciones: :chats las lista y :switch <n> elige a quién escribe."
                    ));
                }
                reply.system("Escriba para conversar; :close termina la conversación.");
            }
            AgentEvent::FromCustomer { chat, text } => {
                reply.line(format!("{}: {text}", chat.name));
            }
            AgentEvent::CustomerLeft { chat, disconnected } => {
                if disconnected {
                    reply.system(format!("El cliente {} se desconectó.", chat.name));
                } else {
                    reply.system(format!("El cliente {} terminó la conversación.", chat.name));
                }
            }
        }
        reply
    }

    /// The connection ended: leaves the pool (customers go back to the head of the queue).
    pub fn disconnected(&mut self, services: &Services) {
        services.hub.agent_gone(self.session);
        if let Phase::Ready { name } = &self.phase {
            services
                .console
                .print(&format!("Ejecutivo {name} desconectado."));
        }
        self.phase = Phase::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands() {
        let table: [(&str, Result<AgentCommand, CommandError>); 12] = [
            (
                ":subject Cobro duplicado",
                Ok(AgentCommand::Subject("Cobro duplicado".into())),
            ),
            (
                ":state cerrado",
                Ok(AgentCommand::State(RequestState::Cerrado)),
            ),
            (
                ":state ABIERTO",
                Ok(AgentCommand::State(RequestState::Abierto)),
            ),
            (
                ":state pendiente",
                Err(CommandError::Usage(":state abierto|cerrado")),
            ),
            (":state", Err(CommandError::Usage(":state abierto|cerrado"))),
            (
                ":history  llamó de nuevo ",
                Ok(AgentCommand::History("llamó de nuevo".into())),
            ),
            (
                ":subject",
                Err(CommandError::Usage(":subject <descripción>")),
            ),
            (
                ":name JuanPerez",
                Ok(AgentCommand::Name("JuanPerez".into())),
            ),
            (":restart", Ok(AgentCommand::Restart)),
            (":close", Ok(AgentCommand::Close)),
            (
                ":frobnicate x",
                Err(CommandError::Unknown("frobnicate".into())),
            ),
            (":", Err(CommandError::Unknown(String::new()))),
        ];
        for (line, expected) in table {
            assert_eq!(AgentCommand::parse(line), expected, "{line}");
        }
        assert!(matches!(
            AgentCommand::parse(":name Juan Perez"),
            Err(CommandError::Usage(_))
        ));
    }

    #[test]
    fn control_characters_never_survive_parsing() {
        // Found by fuzz/customer_conversation on the executive's channel: the command
        // is echoed in "<command>: no tiene un cliente asignado.", so NULs came back raw.
        let table = [
            (
                ":subject Cobro\0\0 9",
                AgentCommand::Subject("Cobro\u{FFFD}\u{FFFD} 9".into()),
            ),
            (":history a \x1b[0m", AgentCommand::History("a".into())),
            (":restart\x1b[2J", AgentCommand::Restart),
        ];
        for (line, expected) in table {
            assert_eq!(AgentCommand::parse(line), Ok(expected), "{line:?}");
        }
        assert_eq!(
            AgentCommand::parse(":subject \x1b[31m"),
            Err(CommandError::Usage(":subject <descripción>"))
        );
        let err = AgentCommand::parse(":ma\x07l").unwrap_err().to_string();
        assert!(!err.chars().any(char::is_control), "{err:?}");
    }

    #[test]
    fn commands_round_trip_through_display() {
        for command in [
            AgentCommand::Subject("Cambio de plan".into()),
            AgentCommand::State(RequestState::Abierto),
            AgentCommand::History("x".into()),
            AgentCommand::Name("Ana".into()),
            AgentCommand::Restart,
            AgentCommand::Close,
            AgentCommand::Queue,
            AgentCommand::Help,
            AgentCommand::Quit,
            AgentCommand::Chats,
            AgentCommand::Switch(2),
        ] {
            assert_eq!(AgentCommand::parse(&command.to_string()), Ok(command));
        }
    }
}
