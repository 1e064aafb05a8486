//! What `analyze --chart FILE` draws, gathered ready for the charts module's rate chart
//! (`chart::rates(path, title, &[RateSeries { name, points }], &[Peak { at, bps, label }])`):
//! one line per interface and direction, and each line's peak marked.

use bandwatch_core::Timestamp;

use crate::chart::{Peak, RateSeries};

use super::gather::Input;
use super::report::Report;
use super::words::rate;

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

/// The most points drawn per line: a month of minutes is 43,200, more than a chart has
/// pixels; each kept point is the highest of its stretch, so peaks stay visible.
const MAX_POINTS: usize = 2000;

/// `points` thinned to at most [`MAX_POINTS`], keeping the highest of each stretch.
fn thin(points: Vec<(Timestamp, f64)>) -> Vec<(Timestamp, f64)> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let per = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(per)
        .filter_map(|c| c.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)))
        .collect()
}

/// Draws the rate chart of `input` into `path` (`.svg` or `.png`).
pub fn draw(path: &std::path::Path, input: &Input, report: &Report) -> anyhow::Result<()> {
    let c = rate_chart(input, report);
    if let Some(note) = crate::chart::rates(path, &c.title, &c.series, &c.peaks)? {
        eprintln!("note: {note}");
    }
    Ok(())
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
                points: thin(d.rates.iter().map(|p| (p.at, p.mean)).collect()),
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
