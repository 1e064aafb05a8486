//! How a source thread waits for its next reading. The agent never sleeps on its own: it asks
//! an injected [`Wait`] to block until a deadline of the run's clock, so a test can drive the
//! whole pipeline with a fake clock and a fake wait instead of real time.

use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::Clock;

use crate::cancel::Cancel;

/// Blocks a thread until a monotonic deadline of the run's clock, or until the run ends.
pub trait Wait: Send + Sync {
    /// Returns true once the clock has reached `deadline` (monotonic), false as soon as
    /// `cancel` fires; must notice a cancellation promptly.
    fn until(&self, deadline: Duration, cancel: &Cancel) -> bool;
}

/// Waits in real time against a clock that follows real time (the system clock).
#[derive(Clone)]
pub struct ClockWait {
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ClockWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClockWait").finish_non_exhaustive()
    }
}

impl ClockWait {
    /// Waits for deadlines of `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

impl Wait for ClockWait {
    fn until(&self, deadline: Duration, cancel: &Cancel) -> bool {
        loop {
            if cancel.is_cancelled() {
                return false;
            }
            let now = self.clock.monotonic();
            if now >= deadline {
                return true;
            }
            // Woken early by the cancellation; a spurious early return loops again.
            if cancel.wait_timeout(deadline.saturating_sub(now)) {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::SystemClock;

    #[test]
    fn a_past_deadline_returns_at_once_and_a_cancel_ends_a_long_wait() {
        let clock = Arc::new(SystemClock::new());
        let wait = ClockWait::new(clock);
        let cancel = Cancel::new();
        assert!(wait.until(Duration::ZERO, &cancel));
        cancel.cancel();
        assert!(!wait.until(Duration::from_secs(3600), &cancel));
    }
}
