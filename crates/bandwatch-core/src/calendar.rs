//! Calendar periods in a time zone: the hour, day, week, month (from a billing day) and year
//! that reports, data caps and scheduled summaries count in. Generic over chrono's
//! `TimeZone`, so the logic is tested with fixed offsets and the binary passes `Local`.
//!
//! Local times that do not exist (a spring-forward gap) start at the first instant after
//! the gap; local times that happen twice (a fall-back hour) start at the earlier one. So
//! periods are consecutive, never overlap, and a day can be 23 or 25 hours long.

use chrono::{
    DateTime, Datelike as _, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike,
};

use crate::Timestamp;

/// A kind of calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// One clock hour.
    Hour,
    /// One local day, from midnight.
    Day,
    /// One week, from Monday's midnight.
    Week,
    /// One month from its billing day (1 = calendar months; a day past the month's end
    /// means its last day, so 31 bills on the 30th in April and on the 28th or 29th in
    /// February).
    Month {
        /// Day of the month the period starts on, 1–31.
        billing_day: u8,
    },
    /// One calendar year.
    Year,
}

impl Period {
    /// Calendar months.
    pub const MONTH: Self = Self::Month { billing_day: 1 };
}

/// The instants whose local time is `t`, keeping only those that read back as `t`.
///
/// chrono's `Local` with a POSIX `TZ` rule counts the instant of a change on both sides: it
/// calls 02:00 on a spring-forward night (a time that does not exist) valid, and 03:00 on a
/// fall-back night (after the repeated hour) ambiguous. Reading each candidate back drops
/// the instant that belongs to the other side.
fn from_local<Tz: TimeZone>(tz: &Tz, t: NaiveDateTime) -> LocalResult<DateTime<Tz>> {
    let back = |d: &DateTime<Tz>| tz.from_utc_datetime(&d.naive_utc()).naive_local() == t;
    match tz.from_local_datetime(&t) {
        LocalResult::Single(a) if back(&a) => LocalResult::Single(a),
        LocalResult::Ambiguous(a, b) => match (back(&a), back(&b)) {
            (true, true) => LocalResult::Ambiguous(a, b),
            (true, false) => LocalResult::Single(a),
            (false, true) => LocalResult::Single(b),
            (false, false) => LocalResult::None,
        },
        _ => LocalResult::None,
    }
}

/// The first instant at or after local `t` (the end of a gap when `t` falls into one).
fn resolve<Tz: TimeZone>(tz: &Tz, t: NaiveDateTime) -> Option<DateTime<Tz>> {
    match from_local(tz, t) {
        LocalResult::Single(x) => Some(x),
        LocalResult::Ambiguous(a, b) => Some(if a <= b { a } else { b }),
        // in a gap: walk forward a minute at a time (gaps are at most a few hours)
        LocalResult::None => {
            (1..=24 * 60).find_map(|m| from_local(tz, t + Duration::minutes(m)).earliest())
        }
    }
}

/// The instant local time `t` names in `tz`: the earlier of two in a repeated hour, the end
/// of the gap for a time that does not exist (a spring-forward night's 02:30 is 03:00).
pub fn local_instant<Tz: TimeZone>(tz: &Tz, t: NaiveDateTime) -> Option<Timestamp> {
    resolve(tz, t).map(|d| ts(&d))
}

fn ts<Tz: TimeZone>(d: &DateTime<Tz>) -> Timestamp {
    Timestamp(d.timestamp_millis())
}

/// The billing day clamped to the month of `year`/`month`.
fn billing_date(year: i32, month: u32, billing_day: u8) -> Option<NaiveDate> {
    let day = u32::from(billing_day.clamp(1, 31));
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
}

fn add_months(year: i32, month: u32, n: i32) -> (i32, u32) {
    let m0 = year * 12 + (month as i32 - 1) + n;
    (m0.div_euclid(12), (m0.rem_euclid(12) + 1) as u32)
}

/// The local start (as a naive local time) of the period holding local time `t`.
fn naive_start(period: Period, t: NaiveDateTime) -> Option<NaiveDateTime> {
    let d = t.date();
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0);
    match period {
        Period::Hour => t.with_minute(0)?.with_second(0)?.with_nanosecond(0),
        Period::Day => midnight(d),
        Period::Week => midnight(d - Duration::days(i64::from(d.weekday().num_days_from_monday()))),
        Period::Month { billing_day } => {
            let this = billing_date(d.year(), d.month(), billing_day)?;
            if d >= this {
                midnight(this)
            } else {
                let (y, m) = add_months(d.year(), d.month(), -1);
                midnight(billing_date(y, m, billing_day)?)
            }
        }
        Period::Year => midnight(NaiveDate::from_ymd_opt(d.year(), 1, 1)?),
    }
}

/// The naive local start of the period after the one starting at local `start`.
fn naive_next(period: Period, start: NaiveDateTime) -> Option<NaiveDateTime> {
    let d = start.date();
    match period {
        Period::Hour => Some(start + Duration::hours(1)),
        Period::Day => (d + Duration::days(1)).and_hms_opt(0, 0, 0),
        Period::Week => (d + Duration::days(7)).and_hms_opt(0, 0, 0),
        Period::Month { billing_day } => {
            let (y, m) = add_months(d.year(), d.month(), 1);
            billing_date(y, m, billing_day)?.and_hms_opt(0, 0, 0)
        }
        Period::Year => NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)?.and_hms_opt(0, 0, 0),
    }
}

/// One period: `[start, end)` in epoch time, and its local start for labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first instant of the period.
    pub start: Timestamp,
    /// The first instant after it.
    pub end: Timestamp,
    /// The local date and time the period starts at (for labels: "2026-03-29").
    pub local_start: NaiveDateTime,
}

impl Span {
    /// Whether `t` falls inside.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// The length in milliseconds.
    pub fn millis(&self) -> i64 {
        self.end.0 - self.start.0
    }
}

/// The period of kind `period` holding instant `at`, in zone `tz`; `None` only at the ends
/// of chrono's range.
pub fn period_at<Tz: TimeZone>(tz: &Tz, period: Period, at: Timestamp) -> Option<Span> {
    let local = tz.timestamp_millis_opt(at.0).single()?.naive_local();
    let mut naive = naive_start(period, local)?;
    // an hour that happens twice is two periods: keep the one holding `at`
    let mut start = if period == Period::Hour {
        hour_start(tz, naive, at)?
    } else {
        resolve(tz, naive)?
    };
    // a start inside a gap can land after `at` (a gap that swallows midnight); step back
    while ts(&start) > at {
        naive = naive_start(period, naive - Duration::minutes(1))?;
        start = resolve(tz, naive)?;
    }
    let span = span_from(tz, period, naive, ts(&start))?;
    if span.contains(at) {
        Some(span)
    } else {
        span_from_next(tz, period, span)
    }
}

/// The start of the clock hour `naive` that holds `at` (of the two when the hour repeats).
fn hour_start<Tz: TimeZone>(tz: &Tz, naive: NaiveDateTime, at: Timestamp) -> Option<DateTime<Tz>> {
    match from_local(tz, naive) {
        LocalResult::Ambiguous(a, b) => {
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            Some(if ts(&late) <= at { late } else { early })
        }
        _ => resolve(tz, naive),
    }
}

fn span_from<Tz: TimeZone>(
    tz: &Tz,
    period: Period,
    naive: NaiveDateTime,
    start: Timestamp,
) -> Option<Span> {
    let mut next = naive_next(period, naive)?;
    let mut end = ts(&resolve(tz, next)?);
    // a repeated hour: the later copy of this local hour is its own period
    if period == Period::Hour {
        if let LocalResult::Ambiguous(a, b) = from_local(tz, naive) {
            let late = ts(&if a <= b { b } else { a });
            if late > start {
                end = late;
            }
        }
    }
    while end <= start {
        next = naive_next(period, next)?;
        end = ts(&resolve(tz, next)?);
    }
    Some(Span {
        start,
        end,
        local_start: naive,
    })
}

fn span_from_next<Tz: TimeZone>(tz: &Tz, period: Period, prev: Span) -> Option<Span> {
    let local = tz.timestamp_millis_opt(prev.end.0).single()?.naive_local();
    let naive = if period == Period::Hour {
        local
    } else {
        naive_start(period, local)?
    };
    span_from(tz, period, naive, prev.end)
}

/// The period after `span` (of the same kind).
pub fn next<Tz: TimeZone>(tz: &Tz, period: Period, span: Span) -> Option<Span> {
    span_from_next(tz, period, span)
}

/// Every period of kind `period` that overlaps `[from, to)`, in order; the first may start
/// before `from` and the last end after `to`. At most `limit` periods (the newest are kept
/// out once it is reached).
pub fn periods<Tz: TimeZone>(
    tz: &Tz,
    period: Period,
    from: Timestamp,
    to: Timestamp,
    limit: usize,
) -> Vec<Span> {
    let mut out = Vec::new();
    if from >= to {
        return out;
    }
    let mut cur = period_at(tz, period, from);
    while let Some(span) = cur {
        if span.start >= to || out.len() >= limit {
            break;
        }
        out.push(span);
        cur = next(tz, period, span);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp(
            DateTime::parse_from_rfc3339(s)
                .expect("test time")
                .timestamp_millis(),
        )
    }

    fn day(s: &str) -> NaiveDateTime {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .expect("test date")
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
    }

    #[test]
    fn a_day_in_a_fixed_zone_starts_at_its_local_midnight() {
        let tz = FixedOffset::east_opt(2 * 3600).expect("offset");
        let s = period_at(&tz, Period::Day, at("2026-03-01T23:30:00Z")).expect("span");
        assert_eq!(s.local_start, day("2026-03-02"));
        assert_eq!(s.start, at("2026-03-01T22:00:00Z"));
        assert_eq!(s.end, at("2026-03-02T22:00:00Z"));
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-12-06 is a Sunday
        let s = period_at(&Utc, Period::Week, at("2026-12-06T12:00:00Z")).expect("span");
        assert_eq!(s.local_start, day("2026-11-30"));
        assert_eq!(s.millis(), 7 * 86_400_000);
    }

    #[test]
    fn a_billing_day_crosses_the_month_end() {
        let p = Period::Month { billing_day: 15 };
        let s = period_at(&Utc, p, at("2026-01-03T00:00:00Z")).expect("span");
        assert_eq!(s.local_start, day("2025-12-15"));
        assert_eq!(s.end, at("2026-01-15T00:00:00Z"));
        let s = period_at(&Utc, p, at("2026-01-15T00:00:00Z")).expect("span");
        assert_eq!(s.local_start, day("2026-01-15"));
    }

    #[test]
    fn a_billing_day_past_the_end_of_a_month_means_its_last_day() {
        let p = Period::Month { billing_day: 31 };
        let s = period_at(&Utc, p, at("2028-03-01T00:00:00Z")).expect("span");
        // 2028 is a leap year: February's last day is the 29th
        assert_eq!(s.local_start, day("2028-02-29"));
        assert_eq!(s.end, at("2028-03-31T00:00:00Z"));
        let after = next(&Utc, p, s).expect("next");
        assert_eq!(after.local_start, day("2028-03-31"));
        assert_eq!(after.end, at("2028-04-30T00:00:00Z"));
    }

    #[test]
    fn periods_are_consecutive_and_cover_the_range() {
        for p in [
            Period::Hour,
            Period::Day,
            Period::Week,
            Period::MONTH,
            Period::Month { billing_day: 29 },
            Period::Year,
        ] {
            let list = periods(
                &Utc,
                p,
                at("2027-12-20T05:00:00Z"),
                at("2028-03-02T00:00:00Z"),
                10_000,
            );
            assert!(!list.is_empty());
            assert!(list[0].start <= at("2027-12-20T05:00:00Z"));
            assert!(list.last().expect("last").end >= at("2028-03-02T00:00:00Z"));
            for w in list.windows(2) {
                assert_eq!(w[0].end, w[1].start, "{p:?}");
            }
        }
    }

    #[test]
    fn a_leap_day_is_its_own_day() {
        let list = periods(
            &Utc,
            Period::Day,
            at("2028-02-28T00:00:00Z"),
            at("2028-03-01T00:00:00Z"),
            10,
        );
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].local_start, day("2028-02-29"));
    }

    #[test]
    fn the_limit_bounds_the_list() {
        let list = periods(
            &Utc,
            Period::Hour,
            Timestamp(0),
            at("2030-01-01T00:00:00Z"),
            5,
        );
        assert_eq!(list.len(), 5);
    }

    /// Central European time in 2026: UTC+1, UTC+2 from 29 March 01:00 UTC to 25 October
    /// 01:00 UTC.
    #[derive(Debug, Clone, Copy)]
    struct Cet;

    impl Cet {
        fn summer(utc: NaiveDateTime) -> bool {
            utc >= day("2026-03-29") + Duration::hours(1)
                && utc < day("2026-10-25") + Duration::hours(1)
        }
        fn off(summer: bool) -> FixedOffset {
            FixedOffset::east_opt(if summer { 7200 } else { 3600 }).expect("offset")
        }
    }

    impl TimeZone for Cet {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> Self {
            Cet
        }
        fn offset_from_local_date(&self, _: &NaiveDate) -> LocalResult<FixedOffset> {
            unimplemented!("not used by the calendar")
        }
        fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<FixedOffset> {
            let fits = |summer: bool| {
                let off = Self::off(summer);
                let utc = *local - Duration::seconds(i64::from(off.local_minus_utc()));
                (Self::summer(utc) == summer).then_some(off)
            };
            match (fits(false), fits(true)) {
                (Some(w), Some(s)) => LocalResult::Ambiguous(s, w),
                (Some(o), None) | (None, Some(o)) => LocalResult::Single(o),
                (None, None) => LocalResult::None,
            }
        }
        fn offset_from_utc_date(&self, _: &NaiveDate) -> FixedOffset {
            unimplemented!("not used by the calendar")
        }
        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
            Self::off(Self::summer(*utc))
        }
    }

    /// [`Cet`] as chrono's `Local` reads a POSIX `TZ` rule: the instant of each change
    /// fits both offsets (02:00 exists on the spring night, 03:00 repeats in autumn).
    #[derive(Debug, Clone, Copy)]
    struct LooseCet;

    impl TimeZone for LooseCet {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> Self {
            LooseCet
        }
        fn offset_from_local_date(&self, _: &NaiveDate) -> LocalResult<FixedOffset> {
            unimplemented!("not used by the calendar")
        }
        fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<FixedOffset> {
            let change = |utc: NaiveDateTime| {
                utc == day("2026-03-29") + Duration::hours(1)
                    || utc == day("2026-10-25") + Duration::hours(1)
            };
            let fits = |summer: bool| {
                let off = Cet::off(summer);
                let utc = *local - Duration::seconds(i64::from(off.local_minus_utc()));
                (Cet::summer(utc) == summer || change(utc)).then_some(off)
            };
            match (fits(false), fits(true)) {
                (Some(w), Some(s)) => LocalResult::Ambiguous(w, s),
                (Some(o), None) | (None, Some(o)) => LocalResult::Single(o),
                (None, None) => LocalResult::None,
            }
        }
        fn offset_from_utc_date(&self, _: &NaiveDate) -> FixedOffset {
            unimplemented!("not used by the calendar")
        }
        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
            Cet::off(Cet::summer(*utc))
        }
    }

    #[test]
    fn local_instants_across_both_clock_changes() {
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
        for zone in [
            local_instant(&Cet, local("2026-03-29 02:30")),
            local_instant(&LooseCet, local("2026-03-29 02:30")),
        ] {
            // 02:30 does not exist on the spring night: the gap's end, 03:00 CEST.
            assert_eq!(zone, Some(at("2026-03-29T01:00:00Z")));
        }
        for zone in [
            local_instant(&Cet, local("2026-10-25 02:30")),
            local_instant(&LooseCet, local("2026-10-25 02:30")),
        ] {
            // 02:30 happens twice in autumn: the first, still in summer time.
            assert_eq!(zone, Some(at("2026-10-25T00:30:00Z")));
        }
        assert_eq!(
            local_instant(&Cet, local("2026-07-01 08:00")),
            Some(at("2026-07-01T06:00:00Z"))
        );
    }

    #[test]
    fn a_zone_that_counts_the_change_on_both_sides_still_gives_one_hour_hours() {
        for (from, to) in [
            ("2026-03-28T22:00:00Z", "2026-03-29T04:00:00Z"),
            ("2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z"),
        ] {
            let list = periods(&LooseCet, Period::Hour, at(from), at(to), 100);
            assert_eq!(
                list,
                periods(&Cet, Period::Hour, at(from), at(to), 100),
                "{from}"
            );
            assert!(list.iter().all(|s| s.millis() == 3_600_000), "{list:?}");
        }
        let day = period_at(&LooseCet, Period::Day, at("2026-10-25T12:00:00Z")).expect("span");
        assert_eq!(day.millis(), 25 * 3_600_000);
    }

    #[test]
    fn the_spring_forward_day_has_23_hours_and_the_fall_back_day_25() {
        let s = period_at(&Cet, Period::Day, at("2026-03-29T12:00:00Z")).expect("span");
        assert_eq!(s.start, at("2026-03-28T23:00:00Z"));
        assert_eq!(s.millis(), 23 * 3_600_000);
        let f = period_at(&Cet, Period::Day, at("2026-10-25T12:00:00Z")).expect("span");
        assert_eq!(f.start, at("2026-10-24T22:00:00Z"));
        assert_eq!(f.millis(), 25 * 3_600_000);
    }

    #[test]
    fn hours_across_both_changes_are_consecutive_and_one_clock_hour_long() {
        for (from, to, n) in [
            ("2026-03-28T22:00:00Z", "2026-03-29T03:00:00Z", 5),
            ("2026-10-24T22:00:00Z", "2026-10-25T03:00:00Z", 5),
        ] {
            let list = periods(&Cet, Period::Hour, at(from), at(to), 100);
            assert_eq!(list.len(), n, "{from}");
            for w in list.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            assert!(list.iter().all(|s| s.millis() == 3_600_000), "{list:?}");
        }
        // the repeated hour 02:00-03:00 appears twice, once per offset
        let list = periods(
            &Cet,
            Period::Hour,
            at("2026-10-25T00:00:00Z"),
            at("2026-10-25T02:00:00Z"),
            10,
        );
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].local_start, list[1].local_start);
    }

    #[test]
    fn days_weeks_and_months_across_a_change_stay_consecutive() {
        for p in [Period::Day, Period::Week, Period::MONTH] {
            let list = periods(
                &Cet,
                p,
                at("2026-03-01T00:00:00Z"),
                at("2026-11-30T00:00:00Z"),
                1000,
            );
            for w in list.windows(2) {
                assert_eq!(w[0].end, w[1].start, "{p:?}");
            }
            for s in &list {
                assert!(
                    period_at(&Cet, p, s.start).expect("span") == *s,
                    "{p:?} {s:?}"
                );
            }
        }
    }

    #[test]
    fn an_empty_range_has_no_periods() {
        assert!(periods(&Utc, Period::Day, Timestamp(10), Timestamp(10), 10).is_empty());
    }
}
