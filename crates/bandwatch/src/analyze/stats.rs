//! The statistics of `analyze`, pure over plain points: average, peak and 95th percentile of
//! a rate, time above a level, the busiest hours of the day, a gauge's average and maximum,
//! a probe's uptime and round-trip percentiles. Tested on literals.

use bandwatch_core::Timestamp;

/// One rate reading: a raw sample (its rate over its interval), or a rollup bucket (its
/// mean, and its largest sample).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatePoint {
    /// When the interval (or bucket) starts or the sample was taken.
    pub at: Timestamp,
    /// The mean rate over the point.
    pub mean: f64,
    /// The largest single sample within it (the mean itself for a raw sample).
    pub max: f64,
    /// How much the point weighs in the average: its elapsed seconds for a raw sample, its
    /// sample count for a bucket.
    pub weight: f64,
    /// Wall seconds it stands for (time above a level counts these).
    pub seconds: f64,
}

/// A rate's summary over a range.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RateStats {
    /// The weighted mean.
    pub mean: f64,
    /// The largest single sample and when.
    pub peak: Option<(Timestamp, f64)>,
    /// The 95th percentile of the points' means (nearest rank).
    pub p95: Option<f64>,
}

/// Summarises `points`.
pub fn rate_stats(points: &[RatePoint]) -> RateStats {
    let weight: f64 = points.iter().map(|p| p.weight).sum();
    let mean = if weight > 0.0 {
        points.iter().map(|p| p.mean * p.weight).sum::<f64>() / weight
    } else {
        0.0
    };
    // The first of equal peaks: when it first happened. Silence has no peak.
    let peak = points
        .iter()
        .filter(|p| p.max > 0.0)
        .fold(None::<(Timestamp, f64)>, |best, p| match best {
            Some((_, v)) if v >= p.max => best,
            _ => Some((p.at, p.max)),
        });
    let means: Vec<f64> = points.iter().map(|p| p.mean).collect();
    RateStats {
        mean,
        peak,
        p95: percentile(&means, 95.0),
    }
}

/// The `p`th percentile by the nearest-rank method: the smallest value with at least `p` %
/// of the values at or below it; values that are not finite are left out. `None` for none.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    let n = finite.len() as f64;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 1..=len
    let rank = ((p / 100.0 * n).ceil() as usize).clamp(1, finite.len());
    // Selection, not a sort: a month of minutes is 43,200 values per series.
    let (_, v, _) = finite.select_nth_unstable_by(rank - 1, f64::total_cmp);
    Some(*v)
}

/// Wall seconds the rate's mean was above `level`.
pub fn seconds_above(points: &[RatePoint], level: f64) -> f64 {
    points
        .iter()
        .filter(|p| p.mean > level)
        .map(|p| p.seconds)
        .sum()
}

/// Bytes in one hour of the day (local), 0–23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourShare {
    /// The hour of the day.
    pub hour: u32,
    /// Bytes moved in that hour over every day of the range.
    pub bytes: u64,
}

/// The `n` hours of the day that moved the most bytes (most first; ties: earlier hour
/// first); hours without bytes are left out. `hour_of` gives a bucket's local hour.
pub fn busiest_hours(
    buckets: &[(Timestamp, f64)],
    hour_of: impl Fn(Timestamp) -> Option<u32>,
    n: usize,
) -> Vec<HourShare> {
    let mut by_hour = [0f64; 24];
    for (at, bytes) in buckets {
        if let Some(h) = hour_of(*at).filter(|h| *h < 24) {
            by_hour[h as usize] += bytes;
        }
    }
    let mut shares: Vec<HourShare> = (0u32..24)
        .zip(by_hour)
        .filter(|(_, b)| *b > 0.0)
        .map(|(hour, b)| HourShare {
            hour,
            bytes: whole(b),
        })
        .collect();
    shares.sort_by_key(|s| (std::cmp::Reverse(s.bytes), s.hour));
    shares.truncate(n);
    shares
}

/// A rollup bucket of a gauge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugePoint {
    /// The bucket's start.
    pub at: Timestamp,
    /// The sum of its samples.
    pub sum: f64,
    /// How many.
    pub count: u64,
    /// The largest.
    pub max: f64,
}

/// A gauge's summary: the mean of every sample, the largest and the bucket it was in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaugeStats {
    /// Mean over every sample.
    pub mean: f64,
    /// The largest sample.
    pub max: f64,
    /// The start of the bucket that held it.
    pub max_at: Timestamp,
}

/// Summarises a gauge's buckets; `None` without samples.
pub fn gauge_stats(points: &[GaugePoint]) -> Option<GaugeStats> {
    let count: u64 = points.iter().map(|p| p.count).sum();
    if count == 0 {
        return None;
    }
    let sum: f64 = points.iter().map(|p| p.sum).sum();
    let top =
        points
            .iter()
            .filter(|p| p.count > 0)
            .fold(None::<&GaugePoint>, |best, p| match best {
                Some(b) if b.max >= p.max => Some(b),
                _ => Some(p),
            })?;
    Some(GaugeStats {
        mean: sum / count as f64,
        max: top.max,
        max_at: top.at,
    })
}

/// A probe target's availability over the range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uptime {
    /// Share of rounds that were up, percent.
    pub percent: f64,
    /// Rounds in the range.
    pub rounds: u64,
    /// Seconds it was down: each bucket's width times its share of rounds down.
    pub down_seconds: f64,
}

/// Uptime from `probe_up` buckets (`sum` rounds up of `count`), each `width_s` seconds wide
/// (paired with the point).
pub fn uptime(points: &[(GaugePoint, f64)]) -> Option<Uptime> {
    let rounds: u64 = points.iter().map(|(p, _)| p.count).sum();
    if rounds == 0 {
        return None;
    }
    let up: f64 = points.iter().map(|(p, _)| p.sum).sum();
    let down_seconds = points
        .iter()
        .filter(|(p, _)| p.count > 0)
        .map(|(p, w)| (1.0 - p.sum / p.count as f64) * w)
        .sum();
    Some(Uptime {
        percent: up * 100.0 / rounds as f64,
        rounds,
        down_seconds,
    })
}

/// A non-negative float as the whole number it stands for.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, rounded
pub fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // small exact values
mod tests {
    use super::*;

    fn raw(secs: i64, bps: f64) -> RatePoint {
        RatePoint {
            at: Timestamp(secs * 1000),
            mean: bps,
            max: bps,
            weight: 10.0,
            seconds: 10.0,
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        let few = vec![3.0, f64::NAN, 1.0, 2.0];
        assert_eq!(percentile(&few, 95.0), Some(3.0));
        assert_eq!(percentile(&few, 50.0), Some(2.0));
        assert_eq!(percentile(&[], 95.0), None);
    }

    #[test]
    fn the_mean_weighs_points_and_the_peak_is_the_first_largest_sample() {
        let mut points = vec![raw(0, 100.0), raw(10, 300.0), raw(20, 300.0)];
        points[0].weight = 20.0;
        let s = rate_stats(&points);
        // (100·20 + 300·10 + 300·10) / 40
        assert_eq!(s.mean, 200.0);
        assert_eq!(s.peak, Some((Timestamp(10_000), 300.0)));
        assert_eq!(s.p95, Some(300.0));
        assert_eq!(rate_stats(&[]), RateStats::default());
        assert_eq!(rate_stats(&[raw(0, 0.0)]).peak, None);
        // A bucket's peak is its largest sample, not its mean.
        let bucket = RatePoint {
            max: 900.0,
            ..raw(60, 120.0)
        };
        assert_eq!(rate_stats(&[bucket]).peak, Some((Timestamp(60_000), 900.0)));
        assert_eq!(seconds_above(&points, 150.0), 20.0);
    }

    #[test]
    fn busiest_hours_add_up_every_day_and_skip_empty_hours() {
        let h = |day: i64, hour: i64| Timestamp((day * 24 + hour) * 3_600_000);
        let buckets = [
            (h(0, 21), 500.0),
            (h(1, 21), 600.0),
            (h(0, 8), 900.0),
            (h(1, 3), 100.0),
            (h(1, 4), 0.0),
        ];
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let utc_hour = |t: Timestamp| Some((t.0 / 3_600_000 % 24) as u32);
        let top = busiest_hours(&buckets, utc_hour, 2);
        assert_eq!(
            top,
            [
                HourShare {
                    hour: 21,
                    bytes: 1100
                },
                HourShare {
                    hour: 8,
                    bytes: 900
                }
            ]
        );
        assert_eq!(busiest_hours(&buckets, utc_hour, 9).len(), 3);
    }

    fn g(at: i64, sum: f64, count: u64, max: f64) -> GaugePoint {
        GaugePoint {
            at: Timestamp(at),
            sum,
            count,
            max,
        }
    }

    #[test]
    fn gauges_average_every_sample_and_keep_the_bucket_of_the_maximum() {
        let s = gauge_stats(&[
            g(0, 30.0, 3, 20.0),
            g(60, 90.0, 1, 90.0),
            g(120, 0.0, 0, 0.0),
        ])
        .expect("stats");
        assert_eq!(s.mean, 30.0);
        assert_eq!((s.max, s.max_at), (90.0, Timestamp(60)));
        assert_eq!(gauge_stats(&[g(0, 0.0, 0, 0.0)]), None);
    }

    #[test]
    fn uptime_counts_rounds_and_down_time_by_bucket() {
        let u = uptime(&[
            (g(0, 2.0, 2, 1.0), 60.0),
            (g(60, 0.0, 2, 0.0), 60.0),
            (g(120, 1.0, 2, 1.0), 60.0),
            (g(180, 2.0, 2, 1.0), 60.0),
        ])
        .expect("uptime");
        assert_eq!(u.percent, 62.5);
        assert_eq!(u.rounds, 8);
        assert_eq!(u.down_seconds, 90.0);
        assert_eq!(uptime(&[]), None);
    }
}
