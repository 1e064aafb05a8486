//! `[devices]` and `[[devices.known]]`: bandwidth per LAN device. The keys are validated once
//! into [`DevicesSettings`]: the backend and the mode as enums, the LAN as parsed CIDRs, the
//! windows as durations, and the registry (`devices.registry`, the old monitor's
//! `registered_devices.json`, plus the `[[devices.known]]` tables) loaded and checked, so a
//! bad entry stops the program with exit code 2 before anything runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bandwatch_collect::devices::registry::{Amount, KnownEntry, Registry};
use bandwatch_collect::devices::Mac;
use bandwatch_engine::builtin::{self, SpikeSettings};
use ipnet::IpNet;

use super::error::ConfigError;
use super::keys;
use super::layer::Layers;
use super::origin::Setting;

/// Where dnsmasq keeps its leases; read when it exists and `devices.leases` is not set.
pub const DEFAULT_LEASES: &str = "/var/lib/misc/dnsmasq.leases";

/// Whether the devices source runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevicesMode {
    /// When it can: without the capture privilege it is left out, saying so once.
    Auto,
    /// Always; a missing privilege stops `run` with the fix.
    On,
    /// Never.
    Off,
}

impl DevicesMode {
    /// The value `devices.enabled` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::On => "true",
            Self::Off => "false",
        }
    }
}

/// How bytes per device are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceBackend {
    /// AF_PACKET capture on the LAN interfaces (frame lengths on the wire).
    Capture,
    /// The kernel's connection tracking over netlink (IP packet lengths).
    Conntrack,
}

impl DeviceBackend {
    /// The value `devices.backend` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Conntrack => "conntrack",
        }
    }
}

/// The validated `[devices]` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicesSettings {
    /// Whether the source runs.
    pub mode: DevicesMode,
    /// How bytes are counted.
    pub backend: DeviceBackend,
    /// Interface globs to account on (empty: every interface but loopback).
    pub interfaces: Vec<String>,
    /// Whether the capture socket is promiscuous.
    pub promiscuous: bool,
    /// The capture ring per interface, in bytes.
    pub ring_size: u64,
    /// The local networks; empty: the interfaces' own subnets.
    pub lan: Vec<IpNet>,
    /// The registry file that was loaded, if one was named.
    pub registry_file: Option<PathBuf>,
    /// The known devices and the defaults, from the file and `[[devices.known]]`.
    pub registry: Registry,
    /// The leases file named by `devices.leases`; see [`DevicesSettings::leases_path`].
    pub leases: Option<PathBuf>,
    /// The most devices held one by one; the least recently seen beyond it are evicted.
    pub max_tracked: u32,
    /// Bytes per second above which a device is active.
    pub active_floor: f64,
    /// The rolling window `device-bandwidth` sums over.
    pub threshold_window: Duration,
    /// The shortest break that ends a run of activity.
    pub idle_gap: Duration,
    /// How many devices Prometheus exports one by one (the rest as `device="other"`).
    pub export_top: u32,
    /// `device-spike`: multiple of a device's recent average.
    pub spike_factor: f64,
    /// `device-spike`: the least rise that counts, in bits per second.
    pub spike_floor_bps: f64,
}

impl DevicesSettings {
    /// The `[devices]` keys, each checked, and the registry loaded.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        let registry_file = l.setting(&keys::DEVICES_REGISTRY)?;
        let known = l.get(&keys::DEVICES_KNOWN)?;
        let registry = load_registry(registry_file.as_ref(), &known)?;
        Ok(Self {
            mode: l.get(&keys::DEVICES_ENABLED)?,
            backend: l.get(&keys::DEVICES_BACKEND)?,
            interfaces: l.get(&keys::DEVICES_INTERFACES)?,
            promiscuous: l.get(&keys::DEVICES_PROMISCUOUS)?,
            ring_size: l.get(&keys::DEVICES_RING_SIZE)?,
            lan: l.get(&keys::DEVICES_LAN)?,
            registry_file: registry_file.map(|s| s.value),
            registry,
            leases: l.opt(&keys::DEVICES_LEASES)?,
            max_tracked: l.get(&keys::DEVICES_MAX_TRACKED)?,
            active_floor: l.get(&keys::DEVICES_ACTIVE_FLOOR)?,
            threshold_window: l.get(&keys::DEVICES_THRESHOLD_WINDOW)?,
            idle_gap: l.get(&keys::DEVICES_IDLE_GAP)?,
            export_top: l.get(&keys::DEVICES_EXPORT_TOP)?,
            spike_factor: l.get(&keys::DEVICES_SPIKE_FACTOR)?,
            spike_floor_bps: l.get(&keys::DEVICES_SPIKE_FLOOR)?,
        })
    }

    /// The leases file to read: the one named, else dnsmasq's default when `exists` says it
    /// is there (the caller passes the filesystem check, so this stays testable).
    pub fn leases_path(&self, exists: impl Fn(&Path) -> bool) -> Option<PathBuf> {
        self.leases
            .clone()
            .or_else(|| exists(Path::new(DEFAULT_LEASES)).then(|| PathBuf::from(DEFAULT_LEASES)))
    }

    /// The built-in device rules' settings: the windows, the spike settings, and each known
    /// device's limits keyed by its `device` label value (its name, else its MAC, else its
    /// IP), the registry's `unknown` entry (else the old monitor's 100 MB and 3 h) for every
    /// other device. `spike_window` is the samples in a device's recent average.
    pub fn rule_settings(&self, spike_window: usize) -> builtin::DeviceSettings {
        let unknown = self.registry.unknown();
        let mut thresholds = BTreeMap::new();
        let mut max_active = BTreeMap::new();
        for d in self.registry.devices() {
            let label = device_label(d.name.as_deref(), d.mac, d.ip);
            if let Some(b) = d.limits.bandwidth_threshold {
                #[allow(clippy::cast_precision_loss)] // registry amounts are below 2^53
                thresholds.insert(label.clone(), b as f64);
            }
            if let Some(t) = d.limits.max_active_time {
                max_active.insert(label, t.as_secs_f64());
            }
        }
        builtin::DeviceSettings {
            threshold_window: self.threshold_window,
            idle_gap: self.idle_gap,
            #[allow(clippy::cast_precision_loss)] // registry amounts are below 2^53
            default_threshold: unknown
                .bandwidth_threshold
                .map_or(builtin::DEVICE_THRESHOLD_BYTES, |b| b as f64),
            thresholds,
            default_max_active: unknown
                .max_active_time
                .unwrap_or(builtin::DEVICE_MAX_ACTIVE),
            max_active,
            spike: SpikeSettings {
                factor: self.spike_factor,
                window: spike_window,
                floor: self.spike_floor_bps,
            },
        }
    }
}

/// The `device` label of a known device: its name, else its MAC, else its IP — the one
/// rule the source's namer labels registered devices by.
pub fn device_label(name: Option<&str>, mac: Option<Mac>, ip: Option<std::net::IpAddr>) -> String {
    bandwatch_collect::devices::namer::label(name, mac, ip)
}

/// The registry file (if named) with the `[[devices.known]]` tables added.
fn load_registry(
    file: Option<&Setting<PathBuf>>,
    known: &[Setting<KnownEntry>],
) -> Result<Registry, ConfigError> {
    let mut registry = match file {
        Some(f) => Registry::load(&f.value).map_err(|e| {
            ConfigError::invalid(
                keys::DEVICES_REGISTRY.def.name,
                &f.origin,
                format!("names a registry that cannot be used: {e}"),
                "the format is under \"Devices on your network\" in the README",
            )
        })?,
        None => Registry::default(),
    };
    for entry in known {
        registry
            .extend(std::slice::from_ref(&entry.value))
            .map_err(|e| {
                ConfigError::invalid(
                    keys::DEVICES_KNOWN.def.name,
                    &entry.origin,
                    format!("has a bad entry: {e}"),
                    "every field is under \"Devices on your network\" in the README",
                )
            })?;
    }
    Ok(registry)
}

/// `devices.enabled`: `auto`, `true` or `false`.
pub fn mode(s: &Setting<String>, key: &'static str) -> Result<DevicesMode, ConfigError> {
    match s.value.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(DevicesMode::Auto),
        "true" | "on" | "yes" | "1" => Ok(DevicesMode::On),
        "false" | "off" | "no" | "0" => Ok(DevicesMode::Off),
        other => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be \"auto\", true or false (got '{other}')"),
            "use \"auto\" to run the devices source when capture is allowed",
        )),
    }
}

/// `devices.backend`: `capture` or `conntrack`.
pub fn backend(s: &Setting<String>, key: &'static str) -> Result<DeviceBackend, ConfigError> {
    match s.value.trim() {
        "capture" => Ok(DeviceBackend::Capture),
        "conntrack" => Ok(DeviceBackend::Conntrack),
        other => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be \"capture\" or \"conntrack\" (got '{other}')"),
            "use \"capture\" (packet headers on the LAN interface) or \"conntrack\" (a NAT router's flow counters)",
        )),
    }
}

/// `devices.lan`: CIDRs such as `192.168.1.0/24` or `fd00::/8`.
pub fn lan(s: &Setting<Vec<String>>, key: &'static str) -> Result<Vec<IpNet>, ConfigError> {
    s.value
        .iter()
        .map(|c| {
            c.trim().parse::<IpNet>().map_err(|_| {
                ConfigError::invalid(
                    key,
                    &s.origin,
                    format!("has '{c}', which is not a network in CIDR form"),
                    "write networks like \"192.168.1.0/24\" or \"fd00::/8\"",
                )
            })
        })
        .collect()
}

/// The smallest and largest capture ring: a page per block of 8, and 256 MiB.
const RING_SIZES: std::ops::RangeInclusive<u64> = (32 << 10)..=(256 << 20);

/// `devices.ring_size`: bytes (`"256KiB"`, `"1MiB"`, `262144`), between 32 KiB and 256 MiB.
pub fn ring_size(s: &Setting<String>, key: &'static str) -> Result<u64, ConfigError> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // whole, 0..2^40
    let bytes = bandwatch_collect::devices::registry::parse_bytes(s.value.trim())
        .filter(|b| b.fract() == 0.0 && (0.0..1e12).contains(b))
        .map(|b| b as u64)
        .filter(|b| RING_SIZES.contains(b));
    match bytes {
        Some(b) => Ok(b),
        None => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!(
                "must be a size between {} KiB and {} MiB (got '{}')",
                RING_SIZES.start() >> 10,
                RING_SIZES.end() >> 20,
                s.value
            ),
            "use e.g. \"256KiB\" (more if devices_kernel_drops counts drops)",
        )),
    }
}

/// `devices.active_floor`: bytes per second, ≥ 0.
pub fn active_floor(s: &Setting<f64>, key: &'static str) -> Result<f64, ConfigError> {
    if s.value.is_finite() && s.value >= 0.0 {
        Ok(s.value)
    } else {
        Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be a number of bytes per second ≥ 0 (got {})", s.value),
            "use e.g. 2000",
        ))
    }
}

/// One `[[devices.known]]` entry from the environment: `name@address` (an IP or a MAC).
pub fn known_from_spec(spec: &str) -> KnownEntry {
    let (name, addr) = spec.rsplit_once('@').unwrap_or((spec, ""));
    let addr = addr.trim();
    let is_mac = bandwatch_collect::devices::names::parse_mac(addr).is_some();
    KnownEntry {
        name: name.trim().to_string(),
        ip: (!addr.is_empty() && !is_mac).then(|| addr.to_string()),
        mac: is_mac.then(|| addr.to_string()),
        ..KnownEntry::default()
    }
}

/// One known device as an inline TOML table (for `config check`).
pub fn known_table(e: &KnownEntry) -> String {
    let q = super::quote;
    let mut fields = vec![format!("name = {}", q(&e.name))];
    if let Some(ip) = &e.ip {
        fields.push(format!("ip = {}", q(ip)));
    }
    if let Some(mac) = &e.mac {
        fields.push(format!("mac = {}", q(mac)));
    }
    let amount = |a: &Amount| match a {
        Amount::Number(n) => super::float(*n),
        Amount::Text(t) => q(t),
    };
    if let Some(b) = &e.bandwidth_threshold {
        fields.push(format!("bandwidth_threshold = {}", amount(b)));
    }
    if let Some(t) = &e.max_active_time {
        fields.push(format!("max_active_time = {}", amount(t)));
    }
    if let Some(p) = e.probe {
        fields.push(format!("probe = {p}"));
    }
    format!("{{ {} }}", fields.join(", "))
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // limits are whole numbers, compared exactly
mod tests {
    use super::*;
    use crate::config::Origin;

    fn set<T>(v: T) -> Setting<T> {
        Setting::new(v, Origin::Default)
    }

    #[test]
    fn the_old_registry_file_loads_through_the_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("registered_devices.json");
        std::fs::write(
            &file,
            r#"{
  "unknown":      { "bandwidth_threshold": 100000000, "max_active_time": 10800 },
  "192.123.4.5":  { "name": "Laptop",    "bandwidth_threshold": 500000000,  "max_active_time": 18000 },
  "192.123.4.6":  { "name": "Cellphone", "bandwidth_threshold": 100000000,  "max_active_time": 10800 },
  "192.123.4.7":  { "name": "Smart TV",  "bandwidth_threshold": 2000000000, "max_active_time": 14400 }
}"#,
        )
        .expect("write");
        let text = format!(
            "[devices]\nregistry = {:?}\n\n[[devices.known]]\nname = \"NAS\"\nmac = \"aa:bb:cc:00:00:09\"\nmax_active_time = \"24h\"\n",
            file.display().to_string()
        );
        let c = super::super::from_file_text(&text, Path::new("b.toml")).expect("valid");
        let names: Vec<_> = c
            .devices
            .registry
            .devices()
            .iter()
            .map(|d| d.name.clone().unwrap_or_default())
            .collect();
        assert_eq!(names.len(), 4);
        assert!(names.contains(&"Smart TV".to_string()) && names.contains(&"NAS".to_string()));
        let r = c.devices.rule_settings(60);
        assert_eq!(r.thresholds["Smart TV"], 2e9);
        assert_eq!(r.max_active["NAS"], 86_400.0);
        assert_eq!(c.devices.registry_file.as_deref(), Some(file.as_path()));
    }

    #[test]
    fn modes_backends_and_networks() {
        let m = |t: &str| mode(&set(t.to_string()), "devices.enabled");
        assert_eq!(m("auto").ok(), Some(DevicesMode::Auto));
        assert_eq!(m("true").ok(), Some(DevicesMode::On));
        assert_eq!(m("false").ok(), Some(DevicesMode::Off));
        assert!(m("maybe").is_err());
        assert_eq!(
            backend(&set("conntrack".into()), "devices.backend").ok(),
            Some(DeviceBackend::Conntrack)
        );
        let nets = lan(
            &set(vec!["192.168.1.0/24".into(), "fd00::/8".into()]),
            "devices.lan",
        )
        .expect("valid");
        assert_eq!(nets.len(), 2);
        let r = |t: &str| ring_size(&set(t.to_string()), "devices.ring_size");
        assert_eq!(r("256KiB").ok(), Some(256 << 10));
        assert_eq!(r("1MiB").ok(), Some(1 << 20));
        assert_eq!(r("65536").ok(), Some(65_536));
        for bad in ["1KiB", "1GiB", "lots", "-5", "100000.5"] {
            assert!(r(bad).is_err(), "{bad}");
        }
        let err = lan(&set(vec!["192.168.1.0/33".into()]), "devices.lan").expect_err("bad");
        assert!(err.to_string().contains("'192.168.1.0/33'"), "{err}");
    }

    #[test]
    fn environment_specs_name_an_ip_or_a_mac() {
        let e = known_from_spec("Laptop@192.168.1.20");
        assert_eq!(
            (e.name.as_str(), e.ip.as_deref(), e.mac),
            ("Laptop", Some("192.168.1.20"), None)
        );
        let e = known_from_spec("TV@aa:bb:cc:dd:ee:ff");
        assert_eq!((e.ip, e.mac.as_deref()), (None, Some("aa:bb:cc:dd:ee:ff")));
        assert_eq!(
            known_table(&KnownEntry {
                bandwidth_threshold: Some(Amount::Text("500MB".into())),
                probe: Some(true),
                ..known_from_spec("Laptop@192.168.1.20")
            }),
            "{ name = \"Laptop\", ip = \"192.168.1.20\", bandwidth_threshold = \"500MB\", probe = true }"
        );
    }

    #[test]
    fn rule_settings_key_limits_by_the_device_label() {
        let registry = Registry::from_json(
            r#"{ "unknown": { "bandwidth_threshold": 100000000, "max_active_time": 10800 },
                 "192.123.4.5": { "name": "Laptop", "bandwidth_threshold": 500000000, "max_active_time": 18000 },
                 "192.123.4.9": { "bandwidth_threshold": 7 } }"#,
        )
        .expect("valid");
        let s = DevicesSettings {
            registry,
            ..super::super::defaults().devices
        };
        let r = s.rule_settings(60);
        assert_eq!(r.thresholds["Laptop"], 500e6);
        assert_eq!(r.thresholds["192.123.4.9"], 7.0);
        assert_eq!(r.max_active["Laptop"], 18_000.0);
        assert_eq!(r.default_threshold, 100e6);
        assert_eq!(r.default_max_active, Duration::from_secs(10_800));
        assert_eq!(r.threshold_window, Duration::from_secs(3600));
        let none = super::super::defaults().devices;
        assert_eq!(
            none.rule_settings(60).default_threshold,
            builtin::DEVICE_THRESHOLD_BYTES
        );
        assert_eq!(none.leases_path(|_| false), None);
        assert_eq!(
            none.leases_path(|_| true),
            Some(PathBuf::from(DEFAULT_LEASES))
        );
    }
}
