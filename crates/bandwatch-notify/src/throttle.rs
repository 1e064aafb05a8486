//! The cooldown of notifications. The engine records every crossing as an alert (history, log,
//! SQL tables); what the cooldown limits is how often people hear of the same rule on the same
//! series: a new alert within `cooldown` of the last notification for that (rule, series) is
//! held back, and so is its resolution, so nobody is told an alert ended that they never heard
//! of. A rise in severity and the engine's reminder of a still-firing alert always go out.
//!
//! Pure: the time is the event's own (`at`), so `replay` can say what a run would have sent.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use bandwatch_core::{AlertEvent, EventKind, SeriesKey, Timestamp};

/// Entries kept before the first sweep of expired ones.
const SWEEP_FROM: usize = 1024;

/// Each rule's cooldown, and the one for rules not named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cooldowns {
    default_ms: i64,
    per_rule: BTreeMap<String, i64>,
}

impl Cooldowns {
    /// The same cooldown for every rule; zero holds nothing back.
    pub fn uniform(cooldown: Duration) -> Self {
        Self {
            default_ms: millis(cooldown),
            per_rule: BTreeMap::new(),
        }
    }

    /// The same, with `rule`'s own cooldown.
    #[must_use]
    pub fn rule(mut self, rule: &str, cooldown: Duration) -> Self {
        self.per_rule.insert(rule.to_string(), millis(cooldown));
        self
    }

    fn of(&self, rule: &str) -> i64 {
        self.per_rule.get(rule).copied().unwrap_or(self.default_ms)
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Decides, event by event, which ones people are told about.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    cooldowns: Cooldowns,
    /// When each (rule, series) last notified.
    last: HashMap<(String, SeriesKey), Timestamp>,
    /// Alerts whose firing was held back; their resolution is held back too.
    held: HashSet<String>,
    /// `last` is swept of expired entries when it grows past this.
    sweep_at: usize,
}

impl Throttle {
    /// A throttle with these cooldowns.
    pub fn new(cooldowns: Cooldowns) -> Self {
        Self {
            cooldowns,
            last: HashMap::new(),
            held: HashSet::new(),
            sweep_at: SWEEP_FROM,
        }
    }

    /// Whether `event` goes out; remembers what it needs for the events after it.
    pub fn admit(&mut self, event: &AlertEvent) -> bool {
        match event.kind {
            // Never announced anyway (see `Route::accepts`); nothing to remember.
            EventKind::Pending => true,
            EventKind::Resolved => !self.held.remove(&event.id),
            EventKind::Fired => {
                let cooldown = self.cooldowns.of(&event.rule);
                let key = (event.rule.clone(), event.series.clone());
                let recent = self
                    .last
                    .get(&key)
                    .is_some_and(|t| event.at.millis().saturating_sub(t.millis()) < cooldown);
                if recent {
                    self.held.insert(event.id.clone());
                    return false;
                }
                self.last.insert(key, event.at);
                self.sweep(event.at);
                true
            }
            EventKind::Escalated | EventKind::Renotified => {
                self.held.remove(&event.id);
                self.last
                    .insert((event.rule.clone(), event.series.clone()), event.at);
                true
            }
        }
    }

    /// Forgets notifications whose cooldown is over once there are many, so a machine whose
    /// interfaces come and go does not grow this map for ever.
    fn sweep(&mut self, now: Timestamp) {
        if self.last.len() < self.sweep_at {
            return;
        }
        let cooldowns = &self.cooldowns;
        self.last
            .retain(|(rule, _), t| now.millis().saturating_sub(t.millis()) < cooldowns.of(rule));
        self.sweep_at = (self.last.len() * 2).max(SWEEP_FROM);
    }
}

#[cfg(test)]
mod tests {
    use bandwatch_core::{alert_id, Severity};

    use super::*;

    fn event(rule: &str, iface: &str, kind: EventKind, started: i64, at: i64) -> AlertEvent {
        let series = SeriesKey::with_label("net_tx_bits_per_second", "iface", iface);
        let started = Timestamp::from_secs(started);
        AlertEvent {
            id: alert_id(rule, &series, started),
            rule: rule.into(),
            series,
            kind,
            state: kind.state(),
            severity: Severity::Medium,
            value: 1.0,
            reference: 0.0,
            message: String::new(),
            started,
            ended: (kind == EventKind::Resolved).then(|| Timestamp::from_secs(at)),
            at: Timestamp::from_secs(at),
        }
    }

    fn admitted(throttle: &mut Throttle, events: &[AlertEvent]) -> Vec<(i64, EventKind)> {
        events
            .iter()
            .filter(|e| throttle.admit(e))
            .map(|e| (e.at.millis() / 1000, e.kind))
            .collect()
    }

    #[test]
    fn a_second_alert_within_the_cooldown_and_its_end_are_held_back() {
        use EventKind::{Fired, Renotified, Resolved};
        let mut t = Throttle::new(Cooldowns::uniform(Duration::from_secs(600)));
        let events = [
            event("up", "eth0", Fired, 0, 0),
            event("up", "eth0", Resolved, 0, 5),
            event("up", "eth0", Fired, 15, 15),
            event("up", "eth0", Resolved, 15, 20),
            event("up", "eth0", Fired, 30, 30),
            event("up", "eth0", Renotified, 30, 630),
            event("up", "eth0", Resolved, 30, 700),
            event("up", "eth0", Fired, 800, 800),
            event("up", "eth0", Resolved, 800, 900),
            event("up", "eth0", Fired, 1230, 1230),
        ];
        assert_eq!(
            admitted(&mut t, &events),
            vec![
                (0, Fired),
                (5, Resolved),
                (630, Renotified),
                (700, Resolved),
                (1230, Fired)
            ]
        );
    }

    #[test]
    fn rules_and_series_have_cooldowns_of_their_own() {
        use EventKind::Fired;
        let cooldowns =
            Cooldowns::uniform(Duration::from_secs(600)).rule("fast", Duration::from_secs(10));
        let mut t = Throttle::new(cooldowns);
        let events = [
            event("slow", "eth0", Fired, 0, 0),
            event("slow", "eth1", Fired, 1, 1),
            event("fast", "eth0", Fired, 2, 2),
            event("slow", "eth0", Fired, 3, 3),
            event("fast", "eth0", Fired, 12, 12),
        ];
        assert_eq!(
            admitted(&mut t, &events),
            vec![(0, Fired), (1, Fired), (2, Fired), (12, Fired)]
        );
    }

    #[test]
    fn an_escalation_of_a_held_alert_goes_out_and_so_does_its_end() {
        use EventKind::{Escalated, Fired, Resolved};
        let mut t = Throttle::new(Cooldowns::uniform(Duration::from_secs(600)));
        let events = [
            event("up", "eth0", Fired, 0, 0),
            event("up", "eth0", Resolved, 0, 1),
            event("up", "eth0", Fired, 2, 2),
            event("up", "eth0", Escalated, 2, 3),
            event("up", "eth0", Resolved, 2, 4),
        ];
        assert_eq!(
            admitted(&mut t, &events),
            vec![(0, Fired), (1, Resolved), (3, Escalated), (4, Resolved)]
        );
    }

    #[test]
    fn the_end_of_an_alert_from_before_a_restart_goes_out() {
        let mut t = Throttle::new(Cooldowns::uniform(Duration::from_secs(600)));
        assert!(t.admit(&event("up", "eth0", EventKind::Resolved, 0, 50)));
    }

    #[test]
    fn zero_cooldown_holds_nothing_back_and_expired_entries_are_swept() {
        let mut t = Throttle::new(Cooldowns::default());
        for i in 0..3000 {
            let e = event("up", &format!("eth{i}"), EventKind::Fired, i, i);
            assert!(t.admit(&e));
            assert!(t.admit(&e), "zero cooldown");
        }
        assert!(t.last.len() < SWEEP_FROM, "{}", t.last.len());
    }
}
