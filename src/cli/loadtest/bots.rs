//! The simulated parties: customers following a realistic script, executives answering
//! them, and the bare echo server and client that give the physical floor.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};
use tokio_util::sync::CancellationToken;

use super::stats::{SessionError, SessionOutcome};
use reclamos::protocol::{self, agent as to_agent, customer as say};
use reclamos::server::limits::TokenBucket;

/// Longest line the load generator accepts from a server.
const MAX_LINE: usize = 64 * 1024;

/// Free text the simulated customers type at the menu (one per customer, in turn) unless
/// `--free-text` says otherwise.
pub const FREE_TEXT: [&str; 4] = [
    "no me funciona el internet desde ayer",
    "quiero saber el estado de mis solicitudes",
    "la television se ve pixelada, pueden reiniciar el servicio?",
    "tengo una duda con mi boleta de este mes",
];

/// The step an echo round trip is recorded under.
const ECHO_STEP: &str = "echo";

/// What a customer writes to the executive.
const CHAT_LINE: &str = "Hola, me cobraron dos veces la boleta de este mes.";

/// Counts the load generator's open connections and remembers the peak.
#[derive(Debug, Default)]
pub struct Gauge {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    /// Connections open now.
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Most connections open at once so far.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    fn open(self: &Arc<Self>) -> GaugeGuard {
        let now = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        GaugeGuard(Arc::clone(self))
    }
}

/// Decrements the gauge when the connection is dropped.
struct GaugeGuard(Arc<Gauge>);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The `--hold` rendezvous: every customer waits here, just before saying goodbye, until
/// all of them have arrived or failed, so that all are connected at the same time.
pub struct Hold {
    remaining: AtomicUsize,
    held: AtomicUsize,
    released: watch::Sender<bool>,
    gauge: Arc<Gauge>,
    /// How long everybody stays held once all have arrived.
    pause: Duration,
    /// Whose memory to sample while everybody is held.
    server_pid: Option<u32>,
    rss_held_kib: AtomicU64,
}

impl Hold {
    /// A rendezvous for `parties` customers, released `pause` after the last arrives;
    /// meanwhile the resident memory of `server_pid` is sampled.
    pub fn new(
        parties: usize,
        gauge: Arc<Gauge>,
        pause: Duration,
        server_pid: Option<u32>,
    ) -> Arc<Hold> {
        let (released, _) = watch::channel(parties == 0);
        Arc::new(Hold {
            remaining: AtomicUsize::new(parties),
            held: AtomicUsize::new(0),
            released,
            gauge,
            pause,
            server_pid,
            rss_held_kib: AtomicU64::new(0),
        })
    }

    /// The server's resident memory while everybody was held, in KiB.
    pub fn rss_held_kib(&self) -> Option<u64> {
        Some(self.rss_held_kib.load(Ordering::SeqCst)).filter(|kib| *kib > 0)
    }

    /// Connections open when everybody had arrived.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// A ticket that counts as arrived when dropped, so a failed session never blocks the
    /// others.
    pub fn ticket(self: &Arc<Self>) -> HoldTicket {
        HoldTicket {
            hold: Some(Arc::clone(self)),
        }
    }

    fn arrive(self: &Arc<Self>) {
        if self.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.held.store(self.gauge.live(), Ordering::SeqCst);
            let hold = Arc::clone(self);
            tokio::spawn(async move {
                // Let the server settle (answers in flight) before sampling its memory.
                tokio::time::sleep(hold.pause / 2).await;
                if let Some(kib) = hold.server_pid.and_then(super::resident_kib) {
                    hold.rss_held_kib.store(kib, Ordering::SeqCst);
                }
                tokio::time::sleep(hold.pause - hold.pause / 2).await;
                hold.released.send_replace(true);
            });
        }
    }
}

/// One customer's place in the [`Hold`].
pub struct HoldTicket {
    hold: Option<Arc<Hold>>,
}

impl HoldTicket {
    /// Arrives and waits until everybody has.
    pub async fn wait(mut self) {
        if let Some(hold) = self.hold.take() {
            let mut released = hold.released.subscribe();
            hold.arrive();
            let _ = released.wait_for(|done| *done).await;
        }
    }
}

impl Drop for HoldTicket {
    fn drop(&mut self) {
        if let Some(hold) = self.hold.take() {
            hold.arrive();
        }
    }
}

/// A line connection with counters and per-read timeouts.
struct LineConn {
    reader: FramedRead<OwnedReadHalf, LinesCodec>,
    writer: FramedWrite<OwnedWriteHalf, LinesCodec>,
    sent: u64,
    received: u64,
    pace: Option<TokenBucket>,
    _open: GaugeGuard,
}

/// How the server announces that it drops lines sent too fast (docs/protocol.md, limits).
const RATE_LIMITED: &str = protocol::notice::FLOOD_WARNING_START;

/// Why a read did not give a line.
enum ReadError {
    Closed,
    Timeout,
    Io(String),
}

impl LineConn {
    async fn connect(addr: SocketAddr, gauge: &Arc<Gauge>) -> std::io::Result<LineConn> {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let open = gauge.open();
        let (read, write) = stream.into_split();
        Ok(LineConn {
            reader: FramedRead::new(read, LinesCodec::new_with_max_length(MAX_LINE)),
            writer: FramedWrite::new(write, LinesCodec::new()),
            sent: 0,
            received: 0,
            pace: None,
            _open: open,
        })
    }

    /// Sends at most `rate` lines per second from now on (bursts of `burst`), so a fast
    /// simulated executive stays within the server's per-connection rate limit.
    fn pace(&mut self, rate: f64, burst: u32) {
        self.pace = Some(TokenBucket::new(rate, burst));
    }

    async fn send(&mut self, line: &str) -> Result<(), SessionError> {
        if let Some(bucket) = &mut self.pace {
            while !bucket.take(Instant::now()) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        self.writer
            .send(line)
            .await
            .map_err(|err| SessionError::new("write", err.to_string()))?;
        self.sent += 1;
        Ok(())
    }

    async fn recv(&mut self, timeout: Duration) -> Result<String, ReadError> {
        match tokio::time::timeout(timeout, self.reader.next()).await {
            Err(_) => Err(ReadError::Timeout),
            Ok(None) => Err(ReadError::Closed),
            Ok(Some(Err(err))) => Err(ReadError::Io(err.to_string())),
            Ok(Some(Ok(line))) => {
                self.received += 1;
                Ok(line)
            }
        }
    }

    /// Reads lines until `pick` returns something, all within `timeout`.
    async fn wait_for<T>(
        &mut self,
        step: &str,
        timeout: Duration,
        mut pick: impl FnMut(&str) -> Option<T>,
    ) -> Result<T, SessionError> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left).await {
                Ok(line) => {
                    if let Some(found) = pick(&line) {
                        return Ok(found);
                    }
                    if line.starts_with(RATE_LIMITED) {
                        return Err(SessionError::new(format!("rate limited ({step})"), line));
                    }
                    last = line;
                }
                Err(ReadError::Timeout) => {
                    return Err(SessionError::new(
                        format!("timeout ({step})"),
                        format!("nothing after {timeout:?}; last line {last:?}"),
                    ))
                }
                Err(ReadError::Closed) => {
                    return Err(SessionError::new(
                        format!("closed ({step})"),
                        format!("server closed; last line {last:?}"),
                    ))
                }
                Err(ReadError::Io(err)) => {
                    return Err(SessionError::new(format!("io ({step})"), err))
                }
            }
        }
    }
}

/// How a bot answer ended: the line that completes it tells where the conversation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerEnd {
    /// The menu (its last line is `(4) Salir`).
    Menu,
    /// The list of requests, asking which one.
    Choosing,
    /// The classifier asks "¿Quiso decir ... o ...?".
    Clarify,
    /// Asked for the identity card's serial number.
    Serial,
    /// Put in the executives' queue.
    Queued,
    /// Leaving the queue came a moment too late: an executive took the conversation
    /// (the assignment follows).
    JustTaken,
    /// Said goodbye (the server closes next).
    Goodbye,
    /// The RUT was not accepted (the line says why).
    LoginRejected(String),
}

/// Recognises the last line of a bot answer (docs/protocol.md); `None` for any other line.
pub fn answer_end(line: &str) -> Option<AnswerEnd> {
    if line == say::MENU_LAST {
        return Some(AnswerEnd::Menu);
    }
    if !line.starts_with(protocol::BOT) {
        return None;
    }
    let end = if line == say::WHICH_REQUEST || line.ends_with(say::ASK_AGAIN_END) {
        AnswerEnd::Choosing
    } else if line.starts_with(say::CLARIFY_START) || line.starts_with(say::YES_NO_START) {
        AnswerEnd::Clarify
    } else if line == say::ASK_SERIAL || line.starts_with(say::SERIAL_MISMATCH_START) {
        AnswerEnd::Serial
    } else if line.starts_with(say::ENQUEUED_START) {
        AnswerEnd::Queued
    } else if line == say::JUST_TAKEN {
        AnswerEnd::JustTaken
    } else if line == say::GOODBYE {
        AnswerEnd::Goodbye
    } else if line.starts_with(say::INVALID_RUT_START)
        || line.contains(say::NOT_REGISTERED_MARK)
        || line == say::RUT_HINT
    {
        AnswerEnd::LoginRejected(line.to_string())
    } else {
        return None;
    };
    Some(end)
}

/// The executive's name in "Asistente: Lo atiende el ejecutivo X. Escriba ...".
pub fn assigned_agent(line: &str) -> Option<String> {
    let rest = line.strip_prefix(say::ASSIGNED_START)?;
    let name = rest
        .split(". ")
        .next()
        .unwrap_or(rest)
        .trim_end_matches('.');
    (!name.is_empty()).then(|| name.to_string())
}

/// One simulated customer's parameters.
#[derive(Clone)]
pub struct CustomerPlan {
    /// The customers' port.
    pub addr: SocketAddr,
    /// The RUT to log in with.
    pub rut: String,
    /// Queue for an executive and chat.
    pub chat: bool,
    /// Mean pause before each line (uniform in [t/2, 3t/2]).
    pub think: Duration,
    /// Extra rounds of listing the requests and going back to the menu.
    pub menu_rounds: usize,
    /// What the customer types at the menu.
    pub free_text: Arc<str>,
    /// Longest wait for any one answer.
    pub timeout: Duration,
    /// Longest wait to be assigned an executive.
    pub serve_timeout: Duration,
    /// Open-connection counter.
    pub gauge: Arc<Gauge>,
}

/// Runs one customer session and reports what it measured.
pub async fn run_customer(plan: CustomerPlan, hold: Option<HoldTicket>) -> SessionOutcome {
    let mut outcome = SessionOutcome::default();
    let mut conn = None;
    let result = customer_script(&plan, hold, &mut outcome, &mut conn).await;
    if let Some(conn) = conn {
        outcome.sent = conn.sent;
        outcome.received = conn.received;
    }
    outcome.error = result.err();
    outcome
}

async fn think(mean: Duration) {
    if mean.is_zero() {
        return;
    }
    let factor = rand::thread_rng().gen_range(0.5..1.5);
    tokio::time::sleep(mean.mul_f64(factor)).await;
}

/// Sends `line` and waits for the end of the bot's answer, recording the round trip.
async fn ask(
    conn: &mut LineConn,
    line: &str,
    step: &'static str,
    plan: &CustomerPlan,
    outcome: &mut SessionOutcome,
) -> Result<AnswerEnd, SessionError> {
    think(plan.think).await;
    let start = Instant::now();
    conn.send(line).await?;
    let end = conn.wait_for(step, plan.timeout, answer_end).await?;
    outcome.rtts.push((step, start.elapsed()));
    Ok(end)
}

fn unexpected(step: &str, end: &AnswerEnd) -> SessionError {
    SessionError::new(format!("unexpected answer ({step})"), format!("{end:?}"))
}

/// Answers whatever question the bot asked so that the conversation is back at the menu.
async fn back_to_menu(
    conn: &mut LineConn,
    mut end: AnswerEnd,
    plan: &CustomerPlan,
    outcome: &mut SessionOutcome,
) -> Result<(), SessionError> {
    for _ in 0..3 {
        let reply = match &end {
            AnswerEnd::Menu => return Ok(()),
            AnswerEnd::Choosing | AnswerEnd::Serial => "volver",
            AnswerEnd::Clarify => "no",
            AnswerEnd::Queued => "cancelar",
            // Taken before the "cancelar" arrived: chat until the executive closes, as a
            // customer would.
            AnswerEnd::JustTaken => {
                let agent = conn
                    .wait_for("taken by an executive", plan.timeout, assigned_agent)
                    .await?;
                return chat_until_closed(conn, &agent, plan, outcome).await;
            }
            AnswerEnd::Goodbye | AnswerEnd::LoginRejected(_) => {
                return Err(unexpected("back to the menu", &end))
            }
        };
        end = ask(conn, reply, "back to the menu", plan, outcome).await?;
    }
    Err(unexpected("back to the menu", &end))
}

async fn customer_script(
    plan: &CustomerPlan,
    hold: Option<HoldTicket>,
    outcome: &mut SessionOutcome,
    slot: &mut Option<LineConn>,
) -> Result<(), SessionError> {
    let start = Instant::now();
    let conn = LineConn::connect(plan.addr, &plan.gauge)
        .await
        .map_err(|err| SessionError::new("connect", err.to_string()))?;
    let conn = slot.insert(conn);
    conn.wait_for("greeting", plan.timeout, |line| {
        (line == say::GREETING).then_some(())
    })
    .await?;
    outcome.connect = Some(start.elapsed());

    match ask(conn, &plan.rut, "login", plan, outcome).await? {
        AnswerEnd::Menu => {}
        AnswerEnd::LoginRejected(line) => return Err(SessionError::new("login rejected", line)),
        other => return Err(unexpected("login", &other)),
    }

    // Option 1, then the first request.
    let end = ask(conn, "1", "request list", plan, outcome).await?;
    let end = match end {
        AnswerEnd::Choosing => ask(conn, "1", "request detail", plan, outcome).await?,
        other => other,
    };
    back_to_menu(conn, end, plan, outcome).await?;

    // Free text through the classifier.
    let end = ask(conn, &plan.free_text, "free text", plan, outcome).await?;
    back_to_menu(conn, end, plan, outcome).await?;

    for _ in 0..plan.menu_rounds {
        let end = ask(conn, "1", "request list", plan, outcome).await?;
        back_to_menu(conn, end, plan, outcome).await?;
    }

    if plan.chat {
        chat_with_executive(conn, plan, outcome).await?;
    }

    if let Some(ticket) = hold {
        ticket.wait().await;
    }

    match ask(conn, "4", "goodbye", plan, outcome).await? {
        AnswerEnd::Goodbye => {}
        other => return Err(unexpected("goodbye", &other)),
    }
    match conn.recv(plan.timeout).await {
        Err(ReadError::Closed) => Ok(()),
        Err(ReadError::Timeout) => Err(SessionError::new(
            "not closed after goodbye",
            format!("still open after {:?}", plan.timeout),
        )),
        Err(ReadError::Io(err)) => Err(SessionError::new("io (after goodbye)", err)),
        Ok(line) => Err(SessionError::new("line after goodbye", line)),
    }
}

/// Option 3: waits for an executive, exchanges one message, waits for them to close.
async fn chat_with_executive(
    conn: &mut LineConn,
    plan: &CustomerPlan,
    outcome: &mut SessionOutcome,
) -> Result<(), SessionError> {
    think(plan.think).await;
    let start = Instant::now();
    conn.send("3").await?;
    let agent = conn
        .wait_for(
            "waiting for an executive",
            plan.serve_timeout,
            assigned_agent,
        )
        .await?;
    outcome.served = Some(start.elapsed());
    chat_until_closed(conn, &agent, plan, outcome).await
}

/// In a chat with `agent`: waits for their greeting, sends one line, waits for their answer
/// and for the menu that follows their closing the chat. Back at the menu at once when the
/// chat ends before the greeting.
async fn chat_until_closed(
    conn: &mut LineConn,
    agent: &str,
    plan: &CustomerPlan,
    outcome: &mut SessionOutcome,
) -> Result<(), SessionError> {
    let prefix = format!("{agent}: ");
    let greeted = conn
        .wait_for("executive's greeting", plan.timeout, |line| {
            if line.starts_with(&prefix) {
                Some(true)
            } else {
                (line == say::MENU_LAST).then_some(false)
            }
        })
        .await?;
    if !greeted {
        return Ok(());
    }
    think(plan.think).await;
    let start = Instant::now();
    conn.send(CHAT_LINE).await?;
    conn.wait_for("executive's answer", plan.timeout, |line| {
        line.starts_with(&prefix).then_some(())
    })
    .await?;
    outcome.chat_rtts.push(start.elapsed());
    conn.wait_for("end of the chat", plan.timeout, |line| {
        (line == say::MENU_LAST).then_some(())
    })
    .await
}

/// What a simulated executive did.
#[derive(Debug, Default)]
pub struct AgentOutcome {
    /// Lines written.
    pub sent: u64,
    /// Lines read.
    pub received: u64,
    /// Customers served.
    pub served: u64,
    /// Why it stopped early.
    pub error: Option<SessionError>,
}

/// One simulated executive's parameters.
#[derive(Clone)]
pub struct AgentPlan {
    /// The executives' port.
    pub addr: SocketAddr,
    /// The access token.
    pub token: String,
    /// Executive name.
    pub name: String,
    /// Longest wait for a login answer.
    pub timeout: Duration,
    /// Mean pause before each line.
    pub think: Duration,
    /// Most lines per second the executive sends.
    pub rate: f64,
    /// Open-connection counter.
    pub gauge: Arc<Gauge>,
}

/// Logs in, reports readiness, then serves customers (greets, answers their first line,
/// closes the chat) until `stop` is cancelled.
pub async fn run_agent(
    plan: AgentPlan,
    ready: tokio::sync::oneshot::Sender<Result<(), SessionError>>,
    stop: CancellationToken,
) -> AgentOutcome {
    let mut outcome = AgentOutcome::default();
    let mut conn = match LineConn::connect(plan.addr, &plan.gauge).await {
        Ok(conn) => conn,
        Err(err) => {
            let err = SessionError::new("executive connect", err.to_string());
            let _ = ready.send(Err(err.clone()));
            outcome.error = Some(err);
            return outcome;
        }
    };
    conn.pace(plan.rate, 3);
    let login = agent_login(&mut conn, &plan).await;
    let _ = ready.send(login.clone());
    if let Err(err) = login {
        outcome.error = Some(err);
    } else {
        let served = tokio::select! {
            () = stop.cancelled() => Ok(()),
            result = agent_loop(&mut conn, &plan, &mut outcome.served) => result,
        };
        outcome.error = served.err();
    }
    outcome.sent = conn.sent;
    outcome.received = conn.received;
    outcome
}

async fn agent_login(conn: &mut LineConn, plan: &AgentPlan) -> Result<(), SessionError> {
    conn.wait_for("executive greeting", plan.timeout, |line| {
        (line == to_agent::GREETING).then_some(())
    })
    .await?;
    conn.send(&plan.token).await?;
    let accepted = conn
        .wait_for("token answer", plan.timeout, |line| {
            (line == to_agent::TOKEN_ACCEPTED || line == to_agent::TOKEN_INVALID)
                .then(|| line == to_agent::TOKEN_ACCEPTED)
        })
        .await?;
    if !accepted {
        return Err(SessionError::new(
            "executive token rejected",
            "check --token",
        ));
    }
    conn.send(&plan.name).await?;
    let welcomed = conn
        .wait_for("executive welcome", plan.timeout, |line| {
            let welcome = line.starts_with(to_agent::WELCOME_START);
            (welcome || line.contains(to_agent::NAME_TAKEN_MARK)).then_some(welcome)
        })
        .await?;
    if !welcomed {
        return Err(SessionError::new(
            "executive name in use",
            plan.name.clone(),
        ));
    }
    Ok(())
}

async fn agent_loop(
    conn: &mut LineConn,
    plan: &AgentPlan,
    served: &mut u64,
) -> Result<(), SessionError> {
    let mut customer: Option<String> = None;
    loop {
        let line = match conn.recv(Duration::from_secs(24 * 3600)).await {
            Ok(line) => line,
            Err(ReadError::Timeout) => continue,
            Err(ReadError::Closed) => {
                return Err(SessionError::new("executive disconnected", "server closed"))
            }
            Err(ReadError::Io(err)) => return Err(SessionError::new("executive io", err)),
        };
        if line.starts_with(RATE_LIMITED) {
            return Err(SessionError::new("executive rate limited", line));
        }
        if let Some(rest) = line.strip_prefix(to_agent::NEW_CUSTOMER_START) {
            let name = rest.split(" (RUT").next().unwrap_or(rest).to_string();
            customer = Some(name);
            think(plan.think).await;
            conn.send(&format!(
                "Hola, soy {}, ejecutivo de prueba. ¿En qué le puedo ayudar?",
                plan.name
            ))
            .await?;
            continue;
        }
        let Some(name) = &customer else {
            continue;
        };
        if line.starts_with(&format!("{name}: ")) {
            think(plan.think).await;
            conn.send("Entendido, queda registrado. Gracias por su paciencia.")
                .await?;
            conn.send(":close").await?;
            customer = None;
            *served += 1;
        } else if line.starts_with(to_agent::CUSTOMER_LEFT_START) {
            // They left or disconnected before we answered: the ended chat stays on the
            // desk (and the commands on it) until it is closed.
            conn.send(":close").await?;
            customer = None;
        }
    }
}

/// Listen backlog of the echo server (the kernel caps it at `net.core.somaxconn`).
const ECHO_BACKLOG: u32 = 4096;

/// Starts a bare line-echo server on a free port of 127.0.0.1 (the floor any line server
/// can reach on this machine), which keeps its thread busy for `work` before answering
/// each line (zero for the bare floor); it stops with `stop`.
pub async fn start_echo_server(
    stop: CancellationToken,
    work: Duration,
) -> std::io::Result<SocketAddr> {
    // A deep accept queue (tokio's `bind` uses 128): the floor should not include SYN
    // retransmissions caused by a short backlog during a burst of connections.
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let listener = socket.listen(ECHO_BACKLOG)?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = stop.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        tracing::warn!(cause = %err, "echo server accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let stop = stop.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let (read, write) = stream.into_split();
                let mut lines = FramedRead::new(read, LinesCodec::new_with_max_length(MAX_LINE));
                let mut out = FramedWrite::new(write, LinesCodec::new());
                loop {
                    let line = tokio::select! {
                        () = stop.cancelled() => return,
                        line = lines.next() => line,
                    };
                    match line {
                        Some(Ok(line)) => {
                            burn(work);
                            if out.send(line).await.is_err() {
                                return;
                            }
                        }
                        _ => return,
                    }
                }
            });
        }
    });
    Ok(addr)
}

/// Keeps this thread busy for `work`: the echo server's stand-in for a server's own work
/// on a line (`--echo-cpu-us`). Returns at once for zero.
fn burn(work: Duration) {
    if work.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < work {
        std::hint::spin_loop();
    }
}

/// One echo session: connect, then `exchanges` lines each waited for, like a customer's
/// round trips with the same think time.
pub async fn run_echo_client(
    addr: SocketAddr,
    exchanges: usize,
    think_mean: Duration,
    timeout: Duration,
    gauge: Arc<Gauge>,
) -> SessionOutcome {
    let mut outcome = SessionOutcome::default();
    let start = Instant::now();
    let mut conn = match LineConn::connect(addr, &gauge).await {
        Ok(conn) => conn,
        Err(err) => {
            outcome.error = Some(SessionError::new("connect", err.to_string()));
            return outcome;
        }
    };
    outcome.connect = Some(start.elapsed());
    for k in 0..exchanges {
        think(think_mean).await;
        let line = format!("Asistente: mensaje de prueba {k}");
        let start = Instant::now();
        if let Err(err) = conn.send(&line).await {
            outcome.error = Some(err);
            break;
        }
        match conn
            .wait_for("echo", timeout, |got| (got == line).then_some(()))
            .await
        {
            Ok(()) => outcome.rtts.push((ECHO_STEP, start.elapsed())),
            Err(err) => {
                outcome.error = Some(err);
                break;
            }
        }
    }
    outcome.sent = conn.sent;
    outcome.received = conn.received;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_end_table() {
        let rejected = say::not_registered("50.000.001-5");
        let table: Vec<(String, Option<AnswerEnd>)> = vec![
            (say::MENU_LAST.into(), Some(AnswerEnd::Menu)),
            (say::MENU[2].into(), None),
            (say::hello("Jorge"), None),
            (say::WHICH_REQUEST.into(), Some(AnswerEnd::Choosing)),
            (
                say::ask_again(say::NOT_RECOGNISED, 2),
                Some(AnswerEnd::Choosing),
            ),
            (say::clarify((1, "a"), (2, "b")), Some(AnswerEnd::Clarify)),
            (say::yes_no(1, 2), Some(AnswerEnd::Clarify)),
            (say::ASK_SERIAL.into(), Some(AnswerEnd::Serial)),
            (say::serial_mismatch(2), Some(AnswerEnd::Serial)),
            (say::enqueued(1), Some(AnswerEnd::Queued)),
            (say::JUST_TAKEN.into(), Some(AnswerEnd::JustTaken)),
            (say::assigned("JuanPerez", 9), None),
            (say::GOODBYE.into(), Some(AnswerEnd::Goodbye)),
            (rejected.clone(), Some(AnswerEnd::LoginRejected(rejected))),
            (format!("JuanPerez: {}", say::MENU_LAST), None),
        ];
        for (line, expected) in table {
            assert_eq!(answer_end(&line), expected, "{line}");
        }
    }

    #[test]
    fn assigned_agent_names() {
        assert_eq!(
            assigned_agent(&say::assigned("JuanPerez", 9)).as_deref(),
            Some("JuanPerez")
        );
        assert_eq!(
            assigned_agent(&say::assigned("J.Perez", 9)).as_deref(),
            Some("J.Perez")
        );
        assert_eq!(assigned_agent(&say::queue_position(2)), None);
    }

    /// A customer's "cancelar" that reaches the queue just after an executive took them
    /// gets "just taken", then the assignment: the simulated customer chats until the
    /// executive closes, instead of waiting for a menu that does not come.
    #[tokio::test]
    async fn a_cancel_that_loses_the_race_with_an_executive_ends_in_a_chat() {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut lines = tokio::io::BufReader::new(read).lines();
            let mut heard = Vec::new();
            let cancel = lines.next_line().await.unwrap().unwrap();
            let taken = format!(
                "{}\n{}\nAna: Hola, ¿en qué le ayudo?\n",
                say::JUST_TAKEN,
                say::assigned("Ana", 9)
            );
            write.write_all(taken.as_bytes()).await.unwrap();
            heard.push(cancel);
            let chat = lines.next_line().await.unwrap().unwrap();
            let closed = format!("Ana: Entendido.\n{}\n", say::MENU.join("\n"));
            write.write_all(closed.as_bytes()).await.unwrap();
            heard.push(chat);
            heard
        });
        let gauge = Arc::new(Gauge::default());
        let plan = CustomerPlan {
            addr,
            rut: String::new(),
            chat: false,
            think: Duration::ZERO,
            menu_rounds: 0,
            free_text: Arc::from(""),
            timeout: Duration::from_secs(30),
            serve_timeout: Duration::from_secs(30),
            gauge: Arc::clone(&gauge),
        };
        let mut conn = LineConn::connect(addr, &gauge).await.unwrap();
        let mut outcome = SessionOutcome::default();
        back_to_menu(&mut conn, AnswerEnd::Queued, &plan, &mut outcome)
            .await
            .expect("back at the menu");
        assert_eq!(server.await.unwrap(), ["cancelar", CHAT_LINE]);
        assert_eq!(outcome.chat_rtts.len(), 1);
    }

    #[tokio::test]
    async fn hold_releases_when_everybody_arrived_or_failed() {
        let gauge = Arc::new(Gauge::default());
        let hold = Hold::new(3, Arc::clone(&gauge), Duration::ZERO, None);
        let first = tokio::spawn(hold.ticket().wait());
        let second = tokio::spawn(hold.ticket().wait());
        tokio::task::yield_now().await;
        assert!(!first.is_finished() && !second.is_finished());
        // The third customer fails: dropping its ticket must release the others.
        drop(hold.ticket());
        tokio::time::timeout(Duration::from_secs(10), async {
            first.await.unwrap();
            second.await.unwrap();
        })
        .await
        .expect("released");
    }
}
