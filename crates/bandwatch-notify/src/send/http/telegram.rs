//! Telegram: `sendMessage` through the Bot API. The bot token is part of the request path, so
//! only `scheme://host` of the API is ever shown.

use std::time::Duration;

use bandwatch_core::AlertEvent;

use super::error::SendError;
use super::redact::redact_to_host;
use super::transport::{HttpPost, Post};
use super::DEFAULT_TIMEOUT;
use crate::render::chat::{telegram_payload, ChatSettings};
use crate::render::Secret;

/// Telegram's Bot API, the default [`TelegramSender::api_base`].
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";

/// Telegram bot: `sendMessage` to one chat.
#[derive(Debug, Clone)]
pub struct TelegramSender<H> {
    /// The transport.
    pub http: H,
    /// The bot token (part of the request path, so never shown).
    pub bot_token: Secret,
    /// The chat, channel (`@name`) or group id.
    pub chat_id: String,
    /// The Bot API base, [`TELEGRAM_API_BASE`] unless overridden (tests, a local Bot API).
    pub api_base: String,
    /// Dashboard link and the like.
    pub settings: ChatSettings,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl<H: HttpPost> TelegramSender<H> {
    /// A sender for `chat_id` through Telegram's own API with [`DEFAULT_TIMEOUT`].
    pub fn new(http: H, bot_token: Secret, chat_id: impl Into<String>) -> Self {
        Self {
            http,
            bot_token,
            chat_id: chat_id.into(),
            api_base: TELEGRAM_API_BASE.into(),
            settings: ChatSettings::default(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// POSTs one batch as one message; an empty batch sends nothing.
    pub fn send(&self, events: &[AlertEvent]) -> Result<(), SendError> {
        if events.is_empty() {
            return Ok(());
        }
        self.send_body(&telegram_payload(events, &self.chat_id, &self.settings).to_string())
    }

    /// POSTs an already rendered `sendMessage` body (an outbox payload) as is.
    pub fn send_body(&self, body: &str) -> Result<(), SendError> {
        let url = format!(
            "{}/bot{}/sendMessage",
            self.api_base.trim_end_matches('/'),
            self.bot_token.expose()
        );
        let post = Post {
            channel: "telegram",
            url: &url,
            shown: redact_to_host(&url),
            timeout: self.timeout,
        };
        post.send_json(&self.http, body)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{event, TOKEN};
    use super::super::FakeHttp;
    use super::*;

    #[test]
    fn telegram_url_and_body() {
        let http = FakeHttp::new();
        let mut sender = TelegramSender::new(&http, Secret::new(TOKEN), "-10042");
        assert_eq!(sender.api_base, TELEGRAM_API_BASE);
        sender.api_base = "http://127.0.0.1:9/".into();
        sender.send(&[event()]).expect("sent");
        let req = &http.requests()[0];
        assert_eq!(
            req.url,
            format!("http://127.0.0.1:9/bot{TOKEN}/sendMessage")
        );
        let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
        assert_eq!(body["chat_id"], "-10042");
        assert_eq!(body["parse_mode"], "HTML");
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
}
