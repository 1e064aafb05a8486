//! Checks every event stream must pass, shared by the scenario and property tests.

use std::collections::HashMap;

use bandwatch_core::{AlertEvent, EventKind};

/// Asserts that events come in time order.
pub fn check_time_order(events: &[AlertEvent]) {
    for pair in events.windows(2) {
        assert!(
            pair[0].at <= pair[1].at,
            "events out of time order: {pair:#?}"
        );
    }
}

/// Asserts the lifecycle invariants over a stream of events: per (rule, series) time order,
/// at most one open alert, and one id per alert from its first event to its resolution.
pub fn check_invariants(events: &[AlertEvent]) {
    let mut last_at = HashMap::new();
    // (rule, series) → (id, fired) of the alert open there.
    let mut open: HashMap<(String, String), (String, bool)> = HashMap::new();
    for e in events {
        assert!(e.started <= e.at, "started after the event: {e:#?}");
        assert!(!e.message.is_empty());
        let key = (e.rule.clone(), e.series.to_string());
        if let Some(prev) = last_at.insert(key.clone(), e.at) {
            assert!(
                prev <= e.at,
                "events of one alert out of time order: {e:#?}"
            );
        }
        match e.kind {
            EventKind::Pending => {
                assert!(!open.contains_key(&key), "second open alert: {e:#?}");
                open.insert(key, (e.id.clone(), false));
            }
            EventKind::Fired => {
                if let Some((id, fired)) = open.get(&key) {
                    assert!(!fired && *id == e.id, "second open alert: {e:#?}");
                }
                open.insert(key, (e.id.clone(), true));
            }
            EventKind::Escalated | EventKind::Renotified => {
                let (id, fired) = open.get(&key).expect("escalation of no open alert");
                assert!(*fired && *id == e.id, "event of another alert: {e:#?}");
            }
            EventKind::Resolved => {
                let (id, _) = open.remove(&key).expect("resolution of no open alert");
                assert_eq!(id, e.id);
                assert_eq!(e.ended, Some(e.at));
            }
        }
    }
}
