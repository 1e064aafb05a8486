//! The `analyze` report for people: a header with the range and resolution, the findings,
//! then aligned tables (interfaces, devices, probes, system, alerts) in human units and
//! local time. Pure over the report and a time zone.

use std::fmt::Write as _;

use chrono::TimeZone;

use super::report::{At, DirReport, GaugeOut, Report};
use super::words::{bytes, duration, local_time, percent, rate};

/// The report as text.
pub fn render<Tz: TimeZone>(r: &Report, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let dated = r.range.hours > 6.0 * 24.0;
    let when = |at: Option<At>| at.map_or_else(|| "-".to_string(), |a| local_time(a.0, tz, dated));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bandwatch analyze: {} to {} ({}); rates from {}",
        local_time(r.range.from.0, tz, true),
        local_time(r.range.to.0, tz, true),
        duration(r.range.hours * 3600.0),
        r.range.resolution.describe()
    );
    out.push_str("\nFindings\n");
    if r.findings.is_empty() {
        out.push_str("  nothing stood out\n");
    }
    for f in &r.findings {
        let _ = writeln!(out, "  - {f}");
    }
    interfaces(r, &when, &mut out);
    devices(r, &when, &mut out);
    probes(r, &mut out);
    system(r, &when, &mut out);
    alerts(r, &mut out);
    caps(r, tz, &mut out);
    out
}

/// The data caps, as `bandwatch report caps` shows them.
fn caps<Tz: TimeZone>(r: &Report, tz: &Tz, out: &mut String) {
    if r.caps.is_empty() {
        return;
    }
    out.push_str("\nData caps\n");
    let table = crate::caps::report::Report {
        version: crate::caps::report::VERSION,
        caps: r.caps.clone(),
    };
    for line in crate::caps::report::render(&table, tz).lines() {
        let _ = writeln!(out, "  {line}");
    }
}

fn interfaces(r: &Report, when: &impl Fn(Option<At>) -> String, out: &mut String) {
    out.push_str("\nInterfaces\n");
    if r.interfaces.is_empty() {
        out.push_str("  no interface traffic recorded in this range\n");
        return;
    }
    let mut rows = Vec::new();
    for i in &r.interfaces {
        for (word, d) in [("down", &i.rx), ("up", &i.tx)] {
            rows.push(direction_row(&i.iface, word, d, when));
        }
    }
    out.push_str(&table(
        &[
            "IFACE",
            "DIR",
            "TOTAL",
            "AVG",
            "PEAK",
            "PEAK AT",
            "P95",
            "ABOVE 80%",
        ],
        &rows,
        2,
    ));
    for i in r.interfaces.iter().filter(|i| !i.busiest_hours.is_empty()) {
        let hours: Vec<String> = i
            .busiest_hours
            .iter()
            .map(|h| format!("{:02}:00 ({})", h.hour, bytes(h.bytes)))
            .collect();
        let _ = writeln!(
            out,
            "  busiest hours of {}: {}",
            name(&i.iface),
            hours.join(", ")
        );
    }
}

fn devices(r: &Report, when: &impl Fn(Option<At>) -> String, out: &mut String) {
    if r.devices.is_empty() {
        return;
    }
    out.push_str("\nDevices\n");
    let rows: Vec<Vec<String>> = r
        .devices
        .iter()
        .map(|d| {
            vec![
                name(&d.device),
                bytes(d.rx_bytes),
                bytes(d.tx_bytes),
                d.rx_peak_bits_per_second.map_or_else(|| "-".into(), rate),
                when(d.rx_peak_at),
                d.tx_peak_bits_per_second.map_or_else(|| "-".into(), rate),
                when(d.tx_peak_at),
            ]
        })
        .collect();
    out.push_str(&table(
        &["DEVICE", "DOWN", "UP", "PEAK DOWN", "AT", "PEAK UP", "AT"],
        &rows,
        1,
    ));
}

fn probes(r: &Report, out: &mut String) {
    if r.probes.is_empty() {
        return;
    }
    out.push_str("\nProbes\n");
    let ms = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.1} ms"));
    let rows: Vec<Vec<String>> = r
        .probes
        .iter()
        .map(|p| {
            vec![
                name(&p.target),
                p.uptime_percent.map_or_else(|| "-".into(), percent),
                duration(p.down_seconds),
                ms(p.rtt_p50_ms),
                ms(p.rtt_p95_ms),
                p.rounds.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["TARGET", "UPTIME", "DOWN", "RTT P50", "RTT P95", "ROUNDS"],
        &rows,
        1,
    ));
}

fn system(r: &Report, when: &impl Fn(Option<At>) -> String, out: &mut String) {
    let s = &r.system;
    let row = |what: String, g: &GaugeOut| {
        vec![
            what,
            percent(g.avg_percent),
            percent(g.max_percent),
            when(Some(g.max_at)),
        ]
    };
    let mut rows = Vec::new();
    if let Some(c) = &s.cpu {
        rows.push(row("CPU".into(), c));
    }
    if let Some(m) = &s.memory {
        rows.push(row("memory".into(), m));
    }
    for d in &s.disks {
        rows.push(row(format!("disk {}", name(&d.mount)), &d.used));
    }
    if !rows.is_empty() {
        out.push_str("\nSystem\n");
        out.push_str(&table(&["", "AVG", "MAX", "MAX AT"], &rows, 1));
    }
}

fn alerts(r: &Report, out: &mut String) {
    out.push_str("\nAlerts\n");
    if r.alerts.is_empty() {
        out.push_str("  none in this range\n");
        return;
    }
    let rows: Vec<Vec<String>> = r
        .alerts
        .iter()
        .map(|a| {
            vec![
                name(&a.rule),
                a.severity.as_str().to_string(),
                name(&a.subject),
                a.count.to_string(),
            ]
        })
        .collect();
    out.push_str(&table(&["RULE", "SEVERITY", "SUBJECT", "COUNT"], &rows, 3));
}

fn direction_row(
    iface: &str,
    word: &str,
    d: &DirReport,
    when: &impl Fn(Option<At>) -> String,
) -> Vec<String> {
    let opt_rate = |v: Option<f64>| v.map_or_else(|| "-".into(), rate);
    vec![
        name(iface),
        word.to_string(),
        bytes(d.bytes),
        rate(d.avg_bits_per_second),
        opt_rate(d.peak_bits_per_second),
        when(d.peak_at),
        opt_rate(d.p95_bits_per_second),
        d.seconds_above_80_percent
            .map_or_else(|| "-".into(), duration),
    ]
}

/// Columns aligned to their widest cell, indented two spaces; the first `left` columns
/// to the left, the rest (numbers) to the right, except a time column ("AT").
fn table(head: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let mut width: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::from("  ");
        for (i, (c, w)) in cells.zip(&width).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            let to_left = i < left || head[i].ends_with("AT");
            if to_left {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            } else {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            }
            l.push_str("  ");
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut head.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

fn name(text: &str) -> String {
    bandwatch_core::human::escape_control(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_text_left_and_numbers_right() {
        let rows = vec![
            vec![
                "eth0".to_string(),
                "1.00 KiB".to_string(),
                "Tue 21:04".into(),
            ],
            vec!["wlan0".to_string(), "12 B".to_string(), "-".into()],
        ];
        insta::assert_snapshot!(table(&["NAME", "BYTES", "PEAK AT"], &rows, 1), @r"
          NAME      BYTES  PEAK AT
          eth0   1.00 KiB  Tue 21:04
          wlan0      12 B  -
        ");
    }
}
