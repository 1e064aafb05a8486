//! The `network_usage` and `alerts` tables that the old spike monitor wrote and users'
//! existing SQL reports read, with its columns and units: one row per frame that carries the
//! total transmit and receive rates (bytes per second, from the catalogue's `TxRate` and
//! `RxRate` metrics on their aggregate series), and one row per fired or escalated alert,
//! named `HIGH_USAGE`, `SPIKE` or, for other rules, after the rule.

use std::collections::BTreeSet;

use bandwatch_core::{AlertEvent, Catalog, EventKind, Frame, Role, SeriesKey, Timestamp};

use super::conn::{Arg, Col, Tx};
use super::dialect::{datetime_param, insert_ignore, on_conflict_nothing, placeholders};

/// The series whose values (bits per second) fill `network_usage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalRates {
    /// The total transmit rate: `sent_rate`.
    pub sent: SeriesKey,
    /// The total receive rate: `recv_rate`.
    pub recv: SeriesKey,
}

impl TotalRates {
    /// The catalogue's transmit and receive rates on its aggregate series; `None` when it
    /// has no such metrics or no aggregate.
    pub fn from_catalog(catalog: &Catalog) -> Option<Self> {
        let (label, value) = catalog.aggregate()?;
        let total = |role| {
            let metric = catalog.by_role(role)?.name;
            Some(SeriesKey::with_label(metric, label, value))
        };
        Some(Self {
            sent: total(Role::TxRate)?,
            recv: total(Role::RxRate)?,
        })
    }
}

/// The two kinds of alert the old tool knew, as its `alerts.alert_type` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertType {
    /// Traffic above a limit: `HIGH_USAGE`, flagged in `network_usage.is_high_usage`.
    HighUsage,
    /// A sudden jump: `SPIKE`, flagged in `network_usage.is_spike`.
    Spike,
}

impl AlertType {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::HighUsage, Self::Spike];

    /// The `alert_type` text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HighUsage => "HIGH_USAGE",
            Self::Spike => "SPIKE",
        }
    }

    /// The `network_usage` column that says an alert of this kind was firing.
    fn flag_column(self) -> &'static str {
        match self {
            Self::HighUsage => "is_high_usage",
            Self::Spike => "is_spike",
        }
    }
}

/// What the compatibility tables need from the configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompatOptions {
    /// Rules whose alerts are `HIGH_USAGE`: a `network_usage` row is `is_high_usage` while
    /// one of them is firing.
    pub usage_rules: BTreeSet<String>,
    /// Rules whose alerts are `SPIKE`: a `network_usage` row is `is_spike` while one of them
    /// is firing.
    pub spike_rules: BTreeSet<String>,
    /// The rate series of `network_usage` rows; none writes no rows.
    pub total_rates: Option<TotalRates>,
}

impl CompatOptions {
    /// The old tool's name for the alerts of `rule`, when it is one of its two kinds (a rule
    /// named in both sets counts as high usage).
    pub fn alert_type(&self, rule: &str) -> Option<AlertType> {
        AlertType::ALL
            .into_iter()
            .find(|t| self.rules(*t).contains(rule))
    }

    /// The `alert_type` text of `rule`'s alerts.
    pub fn alert_type_text<'a>(&self, rule: &'a str) -> &'a str {
        match self.alert_type(rule) {
            Some(t) => t.as_str(),
            None => rule,
        }
    }

    /// The rules of one kind.
    pub fn rules(&self, t: AlertType) -> &BTreeSet<String> {
        match t {
            AlertType::HighUsage => &self.usage_rules,
            AlertType::Spike => &self.spike_rules,
        }
    }
}

/// One `network_usage` row before its flags are known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    pub ts: i64,
    /// Bytes per second sent.
    pub sent: f64,
    /// Bytes per second received.
    pub recv: f64,
}

/// `ms` as the `YYYY-MM-DD HH:MM:SS.mmm` UTC text the date-time columns read.
pub(crate) fn datetime_text(ms: i64) -> Option<String> {
    Timestamp(ms)
        .to_datetime()
        .map(|d| d.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
}

/// The value of `key` in `frame`.
fn value_of(frame: &Frame, key: &SeriesKey) -> Option<f64> {
    frame
        .samples
        .iter()
        .find(|s| *s.series == *key)
        .map(|s| s.value)
}

/// Bits in a byte: the catalogue's rates are bits per second, the old tables bytes per second.
const BITS_PER_BYTE: f64 = 8.0;

/// The usage rows of the frames that carry both total rates.
pub(crate) fn usage_rows(frames: &[Frame], opts: &CompatOptions) -> Vec<Usage> {
    let Some(rates) = &opts.total_rates else {
        return Vec::new();
    };
    frames
        .iter()
        .filter_map(|f| {
            Some(Usage {
                ts: f.ts.0,
                sent: value_of(f, &rates.sent)? / BITS_PER_BYTE,
                recv: value_of(f, &rates.recv)? / BITS_PER_BYTE,
            })
        })
        .collect()
}

/// When alerts of one kind were firing: `[first fired, resolved)` in ms, open-ended while
/// they still fire.
#[derive(Debug, Default, Clone, PartialEq)]
struct Firing(Vec<(i64, Option<i64>)>);

impl Firing {
    fn covers(&self, ts: i64) -> bool {
        self.0
            .iter()
            .any(|&(from, to)| from <= ts && to.is_none_or(|t| ts < t))
    }
}

/// The firing spans of `rules`' alerts that overlap `[from, to]`.
async fn firing(tx: &mut Tx, rules: &BTreeSet<String>, from: i64, to: i64) -> sqlx::Result<Firing> {
    if rules.is_empty() {
        return Ok(Firing::default());
    }
    // An alert opens with its `fired` event and ends when resolved (`bw_alert.ended`); one
    // that was only pending never fired.
    let sql = format!(
        "SELECT MIN(e.at), MAX(a.ended) FROM bw_alert a JOIN bw_alert_event e ON e.alert_id = a.id \
         WHERE e.kind = 'fired' AND a.started <= ? AND (a.ended IS NULL OR a.ended > ?) \
         AND a.rule IN ({}) GROUP BY a.id HAVING MIN(e.at) <= ?",
        placeholders(rules.len())
    );
    let mut args = vec![Arg::Int(to), Arg::Int(from)];
    args.extend(rules.iter().map(|r| Arg::Text(r)));
    args.push(Arg::Int(to));
    let rows = tx.fetch(&sql, &args, &[Col::Int, Col::Int]).await?;
    Ok(Firing(
        rows.iter().map(|r| (r.int(0), r.opt_int(1))).collect(),
    ))
}

/// Rows per multi-row insert (six arguments each).
const USAGE_ROWS_PER_INSERT: usize = 500;

/// Inserts usage rows, flagged while a high-usage or spike alert fires at their instant; a
/// row already there (a retried batch) is kept.
pub(crate) async fn insert_usage(
    tx: &mut Tx,
    opts: &CompatOptions,
    rows: &[Usage],
) -> sqlx::Result<()> {
    let (Some(from), Some(to)) = (
        rows.iter().map(|u| u.ts).min(),
        rows.iter().map(|u| u.ts).max(),
    ) else {
        return Ok(());
    };
    let high = firing(tx, &opts.usage_rules, from, to).await?;
    let spikes = firing(tx, &opts.spike_rules, from, to).await?;
    let d = tx.dialect();
    let texts: Vec<Option<String>> = rows.iter().map(|u| datetime_text(u.ts)).collect();
    let valid: Vec<(&Usage, &str)> = rows
        .iter()
        .zip(&texts)
        .filter_map(|(u, t)| t.as_deref().map(|t| (u, t)))
        .collect();
    for chunk in valid.chunks(USAGE_ROWS_PER_INSERT) {
        let one = format!("({}, ?, ?, ?, ?, ?)", datetime_param(d));
        let sql = format!(
            "{} INTO network_usage (timestamp, sent_rate, recv_rate, total_rate, is_high_usage, is_spike) VALUES {}{}",
            insert_ignore(d),
            vec![one.as_str(); chunk.len()].join(", "),
            on_conflict_nothing(d)
        );
        let mut args = Vec::with_capacity(chunk.len() * 6);
        for (u, text) in chunk {
            args.extend([
                Arg::Text(text),
                Arg::Real(u.sent),
                Arg::Real(u.recv),
                Arg::Real(u.sent + u.recv),
                Arg::Bool(high.covers(u.ts)),
                Arg::Bool(spikes.covers(u.ts)),
            ]);
        }
        tx.exec(&sql, &args).await?;
    }
    // The text form sorts like the instants it names.
    let from = valid.iter().map(|(_, t)| *t).min();
    let to = valid.iter().map(|(_, t)| *t).max();
    if let (Some(from), Some(to)) = (from, to) {
        fill_alert_rates(tx, from, to).await?;
    }
    Ok(())
}

/// Gives `alerts` rows that were written before their own tick's usage row (the writer
/// records alerts at once and frames in batches) the rates of that tick.
async fn fill_alert_rates(tx: &mut Tx, from: &str, to: &str) -> sqlx::Result<()> {
    let d = tx.dialect();
    let of = |col: &str| {
        format!(
            "{col} = (SELECT u.{col} FROM network_usage u WHERE u.timestamp = alerts.timestamp)"
        )
    };
    let sql = format!(
        "UPDATE alerts SET {}, {}, {} WHERE recv_rate IS NULL \
         AND timestamp BETWEEN {p} AND {p} \
         AND EXISTS (SELECT 1 FROM network_usage u WHERE u.timestamp = alerts.timestamp)",
        of("sent_rate"),
        of("recv_rate"),
        of("total_rate"),
        p = datetime_param(d)
    );
    tx.exec(&sql, &[Arg::Text(from), Arg::Text(to)]).await?;
    Ok(())
}

/// Sets `t`'s flag of the usage rows at or after `from` (ms) again from the firing spans:
/// rows written before an alert of their tick was recorded, or before it resolved.
async fn reflag(tx: &mut Tx, opts: &CompatOptions, t: AlertType, from: i64) -> sqlx::Result<()> {
    let Some(from_text) = datetime_text(from) else {
        return Ok(());
    };
    let spans = firing(tx, opts.rules(t), from, i64::MAX).await?;
    let (col, p) = (t.flag_column(), datetime_param(tx.dialect()));
    tx.exec(
        &format!("UPDATE network_usage SET {col} = FALSE WHERE timestamp >= {p}"),
        &[Arg::Text(&from_text)],
    )
    .await?;
    for (start, end) in spans.0 {
        let Some(start) = datetime_text(start.max(from)) else {
            continue;
        };
        match end.and_then(datetime_text) {
            Some(end) => {
                tx.exec(
                    &format!(
                        "UPDATE network_usage SET {col} = TRUE WHERE timestamp >= {p} AND timestamp < {p}"
                    ),
                    &[Arg::Text(&start), Arg::Text(&end)],
                )
                .await?
            }
            None => {
                tx.exec(
                    &format!("UPDATE network_usage SET {col} = TRUE WHERE timestamp >= {p}"),
                    &[Arg::Text(&start)],
                )
                .await?
            }
        };
    }
    Ok(())
}

/// The compatibility side of one newly recorded alert event: an `alerts` row for fired and
/// escalated events (with the latest total rates, bytes per second), and the flags of the
/// usage rows its opening or closing changes.
pub(crate) async fn record_event(
    tx: &mut Tx,
    opts: &CompatOptions,
    e: &AlertEvent,
    rates: Option<(f64, f64)>,
) -> sqlx::Result<()> {
    if let Some(t) = opts.alert_type(&e.rule) {
        if matches!(e.kind, EventKind::Fired | EventKind::Resolved) {
            reflag(tx, opts, t, e.at.0).await?;
        }
    }
    if !matches!(e.kind, EventKind::Fired | EventKind::Escalated) {
        return Ok(());
    }
    let Some(at) = datetime_text(e.at.0) else {
        return Ok(());
    };
    // Before any usage row exists the rates stay empty until this tick's row is written
    // (see `fill_alert_rates`).
    let (sent, recv, total) = match rates {
        Some((s, r)) => (Some(s), Some(r), Some(s + r)),
        None => (None, None, None),
    };
    let real = |v: Option<f64>| Arg::Real(v.unwrap_or(f64::NAN));
    tx.exec(
        &format!(
            "INSERT INTO alerts (timestamp, alert_type, message, sent_rate, recv_rate, total_rate) \
             VALUES ({}, ?, ?, ?, ?, ?)",
            datetime_param(tx.dialect())
        ),
        &[
            Arg::Text(&at),
            Arg::Text(opts.alert_type_text(&e.rule)),
            Arg::Text(&e.message),
            real(sent),
            real(recv),
            real(total),
        ],
    )
    .await?;
    Ok(())
}

/// The rates of the newest `network_usage` row, so `alerts` rows after a restart have them.
pub(crate) async fn latest_rates(tx: &mut Tx) -> sqlx::Result<Option<(f64, f64)>> {
    let row = tx
        .fetch_one(
            "SELECT sent_rate, recv_rate FROM network_usage ORDER BY timestamp DESC LIMIT 1",
            &[],
            &[Col::Real, Col::Real],
        )
        .await?;
    Ok(row.map(|r| (r.real(0), r.real(1))))
}

/// Deletes compatibility rows older than `before` (ms).
pub(crate) async fn prune(tx: &mut Tx, before: i64) -> sqlx::Result<()> {
    let Some(text) = datetime_text(before) else {
        return Ok(());
    };
    let p = datetime_param(tx.dialect());
    for table in ["network_usage", "alerts"] {
        tx.exec(
            &format!("DELETE FROM {table} WHERE timestamp < {p}"),
            &[Arg::Text(&text)],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::{SampleKind, Seconds, SeriesKey};
    use std::sync::Arc;

    use bandwatch_core::{MetricDef, Unit};

    const RATES: [MetricDef; 2] = [
        MetricDef::new(
            "out_bps",
            SampleKind::Rate,
            Unit::BitsPerSecond,
            &["nic", "sum"],
            "x_out",
            "Out.",
        )
        .role(Role::TxRate),
        MetricDef::new(
            "in_bps",
            SampleKind::Rate,
            Unit::BitsPerSecond,
            &["nic", "sum"],
            "x_in",
            "In.",
        )
        .role(Role::RxRate),
    ];

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        c.extend(&RATES).unwrap();
        c.set_aggregate("sum", "all");
        c
    }

    #[test]
    fn the_rates_come_from_the_catalogue_roles() {
        let c = catalog();
        assert_eq!(
            TotalRates::from_catalog(&c),
            Some(TotalRates {
                sent: SeriesKey::with_label("out_bps", "sum", "all"),
                recv: SeriesKey::with_label("in_bps", "sum", "all"),
            })
        );
        assert_eq!(TotalRates::from_catalog(&Catalog::new()), None);
    }

    #[test]
    fn usage_comes_from_total_rates_in_bytes_per_second() {
        let mut f = Frame::new("netdev", Timestamp(1_767_225_601_500), Seconds(1.0));
        let total = |m: &str| Arc::new(SeriesKey::with_label(m, "sum", "all"));
        f.push(total("out_bps"), 12e6, SampleKind::Rate);
        f.push(total("in_bps"), 3e6, SampleKind::Rate);
        f.push(
            Arc::new(SeriesKey::with_label("in_bps", "nic", "n1")),
            9e6,
            SampleKind::Rate,
        );
        let opts = CompatOptions {
            total_rates: TotalRates::from_catalog(&catalog()),
            ..CompatOptions::default()
        };
        assert!(usage_rows(&[f.clone()], &CompatOptions::default()).is_empty());
        assert_eq!(
            usage_rows(&[f.clone()], &opts),
            vec![Usage {
                ts: f.ts.0,
                sent: 1.5e6,
                recv: 375_000.0,
            }]
        );
        assert_eq!(
            datetime_text(1_767_225_601_500).as_deref(),
            Some("2026-01-01 00:00:01.500")
        );
    }

    #[test]
    fn rules_map_to_the_old_alert_types() {
        let opts = CompatOptions {
            usage_rules: BTreeSet::from(["upload-threshold".to_owned(), "both".to_owned()]),
            spike_rules: BTreeSet::from(["wan-spike".to_owned(), "both".to_owned()]),
            ..CompatOptions::default()
        };
        assert_eq!(opts.alert_type_text("upload-threshold"), "HIGH_USAGE");
        assert_eq!(opts.alert_type_text("wan-spike"), "SPIKE");
        assert_eq!(opts.alert_type_text("both"), "HIGH_USAGE");
        assert_eq!(opts.alert_type_text("cpu-threshold"), "cpu-threshold");
    }

    #[test]
    fn firing_spans_are_half_open() {
        let f = Firing(vec![(10, Some(20)), (30, None)]);
        let covered: Vec<i64> = [9, 10, 19, 20, 29, 30, 1000]
            .into_iter()
            .filter(|t| f.covers(*t))
            .collect();
        assert_eq!(covered, [10, 19, 30, 1000]);
    }
}
