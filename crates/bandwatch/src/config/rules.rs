//! Alert rules: the user's `[[rules]]` plus the two threshold rules that the seed options
//! (`--upload-threshold`, `--download-threshold`) have always meant.

use std::collections::BTreeMap;

use bandwatch_collect::netdev::metric;
use bandwatch_collect::probe::metric as probe_metric;
use bandwatch_collect::system::metric as system_metric;
use bandwatch_core::{Role, Severity};
use bandwatch_engine::RuleSpec;

use super::error::ConfigError;
use super::origin::Setting;
use super::probe::ProbeSettings;
use super::Config;

/// Name of the rule made from `thresholds.upload_mbps`.
pub const UPLOAD_RULE: &str = "upload-threshold";
/// Name of the rule made from `thresholds.download_mbps`.
pub const DOWNLOAD_RULE: &str = "download-threshold";

/// Name of the rule made from `thresholds.cpu_percent`.
pub const CPU_RULE: &str = "cpu-threshold";
/// Name of the rule made from `thresholds.memory_percent`.
pub const MEMORY_RULE: &str = "memory-threshold";
/// Name of the rule made from `thresholds.disk_percent`.
pub const DISK_RULE: &str = "disk-threshold";
/// Name of the rule made from `probe.down_after`.
pub const UNREACHABLE_RULE: &str = "probe-unreachable";
/// Name of the rule made from `probe.flap_changes` and `probe.flap_window`.
pub const FLAPPING_RULE: &str = "probe-flapping";

/// Every metric a source emits (the catalogue's), for rule validation.
fn all_metrics() -> impl Iterator<Item = &'static str> {
    bandwatch_collect::catalog()
        .metrics()
        .iter()
        .map(|m| m.name)
}

/// The name of the metric that plays `role`.
fn role(role: Role) -> &'static str {
    bandwatch_collect::catalog().name_of(role)
}

/// Metrics a rule may watch: every series some source emits.
fn known_metric(name: &str) -> bool {
    bandwatch_collect::catalog().get(name).is_some()
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
            let known: Vec<&str> = all_metrics().collect();
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

/// The rules the engine runs: the built-in rules made from `[thresholds]` and `[probe]`
/// (unless a user rule takes their name) followed by the user's rules.
pub fn effective_rules(config: &Config) -> Vec<RuleSpec> {
    let mut rules: Vec<RuleSpec> = builtin_rules(config)
        .into_iter()
        .filter(|b| config.rules.iter().all(|r| r.name != b.name))
        .collect();
    rules.extend(config.rules.iter().cloned());
    let cooldown = humantime::format_duration(config.thresholds.cooldown).to_string();
    for r in &mut rules {
        if r.cooldown.is_none() {
            r.cooldown = Some(cooldown.clone());
        }
    }
    rules
}

/// The rules the seed options and the `[probe]` limits mean.
fn builtin_rules(config: &Config) -> Vec<RuleSpec> {
    let t = &config.thresholds;
    let not_lo = [(metric::LABEL_IFACE, "!lo")];
    let mut rules = vec![
        above(UPLOAD_RULE, role(Role::TxRate), &not_lo, t.upload_bps),
        above(DOWNLOAD_RULE, role(Role::RxRate), &not_lo, t.download_bps),
    ];
    if config.system.enabled {
        let total = [(system_metric::LABEL_CPU, system_metric::CPU_TOTAL)];
        rules.push(above(
            CPU_RULE,
            role(Role::CpuPercent),
            &total,
            t.cpu_percent,
        ));
        rules.push(above(
            MEMORY_RULE,
            role(Role::MemoryPercent),
            &[],
            t.memory_percent,
        ));
        let mut disk = above(
            DISK_RULE,
            role(Role::DiskPercent),
            &[(system_metric::LABEL_MOUNT, "*")],
            t.disk_percent,
        );
        disk.severity = Some(Severity::High);
        rules.push(disk);
    }
    if !config.probe.targets.is_empty() {
        rules.extend(probe_rules(&config.probe));
    }
    rules
}

/// Unreachable and flapping for every target; latency and loss where a limit is set.
fn probe_rules(p: &ProbeSettings) -> Vec<RuleSpec> {
    let any = [(probe_metric::LABEL_TARGET, "*")];
    let mut rules = vec![
        RuleSpec {
            condition: "consecutive".to_string(),
            to: Some(0.0),
            count: Some(p.down_after),
            severity: Some(Severity::High),
            ..rule(UNREACHABLE_RULE, role(Role::ProbeUp), &any)
        },
        RuleSpec {
            condition: "flapping".to_string(),
            changes: Some(p.flap_changes),
            within: Some(humantime::format_duration(p.flap_window).to_string()),
            severity: Some(Severity::Medium),
            ..rule(FLAPPING_RULE, role(Role::ProbeUp), &any)
        },
    ];
    for t in &p.targets {
        let name = glob_literal(&t.target.name);
        if let Some(limit) = t.rtt_limit {
            let m = [
                (probe_metric::LABEL_TARGET, name.as_str()),
                (probe_metric::LABEL_STAT, "avg"),
            ];
            rules.push(above(
                &format!("probe-latency-{}", t.target.name),
                role(Role::ProbeRtt),
                &m,
                limit.as_secs_f64(),
            ));
        }
        if let Some(limit) = t.loss_limit {
            let m = [(probe_metric::LABEL_TARGET, name.as_str())];
            rules.push(above(
                &format!("probe-loss-{}", t.target.name),
                role(Role::ProbeLoss),
                &m,
                limit,
            ));
        }
    }
    rules
}

/// A glob that matches exactly `text` (target names may hold `[`, `?` or `*`).
fn glob_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // `!` and `~` open a negation or a regex in the selector; the rest are glob syntax.
        if matches!(c, '\\' | '*' | '?' | '[' | ']' | '{' | '}' | '!' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn rule(name: &str, metric_name: &str, matchers: &[(&str, &str)]) -> RuleSpec {
    RuleSpec {
        name: name.to_string(),
        metric: metric_name.to_string(),
        matchers: matchers
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        severity: Some(Severity::Medium),
        ..RuleSpec::default()
    }
}

/// A medium "above the limit" rule.
fn above(name: &str, metric_name: &str, matchers: &[(&str, &str)], limit: f64) -> RuleSpec {
    RuleSpec {
        condition: "threshold".to_string(),
        above: Some(limit),
        ..rule(name, metric_name, matchers)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use bandwatch_core::{Labels, SeriesKey};

    use super::*;

    fn config(text: &str) -> Config {
        super::super::from_file_text(text, Path::new("t.toml")).expect("valid")
    }

    fn names(rules: &[RuleSpec]) -> Vec<&str> {
        rules.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn health_and_probe_rules_come_from_the_settings() {
        let c = config(
            "[probe]\nloss_limit = 20.0\ntargets = [\"http://[::1]:8080/?a\", { name = \"r*\", target = \"192.0.2.1\", rtt_limit = \"20ms\" }]\n",
        );
        let rules = effective_rules(&c);
        assert_eq!(
            names(&rules),
            vec![
                UPLOAD_RULE,
                DOWNLOAD_RULE,
                CPU_RULE,
                MEMORY_RULE,
                DISK_RULE,
                UNREACHABLE_RULE,
                FLAPPING_RULE,
                "probe-loss-http://[::1]:8080/?a",
                "probe-latency-r*",
                "probe-loss-r*",
            ]
        );
        let engine_rules: Vec<_> = rules.iter().map(|r| r.validate().expect("valid")).collect();
        let latency = &engine_rules[8];
        let series = |target: &str| {
            SeriesKey::new(
                probe_metric::PROBE_RTT_SECONDS,
                Labels::from_pairs([
                    (probe_metric::LABEL_TARGET, target),
                    (probe_metric::LABEL_STAT, "avg"),
                ]),
            )
        };
        assert!(
            latency.matches(&series("r*")),
            "a target name is matched literally"
        );
        assert!(
            !latency.matches(&series("router")),
            "a '*' in a name is not a glob"
        );
        let loss = &engine_rules[7];
        let lossy = SeriesKey::with_label(
            probe_metric::PROBE_LOSS_PERCENT,
            probe_metric::LABEL_TARGET,
            "http://[::1]:8080/?a",
        );
        assert!(loss.matches(&lossy));
    }

    #[test]
    fn target_names_that_look_like_selector_syntax_are_literal() {
        for name in ["~r.*", "!gw", "r?"] {
            let text = format!(
                "[probe]\ntargets = [{{ name = \"{name}\", target = \"192.0.2.1\", rtt_limit = \"20ms\" }}]\n"
            );
            let rules = effective_rules(&config(&text));
            let latency = rules
                .iter()
                .find(|r| r.name == format!("probe-latency-{name}"))
                .expect("latency rule")
                .validate()
                .expect("valid");
            let series = |target: &str| {
                SeriesKey::new(
                    probe_metric::PROBE_RTT_SECONDS,
                    Labels::from_pairs([
                        (probe_metric::LABEL_TARGET, target),
                        (probe_metric::LABEL_STAT, "avg"),
                    ]),
                )
            };
            assert!(latency.matches(&series(name)), "{name} matches itself");
            assert!(!latency.matches(&series("router")), "{name} is no pattern");
        }
    }

    #[test]
    fn no_targets_no_probe_rules_and_system_off_no_health_rules() {
        let c = config("[system]\nenabled = false\n");
        assert_eq!(
            names(&effective_rules(&c)),
            vec![UPLOAD_RULE, DOWNLOAD_RULE]
        );
    }

    #[test]
    fn a_user_rule_replaces_a_builtin_of_the_same_name() {
        let c = config(
            "[[rules]]\nname = \"cpu-threshold\"\nmetric = \"system_cpu_percent\"\ncondition = \"threshold\"\nabove = 99.0\n",
        );
        let rules = effective_rules(&c);
        let cpu: Vec<_> = rules.iter().filter(|r| r.name == CPU_RULE).collect();
        assert_eq!(cpu.len(), 1);
        assert_eq!(cpu[0].above, Some(99.0));
    }
}
