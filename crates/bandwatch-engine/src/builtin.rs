//! The rules bandwatch ships, on by default because the tools it replaces did this out of the
//! box. For interfaces ("traffic spikes > 3x recent average", "interface down"): a spike rule
//! on each interface's receive and transmit rates, and a rule for an interface that goes down.
//! For LAN devices (the per-device monitor's `registered_devices.json`): a device that moved
//! more than its `bandwidth_threshold` within a rolling window, one active for longer than
//! its `max_active_time`, and one whose rate jumps far above its own baseline; the limits
//! come per device from [`DeviceSettings`] as limit tables keyed by the device label.
//!
//! The engine knows no metric names; the caller passes them (the binary takes them from the
//! metric catalogue), so the rules here are the whole definition, used by `bandwatch run` and
//! by the scenario files alike. A user rule of the same name replaces one; `enabled = false`
//! under that name removes it.

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::Severity;

use crate::rule::{RuleSpec, StepSpec};

/// Name of the spike rule on receive rates.
pub const DOWNLOAD_SPIKE: &str = "download-spike";
/// Name of the spike rule on transmit rates.
pub const UPLOAD_SPIKE: &str = "upload-spike";
/// Name of the rule for an interface that was up and went down.
pub const INTERFACE_DOWN: &str = "interface-down";

/// Default multiple of the recent average that is a spike (the spike monitor's
/// `SPIKE_MULTIPLIER`).
pub const SPIKE_FACTOR: f64 = 3.0;
/// Default number of samples in the recent average (its `HISTORY_SIZE`).
pub const SPIKE_WINDOW: usize = 60;
/// Default least rise over the recent average, in bits per second: an idle link's jitter
/// (ARP, mDNS, keep-alives: a few kbit/s around a few kbit/s) is far below it.
pub const SPIKE_FLOOR_BPS: f64 = 1e6;

/// Interfaces the spike rules leave out: loopback.
const SPIKE_IFACES: &str = "!lo";

/// Interfaces the down rule leaves out: loopback, and bridges and veths that go down or
/// vanish whenever a container or a VM stops, which is not news.
const DOWN_IFACES: &str = "!~(lo|docker.*|br-.*|veth.*|virbr.*)";

/// The metrics and label the interface rules watch.
#[derive(Debug, Clone, Copy)]
pub struct InterfaceMetrics<'a> {
    /// Receive rate per interface.
    pub rx_rate: &'a str,
    /// Transmit rate per interface.
    pub tx_rate: &'a str,
    /// 1 while an interface is up, 0 when it is down.
    pub up: &'a str,
    /// The label naming the interface.
    pub iface_label: &'a str,
}

/// The spike rules' settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeSettings {
    /// Multiple of the recent average, > 1.
    pub factor: f64,
    /// Samples in the recent average, ≥ 1.
    pub window: usize,
    /// Least rise over the average, in the rate's unit.
    pub floor: f64,
}

impl Default for SpikeSettings {
    fn default() -> Self {
        Self {
            factor: SPIKE_FACTOR,
            window: SPIKE_WINDOW,
            floor: SPIKE_FLOOR_BPS,
        }
    }
}

/// Every built-in interface rule, in the order they are documented.
pub fn interface_rules(m: &InterfaceMetrics<'_>, spike: &SpikeSettings) -> Vec<RuleSpec> {
    let on = |pattern: &str| BTreeMap::from([(m.iface_label.to_string(), pattern.to_string())]);
    let spike_rule = |name: &str, metric: &str| RuleSpec {
        name: name.to_string(),
        metric: metric.to_string(),
        matchers: on(SPIKE_IFACES),
        condition: "spike".to_string(),
        factor: Some(spike.factor),
        window: Some(spike.window),
        floor: Some(spike.floor),
        severity: Some(Severity::Medium),
        ..RuleSpec::default()
    };
    vec![
        spike_rule(DOWNLOAD_SPIKE, m.rx_rate),
        spike_rule(UPLOAD_SPIKE, m.tx_rate),
        RuleSpec {
            name: INTERFACE_DOWN.to_string(),
            metric: m.up.to_string(),
            matchers: on(DOWN_IFACES),
            condition: "state_change".to_string(),
            from: Some(1.0),
            to: Some(0.0),
            severity: Some(Severity::High),
            ..RuleSpec::default()
        },
    ]
}

/// Name of the rule for a device that moved more than its threshold within the window.
pub const DEVICE_BANDWIDTH: &str = "device-bandwidth";
/// Name of the rule for a device active without a break for longer than its limit.
pub const DEVICE_ACTIVE_TOO_LONG: &str = "device-active-too-long";
/// Name of the spike rule on a device's rate.
pub const DEVICE_SPIKE: &str = "device-spike";

/// The metrics and labels the device rules watch.
#[derive(Debug, Clone, Copy)]
pub struct DeviceMetrics<'a> {
    /// Exact per-interval byte deltas of a device's traffic that count against its
    /// `bandwidth_threshold`. The old monitor's threshold counted both directions, so this is
    /// best a delta of received plus sent bytes; given a one-direction metric, only that
    /// direction counts.
    pub bytes: &'a str,
    /// A device's rate, watched for spikes (bits per second).
    pub rate: &'a str,
    /// 1 while a device moves more than the active floor, else 0.
    pub active: &'a str,
    /// The label naming the device; the limit tables are keyed by its values.
    pub device_label: &'a str,
    /// The device label's value for traffic of devices no longer tracked one by one (summed
    /// together), which no device rule watches; `None`: every value is watched.
    pub other_device: Option<&'a str>,
}

/// The device rules' limits and settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSettings {
    /// The rolling window `device-bandwidth` sums over (the old monitor's hour).
    pub threshold_window: Duration,
    /// The least break that ends a run of activity.
    pub idle_gap: Duration,
    /// Bytes within the window for a device not in `thresholds` (the registry's `unknown`).
    pub default_threshold: f64,
    /// Bytes within the window, by device label value.
    pub thresholds: BTreeMap<String, f64>,
    /// Longest run of activity for a device not in `max_active` (the registry's `unknown`).
    pub default_max_active: Duration,
    /// Longest run of activity in seconds, by device label value.
    pub max_active: BTreeMap<String, f64>,
    /// The spike rule's settings, in bits per second for the floor.
    pub spike: SpikeSettings,
}

/// The old monitor's `unknown` entry in its example: 100 MB within the window.
pub const DEVICE_THRESHOLD_BYTES: f64 = 100e6;
/// The old monitor's `unknown` entry in its example: 3 hours.
pub const DEVICE_MAX_ACTIVE: Duration = Duration::from_secs(3 * 3600);

impl Default for DeviceSettings {
    fn default() -> Self {
        Self {
            threshold_window: Duration::from_secs(3600),
            idle_gap: crate::detect::DEFAULT_IDLE_GAP,
            default_threshold: DEVICE_THRESHOLD_BYTES,
            thresholds: BTreeMap::new(),
            default_max_active: DEVICE_MAX_ACTIVE,
            max_active: BTreeMap::new(),
            spike: SpikeSettings::default(),
        }
    }
}

/// A duration as a rule writes it (`3600s`, `300ms`).
fn written(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Every built-in device rule, in the order they are documented.
pub fn device_rules(m: &DeviceMetrics<'_>, s: &DeviceSettings) -> Vec<RuleSpec> {
    let on = BTreeMap::from([(
        m.device_label.to_string(),
        // The selector's negation; an empty-name bucket can never match a device.
        m.other_device
            .map_or_else(|| "*".to_string(), |o| format!("!{}", glob_literal(o))),
    )]);
    let table = |t: &BTreeMap<String, f64>| {
        (!t.is_empty()).then(|| (m.device_label.to_string(), t.clone()))
    };
    let (bw_by, bw_limits) = table(&s.thresholds).unzip();
    let (act_by, act_limits) = table(&s.max_active).unzip();
    vec![
        RuleSpec {
            name: DEVICE_BANDWIDTH.to_string(),
            metric: m.bytes.to_string(),
            matchers: on.clone(),
            condition: "window_sum".to_string(),
            above: Some(s.default_threshold),
            within: Some(written(s.threshold_window)),
            limit_by: bw_by,
            limits: bw_limits,
            severity: Some(Severity::Medium),
            ..RuleSpec::default()
        },
        RuleSpec {
            name: DEVICE_ACTIVE_TOO_LONG.to_string(),
            metric: m.active.to_string(),
            matchers: on.clone(),
            condition: "activity".to_string(),
            floor: Some(0.0),
            idle_gap: Some(written(s.idle_gap)),
            max_active: Some(written(s.default_max_active)),
            limit_by: act_by,
            limits: act_limits,
            severity: Some(Severity::Medium),
            ..RuleSpec::default()
        },
        RuleSpec {
            name: DEVICE_SPIKE.to_string(),
            metric: m.rate.to_string(),
            matchers: on,
            condition: "spike".to_string(),
            factor: Some(s.spike.factor),
            window: Some(s.spike.window),
            floor: Some(s.spike.floor),
            severity: Some(Severity::Medium),
            ..RuleSpec::default()
        },
    ]
}

/// The prefix of a data cap's step rule, `cap-<name>`.
pub const CAP_PREFIX: &str = "cap-";
/// The suffix of a data cap's forecast rule, `cap-<name>-forecast`.
pub const CAP_FORECAST_SUFFIX: &str = "-forecast";

/// The most steps a cap can have: each rises in severity, and there are four.
pub const CAP_MAX_STEPS: usize = 4;

/// How far under the cap a forecast must come back before its alert resolves (a share of
/// the cap), so that a forecast wavering around 100 % does not flap.
const CAP_FORECAST_HYSTERESIS: f64 = 0.05;

/// The metrics and label the cap rules watch.
#[derive(Debug, Clone, Copy)]
pub struct CapMetrics<'a> {
    /// A cap's use so far as a percent of its limit.
    pub used_percent: &'a str,
    /// Its forecast at the period's end as a percent of its limit.
    pub forecast_percent: &'a str,
    /// The label naming the cap.
    pub cap_label: &'a str,
}

/// What one data cap alerts on.
#[derive(Debug, Clone, PartialEq)]
pub struct CapAlerts {
    /// The cap's name (the value of the cap label).
    pub cap: String,
    /// Percents of the limit whose crossing is an alert, rising (at most
    /// [`CAP_MAX_STEPS`]); empty: none.
    pub steps: Vec<f64>,
    /// Whether a forecast over the limit is an alert.
    pub forecast: bool,
    /// One severity for every alert of the cap; `None`: the steps take the highest
    /// severities in order (80 % medium, 90 % high, 100 % critical) and the forecast medium.
    pub severity: Option<Severity>,
}

/// The name of a cap's step rule.
pub fn cap_rule_name(cap: &str) -> String {
    format!("{CAP_PREFIX}{cap}")
}

/// The name of a cap's forecast rule.
pub fn cap_forecast_rule_name(cap: &str) -> String {
    format!("{CAP_PREFIX}{cap}{CAP_FORECAST_SUFFIX}")
}

/// The rules of every data cap: a threshold on its used percent whose severity rises with
/// each step crossed (an escalation is an alert of its own), and one on its forecast.
pub fn cap_rules(m: &CapMetrics<'_>, caps: &[CapAlerts]) -> Vec<RuleSpec> {
    let mut rules = Vec::new();
    for c in caps {
        let on = BTreeMap::from([(m.cap_label.to_string(), glob_literal(&c.cap))]);
        if let Some(first) = c.steps.first() {
            let levels = [
                Severity::Low,
                Severity::Medium,
                Severity::High,
                Severity::Critical,
            ];
            let skip = levels.len().saturating_sub(c.steps.len());
            let steps = c
                .steps
                .iter()
                .zip(&levels[skip..])
                .map(|(above, severity)| StepSpec {
                    above: *above,
                    severity: *severity,
                })
                .collect();
            rules.push(RuleSpec {
                name: cap_rule_name(&c.cap),
                metric: m.used_percent.to_string(),
                matchers: on.clone(),
                condition: "threshold".to_string(),
                above: Some(*first),
                severity: c.severity,
                steps: c.severity.is_none().then_some(steps),
                ..RuleSpec::default()
            });
        }
        if c.forecast {
            rules.push(RuleSpec {
                name: cap_forecast_rule_name(&c.cap),
                metric: m.forecast_percent.to_string(),
                matchers: on,
                condition: "threshold".to_string(),
                above: Some(100.0),
                hysteresis: Some(CAP_FORECAST_HYSTERESIS),
                severity: Some(c.severity.unwrap_or(Severity::Medium)),
                ..RuleSpec::default()
            });
        }
    }
    rules
}

/// `text` as a glob that matches exactly it (`[*]` for `*`).
fn glob_literal(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' | '~' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use bandwatch_core::SeriesKey;

    use super::*;

    const METRICS: InterfaceMetrics<'static> = InterfaceMetrics {
        rx_rate: "rx",
        tx_rate: "tx",
        up: "up",
        iface_label: "iface",
    };

    const DEVICES: DeviceMetrics<'static> = DeviceMetrics {
        bytes: "bytes",
        rate: "bps",
        active: "active",
        device_label: "device",
        other_device: Some("other"),
    };

    #[test]
    fn device_rules_are_valid_and_take_each_devices_limits() {
        let settings = DeviceSettings {
            thresholds: BTreeMap::from([("Laptop".to_string(), 500e6)]),
            max_active: BTreeMap::from([("Laptop".to_string(), 18_000.0)]),
            ..DeviceSettings::default()
        };
        let rules: Vec<_> = device_rules(&DEVICES, &settings)
            .iter()
            .map(|r| r.validate().expect("valid"))
            .collect();
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [DEVICE_BANDWIDTH, DEVICE_ACTIVE_TOO_LONG, DEVICE_SPIKE]
        );
        let key = |m: &str, d: &str| SeriesKey::with_label(m, "device", d);
        assert!(rules[0].matches(&key("bytes", "Laptop")));
        assert!(!rules[0].matches(&key("bytes", "other")));
        assert!(rules[2].matches(&key("bps", "192.168.1.9")));
        assert_eq!(
            rules[0].condition_for(&key("bytes", "Laptop")).limit(),
            Some(500e6)
        );
        assert_eq!(
            rules[0].condition_for(&key("bytes", "TV")).limit(),
            Some(100e6)
        );
        assert_eq!(
            rules[1].condition_for(&key("active", "Laptop")).limit(),
            Some(18_000.0)
        );
        assert_eq!(
            rules[1].condition_for(&key("active", "TV")).limit(),
            Some(10_800.0)
        );
        let all = DeviceMetrics {
            other_device: None,
            ..DEVICES
        };
        let r = device_rules(&all, &DeviceSettings::default())[0]
            .validate()
            .expect("valid");
        assert!(r.matches(&key("bytes", "other")));
        assert_eq!(glob_literal("a*b"), "a[*]b");
    }

    #[test]
    fn the_rules_are_valid_and_watch_what_they_say() {
        let rules: Vec<_> = interface_rules(&METRICS, &SpikeSettings::default())
            .iter()
            .map(|r| r.validate().expect("valid"))
            .collect();
        let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, [DOWNLOAD_SPIKE, UPLOAD_SPIKE, INTERFACE_DOWN]);
        let key = |m: &str, iface: &str| SeriesKey::with_label(m, "iface", iface);
        assert!(rules[0].matches(&key("rx", "eth0")));
        assert!(!rules[0].matches(&key("rx", "lo")));
        assert!(rules[1].matches(&key("tx", "wlan0")));
        for iface in ["eth0", "wlan0", "enp3s0", "wg0", "bond0", "brother"] {
            assert!(rules[2].matches(&key("up", iface)), "{iface}");
        }
        for iface in [
            "lo",
            "docker0",
            "docker_gwbridge",
            "br-1a2b3c",
            "veth12ab",
            "virbr0",
        ] {
            assert!(!rules[2].matches(&key("up", iface)), "{iface}");
        }
        assert!(!rules[2].matches(&SeriesKey::with_label("up", "scope", "total")));
    }

    const CAPS: CapMetrics<'static> = CapMetrics {
        used_percent: "used",
        forecast_percent: "forecast",
        cap_label: "cap",
    };

    #[test]
    fn cap_rules_rise_in_severity_step_by_step() {
        use bandwatch_core::{Frame, SampleKind, Seconds, Timestamp};
        use std::sync::Arc;

        let caps = [CapAlerts {
            cap: "isp*".to_string(),
            steps: vec![80.0, 90.0, 100.0],
            forecast: true,
            severity: None,
        }];
        let rules: Vec<_> = cap_rules(&CAPS, &caps)
            .iter()
            .map(|r| r.validate().expect("valid"))
            .collect();
        assert_eq!(rules.len(), 2);
        assert!(rules[0].matches(&SeriesKey::with_label("used", "cap", "isp*")));
        assert!(!rules[0].matches(&SeriesKey::with_label("used", "cap", "isp2")));
        let mut engine = crate::Engine::new(rules).expect("engine");
        let used = Arc::new(SeriesKey::with_label("used", "cap", "isp*"));
        let forecast = Arc::new(SeriesKey::with_label("forecast", "cap", "isp*"));
        let mut seen = Vec::new();
        for (i, (u, f)) in [(50.0, 90.0), (81.0, 99.0), (91.0, 120.0), (101.0, 130.0)]
            .into_iter()
            .enumerate()
        {
            let mut frame = Frame::new(
                "netdev",
                Timestamp(i64::try_from(i).expect("small") * 60_000),
                Seconds(60.0),
            );
            frame.push(Arc::clone(&used), u, SampleKind::Gauge);
            frame.push(Arc::clone(&forecast), f, SampleKind::Gauge);
            for e in engine.observe(&frame) {
                seen.push((e.rule.clone(), e.kind.to_string(), e.severity));
            }
        }
        let want = [
            ("cap-isp*", "fired", Severity::Medium),
            ("cap-isp*", "escalated", Severity::High),
            ("cap-isp*-forecast", "fired", Severity::Medium),
            ("cap-isp*", "escalated", Severity::Critical),
        ];
        let got: Vec<(&str, &str, Severity)> = seen
            .iter()
            .map(|(r, k, s)| (r.as_str(), k.as_str(), *s))
            .collect();
        assert_eq!(got, want, "{seen:?}");
    }

    #[test]
    fn a_cap_severity_fixes_every_alert_and_fewer_steps_take_the_top_levels() {
        let caps = [CapAlerts {
            cap: "c".to_string(),
            steps: vec![95.0, 100.0],
            forecast: false,
            severity: None,
        }];
        let rules = cap_rules(&CAPS, &caps);
        assert_eq!(rules.len(), 1);
        let steps = rules[0].steps.clone().expect("steps");
        assert_eq!(
            steps.iter().map(|s| s.severity).collect::<Vec<_>>(),
            [Severity::High, Severity::Critical]
        );
        let fixed = [CapAlerts {
            severity: Some(Severity::Low),
            forecast: true,
            ..caps[0].clone()
        }];
        for r in cap_rules(&CAPS, &fixed) {
            let rule = r.validate().expect("valid");
            assert_eq!(rule.severity, crate::SeverityPolicy::Fixed(Severity::Low));
        }
    }
}
