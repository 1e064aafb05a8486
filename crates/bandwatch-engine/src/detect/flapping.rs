//! Flapping: the value keeps changing (a link or a probe going up and down). Counts the
//! changes from one sample to the next within a sliding time window; only the newest
//! `changes` of them are kept, which is all the verdict needs.
//!
//! Reads `changes` (default 4, ≥ 2) and `within` (default `10m`, > 0).

use std::collections::VecDeque;
use std::time::Duration;

use bandwatch_core::Timestamp;

use super::condition::{Condition, ConditionSpec};
use super::{same, Detail, Level, Reading};
use crate::error::{EngineError, Result};
use crate::rule::{duration_ms, RuleSpec};

/// Default number of changes within the window that make a series flap.
pub const DEFAULT_FLAP_CHANGES: u32 = 4;
/// Default window in which a `flapping` rule counts changes.
pub const DEFAULT_FLAP_WITHIN: Duration = Duration::from_secs(10 * 60);

/// A validated flapping condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlappingSpec {
    /// Changes that count as flapping, ≥ 2.
    pub changes: u32,
    /// The window in milliseconds, > 0.
    pub within_ms: i64,
}

impl ConditionSpec for FlappingSpec {
    const NAME: &'static str = "flapping";
    const FIELDS: &'static [&'static str] = &["changes", "within"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let changes = spec.changes.unwrap_or(DEFAULT_FLAP_CHANGES);
        if changes < 2 {
            return Err(EngineError::invalid(
                rule,
                "changes",
                format!("must be at least 2, got {changes}"),
            ));
        }
        let within_ms = duration_ms(rule, "within", spec.within.as_deref(), DEFAULT_FLAP_WITHIN)?;
        if within_ms <= 0 {
            return Err(EngineError::invalid(
                rule,
                "within",
                "must be greater than 0",
            ));
        }
        Ok(Self { changes, within_ms })
    }
}

impl From<FlappingSpec> for Condition {
    fn from(spec: FlappingSpec) -> Self {
        Self::Flapping(spec)
    }
}

/// The times of the latest changes, pruned by age and capped at `changes` entries.
#[derive(Debug, Clone)]
pub struct Flapping {
    changes: u32,
    within_ms: i64,
    last: Option<f64>,
    first_seen: Option<Timestamp>,
    stamps: VecDeque<Timestamp>,
}

impl Flapping {
    /// A detector for at least `changes` changes within `within_ms`.
    pub fn new(changes: u32, within_ms: i64) -> Self {
        Self {
            changes,
            within_ms,
            last: None,
            first_seen: None,
            stamps: VecDeque::new(),
        }
    }

    /// Reads the value sampled at `at`. A breach while at least `changes` changes lie within
    /// the window (changes exactly `within` old still count); clear once fewer do. `None`
    /// until one window has been watched without flapping, because changes from before the
    /// first sample are unknown (an alert restored after a restart stays open meanwhile).
    pub fn observe(&mut self, at: Timestamp, value: f64) -> Option<Reading> {
        while self
            .stamps
            .front()
            .is_some_and(|&t| at.millis().saturating_sub(t.millis()) > self.within_ms)
        {
            self.stamps.pop_front();
        }
        if self.last.is_some_and(|prev| !same(prev, value)) {
            self.stamps.push_back(at);
            let cap = usize::try_from(self.changes).unwrap_or(usize::MAX);
            while self.stamps.len() > cap {
                self.stamps.pop_front();
            }
        }
        self.last = Some(value);
        let first = *self.first_seen.get_or_insert(at);
        let seen = u32::try_from(self.stamps.len()).unwrap_or(u32::MAX);
        let level = if seen >= self.changes {
            Level::Breach
        } else if at.millis().saturating_sub(first.millis()) >= self.within_ms {
            Level::Clear
        } else {
            return None;
        };
        Some(Reading {
            level,
            reference: f64::from(self.changes),
            detail: Detail::Flapping {
                changes: seen,
                within_ms: self.within_ms,
            },
        })
    }

    /// Number of change times held (at most `changes`).
    pub fn held(&self) -> usize {
        self.stamps.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `(second, value)` pairs and returns each level (`None` while warming up).
    fn levels(d: &mut Flapping, samples: &[(i64, f64)]) -> Vec<Option<Level>> {
        samples
            .iter()
            .map(|&(s, v)| d.observe(Timestamp::from_secs(s), v).map(|r| r.level))
            .collect()
    }

    #[test]
    fn breaches_at_the_n_th_change_in_the_window_and_clears_when_they_age_out() {
        use Level::{Breach, Clear};
        // 3 changes within 100 s.
        let mut d = Flapping::new(3, 100_000);
        let got = levels(
            &mut d,
            &[
                (0, 1.0),
                (10, 0.0),  // change 1
                (20, 1.0),  // change 2
                (30, 0.0),  // change 3: breach
                (100, 0.0), // still 3 changes, the oldest exactly 90 s old
                (110, 0.0), // change at 10 exactly 100 s old: still counts
                (111, 0.0), // it ages out: 2 left
                (200, 0.0), // all gone
            ],
        );
        assert_eq!(
            got,
            vec![
                None,
                None,
                None,
                Some(Breach),
                Some(Breach),
                Some(Breach),
                Some(Clear),
                Some(Clear)
            ]
        );
    }

    #[test]
    fn slow_changes_do_not_flap() {
        let mut d = Flapping::new(2, 60_000);
        let got = levels(&mut d, &[(0, 1.0), (50, 0.0), (120, 1.0), (190, 0.0)]);
        assert_eq!(
            got,
            vec![None, None, Some(Level::Clear), Some(Level::Clear)]
        );
    }

    #[test]
    fn equal_values_within_tolerance_are_no_change() {
        let mut d = Flapping::new(2, 60_000);
        let got = levels(&mut d, &[(0, 1.0), (1, 1.0 + 1e-12), (2, 1.0), (60, 1.0)]);
        assert_eq!(got, vec![None, None, None, Some(Level::Clear)]);
    }

    #[test]
    fn state_stays_bounded_and_the_detail_counts_changes() {
        let mut d = Flapping::new(4, 600_000);
        let mut last = None;
        for s in 0..1000 {
            last = d.observe(Timestamp::from_secs(s), f64::from(u8::from(s % 2 == 0)));
        }
        assert_eq!(d.held(), 4);
        let r = last.expect("breach");
        assert_eq!(r.level, Level::Breach);
        assert_eq!(
            r.detail,
            Detail::Flapping {
                changes: 4,
                within_ms: 600_000
            }
        );
    }
}
