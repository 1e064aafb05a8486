//! Exact totals of a delta series over a range, from whichever tier still holds each part:
//! closed hours from the hour rollups (they outlive the minutes), the rest from the minute
//! rollups (which include the open minute). Every reader that reports bytes over a range
//! (the device report, `bandwatch devices`) sums the same way, so they agree to the byte.

use bandwatch_core::{SeriesKey, Timestamp};

use crate::error::Result;
use crate::model::{Tier, HOUR_MS};
use crate::Store;

/// What a series summed to over a range.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RangeSum {
    /// The sum of the deltas (exact for integers below 2^53).
    pub sum: f64,
    /// How many samples it covers.
    pub samples: u64,
}

impl std::ops::AddAssign for RangeSum {
    fn add_assign(&mut self, o: Self) {
        self.sum += o.sum;
        self.samples += o.samples;
    }
}

/// The sum of `key`'s samples whose minute starts in `[from, to)`. `from` should be a whole
/// minute (a partial first minute is counted whole or not at all, as its bucket falls); `to`
/// may be now (the open minute is included).
pub fn delta_sum(
    store: &dyn Store,
    key: &SeriesKey,
    from: Timestamp,
    to: Timestamp,
) -> Result<RangeSum> {
    let mut total = RangeSum::default();
    if from >= to {
        return Ok(total);
    }
    let hours: Vec<_> = store
        .query_rollup(Tier::Hour, key, from, to)?
        .into_iter()
        .filter(|h| h.bucket >= from && h.bucket.add_millis(HOUR_MS) <= to)
        .collect();
    let covered = |t: Timestamp| {
        hours
            .binary_search_by(|h| {
                if h.bucket.add_millis(HOUR_MS) <= t {
                    std::cmp::Ordering::Less
                } else if h.bucket > t {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    };
    for m in store.query_rollup(Tier::Minute, key, from, to)? {
        if m.bucket >= from && m.bucket < to && !covered(m.bucket) {
            total += RangeSum {
                sum: m.sum,
                samples: m.count,
            };
        }
    }
    for h in &hours {
        total += RangeSum {
            sum: h.sum,
            samples: h.count,
        };
    }
    Ok(total)
}

/// The sums of `key`'s samples per hour whose hour starts in `[from, to)`, oldest first:
/// closed hours from the hour rollups, the others (the open hour, hours not rolled up yet)
/// added up from their minutes, the same parts [`delta_sum`] reads. Hours with no sample are
/// left out. The cap forecast reads the last weeks of usage this way.
pub fn hour_sums(
    store: &dyn Store,
    key: &SeriesKey,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<(Timestamp, f64)>> {
    let mut hours: std::collections::BTreeMap<Timestamp, f64> = store
        .query_rollup(Tier::Hour, key, from, to)?
        .into_iter()
        .filter(|h| h.bucket >= from && h.bucket < to)
        .map(|h| (h.bucket, h.sum))
        .collect();
    let rolled: std::collections::BTreeSet<Timestamp> = hours.keys().copied().collect();
    for m in store.query_rollup(Tier::Minute, key, from, to)? {
        let hour = m.bucket.floor_to(HOUR_MS);
        if m.bucket >= from && m.bucket < to && !rolled.contains(&hour) {
            *hours.entry(hour).or_default() += m.sum;
        }
    }
    Ok(hours.into_iter().collect())
}

#[cfg(test)]
// Sums of small integers are exact in f64: the test means to compare them exactly.
#[allow(clippy::float_cmp, clippy::cast_precision_loss)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::{Frame, SampleKind, Seconds};

    use super::*;
    use crate::model::MINUTE_MS;
    use crate::{SqliteOptions, SqliteStore};

    /// An hour boundary, so the tiers line up with the test's arithmetic.
    const T0: i64 = 1_767_225_600_000;

    fn key() -> SeriesKey {
        SeriesKey::with_label("a_delta_bytes", "device", "laptop")
    }

    /// One delta of `i + 1` bytes every 10 s for `n` samples.
    fn store(n: i64) -> SqliteStore {
        let mut s = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        let k = Arc::new(key());
        let frames: Vec<Frame> = (0..n)
            .map(|i| {
                let mut f = Frame::new("devices", Timestamp(T0 + i * 10_000), Seconds(10.0));
                f.push(Arc::clone(&k), (i + 1) as f64, SampleKind::Delta);
                f
            })
            .collect();
        s.write(&frames).expect("write");
        s
    }

    fn expected(first: i64, last: i64) -> f64 {
        ((first + 1)..=(last + 1)).map(|v| v as f64).sum()
    }

    #[test]
    fn sums_every_delta_of_the_range_once_across_the_tiers() {
        // Three hours of samples; the store builds the hour rollups of the closed ones.
        let mut s = store(3 * 360);
        s.maintain(Timestamp(T0 + 3 * HOUR_MS)).expect("maintain");
        let all = delta_sum(&s, &key(), Timestamp(T0), Timestamp(T0 + 4 * HOUR_MS)).expect("sum");
        assert_eq!(all.sum, expected(0, 3 * 360 - 1));
        assert_eq!(all.samples, 3 * 360);
        // From minute 30 to the end of hour two: half an hour of minutes, one whole hour.
        let from = Timestamp(T0 + 30 * MINUTE_MS);
        let part = delta_sum(&s, &key(), from, Timestamp(T0 + 2 * HOUR_MS)).expect("sum");
        assert_eq!(part.sum, expected(180, 719));
        let none = delta_sum(&s, &key(), Timestamp(T0), Timestamp(T0)).expect("sum");
        assert_eq!(none, RangeSum::default());
    }

    #[test]
    fn the_open_minute_counts() {
        let s = store(5);
        let now = Timestamp(T0 + 45_000);
        let got = delta_sum(&s, &key(), Timestamp(T0), now).expect("sum");
        assert_eq!(got.sum, expected(0, 4));
    }

    #[test]
    fn hour_sums_read_closed_hours_and_the_open_one_and_agree_with_delta_sum() {
        // Two and a half hours; the first two rolled up into hours, the half from minutes.
        let mut s = store(5 * 180);
        s.maintain(Timestamp(T0 + 2 * HOUR_MS)).expect("maintain");
        let to = Timestamp(T0 + 3 * HOUR_MS);
        let hours = hour_sums(&s, &key(), Timestamp(T0), to).expect("hours");
        assert_eq!(
            hours,
            vec![
                (Timestamp(T0), expected(0, 359)),
                (Timestamp(T0 + HOUR_MS), expected(360, 719)),
                (Timestamp(T0 + 2 * HOUR_MS), expected(720, 899)),
            ]
        );
        let total: f64 = hours.iter().map(|h| h.1).sum();
        let sum = delta_sum(&s, &key(), Timestamp(T0), to).expect("sum");
        assert_eq!(total, sum.sum);
    }
}
