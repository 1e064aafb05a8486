//! `GET /api/v1/series` and `GET /api/v1/export`: the history of the series a metric and
//! label matchers select, bucketed by [`crate::query`].

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bandwatch_core::{Role, Selector, Timestamp};
use serde::Serialize;

use super::params::Params;
use crate::error::{ApiError, ApiResult};
use crate::history::ask;
use crate::params;
use crate::query::{self, Plan, SeriesPoints, Source};
use crate::state::WebState;

/// What a range request asked for, checked.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The metric.
    pub metric: String,
    /// Label conditions.
    pub selector: Selector,
    /// Range, step and tier.
    pub plan: Plan,
}

impl Selection {
    /// Reads `metric`, `match`, `start`, `end` and `step`.
    pub fn from_params(p: &Params, now: Timestamp, state: &WebState) -> ApiResult<Self> {
        let metric = p
            .get("metric")
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "parameter 'metric' is required, e.g. metric={} (GET /api/v1/catalog lists them)",
                    state.catalog.name_of(Role::RxRate)
                ))
            })?
            .to_string();
        if !params::valid_metric(&metric) {
            return Err(ApiError::bad_request(format!(
                "parameter 'metric': '{metric}' is not a metric name (letters, digits and _ only)"
            )));
        }
        let selector = params::selector(p.all("match"))?;
        let start = params::time("start", p.get("start").unwrap_or("-1h"), now)?;
        let end = params::time("end", p.get("end").unwrap_or("now"), now)?;
        let step = p
            .get("step")
            .map(|s| params::duration("step", s).map(params::millis))
            .transpose()?;
        let plan = query::plan(start, end, step, now, state.limits)?;
        Ok(Self {
            metric,
            selector,
            plan,
        })
    }
}

/// The answer of `/series`.
#[derive(Debug, Serialize)]
pub struct SeriesAnswer {
    /// The metric asked for.
    pub metric: String,
    /// The tier that answered.
    pub tier: Source,
    /// Range start, epoch ms.
    pub start: i64,
    /// Range end, epoch ms.
    pub end: i64,
    /// Bucket width.
    pub step_ms: i64,
    /// One entry per series.
    pub series: Vec<SeriesPoints>,
}

const SERIES_PARAMS: [&str; 5] = ["metric", "match", "start", "end", "step"];

/// Runs a selection against the history; an unknown metric is a 400 listing the known ones.
pub async fn fetch(state: &WebState, sel: Selection) -> ApiResult<SeriesAnswer> {
    let live_has = !state.snapshot.metric(&sel.metric).is_empty();
    let (metric, selector, plan) = (sel.metric.clone(), sel.selector.clone(), sel.plan);
    let catalog = state.catalog;
    let answer = ask(state.history.as_ref(), move |store| {
        let all = store.series()?;
        if !live_has && !all.iter().any(|k| k.metric == metric) {
            let mut names: Vec<&str> = all.iter().map(|k| k.metric.as_str()).collect();
            names.dedup();
            return Ok(Err(names.join(", ")));
        }
        query::run(store, catalog, &metric, &selector, plan).map(Ok)
    })
    .await?
    .map_err(|e| ApiError::unavailable(format!("the history could not be read: {e}")))?;
    let series = answer.map_err(|known| {
        ApiError::bad_request(format!(
            "unknown metric '{}'; metrics with data: {known}",
            sel.metric
        ))
    })?;
    Ok(SeriesAnswer {
        metric: sel.metric,
        tier: sel.plan.tier,
        start: sel.plan.start,
        end: sel.plan.end,
        step_ms: sel.plan.step_ms,
        series,
    })
}

/// `GET /api/v1/series`.
pub async fn series(
    State(state): State<WebState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<SeriesAnswer>> {
    let p = Params::parse(q.as_deref(), &SERIES_PARAMS)?;
    let sel = Selection::from_params(&p, state.clock.wall(), &state)?;
    Ok(Json(fetch(&state, sel).await?))
}

/// `GET /api/v1/export`: the same selection as a CSV or JSON download.
pub async fn export(State(state): State<WebState>, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = Params::parse(
        q.as_deref(),
        &["metric", "match", "start", "end", "step", "format"],
    )?;
    let format = p.get("format").unwrap_or("csv").to_ascii_lowercase();
    if format != "csv" && format != "json" {
        return Err(ApiError::bad_request(format!(
            "parameter 'format': '{format}' is not csv or json"
        )));
    }
    let sel = Selection::from_params(&p, state.clock.wall(), &state)?;
    let answer = fetch(&state, sel).await?;
    let name = format!("bandwatch-{}-{}.{format}", answer.metric, answer.start);
    let (body, content_type) = if format == "csv" {
        (csv(&answer), "text/csv; charset=utf-8")
    } else {
        (
            serde_json::to_string_pretty(&answer)
                .map_err(|e| ApiError::unavailable(e.to_string()))?,
            "application/json",
        )
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// `timestamp,series,labels,mean,min,max`, one row per bucket.
pub fn csv(a: &SeriesAnswer) -> String {
    let mut out = String::from("timestamp,series,labels,mean,min,max\n");
    for s in &a.series {
        let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let labels = csv_field(&labels.join(";"));
        let metric = csv_field(&a.metric);
        for (ts, mean, min, max) in &s.points {
            let _ = writeln!(
                out,
                "{},{metric},{labels},{mean},{min},{max}",
                Timestamp(*ts).to_rfc3339()
            );
        }
    }
    out
}

/// Quotes a field when it holds a comma, quote or line break; a leading `=`, `+`, `-` or `@`
/// is prefixed with `'` so a spreadsheet does not run it as a formula.
pub(crate) fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::Labels;

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("eth0"), "eth0");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        let a = SeriesAnswer {
            metric: "net_rx_bits_per_second".into(),
            tier: Source::Raw,
            start: 0,
            end: 2000,
            step_ms: 1000,
            series: vec![SeriesPoints {
                labels: Labels::from_pairs([("iface", "eth0")]),
                points: vec![(0, 1.5, 1.0, 2.0)],
            }],
        };
        assert_eq!(
            csv(&a),
            "timestamp,series,labels,mean,min,max\n1970-01-01T00:00:00.000Z,net_rx_bits_per_second,iface=eth0,1.5,1,2\n"
        );
    }
}
