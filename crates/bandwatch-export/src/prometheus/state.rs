//! What the exporter remembers between scrapes: the latest value (or running total) of every
//! exported series, per-source self-metrics and the alerts firing now.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bandwatch_core::{AlertEvent, EventKind, Frame, Labels, Severity};

use super::mapping::{self, Kind};

/// One exported series of a frame-fed family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    /// Latest value (gauge) or running total (counter), in exported units.
    pub value: f64,
    /// Monotonic time of the last update, for staleness.
    pub updated: Duration,
}

/// A frame-fed family: the exported series of one or more internal metrics.
#[derive(Debug)]
pub(crate) struct Family {
    pub help: Cow<'static, str>,
    pub kind: Kind,
    pub series: BTreeMap<Labels, Entry>,
}

/// Self-metrics of one source.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SourceStats {
    pub frames: u64,
    pub errors: u64,
    /// Unix seconds of the last frame, once there was one.
    pub last_frame: Option<f64>,
    /// Duration of the last collection, once one was recorded.
    pub duration: Option<f64>,
}

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

/// Everything behind the exporter's lock.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub families: BTreeMap<Cow<'static, str>, Family>,
    pub sources: BTreeMap<String, SourceStats>,
    pub alerts: Alerts,
}

impl State {
    /// Folds one frame in at monotonic time `now`.
    pub fn observe(&mut self, frame: &Frame, now: Duration) {
        for s in &frame.samples {
            if mapping::skipped(&s.series) {
                continue;
            }
            let target = mapping::target(&s.series.metric);
            let value = s.value * target.scale;
            if target.kind == Kind::Counter && (value.is_nan() || value < 0.0) {
                // A NaN or negative delta would move the counter backwards (or poison it).
                continue;
            }
            let family = self.families.entry(target.name).or_insert_with(|| Family {
                help: target.help,
                kind: target.kind,
                series: BTreeMap::new(),
            });
            let entry = family
                .series
                .entry(mapping::labels(&s.series))
                .or_insert(Entry {
                    value: 0.0,
                    updated: now,
                });
            entry.value = match family.kind {
                Kind::Counter => entry.value + value,
                Kind::Gauge => value,
            };
            entry.updated = now;
        }
        let stats = self.sources.entry(frame.source.clone()).or_default();
        stats.frames += 1;
        stats.last_frame = Some(frame.ts.millis() as f64 / 1000.0);
    }

    /// Records one collection of `source`.
    pub fn record_collection(&mut self, source: &str, duration: Duration, ok: bool) {
        let stats = self.sources.entry(source.to_string()).or_default();
        stats.duration = Some(duration.as_secs_f64());
        if !ok {
            stats.errors += 1;
        }
    }

    /// Drops series not updated since `cutoff`, and families left empty.
    pub fn prune(&mut self, cutoff: Duration) {
        for family in self.families.values_mut() {
            family.series.retain(|_, e| fresh(e.updated, cutoff));
        }
        self.families.retain(|_, f| !f.series.is_empty());
    }
}

/// True when an entry updated at `updated` is still exported at cutoff `cutoff`.
pub(crate) fn fresh(updated: Duration, cutoff: Duration) -> bool {
    updated >= cutoff
}
