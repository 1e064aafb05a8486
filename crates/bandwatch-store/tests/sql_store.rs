//! The SQL store against real MySQL/MariaDB and PostgreSQL servers: the behaviour the SQLite
//! history and alert tests check, and the schema migration (the compatibility tables are in
//! `sql_compat.rs`).

// Exact equality of sums is what these tests are about.
#![allow(clippy::float_cmp)]

mod common;
mod sqlcommon;

use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{
    AlertEvent, AlertState, EventKind, Frame, SampleKind, Seconds, SeriesKey, Severity, Timestamp,
};
use bandwatch_store::{
    AlertQuery, Retention, SqlOptions, SqlStore, Store, StoreError, Tier, HOUR_MS, MINUTE_MS,
    SQL_LATEST_VERSION,
};
use common::{
    alert_event, alert_history, delta_key, elapsed_key, frame, gauge_key, oracles, rate_key,
    run_timeline, series_names, ts, T0,
};
use sqlcommon::{FreshDb, Server};

use EventKind::{Escalated, Fired};
use Severity::{Critical, High, Low};

fn open(db: &FreshDb, opts: SqlOptions) -> SqlStore {
    SqlStore::connect(&db.url, opts).expect("connect")
}

fn exact_rollups_and_raw(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = open(&db, SqlOptions::default());
    let (n, step) = (3 * 360, 10_000);
    let (end, _) = run_timeline(&mut store, n, step, 6, 10 * MINUTE_MS);
    let keys = [delta_key(), rate_key(), gauge_key()];
    let all = (Timestamp(T0), Timestamp(end + 1));
    for (key, oracle) in keys.iter().zip(&oracles(n, step, MINUTE_MS)) {
        let got = store
            .query_rollup(Tier::Minute, key, all.0, all.1)
            .expect("store call");
        // Including the open last minute, summarised from the samples.
        oracle.check(&format!("minute {key}"), &got, T0, end + 1);
        // Any sub-range, across the built and the unbuilt minutes.
        let (from, to) = (end - 30 * MINUTE_MS + 30_000, end + 1);
        let got = store
            .query_rollup(Tier::Minute, key, Timestamp(from), Timestamp(to))
            .expect("store call");
        oracle.check(&format!("minute {key} tail"), &got, from, to);
    }
    for (key, oracle) in keys.iter().zip(&oracles(n, step, HOUR_MS)) {
        let got = store
            .query_rollup(Tier::Hour, key, all.0, all.1)
            .expect("store call");
        assert_eq!(got.len(), 3, "{key}");
        oracle.check(&format!("hour {key}"), &got, T0, end);
    }
    let total: f64 = (0..n).map(common::delta_at).sum();
    let minutes = store
        .query_rollup(Tier::Minute, &delta_key(), all.0, all.1)
        .expect("store call");
    assert_eq!(minutes.iter().map(|p| p.sum).sum::<f64>(), total);

    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .expect("store call");
    assert_eq!(raw.len() as i64, n);
    assert!(raw
        .iter()
        .all(|(t, v)| *v == common::delta_at((t.0 - T0) / step - 1)));
    assert!(store
        .query_raw(&rate_key(), all.0, all.1)
        .expect("store call")
        .is_empty());
    let window = store
        .query_raw(&delta_key(), Timestamp(end - 50_000), Timestamp(end))
        .expect("store call");
    assert_eq!(window.len(), 5, "`to` is excluded");

    let mut expected = vec![
        delta_key().as_ref().clone(),
        rate_key().as_ref().clone(),
        gauge_key().as_ref().clone(),
        elapsed_key(),
    ];
    expected.sort();
    assert_eq!(store.series().expect("store call"), expected);
    let stats = store.stats().expect("store call");
    assert_eq!(stats.raw_samples as i64, 3 * n);
    assert_eq!(stats.series, 4);
    let minute_count = oracles(n, step, MINUTE_MS)[0].buckets.len();
    assert_eq!(stats.minute_rows as usize, 4 * (minute_count - 1));
    assert_eq!(stats.hour_rows, 4 * 3);
    assert!(stats.file_bytes > 0, "{stats:?}");

    // A reopened store answers the same.
    drop(store);
    let store = open(&db, SqlOptions::default());
    let again = store
        .query_rollup(Tier::Minute, &delta_key(), all.0, all.1)
        .expect("store call");
    assert_eq!(again, minutes);
}

#[test]
fn mysql_rollups_are_exact_and_raw_points_complete() {
    exact_rollups_and_raw(Server::MySql);
}

#[test]
fn postgres_rollups_are_exact_and_raw_points_complete() {
    exact_rollups_and_raw(Server::Postgres);
}

fn retention_prunes_every_tier(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let opts = SqlOptions {
        retention: Retention {
            raw: Duration::from_secs(3600),
            minute: Duration::from_secs(3 * 3600),
            hour: Duration::from_secs(6 * 3600),
        },
        ..SqlOptions::default()
    };
    let mut store = open(&db, opts);
    let (n, step) = (12 * 360, 10_000);
    let (end, _) = run_timeline(&mut store, n, step, 30, 10 * MINUTE_MS);
    let key = delta_key();
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let minutes = store
        .query_rollup(Tier::Minute, &key, all.0, all.1)
        .expect("store call");
    assert_eq!(minutes[0].bucket, Timestamp(end - 3 * HOUR_MS));
    oracles(n, step, MINUTE_MS)[0].check("minute", &minutes, end - 3 * HOUR_MS, end + 1);
    let hours = store
        .query_rollup(Tier::Hour, &key, all.0, all.1)
        .expect("store call");
    assert_eq!(hours.len(), 6);
    oracles(n, step, HOUR_MS)[0].check("hour", &hours, end - 6 * HOUR_MS, end);
    let raw = store.query_raw(&key, all.0, all.1).expect("store call");
    assert_eq!(raw[0].0, Timestamp(end - HOUR_MS));
    assert_eq!(raw.len(), 361);
}

#[test]
fn mysql_retention_prunes_every_tier() {
    retention_prunes_every_tier(Server::MySql);
}

#[test]
fn postgres_retention_prunes_every_tier() {
    retention_prunes_every_tier(Server::Postgres);
}

fn late_and_repeated_writes_count_once(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = open(&db, SqlOptions::default());
    let (n, step) = (720, 10_000);
    let (end, _) = run_timeline(&mut store, n, step, 6, 10 * MINUTE_MS);
    // A batch retried after a commit that could not be confirmed, and a late sample for a
    // minute (and hour) already built.
    let frames: Vec<Frame> = (100..130).map(|i| frame(i, step)).collect();
    store.write(&frames).expect("store call");
    let mut late = Frame::new("replay", Timestamp(T0 + 5_000), Seconds(5.0));
    late.push(delta_key(), 20_000.0, SampleKind::Delta);
    store.write(&[late]).expect("store call");

    let [mut minutes, ..] = oracles(n, step, MINUTE_MS);
    let [mut hours, ..] = oracles(n, step, HOUR_MS);
    for o in [&mut minutes, &mut hours] {
        let e = o.buckets.get_mut(&T0).expect("store call");
        // Older than the samples stored for the bucket: `last` stays.
        *e = (e.0 + 1, e.1 + 20_000.0, e.2, 20_000.0, e.4);
    }
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let got = store
        .query_rollup(Tier::Minute, &delta_key(), all.0, all.1)
        .expect("store call");
    minutes.check("minute", &got, 0, i64::MAX);
    let got = store
        .query_rollup(Tier::Hour, &delta_key(), all.0, all.1)
        .expect("store call");
    hours.check("hour", &got, 0, end);
    let raw = store
        .query_raw(&delta_key(), all.0, all.1)
        .expect("store call");
    assert_eq!(raw.len() as i64, n + 1);
}

#[test]
fn mysql_late_and_repeated_writes_count_once() {
    late_and_repeated_writes_count_once(Server::MySql);
}

#[test]
fn postgres_late_and_repeated_writes_count_once() {
    late_and_repeated_writes_count_once(Server::Postgres);
}

fn query(store: &SqlStore, q: AlertQuery) -> Vec<String> {
    store
        .alerts(&q)
        .expect("query")
        .iter()
        .map(|r| r.series.to_string())
        .collect()
}

fn check_filters(store: &SqlStore) {
    let q = AlertQuery::default;
    let since = |s| AlertQuery {
        since: Some(ts(s)),
        ..q()
    };
    assert_eq!(
        query(store, since(601)),
        series_names(&["eth3", "eth2", "eth1"])
    );
    assert_eq!(query(store, since(1101)), series_names(&["eth3", "eth1"]));
    let severity = |s| AlertQuery {
        min_severity: Some(s),
        ..q()
    };
    assert_eq!(
        query(store, severity(High)),
        series_names(&["eth2", "eth0"])
    );
    assert_eq!(query(store, severity(Critical)), series_names(&["eth2"]));
    let state = |s| AlertQuery {
        state: Some(s),
        ..q()
    };
    assert_eq!(
        query(store, state(AlertState::Firing)),
        series_names(&["eth1"])
    );
    assert_eq!(
        query(store, state(AlertState::Resolved)),
        series_names(&["eth2", "eth0"])
    );
    let limited = AlertQuery {
        limit: Some(2),
        ..q()
    };
    assert_eq!(query(store, limited), series_names(&["eth3", "eth2"]));
}

fn alert_lifecycle(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = open(&db, SqlOptions::default());
    let events = alert_history();
    store.record_alerts(&events[..3]).expect("store call");
    store.record_alerts(&events[3..]).expect("store call");
    // A retried batch and a repeated event are recorded once.
    store.record_alerts(&events).expect("store call");
    store
        .record_alerts(&[events[1].clone(), events[1].clone()])
        .expect("store call");
    assert_eq!(db.int("SELECT COUNT(*) FROM bw_alert_event"), 8);

    let all = store.alerts(&AlertQuery::default()).expect("store call");
    assert_eq!(
        all.iter().map(|r| r.series.to_string()).collect::<Vec<_>>(),
        series_names(&["eth3", "eth2", "eth1", "eth0"])
    );
    let a = &all[3];
    assert_eq!(
        (a.state, a.severity, a.max_severity),
        (AlertState::Resolved, High, High)
    );
    assert_eq!(
        (a.started, a.ended, a.updated),
        (ts(0), Some(ts(600)), ts(600))
    );
    let a_events: Vec<AlertEvent> = [0, 1, 2, 4].iter().map(|&i| events[i].clone()).collect();
    assert_eq!(a.events, a_events);
    assert_eq!(
        (all[1].severity, all[1].max_severity),
        (Low, Critical),
        "resolved lower than it reached"
    );
    check_filters(&store);

    assert!(store
        .acknowledge(&events[3].id, ts(400), Some("ops"))
        .expect("store call"));
    assert!(!store
        .acknowledge("no-such-alert", ts(400), None)
        .expect("store call"));
    let first = store
        .add_silence("rule=rx_high", ts(0), ts(3600), Some("maintenance"))
        .expect("store call");
    let second = store
        .add_silence("iface=eth1", ts(0), ts(7200), None)
        .expect("store call");
    drop(store);

    let mut store = open(&db, SqlOptions::default());
    assert_eq!(
        store.open_alerts().expect("store call"),
        vec![events[3].clone(), events[7].clone()]
    );
    let firing = store
        .alerts(&AlertQuery {
            state: Some(AlertState::Firing),
            ..AlertQuery::default()
        })
        .expect("store call");
    assert_eq!(
        (firing[0].acked_at, firing[0].acked_by.as_deref()),
        (Some(ts(400)), Some("ops"))
    );
    let ids: Vec<i64> = store
        .silences(ts(1800))
        .expect("store call")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec![first, second]);
    assert_eq!(
        store.silences(ts(3600)).expect("store call")[0].comment,
        None,
        "`until` is exclusive"
    );
    // A late event raises the highest severity but does not roll the alert back.
    let late = alert_event("rx_high", "eth1", 300, Escalated, Critical, 200);
    store.record_alerts(&[late]).expect("store call");
    let b = &store.alerts(&AlertQuery::default()).expect("store call")[2];
    assert_eq!(
        (b.severity, b.max_severity, b.updated),
        (Low, Critical, ts(300))
    );
    // NaN survives as NaN.
    let mut e = alert_event("zscore", "eth9", 5000, Fired, High, 5000);
    e.reference = f64::NAN;
    store
        .record_alerts(std::slice::from_ref(&e))
        .expect("store call");
    let open = store.open_alerts().expect("store call");
    assert!(open.iter().any(|o| o.id == e.id && o.reference.is_nan()));
}

#[test]
fn mysql_alert_lifecycle() {
    alert_lifecycle(Server::MySql);
}

#[test]
fn postgres_alert_lifecycle() {
    alert_lifecycle(Server::Postgres);
}

fn migration(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = open(&db, SqlOptions::default());
    assert_eq!(
        store.schema_version().expect("store call"),
        SQL_LATEST_VERSION
    );
    store.write(&[frame(0, 1000)]).expect("store call");
    // A series whose text is longer than MySQL can index, and two that differ only in case.
    let long = SeriesKey::with_label("host_rx_bytes", "path", &"x".repeat(2000));
    let mut f = Frame::new("hosts", Timestamp(T0 + 1000), Seconds(1.0));
    f.push(Arc::new(long.clone()), 7.0, SampleKind::Delta);
    f.push(
        Arc::new(SeriesKey::with_label("up", "iface", "eth0")),
        1.0,
        SampleKind::Gauge,
    );
    f.push(
        Arc::new(SeriesKey::with_label("up", "iface", "ETH0")),
        0.0,
        SampleKind::Gauge,
    );
    store.write(&[f]).expect("store call");
    drop(store);
    // Re-opening is a no-op for the schema and keeps the data.
    let store = open(&db, SqlOptions::default());
    assert_eq!(
        db.int("SELECT COUNT(*) FROM bw_schema_version"),
        SQL_LATEST_VERSION
    );
    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .expect("store call");
    assert_eq!(raw, vec![(Timestamp(T0 + 1000), common::delta_at(0))]);
    let series = store.series().expect("store call");
    assert_eq!(series.len(), 4 + 1 + 2 + 1, "{series:?}");
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let long_raw = store.query_raw(&long, all.0, all.1).expect("store call");
    assert_eq!(long_raw, vec![(Timestamp(T0 + 1000), 7.0)]);
    let upper = SeriesKey::with_label("up", "iface", "ETH0");
    let upper_raw = store.query_raw(&upper, all.0, all.1).expect("store call");
    assert_eq!(upper_raw, vec![(Timestamp(T0 + 1000), 0.0)]);
    drop(store);
    // A database from a newer bandwatch is refused.
    db.exec("INSERT INTO bw_schema_version (version, applied_at) VALUES (99, 0)");
    let err = SqlStore::connect(&db.url, SqlOptions::default()).expect_err("must fail");
    assert!(
        matches!(err, StoreError::SqlSchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn mysql_migrates_from_empty_and_reopens() {
    migration(Server::MySql);
}

#[test]
fn postgres_migrates_from_empty_and_reopens() {
    migration(Server::Postgres);
}
