//! The writer against a private InfluxDB 1.x: values written through the v1 API read back
//! exactly, and awkward names survive the escaping.
// Exact float equality is the point: the values must read back bit for bit.
#![allow(clippy::float_cmp)]

mod influx_support;

use std::sync::Arc;

use bandwatch_core::{Frame, Labels, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_export::influx::InfluxWriter;
use bandwatch_testkit::influxd::Influxd;
use influx_support::{netdev_frame, series, system_frame, v1_config, NetTotals};
use serde_json::Value;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn f(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

fn write_all(server: &Influxd, frames: &[Frame]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (handle, join) =
        InfluxWriter::spawn(v1_config(server.port, "bw", dir.path())).expect("spawn writer");
    for frame in frames {
        assert!(handle.send(frame));
    }
    handle.close();
    join.join().expect("writer thread");
    let stats = handle.stats();
    assert_eq!(
        stats.dropped_lines,
        0,
        "{stats:?} {:?}",
        handle.last_error()
    );
    assert_eq!(stats.buffered_batches, 0, "{stats:?}");
}

#[test]
fn values_read_back_exactly() {
    let Some(server) = Influxd::start("values_read_back_exactly") else {
        return;
    };
    server.exec("CREATE DATABASE bw");
    let totals = NetTotals {
        rx_bytes: 123_456_789,
        tx_bytes: 9_876_543,
        rx_packets: 90_001,
        tx_packets: 7_007,
    };
    write_all(
        &server,
        &[
            netdev_frame(Timestamp(T0), "eth0", &totals),
            system_frame(Timestamp(T0 + 500), 12.5),
        ],
    );

    let (cols, rows) = server.rows(
        "bw",
        "SELECT upload_mbps, download_mbps, total_mbps, bytes_sent, bytes_recv, packets_sent, \
         packets_recv, interval_s, host FROM network_bandwidth",
    );
    assert_eq!(rows.len(), 1, "{cols:?} {rows:?}");
    let r = &rows[0];
    assert_eq!(r[0].as_i64(), Some(T0));
    assert_eq!(f(&r[1]), 9_876_543.0 * 8.0 / 1e6);
    assert_eq!(f(&r[2]), 123_456_789.0 * 8.0 / 1e6);
    assert_eq!(f(&r[3]), (123_456_789.0 * 8.0 + 9_876_543.0 * 8.0) / 1e6);
    assert_eq!(r[4].as_i64(), Some(9_876_543));
    assert_eq!(r[5].as_i64(), Some(123_456_789));
    assert_eq!(r[6].as_i64(), Some(7_007));
    assert_eq!(r[7].as_i64(), Some(90_001));
    assert_eq!(f(&r[8]), 1.0);
    assert_eq!(r[9], "testhost");

    let (_, rows) = server.rows(
        "bw",
        "SELECT bytes_recv, errors_recv, drops_recv, upload_mbps FROM network_interface \
         WHERE interface = 'eth0' AND host = 'testhost'",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1].as_i64(), Some(123_456_789));
    assert_eq!(rows[0][2].as_i64(), Some(2));
    assert_eq!(rows[0][3].as_i64(), Some(1));
    assert_eq!(f(&rows[0][4]), 9_876_543.0 * 8.0 / 1e6);

    let (_, rows) = server.rows(
        "bw",
        "SELECT value FROM system_cpu_percent WHERE host = 'testhost'",
    );
    assert_eq!(rows, vec![vec![Value::from(T0 + 500), Value::from(12.5)]]);

    // Integer fields really are integers in the schema (Flux sums of bytes stay exact).
    let (_, rows) = server.rows("bw", "SHOW FIELD KEYS FROM network_bandwidth");
    let types: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[0].as_str().unwrap().into(), r[1].as_str().unwrap().into()))
        .collect();
    assert!(
        types.contains(&("bytes_sent".into(), "integer".into())),
        "{types:?}"
    );
    assert!(
        types.contains(&("upload_mbps".into(), "float".into())),
        "{types:?}"
    );
}

#[test]
fn awkward_names_round_trip() {
    let Some(server) = Influxd::start("awkward_names_round_trip") else {
        return;
    };
    server.exec("CREATE DATABASE bw");
    let nasty_iface = "eth 0,x=y";
    let totals = NetTotals {
        rx_bytes: 1,
        tx_bytes: 2,
        rx_packets: 3,
        tx_packets: 4,
    };
    let mut probe = Frame::new("probe", Timestamp(T0 + 1), Seconds(1.0));
    probe.push(
        series(
            "probe_rtt_seconds",
            &[
                ("target", "say \"hi\", x=1"),
                ("we\"ird key", "back\\slash"),
                ("trail", "ends\\"),
                ("mid", "a\\,b\\ c"),
            ],
        ),
        0.25,
        SampleKind::Gauge,
    );
    probe.push(
        Arc::new(SeriesKey::new("odd metric,name", Labels::new())),
        7.0,
        SampleKind::Delta,
    );
    write_all(
        &server,
        &[netdev_frame(Timestamp(T0), nasty_iface, &totals), probe],
    );

    let (_, rows) = server.rows(
        "bw",
        "SHOW TAG VALUES FROM network_interface WITH KEY = interface",
    );
    assert_eq!(
        rows,
        vec![vec![Value::from("interface"), Value::from(nasty_iface)]]
    );

    let (cols, rows) = server.rows("bw", "SELECT * FROM probe_rtt_seconds");
    let row: std::collections::BTreeMap<String, Value> =
        cols.into_iter().zip(rows[0].clone()).collect();
    assert_eq!(row["target"], "say \"hi\", x=1");
    assert_eq!(row["we\"ird key"], "back\\slash");
    assert_eq!(row["value"], 0.25);
    // A final backslash cannot be carried at all; it must not break the batch.
    assert_eq!(row["trail"], "ends_");
    assert_eq!(row["mid"], "a_,b_ c");

    let (_, rows) = server.rows("bw", "SELECT value FROM \"odd metric,name\"");
    assert_eq!(rows, vec![vec![Value::from(T0 + 1), Value::from(7)]]);
}
