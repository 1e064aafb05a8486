//! Consecutive: a state-like gauge (`probe_up`) had its bad value for N samples in a row, e.g.
//! a target unreachable for three probe rounds. Unlike [`StateChange`](super::StateChange) it
//! needs no good value first: a device that is down from the start is news.
//!
//! Reads `to` (the bad value, default 0) and `count` (default 3, ≥ 1).

use super::condition::{Condition, ConditionSpec};
use super::{same, Detail, Level, Reading};
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// Default number of bad samples in a row before a `consecutive` rule breaches.
pub const DEFAULT_CONSECUTIVE_COUNT: u32 = 3;

/// A validated consecutive condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsecutiveSpec {
    /// The bad value.
    pub to: f64,
    /// Samples in a row, ≥ 1.
    pub count: u32,
}

impl ConditionSpec for ConsecutiveSpec {
    const NAME: &'static str = "consecutive";
    const FIELDS: &'static [&'static str] = &["to", "count"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let to = spec.to.unwrap_or(0.0);
        if !to.is_finite() {
            return Err(EngineError::invalid(rule, "to", "must be a finite number"));
        }
        let count = spec.count.unwrap_or(DEFAULT_CONSECUTIVE_COUNT);
        if count < 1 {
            return Err(EngineError::invalid(
                rule,
                "count",
                format!("must be at least 1, got {count}"),
            ));
        }
        Ok(Self { to, count })
    }
}

impl From<ConsecutiveSpec> for Condition {
    fn from(spec: ConsecutiveSpec) -> Self {
        Self::Consecutive(spec)
    }
}

/// Counts the current run of bad samples.
#[derive(Debug, Clone, Copy)]
pub struct Consecutive {
    to: f64,
    count: u32,
    run: u32,
}

impl Consecutive {
    /// A detector for `count` samples in a row equal to `to`.
    pub fn new(to: f64, count: u32) -> Self {
        Self { to, count, run: 0 }
    }

    /// Reads one value: a breach from the `count`-th bad sample in a row on; a shorter run of
    /// bad samples is the band (not yet an alert, but not a recovery either); any other value
    /// clears and ends the run.
    pub fn observe(&mut self, value: f64) -> Reading {
        let level = if same(value, self.to) {
            self.run = self.run.saturating_add(1);
            if self.run >= self.count {
                Level::Breach
            } else {
                Level::Band
            }
        } else {
            self.run = 0;
            Level::Clear
        };
        Reading {
            level,
            reference: self.to,
            detail: Detail::Consecutive {
                to: self.to,
                run: self.run,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(d: &mut Consecutive, values: &[f64]) -> Vec<Level> {
        values.iter().map(|v| d.observe(*v).level).collect()
    }

    #[test]
    fn breaches_from_the_count_th_bad_sample_without_a_good_one_first() {
        use Level::{Band, Breach, Clear};
        let mut d = Consecutive::new(0.0, 3);
        assert_eq!(
            levels(&mut d, &[0.0, 0.0, 0.0, 0.0, 1.0]),
            vec![Band, Band, Breach, Breach, Clear]
        );
    }

    #[test]
    fn a_good_sample_restarts_the_run() {
        use Level::{Band, Breach, Clear};
        let mut d = Consecutive::new(0.0, 3);
        assert_eq!(
            levels(&mut d, &[1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0]),
            vec![Clear, Band, Band, Clear, Band, Band, Clear, Band, Band, Breach]
        );
    }

    #[test]
    fn compares_with_a_tolerance_and_reports_the_run() {
        let mut d = Consecutive::new(0.0, 1);
        let r = d.observe(1e-12);
        assert_eq!(r.level, Level::Breach);
        assert_eq!(r.detail, Detail::Consecutive { to: 0.0, run: 1 });
        assert_eq!(
            d.observe(0.0).detail,
            Detail::Consecutive { to: 0.0, run: 2 }
        );
        assert_eq!(
            d.observe(1.0).detail,
            Detail::Consecutive { to: 0.0, run: 0 }
        );
    }
}
