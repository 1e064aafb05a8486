//! The MySQL/MariaDB and PostgreSQL store: plain tables the server summarises itself (raw
//! samples, minute and hour rollups), the alert history, and the `network_usage` and `alerts`
//! tables older reports read.
//!
//! The [`Store`] trait is synchronous and runs on the writer thread, so [`SqlStore`] owns a
//! current-thread tokio runtime and blocks on each call; do not call it from async code.
//!
//! Differences from the SQLite store: raw samples are keyed by series and time, so a second
//! sample of a series at the same millisecond is ignored (that is what makes a retried write
//! land exactly once); NaN and infinite samples are stored as NULL and read back as NaN.

mod alert;
mod compat;
mod compat_schema;
mod conn;
mod dialect;
mod rollup;
mod schema;
mod target;
mod write;

use std::path::PathBuf;
use std::time::Duration;

use bandwatch_core::{AlertEvent, Frame, SeriesKey, Timestamp};
use rustc_hash::FxHashMap as HashMap;

use crate::error::{Op, Result, StoreError};
use crate::model::{
    AlertQuery, AlertRecord, HeldMemory, MaintenanceReport, Retention, RollupPoint, Silence,
    StoreStats, Tier, HOUR_MS, MINUTE_MS,
};
use crate::Store;

pub use compat::{AlertType, CompatOptions, TotalRates};
pub use schema::SQL_LATEST_VERSION;
pub use target::{redacted_url, Dialect};

use conn::{Arg, Col, Db, Tx};
use target::Target;

/// Settings of the SQL store.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlOptions {
    /// How long each tier is kept (the compatibility tables follow the minute tier).
    pub retention: Retention,
    /// What the `network_usage` and `alerts` tables need.
    pub compat: CompatOptions,
    /// Connections the store may hold (reads and the writer share them).
    pub max_connections: u32,
    /// How long connecting (and waiting for a free connection) may take before failing.
    pub connect_timeout: Duration,
    /// How long one store call may wait for the server before it fails as a lost connection
    /// (a server that vanished without closing its connections never answers otherwise).
    pub op_timeout: Duration,
}

impl Default for SqlOptions {
    fn default() -> Self {
        Self {
            retention: Retention::default(),
            compat: CompatOptions::default(),
            max_connections: 2,
            connect_timeout: Duration::from_secs(5),
            op_timeout: Duration::from_secs(120),
        }
    }
}

impl SqlOptions {
    /// Checks the ranges the store relies on.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, reason: &str| {
            Err(StoreError::InvalidOptions {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.max_connections == 0 {
            return invalid("max_connections", "must be at least 1");
        }
        if self.connect_timeout.is_zero() {
            return invalid("connect_timeout", "must be more than 0 s");
        }
        if self.op_timeout.is_zero() {
            return invalid("op_timeout", "must be more than 0 s");
        }
        if self.retention.minute < Duration::from_secs(2 * 3600) {
            return invalid("retention.minute", "must be at least 2 h");
        }
        Ok(())
    }
}

/// Progress marks kept in `bw_meta`; they never move back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// Minute rows exist for every minute before this instant.
    pub minutes_built: Option<i64>,
    /// Hour rows exist for every hour before this instant.
    pub hours_built: Option<i64>,
    /// Raw samples before this instant were removed by retention.
    pub raw_floor: Option<i64>,
    /// Minute rows at or before this bucket were removed by retention.
    pub minute_floor: Option<i64>,
}

const MARK_NAMES: [&str; 4] = [
    "minutes_built_until",
    "hours_built_until",
    "raw_pruned_before",
    "minutes_pruned_through",
];

impl Marks {
    fn values(self) -> [Option<i64>; 4] {
        [
            self.minutes_built,
            self.hours_built,
            self.raw_floor,
            self.minute_floor,
        ]
    }

    async fn load(tx: &mut Tx) -> sqlx::Result<Self> {
        let rows = tx
            .fetch(
                "SELECT name, value FROM bw_meta",
                &[],
                &[Col::Text, Col::Int],
            )
            .await?;
        let get = |name: &str| rows.iter().find(|r| r.text(0) == name).map(|r| r.int(1));
        Ok(Self {
            minutes_built: get(MARK_NAMES[0]),
            hours_built: get(MARK_NAMES[1]),
            raw_floor: get(MARK_NAMES[2]),
            minute_floor: get(MARK_NAMES[3]),
        })
    }

    async fn save(self, tx: &mut Tx) -> sqlx::Result<()> {
        let sql = match tx.dialect() {
            Dialect::MySql => {
                "INSERT INTO bw_meta (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)"
            }
            Dialect::Postgres => {
                "INSERT INTO bw_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
            }
        };
        for (name, value) in MARK_NAMES.iter().zip(self.values()) {
            if let Some(v) = value {
                tx.exec(sql, &[Arg::Text(name), Arg::Int(v)]).await?;
            }
        }
        Ok(())
    }
}

/// What the store keeps in memory; changed only after a commit.
#[derive(Debug, Default)]
struct Memory {
    series: HashMap<SeriesKey, i64>,
    marks: Marks,
    /// The newest total rates written (bytes per second sent, received), for `alerts` rows,
    /// and their instant (unknown for the rates read back at start).
    last_rates: Option<(Option<i64>, (f64, f64))>,
}

/// A failure of `op` on the server `target` names.
pub(crate) fn sql_error(op: Op, target: &Target, source: sqlx::Error) -> StoreError {
    StoreError::Sql {
        op,
        target: target.redacted.clone(),
        problem: conn::problem_of(&source),
        source,
    }
}

/// The MySQL/MariaDB or PostgreSQL store.
pub struct SqlStore {
    rt: tokio::runtime::Runtime,
    db: Db,
    target: Target,
    opts: SqlOptions,
    mem: Memory,
    /// Opened read-only: changes are refused here and by the server's read-only sessions.
    read_only: bool,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("url", &self.target.redacted)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl Drop for SqlStore {
    fn drop(&mut self) {
        // Closing politely lets the server forget the sessions at once; not possible (and not
        // needed) when dropped inside another runtime, and not worth waiting for a lost server.
        if tokio::runtime::Handle::try_current().is_err() {
            let db = &self.db;
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(1), db.close()).await });
        }
    }
}

impl SqlStore {
    /// Connects to `url` (`mysql://`, `mariadb://`, `postgres://`, `postgresql://`), creates or
    /// upgrades the schema and loads the series.
    pub fn connect(url: &str, opts: SqlOptions) -> Result<Self> {
        Self::open(url, opts, false)
    }

    /// Connects to the history at `url` read-only, for looking at what an agent records
    /// (`bandwatch serve`): every session is read-only on the server, nothing is created or
    /// migrated, and a database without bandwatch's tables, or with another schema version,
    /// is an error. Every change is refused with [`StoreError::ReadOnly`].
    pub fn connect_read_only(url: &str, opts: SqlOptions) -> Result<Self> {
        Self::open(url, opts, true)
    }

    fn open(url: &str, opts: SqlOptions, read_only: bool) -> Result<Self> {
        opts.validate()?;
        let target = Target::parse(url)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| StoreError::Spawn { source })?;
        let db = rt.block_on(Db::connect(
            &target,
            opts.max_connections,
            opts.connect_timeout,
            read_only,
        ))?;
        if read_only {
            rt.block_on(schema::check_read_only(&db, &target))?;
        } else {
            rt.block_on(schema::migrate(&db, &target, &opts.compat))?;
        }
        let mem = rt.block_on(load_memory(&db, &target))?;
        Ok(Self {
            rt,
            db,
            target,
            opts,
            mem,
            read_only,
        })
    }

    /// Refuses a change when the store is read-only.
    fn writable(&self) -> Result<()> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                target: self.target.redacted.clone(),
            });
        }
        Ok(())
    }

    /// Which SQL the server speaks.
    pub fn dialect(&self) -> Dialect {
        self.target.dialect
    }

    /// The database URL without its password.
    pub fn url(&self) -> &str {
        &self.target.redacted
    }

    /// The schema version recorded in `bw_schema_version`.
    pub fn schema_version(&self) -> Result<i64> {
        self.rt
            .block_on(schema::current_version(&self.db))
            .map_err(|e| sql_error(Op::Query, &self.target, e))
    }

    fn corrupt_alert(&self, (alert_id, detail): alert::Unreadable) -> StoreError {
        StoreError::CorruptAlert {
            path: PathBuf::from(&self.target.redacted),
            alert_id,
            detail,
        }
    }

    /// Runs `f` in one transaction and commits it, within the operation timeout.
    fn in_tx<T>(
        &self,
        op: Op,
        f: impl for<'t> AsyncFnOnce(&'t mut Tx) -> sqlx::Result<T>,
    ) -> Result<T> {
        let limit = self.opts.op_timeout;
        self.rt
            .block_on(async {
                let work = async {
                    let mut tx = self.db.begin().await?;
                    let out = f(&mut tx).await?;
                    tx.commit().await?;
                    Ok(out)
                };
                tokio::time::timeout(limit, work)
                    .await
                    .unwrap_or_else(|_| Err(conn::timed_out(limit)))
            })
            .map_err(|e| sql_error(op, &self.target, e))
    }
}

async fn load_memory(db: &Db, target: &Target) -> Result<Memory> {
    let err = |e| sql_error(Op::Open, target, e);
    let mut tx = db.begin().await.map_err(err)?;
    let series = write::load_series(&mut tx).await.map_err(err)?;
    let series = series.map_err(|series_id| StoreError::Corrupt {
        path: PathBuf::from(&target.redacted),
        series_id,
        detail: "unreadable labels".into(),
    })?;
    let marks = Marks::load(&mut tx).await.map_err(err)?;
    let last_rates = compat::latest_rates(&mut tx).await.map_err(err)?;
    Ok(Memory {
        series: series.into_iter().map(|(id, key)| (key, id)).collect(),
        marks,
        last_rates: last_rates.map(|r| (None, r)),
    })
}

/// The instant retention keeps each tier from at data time `now`.
fn cutoff(now: i64, keep: Duration) -> i64 {
    now.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX))
}

/// Upkeep at data time `now`: builds closed minutes and hours, prunes, moves the marks.
async fn maintain(
    tx: &mut Tx,
    ids: &[i64],
    mut marks: Marks,
    retention: &Retention,
    now: i64,
) -> sqlx::Result<(MaintenanceReport, Marks)> {
    let mut report = MaintenanceReport::default();
    let minute_to = rollup::bucket_of(Tier::Minute, now);
    let hour_to = rollup::bucket_of(Tier::Hour, minute_to);
    let from = match marks.minutes_built {
        Some(m) => m,
        None => first_bucket(
            tx,
            ids,
            "SELECT MIN(ts) FROM bw_samples WHERE series_id = ?",
        )
        .await?
        .map_or(minute_to, |t| rollup::bucket_of(Tier::Minute, t)),
    };
    for &id in ids {
        report.minute_rows_sealed += rollup::build(tx, Tier::Minute, id, from, minute_to).await?;
    }
    marks.minutes_built = Some(from.max(minute_to));
    let from = match marks.hours_built {
        Some(h) => h,
        None => first_bucket(
            tx,
            ids,
            "SELECT MIN(bucket) FROM bw_rollups WHERE tier = 0 AND series_id = ?",
        )
        .await?
        .map_or(hour_to, |t| rollup::bucket_of(Tier::Hour, t)),
    };
    for &id in ids {
        report.hour_rows_built += rollup::build(tx, Tier::Hour, id, from, hour_to).await?;
    }
    marks.hours_built = Some(from.max(hour_to));
    prune(tx, ids, &mut marks, retention, now, &mut report).await?;
    marks.save(tx).await?;
    Ok((report, marks))
}

/// The smallest value `sql` (one `?` for the series id) gives over all series.
async fn first_bucket(tx: &mut Tx, ids: &[i64], sql: &str) -> sqlx::Result<Option<i64>> {
    let mut first: Option<i64> = None;
    for &id in ids {
        let row = tx.fetch_one(sql, &[Arg::Int(id)], &[Col::Int]).await?;
        if let Some(t) = row.and_then(|r| r.opt_int(0)) {
            first = Some(first.map_or(t, |f| f.min(t)));
        }
    }
    Ok(first)
}

/// Deletes what retention no longer keeps, series by series along the primary keys.
async fn prune(
    tx: &mut Tx,
    ids: &[i64],
    marks: &mut Marks,
    retention: &Retention,
    now: i64,
    report: &mut MaintenanceReport,
) -> sqlx::Result<()> {
    let raw = cutoff(now, retention.raw);
    let minute = cutoff(now, retention.minute);
    // Whole buckets only: a bucket is removed once it ends before its tier's cutoff.
    let minute_floor = minute.saturating_sub(MINUTE_MS);
    let hour_floor = cutoff(now, retention.hour).saturating_sub(HOUR_MS);
    for &id in ids {
        tx.exec(
            "DELETE FROM bw_samples WHERE series_id = ? AND ts < ?",
            &[Arg::Int(id), Arg::Int(raw)],
        )
        .await?;
        let tiers = [(0, minute_floor), (1, hour_floor)];
        for (tier, floor) in tiers {
            let n = tx
                .exec(
                    "DELETE FROM bw_rollups WHERE tier = ? AND series_id = ? AND bucket <= ?",
                    &[Arg::Int(tier), Arg::Int(id), Arg::Int(floor)],
                )
                .await?;
            if tier == 0 {
                report.minute_rows_pruned += n;
            } else {
                report.hour_rows_pruned += n;
            }
        }
    }
    compat::prune(tx, minute).await?;
    marks.raw_floor = Some(marks.raw_floor.map_or(raw, |f| f.max(raw)));
    marks.minute_floor = Some(
        marks
            .minute_floor
            .map_or(minute_floor, |f| f.max(minute_floor)),
    );
    Ok(())
}

async fn count(tx: &mut Tx, sql: &str) -> sqlx::Result<u64> {
    let row = tx.fetch_one(sql, &[], &[Col::Int]).await?;
    Ok(row.map_or(0, |r| r.int(0).unsigned_abs()))
}

/// Bytes of (raw tables, rollup table, whole database), best effort.
async fn sizes(tx: &mut Tx) -> sqlx::Result<(u64, u64, u64)> {
    match tx.dialect() {
        Dialect::Postgres => Ok((
            count(tx, "SELECT pg_total_relation_size('bw_samples')").await?,
            count(tx, "SELECT pg_total_relation_size('bw_rollups')").await?,
            count(tx, "SELECT pg_database_size(current_database())").await?,
        )),
        Dialect::MySql => {
            let of = |tables: &str| {
                format!(
                    "SELECT CAST(COALESCE(SUM(data_length + index_length), 0) AS SIGNED) \
                     FROM information_schema.tables WHERE table_schema = DATABASE(){tables}"
                )
            };
            Ok((
                count(tx, &of(" AND table_name = 'bw_samples'")).await?,
                count(tx, &of(" AND table_name = 'bw_rollups'")).await?,
                count(tx, &of("")).await?,
            ))
        }
    }
}

impl Store for SqlStore {
    fn write(&mut self, frames: &[Frame]) -> Result<()> {
        self.writable()?;
        if frames.is_empty() {
            return Ok(());
        }
        let (known, marks, compat) = (&self.mem.series, self.mem.marks, &self.opts.compat);
        let staged = self.in_tx(Op::Write, async |tx| {
            write::write(tx, known, marks, compat, frames).await
        })?;
        self.mem.series.extend(staged.added);
        // A retried older batch must not bring back older rates.
        if let Some(u) = staged.last_usage {
            let older = matches!(self.mem.last_rates, Some((Some(ts), _)) if ts > u.ts);
            if !older {
                self.mem.last_rates = Some((Some(u.ts), (u.sent, u.recv)));
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        // Every write is committed as it happens; nothing is held back.
        Ok(())
    }

    fn maintain(&mut self, now: Timestamp) -> Result<MaintenanceReport> {
        self.writable()?;
        let ids: Vec<i64> = self.mem.series.values().copied().collect();
        let (marks, retention) = (self.mem.marks, &self.opts.retention);
        let (report, marks) = self.in_tx(Op::Maintain, async |tx| {
            maintain(tx, &ids, marks, retention, now.0).await
        })?;
        self.mem.marks = marks;
        Ok(report)
    }

    fn held_memory(&self) -> HeldMemory {
        // Samples and rollups live on the server; only the series index is kept here.
        let keys: u64 = self
            .mem
            .series
            .keys()
            .map(crate::held::key_heap_bytes)
            .sum();
        let table = crate::held::hash_map_bytes::<SeriesKey, i64>(self.mem.series.capacity());
        HeldMemory {
            series_index: table + keys,
            ..HeldMemory::default()
        }
    }

    fn series(&self) -> Result<Vec<SeriesKey>> {
        let mut keys: Vec<SeriesKey> = self.mem.series.keys().cloned().collect();
        keys.sort();
        Ok(keys)
    }

    fn query_raw(
        &self,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, f64)>> {
        let Some(&id) = self.mem.series.get(key) else {
            return Ok(Vec::new());
        };
        let rows = self.in_tx(Op::Query, async |tx| {
            tx.fetch(
                "SELECT ts, value FROM bw_samples WHERE series_id = ? AND ts >= ? AND ts < ? \
                 AND derived = 0 ORDER BY ts",
                &[Arg::Int(id), Arg::Int(from.0), Arg::Int(to.0)],
                &[Col::Int, Col::Real],
            )
            .await
        })?;
        Ok(rows
            .iter()
            .map(|r| (Timestamp(r.int(0)), r.real(1)))
            .collect())
    }

    fn query_rollup(
        &self,
        tier: Tier,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupPoint>> {
        let Some(&id) = self.mem.series.get(key) else {
            return Ok(Vec::new());
        };
        let (from, to) = (from.0, to.0);
        let built = self.mem.marks.minutes_built.unwrap_or(i64::MIN);
        self.in_tx(Op::Query, async |tx| {
            let mut points = rollup::stored(tx, tier, id, from, to).await?;
            if tier == Tier::Minute {
                // Minutes not built yet (the open one among them) come from the samples.
                let open = rollup::minutes_from_samples(tx, id, from.max(built), to).await?;
                points.retain(|p| p.bucket.0 < built);
                points.extend(open);
            }
            Ok(points)
        })
    }

    fn stats(&self) -> Result<StoreStats> {
        let mut stats = self.in_tx(Op::Stats, async |tx| {
            Ok(StoreStats {
                raw_samples: count(tx, "SELECT COUNT(*) FROM bw_samples WHERE derived = 0").await?,
                minute_rows: count(tx, "SELECT COUNT(*) FROM bw_rollups WHERE tier = 0").await?,
                hour_rows: count(tx, "SELECT COUNT(*) FROM bw_rollups WHERE tier = 1").await?,
                ..StoreStats::default()
            })
        })?;
        stats.series = self.mem.series.len() as u64;
        // Sizes are a nicety: a server that hides them still gives the counts.
        if let Ok((raw, rollups, file)) = self.in_tx(Op::Stats, async |tx| sizes(tx).await) {
            (stats.raw_bytes, stats.rollup_bytes, stats.file_bytes) = (raw, rollups, file);
        }
        Ok(stats)
    }

    fn record_alerts(&mut self, events: &[AlertEvent]) -> Result<()> {
        self.writable()?;
        if events.is_empty() {
            return Ok(());
        }
        let (compat, rates) = (&self.opts.compat, self.mem.last_rates.map(|(_, r)| r));
        self.in_tx(Op::WriteAlerts, async |tx| {
            for e in events {
                alert::record_one(tx, e, compat, rates).await?;
            }
            Ok(())
        })
    }

    fn open_alerts(&self) -> Result<Vec<AlertEvent>> {
        self.in_tx(Op::Query, async |tx| alert::open_alerts(tx).await)?
            .map_err(|u| self.corrupt_alert(u))
    }

    fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertRecord>> {
        self.in_tx(Op::Query, async |tx| alert::query(tx, q).await)?
            .map_err(|u| self.corrupt_alert(u))
    }

    fn acknowledge(&mut self, id: &str, at: Timestamp, by: Option<&str>) -> Result<bool> {
        self.writable()?;
        self.in_tx(Op::WriteAlerts, async |tx| {
            alert::acknowledge(tx, id, at, by).await
        })
    }

    fn add_silence(
        &mut self,
        matcher: &str,
        created: Timestamp,
        until: Timestamp,
        comment: Option<&str>,
    ) -> Result<i64> {
        self.writable()?;
        self.in_tx(Op::WriteAlerts, async |tx| {
            alert::add_silence(tx, matcher, created, until, comment).await
        })
    }

    fn silences(&self, now: Timestamp) -> Result<Vec<Silence>> {
        self.in_tx(Op::Query, async |tx| alert::silences(tx, now).await)
    }

    fn begin_read(&mut self) -> Result<()> {
        // A writer keeps its series and marks up to date itself; a reader takes what the
        // agent recorded since the last read (new series, minutes built).
        if self.read_only {
            self.mem = self.rt.block_on(load_memory(&self.db, &self.target))?;
        }
        Ok(())
    }
}
