//! Where each snapshot series goes in the exposition: its family, its place in the family's
//! label order and its rendered labels, remembered between scrapes by series identity (the
//! snapshot keeps one `Arc` per series while it lives). A scrape whose series are the ones of
//! the last scrape only copies values into place; any new or vanished series rebuilds the
//! layout. The values themselves always come from the snapshot of this scrape: the layout
//! is a cache of names and order, never of values.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use bandwatch_core::{Latest, SeriesKey, Snapshot};
use rustc_hash::FxHashMap;

use super::mapping::{Kind, Mapping, Target};
use super::text::escape_label_value;

/// Where a known series goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Left out: an aggregate, or a second series of one label set in a merged family.
    Skip,
    /// `families[family].series[rank]`.
    At { family: u32, rank: u32 },
}

/// One exported series.
#[derive(Debug)]
pub(crate) struct Series {
    /// The snapshot's key (held, so its address stays this series' identity).
    pub key: Arc<SeriesKey>,
    /// The exported labels as the text format writes them (`{device="eth0"}`, or empty).
    pub text_labels: Box<str>,
    /// Its value at this scrape, in exported units.
    pub value: f64,
}

/// One family and its series in label order.
#[derive(Debug)]
pub(crate) struct Family {
    /// Name, type, scale and help.
    pub target: Target,
    /// The series, sorted by labels.
    pub series: Vec<Series>,
}

/// The exposition layout of the snapshot's series.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// Sorted by name.
    families: Vec<Family>,
    /// By series identity. Every series here is held (in `families` or `skipped`), so its
    /// address cannot be taken by another series while it is remembered.
    places: FxHashMap<usize, Place>,
    /// The series left out, held for their identity.
    skipped: Vec<Arc<SeriesKey>>,
}

fn identity(key: &Arc<SeriesKey>) -> usize {
    Arc::as_ptr(key) as usize
}

/// The exported value of a series: the running total for a counter, else the latest value.
fn value_of(target: &Target, latest: &Latest) -> f64 {
    let v = match target.kind {
        Kind::Counter => latest.total,
        Kind::Gauge => latest.value,
    };
    v * target.scale
}

impl Layout {
    /// Reads the fresh series of `snapshot` into place, rebuilding the layout when the set
    /// of series changed; returns the families in name order.
    pub(crate) fn update(&mut self, snapshot: &Snapshot, mapping: &Mapping) -> &[Family] {
        let mut fresh: Vec<(Arc<SeriesKey>, Latest)> = Vec::new();
        let mut visited = 0_usize;
        let families = &mut self.families;
        let places = &self.places;
        snapshot.visit(|key, latest| {
            visited += 1;
            match places.get(&identity(key)) {
                Some(Place::Skip) => {}
                Some(Place::At { family, rank }) => {
                    let f = &mut families[*family as usize];
                    let v = value_of(&f.target, latest);
                    f.series[*rank as usize].value = v;
                }
                None => fresh.push((Arc::clone(key), *latest)),
            }
        });
        // Every known series was visited exactly once when nothing is new and the counts agree.
        if !fresh.is_empty() || visited != self.places.len() {
            self.rebuild(snapshot, mapping);
        }
        &self.families
    }

    /// Lays out every fresh series of the snapshot anew.
    fn rebuild(&mut self, snapshot: &Snapshot, mapping: &Mapping) {
        let mut by_name: FxHashMap<Cow<'static, str>, Family> = FxHashMap::default();
        let mut by_metric: FxHashMap<String, Cow<'static, str>> = FxHashMap::default();
        let mut places = FxHashMap::default();
        let mut skipped = Vec::new();
        snapshot.visit(|key, latest| {
            if mapping.skipped(&key.labels) {
                places.insert(identity(key), Place::Skip);
                skipped.push(Arc::clone(key));
                return;
            }
            let name = if let Some(n) = by_metric.get(key.metric.as_str()) {
                n.clone()
            } else {
                let target = mapping.target(&key.metric).into_owned();
                let name = target.name.clone();
                by_metric.insert(key.metric.clone(), name.clone());
                by_name.entry(name.clone()).or_insert_with(|| Family {
                    target,
                    series: Vec::new(),
                });
                name
            };
            if let Some(f) = by_name.get_mut(&name) {
                let value = value_of(&f.target, latest);
                f.series.push(Series {
                    key: Arc::clone(key),
                    text_labels: Box::from(""),
                    value,
                });
            }
        });
        let mut families: Vec<Family> = by_name.into_values().collect();
        families.sort_by(|a, b| a.target.name.cmp(&b.target.name));
        for (fi, f) in families.iter_mut().enumerate() {
            f.series.sort_by(|a, b| a.key.labels.cmp(&b.key.labels));
            // Two metrics outside the catalogue may share a family name: one value per
            // label set (the other is left out).
            let mut kept: Vec<Series> = Vec::with_capacity(f.series.len());
            for s in f.series.drain(..) {
                if kept.last().is_some_and(|k| k.key.labels == s.key.labels) {
                    places.insert(identity(&s.key), Place::Skip);
                    skipped.push(s.key);
                    continue;
                }
                kept.push(s);
            }
            for (rank, s) in kept.iter_mut().enumerate() {
                s.text_labels = render(mapping, &s.key);
                let (family, rank) = (index(fi), index(rank));
                places.insert(identity(&s.key), Place::At { family, rank });
            }
            f.series = kept;
        }
        self.families = families;
        self.places = places;
        self.skipped = skipped;
    }
}

fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// `{a="b",c="d"}` with the exported names, or nothing for no labels.
fn render(mapping: &Mapping, key: &SeriesKey) -> Box<str> {
    let mut out = String::new();
    let _ = mapping.labels(&key.labels).try_for_each(|name, value| {
        out.push(if out.is_empty() { '{' } else { ',' });
        let _ = write!(out, "{name}=\"");
        escape_label_value(&mut out, value);
        out.push('"');
        Ok::<(), std::convert::Infallible>(())
    });
    if !out.is_empty() {
        out.push('}');
    }
    out.into_boxed_str()
}
