//! Writes a history for benchmarks and screenshots: `HOURS` of 1 s samples ending now into
//! the SQLite file `PATH`, as `bandwatch run` stores them (eth0 and wlan0 deltas, rates and
//! totals, the elapsed time, CPU, memory and disk gauges, and a probed router every 10 s).
//!
//! `cargo run --release -p bandwatch-web --example seed_history -- PATH HOURS`

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bandwatch_collect::netdev::metric as netdev;
use bandwatch_collect::probe::metric as probe;
use bandwatch_collect::system::metric as system;
use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store, ELAPSED_METRIC};

fn key(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// A day-shaped traffic curve with some noise, in bytes per second.
fn traffic(s: i64, base: f64) -> f64 {
    let day = (s as f64 / 86_400.0 * std::f64::consts::TAU).sin() * 0.5 + 1.0;
    let noise = ((s * 7919) % 1000) as f64 / 1000.0;
    base * day * (0.7 + 0.6 * noise)
}

fn netdev(ts: Timestamp, s: i64) -> Frame {
    let mut f = Frame::new("netdev", ts, Seconds(1.0));
    let mut total = (0.0, 0.0);
    for (iface, base) in [("eth0", 2_500_000.0), ("wlan0", 400_000.0)] {
        let rx = traffic(s, base).round();
        let tx = traffic(s + 3600, base / 5.0).round();
        total = (total.0 + rx, total.1 + tx);
        let l = [("iface", iface)];
        f.push(key(netdev::NET_RX_BYTES, &l), rx, SampleKind::Delta);
        f.push(key(netdev::NET_TX_BYTES, &l), tx, SampleKind::Delta);
        f.push(
            key(netdev::NET_RX_BITS_PER_SECOND, &l),
            rx * 8.0,
            SampleKind::Rate,
        );
        f.push(
            key(netdev::NET_TX_BITS_PER_SECOND, &l),
            tx * 8.0,
            SampleKind::Rate,
        );
        f.push(key(netdev::NET_UP, &l), 1.0, SampleKind::Gauge);
    }
    let t = [("scope", "total")];
    f.push(key(netdev::NET_RX_BYTES, &t), total.0, SampleKind::Delta);
    f.push(key(netdev::NET_TX_BYTES, &t), total.1, SampleKind::Delta);
    f.push(
        key(netdev::NET_RX_BITS_PER_SECOND, &t),
        total.0 * 8.0,
        SampleKind::Rate,
    );
    f.push(
        key(netdev::NET_TX_BITS_PER_SECOND, &t),
        total.1 * 8.0,
        SampleKind::Rate,
    );
    f.push(
        key(ELAPSED_METRIC, &[("source", "netdev")]),
        1.0,
        SampleKind::Gauge,
    );
    f
}

fn system(ts: Timestamp, s: i64) -> Frame {
    let mut f = Frame::new("system", ts, Seconds(10.0));
    f.push(
        key(system::SYSTEM_CPU_PERCENT, &[("cpu", "total")]),
        traffic(s, 20.0).min(100.0),
        SampleKind::Gauge,
    );
    f.push(
        key(system::SYSTEM_MEMORY_USED_PERCENT, &[]),
        55.0 + traffic(s, 5.0),
        SampleKind::Gauge,
    );
    f.push(
        key(system::SYSTEM_DISK_USED_PERCENT, &[("mount", "/")]),
        71.0,
        SampleKind::Gauge,
    );
    f.push(
        key(ELAPSED_METRIC, &[("source", "system")]),
        10.0,
        SampleKind::Gauge,
    );
    f
}

fn probe(ts: Timestamp, s: i64) -> Frame {
    let mut f = Frame::new("probe", ts, Seconds(10.0));
    let up = if s % 7200 < 60 { 0.0 } else { 1.0 };
    let l = [("target", "router")];
    f.push(key(probe::PROBE_UP, &l), up, SampleKind::Gauge);
    f.push(
        key(probe::PROBE_LOSS_PERCENT, &l),
        (1.0 - up) * 100.0,
        SampleKind::Gauge,
    );
    f.push(
        key(
            probe::PROBE_RTT_SECONDS,
            &[("target", "router"), ("stat", "avg")],
        ),
        0.0008 + traffic(s, 0.0004),
        SampleKind::Gauge,
    );
    f
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(hours)) = (args.next(), args.next().and_then(|h| h.parse::<i64>().ok()))
    else {
        eprintln!("usage: seed_history PATH HOURS");
        std::process::exit(2);
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut store = SqliteStore::open(std::path::Path::new(&path), SqliteOptions::default())
        .expect("open the history");
    let seconds = hours * 3600;
    let start = now - seconds * 1000;
    let mut batch = Vec::with_capacity(4000);
    for s in 0..seconds {
        let ts = Timestamp(start + s * 1000);
        batch.push(netdev(ts, s));
        if s % 10 == 0 {
            batch.push(system(ts, s));
            batch.push(probe(ts, s));
        }
        if batch.len() >= 3600 {
            store.write(&batch).expect("write");
            batch.clear();
            store.maintain(ts).expect("upkeep");
        }
    }
    store.write(&batch).expect("write");
    store.maintain(Timestamp(now)).expect("upkeep");
    store.flush().expect("flush");
    println!("{seconds} s of history up to now in {path}");
}
