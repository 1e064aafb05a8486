//! Where frames and alert events go. The agent holds every sink (store, InfluxDB, the
//! snapshot behind Prometheus and the web, MQTT rates, the console printer, the notifier) as
//! one `Vec<Box<dyn Sink>>` and hands each the same frame; a sink never blocks the agent: it
//! queues (bounded), and drops with a count or spills to disk when it falls behind.
//!
//! Every sink keeps [`SinkCounters`]; the agent lists them on a [`SinkBoard`] that `/metrics`
//! (`bandwatch_sink_*{sink="…"}`) and the API's status read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::alert::AlertEvent;
use crate::sample::Frame;

/// What the agent should do after a sink took a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop the run (the console printer's stdout is gone, e.g. piped into `head`).
    Stop,
}

/// One destination of frames and alert events.
pub trait Sink: Send {
    /// The sink's name, as in `bandwatch_sink_written_total{sink="store"}`.
    fn name(&self) -> &str;

    /// Takes one frame; must not block on I/O (queue it instead).
    fn frame(&mut self, frame: &Frame) -> Flow;

    /// Takes the alert transitions of one frame, in order.
    fn alerts(&mut self, events: &[AlertEvent]) {
        let _ = events;
    }

    /// The sink's counters, shared with whoever reports them.
    fn counters(&self) -> SinkCounters;

    /// Flushes what is queued and stops any thread the sink started, waiting for it.
    fn close(&mut self) {}
}

#[derive(Debug, Default)]
struct Counts {
    queued: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    retried: AtomicU64,
}

/// A sink's queue depth and its written, dropped and retried counts; clones share them.
#[derive(Debug, Clone, Default)]
pub struct SinkCounters(Arc<Counts>);

/// The counters read at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SinkStats {
    /// Items waiting in the sink's queue now.
    pub queue_depth: u64,
    /// Items the sink has written (frames, points, messages).
    pub written: u64,
    /// Items the sink has given up on (a full queue, a dead destination).
    pub dropped: u64,
    /// Write attempts that failed and were tried again.
    pub retried: u64,
}

impl SinkCounters {
    /// Sets the current queue depth.
    pub fn set_queue_depth(&self, n: u64) {
        self.0.queued.store(n, Ordering::Relaxed);
    }

    /// Adds `n` written items.
    pub fn add_written(&self, n: u64) {
        self.0.written.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds `n` dropped items.
    pub fn add_dropped(&self, n: u64) {
        self.0.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds `n` retried attempts.
    pub fn add_retried(&self, n: u64) {
        self.0.retried.fetch_add(n, Ordering::Relaxed);
    }

    /// The counts now.
    pub fn stats(&self) -> SinkStats {
        SinkStats {
            queue_depth: self.0.queued.load(Ordering::Relaxed),
            written: self.0.written.load(Ordering::Relaxed),
            dropped: self.0.dropped.load(Ordering::Relaxed),
            retried: self.0.retried.load(Ordering::Relaxed),
        }
    }
}

/// The sinks of a run by name, for the self-metrics; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct SinkBoard(Arc<RwLock<Vec<(String, SinkCounters)>>>);

impl SinkBoard {
    /// Lists a sink (a second sink of the same name replaces the first).
    pub fn register(&self, name: &str, counters: SinkCounters) {
        let mut list = self.0.write().unwrap_or_else(PoisonError::into_inner);
        list.retain(|(n, _)| n != name);
        list.push((name.to_string(), counters));
        list.sort_by(|a, b| a.0.cmp(&b.0));
    }

    /// Every sink's counts, by name.
    pub fn stats(&self) -> Vec<(String, SinkStats)> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(n, c)| (n.clone(), c.stats()))
            .collect()
    }
}

/// What one source did so far, for the self-metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct SourceStats {
    /// Frames it produced.
    pub frames: u64,
    /// Collections that failed.
    pub errors: u64,
    /// Wall-clock seconds of its last frame, once there was one.
    pub last_frame: Option<f64>,
    /// Seconds its last collection took, once one was recorded.
    pub duration: Option<f64>,
}

/// Every source's [`SourceStats`] by name; the scheduler writes, `/metrics` and the API read.
#[derive(Debug, Clone, Default)]
pub struct SourceBoard(Arc<RwLock<std::collections::BTreeMap<String, SourceStats>>>);

impl SourceBoard {
    /// Records one collection of `source`: how long it took, whether it failed, and the
    /// wall-clock time of the frame it produced (if any).
    pub fn record(
        &self,
        source: &str,
        took: std::time::Duration,
        ok: bool,
        frame_at: Option<crate::Timestamp>,
    ) {
        let mut map = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let s = map.entry(source.to_string()).or_default();
        s.duration = Some(took.as_secs_f64());
        if !ok {
            s.errors += 1;
        }
        if let Some(ts) = frame_at {
            s.frames += 1;
            s.last_frame = Some(ts.millis() as f64 / 1000.0);
        }
    }

    /// Every source's stats, by name.
    pub fn stats(&self) -> Vec<(String, SourceStats)> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(n, s)| (n.clone(), *s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_reports_shared_counters() {
        let board = SinkBoard::default();
        let c = SinkCounters::default();
        board.register("store", c.clone());
        c.add_written(3);
        c.add_dropped(1);
        c.set_queue_depth(2);
        assert_eq!(
            board.stats(),
            vec![(
                "store".to_string(),
                SinkStats {
                    queue_depth: 2,
                    written: 3,
                    dropped: 1,
                    retried: 0
                }
            )]
        );
    }
}
