//! Alerts: the history with filters, acknowledgement, and silences.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use bandwatch_core::{AlertEvent, AlertState, EventKind, Labels, Severity, Timestamp};
use bandwatch_store::{AlertQuery, AlertRecord, Silence};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::body::JsonBody;
use super::params::Params;
use crate::error::{ApiError, ApiResult};
use crate::history::ask;
use crate::params;
use crate::state::WebState;

/// One event of an alert.
#[derive(Debug, Serialize)]
pub struct EventJson {
    kind: EventKind,
    at: i64,
    severity: Severity,
    value: Option<f64>,
    message: String,
}

/// One alert as the API shows it.
#[derive(Debug, Serialize)]
pub struct AlertJson {
    id: String,
    rule: String,
    series: String,
    #[serde(serialize_with = "crate::json::labels_map")]
    labels: Labels,
    state: AlertState,
    severity: Severity,
    max_severity: Severity,
    value: Option<f64>,
    reference: Option<f64>,
    message: String,
    started: i64,
    ended: Option<i64>,
    updated: i64,
    acked_at: Option<i64>,
    acked_by: Option<String>,
    events: Vec<EventJson>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl From<AlertRecord> for AlertJson {
    fn from(r: AlertRecord) -> Self {
        Self {
            series: r.series.to_string(),
            labels: r.series.labels.clone(),
            id: r.id,
            rule: r.rule,
            state: r.state,
            severity: r.severity,
            max_severity: r.max_severity,
            value: finite(r.value),
            reference: finite(r.reference),
            message: r.message,
            started: r.started.0,
            ended: r.ended.map(|t| t.0),
            updated: r.updated.0,
            acked_at: r.acked_at.map(|t| t.0),
            acked_by: r.acked_by,
            events: r.events.into_iter().map(event).collect(),
        }
    }
}

fn event(e: AlertEvent) -> EventJson {
    EventJson {
        kind: e.kind,
        at: e.at.0,
        severity: e.severity,
        value: finite(e.value),
        message: e.message,
    }
}

fn named<T: for<'de> Deserialize<'de>>(param: &str, text: &str, choices: &str) -> ApiResult<T> {
    serde_json::from_value(Value::String(text.to_ascii_lowercase())).map_err(|_| {
        ApiError::bad_request(format!(
            "parameter '{param}': '{text}' is not one of {choices}"
        ))
    })
}

/// `GET /api/v1/alerts`.
pub async fn list(
    State(state): State<WebState>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Vec<AlertJson>>> {
    let p = Params::parse(q.as_deref(), &["state", "severity", "since", "q", "limit"])?;
    let now = state.clock.wall();
    let query = AlertQuery {
        since: Some(params::time("since", p.get("since").unwrap_or("-7d"), now)?),
        min_severity: p
            .get("severity")
            .map(|s| named("severity", s, "low, medium, high, critical"))
            .transpose()?,
        state: p
            .get("state")
            .map(|s| named("state", s, "pending, firing, resolved"))
            .transpose()?,
        limit: None,
    };
    let limit = match p.get("limit") {
        None => 200,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "parameter 'limit': '{l}' is not a number from 1 to 1000"
                ))
            })?,
    };
    let text = p.get("q").map(str::to_lowercase);
    let records = ask(state.history.as_ref(), move |s| s.alerts(&query))
        .await?
        .map_err(|e| ApiError::unavailable(format!("the alert history could not be read: {e}")))?;
    let found = records
        .into_iter()
        .filter(|r| text.as_deref().is_none_or(|t| mentions(r, t)))
        .take(limit)
        .map(AlertJson::from)
        .collect();
    Ok(Json(found))
}

fn mentions(r: &AlertRecord, text: &str) -> bool {
    [r.rule.as_str(), r.message.as_str(), &r.series.to_string()]
        .iter()
        .any(|f| f.to_lowercase().contains(text))
}

/// Refuses a change on a server that only shows recorded history (409, before the body is
/// looked at: nothing it could say would make the change possible).
fn writable(state: &WebState) -> ApiResult<()> {
    if state.page.read_only {
        return Err(ApiError::read_only());
    }
    Ok(())
}

/// The body of an acknowledgement: who acknowledged, optionally.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckBody {
    by: Option<String>,
}

/// `POST /api/v1/alerts/{id}/ack`.
pub async fn ack(
    State(state): State<WebState>,
    id: Result<Path<String>, PathRejection>,
    body: ApiResult<JsonBody<AckBody>>,
) -> ApiResult<Json<Value>> {
    writable(&state)?;
    // An id that is not UTF-8 is a JSON error too.
    let Path(id) = id?;
    let JsonBody(b) = body?;
    let by =
        b.by.map(|s| s.chars().take(100).collect::<String>())
            .filter(|s| !s.trim().is_empty());
    let now = state.clock.wall();
    let key = id.clone();
    let found = ask(state.history.as_ref(), move |s| {
        s.acknowledge(&key, now, by.as_deref())
    })
    .await?
    .map_err(|e| ApiError::unavailable(format!("the acknowledgement could not be stored: {e}")))?;
    if !found {
        return Err(ApiError::not_found(format!("no alert with id '{id}'")));
    }
    Ok(Json(json!({ "id": id, "acked_at": now.0 })))
}

/// The body of a new silence: the matcher, for how long, and why.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceBody {
    matcher: String,
    duration: Option<String>,
    comment: Option<String>,
}

/// One silence as the API shows it.
#[derive(Debug, Serialize)]
pub struct SilenceJson {
    id: i64,
    matcher: String,
    created: i64,
    until: i64,
    comment: Option<String>,
}

impl From<Silence> for SilenceJson {
    fn from(s: Silence) -> Self {
        Self {
            id: s.id,
            matcher: s.matcher,
            created: s.created.0,
            until: s.until.0,
            comment: s.comment,
        }
    }
}

/// `GET /api/v1/silences`: those in force now.
pub async fn silences(State(state): State<WebState>) -> ApiResult<Json<Vec<SilenceJson>>> {
    let now = state.clock.wall();
    let list = ask(state.history.as_ref(), move |s| s.silences(now))
        .await?
        .map_err(|e| ApiError::unavailable(format!("the silences could not be read: {e}")))?;
    Ok(Json(list.into_iter().map(SilenceJson::from).collect()))
}

/// `POST /api/v1/silences`.
pub async fn silence(
    State(state): State<WebState>,
    body: ApiResult<JsonBody<SilenceBody>>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    writable(&state)?;
    let JsonBody(b) = body?;
    (state.check_matcher)(&b.matcher)
        .map_err(|why| ApiError::bad_request(format!("field 'matcher': {why}")))?;
    let d = params::duration("duration", b.duration.as_deref().unwrap_or("1h"))?;
    if d.is_zero() || d.as_secs() > 365 * 86_400 {
        return Err(ApiError::bad_request(
            "field 'duration' must be more than 0 and at most 365 days",
        ));
    }
    let now = state.clock.wall();
    let until = Timestamp(now.0 + params::millis(d));
    let comment = b.comment.filter(|c| !c.trim().is_empty());
    let id = ask(state.history.as_ref(), move |s| {
        s.add_silence(&b.matcher, now, until, comment.as_deref())
    })
    .await?
    .map_err(|e| ApiError::unavailable(format!("the silence could not be stored: {e}")))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "until": until.0 })),
    ))
}
