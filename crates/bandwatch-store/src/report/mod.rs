//! Exact totals of a delta series per calendar period (the rows of `bandwatch report`):
//! for each [`Span`] the sum [`crate::delta_sum`] would give over it, read with one query
//! per tier over the whole range instead of two per period, so a year of days stays fast.
//!
//! Closed hours wholly inside one period come from the hour rollups (they outlive the
//! minutes); everything else comes from the minute rollups, which include the open minute.
//! An hour that straddles two periods (a zone whose days start at :30) is split by its
//! minutes; only when its minutes are gone (past their retention) is it counted whole in
//! the period its start falls in, and that period is marked [`PeriodSum::split_hours`].

use bandwatch_core::calendar::Span;
use bandwatch_core::{SeriesKey, Timestamp};

use crate::error::Result;
use crate::model::{RollupPoint, Tier, HOUR_MS};
use crate::sum::RangeSum;
use crate::Store;

#[cfg(test)]
mod tests;

/// What a series summed to over one period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeriodSum {
    /// The sum of the deltas and how many samples it covers.
    pub total: RangeSum,
    /// Hours counted whole here although part of them belongs to the next period (their
    /// minutes had expired): the sum is then approximate.
    pub split_hours: u32,
}

impl std::ops::AddAssign for PeriodSum {
    fn add_assign(&mut self, o: Self) {
        self.total += o.total;
        self.split_hours += o.split_hours;
    }
}

/// The index of the span holding `t`, if any (spans sorted, not overlapping).
fn span_of(spans: &[Span], t: Timestamp) -> Option<usize> {
    let i = spans.partition_point(|s| s.end <= t);
    spans.get(i).filter(|s| s.contains(t)).map(|_| i)
}

/// Whether minute `t` lies in one of `hours` (sorted hour buckets).
fn in_hours(hours: &[Timestamp], t: Timestamp) -> bool {
    let i = hours.partition_point(|h| h.add_millis(HOUR_MS) <= t);
    hours.get(i).is_some_and(|h| *h <= t)
}

/// The exact sum of `key` over each of `spans` (sorted and not overlapping, normally
/// consecutive periods from [`bandwatch_core::calendar::periods`]), in the same order. A
/// span may end in the future: the sum is what was recorded so far.
pub fn period_sums(store: &dyn Store, key: &SeriesKey, spans: &[Span]) -> Result<Vec<PeriodSum>> {
    let mut out = vec![PeriodSum::default(); spans.len()];
    let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
        return Ok(out);
    };
    let (from, to) = (first.start, last.end);
    if from >= to {
        return Ok(out);
    }
    let mut whole = Vec::new();
    let mut straddling = Vec::new();
    for h in store.query_rollup(Tier::Hour, key, from, to)? {
        let Some(i) = span_of(spans, h.bucket) else {
            continue;
        };
        if h.bucket.add_millis(HOUR_MS) <= spans[i].end {
            out[i].total += sum_of(&h);
            whole.push(h.bucket);
        } else {
            straddling.push((i, h));
        }
    }
    let minutes_from = first_uncovered(&whole, from);
    let mut minute_hours: Vec<Timestamp> = Vec::new();
    if minutes_from < to {
        for m in store.query_rollup(Tier::Minute, key, minutes_from, to)? {
            if m.bucket < from || m.bucket >= to || in_hours(&whole, m.bucket) {
                continue;
            }
            if let Some(i) = span_of(spans, m.bucket) {
                out[i].total += sum_of(&m);
            }
            let hour = Timestamp(m.bucket.0.div_euclid(HOUR_MS) * HOUR_MS);
            if minute_hours.last() != Some(&hour) {
                minute_hours.push(hour);
            }
        }
    }
    // An hour split by a period boundary whose minutes are gone still counts, in the
    // period of its start, rather than vanishing from both.
    for (i, h) in straddling {
        if !in_hours(&minute_hours, h.bucket) {
            out[i].total += sum_of(&h);
            out[i].split_hours += 1;
        }
    }
    Ok(out)
}

fn sum_of(p: &RollupPoint) -> RangeSum {
    RangeSum {
        sum: p.sum,
        samples: p.count,
    }
}

/// The first instant at or after `from` that the whole hours (sorted) do not cover: where
/// the minute rollups must be read from.
fn first_uncovered(whole: &[Timestamp], from: Timestamp) -> Timestamp {
    let mut t = from;
    for h in whole {
        if *h == t {
            t = t.add_millis(HOUR_MS);
        } else if *h > t {
            break;
        }
    }
    t
}
