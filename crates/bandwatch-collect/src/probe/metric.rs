//! Names of the probe series and how a round becomes samples. Every series carries the label
//! [`LABEL_TARGET`]; RTT series also carry [`LABEL_STAT`], uptime series [`LABEL_WINDOW`].

use std::sync::Arc;

use bandwatch_core::{Frame, LabelDef, Labels, MetricDef, Role, SampleKind, SeriesKey, Unit};

use super::round::RoundReport;

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

/// Unix time, in seconds, of the last round in which the target answered.
pub const PROBE_LAST_SEEN_TIMESTAMP_SECONDS: &str = "probe_last_seen_timestamp_seconds";

/// Label telling the window of an uptime series: `1h`, `24h` or `7d`.
pub const LABEL_WINDOW: &str = "window";

const TARGET: &[&str] = &[LABEL_TARGET];

/// Every metric the probe source emits (uptime and last seen are added by the agent from the
/// history).
pub const ALL: [MetricDef; 9] = [
    MetricDef::gauge(
        PROBE_UP,
        Unit::Boolean,
        TARGET,
        "bandwatch_probe_up",
        "1 when at least one probe of the last round was answered, else 0.",
    )
    .role(Role::ProbeUp),
    MetricDef::gauge(
        PROBE_LOSS_PERCENT,
        Unit::Percent,
        TARGET,
        "bandwatch_probe_loss_ratio",
        "Share of the last round's probes lost (0-1).",
    )
    .role(Role::ProbeLoss),
    MetricDef::new(
        PROBE_SENT,
        SampleKind::Delta,
        Unit::Count,
        TARGET,
        "bandwatch_probe_sent_total",
        "Probes sent.",
    ),
    MetricDef::new(
        PROBE_RECEIVED,
        SampleKind::Delta,
        Unit::Count,
        TARGET,
        "bandwatch_probe_received_total",
        "Probes answered.",
    ),
    MetricDef::gauge(
        PROBE_RTT_SECONDS,
        Unit::Seconds,
        &[LABEL_TARGET, LABEL_STAT],
        "bandwatch_probe_rtt_seconds",
        "Round-trip time of the last round (min, avg, max by stat) in seconds.",
    )
    .role(Role::ProbeRtt),
    MetricDef::gauge(
        PROBE_JITTER_SECONDS,
        Unit::Seconds,
        TARGET,
        "bandwatch_probe_jitter_seconds",
        "Mean absolute difference of consecutive round-trip times, in seconds.",
    )
    .role(Role::ProbeJitter),
    MetricDef::gauge(
        PROBE_HTTP_STATUS,
        Unit::Number,
        TARGET,
        "bandwatch_probe_http_status_code",
        "Last HTTP status code of the round.",
    ),
    MetricDef::gauge(
        PROBE_UPTIME_PERCENT,
        Unit::Percent,
        &[LABEL_TARGET, LABEL_WINDOW],
        "bandwatch_probe_uptime_ratio",
        "Share of rounds that were up over the window (1h, 24h, 7d), 0-1.",
    )
    .role(Role::ProbeUptime),
    MetricDef::gauge(
        PROBE_LAST_SEEN_TIMESTAMP_SECONDS,
        Unit::Seconds,
        TARGET,
        "bandwatch_probe_last_seen_timestamp_seconds",
        "Unix time of the last round in which the target answered, in seconds (absent while it never has).",
    )
    .role(Role::ProbeLastSeen),
];

/// The labels of probe series, for people and exporters.
pub const LABELS: [LabelDef; 3] = [
    LabelDef {
        name: LABEL_TARGET,
        help: "The probed target's name.",
        prometheus: None,
    },
    LabelDef {
        name: LABEL_STAT,
        help: "Which round-trip statistic: min, avg or max.",
        prometheus: None,
    },
    LabelDef {
        name: LABEL_WINDOW,
        help: "The uptime window: 1h, 24h or 7d.",
        prometheus: None,
    },
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
        frame.push(key(PROBE_SENT, t), f64::from(s.sent), SampleKind::Delta);
        frame.push(
            key(PROBE_RECEIVED, t),
            f64::from(s.received),
            SampleKind::Delta,
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
