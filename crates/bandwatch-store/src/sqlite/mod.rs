//! The embedded store: one SQLite file with a write-ahead head, compressed raw chunks,
//! minute and hour rollups, and retention.

mod alert;
mod block;
mod chunk;
mod head;
mod head_row;
mod outbox;
mod path;
mod query;
mod readonly;
mod retention;
mod rollup;
mod schema;
mod seal;
mod series;
mod varint;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bandwatch_core::{AlertEvent, Frame, SeriesKey, Timestamp};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Op, Result, StoreError};
use crate::model::{
    AlertQuery, AlertRecord, HeldMemory, MaintenanceReport, Retention, RollupPoint, Silence,
    StoreStats, Tier, HOUR_MS,
};
use crate::Store;

pub use outbox::SqliteOutbox;
pub use path::check_writable;
pub use schema::LATEST_VERSION;

use head::{Head, HeadTx};
use rollup::{MinuteTx, Minutes};
use series::SeriesRegistry;

/// The most one series' unsealed raw samples take in memory, in bytes, whatever its sampling
/// interval: a series seals its head into a chunk once the head outgrows its share of this.
pub const HEAD_BYTES_PER_SERIES: u64 = 8192;

/// The most one series costs the store in memory, in bytes, however long it runs and however
/// often it samples: its head ([`HEAD_BYTES_PER_SERIES`]) plus its slots in the head and
/// open-minute maps. The series index adds the text of each key (see [`HeldMemory`]).
pub const HELD_BYTES_PER_SERIES: u64 = HEAD_BYTES_PER_SERIES + 512;

/// Settings of the SQLite store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long each tier is kept.
    pub retention: Retention,
    /// The time window one compressed chunk covers (default 10 min; whole minutes, at most 1 h).
    pub chunk_span: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            retention: Retention::default(),
            chunk_span: Duration::from_secs(600),
        }
    }
}

impl SqliteOptions {
    /// Checks the ranges the store relies on.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, reason: &str| {
            Err(StoreError::InvalidOptions {
                field,
                reason: reason.to_owned(),
            })
        };
        let span = self.chunk_span.as_millis();
        // Seals cut the head at chunk boundaries and close the minutes before the cut, so a
        // boundary inside a minute would split one minute between a row and the head.
        if span == 0 || span % 60_000 != 0 || span > 3_600_000 {
            return invalid(
                "chunk_span",
                "must be a whole number of minutes between 1 min and 1 h",
            );
        }
        if self.retention.raw < self.chunk_span {
            return invalid(
                "retention.raw",
                "must be at least one chunk span (10 min by default)",
            );
        }
        // Hours are built from minute rows up to two hours old; shorter minute retention
        // would prune them first.
        if self.retention.minute < Duration::from_secs(2 * 3600) {
            return invalid("retention.minute", "must be at least 2 h");
        }
        if self.retention.hour < Duration::from_secs(3600) {
            return invalid("retention.hour", "must be at least 1 h");
        }
        Ok(())
    }

    fn span_ms(&self) -> i64 {
        i64::try_from(self.chunk_span.as_millis()).unwrap_or(i64::MAX)
    }
}

/// What the store keeps in memory besides the connection; it reflects committed transactions
/// only (a write appends to the head in place and undoes that if it does not commit).
#[derive(Debug, Default)]
struct Memory {
    series: SeriesRegistry,
    /// Unsealed raw samples, at most [`HEAD_BYTES_PER_SERIES`] per series.
    head: Head,
    /// The open minute of each series.
    minutes: Minutes,
    /// Hour rollups exist for every closed hour before this instant.
    hours_until: Option<i64>,
    /// The last minute bucket retention removed; sealed minutes up to it are hidden.
    minute_floor: Option<i64>,
    /// The oldest sample time in the head table; upkeep rewrites the table once its cutoff
    /// passes it.
    head_oldest: Option<i64>,
}

impl Memory {
    /// Loads the series and the marks, and replays the head table into the in-memory head
    /// and the open minute accumulators, row by row, skipping what a series already sealed.
    fn recover(conn: &Connection, path: &Path) -> Result<Self> {
        let err = |e| StoreError::db(Op::Open, path, e);
        let corrupt = |detail: String| StoreError::Corrupt {
            path: path.to_path_buf(),
            series_id: 0,
            detail: format!("head row: {detail}"),
        };
        let mut mem = Self {
            series: SeriesRegistry::load(conn, path)?,
            hours_until: read_mark(conn, HOURS_MARK).map_err(err)?,
            minute_floor: read_mark(conn, MINUTE_FLOOR_MARK).map_err(err)?,
            ..Self::default()
        };
        let marks = head_row::read_marks(conn).map_err(err)?;
        for (&series, mark) in &marks {
            if let Some(open) = mark.open {
                mem.minutes.restore(series, open);
                mem.head.restore_start(series, open);
            }
        }
        let mut head = HeadTx::begin(&mut mem.head);
        let mut minutes = MinuteTx::begin(&mut mem.minutes);
        let mut stmt = conn
            .prepare("SELECT id, data FROM head ORDER BY id")
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        let mut oldest = None;
        while let Some(row) = rows.next().map_err(err)? {
            let id: i64 = row.get(0).map_err(err)?;
            let data = row.get_ref(1).map_err(err)?;
            let data = data.as_blob().map_err(|e| corrupt(e.to_string()))?;
            for e in head_row::read_row(data) {
                let e = e.map_err(corrupt)?;
                oldest = Some(oldest.map_or(e.ts, |t: i64| t.min(e.ts)));
                if marks.get(&e.series).is_some_and(|m| id <= m.through) {
                    continue;
                }
                minutes.apply(e.series, e.ts, e.value);
                head.push(e);
            }
            // The rows these samples caused were committed with them; only the open
            // accumulators are rebuilt.
            minutes.rows.clear();
            minutes.forget_undo();
        }
        minutes.commit();
        head.commit(Vec::new());
        mem.head_oldest = oldest;
        Ok(mem)
    }
}

/// Starts a write transaction; IMMEDIATE takes the write lock up front, so a locked database
/// fails here after the busy timeout instead of half way through.
fn begin(conn: &Connection) -> rusqlite::Result<WriteTx<'_>> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    Ok(WriteTx { conn })
}

/// An open write transaction, begun and committed through cached statements: `Transaction`
/// parses `BEGIN` and `COMMIT` again on every write, which a write a second pays for each
/// time. Rolled back when dropped without [`WriteTx::commit`] (or when the commit fails).
struct WriteTx<'c> {
    conn: &'c Connection,
}

impl WriteTx<'_> {
    /// Commits the transaction.
    fn commit(self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        // After a commit the connection is back in autocommit mode and there is nothing to
        // undo; otherwise the transaction is still open (never begun changes, or a failed
        // COMMIT) and is rolled back, as `Transaction` does. A failed rollback leaves nothing
        // better to do here: the next BEGIN fails and says so.
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

const HOURS_MARK: &str = "hours_built_until";
/// Persisted so a reopened store hides expired minutes of a partly expired block at once.
const MINUTE_FLOOR_MARK: &str = "minutes_pruned_through";

fn read_mark(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

fn write_mark(conn: &Connection, key: &str, value: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// The embedded SQLite store.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    opts: SqliteOptions,
    mem: Memory,
    /// Set when opened read-only: every change is refused, reads catch up with the writer.
    reader: Option<readonly::Reader>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens or creates the database at `path`, creating missing directories once it is clear they can be.
    pub fn open(path: &Path, opts: SqliteOptions) -> Result<Self> {
        opts.validate()?;
        check_writable(path)?;
        path::create_parents(path)?;
        let conn = Connection::open(path).map_err(|e| StoreError::db(Op::Open, path, e))?;
        Self::init(conn, path.to_path_buf(), opts)
    }

    /// A store in memory, for tests.
    pub fn open_in_memory(opts: SqliteOptions) -> Result<Self> {
        opts.validate()?;
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| StoreError::db(Op::Open, &path, e))?;
        Self::init(conn, path, opts)
    }

    fn init(mut conn: Connection, path: PathBuf, opts: SqliteOptions) -> Result<Self> {
        schema::configure(&conn, &path)?;
        schema::migrate(&mut conn, &path)?;
        let mem = Memory::recover(&conn, &path)?;
        Ok(Self {
            conn,
            path,
            opts,
            mem,
            reader: None,
        })
    }

    /// Opens the existing database at `path` read-only, for looking at a history another
    /// process may be writing (WAL) or that this user may only read. Creates nothing,
    /// writes nothing, runs no migration: a missing file, an empty one or one of another
    /// schema version is an error. Every change is refused with [`StoreError::ReadOnly`].
    pub fn open_read_only(path: &Path, opts: SqliteOptions) -> Result<Self> {
        opts.validate()?;
        let (conn, mode) = readonly::open(path)?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
            opts,
            mem: Memory::default(),
            reader: Some(readonly::Reader {
                mode,
                seen: None,
                in_read: false,
            }),
        };
        store.begin_read()?;
        store.end_read();
        Ok(store)
    }

    /// Whether the store was opened read-only.
    pub fn is_read_only(&self) -> bool {
        self.reader.is_some()
    }

    /// Refuses a change when the store is read-only.
    fn writable(&self) -> Result<()> {
        match self.reader {
            Some(_) => Err(StoreError::ReadOnly {
                target: self.path.display().to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies the write-ahead log into the main file and truncates it (for backups and size checks).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| StoreError::db(Op::Maintain, &self.path, e))
    }

    fn begin(&self, op: Op) -> Result<WriteTx<'_>> {
        begin(&self.conn).map_err(|e| StoreError::db(op, &self.path, e))
    }

    /// Builds hour rows for the hours closed since the last call; returns rows and the new mark.
    ///
    /// The mark is persisted as soon as it exists: rows of hours before it merge into the hour
    /// tier as they are written, so rebuilding those hours after a restart would count twice.
    fn build_hours(&self, tx: &Connection, cutoff: i64) -> rusqlite::Result<(u64, i64)> {
        let to = cutoff.div_euclid(HOUR_MS) * HOUR_MS;
        let from = match self.mem.hours_until {
            Some(from) => from,
            None => tx
                .query_row("SELECT MIN(bucket) FROM rollup_1m", [], |r| {
                    r.get::<_, Option<i64>>(0)
                })?
                .map_or(to, |b| b.div_euclid(HOUR_MS) * HOUR_MS),
        };
        let rows = if from < to {
            rollup::build_hours(tx, self.mem.series.ids(), from, to)?
        } else {
            0
        };
        // Never moves back: after a clock step back, older rows keep merging as late ones.
        let mark = self.mem.hours_until.map_or(to, |m| m.max(to));
        if self.mem.hours_until != Some(mark) {
            write_mark(tx, HOURS_MARK, mark)?;
        }
        Ok((rows, mark))
    }
}

impl Store for SqliteStore {
    fn write(&mut self, frames: &[Frame]) -> Result<()> {
        self.writable()?;
        if frames.is_empty() {
            return Ok(());
        }
        let span = self.opts.span_ms();
        write::write(&self.conn, &self.path, &mut self.mem, frames, span)
    }

    fn flush(&mut self) -> Result<()> {
        self.writable()?;
        if self.mem.head.is_empty() {
            return Ok(());
        }
        let span = self.opts.span_ms();
        let tx = self.begin(Op::Flush)?;
        let staged = seal::seal(&tx, &self.path, &self.mem, i64::MAX, span, Op::Flush)?;
        tx.commit()
            .map_err(|e| StoreError::db(Op::Flush, &self.path, e))?;
        staged.apply(&mut self.mem);
        Ok(())
    }

    fn maintain(&mut self, now: Timestamp) -> Result<MaintenanceReport> {
        self.writable()?;
        let op = Op::Maintain;
        let cutoff = now.floor_to(self.opts.span_ms()).0;
        let err = |e| StoreError::db(op, &self.path, e);
        let tx = self.begin(op)?;
        let sealed = seal::seal(&tx, &self.path, &self.mem, cutoff, self.opts.span_ms(), op)?;
        let (hour_rows_built, hours_until) = self.build_hours(&tx, cutoff).map_err(err)?;
        let cut = retention::Cutoffs::new(now, &self.opts.retention);
        let pruned = retention::prune(&tx, self.mem.series.ids(), cut).map_err(err)?;
        let minute_floor = self
            .mem
            .minute_floor
            .map_or(cut.minute_floor(), |f| f.max(cut.minute_floor()));
        write_mark(&tx, MINUTE_FLOOR_MARK, minute_floor).map_err(err)?;
        let horizon = block::horizon(now.0, hours_until);
        let minutes = block::seal(&tx, &self.path, self.mem.series.ids(), horizon)?;
        tx.commit().map_err(err)?;
        let report = MaintenanceReport {
            chunks_sealed: sealed.chunks,
            points_sealed: sealed.points,
            hour_rows_built,
            chunks_pruned: pruned.chunks,
            minute_rows_sealed: minutes.rows,
            minute_blocks_sealed: minutes.blocks,
            minute_rows_pruned: pruned.minute_rows,
            hour_rows_pruned: pruned.hour_rows,
        };
        sealed.apply(&mut self.mem);
        self.mem.hours_until = Some(hours_until);
        self.mem.minute_floor = Some(minute_floor);
        Ok(report)
    }

    fn series(&self) -> Result<Vec<SeriesKey>> {
        Ok(self.mem.series.keys())
    }

    fn query_raw(
        &self,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, f64)>> {
        let Some(id) = self.mem.series.get(key) else {
            return Ok(Vec::new());
        };
        query::raw(&self.conn, &self.path, &self.mem.head, id, from.0, to.0)
    }

    fn query_rollup(
        &self,
        tier: Tier,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupPoint>> {
        let Some(id) = self.mem.series.get(key) else {
            return Ok(Vec::new());
        };
        let mut points = rollup::query(&self.conn, tier, id, from.0, to.0)
            .map_err(|e| StoreError::db(Op::Query, &self.path, e))?;
        if tier == Tier::Minute {
            let floor = self.mem.minute_floor;
            let sealed = block::query(&self.conn, &self.path, id, from.0, to.0, floor)?;
            // Live rows of sealed minutes are late samples; see block.rs.
            points = rollup::merge_older(sealed, points);
        }
        let open = self
            .mem
            .minutes
            .get(id)
            .filter(|a| (from.0..to.0).contains(&a.bucket));
        if let (Tier::Minute, Some(open)) = (tier, open) {
            rollup::merge_open(&mut points, open);
        }
        Ok(points)
    }

    fn stats(&self) -> Result<StoreStats> {
        let mut stats = query::stats(&self.conn, &self.path)
            .map_err(|e| StoreError::db(Op::Stats, &self.path, e))?;
        stats.raw_samples += self.mem.head.raw_len();
        stats.series = self.mem.series.len() as u64;
        Ok(stats)
    }

    fn held_memory(&self) -> HeldMemory {
        HeldMemory {
            heads: self.mem.head.held_bytes(),
            rollups: self.mem.minutes.held_bytes(),
            series_index: self.mem.series.held_bytes(),
        }
    }

    fn record_alerts(&mut self, events: &[AlertEvent]) -> Result<()> {
        self.writable()?;
        if events.is_empty() {
            return Ok(());
        }
        alert::record(&self.conn, events)
            .map_err(|e| StoreError::db(Op::WriteAlerts, &self.path, e))
    }

    fn open_alerts(&self) -> Result<Vec<AlertEvent>> {
        alert::open_alerts(&self.conn, &self.path)
    }

    fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertRecord>> {
        alert::query(&self.conn, &self.path, q)
    }

    fn acknowledge(&mut self, id: &str, at: Timestamp, by: Option<&str>) -> Result<bool> {
        self.writable()?;
        alert::acknowledge(&self.conn, id, at, by)
            .map_err(|e| StoreError::db(Op::WriteAlerts, &self.path, e))
    }

    fn add_silence(
        &mut self,
        matcher: &str,
        created: Timestamp,
        until: Timestamp,
        comment: Option<&str>,
    ) -> Result<i64> {
        self.writable()?;
        alert::add_silence(&self.conn, matcher, created, until, comment)
            .map_err(|e| StoreError::db(Op::WriteAlerts, &self.path, e))
    }

    fn silences(&self, now: Timestamp) -> Result<Vec<Silence>> {
        alert::silences(&self.conn, now).map_err(|e| StoreError::db(Op::Query, &self.path, e))
    }

    fn begin_read(&mut self) -> Result<()> {
        let Some(reader) = &self.reader else {
            return Ok(());
        };
        if readonly::needs_reopen(&self.path, reader.mode) {
            // An agent started writing the file: share its log from now on.
            self.conn = readonly::connect(&self.path, readonly::Mode::Shared)
                .map_err(|e| StoreError::db(Op::Open, &self.path, e))?;
            self.conn
                .busy_timeout(schema::BUSY_TIMEOUT)
                .map_err(|e| StoreError::db(Op::Open, &self.path, e))?;
            if let Some(r) = &mut self.reader {
                (r.mode, r.seen) = (readonly::Mode::Shared, None);
            }
        }
        if self.reader.as_ref().is_some_and(|r| r.in_read) {
            self.end_read();
        }
        let path = self.path.clone();
        let err = |e| StoreError::db(Op::Query, &path, e);
        // The first read fixes the view every query of this read sees; the memory (series,
        // head, open minutes) is reloaded when a writer committed since it was loaded.
        self.conn.execute_batch("BEGIN").map_err(err)?;
        if let Some(r) = &mut self.reader {
            r.in_read = true;
        }
        let version = self
            .conn
            .query_row("SELECT COUNT(*) FROM meta", [], |_| Ok(()))
            .and_then(|()| self.conn.query_row("PRAGMA data_version", [], |r| r.get(0)))
            .map_err(err);
        let version: i64 = match version {
            Ok(v) => v,
            Err(e) => {
                self.end_read();
                return Err(e);
            }
        };
        if self
            .reader
            .as_ref()
            .is_some_and(|r| r.seen == Some(version))
        {
            return Ok(());
        }
        match Memory::recover(&self.conn, &self.path) {
            Ok(mem) => {
                self.mem = mem;
                if let Some(r) = &mut self.reader {
                    r.seen = Some(version);
                }
                Ok(())
            }
            Err(e) => {
                self.end_read();
                Err(e)
            }
        }
    }

    fn end_read(&mut self) {
        if let Some(r) = &mut self.reader {
            if r.in_read {
                r.in_read = false;
                // A read transaction has nothing to commit; failing to end it only delays
                // the writer's next checkpoint until the next read ends it.
                let _ = self.conn.execute_batch("COMMIT");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_transaction_commits_or_rolls_back_and_the_next_one_begins() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER)").unwrap();
        let count = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap()
        };
        let tx = begin(&conn).unwrap();
        tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&conn), 1);
        let tx = begin(&conn).unwrap();
        tx.execute("INSERT INTO t VALUES (2)", []).unwrap();
        drop(tx);
        assert_eq!(count(&conn), 1, "dropped uncommitted: rolled back");
        assert!(conn.is_autocommit());
        let tx = begin(&conn).unwrap();
        tx.execute("INSERT INTO t VALUES (3)", []).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&conn), 2);
    }
}
