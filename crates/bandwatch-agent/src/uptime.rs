//! Uptime per probe target over 1 h, 24 h and 7 d, and when each last answered: seeded from
//! the stored history of `probe_up` at start (so a restart does not reset them), then counted
//! round by round and added to every probe frame as `probe_uptime_percent{target, window}`
//! and `probe_last_seen_timestamp_seconds{target}`.

use std::time::Duration;

use bandwatch_collect::probe::metric::{LABEL_TARGET, PROBE_UP};
use bandwatch_collect::probe::source::SOURCE_NAME as PROBE_SOURCE;
use bandwatch_collect::probe::uptime::UptimeTracker;
use bandwatch_core::{Frame, SeriesKey, Timestamp};
use bandwatch_store::{last_time_above, Store, Tier};

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
            // The same question `bandwatch stats` asks, so both show the same last seen.
            match last_time_above(store, &key, 0.5, from, Timestamp(now.0 + 1)) {
                Ok(Some(ts)) => tracker.answered(t, ts),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(target_name = %t, error = %e, "cannot read when the target last answered");
                }
            }
        }
        Self { tracker }
    }

    /// Counts the rounds of a probe frame and appends the uptime and last-seen gauges of its
    /// targets.
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
        self.tracker
            .push_last_seen(frame, seen.iter().map(String::as_str));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bandwatch_collect::probe::metric::PROBE_LAST_SEEN_TIMESTAMP_SECONDS;
    use bandwatch_core::{SampleKind, Seconds};
    use bandwatch_store::{SqliteOptions, SqliteStore};

    use super::*;

    /// 2026-01-01T00:00:00Z.
    const T0: i64 = 1_767_225_600_000;

    fn round(target: &str, ms: i64, up: bool) -> Frame {
        let mut f = Frame::new(PROBE_SOURCE, Timestamp(T0 + ms), Seconds(30.0));
        let key = Arc::new(SeriesKey::with_label(PROBE_UP, LABEL_TARGET, target));
        f.push(key, f64::from(u8::from(up)), SampleKind::Gauge);
        f
    }

    fn last_seen(frame: &Frame, target: &str) -> Option<f64> {
        frame.find(PROBE_LAST_SEEN_TIMESTAMP_SECONDS, LABEL_TARGET, target)
    }

    /// After a restart the API's last seen (this gauge) is the instant `bandwatch stats`
    /// computes from the same history: the last answered round, none for a target that
    /// never answered.
    #[test]
    fn last_seen_is_seeded_from_the_history_to_the_millisecond() {
        let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        let history = [
            round("nas", 0, true),
            round("nas", 30_500, true),
            round("nas", 61_000, false),
            round("dark", 0, false),
            round("dark", 61_000, false),
        ];
        store.write(&history).expect("write");
        let now = Timestamp(T0 + 90_000);
        let mut uptime = Uptime::seed(&store, &["nas".into(), "dark".into()], now);
        let mut next = round("nas", 91_000, false);
        next.push(
            Arc::new(SeriesKey::with_label(PROBE_UP, LABEL_TARGET, "dark")),
            0.0,
            SampleKind::Gauge,
        );
        uptime.observe(&mut next);
        assert_eq!(last_seen(&next, "nas"), Some((T0 + 30_500) as f64 / 1000.0));
        assert_eq!(last_seen(&next, "dark"), None);
        let key = SeriesKey::with_label(PROBE_UP, LABEL_TARGET, "nas");
        let from = Timestamp(now.0 - i64::try_from(HISTORY.as_millis()).expect("ms"));
        let stats_answer = last_time_above(&store, &key, 0.5, from, now).expect("query");
        assert_eq!(stats_answer, Some(Timestamp(T0 + 30_500)));
    }
}
