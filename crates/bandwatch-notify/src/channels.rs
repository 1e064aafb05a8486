//! Every channel as the dispatcher sees it: a configured name, a renderer that makes the
//! payload stored in the outbox, and a sender that later sends exactly that payload.
//!
//! `deliver` never renders again: a retried webhook carries the same bytes and therefore the
//! same HMAC signature as the first attempt, and what was stored is what arrives. Failures
//! become [`Outcome::Retry`] or [`Outcome::Permanent`] with the senders' messages, which never
//! hold a token, a secret or a password (the senders redact them).

use std::fmt;

use bandwatch_core::AlertEvent;
use serde::{Deserialize, Serialize};

use crate::dispatch::{Deliver, Outcome};
use crate::error::{NotifyError, Result};
use crate::render::alertmanager::alertmanager_alerts;
use crate::render::chat::{discord_payload, slack_payload, teams_payload, telegram_payload};
use crate::render::email::{render_email, EmailMessage, EmailSettings, InlineImage};
use crate::render::summary;
use crate::render::webhook::webhook_body;
use crate::send::http::{
    self, AlertmanagerSender, DiscordSender, HttpPost, SlackSender, TeamsSender, TelegramSender,
    WebhookSender,
};
use crate::send::smtp::{LettreTransport, MailTransport, SmtpSender};
use crate::summary::Summary;

/// The outbox's view of one HTTP send: retryable failures (connect, timeout, 408, 429, 5xx)
/// are retried, every other failure is final.
pub fn http_outcome(result: Result<(), http::SendError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Delivered,
        Err(e) if e.is_retryable() => Outcome::Retry(e.to_string()),
        Err(e) => Outcome::Permanent(e.to_string()),
    }
}

/// The stored form of an email: `{"subject":…,"text":…,"html":…}`, and `"inline"` when
/// the HTML shows images (a summary's chart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailPayload {
    /// The subject line.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
    /// Images shown inside the HTML; absent for alerts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline: Vec<StoredImage>,
}

/// An inline image as stored: its bytes in base64, so the payload stays JSON text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredImage {
    /// The Content-ID the HTML refers to.
    pub cid: String,
    /// The MIME type.
    pub content_type: String,
    /// The bytes, standard base64.
    pub base64: String,
}

impl From<EmailMessage> for EmailPayload {
    fn from(m: EmailMessage) -> Self {
        use base64::Engine as _;
        Self {
            subject: m.subject,
            text: m.text,
            html: m.html,
            inline: m
                .inline
                .into_iter()
                .map(|i| StoredImage {
                    cid: i.cid,
                    content_type: i.content_type,
                    base64: base64::engine::general_purpose::STANDARD.encode(i.data),
                })
                .collect(),
        }
    }
}

impl TryFrom<EmailPayload> for EmailMessage {
    type Error = String;

    fn try_from(p: EmailPayload) -> std::result::Result<Self, String> {
        use base64::Engine as _;
        let inline = p
            .inline
            .into_iter()
            .map(|i| {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(&i.base64)
                    .map_err(|e| format!("stored inline image '{}' is not base64: {e}", i.cid))?;
                Ok(InlineImage {
                    cid: i.cid,
                    content_type: i.content_type,
                    data,
                })
            })
            .collect::<std::result::Result<Vec<_>, String>>()?;
        Ok(Self {
            subject: p.subject,
            text: p.text,
            html: p.html,
            inline,
        })
    }
}

/// Email: stores the rendered subject and bodies as JSON, sends them as one
/// multipart/alternative message through [`SmtpSender`].
pub struct EmailChannel<T = LettreTransport> {
    /// The channel's configured name (e.g. `email:ops`).
    pub name: String,
    /// Subject template and dashboard link.
    pub settings: EmailSettings,
    /// The validated SMTP sender.
    pub sender: SmtpSender<T>,
}

impl<T> fmt::Debug for EmailChannel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailChannel")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .field("sender", &self.sender)
            .finish()
    }
}

impl<T: MailTransport> EmailChannel<T> {
    /// The channel `name` sending through `sender`.
    pub fn new(name: impl Into<String>, settings: EmailSettings, sender: SmtpSender<T>) -> Self {
        Self {
            name: name.into(),
            settings,
            sender,
        }
    }
}

impl<T: MailTransport> Deliver for EmailChannel<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn render(&self, events: &[AlertEvent]) -> Result<String> {
        let payload = EmailPayload::from(render_email(events, &self.settings));
        serde_json::to_string(&payload).map_err(|source| NotifyError::Json {
            what: "email payload",
            source,
        })
    }

    fn render_summary(&self, summary: &Summary) -> Option<Result<String>> {
        let payload = EmailPayload::from(summary::email(summary));
        Some(
            serde_json::to_string(&payload).map_err(|source| NotifyError::Json {
                what: "email payload",
                source,
            }),
        )
    }

    fn deliver(&mut self, payload: &str) -> Outcome {
        let email: EmailPayload = match serde_json::from_str(payload) {
            Ok(email) => email,
            // The error names a line and column, never the content.
            Err(e) => {
                return Outcome::Permanent(format!(
                    "stored email payload is not a JSON object of subject, text and html: {e}"
                ))
            }
        };
        let message = match EmailMessage::try_from(email) {
            Ok(m) => m,
            Err(e) => return Outcome::Permanent(e),
        };
        match self.sender.send(&message) {
            Ok(()) => Outcome::Delivered,
            Err(e) => e.outcome(),
        }
    }
}

/// The generic webhook: stores the exact body, and signs and POSTs those bytes on delivery.
#[derive(Debug, Clone)]
pub struct WebhookChannel<H> {
    /// The channel's configured name (e.g. `webhook:noc`).
    pub name: String,
    /// URL, extra headers, HMAC secret and timeout.
    pub sender: WebhookSender<H>,
}

impl<H: HttpPost> WebhookChannel<H> {
    /// The channel `name` posting through `sender`.
    pub fn new(name: impl Into<String>, sender: WebhookSender<H>) -> Self {
        Self {
            name: name.into(),
            sender,
        }
    }
}

impl<H: HttpPost + Send> Deliver for WebhookChannel<H> {
    fn name(&self) -> &str {
        &self.name
    }

    fn render(&self, events: &[AlertEvent]) -> Result<String> {
        webhook_body(events)
    }

    fn render_summary(&self, summary: &Summary) -> Option<Result<String>> {
        Some(Ok(summary.json.clone()))
    }

    fn deliver(&mut self, payload: &str) -> Outcome {
        http_outcome(self.sender.send_body(payload))
    }

    fn deliver_keyed(&mut self, payload: &str, key: &str) -> Outcome {
        http_outcome(self.sender.send_body_keyed(payload, Some(key)))
    }
}

/// Defines a channel whose payload is the JSON body its sender POSTs.
macro_rules! json_channel {
    ($(#[$doc:meta])* $name:ident, $sender:ident, $example:literal, |$s:ident, $events:ident| $render:expr $(, summary |$ss:ident, $summary:ident| $render_summary:expr)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<H> {
            #[doc = concat!("The channel's configured name (e.g. `", $example, "`).")]
            pub name: String,
            /// The sender, whose settings the renderer uses too.
            pub sender: $sender<H>,
        }

        impl<H: HttpPost> $name<H> {
            /// The channel `name` posting through `sender`.
            pub fn new(name: impl Into<String>, sender: $sender<H>) -> Self {
                Self {
                    name: name.into(),
                    sender,
                }
            }
        }

        impl<H: HttpPost + Send> Deliver for $name<H> {
            fn name(&self) -> &str {
                &self.name
            }

            fn render(&self, $events: &[AlertEvent]) -> Result<String> {
                let $s = &self.sender;
                Ok($render.to_string())
            }

            $(
            fn render_summary(&self, $summary: &Summary) -> Option<Result<String>> {
                let $ss = &self.sender;
                Some(Ok($render_summary.to_string()))
            }
            )?

            fn deliver(&mut self, payload: &str) -> Outcome {
                http_outcome(self.sender.send_body(payload))
            }
        }
    };
}

json_channel!(
    /// Slack incoming webhook: the payload is the message JSON.
    SlackChannel,
    SlackSender,
    "slack:ops",
    |s, events| slack_payload(events, &s.settings),
    summary |s, sm| summary::slack(sm, &s.settings)
);
json_channel!(
    /// Discord webhook: the payload is the message JSON.
    DiscordChannel,
    DiscordSender,
    "discord:ops",
    |s, events| discord_payload(events, &s.settings),
    summary |s, sm| summary::discord(sm, &s.settings)
);
json_channel!(
    /// Microsoft Teams (Workflows) webhook: the payload is the Adaptive Card message JSON.
    TeamsChannel,
    TeamsSender,
    "teams:ops",
    |s, events| teams_payload(events, &s.settings),
    summary |s, sm| summary::teams(sm, &s.settings)
);
json_channel!(
    /// Telegram bot: the payload is the `sendMessage` JSON, chat id included.
    TelegramChannel,
    TelegramSender,
    "telegram:ops",
    |s, events| telegram_payload(events, &s.chat_id, &s.settings),
    summary |s, sm| summary::telegram(sm, &s.chat_id, &s.settings)
);
json_channel!(
    /// Prometheus Alertmanager: the payload is the `postableAlerts` JSON list.
    AlertmanagerChannel,
    AlertmanagerSender,
    "alertmanager:main",
    |s, events| alertmanager_alerts(events, &s.settings)
);
