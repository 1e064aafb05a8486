//! The live view as one of the agent's sinks: every frame and alert transition goes to the
//! newest values and, once, to the live stream's clients (a slow client misses messages; the
//! agent never waits). `written` counts frames.

use bandwatch_core::{AlertEvent, Flow, Frame, Sink, SinkCounters};

use crate::live::Live;

/// Feeds a [`Live`] (clones of which the handlers read).
#[derive(Debug, Clone)]
pub struct LiveSink {
    live: Live,
    counters: SinkCounters,
}

impl LiveSink {
    /// A sink feeding `live`.
    pub fn new(live: Live) -> Self {
        Self {
            live,
            counters: SinkCounters::default(),
        }
    }
}

impl Sink for LiveSink {
    fn name(&self) -> &'static str {
        "web"
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        self.live.observe(frame);
        self.counters.add_written(1);
        Flow::Continue
    }

    fn alerts(&mut self, events: &[AlertEvent]) {
        self.live.alerts(events);
    }

    fn counters(&self) -> SinkCounters {
        self.counters.clone()
    }
}
