//! Access control and the security headers every answer carries. Every request must name
//! this server in `Host` (see [`hosts`]: DNS rebinding). With a token set, a request must
//! bring it as `Authorization: Bearer …` or in the `bandwatch_token` cookie, which
//! `/?token=…` sets; state-changing requests must not come from another origin, and a POST
//! must be JSON.

pub mod hosts;

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::ApiError;
use crate::state::WebState;

pub use hosts::AllowedHosts;

/// The cookie that carries the token for the page.
pub const COOKIE: &str = "bandwatch_token";

/// What the page may load and run: only its own scripts, no inline script, no other hosts.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Adds the security headers to every response.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// Refuses a request whose `Host`, or the authority of its absolute-form target, is not one
/// of this listener's names; runs before everything else, on every path.
pub async fn host(State(state): State<WebState>, req: Request, next: Next) -> Response {
    match check_host(&state.allowed_hosts, &req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Checks the `Host` header and an absolute-form target's authority. A request without `Host`
/// (HTTP/1.0, a hand-written script) is served: browsers always send one, so it cannot be a
/// rebinding page, and refusing it would only break old tools.
fn check_host(allowed: &AllowedHosts, req: &Request) -> Result<(), ApiError> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let first = hosts.next();
    if hosts.next().is_some() {
        return Err(ApiError::bad_request(
            "the request has more than one Host header; send one",
        ));
    }
    if let Some(v) = first {
        let text = v.to_str().map_err(|_| {
            ApiError::bad_request("the Host header is not plain text; send host[:port]")
        })?;
        allowed.check_host(text)?;
    }
    // `GET http://name/ HTTP/1.1`: the target's authority is the one the request is for
    // (RFC 9112 §3.2.2), so it must pass too.
    if let Some(a) = req.uri().authority() {
        allowed.check_host(a.as_str())?;
    }
    Ok(())
}

/// Lets a request through when no token is set or it brings the right one; handles
/// `?token=` on the page by setting the cookie; refuses state changes from another origin.
/// (That a POST body is JSON is checked by [`crate::api::body::JsonBody`], after routing, so
/// a method a path does not take is the router's `405`.)
pub async fn guard(State(state): State<WebState>, req: Request, next: Next) -> Response {
    if !is_safe(req.method()) {
        if let Err(e) = check_origin(&state.allowed_hosts, req.headers()) {
            return e.into_response();
        }
    }
    let Some(token) = state.token.as_deref() else {
        return next.run(req).await;
    };
    if let Some(given) = query_token(req.uri().query()) {
        if req.uri().path() == "/" {
            return login(token, &given);
        }
    }
    if presented(req.headers()).is_some_and(|t| same(t.as_bytes(), token.as_bytes())) {
        return next.run(req).await;
    }
    if req.uri().path().starts_with("/api/") {
        return ApiError::unauthorized().into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "bandwatch: this dashboard needs its access token. Open it as /?token=<token> (printed by bandwatch at start, or set with --web-token).\n",
    )
        .into_response()
}

fn login(token: &str, given: &str) -> Response {
    if !same(given.as_bytes(), token.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, "bandwatch: wrong token\n").into_response();
    }
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
    let mut resp = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// Methods that change nothing.
fn is_safe(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A state-changing request that names its origin must come from this server's page (see
/// [`AllowedHosts::check_origin`]); browsers name it on every cross-site one.
fn check_origin(allowed: &AllowedHosts, h: &HeaderMap) -> Result<(), ApiError> {
    let mut origins = h.get_all(header::ORIGIN).iter();
    let Some(origin) = origins.next() else {
        return Ok(());
    };
    if origins.next().is_some() {
        return Err(ApiError::forbidden(
            "a state-changing request with more than one Origin header is refused",
        ));
    }
    let text = origin.to_str().unwrap_or("(not text)");
    let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
    allowed.check_origin(text, host)
}

fn presented(h: &HeaderMap) -> Option<String> {
    let bearer = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` is `Bearer`.
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(|t| t.trim().to_string());
    bearer.or_else(|| {
        h.get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .map(|(_, v)| v.to_string())
    })
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

/// Compares without stopping at the first difference, so timing does not leak the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token: 32 hex digits from the OS's random source.
pub fn generate_token() -> std::io::Result<String> {
    use std::fmt::Write as _;
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(k.clone(), HeaderValue::from_str(v).expect("header"));
        }
        m
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        assert_eq!(
            presented(&h(&[(header::AUTHORIZATION, "Bearer abc")])).as_deref(),
            Some("abc")
        );
        assert_eq!(
            presented(&h(&[(header::AUTHORIZATION, "bearer abc")])).as_deref(),
            Some("abc")
        );
        assert_eq!(
            presented(&h(&[(header::COOKIE, "a=1; bandwatch_token=xyz")])).as_deref(),
            Some("xyz")
        );
        assert_eq!(presented(&h(&[])), None);
        assert_eq!(query_token(Some("x=1&token=t0k")).as_deref(), Some("t0k"));
    }

    fn loopback() -> AllowedHosts {
        AllowedHosts::new("127.0.0.1:8080".parse().expect("addr"), &["bandwatch.lan"])
    }

    #[test]
    fn state_changes_must_come_from_this_origin() {
        let change = |pairs: &[(header::HeaderName, &str)]| {
            check_origin(&loopback(), &h(pairs)).map_err(|e| e.status)
        };
        assert_eq!(change(&[]), Ok(()), "scripts send no Origin");
        let from = |origin: &'static str, host: &'static str| {
            [(header::HOST, host), (header::ORIGIN, origin)]
        };
        assert_eq!(
            change(&from("http://127.0.0.1:8080", "127.0.0.1:8080")),
            Ok(())
        );
        assert_eq!(
            change(&from("https://bandwatch.lan", "127.0.0.1:8080")),
            Ok(())
        );
        for (origin, host) in [
            ("http://evil.example", "127.0.0.1:8080"),
            // The old rule compared Origin with Host, which a rebinding page sets alike.
            ("http://rebind.example:8080", "rebind.example:8080"),
            ("http://localhost:3000", "localhost:8080"),
        ] {
            assert_eq!(
                change(&from(origin, host)),
                Err(StatusCode::FORBIDDEN),
                "{origin}"
            );
        }
        let twice = [
            (header::HOST, "127.0.0.1:8080"),
            (header::ORIGIN, "http://127.0.0.1:8080"),
            (header::ORIGIN, "http://evil.example"),
        ];
        assert_eq!(change(&twice), Err(StatusCode::FORBIDDEN));
        assert!(is_safe(&Method::GET) && is_safe(&Method::HEAD) && !is_safe(&Method::DELETE));
    }

    fn request(uri: &str, hosts: &[&str]) -> Request {
        let mut b = axum::http::Request::get(uri);
        for v in hosts {
            b = b.header(header::HOST, *v);
        }
        b.body(axum::body::Body::empty()).expect("request")
    }

    #[test]
    fn the_host_check_reads_host_and_an_absolute_target() {
        let check = |r: &Request| check_host(&loopback(), r).map_err(|e| e.status);
        assert_eq!(
            check(&request("/api/v1/config", &["localhost:8080"])),
            Ok(())
        );
        assert_eq!(
            check(&request("/api/v1/config", &[])),
            Ok(()),
            "no Host: not a browser, so not a rebinding"
        );
        assert_eq!(
            check(&request("/api/v1/config", &["rebind.example:8080"])),
            Err(StatusCode::MISDIRECTED_REQUEST)
        );
        assert_eq!(
            check(&request("/", &["localhost", "rebind.example"])),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            check(&request(
                "http://rebind.example:8080/api/v1/config",
                &["127.0.0.1:8080"]
            )),
            Err(StatusCode::MISDIRECTED_REQUEST),
            "an absolute-form target names the host the request is for"
        );
        assert_eq!(
            check(&request("http://user@localhost:8080/", &[])),
            Err(StatusCode::BAD_REQUEST)
        );
        let mut odd = request("/", &[]);
        odd.headers_mut().insert(
            header::HOST,
            HeaderValue::from_bytes(b"caf\xe9").expect("opaque bytes"),
        );
        assert_eq!(check(&odd), Err(StatusCode::BAD_REQUEST));
    }

    #[test]
    fn comparison_and_generation() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        let t = generate_token().expect("urandom");
        assert_eq!(t.len(), 32);
        assert_ne!(t, generate_token().expect("urandom"));
    }
}
