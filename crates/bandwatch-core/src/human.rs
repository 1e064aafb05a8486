//! The one way values are shown to people: rates in decimal bits (`12.00 Mbps`), byte counts
//! in binary units (`1.50 MiB`), times in milliseconds below a second (`12.0 ms`), percent
//! with one decimal. The engine's messages, notifications, the console and `stats` all use it.

use crate::catalog::Unit;
use crate::units::{BitsPerSecond, Bytes};

/// `v` (in `unit`) as people read it.
pub fn format(unit: Unit, v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    match unit {
        Unit::BitsPerSecond => BitsPerSecond(v).to_string(),
        Unit::Bytes if v >= 0.0 => Bytes(v.round() as u64).to_string(),
        Unit::BytesPerSecond if v >= 0.0 => format!("{}/s", Bytes(v.round() as u64)),
        Unit::Seconds => seconds(v),
        Unit::Percent => format!("{v:.1}%"),
        _ => number(v),
    }
}

/// `v` in the unit `metric`'s name ends with (for callers without a catalogue at hand).
pub fn format_metric(metric: &str, v: f64) -> String {
    format(Unit::from_suffix(metric), v)
}

/// Milliseconds below a minute (`12.0 ms`, `1500.0 ms`), else whole seconds: RTTs and
/// timeouts are read in milliseconds.
fn seconds(v: f64) -> String {
    if v.abs() < 60.0 {
        format!("{:.1} ms", v * 1e3)
    } else {
        format!("{v:.0} s")
    }
}

/// At most two decimals, trailing zeros dropped (`3`, `0.25`, `1.5`).
fn number(v: f64) -> String {
    let mut s = format!("{v:.2}");
    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
        s.pop();
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Replaces control characters (ESC, newlines, DEL, C1 controls, line separators) with
/// visible escapes, so a hostile interface or device name cannot drive the terminal.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit() {
        assert_eq!(format(Unit::BitsPerSecond, 1.5e6), "1.50 Mbps");
        assert_eq!(format(Unit::Bytes, 1536.0), "1.50 KiB");
        assert_eq!(format(Unit::BytesPerSecond, 2048.0), "2.00 KiB/s");
        assert_eq!(format(Unit::Seconds, 0.0123), "12.3 ms");
        assert_eq!(format(Unit::Seconds, 0.09), "90.0 ms");
        assert_eq!(format(Unit::Seconds, 120.0), "120 s");
        assert_eq!(format(Unit::Percent, 85.04), "85.0%");
        assert_eq!(format(Unit::Boolean, 1.0), "1");
        assert_eq!(format(Unit::Number, 0.25), "0.25");
        assert_eq!(format(Unit::Number, -0.001), "0");
        assert_eq!(format(Unit::Number, f64::NAN), "n/a");
    }

    #[test]
    fn by_metric_suffix() {
        assert_eq!(format_metric("probe_rtt_seconds", 0.012), "12.0 ms");
        assert_eq!(format_metric("net_rx_bits_per_second", 8e7), "80.00 Mbps");
        assert_eq!(format_metric("net_up", 1.0), "1");
    }

    #[test]
    fn escapes_controls() {
        assert_eq!(escape_control("eth0"), "eth0");
        assert_eq!(escape_control("e\u{1b}[31mx"), "e\\u{1b}[31mx");
        assert_eq!(escape_control("a\u{2028}b"), "a\\u{2028}b");
    }
}
