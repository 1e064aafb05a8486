//! Access control and the security headers every answer carries. With a token set, a request
//! must bring it as `Authorization: Bearer …` or in the `bandwatch_token` cookie, which
//! `/?token=…` sets; state-changing requests must be JSON and must not come from another
//! origin.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::ApiError;
use crate::state::WebState;

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

/// Lets a request through when no token is set or it brings the right one; handles
/// `?token=` on the page by setting the cookie; refuses cross-origin and non-JSON POSTs.
pub async fn guard(State(state): State<WebState>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST {
        if let Err(e) = check_post(req.headers()) {
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

/// A POST must say it is JSON (a plain HTML form cannot) and, when the browser names its
/// origin, come from this host.
fn check_post(h: &HeaderMap) -> Result<(), ApiError> {
    let json = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json {
        return Err(ApiError::bad_request(
            "a POST must send a JSON body with 'Content-Type: application/json'",
        ));
    }
    let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = h
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "a state-changing request from another origin ({origin}) is refused"
        )))
    }
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

    #[test]
    fn posts_must_be_json_from_this_origin() {
        let json = (header::CONTENT_TYPE, "application/json");
        assert!(check_post(&h(std::slice::from_ref(&json))).is_ok());
        assert!(check_post(&h(&[(header::CONTENT_TYPE, "text/plain")])).is_err());
        let here = [
            json.clone(),
            (header::HOST, "127.0.0.1:8080"),
            (header::ORIGIN, "http://127.0.0.1:8080"),
        ];
        assert!(check_post(&h(&here)).is_ok());
        let evil = [
            json,
            (header::HOST, "127.0.0.1:8080"),
            (header::ORIGIN, "http://evil.example"),
        ];
        assert_eq!(
            check_post(&h(&evil)).expect_err("cross-origin").status,
            StatusCode::FORBIDDEN
        );
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
