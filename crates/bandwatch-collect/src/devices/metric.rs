//! The devices source's catalogue entries. Per-device series carry [`LABEL_DEVICE`] (the
//! registry's name, else the device's address), [`LABEL_IP`] (its last address) and
//! [`LABEL_MAC`] (its hardware address, empty when none was seen); devices evicted from the
//! table are summed under `device="other"` ([`DEVICE_OTHER`]). The `devices_*` series
//! describe the source itself and carry no label.

use bandwatch_core::{LabelDef, MetricDef, Role, SampleKind, Unit};

/// Label naming the device.
pub const LABEL_DEVICE: &str = "device";
/// Label with the device's last IP address.
pub const LABEL_IP: &str = "ip";
/// Label with the device's hardware address.
pub const LABEL_MAC: &str = "mac";
/// The `device` of the bucket that holds evicted devices' bytes.
pub const DEVICE_OTHER: &str = "other";

/// Bytes the device downloaded from the internet in the interval.
pub const DEVICE_RX_BYTES: &str = "device_rx_bytes";
/// Bytes the device uploaded to the internet in the interval.
pub const DEVICE_TX_BYTES: &str = "device_tx_bytes";
/// Download rate from the internet, bits per second.
pub const DEVICE_RX_BITS_PER_SECOND: &str = "device_rx_bits_per_second";
/// Upload rate to the internet, bits per second.
pub const DEVICE_TX_BITS_PER_SECOND: &str = "device_tx_bits_per_second";
/// Bytes the device moved to and from the internet in the interval (rx + tx): what a
/// device's `bandwidth_threshold` counts, as the old per-device monitor did.
pub const DEVICE_BYTES: &str = "device_bytes";
/// The device's internet rate, both directions together, bits per second.
pub const DEVICE_BITS_PER_SECOND: &str = "device_bits_per_second";
/// 1 in the first frame that holds a device never seen before (kept across restarts through
/// the history), 0 in the next; the `device-new` rule fires on it.
pub const DEVICE_NEW: &str = "device_new";
/// Bytes the device received from other LAN hosts in the interval.
pub const DEVICE_LAN_RX_BYTES: &str = "device_lan_rx_bytes";
/// Bytes the device sent to other LAN hosts (or LAN groups) in the interval.
pub const DEVICE_LAN_TX_BYTES: &str = "device_lan_tx_bytes";
/// 1 while the device moves more than the active floor, else 0.
pub const DEVICE_ACTIVE: &str = "device_active";
/// Devices held in the table.
pub const DEVICES_TRACKED: &str = "devices_tracked";
/// Devices evicted from the full table in the interval.
pub const DEVICES_EVICTED: &str = "devices_evicted";
/// Packets the kernel dropped before the source saw them, in the interval.
pub const DEVICES_KERNEL_DROPS: &str = "devices_kernel_drops";
/// Bytes of every packet or flow the source saw in the interval.
pub const DEVICES_OBSERVED_BYTES: &str = "devices_observed_bytes";
/// Bytes between LAN hosts in the interval, each frame once.
pub const DEVICES_LAN_BYTES: &str = "devices_lan_bytes";
/// Bytes of frames that are not IP in the interval.
pub const DEVICES_NON_IP_BYTES: &str = "devices_non_ip_bytes";
/// Bytes with no LAN side in the interval.
pub const DEVICES_TRANSIT_BYTES: &str = "devices_transit_bytes";

const PER_DEVICE: &[&str] = &[LABEL_DEVICE, LABEL_IP, LABEL_MAC];

const fn bytes(name: &'static str, prom: &'static str, help: &'static str) -> MetricDef {
    MetricDef::new(name, SampleKind::Delta, Unit::Bytes, PER_DEVICE, prom, help)
}

const fn total(name: &'static str, prom: &'static str, help: &'static str) -> MetricDef {
    MetricDef::new(name, SampleKind::Delta, Unit::Bytes, &[], prom, help)
}

/// Every metric the devices source emits.
pub const ALL: [MetricDef; 17] = [
    bytes(
        DEVICE_RX_BYTES,
        "bandwatch_device_receive_bytes_total",
        "Bytes the LAN device downloaded from the internet (frame lengths for capture and pcap, IP lengths for conntrack).",
    )
    .role(Role::DeviceRxBytes),
    bytes(
        DEVICE_TX_BYTES,
        "bandwatch_device_transmit_bytes_total",
        "Bytes the LAN device uploaded to the internet (frame lengths for capture and pcap, IP lengths for conntrack).",
    )
    .role(Role::DeviceTxBytes),
    MetricDef::new(
        DEVICE_RX_BITS_PER_SECOND,
        SampleKind::Rate,
        Unit::BitsPerSecond,
        PER_DEVICE,
        "bandwatch_device_receive_bytes_per_second",
        "The LAN device's download rate over the last interval, in bytes per second (x8 for bit/s).",
    )
    .derived(DEVICE_RX_BYTES, 8.0)
    .role(Role::DeviceRxRate),
    MetricDef::new(
        DEVICE_TX_BITS_PER_SECOND,
        SampleKind::Rate,
        Unit::BitsPerSecond,
        PER_DEVICE,
        "bandwatch_device_transmit_bytes_per_second",
        "The LAN device's upload rate over the last interval, in bytes per second (x8 for bit/s).",
    )
    .derived(DEVICE_TX_BYTES, 8.0)
    .role(Role::DeviceTxRate),
    bytes(
        DEVICE_BYTES,
        "bandwatch_device_bytes_total",
        "Bytes the LAN device moved to and from the internet, both directions (what bandwidth_threshold counts).",
    ),
    MetricDef::new(
        DEVICE_BITS_PER_SECOND,
        SampleKind::Rate,
        Unit::BitsPerSecond,
        PER_DEVICE,
        "bandwatch_device_bytes_per_second",
        "The LAN device's internet rate over the last interval, both directions, in bytes per second (x8 for bit/s).",
    )
    .derived(DEVICE_BYTES, 8.0),
    MetricDef::gauge(
        DEVICE_NEW,
        Unit::Boolean,
        PER_DEVICE,
        "bandwatch_device_new",
        "1 in the first interval a device is seen (ever, across restarts), else 0.",
    ),
    bytes(
        DEVICE_LAN_RX_BYTES,
        "bandwatch_device_lan_receive_bytes_total",
        "Bytes the device received from other LAN hosts (never counted as internet usage).",
    )
    .role(Role::DeviceLanRxBytes),
    bytes(
        DEVICE_LAN_TX_BYTES,
        "bandwatch_device_lan_transmit_bytes_total",
        "Bytes the device sent to other LAN hosts, multicast or broadcast (never counted as internet usage).",
    )
    .role(Role::DeviceLanTxBytes),
    MetricDef::gauge(
        DEVICE_ACTIVE,
        Unit::Boolean,
        PER_DEVICE,
        "bandwatch_device_active",
        "1 while the device moves more than the active floor (devices.active_floor), else 0.",
    )
    .role(Role::DeviceActive),
    MetricDef::gauge(
        DEVICES_TRACKED,
        Unit::Count,
        &[],
        "bandwatch_devices_tracked",
        "Devices held in the accounting table (at most devices.max_tracked).",
    ),
    MetricDef::new(
        DEVICES_EVICTED,
        SampleKind::Delta,
        Unit::Count,
        &[],
        "bandwatch_devices_evicted_total",
        "Devices evicted from the full table; their bytes count under device=\"other\".",
    ),
    MetricDef::new(
        DEVICES_KERNEL_DROPS,
        SampleKind::Delta,
        Unit::Count,
        &[],
        "bandwatch_devices_kernel_drops_total",
        "Packets the kernel dropped before the devices source saw them (the per-device counts miss them).",
    ),
    total(
        DEVICES_OBSERVED_BYTES,
        "bandwatch_devices_observed_bytes_total",
        "Bytes of every packet or flow the devices source saw.",
    ),
    total(
        DEVICES_LAN_BYTES,
        "bandwatch_devices_lan_bytes_total",
        "Bytes between LAN hosts (or to LAN groups), each frame once.",
    ),
    total(
        DEVICES_NON_IP_BYTES,
        "bandwatch_devices_non_ip_bytes_total",
        "Bytes of frames that are not IPv4 or IPv6 (ARP, LLDP, ...).",
    ),
    total(
        DEVICES_TRANSIT_BYTES,
        "bandwatch_devices_transit_bytes_total",
        "Bytes with no LAN side (neither address in devices.lan).",
    ),
];

/// The labels of per-device series.
pub const LABELS: [LabelDef; 3] = [
    LabelDef {
        name: LABEL_DEVICE,
        help:
            "The LAN device: its registered name, else its address; `other` sums evicted devices.",
        prometheus: None,
    },
    LabelDef {
        name: LABEL_IP,
        help: "The device's last IP address.",
        prometheus: None,
    },
    LabelDef {
        name: LABEL_MAC,
        help: "The device's hardware address (empty when none was seen).",
        prometheus: None,
    },
];

/// The definition of `name`, if the devices source emits it.
pub fn info_for(name: &str) -> Option<&'static MetricDef> {
    ALL.iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_derive_from_the_deltas_the_source_divides() {
        for (rate, delta) in [
            (DEVICE_RX_BITS_PER_SECOND, DEVICE_RX_BYTES),
            (DEVICE_TX_BITS_PER_SECOND, DEVICE_TX_BYTES),
            (DEVICE_BITS_PER_SECOND, DEVICE_BYTES),
        ] {
            let d = info_for(rate).and_then(|m| m.derives_from).unwrap();
            assert_eq!((d.delta, d.factor), (delta, 8.0));
        }
        let mut names: Vec<_> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
