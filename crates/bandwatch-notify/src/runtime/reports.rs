//! The scheduled summaries' thread: waits for the next report that is due, has the binary
//! compose it from the history (off the sampling thread, which never waits for it), and
//! hands it to the channel threads, which store it in the outbox and deliver it.
//!
//! At start it first sends what was missed while nothing ran, unless the outbox already
//! holds it. A summary that cannot be composed (the history is locked, say) is tried again
//! a minute later.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{Clock, Timestamp};
use bandwatch_store::{Outbox as _, SqliteOutbox};

use super::Msg;
use crate::summary::{Due, Summaries};

/// How long a summary that could not be composed waits before the next try.
pub const RETRY_COMPOSE: Duration = Duration::from_secs(60);

pub(crate) struct ReportsJob {
    pub summaries: Box<dyn Summaries>,
    /// Each channel thread's queue, by channel name.
    pub channels: HashMap<String, SyncSender<Msg>>,
    pub clock: Arc<dyn Clock>,
    pub poll: Duration,
    pub outbox: std::path::PathBuf,
}

impl ReportsJob {
    pub(crate) fn run(mut self, stop: &Receiver<()>) {
        let start = self.clock.wall();
        let mut pending = self.not_yet_queued(self.summaries.missed(start));
        let mut checked = start;
        loop {
            pending.retain(|due| !self.send(due));
            let retry = (!pending.is_empty()).then(|| {
                checked.add_millis(i64::try_from(RETRY_COMPOSE.as_millis()).unwrap_or(i64::MAX))
            });
            let next = self.summaries.next_due(checked);
            let Some(wake) = next.into_iter().chain(retry).min() else {
                // Nothing scheduled: only a stop can come.
                let _ = stop.recv();
                return;
            };
            if !self.sleep_until(wake, stop) {
                return;
            }
            let now = self.clock.wall();
            for due in self.summaries.due(checked, now) {
                if !pending.iter().any(|p| p.key == due.key) {
                    pending.push(due);
                }
            }
            checked = now;
        }
    }

    /// The missed summaries some channel has not queued yet.
    fn not_yet_queued(&self, missed: Vec<Due>) -> Vec<Due> {
        let outbox = match SqliteOutbox::open(&self.outbox) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox to see which summaries went out; sending the missed ones (a queued one is not queued twice)");
                return missed;
            }
        };
        missed
            .into_iter()
            .filter(|due| {
                due.channels
                    .iter()
                    .any(|c| !outbox.contains(c, &due.key).unwrap_or(false))
            })
            .collect()
    }

    /// Composes one summary and hands it to its channels; false when it must be tried again.
    fn send(&mut self, due: &Due) -> bool {
        let summary = match self.summaries.compose(due) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                tracing::error!(report = %due.report, error = %e, "cannot compose the summary; trying again in a minute");
                return false;
            }
        };
        for name in &due.channels {
            let Some(tx) = self.channels.get(name) else {
                tracing::error!(report = %due.report, channel = %name, "the report names a channel that is not running; the summary is not sent to it");
                continue;
            };
            // The channel thread empties its queue between deliveries; waiting here delays
            // only other summaries, never sampling.
            if tx.send(Msg::Summary(Arc::clone(&summary))).is_err() {
                tracing::error!(report = %due.report, channel = %name, "notification thread has stopped; the summary is not sent to it");
            }
        }
        tracing::info!(report = %due.report, key = %due.key, "summary composed");
        true
    }

    /// Waits until the clock reaches `wake`; false when told to stop.
    fn sleep_until(&self, wake: Timestamp, stop: &Receiver<()>) -> bool {
        loop {
            let now = self.clock.wall();
            if now >= wake {
                return true;
            }
            let left = u64::try_from(wake.millis().saturating_sub(now.millis())).unwrap_or(0);
            match stop.recv_timeout(self.poll.min(Duration::from_millis(left))) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return false,
            }
        }
    }
}
