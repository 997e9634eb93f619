//! One task per connection: completes the TLS handshake when TLS is on, frames lines,
//! enforces limits and timeouts, and moves lines between the socket and the connection's
//! conversation. Everything after the handshake is generic over the byte stream, so plain
//! TCP and TLS share one code path.

use std::borrow::Cow;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::codec::{Framed, FramedParts};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::admission::{LoggedInPermit, PreLoginPermit};
use super::budget::{Budgets, Refusal};
use super::codec::{Frame, LineCodec, LineError};
use super::effects::{run_hub_op, run_store_op, run_takeover_login, Reach, Recorder, Services};
use super::limits::{Limits, TokenBucket};
use super::metrics::Metrics;
use super::warn_throttle::WarnThrottle;
use crate::conversation::events::{AgentEvent, CustomerEvent, Departure, OpenChat, SessionId};
use crate::conversation::{
    wrap_up_warning, AgentConversation, Context, CustomerConversation, Effect, Effects, HubOp,
    HubResult, Idle, Input, StoreOp,
};
use crate::hub::{Hub, Outbox};
use crate::nlu::select::ModelWorker;
use crate::protocol;

/// Which port a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// The customers' port.
    Customer,
    /// The executives' port.
    Agent,
}

/// State shared by every connection task.
pub(super) struct Shared {
    pub(super) services: Services,
    /// What the conversations decide with.
    context: Context,
    /// Classifies free text off the runtime when the classifier is expensive (a model).
    classifier: ModelWorker,
    pub(super) limits: Limits,
    /// Per-address budgets of logins, registrations and token attempts.
    budgets: Arc<Budgets>,
    tls: Option<TlsAcceptor>,
    pub(super) metrics: Arc<Metrics>,
    /// Warnings a client can cause at will, each kind at most once a second.
    full_cap_log: WarnThrottle,
    auth_failure_log: WarnThrottle,
}

impl Shared {
    pub(super) fn new(
        services: Services,
        classifier: ModelWorker,
        limits: Limits,
        tls: Option<TlsAcceptor>,
        metrics: Arc<Metrics>,
        budgets: Arc<Budgets>,
    ) -> Shared {
        Shared {
            context: services.context(&limits),
            services,
            classifier,
            limits,
            budgets,
            tls,
            metrics,
            full_cap_log: WarnThrottle::new(),
            auth_failure_log: WarnThrottle::new(),
        }
    }

    /// What the tests of a connection's task share: an in-memory registry, the shipped
    /// classifier inline, the default limits; with the per-address budgets.
    #[cfg(test)]
    pub(super) fn for_tests() -> (Shared, Arc<Budgets>) {
        let limits = Limits::default();
        let budgets = Arc::new(Budgets::new(&limits));
        let services = Services {
            registry: crate::registry::Registry::open_in_memory().expect("in-memory registry"),
            hub: Hub::new(1, crate::console::Console::capture()),
            console: crate::console::Console::capture(),
            policy: crate::conversation::Policy::default(),
            agent_token: Arc::from("token"),
            started: Some(chrono::Utc::now()),
            time_zone: crate::server::DEFAULT_TIME_ZONE,
        };
        let classifier = ModelWorker::inline(crate::nlu::load_classifier(None).expect("intents"));
        let shared = Shared::new(
            services,
            classifier,
            limits,
            None,
            Arc::new(Metrics::default()),
            Arc::clone(&budgets),
        );
        (shared, budgets)
    }

    /// Logs the throttled warnings that no later warning of their kind reported (the
    /// server's housekeeping calls it).
    pub(super) fn report_held_back_warnings(&self) {
        if let Some(suppressed) = self.full_cap_log.take_held_back() {
            tracing::warn!(suppressed, "logins refused: every logged-in slot is taken");
        }
        if let Some(suppressed) = self.auth_failure_log.take_held_back() {
            tracing::warn!(suppressed, "executive authentications failed");
        }
    }
}

/// A connection's byte stream after the handshake: a `TcpStream` or a TLS stream over one.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

/// What a connection task drives: a customer or an executive conversation.
trait Party: Sized + Send {
    type Event: Send;
    /// Who speaks for the server on this port (`Asistente` to customers, `Sistema` to
    /// executives).
    const SPEAKER: &'static str;
    /// The first line the party receives.
    const GREETING: &'static str;
    fn new() -> Self;
    fn step(self, input: Input<'_, Self::Event>, ctx: &Context, out: &mut Effects) -> Self;
    /// Whether `line` is free text the classifier must read (only customers have any).
    fn wants_classification(&self, _line: &str) -> bool {
        false
    }
    /// What closes the connection when it stays quiet in its current state.
    fn timer(&self, limits: &Limits) -> Timer;
    /// The party's line budget: sustained lines per second and burst.
    fn rate(limits: &Limits) -> (f64, u32);
    /// Whether the next line is a guess at the executives' token (spends the address's
    /// token budget).
    fn awaits_token(&self) -> bool {
        false
    }
    /// The line that refuses a login when the port's logged-in cap is full.
    const BUSY: &'static str;
    /// The line after the greeting when the port's logged-in cap is full at the
    /// connection's start (a port whose door refuses such connections has none).
    const FULL: Option<&'static str> = None;
    /// How the hub reaches the party.
    fn reach(outbox: Outbox<Self::Event>) -> Reach;
    /// The hub operation that forgets the party (when its conversation was lost).
    fn gone() -> HubOp;
    /// At the end of the connection, before the conversation hears it: an event the hub
    /// sent that the party must still hear although its connection may have ended before
    /// reading it (a customer's takeover notice). Leaves the hub when that is needed to
    /// know.
    /// `departure` is how the connection ended.
    fn last_notice(
        &mut self,
        _hub: &Hub,
        _session: SessionId,
        _departure: Departure,
    ) -> Option<Self::Event> {
        None
    }
    /// Whether `event`, sent by the hub but not read before the connection ended, is
    /// still applied before the disconnection: what the hub did with the party (a
    /// customer requeued, or handed to an executive) decides how the request is left.
    fn heard_after_end(_event: &Self::Event) -> bool {
        false
    }
    /// The connection was lost: whether the party keeps its place in the hub for `grace`
    /// instead of leaving now (a waiting customer, whom the hub then marks away until a
    /// new connection of theirs takes the session over).
    fn step_away(&self, _hub: &Hub, _session: SessionId, _grace: Duration) -> bool {
        false
    }
    /// While away: whether `event` is only news for whoever reads the connection (a new
    /// position in the queue), which nobody misses.
    fn news_only(_event: &Self::Event) -> bool {
        false
    }
    /// The chats being wrapped up (an executive's chats whose customer left), oldest
    /// first: each gets [`Input::WrapUpSoon`] shortly before `--wrap-up-limit` passes and
    /// [`Input::WrapUpDue`] once it has.
    fn ended_chats(&self) -> &[SessionId] {
        &[]
    }
    /// The ended chat a line from the party would work on: its wrap-up limit counts again
    /// from that line.
    fn ended_chat_in_use(&self) -> Option<SessionId> {
        None
    }
}

impl Party for CustomerConversation {
    type Event = CustomerEvent;
    const SPEAKER: &'static str = protocol::BOT_NAME;
    const GREETING: &'static str = protocol::customer::GREETING;
    const BUSY: &'static str = protocol::notice::BUSY;
    const FULL: Option<&'static str> = Some(protocol::notice::FULL);
    fn new() -> Self {
        CustomerConversation::new()
    }
    fn step(self, input: Input<'_, CustomerEvent>, ctx: &Context, out: &mut Effects) -> Self {
        CustomerConversation::step(self, input, ctx, out)
    }
    fn wants_classification(&self, line: &str) -> bool {
        CustomerConversation::wants_classification(self, line)
    }
    fn rate(limits: &Limits) -> (f64, u32) {
        (limits.rate, limits.burst)
    }
    fn timer(&self, limits: &Limits) -> Timer {
        match self.idle() {
            Idle::Login => Timer::Login,
            Idle::Active => Timer::Idle(limits.idle_timeout),
            Idle::Waiting => Timer::Queue(limits.queue_idle_timeout),
        }
    }
    fn reach(outbox: Outbox<CustomerEvent>) -> Reach {
        Reach::Customer(outbox)
    }
    fn gone() -> HubOp {
        HubOp::CustomerGone
    }
    fn last_notice(
        &mut self,
        hub: &Hub,
        session: SessionId,
        departure: Departure,
    ) -> Option<CustomerEvent> {
        // Leaving first closes the window in which a takeover could still happen: after
        // this, the session holds nothing to take over. The hub says on the console that
        // a customer it held in the queue or a chat left, before the hand-off it allows.
        let (notice, announced) = hub.customer_gone_announced(session, departure);
        if announced {
            self.departure_announced();
        }
        notice
    }
    fn heard_after_end(event: &CustomerEvent) -> bool {
        // A takeover's notice comes from `last_notice`.
        !matches!(event, CustomerEvent::TakenOver { .. })
    }
    fn step_away(&self, hub: &Hub, session: SessionId, grace: Duration) -> bool {
        self.idle() == Idle::Waiting && hub.customer_away(session, grace)
    }
    fn news_only(event: &CustomerEvent) -> bool {
        matches!(
            event,
            CustomerEvent::QueuePosition(_) | CustomerEvent::MovedBack(_)
        )
    }
}

impl Party for AgentConversation {
    type Event = AgentEvent;
    const SPEAKER: &'static str = protocol::SYSTEM_NAME;
    const GREETING: &'static str = protocol::agent::GREETING;
    const BUSY: &'static str = protocol::notice::AGENTS_BUSY;
    fn new() -> Self {
        AgentConversation::new()
    }
    fn step(self, input: Input<'_, AgentEvent>, ctx: &Context, out: &mut Effects) -> Self {
        AgentConversation::step(self, input, ctx, out)
    }
    fn rate(limits: &Limits) -> (f64, u32) {
        (limits.agent_rate, limits.agent_burst)
    }
    fn timer(&self, limits: &Limits) -> Timer {
        if self.name().is_some() {
            Timer::Idle(limits.agent_idle_timeout)
        } else {
            Timer::Login
        }
    }
    fn awaits_token(&self) -> bool {
        AgentConversation::awaits_token(self)
    }
    fn reach(outbox: Outbox<AgentEvent>) -> Reach {
        Reach::Agent(outbox)
    }
    fn gone() -> HubOp {
        HubOp::AgentGone
    }
    fn ended_chats(&self) -> &[SessionId] {
        AgentConversation::ended_chats(self)
    }
    fn ended_chat_in_use(&self) -> Option<SessionId> {
        AgentConversation::ended_chat_in_use(self)
    }
}

/// What closes a quiet connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Not logged in yet: the login deadline, `--login-timeout` after the connection was
    /// accepted. Absolute: no input moves it (empty lines, invalid RUTs or names), so a
    /// connection cannot hold a pre-login slot by trickling lines.
    Login,
    /// Logged in: this long without activity.
    Idle(Duration),
    /// A customer waiting in the queue: this long without writing since they joined it
    /// (or wrote last) makes them leave it (they are told, the connection stays).
    Queue(Duration),
}

/// One connection's conversation and what carries out its effects.
///
/// [`finish`](Self::finish) feeds the conversation [`Input::Disconnected`] (or
/// [`Input::ServerStopped`]) and carries out
/// the clean-up it asks for. When the task ends without it (a panic, or the task dropped at
/// shutdown), `Drop` does the same synchronously for the hub and the console and spawns
/// the store writes, so a vanished party never stays in the queue or the pool.
struct Conversation<'a, P: Party> {
    /// `None` only while a step runs (and after `finish`).
    party: Option<P>,
    session: SessionId,
    reach: Reach,
    shared: &'a Shared,
    /// The client's address (after a PROXY header): what the per-address budgets count.
    client: IpAddr,
    /// The connection's place in the port's caps.
    slot: Slot,
    /// The effects of the step being carried out (reused between steps).
    effects: Effects,
    /// Lines waiting to be sent (reused between steps).
    lines: Vec<Cow<'static, str>>,
    /// The clean-up ran.
    finished: bool,
    /// Runs the writes nobody waits on, in order, off the conversation's path.
    recorder: Recorder,
}

/// A connection's place in its port's caps: a pre-login slot until the login succeeds,
/// then a logged-in one (see `admission`). Dropping it gives the slot back.
///
/// A customer who logs in while the logged-in cap is full gets in only by taking over
/// their session on another connection, which closes and frees its slot. Before the
/// takeover this connection takes its place in line for that slot (`queued`), so no other
/// login can take it; until it comes ([`Slot::arrived`], from the driver's loop) the
/// connection stays on its pre-login slot.
struct Slot {
    pre_login: Option<PreLoginPermit>,
    logged_in: Option<LoggedInPermit>,
    /// In line for a logged-in slot (a takeover at a full cap).
    queued: Option<QueuedSlot>,
}

/// A place in line for a logged-in slot ([`PreLoginPermit::next_logged_in_permit`]).
type QueuedSlot = Pin<Box<dyn Future<Output = Option<LoggedInPermit>> + Send>>;

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("pre_login", &self.pre_login)
            .field("logged_in", &self.logged_in)
            .field("queued", &self.queued.is_some())
            .finish()
    }
}

impl Slot {
    /// At login: takes a logged-in slot (once; a second login of the same connection keeps
    /// it) and gives the pre-login one back, unless `tentative` (the login may yet be
    /// refused: [`Slot::settle`] decides). `false` when the logged-in cap filled up in the
    /// meantime: the connection must then be refused.
    fn promote(&mut self, tentative: bool) -> bool {
        if self.logged_in.is_none() {
            let Some(pre_login) = &self.pre_login else {
                return true;
            };
            match pre_login.logged_in_permit() {
                Some(permit) => self.logged_in = Some(permit),
                None => return false,
            }
        }
        if !tentative {
            self.pre_login = None;
        }
        true
    }

    /// After a tentative login: keeps the logged-in slot when it succeeded, or goes back to
    /// the pre-login one (a connection asked to prove who it is has not logged in). A
    /// takeover at a full cap has no logged-in slot: it keeps the pre-login one.
    fn settle(&mut self, logged_in: bool) {
        if logged_in {
            if self.logged_in.is_some() {
                self.pre_login = None;
            }
        } else if self.pre_login.is_some() {
            self.logged_in = None;
        }
    }

    /// Whether the port's logged-in cap was full when this connection still held only its
    /// pre-login slot.
    fn logged_in_full(&self) -> bool {
        self.logged_in.is_none() && self.pre_login.as_ref().is_some_and(|p| p.logged_in_full())
    }

    /// Takes a place in line for the next logged-in slot (before a takeover at a full
    /// cap: the connection taken over frees one when it closes). `true` when one was free
    /// after all: it is taken as [`Slot::promote`] would take it.
    fn queue(&mut self, tentative: bool) -> bool {
        debug_assert!(self.logged_in.is_none() && self.queued.is_none());
        let Some(pre_login) = &self.pre_login else {
            return false;
        };
        let mut queued: QueuedSlot = Box::pin(pre_login.next_logged_in_permit());
        // The first poll is what puts it in line.
        match queued.as_mut().now_or_never() {
            Some(permit) => {
                self.logged_in = permit;
                if !tentative && self.logged_in.is_some() {
                    self.pre_login = None;
                }
                self.logged_in.is_some()
            }
            None => {
                self.queued = Some(queued);
                false
            }
        }
    }

    /// The logged-in slot this connection was in line for has come.
    fn arrived(&mut self, permit: Option<LoggedInPermit>) {
        self.queued = None;
        if permit.is_some() {
            self.logged_in = permit;
            self.pre_login = None;
        }
    }

    /// Waits for the logged-in slot this connection is in line for (never, when it is in
    /// no line).
    async fn next(&mut self) -> Option<LoggedInPermit> {
        match &mut self.queued {
            Some(queued) => queued.as_mut().await,
            None => std::future::pending().await,
        }
    }
}

/// What one input's effects asked of the connection, besides the lines.
#[derive(Debug, Default, Clone, Copy)]
struct Outcome {
    close: bool,
    auth_failed: bool,
}

impl<'a, P: Party> Conversation<'a, P> {
    fn new(
        session: SessionId,
        outbox: Outbox<P::Event>,
        shared: &'a Shared,
        client: IpAddr,
        permit: PreLoginPermit,
    ) -> Self {
        Conversation {
            party: Some(P::new()),
            session,
            reach: P::reach(outbox),
            shared,
            client,
            slot: Slot {
                pre_login: Some(permit),
                logged_in: None,
                queued: None,
            },
            // Both start and stay empty between inputs: an idle connection keeps no buffer
            // (a few allocations per answer cost less than holding them on every connection).
            effects: Effects(Vec::new()),
            lines: Vec::new(),
            finished: false,
            recorder: Recorder::new(client),
        }
    }

    fn party(&self) -> &P {
        self.party
            .as_ref()
            .expect("the conversation is present between steps")
    }

    /// Steps the conversation with `input`, collecting its effects in `self.effects`.
    fn step(&mut self, input: Input<'_, P::Event>) {
        let party = self
            .party
            .take()
            .expect("the conversation is present between steps");
        self.party = Some(party.step(input, &self.shared.context, &mut self.effects));
    }

    /// Feeds `input` and carries out every effect, feeding store and hub results back in
    /// order. Lines are queued in `self.lines`; those said before a store operation go out
    /// with its answer's lines, or first when the store takes longer than
    /// [`SAID_SO_FAR_WAITS`], so the party reads what was said so far. Writes nobody waits
    /// on ([`Effect::Record`]) go to the connection's [`Recorder`], which runs them in order
    /// while the conversation goes on; a store operation whose result it waits for runs
    /// after them.
    async fn apply<S: Stream>(
        &mut self,
        input: Input<'_, P::Event>,
        framed: &mut Lines<S>,
    ) -> Result<Outcome, End> {
        let mut outcome = Outcome::default();
        // A write of the lines said before a store operation that failed: returned once
        // every effect ran.
        let mut unsent = None;
        self.effects.clear();
        self.step(input);
        let mut next = 0;
        // Results append their effects at the end: a step asks for at most one result, as
        // its last effect, so this is the order the conversation meant.
        while next < self.effects.0.len() {
            let effect = std::mem::replace(&mut self.effects.0[next], Effect::Close);
            next += 1;
            match effect {
                Effect::Send(line) => self.lines.push(line),
                Effect::Console(line) => self.shared.services.console.print(&line),
                Effect::Close => outcome.close = true,
                Effect::AuthFailed => outcome.auth_failed = true,
                Effect::Hub(op) => {
                    // A login takes its logged-in slot before it touches the hub: one
                    // refused for a full cap must not take over a session of the same
                    // RUT, nor be handed a waiting customer (the one exception, a takeover
                    // at a full cap, is below).
                    let login = matches!(op, HubOp::Login { .. } | HubOp::AgentJoin(_));
                    // A login that asks first may be refused (the RUT chats elsewhere): it
                    // keeps its pre-login slot until the hub answers.
                    let tentative = matches!(
                        op,
                        HubOp::Login {
                            chat: OpenChat::Ask,
                            ..
                        }
                    );
                    let hub = &self.shared.services.hub;
                    // The logged-in cap is full: only a customer taking over their own
                    // session on another connection gets in. In line first for the slot that
                    // connection frees when it closes, so no other login takes it.
                    let result =
                        if login && !self.slot.promote(tentative) && !self.slot.queue(tentative) {
                            let result = run_takeover_login(hub, self.session, &self.reach, &op);
                            if result.is_none() {
                                self.warn_full_cap();
                                self.slot.queued = None;
                                self.lines.push(Cow::Borrowed(P::BUSY));
                                outcome.close = true;
                                break;
                            }
                            result
                        } else {
                            run_hub_op(hub, self.session, &self.reach, op)
                        };
                    let refused = matches!(result, Some(HubResult::LoggedIn(Err(_))));
                    if tentative {
                        self.slot.settle(!refused);
                    }
                    if refused {
                        // Nothing was taken over: nothing frees a slot for this one.
                        self.slot.queued = None;
                    }
                    if let Some(result) = result {
                        self.step(Input::Hub(result));
                    }
                }
                Effect::Store(op) => {
                    if self.refused_at_full_cap(&op) {
                        self.warn_full_cap();
                        self.lines.push(Cow::Borrowed(P::BUSY));
                        outcome.close = true;
                        break;
                    }
                    if let Some(refusal) = self.over_budget(&op) {
                        let line = protocol::notice::line(P::SPEAKER, &refusal.notice());
                        self.lines.push(Cow::Owned(line));
                        outcome.close = true;
                        break;
                    }
                    let shared = self.shared;
                    let registry = &shared.services.registry;
                    let recorder = &mut self.recorder;
                    let client = self.client;
                    let answer = async move {
                        // Earlier writes first: the operation may read what they wrote.
                        recorder.written(registry).await;
                        run_store_op(registry, op, client).await
                    };
                    // What was said so far goes out with the answer's lines when the store
                    // answers at once (one write to the socket, not two); when it is slower,
                    // it goes out first, so the party reads it while the store works.
                    // (After a failed send nothing more is sent: the connection ends once
                    // the effects ran.)
                    let result = if self.lines.is_empty() || unsent.is_some() {
                        answer.await
                    } else {
                        let mut answer = std::pin::pin!(answer);
                        match tokio::time::timeout(SAID_SO_FAR_WAITS, &mut answer).await {
                            Ok(result) => result,
                            // The store goes on while the lines are written (a slow reader
                            // must not hold a database transaction open); a failed write
                            // still feeds the result in: the operation may have run.
                            Err(_) => {
                                let (sent, result) = tokio::join!(
                                    send(framed, &self.lines, &shared.limits),
                                    &mut answer
                                );
                                self.lines = Vec::new();
                                if let Err(end) = sent {
                                    unsent = Some(end);
                                }
                                result
                            }
                        }
                    };
                    self.step(Input::Stored(result));
                }
                Effect::Record(op) => {
                    self.recorder
                        .record(&self.shared.services.registry, op)
                        .await;
                }
            }
        }
        self.effects.0 = Vec::new();
        match unsent {
            Some(end) => Err(end),
            None => Ok(outcome),
        }
    }

    /// Whether `op` looks a RUT up (or registers one) while the logged-in cap is full and no
    /// other connection holds that RUT: such a login could take nothing over, so it is
    /// refused before any store work (the hub decides for certain at the login itself).
    fn refused_at_full_cap(&self, op: &StoreOp) -> bool {
        let rut = match op {
            StoreOp::FindCustomer(rut) | StoreOp::RegisterCustomer { rut, .. } => *rut,
            _ => return false,
        };
        self.slot.logged_in_full() && !self.shared.services.hub.held_elsewhere(rut, self.session)
    }

    /// Logs a customer's login refused at a full logged-in cap (throttled).
    /// ([`Shared::report_held_back_warnings`] reports the last ones held back.)
    fn warn_full_cap(&self) {
        if let Some(suppressed) = self.shared.full_cap_log.admit() {
            tracing::warn!(suppressed, "login refused: every logged-in slot is taken");
        }
    }

    /// The per-address budget `op` would spend, when it is spent: logins (a RUT looked up)
    /// and registrations.
    fn over_budget(&self, op: &StoreOp) -> Option<Refusal> {
        let budgets = &self.shared.budgets;
        match op {
            StoreOp::FindCustomer(_) => budgets.check_login(self.client).err(),
            StoreOp::RegisterCustomer { .. } => budgets.check_registration(self.client).err(),
            _ => None,
        }
    }

    /// Sends the queued lines.
    async fn flush<S: Stream>(&mut self, framed: &mut Lines<S>) -> Result<(), End> {
        let sent = send(framed, &self.lines, &self.shared.limits).await;
        self.lines = Vec::new();
        sent
    }

    /// The connection ended (`end`, [`Input::ServerStopped`] or [`Input::Disconnected`]):
    /// carries out the conversation's clean-up (no line is sent).
    /// The hub and the console first, synchronously; then the store writes.
    /// `first` is an event the hub sent that was read but not applied (it ended an
    /// absence, see [`away`]): it goes before the unread ones.
    async fn finish(
        &mut self,
        end: Input<'_, P::Event>,
        first: Option<P::Event>,
        events: &mut mpsc::Receiver<P::Event>,
    ) {
        if self.finished || self.party.is_none() {
            return;
        }
        let writes = self.wind_up(first, Some(events), end);
        // After the writes still queued, in order; the connection ends once all ran (a
        // shutdown waits for its connections, so none is lost then).
        let registry = &self.shared.services.registry;
        for op in writes {
            self.recorder.record(registry, op).await;
        }
        self.recorder.written(registry).await;
    }

    /// The conversation's last steps, for [`Self::finish`] and the drop guard: the party
    /// leaves the hub (its last notice), the events the hub sent that the connection did
    /// not apply are (`first`, read while away, then `events`; none for the guard, whose
    /// receiver is gone; their lines are not sent), then the notice, then `end`. Effects left by a step cut short
    /// (the socket failed while they ran) are dropped first. The hub and console effects
    /// are carried out here; the store writes are returned, in order.
    fn wind_up(
        &mut self,
        first: Option<P::Event>,
        events: Option<&mut mpsc::Receiver<P::Event>>,
        end: Input<'_, P::Event>,
    ) -> Vec<StoreOp> {
        self.effects.clear();
        let services = &self.shared.services;
        let departure = match end {
            Input::Disconnected(departure) => departure,
            _ => Departure::Lost,
        };
        // The hub first: once the party has left it, no other connection sends this one an
        // event, so the drain below sees all the hub sent (a customer requeued when their
        // executive left) and the conversation leaves its request as the hub left it.
        let notice = self
            .party
            .as_mut()
            .and_then(|party| party.last_notice(&services.hub, self.session, departure));
        let unread = events.map(|events| std::iter::from_fn(|| events.try_recv().ok()));
        for event in first.into_iter().chain(unread.into_iter().flatten()) {
            if P::heard_after_end(&event) {
                self.step(Input::Event(event));
            }
        }
        if let Some(event) = notice {
            self.step(Input::Event(event));
        }
        self.step(end);
        self.finished = true;
        let services = &self.shared.services;
        let mut writes = Vec::new();
        for effect in self.effects.0.drain(..) {
            match effect {
                // Leaving has no result to feed back.
                Effect::Hub(op) => {
                    let _ = run_hub_op(&services.hub, self.session, &self.reach, op);
                }
                Effect::Console(line) => services.console.print(&line),
                Effect::Store(op) | Effect::Record(op) => writes.push(op),
                Effect::Send(_) | Effect::Close | Effect::AuthFailed => {}
            }
        }
        writes
    }
}

impl<P: Party> Drop for Conversation<'_, P> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if self.party.is_none() {
            // Lost in the middle of a step (a panic): at least leave the hub.
            let services = &self.shared.services;
            let _ = run_hub_op(&services.hub, self.session, &self.reach, P::gone());
            return;
        }
        // As `finish` does, but the events the hub sent and the connection did not read
        // are gone with their receiver (a panic, or a task dropped after the shutdown's
        // grace period), and the writes run, in order, on a task of their own.
        let writes = self.wind_up(None, None, Input::Disconnected(Departure::Lost));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (registry, client) = (self.shared.services.registry.clone(), self.client);
            runtime.spawn(async move {
                for op in writes {
                    run_store_op(&registry, op, client).await;
                }
            });
        }
    }
}

/// Why a connection ended (for the logs).
#[derive(Debug)]
enum End {
    ClientClosed,
    /// The address spent a budget (token attempts).
    Budget,
    Finished,
    LineTooLong,
    Flood,
    Idle,
    /// Not logged in by the login deadline.
    LoginDeadline,
    SlowReader,
    Shutdown,
    Io(std::io::Error),
    TlsHandshake(std::io::Error),
    TlsHandshakeTimeout,
}

/// TCP keepalive on an accepted connection: a peer gone without a word (a phone that lost
/// its signal, a router that dropped the connection) is noticed after [`KEEPALIVE_IDLE`]
/// of silence and [`KEEPALIVE_PROBES`] unanswered probes [`KEEPALIVE_INTERVAL`] apart,
/// about a minute, instead of never for a connection that only waits (a customer in the
/// queue, whose place is then kept for `--queue-grace`; an executive with no chat).
fn keep_alive(stream: &TcpStream) -> std::io::Result<()> {
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_PROBES);
    let socket = socket2::SockRef::from(stream);
    socket.set_tcp_keepalive(&keepalive)?;
    // Keepalive probes only a silent connection: one whose lines the peer no longer
    // acknowledges (a customer in the queue is sent new positions) is dropped after the
    // same time instead of the kernel's retransmissions (about 15 minutes).
    socket.set_tcp_user_timeout(Some(KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_PROBES))
}

/// Silence before the first keepalive probe.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// Time between unanswered keepalive probes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Unanswered keepalive probes after which the connection is dropped.
const KEEPALIVE_PROBES: u32 = 3;

/// Completes the server side of the TLS handshake, bounded by the login timeout so that a
/// peer that never finishes it (or speaks plain text and waits) cannot hold the connection.
async fn tls_handshake(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    limits: &Limits,
    shutdown: &CancellationToken,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>, End> {
    tokio::select! {
        () = shutdown.cancelled() => Err(End::Shutdown),
        accepted = tokio::time::timeout(limits.login_timeout, acceptor.accept(stream)) => {
            match accepted {
                Ok(Ok(stream)) => Ok(stream),
                Ok(Err(err)) => Err(End::TlsHandshake(err)),
                Err(_) => Err(End::TlsHandshakeTimeout),
            }
        }
    }
}

/// Serves one connection until it ends.
pub(super) async fn serve(
    kind: Kind,
    stream: TcpStream,
    peer: SocketAddr,
    permit: PreLoginPermit,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    // The login deadline counts from here: a TLS handshake's time is part of it.
    let arrival = Arrival {
        peer,
        accepted: tokio::time::Instant::now(),
    };
    let session = SessionId::next();
    let span = tracing::info_span!("connection", %session, %peer, ?kind);
    let _open = shared.metrics.connection();
    async move {
        tracing::debug!("accepted");
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(cause = %err, "set_nodelay");
        }
        if let Err(err) = keep_alive(&stream) {
            tracing::debug!(cause = %err, "keepalive");
        }
        // Each kind of stream's conversation is boxed: an idle plain-TCP connection then
        // holds a future of its own size, not one sized for the largest (TLS) variant.
        let end = match &shared.tls {
            None => {
                Box::pin(converse(
                    kind, session, stream, arrival, permit, &shared, shutdown,
                ))
                .await
            }
            Some(acceptor) => {
                // Boxed too: the handshake's state (a rustls connection) would otherwise
                // be part of every plain-TCP connection's task.
                match Box::pin(tls_handshake(acceptor, stream, &shared.limits, &shutdown)).await {
                    Ok(stream) => {
                        Box::pin(converse(
                            kind, session, stream, arrival, permit, &shared, shutdown,
                        ))
                        .await
                    }
                    Err(end) => end,
                }
            }
        };
        match end {
            End::Io(err) => tracing::info!(cause = %err, "connection failed"),
            End::TlsHandshake(err) => tracing::info!(cause = %err, "TLS handshake failed"),
            end => tracing::debug!(?end, "connection closed"),
        }
    }
    .instrument(span)
    .await;
}

/// Who connected, and when: the login deadline counts from `accepted`.
#[derive(Debug, Clone, Copy)]
struct Arrival {
    /// The client's address (after a PROXY header).
    peer: SocketAddr,
    accepted: tokio::time::Instant,
}

/// Runs the conversation of the port's kind on an established stream, then closes the
/// stream cleanly (for TLS, with a close_notify alert).
async fn converse<S: Stream>(
    kind: Kind,
    session: SessionId,
    stream: S,
    arrival: Arrival,
    permit: PreLoginPermit,
    shared: &Shared,
    shutdown: CancellationToken,
) -> End {
    let Arrival { peer, accepted } = arrival;
    let mut framed = framed(stream, shared.limits.max_line_length);
    let kick = CancellationToken::new();
    let end = match kind {
        Kind::Customer => {
            let (tx, rx) = mpsc::channel(shared.limits.send_queue);
            let outbox = Outbox::new(tx, kick.clone());
            let conversation = Conversation::<CustomerConversation>::new(
                session,
                outbox,
                shared,
                peer.ip(),
                permit,
            );
            drive(
                conversation,
                rx,
                &mut framed,
                peer,
                kick,
                shutdown,
                accepted,
            )
            .await
        }
        Kind::Agent => {
            let (tx, rx) = mpsc::channel(shared.limits.send_queue);
            let outbox = Outbox::new(tx, kick.clone());
            let conversation =
                Conversation::<AgentConversation>::new(session, outbox, shared, peer.ip(), permit);
            drive(
                conversation,
                rx,
                &mut framed,
                peer,
                kick,
                shutdown,
                accepted,
            )
            .await
        }
    };
    // A peer that stopped reading or broke the stream gets no goodbye: it could only stall.
    if !matches!(end, End::SlowReader | End::Io(_)) {
        let _ =
            tokio::time::timeout(shared.limits.write_timeout, framed.get_mut().shutdown()).await;
    }
    end
}

type Lines<S> = Framed<S, LineCodec>;

/// Drives one conversation until the connection ends, then carries out its clean-up.
async fn drive<P: Party, S: Stream>(
    mut conversation: Conversation<'_, P>,
    mut events: mpsc::Receiver<P::Event>,
    framed: &mut Lines<S>,
    peer: SocketAddr,
    kick: CancellationToken,
    shutdown: CancellationToken,
    accepted: tokio::time::Instant,
) -> End {
    let end = serve_lines(
        &mut conversation,
        &mut events,
        framed,
        peer,
        kick,
        &shutdown,
        accepted,
    )
    .await;
    let grace = conversation.shared.limits.queue_grace;
    let (input, first) = match &end {
        End::Shutdown => (Input::ServerStopped, None),
        End::Idle => (Input::Disconnected(Departure::Idle), None),
        // Lost (not ended by the server for a reason of its own): a waiting customer's
        // place is kept for a while.
        End::ClientClosed | End::Io(_)
            if !grace.is_zero()
                && conversation.party().step_away(
                    &conversation.shared.services.hub,
                    conversation.session,
                    grace,
                ) =>
        {
            Box::pin(away::<P>(&mut events, &shutdown, grace)).await
        }
        _ => (Input::Disconnected(Departure::Lost), None),
    };
    Box::pin(conversation.finish(input, first, &mut events)).await;
    end
}

/// A waiting customer's connection was lost and the hub keeps their place (see
/// [`Party::step_away`]): waits for the first of `grace` running out, the server's stop,
/// and an event other than news (the session taken over by a new connection of theirs,
/// which keeps the place). Returns how the connection ended, and that event.
async fn away<P: Party>(
    events: &mut mpsc::Receiver<P::Event>,
    shutdown: &CancellationToken,
    grace: Duration,
) -> (Input<'static, P::Event>, Option<P::Event>) {
    let expired = tokio::time::sleep(grace);
    tokio::pin!(expired);
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => return (Input::ServerStopped, None),
            event = events.recv() => match event {
                Some(event) if P::news_only(&event) => {}
                event => return (Input::Disconnected(Departure::Lost), event),
            },
            () = &mut expired => return (Input::Disconnected(Departure::Lost), None),
        }
    }
}

async fn serve_lines<P: Party, S: Stream>(
    conversation: &mut Conversation<'_, P>,
    events: &mut mpsc::Receiver<P::Event>,
    framed: &mut Lines<S>,
    peer: SocketAddr,
    kick: CancellationToken,
    shutdown: &CancellationToken,
    accepted: tokio::time::Instant,
) -> End {
    let shared = conversation.shared;
    let limits = &shared.limits;
    let notice = |text: &str| protocol::notice::line(P::SPEAKER, text);
    let (rate, burst) = P::rate(limits);
    let mut bucket = TokenBucket::new(rate, burst);
    let mut strikes = 0u32;
    // At a full logged-in cap, the greeting says so (when the port admits anyone then).
    let full = P::FULL.filter(|_| conversation.slot.logged_in_full());
    let greeting = [P::GREETING, full.unwrap_or_default()];
    let lines = if full.is_some() { 2 } else { 1 };
    if let Err(end) = send(framed, &greeting[..lines], limits).await {
        return end;
    }
    // The futures that outlive one message are made once: polling a fresh `cancelled()`
    // (on a token every connection shares) or a fresh timer for every message would cost
    // a shared lock or a timer-wheel update per message.
    let shut_down = shutdown.cancelled();
    let kicked = kick.cancelled();
    // The login deadline is fixed at the connection's start. The idle timeout counts from
    // the last activity. The timer is moved lazily: activity only moves the deadline, and
    // when the timer fires before the deadline it is re-armed for it (at most once per
    // timeout period instead of once per message).
    let login_deadline = accepted + limits.login_timeout;
    let mut last_activity = tokio::time::Instant::now();
    // The queue's idle limit counts from the later of joining the queue and the last
    // non-empty line the customer wrote (events, such as moves in the queue, do not count).
    let mut last_line = last_activity;
    let mut waiting_since = None;
    let idle_timer = tokio::time::sleep(FAR_FUTURE);
    // The chats being wrapped up ([`WrapUp`]). The timer for the next warning or limit is
    // made with the first one (only executives have any): an idle customer's task does not
    // carry it.
    let mut wrapping: Vec<WrapUp> = Vec::new();
    let mut wrap_up_timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    tokio::pin!(shut_down, kicked, idle_timer);
    loop {
        // (Only the deadline lives across the wait: the task's future stays small; the
        // chat and what is due are read again when it comes.)
        let wrap_up_deadline = if limits.wrap_up_limit.is_zero() {
            None
        } else {
            track_wrap_ups(&mut wrapping, conversation.party().ended_chats());
            next_wrap_up(&wrapping, limits.wrap_up_limit).map(|next| next.at)
        };
        if let Some(deadline) = wrap_up_deadline {
            match &mut wrap_up_timer {
                Some(timer) if timer.deadline() != deadline => timer.as_mut().reset(deadline),
                Some(_) => {}
                None => wrap_up_timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
            }
        }
        let timer = conversation.party().timer(limits);
        if matches!(timer, Timer::Queue(_)) {
            waiting_since.get_or_insert_with(tokio::time::Instant::now);
        } else {
            waiting_since = None;
        }
        let idle_deadline = match timer {
            Timer::Login => Some(login_deadline),
            Timer::Idle(timeout) => Some(last_activity + timeout),
            Timer::Queue(timeout) => waiting_since.map(|since| since.max(last_line) + timeout),
        };
        if let Some(deadline) = idle_deadline {
            if idle_timer.deadline() > deadline {
                idle_timer.as_mut().reset(deadline);
            }
        }
        // When the reply answers a line read now (not an event or a notice).
        let mut line_read_at = None;
        let applied = tokio::select! {
            biased;
            () = &mut shut_down => {
                let _ = send(framed, &[notice(protocol::notice::SHUTDOWN)], limits).await;
                return End::Shutdown;
            }
            () = &mut kicked => {
                let _ = send(framed, &[notice(protocol::notice::SLOW_READER)], limits).await;
                return End::SlowReader;
            }
            // A takeover at a full cap: the slot the connection taken over freed.
            permit = conversation.slot.next(), if conversation.slot.queued.is_some() => {
                conversation.slot.arrived(permit);
                continue;
            }
            Some(event) = events.recv() => {
                last_activity = tokio::time::Instant::now();
                Box::pin(conversation.apply(Input::Event(event), framed)).await
            }
            frame = framed.next() => match frame {
                None => return End::ClientClosed,
                Some(Err(LineError::TooLong(max))) => {
                    let _ = send(framed, &[notice(&protocol::notice::too_long(max))], limits).await;
                    return End::LineTooLong;
                }
                Some(Err(LineError::Io(err))) => return End::Io(err),
                Some(Ok(frame)) => {
                    last_activity = tokio::time::Instant::now();
                    let line = match frame {
                        Frame::Line(line) => Some(line),
                        // Dropped up to its newline; counted against the rate as a line.
                        Frame::TooLong => None,
                    };
                    // An empty line says nothing: it does not hold a place in the queue,
                    // and is no token attempt (the conversation asks again).
                    let said = line.as_deref().is_some_and(|l| !l.trim().is_empty());
                    if said {
                        last_line = last_activity;
                        // Work on an ended chat: its wrap-up limit counts from now.
                        if let Some(chat) = conversation.party().ended_chat_in_use() {
                            rewind_wrap_up(&mut wrapping, chat);
                        }
                    }
                    let now = Instant::now();
                    if said && conversation.party().awaits_token() {
                        if let Err(refusal) = shared.budgets.check_token(conversation.client) {
                            let _ = send(framed, &[notice(&refusal.notice())], limits).await;
                            return End::Budget;
                        }
                    }
                    if bucket.take(now) {
                        strikes = 0;
                        match line {
                            // Too long to read: said so, and the conversation goes on (a
                            // pasted text no longer costs the session, nor an executive's
                            // customers).
                            None => {
                                let dropped = protocol::notice::line_dropped(limits.max_line_length);
                                conversation.lines.push(Cow::Owned(notice(&dropped)));
                                Ok(Outcome::default())
                            }
                            Some(line) => {
                                line_read_at = Some(now);
                                // One path for every classifier: the YAML one answers inline,
                                // the model on its own threads while this task waits without
                                // blocking the runtime (or the YAML answer when the model is
                                // saturated).
                                let prediction = if conversation.party().wants_classification(&line) {
                                    Some(Box::pin(shared.classifier.classify(line.trim())).await)
                                } else {
                                    None
                                };
                                // Boxed, like every await that is not the wait itself: an idle
                                // connection's task then holds only what waiting needs.
                                Box::pin(conversation.apply(Input::Line { text: &line, prediction }, framed))
                                    .await
                            }
                        }
                    } else {
                        strikes += 1;
                        if strikes > burst {
                            let _ = send(framed, &[notice(protocol::notice::FLOOD_CLOSE)], limits).await;
                            return End::Flood;
                        }
                        if strikes == 1 {
                            conversation.lines.push(Cow::Owned(notice(protocol::notice::FLOOD_WARNING)));
                            Ok(Outcome::default())
                        } else {
                            continue;
                        }
                    }
                }
            },
            () = async {
                match wrap_up_timer.as_mut() {
                    Some(timer) => timer.await,
                    None => std::future::pending().await,
                }
            }, if wrap_up_deadline.is_some() => {
                let Some(next) = next_wrap_up(&wrapping, limits.wrap_up_limit) else {
                    continue;
                };
                let input = match next.warning {
                    Some(left) => {
                        wrapping[next.index].warned = true;
                        // Past the limit too (the task was busy): the limit comes at once,
                        // with no warning of a minute left.
                        if tokio::time::Instant::now() >= next.at + left {
                            continue;
                        }
                        Input::WrapUpSoon { chat: wrapping[next.index].chat, left }
                    }
                    // Fed once: should the chat stay (the conversation busy elsewhere), it
                    // is tracked again from now.
                    None => Input::WrapUpDue { chat: wrapping.remove(next.index).chat },
                };
                Box::pin(conversation.apply(input, framed)).await
            }
            () = &mut idle_timer, if idle_deadline.is_some() => {
                match (idle_deadline, timer) {
                    (Some(deadline), _) if tokio::time::Instant::now() < deadline => {
                        idle_timer.as_mut().reset(deadline);
                        continue;
                    }
                    (_, Timer::Login) => {
                        let _ = send(framed, &[notice(protocol::notice::LOGIN_DEADLINE)], limits).await;
                        return End::LoginDeadline;
                    }
                    (_, Timer::Queue(waited)) => {
                        // The customer gets a fresh idle period to read why they left (and,
                        // should an executive have taken them a moment ago, a fresh wait).
                        last_activity = tokio::time::Instant::now();
                        waiting_since = Some(last_activity);
                        Box::pin(conversation.apply(Input::QueueIdle { waited }, framed)).await
                    }
                    (_, Timer::Idle(_)) => {
                        let _ = send(framed, &[notice(protocol::notice::IDLE)], limits).await;
                        return End::Idle;
                    }
                }
            }
        };
        let outcome = match applied {
            Ok(outcome) => outcome,
            Err(end) => return end,
        };
        if outcome.auth_failed {
            if let Some(suppressed) = shared.auth_failure_log.admit() {
                tracing::warn!(%peer, suppressed, "executive authentication failed");
            }
        }
        let answered = !conversation.lines.is_empty();
        if let Err(end) = conversation.flush(framed).await {
            return end;
        }
        if let Some(read_at) = line_read_at.filter(|_| answered) {
            shared.metrics.answered(read_at.elapsed());
        }
        if outcome.close {
            return End::Finished;
        }
    }
}

/// A chat being wrapped up (an executive's chat whose customer left): since when, and
/// whether the executive was warned that its limit is near.
struct WrapUp {
    chat: SessionId,
    since: tokio::time::Instant,
    warned: bool,
}

impl WrapUp {
    /// `chat`'s wrap-up limit, counting from now, its warning to come.
    fn from_now(chat: SessionId) -> WrapUp {
        WrapUp {
            chat,
            since: tokio::time::Instant::now(),
            warned: false,
        }
    }
}

/// Keeps `wrapping` (the chats being wrapped up, oldest first) in step with the
/// conversation's `ended` chats: gone ones leave, new ones start now. Both are short (an
/// executive keeps a few ended chats).
fn track_wrap_ups(wrapping: &mut Vec<WrapUp>, ended: &[SessionId]) {
    wrapping.retain(|tracked| ended.contains(&tracked.chat));
    for chat in ended {
        if !wrapping.iter().any(|tracked| tracked.chat == *chat) {
            wrapping.push(WrapUp::from_now(*chat));
        }
    }
}

/// Starts `chat`'s wrap-up limit again from now, its warning to come again: the executive
/// wrote while their commands acted on it (a note half typed when the limit came would
/// otherwise find the chat gone).
fn rewind_wrap_up(wrapping: &mut [WrapUp], chat: SessionId) {
    if let Some(tracked) = wrapping.iter_mut().find(|tracked| tracked.chat == chat) {
        *tracked = WrapUp::from_now(chat);
    }
}

/// What comes next for the chats being wrapped up: a chat's warning, or its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NextWrapUp {
    /// The chat's place in the list.
    index: usize,
    /// When.
    at: tokio::time::Instant,
    /// The warning, with the time it leaves (`None`: the limit itself).
    warning: Option<Duration>,
}

/// The earliest of the chats' warnings ([`wrap_up_warning`]) and limits (`limit` after each
/// began). A limit too far to reckon is none.
fn next_wrap_up(wrapping: &[WrapUp], limit: Duration) -> Option<NextWrapUp> {
    // (Customers have none, at every turn of their loop.)
    if wrapping.is_empty() {
        return None;
    }
    let lead = wrap_up_warning(limit);
    wrapping
        .iter()
        .enumerate()
        .filter_map(|(index, tracked)| {
            let due = tracked.since.checked_add(limit)?;
            Some(match lead {
                Some(lead) if !tracked.warned => NextWrapUp {
                    index,
                    at: due.checked_sub(lead)?,
                    warning: Some(lead),
                },
                _ => NextWrapUp {
                    index,
                    at: due,
                    warning: None,
                },
            })
        })
        .min_by_key(|next| next.at)
}

/// How long the lines a step said before a store operation wait for that operation's
/// answer, to go out with its lines in one write; a slower store gets them sent first.
const SAID_SO_FAR_WAITS: Duration = Duration::from_millis(50);

/// Where the idle timer starts (it is moved to the first deadline lazily).
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Writes lines and flushes them, within the write timeout.
async fn send<L: AsRef<str>, S: Stream>(
    framed: &mut Lines<S>,
    lines: &[L],
    limits: &Limits,
) -> Result<(), End> {
    if lines.is_empty() {
        return Ok(());
    }
    let write = async {
        for line in lines {
            framed.feed(line.as_ref()).await?;
        }
        SinkExt::<&str>::flush(&mut *framed).await
    };
    match tokio::time::timeout(limits.write_timeout, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(LineError::Io(err))) => Err(End::Io(err)),
        Ok(Err(LineError::TooLong(_))) => Ok(()),
        Err(_) => Err(End::SlowReader),
    }
}

/// Initial size of each connection's read and write buffers. `Framed::new` starts both at
/// 8 KiB, which would be most of an idle connection's memory; chat lines are short, and
/// the buffers grow when a longer line or reply comes.
const BUFFER_CAPACITY: usize = 512;

fn framed<S: Stream>(stream: S, max_line_length: usize) -> Framed<S, LineCodec> {
    let mut parts = FramedParts::new::<&str>(stream, LineCodec::new(max_line_length));
    parts.read_buf = BytesMut::with_capacity(BUFFER_CAPACITY);
    parts.write_buf = BytesMut::with_capacity(BUFFER_CAPACITY);
    Framed::from_parts(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every idle connection holds its conversation's future, boxed, in the allocator's
    /// size class for its size: the wrap-up warning's first version kept the next event
    /// (an index, an instant and a warning) alive across the wait, 40 bytes that took the
    /// future (3,104 bytes in a release build) past mimalloc's 3,072-byte class and put
    /// 0.47 KiB more on each of 10,000 idle connections (17.72–17.76 KiB against
    /// 17.23–17.31). A customer's future over TCP stays within that class (3,064 bytes; the
    /// unoptimised build's is 3,080, and was 3,120).
    #[tokio::test]
    async fn a_conversations_future_stays_small() {
        let (shared, budgets) = Shared::for_tests();
        let gate = super::super::admission::Gate::new(
            super::super::budget::Port::Customers,
            &shared.limits,
            budgets,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (stream, peer) = listener.accept().await.unwrap();
        let permit = gate.admit(peer.ip()).expect("admitted");
        let arrival = Arrival {
            peer,
            accepted: tokio::time::Instant::now(),
        };
        let future = converse(
            Kind::Customer,
            SessionId(1),
            stream,
            arrival,
            permit,
            &shared,
            CancellationToken::new(),
        );
        let size = std::mem::size_of_val(&future);
        let bound = if cfg!(debug_assertions) { 3_100 } else { 3_072 };
        assert!(
            size <= bound,
            "converse's future is {size} bytes, over {bound}"
        );
    }

    /// The chats being wrapped up get their warning and their limit in time order, the
    /// warnings of newer chats included.
    #[test]
    fn the_next_wrap_up_event_is_the_earliest_warning_or_limit() {
        let now = tokio::time::Instant::now();
        let secs = Duration::from_secs;
        let limit = secs(300);
        let tracked = |chat, since| WrapUp {
            chat: SessionId(chat),
            since,
            warned: false,
        };
        let next = |index, at, warning| Some(NextWrapUp { index, at, warning });
        let mut wrapping = vec![tracked(1, now), tracked(2, now + secs(30))];
        // The oldest's warning first, a minute before its limit.
        assert_eq!(
            next_wrap_up(&wrapping, limit),
            next(0, now + secs(240), Some(secs(60)))
        );
        wrapping[0].warned = true;
        // The newer's warning (at 4:30) comes before the oldest's limit (5:00).
        assert_eq!(
            next_wrap_up(&wrapping, limit),
            next(1, now + secs(270), Some(secs(60)))
        );
        wrapping[1].warned = true;
        assert_eq!(next_wrap_up(&wrapping, limit), next(0, now + limit, None));
        // Tracking keeps the flags of chats still ended, and starts new ones unwarned.
        track_wrap_ups(&mut wrapping, &[SessionId(2), SessionId(3)]);
        let flags: Vec<(u64, bool)> = wrapping.iter().map(|w| (w.chat.0, w.warned)).collect();
        assert_eq!(flags, [(2, true), (3, false)]);
        // Too short a limit to warn: the limit alone. Nothing to track, or a limit too far
        // to reckon: nothing.
        let fresh = [tracked(4, now)];
        assert_eq!(next_wrap_up(&fresh, secs(2)), next(0, now + secs(2), None));
        assert_eq!(next_wrap_up(&[], limit), None);
        assert_eq!(next_wrap_up(&fresh, Duration::MAX), None);
    }

    /// A line on an ended chat starts its limit again, its warning to come again; other
    /// chats keep theirs, and a chat not tracked is no one's.
    #[test]
    fn a_line_on_an_ended_chat_starts_its_wrap_up_limit_again() {
        let secs = Duration::from_secs;
        let limit = secs(300);
        // (Tracked since a later time than the rewind's, so that the rewind shows.)
        let later = tokio::time::Instant::now() + secs(1000);
        let warned = |chat| WrapUp {
            chat: SessionId(chat),
            since: later,
            warned: true,
        };
        let mut wrapping = vec![warned(1), warned(2)];
        let before = tokio::time::Instant::now();
        rewind_wrap_up(&mut wrapping, SessionId(1));
        rewind_wrap_up(&mut wrapping, SessionId(3));
        let after = tokio::time::Instant::now();
        let next = next_wrap_up(&wrapping, limit).expect("two chats tracked");
        assert_eq!((next.index, next.warning), (0, Some(secs(60))));
        assert!(before + secs(240) <= next.at && next.at <= after + secs(240));
        assert_eq!(
            (wrapping[1].since, wrapping[1].warned),
            (later, true),
            "the other chat keeps its own"
        );
        assert_eq!(wrapping.len(), 2);
    }

    /// An accepted connection probes a silent peer, on the schedule the constants say.
    #[tokio::test]
    async fn accepted_connections_probe_a_silent_peer() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let socket = socket2::SockRef::from(&accepted);
        assert!(!socket.keepalive().unwrap());
        keep_alive(&accepted).unwrap();
        assert!(socket.keepalive().unwrap());
        assert_eq!(socket.tcp_keepalive_time().unwrap(), KEEPALIVE_IDLE);
        assert_eq!(socket.tcp_keepalive_interval().unwrap(), KEEPALIVE_INTERVAL);
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        assert_eq!(
            socket.tcp_user_timeout().unwrap(),
            Some(Duration::from_secs(60))
        );
    }
}
