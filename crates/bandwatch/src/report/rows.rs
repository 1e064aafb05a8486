//! The rows of a report: each period's exact received and sent bytes (the store's
//! [`period_sums`], one query per tier and series), the average rate over the period (so
//! far, for the current one), and whether the period is still running. Pure over a
//! [`Store`], the periods and "now", so a generated history gives fixed rows.

use bandwatch_core::calendar::Span;
use bandwatch_core::{SeriesKey, Timestamp};
use bandwatch_store::report::{period_sums, PeriodSum};
use bandwatch_store::Store;

use super::subject::Subject;
use super::view::View;

/// One period of one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The period's label in local time (`2026-11-01`).
    pub label: String,
    /// The period.
    pub span: Span,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Received plus sent bits over the seconds of the period that have passed.
    pub avg_bps: f64,
    /// The period has not ended yet.
    pub partial: bool,
    /// Part of an hour split by this period's boundary was counted here whole (its
    /// minutes had expired).
    pub approximate: bool,
}

impl Row {
    /// Received plus sent.
    pub fn total_bytes(&self) -> u64 {
        self.rx_bytes + self.tx_bytes
    }
}

/// The rows of one subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// What they are about.
    pub subject: Subject,
    /// Oldest first (`top`: busiest first).
    pub rows: Vec<Row>,
}

impl Group {
    /// The bytes of every row: (received, sent).
    pub fn totals(&self) -> (u64, u64) {
        self.rows
            .iter()
            .fold((0, 0), |(r, t), row| (r + row.rx_bytes, t + row.tx_bytes))
    }
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Its view.
    pub view: View,
    /// The billing day months start on.
    pub billing_day: u8,
    /// The periods it covers (before `top` picks its days).
    pub spans: Vec<Span>,
    /// One group per subject.
    pub groups: Vec<Group>,
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, whole
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

/// The sums of several series (a device's addresses) added period by period.
fn sums(store: &dyn Store, keys: &[SeriesKey], spans: &[Span]) -> anyhow::Result<Vec<PeriodSum>> {
    let mut out = vec![PeriodSum::default(); spans.len()];
    for key in keys {
        for (o, s) in out.iter_mut().zip(period_sums(store, key, spans)?) {
            *o += s;
        }
    }
    Ok(out)
}

/// The rows of `subject` over `spans` at `now` (`limit` picks the busiest for `top`).
pub fn group(
    store: &dyn Store,
    subject: Subject,
    spans: &[Span],
    view: View,
    billing_day: u8,
    now: Timestamp,
    limit: usize,
) -> anyhow::Result<Group> {
    let rx = sums(store, &subject.rx, spans)?;
    let tx = sums(store, &subject.tx, spans)?;
    let mut rows: Vec<Row> = spans
        .iter()
        .zip(rx.iter().zip(&tx))
        .map(|(span, (r, t))| {
            let (rx_bytes, tx_bytes) = (whole(r.total.sum), whole(t.total.sum));
            let elapsed_ms = span.end.min(now).0 - span.start.0;
            let avg_bps = if elapsed_ms > 0 {
                (rx_bytes + tx_bytes) as f64 * 8.0 / (elapsed_ms as f64 / 1000.0)
            } else {
                0.0
            };
            Row {
                label: view.label(span, billing_day),
                span: *span,
                rx_bytes,
                tx_bytes,
                avg_bps,
                partial: span.end > now,
                approximate: r.split_hours + t.split_hours > 0,
            }
        })
        .collect();
    // periods before the history began are not rows (vnstat shows none either): a default
    // monthly view of a two-month-old history is two rows, not ten empty months first
    let first = rx
        .iter()
        .zip(&tx)
        .position(|(r, t)| r.total.samples + t.total.samples > 0)
        .unwrap_or(rows.len());
    rows.drain(..first);
    if view == View::Top {
        // Busiest first; among equals the older day first, so the order is stable.
        rows.retain(|r| r.total_bytes() > 0);
        rows.sort_by_key(|r| (std::cmp::Reverse(r.total_bytes()), r.span.start));
        rows.truncate(limit);
    }
    Ok(Group { subject, rows })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::calendar::{periods, Period};
    use bandwatch_core::{Frame, SampleKind, Seconds};
    use bandwatch_store::{SqliteOptions, SqliteStore};
    use chrono::Utc;

    use super::*;
    use crate::report::subject::{subjects, Selection};

    /// 2028-02-27T00:00:00Z.
    const T0: i64 = 1_835_222_400_000;
    const HOUR: i64 = 3_600_000;

    /// 1,000 B received and 10 B sent on eth0 every hour of four days from `T0`.
    fn store() -> SqliteStore {
        let mut s = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        let rx = Arc::new(SeriesKey::with_label("net_rx_bytes", "iface", "eth0"));
        let tx = Arc::new(SeriesKey::with_label("net_tx_bytes", "iface", "eth0"));
        let frames: Vec<Frame> = (0..96)
            .map(|h| {
                let mut f =
                    Frame::new("netdev", Timestamp(T0 + h * HOUR + 60_000), Seconds(3600.0));
                f.push(Arc::clone(&rx), 1000.0, SampleKind::Delta);
                f.push(Arc::clone(&tx), 10.0, SampleKind::Delta);
                f
            })
            .collect();
        s.write(&frames).expect("write");
        s.maintain(Timestamp(T0 + 96 * HOUR)).expect("maintain");
        s
    }

    fn eth0(s: &SqliteStore) -> Subject {
        let mut all = subjects(s.series().expect("series"), &Selection::Interfaces(vec![]))
            .expect("subjects");
        all.remove(0)
    }

    #[test]
    fn the_leap_day_of_2028_and_a_running_day() {
        let s = store();
        // Now is 12:00 on 1 March: that day is running, half over.
        let now = Timestamp(T0 + 3 * 24 * HOUR + 12 * HOUR);
        let spans = periods(&Utc, Period::Day, Timestamp(T0), now.add_millis(1), 10);
        let g = group(&s, eth0(&s), &spans, View::Daily, 1, now, 10).expect("rows");
        let labels: Vec<&str> = g.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"]
        );
        assert_eq!(g.rows[2].rx_bytes, 24_000);
        assert!(!g.rows[2].partial);
        let today = &g.rows[3];
        assert!(today.partial);
        // Every hour of the day was written (the generator ran ahead); the rate is over the
        // 12 hours so far.
        assert_eq!(today.total_bytes(), 24 * 1010);
        assert!((today.avg_bps - 24.0 * 1010.0 * 8.0 / (12.0 * 3600.0)).abs() < 1e-9);
        assert_eq!(g.totals(), (96_000, 960));
    }

    #[test]
    fn top_keeps_the_busiest_days_first() {
        let s = store();
        let now = Timestamp(T0 + 4 * 24 * HOUR);
        // Hours as periods: all equal, so the oldest come first and the limit cuts.
        let spans = periods(&Utc, Period::Hour, Timestamp(T0), now, 200);
        let g = group(&s, eth0(&s), &spans, View::Top, 1, now, 3).expect("rows");
        assert_eq!(g.rows.len(), 3);
        assert!(g.rows.windows(2).all(|w| w[0].span.start < w[1].span.start));
    }

    #[test]
    fn periods_before_the_history_began_are_not_rows() {
        let s = store();
        let now = Timestamp(T0 + 4 * 24 * HOUR);
        // the twelve months up to now: the history began in February 2028
        let spans = periods(
            &Utc,
            Period::MONTH,
            Timestamp(T0 - 300 * 24 * HOUR),
            now,
            12,
        );
        assert!(spans.len() > 2);
        let g = group(&s, eth0(&s), &spans, View::Monthly, 1, now, 12).expect("rows");
        let labels: Vec<&str> = g.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["2028-02", "2028-03"]);
    }
}
