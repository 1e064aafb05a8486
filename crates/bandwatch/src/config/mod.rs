//! Configuration, resolved once: built-in defaults < TOML file < environment (`BANDWATCH_*`,
//! `.env`) < command-line flags, then validated into typed values. Every key is declared
//! once in `keys.rs` (name, default, environment variables, flags, check); the layers
//! (`file`, `env`, `flags`), `config check` (`render`) and `--help` are generated from that
//! table, and each section of [`Config`] takes its keys next to its fields. The rest of the
//! program only ever sees the validated [`Config`].

pub mod calendar;
pub mod caps;
mod checks;
pub mod devices;
mod dotenv;
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
pub mod reports;
mod rules;
mod sections;
mod validate;
pub mod web;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use env::EnvVars;
pub use error::ConfigError;
#[cfg(test)]
pub use flags::is_key_flag;
pub use flags::{FlagScope, FlagValues, KeyFlags};
pub use origin::Origin;
pub use render::render;
pub(crate) use render::{float, hidden_url, quote};
pub use rules::effective_rules;
pub use sections::{
    LogConfig, LogLevel, MonitorConfig, OutputMode, Paths, StoreConfig, SystemSettings, Thresholds,
};

use layer::{RawConfig, Values};
use origin::Setting;

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
    /// Bandwidth per LAN device.
    pub devices: devices::DevicesSettings,
    /// Data caps (`[[caps]]`).
    pub caps: Vec<caps::CapConfig>,
    /// How calendar periods are counted.
    pub calendar: calendar::CalendarSettings,
    /// Scheduled summaries (`[[reports]]`).
    pub reports: Vec<reports::ReportConfig>,
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

/// Resolves the layers and validates them: `config` is the `--config` flag, `flags` the key
/// flags the command was given.
pub fn resolve(
    config: Option<&Path>,
    flags: &FlagValues,
    env: &EnvVars,
    cwd: &Path,
) -> Result<Resolved, ConfigError> {
    let given = config
        .map(|p| Setting::new(p.to_path_buf(), Origin::Flag("--config")))
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
        .overlay(flags.layer());
    let values = raw.values.clone();
    let config = validate::validate(raw)?;
    let origins = values.iter().map(|(k, s)| (*k, s.origin.clone())).collect();
    let mut warnings: Vec<String> = env
        .unknown_bandwatch_vars()
        .into_iter()
        .map(|v| {
            format!(
                "environment variable {} is not a bandwatch setting and is ignored (typo?)",
                bandwatch_core::human::escape_control(&v)
            )
        })
        .collect();
    warnings.extend(env.unknown_seed_vars().into_iter().map(|origin| {
        format!(
            "{} looks like a setting of the scripts bandwatch replaces, but bandwatch does not \
             read it, so it is ignored; the names it reads are listed under \"Configuration\" \
             in the README",
            bandwatch_core::human::escape_control(&origin.to_string())
        )
    }));
    Ok(Resolved {
        config,
        file: file.map(|f| file::shown(&f.value, cwd)),
        origins,
        warnings,
        values,
    })
}

/// Parses a config file's text as the only layer over the defaults (`init` checks what it
/// writes with it; tests check the example config).
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
