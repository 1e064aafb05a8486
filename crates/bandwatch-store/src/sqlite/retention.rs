//! Pruning by retention, series by series so every delete walks a primary key or index range
//! instead of scanning a table that holds months of rows.

use bandwatch_core::Timestamp;
use rusqlite::{params, Connection};

use crate::model::{Retention, HOUR_MS, MINUTE_MS};

/// The oldest instant each tier keeps at data time `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cutoffs {
    pub raw: i64,
    pub minute: i64,
    pub hour: i64,
}

impl Cutoffs {
    /// Cutoffs for `now` under `retention`.
    pub(crate) fn new(now: Timestamp, retention: &Retention) -> Self {
        let back = |d: std::time::Duration| {
            now.0
                .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        };
        Self {
            raw: back(retention.raw),
            minute: back(retention.minute),
            hour: back(retention.hour),
        }
    }
}

/// Rows removed from each tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pruned {
    pub chunks: u64,
    pub minute_rows: u64,
    pub hour_rows: u64,
}

impl Cutoffs {
    /// The last minute bucket retention removes: every bucket at or before it ends before the
    /// minute cutoff.
    pub(crate) fn minute_floor(&self) -> i64 {
        self.minute.saturating_sub(MINUTE_MS)
    }
}

/// Deletes chunks whose last point is before the raw cutoff, rollup rows whose whole bucket
/// is before their tier's cutoff, and sealed minute blocks whose every bucket is (a block
/// partly past retention stays until it is wholly past; queries hide its expired minutes).
pub(crate) fn prune(
    conn: &Connection,
    series: impl Iterator<Item = i64>,
    cut: Cutoffs,
) -> rusqlite::Result<Pruned> {
    let mut chunks =
        conn.prepare_cached("DELETE FROM chunks WHERE series_id = ?1 AND end_ts < ?2")?;
    let mut minutes =
        conn.prepare_cached("DELETE FROM rollup_1m WHERE series_id = ?1 AND bucket <= ?2")?;
    let mut hours =
        conn.prepare_cached("DELETE FROM rollup_1h WHERE series_id = ?1 AND bucket <= ?2")?;
    let mut blocks = conn.prepare_cached(
        "DELETE FROM rollup_1m_blocks WHERE series_id = ?1 AND end_ts <= ?2 RETURNING n",
    )?;
    let mut out = Pruned::default();
    for s in series {
        out.chunks += chunks.execute(params![s, cut.raw])? as u64;
        out.minute_rows += minutes.execute(params![s, cut.minute_floor()])? as u64;
        let sealed: Vec<i64> = blocks
            .query_map(params![s, cut.minute_floor()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        out.minute_rows += sealed.iter().sum::<i64>().unsigned_abs();
        out.hour_rows += hours.execute(params![s, cut.hour.saturating_sub(HOUR_MS)])? as u64;
    }
    Ok(out)
}
