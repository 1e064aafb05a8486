//! Round statistics from a list of per-probe outcomes.

use std::time::Duration;

/// What one round of probes to one target measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundStats {
    /// Probes sent.
    pub sent: u32,
    /// Probes answered within the timeout.
    pub received: u32,
    /// Share of probes lost, 0–100.
    pub loss_percent: f64,
    /// Smallest round-trip time, `None` when nothing came back.
    pub rtt_min: Option<Duration>,
    /// Mean round-trip time.
    pub rtt_avg: Option<Duration>,
    /// Largest round-trip time.
    pub rtt_max: Option<Duration>,
    /// Mean absolute difference of consecutive answered RTTs; `None` with fewer than two.
    pub jitter: Option<Duration>,
    /// Whether at least one probe was answered.
    pub reachable: bool,
}

impl RoundStats {
    /// Statistics of `rtts`, one entry per probe sent in send order (`None` = lost).
    pub fn from_rtts(rtts: &[Option<Duration>]) -> Self {
        let sent = rtts.len() as u32;
        let got: Vec<Duration> = rtts.iter().flatten().copied().collect();
        let received = got.len() as u32;
        let loss_percent = if sent == 0 {
            0.0
        } else {
            f64::from(sent - received) * 100.0 / f64::from(sent)
        };
        let avg = (!got.is_empty()).then(|| {
            let sum: f64 = got.iter().map(Duration::as_secs_f64).sum();
            Duration::from_secs_f64(sum / got.len() as f64)
        });
        let jitter = (got.len() >= 2).then(|| {
            let sum: f64 = got
                .windows(2)
                .map(|w| (w[1].as_secs_f64() - w[0].as_secs_f64()).abs())
                .sum();
            Duration::from_secs_f64(sum / (got.len() - 1) as f64)
        });
        Self {
            sent,
            received,
            loss_percent,
            rtt_min: got.iter().min().copied(),
            rtt_avg: avg,
            rtt_max: got.iter().max().copied(),
            jitter,
            reachable: received > 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // reads as one entry of an RTT list
    fn ms(v: u64) -> Option<Duration> {
        Some(Duration::from_millis(v))
    }

    fn close(a: Option<Duration>, want_ms: f64) -> bool {
        a.is_some_and(|d| (d.as_secs_f64() * 1e3 - want_ms).abs() < 1e-6)
    }

    #[test]
    fn stats_of_a_mixed_round() {
        let s = RoundStats::from_rtts(&[ms(10), None, ms(30), ms(20), None]);
        assert_eq!((s.sent, s.received), (5, 3));
        assert!((s.loss_percent - 40.0).abs() < 1e-9);
        assert_eq!(s.rtt_min, ms(10));
        assert_eq!(s.rtt_max, ms(30));
        assert!(close(s.rtt_avg, 20.0));
        // Consecutive answered RTTs 10, 30, 20: |20| + |10| over 2.
        assert!(close(s.jitter, 15.0));
        assert!(s.reachable);
    }

    #[test]
    fn all_lost_is_unreachable_and_one_answer_has_no_jitter() {
        let s = RoundStats::from_rtts(&[None, None]);
        assert!(!s.reachable);
        assert!((s.loss_percent - 100.0).abs() < 1e-9);
        assert_eq!((s.rtt_min, s.rtt_avg, s.jitter), (None, None, None));
        let one = RoundStats::from_rtts(&[ms(5)]);
        assert!(one.loss_percent.abs() < 1e-9);
        assert_eq!(one.jitter, None);
        assert!(close(one.rtt_avg, 5.0));
        assert!(RoundStats::from_rtts(&[]).loss_percent.abs() < 1e-9);
    }
}
