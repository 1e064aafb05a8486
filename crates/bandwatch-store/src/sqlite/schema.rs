//! Connection settings and versioned migrations tracked in `PRAGMA user_version`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Op, Result, StoreError};

/// How long a statement waits for another connection's lock before failing; short, so a
/// locked database shows up as a write error the writer can retry instead of a stalled thread.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_millis(200);

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: series, head, compressed chunks, rollups, and a small key/value table for marks.
    // Chunks keep a rowid: their 1-3 KiB blobs would spill to overflow pages in a WITHOUT ROWID
    // table. Rollup rows are small and integer-keyed, so WITHOUT ROWID saves the extra index.
    "CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        metric TEXT NOT NULL,
        labels TEXT NOT NULL,
        UNIQUE (metric, labels)
    );
    CREATE TABLE head (
        id INTEGER PRIMARY KEY,
        data BLOB NOT NULL
    );
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        series_id INTEGER NOT NULL,
        start_ts INTEGER NOT NULL,
        end_ts INTEGER NOT NULL,
        n INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX chunks_by_series ON chunks (series_id, end_ts);
    CREATE TABLE rollup_1m (
        series_id INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        count INTEGER NOT NULL,
        sum REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        last REAL NOT NULL,
        PRIMARY KEY (series_id, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE rollup_1h (
        series_id INTEGER NOT NULL,
        bucket INTEGER NOT NULL,
        count INTEGER NOT NULL,
        sum REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        last REAL NOT NULL,
        PRIMARY KEY (series_id, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;",
    // 2: sealed minute rollups, one pco blob per series per block window (see block.rs);
    // finished minute rows move here from rollup_1m at upkeep. Same shape as chunks, for the
    // same reason (blobs of a few hundred bytes to a few KiB keep a rowid).
    "CREATE TABLE rollup_1m_blocks (
        id INTEGER PRIMARY KEY,
        series_id INTEGER NOT NULL,
        start_ts INTEGER NOT NULL,
        end_ts INTEGER NOT NULL,
        n INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX rollup_1m_blocks_by_series ON rollup_1m_blocks (series_id, end_ts);",
    // 3: alert history (see alert.rs). `alert` holds one row per alert id with its current
    // state; `alert_event` is append-only, and its unique key makes a retried batch a no-op
    // (its column order also serves "the events of one alert in time order"). Open alerts are
    // found through a partial index, since queries through `ended`. Names, states and
    // severities are stored as their lowercase text so the tables read well in a sqlite3 shell.
    // Values may be NULL: SQLite stores a NaN as NULL, and a NaN must not make a batch fail forever.
    // The names `alerts` and `network_usage` stay free for SQL-compatible views.
    "CREATE TABLE alert (
        id TEXT PRIMARY KEY,
        rule TEXT NOT NULL,
        metric TEXT NOT NULL,
        labels TEXT NOT NULL,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        max_severity TEXT NOT NULL,
        value REAL,
        reference REAL,
        message TEXT NOT NULL,
        started INTEGER NOT NULL,
        ended INTEGER,
        updated INTEGER NOT NULL,
        acked_at INTEGER,
        acked_by TEXT
    );
    CREATE INDEX alert_by_ended ON alert (ended);
    CREATE INDEX alert_by_started ON alert (started);
    CREATE INDEX alert_open ON alert (started) WHERE state <> 'resolved';
    CREATE TABLE alert_event (
        id INTEGER PRIMARY KEY,
        alert_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        severity TEXT NOT NULL,
        value REAL,
        reference REAL,
        message TEXT NOT NULL,
        at INTEGER NOT NULL,
        UNIQUE (alert_id, at, kind)
    );
    CREATE INDEX alert_event_by_at ON alert_event (at);
    CREATE TABLE silence (
        id INTEGER PRIMARY KEY,
        matcher TEXT NOT NULL,
        created INTEGER NOT NULL,
        until INTEGER NOT NULL,
        comment TEXT
    );
    CREATE INDEX silence_by_until ON silence (until);",
    // 4: the notification outbox (see outbox.rs). A notification is committed here before it
    // is sent, so a crash between the two sends it after the restart; the unique key makes a
    // re-enqueued notification (same channel and idempotency key) a no-op. `updated` is the
    // time of the last change (enqueued, failed, delivered, dead) and bounds pruning of
    // finished rows. "Due items of a channel" walk a partial index that holds pending rows
    // only, so delivered history does not slow the poll down.
    "CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        payload TEXT NOT NULL,
        created INTEGER NOT NULL,
        next_attempt INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
        delivered_at INTEGER,
        updated INTEGER NOT NULL,
        UNIQUE (channel, idempotency_key)
    );
    CREATE INDEX outbox_due ON outbox (channel, next_attempt) WHERE state = 'pending';
    CREATE INDEX outbox_finished ON outbox (updated) WHERE state <> 'pending';",
    // 5: per-series seal marks of the head (see head_row.rs). A series seals its head on its
    // own once it outgrows its share of memory, without rewriting the rows it shares with
    // other series; replay skips its entries in rows up to `through` and continues the open
    // minute the mark holds (all NULL when none was open). An older bandwatch would replay
    // those entries twice, so it must refuse this version, which the version bump makes it do.
    "CREATE TABLE head_sealed (
        series_id INTEGER PRIMARY KEY,
        through INTEGER NOT NULL,
        bucket INTEGER,
        count INTEGER,
        sum REAL,
        min REAL,
        max REAL,
        last REAL
    );",
];

/// The schema version this build creates and understands.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Sets the per-connection pragmas: busy timeout, WAL, `synchronous=NORMAL`.
pub(crate) fn configure(conn: &Connection, path: &Path) -> Result<()> {
    let err = |e| StoreError::db(Op::Open, path, e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    // WAL lets readers (the web view) run beside the writer; NORMAL syncs at checkpoints only,
    // which in WAL mode keeps the database consistent after a power loss and loses at most the
    // last transactions, not the file.
    let _mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(err)?;
    Ok(())
}

/// Brings the schema to [`LATEST_VERSION`], one transaction per migration.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let err = |e| StoreError::db(Op::Migrate, path, e);
    if user_version(conn).map_err(err)? == LATEST_VERSION {
        return Ok(());
    }
    loop {
        // IMMEDIATE takes the write lock before reading the version, so two processes opening
        // a new file at once cannot both run the same migration.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let version = user_version(&tx).map_err(err)?;
        if version > LATEST_VERSION {
            return Err(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found: version,
                supported: LATEST_VERSION,
            });
        }
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(());
        };
        tx.execute_batch(sql).map_err(err)?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(err)?;
        tx.commit().map_err(err)?;
    }
}

/// The schema version stored in the file.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}
