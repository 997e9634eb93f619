//! `reclamos server`: its options, and running the server until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};

use reclamos::registry::Location;
use std::process::ExitCode;

use anyhow::Context;
use ipnet::IpNet;
use reclamos::console::Console;
use reclamos::conversation::Policy;
use reclamos::protocol::console as to_console;
use reclamos::registry::{InboxRetention, SqliteSync};
use reclamos::server::budget::Budget;
use reclamos::server::limits::MIN_LINE_LENGTH;
use reclamos::server::proxy;
use reclamos::server::{
    self, Config, Limits, TlsFiles, DEFAULT_AGENT_PORT, DEFAULT_CUSTOMER_PORT, DEFAULT_DB,
    DEFAULT_HOST,
};

use super::classifier::ClassifierFlags;

const MIB: u64 = 1024 * 1024;

/// Options of `reclamos server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Interface for customers.
    #[arg(long, default_value = DEFAULT_HOST)]
    pub host: String,
    /// Port for customers (0: any free port, shown on the console at start).
    #[arg(long, default_value_t = DEFAULT_CUSTOMER_PORT)]
    pub port: u16,
    /// Interface for executives (defaults to --host).
    #[arg(long)]
    pub agent_host: Option<String>,
    /// Port for executives (0: any free port, shown on the console at start).
    #[arg(long, default_value_t = DEFAULT_AGENT_PORT)]
    pub agent_port: u16,
    /// Where the registry lives: an SQLite file (created with demo data on first start) or a
    /// PostgreSQL connection string, postgres://user@host:5432/dbname (its tables are created
    /// with demo data when the database has none).
    #[arg(long, env = "RECLAMOS_DB", default_value = DEFAULT_DB, value_name = "FILE|URL")]
    pub db: Location,
    /// SQLite: create the file (with demo data) if it does not exist. Without it only the
    /// default file is created, so that a mistyped --db is refused instead of starting on
    /// an empty registry.
    #[arg(long, env = "RECLAMOS_CREATE_DB", value_parser = clap::builder::FalseyValueParser::new())]
    pub create_db: bool,
    /// PostgreSQL: connections in this node's pool.
    #[arg(long, default_value_t = Config::default().db_pool, value_parser = at_least_one)]
    pub db_pool: usize,
    /// SQLite: `normal` acknowledges a commit once it is in the operating system (a crash of
    /// reclamos loses nothing; a power loss can lose the last commits), `full` once it is on
    /// the disk (one fsync per commit).
    #[arg(long, value_name = "normal|full", default_value_t = Config::default().sqlite_sync)]
    pub sqlite_sync: SqliteSync,
    /// Intents file (Rasa NLU YAML); the embedded `intents/es.yaml` when absent.
    #[arg(long)]
    pub intents: Option<PathBuf>,
    /// File holding the executives' token (created on first start, mode 0600).
    /// Default: $RECLAMOS_TOKEN_FILE or ~/.local/share/reclamos/agent.token.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Customers an executive serves at the same time.
    #[arg(
        long,
        default_value_t = Config::default().agent_capacity,
        value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from)
    )]
    pub agent_capacity: usize,
    /// Show sensitive answers (such as WiFi keys) without asking for the identity card's
    /// serial number.
    #[arg(long)]
    pub no_second_factor: bool,
    /// Chat lines each party keeps in a request's transcript during a live chat; later ones
    /// still reach the other party but are not stored (the party is told once).
    #[arg(long, value_name = "LINES", default_value_t = Config::default().policy.max_transcript_lines)]
    pub max_transcript_lines: usize,
    /// Lines a waiting customer may leave for the executive during one stay in the queue;
    /// later ones are not kept (the customer is told once).
    #[arg(long, value_name = "LINES", default_value_t = Config::default().policy.max_backlog_lines)]
    pub max_waiting_lines: usize,
    /// Bytes of those lines, in all.
    #[arg(long, value_name = "BYTES", default_value_t = Config::default().policy.max_backlog_bytes)]
    pub max_waiting_bytes: usize,
    /// Cap the database at this many MiB: beyond it writes fail and customers get an
    /// apology, while reads keep working (0: no cap).
    #[arg(long, default_value_t = Config::default().db_max_bytes / MIB)]
    pub db_max_mib: u64,
    /// Keep at most this many messages for `reclamos nlu review` (fallbacks,
    /// clarifications, corrections); the oldest go first (0: keep none).
    #[arg(long, value_name = "N", default_value_t = Config::default().inbox_retention.max_rows)]
    pub inbox_max_rows: usize,
    /// Drop messages kept for `reclamos nlu review` after this long (e.g. 30days, 12h).
    #[arg(long, value_name = "AGE", default_value_t = Config::default().inbox_retention.max_age.into())]
    pub inbox_max_age: humantime::Duration,
    /// Seed N synthetic customers for `loadtest` (RUT numbers 50.000.000 + i, "Cliente Carga i").
    #[arg(long, default_value_t = Config::default().demo_load_customers)]
    pub demo_load_customers: usize,
    /// Serve both ports over TLS with this PEM certificate chain (leaf first); needs
    /// --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Show the chat's times (request dates, history, transcripts) in this IANA time zone
    /// (the store keeps UTC; `requests --time-zone` shows them the same way).
    #[arg(long, value_name = "ZONE", default_value_t = Config::default().time_zone)]
    pub time_zone: chrono_tz::Tz,
    /// Log connection counts, how long answers take (the server's own share of a round
    /// trip), how often the read cache answered, and the customers waiting for an
    /// executive, once per period (e.g. 1m; off unless given).
    #[arg(long, value_name = "PERIOD")]
    pub stats_every: Option<humantime::Duration>,
    /// Limits.
    #[command(flatten)]
    pub limits: LimitsArgs,
    /// Classifier selection (the zero-shot model needs the `zero-shot` feature).
    #[command(flatten)]
    pub classifier: ClassifierFlags,
}

impl ServerArgs {
    /// The server's configuration.
    fn config(self) -> Config {
        let defaults = Config::default();
        let agent_host = self.agent_host.unwrap_or_else(|| self.host.clone());
        Config {
            customer_addr: format!("{}:{}", self.host, self.port),
            agent_addr: format!("{}:{}", agent_host, self.agent_port),
            db: self.db,
            db_pool: self.db_pool,
            sqlite_sync: self.sqlite_sync,
            intents: self.intents,
            token_file: self.token_file.unwrap_or(defaults.token_file),
            token: defaults.token,
            agent_capacity: self.agent_capacity,
            policy: Policy {
                second_factor: !self.no_second_factor,
                max_backlog_lines: self.max_waiting_lines,
                max_backlog_bytes: self.max_waiting_bytes,
                max_transcript_lines: self.max_transcript_lines,
                ..defaults.policy
            },
            demo_load_customers: self.demo_load_customers,
            db_max_bytes: self.db_max_mib.saturating_mul(MIB),
            inbox_retention: InboxRetention {
                max_rows: self.inbox_max_rows,
                max_age: self.inbox_max_age.into(),
            },
            limits: self.limits.into(),
            stats_every: self.stats_every.map_or(defaults.stats_every, Into::into),
            classifier: self.classifier.into(),
            tls: self
                .tls_cert
                .zip(self.tls_key)
                .map(|(cert, key)| TlsFiles { cert, key }),
            time_zone: self.time_zone,
        }
    }
}

/// A count of at least one (a zero cap or queue would refuse or break every connection).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(err) => Err(err.to_string()),
    }
}

/// At least [`MIN_LINE_LENGTH`] bytes.
fn line_length(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n < MIN_LINE_LENGTH => Err(format!("must be at least {MIN_LINE_LENGTH} bytes")),
        Ok(n) => Ok(n),
        Err(err) => Err(err.to_string()),
    }
}

/// Messages per second: a finite number above zero.
fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        Ok(_) => Err("must be a number above 0, e.g. 5 or 0.5".to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// A timeout above zero (zero would end every connection at once).
fn positive_duration(text: &str) -> Result<humantime::Duration, String> {
    match text.parse::<humantime::Duration>() {
        Ok(d) if !std::time::Duration::from(d).is_zero() => Ok(d),
        Ok(_) => Err("must be longer than 0, e.g. 30s or 5m".to_string()),
        Err(err) => Err(err.to_string()),
    }
}

/// The library's defaults, which the attributes below show.
fn limits() -> Limits {
    Limits::default()
}

/// Connection limits and timeouts.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitsArgs {
    /// Maximum simultaneous logged-in customers; beyond it new ones are refused politely.
    #[arg(long, default_value_t = limits().max_connections, value_parser = at_least_one)]
    pub max_connections: usize,
    /// Maximum simultaneous logged-in executives.
    #[arg(long, default_value_t = limits().max_agent_connections, value_parser = at_least_one)]
    pub max_agent_connections: usize,
    /// Maximum simultaneous customer connections that have not logged in yet; they do not
    /// take the slots of --max-connections.
    #[arg(long, default_value_t = limits().max_pre_login_connections, value_parser = at_least_one)]
    pub max_pre_login_connections: usize,
    /// Maximum simultaneous executive connections that have not logged in yet.
    #[arg(long, default_value_t = limits().max_agent_pre_login_connections, value_parser = at_least_one)]
    pub max_agent_pre_login_connections: usize,
    /// Connections one client address may hold on one port before logging in.
    #[arg(long, default_value_t = limits().max_pre_login_per_address, value_parser = at_least_one)]
    pub max_pre_login_per_address: usize,
    /// New connections one client address may open on each port, as N/PERIOD (N at once,
    /// refilled over PERIOD) or off.
    #[arg(long, value_name = "N/PERIOD", default_value_t = limits().address_connections)]
    pub address_connections: Budget,
    /// Login attempts (RUTs typed) one client address may make, as N/PERIOD or off.
    #[arg(long, value_name = "N/PERIOD", default_value_t = limits().address_logins)]
    pub address_logins: Budget,
    /// New customer registrations one client address may make, as N/PERIOD or off.
    #[arg(long, value_name = "N/PERIOD", default_value_t = limits().address_registrations)]
    pub address_registrations: Budget,
    /// Executive token attempts one client address may make, as N/PERIOD or off.
    #[arg(long, value_name = "N/PERIOD", default_value_t = limits().address_token_attempts)]
    pub address_token_attempts: Budget,
    /// Load balancers (addresses or networks such as 10.0.0.0/8) whose connections start
    /// with a PROXY protocol header (v1 or v2) naming the real client, whom the
    /// per-address limits then count. A connection from them without a valid header is
    /// closed; from anywhere else a PROXY header is not interpreted.
    #[arg(long, value_name = "IP/CIDR", num_args = 1.., value_parser = proxy::parse_network)]
    pub proxy_from: Vec<IpNet>,
    /// Time a connection from a --proxy-from address has to send its PROXY header.
    #[arg(long, default_value_t = limits().proxy_header_timeout.into(), value_parser = positive_duration)]
    pub proxy_header_timeout: humantime::Duration,
    /// Maximum line length in bytes; a longer line is dropped with a notice (one that runs on
    /// past 64 times this without a newline closes the connection).
    #[arg(long, default_value_t = limits().max_line_length, value_parser = line_length)]
    pub max_line_length: usize,
    /// Messages waiting to be delivered to one connection; a client that does not read is
    /// disconnected when they fill up.
    #[arg(long, default_value_t = limits().send_queue, value_parser = at_least_one)]
    pub send_queue: usize,
    /// How long a write to a client may block before the client is considered stuck.
    #[arg(long, default_value_t = limits().write_timeout.into(), value_parser = positive_duration)]
    pub write_timeout: humantime::Duration,
    /// Time allowed to log in (RUT, or the executives' token and name), counted from the
    /// connection's start: no input extends it.
    #[arg(long, default_value_t = limits().login_timeout.into(), value_parser = positive_duration)]
    pub login_timeout: humantime::Duration,
    /// Idle time after which a customer is disconnected (waiting in the queue does not count).
    #[arg(long, default_value_t = limits().idle_timeout.into(), value_parser = positive_duration)]
    pub idle_timeout: humantime::Duration,
    /// Idle time after which an executive is disconnected.
    #[arg(long, default_value_t = limits().agent_idle_timeout.into(), value_parser = positive_duration)]
    pub agent_idle_timeout: humantime::Duration,
    /// Time a customer may wait in the queue without writing while no executive takes
    /// them; then their contact request is closed, they are told and back at the menu.
    #[arg(long, default_value_t = limits().queue_idle_timeout.into(), value_parser = positive_duration)]
    pub queue_idle_timeout: humantime::Duration,
    /// Time a waiting customer whose connection was lost keeps their place in the queue
    /// for a new connection with their RUT (0: the place is lost at once).
    #[arg(long, default_value_t = limits().queue_grace.into())]
    pub queue_grace: humantime::Duration,
    /// Time an executive has, after a customer leaves a chat, to note and `:close` it; then
    /// the ended chat leaves the desk and frees its place for the next customer (0: until
    /// `:close`).
    #[arg(long, default_value_t = limits().wrap_up_limit.into())]
    pub wrap_up_limit: humantime::Duration,
    /// Sustained messages per second allowed per connection.
    #[arg(long, default_value_t = limits().rate, value_parser = positive_rate)]
    pub rate: f64,
    /// Burst of messages allowed per connection above the sustained rate.
    #[arg(long, default_value_t = limits().burst, value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: u32,
    /// Sustained messages per second allowed per executive connection.
    #[arg(long, default_value_t = limits().agent_rate, value_parser = positive_rate)]
    pub agent_rate: f64,
    /// Burst of messages allowed per executive connection above --agent-rate (a pasted
    /// block of lines).
    #[arg(long, default_value_t = limits().agent_burst, value_parser = clap::value_parser!(u32).range(1..))]
    pub agent_burst: u32,
    /// Time given to open connections to finish after Ctrl-C/SIGTERM.
    #[arg(long, default_value_t = limits().shutdown_grace.into())]
    pub shutdown_grace: humantime::Duration,
}

impl From<LimitsArgs> for Limits {
    fn from(args: LimitsArgs) -> Limits {
        Limits {
            max_connections: args.max_connections,
            max_agent_connections: args.max_agent_connections,
            max_pre_login_connections: args.max_pre_login_connections,
            max_agent_pre_login_connections: args.max_agent_pre_login_connections,
            max_pre_login_per_address: args.max_pre_login_per_address,
            address_connections: args.address_connections,
            address_logins: args.address_logins,
            address_registrations: args.address_registrations,
            address_token_attempts: args.address_token_attempts,
            proxy_from: args.proxy_from,
            proxy_header_timeout: args.proxy_header_timeout.into(),
            max_line_length: args.max_line_length,
            send_queue: args.send_queue,
            write_timeout: args.write_timeout.into(),
            login_timeout: args.login_timeout.into(),
            idle_timeout: args.idle_timeout.into(),
            agent_idle_timeout: args.agent_idle_timeout.into(),
            queue_idle_timeout: args.queue_idle_timeout.into(),
            queue_grace: args.queue_grace.into(),
            wrap_up_limit: args.wrap_up_limit.into(),
            rate: args.rate,
            burst: args.burst,
            agent_rate: args.agent_rate,
            agent_burst: args.agent_burst,
            shutdown_grace: args.shutdown_grace.into(),
        }
    }
}

/// `reclamos server`: runs until Ctrl-C or SIGTERM.
pub fn main(args: ServerArgs) -> anyhow::Result<ExitCode> {
    let create_db = args.create_db;
    let config = args.config();
    let console = Console::stdout();
    // Held until the server stops (the operating system releases it if the process dies).
    // A registry this start makes is undone if the server fails before it listens
    // (intents that do not load, a port in use): a failed start leaves things as they were.
    let mut undo = None;
    let db_lock = match &config.db {
        Location::Sqlite(path) => {
            let new = new_sqlite_file(path, create_db)?;
            let sidecars = sidecars(path).filter(|s| s.exists()).collect();
            let (lock, created) = lock_sqlite_file(path)?;
            if new {
                undo = Some(NewRegistry {
                    path: path.clone(),
                    created,
                    sidecars,
                });
            }
            Some(lock)
        }
        Location::Postgres(_) => None,
    };
    raise_open_files_limit(&config.limits);
    let runtime = tokio::runtime::Runtime::new().context("starting the tokio runtime")?;
    // Ctrl-C and SIGTERM are caught from before the server listens: one that comes while it
    // starts (or trains the classifier) stops it cleanly once it is up, instead of killing
    // the process with the signal's default action.
    let signal = {
        let _runtime = runtime.enter();
        shutdown_signal()
    };
    // Said only once the server listens: a start that fails removes the new registry.
    let mut listening = false;
    let on_listening = || {
        listening = true;
        if let Some(new) = &undo {
            console.print(&to_console::new_database(new.path.display()));
        }
    };
    // `run` awaits this once the server listens: start-up's freed memory goes back first.
    let after_start = async {
        crate::release_freed_memory();
        signal.await
    };
    let served = runtime.block_on(server::run(
        config,
        console.clone(),
        on_listening,
        after_start,
    ));
    if let (Some(undo), Some(lock)) = (undo, &db_lock) {
        if served.is_err() && !listening {
            tracing::info!(path = %undo.path.display(), "removing the new registry: the server did not start");
            undo.undo(lock);
        }
    }
    // Connections still open after the grace period end with the runtime, printing their
    // last lines; then every line waiting for the console thread is written before exit.
    drop(runtime);
    console.flush();
    served.map(|()| ExitCode::SUCCESS)
}

/// Whether the SQLite file at `path` is to be created. A missing file is created only at
/// the default path (the quick start) or with `--create-db`: anywhere else it is more
/// likely a typo than a new deployment, and starting on an empty registry would look like
/// the old one was lost.
fn new_sqlite_file(path: &Path, create: bool) -> anyhow::Result<bool> {
    match std::fs::metadata(path) {
        // An empty file (`touch`) is made a registry as a missing one would be, unless its
        // write-ahead log holds what a killed server wrote before its first checkpoint.
        Ok(file) => return Ok(file.len() == 0 && !has_wal(path)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("checking {}", path.display())),
    }
    if !create && !is_default_db(path) {
        anyhow::bail!(
            "the database file {} does not exist; check the path, or start once with \
             --create-db to create a new registry there (with demo data)",
            path.display()
        );
    }
    Ok(true)
}

/// A registry file this start made (or filled, when it was empty).
struct NewRegistry {
    path: PathBuf,
    /// This start created the file (else it was there, empty).
    created: bool,
    /// Write-ahead log and shared-memory files that were there before.
    sidecars: Vec<PathBuf>,
}

impl NewRegistry {
    /// Puts things back as they were: the file removed (or emptied again), with the
    /// sidecar files this start made; only while `path` is still the file `lock` holds.
    fn undo(self, lock: &std::fs::File) {
        use std::os::unix::fs::MetadataExt;
        let same =
            |a: &std::fs::Metadata, b: &std::fs::Metadata| a.dev() == b.dev() && a.ino() == b.ino();
        let (Ok(held), Ok(there)) = (lock.metadata(), std::fs::metadata(&self.path)) else {
            return;
        };
        if !same(&held, &there) {
            return;
        }
        for sidecar in sidecars(&self.path).filter(|s| !self.sidecars.contains(s)) {
            let _ = std::fs::remove_file(sidecar);
        }
        let _ = if self.created {
            std::fs::remove_file(&self.path)
        } else {
            lock.set_len(0)
        };
    }
}

/// The write-ahead log and shared-memory files SQLite keeps beside `path`, in that order.
fn sidecars(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    ["-wal", "-shm"].into_iter().map(move |suffix| {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        PathBuf::from(file)
    })
}

/// Whether the SQLite file at `path` has a non-empty write-ahead log next to it.
fn has_wal(path: &Path) -> bool {
    sidecars(path)
        .next()
        .is_some_and(|wal| std::fs::metadata(wal).is_ok_and(|wal| wal.len() > 0))
}

/// Whether `path` names the default database file in the working directory
/// (`reclamos.db`, `./reclamos.db`, or its absolute path).
fn is_default_db(path: &Path) -> bool {
    let relative: PathBuf = path
        .components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect();
    relative == Path::new(DEFAULT_DB)
        || std::env::current_dir().is_ok_and(|dir| path == dir.join(DEFAULT_DB))
}

/// Takes an exclusive advisory lock (`flock`) on the SQLite file, so that a second server
/// on the same file is refused at start instead of both accepting the same customer. It does
/// not touch SQLite's own locks (POSIX record locks, independent of `flock` on Linux), so
/// `reclamos requests` and `nlu review` still read the file while the server runs. Also
/// says whether it created the file.
fn lock_sqlite_file(path: &Path) -> anyhow::Result<(std::fs::File, bool)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating directory {}", parent.display()))?;
    }
    let open = |create_new: bool| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(create_new)
            .open(path)
    };
    let (file, created) = match open(true) {
        Ok(file) => (Ok(file), true),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => (open(false), false),
        Err(err) => (Err(err), true),
    };
    let file = file.with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok((file, created)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another reclamos server is using {}: one SQLite file serves one server \
             (several nodes share a PostgreSQL database, see docs/deployment.md)",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Raises the open-files limit as far as the connection caps need, and warns when even
/// the hard limit cannot hold them.
fn raise_open_files_limit(limits: &Limits) {
    let needed = (limits.max_connections + limits.max_agent_connections) as u64 + 64;
    match server::limits::raise_open_files_limit(needed) {
        Some(limit) if limit < needed => tracing::warn!(
            limit,
            needed,
            "the open-files limit cannot hold --max-connections plus --max-agent-connections; raise `ulimit -Hn`"
        ),
        _ => {}
    }
}

/// Catches Ctrl-C and SIGTERM from now on on Unix (elsewhere, Ctrl-C once polled); call
/// inside a runtime. The future completes on the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // Registered here, not when the future is first polled.
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(err), _) | (_, Err(err)) => {
                    tracing::error!(cause = %err, "listening for Ctrl-C and SIGTERM");
                    return std::future::pending().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        let ctrl_c = tokio::signal::ctrl_c();
        async move {
            if let Err(err) = ctrl_c.await {
                tracing::error!(cause = %err, "listening for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::parse;
    use super::super::Command;
    use super::*;
    use std::time::Duration;

    fn config(args: &[&str]) -> Config {
        let args: Vec<&str> = std::iter::once("server")
            .chain(args.iter().copied())
            .collect();
        match parse(&args).unwrap() {
            Command::Server(args) => args.config(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn no_options_give_the_library_defaults() {
        let config = config(&[]);
        let defaults = Config::default();
        assert_eq!(config.customer_addr, defaults.customer_addr);
        assert_eq!(config.agent_addr, defaults.agent_addr);
        assert_eq!(config.db, defaults.db);
        assert_eq!(config.agent_capacity, defaults.agent_capacity);
        assert_eq!(config.policy.second_factor, defaults.policy.second_factor);
        assert_eq!(config.db_max_bytes, defaults.db_max_bytes);
        assert_eq!(config.inbox_retention, defaults.inbox_retention);
        assert_eq!(config.limits, defaults.limits);
        assert_eq!(config.classifier, defaults.classifier);
        // Statistics are off unless asked for.
        assert_eq!(config.stats_every, Duration::ZERO);
        assert!(config.tls.is_none());
        assert_eq!(config.time_zone, defaults.time_zone);
    }

    #[test]
    fn options_reach_the_configuration() {
        let config = config(&[
            "--host",
            "0.0.0.0",
            "--agent-port",
            "7000",
            "--stats-every",
            "1m",
            "--idle-timeout",
            "90s",
            "--db-max-mib",
            "2",
            "--no-second-factor",
            "--inbox-max-rows",
            "50",
            "--inbox-max-age",
            "2days",
            "--address-logins",
            "5/10m",
            "--address-registrations",
            "off",
            "--time-zone",
            "America/Punta_Arenas",
            "--proxy-from",
            "10.0.0.0/8",
            "127.0.0.3",
        ]);
        assert_eq!(config.time_zone, chrono_tz::America::Punta_Arenas);
        assert!(parse(&["server", "--time-zone", "Chile/Santiago de Chile"]).is_err());
        assert_eq!(config.inbox_retention.max_rows, 50);
        assert_eq!(
            config.inbox_retention.max_age,
            Duration::from_secs(2 * 24 * 3600)
        );
        assert_eq!(
            config.limits.address_logins,
            Budget::every(5, Duration::from_secs(600))
        );
        assert_eq!(config.limits.address_registrations, Budget::Off);
        assert_eq!(
            config.limits.proxy_from,
            vec![
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "127.0.0.3/32".parse::<IpNet>().unwrap()
            ]
        );
        assert!(parse(&["server", "--address-logins", "0/1m"]).is_err());
        assert!(parse(&["server", "--proxy-from", "nope"]).is_err());
        assert_eq!(config.customer_addr, "0.0.0.0:5555");
        assert_eq!(config.agent_addr, "0.0.0.0:7000");
        assert_eq!(config.stats_every, Duration::from_secs(60));
        assert_eq!(config.limits.idle_timeout, Duration::from_secs(90));
        assert_eq!(config.db_max_bytes, 2 * MIB);
        assert!(!config.policy.second_factor);
        assert!(parse(&["server", "--agent-capacity", "0"]).is_err());
    }

    #[test]
    fn the_default_database_is_recognised_however_it_is_written() {
        for path in ["reclamos.db", "./reclamos.db", "././reclamos.db"] {
            assert!(is_default_db(Path::new(path)), "{path}");
        }
        let absolute = std::env::current_dir().unwrap().join(DEFAULT_DB);
        assert!(is_default_db(&absolute));
        for path in [
            "otra.db",
            "datos/reclamos.db",
            "/reclamos.db",
            "reclamos.db.bak",
        ] {
            assert!(!is_default_db(Path::new(path)), "{path}");
        }
    }

    #[test]
    fn a_missing_or_empty_file_is_new_and_needs_asking_for_outside_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("reclamso.db");
        let refused = new_sqlite_file(&missing, false).unwrap_err().to_string();
        assert!(refused.contains("--create-db"), "{refused}");
        assert!(new_sqlite_file(&missing, true).unwrap());
        assert!(!missing.exists());
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        assert!(new_sqlite_file(&empty, false).unwrap());
        // Empty, but a killed server's writes wait in its log.
        std::fs::write(dir.path().join("empty.db-wal"), b"WAL").unwrap();
        assert!(!new_sqlite_file(&empty, false).unwrap());
        std::fs::write(&empty, b"SQLite format 3\0").unwrap();
        assert!(!new_sqlite_file(&empty, false).unwrap());
    }
}
