//! Carries out the conversations' store and hub operations: the one place where a
//! [`StoreOp`] meets the registry and a [`HubOp`] meets the hub.

use std::net::IpAddr;
use std::sync::Arc;

use super::budget::address_key;
use crate::console::Console;
use crate::conversation::events::{AgentEvent, ContactId, CustomerEvent, SessionId};
use crate::conversation::{Context, HubOp, HubResult, Policy, StoreFailed, StoreOp, StoreResult};
use crate::hub::{Hub, Outbox, Ticket};
use crate::registry::{Registry, RegistryError};

/// Store writes queued by one connection at most before it waits for room
/// ([`Recorder::record`]).
const RECORDS_AHEAD: usize = 64;

/// What a [`Recorder`] queue carries.
enum Recorded {
    Op(StoreOp),
    /// Answered once every write queued before it ran.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// A [`Recorder`]'s queue, shared with the task that empties it.
struct RecordQueue {
    /// What is waiting, and whether a task is emptying it.
    items: std::sync::Mutex<(std::collections::VecDeque<Recorded>, bool)>,
    /// Room for [`RECORDS_AHEAD`] queued items.
    room: tokio::sync::Semaphore,
}

/// One connection's store writes that nobody waits on ([`crate::conversation::Effect::Record`]:
/// transcripts, histories, consultations), run in their order by a task of their own, so a
/// slow or stalled store delays them and not the conversation: a chat line reaches the
/// other party while its transcript waits for the store. The task runs only while writes
/// are queued, and an idle connection keeps an empty queue (no task, no buffer); a
/// connection with [`RECORDS_AHEAD`] writes queued waits for room.
pub(crate) struct Recorder {
    queue: Option<Arc<RecordQueue>>,
    /// The connection's client address (for [`run_store_op`]).
    client: IpAddr,
}

impl Recorder {
    pub(crate) fn new(client: IpAddr) -> Recorder {
        Recorder {
            queue: None,
            client,
        }
    }

    /// Queues `op` behind the connection's earlier writes.
    pub(crate) async fn record(&mut self, registry: &Registry, op: StoreOp) {
        self.push(registry, Recorded::Op(op)).await;
    }

    /// Returns once every write queued so far has run (or given up): what a store
    /// operation whose result the conversation waits for does first, since it may read
    /// what they wrote.
    pub(crate) async fn written(&mut self, registry: &Registry) {
        let idle = self.queue.as_ref().is_none_or(|queue| {
            let items = queue.items.lock().unwrap_or_else(|e| e.into_inner());
            !items.1
        });
        if idle {
            return;
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        self.push(registry, Recorded::Barrier(done)).await;
        let _ = wait.await;
    }

    async fn push(&mut self, registry: &Registry, item: Recorded) {
        let queue = self.queue.get_or_insert_with(|| {
            Arc::new(RecordQueue {
                items: std::sync::Mutex::new((std::collections::VecDeque::new(), false)),
                room: tokio::sync::Semaphore::new(RECORDS_AHEAD),
            })
        });
        // The semaphore is never closed; the task gives the permit back once the item ran.
        if let Ok(permit) = queue.room.acquire().await {
            permit.forget();
        }
        let start = {
            let mut items = queue.items.lock().unwrap_or_else(|e| e.into_inner());
            items.0.push_back(item);
            !std::mem::replace(&mut items.1, true)
        };
        if start {
            let (queue, registry, client) = (Arc::clone(queue), registry.clone(), self.client);
            tokio::spawn(async move {
                loop {
                    let next = {
                        let mut items = queue.items.lock().unwrap_or_else(|e| e.into_inner());
                        let next = items.0.pop_front();
                        if next.is_none() {
                            // Done: nothing kept while the connection is idle.
                            items.1 = false;
                            items.0 = std::collections::VecDeque::new();
                        }
                        next
                    };
                    match next {
                        Some(Recorded::Op(op)) => {
                            run_store_op(&registry, op, client).await;
                        }
                        Some(Recorded::Barrier(done)) => {
                            let _ = done.send(());
                        }
                        None => break,
                    }
                    queue.room.add_permits(1);
                }
            });
        }
    }
}

/// What the connections share to carry out their effects. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// The request registry.
    pub registry: Registry,
    /// The executives' pool and the queue.
    pub hub: Hub,
    /// Where `[SERVER]` lines go.
    pub console: Console,
    /// Security policy.
    pub policy: Policy,
    /// The executives' shared secret.
    pub agent_token: Arc<str>,
    /// When the server started, unless other servers share the store (see
    /// [`Context::started`]).
    pub started: Option<chrono::DateTime<chrono::Utc>>,
    /// The time zone the chat shows times in.
    pub time_zone: chrono_tz::Tz,
}

impl Services {
    /// The pure part the conversations decide with; the spans the chat promises from
    /// `limits`.
    pub fn context(&self, limits: &super::Limits) -> Context {
        Context {
            policy: self.policy.clone(),
            agent_token: Arc::clone(&self.agent_token),
            started: self.started,
            time_zone: self.time_zone,
            queue_grace: limits.queue_grace,
            wrap_up_limit: limits.wrap_up_limit,
        }
    }
}

/// Runs one store operation. Failures are logged here, with their cause; the conversation
/// only learns that the operation failed.
///
/// This is the only function that calls the registry for the conversations. The registry
/// works on its own threads and bounds every operation ([`RegistryError::Timeout`]), so a
/// stalled disk delays only the connection that waits here, and it gets an apology.
///
/// `client` is the connection's client address (after a PROXY header): wrong serials are
/// counted per RUT and address, keyed as the per-address budgets key it.
pub(crate) async fn run_store_op(registry: &Registry, op: StoreOp, client: IpAddr) -> StoreResult {
    fn logged<T>(what: &'static str, result: Result<T, RegistryError>) -> Result<T, StoreFailed> {
        result.map_err(|err| {
            tracing::error!(cause = %err, what, "store operation failed");
            StoreFailed
        })
    }
    match op {
        StoreOp::FindCustomer(rut) => StoreResult::Customer(logged(
            "looking up a customer",
            registry.customer(rut).await,
        )),
        StoreOp::RegisterCustomer { rut, name } => StoreResult::Registered(logged(
            "registering a customer",
            registry.register_customer(rut, &name).await,
        )),
        StoreOp::RequestsOf(rut) => {
            StoreResult::Requests(logged("listing requests", registry.requests_of(rut).await))
        }
        StoreOp::Request(id) => {
            StoreResult::Request(logged("reading a request", registry.request(id).await))
        }
        StoreOp::RequestOf { rut, request } => StoreResult::Request(logged(
            "reading a customer's request",
            registry.request_of(rut, request).await,
        )),
        StoreOp::Transcript(id) => StoreResult::Transcript(logged(
            "reading a transcript",
            registry.transcript(id).await,
        )),
        StoreOp::CreateRequest {
            rut,
            subject,
            state,
            author,
            history,
        } => StoreResult::Changed(logged(
            "creating a request",
            registry
                .create_request(rut, &subject, state, author, &history)
                .await,
        )),
        StoreOp::SetSubject {
            request,
            subject,
            author,
        } => StoreResult::Changed(logged(
            "changing a subject",
            registry.set_subject(request, &subject, &author).await,
        )),
        StoreOp::SetState {
            request,
            state,
            author,
        } => StoreResult::Changed(logged(
            "changing a state",
            registry.set_state(request, state, &author).await,
        )),
        StoreOp::AppendHistory {
            request,
            author,
            text,
        } => StoreResult::Changed(logged(
            "appending to a history",
            registry.append_history(request, &author, &text).await,
        )),
        StoreOp::AppendTranscript {
            request,
            speaker,
            text,
        } => StoreResult::Done(logged(
            "recording a chat line",
            registry.append_transcript(request, &speaker, &text).await,
        )),
        StoreOp::KeepInboxMessage(message) => StoreResult::Done(logged(
            "keeping a message for review",
            registry.keep_inbox_message(message).await,
        )),
        StoreOp::SerialFailures(rut) => StoreResult::SerialFailures(logged(
            "reading wrong serials",
            registry.serial_failures(rut, address_key(client)).await,
        )),
        StoreOp::SerialFailed { rut, lockout } => StoreResult::SerialFailures(logged(
            "counting a wrong serial",
            registry
                .serial_failed(rut, address_key(client), lockout)
                .await,
        )),
        StoreOp::SerialPassed(rut) => StoreResult::Done(logged(
            "forgetting wrong serials",
            registry.serial_passed(rut, address_key(client)).await,
        )),
        StoreOp::TokenFailures => StoreResult::TokenFailures(logged(
            "reading wrong tokens",
            registry.token_failures().await,
        )),
        StoreOp::TokenFailed(lockout) => StoreResult::TokenFailures(logged(
            "counting a wrong token",
            registry.token_failed(lockout).await,
        )),
        StoreOp::TokenPassed => StoreResult::Done(logged(
            "forgetting wrong tokens",
            registry.token_passed().await,
        )),
        StoreOp::RecordConsultation { request, channel } => {
            registry.record_consultation(request, channel);
            StoreResult::Done(Ok(()))
        }
    }
}

/// Where the hub reaches a connection's party.
pub enum Reach {
    /// A customer's events.
    Customer(Outbox<CustomerEvent>),
    /// An executive's events.
    Agent(Outbox<AgentEvent>),
}

/// A customer's [`HubOp::Login`] at a full logged-in cap: it gets in only by taking over the
/// RUT's session on another connection ([`Hub::login_taking_over`]). `None` when there is
/// none (or `op` is not a customer's login): the login is refused.
pub(super) fn run_takeover_login(
    hub: &Hub,
    session: SessionId,
    reach: &Reach,
    op: &HubOp,
) -> Option<HubResult> {
    let (HubOp::Login { rut, chat }, Reach::Customer(outbox)) = (op, reach) else {
        return None;
    };
    hub.login_taking_over(*rut, session, outbox.clone(), *chat)
        .map(HubResult::LoggedIn)
}

/// Runs one hub operation for `session` (sync: the hub only holds a short in-memory
/// lock). Returns the result to feed back when the operation has one.
pub fn run_hub_op(hub: &Hub, session: SessionId, reach: &Reach, op: HubOp) -> Option<HubResult> {
    let result = match op {
        HubOp::Login { rut, chat } => {
            let Reach::Customer(outbox) = reach else {
                tracing::error!("an executive cannot log in as a customer");
                return None;
            };
            HubResult::LoggedIn(hub.login(rut, session, outbox.clone(), chat))
        }
        HubOp::Enqueue {
            name,
            rut,
            request,
            reason,
        } => {
            let Reach::Customer(outbox) = reach else {
                tracing::error!("an executive cannot join the customers' queue");
                return None;
            };
            HubResult::Enqueued(hub.enqueue(Ticket {
                session,
                name,
                rut,
                request,
                contact: ContactId::next(),
                reason,
                outbox: outbox.clone(),
            }))
        }
        HubOp::CustomerSays(text) => HubResult::Routed(hub.customer_says(session, text)),
        HubOp::LeaveQueue => HubResult::LeftQueue(hub.leave_queue(session)),
        HubOp::CustomerEndsChat => HubResult::ChatEnded(hub.customer_ends_chat(session)),
        HubOp::BacklogCut => {
            hub.backlog_cut(session);
            return None;
        }
        HubOp::CustomerGone => {
            // A takeover notice it repeats is for the driver's last clean-up (`finish`).
            let _ = hub.customer_gone(session);
            return None;
        }
        HubOp::AgentJoin(name) => {
            let Reach::Agent(outbox) = reach else {
                tracing::error!("a customer cannot join the executives' pool");
                return None;
            };
            HubResult::Joined(hub.agent_join(session, &name, outbox.clone()))
        }
        HubOp::AgentSays {
            customer,
            contact,
            text,
        } => HubResult::Said(hub.agent_says(session, customer, contact, text)),
        HubOp::AgentRestarted { customer, contact } => {
            // The customer may have left in between; the restart is recorded anyway.
            let _ = hub.agent_restarted(session, customer, contact);
            return None;
        }
        HubOp::AgentCloses {
            customer,
            contact,
            request,
        } => HubResult::Closed(hub.agent_closes(session, customer, contact, request)),
        HubOp::AgentWrappedUp { customer } => {
            hub.agent_wrapped_up(session, customer);
            return None;
        }
        HubOp::AgentOpened {
            customer,
            contact,
            request,
        } => {
            hub.agent_opened(session, customer, contact, request);
            return None;
        }
        HubOp::AgentChanged {
            customer,
            contact,
            request,
            change,
        } => {
            // The customer may have left in between; the change is stored anyway.
            let _ = hub.agent_changed(session, customer, contact, request, change);
            return None;
        }
        HubOp::AgentRename(name) => HubResult::Renamed(hub.agent_rename(session, &name)),
        HubOp::Queue => HubResult::Queue(hub.queue()),
        HubOp::AgentGone => {
            hub.agent_gone(session);
            return None;
        }
    };
    Some(result)
}
