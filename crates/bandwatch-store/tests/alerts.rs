//! Alert history: recording, filtering, restoring open alerts, acknowledging, silences, and the
//! upgrade of a version 2 database.

mod common;

use std::path::Path;

use bandwatch_core::{AlertEvent, AlertState, EventKind, Severity, Timestamp};
use bandwatch_store::{AlertQuery, AlertRecord, SqliteOptions, SqliteStore, Store, LATEST_VERSION};
use common::{alert_event, delta_key, frame, T0};

use EventKind::{Escalated, Fired, Pending, Resolved};
use Severity::{Critical, High, Low, Medium};

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).expect("open")
}

fn memory() -> SqliteStore {
    SqliteStore::open_in_memory(SqliteOptions::default()).expect("open")
}

fn ts(secs: i64) -> Timestamp {
    Timestamp(T0 + secs * 1000)
}

/// Four alerts:
/// - `a` (rx_high on eth0, from 0 s): pending, fired medium, escalated high, resolved at 600 s;
/// - `b` (rx_high on eth1, from 300 s): fired low, still firing;
/// - `c` (link on eth2, from 1000 s): fired critical, resolved at 1100 s with severity low;
/// - `d` (rx_high on eth3, from 2000 s): pending low.
fn history() -> Vec<AlertEvent> {
    vec![
        alert_event("rx_high", "eth0", 0, Pending, Medium, 0),
        alert_event("rx_high", "eth0", 0, Fired, Medium, 60),
        alert_event("rx_high", "eth0", 0, Escalated, High, 120),
        alert_event("rx_high", "eth1", 300, Fired, Low, 300),
        alert_event("rx_high", "eth0", 0, Resolved, High, 600),
        alert_event("link", "eth2", 1000, Fired, Critical, 1000),
        alert_event("link", "eth2", 1000, Resolved, Low, 1100),
        alert_event("rx_high", "eth3", 2000, Pending, Low, 2000),
    ]
}

fn ids(records: &[AlertRecord]) -> Vec<String> {
    records.iter().map(|r| r.series.to_string()).collect()
}

fn names(ifaces: &[&str]) -> Vec<String> {
    ifaces
        .iter()
        .map(|i| common::alert_series(i).to_string())
        .collect()
}

fn query(store: &SqliteStore, q: AlertQuery) -> Vec<String> {
    ids(&store.alerts(&q).expect("query"))
}

fn event_count(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM alert_event", [], |r| r.get(0))
        .expect("count events")
}

#[test]
fn recorded_alerts_come_back_newest_first_with_their_events_in_order() {
    let mut store = memory();
    let events = history();
    store.record_alerts(&events[..3]).unwrap();
    store.record_alerts(&events[3..]).unwrap();

    let all = store.alerts(&AlertQuery::default()).unwrap();
    assert_eq!(ids(&all), names(&["eth3", "eth2", "eth1", "eth0"]));

    let a = &all[3];
    assert_eq!(a.id, events[0].id);
    assert_eq!(a.rule, "rx_high");
    assert_eq!(a.series, common::alert_series("eth0"));
    assert_eq!(
        (a.state, a.severity, a.max_severity),
        (AlertState::Resolved, High, High)
    );
    assert_eq!(
        (a.started, a.ended, a.updated),
        (ts(0), Some(ts(600)), ts(600))
    );
    assert_eq!((a.value, &a.message), (events[4].value, &events[4].message));
    assert_eq!((a.acked_at, a.acked_by.as_deref()), (None, None));
    let a_events: Vec<AlertEvent> = [0, 1, 2, 4].iter().map(|&i| events[i].clone()).collect();
    assert_eq!(a.events, a_events, "every event, oldest first, as recorded");

    // Resolved with a lower severity than it reached: current and highest differ.
    let c = &all[1];
    assert_eq!(
        (c.state, c.severity, c.max_severity),
        (AlertState::Resolved, Low, Critical)
    );
    assert_eq!(c.ended, Some(ts(1100)));
    let b = &all[2];
    assert_eq!(
        (b.state, b.ended, b.events.len()),
        (AlertState::Firing, None, 1)
    );
    assert_eq!(all[0].state, AlertState::Pending);
}

#[test]
fn filters_select_by_activity_severity_and_state() {
    let mut store = memory();
    store.record_alerts(&history()).unwrap();
    let q = AlertQuery::default;

    // Active at or after: `a` ended at 600 s; open alerts are active whenever.
    let since = |s| AlertQuery {
        since: Some(ts(s)),
        ..q()
    };
    assert_eq!(query(&store, since(601)), names(&["eth3", "eth2", "eth1"]));
    assert_eq!(
        query(&store, since(600)),
        names(&["eth3", "eth2", "eth1", "eth0"])
    );
    assert_eq!(query(&store, since(1101)), names(&["eth3", "eth1"]));

    // By the highest severity reached, not the current one (`c` resolved as low).
    let severity = |s| AlertQuery {
        min_severity: Some(s),
        ..q()
    };
    assert_eq!(query(&store, severity(High)), names(&["eth2", "eth0"]));
    assert_eq!(query(&store, severity(Critical)), names(&["eth2"]));
    assert_eq!(query(&store, severity(Medium)), names(&["eth2", "eth0"]));
    assert_eq!(query(&store, severity(Low)).len(), 4);

    let state = |s| AlertQuery {
        state: Some(s),
        ..q()
    };
    assert_eq!(query(&store, state(AlertState::Firing)), names(&["eth1"]));
    assert_eq!(query(&store, state(AlertState::Pending)), names(&["eth3"]));
    assert_eq!(
        query(&store, state(AlertState::Resolved)),
        names(&["eth2", "eth0"])
    );

    let limited = AlertQuery {
        limit: Some(2),
        ..q()
    };
    assert_eq!(query(&store, limited), names(&["eth3", "eth2"]));
    let combined = AlertQuery {
        since: Some(ts(700)),
        state: Some(AlertState::Resolved),
        min_severity: Some(High),
        limit: Some(10),
    };
    assert_eq!(query(&store, combined), names(&["eth2"]));
}

#[test]
fn a_late_event_raises_the_highest_severity_but_does_not_roll_the_alert_back() {
    let mut store = memory();
    let fired = alert_event("rx_high", "eth0", 0, Fired, Critical, 60);
    let renotified = alert_event("rx_high", "eth0", 0, EventKind::Renotified, High, 120);
    store
        .record_alerts(std::slice::from_ref(&renotified))
        .unwrap();
    store.record_alerts(std::slice::from_ref(&fired)).unwrap();
    let all = store.alerts(&AlertQuery::default()).unwrap();
    let a = &all[0];
    assert_eq!(
        (a.severity, a.max_severity, a.updated),
        (High, Critical, ts(120))
    );
    assert_eq!(a.message, renotified.message);
    assert_eq!(a.events, vec![fired, renotified]);
}

#[test]
fn firing_alerts_survive_a_restart_and_resolved_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let events = history();
    let mut store = open(&path);
    store.record_alerts(&events).unwrap();
    drop(store);

    let mut store = open(&path);
    // The newest event of each open alert, oldest alert first, exactly as recorded.
    let open = store.open_alerts().unwrap();
    assert_eq!(open, vec![events[3].clone(), events[7].clone()]);

    let escalated = alert_event("rx_high", "eth1", 300, Escalated, Critical, 2100);
    store
        .record_alerts(std::slice::from_ref(&escalated))
        .unwrap();
    assert_eq!(
        store.open_alerts().unwrap(),
        vec![escalated, events[7].clone()]
    );
    let resolved = alert_event("rx_high", "eth1", 300, Resolved, Critical, 2200);
    store.record_alerts(&[resolved]).unwrap();
    drop(store);
    assert_eq!(open_alerts_of(&path), vec![events[7].clone()]);
}

fn open_alerts_of(path: &Path) -> Vec<AlertEvent> {
    open(path).open_alerts().expect("open alerts")
}

#[test]
fn a_retried_batch_and_a_repeated_event_are_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    let events = history();
    store.record_alerts(&events).unwrap();
    store.record_alerts(&events).unwrap();
    let twice = [events[1].clone(), events[1].clone()];
    store.record_alerts(&twice).unwrap();
    assert_eq!(event_count(&path), events.len() as i64);

    let all = store.alerts(&AlertQuery::default()).unwrap();
    let n: usize = all.iter().map(|r| r.events.len()).sum();
    assert_eq!(n, events.len());
    // Replaying old events leaves the resolved alert resolved.
    assert_eq!(all[3].state, AlertState::Resolved);
    assert_eq!(all[3].updated, ts(600));
}

#[test]
fn acknowledging_marks_a_known_alert_and_reports_an_unknown_one() {
    let mut store = memory();
    let events = history();
    store.record_alerts(&events).unwrap();
    let b = &events[3].id;
    assert!(store.acknowledge(b, ts(400), Some("ops")).unwrap());
    assert!(!store.acknowledge("no-such-alert", ts(400), None).unwrap());

    let firing = store
        .alerts(&AlertQuery {
            state: Some(AlertState::Firing),
            ..AlertQuery::default()
        })
        .unwrap();
    assert_eq!(firing[0].acked_at, Some(ts(400)));
    assert_eq!(firing[0].acked_by.as_deref(), Some("ops"));
    // Later events keep the acknowledgement; others stay unacknowledged.
    let renotified = alert_event("rx_high", "eth1", 300, EventKind::Renotified, Low, 900);
    store.record_alerts(&[renotified]).unwrap();
    let all = store.alerts(&AlertQuery::default()).unwrap();
    let acked: Vec<_> = all.iter().map(|r| r.acked_at).collect();
    assert_eq!(acked, vec![None, None, Some(ts(400)), None]);
    // Acknowledging again without a name records the new time and no name.
    assert!(store.acknowledge(b, ts(950), None).unwrap());
    let all = store.alerts(&AlertQuery::default()).unwrap();
    assert_eq!(
        (all[2].acked_at, all[2].acked_by.as_deref()),
        (Some(ts(950)), None)
    );
}

#[test]
fn only_silences_that_have_not_ended_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    let hour = 3600;
    let first = store
        .add_silence("rule=rx_high", ts(0), ts(hour), Some("maintenance"))
        .unwrap();
    let second = store
        .add_silence("iface=eth1", ts(0), ts(2 * hour), None)
        .unwrap();
    let expired = store
        .add_silence("rule=link", ts(-hour), ts(0), None)
        .unwrap();
    assert!(first != second && second != expired);
    drop(store);

    let store = open(&path);
    let active = store.silences(ts(hour / 2)).unwrap();
    let got: Vec<_> = active
        .iter()
        .map(|s| (s.id, s.matcher.as_str(), s.until, s.comment.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (first, "rule=rx_high", ts(hour), Some("maintenance")),
            (second, "iface=eth1", ts(2 * hour), None),
        ]
    );
    assert_eq!(active[0].created, ts(0));
    // `until` is exclusive.
    let at_end: Vec<_> = store
        .silences(ts(hour))
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(at_end, vec![second]);
    assert!(store.silences(ts(2 * hour)).unwrap().is_empty());
}

#[test]
fn a_version_2_database_upgrades_and_keeps_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    for i in 0..300 {
        store.write(&[frame(i, 1000)]).unwrap();
    }
    store.flush().unwrap();
    drop(store);
    // What version 2 left on disk: everything but the alert tables (and the outbox of version 4).
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "DROP TABLE alert; DROP TABLE alert_event; DROP TABLE silence; DROP TABLE outbox;
         PRAGMA user_version = 2",
    )
    .unwrap();
    drop(c);

    let mut store = open(&path);
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, LATEST_VERSION);
    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap();
    assert_eq!(raw.len(), 300);
    assert_eq!(raw[0], (Timestamp(T0 + 1000), common::delta_at(0)));

    let events = history();
    store.record_alerts(&events).unwrap();
    store.add_silence("rule=link", ts(0), ts(60), None).unwrap();
    drop(store);
    let store = open(&path);
    assert_eq!(store.alerts(&AlertQuery::default()).unwrap().len(), 4);
    assert_eq!(store.silences(ts(0)).unwrap().len(), 1);
    assert_eq!(event_count(&path), events.len() as i64);
}

#[test]
fn a_nan_value_is_stored_and_read_back_as_nan() {
    let mut store = memory();
    let mut e = alert_event("zscore", "eth0", 0, Fired, High, 0);
    e.reference = f64::NAN;
    store.record_alerts(std::slice::from_ref(&e)).unwrap();
    let open = store.open_alerts().unwrap();
    assert!(open[0].reference.is_nan());
    assert_eq!(open[0].value.to_bits(), e.value.to_bits());
}
