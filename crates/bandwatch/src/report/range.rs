//! `--begin` and `--end`: a date, a local date and time, an RFC 3339 instant, or a time back
//! from now (`-7d`). Pure over the zone and "now", so it is tested with fixed instants.

use bandwatch_core::calendar::{period_at, Period};
use bandwatch_core::human::escape_control;
use bandwatch_core::Timestamp;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};

use crate::error::BadInput;

/// Which end of the range a value gives: a date means its first instant as a beginning and
/// its whole day as an end (`--end 2026-11-30` includes the 30th).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// `--begin`.
    Begin,
    /// `--end`.
    End,
}

impl Edge {
    fn flag(self) -> &'static str {
        match self {
            Self::Begin => "--begin",
            Self::End => "--end",
        }
    }
}

/// The instant `text` names, in zone `tz` at `now`.
pub fn parse_when<Tz: TimeZone>(
    tz: &Tz,
    text: &str,
    edge: Edge,
    now: Timestamp,
) -> Result<Timestamp, BadInput> {
    let t = text.trim();
    let bad = || {
        BadInput(format!(
            "{}: '{}' is not a date or time; use a date (2026-11-01), a local date and time \
             (2026-11-01T08:00), or a time back from now (-7d, -12h)",
            edge.flag(),
            escape_control(text)
        ))
    };
    if t == "now" {
        return Ok(now);
    }
    if let Some(back) = t.strip_prefix('-') {
        let d = humantime::parse_duration(back).map_err(|_| bad())?;
        let ms = i64::try_from(d.as_millis()).map_err(|_| bad())?;
        return now
            .0
            .checked_sub(ms)
            .map(Timestamp)
            .filter(|t| t.0 >= 0)
            .ok_or_else(|| {
                BadInput(format!(
                    "{}: '{}' reaches back before 1970; use a shorter time",
                    edge.flag(),
                    escape_control(text)
                ))
            });
    }
    if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return day_edge(tz, date, edge).ok_or_else(bad);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Timestamp(d.timestamp_millis()));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, fmt) {
            // A time skipped by a clock change means the first instant after it.
            return tz
                .from_local_datetime(&local)
                .earliest()
                .map(|d| Timestamp(d.timestamp_millis()))
                .or_else(|| day_edge(tz, local.date(), Edge::Begin))
                .ok_or_else(bad);
        }
    }
    Err(bad())
}

/// The start of local `date` (or its end, for [`Edge::End`]).
fn day_edge<Tz: TimeZone>(tz: &Tz, date: NaiveDate, edge: Edge) -> Option<Timestamp> {
    // Noon exists on every day, whatever the clock changes.
    let noon = tz
        .from_local_datetime(&date.and_hms_opt(12, 0, 0)?)
        .earliest()?;
    let day = period_at(tz, Period::Day, Timestamp(noon.timestamp_millis()))?;
    Some(match edge {
        Edge::Begin => day.start,
        Edge::End => day.end,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::*;

    /// 2026-11-15T12:00:00Z.
    const NOW: Timestamp = Timestamp(1_794_744_000_000);

    #[test]
    fn dates_times_and_relative_times() {
        let cet = FixedOffset::east_opt(3600).expect("offset");
        let when = |tz: &FixedOffset, text: &str, edge: Edge| {
            parse_when(tz, text, edge, NOW).expect(text).to_rfc3339()
        };
        let utc = FixedOffset::east_opt(0).expect("offset");
        assert_eq!(
            when(&cet, "2026-11-01", Edge::Begin),
            "2026-10-31T23:00:00.000Z"
        );
        assert_eq!(
            when(&cet, "2026-11-01", Edge::End),
            "2026-11-01T23:00:00.000Z"
        );
        assert_eq!(
            when(&cet, "2026-11-01T08:30", Edge::Begin),
            "2026-11-01T07:30:00.000Z"
        );
        assert_eq!(
            when(&cet, "2026-11-01T08:30:00Z", Edge::Begin),
            "2026-11-01T08:30:00.000Z"
        );
        assert_eq!(when(&utc, "-7d", Edge::Begin), "2026-11-08T12:00:00.000Z");
        assert_eq!(parse_when(&Utc, "now", Edge::End, NOW).expect("now"), NOW);
    }

    #[test]
    fn nonsense_and_huge_values_are_bad_input() {
        for text in [
            "yesterday",
            "2026-13-01",
            "-",
            "-7 parsecs",
            "2026-02-30",
            "",
        ] {
            let e = parse_when(&Utc, text, Edge::Begin, NOW).expect_err(text);
            assert!(e.0.starts_with("--begin: '"), "{e}");
        }
        let e = parse_when(&Utc, "-99999999999999d", Edge::End, NOW).expect_err("huge");
        assert!(e.0.contains("--end"), "{e}");
        let e = parse_when(&Utc, "-100y", Edge::End, NOW).expect_err("before 1970");
        assert!(e.0.contains("before 1970"), "{e}");
    }
}
