//! Samples and the frames that carry them from sources to sinks.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::series::SeriesKey;
use crate::units::Seconds;

/// What a value means, which decides how sinks keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// A level at the frame's instant (link speed, carrier, CPU %).
    Gauge,
    /// The exact integer increase of a counter over the frame's interval (bytes, packets).
    Delta,
    /// A per-second rate derived from a [`SampleKind::Delta`] of the same frame; stores may
    /// skip it on the raw tier because it can be derived again exactly.
    Rate,
}

/// One measured value of one series at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Which series this value belongs to (shared, so cloning a frame is cheap).
    pub series: Arc<SeriesKey>,
    /// When it was measured.
    pub ts: Timestamp,
    /// The value in base units.
    pub value: f64,
    /// How to interpret and keep the value.
    pub kind: SampleKind,
}

/// The samples one source produced on one tick, all with the same timestamp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The source that produced it (`netdev`, `system`, …).
    pub source: String,
    /// Wall-clock time of the tick.
    pub ts: Timestamp,
    /// Monotonic time since the source's previous tick; deltas cover exactly this span.
    pub elapsed: Seconds,
    /// The samples, each stamped with `ts`.
    pub samples: Vec<Sample>,
}

impl Frame {
    /// An empty frame.
    pub fn new(source: impl Into<String>, ts: Timestamp, elapsed: Seconds) -> Self {
        Self {
            source: source.into(),
            ts,
            elapsed,
            samples: Vec::new(),
        }
    }

    /// Adds one sample stamped with the frame's time.
    pub fn push(&mut self, series: Arc<SeriesKey>, value: f64, kind: SampleKind) {
        self.samples.push(Sample {
            series,
            ts: self.ts,
            value,
            kind,
        });
    }

    /// The value of the first sample whose series has this metric and label value.
    pub fn find(&self, metric: &str, label: &str, value: &str) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.series.metric == metric && s.series.labels.get(label) == Some(value))
            .map(|s| s.value)
    }
}
