//! The delivery core over a real (in-memory SQLite) outbox and fake channels: routing,
//! grouping, idempotent enqueue, retry with backoff, one failing channel not blocking another,
//! and pending items surviving a restart of the dispatcher.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bandwatch_core::{alert_id, AlertEvent, AlertState, EventKind, SeriesKey, Severity, Timestamp};
use bandwatch_notify::dispatch::{
    Deliver, DeliveryReport, Dispatcher, Outcome, RetryPolicy, Route,
};
use bandwatch_store::{Outbox, SqliteOptions, SqliteStore};

/// A channel that records what it sends and answers from a script.
struct Fake {
    name: String,
    script: Arc<Mutex<Vec<Outcome>>>,
    sent: Arc<Mutex<Vec<String>>>,
}

impl Deliver for Fake {
    fn name(&self) -> &str {
        &self.name
    }
    fn render(&self, events: &[AlertEvent]) -> bandwatch_notify::Result<String> {
        Ok(events
            .iter()
            .map(|e| format!("{}:{}", e.rule, e.kind))
            .collect::<Vec<_>>()
            .join(","))
    }
    fn deliver(&mut self, payload: &str) -> Outcome {
        let outcome = self
            .script
            .lock()
            .expect("script")
            .pop()
            .unwrap_or(Outcome::Delivered);
        if outcome == Outcome::Delivered {
            self.sent.lock().expect("sent").push(payload.to_string());
        }
        outcome
    }
}

type Log = Arc<Mutex<Vec<String>>>;

fn fake(name: &str, script: Vec<Outcome>) -> (Box<dyn Deliver>, Log) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut script = script;
    script.reverse();
    (
        Box::new(Fake {
            name: name.into(),
            script: Arc::new(Mutex::new(script)),
            sent: Arc::clone(&sent),
        }),
        sent,
    )
}

fn event(rule: &str, kind: EventKind, severity: Severity, at: i64) -> AlertEvent {
    let series = SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0");
    AlertEvent {
        id: alert_id(rule, &series, Timestamp(0)),
        rule: rule.into(),
        series,
        kind,
        state: kind.state(),
        severity,
        value: 1.0,
        reference: 0.5,
        message: "m".into(),
        started: Timestamp(0),
        ended: (kind.state() == AlertState::Resolved).then_some(Timestamp(at)),
        at: Timestamp(at),
    }
}

fn store() -> SqliteStore {
    SqliteStore::open_in_memory(SqliteOptions::default()).expect("store")
}

const WINDOW: Duration = Duration::from_secs(30);

#[test]
fn events_are_routed_grouped_and_delivered_once() {
    let (mail, mail_sent) = fake("email:ops", vec![]);
    let (hook, hook_sent) = fake("webhook:noc", vec![]);
    let only_high = Route {
        min_severity: Severity::High,
        ..Route::default()
    };
    let mut d = Dispatcher::new(
        store(),
        vec![(mail, Route::default()), (hook, only_high)],
        WINDOW,
        RetryPolicy::default(),
    );
    d.submit(
        &[
            event("a", EventKind::Fired, Severity::Medium, 0),
            event("b", EventKind::Fired, Severity::High, 1000),
        ],
        Timestamp(1000),
    );
    assert_eq!(
        d.enqueue_due(Timestamp(1000)).unwrap(),
        2,
        "the first alerts of a channel go out at once"
    );
    d.submit(
        &[event("c", EventKind::Pending, Severity::High, 2000)],
        Timestamp(2000),
    );
    d.submit(
        &[
            event("d", EventKind::Fired, Severity::Medium, 5000),
            event("e", EventKind::Fired, Severity::High, 6000),
        ],
        Timestamp(6000),
    );
    assert_eq!(
        d.enqueue_due(Timestamp(10_000)).unwrap(),
        0,
        "what follows waits for the group window"
    );
    assert_eq!(d.enqueue_due(Timestamp(31_000)).unwrap(), 2);
    let report = d.deliver_due(Timestamp(31_000), 10).unwrap();
    assert_eq!(report.delivered, 4);
    assert_eq!(
        *mail_sent.lock().unwrap(),
        ["a:fired,b:fired", "d:fired,e:fired"],
        "one message per group"
    );
    assert_eq!(
        *hook_sent.lock().unwrap(),
        ["b:fired", "e:fired"],
        "only high and above; pending is never sent"
    );
    assert_eq!(
        d.deliver_due(Timestamp(60_000), 10).unwrap().delivered,
        0,
        "nothing is sent twice"
    );
}

#[test]
fn a_failing_channel_retries_with_backoff_and_does_not_block_others() {
    let (down, down_sent) = fake("email:ops", vec![Outcome::Retry("refused".into()); 3]);
    let (up, up_sent) = fake("webhook:noc", vec![]);
    let retry = RetryPolicy {
        base: Duration::from_secs(5),
        max: Duration::from_secs(60),
        max_attempts: 10,
    };
    let mut d = Dispatcher::new(
        store(),
        vec![(down, Route::default()), (up, Route::default())],
        WINDOW,
        retry,
    );
    d.submit(
        &[event("a", EventKind::Fired, Severity::High, 0)],
        Timestamp(0),
    );
    d.enqueue_all(Timestamp(0)).unwrap();
    let first = d.deliver_due(Timestamp(0), 10).unwrap();
    assert_eq!((first.delivered, first.retrying), (1, 1));
    assert_eq!(up_sent.lock().unwrap().len(), 1);
    let mut now = 0;
    let mut passes = 0;
    while down_sent.lock().unwrap().is_empty() {
        now += 1000;
        passes += 1;
        d.deliver_due(Timestamp(now), 10).unwrap();
        assert!(passes < 400, "never delivered");
    }
    assert!(
        now >= 5_000,
        "retries wait for the backoff, delivered at {now} ms"
    );
    assert_eq!(
        down_sent.lock().unwrap().len(),
        1,
        "delivered exactly once after three failures"
    );
}

#[test]
fn permanent_failures_are_given_up() {
    let (bad, _) = fake(
        "webhook:bad",
        vec![Outcome::Permanent("400 bad request".into())],
    );
    let mut d = Dispatcher::new(
        store(),
        vec![(bad, Route::default())],
        WINDOW,
        RetryPolicy::default(),
    );
    d.submit(
        &[event("a", EventKind::Fired, Severity::High, 0)],
        Timestamp(0),
    );
    d.enqueue_all(Timestamp(0)).unwrap();
    assert_eq!(d.deliver_due(Timestamp(0), 10).unwrap().dead, 1);
    assert_eq!(
        d.deliver_due(Timestamp(999_999), 10).unwrap(),
        DeliveryReport::default()
    );
}

#[test]
fn resolved_notices_follow_the_route_and_enqueue_is_idempotent() {
    let quiet = Route {
        send_resolved: false,
        ..Route::default()
    };
    let (ch, sent) = fake("chat:team", vec![]);
    let mut d = Dispatcher::new(store(), vec![(ch, quiet)], WINDOW, RetryPolicy::default());
    let fired = event("a", EventKind::Fired, Severity::High, 0);
    d.submit(
        &[
            fired.clone(),
            event("a", EventKind::Resolved, Severity::High, 5),
        ],
        Timestamp(5),
    );
    d.enqueue_all(Timestamp(5)).unwrap();
    d.submit(&[fired], Timestamp(5));
    d.enqueue_all(Timestamp(5)).unwrap();
    d.deliver_due(Timestamp(5), 10).unwrap();
    assert_eq!(
        *sent.lock().unwrap(),
        ["a:fired"],
        "the same batch twice is stored once; resolved not sent"
    );
}

#[test]
fn items_in_the_outbox_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    {
        let (ch, _) = fake("email:ops", vec![]);
        let mut d = Dispatcher::new(
            SqliteStore::open(&path, SqliteOptions::default()).unwrap(),
            vec![(ch, Route::default())],
            WINDOW,
            RetryPolicy::default(),
        );
        d.submit(
            &[event("a", EventKind::Fired, Severity::High, 0)],
            Timestamp(0),
        );
        d.enqueue_all(Timestamp(0)).unwrap();
        // Killed here: written to the outbox, never sent.
    }
    let (ch, sent) = fake("email:ops", vec![]);
    let mut d = Dispatcher::new(
        SqliteStore::open(&path, SqliteOptions::default()).unwrap(),
        vec![(ch, Route::default())],
        WINDOW,
        RetryPolicy::default(),
    );
    assert_eq!(d.deliver_due(Timestamp(1), 10).unwrap().delivered, 1);
    assert_eq!(*sent.lock().unwrap(), ["a:fired"]);
    let stats = SqliteStore::open(&path, SqliteOptions::default())
        .unwrap()
        .outbox_stats()
        .unwrap();
    assert_eq!(stats.channel("email:ops").map(|c| c.delivered), Some(1));
}
