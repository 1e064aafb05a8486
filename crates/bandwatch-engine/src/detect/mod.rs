//! Detectors: each turns the next value of one series into a [`Reading`] (breach, inside the
//! hysteresis band, or clear) with the reference it compared against. Pure and small; the
//! per-series state is a fixed window at most.

mod anomaly;
mod consecutive;
mod flapping;
mod ring;
mod spike;
mod state_change;
mod threshold;

use std::fmt::Write as _;
use std::time::Duration;

use bandwatch_core::{BitsPerSecond, Bytes, SeriesKey, Timestamp};

use crate::rule::Condition;

pub use anomaly::Anomaly;
pub use consecutive::Consecutive;
pub use flapping::Flapping;
pub use spike::Spike;
pub use state_change::StateChange;
pub use threshold::Threshold;

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

/// The numbers behind a reading, kept as data so that text is built only for events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Detail {
    /// A threshold from above.
    Above {
        /// The limit.
        limit: f64,
    },
    /// A threshold from below.
    Below {
        /// The limit.
        limit: f64,
    },
    /// A spike over a mean baseline.
    Spike {
        /// Mean of the previous samples.
        baseline: f64,
        /// How many samples.
        window: usize,
    },
    /// A robust z-score.
    Anomaly {
        /// The z-score of the value.
        z: f64,
        /// Median of the previous samples.
        median: f64,
        /// How many samples.
        window: usize,
    },
    /// A state change.
    StateChange {
        /// The good value.
        from: f64,
        /// The bad value.
        to: f64,
    },
    /// A run of bad values.
    Consecutive {
        /// The bad value.
        to: f64,
        /// Bad samples in a row so far (0 once the run ended).
        run: u32,
    },
    /// A value that keeps changing.
    Flapping {
        /// Changes counted within the window (at most the rule's `changes`).
        changes: u32,
        /// The window in milliseconds.
        within_ms: i64,
    },
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
}

impl Detector {
    /// A fresh detector for a condition.
    pub fn new(condition: &Condition) -> Self {
        match *condition {
            Condition::Threshold { direction, limit } => {
                Self::Threshold(Threshold::new(direction, limit))
            }
            Condition::Spike {
                factor,
                window,
                floor,
            } => Self::Spike(Spike::new(factor, window, floor)),
            Condition::Anomaly { window, limit } => Self::Anomaly(Anomaly::new(window, limit)),
            Condition::StateChange { from, to } => Self::StateChange(StateChange::new(from, to)),
            Condition::Consecutive { to, count } => Self::Consecutive(Consecutive::new(to, count)),
            Condition::Flapping { changes, within_ms } => {
                Self::Flapping(Flapping::new(changes, within_ms))
            }
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
        }
    }
}

/// Gauges carry small integers; compare them with a tolerance, not bit for bit.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A window in milliseconds as people write it (`10m`, `1h 30m`).
fn human_ms(ms: i64) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
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

/// A value in the unit its metric name ends with, as people read it.
pub fn human(metric: &str, v: f64) -> String {
    if metric.ends_with("_bits_per_second") {
        BitsPerSecond(v).to_string()
    } else if metric.ends_with("_bytes") && v >= 0.0 {
        Bytes(v.round() as u64).to_string()
    } else if metric.ends_with("_seconds") {
        format!("{:.1} ms", v * 1e3)
    } else {
        let mut s = format!("{v:.2}");
        while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
            s.pop();
        }
        s
    }
}

/// `net_rx_bits_per_second on iface=eth0`.
fn subject(series: &SeriesKey) -> String {
    let mut s = series.metric.clone();
    for (i, (k, v)) in series.labels.iter().enumerate() {
        s.push_str(if i == 0 { " on " } else { ", " });
        let _ = write!(s, "{k}={v}");
    }
    s
}

impl Detail {
    /// Why the value breaches, in words.
    pub fn explain(&self, series: &SeriesKey, value: f64) -> String {
        let m = series.metric.as_str();
        let who = subject(series);
        let v = human(m, value);
        match *self {
            Self::Above { limit } => format!("{who} is {v}, above the limit of {}", human(m, limit)),
            Self::Below { limit } => format!("{who} is {v}, below the limit of {}", human(m, limit)),
            Self::Spike { baseline, window } if baseline > 0.0 => format!(
                "{who} is {v}, {:.1}× its {window}-sample baseline of {}",
                value / baseline,
                human(m, baseline)
            ),
            Self::Spike { baseline, window } => format!(
                "{who} is {v}, up from its {window}-sample baseline of {}",
                human(m, baseline)
            ),
            Self::Anomaly { z, median, window } => format!(
                "{who} is {v}, a robust z-score of {z:.1} against the median {} of the last {window} samples",
                human(m, median)
            ),
            Self::StateChange { from, to } => {
                format!("{who} went from {} to {}", human(m, from), human(m, to))
            }
            Self::Consecutive { run, .. } => {
                format!("{who} is {v} for {run} consecutive samples")
            }
            Self::Flapping { changes, within_ms } => format!(
                "{who} changed state {changes} times within {}",
                human_ms(within_ms)
            ),
        }
    }

    /// Why the alert closed, in words.
    pub fn explain_resolved(&self, series: &SeriesKey, value: f64) -> String {
        let m = series.metric.as_str();
        let who = subject(series);
        let v = human(m, value);
        match *self {
            Self::Above { limit } | Self::Below { limit } => {
                format!("{who} is back to {v} (limit {})", human(m, limit))
            }
            Self::Spike { baseline, .. } => {
                format!("{who} is back to {v} (baseline {})", human(m, baseline))
            }
            Self::Anomaly { z, .. } => format!("{who} is back to {v} (robust z-score {z:.1})"),
            Self::StateChange { .. } | Self::Consecutive { .. } => format!("{who} is back to {v}"),
            Self::Flapping { .. } => format!("{who} is steady at {v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_explain_in_words() {
        let k = SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0");
        let d = Detail::Spike {
            baseline: 12e6,
            window: 60,
        };
        assert_eq!(
            d.explain(&k, 38.4e6),
            "net_rx_bits_per_second on iface=eth0 is 38.40 Mbps, 3.2× its 60-sample baseline of 12.00 Mbps"
        );
        let up = SeriesKey::with_label("net_up", "iface", "eth0");
        let d = Detail::StateChange { from: 1.0, to: 0.0 };
        assert_eq!(d.explain(&up, 0.0), "net_up on iface=eth0 went from 1 to 0");
    }

    #[test]
    fn probe_messages_explain_runs_and_flapping() {
        let k = SeriesKey::with_label("probe_up", "target", "router");
        let d = Detail::Consecutive { to: 0.0, run: 3 };
        assert_eq!(
            d.explain(&k, 0.0),
            "probe_up on target=router is 0 for 3 consecutive samples"
        );
        assert_eq!(
            d.explain_resolved(&k, 1.0),
            "probe_up on target=router is back to 1"
        );
        let d = Detail::Flapping {
            changes: 5,
            within_ms: 600_000,
        };
        assert_eq!(
            d.explain(&k, 1.0),
            "probe_up on target=router changed state 5 times within 10m"
        );
        assert_eq!(
            d.explain_resolved(&k, 1.0),
            "probe_up on target=router is steady at 1"
        );
    }

    #[test]
    fn detectors_get_the_sample_time() {
        let cond = Condition::Flapping {
            changes: 2,
            within_ms: 10_000,
        };
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
