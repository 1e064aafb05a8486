//! `bandwatch replay FILE`: recorded samples through the same rules `run` uses, printing the
//! alert events and which of them a notification channel would send (the rules' cooldowns
//! hold some back). How users tune rules, and how the engine is tested end to end.

mod csv;
mod ndjson;

use std::io::{BufRead, BufReader};
use std::path::Path;

use bandwatch_core::{AlertEvent, Frame};
use bandwatch_engine::Engine;
use bandwatch_notify::dispatch::Route;
use bandwatch_notify::{Cooldowns, Throttle};

use crate::error::BadInput;

/// The two formats a recording can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Ndjson,
    Csv,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Self::Ndjson => "NDJSON",
            Self::Csv => "CSV",
        }
    }
}

/// Which format to read `path` in, and why, for the error if it does not read: by the
/// extension when it names one, else by the first non-blank line.
fn format_of(path: &Path, lines: &[String]) -> (Format, String) {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some(e @ ("ndjson" | "jsonl" | "json")) => {
            (Format::Ndjson, format!("the file name ends in .{e}"))
        }
        Some("csv") => (Format::Csv, "the file name ends in .csv".to_string()),
        _ => {
            let first = lines.iter().find(|l| !l.trim().is_empty());
            if first.is_some_and(|l| l.trim_start().starts_with('{')) {
                (Format::Ndjson, "its first line starts with '{'".to_string())
            } else {
                (
                    Format::Csv,
                    "its first line does not start with '{' as NDJSON does; name the file \
                     .ndjson or .csv to choose"
                        .to_string(),
                )
            }
        }
    }
}

/// Reads the whole recording into frames, in file order, in the format [`format_of`] picks.
pub fn read_frames(path: &Path) -> Result<Vec<Frame>, BadInput> {
    let file = std::fs::File::open(path).map_err(|e| {
        BadInput(format!(
            "cannot read the recording {}: {e}; check the path",
            path.display()
        ))
    })?;
    let mut lines = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| BadInput(format!("{} line {}: {e}", path.display(), i + 1)))?;
        lines.push(line);
    }
    if lines.iter().all(|l| l.trim().is_empty()) {
        return Err(BadInput(format!(
            "{} is empty; record one with `bandwatch run --json > FILE`",
            path.display()
        )));
    }
    let (format, why) = format_of(path, &lines);
    let parsed = match format {
        Format::Ndjson => ndjson::frames(&lines),
        Format::Csv => csv::frames(&lines),
    };
    parsed.map_err(|(line, problem)| {
        BadInput(format!(
            "{} line {line}: {problem} (read as {} because {why})",
            path.display(),
            format.name()
        ))
    })
}

/// Runs every frame through the engine and collects the events in order, each with whether
/// a channel that takes every alert would send it.
pub fn replay(engine: &mut Engine, frames: &[Frame], cooldowns: Cooldowns) -> Vec<Replayed> {
    let route = Route::default();
    let mut throttle = Throttle::new(cooldowns);
    frames
        .iter()
        .flat_map(|f| engine.observe(f))
        .map(|event| Replayed {
            notified: route.accepts(&event) && throttle.admit(&event),
            event,
        })
        .collect()
}

/// One replayed event.
#[derive(Debug, serde::Serialize)]
pub struct Replayed {
    /// The event as the history records it.
    #[serde(flatten)]
    pub event: AlertEvent,
    /// Whether a channel would send it: pending events and alerts within their rule's
    /// cooldown (and the end of those) are not sent.
    pub notified: bool,
}

/// One event as a line for people; names from the recording are escaped, so a label value
/// cannot drive the terminal. An alert the cooldown keeps from being sent says so.
pub fn event_line(r: &Replayed) -> String {
    let e = &r.event;
    let safe = |text: &str| bandwatch_core::human::escape_control(text).into_owned();
    let held = !r.notified && e.kind != bandwatch_core::EventKind::Pending;
    format!(
        "{}  {:<10} {:<8} {:<20} {}  {}{}",
        e.at.to_rfc3339(),
        e.kind.as_str(),
        e.severity.as_str(),
        safe(&e.rule),
        safe(&e.series.to_string()),
        safe(&e.message),
        if held { "  (not sent: cooldown)" } else { "" }
    )
}
