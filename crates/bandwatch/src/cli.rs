//! The command line: what a person types. Parsed by clap, then layered into the
//! configuration by `config::resolve`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Watches network bandwidth on this machine, keeps the history and warns when limits are crossed.
#[derive(Debug, Parser)]
#[command(name = "bandwatch", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command, `run`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options shared by every command.
    #[command(flatten)]
    pub opts: Options,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sample every network interface and print, store and check the rates until stopped.
    Run,
    /// Work with the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `bandwatch config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values (secrets redacted).
    Check,
}

/// Options that override the config file and the environment.
#[derive(Debug, Default, Args)]
pub struct Options {
    /// Configuration file (default: ./bandwatch.toml, then $XDG_CONFIG_HOME/bandwatch/config.toml,
    /// then /etc/bandwatch/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Seconds between samples (0.1 to 3600).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub interval: Option<f64>,
    /// Stop after this many seconds (default: run until stopped).
    #[arg(long, global = true, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Only watch interfaces matching this glob (repeatable).
    #[arg(long = "interface", global = true, value_name = "GLOB")]
    pub interfaces: Vec<String>,
    /// Never watch interfaces matching this glob (repeatable).
    #[arg(long = "exclude", global = true, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Warn when an interface sends faster than this many Mbit/s.
    #[arg(long, global = true, value_name = "MBPS")]
    pub upload_threshold: Option<f64>,
    /// Warn when an interface receives faster than this many Mbit/s.
    #[arg(long, global = true, value_name = "MBPS")]
    pub download_threshold: Option<f64>,
    /// Print one JSON object per tick on stdout (NDJSON) instead of the console line.
    #[arg(long, global = true, conflicts_with = "quiet")]
    pub json: bool,
    /// Print nothing per tick (logs still go to stderr and the log file).
    #[arg(long, global = true)]
    pub quiet: bool,
    /// History database file (SQLite).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Also log to this file, rotated daily.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Log level: error, warn, info, debug or trace.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Where /proc is (for containers and tests).
    #[arg(long, global = true, value_name = "PATH", hide_short_help = true)]
    pub proc_root: Option<PathBuf>,
    /// Where /sys is (for containers and tests).
    #[arg(long, global = true, value_name = "PATH", hide_short_help = true)]
    pub sys_root: Option<PathBuf>,
}
