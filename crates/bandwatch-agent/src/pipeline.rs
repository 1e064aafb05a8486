//! The fan-out: each frame is enriched (uptime, data caps), folded into the snapshot, shown to the rule
//! engine, and handed to every sink; the alert transitions it caused follow it to every sink.

use bandwatch_core::{
    snapshot::DEFAULT_STALE_AFTER, AlertEvent, EventKind, Flow, Frame, Sink, Snapshot, Timestamp,
};
use bandwatch_engine::Engine;

use crate::cancel::Cancel;
use crate::caps::Caps;
use crate::uptime::Uptime;

pub(crate) struct Pipeline {
    pub uptime: Option<Uptime>,
    pub caps: Option<Caps>,
    pub snapshot: Snapshot,
    pub engine: Engine,
    pub sinks: Vec<Box<dyn Sink>>,
    pub cancel: Cancel,
    pub frames: u64,
    /// When the engine last forgot the series that went quiet.
    pub pruned_at: Option<Timestamp>,
}

/// How often the engine forgets series that went quiet (vanished interfaces, devices that
/// left), so that its memory follows the series alive now, not every series ever seen.
const PRUNE_EVERY_MS: i64 = 60_000;

impl Pipeline {
    pub fn deliver(&mut self, mut frame: Frame) {
        self.frames += 1;
        if let Some(u) = &mut self.uptime {
            u.observe(&mut frame);
        }
        if let Some(c) = &mut self.caps {
            c.observe(&mut frame);
        }
        self.snapshot.observe(&frame);
        let events = self.engine.observe(&frame);
        self.prune(frame.ts);
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

    /// Once a minute, forgets the engine's series quiet for longer than the snapshot keeps
    /// them (those with an alert open stay).
    fn prune(&mut self, now: Timestamp) {
        match self.pruned_at {
            None => self.pruned_at = Some(now),
            Some(at) if now.millis().saturating_sub(at.millis()) >= PRUNE_EVERY_MS => {
                let stale = i64::try_from(DEFAULT_STALE_AFTER.as_millis()).unwrap_or(i64::MAX);
                self.engine
                    .forget_idle(Timestamp(now.millis().saturating_sub(stale)));
                self.pruned_at = Some(now);
            }
            Some(_) => {}
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use bandwatch_core::{FakeClock, SampleKind, Seconds, SeriesKey};

    use super::*;

    fn frame(at_secs: i64, iface: &str) -> Frame {
        let mut f = Frame::new("netdev", Timestamp::from_secs(at_secs), Seconds(1.0));
        let key = SeriesKey::with_label("net_rx_bytes", "iface", iface);
        f.push(Arc::new(key), 1.0, SampleKind::Delta);
        f
    }

    #[test]
    fn the_engine_forgets_an_interface_that_went_away() {
        let clock = Arc::new(FakeClock::new(Timestamp::from_secs(0)));
        let mut p = Pipeline {
            uptime: None,
            caps: None,
            snapshot: Snapshot::new(clock, Duration::from_secs(300)),
            engine: Engine::new(Vec::new()).expect("engine"),
            sinks: Vec::new(),
            cancel: Cancel::new(),
            frames: 0,
            pruned_at: None,
        };
        p.deliver(frame(0, "veth-gone"));
        for t in 1..=400 {
            p.deliver(frame(t, "eth0"));
        }
        assert_eq!(p.engine.series_count(), 1, "only eth0 is left");
    }
}
