//! Spike: the value is more than `factor` times the mean of the previous `window` samples,
//! and at least `floor` above it (so 1 kbit/s → 3 kbit/s is not a spike).
//!
//! Reads `factor` (default 2, > 1), `window` (default 60, ≥ 1) and `floor` (default 0, ≥ 0).

use super::condition::{Condition, ConditionSpec};
use super::ring::Ring;
#[cfg(test)]
use super::Level;
use super::{classify, read_window, weaker, Detail, Reading};
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// Default multiple of the baseline that counts as a spike.
pub const DEFAULT_SPIKE_FACTOR: f64 = 2.0;

/// A validated spike condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeSpec {
    /// Multiple of the baseline, > 1.
    pub factor: f64,
    /// Samples in the baseline.
    pub window: usize,
    /// Least absolute rise.
    pub floor: f64,
}

impl ConditionSpec for SpikeSpec {
    const NAME: &'static str = "spike";
    const FIELDS: &'static [&'static str] = &["factor", "window", "floor"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let factor = spec.factor.unwrap_or(DEFAULT_SPIKE_FACTOR);
        if !(factor.is_finite() && factor > 1.0) {
            return Err(EngineError::invalid(
                rule,
                "factor",
                format!("must be greater than 1, got {factor}"),
            ));
        }
        let floor = spec.floor.unwrap_or(0.0);
        if !(floor.is_finite() && floor >= 0.0) {
            return Err(EngineError::invalid(
                rule,
                "floor",
                "must be a finite number ≥ 0",
            ));
        }
        Ok(Self {
            factor,
            window: read_window(spec, rule, 1)?,
            floor,
        })
    }
}

impl From<SpikeSpec> for Condition {
    fn from(spec: SpikeSpec) -> Self {
        Self::Spike(spec)
    }
}

/// A rolling mean baseline and the spike test against it.
#[derive(Debug, Clone)]
pub struct Spike {
    factor: f64,
    floor: f64,
    baseline: Ring,
}

impl Spike {
    /// A spike detector; silent until `window` samples were seen.
    pub fn new(factor: f64, window: usize, floor: f64) -> Self {
        Self {
            factor,
            floor,
            baseline: Ring::new(window),
        }
    }

    /// Reads one value, then adds it to the baseline (the baseline adapts to a new level).
    pub fn observe(&mut self, value: f64, hysteresis: f64) -> Option<Reading> {
        let reading = self.baseline.is_full().then(|| {
            let baseline = self.baseline.mean();
            let ratio = classify(value, self.factor * baseline, true, hysteresis);
            let rise = classify(value - baseline, self.floor, true, hysteresis);
            // Both the ratio and the absolute rise must be past their limits.
            let level = weaker(ratio, rise);
            Reading {
                level,
                reference: baseline,
                detail: Detail::Spike {
                    baseline,
                    window: self.baseline.capacity(),
                },
            }
        });
        let _ = self.baseline.push(value);
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(d: &mut Spike, values: &[f64]) -> Vec<Option<Level>> {
        values
            .iter()
            .map(|v| d.observe(*v, 0.0).map(|r| r.level))
            .collect()
    }

    #[test]
    fn step_is_a_spike() {
        let mut d = Spike::new(2.0, 3, 0.0);
        let got = levels(&mut d, &[10.0, 10.0, 10.0, 30.0]);
        assert_eq!(got, vec![None, None, None, Some(Level::Breach)]);
    }

    #[test]
    fn floor_keeps_small_rises_quiet() {
        let mut d = Spike::new(2.0, 3, 10_000.0);
        let got = levels(&mut d, &[1000.0, 1000.0, 1000.0, 3000.0]);
        assert_eq!(got[3], Some(Level::Clear));
    }
}
