//! The metric catalogue is the one source of the dashboard's rate derivation: every rate a
//! source declares derives from a delta that the same source declares, and the web's range
//! query derives it exactly from the stored delta and that source's elapsed time (the raw
//! tier keeps no rates), so no rate can show an empty chart.

use std::collections::BTreeMap;
use std::sync::Arc;

use bandwatch_core::{Frame, Labels, SampleKind, Seconds, Selector, SeriesKey, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store, HOUR_MS};
use bandwatch_web::query::{self, Limits, Source};

const T0: i64 = 1_764_780_000_000;
const FRAMES: i64 = 10;
const LIMITS: Limits = Limits {
    raw_ms: 48 * HOUR_MS,
    minute_ms: 30 * 24 * HOUR_MS,
    hour_ms: 2 * 365 * 24 * HOUR_MS,
    interval_ms: 1000,
};

/// Each source's elapsed time of frame `i`: uneven, and different per source, so a rate
/// divided by another source's time would come out wrong.
fn elapsed(source: &str, i: i64) -> f64 {
    let base = 1.0 + f64::from(source.bytes().map(u32::from).sum::<u32>() % 7) / 2.0;
    if i % 2 == 0 {
        base
    } else {
        base * 2.0
    }
}

#[test]
fn every_catalogued_rate_is_derived_on_the_page_from_its_delta() {
    let catalog = bandwatch_collect::catalog();
    let aggregate = catalog.aggregate().map(|(l, _)| l);
    // rate → (its source, the delta's key, the rate's key, the factor)
    let mut rates = BTreeMap::new();
    for m in catalog
        .metrics()
        .iter()
        .filter(|m| m.kind == SampleKind::Rate)
    {
        let d = m
            .derives_from
            .unwrap_or_else(|| panic!("rate {} names no delta", m.name));
        let delta = catalog.get(d.delta).unwrap_or_else(|| {
            panic!(
                "{} derives from {}, which is not catalogued",
                m.name, d.delta
            )
        });
        assert_eq!(
            delta.kind,
            SampleKind::Delta,
            "{} derives from {}",
            m.name,
            d.delta
        );
        let source = catalog
            .source_of(m.name)
            .expect("every metric has a source");
        assert_eq!(
            catalog.source_of(d.delta),
            Some(source),
            "{} and its delta {} come from the same source",
            m.name,
            d.delta
        );
        let labels = Labels::from_pairs(
            m.labels
                .iter()
                .filter(|l| Some(**l) != aggregate)
                .map(|l| (*l, "x")),
        );
        let key = |metric: &str| Arc::new(SeriesKey::new(metric, labels.clone()));
        rates.insert(m.name, (source, key(d.delta), key(m.name), d.factor));
    }
    assert!(rates.len() >= 10, "the sources declare rates: {rates:?}");

    // Frames of every source at the same instants; each carries its deltas and a rate value
    // the raw tier does not keep (so only a derivation can answer).
    let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    let mut frames: BTreeMap<(i64, &str), Frame> = BTreeMap::new();
    for (source, delta, rate, _) in rates.values() {
        for i in 0..FRAMES {
            let ts = Timestamp(T0 + i * 1000);
            let f = frames
                .entry((i, *source))
                .or_insert_with(|| Frame::new(*source, ts, Seconds(elapsed(source, i))));
            f.push(Arc::clone(delta), (100 * (i + 1)) as f64, SampleKind::Delta);
            f.push(Arc::clone(rate), -1.0, SampleKind::Rate);
        }
    }
    let frames: Vec<Frame> = frames.into_values().collect();
    store.write(&frames).expect("write");

    let end = Timestamp(T0 + FRAMES * 1000);
    let plan = query::plan(Timestamp(T0), end, Some(FRAMES * 1000), end, LIMITS).expect("plan");
    assert_eq!(plan.tier, Source::Raw);
    let all = Selector::all();
    for (name, (source, _, _, factor)) in &rates {
        let got = query::run(&store, catalog, name, &all, plan).expect("query");
        assert_eq!(got.len(), 1, "{name}: one series");
        let points = &got[0].points;
        assert_eq!(points.len(), 1, "{name}: one bucket, derived: {points:?}");
        let bytes: f64 = (1..=FRAMES).map(|n| (100 * n) as f64).sum();
        let secs: f64 = (0..FRAMES).map(|i| elapsed(source, i)).sum();
        let want = bytes * factor / secs;
        let mean = points[0].1;
        assert!(
            (mean - want).abs() < 1e-9 * want,
            "{name}: derived {mean}, want {want} (delta × {factor} over {source}'s elapsed time)"
        );
    }
}
