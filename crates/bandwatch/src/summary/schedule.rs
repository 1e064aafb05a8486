//! When a scheduled summary goes out and which period it covers: `daily [HH:MM]` covers the
//! day before, `weekly [mon…sun] [HH:MM]` the week (Monday to Sunday) before, `monthly
//! [HH:MM]` the billing month before, sent on the billing day. Times are local; a time that
//! does not exist on a spring-forward night is taken as the end of the gap. Pure: the time
//! zone and "now" are arguments.

use bandwatch_core::calendar::{self, Period, Span};
use bandwatch_core::Timestamp;
use chrono::{Duration, NaiveTime, TimeZone, Weekday};

/// The time of day a summary goes out when the schedule does not say.
pub const DEFAULT_AT: (u32, u32) = (8, 0);

/// How often a summary goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// Each day, covering the day before.
    Daily,
    /// Each week on this day, covering the week (Monday to Sunday) before.
    Weekly(Weekday),
    /// Each billing day, covering the billing month before.
    Monthly,
}

/// A validated schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How often.
    pub every: Every,
    /// The local time of day.
    pub at: NaiveTime,
}

/// One summary: the period it covers and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The period covered.
    pub span: Span,
    /// When it goes out.
    pub due: Timestamp,
}

impl Schedule {
    /// Parses `daily`, `daily 07:30`, `weekly`, `weekly sun 18:00`, `monthly`, `monthly 09:00`.
    pub fn parse(text: &str) -> Result<Self, String> {
        const FORMS: &str = "write \"daily [HH:MM]\", \"weekly [mon…sun] [HH:MM]\" or \"monthly [HH:MM]\" (monthly goes out on [calendar] billing_day)";
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        let (first, rest) = words
            .split_first()
            .ok_or_else(|| format!("is empty; {FORMS}"))?;
        let mut rest = rest.iter();
        let every = match first.as_str() {
            "daily" => Every::Daily,
            "monthly" => Every::Monthly,
            "weekly" => {
                let day = match rest.clone().next() {
                    Some(w) if !w.contains(':') => {
                        rest.next();
                        weekday(w).ok_or_else(|| format!("'{w}' is not a day of the week; use mon, tue, wed, thu, fri, sat or sun"))?
                    }
                    _ => Weekday::Mon,
                };
                Every::Weekly(day)
            }
            other => return Err(format!("'{other}' is not a schedule; {FORMS}")),
        };
        let at = match rest.next() {
            None => NaiveTime::from_hms_opt(DEFAULT_AT.0, DEFAULT_AT.1, 0).unwrap_or_default(),
            Some(t) => NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                format!("'{t}' is not a time of day; write it as HH:MM, 00:00 to 23:59")
            })?,
        };
        if let Some(extra) = rest.next() {
            return Err(format!("'{extra}' is one word too many; {FORMS}"));
        }
        Ok(Self { every, at })
    }

    /// The schedule's first word: `daily`, `weekly`, `monthly` (a report's default name).
    pub fn every_name(&self) -> &'static str {
        match self.every {
            Every::Daily => "daily",
            Every::Weekly(_) => "weekly",
            Every::Monthly => "monthly",
        }
    }

    /// The schedule as written in its full form: `weekly mon 08:00`.
    pub fn describe(&self) -> String {
        let at = self.at.format("%H:%M");
        match self.every {
            Every::Weekly(d) => format!("weekly {} {at}", day_name(d)),
            _ => format!("{} {at}", self.every_name()),
        }
    }

    /// The kind of period a summary covers.
    pub fn period(&self, billing_day: u8) -> Period {
        match self.every {
            Every::Daily => Period::Day,
            Every::Weekly(_) => Period::Week,
            Every::Monthly => Period::Month { billing_day },
        }
    }

    /// When the summary of `span` goes out: on the day the next period starts (for weekly,
    /// the given weekday of that week) at the time of day.
    fn due_of<Tz: TimeZone>(&self, tz: &Tz, span: Span) -> Option<Timestamp> {
        let next_start = tz.timestamp_millis_opt(span.end.0).single()?.naive_local();
        let days = match self.every {
            Every::Weekly(d) => i64::from(d.num_days_from_monday()),
            Every::Daily | Every::Monthly => 0,
        };
        let day = next_start.date() + Duration::days(days);
        calendar::local_instant(tz, day.and_time(self.at))
    }

    /// The period before the one holding `t`.
    fn before<Tz: TimeZone>(tz: &Tz, period: Period, t: Timestamp) -> Option<Span> {
        let current = calendar::period_at(tz, period, t)?;
        calendar::period_at(tz, period, current.start.add_millis(-1))
    }

    /// The latest occurrence due at or before `t`.
    pub fn latest<Tz: TimeZone>(
        &self,
        tz: &Tz,
        billing_day: u8,
        t: Timestamp,
    ) -> Option<Occurrence> {
        let period = self.period(billing_day);
        let mut span = Self::before(tz, period, t)?;
        // At most two steps back: the summary of the period before the current one may not
        // be due yet (before its time of day, or before its weekday).
        for _ in 0..3 {
            let due = self.due_of(tz, span)?;
            if due <= t {
                return Some(Occurrence { span, due });
            }
            span = calendar::period_at(tz, period, span.start.add_millis(-1))?;
        }
        None
    }

    /// The first occurrence due after `t`.
    pub fn next_after<Tz: TimeZone>(
        &self,
        tz: &Tz,
        billing_day: u8,
        t: Timestamp,
    ) -> Option<Occurrence> {
        let period = self.period(billing_day);
        let mut span = Self::before(tz, period, t)?;
        for _ in 0..3 {
            let due = self.due_of(tz, span)?;
            if due > t {
                return Some(Occurrence { span, due });
            }
            span = calendar::next(tz, period, span)?;
        }
        None
    }
}

fn weekday(word: &str) -> Option<Weekday> {
    let days = [
        (Weekday::Mon, "monday"),
        (Weekday::Tue, "tuesday"),
        (Weekday::Wed, "wednesday"),
        (Weekday::Thu, "thursday"),
        (Weekday::Fri, "friday"),
        (Weekday::Sat, "saturday"),
        (Weekday::Sun, "sunday"),
    ];
    days.iter()
        .find(|(_, name)| word.len() >= 3 && name.starts_with(word))
        .map(|(d, _)| *d)
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset};

    fn at(s: &str) -> Timestamp {
        Timestamp(
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .timestamp_millis(),
        )
    }

    fn tz() -> FixedOffset {
        FixedOffset::east_opt(3600).expect("offset")
    }

    fn show(t: Timestamp) -> String {
        tz().timestamp_millis_opt(t.0)
            .single()
            .expect("time")
            .format("%a %Y-%m-%d %H:%M")
            .to_string()
    }

    fn occ(o: Option<Occurrence>) -> (String, String, String) {
        let o = o.expect("an occurrence");
        (show(o.span.start), show(o.span.end), show(o.due))
    }

    #[test]
    fn parses_every_form_and_names_the_problem() {
        let p = |s| Schedule::parse(s).map(|s| s.describe());
        assert_eq!(p("daily").as_deref(), Ok("daily 08:00"));
        assert_eq!(p("Daily 07:30").as_deref(), Ok("daily 07:30"));
        assert_eq!(p("weekly").as_deref(), Ok("weekly mon 08:00"));
        assert_eq!(p("weekly sunday 18:00").as_deref(), Ok("weekly sun 18:00"));
        assert_eq!(p("weekly fri").as_deref(), Ok("weekly fri 08:00"));
        assert_eq!(p("monthly 09:15").as_deref(), Ok("monthly 09:15"));
        for (bad, says) in [
            ("", "is empty"),
            ("hourly", "'hourly' is not a schedule"),
            ("daily 25:00", "'25:00' is not a time of day"),
            ("daily 8", "'8' is not a time of day"),
            ("weekly funday", "'funday' is not a day of the week"),
            ("weekly mo", "'mo' is not a day of the week"),
            ("daily 08:00 now", "'now' is one word too many"),
        ] {
            let e = Schedule::parse(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn daily_covers_the_day_before_and_is_due_at_its_time() {
        let s = Schedule::parse("daily 08:00").expect("valid");
        let before = at("2026-12-05T07:59:00+01:00");
        assert_eq!(
            occ(s.latest(&tz(), 1, before)),
            (
                "Thu 2026-12-03 00:00".into(),
                "Fri 2026-12-04 00:00".into(),
                "Fri 2026-12-04 08:00".into()
            )
        );
        assert_eq!(
            occ(s.next_after(&tz(), 1, before)),
            (
                "Fri 2026-12-04 00:00".into(),
                "Sat 2026-12-05 00:00".into(),
                "Sat 2026-12-05 08:00".into()
            )
        );
        let on_time = at("2026-12-05T08:00:00+01:00");
        assert_eq!(occ(s.latest(&tz(), 1, on_time)).2, "Sat 2026-12-05 08:00");
        assert_eq!(
            occ(s.next_after(&tz(), 1, on_time)).2,
            "Sun 2026-12-06 08:00"
        );
    }

    #[test]
    fn weekly_covers_monday_to_sunday_and_goes_out_on_its_day() {
        let s = Schedule::parse("weekly wed 18:00").expect("valid");
        // Tuesday 2026-12-08: last week's summary is due tomorrow
        let t = at("2026-12-08T12:00:00+01:00");
        assert_eq!(
            occ(s.next_after(&tz(), 1, t)),
            (
                "Mon 2026-11-30 00:00".into(),
                "Mon 2026-12-07 00:00".into(),
                "Wed 2026-12-09 18:00".into()
            )
        );
        assert_eq!(
            occ(s.latest(&tz(), 1, t)),
            (
                "Mon 2026-11-23 00:00".into(),
                "Mon 2026-11-30 00:00".into(),
                "Wed 2026-12-02 18:00".into()
            )
        );
    }

    #[test]
    fn monthly_goes_out_on_the_billing_day_across_a_month_end() {
        let s = Schedule::parse("monthly 09:00").expect("valid");
        let t = at("2027-03-01T12:00:00+01:00");
        // billing day 31: February's is its last day (the 28th in 2027)
        assert_eq!(
            occ(s.latest(&tz(), 31, t)),
            (
                "Sun 2027-01-31 00:00".into(),
                "Sun 2027-02-28 00:00".into(),
                "Sun 2027-02-28 09:00".into()
            )
        );
        assert_eq!(
            occ(s.next_after(&tz(), 31, t)),
            (
                "Sun 2027-02-28 00:00".into(),
                "Wed 2027-03-31 00:00".into(),
                "Wed 2027-03-31 09:00".into()
            )
        );
        // billing day 1 in a leap year: February 2028 has 29 days
        let t = at("2028-03-01T09:00:00+01:00");
        assert_eq!(
            occ(s.latest(&tz(), 1, t)),
            (
                "Tue 2028-02-01 00:00".into(),
                "Wed 2028-03-01 00:00".into(),
                "Wed 2028-03-01 09:00".into()
            )
        );
    }

    #[test]
    fn occurrences_follow_each_other_without_gaps() {
        for text in [
            "daily 00:00",
            "daily 23:59",
            "weekly sun 23:00",
            "monthly 08:00",
        ] {
            let s = Schedule::parse(text).expect("valid");
            let mut t = at("2026-01-01T00:00:00+01:00");
            let mut prev: Option<Occurrence> = None;
            for _ in 0..60 {
                let o = s.next_after(&tz(), 15, t).expect("next");
                assert!(o.due > t, "{text}");
                assert_eq!(s.latest(&tz(), 15, o.due), Some(o), "{text}");
                if let Some(p) = prev {
                    assert_eq!(p.span.end, o.span.start, "{text}: consecutive periods");
                }
                prev = Some(o);
                t = o.due;
            }
        }
    }
}
