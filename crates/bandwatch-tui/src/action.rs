//! What can happen to the view: a key, new values, alert transitions, a resize; and what
//! the caller must do afterwards.

use bandwatch_core::{AlertEvent, Frame};

/// A key the view understands; the binary maps its terminal's key events onto these, so
/// this crate needs no terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Tab: the next pane.
    Tab,
    /// Shift+Tab: the previous pane.
    BackTab,
    /// Arrow up: the previous row of the pane.
    Up,
    /// Arrow down: the next row of the pane.
    Down,
    /// Arrow left: the previous pane.
    Left,
    /// Arrow right: the next pane.
    Right,
    /// Escape: closes the help.
    Esc,
    /// Ctrl+C: quits, as `q` does.
    Interrupt,
    /// A printable character.
    Char(char),
}

/// One input to [`crate::update`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A key was pressed.
    Key(Key),
    /// A source's frame (standalone) or a snapshot's values (attached to an agent).
    Frame(Frame),
    /// One alert transition (standalone: the rule engine's output).
    Alert(AlertEvent),
    /// The complete list of firing alerts (attached: the agent's answer), replacing the view's.
    Firing(Vec<AlertEvent>),
    /// A line about the feed (connected, unreachable, …); `None` clears it.
    Status(Option<String>),
    /// The terminal's new size in cells.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
}

/// What the caller does after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Draw again if anything changed; keep going.
    Continue,
    /// Restore the terminal and exit.
    Quit,
}
