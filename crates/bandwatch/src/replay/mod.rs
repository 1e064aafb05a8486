//! `bandwatch replay FILE`: recorded samples through the same rules `run` uses, printing the
//! alert events. How users tune rules, and how the engine is tested end to end.

mod csv;
mod ndjson;

use std::io::{BufRead, BufReader};
use std::path::Path;

use bandwatch_core::{AlertEvent, Frame};
use bandwatch_engine::Engine;

use crate::error::BadInput;

/// Reads the whole recording into frames, in file order. NDJSON when the first non-blank
/// line starts with `{`, CSV otherwise.
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
    let first = lines
        .iter()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim_start());
    let parsed = match first {
        None => {
            return Err(BadInput(format!(
                "{} is empty; record one with `bandwatch run --json > FILE`",
                path.display()
            )))
        }
        Some(l) if l.starts_with('{') => ndjson::frames(&lines),
        Some(_) => csv::frames(&lines),
    };
    parsed.map_err(|(line, problem)| BadInput(format!("{} line {line}: {problem}", path.display())))
}

/// Runs every frame through the engine and collects the events in order.
pub fn replay(engine: &mut Engine, frames: &[Frame]) -> Vec<AlertEvent> {
    frames.iter().flat_map(|f| engine.observe(f)).collect()
}

/// One event as a line for people; names from the recording are escaped, so a label value
/// cannot drive the terminal.
pub fn event_line(e: &AlertEvent) -> String {
    let safe = |text: &str| bandwatch_core::human::escape_control(text).into_owned();
    format!(
        "{}  {:<10} {:<8} {:<20} {}  {}",
        e.at.to_rfc3339(),
        e.kind.as_str(),
        e.severity.as_str(),
        safe(&e.rule),
        safe(&e.series.to_string()),
        safe(&e.message)
    )
}
