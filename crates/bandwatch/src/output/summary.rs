//! A frame of the netdev source reduced to the per-interface numbers people and scripts read.

use std::collections::BTreeMap;
use std::sync::Arc;

use bandwatch_collect::netdev::metric;
use bandwatch_core::{Frame, Role, SeriesKey, Timestamp};
use rustc_hash::FxHashMap;
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
    /// Takes a sample whose catalogue role is `role`, if that role is one of these fields.
    fn set(&mut self, role: Role, value: f64) {
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
    /// Gathers the netdev samples of a frame, remembering nothing (the reference the
    /// remembered places are tested against).
    #[cfg(test)]
    pub fn from_frame(frame: &Frame) -> Self {
        Self::from_frame_with(frame, &mut Places::default())
    }

    /// Gathers the netdev samples of a frame, finding where each goes through `places`,
    /// which remembers it for the next frames of the same source.
    pub fn from_frame_with(frame: &Frame, places: &mut Places) -> Self {
        places.bound(frame.samples.len());
        // Per interface slot of `places`, in the order the frame first names them.
        let mut seen: Vec<(usize, IfaceStats)> = Vec::new();
        let mut total = IfaceStats::default();
        for s in &frame.samples {
            match places.place(&s.series) {
                Place::Iface(slot, role) => {
                    // A source sends one interface's samples together: look at the last first.
                    let at = seen
                        .iter()
                        .rposition(|(i, _)| *i == slot)
                        .unwrap_or_else(|| {
                            seen.push((slot, IfaceStats::default()));
                            seen.len() - 1
                        });
                    if let Some(role) = role {
                        seen[at].1.set(role, s.value);
                    }
                }
                Place::Total(Some(role)) => total.set(role, s.value),
                Place::Total(None) | Place::Elsewhere => {}
            }
        }
        let interfaces = seen
            .into_iter()
            .map(|(slot, stats)| (places.names[slot].clone(), stats))
            .collect();
        Self {
            ts: frame.ts,
            interval_s: frame.elapsed.0,
            interfaces,
            total,
        }
    }
}

/// Where one series goes in a [`TickSummary`].
#[derive(Debug, Clone, Copy)]
enum Place {
    /// An interface's numbers (its slot in [`Places::names`]), under this role if it has one.
    Iface(usize, Option<Role>),
    /// The total's numbers.
    Total(Option<Role>),
    /// Not part of the summary.
    Elsewhere,
}

/// Where each series of a source goes in its summaries, remembered by the address of the
/// shared key the source sends tick after tick: one integer lookup per sample instead of a
/// label search and a catalogue lookup by name. Each entry keeps its `Arc`, so an address is
/// not reused by another key while it is here; bounded by [`Places::bound`].
#[derive(Debug, Default)]
pub struct Places {
    by_key: FxHashMap<usize, (Arc<SeriesKey>, Place)>,
    /// Interface names, by slot.
    names: Vec<String>,
}

impl Places {
    /// Starts over when the remembered keys outgrow what frames of `samples` samples need
    /// (a source that rebuilt its keys, interfaces that came and went).
    fn bound(&mut self, samples: usize) {
        if self.by_key.len() > 2 * samples + 64 {
            self.by_key.clear();
            self.names.clear();
        }
    }

    fn place(&mut self, key: &Arc<SeriesKey>) -> Place {
        let address = Arc::as_ptr(key) as usize;
        if let Some((kept, place)) = self.by_key.get(&address) {
            if Arc::ptr_eq(kept, key) {
                return *place;
            }
        }
        let place = self.resolve(key);
        self.by_key.insert(address, (Arc::clone(key), place));
        place
    }

    fn resolve(&mut self, key: &SeriesKey) -> Place {
        let catalog = bandwatch_collect::catalog();
        let role = catalog.get(&key.metric).and_then(|m| m.role);
        if let Some(iface) = key.labels.get(metric::LABEL_IFACE) {
            let slot = self
                .names
                .iter()
                .position(|n| n == iface)
                .unwrap_or_else(|| {
                    self.names.push(iface.to_string());
                    self.names.len() - 1
                });
            Place::Iface(slot, role)
        } else if catalog.is_aggregate(&key.labels) {
            Place::Total(role)
        } else {
            Place::Elsewhere
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

    #[test]
    fn remembered_places_give_the_same_summary_tick_after_tick() {
        let key = |m: &str, i: &str| Arc::new(SeriesKey::with_label(m, "iface", i));
        let total = Arc::new(SeriesKey::new(
            "net_rx_bytes",
            Labels::from_pairs([("scope", "total")]),
        ));
        let keys = [
            key("net_rx_bytes", "eth0"),
            key("net_up", "lo"),
            key("net_rx_bytes", "lo"),
            key("net_tx_bits_per_second", "eth0"),
            total,
        ];
        let frame = |v: f64, keys: &[Arc<SeriesKey>]| {
            let mut f = Frame::new("netdev", Timestamp(1_000), Seconds(1.0));
            for k in keys {
                f.push(Arc::clone(k), v, SampleKind::Delta);
            }
            f
        };
        let mut places = Places::default();
        for v in [10.0, 20.0, 30.0] {
            let f = frame(v, &keys);
            assert_eq!(
                TickSummary::from_frame_with(&f, &mut places),
                TickSummary::from_frame(&f)
            );
        }
        let tick = TickSummary::from_frame_with(&frame(30.0, &keys), &mut places);
        assert_eq!(tick.interfaces.keys().collect::<Vec<_>>(), ["eth0", "lo"]);
        assert_eq!(
            (tick.interfaces["lo"].rx_bytes, tick.total.rx_bytes),
            (30, 30)
        );
        // Keys rebuilt every tick (the worst case) are found by value and stay bounded.
        for v in 0..200 {
            let rebuilt: Vec<_> = keys.iter().map(|k| Arc::new((**k).clone())).collect();
            let f = frame(f64::from(v), &rebuilt);
            assert_eq!(
                TickSummary::from_frame_with(&f, &mut places),
                TickSummary::from_frame(&f)
            );
            assert!(places.by_key.len() <= 2 * keys.len() + 64 + keys.len());
        }
    }
}
