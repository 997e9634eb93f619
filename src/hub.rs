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

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::console::Console;
pub use crate::conversation::events::{
    AgentEvent, ChatInfo, CustomerEvent, Enqueued, HubError, Reason, RequestChange, Routed,
    SessionId, Waiting,
};
use crate::names;
use crate::protocol;
use crate::registry::{RequestId, RequestState};
use crate::rut::Rut;

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
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!("outbound queue full: disconnecting a slow party");
                self.kick.cancel();
            }
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
    ticket: Ticket,
    backlog: Vec<String>,
    agent: Option<SessionId>,
    position: usize,
    /// The executive who had them before a requeue.
    previous_agent: Option<String>,
}

#[derive(Debug)]
struct AgentEntry {
    name: String,
    /// `names::fold(name)`: names are unique by this key, so a look-alike of a colleague
    /// online is refused.
    key: String,
    outbox: Outbox<AgentEvent>,
    chats: Vec<SessionId>,
    /// When it last became free, as a sequence number: the longest-free goes first.
    free_since: u64,
}

#[derive(Debug, Default)]
struct State {
    /// Who holds each RUT.
    logged_in: HashMap<Rut, SessionId>,
    /// The reverse of `logged_in` (a session holds at most one RUT), so that a
    /// disconnection finds its RUT without scanning every logged-in customer.
    rut_of: HashMap<SessionId, Rut>,
    customers: HashMap<SessionId, CustomerEntry>,
    queue: VecDeque<SessionId>,
    agents: HashMap<SessionId, AgentEntry>,
    clock: u64,
}

impl State {
    /// Takes `customer` off `agent`'s chats; an executive left with none is free from now
    /// on (and so goes to the back of the longest-free order).
    fn drop_chat(&mut self, agent: SessionId, customer: SessionId) -> Option<&AgentEntry> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.agents.get_mut(&agent)?;
        entry.chats.retain(|c| *c != customer);
        if entry.chats.is_empty() {
            entry.free_since = clock;
        }
        Some(entry)
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

    /// Marks `rut` as logged in by `session`; refused when another session has it. A
    /// session holds one RUT: logging in with another releases the one it held.
    pub fn login(&self, rut: Rut, session: SessionId) -> Result<(), HubError> {
        let mut state = self.lock();
        match state.logged_in.get(&rut) {
            Some(other) if *other != session => Err(HubError::AlreadyLoggedIn(rut)),
            _ => {
                if let Some(previous) = state.rut_of.insert(session, rut) {
                    if previous != rut {
                        state.logged_in.remove(&previous);
                    }
                }
                state.logged_in.insert(rut, session);
                Ok(())
            }
        }
    }

    /// Puts a customer at the back of the queue and serves whoever can be served.
    pub fn enqueue(&self, ticket: Ticket) -> Enqueued {
        let session = ticket.session;
        let mut out = Vec::new();
        let result = {
            let mut state = self.lock();
            state.queue.push_back(session);
            let position = state.queue.len();
            state.customers.insert(
                session,
                CustomerEntry {
                    ticket,
                    backlog: Vec::new(),
                    agent: None,
                    position,
                    previous_agent: None,
                },
            );
            self.dispatch(&mut state, &mut out);
            Enqueued {
                position,
                agents_online: state.agents.len(),
            }
        };
        self.send(Deliveries(out));
        result
    }

    /// Routes a line from a customer: to their executive, or to their backlog while waiting.
    pub fn customer_says(&self, session: SessionId, text: String) -> Result<Routed, HubError> {
        let mut out = Vec::new();
        let routed = {
            let mut state = self.lock();
            let entry = state
                .customers
                .get_mut(&session)
                .ok_or(HubError::NotQueued)?;
            match entry.agent {
                None => {
                    entry.backlog.push(text);
                    Routed::Backlog
                }
                Some(agent) => {
                    let chat = chat_info(&entry.ticket);
                    let agent = state.agents.get(&agent).ok_or(HubError::NotChatting)?;
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
            match state.customers.get(&session) {
                Some(entry) if entry.agent.is_none() => {}
                Some(_) => return Err(HubError::NotQueued),
                None => return Err(HubError::NotQueued),
            }
            state.customers.remove(&session);
            state.queue.retain(|s| *s != session);
            renumber(&mut state, &mut out);
        }
        self.send(Deliveries(out));
        Ok(())
    }

    /// The customer ends the chat with their executive.
    pub fn customer_ends_chat(&self, session: SessionId) -> Result<(), HubError> {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let agent = state
                .customers
                .get(&session)
                .and_then(|c| c.agent)
                .ok_or(HubError::NotChatting)?;
            let entry = state
                .customers
                .remove(&session)
                .ok_or(HubError::NotChatting)?;
            self.release(&mut state, agent, &entry, false, &mut out);
            self.dispatch(&mut state, &mut out);
        }
        self.send(Deliveries(out));
        Ok(())
    }

    /// The customer's connection ended: forget them wherever they were.
    pub fn customer_gone(&self, session: SessionId) {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            if let Some(rut) = state.rut_of.remove(&session) {
                state.logged_in.remove(&rut);
            }
            if let Some(entry) = state.customers.remove(&session) {
                match entry.agent {
                    Some(agent) => {
                        self.release(&mut state, agent, &entry, true, &mut out);
                        self.dispatch(&mut state, &mut out);
                    }
                    None => {
                        state.queue.retain(|s| *s != session);
                        renumber(&mut state, &mut out);
                    }
                }
            }
        }
        self.send(Deliveries(out));
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
            let waiting = state.queue.len();
            state.agents.insert(
                session,
                AgentEntry {
                    name: name.to_string(),
                    key,
                    outbox,
                    chats: Vec::new(),
                    free_since,
                },
            );
            out.push(Delivery::Console(protocol::console::agent_connected(name)));
            self.dispatch(&mut state, &mut out);
            waiting
        };
        self.send(Deliveries(out));
        Ok(waiting)
    }

    /// An executive's connection ended: their customers go back to the head of the queue.
    pub fn agent_gone(&self, session: SessionId) {
        let mut out = Vec::new();
        {
            let mut state = self.lock();
            let Some(agent) = state.agents.remove(&session) else {
                return;
            };
            // Requeue in the order they were assigned, ahead of everyone waiting.
            for customer in agent.chats.iter().rev() {
                if let Some(entry) = state.customers.get_mut(customer) {
                    entry.agent = None;
                    entry.previous_agent = Some(agent.name.clone());
                    out.push(Delivery::Customer(
                        entry.ticket.outbox.clone(),
                        CustomerEvent::AgentLeft {
                            agent: agent.name.clone(),
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
            self.dispatch(&mut state, &mut out);
        }
        self.send(Deliveries(out));
    }

    /// A line from an executive to their current customer.
    pub fn agent_says(
        &self,
        agent: SessionId,
        customer: SessionId,
        text: String,
    ) -> Result<ChatInfo, HubError> {
        self.to_customer(agent, customer, |name| CustomerEvent::FromAgent {
            agent: name.to_string(),
            text,
        })
    }

    /// Tells the customer their executive restarted their services.
    pub fn agent_restarted(
        &self,
        agent: SessionId,
        customer: SessionId,
    ) -> Result<ChatInfo, HubError> {
        self.to_customer(agent, customer, |name| CustomerEvent::ServicesRestarted {
            agent: name.to_string(),
        })
    }

    fn to_customer(
        &self,
        agent: SessionId,
        customer: SessionId,
        event: impl FnOnce(&str) -> CustomerEvent,
    ) -> Result<ChatInfo, HubError> {
        let mut out = Vec::new();
        let chat = {
            let state = self.lock();
            let agent = state.agents.get(&agent).ok_or(HubError::UnknownAgent)?;
            if !agent.chats.contains(&customer) {
                return Err(HubError::NoCustomer);
            }
            let entry = state.customers.get(&customer).ok_or(HubError::NoCustomer)?;
            out.push(Delivery::Customer(
                entry.ticket.outbox.clone(),
                event(&agent.name),
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
        request: RequestId,
        change: RequestChange,
    ) -> Result<ChatInfo, HubError> {
        self.to_customer(agent, customer, |name| CustomerEvent::RequestChanged {
            agent: name.to_string(),
            request,
            change,
        })
    }

    /// The executive ends the chat with `customer`, who goes back to the bot and is told
    /// `request`'s number and state.
    pub fn agent_closes(
        &self,
        agent: SessionId,
        customer: SessionId,
        request: Option<(RequestId, RequestState)>,
    ) -> Result<ChatInfo, HubError> {
        let mut out = Vec::new();
        let chat = {
            let mut state = self.lock();
            let entry = state.agents.get(&agent).ok_or(HubError::UnknownAgent)?;
            if !entry.chats.contains(&customer) {
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
            out.push(Delivery::Customer(
                customer.ticket.outbox.clone(),
                CustomerEvent::ChatEnded {
                    agent: name,
                    request,
                },
            ));
            self.dispatch(&mut state, &mut out);
            chat_info(&customer.ticket)
        };
        self.send(Deliveries(out));
        Ok(chat)
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
                    backlog_len: c.backlog.len(),
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

    /// Frees `agent` from the chat with `entry` (already removed from `customers`) and
    /// tells the executive.
    fn release(
        &self,
        state: &mut State,
        agent: SessionId,
        entry: &CustomerEntry,
        disconnected: bool,
        out: &mut Vec<Delivery>,
    ) {
        if let Some(a) = state.drop_chat(agent, entry.ticket.session) {
            out.push(Delivery::Agent(
                a.outbox.clone(),
                AgentEvent::CustomerLeft {
                    chat: chat_info(&entry.ticket),
                    disconnected,
                },
            ));
        }
    }

    /// Assigns waiting customers to free executives (first come, first served; the
    /// executive free the longest first), then announces the new queue positions.
    fn dispatch(&self, state: &mut State, out: &mut Vec<Delivery>) {
        while !state.queue.is_empty() {
            let free = state
                .agents
                .iter()
                .filter(|(_, a)| a.chats.len() < self.capacity)
                .min_by_key(|(_, a)| (a.chats.len(), a.free_since))
                .map(|(id, _)| *id);
            let Some(agent_id) = free else { break };
            let Some(customer_id) = state.queue.pop_front() else {
                break;
            };
            let Some(customer) = state.customers.get_mut(&customer_id) else {
                continue;
            };
            let Some(agent) = state.agents.get_mut(&agent_id) else {
                break;
            };
            customer.agent = Some(agent_id);
            customer.position = 0;
            agent.chats.push(customer_id);
            let chat = chat_info(&customer.ticket);
            out.push(Delivery::Console(protocol::console::assigned(
                &customer.ticket.name,
                &agent.name,
            )));
            out.push(Delivery::Customer(
                customer.ticket.outbox.clone(),
                CustomerEvent::Assigned {
                    agent: agent.name.clone(),
                },
            ));
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
        renumber(state, out);
    }
}

/// Announces each waiting customer's position when it changed.
fn renumber(state: &mut State, out: &mut Vec<Delivery>) {
    let State {
        queue, customers, ..
    } = state;
    for (i, session) in queue.iter().enumerate() {
        if let Some(entry) = customers.get_mut(session) {
            let position = i + 1;
            if entry.position != position {
                entry.position = position;
                out.push(Delivery::Customer(
                    entry.ticket.outbox.clone(),
                    CustomerEvent::QueuePosition(position),
                ));
            }
        }
    }
}

fn chat_info(ticket: &Ticket) -> ChatInfo {
    ChatInfo {
        customer: ticket.session,
        name: ticket.name.clone(),
        rut: ticket.rut,
        request: ticket.request,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rut(number: u32) -> Rut {
        Rut::from_number(number).expect("valid RUT number")
    }

    /// Entries in both login maps, which must always mirror each other.
    fn logins(hub: &Hub) -> usize {
        let state = hub.lock();
        assert_eq!(state.logged_in.len(), state.rut_of.len());
        for (rut, session) in &state.logged_in {
            assert_eq!(state.rut_of.get(session), Some(rut));
        }
        state.logged_in.len()
    }

    #[test]
    fn a_gone_customer_frees_their_rut() {
        let hub = Hub::new(1, Console::capture());
        let (first, second) = (SessionId(1), SessionId(2));
        assert_eq!(hub.login(rut(12_345_678), first), Ok(()));
        assert_eq!(
            hub.login(rut(12_345_678), second),
            Err(HubError::AlreadyLoggedIn(rut(12_345_678)))
        );
        hub.customer_gone(first);
        assert_eq!(logins(&hub), 0);
        assert_eq!(hub.login(rut(12_345_678), second), Ok(()));
        assert_eq!(logins(&hub), 1);
    }

    #[test]
    fn logging_in_again_with_the_same_rut_is_harmless() {
        let hub = Hub::new(1, Console::capture());
        let session = SessionId(1);
        assert_eq!(hub.login(rut(12_345_678), session), Ok(()));
        assert_eq!(hub.login(rut(12_345_678), session), Ok(()));
        assert_eq!(logins(&hub), 1);
        hub.customer_gone(session);
        assert_eq!(logins(&hub), 0);
        assert_eq!(hub.login(rut(12_345_678), SessionId(2)), Ok(()));
    }

    #[test]
    fn a_second_login_keeps_only_the_new_rut() {
        let hub = Hub::new(1, Console::capture());
        let (first, second, third) = (SessionId(1), SessionId(2), SessionId(3));
        assert_eq!(hub.login(rut(11_111_111), first), Ok(()));
        assert_eq!(hub.login(rut(22_222_222), first), Ok(()));
        assert_eq!(logins(&hub), 1);
        // The first RUT is free again; the second is held.
        assert_eq!(hub.login(rut(11_111_111), second), Ok(()));
        assert_eq!(
            hub.login(rut(22_222_222), third),
            Err(HubError::AlreadyLoggedIn(rut(22_222_222)))
        );
        // The first session's disconnection frees its RUT and only its RUT.
        hub.customer_gone(first);
        assert_eq!(logins(&hub), 1);
        assert_eq!(hub.login(rut(22_222_222), third), Ok(()));
        assert_eq!(
            hub.login(rut(11_111_111), third),
            Err(HubError::AlreadyLoggedIn(rut(11_111_111)))
        );
    }

    #[test]
    fn a_session_that_never_logged_in_can_go() {
        let hub = Hub::new(1, Console::capture());
        assert_eq!(hub.login(rut(12_345_678), SessionId(1)), Ok(()));
        hub.customer_gone(SessionId(2));
        assert_eq!(logins(&hub), 1);
        assert_eq!(
            hub.login(rut(12_345_678), SessionId(3)),
            Err(HubError::AlreadyLoggedIn(rut(12_345_678)))
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
