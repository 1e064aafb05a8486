//! The one latest-value snapshot: the newest value of every series (and, for exact deltas,
//! the running total since start), shared by every live reader — the web API, the
//! Prometheus exporter and the terminal view. One staleness rule on one clock: a series not
//! updated for [`Snapshot::stale_after`] of the injected clock's monotonic time is no longer
//! shown and is dropped.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use rustc_hash::FxHashMap;

use crate::clock::{Clock, Timestamp};
use crate::sample::{Frame, SampleKind};
use crate::series::SeriesKey;

/// How long a series stays without a new value before it is dropped (an interface that went
/// away, a probe target that was removed).
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(5 * 60);

/// The newest value of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latest {
    /// The newest value, in base units.
    pub value: f64,
    /// For a delta: the sum of every delta seen since start (a counter); else the value.
    pub total: f64,
    /// The wall-clock time of the sample.
    pub ts: Timestamp,
    /// How the value is meant.
    pub kind: SampleKind,
    /// Monotonic time of the update, on the snapshot's clock.
    updated: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    series: FxHashMap<Arc<SeriesKey>, Latest>,
    newest: Option<Timestamp>,
}

/// Written by the agent once per frame, read by any number of views; cheap to clone.
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<RwLock<Inner>>,
    clock: Arc<dyn Clock>,
    stale_after: Duration,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("stale_after", &self.stale_after)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// An empty snapshot on `clock`, dropping series after `stale_after`.
    pub fn new(clock: Arc<dyn Clock>, stale_after: Duration) -> Self {
        Self {
            inner: Arc::default(),
            clock,
            stale_after,
        }
    }

    /// How long a series lasts without a new value.
    pub fn stale_after(&self) -> Duration {
        self.stale_after
    }

    /// Folds one frame in. Non-finite or negative deltas never move a total.
    pub fn observe(&self, frame: &Frame) {
        let now = self.clock.monotonic();
        let mut s = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        for sample in &frame.samples {
            let entry = s
                .series
                .entry(Arc::clone(&sample.series))
                .or_insert(Latest {
                    value: sample.value,
                    total: 0.0,
                    ts: sample.ts,
                    kind: sample.kind,
                    updated: now,
                });
            if sample.kind == SampleKind::Delta {
                if sample.value.is_finite() && sample.value >= 0.0 {
                    entry.total += sample.value;
                }
            } else {
                entry.total = sample.value;
            }
            entry.value = sample.value;
            entry.ts = sample.ts;
            entry.kind = sample.kind;
            entry.updated = now;
        }
        s.newest = Some(s.newest.map_or(frame.ts, |t| t.max(frame.ts)));
        if s.series.len() > frame.samples.len() {
            let cutoff = now.saturating_sub(self.stale_after);
            s.series.retain(|_, l| l.updated >= cutoff);
        }
    }

    fn fresh(&self, l: &Latest, now: Duration) -> bool {
        now.saturating_sub(l.updated) <= self.stale_after
    }

    /// The newest value of one series.
    pub fn get(&self, key: &SeriesKey) -> Option<Latest> {
        let now = self.clock.monotonic();
        let s = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        s.series.get(key).copied().filter(|l| self.fresh(l, now))
    }

    /// Every fresh series of one metric.
    pub fn metric(&self, metric: &str) -> Vec<(Arc<SeriesKey>, Latest)> {
        let mut out = Vec::new();
        self.visit(|k, l| {
            if k.metric == metric {
                out.push((Arc::clone(k), *l));
            }
        });
        out
    }

    /// The newest frame time and every fresh series, sorted by series.
    pub fn all(&self) -> (Option<Timestamp>, Vec<(Arc<SeriesKey>, Latest)>) {
        let mut out = Vec::new();
        self.visit(|k, l| out.push((Arc::clone(k), *l)));
        out.sort_by(|a, b| a.0.cmp(&b.0));
        let newest = self
            .inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .newest;
        (newest, out)
    }

    /// Calls `f` on every fresh series, in no particular order, under the read lock.
    pub fn visit(&self, mut f: impl FnMut(&Arc<SeriesKey>, &Latest)) {
        let now = self.clock.monotonic();
        let s = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        for (k, l) in &s.series {
            if self.fresh(l, now) {
                f(k, l);
            }
        }
    }

    /// How many series are held (fresh or not yet pruned).
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .series
            .len()
    }

    /// True when nothing has been observed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FakeClock;
    use crate::units::Seconds;

    fn frame(ts: i64, samples: &[(&str, f64, SampleKind)]) -> Frame {
        let mut f = Frame::new("t", Timestamp(ts), Seconds(1.0));
        for (iface, v, kind) in samples {
            f.push(
                Arc::new(SeriesKey::with_label("m", "iface", iface)),
                *v,
                *kind,
            );
        }
        f
    }

    #[test]
    fn keeps_newest_values_and_totals() {
        let clock = FakeClock::new(Timestamp(0));
        let snap = Snapshot::new(Arc::new(clock.clone()), Duration::from_secs(60));
        snap.observe(&frame(1000, &[("a", 5.0, SampleKind::Delta)]));
        snap.observe(&frame(2000, &[("a", 7.0, SampleKind::Delta)]));
        snap.observe(&frame(2000, &[("a", -1.0, SampleKind::Delta)]));
        let l = snap.get(&SeriesKey::with_label("m", "iface", "a")).unwrap();
        assert_eq!((l.value, l.total), (-1.0, 12.0));
        assert_eq!(snap.all().0, Some(Timestamp(2000)));
    }

    #[test]
    fn stale_series_vanish_on_the_snapshots_clock() {
        let clock = FakeClock::new(Timestamp(0));
        let snap = Snapshot::new(Arc::new(clock.clone()), Duration::from_secs(60));
        snap.observe(&frame(
            0,
            &[("a", 1.0, SampleKind::Gauge), ("b", 1.0, SampleKind::Gauge)],
        ));
        clock.advance(Duration::from_secs(61));
        snap.observe(&frame(61_000, &[("a", 2.0, SampleKind::Gauge)]));
        assert_eq!(snap.metric("m").len(), 1);
        assert_eq!(snap.len(), 1, "pruned");
        clock.advance(Duration::from_secs(61));
        assert!(
            snap.all().1.is_empty(),
            "hidden once stale, even before a prune"
        );
    }
}
