//! bandwatch's history: the [`Store`] trait, the embedded SQLite store ([`SqliteStore`]) with
//! compressed raw chunks, minute and hour rollups, retention and the alert history (events,
//! acknowledgements, silences), the notification [`Outbox`], and the background
//! [`StoreWriter`] that keeps the sampling loop independent of the disk. [`SqlStore`] keeps the
//! same history in MySQL/MariaDB or PostgreSQL.

mod codec;
pub mod error;
mod held;
pub mod lookup;
pub mod model;
pub mod outbox;
pub mod report;
pub mod resolution;
pub mod sql;
pub mod sqlite;
pub mod stats;
pub mod sum;
pub mod writer;

use bandwatch_core::{AlertEvent, Frame, SeriesKey, Timestamp};

pub use error::{Op, Problem, Result, StoreError};
pub use lookup::last_time_above;
pub use model::{
    AlertQuery, AlertRecord, HeldMemory, MaintenanceReport, Retention, RollupPoint, Silence,
    StoreStats, Tier, ELAPSED_METRIC, HOUR_MS, MINUTE_MS,
};
pub use outbox::{
    backoff, ChannelStats, NewNotification, Notification, Outbox, OutboxState, OutboxStats,
};
pub use resolution::Resolution;
pub use sql::{
    redacted_url, AlertType, CompatOptions, Dialect, SqlOptions, SqlStore, TotalRates,
    SQL_LATEST_VERSION,
};
pub use sqlite::{
    check_writable, SqliteOptions, SqliteOutbox, SqliteStore, HEAD_BYTES_PER_SERIES,
    HELD_BYTES_PER_SERIES, LATEST_VERSION,
};
pub use stats::{covering_rollups, Covered};
pub use sum::{delta_sum, hour_sums, RangeSum};
pub use writer::{
    StoreHandle, StoreJob, StoreSink, StoreWriter, WriterConfig, WriterCounters, WriterStats,
    WriterSummary,
};

/// A place that keeps the history of every series: [`SqliteStore`] embedded, or [`SqlStore`] on
/// a MySQL/MariaDB or PostgreSQL server.
///
/// Ranges are half-open: `from <= ts < to`.
pub trait Store: Send {
    /// Writes frames in one transaction; on error nothing changed and the same frames may be retried.
    fn write(&mut self, frames: &[Frame]) -> Result<()>;

    /// Seals what is open (partial rollup buckets, the head) so nothing is lost at shutdown.
    fn flush(&mut self) -> Result<()>;

    /// Upkeep at data time `now`: seals full chunks, builds hour rollups, compacts old minute rollups, prunes.
    fn maintain(&mut self, now: Timestamp) -> Result<MaintenanceReport>;

    /// Every series the store knows, sorted.
    fn series(&self) -> Result<Vec<SeriesKey>>;

    /// Raw points of one series in time order.
    fn query_raw(
        &self,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, f64)>>;

    /// Rollup buckets of one series in time order: minutes up to the open one, closed hours.
    fn query_rollup(
        &self,
        tier: Tier,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupPoint>>;

    /// How much the store holds and what it costs on disk.
    fn stats(&self) -> Result<StoreStats>;

    /// What the store holds in memory now (zero for parts a backend does not keep or count).
    fn held_memory(&self) -> HeldMemory {
        HeldMemory::default()
    }

    /// Appends alert events and updates their alerts in one transaction; an event already
    /// recorded (same alert id, kind and time) is ignored, so a failed batch may be retried.
    fn record_alerts(&mut self, events: &[AlertEvent]) -> Result<()>;

    /// The newest event of every alert that is not resolved (what the engine restores at start).
    fn open_alerts(&self) -> Result<Vec<AlertEvent>>;

    /// The alerts `q` selects, newest (latest started) first, each with its events in time order.
    fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertRecord>>;

    /// Marks alert `id` acknowledged at `at` by `by`; false when there is no such alert.
    fn acknowledge(&mut self, id: &str, at: Timestamp, by: Option<&str>) -> Result<bool>;

    /// Stores a silence of the alerts `matcher` selects until `until`; returns its id.
    fn add_silence(
        &mut self,
        matcher: &str,
        created: Timestamp,
        until: Timestamp,
        comment: Option<&str>,
    ) -> Result<i64>;

    /// The silences in force at `now` (`until > now`), oldest first.
    fn silences(&self, now: Timestamp) -> Result<Vec<Silence>>;

    /// Starts one consistent read. A store opened read-only beside a running agent catches up
    /// with what the agent committed and keeps that view until [`Store::end_read`]; a store
    /// that writes has nothing to do.
    fn begin_read(&mut self) -> Result<()> {
        Ok(())
    }

    /// Ends the read [`Store::begin_read`] started, so the agent's log can be checkpointed.
    fn end_read(&mut self) {}
}
