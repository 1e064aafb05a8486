//! One scheduler for every source: each source is read on a thread of its own at its own
//! interval, so a probe round that waits for its timeout never delays an interface tick.
//! Frames go to the pipeline over one bounded channel; a source blocks when the pipeline is
//! that far behind (its next reading then covers the longer span exactly).

use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bandwatch_collect::Source;
use bandwatch_core::{Clock, Frame, SourceBoard};

use crate::cancel::Cancel;
use crate::error::{AgentError, Result};
use crate::wait::Wait;

/// Longest wait after a baseline reading (no frame), so that numbers show up within seconds
/// of starting rather than a whole interval later.
pub const BASELINE_GAP: Duration = Duration::from_secs(5);

/// What travels to the pipeline.
pub(crate) enum Msg {
    /// A source's frame.
    Frame(Frame),
    /// Look at the cancellation token.
    Wake,
}

/// A source with its interval.
pub(crate) struct Scheduled {
    pub source: Box<dyn Source + Send>,
    pub every: Duration,
}

/// What a source thread shares with the agent.
#[derive(Clone)]
pub(crate) struct Shared {
    pub clock: Arc<dyn Clock>,
    pub wait: Arc<dyn Wait>,
    pub cancel: Cancel,
    pub board: SourceBoard,
}

/// The next reading is due one interval after the last one was due; a source that overran
/// its interval is read again at once, without a burst to catch up.
pub(crate) fn next_due(due: Duration, every: Duration, now: Duration) -> Duration {
    (due + every).max(now)
}

/// Starts the thread that reads `s` until the run is cancelled.
pub(crate) fn spawn(s: Scheduled, shared: Shared, tx: SyncSender<Msg>) -> Result<JoinHandle<()>> {
    let thread = format!("source-{}", s.source.name());
    std::thread::Builder::new()
        .name(thread.clone())
        .spawn(move || read_until_cancelled(s, &shared, &tx))
        .map_err(|source| AgentError::Spawn { thread, source })
}

fn read_until_cancelled(mut s: Scheduled, shared: &Shared, tx: &SyncSender<Msg>) {
    let mut due = shared.clock.monotonic();
    let mut failures = Failures::default();
    while shared.wait.until(due, &shared.cancel) {
        let started = shared.clock.monotonic();
        let collected = s.source.collect();
        let took = shared.clock.monotonic().saturating_sub(started);
        let frame_at = match &collected {
            Ok(Some(frame)) => Some(frame.ts),
            _ => None,
        };
        let name = s.source.name();
        shared.board.record(name, took, collected.is_ok(), frame_at);
        let error = collected.as_ref().err().map(ToString::to_string);
        failures.note(name, error.as_deref());
        let mut every = s.every;
        match collected {
            Ok(Some(frame)) => {
                // The pipeline drains this channel until every source has stopped, so a
                // blocked send always ends.
                if tx.send(Msg::Frame(frame)).is_err() {
                    return;
                }
            }
            Ok(None) => every = every.min(BASELINE_GAP),
            Err(_) => {}
        }
        due = next_due(due, every, shared.clock.monotonic());
    }
}

/// A failure that lasts is said once when it starts and once when it ends (at debug level
/// in between), so a source failing every 0.1 s tick does not write ten warnings a second.
#[derive(Debug, Default)]
struct Failures {
    /// Failed readings in a row.
    streak: u64,
}

/// What the log should say about one reading.
#[derive(Debug, PartialEq, Eq)]
enum Say {
    Nothing,
    Started,
    Again,
    Recovered(u64),
}

impl Failures {
    fn step(&mut self, failed: bool) -> Say {
        match (failed, self.streak) {
            (true, 0) => {
                self.streak = 1;
                Say::Started
            }
            (true, _) => {
                self.streak += 1;
                Say::Again
            }
            (false, 0) => Say::Nothing,
            (false, n) => {
                self.streak = 0;
                Say::Recovered(n)
            }
        }
    }

    fn note(&mut self, source: &str, error: Option<&str>) {
        match self.step(error.is_some()) {
            Say::Nothing => {}
            Say::Started => tracing::warn!(
                source,
                error = error.unwrap_or_default(),
                "collection failed; will try again every tick and say when it recovers"
            ),
            Say::Again => tracing::debug!(
                source,
                error = error.unwrap_or_default(),
                "collection failed again"
            ),
            Say::Recovered(n) => {
                tracing::info!(source, failed_readings = n, "collection recovered");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_source_is_read_at_once_without_a_burst() {
        let s = Duration::from_secs;
        assert_eq!(next_due(s(10), s(1), s(10)), s(11));
        assert_eq!(next_due(s(10), s(1), s(14)), s(14));
        assert_eq!(next_due(s(14), s(1), s(14)), s(15));
    }

    #[test]
    fn a_lasting_failure_is_said_when_it_starts_and_when_it_ends() {
        let mut f = Failures::default();
        let said: Vec<Say> = [false, true, true, true, false, false, true]
            .into_iter()
            .map(|failed| f.step(failed))
            .collect();
        assert_eq!(
            said,
            [
                Say::Nothing,
                Say::Started,
                Say::Again,
                Say::Again,
                Say::Recovered(3),
                Say::Nothing,
                Say::Started
            ]
        );
    }
}
