//! The `network_usage` and `alerts` tables that users' existing SQL reports read: one row per
//! frame that carries the total transmit and receive rates (Mbit/s; the catalogue's `TxRate`
//! and `RxRate` metrics on their aggregate series), and one row per fired or escalated alert.

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

/// What the compatibility tables need from the configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompatOptions {
    /// Upload limit in Mbit/s; a frame sending more is `is_high_usage` (none: never).
    pub upload_mbps: Option<f64>,
    /// Download limit in Mbit/s; a frame receiving more is `is_high_usage` (none: never).
    pub download_mbps: Option<f64>,
    /// Rules whose `fired` events mark the `network_usage` row of their instant `is_spike`.
    pub spike_rules: BTreeSet<String>,
    /// The rate series of `network_usage` rows; none writes no rows.
    pub total_rates: Option<TotalRates>,
}

/// One `network_usage` row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    pub ts: i64,
    pub sent: f64,
    pub recv: f64,
    pub high: bool,
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

/// The usage rows of the frames that carry both total rates.
pub(crate) fn usage_rows(frames: &[Frame], opts: &CompatOptions) -> Vec<Usage> {
    let Some(rates) = &opts.total_rates else {
        return Vec::new();
    };
    frames
        .iter()
        .filter_map(|f| {
            let sent = value_of(f, &rates.sent)? / 1e6;
            let recv = value_of(f, &rates.recv)? / 1e6;
            let over = |v: f64, limit: Option<f64>| limit.is_some_and(|l| v > l);
            Some(Usage {
                ts: f.ts.0,
                sent,
                recv,
                high: over(sent, opts.upload_mbps) || over(recv, opts.download_mbps),
            })
        })
        .collect()
}

/// Instants in `[from, to]` at which a spike rule fired (recorded before its frame arrived).
async fn spike_times(
    tx: &mut Tx,
    opts: &CompatOptions,
    from: i64,
    to: i64,
) -> sqlx::Result<BTreeSet<i64>> {
    if opts.spike_rules.is_empty() {
        return Ok(BTreeSet::new());
    }
    let sql = format!(
        "SELECT DISTINCT e.at FROM bw_alert_event e JOIN bw_alert a ON a.id = e.alert_id \
         WHERE e.kind = 'fired' AND e.at >= ? AND e.at <= ? AND a.rule IN ({})",
        placeholders(opts.spike_rules.len())
    );
    let mut args = vec![Arg::Int(from), Arg::Int(to)];
    args.extend(opts.spike_rules.iter().map(|r| Arg::Text(r)));
    Ok(tx
        .fetch(&sql, &args, &[Col::Int])
        .await?
        .iter()
        .map(|r| r.int(0))
        .collect())
}

/// Rows per multi-row insert (six arguments each).
const USAGE_ROWS_PER_INSERT: usize = 500;

/// Inserts usage rows; a row already there (a retried batch) is kept.
pub(crate) async fn insert_usage(
    tx: &mut Tx,
    opts: &CompatOptions,
    rows: &[Usage],
) -> sqlx::Result<()> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(());
    };
    let spikes = spike_times(tx, opts, first.ts.min(last.ts), first.ts.max(last.ts)).await?;
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
                Arg::Bool(u.high),
                Arg::Bool(spikes.contains(&u.ts)),
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

/// The compatibility side of one newly recorded alert event: an `alerts` row for fired and
/// escalated events (with the latest total rates, Mbit/s), and the spike flag of its frame.
pub(crate) async fn record_event(
    tx: &mut Tx,
    opts: &CompatOptions,
    e: &AlertEvent,
    rates: Option<(f64, f64)>,
) -> sqlx::Result<()> {
    if !matches!(e.kind, EventKind::Fired | EventKind::Escalated) {
        return Ok(());
    }
    let Some(at) = datetime_text(e.at.0) else {
        return Ok(());
    };
    let d = tx.dialect();
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
            datetime_param(d)
        ),
        &[
            Arg::Text(&at),
            Arg::Text(&e.rule),
            Arg::Text(&e.message),
            real(sent),
            real(recv),
            real(total),
        ],
    )
    .await?;
    if e.kind == EventKind::Fired && opts.spike_rules.contains(&e.rule) {
        tx.exec(
            &format!(
                "UPDATE network_usage SET is_spike = TRUE WHERE timestamp = {}",
                datetime_param(d)
            ),
            &[Arg::Text(&at)],
        )
        .await?;
    }
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
    fn usage_comes_from_total_rates_in_mbps() {
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
            upload_mbps: Some(10.0),
            total_rates: TotalRates::from_catalog(&catalog()),
            ..CompatOptions::default()
        };
        assert!(usage_rows(&[f.clone()], &CompatOptions::default()).is_empty());
        let rows = usage_rows(&[f.clone()], &opts);
        assert_eq!(
            rows,
            vec![Usage {
                ts: f.ts.0,
                sent: 12.0,
                recv: 3.0,
                high: true
            }]
        );
        let no_limits = CompatOptions {
            total_rates: opts.total_rates.clone(),
            ..CompatOptions::default()
        };
        assert!(!usage_rows(&[f], &no_limits)[0].high);
        assert_eq!(
            datetime_text(1_767_225_601_500).as_deref(),
            Some("2026-01-01 00:00:01.500")
        );
    }
}
