//! Rules: the raw form read from configuration ([`RuleSpec`]) and the validated form the
//! engine runs ([`Rule`]). Validation happens once; every error names the rule and the field.

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::{SeriesKey, Severity};
use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

/// Default multiple of the baseline that counts as a spike.
pub const DEFAULT_SPIKE_FACTOR: f64 = 2.0;
/// Default number of samples in a spike baseline or an anomaly window.
pub const DEFAULT_WINDOW: usize = 60;
/// Default robust z-score beyond which a value is an anomaly (Iglewicz and Hoaglin).
pub const DEFAULT_ANOMALY_LIMIT: f64 = 3.5;
/// Default time before the same alert notifies again.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(15 * 60);
/// Default number of bad samples in a row before a `consecutive` rule breaches.
pub const DEFAULT_CONSECUTIVE_COUNT: u32 = 3;
/// Default number of changes within the window that make a series flap.
pub const DEFAULT_FLAP_CHANGES: u32 = 4;
/// Default window in which a `flapping` rule counts changes.
pub const DEFAULT_FLAP_WITHIN: Duration = Duration::from_secs(10 * 60);

/// A rule as written in `[[rules]]`, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique name; appears in every event.
    pub name: String,
    /// The metric watched, e.g. `net_rx_bits_per_second`.
    pub metric: String,
    /// Label globs that all must match, e.g. `iface = "eth*"`; a leading `!` negates
    /// (`iface = "!lo"`: any interface but loopback, and series without the label).
    #[serde(default, rename = "match")]
    pub matchers: BTreeMap<String, String>,
    /// `threshold`, `spike`, `anomaly`, `state_change`, `consecutive` or `flapping`.
    pub condition: String,
    /// Threshold: fire when the value is above this.
    pub above: Option<f64>,
    /// Threshold: fire when the value is below this.
    pub below: Option<f64>,
    /// Spike: multiple of the baseline (must be > 1).
    pub factor: Option<f64>,
    /// Spike or anomaly: samples in the baseline window (must be > 0).
    pub window: Option<usize>,
    /// Spike: the least absolute rise over the baseline that can count.
    pub floor: Option<f64>,
    /// Anomaly: robust z-score limit.
    pub limit: Option<f64>,
    /// State change: the good value (default 1).
    pub from: Option<f64>,
    /// State change or consecutive: the bad value (default 0).
    pub to: Option<f64>,
    /// Consecutive: how many samples in a row must have the bad value (default 3, ≥ 1).
    pub count: Option<u32>,
    /// Flapping: how many changes of value within `within` count as flapping (default 4, ≥ 2).
    pub changes: Option<u32>,
    /// Flapping: the window in which changes are counted, e.g. `10m` (the default).
    pub within: Option<String>,
    /// Fixed severity (default `medium`).
    pub severity: Option<Severity>,
    /// Severity by value instead of a fixed one.
    pub steps: Option<Vec<StepSpec>>,
    /// How long the condition must hold before firing, e.g. `30s`.
    #[serde(rename = "for")]
    pub for_: Option<String>,
    /// Fraction of the limit the value must come back past before the alert resolves.
    pub hysteresis: Option<f64>,
    /// How long the value must stay back before the alert resolves.
    pub clear_for: Option<String>,
    /// Time before the same alert notifies again (default `15m`).
    pub cooldown: Option<String>,
}

/// One severity step as written: `{ above = 90.0, severity = "high" }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// The step applies when the value is above this.
    pub above: f64,
    /// The severity from this step up.
    pub severity: Severity,
}

/// What a threshold compares against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Fire when the value is above the limit.
    Above,
    /// Fire when the value is below the limit.
    Below,
}

/// What makes a value bad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// The value is past a fixed limit.
    Threshold {
        /// Which side of the limit is bad.
        direction: Direction,
        /// The limit in base units.
        limit: f64,
    },
    /// The value is more than `factor` times the mean of the previous `window` samples and
    /// at least `floor` above it.
    Spike {
        /// Multiple of the baseline, > 1.
        factor: f64,
        /// Samples in the baseline.
        window: usize,
        /// Least absolute rise.
        floor: f64,
    },
    /// The robust z-score (median and MAD over `window` samples) is beyond `limit`.
    Anomaly {
        /// Samples in the window.
        window: usize,
        /// z-score limit, > 0.
        limit: f64,
    },
    /// The value went from `from` to `to` (interface down, carrier lost).
    StateChange {
        /// The good value.
        from: f64,
        /// The bad value.
        to: f64,
    },
    /// The value was `to` for `count` samples in a row (a probe failed N rounds running).
    Consecutive {
        /// The bad value.
        to: f64,
        /// Samples in a row, ≥ 1.
        count: u32,
    },
    /// The value changed at least `changes` times within the last `within_ms` (a link or a
    /// probe going up and down).
    Flapping {
        /// Changes that count as flapping, ≥ 2.
        changes: u32,
        /// The window in milliseconds, > 0.
        within_ms: i64,
    },
}

/// How an alert's severity is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum SeverityPolicy {
    /// Always this severity.
    Fixed(Severity),
    /// By value: the highest step whose `above` the value exceeds; `low` below all steps.
    Steps(Vec<StepSpec>),
}

impl SeverityPolicy {
    /// The severity for a value.
    pub fn for_value(&self, value: f64) -> Severity {
        match self {
            Self::Fixed(s) => *s,
            Self::Steps(steps) => steps
                .iter()
                .rev()
                .find(|s| value > s.above)
                .map_or(Severity::Low, |s| s.severity),
        }
    }
}

/// The timing of a rule's lifecycle, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The condition must hold this long before firing.
    pub for_ms: i64,
    /// The value must stay back this long before resolving.
    pub clear_for_ms: i64,
    /// Time before the same (rule, series) notifies again.
    pub cooldown_ms: i64,
}

/// One label matcher: the label must exist and match the glob, or, negated, must not match
/// it (a missing label counts as the empty value, as in Prometheus' `!=`).
#[derive(Debug, Clone)]
pub struct Matcher {
    /// The label name.
    pub label: String,
    /// True for `!glob`.
    pub negated: bool,
    glob: GlobMatcher,
}

impl Matcher {
    /// True when the series has the label and its value satisfies this matcher. A negated
    /// matcher (`iface = "!lo"`) also needs the label: it means "an interface other than lo",
    /// so series without an `iface` (the `scope="total"` sums) are not watched twice.
    pub fn matches(&self, series: &SeriesKey) -> bool {
        series
            .labels
            .get(&self.label)
            .is_some_and(|v| self.glob.is_match(v) != self.negated)
    }
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique name.
    pub name: String,
    /// The metric watched.
    pub metric: String,
    /// Label matchers, all of which must match.
    pub matchers: Vec<Matcher>,
    /// What makes a value bad.
    pub condition: Condition,
    /// How severity is chosen.
    pub severity: SeverityPolicy,
    /// Fraction of the limit the value must come back past before resolving (0 ≤ h < 1).
    pub hysteresis: f64,
    /// Lifecycle timing.
    pub timing: Timing,
}

impl Rule {
    /// True when this rule watches the series.
    pub fn matches(&self, series: &SeriesKey) -> bool {
        series.metric == self.metric && self.matchers.iter().all(|m| m.matches(series))
    }
}

/// Builds the error for one field of one rule.
fn invalid(rule: &str, field: &str, reason: impl Into<String>) -> EngineError {
    EngineError::InvalidField {
        rule: rule.to_owned(),
        field: field.to_owned(),
        reason: reason.into(),
    }
}

impl RuleSpec {
    /// Checks every field and returns the rule the engine runs.
    pub fn validate(&self) -> Result<Rule> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(invalid("?", "name", "must not be empty"));
        }
        if self.metric.trim().is_empty() {
            return Err(invalid(name, "metric", "must not be empty"));
        }
        let condition = self.condition(name)?;
        self.reject_unused(name)?;
        let hysteresis = self.hysteresis.unwrap_or(0.0);
        if !(0.0..1.0).contains(&hysteresis) {
            return Err(invalid(
                name,
                "hysteresis",
                "must be at least 0 and below 1",
            ));
        }
        Ok(Rule {
            name: name.to_owned(),
            metric: self.metric.trim().to_owned(),
            matchers: self.matchers(name)?,
            condition,
            severity: self.severity_policy(name)?,
            hysteresis,
            timing: Timing {
                for_ms: duration_ms(name, "for", self.for_.as_deref(), Duration::ZERO)?,
                clear_for_ms: duration_ms(
                    name,
                    "clear_for",
                    self.clear_for.as_deref(),
                    Duration::ZERO,
                )?,
                cooldown_ms: duration_ms(
                    name,
                    "cooldown",
                    self.cooldown.as_deref(),
                    DEFAULT_COOLDOWN,
                )?,
            },
        })
    }

    fn condition(&self, name: &str) -> Result<Condition> {
        match self.condition.as_str() {
            "threshold" => self.threshold(name),
            "spike" => self.spike(name),
            "anomaly" => self.anomaly(name),
            "state_change" => self.state_change(name),
            "consecutive" => self.consecutive(name),
            "flapping" => self.flapping(name),
            other => Err(invalid(
                name,
                "condition",
                format!(
                    "unknown condition '{other}'; use threshold, spike, anomaly, state_change, \
                     consecutive or flapping"
                ),
            )),
        }
    }

    fn threshold(&self, name: &str) -> Result<Condition> {
        let (direction, limit, field) = match (self.above, self.below) {
            (Some(l), None) => (Direction::Above, l, "above"),
            (None, Some(l)) => (Direction::Below, l, "below"),
            (Some(_), Some(_)) => {
                return Err(invalid(name, "below", "set 'above' or 'below', not both"))
            }
            (None, None) => {
                return Err(invalid(
                    name,
                    "above",
                    "a threshold needs 'above' or 'below'",
                ))
            }
        };
        if !limit.is_finite() {
            return Err(invalid(name, field, "must be a finite number"));
        }
        Ok(Condition::Threshold { direction, limit })
    }

    fn spike(&self, name: &str) -> Result<Condition> {
        let factor = self.factor.unwrap_or(DEFAULT_SPIKE_FACTOR);
        if !(factor.is_finite() && factor > 1.0) {
            return Err(invalid(
                name,
                "factor",
                format!("must be greater than 1, got {factor}"),
            ));
        }
        let floor = self.floor.unwrap_or(0.0);
        if !(floor.is_finite() && floor >= 0.0) {
            return Err(invalid(name, "floor", "must be a finite number ≥ 0"));
        }
        Ok(Condition::Spike {
            factor,
            window: self.window(name, 1)?,
            floor,
        })
    }

    fn anomaly(&self, name: &str) -> Result<Condition> {
        let limit = self.limit.unwrap_or(DEFAULT_ANOMALY_LIMIT);
        if !(limit.is_finite() && limit > 0.0) {
            return Err(invalid(
                name,
                "limit",
                format!("must be greater than 0, got {limit}"),
            ));
        }
        Ok(Condition::Anomaly {
            window: self.window(name, 3)?,
            limit,
        })
    }

    fn state_change(&self, name: &str) -> Result<Condition> {
        let from = self.from.unwrap_or(1.0);
        let to = self.to.unwrap_or(0.0);
        if !from.is_finite() || !to.is_finite() {
            return Err(invalid(
                name,
                "to",
                "'from' and 'to' must be finite numbers",
            ));
        }
        if (from - to).abs() < f64::EPSILON {
            return Err(invalid(name, "to", "must differ from 'from'"));
        }
        Ok(Condition::StateChange { from, to })
    }

    fn consecutive(&self, name: &str) -> Result<Condition> {
        let to = self.to.unwrap_or(0.0);
        if !to.is_finite() {
            return Err(invalid(name, "to", "must be a finite number"));
        }
        let count = self.count.unwrap_or(DEFAULT_CONSECUTIVE_COUNT);
        if count < 1 {
            return Err(invalid(
                name,
                "count",
                format!("must be at least 1, got {count}"),
            ));
        }
        Ok(Condition::Consecutive { to, count })
    }

    fn flapping(&self, name: &str) -> Result<Condition> {
        let changes = self.changes.unwrap_or(DEFAULT_FLAP_CHANGES);
        if changes < 2 {
            return Err(invalid(
                name,
                "changes",
                format!("must be at least 2, got {changes}"),
            ));
        }
        let within_ms = duration_ms(name, "within", self.within.as_deref(), DEFAULT_FLAP_WITHIN)?;
        if within_ms <= 0 {
            return Err(invalid(name, "within", "must be greater than 0"));
        }
        Ok(Condition::Flapping { changes, within_ms })
    }

    fn window(&self, name: &str, least: usize) -> Result<usize> {
        let window = self.window.unwrap_or(DEFAULT_WINDOW);
        if window < least {
            return Err(invalid(
                name,
                "window",
                format!("must be at least {least}, got {window}"),
            ));
        }
        Ok(window)
    }

    /// Refuses fields the chosen condition does not read, so a typo cannot pass silently.
    fn reject_unused(&self, name: &str) -> Result<()> {
        let used: &[&str] = match self.condition.as_str() {
            "threshold" => &["above", "below"],
            "spike" => &["factor", "window", "floor"],
            "anomaly" => &["window", "limit"],
            "consecutive" => &["to", "count"],
            "flapping" => &["changes", "within"],
            _ => &["from", "to"],
        };
        let set = [
            ("above", self.above.is_some()),
            ("below", self.below.is_some()),
            ("factor", self.factor.is_some()),
            ("window", self.window.is_some()),
            ("floor", self.floor.is_some()),
            ("limit", self.limit.is_some()),
            ("from", self.from.is_some()),
            ("to", self.to.is_some()),
            ("count", self.count.is_some()),
            ("changes", self.changes.is_some()),
            ("within", self.within.is_some()),
        ];
        match set
            .iter()
            .find(|(f, present)| *present && !used.contains(f))
        {
            Some((field, _)) => Err(invalid(
                name,
                field,
                format!("not used by condition '{}'", self.condition),
            )),
            None => Ok(()),
        }
    }

    fn matchers(&self, name: &str) -> Result<Vec<Matcher>> {
        self.matchers
            .iter()
            .map(|(label, pattern)| {
                let field = format!("match.{label}");
                if label.is_empty() {
                    return Err(invalid(name, &field, "label name must not be empty"));
                }
                let (negated, glob_text) = match pattern.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, pattern.as_str()),
                };
                let glob = Glob::new(glob_text).map_err(|source| EngineError::BadMatcher {
                    rule: name.to_owned(),
                    field,
                    pattern: pattern.clone(),
                    source,
                })?;
                Ok(Matcher {
                    label: label.clone(),
                    negated,
                    glob: glob.compile_matcher(),
                })
            })
            .collect()
    }

    fn severity_policy(&self, name: &str) -> Result<SeverityPolicy> {
        let Some(steps) = &self.steps else {
            return Ok(SeverityPolicy::Fixed(
                self.severity.unwrap_or(Severity::Medium),
            ));
        };
        if self.severity.is_some() {
            return Err(invalid(
                name,
                "steps",
                "set 'severity' or 'steps', not both",
            ));
        }
        if steps.is_empty() {
            return Err(invalid(name, "steps", "needs at least one step"));
        }
        if let Some(s) = steps.iter().find(|s| !s.above.is_finite()) {
            return Err(invalid(
                name,
                "steps",
                format!("step above {} is not finite", s.above),
            ));
        }
        for pair in steps.windows(2) {
            if pair[1].above <= pair[0].above || pair[1].severity <= pair[0].severity {
                return Err(invalid(
                    name,
                    "steps",
                    format!(
                        "overlapping steps: 'above' and 'severity' must both rise ({} {} then {} {})",
                        pair[0].above, pair[0].severity, pair[1].above, pair[1].severity
                    ),
                ));
            }
        }
        Ok(SeverityPolicy::Steps(steps.clone()))
    }
}

fn duration_ms(rule: &str, field: &str, text: Option<&str>, default: Duration) -> Result<i64> {
    let d = match text {
        None => default,
        Some(t) => humantime::parse_duration(t).map_err(|source| EngineError::BadDuration {
            rule: rule.to_owned(),
            field: field.to_owned(),
            text: t.to_owned(),
            source,
        })?,
    };
    Ok(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(condition: &str) -> RuleSpec {
        RuleSpec {
            name: "r".into(),
            metric: "m".into(),
            condition: condition.into(),
            ..RuleSpec::default()
        }
    }

    fn err(s: &RuleSpec) -> String {
        s.validate()
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    fn check(cases: Vec<(RuleSpec, &str)>) {
        for (s, want) in cases {
            let got = err(&s);
            assert!(got.starts_with(want), "want {want:?}, got {got:?}");
        }
    }

    #[test]
    fn refuses_bad_rules_naming_rule_and_field() {
        let cases: Vec<(RuleSpec, &str)> = vec![
            (
                spec("ramp"),
                "rule 'r': field 'condition': unknown condition 'ramp'",
            ),
            (
                RuleSpec {
                    factor: Some(1.0),
                    ..spec("spike")
                },
                "rule 'r': field 'factor': must be greater than 1",
            ),
            (
                RuleSpec {
                    window: Some(0),
                    ..spec("spike")
                },
                "rule 'r': field 'window': must be at least 1",
            ),
            (
                RuleSpec {
                    window: Some(0),
                    ..spec("anomaly")
                },
                "rule 'r': field 'window'",
            ),
            (spec("threshold"), "rule 'r': field 'above'"),
            (
                RuleSpec {
                    above: Some(1.0),
                    factor: Some(3.0),
                    ..spec("threshold")
                },
                "rule 'r': field 'factor': not used",
            ),
            (
                RuleSpec {
                    matchers: [("iface".to_owned(), "eth[".to_owned())].into(),
                    ..spec("state_change")
                },
                "rule 'r': field 'match.iface': bad glob 'eth['",
            ),
            (
                RuleSpec {
                    for_: Some("soon".into()),
                    ..spec("state_change")
                },
                "rule 'r': field 'for': 'soon'",
            ),
            (
                RuleSpec {
                    steps: Some(vec![
                        StepSpec {
                            above: 90.0,
                            severity: Severity::High,
                        },
                        StepSpec {
                            above: 80.0,
                            severity: Severity::Critical,
                        },
                    ]),
                    above: Some(80.0),
                    ..spec("threshold")
                },
                "rule 'r': field 'steps': overlapping steps",
            ),
            (
                RuleSpec {
                    hysteresis: Some(1.5),
                    ..spec("state_change")
                },
                "rule 'r': field 'hysteresis'",
            ),
            (
                RuleSpec {
                    from: Some(1.0),
                    to: Some(1.0),
                    ..spec("state_change")
                },
                "rule 'r': field 'to'",
            ),
        ];
        check(cases);
    }

    #[test]
    fn refuses_bad_probe_rules() {
        let cases: Vec<(RuleSpec, &str)> = vec![
            (
                RuleSpec {
                    count: Some(0),
                    ..spec("consecutive")
                },
                "rule 'r': field 'count': must be at least 1, got 0",
            ),
            (
                RuleSpec {
                    to: Some(f64::NAN),
                    ..spec("consecutive")
                },
                "rule 'r': field 'to': must be a finite number",
            ),
            (
                RuleSpec {
                    from: Some(1.0),
                    ..spec("consecutive")
                },
                "rule 'r': field 'from': not used by condition 'consecutive'",
            ),
            (
                RuleSpec {
                    changes: Some(1),
                    ..spec("flapping")
                },
                "rule 'r': field 'changes': must be at least 2, got 1",
            ),
            (
                RuleSpec {
                    within: Some("0s".into()),
                    ..spec("flapping")
                },
                "rule 'r': field 'within': must be greater than 0",
            ),
            (
                RuleSpec {
                    within: Some("soon".into()),
                    ..spec("flapping")
                },
                "rule 'r': field 'within': 'soon'",
            ),
            (
                RuleSpec {
                    to: Some(0.0),
                    ..spec("flapping")
                },
                "rule 'r': field 'to': not used by condition 'flapping'",
            ),
            (
                RuleSpec {
                    count: Some(3),
                    ..spec("flapping")
                },
                "rule 'r': field 'count': not used by condition 'flapping'",
            ),
            (
                RuleSpec {
                    changes: Some(3),
                    ..spec("consecutive")
                },
                "rule 'r': field 'changes': not used by condition 'consecutive'",
            ),
            (
                RuleSpec {
                    within: Some("1m".into()),
                    ..spec("state_change")
                },
                "rule 'r': field 'within': not used by condition 'state_change'",
            ),
        ];
        check(cases);
    }

    #[test]
    fn defaults_apply() {
        let r = spec("spike").validate().expect("valid");
        assert_eq!(
            r.condition,
            Condition::Spike {
                factor: 2.0,
                window: 60,
                floor: 0.0
            }
        );
        assert_eq!(r.timing.cooldown_ms, 900_000);
        assert_eq!(r.severity, SeverityPolicy::Fixed(Severity::Medium));
        let r = spec("consecutive").validate().expect("valid");
        assert_eq!(r.condition, Condition::Consecutive { to: 0.0, count: 3 });
        let r = spec("flapping").validate().expect("valid");
        assert_eq!(
            r.condition,
            Condition::Flapping {
                changes: 4,
                within_ms: 600_000
            }
        );
    }

    #[test]
    fn probe_conditions_take_their_fields() {
        let r = RuleSpec {
            to: Some(2.0),
            count: Some(1),
            ..spec("consecutive")
        }
        .validate()
        .expect("valid");
        assert_eq!(r.condition, Condition::Consecutive { to: 2.0, count: 1 });
        let r = RuleSpec {
            changes: Some(2),
            within: Some("90s".into()),
            for_: Some("30s".into()),
            ..spec("flapping")
        }
        .validate()
        .expect("valid");
        assert_eq!(
            r.condition,
            Condition::Flapping {
                changes: 2,
                within_ms: 90_000
            }
        );
        assert_eq!(r.timing.for_ms, 30_000);
    }

    #[test]
    fn steps_pick_the_highest_exceeded() {
        let p = SeverityPolicy::Steps(vec![
            StepSpec {
                above: 80.0,
                severity: Severity::Medium,
            },
            StepSpec {
                above: 90.0,
                severity: Severity::High,
            },
            StepSpec {
                above: 98.0,
                severity: Severity::Critical,
            },
        ]);
        assert_eq!(p.for_value(50.0), Severity::Low);
        assert_eq!(p.for_value(85.0), Severity::Medium);
        assert_eq!(p.for_value(90.0), Severity::Medium);
        assert_eq!(p.for_value(99.0), Severity::Critical);
    }

    #[test]
    fn matchers_need_the_label() {
        let r = RuleSpec {
            matchers: [("iface".to_owned(), "eth*".to_owned())].into(),
            ..spec("state_change")
        }
        .validate()
        .expect("valid");
        let key = |v: &str| SeriesKey::with_label("m", "iface", v);
        assert!(r.matches(&key("eth0")));
        assert!(!r.matches(&key("wlan0")));
        assert!(!r.matches(&SeriesKey::with_label("m", "host", "eth0")));
        assert!(!r.matches(&SeriesKey::with_label("n", "iface", "eth0")));
    }

    #[test]
    fn negated_matchers_exclude() {
        let r = RuleSpec {
            matchers: [("iface".to_owned(), "!lo".to_owned())].into(),
            ..spec("state_change")
        }
        .validate()
        .expect("valid");
        assert!(r.matches(&SeriesKey::with_label("m", "iface", "eth0")));
        assert!(!r.matches(&SeriesKey::with_label("m", "iface", "lo")));
        assert!(
            !r.matches(&SeriesKey::with_label("m", "scope", "total")),
            "a negated matcher still needs the label"
        );
    }
}
