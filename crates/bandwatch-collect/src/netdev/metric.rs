//! Names of the netdev series, for anyone who looks samples up (JSON output, exporters,
//! rules). Per-interface series carry the label [`LABEL_IFACE`]; the sum over interfaces
//! carries [`LABEL_SCOPE`]=[`SCOPE_TOTAL`] instead, so an interface named `total` cannot
//! collide with it.

use bandwatch_core::{LabelDef, MetricDef, Role, SampleKind, Unit};

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
/// Bytes received plus bytes sent in the interval.
pub const NET_BYTES: &str = "net_bytes";

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
/// Receive plus transmit rate in bits per second (the spike monitor's total data rate).
pub const NET_BITS_PER_SECOND: &str = "net_bits_per_second";

/// 1 when the link is up (see [`super::link::link_up`]), else 0.
pub const NET_UP: &str = "net_up";
/// 1 when the link has a carrier, else 0.
pub const NET_CARRIER: &str = "net_carrier";
/// Negotiated link speed in bits per second, when the driver reports one.
pub const NET_SPEED_BITS_PER_SECOND: &str = "net_speed_bits_per_second";
/// The interface's MTU in bytes.
pub const NET_MTU_BYTES: &str = "net_mtu_bytes";

/// Labels of per-interface series; the sum carries [`LABEL_SCOPE`] instead.
const IFACE: &[&str] = &[LABEL_IFACE, LABEL_SCOPE];

const fn delta(name: &'static str, prom: &'static str, help: &'static str) -> MetricDef {
    MetricDef::new(name, SampleKind::Delta, Unit::Count, IFACE, prom, help)
}

const fn rate(
    name: &'static str,
    from: &'static str,
    prom: &'static str,
    help: &'static str,
) -> MetricDef {
    MetricDef::new(name, SampleKind::Rate, Unit::PerSecond, IFACE, prom, help).derived(from, 1.0)
}

/// Every metric the netdev source emits, in the order it emits them per interface.
pub const ALL: [MetricDef; 23] = [
    MetricDef::new(
        NET_RX_BYTES,
        SampleKind::Delta,
        Unit::Bytes,
        IFACE,
        "bandwatch_network_receive_bytes_total",
        "Bytes received on the interface.",
    )
    .role(Role::RxBytes),
    MetricDef::new(
        NET_TX_BYTES,
        SampleKind::Delta,
        Unit::Bytes,
        IFACE,
        "bandwatch_network_transmit_bytes_total",
        "Bytes sent on the interface.",
    )
    .role(Role::TxBytes),
    delta(
        NET_RX_PACKETS,
        "bandwatch_network_receive_packets_total",
        "Packets received on the interface.",
    )
    .role(Role::RxPackets),
    delta(
        NET_TX_PACKETS,
        "bandwatch_network_transmit_packets_total",
        "Packets sent on the interface.",
    )
    .role(Role::TxPackets),
    delta(
        NET_RX_ERRORS,
        "bandwatch_network_receive_errs_total",
        "Receive errors on the interface.",
    )
    .role(Role::RxErrors),
    delta(
        NET_TX_ERRORS,
        "bandwatch_network_transmit_errs_total",
        "Transmit errors on the interface.",
    )
    .role(Role::TxErrors),
    delta(
        NET_RX_DROPS,
        "bandwatch_network_receive_drop_total",
        "Received packets dropped on the interface.",
    )
    .role(Role::RxDrops),
    delta(
        NET_TX_DROPS,
        "bandwatch_network_transmit_drop_total",
        "Packets dropped on transmit on the interface.",
    )
    .role(Role::TxDrops),
    delta(
        NET_RX_MULTICAST,
        "bandwatch_network_receive_multicast_total",
        "Multicast packets received on the interface.",
    ),
    MetricDef::new(
        NET_BYTES,
        SampleKind::Delta,
        Unit::Bytes,
        IFACE,
        "bandwatch_network_bytes_total",
        "Bytes received plus bytes sent on the interface.",
    ),
    MetricDef::new(
        NET_RX_BITS_PER_SECOND,
        SampleKind::Rate,
        Unit::BitsPerSecond,
        IFACE,
        "bandwatch_network_receive_bytes_per_second",
        "Receive rate over the last interval, in bytes per second (x8 for bit/s).",
    )
    .derived(NET_RX_BYTES, 8.0)
    .role(Role::RxRate),
    MetricDef::new(
        NET_TX_BITS_PER_SECOND,
        SampleKind::Rate,
        Unit::BitsPerSecond,
        IFACE,
        "bandwatch_network_transmit_bytes_per_second",
        "Transmit rate over the last interval, in bytes per second (x8 for bit/s).",
    )
    .derived(NET_TX_BYTES, 8.0)
    .role(Role::TxRate),
    rate(
        NET_RX_PACKETS_PER_SECOND,
        NET_RX_PACKETS,
        "bandwatch_network_receive_packets_per_second",
        "Packets received per second over the last interval.",
    ),
    rate(
        NET_TX_PACKETS_PER_SECOND,
        NET_TX_PACKETS,
        "bandwatch_network_transmit_packets_per_second",
        "Packets sent per second over the last interval.",
    ),
    rate(
        NET_RX_ERRORS_PER_SECOND,
        NET_RX_ERRORS,
        "bandwatch_network_receive_errors_per_second",
        "Receive errors per second over the last interval.",
    ),
    rate(
        NET_TX_ERRORS_PER_SECOND,
        NET_TX_ERRORS,
        "bandwatch_network_transmit_errors_per_second",
        "Transmit errors per second over the last interval.",
    ),
    rate(
        NET_RX_DROPS_PER_SECOND,
        NET_RX_DROPS,
        "bandwatch_network_receive_drops_per_second",
        "Received packets dropped per second over the last interval.",
    ),
    rate(
        NET_TX_DROPS_PER_SECOND,
        NET_TX_DROPS,
        "bandwatch_network_transmit_drops_per_second",
        "Packets dropped on transmit per second over the last interval.",
    ),
    MetricDef::new(
        NET_BITS_PER_SECOND,
        SampleKind::Rate,
        Unit::BitsPerSecond,
        IFACE,
        "bandwatch_network_bytes_per_second",
        "Receive plus transmit rate over the last interval, in bytes per second (x8 for bit/s).",
    )
    .derived(NET_BYTES, 8.0),
    MetricDef::new(
        NET_UP,
        SampleKind::Gauge,
        Unit::Boolean,
        &[LABEL_IFACE],
        "bandwatch_network_up",
        "1 when the link is up, else 0.",
    )
    .role(Role::LinkUp),
    MetricDef::new(
        NET_CARRIER,
        SampleKind::Gauge,
        Unit::Boolean,
        &[LABEL_IFACE],
        "bandwatch_network_carrier",
        "1 when the link has a carrier, else 0.",
    )
    .role(Role::Carrier),
    MetricDef::new(
        NET_SPEED_BITS_PER_SECOND,
        SampleKind::Gauge,
        Unit::BitsPerSecond,
        &[LABEL_IFACE],
        "bandwatch_network_speed_bytes",
        "Negotiated link speed in bytes per second (as node_exporter's node_network_speed_bytes).",
    )
    .role(Role::LinkSpeed),
    MetricDef::new(
        NET_MTU_BYTES,
        SampleKind::Gauge,
        Unit::Bytes,
        &[LABEL_IFACE],
        "bandwatch_network_mtu_bytes",
        "The interface's MTU, the largest packet it sends, in bytes (as node_exporter's node_network_mtu_bytes).",
    )
    .role(Role::Mtu),
];

/// The labels of netdev series, for people and exporters.
pub const LABELS: [LabelDef; 2] = [
    LabelDef {
        name: LABEL_IFACE,
        help: "The network interface.",
        prometheus: Some("device"),
    },
    LabelDef {
        name: LABEL_SCOPE,
        help: "`total`: the sum over interfaces (loopback left out unless configured).",
        prometheus: None,
    },
];

/// The definition of `name`, if the netdev source emits it.
pub fn info_for(name: &str) -> Option<&'static MetricDef> {
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

/// A series summed from two counters of the same interval, with its rate.
pub(crate) struct SumMetric {
    /// The delta series: the sum of the two counters' accepted deltas.
    pub delta: &'static str,
    /// Its rate series and the factor from counter units to rate units.
    pub rate: (&'static str, f64),
    /// The two counters, as indexes into [`COUNTER_METRICS`].
    pub of: [usize; 2],
}

/// Received plus sent: the rate people who add both directions watch.
pub(crate) const SUM_METRIC: SumMetric = SumMetric {
    delta: NET_BYTES,
    rate: (NET_BITS_PER_SECOND, 8.0),
    of: [0, 1],
};

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
            if let Some((rate, factor)) = m.rate {
                let def = info_for(rate).expect("the rate is catalogued");
                assert_eq!(def.kind, SampleKind::Rate);
                assert_eq!(
                    def.derives_from,
                    Some(bandwatch_core::Derivation {
                        delta: m.delta,
                        factor
                    }),
                    "the catalogue derives {rate} the way the source computes it"
                );
            }
        }
        let sum = &SUM_METRIC;
        assert_eq!(
            sum.of.map(|i| COUNTER_METRICS[i].delta),
            [NET_RX_BYTES, NET_TX_BYTES]
        );
        assert_eq!(
            sum.of.map(|i| COUNTER_METRICS[i].rate.map(|(_, f)| f)),
            [Some(sum.rate.1); 2],
            "the sum's rate has the factor of the rates it adds up"
        );
        assert_eq!(info_for(sum.delta).map(|d| d.kind), Some(SampleKind::Delta));
        assert_eq!(
            info_for(sum.rate.0).and_then(|d| d.derives_from),
            Some(bandwatch_core::Derivation {
                delta: sum.delta,
                factor: sum.rate.1
            })
        );
        let mut names: Vec<_> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "metric names are unique");
    }
}
