//! `bandwatch report [VIEW]`: traffic per hour, day, week, month or year, or the busiest
//! days, per interface, for the loopback-free total or per LAN device — exact sums of the
//! recorded deltas, read from the history (the SQLite file or the SQL database) the way
//! `bandwatch serve` reads it, so it works beside a running agent.
//!
//! One concern per module: `range` parses `--begin/--end`, `plan` picks the periods,
//! `subject` the series, `rows` sums them, and `text`, `json` and `csv` print them.

mod csv;
mod json;
mod plan;
mod range;
mod rows;
mod subject;
mod text;
mod view;

use std::io::Write as _;

use bandwatch_core::{Clock as _, SeriesKey, Timestamp};
use bandwatch_store::{Store, Tier};
use chrono::{SecondsFormat, TimeZone};

use crate::chart;
use crate::cli::ReportArgs;
use crate::config::Config;
use crate::error::BadInput;

use range::Edge;
use rows::Report;
use subject::Selection;
use view::View;

/// `t` as an RFC 3339 time in zone `tz`, with its offset (`2026-11-01T00:00:00+01:00`).
pub(crate) fn local_time<Tz: TimeZone>(tz: &Tz, t: Timestamp) -> String
where
    Tz::Offset: std::fmt::Display,
{
    tz.timestamp_millis_opt(t.0).single().map_or_else(
        || t.to_rfc3339(),
        |d| d.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// Runs the command.
pub fn command(config: &Config, args: &ReportArgs, json: bool) -> anyhow::Result<()> {
    let Some(view) = View::of(args.view) else {
        return crate::caps::report::run(config, json, args.alert);
    };
    check_args(args, json)?;
    if config.store.url.is_none() && !config.store.path.exists() {
        eprintln!("{}", crate::history::no_history(config));
        return Ok(());
    }
    let mut store = crate::history::open_read_only(config)?;
    store.begin_read()?;
    let now = bandwatch_core::SystemClock::new().wall();
    let report = build(store.as_ref(), &chrono::Local, config, args, view, now);
    store.end_read();
    let Some(report) = report? else {
        eprintln!("{}", crate::history::no_history(config));
        return Ok(());
    };
    if let Some(path) = &args.chart {
        draw(path, &report)?;
    }
    let text = if json {
        json::render(&chrono::Local, &report)?
    } else if args.csv {
        csv::render(&chrono::Local, &report)
    } else {
        text::render(&report)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// What can be checked before the history is opened.
fn check_args(args: &ReportArgs, json: bool) -> Result<(), BadInput> {
    if json && args.csv {
        return Err(BadInput(
            "--json and --csv both given; choose one output format".into(),
        ));
    }
    if args.limit == Some(0) {
        return Err(BadInput("--limit 0 shows nothing; give at least 1".into()));
    }
    if args.alert {
        return Err(BadInput(
            "--alert belongs to `bandwatch report caps`".into(),
        ));
    }
    if let Some(path) = &args.chart {
        chart::Format::of(path).map_err(|e| BadInput(format!("--chart: {e}")))?;
    }
    Ok(())
}

fn selection(args: &ReportArgs) -> Selection {
    if args.total {
        Selection::Total
    } else if !args.device.is_empty() {
        Selection::Devices(args.device.clone())
    } else {
        Selection::Interfaces(args.iface.clone())
    }
}

/// The report over `store` at `now`; `None` when the history holds no interface traffic.
fn build<Tz: TimeZone>(
    store: &dyn Store,
    tz: &Tz,
    config: &Config,
    args: &ReportArgs,
    view: View,
    now: Timestamp,
) -> anyhow::Result<Option<Report>> {
    let series = store.series()?;
    if !subject::any_traffic(&series) {
        return Ok(None);
    }
    let subjects = subject::subjects(series, &selection(args))?;
    if args.chart.is_some() && subjects.len() != 1 {
        return Err(BadInput(format!(
            "--chart draws one series but the report has {}; choose one with --iface NAME, \
             --total or --device LABEL",
            subjects.len()
        ))
        .into());
    }
    // The current period is reported so far; nothing after now exists yet.
    let until = now.add_millis(1);
    let mut begin = match &args.begin {
        Some(b) => Some(range::parse_when(tz, b, Edge::Begin, now)?),
        None => None,
    };
    let end = match &args.end {
        Some(e) => range::parse_when(tz, e, Edge::End, now)?.min(until),
        None => until,
    };
    if begin.is_none() && view.counts_from_the_oldest() {
        let keys: Vec<&SeriesKey> = subjects.iter().flat_map(subject::Subject::keys).collect();
        begin = Some(
            earliest(store, &keys, until)?
                .unwrap_or(end)
                .min(end.add_millis(-1)),
        );
    }
    let billing_day = config.calendar.billing_day;
    let limit = args.limit.or(view.default_limit());
    let span_limit = match (view, args.begin.is_some()) {
        (View::Top, _) => None,
        (_, true) => args.limit,
        (_, false) => limit,
    };
    let range = plan::Range { begin, end };
    let spans = plan::spans(tz, view.period(billing_day), range, span_limit)?;
    let groups = subjects
        .into_iter()
        .map(|s| {
            rows::group(
                store,
                s,
                &spans,
                view,
                billing_day,
                now,
                limit.unwrap_or(usize::MAX),
            )
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Some(Report {
        view,
        billing_day,
        spans,
        groups,
    }))
}

/// The oldest recorded bucket of any of `keys`: the hour rollups first (they reach back
/// furthest), else the minutes.
fn earliest(
    store: &dyn Store,
    keys: &[&SeriesKey],
    until: Timestamp,
) -> anyhow::Result<Option<Timestamp>> {
    let mut first: Option<Timestamp> = None;
    for key in keys {
        let hour = store
            .query_rollup(Tier::Hour, key, Timestamp(0), until)?
            .first()
            .map(|p| p.bucket);
        // Minutes only before the first hour (or everywhere when there is none yet).
        let minute_until = hour.map_or(until, |h| h.add_millis(bandwatch_store::HOUR_MS));
        let minute = store
            .query_rollup(Tier::Minute, key, Timestamp(0), minute_until)?
            .first()
            .map(|p| p.bucket);
        for t in [hour, minute].into_iter().flatten() {
            first = Some(first.map_or(t, |f| f.min(t)));
        }
    }
    Ok(first)
}

/// `--chart`: the one group's rows as received vs sent bars.
fn draw(path: &std::path::Path, report: &Report) -> anyhow::Result<()> {
    let Some(g) = report.groups.first() else {
        return Ok(());
    };
    let bars: Vec<chart::BarGroup> = g
        .rows
        .iter()
        .map(|r| chart::BarGroup {
            label: if r.partial {
                format!("{} *", r.label)
            } else {
                r.label.clone()
            },
            rx_bytes: r.rx_bytes,
            tx_bytes: r.tx_bytes,
        })
        .collect();
    let title = format!(
        "{} ({}): received and sent per {}",
        g.subject.name,
        g.subject.kind.name(),
        report.view.column().to_lowercase()
    );
    let note = chart::bars(path, &title, &bars)?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    Ok(())
}

/// The loopback-free total's received and sent bytes per hour (`hourly`) or per day over
/// `[from, to)`, as the chart's bars: what a scheduled summary shows. Empty when the
/// history holds no interface traffic.
pub(crate) fn total_bars<Tz: TimeZone>(
    store: &dyn Store,
    tz: &Tz,
    hourly: bool,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> anyhow::Result<Vec<chart::BarGroup>> {
    let series = store.series()?;
    if !subject::any_traffic(&series) {
        return Ok(Vec::new());
    }
    let view = if hourly { View::Hourly } else { View::Daily };
    // A history written by something other than the agent may lack the total.
    let Some(total) = subject::subjects(series, &Selection::Total)
        .ok()
        .and_then(|s| s.into_iter().next())
    else {
        return Ok(Vec::new());
    };
    let range = plan::Range {
        begin: Some(from),
        end: to,
    };
    let spans = plan::spans(tz, view.period(1), range, None)?;
    let group = rows::group(store, total, &spans, view, 1, now, usize::MAX)?;
    // Every period gets its bar, those before the history began too (as zero): a summary's
    // day always has 24 hours.
    Ok(spans
        .iter()
        .map(|span| {
            let row = group.rows.iter().find(|r| r.span.start == span.start);
            chart::BarGroup {
                label: view.label(span, 1),
                rx_bytes: row.map_or(0, |r| r.rx_bytes),
                tx_bytes: row.map_or(0, |r| r.tx_bytes),
            }
        })
        .collect())
}
