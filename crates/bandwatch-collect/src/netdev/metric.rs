//! Names of the netdev series, for anyone who looks samples up (JSON output, exporters,
//! rules). Per-interface series carry the label [`LABEL_IFACE`]; the sum over interfaces
//! carries [`LABEL_SCOPE`]=[`SCOPE_TOTAL`] instead, so an interface named `total` cannot
//! collide with it.

use bandwatch_core::SampleKind;

use super::parse::IfaceCounters;

/// Label naming the interface of a per-interface series.
pub const LABEL_IFACE: &str = "iface";
/// Label of the series summed over interfaces.
pub const LABEL_SCOPE: &str = "scope";
/// Value of [`LABEL_SCOPE`] on the summed series.
pub const SCOPE_TOTAL: &str = "total";

/// Bytes received in the interval.
pub const NET_RX_BYTES: &str = "net_rx_bytes";
/// Bytes sent in the interval.
pub const NET_TX_BYTES: &str = "net_tx_bytes";
/// Packets received in the interval.
pub const NET_RX_PACKETS: &str = "net_rx_packets";
/// Packets sent in the interval.
pub const NET_TX_PACKETS: &str = "net_tx_packets";
/// Receive errors in the interval.
pub const NET_RX_ERRORS: &str = "net_rx_errors";
/// Transmit errors in the interval.
pub const NET_TX_ERRORS: &str = "net_tx_errors";
/// Received packets dropped in the interval.
pub const NET_RX_DROPS: &str = "net_rx_drops";
/// Packets dropped on transmit in the interval.
pub const NET_TX_DROPS: &str = "net_tx_drops";
/// Multicast packets received in the interval.
pub const NET_RX_MULTICAST: &str = "net_rx_multicast";

/// Receive rate in bits per second.
pub const NET_RX_BITS_PER_SECOND: &str = "net_rx_bits_per_second";
/// Transmit rate in bits per second.
pub const NET_TX_BITS_PER_SECOND: &str = "net_tx_bits_per_second";
/// Packets received per second.
pub const NET_RX_PACKETS_PER_SECOND: &str = "net_rx_packets_per_second";
/// Packets sent per second.
pub const NET_TX_PACKETS_PER_SECOND: &str = "net_tx_packets_per_second";
/// Receive errors per second.
pub const NET_RX_ERRORS_PER_SECOND: &str = "net_rx_errors_per_second";
/// Transmit errors per second.
pub const NET_TX_ERRORS_PER_SECOND: &str = "net_tx_errors_per_second";
/// Received packets dropped per second.
pub const NET_RX_DROPS_PER_SECOND: &str = "net_rx_drops_per_second";
/// Packets dropped on transmit per second.
pub const NET_TX_DROPS_PER_SECOND: &str = "net_tx_drops_per_second";

/// 1 when the link is up (see [`super::link::link_up`]), else 0.
pub const NET_UP: &str = "net_up";
/// 1 when the link has a carrier, else 0.
pub const NET_CARRIER: &str = "net_carrier";
/// Negotiated link speed in bits per second, when the driver reports one.
pub const NET_SPEED_BITS_PER_SECOND: &str = "net_speed_bits_per_second";

/// Name, kind and one-line help of a series family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInfo {
    /// The metric name.
    pub name: &'static str,
    /// How its values are meant.
    pub kind: SampleKind,
    /// One line for people (exporter HELP text, docs).
    pub help: &'static str,
}

const fn info(name: &'static str, kind: SampleKind, help: &'static str) -> MetricInfo {
    MetricInfo { name, kind, help }
}

/// Every metric the netdev source emits, in the order it emits them per interface.
pub const ALL: [MetricInfo; 20] = [
    info(
        NET_RX_BYTES,
        SampleKind::Delta,
        "Bytes received in the interval.",
    ),
    info(
        NET_TX_BYTES,
        SampleKind::Delta,
        "Bytes sent in the interval.",
    ),
    info(
        NET_RX_PACKETS,
        SampleKind::Delta,
        "Packets received in the interval.",
    ),
    info(
        NET_TX_PACKETS,
        SampleKind::Delta,
        "Packets sent in the interval.",
    ),
    info(
        NET_RX_ERRORS,
        SampleKind::Delta,
        "Receive errors in the interval.",
    ),
    info(
        NET_TX_ERRORS,
        SampleKind::Delta,
        "Transmit errors in the interval.",
    ),
    info(
        NET_RX_DROPS,
        SampleKind::Delta,
        "Received packets dropped in the interval.",
    ),
    info(
        NET_TX_DROPS,
        SampleKind::Delta,
        "Packets dropped on transmit in the interval.",
    ),
    info(
        NET_RX_MULTICAST,
        SampleKind::Delta,
        "Multicast packets received in the interval.",
    ),
    info(
        NET_RX_BITS_PER_SECOND,
        SampleKind::Rate,
        "Receive rate in bits per second.",
    ),
    info(
        NET_TX_BITS_PER_SECOND,
        SampleKind::Rate,
        "Transmit rate in bits per second.",
    ),
    info(
        NET_RX_PACKETS_PER_SECOND,
        SampleKind::Rate,
        "Packets received per second.",
    ),
    info(
        NET_TX_PACKETS_PER_SECOND,
        SampleKind::Rate,
        "Packets sent per second.",
    ),
    info(
        NET_RX_ERRORS_PER_SECOND,
        SampleKind::Rate,
        "Receive errors per second.",
    ),
    info(
        NET_TX_ERRORS_PER_SECOND,
        SampleKind::Rate,
        "Transmit errors per second.",
    ),
    info(
        NET_RX_DROPS_PER_SECOND,
        SampleKind::Rate,
        "Received packets dropped per second.",
    ),
    info(
        NET_TX_DROPS_PER_SECOND,
        SampleKind::Rate,
        "Packets dropped on transmit per second.",
    ),
    info(NET_UP, SampleKind::Gauge, "1 when the link is up, else 0."),
    info(
        NET_CARRIER,
        SampleKind::Gauge,
        "1 when the link has a carrier, else 0.",
    ),
    info(
        NET_SPEED_BITS_PER_SECOND,
        SampleKind::Gauge,
        "Negotiated link speed in bits per second.",
    ),
];

/// The metric info for `name`, if the netdev source emits it.
pub fn info_for(name: &str) -> Option<&'static MetricInfo> {
    ALL.iter().find(|m| m.name == name)
}

/// How many kernel counters become series.
pub(crate) const COUNTERS: usize = 9;

/// One kernel counter: its delta series and, when it has one, its rate series and the factor
/// from counter units to rate units (8 for bytes to bits).
pub(crate) struct CounterMetric {
    pub delta: &'static str,
    pub rate: Option<(&'static str, f64)>,
}

/// The counters in the order of [`counter_values`].
pub(crate) const COUNTER_METRICS: [CounterMetric; COUNTERS] = [
    CounterMetric {
        delta: NET_RX_BYTES,
        rate: Some((NET_RX_BITS_PER_SECOND, 8.0)),
    },
    CounterMetric {
        delta: NET_TX_BYTES,
        rate: Some((NET_TX_BITS_PER_SECOND, 8.0)),
    },
    CounterMetric {
        delta: NET_RX_PACKETS,
        rate: Some((NET_RX_PACKETS_PER_SECOND, 1.0)),
    },
    CounterMetric {
        delta: NET_TX_PACKETS,
        rate: Some((NET_TX_PACKETS_PER_SECOND, 1.0)),
    },
    CounterMetric {
        delta: NET_RX_ERRORS,
        rate: Some((NET_RX_ERRORS_PER_SECOND, 1.0)),
    },
    CounterMetric {
        delta: NET_TX_ERRORS,
        rate: Some((NET_TX_ERRORS_PER_SECOND, 1.0)),
    },
    CounterMetric {
        delta: NET_RX_DROPS,
        rate: Some((NET_RX_DROPS_PER_SECOND, 1.0)),
    },
    CounterMetric {
        delta: NET_TX_DROPS,
        rate: Some((NET_TX_DROPS_PER_SECOND, 1.0)),
    },
    CounterMetric {
        delta: NET_RX_MULTICAST,
        rate: None,
    },
];

/// The counters of one parsed line, in the order of [`COUNTER_METRICS`].
pub(crate) fn counter_values(c: &IfaceCounters<'_>) -> [u64; COUNTERS] {
    [
        c.rx_bytes,
        c.tx_bytes,
        c.rx_packets,
        c.tx_packets,
        c.rx_errs,
        c.tx_errs,
        c.rx_drop,
        c.tx_drop,
        c.rx_multicast,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_table_matches_the_public_list() {
        for (i, m) in COUNTER_METRICS.iter().enumerate() {
            assert_eq!(ALL[i].name, m.delta);
            assert_eq!(ALL[i].kind, SampleKind::Delta);
            if let Some((rate, _)) = m.rate {
                assert_eq!(info_for(rate).map(|r| r.kind), Some(SampleKind::Rate));
            }
        }
        let mut names: Vec<_> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "metric names are unique");
    }
}
