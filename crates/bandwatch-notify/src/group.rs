//! Grouping: events for one channel that arrive within a short window go out as one message.
//!
//! The grouper never reads a clock; the caller passes the time with every call, so tests
//! drive it with plain timestamps.

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::{AlertEvent, Timestamp};

/// How long the first event of a batch waits for companions unless configured otherwise.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30);

/// Events for one channel, released together.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The channel the events are for.
    pub channel: String,
    /// The events in arrival order.
    pub events: Vec<AlertEvent>,
}

/// The events one channel is still holding and when the first of them arrived.
#[derive(Debug, Clone)]
struct Pending {
    opened: Timestamp,
    events: Vec<AlertEvent>,
}

/// Collects events per channel and releases a batch once its oldest event is `window` old.
#[derive(Debug, Clone)]
pub struct Grouper {
    window_ms: i64,
    pending: BTreeMap<String, Pending>,
}

impl Default for Grouper {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

impl Grouper {
    /// A grouper with the given window; a zero window releases every event on the next `due`.
    pub fn new(window: Duration) -> Self {
        Self {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX),
            pending: BTreeMap::new(),
        }
    }

    /// Holds `event` for `channel`, which received it at `now`.
    pub fn push(&mut self, channel: &str, event: AlertEvent, now: Timestamp) {
        self.pending
            .entry(channel.to_string())
            .or_insert_with(|| Pending {
                opened: now,
                events: Vec::new(),
            })
            .events
            .push(event);
    }

    /// Releases every batch whose oldest event arrived at least `window` before `now`.
    pub fn due(&mut self, now: Timestamp) -> Vec<Batch> {
        let ready: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| now.millis().saturating_sub(p.opened.millis()) >= self.window_ms)
            .map(|(channel, _)| channel.clone())
            .collect();
        ready.into_iter().filter_map(|c| self.take(&c)).collect()
    }

    /// Releases everything held, at once (shutdown, or a channel configured without grouping).
    pub fn flush(&mut self) -> Vec<Batch> {
        let channels: Vec<String> = self.pending.keys().cloned().collect();
        channels.into_iter().filter_map(|c| self.take(&c)).collect()
    }

    /// Releases what one channel holds, at once.
    pub fn flush_channel(&mut self, channel: &str) -> Option<Batch> {
        self.take(channel)
    }

    /// The earliest time at which `due` will release something; `None` when nothing is held.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.pending
            .values()
            .map(|p| Timestamp(p.opened.millis().saturating_add(self.window_ms)))
            .min()
    }

    /// True when no channel holds any event.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    fn take(&mut self, channel: &str) -> Option<Batch> {
        self.pending.remove(channel).map(|p| Batch {
            channel: channel.to_string(),
            events: p.events,
        })
    }
}
