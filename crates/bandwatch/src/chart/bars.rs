//! Received vs sent bars per period (the old script's chart): two bars side by side per
//! period, the y axis in the binary unit that fits the largest bar.

use std::path::Path;

use plotters::prelude::*;

use super::{err, font, scale, BarGroup, ChartError, Drawing, INK, RX, TX};

/// Pixels one character of a label under the bars takes at most, with the gap after it.
const CHAR_PX: usize = 8;

struct Bars<'a> {
    title: &'a str,
    groups: &'a [BarGroup],
}

/// Draws `groups` as received vs sent bars into `path` (`.svg` or `.png`); `Some(note)`
/// when the chart had to be drawn without text.
pub fn bars(path: &Path, title: &str, groups: &[BarGroup]) -> Result<Option<String>, ChartError> {
    super::render(path, &Bars { title, groups })
}

impl Drawing for Bars<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        text: bool,
    ) -> Result<(), String> {
        root.fill(&WHITE).map_err(err)?;
        let max = self
            .groups
            .iter()
            .map(|g| g.rx_bytes.max(g.tx_bytes))
            .max()
            .unwrap_or(0) as f64;
        let unit = scale::bytes(max);
        // Headroom for the legend in the upper right corner.
        let top = (max / unit.factor * 1.3).max(1.0);
        let n = self.groups.len().max(1);
        let mut builder = ChartBuilder::on(root);
        builder.margin(20);
        if text {
            builder
                .caption(self.title, (font::FAMILY, 22).into_font().color(&INK))
                .x_label_area_size(40)
                .y_label_area_size(70);
        }
        let mut chart = builder
            .build_cartesian_2d(0f64..n as f64, 0f64..top)
            .map_err(err)?;
        let mut mesh = chart.configure_mesh();
        mesh.disable_x_mesh()
            .x_labels(0)
            .axis_style(INK)
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210));
        if text {
            mesh.y_desc(unit.name)
                .label_style((font::FAMILY, 14).into_font().color(&INK))
                .axis_desc_style((font::FAMILY, 16).into_font().color(&INK));
        } else {
            mesh.y_labels(0);
        }
        mesh.draw().map_err(err)?;
        let height = |v: u64| v as f64 / unit.factor;
        let series = [("received", RX, 0.1), ("sent", TX, 0.5)];
        for (name, color, offset) in series {
            let drawn = chart
                .draw_series(self.groups.iter().enumerate().map(|(i, g)| {
                    let v = if name == "received" {
                        g.rx_bytes
                    } else {
                        g.tx_bytes
                    };
                    let x = i as f64 + offset;
                    Rectangle::new([(x, 0.0), (x + 0.4, height(v))], color.filled())
                }))
                .map_err(err)?;
            if text {
                drawn.label(name).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled())
                });
            }
        }
        if text {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE)
                .border_style(INK)
                .label_font((font::FAMILY, 14).into_font().color(&INK))
                .draw()
                .map_err(err)?;
            // Every n-th period is labelled, so the labels never run into each other.
            let widest = self.groups.iter().map(|g| g.label.chars().count()).max();
            let label_px = (widest.unwrap_or(0) + 2) * CHAR_PX;
            let (left, _) = chart.backend_coord(&(0.0, 0.0));
            let (right, _) = chart.backend_coord(&(n as f64, 0.0));
            let width = usize::try_from(right - left).unwrap_or(1).max(1);
            let every = (self.groups.len() * label_px).div_ceil(width).max(1);
            let style = (font::FAMILY, 13).into_font().color(&INK).pos(
                plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                ),
            );
            for (i, g) in self.groups.iter().enumerate().step_by(every) {
                let (px, py) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
                root.draw(&Text::new(g.label.clone(), (px, py + 8), style.clone()))
                    .map_err(err)?;
            }
        }
        Ok(())
    }
}

/// The bar chart of `groups`, for drawing on a backend of the test's choosing.
#[cfg(test)]
pub(super) fn tests_only(groups: &[BarGroup]) -> impl Drawing + '_ {
    Bars { title: "t", groups }
}
