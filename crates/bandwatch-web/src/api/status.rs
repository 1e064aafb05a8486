//! What is true now, from the live values: the page settings, the snapshot, the interfaces
//! and the probed devices.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use bandwatch_core::SeriesKey;
use serde::Serialize;
use serde_json::Value;

use crate::json::SampleJson;
use crate::live::Latest;
use crate::state::{PageConfig, WebState};

/// `GET /api/v1/config`.
pub async fn config(State(state): State<WebState>) -> Json<PageConfig> {
    Json(state.page.as_ref().clone())
}

/// `GET /api/v1/snapshot`.
pub async fn snapshot(State(state): State<WebState>) -> Json<Value> {
    let (newest, all) = state.live.snapshot();
    let samples: Vec<SampleJson<'_>> = all
        .iter()
        .map(|(k, l)| SampleJson::new(k, l.value, Some(l.ts.0)))
        .collect();
    Json(serde_json::json!({ "ts": newest.map(|t| t.0), "samples": samples }))
}

/// One interface now.
#[derive(Debug, Default, Serialize)]
pub struct Interface {
    name: String,
    up: Option<bool>,
    carrier: Option<bool>,
    speed_bps: Option<f64>,
    rx_bps: Option<f64>,
    tx_bps: Option<f64>,
}

fn by_label(state: &WebState, metric: &str, label: &str) -> BTreeMap<String, Latest> {
    state
        .live
        .metric(metric)
        .into_iter()
        .filter_map(|(k, l)| Some((k.labels.get(label)?.to_string(), l)))
        .collect()
}

fn value(map: &BTreeMap<String, Latest>, name: &str) -> Option<f64> {
    map.get(name).map(|l| l.value).filter(|v| v.is_finite())
}

/// `GET /api/v1/interfaces`.
pub async fn interfaces(State(state): State<WebState>) -> Json<Vec<Interface>> {
    let rx = by_label(&state, "net_rx_bits_per_second", "iface");
    let tx = by_label(&state, "net_tx_bits_per_second", "iface");
    let up = by_label(&state, "net_up", "iface");
    let carrier = by_label(&state, "net_carrier", "iface");
    let speed = by_label(&state, "net_speed_bits_per_second", "iface");
    let mut names: Vec<&String> = rx.keys().chain(tx.keys()).chain(up.keys()).collect();
    names.sort();
    names.dedup();
    Json(
        names
            .into_iter()
            .map(|n| Interface {
                name: n.clone(),
                up: value(&up, n).map(|v| v > 0.0),
                carrier: value(&carrier, n).map(|v| v > 0.0),
                speed_bps: value(&speed, n),
                rx_bps: value(&rx, n),
                tx_bps: value(&tx, n),
            })
            .collect(),
    )
}

/// One probed device now.
#[derive(Debug, Serialize)]
pub struct Device {
    name: String,
    up: Option<bool>,
    rtt_ms: Option<f64>,
    loss_percent: Option<f64>,
    jitter_ms: Option<f64>,
    uptime_percent: BTreeMap<&'static str, Option<f64>>,
    last_seen: Option<i64>,
}

fn one(state: &WebState, metric: &str, labels: &[(&str, &str)]) -> Option<Latest> {
    let key = SeriesKey::new(
        metric,
        bandwatch_core::Labels::from_pairs(labels.iter().copied()),
    );
    state.live.get(&key)
}

fn device(state: &WebState, name: &str, up: Option<Latest>) -> Device {
    let v = |m: &str, extra: Option<(&str, &str)>| {
        let mut labels = vec![("target", name)];
        labels.extend(extra);
        one(state, m, &labels)
            .map(|l| l.value)
            .filter(|v| v.is_finite())
    };
    let uptime = ["1h", "24h", "7d"]
        .into_iter()
        .map(|w| (w, v("probe_uptime_percent", Some(("window", w)))))
        .collect();
    Device {
        name: name.to_string(),
        up: up.map(|l| l.value > 0.0),
        rtt_ms: v("probe_rtt_seconds", Some(("stat", "avg"))).map(|s| s * 1000.0),
        loss_percent: v("probe_loss_percent", None),
        jitter_ms: v("probe_jitter_seconds", None).map(|s| s * 1000.0),
        uptime_percent: uptime,
        last_seen: up.filter(|l| l.value > 0.0).map(|l| l.ts.0),
    }
}

/// `GET /api/v1/devices`: every configured target (with nulls until its first round) and
/// any other target the probes report, sorted by name.
pub async fn devices(State(state): State<WebState>) -> Json<Vec<Device>> {
    let ups = by_label(&state, "probe_up", "target");
    let mut names: Vec<&String> = ups.keys().chain(state.devices.iter()).collect();
    names.sort();
    names.dedup();
    Json(
        names
            .into_iter()
            .map(|n| device(&state, n, ups.get(n).copied()))
            .collect(),
    )
}
