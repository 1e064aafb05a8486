//! What the API tests share: the router's state over a real SQLite history and a live
//! snapshot, and one-request helpers that read the answer.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{
    alert_id, AlertEvent, AlertState, EventKind, FakeClock, Frame, Labels, SampleKind, Seconds,
    SeriesKey, Severity, SinkBoard, SinkCounters, Snapshot, SourceBoard, Timestamp,
};
use bandwatch_store::{SqliteOptions, SqliteStore, Store, ELAPSED_METRIC, HOUR_MS};
use bandwatch_web::auth::AllowedHosts;
use bandwatch_web::{Direct, Limits, Live, PageConfig, PageThresholds, WebState};
use serde_json::Value;
use tower::ServiceExt as _;

/// Where the state says the server listens.
pub const LISTEN: &str = "127.0.0.1:8080";
/// The tests' "now", epoch ms.
pub const NOW: i64 = 1_764_780_000_000;
/// Markup in names, which must travel as text.
pub const XSS: &str = "<img src=x onerror=alert(1)>";

/// A series key from a metric and label pairs.
pub fn key(metric: &str, labels: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(labels.iter().copied()),
    ))
}

/// 120 netdev frames, one a second up to NOW, with eth0 receiving 1,000 bytes each second
/// except that every 10th frame covers 2 s and carries 4,000 bytes.
pub fn netdev_frames() -> Vec<Frame> {
    (0..120)
        .map(|i| {
            let ts = Timestamp(NOW - (120 - i) * 1000);
            let (bytes, secs) = if i % 10 == 0 {
                (4000.0, 2.0)
            } else {
                (1000.0, 1.0)
            };
            let mut f = Frame::new("netdev", ts, Seconds(secs));
            f.push(
                key("net_rx_bytes", &[("iface", "eth0")]),
                bytes,
                SampleKind::Delta,
            );
            f.push(
                key("net_rx_bits_per_second", &[("iface", "eth0")]),
                bytes * 8.0 / secs,
                SampleKind::Rate,
            );
            f.push(
                key(ELAPSED_METRIC, &[("source", "netdev")]),
                secs,
                SampleKind::Gauge,
            );
            f
        })
        .collect()
}

/// The one alert the history holds: download on eth0 fired a minute ago.
pub fn alert_event() -> AlertEvent {
    let series = SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0");
    let started = Timestamp(NOW - 60_000);
    AlertEvent {
        id: alert_id("download-threshold", &series, started),
        rule: "download-threshold".into(),
        series,
        kind: EventKind::Fired,
        state: AlertState::Firing,
        severity: Severity::High,
        value: 2e8,
        reference: 1e8,
        message: format!("download on {XSS} is high"),
        started,
        ended: None,
        at: started,
    }
}

/// What the snapshot holds besides the netdev counters: a probe round (with the last-seen
/// gauges the agent adds) and eth0's link state.
fn live_frames() -> [Frame; 2] {
    let mut probe = Frame::new("probe", Timestamp(NOW), Seconds(1.0));
    probe.push(key("probe_up", &[("target", XSS)]), 1.0, SampleKind::Gauge);
    // The agent adds when each target last answered; `zz-dark` never has, `zz-quiet` did a
    // minute ago.
    probe.push(
        key("probe_last_seen_timestamp_seconds", &[("target", XSS)]),
        NOW as f64 / 1000.0,
        SampleKind::Gauge,
    );
    probe.push(
        key("probe_up", &[("target", "zz-dark")]),
        0.0,
        SampleKind::Gauge,
    );
    probe.push(
        key("probe_up", &[("target", "zz-quiet")]),
        0.0,
        SampleKind::Gauge,
    );
    probe.push(
        key(
            "probe_last_seen_timestamp_seconds",
            &[("target", "zz-quiet")],
        ),
        (NOW - 60_000) as f64 / 1000.0,
        SampleKind::Gauge,
    );
    probe.push(
        key("probe_rtt_seconds", &[("target", XSS), ("stat", "avg")]),
        0.0021,
        SampleKind::Gauge,
    );
    // eth0's link as sysfs tells it (the frames above carry only its counters).
    let mut link = Frame::new("netdev", Timestamp(NOW - 1000), Seconds(1.0));
    link.push(key("net_up", &[("iface", "eth0")]), 1.0, SampleKind::Gauge);
    link.push(
        key("net_mtu_bytes", &[("iface", "eth0")]),
        1500.0,
        SampleKind::Gauge,
    );
    [probe, link]
}

/// The state with the clock at NOW.
pub fn state(token: Option<&str>) -> WebState {
    state_on(token, &FakeClock::new(Timestamp(NOW)))
}

/// The state over a history, a snapshot fed as the agent feeds it, and boards with one
/// source and one sink that dropped a frame; staleness judged on `clock`.
pub fn state_on(token: Option<&str>, clock: &FakeClock) -> WebState {
    let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    store.write(&netdev_frames()).expect("write");
    store.record_alerts(&[alert_event()]).expect("alerts");
    let snapshot = Snapshot::new(Arc::new(clock.clone()), DEFAULT_STALE_AFTER);
    let (sources, sinks) = (SourceBoard::default(), SinkBoard::default());
    for f in live_frames() {
        snapshot.observe(&f);
    }
    for f in netdev_frames() {
        snapshot.observe(&f);
        sources.record(
            &f.source,
            std::time::Duration::from_millis(2),
            true,
            Some(f.ts),
        );
    }
    let store_sink = SinkCounters::default();
    store_sink.add_written(120);
    store_sink.add_dropped(1);
    sinks.register("store", store_sink);
    let catalog = bandwatch_collect::catalog();
    WebState {
        live: Live::default(),
        snapshot: snapshot.clone(),
        catalog,
        sources: sources.clone(),
        sinks: sinks.clone(),
        history: Arc::new(Direct::new(Box::new(store))),
        page: Arc::new(PageConfig {
            version: "test".into(),
            host: "testhost".into(),
            interval_s: 1.0,
            auto_refresh_s: 2.0,
            auto_refresh: true,
            thresholds: PageThresholds {
                upload_bps: 5e7,
                download_bps: 1e8,
                cpu_percent: 90.0,
                memory_percent: 90.0,
                disk_percent: 90.0,
            },
            raw_retention_s: 172_800,
            token_required: token.is_some(),
            read_only: false,
        }),
        limits: Limits {
            raw_ms: 48 * HOUR_MS,
            minute_ms: 30 * 24 * HOUR_MS,
            hour_ms: 2 * 365 * 24 * HOUR_MS,
            interval_ms: 1000,
        },
        allowed_hosts: AllowedHosts::new(LISTEN.parse().expect("listen"), &["bandwatch.test"]),
        token: token.map(Arc::from),
        check_matcher: Arc::new(|m: &str| {
            if m.contains('=') || !m.is_empty() {
                Ok(())
            } else {
                Err("the matcher is empty".into())
            }
        }),
        clock: Arc::new(clock.clone()),
        devices: Arc::from(vec!["router".to_string()]),
        probe_hosts: Arc::from(vec![("router".to_string(), "192.168.1.1".to_string())]),
        exporter: Some(bandwatch_export::prometheus::Exporter::new(
            snapshot, catalog, sources, sinks,
        )),
    }
}

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A 400-class error with a JSON body whose message contains `needle`.
    pub fn error(&self, status: StatusCode, needle: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let v = self.json();
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        assert_eq!(v["status"], status.as_u16());
    }
}

/// One request through a fresh router.
pub async fn send(state: &WebState, req: Request<Body>) -> Answer {
    let resp = bandwatch_web::router(state.clone())
        .oneshot(req)
        .await
        .expect("router answers");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// `GET uri`.
pub async fn get(state: &WebState, uri: &str) -> Answer {
    send(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

/// `POST uri` with a JSON body and the extra headers.
pub async fn post(state: &WebState, uri: &str, body: &str, extra: &[(&str, &str)]) -> Answer {
    let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    send(
        state,
        req.body(Body::from(body.to_string())).expect("request"),
    )
    .await
}
