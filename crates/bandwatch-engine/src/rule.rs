//! Rules: the raw form read from configuration ([`RuleSpec`]) and the validated form the
//! engine runs ([`Rule`]). Validation happens once; every error names the rule and the field.
//!
//! This module holds what every rule has (name, metric, label selector, severity, `for`,
//! hysteresis, `clear_for`, cooldown) and hands the condition's keys to the detector module
//! that owns them ([`Condition::from_rule`]); per-series limits are [`LimitTable`].

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::{Selector, SelectorError, SeriesKey, Severity, Term};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::limits::LimitTable;

pub use crate::detect::{Condition, Direction};

/// Default time before the same (rule, series) notifies again; alerts within it are still
/// recorded.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(15 * 60);

/// A rule as written in `[[rules]]`, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique name; appears in every event.
    pub name: String,
    /// The metric watched, e.g. `net_rx_bits_per_second` (only a rule written to remove
    /// another, with `enabled = false`, may leave it out).
    #[serde(default)]
    pub metric: String,
    /// Label patterns that all must match, e.g. `iface = "eth*"`; a leading `!` negates
    /// (`iface = "!lo"`: any interface but loopback), `~` makes a regex. The one selector of
    /// `bandwatch_core::selector`: a term needs its label, except an empty pattern.
    #[serde(default, rename = "match")]
    pub matchers: BTreeMap<String, String>,
    /// `threshold`, `spike`, `anomaly`, `state_change`, `consecutive`, `flapping`,
    /// `window_sum` or `activity`.
    #[serde(default)]
    pub condition: String,
    /// Threshold: fire when the value is above this. Window sum: when the sum is.
    pub above: Option<f64>,
    /// Threshold: fire when the value is below this.
    pub below: Option<f64>,
    /// Spike: multiple of the baseline (must be > 1).
    pub factor: Option<f64>,
    /// Spike or anomaly: samples in the baseline window (must be > 0).
    pub window: Option<usize>,
    /// Spike: the least absolute rise over the baseline that can count. Activity: values
    /// above it are activity (default 0).
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
    /// Flapping: the window in which changes are counted, e.g. `10m` (the default). Window
    /// sum: the rolling window summed over (default `1h`).
    pub within: Option<String>,
    /// Activity: the shortest break that ends a run of activity (default `5m`).
    pub idle_gap: Option<String>,
    /// Activity: how long a run of activity may last, e.g. `5h`.
    pub max_active: Option<String>,
    /// Per-series limits: the label whose value picks the limit from `limits`.
    pub limit_by: Option<String>,
    /// Per-series limits: the limit for each value of `limit_by` (the rule's own limit is the
    /// default), in the limit's unit (seconds for `max_active`).
    pub limits: Option<BTreeMap<String, f64>>,
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
    /// Time before the same (rule, series) notifies again (default `15m`): a reminder while
    /// an alert fires; new alerts within it are recorded but not sent.
    pub cooldown: Option<String>,
    /// `false` removes the rule, and with it a built-in rule of the same name (default true).
    pub enabled: Option<bool>,
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
    /// Time before a firing alert of the same (rule, series) is renotified.
    pub cooldown_ms: i64,
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique name.
    pub name: String,
    /// The metric watched.
    pub metric: String,
    /// Which series of the metric it watches.
    pub selector: Selector,
    /// What makes a value bad.
    pub condition: Condition,
    /// Limits by a label's value, replacing the condition's own for the series listed.
    pub limits: Option<LimitTable>,
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
        series.metric == self.metric && self.selector.matches(series)
    }

    /// The condition for one series: the rule's own, with the limit its label's value picks
    /// from the limit table when it lists one.
    pub fn condition_for(&self, series: &SeriesKey) -> Condition {
        self.limits
            .as_ref()
            .and_then(|t| t.for_series(series))
            .map_or(self.condition, |limit| self.condition.with_limit(limit))
    }
}

impl RuleSpec {
    /// Whether the rule runs: not when written with `enabled = false`.
    pub fn is_enabled(&self) -> bool {
        self.enabled != Some(false)
    }

    /// Checks every field and returns the rule the engine runs.
    pub fn validate(&self) -> Result<Rule> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(EngineError::invalid("?", "name", "must not be empty"));
        }
        if self.metric.trim().is_empty() {
            return Err(EngineError::invalid(name, "metric", "must not be empty"));
        }
        let condition = Condition::from_rule(self, name)?;
        let limits = LimitTable::read(self, name, &condition)?;
        let hysteresis = self.hysteresis.unwrap_or(0.0);
        if !(0.0..1.0).contains(&hysteresis) {
            return Err(EngineError::invalid(
                name,
                "hysteresis",
                "must be at least 0 and below 1",
            ));
        }
        Ok(Rule {
            name: name.to_owned(),
            metric: self.metric.trim().to_owned(),
            selector: self.selector(name)?,
            condition,
            limits,
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

    /// The condition-specific keys in the order they are checked, and whether each is set;
    /// the detector modules say which of them they read.
    pub(crate) fn condition_keys(&self) -> [(&'static str, bool); 15] {
        [
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
            ("idle_gap", self.idle_gap.is_some()),
            ("max_active", self.max_active.is_some()),
            ("limit_by", self.limit_by.is_some()),
            ("limits", self.limits.is_some()),
        ]
    }

    fn selector(&self, name: &str) -> Result<Selector> {
        self.matchers
            .iter()
            .map(|(label, pattern)| {
                let field = format!("match.{label}");
                if label.is_empty() {
                    return Err(EngineError::invalid(
                        name,
                        &field,
                        "label name must not be empty",
                    ));
                }
                Term::new(label, pattern)
                    .map_err(|source| bad_matcher(name, field, label, pattern, source))
            })
            .collect::<Result<Vec<_>>>()
            .map(Selector::new)
    }

    fn severity_policy(&self, name: &str) -> Result<SeverityPolicy> {
        let Some(steps) = &self.steps else {
            return Ok(SeverityPolicy::Fixed(
                self.severity.unwrap_or(Severity::Medium),
            ));
        };
        if self.severity.is_some() {
            return Err(EngineError::invalid(
                name,
                "steps",
                "set 'severity' or 'steps', not both",
            ));
        }
        if steps.is_empty() {
            return Err(EngineError::invalid(
                name,
                "steps",
                "needs at least one step",
            ));
        }
        if let Some(s) = steps.iter().find(|s| !s.above.is_finite()) {
            return Err(EngineError::invalid(
                name,
                "steps",
                format!("step above {} is not finite", s.above),
            ));
        }
        for pair in steps.windows(2) {
            if pair[1].above <= pair[0].above || pair[1].severity <= pair[0].severity {
                return Err(EngineError::invalid(
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

/// The error for a `match` pattern the selector refused. A bad glob keeps the words rules
/// have always used (`bad glob 'eth[': unclosed character class; missing ']'`, pinned by the
/// goldens); other problems (a regex, a label name) keep the selector's own message.
fn bad_matcher(
    rule: &str,
    field: String,
    label: &str,
    pattern: &str,
    source: SelectorError,
) -> EngineError {
    // The selector words a glob error "bad glob '<glob>' for label '<label>': <why>; use …".
    let marker = format!("' for label '{}': ", label.trim());
    let problem = match (
        source.0.starts_with("bad glob '"),
        source.0.split_once(&marker),
    ) {
        (true, Some((_, why))) => {
            let why = why.split_once("; use shell-style").map_or(why, |(w, _)| w);
            format!("bad glob '{pattern}': {why}")
        }
        _ => source.0.clone(),
    };
    EngineError::BadMatcher {
        rule: rule.to_owned(),
        field,
        pattern: pattern.to_owned(),
        problem,
        source,
    }
}

/// A humantime duration in milliseconds, `default` when not set.
pub(crate) fn duration_ms(
    rule: &str,
    field: &str,
    text: Option<&str>,
    default: Duration,
) -> Result<i64> {
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
    use crate::detect::{ConsecutiveSpec, FlappingSpec, SpikeSpec};

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
            Condition::Spike(SpikeSpec {
                factor: 2.0,
                window: 60,
                floor: 0.0
            })
        );
        assert_eq!(r.timing.cooldown_ms, 900_000);
        assert_eq!(r.severity, SeverityPolicy::Fixed(Severity::Medium));
        let r = spec("consecutive").validate().expect("valid");
        assert_eq!(
            r.condition,
            Condition::Consecutive(ConsecutiveSpec { to: 0.0, count: 3 })
        );
        let r = spec("flapping").validate().expect("valid");
        assert_eq!(
            r.condition,
            Condition::Flapping(FlappingSpec {
                changes: 4,
                within_ms: 600_000
            })
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
        assert_eq!(
            r.condition,
            Condition::Consecutive(ConsecutiveSpec { to: 2.0, count: 1 })
        );
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
            Condition::Flapping(FlappingSpec {
                changes: 2,
                within_ms: 90_000
            })
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

    #[test]
    fn matcher_errors_keep_the_rule_wording() {
        let bad = |pattern: &str| {
            err(&RuleSpec {
                matchers: [("iface".to_owned(), pattern.to_owned())].into(),
                ..spec("state_change")
            })
        };
        assert_eq!(
            bad("eth["),
            "rule 'r': field 'match.iface': bad glob 'eth[': unclosed character class; missing ']'"
        );
        assert_eq!(
            bad("!eth["),
            "rule 'r': field 'match.iface': bad glob '!eth[': unclosed character class; missing ']'"
        );
        assert_eq!(
            bad("~("),
            "rule 'r': field 'match.iface': '(' is not a valid regular expression for label 'iface'"
        );
        let err = err(&RuleSpec {
            matchers: [(String::new(), "x".to_owned())].into(),
            ..spec("state_change")
        });
        assert_eq!(
            err,
            "rule 'r': field 'match.': label name must not be empty"
        );
    }

    #[test]
    fn matchers_are_the_one_selector() {
        let r = RuleSpec {
            matchers: [
                ("iface".to_owned(), "~eth[0-9]+".to_owned()),
                ("scope".to_owned(), String::new()),
            ]
            .into(),
            ..spec("state_change")
        }
        .validate()
        .expect("valid");
        assert!(r.matches(&SeriesKey::with_label("m", "iface", "eth0")));
        assert!(!r.matches(&SeriesKey::with_label("m", "iface", "ethx")));
        let total = SeriesKey::new(
            "m",
            bandwatch_core::Labels::from_pairs([("iface", "eth0"), ("scope", "total")]),
        );
        assert!(
            !r.matches(&total),
            "an empty pattern selects series without the label"
        );
    }
}
