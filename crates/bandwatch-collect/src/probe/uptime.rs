//! Uptime per target over the last hour, day and week, from minute buckets of up rounds, and
//! when each target last answered. Pure: rounds and history in, percentages and times out.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{Frame, Labels, SampleKind, SeriesKey, Timestamp};

use super::metric::{
    LABEL_TARGET, LABEL_WINDOW, PROBE_LAST_SEEN_TIMESTAMP_SECONDS, PROBE_UPTIME_PERCENT,
};
use super::round::RoundReport;

const MINUTE_MS: i64 = 60_000;
/// How many minute buckets a target keeps: seven days.
pub const KEEP_MINUTES: usize = 7 * 24 * 60;

/// The windows [`UptimeTracker::push_uptime`] reports, with their [`LABEL_WINDOW`] values.
pub const WINDOWS: [(&str, Duration); 3] = [
    ("1h", Duration::from_secs(3600)),
    ("24h", Duration::from_secs(24 * 3600)),
    ("7d", Duration::from_secs(7 * 24 * 3600)),
];

/// Up rounds and all rounds within one minute.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    /// Minutes since the epoch.
    minute: i64,
    up: f64,
    total: f64,
}

/// Per target, minute buckets of (up rounds, rounds) for the last seven days (at most
/// [`KEEP_MINUTES`] buckets per target) and the instant of its last answered round.
#[derive(Debug, Clone, Default)]
pub struct UptimeTracker {
    targets: HashMap<String, VecDeque<Bucket>>,
    last_up: HashMap<String, Timestamp>,
}

impl UptimeTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds history: `up_rounds` of `rounds` were up in the minute starting at `bucket_start`
    /// (from a minute rollup of `probe_up`: mean × count). Adds to what the bucket holds;
    /// non-finite, negative or empty counts are ignored.
    pub fn seed(&mut self, target: &str, bucket_start: Timestamp, up_rounds: f64, rounds: f64) {
        self.add(target, minute_of(bucket_start), up_rounds, rounds);
    }

    /// Counts one round of `target` at `ts`.
    pub fn record(&mut self, target: &str, ts: Timestamp, up: bool) {
        self.add(target, minute_of(ts), f64::from(u8::from(up)), 1.0);
        if up {
            self.answered(target, ts);
        }
    }

    /// Adds history: `target` answered a round at `ts` (the newest instant wins).
    pub fn answered(&mut self, target: &str, ts: Timestamp) {
        match self.last_up.get_mut(target) {
            Some(last) => *last = (*last).max(ts),
            None => {
                self.last_up.insert(target.to_owned(), ts);
            }
        }
    }

    /// When `target` last answered a round; `None` when it never has (as far as known).
    pub fn last_seen(&self, target: &str) -> Option<Timestamp> {
        self.last_up.get(target).copied()
    }

    /// Counts one round of every target in `report`, up when reachable.
    pub fn record_report(&mut self, report: &RoundReport, ts: Timestamp) {
        for r in &report.results {
            self.record(&r.name, ts, r.stats.reachable);
        }
    }

    /// Percent of `target`'s rounds that were up in the `window` (whole minutes, the current
    /// one included) ending at `now`; `None` when it had no rounds then.
    pub fn percent(&self, target: &str, window: Duration, now: Timestamp) -> Option<f64> {
        let q = self.targets.get(target)?;
        let last = minute_of(now);
        let minutes = i64::try_from(window.as_millis().div_ceil(60_000))
            .unwrap_or(i64::MAX)
            .max(1);
        let first = last.saturating_sub(minutes);
        let lo = q.partition_point(|b| b.minute <= first);
        let hi = q.partition_point(|b| b.minute <= last);
        let (up, total) = q
            .range(lo..hi.max(lo))
            .fold((0.0, 0.0), |(u, t), b| (u + b.up, t + b.total));
        (total > 0.0).then(|| 100.0 * up / total)
    }

    /// Appends `probe_uptime_percent{target, window}` gauges for each of `targets` and each
    /// of [`WINDOWS`], as of `frame.ts`; windows without rounds are left out.
    pub fn push_uptime<'a>(&self, frame: &mut Frame, targets: impl IntoIterator<Item = &'a str>) {
        let now = frame.ts;
        for t in targets {
            for (label, window) in WINDOWS {
                if let Some(p) = self.percent(t, window, now) {
                    let labels = Labels::from_pairs([(LABEL_TARGET, t), (LABEL_WINDOW, label)]);
                    let key = Arc::new(SeriesKey::new(PROBE_UPTIME_PERCENT, labels));
                    frame.push(key, p, SampleKind::Gauge);
                }
            }
        }
    }

    /// Appends `probe_last_seen_timestamp_seconds{target}` for each of `targets` that ever
    /// answered; one that never did gets no sample (its last seen is unknown, not a time).
    pub fn push_last_seen<'a>(
        &self,
        frame: &mut Frame,
        targets: impl IntoIterator<Item = &'a str>,
    ) {
        for t in targets {
            if let Some(ts) = self.last_seen(t) {
                let key = Arc::new(SeriesKey::with_label(
                    PROBE_LAST_SEEN_TIMESTAMP_SECONDS,
                    LABEL_TARGET,
                    t,
                ));
                frame.push(key, ts.millis() as f64 / 1000.0, SampleKind::Gauge);
            }
        }
    }

    /// Forgets targets for which `keep` is false (targets removed from the configuration).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.targets.retain(|name, _| keep(name));
        self.last_up.retain(|name, _| keep(name));
    }

    /// How many minute buckets `target` holds.
    pub fn buckets(&self, target: &str) -> usize {
        self.targets.get(target).map_or(0, VecDeque::len)
    }

    fn add(&mut self, target: &str, minute: i64, up: f64, total: f64) {
        if !(up.is_finite() && total.is_finite()) || total <= 0.0 || up < 0.0 {
            return;
        }
        let up = up.min(total);
        if !self.targets.contains_key(target) {
            self.targets.insert(target.to_owned(), VecDeque::new());
        }
        let Some(q) = self.targets.get_mut(target) else {
            return;
        };
        let keep = KEEP_MINUTES as i64;
        if q.back().is_some_and(|b| minute <= b.minute - keep) {
            return;
        }
        match q.binary_search_by_key(&minute, |b| b.minute) {
            Ok(i) => {
                q[i].up += up;
                q[i].total += total;
            }
            Err(i) => q.insert(i, Bucket { minute, up, total }),
        }
        let newest = q.back().map_or(minute, |b| b.minute);
        while q.front().is_some_and(|b| b.minute <= newest - keep) {
            q.pop_front();
        }
    }
}

fn minute_of(ts: Timestamp) -> i64 {
    ts.millis().div_euclid(MINUTE_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-21T00:00:00Z.
    const T0: i64 = 1_795_219_200;
    const HOUR: Duration = Duration::from_secs(3600);

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_secs(T0 + secs)
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn percent_over_windows() {
        let mut u = UptimeTracker::new();
        assert_eq!(u.percent("r", HOUR, at(0)), None);
        // One round every 10 s for two hours; down for the first 30 minutes.
        for s in (0..7200).step_by(10) {
            u.record("r", at(s), s >= 1800);
        }
        let now = at(7199);
        // Last hour: all up. Two hours: 90 of 120 minutes up.
        assert!(close(u.percent("r", HOUR, now), 100.0));
        assert!(close(u.percent("r", 2 * HOUR, now), 75.0));
        assert!(close(u.percent("r", 24 * HOUR, now), 75.0));
        // Ending 1 h in: 30 of 60 minutes up.
        assert!(close(u.percent("r", HOUR, at(3599)), 50.0));
        assert_eq!(u.percent("other", HOUR, now), None);
        // A window wholly before the first round has no rounds.
        assert_eq!(u.percent("r", HOUR, at(-3600)), None);
        assert_eq!(u.buckets("r"), 120);
    }

    #[test]
    fn seeding_adds_to_buckets_and_rejects_nonsense() {
        let mut u = UptimeTracker::new();
        // History: a minute rollup with probe_up mean 0.5 over 6 rounds.
        u.seed("nas", at(-120), 3.0, 6.0);
        u.seed("nas", at(-60), f64::NAN, 6.0);
        u.seed("nas", at(-60), 1.0, 0.0);
        u.seed("nas", at(-60), 9.0, 2.0); // clamped to 2 of 2
        u.record("nas", at(-30), false);
        // (3 + 2 + 0) / (6 + 2 + 1)
        assert!(close(u.percent("nas", HOUR, at(0)), 500.0 / 9.0));
        assert_eq!(u.buckets("nas"), 2);
    }

    #[test]
    fn old_buckets_are_dropped_and_memory_is_bounded() {
        let mut u = UptimeTracker::new();
        let week = 7 * 24 * 3600;
        // Eight days of one round per minute.
        for m in 0..(8 * 24 * 60) {
            u.record("r", at(m * 60), m % 2 == 0);
        }
        assert_eq!(u.buckets("r"), KEEP_MINUTES);
        // Older than a week behind the newest bucket: ignored.
        u.seed("r", at(0), 1.0, 1.0);
        assert_eq!(u.buckets("r"), KEEP_MINUTES);
        let now = at(8 * 24 * 3600 - 1);
        assert!(close(
            u.percent("r", Duration::from_secs(week as u64), now),
            50.0
        ));
        // A round far in the future shifts the whole week out.
        u.record("r", at(20 * 24 * 3600), true);
        assert_eq!(u.buckets("r"), 1);
        u.retain(|t| t != "r");
        assert_eq!(u.buckets("r"), 0);
    }

    #[test]
    fn out_of_order_rounds_land_in_their_minute() {
        let mut u = UptimeTracker::new();
        u.record("r", at(600), true);
        u.record("r", at(0), false);
        u.record("r", at(300), true);
        u.record("r", at(301), true);
        assert_eq!(u.buckets("r"), 3);
        assert!(close(u.percent("r", HOUR, at(600)), 75.0));
        // Only the minutes ending at 00:05 (00:00 and 00:05).
        assert!(close(
            u.percent("r", Duration::from_secs(301), at(300)),
            200.0 / 3.0
        ));
    }

    /// The defect: a target that never answered was shown a "last seen" time. Now it has
    /// none, and one that answered keeps the time of its last answer while it is down.
    #[test]
    fn last_seen_is_the_last_answered_round() {
        let mut u = UptimeTracker::new();
        u.record("never", at(0), false);
        u.record("was", at(0), true);
        u.record("was", at(60), false);
        u.answered("was", at(-600)); // older history changes nothing
        assert_eq!(u.last_seen("never"), None);
        assert_eq!(u.last_seen("was"), Some(at(0)));
        let mut f = Frame::new("probe", at(60), bandwatch_core::Seconds(1.0));
        u.push_last_seen(&mut f, ["never", "was"]);
        let got: Vec<(&str, f64)> = f
            .samples
            .iter()
            .map(|s| {
                assert_eq!(s.series.metric, PROBE_LAST_SEEN_TIMESTAMP_SECONDS);
                (s.series.labels.get(LABEL_TARGET).unwrap_or(""), s.value)
            })
            .collect();
        assert_eq!(got, [("was", at(0).millis() as f64 / 1000.0)]);
        u.retain(|t| t != "was");
        assert_eq!(u.last_seen("was"), None);
    }

    #[test]
    fn frame_gauges_per_window() {
        let mut u = UptimeTracker::new();
        u.record("a", at(-2 * 3600), false);
        u.record("a", at(0), true);
        let mut f = Frame::new("probe", at(0), bandwatch_core::Seconds(1.0));
        u.push_uptime(&mut f, ["a", "never"]);
        let got: Vec<(String, f64)> = f
            .samples
            .iter()
            .map(|s| {
                assert_eq!(s.series.metric, PROBE_UPTIME_PERCENT);
                assert_eq!(s.series.labels.get(LABEL_TARGET), Some("a"));
                (
                    s.series.labels.get(LABEL_WINDOW).unwrap_or("").to_owned(),
                    s.value,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("1h".to_owned(), 100.0),
                ("24h".to_owned(), 50.0),
                ("7d".to_owned(), 50.0)
            ]
        );
    }
}
