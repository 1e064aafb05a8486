//! Charts as files (`report --chart`, `analyze --chart`): received vs sent bars per period,
//! and rate lines with their peaks, as SVG or PNG, drawn with plotters.
//!
//! Readable in light and dark viewers: an opaque white background, dark text, two colours
//! that differ in lightness too. Units on the axes (bytes in binary units, rates in decimal
//! bits per second) and a legend. Text needs a font: bandwatch ships none and links no
//! font library, so it looks for a TrueType sans-serif font installed on the system
//! (`font.rs`); without one the chart is drawn without text and the caller is told so.

mod bars;
mod font;
mod rates;
mod scale;

use std::path::{Path, PathBuf};

use bandwatch_core::Timestamp;
use plotters::prelude::*;

pub use bars::bars;
#[allow(unused_imports)]
pub use rates::rates;

/// Received bars and lines.
const RX: RGBColor = RGBColor(31, 119, 180);
/// Sent bars and lines.
const TX: RGBColor = RGBColor(230, 115, 0);
/// Text, axes and the legend's frame.
const INK: RGBColor = RGBColor(33, 33, 33);
/// The chart's size in pixels.
const SIZE: (u32, u32) = (1000, 500);

/// One period's bars.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroup {
    /// The period as shown under its bars (`2026-11-01`).
    pub label: String,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
}

/// One line of a rate chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RateSeries {
    /// Its name in the legend (`eth0 rx`).
    pub name: String,
    /// Its points: when, and the rate in bits per second.
    pub points: Vec<(Timestamp, f64)>,
}

/// A point marked on a rate chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    /// When.
    pub at: Timestamp,
    /// The rate there, bits per second.
    pub bps: f64,
    /// What to write beside it (`eth0 912 Mbps`).
    pub label: String,
}

/// The kind of file a chart is written as, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics.
    Svg,
    /// A PNG image.
    Png,
}

impl Format {
    /// The format `path`'s extension names.
    pub fn of(path: &Path) -> Result<Self, ChartError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(ChartError::Extension {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Why a chart was not written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The file name ends in neither `.svg` nor `.png`.
    #[error("'{}' is neither an .svg nor a .png file; name the chart FILE.svg or FILE.png", escape(.path))]
    Extension {
        /// The name given.
        path: PathBuf,
    },
    /// Drawing or writing failed.
    #[error("cannot draw the chart into '{}': {message}; check that its folder exists and is writable", escape(.path))]
    Draw {
        /// The file.
        path: PathBuf,
        /// What plotters said.
        message: String,
    },
}

fn escape(p: &Path) -> String {
    bandwatch_core::human::escape_control(&p.display().to_string()).into_owned()
}

/// Whether text is drawn, and what the caller should be told when it is not.
fn text_or_note() -> (bool, Option<String>) {
    if font::ensure() {
        (true, None)
    } else {
        (
            false,
            Some(format!(
                "no TrueType sans-serif font was found ({}); the chart was drawn without \
                 text: install one (Debian: apt install fonts-dejavu-core)",
                font::SEARCHED
            )),
        )
    }
}

/// A chart that can draw itself on any plotters backend.
trait Drawing {
    /// Draws onto `root`; with `text` false, no text at all (no font to draw it with).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        text: bool,
    ) -> Result<(), String>;
}

/// Writes `chart` as the file `path` names (SVG or PNG) of [`SIZE`]; `Some(note)` when it
/// was drawn without text.
fn render(path: &Path, chart: &impl Drawing) -> Result<Option<String>, ChartError> {
    let format = Format::of(path)?;
    let (text, note) = text_or_note();
    let drawn = match format {
        Format::Svg => {
            let root = SVGBackend::new(path, SIZE).into_drawing_area();
            chart
                .draw(&root, text)
                .and_then(|()| root.present().map_err(|e| e.to_string()))
        }
        Format::Png => {
            let root = BitMapBackend::new(path, SIZE).into_drawing_area();
            chart
                .draw(&root, text)
                .and_then(|()| root.present().map_err(|e| e.to_string()))
        }
    };
    drawn.map_err(|message| ChartError::Draw {
        path: path.to_path_buf(),
        message,
    })?;
    Ok(note)
}

/// A plotters error as text.
fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests;
