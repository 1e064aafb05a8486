//! The NDJSON contract of `bandwatch run --json`: one object per tick, documented in the README.

use std::collections::BTreeMap;

use serde::Serialize;

use super::summary::{IfaceStats, TickSummary};

#[derive(Serialize)]
struct JsonTick<'a> {
    ts: String,
    interval_s: f64,
    interfaces: &'a BTreeMap<String, IfaceStats>,
    total: &'a IfaceStats,
}

/// One tick as a single JSON line (no trailing newline).
pub fn json_line(tick: &TickSummary) -> String {
    let doc = JsonTick {
        ts: tick.ts.to_rfc3339(),
        // Microsecond precision is plenty and keeps the line short.
        interval_s: (tick.interval_s * 1e6).round() / 1e6,
        interfaces: &tick.interfaces,
        total: &tick.total,
    };
    serde_json::to_string(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
