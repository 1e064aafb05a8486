//! One scheduled summary from the history: `analyze`'s report over the period (totals,
//! peaks, the 95th percentile, probes, system, alerts by rule, caps at the period's end and
//! the findings in words), the received and sent bytes per hour or day as a chart, and the
//! whole as text, HTML with the chart inline, and JSON.

use std::fmt::Write as _;

use bandwatch_core::calendar::Span;
use bandwatch_core::Timestamp;
use bandwatch_notify::escape_html;
use bandwatch_notify::summary::{Summary, CHART_CID};
use bandwatch_store::Store;
use chrono::TimeZone;
use serde_json::json;

use super::schedule::{Every, Occurrence};
use crate::analyze::report::Report;
use crate::analyze::words::{bytes, rate};
use crate::analyze::{findings, range::Range, report, text};
use crate::chart::BarGroup;
use crate::config::reports::ReportConfig;
use crate::config::Config;

/// The version of the summary's JSON (`kind` `bandwatch.summary`).
pub const JSON_VERSION: u32 = 1;

/// What a summary is about.
pub struct Subject<'a> {
    /// The report.
    pub report: &'a ReportConfig,
    /// The period and when it was due.
    pub occurrence: Occurrence,
    /// The host's name, for the title.
    pub host: &'a str,
    /// The outbox key.
    pub key: String,
}

/// Composes the summary of `subject` from `store` at `now`.
pub fn compose<Tz>(
    store: &dyn Store,
    config: &Config,
    tz: &Tz,
    subject: &Subject<'_>,
    now: Timestamp,
) -> anyhow::Result<Summary>
where
    Tz: TimeZone + Send,
    Tz::Offset: std::fmt::Display,
{
    let span = subject.occurrence.span;
    let title = title(tz, subject);
    let range = Range {
        from: span.start,
        to: span.end,
    };
    let input = crate::analyze::analyze_input(store, config, range, now, None)?;
    let Some(input) = input else {
        let text = format!("{title}\n\nNo history was recorded in this period.\n");
        return Ok(Summary {
            report: subject.report.name.clone(),
            key: subject.key.clone(),
            html: html(&title, None, &text, false),
            json: document(tz, subject, &title, &[], None)?,
            title,
            text,
            chart_png: None,
        });
    };
    let mut analysis = report::build(&input, tz);
    // The caps as they stood at the period's last instant: a daily cap then shows the
    // reported day, a monthly one the month up to its end.
    let last = span.end.add_millis(-1);
    analysis.caps = crate::caps::report::rows(store, &config.caps, tz, last)?;
    findings::caps(&mut analysis);
    let hourly = subject.report.schedule.every == Every::Daily;
    let mut bars = crate::report::total_bars(store, tz, hourly, span.start, span.end, now)?;
    if hourly {
        // "2026-12-04 13:00" → "13:00": the title says the day.
        for b in &mut bars {
            if let Some((_, hour)) = b.label.rsplit_once(' ') {
                b.label = hour.to_string();
            }
        }
    }
    let chart_png = chart(&title, &bars);
    let body = text::render(&analysis, tz);
    // analyze's header line names the command; here it is the period.
    let body = body
        .strip_prefix("bandwatch analyze: ")
        .map_or_else(|| body.clone(), |rest| format!("Period: {rest}"));
    let text = format!("{title}\n\n{body}");
    Ok(Summary {
        report: subject.report.name.clone(),
        key: subject.key.clone(),
        html: html(&title, Some(&analysis), &text, chart_png.is_some()),
        json: document(tz, subject, &title, &bars, Some(&analysis))?,
        title,
        text,
        chart_png,
    })
}

/// `bandwatch daily summary for Fri 4 Dec 2026 on router`.
fn title<Tz: TimeZone>(tz: &Tz, s: &Subject<'_>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    format!(
        "bandwatch {} summary for {} on {}",
        s.report.name,
        period_label(tz, s.occurrence.span, s.report.schedule.every),
        s.host
    )
}

/// The period in words: `Fri 4 Dec 2026`, or `Mon 30 Nov to Sun 6 Dec 2026`.
pub fn period_label<Tz: TimeZone>(tz: &Tz, span: Span, every: Every) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let first = span.local_start;
    if every == Every::Daily {
        return first.format("%a %-d %b %Y").to_string();
    }
    let last = tz
        .timestamp_millis_opt(span.end.0 - 1)
        .single()
        .map_or(first, |d| d.naive_local());
    format!(
        "{} to {}",
        first.format("%a %-d %b"),
        last.format("%a %-d %b %Y")
    )
}

/// The bars as a PNG; `None` when there is nothing to draw or drawing failed (logged: the
/// summary still goes out, without its picture).
fn chart(title: &str, bars: &[BarGroup]) -> Option<Vec<u8>> {
    if bars.is_empty() {
        return None;
    }
    let drawn = tempfile::tempdir()
        .map_err(|e| e.to_string())
        .and_then(|dir| {
            let path = dir.path().join("summary.png");
            crate::chart::bars(&path, title, bars).map_err(|e| e.to_string())?;
            std::fs::read(&path).map_err(|e| e.to_string())
        });
    match drawn {
        Ok(png) => Some(png),
        Err(e) => {
            tracing::warn!(error = %e, "cannot draw the summary's chart; it goes out without it");
            None
        }
    }
}

/// The JSON document of a summary (webhook body, MQTT payload).
fn document<Tz: TimeZone>(
    tz: &Tz,
    s: &Subject<'_>,
    title: &str,
    bars: &[BarGroup],
    analysis: Option<&Report>,
) -> anyhow::Result<String>
where
    Tz::Offset: std::fmt::Display,
{
    let span = s.occurrence.span;
    let doc = json!({
        "version": JSON_VERSION,
        "kind": "bandwatch.summary",
        "report": s.report.name,
        "schedule": s.report.schedule.describe(),
        "host": s.host,
        "title": title,
        "period": {
            "from": crate::report::local_time(tz, span.start),
            "to": crate::report::local_time(tz, span.end),
            "label": period_label(tz, span, s.report.schedule.every),
        },
        "traffic": bars.iter().map(|b| json!({
            "label": b.label, "rx_bytes": b.rx_bytes, "tx_bytes": b.tx_bytes,
        })).collect::<Vec<_>>(),
        "analysis": analysis,
    });
    Ok(serde_json::to_string(&doc)?)
}

/// The HTML body: the findings, a table per interface, the chart, the alerts, and the whole
/// text below; every value escaped, styles inline (mail clients drop style sheets).
fn html(title: &str, analysis: Option<&Report>, text: &str, chart: bool) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html><body style=\"margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#212121;background:#ffffff\">\n<h2 style=\"margin:0 0 12px;font-size:18px\">{}</h2>\n",
        escape_html(title)
    );
    if let Some(r) = analysis {
        if !r.findings.is_empty() {
            out.push_str("<ul style=\"margin:0 0 12px\">\n");
            for f in &r.findings {
                let _ = writeln!(out, "<li>{}</li>", escape_html(f));
            }
            out.push_str("</ul>\n");
        }
        interfaces_table(r, &mut out);
    }
    if chart {
        let _ = writeln!(
            out,
            "<p><img src=\"cid:{CHART_CID}\" alt=\"Received and sent per period\" width=\"800\" style=\"max-width:100%;height:auto\"></p>"
        );
    }
    if let Some(r) = analysis {
        alerts_table(r, &mut out);
    }
    let _ = writeln!(
        out,
        "<pre style=\"font-family:Menlo,Consolas,monospace;font-size:12px;background:#f5f5f5;padding:8px\">{}</pre>\n</body></html>",
        escape_html(text)
    );
    out
}

const TH: &str = "style=\"text-align:left;padding:2px 12px 2px 0;color:#616161\"";
const TD: &str = "style=\"padding:2px 12px 2px 0\"";

fn interfaces_table(r: &Report, out: &mut String) {
    if r.interfaces.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<table style=\"border-collapse:collapse;font-size:14px;margin:0 0 12px\">\n<tr><th {TH}>Interface</th><th {TH}>Received</th><th {TH}>Sent</th><th {TH}>Peak down</th><th {TH}>Peak up</th></tr>"
    );
    for i in &r.interfaces {
        let peak = |p: Option<f64>| p.map_or_else(|| "-".to_string(), rate);
        let _ = writeln!(
            out,
            "<tr><td {TD}>{}</td><td {TD}>{}</td><td {TD}>{}</td><td {TD}>{}</td><td {TD}>{}</td></tr>",
            escape_html(&i.iface),
            bytes(i.rx.bytes),
            bytes(i.tx.bytes),
            peak(i.rx.peak_bits_per_second),
            peak(i.tx.peak_bits_per_second),
        );
    }
    out.push_str("</table>\n");
}

fn alerts_table(r: &Report, out: &mut String) {
    if r.alerts.is_empty() {
        out.push_str("<p style=\"margin:0 0 12px\">No alerts in this period.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<table style=\"border-collapse:collapse;font-size:14px;margin:0 0 12px\">\n<tr><th {TH}>Alert</th><th {TH}>Severity</th><th {TH}>About</th><th {TH}>Times</th></tr>"
    );
    for a in &r.alerts {
        let _ = writeln!(
            out,
            "<tr><td {TD}>{}</td><td {TD}>{}</td><td {TD}>{}</td><td {TD}>{}</td></tr>",
            escape_html(&a.rule),
            a.severity.as_str(),
            escape_html(&a.subject),
            a.count
        );
    }
    out.push_str("</table>\n");
}
