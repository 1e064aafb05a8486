//! The one error type of this crate.

/// What went wrong while preparing a notification.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// A subject template names a placeholder that does not exist.
    #[error(
        "subject template '{template}': unknown placeholder '{{{name}}}'; use {{severity}}, {{rule}}, {{subject}}, {{count}} or {{state}} (write '{{{{' for a literal brace)"
    )]
    UnknownPlaceholder {
        /// The template as configured.
        template: String,
        /// The placeholder name found between the braces.
        name: String,
    },
    /// A subject template has a `{` without a matching `}` or a lone `}`.
    #[error("subject template '{template}': unbalanced brace at byte {at}; write '{{{{' or '}}}}' for a literal brace")]
    UnbalancedBrace {
        /// The template as configured.
        template: String,
        /// Byte offset of the offending brace.
        at: usize,
    },
    /// An MQTT topic prefix that would not make valid topics.
    #[error("MQTT topic prefix '{prefix}': {reason}")]
    InvalidTopicPrefix {
        /// The prefix as configured.
        prefix: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A document could not be serialised to JSON.
    #[error("cannot encode the {what} as JSON")]
    Json {
        /// Which document was being encoded.
        what: &'static str,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The result type of this crate.
pub type Result<T, E = NotifyError> = std::result::Result<T, E>;
