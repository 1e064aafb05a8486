//! The delivery runtime of `bandwatch run`: one thread per channel, each with its own outbox
//! connection, so a channel that is down or hangs delays only itself, never the others and
//! never sampling. Every batch is written to the outbox before it is sent, and what a
//! previous run left undelivered goes out when the channel starts. Silences are re-read
//! every few seconds, so one set on a running agent takes effect.
//!
//! [`Notifier`] is one of the agent's sinks: alert events go to every channel's queue.

mod channel;
mod reports;
mod silences;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bandwatch_core::{AlertEvent, Clock, Flow, Frame, Sink, SinkCounters, SystemClock};

use crate::dispatch::{Deliver, RetryPolicy, Route};
use crate::group::{DEFAULT_WAIT, DEFAULT_WINDOW};
use crate::summary::Summaries;
use crate::summary::Summary;
use crate::throttle::Cooldowns;
use channel::ChannelJob;
use reports::ReportsJob;

/// Alert batches a channel's queue holds before new ones are dropped (and counted).
pub const DEFAULT_QUEUE: usize = 1024;

/// How often a channel thread looks at its outbox when no alert arrives.
pub const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// How the delivery runtime runs.
#[derive(Clone)]
pub struct NotifierConfig {
    /// The SQLite file holding the outbox and the silences.
    pub outbox: PathBuf,
    /// The first alert of a channel goes out after `group_wait`; later ones at most once per
    /// this window, as one message.
    pub group_window: Duration,
    /// How long the first alert of a group waits for companions (default: not at all).
    pub group_wait: Duration,
    /// Each rule's cooldown: new alerts of a (rule, series) within it are not sent.
    pub cooldowns: Cooldowns,
    /// Retry timing of failed deliveries.
    pub retry: RetryPolicy,
    /// Alert batches each channel's queue holds.
    pub queue: usize,
    /// How often a channel looks at its outbox without news.
    pub poll: Duration,
    /// Where time comes from (due items, group windows, silences).
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for NotifierConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierConfig")
            .field("outbox", &self.outbox)
            .field("group_window", &self.group_window)
            .field("group_wait", &self.group_wait)
            .field("cooldowns", &self.cooldowns)
            .field("retry", &self.retry)
            .field("queue", &self.queue)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl NotifierConfig {
    /// Defaults around the outbox at `outbox`, on the system clock.
    pub fn new(outbox: impl Into<PathBuf>) -> Self {
        Self {
            outbox: outbox.into(),
            group_window: DEFAULT_WINDOW,
            group_wait: DEFAULT_WAIT,
            cooldowns: Cooldowns::default(),
            retry: RetryPolicy::default(),
            queue: DEFAULT_QUEUE,
            poll: DEFAULT_POLL,
            clock: Arc::new(SystemClock::new()),
        }
    }
}

/// What the agent hands a channel thread.
pub(crate) enum Msg {
    Events(Vec<AlertEvent>),
    /// A scheduled summary, from the reports thread.
    Summary(Arc<Summary>),
    Close,
}

/// Counts shared by the notifier and its channel threads.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    /// Events waiting in the channels' queues.
    queued: AtomicU64,
    /// What the sink board reads: notifications written to receivers, given up, retried.
    pub sink: SinkCounters,
}

impl Counts {
    fn add_queued(&self, n: u64) {
        let now = self.queued.fetch_add(n, Ordering::Relaxed).wrapping_add(n);
        self.sink.set_queue_depth(now);
    }

    pub(crate) fn take_queued(&self, n: u64) {
        let now = self.queued.fetch_sub(n, Ordering::Relaxed).wrapping_sub(n);
        self.sink.set_queue_depth(now);
    }
}

struct ChannelThread {
    name: String,
    tx: SyncSender<Msg>,
    thread: Option<JoinHandle<()>>,
}

/// The reports thread and the way to stop it.
struct ReportsThread {
    stop: SyncSender<()>,
    thread: JoinHandle<()>,
}

/// The running channel threads, and the scheduled summaries' thread when reports are set.
pub struct Notifier {
    channels: Vec<ChannelThread>,
    counts: Arc<Counts>,
    config: NotifierConfig,
    reports: Option<ReportsThread>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field(
                "channels",
                &self.channels.iter().map(|c| &c.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Starts one thread per channel with its route; a thread the OS refuses is logged and
    /// that channel is left out.
    pub fn start(channels: Vec<(Box<dyn Deliver>, Route)>, config: &NotifierConfig) -> Self {
        let counts = Arc::new(Counts::default());
        let mut running = Vec::new();
        for (channel, route) in channels {
            let name = channel.name().to_string();
            let (tx, rx) = sync_channel(config.queue.max(1));
            let job = ChannelJob {
                channel,
                route,
                config: config.clone(),
                counts: Arc::clone(&counts),
            };
            match std::thread::Builder::new()
                .name(format!("notify-{name}"))
                .spawn(move || job.run(&rx))
            {
                Ok(thread) => running.push(ChannelThread {
                    name,
                    tx,
                    thread: Some(thread),
                }),
                Err(e) => {
                    tracing::error!(channel = %name, error = %e, "cannot start the notification thread");
                }
            }
        }
        Self {
            channels: running,
            counts,
            config: config.clone(),
            reports: None,
        }
    }

    /// Starts the scheduled summaries' thread over `summaries`; a thread the OS refuses is
    /// logged and no summary is sent.
    #[must_use]
    pub fn with_summaries(mut self, summaries: Box<dyn Summaries>) -> Self {
        let job = ReportsJob {
            summaries,
            channels: self
                .channels
                .iter()
                .map(|c| (c.name.clone(), c.tx.clone()))
                .collect(),
            clock: Arc::clone(&self.config.clock),
            poll: self.config.poll,
            outbox: self.config.outbox.clone(),
        };
        let (stop, stopped) = sync_channel(1);
        match std::thread::Builder::new()
            .name("notify-reports".into())
            .spawn(move || job.run(&stopped))
        {
            Ok(thread) => self.reports = Some(ReportsThread { stop, thread }),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the scheduled summaries' thread; no summary is sent");
            }
        }
        self
    }

    /// Hands alert events to every channel (each routes and groups them itself); never
    /// waits. Events a full queue refuses are logged and counted as dropped.
    pub fn submit(&self, events: &[AlertEvent]) {
        if events.is_empty() {
            return;
        }
        let n = events.len() as u64;
        for c in &self.channels {
            // Counted before it is sent, so the thread never takes events off a count of zero.
            self.counts.add_queued(n);
            let refused = match c.tx.try_send(Msg::Events(events.to_vec())) {
                Ok(()) => continue,
                Err(TrySendError::Full(_)) => {
                    tracing::error!(channel = %c.name, "notification queue full; these alerts stay in the alert history but are not sent");
                    true
                }
                Err(TrySendError::Disconnected(_)) => {
                    tracing::error!(channel = %c.name, "notification thread has stopped");
                    true
                }
            };
            if refused {
                self.counts.take_queued(n);
                self.counts.sink.add_dropped(n);
            }
        }
    }

    /// Sends what is grouped, tries one last delivery, and joins the threads.
    pub fn close(&mut self) {
        // The reports thread first: what it handed over is then in the channels' queues,
        // ahead of their close.
        if let Some(r) = self.reports.take() {
            let _ = r.stop.try_send(());
            if r.thread.join().is_err() {
                tracing::error!("the scheduled summaries' thread panicked");
            }
        }
        for c in &self.channels {
            // An error means the thread has already stopped, which is what was asked.
            let _ = c.tx.send(Msg::Close);
        }
        for c in &mut self.channels {
            if let Some(thread) = c.thread.take() {
                if thread.join().is_err() {
                    tracing::error!(channel = %c.name, "notification thread panicked");
                }
            }
        }
    }
}

impl Sink for Notifier {
    fn name(&self) -> &'static str {
        "notify"
    }

    fn frame(&mut self, _frame: &Frame) -> Flow {
        Flow::Continue
    }

    fn alerts(&mut self, events: &[AlertEvent]) {
        self.submit(events);
    }

    fn counters(&self) -> SinkCounters {
        self.counts.sink.clone()
    }

    fn close(&mut self) {
        Notifier::close(self);
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::Outcome;
    use crate::summary::Due;
    use bandwatch_core::{alert_id, EventKind, FakeClock, SeriesKey, Severity, Timestamp};
    use std::sync::Mutex;

    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Deliver for Recorder {
        fn name(&self) -> &'static str {
            "recorder"
        }

        fn render(&self, events: &[AlertEvent]) -> crate::Result<String> {
            Ok(events
                .iter()
                .map(|e| e.rule.clone())
                .collect::<Vec<_>>()
                .join(","))
        }

        fn render_summary(&self, summary: &Summary) -> Option<crate::Result<String>> {
            Some(Ok(format!("summary {}", summary.key)))
        }

        fn deliver(&mut self, payload: &str) -> Outcome {
            self.0.lock().expect("lock").push(payload.to_string());
            Outcome::Delivered
        }
    }

    /// A daily report due at every whole day (UTC) that composes from a counter, and fails
    /// its first composition when asked to.
    struct Daily {
        composed: Arc<Mutex<Vec<String>>>,
        fail_first: bool,
    }

    const DAY: i64 = 86_400_000;

    impl Daily {
        fn due_at(at: Timestamp) -> Due {
            Due {
                report: "daily".into(),
                at,
                key: format!("summary:daily:{}", at.millis() - DAY),
                channels: vec!["recorder".into()],
            }
        }
    }

    impl Summaries for Daily {
        fn next_due(&self, after: Timestamp) -> Option<Timestamp> {
            Some(Timestamp((after.millis().div_euclid(DAY) + 1) * DAY))
        }

        fn due(&self, after: Timestamp, upto: Timestamp) -> Vec<Due> {
            let latest = Timestamp(upto.millis().div_euclid(DAY) * DAY);
            if latest > after {
                vec![Self::due_at(latest)]
            } else {
                Vec::new()
            }
        }

        fn missed(&self, now: Timestamp) -> Vec<Due> {
            vec![Self::due_at(Timestamp(now.millis().div_euclid(DAY) * DAY))]
        }

        fn compose(&mut self, due: &Due) -> std::result::Result<Summary, String> {
            if std::mem::take(&mut self.fail_first) {
                return Err("history locked".into());
            }
            self.composed.lock().expect("lock").push(due.key.clone());
            Ok(Summary {
                report: due.report.clone(),
                key: due.key.clone(),
                title: "t".into(),
                text: "x".into(),
                html: "<p>x</p>".into(),
                json: "{}".into(),
                chart_png: None,
            })
        }
    }
    fn fired(rule: &str, at: Timestamp) -> AlertEvent {
        let series = SeriesKey::with_label("m", "iface", "eth0");
        AlertEvent {
            id: alert_id(rule, &series, at),
            rule: rule.into(),
            series,
            kind: EventKind::Fired,
            state: EventKind::Fired.state(),
            severity: Severity::High,
            value: 1.0,
            reference: 0.0,
            message: "m".into(),
            started: at,
            ended: None,
            at,
        }
    }

    /// Waits (in real time, for the channel thread) until `sent` holds `n` payloads.
    fn wait_for(sent: &Mutex<Vec<String>>, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = sent.lock().expect("lock").clone();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn the_first_alert_is_sent_at_once_and_the_next_within_the_window_waits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("h.db");
        drop(
            bandwatch_store::SqliteStore::open(&db, bandwatch_store::SqliteOptions::default())
                .expect("db"),
        );
        let start = Timestamp::from_secs(1_795_255_200);
        let clock = Arc::new(FakeClock::new(start));
        let mut config = NotifierConfig::new(&db);
        config.clock = clock.clone();
        config.poll = Duration::from_millis(5);
        assert_eq!(config.group_window, Duration::from_secs(30));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let channel: Box<dyn Deliver> = Box::new(Recorder(Arc::clone(&sent)));
        let mut notifier = Notifier::start(vec![(channel, Route::default())], &config);
        // The fake clock stands still: only an alert sent at once can arrive.
        notifier.submit(&[fired("first", start)]);
        assert_eq!(wait_for(&sent, 1), ["first"]);
        notifier.submit(&[fired("second", start), fired("third", start)]);
        clock.advance(Duration::from_secs(29));
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            *sent.lock().expect("lock"),
            ["first"],
            "batched for the window"
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(wait_for(&sent, 2), ["first", "second,third"]);
        notifier.close();
    }

    #[test]
    fn summaries_go_out_when_due_once_each_and_a_failed_one_is_tried_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("h.db");
        drop(
            bandwatch_store::SqliteStore::open(&db, bandwatch_store::SqliteOptions::default())
                .expect("db"),
        );
        // 10:00 on day 20 000: the summary due at its midnight was missed.
        let start = Timestamp(20_000 * DAY + 10 * 3_600_000);
        let clock = Arc::new(FakeClock::new(start));
        let mut config = NotifierConfig::new(&db);
        config.clock = clock.clone();
        config.poll = Duration::from_millis(5);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let composed = Arc::new(Mutex::new(Vec::new()));
        let channel: Box<dyn Deliver> = Box::new(Recorder(Arc::clone(&sent)));
        let daily = Daily {
            composed: Arc::clone(&composed),
            fail_first: false,
        };
        let mut notifier = Notifier::start(vec![(channel, Route::default())], &config)
            .with_summaries(Box::new(daily));
        let first = format!("summary summary:daily:{}", 19_999 * DAY);
        assert_eq!(
            wait_for(&sent, 1),
            std::slice::from_ref(&first),
            "the missed one at start"
        );
        clock.advance(Duration::from_secs(13 * 3600));
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(
            sent.lock().expect("lock").len(),
            1,
            "nothing due before midnight"
        );
        clock.advance(Duration::from_secs(2 * 3600));
        let second = format!("summary summary:daily:{}", 20_000 * DAY);
        assert_eq!(wait_for(&sent, 2), [first, second]);
        notifier.close();

        // A restart the same day: the missed one is in the outbox, so nothing is composed;
        // the first composition of the next one fails and is retried a minute later.
        composed.lock().expect("lock").clear();
        let sent2 = Arc::new(Mutex::new(Vec::new()));
        let channel: Box<dyn Deliver> = Box::new(Recorder(Arc::clone(&sent2)));
        let daily = Daily {
            composed: Arc::clone(&composed),
            fail_first: true,
        };
        let mut notifier = Notifier::start(vec![(channel, Route::default())], &config)
            .with_summaries(Box::new(daily));
        std::thread::sleep(Duration::from_millis(50));
        assert!(composed.lock().expect("lock").is_empty(), "already queued");
        clock.advance(Duration::from_secs(24 * 3600));
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            sent2.lock().expect("lock").is_empty(),
            "the composition failed"
        );
        clock.advance(Duration::from_secs(60));
        let third = format!("summary summary:daily:{}", 20_001 * DAY);
        assert_eq!(wait_for(&sent2, 1), [third]);
        notifier.close();
    }

    #[test]
    fn a_new_alert_within_its_rule_cooldown_is_not_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("h.db");
        drop(
            bandwatch_store::SqliteStore::open(&db, bandwatch_store::SqliteOptions::default())
                .expect("db"),
        );
        let start = Timestamp::from_secs(1_795_255_200);
        let mut config = NotifierConfig::new(&db);
        config.clock = Arc::new(FakeClock::new(start));
        config.group_window = Duration::ZERO;
        config.cooldowns = Cooldowns::uniform(Duration::from_secs(600));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let channel: Box<dyn Deliver> = Box::new(Recorder(Arc::clone(&sent)));
        let mut notifier = Notifier::start(vec![(channel, Route::default())], &config);
        notifier.submit(&[fired("up", start)]);
        notifier.submit(&[fired("up", start.add_millis(10_000))]);
        notifier.submit(&[fired("up", start.add_millis(600_000))]);
        notifier.close();
        assert_eq!(*sent.lock().expect("lock"), ["up", "up"]);
    }

    #[test]
    fn events_are_grouped_stored_and_delivered_at_close_and_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("h.db");
        drop(
            bandwatch_store::SqliteStore::open(&db, bandwatch_store::SqliteOptions::default())
                .expect("db"),
        );
        let start = Timestamp::from_secs(1_795_255_200);
        let mut config = NotifierConfig::new(&db);
        config.clock = Arc::new(FakeClock::new(start));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let channel: Box<dyn Deliver> = Box::new(Recorder(Arc::clone(&sent)));
        let mut notifier = Notifier::start(vec![(channel, Route::default())], &config);
        let counters = notifier.counters();
        Sink::alerts(&mut notifier, &[fired("a", start), fired("b", start)]);
        Sink::close(&mut notifier);
        assert_eq!(*sent.lock().expect("lock"), ["a,b"]);
        let stats = counters.stats();
        assert_eq!((stats.queue_depth, stats.written, stats.dropped), (0, 1, 0));
    }
}
