//! Scheduled summaries (`[[reports]]`): a period's traffic, peaks, caps and alerts, composed
//! by the binary from the history and handed to the channels the report names. Each channel
//! renders it in its own format (email with the chart inline, the webhook's JSON, a chat
//! message) and it goes through the outbox like an alert, so it survives a restart and a
//! receiver that is down.
//!
//! The notify runtime owns the thread that waits for the schedule ([`Summaries`]): the
//! binary says when the next summary is due and composes it; nothing here reads the history.

use bandwatch_core::Timestamp;

/// The content id of the chart in an email's HTML (`<img src="cid:chart@bandwatch">`).
pub const CHART_CID: &str = "chart@bandwatch";

/// One scheduled summary of one period, in every form a channel may need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The report's name in the configuration (`daily`).
    pub report: String,
    /// Unique per report and period: the outbox's idempotency key, so a summary that was
    /// already queued (before a restart, say) is never sent twice.
    pub key: String,
    /// One line for a subject or a chat message's title.
    pub title: String,
    /// The summary as aligned plain text.
    pub text: String,
    /// The summary as HTML for email; shows the chart as `cid:` [`CHART_CID`] when there is one.
    pub html: String,
    /// The summary for programs: a JSON object (the webhook's body, the MQTT payload).
    pub json: String,
    /// The chart as a PNG image, shown inline in email.
    pub chart_png: Option<Vec<u8>>,
}

/// A report's summary that is due: which report, when, and its outbox key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The report's name.
    pub report: String,
    /// When it was due.
    pub at: Timestamp,
    /// The outbox's idempotency key of its summary (the report and the period it covers).
    pub key: String,
    /// The channels it goes to, by configured name.
    pub channels: Vec<String>,
}

/// The scheduled reports of a run, as the notify runtime sees them; the binary implements
/// it over the configuration and the history.
pub trait Summaries: Send {
    /// The earliest time after `after` (exclusive) at which any report is due; `None` when
    /// none is scheduled.
    fn next_due(&self, after: Timestamp) -> Option<Timestamp>;
    /// Every report due in `(after, upto]`, each at its latest due time in that span.
    fn due(&self, after: Timestamp, upto: Timestamp) -> Vec<Due>;
    /// What should have gone out before `now` and may not have (the agent was not running):
    /// each report's latest due time, while the period after it lasts. The outbox keys keep
    /// one already queued from going out twice.
    fn missed(&self, now: Timestamp) -> Vec<Due>;
    /// Composes the summary of `due` from the history. An error (the history cannot be
    /// read) is logged and the summary is tried again a minute later.
    fn compose(&mut self, due: &Due) -> Result<Summary, String>;
}
