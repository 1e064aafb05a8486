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
}
