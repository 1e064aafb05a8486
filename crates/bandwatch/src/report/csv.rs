//! `report --csv`: a header row, then one row per period per series, for spreadsheets.
//! Byte counts are exact integers; times are local RFC 3339 with their offset.

use std::fmt::Write as _;

use chrono::TimeZone;

use super::local_time;
use super::rows::Report;

/// The header row.
pub const HEADER: &str = "kind,name,period,start,end,rx_bytes,tx_bytes,total_bytes,\
avg_bits_per_second,partial,approximate";

/// A field quoted when it holds a comma, quote or line break (RFC 4180), and with a
/// leading `=`, `+`, `-` or `@` defused so a spreadsheet does not run it as a formula.
fn field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// The report as CSV.
pub fn render<Tz: TimeZone>(tz: &Tz, report: &Report) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut out = String::from(HEADER);
    out.push('\n');
    for g in &report.groups {
        for r in &g.rows {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{:.3},{},{}",
                g.subject.kind.name(),
                field(&g.subject.name),
                field(&r.label),
                local_time(tz, r.span.start),
                local_time(tz, r.span.end),
                r.rx_bytes,
                r.tx_bytes,
                r.total_bytes(),
                r.avg_bps,
                r.partial,
                r.approximate,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("eth0"), "eth0");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=1+1"), "'=1+1");
    }
}
