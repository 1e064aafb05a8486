//! The exporter as one of the agent's sinks: every frame and alert transition updates what
//! `/metrics` shows. It never queues, so nothing is dropped; `written` counts frames.

use bandwatch_core::{AlertEvent, Flow, Frame, Sink, SinkCounters};

use super::Exporter;

/// Feeds an [`Exporter`] (clones of which serve the scrapes).
#[derive(Debug, Clone)]
pub struct ExporterSink {
    exporter: Exporter,
    counters: SinkCounters,
}

impl ExporterSink {
    /// A sink feeding `exporter`.
    pub fn new(exporter: Exporter) -> Self {
        Self {
            exporter,
            counters: SinkCounters::default(),
        }
    }
}

impl Sink for ExporterSink {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn frame(&mut self, _frame: &Frame) -> Flow {
        // The values are the agent's snapshot, read at scrape time; a frame only counts.
        self.counters.add_written(1);
        Flow::Continue
    }

    fn alerts(&mut self, events: &[AlertEvent]) {
        self.exporter.observe_alerts(events);
    }

    fn counters(&self) -> SinkCounters {
        self.counters.clone()
    }
}
