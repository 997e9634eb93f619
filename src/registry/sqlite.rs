//! The SQLite store: the registry in one WAL database file, worked on by threads of its own
//! so that no runtime worker ever waits for the disk or for another process's lock.
//!
//! - One **writer thread** owns the read-write connection. Writes reach it through a
//!   bounded queue and answer through a `oneshot`. It runs each in one `IMMEDIATE`
//!   transaction, waiting for another process's write lock at most until the caller's time
//!   budget runs out; a write whose caller already gave up is skipped (not started) or
//!   rolled back (not yet committed). After the commit, and before answering, it forgets the
//!   touched customers in the read cache. It also writes the pending consultations and NLU
//!   inbox messages in batches and watches `PRAGMA data_version` for other processes' changes.
//! - The point reads the cache cannot answer (one customer, one request) go to the writer
//!   too, when it is idle or has only a few young writes to do ([`WriterGate`]): its page
//!   cache is warm, where a reader's is emptied by every commit of the writer (SQLite drops
//!   a connection's cache whenever the database changed). One that waits there
//!   [`HEDGE_AFTER`] is offered to the readers as well, so a write that waits for a lock or
//!   a disk never holds a read up for longer.
//! - **Reader threads**, each with its own connection, answer the scans (lists, transcripts)
//!   and the point reads the writer cannot take: in WAL mode a reader never waits for a
//!   writer, so a stalled write (another process holding the write lock) does not hold up
//!   the list of a customer's requests.
//! - The **read cache** (`cache.rs`) answers most reads in memory, on the caller's task.
//! - A **background thread** checkpoints the WAL with its own connection and asks the
//!   writer for its periodic chores.
//!
//! An in-memory database has one connection: its reads go to the writer thread too.

use std::net::IpAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, Rows, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::cache::{Account, Cache, CacheCounts};
use super::{
    counted_failures_at, demo, locked_until, schema, serial_failures_at,
    serial_failures_forgotten_before, Customer, HistoryEntry, InboxEntry, InboxMessage,
    InboxRetention, RegistryError, Request, RequestFilter, RequestId, RequestState, Review,
    SerialFailures, SerialLockout, Store, StoreConfig, TokenFailures, TokenLockout, TranscriptLine,
    ACCOUNT_REQUESTS, FLUSH_EVERY,
};
use crate::nlu::Intent;
use crate::protocol::history;
use crate::rut::Rut;

/// How often (in flushes) the background thread checkpoints the WAL: every 0.5 s.
const CHECKPOINT_EVERY_FLUSHES: u32 = 20;

/// How long a batch of pending rows waits for another process's write lock before it is
/// put back for the next round: the writer must not stall customers' writes for an audit
/// trail.
const PENDING_BUSY_WAIT: Duration = Duration::from_millis(50);

/// At most this many consultations, and as many inbox messages, wait to be written; beyond,
/// the oldest are dropped (and logged), so a database locked for long cannot grow memory
/// without bound.
const MAX_PENDING: usize = 100_000;

/// The time budget of [`SqliteStore::seed_load_customers`] (one large transaction at
/// start-up, not a customer waiting).
const SEED_BUDGET: Duration = Duration::from_secs(120);

/// Work for a store thread. A closure gets the thread's connection; it answers its caller
/// through the `oneshot` it captured.
type Work = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    /// A read for a caller.
    Read(Work),
    /// Any other operation for a caller (counted by the [`WriterGate`] on the writer).
    Write(Work),
    /// The writer's periodic chores: write the pending rows, notice other
    /// processes' changes and, when `catch_up_wal`, checkpoint with writes held back.
    /// Counted by the [`WriterGate`] like a write.
    Chores { catch_up_wal: bool },
}

/// Which thread may answer a read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// A point read (one customer, one request): the writer when it is idle or has only a
    /// few young writes to do (see [`WriterGate`]), else a reader.
    Point,
    /// A read of many rows (lists, transcripts): always a reader, so that it never delays
    /// a write.
    Scan,
}

/// A point read still waiting on the writer after this long is also offered to the readers
/// (the first thread to take it runs it). Also how long a write may have been running
/// before point reads stop queueing behind it: a write may wait seconds for another
/// process's lock, or for a stalled disk, and reads must not wait with it.
const HEDGE_AFTER: Duration = Duration::from_millis(2);

/// A point read queues behind at most this many writes on the writer (a write takes about
/// 0.1 ms); beyond, it goes to a reader at once.
const MAX_WRITES_AHEAD: usize = 4;

/// Decides which point reads the writer takes, so that none waits long behind a write.
///
/// Every write and chore is counted from before it is queued until it has run, and the
/// writer notes when the one it runs started. A point read goes to the writer when the
/// count is zero, or small and the running write is young; both check-or-count and
/// queueing happen under one short lock, so no write slips in between a read's check and
/// the read.
struct WriterGate {
    /// Writes and chores queued for the writer or running on it.
    writes: AtomicUsize,
    /// When the write or chore running on the writer started, in microseconds since
    /// `epoch` (0: none is running).
    running_since: AtomicU64,
    epoch: Instant,
    /// Held while queueing a job together with its check or count (never across `.await`).
    queueing: Mutex<()>,
}

impl WriterGate {
    fn new() -> WriterGate {
        WriterGate {
            writes: AtomicUsize::new(0),
            running_since: AtomicU64::new(0),
            epoch: Instant::now(),
            queueing: Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.queueing.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> u64 {
        // At least 1: 0 means "none running".
        u64::try_from(self.epoch.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// Queues a write or chore through `permit`, counted.
    fn queue_write(&self, permit: mpsc::Permit<'_, Job>, job: Job) {
        let _queueing = self.lock();
        self.writes.fetch_add(1, Ordering::AcqRel);
        permit.send(job);
    }

    /// Queues a point read on the writer when it is idle, or has a few writes to do and
    /// the running one is young, and there is room; gives it back otherwise.
    fn try_queue_read(&self, writer: &mpsc::Sender<Job>, job: Job) -> Result<(), Job> {
        self.try_queue_read_at(writer, job, self.now())
    }

    /// [`WriterGate::try_queue_read`] at `now` (microseconds since `epoch`).
    fn try_queue_read_at(&self, writer: &mpsc::Sender<Job>, job: Job, now: u64) -> Result<(), Job> {
        let _queueing = self.lock();
        let writes = self.writes.load(Ordering::Acquire);
        let since = self.running_since.load(Ordering::Acquire);
        let old = since != 0 && now.saturating_sub(since) > HEDGE_AFTER.as_micros() as u64;
        if writes > MAX_WRITES_AHEAD || (writes > 0 && old) {
            return Err(job);
        }
        writer.try_send(job).map_err(|err| err.into_inner())
    }

    /// The writer starts a counted write or chore.
    fn started(&self) {
        self.running_since.store(self.now(), Ordering::Release);
    }

    /// A counted write or chore has run.
    fn done(&self) {
        self.running_since.store(0, Ordering::Release);
        self.writes.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A read's work, for whichever thread takes it first (the writer, or a reader when the
/// writer is slow to get to it).
type SharedWork = Arc<Mutex<Option<Work>>>;

/// A job that runs `shared`'s work unless another thread took it already.
fn take_and_run(shared: &SharedWork) -> Job {
    let shared = Arc::clone(shared);
    Job::Read(Box::new(move |conn| {
        let work = shared.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(work) = work {
            work(conn);
        }
    }))
}

/// A consultation waiting to be written.
struct Consultation {
    request: RequestId,
    at: i64,
    channel: String,
}

/// A message for the NLU inbox waiting to be written, with the retention to apply after.
struct InboxRow {
    message: InboxMessage,
    at: i64,
    retention: InboxRetention,
}

/// Rows nobody waits for, written in batches by the writer (see [`flush_pending`]).
#[derive(Default)]
struct Pending {
    consultations: Vec<Consultation>,
    inbox: Vec<InboxRow>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.consultations.is_empty() && self.inbox.is_empty()
    }
}

/// Customers whose cached copy a write changed: forgotten after its commit.
type Touched = Vec<Rut>;

/// The SQLite implementation of [`Store`].
pub(super) struct SqliteStore {
    /// Where the database lives (`None` in memory).
    path: Option<PathBuf>,
    /// The writer's queue (`None` only while dropping).
    writer: Option<mpsc::Sender<Job>>,
    /// The readers' shared queue (`None`: reads go to the writer). A `flume` channel: each
    /// job wakes exactly one idle reader (readers sharing a tokio receiver behind a mutex
    /// woke a second one for every read, to take the mutex).
    readers: Option<flume::Sender<Job>>,
    /// `None` for a read-only handle, which has no background thread to notice other
    /// processes' changes.
    cache: Option<Arc<Cache>>,
    /// Consultations and inbox messages not written yet, see
    /// [`Store::record_consultation`] and [`Store::keep_inbox_message`].
    pending: Arc<Mutex<Pending>>,
    /// Whether chores are already queued for the writer (at most one at a time).
    chores_queued: Arc<AtomicBool>,
    /// Whether the writer may take a point read now.
    gate: Arc<WriterGate>,
    writer_thread: Option<JoinHandle<()>>,
    /// See [`StoreConfig::op_timeout`].
    op_timeout: Duration,
    /// The file was deleted or replaced under the server (the background thread checks):
    /// writes are refused with [`RegistryError::FileGone`].
    file_gone: Arc<AtomicBool>,
}

impl Drop for SqliteStore {
    /// Closes the queues and waits for the writer to finish what was queued and to write the
    /// pending rows (it ends once the queue is closed and empty).
    fn drop(&mut self) {
        self.writer = None;
        self.readers = None;
        if let Some(thread) = self.writer_thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// What the writer thread needs besides its connection.
struct WriterContext {
    cache: Option<Arc<Cache>>,
    pending: Arc<Mutex<Pending>>,
    chores_queued: Arc<AtomicBool>,
    gate: Arc<WriterGate>,
    /// The connection's `data_version` when last compared.
    seen: i64,
}

fn thread_error(path: &Path, what: &str, err: std::io::Error) -> RegistryError {
    RegistryError::Open {
        path: path.to_path_buf(),
        reason: format!("starting the {what} thread: {err}"),
    }
}

/// Refuses a damaged file at start (`PRAGMA quick_check`: every page and index entry is
/// well formed), so that a corrupt database is an error the operator sees at once, not an
/// apology to every customer later. It reads the whole file once: 23–34 ms for a 10 MB
/// database of 40,000 customers on this project's VM (measured with Python's sqlite3).
fn check_integrity(conn: &Connection, path: &Path) -> Result<(), RegistryError> {
    let mut stmt = conn.prepare("PRAGMA quick_check(5)")?;
    let problems: Vec<String> = stmt
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(RegistryError::Open {
        path: path.to_path_buf(),
        reason: format!(
            "the database file is damaged ({}); restore it from a backup (docs/deployment.md)",
            problems.join("; ")
        ),
    })
}

/// SQLite's "attempt to write a readonly database" on opening, said as what to fix: the
/// file or its directory (where the journal files go) is not writable by this user.
fn not_writable(err: RegistryError, path: &Path) -> RegistryError {
    match &err {
        RegistryError::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
            if matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_READONLY | rusqlite::ffi::SQLITE_READONLY_DIRECTORY
            ) =>
        {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            RegistryError::Open {
                path: path.to_path_buf(),
                reason: format!(
                    "this user cannot write the file or its directory {} (SQLite keeps its \
                     journal files beside the database): {err}",
                    dir.display()
                ),
            }
        }
        _ => err,
    }
}

impl SqliteStore {
    /// See [`Registry::open`](super::Registry::open).
    pub(super) fn open(path: &Path, config: StoreConfig) -> Result<SqliteStore, RegistryError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|err| RegistryError::Open {
                path: path.to_path_buf(),
                reason: format!("creating directory {}: {err}", parent.display()),
            })?;
        }
        let mut conn = Connection::open(path)?;
        schema::configure(&conn)?;
        schema::configure_file(&conn, config.sqlite_sync).map_err(|err| not_writable(err, path))?;
        check_integrity(&conn, path)?;
        let created = schema::migrate(&mut conn, path).map_err(|err| not_writable(err, path))?;
        if created {
            tracing::info!(path = %path.display(), "created the registry with demo data");
        }
        // Checkpoints copy the WAL back into the database and fsync: done inline they stall
        // whichever write happens to trigger them. The background thread does them instead.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let mut readers = Vec::new();
        for _ in 0..config.readers {
            let reader = Connection::open(path)?;
            schema::configure(&reader)?;
            reader.pragma_update(None, "query_only", true)?;
            readers.push(reader);
        }
        let background = Connection::open(path)?;
        schema::configure(&background)?;
        let store = SqliteStore::start(conn, Some(path), readers, Some(Cache::new()), &config)?;
        spawn_background(path, background, &store)?;
        Ok(store)
    }

    /// See [`Registry::open_read_only`](super::Registry::open_read_only).
    pub(super) fn open_read_only(
        path: &Path,
        config: StoreConfig,
    ) -> Result<SqliteStore, RegistryError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        schema::configure(&conn)?;
        // Reading a WAL database still creates its shared-memory file beside it.
        let found = schema::version(&conn).map_err(|err| not_writable(err, path))?;
        if found != schema::LATEST {
            let reason = if found == 0 {
                "not a reclamos database (no schema)".to_string()
            } else if found < schema::LATEST {
                format!(
                    "schema version {found}, this program reads version {}: start the server once to upgrade it",
                    schema::LATEST
                )
            } else {
                format!(
                    "schema version {found}, this program reads version {}",
                    schema::LATEST
                )
            };
            return Err(RegistryError::Open {
                path: path.to_path_buf(),
                reason,
            });
        }
        SqliteStore::start(conn, Some(path), Vec::new(), None, &config)
    }

    /// See [`Registry::open_in_memory`](super::Registry::open_in_memory).
    pub(super) fn open_in_memory(config: StoreConfig) -> Result<SqliteStore, RegistryError> {
        let mut conn = Connection::open_in_memory()?;
        schema::configure(&conn)?;
        schema::migrate(&mut conn, Path::new(":memory:"))?;
        // Nobody else can open an in-memory database: the cache never goes stale.
        SqliteStore::start(conn, None, Vec::new(), Some(Cache::new()), &config)
    }

    /// Starts the writer thread on `conn` and one reader thread per connection of `readers`.
    fn start(
        conn: Connection,
        path: Option<&Path>,
        readers: Vec<Connection>,
        cache: Option<Cache>,
        config: &StoreConfig,
    ) -> Result<SqliteStore, RegistryError> {
        let shown = path.unwrap_or(Path::new(":memory:"));
        let cache = cache.map(Arc::new);
        let pending = Arc::new(Mutex::new(Pending::default()));
        let chores_queued = Arc::new(AtomicBool::new(false));
        let gate = Arc::new(WriterGate::new());
        let seen = data_version(&conn)?;
        let context = WriterContext {
            cache: cache.clone(),
            pending: Arc::clone(&pending),
            chores_queued: Arc::clone(&chores_queued),
            gate: Arc::clone(&gate),
            seen,
        };
        let (writer, queue) = mpsc::channel(config.queue.max(1));
        let writer_thread = std::thread::Builder::new()
            .name("registry-writer".into())
            .spawn(move || writer_loop(conn, queue, context))
            .map_err(|err| thread_error(shown, "writer", err))?;
        let readers = if readers.is_empty() {
            None
        } else {
            let (sender, queue) = flume::bounded(config.queue.max(1));
            for (index, conn) in readers.into_iter().enumerate() {
                let queue = queue.clone();
                std::thread::Builder::new()
                    .name(format!("registry-reader-{index}"))
                    .spawn(move || reader_loop(conn, &queue))
                    .map_err(|err| thread_error(shown, "reader", err))?;
            }
            Some(sender)
        };
        Ok(SqliteStore {
            path: path.map(Path::to_path_buf),
            writer: Some(writer),
            readers,
            cache,
            pending,
            chores_queued,
            gate,
            writer_thread: Some(writer_thread),
            op_timeout: config.op_timeout,
            file_gone: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The time budget of one operation.
    fn budget(&self) -> Duration {
        self.op_timeout
    }

    fn writer(&self) -> Result<&mpsc::Sender<Job>, RegistryError> {
        self.writer.as_ref().ok_or(RegistryError::Unavailable)
    }

    /// Runs `f` on the writer thread in one `IMMEDIATE` transaction (the write lock is taken
    /// at `BEGIN`, so two writers cannot deadlock upgrading a read lock), waiting for
    /// another process's lock at most `budget`. After the commit, and before answering, the
    /// customers `f` put in its [`Touched`] are forgotten by the cache. Not run when the
    /// caller gave up before it started; rolled back when it gave up before the commit.
    async fn write<T: Send + 'static>(
        &self,
        budget: Duration,
        f: impl FnOnce(&Connection, &mut Touched) -> Result<T, RegistryError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        if self.file_gone.load(Ordering::Acquire) {
            let path = self.path.clone().unwrap_or_default();
            return Err(RegistryError::FileGone(path));
        }
        let (reply, answer) = oneshot::channel();
        let cache = self.cache.clone();
        let deadline = Instant::now() + budget;
        let work: Work = Box::new(move |conn| {
            if reply.is_closed() {
                return;
            }
            let result = write_now(conn, deadline, &reply, cache.as_deref(), f);
            let _ = reply.send(result);
        });
        self.queue_write(work).await?;
        answer.await.map_err(|_| RegistryError::Unavailable)?
    }

    /// Queues `work` for the writer as a write, waiting for room in its queue.
    async fn queue_write(&self, work: Work) -> Result<(), RegistryError> {
        let permit = self
            .writer()?
            .reserve()
            .await
            .map_err(|_| RegistryError::Unavailable)?;
        self.gate.queue_write(permit, Job::Write(work));
        Ok(())
    }

    /// Runs `f` in one read transaction (a consistent snapshot). A point read runs on the
    /// writer when it has no write to do, or a few young ones (see [`WriterGate`]): when it
    /// has waited [`HEDGE_AFTER`] there (behind writes, or other reads), a reader may take
    /// it too. Scans run on a reader thread; everything on the writer when there are no
    /// readers. Not run when the caller gave up before.
    async fn read<T: Send + 'static>(
        &self,
        reach: Reach,
        f: impl FnOnce(&Connection) -> Result<T, RegistryError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        let (reply, mut answer) = oneshot::channel();
        let work: Work = Box::new(move |conn| {
            if reply.is_closed() {
                return;
            }
            let result = (|| {
                let tx = conn.transaction()?;
                let value = f(&tx)?;
                tx.commit()?;
                Ok(value)
            })();
            let _ = reply.send(result);
        });
        let Some(readers) = &self.readers else {
            self.writer()?
                .send(Job::Read(work))
                .await
                .map_err(|_| RegistryError::Unavailable)?;
            return answer.await.map_err(|_| RegistryError::Unavailable)?;
        };
        let for_readers = match reach {
            Reach::Scan => Some(Job::Read(work)),
            Reach::Point => {
                let shared: SharedWork = Arc::new(Mutex::new(Some(work)));
                match self
                    .gate
                    .try_queue_read(self.writer()?, take_and_run(&shared))
                {
                    Err(refused) => Some(refused),
                    Ok(()) => match tokio::time::timeout(HEDGE_AFTER, &mut answer).await {
                        Ok(answered) => return answered.map_err(|_| RegistryError::Unavailable)?,
                        // Still waiting on the writer: offer it to the readers too, unless
                        // the writer answers while the readers' queue has no room.
                        Err(_) => tokio::select! {
                            answered = &mut answer => {
                                return answered.map_err(|_| RegistryError::Unavailable)?;
                            }
                            sent = readers.send_async(take_and_run(&shared)) => {
                                sent.map_err(|_| RegistryError::Unavailable)?;
                                None
                            }
                        },
                    },
                }
            }
        };
        if let Some(job) = for_readers {
            readers
                .send_async(job)
                .await
                .map_err(|_| RegistryError::Unavailable)?;
        }
        answer.await.map_err(|_| RegistryError::Unavailable)?
    }

    /// Runs `f` on the writer's connection outside any transaction (settings, tests).
    async fn on_writer<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, RegistryError> + Send + 'static,
    ) -> Result<T, RegistryError> {
        let (reply, answer) = oneshot::channel();
        let work: Work = Box::new(move |conn| {
            let _ = reply.send(f(conn));
        });
        self.queue_write(work).await?;
        answer.await.map_err(|_| RegistryError::Unavailable)?
    }

    /// The customer with this RUT and their requests: from the cache, or read (a point
    /// read, see [`SqliteStore::read`], in one read transaction) and cached unless a
    /// change to the customer committed meanwhile.
    async fn account(&self, rut: Rut) -> Result<Arc<Account>, RegistryError> {
        let Some(cache) = &self.cache else {
            return Ok(Arc::new(
                self.read(Reach::Point, move |conn| load_account(conn, rut))
                    .await?,
            ));
        };
        if let Some(account) = cache.account(rut) {
            return Ok(account);
        }
        let generation = cache.generation(rut);
        let account = Arc::new(
            self.read(Reach::Point, move |conn| load_account(conn, rut))
                .await?,
        );
        cache.insert_if_current(rut, generation, Arc::clone(&account));
        Ok(account)
    }
}

/// Runs one write for [`SqliteStore::write`] on the writer's connection.
fn write_now<T, R>(
    conn: &mut Connection,
    deadline: Instant,
    reply: &oneshot::Sender<R>,
    cache: Option<&Cache>,
    f: impl FnOnce(&Connection, &mut Touched) -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    let budget = deadline.saturating_duration_since(Instant::now());
    conn.busy_timeout(budget)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|err| busy_as_timeout(err, budget))?;
    let mut touched = Touched::new();
    let value = f(&tx, &mut touched)?;
    if reply.is_closed() {
        // The caller gave up: roll back (dropping the transaction) rather than commit what
        // nobody will be told about.
        return Err(RegistryError::Timeout(budget));
    }
    tx.commit().map_err(|err| busy_as_timeout(err, budget))?;
    if let Some(cache) = cache {
        for rut in touched {
            cache.forget(rut);
        }
    }
    Ok(value)
}

/// Whether SQLite gave up waiting for another connection's lock ("database is locked").
fn is_busy(err: &rusqlite::Error) -> bool {
    err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

/// SQLite's "database is locked" after waiting all of `budget` is a timeout of the store.
fn busy_as_timeout(err: rusqlite::Error, budget: Duration) -> RegistryError {
    if is_busy(&err) {
        RegistryError::Timeout(budget)
    } else {
        err.into()
    }
}

/// Rolls back a transaction a panicking job left open.
fn roll_back_leftovers(conn: &Connection) {
    if !conn.is_autocommit() {
        if let Err(err) = conn.execute_batch("ROLLBACK") {
            tracing::warn!(cause = %err, "rolling back after a panic failed");
        }
    }
}

/// Runs one job, surviving its panic: the caller sees [`RegistryError::Unavailable`] (its
/// `oneshot` is dropped), and any transaction it left open is rolled back.
fn run(conn: &mut Connection, work: Work) {
    if catch_unwind(AssertUnwindSafe(|| work(conn))).is_err() {
        tracing::error!("a registry operation panicked; rolled back");
    }
    roll_back_leftovers(conn);
}

fn writer_loop(mut conn: Connection, mut queue: mpsc::Receiver<Job>, mut context: WriterContext) {
    while let Some(job) = queue.blocking_recv() {
        match job {
            Job::Read(work) => {
                // As patient as a reader's connection (a write leaves its own budget).
                if let Err(err) = conn.busy_timeout(schema::BUSY_TIMEOUT) {
                    tracing::warn!(cause = %err, "setting the busy timeout for a read");
                }
                run(&mut conn, work);
            }
            Job::Write(work) => {
                context.gate.started();
                run(&mut conn, work);
                context.gate.done();
            }
            Job::Chores { catch_up_wal } => {
                context.gate.started();
                context.chores_queued.store(false, Ordering::Release);
                let chores = catch_unwind(AssertUnwindSafe(|| {
                    flush_pending(&mut conn, &context.pending, PENDING_BUSY_WAIT);
                    notice_external_changes(&conn, &mut context);
                    if catch_up_wal {
                        catch_up(&conn);
                    }
                }));
                if chores.is_err() {
                    tracing::error!("the registry's chores panicked; rolled back");
                    roll_back_leftovers(&conn);
                }
                context.gate.done();
            }
        }
    }
    // Every handle is gone: write what is left.
    flush_pending(&mut conn, &context.pending, schema::BUSY_TIMEOUT);
}

fn reader_loop(mut conn: Connection, queue: &flume::Receiver<Job>) {
    // Ends when every sender is gone (the store was dropped).
    while let Ok(job) = queue.recv() {
        match job {
            Job::Read(work) | Job::Write(work) => run(&mut conn, work),
            Job::Chores { .. } => {}
        }
    }
}

/// Clears the cache when another connection committed to the database since last time
/// (`PRAGMA data_version` of the writer's connection, which only moves for other
/// connections' commits). On an error the cache is cleared too: it is only a copy.
fn notice_external_changes(conn: &Connection, context: &mut WriterContext) {
    let Some(cache) = &context.cache else {
        return;
    };
    match data_version(conn) {
        Ok(version) if version == context.seen => {}
        Ok(version) => {
            tracing::info!("the database was changed by another process: cache cleared");
            cache.clear();
            context.seen = version;
        }
        Err(err) => {
            tracing::warn!(cause = %err, "reading data_version: cache cleared");
            cache.clear();
        }
    }
}

/// Writes the pending consultations and inbox messages in one transaction, then drops the
/// inbox rows the newest message's retention no longer allows. Consultations of requests
/// that do not exist are skipped. When another process holds the write lock longer than
/// `wait`, the batch is put back for the next round; on another database error it is
/// dropped (and logged): neither is acknowledged to anybody, and keeping them would grow
/// memory while the disk is full.
fn flush_pending(conn: &mut Connection, pending: &Mutex<Pending>, wait: Duration) {
    let batch = std::mem::take(&mut *pending.lock().unwrap_or_else(|e| e.into_inner()));
    if batch.is_empty() {
        return;
    }
    let started = Instant::now();
    let written = (|| -> Result<(), RegistryError> {
        conn.busy_timeout(wait)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO consultations (request_id, at, channel)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM requests WHERE id = ?1)",
            )?;
            for consultation in &batch.consultations {
                // Numbers beyond i64::MAX cannot exist: skipped like any missing request.
                let Ok(id) = i64::try_from(consultation.request) else {
                    continue;
                };
                insert.execute(params![id, consultation.at, consultation.channel])?;
            }
        }
        if let Some(last) = batch.inbox.last() {
            let mut insert = tx.prepare_cached(
                "INSERT INTO nlu_inbox (at, text, outcome, predicted, confidence)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for row in &batch.inbox {
                let message = &row.message;
                insert.execute(params![
                    row.at,
                    message.text,
                    message.outcome.name(),
                    message.predicted.name(),
                    f64::from(message.confidence)
                ])?;
            }
            prune_inbox(&tx, now_millis(), tx.last_insert_rowid(), last.retention)?;
        }
        tx.commit()?;
        Ok(())
    })();
    match written {
        // How long the writer was busy with it (RUST_LOG=reclamos::registry=debug).
        Ok(()) => tracing::debug!(
            consultations = batch.consultations.len(),
            inbox = batch.inbox.len(),
            took = ?started.elapsed(),
            "pending rows written"
        ),
        Err(RegistryError::Sqlite(err)) if is_busy(&err) => {
            let mut pending = pending.lock().unwrap_or_else(|e| e.into_inner());
            let newer = std::mem::replace(&mut *pending, batch);
            pending.consultations.extend(newer.consultations);
            pending.inbox.extend(newer.inbox);
            let lost = keep_newest(&mut pending.consultations) + keep_newest(&mut pending.inbox);
            if lost > 0 {
                tracing::error!(lost, "the database stayed locked: pending rows dropped");
            }
        }
        Err(err) => tracing::error!(
            cause = %err,
            lost = batch.consultations.len() + batch.inbox.len(),
            "writing pending rows"
        ),
    }
}

/// Drops the oldest rows beyond [`MAX_PENDING`]; returns how many.
fn keep_newest<T>(rows: &mut Vec<T>) -> usize {
    let excess = rows.len().saturating_sub(MAX_PENDING);
    rows.drain(..excess);
    excess
}

/// Starts the thread that checkpoints the WAL of `path` with its own connection (a
/// `PASSIVE` checkpoint, which never waits for readers or writers) and asks the writer for
/// its chores every [`FLUSH_EVERY`], until the store is dropped.
fn spawn_background(
    path: &Path,
    conn: Connection,
    store: &SqliteStore,
) -> Result<(), RegistryError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    // The thread must not keep the store alive: it holds the writer's queue weakly.
    let Some(sender) = store.writer.as_ref().map(mpsc::Sender::downgrade) else {
        return Ok(());
    };
    let chores_queued = Arc::clone(&store.chores_queued);
    let gate = Arc::clone(&store.gate);
    let file_gone = Arc::clone(&store.file_gone);
    let (file, identity) = (path.to_path_buf(), file_identity(path));
    std::thread::Builder::new()
        .name("registry-background".into())
        .spawn(move || {
            let mut checkpoints = Streak::default();
            for round in 1u32.. {
                std::thread::sleep(FLUSH_EVERY);
                let Some(writer) = sender.upgrade() else {
                    return;
                };
                let mut catch_up_wal = false;
                if round % CHECKPOINT_EVERY_FLUSHES == 0 {
                    catch_up_wal = checkpoint(&conn, &wal, &mut checkpoints);
                    if identity.is_some()
                        && file_identity(&file) != identity
                        && !file_gone.swap(true, Ordering::AcqRel)
                    {
                        tracing::error!(
                            path = %file.display(),
                            "the database file was deleted or replaced while the server ran: \
                             writes are refused (customers get an apology) until it is restored \
                             or the server restarts"
                        );
                    }
                }
                if chores_queued.swap(true, Ordering::AcqRel) && !catch_up_wal {
                    continue;
                }
                let room = writer.try_reserve();
                match room {
                    Ok(permit) => gate.queue_write(permit, Job::Chores { catch_up_wal }),
                    // The queue is full (the writer is stalled): next round.
                    Err(_) => chores_queued.store(false, Ordering::Release),
                }
            }
        })
        .map_err(|err| thread_error(path, "checkpoint", err))?;
    Ok(())
}

/// The file's device and inode (`None` when it cannot be read, or off Unix): a file deleted
/// or replaced under the server has none, or others.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Copies the WAL back into the database without stopping anybody (`PASSIVE`); returns
/// whether the WAL is over [`schema::WAL_SIZE_LIMIT`] and needs [`catch_up`].
///
/// Under a steady stream of writes a `PASSIVE` checkpoint never catches up: new commits
/// land while it copies, so the WAL is never fully copied when the next write begins, and
/// SQLite only restarts the WAL from its beginning in that case: it would grow by every
/// commit, for as long as the load lasts (about 30 MB a second at 20,000 messages a second
/// with one request created every ten). So when the file is over the limit, the writer
/// runs a second `PASSIVE` checkpoint between two writes ([`catch_up`]): with no write in
/// between it copies the little that came since the first one, and the next write restarts
/// the WAL, which `journal_size_limit` then cuts back. Readers never wait for it.
///
/// A failure is logged when it starts and when it ends, not at each round (a black-box
/// test's full disk logged it every 0.5 s).
fn checkpoint(conn: &Connection, wal: &Path, failing: &mut Streak) -> bool {
    let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    if failing.changes(result.is_err()) {
        match &result {
            Err(err) => tracing::warn!(
                cause = %err,
                "WAL checkpoint failed (logged again when it works once more)"
            ),
            Ok(()) => tracing::info!("WAL checkpoint works again"),
        }
    }
    result.is_ok() && std::fs::metadata(wal).map_or(0, |meta| meta.len()) > schema::WAL_SIZE_LIMIT
}

/// Whether something that repeats is failing, to log only when that changes.
#[derive(Debug, Default)]
struct Streak {
    failing: bool,
}

impl Streak {
    /// Records one outcome; `true` when it starts a run of failures or ends one.
    fn changes(&mut self, failed: bool) -> bool {
        std::mem::replace(&mut self.failing, failed) != failed
    }
}

/// The second checkpoint of [`checkpoint`], run by the writer so that no write lands while
/// it copies.
fn catch_up(conn: &Connection) {
    let started = Instant::now();
    if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(cause = %err, "WAL checkpoint failed");
    }
    tracing::debug!(took = ?started.elapsed(), "WAL caught up by the writer");
}

#[async_trait]
impl Store for SqliteStore {
    async fn customer(&self, rut: Rut) -> Result<Option<Customer>, RegistryError> {
        Ok(self.account(rut).await?.customer.clone())
    }

    async fn customers(&self) -> Result<Vec<Customer>, RegistryError> {
        self.read(Reach::Scan, |conn| {
            let mut stmt = conn.prepare_cached("SELECT rut, name, id_serial FROM customers")?;
            let rows = stmt.query_map([], customer_from_row)?;
            let mut customers = rows.collect::<Result<Vec<_>, _>>()?;
            customers.sort_by_key(|c| c.rut);
            Ok(customers)
        })
        .await
    }

    async fn register_customer(&self, rut: Rut, name: &str) -> Result<Customer, RegistryError> {
        let name = name.to_string();
        self.write(self.budget(), move |conn, touched| {
            if load_customer(conn, rut)?.is_some() {
                return Err(RegistryError::CustomerExists(rut));
            }
            touched.push(rut);
            conn.prepare_cached(
                "INSERT INTO customers (rut, name, id_serial) VALUES (?1, ?2, NULL)",
            )?
            .execute(params![rut.compact(), name])?;
            Ok(Customer {
                rut,
                name,
                id_serial: None,
            })
        })
        .await
    }

    async fn requests_of(&self, rut: Rut) -> Result<Vec<Request>, RegistryError> {
        Ok(self.account(rut).await?.requests.clone())
    }

    async fn request(&self, id: RequestId) -> Result<Option<Request>, RegistryError> {
        let Some(cache) = &self.cache else {
            return self
                .read(Reach::Point, move |conn| load_request(conn, id))
                .await;
        };
        let owner = match cache.owner(id) {
            Some(owner) => owner,
            None => match self
                .read(Reach::Point, move |conn| request_owner(conn, id))
                .await?
            {
                Some(owner) => owner,
                None => return Ok(None),
            },
        };
        match self.account(owner).await?.find(id) {
            Ok(found) => Ok(found),
            Err(()) => {
                self.read(Reach::Point, move |conn| load_request(conn, id))
                    .await
            }
        }
    }

    async fn request_of(&self, rut: Rut, id: RequestId) -> Result<Option<Request>, RegistryError> {
        // The customer's own requests are searched: a number that is someone else's is not
        // among them, exactly like one that does not exist (no lookup of its owner).
        if self.cache.is_none() {
            return self
                .read(Reach::Point, move |conn| load_request_of(conn, rut, id))
                .await;
        }
        match self.account(rut).await?.find(id) {
            Ok(found) => Ok(found),
            Err(()) => {
                self.read(Reach::Point, move |conn| load_request_of(conn, rut, id))
                    .await
            }
        }
    }

    async fn create_request(
        &self,
        rut: Rut,
        subject: &str,
        state: RequestState,
        author: &str,
        history: &str,
    ) -> Result<Request, RegistryError> {
        let (subject, author, history) =
            (subject.to_string(), author.to_string(), history.to_string());
        self.write(self.budget(), move |conn, touched| {
            if load_customer(conn, rut)?.is_none() {
                return Err(RegistryError::UnknownCustomer(rut));
            }
            touched.push(rut);
            let now = now_millis();
            conn.prepare_cached(
                "INSERT INTO requests (rut, subject, state, answer, sensitive, created_at, updated_at)
                 VALUES (?1, ?2, ?3, NULL, 0, ?4, ?4)",
            )?
            .execute(params![rut.compact(), subject, state.to_string(), now])?;
            let id = from_sql_id(conn.last_insert_rowid())?;
            if !history.trim().is_empty() {
                insert_history(conn, id, now, &author, &history)?;
            }
            load_request(conn, id)?.ok_or(RegistryError::NotFound(id))
        })
        .await
    }

    async fn set_subject(
        &self,
        id: RequestId,
        subject: &str,
        author: &str,
    ) -> Result<Request, RegistryError> {
        let (subject, author) = (subject.to_string(), author.to_string());
        self.write(self.budget(), move |conn, touched| {
            let current = load_request(conn, id)?.ok_or(RegistryError::NotFound(id))?;
            if current.subject == subject {
                return Ok(current);
            }
            touched.push(current.rut);
            let now = now_millis();
            conn.prepare_cached("UPDATE requests SET subject = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![id, subject, now])?;
            insert_history(conn, id, now, &author, &history::subject_changed(&subject))?;
            load_request(conn, id)?.ok_or(RegistryError::NotFound(id))
        })
        .await
    }

    async fn set_state(
        &self,
        id: RequestId,
        state: RequestState,
        author: &str,
    ) -> Result<Request, RegistryError> {
        let author = author.to_string();
        self.write(self.budget(), move |conn, touched| {
            let current = load_request(conn, id)?.ok_or(RegistryError::NotFound(id))?;
            if current.state == state {
                return Ok(current);
            }
            touched.push(current.rut);
            let now = now_millis();
            conn.prepare_cached("UPDATE requests SET state = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![id, state.to_string(), now])?;
            insert_history(conn, id, now, &author, &history::state_changed(state))?;
            load_request(conn, id)?.ok_or(RegistryError::NotFound(id))
        })
        .await
    }

    async fn set_answer(
        &self,
        id: RequestId,
        answer: &str,
        sensitive: bool,
        author: &str,
    ) -> Result<Request, RegistryError> {
        let (answer, author) = (answer.to_string(), author.to_string());
        self.write(self.budget(), move |conn, touched| {
            let now = now_millis();
            let changed = conn
                .prepare_cached(
                    "UPDATE requests SET answer = ?2, sensitive = ?3, updated_at = ?4 WHERE id = ?1",
                )?
                .execute(params![sql_id(id)?, answer, sensitive, now])?;
            if changed == 0 {
                return Err(RegistryError::NotFound(id));
            }
            insert_history(conn, id, now, &author, "Respuesta registrada")?;
            let request = load_request(conn, id)?.ok_or(RegistryError::NotFound(id))?;
            touched.push(request.rut);
            Ok(request)
        })
        .await
    }

    async fn append_history(
        &self,
        id: RequestId,
        author: &str,
        text: &str,
    ) -> Result<Request, RegistryError> {
        let (author, text) = (author.to_string(), text.to_string());
        self.write(self.budget(), move |conn, touched| {
            let now = now_millis();
            let changed = conn
                .prepare_cached("UPDATE requests SET updated_at = ?2 WHERE id = ?1")?
                .execute(params![sql_id(id)?, now])?;
            if changed == 0 {
                return Err(RegistryError::NotFound(id));
            }
            insert_history(conn, id, now, &author, &text)?;
            let request = load_request(conn, id)?.ok_or(RegistryError::NotFound(id))?;
            touched.push(request.rut);
            Ok(request)
        })
        .await
    }

    fn record_consultation(&self, id: RequestId, channel: &str) {
        let consultation = Consultation {
            request: id,
            at: now_millis(),
            channel: channel.to_string(),
        };
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.consultations.push(consultation);
        keep_newest(&mut pending.consultations);
    }

    async fn consultations(&self, id: RequestId) -> Result<Vec<DateTime<Utc>>, RegistryError> {
        // On the writer: it writes what is pending first, then reads.
        let pending = Arc::clone(&self.pending);
        let budget = self.budget();
        self.on_writer(move |conn| {
            flush_pending(conn, &pending, budget);
            let mut stmt = conn
                .prepare_cached("SELECT at FROM consultations WHERE request_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([sql_id(id)?], |row| time_from_sql(row, 0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn append_transcript(
        &self,
        id: RequestId,
        speaker: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        let (speaker, text) = (speaker.to_string(), text.to_string());
        self.write(self.budget(), move |conn, _| {
            if !request_exists(conn, id)? {
                return Err(RegistryError::NotFound(id));
            }
            conn.prepare_cached(
                "INSERT INTO transcript (request_id, at, speaker, text) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, now_millis(), speaker, text])?;
            Ok(())
        })
        .await
    }

    async fn transcript(&self, id: RequestId) -> Result<Vec<TranscriptLine>, RegistryError> {
        self.read(Reach::Scan, move |conn| {
            if !request_exists(conn, id)? {
                return Err(RegistryError::NotFound(id));
            }
            let mut stmt = conn.prepare_cached(
                "SELECT at, speaker, text FROM transcript WHERE request_id = ?1 ORDER BY id",
            )?;
            let rows = stmt.query_map([id], |row| {
                Ok(TranscriptLine {
                    at: time_from_sql(row, 0)?,
                    speaker: row.get(1)?,
                    text: row.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn list(&self, filter: &RequestFilter) -> Result<Vec<Request>, RegistryError> {
        let rut = filter.rut.map(Rut::compact);
        let state = filter.state.map(|s| s.to_string());
        self.read(Reach::Scan, move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS}, {HISTORY_COLUMNS} FROM requests r
                 LEFT JOIN history h ON h.request_id = r.id
                 WHERE (?1 IS NULL OR r.rut = ?1) AND (?2 IS NULL OR r.state = ?2)
                 ORDER BY r.id, h.id"
            ))?;
            let rows = stmt.query(params![rut, state])?;
            requests_from_rows(rows)
        })
        .await
    }

    async fn seed_load_customers(&self, count: usize) -> Result<Vec<Rut>, RegistryError> {
        if count > demo::MAX_LOAD_CUSTOMERS {
            return Err(RegistryError::TooManyLoadCustomers(count));
        }
        self.write(SEED_BUDGET, move |conn, touched| {
            let now = now_millis();
            let mut ruts = Vec::with_capacity(count);
            for i in 1..=count {
                let customer =
                    demo::load_customer(i).ok_or(RegistryError::TooManyLoadCustomers(count))?;
                let added = conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO customers (rut, name, id_serial) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![
                        customer.rut.compact(),
                        customer.name,
                        customer.id_serial
                    ])?;
                if added == 1 {
                    conn.prepare_cached(
                        "INSERT INTO requests (rut, subject, state, sensitive, created_at, updated_at)
                         VALUES (?1, ?2, 'abierto', 0, ?3, ?3)",
                    )?
                    .execute(params![customer.rut.compact(), demo::LOAD_SUBJECT, now])?;
                    let id = from_sql_id(conn.last_insert_rowid())?;
                    insert_history(conn, id, now, "sistema", "Solicitud creada para la prueba de carga")?;
                    touched.push(customer.rut);
                }
                ruts.push(customer.rut);
            }
            Ok(ruts)
        })
        .await
    }

    async fn limit_size(&self, max_bytes: u64) -> Result<u64, RegistryError> {
        self.on_writer(move |conn| {
            let page_size: u64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0))?;
            let pages = (max_bytes / page_size.max(1)).max(1);
            let pages: u64 =
                conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |row| {
                    row.get(0)
                })?;
            Ok(pages * page_size)
        })
        .await
    }

    /// Never waits: the message is written with the consultations (see
    /// [`flush_pending`]), within [`FLUSH_EVERY`].
    async fn keep_inbox_message(
        &self,
        message: InboxMessage,
        retention: InboxRetention,
    ) -> Result<(), RegistryError> {
        let row = InboxRow {
            message,
            at: now_millis(),
            retention,
        };
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.inbox.push(row);
        keep_newest(&mut pending.inbox);
        Ok(())
    }

    async fn serial_failures(
        &self,
        rut: Rut,
        from: IpAddr,
    ) -> Result<SerialFailures, RegistryError> {
        self.read(Reach::Point, move |conn| {
            let row: Option<(i64, i64)> = conn
                .prepare_cached(
                    "SELECT count, locked_until FROM serial_failures
                     WHERE rut = ?1 AND address = ?2",
                )?
                .query_row(params![rut.compact(), from.to_string()], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?;
            Ok(row.map_or_else(SerialFailures::default, |(count, until)| {
                serial_failures_at(count, until, now_millis())
            }))
        })
        .await
    }

    async fn serial_failed(
        &self,
        rut: Rut,
        from: IpAddr,
        lockout: SerialLockout,
    ) -> Result<SerialFailures, RegistryError> {
        self.write(self.budget(), move |conn, _| {
            let now = now_millis();
            let forgotten = serial_failures_forgotten_before(now);
            conn.prepare_cached(
                "DELETE FROM serial_failures WHERE last_at < ?1 AND locked_until < ?1",
            )?
            .execute([forgotten])?;
            let (rut, from) = (rut.compact(), from.to_string());
            let (count, until): (i64, i64) = conn
                .prepare_cached(
                    "INSERT INTO serial_failures (rut, address, count, locked_until, last_at)
                     VALUES (?1, ?2, 1, 0, ?3)
                     ON CONFLICT (rut, address) DO UPDATE SET count = count + 1, last_at = ?3
                     RETURNING count, locked_until",
                )?
                .query_row(params![rut, from, now], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?;
            let lock = lockout.after(u32::try_from(count).unwrap_or(u32::MAX));
            if lock.is_zero() {
                return Ok(counted_failures_at(count, until, now));
            }
            let until = locked_until(now, lock);
            conn.prepare_cached(
                "UPDATE serial_failures SET locked_until = ?3 WHERE rut = ?1 AND address = ?2",
            )?
            .execute(params![rut, from, until])?;
            Ok(counted_failures_at(count, until, now))
        })
        .await
    }

    async fn serial_passed(&self, rut: Rut, from: IpAddr) -> Result<(), RegistryError> {
        self.write(self.budget(), move |conn, _| {
            conn.prepare_cached("DELETE FROM serial_failures WHERE rut = ?1 AND address = ?2")?
                .execute(params![rut.compact(), from.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn token_failures(&self) -> Result<TokenFailures, RegistryError> {
        self.read(Reach::Point, move |conn| {
            load_token_failures(conn, now_millis())
        })
        .await
    }

    async fn token_failed(&self, lockout: TokenLockout) -> Result<TokenFailures, RegistryError> {
        self.write(self.budget(), move |conn, _| {
            let now = now_millis();
            // Counted only outside a lock-out (a guess during one is not even checked).
            let counted: Option<i64> = conn
                .prepare_cached(
                    "INSERT INTO token_failures (id, count, locked_until) VALUES (1, 1, 0)
                     ON CONFLICT (id) DO UPDATE SET count = count + 1 WHERE locked_until <= ?1
                     RETURNING count",
                )?
                .query_row([now], |row| row.get(0))
                .optional()?;
            if let Some(count) = counted {
                let lock = lockout.after(u32::try_from(count).unwrap_or(u32::MAX));
                if !lock.is_zero() {
                    let until = locked_until(now, lock);
                    conn.prepare_cached(
                        "UPDATE token_failures SET locked_until = ?1 WHERE id = 1",
                    )?
                    .execute([until])?;
                }
            }
            Ok(TokenFailures {
                counted: counted.is_some(),
                ..load_token_failures(conn, now)?
            })
        })
        .await
    }

    async fn token_passed(&self) -> Result<(), RegistryError> {
        self.write(self.budget(), move |conn, _| {
            conn.prepare_cached("DELETE FROM token_failures WHERE id = 1")?
                .execute([])?;
            Ok(())
        })
        .await
    }

    async fn inbox(&self, include_reviewed: bool) -> Result<Vec<InboxEntry>, RegistryError> {
        // On the writer: it writes what is pending first, then reads.
        let pending = Arc::clone(&self.pending);
        let budget = self.budget();
        self.on_writer(move |conn| {
            flush_pending(conn, &pending, budget);
            let mut stmt = conn.prepare_cached(
                "SELECT id, at, text, outcome, predicted, confidence, reviewed_at, label
                 FROM nlu_inbox WHERE ?1 OR reviewed_at IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map([include_reviewed], inbox_entry_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn mark_reviewed(&self, reviews: Vec<Review>) -> Result<usize, RegistryError> {
        self.write(self.budget(), move |conn, _| {
            let now = now_millis();
            let mut update = conn.prepare_cached(
                "UPDATE nlu_inbox SET reviewed_at = ?2, label = ?3 WHERE id = ?1",
            )?;
            let mut kept = 0;
            for review in &reviews {
                kept += update.execute(params![review.id, now, review.label.map(Intent::name)])?;
            }
            Ok(kept)
        })
        .await
    }

    fn cache_counts(&self) -> Option<CacheCounts> {
        self.cache.as_deref().map(Cache::counts)
    }

    fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn shared_by_servers(&self) -> bool {
        false
    }
}
/// Drops the inbox rows `retention` no longer allows at `now`, after inserting row
/// `newest`: older than its age, then the oldest beyond its count. Ids only grow and rows
/// only leave from the old end, so keeping the ids above `newest - max_rows` keeps at most
/// `max_rows` rows, the newest. Both deletions are range deletions on an index (`at`, the
/// rowid): the cost is that of the rows dropped, not of the inbox's size.
fn prune_inbox(
    conn: &Connection,
    now: i64,
    newest: i64,
    retention: InboxRetention,
) -> Result<(), RegistryError> {
    let max_age = i64::try_from(retention.max_age.as_millis()).unwrap_or(i64::MAX);
    conn.prepare_cached("DELETE FROM nlu_inbox WHERE at < ?1")?
        .execute([now.saturating_sub(max_age)])?;
    let max_rows = i64::try_from(retention.max_rows).unwrap_or(i64::MAX);
    conn.prepare_cached("DELETE FROM nlu_inbox WHERE id <= ?1")?
        .execute([newest.saturating_sub(max_rows)])?;
    Ok(())
}

fn inbox_entry_from_row(row: &Row<'_>) -> rusqlite::Result<InboxEntry> {
    let outcome: String = row.get(3)?;
    let predicted: String = row.get(4)?;
    let label: Option<String> = row.get(7)?;
    let intent = |column: usize, name: &str| {
        Intent::from_name(name).ok_or_else(|| {
            conversion_error(
                column,
                Type::Text,
                std::io::Error::other(format!("unknown intent {name:?}")),
            )
        })
    };
    let reviewed_at = match row.get::<_, Option<i64>>(6)? {
        Some(_) => Some(time_from_sql(row, 6)?),
        None => None,
    };
    Ok(InboxEntry {
        id: row.get(0)?,
        at: time_from_sql(row, 1)?,
        text: row.get(2)?,
        outcome: outcome
            .parse()
            .map_err(|err: String| conversion_error(3, Type::Text, std::io::Error::other(err)))?,
        predicted: intent(4, &predicted)?,
        confidence: row.get::<_, f64>(5)? as f32,
        reviewed_at,
        label: label.as_deref().map(|name| intent(7, name)).transpose()?,
    })
}

/// The columns `request_from_row` reads, in order, of `requests` named `r`.
const REQUEST_COLUMNS: &str =
    "r.id, r.rut, r.subject, r.state, r.answer, r.sensitive, r.created_at, r.updated_at";

/// The columns of a history entry that follow [`REQUEST_COLUMNS`] in a query of requests
/// with their histories (`history` named `h`, left-joined: `NULL` for a request without one).
const HISTORY_COLUMNS: &str = "h.at, h.author, h.text";

/// How many columns [`REQUEST_COLUMNS`] has.
const REQUEST_COLUMN_COUNT: usize = 8;

/// How many columns `customer_from_row` reads.
const CUSTOMER_COLUMN_COUNT: usize = 3;

/// The current time, truncated to the millisecond precision the database stores (so a value
/// returned by a write equals the value read back later).
fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

fn conversion_error(
    column: usize,
    kind: Type,
    err: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, kind, Box::new(err))
}

fn time_from_sql(row: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    let millis: i64 = row.get(column)?;
    DateTime::from_timestamp_millis(millis)
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(column, millis))
}

fn rut_from_sql(row: &Row<'_>, column: usize) -> rusqlite::Result<Rut> {
    let text: String = row.get(column)?;
    text.parse()
        .map_err(|err| conversion_error(column, Type::Text, err))
}

/// A request number as SQLite stores it; numbers beyond `i64::MAX` cannot exist.
fn sql_id(id: RequestId) -> Result<i64, RegistryError> {
    i64::try_from(id).map_err(|_| RegistryError::NotFound(id))
}

fn from_sql_id(rowid: i64) -> Result<RequestId, RegistryError> {
    RequestId::try_from(rowid)
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, rowid).into())
}

fn customer_from_row(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        rut: rut_from_sql(row, 0)?,
        name: row.get(1)?,
        id_serial: row.get(2)?,
    })
}

/// Reads [`REQUEST_COLUMNS`] starting at column `base`; the history is left empty.
fn request_from_row(row: &Row<'_>, base: usize) -> rusqlite::Result<Request> {
    let state: String = row.get(base + 3)?;
    Ok(Request {
        id: row.get(base)?,
        rut: rut_from_sql(row, base + 1)?,
        subject: row.get(base + 2)?,
        state: state
            .parse()
            .map_err(|err| conversion_error(base + 3, Type::Text, err))?,
        answer: row.get(base + 4)?,
        sensitive: row.get(base + 5)?,
        history: Vec::new(),
        created_at: time_from_sql(row, base + 6)?,
        updated_at: time_from_sql(row, base + 7)?,
    })
}

/// Collects the rows of a query of [`REQUEST_COLUMNS`] followed by [`HISTORY_COLUMNS`],
/// ordered so that each request's rows are together and its history in order: one request
/// per run of rows, one history entry per row that has one.
///
/// One statement for the requests and all their histories: reading a customer with many
/// requests costs one query, not one per request.
fn requests_from_rows(mut rows: Rows<'_>) -> Result<Vec<Request>, RegistryError> {
    let mut requests = Vec::new();
    while let Some(row) = rows.next()? {
        add_request_row(&mut requests, row, 0)?;
    }
    Ok(requests)
}

/// Adds one row of a query of requests with their histories (see [`requests_from_rows`])
/// to `requests`. A row without a request (a customer with none, left-joined) adds
/// nothing.
fn add_request_row(
    requests: &mut Vec<Request>,
    row: &Row<'_>,
    base: usize,
) -> Result<(), RegistryError> {
    let Some(id) = row.get::<_, Option<RequestId>>(base)? else {
        return Ok(());
    };
    if requests.last().is_none_or(|last: &Request| last.id != id) {
        requests.push(request_from_row(row, base)?);
    }
    let entry = base + REQUEST_COLUMN_COUNT;
    if row.get_ref(entry)?.data_type() != Type::Null {
        let history = HistoryEntry {
            at: time_from_sql(row, entry)?,
            author: row.get(entry + 1)?,
            text: row.get(entry + 2)?,
        };
        if let Some(request) = requests.last_mut() {
            request.history.push(history);
        }
    }
    Ok(())
}

fn load_customer(conn: &Connection, rut: Rut) -> Result<Option<Customer>, RegistryError> {
    Ok(conn
        .prepare_cached("SELECT rut, name, id_serial FROM customers WHERE rut = ?1")?
        .query_row([rut.compact()], customer_from_row)
        .optional()?)
}

/// The customer with this RUT (`None` when it is not one) and their requests, oldest
/// first, with their histories: one statement, and a second one only for a customer with
/// [`ACCOUNT_REQUESTS`] or more.
fn load_account(conn: &Connection, rut: Rut) -> Result<Account, RegistryError> {
    // Newest first, so that the read stops after ACCOUNT_REQUESTS requests; the index
    // gives that order without a sort, and a short record costs what it did when read
    // whole.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.rut, c.name, c.id_serial, {REQUEST_COLUMNS}, {HISTORY_COLUMNS}
         FROM customers c
         LEFT JOIN requests r ON r.rut = c.rut
         LEFT JOIN history h ON h.request_id = r.id
         WHERE c.rut = ?1
         ORDER BY r.created_at DESC, r.id DESC, h.id"
    ))?;
    let mut rows = stmt.query([rut.compact()])?;
    let mut customer = None;
    let mut requests: Vec<Request> = Vec::new();
    while let Some(row) = rows.next()? {
        if customer.is_none() {
            customer = Some(customer_from_row(row)?);
        }
        let id = row.get::<_, Option<RequestId>>(CUSTOMER_COLUMN_COUNT)?;
        if requests.len() == ACCOUNT_REQUESTS && id != requests.last().map(|r| r.id) {
            break;
        }
        add_request_row(&mut requests, row, CUSTOMER_COLUMN_COUNT)?;
    }
    if requests.len() == ACCOUNT_REQUESTS {
        // The read stopped: open requests older than those read come first.
        let oldest = requests
            .last()
            .map(|r| (r.created_at.timestamp_millis(), r.id));
        if let Some((at, id)) = oldest {
            let older_open = load_older_open(conn, rut, at, id)?;
            requests = open_first(requests, older_open);
        }
    }
    requests.reverse();
    Ok(Account::new(customer, requests))
}

/// `rut`'s open requests older than (`at`, `id`), newest first, at most
/// [`ACCOUNT_REQUESTS`].
fn load_older_open(
    conn: &Connection,
    rut: Rut,
    at: i64,
    id: RequestId,
) -> Result<Vec<Request>, RegistryError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS}, {HISTORY_COLUMNS} FROM requests r
         LEFT JOIN history h ON h.request_id = r.id
         WHERE r.id IN (
             SELECT id FROM requests
             WHERE rut = ?1 AND state = 'abierto' AND (created_at, id) < (?2, ?3)
             ORDER BY created_at DESC, id DESC
             LIMIT {ACCOUNT_REQUESTS})
         ORDER BY r.created_at DESC, r.id DESC, h.id"
    ))?;
    let requests = requests_from_rows(stmt.query(params![rut.compact(), at, id])?)?;
    Ok(requests)
}

/// At most [`ACCOUNT_REQUESTS`] of `recent` and `older_open` (both newest first): the open
/// ones first, then the most recent closed ones; newest first.
fn open_first(recent: Vec<Request>, older_open: Vec<Request>) -> Vec<Request> {
    let (mut open, closed): (Vec<Request>, Vec<Request>) = recent
        .into_iter()
        .chain(older_open)
        .partition(|r| r.state == RequestState::Abierto);
    open.truncate(ACCOUNT_REQUESTS);
    let room = ACCOUNT_REQUESTS - open.len();
    open.extend(closed.into_iter().take(room));
    open.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    open
}

/// Whose request `id` is (`None` when there is no such request).
fn request_owner(conn: &Connection, id: RequestId) -> Result<Option<Rut>, RegistryError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached("SELECT rut FROM requests WHERE id = ?1")?
        .query_row([id], |row| rut_from_sql(row, 0))
        .optional()?)
}

/// SQLite's counter of changes committed by *other* connections, as seen by `conn`.
fn data_version(conn: &Connection) -> Result<i64, RegistryError> {
    Ok(conn.query_row("PRAGMA data_version", [], |row| row.get(0))?)
}

fn request_exists(conn: &Connection, id: RequestId) -> Result<bool, RegistryError> {
    // Numbers beyond i64::MAX cannot be stored, so no such request exists.
    let Ok(id) = i64::try_from(id) else {
        return Ok(false);
    };
    Ok(conn
        .prepare_cached("SELECT 1 FROM requests WHERE id = ?1")?
        .exists([id])?)
}

fn load_request(conn: &Connection, id: RequestId) -> Result<Option<Request>, RegistryError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS}, {HISTORY_COLUMNS} FROM requests r
         LEFT JOIN history h ON h.request_id = r.id
         WHERE r.id = ?1
         ORDER BY h.id"
    ))?;
    let request = requests_from_rows(stmt.query([id])?)?.pop();
    Ok(request)
}

/// The server's wrong executives' tokens and the lock-out in force at `now`.
fn load_token_failures(conn: &Connection, now: i64) -> Result<TokenFailures, RegistryError> {
    let row: Option<(i64, i64)> = conn
        .prepare_cached("SELECT count, locked_until FROM token_failures WHERE id = 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(row.map_or_else(TokenFailures::default, |(count, until)| {
        serial_failures_at(count, until, now)
    }))
}

/// One of `rut`'s requests: the owner is part of the query, so another customer's number
/// and a missing one are the same empty answer.
fn load_request_of(
    conn: &Connection,
    rut: Rut,
    id: RequestId,
) -> Result<Option<Request>, RegistryError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {REQUEST_COLUMNS}, {HISTORY_COLUMNS} FROM requests r
         LEFT JOIN history h ON h.request_id = r.id
         WHERE r.id = ?1 AND r.rut = ?2
         ORDER BY h.id"
    ))?;
    let request = requests_from_rows(stmt.query(params![id, rut.compact()])?)?.pop();
    Ok(request)
}

/// Appends one history entry (the caller checked that the request exists).
pub(super) fn insert_history(
    conn: &Connection,
    id: RequestId,
    at: i64,
    author: &str,
    text: &str,
) -> Result<(), RegistryError> {
    conn.prepare_cached(
        "INSERT INTO history (request_id, at, author, text) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, at, author, text])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::CacheCounts;

    #[test]
    fn a_streak_of_failures_is_told_when_it_starts_and_ends() {
        let mut streak = Streak::default();
        let told: Vec<bool> = [false, true, true, true, false, false, true]
            .into_iter()
            .map(|failed| streak.changes(failed))
            .collect();
        assert_eq!(told, [false, true, false, false, true, false, true]);
    }

    fn jorge() -> Rut {
        Rut::from_number(demo::JORGE_RUT_NUMBER).unwrap()
    }

    fn memory() -> SqliteStore {
        SqliteStore::open_in_memory(StoreConfig::default()).unwrap()
    }

    fn file(path: &Path) -> SqliteStore {
        SqliteStore::open(path, StoreConfig::default()).unwrap()
    }

    fn cached(store: &SqliteStore) -> usize {
        store.cache.as_ref().map_or(0, |cache| cache.len())
    }

    /// SQLite's read-only errors on opening name the directory to fix (a black-box test
    /// read "attempt to write a readonly database: Error code 1544"); others pass as they
    /// are. (Built by hand: as root, as tests run here, no directory is read-only.)
    #[test]
    fn a_read_only_place_is_named_on_opening() {
        let path = Path::new("/srv/reclamos/reclamos.db");
        let failure = |code| {
            RegistryError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        let said = not_writable(failure(rusqlite::ffi::SQLITE_READONLY_DIRECTORY), path);
        assert!(
            matches!(&said, RegistryError::Open { reason, .. } if reason.contains("/srv/reclamos")),
            "{said}"
        );
        let busy = not_writable(failure(rusqlite::ffi::SQLITE_BUSY), path);
        assert!(matches!(busy, RegistryError::Sqlite(_)), "{busy}");
        // Another read-only reason (the file moved) is not a permissions problem.
        let moved = not_writable(failure(rusqlite::ffi::SQLITE_READONLY_DBMOVED), path);
        assert!(matches!(moved, RegistryError::Sqlite(_)), "{moved}");
    }

    #[tokio::test]
    async fn every_write_is_seen_by_the_next_read_of_a_cached_customer() {
        let store = memory();
        let rut = jorge();
        let id = demo::WIFI_REQUEST;
        // Each step caches the customer, changes something through one write method and
        // checks that both read paths see it.
        let before = store.requests_of(rut).await.unwrap();
        assert_eq!(cached(&store), 1);
        let created = store
            .create_request(
                rut,
                "Corte de fibra",
                RequestState::Abierto,
                "Asistente",
                "x",
            )
            .await
            .unwrap();
        let after = store.requests_of(rut).await.unwrap();
        assert_eq!(after.len(), before.len() + 1);
        assert_eq!(store.request(created.id).await.unwrap().unwrap(), created);

        for step in 0..4 {
            let old = store.request(id).await.unwrap().unwrap();
            let new = match step {
                0 => store.set_subject(id, "Clave WiFi nueva", "Ana").await,
                1 => store.set_state(id, RequestState::Abierto, "Ana").await,
                2 => store.set_answer(id, "clave: 1234", true, "Ana").await,
                _ => store.append_history(id, "Ana", "Llamó de nuevo").await,
            }
            .unwrap();
            assert_ne!(old, new);
            assert_eq!(store.request(id).await.unwrap().unwrap(), new);
            let listed = store.requests_of(rut).await.unwrap();
            assert_eq!(listed.iter().find(|r| r.id == id), Some(&new));
        }

        let newcomer = Rut::from_number(7_654_321).unwrap();
        assert_eq!(store.customer(newcomer).await.unwrap(), None);
        store
            .register_customer(newcomer, "Ana Pérez")
            .await
            .unwrap();
        assert_eq!(
            store.customer(newcomer).await.unwrap().unwrap().name,
            "Ana Pérez"
        );
    }

    #[tokio::test]
    async fn reads_racing_writes_never_leave_a_stale_copy_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(file(&dir.path().join("race.db")));
        let rut = jorge();
        let id = demo::WIFI_REQUEST;
        // Readers keep missing (each write forgets the customer) while a writer appends;
        // after every acknowledged append, a read must see it.
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    for _ in 0..200 {
                        store.requests_of(rut).await.unwrap();
                    }
                })
            })
            .collect();
        for round in 0..100 {
            let text = format!("vuelta {round}");
            store.append_history(id, "prueba", &text).await.unwrap();
            let seen = store.request(id).await.unwrap().unwrap();
            assert_eq!(seen.history.last().unwrap().text, text);
        }
        for reader in readers {
            reader.await.unwrap();
        }
    }

    /// The table of wrong serials, keyed by RUT and address, does not grow with every
    /// address that ever tried: a row a day past its last failure and its lock-out goes
    /// with the next failure counted; a younger one, or one still locked, stays.
    #[tokio::test]
    async fn wrong_serials_are_forgotten_a_day_after_their_last_failure_and_lock_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serials.db");
        let store = file(&path);
        let lockout = SerialLockout {
            every: 3,
            base: Duration::from_secs(60),
        };
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        store.serial_failed(jorge(), here, lockout).await.unwrap();
        let now = now_millis();
        let day = i64::try_from(crate::registry::SERIAL_FAILURES_KEPT.as_millis()).unwrap();
        let other = Connection::open(&path).unwrap();
        schema::configure(&other).unwrap();
        // (address, last failure, locked until)
        for (address, last, until) in [
            ("192.0.2.2", now - day - 1000, 0),
            ("192.0.2.3", now - day + 60_000, 0),
            ("192.0.2.4", now - 2 * day, now + 60_000),
        ] {
            other
                .execute(
                    "INSERT INTO serial_failures VALUES ('12345678-5', ?1, 3, ?2, ?3)",
                    params![address, until, last],
                )
                .unwrap();
        }
        drop(other);
        store.serial_failed(jorge(), here, lockout).await.unwrap();
        let count = |address: &str| {
            let store = &store;
            let address: IpAddr = address.parse().unwrap();
            async move { store.serial_failures(jorge(), address).await.unwrap().count }
        };
        assert_eq!(count("192.0.2.1").await, 2);
        assert_eq!(count("192.0.2.2").await, 0, "forgotten");
        assert_eq!(count("192.0.2.3").await, 3, "not a day old yet");
        assert_eq!(count("192.0.2.4").await, 3, "still locked");
    }

    #[tokio::test]
    async fn another_process_changes_are_seen_and_an_idle_cache_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.db");
        let server = file(&path);
        let rut = jorge();
        let count = server.requests_of(rut).await.unwrap().len();
        // Several flush and checkpoint rounds without other writers clear nothing.
        tokio::time::sleep(FLUSH_EVERY * (CHECKPOINT_EVERY_FLUSHES + 4)).await;
        assert_eq!(cached(&server), 1);

        // Another store is another connection, as another process would be.
        let other = file(&path);
        other
            .create_request(rut, "Desde otro proceso", RequestState::Abierto, "x", "")
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.requests_of(rut).await.unwrap().len() == count {
            assert!(
                Instant::now() < deadline,
                "the other connection's request never showed up"
            );
            tokio::time::sleep(FLUSH_EVERY).await;
        }
        assert_eq!(server.requests_of(rut).await.unwrap().len(), count + 1);
    }

    #[tokio::test]
    async fn the_wal_stays_bounded_under_a_steady_stream_of_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let wal = dir.path().join("busy.db-wal");
        let store = file(&path);
        // A write every millisecond for four seconds (each commit appends a few pages): a
        // passive checkpoint alone never finds the WAL fully copied, and the file grows by
        // megabytes a second (measured: 27.8 MB after 2,179 writes, against 5.1 MB).
        let started = Instant::now();
        let mut largest = 0;
        let mut writes = 0;
        while started.elapsed() < Duration::from_secs(4) {
            store
                .append_history(demo::WIFI_REQUEST, "prueba", "una línea más")
                .await
                .unwrap();
            writes += 1;
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let bound = 16 * schema::WAL_SIZE_LIMIT;
        assert!(
            largest <= bound,
            "the WAL reached {largest} bytes after {writes} writes (bound {bound})"
        );
        let request = store.request(demo::WIFI_REQUEST).await.unwrap().unwrap();
        assert!(request.history.len() > writes);
    }

    #[tokio::test]
    async fn a_read_only_handle_caches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ro.db");
        let writer = file(&path);
        let reader = SqliteStore::open_read_only(&path, StoreConfig::default()).unwrap();
        let count = reader.requests_of(jorge()).await.unwrap().len();
        writer
            .create_request(jorge(), "Nueva", RequestState::Abierto, "x", "")
            .await
            .unwrap();
        assert_eq!(reader.requests_of(jorge()).await.unwrap().len(), count + 1);
        assert_eq!(cached(&reader), 0);
        assert_eq!(reader.cache_counts(), None);
    }

    #[tokio::test]
    async fn cache_counts_tell_lookups_from_memory_and_from_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store = file(&dir.path().join("counts.db"));
        let counts = |hits, loads| Some(CacheCounts { hits, loads });
        assert_eq!(store.cache_counts(), counts(0, 0));
        store.customer(jorge()).await.unwrap();
        assert_eq!(store.cache_counts(), counts(0, 1));
        store.customer(jorge()).await.unwrap();
        store.requests_of(jorge()).await.unwrap();
        assert_eq!(store.cache_counts(), counts(2, 1));
        // A write forgets the customer: the next lookup reads SQLite again.
        store
            .create_request(jorge(), "Nueva", RequestState::Abierto, "x", "")
            .await
            .unwrap();
        store.customer(jorge()).await.unwrap();
        assert_eq!(store.cache_counts(), counts(2, 2));
    }

    #[tokio::test]
    async fn a_panic_inside_a_transaction_rolls_it_back_and_the_writer_survives() {
        let store = memory();
        let before = store.request(demo::WIFI_REQUEST).await.unwrap().unwrap();
        let err = store
            .write(store.budget(), |conn, _| {
                conn.execute("DELETE FROM history", [])?;
                panic!("simulated bug inside a transaction");
                #[allow(unreachable_code)]
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::Unavailable), "{err:?}");
        // A bug that leaves a transaction open outside `write` is rolled back too.
        let err = store
            .on_writer(|conn| -> Result<(), RegistryError> {
                conn.execute_batch("BEGIN IMMEDIATE; DELETE FROM history;")?;
                panic!("simulated bug with a transaction open");
            })
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::Unavailable), "{err:?}");
        let request = store.request(demo::WIFI_REQUEST).await.unwrap().unwrap();
        assert_eq!(request, before, "rolled back on unwind");
        let appended = store
            .append_history(demo::WIFI_REQUEST, "a", "b")
            .await
            .unwrap();
        assert_eq!(appended.history.len(), before.history.len() + 1);
    }

    /// Another process holds the write lock: a write waits at most its budget and fails
    /// with a timeout; one whose caller gave up before it started never runs; reads of a
    /// file store keep being answered meanwhile.
    #[tokio::test]
    async fn a_locked_database_times_writes_out_and_skips_abandoned_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked.db");
        let config = StoreConfig {
            op_timeout: Duration::from_secs(1),
            ..StoreConfig::default()
        };
        let store = SqliteStore::open(&path, config).unwrap();
        let before = store.list(&RequestFilter::default()).await.unwrap().len();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();

        let started = Instant::now();
        let err = store
            .create_request(jorge(), "Bloqueada", RequestState::Abierto, "x", "")
            .await
            .unwrap_err();
        assert!(matches!(err, RegistryError::Timeout(_)), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // Reads go to the reader threads and never wait for the lock.
        assert_eq!(
            store.list(&RequestFilter::default()).await.unwrap().len(),
            before
        );
        store.transcript(demo::WIFI_REQUEST).await.unwrap();

        // Queue a write behind a slow one and give up on it before it starts.
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let slow = store.on_writer(move |_| {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            Ok(())
        });
        let abandoned = store.create_request(jorge(), "Abandonada", RequestState::Abierto, "x", "");
        let (slow_done, abandoned_done) = tokio::join!(slow, async {
            // Poll it once (queued), then drop it.
            tokio::time::timeout(Duration::from_millis(50), abandoned).await
        });
        slow_done.unwrap();
        assert!(abandoned_done.is_err(), "it should have been cut short");
        started_rx.recv().unwrap();
        other.execute_batch("COMMIT").unwrap();
        // A later write goes through, and nothing of the abandoned ones was committed.
        store
            .create_request(jorge(), "Después", RequestState::Abierto, "x", "")
            .await
            .unwrap();
        let subjects: Vec<String> = store
            .list(&RequestFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.subject)
            .collect();
        assert_eq!(subjects.len(), before + 1, "{subjects:?}");
        assert_eq!(subjects.last().map(String::as_str), Some("Después"));
    }

    #[test]
    fn the_gate_queues_point_reads_behind_a_few_young_writes_only() {
        let (writer, _queue) = mpsc::channel(16);
        let gate = WriterGate::new();
        let read = || Job::Read(Box::new(|_| {}));
        let write = || Job::Write(Box::new(|_| {}));
        // Times in microseconds since the gate's epoch.
        let t0 = 1_000_000;
        let young = t0 + 100;
        let old = t0 + u64::try_from(HEDGE_AFTER.as_micros()).unwrap() + 1;
        let queued = |now: u64| gate.try_queue_read_at(&writer, read(), now).is_ok();
        assert!(queued(t0), "an idle writer takes a point read");
        gate.queue_write(writer.try_reserve().unwrap(), write());
        assert!(queued(t0), "behind a write not started yet");
        gate.running_since.store(t0, Ordering::Release);
        assert!(queued(young), "behind a write that started 0.1 ms ago");
        assert!(
            !queued(old),
            "not behind one running longer than HEDGE_AFTER"
        );
        gate.done();
        assert!(queued(old), "idle again");
        for _ in 0..=MAX_WRITES_AHEAD {
            gate.queue_write(writer.try_reserve().unwrap(), write());
        }
        assert!(!queued(t0), "not behind more than MAX_WRITES_AHEAD writes");
        let (full, _queue) = mpsc::channel(1);
        full.try_send(read()).ok().unwrap();
        let idle = WriterGate::new();
        assert!(
            idle.try_queue_read_at(&full, read(), t0).is_err(),
            "a full queue refuses"
        );
    }

    /// The thread that answered a read of `reach`, or `None` after 30 s without an answer.
    async fn answered_by(store: &SqliteStore, reach: Reach) -> Option<String> {
        let name = store.read(reach, |_| {
            Ok(std::thread::current().name().map(String::from))
        });
        let name = tokio::time::timeout(Duration::from_secs(30), name)
            .await
            .ok()?;
        Some(name.unwrap().unwrap_or_default())
    }

    /// Whether a point read, sent while the writer has nothing to do, is answered by the
    /// writer. The background thread queues chores every 25 ms: a read that lands behind
    /// a slow one may go to a reader, so this tries a few times.
    async fn idle_writer_answers(store: &SqliteStore) -> bool {
        for _ in 0..20 {
            for _ in 0..1000 {
                if store.gate.writes.load(Ordering::Acquire) == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            if answered_by(store, Reach::Point).await.as_deref() == Some("registry-writer") {
                return true;
            }
        }
        false
    }

    fn by_reader(name: &Option<String>) -> bool {
        name.as_deref()
            .is_some_and(|name| name.starts_with("registry-reader-"))
    }

    /// Runs a job on the writer that does not end until `release` is sent (as a write
    /// waiting for another process's lock), and `during` once it has started.
    async fn while_the_writer_is_stalled<T>(
        store: &SqliteStore,
        during: impl std::future::Future<Output = T>,
    ) -> T {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let stalled = store.on_writer(move |_| {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            Ok(())
        });
        let rest = async {
            tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
                .await
                .unwrap();
            let value = during.await;
            release_tx.send(()).unwrap();
            value
        };
        let (stalled, value) = tokio::join!(stalled, rest);
        stalled.unwrap();
        value
    }

    #[tokio::test]
    async fn point_reads_go_to_an_idle_writer_and_never_wait_behind_a_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = file(&dir.path().join("gate.db"));
        assert!(idle_writer_answers(&store).await);
        let scan = answered_by(&store, Reach::Scan).await;
        assert!(by_reader(&scan), "{scan:?}");

        // While the writer is stalled, point reads go to the readers (queued behind the
        // stalled job while it is young, then taken by a reader after HEDGE_AFTER; or at
        // once when it is older).
        let (during, customer) = while_the_writer_is_stalled(&store, async {
            let during = answered_by(&store, Reach::Point).await;
            let customer = tokio::time::timeout(
                Duration::from_secs(30),
                store.customer("11111111-1".parse().unwrap()),
            )
            .await;
            (during, customer)
        })
        .await;
        assert!(by_reader(&during), "{during:?}");
        customer
            .expect("the customer's read waited behind the write")
            .unwrap();
        // Once it is done, the writer takes point reads again.
        assert!(idle_writer_answers(&store).await);
    }

    #[tokio::test]
    async fn a_read_waiting_behind_a_stalled_write_is_run_once_by_a_reader() {
        let dir = tempfile::tempdir().unwrap();
        let store = file(&dir.path().join("hedge.db"));
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&runs);
        let answer = while_the_writer_is_stalled(&store, async {
            // The stalled job looks as if it had just started: the read queues behind it
            // on the writer, and only the hedge can get it answered.
            store
                .gate
                .running_since
                .store(u64::MAX / 2, Ordering::Release);
            let read = store.read(Reach::Point, move |_| {
                counted.fetch_add(1, Ordering::AcqRel);
                Ok(std::thread::current().name().map(String::from))
            });
            tokio::time::timeout(Duration::from_secs(30), read).await
        })
        .await;
        let answered_by = answer.expect("nobody took the read").unwrap();
        assert!(by_reader(&answered_by), "{answered_by:?}");
        // The writer, released, reaches the read's copy in its queue: it must not run it.
        store.on_writer(|_| Ok(())).await.unwrap();
        assert_eq!(runs.load(Ordering::Acquire), 1);
    }

    #[tokio::test]
    async fn a_full_database_is_an_sqlite_error_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = file(&dir.path().join("full.db"));
        // Cap the file at its current size: the next pages cannot be allocated.
        store.limit_size(0).await.unwrap();
        let before = store.request(demo::WIFI_REQUEST).await.unwrap().unwrap();
        let text = "x".repeat(64 * 1024);
        let err = store
            .append_history(demo::WIFI_REQUEST, "a", &text)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, RegistryError::Sqlite(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull)),
            "{err:?}"
        );
        assert_eq!(
            store.request(demo::WIFI_REQUEST).await.unwrap().unwrap(),
            before
        );
        // Small writes that fit still work.
        store.limit_size(1 << 30).await.unwrap();
        store
            .append_history(demo::WIFI_REQUEST, "a", "b")
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn query_only_connection_refuses_writes_cleanly() {
        let store = memory();
        store
            .on_writer(|conn| Ok(conn.pragma_update(None, "query_only", true)?))
            .await
            .unwrap();
        let err = store
            .create_request(jorge(), "x", RequestState::Abierto, "a", "b")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, RegistryError::Sqlite(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly)),
            "{err:?}"
        );
        assert_eq!(store.requests_of(jorge()).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_corrupt_row_is_an_error_not_a_panic() {
        let store = memory();
        store
            .on_writer(|conn| {
                conn.execute(
                    "INSERT INTO customers (rut, name) VALUES ('12345678-9', 'RUT malo')",
                    [],
                )?;
                Ok(())
            })
            .await
            .unwrap();
        let err = store.customers().await.unwrap_err();
        assert!(matches!(err, RegistryError::Sqlite(_)), "{err:?}");
    }

    #[test]
    fn debug_shows_the_path() {
        let registry = crate::registry::Registry::open_in_memory().unwrap();
        assert_eq!(format!("{registry:?}"), "Registry { path: None, .. }");
    }

    fn miss(text: &str) -> InboxMessage {
        InboxMessage {
            text: text.to_string(),
            outcome: crate::registry::InboxOutcome::Fallback,
            predicted: Intent::Fallback,
            confidence: 0.3,
        }
    }

    fn texts(entries: &[InboxEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.text.as_str()).collect()
    }

    #[tokio::test]
    async fn the_inbox_keeps_at_most_max_rows_dropping_the_oldest() {
        let store = memory();
        let retention = InboxRetention {
            max_rows: 3,
            ..InboxRetention::default()
        };
        for text in ["uno", "dos", "tres", "cuatro", "cinco"] {
            store
                .keep_inbox_message(miss(text), retention)
                .await
                .unwrap();
        }
        let kept = store.inbox(true).await.unwrap();
        assert_eq!(texts(&kept), ["tres", "cuatro", "cinco"]);
        // Zero rows: nothing is kept at all.
        let none = InboxRetention {
            max_rows: 0,
            ..retention
        };
        store.keep_inbox_message(miss("seis"), none).await.unwrap();
        assert!(store.inbox(true).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_inbox_drops_messages_older_than_max_age() {
        let store = memory();
        let day = 24 * 3600 * 1000;
        // Two rows written 10 and 2 days ago (the clock is not ours to move).
        store
            .on_writer(move |conn| {
                let now = now_millis();
                for (text, age) in [("viejo", 10 * day), ("reciente", 2 * day)] {
                    conn.execute(
                        "INSERT INTO nlu_inbox (at, text, outcome, predicted, confidence)
                         VALUES (?1, ?2, 'clarify', 'salir', 0.5)",
                        params![now - age, text],
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let retention = InboxRetention {
            max_rows: 100,
            max_age: Duration::from_secs(7 * 24 * 3600),
        };
        store
            .keep_inbox_message(miss("nuevo"), retention)
            .await
            .unwrap();
        let kept = store.inbox(true).await.unwrap();
        assert_eq!(texts(&kept), ["reciente", "nuevo"]);
        assert_eq!(kept[0].outcome, crate::registry::InboxOutcome::Clarify);
        assert_eq!(kept[0].predicted, Intent::Salir);
    }

    #[tokio::test]
    async fn reviewed_messages_leave_the_pending_list_with_their_label() {
        let store = memory();
        let retention = InboxRetention::default();
        for text in ["a", "b", "c"] {
            store
                .keep_inbox_message(miss(text), retention)
                .await
                .unwrap();
        }
        let pending = store.inbox(false).await.unwrap();
        assert_eq!(texts(&pending), ["a", "b", "c"]);
        assert!(pending.iter().all(|e| e.reviewed_at.is_none()));
        let reviews = vec![
            Review {
                id: pending[0].id,
                label: Some(Intent::ContactarEjecutivo),
            },
            Review {
                id: pending[2].id,
                label: None,
            },
            // Dropped by retention meanwhile: not counted.
            Review {
                id: 999,
                label: None,
            },
        ];
        assert_eq!(store.mark_reviewed(reviews).await.unwrap(), 2);
        assert_eq!(texts(&store.inbox(false).await.unwrap()), ["b"]);
        let all = store.inbox(true).await.unwrap();
        assert_eq!(all[0].label, Some(Intent::ContactarEjecutivo));
        assert!(all[0].reviewed_at.is_some());
        assert_eq!(all[2].label, None);
        assert!(all[2].reviewed_at.is_some());
        assert!((all[1].confidence - 0.3).abs() < 1e-6);
    }

    #[tokio::test]
    async fn inbox_messages_are_written_in_the_background_without_a_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let store = file(&path);
        for text in ["uno", "dos"] {
            store
                .keep_inbox_message(miss(text), InboxRetention::default())
                .await
                .unwrap();
        }
        // Another connection, as `reclamos nlu export` has, sees them within a moment.
        let other = Connection::open(&path).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let count = loop {
            let count: i64 = other
                .query_row("SELECT count(*) FROM nlu_inbox", [], |row| row.get(0))
                .unwrap();
            if count == 2 || Instant::now() > deadline {
                break count;
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(count, 2);
    }

    /// Figures for the report: `cargo test --lib inbox_cost -- --ignored --nocapture`.
    #[tokio::test(flavor = "multi_thread")]
    #[ignore = "a measurement, not a check"]
    async fn inbox_cost() {
        let dir = tempfile::tempdir().unwrap();
        let store = file(&dir.path().join("inbox.db"));
        let retention = InboxRetention::default();
        let n = 12_000;
        let started = Instant::now();
        for i in 0..n {
            let text = format!("mensaje de prueba número {i} sobre el pack {}", i % 97);
            store
                .keep_inbox_message(miss(&text), retention)
                .await
                .unwrap();
        }
        let took = started.elapsed();
        println!(
            "{n} messages kept (queued, written in batches) with retention {} rows: {:?} ({:.1} per ms)",
            retention.max_rows,
            took,
            n as f64 / took.as_secs_f64() / 1000.0
        );
        let started = Instant::now();
        let kept = store.inbox(false).await.unwrap();
        println!("listing {} kept: {:?}", kept.len(), started.elapsed());
        assert_eq!(kept.len(), retention.max_rows);
        let texts: Vec<&str> = kept.iter().map(|e| e.text.as_str()).collect();
        for size in [1_000, 10_000] {
            let started = Instant::now();
            let groups = crate::nlu::review::group(&texts[..size], 0.5);
            println!(
                "grouping {size}: {} groups in {:?}",
                groups.len(),
                started.elapsed()
            );
        }
        // The worst case: messages sharing almost no words, so nearly every one starts a
        // group and is compared with every group before it.
        let diverse: Vec<String> = (0..2_000u64)
            .map(|i| {
                (0..6u64)
                    .map(|w| format!("w{}", (i * 7919 + w * 104_729) % 5_003))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let diverse: Vec<&str> = diverse.iter().map(String::as_str).collect();
        let started = Instant::now();
        let groups = crate::nlu::review::group(&diverse, 0.5);
        println!(
            "grouping 2000 diverse: {} groups in {:?}",
            groups.len(),
            started.elapsed()
        );
    }
}
