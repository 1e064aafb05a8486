//! What a report is about: each interface recorded, the loopback-free total, or LAN
//! devices, and the delta series of each, found by the catalogue's roles (no metric name is
//! written here).

use std::collections::BTreeMap;

use bandwatch_collect::catalog;
use bandwatch_collect::devices::metric::LABEL_DEVICE;
use bandwatch_collect::netdev::metric::{LABEL_IFACE, LABEL_SCOPE, SCOPE_TOTAL};
use bandwatch_core::human::escape_control;
use bandwatch_core::{Role, SeriesKey};
use serde::Serialize;

use crate::error::BadInput;

/// The kind of series a report row group sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One network interface.
    Interface,
    /// Every interface but loopback.
    Total,
    /// One LAN device's internet traffic.
    Device,
}

impl Kind {
    /// As JSON and CSV write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interface => "interface",
            Self::Total => "total",
            Self::Device => "device",
        }
    }
}

/// One thing reported on and the series that hold its bytes (a device may have several,
/// one per address it used).
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// What it is.
    pub kind: Kind,
    /// Its name: the interface, `total`, or the device label.
    pub name: String,
    /// Received bytes' delta series.
    pub rx: Vec<SeriesKey>,
    /// Sent bytes' delta series.
    pub tx: Vec<SeriesKey>,
}

impl Subject {
    /// Every series of the subject.
    pub fn keys(&self) -> impl Iterator<Item = &SeriesKey> {
        self.rx.iter().chain(&self.tx)
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every interface (none named) or the ones named.
    Interfaces(Vec<String>),
    /// The loopback-free total.
    Total,
    /// The devices named.
    Devices(Vec<String>),
}

/// The recorded series grouped by subject kind and name.
#[derive(Debug, Default)]
struct Found {
    by: BTreeMap<(Kind, String), (Vec<SeriesKey>, Vec<SeriesKey>)>,
}

impl Found {
    fn add(&mut self, kind: Kind, name: &str, rx: bool, key: SeriesKey) {
        let e = self.by.entry((kind, name.to_string())).or_default();
        if rx {
            e.0.push(key);
        } else {
            e.1.push(key);
        }
    }

    fn names(&self, kind: Kind) -> Vec<&str> {
        self.by
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
            .collect()
    }

    fn take(&mut self, kind: Kind, name: &str) -> Option<Subject> {
        let (rx, tx) = self.by.remove(&(kind, name.to_string()))?;
        Some(Subject {
            kind,
            name: name.to_string(),
            rx,
            tx,
        })
    }
}

fn sort(series: Vec<SeriesKey>) -> Found {
    let cat = catalog();
    let role = |r: Role| cat.name_of(r);
    let mut found = Found::default();
    for key in series {
        let m = key.metric.as_str();
        let rx = m == role(Role::RxBytes) || m == role(Role::DeviceRxBytes);
        let tx = m == role(Role::TxBytes) || m == role(Role::DeviceTxBytes);
        if !rx && !tx {
            continue;
        }
        let device = m == role(Role::DeviceRxBytes) || m == role(Role::DeviceTxBytes);
        let label = |l: &str| key.labels.get(l).map(str::to_string);
        let place = if device {
            label(LABEL_DEVICE).map(|d| (Kind::Device, d))
        } else if key.labels.get(LABEL_SCOPE) == Some(SCOPE_TOTAL) {
            Some((Kind::Total, SCOPE_TOTAL.to_string()))
        } else {
            label(LABEL_IFACE).map(|i| (Kind::Interface, i))
        };
        if let Some((kind, name)) = place {
            found.add(kind, &name, rx, key);
        }
    }
    found
}

/// Whether the history holds any interface traffic at all.
pub fn any_traffic(series: &[SeriesKey]) -> bool {
    let cat = catalog();
    series
        .iter()
        .any(|k| k.metric == cat.name_of(Role::RxBytes) || k.metric == cat.name_of(Role::TxBytes))
}

/// The subjects `selection` names among the recorded `series`; a name that is not recorded
/// is bad input, answered with the names that are.
pub fn subjects(series: Vec<SeriesKey>, selection: &Selection) -> Result<Vec<Subject>, BadInput> {
    let mut found = sort(series);
    let pick = |found: &mut Found, kind: Kind, names: &[String]| {
        let known = found.names(kind).join(", ");
        names
            .iter()
            .map(|n| {
                found.take(kind, n).ok_or_else(|| {
                    BadInput(format!(
                        "no {} '{}' in the history; it has {}",
                        kind.name(),
                        escape_control(n),
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            escape_control(&known).into_owned()
                        }
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    match selection {
        Selection::Interfaces(names) if names.is_empty() => {
            let all: Vec<String> = found
                .names(Kind::Interface)
                .into_iter()
                .map(str::to_string)
                .collect();
            pick(&mut found, Kind::Interface, &all)
        }
        Selection::Interfaces(names) => pick(&mut found, Kind::Interface, names),
        Selection::Total => pick(&mut found, Kind::Total, &[SCOPE_TOTAL.to_string()]),
        Selection::Devices(names) => pick(&mut found, Kind::Device, names),
    }
}

#[cfg(test)]
mod tests {
    use bandwatch_core::Labels;

    use super::*;

    fn recorded() -> Vec<SeriesKey> {
        vec![
            SeriesKey::with_label("net_rx_bytes", "iface", "eth0"),
            SeriesKey::with_label("net_tx_bytes", "iface", "eth0"),
            SeriesKey::with_label("net_rx_bytes", "iface", "wlan0"),
            SeriesKey::with_label("net_rx_bytes", "scope", "total"),
            SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0"),
            SeriesKey::new(
                "device_rx_bytes",
                Labels::from_pairs([("device", "laptop"), ("ip", "10.0.0.2")]),
            ),
            SeriesKey::new(
                "device_rx_bytes",
                Labels::from_pairs([("device", "laptop"), ("ip", "10.0.0.3")]),
            ),
        ]
    }

    #[test]
    fn every_interface_the_total_or_devices() {
        let all = subjects(recorded(), &Selection::Interfaces(vec![])).expect("all");
        let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["eth0", "wlan0"]);
        assert_eq!((all[0].rx.len(), all[0].tx.len()), (1, 1));
        let total = subjects(recorded(), &Selection::Total).expect("total");
        assert_eq!(total[0].kind, Kind::Total);
        let dev = subjects(recorded(), &Selection::Devices(vec!["laptop".into()])).expect("dev");
        assert_eq!(dev[0].rx.len(), 2, "both addresses of the device");
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let e =
            subjects(recorded(), &Selection::Interfaces(vec!["eth9".into()])).expect_err("unknown");
        assert_eq!(
            e.0,
            "no interface 'eth9' in the history; it has eth0, wlan0"
        );
        let e = subjects(recorded(), &Selection::Devices(vec!["tv".into()])).expect_err("unknown");
        assert_eq!(e.0, "no device 'tv' in the history; it has laptop");
    }
}
