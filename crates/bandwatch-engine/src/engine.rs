//! The engine: matches samples to rules and keeps one detector and one lifecycle per
//! (rule, series). Time is the frame's timestamp; the engine never reads a clock.

// Every sample of every tick is looked up here; FxHash is several times cheaper than
// SipHash and these keys do not come from an attacker.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use bandwatch_core::{AlertEvent, Frame, SeriesKey, Timestamp};

use crate::detect::Detector;
use crate::error::{EngineError, Result};
use crate::lifecycle::{self, AlertTrack, Observation, Subject};
use crate::rule::{Rule, RuleSpec};

/// Evaluates rules over frames and reports alert events.
#[derive(Debug)]
pub struct Engine {
    rules: RuleSet,
    series: HashMap<Arc<SeriesKey>, SeriesSlot>,
}

/// The rules, indexed by metric so that a series is matched against few of them.
#[derive(Debug)]
struct RuleSet {
    rules: Vec<Rule>,
    by_metric: HashMap<String, Vec<usize>>,
}

/// Everything kept for one series: when it was last seen and one track per matching rule.
#[derive(Debug)]
struct SeriesSlot {
    last_ts: Option<Timestamp>,
    tracks: Vec<Track>,
}

/// One (rule, series).
#[derive(Debug)]
struct Track {
    rule: usize,
    detector: Detector,
    alert: AlertTrack,
}

impl RuleSet {
    fn new(rules: Vec<Rule>) -> Result<Self> {
        let mut by_metric: HashMap<String, Vec<usize>> = HashMap::default();
        let mut names = HashMap::default();
        for (i, r) in rules.iter().enumerate() {
            if names.insert(r.name.as_str(), i).is_some() {
                return Err(EngineError::InvalidField {
                    rule: r.name.clone(),
                    field: "name".into(),
                    reason: "another rule has the same name; names must be unique".into(),
                });
            }
            by_metric.entry(r.metric.clone()).or_default().push(i);
        }
        Ok(Self { rules, by_metric })
    }

    /// Fresh tracks for every rule that watches `series`.
    fn tracks_for(&self, series: &SeriesKey) -> Vec<Track> {
        self.by_metric
            .get(&series.metric)
            .into_iter()
            .flatten()
            .filter(|&&i| self.rules[i].matches(series))
            .map(|&i| Track {
                rule: i,
                detector: Detector::new(&self.rules[i].condition_for(series)),
                alert: AlertTrack::default(),
            })
            .collect()
    }
}

impl Engine {
    /// An engine over validated rules; refuses two rules with the same name.
    pub fn new(rules: Vec<Rule>) -> Result<Self> {
        Ok(Self {
            rules: RuleSet::new(rules)?,
            series: HashMap::default(),
        })
    }

    /// Validates raw rules and builds the engine; the first bad rule is the error. Rules
    /// written with `enabled = false` are left out.
    pub fn from_specs(specs: &[RuleSpec]) -> Result<Self> {
        let rules = specs
            .iter()
            .filter(|s| s.is_enabled())
            .map(RuleSpec::validate)
            .collect::<Result<Vec<_>>>()?;
        Self::new(rules)
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules.rules
    }

    /// Evaluates every sample of a frame at the frame's time and returns the events, in
    /// sample order. A series seen again at the same or an earlier time is skipped (a
    /// duplicate or a late frame), as are values that are not finite.
    pub fn observe(&mut self, frame: &Frame) -> Vec<AlertEvent> {
        let now = frame.ts;
        let mut events = Vec::new();
        for sample in &frame.samples {
            if !sample.value.is_finite() {
                continue;
            }
            let rules = &self.rules;
            let slot = self
                .series
                .entry(Arc::clone(&sample.series))
                .or_insert_with(|| SeriesSlot {
                    last_ts: None,
                    tracks: rules.tracks_for(&sample.series),
                });
            if slot.last_ts.is_some_and(|t| t >= now) {
                continue;
            }
            slot.last_ts = Some(now);
            for track in &mut slot.tracks {
                let rule = &rules.rules[track.rule];
                if let Some(e) = evaluate(track, rule, &sample.series, sample.value, now) {
                    events.push(e);
                }
            }
        }
        events
    }

    /// Takes over the alerts that were open at the last shutdown (the newest event of each), so
    /// they go on firing, resolve or escalate instead of being announced again. Events of rules
    /// that no longer exist or no longer match their series are ignored. Returns how many
    /// were taken over. Call it before the first [`Engine::observe`].
    pub fn restore(&mut self, open: &[AlertEvent]) -> usize {
        let mut restored = 0;
        for event in open {
            let Some(alert) = AlertTrack::restored(event) else {
                continue;
            };
            let key = Arc::new(event.series.clone());
            let rules = &self.rules;
            let slot = self
                .series
                .entry(Arc::clone(&key))
                .or_insert_with(|| SeriesSlot {
                    last_ts: None,
                    tracks: rules.tracks_for(&key),
                });
            let track = slot
                .tracks
                .iter_mut()
                .find(|t| rules.rules[t.rule].name == event.rule);
            if let Some(track) = track {
                track.alert = alert;
                restored += 1;
            }
        }
        restored
    }

    /// Number of (rule, series) pairs with an alert firing now.
    pub fn firing_count(&self) -> usize {
        self.series
            .values()
            .flat_map(|s| &s.tracks)
            .filter(|t| t.alert.is_firing())
            .count()
    }

    /// How many series the engine keeps state for.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Forgets series not seen since `before` that have nothing pending or firing, so that
    /// vanished interfaces do not hold memory forever. Their windows start empty if they
    /// return.
    pub fn forget_idle(&mut self, before: Timestamp) {
        self.series.retain(|_, slot| {
            slot.last_ts.is_some_and(|t| t >= before)
                || slot.tracks.iter().any(|t| !t.alert.is_idle())
        });
    }
}

/// One value through one rule's detector and lifecycle.
fn evaluate(
    track: &mut Track,
    rule: &Rule,
    series: &SeriesKey,
    value: f64,
    now: Timestamp,
) -> Option<AlertEvent> {
    let reading = track.detector.observe(now, value, rule.hysteresis)?;
    // A window sum or a run of activity is judged by what it derived, not the sample.
    let value = reading.detail.measured().unwrap_or(value);
    let obs = Observation {
        value,
        reading,
        severity: rule.severity.for_value(value),
    };
    let subject = Subject {
        rule: &rule.name,
        series,
    };
    lifecycle::update(&mut track.alert, &rule.timing, subject, &obs, now)
}

#[cfg(test)]
mod tests {
    use bandwatch_core::{EventKind, SampleKind, Seconds};

    use super::*;

    fn engine() -> Engine {
        let spec = RuleSpec {
            name: "link".into(),
            metric: "net_up".into(),
            condition: "state_change".into(),
            ..RuleSpec::default()
        };
        Engine::from_specs(&[spec]).expect("valid")
    }

    fn frame(secs: i64, values: &[(&Arc<SeriesKey>, f64)]) -> Frame {
        let mut f = Frame::new("t", Timestamp::from_secs(secs), Seconds(1.0));
        for (k, v) in values {
            f.push(Arc::clone(k), *v, SampleKind::Gauge);
        }
        f
    }

    #[test]
    fn disabled_rules_do_not_run() {
        let off = RuleSpec {
            name: "off".into(),
            enabled: Some(false),
            ..RuleSpec::default()
        };
        let on = RuleSpec {
            name: "on".into(),
            metric: "net_up".into(),
            condition: "state_change".into(),
            enabled: Some(true),
            ..RuleSpec::default()
        };
        let e = Engine::from_specs(&[off, on]).expect("a disabled rule needs no fields");
        let names: Vec<&str> = e.rules().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["on"]);
    }

    #[test]
    fn duplicates_late_frames_and_nan_are_skipped() {
        let mut e = engine();
        let k = Arc::new(SeriesKey::with_label("net_up", "iface", "eth0"));
        assert!(e.observe(&frame(1, &[(&k, 1.0)])).is_empty());
        // The same series twice in one frame: only the first value counts.
        let ev = e.observe(&frame(2, &[(&k, 0.0), (&k, 1.0)]));
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, EventKind::Fired);
        assert!(e.observe(&frame(1, &[(&k, 1.0)])).is_empty());
        assert!(e.observe(&frame(3, &[(&k, f64::NAN)])).is_empty());
        assert_eq!(e.firing_count(), 1);
        let ev = e.observe(&frame(4, &[(&k, 1.0)]));
        assert_eq!(ev[0].kind, EventKind::Resolved);
        assert_eq!(ev[0].started, Timestamp::from_secs(2));
        assert_eq!(ev[0].ended, Some(Timestamp::from_secs(4)));
    }

    #[test]
    fn restored_alerts_resolve_without_firing_again() {
        let mut e = engine();
        let k = Arc::new(SeriesKey::with_label("net_up", "iface", "eth0"));
        e.observe(&frame(1, &[(&k, 1.0)]));
        let fired = e.observe(&frame(2, &[(&k, 0.0)]));
        let mut stale = fired[0].clone();
        stale.rule = "gone".into();

        let mut next = engine();
        assert_eq!(next.restore(&[fired[0].clone(), stale]), 1);
        assert_eq!(next.firing_count(), 1);
        // Still down: the detector has not seen the link up since the restart; no new event.
        assert!(next.observe(&frame(10, &[(&k, 0.0)])).is_empty());
        let ev = next.observe(&frame(11, &[(&k, 1.0)]));
        assert_eq!((ev[0].kind, &ev[0].id), (EventKind::Resolved, &fired[0].id));
    }

    #[test]
    fn a_target_down_from_the_start_alerts_and_a_restored_run_stays_open() {
        let spec = RuleSpec {
            name: "unreachable".into(),
            metric: "probe_up".into(),
            condition: "consecutive".into(),
            count: Some(2),
            ..RuleSpec::default()
        };
        let k = Arc::new(SeriesKey::with_label("probe_up", "target", "router"));
        let mut e = Engine::from_specs(std::slice::from_ref(&spec)).expect("valid");
        assert!(e.observe(&frame(1, &[(&k, 0.0)])).is_empty());
        let fired = e.observe(&frame(2, &[(&k, 0.0)]));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].kind, EventKind::Fired);
        assert_eq!(
            fired[0].message,
            "probe_up on target=router is 0 for 2 consecutive samples"
        );

        // After a restart the run starts over, but a still-failing target keeps its alert open.
        let mut next = Engine::from_specs(&[spec]).expect("valid");
        assert_eq!(next.restore(&fired), 1);
        assert!(next.observe(&frame(10, &[(&k, 0.0)])).is_empty());
        let ev = next.observe(&frame(11, &[(&k, 1.0)]));
        assert_eq!((ev[0].kind, &ev[0].id), (EventKind::Resolved, &fired[0].id));
        assert_eq!(ev[0].message, "probe_up on target=router is back to 1");
    }

    #[test]
    fn forgets_idle_series_but_not_open_alerts() {
        let mut e = engine();
        let a = Arc::new(SeriesKey::with_label("net_up", "iface", "eth0"));
        let b = Arc::new(SeriesKey::with_label("net_up", "iface", "eth1"));
        e.observe(&frame(1, &[(&a, 1.0), (&b, 1.0)]));
        e.observe(&frame(2, &[(&a, 0.0), (&b, 1.0)]));
        e.forget_idle(Timestamp::from_secs(100));
        assert_eq!(e.series.len(), 1);
        assert_eq!(e.firing_count(), 1);
    }
}
