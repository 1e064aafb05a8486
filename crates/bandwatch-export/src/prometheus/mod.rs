//! Prometheus exposition: [`Exporter`] keeps the latest value of every series (running totals
//! for counter deltas) under the exported names of the contract, and encodes it at scrape time
//! as Prometheus text 0.0.4 or OpenMetrics 1.0 ([`Format`]). Scrapes read only this snapshot,
//! never the store. The HTTP side lives in the binary.

mod mapping;
mod openmetrics;
pub mod sink;
mod state;
mod text;
mod view;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bandwatch_core::{AlertEvent, Clock, Frame, SystemClock};
use prometheus_client::registry::Registry;

use state::State;

/// Content type of the Prometheus text format 0.0.4.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Content type of OpenMetrics 1.0.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Which exposition format a scrape gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Prometheus text format 0.0.4, for scrapers that do not ask for OpenMetrics.
    #[default]
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// OpenMetrics when the `Accept` header asks for `application/openmetrics-text` (with a
    /// q-value above 0 and not below that of `text/plain`), else text 0.0.4.
    pub fn negotiate(accept_header: Option<&str>) -> Self {
        let (mut openmetrics, mut text) = (0.0_f64, 0.0_f64);
        for range in accept_header.unwrap_or("").split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .map_or(1.0, |(_, v)| v.trim().parse::<f64>().unwrap_or(0.0));
            if media.eq_ignore_ascii_case("application/openmetrics-text") {
                openmetrics = openmetrics.max(q);
            } else if media.eq_ignore_ascii_case("text/plain") {
                text = text.max(q);
            }
        }
        if openmetrics > 0.0 && openmetrics >= text {
            Self::OpenMetrics
        } else {
            Self::Text
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Text => TEXT_CONTENT_TYPE,
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// Settings of an [`Exporter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExporterConfig {
    /// A frame-fed series not updated for longer than this is dropped (vanished interfaces).
    pub stale_after: Duration,
}

impl Default for ExporterConfig {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(5 * 60),
        }
    }
}

/// The state and what it needs to judge staleness; shared with the OpenMetrics collector.
pub(crate) struct Shared {
    state: RwLock<State>,
    clock: Arc<dyn Clock>,
    stale_after: Duration,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("stale_after", &self.stale_after)
            .finish_non_exhaustive()
    }
}

impl Shared {
    // A panic while holding the lock leaves plain numbers behind, still fit to export.
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Series last updated before this monotonic instant are stale.
    fn cutoff(&self) -> Duration {
        self.clock.monotonic().saturating_sub(self.stale_after)
    }
}

/// The latest snapshot of every exported series; clones share it (Send + Sync).
#[derive(Clone)]
pub struct Exporter {
    shared: Arc<Shared>,
    registry: Arc<Registry>,
}

impl fmt::Debug for Exporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exporter")
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl Default for Exporter {
    fn default() -> Self {
        Self::new(ExporterConfig::default())
    }
}

impl Exporter {
    /// An empty exporter on the system clock.
    pub fn new(config: ExporterConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock::new()))
    }

    /// An empty exporter judging staleness by `clock`'s monotonic time (tests pass a fake).
    pub fn with_clock(config: ExporterConfig, clock: Arc<dyn Clock>) -> Self {
        let shared = Arc::new(Shared {
            state: RwLock::new(State::default()),
            clock,
            stale_after: config.stale_after,
        });
        let registry = Arc::new(openmetrics::registry(Arc::clone(&shared)));
        Self { shared, registry }
    }

    /// Folds one frame in: gauges and rates replace, counter deltas add (a NaN or negative
    /// delta is ignored), the netdev total is skipped; counts the frame for its source and
    /// drops series that went stale.
    pub fn observe(&self, frame: &Frame) {
        let now = self.shared.clock.monotonic();
        let cutoff = self.shared.cutoff();
        let mut state = self.shared.write();
        state.observe(frame, now);
        state.prune(cutoff);
    }

    /// Records one collection of `source` for the self-metrics (its duration, and an error
    /// when `ok` is false).
    pub fn record_collection(&self, source: &str, duration: Duration, ok: bool) {
        self.shared.write().record_collection(source, duration, ok);
    }

    /// Updates the alerts firing now (per rule and severity) and the event counts.
    pub fn observe_alerts(&self, events: &[AlertEvent]) {
        let mut state = self.shared.write();
        for e in events {
            state.alerts.apply(e);
        }
    }

    /// The exposition in `format`, with its content type.
    pub fn encode(&self, format: Format) -> (String, &'static str) {
        let body = match format {
            Format::Text => {
                let state = self.shared.read();
                let families = view::families(&state, self.shared.cutoff());
                let mut out = String::with_capacity(64 * 1024);
                text::encode(&mut out, &families);
                out
            }
            Format::OpenMetrics => openmetrics::encode(&self.registry),
        };
        (body, format.content_type())
    }
}

#[cfg(test)]
mod tests;
