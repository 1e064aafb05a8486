//! Findings in words, at the top of the report: a small set of clear rules over the built
//! report, each one tested. The order is the rules' order: traffic peaks, busy links,
//! serious alerts, probe outages, full disks and memory, a busy CPU.

use bandwatch_core::Severity;
use chrono::TimeZone;

use super::report::{Report, BUSY_PERCENT};
use super::words::{duration, local_time, percent, rate};

/// A peak is worth a line when it is at least this many times the average: a flat rate's
/// largest sample is no news.
const PEAK_OVER_MEAN: f64 = 2.0;
/// A probe is worth a line when it was down at least this long.
const DOWN_SECONDS: f64 = 60.0;
/// A link is worth a line when it was busy at least this long.
const BUSY_SECONDS: f64 = 60.0;
/// Disks and memory are worth a line at or above this percent.
const FULL_PERCENT: f64 = 90.0;
/// The CPU is worth a line when its average is at or above this.
const CPU_PERCENT: f64 = 80.0;

/// The findings of `report`, times in zone `tz`.
pub fn findings<Tz: TimeZone>(report: &Report, tz: &Tz) -> Vec<String>
where
    Tz::Offset: std::fmt::Display,
{
    // Times carry their date when the weekday alone could mean two days.
    let dated = report.range.hours > 6.0 * 24.0;
    let mut out = Vec::new();
    peaks(report, tz, dated, &mut out);
    busy_links(report, &mut out);
    serious_alerts(report, &mut out);
    outages(report, &mut out);
    full(report, tz, dated, &mut out);
    out
}

/// "eth0 peaked at 912.0 Mbps download on Tue 21:04": the larger direction of each
/// interface whose peak stands out (at least twice its average).
fn peaks<Tz: TimeZone>(report: &Report, tz: &Tz, dated: bool, out: &mut Vec<String>)
where
    Tz::Offset: std::fmt::Display,
{
    for i in &report.interfaces {
        let best = [("download", &i.rx), ("upload", &i.tx)]
            .into_iter()
            .filter(|(_, d)| {
                d.peak_bits_per_second
                    .is_some_and(|p| p > 0.0 && p >= PEAK_OVER_MEAN * d.avg_bits_per_second)
            })
            .filter_map(|(word, d)| Some((word, d.peak_bits_per_second?, d.peak_at?)))
            .fold(None, |best: Option<(&str, f64, _)>, x| match best {
                Some(b) if b.1 >= x.1 => Some(b),
                _ => Some(x),
            });
        if let Some((word, bps, at)) = best {
            out.push(format!(
                "{} peaked at {} {word} on {}",
                name(&i.iface),
                rate(bps),
                local_time(at.0, tz, dated)
            ));
        }
    }
}

/// "eth0 upload was above 80 % of its 1.00 Gbps link for 3 h 10 min".
fn busy_links(report: &Report, out: &mut Vec<String>) {
    for i in &report.interfaces {
        let Some(speed) = i.link_speed_bits_per_second else {
            continue;
        };
        for (word, d) in [("download", &i.rx), ("upload", &i.tx)] {
            let busy = d.seconds_above_80_percent.unwrap_or(0.0);
            if busy >= BUSY_SECONDS {
                out.push(format!(
                    "{} {word} was above {BUSY_PERCENT:.0} % of its {} link for {}",
                    name(&i.iface),
                    rate(speed),
                    duration(busy)
                ));
            }
        }
    }
}

/// "3 critical alerts on eth0 upload": high and critical alerts by subject and severity.
fn serious_alerts(report: &Report, out: &mut Vec<String>) {
    let mut by: Vec<(Severity, &str, u64)> = Vec::new();
    for a in report
        .alerts
        .iter()
        .filter(|a| a.severity >= Severity::High)
    {
        match by
            .iter_mut()
            .find(|(s, subj, _)| *s == a.severity && *subj == a.subject)
        {
            Some(entry) => entry.2 += a.count,
            None => by.push((a.severity, &a.subject, a.count)),
        }
    }
    for (severity, subject, n) in by {
        let plural = if n == 1 { "" } else { "s" };
        out.push(format!(
            "{n} {} alert{plural} on {}",
            severity.as_str(),
            name(subject)
        ));
    }
}

/// "router was down 4 min (99.7% up)".
fn outages(report: &Report, out: &mut Vec<String>) {
    for p in &report.probes {
        if p.down_seconds >= DOWN_SECONDS {
            out.push(format!(
                "{} was down {} ({} up)",
                name(&p.target),
                duration(p.down_seconds),
                p.uptime_percent.map_or_else(|| "-".into(), percent)
            ));
        }
    }
}

/// "disk / at 91.0% (Tue 21:00)", "memory at 93.0%", "CPU averaged 85.0%".
fn full<Tz: TimeZone>(report: &Report, tz: &Tz, dated: bool, out: &mut Vec<String>)
where
    Tz::Offset: std::fmt::Display,
{
    let s = &report.system;
    for d in &s.disks {
        if d.used.max_percent >= FULL_PERCENT {
            out.push(format!(
                "disk {} at {} on {}",
                name(&d.mount),
                percent(d.used.max_percent),
                local_time(d.used.max_at.0, tz, dated)
            ));
        }
    }
    if let Some(m) = s.memory.filter(|m| m.max_percent >= FULL_PERCENT) {
        out.push(format!(
            "memory at {} on {}",
            percent(m.max_percent),
            local_time(m.max_at.0, tz, dated)
        ));
    }
    if let Some(c) = s.cpu.filter(|c| c.avg_percent >= CPU_PERCENT) {
        out.push(format!("CPU averaged {}", percent(c.avg_percent)));
    }
}

/// A name from the kernel, the configuration or the history, safe to print.
fn name(text: &str) -> std::borrow::Cow<'_, str> {
    bandwatch_core::human::escape_control(text)
}

/// Caps that are over, or forecast to be, go first: they are what a person must act on.
pub fn caps(report: &mut Report) {
    let mut first = Vec::new();
    for c in &report.caps {
        let limit = bandwatch_core::Bytes(c.limit_bytes);
        if c.over {
            first.push(format!(
                "data cap {} is used up: {} of {} ({:.0} %)",
                name(&c.name),
                bandwatch_core::Bytes(c.used_bytes),
                limit,
                c.used_ratio * 100.0
            ));
        } else if c.forecast_over {
            first.push(format!(
                "data cap {} is forecast to reach {:.0} % of {} by the end of its period",
                name(&c.name),
                c.forecast_ratio * 100.0,
                limit
            ));
        }
    }
    first.append(&mut report.findings);
    report.findings = first;
}

#[cfg(test)]
mod tests {
    use bandwatch_core::Timestamp;
    use chrono::FixedOffset;

    use super::super::range::Resolution;
    use super::super::report::{
        AlertCount, At, DirReport, DiskOut, GaugeOut, IfaceReport, ProbeReport, RangeOut,
        SystemReport, VERSION,
    };
    use super::*;

    /// Tuesday 2026-03-10 20:04 UTC.
    const TUE: Timestamp = Timestamp(1_773_173_040_000);

    fn cet() -> FixedOffset {
        FixedOffset::east_opt(3600).expect("zone")
    }

    fn dir(peak: f64, busy: Option<f64>) -> DirReport {
        DirReport {
            bytes: 1,
            avg_bits_per_second: 1.0,
            peak_bits_per_second: Some(peak),
            peak_at: Some(At(TUE)),
            p95_bits_per_second: Some(1.0),
            seconds_above_80_percent: busy,
        }
    }

    fn iface(name: &str, rx: DirReport, tx: DirReport, speed: Option<f64>) -> IfaceReport {
        IfaceReport {
            iface: name.into(),
            link_speed_bits_per_second: speed,
            rx,
            tx,
            busiest_hours: Vec::new(),
        }
    }

    fn empty() -> Report {
        Report {
            caps: Vec::new(),
            version: VERSION,
            range: RangeOut {
                from: At(TUE.add_millis(-86_400_000)),
                to: At(TUE),
                hours: 24.0,
                resolution: Resolution::Raw,
            },
            findings: Vec::new(),
            interfaces: Vec::new(),
            devices: Vec::new(),
            probes: Vec::new(),
            system: SystemReport {
                cpu: None,
                memory: None,
                disks: Vec::new(),
            },
            alerts: Vec::new(),
        }
    }

    fn gauge(avg: f64, max: f64) -> GaugeOut {
        GaugeOut {
            avg_percent: avg,
            max_percent: max,
            max_at: At(TUE),
        }
    }

    #[test]
    fn nothing_to_say_about_a_quiet_range() {
        let mut r = empty();
        r.interfaces.push(iface(
            "eth0",
            dir(0.0, Some(0.0)),
            dir(0.0, Some(0.0)),
            None,
        ));
        r.system.cpu = Some(gauge(79.9, 100.0));
        r.system.memory = Some(gauge(50.0, 89.9));
        assert!(findings(&r, &cet()).is_empty());
    }

    #[test]
    fn each_interface_peaks_in_its_larger_direction_in_local_time() {
        let mut r = empty();
        r.interfaces
            .push(iface("eth0", dir(912e6, None), dir(20e6, None), None));
        r.interfaces
            .push(iface("wlan0", dir(1e6, None), dir(3e6, None), None));
        assert_eq!(
            findings(&r, &cet()),
            [
                "eth0 peaked at 912.0 Mbps download on Tue 21:04",
                "wlan0 peaked at 3.00 Mbps upload on Tue 21:04"
            ]
        );
        // A flat rate (peak = average) has no peak worth a line.
        r.interfaces[1].tx.avg_bits_per_second = 3e6;
        r.interfaces[1].rx.avg_bits_per_second = 1e6;
        assert_eq!(findings(&r, &cet()).len(), 1);
        r.range.hours = 24.0 * 7.0;
        assert_eq!(
            findings(&r, &cet())[0],
            "eth0 peaked at 912.0 Mbps download on Tue 10 Mar 21:04"
        );
    }

    #[test]
    fn a_link_busy_for_a_minute_or_more_is_named_with_its_speed() {
        let mut r = empty();
        r.interfaces.push(iface(
            "eth0",
            dir(0.0, Some(59.0)),
            dir(0.0, Some(3.0 * 3600.0 + 600.0)),
            Some(1e9),
        ));
        assert_eq!(
            findings(&r, &cet()),
            ["eth0 upload was above 80 % of its 1.00 Gbps link for 3 h 10 min"]
        );
    }

    #[test]
    fn high_and_critical_alerts_are_counted_by_subject() {
        let mut r = empty();
        let a = |rule: &str, severity, subject: &str, count| AlertCount {
            rule: rule.into(),
            severity,
            subject: subject.into(),
            iface: None,
            count,
        };
        r.alerts = vec![
            a("upload-spike", Severity::Critical, "eth0 upload", 2),
            a("upload-threshold", Severity::Critical, "eth0 upload", 1),
            a("cpu-threshold", Severity::High, "system_cpu_percent", 1),
            a("download-spike", Severity::Medium, "eth0 download", 9),
        ];
        assert_eq!(
            findings(&r, &cet()),
            [
                "3 critical alerts on eth0 upload",
                "1 high alert on system_cpu_percent"
            ]
        );
    }

    #[test]
    fn a_probe_down_a_minute_or_more_is_named() {
        let mut r = empty();
        let p = |target: &str, down: f64| ProbeReport {
            target: target.into(),
            uptime_percent: Some(99.72),
            rounds: 2880,
            down_seconds: down,
            rtt_p50_ms: None,
            rtt_p95_ms: None,
        };
        r.probes = vec![p("router", 240.0), p("dns", 59.0)];
        assert_eq!(findings(&r, &cet()), ["router was down 4 min (99.7% up)"]);
    }

    #[test]
    fn full_disks_and_memory_and_a_busy_cpu() {
        let mut r = empty();
        r.system.disks = vec![
            DiskOut {
                mount: "/".into(),
                used: gauge(88.0, 91.0),
            },
            DiskOut {
                mount: "/home".into(),
                used: gauge(10.0, 89.0),
            },
        ];
        r.system.memory = Some(gauge(70.0, 93.0));
        r.system.cpu = Some(gauge(85.0, 100.0));
        assert_eq!(
            findings(&r, &cet()),
            [
                "disk / at 91.0% on Tue 21:04",
                "memory at 93.0% on Tue 21:04",
                "CPU averaged 85.0%"
            ]
        );
    }
}
