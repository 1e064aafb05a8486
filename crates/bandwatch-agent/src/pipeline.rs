//! The fan-out: each frame is enriched (uptime), folded into the snapshot, shown to the rule
//! engine, and handed to every sink; the alert transitions it caused follow it to every sink.

use bandwatch_core::{AlertEvent, EventKind, Flow, Frame, Sink, Snapshot};
use bandwatch_engine::Engine;

use crate::cancel::Cancel;
use crate::uptime::Uptime;

pub(crate) struct Pipeline {
    pub uptime: Option<Uptime>,
    pub snapshot: Snapshot,
    pub engine: Engine,
    pub sinks: Vec<Box<dyn Sink>>,
    pub cancel: Cancel,
    pub frames: u64,
}

impl Pipeline {
    pub fn deliver(&mut self, mut frame: Frame) {
        self.frames += 1;
        if let Some(u) = &mut self.uptime {
            u.observe(&mut frame);
        }
        self.snapshot.observe(&frame);
        let events = self.engine.observe(&frame);
        for e in &events {
            log_event(e);
        }
        for sink in &mut self.sinks {
            if sink.frame(&frame) == Flow::Stop {
                tracing::info!(sink = sink.name(), "stopping: a sink cannot go on");
                self.cancel.cancel();
            }
        }
        if !events.is_empty() {
            for sink in &mut self.sinks {
                sink.alerts(&events);
            }
        }
    }

    /// Flushes and stops every sink, in the order they were added.
    pub fn close(&mut self) {
        for sink in &mut self.sinks {
            sink.close();
        }
    }
}

/// Alert transitions in the log: opening and rising are warnings, the rest information.
fn log_event(e: &AlertEvent) {
    match e.kind {
        EventKind::Fired | EventKind::Escalated | EventKind::Renotified => tracing::warn!(
            alert = %e.id, rule = %e.rule, severity = %e.severity, kind = %e.kind,
            "alert {}: {}", e.kind, e.message
        ),
        EventKind::Resolved => {
            tracing::info!(alert = %e.id, rule = %e.rule, "alert resolved: {}", e.message);
        }
        EventKind::Pending => {
            tracing::debug!(alert = %e.id, rule = %e.rule, "alert pending: {}", e.message);
        }
    }
}
