//! Slack, Discord and Teams incoming webhooks: the whole URL is the credential (the token is
//! in its path), so it is held as a [`Secret`] and only `scheme://host` is ever shown.

use std::time::Duration;

use bandwatch_core::AlertEvent;

use super::error::SendError;
use super::redact::redact_to_host;
use super::transport::{HttpPost, Post};
use super::DEFAULT_TIMEOUT;
use crate::render::chat::{discord_payload, slack_payload, teams_payload, ChatSettings};
use crate::render::Secret;

/// Defines a chat sender whose whole URL is a secret (the token is in its path).
macro_rules! chat_webhook_sender {
    ($(#[$doc:meta])* $name:ident, $channel:literal, $render:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<H> {
            /// The transport.
            pub http: H,
            /// The incoming-webhook URL; it holds the token, so it is never shown.
            pub url: Secret,
            /// Dashboard link and the like.
            pub settings: ChatSettings,
            /// Timeout of one request.
            pub timeout: Duration,
        }

        impl<H: HttpPost> $name<H> {
            /// A sender to `url` with default settings and [`DEFAULT_TIMEOUT`].
            pub fn new(http: H, url: Secret) -> Self {
                Self {
                    http,
                    url,
                    settings: ChatSettings::default(),
                    timeout: DEFAULT_TIMEOUT,
                }
            }

            /// POSTs one batch; an empty batch sends nothing.
            pub fn send(&self, events: &[AlertEvent]) -> Result<(), SendError> {
                if events.is_empty() {
                    return Ok(());
                }
                self.send_body(&$render(events, &self.settings).to_string())
            }

            /// POSTs an already rendered JSON body (an outbox payload) as is.
            pub fn send_body(&self, body: &str) -> Result<(), SendError> {
                let post = Post {
                    channel: $channel,
                    url: self.url.expose(),
                    shown: redact_to_host(self.url.expose()),
                    timeout: self.timeout,
                };
                post.send_json(&self.http, body)
            }
        }
    };
}

chat_webhook_sender!(
    /// Slack incoming webhook.
    SlackSender,
    "slack",
    slack_payload
);
chat_webhook_sender!(
    /// Discord webhook.
    DiscordSender,
    "discord",
    discord_payload
);
chat_webhook_sender!(
    /// Microsoft Teams (Workflows) webhook.
    TeamsSender,
    "teams",
    teams_payload
);

#[cfg(test)]
mod tests {
    use super::super::tests::event;
    use super::super::FakeHttp;
    use super::*;

    #[test]
    fn slack_discord_teams_bodies_are_their_renderers() {
        let http = FakeHttp::new();
        let settings = ChatSettings::default();
        let url = || Secret::new("https://chat.example/hook");
        SlackSender::new(&http, url())
            .send(&[event()])
            .expect("sent");
        DiscordSender::new(&http, url())
            .send(&[event()])
            .expect("sent");
        TeamsSender::new(&http, url())
            .send(&[event()])
            .expect("sent");
        let bodies: Vec<serde_json::Value> = http
            .requests()
            .iter()
            .map(|r| serde_json::from_slice(&r.body).expect("json"))
            .collect();
        assert_eq!(bodies[0], slack_payload(&[event()], &settings));
        assert_eq!(bodies[1], discord_payload(&[event()], &settings));
        assert_eq!(bodies[2], teams_payload(&[event()], &settings));
        for req in http.requests() {
            assert_eq!(req.header("content-type"), Some("application/json"));
            assert_eq!(req.url, "https://chat.example/hook");
        }
    }

    #[test]
    fn empty_batches_send_nothing() {
        let http = FakeHttp::new();
        let url = Secret::new("https://chat.example/hook");
        SlackSender::new(&http, url.clone()).send(&[]).expect("ok");
        DiscordSender::new(&http, url.clone())
            .send(&[])
            .expect("ok");
        TeamsSender::new(&http, url).send(&[]).expect("ok");
        assert!(http.requests().is_empty());
    }
}
