//! The agent: schedules the sources, and fans each frame out to the sinks (stdout, the
//! threshold watch, the store) without ever letting a sink stop the sampling loop.

mod exports;
mod printer;
pub mod sources;
mod uptime;
mod web;

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use bandwatch_collect::netdev::{NetdevConfig, NetdevSource};
use bandwatch_collect::{FileSystem, InterfaceFilter, KeptOpenFs, RealFs, Source};
use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{
    AlertEvent, Clock, EventKind, Frame, SinkBoard, Snapshot, SourceBoard, SystemClock,
};
use bandwatch_engine::Engine;
use bandwatch_export::prometheus::Exporter;
use bandwatch_store::{StoreHandle, StoreWriter, WriterConfig};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::error::BadInput;
use crate::output::TickSummary;
pub use printer::Printer;

/// What a finished run did, for the shutdown log line.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Ticks that produced a frame.
    pub frames: u64,
    /// Ticks whose collection failed.
    pub failed_ticks: u64,
}

/// The interface source as the agent runs it.
type Netdev = NetdevSource<Box<dyn FileSystem>, SystemClock>;

/// The netdev source, from the validated configuration.
pub(crate) fn netdev_source(config: &Config) -> anyhow::Result<Netdev> {
    let filter = InterfaceFilter::new(&config.monitor.interfaces, &config.monitor.exclude)
        .map_err(|e| BadInput(e.to_string()))?;
    let netdev = NetdevConfig {
        proc_root: config.paths.proc_root.clone(),
        sys_root: config.paths.sys_root.clone(),
        filter,
        loopback_in_total: config.monitor.loopback_in_total,
        ..NetdevConfig::default()
    };
    Ok(NetdevSource::new(
        netdev,
        file_system(config),
        SystemClock::new(),
    ))
}

/// The rule engine over the seed threshold rules and the user's `[[rules]]`.
fn rule_engine(config: &Config) -> anyhow::Result<Engine> {
    Engine::from_specs(&crate::config::effective_rules(config))
        .map_err(|e| BadInput(e.to_string()).into())
}

/// Opens the store, hands the engine the alerts that were open at the last shutdown (so they
/// go on firing instead of being announced again) and starts the writer thread; an unusable
/// path is the user's to fix (exit 2).
fn start_store(
    config: &Config,
    engine: &mut Engine,
) -> anyhow::Result<(StoreHandle, JoinHandle<()>, uptime::Uptime)> {
    // A database store drives its own runtime with block_on, which must not happen on
    // this async task's thread: open and read it on a plain thread.
    let (store, open, uptime) = std::thread::scope(|scope| {
        scope
            .spawn(|| read_store(config))
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("opening the store panicked")))
    })?;
    engine.restore(&open);
    let (handle, join) = StoreWriter::spawn(
        store,
        WriterConfig {
            flush_every: config.store.flush_interval,
            ..WriterConfig::default()
        },
    )
    .context("starting the store writer thread")?;
    Ok((handle, join, uptime))
}

/// Opens the history, reads the alerts open at the last shutdown and the probes' uptime
/// history.
fn read_store(
    config: &Config,
) -> anyhow::Result<(
    Box<dyn bandwatch_store::Store>,
    Vec<AlertEvent>,
    uptime::Uptime,
)> {
    let store = crate::history::open(config)?;
    let open = store
        .open_alerts()
        .context("reading the alerts open at the last shutdown")?;
    if !open.is_empty() {
        tracing::info!(
            alerts = open.len(),
            "alerts still open from the last run carry on"
        );
    }
    let targets: Vec<String> = config
        .probe
        .targets
        .iter()
        .map(|t| t.target.name.clone())
        .collect();
    let uptime = uptime::Uptime::seed(store.as_ref(), &targets, SystemClock::new().wall());
    Ok((store, open, uptime))
}

/// The real procfs and sysfs are read through kept-open files (cheaper per tick); any other
/// root (a fixture tree, a copied snapshot) may hold regular files replaced between reads,
/// so those are opened afresh each time.
pub(crate) fn file_system(config: &Config) -> Box<dyn FileSystem> {
    let real =
        config.paths.proc_root == Path::new("/proc") && config.paths.sys_root == Path::new("/sys");
    if real {
        Box::new(KeptOpenFs::default())
    } else {
        Box::new(RealFs)
    }
}

/// Runs the monitor until `shutdown` fires or the configured duration has passed.
pub async fn run(config: &Config, shutdown: CancellationToken) -> anyhow::Result<RunReport> {
    let mut source = netdev_source(config)?;
    let mut engine = rule_engine(config)?;
    // The one latest-value snapshot and the self-metric boards, read by /metrics and the page.
    let snapshot = Snapshot::new(Arc::new(SystemClock::new()), DEFAULT_STALE_AFTER);
    let (source_board, sink_board) = (SourceBoard::default(), SinkBoard::default());
    let exporter = Exporter::new(
        snapshot.clone(),
        bandwatch_collect::catalog(),
        source_board.clone(),
        sink_board.clone(),
    );
    let exports = exports::Exports::start(config, &shutdown, exporter.clone()).await?;
    let web_listener = web::bind(config).await?;
    let (store, writer_thread, uptime) = start_store(config, &mut engine)?;
    let views = web::Views {
        live: bandwatch_web::Live::default(),
        snapshot,
        sources: source_board,
        sinks: sink_board,
        exporter,
    };
    let web_stop = shutdown.child_token();
    if let Some(listener) = web_listener {
        if let Err(e) = web::start(listener, config, &views, &store, &web_stop) {
            store.close();
            return Err(e);
        }
    }
    let notifier = crate::notify::Notifier::start(&config.notify, &config.store.path);
    let clock = SystemClock::new();
    let (tx, mut slow_frames) = tokio::sync::mpsc::channel(sources::QUEUE);
    let stop = sources::Stop::default();
    let _threads = sources::start(config, &tx, &stop, &views.sources)?;
    drop(tx);
    let mut sinks = Sinks {
        printer: Printer::new(config.output),
        engine,
        store,
        notifier,
        uptime,
        exports,
        views,
    };
    tracing::info!(
        interval_s = config.monitor.interval.as_secs_f64(),
        db = %config.store.path.display(),
        "bandwatch started; press Ctrl+C to stop"
    );
    let mut ticker = tokio::time::interval(config.monitor.interval);
    // A late tick is measured as late (elapsed comes from the monotonic clock); we do not
    // burst to catch up.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let started = clock.monotonic();
    let mut report = RunReport::default();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticker.tick() => tick(&mut source, &mut sinks, &mut report, &shutdown),
            Some(frame) = slow_frames.recv() => sinks.deliver(frame, &shutdown),
        }
        if config.monitor.duration.is_some_and(|d| {
            clock.monotonic().saturating_sub(started) + Duration::from_millis(1) >= d
        }) {
            tracing::info!("configured duration reached");
            break;
        }
    }
    // Probe threads may be mid-round; they are told to stop and not waited for.
    stop.stop();
    web_stop.cancel();
    tracing::info!("shutting down: flushing the store");
    if let Some(n) = sinks.notifier.take() {
        n.close();
    }
    sinks.exports.close();
    let summary = sinks.store.close();
    if writer_thread.join().is_err() {
        tracing::error!("the store writer thread panicked; some samples may not have been written");
    }
    tracing::info!(frames = report.frames, failed_ticks = report.failed_ticks, store = ?summary, "bandwatch stopped");
    Ok(report)
}

struct Sinks {
    printer: Printer,
    engine: Engine,
    store: StoreHandle,
    notifier: Option<crate::notify::Notifier>,
    uptime: uptime::Uptime,
    exports: exports::Exports,
    views: web::Views,
}

impl Sinks {
    fn deliver(&mut self, mut frame: Frame, shutdown: &CancellationToken) {
        self.uptime.observe(&mut frame);
        if frame.source == bandwatch_collect::netdev::SOURCE_NAME {
            let summary = TickSummary::from_frame(&frame);
            if let Err(e) = self.printer.print(&summary) {
                // stdout closed (e.g. piped into `head`): stop cleanly rather than spin.
                tracing::info!(error = %e, "stdout closed; stopping");
                shutdown.cancel();
            }
        }
        let events = self.engine.observe(&frame);
        self.views.snapshot.observe(&frame);
        self.exports.frame(&frame);
        self.views.live.observe(&frame);
        if let Some(n) = &mut self.notifier {
            n.publish_frame(&frame);
        }
        self.store.send(frame);
        if !events.is_empty() {
            for e in &events {
                log_event(e);
            }
            if let Some(n) = &self.notifier {
                n.submit(&events);
            }
            self.exports.alerts(&events);
            self.views.live.alerts(&events);
            self.store.send_alerts(events);
        }
    }
}

fn tick(
    source: &mut impl Source,
    sinks: &mut Sinks,
    report: &mut RunReport,
    shutdown: &CancellationToken,
) {
    let started = std::time::Instant::now();
    let collected = source.collect();
    let frame_at = match &collected {
        Ok(Some(f)) => Some(f.ts),
        _ => None,
    };
    sinks.views.sources.record(
        source.name(),
        started.elapsed(),
        collected.is_ok(),
        frame_at,
    );
    match collected {
        Ok(Some(frame)) => {
            report.frames += 1;
            sinks.deliver(frame, shutdown);
        }
        Ok(None) => {}
        Err(e) => {
            report.failed_ticks += 1;
            tracing::warn!(source = source.name(), error = %e, "collection failed; will try again next tick");
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
