//! Activity: a series has been active (above a floor) without a break of at least `idle_gap`
//! for longer than `max_active` (a device online and moving data for five hours straight).
//!
//! Reads `floor` (active means above it; default 0, finite), `idle_gap` (the shortest break
//! that ends a run, default `5m`, > 0), `max_active` (how long a run may last, required, > 0)
//! and the per-series limit table (`limit_by`, `limits` in seconds), which replaces
//! `max_active` for the series it names.
//!
//! A run starts at the first active sample after a break and lasts until the newest active
//! sample; a break is `idle_gap` or more between two active samples (whether the samples in
//! between were idle or missing). Resolution: one sample interval. The state is two
//! timestamps per series.

use std::time::Duration;

use bandwatch_core::Timestamp;

use super::condition::{Condition, ConditionSpec};
use super::{Detail, Level, Reading};
use crate::error::{EngineError, Result};
use crate::rule::{duration_ms, RuleSpec};

/// Default shortest break that ends a run of activity.
pub const DEFAULT_IDLE_GAP: Duration = Duration::from_secs(5 * 60);

/// A validated activity condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivitySpec {
    /// Values above this are activity.
    pub floor: f64,
    /// The shortest break that ends a run, in milliseconds.
    pub idle_gap_ms: i64,
    /// How long a run may last, in milliseconds.
    pub max_active_ms: i64,
}

impl ConditionSpec for ActivitySpec {
    const NAME: &'static str = "activity";
    const FIELDS: &'static [&'static str] =
        &["floor", "idle_gap", "max_active", "limit_by", "limits"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let floor = spec.floor.unwrap_or(0.0);
        if !floor.is_finite() {
            return Err(EngineError::invalid(
                rule,
                "floor",
                "must be a finite number",
            ));
        }
        let idle_gap_ms =
            duration_ms(rule, "idle_gap", spec.idle_gap.as_deref(), DEFAULT_IDLE_GAP)?;
        if idle_gap_ms <= 0 {
            return Err(EngineError::invalid(
                rule,
                "idle_gap",
                "must be greater than 0",
            ));
        }
        let Some(text) = spec.max_active.as_deref() else {
            return Err(EngineError::invalid(
                rule,
                "max_active",
                "an activity rule needs 'max_active', how long a run of activity may last (e.g. \"5h\")",
            ));
        };
        let max_active_ms = duration_ms(rule, "max_active", Some(text), Duration::ZERO)?;
        if max_active_ms <= 0 {
            return Err(EngineError::invalid(
                rule,
                "max_active",
                "must be greater than 0",
            ));
        }
        Ok(Self {
            floor,
            idle_gap_ms,
            max_active_ms,
        })
    }
}

impl From<ActivitySpec> for Condition {
    fn from(spec: ActivitySpec) -> Self {
        Self::Activity(spec)
    }
}

/// The current run of activity of one series.
#[derive(Debug, Clone)]
pub struct Activity {
    spec: ActivitySpec,
    /// When the current run began.
    since: Option<Timestamp>,
    /// The newest active sample.
    last_active: Option<Timestamp>,
}

impl Activity {
    /// A detector for runs longer than `spec.max_active_ms`.
    pub fn new(spec: ActivitySpec) -> Self {
        Self {
            spec,
            since: None,
            last_active: None,
        }
    }

    /// Reads the value sampled at `at`. A breach while the run is longer than `max_active`;
    /// the band during a pause shorter than `idle_gap` (an open alert stays open); clear once
    /// the pause reaches `idle_gap` or while the run is short enough.
    pub fn observe(&mut self, at: Timestamp, value: f64) -> Reading {
        let gap = |t: Timestamp| at.millis().saturating_sub(t.millis()) >= self.spec.idle_gap_ms;
        let broken = self.last_active.is_some_and(gap);
        if broken {
            self.since = None;
        }
        let active = value > self.spec.floor;
        if active {
            self.since.get_or_insert(at);
            self.last_active = Some(at);
        }
        let run_ms = match (self.since, self.last_active) {
            (Some(s), Some(l)) => l.millis().saturating_sub(s.millis()),
            _ => 0,
        };
        let level = if self.since.is_none() {
            Level::Clear
        } else if run_ms > self.spec.max_active_ms {
            if active {
                Level::Breach
            } else {
                Level::Band
            }
        } else {
            Level::Clear
        };
        Reading {
            level,
            reference: ms_to_secs(self.spec.max_active_ms),
            detail: Detail::Active {
                active_ms: run_ms,
                max_active_ms: self.spec.max_active_ms,
                idle_gap_ms: self.spec.idle_gap_ms,
            },
        }
    }
}

/// Milliseconds as seconds, the unit the limit table and events use.
#[allow(clippy::cast_precision_loss)] // durations far below 2^53 ms
pub(crate) fn ms_to_secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ActivitySpec = ActivitySpec {
        floor: 0.0,
        idle_gap_ms: 300_000,
        max_active_ms: 3_600_000,
    };

    fn at_min(m: i64) -> Timestamp {
        Timestamp::from_secs(m * 60)
    }

    #[test]
    fn a_long_run_breaches_and_a_break_clears() {
        let mut d = Activity::new(SPEC);
        // Active every minute for 62 minutes, with a pause (three idle samples, 4 minutes
        // between active ones) that is not a break.
        let mut levels = Vec::new();
        for m in 0..=62 {
            let v = if (20..23).contains(&m) { 0.0 } else { 1.0 };
            levels.push((m, d.observe(at_min(m), v).level));
        }
        assert_eq!(
            levels[60].1,
            Level::Clear,
            "exactly max_active is not longer"
        );
        assert_eq!(levels[61].1, Level::Breach);
        // A pause: band until the gap reaches idle_gap, then clear.
        let mut l = |m| d.observe(at_min(m), 0.0).level;
        assert_eq!(l(63), Level::Band);
        assert_eq!(l(66), Level::Band);
        assert_eq!(
            l(67),
            Level::Clear,
            "5 minutes since the last activity at 62"
        );
        // A new run starts from zero.
        assert_eq!(d.observe(at_min(68), 1.0).detail.measured(), Some(0.0));
    }

    #[test]
    fn missing_samples_count_as_a_break() {
        let mut d = Activity::new(SPEC);
        d.observe(at_min(0), 1.0);
        d.observe(at_min(50), 1.0);
        let r = d.observe(at_min(70), 1.0);
        assert_eq!(r.level, Level::Clear);
        assert_eq!(r.detail.measured(), Some(0.0));
    }

    #[test]
    fn needs_max_active() {
        let err = ActivitySpec::read(&RuleSpec::default(), "r").expect_err("required");
        assert!(
            err.to_string().starts_with("rule 'r': field 'max_active'"),
            "{err}"
        );
        let ok = ActivitySpec::read(
            &RuleSpec {
                max_active: Some("5h".into()),
                ..RuleSpec::default()
            },
            "r",
        )
        .expect("valid");
        assert_eq!(ok.max_active_ms, 18_000_000);
        assert_eq!(ok.idle_gap_ms, 300_000);
    }
}
