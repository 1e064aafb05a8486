//! The JSON format (`docs/export-format.md`, version 1): a header, then one series object per
//! line with its points as `[time_ms, value]` (`[time_ms, value, min, max]` on the rollup
//! tiers), written as the walk hands them over.

use std::io::{self, Write};

use bandwatch_store::Resolution;
use serde::Serialize;

use super::format::{write_number, Format, Header, Point};
use super::range::rfc3339;
use super::select::{value_meaning, Chosen};

/// The version of the document's shape; bumped when a field changes meaning or goes away.
pub const VERSION: u32 = 1;

/// Writes the JSON document to `out`.
pub struct JsonFormat<W: Write> {
    out: W,
    /// Whether a series was written (the next one needs a comma first).
    any_series: bool,
    /// Whether the current series has a point (the next one needs a comma first).
    any_point: bool,
}

impl<W: Write> JsonFormat<W> {
    /// A document written to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            any_series: false,
            any_point: false,
        }
    }
}

/// The header fields, in the order the document has them.
#[derive(Serialize)]
struct Head<'a> {
    version: u32,
    generated: String,
    range: Range,
    tier: Resolution,
    step_ms: i64,
    point: &'a [&'a str],
}

#[derive(Serialize)]
struct Range {
    start: String,
    end: String,
    start_ms: i64,
    end_ms: i64,
}

/// One series' fields before its points.
#[derive(Serialize)]
struct SeriesHead<'a> {
    metric: &'a str,
    #[serde(serialize_with = "labels")]
    labels: &'a bandwatch_core::Labels,
    kind: bandwatch_core::SampleKind,
    unit: bandwatch_core::Unit,
    value: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    derived_from: Option<&'static str>,
}

/// Labels as one JSON object, as the API writes them.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference to the field, itself one
fn labels<S: serde::Serializer>(l: &&bandwatch_core::Labels, s: S) -> Result<S::Ok, S::Error> {
    bandwatch_web::json::labels_map(l, s)
}

/// The names of a point's fields on `resolution`.
fn point_fields(resolution: Resolution) -> &'static [&'static str] {
    match resolution {
        Resolution::Raw => &["time_ms", "value"],
        Resolution::Minute | Resolution::Hour => &["time_ms", "value", "min", "max"],
    }
}

/// `{...}` of `value` without its closing brace, so more fields can follow; characters that
/// line splitters and terminals trip on are escaped, so a series stays one line.
fn open_object(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::from)?;
    let text = crate::output::escape_unsafe_chars(text);
    out.write_all(text.strip_suffix('}').unwrap_or(&text).as_bytes())
}

impl<W: Write> Format for JsonFormat<W> {
    fn start(&mut self, header: &Header<'_>) -> io::Result<()> {
        let plan = header.plan;
        let head = Head {
            version: VERSION,
            generated: rfc3339(header.generated),
            range: Range {
                start: rfc3339(plan.window.start),
                end: rfc3339(plan.window.end),
                start_ms: plan.window.start,
                end_ms: plan.window.end,
            },
            tier: plan.resolution,
            step_ms: plan.step_ms,
            point: point_fields(plan.resolution),
        };
        open_object(&mut self.out, &head)?;
        self.out.write_all(b",\"series\":[")
    }

    fn series(&mut self, series: &Chosen, resolution: Resolution) -> io::Result<()> {
        let head = SeriesHead {
            metric: &series.key.metric,
            labels: &series.key.labels,
            kind: series.kind,
            unit: series.unit,
            value: value_meaning(series.kind, resolution),
            derived_from: series
                .derives_from
                .filter(|_| resolution == Resolution::Raw)
                .map(|d| d.delta),
        };
        self.out
            .write_all(if self.any_series { b",\n" } else { b"\n" })?;
        self.any_series = true;
        self.any_point = false;
        open_object(&mut self.out, &head)?;
        self.out.write_all(b",\"points\":[")
    }

    fn points(&mut self, points: &[Point]) -> io::Result<()> {
        for p in points {
            if self.any_point {
                self.out.write_all(b",")?;
            }
            self.any_point = true;
            write!(self.out, "[{},", p.ts)?;
            write_number(&mut self.out, p.value)?;
            if let Some((min, max)) = p.bounds {
                self.out.write_all(b",")?;
                write_number(&mut self.out, min)?;
                self.out.write_all(b",")?;
                write_number(&mut self.out, max)?;
            }
            self.out.write_all(b"]")?;
        }
        Ok(())
    }

    fn end_series(&mut self) -> io::Result<()> {
        self.out.write_all(b"]}")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()
    }
}
