//! The seed tool's upload/download limits: a warning when an interface crosses a limit and
//! a note when it is back under. (The rule engine of a later issue takes over from this.)

use std::collections::HashSet;

use crate::output::TickSummary;

/// Which way traffic goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent (tx).
    Upload,
    /// Received (rx).
    Download,
}

impl Direction {
    /// Lower-case name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upload => "upload",
            Direction::Download => "download",
        }
    }
}

/// A change of side of a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    /// The interface.
    pub iface: String,
    /// Which direction crossed.
    pub direction: Direction,
    /// The rate now, bits per second.
    pub value_bps: f64,
    /// The limit, bits per second.
    pub limit_bps: f64,
    /// True when the rate went above the limit, false when it came back under.
    pub above: bool,
}

/// Remembers which (interface, direction) pairs are above their limit.
#[derive(Debug)]
pub struct ThresholdWatch {
    upload_bps: f64,
    download_bps: f64,
    above: HashSet<(String, Direction)>,
}

impl ThresholdWatch {
    /// A watch with the two limits in bits per second.
    pub fn new(upload_bps: f64, download_bps: f64) -> Self {
        Self {
            upload_bps,
            download_bps,
            above: HashSet::new(),
        }
    }

    /// The crossings this tick caused. Loopback is not a network link, so it is not checked.
    pub fn check(&mut self, tick: &TickSummary) -> Vec<Crossing> {
        let mut out = Vec::new();
        for (iface, s) in tick
            .interfaces
            .iter()
            .filter(|(name, _)| name.as_str() != "lo")
        {
            self.step(
                iface,
                Direction::Upload,
                s.tx_bps,
                self.upload_bps,
                &mut out,
            );
            self.step(
                iface,
                Direction::Download,
                s.rx_bps,
                self.download_bps,
                &mut out,
            );
        }
        // Interfaces that vanished while above their limit are forgotten quietly.
        self.above
            .retain(|(iface, _)| tick.interfaces.contains_key(iface));
        out
    }

    fn step(
        &mut self,
        iface: &str,
        direction: Direction,
        value: f64,
        limit: f64,
        out: &mut Vec<Crossing>,
    ) {
        let key = (iface.to_string(), direction);
        let was_above = self.above.contains(&key);
        let is_above = value > limit;
        if is_above != was_above {
            if is_above {
                self.above.insert(key);
            } else {
                self.above.remove(&key);
            }
            out.push(Crossing {
                iface: iface.to_string(),
                direction,
                value_bps: value,
                limit_bps: limit,
                above: is_above,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use bandwatch_core::Timestamp;

    use super::*;
    use crate::output::IfaceStats;

    fn tick(rx_bps: f64, tx_bps: f64) -> TickSummary {
        let s = IfaceStats {
            rx_bps,
            tx_bps,
            ..IfaceStats::default()
        };
        TickSummary {
            ts: Timestamp(0),
            interval_s: 1.0,
            interfaces: BTreeMap::from([
                ("eth0".to_string(), s.clone()),
                ("lo".to_string(), s.clone()),
            ]),
            total: s,
        }
    }

    #[test]
    fn warns_once_per_crossing() {
        let mut w = ThresholdWatch::new(50e6, 100e6);
        assert!(w.check(&tick(1e6, 1e6)).is_empty());
        let up = w.check(&tick(150e6, 1e6));
        assert_eq!(up.len(), 1);
        assert_eq!(up[0].direction, Direction::Download);
        assert!(up[0].above);
        assert_eq!(up[0].iface, "eth0");
        assert!(
            w.check(&tick(160e6, 1e6)).is_empty(),
            "still above: no repeat"
        );
        let down = w.check(&tick(1e6, 1e6));
        assert_eq!(down.len(), 1);
        assert!(!down[0].above);
    }

    #[test]
    fn upload_limit_is_separate() {
        let mut w = ThresholdWatch::new(50e6, 100e6);
        let c = w.check(&tick(60e6, 60e6));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].direction, Direction::Upload);
    }
}
