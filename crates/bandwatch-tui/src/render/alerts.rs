//! The alerts pane: what is firing now, with severity, rule, series, since when and why.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::format::{ago, name};
use super::style::Palette;
use crate::state::{Pane, State};

/// Draws the firing alerts.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let sort = state.sort_of(Pane::Alerts).label();
    let alerts = state.alerts();
    let title = format!(" Alerts firing: {} ({sort}) ", alerts.len());
    let block = p.block(state, Pane::Alerts, title);
    if alerts.is_empty() {
        frame.render_widget(
            Paragraph::new(" nothing firing")
                .style(p.good())
                .block(block),
            area,
        );
        return;
    }
    let now = state.model.now.map_or(0, bandwatch_core::Timestamp::millis);
    let rows = alerts.into_iter().map(|a| {
        Row::new([
            Cell::from(a.severity.as_str()).style(p.severity(a.severity)),
            Cell::from(name(&a.rule)),
            Cell::from(name(&a.series.labels_text())),
            Cell::from(ago(now, a.started.millis())),
            Cell::from(name(&a.message)),
        ])
    });
    let header = Row::new(["sev", "rule", "series", "for", "message"]).style(p.heading());
    let widths = [
        Constraint::Length(8),
        Constraint::Length(18),
        Constraint::Length(16),
        Constraint::Length(4),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(p.selected(state.focus == Pane::Alerts));
    let mut selection = TableState::default().with_selected(Some(state.selected_in(Pane::Alerts)));
    frame.render_stateful_widget(table, area, &mut selection);
}
