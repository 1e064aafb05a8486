//! What makes a value bad: one [`Condition`] per rule, read from the `[[rules]]` keys by the
//! detector module that owns them. Each module's spec says its name, the keys it reads and
//! how it checks them ([`ConditionSpec`]); this table dispatches on `condition = "…"` and
//! refuses keys the chosen condition does not read.

use super::activity::{ms_to_secs, ActivitySpec};
use super::anomaly::AnomalySpec;
use super::consecutive::ConsecutiveSpec;
use super::flapping::FlappingSpec;
use super::spike::SpikeSpec;
use super::state_change::StateChangeSpec;
use super::threshold::ThresholdSpec;
use super::window_sum::WindowSumSpec;
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// A condition's part of a rule, owned by its detector module.
pub trait ConditionSpec: Sized + Into<Condition> {
    /// The `condition = "…"` value that selects it.
    const NAME: &'static str;
    /// The `[[rules]]` keys it reads; any other condition key is refused as unused.
    const FIELDS: &'static [&'static str];
    /// Reads and checks its keys of `spec`; every error names `rule` and the field.
    fn read(spec: &RuleSpec, rule: &str) -> Result<Self>;
}

/// What makes a value bad, validated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// The value is past a fixed limit.
    Threshold(ThresholdSpec),
    /// The value is more than `factor` times its recent mean and at least `floor` above it.
    Spike(SpikeSpec),
    /// The robust z-score against a recent window is beyond a limit.
    Anomaly(AnomalySpec),
    /// The value went from its good state to its bad one (interface down, carrier lost).
    StateChange(StateChangeSpec),
    /// The value was bad for N samples in a row (a probe failed N rounds running).
    Consecutive(ConsecutiveSpec),
    /// The value changed too often within a window (a link or a probe going up and down).
    Flapping(FlappingSpec),
    /// The sum of a delta series over a rolling time window is above a limit.
    WindowSum(WindowSumSpec),
    /// The series has been active without a long enough break for too long.
    Activity(ActivitySpec),
}

/// One entry of the dispatch table.
struct Kind {
    name: &'static str,
    fields: &'static [&'static str],
    read: fn(&RuleSpec, &str) -> Result<Condition>,
}

fn read_into<S: ConditionSpec>(spec: &RuleSpec, rule: &str) -> Result<Condition> {
    S::read(spec, rule).map(Into::into)
}

const fn kind<S: ConditionSpec>() -> Kind {
    Kind {
        name: S::NAME,
        fields: S::FIELDS,
        read: read_into::<S>,
    }
}

/// Every condition, in the order the error for an unknown one lists them.
const KINDS: [Kind; 8] = [
    kind::<ThresholdSpec>(),
    kind::<SpikeSpec>(),
    kind::<AnomalySpec>(),
    kind::<StateChangeSpec>(),
    kind::<ConsecutiveSpec>(),
    kind::<FlappingSpec>(),
    kind::<WindowSumSpec>(),
    kind::<ActivitySpec>(),
];

impl Condition {
    /// The condition `spec` names, with its keys checked; keys of other conditions are
    /// refused, so a typo or a stray key cannot pass silently.
    pub fn from_rule(spec: &RuleSpec, rule: &str) -> Result<Self> {
        if spec.condition.trim().is_empty() {
            return Err(EngineError::invalid(
                rule,
                "condition",
                format!("is missing; use {}", known_names()),
            ));
        }
        let Some(kind) = KINDS.iter().find(|k| k.name == spec.condition) else {
            return Err(EngineError::invalid(
                rule,
                "condition",
                format!(
                    "unknown condition '{}'; use {}",
                    spec.condition,
                    known_names()
                ),
            ));
        };
        let condition = (kind.read)(spec, rule)?;
        if let Some(field) = spec
            .condition_keys()
            .into_iter()
            .find_map(|(f, set)| (set && !kind.fields.contains(&f)).then_some(f))
        {
            return Err(EngineError::invalid(
                rule,
                field,
                format!("not used by condition '{}'", spec.condition),
            ));
        }
        Ok(condition)
    }
}

impl Condition {
    /// Whether the condition has one limit a per-series table may replace (threshold,
    /// window sum, activity), and in which unit the table gives it.
    pub fn limit_unit(&self) -> Option<&'static str> {
        match self {
            Self::Threshold(_) | Self::WindowSum(_) => Some("the metric's unit"),
            Self::Activity(_) => Some("seconds"),
            _ => None,
        }
    }

    /// The limit a per-series table replaces, in the table's unit.
    pub fn limit(&self) -> Option<f64> {
        match self {
            Self::Threshold(s) => Some(s.limit),
            Self::WindowSum(s) => Some(s.limit),
            Self::Activity(s) => Some(ms_to_secs(s.max_active_ms)),
            _ => None,
        }
    }

    /// The same condition with its limit replaced by `limit` (in the unit of
    /// [`Condition::limit_unit`]); conditions without one are returned as they are.
    #[must_use]
    pub fn with_limit(self, limit: f64) -> Self {
        match self {
            Self::Threshold(s) => Self::Threshold(ThresholdSpec { limit, ..s }),
            Self::WindowSum(s) => Self::WindowSum(WindowSumSpec { limit, ..s }),
            Self::Activity(s) => Self::Activity(ActivitySpec {
                // Seconds to milliseconds; the table was checked to hold positive, finite
                // values far below the i64 range.
                #[allow(clippy::cast_possible_truncation)]
                max_active_ms: (limit * 1000.0).round() as i64,
                ..s
            }),
            other => other,
        }
    }
}

/// `threshold, spike, … or flapping`.
fn known_names() -> String {
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_a_condition_reads_is_a_key_of_the_rule_form() {
        let keys: Vec<&str> = RuleSpec::default()
            .condition_keys()
            .iter()
            .map(|(k, _)| *k)
            .collect();
        for kind in &KINDS {
            for field in kind.fields {
                assert!(keys.contains(field), "{}: {field}", kind.name);
            }
        }
        for key in keys {
            assert!(
                KINDS.iter().any(|k| k.fields.contains(&key)),
                "no condition reads '{key}'"
            );
        }
    }

    #[test]
    fn unknown_conditions_list_the_known_ones() {
        assert_eq!(
            known_names(),
            "threshold, spike, anomaly, state_change, consecutive, flapping, window_sum or activity"
        );
    }
}
