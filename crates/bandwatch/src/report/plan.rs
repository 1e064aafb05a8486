//! Which periods a report shows: those overlapping `--begin`..`--end` (each whole), or the
//! newest `limit` up to now; never a period that has not started. Pure over the zone and
//! the instants, so tested without a store.

use bandwatch_core::calendar::{next, period_at, periods, Period, Span};
use bandwatch_core::Timestamp;
use chrono::TimeZone;

use crate::error::BadInput;

/// The most rows one series may have (an hourly report over eleven years); past it the
/// range is too long for the view.
pub const MAX_ROWS: usize = 100_000;

/// The range a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first instant asked for (`None`: count back `limit` periods from the end).
    pub begin: Option<Timestamp>,
    /// The instant after the last one asked for (clipped to now).
    pub end: Timestamp,
}

/// The periods of `period` to report in `tz`: those overlapping the range, or, without a
/// beginning, the newest `limit` (all of them up to the end when `limit` is `None` and a
/// beginning is known).
pub fn spans<Tz: TimeZone>(
    tz: &Tz,
    period: Period,
    range: Range,
    limit: Option<usize>,
) -> Result<Vec<Span>, BadInput> {
    let end = range.end;
    let mut out = match range.begin {
        Some(begin) => {
            if begin >= end {
                return Err(BadInput(format!(
                    "--begin ({}) is not before --end ({}); give a beginning before the end",
                    begin.to_rfc3339(),
                    end.to_rfc3339()
                )));
            }
            let list = periods(tz, period, begin, end, MAX_ROWS + 1);
            if list.len() > MAX_ROWS {
                return Err(BadInput(format!(
                    "the range holds more than {MAX_ROWS} rows; narrow --begin/--end or use a \
                     longer view (daily, monthly)"
                )));
            }
            list
        }
        None => back_from(tz, period, end, limit.unwrap_or(1).min(MAX_ROWS)),
    };
    if let Some(n) = limit {
        let skip = out.len().saturating_sub(n);
        out.drain(..skip);
    }
    Ok(out)
}

/// The `n` periods ending with the one holding the instant before `end`, oldest first.
fn back_from<Tz: TimeZone>(tz: &Tz, period: Period, end: Timestamp, n: usize) -> Vec<Span> {
    let mut out = Vec::with_capacity(n);
    let mut cur = period_at(tz, period, end.add_millis(-1));
    while let Some(span) = cur {
        if out.len() >= n {
            break;
        }
        out.push(span);
        cur = period_at(tz, period, span.start.add_millis(-1));
    }
    out.reverse();
    // Consecutive by construction; `next` would give the same, checked in tests.
    debug_assert!(out
        .windows(2)
        .all(|w| next(tz, period, w[0]).is_some_and(|n| n == w[1])));
    out
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    /// 2026-11-15T12:00:00Z.
    const NOW: Timestamp = Timestamp(1_794_744_000_000);

    #[test]
    fn the_newest_periods_up_to_now() {
        let r = Range {
            begin: None,
            end: NOW,
        };
        let days = spans(&Utc, Period::Day, r, Some(30)).expect("spans");
        assert_eq!(days.len(), 30);
        assert!(days[29].contains(NOW.add_millis(-1)));
        for w in days.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
    }

    #[test]
    fn a_range_gives_whole_periods_and_the_limit_keeps_the_newest() {
        let begin = Timestamp(NOW.0 - 10 * 86_400_000 + 3_600_000);
        let r = Range {
            begin: Some(begin),
            end: NOW,
        };
        let days = spans(&Utc, Period::Day, r, None).expect("spans");
        assert_eq!(days.len(), 11);
        assert!(days[0].start < begin);
        let three = spans(&Utc, Period::Day, r, Some(3)).expect("spans");
        assert_eq!(three, days[8..]);
    }

    #[test]
    fn a_backward_or_huge_range_is_bad_input() {
        let r = Range {
            begin: Some(NOW),
            end: NOW.add_millis(-1),
        };
        let e = spans(&Utc, Period::Day, r, None).expect_err("backwards");
        assert!(e.0.contains("is not before --end"), "{e}");
        let r = Range {
            begin: Some(Timestamp(0)),
            end: NOW,
        };
        let e = spans(&Utc, Period::Hour, r, None).expect_err("too long");
        assert!(e.0.contains("more than 100000 rows"), "{e}");
    }
}
