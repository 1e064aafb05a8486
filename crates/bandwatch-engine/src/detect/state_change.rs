//! State change: a state-like gauge (`net_up`, `net_carrier`) went from its good value to its
//! bad one. A series never seen in the good state does not alert: an interface that was always
//! down is configuration, not news.
//!
//! Reads `from` (the good value, default 1) and `to` (the bad one, default 0); they differ.

use super::condition::{Condition, ConditionSpec};
use super::{same, Detail, Level, Reading};
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// A validated state-change condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateChangeSpec {
    /// The good value.
    pub from: f64,
    /// The bad value.
    pub to: f64,
}

impl ConditionSpec for StateChangeSpec {
    const NAME: &'static str = "state_change";
    const FIELDS: &'static [&'static str] = &["from", "to"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let from = spec.from.unwrap_or(1.0);
        let to = spec.to.unwrap_or(0.0);
        if !from.is_finite() || !to.is_finite() {
            return Err(EngineError::invalid(
                rule,
                "to",
                "'from' and 'to' must be finite numbers",
            ));
        }
        if (from - to).abs() < f64::EPSILON {
            return Err(EngineError::invalid(rule, "to", "must differ from 'from'"));
        }
        Ok(Self { from, to })
    }
}

impl From<StateChangeSpec> for Condition {
    fn from(spec: StateChangeSpec) -> Self {
        Self::StateChange(spec)
    }
}

/// Remembers whether the good state was seen.
#[derive(Debug, Clone, Copy)]
pub struct StateChange {
    from: f64,
    to: f64,
    seen_from: bool,
}

impl StateChange {
    /// A detector for `from` → `to`.
    pub fn new(from: f64, to: f64) -> Self {
        Self {
            from,
            to,
            seen_from: false,
        }
    }

    /// Reads one value; `None` until the good state was seen.
    pub fn observe(&mut self, value: f64) -> Option<Reading> {
        let level = if same(value, self.from) {
            self.seen_from = true;
            Level::Clear
        } else if !self.seen_from {
            return None;
        } else if same(value, self.to) {
            Level::Breach
        } else {
            Level::Band
        };
        Some(Reading {
            level,
            reference: self.from,
            detail: Detail::StateChange {
                from: self.from,
                to: self.to,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_after_up_breaches() {
        let mut d = StateChange::new(1.0, 0.0);
        assert_eq!(d.observe(0.0), None);
        let levels: Vec<_> = [1.0, 0.0, 1.0]
            .iter()
            .map(|v| d.observe(*v).map(|r| r.level))
            .collect();
        assert_eq!(
            levels,
            vec![Some(Level::Clear), Some(Level::Breach), Some(Level::Clear)]
        );
    }
}
