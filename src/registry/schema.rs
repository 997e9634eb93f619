//! The database schema: connection settings and the versioned migrations.
//!
//! The schema version lives in SQLite's `PRAGMA user_version`. [`MIGRATIONS`] holds one SQL
//! batch per version; opening a database applies the missing steps in one transaction, so a
//! future change is a new entry at the end of the list (never an edit of an old one).

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{demo, RegistryError, SqliteSync};

/// How long a connection waits for another process's lock before failing with
/// `SQLITE_BUSY` (the server and `reclamos requests` may share the file). The store's
/// writer cuts it, for each write, to what is left of the operation's time budget
/// ([`OP_TIMEOUT`](super::OP_TIMEOUT)).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// One SQL batch per schema version: entry `i` upgrades version `i` to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // Version 1: the initial schema. Timestamps are unix milliseconds (UTC). `STRICT` makes
    // SQLite reject values of the wrong type instead of silently storing them.
    "
    CREATE TABLE customers (
        rut       TEXT PRIMARY KEY NOT NULL,  -- compact form, e.g. 12345678-5
        name      TEXT NOT NULL,
        id_serial TEXT                        -- identity-card serial (second factor)
    ) STRICT;

    CREATE TABLE requests (
        id         INTEGER PRIMARY KEY,       -- the rowid: a new request gets max(id) + 1
        rut        TEXT NOT NULL REFERENCES customers (rut),
        subject    TEXT NOT NULL,
        state      TEXT NOT NULL CHECK (state IN ('abierto', 'cerrado')),
        answer     TEXT,
        sensitive  INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX requests_by_rut ON requests (rut, created_at, id);

    CREATE TABLE history (
        id         INTEGER PRIMARY KEY,       -- append order
        request_id INTEGER NOT NULL REFERENCES requests (id),
        at         INTEGER NOT NULL,
        author     TEXT NOT NULL,
        text       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX history_by_request ON history (request_id, id);

    CREATE TABLE transcript (
        id         INTEGER PRIMARY KEY,       -- append order
        request_id INTEGER NOT NULL REFERENCES requests (id),
        at         INTEGER NOT NULL,
        speaker    TEXT NOT NULL,
        text       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX transcript_by_request ON transcript (request_id, id);
    ",
    // Version 2: customers consulting a request are recorded in an audit table of their own,
    // so that the history a customer reads keeps only what happened to the request.
    "
    CREATE TABLE consultations (
        id         INTEGER PRIMARY KEY,       -- append order
        request_id INTEGER NOT NULL REFERENCES requests (id),
        at         INTEGER NOT NULL,
        channel    TEXT NOT NULL              -- where it was consulted, e.g. chat
    ) STRICT;
    CREATE INDEX consultations_by_request ON consultations (request_id, id);
    ",
    // Version 3: the NLU inbox (`inbox.rs`): free-text messages the classifier fell back
    // on, asked to clarify, or got corrected on, kept for review. No customer column on
    // purpose. Retention deletes by `at` and by `id` (insertion order).
    "
    CREATE TABLE nlu_inbox (
        id          INTEGER PRIMARY KEY,      -- insertion order
        at          INTEGER NOT NULL,
        text        TEXT NOT NULL,
        outcome     TEXT NOT NULL CHECK (outcome IN ('fallback', 'clarify', 'correction')),
        predicted   TEXT NOT NULL,            -- intent name, e.g. nlu_fallback
        confidence  REAL NOT NULL,
        reviewed_at INTEGER,                  -- NULL until an operator reviewed it
        label       TEXT                      -- the intent given; NULL if skipped
    ) STRICT;
    CREATE INDEX nlu_inbox_by_at ON nlu_inbox (at);
    ",
    // Version 4: wrong identity-card serials per RUT (issue 18), so that reconnecting does
    // not reset them; `locked_until` in milliseconds since the epoch (0: not locked).
    "
    CREATE TABLE serial_failures (
        rut          TEXT PRIMARY KEY NOT NULL,  -- compact form, e.g. 12345678-5
        count        INTEGER NOT NULL,
        locked_until INTEGER NOT NULL
    ) STRICT;
    ",
    // Version 5: wrong executives' tokens for the whole server (issue 18), one row, so that
    // reconnecting (from any address) does not reset them.
    "
    CREATE TABLE token_failures (
        id           INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
        count        INTEGER NOT NULL,
        locked_until INTEGER NOT NULL          -- ms since the epoch (0: not locked)
    ) STRICT;
    ",
    // Version 6: wrong serials per RUT *and client address*: counted per RUT alone, anyone
    // who knew a RUT could keep its owner's second factor locked. Rows are dropped a day
    // after their last failure and lock-out (`SERIAL_FAILURES_KEPT`). The counts of version
    // 5 are not carried over (they name no address): lock-outs in force end at the upgrade.
    "
    DROP TABLE serial_failures;
    CREATE TABLE serial_failures (
        rut          TEXT NOT NULL,            -- compact form, e.g. 12345678-5
        address      TEXT NOT NULL,            -- the client's address (IPv6: its /64)
        count        INTEGER NOT NULL,
        locked_until INTEGER NOT NULL,         -- ms since the epoch (0: not locked)
        last_at      INTEGER NOT NULL,         -- ms since the epoch of the last failure
        PRIMARY KEY (rut, address)
    ) STRICT;
    CREATE INDEX serial_failures_by_last ON serial_failures (last_at);
    ",
];

/// The schema version this program writes and expects.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Per-connection settings shared by every way of opening the registry.
pub fn configure(conn: &Connection) -> Result<(), RegistryError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Settings for a read-write database file: WAL journal and `synchronous` as `sync` says.
///
/// In WAL mode with `synchronous=NORMAL` (the default) a commit appends to the `-wal` file
/// without an fsync; the data is then in the OS page cache, so it survives the process
/// crashing or being killed with `kill -9` (only a power loss or kernel crash can lose the
/// last commits, never corrupt the file). `--sqlite-sync full` adds the fsync per commit.
pub fn configure_file(conn: &Connection, sync: SqliteSync) -> Result<(), RegistryError> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite refused WAL mode");
    }
    conn.pragma_update(None, "synchronous", sync.pragma())?;
    // When the WAL restarts from its beginning, the file is cut back to this size instead
    // of keeping the largest size it ever reached.
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    Ok(())
}

/// The size the `-wal` file is cut back to when it restarts, and beyond which the
/// background thread makes sure it restarts (see `checkpoint` in `sqlite.rs`).
pub const WAL_SIZE_LIMIT: u64 = if cfg!(test) { 1 << 20 } else { 32 << 20 };

/// The schema version recorded in the file (0 for a new, empty database).
pub fn version(conn: &Connection) -> Result<i64, RegistryError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Brings the schema up to [`LATEST`] and, when the database was empty, adds the demo data.
/// Returns whether the database was created by this call.
///
/// Everything runs in one `IMMEDIATE` transaction, so two processes opening a new file at
/// the same moment cannot both seed it: the second waits, then sees the new version.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<bool, RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = version(&tx)?;
    if found > LATEST {
        return Err(RegistryError::Open {
            path: path.to_path_buf(),
            reason: format!(
                "schema version {found} is newer than this program's ({LATEST}); \
                 upgrade reclamos"
            ),
        });
    }
    apply(&tx, found)?;
    let created = found == 0;
    if created {
        demo::seed(&tx)?;
    }
    tx.commit()?;
    Ok(created)
}

/// Runs the migration steps after version `from` and records [`LATEST`].
fn apply(tx: &Transaction<'_>, from: i64) -> Result<(), RegistryError> {
    let from = usize::try_from(from).unwrap_or(0);
    for step in MIGRATIONS.iter().skip(from) {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", LATEST)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_names(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names = stmt.query_map([], |row| row.get(0)).unwrap();
        names.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn the_file_is_synchronous_as_asked() {
        let dir = tempfile::tempdir().unwrap();
        for (sync, expected) in [(SqliteSync::Normal, 1), (SqliteSync::Full, 2)] {
            let conn = Connection::open(dir.path().join(format!("{sync}.db"))).unwrap();
            configure_file(&conn, sync).unwrap();
            let level: i64 = conn
                .query_row("PRAGMA synchronous", [], |row| row.get(0))
                .unwrap();
            assert_eq!(level, expected, "{sync}");
        }
        assert_eq!("FULL".parse::<SqliteSync>(), Ok(SqliteSync::Full));
        assert!("fast".parse::<SqliteSync>().is_err());
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn).unwrap();
        assert!(migrate(&mut conn, Path::new(":memory:")).unwrap());
        assert_eq!(version(&conn).unwrap(), LATEST);
        assert_eq!(
            table_names(&conn),
            [
                "consultations",
                "customers",
                "history",
                "nlu_inbox",
                "requests",
                "serial_failures",
                "token_failures",
                "transcript"
            ]
        );
        let customers: i64 = conn
            .query_row("SELECT count(*) FROM customers", [], |row| row.get(0))
            .unwrap();
        assert!(!migrate(&mut conn, Path::new(":memory:")).unwrap());
        let again: i64 = conn
            .query_row("SELECT count(*) FROM customers", [], |row| row.get(0))
            .unwrap();
        assert_eq!(customers, again, "demo data seeded twice");
    }

    #[test]
    fn a_version_1_database_is_upgraded_and_keeps_its_data() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "INSERT INTO customers VALUES ('12345678-5', 'Jorge Sandoval', NULL);
             INSERT INTO requests VALUES (7, '12345678-5', 'x', 'abierto', NULL, 0, 1, 1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        assert!(
            !migrate(&mut conn, Path::new(":memory:")).unwrap(),
            "not a new database"
        );
        assert_eq!(version(&conn).unwrap(), LATEST);
        assert!(table_names(&conn).contains(&"consultations".to_string()));
        let requests: i64 = conn
            .query_row("SELECT count(*) FROM requests", [], |row| row.get(0))
            .unwrap();
        assert_eq!(requests, 1, "existing data kept, no demo data added");
    }

    /// Version 6 counts wrong serials per RUT and address: the per-RUT counts of version 5
    /// name no address and are not carried over.
    #[test]
    fn version_6_counts_serials_per_address_and_drops_the_old_counts() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn).unwrap();
        for step in &MIGRATIONS[..5] {
            conn.execute_batch(step).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO serial_failures VALUES ('12345678-5', 3, 9999999999999);
             PRAGMA user_version = 5;",
        )
        .unwrap();
        assert!(!migrate(&mut conn, Path::new(":memory:")).unwrap());
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM serial_failures", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 0);
        conn.execute(
            "INSERT INTO serial_failures VALUES ('12345678-5', '192.0.2.1', 1, 0, 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO serial_failures VALUES ('12345678-5', '192.0.2.2', 1, 0, 0)",
            [],
        )
        .expect("the same RUT from another address is another row");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        let err = migrate(&mut conn, Path::new("future.db")).unwrap_err();
        assert!(
            matches!(&err, RegistryError::Open { reason, .. } if reason.contains("newer")),
            "{err}"
        );
        assert!(table_names(&conn).is_empty(), "nothing created");
    }

    #[test]
    fn constraints_reject_bad_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        configure(&conn).unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        // Unknown customer (foreign key), unknown state (check), text in an INTEGER column.
        for sql in [
            "INSERT INTO requests (rut, subject, state, created_at, updated_at)
             VALUES ('1-9', 'x', 'abierto', 0, 0)",
            "INSERT INTO requests (rut, subject, state, created_at, updated_at)
             VALUES ('12345678-5', 'x', 'pendiente', 0, 0)",
            "INSERT INTO requests (rut, subject, state, created_at, updated_at)
             VALUES ('12345678-5', 'x', 'abierto', 'ayer', 0)",
        ] {
            assert!(conn.execute(sql, []).is_err(), "{sql}");
        }
    }
}
