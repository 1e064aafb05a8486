//! Turning layered raw values into the validated [`Config`], one rule per key.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::keys::{self, Key};
use super::layer::RawConfig;
use super::origin::{Origin, Setting};
use super::{export, probe, web};
use super::{
    Config, LogConfig, MonitorConfig, OutputMode, Paths, StoreConfig, SystemSettings, Thresholds,
};

/// Shortest sampling interval, in seconds.
pub const MIN_INTERVAL: f64 = 0.1;
/// Longest sampling interval, in seconds.
pub const MAX_INTERVAL: f64 = 3600.0;

/// The built-in defaults as a layer.
pub fn defaults() -> RawConfig {
    let d = |v| Some(Setting::new(v, Origin::Default));
    RawConfig {
        interval: d(1.0),
        duration: None,
        interfaces: Some(Setting::new(Vec::new(), Origin::Default)),
        exclude: Some(Setting::new(Vec::new(), Origin::Default)),
        loopback_in_total: Some(Setting::new(false, Origin::Default)),
        upload_mbps: d(50.0),
        download_mbps: d(100.0),
        cooldown: Some(Setting::new("15m".into(), Origin::Default)),
        cpu_percent: d(80.0),
        memory_percent: d(85.0),
        disk_percent: d(90.0),
        output: Some(Setting::new("console".into(), Origin::Default)),
        db_path: Some(Setting::new(
            PathBuf::from("./data/bandwatch.db"),
            Origin::Default,
        )),
        raw_retention: Some(Setting::new("48h".into(), Origin::Default)),
        minute_retention: Some(Setting::new("30d".into(), Origin::Default)),
        hour_retention: Some(Setting::new("2years".into(), Origin::Default)),
        flush_interval: Some(Setting::new("1s".into(), Origin::Default)),
        log_level: Some(Setting::new("info".into(), Origin::Default)),
        log_file: None,
        proc_root: Some(Setting::new(PathBuf::from("/proc"), Origin::Default)),
        sys_root: Some(Setting::new(PathBuf::from("/sys"), Origin::Default)),
        system_enabled: Some(Setting::new(true, Origin::Default)),
        system_interval: Some(Setting::new("60s".into(), Origin::Default)),
        probe_targets: Some(Setting::new(Vec::new(), Origin::Default)),
        probe_interval: Some(Setting::new("30s".into(), Origin::Default)),
        probe_timeout: Some(Setting::new("5s".into(), Origin::Default)),
        probe_count: Some(Setting::new(5, Origin::Default)),
        probe_down_after: Some(Setting::new(3, Origin::Default)),
        probe_flap_changes: Some(Setting::new(4, Origin::Default)),
        probe_flap_window: Some(Setting::new("10m".into(), Origin::Default)),
        probe_rtt_limit: None,
        probe_loss_limit: None,
        store_url: None,
        store_optional: Some(Setting::new(false, Origin::Default)),
        prometheus: Some(Setting::new(false, Origin::Default)),
        prometheus_port: Some(Setting::new(8000, Origin::Default)),
        prometheus_bind: Some(Setting::new("0.0.0.0".into(), Origin::Default)),
        web_enabled: Some(Setting::new(true, Origin::Default)),
        web_listen: Some(Setting::new(web::DEFAULT_LISTEN.into(), Origin::Default)),
        web_auto_refresh: Some(Setting::new("2s".into(), Origin::Default)),
        web_token: None,
        influxdb: Some(Setting::new(false, Origin::Default)),
        influxdb_url: Some(Setting::new(
            "http://localhost:8086".into(),
            Origin::Default,
        )),
        influxdb_token: None,
        influxdb_org: None,
        influxdb_bucket: Some(Setting::new("network_metrics".into(), Origin::Default)),
        influxdb_database: None,
        influxdb_username: None,
        influxdb_password: None,
        influxdb_buffer_dir: Some(Setting::new(
            PathBuf::from("./data/influx-buffer"),
            Origin::Default,
        )),
        influxdb_buffer_mb: d(100.0),
        rules: None,
        notify: None,
        seed_email: None,
    }
}

/// Origins of the values, keyed by dotted file key.
type Origins = BTreeMap<&'static str, Origin>;

/// Validates every key; the first problem found is returned.
pub fn validate(mut raw: RawConfig) -> Result<(Config, Origins), ConfigError> {
    let mut origins = Origins::new();
    let thresholds = thresholds(&mut raw, &mut origins)?;
    let (system, probe) = health(&mut raw, &mut origins)?;
    let (prometheus, influxdb) = exports(&mut raw, &mut origins)?;
    let web = web_settings(&mut raw, &mut origins)?;
    let store_url = raw
        .store_url
        .take()
        .map(|s| export::store_url(&note(s, keys::STORE_URL, &mut origins)))
        .transpose()?;
    let store_optional = required(
        raw.store_optional.take(),
        keys::STORE_OPTIONAL,
        &mut origins,
    )
    .value;
    let monitor = MonitorConfig {
        interval: interval(&required(raw.interval, keys::INTERVAL, &mut origins))?,
        duration: raw
            .duration
            .map(|s| duration_secs(&note(s, keys::DURATION, &mut origins)))
            .transpose()?,
        interfaces: globs(
            required(raw.interfaces, keys::INTERFACES, &mut origins),
            keys::INTERFACES,
        )?,
        exclude: globs(
            required(raw.exclude, keys::EXCLUDE, &mut origins),
            keys::EXCLUDE,
        )?,
        loopback_in_total: required(raw.loopback_in_total, keys::LOOPBACK_IN_TOTAL, &mut origins)
            .value,
    };
    let output = output_mode(&required(raw.output, keys::OUTPUT, &mut origins))?;
    let store = StoreConfig {
        path: db_path(required(raw.db_path, keys::DB, &mut origins))?,
        raw_retention: span(
            &required(raw.raw_retention, keys::RAW_RETENTION, &mut origins),
            keys::RAW_RETENTION,
            60,
        )?,
        minute_retention: span(
            &required(raw.minute_retention, keys::MINUTE_RETENTION, &mut origins),
            keys::MINUTE_RETENTION,
            3600,
        )?,
        hour_retention: span(
            &required(raw.hour_retention, keys::HOUR_RETENTION, &mut origins),
            keys::HOUR_RETENTION,
            86_400,
        )?,
        flush_interval: flush(&required(
            raw.flush_interval,
            keys::FLUSH_INTERVAL,
            &mut origins,
        ))?,
        url: store_url,
        optional: store_optional,
    };
    let log = LogConfig {
        level: log_level(&required(raw.log_level, keys::LOG_LEVEL, &mut origins))?,
        file: raw
            .log_file
            .map(|s| note(s, keys::LOG_FILE, &mut origins).value),
    };
    let paths = Paths {
        proc_root: root(
            required(raw.proc_root, keys::PROC_ROOT, &mut origins),
            keys::PROC_ROOT,
            "net/dev",
            "/proc",
        )?,
        sys_root: root(
            required(raw.sys_root, keys::SYS_ROOT, &mut origins),
            keys::SYS_ROOT,
            "class/net",
            "/sys",
        )?,
    };
    let rules = super::rules::validate(raw.rules)?;
    let notify = super::notify::validate(raw.notify, raw.seed_email)?;
    Ok((
        Config {
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
        },
        origins,
    ))
}

/// `[thresholds]`.
fn thresholds(raw: &mut RawConfig, origins: &mut Origins) -> Result<Thresholds, ConfigError> {
    let cooldown = span(
        &required(raw.cooldown.take(), keys::COOLDOWN, origins),
        keys::COOLDOWN,
        0,
    )?;
    let thresholds = Thresholds {
        upload_bps: mbps(
            &required(raw.upload_mbps.take(), keys::UPLOAD, origins),
            keys::UPLOAD,
        )? * 1e6,
        cooldown,
        download_bps: mbps(
            &required(raw.download_mbps.take(), keys::DOWNLOAD, origins),
            keys::DOWNLOAD,
        )? * 1e6,
        cpu_percent: limit_percent(
            &required(raw.cpu_percent.take(), keys::CPU, origins),
            keys::CPU,
        )?,
        memory_percent: limit_percent(
            &required(raw.memory_percent.take(), keys::MEMORY, origins),
            keys::MEMORY,
        )?,
        disk_percent: limit_percent(
            &required(raw.disk_percent.take(), keys::DISK, origins),
            keys::DISK,
        )?,
    };
    Ok(thresholds)
}

/// `[system]` and `[probe]`.
fn health(
    raw: &mut RawConfig,
    origins: &mut Origins,
) -> Result<(SystemSettings, probe::ProbeSettings), ConfigError> {
    let system = SystemSettings {
        enabled: required(raw.system_enabled.take(), keys::SYSTEM_ENABLED, origins).value,
        interval: probe::duration(
            &required(raw.system_interval.take(), keys::SYSTEM_INTERVAL, origins),
            keys::SYSTEM_INTERVAL.file,
            "60s",
        )?,
    };
    let probe = probe::validate(probe::ProbeInputs {
        targets: required(raw.probe_targets.take(), keys::PROBE_TARGETS, origins),
        interval: required(raw.probe_interval.take(), keys::PROBE_INTERVAL, origins),
        timeout: required(raw.probe_timeout.take(), keys::PROBE_TIMEOUT, origins),
        count: required(raw.probe_count.take(), keys::PROBE_COUNT, origins),
        down_after: required(raw.probe_down_after.take(), keys::PROBE_DOWN_AFTER, origins),
        flap_changes: required(
            raw.probe_flap_changes.take(),
            keys::PROBE_FLAP_CHANGES,
            origins,
        ),
        flap_window: required(
            raw.probe_flap_window.take(),
            keys::PROBE_FLAP_WINDOW,
            origins,
        ),
        rtt_limit: raw
            .probe_rtt_limit
            .take()
            .map(|s| note(s, keys::PROBE_RTT_LIMIT, origins)),
        loss_limit: raw
            .probe_loss_limit
            .take()
            .map(|s| note(s, keys::PROBE_LOSS_LIMIT, origins)),
    })?;
    Ok((system, probe))
}

/// `[web]`.
fn web_settings(
    raw: &mut RawConfig,
    origins: &mut Origins,
) -> Result<web::WebSettings, ConfigError> {
    web::web(web::WebInputs {
        enabled: required(raw.web_enabled.take(), keys::WEB_ENABLED, origins),
        listen: required(raw.web_listen.take(), keys::WEB_LISTEN, origins),
        token: raw
            .web_token
            .take()
            .map(|s| note(s, keys::WEB_TOKEN, origins)),
        auto_refresh: required(raw.web_auto_refresh.take(), keys::WEB_AUTO_REFRESH, origins),
    })
}

/// `[prometheus]` and `[influxdb]`.
fn exports(
    raw: &mut RawConfig,
    origins: &mut Origins,
) -> Result<(export::PrometheusSettings, export::InfluxSettings), ConfigError> {
    let prometheus = export::prometheus(&export::PrometheusInputs {
        enabled: required(raw.prometheus.take(), keys::PROMETHEUS, origins),
        port: required(raw.prometheus_port.take(), keys::PROMETHEUS_PORT, origins),
        bind: required(raw.prometheus_bind.take(), keys::PROMETHEUS_BIND, origins),
    })?;
    let mut optional = |s: Option<Setting<String>>, key: Key| s.map(|s| note(s, key, origins));
    let token = optional(raw.influxdb_token.take(), keys::INFLUXDB_TOKEN);
    let org = optional(raw.influxdb_org.take(), keys::INFLUXDB_ORG);
    let database = optional(raw.influxdb_database.take(), keys::INFLUXDB_DATABASE);
    let username = optional(raw.influxdb_username.take(), keys::INFLUXDB_USERNAME);
    let password = optional(raw.influxdb_password.take(), keys::INFLUXDB_PASSWORD);
    let influxdb = export::influx(export::InfluxInputs {
        enabled: required(raw.influxdb.take(), keys::INFLUXDB, origins),
        url: required(raw.influxdb_url.take(), keys::INFLUXDB_URL, origins),
        token,
        org,
        bucket: required(raw.influxdb_bucket.take(), keys::INFLUXDB_BUCKET, origins),
        database,
        username,
        password,
        buffer_dir: required(
            raw.influxdb_buffer_dir.take(),
            keys::INFLUXDB_BUFFER_DIR,
            origins,
        ),
        buffer_mb: required(
            raw.influxdb_buffer_mb.take(),
            keys::INFLUXDB_BUFFER_MB,
            origins,
        ),
    })?;
    Ok((prometheus, influxdb))
}

fn note<T>(s: Setting<T>, key: Key, origins: &mut Origins) -> Setting<T> {
    origins.insert(key.file, s.origin.clone());
    s
}

fn required<T>(s: Option<Setting<T>>, key: Key, origins: &mut Origins) -> Setting<T> {
    match s {
        Some(s) => note(s, key, origins),
        None => unreachable!("the defaults layer sets {}", key.file),
    }
}

fn interval(s: &Setting<f64>) -> Result<Duration, ConfigError> {
    let v = s.value;
    // A little slack so that 0.1 written in decimal is accepted.
    if !v.is_finite() || !(MIN_INTERVAL - 1e-9..=MAX_INTERVAL).contains(&v) {
        return Err(ConfigError::invalid(
            keys::INTERVAL.file,
            &s.origin,
            format!("must be between {MIN_INTERVAL} and {MAX_INTERVAL} seconds (got {v})"),
            "use e.g. 1 for one sample a second, or 0.1 for sub-second sampling",
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

fn duration_secs(s: &Setting<f64>) -> Result<Duration, ConfigError> {
    let v = s.value;
    if !v.is_finite() || v <= 0.0 {
        return Err(ConfigError::invalid(
            keys::DURATION.file,
            &s.origin,
            format!("must be a positive number of seconds (got {v})"),
            "leave it unset to run until stopped, or give e.g. 60",
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

fn mbps(s: &Setting<f64>, key: Key) -> Result<f64, ConfigError> {
    let v = s.value;
    if !v.is_finite() || v <= 0.0 {
        return Err(ConfigError::invalid(
            key.file,
            &s.origin,
            format!("must be a positive number of megabits per second (got {v})"),
            "give the limit in Mbit/s, e.g. 50",
        ));
    }
    Ok(v)
}

fn limit_percent(s: &Setting<f64>, key: Key) -> Result<f64, ConfigError> {
    probe::percent(s.value, key.file, &s.origin)
}

fn globs(s: Setting<Vec<String>>, key: Key) -> Result<Vec<String>, ConfigError> {
    for pattern in &s.value {
        if pattern.trim().is_empty() {
            return Err(ConfigError::invalid(
                key.file,
                &s.origin,
                "contains an empty pattern",
                "remove it, or use e.g. 'eth*'",
            ));
        }
        if let Err(bandwatch_collect::CollectError::InvalidPattern { source, .. }) =
            bandwatch_collect::InterfaceFilter::new(std::slice::from_ref(pattern), &[])
        {
            return Err(ConfigError::invalid(
                key.file,
                &s.origin,
                format!("has '{pattern}', which is not a valid glob ({source})"),
                "use shell-style patterns such as 'eth*' or 'wlan?'",
            ));
        }
    }
    Ok(s.value)
}

fn output_mode(s: &Setting<String>) -> Result<OutputMode, ConfigError> {
    match s.value.to_ascii_lowercase().as_str() {
        "console" => Ok(OutputMode::Console),
        "json" => Ok(OutputMode::Json),
        "quiet" => Ok(OutputMode::Quiet),
        other => Err(ConfigError::invalid(
            keys::OUTPUT.file,
            &s.origin,
            format!("must be console, json or quiet (got '{other}')"),
            "pick one of console, json, quiet",
        )),
    }
}

fn db_path(s: Setting<PathBuf>) -> Result<PathBuf, ConfigError> {
    if s.value.as_os_str().is_empty() {
        return Err(ConfigError::invalid(
            keys::DB.file,
            &s.origin,
            "is empty",
            "give a file path such as ./data/bandwatch.db",
        ));
    }
    Ok(s.value)
}

fn span(s: &Setting<String>, key: Key, min_secs: u64) -> Result<Duration, ConfigError> {
    let parsed = humantime::parse_duration(s.value.trim()).map_err(|e| {
        ConfigError::invalid(
            key.file,
            &s.origin,
            format!("is not a duration (got '{}': {e})", s.value),
            "write it like 48h, 30d or 2years",
        )
    })?;
    if parsed < Duration::from_secs(min_secs) {
        return Err(ConfigError::invalid(
            key.file,
            &s.origin,
            format!("is too short (got '{}')", s.value),
            format!(
                "keep at least {}",
                humantime::format_duration(Duration::from_secs(min_secs))
            ),
        ));
    }
    Ok(parsed)
}

fn flush(s: &Setting<String>) -> Result<Duration, ConfigError> {
    let key = keys::FLUSH_INTERVAL;
    let parsed = humantime::parse_duration(s.value.trim()).map_err(|e| {
        ConfigError::invalid(
            key.file,
            &s.origin,
            format!("is not a duration (got '{}': {e})", s.value),
            "write it like 1s or 500ms",
        )
    })?;
    if parsed.is_zero() || parsed > Duration::from_secs(3600) {
        return Err(ConfigError::invalid(
            key.file,
            &s.origin,
            format!("must be between 1ms and 1h (got '{}')", s.value),
            "use e.g. 1s",
        ));
    }
    Ok(parsed)
}

fn log_level(s: &Setting<String>) -> Result<String, ConfigError> {
    let level = s.value.trim().to_ascii_lowercase();
    if ["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
        Ok(level)
    } else {
        Err(ConfigError::invalid(
            keys::LOG_LEVEL.file,
            &s.origin,
            format!(
                "must be error, warn, info, debug or trace (got '{}')",
                s.value
            ),
            "use info for normal operation",
        ))
    }
}

fn root(s: Setting<PathBuf>, key: Key, probe: &str, default: &str) -> Result<PathBuf, ConfigError> {
    if !s.value.join(probe).exists() {
        return Err(ConfigError::invalid(
            key.file,
            &s.origin,
            format!("points at {}, which has no {probe}", s.value.display()),
            format!("point it at the mounted filesystem (default {default})"),
        ));
    }
    Ok(s.value)
}
