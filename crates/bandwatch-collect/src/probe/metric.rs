//! Names of the probe series and how a round becomes samples. Every series carries the label
//! [`LABEL_TARGET`]; RTT series also carry [`LABEL_STAT`], uptime series [`LABEL_WINDOW`].

use std::sync::Arc;

use bandwatch_core::{Frame, Labels, SampleKind, SeriesKey};

use super::round::RoundReport;
use crate::netdev::metric::MetricInfo;

/// Label naming the probed target.
pub const LABEL_TARGET: &str = "target";
/// Label telling which RTT statistic a series holds: `min`, `avg` or `max`.
pub const LABEL_STAT: &str = "stat";

/// Round-trip time in seconds, one series per [`LABEL_STAT`].
pub const PROBE_RTT_SECONDS: &str = "probe_rtt_seconds";
/// Share of the round's probes lost, 0–100.
pub const PROBE_LOSS_PERCENT: &str = "probe_loss_percent";
/// 1 when at least one probe of the round was answered, else 0.
pub const PROBE_UP: &str = "probe_up";
/// Mean absolute difference of consecutive RTTs, in seconds.
pub const PROBE_JITTER_SECONDS: &str = "probe_jitter_seconds";
/// Last HTTP status code of the round (HTTP targets only).
pub const PROBE_HTTP_STATUS: &str = "probe_http_status";
/// Probes sent in the round.
pub const PROBE_SENT: &str = "probe_sent";
/// Probes answered in the round.
pub const PROBE_RECEIVED: &str = "probe_received";
/// Share of rounds that were up over a window ([`LABEL_WINDOW`]), 0–100.
pub const PROBE_UPTIME_PERCENT: &str = "probe_uptime_percent";

/// Label telling the window of an uptime series: `1h`, `24h` or `7d`.
pub const LABEL_WINDOW: &str = "window";

const fn info(name: &'static str, kind: SampleKind, help: &'static str) -> MetricInfo {
    MetricInfo { name, kind, help }
}

/// Every metric the probe source emits.
pub const ALL: [MetricInfo; 8] = [
    info(
        PROBE_UP,
        SampleKind::Gauge,
        "1 when at least one probe of the round was answered, else 0.",
    ),
    info(
        PROBE_LOSS_PERCENT,
        SampleKind::Gauge,
        "Share of the round's probes lost, percent.",
    ),
    info(PROBE_SENT, SampleKind::Gauge, "Probes sent in the round."),
    info(
        PROBE_RECEIVED,
        SampleKind::Gauge,
        "Probes answered in the round.",
    ),
    info(
        PROBE_RTT_SECONDS,
        SampleKind::Gauge,
        "Round-trip time (min, avg, max by stat) in seconds; time to first byte for HTTP.",
    ),
    info(
        PROBE_JITTER_SECONDS,
        SampleKind::Gauge,
        "Mean absolute difference of consecutive round-trip times, in seconds.",
    ),
    info(
        PROBE_HTTP_STATUS,
        SampleKind::Gauge,
        "Last HTTP status code of the round.",
    ),
    info(
        PROBE_UPTIME_PERCENT,
        SampleKind::Gauge,
        "Share of rounds that were up over the window (1h, 24h, 7d), percent.",
    ),
];

fn key(metric: &str, target: &str) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::with_label(metric, LABEL_TARGET, target))
}

/// Appends the samples of `report` to `frame`: all gauges; RTT and jitter only when measured.
pub fn push_report(frame: &mut Frame, report: &RoundReport) {
    for r in &report.results {
        let s = &r.stats;
        let t = r.name.as_str();
        frame.push(
            key(PROBE_UP, t),
            f64::from(u8::from(s.reachable)),
            SampleKind::Gauge,
        );
        frame.push(
            key(PROBE_LOSS_PERCENT, t),
            s.loss_percent,
            SampleKind::Gauge,
        );
        frame.push(key(PROBE_SENT, t), f64::from(s.sent), SampleKind::Gauge);
        frame.push(
            key(PROBE_RECEIVED, t),
            f64::from(s.received),
            SampleKind::Gauge,
        );
        for (stat, v) in [("min", s.rtt_min), ("avg", s.rtt_avg), ("max", s.rtt_max)] {
            if let Some(v) = v {
                let labels = Labels::from_pairs([(LABEL_TARGET, t), (LABEL_STAT, stat)]);
                let series = Arc::new(SeriesKey::new(PROBE_RTT_SECONDS, labels));
                frame.push(series, v.as_secs_f64(), SampleKind::Gauge);
            }
        }
        if let Some(j) = s.jitter {
            frame.push(
                key(PROBE_JITTER_SECONDS, t),
                j.as_secs_f64(),
                SampleKind::Gauge,
            );
        }
        if let Some(code) = r.http_status {
            frame.push(
                key(PROBE_HTTP_STATUS, t),
                f64::from(code),
                SampleKind::Gauge,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_each_metric_once() {
        let mut names: Vec<_> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL
            .iter()
            .all(|m| m.name.starts_with("probe_") && m.help.ends_with('.')));
    }
}
