//! The live side: the newest value of every series (for snapshots, cards and devices) and a
//! broadcast of every frame and alert transition for the Server-Sent Events stream. The agent
//! calls [`Live::observe`] from its loop; it never waits for a client (a slow client misses
//! messages instead).

use std::sync::{Arc, PoisonError, RwLock};

use bandwatch_core::{AlertEvent, Frame, SeriesKey, Timestamp};
use rustc_hash::FxHashMap;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::json::SampleJson;

/// Messages the stream holds for a slow client before it starts missing them.
const STREAM_CAPACITY: usize = 512;
/// A series without a new value for this long is dropped from snapshots (an interface that
/// went away).
const STALE_MS: i64 = 5 * 60_000;

/// One message of the live stream, already serialized once for every client.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    /// The SSE event name: `frame` or `alert`.
    pub event: &'static str,
    /// The JSON data.
    pub data: Arc<str>,
}

/// The newest value of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latest {
    /// The value.
    pub value: f64,
    /// When it was taken.
    pub ts: Timestamp,
}

#[derive(Debug, Default)]
struct State {
    latest: FxHashMap<Arc<SeriesKey>, Latest>,
    newest: Option<Timestamp>,
}

/// Shared between the agent (writer) and the web handlers (readers); cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    state: Arc<RwLock<State>>,
    tx: broadcast::Sender<StreamMessage>,
}

impl Default for Live {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(STREAM_CAPACITY);
        Self {
            state: Arc::default(),
            tx,
        }
    }
}

#[derive(Serialize)]
struct FrameJson<'a> {
    source: &'a str,
    ts: i64,
    samples: Vec<SampleJson<'a>>,
}

#[derive(Serialize)]
struct AlertJson<'a> {
    id: &'a str,
    rule: &'a str,
    series: String,
    kind: bandwatch_core::EventKind,
    state: bandwatch_core::AlertState,
    severity: bandwatch_core::Severity,
    value: Option<f64>,
    message: &'a str,
    at: i64,
}

impl Live {
    /// Takes a frame: updates the newest values and streams it to connected clients.
    pub fn observe(&self, frame: &Frame) {
        {
            let mut s = self.state.write().unwrap_or_else(PoisonError::into_inner);
            for sample in &frame.samples {
                s.latest.insert(
                    Arc::clone(&sample.series),
                    Latest {
                        value: sample.value,
                        ts: sample.ts,
                    },
                );
            }
            s.newest = Some(s.newest.map_or(frame.ts, |t| t.max(frame.ts)));
            let cutoff = frame.ts.0 - STALE_MS;
            if s.latest.len() > frame.samples.len() {
                s.latest.retain(|_, l| l.ts.0 >= cutoff);
            }
        }
        if self.tx.receiver_count() == 0 {
            return;
        }
        let body = FrameJson {
            source: &frame.source,
            ts: frame.ts.0,
            samples: frame
                .samples
                .iter()
                .map(|s| SampleJson::new(&s.series, s.value, None))
                .collect(),
        };
        self.send("frame", &body);
    }

    /// Streams alert transitions to connected clients.
    pub fn alerts(&self, events: &[AlertEvent]) {
        if self.tx.receiver_count() == 0 {
            return;
        }
        for e in events {
            let body = AlertJson {
                id: &e.id,
                rule: &e.rule,
                series: e.series.to_string(),
                kind: e.kind,
                state: e.state,
                severity: e.severity,
                value: e.value.is_finite().then_some(e.value),
                message: &e.message,
                at: e.at.0,
            };
            self.send("alert", &body);
        }
    }

    fn send(&self, event: &'static str, body: &impl Serialize) {
        match serde_json::to_string(body) {
            // No receiver left is not an error: the stream is best effort.
            Ok(data) => {
                let _ = self.tx.send(StreamMessage {
                    event,
                    data: data.into(),
                });
            }
            Err(e) => tracing::warn!(error = %e, "a live message could not be encoded"),
        }
    }

    /// A new subscription to the stream.
    pub fn subscribe(&self) -> broadcast::Receiver<StreamMessage> {
        self.tx.subscribe()
    }

    /// How many clients are connected to the stream.
    pub fn clients(&self) -> usize {
        self.tx.receiver_count()
    }

    /// The newest frame time, and every series' newest value, sorted by series.
    pub fn snapshot(&self) -> (Option<Timestamp>, Vec<(Arc<SeriesKey>, Latest)>) {
        let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let newest = s.newest;
        let mut all: Vec<(Arc<SeriesKey>, Latest)> =
            s.latest.iter().map(|(k, v)| (Arc::clone(k), *v)).collect();
        drop(s);
        all.sort_by(|a, b| a.0.cmp(&b.0));
        (newest, all)
    }

    /// The newest value of one series.
    pub fn get(&self, key: &SeriesKey) -> Option<Latest> {
        let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
        s.latest.get(key).copied()
    }

    /// Every series of `metric` with its newest value.
    pub fn metric(&self, metric: &str) -> Vec<(Arc<SeriesKey>, Latest)> {
        let s = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<(Arc<SeriesKey>, Latest)> = s
            .latest
            .iter()
            .filter(|(k, _)| k.metric == metric)
            .map(|(k, l)| (Arc::clone(k), *l))
            .collect();
        drop(s);
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::{SampleKind, Seconds};

    fn frame(ts: i64, iface: &str, v: f64) -> Frame {
        let mut f = Frame::new("netdev", Timestamp(ts), Seconds(1.0));
        f.push(
            Arc::new(SeriesKey::with_label(
                "net_rx_bits_per_second",
                "iface",
                iface,
            )),
            v,
            SampleKind::Rate,
        );
        f
    }

    #[test]
    fn keeps_the_newest_and_forgets_the_stale() {
        let live = Live::default();
        live.observe(&frame(0, "eth1", 1.0));
        live.observe(&frame(1000, "eth0", 2.0));
        live.observe(&frame(2000, "eth0", 3.0));
        let (newest, all) = live.snapshot();
        assert_eq!(newest, Some(Timestamp(2000)));
        assert_eq!(all.len(), 2);
        assert!(
            (all[0].1.value - 3.0).abs() < f64::EPSILON,
            "eth0 sorts first and holds its newest value"
        );
        live.observe(&frame(STALE_MS + 1000, "eth0", 4.0));
        assert_eq!(
            live.metric("net_rx_bits_per_second").len(),
            1,
            "eth1 went stale"
        );
    }

    #[test]
    fn streams_frames_to_subscribers_only() {
        let live = Live::default();
        live.observe(&frame(0, "eth0", 1.0));
        let mut rx = live.subscribe();
        live.observe(&frame(1000, "eth0", 2.5));
        let msg = rx.try_recv().expect("a frame");
        assert_eq!(msg.event, "frame");
        assert_eq!(
            &*msg.data,
            r#"{"source":"netdev","ts":1000,"samples":[{"metric":"net_rx_bits_per_second","labels":{"iface":"eth0"},"value":2.5}]}"#
        );
        assert!(
            rx.try_recv().is_err(),
            "the frame before subscribing is not replayed"
        );
    }
}
