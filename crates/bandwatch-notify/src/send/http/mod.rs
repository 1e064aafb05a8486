//! HTTP delivery: the webhook, Slack, Discord, Teams, Telegram and Alertmanager channels.
//!
//! Every sender renders one batch with the pure renderers and POSTs it through [`HttpPost`],
//! the one seam to the network: [`ReqwestPost`] for real (rustls with ring, no OpenSSL) and,
//! in tests only, `FakeHttp` (the `fake` feature). Failures are [`SendError`]s classified into
//! retryable and permanent, and never show a secret: chat URLs are shown as
//! `scheme://host`, other URLs without credentials or query.
//!
//! One concern per module: `transport` (the trait and the shared POST step), `error` (the
//! classification), `redact`, `client` (reqwest), and one module per channel kind.

mod alertmanager;
mod chat;
mod client;
mod error;
#[cfg(any(test, feature = "fake"))]
mod fake;
mod redact;
mod telegram;
mod transport;
mod webhook;

#[cfg(test)]
mod tests;

use std::time::Duration;

pub use alertmanager::AlertmanagerSender;
pub use chat::{DiscordSender, SlackSender, TeamsSender};
pub use client::ReqwestPost;
pub use error::{BoxError, SendError};
#[cfg(any(test, feature = "fake"))]
pub use fake::{FakeHttp, RecordedPost};
pub use redact::{redact_to_host, redact_to_path};
pub use telegram::{TelegramSender, TELEGRAM_API_BASE};
pub use transport::{HttpPost, HttpReply};
pub use webhook::{WebhookSender, IDEMPOTENCY_HEADER};

/// How long a request may take, connect to last byte, unless a sender says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
