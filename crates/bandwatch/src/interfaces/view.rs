//! The `interfaces` answer, pure: rows from one netdev frame, the MACs, the addresses and
//! the history's totals; its text for people and its JSON shape (documented on
//! [`Listing`]).

use std::fmt::Write as _;

use bandwatch_collect::netdev::metric as net;
use bandwatch_core::human::{escape_control, format};
use bandwatch_core::{Frame, Unit};
use serde::Serialize;

/// The version of the JSON shape.
pub const VERSION: u32 = 1;

/// The whole answer. As JSON (`--json`):
///
/// ```text
/// {
///   "version": 1,
///   "ts": "2026-03-10T12:00:00.000Z",        // time of the reading that has the rates
///   "interval_seconds": 1.0,                  // between the two readings
///   "history": { "database": "./data/bandwatch.db", "available": true },
///   "interfaces": [{
///     "iface": "eth0", "up": true, "carrier": true,         // null: unknown
///     "speed_bits_per_second": 1e9, "mtu": 1500, "mac": "aa:bb:cc:dd:ee:ff",
///     "addresses": ["192.168.1.7/24", "fe80::1/64"],         // null: not known for a
///                                                              // fixture tree
///     "rx_bits_per_second": 1200.0, "tx_bits_per_second": 300.0,
///     "today": { "rx_bytes": 123, "tx_bytes": 45 },          // null: no history
///     "month": { "rx_bytes": 6789, "tx_bytes": 1011 } }]
/// }
/// ```
///
/// Today and the month are the local calendar's (`TZ`), from midnight and from the 1st.
#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    /// [`VERSION`].
    pub version: u32,
    /// Time of the second reading, RFC 3339 (empty when the interfaces could not be read).
    pub ts: String,
    /// Seconds between the two readings.
    pub interval_seconds: f64,
    /// Where the totals come from.
    pub history: History,
    /// Each interface, in the kernel's order.
    pub interfaces: Vec<Row>,
}

/// Where the totals come from.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The configured history.
    pub database: String,
    /// Whether it exists and could be read.
    pub available: bool,
}

/// Bytes over one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Traffic {
    /// Received.
    pub rx_bytes: u64,
    /// Sent.
    pub tx_bytes: u64,
}

/// One interface's totals from the history (local calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Since midnight.
    pub today: Traffic,
    /// Since the 1st.
    pub month: Traffic,
}

/// One interface.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Its name.
    pub iface: String,
    /// Whether the link is up.
    pub up: Option<bool>,
    /// Whether it has a carrier.
    pub carrier: Option<bool>,
    /// Negotiated speed, bits/s (`null`: the driver does not say).
    pub speed_bits_per_second: Option<f64>,
    /// MTU, bytes.
    pub mtu: Option<u64>,
    /// Hardware address (`null`: none, as on loopback and tunnels).
    pub mac: Option<String>,
    /// Its addresses with prefix lengths (`null`: unknown).
    pub addresses: Option<Vec<String>>,
    /// Receive rate now, bits/s.
    pub rx_bits_per_second: Option<f64>,
    /// Transmit rate now, bits/s.
    pub tx_bits_per_second: Option<f64>,
    /// Bytes today (`null`: no history).
    pub today: Option<Traffic>,
    /// Bytes this month (`null`: no history).
    pub month: Option<Traffic>,
}

/// The interfaces of `frame`, in its order.
pub fn iface_names(frame: Option<&Frame>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in frame.iter().flat_map(|f| &f.samples) {
        if s.series.metric != net::NET_RX_BYTES {
            continue;
        }
        if let Some(i) = s.series.labels.get(net::LABEL_IFACE) {
            if !out.iter().any(|o| o == i) {
                out.push(i.to_string());
            }
        }
    }
    out
}

/// The answer from a netdev frame, each interface's MAC (in [`iface_names`] order), the
/// machine's addresses and the totals (same order; `None` without history).
pub fn build(
    frame: Option<&Frame>,
    macs: &[Option<String>],
    addresses: Option<&[(String, ipnet::IpNet)]>,
    totals: Option<&[Totals]>,
    database: String,
) -> Listing {
    let value = |metric: &str, i: &str| frame.and_then(|f| f.find(metric, net::LABEL_IFACE, i));
    let flag = |metric: &str, i: &str| value(metric, i).map(|v| v > 0.5);
    let names = iface_names(frame);
    let rows = names
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let t = totals.and_then(|t| t.get(k));
            Row {
                iface: i.clone(),
                up: flag(net::NET_UP, i),
                carrier: flag(net::NET_CARRIER, i),
                speed_bits_per_second: value(net::NET_SPEED_BITS_PER_SECOND, i),
                mtu: value(net::NET_MTU_BYTES, i).map(whole),
                mac: macs.get(k).cloned().flatten(),
                addresses: addresses.map(|all| {
                    all.iter()
                        .filter(|(n, _)| n == i)
                        .map(|(_, a)| a.to_string())
                        .collect()
                }),
                rx_bits_per_second: value(net::NET_RX_BITS_PER_SECOND, i),
                tx_bits_per_second: value(net::NET_TX_BITS_PER_SECOND, i),
                today: t.map(|t| t.today),
                month: t.map(|t| t.month),
            }
        })
        .collect();
    Listing {
        version: VERSION,
        ts: frame.map_or_else(String::new, |f| f.ts.to_rfc3339()),
        interval_seconds: frame.map_or(0.0, |f| f.elapsed.0),
        history: History {
            database,
            available: totals.is_some(),
        },
        interfaces: rows,
    }
}

/// A MAC as sysfs writes it (`aa:bb:cc:dd:ee:ff\n`); `None` for all zeros or anything else.
pub fn parse_mac(text: &str) -> Option<String> {
    let mac = text.trim().to_ascii_lowercase();
    let parts: Vec<&str> = mac.split(':').collect();
    let hex = |p: &&str| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit());
    (parts.len() == 6 && parts.iter().all(hex) && parts.iter().any(|p| *p != "00")).then_some(mac)
}

/// A non-negative float as the whole number it stands for.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, rounded
pub fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

impl Listing {
    /// The answer for people: a block per interface.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.interfaces.is_empty() {
            out.push_str("no interfaces found\n");
        }
        for r in &self.interfaces {
            r.render(&mut out);
        }
        if !self.history.available {
            let _ = writeln!(
                out,
                "(no history in {}: totals come with `bandwatch run`)",
                escape_control(&self.history.database)
            );
        }
        out
    }
}

impl Row {
    fn render(&self, out: &mut String) {
        let mut head = vec![match self.up {
            Some(true) => "up".to_string(),
            Some(false) => "DOWN".to_string(),
            None => "state unknown".to_string(),
        }];
        match self.carrier {
            Some(true) => head.push("carrier".into()),
            Some(false) => head.push("no carrier".into()),
            None => {}
        }
        if let Some(s) = self.speed_bits_per_second {
            head.push(format(Unit::BitsPerSecond, s));
        }
        if let Some(m) = self.mtu {
            head.push(format!("MTU {m}"));
        }
        if let Some(mac) = &self.mac {
            head.push(mac.clone());
        }
        let _ = writeln!(out, "{}  {}", escape_control(&self.iface), head.join(", "));
        if let Some(a) = self.addresses.as_ref().filter(|a| !a.is_empty()) {
            let _ = writeln!(out, "  addresses   {}", a.join(", "));
        }
        let rate =
            |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format(Unit::BitsPerSecond, v));
        let _ = writeln!(
            out,
            "  now         rx {:>12}  tx {:>12}",
            rate(self.rx_bits_per_second),
            rate(self.tx_bits_per_second)
        );
        #[allow(clippy::cast_precision_loss)] // display only
        let b = |v: u64| format(Unit::Bytes, v as f64);
        for (what, t) in [("today", self.today), ("this month", self.month)] {
            match t {
                Some(t) => {
                    let _ = writeln!(
                        out,
                        "  {what:<10}  rx {:>12}  tx {:>12}",
                        b(t.rx_bytes),
                        b(t.tx_bytes)
                    );
                }
                None => {
                    let _ = writeln!(out, "  {what:<10}  no history");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::{SampleKind, Seconds, SeriesKey, Timestamp};

    use super::*;

    fn frame() -> Frame {
        let mut f = Frame::new("netdev", Timestamp(1_773_169_200_000), Seconds(1.0));
        for (iface, up, rx) in [("lo", 1.0, 800.0), ("eth0", 0.0, 1.2e6)] {
            let k = |m: &str| Arc::new(SeriesKey::with_label(m, net::LABEL_IFACE, iface));
            f.push(k(net::NET_RX_BYTES), rx / 8.0, SampleKind::Delta);
            f.push(k(net::NET_RX_BITS_PER_SECOND), rx, SampleKind::Rate);
            f.push(k(net::NET_TX_BITS_PER_SECOND), 0.0, SampleKind::Rate);
            f.push(k(net::NET_UP), up, SampleKind::Gauge);
            f.push(k(net::NET_MTU_BYTES), 1500.0, SampleKind::Gauge);
        }
        let eth0 = |m: &str| Arc::new(SeriesKey::with_label(m, net::LABEL_IFACE, "eth0"));
        f.push(eth0(net::NET_CARRIER), 0.0, SampleKind::Gauge);
        f.push(eth0(net::NET_SPEED_BITS_PER_SECOND), 1e9, SampleKind::Gauge);
        f
    }

    #[test]
    fn macs_are_lowercase_and_zeros_are_none() {
        assert_eq!(
            parse_mac("AA:bb:cc:dd:ee:01\n").as_deref(),
            Some("aa:bb:cc:dd:ee:01")
        );
        assert_eq!(parse_mac("00:00:00:00:00:00\n"), None);
        assert_eq!(parse_mac("garbage"), None);
        assert_eq!(parse_mac(""), None);
    }

    #[test]
    fn rows_join_the_frame_macs_addresses_and_totals() {
        let f = frame();
        let addrs = vec![
            ("lo".to_string(), "127.0.0.1/8".parse().expect("net")),
            ("eth0".to_string(), "192.168.1.7/24".parse().expect("net")),
            ("eth0".to_string(), "fe80::1/64".parse().expect("net")),
        ];
        let totals = vec![
            Totals::default(),
            Totals {
                today: Traffic {
                    rx_bytes: 1536,
                    tx_bytes: 10,
                },
                month: Traffic {
                    rx_bytes: 3 << 30,
                    tx_bytes: 1 << 20,
                },
            },
        ];
        let v = build(
            Some(&f),
            &[None, Some("aa:bb:cc:dd:ee:01".into())],
            Some(&addrs),
            Some(&totals),
            "h.db".into(),
        );
        insta::assert_snapshot!(v.render(), @r"
        lo  up, MTU 1500
          addresses   127.0.0.1/8
          now         rx      800 bps  tx        0 bps
          today       rx          0 B  tx          0 B
          this month  rx          0 B  tx          0 B
        eth0  DOWN, no carrier, 1.00 Gbps, MTU 1500, aa:bb:cc:dd:ee:01
          addresses   192.168.1.7/24, fe80::1/64
          now         rx    1.20 Mbps  tx        0 bps
          today       rx     1.50 KiB  tx         10 B
          this month  rx     3.00 GiB  tx     1.00 MiB
        ");
        let v = build(Some(&f), &[], None, None, "h.db".into());
        assert_eq!(v.interfaces[1].addresses, None);
        assert_eq!(v.interfaces[1].today, None);
        let text = v.render();
        assert!(text.contains("  today       no history"), "{text}");
        assert!(text.ends_with("(no history in h.db: totals come with `bandwatch run`)\n"));
        assert!(build(None, &[], None, None, "h.db".into())
            .render()
            .starts_with("no interfaces found"));
    }
}
