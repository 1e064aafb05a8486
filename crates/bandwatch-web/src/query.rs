//! Range queries: which tier answers (raw samples, 1-minute or 1-hour rollups), and how
//! stored points become evenly stepped buckets of mean, min and max. Rates are not kept on the
//! raw tier (they follow exactly from the byte and packet deltas and each frame's elapsed
//! time), so raw-tier rates are derived here, as the metric catalogue's `derives_from` says:
//! a bucket's mean rate is its summed delta over its summed elapsed time, which is exact
//! however the samples fall.

use bandwatch_core::{Catalog, Labels, Selector, SeriesKey, Timestamp};
use bandwatch_store::{RollupPoint, Store, StoreError, Tier, ELAPSED_METRIC, HOUR_MS};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

/// The most points one series may return.
pub const MAX_POINTS: i64 = 11_000;
/// Points a range is divided into when no step is given.
pub const DEFAULT_POINTS: i64 = 600;

/// Where the answer comes from (the store's choice of tier, shared with `bandwatch export`).
pub use bandwatch_store::Resolution as Source;

/// How long each tier is kept and how often samples come, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Raw retention.
    pub raw_ms: i64,
    /// Minute rollup retention.
    pub minute_ms: i64,
    /// Hour rollup retention.
    pub hour_ms: i64,
    /// The sampling interval (the finest useful step).
    pub interval_ms: i64,
}

/// A checked range query: the range, the bucket width and the tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The tier that answers.
    pub tier: Source,
    /// Start of the range (inclusive), epoch ms.
    pub start: i64,
    /// End of the range (exclusive), epoch ms.
    pub end: i64,
    /// Bucket width in ms (a whole number of the tier's rows on the rollup tiers).
    pub step_ms: i64,
}

/// Checks a range and picks its tier: raw for steps under a minute within raw retention,
/// minutes for steps under an hour within their retention, hours otherwise.
pub fn plan(
    start: Timestamp,
    end: Timestamp,
    step_ms: Option<i64>,
    now: Timestamp,
    limits: Limits,
) -> ApiResult<Plan> {
    let (start, end) = (start.0, end.0);
    if start >= end {
        return Err(ApiError::bad_request(format!(
            "the range is backwards or empty: start ({start}) must be before end ({end})"
        )));
    }
    // Saturating: a range from the far past to the far future is too large, not an overflow.
    let range = end.saturating_sub(start);
    if range > limits.hour_ms {
        return Err(ApiError::bad_request(format!(
            "the range is too large: {} days asked, history is kept for {} days at most; narrow start/end",
            range / 86_400_000,
            limits.hour_ms / 86_400_000
        )));
    }
    let asked = match step_ms {
        Some(s) if s <= 0 => {
            return Err(ApiError::bad_request(
                "parameter 'step' must be greater than zero",
            ))
        }
        // Longer than the longest history kept: one bucket could never be filled, and
        // rounding it up to whole hours would overflow.
        Some(s) if s > limits.hour_ms.max(HOUR_MS) => {
            return Err(ApiError::bad_request(format!(
                "parameter 'step' is too large: at most {} days (the longest history kept)",
                limits.hour_ms.max(HOUR_MS) / 86_400_000
            )))
        }
        Some(s) => s,
        None => (range / DEFAULT_POINTS).max(limits.interval_ms).max(1),
    };
    let age = now.0.saturating_sub(start);
    let tier = Source::for_step(asked, age, limits.raw_ms, limits.minute_ms);
    let step_ms = tier.round_step(asked);
    let points = range / step_ms;
    if points > MAX_POINTS {
        return Err(ApiError::bad_request(format!(
            "too many points: {points} per series at step {step_ms} ms (at most {MAX_POINTS}); raise 'step' to at least {} s",
            (range / MAX_POINTS) / 1000 + 1
        )));
    }
    Ok(Plan {
        tier,
        start,
        end,
        step_ms,
    })
}

/// One bucket: `(start ms, mean, min, max)`.
pub type Point = (i64, f64, f64, f64);

/// The answer for one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoints {
    /// The series' labels.
    #[serde(serialize_with = "crate::json::labels_map")]
    pub labels: Labels,
    /// Buckets in time order; empty buckets are left out.
    pub points: Vec<Point>,
}

/// A raw-tier rate that is derived from a stored delta.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Derived {
    /// The delta metric it comes from.
    pub delta: &'static str,
    /// What a delta unit is worth in the rate's unit (8 for bytes → bits).
    pub factor: f64,
    /// The source whose frames carry the delta (label of the elapsed-time series).
    pub source: &'static str,
}

/// The delta behind a rate metric, from the catalogue: the rate's `derives_from` and the
/// source that declares the delta.
pub fn derived(catalog: &Catalog, metric: &str) -> Option<Derived> {
    let d = catalog.get(metric)?.derives_from?;
    Some(Derived {
        delta: d.delta,
        factor: d.factor,
        source: catalog.source_of(d.delta)?,
    })
}

/// A bucket being filled.
#[derive(Debug, Clone, Copy)]
struct Acc {
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Acc {
    fn new() -> Self {
        Self {
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    fn add(&mut self, count: f64, sum: f64, min: f64, max: f64) {
        self.count += count;
        self.sum += sum;
        self.min = self.min.min(min);
        self.max = self.max.max(max);
    }
}

/// Groups values into buckets of `plan.step_ms` and returns them in time order.
struct Buckets {
    plan: Plan,
    accs: Vec<(i64, Acc)>,
}

impl Buckets {
    fn new(plan: Plan) -> Self {
        Self {
            plan,
            accs: Vec::new(),
        }
    }

    fn start_of(&self, ts: i64) -> i64 {
        ts.div_euclid(self.plan.step_ms) * self.plan.step_ms
    }

    /// Adds to the bucket of `ts`; input must come in time order.
    fn acc(&mut self, ts: i64) -> &mut Acc {
        let b = self.start_of(ts);
        if self.accs.last().is_none_or(|(last, _)| *last != b) {
            self.accs.push((b, Acc::new()));
        }
        let last = self.accs.len() - 1;
        &mut self.accs[last].1
    }

    fn finish(self, mean: impl Fn(&Acc) -> f64) -> Vec<Point> {
        self.accs
            .iter()
            .filter(|(_, a)| a.count > 0.0)
            .map(|(b, a)| (*b, mean(a), a.min, a.max))
            .collect()
    }
}

/// Buckets raw samples: mean, min and max of the values.
pub fn bucket_raw(plan: Plan, points: &[(Timestamp, f64)]) -> Vec<Point> {
    let mut b = Buckets::new(plan);
    for (ts, v) in points {
        if v.is_finite() {
            b.acc(ts.0).add(1.0, *v, *v, *v);
        }
    }
    b.finish(|a| a.sum / a.count)
}

/// Buckets a rate derived from deltas and elapsed seconds at the same instants: each sample's
/// rate is `delta × factor / elapsed`; a bucket's mean is its summed delta over its summed
/// elapsed time.
pub fn bucket_derived(
    plan: Plan,
    deltas: &[(Timestamp, f64)],
    elapsed: &[(Timestamp, f64)],
    factor: f64,
) -> Vec<Point> {
    let secs: FxHashMap<i64, f64> = elapsed.iter().map(|(t, e)| (t.0, *e)).collect();
    let mut b = Buckets::new(plan);
    for (ts, d) in deltas {
        let Some(e) = secs.get(&ts.0).copied().filter(|e| *e > 0.0) else {
            continue;
        };
        let rate = d * factor / e;
        // `count` carries the elapsed seconds, so the mean below is exact.
        b.acc(ts.0).add(e, d * factor, rate, rate);
    }
    b.finish(|a| a.sum / a.count)
}

/// Re-buckets rollup rows into wider buckets: counts and sums add, extremes stay extremes.
pub fn bucket_rollup(plan: Plan, rows: &[RollupPoint]) -> Vec<Point> {
    let mut b = Buckets::new(plan);
    for r in rows {
        if r.count > 0 {
            b.acc(r.bucket.0).add(r.count as f64, r.sum, r.min, r.max);
        }
    }
    b.finish(|a| a.sum / a.count)
}

/// The series of `metric` that `selector` selects, sorted.
pub fn select(all: &[SeriesKey], metric: &str, selector: &Selector) -> Vec<SeriesKey> {
    let mut keys: Vec<SeriesKey> = all
        .iter()
        .filter(|k| k.metric == metric && selector.matches(k))
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// Answers a planned query from the store: one entry per selected series; raw-tier rates
/// are derived as `catalog` says.
pub fn run(
    store: &dyn Store,
    catalog: &Catalog,
    metric: &str,
    selector: &Selector,
    plan: Plan,
) -> Result<Vec<SeriesPoints>, StoreError> {
    let all = store.series()?;
    let keys = select(&all, metric, selector);
    let (from, to) = (Timestamp(plan.start), Timestamp(plan.end));
    let mut out = Vec::with_capacity(keys.len());
    let derive = derived(catalog, metric).filter(|_| plan.tier == Source::Raw);
    let elapsed = match derive {
        Some(d) => {
            let key = SeriesKey::with_label(ELAPSED_METRIC, "source", d.source);
            store.query_raw(&key, from, to)?
        }
        None => Vec::new(),
    };
    for key in keys {
        let points = match (plan.tier, derive) {
            (Source::Raw, Some(d)) => {
                let delta = SeriesKey::new(d.delta, key.labels.clone());
                let deltas = store.query_raw(&delta, from, to)?;
                if deltas.is_empty() {
                    bucket_raw(plan, &store.query_raw(&key, from, to)?)
                } else {
                    bucket_derived(plan, &deltas, &elapsed, d.factor)
                }
            }
            (Source::Raw, None) => bucket_raw(plan, &store.query_raw(&key, from, to)?),
            (Source::Minute, _) => {
                bucket_rollup(plan, &store.query_rollup(Tier::Minute, &key, from, to)?)
            }
            (Source::Hour, _) => {
                bucket_rollup(plan, &store.query_rollup(Tier::Hour, &key, from, to)?)
            }
        };
        out.push(SeriesPoints {
            labels: key.labels,
            points,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_store::MINUTE_MS;

    const NOW: Timestamp = Timestamp(1_764_780_000_000);
    const LIMITS: Limits = Limits {
        raw_ms: 48 * HOUR_MS,
        minute_ms: 30 * 24 * HOUR_MS,
        hour_ms: 2 * 365 * 24 * HOUR_MS,
        interval_ms: 1000,
    };

    fn plan_for(back_ms: i64, step: Option<i64>) -> ApiResult<Plan> {
        plan(NOW.add_millis(-back_ms), NOW, step, NOW, LIMITS)
    }

    #[test]
    fn tiers_follow_step_and_age() {
        let p = plan_for(HOUR_MS, None).expect("1 h");
        assert_eq!((p.tier, p.step_ms), (Source::Raw, 6000));
        let p = plan_for(5 * MINUTE_MS, None).expect("5 min");
        assert_eq!(
            (p.tier, p.step_ms),
            (Source::Raw, 1000),
            "never finer than the interval"
        );
        let p = plan_for(24 * HOUR_MS, None).expect("24 h");
        assert_eq!((p.tier, p.step_ms), (Source::Minute, 180_000));
        let p = plan_for(30 * 24 * HOUR_MS, None).expect("30 d in 600 points");
        assert_eq!(
            (p.tier, p.step_ms),
            (Source::Hour, 2 * HOUR_MS),
            "a step over an hour reads hours"
        );
        let p = plan_for(30 * 24 * HOUR_MS, Some(2_592_000)).expect("30 d in 1,000 points");
        assert_eq!((p.tier, p.step_ms), (Source::Minute, 2_640_000));
        let p = plan_for(72 * HOUR_MS, Some(10_000)).expect("3 d at 10 s is older than raw");
        assert_eq!((p.tier, p.step_ms), (Source::Minute, 60_000));
        let p = plan_for(90 * 24 * HOUR_MS, Some(HOUR_MS)).expect("90 d");
        assert_eq!(p.tier, Source::Hour);
    }

    #[test]
    fn bad_ranges_say_what_to_change() {
        let backwards = plan(NOW, NOW.add_millis(-1), None, NOW, LIMITS).expect_err("backwards");
        assert!(backwards.message.contains("backwards"), "{backwards}");
        let huge = plan_for(3 * 365 * 24 * HOUR_MS, None).expect_err("too big");
        assert!(huge.message.contains("too large"), "{huge}");
        let dense = plan_for(24 * HOUR_MS, Some(1000)).expect_err("86,400 points");
        assert!(dense.message.contains("raise 'step'"), "{dense}");
        assert!(plan_for(HOUR_MS, Some(0)).is_err());
        // `step=9223372036854775807` (seconds, saturated to i64::MAX ms) overflowed the
        // rounding to whole hours: a panic in a debug build, a wrapped step in release.
        for step in [i64::MAX, i64::MAX - 1, LIMITS.hour_ms + 1] {
            let e = plan_for(HOUR_MS, Some(step)).expect_err("huge step");
            assert!(e.message.contains("parameter 'step' is too large"), "{e}");
        }
        assert!(plan_for(HOUR_MS, Some(LIMITS.hour_ms)).is_ok());
    }

    fn p(step_ms: i64) -> Plan {
        Plan {
            tier: Source::Raw,
            start: 0,
            end: 100_000,
            step_ms,
        }
    }

    #[test]
    fn raw_buckets_hold_mean_min_max() {
        let pts: Vec<(Timestamp, f64)> = [(0, 1.0), (1000, 3.0), (10_000, 5.0), (12_000, f64::NAN)]
            .iter()
            .map(|(t, v)| (Timestamp(*t), *v))
            .collect();
        assert_eq!(
            bucket_raw(p(10_000), &pts),
            vec![(0, 2.0, 1.0, 3.0), (10_000, 5.0, 5.0, 5.0)]
        );
    }

    #[test]
    fn derived_rates_are_exact_over_uneven_intervals() {
        let deltas = [
            (Timestamp(0), 1000.0),
            (Timestamp(500), 1000.0),
            (Timestamp(2000), 3000.0),
        ];
        let elapsed = [
            (Timestamp(0), 1.0),
            (Timestamp(500), 0.5),
            (Timestamp(2000), 1.5),
        ];
        let got = bucket_derived(p(10_000), &deltas, &elapsed, 8.0);
        // 5,000 bytes over 3 s = 13,333.3 bit/s; per-sample rates 8,000, 16,000, 16,000.
        assert_eq!(got.len(), 1);
        let (b, mean, min, max) = got[0];
        assert_eq!(b, 0);
        assert!((mean - 40_000.0 / 3.0).abs() < 1e-9, "{mean}");
        assert_eq!((min, max), (8000.0, 16_000.0));
    }

    #[test]
    fn rollups_merge_into_wider_buckets() {
        let row = |m: i64, count, sum, min, max| RollupPoint {
            bucket: Timestamp(m * MINUTE_MS),
            count,
            sum,
            min,
            max,
            last: max,
        };
        let rows = [
            row(0, 60, 60.0, 0.5, 2.0),
            row(1, 30, 90.0, 1.0, 9.0),
            row(5, 0, 0.0, 0.0, 0.0),
        ];
        let got = bucket_rollup(p(5 * MINUTE_MS), &rows);
        assert_eq!(got, vec![(0, 150.0 / 90.0, 0.5, 9.0)]);
    }

    #[test]
    fn select_filters_by_metric_and_labels() {
        let k = |m: &str, i: &str| SeriesKey::with_label(m, "iface", i);
        let all = [
            k("net_up", "eth0"),
            k("net_rx_bytes", "lo"),
            k("net_rx_bytes", "eth0"),
        ];
        let ms = Selector::parse("iface!=lo").expect("matcher");
        assert_eq!(
            select(&all, "net_rx_bytes", &ms),
            vec![k("net_rx_bytes", "eth0")]
        );
    }
}
