//! Why an HTTP delivery failed, and whether it is worth trying again: connection failures,
//! timeouts, 408, 429 and 5xx are retried; every other answer is final.

use std::error::Error as StdError;
use std::time::Duration;

use super::transport::HttpReply;
use crate::error::NotifyError;

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

    /// The error for a reply that is not 2xx, `None` for a success.
    pub(super) fn from_reply(
        channel: &'static str,
        shown: &str,
        reply: &HttpReply,
    ) -> Option<Self> {
        if (200..300).contains(&reply.status) {
            return None;
        }
        Some(Self::Status {
            channel,
            target: shown.to_string(),
            status: reply.status,
            retry_after: retry_after(reply),
            body: snippet(&reply.body),
        })
    }

    /// The same error attributed to `channel` and shown as `shown`: transports only know the
    /// host, the sender knows which channel it is and how much of its URL may be shown.
    pub(super) fn attributed(mut self, to: &'static str, shown: &str) -> Self {
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

#[cfg(test)]
mod tests {
    use super::super::DEFAULT_TIMEOUT;
    use super::*;

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
        let render = SendError::Render {
            channel: "x",
            source: NotifyError::UnbalancedBrace {
                template: "{".into(),
                at: 0,
            },
        };
        assert!(!render.is_retryable());
    }

    #[test]
    fn replies_become_status_errors_with_a_one_line_snippet() {
        assert!(SendError::from_reply("x", "h", &HttpReply::status(204)).is_none());
        let long = HttpReply {
            status: 503,
            headers: vec![("Retry-After".into(), " 12 ".into())],
            body: "a\nb".repeat(150).into_bytes(),
        };
        let err = SendError::from_reply("webhook", "http://h/x", &long).expect("503");
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(12)));
        let SendError::Status { body, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(body.chars().count(), BODY_SNIPPET_CHARS + 1);
        assert!(body.starts_with("a b") && body.ends_with('…'), "{body}");
        let dated = HttpReply {
            status: 429,
            headers: vec![("retry-after".into(), "Wed, 21 Oct 2015 07:28:00 GMT".into())],
            body: Vec::new(),
        };
        let err = SendError::from_reply("x", "h", &dated).expect("429");
        assert_eq!(err.retry_after(), None, "the HTTP-date form is ignored");
    }

    #[test]
    fn attribution_renames_channel_and_target() {
        let err = SendError::Connect {
            channel: "http",
            target: "https://hooks.slack.com:443".into(),
            source: "refused".into(),
        }
        .attributed("slack", "https://hooks.slack.com");
        assert_eq!(
            err.to_string(),
            "slack: cannot connect to https://hooks.slack.com: refused"
        );
    }
}
