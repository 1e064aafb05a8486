//! Prometheus Alertmanager: the batch as a list of alerts to `POST {base}/api/v2/alerts`.

use std::time::Duration;

use bandwatch_core::AlertEvent;

use super::error::SendError;
use super::redact::redact_to_path;
use super::transport::{HttpPost, Post};
use super::DEFAULT_TIMEOUT;
use crate::render::alertmanager::{alertmanager_alerts, AlertmanagerSettings};

/// Prometheus Alertmanager: `POST {base_url}/api/v2/alerts`.
#[derive(Debug, Clone)]
pub struct AlertmanagerSender<H> {
    /// The transport.
    pub http: H,
    /// Alertmanager's address, e.g. `http://127.0.0.1:9093`.
    pub base_url: String,
    /// Instance label, generator URL, firing TTL.
    pub settings: AlertmanagerSettings,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl<H: HttpPost> AlertmanagerSender<H> {
    /// A sender to `base_url` with default settings and [`DEFAULT_TIMEOUT`].
    pub fn new(http: H, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base_url: base_url.into(),
            settings: AlertmanagerSettings::default(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// POSTs one batch as a list of alerts; an empty batch sends nothing.
    pub fn send(&self, events: &[AlertEvent]) -> Result<(), SendError> {
        if events.is_empty() {
            return Ok(());
        }
        self.send_body(&alertmanager_alerts(events, &self.settings).to_string())
    }

    /// POSTs an already rendered alert list (an outbox payload) as is.
    pub fn send_body(&self, body: &str) -> Result<(), SendError> {
        let url = format!("{}/api/v2/alerts", self.base_url.trim_end_matches('/'));
        let post = Post {
            channel: "alertmanager",
            url: &url,
            shown: redact_to_path(&url),
            timeout: self.timeout,
        };
        post.send_json(&self.http, body)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::event;
    use super::super::FakeHttp;
    use super::*;

    #[test]
    fn alertmanager_posts_the_alert_list() {
        let http = FakeHttp::new();
        AlertmanagerSender::new(&http, "http://am:9093/")
            .send(&[event()])
            .expect("sent");
        let req = &http.requests()[0];
        assert_eq!(req.url, "http://am:9093/api/v2/alerts");
        let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
        assert_eq!(body[0]["labels"]["alertname"], "wan_rx_high");
        assert_eq!(body[0]["labels"]["severity"], "high");
    }

    #[test]
    fn errors_show_the_path_without_credentials_or_query() {
        let http = FakeHttp::new();
        http.then(Ok(super::super::HttpReply::status(400)));
        let err = AlertmanagerSender::new(&http, "http://user:pw@am:9093/")
            .send(&[event()])
            .expect_err("400");
        assert!(!err.is_retryable());
        let text = err.to_string();
        assert!(
            text.starts_with("alertmanager: http://am:9093/api/v2/alerts answered HTTP 400"),
            "{text}"
        );
        assert!(!text.contains("pw") && !text.contains("user"), "{text}");
    }
}
