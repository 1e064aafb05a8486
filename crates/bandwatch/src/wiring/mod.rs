//! Wiring `bandwatch run`: builds the sources and sinks from the validated configuration,
//! binds the servers' ports before anything is written, and hands everything to the agent,
//! which runs the pipeline until Ctrl+C, SIGTERM or the configured duration.

pub mod caps;
pub mod channels;
pub mod devices;
pub mod printer;
pub mod sinks;
pub mod sources;
pub mod web;

use std::sync::Arc;

use bandwatch_agent::{Agent, Cancel, ClockWait, RunReport, SignalWatch};
use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{Clock, Sink as _, Snapshot, SystemClock};
use bandwatch_engine::Engine;
use bandwatch_export::prometheus::sink::ExporterSink;
use bandwatch_export::prometheus::Exporter;
use bandwatch_web::server::WebServer;
use bandwatch_web::sink::LiveSink;
use bandwatch_web::Live;

use crate::config::Config;
use crate::error::BadInput;
use printer::PrinterSink;

/// The rule engine over the seed threshold rules and the user's `[[rules]]`.
fn rule_engine(config: &Config) -> anyhow::Result<Engine> {
    Engine::from_specs(&crate::config::effective_rules(config))
        .map_err(|e| BadInput(e.to_string()).into())
}

/// Runs the monitor until Ctrl+C, SIGTERM or the configured duration.
pub fn run(config: &Config) -> anyhow::Result<RunReport> {
    let mut engine = rule_engine(config)?;
    let cooldowns = sinks::cooldowns(engine.rules());
    let sources = sources::all(config)?;
    let devices = devices::source(config)?;
    let metrics_port = web::bind_metrics(config)?;
    let influx = sinks::influx(config)?;
    let web_port = web::bind(config)?;
    let (store, uptime, caps, announced) = sinks::store(config, &mut engine, devices.is_some())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    // One snapshot on the agent's clock: the page and /metrics read the values the agent
    // wrote, with one staleness rule.
    let snapshot = Snapshot::new(Arc::clone(&clock), DEFAULT_STALE_AFTER);
    let mut agent = Agent::new(Arc::clone(&clock), Arc::new(ClockWait::new(clock)), engine)
        .with_snapshot(snapshot.clone())
        .uptime(uptime)
        .duration(config.monitor.duration);
    if let Some(caps) = caps {
        agent = agent.caps(caps);
    }
    let views = web::Views {
        live: Live::default(),
        exporter: Exporter::new(
            snapshot.clone(),
            bandwatch_collect::catalog(),
            agent.source_board(),
            agent.sink_board(),
        ),
        snapshot,
        sources: agent.source_board(),
        sinks: agent.sink_board(),
    };
    // A scrape's cardinality stays bounded however many devices the LAN has.
    views
        .exporter
        .set_device_top(config.devices.export_top as usize);
    let servers = Servers {
        metrics: metrics_port
            .map(|l| web::start_metrics(l, config, &views.exporter))
            .transpose()?,
        web: web_port
            .map(|l| web::start(l, config, &views, store.handle()))
            .transpose()?,
    };
    agent = agent
        .sink(Box::new(PrinterSink::new(config.output)))
        .sink(Box::new(ExporterSink::new(views.exporter.clone())))
        .sink(Box::new(LiveSink::new(views.live.clone())));
    for (source, every) in sources {
        agent = agent.source(source, every);
    }
    if let Some(devices) = devices {
        // The devices source ticks with the interfaces, so their totals line up.
        agent = agent.source(
            Box::new(devices.announcing(announced)),
            config.monitor.interval,
        );
    }
    if let Some(influx) = influx {
        agent = agent.sink(Box::new(influx));
    }
    if let Some(rates) = sinks::mqtt_rates(config) {
        agent = agent.sink(Box::new(rates));
    }
    if let Some(notifier) = sinks::notifier(config, cooldowns) {
        agent = agent.sink(Box::new(notifier));
    }
    // Under systemd (Type=notify), READY=1 waits for the history writer's first commit.
    if let Some(service) = bandwatch_agent::Service::from_env(store.counters()) {
        agent = agent.service(service);
    }
    let agent = agent.sink(Box::new(store));
    let report = run_until_stopped(agent, config);
    servers.stop();
    let report = report?;
    tracing::info!(
        "bandwatch stopped: {} frames, {} failed readings; {}",
        report.frames,
        report.failed_ticks,
        sinks_in_words(&report.sinks)
    );
    Ok(report)
}

/// `store: 30 written, 0 dropped, 0 retried; web: …` — the shutdown line is read by people.
fn sinks_in_words(sinks: &[(String, bandwatch_core::SinkStats)]) -> String {
    sinks
        .iter()
        .map(|(name, s)| {
            format!(
                "{name}: {} written, {} dropped, {} retried",
                s.written, s.dropped, s.retried
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs the agent with Ctrl+C and SIGTERM wired to its cancellation.
fn run_until_stopped(agent: Agent, config: &Config) -> anyhow::Result<RunReport> {
    let cancel = Cancel::new();
    let signals = match SignalWatch::start(&cancel) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for Ctrl+C and SIGTERM; the run stops only at its duration");
            None
        }
    };
    tracing::info!(
        interval_s = config.monitor.interval.as_secs_f64(),
        db = %config.store.path.display(),
        "bandwatch started; press Ctrl+C to stop"
    );
    let releaser = bandwatch_agent::Releaser::start();
    let report = agent.run(&cancel);
    if let Some(r) = releaser {
        r.stop();
    }
    if let Some(s) = signals {
        s.stop();
    }
    Ok(report?)
}

/// The servers a run keeps; stopped (and their threads joined) after the agent.
struct Servers {
    metrics: Option<WebServer>,
    web: Option<WebServer>,
}

impl Servers {
    fn stop(self) {
        for server in [self.web, self.metrics].into_iter().flatten() {
            server.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use bandwatch_core::SinkStats;

    use super::sinks_in_words;

    #[test]
    fn the_shutdown_line_says_sink_counts_in_words() {
        let stats = SinkStats {
            queue_depth: 0,
            written: 30,
            dropped: 1,
            retried: 2,
        };
        assert_eq!(
            sinks_in_words(&[("store".into(), stats)]),
            "store: 30 written, 1 dropped, 2 retried"
        );
    }
}
