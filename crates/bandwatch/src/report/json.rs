//! `report --json`: one document for programs.
//!
//! ```text
//! { "version": 1, "view": "daily", "billing_day": 1,
//!   "series": [ { "kind": "interface" | "total" | "device", "name": "eth0",
//!                 "rx_bytes": 0, "tx_bytes": 0, "total_bytes": 0,
//!                 "rows": [ { "period": "2026-11-01",
//!                             "start": "2026-11-01T00:00:00+01:00", "end": "…",
//!                             "rx_bytes": 0, "tx_bytes": 0, "total_bytes": 0,
//!                             "avg_bits_per_second": 0.0,
//!                             "partial": false, "approximate": false } ] } ] }
//! ```
//!
//! Byte counts are exact integers; times are local with their offset; `partial` marks the
//! period still running (its rate is over the time so far); `approximate` a period that got
//! an hour split by its boundary whole because its minutes had expired.

use chrono::TimeZone;
use serde::Serialize;

use super::local_time;
use super::rows::{Group, Report, Row};
use super::subject::Kind;

/// The shape's version; a change that breaks readers bumps it.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    view: &'static str,
    billing_day: u8,
    series: Vec<SeriesDoc<'a>>,
}

#[derive(Serialize)]
struct SeriesDoc<'a> {
    kind: Kind,
    name: &'a str,
    rx_bytes: u64,
    tx_bytes: u64,
    total_bytes: u64,
    rows: Vec<RowDoc<'a>>,
}

#[derive(Serialize)]
struct RowDoc<'a> {
    period: &'a str,
    start: String,
    end: String,
    rx_bytes: u64,
    tx_bytes: u64,
    total_bytes: u64,
    avg_bits_per_second: f64,
    partial: bool,
    approximate: bool,
}

fn row<'a, Tz: TimeZone>(tz: &Tz, r: &'a Row) -> RowDoc<'a>
where
    Tz::Offset: std::fmt::Display,
{
    RowDoc {
        period: &r.label,
        start: local_time(tz, r.span.start),
        end: local_time(tz, r.span.end),
        rx_bytes: r.rx_bytes,
        tx_bytes: r.tx_bytes,
        total_bytes: r.total_bytes(),
        // Millibit precision is plenty and keeps the numbers short.
        avg_bits_per_second: (r.avg_bps * 1000.0).round() / 1000.0,
        partial: r.partial,
        approximate: r.approximate,
    }
}

fn series<'a, Tz: TimeZone>(tz: &Tz, g: &'a Group) -> SeriesDoc<'a>
where
    Tz::Offset: std::fmt::Display,
{
    let (rx, tx) = g.totals();
    SeriesDoc {
        kind: g.subject.kind,
        name: &g.subject.name,
        rx_bytes: rx,
        tx_bytes: tx,
        total_bytes: rx + tx,
        rows: g.rows.iter().map(|r| row(tz, r)).collect(),
    }
}

/// The report as pretty JSON, ending in a newline.
pub fn render<Tz: TimeZone>(tz: &Tz, report: &Report) -> anyhow::Result<String>
where
    Tz::Offset: std::fmt::Display,
{
    let doc = Doc {
        version: VERSION,
        view: report.view.name(),
        billing_day: report.billing_day,
        series: report.groups.iter().map(|g| series(tz, g)).collect(),
    };
    Ok(crate::output::escape_unsafe_chars(serde_json::to_string_pretty(&doc)?) + "\n")
}
