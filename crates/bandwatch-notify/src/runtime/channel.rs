//! One channel's thread: takes alert events, keeps the silenced ones back, groups, writes
//! to the outbox and delivers what is due, until told to close.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;

use bandwatch_store::SqliteOutbox;

use super::silences::Silences;
use super::{Counts, Msg, NotifierConfig};
use crate::dispatch::{Deliver, DeliveryReport, Dispatcher, Route};
use crate::summary::Summary;

/// Due items one pass delivers per channel.
const PER_PASS: usize = 50;

pub(crate) struct ChannelJob {
    pub channel: Box<dyn Deliver>,
    pub route: Route,
    pub config: NotifierConfig,
    pub counts: Arc<Counts>,
}

impl ChannelJob {
    pub(crate) fn run(self, rx: &Receiver<Msg>) {
        let name = self.channel.name().to_string();
        let outbox = match SqliteOutbox::open(&self.config.outbox) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!(channel = %name, error = %e, "cannot open the notification outbox");
                return;
            }
        };
        let (config, counts) = (self.config, self.counts);
        let clock = Arc::clone(&config.clock);
        let mut dispatcher = Dispatcher::new(
            outbox,
            vec![(self.channel, self.route)],
            config.group_window,
            config.retry,
        )
        .group_wait(config.group_wait)
        .cooldowns(&config.cooldowns);
        let mut silences = Silences::new(&config.outbox);
        // Summaries the outbox did not take yet (it was locked or full); tried every pass.
        let mut summaries: Vec<Arc<Summary>> = Vec::new();
        loop {
            let closing = match rx.recv_timeout(wait(&dispatcher, clock.wall(), config.poll)) {
                Ok(Msg::Events(events)) => {
                    counts.take_queued(events.len() as u64);
                    let now = clock.wall();
                    let kept = silences.unsilenced(events, now);
                    dispatcher.submit(&kept, now);
                    false
                }
                Ok(Msg::Summary(summary)) => {
                    summaries.push(summary);
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
            summaries.retain(|s| match dispatcher.enqueue_summary(s, now) {
                Ok(_) => false,
                Err(e) => {
                    tracing::error!(channel = %name, report = %s.report, error = %e, "cannot write the summary to the outbox; it is retried when the database accepts writes");
                    true
                }
            });
            match dispatcher.deliver_due(now, PER_PASS) {
                Ok(report) => count(&counts, &report),
                Err(e) => {
                    tracing::warn!(channel = %name, error = %e, "cannot read the notification outbox");
                }
            }
            if closing {
                for s in &summaries {
                    tracing::error!(channel = %name, report = %s.report, "shutting down with a summary the outbox did not take; it is composed again at the next start");
                }
                return;
            }
        }
    }
}

/// How long to wait for news: the poll period, or less when a held group is due sooner, so
/// a batch goes out when its window ends rather than up to a poll later.
fn wait<O: bandwatch_store::Outbox>(
    dispatcher: &Dispatcher<O>,
    now: bandwatch_core::Timestamp,
    poll: std::time::Duration,
) -> std::time::Duration {
    dispatcher.next_group_due().map_or(poll, |due| {
        let ms = u64::try_from(due.millis().saturating_sub(now.millis())).unwrap_or(0);
        poll.min(std::time::Duration::from_millis(ms))
    })
}

/// A pass's deliveries on the sink board.
fn count(counts: &Counts, report: &DeliveryReport) {
    counts.sink.add_written(report.delivered);
    counts.sink.add_retried(report.retrying);
    counts.sink.add_dropped(report.dead);
}
