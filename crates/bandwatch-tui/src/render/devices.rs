//! The devices pane: LAN devices by their internet traffic now (the top talkers).

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Text;
use ratatui::widgets::{Cell, Row, Table, TableState};
use ratatui::Frame;

use super::format::{name, rate, rate_width};
use super::style::Palette;
use crate::state::{Pane, State};

/// Draws the devices table.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let sort = state.sort_of(Pane::Devices).label();
    let block = p.block(state, Pane::Devices, format!(" Devices ({sort}) "));
    if state.model.devices.is_empty() {
        let text = " no LAN devices counted";
        frame.render_widget(ratatui::widgets::Paragraph::new(text).block(block), area);
        return;
    }
    let right = |s: String| Cell::from(Text::from(s).right_aligned());
    let rows = state.devices().into_iter().map(|(device, d)| {
        Row::new([
            Cell::from(name(device)),
            right(rate(state.units, d.rx)).style(p.rx()),
            right(rate(state.units, d.tx)).style(p.tx()),
        ])
    });
    let header = Row::new([
        Cell::from("device"),
        Cell::from(Text::from("↓").right_aligned()),
        Cell::from(Text::from("↑").right_aligned()),
    ])
    .style(p.heading());
    let w = rate_width(state.units);
    let widths = [
        Constraint::Min(8),
        Constraint::Length(w),
        Constraint::Length(w),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(p.selected(state.focus == Pane::Devices));
    let mut selection = TableState::default().with_selected(Some(state.selected_in(Pane::Devices)));
    frame.render_stateful_widget(table, area, &mut selection);
}
