//! What one row of a view is: its calendar period, how many rows it shows by default (as
//! vnstat does), and how its period is labelled.

use bandwatch_core::calendar::{Period, Span};

use crate::cli::ReportView;

/// A view of `bandwatch report` that has rows of periods (every one but `caps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Hours.
    Hourly,
    /// Days.
    Daily,
    /// Weeks from Monday.
    Weekly,
    /// Months from the billing day.
    Monthly,
    /// Years.
    Yearly,
    /// The busiest days.
    Top,
}

impl View {
    /// The view for a command-line choice (`None` for `caps`).
    pub fn of(v: ReportView) -> Option<Self> {
        Some(match v {
            ReportView::Hourly => Self::Hourly,
            ReportView::Daily => Self::Daily,
            ReportView::Weekly => Self::Weekly,
            ReportView::Monthly => Self::Monthly,
            ReportView::Yearly => Self::Yearly,
            ReportView::Top => Self::Top,
            ReportView::Caps => return None,
        })
    }

    /// The name as typed (`daily`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Hourly => "hourly",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
            Self::Top => "top",
        }
    }

    /// The period one row covers.
    pub fn period(self, billing_day: u8) -> Period {
        match self {
            Self::Hourly => Period::Hour,
            Self::Daily | Self::Top => Period::Day,
            Self::Weekly => Period::Week,
            Self::Monthly => Period::Month { billing_day },
            Self::Yearly => Period::Year,
        }
    }

    /// Rows shown without `--limit` (`None`: every period of the history).
    pub fn default_limit(self) -> Option<usize> {
        match self {
            Self::Hourly => Some(24),
            Self::Daily => Some(30),
            Self::Weekly => Some(8),
            Self::Monthly => Some(12),
            Self::Yearly => None,
            Self::Top => Some(10),
        }
    }

    /// Whether the view starts at the oldest record unless `--begin` says otherwise.
    pub fn counts_from_the_oldest(self) -> bool {
        matches!(self, Self::Yearly | Self::Top)
    }

    /// The heading of the period column.
    pub fn column(self) -> &'static str {
        match self {
            Self::Hourly => "HOUR",
            Self::Daily | Self::Top => "DAY",
            Self::Weekly => "WEEK",
            Self::Monthly => "MONTH",
            Self::Yearly => "YEAR",
        }
    }

    /// The period's label in local time: `2026-11-01 14:00`, `2026-11-01`, `2026-W44`,
    /// `2026-11` (from the 1st, else the start date), `2026`.
    pub fn label(self, span: &Span, billing_day: u8) -> String {
        let t = span.local_start;
        let fmt = match self {
            Self::Hourly => "%Y-%m-%d %H:%M",
            Self::Weekly => "%G-W%V",
            Self::Monthly if billing_day == 1 => "%Y-%m",
            Self::Daily | Self::Top | Self::Monthly => "%Y-%m-%d",
            Self::Yearly => "%Y",
        };
        t.format(fmt).to_string()
    }
}

#[cfg(test)]
mod tests {
    use bandwatch_core::calendar::period_at;
    use bandwatch_core::Timestamp;
    use chrono::Utc;

    use super::*;

    #[test]
    fn labels_in_each_view() {
        // 2026-11-01T14:20:00Z, a Sunday.
        let at = Timestamp(1_793_542_800_000);
        let cases = [
            (View::Hourly, 1, "2026-11-01 14:00"),
            (View::Daily, 1, "2026-11-01"),
            (View::Weekly, 1, "2026-W44"),
            (View::Monthly, 1, "2026-11"),
            (View::Monthly, 15, "2026-10-15"),
            (View::Yearly, 1, "2026"),
        ];
        for (view, day, want) in cases {
            let span = period_at(&Utc, view.period(day), at).expect("span");
            assert_eq!(view.label(&span, day), want, "{view:?}");
        }
    }
}
