//! Minute and hour rollups: in-memory minute accumulators, merge upserts, hour building.
//!
//! Invariant that makes crash recovery exact: the open accumulators are always what replaying
//! the head gives, each series starting from the accumulator its seal mark holds (or from
//! none). Every row a sample causes (a closed minute, a late sample) is committed with the
//! head row holding that sample; upkeep closes the minutes that start before its cutoff; and a
//! series that seals samples of its still-open minute records that minute in its mark, so the
//! minute carries on bit for bit (same additions in the same order) instead of being split.

use rustc_hash::FxHashMap as HashMap;

use bandwatch_core::Timestamp;
use rusqlite::{params, Connection};

use crate::model::{RollupPoint, Tier, HOUR_MS, MINUTE_MS};

/// The running summary of one series over one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Acc {
    pub bucket: i64,
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub last: f64,
}

impl Acc {
    fn new(bucket: i64, v: f64) -> Self {
        Self {
            bucket,
            count: 1,
            sum: v,
            min: v,
            max: v,
            last: v,
        }
    }

    fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.last = v;
    }

    /// Folds in a summary of later samples of the same bucket.
    fn absorb_newer(&mut self, newer: &Acc) {
        self.count += newer.count;
        self.sum += newer.sum;
        self.min = self.min.min(newer.min);
        self.max = self.max.max(newer.max);
        self.last = newer.last;
    }

    pub(crate) fn point(&self) -> RollupPoint {
        RollupPoint {
            bucket: Timestamp(self.bucket),
            count: self.count,
            sum: self.sum,
            min: self.min,
            max: self.max,
            last: self.last,
        }
    }

    fn from_point(p: &RollupPoint) -> Self {
        Self {
            bucket: p.bucket.0,
            count: p.count,
            sum: p.sum,
            min: p.min,
            max: p.max,
            last: p.last,
        }
    }
}

/// Whether a written row is newer than a row already stored for its bucket (decides `last`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    /// Samples after the stored ones: take its `last`.
    Newer,
    /// A sample that arrived after its minute closed (a clock step back, a slow source): keep
    /// the stored `last`. Rows keep no timestamp of their last sample, and the stored samples are
    /// the likelier newer ones; count, sum, min and max are exact either way.
    Older,
}

/// One minute row to merge into the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowWrite {
    pub series: i64,
    pub acc: Acc,
    pub age: Age,
}

/// The open minute of every series that has one.
#[derive(Debug, Default)]
pub(crate) struct Minutes {
    open: HashMap<i64, Acc>,
}

/// Accumulator changes (`None` = closed) to apply after a commit.
pub(crate) type MinuteChanges = HashMap<i64, Option<Acc>>;

impl Minutes {
    /// Bytes held: one accumulator slot per series that had an open minute.
    pub(crate) fn held_bytes(&self) -> u64 {
        crate::held::hash_map_bytes::<i64, Acc>(self.open.capacity())
    }

    /// The open minute of one series.
    pub(crate) fn get(&self, series: i64) -> Option<&Acc> {
        self.open.get(&series)
    }

    /// Sets the open minute of one series (from a seal mark, before replaying the head).
    pub(crate) fn restore(&mut self, series: i64, acc: Acc) {
        self.open.insert(series, acc);
    }

    /// Applies committed changes.
    pub(crate) fn commit(&mut self, changes: MinuteChanges) {
        for (series, acc) in changes {
            match acc {
                Some(acc) => self.open.insert(series, acc),
                None => self.open.remove(&series),
            };
        }
    }
}

/// Accumulator updates and the rows they cause, staged while a transaction is open.
pub(crate) struct MinuteStage<'a> {
    base: &'a Minutes,
    changed: MinuteChanges,
    /// Rows to merge in the same transaction.
    pub rows: Vec<RowWrite>,
}

impl<'a> MinuteStage<'a> {
    /// A stage over the committed accumulators.
    pub(crate) fn new(base: &'a Minutes) -> Self {
        Self {
            base,
            // A write usually touches every series with an open minute: size for them once
            // instead of growing the map step by step on every write.
            changed: HashMap::with_capacity_and_hasher(base.open.len(), rustc_hash::FxBuildHasher),
            rows: Vec::new(),
        }
    }

    /// The open minute of one series, staged changes included.
    pub(crate) fn current(&self, series: i64) -> Option<Acc> {
        match self.changed.get(&series) {
            Some(staged) => *staged,
            None => self.base.open.get(&series).copied(),
        }
    }

    /// Closes every open minute that starts before `cutoff`.
    pub(crate) fn close_before(&mut self, cutoff: i64) {
        let mut series: Vec<i64> = self.base.open.keys().copied().collect();
        series.extend(self.changed.keys().copied());
        series.sort_unstable();
        series.dedup();
        for s in series {
            if let Some(acc) = self.current(s).filter(|a| a.bucket < cutoff) {
                self.rows.push(RowWrite {
                    series: s,
                    acc,
                    age: Age::Newer,
                });
                self.changed.insert(s, None);
            }
        }
    }

    /// The staged changes, to commit after the transaction commits.
    pub(crate) fn into_changes(self) -> MinuteChanges {
        self.changed
    }
}

/// A write's changes to the open minutes, made in place (one map lookup per sample, nothing
/// to merge after the commit) and undone by [`MinuteTx::rollback`], or on drop, when its
/// transaction does not commit: until then the committed minutes are what they were.
pub(crate) struct MinuteTx<'a> {
    base: &'a mut Minutes,
    /// Each series' open minute before a change, in the order of the changes (a series may
    /// appear more than once; undoing in reverse leaves its first state).
    undo: Vec<(i64, Option<Acc>)>,
    /// Rows to merge in the same transaction.
    pub rows: Vec<RowWrite>,
}

impl<'a> MinuteTx<'a> {
    /// Starts a write over the committed accumulators.
    pub(crate) fn begin(base: &'a mut Minutes) -> Self {
        Self {
            base,
            undo: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Makes room for `n` more samples in the undo log.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.undo.reserve(n);
    }

    /// The open minute of one series, this write's changes included.
    pub(crate) fn current(&self, series: i64) -> Option<Acc> {
        self.base.open.get(&series).copied()
    }

    /// Adds one sample; NaN and infinities are left out because SQL cannot sum them.
    pub(crate) fn apply(&mut self, series: i64, ts: i64, v: f64) {
        use std::collections::hash_map::Entry as Slot;
        if !v.is_finite() {
            return;
        }
        let minute = ts.div_euclid(MINUTE_MS) * MINUTE_MS;
        match self.base.open.entry(series) {
            Slot::Vacant(slot) => {
                self.undo.push((series, None));
                slot.insert(Acc::new(minute, v));
            }
            Slot::Occupied(mut slot) => {
                let acc = slot.get_mut();
                if acc.bucket > minute {
                    self.rows.push(RowWrite {
                        series,
                        acc: Acc::new(minute, v),
                        age: Age::Older,
                    });
                    return;
                }
                self.undo.push((series, Some(*acc)));
                if acc.bucket == minute {
                    acc.add(v);
                } else {
                    self.rows.push(RowWrite {
                        series,
                        acc: *acc,
                        age: Age::Newer,
                    });
                    *acc = Acc::new(minute, v);
                }
            }
        }
    }

    /// Forgets how to undo what was applied so far (recovery, which discards everything on
    /// error anyway, so that its undo log does not grow with the whole head).
    pub(crate) fn forget_undo(&mut self) {
        self.undo.clear();
    }

    /// Keeps the write.
    pub(crate) fn commit(mut self) {
        self.undo.clear();
    }

    /// Undoes the write: every open minute is as it was before.
    pub(crate) fn rollback(mut self) {
        self.undo();
    }

    fn undo(&mut self) {
        for (series, before) in self.undo.drain(..).rev() {
            match before {
                Some(acc) => self.base.open.insert(series, acc),
                None => self.base.open.remove(&series),
            };
        }
    }
}

impl Drop for MinuteTx<'_> {
    fn drop(&mut self) {
        self.undo();
    }
}

macro_rules! upsert_sql {
    ($table:literal, $last:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (series_id, bucket, count, sum, min, max, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            " ON CONFLICT (series_id, bucket) DO UPDATE SET count = ",
            $table,
            ".count + excluded.count, sum = ",
            $table,
            ".sum + excluded.sum, min = min(",
            $table,
            ".min, excluded.min), max = max(",
            $table,
            ".max, excluded.max), last = ",
            $last
        )
    };
}

fn upsert(conn: &Connection, tier: Tier, series: i64, acc: &Acc, age: Age) -> rusqlite::Result<()> {
    let sql = match (tier, age) {
        (Tier::Minute, Age::Newer) => upsert_sql!("rollup_1m", "excluded.last"),
        (Tier::Minute, Age::Older) => upsert_sql!("rollup_1m", "rollup_1m.last"),
        (Tier::Hour, Age::Newer) => upsert_sql!("rollup_1h", "excluded.last"),
        (Tier::Hour, Age::Older) => upsert_sql!("rollup_1h", "rollup_1h.last"),
    };
    conn.prepare_cached(sql)?.execute(params![
        series,
        acc.bucket,
        acc.count as i64,
        acc.sum,
        acc.min,
        acc.max,
        acc.last
    ])?;
    Ok(())
}

/// Merges minute rows; rows of hours already built (before `hours_until`) merge into the hour
/// tier too, so late samples reach both tiers exactly once.
pub(crate) fn write_rows(
    conn: &Connection,
    rows: &[RowWrite],
    hours_until: Option<i64>,
) -> rusqlite::Result<()> {
    for row in rows {
        upsert(conn, Tier::Minute, row.series, &row.acc, row.age)?;
        if hours_until.is_some_and(|h| row.acc.bucket < h) {
            let hour = Acc {
                bucket: row.acc.bucket.div_euclid(HOUR_MS) * HOUR_MS,
                ..row.acc
            };
            upsert(conn, Tier::Hour, row.series, &hour, row.age)?;
        }
    }
    Ok(())
}

/// Rows of one series and tier with `from <= bucket < to`, in time order.
pub(crate) fn query(
    conn: &Connection,
    tier: Tier,
    series: i64,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<RollupPoint>> {
    let sql = match tier {
        Tier::Minute => "SELECT bucket, count, sum, min, max, last FROM rollup_1m WHERE series_id = ?1 AND bucket >= ?2 AND bucket < ?3 ORDER BY bucket",
        Tier::Hour => "SELECT bucket, count, sum, min, max, last FROM rollup_1h WHERE series_id = ?1 AND bucket >= ?2 AND bucket < ?3 ORDER BY bucket",
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![series, from, to], |r| {
        Ok(RollupPoint {
            bucket: Timestamp(r.get(0)?),
            count: r.get::<_, i64>(1)? as u64,
            sum: r.get(2)?,
            min: r.get(3)?,
            max: r.get(4)?,
            last: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// Merges an open accumulator (newer than anything stored for its bucket) into query results.
pub(crate) fn merge_open(points: &mut Vec<RollupPoint>, open: &Acc) {
    match points.binary_search_by_key(&open.bucket, |p| p.bucket.0) {
        Ok(i) => {
            let mut acc = Acc::from_point(&points[i]);
            acc.absorb_newer(open);
            points[i] = acc.point();
        }
        Err(i) => points.insert(i, open.point()),
    }
}

/// Merges stored points (the newest for their buckets) with late rows for the same buckets, both
/// in time order: counts, sums, minima and maxima add up, `last` stays the stored one (as an
/// [`Age::Older`] upsert keeps it).
pub(crate) fn merge_older(points: Vec<RollupPoint>, older: Vec<RollupPoint>) -> Vec<RollupPoint> {
    if older.is_empty() {
        return points;
    }
    if points.is_empty() {
        return older;
    }
    let mut all = points;
    all.extend(older);
    // Stable: for equal buckets the stored point comes first and keeps its `last`.
    all.sort_by_key(|p| p.bucket.0);
    let mut out: Vec<RollupPoint> = Vec::with_capacity(all.len());
    for p in all {
        match out.last_mut() {
            Some(q) if q.bucket == p.bucket => {
                q.count += p.count;
                q.sum += p.sum;
                q.min = q.min.min(p.min);
                q.max = q.max.max(p.max);
            }
            _ => out.push(p),
        }
    }
    out
}

/// Builds hour rows for `from <= hour < to` from the minute rows of each series; returns rows written.
pub(crate) fn build_hours(
    conn: &Connection,
    series: impl Iterator<Item = i64>,
    from: i64,
    to: i64,
) -> rusqlite::Result<u64> {
    let mut written = 0;
    for s in series {
        let mut hour: Option<Acc> = None;
        for m in query(conn, Tier::Minute, s, from, to)? {
            let bucket = m.bucket.0.div_euclid(HOUR_MS) * HOUR_MS;
            let minute = Acc {
                bucket,
                ..Acc::from_point(&m)
            };
            match hour.as_mut() {
                Some(h) if h.bucket == bucket => h.absorb_newer(&minute),
                _ => {
                    if let Some(done) = hour.replace(minute) {
                        upsert(conn, Tier::Hour, s, &done, Age::Newer)?;
                        written += 1;
                    }
                }
            }
        }
        if let Some(done) = hour {
            upsert(conn, Tier::Hour, s, &done, Age::Newer)?;
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_closes_when_a_later_minute_arrives() {
        let mut minutes = Minutes::default();
        let mut stage = MinuteTx::begin(&mut minutes);
        for (ts, v) in [(0, 5.0), (30_000, 7.0), (59_999, 1.0), (60_000, 2.0)] {
            stage.apply(1, ts, v);
        }
        assert_eq!(stage.rows.len(), 1);
        let row = stage.rows[0];
        assert_eq!(
            (
                row.acc.count,
                row.acc.sum,
                row.acc.min,
                row.acc.max,
                row.acc.last
            ),
            (3, 13.0, 1.0, 7.0, 1.0)
        );
        assert_eq!(row.age, Age::Newer);
        stage.commit();
        assert_eq!(
            minutes.get(1).map(|a| (a.bucket, a.count)),
            Some((60_000, 1))
        );
    }

    #[test]
    fn a_rolled_back_or_dropped_write_leaves_the_minutes_as_they_were() {
        let mut minutes = Minutes::default();
        let mut tx = MinuteTx::begin(&mut minutes);
        tx.apply(1, 0, 5.0);
        tx.commit();
        let before = minutes.get(1).copied();
        let mut tx = MinuteTx::begin(&mut minutes);
        for (series, ts, v) in [
            (1, 1_000, 2.0),
            (2, 0, 3.0),
            (1, 60_000, 4.0),
            (1, 61_000, 1.0),
        ] {
            tx.apply(series, ts, v);
        }
        assert_eq!(
            tx.current(1).map(|a| (a.bucket, a.count)),
            Some((60_000, 2))
        );
        tx.rollback();
        assert_eq!(minutes.get(1).copied(), before);
        assert_eq!(minutes.get(2), None);
        let mut tx = MinuteTx::begin(&mut minutes);
        tx.apply(1, 2_000, 9.0);
        tx.apply(3, 0, 9.0);
        drop(tx);
        assert_eq!(minutes.get(1).copied(), before);
        assert_eq!(minutes.get(3), None);
    }

    #[test]
    fn late_samples_become_older_rows_and_non_finite_is_skipped() {
        let mut base = Minutes::default();
        let mut tx = MinuteTx::begin(&mut base);
        tx.apply(1, 120_000, 1.0);
        tx.apply(1, 10_000, 4.0);
        tx.apply(1, 120_500, f64::NAN);
        assert_eq!(tx.rows.len(), 1);
        assert_eq!(tx.rows[0].age, Age::Older);
        assert_eq!(tx.rows[0].acc.bucket, 0);
        tx.commit();
        let mut stage = MinuteStage::new(&base);
        stage.close_before(180_000);
        assert_eq!(stage.rows.len(), 1);
        assert_eq!(stage.rows[0].acc.count, 1);
        assert_eq!(stage.into_changes().get(&1), Some(&None));
    }

    #[test]
    fn late_rows_merge_into_stored_points_keeping_their_last() {
        let stored = vec![Acc::new(0, 3.0).point(), Acc::new(120_000, 5.0).point()];
        let late = vec![Acc::new(0, 4.0).point(), Acc::new(60_000, 1.0).point()];
        let got: Vec<_> = merge_older(stored, late)
            .iter()
            .map(|p| (p.bucket.0, p.count, p.sum, p.min, p.max, p.last))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, 2, 7.0, 3.0, 4.0, 3.0),
                (60_000, 1, 1.0, 1.0, 1.0, 1.0),
                (120_000, 1, 5.0, 5.0, 5.0, 5.0)
            ]
        );
    }

    #[test]
    fn open_minute_merges_into_results() {
        let stored = Acc::new(60_000, 3.0);
        let mut points = vec![Acc::new(0, 1.0).point(), stored.point()];
        merge_open(&mut points, &Acc::new(60_000, 5.0));
        assert_eq!(
            (points[1].count, points[1].sum, points[1].last),
            (2, 8.0, 5.0)
        );
        merge_open(&mut points, &Acc::new(120_000, 9.0));
        assert_eq!(points.len(), 3);
    }
}
