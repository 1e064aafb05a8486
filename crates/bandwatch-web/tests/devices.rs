//! One device identity: `/api/v1/devices` lists LAN devices (from the devices source's series)
//! and probe targets, one entry for a device that is both; `/api/v1/devices/report` sums each
//! device's stored bytes over a range exactly, as JSON or CSV.

mod support;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use bandwatch_core::{Frame, SampleKind, Seconds, Timestamp};
use bandwatch_store::{SqliteOptions, SqliteStore, Store};
use bandwatch_web::{Direct, WebState};
use support::{get, key, send, state, NOW};

const MINUTE: i64 = 60_000;
const LAPTOP: [(&str, &str); 3] = [
    ("device", "Laptop"),
    ("ip", "192.168.1.20"),
    ("mac", "aa:bb:cc:dd:ee:01"),
];
/// The router's LAN address: probed as target `router` (host 192.168.1.1).
const ROUTER: [(&str, &str); 3] = [
    ("device", "192.168.1.1"),
    ("ip", "192.168.1.1"),
    ("mac", "aa:bb:cc:dd:ee:02"),
];

fn phone(ip: &str) -> [(&str, &str); 3] {
    [
        ("device", "Phone"),
        ("ip", ip),
        ("mac", "aa:bb:cc:dd:ee:03"),
    ]
}

/// A device's labels, and its bytes down and up in one frame.
type Moved<'a> = ([(&'a str, &'a str); 3], f64, f64);

/// One devices frame `k` minutes before NOW.
fn frame(k: i64, devices: &[Moved<'_>]) -> Frame {
    let mut f = Frame::new("devices", Timestamp(NOW - k * MINUTE), Seconds(60.0));
    for (labels, rx, tx) in devices {
        f.push(key("device_rx_bytes", labels), *rx, SampleKind::Delta);
        f.push(key("device_tx_bytes", labels), *tx, SampleKind::Delta);
        f.push(key("device_lan_rx_bytes", labels), 1.0, SampleKind::Delta);
        f.push(key("device_lan_tx_bytes", labels), 2.0, SampleKind::Delta);
        f.push(
            key("device_rx_bits_per_second", labels),
            rx * 8.0 / 60.0,
            SampleKind::Rate,
        );
        f.push(
            key("device_tx_bits_per_second", labels),
            tx * 8.0 / 60.0,
            SampleKind::Rate,
        );
        f.push(
            key("device_active", labels),
            f64::from(u8::from(rx + tx > 0.0)),
            SampleKind::Gauge,
        );
    }
    f
}

/// 30 hours of a laptop (1,000 B down, 10 B up a minute) and the router's LAN side (1 B up a
/// minute); a phone seen only in the last 10 minutes, which changed address 5 minutes ago.
fn frames() -> Vec<Frame> {
    (0..=1800)
        .rev()
        .map(|k| {
            let mut d = vec![(LAPTOP, 1000.0, 10.0), (ROUTER, 0.0, 1.0)];
            if k <= 10 {
                let ip = if k > 5 {
                    "192.168.1.30"
                } else {
                    "192.168.1.31"
                };
                d.push((phone(ip), 500.0, 50.0));
            }
            frame(k, &d)
        })
        .collect()
}

fn with_devices() -> WebState {
    let mut s = state(None);
    let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    let all = frames();
    store.write(&all).expect("write");
    store.maintain(Timestamp(NOW)).expect("maintain");
    for f in &all {
        s.snapshot.observe(f);
    }
    s.history = Arc::new(Direct::new(Box::new(store)));
    s
}

#[tokio::test]
async fn lan_devices_and_probe_targets_are_one_list() {
    let s = with_devices();
    let a = get(&s, "/api/v1/devices").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let list = a.json();
    let list = list.as_array().expect("array");
    let find = |name: &str| {
        list.iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {list:?}"))
    };
    let laptop = find("Laptop");
    assert_eq!(laptop["ip"], "192.168.1.20");
    assert_eq!(laptop["mac"], "aa:bb:cc:dd:ee:01");
    assert_eq!(laptop["probed"], false);
    assert_eq!(laptop["rx_bytes"], 1_801_000, "every delta since the start");
    assert!((laptop["rx_bps"].as_f64().expect("rate") - 1000.0 * 8.0 / 60.0).abs() < 1e-9);
    assert_eq!(laptop["active"], true);
    assert_eq!(laptop["new"], false, "recorded 30 hours ago");
    assert_eq!(laptop["last_seen"], NOW);
    assert!(laptop["up"].is_null(), "not probed: {laptop}");
    // The probe target `router` probes 192.168.1.1, the LAN device of that address: one entry.
    let router = find("router");
    assert_eq!(router["probed"], true);
    assert_eq!(router["device"], "192.168.1.1");
    assert_eq!(router["tx_bytes"], 1801);
    assert!(
        !list.iter().any(|d| d["name"] == "192.168.1.1"),
        "merged, not listed twice: {list:?}"
    );
    // The phone: one device over both addresses, its newest address shown, new today.
    let phone = find("Phone");
    assert_eq!(phone["ip"], "192.168.1.31");
    assert_eq!(phone["rx_bytes"], 11 * 500);
    assert_eq!(phone["new"], true);
    // The probe targets keep their fields.
    let dark = find("zz-dark");
    assert_eq!(dark["up"], false);
    assert!(
        dark["device"].is_null() && dark["rx_bps"].is_null(),
        "{dark}"
    );
}

#[tokio::test]
async fn the_report_sums_the_stored_deltas_exactly() {
    let s = with_devices();
    let a = get(&s, "/api/v1/devices/report?since=24h").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let r = a.json();
    assert_eq!(r["start"], NOW - 24 * 60 * MINUTE);
    let rows = r["devices"].as_array().expect("devices");
    assert_eq!(rows[0]["device"], "Laptop", "most bytes first: {rows:?}");
    // Minutes 0..=1440 back: 1,441 samples.
    assert_eq!(rows[0]["rx_bytes"], 1_441_000);
    assert_eq!(rows[0]["tx_bytes"], 14_410);
    assert_eq!(rows[0]["lan_rx_bytes"], 1441);
    assert_eq!(rows[0]["lan_tx_bytes"], 2882);
    let phone = rows.iter().find(|d| d["device"] == "Phone").expect("phone");
    assert_eq!(phone["rx_bytes"], 11 * 500);
    assert_eq!(
        phone["ips"],
        serde_json::json!(["192.168.1.30", "192.168.1.31"])
    );
    // The last 5 minutes: minutes 0..=5 (6 samples).
    let recent = get(&s, "/api/v1/devices/report?since=-5m").await.json();
    assert_eq!(recent["devices"][0]["rx_bytes"], 6000, "{recent}");

    let csv = get(&s, "/api/v1/devices/report?since=24h&format=csv").await;
    assert!(csv.headers[header::CONTENT_TYPE]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/csv")));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("device,ip,mac,rx_bytes,tx_bytes,lan_rx_bytes,lan_tx_bytes")
    );
    assert_eq!(
        lines.next(),
        Some("Laptop,192.168.1.20,aa:bb:cc:dd:ee:01,1441000,14410,1441,2882")
    );
    let accept = send(
        &s,
        Request::get("/api/v1/devices/report")
            .header(header::ACCEPT, "text/csv")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(accept.body, csv.body, "Accept: text/csv, default since=24h");
}

#[tokio::test]
async fn a_bad_report_request_is_400_naming_the_parameter() {
    let s = with_devices();
    for (uri, needle) in [
        (
            "/api/v1/devices/report?since=yesterday",
            "parameter 'since'",
        ),
        ("/api/v1/devices/report?since=0s", "parameter 'since'"),
        ("/api/v1/devices/report?since=99999d", "parameter 'since'"),
        ("/api/v1/devices/report?format=xml", "parameter 'format'"),
        (
            "/api/v1/devices/report?sinse=1h",
            "unknown parameter 'sinse'",
        ),
    ] {
        get(&s, uri).await.error(StatusCode::BAD_REQUEST, needle);
    }
}
