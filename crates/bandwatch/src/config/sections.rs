//! The sections of the validated configuration that are plain keys, each next to the keys
//! it is filled from (their declarations are in `keys.rs`).

use std::path::PathBuf;
use std::time::Duration;

use super::error::ConfigError;
use super::keys;
use super::layer::Layers;

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

impl MonitorConfig {
    /// Its keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            interval: l.get(&keys::INTERVAL)?,
            duration: l.opt(&keys::DURATION)?,
            interfaces: l.get(&keys::INTERFACES)?,
            exclude: l.get(&keys::EXCLUDE)?,
            loopback_in_total: l.get(&keys::LOOPBACK_IN_TOTAL)?,
        })
    }
}

/// The limits whose crossing is logged as a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Transmit limit in bits per second.
    pub upload_bps: f64,
    /// Receive limit in bits per second.
    pub download_bps: f64,
    /// Limit on received plus sent in bits per second, for the total; `None`: no rule.
    pub total_bps: Option<f64>,
    /// The built-in spike rules: how many times the recent average is a spike.
    pub spike_factor: f64,
    /// The built-in spike rules: samples in the recent average.
    pub spike_window: u32,
    /// The built-in spike rules: the least rise that counts, in bits per second.
    pub spike_floor_bps: f64,
    /// Default time before the same alert notifies again (rules may set their own).
    pub cooldown: Duration,
    /// Total CPU busy percentage above which the CPU rule fires.
    pub cpu_percent: f64,
    /// Used memory percentage above which the memory rule fires.
    pub memory_percent: f64,
    /// Used percentage of any filesystem above which the disk rule fires.
    pub disk_percent: f64,
}

impl Thresholds {
    /// Its keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            upload_bps: l.get(&keys::UPLOAD)?,
            download_bps: l.get(&keys::DOWNLOAD)?,
            total_bps: l.opt(&keys::TOTAL)?,
            spike_factor: l.get(&keys::SPIKE_FACTOR)?,
            spike_window: l.get(&keys::SPIKE_WINDOW)?,
            spike_floor_bps: l.get(&keys::SPIKE_FLOOR)?,
            cooldown: l.get(&keys::COOLDOWN)?,
            cpu_percent: l.get(&keys::CPU)?,
            memory_percent: l.get(&keys::MEMORY)?,
            disk_percent: l.get(&keys::DISK)?,
        })
    }
}

/// The system health source: CPU, load, memory, swap, disks.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemSettings {
    /// Whether it runs at all.
    pub enabled: bool,
    /// Time between readings.
    pub interval: Duration,
}

impl SystemSettings {
    /// Its keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: l.get(&keys::SYSTEM_ENABLED)?,
            interval: l.get(&keys::SYSTEM_INTERVAL)?,
        })
    }
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
    /// How often buffered samples are committed; a hard kill (kill -9) loses up to this much.
    pub flush_interval: Duration,
    /// A MySQL/MariaDB or PostgreSQL URL that replaces the SQLite file for the history.
    pub url: Option<String>,
    /// Whether an unreachable `url` at start falls back to the SQLite file instead of
    /// stopping.
    pub optional: bool,
}

impl StoreConfig {
    /// Its keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            path: l.get(&keys::DB)?,
            raw_retention: l.get(&keys::RAW_RETENTION)?,
            minute_retention: l.get(&keys::MINUTE_RETENTION)?,
            hour_retention: l.get(&keys::HOUR_RETENTION)?,
            flush_interval: l.get(&keys::FLUSH_INTERVAL)?,
            url: l.opt(&keys::STORE_URL)?,
            optional: l.get(&keys::STORE_OPTIONAL)?,
        })
    }
}

/// Logging.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// How much is logged.
    pub level: LogLevel,
    /// Optional log file, rotated daily.
    pub file: Option<PathBuf>,
}

impl LogConfig {
    /// Its keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            level: l.get(&keys::LOG_LEVEL)?,
            file: l.opt(&keys::LOG_FILE)?,
        })
    }
}

/// Filesystem roots, settable for containers and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    /// The proc filesystem.
    pub proc_root: PathBuf,
    /// The sys filesystem.
    pub sys_root: PathBuf,
}

impl Paths {
    /// Its keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            proc_root: l.get(&keys::PROC_ROOT)?,
            sys_root: l.get(&keys::SYS_ROOT)?,
        })
    }
}
