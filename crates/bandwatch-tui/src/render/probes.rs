//! The probes pane: each target up or down, its round-trip time and loss.

use bandwatch_core::{human, Unit};
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Text;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::format::name;
use super::style::Palette;
use crate::state::{Pane, State};

/// Draws the probes table.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let sort = state.sort_of(Pane::Probes).label();
    let block = p.block(state, Pane::Probes, format!(" Probes ({sort}) "));
    if state.model.probes.is_empty() {
        let text = " no probe targets";
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    let right = |s: String| Cell::from(Text::from(s).right_aligned());
    let rows = state.probes().into_iter().map(|(target, t)| {
        let (word, style) = match t.up {
            Some(true) => ("up", p.good()),
            Some(false) => ("DOWN", p.bad()),
            None => ("?", p.dim()),
        };
        Row::new([
            Cell::from(name(target)),
            Cell::from(word).style(style),
            right(
                t.rtt
                    .map_or_else(|| "-".into(), |v| human::format(Unit::Seconds, v)),
            ),
            right(t.loss.map_or_else(|| "-".into(), |v| format!("{v:.0}%"))),
        ])
    });
    let header = Row::new([
        Cell::from("target"),
        Cell::from("state"),
        Cell::from(Text::from("rtt").right_aligned()),
        Cell::from(Text::from("loss").right_aligned()),
    ])
    .style(p.heading());
    let widths = [
        Constraint::Min(6),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(5),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(p.selected(state.focus == Pane::Probes));
    let mut selection = TableState::default().with_selected(Some(state.selected_in(Pane::Probes)));
    frame.render_stateful_widget(table, area, &mut selection);
}
