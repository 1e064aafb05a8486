//! The contract between internal series and exported names (the export-names table shared
//! with `deploy/` rules and Grafana): name, type, unit conversion and label renames.
//!
//! The internal names are written out here rather than imported from `bandwatch-collect`
//! because this crate may depend only on `bandwatch-core`.

use std::borrow::Cow;

use bandwatch_core::{Labels, SeriesKey};

/// The exposition type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A running sum that never goes backwards (`_total` in the name).
    Counter,
    /// A level: the latest value.
    Gauge,
}

impl Kind {
    /// The word after `# TYPE name`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
        }
    }
}

/// Where one internal metric goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    /// Exported family name (counters end in `_total`).
    pub name: Cow<'static, str>,
    /// Counter (deltas are summed) or gauge (latest value kept).
    pub kind: Kind,
    /// Factor from the internal unit to the exported one (1/100 for percent → ratio).
    pub scale: f64,
    /// The `# HELP` line.
    pub help: Cow<'static, str>,
}

/// One row of the contract.
struct Row {
    internal: &'static str,
    exported: &'static str,
    kind: Kind,
    scale: f64,
    help: &'static str,
}

const fn counter(internal: &'static str, exported: &'static str, help: &'static str) -> Row {
    Row {
        internal,
        exported,
        kind: Kind::Counter,
        scale: 1.0,
        help,
    }
}

const fn gauge(internal: &'static str, exported: &'static str, help: &'static str) -> Row {
    Row {
        internal,
        exported,
        kind: Kind::Gauge,
        scale: 1.0,
        help,
    }
}

/// A gauge whose internal unit is bits and exported unit is bytes (Prometheus' base unit).
const fn bytes_from_bits(
    internal: &'static str,
    exported: &'static str,
    help: &'static str,
) -> Row {
    Row {
        internal,
        exported,
        kind: Kind::Gauge,
        scale: 0.125,
        help,
    }
}

/// A gauge whose internal unit is percent and exported unit is a 0–1 ratio.
const fn ratio(internal: &'static str, exported: &'static str, help: &'static str) -> Row {
    Row {
        internal,
        exported,
        kind: Kind::Gauge,
        scale: 0.01,
        help,
    }
}

/// The contract, row by row.
const ROWS: &[Row] = &[
    counter(
        "net_rx_bytes",
        "bandwatch_network_receive_bytes_total",
        "Bytes received on the interface since the exporter started.",
    ),
    counter(
        "net_tx_bytes",
        "bandwatch_network_transmit_bytes_total",
        "Bytes sent on the interface since the exporter started.",
    ),
    counter(
        "net_rx_packets",
        "bandwatch_network_receive_packets_total",
        "Packets received on the interface since the exporter started.",
    ),
    counter(
        "net_tx_packets",
        "bandwatch_network_transmit_packets_total",
        "Packets sent on the interface since the exporter started.",
    ),
    counter(
        "net_rx_errors",
        "bandwatch_network_receive_errs_total",
        "Receive errors on the interface since the exporter started.",
    ),
    counter(
        "net_tx_errors",
        "bandwatch_network_transmit_errs_total",
        "Transmit errors on the interface since the exporter started.",
    ),
    counter(
        "net_rx_drops",
        "bandwatch_network_receive_drop_total",
        "Received packets dropped on the interface since the exporter started.",
    ),
    counter(
        "net_tx_drops",
        "bandwatch_network_transmit_drop_total",
        "Packets dropped on transmit on the interface since the exporter started.",
    ),
    counter(
        "net_rx_multicast",
        "bandwatch_network_receive_multicast_total",
        "Multicast packets received on the interface since the exporter started.",
    ),
    bytes_from_bits(
        "net_rx_bits_per_second",
        "bandwatch_network_receive_bytes_per_second",
        "Receive rate over the last interval, in bytes per second (x8 for bit/s).",
    ),
    bytes_from_bits(
        "net_tx_bits_per_second",
        "bandwatch_network_transmit_bytes_per_second",
        "Transmit rate over the last interval, in bytes per second (x8 for bit/s).",
    ),
    gauge(
        "net_rx_packets_per_second",
        "bandwatch_network_receive_packets_per_second",
        "Packets received per second over the last interval.",
    ),
    gauge(
        "net_tx_packets_per_second",
        "bandwatch_network_transmit_packets_per_second",
        "Packets sent per second over the last interval.",
    ),
    gauge(
        "net_rx_errors_per_second",
        "bandwatch_network_receive_errors_per_second",
        "Receive errors per second over the last interval.",
    ),
    gauge(
        "net_tx_errors_per_second",
        "bandwatch_network_transmit_errors_per_second",
        "Transmit errors per second over the last interval.",
    ),
    gauge(
        "net_rx_drops_per_second",
        "bandwatch_network_receive_drops_per_second",
        "Received packets dropped per second over the last interval.",
    ),
    gauge(
        "net_tx_drops_per_second",
        "bandwatch_network_transmit_drops_per_second",
        "Packets dropped on transmit per second over the last interval.",
    ),
    gauge(
        "net_up",
        "bandwatch_network_up",
        "1 when the link is up, else 0.",
    ),
    gauge(
        "net_carrier",
        "bandwatch_network_carrier",
        "1 when the link has a carrier, else 0.",
    ),
    bytes_from_bits(
        "net_speed_bits_per_second",
        "bandwatch_network_speed_bytes",
        "Negotiated link speed in bytes per second (as node_exporter's node_network_speed_bytes).",
    ),
    ratio(
        "system_cpu_percent",
        "bandwatch_cpu_busy_ratio",
        "Share of the last interval the CPU was busy (0-1).",
    ),
    gauge(
        "system_load1",
        "bandwatch_load1",
        "One-minute load average.",
    ),
    gauge(
        "system_load5",
        "bandwatch_load5",
        "Five-minute load average.",
    ),
    gauge(
        "system_load15",
        "bandwatch_load15",
        "Fifteen-minute load average.",
    ),
    gauge(
        "system_memory_total_bytes",
        "bandwatch_memory_total_bytes",
        "Physical memory in bytes.",
    ),
    gauge(
        "system_memory_available_bytes",
        "bandwatch_memory_available_bytes",
        "Memory available for new work without swapping, in bytes.",
    ),
    ratio(
        "system_memory_used_percent",
        "bandwatch_memory_used_ratio",
        "Share of memory not available (0-1).",
    ),
    gauge(
        "system_swap_total_bytes",
        "bandwatch_swap_total_bytes",
        "Swap space in bytes.",
    ),
    gauge(
        "system_swap_free_bytes",
        "bandwatch_swap_free_bytes",
        "Unused swap space in bytes.",
    ),
    ratio(
        "system_swap_used_percent",
        "bandwatch_swap_used_ratio",
        "Share of swap in use (0-1).",
    ),
    gauge(
        "system_disk_total_bytes",
        "bandwatch_filesystem_size_bytes",
        "Filesystem size in bytes.",
    ),
    gauge(
        "system_disk_available_bytes",
        "bandwatch_filesystem_avail_bytes",
        "Filesystem bytes available to unprivileged users.",
    ),
    ratio(
        "system_disk_used_percent",
        "bandwatch_filesystem_used_ratio",
        "Share of the filesystem not available to unprivileged users (0-1).",
    ),
    counter(
        "system_disk_read_bytes",
        "bandwatch_disk_read_bytes_total",
        "Bytes read from the disk since the exporter started.",
    ),
    counter(
        "system_disk_written_bytes",
        "bandwatch_disk_written_bytes_total",
        "Bytes written to the disk since the exporter started.",
    ),
    gauge(
        "system_disk_read_bytes_per_second",
        "bandwatch_disk_read_bytes_per_second",
        "Bytes read from the disk per second over the last interval.",
    ),
    gauge(
        "system_disk_write_bytes_per_second",
        "bandwatch_disk_write_bytes_per_second",
        "Bytes written to the disk per second over the last interval.",
    ),
    gauge(
        "probe_up",
        "bandwatch_probe_up",
        "1 when at least one probe of the last round was answered, else 0.",
    ),
    ratio(
        "probe_loss_percent",
        "bandwatch_probe_loss_ratio",
        "Share of the last round's probes lost (0-1).",
    ),
    gauge(
        "probe_rtt_seconds",
        "bandwatch_probe_rtt_seconds",
        "Round-trip time of the last round (min, avg, max by stat) in seconds.",
    ),
    gauge(
        "probe_jitter_seconds",
        "bandwatch_probe_jitter_seconds",
        "Mean absolute difference of consecutive round-trip times, in seconds.",
    ),
    gauge(
        "probe_http_status",
        "bandwatch_probe_http_status_code",
        "Last HTTP status code of the round.",
    ),
    counter(
        "probe_sent",
        "bandwatch_probe_sent_total",
        "Probes sent since the exporter started.",
    ),
    counter(
        "probe_received",
        "bandwatch_probe_received_total",
        "Probes answered since the exporter started.",
    ),
    ratio(
        "probe_uptime_percent",
        "bandwatch_probe_uptime_ratio",
        "Share of rounds that were up over the window (1h, 24h, 7d), 0-1.",
    ),
];

/// Names the exporter itself writes; an unknown internal metric never takes one of them.
pub(crate) const SELF_NAMES: &[&str] = &[
    "bandwatch_alerts_firing",
    "bandwatch_alert_events_total",
    "bandwatch_source_frames_total",
    "bandwatch_source_errors_total",
    "bandwatch_source_last_frame_timestamp_seconds",
    "bandwatch_source_duration_seconds",
    "bandwatch_build_info",
    "bandwatch_exporter_series",
];

/// Where `metric` is exported: its contract row, or `bandwatch_<metric>` as a gauge.
pub(crate) fn target(metric: &str) -> Target {
    if let Some(row) = ROWS.iter().find(|r| r.internal == metric) {
        return Target {
            name: Cow::Borrowed(row.exported),
            kind: row.kind,
            scale: row.scale,
            help: Cow::Borrowed(row.help),
        };
    }
    if let Some(rest) = metric
        .strip_prefix("net_")
        .filter(|r| r.ends_with("_per_second"))
    {
        // "other net_*_per_second rates → bandwatch_network_<rest>", with rx/tx spelled out.
        let rest = sanitize_metric_name(rest);
        let rest = rest
            .strip_prefix("rx_")
            .map(|r| format!("receive_{r}"))
            .or_else(|| rest.strip_prefix("tx_").map(|r| format!("transmit_{r}")))
            .unwrap_or_else(|| rest.to_string());
        return gauge_target(format!("bandwatch_network_{rest}"), metric);
    }
    gauge_target(
        format!("bandwatch_{}", sanitize_metric_name(metric)),
        metric,
    )
}

/// A gauge for a metric the contract does not list, kept clear of the listed names.
fn gauge_target(name: String, metric: &str) -> Target {
    let taken = |n: &str| {
        ROWS.iter()
            .any(|r| r.exported == n || r.exported.strip_suffix("_total") == Some(n))
            || SELF_NAMES.contains(&n)
    };
    let name = if taken(&name) {
        name.replacen("bandwatch_", "bandwatch_internal_", 1)
    } else {
        name
    };
    Target {
        name: Cow::Owned(name),
        kind: Kind::Gauge,
        scale: 1.0,
        help: Cow::Owned(format!(
            "Internal series {}, exported as a gauge.",
            sanitize_metric_name(metric)
        )),
    }
}

/// True for series the contract leaves out: the netdev sum over interfaces.
pub(crate) fn skipped(key: &SeriesKey) -> bool {
    key.metric.starts_with("net_") && key.labels.get("scope") == Some("total")
}

/// The exported labels of `key`: `iface` → `device`, `mount` → `mountpoint`, names made valid.
pub(crate) fn labels(key: &SeriesKey) -> Labels {
    let mut out = Labels::new();
    for (name, value) in key.labels.iter() {
        let name = match name {
            "iface" => "device",
            "mount" => "mountpoint",
            other => other,
        };
        out.insert(sanitize_label_name(name), value);
    }
    out
}

/// A valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`): other characters become `_`.
pub(crate) fn sanitize_metric_name(name: &str) -> Cow<'_, str> {
    sanitize(
        name,
        |c| c.is_ascii_alphabetic() || c == '_' || c == ':',
        |c| c.is_ascii_alphanumeric() || c == '_' || c == ':',
    )
}

/// A valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`): other characters become `_`.
pub(crate) fn sanitize_label_name(name: &str) -> Cow<'_, str> {
    sanitize(
        name,
        |c| c.is_ascii_alphabetic() || c == '_',
        |c| c.is_ascii_alphanumeric() || c == '_',
    )
}

fn sanitize(name: &str, first: fn(char) -> bool, rest: fn(char) -> bool) -> Cow<'_, str> {
    let valid = |i: usize, c: char| if i == 0 { first(c) } else { rest(c) };
    if !name.is_empty() && name.chars().enumerate().all(|(i, c)| valid(i, c)) {
        return Cow::Borrowed(name);
    }
    let mut out: String = name
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if valid(i, c) || (i == 0 && rest(c)) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| first(c)) {
        out.insert(0, '_');
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_a_valid_unique_name_and_help() {
        let mut names: Vec<_> = ROWS.iter().map(|r| r.exported).collect();
        names.extend(SELF_NAMES);
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        for r in ROWS {
            assert_eq!(sanitize_metric_name(r.exported), r.exported);
            assert_eq!(r.kind == Kind::Counter, r.exported.ends_with("_total"));
            assert!(r.help.ends_with('.') && !r.help.contains(['\\', '\n']));
        }
    }

    #[test]
    fn unknown_metrics_become_prefixed_gauges() {
        let t = target("hosts_rx_bytes");
        assert_eq!(t.name, "bandwatch_hosts_rx_bytes");
        assert_eq!(t.kind, Kind::Gauge);
        assert_eq!(
            target("net_rx_frames_per_second").name,
            "bandwatch_network_receive_frames_per_second"
        );
        assert_eq!(target("network_up").name, "bandwatch_internal_network_up");
        assert_eq!(
            target("alerts_firing").name,
            "bandwatch_internal_alerts_firing"
        );
        assert_eq!(target("weird-name.x").name, "bandwatch_weird_name_x");
    }

    #[test]
    fn sanitizes_names() {
        assert_eq!(sanitize_label_name("9lives"), "_9lives");
        assert_eq!(sanitize_label_name("a-b"), "a_b");
        assert_eq!(sanitize_label_name(""), "_");
        assert_eq!(sanitize_metric_name("a:b"), "a:b");
        assert_eq!(sanitize_label_name("a:b"), "a_b");
    }

    #[test]
    fn renames_labels_and_skips_the_total() {
        let k = SeriesKey::new(
            "system_disk_used_percent",
            Labels::from_pairs([("mount", "/")]),
        );
        assert_eq!(labels(&k).get("mountpoint"), Some("/"));
        let k = SeriesKey::new("net_rx_bytes", Labels::from_pairs([("iface", "eth0")]));
        assert_eq!(labels(&k).get("device"), Some("eth0"));
        assert!(!skipped(&k));
        assert!(skipped(&SeriesKey::with_label(
            "net_rx_bytes",
            "scope",
            "total"
        )));
        assert!(!skipped(&SeriesKey::with_label(
            "system_cpu_percent",
            "cpu",
            "total"
        )));
    }
}
