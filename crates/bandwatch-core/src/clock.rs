//! Wall-clock timestamps and the injectable clock.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A wall-clock instant: milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Builds a timestamp from whole seconds since the epoch.
    pub fn from_secs(secs: i64) -> Self {
        Self(secs * 1000)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This instant moved by a (possibly negative) number of milliseconds.
    #[must_use]
    pub fn add_millis(self, ms: i64) -> Self {
        Self(self.0 + ms)
    }

    /// The start of the bucket of `width_ms` that holds this instant.
    #[must_use]
    pub fn floor_to(self, width_ms: i64) -> Self {
        Self(self.0.div_euclid(width_ms) * width_ms)
    }

    /// RFC 3339 text in UTC with milliseconds, e.g. `2026-11-21T10:00:01.000Z`.
    pub fn to_rfc3339(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0).map_or_else(
            || format!("@{}ms", self.0),
            |d| d.to_rfc3339_opts(SecondsFormat::Millis, true),
        )
    }

    /// The same instant as a chrono value, for formatting at the edges.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp_millis(self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Where time comes from: a wall clock for labelling samples and a monotonic clock for
/// measuring elapsed time (the wall clock may jump; rates must not).
pub trait Clock: Send + Sync {
    /// The current wall-clock time.
    fn wall(&self) -> Timestamp;
    /// Time since an arbitrary fixed origin; never goes backwards.
    fn monotonic(&self) -> Duration;
}

/// The real clock of the machine.
#[derive(Debug, Clone)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock whose monotonic origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn wall(&self) -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Timestamp(ms)
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to; tests drive it instead of sleeping.
#[derive(Debug, Clone)]
pub struct FakeClock {
    inner: Arc<Mutex<(Timestamp, Duration)>>,
}

impl FakeClock {
    /// A fake clock whose wall time starts at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            inner: Arc::new(Mutex::new((start, Duration::ZERO))),
        }
    }

    /// Moves both the wall and the monotonic clock forward.
    pub fn advance(&self, by: Duration) {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.0 =
            g.0.add_millis(i64::try_from(by.as_millis()).unwrap_or(i64::MAX));
        g.1 += by;
    }

    /// Sets the wall clock alone (a clock step), leaving monotonic time untouched.
    pub fn set_wall(&self, ts: Timestamp) {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.0 = ts;
    }
}

impl Clock for FakeClock {
    fn wall(&self) -> Timestamp {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
    }

    fn monotonic(&self) -> Duration {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_millis() {
        assert_eq!(
            Timestamp(1_795_255_201_000).to_rfc3339(),
            "2026-11-21T10:00:01.000Z"
        );
    }

    #[test]
    fn fake_clock_moves_only_when_told() {
        let c = FakeClock::new(Timestamp::from_secs(100));
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.wall(), Timestamp(101_500));
        assert_eq!(c.monotonic(), Duration::from_millis(1500));
        c.set_wall(Timestamp(0));
        assert_eq!(c.monotonic(), Duration::from_millis(1500));
    }

    #[test]
    fn floors_to_bucket() {
        assert_eq!(Timestamp(61_999).floor_to(60_000), Timestamp(60_000));
        assert_eq!(Timestamp(-1).floor_to(60_000), Timestamp(-60_000));
    }
}
