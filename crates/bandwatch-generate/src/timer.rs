//! The seam to time: what the pacing loop reads and how it waits. The real one reads the
//! monotonic clock and sleeps; tests drive a fake one that only moves when slept on.

use std::time::{Duration, Instant};

/// Monotonic time and waiting.
pub trait Timer: Send + Sync {
    /// Time since this timer's origin; never goes backwards.
    fn now(&self) -> Duration;
    /// Waits `d` (the fake advances its time instead).
    fn sleep(&self, d: Duration);
}

/// The machine's monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct RealTimer {
    origin: Instant,
}

impl RealTimer {
    /// A timer whose origin is now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for RealTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl Timer for RealTimer {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A timer that moves only when slept on or advanced (tests).
#[cfg(test)]
#[derive(Debug, Default, Clone)]
pub struct FakeTimer {
    now: std::sync::Arc<std::sync::Mutex<Duration>>,
}

#[cfg(test)]
impl FakeTimer {
    /// Moves time forward by `d`, as a stall of the process would.
    pub fn advance(&self, d: Duration) {
        *self.now.lock().expect("fake timer") += d;
    }
}

#[cfg(test)]
impl Timer for FakeTimer {
    fn now(&self) -> Duration {
        *self.now.lock().expect("fake timer")
    }

    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
}
