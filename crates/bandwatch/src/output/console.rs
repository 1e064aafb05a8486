//! The live console line: time, total and each active interface in human units.

use std::fmt::Write as _;

use bandwatch_core::human;
use bandwatch_core::Unit;

use super::summary::TickSummary;

fn rate(bps: f64) -> String {
    human::format(Unit::BitsPerSecond, bps)
}

/// One human line per tick, e.g.
/// `10:00:01  total ↓ 10.00 Mbps ↑ 248.0 kbps | eth0 ↓ 10.00 Mbps ↑ 248.0 kbps`.
/// Idle interfaces (nothing moved) are left out to keep the line short; control characters
/// in a name are escaped, so an interface name cannot drive the terminal.
pub fn console_line(tick: &TickSummary) -> String {
    let time = tick
        .ts
        .to_datetime()
        .map_or_else(String::new, |d| d.format("%H:%M:%S").to_string());
    let mut line = format!(
        "{time}  total ↓ {} ↑ {}",
        rate(tick.total.rx_bps),
        rate(tick.total.tx_bps)
    );
    for (name, s) in &tick.interfaces {
        if s.rx_bytes == 0 && s.tx_bytes == 0 {
            continue;
        }
        let _ = write!(
            line,
            " | {} ↓ {} ↑ {}",
            human::escape_control(name),
            rate(s.rx_bps),
            rate(s.tx_bps)
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bandwatch_core::Timestamp;

    use super::super::summary::IfaceStats;
    use super::*;

    #[test]
    fn shows_total_and_busy_interfaces() {
        let busy = IfaceStats {
            rx_bytes: 10,
            tx_bytes: 1,
            rx_bps: 10e6,
            tx_bps: 248e3,
            ..IfaceStats::default()
        };
        let tick = TickSummary {
            ts: Timestamp(1_795_255_201_000),
            interval_s: 1.0,
            interfaces: BTreeMap::from([
                ("eth0".into(), busy.clone()),
                ("wlan0".into(), IfaceStats::default()),
            ]),
            total: busy,
        };
        assert_eq!(
            console_line(&tick),
            "10:00:01  total ↓ 10.00 Mbps ↑ 248.0 kbps | eth0 ↓ 10.00 Mbps ↑ 248.0 kbps"
        );
    }

    #[test]
    fn escapes_control_characters_in_names() {
        let busy = IfaceStats {
            rx_bytes: 1,
            rx_bps: 800.0,
            ..IfaceStats::default()
        };
        let tick = TickSummary {
            ts: Timestamp(1_795_255_201_000),
            interval_s: 1.0,
            interfaces: BTreeMap::from([("e\u{1b}[2Jth0".into(), busy.clone())]),
            total: busy,
        };
        let line = console_line(&tick);
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(
            line.ends_with("| e\\u{1b}[2Jth0 ↓ 800 bps ↑ 0 bps"),
            "{line}"
        );
    }
}
