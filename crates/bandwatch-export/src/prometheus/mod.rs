//! Prometheus exposition: [`Exporter`] encodes, at scrape time, the shared latest-value
//! [`Snapshot`] under the exported names the metric catalogue declares (running totals of
//! the deltas as counters, the latest values as gauges, in base units), with alert, source
//! and sink self-metrics, plus the old exporter's two names (`compat`), as Prometheus text
//! 0.0.4 or OpenMetrics 1.0 ([`Format`]). Scrapes
//! read only the snapshot and the boards, never the store. The HTTP side lives in the web
//! crate.

mod compat;
mod layout;
mod mapping;
mod openmetrics;
pub mod sink;
mod state;
mod text;
mod top;
mod view;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use bandwatch_core::{AlertEvent, Catalog, SinkBoard, Snapshot, SourceBoard};
use prometheus_client::registry::Registry;

use compat::Compat;
use mapping::Mapping;
use state::Alerts;

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

/// What every scrape reads; shared with the OpenMetrics collector.
pub(crate) struct Shared {
    snapshot: Snapshot,
    mapping: Mapping,
    compat: Compat,
    sources: SourceBoard,
    sinks: SinkBoard,
    alerts: RwLock<Alerts>,
    layout: Mutex<layout::Layout>,
    /// Devices exported one by one; 0 exports every device.
    device_top: AtomicUsize,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("snapshot", &self.snapshot)
            .finish_non_exhaustive()
    }
}

impl Shared {
    // A panic while holding the lock leaves plain counts behind, still fit to export.
    fn alerts(&self) -> RwLockReadGuard<'_, Alerts> {
        self.alerts.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` over every family of one scrape.
    fn with_families<R>(&self, f: impl FnOnce(&[view::FamilyView<'_>]) -> R) -> R {
        let alerts = self.alerts();
        // Scrapes take turns on the layout; a poisoned one is still a valid layout, which the
        // next change rebuilds anyway.
        let mut layout = self.layout.lock().unwrap_or_else(PoisonError::into_inner);
        let inputs = view::Inputs {
            snapshot: &self.snapshot,
            mapping: &self.mapping,
            compat: &self.compat,
            alerts: &alerts,
            sources: &self.sources,
            sinks: &self.sinks,
            device_top: self.device_top.load(Ordering::Relaxed),
        };
        f(&view::families(&inputs, &mut layout))
    }
}

/// The `/metrics` exposition of the shared snapshot; clones share everything (Send + Sync).
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

impl Exporter {
    /// An exporter of `snapshot` under the names `catalog` declares, with the self-metrics
    /// of the `sources` and `sinks` boards.
    pub fn new(
        snapshot: Snapshot,
        catalog: &'static Catalog,
        sources: SourceBoard,
        sinks: SinkBoard,
    ) -> Self {
        let shared = Arc::new(Shared {
            snapshot,
            mapping: Mapping::new(catalog),
            compat: Compat::new(catalog),
            sources,
            sinks,
            alerts: RwLock::default(),
            layout: Mutex::default(),
            device_top: AtomicUsize::new(0),
        });
        let registry = Arc::new(openmetrics::registry(Arc::clone(&shared)));
        Self { shared, registry }
    }

    /// Exports the per-device series (`bandwatch_device_*`) of only the `n` devices with the
    /// highest download + upload rate at each scrape and sums the rest as `device="other"`
    /// (`devices.export_top`); 0 (the default) exports every device. Clones share it.
    pub fn set_device_top(&self, n: usize) {
        self.shared.device_top.store(n, Ordering::Relaxed);
    }

    /// Updates the alerts firing now (per rule and severity) and the event counts.
    pub fn observe_alerts(&self, events: &[AlertEvent]) {
        let mut alerts = self
            .shared
            .alerts
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        for e in events {
            alerts.apply(e);
        }
    }

    /// The exposition in `format`, with its content type.
    pub fn encode(&self, format: Format) -> (String, &'static str) {
        let body = match format {
            Format::Text => {
                let mut out = String::with_capacity(64 * 1024);
                self.shared
                    .with_families(|families| text::encode(&mut out, families));
                out
            }
            Format::OpenMetrics => openmetrics::encode(&self.registry),
        };
        (body, format.content_type())
    }
}

#[cfg(test)]
mod tests;
