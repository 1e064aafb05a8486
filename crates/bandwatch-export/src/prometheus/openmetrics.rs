//! OpenMetrics 1.0 through prometheus-client: a custom [`Collector`] walks the latest snapshot
//! on every scrape, so interfaces that come and go need no registration.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabel, EncodeLabelSet, EncodeMetric, LabelSetEncoder, MetricEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::mapping::Kind;
use super::view::{FamilyView, LabelSet};
use super::Shared;

/// Encodes the shared state at scrape time.
#[derive(Debug)]
struct SnapshotCollector(Arc<Shared>);

/// Borrowed labels in prometheus-client's shape (no copy per series).
struct LabelsRef<'a>(LabelSet<'a>);

impl EncodeLabelSet for LabelsRef<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        self.0
            .try_for_each(|k, v| (k, v).encode(encoder.encode_label()))
    }
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        self.0.with_families(|families| {
            families
                .iter()
                .try_for_each(|f| encode_family(&mut encoder, f))
        })
    }
}

fn encode_family(encoder: &mut DescriptorEncoder, f: &FamilyView<'_>) -> Result<(), fmt::Error> {
    // OpenMetrics names the counter family without `_total`; its samples get it back.
    let kind = f.kind();
    let (name, metric_type) = match kind {
        Kind::Counter => (
            f.name().strip_suffix("_total").unwrap_or(f.name()),
            MetricType::Counter,
        ),
        Kind::Gauge => (f.name(), MetricType::Gauge),
    };
    let mut metric = encoder.encode_descriptor(name, f.help(), None, metric_type)?;
    let mut probe = f.samples.iter();
    if let (Some((labels, value)), None) = (probe.next(), probe.next()) {
        if labels.is_empty() {
            // A lone series without labels: no family encoder, so no `{}` after the name.
            return encode_value(kind, value, metric);
        }
    }
    for (labels, value) in f.samples.iter() {
        encode_value(kind, value, metric.encode_family(&LabelsRef(labels))?)?;
    }
    Ok(())
}

fn encode_value(kind: Kind, value: f64, encoder: MetricEncoder<'_>) -> Result<(), fmt::Error> {
    match kind {
        Kind::Counter => ConstCounter::new(value).encode(encoder),
        Kind::Gauge => ConstGauge::new(value).encode(encoder),
    }
}

/// A registry whose only member is the snapshot collector.
pub(crate) fn registry(shared: Arc<Shared>) -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector(shared)));
    registry
}

/// The full exposition, `# EOF` included.
pub(crate) fn encode(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail, and the collector returns no error of its own.
    if prometheus_client::encoding::text::encode(&mut out, registry).is_err() {
        out.clear();
        out.push_str("# EOF\n");
    }
    fix_infinities(out)
}

/// prometheus-client writes infinities as `inf`/`-inf` (dtoa's spelling); OpenMetrics wants
/// `+Inf`/`-Inf`. A raw newline only ends a line (label values escape it) and no HELP text
/// ends in ` inf`, so a line ending in ` inf` is always a sample value.
fn fix_infinities(out: String) -> String {
    if !out.contains("inf\n") {
        return out;
    }
    out.replace(" inf\n", " +Inf\n")
        .replace(" -inf\n", " -Inf\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_are_spelled_the_openmetrics_way() {
        let s = fix_infinities("a 1\nb inf\nc -inf\nd{x=\"inf\"} 2\n".to_string());
        assert_eq!(s, "a 1\nb +Inf\nc -Inf\nd{x=\"inf\"} 2\n");
    }
}
