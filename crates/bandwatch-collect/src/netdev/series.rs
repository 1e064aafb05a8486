//! Series keys built once per interface (or for the total) and the samples pushed with them,
//! so a steady-state tick only clones `Arc`s.

use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, SeriesKey};

use super::link::LinkState;
use super::metric::{self, COUNTERS, COUNTER_METRICS, SUM_METRIC};

/// One interval's accepted counter deltas; `None` where the change was discarded.
pub(crate) type Deltas = [Option<u64>; COUNTERS];

/// The delta and rate series of every counter for one label, and of their sum.
pub(crate) struct CounterSeries {
    delta: [Arc<SeriesKey>; COUNTERS],
    rate: [Option<(Arc<SeriesKey>, f64)>; COUNTERS],
    sum_delta: Arc<SeriesKey>,
    sum_rate: Arc<SeriesKey>,
}

impl CounterSeries {
    /// The series of one interface.
    pub fn for_iface(name: &str) -> Self {
        Self::labelled(metric::LABEL_IFACE, name)
    }

    /// The series of the sum over interfaces.
    pub fn for_total() -> Self {
        Self::labelled(metric::LABEL_SCOPE, metric::SCOPE_TOTAL)
    }

    fn labelled(label: &str, value: &str) -> Self {
        let key = |name: &str| Arc::new(SeriesKey::with_label(name, label, value));
        Self {
            delta: std::array::from_fn(|i| key(COUNTER_METRICS[i].delta)),
            rate: std::array::from_fn(|i| {
                COUNTER_METRICS[i]
                    .rate
                    .map(|(name, factor)| (key(name), factor))
            }),
            sum_delta: key(SUM_METRIC.delta),
            sum_rate: key(SUM_METRIC.rate.0),
        }
    }

    /// Pushes every accepted delta, then its rate over `secs` (which is > 0). The sum of
    /// received and sent adds what was accepted of the two, as the total adds interfaces, so
    /// over a run it is exactly the sum of the two series; it is left out only when neither
    /// was accepted.
    pub fn push(&self, frame: &mut Frame, deltas: &Deltas, secs: f64) {
        for (key, delta) in self.delta.iter().zip(deltas) {
            if let Some(d) = delta {
                frame.push(Arc::clone(key), *d as f64, SampleKind::Delta);
            }
        }
        let parts = SUM_METRIC.of.map(|i| deltas[i]);
        let sum = parts.iter().any(Option::is_some).then(|| {
            parts
                .iter()
                .flatten()
                .fold(0u64, |a, d| a.saturating_add(*d))
        });
        if let Some(d) = sum {
            frame.push(Arc::clone(&self.sum_delta), d as f64, SampleKind::Delta);
        }
        for (rate, delta) in self.rate.iter().zip(deltas) {
            if let (Some((key, factor)), Some(d)) = (rate, delta) {
                frame.push(Arc::clone(key), *d as f64 * factor / secs, SampleKind::Rate);
            }
        }
        if let Some(d) = sum {
            let bits = d as f64 * SUM_METRIC.rate.1 / secs;
            frame.push(Arc::clone(&self.sum_rate), bits, SampleKind::Rate);
        }
    }
}

/// The link gauges of one interface.
pub(crate) struct LinkSeries {
    up: Arc<SeriesKey>,
    carrier: Arc<SeriesKey>,
    speed: Arc<SeriesKey>,
    mtu: Arc<SeriesKey>,
}

impl LinkSeries {
    /// The gauges of one interface.
    pub fn for_iface(name: &str) -> Self {
        let key = |m: &str| Arc::new(SeriesKey::with_label(m, metric::LABEL_IFACE, name));
        Self {
            up: key(metric::NET_UP),
            carrier: key(metric::NET_CARRIER),
            speed: key(metric::NET_SPEED_BITS_PER_SECOND),
            mtu: key(metric::NET_MTU_BYTES),
        }
    }

    /// Pushes the gauges that sysfs could tell.
    pub fn push(&self, frame: &mut Frame, link: &LinkState) {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        if let Some(up) = link.up {
            frame.push(Arc::clone(&self.up), flag(up), SampleKind::Gauge);
        }
        if let Some(carrier) = link.carrier {
            frame.push(Arc::clone(&self.carrier), flag(carrier), SampleKind::Gauge);
        }
        if let Some(bps) = link.speed_bits_per_second {
            frame.push(Arc::clone(&self.speed), bps, SampleKind::Gauge);
        }
        if let Some(mtu) = link.mtu_bytes {
            frame.push(Arc::clone(&self.mtu), mtu, SampleKind::Gauge);
        }
    }
}

/// Running sums of accepted deltas over the interfaces that count towards the total.
#[derive(Default)]
pub(crate) struct Totals([u64; COUNTERS]);

impl Totals {
    /// Adds one interface's accepted deltas; discarded ones add nothing.
    pub fn add(&mut self, deltas: &Deltas) {
        for (sum, d) in self.0.iter_mut().zip(deltas) {
            *sum = sum.saturating_add(d.unwrap_or(0));
        }
    }

    /// The sums as deltas (all accepted).
    pub fn deltas(&self) -> Deltas {
        self.0.map(Some)
    }
}
