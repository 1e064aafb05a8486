//! Cost of one scrape: a snapshot of 10,000 series (1,000 interfaces × 10 metrics) encoded as
//! Prometheus text 0.0.4 and as OpenMetrics, straight from the shared snapshot. The target is
//! well under 10 ms per scrape.

use std::hint::black_box;
use std::sync::Arc;

use bandwatch_collect::netdev::metric as netdev;
use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{
    Frame, Labels, SampleKind, Seconds, SeriesKey, SinkBoard, Snapshot, SourceBoard, SystemClock,
    Timestamp,
};
use bandwatch_export::prometheus::{Exporter, Format};
use criterion::{criterion_group, criterion_main, Criterion};

const METRICS: [(&str, SampleKind); 10] = [
    (netdev::NET_RX_BYTES, SampleKind::Delta),
    (netdev::NET_TX_BYTES, SampleKind::Delta),
    (netdev::NET_RX_PACKETS, SampleKind::Delta),
    (netdev::NET_TX_PACKETS, SampleKind::Delta),
    (netdev::NET_RX_ERRORS, SampleKind::Delta),
    (netdev::NET_RX_BITS_PER_SECOND, SampleKind::Rate),
    (netdev::NET_TX_BITS_PER_SECOND, SampleKind::Rate),
    (netdev::NET_UP, SampleKind::Gauge),
    (netdev::NET_CARRIER, SampleKind::Gauge),
    (netdev::NET_SPEED_BITS_PER_SECOND, SampleKind::Gauge),
];

fn snapshot(interfaces: usize) -> (Exporter, Snapshot) {
    let snapshot = Snapshot::new(Arc::new(SystemClock::new()), DEFAULT_STALE_AFTER);
    let exp = Exporter::new(
        snapshot.clone(),
        bandwatch_collect::catalog(),
        SourceBoard::default(),
        SinkBoard::default(),
    );
    let mut frame = Frame::new("netdev", Timestamp(1_763_719_200_000), Seconds(1.0));
    for i in 0..interfaces {
        let iface = format!("veth{i:04}");
        for (n, (metric, kind)) in METRICS.iter().enumerate() {
            let key = SeriesKey::new(*metric, Labels::from_pairs([("iface", iface.as_str())]));
            frame.push(Arc::new(key), (i * 1_000 + n) as f64 * 1.5, *kind);
        }
    }
    snapshot.observe(&frame);
    (exp, snapshot)
}

fn scrape(c: &mut Criterion) {
    let (exp, snap) = snapshot(1_000);
    let (text, _) = exp.encode(Format::Text);
    let (om, _) = exp.encode(Format::OpenMetrics);
    eprintln!(
        "10,000 series: text {} bytes, openmetrics {} bytes",
        text.len(),
        om.len()
    );
    c.bench_function("scrape/text_10k_series", |b| {
        b.iter(|| black_box(exp.encode(Format::Text)));
    });
    c.bench_function("scrape/openmetrics_10k_series", |b| {
        b.iter(|| black_box(exp.encode(Format::OpenMetrics)));
    });
    let mut frame = Frame::new("netdev", Timestamp(1_763_719_201_000), Seconds(1.0));
    for i in 0..1_000 {
        let iface = format!("veth{i:04}");
        for (metric, kind) in METRICS {
            let key = SeriesKey::new(metric, Labels::from_pairs([("iface", iface.as_str())]));
            frame.push(Arc::new(key), 1.0, kind);
        }
    }
    c.bench_function("scrape/observe_frame_10k_samples", |b| {
        b.iter(|| snap.observe(black_box(&frame)));
    });
}

criterion_group!(benches, scrape);
criterion_main!(benches);
