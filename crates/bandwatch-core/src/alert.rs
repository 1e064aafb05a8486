//! Alerts as the rule engine reports them: a severity and one event per lifecycle transition.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::series::SeriesKey;

/// How urgent an alert is; ordered so that a rise can be detected with `>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look when convenient.
    Low,
    /// Needs attention today.
    Medium,
    /// Needs attention now.
    High,
    /// Service is impaired.
    Critical,
}

impl Severity {
    /// The lowercase name used in configuration and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an alert stands after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// The condition holds but not yet for the rule's `for` duration.
    Pending,
    /// The condition held long enough; people are told.
    Firing,
    /// The condition cleared; the alert is closed.
    Resolved,
}

/// Which transition an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The condition started to hold; waiting for the `for` duration.
    Pending,
    /// The alert opened.
    Fired,
    /// The open alert's severity rose.
    Escalated,
    /// The open alert is still firing after its cooldown; a reminder.
    Renotified,
    /// The alert closed.
    Resolved,
}

impl EventKind {
    /// The state an alert is in after this event.
    pub fn state(self) -> AlertState {
        match self {
            Self::Pending => AlertState::Pending,
            Self::Fired | Self::Escalated | Self::Renotified => AlertState::Firing,
            Self::Resolved => AlertState::Resolved,
        }
    }

    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Fired => "fired",
            Self::Escalated => "escalated",
            Self::Renotified => "renotified",
            Self::Resolved => "resolved",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One transition of one alert of one rule on one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    /// Stable identity of the alert (shared by all its events): see [`alert_id`].
    pub id: String,
    /// Name of the rule that raised it.
    pub rule: String,
    /// The series the rule watched.
    pub series: SeriesKey,
    /// The transition.
    pub kind: EventKind,
    /// The alert's state after the transition.
    pub state: AlertState,
    /// The alert's severity at the transition.
    pub severity: Severity,
    /// The value that caused the transition, in base units.
    pub value: f64,
    /// What the value was compared with: the limit, or the baseline it was measured against.
    pub reference: f64,
    /// Why, in words a person reads in a notification.
    pub message: String,
    /// When the condition started to hold.
    pub started: Timestamp,
    /// When the alert resolved (only on the resolving event).
    pub ended: Option<Timestamp>,
    /// When this event happened.
    pub at: Timestamp,
}

/// The id of the alert that `rule` raised on `series` starting at `started`:
/// `rule-<16 hex digits of the series>-<start millis>`, identical across runs and builds.
pub fn alert_id(rule: &str, series: &SeriesKey, started: Timestamp) -> String {
    format!("{rule}-{:016x}-{}", series_hash(series), started.millis())
}

/// FNV-1a over the series text: unlike `DefaultHasher` it is fixed, so ids survive restarts.
fn series_hash(series: &SeriesKey) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in series.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_print() {
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::High < Severity::Critical);
        assert_eq!(Severity::Critical.to_string(), "critical");
    }

    #[test]
    fn ids_are_stable() {
        let k = SeriesKey::with_label("net_up", "iface", "eth0");
        let id = alert_id("link", &k, Timestamp(5000));
        assert_eq!(id, alert_id("link", &k.clone(), Timestamp(5000)));
        assert!(id.starts_with("link-") && id.ends_with("-5000"));
        let other = SeriesKey::with_label("net_up", "iface", "eth1");
        assert_ne!(id, alert_id("link", &other, Timestamp(5000)));
    }

    #[test]
    fn event_kinds_map_to_states() {
        assert_eq!(EventKind::Escalated.state(), AlertState::Firing);
        assert_eq!(EventKind::Resolved.state(), AlertState::Resolved);
    }
}
