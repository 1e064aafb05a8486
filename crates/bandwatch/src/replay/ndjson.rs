//! Frames from the NDJSON that `bandwatch run --json` prints (the documented contract).

use std::collections::BTreeMap;
use std::sync::Arc;

use bandwatch_collect::netdev::metric;
use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
use serde::Deserialize;

#[derive(Deserialize)]
struct Tick {
    ts: String,
    interval_s: f64,
    interfaces: BTreeMap<String, Stats>,
    total: Stats,
}

#[derive(Deserialize)]
struct Stats {
    rx_bytes: u64,
    tx_bytes: u64,
    rx_packets: u64,
    tx_packets: u64,
    rx_errors: u64,
    tx_errors: u64,
    rx_drops: u64,
    tx_drops: u64,
    rx_bps: f64,
    tx_bps: f64,
}

/// Every line as one frame; `(line number, problem)` for the first bad line.
pub fn frames(lines: &[String]) -> Result<Vec<Frame>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let tick: Tick = serde_json::from_str(line)
            .map_err(|e| (i + 1, format!("not a `bandwatch run --json` line: {e}")))?;
        out.push(frame(&tick).map_err(|p| (i + 1, p))?);
    }
    Ok(out)
}

fn frame(tick: &Tick) -> Result<Frame, String> {
    let ts = chrono::DateTime::parse_from_rfc3339(&tick.ts)
        .map_err(|e| format!("ts '{}' is not RFC 3339: {e}", tick.ts))?
        .timestamp_millis();
    let mut frame = Frame::new("netdev", Timestamp(ts), Seconds(tick.interval_s));
    for (iface, stats) in &tick.interfaces {
        push_stats(
            &mut frame,
            &Labels::from_pairs([(metric::LABEL_IFACE, iface.as_str())]),
            stats,
            tick.interval_s,
        );
    }
    push_stats(
        &mut frame,
        &Labels::from_pairs([(metric::LABEL_SCOPE, metric::SCOPE_TOTAL)]),
        &tick.total,
        tick.interval_s,
    );
    Ok(frame)
}

/// The samples the netdev source would have emitted for these numbers.
fn push_stats(frame: &mut Frame, labels: &Labels, s: &Stats, interval_s: f64) {
    let per_second = |n: u64| {
        if interval_s > 0.0 {
            n as f64 / interval_s
        } else {
            0.0
        }
    };
    let mut push = |name: &str, value: f64, kind: SampleKind| {
        frame.push(Arc::new(SeriesKey::new(name, labels.clone())), value, kind);
    };
    let counts = [
        (metric::NET_RX_BYTES, None, s.rx_bytes),
        (metric::NET_TX_BYTES, None, s.tx_bytes),
        (
            metric::NET_RX_PACKETS,
            Some(metric::NET_RX_PACKETS_PER_SECOND),
            s.rx_packets,
        ),
        (
            metric::NET_TX_PACKETS,
            Some(metric::NET_TX_PACKETS_PER_SECOND),
            s.tx_packets,
        ),
        (
            metric::NET_RX_ERRORS,
            Some(metric::NET_RX_ERRORS_PER_SECOND),
            s.rx_errors,
        ),
        (
            metric::NET_TX_ERRORS,
            Some(metric::NET_TX_ERRORS_PER_SECOND),
            s.tx_errors,
        ),
        (
            metric::NET_RX_DROPS,
            Some(metric::NET_RX_DROPS_PER_SECOND),
            s.rx_drops,
        ),
        (
            metric::NET_TX_DROPS,
            Some(metric::NET_TX_DROPS_PER_SECOND),
            s.tx_drops,
        ),
    ];
    for (delta, rate, n) in counts {
        push(delta, n as f64, SampleKind::Delta);
        if let Some(rate) = rate {
            push(rate, per_second(n), SampleKind::Rate);
        }
    }
    push(metric::NET_RX_BITS_PER_SECOND, s.rx_bps, SampleKind::Rate);
    push(metric::NET_TX_BITS_PER_SECOND, s.tx_bps, SampleKind::Rate);
    // Received plus sent, as the source adds them.
    let both = s.rx_bytes.saturating_add(s.tx_bytes);
    push(metric::NET_BYTES, both as f64, SampleKind::Delta);
    push(
        metric::NET_BITS_PER_SECOND,
        s.rx_bps + s.tx_bps,
        SampleKind::Rate,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_run_json_contract() {
        let line = r#"{"ts":"2026-11-21T10:00:01.000Z","interval_s":1.0,"interfaces":{"eth0":{"rx_bytes":1250000,"tx_bytes":31000,"rx_packets":900,"tx_packets":400,"rx_errors":0,"tx_errors":0,"rx_drops":0,"tx_drops":0,"rx_bps":10000000.0,"tx_bps":248000.0}},"total":{"rx_bytes":1250000,"tx_bytes":31000,"rx_packets":900,"tx_packets":400,"rx_errors":0,"tx_errors":0,"rx_drops":0,"tx_drops":0,"rx_bps":10000000.0,"tx_bps":248000.0}}"#;
        let frames = frames(&[line.to_string()]).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].ts, Timestamp(1_795_255_201_000));
        assert_eq!(
            frames[0].find(metric::NET_RX_BITS_PER_SECOND, "iface", "eth0"),
            Some(10_000_000.0)
        );
        assert_eq!(
            frames[0].find(metric::NET_RX_PACKETS_PER_SECOND, "iface", "eth0"),
            Some(900.0)
        );
        assert_eq!(
            frames[0].find(metric::NET_TX_BYTES, "scope", "total"),
            Some(31_000.0)
        );
        assert_eq!(
            frames[0].find(metric::NET_BITS_PER_SECOND, "iface", "eth0"),
            Some(10_248_000.0)
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = frames(&[String::new(), "{\"ts\":1}".to_string()]).unwrap_err();
        assert_eq!(err.0, 2);
    }
}
