//! Summaries of one series over a long range, cheaply: the rollup buckets that cover a range
//! once, the closed hours from the hour tier (they outlive the minutes, and a month is 720
//! rows instead of 43,200) and the rest from the minute tier. Sums over these buckets are
//! the same exact sums [`delta_sum`](crate::delta_sum) gives; their maxima are the exact
//! sample maxima (a rollup keeps the largest sample), located to the bucket.

use bandwatch_core::{SeriesKey, Timestamp};

use crate::error::Result;
use crate::model::{RollupPoint, Tier, HOUR_MS};
use crate::Store;

/// One bucket of a covering: its rollup and how wide it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Covered {
    /// The bucket's summary.
    pub point: RollupPoint,
    /// The tier it came from (its width).
    pub tier: Tier,
}

/// The buckets of `key` whose start is in `[from, to)`, each sample counted once: the hour
/// rollups of hours wholly inside the range, and the minute rollups of minutes no such hour
/// covers, in time order.
pub fn covering_rollups(
    store: &dyn Store,
    key: &SeriesKey,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<Covered>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let hours: Vec<RollupPoint> = store
        .query_rollup(Tier::Hour, key, from, to)?
        .into_iter()
        .filter(|h| h.bucket >= from && h.bucket.add_millis(HOUR_MS) <= to)
        .collect();
    let hour_of = |t: Timestamp| t.floor_to(HOUR_MS);
    let covered = |t: Timestamp| {
        hours
            .binary_search_by_key(&hour_of(t), |h| h.bucket)
            .is_ok()
    };
    let gaps = gaps(&hours, from, to);
    // A few gaps (the partial first and last hours, the open hours not rolled up yet) are
    // read on their own: reading a month of minutes to keep a few hours of them costs 60
    // times more. A ragged series is read once.
    let minutes = if gaps.len() <= MAX_GAP_QUERIES {
        let mut all = Vec::new();
        for (a, b) in gaps {
            all.extend(store.query_rollup(Tier::Minute, key, a, b)?);
        }
        all
    } else {
        store.query_rollup(Tier::Minute, key, from, to)?
    };
    let mut out: Vec<Covered> = minutes
        .into_iter()
        .filter(|m| m.bucket >= from && m.bucket < to && !covered(m.bucket))
        .map(|point| Covered {
            point,
            tier: Tier::Minute,
        })
        .collect();
    out.extend(hours.into_iter().map(|point| Covered {
        point,
        tier: Tier::Hour,
    }));
    out.sort_by_key(|c| c.point.bucket);
    Ok(out)
}

/// Beyond this many uncovered stretches, the minutes are read in one query.
const MAX_GAP_QUERIES: usize = 8;

/// The stretches of `[from, to)` that no hour of `hours` (sorted, each wholly inside)
/// covers.
fn gaps(hours: &[RollupPoint], from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
    let mut out = Vec::new();
    let mut at = from;
    for h in hours {
        if h.bucket > at {
            out.push((at, h.bucket));
        }
        at = at.max(h.bucket.add_millis(HOUR_MS));
    }
    if at < to {
        out.push((at, to));
    }
    out
}

#[cfg(test)]
// Sums of small integers are exact in f64: the test compares them exactly.
#[allow(clippy::float_cmp, clippy::cast_precision_loss)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::{Frame, SampleKind, Seconds};

    use super::*;
    use crate::model::MINUTE_MS;
    use crate::{delta_sum, SqliteOptions, SqliteStore};

    /// An hour boundary.
    const T0: i64 = 1_767_225_600_000;

    fn key() -> SeriesKey {
        SeriesKey::with_label("x_bytes", "iface", "eth0")
    }

    /// A delta of `i + 1` every 10 s for `n` samples.
    fn store(n: i64) -> SqliteStore {
        let mut s = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        let k = Arc::new(key());
        let frames: Vec<Frame> = (0..n)
            .map(|i| {
                let mut f = Frame::new("netdev", Timestamp(T0 + i * 10_000), Seconds(10.0));
                f.push(Arc::clone(&k), (i + 1) as f64, SampleKind::Delta);
                f
            })
            .collect();
        s.write(&frames).expect("write");
        s
    }

    #[test]
    fn hours_where_whole_minutes_elsewhere_and_the_same_sum_as_delta_sum() {
        let mut s = store(3 * 360);
        s.maintain(Timestamp(T0 + 3 * HOUR_MS)).expect("maintain");
        let from = Timestamp(T0 + 30 * MINUTE_MS);
        let to = Timestamp(T0 + 3 * HOUR_MS);
        let got = covering_rollups(&s, &key(), from, to).expect("cover");
        // 30 minutes of hour one, then hours two and three whole.
        let tiers: Vec<Tier> = got.iter().map(|c| c.tier).collect();
        assert_eq!(tiers.iter().filter(|t| **t == Tier::Minute).count(), 30);
        assert_eq!(tiers.iter().filter(|t| **t == Tier::Hour).count(), 2);
        assert!(got
            .windows(2)
            .all(|w| w[0].point.bucket < w[1].point.bucket));
        let sum: f64 = got.iter().map(|c| c.point.sum).sum();
        assert_eq!(sum, delta_sum(&s, &key(), from, to).expect("sum").sum);
        let max = got.iter().map(|c| c.point.max).fold(0.0, f64::max);
        assert_eq!(max, f64::from(3 * 360));
        assert!(covering_rollups(&s, &key(), to, from)
            .expect("empty")
            .is_empty());
    }

    #[test]
    fn gaps_are_the_stretches_no_hour_covers() {
        let t = |h: i64, m: i64| Timestamp(T0 + h * HOUR_MS + m * MINUTE_MS);
        let hour = |h: i64| RollupPoint {
            bucket: t(h, 0),
            count: 1,
            sum: 1.0,
            min: 1.0,
            max: 1.0,
            last: 1.0,
        };
        assert_eq!(
            gaps(&[hour(1), hour(2), hour(4)], t(0, 30), t(5, 10)),
            [(t(0, 30), t(1, 0)), (t(3, 0), t(4, 0)), (t(5, 0), t(5, 10))]
        );
        assert_eq!(gaps(&[], t(0, 0), t(1, 0)), [(t(0, 0), t(1, 0))]);
        assert!(gaps(&[hour(0)], t(0, 0), t(1, 0)).is_empty());
    }
}
