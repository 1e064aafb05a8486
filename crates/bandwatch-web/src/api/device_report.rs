//! `GET /api/v1/devices/report?since=24h`: each LAN device's bytes over a range, summed
//! exactly from the stored deltas ([`bandwatch_store::delta_sum`]), as JSON or CSV — the
//! local report a central program collects, as the old per-device monitor's companion
//! service served it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bandwatch_core::{Catalog, Role, SeriesKey, Timestamp};
use bandwatch_store::{delta_sum, Store, MINUTE_MS};
use serde::Serialize;

use super::devices::{LABEL_IP, LABEL_MAC};
use super::params::Params;
use crate::error::{ApiError, ApiResult};
use crate::history::ask;
use crate::params;
use crate::state::WebState;

/// One device's bytes over the range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReportRow {
    /// Its `device` label.
    pub device: String,
    /// Its address in the newest of its series.
    pub ip: String,
    /// Its hardware address (empty when none was seen).
    pub mac: String,
    /// Every address it had in the range.
    pub ips: Vec<String>,
    /// Bytes downloaded from the internet.
    pub rx_bytes: u64,
    /// Bytes uploaded to the internet.
    pub tx_bytes: u64,
    /// Bytes received from LAN hosts.
    pub lan_rx_bytes: u64,
    /// Bytes sent to LAN hosts.
    pub lan_tx_bytes: u64,
}

impl ReportRow {
    fn internet(&self) -> u64 {
        self.rx_bytes.saturating_add(self.tx_bytes)
    }
}

/// The report.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Range start (a whole minute), epoch ms.
    pub start: i64,
    /// Range end (now), epoch ms.
    pub end: i64,
    /// Devices with traffic in the range, most internet bytes first.
    pub devices: Vec<ReportRow>,
}

/// The byte roles a row sums, in the row's field order.
const ROLES: [Role; 4] = [
    Role::DeviceRxBytes,
    Role::DeviceTxBytes,
    Role::DeviceLanRxBytes,
    Role::DeviceLanTxBytes,
];

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped, whole
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.min(2f64.powi(63)).round() as u64
    } else {
        0
    }
}

/// Sums every device series of the store over `[from, to)`.
pub fn build(
    store: &dyn Store,
    catalog: &Catalog,
    from: Timestamp,
    to: Timestamp,
) -> bandwatch_store::Result<Vec<ReportRow>> {
    let names: Vec<&str> = ROLES.iter().map(|r| catalog.name_of(*r)).collect();
    let label = catalog
        .by_role(Role::DeviceRxBytes)
        .and_then(|m| m.labels.first().copied());
    let Some(label) = label else {
        return Ok(Vec::new());
    };
    let mut rows: BTreeMap<String, (ReportRow, u64)> = BTreeMap::new();
    for key in store.series()? {
        let Some(slot) = names.iter().position(|n| !n.is_empty() && *n == key.metric) else {
            continue;
        };
        let Some(device) = key.labels.get(label) else {
            continue;
        };
        let sum = delta_sum(store, &key, from, to)?;
        if sum.samples == 0 {
            continue;
        }
        let (row, most) = rows.entry(device.to_string()).or_insert_with(|| {
            (
                ReportRow {
                    device: device.to_string(),
                    ..ReportRow::default()
                },
                0,
            )
        });
        let bytes = whole(sum.sum);
        let field = match slot {
            0 => &mut row.rx_bytes,
            1 => &mut row.tx_bytes,
            2 => &mut row.lan_rx_bytes,
            _ => &mut row.lan_tx_bytes,
        };
        *field = field.saturating_add(bytes);
        note_address(row, most, &key, sum.samples);
    }
    let mut out: Vec<ReportRow> = rows.into_values().map(|(r, _)| r).collect();
    out.sort_by(|a, b| {
        b.internet()
            .cmp(&a.internet())
            .then(a.device.cmp(&b.device))
    });
    Ok(out)
}

/// Keeps the address of the series with the most samples in the range (the one the device
/// used most), and every address seen.
fn note_address(row: &mut ReportRow, most: &mut u64, key: &SeriesKey, samples: u64) {
    let ip = key.labels.get(LABEL_IP).unwrap_or_default();
    if !ip.is_empty() && !row.ips.iter().any(|i| i == ip) {
        row.ips.push(ip.to_string());
        row.ips.sort();
    }
    if samples > *most {
        *most = samples;
        row.ip = ip.to_string();
        row.mac = key.labels.get(LABEL_MAC).unwrap_or_default().to_string();
    }
}

/// `device,ip,mac,rx_bytes,tx_bytes,lan_rx_bytes,lan_tx_bytes`, one row per device.
pub fn csv(report: &Report) -> String {
    let mut out = String::from("device,ip,mac,rx_bytes,tx_bytes,lan_rx_bytes,lan_tx_bytes\n");
    for r in &report.devices {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            super::series::csv_field(&r.device),
            super::series::csv_field(&r.ip),
            super::series::csv_field(&r.mac),
            r.rx_bytes,
            r.tx_bytes,
            r.lan_rx_bytes,
            r.lan_tx_bytes
        );
    }
    out
}

/// Reads `since`: a duration back from now (`24h`, `7d`), or a time (`-24h`, RFC 3339, epoch
/// ms), rounded down to its minute.
fn since(p: &Params, now: Timestamp) -> ApiResult<Timestamp> {
    let text = p.get("since").unwrap_or("24h");
    let looks_like_time =
        text.starts_with('-') || text.contains('T') || text.eq_ignore_ascii_case("now");
    let at = if looks_like_time {
        params::time("since", text, now)?
    } else {
        now.add_millis(-params::millis(params::duration("since", text)?))
    };
    if at >= now {
        return Err(ApiError::bad_request(format!(
            "parameter 'since': '{text}' is not in the past; use e.g. since=24h or since=7d"
        )));
    }
    Ok(Timestamp(at.0.div_euclid(MINUTE_MS) * MINUTE_MS))
}

/// Whether the answer is CSV: `format=csv`, or no `format` and an `Accept` that asks for it.
fn wants_csv(p: &Params, headers: &HeaderMap) -> ApiResult<bool> {
    match p.get("format").map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::bad_request(format!(
            "parameter 'format': '{other}' is not csv or json"
        ))),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))),
    }
}

/// `GET /api/v1/devices/report`.
pub async fn report(
    State(state): State<WebState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = Params::parse(q.as_deref(), &["since", "format"])?;
    let now = state.clock.wall();
    let from = since(&p, now)?;
    if now.0.saturating_sub(from.0) > state.limits.hour_ms {
        return Err(ApiError::bad_request(format!(
            "parameter 'since': history is kept for {} days at most; ask for less",
            state.limits.hour_ms / 86_400_000
        )));
    }
    let csv_wanted = wants_csv(&p, &headers)?;
    let catalog = state.catalog;
    // The open minute's samples are included: its bucket starts before `now + 1 ms`.
    let to = now.add_millis(1);
    let devices = ask(state.history.as_ref(), move |store| {
        build(store, catalog, from, to)
    })
    .await?
    .map_err(|e| ApiError::unavailable(format!("the history could not be read: {e}")))?;
    let report = Report {
        start: from.0,
        end: now.0,
        devices,
    };
    if csv_wanted {
        let name = format!(
            "attachment; filename=\"bandwatch-devices-{}.csv\"",
            report.start
        );
        let disposition =
            HeaderValue::from_str(&name).unwrap_or_else(|_| HeaderValue::from_static("attachment"));
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            csv(&report),
        )
            .into_response());
    }
    Ok(axum::Json(report).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_plain_and_defused() {
        let r = Report {
            start: 0,
            end: 1,
            devices: vec![ReportRow {
                device: "=Laptop, Anna's".into(),
                ip: "192.168.1.20".into(),
                mac: "aa:bb:cc:dd:ee:ff".into(),
                ips: vec![],
                rx_bytes: 1_500,
                tx_bytes: 20,
                lan_rx_bytes: 3,
                lan_tx_bytes: 4,
            }],
        };
        assert_eq!(
            csv(&r),
            "device,ip,mac,rx_bytes,tx_bytes,lan_rx_bytes,lan_tx_bytes\n\"'=Laptop, Anna's\",192.168.1.20,aa:bb:cc:dd:ee:ff,1500,20,3,4\n"
        );
    }

    #[test]
    fn since_is_a_duration_or_a_time_rounded_to_its_minute() {
        let now = Timestamp(1_764_780_030_000);
        let p = |q: &str| Params::parse(Some(q), &["since"]).expect("params");
        assert_eq!(since(&p("since=1h"), now).expect("1h").0, 1_764_776_400_000);
        assert_eq!(
            since(&p("since=-1h"), now).expect("-1h").0,
            1_764_776_400_000
        );
        assert_eq!(since(&p(""), now).expect("default").0, 1_764_693_600_000);
        let e = since(&p("since=yesterday"), now).expect_err("bad");
        assert!(e.message.contains("parameter 'since'"), "{e}");
        assert!(since(&p("since=0s"), now).is_err());
    }
}
