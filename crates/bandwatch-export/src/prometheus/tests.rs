//! Unit tests of the mapping through the public API, driven by a fake clock.

// Values here are exact by construction (sums of small integers, powers of two, scaled once).
#![allow(clippy::float_cmp, clippy::type_complexity)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{
    AlertEvent, EventKind, FakeClock, Frame, Labels, SampleKind, Seconds, SeriesKey, Severity,
    SinkBoard, SinkCounters, Snapshot, SourceBoard, Timestamp,
};

use super::{Exporter, Format};

/// An exporter over its own snapshot and boards, fed the way the agent feeds them.
struct Rig {
    exp: Exporter,
    snapshot: Snapshot,
    sources: SourceBoard,
    sinks: SinkBoard,
    clock: FakeClock,
}

impl Rig {
    fn with_stale_after(stale_after: Duration) -> Self {
        let clock = FakeClock::new(Timestamp::from_secs(1_700_000_000));
        let snapshot = Snapshot::new(Arc::new(clock.clone()), stale_after);
        let (sources, sinks) = (SourceBoard::default(), SinkBoard::default());
        let exp = Exporter::new(
            snapshot.clone(),
            bandwatch_collect::catalog(),
            sources.clone(),
            sinks.clone(),
        );
        Self {
            exp,
            snapshot,
            sources,
            sinks,
            clock,
        }
    }

    /// The snapshot takes the frame and the source board counts it, as in a run.
    fn observe(&self, frame: &Frame) {
        self.snapshot.observe(frame);
        self.sources
            .record(&frame.source, Duration::ZERO, true, Some(frame.ts));
    }

    fn observe_alerts(&self, events: &[AlertEvent]) {
        self.exp.observe_alerts(events);
    }

    fn encode(&self, format: Format) -> (String, &'static str) {
        self.exp.encode(format)
    }
}

fn exporter() -> (Rig, FakeClock) {
    let rig = Rig::with_stale_after(DEFAULT_STALE_AFTER);
    let clock = rig.clock.clone();
    (rig, clock)
}

fn frame(source: &str, samples: &[(&str, &[(&str, &str)], f64, SampleKind)]) -> Frame {
    let mut f = Frame::new(source, Timestamp(1_700_000_000_500), Seconds(1.0));
    for (metric, labels, value, kind) in samples {
        let key = SeriesKey::new(*metric, Labels::from_pairs(labels.iter().copied()));
        f.push(Arc::new(key), *value, *kind);
    }
    f
}

/// `name{labels}` → value, from the text exposition.
fn scrape(exp: &Rig) -> BTreeMap<String, f64> {
    let (body, _) = exp.encode(Format::Text);
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            let v = match v {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v.parse().unwrap(),
            };
            (k.to_string(), v)
        })
        .collect()
}

const D: SampleKind = SampleKind::Delta;
const G: SampleKind = SampleKind::Gauge;
const R: SampleKind = SampleKind::Rate;

#[test]
fn network_families_and_counter_accumulation() {
    let (exp, _) = exporter();
    let eth0: &[(&str, &str)] = &[("iface", "eth0")];
    for _ in 0..3 {
        exp.observe(&frame(
            "netdev",
            &[
                ("net_rx_bytes", eth0, 1000.0, D),
                ("net_tx_bytes", eth0, 10.0, D),
                ("net_rx_packets", eth0, 3.0, D),
                ("net_tx_packets", eth0, 2.0, D),
                ("net_rx_errors", eth0, 1.0, D),
                ("net_tx_errors", eth0, 0.0, D),
                ("net_rx_drops", eth0, 4.0, D),
                ("net_tx_drops", eth0, 5.0, D),
                ("net_rx_multicast", eth0, 6.0, D),
                ("net_rx_bits_per_second", eth0, 8000.0, R),
                ("net_tx_bits_per_second", eth0, 80.0, R),
                ("net_rx_packets_per_second", eth0, 3.0, R),
                ("net_tx_drops_per_second", eth0, 5.0, R),
                ("net_up", eth0, 1.0, G),
                ("net_carrier", eth0, 1.0, G),
                ("net_speed_bits_per_second", eth0, 1e9, G),
                ("net_rx_bytes", &[("scope", "total")], 1000.0, D),
            ],
        ));
    }
    let m = scrape(&exp);
    let d = "{device=\"eth0\"}";
    let expect = [
        ("bandwatch_network_receive_bytes_total", 3000.0),
        ("bandwatch_network_transmit_bytes_total", 30.0),
        ("bandwatch_network_receive_packets_total", 9.0),
        ("bandwatch_network_transmit_packets_total", 6.0),
        ("bandwatch_network_receive_errs_total", 3.0),
        ("bandwatch_network_transmit_errs_total", 0.0),
        ("bandwatch_network_receive_drop_total", 12.0),
        ("bandwatch_network_transmit_drop_total", 15.0),
        ("bandwatch_network_receive_multicast_total", 18.0),
        ("bandwatch_network_receive_bytes_per_second", 1000.0),
        ("bandwatch_network_transmit_bytes_per_second", 10.0),
        ("bandwatch_network_receive_packets_per_second", 3.0),
        ("bandwatch_network_transmit_drops_per_second", 5.0),
        ("bandwatch_network_up", 1.0),
        ("bandwatch_network_carrier", 1.0),
        ("bandwatch_network_speed_bytes", 1.25e8),
    ];
    for (name, v) in expect {
        assert_eq!(m.get(&format!("{name}{d}")), Some(&v), "{name}");
    }
    assert!(
        !m.keys().any(|k| k.contains("total\"")),
        "the netdev total is not exported: {m:?}"
    );
    assert_eq!(m["bandwatch_exporter_series"], 16.0);
    assert_eq!(m["bandwatch_source_frames_total{source=\"netdev\"}"], 3.0);
    assert_eq!(
        m["bandwatch_source_last_frame_timestamp_seconds{source=\"netdev\"}"],
        1_700_000_000.5
    );
}

#[test]
fn counters_ignore_nan_and_negative_deltas() {
    let (exp, _) = exporter();
    let l: &[(&str, &str)] = &[("iface", "eth0")];
    for v in [5.0, f64::NAN, -3.0, 2.0] {
        exp.observe(&frame("netdev", &[("net_rx_bytes", l, v, D)]));
    }
    let m = scrape(&exp);
    assert_eq!(
        m["bandwatch_network_receive_bytes_total{device=\"eth0\"}"],
        7.0
    );
}

#[test]
fn system_families_convert_percent_to_ratio() {
    let (exp, _) = exporter();
    let none: &[(&str, &str)] = &[];
    let root: &[(&str, &str)] = &[("mount", "/")];
    let sda: &[(&str, &str)] = &[("device", "sda")];
    exp.observe(&frame(
        "system",
        &[
            ("system_cpu_percent", &[("cpu", "total")], 25.0, G),
            ("system_cpu_percent", &[("cpu", "0")], 50.0, G),
            ("system_load1", none, 0.5, G),
            ("system_load5", none, 0.25, G),
            ("system_load15", none, 0.125, G),
            ("system_memory_total_bytes", none, 8e9, G),
            ("system_memory_available_bytes", none, 4e9, G),
            ("system_memory_used_percent", none, 50.0, G),
            ("system_swap_total_bytes", none, 2e9, G),
            ("system_swap_free_bytes", none, 1e9, G),
            ("system_swap_used_percent", none, 50.0, G),
            ("system_disk_total_bytes", root, 1e12, G),
            ("system_disk_available_bytes", root, 5e11, G),
            ("system_disk_used_percent", root, 75.0, G),
            ("system_disk_read_bytes", sda, 4096.0, D),
            ("system_disk_written_bytes", sda, 8192.0, D),
            ("system_disk_read_bytes_per_second", sda, 4096.0, R),
            ("system_disk_write_bytes_per_second", sda, 8192.0, R),
        ],
    ));
    let m = scrape(&exp);
    let expect = [
        ("bandwatch_cpu_busy_ratio{cpu=\"total\"}", 0.25),
        ("bandwatch_cpu_busy_ratio{cpu=\"0\"}", 0.5),
        ("bandwatch_load1", 0.5),
        ("bandwatch_load5", 0.25),
        ("bandwatch_load15", 0.125),
        ("bandwatch_memory_total_bytes", 8e9),
        ("bandwatch_memory_available_bytes", 4e9),
        ("bandwatch_memory_used_ratio", 0.5),
        ("bandwatch_swap_total_bytes", 2e9),
        ("bandwatch_swap_free_bytes", 1e9),
        ("bandwatch_swap_used_ratio", 0.5),
        ("bandwatch_filesystem_size_bytes{mountpoint=\"/\"}", 1e12),
        ("bandwatch_filesystem_avail_bytes{mountpoint=\"/\"}", 5e11),
        ("bandwatch_filesystem_used_ratio{mountpoint=\"/\"}", 0.75),
        ("bandwatch_disk_read_bytes_total{device=\"sda\"}", 4096.0),
        ("bandwatch_disk_written_bytes_total{device=\"sda\"}", 8192.0),
        (
            "bandwatch_disk_read_bytes_per_second{device=\"sda\"}",
            4096.0,
        ),
        (
            "bandwatch_disk_write_bytes_per_second{device=\"sda\"}",
            8192.0,
        ),
    ];
    for (k, v) in expect {
        assert_eq!(m.get(k), Some(&v), "{k}");
    }
}

#[test]
fn probe_families_and_round_sums() {
    let (exp, _) = exporter();
    let t: &[(&str, &str)] = &[("target", "router")];
    for _ in 0..2 {
        exp.observe(&frame(
            "probe",
            &[
                ("probe_up", t, 1.0, G),
                ("probe_loss_percent", t, 20.0, G),
                ("probe_sent", t, 5.0, D),
                ("probe_received", t, 4.0, D),
                (
                    "probe_rtt_seconds",
                    &[("target", "router"), ("stat", "avg")],
                    0.002,
                    G,
                ),
                ("probe_jitter_seconds", t, 0.0005, G),
                ("probe_http_status", t, 200.0, G),
                (
                    "probe_uptime_percent",
                    &[("target", "router"), ("window", "1h")],
                    99.5,
                    G,
                ),
            ],
        ));
    }
    let m = scrape(&exp);
    let expect = [
        ("bandwatch_probe_up{target=\"router\"}", 1.0),
        ("bandwatch_probe_loss_ratio{target=\"router\"}", 0.2),
        ("bandwatch_probe_sent_total{target=\"router\"}", 10.0),
        ("bandwatch_probe_received_total{target=\"router\"}", 8.0),
        (
            "bandwatch_probe_rtt_seconds{stat=\"avg\",target=\"router\"}",
            0.002,
        ),
        ("bandwatch_probe_jitter_seconds{target=\"router\"}", 0.0005),
        ("bandwatch_probe_http_status_code{target=\"router\"}", 200.0),
        (
            "bandwatch_probe_uptime_ratio{target=\"router\",window=\"1h\"}",
            0.995,
        ),
    ];
    for (k, v) in expect {
        assert_eq!(m.get(k), Some(&v), "{k}");
    }
}

#[test]
fn unknown_metrics_pass_through_as_gauges() {
    let (exp, _) = exporter();
    exp.observe(&frame(
        "hosts",
        &[("host_rx_bytes", &[("ip", "10.0.0.2")], 42.0, D)],
    ));
    let (body, _) = exp.encode(Format::Text);
    assert!(body.contains("# TYPE bandwatch_host_rx_bytes gauge\n"));
    assert!(body.contains("bandwatch_host_rx_bytes{ip=\"10.0.0.2\"} 42\n"));
}

#[test]
fn stale_series_are_dropped_and_fresh_ones_kept() {
    let exp = Rig::with_stale_after(Duration::from_secs(60));
    let clock = exp.clock.clone();
    let up = |iface: &str| frame("netdev", &[("net_up", &[("iface", iface)], 1.0, G)]);
    exp.observe(&up("eth0"));
    exp.observe(&up("wlan0"));
    clock.advance(Duration::from_secs(45));
    exp.observe(&up("eth0"));
    clock.advance(Duration::from_secs(30));
    // wlan0 was last seen 75 s ago: gone at scrape time even before the next frame.
    let m = scrape(&exp);
    assert!(m.contains_key("bandwatch_network_up{device=\"eth0\"}"));
    assert!(!m.contains_key("bandwatch_network_up{device=\"wlan0\"}"));
    assert_eq!(m["bandwatch_exporter_series"], 1.0);
    // A later frame prunes it from the snapshot too; it comes back as a new series.
    exp.observe(&up("eth0"));
    assert_eq!(exp.snapshot.len(), 1);
    clock.advance(Duration::from_secs(61));
    let (body, _) = exp.encode(Format::Text);
    assert!(!body.contains("bandwatch_network_up"), "{body}");
    assert!(body.contains("bandwatch_source_frames_total{source=\"netdev\"} 4\n"));
}

fn alert(id: &str, rule: &str, kind: EventKind, severity: Severity) -> AlertEvent {
    AlertEvent {
        id: id.into(),
        rule: rule.into(),
        series: SeriesKey::with_label("net_up", "iface", "eth0"),
        kind,
        state: kind.state(),
        severity,
        value: 0.0,
        reference: 1.0,
        message: String::new(),
        started: Timestamp(0),
        ended: None,
        at: Timestamp(0),
    }
}

#[test]
fn alerts_firing_follow_the_lifecycle() {
    let (exp, _) = exporter();
    exp.observe_alerts(&[
        alert("a", "link", EventKind::Pending, Severity::High),
        alert("a", "link", EventKind::Fired, Severity::High),
        alert("b", "link", EventKind::Fired, Severity::High),
        alert("a", "link", EventKind::Escalated, Severity::Critical),
        alert("b", "link", EventKind::Renotified, Severity::High),
        alert("b", "link", EventKind::Resolved, Severity::High),
        alert("b", "link", EventKind::Resolved, Severity::High),
        alert("zz", "cpu", EventKind::Resolved, Severity::Low),
    ]);
    let m = scrape(&exp);
    assert_eq!(
        m["bandwatch_alerts_firing{rule=\"link\",severity=\"high\"}"],
        0.0
    );
    assert_eq!(
        m["bandwatch_alerts_firing{rule=\"link\",severity=\"critical\"}"],
        1.0
    );
    assert!(!m.keys().any(|k| k.contains("rule=\"cpu\"")));
    assert_eq!(m["bandwatch_alert_events_total{kind=\"fired\"}"], 2.0);
    assert_eq!(m["bandwatch_alert_events_total{kind=\"resolved\"}"], 3.0);
    assert_eq!(m["bandwatch_alert_events_total{kind=\"escalated\"}"], 1.0);
    assert_eq!(m["bandwatch_alert_events_total{kind=\"renotified\"}"], 1.0);
    exp.observe_alerts(&[alert("a", "link", EventKind::Resolved, Severity::Critical)]);
    let m = scrape(&exp);
    assert_eq!(
        m["bandwatch_alerts_firing{rule=\"link\",severity=\"critical\"}"],
        0.0
    );
}

#[test]
fn self_metrics_of_collections() {
    let (exp, _) = exporter();
    exp.sources
        .record("probe", Duration::from_millis(250), true, None);
    exp.sources
        .record("probe", Duration::from_millis(1500), false, None);
    let m = scrape(&exp);
    assert_eq!(
        m["bandwatch_source_duration_seconds{source=\"probe\"}"],
        1.5
    );
    assert_eq!(m["bandwatch_source_errors_total{source=\"probe\"}"], 1.0);
    assert_eq!(m["bandwatch_source_frames_total{source=\"probe\"}"], 0.0);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        m[&format!("bandwatch_build_info{{version=\"{version}\"}}")],
        1.0
    );
    assert_eq!(m["bandwatch_exporter_series"], 0.0);
}

#[test]
fn every_family_has_help_and_type_in_both_formats() {
    let (exp, _) = exporter();
    exp.observe(&frame(
        "netdev",
        &[("net_rx_bytes", &[("iface", "e")], 1.0, D)],
    ));
    let (text, ct) = exp.encode(Format::Text);
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    assert!(text.contains("# HELP bandwatch_network_receive_bytes_total Bytes received"));
    assert!(text.contains("# TYPE bandwatch_network_receive_bytes_total counter\n"));
    let (om, ct) = exp.encode(Format::OpenMetrics);
    assert_eq!(
        ct,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    assert!(om.contains("# TYPE bandwatch_network_receive_bytes counter\n"));
    assert!(om.contains("bandwatch_network_receive_bytes_total{device=\"e\"} 1"));
    assert!(om.ends_with("# EOF\n"));
    for body in [&text, &om] {
        let helps = body.lines().filter(|l| l.starts_with("# HELP ")).count();
        let types = body.lines().filter(|l| l.starts_with("# TYPE ")).count();
        assert_eq!(helps, types);
        assert!(helps >= 7);
    }
}

#[test]
fn infinite_gauges_are_spelled_out() {
    let (exp, _) = exporter();
    exp.observe(&frame("x", &[("odd_value", &[], f64::INFINITY, G)]));
    exp.observe(&frame("x", &[("odd_low", &[], f64::NEG_INFINITY, G)]));
    exp.observe(&frame("x", &[("odd_nan", &[], f64::NAN, G)]));
    let (text, _) = exp.encode(Format::Text);
    let (om, _) = exp.encode(Format::OpenMetrics);
    for body in [text, om] {
        assert!(body.contains("bandwatch_odd_value +Inf\n"), "{body}");
        assert!(body.contains("bandwatch_odd_low -Inf\n"), "{body}");
        assert!(body.contains("bandwatch_odd_nan NaN\n"), "{body}");
    }
}

#[test]
fn negotiates_the_format() {
    let om = Format::OpenMetrics;
    assert_eq!(Format::negotiate(None), Format::Text);
    assert_eq!(Format::negotiate(Some("*/*")), Format::Text);
    assert_eq!(
        Format::negotiate(Some("text/plain;version=0.0.4")),
        Format::Text
    );
    assert_eq!(Format::negotiate(Some("application/openmetrics-text")), om);
    // What Prometheus sends.
    let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert_eq!(Format::negotiate(Some(prom)), om);
    assert_eq!(
        Format::negotiate(Some("Application/OpenMetrics-Text; q=0")),
        Format::Text
    );
    assert_eq!(
        Format::negotiate(Some("text/plain, application/openmetrics-text;q=0.5")),
        Format::Text
    );
    assert_eq!(
        Format::OpenMetrics.content_type(),
        super::OPENMETRICS_CONTENT_TYPE
    );
}

#[test]
fn exporter_is_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Exporter>();
    let (rig, _) = exporter();
    let other = rig.exp.clone();
    rig.observe(&frame("s", &[("net_up", &[("iface", "e")], 1.0, G)]));
    rig.observe_alerts(&[alert("a", "link", EventKind::Fired, Severity::High)]);
    let (body, _) = other.encode(Format::Text);
    assert!(body.contains("source=\"s\""), "{body}");
    assert!(
        body.contains("bandwatch_network_up{device=\"e\"} 1\n"),
        "{body}"
    );
    assert!(
        body.contains("rule=\"link\",severity=\"high\"} 1\n"),
        "{body}"
    );
}

/// The text exposition's HELP, TYPE and sample lines of one family.
fn family<'a>(body: &'a str, name: &str) -> (Option<&'a str>, Option<&'a str>, Vec<&'a str>) {
    let help = format!("# HELP {name} ");
    let kind = format!("# TYPE {name} ");
    let of_family = |l: &str| {
        l.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(['{', ' ']))
    };
    (
        body.lines().find_map(|l| l.strip_prefix(help.as_str())),
        body.lines().find_map(|l| l.strip_prefix(kind.as_str())),
        body.lines().filter(|l| of_family(l)).collect(),
    )
}

#[test]
fn every_catalogued_metric_is_exported_under_its_catalogue_family() {
    let catalog = bandwatch_collect::catalog();
    let (rig, _) = exporter();
    let mut f = Frame::new("all", Timestamp(1_700_000_000_000), Seconds(1.0));
    for m in catalog.metrics() {
        // Every label but the aggregate marker, so no series is left out as a sum.
        let labels = m
            .labels
            .iter()
            .filter(|l| catalog.aggregate().is_none_or(|(a, _)| a != **l))
            .map(|l| (*l, "x"));
        f.push(
            Arc::new(SeriesKey::new(m.name, Labels::from_pairs(labels))),
            4.0,
            m.kind,
        );
    }
    rig.observe(&f);
    let (body, _) = rig.encode(Format::Text);
    for m in catalog.metrics() {
        let (help, kind, samples) = family(&body, m.prometheus);
        let want_kind = if m.kind == SampleKind::Delta {
            "counter"
        } else {
            "gauge"
        };
        assert_eq!(kind, Some(want_kind), "{}: {body}", m.name);
        let help = help.unwrap_or_else(|| panic!("{}: no HELP in {body}", m.name));
        if m.kind == SampleKind::Delta {
            assert!(
                help.starts_with(m.help.trim_end_matches('.'))
                    && help.ends_with(" since the exporter started."),
                "{}: {help}",
                m.name
            );
        } else {
            assert_eq!(help, m.help, "{}", m.name);
        }
        assert_eq!(samples.len(), 1, "{}: {samples:?}", m.name);
        let value: f64 = samples[0]
            .rsplit_once(' ')
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(f64::NAN);
        assert_eq!(value, 4.0 * m.unit.export_scale(), "{}", samples[0]);
        for l in m.labels {
            if catalog.aggregate().is_none_or(|(a, _)| a != *l) {
                let exported = catalog.exported_label(l);
                assert!(
                    samples[0].contains(&format!("{exported}=\"x\"")),
                    "{}: label {l} as {exported}: {}",
                    m.name,
                    samples[0]
                );
            }
        }
    }
}

#[test]
fn a_dropped_frame_of_a_sink_is_counted() {
    let (rig, _) = exporter();
    let counters = SinkCounters::default();
    rig.sinks.register("influxdb", counters.clone());
    counters.add_written(5);
    counters.add_dropped(1);
    counters.add_retried(2);
    counters.set_queue_depth(3);
    let m = scrape(&rig);
    assert_eq!(m["bandwatch_sink_dropped_total{sink=\"influxdb\"}"], 1.0);
    assert_eq!(m["bandwatch_sink_written_total{sink=\"influxdb\"}"], 5.0);
    assert_eq!(m["bandwatch_sink_retried_total{sink=\"influxdb\"}"], 2.0);
    assert_eq!(m["bandwatch_sink_queue_depth{sink=\"influxdb\"}"], 3.0);
    let (body, _) = rig.encode(Format::Text);
    assert!(body.contains("# TYPE bandwatch_sink_dropped_total counter\n"));
    assert!(body.contains("# TYPE bandwatch_sink_queue_depth gauge\n"));
    let (om, _) = rig.encode(Format::OpenMetrics);
    assert!(
        om.contains("# TYPE bandwatch_sink_dropped counter\n"),
        "{om}"
    );
    assert!(
        om.contains("bandwatch_sink_dropped_total{sink=\"influxdb\"} 1"),
        "{om}"
    );
}

#[test]
fn the_layout_follows_series_that_come_and_go() {
    let exp = Rig::with_stale_after(Duration::from_secs(60));
    let clock = exp.clock.clone();
    let up = |ifaces: &[(&str, f64)]| {
        let mut f = Frame::new("netdev", Timestamp(1_700_000_000_000), Seconds(1.0));
        for (i, v) in ifaces {
            f.push(Arc::new(SeriesKey::with_label("net_up", "iface", i)), *v, G);
        }
        f
    };
    let lines = |exp: &Rig| -> Vec<String> {
        exp.encode(Format::Text)
            .0
            .lines()
            .filter(|l| l.starts_with("bandwatch_network_up{"))
            .map(str::to_string)
            .collect()
    };
    exp.observe(&up(&[("eth1", 1.0), ("eth0", 1.0)]));
    assert_eq!(
        lines(&exp),
        [
            "bandwatch_network_up{device=\"eth0\"} 1",
            "bandwatch_network_up{device=\"eth1\"} 1"
        ]
    );
    // Same series, new values: copied into place.
    exp.observe(&up(&[("eth1", 0.0), ("eth0", 1.0)]));
    assert_eq!(lines(&exp)[1], "bandwatch_network_up{device=\"eth1\"} 0");
    // A new series sorts in; one that went stale leaves.
    clock.advance(Duration::from_secs(45));
    exp.observe(&up(&[("a0", 1.0), ("eth0", 0.0)]));
    clock.advance(Duration::from_secs(30));
    assert_eq!(
        lines(&exp),
        [
            "bandwatch_network_up{device=\"a0\"} 1",
            "bandwatch_network_up{device=\"eth0\"} 0"
        ]
    );
    // The aggregate stays out however often it is seen.
    let mut total = up(&[("eth0", 1.0)]);
    total.push(
        Arc::new(SeriesKey::with_label("net_rx_bytes", "scope", "total")),
        9.0,
        D,
    );
    for _ in 0..2 {
        exp.observe(&total);
        assert!(!exp.encode(Format::Text).0.contains("scope"));
    }
}

/// The defect: the old exporter's `network_upload_mbps` and `network_download_mbps` did not
/// exist, so dashboards built on them (`rate(network_upload_mbps[5m])`) went empty. Now both
/// are gauges of the loopback-free total in Mbit/s, with a HELP that says what they are, in
/// both formats; they follow the total's staleness.
#[test]
fn the_old_exporters_names_carry_the_total_in_mbps() {
    let exp = Rig::with_stale_after(Duration::from_secs(60));
    let total: &[(&str, &str)] = &[("scope", "total")];
    let eth0: &[(&str, &str)] = &[("iface", "eth0")];
    exp.observe(&frame(
        "netdev",
        &[
            ("net_tx_bits_per_second", eth0, 9e6, R),
            ("net_rx_bits_per_second", eth0, 9e6, R),
            ("net_tx_bits_per_second", total, 2.5e6, R),
            ("net_rx_bits_per_second", total, 40e6, R),
        ],
    ));
    let m = scrape(&exp);
    assert_eq!(m.get("network_upload_mbps"), Some(&2.5));
    assert_eq!(m.get("network_download_mbps"), Some(&40.0));
    for format in [Format::Text, Format::OpenMetrics] {
        let (body, _) = exp.encode(format);
        for name in ["network_upload_mbps", "network_download_mbps"] {
            let (help, kind, samples) = family(&body, name);
            assert_eq!(kind, Some("gauge"), "{format:?} {name}");
            assert!(
                help.is_some_and(|h| h.contains("Mbit/s") && h.contains("compatibility name")),
                "{format:?} {name}: {help:?}"
            );
            assert_eq!(samples.len(), 1, "{format:?} {name}: {samples:?}");
        }
    }
    exp.clock.advance(Duration::from_secs(61));
    let m = scrape(&exp);
    assert!(
        !m.keys().any(|k| k.starts_with("network_")),
        "a stale total is not exported: {m:?}"
    );
}

/// 50 LAN devices, device `i` downloading `(i + 1)` kB and uploading 100 B a second, plus the
/// source's own eviction bucket.
fn fifty_devices(exp: &Rig) {
    let mut f = Frame::new("devices", Timestamp(1_700_000_000_500), Seconds(1.0));
    let mut push = |name: &str, ip: &str, rx: f64, tx: f64| {
        let labels = Labels::from_pairs([("device", name), ("ip", ip), ("mac", "")]);
        let key = |m: &str| Arc::new(SeriesKey::new(m, labels.clone()));
        f.push(key("device_rx_bytes"), rx, D);
        f.push(key("device_tx_bytes"), tx, D);
        f.push(key("device_rx_bits_per_second"), rx * 8.0, R);
        f.push(key("device_tx_bits_per_second"), tx * 8.0, R);
        f.push(key("device_active"), 1.0, G);
    };
    for i in 0..50_u32 {
        let rx = f64::from(i + 1) * 1000.0;
        push(
            &format!("d{i:02}"),
            &format!("192.168.1.{}", i + 10),
            rx,
            100.0,
        );
    }
    push("other", "", 7.0, 3.0);
    exp.observe(&f);
}

#[test]
fn export_top_keeps_the_busiest_devices_and_sums_the_rest_as_other() {
    let (exp, _) = exporter();
    fifty_devices(&exp);
    let all = scrape(&exp);
    let per_device = |m: &BTreeMap<String, f64>, family: &str| {
        m.keys()
            .filter(|k| k.starts_with(&format!("{family}{{")))
            .count()
    };
    assert_eq!(
        per_device(&all, "bandwatch_device_receive_bytes_total"),
        51,
        "no limit by default"
    );

    exp.exp.set_device_top(5);
    let m = scrape(&exp);
    for family in [
        "bandwatch_device_receive_bytes_total",
        "bandwatch_device_transmit_bytes_total",
        "bandwatch_device_receive_bytes_per_second",
        "bandwatch_device_transmit_bytes_per_second",
        "bandwatch_device_active",
    ] {
        assert_eq!(
            per_device(&m, family),
            6,
            "{family}: five devices and other"
        );
    }
    // The five fastest: d45..d49.
    for i in 45..50 {
        let k = format!(
            "bandwatch_device_receive_bytes_total{{device=\"d{i}\",ip=\"192.168.1.{}\",mac=\"\"}}",
            i + 10
        );
        assert_eq!(m.get(&k), Some(&(f64::from(i + 1) * 1000.0)), "{k}");
    }
    // The other 45 devices and the source's own bucket, to the byte.
    let other = |family: &str| m[&format!("{family}{{device=\"other\",ip=\"\",mac=\"\"}}")];
    let rest: f64 = (1..=45).map(|i| f64::from(i) * 1000.0).sum();
    assert_eq!(other("bandwatch_device_receive_bytes_total"), rest + 7.0);
    assert_eq!(
        other("bandwatch_device_transmit_bytes_total"),
        45.0 * 100.0 + 3.0
    );
    assert_eq!(
        other("bandwatch_device_receive_bytes_per_second"),
        rest + 7.0
    );
    assert_eq!(other("bandwatch_device_active"), 46.0);
    // The whole scrape is bounded and still valid OpenMetrics.
    let (om, _) = exp.encode(Format::OpenMetrics);
    assert!(
        om.contains("bandwatch_device_active{device=\"other\",ip=\"\",mac=\"\"} 46"),
        "{om}"
    );
    assert!(!om.contains("device=\"d00\""));
    exp.exp.set_device_top(0);
    assert_eq!(per_device(&scrape(&exp), "bandwatch_device_active"), 51);
}
