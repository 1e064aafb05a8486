//! Window sum: the sum of a delta series over a rolling time window is above a limit (the
//! bytes a device moved within the last hour). The values must be per-interval deltas (a
//! counter's increments), not rates: summing rates would depend on the tick.
//!
//! Reads `above` (the limit, finite), `within` (the window, default `1h`, > 0) and the
//! per-series limit table (`limit_by`, `limits`), which replaces `above` for the series it
//! names.
//!
//! Memory is bounded whatever the tick: the window is cut into [`SUM_SLOTS`] slots of
//! `within / 60` each (at least 1 ms), and each slot keeps the sum of the deltas sampled in
//! it, so a series holds 61 numbers (none until its first non-zero delta). Resolution: the sum
//! counts every delta sampled within the last `within` and may still count one sampled up to
//! one slot earlier (at most `within + within / 60` ago; 1 h 1 min for a 1 h window): a
//! delta leaves the sum between `within` and `within + within / 60` after it was sampled.
//! Integer deltas add up exactly as long as the sum stays below 2^53 (9 PB).

use std::time::Duration;

use bandwatch_core::Timestamp;

use super::condition::{Condition, ConditionSpec};
use super::{classify, Detail, Reading};
use crate::error::{EngineError, Result};
use crate::rule::{duration_ms, RuleSpec};

/// Default window of a `window_sum` rule.
pub const DEFAULT_SUM_WITHIN: Duration = Duration::from_secs(3600);
/// Slots a window is cut into; the sum's resolution is one slot.
pub const SUM_SLOTS: usize = 60;

/// A validated window-sum condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowSumSpec {
    /// The sum above which the condition holds.
    pub limit: f64,
    /// The window in milliseconds, > 0.
    pub within_ms: i64,
}

impl ConditionSpec for WindowSumSpec {
    const NAME: &'static str = "window_sum";
    const FIELDS: &'static [&'static str] = &["above", "within", "limit_by", "limits"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let Some(limit) = spec.above else {
            return Err(EngineError::invalid(
                rule,
                "above",
                "a window_sum needs 'above', the sum over the window that is too much (e.g. 500e6 bytes)",
            ));
        };
        if !limit.is_finite() {
            return Err(EngineError::invalid(
                rule,
                "above",
                "must be a finite number",
            ));
        }
        let within_ms = duration_ms(rule, "within", spec.within.as_deref(), DEFAULT_SUM_WITHIN)?;
        if within_ms <= 0 {
            return Err(EngineError::invalid(
                rule,
                "within",
                "must be greater than 0",
            ));
        }
        Ok(Self { limit, within_ms })
    }
}

impl From<WindowSumSpec> for Condition {
    fn from(spec: WindowSumSpec) -> Self {
        Self::WindowSum(spec)
    }
}

/// The rolling sum of one delta series.
#[derive(Debug, Clone)]
pub struct WindowSum {
    limit: f64,
    within_ms: i64,
    slot_ms: i64,
    /// `SUM_SLOTS + 1` slot sums, slot `i` at `i mod len`; empty until a non-zero delta.
    slots: Vec<f64>,
    /// The slot index (time / `slot_ms`) of the newest delta.
    newest: i64,
    sum: f64,
}

impl WindowSum {
    /// A sum over `within_ms` compared with `limit`.
    pub fn new(limit: f64, within_ms: i64) -> Self {
        let slots = i64::try_from(SUM_SLOTS).unwrap_or(60);
        Self {
            limit,
            within_ms,
            // Rounded up, so that SUM_SLOTS slots span at least the whole window.
            slot_ms: ((within_ms + slots - 1) / slots).max(1),
            slots: Vec::new(),
            newest: i64::MIN,
            sum: 0.0,
        }
    }

    /// Adds the delta sampled at `at` (the times of one series rise) and reads the sum.
    pub fn observe(&mut self, at: Timestamp, value: f64, hysteresis: f64) -> Reading {
        let slot = at.millis().div_euclid(self.slot_ms);
        self.advance(slot);
        if value != 0.0 {
            if self.slots.is_empty() {
                self.slots = vec![0.0; SUM_SLOTS + 1];
                self.newest = slot;
            }
            let i = self.index(self.newest.max(slot));
            self.slots[i] += value;
            self.sum += value;
        }
        Reading {
            level: classify(self.sum, self.limit, true, hysteresis),
            reference: self.limit,
            detail: Detail::WindowSum {
                sum: self.sum,
                limit: self.limit,
                within_ms: self.within_ms,
            },
        }
    }

    fn index(&self, slot: i64) -> usize {
        let len = i64::try_from(self.slots.len()).unwrap_or(1);
        usize::try_from(slot.rem_euclid(len)).unwrap_or(0)
    }

    /// Moves the newest slot to `slot`, emptying the slots that fell out of the window.
    fn advance(&mut self, slot: i64) {
        if self.slots.is_empty() || slot <= self.newest {
            return;
        }
        let len = self.slots.len();
        let gone = usize::try_from(slot - self.newest).map_or(len, |d| d.min(len));
        for k in 1..=gone {
            let i = self.index(self.newest.saturating_add(i64::try_from(k).unwrap_or(0)));
            self.slots[i] = 0.0;
        }
        self.newest = slot;
        // Recounted from the slots rather than subtracted, so fractional values cannot drift;
        // at most once per slot.
        self.sum = self.slots.iter().sum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    #[test]
    fn sums_within_the_window_and_forgets_after_it() {
        // 60 s window: one-second slots.
        let mut d = WindowSum::new(100.0, 60_000);
        let sums: Vec<f64> = [(0, 40.0), (10_000, 40.0), (59_000, 30.0)]
            .iter()
            .map(|&(t, v)| match d.observe(at(t), v, 0.0).detail {
                Detail::WindowSum { sum, .. } => sum,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(sums, vec![40.0, 80.0, 110.0]);
        assert_eq!(
            d.observe(at(59_500), 0.0, 0.0).level,
            super::super::Level::Breach
        );
        // The first 40 leaves between 60 s and 61 s after it was sampled.
        let r = d.observe(at(61_000), 0.0, 0.0);
        assert_eq!(r.detail.measured(), Some(70.0));
        assert_eq!(r.level, super::super::Level::Clear);
        // Far later, a gap longer than the window empties it all.
        assert_eq!(
            d.observe(at(10_000_000), 1.0, 0.0).detail.measured(),
            Some(1.0)
        );
    }

    #[test]
    fn integer_deltas_add_up_exactly_at_any_tick() {
        // 1 h window, a delta every 100 ms for 50 minutes: 30,000 samples in 61 slots.
        let mut d = WindowSum::new(f64::MAX, 3_600_000);
        let mut want = 0u64;
        let mut last = None;
        for i in 0..30_000i64 {
            let v = 1_000_003 + u64::try_from(i % 97).expect("small");
            want += v;
            last = d.observe(at(i * 100), v as f64, 0.0).detail.measured();
        }
        assert_eq!(last, Some(want as f64));
        assert_eq!(d.slots.len(), SUM_SLOTS + 1);
    }

    #[test]
    fn a_silent_series_holds_no_slots() {
        let mut d = WindowSum::new(10.0, 3_600_000);
        for s in 0..1000 {
            d.observe(at(s * 1000), 0.0, 0.0);
        }
        assert!(d.slots.is_empty());
    }

    #[test]
    fn reads_its_keys() {
        let spec = RuleSpec {
            above: Some(5e8),
            within: Some("30m".into()),
            ..RuleSpec::default()
        };
        assert_eq!(
            WindowSumSpec::read(&spec, "r").expect("valid"),
            WindowSumSpec {
                limit: 5e8,
                within_ms: 1_800_000
            }
        );
        let err = WindowSumSpec::read(&RuleSpec::default(), "r").expect_err("no limit");
        assert!(
            err.to_string().starts_with("rule 'r': field 'above'"),
            "{err}"
        );
    }
}
