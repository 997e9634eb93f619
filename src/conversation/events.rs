//! What the hub and the conversations tell each other, as plain data: session ids, the
//! events the hub delivers to customers and executives, and the answers of hub operations.
//! No channels here, so the sans-IO conversations can name them; [`crate::hub`] re-exports
//! them.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use thiserror::Error;

use crate::registry::{RequestId, RequestState};
use crate::rut::Rut;

/// Identifies one connection for its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl SessionId {
    /// A new id, unique in this process.
    pub fn next() -> SessionId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        SessionId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// A new key for a chat whose customer left (the hub's wrap-up), unique in this process
    /// and apart from every session's [`next`](Self::next) (the upper half of the range).
    pub fn next_ended_chat() -> SessionId {
        static NEXT: AtomicU64 = AtomicU64::new(1 << 63);
        SessionId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// One customer's turn with the executives: from asking for one (joining the queue) to the
/// chat's end. A resumed chat or a requeue keeps it; a customer back after leaving is a new
/// contact, even about the same request, so an executive's operation sent for the chat that
/// ended never reaches the new one ([`ChatInfo::contact`]).
///
/// 32 bits, so that [`ChatInfo`] (in every executive's event) stays the size it was: it
/// fills the padding after the RUT. The counter wraps after 2^32 contacts, and two contacts
/// are only ever compared for the same customer session with the same executive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContactId(pub u32);

impl ContactId {
    /// A new id, unique in this process (up to the wrap above).
    pub fn next() -> ContactId {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        ContactId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// What a waiting or chatting customer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerEvent {
    /// Their (new) position in the queue, from 1.
    QueuePosition(usize),
    /// Their position grew (from 1): customers whose executive disconnected went back to
    /// the head of the queue, ahead of them.
    MovedBack(usize),
    /// Their RUT logged in on another connection, which took this session over: this
    /// connection closes. The hub already moved or ended what the session had.
    TakenOver {
        /// The request whose place in the queue moved to the new connection, if any.
        kept: Option<RequestId>,
        /// The session's chat with an executive moved to the new connection (otherwise a
        /// chat it had ended as a disconnection).
        chat_moved: bool,
    },
    /// An executive took them.
    Assigned {
        /// The executive's display name.
        agent: String,
    },
    /// A line from their executive.
    FromAgent {
        /// The executive's display name.
        agent: String,
        /// What they wrote.
        text: String,
    },
    /// Their executive changed display name.
    AgentRenamed {
        /// The new name.
        agent: String,
    },
    /// Their executive restarted their services.
    ServicesRestarted {
        /// The executive's display name.
        agent: String,
    },
    /// Their executive ended the conversation.
    ChatEnded {
        /// The executive's display name.
        agent: String,
        /// The request the chat was about and its state, when the store said so.
        request: Option<(RequestId, RequestState)>,
    },
    /// Their executive changed one of their requests.
    RequestChanged {
        /// The executive's display name.
        agent: String,
        /// Which request.
        request: RequestId,
        /// What changed (boxed: inline it would make every event, and every connection's
        /// event queue, larger).
        change: Box<RequestChange>,
    },
    /// Their executive disconnected; they are back at the head of the queue.
    AgentLeft {
        /// The executive's display name.
        agent: String,
        /// Executives still connected (none: the customer is told, as on joining).
        agents_online: usize,
    },
}

/// A change an executive made to a customer's request, as the customer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestChange {
    /// A new subject.
    Subject(String),
    /// A new state.
    State(RequestState),
}

/// Why a customer joined the queue: what the executive is told on hand-off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reason {
    /// The customer's own words that led to the queue (none for a menu number).
    pub words: Option<String>,
    /// What the bot understood the problem to be (a label such as "un cobro duplicado en
    /// su boleta"), when it understood one.
    pub topic: Option<String>,
}

/// Who a chat is with, as the executive sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatInfo {
    /// The customer's session.
    pub customer: SessionId,
    /// The customer's full name.
    pub name: String,
    /// The customer's RUT.
    pub rut: Rut,
    /// The request created when the customer asked for an executive.
    pub request: RequestId,
    /// The contact the chat belongs to: an executive's operations name it, as the same
    /// customer may be back in a new chat with them (even about the same request) while
    /// the chat the operation was for has ended.
    pub contact: ContactId,
}

/// What a customer typed while waiting, as the executive who takes them gets it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WaitingLines {
    /// The lines kept, oldest first.
    pub lines: Vec<String>,
    /// Whether the customer typed more than the queue keeps (the rest was not kept).
    pub cut: bool,
}

/// What an executive is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    /// A customer was assigned, with what they wrote while waiting.
    Assigned {
        /// The customer.
        chat: ChatInfo,
        /// What they typed in the queue.
        backlog: WaitingLines,
        /// Why they came.
        reason: Reason,
        /// The executive who had them before, when they were requeued (that executive
        /// disconnected).
        previous_agent: Option<String>,
    },
    /// A line from one of their customers.
    FromCustomer {
        /// The customer.
        chat: ChatInfo,
        /// What they wrote.
        text: String,
    },
    /// A customer of theirs logged in again on another connection, proved it is them, and
    /// goes on with the chat there (same chat, same request).
    CustomerReturned {
        /// The customer.
        chat: ChatInfo,
        /// The chat's last lines the customer was shown on the new connection.
        shown: usize,
    },
    /// The customer of one of their ended chats came back about its request (or the one
    /// `:open` chose in it), which `agent` now serves in a new chat (perhaps this
    /// executive): the ended chat leaves the desk, so that nothing meant for it lands on a
    /// request in service elsewhere. Its place is already free.
    EndedChatTakenUp {
        /// The ended chat's customer session.
        customer: SessionId,
        /// The request served again.
        request: RequestId,
        /// The executive who serves the request now.
        agent: String,
    },
    /// Customers wait while the executive wraps up a chat whose customer left (said once
    /// per wrap-up): the next one comes after `:close`.
    CustomersWaiting {
        /// How many wait.
        waiting: usize,
    },
    /// A customer of theirs left the chat (by choice or by disconnecting).
    CustomerLeft {
        /// The customer.
        chat: ChatInfo,
        /// The key the ended chat is known by from now on, in place of `chat.customer`
        /// (the desk's commands and the hub's wrap-up use it): the same session may come
        /// back to this executive in a new chat while this one is wrapped up.
        ended: SessionId,
        /// How the connection ended; `None` when the customer ended the chat.
        disconnected: Option<Departure>,
    },
}

/// How a connection ended, for those it leaves behind (an executive whose customer left,
/// the request's history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Departure {
    /// Every end but idleness: the party closed it, it failed, or the server closed it for
    /// another reason (a flood, a line that never ends, a party that does not read, the
    /// server's stop).
    Lost,
    /// The server closed it: nothing came for the idle timeout.
    Idle,
}

/// What a login took over from the session that held the RUT before (that session is
/// told and closes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Takeover {
    /// The old session was waiting in the queue: the new one keeps its place.
    pub queued: Option<KeptPlace>,
    /// The old session was chatting with this executive: that chat ended (the executive
    /// was told the customer disconnected).
    pub ended_chat: Option<String>,
    /// The old session was chatting: the chat goes on in the new one (the login asked for
    /// it with [`OpenChat::Resume`]).
    pub resumed_chat: Option<ResumedChat>,
    /// The hub printed the console's lines about the takeover (and the chat it ended)
    /// before the hand-off it allowed: the conversation must not print them again.
    pub announced: bool,
}

/// A chat that moved to a new connection of the same customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumedChat {
    /// The executive's display name.
    pub agent: String,
    /// The request the chat is about.
    pub request: RequestId,
    /// The customer's lines that reached the executive for this request so far (they count
    /// against the transcript's bound on the new connection too).
    pub chat_lines: usize,
    /// The chat's last lines, both ways, oldest first (the old connection may not have
    /// shown them): exactly those routed before the move, since later ones go to the new
    /// connection.
    pub recent: Vec<ChatLine>,
}

/// One line of a live chat, as the hub routed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// Who wrote it: the customer's name as the executive reads it, or the executive's.
    pub speaker: String,
    /// What they wrote.
    pub text: String,
}

/// What a login does with a chat that another session of the same RUT is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenChat {
    /// Take nothing over yet: the login is refused with [`ChatElsewhere`], so that the new
    /// connection can prove who it is before it gets the chat.
    Ask,
    /// Move the chat to the new session (the customer proved who they are, or nothing
    /// more than the RUT is asked of anyone).
    Resume,
    /// End the chat as a disconnection would.
    End,
}

/// A login asked with [`OpenChat::Ask`] found the RUT chatting on another connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatElsewhere {
    /// The executive's display name.
    pub agent: String,
}

/// A place in the queue kept across a takeover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptPlace {
    /// The contact request of the wait.
    pub request: RequestId,
    /// Position in the queue, from 1.
    pub position: usize,
    /// Lines left for the executive so far in this stay in the queue (they count against
    /// the backlog's bound in the new session too).
    pub backlog_lines: usize,
    /// Their bytes.
    pub backlog_bytes: usize,
    /// An executive had taken the request before (the customer was put back in the queue
    /// when they left): leaving the queue keeps it open.
    pub served: bool,
    /// An executive took them as they came back (the hand-off follows): no place to tell.
    pub taken: bool,
}

/// Why a hub operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HubError {
    /// The customer is not waiting in the queue.
    #[error("not waiting in the queue")]
    NotQueued,
    /// The customer is not chatting with an executive.
    #[error("not chatting with an executive")]
    NotChatting,
    /// The executive has no current customer.
    #[error("no current customer")]
    NoCustomer,
    /// Another connected executive already uses that name.
    #[error("name {0} is taken")]
    NameTaken(String),
    /// The session is not a known executive.
    #[error("unknown executive session")]
    UnknownAgent,
}

/// What `enqueue` tells the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// Position in the queue on arrival, from 1 (an executive may take them at once).
    pub position: usize,
    /// Executives connected right now.
    pub agents_online: usize,
    /// An executive took them at once (the assignment event follows).
    pub served: bool,
    /// How long they may wait, from recent hand-offs.
    pub wait: WaitEstimate,
}

/// An estimated wait in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitEstimate {
    /// Too few recent hand-offs, or no executive online.
    TooLittleData,
    /// About this long.
    About(Duration),
}

/// Where a customer's line went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// Kept for the executive who takes them.
    Backlog {
        /// The customer's place in the queue (`None` while the server stops).
        position: Option<usize>,
    },
    /// Delivered to this executive.
    Agent(String),
}

/// A queue entry as `:queue` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Position from 1.
    pub position: usize,
    /// Customer name.
    pub name: String,
    /// RUT.
    pub rut: Rut,
    /// Lines typed while waiting.
    pub backlog_len: usize,
    /// Their connection was lost and they keep their place for a while.
    pub away: bool,
}
#[cfg(test)]
mod tests {
    /// Every connection's event queue (the server's bounded channel) allocates its first
    /// block of 32 slots when it is made, so each byte of `CustomerEvent` is 32 bytes of every idle
    /// customer's memory: `RequestChanged` with its change inline made it 56 bytes (+256
    /// bytes per connection, measured as 17.3 -> 17.6 KiB per idle connection).
    #[test]
    fn a_customer_event_stays_small() {
        assert!(
            std::mem::size_of::<super::CustomerEvent>() <= 48,
            "CustomerEvent is {} bytes: box the payload of the variant that grew",
            std::mem::size_of::<super::CustomerEvent>()
        );
    }
}
