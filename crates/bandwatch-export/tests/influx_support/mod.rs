//! Shared pieces of the influx tests: a tiny HTTP receiver for the v2 API, frame builders and
//! a v1 writer configuration. The private `influxd` comes from `bandwatch_testkit::influxd`.
#![allow(dead_code)]

pub mod receiver;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_export::influx::{Api, InfluxConfig};

/// A series key from a metric and label pairs.
pub fn series(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// Counter deltas of one netdev tick (one second long).
#[derive(Debug, Clone, Copy)]
pub struct NetTotals {
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_packets: u64,
    pub tx_packets: u64,
}

/// A netdev frame over one second: the total and one interface with the same counts, two rx
/// errors, one rx drop, and a link gauge; rates are derived from the deltas.
pub fn netdev_frame(ts: Timestamp, iface: &str, t: &NetTotals) -> Frame {
    let mut f = Frame::new("netdev", ts, Seconds(1.0));
    for scope in [("scope", "total"), ("iface", iface)] {
        let s = |m: &str| series(m, &[scope]);
        f.push(s("net_rx_bytes"), t.rx_bytes as f64, SampleKind::Delta);
        f.push(s("net_tx_bytes"), t.tx_bytes as f64, SampleKind::Delta);
        f.push(s("net_rx_packets"), t.rx_packets as f64, SampleKind::Delta);
        f.push(s("net_tx_packets"), t.tx_packets as f64, SampleKind::Delta);
        f.push(
            s("net_rx_bits_per_second"),
            t.rx_bytes as f64 * 8.0,
            SampleKind::Rate,
        );
        f.push(
            s("net_tx_bits_per_second"),
            t.tx_bytes as f64 * 8.0,
            SampleKind::Rate,
        );
    }
    let i = |m: &str| series(m, &[("iface", iface)]);
    f.push(i("net_rx_errors"), 2.0, SampleKind::Delta);
    f.push(i("net_tx_errors"), 0.0, SampleKind::Delta);
    f.push(i("net_rx_drops"), 1.0, SampleKind::Delta);
    f.push(i("net_tx_drops"), 0.0, SampleKind::Delta);
    f.push(i("net_up"), 1.0, SampleKind::Gauge);
    f
}

/// A system frame with one CPU gauge.
pub fn system_frame(ts: Timestamp, cpu: f64) -> Frame {
    let mut f = Frame::new("system", ts, Seconds(1.0));
    f.push(series("system_cpu_percent", &[]), cpu, SampleKind::Gauge);
    f
}

/// A v1 configuration for a server at 127.0.0.1:`port`, tuned for quick tests.
pub fn v1_config(port: u16, database: &str, buffer_dir: &Path) -> InfluxConfig {
    let mut c = InfluxConfig::new(
        format!("http://127.0.0.1:{port}"),
        Api::V1 {
            database: database.into(),
            username: None,
            password: None,
        },
        buffer_dir,
        bandwatch_collect::catalog(),
    );
    c.host_tag = "testhost".into();
    c.flush_every = Duration::from_millis(200);
    c.timeout = Duration::from_secs(3);
    c.retry_initial = Duration::from_millis(100);
    c.retry_max = Duration::from_secs(1);
    c
}
