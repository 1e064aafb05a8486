//! The one cancellation path of a run: whoever decides the run is over (a signal, the
//! configured duration, a sink whose output is gone) cancels the same token, and everything
//! that waits — source threads between readings, the pipeline waiting for frames — wakes up.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Something to run once when the token is cancelled (wakes a waiter that does not wait on
/// the token's own condition variable).
type Waker = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct State {
    cancelled: bool,
    wakers: Vec<Waker>,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    changed: Condvar,
}

/// Cancels a run; clones share it. Cancelling twice is the same as once.
#[derive(Clone, Default)]
pub struct Cancel(Arc<Inner>);

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl Cancel {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    // A panic while holding the lock leaves a flag and a list behind, both still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the run: wakes every waiter and runs the registered wakers (once).
    pub fn cancel(&self) {
        let wakers = {
            let mut state = self.lock();
            if state.cancelled {
                return;
            }
            state.cancelled = true;
            std::mem::take(&mut state.wakers)
        };
        self.0.changed.notify_all();
        // Outside the lock: a waker may well look at this token.
        for wake in wakers {
            wake();
        }
    }

    /// Whether the run is over.
    pub fn is_cancelled(&self) -> bool {
        self.lock().cancelled
    }

    /// Waits up to `d` real time; true when the token was (or got) cancelled.
    pub fn wait_timeout(&self, d: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .0
            .changed
            .wait_timeout_while(guard, d, |s| !s.cancelled)
            .unwrap_or_else(PoisonError::into_inner);
        guard.cancelled
    }

    /// Blocks until the token is cancelled (a command that only serves until Ctrl+C).
    pub fn wait(&self) {
        let guard = self.lock();
        drop(
            self.0
                .changed
                .wait_while(guard, |s| !s.cancelled)
                .unwrap_or_else(PoisonError::into_inner),
        );
    }

    /// Runs `wake` when the token is cancelled, or at once when it already is.
    pub fn on_cancel(&self, wake: impl Fn() + Send + Sync + 'static) {
        let mut state = self.lock();
        if state.cancelled {
            drop(state);
            wake();
        } else {
            state.wakers.push(Box::new(wake));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn wakers_run_once_and_late_ones_at_once() {
        let cancel = Cancel::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&runs);
        cancel.on_cancel(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert!(!cancel.wait_timeout(Duration::ZERO));
        cancel.cancel();
        cancel.cancel();
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        let r = Arc::clone(&runs);
        cancel.on_cancel(move || {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert!(cancel.is_cancelled());
        assert!(cancel.wait_timeout(Duration::from_secs(3600)));
    }

    #[test]
    fn wait_returns_once_cancelled_from_another_thread() {
        let cancel = Cancel::new();
        let other = cancel.clone();
        let t = std::thread::spawn(move || other.cancel());
        cancel.wait();
        assert!(cancel.is_cancelled());
        t.join().unwrap();
        cancel.wait();
    }
}
