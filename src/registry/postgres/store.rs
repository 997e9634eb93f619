//! The PostgreSQL implementation of [`Store`]: a pool of connections per node
//! (deadpool-postgres), prepared statements cached per connection, and the read cache in
//! front, kept fresh by a change poller.
//!
//! - **Durability**: every connection runs with `synchronous_commit = on`; a write returns
//!   only after its `COMMIT` returned, so a request number told to a customer is on the
//!   server's disk.
//! - **Ambiguous commits**: a request is created with a random idempotency key
//!   (`requests.op_key`, unique). When the connection fails during its `COMMIT` (nobody can
//!   tell whether it committed), the operation runs once more on a fresh connection with the
//!   same key: `INSERT ... ON CONFLICT (op_key) DO NOTHING` then finds the request the first
//!   attempt created instead of making a second. Operations that a second run would repeat
//!   (appending a history line) are not run again after an unknown outcome: the caller gets
//!   the error. Any write whose connection failed before `COMMIT` runs once more.
//! - **Never blocking a runtime worker**: tokio-postgres is async; a caller waiting for a
//!   connection (pool exhausted) waits on a future, bounded by the registry's time budget.
//! - **Other nodes' changes**: every write transaction adds a row to `changes` naming the
//!   customer it touched (with its transaction id, `xid8`). A background task polls every
//!   [`POLL_EVERY`] for the rows of transactions at or after the oldest transaction that was
//!   still running at its previous poll (`pg_snapshot_xmin`), which is every transaction that
//!   committed since, and forgets those customers. So a change committed by another node
//!   reaches this node's reads within [`POLL_EVERY`] plus one query. A failed poll clears the
//!   whole cache (reads then go to the database, or fail while it is away). The cluster
//!   issue can replace the poll by `LISTEN`/`NOTIFY` behind the same [`ChangeFeed`] seam.

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod};
use tokio_postgres::{NoTls, Row};

use super::schema;
use crate::nlu::Intent;
use crate::protocol::history;
use crate::registry::cache::{Account, Cache, CacheCounts};
use crate::registry::{
    counted_failures_at, demo, locked_until, serial_failures_at, serial_failures_forgotten_before,
    Customer, HistoryEntry, InboxEntry, InboxMessage, InboxRetention, RegistryError, Request,
    RequestFilter, RequestId, RequestState, Review, SerialFailures, SerialLockout, Store,
    StoreConfig, TokenFailures, TokenLockout, TranscriptLine, ACCOUNT_REQUESTS, FLUSH_EVERY,
};
use crate::rut::Rut;

/// How often the change poller looks for other nodes' changes: the bound on how long this
/// node's cache may serve a copy older than another node's commit (plus one query).
pub const POLL_EVERY: Duration = Duration::from_millis(200);

/// How long connecting to the server may take before the attempt fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// `changes` rows older than this are deleted (a node that has not polled for that long
/// cleared its cache when its polls failed).
const CHANGES_KEPT: &str = "10 minutes";

/// At most this many consultations wait to be written (the server away); beyond, the
/// oldest are dropped and logged.
const MAX_PENDING_CONSULTATIONS: usize = 100_000;

/// The background task's bound on each of its rounds' statements (a flush, a poll, a
/// prune): a server that stops answering without closing the connection (a network
/// partition; TCP keepalive would notice only after hours) fails the poll, which clears
/// the cache, instead of hanging the task.
const BACKGROUND_TIMEOUT: Duration = Duration::from_secs(3);

/// The columns `request_from_row` reads, in order, of `requests` named `r`.
const REQUEST_COLUMNS: &str =
    "r.id, r.rut, r.subject, r.state, r.answer, r.sensitive, r.created_at, r.updated_at";
/// A history entry's columns (`history` named `h`, left-joined).
const HISTORY_COLUMNS: &str = "h.at, h.author, h.text";
const REQUEST_COLUMN_COUNT: usize = 8;
const CUSTOMER_COLUMN_COUNT: usize = 3;

/// A consultation waiting to be written.
struct Consultation {
    request: i64,
    at: i64,
    channel: String,
}

/// What the store and its background task share.
struct Shared {
    pool: Pool,
    cache: Cache,
    pending: Mutex<Vec<Consultation>>,
    /// Consultations not kept because `pending` was full, not yet logged.
    dropped: std::sync::atomic::AtomicUsize,
}

/// The PostgreSQL store.
pub(crate) struct PgStore {
    shared: Arc<Shared>,
    background: tokio::task::JoinHandle<()>,
}

impl Drop for PgStore {
    /// Stops the background task and, when consultations are still waiting and a runtime is
    /// at hand, writes them from a last task (best effort: a runtime shutting down may not
    /// run it; consultations are an audit trail, never acknowledged to anybody).
    fn drop(&mut self) {
        self.background.abort();
        let waiting = !self
            .shared
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty();
        if let (true, Ok(runtime)) = (waiting, tokio::runtime::Handle::try_current()) {
            let shared = Arc::clone(&self.shared);
            runtime.spawn(async move { flush_consultations(&shared).await });
        }
    }
}

/// Maps a pool failure: a timeout or a failed connection attempt is the store being away.
fn pool_error(err: PoolError) -> RegistryError {
    match err {
        PoolError::Backend(err) => RegistryError::Postgres(err),
        PoolError::Timeout(_) => RegistryError::Unavailable,
        other => {
            tracing::warn!(cause = %other, "PostgreSQL pool");
            RegistryError::Unavailable
        }
    }
}

/// Whether the error is the connection failing (no answer from the server), as opposed to
/// the server refusing the statement: only then is the outcome of a commit unknown.
fn is_connection_error(err: &RegistryError) -> bool {
    match err {
        RegistryError::Postgres(err) => err.is_closed() || err.as_db_error().is_none(),
        RegistryError::Unavailable => true,
        _ => false,
    }
}

impl PgStore {
    /// Connects to `url`, migrates the schema (under the advisory lock) and starts the
    /// background task (change poller and consultation writer) on the current runtime.
    /// With `migrate` false (`reclamos requests`), nothing is created: the schema must
    /// already be at this program's version.
    pub(crate) async fn open(
        url: &str,
        config: &StoreConfig,
        migrate: bool,
    ) -> Result<PgStore, RegistryError> {
        let mut pg_config = super::parse_url(url)?;
        let options = pg_config.get_options().unwrap_or("").to_string();
        pg_config
            .options(format!("{options} -c synchronous_commit=on").trim())
            .application_name("reclamos")
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true);
        let (mut client, connection) = pg_config.connect(NoTls).await?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        let created = if migrate {
            schema::migrate(&mut client).await?
        } else {
            let found = schema::version(&client).await?;
            if found != schema::LATEST {
                return Err(RegistryError::Database(format!(
                    "{} has no reclamos tables at version {} (found {found}); start the \
                     server on it once to create them",
                    super::redact(url),
                    schema::LATEST
                )));
            }
            false
        };
        drop(client);
        driver.abort();
        if created {
            tracing::info!(db = %super::redact(url), "created the registry with demo data");
        }
        let manager = Manager::from_config(
            pg_config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|err| RegistryError::Database(format!("building the pool: {err}")))?;
        let shared = Arc::new(Shared {
            pool,
            cache: Cache::new(),
            pending: Mutex::new(Vec::new()),
            dropped: std::sync::atomic::AtomicUsize::new(0),
        });
        let horizon = ChangeFeed::horizon(&shared).await?;
        let background = tokio::spawn(background(Arc::downgrade(&shared), horizon));
        Ok(PgStore { shared, background })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, RegistryError> {
        self.shared.pool.get().await.map_err(pool_error)
    }

    /// The customer with this RUT and their requests, from the cache or read in one
    /// statement and cached unless a change to the customer was noticed meanwhile.
    async fn account(&self, rut: Rut) -> Result<Arc<Account>, RegistryError> {
        let cache = &self.shared.cache;
        if let Some(account) = cache.account(rut) {
            return Ok(account);
        }
        let generation = cache.generation(rut);
        let client = self.client().await?;
        let account = Arc::new(load_account(&client, rut).await?);
        cache.insert_if_current(rut, generation, Arc::clone(&account));
        Ok(account)
    }

    /// Runs `op` in one transaction, committed before it returns; forgets the customers it
    /// touched. When the connection fails before `COMMIT` was sent, nothing happened and
    /// `op` runs once more on a fresh connection. When it fails during `COMMIT` (the outcome
    /// unknown), `op` runs again only if `repeat` says running it twice changes nothing more
    /// than once (the creating operations carry an idempotency key; setting a subject or a
    /// state to the value it has is a no-op); otherwise the caller gets the error (and the
    /// customer an apology), since an appended line would be appended twice.
    async fn write<T, F>(&self, repeat: Repeat, op: F) -> Result<T, RegistryError>
    where
        F: for<'a> Fn(
                &'a deadpool_postgres::Transaction<'a>,
            )
                -> futures::future::BoxFuture<'a, Result<(T, Vec<Rut>), RegistryError>>
            + Send
            + Sync,
        T: Send,
    {
        match self.write_once(&op).await {
            Err(Failure { err, at_commit }) if is_connection_error(&err) => {
                if at_commit && repeat == Repeat::Never {
                    tracing::error!(cause = %err, "PostgreSQL connection lost during COMMIT: outcome unknown");
                    return Err(err);
                }
                tracing::warn!(cause = %err, at_commit, "PostgreSQL connection failed during a write: retrying once");
                self.write_once(&op).await.map_err(|failure| failure.err)
            }
            other => other.map_err(|failure| failure.err),
        }
    }

    async fn write_once<T, F>(&self, op: &F) -> Result<T, Failure>
    where
        F: for<'a> Fn(
                &'a deadpool_postgres::Transaction<'a>,
            )
                -> futures::future::BoxFuture<'a, Result<(T, Vec<Rut>), RegistryError>>
            + Send
            + Sync,
        T: Send,
    {
        let before = |err: RegistryError| Failure {
            err,
            at_commit: false,
        };
        let mut client = self.client().await.map_err(before)?;
        let tx = client
            .transaction()
            .await
            .map_err(|err| before(err.into()))?;
        let (value, touched) = op(&tx).await.map_err(before)?;
        for rut in &touched {
            let insert = tx
                .prepare_cached("INSERT INTO changes (rut) VALUES ($1)")
                .await
                .map_err(|err| before(err.into()))?;
            tx.execute(&insert, &[&rut.compact()])
                .await
                .map_err(|err| before(err.into()))?;
        }
        tx.commit().await.map_err(|err| Failure {
            err: err.into(),
            at_commit: true,
        })?;
        for rut in touched {
            self.shared.cache.forget(rut);
        }
        Ok(value)
    }
}

/// Whether a write may run a second time after its `COMMIT`'s outcome was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// Running it twice has the effect of running it once.
    Safe,
    /// A second run would change something again (append a line...).
    Never,
}

/// A failed write attempt: the error, and whether it came from the `COMMIT` itself.
struct Failure {
    err: RegistryError,
    at_commit: bool,
}

/// The source of other nodes' changes (today a poll of `changes`; a notification later).
struct ChangeFeed;

impl ChangeFeed {
    /// The oldest transaction still running now: every transaction that commits later has
    /// an id at or above it.
    async fn horizon(shared: &Shared) -> Result<String, RegistryError> {
        let client = shared.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_one("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", &[])
            .await?;
        Ok(row.get(0))
    }

    /// The customers touched by transactions at or after `horizon` (every one that
    /// committed since the snapshot `horizon` came from), and the next horizon.
    async fn poll(shared: &Shared, horizon: &str) -> Result<(Vec<String>, String), RegistryError> {
        let client = shared.pool.get().await.map_err(pool_error)?;
        let statement = client
            .prepare_cached(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text,
                        coalesce((SELECT array_agg(DISTINCT rut) FROM changes
                                  WHERE xid >= $1::text::xid8), '{}')",
            )
            .await?;
        let row = client.query_one(&statement, &[&horizon]).await?;
        Ok((row.get(1), row.get(0)))
    }
}

/// The background task: writes pending consultations every [`FLUSH_EVERY`], polls for other
/// nodes' changes every [`POLL_EVERY`], prunes old `changes` rows now and then; ends when
/// the store is dropped.
async fn background(shared: Weak<Shared>, mut horizon: String) {
    let mut ticker = tokio::time::interval(FLUSH_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let polls_every = (POLL_EVERY.as_millis() / FLUSH_EVERY.as_millis()).max(1) as u64;
    for round in 1u64.. {
        ticker.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        flush_consultations(&shared).await;
        let dropped = shared.dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
        if dropped > 0 {
            tracing::error!(
                lost = dropped,
                "too many consultations waiting: newest dropped"
            );
        }
        if round % polls_every == 0 {
            match within_background_timeout(ChangeFeed::poll(&shared, &horizon)).await {
                Ok((ruts, next)) => {
                    for rut in ruts.iter().filter_map(|r| r.parse::<Rut>().ok()) {
                        shared.cache.forget(rut);
                    }
                    horizon = next;
                }
                Err(err) => {
                    tracing::warn!(cause = %err, "polling PostgreSQL for changes: cache cleared");
                    shared.cache.clear();
                }
            }
        }
        if round % (polls_every * 300) == 0 {
            let prune = async {
                let client = shared.pool.get().await.map_err(pool_error)?;
                let sql =
                    format!("DELETE FROM changes WHERE at < now() - interval '{CHANGES_KEPT}'");
                client.batch_execute(&sql).await?;
                Ok::<_, RegistryError>(())
            };
            if let Err(err) = within_background_timeout(prune).await {
                tracing::warn!(cause = %err, "pruning old changes");
            }
        }
    }
}

/// `statement`'s result, or [`RegistryError::Timeout`] after [`BACKGROUND_TIMEOUT`].
async fn within_background_timeout<T>(
    statement: impl std::future::Future<Output = Result<T, RegistryError>>,
) -> Result<T, RegistryError> {
    tokio::time::timeout(BACKGROUND_TIMEOUT, statement)
        .await
        .unwrap_or(Err(RegistryError::Timeout(BACKGROUND_TIMEOUT)))
}

/// Writes the pending consultations in one statement; on failure puts them back (bounded).
async fn flush_consultations(shared: &Shared) {
    let batch = std::mem::take(&mut *shared.pending.lock().unwrap_or_else(|e| e.into_inner()));
    if batch.is_empty() {
        return;
    }
    let written = async {
        let client = shared.pool.get().await.map_err(pool_error)?;
        let ids: Vec<i64> = batch.iter().map(|c| c.request).collect();
        let ats: Vec<i64> = batch.iter().map(|c| c.at).collect();
        let channels: Vec<&str> = batch.iter().map(|c| c.channel.as_str()).collect();
        let statement = client
            .prepare_cached(
                "INSERT INTO consultations (request_id, at, channel)
                 SELECT t.r, t.a, t.c FROM unnest($1::bigint[], $2::bigint[], $3::text[])
                        WITH ORDINALITY AS t(r, a, c, n)
                 WHERE EXISTS (SELECT 1 FROM requests WHERE id = t.r)
                 ORDER BY t.n",
            )
            .await?;
        client.execute(&statement, &[&ids, &ats, &channels]).await?;
        Ok::<_, RegistryError>(())
    };
    if let Err(err) = within_background_timeout(written).await {
        tracing::warn!(cause = %err, rows = batch.len(), "writing consultations: kept for later");
        let mut pending = shared.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mut batch = batch;
        batch.append(&mut pending);
        let excess = batch.len().saturating_sub(MAX_PENDING_CONSULTATIONS);
        if excess > 0 {
            tracing::error!(
                lost = excess,
                "too many consultations waiting: oldest dropped"
            );
            batch.drain(..excess);
        }
        *pending = batch;
    }
}

/// A new idempotency key: 128 random bits in hex.
fn new_op_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[async_trait]
impl Store for PgStore {
    async fn customer(&self, rut: Rut) -> Result<Option<Customer>, RegistryError> {
        Ok(self.account(rut).await?.customer.clone())
    }

    async fn customers(&self) -> Result<Vec<Customer>, RegistryError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT rut, name, id_serial FROM customers")
            .await?;
        let mut customers = client
            .query(&statement, &[])
            .await?
            .iter()
            .map(customer_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        customers.sort_by_key(|c| c.rut);
        Ok(customers)
    }

    async fn register_customer(&self, rut: Rut, name: &str) -> Result<Customer, RegistryError> {
        let name = name.to_string();
        self.write(Repeat::Never, move |tx| {
            let name = name.clone();
            Box::pin(async move {
                let name = name.as_str();
                let insert = tx
                    .prepare_cached(
                        "INSERT INTO customers (rut, name, id_serial) VALUES ($1, $2, NULL)
                         ON CONFLICT (rut) DO NOTHING",
                    )
                    .await?;
                if tx.execute(&insert, &[&rut.compact(), &name]).await? == 0 {
                    return Err(RegistryError::CustomerExists(rut));
                }
                let customer = Customer {
                    rut,
                    name: name.to_string(),
                    id_serial: None,
                };
                Ok((customer, vec![rut]))
            })
        })
        .await
    }

    async fn requests_of(&self, rut: Rut) -> Result<Vec<Request>, RegistryError> {
        Ok(self.account(rut).await?.requests.clone())
    }

    async fn request(&self, id: RequestId) -> Result<Option<Request>, RegistryError> {
        let cache = &self.shared.cache;
        let owner = match cache.owner(id) {
            Some(owner) => owner,
            None => {
                let client = self.client().await?;
                match request_owner(&client, id).await? {
                    Some(owner) => owner,
                    None => return Ok(None),
                }
            }
        };
        match self.account(owner).await?.find(id) {
            Ok(found) => Ok(found),
            Err(()) => load_request(&self.client().await?, id).await,
        }
    }

    async fn request_of(&self, rut: Rut, id: RequestId) -> Result<Option<Request>, RegistryError> {
        // The customer's own requests (cached once they logged in): another customer's
        // number is not among them, exactly like a missing one.
        match self.account(rut).await?.find(id) {
            Ok(found) => Ok(found),
            // An older request: read on its own, answered only if it is the customer's.
            Err(()) => Ok(load_request(&self.client().await?, id)
                .await?
                .filter(|r| r.rut == rut)),
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
        let key = new_op_key();
        self.create_request_keyed(&key, rut, subject, state, author, history)
            .await
    }

    async fn set_subject(
        &self,
        id: RequestId,
        subject: &str,
        author: &str,
    ) -> Result<Request, RegistryError> {
        let subject = subject.to_string();
        let author = author.to_string();
        self.write(Repeat::Safe, move |tx| {
            let subject = subject.clone();
            let author = author.clone();
            Box::pin(async move {
                let subject = subject.as_str();
                let author = author.as_str();
                let current = lock_request(tx, id).await?;
                if current.subject == subject {
                    return Ok((current, Vec::new()));
                }
                let now = now_millis();
                let update = tx
                    .prepare_cached(
                        "UPDATE requests SET subject = $2, updated_at = $3 WHERE id = $1",
                    )
                    .await?;
                tx.execute(&update, &[&sql_id(id)?, &subject, &now]).await?;
                insert_history(tx, id, now, author, &history::subject_changed(subject)).await?;
                let request = load_request(tx, id)
                    .await?
                    .ok_or(RegistryError::NotFound(id))?;
                Ok((request, vec![current.rut]))
            })
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
        self.write(Repeat::Safe, move |tx| {
            let author = author.clone();
            Box::pin(async move {
                let author = author.as_str();
                let current = lock_request(tx, id).await?;
                if current.state == state {
                    return Ok((current, Vec::new()));
                }
                let now = now_millis();
                let update = tx
                    .prepare_cached("UPDATE requests SET state = $2, updated_at = $3 WHERE id = $1")
                    .await?;
                tx.execute(&update, &[&sql_id(id)?, &state.to_string(), &now])
                    .await?;
                insert_history(tx, id, now, author, &history::state_changed(state)).await?;
                let request = load_request(tx, id)
                    .await?
                    .ok_or(RegistryError::NotFound(id))?;
                Ok((request, vec![current.rut]))
            })
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
        let answer = answer.to_string();
        let author = author.to_string();
        self.write(Repeat::Never, move |tx| {
            let answer = answer.clone();
            let author = author.clone();
            Box::pin(async move {
                let answer = answer.as_str();
                let author = author.as_str();
                let now = now_millis();
                let update = tx
                    .prepare_cached(
                        "UPDATE requests SET answer = $2, sensitive = $3, updated_at = $4
                         WHERE id = $1",
                    )
                    .await?;
                let changed = tx
                    .execute(&update, &[&sql_id(id)?, &answer, &sensitive, &now])
                    .await?;
                if changed == 0 {
                    return Err(RegistryError::NotFound(id));
                }
                insert_history(tx, id, now, author, "Respuesta registrada").await?;
                let request = load_request(tx, id)
                    .await?
                    .ok_or(RegistryError::NotFound(id))?;
                let rut = request.rut;
                Ok((request, vec![rut]))
            })
        })
        .await
    }

    async fn append_history(
        &self,
        id: RequestId,
        author: &str,
        text: &str,
    ) -> Result<Request, RegistryError> {
        let author = author.to_string();
        let text = text.to_string();
        self.write(Repeat::Never, move |tx| {
            let author = author.clone();
            let text = text.clone();
            Box::pin(async move {
                let author = author.as_str();
                let text = text.as_str();
                let now = now_millis();
                let update = tx
                    .prepare_cached("UPDATE requests SET updated_at = $2 WHERE id = $1")
                    .await?;
                if tx.execute(&update, &[&sql_id(id)?, &now]).await? == 0 {
                    return Err(RegistryError::NotFound(id));
                }
                insert_history(tx, id, now, author, text).await?;
                let request = load_request(tx, id)
                    .await?
                    .ok_or(RegistryError::NotFound(id))?;
                let rut = request.rut;
                Ok((request, vec![rut]))
            })
        })
        .await
    }

    fn record_consultation(&self, id: RequestId, channel: &str) {
        let Ok(request) = i64::try_from(id) else {
            return;
        };
        let consultation = Consultation {
            request,
            at: now_millis(),
            channel: channel.to_string(),
        };
        let mut pending = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if pending.len() < MAX_PENDING_CONSULTATIONS {
            pending.push(consultation);
        } else {
            // The server away for long: counted, logged by the background task.
            self.shared
                .dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    async fn consultations(&self, id: RequestId) -> Result<Vec<DateTime<Utc>>, RegistryError> {
        flush_consultations(&self.shared).await;
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT at FROM consultations WHERE request_id = $1 ORDER BY id")
            .await?;
        client
            .query(&statement, &[&sql_id(id)?])
            .await?
            .iter()
            .map(|row| time_from_millis(row.try_get(0)?))
            .collect()
    }

    async fn append_transcript(
        &self,
        id: RequestId,
        speaker: &str,
        text: &str,
    ) -> Result<(), RegistryError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO transcript (request_id, at, speaker, text)
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM requests WHERE id = $1)",
            )
            .await?;
        let added = client
            .execute(&statement, &[&sql_id(id)?, &now_millis(), &speaker, &text])
            .await?;
        if added == 0 {
            return Err(RegistryError::NotFound(id));
        }
        Ok(())
    }

    async fn transcript(&self, id: RequestId) -> Result<Vec<TranscriptLine>, RegistryError> {
        let client = self.client().await?;
        if request_owner(&client, id).await?.is_none() {
            return Err(RegistryError::NotFound(id));
        }
        let statement = client
            .prepare_cached(
                "SELECT at, speaker, text FROM transcript WHERE request_id = $1 ORDER BY id",
            )
            .await?;
        client
            .query(&statement, &[&sql_id(id)?])
            .await?
            .iter()
            .map(|row| {
                Ok(TranscriptLine {
                    at: time_from_millis(row.try_get(0)?)?,
                    speaker: row.try_get(1)?,
                    text: row.try_get(2)?,
                })
            })
            .collect()
    }

    async fn list(&self, filter: &RequestFilter) -> Result<Vec<Request>, RegistryError> {
        let rut = filter.rut.map(Rut::compact);
        let state = filter.state.map(|s| s.to_string());
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {REQUEST_COLUMNS}, {HISTORY_COLUMNS} FROM requests r
                 LEFT JOIN history h ON h.request_id = r.id
                 WHERE ($1::text IS NULL OR r.rut = $1) AND ($2::text IS NULL OR r.state = $2)
                 ORDER BY r.id, h.id"
            ))
            .await?;
        let rows = client.query(&statement, &[&rut, &state]).await?;
        requests_from_rows(&rows, 0)
    }

    async fn seed_load_customers(&self, count: usize) -> Result<Vec<Rut>, RegistryError> {
        if count > demo::MAX_LOAD_CUSTOMERS {
            return Err(RegistryError::TooManyLoadCustomers(count));
        }
        let mut customers = Vec::with_capacity(count);
        for i in 1..=count {
            customers
                .push(demo::load_customer(i).ok_or(RegistryError::TooManyLoadCustomers(count))?);
        }
        let customers = Arc::new(customers);
        self.write(Repeat::Safe, move |tx| {
            let customers = Arc::clone(&customers);
            Box::pin(async move {
                let now = now_millis();
                let ruts: Vec<String> = customers.iter().map(|c| c.rut.compact()).collect();
                let names: Vec<&str> = customers.iter().map(|c| c.name.as_str()).collect();
                let serials: Vec<Option<&str>> =
                    customers.iter().map(|c| c.id_serial.as_deref()).collect();
                // Customers that already exist are left alone; each new one gets one open
                // request with one history entry.
                let added = tx
                    .query(
                        "WITH added AS (
                             INSERT INTO customers (rut, name, id_serial)
                             SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
                             ON CONFLICT (rut) DO NOTHING
                             RETURNING rut
                         ), created AS (
                             INSERT INTO requests (rut, subject, state, sensitive, created_at, updated_at)
                             SELECT rut, $4, 'abierto', false, $5, $5 FROM added ORDER BY rut
                             RETURNING id
                         )
                         INSERT INTO history (request_id, at, author, text)
                         SELECT id, $5, 'sistema', 'Solicitud creada para la prueba de carga'
                         FROM created ORDER BY id
                         RETURNING request_id",
                        &[&ruts, &names, &serials, &demo::LOAD_SUBJECT, &now],
                    )
                    .await?;
                let touched = if added.is_empty() {
                    Vec::new()
                } else {
                    customers.iter().map(|c| c.rut).collect()
                };
                Ok((customers.iter().map(|c| c.rut).collect(), touched))
            })
        })
        .await
    }

    async fn limit_size(&self, _max_bytes: u64) -> Result<u64, RegistryError> {
        Err(RegistryError::Unsupported(
            "capping the size of a PostgreSQL database (use a tablespace quota)",
        ))
    }

    async fn keep_inbox_message(
        &self,
        message: InboxMessage,
        retention: InboxRetention,
    ) -> Result<(), RegistryError> {
        let now = now_millis();
        let max_age = i64::try_from(retention.max_age.as_millis()).unwrap_or(i64::MAX);
        let max_rows = i64::try_from(retention.max_rows).unwrap_or(i64::MAX);
        let client = self.client().await?;
        // One statement: the insert, then what the retention no longer allows (older than
        // its age, the oldest beyond its count), as in the SQLite store.
        let statement = client
            .prepare_cached(
                "WITH kept AS (
                     INSERT INTO nlu_inbox (at, text, outcome, predicted, confidence)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id
                 )
                 DELETE FROM nlu_inbox
                 WHERE at < $6 OR id <= (SELECT id FROM kept) - $7",
            )
            .await?;
        client
            .execute(
                &statement,
                &[
                    &now,
                    &message.text,
                    &message.outcome.name(),
                    &message.predicted.name(),
                    &message.confidence,
                    &now.saturating_sub(max_age),
                    &max_rows,
                ],
            )
            .await?;
        Ok(())
    }

    async fn inbox(&self, include_reviewed: bool) -> Result<Vec<InboxEntry>, RegistryError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT id, at, text, outcome, predicted, confidence, reviewed_at, label
                 FROM nlu_inbox WHERE $1 OR reviewed_at IS NULL ORDER BY id",
            )
            .await?;
        let intent = |name: &str| {
            Intent::from_name(name)
                .ok_or_else(|| RegistryError::Database(format!("unknown intent {name:?}")))
        };
        client
            .query(&statement, &[&include_reviewed])
            .await?
            .iter()
            .map(|row| {
                let outcome: String = row.try_get(3)?;
                let predicted: String = row.try_get(4)?;
                let label: Option<String> = row.try_get(7)?;
                Ok(InboxEntry {
                    id: row.try_get(0)?,
                    at: time_from_millis(row.try_get(1)?)?,
                    text: row.try_get(2)?,
                    outcome: outcome.parse().map_err(RegistryError::Database)?,
                    predicted: intent(&predicted)?,
                    confidence: row.try_get(5)?,
                    reviewed_at: row
                        .try_get::<_, Option<i64>>(6)?
                        .map(time_from_millis)
                        .transpose()?,
                    label: label.as_deref().map(intent).transpose()?,
                })
            })
            .collect()
    }

    async fn mark_reviewed(&self, reviews: Vec<Review>) -> Result<usize, RegistryError> {
        let now = now_millis();
        let client = self.client().await?;
        let statement = client
            .prepare_cached("UPDATE nlu_inbox SET reviewed_at = $2, label = $3 WHERE id = $1")
            .await?;
        let mut kept = 0;
        for review in &reviews {
            let label = review.label.map(Intent::name);
            kept += client
                .execute(&statement, &[&review.id, &now, &label])
                .await?;
        }
        Ok(usize::try_from(kept).unwrap_or(usize::MAX))
    }

    async fn serial_failures(
        &self,
        rut: Rut,
        from: IpAddr,
    ) -> Result<SerialFailures, RegistryError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT count, locked_until FROM serial_failures WHERE rut = $1 AND address = $2",
            )
            .await?;
        Ok(
            match client
                .query_opt(&statement, &[&rut.compact(), &from.to_string()])
                .await?
            {
                Some(row) => serial_failures_at(row.try_get(0)?, row.try_get(1)?, now_millis()),
                None => SerialFailures::default(),
            },
        )
    }

    async fn serial_failed(
        &self,
        rut: Rut,
        from: IpAddr,
        lockout: SerialLockout,
    ) -> Result<SerialFailures, RegistryError> {
        let now = now_millis();
        let (rut, from) = (rut.compact(), from.to_string());
        let client = self.client().await?;
        let forget = client
            .prepare_cached("DELETE FROM serial_failures WHERE last_at < $1 AND locked_until < $1")
            .await?;
        client
            .execute(&forget, &[&serial_failures_forgotten_before(now)])
            .await?;
        // One statement per step, each atomic: the count goes up, then the lock-out its
        // new value asks for (a concurrent failure can only lengthen it).
        let count_up = client
            .prepare_cached(
                "INSERT INTO serial_failures (rut, address, count, locked_until, last_at)
                 VALUES ($1, $2, 1, 0, $3)
                 ON CONFLICT (rut, address)
                 DO UPDATE SET count = serial_failures.count + 1, last_at = $3
                 RETURNING count, locked_until",
            )
            .await?;
        let row = client.query_one(&count_up, &[&rut, &from, &now]).await?;
        let count: i64 = row.try_get(0)?;
        let mut until: i64 = row.try_get(1)?;
        let lock = lockout.after(u32::try_from(count).unwrap_or(u32::MAX));
        if !lock.is_zero() {
            until = locked_until(now, lock);
            let lock_out = client
                .prepare_cached(
                    "UPDATE serial_failures SET locked_until = GREATEST(locked_until, $3)
                     WHERE rut = $1 AND address = $2",
                )
                .await?;
            client.execute(&lock_out, &[&rut, &from, &until]).await?;
        }
        Ok(counted_failures_at(count, until, now))
    }

    async fn serial_passed(&self, rut: Rut, from: IpAddr) -> Result<(), RegistryError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("DELETE FROM serial_failures WHERE rut = $1 AND address = $2")
            .await?;
        client
            .execute(&statement, &[&rut.compact(), &from.to_string()])
            .await?;
        Ok(())
    }

    async fn token_failures(&self) -> Result<TokenFailures, RegistryError> {
        let client = self.client().await?;
        load_token_failures(&client, now_millis()).await
    }

    async fn token_failed(&self, lockout: TokenLockout) -> Result<TokenFailures, RegistryError> {
        // One transaction: the count goes up unless a lock-out is in force (a guess during
        // one is not checked, so not counted), then the lock-out its new value asks for.
        // The first statement locks the row until the commit, so a concurrent failure on
        // any node waits and then sees the lock-out: a burst of wrong tokens counts up to
        // the round's end, not past it. Not repeated: a second run would count twice.
        self.write(Repeat::Never, move |tx| {
            Box::pin(async move {
                let now = now_millis();
                let count_up = tx
                    .prepare_cached(
                        "INSERT INTO token_failures (id, count, locked_until) VALUES (1, 1, 0)
                         ON CONFLICT (id) DO UPDATE SET count = token_failures.count + 1
                         WHERE token_failures.locked_until <= $1
                         RETURNING count",
                    )
                    .await?;
                let counted = tx.query_opt(&count_up, &[&now]).await?;
                if let Some(row) = &counted {
                    let count: i64 = row.try_get(0)?;
                    let lock = lockout.after(u32::try_from(count).unwrap_or(u32::MAX));
                    if !lock.is_zero() {
                        let lock_out = tx
                            .prepare_cached(
                                "UPDATE token_failures SET locked_until = $1 WHERE id = 1",
                            )
                            .await?;
                        tx.execute(&lock_out, &[&locked_until(now, lock)]).await?;
                    }
                }
                let failures = TokenFailures {
                    counted: counted.is_some(),
                    ..load_token_failures(tx, now).await?
                };
                Ok((failures, Vec::new()))
            })
        })
        .await
    }

    async fn token_passed(&self) -> Result<(), RegistryError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("DELETE FROM token_failures WHERE id = 1")
            .await?;
        client.execute(&statement, &[]).await?;
        Ok(())
    }

    fn cache_counts(&self) -> Option<CacheCounts> {
        Some(self.shared.cache.counts())
    }

    fn path(&self) -> Option<&Path> {
        None
    }

    fn shared_by_servers(&self) -> bool {
        true
    }
}

impl PgStore {
    /// [`Store::create_request`] with the caller's idempotency key: running it again with the
    /// same key returns the request the first run created (whatever arguments it gets).
    pub(crate) async fn create_request_keyed(
        &self,
        key: &str,
        rut: Rut,
        subject: &str,
        state: RequestState,
        author: &str,
        history: &str,
    ) -> Result<Request, RegistryError> {
        let key = key.to_string();
        let subject = subject.to_string();
        let author = author.to_string();
        let history = history.to_string();
        self.write(Repeat::Safe, move |tx| {
            let key = key.clone();
            let subject = subject.clone();
            let author = author.clone();
            let history = history.clone();
            Box::pin(async move {
                let key = key.as_str();
                let subject = subject.as_str();
                let author = author.as_str();
                let history = history.as_str();
                let exists = tx
                    .prepare_cached("SELECT 1 FROM customers WHERE rut = $1")
                    .await?;
                if tx.query_opt(&exists, &[&rut.compact()]).await?.is_none() {
                    return Err(RegistryError::UnknownCustomer(rut));
                }
                let now = now_millis();
                let insert = tx
                    .prepare_cached(
                        "INSERT INTO requests
                         (rut, subject, state, answer, sensitive, created_at, updated_at, op_key)
                         VALUES ($1, $2, $3, NULL, false, $4, $4, $5)
                         ON CONFLICT (op_key) DO NOTHING
                         RETURNING id",
                    )
                    .await?;
                let inserted = tx
                    .query_opt(
                        &insert,
                        &[&rut.compact(), &subject, &state.to_string(), &now, &key],
                    )
                    .await?;
                let id = match inserted {
                    Some(row) => {
                        let id = from_sql_id(row.try_get(0)?)?;
                        if !history.trim().is_empty() {
                            insert_history(tx, id, now, author, history).await?;
                        }
                        id
                    }
                    None => {
                        // An earlier attempt with this key committed: that is the request.
                        let find = tx
                            .prepare_cached("SELECT id FROM requests WHERE op_key = $1")
                            .await?;
                        from_sql_id(tx.query_one(&find, &[&key]).await?.try_get(0)?)?
                    }
                };
                let request = load_request(tx, id)
                    .await?
                    .ok_or(RegistryError::NotFound(id))?;
                Ok((request, vec![rut]))
            })
        })
        .await
    }
}

fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

fn sql_id(id: RequestId) -> Result<i64, RegistryError> {
    i64::try_from(id).map_err(|_| RegistryError::NotFound(id))
}

fn from_sql_id(id: i64) -> Result<RequestId, RegistryError> {
    u64::try_from(id).map_err(|_| RegistryError::Database(format!("negative request id {id}")))
}

fn bad_row(what: String) -> RegistryError {
    RegistryError::Database(format!("corrupt row: {what}"))
}

fn time_from_millis(millis: i64) -> Result<DateTime<Utc>, RegistryError> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| bad_row(format!("time {millis}")))
}

fn rut_from_text(text: &str) -> Result<Rut, RegistryError> {
    text.parse().map_err(|_| bad_row(format!("RUT {text:?}")))
}

fn customer_from_row(row: &Row) -> Result<Customer, RegistryError> {
    Ok(Customer {
        rut: rut_from_text(row.try_get(0)?)?,
        name: row.try_get(1)?,
        id_serial: row.try_get(2)?,
    })
}

fn request_from_row(row: &Row, base: usize) -> Result<Request, RegistryError> {
    let state: &str = row.try_get(base + 3)?;
    Ok(Request {
        id: from_sql_id(row.try_get(base)?)?,
        rut: rut_from_text(row.try_get(base + 1)?)?,
        subject: row.try_get(base + 2)?,
        state: state
            .parse()
            .map_err(|_| bad_row(format!("state {state:?}")))?,
        answer: row.try_get(base + 4)?,
        sensitive: row.try_get(base + 5)?,
        history: Vec::new(),
        created_at: time_from_millis(row.try_get(base + 6)?)?,
        updated_at: time_from_millis(row.try_get(base + 7)?)?,
    })
}

/// Requests with their histories from rows of [`REQUEST_COLUMNS`] then [`HISTORY_COLUMNS`]
/// starting at column `base`, ordered by request then history entry. Rows whose request
/// columns are `NULL` (a customer without requests) add nothing.
fn requests_from_rows(rows: &[Row], base: usize) -> Result<Vec<Request>, RegistryError> {
    let mut requests: Vec<Request> = Vec::new();
    for row in rows {
        let Some(id) = row.try_get::<_, Option<i64>>(base)? else {
            continue;
        };
        let id = from_sql_id(id)?;
        if requests.last().is_none_or(|last| last.id != id) {
            requests.push(request_from_row(row, base)?);
        }
        let entry = base + REQUEST_COLUMN_COUNT;
        if let Some(at) = row.try_get::<_, Option<i64>>(entry)? {
            let history = HistoryEntry {
                at: time_from_millis(at)?,
                author: row.try_get(entry + 1)?,
                text: row.try_get(entry + 2)?,
            };
            if let Some(request) = requests.last_mut() {
                request.history.push(history);
            }
        }
    }
    Ok(requests)
}

/// The server's wrong executives' tokens and the lock-out in force at `now`.
async fn load_token_failures(
    client: &impl GenericClient,
    now: i64,
) -> Result<TokenFailures, RegistryError> {
    let statement = client
        .prepare_cached("SELECT count, locked_until FROM token_failures WHERE id = 1")
        .await?;
    Ok(match client.query_opt(&statement, &[]).await? {
        Some(row) => serial_failures_at(row.try_get(0)?, row.try_get(1)?, now),
        None => TokenFailures::default(),
    })
}

/// The customer with this RUT (`None` when it is not one) and their requests, oldest first,
/// with their histories, in one statement.
async fn load_account(client: &impl GenericClient, rut: Rut) -> Result<Account, RegistryError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT c.rut, c.name, c.id_serial, {REQUEST_COLUMNS}, {HISTORY_COLUMNS}
             FROM customers c
             LEFT JOIN requests r ON r.rut = c.rut AND r.id IN (
                 SELECT id FROM requests WHERE rut = $1
                 ORDER BY state = 'abierto' DESC, created_at DESC, id DESC
                 LIMIT {ACCOUNT_REQUESTS})
             LEFT JOIN history h ON h.request_id = r.id
             WHERE c.rut = $1
             ORDER BY r.created_at, r.id, h.id"
        ))
        .await?;
    let rows = client.query(&statement, &[&rut.compact()]).await?;
    let customer = rows.first().map(customer_from_row).transpose()?;
    let requests = requests_from_rows(&rows, CUSTOMER_COLUMN_COUNT)?;
    Ok(Account::new(customer, requests))
}

async fn request_owner(
    client: &impl GenericClient,
    id: RequestId,
) -> Result<Option<Rut>, RegistryError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    let statement = client
        .prepare_cached("SELECT rut FROM requests WHERE id = $1")
        .await?;
    match client.query_opt(&statement, &[&id]).await? {
        Some(row) => Ok(Some(rut_from_text(row.try_get(0)?)?)),
        None => Ok(None),
    }
}

async fn load_request(
    client: &impl GenericClient,
    id: RequestId,
) -> Result<Option<Request>, RegistryError> {
    let Ok(id) = i64::try_from(id) else {
        return Ok(None);
    };
    let statement = client
        .prepare_cached(&format!(
            "SELECT {REQUEST_COLUMNS}, {HISTORY_COLUMNS} FROM requests r
             LEFT JOIN history h ON h.request_id = r.id
             WHERE r.id = $1
             ORDER BY h.id"
        ))
        .await?;
    let rows = client.query(&statement, &[&id]).await?;
    Ok(requests_from_rows(&rows, 0)?.pop())
}

/// Loads the request and locks its row until the transaction ends (two executives changing
/// one request from two nodes are serialised).
async fn lock_request(
    tx: &deadpool_postgres::Transaction<'_>,
    id: RequestId,
) -> Result<Request, RegistryError> {
    let Ok(sql) = i64::try_from(id) else {
        return Err(RegistryError::NotFound(id));
    };
    let lock = tx
        .prepare_cached("SELECT 1 FROM requests WHERE id = $1 FOR UPDATE")
        .await?;
    if tx.query_opt(&lock, &[&sql]).await?.is_none() {
        return Err(RegistryError::NotFound(id));
    }
    load_request(tx, id)
        .await?
        .ok_or(RegistryError::NotFound(id))
}

async fn insert_history(
    tx: &deadpool_postgres::Transaction<'_>,
    id: RequestId,
    at: i64,
    author: &str,
    text: &str,
) -> Result<(), RegistryError> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO history (request_id, at, author, text) VALUES ($1, $2, $3, $4)",
        )
        .await?;
    tx.execute(&insert, &[&sql_id(id)?, &at, &author, &text])
        .await?;
    Ok(())
}
