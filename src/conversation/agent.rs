//! The executive's side: authentication, the chat with the current customer and the
//! commands that edit the customer's request.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::events::{
    AgentEvent, ChatInfo, Departure, HubError, Reason, RequestChange, SessionId, WaitingLines,
};
use super::{
    whole_minutes, Context, Dates, Effect, Effects, HubOp, HubResult, Input, Keep, StoreOp,
    StoreResult, TranscriptCount,
};
use crate::auth::token_matches;
use crate::names;
use crate::protocol::{self, agent as say, history};
use crate::registry::{
    HistoryEntry, Request, RequestId, RequestState, TranscriptLine, ACCOUNT_REQUESTS,
};
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
    /// `:requests`: the current customer's requests.
    Requests,
    /// `:open <n>`: the commands act on this request of the customer (its number, or its
    /// position in the last `:requests`).
    Open(u64),
}

/// Why a command line was not understood. Displays as the usage line to show.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    /// The command needs an argument.
    #[error("{}", say::usage(.0))]
    Usage(&'static str),
    /// No such command.
    #[error("{}", say::unknown_command(.0))]
    Unknown(String),
    /// A subject longer than [`MAX_SUBJECT_CHARS`].
    #[error("{}", say::subject_too_long(MAX_SUBJECT_CHARS))]
    SubjectTooLong,
}

/// The most characters a request's subject set with `:subject` has: it heads the request in
/// every list, and the customer and the console read it whole.
pub const MAX_SUBJECT_CHARS: usize = 120;

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
            "subject" => needs(say::USAGE_SUBJECT).and_then(|subject| {
                if subject.chars().count() > MAX_SUBJECT_CHARS {
                    Err(CommandError::SubjectTooLong)
                } else {
                    Ok(AgentCommand::Subject(subject))
                }
            }),
            "history" => needs(say::USAGE_HISTORY).map(AgentCommand::History),
            "name" => {
                let name = needs(say::USAGE_NAME)?;
                valid_agent_name(&name).ok_or(CommandError::Usage(say::USAGE_NAME_INVALID))?;
                Ok(AgentCommand::Name(name))
            }
            "state" => arg
                .parse()
                .map(AgentCommand::State)
                .map_err(|_| CommandError::Usage(say::USAGE_STATE)),
            "restart" => Ok(AgentCommand::Restart),
            "close" => Ok(AgentCommand::Close),
            "queue" => Ok(AgentCommand::Queue),
            "help" => Ok(AgentCommand::Help),
            "quit" => Ok(AgentCommand::Quit),
            "chats" => Ok(AgentCommand::Chats),
            "requests" => Ok(AgentCommand::Requests),
            "open" => arg
                .trim_start_matches('#')
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .map(AgentCommand::Open)
                .ok_or(CommandError::Usage(say::USAGE_OPEN)),
            "switch" => arg
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .map(AgentCommand::Switch)
                .ok_or(CommandError::Usage(say::USAGE_SWITCH)),
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
            AgentCommand::Requests => f.write_str(":requests"),
            AgentCommand::Open(n) => write!(f, ":open {n}"),
        }
    }
}

/// Why an executive name is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// Nothing was given.
    #[error("el nombre de ejecutivo está vacío")]
    Empty,
    /// Spaces, control characters or punctuation would break the `<name>: text` lines.
    #[error(
        "el nombre de ejecutivo {0:?} solo puede tener letras, dígitos, '.', '_' y '-' \
         (sin espacios), por ejemplo --name JuanPerez"
    )]
    BadCharacter(String),
    /// Longer than [`MAX_NAME_CHARS`].
    #[error("el nombre de ejecutivo tiene más de {MAX_NAME_CHARS} caracteres")]
    TooLong,
    /// One of the server's voices or a look-alike of one ([`names::is_reserved`]).
    #[error(
        "el nombre de ejecutivo {0:?} está reservado para el servidor (\"Sistema\", \"Asistente\", ...)"
    )]
    Reserved(String),
}

/// Longest accepted executive name, in characters (the server's limit).
pub const MAX_NAME_CHARS: usize = 32;

/// Checks an executive display name: one word of letters, digits, `.`, `_` or `-`, at most
/// [`MAX_NAME_CHARS`], and not one of the server's voices ([`names::is_reserved`]). The one
/// definition of the rule: the server applies it to `:name` and the name step, the agent
/// client to `--name` before connecting.
pub fn validate_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(NameError::BadCharacter(name.escape_debug().to_string()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    if names::is_reserved(name) {
        return Err(NameError::Reserved(name.to_string()));
    }
    Ok(())
}

/// [`validate_name`] as a filter (a reserved name passes: the caller refuses it with its
/// own sentence).
fn valid_agent_name(name: &str) -> Option<&str> {
    match validate_name(name) {
        Ok(()) | Err(NameError::Reserved(_)) => Some(name),
        Err(_) => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    AwaitToken,
    /// A right token: waiting for [`StoreOp::TokenFailures`] (is the login locked?).
    TokenCheck,
    /// A wrong token: waiting for [`StoreOp::TokenFailed`].
    TokenCounted,
    AwaitName,
    /// Waiting for [`HubOp::AgentJoin`] under `name`.
    Joining {
        name: String,
    },
    Ready {
        name: String,
    },
    /// Logged in as `name`, waiting for the result of a store or hub operation.
    Pending {
        name: String,
        wait: Wait,
    },
    Closed,
}

impl Phase {
    /// The executive's display name once logged in.
    fn name(&self) -> Option<&str> {
        match self {
            Phase::Ready { name } | Phase::Pending { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The chat a result waited for is about, if any.
    fn chat_mut(&mut self) -> Option<&mut ChatInfo> {
        let Phase::Pending { wait, .. } = self else {
            return None;
        };
        match wait {
            Wait::Said | Wait::Queue | Wait::Rename { .. } => None,
            Wait::CloseOpenedRecorded { chat, .. }
            | Wait::CloseRecorded { chat }
            | Wait::Close { chat }
            | Wait::Requests { chat }
            | Wait::Open { chat }
            | Wait::OpenedChat { chat }
            | Wait::Change { chat, .. }
            | Wait::StateCheck { chat, .. }
            | Wait::OpenRequests { chat, .. }
            | Wait::PreviousChat { chat, .. } => Some(chat),
        }
    }
}

/// What a logged-in executive's conversation waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wait {
    /// [`HubResult::Said`] for a chat line.
    Said,
    /// [`HubResult::Queue`] for `:queue`.
    Queue,
    /// [`HubResult::Renamed`] for `:name`.
    Rename { new: String },
    /// [`StoreResult::Changed`] for `:close`'s history entry on the request `:open` chose
    /// (`opened`), before the chat's own.
    CloseOpenedRecorded { chat: ChatInfo, opened: RequestId },
    /// [`StoreResult::Changed`] for `:close`'s history entry (it tells the request's
    /// state).
    CloseRecorded { chat: ChatInfo },
    /// [`HubResult::Closed`] for `:close` of `chat`.
    Close { chat: ChatInfo },
    /// [`StoreResult::Requests`] for `:requests`.
    Requests { chat: ChatInfo },
    /// [`StoreResult::Request`] for `:open`.
    Open { chat: ChatInfo },
    /// [`StoreResult::Transcript`]: the chats of the request `:open` chose.
    OpenedChat { chat: ChatInfo },
    /// [`StoreResult::Changed`] for a command that edits the chat's request.
    Change { change: Change, chat: ChatInfo },
    /// [`StoreResult::Request`] for `:state`: the request's state now, since setting the
    /// same state again changes nothing and is not announced.
    StateCheck {
        request: RequestId,
        state: RequestState,
        chat: ChatInfo,
    },
    /// [`StoreResult::Requests`]: the new customer's other requests.
    OpenRequests {
        chat: ChatInfo,
        backlog: WaitingLines,
        previous_agent: Option<String>,
    },
    /// [`StoreResult::Transcript`]: the requeued customer's chat with `previous_agent`.
    PreviousChat {
        chat: ChatInfo,
        backlog: WaitingLines,
        previous_agent: String,
    },
}

/// A command that edits the current chat's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Subject,
    State,
    History,
    Restart,
}

/// One executive's conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConversation {
    phase: Phase,
    desk: Desk,
}

/// What the conversation knows about the executive's chats across phases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Desk {
    /// The executive's current chats, oldest first (kept from hub events and results).
    chats: Vec<ChatInfo>,
    /// The customer the executive's lines go to (the oldest current chat when unset).
    active: Option<SessionId>,
    /// The request the commands act on per chat, when `:open` chose one other than the
    /// hand-off's.
    targets: Vec<(SessionId, RequestId)>,
    /// The last `:requests` listing (whose, and the numbers in order), for `:open <n>`.
    listed: Option<(SessionId, Vec<RequestId>)>,
    /// Lines of the executive's kept in each current chat's transcript, and whether the
    /// executive was told that later ones are not kept.
    kept: Vec<TranscriptCount>,
    /// The chats of `chats` whose customer left, oldest first, by the key the hub gave each
    /// then ([`AgentEvent::CustomerLeft`]): they stay so that the executive can note and
    /// close the request (at most [`MAX_ENDED_CHATS`]).
    ended: Vec<SessionId>,
    /// The last line was a `:quit` refused with these customers in course: the next one
    /// leaves, unless another customer came meanwhile.
    quit_warned: Option<Vec<SessionId>>,
    /// The customer whose ended chat left the desk without `:close` (its wrap-up limit, or
    /// its request served by a colleague) while the commands acted on it: the next command
    /// or line for a chat is refused (it would otherwise go to another customer, maybe one
    /// handed over that very moment) until `:switch`.
    expired: Option<String>,
}

/// Ended chats an executive keeps on the desk until `:close`; past this the oldest is
/// dropped (its request stays as it was).
const MAX_ENDED_CHATS: usize = 8;

/// The longest warning before an ended chat's wrap-up limit passes.
const WRAP_UP_WARNING: Duration = Duration::from_secs(60);

/// How long before `limit` passes an ended chat's executive is warned
/// ([`Input::WrapUpSoon`]): a minute, or a quarter of a shorter limit; none under a
/// second (a limit of a few seconds leaves no time to act on it) or without a limit.
pub(crate) fn wrap_up_warning(limit: Duration) -> Option<Duration> {
    Some(WRAP_UP_WARNING.min(limit / 4)).filter(|lead| *lead >= Duration::from_secs(1))
}

impl Default for AgentConversation {
    fn default() -> Self {
        AgentConversation::new()
    }
}

impl AgentConversation {
    /// A new executive conversation, waiting for the token (the greeting is
    /// [`protocol::agent::GREETING`]).
    pub fn new() -> AgentConversation {
        AgentConversation {
            phase: Phase::AwaitToken,
            desk: Desk::default(),
        }
    }

    /// The executive's display name once logged in.
    pub fn name(&self) -> Option<&str> {
        self.phase.name()
    }

    /// Whether the next line is taken as the executives' token.
    pub fn awaits_token(&self) -> bool {
        matches!(self.phase, Phase::AwaitToken)
    }

    /// Whether the executive has authenticated.
    pub fn is_authenticated(&self) -> bool {
        !matches!(
            self.phase,
            Phase::AwaitToken | Phase::TokenCheck | Phase::TokenCounted | Phase::Closed
        )
    }

    /// Whether the conversation has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether the conversation waits for a store or hub result.
    pub fn is_pending(&self) -> bool {
        matches!(
            self.phase,
            Phase::Joining { .. } | Phase::Pending { .. } | Phase::TokenCheck | Phase::TokenCounted
        )
    }

    /// The executive's current chats, oldest first.
    pub fn chats(&self) -> &[ChatInfo] {
        &self.desk.chats
    }

    /// The keys of the [`chats`](Self::chats) whose customer left, oldest first: the chats
    /// being wrapped up, each until `:close` or [`Input::WrapUpDue`].
    pub fn ended_chats(&self) -> &[SessionId] {
        &self.desk.ended
    }

    /// The ended chat the executive's commands act on, if the current one is ended: a
    /// line from the executive then is work on it, and its wrap-up limit counts again
    /// from that line (the connection task's clock).
    pub fn ended_chat_in_use(&self) -> Option<SessionId> {
        self.desk
            .current()
            .map(|chat| chat.customer)
            .filter(|customer| self.desk.has_left(*customer))
    }

    /// Handles one input; pushes the effects to carry out in `out` and returns the next
    /// state.
    pub fn step(
        self,
        input: Input<'_, AgentEvent>,
        ctx: &Context,
        out: &mut Effects,
    ) -> AgentConversation {
        let AgentConversation { phase, mut desk } = self;
        let closing = !input.ends_the_connection();
        let phase = match input {
            Input::Line { text, .. } => desk.on_line(phase, text.trim(), ctx, out),
            Input::Event(event) => desk.on_event(phase, event, ctx, out),
            Input::Stored(result) => desk.on_stored(phase, result, ctx, out),
            Input::Hub(result) => desk.on_hub(phase, result, out),
            // Only customers wait in the queue.
            Input::QueueIdle { .. } => phase,
            Input::WrapUpDue { chat } => desk.wrap_up_due(phase, chat, ctx, out),
            Input::WrapUpSoon { chat, left } => {
                desk.wrap_up_soon(chat, left, out);
                phase
            }
            Input::Disconnected(_) | Input::ServerStopped => {
                // A :close still waiting for the opened request's note: the chat's own note
                // is written all the same (the code review's).
                if let Phase::Pending {
                    name,
                    wait: Wait::CloseOpenedRecorded { chat, .. },
                } = &phase
                {
                    out.record(closed_note(chat.request, name));
                }
                // The console before the hub, which requeues the executive's customers
                // (and may hand them to others) with lines of its own.
                if let Some(name) = phase.name() {
                    out.console(protocol::console::agent_disconnected(name));
                }
                out.hub(HubOp::AgentGone);
                Phase::Closed
            }
        };
        if closing && phase == Phase::Closed {
            out.push(Effect::Close);
        }
        AgentConversation { phase, desk }
    }
}

impl Desk {
    fn on_line(&mut self, phase: Phase, text: &str, ctx: &Context, out: &mut Effects) -> Phase {
        match phase {
            // Wrong tokens are counted for the whole server in the store, so reconnecting
            // (from any address) does not reset them; while the login is locked every
            // token, right or wrong, gets the same refusal.
            Phase::AwaitToken => {
                // An Enter pressed by mistake is no guess at the token: it must not count
                // toward the lock-out, which shuts every executive out.
                if text.trim().is_empty() {
                    out.send(say::TOKEN_EMPTY);
                    return Phase::AwaitToken;
                }
                if token_matches(&ctx.agent_token, text) {
                    out.store(StoreOp::TokenFailures);
                    Phase::TokenCheck
                } else {
                    out.push(Effect::AuthFailed);
                    out.store(StoreOp::TokenFailed(ctx.policy.token_lockout));
                    Phase::TokenCounted
                }
            }
            Phase::AwaitName => match valid_agent_name(text) {
                Some(name) if names::is_reserved(name) => {
                    out.send(say::name_reserved(name));
                    Phase::AwaitName
                }
                Some(name) => {
                    out.hub(HubOp::AgentJoin(name.to_string()));
                    Phase::Joining {
                        name: name.to_string(),
                    }
                }
                None => {
                    out.send(say::INVALID_NAME);
                    Phase::AwaitName
                }
            },
            Phase::Ready { name } => self.on_ready(name, text, ctx, out),
            phase @ (Phase::Joining { .. }
            | Phase::Pending { .. }
            | Phase::TokenCheck
            | Phase::TokenCounted) => unexpected(phase, "line"),
            Phase::Closed => Phase::Closed,
        }
    }

    /// The server's wrong tokens, after a token was typed: in, or refused.
    fn on_token(
        &mut self,
        right: bool,
        failures: StoreResult,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        let StoreResult::TokenFailures(failures) = failures else {
            let phase = if right {
                Phase::TokenCheck
            } else {
                Phase::TokenCounted
            };
            return unexpected(phase, "store result");
        };
        match failures {
            Ok(failures) if !failures.locked_for.is_zero() => {
                let minutes = whole_minutes(failures.locked_for);
                // The operators learn of a lock-out once, from the token that started it.
                if !right && ctx.policy.token_lockout.began_with(&failures) {
                    out.console(protocol::console::tokens_locked(failures.count, minutes));
                }
                out.send(say::tokens_locked_for(minutes));
                Phase::Closed
            }
            Ok(_) if right => {
                out.record(StoreOp::TokenPassed);
                out.send(say::TOKEN_ACCEPTED);
                Phase::AwaitName
            }
            Ok(_) => {
                out.send(say::TOKEN_INVALID);
                Phase::Closed
            }
            // Unknown: the login stays shut.
            Err(_) => {
                out.send(if right {
                    say::TOKEN_UNCHECKED
                } else {
                    say::TOKEN_INVALID
                });
                Phase::Closed
            }
        }
    }

    /// Counts a line of the executive's for `request`'s transcript against `max`.
    fn keep_line(&mut self, request: RequestId, max: usize) -> Keep {
        // Only the current chats are remembered (ended ones are forgotten).
        let chats = &self.chats;
        self.kept.retain(|count| {
            count.request == request || chats.iter().any(|c| c.request == count.request)
        });
        let index = match self.kept.iter().position(|count| count.request == request) {
            Some(index) => index,
            None => {
                self.kept.push(TranscriptCount::new(request));
                self.kept.len() - 1
            }
        };
        self.kept[index].keep(max)
    }

    /// The conversation the executive is talking to: the one chosen with `:switch` while
    /// it lasts, else the oldest whose customer is still there, else the oldest ended one.
    fn current(&self) -> Option<&ChatInfo> {
        self.active
            .and_then(|a| self.chat_of(a))
            .or_else(|| self.chats.iter().find(|c| !self.has_left(c.customer)))
            .or_else(|| self.chats.first())
    }

    /// `customer`'s chat, while it is on the desk.
    fn chat_of(&self, customer: SessionId) -> Option<&ChatInfo> {
        self.chats.iter().find(|c| c.customer == customer)
    }

    /// Whether `customer`'s chat is one whose customer has left.
    fn has_left(&self, customer: SessionId) -> bool {
        self.ended.contains(&customer)
    }

    /// Chats whose customer is still there.
    /// The customers in course (chats whose customer has not left).
    fn in_course(&self) -> Vec<SessionId> {
        self.chats
            .iter()
            .map(|c| c.customer)
            .filter(|c| !self.has_left(*c))
            .collect()
    }

    fn on_ready(&mut self, name: String, text: &str, ctx: &Context, out: &mut Effects) -> Phase {
        if text.is_empty() {
            return Phase::Ready { name };
        }
        // A `:quit` with chats in course is confirmed by the very next line.
        let quit_warned = std::mem::take(&mut self.quit_warned);
        // A command is ':' and a letter; "::" sends the rest as text (":D gracias"), and
        // so does ':' before anything else (":)", ": hola").
        let (text, escaped) = match text.strip_prefix(':') {
            Some(rest) if rest.starts_with(':') => (rest, true),
            _ => (text, false),
        };
        let command = text
            .strip_prefix(':')
            .and_then(|rest| rest.chars().next())
            .is_some_and(char::is_alphabetic);
        if command && !escaped {
            return match AgentCommand::parse(text) {
                // Leaving sends the customers in course back to the queue: said first
                // (a black-box test's :quit requeued three customers without a word).
                // A customer assigned between the two is said too (also one who took the
                // place of a chat that ended meanwhile).
                Ok(AgentCommand::Quit)
                    if self.in_course().iter().any(|c| {
                        !quit_warned
                            .as_ref()
                            .is_some_and(|warned| warned.contains(c))
                    }) =>
                {
                    let in_course = self.in_course();
                    out.send(say::quit_with_chats(in_course.len()));
                    self.quit_warned = Some(in_course);
                    Phase::Ready { name }
                }
                Ok(command) => self.run(command, name, out),
                Err(err) => {
                    out.send(format!("{}{err}", protocol::SYSTEM));
                    Phase::Ready { name }
                }
            };
        }
        if self.refused_after_expiry(out) {
            return Phase::Ready { name };
        }
        let Some(chat) = self.current() else {
            out.send(say::NO_CUSTOMER);
            return Phase::Ready { name };
        };
        if self.has_left(chat.customer) {
            out.send(say::customer_gone(&chat.name));
            return Phase::Ready { name };
        }
        let (request, customer, contact) = (chat.request, chat.customer, chat.contact);
        let text = sanitize(text).into_owned();
        // The request's transcript keeps a bounded number of the executive's lines; later
        // ones still reach the customer, and the executive is told once.
        match self.keep_line(request, ctx.policy.max_transcript_lines) {
            Keep::Yes => out.record(StoreOp::AppendTranscript {
                request,
                speaker: name.clone(),
                text: text.clone(),
            }),
            Keep::NoTellOnce => out.send(say::TRANSCRIPT_FULL),
            Keep::No => {}
        }
        out.hub(HubOp::AgentSays {
            customer,
            contact,
            text,
        });
        Phase::Pending {
            name,
            wait: Wait::Said,
        }
    }

    fn run(&mut self, command: AgentCommand, name: String, out: &mut Effects) -> Phase {
        let wait = |name, wait| Phase::Pending { name, wait };
        match command {
            AgentCommand::Help => {
                out.send(say::COMMANDS);
                for line in say::HELP {
                    out.send(say::help_line(line));
                }
                return Phase::Ready { name };
            }
            AgentCommand::Queue => {
                out.hub(HubOp::Queue);
                return wait(name, Wait::Queue);
            }
            AgentCommand::Quit => {
                if !self.ended.is_empty() {
                    out.send(say::ended_left_open(self.ended.len()));
                }
                out.send(say::GOODBYE);
                // Like every other way of leaving (the disconnection after this finds the
                // conversation closed and prints nothing).
                out.console(protocol::console::agent_disconnected(&name));
                return Phase::Closed;
            }
            AgentCommand::Chats => {
                let current = self.current().map(|c| c.customer);
                out.send(say::chats_header(self.chats.len()));
                for (i, chat) in self.chats.iter().enumerate() {
                    // The request the commands act on (`:open` may have chosen another),
                    // as every other line about the chat names it.
                    out.send(say::chat_item(
                        i + 1,
                        &chat.name,
                        chat.rut,
                        self.target(chat),
                        Some(chat.customer) == current,
                        self.has_left(chat.customer),
                    ));
                }
                return Phase::Ready { name };
            }
            AgentCommand::Switch(n) => {
                match self.chats.get(n - 1) {
                    Some(chat) => {
                        self.announce(chat, out);
                        self.active = Some(chat.customer);
                        self.expired = None;
                    }
                    None => out.send(say::no_chat_number(n)),
                }
                return Phase::Ready { name };
            }
            AgentCommand::Name(new) if names::is_reserved(&new) => {
                out.send(say::name_reserved(&new));
                return Phase::Ready { name };
            }
            AgentCommand::Name(new) => {
                out.hub(HubOp::AgentRename(new.clone()));
                return wait(name, Wait::Rename { new });
            }
            _ => {}
        }
        if self.refused_after_expiry(out) {
            return Phase::Ready { name };
        }
        let Some(chat) = self.current().cloned() else {
            out.send(say::needs_customer(&command));
            return Phase::Ready { name };
        };
        let request = self.target(&chat);
        let change = match command {
            AgentCommand::Subject(subject) => {
                out.store(StoreOp::SetSubject {
                    request,
                    subject: sanitize(&subject).into_owned(),
                    author: name.clone(),
                });
                Change::Subject
            }
            AgentCommand::State(state) => {
                out.store(StoreOp::Request(request));
                return wait(
                    name,
                    Wait::StateCheck {
                        request,
                        state,
                        chat,
                    },
                );
            }
            AgentCommand::History(text) => {
                out.store(StoreOp::AppendHistory {
                    request,
                    author: Cow::Owned(name.clone()),
                    text: Cow::Owned(sanitize(&text).into_owned()),
                });
                Change::History
            }
            AgentCommand::Restart => {
                out.store(StoreOp::AppendHistory {
                    request,
                    author: Cow::Owned(name.clone()),
                    text: Cow::Borrowed(history::AGENT_RESTART),
                });
                Change::Restart
            }
            AgentCommand::Close => {
                // The customer hears about the chat's own request; changes to one opened
                // with :open were told as they were made (a black-box test's customer
                // heard "Su solicitud 118230 quedó en estado cerrado" of an old request,
                // and nothing of the chat's). The opened one's entry first, so that the
                // executive learns if it is missing.
                out.store(closed_note(request, &name));
                if request != chat.request {
                    return wait(
                        name,
                        Wait::CloseOpenedRecorded {
                            chat,
                            opened: request,
                        },
                    );
                }
                return wait(name, Wait::CloseRecorded { chat });
            }
            AgentCommand::Requests => {
                out.store(StoreOp::RequestsOf(chat.rut));
                return wait(name, Wait::Requests { chat });
            }
            AgentCommand::Open(n) => {
                let id = self
                    .listed
                    .as_ref()
                    .filter(|(customer, _)| *customer == chat.customer)
                    .and_then(|(_, ids)| usize::try_from(n).ok().and_then(|n| ids.get(n - 1)))
                    .copied()
                    .unwrap_or(n);
                out.store(StoreOp::Request(id));
                return wait(name, Wait::Open { chat });
            }
            AgentCommand::Help
            | AgentCommand::Queue
            | AgentCommand::Quit
            | AgentCommand::Name(_)
            | AgentCommand::Chats
            | AgentCommand::Switch(_) => unreachable!("handled above"),
        };
        wait(name, Wait::Change { change, chat })
    }

    fn on_stored(
        &mut self,
        phase: Phase,
        result: StoreResult,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        match phase {
            Phase::TokenCheck => return self.on_token(true, result, ctx, out),
            Phase::TokenCounted => return self.on_token(false, result, ctx, out),
            _ => {}
        }
        let Phase::Pending { name, wait } = phase else {
            return unexpected(phase, "store result");
        };
        match (wait, result) {
            (Wait::Change { change, chat }, StoreResult::Changed(changed)) => {
                match changed {
                    Ok(request) => self.changed(&name, change, &chat, &request, out),
                    Err(_) => out.send(say::STORE_FAILED),
                }
                Phase::Ready { name }
            }
            (
                Wait::OpenRequests {
                    chat,
                    backlog,
                    previous_agent,
                },
                StoreResult::Requests(found),
            ) => {
                if let Ok(requests) = found {
                    open_requests(&chat, &requests, ctx.dates(), out);
                    // The subject, state and notes the previous executive left (the chat
                    // alone did not tell them).
                    let this = requests.iter().find(|r| r.id == chat.request);
                    if let (Some(previous), Some(request)) = (&previous_agent, this) {
                        left_by(previous, request, &requests, ctx.dates(), out);
                    } else if let Some(request) = this {
                        resumed(request, ctx.dates(), out);
                    }
                }
                if let Some(previous_agent) = previous_agent {
                    out.store(StoreOp::Transcript(chat.request));
                    return Phase::Pending {
                        name,
                        wait: Wait::PreviousChat {
                            chat,
                            backlog,
                            previous_agent,
                        },
                    };
                }
                self.assigned_end(&chat, backlog, out);
                Phase::Ready { name }
            }
            (
                Wait::PreviousChat {
                    chat,
                    backlog,
                    previous_agent,
                },
                StoreResult::Transcript(found),
            ) => {
                if let Ok(lines) = found {
                    let lines = without_waiting_lines(&lines, &chat.name, &backlog.lines);
                    previous_chat(&previous_agent, lines, ctx.dates(), out);
                }
                self.assigned_end(&chat, backlog, out);
                Phase::Ready { name }
            }
            (Wait::CloseOpenedRecorded { chat, opened }, StoreResult::Changed(changed)) => {
                if changed.is_err() {
                    out.send(say::close_not_recorded(opened));
                }
                out.store(closed_note(chat.request, &name));
                Phase::Pending {
                    name,
                    wait: Wait::CloseRecorded { chat },
                }
            }
            (Wait::CloseRecorded { chat }, StoreResult::Changed(changed)) => {
                // The chat ends all the same; the executive learns its history entry is
                // missing (not "try again": the chat is closed).
                if changed.is_err() {
                    out.send(say::close_not_recorded(chat.request));
                }
                // The customer has gone, or came back on the same connection into a new
                // chat, which this close is not about (that chat is not on the desk): nobody
                // to tell.
                if !self.chats.contains(&chat) {
                    out.send(say::chat_closed(&chat.name));
                    return Phase::Ready { name };
                }
                let request = changed.ok().map(|r| (r.id, r.state));
                if self.has_left(chat.customer) {
                    out.console(protocol::console::agent_closed_chat(
                        &name, &chat.name, request,
                    ));
                    self.closed(&chat, out);
                    return Phase::Ready { name };
                }
                out.hub(HubOp::AgentCloses {
                    customer: chat.customer,
                    contact: chat.contact,
                    request,
                });
                Phase::Pending {
                    name,
                    wait: Wait::Close { chat },
                }
            }
            (Wait::Requests { chat }, StoreResult::Requests(found)) => {
                match found {
                    Ok(requests) => self.list_requests(&chat, &requests, ctx.dates(), out),
                    Err(_) => out.send(say::STORE_FAILED),
                }
                Phase::Ready { name }
            }
            // The chat left the desk while its request was read (taken up by a colleague,
            // its wrap-up limit passed): nothing is written, as for a command after it.
            (Wait::StateCheck { chat, .. } | Wait::Open { chat }, StoreResult::Request(_))
                if self.left_while_pending(&chat, out) =>
            {
                Phase::Ready { name }
            }
            (
                Wait::StateCheck {
                    request,
                    state,
                    chat,
                },
                StoreResult::Request(found),
            ) => match found {
                Ok(Some(current)) if current.state == state => {
                    out.send(say::state_unchanged(request, state));
                    Phase::Ready { name }
                }
                Ok(_) => {
                    out.store(StoreOp::SetState {
                        request,
                        state,
                        author: name.clone(),
                    });
                    Phase::Pending {
                        name,
                        wait: Wait::Change {
                            change: Change::State,
                            chat,
                        },
                    }
                }
                Err(_) => {
                    out.send(say::STORE_FAILED);
                    Phase::Ready { name }
                }
            },
            (Wait::Open { chat }, StoreResult::Request(found)) => {
                match found {
                    Ok(Some(request)) if request.rut == chat.rut => {
                        self.targets.retain(|(c, _)| *c != chat.customer);
                        if request.id != chat.request {
                            self.targets.push((chat.customer, request.id));
                        }
                        // Served again elsewhere, the opened request takes this chat off
                        // the desk once it ended, as its own does.
                        out.hub(HubOp::AgentOpened {
                            customer: chat.customer,
                            contact: chat.contact,
                            request: request.id,
                        });
                        out.send(say::now_acting_on(
                            request.id,
                            &request.subject,
                            request.state,
                        ));
                        // What was done and said about it (a black-box test's executives
                        // could not read an earlier request: only the operator's CLI
                        // showed it).
                        opened_history(&request, ctx.dates(), out);
                        out.store(StoreOp::Transcript(request.id));
                        return Phase::Pending {
                            name,
                            wait: Wait::OpenedChat { chat },
                        };
                    }
                    Ok(_) => out.send(say::not_customers_request(&chat.name)),
                    Err(_) => out.send(say::STORE_FAILED),
                }
                Phase::Ready { name }
            }
            (Wait::OpenedChat { .. }, StoreResult::Transcript(found)) => {
                match found {
                    Ok(lines) => opened_chat(&lines, ctx.dates(), out),
                    Err(_) => out.send(say::STORE_FAILED),
                }
                Phase::Ready { name }
            }
            (wait, _) => unexpected(Phase::Pending { name, wait }, "store result"),
        }
    }

    /// The request the commands act on in `chat`: the one `:open` chose, else the
    /// hand-off's.
    fn target(&self, chat: &ChatInfo) -> RequestId {
        self.targets
            .iter()
            .find(|(customer, _)| *customer == chat.customer)
            .map_or(chat.request, |(_, request)| *request)
    }

    /// `:requests`: the customer's requests, open ones first, marking the one the commands
    /// act on.
    fn list_requests(
        &mut self,
        chat: &ChatInfo,
        requests: &[Request],
        dates: Dates,
        out: &mut Effects,
    ) {
        let target = self.target(chat);
        let mut sorted: Vec<&Request> = requests.iter().collect();
        sorted.sort_by_key(|r| (r.state != RequestState::Abierto, std::cmp::Reverse(r.id)));
        out.send(if sorted.len() >= ACCOUNT_REQUESTS {
            say::requests_header_latest(&chat.name, sorted.len())
        } else {
            say::requests_header(&chat.name, sorted.len())
        });
        for (i, request) in sorted.iter().enumerate() {
            out.send(say::request_item(
                i + 1,
                request.id,
                &request.subject,
                request.state,
                dates.show(request.created_at, Dates::DAY),
                request.id == target,
            ));
        }
        if !sorted.is_empty() {
            out.send(say::OPEN_HINT);
        }
        self.listed = Some((chat.customer, sorted.iter().map(|r| r.id).collect()));
    }

    fn changed(
        &self,
        agent: &str,
        change: Change,
        chat: &ChatInfo,
        request: &Request,
        out: &mut Effects,
    ) {
        match change {
            Change::Subject => {
                out.console(protocol::console::subject_changed(
                    agent,
                    request.id,
                    &request.subject,
                ));
                out.send(say::subject_set(request.id, &request.subject));
                out.hub(HubOp::AgentChanged {
                    customer: chat.customer,
                    contact: chat.contact,
                    request: request.id,
                    change: RequestChange::Subject(request.subject.clone()),
                });
            }
            Change::State => {
                out.console(protocol::console::state_changed(
                    agent,
                    request.id,
                    request.state,
                ));
                out.send(say::state_set(request.id, request.state));
                out.hub(HubOp::AgentChanged {
                    customer: chat.customer,
                    contact: chat.contact,
                    request: request.id,
                    change: RequestChange::State(request.state),
                });
            }
            Change::History => out.send(say::history_updated(request.id, request.history.len())),
            Change::Restart => {
                out.console(protocol::console::restart(
                    &chat.name,
                    request.id,
                    Some(agent),
                ));
                // The customer may have left in between; the restart is recorded anyway.
                out.hub(HubOp::AgentRestarted {
                    customer: chat.customer,
                    contact: chat.contact,
                });
                out.send(say::services_restarted(&chat.name));
            }
        }
    }

    fn on_hub(&mut self, phase: Phase, result: HubResult, out: &mut Effects) -> Phase {
        if let Phase::Joining { name } = phase {
            return match result {
                HubResult::Joined(Ok(waiting)) => {
                    out.send(say::welcome(&name, waiting));
                    Phase::Ready { name }
                }
                HubResult::Joined(Err(_)) => {
                    out.send(say::name_taken_at_login(&name));
                    Phase::AwaitName
                }
                _ => unexpected(Phase::Joining { name }, "hub result"),
            };
        }
        let Phase::Pending { name, wait } = phase else {
            return unexpected(phase, "hub result");
        };
        match (wait, result) {
            (Wait::Said, HubResult::Said(said)) => {
                if let Err(err) = said {
                    out.send(say::not_sent(say::hub_refusal(&err)));
                }
                Phase::Ready { name }
            }
            (Wait::Queue, HubResult::Queue(queue)) => {
                out.send(say::queue_header(queue.len()));
                for waiting in queue {
                    out.send(say::queue_item(
                        waiting.position,
                        &waiting.name,
                        waiting.rut,
                        waiting.backlog_len,
                        waiting.away,
                    ));
                }
                Phase::Ready { name }
            }
            (Wait::Rename { new }, HubResult::Renamed(renamed)) => match renamed {
                Ok(()) => {
                    out.console(protocol::console::agent_renamed(&name, &new));
                    out.send(say::renamed(&new));
                    Phase::Ready { name: new }
                }
                Err(HubError::NameTaken(_)) => {
                    out.send(say::name_taken(&new));
                    Phase::Ready { name }
                }
                Err(err) => {
                    out.send(say::rename_failed(say::hub_refusal(&err)));
                    Phase::Ready { name }
                }
            },
            (Wait::Close { chat }, HubResult::Closed(closed)) => {
                match closed {
                    // `Ok`: the hub said it on the console, before the hand-off the close
                    // may allow. `NoCustomer`: the customer left after the history entry
                    // was written (the notice of it comes after this result, and the
                    // departure's console line says it); the close is done.
                    Ok(_) | Err(HubError::NoCustomer) => self.closed(&chat, out),
                    Err(err) => out.send(say::close_failed(say::hub_refusal(&err))),
                }
                Phase::Ready { name }
            }
            (wait, _) => unexpected(Phase::Pending { name, wait }, "hub result"),
        }
    }

    /// Takes a chat off the current ones; an ended one's wrap-up is over, and the hub may
    /// send the next customer.
    fn forget(&mut self, customer: SessionId, out: &mut Effects) {
        if self.has_left(customer) {
            out.hub(HubOp::AgentWrappedUp { customer });
        }
        self.chats.retain(|c| c.customer != customer);
        self.ended.retain(|c| *c != customer);
        self.targets.retain(|(c, _)| *c != customer);
        if self.listed.as_ref().is_some_and(|(c, _)| *c == customer) {
            self.listed = None;
        }
        if self.active == Some(customer) {
            self.active = None;
        }
    }

    /// Handles an event from the hub.
    fn on_event(
        &mut self,
        phase: Phase,
        event: AgentEvent,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        match event {
            AgentEvent::Assigned {
                chat,
                backlog,
                reason,
                previous_agent,
            } => {
                // The same request back (on this connection or another): the hub took its
                // ended chat off this desk for the new one, whose commands follow it. A
                // customer back about another request sits beside their ended chat, which
                // has a key of its own since they left.
                let follows = self.take_up_here(&chat, out);
                out.send(say::new_customer(&chat.name, chat.rut, chat.request));
                tell_reason(&reason, out);
                // Who took it, in the request's history (before anything the executive
                // writes there: this connection's writes run in order).
                if let Some(name) = phase.name() {
                    out.record(StoreOp::AppendHistory {
                        request: chat.request,
                        author: Cow::Owned(name.to_owned()),
                        text: history::agent_took(previous_agent.as_deref()),
                    });
                }
                self.chats.push(chat.clone());
                if follows {
                    // The commands stay with the same request, now in the new chat.
                    self.active = Some(chat.customer);
                }
                match phase {
                    Phase::Ready { name } => {
                        out.store(StoreOp::RequestsOf(chat.rut));
                        Phase::Pending {
                            name,
                            wait: Wait::OpenRequests {
                                chat,
                                backlog,
                                previous_agent,
                            },
                        }
                    }
                    // Not expected (assignments come to executives in the pool, whose
                    // results are fed back at once): no lookup then.
                    phase => {
                        self.assigned_end(&chat, backlog, out);
                        phase
                    }
                }
            }
            AgentEvent::FromCustomer { chat, text } => {
                out.send(say::from_customer(&chat.name, &text));
                phase
            }
            AgentEvent::CustomerReturned { chat, shown } => {
                out.send(say::customer_returned(&chat.name, shown));
                phase
            }
            AgentEvent::EndedChatTakenUp {
                customer,
                request,
                agent,
            } => {
                if let Phase::Ready { name } | Phase::Pending { name, .. } = &phase {
                    self.taken_up(customer, request, name, &agent, out);
                }
                phase
            }
            AgentEvent::CustomersWaiting { waiting } => {
                out.send(say::customers_waiting(waiting));
                phase
            }
            AgentEvent::CustomerLeft {
                chat,
                ended,
                disconnected,
            } => {
                out.send(match disconnected {
                    Some(Departure::Lost) => say::customer_disconnected(&chat.name),
                    Some(Departure::Idle) => say::customer_idle_closed(&chat.name),
                    None => say::customer_ended(&chat.name),
                });
                let mut phase = phase;
                if self.customer_left(&chat, ended, ctx, out) {
                    // A command waiting for a result acts on the ended chat by its key.
                    if let Some(waiting) = phase.chat_mut().filter(|c| c.customer == chat.customer)
                    {
                        waiting.customer = ended;
                    }
                }
                phase
            }
        }
    }

    /// Keeps a chat whose customer left on the desk, under its key as an ended chat
    /// (`ended`), so its request can still be noted and closed; the oldest ended chat goes
    /// past [`MAX_ENDED_CHATS`]. Whether the chat was on the desk.
    fn customer_left(
        &mut self,
        chat: &ChatInfo,
        ended: SessionId,
        ctx: &Context,
        out: &mut Effects,
    ) -> bool {
        if self.has_left(chat.customer) || self.chat_of(chat.customer).is_none() {
            return false;
        }
        // The commands stay on the chat the executive was acting on, though it ended,
        // until :close or :switch: a note meant for its request must not land on the next
        // customer's.
        if self.current().map(|c| c.customer) == Some(chat.customer) {
            self.active = Some(chat.customer);
        }
        let target = self.target(chat);
        self.rekey(chat.customer, ended);
        self.ended.push(ended);
        out.send(say::wrap_up(target, ctx.wrap_up_limit));
        if self.ended.len() > MAX_ENDED_CHATS {
            self.drop_ended(self.ended[0], true, out);
        }
        true
    }

    /// Gives `customer`'s chat, whose customer left, the key `ended` everywhere the desk
    /// knows it.
    fn rekey(&mut self, customer: SessionId, ended: SessionId) {
        let rename = |key: &mut SessionId| {
            if *key == customer {
                *key = ended;
            }
        };
        self.chats.iter_mut().for_each(|c| rename(&mut c.customer));
        self.active.iter_mut().for_each(rename);
        self.targets.iter_mut().for_each(|(c, _)| rename(c));
        if let Some((c, _)) = &mut self.listed {
            rename(c);
        }
        // Not in course any more: a `:quit` warning need not cover them.
        if let Some(warned) = &mut self.quit_warned {
            warned.retain(|c| *c != customer);
        }
    }

    /// The wrap-up limit of `customer`'s ended chat passed without `:close`: it leaves the
    /// desk, and its request's history and the console say so. Nothing when the chat is
    /// no longer an ended one on the desk (closed, or its customer back in a new chat).
    fn wrap_up_due(
        &mut self,
        phase: Phase,
        customer: SessionId,
        ctx: &Context,
        out: &mut Effects,
    ) -> Phase {
        let limit = ctx.wrap_up_limit;
        let Phase::Ready { name } = &phase else {
            return phase;
        };
        let Some(chat) = self.ended_chat(customer).cloned() else {
            return phase;
        };
        let target = self.target(&chat);
        out.send(say::wrap_up_expired(&chat.name, target, limit));
        // In the history of the request the commands acted on and of the chat's own, as
        // `:close` writes.
        for request in [
            Some(target),
            (target != chat.request).then_some(chat.request),
        ]
        .into_iter()
        .flatten()
        {
            out.record(StoreOp::AppendHistory {
                request,
                author: Cow::Owned(name.clone()),
                text: Cow::Owned(history::wrap_up_expired(limit)),
            });
        }
        out.console(protocol::console::wrap_up_expired(name, &chat.name, limit));
        self.ended_chat_leaves(chat, false, out);
        phase
    }

    /// `customer`'s ended chat leaves the desk in `left` unless closed: the executive is
    /// told, once (the driver's [`wrap_up_warning`]). Nothing when the chat is no longer an
    /// ended one on the desk.
    fn wrap_up_soon(&self, customer: SessionId, left: Duration, out: &mut Effects) {
        if let Some(chat) = self.ended_chat(customer) {
            out.send(say::wrap_up_soon(&chat.name, self.target(chat), left));
        }
    }

    /// `customer`'s ended chat leaves the desk: its `request` (its own, or the one `:open`
    /// chose in it) is served again in a new chat, by `agent` (perhaps this executive,
    /// `name`). When the commands acted on it, the next command or line for a chat is
    /// refused, as after the wrap-up limit. The hub freed its place and printed the
    /// console's line already: no `AgentWrappedUp`, which could end a later wrap-up of the
    /// same customer.
    fn taken_up(
        &mut self,
        customer: SessionId,
        request: RequestId,
        name: &str,
        agent: &str,
        out: &mut Effects,
    ) {
        let Some(chat) = self.ended_chat(customer).cloned() else {
            return;
        };
        let by = (agent != name).then_some(agent);
        out.send(say::ended_chat_taken_up(&chat.name, request, by));
        self.ended_chat_leaves(chat, true, out);
    }

    /// `chat`, handed to this executive, serves the request of ended chats on the desk, or
    /// the one `:open` chose in them (their customer back, on this connection or another):
    /// they leave, saying so, and whether the commands acted on one of them (they follow
    /// the request into the new chat). The hub freed their places already.
    fn take_up_here(&mut self, chat: &ChatInfo, out: &mut Effects) -> bool {
        // Every one of them: the hub took them all off (`State::take_up_ended`); a
        // customer back twice may have left two ("salir" from a chat beside the first).
        let mut followed = false;
        while let Some(ended) = self
            .chats
            .iter()
            .find(|c| {
                self.has_left(c.customer)
                    && (c.request == chat.request || self.target(c) == chat.request)
            })
            .cloned()
        {
            out.send(say::ended_chat_taken_up(&ended.name, chat.request, None));
            followed |= self.ended_chat_off(ended.customer, true, out);
        }
        followed
    }

    /// `customer`'s chat, when it is an ended one on the desk.
    fn ended_chat(&self, customer: SessionId) -> Option<&ChatInfo> {
        self.chat_of(customer).filter(|_| self.has_left(customer))
    }

    /// Takes the ended `chat` off the desk without the executive's `:close` (its wrap-up
    /// limit passed, or its request is served again): when the commands acted on it, the
    /// next command or line for a chat is refused rather than applied to another one. When
    /// the hub already `freed` its place, no `AgentWrappedUp` goes to it.
    fn ended_chat_leaves(&mut self, chat: ChatInfo, freed: bool, out: &mut Effects) {
        if self.ended_chat_off(chat.customer, freed, out) {
            self.expired = Some(chat.name);
        }
    }

    /// Takes `customer`'s ended chat off the desk without `:close` (no `AgentWrappedUp`
    /// when the hub already `freed` its place); whether the commands acted on it, for the
    /// caller to say what they do next.
    fn ended_chat_off(&mut self, customer: SessionId, freed: bool, out: &mut Effects) -> bool {
        let was_current = self.current().map(|c| c.customer) == Some(customer);
        if freed {
            self.ended.retain(|c| *c != customer);
        }
        self.leave_desk(customer, false, out);
        was_current
    }

    /// Whether `chat`, which a command waiting for the store acts on, left the desk
    /// meanwhile without `:close` (an event taken while waiting: [`Self::taken_up`], the
    /// wrap-up limit, the oldest ended chat dropped): the command is refused, said once.
    fn left_while_pending(&mut self, chat: &ChatInfo, out: &mut Effects) -> bool {
        if self.chat_of(chat.customer).is_some() {
            return false;
        }
        if !self.refused_after_expiry(out) {
            out.send(say::commands_chat_expired(&chat.name));
        }
        true
    }

    /// Whether a command or line for a chat must be refused because the chat the commands
    /// acted on left the desk without `:close` ([`Self::ended_chat_leaves`]; said once;
    /// `:switch` chooses anew).
    fn refused_after_expiry(&mut self, out: &mut Effects) -> bool {
        match self.expired.take() {
            Some(customer) => {
                out.send(say::commands_chat_expired(&customer));
                true
            }
            None => false,
        }
    }

    /// Takes an ended chat off the desk, saying so; when the commands acted on it, they
    /// move on with a line saying where (`retarget`), or stay for the caller to place.
    fn drop_ended(&mut self, customer: SessionId, retarget: bool, out: &mut Effects) {
        if let Some(dropped) = self.chat_of(customer) {
            out.send(say::ended_chat_dropped(&dropped.name, self.target(dropped)));
        }
        self.leave_desk(customer, retarget, out);
    }

    /// Takes a chat off the desk, as [`drop_ended`](Self::drop_ended) does after its line.
    fn leave_desk(&mut self, customer: SessionId, retarget: bool, out: &mut Effects) {
        let was_active = self.active == Some(customer);
        self.forget(customer, out);
        if was_active && retarget {
            self.tell_current(out);
        }
    }

    /// After the chat the commands acted on left the desk: whom the executive's lines and
    /// commands go to now, held there (a customer assigned next does not take them over).
    fn tell_current(&mut self, out: &mut Effects) {
        let Some(chat) = self.current() else {
            return;
        };
        self.announce(chat, out);
        self.active = Some(chat.customer);
    }

    /// Tells the executive that their lines and commands now go to `chat`.
    fn announce(&self, chat: &ChatInfo, out: &mut Effects) {
        if self.has_left(chat.customer) {
            out.send(say::now_on_ended(&chat.name, self.target(chat)));
        } else {
            out.send(say::now_talking_to(&chat.name));
        }
    }

    /// `chat`'s conversation was closed with `:close`.
    fn closed(&mut self, chat: &ChatInfo, out: &mut Effects) {
        self.forget(chat.customer, out);
        out.send(say::chat_closed(&chat.name));
        self.tell_current(out);
    }

    /// The lines about a new customer after their other open requests.
    fn assigned_end(&self, chat: &ChatInfo, backlog: WaitingLines, out: &mut Effects) {
        let kept = !backlog.lines.is_empty();
        if kept {
            out.send(say::WHILE_WAITING);
            for line in backlog.lines {
                out.send(say::backlog_line(&chat.name, &line));
            }
        }
        match (backlog.cut, kept) {
            (true, true) => out.send(say::BACKLOG_CUT),
            (true, false) => out.send(say::BACKLOG_NONE_KEPT),
            (false, _) => {}
        }
        let chats = self.chats.len().saturating_sub(self.ended.len());
        if chats > 1 {
            out.send(say::many_chats(chats));
        }
        if let Some(ended) = self.current().filter(|c| self.has_left(c.customer)) {
            let position = self.chats.iter().position(|c| c.customer == chat.customer);
            out.send(say::still_on_ended(
                &ended.name,
                self.target(ended),
                position.map_or(1, |p| p + 1),
                &chat.name,
            ));
        }
        out.send(say::CHAT_HINT);
    }
}

/// Why the new customer came: their words and the topic the bot understood.
fn tell_reason(reason: &Reason, out: &mut Effects) {
    match &reason.words {
        Some(words) => out.send(say::reason_words(words)),
        None => out.send(say::REASON_MENU),
    }
    if let Some(topic) = &reason.topic {
        out.send(say::reason_topic(topic));
    }
}

/// The new customer's other open requests, with state and date.
fn open_requests(chat: &ChatInfo, requests: &[Request], dates: Dates, out: &mut Effects) {
    let open: Vec<&Request> = requests
        .iter()
        .filter(|r| r.state == RequestState::Abierto && r.id != chat.request)
        .collect();
    if open.is_empty() {
        out.send(say::NO_OTHER_OPEN);
    } else {
        out.send(say::OPEN_REQUESTS);
        for r in open {
            out.send(say::open_request(
                r.id,
                &r.subject,
                r.state,
                dates.show(r.created_at, Dates::DAY),
            ));
        }
    }
    recently_closed(chat, requests, dates, out);
}

/// How far back the hand-off lists a customer's closed requests.
const RECENT_DAYS: i64 = 30;
/// At most this many of them.
const RECENT_SHOWN: usize = 3;

/// The customer's newest requests closed (last changed) within [`RECENT_DAYS`] before the
/// chat's request was last changed (as it was handed off: the core has no clock), which
/// the customer may be coming back about (a black-box test's customer who left the queue
/// came back to "El cliente no tiene otras solicitudes abiertas": her first complaint, in
/// the request closed when she left, was not on screen).
fn recently_closed(chat: &ChatInfo, requests: &[Request], dates: Dates, out: &mut Effects) {
    let Some(now) = requests.iter().find(|r| r.id == chat.request) else {
        return;
    };
    let since = now.updated_at - chrono::Duration::days(RECENT_DAYS);
    let mut closed: Vec<&Request> = requests
        .iter()
        .filter(|r| r.state == RequestState::Cerrado && r.updated_at >= since)
        .collect();
    if closed.is_empty() {
        return;
    }
    closed.sort_by_key(|r| std::cmp::Reverse((r.updated_at, r.id)));
    out.send(say::RECENTLY_CLOSED);
    for r in closed.into_iter().take(RECENT_SHOWN) {
        out.send(say::closed_request(
            r.id,
            &r.subject,
            dates.show(r.created_at, Dates::DAY),
        ));
    }
}

/// A requeued customer's transcript without its last lines when they are the ones the
/// customer typed back in the queue: those are shown apart, under "Mientras esperaba", and
/// the previous executive never read them (a black-box test saw them twice).
fn without_waiting_lines<'a>(
    lines: &'a [TranscriptLine],
    customer: &str,
    waiting: &[String],
) -> &'a [TranscriptLine] {
    let Some(start) = lines.len().checked_sub(waiting.len()) else {
        return lines;
    };
    let (before, tail) = lines.split_at(start);
    let typed_back_in_line = tail
        .iter()
        .zip(waiting)
        .all(|(line, kept)| line.speaker == customer && line.text == *kept);
    if typed_back_in_line {
        before
    } else {
        lines
    }
}

/// The request as `agent`, who had the customer before, left it: subject, state and
/// their last notes in its history.
/// Also what they wrote, since the chat's request was created, in the customer's other
/// requests (one opened with `:open`; a re-test's second executive saw nothing of it).
fn left_by(agent: &str, request: &Request, requests: &[Request], dates: Dates, out: &mut Effects) {
    let shown = notes_by(agent, request, request.created_at);
    out.send(say::passed_on(
        agent,
        request.id,
        &request.subject,
        request.state,
        shown.len(),
    ));
    entry_lines(shown, dates, Dates::TIME_OF_DAY, out);
    for other in requests.iter().filter(|r| r.id != request.id) {
        let notes = notes_by(agent, other, request.created_at);
        if !notes.is_empty() {
            out.send(say::also_noted(
                agent,
                other.id,
                &other.subject,
                other.state,
            ));
            entry_lines(notes, dates, Dates::TIME_OF_DAY, out);
        }
    }
}

/// The last 10 entries `agent` wrote in `request`'s history since `since` (not the "took it"
/// entry).
fn notes_by<'r>(agent: &str, request: &'r Request, since: DateTime<Utc>) -> Vec<&'r HistoryEntry> {
    const SHOWN: usize = 10;
    let mut notes: Vec<&HistoryEntry> = request
        .history
        .iter()
        .filter(|e| e.author == agent && e.at >= since && !history::is_agent_took(&e.text))
        .collect();
    let from = notes.len().saturating_sub(SHOWN);
    notes.drain(..from);
    notes
}

/// History entries, one line each, dated in `at`, one of [`Dates`]'s formats: the
/// chat's day ([`Dates::TIME_OF_DAY`]) or an earlier request, which may span days
/// ([`Dates::DAY_AND_TIME`]).
fn entry_lines<'e>(
    entries: impl IntoIterator<Item = &'e HistoryEntry>,
    dates: Dates,
    at: &'static str,
    out: &mut Effects,
) {
    for entry in entries {
        out.send(say::transcript_line(
            dates.show(entry.at, at),
            &entry.author,
            &entry.text,
        ));
    }
}

/// Chat lines, one line each, dated as [`entry_lines`] dates history entries.
fn chat_lines(lines: &[TranscriptLine], dates: Dates, at: &'static str, out: &mut Effects) {
    for line in lines {
        out.send(say::transcript_line(
            dates.show(line.at, at),
            &line.speaker,
            &line.text,
        ));
    }
}

/// The last `n` of `items`.
fn last<T>(items: &[T], n: usize) -> &[T] {
    &items[items.len().saturating_sub(n)..]
}

/// The last lines of a requeued customer's chat with their previous executive.
fn previous_chat(agent: &str, lines: &[TranscriptLine], dates: Dates, out: &mut Effects) {
    const SHOWN: usize = 30;
    // Nothing was said: no header over nothing.
    if lines.is_empty() {
        return;
    }
    out.send(say::previous_chat(agent, lines.len()));
    chat_lines(last(lines, SHOWN), dates, Dates::TIME_OF_DAY, out);
}

/// `:close`'s history entry on `request`, by the executive `name`.
fn closed_note(request: RequestId, name: &str) -> StoreOp {
    StoreOp::AppendHistory {
        request,
        author: Cow::Owned(name.to_owned()),
        text: Cow::Borrowed(history::AGENT_CLOSED),
    }
}

/// How many history entries and chat lines `:open` shows of a request (the last ones).
const OPENED_SHOWN: usize = 10;

/// A request the customer took up again for this chat (see the customer's
/// `Plan::Resume`): the last [`OPENED_SHOWN`] entries of its history before this request for
/// an executive; nothing for a request made for this chat.
fn resumed(request: &Request, dates: Dates, out: &mut Effects) {
    let Some(asked) = request
        .history
        .iter()
        .rposition(|e| history::is_contact_asked(&e.text))
    else {
        return;
    };
    let before = &request.history[..asked];
    if before.is_empty() {
        return;
    }
    let shown = last(before, OPENED_SHOWN);
    out.send(say::resumed_request(request.id, shown.len(), before.len()));
    entry_lines(shown, dates, Dates::DAY_AND_TIME, out);
}

/// `:open`: the last [`OPENED_SHOWN`] entries of the request's history, dated (an earlier
/// request's may span days).
fn opened_history(request: &Request, dates: Dates, out: &mut Effects) {
    let entries = &request.history;
    let shown = last(entries, OPENED_SHOWN);
    out.send(say::opened_history(shown.len(), entries.len()));
    entry_lines(shown, dates, Dates::DAY_AND_TIME, out);
}

/// `:open`: the last [`OPENED_SHOWN`] lines of the request's chats, if any.
fn opened_chat(lines: &[TranscriptLine], dates: Dates, out: &mut Effects) {
    if lines.is_empty() {
        return;
    }
    let shown = last(lines, OPENED_SHOWN);
    out.send(say::opened_chat(shown.len(), lines.len()));
    chat_lines(shown, dates, Dates::DAY_AND_TIME, out);
}

/// An input the phase cannot take (the driver feeds results only to pending states): it is
/// dropped.
fn unexpected(phase: Phase, what: &str) -> Phase {
    tracing::warn!(?phase, what, "input not expected in this phase");
    phase
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::events::ContactId;

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
                Err(CommandError::Usage(say::USAGE_STATE)),
            ),
            (":state", Err(CommandError::Usage(say::USAGE_STATE))),
            (
                ":history  llamó de nuevo ",
                Ok(AgentCommand::History("llamó de nuevo".into())),
            ),
            (":subject", Err(CommandError::Usage(say::USAGE_SUBJECT))),
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
        // A subject is a headline (a black-box test set one of 600 characters); the
        // refusal is said once in the server's voice (a re-test read "Sistema: Sistema:").
        assert!(!CommandError::SubjectTooLong
            .to_string()
            .starts_with(protocol::SYSTEM));
        let longest = "x".repeat(MAX_SUBJECT_CHARS);
        assert_eq!(
            AgentCommand::parse(&format!(":subject {longest}")),
            Ok(AgentCommand::Subject(longest.clone()))
        );
        assert_eq!(
            AgentCommand::parse(&format!(":subject {longest}y")),
            Err(CommandError::SubjectTooLong)
        );
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
            Err(CommandError::Usage(say::USAGE_SUBJECT))
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

    #[test]
    fn reserved_names_are_refused_at_login_and_with_name() {
        let mut conv = AgentConversation {
            phase: Phase::AwaitName,
            desk: Desk::default(),
        };
        for name in ["Sistema", "Asistente", "ASISTENTE", "Sístema", "SERVER"] {
            let mut out = Effects::new();
            conv = conv.step(
                Input::Line {
                    text: name,
                    prediction: None,
                },
                &ctx(),
                &mut out,
            );
            assert_eq!(out.lines().collect::<Vec<_>>(), [say::name_reserved(name)]);
            assert_eq!(conv.phase, Phase::AwaitName);
        }
        let mut out = Effects::new();
        conv.phase = Phase::Ready { name: "Ana".into() };
        let conv = conv.step(
            Input::Line {
                text: ":name Asistente",
                prediction: None,
            },
            &ctx(),
            &mut out,
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [say::name_reserved("Asistente")]
        );
        assert_eq!(conv.name(), Some("Ana"));
        assert!(matches!(
            validate_name("Asistente"),
            Err(NameError::Reserved(_))
        ));
    }

    #[test]
    fn a_close_whose_history_entry_failed_says_so_and_still_ends_the_chat() {
        let chat = ChatInfo {
            customer: SessionId(7),
            name: "Jorge Sandoval".into(),
            rut: "12.345.678-5".parse().unwrap(),
            request: 9,
            contact: ContactId(9),
        };
        let conv = AgentConversation {
            phase: Phase::Pending {
                name: "Ana".into(),
                wait: Wait::CloseRecorded { chat: chat.clone() },
            },
            desk: Desk {
                chats: vec![chat],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        let conv = conv.step(
            Input::Stored(StoreResult::Changed(Err(crate::conversation::StoreFailed))),
            &ctx(),
            &mut out,
        );
        assert!(out.lines().any(|l| l == say::close_not_recorded(9)));
        assert!(!out.lines().any(|l| l == say::STORE_FAILED));
        assert!(out
            .0
            .iter()
            .any(|e| matches!(e, Effect::Hub(HubOp::AgentCloses { request: None, .. }))));
        assert!(matches!(
            conv.phase,
            Phase::Pending {
                wait: Wait::Close { .. },
                ..
            }
        ));
    }

    /// `:close` on a chat whose commands act on a request chosen with `:open` notes both
    /// requests, the opened one first; the executive hears when its entry is missing, and
    /// the chat's own is written and closes the chat all the same.
    #[test]
    fn a_close_of_an_opened_request_tells_a_missing_entry() {
        let chat = chat(9);
        let mut conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat.clone()],
                targets: vec![(chat.customer, 120)],
                ..Desk::default()
            },
        };
        let noted = |out: &Effects| -> Vec<RequestId> {
            out.0
                .iter()
                .filter_map(|e| match e {
                    Effect::Store(StoreOp::AppendHistory { request, text, .. })
                        if text.as_ref() == history::AGENT_CLOSED =>
                    {
                        Some(*request)
                    }
                    _ => None,
                })
                .collect()
        };
        let mut out = Effects::new();
        conv = conv.step(
            Input::Line {
                text: ":close",
                prediction: None,
            },
            &ctx(),
            &mut out,
        );
        assert_eq!(noted(&out), [120]);
        assert!(!out.0.iter().any(|e| matches!(e, Effect::Record(_))));
        let mut out = Effects::new();
        conv = conv.step(
            Input::Stored(StoreResult::Changed(Err(crate::conversation::StoreFailed))),
            &ctx(),
            &mut out,
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [say::close_not_recorded(120)]
        );
        assert_eq!(noted(&out), [9]);
        assert!(matches!(
            conv.phase,
            Phase::Pending {
                wait: Wait::CloseRecorded { .. },
                ..
            }
        ));
        // Gone while the opened request's note is written: the chat's own is still noted.
        let waiting = AgentConversation {
            phase: Phase::Pending {
                name: "Ana".into(),
                wait: Wait::CloseOpenedRecorded {
                    chat: chat.clone(),
                    opened: 120,
                },
            },
            desk: Desk {
                chats: vec![chat],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        let gone = waiting.step(Input::Disconnected(Departure::Lost), &ctx(), &mut out);
        assert!(gone.is_closed());
        assert!(out.0.iter().any(|e| matches!(
            e,
            Effect::Record(StoreOp::AppendHistory { request: 9, text, .. })
                if text.as_ref() == history::AGENT_CLOSED
        )));
    }

    fn chat(n: u64) -> ChatInfo {
        ChatInfo {
            customer: SessionId(n),
            name: format!("Cliente {n}"),
            rut: "12.345.678-5".parse().unwrap(),
            request: n,
            contact: ContactId(n.try_into().unwrap()),
        }
    }

    /// The key of Cliente `n`'s chat once ended (as the hub gives: not the session's).
    fn ended(n: u64) -> SessionId {
        SessionId(1000 + n)
    }

    /// Cliente `n`'s chat under its key once ended.
    fn ended_chat(n: u64) -> ChatInfo {
        ChatInfo {
            customer: ended(n),
            ..chat(n)
        }
    }

    /// `chat` handed to the executive, with nothing said while waiting.
    fn assigned(chat: ChatInfo) -> Input<'static, AgentEvent> {
        Input::Event(AgentEvent::Assigned {
            chat,
            backlog: WaitingLines::default(),
            reason: Reason::default(),
            previous_agent: None,
        })
    }

    /// Cliente `n` ended the chat (wrote "salir").
    fn customer_left(n: u64) -> Input<'static, AgentEvent> {
        Input::Event(AgentEvent::CustomerLeft {
            chat: chat(n),
            ended: ended(n),
            disconnected: None,
        })
    }

    #[test]
    fn ended_chats_stay_until_closed_and_the_oldest_goes_past_the_cap() {
        let mut conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk::default(),
        };
        let total = MAX_ENDED_CHATS as u64 + 1;
        for n in 1..=total {
            conv.desk.chats.push(chat(n));
        }
        let mut lines = Vec::new();
        let mut wrapped_up = Vec::new();
        for n in 1..=total {
            let mut out = Effects::new();
            conv = conv.step(customer_left(n), &ctx(), &mut out);
            lines = out.lines().map(str::to_string).collect();
            wrapped_up.extend(out.0.iter().filter_map(|e| match e {
                Effect::Hub(HubOp::AgentWrappedUp { customer }) => Some(*customer),
                _ => None,
            }));
        }
        // The dropped chat's place is free again for the hub, and only that one.
        assert_eq!(wrapped_up, [ended(1)]);
        assert_eq!(
            lines,
            [
                say::customer_ended(&format!("Cliente {total}")),
                say::wrap_up(total, std::time::Duration::ZERO),
                say::ended_chat_dropped("Cliente 1", 1),
                // The commands acted on the dropped one: they move on, saying where.
                say::now_on_ended("Cliente 2", 2),
            ]
        );
        assert_eq!(conv.desk.chats.len(), MAX_ENDED_CHATS);
        assert_eq!(conv.desk.ended.len(), MAX_ENDED_CHATS);
        assert_eq!(conv.desk.current(), Some(&ended_chat(2)));
    }

    /// A line from the executive works on the ended chat their commands act on (its
    /// wrap-up limit counts again from it, in the connection task); not while they act on
    /// a chat whose customer is there.
    #[test]
    fn the_ended_chat_in_use_is_the_current_one_whose_customer_left() {
        let ctx = ctx();
        let mut conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat(1), chat(2)],
                active: Some(chat(1).customer),
                ..Desk::default()
            },
        };
        assert_eq!(conv.ended_chat_in_use(), None);
        let mut out = Effects::new();
        conv = conv.step(customer_left(1), &ctx, &mut out);
        assert_eq!(conv.ended_chat_in_use(), Some(ended(1)));
        conv = conv.step(
            Input::Line {
                text: ":switch 2",
                prediction: None,
            },
            &ctx,
            &mut out,
        );
        assert_eq!(conv.ended_chat_in_use(), None);
    }

    #[test]
    fn an_ended_chat_leaves_the_desk_when_its_wrap_up_limit_passes() {
        let limit = std::time::Duration::from_secs(5 * 60);
        let ctx = Context {
            wrap_up_limit: limit,
            ..ctx()
        };
        // The commands act on Cliente 1's chat, on request 7 (chosen with :open).
        let mut conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat(1), chat(2)],
                targets: vec![(chat(1).customer, 7)],
                ..Desk::default()
            },
        };
        // The customer of the chat the commands act on leaves: the limit is announced.
        let mut out = Effects::new();
        conv = conv.step(customer_left(1), &ctx, &mut out);
        assert_eq!(out.lines().last(), Some(say::wrap_up(7, limit).as_str()));
        assert!(say::wrap_up(7, limit).ends_with(
            " Si no la termina, saldrá de :chats tras 5 minutos sin que usted escriba en ella."
        ));
        assert_eq!(conv.ended_chats(), [ended(1)]);
        // The ended chat goes by its key; the others by their session.
        let key = |n: u64| if n == 1 { ended(1) } else { chat(n).customer };
        let due = |conv: AgentConversation, n: u64| {
            let mut out = Effects::new();
            let chat = key(n);
            (conv.step(Input::WrapUpDue { chat }, &ctx, &mut out), out)
        };
        // Due for a chat in course, or one not on the desk: nothing happens.
        for other in [2, 3] {
            let before = conv.clone();
            let out;
            (conv, out) = due(conv, other);
            assert!(out.0.is_empty(), "{other}: {:?}", out.0);
            assert_eq!(conv, before);
        }
        // A minute before, the executive is warned of the ended one, naming the request the
        // commands act on; of a chat in course, or one not on the desk, not.
        assert_eq!(
            wrap_up_warning(limit),
            Some(std::time::Duration::from_secs(60))
        );
        let soon = |conv: AgentConversation, n: u64| {
            let mut out = Effects::new();
            let (chat, left) = (key(n), std::time::Duration::from_secs(60));
            (
                conv.step(Input::WrapUpSoon { chat, left }, &ctx, &mut out),
                out,
            )
        };
        for (n, warned) in [(1, true), (2, false), (3, false)] {
            let before = conv.clone();
            let out;
            (conv, out) = soon(conv, n);
            let expected = warned.then(|| {
                Effect::Send(
                    say::wrap_up_soon("Cliente 1", 7, std::time::Duration::from_secs(60)).into(),
                )
            });
            assert_eq!(out.0, Vec::from_iter(expected), "{n}");
            assert_eq!(conv, before, "{n}");
        }
        assert_eq!(
            say::wrap_up_soon("Cliente 1", 7, std::time::Duration::from_secs(60)),
            "Sistema: La conversación terminada con Cliente 1 (solicitud 7) saldrá de :chats en 1 minuto si no la termina con :close ni escribe en ella."
        );
        // Due for the ended one: it leaves the desk, its place goes back to the hub, the
        // histories of both requests (as :close writes) and the console say why.
        let out;
        (conv, out) = due(conv, 1);
        let entry = |request| {
            Effect::Record(StoreOp::AppendHistory {
                request,
                author: "Ana".into(),
                text: history::wrap_up_expired(limit).into(),
            })
        };
        assert_eq!(
            out.0,
            [
                Effect::Send(say::wrap_up_expired("Cliente 1", 7, limit).into()),
                entry(7),
                entry(1),
                Effect::Console(protocol::console::wrap_up_expired(
                    "Ana",
                    "Cliente 1",
                    limit
                )),
                Effect::Hub(HubOp::AgentWrappedUp { customer: ended(1) }),
            ]
        );
        assert_eq!(conv.chats(), [chat(2)]);
        assert!(conv.ended_chats().is_empty());
        // The next line the executive meant for the gone chat reaches nobody else (a
        // customer may have been handed over that very moment); then the commands go on.
        for (i, text) in [":state cerrado", "hola"].into_iter().enumerate() {
            if i > 0 {
                // (Each kind of line, from the same state.)
                conv.desk.expired = Some("Cliente 1".into());
            }
            let mut out = Effects::new();
            conv = conv.step(Input::line(text), &ctx, &mut out);
            assert_eq!(
                out.0,
                [Effect::Send(say::commands_chat_expired("Cliente 1").into())],
                "{text}"
            );
        }
        // Said once.
        let mut out = Effects::new();
        conv = conv.step(Input::line("hola"), &ctx, &mut out);
        assert!(
            out.0.iter().any(|e| matches!(
                e,
                Effect::Hub(HubOp::AgentSays { customer, .. }) if *customer == chat(2).customer
            )),
            "{:?}",
            out.0
        );
        conv.phase = Phase::Ready { name: "Ana".into() };
        // :switch chooses anew and clears the refusal.
        conv.desk.expired = Some("Cliente 1".into());
        let mut out = Effects::new();
        conv = conv.step(Input::line(":switch 1"), &ctx, &mut out);
        assert_eq!(conv.desk.expired, None);
        // Twice (the driver's timer crossing a :close): nothing more.
        let out;
        (conv, out) = due(conv, 1);
        assert!(out.0.is_empty());
        assert_eq!(conv.chats(), [chat(2)]);
    }

    /// The customer of the chat a `:close` waits on leaves meanwhile: the wait follows the
    /// ended chat's key, so the close ends its wrap-up; back on the same connection about
    /// another request, the customer's new chat sits beside their ended one, whose
    /// commands stay until `:close`.
    #[test]
    fn an_ended_chat_goes_by_its_own_key_beside_the_same_customer_back() {
        let ctx = ctx();
        let chatting = || AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat(1)],
                ..Desk::default()
            },
        };
        let mut conv = chatting();
        let mut out = Effects::new();
        conv = conv.step(Input::line(":close"), &ctx, &mut out);
        assert!(matches!(
            &conv.phase,
            Phase::Pending {
                wait: Wait::CloseRecorded { .. },
                ..
            }
        ));
        conv = conv.step(customer_left(1), &ctx, &mut out);
        assert_eq!(conv.desk.chats, [ended_chat(1)]);
        let mut out = Effects::new();
        conv = conv.step(
            // (A history entry not written: the chat is closed all the same.)
            Input::Stored(StoreResult::Changed(Err(crate::conversation::StoreFailed))),
            &ctx,
            &mut out,
        );
        assert!(
            out.0
                .contains(&Effect::Hub(HubOp::AgentWrappedUp { customer: ended(1) })),
            "{:?}",
            out.0
        );
        assert!(conv.chats().is_empty());

        // Back about request 11 while request 1's chat is wrapped up.
        let mut conv = chatting();
        let mut out = Effects::new();
        conv = conv.step(customer_left(1), &ctx, &mut out);
        let again = ChatInfo {
            request: 11,
            contact: ContactId(11),
            ..chat(1)
        };
        let mut out = Effects::new();
        conv = conv.step(assigned(again.clone()), &ctx, &mut out);
        conv = conv.step(
            Input::Stored(StoreResult::Requests(Ok(Vec::new()))),
            &ctx,
            &mut out,
        );
        assert_eq!(conv.chats(), [ended_chat(1), again.clone()]);
        assert_eq!(conv.ended_chats(), [ended(1)]);
        assert!(
            out.lines()
                .any(|l| l == say::still_on_ended("Cliente 1", 1, 2, "Cliente 1")),
            "{:?}",
            out.0
        );
        // The ended chat's :close frees its key alone; the new chat is then current.
        let mut out = Effects::new();
        conv = conv.step(Input::line(":close"), &ctx, &mut out);
        let mut out = Effects::new();
        conv = conv.step(
            // (A history entry not written: the chat is closed all the same.)
            Input::Stored(StoreResult::Changed(Err(crate::conversation::StoreFailed))),
            &ctx,
            &mut out,
        );
        let wrapped: Vec<_> = out
            .0
            .iter()
            .filter_map(|e| match e {
                Effect::Hub(HubOp::AgentWrappedUp { customer }) => Some(*customer),
                _ => None,
            })
            .collect();
        assert_eq!(wrapped, [ended(1)]);
        assert_eq!(conv.chats(), std::slice::from_ref(&again));
        assert_eq!(conv.desk.current(), Some(&again));
    }

    /// A customer back about a request two ended chats on the desk act on (the second
    /// one's `:open` chose it): both leave, as the hub took both off.
    #[test]
    fn a_request_served_again_takes_every_ended_chat_of_it_off_the_desk() {
        let second = ChatInfo {
            customer: ended(2),
            request: 11,
            contact: ContactId(11),
            ..chat(1)
        };
        let conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![ended_chat(1), second],
                ended: vec![ended(1), ended(2)],
                targets: vec![(ended(2), 1)],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        let conv = conv.step(assigned(chat(1)), &ctx(), &mut out);
        assert_eq!(conv.chats(), [chat(1)]);
        assert!(conv.ended_chats().is_empty());
        // (The hub freed both places itself.)
        assert!(!out
            .0
            .iter()
            .any(|e| matches!(e, Effect::Hub(HubOp::AgentWrappedUp { .. }))));
    }

    #[test]
    fn an_ended_chat_whose_request_is_served_again_leaves_the_desk() {
        let ctx = ctx();
        let desk = |ended: Vec<SessionId>| AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat(1), chat(2)],
                ended,
                active: Some(chat(1).customer),
                ..Desk::default()
            },
        };
        let taken_up = |conv: AgentConversation, agent: &str| {
            let mut out = Effects::new();
            let event = AgentEvent::EndedChatTakenUp {
                customer: chat(1).customer,
                request: 1,
                agent: agent.into(),
            };
            (conv.step(Input::Event(event), &ctx, &mut out), out)
        };
        // A chat in course is no ended one: nothing.
        let (conv, out) = taken_up(desk(Vec::new()), "Beto");
        assert!(out.0.is_empty(), "{:?}", out.0);
        assert_eq!(conv.chats(), [chat(1), chat(2)]);
        // The ended one leaves, saying who serves its request now; the next line for a chat
        // is refused (it was the one the commands acted on).
        let (conv, out) = taken_up(desk(vec![chat(1).customer]), "Beto");
        // (The hub freed its place and told the console: nothing more to it.)
        assert_eq!(
            out.0,
            [Effect::Send(
                say::ended_chat_taken_up("Cliente 1", 1, Some("Beto")).into()
            )]
        );
        assert_eq!(conv.chats(), [chat(2)]);
        let mut out = Effects::new();
        let _ = conv.step(Input::line(":state cerrado"), &ctx, &mut out);
        assert_eq!(
            out.0,
            [Effect::Send(say::commands_chat_expired("Cliente 1").into())]
        );
        // Served again by this very executive, in a new chat (the hub sends only the
        // hand-off): the ended chat leaves in the same step, saying so, and the commands
        // follow the request into the new chat.
        let again = ChatInfo {
            customer: SessionId(9),
            ..chat(1)
        };
        let mut out = Effects::new();
        let conv = desk(vec![chat(1).customer]).step(assigned(again.clone()), &ctx, &mut out);
        assert_eq!(
            out.lines().next(),
            Some(say::ended_chat_taken_up("Cliente 1", 1, None).as_str())
        );
        assert_eq!(conv.desk.active, Some(again.customer));
        assert_eq!(conv.desk.expired, None);
        assert_eq!(conv.chats(), [chat(2), again]);
        // The same for the request `:open` chose in the ended chat, which the line names.
        let opened = ChatInfo {
            customer: SessionId(9),
            request: 7,
            contact: ContactId(7),
            ..chat(1)
        };
        let mut conv = desk(vec![chat(1).customer]);
        conv.desk.targets = vec![(chat(1).customer, 7)];
        let mut out = Effects::new();
        let conv = conv.step(assigned(opened.clone()), &ctx, &mut out);
        assert_eq!(
            out.lines().next(),
            Some(say::ended_chat_taken_up("Cliente 1", 7, None).as_str())
        );
        assert_eq!(conv.desk.active, Some(opened.customer));
        assert_eq!(conv.chats(), [chat(2), opened]);
        assert_eq!(
            say::ended_chat_taken_up("Jorge Sandoval", 124579, Some("Beto")),
            "Sistema: Jorge Sandoval volvió por la solicitud 124579, que ahora atiende Beto: se quitó de :chats la conversación terminada."
        );
    }

    /// A `:state` or `:open` whose request was being read when its chat left the desk
    /// (taken up by a colleague) writes nothing and chooses nothing: refused once, as the
    /// next command would be.
    #[test]
    fn a_command_waiting_for_the_store_is_refused_when_its_chat_left_the_desk() {
        let ctx = ctx();
        let now = Utc::now();
        let stored = Request {
            id: 1,
            rut: chat(1).rut,
            subject: "Cobro".into(),
            state: RequestState::Abierto,
            answer: None,
            sensitive: false,
            history: Vec::new(),
            created_at: now,
            updated_at: now,
        };
        for command in [":state cerrado", ":open 1"] {
            let conv = AgentConversation {
                phase: Phase::Ready { name: "Ana".into() },
                desk: Desk {
                    chats: vec![chat(1), chat(2)],
                    ended: vec![chat(1).customer],
                    active: Some(chat(1).customer),
                    ..Desk::default()
                },
            };
            let mut out = Effects::new();
            let conv = conv.step(Input::line(command), &ctx, &mut out);
            assert!(matches!(conv.phase, Phase::Pending { .. }), "{command}");
            let taken_up = AgentEvent::EndedChatTakenUp {
                customer: chat(1).customer,
                request: 1,
                agent: "Beto".into(),
            };
            let mut out = Effects::new();
            let conv = conv.step(Input::Event(taken_up), &ctx, &mut out);
            let mut out = Effects::new();
            let conv = conv.step(
                Input::Stored(StoreResult::Request(Ok(Some(stored.clone())))),
                &ctx,
                &mut out,
            );
            assert_eq!(
                out.0,
                [Effect::Send(say::commands_chat_expired("Cliente 1").into())],
                "{command}"
            );
            assert!(matches!(conv.phase, Phase::Ready { .. }), "{command}");
            assert!(conv.desk.targets.is_empty(), "{command}");
            // Said once: the next command acts on the chat left.
            let mut out = Effects::new();
            let _ = conv.step(Input::line(":state cerrado"), &ctx, &mut out);
            assert!(
                out.0
                    .iter()
                    .any(|e| matches!(e, Effect::Store(StoreOp::Request(2)))),
                "{command}: {:?}",
                out.0
            );
        }
    }

    #[test]
    fn the_warning_comes_a_minute_before_or_a_quarter_of_a_shorter_limit() {
        let secs = std::time::Duration::from_secs;
        for (limit, lead) in [
            (secs(300), Some(secs(60))),
            (secs(3600), Some(secs(60))),
            (secs(120), Some(secs(30))),
            (secs(4), Some(secs(1))),
            (secs(2), None),
            (secs(0), None),
        ] {
            assert_eq!(wrap_up_warning(limit), lead, "{limit:?}");
        }
    }

    #[test]
    fn a_wrap_up_due_while_a_result_is_pending_waits() {
        let ctx = Context {
            wrap_up_limit: std::time::Duration::from_secs(60),
            ..ctx()
        };
        let conv = AgentConversation {
            phase: Phase::Pending {
                name: "Ana".into(),
                wait: Wait::Close { chat: chat(1) },
            },
            desk: Desk {
                chats: vec![chat(1)],
                ended: vec![chat(1).customer],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        let after = conv.clone().step(
            Input::WrapUpDue {
                chat: chat(1).customer,
            },
            &ctx,
            &mut out,
        );
        assert!(out.0.is_empty());
        assert_eq!(after, conv);
    }

    #[test]
    fn a_close_that_crosses_the_customers_leaving_still_closes() {
        let conv = AgentConversation {
            phase: Phase::Pending {
                name: "Ana".into(),
                wait: Wait::Close { chat: chat(4) },
            },
            desk: Desk {
                chats: vec![chat(4)],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        let conv = conv.step(
            Input::Hub(HubResult::Closed(Err(HubError::NoCustomer))),
            &ctx(),
            &mut out,
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [say::chat_closed("Cliente 4")]
        );
        assert!(conv.desk.chats.is_empty());
        // The notice of the leaving, which comes after, only tells.
        let mut out = Effects::new();
        let conv = conv.step(
            Input::Event(AgentEvent::CustomerLeft {
                chat: chat(4),
                ended: ended(4),
                disconnected: Some(Departure::Lost),
            }),
            &ctx(),
            &mut out,
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [say::customer_disconnected("Cliente 4")]
        );
        assert!(conv.desk.chats.is_empty());
    }

    #[test]
    fn quitting_with_ended_chats_says_they_stay_as_they_are() {
        let conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat(1), chat(2)],
                ended: vec![SessionId(1), SessionId(2)],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        conv.step(
            Input::Line {
                text: ":quit",
                prediction: None,
            },
            &ctx(),
            &mut out,
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [say::ended_left_open(2).as_str(), say::GOODBYE]
        );
    }

    #[test]
    fn a_hand_off_says_when_the_queue_kept_none_of_what_was_typed() {
        for (lines, expected) in [
            (vec!["hola".to_string()], say::BACKLOG_CUT),
            (Vec::new(), say::BACKLOG_NONE_KEPT),
        ] {
            let mut out = Effects::new();
            Desk::default().assigned_end(&chat(3), WaitingLines { lines, cut: true }, &mut out);
            assert!(out.lines().any(|l| l == expected));
        }
    }

    #[test]
    fn after_a_close_the_commands_stay_on_the_ended_chat_they_were_told_of() {
        // Chat 1 live (the commands act on it), chat 2's customer has left.
        let mut conv = AgentConversation {
            phase: Phase::Ready { name: "Ana".into() },
            desk: Desk {
                chats: vec![chat(1), chat(2)],
                ended: vec![SessionId(2)],
                active: Some(SessionId(1)),
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        conv.phase = Phase::Pending {
            name: "Ana".into(),
            wait: Wait::Close { chat: chat(1) },
        };
        conv = conv.step(Input::Hub(HubResult::Closed(Ok(chat(1)))), &ctx(), &mut out);
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                say::chat_closed("Cliente 1"),
                say::now_on_ended("Cliente 2", 2)
            ]
        );
        // A customer assigned now does not take the commands over.
        conv.desk.chats.push(chat(3));
        assert_eq!(conv.desk.current(), Some(&chat(2)));
    }

    #[test]
    fn a_late_close_result_does_not_end_the_same_connections_new_chat() {
        // :close of request 4 was pending; the customer left and came back on the same
        // connection into request 40.
        let mut again = chat(4);
        again.request = 40;
        let conv = AgentConversation {
            phase: Phase::Pending {
                name: "Ana".into(),
                wait: Wait::CloseRecorded { chat: chat(4) },
            },
            desk: Desk {
                chats: vec![again.clone()],
                ..Desk::default()
            },
        };
        let mut out = Effects::new();
        let conv = conv.step(
            Input::Stored(StoreResult::Changed(Err(crate::conversation::StoreFailed))),
            &ctx(),
            &mut out,
        );
        assert!(
            !out.0.iter().any(|e| matches!(e, Effect::Hub(_))),
            "{:?}",
            out.0
        );
        assert_eq!(conv.desk.chats, [again]);
    }
}
