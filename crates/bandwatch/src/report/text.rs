//! The report for people: one aligned table per series with human units, the running
//! period marked `*` (and a period with an approximate sum `~`), a total line, and a note
//! explaining the marks that appear.

use std::fmt::Write as _;

use bandwatch_core::human::{escape_control, format};
use bandwatch_core::Unit;

use super::rows::{Group, Report, Row};
use super::view::View;

const HEAD: [&str; 5] = ["", "RX", "TX", "TOTAL", "AVG RATE"];

fn bytes(v: u64) -> String {
    format(Unit::Bytes, v as f64)
}

fn cells(r: &Row, rank: Option<usize>) -> [String; 5] {
    let mark = match (r.partial, r.approximate) {
        (true, _) => " *",
        (false, true) => " ~",
        _ => "",
    };
    let label = match rank {
        Some(n) => format!("{n:>2}. {}{mark}", r.label),
        None => format!("{}{mark}", r.label),
    };
    [
        label,
        bytes(r.rx_bytes),
        bytes(r.tx_bytes),
        bytes(r.total_bytes()),
        format(Unit::BitsPerSecond, r.avg_bps),
    ]
}

fn table(out: &mut String, view: View, g: &Group) {
    let mut head = HEAD.map(str::to_string);
    head[0] = view.column().to_string();
    let mut lines: Vec<[String; 5]> = vec![head];
    let top = view == View::Top;
    for (i, r) in g.rows.iter().enumerate() {
        lines.push(cells(r, top.then_some(i + 1)));
    }
    if !top && !g.rows.is_empty() {
        let (rx, tx) = g.totals();
        lines.push([
            "total".into(),
            bytes(rx),
            bytes(tx),
            bytes(rx + tx),
            String::new(),
        ]);
    }
    let mut width = [0usize; 5];
    for l in &lines {
        for (w, c) in width.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    for l in &lines {
        let mut s = String::from("  ");
        for (i, (c, w)) in l.iter().zip(width).enumerate() {
            let pad = " ".repeat(w - c.chars().count());
            // Periods to the left, amounts to the right.
            if i == 0 {
                let _ = write!(s, "{c}{pad}");
            } else {
                let _ = write!(s, "   {pad}{c}");
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    }
}

/// The report as text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for (i, g) in report.groups.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "{} ({}, {})",
            escape_control(&g.subject.name),
            g.subject.kind.name(),
            report.view.name()
        );
        if g.rows.is_empty() {
            out.push_str("  no traffic recorded in this range\n");
        } else {
            table(&mut out, report.view, g);
        }
    }
    let rows = || report.groups.iter().flat_map(|g| &g.rows);
    if rows().any(|r| r.partial) {
        out.push_str("\n* still running: the rate is over the time so far\n");
    }
    if rows().any(|r| r.approximate && !r.partial) {
        out.push_str(
            "~ approximate: an hour split by the period's start was counted whole (its \
             minutes had expired)\n",
        );
    }
    out
}
