//! `devices.export_top`: a scrape exports the per-device series of only the N devices moving
//! the most now (download + upload rate); every other device's series are summed into one
//! `device="other"` series per family (with the source's own `other`, the devices evicted
//! from its table), so a scrape's cardinality stays bounded however many devices the LAN has.
//! Which devices are the top ones is decided afresh at every scrape; a device that leaves
//! the top moves its running total into `other`, which Prometheus reads as a counter reset
//! of both series (`rate()` and `increase()` handle that).

use std::collections::BTreeMap;

use bandwatch_core::{Labels, MetricDef, SampleKind};
use rustc_hash::{FxHashMap, FxHashSet};

use super::layout::Family;
use super::mapping::Mapping;

/// The `device` value that sums the devices not exported one by one (the devices source's
/// own name for its eviction bucket, so the two add up in one series).
pub(crate) const OTHER: &str = "other";

/// The per-device label set: that of the metric playing the device download-bytes role.
fn device_labels(mapping: &Mapping) -> Option<&'static [&'static str]> {
    mapping
        .catalog()
        .by_role(bandwatch_core::Role::DeviceRxBytes)
        .map(|d| d.labels)
        .filter(|l| !l.is_empty())
}

fn def_of<'m>(mapping: &'m Mapping, f: &Family) -> Option<&'m MetricDef> {
    mapping.catalog().get(&f.series.first()?.key.metric)
}

/// What one scrape folds: the label naming a device, and the devices exported one by one.
pub(crate) struct Top {
    labels: &'static [&'static str],
    keep: FxHashSet<String>,
}

impl Top {
    /// The devices to keep among `families` when more than `limit` devices have series;
    /// `None` when nothing needs folding (no limit, or few enough devices).
    pub(crate) fn choose(families: &[Family], mapping: &Mapping, limit: usize) -> Option<Self> {
        if limit == 0 {
            return None;
        }
        let labels = device_labels(mapping)?;
        let label = labels[0];
        let mut rate: FxHashMap<&str, f64> = FxHashMap::default();
        for f in families {
            let Some(def) = def_of(mapping, f).filter(|d| d.labels == labels) else {
                continue;
            };
            for s in &f.series {
                let Some(device) = s.key.labels.get(label) else {
                    continue;
                };
                let r = rate.entry(device).or_insert(0.0);
                if def.kind == SampleKind::Rate && s.value.is_finite() {
                    *r += s.value;
                }
            }
        }
        rate.remove(OTHER);
        if rate.len() <= limit {
            return None;
        }
        let mut ranked: Vec<(&str, f64)> = rate.into_iter().collect();
        // Fastest first; equal rates by name, so the choice does not flicker between scrapes.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let keep = ranked
            .into_iter()
            .take(limit)
            .map(|(d, _)| d.to_string())
            .collect();
        Some(Self { labels, keep })
    }

    /// The family's samples with the devices outside the top summed into `other`, or `None`
    /// when it is not a per-device family.
    pub(crate) fn fold(&self, f: &Family, mapping: &Mapping) -> Option<Vec<(Labels, f64)>> {
        def_of(mapping, f).filter(|d| d.labels == self.labels)?;
        let label = self.labels[0];
        let mut out: BTreeMap<Labels, f64> = BTreeMap::new();
        let mut other = 0.0;
        let mut any_other = false;
        for s in &f.series {
            match s.key.labels.get(label) {
                Some(d) if self.keep.contains(d) => {
                    let exported = Labels::from_pairs(exported_pairs(mapping, &s.key.labels));
                    out.insert(exported, s.value);
                }
                _ => {
                    other += s.value;
                    any_other = true;
                }
            }
        }
        if any_other {
            let pairs = self.labels.iter().map(|l| {
                (
                    mapping.label(l).into_owned(),
                    if *l == label { OTHER } else { "" },
                )
            });
            out.insert(Labels::from_pairs(pairs), other);
        }
        Some(out.into_iter().collect())
    }
}

fn exported_pairs(mapping: &Mapping, labels: &Labels) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let _ = mapping.labels(labels).try_for_each(|k, v| {
        pairs.push((k.to_string(), v.to_string()));
        Ok::<(), std::convert::Infallible>(())
    });
    pairs
}
