//! One task per connection: completes the TLS handshake when TLS is on, frames lines,
//! enforces limits and timeouts, and moves lines between the socket and the connection's
//! conversation. Everything after the handshake is generic over the byte stream, so plain
//! TCP and TLS share one code path.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::codec::{Framed, FramedParts};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::codec::{LineCodec, LineError};
use super::limits::{AuthThrottle, Limits, TokenBucket};
use super::metrics::Metrics;
use crate::conversation::{
    AgentConversation, CustomerConversation, Idle, Reply, Services, AGENT_GREETING,
    CUSTOMER_GREETING,
};
use crate::hub::{AgentEvent, CustomerEvent, SessionId};
use crate::nlu::select::ModelWorker;
use crate::nlu::Prediction;

/// Which port a connection came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The customers' port.
    Customer,
    /// The executives' port.
    Agent,
}

/// State shared by every connection task.
pub struct Shared {
    pub(super) services: Services,
    /// Classifies free text off the runtime when the classifier is expensive (a model).
    classifier: ModelWorker,
    pub(super) limits: Limits,
    throttle: AuthThrottle,
    tls: Option<TlsAcceptor>,
    pub(super) metrics: Arc<Metrics>,
}

impl Shared {
    pub(super) fn new(
        services: Services,
        classifier: ModelWorker,
        limits: Limits,
        tls: Option<TlsAcceptor>,
        metrics: Arc<Metrics>,
    ) -> Shared {
        Shared {
            services,
            classifier,
            limits,
            throttle: AuthThrottle::default(),
            tls,
            metrics,
        }
    }
}

/// A connection's byte stream after the handshake: a `TcpStream` or a TLS stream over one.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

/// What a connection task drives: a customer or an executive conversation.
trait Party {
    type Event: Send;
    /// Who speaks for the server on this port (`Asistente` to customers, `Sistema` to
    /// executives).
    const SPEAKER: &'static str;
    fn greeting(&self) -> &'static str;
    fn handle_line(
        &mut self,
        line: &str,
        services: &Services,
    ) -> impl Future<Output = Reply> + Send;
    /// Whether `line` is free text the classifier must read (only customers have any).
    fn wants_classification(&self, _line: &str) -> bool {
        false
    }
    fn handle_line_classified(
        &mut self,
        line: &str,
        _prediction: Prediction,
        services: &Services,
    ) -> impl Future<Output = Reply> + Send {
        self.handle_line(line, services)
    }
    fn handle_event(
        &mut self,
        event: Self::Event,
        services: &Services,
    ) -> impl Future<Output = Reply> + Send;
    fn idle_timeout(&self, limits: &Limits) -> Option<Duration>;
    fn disconnected(&mut self, services: &Services);
}

impl Party for CustomerConversation {
    type Event = CustomerEvent;
    const SPEAKER: &'static str = "Asistente";
    fn greeting(&self) -> &'static str {
        CUSTOMER_GREETING
    }
    async fn handle_line(&mut self, line: &str, services: &Services) -> Reply {
        CustomerConversation::handle_line(self, line, services).await
    }
    async fn handle_event(&mut self, event: CustomerEvent, services: &Services) -> Reply {
        CustomerConversation::handle_event(self, event, services)
    }
    fn wants_classification(&self, line: &str) -> bool {
        CustomerConversation::wants_classification(self, line)
    }
    async fn handle_line_classified(
        &mut self,
        line: &str,
        prediction: Prediction,
        services: &Services,
    ) -> Reply {
        CustomerConversation::handle_line_classified(self, line, prediction, services).await
    }
    fn idle_timeout(&self, limits: &Limits) -> Option<Duration> {
        match self.idle() {
            Idle::Login => Some(limits.login_timeout),
            Idle::Active => Some(limits.idle_timeout),
            Idle::Waiting => None,
        }
    }
    fn disconnected(&mut self, services: &Services) {
        CustomerConversation::disconnected(self, services);
    }
}

impl Party for AgentConversation {
    type Event = AgentEvent;
    const SPEAKER: &'static str = "Sistema";
    fn greeting(&self) -> &'static str {
        AGENT_GREETING
    }
    async fn handle_line(&mut self, line: &str, services: &Services) -> Reply {
        AgentConversation::handle_line(self, line, services).await
    }
    async fn handle_event(&mut self, event: AgentEvent, services: &Services) -> Reply {
        AgentConversation::handle_event(self, event, services).await
    }
    fn idle_timeout(&self, limits: &Limits) -> Option<Duration> {
        if self.name().is_some() {
            Some(limits.agent_idle_timeout)
        } else {
            Some(limits.login_timeout)
        }
    }
    fn disconnected(&mut self, services: &Services) {
        AgentConversation::disconnected(self, services);
    }
}

/// Calls `disconnected` however the task ends (return, `?`, panic), so that a vanished
/// party never stays in the queue or the pool.
struct Guard<'a, P: Party> {
    party: P,
    services: &'a Services,
}

impl<P: Party> Drop for Guard<'_, P> {
    fn drop(&mut self) {
        self.party.disconnected(self.services);
    }
}

/// Why a connection ended (for the logs).
#[derive(Debug)]
enum End {
    ClientClosed,
    Finished,
    LineTooLong,
    Flood,
    Idle,
    SlowReader,
    Shutdown,
    Io(std::io::Error),
    TlsHandshake(std::io::Error),
    TlsHandshakeTimeout,
}

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
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let session = SessionId::next();
    let span = tracing::info_span!("connection", %session, %peer, ?kind);
    let _open = shared.metrics.connection();
    async move {
        tracing::debug!("accepted");
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(cause = %err, "set_nodelay");
        }
        // Each kind of stream's conversation is boxed: an idle plain-TCP connection then
        // holds a future of its own size, not one sized for the largest (TLS) variant.
        let end = match &shared.tls {
            None => Box::pin(converse(kind, session, stream, peer, &shared, shutdown)).await,
            Some(acceptor) => {
                match tls_handshake(acceptor, stream, &shared.limits, &shutdown).await {
                    Ok(stream) => {
                        Box::pin(converse(kind, session, stream, peer, &shared, shutdown)).await
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

/// Runs the conversation of the port's kind on an established stream, then closes the
/// stream cleanly (for TLS, with a close_notify alert).
async fn converse<S: Stream>(
    kind: Kind,
    session: SessionId,
    stream: S,
    peer: SocketAddr,
    shared: &Shared,
    shutdown: CancellationToken,
) -> End {
    let mut framed = framed(stream, shared.limits.max_line_length);
    let kick = CancellationToken::new();
    let end = match kind {
        Kind::Customer => {
            let (tx, rx) = mpsc::channel(shared.limits.send_queue);
            let party = CustomerConversation::new(session, tx, kick.clone());
            drive(party, rx, &mut framed, peer, shared, kick, shutdown).await
        }
        Kind::Agent => {
            let penalty = shared.throttle.penalty(peer.ip(), Instant::now());
            if !penalty.is_zero() {
                tokio::time::sleep(penalty).await;
            }
            let (tx, rx) = mpsc::channel(shared.limits.send_queue);
            let party = AgentConversation::new(session, tx, kick.clone());
            drive(party, rx, &mut framed, peer, shared, kick, shutdown).await
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

async fn drive<P: Party, S: Stream>(
    party: P,
    mut events: mpsc::Receiver<P::Event>,
    framed: &mut Lines<S>,
    peer: SocketAddr,
    shared: &Shared,
    kick: CancellationToken,
    shutdown: CancellationToken,
) -> End {
    let limits = &shared.limits;
    let services = &shared.services;
    let mut guard = Guard { party, services };
    let notice = |text: &str| format!("{}: {text}", P::SPEAKER);
    let mut bucket = TokenBucket::new(limits.rate, limits.burst);
    let mut strikes = 0u32;
    if let Err(end) = send(framed, &[guard.party.greeting()], limits).await {
        return end;
    }
    // The futures that outlive one message are made once: polling a fresh `cancelled()`
    // (on a token every connection shares) or a fresh timer for every message would cost
    // a shared lock or a timer-wheel update per message.
    let shut_down = shutdown.cancelled();
    let kicked = kick.cancelled();
    // The idle timeout counts from the last activity. The timer is moved lazily: activity
    // only moves the deadline, and when the timer fires before the deadline it is re-armed
    // for it (at most once per timeout period instead of once per message).
    let mut last_activity = tokio::time::Instant::now();
    let idle_timer = tokio::time::sleep(FAR_FUTURE);
    tokio::pin!(shut_down, kicked, idle_timer);
    loop {
        let idle_deadline = guard
            .party
            .idle_timeout(limits)
            .map(|timeout| last_activity + timeout);
        if let Some(deadline) = idle_deadline {
            if idle_timer.deadline() > deadline {
                idle_timer.as_mut().reset(deadline);
            }
        }
        // When the reply answers a line read now (not an event or a notice).
        let mut line_read_at = None;
        let reply = tokio::select! {
            biased;
            () = &mut shut_down => {
                let _ = send(framed, &[notice(SHUTDOWN_NOTICE)], limits).await;
                return End::Shutdown;
            }
            () = &mut kicked => {
                let _ = send(framed, &[notice(SLOW_READER_NOTICE)], limits).await;
                return End::SlowReader;
            }
            Some(event) = events.recv() => {
                last_activity = tokio::time::Instant::now();
                guard.party.handle_event(event, services).await
            }
            frame = framed.next() => match frame {
                None => return End::ClientClosed,
                Some(Err(LineError::TooLong(max))) => {
                    let notice = format!(
                        "{}: Su mensaje supera el máximo de {max} bytes por línea. Cerramos la conexión.",
                        P::SPEAKER
                    );
                    let _ = send(framed, &[notice], limits).await;
                    return End::LineTooLong;
                }
                Some(Err(LineError::Io(err))) => return End::Io(err),
                Some(Ok(line)) => {
                    last_activity = tokio::time::Instant::now();
                    let now = Instant::now();
                    if bucket.take(now) {
                        strikes = 0;
                        line_read_at = Some(now);
                        if shared.classifier.has_threads() && guard.party.wants_classification(&line) {
                            // The model runs on its own threads; this task waits without
                            // blocking the runtime (or gets the YAML answer when saturated).
                            let prediction = shared.classifier.classify(line.trim()).await;
                            guard.party.handle_line_classified(&line, prediction, services).await
                        } else {
                            guard.party.handle_line(&line, services).await
                        }
                    } else {
                        strikes += 1;
                        if strikes > limits.burst {
                            let _ = send(framed, &[notice(FLOOD_CLOSE)], limits).await;
                            return End::Flood;
                        }
                        if strikes == 1 {
                            Reply { lines: vec![notice(FLOOD_WARNING)], ..Reply::default() }
                        } else {
                            continue;
                        }
                    }
                }
            },
            () = &mut idle_timer, if idle_deadline.is_some() => {
                match idle_deadline {
                    Some(deadline) if tokio::time::Instant::now() < deadline => {
                        idle_timer.as_mut().reset(deadline);
                        continue;
                    }
                    _ => {
                        let _ = send(framed, &[notice(IDLE_NOTICE)], limits).await;
                        return End::Idle;
                    }
                }
            }
        };
        if reply.auth_failed {
            let delay = shared.throttle.failed(peer.ip(), Instant::now());
            tracing::warn!(?delay, "executive authentication failed");
            tokio::time::sleep(delay).await;
        }
        if let Err(end) = send(framed, &reply.lines, limits).await {
            return end;
        }
        // A failed executive login waited out its penalty: that is not answer time.
        if let Some(read_at) =
            line_read_at.filter(|_| !reply.lines.is_empty() && !reply.auth_failed)
        {
            shared.metrics.answered(read_at.elapsed());
        }
        if reply.close {
            return End::Finished;
        }
    }
}

/// Where the idle timer waits while no timeout applies (a customer in the queue).
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

const SHUTDOWN_NOTICE: &str =
    "El servicio se está cerrando por mantención. Por favor vuelva a conectarse en unos minutos.";
const SLOW_READER_NOTICE: &str =
    "Su conexión no está recibiendo los mensajes a tiempo. Cerramos la conexión.";
const FLOOD_WARNING: &str =
    "Está enviando mensajes demasiado rápido; los que exceden el límite no se procesan. Si continúa, cerraremos la conexión.";
const FLOOD_CLOSE: &str = "Conexión cerrada por exceso de mensajes.";
const IDLE_NOTICE: &str =
    "Cerramos la conexión por inactividad. Puede volver a conectarse cuando quiera.";
const BUSY_NOTICE: &str =
    "Asistente: En este momento estamos atendiendo al máximo de clientes. Por favor intente nuevamente en unos minutos.";

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

/// Answers a connection beyond the limit with a polite line and closes it (over TLS when
/// TLS is on, so the client can read it).
pub(super) async fn refuse(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    tracing::warn!(%peer, "connection limit reached: refusing");
    let limits = &shared.limits;
    match &shared.tls {
        None => refuse_on(stream, limits).await,
        Some(acceptor) => {
            let handshake = tokio::time::timeout(limits.write_timeout, acceptor.accept(stream));
            if let Ok(Ok(stream)) = handshake.await {
                refuse_on(stream, limits).await;
            }
        }
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

async fn refuse_on<S: Stream>(stream: S, limits: &Limits) {
    let mut framed = framed(stream, limits.max_line_length);
    let _ = send(&mut framed, &[BUSY_NOTICE], limits).await;
    let _ = tokio::time::timeout(limits.write_timeout, framed.get_mut().shutdown()).await;
}
