//! Threshold: the value is past a fixed limit. Stateless.
//!
//! Reads `above` or `below` (exactly one, finite), and the per-series limit table (`limit_by`,
//! `limits`), which replaces that limit for the series it names.

use super::condition::{Condition, ConditionSpec};
use super::{classify, Detail, Level, Reading};
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// What a threshold compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Fire when the value is above the limit.
    Above,
    /// Fire when the value is below the limit.
    Below,
}

/// A validated threshold: the value is past a fixed limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdSpec {
    /// Which side of the limit is bad.
    pub direction: Direction,
    /// The limit in base units.
    pub limit: f64,
}

impl ConditionSpec for ThresholdSpec {
    const NAME: &'static str = "threshold";
    const FIELDS: &'static [&'static str] = &["above", "below", "limit_by", "limits"];

    fn read(spec: &RuleSpec, rule: &str) -> Result<Self> {
        let (direction, limit, field) = match (spec.above, spec.below) {
            (Some(l), None) => (Direction::Above, l, "above"),
            (None, Some(l)) => (Direction::Below, l, "below"),
            (Some(_), Some(_)) => {
                return Err(EngineError::invalid(
                    rule,
                    "below",
                    "set 'above' or 'below', not both",
                ))
            }
            (None, None) => {
                return Err(EngineError::invalid(
                    rule,
                    "above",
                    "a threshold needs 'above' or 'below'",
                ))
            }
        };
        if !limit.is_finite() {
            return Err(EngineError::invalid(rule, field, "must be a finite number"));
        }
        Ok(Self { direction, limit })
    }
}

impl From<ThresholdSpec> for Condition {
    fn from(spec: ThresholdSpec) -> Self {
        Self::Threshold(spec)
    }
}

/// Compares each value with a fixed limit.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    direction: Direction,
    limit: f64,
}

impl Threshold {
    /// A threshold on one side of `limit`.
    pub fn new(direction: Direction, limit: f64) -> Self {
        Self { direction, limit }
    }

    /// Reads one value.
    pub fn observe(&self, value: f64, hysteresis: f64) -> Reading {
        let above = self.direction == Direction::Above;
        let level: Level = classify(value, self.limit, above, hysteresis);
        let limit = self.limit;
        Reading {
            level,
            reference: limit,
            detail: if above {
                Detail::Above { limit }
            } else {
                Detail::Below { limit }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(above: Option<f64>, below: Option<f64>) -> Result<ThresholdSpec> {
        let spec = RuleSpec {
            above,
            below,
            ..RuleSpec::default()
        };
        ThresholdSpec::read(&spec, "r")
    }

    #[test]
    fn reads_one_finite_limit() {
        assert_eq!(
            read(None, Some(5.0)).expect("valid"),
            ThresholdSpec {
                direction: Direction::Below,
                limit: 5.0
            }
        );
        let err = |a, b| read(a, b).expect_err("invalid").to_string();
        assert_eq!(
            err(Some(1.0), Some(2.0)),
            "rule 'r': field 'below': set 'above' or 'below', not both"
        );
        assert_eq!(
            err(Some(f64::INFINITY), None),
            "rule 'r': field 'above': must be a finite number"
        );
    }
}
