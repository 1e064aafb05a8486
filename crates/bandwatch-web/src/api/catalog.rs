//! `GET /api/v1/catalog`: the metric catalogue, so clients (the page among them) find metrics
//! by what they mean (their role) and learn units, help and labels instead of hard-coding
//! names.

use axum::extract::State;
use axum::Json;
use bandwatch_core::{Catalog, Derivation, LabelDef, Role, SampleKind, Unit};
use serde::Serialize;

use crate::state::WebState;

/// One metric as the API describes it.
#[derive(Debug, Serialize)]
pub struct MetricJson {
    /// The internal name, as in samples and `/series?metric=`.
    name: &'static str,
    /// `gauge`, `delta` or `rate`.
    kind: SampleKind,
    /// The base unit of its values.
    unit: Unit,
    /// One line for people.
    help: &'static str,
    /// The labels its series carry.
    labels: &'static [&'static str],
    /// For a rate: the delta it derives from and the factor.
    derives_from: Option<Derivation>,
    /// The Prometheus family it is exported as.
    prometheus: &'static str,
    /// What it is for, when a consumer needs this particular metric.
    role: Option<Role>,
    /// The source that emits it.
    source: Option<&'static str>,
}

/// The label and value that mark a sum over many series.
#[derive(Debug, Serialize)]
pub struct AggregateJson {
    /// The label (`scope`).
    label: &'static str,
    /// Its value (`total`).
    value: &'static str,
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct CatalogJson {
    /// Every metric, in the sources' declaration order.
    metrics: Vec<MetricJson>,
    /// Every label with its meaning and exported name.
    labels: &'static [LabelDef],
    /// The aggregate marker, when there is one.
    aggregate: Option<AggregateJson>,
}

/// The catalogue in its JSON shape.
pub fn describe(catalog: &'static Catalog) -> CatalogJson {
    CatalogJson {
        metrics: catalog
            .metrics()
            .iter()
            .map(|m| MetricJson {
                name: m.name,
                kind: m.kind,
                unit: m.unit,
                help: m.help,
                labels: m.labels,
                derives_from: m.derives_from,
                prometheus: m.prometheus,
                role: m.role,
                source: catalog.source_of(m.name),
            })
            .collect(),
        labels: catalog.labels(),
        aggregate: catalog
            .aggregate()
            .map(|(label, value)| AggregateJson { label, value }),
    }
}

/// `GET /api/v1/catalog`.
pub async fn catalog(State(state): State<WebState>) -> Json<CatalogJson> {
    Json(describe(state.catalog))
}
