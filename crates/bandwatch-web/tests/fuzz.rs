//! Property tests over everything a client controls: the query parameters of every endpoint
//! that takes them, the path of an acknowledgement, and the JSON bodies of silences and
//! acknowledgements, with arbitrary text, odd unicode, huge, negative, NaN and 1e30 numbers,
//! malformed percent-encoding and repeated names. Whatever comes in, the server does not
//! panic, answers one of the statuses the API documents, and every refusal is the JSON error.
//!
//! Deterministic: a fixed seed, a bounded number of cases, and no persistence files (a
//! failure prints the input it shrank to; add it to `tests/api.rs` as a plain case).

mod support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use bandwatch_web::WebState;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use support::{send, state, Answer};

/// Cases per property: enough to reach the odd corners, few enough for a debug run in seconds.
const CASES: u32 = 256;

fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Runs `property` on `CASES` inputs from `strategy` with one router state and runtime.
fn check<S: Strategy>(
    strategy: S,
    property: impl Fn(&tokio::runtime::Runtime, &WebState, S::Value) -> Result<(), TestCaseError>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let s = state(None);
    if let Err(e) = runner().run(&strategy, |v| property(&rt, &s, v)) {
        panic!("{e}");
    }
}

/// Text a client might send where a value goes: anything, numbers of every shape, durations,
/// times, matchers and the values that work.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<u64>().prop_map(|n| format!("{n}ms")),
        (
            any::<i64>(),
            prop::sample::select(vec!["s", "m", "h", "d", "w", "y", "ms", "us", "ns", ""])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        (-40i32..40).prop_map(|e| format!("1e{e}")),
        "-?[0-9]{15,40}(\\.[0-9]{0,5})?",
        Just("NaN".to_string()),
        Just("-inf".to_string()),
        Just("1e30".to_string()),
        Just("-1e30".to_string()),
        Just("9223372036854775807".to_string()),
        Just("-9223372036854775808".to_string()),
        Just(String::new()),
        Just("\u{0}\u{202e}\u{fffd}😀".to_string()),
        prop::sample::select(vec![
            "now",
            "-5m",
            "-1h",
            "-30d",
            "-1e18",
            "-9999999999d",
            "2026-12-03T10:00:00Z",
            "1764780000000",
            "net_rx_bytes",
            "net_rx_bits_per_second",
            "iface=eth0",
            "iface!=lo",
            "iface=~eth.*",
            "iface!~(",
            "iface=~a{99999}",
            "scope=",
            "=x",
            "csv",
            "json",
            "high",
            "firing",
            "1000",
            "0",
            "10s",
            "5m",
            "1h",
            "1d",
        ])
        .prop_map(str::to_string),
    ]
}

/// `name=value` pairs for an endpoint: mostly its own names (repeated freely), sometimes
/// another.
fn pairs(names: &'static [&'static str]) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        8 => prop::sample::select(names).prop_map(str::to_string),
        1 => "\\PC{0,10}",
    ];
    prop::collection::vec((name, value()), 0..8)
}

/// The query string: the pairs properly encoded, or with raw text spliced in (bad
/// percent-escapes, stray `&` and `=`).
fn query(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let encoded = pairs(names).prop_map(|p| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(p)
            .finish()
    });
    let raw = "([a-z]{1,8}|%[0-9a-fA-F]{0,2}|%ff%fe|&|=|\\+|;|[!$'()*,/:@~]){0,20}";
    prop_oneof![4 => encoded, 1 => raw]
}

/// A request for `uri`; `None` when the URI is one a client cannot send (the server's HTTP
/// parser refuses it before any handler).
fn build(method: &Method, uri: &str, body: Option<&str>) -> Option<Request<Body>> {
    let mut b = Request::builder().method(method.clone()).uri(uri);
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    b.body(Body::from(body.unwrap_or_default().to_string()))
        .ok()
}

/// The answer is one the API documents, and a refusal is the JSON error.
fn documented(a: &Answer, allowed: &[u16], what: &str) -> Result<(), TestCaseError> {
    let code = a.status.as_u16();
    prop_assert!(
        allowed.contains(&code),
        "{what}: status {code} not in {allowed:?}: {}",
        a.body
    );
    if a.status.is_client_error() {
        let v: serde_json::Value = serde_json::from_str(&a.body).map_err(|e| {
            TestCaseError::fail(format!("{what}: {code} not JSON ({e}): {}", a.body))
        })?;
        let msg = v["error"].as_str().unwrap_or_default();
        prop_assert!(!msg.is_empty(), "{what}: no error message: {}", a.body);
        prop_assert_eq!(&v["status"], &serde_json::json!(code), "{}", what);
    }
    Ok(())
}

/// `GET path?query` answers a documented status; a 200 from a JSON endpoint is JSON.
fn get_ok(
    rt: &tokio::runtime::Runtime,
    s: &WebState,
    path: &str,
    q: &str,
    allowed: &[u16],
) -> Result<(), TestCaseError> {
    let uri = format!("{path}?{q}");
    let Some(req) = build(&Method::GET, &uri, None) else {
        return Ok(());
    };
    let a = rt.block_on(send(s, req));
    documented(&a, allowed, &uri)?;
    let json = a
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if a.status == StatusCode::OK && json {
        prop_assert!(
            serde_json::from_str::<serde_json::Value>(&a.body).is_ok(),
            "{uri}: 200 but not JSON"
        );
    }
    Ok(())
}

const RANGE: &[&str] = &["metric", "match", "start", "end", "step"];
const EXPORT: &[&str] = &["metric", "match", "start", "end", "step", "format"];
const ALERTS: &[&str] = &["state", "severity", "since", "q", "limit"];
const REPORT: &[&str] = &["since", "format"];

#[test]
fn device_report_parameters() {
    check(query(REPORT), |rt, s, q| {
        get_ok(rt, s, "/api/v1/devices/report", &q, &[200, 400])
    });
}

#[test]
fn series_and_export_parameters() {
    check((query(RANGE), query(EXPORT)), |rt, s, (series, export)| {
        get_ok(rt, s, "/api/v1/series", &series, &[200, 400])?;
        get_ok(rt, s, "/api/v1/export", &export, &[200, 400])
    });
}

/// The same with a real metric always present, so the range, step and matchers get past the
/// first check and reach the planner and the history.
#[test]
fn series_ranges_steps_and_matchers() {
    let metric = prop::sample::select(vec!["net_rx_bytes", "net_rx_bits_per_second"]);
    check((metric, query(RANGE)), |rt, s, (metric, q)| {
        let q = format!("metric={metric}&{q}");
        get_ok(rt, s, "/api/v1/series", &q, &[200, 400])?;
        get_ok(
            rt,
            s,
            "/api/v1/export",
            &format!("{q}&format=json"),
            &[200, 400],
        )
    });
}

#[test]
fn alert_list_parameters() {
    check(query(ALERTS), |rt, s, q| {
        get_ok(rt, s, "/api/v1/alerts", &q, &[200, 400])
    });
}

/// Endpoints without parameters ignore a query; none of them fails on one.
#[test]
fn endpoints_without_parameters() {
    let paths = prop::sample::select(vec![
        "/api/v1/config",
        "/api/v1/catalog",
        "/api/v1/status",
        "/api/v1/snapshot",
        "/api/v1/interfaces",
        "/api/v1/devices",
        "/api/v1/silences",
        "/api/v1/openapi.json",
        "/metrics",
        "/",
    ]);
    check((paths, query(RANGE)), |rt, s, (path, q)| {
        get_ok(rt, s, path, &q, &[200])
    });
}

/// A JSON value of any shape, for the fields of a body.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        value().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body: an object with the endpoint's fields (each maybe missing, any JSON), sometimes an
/// unknown field, or text that is not JSON at all.
fn body(fields: &'static [&'static str]) -> impl Strategy<Value = String> {
    let object = prop::collection::vec(
        (
            prop_oneof![
                6 => prop::sample::select(fields).prop_map(str::to_string),
                1 => "\\PC{0,8}",
            ],
            prop_oneof![3 => value().prop_map(serde_json::Value::String), 1 => json_value()],
        ),
        0..5,
    )
    .prop_map(|fields| {
        let map: serde_json::Map<String, serde_json::Value> = fields.into_iter().collect();
        serde_json::Value::Object(map).to_string()
    });
    prop_oneof![
        6 => object,
        1 => json_value().prop_map(|v| v.to_string()),
        1 => any::<String>(),
        1 => Just(String::new()),
    ]
}

#[test]
fn silence_bodies() {
    check(body(&["matcher", "duration", "comment"]), |rt, s, b| {
        let req = build(&Method::POST, "/api/v1/silences", Some(&b)).expect("request");
        let a = rt.block_on(send(s, req));
        documented(&a, &[201, 400], &b)
    });
}

#[test]
fn acknowledgement_paths_and_bodies() {
    let id = prop_oneof![
        "[a-zA-Z0-9_-]{0,20}",
        "(%[0-9a-fA-F]{2}|[a-z.~]){1,12}",
        any::<String>()
            .prop_map(|s| { form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>() }),
    ];
    check((id, body(&["by"])), |rt, s, (id, b)| {
        let uri = format!("/api/v1/alerts/{id}/ack");
        let Some(req) = build(&Method::POST, &uri, Some(&b)) else {
            return Ok(());
        };
        let a = rt.block_on(send(s, req));
        // An empty id is another path (404); a known one is acknowledged (200).
        documented(&a, &[200, 400, 404], &format!("{uri} {b}"))
    });
}
