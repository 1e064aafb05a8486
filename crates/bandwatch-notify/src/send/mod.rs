//! Delivery: one sender per channel kind, each behind a narrow transport trait.

pub mod http;
pub mod mqtt;
pub mod smtp;

use crate::dispatch::Outcome;

/// The underlying error a transport reported.
pub type Source = Box<dyn std::error::Error + Send + Sync>;

/// Which connection-oriented transport failed; it only chooses the wording of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// SMTP.
    Email,
    /// An MQTT broker.
    Mqtt,
}

impl Service {
    fn noun(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Mqtt => "MQTT",
        }
    }

    fn failed(self, target: &str, reason: &str, retrying: bool) -> String {
        match (self, retrying) {
            (Self::Email, true) => {
                format!("sending mail via {target} failed, will retry: {reason}")
            }
            (Self::Email, false) => format!("sending mail via {target} failed: {reason}"),
            (Self::Mqtt, _) => format!("MQTT broker {target}: {reason}"),
        }
    }
}

/// Why an SMTP or MQTT delivery failed; the HTTP senders have their own, richer error
/// ([`http::SendError`]) because they classify status codes.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// A setting is invalid; nothing was sent.
    #[error("{} setting '{field}': {reason}", service.noun())]
    InvalidSetting {
        /// Which transport.
        service: Service,
        /// The setting's name.
        field: &'static str,
        /// What is wrong and what to write instead.
        reason: String,
    },
    /// The message could not be built from the rendered email.
    #[error("cannot build the email: {reason}")]
    Message {
        /// What the mail library objected to.
        reason: String,
    },
    /// Delivery failed in a way that may pass later (server down, timeout, 4xx reply).
    #[error("{}", service.failed(target, reason, true))]
    Retryable {
        /// Which transport.
        service: Service,
        /// `host:port`.
        target: String,
        /// What happened and what may fix it.
        reason: String,
        /// The transport's error.
        #[source]
        source: Option<Source>,
    },
    /// Delivery failed in a way a retry will not fix (5xx reply, rejected login, TLS mismatch).
    #[error("{}", service.failed(target, reason, false))]
    Permanent {
        /// Which transport.
        service: Service,
        /// `host:port`.
        target: String,
        /// What happened and what to change.
        reason: String,
        /// The transport's error.
        #[source]
        source: Option<Source>,
    },
}

impl SendError {
    /// Whether trying the same message again later can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// The outbox's view of this failure.
    pub fn outcome(&self) -> Outcome {
        if self.is_retryable() {
            Outcome::Retry(self.to_string())
        } else {
            Outcome::Permanent(self.to_string())
        }
    }
}
