//! The terminal while the view runs: raw mode and the alternate screen on entry, and the
//! terminal given back as it was on every way out — a normal exit, an error, or a panic.

use std::io::{IsTerminal as _, Stdout};

use anyhow::Context as _;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::Terminal;

/// The terminal the view draws on.
pub type Screen = Terminal<CrosstermBackend<Stdout>>;

/// Whether standard output is a terminal to draw on.
pub fn is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Gives the terminal back when dropped.
pub struct Restore(());

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

/// Switches to raw mode and the alternate screen; the terminal is restored when the
/// returned guard drops, and before a panic's message is printed.
pub fn enter() -> anyhow::Result<(Screen, Restore)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The message would be lost on the alternate screen, or garbled in raw mode.
        restore();
        previous(info);
    }));
    terminal::enable_raw_mode().context("switching the terminal to raw mode")?;
    let guard = Restore(());
    execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )
    .context("switching to the alternate screen")?;
    let screen =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).context("opening the terminal")?;
    Ok((screen, guard))
}

/// Leaves the alternate screen and raw mode; harmless when already done.
fn restore() {
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}
