//! Detectors: each turns the next value of one series into a [`Reading`] (breach, inside the
//! hysteresis band, or clear) with the reference it compared against. Pure and small; the
//! per-series state is a fixed window at most.

mod anomaly;
mod ring;
mod spike;
mod state_change;
mod threshold;

use std::fmt::Write as _;

use bandwatch_core::{BitsPerSecond, Bytes, SeriesKey};

use crate::rule::Condition;

pub use anomaly::Anomaly;
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
        }
    }

    /// Reads the next (finite) value; `None` while the detector is still filling its window.
    pub fn observe(&mut self, value: f64, hysteresis: f64) -> Option<Reading> {
        match self {
            Self::Threshold(d) => Some(d.observe(value, hysteresis)),
            Self::Spike(d) => d.observe(value, hysteresis),
            Self::Anomaly(d) => d.observe(value, hysteresis),
            Self::StateChange(d) => d.observe(value),
        }
    }
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
            Self::StateChange { .. } => format!("{who} is back to {v}"),
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
    fn hysteresis_band_sits_on_the_good_side() {
        assert_eq!(classify(101.0, 100.0, true, 0.1), Level::Breach);
        assert_eq!(classify(95.0, 100.0, true, 0.1), Level::Band);
        assert_eq!(classify(89.0, 100.0, true, 0.1), Level::Clear);
        assert_eq!(classify(100.0, 100.0, true, 0.0), Level::Clear);
        assert_eq!(classify(5.0, 10.0, false, 0.1), Level::Breach);
        assert_eq!(classify(10.5, 10.0, false, 0.1), Level::Band);
    }
}
