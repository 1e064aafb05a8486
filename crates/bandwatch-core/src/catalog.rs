//! The metric catalogue: what every series family means. Each source declares the metrics it
//! emits as [`MetricDef`]s (the only place a metric name is written); the agent gathers them
//! into one [`Catalog`] that rule validation, rate derivation, the exporters, the API and the
//! reports read, so none of them retypes a name.

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::sample::SampleKind;

/// The base unit of a metric's values; human units are chosen only when formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A count of bytes.
    Bytes,
    /// Bits per second.
    BitsPerSecond,
    /// Bytes per second.
    BytesPerSecond,
    /// Seconds.
    Seconds,
    /// Percent, 0–100.
    Percent,
    /// Packets, errors, probes: a plain count.
    Count,
    /// A plain count per second.
    PerSecond,
    /// 1 for yes, 0 for no.
    Boolean,
    /// A dimensionless number (load average, status code).
    Number,
}

impl Unit {
    /// The unit a metric name's suffix implies, for series outside the catalogue (names end
    /// with their base unit by convention: `_bits_per_second`, `_bytes`, `_seconds`, …).
    pub fn from_suffix(metric: &str) -> Self {
        const SUFFIXES: [(&str, Unit); 6] = [
            ("_bits_per_second", Unit::BitsPerSecond),
            ("_bytes_per_second", Unit::BytesPerSecond),
            ("_per_second", Unit::PerSecond),
            ("_bytes", Unit::Bytes),
            ("_seconds", Unit::Seconds),
            ("_percent", Unit::Percent),
        ];
        SUFFIXES
            .iter()
            .find(|(s, _)| metric.ends_with(s))
            .map_or(Self::Number, |(_, u)| *u)
    }

    /// The factor from this unit to the base unit exporters publish (Prometheus style:
    /// bytes rather than bits, ratios rather than percent), and that unit.
    pub fn export_scale(self) -> f64 {
        match self {
            Self::BitsPerSecond => 0.125,
            Self::Percent => 0.01,
            _ => 1.0,
        }
    }
}

/// What a metric is for, where a consumer needs a particular one (a compatibility table's
/// column, the page's interface list, a dashboard card). Consumers ask the catalogue for a
/// role instead of writing a metric name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Interface receive rate (bits/s).
    RxRate,
    /// Interface transmit rate (bits/s).
    TxRate,
    /// Interface bytes received in the interval.
    RxBytes,
    /// Interface bytes sent in the interval.
    TxBytes,
    /// Interface packets received in the interval.
    RxPackets,
    /// Interface packets sent in the interval.
    TxPackets,
    /// Interface receive errors in the interval.
    RxErrors,
    /// Interface transmit errors in the interval.
    TxErrors,
    /// Interface receive drops in the interval.
    RxDrops,
    /// Interface transmit drops in the interval.
    TxDrops,
    /// Interface administratively and operationally up.
    LinkUp,
    /// Interface carrier.
    Carrier,
    /// Interface link speed.
    LinkSpeed,
    /// Interface MTU.
    Mtu,
    /// CPU busy percent.
    CpuPercent,
    /// Memory used percent.
    MemoryPercent,
    /// Filesystem used percent.
    DiskPercent,
    /// Probe target answered in the round.
    ProbeUp,
    /// Probe round-trip time.
    ProbeRtt,
    /// Probe loss percent.
    ProbeLoss,
    /// Probe jitter.
    ProbeJitter,
    /// Probe target uptime over a window.
    ProbeUptime,
    /// When a probe target last answered.
    ProbeLastSeen,
    /// LAN device download rate from the internet (bits/s).
    DeviceRxRate,
    /// LAN device upload rate to the internet (bits/s).
    DeviceTxRate,
    /// LAN device bytes downloaded from the internet in the interval.
    DeviceRxBytes,
    /// LAN device bytes uploaded to the internet in the interval.
    DeviceTxBytes,
    /// LAN device bytes received from other LAN hosts in the interval.
    DeviceLanRxBytes,
    /// LAN device bytes sent to other LAN hosts in the interval.
    DeviceLanTxBytes,
    /// LAN device moving more than the active floor.
    DeviceActive,
    /// Bytes a data cap has used so far in its period.
    CapUsedBytes,
    /// A data cap's limit in bytes.
    CapLimitBytes,
    /// A data cap's use as a percent of its limit.
    CapUsedPercent,
    /// Bytes a data cap's period is forecast to use by its end.
    CapForecastBytes,
    /// The forecast as a percent of the limit.
    CapForecastPercent,
    /// When a data cap's period ends.
    CapPeriodEnd,
    /// When a data cap is forecast to be reached (absent when it will not be).
    CapReach,
}

/// A rate that follows exactly from a delta of the same frame: `rate = delta × factor /
/// elapsed`. Stores may keep only the delta; readers derive the rate again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Derivation {
    /// The delta metric it comes from.
    pub delta: &'static str,
    /// What one delta unit is worth in the rate's unit (8 for bytes → bits).
    pub factor: f64,
}

/// Everything known about one metric family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MetricDef {
    /// The internal name, snake_case ending in its base unit (`net_rx_bits_per_second`).
    pub name: &'static str,
    /// Gauge, exact delta, or a rate derived from a delta.
    pub kind: SampleKind,
    /// The base unit of its values.
    pub unit: Unit,
    /// One line for people (exporter HELP, docs, the page).
    pub help: &'static str,
    /// The labels its series carry (some series of the family may carry only some).
    pub labels: &'static [&'static str],
    /// For a rate: the delta it derives from.
    pub derives_from: Option<Derivation>,
    /// The Prometheus family it is exported as (counters end in `_total`).
    pub prometheus: &'static str,
    /// The role it plays for consumers that need a particular metric.
    pub role: Option<Role>,
}

impl MetricDef {
    /// A definition with only the required parts; the rest is added with the builders.
    pub const fn new(
        name: &'static str,
        kind: SampleKind,
        unit: Unit,
        labels: &'static [&'static str],
        prometheus: &'static str,
        help: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            unit,
            help,
            labels,
            derives_from: None,
            prometheus,
            role: None,
        }
    }

    /// A gauge: a level at the frame's instant.
    pub const fn gauge(
        name: &'static str,
        unit: Unit,
        labels: &'static [&'static str],
        prometheus: &'static str,
        help: &'static str,
    ) -> Self {
        Self::new(name, SampleKind::Gauge, unit, labels, prometheus, help)
    }

    /// The same definition, derived from `delta` times `factor` per second.
    #[must_use]
    pub const fn derived(mut self, delta: &'static str, factor: f64) -> Self {
        self.derives_from = Some(Derivation { delta, factor });
        self
    }

    /// The same definition with a role.
    #[must_use]
    pub const fn role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// True when Prometheus sees it as a counter (its deltas are summed).
    pub fn is_counter(&self) -> bool {
        self.kind == SampleKind::Delta
    }
}

/// A label that some series of a source carry instead of the usual one, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LabelDef {
    /// The label name (`iface`).
    pub name: &'static str,
    /// What it tells apart, for people.
    pub help: &'static str,
    /// Its exported name where Prometheus conventions differ (`iface` → `device`).
    pub prometheus: Option<&'static str>,
}

/// Every source's metrics, looked up by name or role.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    metrics: Vec<MetricDef>,
    labels: Vec<LabelDef>,
    /// The label and value that mark a sum over many series (`scope="total"`), which
    /// per-instance views (Prometheus families, the interface list) leave out.
    #[serde(skip)]
    aggregate: Option<(&'static str, &'static str)>,
    #[serde(skip)]
    // Looked up for every sample by some readers (the console line); FxHash over a few
    // dozen fixed names is several times cheaper than a tree of string comparisons.
    by_name: FxHashMap<&'static str, usize>,
    /// The source that declared each metric (a derived rate's elapsed time is that
    /// source's frame time).
    #[serde(skip)]
    sources: FxHashMap<&'static str, &'static str>,
}

/// Two sources declared the same metric name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateMetric(pub &'static str);

impl std::fmt::Display for DuplicateMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "metric '{}' is declared twice", self.0)
    }
}

impl std::error::Error for DuplicateMetric {}

impl Catalog {
    /// An empty catalogue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source's metrics; a name already present is an error (a programming mistake
    /// that a test catches).
    pub fn extend(&mut self, defs: &[MetricDef]) -> Result<(), DuplicateMetric> {
        for d in defs {
            if self.by_name.contains_key(d.name) {
                return Err(DuplicateMetric(d.name));
            }
            self.by_name.insert(d.name, self.metrics.len());
            self.metrics.push(*d);
        }
        Ok(())
    }

    /// Adds the metrics of the source named `source` (its frames carry them); a name already
    /// present is an error.
    pub fn extend_source(
        &mut self,
        source: &'static str,
        defs: &[MetricDef],
    ) -> Result<(), DuplicateMetric> {
        self.extend(defs)?;
        for d in defs {
            self.sources.insert(d.name, source);
        }
        Ok(())
    }

    /// The source whose frames carry `metric`, when it was added with
    /// [`Catalog::extend_source`].
    pub fn source_of(&self, metric: &str) -> Option<&'static str> {
        self.sources.get(metric).copied()
    }

    /// Adds label definitions (a label defined twice keeps its first definition).
    pub fn extend_labels(&mut self, defs: &[LabelDef]) {
        for d in defs {
            if !self.labels.iter().any(|l| l.name == d.name) {
                self.labels.push(*d);
            }
        }
    }

    /// Declares the label and value of aggregate series (`scope`, `total`).
    pub fn set_aggregate(&mut self, label: &'static str, value: &'static str) {
        self.aggregate = Some((label, value));
    }

    /// The aggregate marker, if one was declared.
    pub fn aggregate(&self) -> Option<(&'static str, &'static str)> {
        self.aggregate
    }

    /// True when `labels` mark an aggregate series.
    pub fn is_aggregate(&self, labels: &crate::Labels) -> bool {
        self.aggregate
            .is_some_and(|(l, v)| labels.get(l) == Some(v))
    }

    /// The definition of `name`.
    pub fn get(&self, name: &str) -> Option<&MetricDef> {
        self.by_name.get(name).map(|&i| &self.metrics[i])
    }

    /// The metric that plays `role`.
    pub fn by_role(&self, role: Role) -> Option<&MetricDef> {
        self.metrics.iter().find(|m| m.role == Some(role))
    }

    /// The name of the metric that plays `role`, or `""` when no source declares one (a
    /// lookup under that name then finds nothing, which is what an absent source means).
    pub fn name_of(&self, role: Role) -> &'static str {
        self.by_role(role).map_or("", |m| m.name)
    }

    /// Every metric, in declaration order.
    pub fn metrics(&self) -> &[MetricDef] {
        &self.metrics
    }

    /// Every label definition.
    pub fn labels(&self) -> &[LabelDef] {
        &self.labels
    }

    /// The exported name of label `name`.
    pub fn exported_label<'a>(&self, name: &'a str) -> &'a str {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .and_then(|l| l.prometheus)
            .unwrap_or(name)
    }

    /// The unit of `metric`: its catalogue entry's, else what its name's suffix implies.
    pub fn unit(&self, metric: &str) -> Unit {
        self.get(metric)
            .map_or_else(|| Unit::from_suffix(metric), |m| m.unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFS: [MetricDef; 2] = [
        MetricDef::new(
            "x_rx_bytes",
            SampleKind::Delta,
            Unit::Bytes,
            &["iface"],
            "bw_rx_bytes_total",
            "Bytes.",
        ),
        MetricDef::new(
            "x_rx_bits_per_second",
            SampleKind::Rate,
            Unit::BitsPerSecond,
            &["iface"],
            "bw_rx_bytes_per_second",
            "Rate.",
        )
        .derived("x_rx_bytes", 8.0)
        .role(Role::RxRate),
    ];

    #[test]
    fn looks_up_by_name_and_role() {
        let mut c = Catalog::new();
        c.extend(&DEFS).unwrap();
        assert_eq!(c.get("x_rx_bytes").map(|m| m.kind), Some(SampleKind::Delta));
        assert_eq!(c.name_of(Role::RxRate), "x_rx_bits_per_second");
        assert_eq!(c.name_of(Role::TxRate), "");
        assert_eq!(
            c.get("x_rx_bits_per_second").and_then(|m| m.derives_from),
            Some(Derivation {
                delta: "x_rx_bytes",
                factor: 8.0
            })
        );
        assert_eq!(c.extend(&DEFS[..1]), Err(DuplicateMetric("x_rx_bytes")));
        assert_eq!(c.source_of("x_rx_bytes"), None);
    }

    #[test]
    fn remembers_the_source_of_each_metric() {
        let mut c = Catalog::new();
        c.extend_source("net", &DEFS).unwrap();
        assert_eq!(c.source_of("x_rx_bits_per_second"), Some("net"));
        assert_eq!(c.source_of("nothing"), None);
    }

    #[test]
    fn units_from_suffixes() {
        assert_eq!(Unit::from_suffix("a_bits_per_second"), Unit::BitsPerSecond);
        assert_eq!(
            Unit::from_suffix("a_bytes_per_second"),
            Unit::BytesPerSecond
        );
        assert_eq!(Unit::from_suffix("a_errors_per_second"), Unit::PerSecond);
        assert_eq!(Unit::from_suffix("a_rtt_seconds"), Unit::Seconds);
        assert_eq!(Unit::from_suffix("a_up"), Unit::Number);
    }
}
