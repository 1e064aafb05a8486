//! The CSV format (`docs/export-format.md`): one row per point, RFC 4180 quoting (lines end in LF), a header
//! `time,metric,<label>…,value,min,max` with one column per label name of the exported
//! series (sorted; empty where a series lacks the label). `min` and `max` are filled on the
//! rollup tiers only.

use std::collections::BTreeSet;
use std::io::{self, Write};

use bandwatch_store::Resolution;

use super::format::{write_number, Format, Header, Point};
use super::range::rfc3339;
use super::select::Chosen;

/// The columns every file has, besides the labels.
const FIXED: [&str; 5] = ["time", "metric", "value", "min", "max"];

/// Writes CSV rows to `out`.
pub struct CsvFormat<W: Write> {
    out: W,
    /// The label columns, in order.
    columns: Vec<String>,
    /// `metric,label…,` of the current series, quoted, written before each point's value.
    prefix: Vec<u8>,
}

impl<W: Write> CsvFormat<W> {
    /// A file written to `out` for the series `chosen` (their label names make the columns).
    pub fn new(out: W, chosen: &[Chosen]) -> Self {
        let columns: BTreeSet<&str> = chosen
            .iter()
            .flat_map(|c| c.key.labels.iter().map(|(k, _)| k))
            .collect();
        Self {
            out,
            columns: columns.into_iter().map(str::to_string).collect(),
            prefix: Vec::new(),
        }
    }
}

/// `field` as a CSV cell: quoted when it holds a comma, a quote or a line break.
fn cell(out: &mut impl Write, field: &str) -> io::Result<()> {
    if field.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", field.replace('"', "\"\""))
    } else {
        out.write_all(field.as_bytes())
    }
}

/// A number cell: empty when the value is not finite.
fn number(out: &mut impl Write, v: f64) -> io::Result<()> {
    if v.is_finite() {
        write_number(out, v)
    } else {
        Ok(())
    }
}

impl<W: Write> Format for CsvFormat<W> {
    fn start(&mut self, _header: &Header<'_>) -> io::Result<()> {
        let mut names: Vec<String> = vec!["time".into(), "metric".into()];
        // A label named like a fixed column gets a prefix, so every header name is unique.
        names.extend(self.columns.iter().map(|c| {
            if FIXED.contains(&c.as_str()) {
                format!("label_{c}")
            } else {
                c.clone()
            }
        }));
        names.extend(["value", "min", "max"].map(String::from));
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            cell(&mut self.out, n)?;
        }
        self.out.write_all(b"\n")
    }

    fn series(&mut self, series: &Chosen, _resolution: Resolution) -> io::Result<()> {
        self.prefix.clear();
        self.prefix.push(b',');
        cell(&mut self.prefix, &series.key.metric)?;
        for c in &self.columns {
            self.prefix.push(b',');
            cell(&mut self.prefix, series.key.labels.get(c).unwrap_or(""))?;
        }
        self.prefix.push(b',');
        Ok(())
    }

    fn points(&mut self, points: &[Point]) -> io::Result<()> {
        for p in points {
            self.out.write_all(rfc3339(p.ts).as_bytes())?;
            self.out.write_all(&self.prefix)?;
            number(&mut self.out, p.value)?;
            self.out.write_all(b",")?;
            if let Some((min, max)) = p.bounds {
                number(&mut self.out, min)?;
                self.out.write_all(b",")?;
                number(&mut self.out, max)?;
            } else {
                self.out.write_all(b",")?;
            }
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn end_series(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use bandwatch_core::{Labels, SampleKind, SeriesKey, Unit};

    use super::*;

    fn chosen(metric: &str, labels: &[(&str, &str)]) -> Chosen {
        Chosen {
            key: SeriesKey::new(metric, Labels::from_pairs(labels.iter().copied())),
            kind: SampleKind::Gauge,
            unit: Unit::Number,
            derives_from: None,
        }
    }

    #[test]
    fn labels_are_columns_and_cells_are_quoted() {
        let series = [
            chosen(
                "device_rx_bytes",
                &[("device", "a,\"b\""), ("ip", "10.0.0.1")],
            ),
            chosen("net_up", &[("iface", "eth0"), ("value", "x")]),
        ];
        let mut buf = Vec::new();
        let mut f = CsvFormat::new(&mut buf, &series);
        let plan = super::super::range::Plan {
            window: super::super::range::Window { start: 0, end: 1 },
            resolution: Resolution::Raw,
            step_ms: 1000,
        };
        f.start(&Header {
            generated: 0,
            plan: &plan,
        })
        .expect("header");
        for s in &series {
            f.series(s, Resolution::Raw).expect("series");
            let point = |ts, value, bounds| Point { ts, value, bounds };
            f.points(&[point(0, 1.5, None), point(1000, f64::NAN, Some((1.0, 2.0)))])
                .expect("points");
        }
        f.finish().expect("finish");
        insta::assert_snapshot!(String::from_utf8(buf).expect("utf-8"), @r#"
        time,metric,device,iface,ip,label_value,value,min,max
        1970-01-01T00:00:00.000Z,device_rx_bytes,"a,""b""",,10.0.0.1,,1.5,,
        1970-01-01T00:00:01.000Z,device_rx_bytes,"a,""b""",,10.0.0.1,,,1,2
        1970-01-01T00:00:00.000Z,net_up,,eth0,,x,1.5,,
        1970-01-01T00:00:01.000Z,net_up,,eth0,,x,,1,2
        "#);
    }
}
