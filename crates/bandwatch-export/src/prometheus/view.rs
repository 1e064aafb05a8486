//! One scrape's view of everything exported, as metric families in name order: the series of
//! the shared snapshot under their catalogue families, the alert state, the source and sink
//! self-metrics, and the old exporter's compatibility names. Both encoders walk it.

use std::borrow::Cow;

use bandwatch_core::{Labels, SinkBoard, SinkStats, Snapshot, SourceBoard, SourceStats};

use super::compat::Compat;
use super::layout::{Layout, Series};
use super::mapping::{ExportedLabels, Kind, Mapping, Target};
use super::state::{Alerts, COUNTED_EVENTS};
use super::top::Top;

/// The labels of one exposed series.
#[derive(Clone, Copy)]
pub(crate) enum LabelSet<'a> {
    /// A snapshot series' labels, renamed on the way out, and as the text format writes them.
    Exported(ExportedLabels<'a>, &'a str),
    /// Self-metric labels, already in their exported form.
    Plain(&'a Labels),
}

impl LabelSet<'_> {
    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Exported(l, _) => l.is_empty(),
            Self::Plain(l) => l.is_empty(),
        }
    }

    /// Calls `f` on every (name, value) pair in exposition order.
    pub fn try_for_each<E>(&self, mut f: impl FnMut(&str, &str) -> Result<(), E>) -> Result<(), E> {
        match self {
            Self::Exported(l, _) => l.try_for_each(f),
            Self::Plain(l) => l.iter().try_for_each(|(k, v)| f(k, v)),
        }
    }
}

/// The samples of one family.
pub(crate) enum Samples<'a> {
    /// Snapshot series with their exported values, sorted by labels.
    Live {
        series: &'a [Series],
        mapping: &'a Mapping,
    },
    /// Self-metrics, built for this scrape (a handful of series).
    Owned(Vec<(Labels, f64)>),
}

impl Samples<'_> {
    /// The (labels, value) pairs to expose.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (LabelSet<'_>, f64)> + '_> {
        match self {
            Self::Live { series, mapping } => Box::new(series.iter().map(|s| {
                let labels = LabelSet::Exported(mapping.labels(&s.key.labels), &s.text_labels);
                (labels, s.value)
            })),
            Self::Owned(v) => Box::new(v.iter().map(|(l, v)| (LabelSet::Plain(l), *v))),
        }
    }
}

/// One family as exposed.
pub(crate) struct FamilyView<'a> {
    /// Name, type, scale and help.
    pub target: Cow<'a, Target>,
    /// Its series.
    pub samples: Samples<'a>,
}

impl FamilyView<'_> {
    /// Full name (counters end in `_total`).
    pub fn name(&self) -> &str {
        &self.target.name
    }

    /// The `# HELP` text (encoders escape it).
    pub fn help(&self) -> &str {
        &self.target.help
    }

    /// Counter or gauge.
    pub fn kind(&self) -> Kind {
        self.target.kind
    }
}

/// What one scrape reads: the mapping the families borrow (`'m`), the rest only read.
pub(crate) struct Inputs<'m, 'r> {
    pub snapshot: &'r Snapshot,
    pub mapping: &'m Mapping,
    pub compat: &'r Compat,
    pub alerts: &'r Alerts,
    pub sources: &'r SourceBoard,
    pub sinks: &'r SinkBoard,
    /// Devices exported one by one (`devices.export_top`); 0 exports every device.
    pub device_top: usize,
}

/// Every non-empty family, sorted by name.
pub(crate) fn families<'a>(inputs: &Inputs<'a, '_>, layout: &'a mut Layout) -> Vec<FamilyView<'a>> {
    let live = layout.update(inputs.snapshot, inputs.mapping);
    let series = live.iter().map(|f| f.series.len()).sum();
    let top = Top::choose(live, inputs.mapping, inputs.device_top);
    let mut out: Vec<FamilyView<'a>> = live
        .iter()
        .map(|f| FamilyView {
            target: Cow::Borrowed(&f.target),
            samples: match top.as_ref().and_then(|t| t.fold(f, inputs.mapping)) {
                Some(folded) => Samples::Owned(folded),
                None => Samples::Live {
                    series: &f.series,
                    mapping: inputs.mapping,
                },
            },
        })
        .collect();
    out.extend(self_families(inputs, series));
    out.extend(
        inputs
            .compat
            .values(inputs.snapshot)
            .into_iter()
            .filter_map(|v| owned(v.name, v.help, Kind::Gauge, vec![(Labels::new(), v.mbps)])),
    );
    out.sort_by(|a, b| a.name().cmp(b.name()));
    out
}

fn one(name: &str, value: &str) -> Labels {
    Labels::from_pairs([(name, value)])
}

fn owned<'a>(
    name: &'static str,
    help: &'static str,
    kind: Kind,
    samples: Vec<(Labels, f64)>,
) -> Option<FamilyView<'a>> {
    if samples.is_empty() {
        return None;
    }
    Some(FamilyView {
        target: Cow::Owned(Target {
            name: Cow::Borrowed(name),
            kind,
            scale: 1.0,
            help: Cow::Borrowed(help),
        }),
        samples: Samples::Owned(samples),
    })
}

fn self_families<'a>(inputs: &Inputs<'_, '_>, series: usize) -> Vec<FamilyView<'a>> {
    let mut out: Vec<FamilyView<'a>> = alert_families(inputs.alerts)
        .into_iter()
        .chain(source_families(&inputs.sources.stats()))
        .chain(sink_families(&inputs.sinks.stats()))
        .flatten()
        .collect();
    out.extend(
        [
            owned(
                "bandwatch_build_info",
                "Build of the running bandwatch; the value is always 1.",
                Kind::Gauge,
                vec![(one("version", env!("CARGO_PKG_VERSION")), 1.0)],
            ),
            owned(
                "bandwatch_exporter_series",
                "Series in the exported snapshot (frame-fed series only).",
                Kind::Gauge,
                vec![(Labels::new(), series as f64)],
            ),
        ]
        .into_iter()
        .flatten(),
    );
    out
}

fn alert_families<'a>(alerts: &Alerts) -> [Option<FamilyView<'a>>; 2] {
    let firing = alerts
        .firing
        .iter()
        .map(|((rule, sev), n)| {
            let labels = Labels::from_pairs([("rule", rule.as_str()), ("severity", sev.as_str())]);
            (labels, *n as f64)
        })
        .collect();
    let events = COUNTED_EVENTS
        .iter()
        .zip(alerts.events)
        .map(|(k, n)| (one("kind", k.as_str()), n as f64))
        .collect();
    [
        owned(
            "bandwatch_alerts_firing",
            "Alerts firing now, by rule and severity.",
            Kind::Gauge,
            firing,
        ),
        owned(
            "bandwatch_alert_events_total",
            "Alert events (fired, resolved, escalated, renotified) since the exporter started.",
            Kind::Counter,
            events,
        ),
    ]
}

fn source_families<'a>(stats: &[(String, SourceStats)]) -> [Option<FamilyView<'a>>; 4] {
    let per_source = |f: &dyn Fn(&SourceStats) -> Option<f64>| {
        stats
            .iter()
            .filter_map(|(name, s)| f(s).map(|v| (one("source", name), v)))
            .collect::<Vec<_>>()
    };
    [
        owned(
            "bandwatch_source_frames_total",
            "Frames each source produced since the exporter started.",
            Kind::Counter,
            per_source(&|s| Some(s.frames as f64)),
        ),
        owned(
            "bandwatch_source_errors_total",
            "Failed collections of each source since the exporter started.",
            Kind::Counter,
            per_source(&|s| Some(s.errors as f64)),
        ),
        owned(
            "bandwatch_source_last_frame_timestamp_seconds",
            "Unix time of the last frame of each source, in seconds.",
            Kind::Gauge,
            per_source(&|s| s.last_frame),
        ),
        owned(
            "bandwatch_source_duration_seconds",
            "Duration of the last collection of each source, in seconds.",
            Kind::Gauge,
            per_source(&|s| s.duration),
        ),
    ]
}

fn sink_families<'a>(stats: &[(String, SinkStats)]) -> [Option<FamilyView<'a>>; 4] {
    let per_sink = |f: fn(&SinkStats) -> u64| {
        stats
            .iter()
            .map(|(name, s)| (one("sink", name), f(s) as f64))
            .collect::<Vec<_>>()
    };
    [
        owned(
            "bandwatch_sink_queue_depth",
            "Items waiting in each sink's queue now.",
            Kind::Gauge,
            per_sink(|s| s.queue_depth),
        ),
        owned(
            "bandwatch_sink_written_total",
            "Items each sink wrote (frames, points, messages) since it started.",
            Kind::Counter,
            per_sink(|s| s.written),
        ),
        owned(
            "bandwatch_sink_dropped_total",
            "Items each sink gave up on (a full queue, a dead destination) since it started.",
            Kind::Counter,
            per_sink(|s| s.dropped),
        ),
        owned(
            "bandwatch_sink_retried_total",
            "Write attempts of each sink that failed and were tried again since it started.",
            Kind::Counter,
            per_sink(|s| s.retried),
        ),
    ]
}
