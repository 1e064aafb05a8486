//! Alert rules: the user's `[[rules]]` plus the two threshold rules that the seed options
//! (`--upload-threshold`, `--download-threshold`) have always meant.

use std::collections::BTreeMap;

use bandwatch_collect::netdev::metric;
use bandwatch_core::Severity;
use bandwatch_engine::RuleSpec;

use super::error::ConfigError;
use super::origin::Setting;
use super::Config;

/// Name of the rule made from `thresholds.upload_mbps`.
pub const UPLOAD_RULE: &str = "upload-threshold";
/// Name of the rule made from `thresholds.download_mbps`.
pub const DOWNLOAD_RULE: &str = "download-threshold";

/// Metrics a rule may watch: every series some source emits.
fn known_metric(name: &str) -> bool {
    metric::ALL.iter().any(|m| m.name == name)
}

/// Checks every user rule: fields (by the engine's own validation), the metric, unique names.
pub fn validate(
    rules: Option<Setting<Vec<Setting<RuleSpec>>>>,
) -> Result<Vec<RuleSpec>, ConfigError> {
    let Some(rules) = rules else {
        return Ok(Vec::new());
    };
    let mut seen = BTreeMap::new();
    let mut out = Vec::with_capacity(rules.value.len());
    for rule in rules.value {
        let fail = |message: String| ConfigError::Rule {
            origin: rule.origin.clone(),
            message,
        };
        rule.value.validate().map_err(|e| fail(e.to_string()))?;
        if !known_metric(rule.value.metric.trim()) {
            let known: Vec<&str> = metric::ALL.iter().map(|m| m.name).collect();
            return Err(fail(format!(
                "rule '{}': field 'metric': unknown metric '{}'; known metrics: {}",
                rule.value.name,
                rule.value.metric,
                known.join(", ")
            )));
        }
        if let Some(first) = seen.insert(rule.value.name.clone(), rule.origin.clone()) {
            return Err(fail(format!(
                "rule '{}': field 'name': already used by the rule at {first}; names must be unique",
                rule.value.name
            )));
        }
        out.push(rule.value);
    }
    Ok(out)
}

/// The rules the engine runs: the two seed threshold rules (unless a user rule takes their
/// name) followed by the user's rules.
pub fn effective_rules(config: &Config) -> Vec<RuleSpec> {
    let mut rules = Vec::with_capacity(config.rules.len() + 2);
    let defaults = [
        (
            UPLOAD_RULE,
            metric::NET_TX_BITS_PER_SECOND,
            config.thresholds.upload_bps,
        ),
        (
            DOWNLOAD_RULE,
            metric::NET_RX_BITS_PER_SECOND,
            config.thresholds.download_bps,
        ),
    ];
    for (name, metric_name, limit) in defaults {
        if config.rules.iter().all(|r| r.name != name) {
            rules.push(threshold_rule(name, metric_name, limit));
        }
    }
    rules.extend(config.rules.iter().cloned());
    let cooldown = humantime::format_duration(config.thresholds.cooldown).to_string();
    for r in &mut rules {
        if r.cooldown.is_none() {
            r.cooldown = Some(cooldown.clone());
        }
    }
    rules
}

/// A per-interface "above the limit" rule; loopback is not a network link, so it is left out.
fn threshold_rule(name: &str, metric_name: &str, limit_bps: f64) -> RuleSpec {
    RuleSpec {
        name: name.to_string(),
        metric: metric_name.to_string(),
        matchers: BTreeMap::from([(metric::LABEL_IFACE.to_string(), "!lo".to_string())]),
        condition: "threshold".to_string(),
        above: Some(limit_bps),
        severity: Some(Severity::Medium),
        ..RuleSpec::default()
    }
}
