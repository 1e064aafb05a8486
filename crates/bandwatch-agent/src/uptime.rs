//! Uptime per probe target over 1 h, 24 h and 7 d: seeded from the stored minute rollups of
//! `probe_up` at start (so a restart does not reset it), then counted round by round and
//! added to every probe frame as `probe_uptime_percent{target, window}`.

use std::time::Duration;

use bandwatch_collect::probe::metric::{LABEL_TARGET, PROBE_UP};
use bandwatch_collect::probe::source::SOURCE_NAME as PROBE_SOURCE;
use bandwatch_collect::probe::uptime::UptimeTracker;
use bandwatch_core::{Frame, SeriesKey, Timestamp};
use bandwatch_store::{Store, Tier};

/// The history an uptime figure may reach back.
const HISTORY: Duration = Duration::from_secs(7 * 24 * 3600);

/// The uptime enrichment of probe frames.
#[derive(Debug, Default)]
pub struct Uptime {
    tracker: UptimeTracker,
}

impl Uptime {
    /// Reads the last seven days of `probe_up` minute rollups of `targets` from `store`.
    /// A read that fails only costs history: it is logged and uptime starts afresh.
    pub fn seed(store: &dyn Store, targets: &[String], now: Timestamp) -> Self {
        let mut tracker = UptimeTracker::new();
        let from = Timestamp(now.0 - i64::try_from(HISTORY.as_millis()).unwrap_or(i64::MAX));
        for t in targets {
            let key = SeriesKey::with_label(PROBE_UP, LABEL_TARGET, t);
            match store.query_rollup(Tier::Minute, &key, from, Timestamp(now.0 + 1)) {
                Ok(points) => {
                    for p in points {
                        // probe_up is 0 or 1, so the bucket's sum is its number of up rounds.
                        tracker.seed(t, p.bucket, p.sum, p.count as f64);
                    }
                }
                Err(e) => {
                    tracing::warn!(target_name = %t, error = %e, "cannot read uptime history; uptime starts afresh");
                }
            }
        }
        Self { tracker }
    }

    /// Counts the rounds of a probe frame and appends the uptime gauges of its targets.
    pub fn observe(&mut self, frame: &mut Frame) {
        if frame.source != PROBE_SOURCE {
            return;
        }
        let mut seen = Vec::new();
        for s in &frame.samples {
            if s.series.metric == PROBE_UP {
                if let Some(t) = s.series.labels.get(LABEL_TARGET) {
                    self.tracker.record(t, frame.ts, s.value > 0.5);
                    seen.push(t.to_string());
                }
            }
        }
        self.tracker
            .push_uptime(frame, seen.iter().map(String::as_str));
    }
}
