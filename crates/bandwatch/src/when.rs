//! Instants as the offline commands take them on the command line (`--since`, `--until` of
//! `analyze` and `export`): one parser, so the same text means the same instant everywhere.

use bandwatch_core::human::escape_control;
use bandwatch_core::Timestamp;
use bandwatch_store::HOUR_MS;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};

use crate::error::BadInput;

/// The longest duration back from now an instant may be given as (a century).
const MAX_MS: i64 = 100 * 366 * 24 * HOUR_MS;

/// One instant as `--since`/`--until` take it: RFC 3339 (`2025-03-01T00:00:00Z`), a local
/// date (`2025-03-01`, its midnight) or date and time (`2025-03-01 12:30`,
/// `2025-03-01T12:30:15`), or a duration before now (`36h`, `7d`).
pub fn instant<Tz: TimeZone>(
    flag: &str,
    text: &str,
    now: Timestamp,
    tz: &Tz,
) -> Result<Timestamp, BadInput> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Timestamp(d.timestamp_millis()));
    }
    if let Some(local) = local_datetime(t) {
        return tz
            .from_local_datetime(&local)
            .earliest()
            .map(|d| Timestamp(d.timestamp_millis()))
            .ok_or_else(|| {
                BadInput(format!(
                    "{flag}: {} does not exist in the local time zone (the clocks skip it); \
                     give a time outside the gap, or one with an offset (RFC 3339)",
                    escape_control(t)
                ))
            });
    }
    if let Ok(d) = humantime::parse_duration(t) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if ms > 0 && ms <= MAX_MS {
            return Ok(Timestamp(now.0.saturating_sub(ms)));
        }
    }
    Err(BadInput(format!(
        "{flag}: '{}' is not a time; give RFC 3339 (2025-03-01T00:00:00Z), a local date or \
         date and time (2025-03-01, 2025-03-01 12:30) or a duration before now (36h, 7d)",
        escape_control(t)
    )))
}

/// A local date or date and time without an offset.
fn local_datetime(t: &str) -> Option<NaiveDateTime> {
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::*;

    const NOW: Timestamp = Timestamp(1_772_400_000_000); // 2026-03-01T21:20:00Z

    #[test]
    fn every_form_names_one_instant() {
        let plus2 = FixedOffset::east_opt(2 * 3600).expect("offset");
        let at = |t: &str| instant("--since", t, NOW, &plus2).expect(t);
        assert_eq!(at("2026-03-01T00:00:00Z"), Timestamp(1_772_323_200_000));
        assert_eq!(at("2026-03-01"), Timestamp(1_772_323_200_000 - 2 * HOUR_MS));
        assert_eq!(at("2026-03-01 02:00"), Timestamp(1_772_323_200_000));
        assert_eq!(at("36h"), NOW.add_millis(-36 * HOUR_MS));
    }

    #[test]
    fn nonsense_and_huge_durations_name_the_flag() {
        for t in ["yesterday", "", "1e30h", "99999999999999999999d"] {
            let e = instant("--until", t, NOW, &Utc).expect_err(t).0;
            assert!(e.starts_with("--until: '"), "{e}");
            assert!(e.contains("is not a time"), "{e}");
        }
    }
}
