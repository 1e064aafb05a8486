//! The contract between internal series and exported names, read from the metric catalogue
//! (`MetricDef.prometheus`, its kind, unit and help; `LabelDef.prometheus` for label renames):
//! name, type, unit conversion and labels. A metric outside the catalogue is exported as a
//! gauge under a derived name kept clear of the catalogued ones.

use std::borrow::Cow;

use bandwatch_core::{Catalog, Labels, MetricDef, SampleKind};
use rustc_hash::{FxHashMap, FxHashSet};

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
    /// Counter (the snapshot's running total of the deltas) or gauge (the latest value).
    pub kind: Kind,
    /// Factor from the internal unit to the exported one (1/100 for percent → ratio).
    pub scale: f64,
    /// The `# HELP` line.
    pub help: Cow<'static, str>,
}

/// Names the exporter itself writes; an unknown internal metric never takes one of them.
pub(crate) const SELF_NAMES: &[&str] = &[
    "bandwatch_alerts_firing",
    "bandwatch_alert_events_total",
    "bandwatch_source_frames_total",
    "bandwatch_source_errors_total",
    "bandwatch_source_last_frame_timestamp_seconds",
    "bandwatch_source_duration_seconds",
    "bandwatch_sink_queue_depth",
    "bandwatch_sink_written_total",
    "bandwatch_sink_dropped_total",
    "bandwatch_sink_retried_total",
    "bandwatch_build_info",
    "bandwatch_exporter_series",
];

/// The catalogue turned into export targets once, at construction.
#[derive(Debug)]
pub(crate) struct Mapping {
    catalog: &'static Catalog,
    targets: FxHashMap<&'static str, Target>,
    /// Catalogued family names, with and without `_total`, and [`SELF_NAMES`].
    taken: FxHashSet<Cow<'static, str>>,
    /// Label renames (`iface` → `device`).
    renames: Vec<(&'static str, &'static str)>,
}

/// A counter's HELP: what it counts, and since when the exporter has been counting.
fn counter_help(help: &str) -> String {
    format!(
        "{} since the exporter started.",
        help.strip_suffix('.').unwrap_or(help)
    )
}

fn target_of(def: &MetricDef) -> Target {
    let counter = def.kind == SampleKind::Delta;
    Target {
        name: Cow::Borrowed(def.prometheus),
        kind: if counter { Kind::Counter } else { Kind::Gauge },
        scale: def.unit.export_scale(),
        help: if counter {
            Cow::Owned(counter_help(def.help))
        } else {
            Cow::Borrowed(def.help)
        },
    }
}

impl Mapping {
    /// The targets of every catalogued metric.
    pub(crate) fn new(catalog: &'static Catalog) -> Self {
        let mut taken: FxHashSet<Cow<'static, str>> =
            SELF_NAMES.iter().map(|n| Cow::Borrowed(*n)).collect();
        let mut targets = FxHashMap::default();
        for def in catalog.metrics() {
            taken.insert(Cow::Borrowed(def.prometheus));
            if let Some(bare) = def.prometheus.strip_suffix("_total") {
                taken.insert(Cow::Borrowed(bare));
            }
            targets.insert(def.name, target_of(def));
        }
        let renames = catalog
            .labels()
            .iter()
            .filter_map(|l| Some((l.name, l.prometheus?)))
            .collect();
        Self {
            catalog,
            targets,
            taken,
            renames,
        }
    }

    /// The catalogue the mapping was read from.
    pub(crate) fn catalog(&self) -> &'static Catalog {
        self.catalog
    }

    /// Where `metric` is exported: its catalogue entry, or a gauge of a derived name.
    pub(crate) fn target(&self, metric: &str) -> Cow<'_, Target> {
        match self.targets.get(metric) {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(self.fallback(metric)),
        }
    }

    /// `bandwatch_<metric>`, and for other `net_*_per_second` rates
    /// `bandwatch_network_<rest>` with rx/tx spelled out, as a gauge.
    fn fallback(&self, metric: &str) -> Target {
        let name = match metric
            .strip_prefix("net_")
            .filter(|r| r.ends_with("_per_second"))
        {
            Some(rest) => {
                let rest = sanitize_metric_name(rest);
                let rest = rest
                    .strip_prefix("rx_")
                    .map(|r| format!("receive_{r}"))
                    .or_else(|| rest.strip_prefix("tx_").map(|r| format!("transmit_{r}")))
                    .unwrap_or_else(|| rest.to_string());
                format!("bandwatch_network_{rest}")
            }
            None => format!("bandwatch_{}", sanitize_metric_name(metric)),
        };
        let name = if self.taken.contains(name.as_str()) {
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

    /// True for series the exposition leaves out: sums over many series (`scope="total"`),
    /// which Prometheus adds up itself.
    pub(crate) fn skipped(&self, labels: &Labels) -> bool {
        self.catalog.is_aggregate(labels)
    }

    /// The exported name of label `name`: renamed as the catalogue says, made valid.
    pub(crate) fn label<'a>(&self, name: &'a str) -> Cow<'a, str> {
        match self.renames.iter().find(|(from, _)| *from == name) {
            Some((_, to)) => Cow::Borrowed(*to),
            None => sanitize_label_name(name),
        }
    }

    /// The exported label pairs of a series, in exposition order.
    pub(crate) fn labels<'a>(&'a self, labels: &'a Labels) -> ExportedLabels<'a> {
        ExportedLabels {
            labels,
            mapping: self,
        }
    }
}

/// One series' labels as exported: renamed, made valid and sorted by exported name, computed
/// while encoding so a scrape allocates nothing per series in the usual case.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExportedLabels<'a> {
    labels: &'a Labels,
    mapping: &'a Mapping,
}

impl<'a> ExportedLabels<'a> {
    /// True when the series has no labels.
    pub(crate) fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Calls `f` on every (exported name, value) pair in exposition order.
    pub(crate) fn try_for_each<E>(
        &self,
        mut f: impl FnMut(&str, &str) -> Result<(), E>,
    ) -> Result<(), E> {
        let m = self.mapping;
        let mut prev: Option<Cow<'a, str>> = None;
        let mut sorted = true;
        for (k, _) in self.labels.iter() {
            let name = m.label(k);
            if prev.as_ref().is_some_and(|p| *p > name) {
                sorted = false;
                break;
            }
            prev = Some(name);
        }
        if sorted {
            // Renames keep the order of every catalogued label set: no copy needed.
            for (k, v) in self.labels.iter() {
                f(&m.label(k), v)?;
            }
            return Ok(());
        }
        let mut pairs: Vec<(Cow<'a, str>, &'a str)> =
            self.labels.iter().map(|(k, v)| (m.label(k), v)).collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.iter().try_for_each(|(k, v)| f(k, v))
    }

    /// The pairs, collected (for tests).
    #[cfg(test)]
    pub(crate) fn to_vec(self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let _ = self.try_for_each(|k, v| {
            out.push((k.to_string(), v.to_string()));
            Ok::<(), ()>(())
        });
        out
    }
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
    use bandwatch_core::SeriesKey;

    fn mapping() -> Mapping {
        Mapping::new(bandwatch_collect::catalog())
    }

    #[test]
    fn every_catalogued_family_has_a_valid_unique_name_and_help() {
        let m = mapping();
        let mut names: Vec<&str> = m.targets.values().map(|t| &*t.name).collect();
        names.extend(SELF_NAMES);
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        for t in m.targets.values() {
            assert_eq!(sanitize_metric_name(&t.name), t.name);
            assert_eq!(t.kind == Kind::Counter, t.name.ends_with("_total"));
            assert!(t.help.ends_with('.') && !t.help.contains(['\\', '\n']));
        }
        assert_eq!(
            counter_help("Bytes sent on the interface."),
            "Bytes sent on the interface since the exporter started."
        );
    }

    #[test]
    fn unknown_metrics_become_prefixed_gauges() {
        let m = mapping();
        let t = m.target("hosts_rx_bytes");
        assert_eq!(t.name, "bandwatch_hosts_rx_bytes");
        assert_eq!(t.kind, Kind::Gauge);
        assert_eq!(
            m.target("net_rx_frames_per_second").name,
            "bandwatch_network_receive_frames_per_second"
        );
        assert_eq!(m.target("network_up").name, "bandwatch_internal_network_up");
        assert_eq!(
            m.target("alerts_firing").name,
            "bandwatch_internal_alerts_firing"
        );
        assert_eq!(
            m.target("sink_queue_depth").name,
            "bandwatch_internal_sink_queue_depth"
        );
        assert_eq!(m.target("weird-name.x").name, "bandwatch_weird_name_x");
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
        let m = mapping();
        let k = Labels::from_pairs([("mount", "/")]);
        let pairs = |l: &[(&str, &str)]| -> Vec<(String, String)> {
            l.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect()
        };
        assert_eq!(m.labels(&k).to_vec(), pairs(&[("mountpoint", "/")]));
        let k = Labels::from_pairs([("iface", "eth0"), ("dir", "in")]);
        assert_eq!(
            m.labels(&k).to_vec(),
            pairs(&[("device", "eth0"), ("dir", "in")]),
            "sorted by exported name"
        );
        let k = Labels::from_pairs([("a-b", "1")]);
        assert_eq!(m.labels(&k).to_vec(), pairs(&[("a_b", "1")]));
        assert!(!m.skipped(&k));
        let total = SeriesKey::with_label("net_rx_bytes", "scope", "total");
        assert!(m.skipped(&total.labels));
        let cpu = SeriesKey::with_label("system_cpu_percent", "cpu", "total");
        assert!(!m.skipped(&cpu.labels));
    }
}
