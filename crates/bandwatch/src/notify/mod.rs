//! Alert notifications in `bandwatch run`: one thread per configured channel, each with its
//! own outbox connection, so a channel that is down or hangs delays only itself, never the
//! others and never sampling. Every batch is written to the outbox before it is sent, and
//! what a previous run left undelivered goes out when the channel starts.

mod build;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use bandwatch_core::{AlertEvent, Clock as _, SystemClock};
use bandwatch_notify::dispatch::{Dispatcher, RetryPolicy};
use bandwatch_store::SqliteOutbox;

use crate::config::notify::{ChannelSpec, NotifyConfig};
pub use build::{build_channel, route, test_event};

/// How often a channel thread looks at its outbox when no alert arrives.
const POLL: Duration = Duration::from_millis(500);

enum Msg {
    Events(Vec<AlertEvent>),
    Close,
}

/// The running channel threads.
pub struct Notifier {
    channels: Vec<(String, SyncSender<Msg>, JoinHandle<()>)>,
}

impl Notifier {
    /// Starts one thread per channel; `None` when no channel is configured.
    pub fn start(config: &NotifyConfig, db: &Path) -> Option<Self> {
        if config.channels.is_empty() {
            return None;
        }
        let mut channels = Vec::new();
        for spec in &config.channels {
            let (tx, rx) = sync_channel(1024);
            let job = ChannelJob {
                spec: spec.value.clone(),
                config: config.clone(),
                db: db.to_path_buf(),
            };
            let name = spec.value.name.clone();
            match std::thread::Builder::new()
                .name(format!("notify-{name}"))
                .spawn(move || job.run(&rx))
            {
                Ok(handle) => channels.push((name, tx, handle)),
                Err(e) => {
                    tracing::error!(channel = %name, error = %e, "cannot start the notification thread");
                }
            }
        }
        Some(Self { channels })
    }

    /// Hands alert events to every channel (each routes and groups them itself).
    pub fn submit(&self, events: &[AlertEvent]) {
        for (name, tx, _) in &self.channels {
            match tx.try_send(Msg::Events(events.to_vec())) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    tracing::error!(channel = %name, "notification queue full; these alerts stay in the alert history but are not sent");
                }
                Err(TrySendError::Disconnected(_)) => {
                    tracing::error!(channel = %name, "notification thread has stopped");
                }
            }
        }
    }

    /// Sends what is grouped, tries one last delivery, and stops the threads.
    pub fn close(self) {
        for (_, tx, _) in &self.channels {
            let _ = tx.send(Msg::Close);
        }
        for (name, _, handle) in self.channels {
            if handle.join().is_err() {
                tracing::error!(channel = %name, "notification thread panicked");
            }
        }
    }
}

struct ChannelJob {
    spec: ChannelSpec,
    config: NotifyConfig,
    db: PathBuf,
}

impl ChannelJob {
    fn run(self, rx: &Receiver<Msg>) {
        let name = self.spec.name.clone();
        let channel = match build_channel(&self.spec, &self.config) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(channel = %name, "cannot set up the channel: {e}");
                return;
            }
        };
        let outbox = match SqliteOutbox::open(&self.db) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(channel = %name, error = %e, "cannot open the notification outbox");
                return;
            }
        };
        let route = route(&self.spec, &self.config);
        let retry = RetryPolicy {
            base: self.config.retry_base,
            max: self.config.retry_max,
            ..RetryPolicy::default()
        };
        let mut dispatcher = Dispatcher::new(
            outbox,
            vec![(channel, route)],
            self.config.group_window,
            retry,
        );
        let clock = SystemClock::new();
        loop {
            let closing = match rx.recv_timeout(POLL) {
                Ok(Msg::Events(events)) => {
                    dispatcher.submit(&events, clock.wall());
                    false
                }
                Ok(Msg::Close) | Err(RecvTimeoutError::Disconnected) => true,
                Err(RecvTimeoutError::Timeout) => false,
            };
            let now = clock.wall();
            let queued = if closing {
                dispatcher.enqueue_all(now)
            } else {
                dispatcher.enqueue_due(now)
            };
            if let Err(e) = queued {
                tracing::error!(channel = %name, error = %e, "cannot write notifications to the outbox; they are retried when the database accepts writes");
            }
            if let Err(e) = dispatcher.deliver_due(now, 50) {
                tracing::warn!(channel = %name, error = %e, "cannot read the notification outbox");
            }
            if closing {
                return;
            }
        }
    }
}
