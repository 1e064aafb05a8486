//! Writes a busy host's history for the `bandwatch report` benchmark: `DAYS` days ending
//! now, 5 interfaces, the total and 50 LAN devices (received and sent bytes of each). The
//! newest 30 days (the minute rollups' retention) have a sample a minute; older days one
//! every 10 minutes, which leaves the hour rollups a year of history holds.
//!
//! `cargo run --release -p bandwatch --example report_history -- PATH DAYS`

use std::sync::Arc;

use bandwatch_core::{
    Clock as _, Frame, Labels, Role, SampleKind, Seconds, SeriesKey, SystemClock,
};
use bandwatch_store::{SqliteOptions, SqliteStore, Store as _};

const MINUTE: i64 = 60_000;

/// The catalogue's name for `role` (metric names are written only in the catalogue).
fn metric_name(role: Role) -> &'static str {
    bandwatch_collect::catalog().name_of(role)
}

fn key(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(days)) = (args.next(), args.next().and_then(|d| d.parse::<i64>().ok()))
    else {
        eprintln!("usage: report_history PATH DAYS");
        std::process::exit(2);
    };
    let now = SystemClock::new().wall();
    let from = now.add_millis(-days * 86_400_000).floor_to(10 * MINUTE);
    let dense = now.add_millis(-30 * 86_400_000);
    let ifaces: Vec<String> = ["eth0", "eth1", "wlan0", "br0", "wg0"]
        .iter()
        .map(ToString::to_string)
        .collect();
    let iface_keys: Vec<[Arc<SeriesKey>; 2]> = ifaces
        .iter()
        .map(|i| {
            [
                key(metric_name(Role::RxBytes), &[("iface", i)]),
                key(metric_name(Role::TxBytes), &[("iface", i)]),
            ]
        })
        .collect();
    let total = [
        key(metric_name(Role::RxBytes), &[("scope", "total")]),
        key(metric_name(Role::TxBytes), &[("scope", "total")]),
    ];
    let devices: Vec<[Arc<SeriesKey>; 2]> = (0..50)
        .map(|d| {
            let name = format!("device-{d:02}");
            let ip = format!("192.168.1.{}", d + 10);
            let l = [("device", name.as_str()), ("ip", ip.as_str())];
            [
                key(metric_name(Role::DeviceRxBytes), &l),
                key(metric_name(Role::DeviceTxBytes), &l),
            ]
        })
        .collect();
    let mut store = SqliteStore::open(std::path::Path::new(&path), SqliteOptions::default())
        .expect("open the history");
    let mut t = from;
    let mut batch = Vec::new();
    while t < now {
        let step = if t < dense { 10 * MINUTE } else { MINUTE };
        let k = t.0 / MINUTE;
        let mut f = Frame::new("netdev", t, Seconds(step as f64 / 1000.0));
        let mut sum = [0.0; 2];
        for (i, keys) in iface_keys.iter().enumerate() {
            for (dir, key) in keys.iter().enumerate() {
                let v = (1_000_000 + (k * 7919 + i as i64 * 31 + dir as i64) % 500_000) as f64;
                sum[dir] += v;
                f.push(Arc::clone(key), v, SampleKind::Delta);
            }
        }
        for (dir, key) in total.iter().enumerate() {
            f.push(Arc::clone(key), sum[dir], SampleKind::Delta);
        }
        for (d, keys) in devices.iter().enumerate() {
            for key in keys {
                f.push(
                    Arc::clone(key),
                    ((k + d as i64) % 9000) as f64,
                    SampleKind::Delta,
                );
            }
        }
        batch.push(f);
        if batch.len() == 1440 {
            store.write(&batch).expect("write");
            batch.clear();
            store.maintain(t).expect("maintain");
        }
        t = t.add_millis(step);
    }
    store.write(&batch).expect("write");
    store.maintain(now).expect("maintain");
    store.flush().expect("flush");
}
