//! What the agent tells a service manager (systemd's `Type=notify`): `READY=1` once the first
//! tick is stored, `WATCHDOG=1` from the pipeline loop, `STOPPING=1` when shutdown begins.
//!
//! "Stored" is the history writer's own count of frames committed to the database (the store
//! sink's `written` counter, which it bumps only after a write committed), so READY means a
//! first frame really is in the history, not only queued for it.
//!
//! The pings come from the loop every frame passes through, so a pipeline stuck in a sink or
//! the engine stops them and the manager restarts the service. A small ticker thread only
//! wakes that loop (on the run's injected clock) when no frame would come soon enough: every
//! [`READY_POLL`] until READY, then every half of `WATCHDOG_USEC`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bandwatch_core::SinkCounters;

use crate::error::{AgentError, Result};
use crate::schedule::{Msg, Shared};
use crate::sd_notify::{Notify, NotifySocket, ServiceEnv};

/// How often the loop looks whether the first tick is stored, until it is.
pub const READY_POLL: Duration = Duration::from_millis(200);

const READY: &str = "READY=1\nSTATUS=Sampling; the first tick is in the history";
const WATCHDOG: &str = "WATCHDOG=1";
const STOPPING: &str = "STOPPING=1\nSTATUS=Stopping: flushing the history";

/// The service manager's side of a run.
pub struct Service {
    notify: Box<dyn Notify>,
    ping_every: Option<Duration>,
    stored: SinkCounters,
    ready: Arc<AtomicBool>,
    last_ping: Option<Duration>,
    failed: bool,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("ping_every", &self.ping_every)
            .field("ready", &self.ready.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Notifies through `notify`, pings every `ping_every` (no watchdog when `None`), and is
    /// ready once `stored` counts a written frame.
    pub fn new(
        notify: Box<dyn Notify>,
        ping_every: Option<Duration>,
        stored: SinkCounters,
    ) -> Self {
        Self {
            notify,
            ping_every,
            stored,
            ready: Arc::new(AtomicBool::new(false)),
            last_ping: None,
            failed: false,
        }
    }

    /// The service manager named in the environment (`NOTIFY_SOCKET`, `WATCHDOG_USEC`), if
    /// any; a variable it cannot use is logged and notifications stay off.
    pub fn from_env(stored: SinkCounters) -> Option<Self> {
        let env = match ServiceEnv::from_env() {
            Ok(env) => env?,
            Err(e) => {
                tracing::warn!("{e}");
                return None;
            }
        };
        match NotifySocket::open(&env.socket) {
            Ok(socket) => {
                tracing::debug!(watchdog = ?env.ping_every, "notifying the service manager");
                Some(Self::new(Box::new(socket), env.ping_every, stored))
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the service manager's notification socket; notifications are off");
                None
            }
        }
    }

    /// After each message of the pipeline loop, at `now` (monotonic): READY once the first
    /// frame is stored, and a watchdog ping when one is due.
    pub(crate) fn after_message(&mut self, now: Duration) {
        if !self.ready.load(Ordering::Relaxed) && self.stored.stats().written > 0 {
            self.send(READY);
            self.ready.store(true, Ordering::Relaxed);
        }
        let Some(every) = self.ping_every else {
            return;
        };
        // At a quarter of the timeout at least: the ticker's wake-ups every half of it then
        // always carry a ping, even when a frame's ping came just before one.
        let due = self
            .last_ping
            .is_none_or(|last| now.saturating_sub(last) >= every / 2);
        if due {
            self.send(WATCHDOG);
            self.last_ping = Some(now);
        }
    }

    /// Shutdown has begun.
    pub(crate) fn stopping(&mut self) {
        self.send(STOPPING);
    }

    fn send(&mut self, state: &str) {
        match self.notify.notify(state) {
            Ok(()) => self.failed = false,
            Err(e) if !self.failed => {
                self.failed = true;
                tracing::warn!(error = %e, "cannot notify the service manager");
            }
            Err(_) => {}
        }
    }

    /// Starts the thread that wakes the pipeline loop when READY or a ping is due and no
    /// frame may come in time; `None` when nothing needs it.
    pub(crate) fn spawn_ticker(
        &self,
        shared: &Shared,
        tx: SyncSender<Msg>,
    ) -> Result<JoinHandle<()>> {
        let ticker = Ticker {
            ready: Arc::clone(&self.ready),
            ping_every: self.ping_every,
        };
        let shared = shared.clone();
        let thread = "service-ticker".to_string();
        std::thread::Builder::new()
            .name(thread.clone())
            .spawn(move || ticker.run(&shared, &tx))
            .map_err(|source| AgentError::Spawn { thread, source })
    }
}

struct Ticker {
    ready: Arc<AtomicBool>,
    ping_every: Option<Duration>,
}

impl Ticker {
    /// The next wake-up's distance; `None` once there is nothing left to wake for.
    fn period(&self) -> Option<Duration> {
        if self.ready.load(Ordering::Relaxed) {
            self.ping_every
        } else {
            Some(self.ping_every.map_or(READY_POLL, |p| p.min(READY_POLL)))
        }
    }

    fn run(&self, shared: &Shared, tx: &SyncSender<Msg>) {
        while let Some(period) = self.period() {
            let due = shared.clock.monotonic() + period;
            if !shared.wait.until(due, &shared.cancel) {
                return;
            }
            // A full channel already has messages that wake the loop.
            let _ = tx.try_send(Msg::Wake);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Notify for Recorder {
        fn notify(&self, state: &str) -> std::io::Result<()> {
            self.0.lock().expect("lock").push(state.to_string());
            Ok(())
        }
    }

    impl Recorder {
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().expect("lock"))
        }
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn ready_waits_for_the_first_stored_frame_and_is_said_once() {
        let sent = Recorder::default();
        let stored = SinkCounters::default();
        let mut service = Service::new(Box::new(sent.clone()), None, stored.clone());
        service.after_message(secs(0.0));
        service.after_message(secs(1.0));
        assert!(sent.take().is_empty(), "nothing is stored yet");
        stored.add_written(1);
        service.after_message(secs(2.0));
        service.after_message(secs(3.0));
        assert_eq!(sent.take(), [READY]);
        service.stopping();
        assert_eq!(sent.take(), [STOPPING]);
    }

    #[test]
    fn pings_come_at_least_every_half_period_and_not_more_often_than_a_quarter() {
        let sent = Recorder::default();
        let stored = SinkCounters::default();
        let mut service = Service::new(Box::new(sent.clone()), Some(secs(10.0)), stored);
        // The ticker every 10 s (half of a 20 s timeout), frames every 1 s in between.
        let mut pings = Vec::new();
        for ms in (0..=40_000).step_by(100) {
            let now = Duration::from_millis(ms);
            service.after_message(now);
            if sent.take().iter().any(|s| s == WATCHDOG) {
                pings.push(now);
            }
        }
        let gaps: Vec<Duration> = pings
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]))
            .collect();
        assert!(!gaps.is_empty());
        assert!(
            gaps.iter().all(|g| *g >= secs(5.0) && *g <= secs(10.0)),
            "{gaps:?}"
        );
    }

    #[test]
    fn the_ticker_polls_for_ready_then_keeps_the_watchdog_or_stops() {
        let ready = Arc::new(AtomicBool::new(false));
        let with = Ticker {
            ready: Arc::clone(&ready),
            ping_every: Some(secs(15.0)),
        };
        let without = Ticker {
            ready: Arc::clone(&ready),
            ping_every: None,
        };
        let fast = Ticker {
            ready: Arc::clone(&ready),
            ping_every: Some(secs(0.05)),
        };
        assert_eq!(with.period(), Some(READY_POLL));
        assert_eq!(without.period(), Some(READY_POLL));
        assert_eq!(fast.period(), Some(secs(0.05)));
        ready.store(true, Ordering::Relaxed);
        assert_eq!(with.period(), Some(secs(15.0)));
        assert_eq!(without.period(), None);
    }

    #[test]
    fn a_failing_socket_is_logged_once_and_does_not_stop_the_run() {
        struct Broken;
        impl Notify for Broken {
            fn notify(&self, _: &str) -> std::io::Result<()> {
                Err(std::io::Error::other("gone"))
            }
        }
        let mut service = Service::new(Box::new(Broken), Some(secs(1.0)), SinkCounters::default());
        service.after_message(secs(0.0));
        assert!(service.failed);
        service.after_message(secs(5.0));
        service.stopping();
    }
}
