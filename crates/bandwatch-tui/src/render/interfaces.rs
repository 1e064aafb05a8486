//! The interfaces pane: each interface's current ↓/↑ and, where there is room, its peaks.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Text;
use ratatui::widgets::{Cell, Row, Table, TableState};
use ratatui::Frame;

use super::format::{name, rate, rate_width};
use super::style::Palette;
use crate::state::{Pane, State};

/// Draws the interfaces table.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let sort = state.sort_of(Pane::Interfaces).label();
    let block = p.block(state, Pane::Interfaces, format!(" Interfaces ({sort}) "));
    let w = rate_width(state.units);
    // The peak columns only where all four figures fit whole beside the name.
    let peaks = area.width.saturating_sub(2) >= 6 + 4 * (w + 1);
    let right = |s: String| Cell::from(Text::from(s).right_aligned());
    let rows = state.interfaces().into_iter().map(|(iface, i)| {
        let mut cells = vec![
            Cell::from(name(iface)),
            right(rate(state.units, i.rx)).style(p.rx()),
            right(rate(state.units, i.tx)).style(p.tx()),
        ];
        if peaks {
            cells.push(right(rate(state.units, i.peak_rx)).style(p.rx()));
            cells.push(right(rate(state.units, i.peak_tx)).style(p.tx()));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Min(6),
        Constraint::Length(w),
        Constraint::Length(w),
    ];
    let mut heads = vec!["iface", "↓ now", "↑ now"];
    if peaks {
        widths.extend([Constraint::Length(w), Constraint::Length(w)]);
        heads.extend(["↓ peak", "↑ peak"]);
    }
    let header = Row::new(heads.into_iter().enumerate().map(|(i, h)| {
        if i == 0 {
            Cell::from(h)
        } else {
            Cell::from(Text::from(h).right_aligned())
        }
    }))
    .style(p.heading());
    let focused = state.focus == Pane::Interfaces;
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(p.selected(focused));
    let mut selection = TableState::default().with_selected(
        (state.rows(Pane::Interfaces) > 0).then(|| state.selected_in(Pane::Interfaces)),
    );
    frame.render_stateful_widget(table, area, &mut selection);
}
