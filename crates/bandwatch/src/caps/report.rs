//! The caps report: one row per `[[caps]]` entry, computed from the store the way the agent
//! seeds its tracker (`bandwatch_agent::caps::status_from_store`), so both agree.

use std::fmt::Write as _;

use bandwatch_agent::caps::{status_from_store, CapStatus, CapTarget, Zone};
use bandwatch_core::calendar::Period;
use bandwatch_core::human::escape_control;
use bandwatch_core::units::Bytes;
use bandwatch_core::{Clock as _, SystemClock, Timestamp};
use bandwatch_store::Store;
use chrono::TimeZone;
use serde::Serialize;

use crate::config::caps::CapConfig;
use crate::config::Config;
use crate::error::{BadInput, EXIT_FAILURE};

/// The JSON document's shape version.
pub const VERSION: u32 = 1;

/// The report: `{"version": 1, "caps": [Row…]}`.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Shape version.
    pub version: u32,
    /// One row per cap, in the configuration's order.
    pub caps: Vec<Row>,
}

/// One cap's state.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The cap's name.
    pub name: String,
    /// `interface` or `device`.
    pub kind: &'static str,
    /// The interface or device name.
    pub target: String,
    /// `rx`, `tx` or `total`.
    pub direction: &'static str,
    /// `month`, `week` or `day`.
    pub period: &'static str,
    /// The month's billing day (monthly caps only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_day: Option<u8>,
    /// The period's first instant, RFC 3339 UTC.
    pub period_start: String,
    /// The first instant after it.
    pub period_end: String,
    /// Bytes used so far (exact).
    pub used_bytes: u64,
    /// The limit in bytes.
    pub limit_bytes: u64,
    /// Used over limit (1 = the whole cap).
    pub used_ratio: f64,
    /// Bytes forecast at the period's end.
    pub forecast_bytes: u64,
    /// Forecast over limit.
    pub forecast_ratio: f64,
    /// How it was forecast: `none`, `linear`, `hour_of_day` or `weekly`.
    pub forecast_method: &'static str,
    /// When the cap is (or was already) reached, RFC 3339 UTC; null when not this period.
    pub reach: Option<String>,
    /// Used is at or over the limit.
    pub over: bool,
    /// The forecast is over the limit.
    pub forecast_over: bool,
    #[serde(skip)]
    span: (Timestamp, Timestamp),
    #[serde(skip)]
    reach_at: Option<Timestamp>,
}

/// Runs the report; with `alert`, exits 1 when any cap is over or forecast over.
pub fn run(config: &Config, json: bool, alert: bool) -> anyhow::Result<()> {
    if config.caps.is_empty() {
        return Err(BadInput(
            "no data caps are configured; add a [[caps]] table (interface and limit) to the \
             config file (see \"Data caps\" in the README)"
                .into(),
        )
        .into());
    }
    if config.store.url.is_none() && !config.store.path.exists() {
        eprintln!("{}", crate::history::no_history(config));
        return Ok(());
    }
    let mut store = crate::history::open_read_only(config)?;
    store.begin_read()?;
    let now = SystemClock::new().wall();
    let rows = rows(store.as_ref(), &config.caps, &chrono::Local, now);
    store.end_read();
    let report = Report {
        version: VERSION,
        caps: rows?,
    };
    if json {
        let text = serde_json::to_string_pretty(&report)?;
        println!("{}", crate::output::escape_unsafe_chars(text));
    } else {
        print!("{}", render(&report, &chrono::Local));
    }
    if alert && report.caps.iter().any(|r| r.over || r.forecast_over) {
        std::process::exit(i32::from(EXIT_FAILURE));
    }
    Ok(())
}

/// Every cap's row at `now` in zone `tz`.
pub fn rows<Tz: TimeZone + Send>(
    store: &dyn Store,
    caps: &[CapConfig],
    tz: &Tz,
    now: Timestamp,
) -> anyhow::Result<Vec<Row>> {
    let calendar = Zone(tz.clone());
    caps.iter()
        .filter_map(
            |c| match status_from_store(store, &c.spec, &calendar, now) {
                Ok(Some(s)) => Some(Ok(row(c, &s))),
                Ok(None) => None,
                Err(e) => Some(Err(anyhow::Error::new(e)
                    .context(format!("reading the usage of cap '{}'", c.spec.name)))),
            },
        )
        .collect()
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // whole, non-negative bytes
fn row(c: &CapConfig, s: &CapStatus) -> Row {
    let spec = &c.spec;
    let (kind, target) = match &spec.target {
        CapTarget::Interface(i) => ("interface", i.clone()),
        CapTarget::Device(d) => ("device", d.clone()),
    };
    let (period, billing_day) = match spec.period {
        Period::Month { billing_day } => ("month", Some(billing_day)),
        Period::Week => ("week", None),
        _ => ("day", None),
    };
    Row {
        name: spec.name.clone(),
        kind,
        target,
        direction: spec.direction.as_str(),
        period,
        billing_day,
        period_start: s.span.start.to_rfc3339(),
        period_end: s.span.end.to_rfc3339(),
        used_bytes: s.used.round() as u64,
        limit_bytes: spec.limit,
        used_ratio: s.used_percent() / 100.0,
        forecast_bytes: s.forecast.total.round() as u64,
        forecast_ratio: s.forecast_percent() / 100.0,
        forecast_method: s.forecast.method.as_str(),
        reach: s.forecast.reach.map(Timestamp::to_rfc3339),
        over: s.used >= s.limit,
        forecast_over: s.forecast.total > s.limit,
        span: (s.span.start, s.span.end),
        reach_at: s.forecast.reach,
    }
}

/// A local date for a row (`2026-02-15`).
fn day<Tz: TimeZone>(tz: &Tz, t: Timestamp) -> String {
    tz.timestamp_millis_opt(t.0)
        .earliest()
        .map_or_else(|| t.to_rfc3339(), |d| d.naive_local().date().to_string())
}

/// The table people read.
pub fn render<Tz: TimeZone>(report: &Report, tz: &Tz) -> String {
    let header = [
        "cap", "counts", "period", "used", "limit", "used %", "forecast", "fcst %", "reached",
    ];
    let mut lines: Vec<[String; 9]> = vec![header.map(str::to_string)];
    for r in &report.caps {
        let reached = match r.reach_at {
            _ if r.over => "over".to_string(),
            Some(t) => day(tz, t),
            None => "-".to_string(),
        };
        // the period's last day, as people say "until the 14th"
        let last = Timestamp(r.span.1 .0 - 1);
        lines.push([
            escape_control(&r.name).into_owned(),
            format!("{} {}", escape_control(&r.target), r.direction),
            format!("{} .. {}", day(tz, r.span.0), day(tz, last)),
            Bytes(r.used_bytes).to_string(),
            Bytes(r.limit_bytes).to_string(),
            format!("{:.1} %", r.used_ratio * 100.0),
            Bytes(r.forecast_bytes).to_string(),
            format!("{:.1} %", r.forecast_ratio * 100.0),
            reached,
        ]);
    }
    let widths: Vec<usize> = (0..9)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for l in &lines {
        let mut line = String::new();
        for (i, cell) in l.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            // names and words to the left, numbers to the right
            if (3..8).contains(&i) {
                let _ = write!(line, "{}{cell}  ", " ".repeat(pad));
            } else {
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
