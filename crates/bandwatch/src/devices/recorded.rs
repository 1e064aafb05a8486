//! `bandwatch devices` without `--pcap`: each LAN device as the history recorded it — its
//! last rate, bytes today and this month (exact sums of the stored deltas), time active
//! today, when it was last seen, and its bytes in the last `devices.threshold_window` against
//! its registry limit. Pure over a [`Store`] and the instants given, so a generated history
//! gives a fixed table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use bandwatch_collect::catalog;
use bandwatch_collect::devices::metric::{LABEL_DEVICE, LABEL_IP, LABEL_MAC};
use bandwatch_collect::devices::names::parse_mac;
use bandwatch_collect::devices::{Registry, SOURCE_NAME};
use bandwatch_core::human::{escape_control, format};
use bandwatch_core::{Labels, Role, SeriesKey, Timestamp, Unit};
use bandwatch_store::{delta_sum, last_time_above, Store, Tier, ELAPSED_METRIC, MINUTE_MS};
use serde::Serialize;

use crate::cli::DeviceSort;

/// The instants the columns count from.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// Now.
    pub now: Timestamp,
    /// The start of today (local midnight).
    pub day: Timestamp,
    /// The start of this month.
    pub month: Timestamp,
    /// Devices last seen before this are left out (`--since`).
    pub since: Timestamp,
    /// `devices.threshold_window`.
    pub window: Duration,
}

/// Where a device stands against its `bandwidth_threshold`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// Bytes (download + upload) in the last threshold window.
    pub bytes: u64,
    /// Its limit for that window (`null`: none).
    pub limit: Option<u64>,
    /// True when `bytes` is above the limit.
    pub over: bool,
}

/// One device's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedDevice {
    /// Its `device` label.
    pub device: String,
    /// Its newest address.
    pub ip: String,
    /// Its hardware address (empty when none was seen).
    pub mac: String,
    /// Download rate of its last recorded interval, bits/s (0 when it was not seen in the
    /// last two minutes).
    pub rx_bps: f64,
    /// Upload rate of its last recorded interval, bits/s.
    pub tx_bps: f64,
    /// Bytes downloaded today.
    pub today_rx_bytes: u64,
    /// Bytes uploaded today.
    pub today_tx_bytes: u64,
    /// Bytes downloaded this month.
    pub month_rx_bytes: u64,
    /// Bytes uploaded this month.
    pub month_tx_bytes: u64,
    /// Seconds it was active today.
    pub active_today_s: u64,
    /// When it last moved traffic, RFC 3339.
    pub last_seen: Option<String>,
    /// Its bytes in the last threshold window against its limit.
    pub threshold: Threshold,
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, whole
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}

fn floor_minute(t: Timestamp) -> Timestamp {
    Timestamp(t.0.div_euclid(MINUTE_MS) * MINUTE_MS)
}

/// A rate is "now" only if its sample is this recent.
const NOW_WITHIN_MS: i64 = 2 * MINUTE_MS;

/// The series of each device, by role.
#[derive(Default)]
struct Keys {
    by_role: BTreeMap<Role, Vec<SeriesKey>>,
}

/// Every device with traffic recorded since `span.since`, sorted as asked.
pub fn devices(
    store: &dyn Store,
    registry: &Registry,
    span: Span,
    sort: DeviceSort,
) -> anyhow::Result<Vec<RecordedDevice>> {
    let cat = catalog();
    let roles = [Role::DeviceRxBytes, Role::DeviceTxBytes, Role::DeviceActive];
    let mut keys: BTreeMap<String, Keys> = BTreeMap::new();
    for key in store.series()? {
        let Some(role) = roles.iter().find(|r| cat.name_of(**r) == key.metric) else {
            continue;
        };
        let Some(device) = key.labels.get(LABEL_DEVICE) else {
            continue;
        };
        keys.entry(device.to_string())
            .or_default()
            .by_role
            .entry(*role)
            .or_default()
            .push(key);
    }
    let mut out = Vec::new();
    for (device, k) in keys {
        if let Some(row) = device_row(store, registry, span, device, &k)? {
            out.push(row);
        }
    }
    sort_rows(&mut out, sort);
    Ok(out)
}

fn device_row(
    store: &dyn Store,
    registry: &Registry,
    span: Span,
    device: String,
    k: &Keys,
) -> anyhow::Result<Option<RecordedDevice>> {
    let end = span.now.add_millis(1);
    let none = Vec::new();
    let of = |r: Role| k.by_role.get(&r).unwrap_or(&none);
    let sum = |r: Role, from: Timestamp| -> anyhow::Result<u64> {
        let mut total = 0.0;
        for key in of(r) {
            total += delta_sum(store, key, floor_minute(from), end)?.sum;
        }
        Ok(whole(total))
    };
    // When it last moved anything, and the series that did (its newest address).
    let mut seen: Option<(Timestamp, &SeriesKey)> = None;
    for key in of(Role::DeviceRxBytes)
        .iter()
        .chain(of(Role::DeviceTxBytes))
    {
        if let Some(t) = last_time_above(store, key, 0.0, span.since, end)? {
            if seen.is_none_or(|(s, _)| t > s) {
                seen = Some((t, key));
            }
        }
    }
    let Some((seen_at, newest)) = seen else {
        return Ok(None);
    };
    let label = |l: &str| newest.labels.get(l).unwrap_or_default().to_string();
    let (ip, mac) = (label(LABEL_IP), label(LABEL_MAC));
    let frame = last_frame(store, span.now)?;
    let rate = |r: Role| last_rate(store, of(r), frame);
    let window_from = span
        .now
        .add_millis(-i64::try_from(span.window.as_millis()).unwrap_or(i64::MAX));
    let window_bytes =
        sum(Role::DeviceRxBytes, window_from)? + sum(Role::DeviceTxBytes, window_from)?;
    let limit = registry
        .limits_for(parse_mac(&mac), ip.parse().ok())
        .bandwidth_threshold;
    Ok(Some(RecordedDevice {
        rx_bps: rate(Role::DeviceRxBytes)?,
        tx_bps: rate(Role::DeviceTxBytes)?,
        today_rx_bytes: sum(Role::DeviceRxBytes, span.day)?,
        today_tx_bytes: sum(Role::DeviceTxBytes, span.day)?,
        month_rx_bytes: sum(Role::DeviceRxBytes, span.month)?,
        month_tx_bytes: sum(Role::DeviceTxBytes, span.month)?,
        active_today_s: active_seconds(store, of(Role::DeviceActive), span.day, end)?,
        last_seen: Some(seen_at.to_rfc3339()),
        threshold: Threshold {
            bytes: window_bytes,
            limit,
            over: limit.is_some_and(|l| window_bytes > l),
        },
        device,
        ip,
        mac,
    }))
}

/// The devices source's newest recorded frame within the last two minutes: its time and
/// elapsed seconds.
fn last_frame(store: &dyn Store, now: Timestamp) -> anyhow::Result<Option<(Timestamp, f64)>> {
    let key = SeriesKey::new(
        ELAPSED_METRIC,
        Labels::from_pairs([("source", SOURCE_NAME)]),
    );
    let from = now.add_millis(-NOW_WITHIN_MS);
    Ok(store
        .query_raw(&key, from, now.add_millis(1))?
        .last()
        .copied()
        .filter(|(_, s)| *s > 0.0))
}

/// The rate of `keys` in the source's newest frame (bits/s): the delta over that frame's
/// elapsed time; 0 when the device moved nothing in it.
fn last_rate(
    store: &dyn Store,
    keys: &[SeriesKey],
    frame: Option<(Timestamp, f64)>,
) -> anyhow::Result<f64> {
    let Some((t, elapsed)) = frame else {
        return Ok(0.0);
    };
    let mut bytes = 0.0;
    for key in keys {
        bytes += store
            .query_raw(key, t, t.add_millis(1))?
            .iter()
            .map(|(_, v)| v)
            .sum::<f64>();
    }
    Ok(bytes * 8.0 / elapsed)
}

/// Seconds active in `[from, to)`: each minute counts for the share of its samples that
/// said active (a minute without samples was idle: the source reports an idle device once).
fn active_seconds(
    store: &dyn Store,
    keys: &[SeriesKey],
    from: Timestamp,
    to: Timestamp,
) -> anyhow::Result<u64> {
    let mut minutes: BTreeMap<i64, f64> = BTreeMap::new();
    for key in keys {
        for p in store.query_rollup(Tier::Minute, key, floor_minute(from), to)? {
            let share = minutes.entry(p.bucket.0).or_insert(0.0);
            *share = share.max(p.mean());
        }
    }
    Ok(whole(minutes.values().sum::<f64>() * 60.0))
}

fn sort_rows(rows: &mut [RecordedDevice], sort: DeviceSort) {
    let ip = |r: &RecordedDevice| {
        r.ip.parse::<std::net::IpAddr>()
            .map_or((true, std::net::IpAddr::from([0u8; 4])), |a| (false, a))
    };
    match sort {
        DeviceSort::Rx => rows.sort_by_key(|r| (std::cmp::Reverse(r.today_rx_bytes), ip(r))),
        DeviceSort::Tx => rows.sort_by_key(|r| (std::cmp::Reverse(r.today_tx_bytes), ip(r))),
        DeviceSort::Total => rows.sort_by_key(|r| {
            (
                std::cmp::Reverse(r.today_rx_bytes + r.today_tx_bytes),
                ip(r),
            )
        }),
        DeviceSort::Ip => rows.sort_by_key(ip),
    }
}

/// The table for people.
pub fn table(rows: &[RecordedDevice]) -> String {
    const HEAD: [&str; 9] = [
        "DEVICE",
        "IP",
        "MAC",
        "NOW ↓/↑",
        "TODAY",
        "MONTH",
        "ACTIVE",
        "LAST SEEN",
        "THRESHOLD",
    ];
    let b = |v: u64| format(Unit::Bytes, v as f64);
    let rate = |v: f64| format(Unit::BitsPerSecond, v);
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            let t = &r.threshold;
            let threshold = match t.limit {
                Some(l) => format!(
                    "{} {} / {}",
                    if t.over { "OVER" } else { "ok" },
                    b(t.bytes),
                    b(l)
                ),
                None => format!("{} / -", b(t.bytes)),
            };
            [
                escape_control(&r.device).into_owned(),
                if r.ip.is_empty() {
                    "-".into()
                } else {
                    r.ip.clone()
                },
                if r.mac.is_empty() {
                    "-".into()
                } else {
                    r.mac.clone()
                },
                format!("{} / {}", rate(r.rx_bps), rate(r.tx_bps)),
                b(r.today_rx_bytes + r.today_tx_bytes),
                b(r.month_rx_bytes + r.month_tx_bytes),
                active(r.active_today_s),
                r.last_seen.clone().unwrap_or_else(|| "never".into()),
                threshold,
            ]
        })
        .collect();
    let mut width = HEAD.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: [&str; 9]| {
        let mut l = String::new();
        for (i, (c, w)) in cols.iter().zip(width).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            // Names and addresses to the left, amounts to the right.
            if (3..7).contains(&i) {
                let _ = write!(l, "{}{c}  ", " ".repeat(pad));
            } else {
                let _ = write!(l, "{c}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(HEAD);
    for row in &cells {
        line(row.each_ref().map(String::as_str));
    }
    out
}

/// `2h 05m`, `12m`, `0m`.
fn active(secs: u64) -> String {
    let m = secs / 60;
    if m >= 60 {
        format!("{}h {:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests;
