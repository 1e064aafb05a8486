//! Writes the per-tick output to stdout in the configured mode.

use std::io::Write as _;

use crate::config::OutputMode;
use crate::output::{console_line, json_line, TickSummary};

/// Prints ticks; holds nothing but the mode.
#[derive(Debug)]
pub struct Printer {
    mode: OutputMode,
}

impl Printer {
    /// A printer for one output mode.
    pub fn new(mode: OutputMode) -> Self {
        Self { mode }
    }

    /// Prints one tick; an error means stdout is gone.
    pub fn print(&self, tick: &TickSummary) -> std::io::Result<()> {
        let line = match self.mode {
            OutputMode::Quiet => return Ok(()),
            OutputMode::Json => json_line(tick),
            OutputMode::Console => console_line(tick),
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")?;
        out.flush()
    }
}
