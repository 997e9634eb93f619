//! The request registry: every request a customer makes, kept in SQLite (the default) or in
//! PostgreSQL so that it survives restarts (and `kill -9`).
//!
//! [`Registry`] is a cheap `Clone` handle in front of a [`Store`]: every method is `async`,
//! and none runs storage work on the caller's thread. Each operation is bounded in time
//! ([`StoreConfig::op_timeout`]): a store that does not answer in time gets the caller a
//! [`RegistryError::Timeout`], and nobody else waits for it.
//!
//! - [`Store`]: the interface every backend implements (SQLite and PostgreSQL).
//! - [`Location`]: where the registry lives (`--db`: a file path or a `postgres://` URL).
//! - `sqlite`: the SQLite store: one writer thread fed by a bounded queue, reader threads, a
//!   background thread for checkpoints and chores, the read cache.
//! - [`postgres`]: the PostgreSQL store: a pool per node, its migrations, the read cache kept
//!   fresh by polling for other nodes' changes.
//! - [`inbox`]: the NLU inbox's types (messages kept for `reclamos nlu review`).
//! - `cache`: the customers and requests the server reads most, kept in memory.
//! - [`schema`]: connection settings and the versioned migrations (`PRAGMA user_version`).
//! - [`demo`]: the demo customers a new database starts with, and the load-test customers.
//! - [`cli`]: `reclamos requests`, the operators' listing.
//! - [`inbox`]: the NLU inbox, free-text messages kept for `reclamos nlu review`.
//!
//! The tables: `customers` (RUT in compact form as key), `requests` (the request number is
//! the rowid, so new numbers continue after the largest), the append-only `history` and
//! `transcript`, whose own rowids give the order of the entries, and `consultations` (when
//! each request was consulted, an audit trail). Times are unix milliseconds.

mod cache;
pub mod cli;
pub mod demo;
pub mod inbox;
pub mod postgres;
pub mod schema;
mod sqlite;

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
pub use cache::CacheCounts;
use chrono::{DateTime, Utc};
pub use inbox::{InboxEntry, InboxMessage, InboxOutcome, InboxRetention, Review};
use thiserror::Error;

use crate::rut::Rut;

/// A request's number, e.g. 124578.
pub type RequestId = u64;

/// The state of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestState {
    /// `abierto`
    Abierto,
    /// `cerrado`
    Cerrado,
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestState::Abierto => "abierto",
            RequestState::Cerrado => "cerrado",
        })
    }
}

impl FromStr for RequestState {
    type Err = RegistryError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_lowercase().as_str() {
            "abierto" => Ok(RequestState::Abierto),
            "cerrado" => Ok(RequestState::Cerrado),
            other => Err(RegistryError::BadState(other.to_string())),
        }
    }
}

/// Wrong identity-card serials counted for one RUT from one client address, across
/// connections and restarts (the second factor cannot be guessed by reconnecting, and a
/// stranger who knows a RUT locks out only their own address, not its owner).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SerialFailures {
    /// Wrong serials since the last right one.
    pub count: u32,
    /// How long the second factor stays locked from now (zero: not locked).
    pub locked_for: Duration,
    /// Whether the call that returned this counted a wrong attempt (a read counts none,
    /// and a wrong executives' token during a lock-out is not counted).
    pub counted: bool,
}

/// How wrong serials lock the second factor: after every `every` wrong ones, for `base`,
/// doubled for each further round, up to [`MAX_SERIAL_LOCKOUT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialLockout {
    /// Wrong serials per round.
    pub every: u32,
    /// The first round's lock-out.
    pub base: Duration,
}

/// The longest lock-out of the second factor.
pub const MAX_SERIAL_LOCKOUT: Duration = Duration::from_secs(24 * 3600);

/// How long the wrong serials of a RUT from an address are remembered after the last one
/// and after the lock-out they caused: then the rounds start over (and the stores drop the
/// row, so that the table does not grow with every address that ever tried).
pub const SERIAL_FAILURES_KEPT: Duration = MAX_SERIAL_LOCKOUT;

impl SerialLockout {
    /// The lock-out that starts at the `count`-th wrong serial (zero between rounds).
    pub fn after(&self, count: u32) -> Duration {
        growing_lockout(self.every, self.base, MAX_SERIAL_LOCKOUT, count)
    }
}

/// The lock-out that starts at the `count`-th wrong attempt: zero between rounds of
/// `every`; `base` at the end of the first round, doubled for each further one, up to `max`.
fn growing_lockout(every: u32, base: Duration, max: Duration, count: u32) -> Duration {
    let every = every.max(1);
    if count == 0 || !count.is_multiple_of(every) {
        return Duration::ZERO;
    }
    let doublings = (count / every - 1).min(20);
    base.saturating_mul(1 << doublings).min(max)
}

/// Wrong executives' tokens counted for the whole server (every address, every node on
/// one PostgreSQL database), across connections and restarts; the same shape as
/// [`SerialFailures`].
pub type TokenFailures = SerialFailures;

/// How wrong executives' tokens lock the executives' login for the whole server: after
/// every `every` wrong ones, for `base`, doubled for each further round, up to
/// [`MAX_TOKEN_LOCKOUT`]. Short on purpose: while it lasts honest executives cannot log in
/// either (see docs/deployment.md#limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLockout {
    /// Wrong tokens per round.
    pub every: u32,
    /// The first round's lock-out.
    pub base: Duration,
}

/// The longest lock-out of the executives' login.
pub const MAX_TOKEN_LOCKOUT: Duration = Duration::from_secs(15 * 60);

impl TokenLockout {
    /// The lock-out that starts at the `count`-th wrong token (zero between rounds).
    pub fn after(&self, count: u32) -> Duration {
        growing_lockout(self.every, self.base, MAX_TOKEN_LOCKOUT, count)
    }

    /// Whether `failures`, as [`Registry::token_failed`] returned them, show a lock-out
    /// that this very failure started: it was counted (so no lock-out was in force) and
    /// one is in force now.
    pub fn began_with(&self, failures: &TokenFailures) -> bool {
        failures.counted && !failures.locked_for.is_zero()
    }
}

impl Default for TokenLockout {
    fn default() -> TokenLockout {
        TokenLockout {
            every: 5,
            base: Duration::from_secs(60),
        }
    }
}

/// [`SerialFailures`] from a stored row: `count` wrong serials, locked until `until` (ms
/// since the epoch), seen at `now`.
pub(crate) fn serial_failures_at(count: i64, until: i64, now: i64) -> SerialFailures {
    SerialFailures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        locked_for: Duration::from_millis(u64::try_from(until.saturating_sub(now)).unwrap_or(0)),
        counted: false,
    }
}

/// [`serial_failures_at`] for a call that counted a wrong attempt.
pub(crate) fn counted_failures_at(count: i64, until: i64, now: i64) -> SerialFailures {
    SerialFailures {
        counted: true,
        ..serial_failures_at(count, until, now)
    }
}

/// The stored rows of wrong serials whose last failure and lock-out both ended before this
/// (ms since the epoch) are forgotten at `now` ([`SERIAL_FAILURES_KEPT`]).
pub(crate) fn serial_failures_forgotten_before(now: i64) -> i64 {
    now.saturating_sub(i64::try_from(SERIAL_FAILURES_KEPT.as_millis()).unwrap_or(i64::MAX))
}

/// When a lock-out of `lock` starting at `now` ends, as stored (ms since the epoch).
pub(crate) fn locked_until(now: i64, lock: Duration) -> i64 {
    now.saturating_add(i64::try_from(lock.as_millis()).unwrap_or(i64::MAX))
}

/// A customer of the company.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The customer's RUT (unique).
    pub rut: Rut,
    /// Full name, e.g. `Jorge Sandoval`.
    pub name: String,
    /// Serial number of the customer's identity card, the second factor for sensitive data.
    pub id_serial: Option<String>,
}

impl Customer {
    /// The given name used in greetings (`Hola Jorge`): the first word, or the first two
    /// when they make a compound given name and surnames follow ("María José Pérez":
    /// `Hola María José`; "José Miguel de la Cruz": `Hola José Miguel`). With two words
    /// the second is the surname ("Ana Paz": `Hola Ana`).
    pub fn first_name(&self) -> &str {
        let name = self.name.trim();
        let mut words = name.split_whitespace();
        let Some(first) = words.next() else {
            return name;
        };
        let (Some(second), Some(_)) = (words.next(), words.next()) else {
            return first;
        };
        // Lowercase, accents off (the list is written so).
        let key = crate::nlu::text::normalize(second);
        let compound = SECOND_GIVEN_NAMES.contains(&key.trim());
        if !compound {
            return first;
        }
        // Both words, with the whitespace between them as written in `name`.
        let start = second.as_ptr() as usize - name.as_ptr() as usize;
        &name[..start + second.len()]
    }
}

/// Given names that are often the second of a compound one in Chile ("María José", "Juan
/// Pablo", "María Paz"), lowercase and without accents; a second word among them, before
/// the surnames, is greeted too.
const SECOND_GIVEN_NAMES: &[&str] = &[
    "jose",
    "maria",
    "pablo",
    "paz",
    "ignacio",
    "ignacia",
    "antonio",
    "antonia",
    "carlos",
    "luis",
    "luisa",
    "francisco",
    "francisca",
    "javier",
    "andres",
    "alberto",
    "alejandro",
    "alejandra",
    "miguel",
    "manuel",
    "tomas",
    "esteban",
    "cristobal",
    "eduardo",
    "enrique",
    "fernanda",
    "belen",
    "trinidad",
    "soledad",
    "teresa",
    "isabel",
    "elena",
    "jesus",
    "pia",
    "victoria",
    "cristina",
    "eugenia",
    "angelica",
    "ines",
    "loreto",
    "constanza",
    "catalina",
    "gabriel",
    "gabriela",
    "fernando",
    "ester",
];

/// One timestamped entry of a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it (`Asistente`, an executive's name, `sistema`).
    pub author: String,
    /// What happened.
    pub text: String,
}

/// One line of the live chat between a customer and an executive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptLine {
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Who sent it (the customer's or the executive's name).
    pub speaker: String,
    /// What was sent.
    pub text: String,
}

/// A customer's request ("solicitud").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Its number.
    pub id: RequestId,
    /// Whose it is.
    pub rut: Rut,
    /// What it is about, e.g. `Cambio de clave WiFi`.
    pub subject: String,
    /// `abierto` or `cerrado`.
    pub state: RequestState,
    /// The answer given to the customer, if any (e.g. the new WiFi key).
    pub answer: Option<String>,
    /// Whether the answer is sensitive (shown only after the second factor).
    pub sensitive: bool,
    /// What happened, oldest first.
    pub history: Vec<HistoryEntry>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Which requests [`Registry::list`] returns.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only this customer's requests.
    pub rut: Option<Rut>,
    /// Only requests in this state.
    pub state: Option<RequestState>,
}

/// Registry failures.
#[derive(Debug, Error)]
pub enum RegistryError {
    /// The database failed (full disk, read-only file, corruption...).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL server failed or could not be reached.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// The PostgreSQL database cannot be used (bad connection string, no schema, a schema
    /// newer than this program).
    #[error("cannot use the database: {0}")]
    Database(String),
    /// No request with that number.
    #[error("request {0} does not exist")]
    NotFound(RequestId),
    /// A state other than `abierto`/`cerrado`.
    #[error("unknown state {0:?} (use abierto or cerrado)")]
    BadState(String),
    /// The customer is already registered.
    #[error("customer {0} already exists")]
    CustomerExists(Rut),
    /// A request was created for a RUT that is not a registered customer.
    #[error("customer {0} is not registered")]
    UnknownCustomer(Rut),
    /// The database cannot be used: its directory cannot be created, its schema is newer
    /// than this program, or a read-only open found no (or an old) reclamos schema.
    #[error("cannot open {}: {reason}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// More load-test customers than the reserved RUT range holds.
    #[error("at most {max} load-test customers, not {0}", max = demo::MAX_LOAD_CUSTOMERS)]
    TooManyLoadCustomers(usize),
    /// The store did not answer within the operation's time budget (another process holds
    /// the database's write lock, the disk stalls, or too many operations are queued).
    /// Nothing was acknowledged: a write that had not started is never run, one that was
    /// running is rolled back unless its commit had already begun.
    #[error("the registry did not answer within {0:?}")]
    Timeout(Duration),
    /// The store is not running (its thread ended, or an operation crashed it).
    #[error("the registry is unavailable")]
    Unavailable,
    /// The SQLite file was deleted or replaced while the server ran (`rm reclamos.db`, a
    /// restore over it): writes are refused, since what they committed would be lost with
    /// the unlinked file. Restore the file, or restart the server.
    #[error("the database file {} was deleted or replaced while the server ran", .0.display())]
    FileGone(PathBuf),
    /// The store cannot do this (e.g. cap its size).
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
}

impl RegistryError {
    /// Whether the database failed the operation (an error of the store, not of what was
    /// asked: a missing request, a customer registered twice, a bad state).
    pub fn is_failure(&self) -> bool {
        // Every variant named: a new one must be placed on one side.
        match self {
            RegistryError::Sqlite(_)
            | RegistryError::Postgres(_)
            | RegistryError::Database(_)
            | RegistryError::Open { .. }
            | RegistryError::Timeout(_)
            | RegistryError::Unavailable
            | RegistryError::FileGone(_) => true,
            RegistryError::NotFound(_)
            | RegistryError::BadState(_)
            | RegistryError::CustomerExists(_)
            | RegistryError::UnknownCustomer(_)
            | RegistryError::TooManyLoadCustomers(_)
            | RegistryError::Unsupported(_) => false,
        }
    }

    /// Whether the store was merely slow or absent (worth an apology and a later retry),
    /// as opposed to refusing the operation.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            RegistryError::Timeout(_) | RegistryError::Unavailable | RegistryError::FileGone(_)
        )
    }
}

/// How many of a customer's requests are read (and cached) with the customer: the open ones
/// first, then the most recent. A record of thousands (years of restarts, or a script)
/// would otherwise be read whole on each cache miss and weigh on the cache; an older
/// request is still found by its number.
pub const ACCOUNT_REQUESTS: usize = 200;

/// How long one registry operation may take, queueing included, before the caller gets
/// [`RegistryError::Timeout`]: 3 s. Long enough to ride out a checkpoint's fsync or a
/// short burst of writes from another process; short enough that a customer waiting for a
/// request number gets an apology rather than silence. SQLite's own wait for another
/// process's write lock is cut to what is left of it.
pub const OP_TIMEOUT: Duration = Duration::from_secs(3);

/// How a store is run.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// The time budget of one operation (see [`OP_TIMEOUT`]).
    pub op_timeout: Duration,
    /// Threads (each with its own read connection) for reads the cache cannot answer.
    pub readers: usize,
    /// Operations that may wait for the writer; a caller finding the queue full waits for
    /// room within its time budget.
    pub queue: usize,
    /// PostgreSQL: connections in this node's pool (a caller finding all of them busy waits
    /// within its time budget).
    pub pool_size: usize,
    /// SQLite: when a commit counts as done (see [`SqliteSync`]).
    pub sqlite_sync: SqliteSync,
}

/// When an SQLite commit returns, and so when a customer is told a request number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// `synchronous=NORMAL` in WAL mode: a crash of reclamos loses nothing acknowledged; a
    /// power loss or kernel crash can lose the last commits (never corrupts the file).
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is on the disk before it is acknowledged (one
    /// `fsync` per commit: fewer writes per second).
    Full,
}

impl std::fmt::Display for SqliteSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SqliteSync::Normal => "normal",
            SqliteSync::Full => "full",
        })
    }
}

impl std::str::FromStr for SqliteSync {
    type Err = String;

    fn from_str(s: &str) -> Result<SqliteSync, String> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Ok(SqliteSync::Normal),
            "full" => Ok(SqliteSync::Full),
            other => Err(format!("{other:?} is not normal or full")),
        }
    }
}

impl SqliteSync {
    /// The value of SQLite's `synchronous` pragma.
    pub fn pragma(self) -> &'static str {
        match self {
            SqliteSync::Normal => "NORMAL",
            SqliteSync::Full => "FULL",
        }
    }
}

impl Default for StoreConfig {
    fn default() -> StoreConfig {
        StoreConfig {
            op_timeout: OP_TIMEOUT,
            readers: 2,
            queue: 1024,
            pool_size: 16,
            sqlite_sync: SqliteSync::Normal,
        }
    }
}

/// Where the registry lives: an SQLite file (the default) or a PostgreSQL database, told
/// apart once, where the option is read: `postgres://` and `postgresql://` connection strings
/// name PostgreSQL, anything else is a file path.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string, e.g. `postgres://reclamos@db:5432/reclamos`.
    Postgres(String),
}

impl Location {
    /// Reads a `--db` value.
    pub fn parse(text: &str) -> Location {
        if postgres::is_url(text) {
            Location::Postgres(text.to_string())
        } else {
            Location::Sqlite(PathBuf::from(text))
        }
    }
}

impl FromStr for Location {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Location, Self::Err> {
        Ok(Location::parse(text))
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Sqlite(path)
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Location {
        Location::Sqlite(path.to_path_buf())
    }
}

/// Shows the file path, or the connection string without its password.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&postgres::redact(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Location::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&postgres::redact(url))
                .finish(),
        }
    }
}

/// Everything the server reads and writes, whatever keeps it.
///
/// Implementations never run storage work on the calling task's thread (SQLite: its own
/// threads; a networked database: its own async client). They need not bound their time:
/// [`Registry`] does. A write's future may be dropped at any point (its caller gave up);
/// the write must then either not happen or happen entirely, and the implementation should
/// skip it when it has not started. A write reports success only after its commit.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The customer with this RUT.
    async fn customer(&self, rut: Rut) -> Result<Option<Customer>, RegistryError>;
    /// Every customer, by RUT number.
    async fn customers(&self) -> Result<Vec<Customer>, RegistryError>;
    /// Registers a new customer (no identity-card serial).
    async fn register_customer(&self, rut: Rut, name: &str) -> Result<Customer, RegistryError>;
    /// A customer's requests, oldest first, each with its history: the open ones first and
    /// then the most recent, at most [`ACCOUNT_REQUESTS`].
    async fn requests_of(&self, rut: Rut) -> Result<Vec<Request>, RegistryError>;
    /// One request by number.
    async fn request(&self, id: RequestId) -> Result<Option<Request>, RegistryError>;
    /// One of `rut`'s requests by number: `None` both when the number does not exist and
    /// when it is another customer's, found the same way (the owner is part of the lookup,
    /// so the two cases take one path).
    async fn request_of(&self, rut: Rut, id: RequestId) -> Result<Option<Request>, RegistryError>;
    /// See [`Registry::create_request`].
    async fn create_request(
        &self,
        rut: Rut,
        subject: &str,
        state: RequestState,
        author: &str,
        history: &str,
    ) -> Result<Request, RegistryError>;
    /// See [`Registry::set_subject`].
    async fn set_subject(
        &self,
        id: RequestId,
        subject: &str,
        author: &str,
    ) -> Result<Request, RegistryError>;
    /// See [`Registry::set_state`].
    async fn set_state(
        &self,
        id: RequestId,
        state: RequestState,
        author: &str,
    ) -> Result<Request, RegistryError>;
    /// See [`Registry::set_answer`].
    async fn set_answer(
        &self,
        id: RequestId,
        answer: &str,
        sensitive: bool,
        author: &str,
    ) -> Result<Request, RegistryError>;
    /// Appends a history entry.
    async fn append_history(
        &self,
        id: RequestId,
        author: &str,
        text: &str,
    ) -> Result<Request, RegistryError>;
    /// Records a consultation without waiting (see [`Registry::record_consultation`]).
    fn record_consultation(&self, id: RequestId, channel: &str);
    /// When the request was consulted, oldest first (pending consultations included).
    async fn consultations(&self, id: RequestId) -> Result<Vec<DateTime<Utc>>, RegistryError>;
    /// Appends a line to the request's chat transcript.
    async fn append_transcript(
        &self,
        id: RequestId,
        speaker: &str,
        text: &str,
    ) -> Result<(), RegistryError>;
    /// The request's chat transcript, oldest first.
    async fn transcript(&self, id: RequestId) -> Result<Vec<TranscriptLine>, RegistryError>;
    /// Every request matching the filter, by number.
    async fn list(&self, filter: &RequestFilter) -> Result<Vec<Request>, RegistryError>;
    /// See [`Registry::seed_load_customers`].
    async fn seed_load_customers(&self, count: usize) -> Result<Vec<Rut>, RegistryError>;
    /// See [`Registry::limit_size`]; [`RegistryError::Unsupported`] where it makes no sense.
    async fn limit_size(&self, max_bytes: u64) -> Result<u64, RegistryError>;
    /// Keeps a message in the NLU inbox, then drops what `retention` no longer allows
    /// (older than its age, then the oldest beyond its count), in one transaction. A
    /// store may write it a moment later, in a batch; [`inbox`](Self::inbox) sees it.
    async fn keep_inbox_message(
        &self,
        message: InboxMessage,
        retention: InboxRetention,
    ) -> Result<(), RegistryError> {
        let _ = (message, retention);
        Err(RegistryError::Unsupported("the NLU inbox"))
    }
    /// The kept messages, oldest first; reviewed ones only with `include_reviewed`.
    async fn inbox(&self, include_reviewed: bool) -> Result<Vec<InboxEntry>, RegistryError> {
        let _ = include_reviewed;
        Err(RegistryError::Unsupported("the NLU inbox"))
    }
    /// Marks messages reviewed (now), with the operator's label; returns how many of them
    /// were still kept (others were dropped by retention meanwhile).
    async fn mark_reviewed(&self, reviews: Vec<Review>) -> Result<usize, RegistryError> {
        let _ = reviews;
        Err(RegistryError::Unsupported("the NLU inbox"))
    }
    /// The wrong serials counted for `rut` from the client address `from` and the lock-out
    /// in force.
    async fn serial_failures(
        &self,
        rut: Rut,
        from: IpAddr,
    ) -> Result<SerialFailures, RegistryError>;
    /// Counts a wrong serial for `rut` from `from` and starts the lock-out `lockout` asks
    /// for; returns the count and the lock-out now in force. Drops the counts that
    /// [`SERIAL_FAILURES_KEPT`] no longer keeps.
    async fn serial_failed(
        &self,
        rut: Rut,
        from: IpAddr,
        lockout: SerialLockout,
    ) -> Result<SerialFailures, RegistryError>;
    /// A right serial for `rut` from `from`: forgets the wrong ones from there.
    async fn serial_passed(&self, rut: Rut, from: IpAddr) -> Result<(), RegistryError>;
    /// The wrong executives' tokens counted for the server and the lock-out in force.
    async fn token_failures(&self) -> Result<TokenFailures, RegistryError>;
    /// Counts a wrong executives' token and starts the lock-out `lockout` asks for, unless
    /// a lock-out is in force (a guess during one is not checked, so not counted); returns
    /// the count and the lock-out now in force. Atomic across nodes.
    async fn token_failed(&self, lockout: TokenLockout) -> Result<TokenFailures, RegistryError>;
    /// A right token outside a lock-out: forgets the wrong ones.
    async fn token_passed(&self) -> Result<(), RegistryError>;
    /// How the read cache has served lookups (`None` without a cache).
    fn cache_counts(&self) -> Option<CacheCounts>;
    /// The database file (`None` in memory or on a database server).
    fn path(&self) -> Option<&Path>;
    /// Whether other servers may use the store at the same time (a database server: then
    /// a request's wait or chat may be live on another node).
    fn shared_by_servers(&self) -> bool;
}

/// Handle to the registry. Cheap to clone; safe to share between tasks.
///
/// Every method that touches storage is `async`, runs its work off the caller's thread and
/// answers within the store's time budget ([`StoreConfig::op_timeout`]), or with
/// [`RegistryError::Timeout`].
#[derive(Clone)]
pub struct Registry {
    store: Arc<dyn Store>,
    op_timeout: Duration,
    retention: InboxRetention,
    /// Operations that failed ([`RegistryError::is_failure`]), shared by every clone.
    failures: Arc<AtomicU64>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("path", &self.store.path())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A handle on `store`, whose operations may each take up to `op_timeout`.
    pub fn new(store: impl Store, op_timeout: Duration) -> Registry {
        Registry {
            store: Arc::new(store),
            op_timeout,
            retention: InboxRetention::default(),
            failures: Arc::default(),
        }
    }

    /// This handle with another retention for the NLU inbox (see
    /// [`keep_inbox_message`](Self::keep_inbox_message)).
    pub fn with_inbox_retention(mut self, retention: InboxRetention) -> Registry {
        self.retention = retention;
        self
    }

    /// Keeps a free-text message the classifier did not handle well in the NLU inbox (no
    /// customer data: see [`inbox`]); the store then drops what this handle's retention
    /// no longer allows, oldest first.
    ///
    /// Nothing is acknowledged to the customer for it: the SQLite store writes it with the
    /// consultations (see [`record_consultation`](Self::record_consultation)), within
    /// [`FLUSH_EVERY`]; a crash can lose the messages of that last moment.
    pub async fn keep_inbox_message(&self, message: InboxMessage) -> Result<(), RegistryError> {
        self.bounded(self.store.keep_inbox_message(message, self.retention))
            .await
    }

    /// The wrong serials counted for `rut` from the client address `from` (the server
    /// passes the key the per-address budgets use: IPv6 by its /64 network) and the
    /// lock-out in force.
    pub async fn serial_failures(
        &self,
        rut: Rut,
        from: IpAddr,
    ) -> Result<SerialFailures, RegistryError> {
        self.bounded(self.store.serial_failures(rut, from)).await
    }

    /// Counts a wrong serial for `rut` from `from` (durably); returns the count and the
    /// lock-out now in force.
    pub async fn serial_failed(
        &self,
        rut: Rut,
        from: IpAddr,
        lockout: SerialLockout,
    ) -> Result<SerialFailures, RegistryError> {
        self.bounded(self.store.serial_failed(rut, from, lockout))
            .await
    }

    /// A right serial for `rut` from `from`: forgets the wrong ones from there.
    pub async fn serial_passed(&self, rut: Rut, from: IpAddr) -> Result<(), RegistryError> {
        self.bounded(self.store.serial_passed(rut, from)).await
    }

    /// The wrong executives' tokens counted for the server and the lock-out in force.
    pub async fn token_failures(&self) -> Result<TokenFailures, RegistryError> {
        self.bounded(self.store.token_failures()).await
    }

    /// Counts a wrong executives' token (durably, for the whole server) unless a lock-out
    /// is in force; returns the count and the lock-out now in force.
    pub async fn token_failed(
        &self,
        lockout: TokenLockout,
    ) -> Result<TokenFailures, RegistryError> {
        self.bounded(self.store.token_failed(lockout)).await
    }

    /// A right token: forgets the wrong ones.
    pub async fn token_passed(&self) -> Result<(), RegistryError> {
        self.bounded(self.store.token_passed()).await
    }

    /// The kept messages, oldest first; reviewed ones only with `include_reviewed`.
    pub async fn inbox(&self, include_reviewed: bool) -> Result<Vec<InboxEntry>, RegistryError> {
        self.bounded(self.store.inbox(include_reviewed)).await
    }

    /// Marks kept messages reviewed, with the operator's label (`None`: skipped). Returns
    /// how many were still kept.
    pub async fn mark_reviewed(&self, reviews: Vec<Review>) -> Result<usize, RegistryError> {
        self.bounded(self.store.mark_reviewed(reviews)).await
    }

    /// Opens (creating if needed) the SQLite database at `path`: WAL mode, migrations, and
    /// demo customers on first creation. Synchronous (it migrates the schema): call it at
    /// start-up, or through `spawn_blocking` from async code.
    pub fn open(path: &Path) -> Result<Registry, RegistryError> {
        Registry::open_with(path, StoreConfig::default())
    }

    /// [`open`](Self::open) with explicit settings.
    pub fn open_with(path: &Path, config: StoreConfig) -> Result<Registry, RegistryError> {
        let op_timeout = config.op_timeout;
        Ok(Registry::new(
            sqlite::SqliteStore::open(path, config)?,
            op_timeout,
        ))
    }

    /// Opens an existing SQLite database without ever writing to it or creating it (for
    /// `reclamos requests`, possibly while the server runs). Writes through this handle fail
    /// with [`RegistryError::Sqlite`] (`SQLITE_READONLY`). Fails if the file is missing or
    /// its schema is not the one this program writes.
    pub fn open_read_only(path: &Path) -> Result<Registry, RegistryError> {
        let config = StoreConfig::default();
        let op_timeout = config.op_timeout;
        Ok(Registry::new(
            sqlite::SqliteStore::open_read_only(path, config)?,
            op_timeout,
        ))
    }

    /// An in-memory SQLite registry with the demo data, for tests.
    pub fn open_in_memory() -> Result<Registry, RegistryError> {
        let config = StoreConfig::default();
        let op_timeout = config.op_timeout;
        Ok(Registry::new(
            sqlite::SqliteStore::open_in_memory(config)?,
            op_timeout,
        ))
    }

    /// Connects to the PostgreSQL database at `url` (a `postgres://` connection string),
    /// migrates its schema under an advisory lock (demo customers on first creation) and
    /// starts the store's background task on the current runtime.
    pub async fn open_postgres(url: &str, config: StoreConfig) -> Result<Registry, RegistryError> {
        let op_timeout = config.op_timeout;
        Ok(Registry::new(
            postgres::PgStore::open(url, &config, true).await?,
            op_timeout,
        ))
    }

    /// Connects to an existing PostgreSQL registry without creating or migrating anything
    /// (for `reclamos requests`): fails unless its schema is at this program's version.
    pub async fn open_postgres_existing(
        url: &str,
        config: StoreConfig,
    ) -> Result<Registry, RegistryError> {
        let op_timeout = config.op_timeout;
        Ok(Registry::new(
            postgres::PgStore::open(url, &config, false).await?,
            op_timeout,
        ))
    }

    /// Opens the registry wherever `location` says: an SQLite file (opened on a blocking
    /// thread: it migrates the schema) or a PostgreSQL database.
    pub async fn open_at(
        location: &Location,
        config: StoreConfig,
    ) -> Result<Registry, RegistryError> {
        match location {
            Location::Sqlite(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || Registry::open_with(&path, config))
                    .await
                    .map_err(|_| RegistryError::Unavailable)?
            }
            Location::Postgres(url) => Registry::open_postgres(url, config).await,
        }
    }

    /// Runs `operation` within the time budget.
    async fn bounded<T>(
        &self,
        operation: impl Future<Output = Result<T, RegistryError>>,
    ) -> Result<T, RegistryError> {
        // An answer ready at once (a read from the cache) needs no timer.
        let mut operation = std::pin::pin!(operation);
        let result = match futures::poll!(operation.as_mut()) {
            std::task::Poll::Ready(result) => result,
            std::task::Poll::Pending => {
                match tokio::time::timeout(self.op_timeout, operation).await {
                    Ok(result) => result,
                    Err(_) => Err(RegistryError::Timeout(self.op_timeout)),
                }
            }
        };
        if result.as_ref().is_err_and(RegistryError::is_failure) {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// How many operations failed since the registry was opened (the database refused or
    /// did not answer; not a missing request or a customer registered twice).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Whether other servers may use the store at the same time (PostgreSQL; one SQLite
    /// file serves one server).
    pub fn shared_by_servers(&self) -> bool {
        self.store.shared_by_servers()
    }

    /// The database file, `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.store.path()
    }

    /// How the read cache has served customer lookups since the registry was opened
    /// (`None` for a read-only handle, which has no cache).
    pub fn cache_counts(&self) -> Option<CacheCounts> {
        self.store.cache_counts()
    }

    /// Caps the database's size at about `max_bytes` (SQLite's `max_page_count`, never
    /// below the current size). Writes that would grow it further fail with `SQLITE_FULL`,
    /// exactly as on a full disk; reads keep working. Returns the cap in bytes.
    pub async fn limit_size(&self, max_bytes: u64) -> Result<u64, RegistryError> {
        self.bounded(self.store.limit_size(max_bytes)).await
    }

    /// The customer with this RUT.
    pub async fn customer(&self, rut: Rut) -> Result<Option<Customer>, RegistryError> {
        self.bounded(self.store.customer(rut)).await
    }

    /// Every customer, by RUT number.
    pub async fn customers(&self) -> Result<Vec<Customer>, RegistryError> {
        self.bounded(self.store.customers()).await
    }

    /// Registers a new customer (no identity-card serial).
    pub async fn register_customer(&self, rut: Rut, name: &str) -> Result<Customer, RegistryError> {
        self.bounded(self.store.register_customer(rut, name)).await
    }

    /// A customer's requests, oldest first: the open ones and the most recent, at most
    /// [`ACCOUNT_REQUESTS`].
    pub async fn requests_of(&self, rut: Rut) -> Result<Vec<Request>, RegistryError> {
        self.bounded(self.store.requests_of(rut)).await
    }

    /// One request by number.
    pub async fn request(&self, id: RequestId) -> Result<Option<Request>, RegistryError> {
        self.bounded(self.store.request(id)).await
    }

    /// One of `rut`'s requests by number; another customer's number is answered exactly
    /// like a missing one (`None`, through the same lookup).
    pub async fn request_of(
        &self,
        rut: Rut,
        id: RequestId,
    ) -> Result<Option<Request>, RegistryError> {
        self.bounded(self.store.request_of(rut, id)).await
    }

    /// Records a new request with a first history entry; returns it with its new number,
    /// after its commit. An empty `history` text adds no entry. The RUT must be a
    /// registered customer ([`RegistryError::UnknownCustomer`] otherwise).
    pub async fn create_request(
        &self,
        rut: Rut,
        subject: &str,
        state: RequestState,
        author: &str,
        history: &str,
    ) -> Result<Request, RegistryError> {
        self.bounded(
            self.store
                .create_request(rut, subject, state, author, history),
        )
        .await
    }

    /// Changes the subject (recorded in the history as `Asunto cambiado a ...`). Setting the
    /// subject it already has changes nothing.
    pub async fn set_subject(
        &self,
        id: RequestId,
        subject: &str,
        author: &str,
    ) -> Result<Request, RegistryError> {
        self.bounded(self.store.set_subject(id, subject, author))
            .await
    }

    /// Changes the state (recorded in the history as `Estado cambiado a ...`). Setting the
    /// state it already has changes nothing.
    pub async fn set_state(
        &self,
        id: RequestId,
        state: RequestState,
        author: &str,
    ) -> Result<Request, RegistryError> {
        self.bounded(self.store.set_state(id, state, author)).await
    }

    /// Records the answer given to the customer; a `sensitive` one is shown only after the
    /// second factor. The history says `Respuesta registrada` without the answer itself, so
    /// a sensitive answer never leaks through the history.
    pub async fn set_answer(
        &self,
        id: RequestId,
        answer: &str,
        sensitive: bool,
        author: &str,
    ) -> Result<Request, RegistryError> {
        self.bounded(self.store.set_answer(id, answer, sensitive, author))
            .await
    }

    /// Appends a history entry.
    pub async fn append_history(
        &self,
        id: RequestId,
        author: &str,
        text: &str,
    ) -> Result<Request, RegistryError> {
        self.bounded(self.store.append_history(id, author, text))
            .await
    }

    /// Records that the request was consulted (an audit entry, not part of its history).
    /// Never waits.
    ///
    /// Nothing is acknowledged to the customer for it, so it is written in batches: in the
    /// background within [`FLUSH_EVERY`], before [`consultations`](Self::consultations)
    /// reads, and when the last handle is dropped. A crash can lose the consultations of
    /// that last moment, never a request or a history entry.
    pub fn record_consultation(&self, id: RequestId, channel: &str) {
        self.store.record_consultation(id, channel);
    }

    /// When the request was consulted, oldest first.
    pub async fn consultations(&self, id: RequestId) -> Result<Vec<DateTime<Utc>>, RegistryError> {
        self.bounded(self.store.consultations(id)).await
    }

    /// Appends a line to the request's chat transcript.
    pub async fn append_transcript(
        &self,
        id: RequestId,
        speaker: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        self.bounded(self.store.append_transcript(id, speaker, text))
            .await
    }

    /// The request's chat transcript, oldest first.
    pub async fn transcript(&self, id: RequestId) -> Result<Vec<TranscriptLine>, RegistryError> {
        self.bounded(self.store.transcript(id)).await
    }

    /// Every request matching the filter, by number.
    pub async fn list(&self, filter: &RequestFilter) -> Result<Vec<Request>, RegistryError> {
        self.bounded(self.store.list(filter)).await
    }

    /// Creates the load-test customers 1 to `count` (see [`demo::load_customer`]: RUT
    /// `50.000.000 + i`, named `Cliente Carga {i}`), each with one open request, and returns
    /// their RUTs in order. Idempotent: customers that already exist are left alone, so
    /// calling it again (or with a larger count) only adds the missing ones. Not bounded by
    /// the operation time budget (one large transaction, run at start-up).
    pub async fn seed_load_customers(&self, count: usize) -> Result<Vec<Rut>, RegistryError> {
        self.store.seed_load_customers(count).await
    }
}

/// How often the SQLite store's background thread writes the pending consultations.
pub const FLUSH_EVERY: Duration = Duration::from_millis(25);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_use_a_compound_given_name_when_surnames_follow() {
        let greeted = |name: &str| {
            Customer {
                rut: Rut::from_number(12_345_678).unwrap(),
                name: name.to_string(),
                id_serial: None,
            }
            .first_name()
            .to_string()
        };
        for (name, first) in [
            ("María José Pérez", "María José"),
            ("maria jose perez soto", "maria jose"),
            ("Juan Pablo Soto", "Juan Pablo"),
            ("José Miguel de la Cruz", "José Miguel"),
            ("Jorge Sandoval", "Jorge"),
            ("Ana Paz", "Ana"),
            ("Juan Pérez Soto", "Juan"),
            ("Ana María González López", "Ana María"),
            ("Cliente Carga 1", "Cliente"),
            ("Ana", "Ana"),
        ] {
            assert_eq!(greeted(name), first, "{name}");
        }
    }

    #[test]
    fn serial_lockouts_start_every_round_and_double() {
        let lockout = SerialLockout {
            every: 3,
            base: Duration::from_secs(60),
        };
        let minutes = |count| lockout.after(count).as_secs() / 60;
        let table = [
            (0, 0),
            (1, 0),
            (2, 0),
            (3, 1),
            (4, 0),
            (5, 0),
            (6, 2),
            (9, 4),
            (12, 8),
        ];
        for (count, expected) in table {
            assert_eq!(minutes(count), expected, "after {count}");
        }
        assert_eq!(lockout.after(3 * 40), MAX_SERIAL_LOCKOUT);
        assert_eq!(lockout.after(u32::MAX), MAX_SERIAL_LOCKOUT);
    }

    #[test]
    fn token_lockouts_are_short_and_double_up_to_a_quarter_of_an_hour() {
        let lockout = TokenLockout::default();
        assert_eq!((lockout.every, lockout.base), (5, Duration::from_secs(60)));
        let minutes = |count| lockout.after(count).as_secs() / 60;
        let table = [(4, 0), (5, 1), (6, 0), (10, 2), (15, 4), (20, 8), (25, 15)];
        for (count, expected) in table {
            assert_eq!(minutes(count), expected, "after {count}");
        }
        assert_eq!(lockout.after(u32::MAX), MAX_TOKEN_LOCKOUT);
    }

    #[test]
    fn states_parse_in_any_case_and_display_in_spanish() {
        let table = [
            ("abierto", Some(RequestState::Abierto)),
            (" Cerrado ", Some(RequestState::Cerrado)),
            ("ABIERTO", Some(RequestState::Abierto)),
            ("pendiente", None),
            ("", None),
        ];
        for (text, expected) in table {
            assert_eq!(text.parse::<RequestState>().ok(), expected, "{text:?}");
        }
        assert_eq!(RequestState::Cerrado.to_string(), "cerrado");
        assert!(matches!(
            "x".parse::<RequestState>(),
            Err(RegistryError::BadState(s)) if s == "x"
        ));
    }
}
