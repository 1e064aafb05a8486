//! Grouping: the first alert for a channel goes out at once (the tools bandwatch replaces
//! mailed at once, and people wait for the first word of trouble); what follows within the
//! window after a message is held and goes out as one message when the window has passed.
//! Alertmanager users who want the first message to wait for companions ask for a `wait`
//! (Alertmanager's `group_wait`).
//!
//! The grouper never reads a clock; the caller passes the time with every call, so tests
//! drive it with plain timestamps.

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::{AlertEvent, Timestamp};

/// The least time between two messages of one channel unless configured otherwise.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(30);

/// How long the first alert of a group waits for companions unless configured otherwise:
/// not at all.
pub const DEFAULT_WAIT: Duration = Duration::ZERO;

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

/// One channel: what it holds and when it last released a batch.
#[derive(Debug, Clone, Default)]
struct Channel {
    pending: Option<Pending>,
    last_release: Option<Timestamp>,
}

/// Collects events per channel and says when each channel's batch is due.
#[derive(Debug, Clone)]
pub struct Grouper {
    window_ms: i64,
    wait_ms: i64,
    channels: BTreeMap<String, Channel>,
}

impl Default for Grouper {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Grouper {
    /// A grouper whose channels send at most one message per `window` (the first at once);
    /// a zero window releases every event on the next `due`.
    pub fn new(window: Duration) -> Self {
        Self {
            window_ms: millis(window),
            wait_ms: millis(DEFAULT_WAIT),
            channels: BTreeMap::new(),
        }
    }

    /// The same, with the first event of a group waiting `wait` for companions.
    #[must_use]
    pub fn wait(mut self, wait: Duration) -> Self {
        self.wait_ms = millis(wait);
        self
    }

    /// Holds `event` for `channel`, which received it at `now`.
    pub fn push(&mut self, channel: &str, event: AlertEvent, now: Timestamp) {
        self.channels
            .entry(channel.to_string())
            .or_default()
            .pending
            .get_or_insert_with(|| Pending {
                opened: now,
                events: Vec::new(),
            })
            .events
            .push(event);
    }

    /// When a channel's held batch may go: its first event has waited `wait`, and `window`
    /// has passed since the channel's last message.
    fn due_at(&self, c: &Channel) -> Option<Timestamp> {
        let p = c.pending.as_ref()?;
        let waited = p.opened.millis().saturating_add(self.wait_ms);
        let spaced = c
            .last_release
            .map_or(i64::MIN, |t| t.millis().saturating_add(self.window_ms));
        Some(Timestamp(waited.max(spaced)))
    }

    /// Releases every batch that is due at `now`.
    pub fn due(&mut self, now: Timestamp) -> Vec<Batch> {
        let ready: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, c)| self.due_at(c).is_some_and(|t| now >= t))
            .map(|(name, _)| name.clone())
            .collect();
        ready
            .into_iter()
            .filter_map(|name| self.take(&name, Some(now)))
            .collect()
    }

    /// Releases everything held, at once (shutdown, or a channel configured without grouping).
    pub fn flush(&mut self) -> Vec<Batch> {
        let names: Vec<String> = self.channels.keys().cloned().collect();
        names
            .into_iter()
            .filter_map(|name| self.take(&name, None))
            .collect()
    }

    /// Releases what one channel holds, at once.
    pub fn flush_channel(&mut self, channel: &str) -> Option<Batch> {
        self.take(channel, None)
    }

    /// The earliest time at which `due` will release something; `None` when nothing is held.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.channels.values().filter_map(|c| self.due_at(c)).min()
    }

    /// True when no channel holds any event.
    pub fn is_empty(&self) -> bool {
        self.channels.values().all(|c| c.pending.is_none())
    }

    /// Takes a channel's batch; a release at a known time starts the channel's window.
    fn take(&mut self, channel: &str, now: Option<Timestamp>) -> Option<Batch> {
        let c = self.channels.get_mut(channel)?;
        let p = c.pending.take()?;
        if now.is_some() {
            c.last_release = now;
        }
        Some(Batch {
            channel: channel.to_string(),
            events: p.events,
        })
    }
}
