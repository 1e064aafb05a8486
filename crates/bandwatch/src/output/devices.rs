//! The `devices` object of a `--json` tick line: per LAN device, the exact byte deltas of the
//! devices frames since the last printed line and the newest rates. The devices source runs
//! on its own tick, so its frames are gathered here as they come and handed to the next
//! interface line; metrics are found by catalogue role.

use std::collections::BTreeMap;

use bandwatch_collect::devices::metric::{LABEL_DEVICE, LABEL_IP, LABEL_MAC};
use bandwatch_collect::devices::SOURCE_NAME;
use bandwatch_core::{Frame, Role};
use serde::Serialize;

/// One device's numbers since the last line. Byte fields are exact deltas; `_bps` fields the
/// newest rates, bits per second.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceStats {
    /// Its registered (or leased) name; `null` when it is known only by its address.
    pub name: Option<String>,
    /// Its newest IP address.
    pub ip: String,
    /// Its hardware address (empty when none was seen).
    pub mac: String,
    /// Bytes downloaded from the internet.
    pub rx_bytes: u64,
    /// Bytes uploaded to the internet.
    pub tx_bytes: u64,
    /// Download rate, bits per second.
    pub rx_bps: f64,
    /// Upload rate, bits per second.
    pub tx_bps: f64,
    /// Bytes received from LAN hosts.
    pub lan_rx_bytes: u64,
    /// Bytes sent to LAN hosts.
    pub lan_tx_bytes: u64,
}

/// The devices by their `device` label.
pub type Devices = BTreeMap<String, DeviceStats>;

/// What the devices frames added up to since the last line; `None` until a devices frame
/// came, so the field is absent when the devices source is off.
#[derive(Debug, Default)]
pub struct DevicesSince {
    pending: Option<Devices>,
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, whole
fn count(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

impl DevicesSince {
    /// Adds a frame when it is the devices source's; other frames are ignored.
    pub fn observe(&mut self, frame: &Frame) {
        if frame.source != SOURCE_NAME {
            return;
        }
        let devices = self.pending.get_or_insert_with(Devices::new);
        let catalog = bandwatch_collect::catalog();
        for s in &frame.samples {
            let Some(role) = catalog.get(&s.series.metric).and_then(|m| m.role) else {
                continue;
            };
            let Some(label) = s.series.labels.get(LABEL_DEVICE) else {
                continue;
            };
            let field = |n: &str| s.series.labels.get(n).unwrap_or_default().to_string();
            let d = devices.entry(label.to_string()).or_default();
            let (ip, mac) = (field(LABEL_IP), field(LABEL_MAC));
            d.name = (label != ip && label != mac).then(|| label.to_string());
            if !ip.is_empty() {
                d.ip = ip;
            }
            if !mac.is_empty() {
                d.mac = mac;
            }
            match role {
                Role::DeviceRxBytes => d.rx_bytes += count(s.value),
                Role::DeviceTxBytes => d.tx_bytes += count(s.value),
                Role::DeviceLanRxBytes => d.lan_rx_bytes += count(s.value),
                Role::DeviceLanTxBytes => d.lan_tx_bytes += count(s.value),
                Role::DeviceRxRate => d.rx_bps = s.value,
                Role::DeviceTxRate => d.tx_bps = s.value,
                _ => {}
            }
        }
    }

    /// What came since the last call (an empty map when the source is on and nothing
    /// moved), and starts over.
    pub fn take(&mut self) -> Option<Devices> {
        let out = self.pending.take();
        if out.is_some() {
            // The source is on: later lines carry the object even when nothing came.
            self.pending = Some(Devices::new());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::{Labels, SampleKind, Seconds, SeriesKey, Timestamp};

    use super::*;

    fn frame(source: &str, rx: f64) -> Frame {
        let mut f = Frame::new(source, Timestamp(1_000), Seconds(1.0));
        let labels = Labels::from_pairs([
            ("device", "Laptop"),
            ("ip", "192.168.1.20"),
            ("mac", "aa:bb:cc:dd:ee:ff"),
        ]);
        let key = |m: &str| Arc::new(SeriesKey::new(m, labels.clone()));
        f.push(key("device_rx_bytes"), rx, SampleKind::Delta);
        f.push(key("device_rx_bits_per_second"), rx * 8.0, SampleKind::Rate);
        f.push(key("device_lan_tx_bytes"), 3.0, SampleKind::Delta);
        f
    }

    #[test]
    fn sums_the_deltas_of_every_frame_since_the_last_line() {
        let mut d = DevicesSince::default();
        assert_eq!(d.take(), None, "absent while the source is off");
        d.observe(&frame("netdev", 5.0));
        assert_eq!(d.take(), None);
        d.observe(&frame(SOURCE_NAME, 1000.0));
        d.observe(&frame(SOURCE_NAME, 500.0));
        let got = d.take().expect("devices");
        let laptop = &got["Laptop"];
        assert_eq!(laptop.name.as_deref(), Some("Laptop"));
        assert_eq!((laptop.rx_bytes, laptop.lan_tx_bytes), (1500, 6));
        assert!(
            (laptop.rx_bps - 4000.0).abs() < f64::EPSILON,
            "the newest rate"
        );
        assert_eq!(d.take(), Some(Devices::new()), "on, nothing moved");
    }
}
