//! What `analyze --chart FILE` draws, gathered ready for the charts module's rate chart
//! (`chart::rates(path, title, &[RateSeries { name, points }], &[Peak { at, bps, label }])`):
//! one line per interface and direction, and each line's peak marked.

use bandwatch_core::Timestamp;

use super::gather::Input;
use super::report::Report;
use super::words::rate;

/// One line of the rate chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSeries {
    /// Its legend, `eth0 down`.
    pub name: String,
    /// Mean rate of each reading, bits/s, in time order.
    pub points: Vec<(Timestamp, f64)>,
}

/// A marked peak.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    /// When.
    pub at: Timestamp,
    /// The rate, bits/s.
    pub bps: f64,
    /// Its label, `eth0 down 912.00 Mbps`.
    pub label: String,
}

/// Everything the rate chart needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RateChart {
    /// The chart's title.
    pub title: String,
    /// Its lines.
    pub series: Vec<RateSeries>,
    /// Its marked peaks.
    pub peaks: Vec<Peak>,
}

/// The chart of `input`, with the peaks `report` found.
pub fn rate_chart(input: &Input, report: &Report) -> RateChart {
    let mut series = Vec::new();
    let mut peaks = Vec::new();
    for (i, r) in input.interfaces.iter().zip(&report.interfaces) {
        for (word, d, dr) in [("down", &i.rx, &r.rx), ("up", &i.tx, &r.tx)] {
            let name = format!("{} {word}", i.name);
            if let (Some(at), Some(bps)) = (dr.peak_at, dr.peak_bits_per_second) {
                peaks.push(Peak {
                    at: at.0,
                    bps,
                    label: format!("{name} {}", rate(bps)),
                });
            }
            series.push(RateSeries {
                name,
                points: d.rates.iter().map(|p| (p.at, p.mean)).collect(),
            });
        }
    }
    RateChart {
        title: format!(
            "Interface rates, {} to {}",
            report.range.from.0.to_rfc3339(),
            report.range.to.0.to_rfc3339()
        ),
        series,
        peaks,
    }
}
