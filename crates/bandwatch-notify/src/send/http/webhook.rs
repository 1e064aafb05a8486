//! The generic webhook: the versioned JSON document, signed with HMAC-SHA256 when a secret is
//! set, with the outbox item's idempotency key when the dispatcher gives one.

use std::fmt;
use std::time::Duration;

use bandwatch_core::AlertEvent;

use super::error::SendError;
use super::redact::redact_to_host;
use super::transport::{HttpPost, Post, JSON};
use super::DEFAULT_TIMEOUT;
use crate::render::webhook::{sign, webhook_body, SIGNATURE_HEADER};
use crate::render::Secret;

/// The header that carries a notification's idempotency key (same key on every retry).
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The generic webhook: the versioned JSON document, signed with HMAC-SHA256 when a secret
/// is set (the [`SIGNATURE_HEADER`] covers the exact bytes sent).
#[derive(Clone)]
pub struct WebhookSender<H> {
    /// The transport.
    pub http: H,
    /// Where to POST.
    pub url: String,
    /// Extra headers (e.g. `Authorization`); `Content-Type` and the signature header are ours.
    pub headers: Vec<(String, String)>,
    /// The HMAC key; unsigned without one.
    pub secret: Option<Secret>,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl<H> fmt::Debug for WebhookSender<H> {
    /// Header values may be credentials, so only their names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("WebhookSender")
            .field("url", &redact_to_host(&self.url))
            .field("headers", &names)
            .field("secret", &self.secret)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<H: HttpPost> WebhookSender<H> {
    /// An unsigned webhook to `url` with no extra headers and [`DEFAULT_TIMEOUT`].
    pub fn new(http: H, url: impl Into<String>) -> Self {
        Self {
            http,
            url: url.into(),
            headers: Vec::new(),
            secret: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// POSTs one batch; an empty batch sends nothing.
    pub fn send(&self, events: &[AlertEvent]) -> Result<(), SendError> {
        if events.is_empty() {
            return Ok(());
        }
        let body = webhook_body(events).map_err(|source| SendError::Render {
            channel: "webhook",
            source,
        })?;
        self.send_body(&body)
    }

    /// POSTs an already rendered body (an outbox payload) as is, signed over these bytes.
    pub fn send_body(&self, body: &str) -> Result<(), SendError> {
        self.send_body_keyed(body, None)
    }

    /// Like [`Self::send_body`], with the outbox item's idempotency key in
    /// [`IDEMPOTENCY_HEADER`] so a receiver can drop a delivery it has already seen.
    pub fn send_body_keyed(&self, body: &str, key: Option<&str>) -> Result<(), SendError> {
        let mut headers = self.user_headers();
        headers.push(("Content-Type".into(), JSON.into()));
        if let Some(key) = key {
            headers.push((IDEMPOTENCY_HEADER.into(), key.into()));
        }
        if let Some(secret) = &self.secret {
            headers.push((SIGNATURE_HEADER.into(), sign(body.as_bytes(), secret)));
        }
        let post = Post {
            channel: "webhook",
            url: &self.url,
            // A webhook's path and query are often its secret (a token in the URL): only the
            // scheme, host and port ever reach an error or the log.
            shown: redact_to_host(&self.url),
            timeout: self.timeout,
        };
        post.send(&self.http, &headers, body.as_bytes())
    }

    /// The configured headers without the ones this sender sets itself, so a configured
    /// `Content-Type` or a forged signature cannot go out next to ours.
    fn user_headers(&self) -> Vec<(String, String)> {
        let ours = |n: &str| {
            n.eq_ignore_ascii_case("content-type")
                || n.eq_ignore_ascii_case(SIGNATURE_HEADER)
                || n.eq_ignore_ascii_case(IDEMPOTENCY_HEADER)
        };
        self.headers
            .iter()
            .filter(|(n, _)| !ours(n))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::event;
    use super::super::{FakeHttp, HttpReply};
    use super::*;

    #[test]
    fn webhook_signs_the_exact_body_and_keeps_user_headers() {
        let http = FakeHttp::new();
        let mut sender = WebhookSender::new(&http, "https://hooks.example/in?k=v");
        sender.secret = Some(Secret::new("s3cret"));
        sender.headers = vec![
            ("Authorization".into(), "Bearer abc".into()),
            ("content-type".into(), "text/plain".into()),
            ("x-bandwatch-signature".into(), "forged".into()),
        ];
        sender.timeout = Duration::from_secs(3);
        sender.send(&[event()]).expect("sent");

        let [req] = http.requests().try_into().expect("one request");
        let expected = webhook_body(&[event()]).expect("renders");
        assert_eq!(req.body, expected.as_bytes());
        assert_eq!(req.url, "https://hooks.example/in?k=v");
        assert_eq!(req.timeout, Duration::from_secs(3));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(
            req.header(SIGNATURE_HEADER),
            Some(sign(&req.body, &Secret::new("s3cret")).as_str())
        );
        assert_eq!(req.header("authorization"), Some("Bearer abc"));
        let count = |n: &str| {
            req.headers
                .iter()
                .filter(|(h, _)| h.eq_ignore_ascii_case(n))
                .count()
        };
        assert_eq!(count("content-type"), 1);
        assert_eq!(count(SIGNATURE_HEADER), 1);
    }

    #[test]
    fn webhook_without_secret_is_unsigned_and_empty_batches_send_nothing() {
        let http = FakeHttp::new();
        let sender = WebhookSender::new(&http, "http://127.0.0.1:1/hook");
        sender.send(&[]).expect("nothing to send");
        assert!(http.requests().is_empty());
        sender.send(&[event()]).expect("sent");
        assert_eq!(http.requests()[0].header(SIGNATURE_HEADER), None);
    }

    #[test]
    fn the_idempotency_key_is_ours_alone() {
        let http = FakeHttp::new();
        let mut sender = WebhookSender::new(&http, "http://h/x");
        sender.headers = vec![("idempotency-key".into(), "forged".into())];
        sender.send_body_keyed("{}", Some("k-1")).expect("sent");
        let req = &http.requests()[0];
        let keys: Vec<_> = req
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(IDEMPOTENCY_HEADER))
            .collect();
        assert_eq!(keys, [&(IDEMPOTENCY_HEADER.to_string(), "k-1".to_string())]);
    }

    #[test]
    fn invalid_urls_are_permanent_and_say_so() {
        let http = FakeHttp::new();
        let err = WebhookSender::new(&http, "ftp://example/x")
            .send(&[event()])
            .expect_err("not http");
        assert!(matches!(err, SendError::InvalidUrl { .. }), "{err:?}");
        assert!(!err.is_retryable());
        let err = WebhookSender::new(&http, "not a url")
            .send(&[event()])
            .expect_err("not a URL");
        assert!(!err.is_retryable());
        assert!(err.to_string().starts_with("webhook: invalid URL"), "{err}");
    }

    #[test]
    fn errors_never_show_the_webhook_path_or_query() {
        let http = FakeHttp::new();
        http.then(Ok(HttpReply {
            status: 500,
            headers: Vec::new(),
            body: b"down".to_vec(),
        }));
        let sender = WebhookSender::new(
            &http,
            "https://hooks.example:8443/in/s3cret-path?token=s3cret-query",
        );
        let err = sender.send(&[event()]).expect_err("500");
        let shown = format!("{err} / {err:?} / {sender:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("https://hooks.example:8443"), "{shown}");
    }

    #[test]
    fn retry_after_is_kept_for_429() {
        let http = FakeHttp::new();
        http.then(Ok(HttpReply {
            status: 429,
            headers: vec![("retry-after".into(), "7".into())],
            body: b"{\"ok\":false,\n\"description\":\"Too Many Requests\"}".to_vec(),
        }));
        let err = WebhookSender::new(&http, "http://h/x")
            .send(&[event()])
            .expect_err("429");
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(
            err.to_string(),
            "webhook: http://h answered HTTP 429: {\"ok\":false, \"description\":\"Too Many Requests\"}"
        );
    }
}
