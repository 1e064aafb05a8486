//! The forecast of a data cap: how much a period will have used by its end, and when the cap
//! will be reached. A straight line (vnstat's estimate) reads a Friday evening's usage into
//! every remaining hour; people's traffic has a weekly shape instead, so this forecast
//! predicts each remaining hour from the hours of the same kind in the last weeks (weekday
//! or weekend, and hour of day), scaled to the level of the last seven days and carried on
//! along the trend of the weekly levels.
//!
//! With less history it falls back gracefully: under a week, one hour-of-day profile over
//! every day seen; under a day, the straight line of the rate seen so far; under an hour,
//! nothing beyond what is used (a few seconds of a download are no month's rate, and the
//! forecast alert would fire on them after every fresh start).
//!
//! Pure: the caller gives the hourly usage (exact sums from the store), the instants, and
//! the function that says which kind of hour an instant is in the local time zone.

use bandwatch_core::Timestamp;

/// One hour in milliseconds; hour buckets start on whole hours of epoch time.
pub const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const WEEK_MS: i64 = 7 * DAY_MS;

/// The least history a forecast is made from: an hour.
pub const LEAST_HISTORY_MS: i64 = HOUR_MS;

/// The longest history the profile reads: five weeks.
pub const HISTORY_MS: i64 = 5 * WEEK_MS;

/// The kind of an hour for the profile: weekday or weekend, and the local hour of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Saturday or Sunday.
    pub weekend: bool,
    /// The local hour of day, 0–23.
    pub hour: u8,
}

impl Slot {
    /// Index into a weekday/weekend × hour-of-day table.
    fn week_index(self) -> usize {
        usize::from(self.weekend) * 24 + usize::from(self.hour.min(23))
    }

    /// Index into an hour-of-day table.
    fn day_index(self) -> usize {
        usize::from(self.hour.min(23))
    }
}

/// Bytes used in one hour bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HourUsage {
    /// The first instant of the hour.
    pub start: Timestamp,
    /// Bytes in it (a bucket holding `now` is partial).
    pub bytes: f64,
}

/// What the forecast is computed from.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Hour buckets before `now`, in any order; hours missing inside the history count as
    /// zero (a machine that was off used nothing).
    pub history: &'a [HourUsage],
    /// When the history starts (the first instant anything was recorded), at most `now`.
    pub since: Timestamp,
    /// The instant of the forecast.
    pub now: Timestamp,
    /// The end of the period.
    pub end: Timestamp,
    /// Bytes used so far in the period.
    pub used: f64,
    /// The cap, in bytes.
    pub limit: f64,
}

/// How the rest of the period was predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Under an hour recorded: nothing more is expected yet.
    None,
    /// Under a day of history: the rate seen so far.
    Linear,
    /// Under a week: the hour-of-day profile.
    HourOfDay,
    /// A week or more: the weekday/weekend × hour-of-day profile at the last week's level.
    Weekly,
}

impl Method {
    /// The name shown in reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Linear => "linear",
            Self::HourOfDay => "hour_of_day",
            Self::Weekly => "weekly",
        }
    }
}

/// The forecast of a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    /// Bytes the period is expected to have used at its end (never below `used`).
    pub total: f64,
    /// When the cap will be reached: `now` when it already is, `None` when not before the
    /// period ends.
    pub reach: Option<Timestamp>,
    /// How it was predicted.
    pub method: Method,
}

/// Predicts the period's total and when the cap is reached; `slot` says what kind of hour
/// an instant is in (the caller's local time zone).
pub fn forecast(input: &Input<'_>, slot: impl Fn(Timestamp) -> Slot) -> Forecast {
    let used = clean(input.used);
    let limit = clean(input.limit);
    let now = input.now;
    let end = input.end.max(now);
    let since = input.since.min(now).max(Timestamp(now.0 - HISTORY_MS));
    let seen_ms = now.0 - since.0;
    let history: Vec<HourUsage> = input
        .history
        .iter()
        .filter(|h| h.start.0 + HOUR_MS > since.0 && h.start < now)
        .map(|h| HourUsage {
            start: h.start,
            bytes: clean(h.bytes),
        })
        .collect();
    let (method, per_hour) = if seen_ms < LEAST_HISTORY_MS {
        (Method::None, Rate::Flat(0.0))
    } else if seen_ms < DAY_MS {
        #[allow(clippy::cast_precision_loss)] // under a day of milliseconds
        let rate = history.iter().map(|h| h.bytes).sum::<f64>() / seen_ms as f64;
        (Method::Linear, Rate::Flat(rate * HOUR_MS as f64))
    } else if seen_ms < WEEK_MS {
        let table = profile(&history, since, now, &slot, Slot::day_index, 24);
        (Method::HourOfDay, Rate::ByDay(table))
    } else {
        let mut table = profile(&history, since, now, &slot, Slot::week_index, 48);
        let level = week_level(&history, now, 0, &slot, &table);
        let trend = trend(&history, now, seen_ms, &slot, &table);
        for v in &mut table {
            *v *= level;
        }
        (Method::Weekly, Rate::ByWeek { table, trend, now })
    };
    walk(used, limit, now, end, &per_hour, &slot, method)
}

/// Bytes per hour of the rest of the period.
enum Rate {
    Flat(f64),
    ByDay(Vec<f64>),
    /// The profile at the last week's level, which moves by `trend` (a share of itself)
    /// per week after the middle of that week.
    ByWeek {
        table: Vec<f64>,
        trend: f64,
        now: Timestamp,
    },
}

impl Rate {
    fn per_hour(&self, at: Timestamp, s: Slot) -> f64 {
        match self {
            Self::Flat(r) => *r,
            Self::ByDay(t) => t[s.day_index()],
            Self::ByWeek { table, trend, now } => {
                #[allow(clippy::cast_precision_loss)] // weeks of milliseconds
                let weeks = (at.0 - now.0 + WEEK_MS / 2) as f64 / WEEK_MS as f64;
                table[s.week_index()] * (1.0 + trend * weeks).max(0.0)
            }
        }
    }
}

/// A finite, non-negative amount (anything else counts as nothing).
fn clean(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        0.0
    }
}

/// The mean bytes per hour of each kind of hour over the complete hours in `[since, now)`,
/// missing hours counted as zero.
fn profile(
    history: &[HourUsage],
    since: Timestamp,
    now: Timestamp,
    slot: &impl Fn(Timestamp) -> Slot,
    index: fn(Slot) -> usize,
    width: usize,
) -> Vec<f64> {
    let mut sums = vec![0.0; width];
    let mut hours = vec![0u32; width];
    // every complete hour of the history counts once, whether or not it has a bucket
    let first = Timestamp(since.0.div_euclid(HOUR_MS) * HOUR_MS + HOUR_MS);
    let mut t = first;
    while t.0 + HOUR_MS <= now.0 {
        hours[index(slot(t))] += 1;
        t = Timestamp(t.0 + HOUR_MS);
    }
    for h in history {
        let start = h.start.floor_to(HOUR_MS);
        if start >= first && start.0 + HOUR_MS <= now.0 {
            sums[index(slot(start))] += h.bytes;
        }
    }
    let mut table: Vec<f64> = sums
        .iter()
        .zip(&hours)
        .map(|(s, n)| if *n > 0 { s / f64::from(*n) } else { -1.0 })
        .collect();
    // A kind of hour not seen yet (a weekend hour after five weekdays) borrows the mean of
    // the hours seen, so that it is neither zero nor made up.
    let seen: Vec<f64> = table.iter().copied().filter(|v| *v >= 0.0).collect();
    #[allow(clippy::cast_precision_loss)] // at most 48 entries
    let mean = if seen.is_empty() {
        0.0
    } else {
        seen.iter().sum::<f64>() / seen.len() as f64
    };
    for v in &mut table {
        if *v < 0.0 {
            *v = mean;
        }
    }
    table
}

/// How the weekly level moves, as a share of the last week's per week: the slope of a
/// straight line through the levels of the whole weeks seen (at most five), so that a steady
/// rise (more people, a new habit) goes on while one odd week moves it little; damped to at
/// most half again or a third less a week.
fn trend(
    history: &[HourUsage],
    now: Timestamp,
    seen_ms: i64,
    slot: &impl Fn(Timestamp) -> Slot,
    table: &[f64],
) -> f64 {
    let weeks = (seen_ms / WEEK_MS).min(HISTORY_MS / WEEK_MS);
    if weeks < 2 {
        return 0.0;
    }
    // x: weeks before now (negated so that time runs forward), y: that week's level
    let points: Vec<(f64, f64)> = (0..weeks)
        .map(|back| {
            #[allow(clippy::cast_precision_loss)] // at most five
            let x = -(back as f64);
            (x, week_level(history, now, back, slot, table))
        })
        .collect();
    #[allow(clippy::cast_precision_loss)] // at most five
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let last = points[0].1;
    if sxx > 0.0 && last > 0.0 {
        (sxy / sxx / last).clamp(-0.33, 0.5)
    } else {
        0.0
    }
}

/// The usage of the seven days ending `weeks_back` weeks before `now` over what the profile
/// says they should have used: how much busier (or quieter) that week was than the weeks
/// behind the profile.
fn week_level(
    history: &[HourUsage],
    now: Timestamp,
    weeks_back: i64,
    slot: &impl Fn(Timestamp) -> Slot,
    table: &[f64],
) -> f64 {
    let now = Timestamp(now.0 - weeks_back * WEEK_MS);
    let from = Timestamp(now.0 - WEEK_MS);
    let actual: f64 = history
        .iter()
        .filter(|h| h.start >= from && h.start.0 + HOUR_MS <= now.0)
        .map(|h| h.bytes)
        .sum();
    let mut expected = 0.0;
    let mut t = Timestamp(from.0.div_euclid(HOUR_MS) * HOUR_MS);
    if t < from {
        t = Timestamp(t.0 + HOUR_MS);
    }
    while t.0 + HOUR_MS <= now.0 {
        expected += table[slot(t).week_index()];
        t = Timestamp(t.0 + HOUR_MS);
    }
    if expected > 0.0 {
        // A week far off the profile (a holiday, a new habit) moves the level, within reason.
        (actual / expected).clamp(0.2, 5.0)
    } else {
        1.0
    }
}

/// Adds the predicted hours from `now` to `end` to `used`, noting when `limit` is crossed.
fn walk(
    used: f64,
    limit: f64,
    now: Timestamp,
    end: Timestamp,
    rate: &Rate,
    slot: &impl Fn(Timestamp) -> Slot,
    method: Method,
) -> Forecast {
    let mut total = used;
    let mut reach = (limit > 0.0 && used >= limit).then_some(now);
    let mut t = now;
    while t < end {
        let hour_end = Timestamp(t.0.div_euclid(HOUR_MS) * HOUR_MS + HOUR_MS).min(end);
        #[allow(clippy::cast_precision_loss)] // at most an hour of milliseconds
        let share = (hour_end.0 - t.0) as f64 / HOUR_MS as f64;
        let add = rate.per_hour(t, slot(t)) * share;
        if reach.is_none() && limit > 0.0 && add > 0.0 && total + add >= limit {
            let into = (limit - total) / add * (hour_end.0 - t.0) as f64;
            #[allow(clippy::cast_possible_truncation)] // within the hour
            let at = t.0 + (into.ceil() as i64).clamp(0, hour_end.0 - t.0);
            reach = Some(Timestamp(at));
        }
        total += add;
        t = hour_end;
    }
    Forecast {
        total: total.max(used),
        reach,
        method,
    }
}

#[cfg(test)]
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// 2026-01-05T00:00:00Z, a Monday.
    const MONDAY: i64 = 1_767_571_200_000;

    /// Hour kinds in UTC, the week starting on Monday.
    fn utc(t: Timestamp) -> Slot {
        let days = (t.0 - MONDAY).div_euclid(DAY_MS);
        Slot {
            weekend: days.rem_euclid(7) >= 5,
            hour: ((t.0.div_euclid(HOUR_MS)).rem_euclid(24)) as u8,
        }
    }

    /// A small deterministic noise in [0.8, 1.2).
    fn noise(i: i64) -> f64 {
        let x = (i.wrapping_mul(2_654_435_761) ^ (i >> 3)).rem_euclid(1000) as f64;
        0.8 + 0.4 * x / 1000.0
    }

    const MB: f64 = 1e6;

    /// Heavy weekday evenings (streaming after work), a light rest.
    fn weekday_evenings(t: Timestamp, i: i64) -> f64 {
        let s = utc(t);
        let base = if !s.weekend && (18..23).contains(&s.hour) {
            1000.0 * MB
        } else if s.weekend && (10..22).contains(&s.hour) {
            150.0 * MB
        } else {
            30.0 * MB
        };
        base * noise(i)
    }

    /// Heavy weekends, light weekdays.
    fn weekends(t: Timestamp, i: i64) -> f64 {
        let s = utc(t);
        let base = if s.weekend && (9..24).contains(&s.hour) {
            900.0 * MB
        } else if (19..23).contains(&s.hour) {
            150.0 * MB
        } else {
            20.0 * MB
        };
        base * noise(i)
    }

    /// A daily shape on a level growing 2 % a day.
    fn ramp(t: Timestamp, i: i64) -> f64 {
        let s = utc(t);
        let day = (t.0 - MONDAY) as f64 / DAY_MS as f64;
        let shape = if (8..23).contains(&s.hour) {
            200.0
        } else {
            40.0
        };
        shape * MB * 1.02f64.powf(day) * noise(i)
    }

    /// Mean absolute error of the end-of-period total, forecast and straight line, over
    /// forecasts made every six hours of 30-day periods started at several weekdays after
    /// five weeks of history.
    fn backtest(pattern: fn(Timestamp, i64) -> f64) -> (f64, f64) {
        let hours: Vec<HourUsage> = (0..24 * 80)
            .map(|i| {
                let start = Timestamp(MONDAY + i * HOUR_MS);
                HourUsage {
                    start,
                    bytes: pattern(start, i),
                }
            })
            .collect();
        let (mut ours, mut line, mut n) = (0.0, 0.0, 0.0);
        for first_day in 35..42 {
            let start = MONDAY + first_day * DAY_MS;
            let end = start + 30 * DAY_MS;
            let actual: f64 = hours
                .iter()
                .filter(|h| h.start.0 >= start && h.start.0 < end)
                .map(|h| h.bytes)
                .sum();
            let mut now = start + 6 * HOUR_MS;
            while now < end {
                let used: f64 = hours
                    .iter()
                    .filter(|h| h.start.0 >= start && h.start.0 < now)
                    .map(|h| h.bytes)
                    .sum();
                let history: Vec<HourUsage> =
                    hours.iter().copied().filter(|h| h.start.0 < now).collect();
                let input = Input {
                    history: &history,
                    since: Timestamp(MONDAY),
                    now: Timestamp(now),
                    end: Timestamp(end),
                    used,
                    limit: f64::MAX,
                };
                let f = forecast(&input, utc);
                assert_eq!(f.method, Method::Weekly);
                ours += (f.total - actual).abs();
                let straight = used * (end - start) as f64 / (now - start) as f64;
                line += (straight - actual).abs();
                n += 1.0;
                now += 6 * HOUR_MS;
            }
        }
        (ours / n, line / n)
    }

    #[test]
    fn beats_a_straight_line_on_weekly_patterns() {
        for (name, pattern, factor) in [
            (
                "weekday evenings",
                weekday_evenings as fn(Timestamp, i64) -> f64,
                5.0,
            ),
            ("weekends", weekends, 5.0),
            ("ramp", ramp, 2.5),
        ] {
            let (ours, line) = backtest(pattern);
            eprintln!(
                "{name}: mean absolute error {:.1} GB (forecast) vs {:.1} GB (straight line), {:.1}x better",
                ours / 1e9,
                line / 1e9,
                line / ours
            );
            assert!(
                ours * factor < line,
                "{name}: forecast {ours} not {factor}x better than straight line {line}"
            );
        }
    }

    fn input(history: &[HourUsage], since: i64, now: i64, end: i64, used: f64) -> Input<'_> {
        Input {
            history,
            since: Timestamp(since),
            now: Timestamp(now),
            end: Timestamp(end),
            used,
            limit: 1e12,
        }
    }

    #[test]
    fn under_a_day_is_a_straight_line_of_the_rate_seen() {
        let history = [
            HourUsage {
                start: Timestamp(MONDAY),
                bytes: 100.0,
            },
            HourUsage {
                start: Timestamp(MONDAY + HOUR_MS),
                bytes: 100.0,
            },
        ];
        let f = forecast(
            &input(
                &history,
                MONDAY,
                MONDAY + 2 * HOUR_MS,
                MONDAY + 12 * HOUR_MS,
                200.0,
            ),
            utc,
        );
        assert_eq!(f.method, Method::Linear);
        assert!((f.total - 1200.0).abs() < 1e-6, "{}", f.total);
    }

    #[test]
    fn under_a_week_follows_the_hour_of_day() {
        // three days: 10 bytes in each hour 0-11, 1000 in each hour 12-23
        let history: Vec<HourUsage> = (0..72)
            .map(|i| HourUsage {
                start: Timestamp(MONDAY + i * HOUR_MS),
                bytes: if i % 24 < 12 { 10.0 } else { 1000.0 },
            })
            .collect();
        let now = MONDAY + 72 * HOUR_MS;
        let f = forecast(&input(&history, MONDAY, now, now + 12 * HOUR_MS, 0.0), utc);
        assert_eq!(f.method, Method::HourOfDay);
        assert!((f.total - 120.0).abs() < 1e-6, "morning only: {}", f.total);
        let f = forecast(&input(&history, MONDAY, now, now + 24 * HOUR_MS, 0.0), utc);
        assert!(
            (f.total - 12_120.0).abs() < 1e-6,
            "a whole day: {}",
            f.total
        );
    }

    #[test]
    fn the_reach_instant_falls_inside_the_crossing_hour() {
        let history: Vec<HourUsage> = (0..10)
            .map(|i| HourUsage {
                start: Timestamp(MONDAY + i * HOUR_MS),
                bytes: 100.0,
            })
            .collect();
        let now = MONDAY + 10 * HOUR_MS;
        let mut i = input(&history, MONDAY, now, now + 10 * HOUR_MS, 1000.0);
        i.limit = 1250.0;
        let f = forecast(&i, utc);
        // 100 bytes an hour: 250 more bytes take two and a half hours
        assert_eq!(f.reach, Some(Timestamp(now + 5 * HOUR_MS / 2)));
        i.limit = 900.0;
        assert_eq!(
            forecast(&i, utc).reach,
            Some(Timestamp(now)),
            "already over"
        );
        i.limit = 5000.0;
        assert_eq!(forecast(&i, utc).reach, None, "not this period");
    }

    #[test]
    fn under_an_hour_expects_nothing_more() {
        let f = forecast(&input(&[], MONDAY, MONDAY, MONDAY + DAY_MS, 5.0), utc);
        assert_eq!((f.method, f.total, f.reach), (Method::None, 5.0, None));
        let seconds = [HourUsage {
            start: Timestamp(MONDAY),
            bytes: 1e9,
        }];
        let now = MONDAY + 59 * 60_000;
        let f = forecast(&input(&seconds, MONDAY, now, MONDAY + DAY_MS, 1e9), utc);
        assert_eq!((f.method, f.total), (Method::None, 1e9));
    }

    fn arb_history() -> impl Strategy<Value = Vec<HourUsage>> {
        prop::collection::vec(
            (
                0i64..24 * 50,
                prop_oneof![0.0..1e12f64, Just(f64::NAN), Just(-5.0)],
            ),
            0..200,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(h, bytes)| HourUsage {
                    start: Timestamp(MONDAY + h * HOUR_MS),
                    bytes,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn never_below_used_and_monotone(
            history in arb_history(),
            since_h in 0i64..24 * 50,
            now_h in 0i64..24 * 50,
            now_ms in 0i64..HOUR_MS,
            rest_h in 0i64..24 * 31,
            used in 0.0..1e15f64,
            more in 0.0..1e12f64,
            limit in 0.0..1e15f64,
        ) {
            let now = MONDAY + now_h * HOUR_MS + now_ms;
            let since = MONDAY + since_h * HOUR_MS;
            let end = now + rest_h * HOUR_MS;
            let mut i = input(&history, since, now, end, used);
            i.limit = limit;
            let f = forecast(&i, utc);
            prop_assert!(f.total.is_finite());
            prop_assert!(f.total >= used);
            if let Some(r) = f.reach {
                prop_assert!(r.0 >= now && r.0 <= end.max(now));
            }
            // more usage so far, or a longer period, never forecasts less
            let mut higher = i;
            higher.used = used + more;
            prop_assert!(forecast(&higher, utc).total >= f.total);
            let mut longer = i;
            longer.end = Timestamp(end + 5 * HOUR_MS);
            prop_assert!(forecast(&longer, utc).total >= f.total);
        }
    }
}
