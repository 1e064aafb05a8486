//! Detectors: each turns the next value of one series into a [`Reading`] (breach, inside the
//! hysteresis band, or clear) with the reference it compared against. Pure and small; the
//! per-series state is a fixed window at most (a window sum: 61 slots whatever the tick).
//!
//! Each condition lives in one module that owns all of it: the `[[rules]]` keys it reads,
//! their defaults and checks (its spec, a [`ConditionSpec`]) and its detector. `condition`
//! dispatches on the rule's `condition = "…"`; `detail` words the messages.

mod activity;
mod anomaly;
mod condition;
mod consecutive;
mod detail;
mod flapping;
mod ring;
mod spike;
mod state_change;
mod threshold;
mod window_sum;

use bandwatch_core::Timestamp;

use crate::error::{EngineError, Result};
use crate::rule::RuleSpec;

pub use activity::{Activity, ActivitySpec, DEFAULT_IDLE_GAP};
pub use anomaly::{Anomaly, AnomalySpec, DEFAULT_ANOMALY_LIMIT};
pub use condition::{Condition, ConditionSpec};
pub use consecutive::{Consecutive, ConsecutiveSpec, DEFAULT_CONSECUTIVE_COUNT};
pub use detail::Detail;
pub use flapping::{Flapping, FlappingSpec, DEFAULT_FLAP_CHANGES, DEFAULT_FLAP_WITHIN};
pub use spike::{Spike, SpikeSpec, DEFAULT_SPIKE_FACTOR};
pub use state_change::{StateChange, StateChangeSpec};
pub use threshold::{Direction, Threshold, ThresholdSpec};
pub use window_sum::{WindowSum, WindowSumSpec, DEFAULT_SUM_WITHIN, SUM_SLOTS};

/// Default number of samples in a spike baseline or an anomaly window.
pub const DEFAULT_WINDOW: usize = 60;

/// Where a value stands against a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The condition holds.
    Breach,
    /// The condition does not hold, but the value is not back past the hysteresis margin.
    Band,
    /// The value is back to normal.
    Clear,
}

/// What a detector says about one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Breach, band or clear.
    pub level: Level,
    /// The limit or baseline the value was compared with.
    pub reference: f64,
    /// The numbers behind the verdict, for the message.
    pub detail: Detail,
}

/// One detector with its per-series state.
#[derive(Debug, Clone)]
pub enum Detector {
    /// See [`Threshold`].
    Threshold(Threshold),
    /// See [`Spike`].
    Spike(Spike),
    /// See [`Anomaly`].
    Anomaly(Anomaly),
    /// See [`StateChange`].
    StateChange(StateChange),
    /// See [`Consecutive`].
    Consecutive(Consecutive),
    /// See [`Flapping`].
    Flapping(Flapping),
    /// See [`WindowSum`].
    WindowSum(WindowSum),
    /// See [`Activity`].
    Activity(Activity),
}

impl Detector {
    /// A fresh detector for a condition.
    pub fn new(condition: &Condition) -> Self {
        match *condition {
            Condition::Threshold(s) => Self::Threshold(Threshold::new(s.direction, s.limit)),
            Condition::Spike(s) => Self::Spike(Spike::new(s.factor, s.window, s.floor)),
            Condition::Anomaly(s) => Self::Anomaly(Anomaly::new(s.window, s.limit)),
            Condition::StateChange(s) => Self::StateChange(StateChange::new(s.from, s.to)),
            Condition::Consecutive(s) => Self::Consecutive(Consecutive::new(s.to, s.count)),
            Condition::Flapping(s) => Self::Flapping(Flapping::new(s.changes, s.within_ms)),
            Condition::WindowSum(s) => Self::WindowSum(WindowSum::new(s.limit, s.within_ms)),
            Condition::Activity(s) => Self::Activity(Activity::new(s)),
        }
    }

    /// Reads the next (finite) value, sampled at `at` (the times of one series rise);
    /// `None` while the detector is still filling its window.
    pub fn observe(&mut self, at: Timestamp, value: f64, hysteresis: f64) -> Option<Reading> {
        match self {
            Self::Threshold(d) => Some(d.observe(value, hysteresis)),
            Self::Spike(d) => d.observe(value, hysteresis),
            Self::Anomaly(d) => d.observe(value, hysteresis),
            Self::StateChange(d) => d.observe(value),
            Self::Consecutive(d) => Some(d.observe(value)),
            Self::Flapping(d) => d.observe(at, value),
            Self::WindowSum(d) => Some(d.observe(at, value, hysteresis)),
            Self::Activity(d) => Some(d.observe(at, value)),
        }
    }
}

/// Gauges carry small integers; compare them with a tolerance, not bit for bit.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Classifies `value` against `limit` on the bad side given by `above`: past the limit is a
/// breach; within `hysteresis × |limit|` of it on the good side is the band.
fn classify(value: f64, limit: f64, above: bool, hysteresis: f64) -> Level {
    let margin = limit.abs() * hysteresis;
    let (breach, band) = if above {
        (value > limit, value > limit - margin)
    } else {
        (value < limit, value < limit + margin)
    };
    if breach {
        Level::Breach
    } else if band {
        Level::Band
    } else {
        Level::Clear
    }
}

/// The less alarming of two levels.
fn weaker(a: Level, b: Level) -> Level {
    match (a, b) {
        (Level::Clear, _) | (_, Level::Clear) => Level::Clear,
        (Level::Band, _) | (_, Level::Band) => Level::Band,
        _ => Level::Breach,
    }
}

/// The `window` key shared by spike and anomaly: samples in the window, at least `least`.
fn read_window(spec: &RuleSpec, rule: &str, least: usize) -> Result<usize> {
    let window = spec.window.unwrap_or(DEFAULT_WINDOW);
    if window < least {
        return Err(EngineError::invalid(
            rule,
            "window",
            format!("must be at least {least}, got {window}"),
        ));
    }
    Ok(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detectors_get_the_sample_time() {
        let cond = Condition::Flapping(FlappingSpec {
            changes: 2,
            within_ms: 10_000,
        });
        let mut d = Detector::new(&cond);
        let at = |s| Timestamp::from_secs(s);
        assert_eq!(d.observe(at(0), 1.0, 0.0), None);
        assert_eq!(d.observe(at(1), 0.0, 0.0), None);
        let r = d.observe(at(2), 1.0, 0.0).expect("two changes in 10 s");
        assert_eq!(r.level, Level::Breach);
        // Far later, the same two changes are old news.
        let r = d.observe(at(60), 1.0, 0.0).expect("warmed up");
        assert_eq!(r.level, Level::Clear);
    }

    #[test]
    fn hysteresis_band_sits_on_the_good_side() {
        assert_eq!(classify(101.0, 100.0, true, 0.1), Level::Breach);
        assert_eq!(classify(95.0, 100.0, true, 0.1), Level::Band);
        assert_eq!(classify(89.0, 100.0, true, 0.1), Level::Clear);
        assert_eq!(classify(100.0, 100.0, true, 0.0), Level::Clear);
        assert_eq!(classify(5.0, 10.0, false, 0.1), Level::Breach);
        assert_eq!(classify(10.5, 10.0, false, 0.1), Level::Band);
    }
}
