//! The chart: the selected interface's ↓ and ↑ over the last minutes, every sample (sub-second
//! intervals included), with its peaks in the title.

use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};
use ratatui::Frame;

use super::format::{name, rate};
use super::style::Palette;
use crate::state::{Pane, State};

/// Draws the chart of the charted interface.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let Some((iface, i)) = state.charted() else {
        let block = p.block(state, Pane::Interfaces, " Chart ".into());
        frame.render_widget(
            Paragraph::new(" waiting for the first rates…").block(block),
            area,
        );
        return;
    };
    let window = state.options.window.as_secs_f64();
    let title = format!(
        " {} · peak ↓{} ↑{} ",
        name(iface),
        rate(state.units, i.peak_rx),
        rate(state.units, i.peak_tx)
    );
    // Seconds before the newest value: the right edge is "now".
    let newest = i.history.back().map_or(0, |(t, _, _)| t.millis());
    let at = |t: bandwatch_core::Timestamp| (t.millis() - newest) as f64 / 1000.0;
    let rx: Vec<(f64, f64)> = i.history.iter().map(|(t, r, _)| (at(*t), *r)).collect();
    let tx: Vec<(f64, f64)> = i.history.iter().map(|(t, _, x)| (at(*t), *x)).collect();
    let top = i
        .history
        .iter()
        .map(|(_, r, x)| r.max(*x))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    // Without colour the two lines differ by their dots.
    let tx_marker = if state.options.color {
        Marker::Braille
    } else {
        Marker::Dot
    };
    let datasets = vec![
        Dataset::default()
            .name("↓")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(p.rx())
            .data(&rx),
        Dataset::default()
            .name("↑")
            .marker(tx_marker)
            .graph_type(GraphType::Line)
            .style(p.tx())
            .data(&tx),
    ];
    let x = Axis::default()
        .bounds([-window, 0.0])
        .labels([Span::raw(span_label(window)), Span::raw("now")])
        .style(p.dim());
    let y = Axis::default()
        .bounds([0.0, top])
        .labels([Span::raw("0"), Span::raw(rate(state.units, top))])
        .style(p.dim());
    let chart = Chart::new(datasets)
        .block(p.block(state, Pane::Interfaces, title).border_style(
            if state.focus == Pane::Interfaces {
                p.dim()
            } else {
                ratatui::style::Style::new()
            },
        ))
        .x_axis(x)
        .y_axis(y);
    frame.render_widget(chart, area);
}

/// The left edge's label: `-2m`, `-90s`.
fn span_label(seconds: f64) -> String {
    if seconds >= 60.0 && seconds % 60.0 == 0.0 {
        format!("-{}m", seconds / 60.0)
    } else {
        format!("-{seconds}s")
    }
}
