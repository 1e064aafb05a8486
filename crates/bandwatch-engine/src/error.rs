//! The engine's one error type: every variant names the rule and the field that is wrong.

/// Why a rule was refused.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A field has a value the rule cannot use.
    #[error("rule '{rule}': field '{field}': {reason}")]
    InvalidField {
        /// The rule's name (or `#<index>` when it has none).
        rule: String,
        /// The offending field, as spelled in the configuration.
        field: String,
        /// What is wrong and what would be right.
        reason: String,
    },
    /// A label matcher is not a valid pattern (a glob, `!glob`, `~regex` or `!~regex`).
    #[error("rule '{rule}': field '{field}': {problem}")]
    BadMatcher {
        /// The rule's name.
        rule: String,
        /// `match.<label>`.
        field: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong, e.g. `bad glob 'eth[': unclosed character class; missing ']'`.
        problem: String,
        /// What the selector said.
        #[source]
        source: bandwatch_core::SelectorError,
    },
    /// A duration field is not a humantime duration like `30s` or `15m`.
    #[error("rule '{rule}': field '{field}': '{text}' is not a duration like \"30s\" or \"15m\": {source}")]
    BadDuration {
        /// The rule's name.
        rule: String,
        /// `for`, `clear_for` or `cooldown`.
        field: String,
        /// The text as written.
        text: String,
        /// What the duration parser said.
        #[source]
        source: humantime::DurationError,
    },
}

impl EngineError {
    /// The error for one field of one rule.
    pub(crate) fn invalid(rule: &str, field: &str, reason: impl Into<String>) -> Self {
        Self::InvalidField {
            rule: rule.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
