//! The server: the only part of reclamos that touches sockets.
//!
//! Two listeners (customers, executives) accept connections. Each admitted connection gets
//! one task (the private `connection` module), the driver of its conversation: it frames
//! lines ([`codec`]), enforces the limits ([`limits`]), asks the classifier about free text,
//! feeds each input to the conversation's `step` and carries out the effects it returns:
//! lines to the socket, console lines, and store and hub operations (run by the private
//! `effects` module, with [`Services`]) whose results it feeds back.
//! [`metrics`] counts connections and answer times, logged only when asked
//! (`Config::stats_every`). Shutdown is cooperative: a `CancellationToken` stops the accept
//! loops and tells every connection to say goodbye, and a `TaskTracker` waits for them
//! (bounded by a grace period). With `--tls-cert` and `--tls-key` both ports speak TLS; each
//! connection's handshake runs in its own task.
//!
//! Before a connection gets its task it passes its port's door: a PROXY header is read
//! first when it comes from a configured load balancer ([`proxy`]), then [`admission`]
//! checks the port's caps and the client address's limits, spending from the per-address
//! [`budget`]s; a refused connection gets one line in its port's voice and is closed.

pub mod admission;
pub mod budget;
pub mod codec;
mod connection;
mod effects;
pub mod limits;
pub mod metrics;
pub mod proxy;
mod warn_throttle;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth;
use crate::console::Console;
use crate::conversation::Policy;
use crate::hub::Hub;
use crate::nlu::select::{self, ClassifierArgs, ModelWorker};
use crate::protocol::console as to_console;
use crate::registry::{InboxRetention, Location, Registry, SqliteSync, StoreConfig};
use admission::Gate;
use budget::{Budgets, Port};
pub use effects::{run_hub_op, Reach, Services};
pub use limits::Limits;
use metrics::Metrics;
use proxy::Proxies;
use warn_throttle::WarnThrottle;

/// The customers' port when none is given.
pub const DEFAULT_CUSTOMER_PORT: u16 = 5555;
/// The executives' port when none is given.
pub const DEFAULT_AGENT_PORT: u16 = 5556;
/// The interface both ports listen on (and the clients connect to) when none is given.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// The database file when none is given.
pub const DEFAULT_DB: &str = "reclamos.db";
/// The time zone the chat shows times in: the desk's, Chile's (whatever the host's).
pub const DEFAULT_TIME_ZONE: chrono_tz::Tz = chrono_tz::America::Santiago;

/// The PEM files that turn TLS on for both ports.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain, leaf first.
    pub cert: PathBuf,
    /// The certificate's private key.
    pub key: PathBuf,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Customers' listening address.
    pub customer_addr: String,
    /// Executives' listening address.
    pub agent_addr: String,
    /// Where the registry lives: an SQLite file or a PostgreSQL connection string.
    pub db: Location,
    /// PostgreSQL: connections in this node's pool.
    pub db_pool: usize,
    /// SQLite: when a commit counts as done.
    pub sqlite_sync: SqliteSync,
    /// Intents file, or the embedded one.
    pub intents: Option<PathBuf>,
    /// Where the executives' token lives.
    pub token_file: PathBuf,
    /// Use this token instead of the file's (tests).
    pub token: Option<String>,
    /// Customers per executive.
    pub agent_capacity: usize,
    /// Security policy.
    pub policy: Policy,
    /// Synthetic customers to seed.
    pub demo_load_customers: usize,
    /// Database size cap in bytes (0: none).
    pub db_max_bytes: u64,
    /// How much of the NLU inbox (messages kept for `reclamos nlu review`) the store keeps.
    pub inbox_retention: InboxRetention,
    /// Connection limits and timeouts.
    pub limits: Limits,
    /// How often to log the server's statistics (zero: never).
    pub stats_every: Duration,
    /// Which classifier answers free text.
    pub classifier: ClassifierArgs,
    /// Serve both ports over TLS (`None`: plain TCP).
    pub tls: Option<TlsFiles>,
    /// The time zone the chat shows times in.
    pub time_zone: chrono_tz::Tz,
}

/// The server's defaults, the ones `reclamos server` shows: both ports on [`DEFAULT_HOST`],
/// `reclamos.db`, the token in [`auth::default_token_path`], one customer per executive,
/// statistics off.
impl Default for Config {
    fn default() -> Config {
        Config {
            customer_addr: format!("{DEFAULT_HOST}:{DEFAULT_CUSTOMER_PORT}"),
            agent_addr: format!("{DEFAULT_HOST}:{DEFAULT_AGENT_PORT}"),
            db: Location::Sqlite(PathBuf::from(DEFAULT_DB)),
            db_pool: StoreConfig::default().pool_size,
            sqlite_sync: StoreConfig::default().sqlite_sync,
            intents: None,
            token_file: auth::default_token_path(),
            token: None,
            agent_capacity: 1,
            policy: Policy::default(),
            demo_load_customers: 0,
            db_max_bytes: 0,
            inbox_retention: InboxRetention::default(),
            limits: Limits::default(),
            stats_every: Duration::ZERO,
            classifier: ClassifierArgs::default(),
            tls: None,
            time_zone: DEFAULT_TIME_ZONE,
        }
    }
}

impl Config {
    /// A configuration for tests and the load generator: free ports on 127.0.0.1, the given
    /// database and token.
    pub fn local(db: impl Into<Location>, token: &str) -> Config {
        Config {
            customer_addr: "127.0.0.1:0".into(),
            agent_addr: "127.0.0.1:0".into(),
            db: db.into(),
            token_file: PathBuf::new(),
            token: Some(token.to_string()),
            ..Config::default()
        }
    }
}

/// A running server.
pub struct Server {
    /// Where customers connect.
    pub customer_addr: SocketAddr,
    /// Where executives connect.
    pub agent_addr: SocketAddr,
    /// The services (registry, hub...) shared by the connections.
    pub services: Services,
    /// Connection counts and answer times.
    pub metrics: Arc<Metrics>,
    /// The per-address budgets (logins, registrations, token attempts are spent by the
    /// conversations; new connections by the accept loops).
    pub budgets: Arc<Budgets>,
    /// Classifies customers' free text (the YAML classifier may still be training).
    classifier: ModelWorker,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Opens the registry, loads the classifier, binds both ports and starts serving.
    pub async fn start(config: Config, console: Console) -> anyhow::Result<Server> {
        config
            .limits
            .check()
            .map_err(|err| anyhow::anyhow!("invalid limits: {err}"))?;
        let tls = match &config.tls {
            Some(files) => Some(TlsAcceptor::from(crate::tls::server_config(
                &files.cert,
                &files.key,
            )?)),
            None => None,
        };
        // The classifier loads on its own thread while the registry opens (the two are
        // most of the start-up time, and neither needs the other); the YAML classifier's
        // training goes on after the server listens (see `select::start_loading`).
        let classifier = select::start_loading(config.classifier.clone(), config.intents.clone())
            .context("starting the classifier's training thread")?;
        // Opening migrates the schema (SQLite: on a blocking thread, off the workers).
        let store_config = StoreConfig {
            pool_size: config.db_pool,
            sqlite_sync: config.sqlite_sync,
            ..StoreConfig::default()
        };
        let registry = Registry::open_at(&config.db, store_config)
            .await
            .with_context(|| format!("opening the database {}", config.db))?
            .with_inbox_retention(config.inbox_retention);
        if config.demo_load_customers > 0 {
            registry
                .seed_load_customers(config.demo_load_customers)
                .await
                .context("seeding the load-test customers")?;
        }
        if config.db_max_bytes > 0 {
            let cap = registry.limit_size(config.db_max_bytes).await?;
            tracing::info!(cap, "database size capped");
        }
        let classifier = classifier
            .await
            .context("the classifier's training thread failed")??;
        let token = match &config.token {
            Some(token) => token.clone(),
            None => auth::load_or_create_token(&config.token_file)?,
        };
        let started = (!registry.shared_by_servers()).then(chrono::Utc::now);
        let services = Services {
            registry,
            hub: Hub::new(config.agent_capacity, console.clone()),
            console,
            policy: config.policy.clone(),
            agent_token: Arc::from(token),
            started,
            time_zone: config.time_zone,
        };
        let customers = listen(&config.customer_addr)
            .await
            .with_context(|| format!("listening for customers on {}", config.customer_addr))?;
        let customer_addr = customers.local_addr()?;
        let agents = match listen(&config.agent_addr).await {
            Ok(agents) => agents,
            Err(err) => {
                // The same port as the customers' (on any of its spellings: "0.0.0.0",
                // "localhost"): said as such.
                let same_port = err.kind() == std::io::ErrorKind::AddrInUse
                    && config
                        .agent_addr
                        .rsplit_once(':')
                        .and_then(|(_, port)| port.parse::<u16>().ok())
                        == Some(customer_addr.port());
                let hint = if same_port {
                    " (the customers' port too: --agent-port must differ from --port)"
                } else {
                    ""
                };
                return Err(anyhow::Error::new(err).context(format!(
                    "listening for executives on {}{hint}",
                    config.agent_addr
                )));
            }
        };
        let agent_addr = agents.local_addr()?;
        let shutdown = CancellationToken::new();
        let metrics = Arc::new(Metrics::default());
        let budgets = Arc::new(Budgets::new(&config.limits));
        let shared = connection::Shared::new(
            services.clone(),
            classifier.clone(),
            config.limits,
            tls.clone(),
            Arc::clone(&metrics),
            Arc::clone(&budgets),
        );
        let task = tokio::spawn(serve(
            customers,
            agents,
            Arc::new(shared),
            Arc::clone(&budgets),
            tls,
            config.stats_every,
            shutdown.clone().cancelled_owned(),
        ));
        Ok(Server {
            customer_addr,
            agent_addr,
            services,
            metrics,
            budgets,
            classifier,
            shutdown,
            task,
        })
    }

    /// Waits until the classifier is trained: the server listens before (see
    /// `select::start_loading`).
    pub async fn classifier_trained(&self) {
        self.classifier.trained().await;
    }

    /// Stops accepting, says goodbye to every connection and waits for them (bounded by
    /// the shutdown grace period).
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        if let Err(err) = self.task.await {
            tracing::error!(cause = %err, "server task failed");
        }
    }
}

/// The accept queue: mio's default of 128 overflows when thousands of customers connect at
/// once (during an outage), and an overflowed connection is never greeted.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` (host:port, resolved) with a deep accept queue.
async fn listen(addr: &str) -> std::io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(LISTEN_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no address to listen on")))
}

/// Serves both listeners with `shared` until `shutdown` completes, then closes every
/// connection; logs statistics every `stats_every` (never when zero).
async fn serve(
    customers: TcpListener,
    agents: TcpListener,
    shared: Arc<connection::Shared>,
    budgets: Arc<Budgets>,
    tls: Option<TlsAcceptor>,
    stats_every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let grace = shared.limits.shutdown_grace;
    if !stats_every.is_zero() {
        tracker.spawn(metrics::log_every(
            Arc::clone(&shared.metrics),
            shared.services.registry.clone(),
            shared.services.hub.clone(),
            stats_every,
            token.clone(),
        ));
    }
    let doors = [connection::Kind::Customer, connection::Kind::Agent].map(|kind| {
        Arc::new(Door::new(
            kind,
            &shared.limits,
            Arc::clone(&budgets),
            tls.clone(),
        ))
    });
    tracker.spawn(housekeep(
        Arc::clone(&budgets),
        doors.clone(),
        Arc::clone(&shared),
        token.clone(),
    ));
    tracker.spawn(report_store_failures(
        shared.services.registry.clone(),
        shared.services.console.clone(),
        token.clone(),
    ));
    for (listener, door) in [customers, agents].into_iter().zip(doors) {
        tracker.spawn(accept_loop(
            listener,
            door,
            Arc::clone(&shared),
            token.clone(),
            tracker.clone(),
        ));
    }
    shutdown.await;
    tracing::info!("shutting down");
    // Before any connection ends: no hand-off or requeue while they all close.
    shared.services.hub.stop();
    token.cancel();
    tracker.close();
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        tracing::warn!(?grace, "connections still open after the grace period");
    }
}

/// One port's door: its gate (caps and per-address limits), the proxies whose connections
/// carry a PROXY header, and what a refusal needs.
struct Door {
    kind: connection::Kind,
    gate: Gate,
    proxies: Proxies,
    tls: Option<TlsAcceptor>,
    limits: Limits,
    /// Refusals being written: beyond [`MAX_REFUSING`] a refused connection is closed
    /// without a word, so that a flood of refused connections costs no more than that.
    refusing: Arc<Semaphore>,
    /// The warning for a refused connection, at most one a second for each reason (a
    /// flood of connections must not flood the log, and one from a single address must
    /// not hide that the port is full), one for each of [`admission::CAUSES`].
    refusal_log: [WarnThrottle; admission::CAUSES.len()],
}

/// Refused connections answered at once (each bounded by the write timeout).
const MAX_REFUSING: usize = 256;

impl Door {
    fn new(
        kind: connection::Kind,
        limits: &Limits,
        budgets: Arc<Budgets>,
        tls: Option<TlsAcceptor>,
    ) -> Door {
        let port = match kind {
            connection::Kind::Customer => Port::Customers,
            connection::Kind::Agent => Port::Executives,
        };
        Door {
            kind,
            gate: Gate::new(port, limits, budgets),
            proxies: Proxies::new(limits.proxy_from.clone()),
            tls,
            limits: limits.clone(),
            refusing: Arc::new(Semaphore::new(MAX_REFUSING)),
            refusal_log: std::array::from_fn(|_| WarnThrottle::new()),
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    door: Arc<Door>,
    shared: Arc<connection::Shared>,
    shutdown: CancellationToken,
    tracker: TaskTracker,
) {
    let kind = door.kind;
    let mut backoff = Duration::from_millis(5);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => {
                backoff = Duration::from_millis(5);
                accepted
            }
            Err(err) => {
                // Usually EMFILE or a connection reset before accept: wait and retry.
                tracing::error!(cause = %err, ?kind, "accept failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        tracker.spawn(admit(
            stream,
            peer,
            Arc::clone(&door),
            Arc::clone(&shared),
            shutdown.clone(),
        ));
    }
}

/// Reads the PROXY header when `peer` is a configured proxy, then admits the client (or
/// refuses it with a notice in its port's voice) and serves it.
async fn admit(
    mut stream: TcpStream,
    peer: SocketAddr,
    door: Arc<Door>,
    shared: Arc<connection::Shared>,
    shutdown: CancellationToken,
) {
    let client = if door.proxies.contains(peer.ip()) {
        // Boxed here and below (like the conversation in `connection::serve`): a rare
        // path's future would otherwise size every connection's task for itself.
        let header = Box::pin(proxy::read_header(
            &mut stream,
            peer,
            door.limits.proxy_header_timeout,
        ));
        let header = tokio::select! {
            () = shutdown.cancelled() => return,
            header = header => header,
        };
        match header {
            Ok(client) => client,
            Err(err) => {
                tracing::warn!(%peer, cause = %err, "connection from a proxy closed");
                return;
            }
        }
    } else {
        peer
    };
    let denied = match door.gate.admit(client.ip()) {
        // The driver swaps the pre-login permit for a logged-in one at login.
        Ok(permit) => {
            connection::serve(door.kind, stream, client, permit, shared, shutdown).await;
            return;
        }
        Err(denied) => denied,
    };
    let Ok(_refusing) = Arc::clone(&door.refusing).try_acquire_owned() else {
        tracing::debug!(%client, "refused without a notice: too many refusals at once");
        return;
    };
    let notice = denied.notice(door.gate.port());
    if let Some(suppressed) = door.refusal_log[denied.kind()].admit() {
        tracing::warn!(%client, %notice, cause = %denied, suppressed, "connection refused");
    }
    Box::pin(admission::refuse(
        stream,
        &notice,
        door.tls.clone(),
        &door.limits,
    ))
    .await;
}

/// How often the console may say that the database failed: the first failure within a
/// second, then at most once a minute while they go on (with how many there were).
const STORE_FAILURE_REPORT: Duration = Duration::from_secs(60);

/// Until `shutdown`: tells the operator on the console when database operations fail
/// (customers get an apology; the error itself goes to stderr, which a console operator
/// may not read: a black-box test's full database left the console silent).
async fn report_store_failures(registry: Registry, console: Console, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reported = registry.failures();
    let mut last: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            now = every.tick() => {
                let failures = registry.failures();
                let due = last.is_none_or(|at| now.duration_since(at) >= STORE_FAILURE_REPORT);
                if failures > reported && due {
                    console.print(&crate::protocol::console::store_failures(failures - reported));
                    reported = failures;
                    last = Some(now);
                }
            }
        }
    }
}

/// Every [`budget::HOUSEKEEPING_PERIOD`] until `shutdown`: drops the budgets' stale keys,
/// and logs the throttled warnings that no later warning of their kind reported.
async fn housekeep(
    budgets: Arc<Budgets>,
    doors: [Arc<Door>; 2],
    shared: Arc<connection::Shared>,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(budget::HOUSEKEEPING_PERIOD);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {
                let tracked = budgets.housekeep();
                tracing::trace!(tracked, "per-address budgets pruned");
                for door in &doors {
                    for (throttle, cause) in door.refusal_log.iter().zip(admission::CAUSES) {
                        if let Some(suppressed) = throttle.take_held_back() {
                            let port = door.gate.port();
                            tracing::warn!(?port, cause, suppressed, "connections refused");
                        }
                    }
                }
                shared.report_held_back_warnings();
            }
        }
    }
}

/// Starts the server, serves until `shutdown` completes (`reclamos server` passes Ctrl-C or
/// SIGTERM) and shuts it down, printing the start and the stop on `console`. `listening`
/// runs once the server listens, before the start's console line (not at all when the start
/// fails).
pub async fn run(
    config: Config,
    console: Console,
    listening: impl FnOnce(),
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let token_file = config.token_file.clone();
    let server = Server::start(config, console.clone()).await?;
    listening();
    console.print(&to_console::listening(
        server.customer_addr,
        server.agent_addr,
        started.elapsed().as_millis(),
    ));
    tracing::info!(token_file = %token_file.display(), "executives' token file");
    // `shutdown` may start by giving start-up's freed memory back: training's too.
    server.classifier_trained().await;
    shutdown.await;
    console.print(to_console::STOPPING);
    server.shutdown().await;
    console.print(to_console::STOPPED);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log names each kind of refusal as the refusal itself does.
    #[test]
    fn the_held_back_refusals_are_named_as_the_refusals_are() {
        for denied in [admission::Denied::Busy, admission::Denied::AddressFull] {
            assert_eq!(admission::CAUSES[denied.kind()], denied.to_string());
        }
    }

    /// Every connection's task holds `admit`'s future for as long as the connection lives.
    /// The futures of the rare paths (the PROXY header, the TLS handshake, a refusal) made
    /// it 4,480 bytes when they were inline, about 3 KiB of each idle plain-TCP
    /// connection's memory; boxed, only the connections that take those paths pay for them.
    #[tokio::test]
    async fn a_connections_task_future_stays_small() {
        let (shared, budgets) = connection::Shared::for_tests();
        let shared = Arc::new(shared);
        let door = Door::new(connection::Kind::Customer, &shared.limits, budgets, None);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let _client = TcpStream::connect(listener.local_addr().expect("address"))
            .await
            .expect("connect");
        let (stream, peer) = listener.accept().await.expect("accept");
        let task = admit(
            stream,
            peer,
            Arc::new(door),
            shared,
            CancellationToken::new(),
        );
        let size = std::mem::size_of_val(&task);
        // 1,968 bytes in a debug build with the rare paths boxed, 4,384 without.
        assert!(size <= 2560, "admit's future is {size} bytes");
    }
}
