//! The executives' pool and the customers' queue: who is logged in, who waits for an
//! executive, who chats with whom. Plain Rust: no sockets, no `.await`.
//!
//! Each party (customer or executive) is reached through its [`Outbox`]: a bounded channel
//! to its connection task and a kick switch. Hub methods lock the shared state, change it,
//! collect the messages to deliver, unlock, and only then deliver them with `try_send`. A
//! party whose channel is full is not keeping up: it is kicked (its connection task closes
//! it) instead of letting its queue grow without bound.
//!
//! Fairness: customers are served first come, first served; among free executives, the one
//! that has been free the longest gets the next customer.
//!
//! A RUT has one session: a login with a RUT another session holds takes that session over
//! (the old connection is told and closes). A place in the queue moves to the new session;
//! a chat with an executive ends as if the customer had disconnected.
//!
//! Every hand-off of a customer who waited is timed ([`wait::WaitStats`]), so that a
//! customer joining the queue is told an estimated wait.

pub mod wait;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::console::Console;
pub use crate::conversation::events::{
    AgentEvent, ChatElsewhere, ChatInfo, ChatLine, ContactId, CustomerEvent, Departure, Enqueued,
    HubError, KeptPlace, OpenChat, Reason, RequestChange, ResumedChat, Routed, SessionId, Takeover,
    WaitEstimate, Waiting, WaitingLines,
};
use crate::names;
use crate::protocol;
use crate::registry::{RequestId, RequestState};
use crate::rut::Rut;
use wait::WaitStats;

/// Where the hub delivers a party's events.
#[derive(Debug, Clone)]
pub struct Outbox<E> {
    tx: mpsc::Sender<E>,
    kick: CancellationToken,
}

impl<E> Outbox<E> {
    /// An outbox over a bounded channel; `kick` is cancelled when the party cannot keep up.
    pub fn new(tx: mpsc::Sender<E>, kick: CancellationToken) -> Outbox<E> {
        Outbox { tx, kick }
    }

    fn deliver(&self, event: E) {
        match self.tx.try_send(event) {
            Ok(()) => {}
            // Once: the party's queue stays full until its connection is gone, and every
            // event for it meanwhile would log again (a black-box test counted 243 lines
            // for one customer who stopped reading). The warning is logged in the span of
            // whoever sent the event; the kicked connection logs its own end.
            Err(mpsc::error::TrySendError::Full(_)) if !self.kick.is_cancelled() => {
                tracing::warn!("a party's outbound queue is full: disconnecting that party");
                self.kick.cancel();
            }
            Err(mpsc::error::TrySendError::Full(_)) => {}
            // The party is already gone; its own clean-up removes it from the hub.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// A customer joining the queue.
#[derive(Debug, Clone)]
pub struct Ticket {
    /// Their session.
    pub session: SessionId,
    /// Full name.
    pub name: String,
    /// RUT.
    pub rut: Rut,
    /// The request recorded for this contact.
    pub request: RequestId,
    /// This contact: a new one each time the customer asks ([`ContactId::next`]).
    pub contact: ContactId,
    /// Why they came (the executive is told on hand-off).
    pub reason: Reason,
    /// Where to reach them.
    pub outbox: Outbox<CustomerEvent>,
}

/// How busy the hub is at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Customers waiting in the queue.
    pub waiting: usize,
    /// Executives connected.
    pub executives: usize,
    /// Customers chatting with an executive.
    pub chats: usize,
}

#[derive(Debug)]
struct CustomerEntry {
    /// `ticket.session` is the key the executives know the chat by; it stays when the chat
    /// moves to a new connection of the customer (see `owner`).
    ticket: Ticket,
    /// The session whose connection the entry belongs to: `ticket.session`, or the newer
    /// session the chat was resumed on (reached through [`State::resumed`]).
    owner: SessionId,
    backlog: WaitingLines,
    agent: Option<SessionId>,
    position: usize,
    /// The executive who had them before a requeue.
    previous_agent: Option<String>,
    /// When they started waiting and at which position, when they did not get an
    /// executive at once (their hand-off is then a sample of the wait).
    waiting_since: Option<(Instant, usize)>,
    /// The customer's lines routed to an executive for this request (see
    /// [`ResumedChat::chat_lines`]).
    chat_lines: usize,
    /// The last [`RECENT_LINES`] lines routed in the chat, both ways (see
    /// [`ResumedChat::recent`]).
    recent: VecDeque<ChatLine>,
    /// Waiting, and their connection was lost ([`Hub::customer_away`]): they keep their
    /// place, but nobody is handed to an executive in their absence.
    away: bool,
}

/// Chat lines the hub keeps per chat for a customer who resumes it on a new connection.
const RECENT_LINES: usize = 10;

impl CustomerEntry {
    /// Keeps a routed chat line among the last [`RECENT_LINES`].
    fn remember(&mut self, speaker: String, text: String) {
        keep_recent(&mut self.recent, speaker, text);
    }

    /// Keeps the lines left while waiting, at the hand-off that routes them.
    fn remember_backlog(&mut self) {
        for line in &self.backlog.lines {
            keep_recent(&mut self.recent, self.ticket.name.clone(), line.clone());
        }
    }
}

/// Adds a line to a chat's recent lines, forgetting the oldest beyond [`RECENT_LINES`].
fn keep_recent(recent: &mut VecDeque<ChatLine>, speaker: String, text: String) {
    if recent.len() == RECENT_LINES {
        recent.pop_front();
    }
    recent.push_back(ChatLine { speaker, text });
}

/// A logged-in customer session.
#[derive(Debug)]
struct Holder {
    rut: Rut,
    /// Where to tell the session it was taken over.
    outbox: Outbox<CustomerEvent>,
}

#[derive(Debug)]
struct AgentEntry {
    name: String,
    /// `names::fold(name)`: names are unique by this key, so a look-alike of a colleague
    /// online is refused.
    key: String,
    outbox: Outbox<AgentEvent>,
    chats: Vec<SessionId>,
    /// Chats whose customer left and that the executive has not closed yet: they still
    /// hold a place, as after-call work does at a contact centre, so the next customer
    /// goes to a colleague who is free rather than to a desk still busy with the last one.
    /// With each chat's request: a request served again in a new chat takes its ended chat
    /// off the desk ([`AgentEvent::EndedChatTakenUp`]).
    wrapping_up: Vec<EndedChat>,
    /// The request chosen with `:open` in a chat, by the chat's key (a customer session,
    /// or an ended chat's [`EndedChat::key`]; at most one each): the commands act on it
    /// rather than on the chat's own, so a hand-off of it takes the chat, once ended, off
    /// the desk too.
    opened: Vec<(SessionId, RequestId)>,
    /// Whether the executive was told, during this wrap-up, that customers wait.
    told_waiting: bool,
    /// When it last became free, as a sequence number: the longest-free goes first.
    free_since: u64,
}

/// A chat whose customer left, on its executive's desk until wrapped up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EndedChat {
    /// The key the desk knows the ended chat by from then on: a new one, not the
    /// customer's session, so that the same session back in a new chat with this
    /// executive (another request) sits beside it rather than pushing it off before its
    /// note ([`AgentEvent::CustomerLeft::ended`]).
    key: SessionId,
    /// The chat's key while it lasted (the customer's session, or the one it resumed).
    session: SessionId,
    request: RequestId,
    contact: ContactId,
}

impl AgentEntry {
    /// The places taken: chats in course and chats being wrapped up.
    fn load(&self) -> usize {
        self.chats.len() + self.wrapping_up.len()
    }

    /// Whether the executive wraps up the ended chat known by `key`.
    fn wraps(&self, key: SessionId) -> bool {
        self.wrapping_up.iter().any(|ended| ended.key == key)
    }

    /// The ended chat an executive's operation about `chat` is for: the one known by that
    /// key, or the latest ended chat here of the session `chat` (the operation was sent
    /// before the executive heard that the customer left): the one of `contact` when the
    /// operation names the chat's contact (the same session may be back in a new chat
    /// here, even about the same request), else only while the session has no chat here.
    fn ended_key(&self, chat: SessionId, contact: Option<ContactId>) -> Option<SessionId> {
        if self.wraps(chat) {
            return Some(chat);
        }
        if contact.is_none() && self.chats.contains(&chat) {
            return None;
        }
        self.wrapping_up
            .iter()
            .rev()
            .find(|ended| ended.session == chat && contact.is_none_or(|c| ended.contact == c))
            .map(|ended| ended.key)
    }

    /// Whether the executive wraps up an ended chat about `request` (of any session).
    fn wraps_request(&self, request: RequestId) -> bool {
        self.wrapping_up
            .iter()
            .any(|ended| self.ended_chat_about(ended.key, request))
    }

    /// Whether the ended chat known by `key` is about `request`: its own, or the one its
    /// commands act on after `:open`.
    fn ended_chat_about(&self, key: SessionId, request: RequestId) -> bool {
        self.wrapping_up
            .iter()
            .any(|ended| ended.key == key && ended.request == request)
            || (self.wraps(key) && self.opened.contains(&(key, request)))
    }

    /// The requests of the ended chats on this desk: their own and those opened in them.
    fn wrapped_requests(&self) -> impl Iterator<Item = RequestId> + '_ {
        let opened = self
            .opened
            .iter()
            .filter(|(key, _)| self.wraps(*key))
            .map(|(_, request)| *request);
        self.wrapping_up
            .iter()
            .map(|ended| ended.request)
            .chain(opened)
    }
}

#[derive(Debug, Default)]
struct State {
    /// Who holds each RUT.
    logged_in: HashMap<Rut, SessionId>,
    /// The reverse of `logged_in` (a session holds at most one RUT), so that a
    /// disconnection finds its RUT without scanning every logged-in customer.
    rut_of: HashMap<SessionId, Holder>,
    customers: HashMap<SessionId, CustomerEntry>,
    queue: VecDeque<SessionId>,
    agents: HashMap<SessionId, AgentEntry>,
    clock: u64,
    /// Recent hand-offs, for the estimated wait.
    waits: WaitStats,
    /// Sessions taken over and not gone yet, with the request whose place they lost (the
    /// notice is repeated to them when they go, in case their connection ended before
    /// reading it).
    taken_over: HashMap<SessionId, (Option<RequestId>, bool)>,
    /// Sessions that resumed another session's chat, with the key the chat keeps (the
    /// executives' desks know it by that key). Removed when the session goes.
    resumed: HashMap<SessionId, SessionId>,
    /// Entries in `queue` whose customer is away ([`CustomerEntry::away`]).
    away: usize,
    /// The server is stopping ([`Hub::stop`]): nobody is handed to an executive, and an
    /// executive's customers are not requeued (every connection is closing).
    stopping: bool,
}

impl State {
    /// Customers waiting in the queue who are there (not away): whom an executive could
    /// take now.
    fn present(&self) -> usize {
        debug_assert!(
            self.away <= self.queue.len(),
            "more customers away than waiting"
        );
        self.queue.len().saturating_sub(self.away)
    }

    /// The key of the entry `session` owns in `customers`: its own, or the chat it resumed.
    fn key_of(&self, session: SessionId) -> Option<SessionId> {
        let owns = |key: SessionId| {
            self.customers
                .get(&key)
                .is_some_and(|entry| entry.owner == session)
        };
        if owns(session) {
            return Some(session);
        }
        self.resumed.get(&session).copied().filter(|key| owns(*key))
    }

    /// Whether `customer` chats with `agent` in `contact`: an executive's operations name
    /// the chat's contact too, as the same customer may be back in a new chat with them
    /// (even about the same request) while the chat the operation was for has ended.
    fn chatting(&self, agent: SessionId, customer: SessionId, contact: ContactId) -> bool {
        self.agents
            .get(&agent)
            .is_some_and(|a| a.chats.contains(&customer))
            && self
                .customers
                .get(&customer)
                .is_some_and(|c| c.ticket.contact == contact)
    }

    /// The session other than `session` that holds `rut`, if any.
    fn holder_elsewhere(&self, rut: Rut, session: SessionId) -> Option<SessionId> {
        self.logged_in
            .get(&rut)
            .copied()
            .filter(|holder| *holder != session)
    }

    /// The chat another session holding `rut` is in, if any.
    fn chat_elsewhere(&self, rut: Rut, session: SessionId) -> Option<ChatElsewhere> {
        let old = self.holder_elsewhere(rut, session)?;
        let entry = self.customers.get(&self.key_of(old)?)?;
        let agent = self.agents.get(&entry.agent?)?;
        Some(ChatElsewhere {
            agent: agent.name.clone(),
        })
    }

    /// Takes the chat known by `key` off `agent`'s chats (or the chats being wrapped up);
    /// an executive left with none is free from now on (and so goes to the back of the
    /// longest-free order).
    fn drop_chat(&mut self, agent: SessionId, key: SessionId) -> Option<&AgentEntry> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.agents.get_mut(&agent)?;
        entry.chats.retain(|c| *c != key);
        entry.wrapping_up.retain(|ended| ended.key != key);
        entry.opened.retain(|(c, _)| *c != key);
        if entry.wrapping_up.is_empty() {
            entry.told_waiting = false;
        }
        if entry.load() == 0 {
            entry.free_since = clock;
        }
        Some(entry)
    }

    /// Moves the chat of `ticket`, whose customer left, from `agent`'s chats to the chats
    /// being wrapped up, under a new key (with the request `:open` chose in it): the entry
    /// and that key, `None` when the chat was not on the desk.
    fn wrap_up(&mut self, agent: SessionId, ticket: &Ticket) -> Option<(&AgentEntry, SessionId)> {
        let customer = ticket.session;
        let entry = self.agents.get_mut(&agent)?;
        if !entry.chats.contains(&customer) {
            return None;
        }
        let key = SessionId::next_ended_chat();
        entry.chats.retain(|c| *c != customer);
        entry.wrapping_up.push(EndedChat {
            key,
            session: customer,
            request: ticket.request,
            contact: ticket.contact,
        });
        for (chat, _) in entry.opened.iter_mut().filter(|(c, _)| *c == customer) {
            *chat = key;
        }
        Some((entry, key))
    }

    /// Takes the ended chats of `request` off every desk (the request is handed to
    /// executive `serves` in a new chat), telling their executives; their places are free.
    /// Returns those executives' names, for the console's lines after the hand-off's own.
    /// An ended chat on the desk of `serves` is only freed here: the desk replaces it with
    /// the new chat itself when the hand-off comes, the commands staying with the request.
    fn take_up_ended(
        &mut self,
        request: RequestId,
        serves: SessionId,
        out: &mut Vec<Delivery>,
    ) -> Vec<String> {
        let ended: Vec<(SessionId, SessionId)> = self
            .agents
            .iter()
            .flat_map(|(id, agent)| {
                agent
                    .wrapping_up
                    .iter()
                    .filter(move |ended| agent.ended_chat_about(ended.key, request))
                    .map(move |ended| (*id, ended.key))
            })
            .collect();
        let mut names = Vec::new();
        if ended.is_empty() {
            return names;
        }
        let Some(serves_name) = self.agents.get(&serves).map(|a| a.name.clone()) else {
            return names;
        };
        for (agent, ended) in ended {
            // The executive who serves it again learns it from the hand-off itself (its
            // desk puts the new chat in the ended one's place, in one step: no line of
            // theirs can fall between the two).
            let own = agent == serves;
            if let Some(entry) = self.drop_chat(agent, ended).filter(|_| !own) {
                names.push(entry.name.clone());
                out.push(Delivery::Agent(
                    entry.outbox.clone(),
                    AgentEvent::EndedChatTakenUp {
                        customer: ended,
                        request,
                        agent: serves_name.clone(),
                    },
                ));
            }
        }
        names
    }
}

/// The console's lines for the ended chats of `request` taken off the desks of the
/// executives `ended_with` ([`State::take_up_ended`]): `customer`'s request is served
/// again by `serves`.
fn taken_up_lines(
    ended_with: Vec<String>,
    customer: &str,
    request: RequestId,
    serves: &str,
    out: &mut Vec<Delivery>,
) {
    for ended_with in ended_with {
        out.push(Delivery::Console(protocol::console::ended_chat_taken_up(
            &ended_with,
            customer,
            request,
            serves,
        )));
    }
}

enum Delivery {
    Customer(Outbox<CustomerEvent>, CustomerEvent),
    Agent(Outbox<AgentEvent>, AgentEvent),
    Console(String),
}

/// Deliveries collected under the lock and sent after it is released.
#[must_use]
struct Deliveries(Vec<Delivery>);

/// The shared hub. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    capacity: usize,
    console: Console,
}

impl Hub {
    /// A hub where each executive chats with at most `capacity` customers at a time.
    pub fn new(capacity: usize, console: Console) -> Hub {
        Hub {
            state: Arc::default(),
            capacity: capacity.max(1),
            console,
        }
    }

    /// Locks the state. A std mutex is right here: every critical section is short,
    /// synchronous and never spans an `.await`. A panic under the lock leaves the state
    /// consistent enough to go on (each method mutates in small steps), so poisoning is
    /// ignored rather than taking every connection down.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn send(&self, deliveries: Deliveries) {
        for delivery in deliveries.0 {
            match delivery {
                Delivery::Customer(outbox, event) => outbox.deliver(event),
                Delivery::Agent(outbox, event) => outbox.deliver(event),
                Delivery::Console(line) => self.console.print(&line),
            }
        }
    }

    /// Marks `rut` as logged in by `session`, reached through `outbox`. A session holds
    /// one RUT: logging in with another releases the one it held.
    ///
    /// When another session holds `rut`, this one takes it over: the old session is told
    /// ([`CustomerEvent::TakenOver`]) and closes; its place in the queue moves to `session`;
    /// its chat with an executive goes as `chat` says. With [`OpenChat::Ask`] a chat is not
    /// touched and the login is refused ([`ChatElsewhere`]): logging in proves no more than
    /// knowing the RUT, so the new connection proves who it is before it asks again with
    /// [`OpenChat::Resume`] (or gives the chat up with [`OpenChat::End`]).
    pub fn login(
        &self,
        rut: Rut,
        session: SessionId,
        outbox: Outbox<CustomerEvent>,
        chat: OpenChat,
    ) -> Result<Option<Takeover>, ChatElsewhere> {
        self.login_when(rut, session, outbox, chat, false)
            .unwrap_or(Ok(None))
    }

    /// [`login`](Self::login), only when another session holds `rut` (checked under the
    /// same lock): a login at a full connection cap, which gets in by taking that session's
    /// place. `None` when there is nothing to take over.
    pub fn login_taking_over(
        &self,
        rut: Rut,
        session: SessionId,
        outbox: Outbox<CustomerEvent>,
        chat: OpenChat,
    ) -> Option<Result<Option<Takeover>, ChatElsewhere>> {
        self.login_when(rut, session, outbox, chat, true)
    }

    fn login_when(
        &self,
        rut: Rut,
        session: SessionId,
        outbox: Outbox<CustomerEvent>,
        chat: OpenChat,
        taking_over_only: bool,
    ) -> Option<Result<Option<Takeover>, ChatElsewhere>> {
        let now = Instant::now();
        let mut out = Vec::new();
        let takeover = {
            let mut state = self.lock();
            if taking_over_only && state.holder_elsewhere(rut, session).is_none() {
                return None;
            }
            if chat == OpenChat::Ask {
                if let Some(elsewhere) = state.chat_elsewhere(rut, session) {
                    return Some(Err(elsewhere));
                }
            }
            let holder = state.logged_in.insert(rut, session);
            let mine = Holder {
                rut,
                outbox: outbox.clone(),
            };
            if let Some(previous) = state.rut_of.insert(session, mine) {
                if previous.rut != rut && state.logged_in.get(&previous.rut) == Some(&session) {
                    state.logged_in.remove(&previous.rut);
                }
            }
            match holder {
                Some(old) if old != session => {
                    Some(self.take_over(&mut state, old, session, &outbox, chat, now, &mut out))
                }
                _ => None,
            }
        };
        self.send(Deliveries(out));
        Some(Ok(takeover))
    }

    /// Whether a session other than `session` holds `rut` now (a login with it would take
    /// that session over; [`login_taking_over`](Self::login_taking_over) decides).
    pub fn held_elsewhere(&self, rut: Rut, session: SessionId) -> bool {
        self.lock().holder_elsewhere(rut, session).is_some()
    }

    /// Moves what session `old` had to session `new` (which now holds its RUT) and tells
    /// `old`.
    #[allow(clippy::too_many_arguments)]
    fn take_over(
        &self,
        state: &mut State,
        old: SessionId,
        new: SessionId,
        outbox: &Outbox<CustomerEvent>,
        chat: OpenChat,
        now: Instant,
        out: &mut Vec<Delivery>,
    ) -> Takeover {
        let old_outbox = state.rut_of.remove(&old).map(|holder| holder.outbox);
        let mut takeover = Takeover::default();
        let key = state.key_of(old);
        state.resumed.remove(&old);
        let agent = key.and_then(|key| state.customers.get(&key)?.agent);
        match (key, agent) {
            (None, _) => {}
            // Waiting: the new session keeps the place (nobody else moves).
            (Some(key), None) => {
                if let Some(mut entry) = state.customers.remove(&key) {
                    let was_away = std::mem::take(&mut entry.away);
                    if was_away {
                        state.away -= 1;
                    }
                    entry.ticket.session = new;
                    entry.ticket.outbox = outbox.clone();
                    entry.owner = new;
                    let index = state.queue.iter().position(|s| *s == key);
                    if let Some(i) = index {
                        state.queue[i] = new;
                    }
                    let position = index.map_or(entry.position, |i| i + 1);
                    takeover.queued = Some(KeptPlace {
                        request: entry.ticket.request,
                        position,
                        backlog_lines: entry.backlog.lines.len(),
                        backlog_bytes: entry.backlog.lines.iter().map(String::len).sum(),
                        served: entry.previous_agent.is_some(),
                        taken: false,
                    });
                    let name = was_away.then(|| entry.ticket.name.clone());
                    state.customers.insert(new, entry);
                    // Back from an absence: an executive may have been left free for them
                    // (the takeover said on the console before that hand-off).
                    if let Some(name) = name {
                        out.push(Delivery::Console(protocol::console::session_taken_over(
                            &name,
                        )));
                        takeover.announced = true;
                        self.dispatch(state, out, now);
                        if let Some(place) = &mut takeover.queued {
                            place.taken =
                                state.customers.get(&new).is_some_and(|e| e.agent.is_some());
                        }
                    }
                }
            }
            // Chatting, and the new connection proved who it is: the chat goes on there,
            // under the key the executive knows it by.
            (Some(key), Some(agent)) if chat == OpenChat::Resume => {
                if let Some(entry) = state.customers.get_mut(&key) {
                    entry.owner = new;
                    entry.ticket.outbox = outbox.clone();
                    let chat = chat_info(&entry.ticket);
                    if let Some(agent) = state.agents.get(&agent) {
                        takeover.resumed_chat = Some(ResumedChat {
                            agent: agent.name.clone(),
                            request: chat.request,
                            chat_lines: entry.chat_lines,
                            recent: entry.recent.iter().cloned().collect(),
                        });
                        out.push(Delivery::Agent(
                            agent.outbox.clone(),
                            AgentEvent::CustomerReturned {
                                chat,
                                shown: entry.recent.len(),
                            },
                        ));
                    }
                    state.resumed.insert(new, key);
                }
            }
            // Chatting: the chat ends as if the customer had disconnected.
            (Some(key), Some(agent)) => {
                if let Some(entry) = state.customers.remove(&key) {
                    takeover.ended_chat = state.agents.get(&agent).map(|a| a.name.clone());
                    // Said before the hand-off the freed place allows.
                    let name = &entry.ticket.name;
                    out.push(Delivery::Console(protocol::console::session_taken_over(
                        name,
                    )));
                    if let Some(agent) = &takeover.ended_chat {
                        out.push(Delivery::Console(protocol::console::chat_ended_by_login(
                            name, agent,
                        )));
                    }
                    takeover.announced = true;
                    self.release(state, agent, &entry, Some(Departure::Lost), out);
                    self.dispatch(state, out, now);
                }
            }
        }
        let kept = takeover.queued.map(|place| place.request);
        let chat_moved = takeover.resumed_chat.is_some();
        state.taken_over.insert(old, (kept, chat_moved));
        if let Some(outbox) = old_outbox {
            out.push(Delivery::Customer(
                outbox,
                CustomerEvent::TakenOver { kept, chat_moved },
            ));
        }
        takeover
    }

    /// Puts a customer at the back of the queue and serves whoever can be served; the
    /// answer carries the estimated wait when they were not served at once.
    pub fn enqueue(&self, ticket: Ticket) -> Enqueued {
        let session = ticket.session;
        let now = Instant::now();
        let mut out = Vec::new();
        let result = {
            let mut state = self.lock();
            state.queue.push_back(session);
            let position = state.queue.len();
            state.customers.insert(
                session,
                CustomerEntry {
                    ticket,
                    owner: session,
                    backlog: WaitingLines::default(),
                    agent: None,
                    position,
                    previous_agent: None,
                    waiting_since: None,
                    chat_lines: 0,
                    recent: VecDeque::new(),
                    away: false,
                },
            );
            self.dispatch(&mut state, &mut out, now);
            let agents_online = state.agents.len();
            let waiting = state
                .customers
                .get_mut(&session)
                .filter(|entry| entry.agent.is_none())
                .map(|entry| {
                    entry.waiting_since = Some((now, entry.position));
                    // Served at once, the hand-off's line says it all.
                    out.push(Delivery::Console(protocol::console::queued(
                        &entry.ticket.name,
                        entry.ticket.request,
                        entry.position,
                    )));
                    entry.position
                });
            Enqueued {
                position,
                agents_online,
                served: waiting.is_none(),
                wait: match waiting {
                    Some(now_at) => state.waits.estimate(now, now_at, agents_online),
                    None => WaitEstimate::TooLittleData,
                },
            }
        };
        self.send(Deliveries(out));
        result
    }

    /// Notes that a waiting customer typed more than the queue keeps (see
    /// [`WaitingLines::cut`]); nothing when they are not waiting.
    pub fn backlog_cut(&self, session: SessionId) {
        let mut state = self.lock();
        let key = state.key_of(session);
        if let Some(entry) = key.and_then(|key| state.customers.get_mut(&key)) {
            if entry.agent.is_none() {
                entry.backlog.cut = true;
            }
        }
    }

    /// Routes a line from a customer: to their executive, or to their backlog while waiting.
    pub fn customer_says(&self, session: SessionId, text: String) -> Result<Routed, HubError> {
        let mut out = Vec::new();
        let routed = {
            let mut state = self.lock();
            let key = state.key_of(session).ok_or(HubError::NotQueued)?;
            let state = &mut *state;
            let entry = state.customers.get_mut(&key).ok_or(HubError::NotQueued)?;
            match entry.agent {
                None => {
                    entry.backlog.lines.push(text);
                    // `renumber` keeps it current (no scan of the queue under the lock).
                    let position =
                        (!state.stopping && entry.position > 0).then_some(entry.position);
                    Routed::Backlog { position }
                }
                Some(agent) => {
                    let agent = state.agents.get(&agent).ok_or(HubError::NotChatting)?;
                    // Counted and kept only once it has somewhere to go.
                    entry.chat_lines += 1;
                    entry.remember(entry.ticket.name.clone(), text.clone());
                    let chat = chat_info(&entry.ticket);
                    out.push(Delivery::Agent(
                        agent.outbox.clone(),
                        AgentEvent::FromCustomer { chat, text },
                    ));
                    Routed::Agent(agent.name.clone())
                }
            }
        };
        self.send(Deliveries(out));
        Ok(routed)
    }

    /// The customer stops waiting. Refused when they are not waiting (for example an
    /// executive took them a moment ago).
    pub fn leave_queue(&self, session: SessionId) -> Result<(), HubError> {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let key = state.key_of(session).ok_or(HubError::NotQueued)?;
            match state.customers.get(&key) {
                Some(entry) if entry.agent.is_none() => {}
                Some(_) => return Err(HubError::NotQueued),
                None => return Err(HubError::NotQueued),
            }
            if state.customers.remove(&key).is_some_and(|entry| entry.away) {
                state.away -= 1;
            }
            state.queue.retain(|s| *s != key);
            if !state.stopping {
                renumber(&mut state, &mut out);
            }
        }
        self.send(Deliveries(out));
        Ok(())
    }

    /// The customer ends the chat with their executive.
    pub fn customer_ends_chat(&self, session: SessionId) -> Result<(), HubError> {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let key = state.key_of(session).ok_or(HubError::NotChatting)?;
            let agent = state
                .customers
                .get(&key)
                .and_then(|c| c.agent)
                .ok_or(HubError::NotChatting)?;
            let entry = state.customers.remove(&key).ok_or(HubError::NotChatting)?;
            // Before the hand-off it may allow: the console tells them in their order.
            if let Some(a) = state.agents.get(&agent) {
                out.push(Delivery::Console(protocol::console::customer_ended_chat(
                    &entry.ticket.name,
                    &a.name,
                    entry.ticket.request,
                )));
            }
            self.release(&mut state, agent, &entry, None, &mut out);
            self.dispatch(&mut state, &mut out, Instant::now());
        }
        self.send(Deliveries(out));
        Ok(())
    }

    /// The customer's connection ended: forget them wherever they were. When the session
    /// had been taken over, returns the takeover notice again: a connection that ended
    /// just as it was taken over may not have read it, and its clean-up must not undo what
    /// the new session kept.
    pub fn customer_gone(&self, session: SessionId) -> Option<CustomerEvent> {
        self.customer_gone_announced(session, Departure::Lost).0
    }

    /// A waiting customer's connection was lost: they keep their place in the queue for
    /// `grace` (the console says so), skipped by the hand-offs until a new connection of
    /// theirs takes the session over ([`login`](Self::login)); their connection then calls
    /// [`customer_gone`](Self::customer_gone) when the time is up. `false` (nothing
    /// changed) when they are not waiting: an executive took them a moment ago, or the
    /// server is stopping.
    pub fn customer_away(&self, session: SessionId, grace: Duration) -> bool {
        let mut state = self.lock();
        if state.stopping {
            return false;
        }
        let key = state.key_of(session);
        let Some(entry) = key.and_then(|key| state.customers.get_mut(&key)) else {
            return false;
        };
        if entry.agent.is_some() || entry.away {
            return false;
        }
        entry.away = true;
        let line =
            protocol::console::away_in_queue(&entry.ticket.name, entry.ticket.request, grace);
        state.away += 1;
        drop(state);
        self.console.print(&line);
        true
    }

    /// [`customer_gone`](Self::customer_gone), also saying whether the hub held the
    /// customer in the queue or a chat: then it has printed the console's lines about the
    /// departure (in the queue: leaving it; then the disconnection), before the hand-off
    /// the departure may allow, and the conversation must not print them again.
    /// `departure` is how the connection ended, for the executive of a chat.
    pub fn customer_gone_announced(
        &self,
        session: SessionId,
        departure: Departure,
    ) -> (Option<CustomerEvent>, bool) {
        let now = Instant::now();
        let mut out = Vec::new();
        let mut announced = false;
        let notice = {
            let mut state = self.lock();
            let notice = state
                .taken_over
                .remove(&session)
                .map(|(kept, chat_moved)| CustomerEvent::TakenOver { kept, chat_moved });
            if let Some(holder) = state.rut_of.remove(&session) {
                if state.logged_in.get(&holder.rut) == Some(&session) {
                    state.logged_in.remove(&holder.rut);
                }
            }
            // Only what this session owns: a chat it handed to a newer connection of the
            // customer stays with that one.
            let key = state.key_of(session);
            state.resumed.remove(&session);
            if let Some(entry) = key.and_then(|key| state.customers.remove(&key)) {
                announced = true;
                let name = &entry.ticket.name;
                match entry.agent {
                    Some(agent) => {
                        out.push(Delivery::Console(protocol::console::customer_disconnected(
                            name,
                        )));
                        self.release(&mut state, agent, &entry, Some(departure), &mut out);
                        self.dispatch(&mut state, &mut out, now);
                    }
                    None => {
                        if entry.away {
                            state.away -= 1;
                        }
                        let key = entry.ticket.session;
                        let queued = state.queue.len();
                        state.queue.retain(|s| *s != key);
                        // Out of the queue only when an executive left during a stop (the
                        // customer was not requeued): only the disconnection is said.
                        if state.queue.len() < queued {
                            let how = if state.stopping {
                                protocol::console::QueueExit::ServerStopped
                            } else {
                                protocol::console::QueueExit::Disconnected
                            };
                            out.push(Delivery::Console(protocol::console::left_queue(
                                name,
                                entry.ticket.request,
                                how,
                            )));
                        }
                        out.push(Delivery::Console(protocol::console::customer_disconnected(
                            name,
                        )));
                        if !state.stopping {
                            renumber(&mut state, &mut out);
                        }
                    }
                }
            }
            notice
        };
        self.send(Deliveries(out));
        (notice, announced)
    }

    /// The server is stopping: from now on nobody is handed to an executive, and the
    /// customers of an executive who leaves are not requeued (their connections are
    /// closing too). The console then says of a waiting customer that they left the queue
    /// because the server stopped.
    pub fn stop(&self) {
        self.lock().stopping = true;
    }

    /// An executive joins the pool (the console says so before any assignment); returns how
    /// many customers are waiting.
    pub fn agent_join(
        &self,
        session: SessionId,
        name: &str,
        outbox: Outbox<AgentEvent>,
    ) -> Result<usize, HubError> {
        let mut out = Vec::new();
        let waiting = {
            let key = names::fold(name);
            let mut state = self.lock();
            if state.agents.values().any(|a| a.key == key) {
                return Err(HubError::NameTaken(name.to_string()));
            }
            state.clock += 1;
            let free_since = state.clock;
            let waiting = state.present();
            state.agents.insert(
                session,
                AgentEntry {
                    name: name.to_string(),
                    key,
                    outbox,
                    chats: Vec::new(),
                    wrapping_up: Vec::new(),
                    opened: Vec::new(),
                    told_waiting: false,
                    free_since,
                },
            );
            out.push(Delivery::Console(protocol::console::agent_connected(name)));
            self.dispatch(&mut state, &mut out, Instant::now());
            waiting
        };
        self.send(Deliveries(out));
        Ok(waiting)
    }

    /// An executive's connection ended: their customers go back to the head of the queue
    /// (the customers behind them are told why they moved back).
    pub fn agent_gone(&self, session: SessionId) {
        let now = Instant::now();
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let Some(agent) = state.agents.remove(&session) else {
                return;
            };
            if state.stopping {
                // Their customers' connections are closing too: they are not requeued,
                // and each one's departure says so.
                for customer in &agent.chats {
                    if let Some(entry) = state.customers.get_mut(customer) {
                        entry.agent = None;
                        entry.previous_agent = Some(agent.name.clone());
                    }
                }
                return;
            }
            // The console first, in the order they were assigned (before the hand-offs the
            // requeue may allow).
            for customer in &agent.chats {
                if let Some(entry) = state.customers.get(customer) {
                    out.push(Delivery::Console(protocol::console::requeued(
                        &entry.ticket.name,
                        &agent.name,
                        entry.ticket.request,
                    )));
                }
            }
            // Requeue in the order they were assigned, ahead of everyone waiting.
            let agents_online = state.agents.len();
            for customer in agent.chats.iter().rev() {
                if let Some(entry) = state.customers.get_mut(customer) {
                    entry.agent = None;
                    entry.previous_agent = Some(agent.name.clone());
                    out.push(Delivery::Customer(
                        entry.ticket.outbox.clone(),
                        CustomerEvent::AgentLeft {
                            agent: agent.name.clone(),
                            agents_online,
                        },
                    ));
                    state.queue.push_front(*customer);
                }
            }
            for entry in state.customers.values_mut() {
                // Force a position announcement for the requeued customers.
                if entry.agent.is_none() && agent.chats.contains(&entry.ticket.session) {
                    entry.position = 0;
                }
            }
            renumber(&mut state, &mut out);
            self.dispatch(&mut state, &mut out, now);
            // Those still waiting wait again, from their new place.
            for customer in &agent.chats {
                if let Some(entry) = state.customers.get_mut(customer) {
                    if entry.agent.is_none() {
                        entry.waiting_since = Some((now, entry.position));
                    }
                }
            }
        }
        self.send(Deliveries(out));
    }

    /// A line from an executive to their current customer.
    pub fn agent_says(
        &self,
        agent: SessionId,
        customer: SessionId,
        contact: ContactId,
        text: String,
    ) -> Result<ChatInfo, HubError> {
        let line = text.clone();
        self.to_customer(agent, customer, contact, Some(line), |name| {
            CustomerEvent::FromAgent {
                agent: name.to_string(),
                text,
            }
        })
    }

    /// Tells the customer their executive restarted their services.
    pub fn agent_restarted(
        &self,
        agent: SessionId,
        customer: SessionId,
        contact: ContactId,
    ) -> Result<ChatInfo, HubError> {
        self.to_customer(agent, customer, contact, None, |name| {
            CustomerEvent::ServicesRestarted {
                agent: name.to_string(),
            }
        })
    }

    /// Sends the event `event` makes of the executive's name to their customer; `line`, a
    /// chat line, is kept among the chat's recent lines.
    fn to_customer(
        &self,
        agent: SessionId,
        customer: SessionId,
        contact: ContactId,
        line: Option<String>,
        event: impl FnOnce(&str) -> CustomerEvent,
    ) -> Result<ChatInfo, HubError> {
        let mut out = Vec::new();
        let chat = {
            let mut state = self.lock();
            let state = &mut *state;
            let executive = state.agents.get(&agent).ok_or(HubError::UnknownAgent)?;
            if !state.chatting(agent, customer, contact) {
                return Err(HubError::NoCustomer);
            }
            let entry = state
                .customers
                .get_mut(&customer)
                .ok_or(HubError::NoCustomer)?;
            if let Some(line) = line {
                entry.remember(executive.name.clone(), line);
            }
            out.push(Delivery::Customer(
                entry.ticket.outbox.clone(),
                event(&executive.name),
            ));
            chat_info(&entry.ticket)
        };
        self.send(Deliveries(out));
        Ok(chat)
    }

    /// Tells the customer their executive changed one of their requests.
    pub fn agent_changed(
        &self,
        agent: SessionId,
        customer: SessionId,
        contact: ContactId,
        request: RequestId,
        change: RequestChange,
    ) -> Result<ChatInfo, HubError> {
        self.to_customer(agent, customer, contact, None, |name| {
            CustomerEvent::RequestChanged {
                agent: name.to_string(),
                request,
                change: Box::new(change),
            }
        })
    }

    /// The executive ends the chat with `customer` in `contact` (the chat's own), who goes
    /// back to the bot and is told `request`'s number and state. When that chat ended
    /// meanwhile (the customer may even be back in a new chat with this executive, about
    /// the same request or another, which this close is not about), it ends the ended
    /// chat's wrap-up.
    pub fn agent_closes(
        &self,
        agent: SessionId,
        customer: SessionId,
        contact: ContactId,
        request: Option<(RequestId, RequestState)>,
    ) -> Result<ChatInfo, HubError> {
        let mut out = Vec::new();
        let chat = {
            let mut state = self.lock();
            let live = state.chatting(agent, customer, contact);
            let entry = state.agents.get(&agent).ok_or(HubError::UnknownAgent)?;
            if !live {
                let ended = entry.ended_key(customer, Some(contact));
                drop(state);
                // The customer left meanwhile: closing their chat ends its wrap-up.
                if let Some(ended) = ended {
                    self.agent_wrapped_up(agent, ended);
                }
                return Err(HubError::NoCustomer);
            }
            let name = state
                .drop_chat(agent, customer)
                .map(|entry| entry.name.clone())
                .ok_or(HubError::UnknownAgent)?;
            let customer = state
                .customers
                .remove(&customer)
                .ok_or(HubError::NoCustomer)?;
            // Before the hand-off it may allow: the console tells them in their order.
            out.push(Delivery::Console(protocol::console::agent_closed_chat(
                &name,
                &customer.ticket.name,
                request,
            )));
            out.push(Delivery::Customer(
                customer.ticket.outbox.clone(),
                CustomerEvent::ChatEnded {
                    agent: name,
                    request,
                },
            ));
            self.dispatch(&mut state, &mut out, Instant::now());
            chat_info(&customer.ticket)
        };
        self.send(Deliveries(out));
        Ok(chat)
    }

    /// The executive closed (or took off the desk) the ended `chat` (its key since the
    /// customer left, [`AgentEvent::CustomerLeft::ended`], or the customer's session for
    /// a close sent before the executive heard of it): its place is free again, and the
    /// next customer waiting may come. Nothing when that chat is not being wrapped up.
    pub fn agent_wrapped_up(&self, agent: SessionId, chat: SessionId) {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let Some(ended) = state
                .agents
                .get(&agent)
                .and_then(|a| a.ended_key(chat, None))
            else {
                return;
            };
            state.drop_chat(agent, ended);
            self.dispatch(&mut state, &mut out, Instant::now());
        }
        self.send(Deliveries(out));
    }

    /// Executive `agent` chose `request` with `:open` in `chat` (a customer's session, or
    /// an ended chat's key) of `contact`: a later hand-off of that request takes
    /// the chat, once ended, off their desk, as one of the chat's own request does.
    /// Nothing when the chat is no longer on the desk. When a colleague already serves that
    /// request (the hand-off came before this notice), an ended chat is taken up at once.
    pub fn agent_opened(
        &self,
        agent: SessionId,
        chat: SessionId,
        contact: ContactId,
        request: RequestId,
    ) {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let live = state.chatting(agent, chat, contact);
            let Some(entry) = state.agents.get_mut(&agent) else {
                return;
            };
            let key = if live {
                chat
            } else {
                match entry.ended_key(chat, Some(contact)) {
                    Some(ended) => ended,
                    None => return,
                }
            };
            entry.opened.retain(|(c, _)| *c != key);
            entry.opened.push((key, request));
            let served = state.customers.values().find_map(|c| {
                c.agent
                    .filter(|serves| c.ticket.request == request && *serves != agent)
                    .map(|serves| (serves, c.ticket.name.clone()))
            });
            if let Some((serves, served_name)) = served {
                let taken_up = state.take_up_ended(request, serves, &mut out);
                if let Some(serves) = state.agents.get(&serves) {
                    taken_up_lines(taken_up, &served_name, request, &serves.name, &mut out);
                }
                self.dispatch(&mut state, &mut out, Instant::now());
            }
        }
        self.send(Deliveries(out));
    }

    /// Changes an executive's display name; their customers are told.
    pub fn agent_rename(&self, agent: SessionId, name: &str) -> Result<(), HubError> {
        let mut out = Vec::new();
        {
            let key = names::fold(name);
            let mut state = self.lock();
            if state
                .agents
                .iter()
                .any(|(id, a)| *id != agent && a.key == key)
            {
                return Err(HubError::NameTaken(name.to_string()));
            }
            let entry = state.agents.get_mut(&agent).ok_or(HubError::UnknownAgent)?;
            entry.name = name.to_string();
            entry.key = key;
            let chats = entry.chats.clone();
            for customer in chats {
                if let Some(c) = state.customers.get(&customer) {
                    out.push(Delivery::Customer(
                        c.ticket.outbox.clone(),
                        CustomerEvent::AgentRenamed {
                            agent: name.to_string(),
                        },
                    ));
                }
            }
        }
        self.send(Deliveries(out));
        Ok(())
    }

    /// Who is waiting, in order.
    pub fn queue(&self) -> Vec<Waiting> {
        let state = self.lock();
        state
            .queue
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let c = state.customers.get(s)?;
                Some(Waiting {
                    position: i + 1,
                    name: c.ticket.name.clone(),
                    rut: c.ticket.rut,
                    backlog_len: c.backlog.lines.len(),
                    away: c.away,
                })
            })
            .collect()
    }

    /// How busy the queue and the executives are now, read under one lock (for the
    /// server statistics).
    pub fn occupancy(&self) -> Occupancy {
        let state = self.lock();
        Occupancy {
            waiting: state.queue.len(),
            executives: state.agents.len(),
            chats: state.agents.values().map(|agent| agent.chats.len()).sum(),
        }
    }

    /// Ends `agent`'s chat with `entry` (already removed from `customers`), which the
    /// executive then wraps up (see [`AgentEntry::wrapping_up`]), and tells the executive.
    fn release(
        &self,
        state: &mut State,
        agent: SessionId,
        entry: &CustomerEntry,
        disconnected: Option<Departure>,
        out: &mut Vec<Delivery>,
    ) {
        if let Some((a, ended)) = state.wrap_up(agent, &entry.ticket) {
            out.push(Delivery::Agent(
                a.outbox.clone(),
                AgentEvent::CustomerLeft {
                    chat: chat_info(&entry.ticket),
                    ended,
                    disconnected,
                },
            ));
        }
    }

    /// The next hand-off, as the customer's index in the queue and the executive: the
    /// first customer present (one whose connection was lost keeps their place but is not
    /// handed to anyone before they are back) who has an executive with a free place, the
    /// least loaded and longest free of them. The place of an ended chat about the
    /// customer's own request counts as free for them (the new chat takes it up), and among
    /// equally loaded executives the one wrapping it up comes first. A customer back about
    /// another request may go to the executive wrapping up their ended chat, when a place
    /// is free: the ended chat has a key of its own ([`EndedChat::key`]) and stays beside
    /// the new one.
    fn next_hand_off(&self, state: &State) -> Option<(usize, SessionId)> {
        let free = |customer: SessionId| {
            let request = state.customers.get(&customer).map(|c| c.ticket.request);
            state
                .agents
                .iter()
                .filter_map(|(id, a)| {
                    // An ended chat about this very request is taken up by the new one:
                    // its place serves the customer, also at full capacity, and the
                    // executive who knows the request comes first among equals.
                    let takes_up = request.is_some_and(|r| a.wraps_request(r));
                    let load = a.load() - usize::from(takes_up);
                    (load < self.capacity).then_some((*id, (load, !takes_up, a.free_since)))
                })
                .min_by_key(|(_, key)| *key)
                .map(|(id, _)| id)
        };
        // With every place taken, only the customers back about a request whose ended chat
        // holds one may be handed over: the queue is read for those alone (a few requests,
        // as each executive wraps up a bounded number of chats).
        let room = state.agents.values().any(|a| a.load() < self.capacity);
        let wrapped: Vec<RequestId> = if room {
            Vec::new()
        } else {
            state
                .agents
                .values()
                .flat_map(AgentEntry::wrapped_requests)
                .collect()
        };
        if !room && wrapped.is_empty() {
            return None;
        }
        // Past the customers away and those only the executives wrapping up their chat
        // could take: few, as each executive wraps up a bounded number of chats.
        state
            .queue
            .iter()
            .enumerate()
            .filter(|(_, session)| {
                state.customers.get(session).is_none_or(|entry| {
                    !entry.away && (room || wrapped.contains(&entry.ticket.request))
                })
            })
            .find_map(|(index, session)| Some((index, free(*session)?)))
    }

    /// Assigns waiting customers to free executives (first come, first served; the
    /// executive free the longest first), then announces the new queue positions. Each
    /// hand-off of a customer who waited is a sample of the wait (`now` is its time).
    fn dispatch(&self, state: &mut State, out: &mut Vec<Delivery>, now: Instant) {
        if state.stopping {
            return;
        }
        let executives = state.agents.len();
        while let Some((index, agent_id)) = self.next_hand_off(state) {
            let Some(customer_id) = state.queue.remove(index) else {
                break;
            };
            // The request served again (its customer back about it, maybe on a new
            // connection): its ended chat on a desk leaves first, so that nothing meant for
            // it lands on a request in service elsewhere.
            // (The console says so after the hand-off, before any it allows.)
            let taken_up = match state.customers.get(&customer_id) {
                Some(entry) => state.take_up_ended(entry.ticket.request, agent_id, out),
                None => Vec::new(),
            };
            let Some(customer) = state.customers.get_mut(&customer_id) else {
                continue;
            };
            let Some(agent) = state.agents.get_mut(&agent_id) else {
                break;
            };
            customer.agent = Some(agent_id);
            customer.position = 0;
            if let Some((since, position)) = customer.waiting_since.take() {
                let waited = now.saturating_duration_since(since);
                state.waits.record(now, waited, position, executives);
            }
            agent.chats.push(customer_id);
            let chat = chat_info(&customer.ticket);
            out.push(Delivery::Console(protocol::console::assigned(
                &customer.ticket.name,
                &agent.name,
                customer.ticket.request,
            )));
            taken_up_lines(
                taken_up,
                &customer.ticket.name,
                customer.ticket.request,
                &agent.name,
                out,
            );
            out.push(Delivery::Customer(
                customer.ticket.outbox.clone(),
                CustomerEvent::Assigned {
                    agent: agent.name.clone(),
                },
            ));
            // What they wrote while waiting is part of the chat from now on.
            customer.remember_backlog();
            out.push(Delivery::Agent(
                agent.outbox.clone(),
                AgentEvent::Assigned {
                    chat,
                    backlog: std::mem::take(&mut customer.backlog),
                    reason: customer.ticket.reason.clone(),
                    previous_agent: customer.previous_agent.take(),
                },
            ));
        }
        // Whoever still wraps up while customers wait (and are there) hears it, once per
        // wrap-up: the next customer comes after `:close`.
        let waiting = state.present();
        if waiting > 0 {
            for agent in state.agents.values_mut() {
                if !agent.wrapping_up.is_empty() && !agent.told_waiting {
                    agent.told_waiting = true;
                    out.push(Delivery::Agent(
                        agent.outbox.clone(),
                        AgentEvent::CustomersWaiting { waiting },
                    ));
                }
            }
        }
        renumber(state, out);
    }
}

/// Every waiting customer is told their position when it is one of the last
/// [`TELL_EVERY_MOVE_FROM`] places; further back, only on multiples of [`TELL_EVERY`]
/// places. A customer at 200 does not want 199 lines as the queue drains, and telling every
/// waiting customer of every move costs the server a line per customer per move.
pub const TELL_EVERY_MOVE_FROM: usize = 5;
/// See [`TELL_EVERY_MOVE_FROM`].
pub const TELL_EVERY: usize = 10;

/// Whether a customer who moved forward to `position` is told it.
fn worth_telling(position: usize) -> bool {
    position <= TELL_EVERY_MOVE_FROM || position.is_multiple_of(TELL_EVERY)
}

/// Announces waiting customers' new positions (see [`worth_telling`]); a customer who
/// moved back (only customers requeued ahead of them do that) is always told, and why.
fn renumber(state: &mut State, out: &mut Vec<Delivery>) {
    let State {
        queue, customers, ..
    } = state;
    for (i, session) in queue.iter().enumerate() {
        if let Some(entry) = customers.get_mut(session) {
            let position = i + 1;
            if entry.position == position {
                continue;
            }
            let event = if entry.position != 0 && position > entry.position {
                CustomerEvent::MovedBack(position)
            } else if entry.position == 0 || worth_telling(position) {
                CustomerEvent::QueuePosition(position)
            } else {
                entry.position = position;
                continue;
            };
            entry.position = position;
            out.push(Delivery::Customer(entry.ticket.outbox.clone(), event));
        }
    }
}

fn chat_info(ticket: &Ticket) -> ChatInfo {
    ChatInfo {
        customer: ticket.session,
        name: ticket.name.clone(),
        rut: ticket.rut,
        request: ticket.request,
        contact: ticket.contact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rut(number: u32) -> Rut {
        Rut::from_number(number).expect("valid RUT number")
    }

    /// A party that stops reading is kicked, and logged once, however many more events
    /// come for it before its connection is gone.
    #[test]
    fn a_full_outbox_kicks_its_party_and_warns_once() {
        let logged = crate::test_logs::Captured::default();
        let (tx, _never_read) = mpsc::channel(1);
        let kick = CancellationToken::new();
        let outbox = Outbox::new(tx, kick.clone());
        tracing::subscriber::with_default(logged.subscriber(), || {
            for event in 0..5 {
                outbox.deliver(event);
            }
        });
        assert!(kick.is_cancelled());
        let text = logged.text();
        assert_eq!(text.matches("outbound queue is full").count(), 1, "{text}");
    }

    /// A party's outbox and what it receives.
    fn party<E>() -> (Outbox<E>, mpsc::Receiver<E>) {
        let (tx, rx) = mpsc::channel(64);
        (Outbox::new(tx, CancellationToken::new()), rx)
    }

    /// Everything delivered to `rx` so far.
    fn received<E>(rx: &mut mpsc::Receiver<E>) -> Vec<E> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    /// The key of the ended chat an executive was told of, among the events received.
    fn ended_key(rx: &mut mpsc::Receiver<AgentEvent>) -> SessionId {
        let events = received(rx);
        events
            .iter()
            .find_map(|e| match e {
                AgentEvent::CustomerLeft { ended, .. } => Some(*ended),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no customer left: {events:?}"))
    }

    /// The RUT of test customer `id`.
    fn customer_rut(id: u64) -> Rut {
        rut(10_000_000 + u32::try_from(id).unwrap())
    }

    /// Logs `session` in with `rut`, dropping its events.
    fn login(hub: &Hub, number: u32, session: SessionId) -> Option<Takeover> {
        hub.login(rut(number), session, party().0, OpenChat::Ask)
            .unwrap()
    }

    /// A customer (session `id`, RUT `id`, request `id`) joining the queue.
    fn ticket(id: u64, outbox: Outbox<CustomerEvent>) -> Ticket {
        Ticket {
            session: SessionId(id),
            name: format!("Cliente {id}"),
            rut: customer_rut(id),
            request: id,
            contact: ContactId(id.try_into().unwrap()),
            reason: Reason::default(),
            outbox,
        }
    }

    /// Entries in both login maps, which must always mirror each other.
    fn logins(hub: &Hub) -> usize {
        let state = hub.lock();
        assert_eq!(state.logged_in.len(), state.rut_of.len());
        for (rut, session) in &state.logged_in {
            assert_eq!(state.rut_of.get(session).map(|h| h.rut), Some(*rut));
        }
        state.logged_in.len()
    }

    fn names_waiting(hub: &Hub) -> Vec<String> {
        hub.queue().into_iter().map(|w| w.name).collect()
    }

    #[test]
    fn a_second_login_takes_the_session_over() {
        let hub = Hub::new(1, Console::capture());
        let (first, second) = (SessionId(1), SessionId(2));
        let (outbox, mut told) = party();
        assert_eq!(
            hub.login(rut(12_345_678), first, outbox, OpenChat::Ask),
            Ok(None)
        );
        // Nothing to carry over from a session at the menu.
        assert_eq!(login(&hub, 12_345_678, second), Some(Takeover::default()));
        assert_eq!(
            received(&mut told),
            [CustomerEvent::TakenOver {
                kept: None,
                chat_moved: false
            }]
        );
        assert_eq!(logins(&hub), 1);
        // The old session's clean-up does not free the RUT the new one holds, and hears the
        // notice again (once) in case its connection ended before reading it.
        assert_eq!(
            hub.customer_gone(first),
            Some(CustomerEvent::TakenOver {
                kept: None,
                chat_moved: false
            })
        );
        assert_eq!(hub.customer_gone(first), None);
        assert_eq!(logins(&hub), 1);
        assert_eq!(login(&hub, 12_345_678, second), None);
        hub.customer_gone(second);
        assert_eq!(logins(&hub), 0);
        assert_eq!(login(&hub, 12_345_678, first), None);
    }

    /// A chat whose customer left keeps its executive's place until the executive is done
    /// with it (after-call work); the executive hears once that customers wait.
    #[test]
    fn a_chat_whose_customer_left_holds_its_place_until_the_executive_wraps_it_up() {
        let console = Console::capture();
        let hub = Hub::new(1, console.clone());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let mut customers = Vec::new();
        for id in 1..=3 {
            let (outbox, rx) = party();
            customers.push(rx);
            hub.enqueue(ticket(id, outbox));
        }
        let assigned = |id: u64| {
            console.lines().iter().any(|l| {
                l.ends_with(&protocol::console::assigned(
                    &format!("Cliente {id}"),
                    "Ana",
                    id,
                ))
            })
        };
        assert!(assigned(1));
        // The customer leaves: Ana's place stays taken while she notes and closes, and she
        // hears once that customers wait.
        hub.customer_ends_chat(SessionId(1)).unwrap();
        assert!(!assigned(2));
        assert_eq!(hub.queue().len(), 2);
        let told = received(&mut ana_rx);
        assert!(
            told.iter()
                .any(|e| matches!(e, AgentEvent::CustomersWaiting { waiting: 2 })),
            "{told:?}"
        );
        let (outbox, _rx) = party();
        hub.enqueue(ticket(4, outbox));
        assert!(!received(&mut ana_rx)
            .iter()
            .any(|e| matches!(e, AgentEvent::CustomersWaiting { .. })));
        // Wrapping up another customer's chat, or twice, frees nothing more.
        hub.agent_wrapped_up(SessionId(100), SessionId(3));
        assert!(!assigned(2));
        hub.agent_wrapped_up(SessionId(100), SessionId(1));
        assert!(assigned(2));
        assert_eq!(hub.queue().len(), 2);
        // A :close that meets a chat whose customer just left ends its wrap-up too.
        assert!(hub.customer_gone_announced(SessionId(2), Departure::Lost).1);
        assert!(!assigned(3));
        assert!(matches!(
            hub.agent_closes(SessionId(100), SessionId(2), ContactId(2), None),
            Err(HubError::NoCustomer)
        ));
        assert!(assigned(3));
    }

    /// A request handed to an executive again (its customer back on a new connection) takes
    /// its ended chat off the desk that wraps it up, whose place is free at once; another
    /// request's hand-off leaves ended chats alone. The executive with fewer chats takes
    /// it: the one wrapping it up counts the ended chat's place as free for it.
    #[test]
    fn a_request_served_again_takes_its_ended_chat_off_the_desk() {
        let console = Console::capture();
        let hub = Hub::new(2, console.clone());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (first, _first_rx) = party();
        hub.enqueue(ticket(1, first));
        assert!(hub.customer_gone_announced(SessionId(1), Departure::Lost).1);
        let ended = ended_key(&mut ana_rx);
        assert_ne!(ended, SessionId(1), "the ended chat has a key of its own");
        let (fifth, _fifth_rx) = party();
        hub.enqueue(ticket(5, fifth));
        let (beto, mut beto_rx) = party();
        hub.agent_join(SessionId(101), "Beto", beto).unwrap();
        // Another customer's request goes to Beto: Ana's ended chat stays.
        let (other, _other_rx) = party();
        hub.enqueue(ticket(2, other));
        let taken_up = |rx: &mut mpsc::Receiver<AgentEvent>| {
            received(rx)
                .into_iter()
                .filter_map(|e| match e {
                    AgentEvent::EndedChatTakenUp {
                        customer, agent, ..
                    } => Some((customer, agent)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert!(taken_up(&mut ana_rx).is_empty());
        hub.agent_closes(SessionId(101), SessionId(2), ContactId(2), None)
            .unwrap();
        // The first customer back on a new connection, about request 1: Ana has a chat
        // besides the ended one, Beto none: to Beto, and Ana's ended chat of request 1
        // leaves her desk, whose place the next customer takes; the console says it in
        // order.
        let before = console.lines().len();
        let (back, _back_rx) = party();
        hub.enqueue(Ticket {
            session: SessionId(3),
            request: 1,
            contact: ContactId(1),
            ..ticket(1, back)
        });
        assert_eq!(taken_up(&mut ana_rx), [(ended, "Beto".to_string())]);
        assert!(taken_up(&mut beto_rx).is_empty());
        let (next, _next_rx) = party();
        hub.enqueue(ticket(4, next));
        let lines: Vec<String> = console.lines()[before..]
            .iter()
            .map(|l| l.trim_start_matches(crate::console::PREFIX).to_string())
            .collect();
        assert_eq!(
            lines,
            [
                protocol::console::assigned("Cliente 1", "Beto", 1),
                protocol::console::ended_chat_taken_up("Ana", "Cliente 1", 1, "Beto"),
                protocol::console::assigned("Cliente 4", "Ana", 4),
            ]
        );
    }

    /// A request chosen with `:open` in a chat is taken up as the chat's own: handed to a
    /// colleague once the chat ended, it takes the ended chat off the desk (at once when the
    /// `:open` comes after the hand-off); with every place taken, its customer goes to the
    /// executive whose ended chat holds it. An `:open` in a chat not on the desk is not
    /// kept.
    #[test]
    fn a_request_opened_in_an_ended_chat_takes_it_off_the_desk_when_served_again() {
        let taken_up = |rx: &mut mpsc::Receiver<AgentEvent>| {
            received(rx)
                .into_iter()
                .filter_map(|e| match e {
                    AgentEvent::EndedChatTakenUp {
                        customer, request, ..
                    } => Some((customer, request)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        // Ana wraps up chat 1, in which she opened request 7, and serves customer 4.
        let ana_with_an_ended_chat = |capacity| {
            let hub = Hub::new(capacity, Console::capture());
            let (ana, mut ana_rx) = party();
            hub.agent_join(SessionId(100), "Ana", ana).unwrap();
            let (first, first_rx) = party();
            hub.enqueue(ticket(1, first));
            hub.agent_opened(SessionId(100), SessionId(1), ContactId(1), 7);
            // Not a chat of Ana's: not kept.
            hub.agent_opened(SessionId(100), SessionId(2), ContactId(2), 8);
            assert!(hub.customer_gone_announced(SessionId(1), Departure::Lost).1);
            let ended = ended_key(&mut ana_rx);
            (hub, ana_rx, first_rx, ended)
        };
        let back_about = |hub: &Hub, request| {
            let (back, back_rx) = party();
            hub.enqueue(Ticket {
                session: SessionId(3),
                request,
                ..ticket(1, back)
            });
            back_rx
        };
        let (hub, mut ana_rx, _first, ended) = ana_with_an_ended_chat(2);
        let (fourth, _fourth_rx) = party();
        hub.enqueue(ticket(4, fourth));
        let (beto, mut beto_rx) = party();
        hub.agent_join(SessionId(101), "Beto", beto).unwrap();
        // Request 8 was opened in no chat of Ana's: to Beto, Ana's ended chat stays.
        let (other, _other_rx) = party();
        hub.enqueue(Ticket {
            request: 8,
            contact: ContactId(8),
            ..ticket(2, other)
        });
        assert!(taken_up(&mut ana_rx).is_empty());
        hub.agent_closes(SessionId(101), SessionId(2), ContactId(8), None)
            .unwrap();
        received(&mut beto_rx);
        // Request 7 to Beto, who has fewer chats: Ana's ended chat leaves her desk.
        let _back = back_about(&hub, 7);
        assert_eq!(taken_up(&mut ana_rx), [(ended, 7)]);
        assert_eq!(hub.occupancy().chats, 2);
        // An `:open` whose notice comes after the hand-off: taken up at once.
        let (hub, mut ana_rx, _first, ended) = ana_with_an_ended_chat(2);
        let (fourth, _fourth_rx) = party();
        hub.enqueue(ticket(4, fourth));
        let (beto, _beto_rx) = party();
        hub.agent_join(SessionId(101), "Beto", beto).unwrap();
        let _back = back_about(&hub, 9);
        assert!(taken_up(&mut ana_rx).is_empty());
        // (Sent by session before the executive heard the customer left: the ended chat's.)
        hub.agent_opened(SessionId(100), SessionId(1), ContactId(1), 9);
        assert_eq!(taken_up(&mut ana_rx), [(ended, 9)]);
        // Every place taken: Ana's ended chat holds request 7's place, so its customer goes
        // to her (her desk puts the new chat in the ended one's place).
        let (hub, mut ana_rx, _first, _) = ana_with_an_ended_chat(1);
        let _back = back_about(&hub, 7);
        let to_ana = received(&mut ana_rx);
        assert!(
            matches!(
                to_ana.as_slice(),
                [AgentEvent::Assigned { chat, .. }] if chat.request == 7
            ),
            "{to_ana:?}"
        );
    }

    /// An executive at full capacity whose only place is the ended chat of a request takes
    /// that request's customer back at once (on a new connection too: the hand-off alone
    /// tells the desk, which replaces the ended chat), ahead of a customer waiting for another request, who still
    /// waits for a place.
    #[test]
    fn a_full_executive_takes_up_the_request_whose_ended_chat_holds_the_place() {
        let console = Console::capture();
        let hub = Hub::new(1, console.clone());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (first, _first_rx) = party();
        hub.enqueue(ticket(1, first));
        assert!(hub.customer_gone_announced(SessionId(1), Departure::Lost).1);
        received(&mut ana_rx);
        let (second, _second_rx) = party();
        hub.enqueue(ticket(2, second));
        let waiting = |hub: &Hub| hub.queue().into_iter().map(|w| w.name).collect::<Vec<_>>();
        assert_eq!(waiting(&hub), ["Cliente 2"]);
        received(&mut ana_rx);
        let (back, _back_rx) = party();
        hub.enqueue(Ticket {
            session: SessionId(3),
            request: 1,
            contact: ContactId(1),
            ..ticket(1, back)
        });
        assert_eq!(waiting(&hub), ["Cliente 2"], "the second still waits");
        // Only the hand-off: Ana's desk puts it in the ended chat's place in one step.
        let events = received(&mut ana_rx);
        assert!(
            matches!(
                events.as_slice(),
                [AgentEvent::Assigned { chat, .. }] if chat.customer == SessionId(3)
            ),
            "{events:?}"
        );
        assert!(console
            .lines()
            .iter()
            .any(|l| l.ends_with(&protocol::console::assigned("Cliente 1", "Ana", 1))));
        // Ana's one place is the new chat's: the second waits for its end.
        hub.agent_closes(SessionId(100), SessionId(3), ContactId(1), None)
            .unwrap();
        assert!(hub.queue().is_empty());
    }

    /// The same connection back about the request of its ended chat goes to the executive
    /// wrapping it up, who has room: the new chat takes the ended one up (the desk replaces
    /// it itself; no take-up event).
    #[test]
    fn a_customer_back_about_the_same_request_goes_to_the_executive_wrapping_it_up() {
        let console = Console::capture();
        let hub = Hub::new(2, console.clone());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (first, _first_rx) = party();
        hub.enqueue(ticket(1, first.clone()));
        hub.customer_ends_chat(SessionId(1)).unwrap();
        received(&mut ana_rx);
        // Asked again, about request 1 (a complaint on the same topic): to Ana at once.
        hub.enqueue(ticket(1, first));
        let assigned = console
            .lines()
            .iter()
            .filter(|l| l.ends_with(&protocol::console::assigned("Cliente 1", "Ana", 1)))
            .count();
        assert_eq!(assigned, 2);
        assert!(hub.queue().is_empty());
        let events = received(&mut ana_rx);
        assert!(
            matches!(events.as_slice(), [AgentEvent::Assigned { .. }]),
            "{events:?}"
        );
        // One place for the chat, none for a wrap-up: another customer still fits.
        let (other, _other_rx) = party();
        hub.enqueue(ticket(2, other));
        assert!(console
            .lines()
            .iter()
            .any(|l| l.ends_with(&protocol::console::assigned("Cliente 2", "Ana", 2))));
    }

    /// A customer who asks again, about another request, while their executive wraps up
    /// their ended chat goes to that executive when she has a free place: the ended chat
    /// has a key of its own and stays beside the new one, holding its place until wrapped
    /// up. With no place free they wait, and the customer behind takes a colleague's.
    #[test]
    fn a_customer_back_about_another_request_sits_beside_their_ended_chat() {
        let console = Console::capture();
        let hub = Hub::new(2, console.clone());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let assigned = |id: u64, request: u64, agent: &str| {
            console
                .lines()
                .iter()
                .filter(|l| {
                    l.ends_with(&protocol::console::assigned(
                        &format!("Cliente {id}"),
                        agent,
                        request,
                    ))
                })
                .count()
        };
        let (first, _first_rx) = party();
        hub.enqueue(ticket(1, first.clone()));
        assert_eq!(assigned(1, 1, "Ana"), 1);
        hub.customer_ends_chat(SessionId(1)).unwrap();
        let ended = ended_key(&mut ana_rx);
        // The same connection asks again, with a new request: to Ana at once.
        hub.enqueue(Ticket {
            request: 11,
            contact: ContactId(11),
            ..ticket(1, first.clone())
        });
        assert_eq!(assigned(1, 11, "Ana"), 1);
        assert!(hub.queue().is_empty());
        let events = received(&mut ana_rx);
        assert!(
            matches!(events.as_slice(), [AgentEvent::Assigned { chat, .. }] if chat.customer == SessionId(1)),
            "{events:?}"
        );
        // The ended chat still holds its place: the next customer waits.
        let (second, _second_rx) = party();
        hub.enqueue(ticket(2, second));
        assert_eq!(assigned(2, 2, "Ana"), 0);
        // Closing the new chat leaves the ended one on the desk.
        hub.agent_closes(SessionId(100), SessionId(1), ContactId(11), None)
            .unwrap();
        assert_eq!(assigned(2, 2, "Ana"), 1);
        let (third, _third_rx) = party();
        hub.enqueue(ticket(3, third));
        assert_eq!(assigned(3, 3, "Ana"), 0);
        hub.agent_wrapped_up(SessionId(100), ended);
        assert_eq!(assigned(3, 3, "Ana"), 1);

        // A close of the first chat sent by the session before Ana heard the customer left,
        // carried out once they are back in a new chat with her: it ends the ended chat's
        // wrap-up, not the new chat.
        // (Nor does a late line of the first chat reach the new one.)
        let (hub, console, _first_rx) = late_ops_miss_the_new_chat(2, |first| Ticket {
            request: 11,
            contact: ContactId(11),
            ..first
        });
        let (second, _second_rx) = party();
        hub.enqueue(ticket(2, second));
        assert!(console
            .lines()
            .iter()
            .any(|l| l.ends_with(&protocol::console::assigned("Cliente 2", "Ana", 2))));

        // No place free (one chat of capacity one, ended): the customer back about another
        // request waits; one behind goes to a colleague; the wrap-up's end brings them in.
        let console = Console::capture();
        let hub = Hub::new(1, console.clone());
        let (ana, _ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (first, _first_rx) = party();
        hub.enqueue(ticket(1, first.clone()));
        hub.customer_ends_chat(SessionId(1)).unwrap();
        hub.enqueue(Ticket {
            request: 11,
            contact: ContactId(11),
            ..ticket(1, first)
        });
        assert_eq!(hub.queue().len(), 1);
        let (beto, _beto_rx) = party();
        hub.agent_join(SessionId(101), "Beto", beto).unwrap();
        let to = |id: u64, request: u64, agent: &str| {
            console.lines().iter().any(|l| {
                l.ends_with(&protocol::console::assigned(
                    &format!("Cliente {id}"),
                    agent,
                    request,
                ))
            })
        };
        assert!(to(1, 11, "Beto"));
        let (second, _second_rx) = party();
        hub.enqueue(ticket(2, second));
        assert!(!to(2, 2, "Ana"));
        // A close sent by the customer's session (before Ana heard they left) ends the
        // wrap-up too.
        hub.agent_wrapped_up(SessionId(100), SessionId(1));
        assert!(to(2, 2, "Ana"));
    }

    /// A customer back about the same request, in a new chat with the same executive: a
    /// line or a close sent for the chat that ended, carried out after the new hand-off,
    /// does not reach the new chat (the request cannot tell the two apart; the contact
    /// does), with one place or two.
    #[test]
    fn a_late_close_of_an_ended_chat_spares_the_new_chat_about_the_same_request() {
        for capacity in [1, 2] {
            let (hub, _console, _first_rx) = late_ops_miss_the_new_chat(capacity, |first| Ticket {
                contact: ContactId(21),
                ..first
            });
            let said = hub.agent_says(SessionId(100), SessionId(1), ContactId(21), "hola".into());
            assert_eq!(
                said.map(|chat| chat.contact),
                Ok(ContactId(21)),
                "{capacity}"
            );
        }
    }

    /// Ana (of `capacity`) chats with Cliente 1 (contact 1), who ends the chat and at once
    /// asks again as `again` makes of their first ticket, and is handed back to her: a line
    /// and a close she sent for the first chat, carried out now, reach neither chat.
    /// Returns the hub, its console and Cliente 1's events after that.
    fn late_ops_miss_the_new_chat(
        capacity: usize,
        again: impl FnOnce(Ticket) -> Ticket,
    ) -> (Hub, Console, mpsc::Receiver<CustomerEvent>) {
        let console = Console::capture();
        let hub = Hub::new(capacity, console.clone());
        let (ana, _ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (first, mut first_rx) = party();
        hub.enqueue(ticket(1, first.clone()));
        hub.customer_ends_chat(SessionId(1)).unwrap();
        hub.enqueue(again(ticket(1, first)));
        assert!(
            matches!(
                received(&mut first_rx).as_slice(),
                [.., CustomerEvent::Assigned { agent }] if agent == "Ana"
            ),
            "capacity {capacity}: back with Ana"
        );
        assert_eq!(
            hub.agent_says(SessionId(100), SessionId(1), ContactId(1), "¿sigue?".into()),
            Err(HubError::NoCustomer)
        );
        assert_eq!(
            hub.agent_closes(SessionId(100), SessionId(1), ContactId(1), None),
            Err(HubError::NoCustomer)
        );
        assert!(
            received(&mut first_rx).is_empty(),
            "capacity {capacity}: the new chat goes on"
        );
        (hub, console, first_rx)
    }

    /// An `:open` sent by the customer's session for a chat that ended meanwhile, carried
    /// out once they are back in a new chat with the same executive, is the ended chat's
    /// (it names that chat's request): served again, its request takes that chat, and its
    /// place, off the desk.
    #[test]
    fn a_late_open_goes_to_the_ended_chat_it_was_sent_for() {
        let hub = Hub::new(2, Console::capture());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (first, _first_rx) = party();
        hub.enqueue(ticket(1, first.clone()));
        hub.customer_ends_chat(SessionId(1)).unwrap();
        let ended = ended_key(&mut ana_rx);
        hub.enqueue(Ticket {
            request: 11,
            contact: ContactId(11),
            ..ticket(1, first.clone())
        });
        hub.agent_opened(SessionId(100), SessionId(1), ContactId(1), 7);
        {
            let state = hub.lock();
            let ana = &state.agents[&SessionId(100)];
            assert!(ana.ended_chat_about(ended, 7));
            assert!(!ana.opened.contains(&(SessionId(1), 7)));
        }
        hub.agent_closes(SessionId(100), SessionId(1), ContactId(11), None)
            .unwrap();
        hub.enqueue(Ticket {
            request: 7,
            contact: ContactId(7),
            ..ticket(1, first)
        });
        assert!(hub.lock().agents[&SessionId(100)].wrapping_up.is_empty());
    }

    /// The console tells the queue's and the chats' events in the order they happen: a
    /// close, an end, a disconnection or an executive leaving comes before the hand-off it
    /// allows (black-box tests saw "redirigido" first, as if an executive of capacity 1
    /// had two customers).
    #[test]
    fn the_console_says_the_cause_before_the_hand_off_it_allows() {
        let console = Console::capture();
        let hub = Hub::new(1, console.clone());
        let (ana, _ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let mut customers = Vec::new();
        for id in 1..=4 {
            let (outbox, rx) = party();
            customers.push(rx);
            hub.enqueue(ticket(id, outbox));
        }
        hub.agent_closes(SessionId(100), SessionId(1), ContactId(1), None)
            .unwrap();
        hub.customer_ends_chat(SessionId(2)).unwrap();
        // The next customer comes once Ana is done with the chat that ended.
        hub.agent_wrapped_up(SessionId(100), SessionId(2));
        let (eva, _eva_rx) = party();
        hub.agent_join(SessionId(101), "Eva", eva).unwrap();
        hub.agent_gone(SessionId(100));
        // A customer's connection ends mid-chat, then another's in the queue.
        assert!(hub.customer_gone_announced(SessionId(4), Departure::Lost).1);
        hub.agent_wrapped_up(SessionId(101), SessionId(4));
        let (outbox, _rx) = party();
        hub.enqueue(ticket(5, outbox));
        assert!(hub.customer_gone_announced(SessionId(5), Departure::Lost).1);
        assert!(
            !hub.customer_gone_announced(SessionId(6), Departure::Lost).1,
            "held nothing"
        );
        let lines: Vec<String> = console
            .lines()
            .into_iter()
            .map(|l| l.trim_start_matches(crate::console::PREFIX).to_string())
            .collect();
        let name = |id: u64| format!("Cliente {id}");
        assert_eq!(
            lines,
            [
                protocol::console::agent_connected("Ana"),
                protocol::console::assigned(&name(1), "Ana", 1),
                protocol::console::queued(&name(2), 2, 1),
                protocol::console::queued(&name(3), 3, 2),
                protocol::console::queued(&name(4), 4, 3),
                protocol::console::agent_closed_chat("Ana", &name(1), None::<(u64, RequestState)>),
                protocol::console::assigned(&name(2), "Ana", 2),
                protocol::console::customer_ended_chat(&name(2), "Ana", 2),
                protocol::console::assigned(&name(3), "Ana", 3),
                protocol::console::agent_connected("Eva"),
                protocol::console::assigned(&name(4), "Eva", 4),
                protocol::console::requeued(&name(3), "Ana", 3),
                protocol::console::customer_disconnected(&name(4)),
                protocol::console::assigned(&name(3), "Eva", 3),
                protocol::console::queued(&name(5), 5, 1),
                protocol::console::left_queue(
                    &name(5),
                    5,
                    protocol::console::QueueExit::Disconnected
                ),
                protocol::console::customer_disconnected(&name(5)),
            ]
        );
    }

    /// While the server stops, every connection closes in no set order: nobody is handed
    /// to an executive or requeued, nobody is told a new place in the queue, and the
    /// console says why each waiting customer left (a black-box test saw "vuelve a la fila"
    /// and "dejó la fila de espera al desconectarse" during a stop).
    #[test]
    fn a_stopping_hub_hands_off_and_requeues_nobody() {
        let console = Console::capture();
        let hub = Hub::new(1, console.clone());
        let (ana, mut ana_rx) = party();
        hub.agent_join(SessionId(100), "Ana", ana).unwrap();
        let (bruno, _bruno_rx) = party();
        hub.agent_join(SessionId(101), "Bruno", bruno).unwrap();
        // Customer 1 with Ana, 2 with Bruno, 3 and 4 waiting.
        let mut customers = Vec::new();
        for id in 1..=4 {
            let (outbox, rx) = party();
            customers.push(rx);
            hub.enqueue(ticket(id, outbox));
        }
        let before = console.lines().len();
        for rx in &mut customers {
            received(rx);
        }
        received(&mut ana_rx);
        hub.stop();
        // Ana's customer leaves: Ana is free, yet the next one is not handed to her.
        assert!(hub.customer_gone_announced(SessionId(1), Departure::Lost).1);
        assert!(received(&mut customers[2]).is_empty());
        // Bruno leaves mid-chat: his customer is not requeued and hears nothing.
        hub.agent_gone(SessionId(101));
        assert!(received(&mut customers[1]).is_empty());
        // The first in the queue leaves: the one behind is not told a new place.
        assert!(hub.customer_gone_announced(SessionId(3), Departure::Lost).1);
        assert!(received(&mut customers[3]).is_empty());
        assert!(hub.customer_gone_announced(SessionId(2), Departure::Lost).1);
        assert!(hub.customer_gone_announced(SessionId(4), Departure::Lost).1);
        hub.agent_gone(SessionId(100));
        let lines: Vec<String> = console.lines()[before..]
            .iter()
            .map(|l| l.trim_start_matches(crate::console::PREFIX).to_string())
            .collect();
        let name = |id: u64| format!("Cliente {id}");
        let stopped = protocol::console::QueueExit::ServerStopped;
        assert_eq!(
            lines,
            [
                protocol::console::customer_disconnected(&name(1)),
                protocol::console::left_queue(&name(3), 3, stopped),
                protocol::console::customer_disconnected(&name(3)),
                protocol::console::customer_disconnected(&name(2)),
                protocol::console::left_queue(&name(4), 4, stopped),
                protocol::console::customer_disconnected(&name(4)),
            ]
        );
        assert!(hub.queue().is_empty());
    }

    #[test]
    fn logging_in_again_with_the_same_rut_is_harmless() {
        let hub = Hub::new(1, Console::capture());
        let session = SessionId(1);
        assert_eq!(login(&hub, 12_345_678, session), None);
        assert_eq!(login(&hub, 12_345_678, session), None);
        assert_eq!(logins(&hub), 1);
        hub.customer_gone(session);
        assert_eq!(logins(&hub), 0);
    }

    #[test]
    fn a_second_login_keeps_only_the_new_rut() {
        let hub = Hub::new(1, Console::capture());
        let (first, second, third) = (SessionId(1), SessionId(2), SessionId(3));
        assert_eq!(login(&hub, 11_111_111, first), None);
        assert_eq!(login(&hub, 22_222_222, first), None);
        assert_eq!(logins(&hub), 1);
        // The first RUT is free again.
        assert_eq!(login(&hub, 11_111_111, second), None);
        assert_eq!(logins(&hub), 2);
        // The first session's disconnection frees its RUT and only its RUT.
        hub.customer_gone(first);
        assert_eq!(logins(&hub), 1);
        assert_eq!(login(&hub, 22_222_222, third), None);
        assert_eq!(logins(&hub), 2);
    }

    #[test]
    fn a_session_that_never_logged_in_can_go() {
        let hub = Hub::new(1, Console::capture());
        assert_eq!(login(&hub, 12_345_678, SessionId(1)), None);
        hub.customer_gone(SessionId(2));
        assert_eq!(logins(&hub), 1);
    }

    /// Customers 1 to `n` logged in and put in the queue in that order: what each receives.
    fn queued(hub: &Hub, n: u64) -> Vec<mpsc::Receiver<CustomerEvent>> {
        (1..=n)
            .map(|id| {
                let (outbox, rx) = party();
                assert_eq!(
                    hub.login(
                        customer_rut(id),
                        SessionId(id),
                        outbox.clone(),
                        OpenChat::Ask
                    ),
                    Ok(None)
                );
                hub.enqueue(ticket(id, outbox));
                rx
            })
            .collect()
    }

    #[test]
    fn a_customer_away_keeps_the_place_and_is_served_once_back() {
        let console = Console::capture();
        let hub = Hub::new(1, console.clone());
        queued(&hub, 2);
        let grace = Duration::from_secs(90);
        assert!(hub.customer_away(SessionId(1), grace));
        // Once: a second call changes nothing and says nothing.
        let said = console.lines().len();
        assert!(!hub.customer_away(SessionId(1), grace));
        assert_eq!(console.lines().len(), said);
        assert_eq!(
            console.lines().last().map(String::as_str),
            Some(&*format!(
                "{}{}",
                crate::console::PREFIX,
                protocol::console::away_in_queue("Cliente 1", 1, grace)
            ))
        );
        let away: Vec<_> = hub.queue().iter().map(|w| (w.position, w.away)).collect();
        assert_eq!(away, [(1, true), (2, false)]);
        // The first executive gets the customer behind (nobody is handed over while away)
        // and is told of the one customer there.
        let (agent, mut agent_rx) = party();
        assert_eq!(hub.agent_join(SessionId(100), "Ana", agent), Ok(1));
        let handed: Vec<_> = received(&mut agent_rx)
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::Assigned { chat, .. } => Some(chat.customer),
                _ => None,
            })
            .collect();
        assert_eq!(handed, [SessionId(2)]);
        // That customer leaves; while the executive wraps up, nobody there waits for them.
        hub.customer_gone(SessionId(2));
        hub.agent_wrapped_up(SessionId(100), SessionId(2));
        assert!(received(&mut agent_rx).iter().all(|e| !matches!(
            e,
            AgentEvent::Assigned { .. } | AgentEvent::CustomersWaiting { .. }
        )));
        // Back on a new connection: the free executive takes them at once.
        let (outbox, mut new) = party();
        let takeover = hub
            .login(customer_rut(1), SessionId(11), outbox, OpenChat::Ask)
            .unwrap()
            .expect("a takeover");
        let place = takeover.queued.expect("the place");
        assert_eq!((place.request, place.taken), (1, true));
        assert_eq!(
            received(&mut new),
            [CustomerEvent::Assigned {
                agent: "Ana".into()
            }]
        );
        // Only a customer still waiting can be away.
        assert!(!hub.customer_away(SessionId(11), grace));
        assert!(!hub.customer_away(SessionId(2), grace));
    }

    #[test]
    fn a_takeover_keeps_the_place_in_the_queue() {
        let hub = Hub::new(1, Console::capture());
        let mut old = queued(&hub, 3);
        // Customer 2 logs in again on session 12.
        let (outbox, mut new) = party();
        let takeover = hub
            .login(customer_rut(2), SessionId(12), outbox, OpenChat::Ask)
            .unwrap();
        assert_eq!(
            takeover,
            Some(Takeover {
                queued: Some(KeptPlace {
                    request: 2,
                    position: 2,
                    backlog_lines: 0,
                    backlog_bytes: 0,
                    served: false,
                    taken: false,
                }),
                ended_chat: None,
                resumed_chat: None,
                announced: false,
            })
        );
        assert_eq!(
            received(&mut old[1]),
            [CustomerEvent::TakenOver {
                kept: Some(2),
                chat_moved: false
            }]
        );
        assert_eq!(names_waiting(&hub), ["Cliente 1", "Cliente 2", "Cliente 3"]);
        // The old session's clean-up leaves the kept place alone.
        assert_eq!(
            hub.customer_gone(SessionId(2)),
            Some(CustomerEvent::TakenOver {
                kept: Some(2),
                chat_moved: false
            })
        );
        assert_eq!(hub.queue().len(), 3);
        assert_eq!(
            hub.customer_says(SessionId(12), "sigo aquí".into()),
            Ok(Routed::Backlog { position: Some(2) })
        );
        // The queue moves: the new session hears about it, then gets the executive.
        let (agent, mut agent_rx) = party();
        hub.agent_join(SessionId(100), "Ana", agent).unwrap();
        assert_eq!(received(&mut new), [CustomerEvent::QueuePosition(1)]);
        hub.agent_closes(SessionId(100), SessionId(1), ContactId(1), None)
            .unwrap();
        assert_eq!(
            received(&mut new),
            [CustomerEvent::Assigned {
                agent: "Ana".into()
            }]
        );
        let assigned: Vec<_> = received(&mut agent_rx)
            .into_iter()
            .filter_map(|event| match event {
                AgentEvent::Assigned { chat, backlog, .. } => Some((chat.customer, backlog.lines)),
                _ => None,
            })
            .collect();
        assert_eq!(
            assigned,
            [
                (SessionId(1), vec![]),
                (SessionId(12), vec!["sigo aquí".to_string()])
            ]
        );
    }

    #[test]
    fn a_takeover_ends_a_chat_like_a_disconnection() {
        let hub = Hub::new(1, Console::capture());
        let (agent, mut agent_rx) = party();
        hub.agent_join(SessionId(100), "Ana", agent).unwrap();
        let (outbox, mut old) = party();
        hub.login(customer_rut(1), SessionId(1), outbox.clone(), OpenChat::Ask)
            .unwrap();
        assert!(hub.enqueue(ticket(1, outbox)).served);
        received(&mut agent_rx);
        received(&mut old);
        let takeover = hub
            .login(customer_rut(1), SessionId(11), party().0, OpenChat::End)
            .unwrap();
        assert_eq!(
            takeover,
            Some(Takeover {
                queued: None,
                ended_chat: Some("Ana".into()),
                resumed_chat: None,
                // The console's lines, before the hand-off the freed place may allow.
                announced: true,
            })
        );
        assert_eq!(
            received(&mut old),
            [CustomerEvent::TakenOver {
                kept: None,
                chat_moved: false
            }]
        );
        let left = received(&mut agent_rx);
        assert!(
            matches!(
                left.as_slice(),
                [AgentEvent::CustomerLeft {
                    disconnected: Some(Departure::Lost),
                    ..
                }]
            ),
            "{left:?}"
        );
        assert_eq!(hub.occupancy().chats, 0);
    }

    /// Customer 1 (session 1) chatting with Ana (session 100).
    fn chatting() -> (
        Hub,
        mpsc::Receiver<AgentEvent>,
        mpsc::Receiver<CustomerEvent>,
    ) {
        let hub = Hub::new(1, Console::capture());
        let (agent, mut agent_rx) = party();
        hub.agent_join(SessionId(100), "Ana", agent).unwrap();
        let (outbox, mut customer_rx) = party();
        hub.login(customer_rut(1), SessionId(1), outbox.clone(), OpenChat::Ask)
            .unwrap();
        assert!(hub.enqueue(ticket(1, outbox)).served);
        received(&mut agent_rx);
        received(&mut customer_rx);
        (hub, agent_rx, customer_rx)
    }

    /// The executive hears how the customer's connection ended: closed for idleness, or
    /// lost.
    #[test]
    fn the_executive_hears_why_the_customer_left() {
        for departure in [Departure::Idle, Departure::Lost] {
            let (hub, mut agent_rx, _customer_rx) = chatting();
            assert!(hub.customer_gone_announced(SessionId(1), departure).1);
            let left = received(&mut agent_rx);
            assert!(
                matches!(left.as_slice(), [AgentEvent::CustomerLeft { disconnected, .. }] if *disconnected == Some(departure)),
                "{left:?}"
            );
        }
    }

    /// Customer 1's chat, resumed by session 11.
    fn resume(hub: &Hub) -> ResumedChat {
        let (outbox, _new) = party();
        hub.login(customer_rut(1), SessionId(11), outbox, OpenChat::Resume)
            .unwrap()
            .and_then(|t| t.resumed_chat)
            .unwrap()
    }

    #[test]
    fn a_chat_keeps_only_its_last_lines_for_a_resume() {
        let (hub, _agent_rx, _old) = chatting();
        for n in 0..8 {
            hub.customer_says(SessionId(1), format!("cliente {n}"))
                .unwrap();
            hub.agent_says(
                SessionId(100),
                SessionId(1),
                ContactId(1),
                format!("ana {n}"),
            )
            .unwrap();
        }
        // A restart notice is not a chat line.
        hub.agent_restarted(SessionId(100), SessionId(1), ContactId(1))
            .unwrap();
        let chat = resume(&hub);
        let recent: Vec<_> = chat.recent.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            recent,
            [
                "cliente 3",
                "ana 3",
                "cliente 4",
                "ana 4",
                "cliente 5",
                "ana 5",
                "cliente 6",
                "ana 6",
                "cliente 7",
                "ana 7"
            ]
        );
        assert_eq!(chat.chat_lines, 8);
    }

    #[test]
    fn lines_left_while_waiting_are_part_of_the_recap() {
        let hub = Hub::new(1, Console::capture());
        let (outbox, _old) = party();
        hub.login(customer_rut(1), SessionId(1), outbox.clone(), OpenChat::Ask)
            .unwrap();
        assert!(!hub.enqueue(ticket(1, outbox)).served);
        assert_eq!(
            hub.customer_says(SessionId(1), "sigo sin internet".into()),
            Ok(Routed::Backlog { position: Some(1) })
        );
        let (agent, _agent_rx) = party();
        hub.agent_join(SessionId(100), "Ana", agent).unwrap();
        hub.agent_says(
            SessionId(100),
            SessionId(1),
            ContactId(1),
            "veo su mensaje".into(),
        )
        .unwrap();
        let chat = resume(&hub);
        let recent: Vec<_> = chat
            .recent
            .iter()
            .map(|l| (l.speaker.as_str(), l.text.as_str()))
            .collect();
        assert_eq!(
            recent,
            [
                ("Cliente 1", "sigo sin internet"),
                ("Ana", "veo su mensaje")
            ]
        );
    }

    #[test]
    fn a_takeover_only_login_gets_in_only_in_another_sessions_place() {
        let hub = Hub::new(1, Console::capture());
        let (outbox, _rx) = party();
        // Nobody holds the RUT: refused, and it is not logged in afterwards.
        assert_eq!(
            hub.login_taking_over(customer_rut(1), SessionId(1), outbox.clone(), OpenChat::Ask),
            None
        );
        assert!(!hub.held_elsewhere(customer_rut(1), SessionId(2)));
        hub.login(customer_rut(1), SessionId(1), outbox, OpenChat::Ask)
            .unwrap();
        // Its own session is nothing to take over.
        let (mine, _mine_rx) = party();
        assert_eq!(
            hub.login_taking_over(customer_rut(1), SessionId(1), mine, OpenChat::Ask),
            None
        );
        // Another session's is.
        let (outbox, _new_rx) = party();
        let taken = hub.login_taking_over(customer_rut(1), SessionId(2), outbox, OpenChat::Ask);
        assert_eq!(taken, Some(Ok(Some(Takeover::default()))));
        assert!(hub.held_elsewhere(customer_rut(1), SessionId(1)));
        assert!(!hub.held_elsewhere(customer_rut(1), SessionId(2)));
    }

    #[test]
    fn a_login_that_asks_first_leaves_a_chat_alone() {
        let (hub, mut agent_rx, mut old) = chatting();
        let (outbox, mut new) = party();
        assert_eq!(
            hub.login(customer_rut(1), SessionId(11), outbox, OpenChat::Ask),
            Err(ChatElsewhere {
                agent: "Ana".into()
            })
        );
        assert!(received(&mut old).is_empty());
        assert!(received(&mut new).is_empty());
        // The chat goes on as before, on the old connection.
        hub.customer_says(SessionId(1), "sigo aquí".into()).unwrap();
        let said = received(&mut agent_rx);
        assert!(
            matches!(said.as_slice(), [AgentEvent::FromCustomer { chat, .. }] if chat.customer == SessionId(1)),
            "{said:?}"
        );
        assert_eq!(
            hub.customer_says(SessionId(11), "hola".into()),
            Err(HubError::NotQueued)
        );
        // The asking connection going (its login deadline, a hang-up) ends nothing.
        assert_eq!(hub.customer_gone(SessionId(11)), None);
        assert!(received(&mut agent_rx).is_empty());
        assert!(received(&mut old).is_empty());
        assert_eq!(hub.occupancy().chats, 1);
        hub.customer_says(SessionId(1), "sigo".into()).unwrap();
    }

    #[test]
    fn a_resumed_chat_goes_on_in_the_new_session_under_the_same_key() {
        let (hub, mut agent_rx, mut old) = chatting();
        let (outbox, mut new) = party();
        let takeover = hub
            .login(customer_rut(1), SessionId(11), outbox, OpenChat::Resume)
            .unwrap();
        let resumed = |chat_lines, recent: &[(&str, &str)]| {
            Some(ResumedChat {
                agent: "Ana".into(),
                request: 1,
                chat_lines,
                recent: recent
                    .iter()
                    .map(|(speaker, text)| ChatLine {
                        speaker: speaker.to_string(),
                        text: text.to_string(),
                    })
                    .collect(),
            })
        };
        assert_eq!(
            takeover,
            Some(Takeover {
                queued: None,
                ended_chat: None,
                resumed_chat: resumed(0, &[]),
                announced: false,
            })
        );
        assert_eq!(
            received(&mut old),
            [CustomerEvent::TakenOver {
                kept: None,
                chat_moved: true
            }]
        );
        let told = received(&mut agent_rx);
        assert!(
            matches!(told.as_slice(), [AgentEvent::CustomerReturned { chat, shown: 0 }] if chat.customer == SessionId(1)),
            "{told:?}"
        );
        // The old connection's clean-up leaves the chat to the new one.
        assert_eq!(
            hub.customer_gone(SessionId(1)),
            Some(CustomerEvent::TakenOver {
                kept: None,
                chat_moved: true
            })
        );
        assert!(received(&mut agent_rx).is_empty());
        assert_eq!(hub.occupancy().chats, 1);
        // Both ways, under the key Ana knows.
        hub.customer_says(SessionId(11), "volví".into()).unwrap();
        let said = received(&mut agent_rx);
        assert!(
            matches!(said.as_slice(), [AgentEvent::FromCustomer { chat, text }] if chat.customer == SessionId(1) && text == "volví"),
            "{said:?}"
        );
        hub.agent_says(
            SessionId(100),
            SessionId(1),
            ContactId(1),
            "qué bueno".into(),
        )
        .unwrap();
        assert_eq!(
            received(&mut new),
            [CustomerEvent::FromAgent {
                agent: "Ana".into(),
                text: "qué bueno".into()
            }]
        );
        // A third connection resumes it again; the second one's going then ends nothing.
        let (outbox, mut third) = party();
        let again = hub
            .login(customer_rut(1), SessionId(21), outbox, OpenChat::Resume)
            .unwrap();
        // The line sent from session 11 counts for the transcript's bound, and the chat's
        // lines both ways are the new connection's to show.
        assert_eq!(
            again.and_then(|t| t.resumed_chat),
            resumed(1, &[("Cliente 1", "volví"), ("Ana", "qué bueno")])
        );
        assert_eq!(
            received(&mut new),
            [CustomerEvent::TakenOver {
                kept: None,
                chat_moved: true
            }]
        );
        let told = received(&mut agent_rx);
        assert!(
            matches!(told.as_slice(), [AgentEvent::CustomerReturned { .. }]),
            "{told:?}"
        );
        hub.customer_gone(SessionId(11));
        assert!(received(&mut agent_rx).is_empty());
        assert_eq!(hub.occupancy().chats, 1);
        // The owner's going ends the chat as a disconnection.
        hub.customer_gone(SessionId(21));
        let left = received(&mut agent_rx);
        assert!(
            matches!(left.as_slice(), [AgentEvent::CustomerLeft { chat, disconnected: Some(Departure::Lost), .. }] if chat.customer == SessionId(1)),
            "{left:?}"
        );
        assert_eq!(hub.occupancy().chats, 0);
        assert!(received(&mut third).is_empty());
    }

    #[test]
    fn a_resumed_chat_requeued_by_its_executive_leaving_keeps_its_place() {
        let (hub, mut agent_rx, _old) = chatting();
        let (outbox, mut new) = party();
        hub.login(customer_rut(1), SessionId(11), outbox, OpenChat::Resume)
            .unwrap();
        received(&mut agent_rx);
        hub.agent_gone(SessionId(100));
        assert_eq!(
            received(&mut new),
            [
                CustomerEvent::AgentLeft {
                    agent: "Ana".into(),
                    agents_online: 0,
                },
                CustomerEvent::QueuePosition(1)
            ]
        );
        assert_eq!(
            hub.customer_says(SessionId(11), "sigo".into()),
            Ok(Routed::Backlog { position: Some(1) })
        );
        hub.leave_queue(SessionId(11)).unwrap();
        assert_eq!(hub.occupancy().waiting, 0);
    }

    #[test]
    fn customers_behind_a_requeue_are_told_why_they_moved_back() {
        let hub = Hub::new(1, Console::capture());
        let (agent, _agent_rx) = party();
        hub.agent_join(SessionId(100), "Ana", agent).unwrap();
        let (first, mut first_rx) = party();
        let (second, mut second_rx) = party();
        assert!(hub.enqueue(ticket(1, first)).served);
        let enqueued = hub.enqueue(ticket(2, second));
        assert_eq!((enqueued.position, enqueued.served), (1, false));
        received(&mut first_rx);
        hub.agent_gone(SessionId(100));
        assert_eq!(
            received(&mut first_rx),
            [
                CustomerEvent::AgentLeft {
                    agent: "Ana".into(),
                    agents_online: 0,
                },
                CustomerEvent::QueuePosition(1)
            ]
        );
        assert_eq!(received(&mut second_rx), [CustomerEvent::MovedBack(2)]);
        // Moving forward again is a plain new position.
        hub.leave_queue(SessionId(1)).unwrap();
        assert_eq!(received(&mut second_rx), [CustomerEvent::QueuePosition(1)]);
    }

    #[test]
    fn far_back_in_a_long_queue_only_every_tenth_place_is_announced() {
        let hub = Hub::new(1, Console::capture());
        let mut last = None;
        for id in 1..=25 {
            let (outbox, rx) = party();
            assert_eq!(hub.enqueue(ticket(id, outbox)).position, id as usize);
            last = Some(rx);
        }
        let mut last = last.unwrap();
        // The front leaves one by one: the 25th hears 20, 10 and each of the last five.
        for id in 1..=24 {
            hub.leave_queue(SessionId(id)).unwrap();
        }
        let told: Vec<CustomerEvent> = received(&mut last);
        let expected: Vec<CustomerEvent> = [20, 10, 5, 4, 3, 2, 1]
            .into_iter()
            .map(CustomerEvent::QueuePosition)
            .collect();
        assert_eq!(told, expected);
    }

    #[test]
    fn only_customers_who_waited_time_the_queue() {
        let hub = Hub::new(1, Console::capture());
        let (agent, _agent_rx) = party();
        hub.agent_join(SessionId(100), "Ana", agent).unwrap();
        // Served at once: no estimate is given and no sample taken.
        let served = hub.enqueue(ticket(1, party().0));
        assert!(served.served);
        hub.agent_closes(SessionId(100), SessionId(1), ContactId(1), None)
            .unwrap();
        // Three customers wait behind customer 2, with no data yet.
        assert!(hub.enqueue(ticket(2, party().0)).served);
        for id in 3..=5 {
            let enqueued = hub.enqueue(ticket(id, party().0));
            assert_eq!(
                (enqueued.served, enqueued.wait, enqueued.agents_online),
                (false, WaitEstimate::TooLittleData, 1),
                "{id}"
            );
        }
        // Two hand-offs of waiting customers are not enough.
        for id in 2..=3 {
            hub.agent_closes(
                SessionId(100),
                SessionId(id),
                ContactId(id.try_into().unwrap()),
                None,
            )
            .unwrap();
        }
        let enqueued = hub.enqueue(ticket(6, party().0));
        assert_eq!(enqueued.wait, WaitEstimate::TooLittleData);
        // The third is.
        hub.agent_closes(SessionId(100), SessionId(4), ContactId(4), None)
            .unwrap();
        let enqueued = hub.enqueue(ticket(7, party().0));
        assert_eq!(enqueued.position, 2);
        assert!(
            matches!(enqueued.wait, WaitEstimate::About(_)),
            "{enqueued:?}"
        );
        // With nobody online there is nothing to estimate.
        hub.agent_gone(SessionId(100));
        let enqueued = hub.enqueue(ticket(8, party().0));
        assert_eq!(
            (enqueued.agents_online, enqueued.wait),
            (0, WaitEstimate::TooLittleData)
        );
    }

    fn agent_outbox() -> Outbox<AgentEvent> {
        let (tx, _rx) = mpsc::channel(8);
        Outbox::new(tx, CancellationToken::new())
    }

    #[test]
    fn executive_names_are_unique_ignoring_case_accents_and_look_alikes() {
        let hub = Hub::new(1, Console::capture());
        let (juan, other) = (SessionId(1), SessionId(2));
        assert_eq!(hub.agent_join(juan, "JuanPerez", agent_outbox()), Ok(0));
        for look_alike in ["juanperez", "JuanPérez", "Juan.Perez", "JuanPеrez"] {
            assert_eq!(
                hub.agent_join(other, look_alike, agent_outbox()),
                Err(HubError::NameTaken(look_alike.to_string())),
                "{look_alike}"
            );
        }
        assert_eq!(hub.agent_join(other, "Ana", agent_outbox()), Ok(0));
        assert_eq!(
            hub.agent_rename(other, "JUANPEREZ"),
            Err(HubError::NameTaken("JUANPEREZ".to_string()))
        );
        // Their own name in other letters is theirs to take.
        assert_eq!(hub.agent_rename(juan, "Juan.Pérez"), Ok(()));
        assert_eq!(hub.agent_rename(other, "JuanPerez2"), Ok(()));
    }
}
