//! The words of an alert: what a detector saw, kept as data ([`Detail`]) so that text is built
//! only for events, and the sentences built from it with the one human formatter
//! (`bandwatch_core::human`), the same one notifications use.

use std::fmt::Write as _;
use std::time::Duration;

use bandwatch_core::human::format_metric;
use bandwatch_core::SeriesKey;

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
    /// A sum over a rolling window.
    WindowSum {
        /// The sum of the deltas within the window.
        sum: f64,
        /// The limit.
        limit: f64,
        /// The window in milliseconds.
        within_ms: i64,
    },
    /// A run of activity.
    Active {
        /// How long the current run has lasted (0 when there is none).
        active_ms: i64,
        /// How long a run may last.
        max_active_ms: i64,
        /// The shortest break that ends a run.
        idle_gap_ms: i64,
    },
}

/// A window in milliseconds as people write it (`10m`, `1h 30m`).
fn human_ms(ms: i64) -> humantime::FormattedDuration {
    humantime::format_duration(Duration::from_millis(u64::try_from(ms).unwrap_or(0)))
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
    /// What the rule judged when it is not the sample itself: the window's sum, or the run's
    /// length in seconds. Events report it as their value and severity steps read it.
    pub fn measured(&self) -> Option<f64> {
        match *self {
            Self::WindowSum { sum, .. } => Some(sum),
            Self::Active { active_ms, .. } => Some(super::activity::ms_to_secs(active_ms)),
            _ => None,
        }
    }

    /// Why the value breaches, in words.
    pub fn explain(&self, series: &SeriesKey, value: f64) -> String {
        let m = series.metric.as_str();
        let who = subject(series);
        let v = format_metric(m, value);
        match *self {
            Self::Above { limit } => format!("{who} is {v}, above the limit of {}", format_metric(m, limit)),
            Self::Below { limit } => format!("{who} is {v}, below the limit of {}", format_metric(m, limit)),
            Self::Spike { baseline, window } if baseline > 0.0 => format!(
                "{who} is {v}, {:.1}× its {window}-sample baseline of {}",
                value / baseline,
                format_metric(m, baseline)
            ),
            Self::Spike { baseline, window } => format!(
                "{who} is {v}, up from its {window}-sample baseline of {}",
                format_metric(m, baseline)
            ),
            Self::Anomaly { z, median, window } => format!(
                "{who} is {v}, a robust z-score of {z:.1} against the median {} of the last {window} samples",
                format_metric(m, median)
            ),
            Self::StateChange { from, to } => {
                format!("{who} went from {} to {}", format_metric(m, from), format_metric(m, to))
            }
            Self::Consecutive { run, .. } => {
                format!("{who} is {v} for {run} consecutive samples")
            }
            Self::Flapping { changes, within_ms } => format!(
                "{who} changed state {changes} times within {}",
                human_ms(within_ms)
            ),
            Self::WindowSum { limit, within_ms, .. } => format!(
                "{who} added up to {v} within {}, above the limit of {}",
                human_ms(within_ms),
                format_metric(m, limit)
            ),
            Self::Active { active_ms, max_active_ms, idle_gap_ms } => format!(
                "{who} has been active for {} without a break of {}, longer than {}",
                human_ms(active_ms),
                human_ms(idle_gap_ms),
                human_ms(max_active_ms)
            ),
        }
    }

    /// Why the alert closed, in words.
    pub fn explain_resolved(&self, series: &SeriesKey, value: f64) -> String {
        let m = series.metric.as_str();
        let who = subject(series);
        let v = format_metric(m, value);
        match *self {
            Self::Above { limit } | Self::Below { limit } => {
                format!("{who} is back to {v} (limit {})", format_metric(m, limit))
            }
            Self::Spike { baseline, .. } => {
                format!(
                    "{who} is back to {v} (baseline {})",
                    format_metric(m, baseline)
                )
            }
            Self::Anomaly { z, .. } => format!("{who} is back to {v} (robust z-score {z:.1})"),
            Self::StateChange { .. } | Self::Consecutive { .. } => format!("{who} is back to {v}"),
            Self::Flapping { .. } => format!("{who} is steady at {v}"),
            Self::WindowSum {
                limit, within_ms, ..
            } => format!(
                "{who} is back to {v} within {} (limit {})",
                human_ms(within_ms),
                format_metric(m, limit)
            ),
            Self::Active { idle_gap_ms, .. } => {
                format!("{who} took a break of {} or more", human_ms(idle_gap_ms))
            }
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
    fn window_sums_and_activity_explain_in_words() {
        let k = SeriesKey::with_label("device_bytes", "device", "Laptop");
        let d = Detail::WindowSum {
            sum: 6e8,
            limit: 5e8,
            within_ms: 3_600_000,
        };
        assert_eq!(d.measured(), Some(6e8));
        assert_eq!(
            d.explain(&k, 6e8),
            "device_bytes on device=Laptop added up to 572.20 MiB within 1h, above the limit of 476.84 MiB"
        );
        let a = SeriesKey::with_label("device_active", "device", "Laptop");
        let d = Detail::Active {
            active_ms: 18_060_000,
            max_active_ms: 18_000_000,
            idle_gap_ms: 300_000,
        };
        assert_eq!(d.measured(), Some(18_060.0));
        assert_eq!(
            d.explain(&a, 18_060.0),
            "device_active on device=Laptop has been active for 5h 1m without a break of 5m, longer than 5h"
        );
        assert_eq!(
            d.explain_resolved(&a, 0.0),
            "device_active on device=Laptop took a break of 5m or more"
        );
    }

    #[test]
    fn values_read_in_their_units() {
        let rtt = SeriesKey::with_label("probe_rtt_seconds", "target", "router");
        assert_eq!(
            Detail::Above { limit: 0.08 }.explain(&rtt, 0.09),
            "probe_rtt_seconds on target=router is 90.0 ms, above the limit of 80.0 ms"
        );
        let cpu = SeriesKey::new("system_cpu_percent", bandwatch_core::Labels::default());
        assert_eq!(
            Detail::Above { limit: 80.0 }.explain_resolved(&cpu, 42.04),
            "system_cpu_percent is back to 42.0% (limit 80.0%)"
        );
    }
}
