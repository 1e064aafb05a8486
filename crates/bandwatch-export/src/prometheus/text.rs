//! The classic Prometheus text format 0.0.4, written by hand: prometheus-client 0.25 encodes
//! only OpenMetrics (its `encoding::text` writes `# EOF`, `_total` samples under a bare family
//! name, and `inf` for infinity), and scrapers that do not ask for OpenMetrics get this.
//!
//! Format: <https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format>.

use std::fmt::Write;

use super::view::{FamilyView, LabelSet};

/// Appends every family to `out`.
pub(crate) fn encode(out: &mut String, families: &[FamilyView<'_>]) {
    for f in families {
        let name = f.name();
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        escape_help(out, f.help());
        out.push_str("\n# TYPE ");
        out.push_str(name);
        out.push(' ');
        out.push_str(f.kind().as_str());
        out.push('\n');
        for (labels, value) in f.samples.iter() {
            out.push_str(name);
            write_labels(out, &labels);
            out.push(' ');
            write_value(out, value);
            out.push('\n');
        }
    }
}

/// `{a="b",c="d"}`, or nothing for no labels.
fn write_labels(out: &mut String, labels: &LabelSet<'_>) {
    if let LabelSet::Exported(_, rendered) = labels {
        out.push_str(rendered);
        return;
    }
    let mut first = true;
    let _ = labels.try_for_each(|name, value| {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(name);
        out.push_str("=\"");
        escape_label_value(out, value);
        out.push('"');
        Ok::<(), std::convert::Infallible>(())
    });
    if !first {
        out.push('}');
    }
}

/// Label values escape `\`, `"` and newline.
pub(crate) fn escape_label_value(out: &mut String, value: &str) {
    if !value.contains(['\\', '"', '\n']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// HELP text escapes `\` and newline (not `"`).
fn escape_help(out: &mut String, help: &str) {
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A float as Go's `ParseFloat` reads it: `+Inf`, `-Inf`, `NaN`, else the shortest text
/// that reads back to the same value (integers without a fraction).
pub(crate) fn write_value(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        // Writing to a String cannot fail.
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::Labels;

    fn value(v: f64) -> String {
        let mut s = String::new();
        write_value(&mut s, v);
        s
    }

    #[test]
    fn floats_read_back() {
        assert_eq!(value(1.0), "1");
        assert_eq!(value(0.25), "0.25");
        assert_eq!(value(-0.5), "-0.5");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(f64::NEG_INFINITY), "-Inf");
        assert_eq!(value(f64::NAN), "NaN");
        for v in [
            1e-300,
            1e300,
            0.1 + 0.2,
            123_456_789.125,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            assert_eq!(value(v).parse::<f64>().ok(), Some(v));
        }
    }

    #[test]
    fn escapes_labels_and_help() {
        let mut s = String::new();
        escape_label_value(&mut s, "a\\b\"c\nd é");
        assert_eq!(s, "a\\\\b\\\"c\\nd é");
        let mut s = String::new();
        escape_help(&mut s, "x\\y\n\"z\"");
        assert_eq!(s, "x\\\\y\\n\"z\"");
        let mut s = String::new();
        write_labels(&mut s, &LabelSet::Plain(&Labels::new()));
        assert_eq!(s, "");
        let labels = Labels::from_pairs([("b", "2"), ("a", "1")]);
        write_labels(&mut s, &LabelSet::Plain(&labels));
        assert_eq!(s, "{a=\"1\",b=\"2\"}");
    }
}
