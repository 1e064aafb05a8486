//! Rate lines over time with their peaks marked (`analyze --chart`): one line per series,
//! the y axis in the decimal bits-per-second unit that fits the highest point, the x axis
//! in local time.

use std::path::Path;

use chrono::TimeZone as _;
use plotters::prelude::*;

use super::{err, font, scale, ChartError, Drawing, Peak, RateSeries, INK, RX, TX};

/// Line colours after the first two (received and sent keep the bar chart's).
const MORE: [RGBColor; 4] = [
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(214, 39, 40),
];

struct Rates<'a> {
    title: &'a str,
    series: &'a [RateSeries],
    peaks: &'a [Peak],
}

/// Draws `series` as lines with `peaks` marked into `path` (`.svg` or `.png`); `Some(note)`
/// when the chart had to be drawn without text.
pub fn rates(
    path: &Path,
    title: &str,
    series: &[RateSeries],
    peaks: &[Peak],
) -> Result<Option<String>, ChartError> {
    super::render(
        path,
        &Rates {
            title,
            series,
            peaks,
        },
    )
}

fn color(i: usize) -> RGBColor {
    match i {
        0 => RX,
        1 => TX,
        _ => MORE[(i - 2) % MORE.len()],
    }
}

/// `ms` as local time for the x axis: `11-01 14:00`.
fn time_label(ms: f64) -> String {
    chrono::Local
        .timestamp_millis_opt(ms as i64)
        .single()
        .map(|d| d.format("%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

impl Rates<'_> {
    /// The x range (epoch milliseconds) and the highest rate.
    fn bounds(&self) -> (f64, f64, f64) {
        let points = self.series.iter().flat_map(|s| s.points.iter().copied());
        let marks = self.peaks.iter().map(|p| (p.at, p.bps));
        let (mut lo, mut hi, mut max) = (f64::MAX, f64::MIN, 0f64);
        for (t, v) in points.chain(marks) {
            lo = lo.min(t.0 as f64);
            hi = hi.max(t.0 as f64);
            if v.is_finite() {
                max = max.max(v);
            }
        }
        if lo > hi {
            (0.0, 1.0, max)
        } else if hi - lo < 1.0 {
            (lo - 1.0, hi + 1.0, max)
        } else {
            (lo, hi, max)
        }
    }
}

impl Drawing for Rates<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        text: bool,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let (lo, hi, max) = self.bounds();
        let unit = scale::bits_per_second(max);
        let top = (max / unit.factor * 1.15).max(1.0);
        let mut builder = ChartBuilder::on(root);
        builder.margin(20);
        if text {
            builder
                .caption(self.title, (font::FAMILY, 22).into_font().color(&INK))
                .x_label_area_size(40)
                .y_label_area_size(70);
        }
        let mut chart = builder.build_cartesian_2d(lo..hi, 0f64..top).map_err(err)?;
        let mut mesh = chart.configure_mesh();
        mesh.axis_style(INK)
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210));
        let fmt = |ms: &f64| time_label(*ms);
        if text {
            mesh.x_labels(8)
                .x_label_formatter(&fmt)
                .y_desc(unit.name)
                .label_style((font::FAMILY, 14).into_font().color(&INK))
                .axis_desc_style((font::FAMILY, 16).into_font().color(&INK));
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(err)?;
        let y = |v: f64| if v.is_finite() { v / unit.factor } else { 0.0 };
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i);
            let line = chart
                .draw_series(LineSeries::new(
                    s.points.iter().map(|(t, v)| (t.0 as f64, y(*v))),
                    c.stroke_width(2),
                ))
                .map_err(err)?;
            if text {
                line.label(s.name.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            }
        }
        chart
            .draw_series(
                self.peaks
                    .iter()
                    .map(|p| Circle::new((p.at.0 as f64, y(p.bps)), 5, INK.filled())),
            )
            .map_err(err)?;
        if text {
            let style = (font::FAMILY, 13).into_font().color(&INK);
            for p in self.peaks {
                let (px, py) = chart.backend_coord(&(p.at.0 as f64, y(p.bps)));
                root.draw(&Text::new(
                    p.label.clone(),
                    (px + 8, py - 16),
                    style.clone(),
                ))
                .map_err(err)?;
            }
            if !self.series.is_empty() {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE)
                    .border_style(INK)
                    .label_font((font::FAMILY, 14).into_font().color(&INK))
                    .draw()
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}
