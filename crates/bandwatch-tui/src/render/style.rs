//! Colours: only the 16 basic ones (a plain terminal has them), or none at all when
//! `NO_COLOR` asks; emphasis then comes from bold, reverse video and border weight.

use bandwatch_core::Severity;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::state::{Pane, State};

/// The view's styles, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    color: bool,
}

impl Palette {
    /// The palette of `state`'s options.
    pub fn of(state: &State) -> Self {
        Self {
            color: state.options.color,
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    /// Download figures.
    pub fn rx(self) -> Style {
        self.fg(Color::Green)
    }

    /// Upload figures.
    pub fn tx(self) -> Style {
        self.fg(Color::Cyan)
    }

    /// Something good (a target up).
    pub fn good(self) -> Style {
        self.fg(Color::Green)
    }

    /// Something wrong (a target down), bold so it shows without colour too.
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// A percentage of a resource: red from 90, yellow from 75.
    pub fn level(self, percent: Option<f64>) -> Style {
        match percent {
            Some(p) if p >= 90.0 => self.bad(),
            Some(p) if p >= 75.0 => self.fg(Color::Yellow),
            _ => Style::new(),
        }
    }

    /// An alert's severity.
    pub fn severity(self, s: Severity) -> Style {
        match s {
            Severity::Critical | Severity::High => self.bad(),
            Severity::Medium => self.fg(Color::Yellow),
            Severity::Low => self.fg(Color::Cyan),
        }
    }

    /// Column headings and titles.
    pub fn heading(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Hints and units: dim where colour is allowed.
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }

    /// The selected row: reversed in the focused pane, bold elsewhere.
    pub fn selected(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    /// A pane's frame: thick and yellow when it has the focus.
    pub fn block(self, state: &State, pane: Pane, title: String) -> Block<'static> {
        let focused = state.focus == pane;
        let block = Block::new().borders(Borders::ALL).title(title);
        if focused {
            block
                .border_type(BorderType::Thick)
                .border_style(self.fg(Color::Yellow))
                .title_style(self.heading())
        } else {
            block.border_type(BorderType::Plain)
        }
    }
}
