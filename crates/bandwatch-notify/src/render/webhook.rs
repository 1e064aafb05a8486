//! The generic webhook: a documented, versioned JSON document, optionally signed.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bandwatch_core::human::format_metric;
use bandwatch_core::{AlertEvent, AlertState, EventKind, Severity};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::{subject, Secret};
use crate::error::{NotifyError, Result};

/// The version of the document below; it changes only when a field changes meaning or goes away.
pub const WEBHOOK_VERSION: u32 = 1;

/// The `kind` of the document, so receivers can tell it from other JSON.
pub const WEBHOOK_KIND: &str = "bandwatch.alerts";

/// The header carrying the lowercase hex HMAC-SHA256 of the exact request body.
pub const SIGNATURE_HEADER: &str = "X-Bandwatch-Signature";

/// The body of a webhook POST (`Content-Type: application/json`).
///
/// ```json
/// {"version":1,"kind":"bandwatch.alerts","alerts":[{ … one WebhookAlert … }]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookDocument<'a> {
    /// Document version, [`WEBHOOK_VERSION`]; fields are only added within a version.
    pub version: u32,
    /// Always [`WEBHOOK_KIND`] (`"bandwatch.alerts"`).
    pub kind: &'static str,
    /// The grouped events, oldest first.
    pub alerts: Vec<WebhookAlert<'a>>,
}

/// One alert event in a [`WebhookDocument`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookAlert<'a> {
    /// Stable alert id, shared by all events of one alert (`rule-<hash>-<start millis>`).
    pub id: &'a str,
    /// Name of the rule that raised the alert.
    pub rule: &'a str,
    /// The transition: `pending`, `fired`, `escalated`, `renotified` or `resolved`.
    pub event: EventKind,
    /// State after the transition: `pending`, `firing` or `resolved`.
    pub state: AlertState,
    /// Severity at the transition: `low`, `medium`, `high` or `critical`.
    pub severity: Severity,
    /// Metric name of the watched series, e.g. `net_rx_bits_per_second`.
    pub metric: &'a str,
    /// Labels of the watched series, e.g. `{"iface":"eth0"}`.
    pub labels: BTreeMap<&'a str, &'a str>,
    /// The series as text, e.g. `net_rx_bits_per_second{iface="eth0"}`.
    pub series: String,
    /// What the alert is about for people: the device, host, target or interface.
    pub subject: String,
    /// The value that caused the transition, in the metric's base unit (bits/s, bytes, s).
    pub value: f64,
    /// The limit or baseline the value was compared with, in the same unit.
    pub reference: f64,
    /// `value` formatted for people, e.g. `950.0 Mbps`.
    pub value_text: String,
    /// `reference` formatted for people.
    pub reference_text: String,
    /// Why, in words.
    pub message: &'a str,
    /// When the condition started to hold (RFC 3339, UTC, milliseconds).
    pub started_at: String,
    /// When the alert resolved (RFC 3339), `null` unless `state` is `resolved`.
    pub ended_at: Option<String>,
    /// When this event happened (RFC 3339).
    pub at: String,
}

/// The document for one batch.
pub fn webhook_document(events: &[AlertEvent]) -> WebhookDocument<'_> {
    WebhookDocument {
        version: WEBHOOK_VERSION,
        kind: WEBHOOK_KIND,
        alerts: events.iter().map(webhook_alert).collect(),
    }
}

fn webhook_alert(e: &AlertEvent) -> WebhookAlert<'_> {
    WebhookAlert {
        id: &e.id,
        rule: &e.rule,
        event: e.kind,
        state: e.state,
        severity: e.severity,
        metric: &e.series.metric,
        labels: e.series.labels.iter().collect(),
        series: e.series.to_string(),
        subject: subject(&e.series),
        value: e.value,
        reference: e.reference,
        value_text: format_metric(&e.series.metric, e.value),
        reference_text: format_metric(&e.series.metric, e.reference),
        message: &e.message,
        started_at: e.started.to_rfc3339(),
        ended_at: e.ended.map(bandwatch_core::Timestamp::to_rfc3339),
        at: e.at.to_rfc3339(),
    }
}

/// The exact bytes to POST for one batch.
pub fn webhook_body(events: &[AlertEvent]) -> Result<String> {
    serde_json::to_string(&webhook_document(events)).map_err(|source| NotifyError::Json {
        what: "webhook document",
        source,
    })
}

/// Lowercase hex HMAC-SHA256 of `body` under `secret`, the value of [`SIGNATURE_HEADER`].
pub fn sign(body: &[u8], secret: &Secret) -> String {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
