//! The alert lifecycle of one (rule, series): inactive → pending → firing → resolved.
//!
//! [`update`] is pure: the previous [`AlertTrack`], one [`Observation`] and the time in, at
//! most one [`AlertEvent`] out. It implements
//! - `for`: the condition must hold that long before firing (a pending alert that clears is
//!   dropped; if its pending event was sent, a resolved event closes it);
//! - hysteresis: only a [`Level::Clear`] reading (back past the margin) held for `clear_for`
//!   resolves; readings in the band keep the alert as it is;
//! - escalation: a rise in severity while firing is an event at once;
//! - every crossing is an alert: a condition that holds again after a resolution fires a new
//!   alert at once, whatever the cooldown, so the history, the log and the SQL tables see
//!   each one (the spike monitor bandwatch replaces promised "all alerts are still logged");
//! - cooldown: a still-firing alert renotifies once `cooldown` has passed since its last
//!   notifying event (fired, escalated, renotified). That new alerts within the cooldown do
//!   not reach people is the notifier's job (`bandwatch_notify::throttle`), not the
//!   lifecycle's; only pending announcements of a flapping `for` rule are held back here,
//!   so the history cannot storm with them either;
//! - duplicate suppression: a firing alert produces no event per sample.

use bandwatch_core::{alert_id, AlertEvent, AlertState, EventKind, SeriesKey, Severity, Timestamp};

use crate::detect::{Level, Reading};
use crate::rule::Timing;

/// What the engine saw for one (rule, series) at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// The value.
    pub value: f64,
    /// The detector's verdict.
    pub reading: Reading,
    /// The severity the rule gives this value.
    pub severity: Severity,
}

/// Whose alert this is; used only to build events.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The rule's name.
    pub rule: &'a str,
    /// The series watched.
    pub series: &'a SeriesKey,
}

/// The lifecycle state of one (rule, series).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AlertTrack {
    phase: Phase,
    /// When this (rule, series) last had a notifying event: a reminder is due a cooldown later.
    last_notified: Option<Timestamp>,
    /// When a pending event was last sent, so that a flapping `for` rule cannot storm either.
    last_pending: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Phase {
    #[default]
    Inactive,
    Pending {
        since: Timestamp,
        announced: bool,
    },
    Firing(Open),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Open {
    started: Timestamp,
    severity: Severity,
    clear_since: Option<Timestamp>,
}

impl AlertTrack {
    /// True while an alert is firing.
    pub fn is_firing(&self) -> bool {
        matches!(self.phase, Phase::Firing(_))
    }

    /// True when nothing is pending or firing.
    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Inactive
    }

    /// The state an alert was in after its newest event, so that an alert open at shutdown
    /// carries on after a restart instead of being announced again. `None` for a resolved one.
    pub fn restored(last: &AlertEvent) -> Option<Self> {
        let notified = |t: Timestamp| Self {
            phase: Phase::Firing(Open {
                started: last.started,
                severity: last.severity,
                clear_since: None,
            }),
            last_notified: Some(t),
            last_pending: None,
        };
        match last.state {
            AlertState::Firing => Some(notified(last.at)),
            AlertState::Pending => Some(Self {
                phase: Phase::Pending {
                    since: last.started,
                    announced: true,
                },
                last_notified: None,
                last_pending: Some(last.at),
            }),
            AlertState::Resolved => None,
        }
    }
}

/// Milliseconds from `since` to `now`.
fn elapsed(since: Timestamp, now: Timestamp) -> i64 {
    now.millis().saturating_sub(since.millis())
}

/// True when `cooldown_ms` passed since `last` (or there was none).
fn cooled(last: Option<Timestamp>, now: Timestamp, cooldown_ms: i64) -> bool {
    last.is_none_or(|t| elapsed(t, now) >= cooldown_ms)
}

/// A transition before it is dressed as an event.
struct Transition {
    kind: EventKind,
    severity: Severity,
    started: Timestamp,
}

/// Advances one (rule, series) by one observation at `now`.
pub fn update(
    track: &mut AlertTrack,
    timing: &Timing,
    subject: Subject<'_>,
    obs: &Observation,
    now: Timestamp,
) -> Option<AlertEvent> {
    let t = match (track.phase, obs.reading.level) {
        (Phase::Firing(open), level) => on_firing(track, open, timing, obs, level, now),
        (_, Level::Breach) => on_breach(track, timing, obs, now),
        (Phase::Pending { since, announced }, _) => {
            track.phase = Phase::Inactive;
            announced.then_some(Transition {
                kind: EventKind::Resolved,
                severity: obs.severity,
                started: since,
            })
        }
        (Phase::Inactive, _) => None,
    }?;
    Some(event(subject, obs, &t, now))
}

/// Inactive or pending, and the condition holds.
fn on_breach(
    track: &mut AlertTrack,
    timing: &Timing,
    obs: &Observation,
    now: Timestamp,
) -> Option<Transition> {
    let (since, announced) = match track.phase {
        Phase::Pending { since, announced } => (since, announced),
        _ => (now, false),
    };
    if elapsed(since, now) >= timing.for_ms {
        track.phase = Phase::Firing(Open {
            started: since,
            severity: obs.severity,
            clear_since: None,
        });
        track.last_notified = Some(now);
        return Some(Transition {
            kind: EventKind::Fired,
            severity: obs.severity,
            started: since,
        });
    }
    let announce = !announced && cooled(track.last_pending, now, timing.cooldown_ms);
    track.phase = Phase::Pending {
        since,
        announced: announced || announce,
    };
    if !announce {
        return None;
    }
    track.last_pending = Some(now);
    Some(Transition {
        kind: EventKind::Pending,
        severity: obs.severity,
        started: since,
    })
}

/// Firing: resolve, escalate, renotify or stay quiet.
fn on_firing(
    track: &mut AlertTrack,
    mut open: Open,
    timing: &Timing,
    obs: &Observation,
    level: Level,
    now: Timestamp,
) -> Option<Transition> {
    if level == Level::Clear {
        let since = *open.clear_since.get_or_insert(now);
        if elapsed(since, now) >= timing.clear_for_ms {
            track.phase = Phase::Inactive;
            return Some(Transition {
                kind: EventKind::Resolved,
                severity: open.severity,
                started: open.started,
            });
        }
        track.phase = Phase::Firing(open);
        return None;
    }
    open.clear_since = None;
    let kind = if level == Level::Breach && obs.severity > open.severity {
        open.severity = obs.severity;
        Some(EventKind::Escalated)
    } else if cooled(track.last_notified, now, timing.cooldown_ms) {
        Some(EventKind::Renotified)
    } else {
        None
    };
    track.phase = Phase::Firing(open);
    let kind = kind?;
    track.last_notified = Some(now);
    Some(Transition {
        kind,
        severity: open.severity,
        started: open.started,
    })
}

fn event(subject: Subject<'_>, obs: &Observation, t: &Transition, now: Timestamp) -> AlertEvent {
    let resolved = t.kind == EventKind::Resolved;
    let detail = obs.reading.detail;
    AlertEvent {
        id: alert_id(subject.rule, subject.series, t.started),
        rule: subject.rule.to_owned(),
        series: subject.series.clone(),
        kind: t.kind,
        state: t.kind.state(),
        severity: t.severity,
        value: obs.value,
        reference: obs.reading.reference,
        message: if resolved {
            detail.explain_resolved(subject.series, obs.value)
        } else {
            detail.explain(subject.series, obs.value)
        },
        started: t.started,
        ended: resolved.then_some(now),
        at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Detail;

    const TIMING: Timing = Timing {
        for_ms: 0,
        clear_for_ms: 0,
        cooldown_ms: 10_000,
    };

    fn obs(level: Level, severity: Severity) -> Observation {
        Observation {
            value: 1.0,
            reading: Reading {
                level,
                reference: 0.5,
                detail: Detail::Above { limit: 0.5 },
            },
            severity,
        }
    }

    fn run(timing: &Timing, steps: &[(i64, Level, Severity)]) -> Vec<(i64, EventKind)> {
        let key = SeriesKey::with_label("m", "iface", "eth0");
        let subject = Subject {
            rule: "r",
            series: &key,
        };
        let mut track = AlertTrack::default();
        steps
            .iter()
            .filter_map(|&(s, level, sev)| {
                update(
                    &mut track,
                    timing,
                    subject,
                    &obs(level, sev),
                    Timestamp::from_secs(s),
                )
            })
            .map(|e| (e.at.millis() / 1000, e.kind))
            .collect()
    }

    #[test]
    fn restored_alert_goes_on_firing() {
        let key = SeriesKey::with_label("m", "iface", "eth0");
        let subject = Subject {
            rule: "r",
            series: &key,
        };
        let mut track = AlertTrack::default();
        let now = Timestamp::from_secs(0);
        let fired = update(
            &mut track,
            &TIMING,
            subject,
            &obs(Level::Breach, Severity::Low),
            now,
        )
        .expect("fires");
        let mut again = AlertTrack::restored(&fired).expect("open");
        assert_eq!(again, track);
        let later = Timestamp::from_secs(1);
        let ev = update(
            &mut again,
            &TIMING,
            subject,
            &obs(Level::Clear, Severity::Low),
            later,
        )
        .expect("resolves");
        assert_eq!((ev.kind, ev.id), (EventKind::Resolved, fired.id));
    }

    #[test]
    fn fires_once_then_renotifies_after_cooldown() {
        use Level::Breach;
        let m = Severity::Medium;
        let got = run(
            &TIMING,
            &[
                (0, Breach, m),
                (5, Breach, m),
                (10, Breach, m),
                (11, Breach, m),
            ],
        );
        assert_eq!(
            got,
            vec![(0, EventKind::Fired), (10, EventKind::Renotified)]
        );
    }

    #[test]
    fn for_duration_goes_through_pending() {
        use Level::{Breach, Clear};
        let timing = Timing {
            for_ms: 2000,
            ..TIMING
        };
        let m = Severity::Medium;
        let got = run(
            &timing,
            &[
                (0, Breach, m),
                (1, Breach, m),
                (2, Breach, m),
                (3, Clear, m),
            ],
        );
        assert_eq!(
            got,
            vec![
                (0, EventKind::Pending),
                (2, EventKind::Fired),
                (3, EventKind::Resolved)
            ]
        );
    }

    #[test]
    fn escalates_but_never_deescalates() {
        use Level::Breach;
        let got = run(
            &TIMING,
            &[
                (0, Breach, Severity::Low),
                (1, Breach, Severity::High),
                (2, Breach, Severity::Low),
            ],
        );
        assert_eq!(got, vec![(0, EventKind::Fired), (1, EventKind::Escalated)]);
    }

    #[test]
    fn every_crossing_fires_even_within_the_cooldown() {
        use Level::{Breach, Clear};
        let m = Severity::Medium;
        let got = run(
            &TIMING,
            &[
                (0, Breach, m),
                (1, Clear, m),
                (2, Breach, m),
                (3, Clear, m),
                (4, Breach, m),
                (10, Breach, m),
                (14, Breach, m),
            ],
        );
        // A reminder comes a cooldown after the newest alert's notification, not the first's.
        assert_eq!(
            got,
            vec![
                (0, EventKind::Fired),
                (1, EventKind::Resolved),
                (2, EventKind::Fired),
                (3, EventKind::Resolved),
                (4, EventKind::Fired),
                (14, EventKind::Renotified)
            ]
        );
    }

    #[test]
    fn pending_announcements_of_a_flapping_for_rule_wait_for_the_cooldown() {
        use Level::{Breach, Clear};
        let timing = Timing {
            for_ms: 5000,
            ..TIMING
        };
        let m = Severity::Medium;
        let got = run(
            &timing,
            &[
                (0, Breach, m),
                (1, Clear, m),
                (2, Breach, m),
                (3, Clear, m),
                (10, Breach, m),
                (15, Breach, m),
            ],
        );
        assert_eq!(
            got,
            vec![
                (0, EventKind::Pending),
                (1, EventKind::Resolved),
                (10, EventKind::Pending),
                (15, EventKind::Fired)
            ]
        );
    }

    #[test]
    fn clear_for_delays_resolution_and_band_resets_it() {
        use Level::{Band, Clear};
        let timing = Timing {
            clear_for_ms: 2000,
            ..TIMING
        };
        let m = Severity::Medium;
        let got = run(
            &timing,
            &[
                (0, Level::Breach, m),
                (1, Clear, m),
                (2, Band, m),
                (3, Clear, m),
                (4, Clear, m),
                (5, Clear, m),
            ],
        );
        assert_eq!(got, vec![(0, EventKind::Fired), (5, EventKind::Resolved)]);
    }
}
