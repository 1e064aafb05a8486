//! How `analyze` writes values for people: human units (the house formatter), durations
//! (`3 h 10 min`) and local times (`Tue 21:04`, with the date when the range is longer than
//! a week).

use bandwatch_core::human::format;
use bandwatch_core::{Timestamp, Unit};
use chrono::TimeZone;

/// A rate in bits/s.
pub fn rate(bps: f64) -> String {
    format(Unit::BitsPerSecond, bps)
}

/// A byte count.
#[allow(clippy::cast_precision_loss)] // display only
pub fn bytes(b: u64) -> String {
    format(Unit::Bytes, b as f64)
}

/// A percentage.
pub fn percent(p: f64) -> String {
    format(Unit::Percent, p)
}

/// A duration in whole units people say: `45 s`, `4 min`, `3 h 10 min`, `2 d 5 h`.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rounded, clamped
pub fn duration(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds.round() as u64
    } else {
        0
    };
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// `at` in zone `tz`: `Tue 21:04`, or `Tue 3 Mar 21:04` when `dated`.
pub fn local_time<Tz: TimeZone>(at: Timestamp, tz: &Tz, dated: bool) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let Some(t) = tz.timestamp_millis_opt(at.0).single() else {
        return at.to_rfc3339();
    };
    let f = if dated { "%a %-d %b %H:%M" } else { "%a %H:%M" };
    t.format(f).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(45.2), "45 s");
        assert_eq!(duration(240.0), "4 min");
        assert_eq!(duration(3.0 * 3600.0), "3 h");
        assert_eq!(duration(3.0 * 3600.0 + 600.0), "3 h 10 min");
        assert_eq!(duration(2.0 * 86_400.0 + 5.0 * 3600.0 + 60.0), "2 d 5 h");
        assert_eq!(duration(86_400.0), "1 d");
        assert_eq!(duration(f64::NAN), "0 s");
    }

    #[test]
    fn local_times_in_the_zone_given() {
        let cet = chrono::FixedOffset::east_opt(3600).expect("zone");
        // 2026-03-10T20:04:00Z is a Tuesday, 21:04 in CET.
        let at = Timestamp(1_773_173_040_000);
        assert_eq!(local_time(at, &cet, false), "Tue 21:04");
        assert_eq!(local_time(at, &cet, true), "Tue 10 Mar 21:04");
    }
}
