//! Configuration, resolved once: built-in defaults < TOML file < environment (`BANDWATCH_*`,
//! `.env`) < command-line flags, then validated rule by rule. The rest of the program only
//! ever sees the validated [`Config`].

mod checks;
mod env;
mod error;
pub mod export;
mod file;
mod flags;
mod key;
mod keys;
mod layer;
pub mod notify;
mod origin;
pub mod probe;
mod render;
mod rules;
mod validate;
pub mod web;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use env::EnvVars;
pub use error::ConfigError;
pub use flags::KeyFlags;
pub use origin::Origin;
pub use render::render;
pub use rules::effective_rules;

use crate::cli::Options;
use layer::{RawConfig, Values};
use origin::Setting;

/// How each tick is shown on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    /// One human line per tick.
    Console,
    /// One JSON object per tick (NDJSON).
    Json,
    /// Nothing per tick.
    Quiet,
}

impl OutputMode {
    /// Every mode.
    pub const ALL: [Self; 3] = [Self::Console, Self::Json, Self::Quiet];

    /// The name `output.format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Json => "json",
            Self::Quiet => "quiet",
        }
    }
}

/// How much is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Only failures.
    Error,
    /// Failures and warnings.
    Warn,
    /// What happens, in a few lines (the default).
    Info,
    /// Details for finding a problem.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// Every level, least verbose first.
    pub const ALL: [Self; 5] = [
        Self::Error,
        Self::Warn,
        Self::Info,
        Self::Debug,
        Self::Trace,
    ];

    /// The name `log.level` takes (and tracing's filters read).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// What to sample and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfig {
    /// Time between samples.
    pub interval: Duration,
    /// Stop after this long; `None` runs until stopped.
    pub duration: Option<Duration>,
    /// Interface globs to watch (empty: all).
    pub interfaces: Vec<String>,
    /// Interface globs never to watch.
    pub exclude: Vec<String>,
    /// Whether loopback traffic counts in the total.
    pub loopback_in_total: bool,
}

/// The limits whose crossing is logged as a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Transmit limit in bits per second.
    pub upload_bps: f64,
    /// Receive limit in bits per second.
    pub download_bps: f64,
    /// Default time before the same alert notifies again (rules may set their own).
    pub cooldown: Duration,
    /// Total CPU busy percentage above which the CPU rule fires.
    pub cpu_percent: f64,
    /// Used memory percentage above which the memory rule fires.
    pub memory_percent: f64,
    /// Used percentage of any filesystem above which the disk rule fires.
    pub disk_percent: f64,
}

/// The system health source: CPU, load, memory, swap, disks.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemSettings {
    /// Whether it runs at all.
    pub enabled: bool,
    /// Time between readings.
    pub interval: Duration,
}

/// Where and how long the history is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// The SQLite file.
    pub path: PathBuf,
    /// How long raw samples are kept.
    pub raw_retention: Duration,
    /// How long 1-minute rollups are kept.
    pub minute_retention: Duration,
    /// How long 1-hour rollups are kept.
    pub hour_retention: Duration,
    /// How often buffered samples are committed.
    pub flush_interval: Duration,
    /// A MySQL/MariaDB or PostgreSQL URL that replaces the SQLite file for the history.
    pub url: Option<String>,
    /// Whether an unreachable `url` at start falls back to the SQLite file instead of
    /// stopping.
    pub optional: bool,
}

/// Logging.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// How much is logged.
    pub level: LogLevel,
    /// Optional log file, rotated daily.
    pub file: Option<PathBuf>,
}

/// Filesystem roots, settable for containers and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    /// The proc filesystem.
    pub proc_root: PathBuf,
    /// The sys filesystem.
    pub sys_root: PathBuf,
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Sampling.
    pub monitor: MonitorConfig,
    /// Warning limits.
    pub thresholds: Thresholds,
    /// Per-tick output.
    pub output: OutputMode,
    /// History.
    pub store: StoreConfig,
    /// Logging.
    pub log: LogConfig,
    /// Filesystem roots.
    pub paths: Paths,
    /// The user's `[[rules]]`, each already checked (the threshold rules are added by
    /// [`effective_rules`]).
    pub rules: Vec<bandwatch_engine::RuleSpec>,
    /// Where alert notifications go.
    pub notify: notify::NotifyConfig,
    /// System health.
    pub system: SystemSettings,
    /// Reachability probes.
    pub probe: probe::ProbeSettings,
    /// The Prometheus exporter.
    pub prometheus: export::PrometheusSettings,
    /// The InfluxDB writer.
    pub influxdb: export::InfluxSettings,
    /// The dashboard and API.
    pub web: web::WebSettings,
}

/// The validated configuration plus where each value came from.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The configuration.
    pub config: Config,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
    /// Origin of each value by dotted key.
    pub origins: BTreeMap<&'static str, Origin>,
    /// Things worth a warning that are not errors (unknown `BANDWATCH_*` variables).
    pub warnings: Vec<String>,
    /// Every key's value as the layers gave it, for `config check`.
    values: Values,
}

/// Resolves the layers and validates them.
pub fn resolve(opts: &Options, env: &EnvVars, cwd: &Path) -> Result<Resolved, ConfigError> {
    let given = opts
        .config
        .clone()
        .map(|p| Setting::new(p, Origin::Flag("--config")))
        .or_else(|| {
            env.get("BANDWATCH_CONFIG")
                .map(|(v, o)| Setting::new(PathBuf::from(v), o.clone()))
        });
    let xdg = env
        .get("XDG_CONFIG_HOME")
        .map(|(v, _)| PathBuf::from(v))
        .or_else(|| env.get("HOME").map(|(v, _)| Path::new(v).join(".config")));
    let file = file::discover(given, cwd, xdg);
    let file_layer = match &file {
        Some(f) => file::load(f, cwd)?,
        None => RawConfig::default(),
    };
    let raw = layer::defaults()
        .overlay(file_layer)
        .overlay(env::layer(env)?)
        .overlay(opts.keys.layer());
    let values = raw.values.clone();
    let config = validate::validate(raw)?;
    let origins = values.iter().map(|(k, s)| (*k, s.origin.clone())).collect();
    let warnings = env
        .unknown_bandwatch_vars()
        .into_iter()
        .map(|v| {
            format!("environment variable {v} is not a bandwatch setting and is ignored (typo?)")
        })
        .collect();
    Ok(Resolved {
        config,
        file: file.map(|f| file::shown(&f.value, cwd)),
        origins,
        warnings,
        values,
    })
}

/// Parses a config file's text as the only layer over the defaults (used by tests and
/// to check the example config).
#[cfg(test)]
pub fn from_file_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw = layer::defaults().overlay(file::parse(text, path)?);
    validate::validate(raw)
}

/// The configuration with nothing but built-in defaults.
#[cfg(test)]
pub fn defaults() -> Config {
    match validate::validate(layer::defaults()) {
        Ok(c) => c,
        Err(e) => unreachable!("built-in defaults are valid: {e}"),
    }
}
