//! Which series an export holds: every series of the history, or those `--metric` names and
//! `--match` selects, each with what its values mean from the metric catalogue.

use std::collections::BTreeSet;

use bandwatch_core::human::escape_control;
use bandwatch_core::{Catalog, SampleKind, Selector, SeriesKey, Term, Unit};
use bandwatch_store::Resolution;
use bandwatch_web::query::{derived, Derived};

use crate::error::BadInput;

/// One series to export and how its values read.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen {
    /// The series.
    pub key: SeriesKey,
    /// Gauge, delta or rate (gauge for series outside the catalogue).
    pub kind: SampleKind,
    /// Its base unit.
    pub unit: Unit,
    /// For a rate: the delta it derives from (the web API's derivation, from the catalogue).
    pub derives_from: Option<Derived>,
}

/// What a point's value is, for the document's `value` field.
pub fn value_meaning(kind: SampleKind, resolution: Resolution) -> &'static str {
    match (resolution, kind) {
        (Resolution::Raw, SampleKind::Gauge) => "sample",
        (Resolution::Raw, SampleKind::Delta) => "delta",
        (Resolution::Raw, SampleKind::Rate) => "derived_rate",
        (_, SampleKind::Delta) => "sum",
        (_, SampleKind::Gauge | SampleKind::Rate) => "mean",
    }
}

/// The `--match` terms as one selector; the error names the term and the forms.
pub fn selector(texts: &[String]) -> Result<Selector, BadInput> {
    texts
        .iter()
        .map(|t| Term::parse(t).map_err(|e| BadInput(format!("--match: {}", escape_control(&e.0)))))
        .collect::<Result<Vec<_>, _>>()
        .map(Selector::new)
}

/// The series of `all` (the history's, sorted) that the filters keep. A `--metric` that
/// neither the catalogue nor the history knows is an error listing the known names.
pub fn choose(
    all: &[SeriesKey],
    catalog: &Catalog,
    metrics: &[String],
    selector: &Selector,
) -> Result<Vec<Chosen>, BadInput> {
    let stored: BTreeSet<&str> = all.iter().map(|k| k.metric.as_str()).collect();
    for m in metrics {
        if !stored.contains(m.as_str()) && catalog.get(m).is_none() {
            let mut known: BTreeSet<&str> = stored.clone();
            known.extend(catalog.metrics().iter().map(|d| d.name));
            return Err(BadInput(format!(
                "--metric: '{}' is not a metric of this history or of the catalogue; known \
                 metrics: {}",
                escape_control(m),
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(all
        .iter()
        .filter(|k| metrics.is_empty() || metrics.contains(&k.metric))
        .filter(|k| selector.matches(k))
        .map(|k| describe(k, catalog))
        .collect())
}

/// A series with its kind, unit and derivation from the catalogue.
fn describe(key: &SeriesKey, catalog: &Catalog) -> Chosen {
    let def = catalog.get(&key.metric);
    Chosen {
        kind: def.map_or(SampleKind::Gauge, |d| d.kind),
        unit: catalog.unit(&key.metric),
        derives_from: derived(catalog, &key.metric),
        key: key.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<SeriesKey> {
        let k = |m: &str, i: &str| SeriesKey::with_label(m, "iface", i);
        let mut v = vec![
            k("net_rx_bytes", "eth0"),
            k("net_rx_bytes", "lo"),
            k("net_rx_bits_per_second", "eth0"),
            SeriesKey::with_label("sample_elapsed_seconds", "source", "netdev"),
        ];
        v.sort();
        v
    }

    #[test]
    fn filters_by_metric_and_labels() {
        let cat = bandwatch_collect::catalog();
        let got = choose(&all(), cat, &[], &Selector::all()).expect("all");
        assert_eq!(got.len(), 4);
        let sel = selector(&["iface!=lo".into()]).expect("matcher");
        let got = choose(&all(), cat, &["net_rx_bytes".into()], &sel).expect("filtered");
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].key,
            SeriesKey::with_label("net_rx_bytes", "iface", "eth0")
        );
        assert_eq!((got[0].kind, got[0].unit), (SampleKind::Delta, Unit::Bytes));
        let rate = choose(&all(), cat, &["net_rx_bits_per_second".into()], &sel).expect("rate");
        let d = rate[0].derives_from.expect("derived");
        assert_eq!(
            (d.delta, d.factor, d.source),
            ("net_rx_bytes", 8.0, "netdev")
        );
        let elapsed = choose(&all(), cat, &["sample_elapsed_seconds".into()], &sel);
        assert!(
            elapsed.expect("stored, outside the catalogue").is_empty(),
            "no iface label"
        );
    }

    #[test]
    fn an_unknown_metric_lists_the_known_ones() {
        let cat = bandwatch_collect::catalog();
        let e = choose(&all(), cat, &["net_rx_byte".into()], &Selector::all()).expect_err("typo");
        assert!(
            e.0.contains("'net_rx_byte'") && e.0.contains("net_rx_bytes, "),
            "{}",
            e.0
        );
        assert!(
            e.0.contains("sample_elapsed_seconds"),
            "stored names too: {}",
            e.0
        );
        let known = choose(
            &all(),
            cat,
            &["system_cpu_percent".into()],
            &Selector::all(),
        );
        assert_eq!(known.expect("in the catalogue").len(), 0);
        assert!(selector(&["iface".into()])
            .expect_err("no =")
            .0
            .starts_with("--match:"));
    }

    #[test]
    fn values_say_what_they_are() {
        assert_eq!(value_meaning(SampleKind::Delta, Resolution::Raw), "delta");
        assert_eq!(value_meaning(SampleKind::Delta, Resolution::Hour), "sum");
        assert_eq!(
            value_meaning(SampleKind::Rate, Resolution::Raw),
            "derived_rate"
        );
        assert_eq!(value_meaning(SampleKind::Rate, Resolution::Minute), "mean");
    }
}
