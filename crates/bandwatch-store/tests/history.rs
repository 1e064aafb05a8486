//! Days of 1-second frames through an injected timeline: exact rollups, retention, size.

// Exact equality of sums is what these tests are about.
#![allow(clippy::float_cmp)]

mod common;

use std::time::Duration;

use bandwatch_core::{SeriesKey, Timestamp};
use bandwatch_store::{Retention, SqliteOptions, SqliteStore, Store, Tier, HOUR_MS, MINUTE_MS};
use common::{delta_key, elapsed_key, gauge_key, oracles, rate_key, run_timeline, T0};

#[test]
fn fifty_hours_of_seconds_keep_exact_rollups_and_the_last_48_hours_raw() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(&dir.path().join("h.db"), SqliteOptions::default()).unwrap();
    let n = 50 * 3600;
    let (end, report) = run_timeline(&mut store, n, 1000, 10, 60_000);
    // 2 h of 10-minute chunks of 3 raw series went past retention.
    assert_eq!(report.chunks_pruned, 3 * 12, "{report:?}");
    assert_eq!(report.hour_rows_built, 4 * 50, "{report:?}");
    check_rollups(&store, n, end);
    check_raw(&store, n, end);

    let stats = store.stats().unwrap();
    assert_eq!(stats.raw_samples, 3 * (48 * 3600 + 1));
    assert_eq!(stats.series, 4);
    // Every minute of 4 series is a row, but for the open last one kept in memory.
    let minutes = oracles(n, 1000, MINUTE_MS)[0].buckets.len();
    assert_eq!(stats.minute_rows as usize, 4 * (minutes - 1));
    let per_sample = stats.raw_bytes_per_sample();
    eprintln!("stats: {stats:?}, raw bytes/sample {per_sample:.3}");
    assert!(
        per_sample > 0.0 && per_sample <= 4.0,
        "{per_sample} bytes per raw sample"
    );
}

/// Every minute and hour bucket of every series against the oracle; exact totals and peaks.
fn check_rollups(store: &SqliteStore, n: i64, end: i64) {
    let query = |tier: Tier, key: &SeriesKey| {
        store
            .query_rollup(tier, key, Timestamp(T0), Timestamp(end + 1))
            .expect("query")
    };
    let keys = [delta_key(), rate_key(), gauge_key()];
    // Minute tier: including the open last minute.
    for (key, oracle) in keys.iter().zip(&oracles(n, 1000, MINUTE_MS)) {
        oracle.check(
            &format!("minute {key}"),
            &query(Tier::Minute, key),
            T0,
            end + 1,
        );
    }
    // Hour tier: all 50 closed hours; the single sample at T0+50h is in an open hour.
    for (key, oracle) in keys.iter().zip(&oracles(n, 1000, HOUR_MS)) {
        let got = query(Tier::Hour, key);
        assert_eq!(got.len(), 50, "{key}");
        oracle.check(&format!("hour {key}"), &got, T0, end);
    }
    let total: f64 = (0..n).map(common::delta_at).sum();
    let minute_total: f64 = query(Tier::Minute, &delta_key())
        .iter()
        .map(|p| p.sum)
        .sum();
    let hour_total: f64 = query(Tier::Hour, &delta_key()).iter().map(|p| p.sum).sum();
    assert_eq!(minute_total, total);
    assert_eq!(hour_total + common::delta_at(n - 1), total);
    let max_delta = (0..n).map(common::delta_at).fold(0.0, f64::max);
    let peak = query(Tier::Hour, &rate_key())
        .iter()
        .map(|p| p.max)
        .fold(0.0, f64::max);
    assert_eq!(peak, max_delta * 8.0);
}

/// The value a series has at a tick.
type ValueAt = fn(i64) -> f64;

/// Exactly the last 48 hours of every stored series, with the right values; no raw rates.
fn check_raw(store: &SqliteStore, n: i64, end: i64) {
    let all = |key: &SeriesKey| {
        store
            .query_raw(key, Timestamp(0), Timestamp(i64::MAX))
            .expect("query")
    };
    let first_kept = end - 48 * HOUR_MS;
    let tick_of = |t: Timestamp| (t.0 - T0) / 1000 - 1;
    let expected: [(SeriesKey, ValueAt); 3] = [
        (delta_key().as_ref().clone(), common::delta_at),
        (gauge_key().as_ref().clone(), common::gauge_at),
        (elapsed_key(), |_| 1.0),
    ];
    for (key, value_at) in expected {
        let raw = all(&key);
        assert_eq!(raw.len(), 48 * 3600 + 1, "{key}");
        assert_eq!(raw[0].0, Timestamp(first_kept), "{key}");
        assert_eq!(tick_of(raw[raw.len() - 1].0), n - 1, "{key}");
        assert!(
            raw.windows(2).all(|w| w[1].0 .0 - w[0].0 .0 == 1000),
            "{key}: gaps or disorder"
        );
        assert!(
            raw.iter().all(|(t, v)| *v == value_at(tick_of(*t))),
            "{key}: values"
        );
    }
    assert!(all(&rate_key()).is_empty());
    let window = store
        .query_raw(&delta_key(), Timestamp(end - 59_000), Timestamp(end + 1))
        .expect("query");
    // 59 points sealed at the last upkeep (cutoff `end`) and the one at `end` in the head.
    assert_eq!(window.len(), 60, "half-open range across chunks and head");
    assert!(window.windows(2).all(|w| w[0].0 < w[1].0));
    let window = store
        .query_raw(&delta_key(), Timestamp(end - 59_000), Timestamp(end))
        .expect("query");
    assert_eq!(window.len(), 59, "`to` is excluded");
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

/// Runs 48 h of 10-second ticks into a file store with upkeep every minute.
fn two_days_at_ten_seconds(opts: SqliteOptions) -> (tempfile::TempDir, SqliteStore, i64, i64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(&dir.path().join("h.db"), opts).expect("open");
    let n = 48 * 360;
    let (end, report) = run_timeline(&mut store, n, 10_000, 6, 60_000);
    assert!(report.minute_rows_sealed > 0, "{report:?}");
    (dir, store, n, end)
}

fn db(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join("h.db")).expect("open for inspection")
}

fn sql_i64(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

#[test]
fn sealed_and_live_minutes_give_the_unsealed_answer_for_any_range() {
    let (dir, store, n, end) = two_days_at_ten_seconds(SqliteOptions::default());
    // Everything but the last 3 to 9 hours is sealed into 6-hour blocks.
    let conn = db(&dir);
    let oldest_live = sql_i64(&conn, "SELECT MIN(bucket) FROM rollup_1m");
    assert!((end - 9 * HOUR_MS..=end - 3 * HOUR_MS).contains(&oldest_live));
    let sealed_until = sql_i64(&conn, "SELECT MAX(end_ts) FROM rollup_1m_blocks") + MINUTE_MS;
    assert_eq!(sealed_until, oldest_live, "no gap, no overlap");
    assert_eq!(
        sql_i64(&conn, "SELECT MIN(start_ts) FROM rollup_1m_blocks"),
        T0
    );

    let keys = [delta_key(), rate_key(), gauge_key()];
    let block = 6 * HOUR_MS;
    let ranges = [
        (T0, end + 1),
        (T0 + block - MINUTE_MS, T0 + block + MINUTE_MS),
        (T0 + 5 * HOUR_MS + 30_000, T0 + 13 * HOUR_MS + 1),
        (oldest_live - 2 * HOUR_MS, oldest_live + HOUR_MS),
        (T0 - HOUR_MS, T0 + 1),
    ];
    for (key, oracle) in keys.iter().zip(&oracles(n, 10_000, MINUTE_MS)) {
        for (from, to) in ranges {
            let got = store
                .query_rollup(Tier::Minute, key, Timestamp(from), Timestamp(to))
                .unwrap();
            oracle.check(&format!("{key} [{from}, {to})"), &got, from, to);
        }
    }
    let total: f64 = (0..n).map(common::delta_at).sum();
    let all = store
        .query_rollup(
            Tier::Minute,
            &delta_key(),
            Timestamp(0),
            Timestamp(i64::MAX),
        )
        .unwrap();
    assert_eq!(all.iter().map(|p| p.sum).sum::<f64>(), total);
    let minutes = oracles(n, 10_000, MINUTE_MS)[0].buckets.len();
    assert_eq!(
        store.stats().unwrap().minute_rows as usize,
        4 * (minutes - 1)
    );
}

#[test]
fn sealed_blocks_are_pruned_whole_and_expired_minutes_are_hidden() {
    let opts = SqliteOptions {
        retention: Retention {
            raw: Duration::from_secs(3600),
            minute: Duration::from_secs(11 * 3600),
            hour: Duration::from_secs(24 * 3600),
        },
        chunk_span: Duration::from_secs(600),
    };
    let (dir, store, n, end) = two_days_at_ten_seconds(opts);
    let first_kept = end - 11 * HOUR_MS;
    let conn = db(&dir);
    // The block [36 h, 42 h) is partly past retention and kept; older ones are gone.
    assert_eq!(
        sql_i64(&conn, "SELECT MIN(start_ts) FROM rollup_1m_blocks"),
        T0 + 36 * HOUR_MS
    );
    assert!(first_kept > T0 + 36 * HOUR_MS);
    let oracle = &oracles(n, 10_000, MINUTE_MS)[0];
    let check = |store: &SqliteStore| {
        let got = store
            .query_rollup(
                Tier::Minute,
                &delta_key(),
                Timestamp(0),
                Timestamp(i64::MAX),
            )
            .unwrap();
        assert_eq!(got[0].bucket, Timestamp(first_kept));
        oracle.check("minute", &got, first_kept, end + 1);
    };
    check(&store);
    drop(store);
    // The boundary is kept across a restart, before any upkeep.
    let store = SqliteStore::open(&dir.path().join("h.db"), opts).unwrap();
    check(&store);
}

#[test]
fn a_late_sample_for_a_sealed_minute_is_merged_exactly_then_resealed() {
    let (dir, mut store, n, end) = two_days_at_ten_seconds(SqliteOptions::default());
    let mut late = bandwatch_core::Frame::new(
        "replay",
        Timestamp(T0 + 30_000),
        bandwatch_core::Seconds(10.0),
    );
    late.push(delta_key(), 20_000.0, bandwatch_core::SampleKind::Delta);
    store.write(&[late]).unwrap();

    let [mut minutes, ..] = oracles(n, 10_000, MINUTE_MS);
    let [mut hours, ..] = oracles(n, 10_000, HOUR_MS);
    for o in [&mut minutes, &mut hours] {
        let e = o.buckets.get_mut(&T0).unwrap();
        // Taken as older than what the sealed minute holds: `last` stays.
        *e = (e.0 + 1, e.1 + 20_000.0, e.2, 20_000.0, e.4);
    }
    let check = |store: &SqliteStore| {
        let all = (Timestamp(0), Timestamp(i64::MAX));
        let got = store
            .query_rollup(Tier::Minute, &delta_key(), all.0, all.1)
            .unwrap();
        minutes.check("minute", &got, 0, i64::MAX);
        let total: f64 = (0..n).map(common::delta_at).sum::<f64>() + 20_000.0;
        assert_eq!(got.iter().map(|p| p.sum).sum::<f64>(), total);
        let got = store
            .query_rollup(Tier::Hour, &delta_key(), all.0, all.1)
            .unwrap();
        hours.check("hour", &got, 0, end);
    };
    check(&store);
    assert_eq!(
        sql_i64(
            &db(&dir),
            "SELECT COUNT(*) FROM rollup_1m WHERE bucket = 1767225600000"
        ),
        1,
        "a live row beside the sealed minute until the next upkeep"
    );

    let report = store.maintain(Timestamp(end)).unwrap();
    // The delta's first block is rewritten; the new "replay" elapsed series gets its own.
    assert_eq!(
        (report.minute_blocks_sealed, report.minute_rows_sealed),
        (2, 2)
    );
    check(&store);
    let conn = db(&dir);
    assert_eq!(
        sql_i64(
            &conn,
            "SELECT COUNT(*) FROM rollup_1m WHERE bucket < 1767247200000"
        ),
        0
    );
    assert_eq!(
        sql_i64(
            &conn,
            "SELECT COUNT(*) FROM rollup_1m_blocks WHERE start_ts = 1767225600000"
        ),
        4 + 1
    );
}
