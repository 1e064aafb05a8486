//! The device registry: which devices are known, their names and their limits.
//!
//! Two forms convert into one [`Registry`]:
//! - `registered_devices.json`, the old per-device monitor's file, loaded unchanged: one JSON
//!   object keyed by IP address (or, new here, MAC address) or `"unknown"`, each value with
//!   `name`, `bandwidth_threshold` (bytes) and `max_active_time` (seconds);
//!   `"unknown"` holds the limits of every device not listed;
//! - `[[devices.known]]` tables in the TOML config ([`KnownEntry`]): `name`, `ip` and/or `mac`,
//!   `bandwidth_threshold` (bytes, or text like `"500MB"`), `max_active_time` (seconds, or
//!   text like `"5h"`), `probe = true`; an entry named `unknown` with neither address holds
//!   the defaults.
//!
//! A device is looked up by MAC first, then by IP. A bad entry is a [`RegistryError`] naming
//! the entry (its key or name) and the field, with the fix.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::names::parse_mac;
use super::packet::Mac;

/// The registry's key and the TOML name for the defaults of every device not listed.
pub const UNKNOWN: &str = "unknown";

/// Why a registry could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("cannot read the device registry {}: {source}; check the path", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON, or not one object.
    #[error(
        "the device registry is not a JSON object ({problem}); write one object keyed by IP \
         address, MAC address or \"unknown\", as registered_devices.json is"
    )]
    Json {
        /// What the JSON parser said, or what the top level is instead.
        problem: String,
    },
    /// One entry is wrong.
    #[error("device registry entry '{entry}': field '{field}' {problem}; {fix}")]
    Entry {
        /// The entry's key (JSON) or name (TOML).
        entry: String,
        /// The field, as written.
        field: String,
        /// What is wrong.
        problem: String,
        /// What to write instead.
        fix: String,
    },
}

impl RegistryError {
    fn entry(entry: &str, field: &str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::Entry {
            entry: bandwatch_core::human::escape_control(entry).into_owned(),
            field: field.to_string(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// The registry's result type.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// Limits of one device (or the defaults); `None` falls back to the defaults, then to the
/// built-in ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes the device may move within the threshold window.
    pub bandwidth_threshold: Option<u64>,
    /// How long the device may be active without a break.
    pub max_active_time: Option<Duration>,
}

impl Limits {
    /// These limits, each missing one taken from `defaults`.
    #[must_use]
    pub fn or(self, defaults: Limits) -> Limits {
        Limits {
            bandwidth_threshold: self.bandwidth_threshold.or(defaults.bandwidth_threshold),
            max_active_time: self.max_active_time.or(defaults.max_active_time),
        }
    }
}

/// One known device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    /// Its name (the `device` label); `None` when the entry gave none.
    pub name: Option<String>,
    /// Its IP address, if known.
    pub ip: Option<IpAddr>,
    /// Its hardware address, if known.
    pub mac: Option<Mac>,
    /// Its own limits.
    pub limits: Limits,
    /// Whether it is also probed for reachability.
    pub probe: bool,
}

/// The known devices and the defaults for every other one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    devices: Vec<KnownDevice>,
    by_mac: HashMap<Mac, usize>,
    by_ip: HashMap<IpAddr, usize>,
    unknown: Limits,
    warnings: Vec<String>,
}

impl Registry {
    /// Reads and parses a `registered_devices.json` file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses the old monitor's JSON format (MAC-address keys allowed too).
    pub fn from_json(text: &str) -> Result<Self> {
        let doc: Value = serde_json::from_str(text).map_err(|e| RegistryError::Json {
            problem: e.to_string(),
        })?;
        let Value::Object(entries) = doc else {
            return Err(RegistryError::Json {
                problem: format!("the top level is {}", kind(&doc)),
            });
        };
        let mut reg = Self::default();
        for (key, value) in &entries {
            let Value::Object(fields) = value else {
                return Err(RegistryError::entry(
                    key,
                    "(value)",
                    format!("is {}, not an object", kind(value)),
                    "write { \"name\": …, \"bandwidth_threshold\": bytes, \"max_active_time\": seconds }",
                ));
            };
            let mut device = KnownDevice {
                name: None,
                ip: None,
                mac: None,
                limits: Limits::default(),
                probe: false,
            };
            for (field, v) in fields {
                match field.as_str() {
                    "name" => match v {
                        Value::String(s) if !s.trim().is_empty() => device.name = Some(s.trim().to_string()),
                        _ => {
                            return Err(RegistryError::entry(
                                key,
                                field,
                                "is not a non-empty string",
                                "write the device's name, e.g. \"name\": \"Laptop\"",
                            ))
                        }
                    },
                    "bandwidth_threshold" => {
                        device.limits.bandwidth_threshold = Some(bytes(key, field, &amount(v))?);
                    }
                    "max_active_time" => {
                        device.limits.max_active_time = Some(seconds(key, field, &amount(v))?);
                    }
                    "probe" => match v {
                        Value::Bool(b) => device.probe = *b,
                        _ => {
                            return Err(RegistryError::entry(
                                key,
                                field,
                                "is not true or false",
                                "write \"probe\": true or leave it out",
                            ))
                        }
                    },
                    // The old monitor may keep fields of its own; they are not ours to refuse.
                    other => reg.warnings.push(format!(
                        "device registry entry '{}': field '{}' is not used by bandwatch and is ignored",
                        bandwatch_core::human::escape_control(key),
                        bandwatch_core::human::escape_control(other)
                    )),
                }
            }
            if key == UNKNOWN {
                reg.unknown = device.limits;
                continue;
            }
            if let Some(mac) = parse_mac(key) {
                device.mac = Some(mac);
            } else if let Ok(ip) = key.trim().parse::<IpAddr>() {
                device.ip = Some(ip);
            } else {
                return Err(RegistryError::entry(
                    key,
                    "(key)",
                    "is not an IP address, a MAC address or \"unknown\"",
                    "key each entry by the device's address, e.g. \"192.168.1.20\" or \"aa:bb:cc:dd:ee:ff\"",
                ));
            }
            reg.add(key, device)?;
        }
        Ok(reg)
    }

    /// Converts the TOML form's entries.
    pub fn from_known(entries: &[KnownEntry]) -> Result<Self> {
        let mut reg = Self::default();
        reg.extend(entries)?;
        Ok(reg)
    }

    /// Adds the TOML form's entries to this registry (the JSON file's, when both are given);
    /// an address listed twice is an error, an `unknown` entry replaces the defaults it sets.
    pub fn extend(&mut self, entries: &[KnownEntry]) -> Result<()> {
        for e in entries {
            let who = e.name.trim();
            if who.is_empty() {
                return Err(RegistryError::entry(
                    "(no name)",
                    "name",
                    "is empty",
                    "give every [[devices.known]] entry a name = \"…\"",
                ));
            }
            let limits = Limits {
                bandwidth_threshold: e
                    .bandwidth_threshold
                    .as_ref()
                    .map(|a| bytes(who, "bandwidth_threshold", a))
                    .transpose()?,
                max_active_time: e
                    .max_active_time
                    .as_ref()
                    .map(|a| seconds(who, "max_active_time", a))
                    .transpose()?,
            };
            let ip =
                e.ip.as_deref()
                    .map(|t| {
                        t.trim().parse::<IpAddr>().map_err(|_| {
                            RegistryError::entry(
                                who,
                                "ip",
                                format!("'{t}' is not an IP address"),
                                "write e.g. ip = \"192.168.1.20\"",
                            )
                        })
                    })
                    .transpose()?;
            let mac = e
                .mac
                .as_deref()
                .map(|t| {
                    parse_mac(t).ok_or_else(|| {
                        RegistryError::entry(
                            who,
                            "mac",
                            format!("'{t}' is not a MAC address"),
                            "write e.g. mac = \"aa:bb:cc:dd:ee:ff\"",
                        )
                    })
                })
                .transpose()?;
            if ip.is_none() && mac.is_none() {
                if who == UNKNOWN {
                    self.unknown = limits.or(self.unknown);
                    continue;
                }
                return Err(RegistryError::entry(
                    who,
                    "ip",
                    "is missing (and so is mac)",
                    "give the device's ip = \"…\" and/or mac = \"…\" (or name it \"unknown\" to set the defaults)",
                ));
            }
            let device = KnownDevice {
                name: Some(who.to_string()),
                ip,
                mac,
                limits,
                probe: e.probe.unwrap_or(false),
            };
            self.add(who, device)?;
        }
        Ok(())
    }

    fn add(&mut self, entry: &str, device: KnownDevice) -> Result<()> {
        let i = self.devices.len();
        if let Some(mac) = device.mac {
            if self.by_mac.insert(mac, i).is_some() {
                return Err(RegistryError::entry(
                    entry,
                    "mac",
                    format!("{mac} is listed twice"),
                    "list each device once",
                ));
            }
        }
        if let Some(ip) = device.ip {
            if self.by_ip.insert(ip, i).is_some() {
                return Err(RegistryError::entry(
                    entry,
                    "ip",
                    format!("{ip} is listed twice"),
                    "list each device once",
                ));
            }
        }
        self.devices.push(device);
        Ok(())
    }

    /// The known device with this MAC, else the one with this IP.
    pub fn lookup(&self, mac: Option<Mac>, ip: Option<IpAddr>) -> Option<&KnownDevice> {
        mac.and_then(|m| self.by_mac.get(&m))
            .or_else(|| ip.and_then(|a| self.by_ip.get(&a)))
            .map(|&i| &self.devices[i])
    }

    /// The limits of a device: its own, each missing one from the `unknown` entry.
    pub fn limits_for(&self, mac: Option<Mac>, ip: Option<IpAddr>) -> Limits {
        self.lookup(mac, ip)
            .map_or(self.unknown, |d| d.limits.or(self.unknown))
    }

    /// The limits of every device not listed (the `unknown` entry).
    pub fn unknown(&self) -> Limits {
        self.unknown
    }

    /// The known devices, in the order given.
    pub fn devices(&self) -> &[KnownDevice] {
        &self.devices
    }

    /// Things worth a warning that are not errors (fields bandwatch does not read).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// One `[[devices.known]]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownEntry {
    /// The device's name (the `device` label); `unknown` without addresses sets the defaults.
    pub name: String,
    /// Its IP address.
    pub ip: Option<String>,
    /// Its hardware address.
    pub mac: Option<String>,
    /// Bytes within the threshold window: a number, or text like `"500MB"`.
    pub bandwidth_threshold: Option<Amount>,
    /// Longest run of activity: seconds, or text like `"5h"`.
    pub max_active_time: Option<Amount>,
    /// Also probe it for reachability.
    pub probe: Option<bool>,
}

/// A number or a text with a unit, as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// A bare number in the base unit (bytes, seconds).
    Number(f64),
    /// A number with a unit (`"500MB"`, `"5h"`).
    Text(String),
}

fn amount(v: &Value) -> Amount {
    match v {
        Value::Number(n) => Amount::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Amount::Text(s.clone()),
        other => Amount::Text(format!("<{}>", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The largest byte amount or duration in seconds taken (about 9 PB; 285 million years).
const MAX_WHOLE: f64 = 9e15;

fn bytes(entry: &str, field: &str, a: &Amount) -> Result<u64> {
    let fix = "write a number of bytes such as 500000000, or text such as \"500MB\" or \"2GiB\"";
    let v = match a {
        Amount::Number(n) => Some(*n),
        Amount::Text(t) => parse_bytes(t),
    };
    match v {
        Some(n) if n.is_finite() && (0.0..=MAX_WHOLE).contains(&n) => Ok(whole(n)),
        _ => Err(RegistryError::entry(
            entry,
            field,
            format!("is {} (not a byte amount)", shown(a)),
            fix,
        )),
    }
}

fn seconds(entry: &str, field: &str, a: &Amount) -> Result<Duration> {
    let fix = "write a number of seconds such as 18000, or text such as \"5h\" or \"90m\"";
    let bad = || {
        RegistryError::entry(
            entry,
            field,
            format!("is {} (not a duration)", shown(a)),
            fix,
        )
    };
    let d = match a {
        Amount::Number(n) if n.is_finite() && (0.0..=MAX_WHOLE).contains(n) => {
            Duration::from_secs(whole(*n))
        }
        Amount::Number(_) => return Err(bad()),
        Amount::Text(t) => match t.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && (0.0..=MAX_WHOLE).contains(&n) => {
                Duration::from_secs(whole(n))
            }
            Ok(_) => return Err(bad()),
            Err(_) => humantime::parse_duration(t.trim()).map_err(|_| bad())?,
        },
    };
    if d.is_zero() {
        return Err(RegistryError::entry(
            entry,
            field,
            "is 0",
            "write a duration greater than 0",
        ));
    }
    Ok(d)
}

fn shown(a: &Amount) -> String {
    match a {
        Amount::Number(n) => n.to_string(),
        Amount::Text(t) => format!("'{}'", bandwatch_core::human::escape_control(t)),
    }
}

/// A checked non-negative finite number at most [`MAX_WHOLE`], rounded to a whole one.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole(n: f64) -> u64 {
    n.round() as u64
}

/// A byte amount with an optional unit: `500000000`, `500MB`, `1.5 GB`, `2GiB`, `800kB`.
/// Decimal units are powers of 1000 (as the old monitor's numbers are), binary ones of 1024.
pub fn parse_bytes(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.replace('_', "").parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The old monitor's example, exactly as the issue quotes it (without its comments).
    const OLD: &str = r#"{
  "unknown":      { "bandwidth_threshold": 100000000, "max_active_time": 10800 },
  "192.123.4.5":  { "name": "Laptop",    "bandwidth_threshold": 500000000,  "max_active_time": 18000 },
  "192.123.4.6":  { "name": "Cellphone", "bandwidth_threshold": 100000000,  "max_active_time": 10800 },
  "192.123.4.7":  { "name": "Smart TV",  "bandwidth_threshold": 2000000000, "max_active_time": 14400 }
}"#;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn err(json: &str) -> String {
        Registry::from_json(json).expect_err("invalid").to_string()
    }

    #[test]
    fn loads_the_old_monitors_file_unchanged() {
        let r = Registry::from_json(OLD).expect("valid");
        assert_eq!(r.devices().len(), 3);
        assert_eq!(
            r.unknown(),
            Limits {
                bandwidth_threshold: Some(100_000_000),
                max_active_time: Some(Duration::from_secs(10_800)),
            }
        );
        let tv = r.lookup(None, Some(ip("192.123.4.7"))).expect("known");
        assert_eq!(tv.name.as_deref(), Some("Smart TV"));
        assert_eq!(tv.limits.bandwidth_threshold, Some(2_000_000_000));
        assert_eq!(tv.limits.max_active_time, Some(Duration::from_secs(14_400)));
        let laptop = r.limits_for(Some(Mac([1, 2, 3, 4, 5, 6])), Some(ip("192.123.4.5")));
        assert_eq!(laptop.bandwidth_threshold, Some(500_000_000));
        assert_eq!(r.limits_for(None, Some(ip("192.123.4.99"))), r.unknown());
        assert!(r.warnings().is_empty());
    }

    #[test]
    fn mac_keys_win_over_ip_keys() {
        let r = Registry::from_json(
            r#"{ "192.168.1.20": { "name": "old-ip" },
                 "AA:BB:CC:00:00:01": { "name": "Laptop", "max_active_time": 60 } }"#,
        )
        .expect("valid");
        let mac = parse_mac("aa:bb:cc:00:00:01");
        let d = r.lookup(mac, Some(ip("192.168.1.20"))).expect("known");
        assert_eq!(d.name.as_deref(), Some("Laptop"));
        assert_eq!(
            r.lookup(None, Some(ip("192.168.1.20")))
                .and_then(|d| d.name.as_deref()),
            Some("old-ip")
        );
        // Limits it does not set come from the defaults (none here).
        assert_eq!(r.limits_for(mac, None).bandwidth_threshold, None);
    }

    #[test]
    fn bad_entries_name_the_entry_and_the_field() {
        assert_eq!(
            err(r#"{ "192.168.1.20": { "name": "Laptop", "bandwidth_threshold": -5 } }"#),
            "device registry entry '192.168.1.20': field 'bandwidth_threshold' is -5 (not a byte amount); \
             write a number of bytes such as 500000000, or text such as \"500MB\" or \"2GiB\""
        );
        assert_eq!(
            err(r#"{ "unknown": { "max_active_time": "soon" } }"#),
            "device registry entry 'unknown': field 'max_active_time' is 'soon' (not a duration); \
             write a number of seconds such as 18000, or text such as \"5h\" or \"90m\""
        );
        assert_eq!(
            err(r#"{ "laptop": { "name": "Laptop" } }"#),
            "device registry entry 'laptop': field '(key)' is not an IP address, a MAC address or \"unknown\"; \
             key each entry by the device's address, e.g. \"192.168.1.20\" or \"aa:bb:cc:dd:ee:ff\""
        );
        assert!(err(r#"{ "192.168.1.20": 5 }"#)
            .starts_with("device registry entry '192.168.1.20': field '(value)' is a number"));
        assert!(err(r#"{ "192.168.1.20": { "name": 5 } }"#)
            .contains("field 'name' is not a non-empty string"));
        assert!(err("[1]").contains("the top level is an array"));
        assert!(err("{").starts_with("the device registry is not a JSON object (EOF"));
        assert!(err(r#"{ "192.168.1.20": {}, "192.168.01.20": {} }"#).contains("field '(key)'"));
        assert!(
            err(r#"{ "unknown": { "max_active_time": 0 } }"#).contains("'max_active_time' is 0")
        );
        assert!(
            err(r#"{ "unknown": { "bandwidth_threshold": 1e300 } }"#).contains("not a byte amount")
        );
    }

    #[test]
    fn unused_fields_are_warned_about_not_refused() {
        let r = Registry::from_json(r#"{ "10.0.0.2": { "name": "NAS", "last_seen": 5 } }"#)
            .expect("valid");
        assert_eq!(
            r.warnings(),
            ["device registry entry '10.0.0.2': field 'last_seen' is not used by bandwatch and is ignored"]
        );
    }

    #[test]
    fn the_toml_form_converts_into_the_same_registry() {
        let entries = [
            KnownEntry {
                name: "unknown".into(),
                bandwidth_threshold: Some(Amount::Text("100MB".into())),
                max_active_time: Some(Amount::Text("3h".into())),
                ..KnownEntry::default()
            },
            KnownEntry {
                name: "Laptop".into(),
                ip: Some("192.123.4.5".into()),
                mac: Some("aa:bb:cc:00:00:01".into()),
                bandwidth_threshold: Some(Amount::Text("500MB".into())),
                max_active_time: Some(Amount::Number(18_000.0)),
                probe: Some(true),
            },
        ];
        let r = Registry::from_known(&entries).expect("valid");
        assert_eq!(
            r.unknown(),
            Registry::from_json(OLD).expect("valid").unknown()
        );
        let d = r
            .lookup(parse_mac("aa:bb:cc:00:00:01"), None)
            .expect("by mac");
        assert!(d.probe);
        assert_eq!(d.limits.bandwidth_threshold, Some(500_000_000));
        assert_eq!(d.limits.max_active_time, Some(Duration::from_secs(18_000)));
        // Both forms at once: the file's devices and the table's; an address twice is an error.
        let mut both = Registry::from_json(OLD).expect("valid");
        let dup = both
            .extend(&entries)
            .expect_err("192.123.4.5 twice")
            .to_string();
        assert_eq!(
            dup,
            "device registry entry 'Laptop': field 'ip' 192.123.4.5 is listed twice; list each device once"
        );
    }

    #[test]
    fn bad_toml_entries_name_the_device() {
        let one = |e: KnownEntry| Registry::from_known(&[e]).expect_err("invalid").to_string();
        let base = KnownEntry {
            name: "TV".into(),
            ip: Some("192.168.1.30".into()),
            ..KnownEntry::default()
        };
        assert_eq!(
            one(KnownEntry { ip: Some("192.168.1".into()), ..base.clone() }),
            "device registry entry 'TV': field 'ip' '192.168.1' is not an IP address; write e.g. ip = \"192.168.1.20\""
        );
        assert!(one(KnownEntry {
            ip: None,
            ..base.clone()
        })
        .contains("field 'ip' is missing (and so is mac)"));
        assert!(one(KnownEntry {
            bandwidth_threshold: Some(Amount::Text("lots".into())),
            ..base.clone()
        })
        .contains("field 'bandwidth_threshold' is 'lots' (not a byte amount)"));
        assert!(one(KnownEntry {
            max_active_time: Some(Amount::Number(f64::INFINITY)),
            ..base
        })
        .contains("field 'max_active_time' is inf (not a duration)"));
    }

    #[test]
    fn byte_amounts_in_people_units() {
        assert_eq!(parse_bytes("500MB"), Some(500e6));
        assert_eq!(parse_bytes("1.5 GB"), Some(1.5e9));
        assert_eq!(parse_bytes("2GiB"), Some(2_147_483_648.0));
        assert_eq!(parse_bytes("100_000"), Some(100_000.0));
        assert_eq!(parse_bytes("5 parsecs"), None);
        assert_eq!(parse_bytes("MB"), None);
    }
}
