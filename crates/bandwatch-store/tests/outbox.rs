//! The notification outbox: idempotent enqueue, due order, the retry lifecycle, stats,
//! pruning, surviving a crash, the upgrade of a version 3 database, and a second connection.

mod common;

use std::time::Duration;

use bandwatch_core::{EventKind, Severity, Timestamp};
use bandwatch_store::{
    backoff, AlertQuery, ChannelStats, NewNotification, Outbox, OutboxState, SqliteOutbox, Store,
    LATEST_VERSION,
};
use common::{alert_event, delta_key, downgrade, frame, memory, open, ts, user_version, T0};

/// A notification for `channel` keyed `key`, made at `T0 + secs` and due at once.
fn note(channel: &str, key: &str, secs: i64) -> NewNotification {
    NewNotification::new(
        channel,
        key,
        format!(r#"{{"key":"{key}","at":{secs}}}"#),
        ts(secs),
    )
}

fn due_keys(outbox: &dyn Outbox, channel: &str, now: i64) -> Vec<String> {
    outbox
        .due(channel, ts(now), 100)
        .expect("due")
        .into_iter()
        .map(|n| n.idempotency_key)
        .collect()
}

#[test]
fn enqueueing_the_same_key_twice_keeps_one_row_and_returns_its_id() {
    let mut store = memory();
    let first = store
        .enqueue(&[note("email", "a", 0), note("email", "b", 1)])
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_ne!(first[0], first[1]);

    // Again (a retried batch), plus the same key on another channel, plus a duplicate inside
    // one batch: only the new (channel, key) pairs are added.
    let mut changed = note("email", "a", 50);
    changed.payload = "different".to_owned();
    let second = store
        .enqueue(&[
            changed,
            note("webhook", "a", 2),
            note("email", "c", 3),
            note("email", "c", 4),
        ])
        .unwrap();
    assert_eq!(second[0], first[0]);
    assert!(!first.contains(&second[1]));
    assert_eq!(second[2], second[3]);

    let stored = store.notification(first[0]).unwrap().unwrap();
    assert_eq!(
        stored.payload, r#"{"key":"a","at":0}"#,
        "the first one stays"
    );
    assert_eq!(stored.created, ts(0));
    assert_eq!(stored.state, OutboxState::Pending);
    assert_eq!(stored.attempts, 0);
    assert_eq!(due_keys(&store, "email", 100), ["a", "b", "c"]);
    assert_eq!(due_keys(&store, "webhook", 100), ["a"]);
    assert!(store.enqueue(&[]).unwrap().is_empty());
}

#[test]
fn due_returns_a_channels_pending_items_oldest_first_once_their_time_has_come() {
    let mut store = memory();
    let mut later = note("email", "later", 5);
    later.next_attempt = ts(100);
    // Enqueued out of creation order: `due` sorts by creation.
    store
        .enqueue(&[
            note("email", "second", 20),
            note("chat", "other", 0),
            note("email", "first", 10),
            later,
            note("email", "third", 20),
        ])
        .unwrap();

    assert!(due_keys(&store, "email", 9).is_empty());
    assert_eq!(due_keys(&store, "email", 10), ["first"]);
    assert_eq!(due_keys(&store, "email", 99), ["first", "second", "third"]);
    assert_eq!(
        due_keys(&store, "email", 100),
        ["later", "first", "second", "third"]
    );
    let two: Vec<_> = store
        .due("email", ts(100), 2)
        .unwrap()
        .into_iter()
        .map(|n| n.idempotency_key)
        .collect();
    assert_eq!(two, ["later", "first"]);
    assert_eq!(due_keys(&store, "chat", 100), ["other"]);
    assert!(due_keys(&store, "mqtt", 100).is_empty());
}

#[test]
fn a_failed_notification_waits_for_its_next_attempt_then_is_delivered_exactly_once() {
    let mut store = memory();
    let id = store.enqueue(&[note("email", "a", 0)]).unwrap()[0];

    // SMTP down: two failures, each pushing the next attempt out by the backoff.
    let wait = backoff(1, Duration::from_secs(10), Duration::from_secs(600), 7);
    let next = ts(1).add_millis(wait.as_millis() as i64);
    store
        .mark_failed(id, ts(1), "connection refused", next)
        .unwrap();
    assert!(store
        .due("email", next.add_millis(-1), 10)
        .unwrap()
        .is_empty());
    let again = store.due("email", next, 10).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("connection refused"));
    store
        .mark_failed(id, next, "timed out", next.add_millis(60_000))
        .unwrap();

    // SMTP up: delivered, and never due again.
    let done = next.add_millis(60_000);
    store.mark_delivered(id, done).unwrap();
    assert!(store.due("email", ts(1_000_000), 10).unwrap().is_empty());
    let n = store.notification(id).unwrap().unwrap();
    assert_eq!(n.state, OutboxState::Delivered);
    assert_eq!(n.attempts, 3);
    assert_eq!(n.delivered_at, Some(done));
    assert_eq!(n.last_error.as_deref(), Some("timed out"));

    // Late or repeated reports change nothing.
    store.mark_delivered(id, ts(9_999)).unwrap();
    store.mark_failed(id, ts(9_999), "late", ts(9_999)).unwrap();
    store.mark_dead(id, ts(9_999), "late").unwrap();
    assert_eq!(store.notification(id).unwrap().unwrap(), n);
    // Unknown ids are no error.
    store.mark_delivered(id + 100, done).unwrap();
    assert_eq!(store.notification(id + 100).unwrap(), None);
}

#[test]
fn a_dead_notification_is_never_due_again() {
    let mut store = memory();
    let ids = store
        .enqueue(&[note("webhook", "gone", 0), note("webhook", "fine", 1)])
        .unwrap();
    store
        .mark_dead(ids[0], ts(2), "HTTP 410 Gone: the endpoint was removed")
        .unwrap();
    assert_eq!(due_keys(&store, "webhook", 1_000), ["fine"]);
    let dead = store.notification(ids[0]).unwrap().unwrap();
    assert_eq!(dead.state, OutboxState::Dead);
    assert_eq!(dead.attempts, 1);
    assert_eq!(dead.delivered_at, None);
    assert_eq!(dead.updated, ts(2));
    assert_eq!(
        dead.last_error.as_deref(),
        Some("HTTP 410 Gone: the endpoint was removed")
    );
    store.mark_failed(ids[0], ts(3), "again", ts(3)).unwrap();
    assert_eq!(store.notification(ids[0]).unwrap().unwrap(), dead);
}

#[test]
fn stats_count_each_state_per_channel_and_age_the_oldest_pending_item() {
    let mut store = memory();
    assert!(store.outbox_stats().unwrap().channels.is_empty());
    assert_eq!(
        store.outbox_stats().unwrap().oldest_pending_age(ts(0)),
        None
    );
    let ids = store
        .enqueue(&[
            note("email", "a", 10),
            note("email", "b", 20),
            note("email", "c", 30),
            note("email", "d", 40),
            note("chat", "x", 5),
        ])
        .unwrap();
    store.mark_delivered(ids[0], ts(50)).unwrap();
    store.mark_dead(ids[1], ts(50), "bad address").unwrap();
    store.mark_delivered(ids[4], ts(50)).unwrap();

    let stats = store.outbox_stats().unwrap();
    assert_eq!(
        stats.channels,
        [
            ChannelStats {
                channel: "chat".to_owned(),
                pending: 0,
                delivered: 1,
                dead: 0,
                oldest_pending: None,
            },
            ChannelStats {
                channel: "email".to_owned(),
                pending: 2,
                delivered: 1,
                dead: 1,
                oldest_pending: Some(ts(30)),
            },
        ]
    );
    assert_eq!(stats.pending(), 2);
    assert_eq!(stats.channel("email").map(|c| c.dead), Some(1));
    assert_eq!(
        stats.oldest_pending_age(ts(90)),
        Some(Duration::from_secs(60))
    );
    assert_eq!(stats.oldest_pending_age(ts(0)), Some(Duration::ZERO));
}

#[test]
fn pruning_removes_finished_rows_before_the_bound_and_never_pending_ones() {
    let mut store = memory();
    let ids = store
        .enqueue(&[
            note("email", "old-delivered", 0),
            note("email", "old-dead", 0),
            note("email", "new-delivered", 0),
            note("email", "old-pending", 0),
            note("email", "retried", 0),
        ])
        .unwrap();
    store.mark_delivered(ids[0], ts(100)).unwrap();
    store.mark_dead(ids[1], ts(100), "rejected").unwrap();
    store.mark_delivered(ids[2], ts(300)).unwrap();
    store.mark_failed(ids[4], ts(100), "down", ts(500)).unwrap();

    assert_eq!(
        store.prune_outbox(ts(100)).unwrap(),
        0,
        "the bound is exclusive"
    );
    assert_eq!(store.prune_outbox(ts(200)).unwrap(), 2);
    let left: Vec<_> = ids
        .iter()
        .map(|id| store.notification(*id).unwrap().map(|n| n.idempotency_key))
        .collect();
    assert_eq!(
        left,
        [
            None,
            None,
            Some("new-delivered".to_owned()),
            Some("old-pending".to_owned()),
            Some("retried".to_owned())
        ]
    );
    assert_eq!(store.prune_outbox(ts(1_000_000)).unwrap(), 1);
    assert_eq!(store.outbox_stats().unwrap().pending(), 2);
    // A pruned key may be enqueued again; that is the caller's retention choice.
    let again = store
        .enqueue(&[note("email", "old-delivered", 400)])
        .unwrap();
    assert_ne!(again[0], ids[0]);
}

#[test]
fn pending_notifications_survive_a_crash_and_are_due_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    store.write(&[frame(0, 1000)]).unwrap();
    let ids = store
        .enqueue(&[note("email", "sent", 0), note("email", "unsent", 1)])
        .unwrap();
    let failed = store.enqueue(&[note("webhook", "failing", 2)]).unwrap()[0];
    store.mark_delivered(ids[0], ts(3)).unwrap();
    store
        .mark_failed(failed, ts(3), "503 Service Unavailable", ts(60))
        .unwrap();
    // kill -9 between the enqueue and the send: no flush, no close, the store just vanishes.
    std::mem::forget(store);

    let store = open(&path);
    let due = store.due("email", ts(4), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, ids[1]);
    assert_eq!(due[0].payload, r#"{"key":"unsent","at":1}"#);
    assert!(store.due("webhook", ts(59), 10).unwrap().is_empty());
    let retry = store.due("webhook", ts(60), 10).unwrap();
    assert_eq!((retry[0].id, retry[0].attempts), (failed, 1));
    assert_eq!(
        store.notification(ids[0]).unwrap().unwrap().state,
        OutboxState::Delivered
    );
}

#[test]
fn a_version_3_database_upgrades_and_keeps_its_history_and_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    for i in 0..300 {
        store.write(&[frame(i, 1000)]).unwrap();
    }
    store
        .record_alerts(&[
            alert_event("rx_high", "eth0", 0, EventKind::Fired, Severity::High, 0),
            alert_event(
                "rx_high",
                "eth0",
                0,
                EventKind::Resolved,
                Severity::High,
                60,
            ),
        ])
        .unwrap();
    store.flush().unwrap();
    drop(store);
    // What version 3 left on disk: everything but the outbox (and the head seal marks of
    // version 5).
    downgrade(
        &path,
        "DROP TABLE outbox; DROP TABLE head_sealed; PRAGMA user_version = 3",
    );

    let mut store = open(&path);
    assert_eq!((LATEST_VERSION, user_version(&path)), (5, 5));
    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap();
    assert_eq!(raw.len(), 300);
    assert_eq!(raw[0], (Timestamp(T0 + 1000), common::delta_at(0)));
    let alerts = store.alerts(&AlertQuery::default()).unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].events.len(), 2);

    let id = store.enqueue(&[note("email", "a", 0)]).unwrap()[0];
    drop(store);
    let store = open(&path);
    assert_eq!(store.due("email", ts(0), 10).unwrap()[0].id, id);
}

#[test]
fn a_second_connection_serves_the_notifier_beside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    store.write(&[frame(0, 1000)]).unwrap();
    // The notifier's connection, as a trait object on its own thread.
    let mut outbox: Box<dyn Outbox> = Box::new(SqliteOutbox::open(&path).unwrap());
    let ids = std::thread::spawn(move || {
        let ids = outbox
            .enqueue(&[note("mqtt", "a", 0), note("mqtt", "b", 1)])
            .unwrap();
        outbox.mark_delivered(ids[0], ts(2)).unwrap();
        ids
    })
    .join()
    .unwrap();
    store.write(&[frame(1, 1000)]).unwrap();
    let due = store.due("mqtt", ts(10), 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, ids[1]);

    // A fresh file opened by the outbox first gets the whole schema.
    let other = dir.path().join("sub/other.db");
    let outbox = SqliteOutbox::open(&other).unwrap();
    assert_eq!(outbox.path(), other);
    assert!(outbox.outbox_stats().unwrap().channels.is_empty());
    drop(outbox);
    let store = open(&other);
    assert!(store.series().unwrap().is_empty());
}
