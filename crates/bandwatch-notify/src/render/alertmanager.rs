//! Prometheus Alertmanager API v2: the body of `POST /api/v2/alerts`.

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::human::format_metric;
use bandwatch_core::{AlertEvent, AlertState, Timestamp};
use serde_json::{json, Value};

use super::headline;

/// What the Alertmanager body needs besides the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertmanagerSettings {
    /// The `instance` label: which bandwatch raised the alert (usually the host name).
    pub instance: String,
    /// Sent as `generatorURL` when set (the dashboard).
    pub generator_url: Option<String>,
    /// When set, a firing alert carries `endsAt = at + ttl` so Alertmanager expires it unless
    /// re-sent; without it Alertmanager applies its own `resolve_timeout`.
    pub firing_ttl: Option<Duration>,
}

/// A Prometheus label name from any text: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn label_name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The alert list for one batch, as Alertmanager's `postableAlerts`.
///
/// An event followed in the same batch by a later event of the same alert ends when that one
/// happens, so an escalation closes the alert under its old `severity` label.
pub fn alertmanager_alerts(events: &[AlertEvent], settings: &AlertmanagerSettings) -> Value {
    Value::Array(
        events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let next = events[i + 1..].iter().find(|later| later.id == e.id);
                postable_alert(e, next.map(|n| n.at), settings)
            })
            .collect(),
    )
}

fn postable_alert(
    event: &AlertEvent,
    superseded_at: Option<Timestamp>,
    settings: &AlertmanagerSettings,
) -> Value {
    let mut alert = json!({
        "labels": labels(event, settings),
        "annotations": {
            "summary": headline(event),
            "description": format!(
                "{} (value {}, limit or baseline {})",
                event.message,
                format_metric(&event.series.metric, event.value),
                format_metric(&event.series.metric, event.reference)
            ),
            "series": event.series.to_string(),
        },
        "startsAt": event.started.to_rfc3339(),
    });
    if let Some(ends) = superseded_at.or_else(|| ends_at(event, settings)) {
        alert["endsAt"] = json!(ends.to_rfc3339());
    }
    if let Some(url) = &settings.generator_url {
        alert["generatorURL"] = json!(url);
    }
    alert
}

/// Series labels first, so that bandwatch's own labels win a clash.
fn labels(event: &AlertEvent, settings: &AlertmanagerSettings) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = event
        .series
        .labels
        .iter()
        .map(|(k, v)| (label_name(k), v.to_string()))
        .collect();
    out.insert("metric".into(), event.series.metric.clone());
    out.insert("alertname".into(), event.rule.clone());
    out.insert("severity".into(), event.severity.as_str().into());
    out.insert("bandwatch_id".into(), event.id.clone());
    if !settings.instance.is_empty() {
        out.insert("instance".into(), settings.instance.clone());
    }
    out
}

fn ends_at(event: &AlertEvent, settings: &AlertmanagerSettings) -> Option<Timestamp> {
    if event.state == AlertState::Resolved {
        return Some(event.ended.unwrap_or(event.at));
    }
    let ttl = i64::try_from(settings.firing_ttl?.as_millis()).unwrap_or(i64::MAX);
    Some(Timestamp(event.at.millis().saturating_add(ttl)))
}
