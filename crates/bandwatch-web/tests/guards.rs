//! The router's guards in process: a DNS-rebinding page (a foreign name in `Host`) can neither
//! read nor change anything, an `Origin` is checked against the server's own names, and a
//! method a path does not take is `405` with `Allow` and a JSON error, on every route family.

mod support;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use support::{get, post, send, state, Answer};

/// A request with the given method and headers, and `body` when not empty.
fn request(method: &Method, uri: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    let mut b = Request::builder().method(method.clone()).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Body::from(body.to_string())).expect("request")
}

const REBIND: [(&str, &str); 2] = [
    ("host", "rebind.example:8080"),
    ("origin", "http://rebind.example:8080"),
];

#[tokio::test]
async fn a_rebinding_page_reads_nothing_on_any_route() {
    let s = state(None);
    for uri in [
        "/",
        "/assets/app.js",
        "/metrics",
        "/api/v1/config",
        "/api/v1/snapshot",
        "/api/v1/alerts",
        "/api/v1/series?metric=net_rx_bytes",
        "/api/v1/openapi.json",
        "/api/v1/nothing",
        "/nothing",
    ] {
        let a = send(&s, request(&Method::GET, uri, &REBIND[..1], "")).await;
        a.error(StatusCode::MISDIRECTED_REQUEST, "web.allowed_hosts");
        assert!(
            a.headers.contains_key(header::CONTENT_SECURITY_POLICY),
            "{uri}: a refusal carries the security headers too"
        );
        assert!(!a.body.contains("net_rx"), "{uri}: {}", a.body);
    }
    // The name may hide in an absolute-form target as well.
    let absolute = request(
        &Method::GET,
        "http://rebind.example:8080/api/v1/config",
        &[("host", "127.0.0.1:8080")],
        "",
    );
    send(&s, absolute)
        .await
        .error(StatusCode::MISDIRECTED_REQUEST, "rebind.example");
}

#[tokio::test]
async fn the_servers_own_names_read_as_before() {
    let s = state(None);
    for host in [
        "127.0.0.1:8080",
        "127.0.0.2",
        "localhost:8080",
        "LocalHost",
        "dash.localhost:8080",
        "[::1]:8080",
        "bandwatch.test:8080",
    ] {
        let a = send(
            &s,
            request(&Method::GET, "/api/v1/config", &[("host", host)], ""),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{host}: {}", a.body);
    }
    let bare = get(&s, "/api/v1/config").await;
    assert_eq!(bare.status, StatusCode::OK, "no Host (HTTP/1.0) is served");
    let bad = send(
        &s,
        request(&Method::GET, "/api/v1/config", &[("host", "a b")], ""),
    )
    .await;
    bad.error(StatusCode::BAD_REQUEST, "Host header");
}

#[tokio::test]
async fn a_rebinding_page_cannot_silence_or_acknowledge() {
    let s = state(None);
    let body = r#"{"matcher":"rule=download-threshold","duration":"30d"}"#;
    let made = post(&s, "/api/v1/silences", body, &REBIND).await;
    made.error(StatusCode::MISDIRECTED_REQUEST, "web.allowed_hosts");
    let silences = get(&s, "/api/v1/silences").await.json();
    assert_eq!(silences, serde_json::json!([]), "nothing was created");

    let id = get(&s, "/api/v1/alerts").await.json()[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let ack = post(&s, &format!("/api/v1/alerts/{id}/ack"), "{}", &REBIND).await;
    ack.error(StatusCode::MISDIRECTED_REQUEST, "web.allowed_hosts");
    assert!(get(&s, "/api/v1/alerts").await.json()[0]["acked_at"].is_null());
}

#[tokio::test]
async fn an_origin_is_checked_against_the_servers_names_not_copied_from_host() {
    let s = state(None);
    let body = r#"{"matcher":"rule=x"}"#;
    for (host, origin) in [
        ("127.0.0.1:8080", "http://rebind.example:8080"),
        ("localhost:8080", "http://localhost:3000"),
        ("127.0.0.1:8080", "null"),
    ] {
        post(
            &s,
            "/api/v1/silences",
            body,
            &[("host", host), ("origin", origin)],
        )
        .await
        .error(StatusCode::FORBIDDEN, "another origin");
    }
    assert_eq!(
        get(&s, "/api/v1/silences").await.json(),
        serde_json::json!([])
    );
    for (host, origin) in [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "http://localhost:9000"),
        ("bandwatch.test:8080", "http://bandwatch.test:8080"),
        ("127.0.0.1:8080", "https://bandwatch.test"),
    ] {
        let a = post(
            &s,
            "/api/v1/silences",
            body,
            &[("host", host), ("origin", origin)],
        )
        .await;
        assert_eq!(a.status, StatusCode::CREATED, "{origin}: {}", a.body);
    }
}

/// A `405` that says so in JSON and lists what the path takes.
fn not_allowed(a: &Answer, method: &Method, uri: &str, allow: &[&str]) {
    assert_eq!(
        a.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{method} {uri}: {}",
        a.body
    );
    a.error(StatusCode::METHOD_NOT_ALLOWED, "not allowed");
    let got = a
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{method} {uri}: no Allow header"));
    let mut got: Vec<&str> = got.split(',').map(str::trim).collect();
    got.sort_unstable();
    assert_eq!(got, allow, "{method} {uri}");
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow_on_every_route_family() {
    let s = state(None);
    let get_head = ["GET", "HEAD"];
    let cases: [(Method, &str, &[&str]); 16] = [
        (Method::POST, "/", &get_head),
        (Method::PUT, "/assets/app.js", &get_head),
        (Method::DELETE, "/assets/app.css", &get_head),
        (Method::POST, "/assets/js/live.js", &get_head),
        (Method::POST, "/assets/js/chart/paint.js", &get_head),
        (Method::POST, "/metrics", &get_head),
        (Method::POST, "/api/v1/config", &get_head),
        (Method::DELETE, "/api/v1/series", &get_head),
        (Method::PUT, "/api/v1/export", &get_head),
        (Method::POST, "/api/v1/alerts", &get_head),
        (Method::PATCH, "/api/v1/stream", &get_head),
        (Method::GET, "/api/v1/alerts/abc/ack", &["POST"]),
        (Method::DELETE, "/api/v1/alerts/abc/ack", &["POST"]),
        (Method::DELETE, "/api/v1/silences", &["GET", "HEAD", "POST"]),
        (Method::PUT, "/api/v1/silences", &["GET", "HEAD", "POST"]),
        // A CORS preflight: nothing is granted to another origin.
        (
            Method::OPTIONS,
            "/api/v1/silences",
            &["GET", "HEAD", "POST"],
        ),
    ];
    for (method, uri, allow) in cases {
        // Sent as a browser or a script would: JSON or no body, or a form.
        for headers in [
            &[][..],
            &[("content-type", "application/json")][..],
            &[("content-type", "application/x-www-form-urlencoded")][..],
        ] {
            let a = send(&s, request(&method, uri, headers, "")).await;
            not_allowed(&a, &method, uri, allow);
        }
    }
    assert_eq!(
        get(&s, "/api/v1/silences").await.json(),
        serde_json::json!([])
    );
}

#[tokio::test]
async fn with_a_token_a_wrong_method_is_401_without_it_and_405_with_it() {
    let s = state(Some("s3cret-token"));
    let bearer = [("authorization", "Bearer s3cret-token")];
    send(&s, request(&Method::DELETE, "/api/v1/config", &[], ""))
        .await
        .error(StatusCode::UNAUTHORIZED, "token is required");
    let a = send(&s, request(&Method::DELETE, "/api/v1/config", &bearer, "")).await;
    not_allowed(&a, &Method::DELETE, "/api/v1/config", &["GET", "HEAD"]);
    let a = send(&s, request(&Method::POST, "/metrics", &bearer, "")).await;
    not_allowed(&a, &Method::POST, "/metrics", &["GET", "HEAD"]);
}

#[tokio::test]
async fn a_body_too_large_is_413_in_json() {
    let s = state(None);
    let huge = format!(
        r#"{{"matcher":"rule=x","comment":"{}"}}"#,
        "x".repeat(3 << 20)
    );
    post(&s, "/api/v1/silences", &huge, &[])
        .await
        .error(StatusCode::PAYLOAD_TOO_LARGE, "too large");
    assert_eq!(
        get(&s, "/api/v1/silences").await.json(),
        serde_json::json!([])
    );
}
