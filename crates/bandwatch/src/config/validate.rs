//! Turning the layered raw values into the validated [`Config`]: each key by the check its
//! declaration names, then the checks that span keys (probe timing, the InfluxDB API).

use std::net::SocketAddr;

use super::error::ConfigError;
use super::key::{Key, Raw};
use super::keys;
use super::layer::RawConfig;
use super::origin::Setting;
use super::{export, probe, web};
use super::{Config, LogConfig, MonitorConfig, Paths, StoreConfig, SystemSettings, Thresholds};

/// The merged layers, taken key by key.
struct Layers(RawConfig);

impl Layers {
    /// The checked value of `key` with where it was set, if some layer set it.
    fn setting<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<Option<Setting<U>>, ConfigError> {
        let Some(raw) = self.0.take(key) else {
            return Ok(None);
        };
        key.validate(&raw)
            .map(|v| Some(Setting::new(v, raw.origin)))
    }

    /// The checked value of an optional key.
    fn opt<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<Option<U>, ConfigError> {
        Ok(self.setting(key)?.map(|s| s.value))
    }

    /// The checked value of a key with a default, with where it was set.
    fn required<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<Setting<U>, ConfigError> {
        match self.setting(key)? {
            Some(s) => Ok(s),
            None => unreachable!("the defaults layer sets {}", key.def.name),
        }
    }

    /// The checked value of a key with a default.
    fn get<T: Raw, U>(&mut self, key: &Key<T, U>) -> Result<U, ConfigError> {
        Ok(self.required(key)?.value)
    }
}

/// Validates every key; the first problem found is returned.
pub fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
    let mut l = Layers(raw);
    let thresholds = thresholds(&mut l)?;
    let (system, probe) = health(&mut l)?;
    let (prometheus, influxdb) = exports(&mut l)?;
    let web = web::WebSettings {
        enabled: l.get(&keys::WEB_ENABLED)?,
        listen: l.get(&keys::WEB_LISTEN)?,
        token: l.opt(&keys::WEB_TOKEN)?,
        auto_refresh: l.get(&keys::WEB_AUTO_REFRESH)?,
    };
    let monitor = MonitorConfig {
        interval: l.get(&keys::INTERVAL)?,
        duration: l.opt(&keys::DURATION)?,
        interfaces: l.get(&keys::INTERFACES)?,
        exclude: l.get(&keys::EXCLUDE)?,
        loopback_in_total: l.get(&keys::LOOPBACK_IN_TOTAL)?,
    };
    let output = l.get(&keys::OUTPUT)?;
    let store = StoreConfig {
        url: l.opt(&keys::STORE_URL)?,
        optional: l.get(&keys::STORE_OPTIONAL)?,
        path: l.get(&keys::DB)?,
        raw_retention: l.get(&keys::RAW_RETENTION)?,
        minute_retention: l.get(&keys::MINUTE_RETENTION)?,
        hour_retention: l.get(&keys::HOUR_RETENTION)?,
        flush_interval: l.get(&keys::FLUSH_INTERVAL)?,
    };
    let log = LogConfig {
        level: l.get(&keys::LOG_LEVEL)?,
        file: l.opt(&keys::LOG_FILE)?,
    };
    let paths = Paths {
        proc_root: l.get(&keys::PROC_ROOT)?,
        sys_root: l.get(&keys::SYS_ROOT)?,
    };
    let rules = super::rules::validate(l.0.rules.take())?;
    let notify = super::notify::validate(l.0.notify.take(), l.0.seed_email.take())?;
    debug_assert!(
        l.0.values.is_empty(),
        "not validated: {:?}",
        l.0.values.keys()
    );
    Ok(Config {
        monitor,
        thresholds,
        output,
        store,
        log,
        paths,
        rules,
        notify,
        system,
        probe,
        prometheus,
        influxdb,
        web,
    })
}

/// `[thresholds]`.
fn thresholds(l: &mut Layers) -> Result<Thresholds, ConfigError> {
    Ok(Thresholds {
        cooldown: l.get(&keys::COOLDOWN)?,
        upload_bps: l.get(&keys::UPLOAD)?,
        download_bps: l.get(&keys::DOWNLOAD)?,
        cpu_percent: l.get(&keys::CPU)?,
        memory_percent: l.get(&keys::MEMORY)?,
        disk_percent: l.get(&keys::DISK)?,
    })
}

/// `[system]` and `[probe]`.
fn health(l: &mut Layers) -> Result<(SystemSettings, probe::ProbeSettings), ConfigError> {
    let system = SystemSettings {
        enabled: l.get(&keys::SYSTEM_ENABLED)?,
        interval: l.get(&keys::SYSTEM_INTERVAL)?,
    };
    let targets = l.get(&keys::PROBE_TARGETS)?;
    let interval = l.get(&keys::PROBE_INTERVAL)?;
    let timeout = l.required(&keys::PROBE_TIMEOUT)?;
    let defaults = probe::ProbeSettings {
        targets: Vec::new(),
        interval,
        timeout: timeout.value,
        count: l.get(&keys::PROBE_COUNT)?,
        down_after: l.get(&keys::PROBE_DOWN_AFTER)?,
        flap_changes: l.get(&keys::PROBE_FLAP_CHANGES)?,
        flap_window: l.get(&keys::PROBE_FLAP_WINDOW)?,
        rtt_limit: l.opt(&keys::PROBE_RTT_LIMIT)?,
        loss_limit: l.opt(&keys::PROBE_LOSS_LIMIT)?,
    };
    let probe = probe::with_targets(defaults, targets, &timeout.origin)?;
    Ok((system, probe))
}

/// `[prometheus]` and `[influxdb]`.
fn exports(
    l: &mut Layers,
) -> Result<(export::PrometheusSettings, export::InfluxSettings), ConfigError> {
    let prometheus = export::PrometheusSettings {
        enabled: l.get(&keys::PROMETHEUS)?,
        addr: {
            let port = l.get(&keys::PROMETHEUS_PORT)?;
            SocketAddr::new(l.get(&keys::PROMETHEUS_BIND)?, port)
        },
    };
    let influxdb = export::influx(export::InfluxInputs {
        enabled: l.required(&keys::INFLUXDB)?,
        url: l.get(&keys::INFLUXDB_URL)?,
        token: l.setting(&keys::INFLUXDB_TOKEN)?,
        org: l.setting(&keys::INFLUXDB_ORG)?,
        bucket: l.get(&keys::INFLUXDB_BUCKET)?,
        database: l.opt(&keys::INFLUXDB_DATABASE)?,
        username: l.opt(&keys::INFLUXDB_USERNAME)?,
        password: l.opt(&keys::INFLUXDB_PASSWORD)?,
        buffer_dir: l.get(&keys::INFLUXDB_BUFFER_DIR)?,
        buffer_max_bytes: l.get(&keys::INFLUXDB_BUFFER_MB)?,
    })?;
    Ok((prometheus, influxdb))
}
