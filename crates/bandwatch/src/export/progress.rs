//! The progress bar of a long export: on standard error, only when it is a terminal and
//! `--quiet` was not given, so files, pipes and cron jobs see nothing of it.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Slices read, out of how many, and the points written so far.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `slices` slices, hidden unless `shown`.
    pub fn new(slices: u64, shown: bool) -> Self {
        let target = if shown {
            ProgressDrawTarget::stderr_with_hz(4)
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(slices), target);
        let style = ProgressStyle::with_template(
            "exporting [{bar:30}] {percent:>3}% {msg} ({elapsed}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        if shown {
            // Redrawn while one long slice is read, so the elapsed time keeps moving.
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Self { bar }
    }

    /// Whether the bar should be drawn: standard error is a terminal and not `--quiet`.
    pub fn wanted(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    /// One more slice read; `points` written in all.
    pub fn tick(&self, points: u64) {
        self.bar.inc(1);
        self.bar.set_message(format!("{points} points"));
    }

    /// Removes the bar, leaving the terminal as it was.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An export that failed half-way must not leave a bar over its error message.
        self.bar.finish_and_clear();
    }
}
