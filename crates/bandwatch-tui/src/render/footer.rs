//! The last line: the keys, and the feed's status when there is one.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format::name;
use super::style::Palette;
use crate::state::State;

/// The keys, shortest form.
const KEYS: [(&str, &str); 7] = [
    ("tab", "pane"),
    ("↑↓", "row"),
    ("s", "sort"),
    ("p", "pause"),
    ("u", "bits/bytes"),
    ("?", "help"),
    ("q", "quit"),
];

/// Draws the footer line.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let mut spans = Vec::new();
    for (key, what) in KEYS {
        spans.push(Span::styled(format!(" {key}"), p.heading()));
        spans.push(Span::raw(format!(" {what} ")));
    }
    let keys = Line::from(spans);
    let status = state.status.as_deref().map(name).unwrap_or_default();
    let [left, right] =
        Layout::horizontal([Constraint::Length(keys.width() as u16), Constraint::Min(0)])
            .areas(area);
    frame.render_widget(Paragraph::new(keys), left);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(status, p.dim())).right_aligned()),
        right,
    );
}
