//! The real transport: a blocking reqwest client (rustls with ring, Mozilla's roots, no
//! OpenSSL). It must not be called from inside an async runtime; the caller runs senders on
//! their own thread (or `spawn_blocking`).

use std::time::Duration;

use super::error::SendError;
use super::redact::redact_to_host;
use super::transport::{parse_http_url, HttpPost, HttpReply};

/// [`HttpPost`] over a blocking reqwest client (rustls with ring, Mozilla's roots, no
/// redirects: a redirected webhook would be an unnoticed misconfiguration).
#[derive(Debug, Clone)]
pub struct ReqwestPost {
    client: reqwest::blocking::Client,
}

impl ReqwestPost {
    /// A client with bandwatch's user agent.
    pub fn new() -> Result<Self, SendError> {
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("bandwatch/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SendError::Transport {
                channel: "http",
                target: "(client setup)".into(),
                source: Box::new(e.without_url()),
            })?;
        Ok(Self { client })
    }
}

impl HttpPost for ReqwestPost {
    fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, SendError> {
        let parsed = parse_http_url(url)?;
        let target = redact_to_host(url);
        let mut request = self
            .client
            .post(parsed)
            .timeout(timeout)
            .body(body.to_vec());
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request
            .send()
            .map_err(|e| from_reqwest(e, &target, timeout))?;
        let status = response.status().as_u16();
        let reply_headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .bytes()
            .map_err(|e| from_reqwest(e, &target, timeout))?;
        Ok(HttpReply {
            status,
            headers: reply_headers,
            body: body.to_vec(),
        })
    }
}

/// Classifies a reqwest error; `without_url` keeps tokens in the URL out of the message.
fn from_reqwest(e: reqwest::Error, target: &str, timeout: Duration) -> SendError {
    let target = target.to_string();
    let channel = "http";
    if e.is_timeout() {
        SendError::Timeout {
            channel,
            target,
            after: timeout,
        }
    } else if e.is_builder() {
        SendError::InvalidUrl {
            channel,
            target,
            reason: e.without_url().to_string(),
        }
    } else if e.is_connect() {
        SendError::Connect {
            channel,
            target,
            source: Box::new(e.without_url()),
        }
    } else {
        SendError::Transport {
            channel,
            target,
            source: Box::new(e.without_url()),
        }
    }
}
