//! The NDJSON contract of `bandwatch run --json`: one object per tick, documented in the README.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::devices::Devices;
use super::summary::{IfaceStats, TickSummary};

#[derive(Serialize)]
struct JsonTick<'a> {
    ts: String,
    interval_s: f64,
    interfaces: &'a BTreeMap<String, IfaceStats>,
    total: &'a IfaceStats,
    #[serde(skip_serializing_if = "Option::is_none")]
    devices: Option<&'a Devices>,
}

/// One tick as a single JSON line (no trailing newline), with the LAN devices' numbers since the last line
/// (`"devices"`, left out when `devices` is `None`: the devices source is off).
pub fn json_line_with_devices(tick: &TickSummary, devices: Option<&Devices>) -> String {
    let doc = JsonTick {
        ts: tick.ts.to_rfc3339(),
        // Microsecond precision is plenty and keeps the line short.
        interval_s: (tick.interval_s * 1e6).round() / 1e6,
        interfaces: &tick.interfaces,
        total: &tick.total,
        devices,
    };
    let line = serde_json::to_string(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    escape_unsafe_chars(line)
}

/// JSON text with the characters serde_json leaves raw but readers trip on written as
/// `\uXXXX`: DEL and the C1 controls (some terminals act on them, as on ESC, when the NDJSON
/// is watched), and U+2028/U+2029 (line breaks to JavaScript before ES2019, to Python's
/// `str.splitlines` and other line splitters, which would cut an NDJSON line in two). They
/// can only occur inside JSON strings, where the escape means the same character.
pub fn escape_unsafe_chars(json: String) -> String {
    let unsafe_char = |c: char| matches!(c, '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}');
    if !json.contains(unsafe_char) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_line(tick: &TickSummary) -> String {
        json_line_with_devices(tick, None)
    }
    use bandwatch_core::Timestamp;

    #[test]
    fn matches_the_documented_contract() {
        let eth0 = IfaceStats {
            rx_bytes: 1_250_000,
            tx_bytes: 31_000,
            rx_packets: 900,
            tx_packets: 400,
            rx_bps: 10_000_000.0,
            tx_bps: 248_000.0,
            ..IfaceStats::default()
        };
        let tick = TickSummary {
            ts: Timestamp(1_795_255_201_000),
            interval_s: 1.0,
            interfaces: BTreeMap::from([("eth0".to_string(), eth0.clone())]),
            total: eth0,
        };
        let stats = r#"{"rx_bytes":1250000,"tx_bytes":31000,"rx_packets":900,"tx_packets":400,"rx_errors":0,"tx_errors":0,"rx_drops":0,"tx_drops":0,"rx_bps":10000000.0,"tx_bps":248000.0}"#;
        let expected = format!(
            r#"{{"ts":"2026-11-21T10:00:01.000Z","interval_s":1.0,"interfaces":{{"eth0":{stats}}},"total":{stats}}}"#
        );
        assert_eq!(json_line(&tick), expected);
    }

    #[test]
    fn devices_follow_the_interfaces_keyed_by_label() {
        let tick = TickSummary {
            ts: Timestamp(1_795_255_201_000),
            interval_s: 1.0,
            interfaces: BTreeMap::new(),
            total: IfaceStats::default(),
        };
        let laptop = crate::output::devices::DeviceStats {
            name: Some("Laptop".into()),
            ip: "192.168.1.20".into(),
            mac: "aa:bb:cc:dd:ee:ff".into(),
            rx_bytes: 125_000,
            tx_bytes: 3_100,
            rx_bps: 1_000_000.0,
            tx_bps: 24_800.0,
            lan_rx_bytes: 0,
            lan_tx_bytes: 512,
        };
        let unnamed = crate::output::devices::DeviceStats {
            ip: "192.168.1.31".into(),
            ..crate::output::devices::DeviceStats::default()
        };
        let devices = Devices::from([
            ("Laptop".to_string(), laptop),
            ("192.168.1.31".to_string(), unnamed),
        ]);
        insta::assert_snapshot!(json_line_with_devices(&tick, Some(&devices)), @r#"{"ts":"2026-11-21T10:00:01.000Z","interval_s":1.0,"interfaces":{},"total":{"rx_bytes":0,"tx_bytes":0,"rx_packets":0,"tx_packets":0,"rx_errors":0,"tx_errors":0,"rx_drops":0,"tx_drops":0,"rx_bps":0.0,"tx_bps":0.0},"devices":{"192.168.1.31":{"name":null,"ip":"192.168.1.31","mac":"","rx_bytes":0,"tx_bytes":0,"rx_bps":0.0,"tx_bps":0.0,"lan_rx_bytes":0,"lan_tx_bytes":0},"Laptop":{"name":"Laptop","ip":"192.168.1.20","mac":"aa:bb:cc:dd:ee:ff","rx_bytes":125000,"tx_bytes":3100,"rx_bps":1000000.0,"tx_bps":24800.0,"lan_rx_bytes":0,"lan_tx_bytes":512}}}"#);
        let empty = json_line_with_devices(&tick, Some(&Devices::new()));
        assert!(empty.ends_with(r#","devices":{}}"#), "{empty}");
        assert!(!json_line(&tick).contains("devices"));
    }

    /// Interface names with controls and line separators stay inside one line of JSON,
    /// with no raw control byte, and parse back to the same name.
    #[test]
    fn odd_names_stay_one_line_without_raw_controls() {
        let names = [
            "e\u{1b}[31mx",
            "u\u{2028}x",
            "p\u{2029}q",
            "d\u{7f}el",
            "c\u{9b}1",
            "bad\\xff",
        ];
        let tick = TickSummary {
            ts: Timestamp(1_795_255_201_000),
            interval_s: 1.0,
            interfaces: names
                .iter()
                .map(|n| ((*n).to_string(), IfaceStats::default()))
                .collect(),
            total: IfaceStats::default(),
        };
        let line = json_line(&tick);
        assert!(
            !line
                .chars()
                .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
            "{line}"
        );
        assert!(line.contains(r#""u\u2028x""#), "{line}");
        assert!(line.contains(r#""e\u001b[31mx""#), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        for n in names {
            assert!(back["interfaces"].get(n).is_some(), "{n:?} in {line}");
        }
        assert_eq!(escape_unsafe_chars("{}".into()), "{}");
    }
}
