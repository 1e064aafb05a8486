//! The pure line-protocol encoder: escaping, integer versus float fields, and the mapping of
//! netdev, system and probe frames to points.

mod influx_support;

use bandwatch_core::{
    Catalog, Frame, Labels, MetricDef, Role, SampleKind, Seconds, SeriesKey, Timestamp, Unit,
};
use bandwatch_export::influx::{
    escape_key, escape_measurement, escape_string_value, FieldValue, LineEncoder, Point,
};
use influx_support::{netdev_frame, series, NetTotals};

fn esc(f: fn(&str, &mut String), s: &str) -> String {
    let mut out = String::new();
    f(s, &mut out);
    out
}

#[test]
fn escaping_table() {
    let cases: &[(&str, &str, &str, &str)] = &[
        // input, measurement, tag key/value and field key, string field value
        ("plain", "plain", "plain", "\"plain\""),
        ("a b", "a\\ b", "a\\ b", "\"a b\""),
        ("a,b", "a\\,b", "a\\,b", "\"a,b\""),
        ("a=b", "a=b", "a\\=b", "\"a=b\""),
        ("q\"uote", "q\"uote", "q\"uote", "\"q\\\"uote\""),
        (
            "back\\slash",
            "back\\slash",
            "back\\slash",
            "\"back\\\\slash\"",
        ),
        (
            "eth 0,x=y",
            "eth\\ 0\\,x=y",
            "eth\\ 0\\,x\\=y",
            "\"eth 0,x=y\"",
        ),
        ("two\nlines", "two\\nlines", "two\\nlines", "\"two\nlines\""),
        ("tab\there", "tab\there", "tab\there", "\"tab\there\""),
        // No escape exists for a backslash before a separator or at the end.
        ("end\\", "end_", "end_", "\"end\\\\\""),
        (
            "a\\,b\\=c",
            "a_\\,b\\=c",
            "a_\\,b_\\=c",
            "\"a\\\\,b\\\\=c\"",
        ),
    ];
    for (input, measurement, key, string) in cases {
        assert_eq!(
            esc(escape_measurement, input),
            *measurement,
            "measurement {input}"
        );
        assert_eq!(esc(escape_key, input), *key, "key {input}");
        assert_eq!(esc(escape_string_value, input), *string, "string {input}");
    }
}

#[test]
fn point_fields_and_order() {
    let mut out = String::new();
    let written = Point::new("m x", Timestamp(1_700_000_000_123))
        .tag("z", "1")
        .tag("a", "2")
        .tag("empty", "")
        .field("f", FieldValue::Float(1.5))
        .field("whole", FieldValue::Float(3.0))
        .field("n", FieldValue::Integer(-42))
        .field("nan", FieldValue::Float(f64::NAN))
        .field("inf", FieldValue::Float(f64::INFINITY))
        .field("s", FieldValue::Str("hi \"x\"".into()))
        .field("b", FieldValue::Bool(true))
        .write_to(&mut out);
    assert!(written);
    assert_eq!(
        out,
        "m\\ x,a=2,z=1 f=1.5,whole=3,n=-42i,s=\"hi \\\"x\\\"\",b=true 1700000000123\n"
    );
    let mut out = String::new();
    let only_nan = Point::new("m", Timestamp(1)).field("v", FieldValue::Float(f64::NAN));
    assert!(!only_nan.write_to(&mut out), "no fields, no line");
    assert_eq!(out, "");
}

#[test]
fn netdev_frame_maps_to_bandwidth_and_interface_points() {
    let frame = netdev_frame(
        Timestamp(1_700_000_000_000),
        "eth0",
        &NetTotals {
            rx_bytes: 1_250_000,
            tx_bytes: 250_000,
            rx_packets: 1000,
            tx_packets: 400,
        },
    );
    let (text, n) = LineEncoder::new("box", bandwatch_collect::catalog()).encode(&frame);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(n, lines.len());
    assert_eq!(
        lines[..2],
        [
            "network_bandwidth,host=box upload_mbps=2,download_mbps=10,total_mbps=12,\
             bytes_sent=250000i,bytes_recv=1250000i,packets_sent=400i,packets_recv=1000i,\
             interval_s=1 1700000000000",
            "network_interface,host=box,interface=eth0 upload_mbps=2,download_mbps=10,\
             total_mbps=12,bytes_sent=250000i,bytes_recv=1250000i,packets_sent=400i,\
             packets_recv=1000i,interval_s=1,errors_sent=0i,errors_recv=2i,drops_sent=0i,\
             drops_recv=1i 1700000000000",
        ]
    );
    // Metrics the netdev points do not carry still arrive, one measurement each.
    assert_eq!(
        lines[2..],
        ["net_up,host=box,iface=eth0 value=1 1700000000000"]
    );
}

#[test]
fn other_frames_use_the_metric_name_and_skip_non_finite() {
    let ts = Timestamp(1_700_000_000_500);
    let mut frame = Frame::new("probe", ts, Seconds(5.0));
    frame.push(
        series(
            "probe_rtt_seconds",
            &[
                ("target", "router 1"),
                ("host", "gw"),
                ("time", "t"),
                ("_field", "f"),
            ],
        ),
        0.0125,
        SampleKind::Gauge,
    );
    frame.push(
        series("probe_sent", &[("target", "a=b")]),
        3.0,
        SampleKind::Delta,
    );
    frame.push(
        series("probe_loss_percent", &[]),
        f64::NAN,
        SampleKind::Gauge,
    );
    frame.push(
        std::sync::Arc::new(SeriesKey::new("weird metric,x", Labels::new())),
        f64::NEG_INFINITY,
        SampleKind::Gauge,
    );
    let (text, n) = LineEncoder::new("my host", bandwatch_collect::catalog()).encode(&frame);
    assert_eq!(n, 2);
    assert_eq!(
        text,
        "probe_rtt_seconds,host=my\\ host,label__field=f,label_host=gw,label_time=t,target=router\\ 1 value=0.0125 1700000000500\n\
         probe_sent,host=my\\ host,target=a\\=b value=3i 1700000000500\n"
    );
}

#[test]
fn netdev_total_without_rates_still_writes_counts() {
    let ts = Timestamp(5_000);
    let mut frame = Frame::new("netdev", ts, Seconds(2.5));
    frame.push(
        series("net_rx_bytes", &[("scope", "total")]),
        10.0,
        SampleKind::Delta,
    );
    frame.push(
        series("net_tx_bits_per_second", &[("scope", "total")]),
        f64::NAN,
        SampleKind::Rate,
    );
    let (text, _) = LineEncoder::new("h", bandwatch_collect::catalog()).encode(&frame);
    assert_eq!(
        text,
        "network_bandwidth,host=h bytes_recv=10i,interval_s=2.5 5000\n"
    );
}

#[test]
fn the_compatibility_fields_follow_the_catalogue_roles_not_the_names() {
    // A source of another name with metrics of other names, in the same roles.
    const DEFS: [MetricDef; 3] = [
        MetricDef::new(
            "nic_in_bps",
            SampleKind::Rate,
            Unit::BitsPerSecond,
            &["sum", "nic"],
            "x_in",
            "In.",
        )
        .role(Role::RxRate),
        MetricDef::new(
            "nic_out_bps",
            SampleKind::Rate,
            Unit::BitsPerSecond,
            &["sum", "nic"],
            "x_out",
            "Out.",
        )
        .role(Role::TxRate),
        MetricDef::new(
            "nic_in_drops",
            SampleKind::Delta,
            Unit::Count,
            &["sum", "nic"],
            "x_drops_total",
            "Drops.",
        )
        .role(Role::RxDrops),
    ];
    let mut catalog = Catalog::new();
    catalog.extend(&DEFS).expect("unique names");
    catalog.set_aggregate("sum", "all");
    let ts = Timestamp(7_000);
    let mut frame = Frame::new("nics", ts, Seconds(1.0));
    frame.push(
        series("nic_in_bps", &[("sum", "all")]),
        4e6,
        SampleKind::Rate,
    );
    frame.push(
        series("nic_out_bps", &[("sum", "all")]),
        1e6,
        SampleKind::Rate,
    );
    frame.push(
        series("nic_in_bps", &[("nic", "n1")]),
        4e6,
        SampleKind::Rate,
    );
    frame.push(
        series("nic_in_drops", &[("nic", "n1")]),
        3.0,
        SampleKind::Delta,
    );
    frame.push(
        series("net_rx_bits_per_second", &[("iface", "eth0")]),
        8.0,
        SampleKind::Rate,
    );
    let (text, n) = LineEncoder::new("h", &catalog).encode(&frame);
    assert_eq!(n, 3, "{text}");
    assert_eq!(
        text,
        "network_bandwidth,host=h upload_mbps=1,download_mbps=4,total_mbps=5,interval_s=1 7000\n\
         network_interface,host=h,interface=n1 download_mbps=4,interval_s=1,drops_recv=3i 7000\n\
         net_rx_bits_per_second,host=h,iface=eth0 value=8 7000\n"
    );
}
