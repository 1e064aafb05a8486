//! A generated history with values the tests know: two hours of one interface (and a quiet
//! second one), a probe target, CPU/memory/disk gauges, one LAN device and a few alerts,
//! written as `Frame`s into a real SQLite store at instants the test chooses. Used by
//! `analyze_cli.rs` and `interfaces_cli.rs` through `#[path]`.
#![allow(dead_code, clippy::cast_precision_loss)]

use std::path::Path;
use std::sync::Arc;

use bandwatch_core::{
    alert_id, AlertEvent, AlertState, EventKind, Frame, Labels, SampleKind, Seconds, SeriesKey,
    Severity, Timestamp,
};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};

/// Seconds between netdev and system frames.
pub const TICK_S: i64 = 10;
/// Seconds between probe rounds.
pub const ROUND_S: i64 = 30;
/// Link speed of eth0, bits/s: 80 % of it is 80 kbit/s.
pub const SPEED_BPS: f64 = 100_000.0;
/// The sample of eth0's download that is far above the rest.
pub const SPIKE_INDEX: i64 = 500;
/// Its bytes.
pub const SPIKE_BYTES: f64 = 1_000_000.0;
/// The rounds of the probe that were down: 8 of them, four minutes.
pub const DOWN_ROUNDS: std::ops::Range<i64> = 100..108;

/// What the generator wrote, for the expectations.
#[derive(Debug, Default)]
pub struct Known {
    /// eth0 download bytes per sample.
    pub eth0_rx: Vec<f64>,
    /// eth0 upload bytes per sample.
    pub eth0_tx: Vec<f64>,
    /// Frame times of the netdev samples.
    pub times: Vec<Timestamp>,
    /// The probe's RTT per round, seconds.
    pub rtt: Vec<f64>,
}

/// eth0's download bytes of sample `i`: a ramp of 1..=120 kB repeating every 20 minutes,
/// with one spike.
pub fn eth0_rx_bytes(i: i64) -> f64 {
    if i == SPIKE_INDEX {
        SPIKE_BYTES
    } else {
        ((i % 120) + 1) as f64 * 1000.0
    }
}

fn key(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// `samples` netdev/system frames from `t0` (one every [`TICK_S`]) and the probe rounds
/// between, into a new store at `path`; then the alerts. Hour rollups are built for the
/// closed hours, as a running agent's upkeep does.
pub fn write(path: &Path, t0: Timestamp, samples: i64) -> Known {
    let mut store = SqliteStore::open(path, SqliteOptions::default()).expect("store");
    let mut known = Known::default();
    let mut frames = Vec::new();
    for i in 0..samples {
        let ts = t0.add_millis((i + 1) * TICK_S * 1000);
        let mut f = Frame::new("netdev", ts, Seconds(TICK_S as f64));
        let rx = eth0_rx_bytes(i);
        let tx = 500.0;
        for (iface, rx, tx) in [("eth0", rx, tx), ("wlan0", 100.0, 0.0)] {
            let l = [("iface", iface)];
            f.push(key("net_rx_bytes", &l), rx, SampleKind::Delta);
            f.push(key("net_tx_bytes", &l), tx, SampleKind::Delta);
            let secs = TICK_S as f64;
            f.push(
                key("net_rx_bits_per_second", &l),
                rx * 8.0 / secs,
                SampleKind::Rate,
            );
            f.push(
                key("net_tx_bits_per_second", &l),
                tx * 8.0 / secs,
                SampleKind::Rate,
            );
            f.push(key("net_up", &l), 1.0, SampleKind::Gauge);
        }
        f.push(
            key("net_speed_bits_per_second", &[("iface", "eth0")]),
            SPEED_BPS,
            SampleKind::Gauge,
        );
        known.eth0_rx.push(rx);
        known.eth0_tx.push(tx);
        known.times.push(ts);
        frames.push(f);
        let mut s = Frame::new("system", ts, Seconds(TICK_S as f64));
        let cpu = if i == 300 { 95.0 } else { 10.0 };
        s.push(
            key("system_cpu_percent", &[("cpu", "total")]),
            cpu,
            SampleKind::Gauge,
        );
        s.push(
            key("system_memory_used_percent", &[]),
            50.0,
            SampleKind::Gauge,
        );
        let disk = if i >= samples - 6 { 91.0 } else { 80.0 };
        s.push(
            key("system_disk_used_percent", &[("mount", "/")]),
            disk,
            SampleKind::Gauge,
        );
        frames.push(s);
        // The laptop moves 1000 B down and 100 B up every tick, 10 kB at sample 42.
        let mut d = Frame::new("devices", ts, Seconds(TICK_S as f64));
        let l = [("device", "laptop"), ("ip", "192.168.1.20")];
        let down = if i == 42 { 10_000.0 } else { 1000.0 };
        d.push(key("device_rx_bytes", &l), down, SampleKind::Delta);
        d.push(key("device_tx_bytes", &l), 100.0, SampleKind::Delta);
        d.push(
            key("device_rx_bits_per_second", &l),
            down * 8.0 / 10.0,
            SampleKind::Rate,
        );
        d.push(key("device_tx_bits_per_second", &l), 80.0, SampleKind::Rate);
        frames.push(d);
    }
    let rounds = samples * TICK_S / ROUND_S;
    for j in 0..rounds {
        let ts = t0.add_millis((j + 1) * ROUND_S * 1000);
        let mut p = Frame::new("probe", ts, Seconds(ROUND_S as f64));
        let up = !DOWN_ROUNDS.contains(&j);
        p.push(
            key("probe_up", &[("target", "router")]),
            f64::from(u8::from(up)),
            SampleKind::Gauge,
        );
        if up {
            let rtt = ((j % 20) + 1) as f64 / 1000.0;
            p.push(
                key(
                    "probe_rtt_seconds",
                    &[("target", "router"), ("stat", "avg")],
                ),
                rtt,
                SampleKind::Gauge,
            );
            known.rtt.push(rtt);
        }
        frames.push(p);
    }
    frames.sort_by_key(|f| f.ts);
    store.write(&frames).expect("write");
    store.flush().expect("flush");
    store
        .maintain(t0.add_millis(samples * TICK_S * 1000))
        .expect("maintain");
    store.record_alerts(&alerts(t0)).expect("alerts");
    known
}

/// Three critical upload spikes on eth0 and one medium download spike.
fn alerts(t0: Timestamp) -> Vec<AlertEvent> {
    let series = |m: &str| SeriesKey::with_label(m, "iface", "eth0");
    let event = |rule: &str, metric: &str, severity, minute: i64| {
        let s = series(metric);
        let started = t0.add_millis(minute * 60_000);
        AlertEvent {
            id: alert_id(rule, &s, started),
            rule: rule.into(),
            series: s,
            kind: EventKind::Fired,
            state: AlertState::Firing,
            severity,
            value: 1.0,
            reference: 0.5,
            message: "spike".into(),
            started,
            ended: None,
            at: started,
        }
    };
    vec![
        event(
            "upload-spike",
            "net_tx_bits_per_second",
            Severity::Critical,
            10,
        ),
        event(
            "upload-spike",
            "net_tx_bits_per_second",
            Severity::Critical,
            20,
        ),
        event(
            "upload-spike",
            "net_tx_bits_per_second",
            Severity::Critical,
            30,
        ),
        event(
            "download-spike",
            "net_rx_bits_per_second",
            Severity::Medium,
            40,
        ),
    ]
}
