//! A read-only view of the state as metric families, in name order: what both encoders walk.

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::Labels;

use super::mapping::Kind;
use super::state::{fresh, Entry, State, COUNTED_EVENTS};

/// The samples of one family.
pub(crate) enum Samples<'a> {
    /// Frame-fed series, filtered by staleness at encode time.
    Live {
        series: &'a BTreeMap<Labels, Entry>,
        cutoff: Duration,
    },
    /// Self-metrics, built for this scrape (a handful of series).
    Owned(Vec<(Labels, f64)>),
}

impl Samples<'_> {
    /// The (labels, value) pairs to expose.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&Labels, f64)> + '_> {
        match self {
            Self::Live { series, cutoff } => Box::new(
                series
                    .iter()
                    .filter(|(_, e)| fresh(e.updated, *cutoff))
                    .map(|(l, e)| (l, e.value)),
            ),
            Self::Owned(v) => Box::new(v.iter().map(|(l, v)| (l, *v))),
        }
    }
}

/// One family as exposed.
pub(crate) struct FamilyView<'a> {
    /// Full name (counters end in `_total`).
    pub name: &'a str,
    /// The `# HELP` text (no backslash or newline in any of ours, but encoders escape anyway).
    pub help: &'a str,
    /// Counter or gauge.
    pub kind: Kind,
    /// Its series.
    pub samples: Samples<'a>,
}

fn owned<'a>(
    name: &'a str,
    help: &'a str,
    kind: Kind,
    samples: Vec<(Labels, f64)>,
) -> Option<FamilyView<'a>> {
    if samples.is_empty() {
        return None;
    }
    Some(FamilyView {
        name,
        help,
        kind,
        samples: Samples::Owned(samples),
    })
}

fn one(name: &str, value: &str) -> Labels {
    Labels::from_pairs([(name, value)])
}

/// Every non-empty family, sorted by name; series older than `cutoff` left out.
pub(crate) fn families(state: &State, cutoff: Duration) -> Vec<FamilyView<'_>> {
    let mut out = Vec::with_capacity(state.families.len() + 8);
    let mut series = 0_usize;
    for (name, f) in &state.families {
        let live = f
            .series
            .values()
            .filter(|e| fresh(e.updated, cutoff))
            .count();
        if live == 0 {
            continue;
        }
        series += live;
        out.push(FamilyView {
            name,
            help: &f.help,
            kind: f.kind,
            samples: Samples::Live {
                series: &f.series,
                cutoff,
            },
        });
    }
    out.extend(self_families(state, series));
    out.sort_by(|a, b| a.name.cmp(b.name));
    out
}

fn self_families(state: &State, series: usize) -> Vec<FamilyView<'_>> {
    let src = &state.sources;
    let per_source = |f: &dyn Fn(&super::state::SourceStats) -> Option<f64>| {
        src.iter()
            .filter_map(|(name, s)| f(s).map(|v| (one("source", name), v)))
            .collect::<Vec<_>>()
    };
    let firing = state
        .alerts
        .firing
        .iter()
        .map(|((rule, sev), n)| {
            let labels = Labels::from_pairs([("rule", rule.as_str()), ("severity", sev.as_str())]);
            (labels, *n as f64)
        })
        .collect();
    let events = COUNTED_EVENTS
        .iter()
        .zip(state.alerts.events)
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
    .flatten()
    .collect()
}
