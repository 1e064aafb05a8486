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
pub use build::{build_channel, mqtt_settings, route, test_event};

/// How often a channel thread looks at its outbox when no alert arrives.
const POLL: Duration = Duration::from_millis(500);

enum Msg {
    Events(Vec<AlertEvent>),
    Close,
}

/// The running channel threads, and the MQTT rates publisher when an MQTT channel exists.
pub struct Notifier {
    channels: Vec<(String, SyncSender<Msg>, JoinHandle<()>)>,
    rates: Option<bandwatch_notify::mqtt_channel::MqttRates>,
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
        Some(Self {
            channels,
            rates: start_rates(config),
        })
    }

    /// Publishes the frame's interface rates over MQTT (never blocks; drops when behind).
    pub fn publish_frame(&mut self, frame: &bandwatch_core::Frame) {
        if let Some(r) = &mut self.rates {
            r.publish_frame(frame);
        }
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
        if let Some(r) = self.rates {
            let stats = r.close();
            tracing::info!(
                published = stats.published,
                dropped = stats.dropped,
                failed = stats.failed,
                "MQTT rates publisher stopped"
            );
        }
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

/// Current rates go to the first MQTT channel's broker, under its prefix.
fn start_rates(config: &NotifyConfig) -> Option<bandwatch_notify::mqtt_channel::MqttRates> {
    let spec = config
        .channels
        .iter()
        .map(|c| &c.value)
        .find(|c| c.kind == crate::config::notify::ChannelKind::Mqtt)?;
    let mut settings = match mqtt_settings(spec) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(channel = %spec.name, "cannot publish rates over MQTT: {e}");
            return None;
        }
    };
    settings.client_id.push_str("-rates");
    match bandwatch_notify::mqtt_channel::MqttRates::start(
        settings,
        bandwatch_notify::mqtt_channel::DEFAULT_RATES_QUEUE,
    ) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::error!(channel = %spec.name, error = %e, "cannot start the MQTT rates publisher");
            None
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
        let mut silences = Silences::new(&self.db);
        loop {
            let closing = match rx.recv_timeout(POLL) {
                Ok(Msg::Events(events)) => {
                    let now = clock.wall();
                    let kept = silences.unsilenced(events, now);
                    dispatcher.submit(&kept, now);
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

/// The silences in force, re-read every few seconds, so `bandwatch alerts silence` takes
/// effect on a running agent.
struct Silences {
    db: Option<SqliteOutbox>,
    active: Vec<(bandwatch_core::SilenceMatcher, bandwatch_core::Timestamp)>,
    read_at: Option<bandwatch_core::Timestamp>,
}

impl Silences {
    const REFRESH_MS: i64 = 5_000;

    fn new(db: &Path) -> Self {
        Self {
            db: SqliteOutbox::open(db).ok(),
            active: Vec::new(),
            read_at: None,
        }
    }

    fn refresh(&mut self, now: bandwatch_core::Timestamp) {
        if self
            .read_at
            .is_some_and(|t| now.millis() - t.millis() < Self::REFRESH_MS)
        {
            return;
        }
        let Some(db) = &self.db else { return };
        match db.silences(now) {
            Ok(list) => {
                self.active = list
                    .into_iter()
                    .filter_map(|s| {
                        bandwatch_core::SilenceMatcher::parse(&s.matcher)
                            .ok()
                            .map(|m| (m, s.until))
                    })
                    .collect();
                self.read_at = Some(now);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read silences; sending everything"),
        }
    }

    /// The events no active silence covers; the others are logged and not sent.
    fn unsilenced(
        &mut self,
        events: Vec<AlertEvent>,
        now: bandwatch_core::Timestamp,
    ) -> Vec<AlertEvent> {
        self.refresh(now);
        events
            .into_iter()
            .filter(|e| {
                let hit = self
                    .active
                    .iter()
                    .find(|(m, until)| *until > now && m.matches(&e.id, &e.rule, &e.series));
                if let Some((_, until)) = hit {
                    tracing::info!(alert = %e.id, until = %until, "alert silenced; not sent");
                }
                hit.is_none()
            })
            .collect()
    }
}
