//! The sans-IO conversation logic: what the bot and the executives' channel answer.
//!
//! A conversation is a state machine: [`CustomerConversation::step`] and
//! [`AgentConversation::step`] take the state by value and one [`Input`] (a line with the
//! classifier's prediction when the state asked for one, a hub event, the result of a store
//! or hub operation, the disconnection) and return the next state, pushing [`Effect`]s:
//! lines to send, store and hub operations as plain data, console lines, close. Nothing
//! here touches a socket, a database, a channel or a clock; the connection task (the
//! driver, in the server) carries the effects out and feeds their results back. A state
//! that waits for a result is an explicit pending state, so each result goes where it
//! belongs.

mod agent;
mod customer;
pub mod events;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub(crate) use agent::wrap_up_warning;
pub use agent::{
    validate_name, AgentCommand, AgentConversation, CommandError, NameError, MAX_NAME_CHARS,
    MAX_SUBJECT_CHARS,
};
pub use customer::{CustomerConversation, Idle, MAX_CUSTOMER_NAME_CHARS, MAX_RESTARTS};

use crate::nlu::Prediction;
use crate::registry::{
    Customer, InboxMessage, Request, RequestId, RequestState, SerialFailures, SerialLockout,
    TokenFailures, TokenLockout, TranscriptLine,
};
use crate::rut::Rut;
use events::{
    ChatElsewhere, ChatInfo, ContactId, Departure, Enqueued, HubError, OpenChat, Reason,
    RequestChange, Routed, SessionId, Takeover, Waiting,
};

/// `duration` in whole minutes, rounded up (at least one): how the conversations tell a
/// lock-out or a wait.
fn whole_minutes(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60).max(1)
}

/// A party's lines kept in one request's transcript during a live chat, counted against
/// [`Policy::max_transcript_lines`]: later lines still reach the other party but not the
/// store, and the party is told once. The customer keeps one (its current chat), an
/// executive one per current chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TranscriptCount {
    /// The request counted.
    request: RequestId,
    lines: usize,
    /// The party was told that later lines are not kept.
    told_full: bool,
}

/// Whether a chat line is kept in the request's transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Yes,
    /// Not kept, and the first such line: say so.
    NoTellOnce,
    No,
}

impl TranscriptCount {
    fn new(request: RequestId) -> TranscriptCount {
        TranscriptCount {
            request,
            lines: 0,
            told_full: false,
        }
    }

    /// The count of a chat that moved from another connection, with `lines` of the
    /// customer's already sent (telling again that later ones are not kept is right: this
    /// connection was not told).
    fn carried(request: RequestId, lines: usize) -> TranscriptCount {
        TranscriptCount {
            request,
            lines,
            told_full: false,
        }
    }

    /// Counts one more line against `max`.
    fn keep(&mut self, max: usize) -> Keep {
        if self.lines < max {
            self.lines += 1;
            Keep::Yes
        } else if !self.told_full {
            self.told_full = true;
            Keep::NoTellOnce
        } else {
            Keep::No
        }
    }
}

/// What a conversation needs to decide, all of it pure data. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Context {
    /// Security policy.
    pub policy: Policy,
    /// The executives' shared secret (compared in constant time).
    pub agent_token: Arc<str>,
    /// When this server started: a wait or a chat whose last entry is older was cut by a
    /// stop of this server (see the customer's login check). `None` when other servers
    /// share the store: a wait or a chat may then be live on another node, and nothing
    /// tells it from one a stop cut short.
    pub started: Option<DateTime<Utc>>,
    /// The time zone the chat's times are shown in (customers and executives read them as
    /// their own clock's; the store keeps UTC).
    pub time_zone: Tz,
    /// How long a waiting customer whose connection drops keeps their place (zero: not at
    /// all); the queue's lines say so.
    pub queue_grace: Duration,
    /// How long an executive has to `:close` a chat whose customer left before it leaves
    /// the desk (zero: no limit); the wrap-up line says so.
    pub wrap_up_limit: Duration,
}

impl Context {
    /// How the chat dates what it shows.
    pub(crate) fn dates(&self) -> Dates {
        Dates(self.time_zone)
    }
}

/// Dates and times as the chat shows them: in the desk's time zone ([`Context::time_zone`]),
/// in one of the formats below.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dates(Tz);

impl Dates {
    /// A day: "2026-12-05".
    pub(crate) const DAY: &'static str = "%Y-%m-%d";
    /// A time of the day, for what happened on the chat's day: "14:05".
    pub(crate) const TIME_OF_DAY: &'static str = "%H:%M";
    /// A day and a time, for what may span days: "2026-12-05 14:05".
    pub(crate) const DAY_AND_TIME: &'static str = "%Y-%m-%d %H:%M";

    /// `at` in the desk's time zone, as `format` (one of the formats above) says.
    pub(crate) fn show(self, at: DateTime<Utc>, format: &'static str) -> impl fmt::Display {
        at.with_timezone(&self.0).format(format)
    }
}

/// Security policy of the conversations.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Ask for the identity card's serial number before showing sensitive answers.
    pub second_factor: bool,
    /// Wrong serial numbers allowed per session before sensitive data is locked; also the
    /// wrong ones, counted per RUT across sessions, after which the store locks the second
    /// factor for a while (see `serial_lockout`).
    pub max_serial_attempts: u32,
    /// The first lock-out of a RUT's second factor after `max_serial_attempts` wrong serials
    /// (doubled for each further round, up to a day).
    pub serial_lockout: Duration,
    /// Invalid or unknown RUTs allowed before the connection is closed.
    pub max_login_attempts: u32,
    /// Lines a waiting customer may leave for the executive (per stay in the queue); later
    /// ones are neither kept in memory nor stored, and the customer is told once.
    pub max_backlog_lines: usize,
    /// Bytes of those lines, in all.
    pub max_backlog_bytes: usize,
    /// Chat lines each party's connection keeps in a request's transcript; later ones are
    /// still delivered but not stored, and the party is told once.
    pub max_transcript_lines: usize,
    /// How wrong executives' tokens, counted for the whole server, lock the executives'
    /// login.
    pub token_lockout: TokenLockout,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            second_factor: true,
            max_serial_attempts: 3,
            serial_lockout: Duration::from_secs(60),
            max_login_attempts: 5,
            max_backlog_lines: 20,
            max_backlog_bytes: 8 * 1024,
            max_transcript_lines: 500,
            token_lockout: TokenLockout::default(),
        }
    }
}

/// One input to a conversation. `E` is the hub's event type for the party.
#[derive(Debug)]
pub enum Input<'a, E> {
    /// A line the party typed, with the classifier's prediction when
    /// `wants_classification` asked for one.
    Line {
        /// The line as received.
        text: &'a str,
        /// The prediction for `text.trim()`.
        prediction: Option<Prediction>,
    },
    /// An event from the hub.
    Event(E),
    /// The result of the pending [`Effect::Store`].
    Stored(StoreResult),
    /// The result of the pending [`Effect::Hub`] (only for operations that have one).
    Hub(HubResult),
    /// A customer waited in the queue for the queue's idle limit without writing and
    /// nobody took them (the driver's timer; other parties ignore it).
    QueueIdle {
        /// The limit, to tell the customer.
        waited: Duration,
    },
    /// An executive's chat whose customer left ([`AgentConversation::ended_chats`]) has
    /// waited [`Context::wrap_up_limit`] for `:close` since (the driver's timer; other
    /// parties ignore it).
    ///
    /// [`AgentConversation::ended_chats`]: agent::AgentConversation::ended_chats
    WrapUpDue {
        /// The chat's customer session.
        chat: SessionId,
    },
    /// An ended chat's wrap-up limit passes in `left` (a minute before, or a quarter of a
    /// shorter limit): the executive is warned (the driver's timer; other parties ignore
    /// it).
    WrapUpSoon {
        /// The chat's customer session.
        chat: SessionId,
        /// What is left of the limit.
        left: Duration,
    },
    /// The connection ended (for any reason but the server's stop): leave the hub, record
    /// it.
    Disconnected(Departure),
    /// The server stopped and closed the connection: as [`Input::Disconnected`], but the
    /// request's history says the server stopped, not that the customer left.
    ServerStopped,
}

impl<'a, E> Input<'a, E> {
    /// Whether the connection has already ended ([`Input::Disconnected`],
    /// [`Input::ServerStopped`]): nothing closes it again.
    pub fn ends_the_connection(&self) -> bool {
        matches!(self, Input::Disconnected(_) | Input::ServerStopped)
    }

    /// A line without a prediction.
    pub fn line(text: &'a str) -> Input<'a, E> {
        Input::Line {
            text,
            prediction: None,
        }
    }
}

/// Something the driver must do for a conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this line to the party.
    Send(Cow<'static, str>),
    /// Run a store operation and feed its result back as [`Input::Stored`].
    Store(StoreOp),
    /// Run a store write nobody waits on: its result is not fed back (a failure is logged).
    /// Writes run in the order they were asked for.
    Record(StoreOp),
    /// Run a hub operation; when [`HubOp::has_result`], feed the result back as
    /// [`Input::Hub`] before any other input.
    Hub(HubOp),
    /// Print a `[SERVER]` line on the console.
    Console(String),
    /// Close the connection after sending what is queued.
    Close,
    /// An executive presented a wrong token (the driver logs it; the store counts it for
    /// the whole server through [`StoreOp::TokenFailed`]).
    AuthFailed,
}

/// A store operation, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// Look up a customer: [`StoreResult::Customer`].
    FindCustomer(Rut),
    /// Register a customer: [`StoreResult::Registered`].
    RegisterCustomer {
        /// Their RUT.
        rut: Rut,
        /// Their full name.
        name: String,
    },
    /// A customer's requests: [`StoreResult::Requests`].
    RequestsOf(Rut),
    /// One request: [`StoreResult::Request`].
    Request(RequestId),
    /// One of a customer's requests ([`StoreResult::Request`]): another customer's number
    /// comes back as `None`, like a missing one, through the same query.
    RequestOf {
        /// Whose.
        rut: Rut,
        /// Which.
        request: RequestId,
    },
    /// A request's chat transcript: [`StoreResult::Transcript`].
    Transcript(RequestId),
    /// Record a new request: [`StoreResult::Changed`].
    CreateRequest {
        /// Whose.
        rut: Rut,
        /// Its subject.
        subject: Cow<'static, str>,
        /// Its state.
        state: RequestState,
        /// The author of its first history entry.
        author: &'static str,
        /// Its first history entry.
        history: Cow<'static, str>,
    },
    /// Change a request's subject: [`StoreResult::Changed`].
    SetSubject {
        /// Which request.
        request: RequestId,
        /// The new subject.
        subject: String,
        /// Who changed it.
        author: String,
    },
    /// Change a request's state: [`StoreResult::Changed`].
    SetState {
        /// Which request.
        request: RequestId,
        /// The new state.
        state: RequestState,
        /// Who changed it.
        author: String,
    },
    /// Append a history entry: [`StoreResult::Changed`].
    AppendHistory {
        /// Which request.
        request: RequestId,
        /// Who writes it.
        author: Cow<'static, str>,
        /// What happened.
        text: Cow<'static, str>,
    },
    /// Append a chat line to a request's transcript: [`StoreResult::Done`].
    AppendTranscript {
        /// Which request.
        request: RequestId,
        /// Who said it.
        speaker: String,
        /// What was said.
        text: String,
    },
    /// Keep a free-text message the classifier did not handle well in the NLU inbox (no
    /// customer data in it): [`StoreResult::Done`].
    KeepInboxMessage(InboxMessage),
    /// The wrong serials counted for a RUT: [`StoreResult::SerialFailures`].
    SerialFailures(Rut),
    /// Count a wrong serial for a RUT (and lock its second factor when `lockout` says
    /// so): [`StoreResult::SerialFailures`].
    SerialFailed {
        /// Whose.
        rut: Rut,
        /// When and for how long the second factor locks.
        lockout: SerialLockout,
    },
    /// A right serial: forget the RUT's wrong ones ([`StoreResult::Done`]).
    SerialPassed(Rut),
    /// The wrong executives' tokens counted for the server: [`StoreResult::TokenFailures`].
    TokenFailures,
    /// Count a wrong executives' token (unless the login is locked, and lock it when
    /// `lockout` says so): [`StoreResult::TokenFailures`].
    TokenFailed(TokenLockout),
    /// A right token outside a lock-out: forget the wrong ones ([`StoreResult::Done`]).
    TokenPassed,
    /// Audit a consultation of a request: [`StoreResult::Done`].
    RecordConsultation {
        /// Which request.
        request: RequestId,
        /// Through which channel (`chat`).
        channel: &'static str,
    },
}

/// The store did not do what was asked (it failed, or did not answer in time). The driver
/// logs the cause; the conversation only apologises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreFailed;

/// The result of a [`StoreOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreResult {
    /// For [`StoreOp::FindCustomer`].
    Customer(Result<Option<Customer>, StoreFailed>),
    /// For [`StoreOp::RegisterCustomer`].
    Registered(Result<Customer, StoreFailed>),
    /// For [`StoreOp::RequestsOf`].
    Requests(Result<Vec<Request>, StoreFailed>),
    /// For [`StoreOp::Request`] and [`StoreOp::RequestOf`].
    Request(Result<Option<Request>, StoreFailed>),
    /// For [`StoreOp::Transcript`].
    Transcript(Result<Vec<TranscriptLine>, StoreFailed>),
    /// For operations that change a request: the request after the change.
    Changed(Result<Request, StoreFailed>),
    /// For writes that return nothing.
    Done(Result<(), StoreFailed>),
    /// For [`StoreOp::SerialFailures`] and [`StoreOp::SerialFailed`].
    SerialFailures(Result<SerialFailures, StoreFailed>),
    /// For [`StoreOp::TokenFailures`] and [`StoreOp::TokenFailed`].
    TokenFailures(Result<TokenFailures, StoreFailed>),
}

/// A hub operation, as plain data. The driver adds the party's session (and, to join the
/// queue or the pool, where to reach it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubOp {
    /// Hold this RUT for the session, taking it over from another session that holds it
    /// (`chat` says what becomes of that session's chat): [`HubResult::LoggedIn`].
    Login {
        /// The customer's RUT.
        rut: Rut,
        /// What to do with a chat the RUT is in elsewhere.
        chat: OpenChat,
    },
    /// Join the queue: [`HubResult::Enqueued`].
    Enqueue {
        /// The customer's full name.
        name: String,
        /// Their RUT.
        rut: Rut,
        /// The request recorded for this contact.
        request: RequestId,
        /// Why they came (for the executive).
        reason: Reason,
    },
    /// A line from the customer to their executive or backlog: [`HubResult::Routed`].
    CustomerSays(String),
    /// Leave the queue: [`HubResult::LeftQueue`].
    LeaveQueue,
    /// End the chat with the executive: [`HubResult::ChatEnded`].
    CustomerEndsChat,
    /// The customer's connection ended (no result).
    CustomerGone,
    /// The customer typed more in the queue than it keeps; the executive who takes them is
    /// told (no result).
    BacklogCut,
    /// Join the executives' pool under this name: [`HubResult::Joined`].
    AgentJoin(String),
    /// A line from the executive to a customer: [`HubResult::Said`].
    AgentSays {
        /// The customer's session.
        customer: SessionId,
        /// The chat's contact ([`ChatInfo::contact`]): a later chat of the same customer
        /// with this executive is not the one meant.
        contact: ContactId,
        /// What to say.
        text: String,
    },
    /// Tell the customer their services were restarted (no result).
    AgentRestarted {
        /// The customer's session.
        customer: SessionId,
        /// The chat's contact ([`ChatInfo::contact`]): a later chat of the same customer
        /// with this executive is not the one meant.
        contact: ContactId,
    },
    /// End the chat with a customer: [`HubResult::Closed`].
    AgentCloses {
        /// The customer's session.
        customer: SessionId,
        /// The chat's contact ([`ChatInfo::contact`]): a later chat of the same customer
        /// with this executive is not the one closed.
        contact: ContactId,
        /// The request the chat was about and its state, to tell the customer.
        request: Option<(RequestId, RequestState)>,
    },
    /// The executive is done with the ended chat of a customer who left (closed it, or
    /// it left the desk): the hub may send the next customer (no result).
    AgentWrappedUp {
        /// The customer's session.
        customer: SessionId,
    },
    /// The commands now act on `request` (chosen with `:open`) in the customer's chat: its
    /// hand-off to anyone takes the chat, once ended, off the desk (no result).
    AgentOpened {
        /// The customer's session.
        customer: SessionId,
        /// The chat's contact ([`ChatInfo::contact`]): a later chat of the same customer
        /// with this executive is not the one meant.
        contact: ContactId,
        /// The request opened.
        request: RequestId,
    },
    /// Tell the customer about a change to one of their requests (no result).
    AgentChanged {
        /// The customer's session.
        customer: SessionId,
        /// The chat's contact ([`ChatInfo::contact`]): a later chat of the same customer
        /// with this executive is not the one meant.
        contact: ContactId,
        /// Which request.
        request: RequestId,
        /// What changed.
        change: RequestChange,
    },
    /// Change the executive's display name: [`HubResult::Renamed`].
    AgentRename(String),
    /// Who is waiting: [`HubResult::Queue`].
    Queue,
    /// The executive's connection ended (no result).
    AgentGone,
}

impl HubOp {
    /// Whether the driver feeds a [`HubResult`] back for this operation.
    pub fn has_result(&self) -> bool {
        !matches!(
            self,
            HubOp::CustomerGone
                | HubOp::BacklogCut
                | HubOp::AgentGone
                | HubOp::AgentRestarted { .. }
                | HubOp::AgentWrappedUp { .. }
                | HubOp::AgentOpened { .. }
                | HubOp::AgentChanged { .. }
        )
    }
}

/// The result of a [`HubOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubResult {
    /// For [`HubOp::Login`]: what was taken over from another session, if one held the
    /// RUT; refused when asked with [`OpenChat::Ask`] and that session is chatting.
    LoggedIn(Result<Option<Takeover>, ChatElsewhere>),
    /// For [`HubOp::Enqueue`].
    Enqueued(Enqueued),
    /// For [`HubOp::CustomerSays`].
    Routed(Result<Routed, HubError>),
    /// For [`HubOp::LeaveQueue`].
    LeftQueue(Result<(), HubError>),
    /// For [`HubOp::CustomerEndsChat`].
    ChatEnded(Result<(), HubError>),
    /// For [`HubOp::AgentJoin`]: how many customers wait.
    Joined(Result<usize, HubError>),
    /// For [`HubOp::AgentSays`].
    Said(Result<ChatInfo, HubError>),
    /// For [`HubOp::AgentCloses`]: the chat that ended.
    Closed(Result<ChatInfo, HubError>),
    /// For [`HubOp::AgentRename`].
    Renamed(Result<(), HubError>),
    /// For [`HubOp::Queue`].
    Queue(Vec<Waiting>),
}

/// The effects of one step, pushed in order (a buffer the driver reuses).
#[derive(Debug, Default)]
pub struct Effects(pub Vec<Effect>);

impl Effects {
    /// An empty buffer.
    pub fn new() -> Effects {
        Effects(Vec::with_capacity(8))
    }

    fn push(&mut self, effect: Effect) {
        self.0.push(effect);
    }

    fn send(&mut self, line: impl Into<Cow<'static, str>>) {
        self.push(Effect::Send(line.into()));
    }

    fn store(&mut self, op: StoreOp) {
        self.push(Effect::Store(op));
    }

    fn record(&mut self, op: StoreOp) {
        self.push(Effect::Record(op));
    }

    fn hub(&mut self, op: HubOp) {
        self.push(Effect::Hub(op));
    }

    fn console(&mut self, line: String) {
        self.push(Effect::Console(line));
    }

    /// The lines to send, in order (for tests and tools).
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|effect| match effect {
            Effect::Send(line) => Some(line.as_ref()),
            _ => None,
        })
    }

    /// Whether the effects close the connection.
    pub fn closes(&self) -> bool {
        self.0.contains(&Effect::Close)
    }

    /// Empties the buffer, keeping its allocation.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// The chat shows the desk's clock, daylight saving time included, not the store's UTC.
    #[test]
    fn dates_are_shown_in_the_desks_time_zone() {
        let santiago = Dates(crate::server::DEFAULT_TIME_ZONE);
        let winter = Utc.with_ymd_and_hms(2026, 7, 1, 15, 30, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 12, 5, 15, 30, 0).unwrap();
        assert_eq!(
            santiago.show(winter, Dates::TIME_OF_DAY).to_string(),
            "11:30"
        );
        assert_eq!(
            santiago.show(summer, Dates::TIME_OF_DAY).to_string(),
            "12:30"
        );
        // Late in the evening in Chile is the next day in UTC.
        let evening = Utc.with_ymd_and_hms(2026, 12, 6, 1, 15, 0).unwrap();
        assert_eq!(
            santiago.show(evening, Dates::DAY_AND_TIME).to_string(),
            "2026-12-05 22:15"
        );
        assert_eq!(
            Dates(Tz::UTC).show(evening, Dates::DAY).to_string(),
            "2026-12-06"
        );
    }
}
