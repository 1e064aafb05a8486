//! The help: every key, over the middle of the screen until a key is pressed.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::style::Palette;
use crate::state::State;

const KEYS: [(&str, &str); 9] = [
    ("tab  →", "next pane"),
    ("S-tab ←", "previous pane"),
    ("↑ ↓", "select a row (the chart follows interfaces)"),
    ("s", "change the focused pane's sort"),
    ("p space", "pause / resume"),
    ("u", "rates in bits or bytes"),
    ("?", "this help"),
    ("q ctrl-c", "quit"),
    ("any key", "close the help"),
];

/// Draws the help box over `area`.
pub fn render(state: &State, frame: &mut Frame, area: Rect) {
    let p = Palette::of(state);
    let [row] = Layout::vertical([Constraint::Length(KEYS.len() as u16 + 2)])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(58.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<9}"), p.heading()),
                Span::raw(*what),
            ])
        })
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .title(" Keys ");
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
