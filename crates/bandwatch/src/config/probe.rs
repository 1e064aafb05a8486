//! `[probe]` and `[[probe.targets]]`: what to ping, connect to or fetch, and how often.
//! Targets come from the file, from `BANDWATCH_TARGETS` or from the seed tool's
//! `MONITORED_DEVICES` (a comma-separated list of specs), validated once into
//! [`ProbeSettings`].

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_collect::Target;
use serde::Deserialize;

use super::checks;
use super::error::ConfigError;
use super::keys;
use super::layer::Layers;
use super::origin::{Origin, Setting};

/// One `[[probe.targets]]` entry as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetTable {
    /// What to probe: an address, a host name, `tcp://host:port`, `http://…` or `https://…`.
    pub target: String,
    /// The `target` label of its series (default: the spec itself).
    pub name: Option<String>,
    /// Time between rounds (default `probe.interval`).
    pub interval: Option<String>,
    /// Probes per round (default `probe.count`).
    pub count: Option<i64>,
    /// How long one probe waits (default `probe.timeout`).
    pub timeout: Option<String>,
    /// Alert when the average RTT of a round is above this (default `probe.rtt_limit`).
    pub rtt_limit: Option<String>,
    /// Alert when the loss of a round is above this percentage (default `probe.loss_limit`).
    pub loss_limit: Option<f64>,
    /// HTTPS only: check the server's certificate (default true; turn off for a
    /// self-signed device).
    pub tls_verify: Option<bool>,
}

impl TargetTable {
    /// A table holding only a spec (from a comma-separated environment list).
    pub fn from_spec(spec: &str) -> Self {
        Self {
            target: spec.to_string(),
            ..Self::default()
        }
    }
}

/// A `probe.targets` item as written: a spec string or a table.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetEntry(pub TargetTable);

impl<'de> Deserialize<'de> for TargetEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> serde::de::Visitor<'de> for EntryVisitor {
    type Value = TargetEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a target spec such as \"192.168.1.1\" or a table with target = \"…\"")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TargetEntry, E> {
        Ok(TargetEntry(TargetTable::from_spec(v)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<TargetEntry, A::Error> {
        TargetTable::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(TargetEntry)
    }
}

/// One validated target with its own schedule and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeTarget {
    /// What and how to probe; `target.name` is the label value.
    pub target: Target,
    /// The spec as written.
    pub spec: String,
    /// Time between rounds.
    pub interval: Duration,
    /// Probes per round.
    pub count: u32,
    /// How long one probe waits.
    pub timeout: Duration,
    /// Average RTT above which the latency rule fires.
    pub rtt_limit: Option<Duration>,
    /// Loss percentage above which the loss rule fires.
    pub loss_limit: Option<f64>,
}

/// The validated `[probe]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSettings {
    /// The targets, in the order given.
    pub targets: Vec<ProbeTarget>,
    /// Default time between rounds.
    pub interval: Duration,
    /// Default probe timeout.
    pub timeout: Duration,
    /// Default probes per round.
    pub count: u32,
    /// Consecutive failed rounds before a target is reported unreachable.
    pub down_after: u32,
    /// Up/down changes within `flap_window` that count as flapping.
    pub flap_changes: u32,
    /// The window for `flap_changes`.
    pub flap_window: Duration,
    /// Default latency limit.
    pub rtt_limit: Option<Duration>,
    /// Default loss limit, percent.
    pub loss_limit: Option<f64>,
}

impl ProbeSettings {
    /// Adds a target for every registered device marked `probe = true` that has an address
    /// and is not probed already at it: named by its device label, so the device and its
    /// reachability are one device everywhere (the API, the page, alerts), and probed with
    /// the `[probe]` defaults.
    pub(super) fn add_known_devices(&mut self, registry: &bandwatch_collect::devices::Registry) {
        for d in registry.devices().iter().filter(|d| d.probe) {
            let Some(ip) = d.ip else { continue };
            let probed = self.targets.iter().any(|t| {
                matches!(&t.target.kind, bandwatch_collect::ProbeKind::Icmp(
                    bandwatch_collect::Host::Ip(a)) if *a == ip)
            });
            if probed {
                continue;
            }
            let name = super::devices::device_label(d.name.as_deref(), d.mac, Some(ip));
            self.targets.push(ProbeTarget {
                target: Target {
                    name,
                    kind: bandwatch_collect::ProbeKind::Icmp(bandwatch_collect::Host::Ip(ip)),
                },
                spec: ip.to_string(),
                interval: self.interval,
                count: self.count,
                timeout: self.timeout,
                rtt_limit: self.rtt_limit,
                loss_limit: self.loss_limit,
            });
        }
    }

    /// The `[probe]` keys, each checked, then every target against them.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        let targets = l.get(&keys::PROBE_TARGETS)?;
        let interval = l.get(&keys::PROBE_INTERVAL)?;
        let timeout = l.required(&keys::PROBE_TIMEOUT)?;
        let defaults = Self {
            targets: Vec::new(),
            interval,
            timeout: timeout.value,
            count: l.get(&keys::PROBE_COUNT)?,
            down_after: l.get(&keys::PROBE_DOWN_AFTER)?,
            flap_changes: l.get(&keys::PROBE_FLAP_CHANGES)?,
            flap_window: l.get(&keys::PROBE_FLAP_WINDOW)?,
            rtt_limit: l.opt(&keys::PROBE_RTT_LIMIT)?,
            loss_limit: l.opt(&keys::PROBE_LOSS_LIMIT)?,
        };
        with_targets(defaults, targets, &timeout.origin)
    }
}

/// Checks every target against the `[probe]` defaults (already checked) and adds it;
/// `timeout_origin` is where the default timeout was set, for the timing check.
pub fn with_targets(
    mut settings: ProbeSettings,
    targets: Vec<Setting<TargetTable>>,
    timeout_origin: &Origin,
) -> Result<ProbeSettings, ConfigError> {
    check_timing(
        keys::PROBE_TIMEOUT.def.name,
        timeout_origin,
        settings.interval,
        settings.timeout,
    )?;
    let mut names: BTreeMap<String, Origin> = BTreeMap::new();
    for t in targets {
        let target = one_target(&t.value, &t.origin, &settings)?;
        if let Some(first) = names.insert(target.target.name.clone(), t.origin.clone()) {
            return Err(ConfigError::invalid(
                keys::PROBE_TARGETS.def.name,
                &t.origin,
                format!(
                    "names the target '{}' twice (first at {first})",
                    target.target.name
                ),
                "give each target its own name = \"…\"",
            ));
        }
        settings.targets.push(target);
    }
    Ok(settings)
}

fn one_target(
    t: &TargetTable,
    origin: &Origin,
    defaults: &ProbeSettings,
) -> Result<ProbeTarget, ConfigError> {
    let key = keys::PROBE_TARGETS.def.name;
    let parsed = Target::parse(t.name.as_deref(), &t.target)
        .map_err(|e| {
            ConfigError::invalid(
                key,
                origin,
                e.to_string(),
                "the target forms are listed under \"System health and reachability\" in the README",
            )
        })?
        .with_tls_verify(t.tls_verify.unwrap_or(true));
    let text = |v: &Option<String>| v.clone().map(|v| Setting::new(v, origin.clone()));
    let interval = text(&t.interval)
        .map(|s| checks::period(&s, key, "30s"))
        .transpose()?
        .unwrap_or(defaults.interval);
    let timeout = text(&t.timeout)
        .map(|s| checks::period(&s, key, "5s"))
        .transpose()?
        .unwrap_or(defaults.timeout);
    check_timing(key, origin, interval, timeout)?;
    Ok(ProbeTarget {
        spec: t.target.clone(),
        count: t
            .count
            .map(|c| checks::whole(&Setting::new(c, origin.clone()), key, 1..=100, "5"))
            .transpose()?
            .unwrap_or(defaults.count),
        interval,
        timeout,
        rtt_limit: text(&t.rtt_limit)
            .map(|s| checks::period(&s, key, "200ms"))
            .transpose()?
            .or(defaults.rtt_limit),
        loss_limit: t
            .loss_limit
            .map(|l| checks::percent_value(l, key, origin))
            .transpose()?
            .or(defaults.loss_limit),
        target: parsed,
    })
}

/// A round must end before the next one starts.
fn check_timing(
    key: &'static str,
    origin: &Origin,
    interval: Duration,
    timeout: Duration,
) -> Result<(), ConfigError> {
    if timeout >= interval {
        return Err(ConfigError::invalid(
            key,
            origin,
            format!(
                "sets a timeout of {} that is not shorter than the interval of {}",
                humantime::format_duration(timeout),
                humantime::format_duration(interval)
            ),
            "make the timeout shorter than the time between rounds",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set<T>(v: T) -> Setting<T> {
        Setting::new(v, Origin::Default)
    }

    fn defaults() -> ProbeSettings {
        ProbeSettings {
            targets: Vec::new(),
            interval: Duration::from_secs(30),
            timeout: checks::period(&set("5".into()), "probe.timeout", "5s").expect("5 s"),
            count: 5,
            down_after: 3,
            flap_changes: 4,
            flap_window: Duration::from_secs(600),
            rtt_limit: None,
            loss_limit: Some(20.0),
        }
    }

    fn validate(targets: Vec<TargetTable>) -> Result<ProbeSettings, ConfigError> {
        with_targets(
            defaults(),
            targets.into_iter().map(set).collect(),
            &Origin::Default,
        )
    }

    #[test]
    fn targets_take_the_defaults_and_their_own_limits() {
        let p = validate(vec![
            TargetTable::from_spec("192.0.2.1"),
            TargetTable {
                name: Some("nas".into()),
                rtt_limit: Some("50ms".into()),
                interval: Some("10s".into()),
                ..TargetTable::from_spec("tcp://192.0.2.2:22")
            },
        ])
        .expect("valid");
        assert_eq!(p.timeout, Duration::from_secs(5));
        assert_eq!(p.targets[0].target.name, "192.0.2.1");
        assert_eq!(p.targets[0].rtt_limit, None);
        assert_eq!(p.targets[0].loss_limit, Some(20.0));
        assert_eq!(p.targets[1].target.name, "nas");
        assert_eq!(p.targets[1].interval, Duration::from_secs(10));
        assert_eq!(p.targets[1].rtt_limit, Some(Duration::from_millis(50)));
    }

    #[test]
    fn registered_devices_marked_probe_become_targets_named_by_their_label() {
        let registry = bandwatch_collect::devices::Registry::from_json(
            r#"{"192.0.2.7": {"name": "NAS", "bandwidth_threshold": 1, "max_active_time": 1, "probe": true},
                "192.0.2.1": {"name": "Router", "bandwidth_threshold": 1, "max_active_time": 1, "probe": true},
                "192.0.2.9": {"name": "TV", "bandwidth_threshold": 1, "max_active_time": 1}}"#,
        )
        .expect("registry");
        let mut p = validate(vec![TargetTable::from_spec("192.0.2.1")]).expect("valid");
        p.add_known_devices(&registry);
        let names: Vec<&str> = p.targets.iter().map(|t| t.target.name.as_str()).collect();
        // The router is probed already at its address; the TV is not marked.
        assert_eq!(names, ["192.0.2.1", "NAS"]);
        assert_eq!(p.targets[1].interval, p.interval);
    }

    #[test]
    fn refuses_duplicates_bad_specs_and_slow_timeouts() {
        let dup = validate(vec![
            TargetTable::from_spec("192.0.2.1"),
            TargetTable::from_spec("192.0.2.1"),
        ])
        .expect_err("duplicate");
        assert!(dup.to_string().contains("twice"), "{dup}");
        let bad = validate(vec![TargetTable::from_spec("tcp://nas")]).expect_err("bad");
        assert!(bad.to_string().contains("tcp://nas"), "{bad}");
        let slow = validate(vec![TargetTable {
            timeout: Some("40s".into()),
            ..TargetTable::from_spec("192.0.2.1")
        }])
        .expect_err("slow");
        assert!(slow.to_string().contains("not shorter"), "{slow}");
    }
}
