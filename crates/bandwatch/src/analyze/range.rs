//! The range `analyze` looks at, from `--hours`, `--since` and `--until`, and the resolution
//! its rate statistics are computed at. Pure: "now" and the time zone are arguments.

use bandwatch_core::Timestamp;
use bandwatch_store::{Retention, MINUTE_MS};
use chrono::TimeZone;
use serde::Serialize;

use crate::error::BadInput;

/// Hours in the range when neither `--hours` nor `--since` says.
pub const DEFAULT_HOURS: u64 = 24;
/// The longest range asked for in hours (ten years): beyond it every tier is empty anyway.
const MAX_HOURS: u64 = 10 * 366 * 24;
const HOUR_MS: i64 = 3_600_000;

/// `[from, to)`, `from` on a whole minute (the rollups' grain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first instant.
    pub from: Timestamp,
    /// The first instant after the range.
    pub to: Timestamp,
}

impl Range {
    /// The range as read at `resolution`: beyond the raw tier it starts on a whole hour, so
    /// every series is read from its hour rollups with no partial first hour (which would
    /// mean unpacking a block of minutes per series for at most 59 of them).
    #[must_use]
    pub fn aligned(self, resolution: Resolution) -> Self {
        match resolution {
            Resolution::Raw => self,
            Resolution::Minute | Resolution::Hour => Self {
                from: self.from.floor_to(HOUR_MS),
                ..self
            },
        }
    }

    /// The length in seconds.
    pub fn seconds(&self) -> i64 {
        (self.to.0 - self.from.0) / 1000
    }
}

/// The finest data the rate statistics (average, peak, 95th percentile) were computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Every sample (the range is within the raw retention).
    Raw,
    /// Minute rollups: averages of each minute, peaks still the largest sample.
    Minute,
    /// Hour rollups.
    Hour,
}

impl Resolution {
    /// Words for the report's header.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Raw => "every sample",
            Self::Minute => "1-minute averages (peaks are single samples)",
            Self::Hour => "1-hour averages (peaks are single samples)",
        }
    }

    /// The tier for a range that starts at `from`, seen at `now`: the finest one that still
    /// holds the whole range.
    pub fn for_range(from: Timestamp, now: Timestamp, retention: &Retention) -> Self {
        // A minute of grace: `--hours 720` starts on the whole minute before now − 720 h,
        // and pruning runs far less often than once a minute.
        let age = |d: std::time::Duration| {
            now.add_millis(-i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2) - MINUTE_MS)
        };
        if from >= age(retention.raw) {
            Self::Raw
        } else if from >= age(retention.minute) {
            Self::Minute
        } else {
            Self::Hour
        }
    }
}

/// The range the flags describe: `--since`/`--until` as given (either open end filled by
/// `--hours` or by now and 24 h), else the last `--hours` (24) before now.
pub fn resolve<Tz: TimeZone>(
    hours: Option<u64>,
    since: Option<&str>,
    until: Option<&str>,
    now: Timestamp,
    tz: &Tz,
) -> Result<Range, BadInput> {
    if let Some(h) = hours {
        if h == 0 || h > MAX_HOURS {
            return Err(BadInput(format!(
                "--hours: {h} is out of range; give 1 to {MAX_HOURS} hours"
            )));
        }
    }
    let span = |h: u64| i64::try_from(h).unwrap_or(0) * HOUR_MS;
    let since = since
        .map(|s| crate::when::instant("--since", s, now, tz))
        .transpose()?;
    let until = until
        .map(|s| crate::when::instant("--until", s, now, tz))
        .transpose()?;
    let (from, to) = match (since, until, hours) {
        (Some(_), Some(_), Some(_)) => {
            return Err(BadInput(
                "--hours with both --since and --until says the range twice; drop one of them"
                    .into(),
            ))
        }
        (Some(f), Some(t), None) => (f, t),
        (Some(f), None, h) => (f, h.map_or(now, |h| f.add_millis(span(h)))),
        (None, Some(t), h) => (t.add_millis(-span(h.unwrap_or(DEFAULT_HOURS))), t),
        (None, None, h) => (now.add_millis(-span(h.unwrap_or(DEFAULT_HOURS))), now),
    };
    let from = from.floor_to(MINUTE_MS);
    if from >= to {
        return Err(BadInput(format!(
            "the range is empty: it starts at {} and ends at {}; --since must be before --until",
            from.to_rfc3339(),
            to.to_rfc3339()
        )));
    }
    Ok(Range { from, to })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::FixedOffset;

    use super::*;

    /// 2026-03-10T12:34:56.789Z.
    const NOW: Timestamp = Timestamp(1_773_146_096_789);

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).expect("utc")
    }

    fn at(text: &str) -> Timestamp {
        Timestamp(
            chrono::DateTime::parse_from_rfc3339(text)
                .expect("time")
                .timestamp_millis(),
        )
    }

    #[test]
    fn the_last_24_hours_by_default_from_a_whole_minute() {
        let r = resolve(None, None, None, NOW, &utc()).expect("range");
        assert_eq!(r.from, at("2026-03-09T12:34:00Z"));
        assert_eq!(r.to, NOW);
        let r = resolve(Some(48), None, None, NOW, &utc()).expect("range");
        assert_eq!(r.from, at("2026-03-08T12:34:00Z"));
    }

    #[test]
    fn since_and_until_in_every_form() {
        let cet = FixedOffset::east_opt(3600).expect("cet");
        let r = resolve(
            None,
            Some("2026-03-01"),
            Some("2026-03-02 06:30"),
            NOW,
            &cet,
        )
        .expect("range");
        assert_eq!(r.from, at("2026-02-28T23:00:00Z"));
        assert_eq!(r.to, at("2026-03-02T05:30:00Z"));
        let r = resolve(Some(2), Some("2026-03-01T10:00:00Z"), None, NOW, &cet).expect("range");
        assert_eq!(r.to, at("2026-03-01T12:00:00Z"));
        let r = resolve(None, Some("2026-03-10T10:00:00+00:00"), None, NOW, &cet).expect("r");
        assert_eq!(r.to, NOW);
        let r = resolve(Some(1), None, Some("2026-03-01T10:00:00Z"), NOW, &cet).expect("r");
        assert_eq!(r.from, at("2026-03-01T09:00:00Z"));
    }

    #[test]
    fn bad_ranges_say_what_to_change() {
        let err = |h, s, u| resolve(h, s, u, NOW, &utc()).expect_err("bad").to_string();
        assert!(err(Some(0), None, None).contains("--hours: 0 is out of range"));
        assert!(err(Some(u64::MAX), None, None).contains("out of range"));
        assert!(err(None, Some("yesterday"), None).contains("--since: 'yesterday' is not a time"));
        assert!(err(None, None, Some("2026-13-01")).contains("--until"));
        assert!(err(None, Some("2026-03-02"), Some("2026-03-01")).contains("the range is empty"));
        assert!(err(Some(1), Some("2026-03-01"), Some("2026-03-02")).contains("twice"));
        assert!(err(None, Some("\u{1b}[2J"), None).contains("\\u{1b}"));
    }

    #[test]
    fn the_finest_tier_that_holds_the_range() {
        let ret = Retention::default();
        let h = |n: i64| NOW.add_millis(-n * HOUR_MS);
        assert_eq!(Resolution::for_range(h(24), NOW, &ret), Resolution::Raw);
        assert_eq!(Resolution::for_range(h(48), NOW, &ret), Resolution::Raw);
        assert_eq!(Resolution::for_range(h(49), NOW, &ret), Resolution::Minute);
        let month = resolve(Some(720), None, None, NOW, &utc()).expect("range");
        assert_eq!(
            Resolution::for_range(month.from, NOW, &ret),
            Resolution::Minute
        );
        assert_eq!(Resolution::for_range(h(721), NOW, &ret), Resolution::Hour);
        assert_eq!(month.aligned(Resolution::Raw), month);
        let aligned = month.aligned(Resolution::Minute);
        assert_eq!(aligned.from, at("2026-02-08T12:00:00Z"));
        assert_eq!(aligned.to, NOW);
        let none = Retention {
            raw: Duration::ZERO,
            ..ret
        };
        assert_eq!(Resolution::for_range(h(1), NOW, &none), Resolution::Minute);
    }
}
