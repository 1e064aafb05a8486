//! What the exporter itself remembers between scrapes: only the alerts firing now and the
//! event counts. Series values come from the shared snapshot, self-metrics from the source
//! and sink boards, all read at scrape time.

use std::collections::{BTreeMap, HashMap};

use bandwatch_core::{AlertEvent, EventKind, Severity};

/// Event kinds counted in `bandwatch_alert_events_total`, in output order.
pub(crate) const COUNTED_EVENTS: [EventKind; 4] = [
    EventKind::Fired,
    EventKind::Resolved,
    EventKind::Escalated,
    EventKind::Renotified,
];

/// Alerts firing now and events seen since start.
#[derive(Debug, Default)]
pub(crate) struct Alerts {
    /// Open alerts by id: (rule, severity).
    open: HashMap<String, (String, Severity)>,
    /// Open alerts per (rule, severity); a pair stays (at 0) once seen.
    pub firing: BTreeMap<(String, Severity), u64>,
    /// Counts in the order of [`COUNTED_EVENTS`].
    pub events: [u64; 4],
}

impl Alerts {
    fn open(&mut self, id: &str, rule: &str, severity: Severity) {
        if let Some(old) = self
            .open
            .insert(id.to_string(), (rule.to_string(), severity))
        {
            self.close_count(&old);
        }
        *self.firing.entry((rule.to_string(), severity)).or_default() += 1;
    }

    fn close(&mut self, id: &str) {
        if let Some(old) = self.open.remove(id) {
            self.close_count(&old);
        }
    }

    fn close_count(&mut self, key: &(String, Severity)) {
        if let Some(n) = self.firing.get_mut(key) {
            *n = n.saturating_sub(1);
        }
    }

    /// Applies one event: Fired opens, Resolved closes, Escalated and Renotified (re)open at
    /// the event's severity, so an exporter started mid-alert still counts it.
    pub fn apply(&mut self, e: &AlertEvent) {
        match e.kind {
            EventKind::Pending => {}
            EventKind::Fired | EventKind::Escalated | EventKind::Renotified => {
                self.open(&e.id, &e.rule, e.severity);
            }
            EventKind::Resolved => self.close(&e.id),
        }
        if let Some(i) = COUNTED_EVENTS.iter().position(|k| *k == e.kind) {
            self.events[i] += 1;
        }
    }
}
