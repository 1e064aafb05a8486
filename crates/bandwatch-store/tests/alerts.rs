//! Alert history: recording, filtering, restoring open alerts, acknowledging, silences, and the
//! upgrade of a version 2 database.

mod common;

use std::path::Path;

use bandwatch_core::{AlertEvent, AlertState, EventKind, Severity, Timestamp};
use bandwatch_store::{AlertQuery, AlertRecord, SqliteStore, Store, LATEST_VERSION};
use common::{
    alert_event, alert_history, delta_key, downgrade, frame, memory, open, series_names, ts,
    user_version, T0,
};

use EventKind::{Escalated, Fired, Resolved};
use Severity::{Critical, High, Low, Medium};

fn ids(records: &[AlertRecord]) -> Vec<String> {
    records.iter().map(|r| r.series.to_string()).collect()
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
    let events = alert_history();
    store.record_alerts(&events[..3]).unwrap();
    store.record_alerts(&events[3..]).unwrap();

    let all = store.alerts(&AlertQuery::default()).unwrap();
    assert_eq!(ids(&all), series_names(&["eth3", "eth2", "eth1", "eth0"]));

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
    store.record_alerts(&alert_history()).unwrap();
    let q = AlertQuery::default;

    // Active at or after: `a` ended at 600 s; open alerts are active whenever.
    let since = |s| AlertQuery {
        since: Some(ts(s)),
        ..q()
    };
    assert_eq!(
        query(&store, since(601)),
        series_names(&["eth3", "eth2", "eth1"])
    );
    assert_eq!(
        query(&store, since(600)),
        series_names(&["eth3", "eth2", "eth1", "eth0"])
    );
    assert_eq!(query(&store, since(1101)), series_names(&["eth3", "eth1"]));

    // By the highest severity reached, not the current one (`c` resolved as low).
    let severity = |s| AlertQuery {
        min_severity: Some(s),
        ..q()
    };
    assert_eq!(
        query(&store, severity(High)),
        series_names(&["eth2", "eth0"])
    );
    assert_eq!(query(&store, severity(Critical)), series_names(&["eth2"]));
    assert_eq!(
        query(&store, severity(Medium)),
        series_names(&["eth2", "eth0"])
    );
    assert_eq!(query(&store, severity(Low)).len(), 4);

    let state = |s| AlertQuery {
        state: Some(s),
        ..q()
    };
    assert_eq!(
        query(&store, state(AlertState::Firing)),
        series_names(&["eth1"])
    );
    assert_eq!(
        query(&store, state(AlertState::Pending)),
        series_names(&["eth3"])
    );
    assert_eq!(
        query(&store, state(AlertState::Resolved)),
        series_names(&["eth2", "eth0"])
    );

    let limited = AlertQuery {
        limit: Some(2),
        ..q()
    };
    assert_eq!(query(&store, limited), series_names(&["eth3", "eth2"]));
    let combined = AlertQuery {
        since: Some(ts(700)),
        state: Some(AlertState::Resolved),
        min_severity: Some(High),
        limit: Some(10),
    };
    assert_eq!(query(&store, combined), series_names(&["eth2"]));
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
    let events = alert_history();
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
    let events = alert_history();
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
    let events = alert_history();
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
    // What version 2 left on disk: everything but the alert tables (and the outbox of version 4
    // and the head seal marks of version 5).
    downgrade(
        &path,
        "DROP TABLE alert; DROP TABLE alert_event; DROP TABLE silence; DROP TABLE outbox;
         DROP TABLE head_sealed; PRAGMA user_version = 2",
    );

    let mut store = open(&path);
    assert_eq!(user_version(&path), LATEST_VERSION);
    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap();
    assert_eq!(raw.len(), 300);
    assert_eq!(raw[0], (Timestamp(T0 + 1000), common::delta_at(0)));

    let events = alert_history();
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
