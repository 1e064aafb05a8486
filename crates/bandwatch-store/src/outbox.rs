//! The notification outbox: every notification is committed to the store before it is sent,
//! and each channel's worker takes what is due, tries it, and records the outcome. The store
//! knows channels only by name and payloads only as opaque text (the notifier's JSON).
//!
//! A notification is `pending` until it is `delivered` or `dead` (a permanent failure, or
//! the notifier gave up); both are final. Retry timing is the caller's: it passes the next
//! attempt to [`Outbox::mark_failed`], usually computed with [`backoff`].

use std::time::Duration;

use bandwatch_core::Timestamp;
use serde::Serialize;

use crate::error::Result;

/// Storage of notifications waiting to be delivered, kept apart from [`Store`](crate::Store)
/// so the sample and alert writer is unaffected; object-safe, so a notifier can hold a
/// `Box<dyn Outbox>` for any backend.
///
/// The `mark_*` methods change pending rows only (except that a late success also turns a
/// dead row delivered); on an unknown or finished id they do nothing, so a repeated report
/// is harmless.
pub trait Outbox: Send {
    /// Adds `items` in one transaction and returns their ids in order; an item whose
    /// (channel, idempotency key) is already stored is not added again and gets the stored id.
    fn enqueue(&mut self, items: &[NewNotification]) -> Result<Vec<i64>>;

    /// Up to `limit` pending notifications of `channel` whose next attempt is at or before
    /// `now`, oldest (created, then enqueued) first.
    fn due(&self, channel: &str, now: Timestamp, limit: usize) -> Result<Vec<Notification>>;

    /// Records the successful attempt at `at`; the notification is final.
    fn mark_delivered(&mut self, id: i64, at: Timestamp) -> Result<()>;

    /// Records a failed attempt at `at` with its error; the notification is due again at
    /// `next_attempt` (see [`backoff`]).
    fn mark_failed(
        &mut self,
        id: i64,
        at: Timestamp,
        error: &str,
        next_attempt: Timestamp,
    ) -> Result<()>;

    /// Records a failed attempt at `at` after which the notification is never retried.
    fn mark_dead(&mut self, id: i64, at: Timestamp, error: &str) -> Result<()>;

    /// Whether a notification of `channel` with this idempotency key is stored, in any state.
    fn contains(&self, channel: &str, idempotency_key: &str) -> Result<bool>;

    /// One notification by id, in any state; `None` when there is none (or it was pruned).
    fn notification(&self, id: i64) -> Result<Option<Notification>>;

    /// Pending, delivered and dead counts per channel, and each channel's oldest pending item.
    fn outbox_stats(&self) -> Result<OutboxStats>;

    /// Deletes delivered and dead notifications finished before `delivered_before`; returns
    /// how many. Pending notifications are never pruned.
    fn prune_outbox(&mut self, delivered_before: Timestamp) -> Result<u64>;
}

/// A notification to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// The channel that delivers it (a name from the configuration, e.g. `email:ops`).
    pub channel: String,
    /// Unique per channel; also sent to the receiver so it can drop a repeated delivery.
    pub idempotency_key: String,
    /// What to send, as the notifier encoded it (JSON); the store does not read it.
    pub payload: String,
    /// When it was made.
    pub created: Timestamp,
    /// The first attempt is due at this instant (usually `created`).
    pub next_attempt: Timestamp,
}

impl NewNotification {
    /// A notification made at `created` and due at once.
    pub fn new(
        channel: impl Into<String>,
        idempotency_key: impl Into<String>,
        payload: impl Into<String>,
        created: Timestamp,
    ) -> Self {
        Self {
            channel: channel.into(),
            idempotency_key: idempotency_key.into(),
            payload: payload.into(),
            created,
            next_attempt: created,
        }
    }
}

/// Where a notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting for its next attempt.
    Pending,
    /// Sent; final.
    Delivered,
    /// Given up on; final.
    Dead,
}

impl OutboxState {
    /// Every state, in lifecycle order.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Delivered, Self::Dead];

    /// The lowercase name the store keeps.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// The state named `text` by [`as_str`](Self::as_str).
    pub fn from_name(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Its id in the outbox.
    pub id: i64,
    /// The channel that delivers it.
    pub channel: String,
    /// Unique per channel.
    pub idempotency_key: String,
    /// What to send, as enqueued.
    pub payload: String,
    /// When it was made.
    pub created: Timestamp,
    /// When it is (or was last) due.
    pub next_attempt: Timestamp,
    /// Attempts made so far (failed, delivered or dead).
    pub attempts: u32,
    /// The error of the latest failed attempt.
    pub last_error: Option<String>,
    /// Where it stands.
    pub state: OutboxState,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// When it last changed (enqueued, attempted, finished).
    pub updated: Timestamp,
}

/// The outbox of one channel at a glance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChannelStats {
    /// The channel.
    pub channel: String,
    /// Notifications waiting.
    pub pending: u64,
    /// Notifications delivered and not yet pruned.
    pub delivered: u64,
    /// Notifications given up on and not yet pruned.
    pub dead: u64,
    /// When the oldest pending notification was made.
    pub oldest_pending: Option<Timestamp>,
}

/// The outbox at a glance, for self-metrics and status pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    /// One entry per channel with any stored notification, sorted by channel.
    pub channels: Vec<ChannelStats>,
}

impl OutboxStats {
    /// The entry of `channel`, if it has any notification.
    pub fn channel(&self, channel: &str) -> Option<&ChannelStats> {
        self.channels.iter().find(|c| c.channel == channel)
    }

    /// Notifications waiting, over every channel.
    pub fn pending(&self) -> u64 {
        self.channels.iter().map(|c| c.pending).sum()
    }

    /// How long the oldest pending notification of any channel has waited at `now`
    /// (zero when it was made after `now`); `None` when nothing is pending.
    pub fn oldest_pending_age(&self, now: Timestamp) -> Option<Duration> {
        let oldest = self
            .channels
            .iter()
            .filter_map(|c| c.oldest_pending)
            .min()?;
        let ms = now.0.saturating_sub(oldest.0).max(0);
        Some(Duration::from_millis(ms.unsigned_abs()))
    }
}

/// The delay before the next attempt after `attempts` failed ones: exponential with equal
/// jitter, deterministic in `jitter_seed`.
///
/// The ceiling is `base · 2^(attempts − 1)` capped at `max` (`base` for 0 or 1 attempts);
/// the delay lies in `[ceiling / 2, ceiling]`. Half is fixed so a retry never comes
/// immediately; the other half is spread by the seed so channels and notifications that
/// failed together do not retry together. For one seed the delay never shrinks as
/// `attempts` grows. Pass a seed that differs per notification, e.g. its id.
pub fn backoff(attempts: u32, base: Duration, max: Duration, jitter_seed: u64) -> Duration {
    let doublings = attempts.saturating_sub(1);
    let ceiling = 2u32
        .checked_pow(doublings)
        .and_then(|factor| base.checked_mul(factor))
        .map_or(max, |d| d.min(max));
    let half = ceiling / 2;
    let span = ceiling.saturating_sub(half).as_nanos();
    // A fraction in [0, 1) with 53 bits, as `span * fraction` in integers (no float rounding
    // past the ceiling); a span too large to multiply is near Duration::MAX and taken whole.
    let fraction = u128::from(splitmix64(jitter_seed) >> 11);
    let extra = span.checked_mul(fraction).map_or(span, |p| p >> 53);
    half + nanos(extra)
}

/// A duration of `n` nanoseconds, for `n` up to `Duration::MAX`.
fn nanos(n: u128) -> Duration {
    const PER_SEC: u128 = 1_000_000_000;
    Duration::new((n / PER_SEC) as u64, (n % PER_SEC) as u32)
}

/// A well-mixed 64-bit value of `x` (splitmix64's finaliser), so neighbouring seeds
/// (consecutive ids) give unrelated jitter.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(300);

    /// The ceiling `backoff` documents, computed the plain way.
    fn ceiling(attempts: u32) -> Duration {
        let mut c = BASE;
        for _ in 1..attempts {
            c = (c * 2).min(MAX);
        }
        c.min(MAX)
    }

    #[test]
    fn backoff_stays_between_half_the_ceiling_and_the_ceiling() {
        for seed in 0..500 {
            for attempts in 0..40 {
                let d = backoff(attempts, BASE, MAX, seed);
                let c = ceiling(attempts);
                assert!(
                    d >= c / 2 && d <= c,
                    "seed {seed} attempts {attempts}: {d:?}"
                );
            }
        }
    }

    #[test]
    fn backoff_grows_for_one_seed_until_the_cap_and_stays_there() {
        for seed in [0, 1, 42, u64::MAX] {
            let delays: Vec<_> = (1..60).map(|n| backoff(n, BASE, MAX, seed)).collect();
            assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
            // Strictly growing while doubling (1 s .. 256 s < 300 s), then flat at the cap.
            assert!(delays[..9].windows(2).all(|w| w[0] < w[1]), "{delays:?}");
            assert!(delays[9..].iter().all(|d| *d == delays[9]), "{delays:?}");
            assert!(delays[9] >= MAX / 2 && delays[9] <= MAX);
        }
    }

    #[test]
    fn backoff_is_deterministic_and_the_seed_spreads_it() {
        assert_eq!(backoff(5, BASE, MAX, 7), backoff(5, BASE, MAX, 7));
        let spread: std::collections::BTreeSet<_> =
            (0..100).map(|seed| backoff(8, BASE, MAX, seed)).collect();
        assert!(spread.len() > 90, "{} distinct delays", spread.len());
        // Consecutive seeds land all over [64 s, 128 s], not in one corner.
        let low = (0..100)
            .filter(|s| backoff(8, BASE, MAX, *s) < Duration::from_secs(96))
            .count();
        assert!((25..=75).contains(&low), "{low} of 100 in the lower half");
    }

    #[test]
    fn backoff_survives_extreme_inputs() {
        assert_eq!(backoff(3, Duration::ZERO, MAX, 1), Duration::ZERO);
        assert_eq!(backoff(u32::MAX, BASE, MAX, 1), backoff(40, BASE, MAX, 1));
        let huge = backoff(u32::MAX, Duration::MAX, Duration::MAX, 3);
        assert!(huge >= Duration::MAX / 2);
        // A cap below the base wins.
        assert!(backoff(1, BASE, Duration::from_millis(10), 9) <= Duration::from_millis(10));
    }

    #[test]
    fn state_names_round_trip() {
        for s in OutboxState::ALL {
            assert_eq!(OutboxState::from_name(s.as_str()), Some(s));
        }
        assert_eq!(OutboxState::from_name("sent"), None);
    }
}
