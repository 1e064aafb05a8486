//! The interface rules bandwatch ships, on by default because the tools it replaces did this
//! out of the box ("traffic spikes > 3x recent average", "interface down"): a spike rule on
//! each interface's receive and transmit rates, and a rule for an interface that goes down.
//!
//! The engine knows no metric names; the caller passes them (the binary takes them from the
//! metric catalogue), so the rules here are the whole definition, used by `bandwatch run` and
//! by the scenario files alike. A user rule of the same name replaces one; `enabled = false`
//! under that name removes it.

use std::collections::BTreeMap;

use bandwatch_core::Severity;

use crate::rule::RuleSpec;

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
}
