//! The values the [`Store`](crate::Store) trait speaks in, shared by every backend.

use std::time::Duration;

use bandwatch_core::{AlertEvent, AlertState, SeriesKey, Severity, Timestamp};
use serde::Serialize;

/// The gauge every store records per frame, labelled `source`, holding the frame's elapsed
/// seconds, so rates can be derived exactly from stored deltas.
pub const ELAPSED_METRIC: &str = "sample_elapsed_seconds";

/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60_000;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// A rollup resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    /// One row per series per minute.
    Minute,
    /// One row per series per hour.
    Hour,
}

impl Tier {
    /// The width of one bucket in milliseconds.
    pub fn width_ms(self) -> i64 {
        match self {
            Tier::Minute => MINUTE_MS,
            Tier::Hour => HOUR_MS,
        }
    }
}

/// The summary of one series over one rollup bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollupPoint {
    /// Start of the bucket.
    pub bucket: Timestamp,
    /// How many samples fell into it.
    pub count: u64,
    /// Their sum; for deltas this is the exact total over the bucket.
    pub sum: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
    /// The newest sample.
    pub last: f64,
}

impl RollupPoint {
    /// The mean of the samples in the bucket (0 for an empty bucket).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

/// How long each tier is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw points (default 48 h).
    pub raw: Duration,
    /// Minute rollups (default 30 days).
    pub minute: Duration,
    /// Hour rollups (default 2 years).
    pub hour: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            raw: Duration::from_secs(48 * 3600),
            minute: Duration::from_secs(30 * 86_400),
            hour: Duration::from_secs(2 * 365 * 86_400),
        }
    }
}

/// What one call of [`Store::maintain`](crate::Store::maintain) did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Compressed chunks written from the head.
    pub chunks_sealed: u64,
    /// Raw points moved from the head into chunks.
    pub points_sealed: u64,
    /// Hour rollup rows written or merged.
    pub hour_rows_built: u64,
    /// Chunks removed by retention.
    pub chunks_pruned: u64,
    /// Minute rows moved from the live table into sealed blocks.
    pub minute_rows_sealed: u64,
    /// Sealed minute blocks written (new, or rewritten to take in late rows).
    pub minute_blocks_sealed: u64,
    /// Minute rollup rows removed by retention (live rows and rows of whole sealed blocks).
    pub minute_rows_pruned: u64,
    /// Hour rollup rows removed by retention.
    pub hour_rows_pruned: u64,
}

/// The size of what the store holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Raw points kept (chunks and head).
    pub raw_samples: u64,
    /// Series known.
    pub series: u64,
    /// Bytes of database pages used by the raw tier (chunks, their index and the head).
    pub raw_bytes: u64,
    /// Minute rollup rows (live rows and rows in sealed blocks).
    pub minute_rows: u64,
    /// Hour rollup rows.
    pub hour_rows: u64,
    /// Bytes of database pages used by the rollup tables (sealed minute blocks included).
    pub rollup_bytes: u64,
    /// Size of the main database (pages × page size; the file's size after a checkpoint).
    pub file_bytes: u64,
    /// Size of the write-ahead log beside it (0 when absent or in memory).
    pub wal_bytes: u64,
}

impl StoreStats {
    /// Bytes of the raw tier per raw sample (0 when empty).
    pub fn raw_bytes_per_sample(&self) -> f64 {
        ratio(self.raw_bytes, self.raw_samples)
    }

    /// Bytes of the whole file per raw sample (0 when empty).
    pub fn file_bytes_per_sample(&self) -> f64 {
        ratio(self.file_bytes, self.raw_samples)
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// What a store holds in memory, by part, in bytes: estimates from the capacities of its
/// buffers and maps, so they include slack a buffer has reserved but not filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HeldMemory {
    /// Samples written but not yet sealed into compressed chunks (the head).
    pub heads: u64,
    /// Open rollup accumulators (the current minute of each series).
    pub rollups: u64,
    /// The map from series key to id (grows with the number of series, not with time).
    pub series_index: u64,
}

impl HeldMemory {
    /// Everything together.
    pub fn total(&self) -> u64 {
        self.heads + self.rollups + self.series_index
    }
}

/// Which alerts [`Store::alerts`](crate::Store::alerts) returns; every filter is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertQuery {
    /// Only alerts active at or after this instant: still open, or ended at or after it.
    pub since: Option<Timestamp>,
    /// Only alerts whose highest severity reached at least this one.
    pub min_severity: Option<Severity>,
    /// Only alerts in this state now.
    pub state: Option<AlertState>,
    /// At most this many alerts (the newest).
    pub limit: Option<usize>,
}

/// One alert as the history keeps it: its current row plus every event, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRecord {
    /// The alert's id (see [`bandwatch_core::alert_id`]).
    pub id: String,
    /// The rule that raised it.
    pub rule: String,
    /// The series the rule watched.
    pub series: SeriesKey,
    /// Its state after its newest event.
    pub state: AlertState,
    /// Its severity after its newest event.
    pub severity: Severity,
    /// The highest severity it reached.
    pub max_severity: Severity,
    /// The value of its newest event.
    pub value: f64,
    /// The reference of its newest event.
    pub reference: f64,
    /// The message of its newest event.
    pub message: String,
    /// When its condition started to hold.
    pub started: Timestamp,
    /// When it resolved.
    pub ended: Option<Timestamp>,
    /// When its newest event happened.
    pub updated: Timestamp,
    /// When someone last acknowledged it.
    pub acked_at: Option<Timestamp>,
    /// Who acknowledged it, when they said.
    pub acked_by: Option<String>,
    /// Its events in time order.
    pub events: Vec<AlertEvent>,
}

/// A stored silence: alerts its matcher selects are not announced until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Silence {
    /// Its id, for removal and display.
    pub id: i64,
    /// The matcher text as the user gave it; the store does not interpret it.
    pub matcher: String,
    /// When it was added.
    pub created: Timestamp,
    /// When it stops (exclusive).
    pub until: Timestamp,
    /// Why, when the user said.
    pub comment: Option<String>,
}
