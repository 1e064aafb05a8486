//! `bandwatch analyze`: what happened over a range of the history. Per interface the exact
//! totals, average, peak and 95th percentile of the rates and the busiest hours of the day;
//! per device the totals and peaks; probes' uptime and RTT; CPU, memory and disks; alerts
//! by rule and severity; and findings in words at the top. Text for people, `--json`
//! (shape on [`report::Report`]) for programs.
//!
//! One concern per module: [`range`] (the flags to a range and a resolution), [`gather`]
//! (the store to plain points), [`stats`] (pure statistics), [`report`] (the report and its
//! JSON shape), [`findings`] (the rules in words), [`text`] (the layout), [`chart`] (the
//! rate chart's data for `--chart`).

pub mod chart;
pub(crate) mod findings;
pub mod gather;
pub mod range;
pub mod report;
mod stats;
pub(crate) mod text;
pub(crate) mod words;

use std::io::Write as _;

use bandwatch_core::{Clock as _, SystemClock, Timestamp};
use bandwatch_store::{Retention, Store};

use crate::cli::AnalyzeArgs;
use crate::config::Config;

/// Runs `bandwatch analyze`.
pub fn command(config: &Config, args: &AnalyzeArgs, json: bool) -> anyhow::Result<()> {
    let now = SystemClock::new().wall();
    let tz = chrono::Local;
    if let Some(path) = &args.chart {
        crate::chart::Format::of(path)
            .map_err(|e| crate::error::BadInput(format!("--chart: {e}")))?;
    }
    let range = range::resolve(
        args.hours,
        args.since.as_deref(),
        args.until.as_deref(),
        now,
        &tz,
    )?;
    let Some(mut store) = open(config)? else {
        eprintln!("{}", crate::history::no_history(config));
        return Ok(());
    };
    store.begin_read()?;
    let input = analyze_input(store.as_ref(), config, range, now, args.iface.as_deref());
    // the caps as they stood at the range's end (now, for the default range)
    let caps = crate::caps::report::rows(store.as_ref(), &config.caps, &tz, range.to);
    store.end_read();
    let Some(input) = input? else {
        eprintln!("{}", crate::history::no_history(config));
        return Ok(());
    };
    let mut report = report::build(&input, &tz);
    report.caps = caps?;
    findings::caps(&mut report);
    if let Some(path) = &args.chart {
        chart::draw(path, &input, &report)?;
    }
    let text = if json {
        crate::output::escape_unsafe_chars(serde_json::to_string_pretty(&report)?) + "\n"
    } else {
        text::render(&report, &tz)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The gathered range, or `None` when the history holds no series at all.
pub(crate) fn analyze_input(
    store: &dyn Store,
    config: &Config,
    range: range::Range,
    now: Timestamp,
    iface: Option<&str>,
) -> anyhow::Result<Option<gather::Input>> {
    if store.series()?.is_empty() {
        return Ok(None);
    }
    let retention = Retention {
        raw: config.store.raw_retention,
        minute: config.store.minute_retention,
        hour: config.store.hour_retention,
    };
    let resolution = range::Resolution::for_range(range.from, now, &retention);
    gather::gather(store, range.aligned(resolution), resolution, iface).map(Some)
}

/// The history read-only (beside a running agent too); `None` when its file does not exist.
fn open(config: &Config) -> anyhow::Result<Option<Box<dyn Store>>> {
    if config.store.url.is_none() && !config.store.path.exists() {
        return Ok(None);
    }
    crate::history::open_read_only(config).map(Some)
}
