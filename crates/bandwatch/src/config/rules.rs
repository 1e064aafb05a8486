//! Alert rules: the user's `[[rules]]` plus the built-in ones: the threshold rules the seed
//! options (`--upload-threshold`, `--download-threshold`) have always meant, the engine's
//! interface rules (spikes, interface down), the total limit, health and probe rules. A user
//! rule replaces the built-in rule of its name; `enabled = false` under that name removes it.

use std::collections::BTreeMap;

use bandwatch_collect::devices::metric as device_metric;
use bandwatch_collect::netdev::metric;
use bandwatch_collect::probe::metric as probe_metric;
use bandwatch_collect::system::metric as system_metric;
use bandwatch_core::{Role, Severity};
use bandwatch_engine::builtin::{self, DeviceMetrics, InterfaceMetrics, SpikeSettings};
use bandwatch_engine::RuleSpec;

use super::devices::{DevicesMode, DevicesSettings};
use super::error::ConfigError;
use super::origin::Setting;
use super::probe::ProbeSettings;
use super::{Config, SystemSettings, Thresholds};

/// Name of the rule made from `thresholds.upload_mbps`.
pub const UPLOAD_RULE: &str = "upload-threshold";
/// Name of the rule made from `thresholds.download_mbps`.
pub const DOWNLOAD_RULE: &str = "download-threshold";

/// Name of the rule made from `thresholds.total_mbps`.
pub const TOTAL_RULE: &str = "total-threshold";

/// Name of the rule made from `thresholds.cpu_percent`.
pub const CPU_RULE: &str = "cpu-threshold";
/// Name of the rule made from `thresholds.memory_percent`.
pub const MEMORY_RULE: &str = "memory-threshold";
/// Name of the rule made from `thresholds.disk_percent`.
pub const DISK_RULE: &str = "disk-threshold";
/// Name of the rule announcing a LAN device seen for the first time.
pub const DEVICE_NEW_RULE: &str = "device-new";
/// Name of the rule on packets the kernel dropped before the devices source saw them.
pub const DEVICE_DROPS_RULE: &str = "devices-kernel-drops";
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

/// What the built-in rules are made from, so the user's rules can be checked against their
/// names before the whole configuration exists.
pub struct BuiltinInputs<'a> {
    /// `[thresholds]`.
    pub thresholds: &'a Thresholds,
    /// `[system]`.
    pub system: &'a SystemSettings,
    /// `[probe]`.
    pub probe: &'a ProbeSettings,
    /// `[devices]`.
    pub devices: &'a DevicesSettings,
    /// `[[caps]]`.
    pub caps: &'a [super::caps::CapConfig],
}

/// Checks every user rule: fields (by the engine's own validation), the metric, unique names.
/// A rule with `enabled = false` and nothing but its name removes the built-in rule of that
/// name, which must exist.
pub fn validate(
    rules: Option<Setting<Vec<Setting<RuleSpec>>>>,
    builtins: &BuiltinInputs<'_>,
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
        if let Some(seen_at) = seen.get(&rule.value.name) {
            return Err(fail(format!(
                "rule '{}': field 'name': already used by the rule at {seen_at}; names must be unique",
                rule.value.name
            )));
        }
        if is_removal(&rule.value) {
            check_removal(&rule.value, builtins).map_err(fail)?;
            seen.insert(rule.value.name.clone(), rule.origin.clone());
            out.push(rule.value);
            continue;
        }
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
        seen.insert(rule.value.name.clone(), rule.origin.clone());
        out.push(rule.value);
    }
    Ok(out)
}

/// A rule written only to switch another off: `enabled = false` and no metric or condition.
fn is_removal(rule: &RuleSpec) -> bool {
    !rule.is_enabled() && rule.metric.trim().is_empty() && rule.condition.trim().is_empty()
}

/// A removal must name a built-in rule; a typo would otherwise leave it running unnoticed.
fn check_removal(rule: &RuleSpec, builtins: &BuiltinInputs<'_>) -> Result<(), String> {
    let names: Vec<String> = builtin_rules(builtins)
        .into_iter()
        .map(|r| r.name)
        .collect();
    if names.iter().any(|n| *n == rule.name.trim()) {
        return Ok(());
    }
    Err(format!(
        "rule '{}': field 'enabled': false removes a built-in rule, and there is none of this \
         name; built-in rules: {} (or give the rule a metric and a condition)",
        rule.name,
        names.join(", ")
    ))
}

/// The rules the engine runs: the built-in rules (unless a user rule takes or removes their
/// name) followed by the user's rules that are enabled.
pub fn effective_rules(config: &Config) -> Vec<RuleSpec> {
    let inputs = BuiltinInputs {
        thresholds: &config.thresholds,
        system: &config.system,
        probe: &config.probe,
        devices: &config.devices,
        caps: &config.caps,
    };
    let mut rules: Vec<RuleSpec> = builtin_rules(&inputs)
        .into_iter()
        .filter(|b| config.rules.iter().all(|r| r.name.trim() != b.name))
        .collect();
    rules.extend(config.rules.iter().filter(|r| r.is_enabled()).cloned());
    let cooldown = humantime::format_duration(config.thresholds.cooldown).to_string();
    for r in &mut rules {
        if r.cooldown.is_none() {
            r.cooldown = Some(cooldown.clone());
        }
    }
    rules
}

/// The rules the seed options, the interface rules, `[system]` and the `[probe]` limits
/// mean.
fn builtin_rules(config: &BuiltinInputs<'_>) -> Vec<RuleSpec> {
    let t = config.thresholds;
    let not_lo = [(metric::LABEL_IFACE, "!lo")];
    let mut rules = vec![
        above(UPLOAD_RULE, role(Role::TxRate), &not_lo, t.upload_bps),
        above(DOWNLOAD_RULE, role(Role::RxRate), &not_lo, t.download_bps),
    ];
    let interfaces = InterfaceMetrics {
        rx_rate: role(Role::RxRate),
        tx_rate: role(Role::TxRate),
        up: role(Role::LinkUp),
        iface_label: metric::LABEL_IFACE,
    };
    let spike = SpikeSettings {
        factor: t.spike_factor,
        window: t.spike_window as usize,
        floor: t.spike_floor_bps,
    };
    rules.extend(builtin::interface_rules(&interfaces, &spike));
    if let Some(limit) = t.total_bps {
        // The spike monitor's DATA_RATE_THRESHOLD: received plus sent, over the whole machine.
        let total = [(metric::LABEL_SCOPE, metric::SCOPE_TOTAL)];
        rules.push(above(
            TOTAL_RULE,
            metric::NET_BITS_PER_SECOND,
            &total,
            limit,
        ));
    }
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
        rules.extend(probe_rules(config.probe));
    }
    if config.devices.mode != DevicesMode::Off {
        rules.extend(device_rules(config.devices, t.spike_window as usize));
    }
    rules.extend(cap_rules(config.caps));
    rules
}

/// Each data cap's step rule and forecast rule.
fn cap_rules(caps: &[super::caps::CapConfig]) -> Vec<RuleSpec> {
    let metrics = builtin::CapMetrics {
        used_percent: role(Role::CapUsedPercent),
        forecast_percent: role(Role::CapForecastPercent),
        cap_label: bandwatch_collect::caps::LABEL_CAP,
    };
    let alerts: Vec<_> = caps.iter().map(|c| c.alerts.clone()).collect();
    builtin::cap_rules(&metrics, &alerts)
}

/// The per-device rules (limits from the registry), a new device announced, kernel drops.
fn device_rules(d: &DevicesSettings, spike_window: usize) -> Vec<RuleSpec> {
    let metrics = DeviceMetrics {
        bytes: device_metric::DEVICE_BYTES,
        rate: device_metric::DEVICE_BITS_PER_SECOND,
        active: device_metric::DEVICE_ACTIVE,
        device_label: device_metric::LABEL_DEVICE,
        other_device: Some(device_metric::DEVICE_OTHER),
    };
    let mut rules = builtin::device_rules(&metrics, &d.rule_settings(spike_window));
    let mut new = above(
        DEVICE_NEW_RULE,
        device_metric::DEVICE_NEW,
        &[(device_metric::LABEL_DEVICE, "*")],
        0.5,
    );
    new.severity = Some(Severity::Low);
    rules.push(new);
    rules.push(above(
        DEVICE_DROPS_RULE,
        device_metric::DEVICES_KERNEL_DROPS,
        &[],
        0.0,
    ));
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
            "[probe]\nloss_limit = 20.0\ntargets = [\"http://[::1]:8080/?a\", { name = \"r*\", target = \"192.0.2.1\", rtt_limit = \"20ms\" }]\n[devices]\nenabled = false\n",
        );
        let rules = effective_rules(&c);
        assert_eq!(
            names(&rules),
            vec![
                UPLOAD_RULE,
                DOWNLOAD_RULE,
                builtin::DOWNLOAD_SPIKE,
                builtin::UPLOAD_SPIKE,
                builtin::INTERFACE_DOWN,
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
        let latency = &engine_rules[11];
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
        let loss = &engine_rules[10];
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
        let c = config("[system]\nenabled = false\n[devices]\nenabled = false\n");
        assert_eq!(
            names(&effective_rules(&c)),
            vec![
                UPLOAD_RULE,
                DOWNLOAD_RULE,
                builtin::DOWNLOAD_SPIKE,
                builtin::UPLOAD_SPIKE,
                builtin::INTERFACE_DOWN
            ]
        );
    }

    #[test]
    fn spike_settings_and_the_total_limit_make_their_rules() {
        let c = config(
            "[thresholds]\nspike_factor = 4.0\nspike_window = 20\nspike_floor_mbps = 2.5\ntotal_mbps = 150.0\n[system]\nenabled = false\n[devices]\nenabled = false\n",
        );
        let rules = effective_rules(&c);
        let spike = rules
            .iter()
            .find(|r| r.name == builtin::DOWNLOAD_SPIKE)
            .expect("spike rule");
        assert_eq!(
            (spike.factor, spike.window, spike.floor),
            (Some(4.0), Some(20), Some(2.5e6))
        );
        assert_eq!(spike.metric, metric::NET_RX_BITS_PER_SECOND);
        let total = rules.last().expect("rules");
        assert_eq!(total.name, TOTAL_RULE);
        assert_eq!(total.above, Some(150e6));
        let total = total.validate().expect("valid");
        let key = |labels: &[(&str, &str)]| {
            SeriesKey::new(
                metric::NET_BITS_PER_SECOND,
                Labels::from_pairs(labels.iter().copied()),
            )
        };
        assert!(total.matches(&key(&[("scope", "total")])));
        assert!(!total.matches(&key(&[("iface", "eth0")])));
        let d = super::super::defaults();
        assert_eq!(d.thresholds.total_bps, None, "no total rule unless asked");
        assert!((d.thresholds.spike_factor - builtin::SPIKE_FACTOR).abs() < 1e-9);
        assert_eq!(d.thresholds.spike_window as usize, builtin::SPIKE_WINDOW);
        assert!((d.thresholds.spike_floor_bps - builtin::SPIKE_FLOOR_BPS).abs() < 1e-6);
        assert!(!names(&effective_rules(&d)).contains(&TOTAL_RULE));
    }

    #[test]
    fn device_rules_watch_both_directions_with_the_registrys_limits() {
        let c = config(
            "[[devices.known]]\nname = \"Laptop\"\nip = \"192.168.1.20\"\nbandwidth_threshold = \"500MB\"\n",
        );
        let rules = effective_rules(&c);
        let got = names(&rules);
        for name in [
            builtin::DEVICE_BANDWIDTH,
            builtin::DEVICE_ACTIVE_TOO_LONG,
            builtin::DEVICE_SPIKE,
            DEVICE_NEW_RULE,
            DEVICE_DROPS_RULE,
        ] {
            assert!(got.contains(&name), "{name} in {got:?}");
        }
        let bw = rules
            .iter()
            .find(|r| r.name == builtin::DEVICE_BANDWIDTH)
            .expect("bandwidth rule");
        assert_eq!(bw.metric, device_metric::DEVICE_BYTES);
        let bw = bw.validate().expect("valid");
        let laptop = SeriesKey::with_label(device_metric::DEVICE_BYTES, "device", "Laptop");
        assert!(bw.matches(&laptop));
        let other = SeriesKey::with_label(device_metric::DEVICE_BYTES, "device", "other");
        assert!(!bw.matches(&other), "the eviction bucket is no device");
        let new = rules
            .iter()
            .find(|r| r.name == DEVICE_NEW_RULE)
            .expect("new");
        assert_eq!(new.severity, Some(Severity::Low));
        let off = config("[devices]\nenabled = false\n");
        assert!(!names(&effective_rules(&off)).contains(&DEVICE_NEW_RULE));
    }

    #[test]
    fn enabled_false_removes_a_builtin_rule_by_name() {
        let c = config(
            "[[rules]]\nname = \"download-spike\"\nenabled = false\n\n[[rules]]\nname = \"interface-down\"\nenabled = false\n\n[[rules]]\nname = \"mine\"\nmetric = \"net_up\"\ncondition = \"state_change\"\nenabled = false\n",
        );
        let got = effective_rules(&c);
        let got = names(&got);
        assert!(!got.contains(&builtin::DOWNLOAD_SPIKE), "{got:?}");
        assert!(!got.contains(&builtin::INTERFACE_DOWN), "{got:?}");
        assert!(
            !got.contains(&"mine"),
            "a rule of one's own can be switched off too"
        );
        assert!(got.contains(&builtin::UPLOAD_SPIKE));
    }

    #[test]
    fn removing_a_rule_that_does_not_exist_is_an_error_listing_the_builtins() {
        let err = super::super::from_file_text(
            "[[rules]]\nname = \"download-spkie\"\nenabled = false\n",
            Path::new("t.toml"),
        )
        .expect_err("a typo");
        let msg = err.to_string();
        assert!(
            msg.starts_with("t.toml line 1: rule 'download-spkie': field 'enabled': false removes a built-in rule, and there is none of this name; built-in rules: upload-threshold, download-threshold, download-spike, upload-spike, interface-down, cpu-threshold"),
            "{msg}"
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
