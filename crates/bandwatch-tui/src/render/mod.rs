//! Drawing a [`State`]: [`render`] lays the screen out and calls one function per region,
//! each taking `&State` and its rectangle. Nothing here changes the state.

mod alerts;
mod chart;
mod devices;
mod footer;
mod format;
mod header;
mod help;
mod interfaces;
mod probes;
mod style;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

use crate::state::State;

pub use format::rate;
pub use style::Palette;

/// Draws the whole view into `frame`.
pub fn render(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render(state, frame, top);
    let [net, middle, alerts] = Layout::vertical([
        Constraint::Percentage(45),
        Constraint::Percentage(30),
        Constraint::Min(3),
    ])
    .areas(body);
    let [table, chart] =
        Layout::horizontal([Constraint::Length(table_width(net)), Constraint::Min(0)]).areas(net);
    interfaces::render(state, frame, table);
    chart::render(state, frame, chart);
    let [devices, probes] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(middle);
    devices::render(state, frame, devices);
    probes::render(state, frame, probes);
    alerts::render(state, frame, alerts);
    footer::render(state, frame, bottom);
    if state.help {
        help::render(state, frame, area);
    }
}

/// The interfaces table gets room for its peak columns on a wide screen, and at least the
/// current rates on a narrow one; the chart takes the rest.
fn table_width(area: Rect) -> u16 {
    if area.width >= 140 {
        64
    } else {
        (area.width * 9 / 20).max(24)
    }
}
