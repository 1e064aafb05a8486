//! Which series the view reads, found in the metric catalogue by role, so the view writes no
//! metric name and follows the catalogue when a name changes.

use bandwatch_core::{Catalog, MetricDef, Role};

/// The metric and label names of every series the view shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    /// Interface receive rate (bits/s).
    pub rx_rate: Option<&'static str>,
    /// Interface transmit rate (bits/s).
    pub tx_rate: Option<&'static str>,
    /// The label naming the interface.
    pub iface: Option<&'static str>,
    /// CPU busy percent.
    pub cpu: Option<&'static str>,
    /// The label naming the core; the view shows the all-cores series.
    pub cpu_label: Option<&'static str>,
    /// The value of `cpu_label` on the all-cores series.
    pub cpu_total: &'static str,
    /// Memory used percent.
    pub memory: Option<&'static str>,
    /// Filesystem used percent.
    pub disk: Option<&'static str>,
    /// The label naming the mount point.
    pub mount: Option<&'static str>,
    /// Probe target answered (1/0).
    pub probe_up: Option<&'static str>,
    /// Probe round-trip time (seconds).
    pub probe_rtt: Option<&'static str>,
    /// Probe loss percent.
    pub probe_loss: Option<&'static str>,
    /// The label naming the probe target.
    pub target: Option<&'static str>,
    /// The label telling an RTT statistic apart; the view shows `rtt_stat`.
    pub stat_label: Option<&'static str>,
    /// The RTT statistic shown (the round's average).
    pub rtt_stat: &'static str,
    /// LAN device download rate (bits/s).
    pub device_rx: Option<&'static str>,
    /// LAN device upload rate (bits/s).
    pub device_tx: Option<&'static str>,
    /// The label naming the device.
    pub device: Option<&'static str>,
}

impl Vocabulary {
    /// The names in `catalog`; `cpu_total` and `rtt_stat` are the label values of the
    /// all-cores CPU series and of the RTT statistic to show (declared by their sources).
    pub fn new(catalog: &Catalog, cpu_total: &'static str, rtt_stat: &'static str) -> Self {
        let name = |r| catalog.by_role(r).map(|m: &MetricDef| m.name);
        // A metric's first label is the one naming its subject (iface, target, device…).
        let label = |r, i: usize| catalog.by_role(r).and_then(|m| m.labels.get(i).copied());
        Self {
            rx_rate: name(Role::RxRate),
            tx_rate: name(Role::TxRate),
            iface: label(Role::RxRate, 0),
            cpu: name(Role::CpuPercent),
            cpu_label: label(Role::CpuPercent, 0),
            cpu_total,
            memory: name(Role::MemoryPercent),
            disk: name(Role::DiskPercent),
            mount: label(Role::DiskPercent, 0),
            probe_up: name(Role::ProbeUp),
            probe_rtt: name(Role::ProbeRtt),
            probe_loss: name(Role::ProbeLoss),
            target: label(Role::ProbeUp, 0),
            stat_label: label(Role::ProbeRtt, 1),
            rtt_stat,
            device_rx: name(Role::DeviceRxRate),
            device_tx: name(Role::DeviceTxRate),
            device: label(Role::DeviceRxRate, 0),
        }
    }
}
