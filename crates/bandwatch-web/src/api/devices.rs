//! `GET /api/v1/devices`: one list of every device the agent knows — LAN devices (from the
//! devices source's series in the snapshot) and probe targets — with one entry for a device
//! that is both (a probe target whose host, or name, is a LAN device's address or name).
//! Metrics are found by their catalogue role, never by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use bandwatch_core::{Latest, Role, SeriesKey, Timestamp};
use bandwatch_store::{Store, Tier, HOUR_MS};
use serde::Serialize;

use super::status::{by_label, instance_label, probe_device, ProbeDevice};
use crate::history::ask;
use crate::state::WebState;

/// The label with a device's address.
pub const LABEL_IP: &str = "ip";
/// The label with a device's hardware address.
pub const LABEL_MAC: &str = "mac";

/// One LAN device as the snapshot shows it now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LanDevice {
    /// Its `device` label (registry name, else its address).
    pub device: String,
    /// Its newest IP address.
    pub ip: Option<String>,
    /// Its hardware address (`null` when none was seen).
    pub mac: Option<String>,
    /// Download rate from the internet now, bits/s.
    pub rx_bps: Option<f64>,
    /// Upload rate to the internet now, bits/s.
    pub tx_bps: Option<f64>,
    /// Bytes downloaded since the agent started.
    pub rx_bytes: u64,
    /// Bytes uploaded since the agent started.
    pub tx_bytes: u64,
    /// Bytes received from LAN hosts since the agent started.
    pub lan_rx_bytes: u64,
    /// Bytes sent to LAN hosts since the agent started.
    pub lan_tx_bytes: u64,
    /// Whether it moves more than the active floor now.
    pub active: Option<bool>,
    /// The newest sample of it, epoch ms.
    #[serde(skip)]
    pub seen: Option<Timestamp>,
    /// The series of its byte counts (to ask the history about it).
    #[serde(skip)]
    pub keys: Vec<Arc<SeriesKey>>,
}

impl LanDevice {
    /// Download and upload rate now, bits/s (what the page sorts by).
    pub fn rate(&self) -> f64 {
        self.rx_bps.unwrap_or(0.0) + self.tx_bps.unwrap_or(0.0)
    }
}

/// A running total held as a float, as the whole byte count it is.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, whole
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.min(2f64.powi(63)).round() as u64
    } else {
        0
    }
}

/// Every LAN device in the snapshot, by its `device` label. A device whose address changed
/// has several series; its rates and addresses come from the newest, its totals from all.
pub fn lan_devices(state: &WebState) -> BTreeMap<String, LanDevice> {
    let mut out: BTreeMap<String, LanDevice> = BTreeMap::new();
    let Some(label) = instance_label(state, Role::DeviceRxBytes) else {
        return out;
    };
    // The newest sample of each rate/gauge per device, so an old address's last 0 loses.
    let mut newest: BTreeMap<(String, Role), Timestamp> = BTreeMap::new();
    for role in [
        Role::DeviceRxBytes,
        Role::DeviceTxBytes,
        Role::DeviceLanRxBytes,
        Role::DeviceLanTxBytes,
        Role::DeviceRxRate,
        Role::DeviceTxRate,
        Role::DeviceActive,
    ] {
        for (key, l) in state.snapshot.metric(state.catalog.name_of(role)) {
            let Some(name) = key.labels.get(label) else {
                continue;
            };
            let d = out.entry(name.to_string()).or_insert_with(|| LanDevice {
                device: name.to_string(),
                ..LanDevice::default()
            });
            if d.seen.is_none_or(|s| l.ts > s) {
                d.seen = Some(l.ts);
                let text = |n: &str| {
                    key.labels
                        .get(n)
                        .filter(|v| !v.is_empty())
                        .map(String::from)
                };
                d.ip = text(LABEL_IP).or(d.ip.take());
                d.mac = text(LABEL_MAC).or(d.mac.take());
            }
            apply(d, role, &key, l, &mut newest);
        }
    }
    out
}

fn apply(
    d: &mut LanDevice,
    role: Role,
    key: &Arc<SeriesKey>,
    l: Latest,
    newest: &mut BTreeMap<(String, Role), Timestamp>,
) {
    let value = Some(l.value).filter(|v| v.is_finite());
    let mut latest = |slot: &mut Option<f64>, v: Option<f64>| {
        let at = newest
            .entry((d.device.clone(), role))
            .or_insert(Timestamp(i64::MIN));
        if l.ts >= *at {
            *at = l.ts;
            *slot = v;
        }
    };
    match role {
        Role::DeviceRxRate => latest(&mut d.rx_bps, value),
        Role::DeviceTxRate => latest(&mut d.tx_bps, value),
        Role::DeviceActive => {
            let mut a = d.active.map(|b| if b { 1.0 } else { 0.0 });
            latest(&mut a, value);
            d.active = a.map(|v| v > 0.0);
        }
        Role::DeviceRxBytes => add(&mut d.rx_bytes, &mut d.keys, key, l),
        Role::DeviceTxBytes => add(&mut d.tx_bytes, &mut d.keys, key, l),
        Role::DeviceLanRxBytes => d.lan_rx_bytes += whole(l.total),
        Role::DeviceLanTxBytes => d.lan_tx_bytes += whole(l.total),
        _ => {}
    }
}

fn add(total: &mut u64, keys: &mut Vec<Arc<SeriesKey>>, key: &Arc<SeriesKey>, l: Latest) {
    *total = total.saturating_add(whole(l.total));
    keys.push(Arc::clone(key));
}

/// One device: what is known of it as a LAN device and as a probe target. The probe fields
/// keep the shape the page and older clients know; a LAN-only device has them `null`.
#[derive(Debug, Serialize)]
// `device` is the API's name for the LAN label, as in the metrics.
#[allow(clippy::struct_field_names)]
pub struct Device {
    /// The probe target's name, else the LAN device's label.
    name: String,
    /// Whether it is probed for reachability.
    probed: bool,
    /// Its LAN device label (`null` when it is only a probe target).
    device: Option<String>,
    #[serde(flatten)]
    probe: ProbeFields,
    /// Its IP address.
    ip: Option<String>,
    /// Its hardware address.
    mac: Option<String>,
    /// Download rate now, bits/s.
    rx_bps: Option<f64>,
    /// Upload rate now, bits/s.
    tx_bps: Option<f64>,
    /// Bytes moved since the agent started, when it is a LAN device.
    rx_bytes: Option<u64>,
    /// Bytes uploaded since the agent started.
    tx_bytes: Option<u64>,
    /// Bytes received from LAN hosts since the agent started.
    lan_rx_bytes: Option<u64>,
    /// Bytes sent to LAN hosts since the agent started.
    lan_tx_bytes: Option<u64>,
    /// Whether it moves more than the active floor now.
    active: Option<bool>,
    /// True when its traffic was first recorded within the last 24 hours (`null` when the
    /// history could not say).
    new: Option<bool>,
    /// When it last answered a probe or last moved traffic, epoch ms.
    last_seen: Option<i64>,
}

/// The probe part of a [`Device`], `null` for a LAN-only device.
#[derive(Debug, Default, Serialize)]
struct ProbeFields {
    up: Option<bool>,
    rtt_ms: Option<f64>,
    loss_percent: Option<f64>,
    jitter_ms: Option<f64>,
    uptime_percent: BTreeMap<&'static str, Option<f64>>,
}

impl Device {
    fn lan(d: LanDevice, new: Option<bool>) -> Self {
        let mut out = Self {
            name: d.device.clone(),
            probed: false,
            device: None,
            probe: ProbeFields::default(),
            ip: None,
            mac: None,
            rx_bps: None,
            tx_bps: None,
            rx_bytes: None,
            tx_bytes: None,
            lan_rx_bytes: None,
            lan_tx_bytes: None,
            active: None,
            new: None,
            last_seen: None,
        };
        out.merge_lan(d, new);
        out
    }

    fn probe(p: ProbeDevice) -> Self {
        let mut out = Self::lan(LanDevice::default(), None);
        out.device = None;
        out.name = p.name;
        out.probed = true;
        out.last_seen = p.last_seen;
        out.probe = ProbeFields {
            up: p.up,
            rtt_ms: p.rtt_ms,
            loss_percent: p.loss_percent,
            jitter_ms: p.jitter_ms,
            uptime_percent: p.uptime_percent,
        };
        out
    }

    fn merge_lan(&mut self, d: LanDevice, new: Option<bool>) {
        let seen = d.seen.map(|t| t.0);
        self.last_seen = self.last_seen.max(seen);
        self.device = Some(d.device);
        self.ip = d.ip;
        self.mac = d.mac;
        self.rx_bps = d.rx_bps;
        self.tx_bps = d.tx_bps;
        self.rx_bytes = Some(d.rx_bytes);
        self.tx_bytes = Some(d.tx_bytes);
        self.lan_rx_bytes = Some(d.lan_rx_bytes);
        self.lan_tx_bytes = Some(d.lan_tx_bytes);
        self.active = d.active;
        self.new = new;
    }
}

/// The addresses a probe target may go by: its name, and the host it probes.
fn addresses<'a>(state: &'a WebState, target: &'a str) -> impl Iterator<Item = &'a str> {
    std::iter::once(target).chain(
        state
            .probe_hosts
            .iter()
            .filter(move |(n, _)| n == target)
            .map(|(_, h)| h.as_str()),
    )
}

/// The LAN device a probe target is, if any: same name, or its host is the device's IP.
fn lan_match(state: &WebState, lan: &BTreeMap<String, LanDevice>, target: &str) -> Option<String> {
    if lan.contains_key(target) {
        return Some(target.to_string());
    }
    addresses(state, target).find_map(|a| {
        lan.values()
            .find(|d| d.ip.as_deref() == Some(a))
            .map(|d| d.device.clone())
    })
}

/// How far back a device must have been recorded not to count as new.
const NEW_WITHIN_MS: i64 = 24 * HOUR_MS;
/// How far back the history is searched for an older record.
const LOOK_BACK_MS: i64 = 7 * 24 * HOUR_MS;

/// Whether any of `keys` has a record older than a day (hours up to a week back, and the
/// minutes of the two hours before the day, which may not be rolled up yet).
fn recorded_before(store: &dyn Store, keys: &[Arc<SeriesKey>], now: Timestamp) -> bool {
    let day = now.add_millis(-NEW_WITHIN_MS);
    keys.iter().any(|k| {
        let hours = store.query_rollup(Tier::Hour, k, now.add_millis(-LOOK_BACK_MS), day);
        let minutes = || store.query_rollup(Tier::Minute, k, day.add_millis(-2 * HOUR_MS), day);
        hours.is_ok_and(|h| !h.is_empty()) || minutes().is_ok_and(|m| !m.is_empty())
    })
}

/// Which of the LAN devices are new, asked of the history in one job; `None` when it could
/// not answer.
async fn new_devices(
    state: &WebState,
    lan: &BTreeMap<String, LanDevice>,
) -> Option<BTreeMap<String, bool>> {
    if lan.is_empty() {
        return Some(BTreeMap::new());
    }
    let asked: Vec<(String, Vec<Arc<SeriesKey>>)> = lan
        .values()
        .map(|d| (d.device.clone(), d.keys.clone()))
        .collect();
    let now = state.clock.wall();
    ask(state.history.as_ref(), move |store| {
        asked
            .into_iter()
            .map(|(name, keys)| (name, !recorded_before(store, &keys, now)))
            .collect()
    })
    .await
    .ok()
}

/// `GET /api/v1/devices`: every LAN device and every probe target (configured ones before
/// their first round too), one entry for a device that is both, sorted by name.
pub async fn devices(State(state): State<WebState>) -> Json<Vec<Device>> {
    let mut lan = lan_devices(&state);
    let new = new_devices(&state, &lan).await;
    let is_new = |name: &str| new.as_ref().and_then(|n| n.get(name).copied());
    let mut out: Vec<Device> = Vec::new();
    if let Some(target) = instance_label(&state, Role::ProbeUp) {
        let ups = by_label(&state, Role::ProbeUp, target);
        let mut names: Vec<&String> = ups.keys().chain(state.devices.iter()).collect();
        names.sort();
        names.dedup();
        for n in names {
            let mut d = Device::probe(probe_device(&state, target, n, ups.get(n).copied()));
            if let Some(l) = lan_match(&state, &lan, n).and_then(|m| lan.remove(&m)) {
                let new = is_new(&l.device);
                d.merge_lan(l, new);
            }
            out.push(d);
        }
    }
    out.extend(lan.into_values().map(|l| {
        let new = is_new(&l.device);
        Device::lan(l, new)
    }));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Json(out)
}
