//! Anomaly: the robust z-score of the value against the median and the median absolute
//! deviation (MAD) of the previous `window` samples is beyond a limit.
//!
//! Reads `window` (default 60, ≥ 3) and `limit` (default 3.5, > 0).

use super::condition::{Condition, ConditionSpec};
use super::ring::Ring;
use super::{classify, read_window, Detail, Reading};
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// Default robust z-score beyond which a value is an anomaly (Iglewicz and Hoaglin).
pub const DEFAULT_ANOMALY_LIMIT: f64 = 3.5;

/// A validated anomaly condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalySpec {
    /// Samples in the window.
    pub window: usize,
    /// z-score limit, > 0.
    pub limit: f64,
}

impl ConditionSpec for AnomalySpec {
    const NAME: &'static str = "anomaly";
    const FIELDS: &'static [&'static str] = &["window", "limit"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let limit = spec.limit.unwrap_or(DEFAULT_ANOMALY_LIMIT);
        if !(limit.is_finite() && limit > 0.0) {
            return Err(EngineError::invalid(
                rule,
                "limit",
                format!("must be greater than 0, got {limit}"),
            ));
        }
        // A median and a deviation need a few samples to mean anything.
        Ok(Self {
            window: read_window(spec, rule, 3)?,
            limit,
        })
    }
}

impl From<AnomalySpec> for Condition {
    fn from(spec: AnomalySpec) -> Self {
        Self::Anomaly(spec)
    }
}

/// Scales MAD to the standard deviation of a normal distribution (Iglewicz and Hoaglin).
const MAD_SCALE: f64 = 0.6745;
/// Scales the mean absolute deviation likewise, used when MAD is zero (more than half the
/// window is one value), as in the usual fallback.
const MEAN_AD_SCALE: f64 = 0.7979;

/// A window of previous values and the robust z-score test against it.
#[derive(Debug, Clone)]
pub struct Anomaly {
    limit: f64,
    /// Arrival order, to know which value leaves the window.
    window: Ring,
    /// The same values kept sorted, so that the median and MAD cost O(window) without
    /// copying or sorting on every sample.
    sorted: Vec<f64>,
}

impl Anomaly {
    /// An anomaly detector; silent until `window` samples were seen.
    pub fn new(window: usize, limit: f64) -> Self {
        Self {
            limit,
            window: Ring::new(window),
            sorted: Vec::new(),
        }
    }

    /// Reads one (finite) value, then adds it to the window.
    pub fn observe(&mut self, value: f64, hysteresis: f64) -> Option<Reading> {
        let reading = self.window.is_full().then(|| {
            let (z, median) = z_score(&self.sorted, value);
            Reading {
                level: classify(z.abs(), self.limit, true, hysteresis),
                reference: median,
                detail: Detail::Anomaly {
                    z,
                    median,
                    window: self.window.capacity(),
                },
            }
        });
        if let Some(old) = self.window.push(value) {
            if let Ok(i) = self.sorted.binary_search_by(|x| x.total_cmp(&old)) {
                self.sorted.remove(i);
            }
        }
        let at = self.sorted.partition_point(|x| x.total_cmp(&value).is_lt());
        self.sorted.insert(at, value);
        reading
    }
}

/// The robust z-score of `value` against sorted values, and their median.
fn z_score(sorted: &[f64], value: f64) -> (f64, f64) {
    let median = median(sorted);
    let mad = median_distance(sorted, median);
    let dev = value - median;
    let z = if mad > 0.0 {
        MAD_SCALE * dev / mad
    } else {
        let mean_ad =
            sorted.iter().map(|v| (v - median).abs()).sum::<f64>() / sorted.len().max(1) as f64;
        if mean_ad > 0.0 {
            MEAN_AD_SCALE * dev / mean_ad
        } else if dev == 0.0 {
            0.0
        } else {
            // A perfectly flat window: any change at all is unusual.
            f64::INFINITY.copysign(dev)
        }
    };
    (z, median)
}

/// The median of sorted values (0 when empty).
fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => f64::midpoint(sorted[n / 2 - 1], sorted[n / 2]),
    }
}

/// The median of `|x - center|` over sorted values: the distances grow outwards from
/// `center` on both sides, so merging the two sides finds it in n/2 steps.
fn median_distance(sorted: &[f64], center: f64) -> f64 {
    let len = sorted.len();
    if len == 0 {
        return 0.0;
    }
    let split = sorted.partition_point(|x| *x < center);
    let (mut lo, mut hi) = (split, split);
    let mut next = || {
        let down = lo.checked_sub(1).map(|i| center - sorted[i]);
        let up = sorted.get(hi).map(|x| x - center);
        match (down, up) {
            (Some(d), Some(u)) if d < u => {
                lo -= 1;
                d
            }
            (_, Some(u)) => {
                hi += 1;
                u
            }
            (Some(d), None) => {
                lo -= 1;
                d
            }
            (None, None) => 0.0,
        }
    };
    let mut below = 0.0;
    for _ in 0..len / 2 {
        below = next();
    }
    let at = next();
    if len % 2 == 1 {
        at
    } else {
        f64::midpoint(below, at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Level;
    use super::*;

    /// MAD the slow way, to check the merge.
    fn mad_by_sorting(values: &[f64]) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let m = median(&v);
        let mut d: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
        d.sort_by(f64::total_cmp);
        median(&d)
    }

    #[test]
    fn medians_and_mads() {
        assert!((median(&[1.0, 2.0, 3.0]) - 2.0).abs() < 1e-12);
        assert!((median(&[1.0, 2.0, 3.0, 4.0]) - 2.5).abs() < 1e-12);
        let cases: [&[f64]; 5] = [
            &[1.0, 2.0, 3.0, 4.0, 100.0],
            &[1.0, 1.0, 1.0, 2.0],
            &[5.0, 5.0, 5.0],
            &[-3.0, 0.0, 0.5, 9.0, 10.0, 11.0],
            &[7.0],
        ];
        for c in cases {
            let mut v = c.to_vec();
            v.sort_by(f64::total_cmp);
            let got = median_distance(&v, median(&v));
            assert!((got - mad_by_sorting(c)).abs() < 1e-12, "{c:?}: {got}");
        }
    }

    proptest::proptest! {
        #[test]
        fn merged_mad_equals_sorted_mad(values in proptest::collection::vec(-1e6..1e6f64, 1..80)) {
            let mut v = values.clone();
            v.sort_by(f64::total_cmp);
            let got = median_distance(&v, median(&v));
            proptest::prop_assert!((got - mad_by_sorting(&values)).abs() <= 1e-9 * (1.0 + got.abs()));
        }

        #[test]
        fn sorted_window_matches_the_ring(values in proptest::collection::vec(-5.0..5.0f64, 0..40)) {
            let mut d = Anomaly::new(7, 3.5);
            for v in &values {
                d.observe(v.round(), 0.0);
            }
            let mut want: Vec<f64> = values.iter().rev().take(7).map(|v| v.round()).collect();
            want.sort_by(f64::total_cmp);
            proptest::prop_assert_eq!(&d.sorted, &want);
        }
    }

    #[test]
    fn outlier_is_an_anomaly_and_noise_is_not() {
        let mut d = Anomaly::new(5, 3.5);
        for v in [10.0, 11.0, 9.0, 10.0, 12.0] {
            assert_eq!(d.observe(v, 0.0), None);
        }
        assert_eq!(d.observe(11.0, 0.0).map(|r| r.level), Some(Level::Clear));
        let r = d.observe(40.0, 0.0).expect("window is full");
        assert_eq!(r.level, Level::Breach);
        assert!((r.reference - 11.0).abs() < 1e-12);
    }

    #[test]
    fn sorted_copy_follows_the_window() {
        let mut d = Anomaly::new(3, 3.5);
        for v in [5.0, 1.0, 4.0, 2.0, 3.0] {
            d.observe(v, 0.0);
        }
        assert_eq!(d.sorted, vec![2.0, 3.0, 4.0]);
    }
}
