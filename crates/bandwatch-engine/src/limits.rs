//! Per-series limits: one rule whose limit depends on a label's value, with the rule's own
//! limit as the default (`device-bandwidth`: Laptop 500 MB, Smart TV 2 GB, every other
//! device 100 MB). Written as two keys next to the condition's own:
//!
//! ```toml
//! limit_by = "device"
//! limits = { Laptop = 500e6, "Smart TV" = 2e9 }
//! ```
//!
//! Threshold, window-sum and activity rules take them (in the unit of their limit: the
//! metric's unit for `above`/`below`, seconds for `max_active`). The limit is looked up once,
//! when the engine first sees a series, so the table costs nothing per sample.

use std::collections::BTreeMap;

use bandwatch_core::SeriesKey;

use crate::detect::Condition;
use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

/// A validated limit table: the label it is keyed by and the limit for each listed value.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitTable {
    /// The label whose value picks the limit, e.g. `device`.
    pub label: String,
    /// The limit for each listed value.
    pub values: BTreeMap<String, f64>,
}

impl LimitTable {
    /// Reads `limit_by` and `limits` of `spec` for its (already validated) condition; `None`
    /// when neither is set. Every error names the rule and the field.
    pub fn read(spec: &RuleSpec, rule: &str, condition: &Condition) -> Result<Option<Self>> {
        let (label, values) = match (&spec.limit_by, &spec.limits) {
            (None, None) => return Ok(None),
            (Some(label), Some(values)) => (label.trim(), values),
            (Some(_), None) => {
                return Err(EngineError::invalid(
                    rule,
                    "limit_by",
                    "needs 'limits', the limit for each value, e.g. limits = { Laptop = 500e6 }",
                ))
            }
            (None, Some(_)) => {
                return Err(EngineError::invalid(
                    rule,
                    "limits",
                    "needs 'limit_by', the label whose value picks the limit, e.g. limit_by = \"device\"",
                ))
            }
        };
        if label.is_empty() {
            return Err(EngineError::invalid(rule, "limit_by", "must name a label"));
        }
        // Conditions without a single limit refuse the keys as unused before this runs.
        let positive = matches!(condition, Condition::Activity(_));
        for (value, limit) in values {
            let ok = limit.is_finite() && (!positive || (*limit > 0.0 && *limit < 1e12));
            if !ok {
                let want = if positive {
                    "a number of seconds greater than 0"
                } else {
                    "a finite number"
                };
                return Err(EngineError::invalid(
                    rule,
                    &format!("limits.{value}"),
                    format!("must be {want}, got {limit}"),
                ));
            }
        }
        Ok(Some(Self {
            label: label.to_owned(),
            values: values.clone(),
        }))
    }

    /// The limit for `series`: its label's listed value, else `None` (the rule's own).
    pub fn for_series(&self, series: &SeriesKey) -> Option<f64> {
        let value = series.labels.get(&self.label)?;
        self.values.get(value).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(limit_by: Option<&str>, limits: Option<&[(&str, f64)]>) -> RuleSpec {
        RuleSpec {
            name: "r".into(),
            metric: "device_bytes".into(),
            condition: "window_sum".into(),
            above: Some(100e6),
            limit_by: limit_by.map(Into::into),
            limits: limits.map(|l| l.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()),
            ..RuleSpec::default()
        }
    }

    #[test]
    fn picks_the_listed_limit_else_the_rules_own() {
        let rule = spec(Some("device"), Some(&[("Laptop", 500e6)]))
            .validate()
            .expect("valid");
        let key = |d: &str| SeriesKey::with_label("device_bytes", "device", d);
        assert_eq!(rule.condition_for(&key("Laptop")).limit(), Some(500e6));
        assert_eq!(rule.condition_for(&key("Phone")).limit(), Some(100e6));
        let other = SeriesKey::with_label("device_bytes", "ip", "Laptop");
        assert_eq!(rule.condition_for(&other).limit(), Some(100e6));
    }

    #[test]
    fn refuses_half_tables_and_bad_values() {
        let err = |s: RuleSpec| s.validate().expect_err("invalid").to_string();
        assert_eq!(
            err(spec(Some("device"), None)),
            "rule 'r': field 'limit_by': needs 'limits', the limit for each value, e.g. limits = { Laptop = 500e6 }"
        );
        assert!(err(spec(None, Some(&[("a", 1.0)]))).starts_with("rule 'r': field 'limits':"));
        assert_eq!(
            err(spec(Some("device"), Some(&[("TV", f64::NAN)]))),
            "rule 'r': field 'limits.TV': must be a finite number, got NaN"
        );
        let activity = RuleSpec {
            condition: "activity".into(),
            above: None,
            max_active: Some("3h".into()),
            ..spec(Some("device"), Some(&[("TV", 0.0)]))
        };
        assert_eq!(
            err(activity),
            "rule 'r': field 'limits.TV': must be a number of seconds greater than 0, got 0"
        );
        let spike = RuleSpec {
            condition: "spike".into(),
            above: None,
            ..spec(Some("device"), Some(&[("TV", 1.0)]))
        };
        assert_eq!(
            err(spike),
            "rule 'r': field 'limit_by': not used by condition 'spike'"
        );
    }
}
