//! The API in process (the router over a real SQLite history and a live snapshot): answers,
//! exact derived rates, every kind of bad input as a 400 with a JSON error, the token, the
//! cross-origin and content-type rules for POSTs, acknowledgement and silences, exports and
//! the security headers.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{FakeClock, Timestamp};
use bandwatch_store::HOUR_MS;
use support::{get, netdev_frames, post, send, state, state_on, NOW, XSS};
use tower::ServiceExt as _;

#[tokio::test]
async fn raw_rates_are_derived_exactly_from_the_deltas() {
    let s = state(None);
    let a = get(&s, "/api/v1/series?metric=net_rx_bits_per_second&match=iface%3Deth0&start=-120s&end=now&step=10s").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    assert_eq!(v["tier"], "raw");
    assert_eq!(v["step_ms"], 10_000);
    let series = v["series"].as_array().expect("series");
    assert_eq!(series.len(), 1);
    assert_eq!(series[0]["labels"]["iface"], "eth0");
    let points = series[0]["points"].as_array().expect("points");
    assert_eq!(points.len(), 12);
    // Each 10-frame bucket: 9 × 1,000 B over 9 s plus 4,000 B over 2 s = 13,000 B in 11 s.
    for p in points {
        let mean = p[1].as_f64().expect("mean");
        assert!((mean - 13_000.0 * 8.0 / 11.0).abs() < 1e-6, "{p}");
        assert_eq!(p[2].as_f64(), Some(8000.0), "min");
        assert_eq!(p[3].as_f64(), Some(16_000.0), "max");
    }
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_json_reason() {
    let s = state(None);
    let cases = [
        ("/api/v1/series", "parameter 'metric' is required"),
        (
            "/api/v1/series?metric=no_such_metric",
            "unknown metric 'no_such_metric'",
        ),
        ("/api/v1/series?metric=net%20rx", "is not a metric name"),
        (
            "/api/v1/series?metric=net_rx_bytes&start=now&end=-1h",
            "backwards",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&start=-3000d",
            "too large",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&start=-1d&step=1s",
            "raise 'step'",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&step=fast",
            "parameter 'step'",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&start=yesterday",
            "parameter 'start'",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&match=iface",
            "parameter 'match'",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&match=iface%3D~(",
            "invalid regex",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&metrc=x",
            "unknown parameter 'metrc'",
        ),
        (
            "/api/v1/export?metric=net_rx_bytes&format=xml",
            "is not csv or json",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&start=-9223372036854775807&end=9223372036854775807",
            "too large",
        ),
        (
            "/api/v1/series?metric=net_rx_bytes&step=1e30",
            "parameter 'step'",
        ),
        (
            "/api/v1/export?metric=net_rx_bytes&step=1e30",
            "parameter 'step'",
        ),
        // Seconds that saturate to i64::MAX ms overflowed the rounding to whole hours.
        (
            "/api/v1/series?metric=net_rx_bytes&step=9223372036854775807",
            "parameter 'step' is too large",
        ),
        ("/api/v1/alerts?severity=urgent", "parameter 'severity'"),
        ("/api/v1/alerts?state=open", "parameter 'state'"),
        ("/api/v1/alerts?limit=0", "parameter 'limit'"),
    ];
    for (uri, needle) in cases {
        get(&s, uri).await.error(StatusCode::BAD_REQUEST, needle);
    }
    get(&s, "/api/v1/nothing")
        .await
        .error(StatusCode::NOT_FOUND, "no such API endpoint");
}

#[tokio::test]
async fn snapshot_devices_and_config_come_from_the_live_values() {
    let s = state(None);
    let snap = get(&s, "/api/v1/snapshot").await.json();
    assert_eq!(snap["ts"], NOW, "the newest frame (the probe round)");
    assert!(snap["samples"].as_array().is_some_and(|a| a.len() >= 4));
    let devices = get(&s, "/api/v1/devices").await;
    assert!(devices.headers[header::CONTENT_TYPE]
        .to_str()
        .is_ok_and(|t| t.starts_with("application/json")));
    let d = devices.json();
    assert_eq!(
        d[0]["name"], XSS,
        "names travel as JSON strings; the page escapes them"
    );
    assert_eq!(d[0]["up"], true);
    assert!((d[0]["rtt_ms"].as_f64().expect("rtt") - 2.1).abs() < 1e-9);
    assert_eq!(
        d[1]["name"], "router",
        "a configured target is listed before its first round"
    );
    assert!(
        d[1]["up"].is_null() && d[1]["last_seen"].is_null(),
        "{}",
        d[1]
    );
    // Last seen is when the target last answered: now for one that is up, a minute ago for
    // one that went quiet, and null for one that never answered (the defect: `stats`
    // showed a time for it).
    assert_eq!(d[0]["last_seen"], NOW, "{}", d[0]);
    assert_eq!(d[2]["name"], "zz-dark");
    assert!(
        d[2]["up"] == false && d[2]["last_seen"].is_null(),
        "{}",
        d[2]
    );
    assert_eq!(d[3]["name"], "zz-quiet");
    assert_eq!(d[3]["last_seen"], NOW - 60_000, "{}", d[3]);
    let c = get(&s, "/api/v1/config").await.json();
    assert_eq!(c["thresholds"]["download_bps"], 1e8);
    let ifaces = get(&s, "/api/v1/interfaces").await.json();
    assert_eq!(ifaces[0]["name"], "eth0");
    // The MTU is part of an interface's metadata, as a whole number of bytes.
    assert_eq!(ifaces[0]["mtu"], 1500, "{}", ifaces[0]);
    assert_eq!(ifaces[0]["up"], true);
    let doc = get(&s, "/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.0.3");
    for path in [
        "/series",
        "/alerts/{id}/ack",
        "/silences",
        "/stream",
        "/export",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn acknowledging_and_silencing_stick() {
    let s = state(None);
    let list = get(&s, "/api/v1/alerts?severity=high&q=DOWNLOAD")
        .await
        .json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let id = list[0]["id"].as_str().expect("id").to_string();
    assert_eq!(list[0]["labels"]["iface"], "eth0");
    assert!(list[0]["acked_at"].is_null());
    let none = get(&s, "/api/v1/alerts?q=nothing-like-this").await.json();
    assert_eq!(none.as_array().map(Vec::len), Some(0));

    post(&s, "/api/v1/alerts/nope/ack", "{}", &[])
        .await
        .error(StatusCode::NOT_FOUND, "no alert with id 'nope'");
    // An id that is not UTF-8 was axum's plain-text 400.
    post(&s, "/api/v1/alerts/%ff/ack", "{}", &[])
        .await
        .error(StatusCode::BAD_REQUEST, "percent-encode it as UTF-8");
    post(&s, &format!("/api/v1/alerts/{id}/ack"), "{\"by\": 3}", &[])
        .await
        .error(StatusCode::BAD_REQUEST, "JSON body");
    let ok = post(
        &s,
        &format!("/api/v1/alerts/{id}/ack"),
        r#"{"by":"alice"}"#,
        &[],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let after = get(&s, "/api/v1/alerts").await.json();
    assert_eq!(after[0]["acked_by"], "alice");
    assert_eq!(after[0]["acked_at"], NOW);

    post(
        &s,
        "/api/v1/silences",
        r#"{"matcher":"rule=x","duration":"forever"}"#,
        &[],
    )
    .await
    .error(StatusCode::BAD_REQUEST, "parameter 'duration'");
    post(
        &s,
        "/api/v1/silences",
        r#"{"matcher":"rule=x","duration":"1e30"}"#,
        &[],
    )
    .await
    .error(StatusCode::BAD_REQUEST, "parameter 'duration'");
    post(&s, "/api/v1/silences", r#"{"matcher":""}"#, &[])
        .await
        .error(StatusCode::BAD_REQUEST, "field 'matcher'");
    let made = post(
        &s,
        "/api/v1/silences",
        r#"{"matcher":"rule=download-threshold","duration":"2h","comment":"maintenance"}"#,
        &[],
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.json()["until"], NOW + 2 * HOUR_MS);
    let silences = get(&s, "/api/v1/silences").await.json();
    assert_eq!(silences[0]["matcher"], "rule=download-threshold");
}

#[tokio::test]
async fn posts_must_be_json_and_same_origin() {
    let s = state(None);
    let plain = send(
        &s,
        Request::post("/api/v1/silences")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("matcher=rule%3Dx"))
            .expect("request"),
    )
    .await;
    plain.error(StatusCode::BAD_REQUEST, "Content-Type: application/json");
    let cross = post(
        &s,
        "/api/v1/silences",
        r#"{"matcher":"rule=x"}"#,
        &[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:8080"),
        ],
    )
    .await;
    cross.error(StatusCode::FORBIDDEN, "another origin");
}

#[tokio::test]
async fn a_token_guards_the_page_and_the_api() {
    let s = state(Some("s3cret-token"));
    get(&s, "/api/v1/snapshot")
        .await
        .error(StatusCode::UNAUTHORIZED, "token is required");
    assert_eq!(get(&s, "/").await.status, StatusCode::UNAUTHORIZED);
    let with = |auth: &str| {
        Request::get("/api/v1/config")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .expect("req")
    };
    assert_eq!(
        send(&s, with("Bearer wrong-token")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&s, with("Bearer s3cret-token")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&s, "/?token=wrong").await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = get(&s, "/?token=s3cret-token").await;
    assert!(login.status.is_redirection(), "{}", login.status);
    let cookie = login.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value");
    let page = send(
        &s,
        Request::get("/")
            .header(header::COOKIE, pair)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let denied = post(&s, "/api/v1/silences", r#"{"matcher":"rule=x"}"#, &[]).await;
    denied.error(StatusCode::UNAUTHORIZED, "token is required");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let s = state(None);
    for uri in [
        "/",
        "/api/v1/config",
        "/api/v1/series?metric=bad%20name",
        "/assets/app.js",
    ] {
        let a = get(&s, uri).await;
        let csp = a.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("default-src 'self'"),
            "{uri}: {csp}"
        );
        assert!(!csp.contains("unsafe-eval"), "{uri}");
        assert_eq!(
            a.headers[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff",
            "{uri}"
        );
    }
    let page = get(&s, "/").await.body;
    assert!(
        !page.contains("<script>") && !page.contains("onclick="),
        "no inline script in the page"
    );
}

#[tokio::test]
async fn exports_are_downloads_in_both_formats() {
    let s = state(None);
    let csv = get(
        &s,
        "/api/v1/export?metric=net_rx_bytes&start=-120s&end=now&step=1m",
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .is_ok_and(|d| d.starts_with("attachment")));
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("timestamp,series,labels,mean,min,max"));
    assert_eq!(
        lines.count(),
        2 + usize::from((NOW - 120_000) % 60_000 != 0)
    );
    let json = get(
        &s,
        "/api/v1/export?metric=net_rx_bytes&format=json&start=-120s&end=now&step=1m",
    )
    .await;
    assert_eq!(json.json()["metric"], "net_rx_bytes");
}

#[tokio::test]
async fn the_page_files_are_gzipped_when_the_browser_takes_it() {
    let s = state(None);
    for uri in ["/", "/assets/app.js", "/assets/js/chart/chart.js"] {
        let req = Request::get(uri)
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
            .body(Body::empty())
            .expect("req");
        let a = send(&s, req).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}");
        assert_eq!(a.headers[header::CONTENT_ENCODING], "gzip", "{uri}");
        assert_eq!(a.headers[header::VARY], "accept-encoding", "{uri}");
        let plain = get(&s, uri).await;
        assert_eq!(plain.status, StatusCode::OK, "{uri}");
        assert!(
            plain.headers.get(header::CONTENT_ENCODING).is_none(),
            "{uri}: plain text for clients that do not take gzip"
        );
    }
    assert!(get(&s, "/assets/js/chart/chart.js")
        .await
        .body
        .contains("export function createChart"));
    assert_eq!(
        get(&s, "/assets/plotly.min.js").await.status,
        StatusCode::NOT_FOUND,
        "no third-party script"
    );
    assert_eq!(
        get(&s, "/assets/js/chart/nope.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metrics_are_served_on_the_dashboard_port_behind_the_token() {
    let open = get(&state(None), "/metrics").await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(
        open.body
            .contains("bandwatch_network_receive_bytes_total{device=\"eth0\"}"),
        "{}",
        open.body
    );
    let guarded = state(Some("s3cret-token"));
    assert_eq!(
        get(&guarded, "/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    let bearer = Request::get("/metrics")
        .header(header::AUTHORIZATION, "Bearer s3cret-token")
        .body(Body::empty())
        .expect("req");
    assert_eq!(
        send(&guarded, bearer).await.status,
        StatusCode::OK,
        "a scraper sends the token as a bearer"
    );
}

#[tokio::test]
async fn the_stream_sends_frames_and_tells_a_slow_client_what_it_missed() {
    use futures_util::StreamExt as _;
    let s = state(None);
    let resp = bandwatch_web::router(s.clone())
        .oneshot(
            Request::get("/api/v1/stream")
                .body(Body::empty())
                .expect("req"),
        )
        .await
        .expect("router answers");
    assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = resp.into_body().into_data_stream();
    // Far more frames than the stream holds, sent before the client reads anything.
    for f in netdev_frames().iter().cycle().take(1200) {
        s.live.observe(f);
    }
    let mut seen = String::new();
    while !(seen.contains("event: lagged") && seen.contains("event: frame")) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
            .await
            .expect("the stream answers")
            .expect("still open")
            .expect("a chunk");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"source\":\"netdev\""), "{seen}");
}

#[tokio::test]
async fn the_catalog_answers_the_metric_catalogue() {
    let s = state(None);
    let a = get(&s, "/api/v1/catalog").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let v = a.json();
    let catalog = bandwatch_collect::catalog();
    let metrics = v["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), catalog.metrics().len());
    for (m, want) in metrics.iter().zip(catalog.metrics()) {
        assert_eq!(m["name"], want.name);
        assert_eq!(m["prometheus"], want.prometheus, "{}", want.name);
        assert_eq!(m["help"], want.help, "{}", want.name);
        assert_eq!(m["kind"], serde_json::to_value(want.kind).expect("kind"));
        assert_eq!(m["unit"], serde_json::to_value(want.unit).expect("unit"));
        assert_eq!(m["role"], serde_json::to_value(want.role).expect("role"));
        assert_eq!(
            m["labels"],
            serde_json::to_value(want.labels).expect("labels")
        );
        assert_eq!(m["source"], catalog.source_of(want.name).expect("source"));
        match want.derives_from {
            Some(d) => {
                assert_eq!(m["derives_from"]["delta"], d.delta, "{}", want.name);
                assert_eq!(m["derives_from"]["factor"], d.factor, "{}", want.name);
            }
            None => assert!(m["derives_from"].is_null(), "{}", want.name),
        }
    }
    let labels = v["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), catalog.labels().len());
    assert!(labels
        .iter()
        .any(|l| l["name"] == "iface" && l["prometheus"] == "device"));
    let (label, value) = catalog.aggregate().expect("an aggregate");
    assert_eq!(v["aggregate"]["label"], label);
    assert_eq!(v["aggregate"]["value"], value);
    let doc = get(&s, "/api/v1/openapi.json").await.json();
    for path in ["/catalog", "/status"] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
}

#[tokio::test]
async fn a_dropped_sink_frame_shows_in_metrics_and_in_the_status() {
    let s = state(None);
    let metrics = get(&s, "/metrics").await;
    assert!(
        metrics
            .body
            .contains("bandwatch_sink_dropped_total{sink=\"store\"} 1\n"),
        "{}",
        metrics.body
    );
    let status = get(&s, "/api/v1/status").await.json();
    let sink = &status["sinks"][0];
    assert_eq!(sink["name"], "store");
    assert_eq!(sink["dropped"], 1);
    assert_eq!(sink["written"], 120);
    assert_eq!(status["sources"][0]["name"], "netdev");
    assert_eq!(status["sources"][0]["frames"], 120);
    let snap = get(&s, "/api/v1/snapshot").await.json();
    assert_eq!(snap["sinks"][0]["dropped"], 1, "{snap}");
    assert_eq!(snap["sources"][0]["errors"], 0, "{snap}");
}

#[tokio::test]
async fn series_that_went_stale_leave_the_snapshot() {
    let clock = FakeClock::new(Timestamp(NOW));
    let s = state_on(None, &clock);
    let ifaces = get(&s, "/api/v1/interfaces").await.json();
    assert_eq!(ifaces[0]["name"], "eth0");
    // The MTU is part of an interface's metadata, as a whole number of bytes.
    assert_eq!(ifaces[0]["mtu"], 1500, "{}", ifaces[0]);
    assert_eq!(ifaces[0]["up"], true);
    clock.advance(DEFAULT_STALE_AFTER + std::time::Duration::from_secs(1));
    let snap = get(&s, "/api/v1/snapshot").await.json();
    assert_eq!(snap["samples"].as_array().map(Vec::len), Some(0), "{snap}");
    let ifaces = get(&s, "/api/v1/interfaces").await.json();
    assert_eq!(ifaces.as_array().map(Vec::len), Some(0), "{ifaces}");
}

#[tokio::test]
async fn caps_come_from_the_snapshots_cap_gauges() {
    use std::sync::Arc;

    use bandwatch_collect::caps::{self, LABEL_CAP};
    use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey};

    let s = state(None);
    let empty = get(&s, "/api/v1/caps").await.json();
    assert_eq!(empty["version"], 1);
    assert_eq!(empty["caps"], serde_json::json!([]), "no cap configured");
    let mut frame = Frame::new("netdev", Timestamp(NOW), Seconds(1.0));
    for (metric, v) in [
        (caps::CAP_USED_BYTES, 250.0),
        (caps::CAP_LIMIT_BYTES, 1000.0),
        (caps::CAP_USED_PERCENT, 25.0),
        (caps::CAP_FORECAST_BYTES, 1500.0),
        (caps::CAP_FORECAST_PERCENT, 150.0),
        (caps::CAP_PERIOD_END_TIMESTAMP_SECONDS, 1_764_547_200.0),
        (caps::CAP_REACH_TIMESTAMP_SECONDS, 1_764_460_800.5),
    ] {
        frame.push(
            Arc::new(SeriesKey::with_label(metric, LABEL_CAP, "isp")),
            v,
            SampleKind::Gauge,
        );
    }
    s.snapshot.observe(&frame);
    let v = get(&s, "/api/v1/caps").await.json();
    assert_eq!(
        v["caps"],
        serde_json::json!([{
            "name": "isp", "used_bytes": 250.0, "limit_bytes": 1000.0, "used_ratio": 0.25,
            "forecast_bytes": 1500.0, "forecast_ratio": 1.5,
            "period_end": 1_764_547_200_000i64, "reach": 1_764_460_800_500i64
        }])
    );
    let doc = get(&s, "/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/caps"].is_object());
}
