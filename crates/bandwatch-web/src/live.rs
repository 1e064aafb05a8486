//! The live stream: a broadcast of every frame and alert transition, serialized once, for the
//! Server-Sent Events clients. The agent calls [`Live::observe`] and [`Live::alerts`]; they
//! never wait for a client (a slow client misses messages instead). The newest values
//! themselves live in the shared [`bandwatch_core::Snapshot`].

use std::sync::Arc;

use bandwatch_core::{AlertEvent, Frame};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::json::SampleJson;

/// Messages the stream holds for a slow client before it starts missing them.
const STREAM_CAPACITY: usize = 512;

/// One message of the live stream, already serialized once for every client.
#[derive(Debug, Clone)]
pub struct StreamMessage {
    /// The SSE event name: `frame` or `alert`.
    pub event: &'static str,
    /// The JSON data.
    pub data: Arc<str>,
}

/// Shared between the agent (sender) and the stream handlers (subscribers); cheap to clone.
#[derive(Debug, Clone)]
pub struct Live {
    tx: broadcast::Sender<StreamMessage>,
}

impl Default for Live {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(STREAM_CAPACITY);
        Self { tx }
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
    /// Streams a frame to connected clients (nothing to do when none is connected).
    pub fn observe(&self, frame: &Frame) {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use bandwatch_core::{SampleKind, Seconds, SeriesKey, Timestamp};

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
