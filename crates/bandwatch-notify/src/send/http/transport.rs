//! The seam to the network: one POST, answered or failed ([`HttpPost`]), and the one step
//! every sender shares on top of it ([`Post`]: send, then turn a non-2xx reply into an error
//! attributed to the channel).

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::error::SendError;
use super::redact::redact_to_host;

/// The content type of every JSON body sent here.
pub(super) const JSON: &str = "application/json";

/// An HTTP answer: status, headers (names lowercase) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// The status code.
    pub status: u16,
    /// The headers, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// A reply with `status`, no headers and an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The seam to the network: one POST, answered or failed.
///
/// Errors name the target as `scheme://host:port` only; senders re-attribute them.
pub trait HttpPost {
    /// POSTs `body` to `url` with `headers`, giving up after `timeout`.
    fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, SendError>;
}

impl<T: HttpPost + ?Sized> HttpPost for &T {
    fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, SendError> {
        (**self).post(url, headers, body, timeout)
    }
}

impl<T: HttpPost + ?Sized> HttpPost for Arc<T> {
    fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, SendError> {
        (**self).post(url, headers, body, timeout)
    }
}

/// Parses an http(s) URL, as every transport must before sending; the error shows only
/// `scheme://host`.
pub(super) fn parse_http_url(url: &str) -> Result<Url, SendError> {
    let invalid = |reason: String| SendError::InvalidUrl {
        channel: "http",
        target: redact_to_host(url),
        reason,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme '{}' is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.host_str().is_none() {
        return Err(invalid("no host".into()));
    }
    Ok(parsed)
}

/// One POST of a sender, with errors attributed to `channel` and shown as `shown`.
pub(super) struct Post<'a> {
    /// The channel kind, for messages.
    pub channel: &'static str,
    /// The full URL (may hold a token).
    pub url: &'a str,
    /// What may be shown of the URL.
    pub shown: String,
    /// Timeout of the request.
    pub timeout: Duration,
}

impl Post<'_> {
    /// POSTs `body` with `headers`; a reply other than 2xx is an error.
    pub fn send(
        &self,
        http: &impl HttpPost,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), SendError> {
        let reply = http
            .post(self.url, headers, body, self.timeout)
            .map_err(|e| e.attributed(self.channel, &self.shown))?;
        match SendError::from_reply(self.channel, &self.shown, &reply) {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// POSTs a JSON body with only a `Content-Type` header.
    pub fn send_json(&self, http: &impl HttpPost, body: &str) -> Result<(), SendError> {
        let headers = [("Content-Type".to_string(), JSON.to_string())];
        self.send(http, &headers, body.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_with_a_host_are_sent_to() {
        assert!(parse_http_url("https://h:8443/x?y").is_ok());
        for bad in [
            "ftp://example/x",
            "not a url",
            "http://",
            "file:///etc/passwd",
        ] {
            let err = parse_http_url(bad).expect_err(bad);
            assert!(matches!(err, SendError::InvalidUrl { .. }), "{err:?}");
            assert!(!err.is_retryable());
        }
    }

    #[test]
    fn reply_headers_are_found_in_any_case() {
        let reply = HttpReply {
            status: 200,
            headers: vec![("retry-after".into(), "3".into())],
            body: Vec::new(),
        };
        assert_eq!(reply.header("Retry-After"), Some("3"));
        assert_eq!(reply.header("x"), None);
    }
}
