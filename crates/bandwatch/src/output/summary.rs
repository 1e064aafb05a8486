//! A frame of the netdev source reduced to the per-interface numbers people and scripts read.

use std::collections::BTreeMap;

use bandwatch_collect::netdev::metric;
use bandwatch_core::{Frame, Role, Timestamp};
use serde::Serialize;

/// One interface's (or the total's) numbers for one interval. Byte and packet fields are the
/// exact deltas of the interval; `_bps` fields are bits per second.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IfaceStats {
    /// Bytes received in the interval.
    pub rx_bytes: u64,
    /// Bytes sent in the interval.
    pub tx_bytes: u64,
    /// Packets received in the interval.
    pub rx_packets: u64,
    /// Packets sent in the interval.
    pub tx_packets: u64,
    /// Receive errors in the interval.
    pub rx_errors: u64,
    /// Transmit errors in the interval.
    pub tx_errors: u64,
    /// Received packets dropped in the interval.
    pub rx_drops: u64,
    /// Outgoing packets dropped in the interval.
    pub tx_drops: u64,
    /// Receive rate, bits per second.
    pub rx_bps: f64,
    /// Transmit rate, bits per second.
    pub tx_bps: f64,
}

impl IfaceStats {
    /// Takes the sample of `metric_name` if its catalogue role is one of these fields.
    fn set(&mut self, metric_name: &str, value: f64) {
        let Some(role) = bandwatch_collect::catalog()
            .get(metric_name)
            .and_then(|m| m.role)
        else {
            return;
        };
        let count = value.max(0.0).round() as u64;
        match role {
            Role::RxBytes => self.rx_bytes = count,
            Role::TxBytes => self.tx_bytes = count,
            Role::RxPackets => self.rx_packets = count,
            Role::TxPackets => self.tx_packets = count,
            Role::RxErrors => self.rx_errors = count,
            Role::TxErrors => self.tx_errors = count,
            Role::RxDrops => self.rx_drops = count,
            Role::TxDrops => self.tx_drops = count,
            Role::RxRate => self.rx_bps = value,
            Role::TxRate => self.tx_bps = value,
            _ => {}
        }
    }
}

/// The per-interface view of one netdev frame.
#[derive(Debug, Clone, PartialEq)]
pub struct TickSummary {
    /// When the tick was taken.
    pub ts: Timestamp,
    /// The monotonic length of the interval, seconds.
    pub interval_s: f64,
    /// Interfaces by name.
    pub interfaces: BTreeMap<String, IfaceStats>,
    /// All included interfaces together (loopback excluded unless configured).
    pub total: IfaceStats,
}

impl TickSummary {
    /// Gathers the netdev samples of a frame.
    pub fn from_frame(frame: &Frame) -> Self {
        let mut interfaces: BTreeMap<String, IfaceStats> = BTreeMap::new();
        let mut total = IfaceStats::default();
        for s in &frame.samples {
            if let Some(iface) = s.series.labels.get(metric::LABEL_IFACE) {
                if let Some(stats) = interfaces.get_mut(iface) {
                    stats.set(&s.series.metric, s.value);
                } else {
                    let mut stats = IfaceStats::default();
                    stats.set(&s.series.metric, s.value);
                    interfaces.insert(iface.to_string(), stats);
                }
            } else if bandwatch_collect::catalog().is_aggregate(&s.series.labels) {
                total.set(&s.series.metric, s.value);
            }
        }
        Self {
            ts: frame.ts,
            interval_s: frame.elapsed.0,
            interfaces,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::{Labels, SampleKind, Seconds, SeriesKey};

    use super::*;

    #[test]
    fn reads_interfaces_and_the_total_by_role() {
        let mut frame = Frame::new("netdev", Timestamp(1_000), Seconds(1.0));
        let eth0 = |m: &str| Arc::new(SeriesKey::with_label(m, "iface", "eth0"));
        frame.push(eth0("net_rx_bytes"), 1250.0, SampleKind::Delta);
        frame.push(eth0("net_tx_bits_per_second"), 8e3, SampleKind::Rate);
        frame.push(
            Arc::new(SeriesKey::new(
                "net_rx_bytes",
                Labels::from_pairs([("scope", "total")]),
            )),
            1250.0,
            SampleKind::Delta,
        );
        frame.push(eth0("net_up"), 1.0, SampleKind::Gauge);
        let tick = TickSummary::from_frame(&frame);
        assert_eq!(tick.interfaces["eth0"].rx_bytes, 1250);
        assert!((tick.interfaces["eth0"].tx_bps - 8e3).abs() < f64::EPSILON);
        assert_eq!(tick.total.rx_bytes, 1250);
        assert_eq!(tick.interfaces.len(), 1);
    }
}
