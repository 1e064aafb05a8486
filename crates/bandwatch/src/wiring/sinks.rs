//! The sinks of a run, from the validated configuration: the history writer (with the engine
//! restored from it, the probes' uptime and the data caps seeded from it), the InfluxDB writer, the MQTT
//! rates publisher and the notification channels.

use anyhow::Context as _;
use bandwatch_agent::{restore_open_alerts, Caps, Uptime};
use bandwatch_collect::devices::{announced, DeviceKey};
use bandwatch_core::{Clock as _, SystemClock};
use bandwatch_engine::Engine;
use bandwatch_export::influx::{InfluxConfig, InfluxSink, InfluxWriter};
use bandwatch_notify::dispatch::RetryPolicy;
use bandwatch_notify::mqtt_channel::{MqttRates, DEFAULT_RATES_QUEUE};
use bandwatch_notify::runtime::{Notifier, NotifierConfig};
use bandwatch_notify::Cooldowns;
use bandwatch_store::{StoreSink, StoreWriter, WriterConfig};

use super::channels::{build_channel, mqtt_settings, route};
use crate::config::notify::ChannelKind;
use crate::config::Config;
use crate::error::BadInput;

/// Opens the history, hands the engine the alerts that were open at the last shutdown (so
/// they go on firing instead of being announced again), seeds the probes' uptime and the caps, reads which
/// LAN devices were already announced (when `devices` runs) and starts the writer thread; an
/// unusable path is the user's to fix (exit 2).
pub fn store(
    config: &Config,
    engine: &mut Engine,
    devices: bool,
) -> anyhow::Result<(StoreSink, Uptime, Option<Caps>, Vec<DeviceKey>)> {
    let store = crate::history::open(config)?;
    restore_open_alerts(store.as_ref(), engine)
        .context("reading the alerts open at the last shutdown")?;
    let announced = if devices {
        announced(
            &store
                .series()
                .context("reading the devices already announced")?,
        )
    } else {
        Vec::new()
    };
    let targets: Vec<String> = config
        .probe
        .targets
        .iter()
        .map(|t| t.target.name.clone())
        .collect();
    let uptime = Uptime::seed(store.as_ref(), &targets, SystemClock::new().wall());
    let caps = super::caps::seed(config, store.as_ref(), SystemClock::new().wall());
    let sink = StoreWriter::start(
        store,
        WriterConfig {
            flush_every: config.store.flush_interval,
            ..WriterConfig::default()
        },
    )
    .context("starting the store writer thread")?;
    Ok((sink, uptime, caps, announced))
}

/// The InfluxDB writer when it is on.
pub fn influx(config: &Config) -> anyhow::Result<Option<InfluxSink>> {
    let i = &config.influxdb;
    if !i.enabled {
        return Ok(None);
    }
    let Some(api) = i.api.clone() else {
        return Err(BadInput(
            "key 'influxdb.token': InfluxDB is enabled but neither a token and org (v2) nor a database (v1) is set".into(),
        )
        .into());
    };
    let mut cfg = InfluxConfig::new(
        i.url.clone(),
        api,
        i.buffer_dir.clone(),
        bandwatch_collect::catalog(),
    );
    cfg.buffer_max_bytes = i.buffer_max_bytes;
    let sink = InfluxWriter::start(cfg)
        .map_err(|e| BadInput(format!("key 'influxdb': {e}")))
        .context("starting the InfluxDB writer")?;
    tracing::info!(url = %i.url, "writing samples to InfluxDB");
    Ok(Some(sink))
}

/// Current rates go to the first MQTT channel's broker, under its prefix.
pub fn mqtt_rates(config: &Config) -> Option<MqttRates> {
    let spec = config
        .notify
        .channels
        .iter()
        .map(|c| &c.value)
        .find(|c| c.kind == ChannelKind::Mqtt)?;
    let mut settings = match mqtt_settings(spec) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(channel = %spec.name, "cannot publish rates over MQTT: {e}");
            return None;
        }
    };
    settings.client_id.push_str("-rates");
    match MqttRates::start(settings, DEFAULT_RATES_QUEUE, bandwatch_collect::catalog()) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::error!(channel = %spec.name, error = %e, "cannot start the MQTT rates publisher");
            None
        }
    }
}

/// Each rule's cooldown, for the notifier's throttle (the engine records every alert; the
/// cooldown only limits what is sent).
pub fn cooldowns(rules: &[bandwatch_engine::Rule]) -> Cooldowns {
    let default = Cooldowns::uniform(bandwatch_engine::rule::DEFAULT_COOLDOWN);
    rules.iter().fold(default, |c, r| {
        let ms = u64::try_from(r.timing.cooldown_ms).unwrap_or(0);
        c.rule(&r.name, std::time::Duration::from_millis(ms))
    })
}

/// One delivery thread per configured channel, holding back alerts within their rule's
/// cooldown; `None` when no channel is configured.
pub fn notifier(config: &Config, cooldowns: Cooldowns) -> Option<Notifier> {
    let notify = &config.notify;
    if notify.channels.is_empty() {
        return None;
    }
    let mut channels = Vec::new();
    for spec in notify.channels.iter().map(|c| &c.value) {
        match build_channel(spec, notify) {
            Ok(channel) => channels.push((channel, route(spec, notify))),
            Err(e) => tracing::error!(channel = %spec.name, "cannot set up the channel: {e}"),
        }
    }
    let mut runtime = NotifierConfig::new(&config.store.path);
    runtime.group_window = notify.group_window;
    runtime.group_wait = notify.group_wait;
    runtime.cooldowns = cooldowns;
    runtime.retry = RetryPolicy {
        base: notify.retry_base,
        max: notify.retry_max,
        ..RetryPolicy::default()
    };
    let notifier = Notifier::start(channels, &runtime);
    if config.reports.is_empty() {
        return Some(notifier);
    }
    let summaries = crate::summary::Scheduled::new(config, super::channels::host_name());
    Some(notifier.with_summaries(Box::new(summaries)))
}
