//! Cost of the dashboard's range queries on a history of 30 days of 1 s samples (one
//! interface: its byte delta, its rate and the frame's elapsed time, as `bandwatch run`
//! stores them): 30 days in 1,000 points and 24 h in 600 (minute rollups), 6 h in 720 points
//! (raw samples, rates derived from the deltas), and 5 minutes at full resolution. Target: the 30-day
//! query under 20 ms.
//!
//! Building the history takes a minute or so before the first measurement.

use std::hint::black_box;
use std::sync::Arc;

use bandwatch_collect::netdev::metric as netdev;
use bandwatch_core::{Frame, SampleKind, Seconds, Selector, SeriesKey, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store, ELAPSED_METRIC, HOUR_MS};
use bandwatch_web::query::{self, Limits};
use criterion::{criterion_group, criterion_main, Criterion};

const DAYS: i64 = 30;
const T0: i64 = 1_764_000_000_000;
const LIMITS: Limits = Limits {
    raw_ms: 48 * HOUR_MS,
    minute_ms: 30 * 24 * HOUR_MS,
    hour_ms: 2 * 365 * 24 * HOUR_MS,
    interval_ms: 1000,
};

fn history(dir: &std::path::Path) -> (SqliteStore, Timestamp) {
    let mut store =
        SqliteStore::open(&dir.join("bench.db"), SqliteOptions::default()).expect("store");
    let delta = Arc::new(SeriesKey::with_label(netdev::NET_RX_BYTES, "iface", "eth0"));
    let rate = Arc::new(SeriesKey::with_label(
        netdev::NET_RX_BITS_PER_SECOND,
        "iface",
        "eth0",
    ));
    let elapsed = Arc::new(SeriesKey::with_label(ELAPSED_METRIC, "source", "netdev"));
    let seconds = DAYS * 86_400;
    let mut batch = Vec::with_capacity(3600);
    for s in 0..seconds {
        let ts = Timestamp(T0 + s * 1000);
        let bytes = 1_000_000.0 + ((s * 7919) % 500_000) as f64;
        let mut f = Frame::new("netdev", ts, Seconds(1.0));
        f.push(Arc::clone(&delta), bytes, SampleKind::Delta);
        f.push(Arc::clone(&rate), bytes * 8.0, SampleKind::Rate);
        f.push(Arc::clone(&elapsed), 1.0, SampleKind::Gauge);
        batch.push(f);
        if batch.len() == 3600 {
            store.write(&batch).expect("write");
            batch.clear();
            store.maintain(ts).expect("maintain");
        }
    }
    store.write(&batch).expect("write");
    let now = Timestamp(T0 + seconds * 1000);
    store.maintain(now).expect("maintain");
    (store, now)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, now) = history(dir.path());
    let eth0 = Selector::parse("iface=eth0").expect("matcher");
    let catalog = bandwatch_collect::catalog();
    let cases = [
        (
            "range_query/30d_1000_points_minute_tier",
            DAYS * 24 * HOUR_MS,
            Some(DAYS * 24 * HOUR_MS / 1000),
        ),
        (
            "range_query/24h_600_points_minute_tier",
            24 * HOUR_MS,
            Some(24 * HOUR_MS / 600),
        ),
        (
            "range_query/6h_720_points_raw_derived",
            6 * HOUR_MS,
            Some(30_000),
        ),
        ("range_query/5m_full_resolution", 5 * 60_000, None),
    ];
    for (name, range, step) in cases {
        let plan = query::plan(Timestamp(now.0 - range), now, step, now, LIMITS).expect("plan");
        let got = query::run(&store, catalog, netdev::NET_RX_BITS_PER_SECOND, &eth0, plan)
            .expect("query");
        eprintln!(
            "{name}: tier {:?}, {} points",
            plan.tier,
            got[0].points.len()
        );
        c.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    query::run(&store, catalog, netdev::NET_RX_BITS_PER_SECOND, &eth0, plan)
                        .expect("query"),
                )
            });
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
