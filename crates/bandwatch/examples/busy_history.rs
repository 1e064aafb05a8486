//! Writes a busy host's history for `scripts/bench-analyze.sh`: `DAYS` of one-minute frames
//! ending now into the SQLite file `PATH`, as a running agent leaves it after its upkeep:
//! five interfaces (deltas, rates, link state), fifty LAN devices, CPU, memory and two
//! disks, a probed router, and a few alerts; raw points older than 48 h pruned, hours rolled
//! up. One-minute frames keep the generation short; `analyze --hours 720` reads the minute
//! and hour rollups, which are the same whatever the sampling interval.
//!
//! `cargo run --release -p bandwatch --example busy_history -- PATH DAYS`

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bandwatch_collect::devices::metric as dev;
use bandwatch_collect::netdev::metric as net;
use bandwatch_collect::probe::metric as probe;
use bandwatch_collect::system::metric as sys;
use bandwatch_core::{
    alert_id, AlertEvent, AlertState, EventKind, Frame, Labels, SampleKind, Seconds, SeriesKey,
    Severity, Timestamp,
};
use bandwatch_store::{SqliteOptions, SqliteStore, Store};

const IFACES: [&str; 5] = ["eth0", "eth1", "wlan0", "br-lan", "wg0"];
const DEVICES: usize = 50;
const STEP_S: i64 = 60;

fn key(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// A day-shaped curve with deterministic noise, bytes per second.
#[allow(clippy::cast_precision_loss)]
fn traffic(s: i64, base: f64) -> f64 {
    let day = (s as f64 / 86_400.0 * std::f64::consts::TAU).sin() * 0.5 + 1.0;
    let noise = ((s * 7919) % 1000) as f64 / 1000.0;
    base * day * (0.7 + 0.6 * noise)
}

/// The keys of one tick, made once: interning them keeps the generator's memory flat.
struct Keys {
    iface: Vec<[Arc<SeriesKey>; 6]>,
    device: Vec<[Arc<SeriesKey>; 4]>,
    system: [Arc<SeriesKey>; 4],
    probe: [Arc<SeriesKey>; 2],
}

impl Keys {
    fn new(names: &[String]) -> Self {
        Self {
            iface: IFACES
                .iter()
                .map(|i| {
                    let l = [(net::LABEL_IFACE, *i)];
                    [
                        key(net::NET_RX_BYTES, &l),
                        key(net::NET_TX_BYTES, &l),
                        key(net::NET_RX_BITS_PER_SECOND, &l),
                        key(net::NET_TX_BITS_PER_SECOND, &l),
                        key(net::NET_UP, &l),
                        key(net::NET_SPEED_BITS_PER_SECOND, &l),
                    ]
                })
                .collect(),
            device: names
                .iter()
                .map(|d| {
                    let l = [(dev::LABEL_DEVICE, d.as_str())];
                    [
                        key(dev::DEVICE_RX_BYTES, &l),
                        key(dev::DEVICE_TX_BYTES, &l),
                        key(dev::DEVICE_RX_BITS_PER_SECOND, &l),
                        key(dev::DEVICE_TX_BITS_PER_SECOND, &l),
                    ]
                })
                .collect(),
            system: [
                key(sys::SYSTEM_CPU_PERCENT, &[(sys::LABEL_CPU, sys::CPU_TOTAL)]),
                key(sys::SYSTEM_MEMORY_USED_PERCENT, &[]),
                key(sys::SYSTEM_DISK_USED_PERCENT, &[(sys::LABEL_MOUNT, "/")]),
                key(sys::SYSTEM_DISK_USED_PERCENT, &[(sys::LABEL_MOUNT, "/var")]),
            ],
            probe: [
                key(probe::PROBE_UP, &[(probe::LABEL_TARGET, "router")]),
                key(
                    probe::PROBE_RTT_SECONDS,
                    &[(probe::LABEL_TARGET, "router"), (probe::LABEL_STAT, "avg")],
                ),
            ],
        }
    }
}

#[allow(clippy::cast_precision_loss)]
fn frames(keys: &Keys, ts: Timestamp, s: i64) -> Vec<Frame> {
    let k = keys;
    let secs = STEP_S as f64;
    let mut netdev = Frame::new("netdev", ts, Seconds(secs));
    for (i, keys) in k.iface.iter().enumerate() {
        let base = 2_000_000.0 / (i as f64 + 1.0);
        let rx = (traffic(s, base) * secs).round();
        let tx = (traffic(s + 3600, base / 5.0) * secs).round();
        netdev.push(Arc::clone(&keys[0]), rx, SampleKind::Delta);
        netdev.push(Arc::clone(&keys[1]), tx, SampleKind::Delta);
        netdev.push(Arc::clone(&keys[2]), rx * 8.0 / secs, SampleKind::Rate);
        netdev.push(Arc::clone(&keys[3]), tx * 8.0 / secs, SampleKind::Rate);
        netdev.push(Arc::clone(&keys[4]), 1.0, SampleKind::Gauge);
        netdev.push(Arc::clone(&keys[5]), 1e9, SampleKind::Gauge);
    }
    let mut devices = Frame::new("devices", ts, Seconds(secs));
    for (j, keys) in k.device.iter().enumerate() {
        let base = 20_000.0 * (1.0 + (j % 7) as f64);
        let rx = (traffic(s + j as i64 * 600, base) * secs).round();
        let tx = (rx / 8.0).round();
        devices.push(Arc::clone(&keys[0]), rx, SampleKind::Delta);
        devices.push(Arc::clone(&keys[1]), tx, SampleKind::Delta);
        devices.push(Arc::clone(&keys[2]), rx * 8.0 / secs, SampleKind::Rate);
        devices.push(Arc::clone(&keys[3]), tx * 8.0 / secs, SampleKind::Rate);
    }
    let mut system = Frame::new("system", ts, Seconds(secs));
    system.push(
        Arc::clone(&k.system[0]),
        5.0 + (s % 600) as f64 / 10.0,
        SampleKind::Gauge,
    );
    system.push(Arc::clone(&k.system[1]), 60.0, SampleKind::Gauge);
    system.push(Arc::clone(&k.system[2]), 70.0, SampleKind::Gauge);
    system.push(Arc::clone(&k.system[3]), 40.0, SampleKind::Gauge);
    let mut probe = Frame::new("probe", ts, Seconds(secs));
    let up = s % 86_400 != 0;
    probe.push(
        Arc::clone(&k.probe[0]),
        f64::from(u8::from(up)),
        SampleKind::Gauge,
    );
    probe.push(Arc::clone(&k.probe[1]), 0.002, SampleKind::Gauge);
    vec![netdev, devices, system, probe]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(days)) = (args.next(), args.next()) else {
        eprintln!("usage: busy_history PATH DAYS");
        std::process::exit(2);
    };
    let days: i64 = days.parse().expect("DAYS is a whole number");
    let now_ms = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("time");
    let end = Timestamp(now_ms).floor_to(STEP_S * 1000);
    let start = end.add_millis(-days * 86_400_000);
    let mut store = SqliteStore::open(std::path::Path::new(&path), SqliteOptions::default())
        .expect("open the store");
    let names: Vec<String> = (0..DEVICES).map(|j| format!("device-{j:02}")).collect();
    let keys = Keys::new(&names);
    let ticks_per_day = 86_400 / STEP_S;
    for day in 0..days {
        let batch: Vec<Frame> = (0..ticks_per_day)
            .flat_map(|t| {
                let s = (day * ticks_per_day + t + 1) * STEP_S;
                frames(&keys, start.add_millis(s * 1000), s)
            })
            .collect();
        store.write(&batch).expect("write");
        store
            .maintain(start.add_millis((day + 1) * 86_400_000))
            .expect("maintain");
    }
    store.flush().expect("flush");
    let series = SeriesKey::with_label(net::NET_TX_BITS_PER_SECOND, net::LABEL_IFACE, "eth0");
    let events: Vec<AlertEvent> = (0..days)
        .map(|d| {
            let started = start.add_millis(d * 86_400_000 + 20 * 3_600_000);
            AlertEvent {
                id: alert_id("upload-spike", &series, started),
                rule: "upload-spike".into(),
                series: series.clone(),
                kind: EventKind::Fired,
                state: AlertState::Firing,
                severity: if d % 5 == 0 {
                    Severity::Critical
                } else {
                    Severity::Medium
                },
                value: 1.0,
                reference: 0.5,
                message: "spike".into(),
                started,
                ended: None,
                at: started,
            }
        })
        .collect();
    store.record_alerts(&events).expect("alerts");
    println!("{days} days to {end} written to {path}");
}
