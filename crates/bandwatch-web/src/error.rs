//! The one error type of the API: a status and a message that says what was wrong and how to
//! fix it, sent as `{"error": …, "status": …}`; and the middleware that gives the router's
//! own `405` that shape.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An API failure a client can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What is wrong, and what to send instead.
    pub message: String,
}

/// Result alias of the API handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404: the thing named does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// 401: no valid token.
    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            message: "a token is required: send 'Authorization: Bearer <token>', or open the page once as /?token=<token> (the token was printed when bandwatch started, or set with --web-token)".into(),
        }
    }

    /// 403: refused (a cross-site state change).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    /// 405: the path exists, the method does not (the `Allow` header lists those it takes).
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: message.into(),
        }
    }

    /// 421: the request names a host this server does not answer to (DNS rebinding).
    pub fn misdirected(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::MISDIRECTED_REQUEST,
            message: message.into(),
        }
    }

    /// 409: a change asked of a server that only shows recorded history.
    pub fn read_only() -> Self {
        Self {
            status: StatusCode::CONFLICT,
            message: "this server is read-only: `bandwatch serve` shows recorded history and changes nothing; acknowledge or silence on the dashboard of the agent that records it (`bandwatch run`), or with `bandwatch alerts ack|silence --db FILE`".into(),
        }
    }

    /// 503: the history did not answer.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
        }
    }
}

/// The largest request body the handlers read (axum's default limit).
pub const MAX_BODY: usize = 2 << 20;

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        let status = r.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the request body is too large: at most {} MiB",
                MAX_BODY >> 20
            )
        } else {
            format!("the request body could not be read: {}", r.body_text())
        };
        Self { status, message }
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> Self {
        Self {
            status: r.status(),
            message: format!(
                "the path is not valid ({}); percent-encode it as UTF-8",
                r.body_text()
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.message, "status": self.status.as_u16() });
        (self.status, Json(body)).into_response()
    }
}

/// Gives the router's bare `405` (a path that exists, a method it does not take) the JSON
/// body every other refusal has. The router adds the `Allow` header around it.
pub async fn method_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let resp = next.run(req).await;
    if resp.status() != StatusCode::METHOD_NOT_ALLOWED {
        return resp;
    }
    let allow = resp.headers().get(axum::http::header::ALLOW).cloned();
    let mut out = ApiError::method_not_allowed(format!(
        "{method} is not allowed on this path; the Allow header lists the methods it takes"
    ))
    .into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, a);
    }
    out
}
