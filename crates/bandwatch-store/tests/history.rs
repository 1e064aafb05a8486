//! Days of 1-second frames through an injected timeline: exact rollups, retention, size.

mod common;

use std::time::Duration;

use bandwatch_core::Timestamp;
use bandwatch_store::{
    MaintenanceReport, Retention, SqliteOptions, SqliteStore, Store, Tier, HOUR_MS, MINUTE_MS,
};
use common::{delta_key, elapsed_key, frame, gauge_key, oracles, rate_key, T0};

/// Writes ticks `0..n` in batches as the background writer would, with upkeep every
/// `maintain_ms` of data time and once at the end; returns the data time of the last frame
/// and what upkeep did in total.
fn run_timeline(
    store: &mut SqliteStore,
    n: i64,
    step_ms: i64,
    batch: i64,
    maintain_ms: i64,
) -> (i64, MaintenanceReport) {
    let mut total = MaintenanceReport::default();
    let mut maintained = T0;
    let mut i = 0;
    while i < n {
        let frames: Vec<_> = (i..(i + batch).min(n)).map(|j| frame(j, step_ms)).collect();
        let now = frames.last().map_or(T0, |f| f.ts.0);
        store.write(&frames).unwrap();
        if now - maintained >= maintain_ms {
            add(&mut total, store.maintain(Timestamp(now)).unwrap());
            maintained = now;
        }
        i += batch;
    }
    let end = T0 + n * step_ms;
    add(&mut total, store.maintain(Timestamp(end)).unwrap());
    (end, total)
}

fn add(total: &mut MaintenanceReport, r: MaintenanceReport) {
    total.chunks_sealed += r.chunks_sealed;
    total.points_sealed += r.points_sealed;
    total.hour_rows_built += r.hour_rows_built;
    total.chunks_pruned += r.chunks_pruned;
    total.minute_rows_pruned += r.minute_rows_pruned;
    total.hour_rows_pruned += r.hour_rows_pruned;
}

#[test]
fn fifty_hours_of_seconds_keep_exact_rollups_and_the_last_48_hours_raw() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("h.db"), SqliteOptions::default()).unwrap();
    let n = 50 * 3600;
    let (end, report) = run_timeline(&mut store, n, 1000, 10, 60_000);
    // 2 h of 10-minute chunks of 3 raw series went past retention.
    assert_eq!(report.chunks_pruned, 3 * 12, "{report:?}");
    assert_eq!(report.hour_rows_built, 4 * 50, "{report:?}");

    // Minute tier: every bucket of every series, including the open last minute.
    let minutes = oracles(n, 1000, MINUTE_MS);
    let keys = [delta_key(), rate_key(), gauge_key()];
    for (key, oracle) in keys.iter().zip(&minutes) {
        let got = store
            .query_rollup(Tier::Minute, key, Timestamp(T0), Timestamp(end + 1))
            .unwrap();
        oracle.check(&format!("minute {key}"), &got, T0, end + 1);
    }

    // Hour tier: every closed hour (all 50; the single sample at T0+50h is still open).
    let hours = oracles(n, 1000, HOUR_MS);
    for (key, oracle) in keys.iter().zip(&hours) {
        let got = store
            .query_rollup(Tier::Hour, key, Timestamp(T0), Timestamp(end + 1))
            .unwrap();
        assert_eq!(got.len(), 50, "{key}");
        oracle.check(&format!("hour {key}"), &got, T0, end);
    }

    // Totals of deltas are exact over the whole range.
    let total: f64 = (0..n).map(common::delta_at).sum();
    let minute_total: f64 = store
        .query_rollup(
            Tier::Minute,
            &delta_key(),
            Timestamp(T0),
            Timestamp(end + 1),
        )
        .unwrap()
        .iter()
        .map(|p| p.sum)
        .sum();
    assert_eq!(minute_total, total);
    let peak = store
        .query_rollup(Tier::Hour, &rate_key(), Timestamp(T0), Timestamp(end))
        .unwrap();
    let max_delta = (0..n).map(common::delta_at).fold(0.0, f64::max);
    assert_eq!(
        peak.iter().map(|p| p.max).fold(0.0, f64::max),
        max_delta * 8.0
    );

    // Raw tier: exactly the last 48 hours, for the stored series; rates are not stored raw.
    let first_kept = end - 48 * HOUR_MS;
    for key in [
        delta_key().as_ref().clone(),
        gauge_key().as_ref().clone(),
        elapsed_key(),
    ] {
        let raw = store
            .query_raw(&key, Timestamp(0), Timestamp(i64::MAX))
            .unwrap();
        assert_eq!(raw.len(), 48 * 3600 + 1, "{key}");
        assert_eq!(raw[0].0, Timestamp(first_kept), "{key}");
        assert!(
            raw.windows(2).all(|w| w[1].0 .0 - w[0].0 .0 == 1000),
            "{key}: gaps or disorder"
        );
    }
    let raw = store
        .query_raw(&delta_key(), Timestamp(first_kept), Timestamp(end + 1))
        .unwrap();
    let first_tick = (first_kept - T0) / 1000 - 1;
    assert!(raw
        .iter()
        .enumerate()
        .all(|(k, (_, v))| *v == common::delta_at(first_tick + k as i64)));
    assert!(store
        .query_raw(&rate_key(), Timestamp(T0), Timestamp(end + 1))
        .unwrap()
        .is_empty());

    let stats = store.stats().unwrap();
    assert_eq!(stats.raw_samples, 3 * (48 * 3600 + 1));
    assert_eq!(stats.series, 4);
    assert_eq!(stats.minute_rows as usize + 4, 4 * minutes[0].buckets.len());
    let per_sample = stats.raw_bytes_per_sample();
    eprintln!("stats: {stats:?}, raw bytes/sample {per_sample:.3}");
    assert!(
        per_sample > 0.0 && per_sample <= 4.0,
        "{per_sample} bytes per raw sample"
    );
}

#[test]
fn rollups_and_chunks_past_their_retention_are_pruned() {
    let opts = SqliteOptions {
        retention: Retention {
            raw: Duration::from_secs(3600),
            minute: Duration::from_secs(3 * 3600),
            hour: Duration::from_secs(6 * 3600),
        },
        chunk_span: Duration::from_secs(600),
    };
    let mut store = SqliteStore::open_in_memory(opts).unwrap();
    let (n, step) = (12 * 360, 10_000);
    let (end, report) = run_timeline(&mut store, n, step, 6, 60_000);
    assert!(
        report.minute_rows_pruned > 0 && report.hour_rows_pruned > 0,
        "{report:?}"
    );

    let key = delta_key();
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let minutes = store
        .query_rollup(Tier::Minute, &key, all.0, all.1)
        .unwrap();
    assert_eq!(minutes[0].bucket, Timestamp(end - 3 * HOUR_MS));
    let minute_oracle = &oracles(n, step, MINUTE_MS)[0];
    minute_oracle.check("minute", &minutes, end - 3 * HOUR_MS, end + 1);

    // Hours 6..12 stay; each was built from minute rows that are gone now.
    let hours = store.query_rollup(Tier::Hour, &key, all.0, all.1).unwrap();
    assert_eq!(hours.len(), 6);
    assert_eq!(hours[0].bucket, Timestamp(end - 6 * HOUR_MS));
    oracles(n, step, HOUR_MS)[0].check("hour", &hours, end - 6 * HOUR_MS, end);

    let raw = store.query_raw(&key, all.0, all.1).unwrap();
    assert_eq!(raw[0].0, Timestamp(end - HOUR_MS));
    assert_eq!(raw.len(), 361);
}
