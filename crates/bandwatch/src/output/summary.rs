//! A frame of the netdev source reduced to the per-interface numbers people and scripts read.

use std::collections::BTreeMap;

use bandwatch_collect::netdev::metric;
use bandwatch_core::{Frame, Timestamp};
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
    fn set(&mut self, metric_name: &str, value: f64) {
        let count = value.max(0.0).round() as u64;
        match metric_name {
            metric::NET_RX_BYTES => self.rx_bytes = count,
            metric::NET_TX_BYTES => self.tx_bytes = count,
            metric::NET_RX_PACKETS => self.rx_packets = count,
            metric::NET_TX_PACKETS => self.tx_packets = count,
            metric::NET_RX_ERRORS => self.rx_errors = count,
            metric::NET_TX_ERRORS => self.tx_errors = count,
            metric::NET_RX_DROPS => self.rx_drops = count,
            metric::NET_TX_DROPS => self.tx_drops = count,
            metric::NET_RX_BITS_PER_SECOND => self.rx_bps = value,
            metric::NET_TX_BITS_PER_SECOND => self.tx_bps = value,
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
            } else if s.series.labels.get(metric::LABEL_SCOPE) == Some(metric::SCOPE_TOTAL) {
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
