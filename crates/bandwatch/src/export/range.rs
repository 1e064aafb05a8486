//! The range and the tier of an export: `--hours`, `--since`/`--until` read into a half-open
//! window of epoch milliseconds, and the stored resolution that answers it (the same choice
//! the web API makes, [`Resolution::for_step`]) or the one `--step` asks for.

use std::time::Duration;

use bandwatch_core::human::escape_control;
use bandwatch_core::Timestamp;
use bandwatch_store::{Resolution, HOUR_MS, MINUTE_MS};
use chrono::{DateTime, TimeZone};

use crate::error::BadInput;

/// The window when neither `--hours` nor `--since` is given.
const DEFAULT_HOURS: f64 = 24.0;
/// The longest window accepted: a century is more than any history holds, and keeps every
/// sum of milliseconds far from overflowing.
const MAX_MS: i64 = 100 * 366 * 24 * HOUR_MS;

/// A half-open range of epoch milliseconds: `start <= ts < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First millisecond included.
    pub start: i64,
    /// First millisecond after the range.
    pub end: i64,
}

/// What the user typed for the range.
#[derive(Debug, Clone, Copy, Default)]
pub struct RangeArgs<'a> {
    /// `--hours N`.
    pub hours: Option<&'a str>,
    /// `--since TIME`.
    pub since: Option<&'a str>,
    /// `--until TIME`.
    pub until: Option<&'a str>,
}

/// The window the flags name, at `now` in the time zone `tz` (for local dates and times):
/// `--since` to `--until` (default now), or `--hours` back from `--until` (default 24).
pub fn window<Tz: TimeZone>(
    args: RangeArgs<'_>,
    now: Timestamp,
    tz: &Tz,
) -> Result<Window, BadInput> {
    let end = match args.until {
        Some(t) => instant("--until", t, now, tz)?,
        None => now.0,
    };
    let start = match (args.since, args.hours) {
        (Some(_), Some(_)) => {
            return Err(BadInput(
                "--since and --hours both give the start; use one of them".into(),
            ))
        }
        (Some(t), None) => instant("--since", t, now, tz)?,
        (None, hours) => {
            let ms = match hours {
                Some(h) => hours_ms(h)?,
                None => (DEFAULT_HOURS * HOUR_MS as f64) as i64,
            };
            end.saturating_sub(ms)
        }
    };
    if start >= end {
        return Err(BadInput(format!(
            "the range is backwards or empty: it starts at {} and ends at {}; the start must \
             come before the end",
            rfc3339(start),
            rfc3339(end)
        )));
    }
    if end.saturating_sub(start) > MAX_MS {
        return Err(BadInput(
            "the range is too large: at most 100 years; narrow --hours or --since/--until".into(),
        ));
    }
    Ok(Window { start, end })
}

/// `--hours`: a positive number of hours (fractions allowed), at most a century.
fn hours_ms(text: &str) -> Result<i64, BadInput> {
    let bad = || {
        BadInput(format!(
            "--hours: '{}' is not a number of hours; give a positive number such as 24 or 0.5 \
             (at most 876000, a century)",
            escape_control(text)
        ))
    };
    let h: f64 = text.trim().parse().map_err(|_| bad())?;
    let ms = h * HOUR_MS as f64;
    if !ms.is_finite() || ms < 1.0 || ms > MAX_MS as f64 {
        return Err(bad());
    }
    Ok(ms as i64)
}

/// One instant as `--since`/`--until` take it (see [`crate::when::instant`]), in epoch ms.
pub fn instant<Tz: TimeZone>(
    flag: &str,
    text: &str,
    now: Timestamp,
    tz: &Tz,
) -> Result<i64, BadInput> {
    crate::when::instant(flag, text, now, tz).map(|t| t.0)
}

/// An instant in RFC 3339, UTC, to the millisecond.
pub fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(
        || format!("{ms} ms"),
        |d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// How long each tier is kept and how often samples come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `store.raw_retention`.
    pub raw: Duration,
    /// `store.minute_retention`.
    pub minute: Duration,
    /// `store.hour_retention`.
    pub hour: Duration,
    /// `monitor.interval`: the raw points' nominal spacing.
    pub interval: Duration,
}

/// Which tier answers and its nominal step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The range.
    pub window: Window,
    /// Where the points come from.
    pub resolution: Resolution,
    /// The spacing of points: the sampling interval on the raw tier, else the rollup width.
    pub step_ms: i64,
}

/// The tier for `window`: the one `step` names, else the finest that still holds the
/// window's start (the web API's choice at the sampling interval). The message says what
/// part of the range an explicit `--step` cannot fill because that tier was pruned.
pub fn plan(
    window: Window,
    step: Option<Resolution>,
    now: Timestamp,
    limits: Limits,
) -> (Plan, Option<String>) {
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let interval = ms(limits.interval).max(1);
    let age = now.0.saturating_sub(window.start);
    let resolution = step
        .unwrap_or_else(|| Resolution::for_step(interval, age, ms(limits.raw), ms(limits.minute)));
    let (step_ms, kept, key) = match resolution {
        Resolution::Raw => (interval, limits.raw, "store.raw_retention"),
        Resolution::Minute => (MINUTE_MS, limits.minute, "store.minute_retention"),
        Resolution::Hour => (HOUR_MS, limits.hour, "store.hour_retention"),
    };
    let warning = (step.is_some() && age > ms(kept)).then(|| {
        format!(
            "the range starts {} ago but {} points are kept for {} ({key}): its oldest part \
             may have none",
            // To the hour: the minutes and seconds of an age in days are noise.
            humantime::format_duration(Duration::from_secs(age.unsigned_abs() / 3_600_000 * 3600)),
            resolution.as_str(),
            humantime::format_duration(kept),
        )
    });
    let plan = Plan {
        window,
        resolution,
        step_ms,
    };
    (plan, warning)
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::*;

    /// 2025-03-01T12:00:00Z.
    const NOW: Timestamp = Timestamp(1_740_830_400_000);

    fn win(
        hours: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Window, BadInput> {
        window(
            RangeArgs {
                hours,
                since,
                until,
            },
            NOW,
            &Utc,
        )
    }

    #[test]
    fn hours_count_back_from_until_or_now() {
        let w = win(Some("72"), None, None).expect("72 h");
        assert_eq!((w.start, w.end), (NOW.0 - 72 * HOUR_MS, NOW.0));
        let w = win(None, None, None).expect("default");
        assert_eq!(w.end - w.start, 24 * HOUR_MS);
        let w = win(Some("0.5"), None, Some("2025-03-01T00:00:00Z")).expect("half an hour");
        assert_eq!(
            (w.start, w.end),
            (1_740_787_200_000 - 30 * MINUTE_MS, 1_740_787_200_000)
        );
    }

    #[test]
    fn since_and_until_take_times_dates_and_durations() {
        let w = win(None, Some("2025-02-28"), Some("2025-03-01T06:00:00+01:00")).expect("dates");
        assert_eq!(w.start, 1_740_700_800_000);
        assert_eq!(w.end, 1_740_787_200_000 + 5 * HOUR_MS);
        let w = win(None, Some("36h"), None).expect("duration");
        assert_eq!(w.start, NOW.0 - 36 * HOUR_MS);
        let cet = FixedOffset::east_opt(3600).expect("offset");
        let t = instant("--since", "2025-03-01 12:30", NOW, &cet).expect("local");
        assert_eq!(t, NOW.0 - HOUR_MS + 30 * MINUTE_MS);
    }

    #[test]
    fn bad_ranges_say_what_to_change() {
        for (hours, since, until, says) in [
            (Some("0"), None, None, "--hours"),
            (Some("-3"), None, None, "--hours"),
            (Some("1e400"), None, None, "--hours"),
            (Some("99999999999999999999"), None, None, "--hours"),
            (Some("abc"), None, None, "--hours"),
            (None, Some("yesterday-ish"), None, "--since"),
            (None, Some("2025-03-02"), Some("2025-03-01"), "backwards"),
            (None, None, Some("9999999999999h"), "--until"),
            (Some("1"), Some("1h"), None, "both"),
            (None, Some("1970-01-01"), Some("2200-01-01"), "too large"),
        ] {
            let e = win(hours, since, until).expect_err(says);
            assert!(e.0.contains(says), "{says}: {}", e.0);
        }
    }

    const LIMITS: Limits = Limits {
        raw: Duration::from_secs(48 * 3600),
        minute: Duration::from_secs(30 * 86_400),
        hour: Duration::from_secs(730 * 86_400),
        interval: Duration::from_secs(1),
    };

    fn back(hours: i64) -> Window {
        Window {
            start: NOW.0 - hours * HOUR_MS,
            end: NOW.0,
        }
    }

    #[test]
    fn the_finest_tier_that_holds_the_start_unless_asked() {
        let (p, w) = plan(back(72), None, NOW, LIMITS);
        assert_eq!(
            (p.resolution, p.step_ms, w),
            (Resolution::Minute, MINUTE_MS, None)
        );
        let (p, _) = plan(back(24), None, NOW, LIMITS);
        assert_eq!((p.resolution, p.step_ms), (Resolution::Raw, 1000));
        let (p, _) = plan(back(24 * 365), None, NOW, LIMITS);
        assert_eq!(p.resolution, Resolution::Hour);
        let (p, w) = plan(back(72), Some(Resolution::Raw), NOW, LIMITS);
        assert_eq!(p.resolution, Resolution::Raw);
        let w = w.expect("a warning");
        assert!(
            w.contains("store.raw_retention") && w.contains("3days"),
            "{w}"
        );
        let (_, w) = plan(back(24), Some(Resolution::Hour), NOW, LIMITS);
        assert_eq!(w, None);
    }
}
