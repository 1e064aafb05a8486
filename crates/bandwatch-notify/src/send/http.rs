//! HTTP delivery: the webhook, Slack, Discord, Teams, Telegram and Alertmanager channels.
//!
//! Every sender renders one batch with the pure renderers and POSTs it through [`HttpPost`],
//! the one seam to the network: [`ReqwestPost`] for real (rustls with ring, no OpenSSL) and
//! [`FakeHttp`] for tests. The blocking client must not be called from inside an async
//! runtime; the caller runs senders on their own thread (or `spawn_blocking`).

use std::collections::VecDeque;
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bandwatch_core::AlertEvent;
use reqwest::Url;

use crate::error::NotifyError;
use crate::render::alertmanager::{alertmanager_alerts, AlertmanagerSettings};
use crate::render::chat::{
    discord_payload, slack_payload, teams_payload, telegram_payload, ChatSettings,
};
use crate::render::webhook::{sign, webhook_body, SIGNATURE_HEADER};
use crate::render::Secret;

/// How long a request may take, connect to last byte, unless a sender says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Telegram's Bot API, the default [`TelegramSender::api_base`].
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";

/// The content type of every body sent here.
const JSON: &str = "application/json";

/// At most this many characters of an error reply are kept in a [`SendError`].
const BODY_SNIPPET_CHARS: usize = 200;

/// The source error of a failed request, kept for the chain but never holding the URL.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a message was not delivered; [`SendError::is_retryable`] tells whether to try again.
///
/// `target` is the endpoint as it may be shown: `scheme://host:port` for channels whose URL
/// holds a token (Slack, Discord, Teams, Telegram), the URL without query or credentials for
/// the others. No variant holds a secret, a header value or a full chat URL.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The URL does not parse or is not http(s): fix the channel's URL setting.
    #[error("{channel}: invalid URL {target}: {reason}; check the channel's URL setting")]
    InvalidUrl {
        /// The channel kind (`webhook`, `slack`, …).
        channel: &'static str,
        /// The endpoint as it may be shown.
        target: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No connection (refused, unreachable, DNS or TLS handshake failure).
    #[error("{channel}: cannot connect to {target}: {source}")]
    Connect {
        /// The channel kind.
        channel: &'static str,
        /// The endpoint as it may be shown.
        target: String,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// No complete answer within the timeout.
    #[error("{channel}: no answer from {target} within {after:?}")]
    Timeout {
        /// The channel kind.
        channel: &'static str,
        /// The endpoint as it may be shown.
        target: String,
        /// The timeout that ran out.
        after: Duration,
    },
    /// The server answered with a status other than 2xx.
    #[error("{channel}: {target} answered HTTP {status}: {body}")]
    Status {
        /// The channel kind.
        channel: &'static str,
        /// The endpoint as it may be shown.
        target: String,
        /// The HTTP status code.
        status: u16,
        /// The delay asked for by a `Retry-After: <seconds>` header.
        retry_after: Option<Duration>,
        /// The start of the reply body, on one line.
        body: String,
    },
    /// The request failed after connecting (reset, malformed reply).
    #[error("{channel}: request to {target} failed: {source}")]
    Transport {
        /// The channel kind.
        channel: &'static str,
        /// The endpoint as it may be shown.
        target: String,
        /// The transport's error.
        #[source]
        source: BoxError,
    },
    /// The message could not be rendered (a bug, not a delivery problem).
    #[error("{channel}: cannot render the message: {source}")]
    Render {
        /// The channel kind.
        channel: &'static str,
        /// The renderer's error.
        #[source]
        source: NotifyError,
    },
}

impl SendError {
    /// Whether the same message may succeed later: connection failures, timeouts, 408, 429
    /// and 5xx; not an invalid URL, another 4xx or 3xx, or a rendering failure.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Timeout { .. } | Self::Transport { .. } => true,
            Self::Status { status, .. } => matches!(status, 408 | 429 | 500..=599),
            Self::InvalidUrl { .. } | Self::Render { .. } => false,
        }
    }

    /// The wait the server asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The same error attributed to `channel` and shown as `shown`.
    fn attributed(mut self, to: &'static str, shown: &str) -> Self {
        match &mut self {
            Self::InvalidUrl {
                channel, target, ..
            }
            | Self::Connect {
                channel, target, ..
            }
            | Self::Timeout {
                channel, target, ..
            }
            | Self::Status {
                channel, target, ..
            }
            | Self::Transport {
                channel, target, ..
            } => {
                *channel = to;
                shown.clone_into(target);
            }
            Self::Render { channel, .. } => *channel = to,
        }
        self
    }
}

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

/// `scheme://host[:port]` of a URL: what may be shown of one that carries a token.
pub fn redact_to_host(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{}://{host}:{port}", u.scheme()),
            (Some(host), None) => format!("{}://{host}", u.scheme()),
            _ => format!("{}:", u.scheme()),
        },
        Err(_) => "(unparseable URL, not shown)".into(),
    }
}

/// A URL without its credentials, query and fragment.
pub fn redact_to_path(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) if u.host_str().is_some() => {
            format!("{}{}", redact_to_host(url), u.path())
        }
        _ => redact_to_host(url),
    }
}

/// Parses an http(s) URL; the error shows only `scheme://host`.
fn parse_http_url(url: &str) -> Result<Url, SendError> {
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

/// The header that carries a notification's idempotency key (same key on every retry).
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

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

/// One request as [`FakeHttp`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedPost {
    /// The full URL.
    pub url: String,
    /// The headers as given.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The timeout asked for.
    pub timeout: Duration,
}

impl RecordedPost {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An [`HttpPost`] for tests: records every request and answers from a script (then 200).
#[derive(Debug, Default)]
pub struct FakeHttp {
    script: Mutex<VecDeque<Result<HttpReply, SendError>>>,
    seen: Mutex<Vec<RecordedPost>>,
}

impl FakeHttp {
    /// A fake that answers 200 to everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues the outcome of the next unanswered request.
    pub fn then(&self, outcome: Result<HttpReply, SendError>) -> &Self {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(outcome);
        self
    }

    /// The requests so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedPost> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl HttpPost for FakeHttp {
    fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpReply, SendError> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RecordedPost {
                url: url.to_string(),
                headers: headers.to_vec(),
                body: body.to_vec(),
                timeout,
            });
        parse_http_url(url)?;
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
            .unwrap_or_else(|| Ok(HttpReply::status(200)))
    }
}

/// The `Retry-After` delay, when given in seconds (the HTTP-date form is ignored).
fn retry_after(reply: &HttpReply) -> Option<Duration> {
    reply
        .header("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The start of a reply body on one line, for an error message.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .take(BODY_SNIPPET_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > BODY_SNIPPET_CHARS {
        out.push('…');
    }
    out
}

/// One POST of a JSON body, with errors attributed to `channel` and shown as `shown`.
struct Post<'a> {
    channel: &'static str,
    url: &'a str,
    shown: String,
    timeout: Duration,
}

impl Post<'_> {
    fn send(
        &self,
        http: &impl HttpPost,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), SendError> {
        let reply = http
            .post(self.url, headers, body, self.timeout)
            .map_err(|e| e.attributed(self.channel, &self.shown))?;
        if (200..300).contains(&reply.status) {
            return Ok(());
        }
        Err(SendError::Status {
            channel: self.channel,
            target: self.shown.clone(),
            status: reply.status,
            retry_after: retry_after(&reply),
            body: snippet(&reply.body),
        })
    }

    /// POSTs a JSON body with only a `Content-Type` header.
    fn send_json(&self, http: &impl HttpPost, body: &str) -> Result<(), SendError> {
        let headers = [("Content-Type".to_string(), JSON.to_string())];
        self.send(http, &headers, body.as_bytes())
    }
}

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
            .field("url", &redact_to_path(&self.url))
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
        let ours = |n: &str| {
            n.eq_ignore_ascii_case("content-type")
                || n.eq_ignore_ascii_case(SIGNATURE_HEADER)
                || n.eq_ignore_ascii_case(IDEMPOTENCY_HEADER)
        };
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(n, _)| !ours(n))
            .cloned()
            .collect();
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
            shown: redact_to_path(&self.url),
            timeout: self.timeout,
        };
        post.send(&self.http, &headers, body.as_bytes())
    }
}

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
    use super::*;
    use bandwatch_core::{alert_id, EventKind, SeriesKey, Severity, Timestamp};

    const TOKEN: &str = "123456:AAH-secret-token";

    fn event() -> AlertEvent {
        let series = SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0");
        let started = Timestamp::from_secs(1_795_255_200);
        AlertEvent {
            id: alert_id("wan_rx_high", &series, started),
            rule: "wan_rx_high".into(),
            series,
            kind: EventKind::Fired,
            state: EventKind::Fired.state(),
            severity: Severity::High,
            value: 950e6,
            reference: 800e6,
            message: "receive rate above the limit".into(),
            started,
            ended: None,
            at: started.add_millis(30_000),
        }
    }

    fn status(code: u16) -> SendError {
        SendError::Status {
            channel: "x",
            target: "http://h".into(),
            status: code,
            retry_after: None,
            body: String::new(),
        }
    }

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
    fn classification() {
        for code in [408, 429, 500, 502, 503, 599] {
            assert!(status(code).is_retryable(), "{code} should be retryable");
        }
        for code in [301, 400, 401, 403, 404, 410, 413, 422] {
            assert!(!status(code).is_retryable(), "{code} should be permanent");
        }
        let timeout = SendError::Timeout {
            channel: "x",
            target: "h".into(),
            after: DEFAULT_TIMEOUT,
        };
        assert!(timeout.is_retryable());
        let refused = SendError::Connect {
            channel: "x",
            target: "h".into(),
            source: "refused".into(),
        };
        assert!(refused.is_retryable());
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
            "webhook: http://h/x answered HTTP 429: {\"ok\":false, \"description\":\"Too Many Requests\"}"
        );
    }

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

    #[test]
    fn chat_errors_never_show_the_token() {
        type Send = Box<dyn Fn(&FakeHttp) -> Result<(), SendError>>;
        let cases: Vec<(Send, (&str, &str))> = vec![
            (
                Box::new(|h| {
                    let url = format!("https://hooks.slack.com/services/T0/B0/{TOKEN}?x={TOKEN}");
                    SlackSender::new(h, Secret::new(url)).send(&[event()])
                }),
                ("slack: ", "https://hooks.slack.com "),
            ),
            (
                Box::new(|h| {
                    let url = format!("https://discord.com/api/webhooks/1/{TOKEN}");
                    DiscordSender::new(h, Secret::new(url)).send(&[event()])
                }),
                ("discord: ", "https://discord.com "),
            ),
            (
                Box::new(|h| {
                    let url = format!("https://user:{TOKEN}@example.com:8443/wf/{TOKEN}");
                    TeamsSender::new(h, Secret::new(url)).send(&[event()])
                }),
                ("teams: ", "https://example.com:8443 "),
            ),
            (
                Box::new(|h| TelegramSender::new(h, Secret::new(TOKEN), "1").send(&[event()])),
                ("telegram: ", "https://api.telegram.org "),
            ),
        ];
        for (send, (prefix, shown_host)) in cases {
            let http = FakeHttp::new();
            http.then(Ok(HttpReply::status(403)));
            http.then(Err(SendError::Timeout {
                channel: "http",
                target: "x".into(),
                after: DEFAULT_TIMEOUT,
            }));
            for _ in 0..2 {
                let err = send(&http).expect_err("scripted failure");
                let shown = format!("{err} / {err:?}");
                assert!(!shown.contains("secret-token"), "{shown}");
                assert!(!shown.contains("/T0/"), "{shown}");
                let text = err.to_string();
                assert!(text.starts_with(prefix), "{err}");
                assert!(text.contains(shown_host), "{err}");
            }
            assert!(http.requests()[0].url.contains(TOKEN));
        }
    }

    #[test]
    fn senders_do_not_debug_print_secrets() {
        let http = FakeHttp::new();
        let mut hook = WebhookSender::new(&http, format!("https://h/p?token={TOKEN}"));
        hook.headers = vec![("Authorization".into(), format!("Bearer {TOKEN}"))];
        hook.secret = Some(Secret::new(TOKEN));
        let slack = SlackSender::new(&http, Secret::new(format!("https://h/{TOKEN}")));
        let tg = TelegramSender::new(&http, Secret::new(TOKEN), "1");
        for shown in [format!("{hook:?}"), format!("{slack:?}"), format!("{tg:?}")] {
            assert!(!shown.contains("secret-token"), "{shown}");
        }
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_to_host("https://u:p@hooks.slack.com/services/a/b?c=d#e"),
            "https://hooks.slack.com"
        );
        assert_eq!(
            redact_to_host("http://127.0.0.1:8080/x"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            redact_to_path("http://u:p@am:9093/api/v2/alerts?x=1"),
            "http://am:9093/api/v2/alerts"
        );
        assert_eq!(
            redact_to_host("::not a url::"),
            "(unparseable URL, not shown)"
        );
    }

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
    }
}
