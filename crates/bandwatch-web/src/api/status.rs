//! What is true now, from the shared snapshot and the boards: the page settings, the
//! snapshot, the interfaces, the probed devices and the agent's own status. Metrics are found
//! by their catalogue role, never by name.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use bandwatch_core::{Latest, Role, SeriesKey, SinkStats, SourceStats};
use serde::Serialize;

use crate::json::SampleJson;
use crate::state::{PageConfig, WebState};

/// `GET /api/v1/config`.
pub async fn config(State(state): State<WebState>) -> Json<PageConfig> {
    Json(state.page.as_ref().clone())
}

/// One sink's queue and counts.
#[derive(Debug, Serialize)]
pub struct SinkStatus {
    /// The sink's name (`store`, `influxdb`, …).
    name: String,
    /// Its counts now.
    #[serde(flatten)]
    stats: SinkStats,
}

/// One source's counts.
#[derive(Debug, Serialize)]
pub struct SourceStatus {
    /// The source's name (`netdev`, `system`, `probe`).
    name: String,
    /// What it did so far.
    #[serde(flatten)]
    stats: SourceStats,
}

fn sinks(state: &WebState) -> Vec<SinkStatus> {
    state
        .sinks
        .stats()
        .into_iter()
        .map(|(name, stats)| SinkStatus { name, stats })
        .collect()
}

fn sources(state: &WebState) -> Vec<SourceStatus> {
    state
        .sources
        .stats()
        .into_iter()
        .map(|(name, stats)| SourceStatus { name, stats })
        .collect()
}

/// The answer of `/snapshot`.
#[derive(Serialize)]
pub struct SnapshotAnswer<'a> {
    /// The newest frame time, epoch ms.
    ts: Option<i64>,
    /// Every fresh series' newest value.
    samples: Vec<SampleJson<'a>>,
    /// The sinks' queues and counts.
    sinks: Vec<SinkStatus>,
    /// The sources' counts.
    sources: Vec<SourceStatus>,
}

/// `GET /api/v1/snapshot`.
pub async fn snapshot(State(state): State<WebState>) -> Json<serde_json::Value> {
    let (newest, all) = state.snapshot.all();
    let samples: Vec<SampleJson<'_>> = all
        .iter()
        .map(|(k, l)| SampleJson::new(k, l.value, Some(l.ts.0)))
        .collect();
    let answer = SnapshotAnswer {
        ts: newest.map(|t| t.0),
        samples,
        sinks: sinks(&state),
        sources: sources(&state),
    };
    Json(serde_json::to_value(answer).unwrap_or_default())
}

/// The answer of `/status`.
#[derive(Debug, Serialize)]
pub struct Status {
    /// bandwatch's version.
    version: String,
    /// Whether this server only shows recorded history (`bandwatch serve`).
    read_only: bool,
    /// Series in the snapshot now.
    series: usize,
    /// Clients on the live stream.
    stream_clients: usize,
    /// The sources' counts.
    sources: Vec<SourceStatus>,
    /// The sinks' queues and counts.
    sinks: Vec<SinkStatus>,
}

/// `GET /api/v1/status`: the agent's own health: its sources and sinks.
pub async fn status(State(state): State<WebState>) -> Json<Status> {
    Json(Status {
        version: state.page.version.clone(),
        read_only: state.page.read_only,
        series: state.snapshot.all().1.len(),
        stream_clients: state.live.clients(),
        sources: sources(&state),
        sinks: sinks(&state),
    })
}

/// One interface now.
#[derive(Debug, Default, Serialize)]
pub struct Interface {
    name: String,
    up: Option<bool>,
    carrier: Option<bool>,
    speed_bps: Option<f64>,
    /// Bytes, as `ip link` shows it.
    mtu: Option<u64>,
    rx_bps: Option<f64>,
    tx_bps: Option<f64>,
}

/// The label of `role`'s metric that names its instance (the one that is not the aggregate
/// marker): `iface` for the interface metrics, `target` for the probes.
pub(crate) fn instance_label(state: &WebState, role: Role) -> Option<&'static str> {
    let aggregate = state.catalog.aggregate().map(|(l, _)| l);
    state
        .catalog
        .by_role(role)?
        .labels
        .iter()
        .copied()
        .find(|l| Some(*l) != aggregate)
}

/// The fresh series of `role`'s metric by the value of `label`.
pub(crate) fn by_label(state: &WebState, role: Role, label: &str) -> BTreeMap<String, Latest> {
    let metric = state.catalog.name_of(role);
    state
        .snapshot
        .metric(metric)
        .into_iter()
        .filter_map(|(k, l)| Some((k.labels.get(label)?.to_string(), l)))
        .collect()
}

fn value(map: &BTreeMap<String, Latest>, name: &str) -> Option<f64> {
    map.get(name).map(|l| l.value).filter(|v| v.is_finite())
}

/// Unix seconds as whole milliseconds.
#[allow(clippy::cast_possible_truncation)] // checked: in range
fn secs_to_millis(secs: f64) -> Option<i64> {
    let ms = (secs * 1000.0).round();
    (ms.abs() < 2f64.powi(53)).then_some(ms as i64)
}

/// A byte count held as a float, as the integer it is.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked: whole, in range
fn whole_bytes(v: f64) -> Option<u64> {
    (v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53)).then_some(v as u64)
}

/// `GET /api/v1/interfaces`.
pub async fn interfaces(State(state): State<WebState>) -> Json<Vec<Interface>> {
    let Some(label) = instance_label(&state, Role::RxRate) else {
        return Json(Vec::new());
    };
    let of = |role| by_label(&state, role, label);
    let (rx, tx, up) = (of(Role::RxRate), of(Role::TxRate), of(Role::LinkUp));
    let (carrier, speed, mtu) = (of(Role::Carrier), of(Role::LinkSpeed), of(Role::Mtu));
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
                mtu: value(&mtu, n).and_then(whole_bytes),
                rx_bps: value(&rx, n),
                tx_bps: value(&tx, n),
            })
            .collect(),
    )
}

/// One probed device now (its part of a [`crate::api::devices::Device`]).
#[derive(Debug)]
pub(crate) struct ProbeDevice {
    pub name: String,
    pub up: Option<bool>,
    pub rtt_ms: Option<f64>,
    pub loss_percent: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub uptime_percent: BTreeMap<&'static str, Option<f64>>,
    pub last_seen: Option<i64>,
}

/// The uptime windows the devices list shows.
const UPTIME_WINDOWS: [&str; 3] = ["1h", "24h", "7d"];
/// The round-trip statistic a device shows.
const RTT_STAT: &str = "avg";

/// The label of `role`'s metric besides the target (`stat` for the RTT, `window` for uptime).
fn extra_label(state: &WebState, role: Role, target: &str) -> Option<&'static str> {
    state
        .catalog
        .by_role(role)?
        .labels
        .iter()
        .copied()
        .find(|l| *l != target)
}

pub(crate) fn probe_device(
    state: &WebState,
    target: &str,
    name: &str,
    up: Option<Latest>,
) -> ProbeDevice {
    let v = |role: Role, extra: Option<&str>| {
        let mut labels = vec![(target, name)];
        if let Some(value) = extra {
            labels.push((extra_label(state, role, target)?, value));
        }
        let key = SeriesKey::new(
            state.catalog.name_of(role),
            bandwatch_core::Labels::from_pairs(labels),
        );
        state
            .snapshot
            .get(&key)
            .map(|l| l.value)
            .filter(|v| v.is_finite())
    };
    let uptime = UPTIME_WINDOWS
        .into_iter()
        .map(|w| (w, v(Role::ProbeUptime, Some(w))))
        .collect();
    ProbeDevice {
        name: name.to_string(),
        up: up.map(|l| l.value > 0.0),
        rtt_ms: v(Role::ProbeRtt, Some(RTT_STAT)).map(|s| s * 1000.0),
        loss_percent: v(Role::ProbeLoss, None),
        jitter_ms: v(Role::ProbeJitter, None).map(|s| s * 1000.0),
        uptime_percent: uptime,
        // When it last answered (the agent keeps it from the history); never: null.
        last_seen: v(Role::ProbeLastSeen, None).and_then(secs_to_millis),
    }
}
