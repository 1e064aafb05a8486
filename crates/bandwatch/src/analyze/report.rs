//! The `analyze` report: the statistics of the gathered history in one value, which `--json`
//! prints as it is (its shape is documented on [`Report`]) and the text renderer lays out.

use std::collections::BTreeMap;

use bandwatch_collect::catalog;
use bandwatch_collect::devices::metric::LABEL_DEVICE;
use bandwatch_collect::netdev::metric::LABEL_IFACE;
use bandwatch_collect::probe::metric::LABEL_TARGET;
use bandwatch_collect::system::metric::LABEL_MOUNT;
use bandwatch_core::{Role, SeriesKey, Severity, Timestamp};
use bandwatch_store::AlertRecord;
use chrono::{TimeZone, Timelike as _};
use serde::{Serialize, Serializer};

use super::gather::{Direction, Input};
use super::range::Resolution;
use super::stats::{self, GaugePoint, HourShare};

/// The version of the JSON shape; it changes only when a field changes meaning or goes.
pub const VERSION: u32 = 1;
/// A link counts as busy above this share of its speed.
pub const BUSY_PERCENT: f64 = 80.0;
/// How many busiest hours each interface lists.
const BUSIEST: usize = 3;

/// An instant, serialised as RFC 3339 in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct At(pub Timestamp);

impl Serialize for At {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339())
    }
}

/// The whole answer of `bandwatch analyze`. As JSON (`--json`):
///
/// ```text
/// {
///   "version": 1,
///   "range": { "from": "2026-03-09T12:34:00.000Z", "to": "…", "hours": 24.0,
///              "resolution": "raw" },            // raw | minute | hour: what avg/peak/p95 read
///   "findings": ["eth0 peaked at 912.0 Mbps download on Tue 21:04", …],
///   "interfaces": [{ "iface": "eth0", "link_speed_bits_per_second": 1e9,   // null: unknown
///       "rx": { "bytes": 123, "avg_bits_per_second": …, "peak_bits_per_second": …,
///               "peak_at": "…", "p95_bits_per_second": …,
///               "seconds_above_80_percent": 0.0 },   // null without a link speed
///       "tx": { … },
///       "busiest_hours": [{ "hour": 21, "bytes": 456 }] }],  // local hour of day, rx + tx
///   "devices": [{ "device": "laptop", "rx_bytes": …, "tx_bytes": …,
///                 "rx_peak_bits_per_second": …, "rx_peak_at": "…", "tx_peak_…": … }],
///   "probes": [{ "target": "router", "uptime_percent": 99.7, "rounds": 2880,
///                "down_seconds": 240.0, "rtt_p50_ms": 1.2, "rtt_p95_ms": 3.4 }],
///   "system": { "cpu": { "avg_percent": …, "max_percent": …, "max_at": "…" },   // null: none
///               "memory": { … }, "disks": [{ "mount": "/", "avg_percent": …, … }] },
///   "alerts": [{ "rule": "upload-spike", "severity": "critical", "subject": "eth0 upload",
///                "iface": "eth0", "count": 3 }]
/// }
/// ```
///
/// Byte totals are exact sums of the stored deltas; a peak is the largest single sample and
/// `peak_at` the sample's time (at raw resolution) or the start of the rollup bucket that
/// held it. `max_at` of gauges is the start of the bucket (minute or hour) that held the
/// maximum.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`VERSION`].
    pub version: u32,
    /// The range and resolution.
    pub range: RangeOut,
    /// What stood out, in words, most important first.
    pub findings: Vec<String>,
    /// Each interface.
    pub interfaces: Vec<IfaceReport>,
    /// Each LAN device with traffic in the range.
    pub devices: Vec<DeviceReport>,
    /// Each probe target with rounds in the range.
    pub probes: Vec<ProbeReport>,
    /// CPU, memory and disks.
    pub system: SystemReport,
    /// Alerts active in the range, counted by rule, severity and subject.
    pub alerts: Vec<AlertCount>,
    /// Each data cap (`[[caps]]`) as it stood at the range's end: the shape of
    /// `bandwatch report caps --json`'s rows; absent when no cap is configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caps: Vec<crate::caps::report::Row>,
}

/// The range of a report.
#[derive(Debug, Clone, Serialize)]
pub struct RangeOut {
    /// First instant.
    pub from: At,
    /// First instant after.
    pub to: At,
    /// Its length in hours.
    pub hours: f64,
    /// What the rate statistics were computed from.
    pub resolution: Resolution,
}

/// One interface.
#[derive(Debug, Clone, Serialize)]
pub struct IfaceReport {
    /// Its name.
    pub iface: String,
    /// Its last known link speed, bits/s.
    pub link_speed_bits_per_second: Option<f64>,
    /// Download.
    pub rx: DirReport,
    /// Upload.
    pub tx: DirReport,
    /// The local hours of the day that moved the most bytes, most first.
    pub busiest_hours: Vec<HourOut>,
}

/// One direction of an interface.
#[derive(Debug, Clone, Serialize)]
pub struct DirReport {
    /// Exact bytes.
    pub bytes: u64,
    /// Mean rate over the time it was sampled, bits/s.
    pub avg_bits_per_second: f64,
    /// Largest sample, bits/s.
    pub peak_bits_per_second: Option<f64>,
    /// When.
    pub peak_at: Option<At>,
    /// 95th percentile of the rate at the range's resolution, bits/s.
    pub p95_bits_per_second: Option<f64>,
    /// Seconds above [`BUSY_PERCENT`] of the link speed (`null`: speed unknown).
    pub seconds_above_80_percent: Option<f64>,
}

/// Bytes in one local hour of the day.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HourOut {
    /// 0–23.
    pub hour: u32,
    /// Bytes (down + up) in that hour over every day of the range.
    pub bytes: u64,
}

/// One device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceReport {
    /// Its `device` label.
    pub device: String,
    /// Bytes downloaded.
    pub rx_bytes: u64,
    /// Bytes uploaded.
    pub tx_bytes: u64,
    /// Largest download rate sample, bits/s.
    pub rx_peak_bits_per_second: Option<f64>,
    /// Start of the bucket that held it.
    pub rx_peak_at: Option<At>,
    /// Largest upload rate sample, bits/s.
    pub tx_peak_bits_per_second: Option<f64>,
    /// Start of the bucket that held it.
    pub tx_peak_at: Option<At>,
}

/// One probe target.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    /// The target's name.
    pub target: String,
    /// Share of rounds up, percent (`null`: no rounds).
    pub uptime_percent: Option<f64>,
    /// Rounds in the range.
    pub rounds: u64,
    /// Seconds down (each bucket's width times its share of rounds down).
    pub down_seconds: f64,
    /// Median round-trip time, ms.
    pub rtt_p50_ms: Option<f64>,
    /// 95th percentile round-trip time, ms.
    pub rtt_p95_ms: Option<f64>,
}

/// CPU, memory and disks.
#[derive(Debug, Clone, Serialize)]
pub struct SystemReport {
    /// Total CPU busy percent.
    pub cpu: Option<GaugeOut>,
    /// Memory used percent.
    pub memory: Option<GaugeOut>,
    /// Each filesystem's used percent.
    pub disks: Vec<DiskOut>,
}

/// A percentage's average and maximum.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct GaugeOut {
    /// Mean of every sample.
    pub avg_percent: f64,
    /// Largest sample.
    pub max_percent: f64,
    /// Start of the bucket that held it.
    pub max_at: At,
}

/// One filesystem.
#[derive(Debug, Clone, Serialize)]
pub struct DiskOut {
    /// Its mount point.
    pub mount: String,
    /// Its used percent.
    #[serde(flatten)]
    pub used: GaugeOut,
}

/// Alerts of one rule on one subject at one highest severity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AlertCount {
    /// The rule.
    pub rule: String,
    /// The highest severity each reached.
    pub severity: Severity,
    /// What the rule watched, for people (`eth0 upload`, `router`, `disk /`).
    pub subject: String,
    /// The interface, when the series was an interface's.
    pub iface: Option<String>,
    /// How many alerts.
    pub count: u64,
}

/// Builds the report of `input`; `tz` gives the local hour of the day.
pub fn build<Tz: TimeZone>(input: &Input, tz: &Tz) -> Report
where
    Tz::Offset: std::fmt::Display,
{
    let hour_of = |t: Timestamp| tz.timestamp_millis_opt(t.0).single().map(|d| d.hour());
    let interfaces = input
        .interfaces
        .iter()
        .map(|i| {
            let mut buckets = i.rx.buckets.clone();
            buckets.extend_from_slice(&i.tx.buckets);
            IfaceReport {
                iface: i.name.clone(),
                link_speed_bits_per_second: i.speed,
                rx: direction(&i.rx, i.speed),
                tx: direction(&i.tx, i.speed),
                busiest_hours: stats::busiest_hours(&buckets, hour_of, BUSIEST)
                    .into_iter()
                    .map(|HourShare { hour, bytes }| HourOut { hour, bytes })
                    .collect(),
            }
        })
        .collect();
    let mut report = Report {
        version: VERSION,
        range: RangeOut {
            from: At(input.range.from),
            to: At(input.range.to),
            hours: seconds_f64(input.range.seconds()) / 3600.0,
            resolution: input.resolution,
        },
        findings: Vec::new(),
        caps: Vec::new(),
        interfaces,
        devices: input
            .devices
            .iter()
            .map(|d| DeviceReport {
                device: d.name.clone(),
                rx_bytes: d.rx_bytes,
                tx_bytes: d.tx_bytes,
                rx_peak_bits_per_second: d.rx_peak.map(|p| p.1),
                rx_peak_at: d.rx_peak.map(|p| At(p.0)),
                tx_peak_bits_per_second: d.tx_peak.map(|p| p.1),
                tx_peak_at: d.tx_peak.map(|p| At(p.0)),
            })
            .collect(),
        probes: input
            .probes
            .iter()
            .map(|p| {
                let up = stats::uptime(&p.up);
                let ms = |q: f64| stats::percentile(&p.rtt, q).map(|s| s * 1000.0);
                ProbeReport {
                    target: p.target.clone(),
                    uptime_percent: up.map(|u| u.percent),
                    rounds: up.map_or(0, |u| u.rounds),
                    down_seconds: up.map_or(0.0, |u| u.down_seconds),
                    rtt_p50_ms: ms(50.0),
                    rtt_p95_ms: ms(95.0),
                }
            })
            .collect(),
        system: SystemReport {
            cpu: gauge(&input.cpu),
            memory: gauge(&input.memory),
            disks: input
                .disks
                .iter()
                .filter_map(|(mount, g)| {
                    gauge(g).map(|used| DiskOut {
                        mount: mount.clone(),
                        used,
                    })
                })
                .collect(),
        },
        alerts: alert_counts(&input.alerts),
    };
    report.findings = super::findings::findings(&report, tz);
    report
}

fn direction(d: &Direction, speed: Option<f64>) -> DirReport {
    let s = stats::rate_stats(&d.rates);
    DirReport {
        bytes: d.bytes,
        avg_bits_per_second: s.mean,
        peak_bits_per_second: s.peak.map(|p| p.1),
        peak_at: s.peak.map(|p| At(p.0)),
        p95_bits_per_second: s.p95,
        seconds_above_80_percent: speed
            .map(|sp| stats::seconds_above(&d.rates, sp * BUSY_PERCENT / 100.0)),
    }
}

fn gauge(points: &[GaugePoint]) -> Option<GaugeOut> {
    stats::gauge_stats(points).map(|g| GaugeOut {
        avg_percent: g.mean,
        max_percent: g.max,
        max_at: At(g.max_at),
    })
}

#[allow(clippy::cast_precision_loss)] // a range in seconds
fn seconds_f64(s: i64) -> f64 {
    s as f64
}

/// Most severe first, then rule, then subject.
type CountKey = (std::cmp::Reverse<Severity>, String, String);

/// Alerts counted by rule, highest severity and subject; most severe first, then by rule.
pub fn alert_counts(alerts: &[AlertRecord]) -> Vec<AlertCount> {
    let mut counts: BTreeMap<CountKey, (Option<String>, u64)> = BTreeMap::new();
    for a in alerts {
        let entry = counts
            .entry((
                std::cmp::Reverse(a.max_severity),
                a.rule.clone(),
                subject(&a.series),
            ))
            .or_insert_with(|| (a.series.labels.get(LABEL_IFACE).map(str::to_string), 0));
        entry.1 += 1;
    }
    counts
        .into_iter()
        .map(
            |((std::cmp::Reverse(severity), rule, subject), (iface, count))| AlertCount {
                rule,
                severity,
                subject,
                iface,
                count,
            },
        )
        .collect()
}

/// What a series is about, for people: an interface and its direction, a probe target, a
/// device, a filesystem, else the series as written.
pub fn subject(series: &SeriesKey) -> String {
    let cat = catalog();
    let role = cat.get(&series.metric).and_then(|m| m.role);
    let direction = match role {
        Some(Role::RxRate | Role::RxBytes | Role::DeviceRxRate | Role::DeviceRxBytes) => {
            " download"
        }
        Some(Role::TxRate | Role::TxBytes | Role::DeviceTxRate | Role::DeviceTxBytes) => " upload",
        _ => "",
    };
    let labels = &series.labels;
    if let Some(i) = labels.get(LABEL_IFACE) {
        return format!("{i}{direction}");
    }
    if let Some(d) = labels.get(LABEL_DEVICE) {
        return format!("{d}{direction}");
    }
    if let Some(t) = labels.get(LABEL_TARGET) {
        return t.to_string();
    }
    if let Some(m) = labels.get(LABEL_MOUNT) {
        return format!("disk {m}");
    }
    series.to_string()
}
