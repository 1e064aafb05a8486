//! MQTT as a notification channel and as a live rate sink.
//!
//! [`MqttChannel`] is the outbox's view of MQTT: it stores the rendered alert messages as JSON
//! and publishes exactly that list on delivery. [`MqttRates`] takes one netdev frame per tick
//! and hands its rates to a background thread through a bounded queue, so the agent never
//! waits for the broker; when the queue is full the frame is dropped and counted. It is one
//! of the agent's sinks; the rate metrics it publishes are the catalogue's receive and
//! transmit rates.
//!
//! Both drive the async [`MqttPublisher`] on a private current-thread tokio runtime, so neither
//! may be called from inside a tokio runtime (tokio panics on a nested `block_on`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bandwatch_core::{AlertEvent, BitsPerSecond, Catalog, Flow, Frame, Role, Sink, SinkCounters};
use serde::{Deserialize, Serialize};
use tokio::runtime::{Builder, Runtime};

use crate::dispatch::{Deliver, Outcome};
use crate::error::{NotifyError, Result};
use crate::render::mqtt::{
    alert_messages, rate_messages, summary_message, InterfaceRates, MqttMessage, TopicPrefix,
};
use crate::send::mqtt::{MqttPublisher, MqttSettings, SendError};
use crate::summary::Summary;

/// The label naming the interface.
pub const IFACE_LABEL: &str = "iface";
/// Frames [`MqttRates`] queues unless configured otherwise.
pub const DEFAULT_RATES_QUEUE: usize = 8;

/// The stored form of one MQTT message: `{"topic":…,"payload":…,"retain":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// The topic.
    pub topic: String,
    /// The payload text.
    pub payload: String,
    /// Whether the broker keeps it for late subscribers.
    pub retain: bool,
}

impl From<MqttMessage> for StoredMessage {
    fn from(m: MqttMessage) -> Self {
        Self {
            topic: m.topic,
            payload: m.payload,
            retain: m.retain,
        }
    }
}

impl From<StoredMessage> for MqttMessage {
    fn from(m: StoredMessage) -> Self {
        Self {
            topic: m.topic,
            payload: m.payload,
            retain: m.retain,
        }
    }
}

fn runtime() -> std::io::Result<Runtime> {
    Builder::new_current_thread().enable_all().build()
}

/// Publishes on the open connection, connecting first when there is none; a failed
/// connection is dropped so that the next call connects afresh.
async fn publish_on(
    publisher: &mut Option<MqttPublisher>,
    settings: &MqttSettings,
    messages: &[MqttMessage],
) -> Result<(), SendError> {
    let mut current = match publisher.take() {
        Some(p) => p,
        None => MqttPublisher::connect(settings).await?,
    };
    current.publish(messages).await?;
    *publisher = Some(current);
    Ok(())
}

/// MQTT alerts: stores the messages [`alert_messages`] renders as a JSON list and publishes
/// that list at QoS 1 on delivery, connecting lazily and again after a failure.
pub struct MqttChannel {
    name: String,
    settings: MqttSettings,
    runtime: Runtime,
    publisher: Option<MqttPublisher>,
}

impl fmt::Debug for MqttChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttChannel")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .field("publisher", &self.publisher)
            .finish_non_exhaustive()
    }
}

impl MqttChannel {
    /// The channel `name` publishing with `settings`; nothing connects before the first
    /// delivery. Fails only when the runtime cannot be created.
    pub fn new(name: impl Into<String>, settings: MqttSettings) -> std::io::Result<Self> {
        Ok(Self {
            name: name.into(),
            settings,
            runtime: runtime()?,
            publisher: None,
        })
    }

    /// The settings it publishes with.
    pub fn settings(&self) -> &MqttSettings {
        &self.settings
    }

    /// Whether a connection is currently open.
    pub fn is_connected(&self) -> bool {
        self.publisher.is_some()
    }

    /// Disconnects cleanly, if connected.
    pub fn shutdown(&mut self) -> Result<(), SendError> {
        match self.publisher.take() {
            Some(p) => self.runtime.block_on(p.shutdown()),
            None => Ok(()),
        }
    }
}

impl Deliver for MqttChannel {
    fn name(&self) -> &str {
        &self.name
    }

    fn render(&self, events: &[AlertEvent]) -> Result<String> {
        let stored: Vec<StoredMessage> = alert_messages(events, &self.settings.prefix)
            .into_iter()
            .map(StoredMessage::from)
            .collect();
        serde_json::to_string(&stored).map_err(|source| NotifyError::Json {
            what: "MQTT messages",
            source,
        })
    }

    fn render_summary(&self, summary: &Summary) -> Option<Result<String>> {
        let stored = [StoredMessage::from(summary_message(
            &self.settings.prefix,
            &summary.report,
            &summary.json,
        ))];
        Some(
            serde_json::to_string(&stored).map_err(|source| NotifyError::Json {
                what: "MQTT messages",
                source,
            }),
        )
    }

    fn deliver(&mut self, payload: &str) -> Outcome {
        let stored: Vec<StoredMessage> = match serde_json::from_str(payload) {
            Ok(stored) => stored,
            // The error names a line and column, never the content.
            Err(e) => {
                return Outcome::Permanent(format!(
                    "stored MQTT payload is not a JSON list of topic, payload and retain: {e}"
                ))
            }
        };
        let messages: Vec<MqttMessage> = stored.into_iter().map(MqttMessage::from).collect();
        let result =
            self.runtime
                .block_on(publish_on(&mut self.publisher, &self.settings, &messages));
        match result {
            Ok(()) => Outcome::Delivered,
            Err(e) => e.outcome(),
        }
    }
}

/// The names of the receive and transmit rate metrics, from the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateMetrics {
    /// The receive rate ([`Role::RxRate`]).
    pub rx: &'static str,
    /// The transmit rate ([`Role::TxRate`]).
    pub tx: &'static str,
}

impl RateMetrics {
    /// The rate metrics `catalog` declares.
    pub fn from_catalog(catalog: &Catalog) -> Self {
        Self {
            rx: catalog.name_of(Role::RxRate),
            tx: catalog.name_of(Role::TxRate),
        }
    }
}

/// The receive and transmit rate of every interface in a frame that carries both; other
/// samples (the `scope="total"` sum, other metrics) are ignored.
pub fn frame_rates(frame: &Frame, metrics: RateMetrics) -> Vec<InterfaceRates> {
    let mut by_iface: BTreeMap<&str, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for sample in &frame.samples {
        let series = &sample.series;
        let Some(iface) = series.labels.get(IFACE_LABEL) else {
            continue;
        };
        let entry = by_iface.entry(iface).or_default();
        let metric = series.metric.as_str();
        if metric == metrics.rx {
            entry.0 = Some(sample.value);
        } else if metric == metrics.tx {
            entry.1 = Some(sample.value);
        }
    }
    by_iface
        .into_iter()
        .filter_map(|(iface, rates)| match rates {
            (Some(rx), Some(tx)) => Some(InterfaceRates {
                iface: iface.to_string(),
                rx: BitsPerSecond(rx),
                tx: BitsPerSecond(tx),
            }),
            _ => None,
        })
        .collect()
}

/// What [`MqttRates`] has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RatesStats {
    /// Frames whose rates the broker acknowledged.
    pub published: u64,
    /// Frames dropped because the queue was full, the thread had stopped or the broker was
    /// being given time to come back.
    pub dropped: u64,
    /// Frames whose publishing failed.
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    published: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
    /// Frames in the queue to the thread.
    queued: AtomicU64,
    /// The same story as the agent's sink board reads it (a failed publish is a dropped
    /// frame: rates are not retried, the next frame carries newer ones).
    sink: SinkCounters,
}

impl Counters {
    fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.sink.add_dropped(1);
    }

    fn queued(&self, delta: i64) {
        let by = delta.unsigned_abs();
        let n = if delta >= 0 {
            self.queued
                .fetch_add(by, Ordering::Relaxed)
                .wrapping_add(by)
        } else {
            self.queued
                .fetch_sub(by, Ordering::Relaxed)
                .wrapping_sub(by)
        };
        self.sink.set_queue_depth(n);
    }
}

/// One frame's work for the background thread.
struct Job {
    ifaces: Vec<String>,
    messages: Vec<MqttMessage>,
}

/// The live rate sink: `<prefix>/rates/<iface>` per netdev frame, published by a background
/// thread behind a bounded queue, with Home Assistant discovery on every (re)connect.
pub struct MqttRates {
    prefix: TopicPrefix,
    metrics: RateMetrics,
    queue: Option<SyncSender<Job>>,
    worker: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl fmt::Debug for MqttRates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttRates")
            .field("prefix", &self.prefix)
            .field("running", &self.worker.is_some())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl MqttRates {
    /// Starts the background thread with a queue of `capacity` frames (at least 1); it
    /// connects on the first frame and publishes the rate metrics of `catalog`. Fails only
    /// when the runtime or thread cannot be created.
    pub fn start(
        settings: MqttSettings,
        capacity: usize,
        catalog: &Catalog,
    ) -> std::io::Result<Self> {
        let runtime = runtime()?;
        let (queue, jobs) = mpsc::sync_channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        let prefix = settings.prefix.clone();
        let worker = {
            let counters = Arc::clone(&counters);
            std::thread::Builder::new()
                .name("bandwatch-mqtt-rates".into())
                .spawn(move || Worker::new(settings, runtime, counters).run(&jobs))?
        };
        Ok(Self {
            prefix,
            metrics: RateMetrics::from_catalog(catalog),
            queue: Some(queue),
            worker: Some(worker),
            counters,
        })
    }

    /// Queues the frame's interface rates for publishing; never waits. A frame without
    /// rates is ignored; one that does not fit the queue is dropped and counted.
    pub fn publish_frame(&mut self, frame: &Frame) {
        let rates = frame_rates(frame, self.metrics);
        if rates.is_empty() {
            return;
        }
        let job = Job {
            ifaces: rates.iter().map(|r| r.iface.clone()).collect(),
            messages: rate_messages(&rates, frame.ts, &self.prefix),
        };
        // Counted before it is sent, so the thread never takes it off a count of zero.
        self.counters.queued(1);
        let sent = self.queue.as_ref().map(|q| q.try_send(job));
        match sent {
            Some(Ok(())) => {}
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => {
                self.counters.queued(-1);
                self.counters.dropped();
            }
        }
    }

    /// What has been published, dropped and failed so far.
    pub fn stats(&self) -> RatesStats {
        RatesStats {
            published: self.counters.published.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }

    /// Publishes what is queued, disconnects and stops the thread.
    pub fn close(mut self) -> RatesStats {
        self.stop();
        self.stats()
    }

    fn stop(&mut self) {
        // Closing the queue ends the worker's loop once it has drained it.
        self.queue = None;
        if let Some(worker) = self.worker.take() {
            if worker.join().is_err() {
                tracing::error!("the MQTT rates thread panicked");
            }
        }
    }
}

impl Sink for MqttRates {
    fn name(&self) -> &'static str {
        "mqtt"
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        self.publish_frame(frame);
        Flow::Continue
    }

    fn counters(&self) -> SinkCounters {
        self.counters.sink.clone()
    }

    fn close(&mut self) {
        if self.worker.is_none() {
            return;
        }
        self.stop();
        let stats = self.stats();
        tracing::info!(
            published = stats.published,
            dropped = stats.dropped,
            failed = stats.failed,
            "MQTT rates publisher stopped"
        );
    }
}

impl Drop for MqttRates {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The background thread's state: the runtime, the connection and the interfaces that
/// discovery has announced.
struct Worker {
    settings: MqttSettings,
    runtime: Runtime,
    publisher: Option<MqttPublisher>,
    announced: BTreeSet<String>,
    quiet_until: Option<Instant>,
    counters: Arc<Counters>,
}

impl Worker {
    fn new(settings: MqttSettings, runtime: Runtime, counters: Arc<Counters>) -> Self {
        let announced = settings.interfaces.iter().cloned().collect();
        Self {
            settings,
            runtime,
            publisher: None,
            announced,
            quiet_until: None,
            counters,
        }
    }

    fn run(mut self, jobs: &Receiver<Job>) {
        while let Ok(job) = jobs.recv() {
            self.counters.queued(-1);
            self.handle(&job);
        }
        if let Some(p) = self.publisher.take() {
            if let Err(e) = self.runtime.block_on(p.shutdown()) {
                tracing::debug!(error = %e, "MQTT rates: disconnect failed");
            }
        }
    }

    fn handle(&mut self, job: &Job) {
        // After a failure the broker gets a pause, so a dead broker costs one timeout per
        // pause rather than one per frame.
        if self.quiet_until.is_some_and(|t| Instant::now() < t) {
            self.counters.dropped();
            return;
        }
        self.announce(&job.ifaces);
        let result = self.runtime.block_on(publish_on(
            &mut self.publisher,
            &self.settings,
            &job.messages,
        ));
        match result {
            Ok(()) => {
                self.quiet_until = None;
                self.counters.published.fetch_add(1, Ordering::Relaxed);
                self.counters.sink.add_written(1);
            }
            Err(e) => {
                self.quiet_until = Some(Instant::now() + self.pause());
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                self.counters.sink.add_dropped(1);
                tracing::warn!(error = %e, "MQTT rates not published");
            }
        }
    }

    /// A new interface needs its discovery config, which goes out on connect: reconnect.
    fn announce(&mut self, ifaces: &[String]) {
        if self.settings.discovery.is_none() || ifaces.iter().all(|i| self.announced.contains(i)) {
            return;
        }
        self.announced.extend(ifaces.iter().cloned());
        self.settings.interfaces = self.announced.iter().cloned().collect();
        if let Some(p) = self.publisher.take() {
            if let Err(e) = self.runtime.block_on(p.shutdown()) {
                tracing::debug!(error = %e, "MQTT rates: disconnect before re-announcing failed");
            }
        }
    }

    fn pause(&self) -> Duration {
        self.settings.timeout.min(Duration::from_secs(5))
    }
}
