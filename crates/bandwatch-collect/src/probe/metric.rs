//! Names of the probe series and how a round becomes samples. Every series carries the label
//! [`LABEL_TARGET`]; RTT series also carry [`LABEL_STAT`].

use std::sync::Arc;

use bandwatch_core::{Frame, Labels, SampleKind, SeriesKey};

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
