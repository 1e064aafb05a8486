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
    /// List the alert history; acknowledge or silence alerts.
    Alerts(AlertsArgs),
    /// Work with notification channels.
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Run the rules over recorded samples (CSV, or NDJSON as `run --json` prints) and print
    /// the alert events.
    Replay(ReplayArgs),
    /// Show a snapshot of this machine now: CPU, load, memory, disks, interface rates, and
    /// each probe target's last state and uptime from the history.
    Stats,
    /// Probe every configured target once (or the targets given) and report up or down.
    #[command(visible_alias = "ping")]
    Test(TestArgs),
}

/// `bandwatch test [TARGET…]`
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Probe these instead of the configured targets: an address or host name (ICMP),
    /// `tcp://host:port`, `http://…` or `https://…`.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
}

/// `bandwatch notify …`
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message through every channel (or one) and report success or the exact failure.
    Test {
        /// Only this channel (by its name).
        channel: Option<String>,
    },
}

/// `bandwatch alerts …`
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Acknowledge or silence instead of listing.
    #[command(subcommand)]
    pub action: Option<AlertsAction>,
    /// Only alerts active within this long before now (e.g. 30m, 24h, 7d).
    #[arg(long, default_value = "24h", value_name = "DURATION")]
    pub since: String,
    /// Only alerts of at least this severity: low, medium, high or critical.
    #[arg(long, value_name = "SEVERITY")]
    pub severity: Option<String>,
    /// Only alerts in this state: pending, firing or resolved.
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,
}

/// `bandwatch alerts ack|silence`
#[derive(Debug, Subcommand)]
pub enum AlertsAction {
    /// Acknowledge an alert: people know, it stays in the history.
    Ack {
        /// The alert id, as `bandwatch alerts` prints it.
        id: String,
    },
    /// Silence alerts for a while, by alert id or by matchers like `rule=wan-spike,iface=eth*`.
    Silence {
        /// An alert id, or comma-separated `label=glob` pairs (`rule` and `metric` match the
        /// rule name and the metric).
        matcher: String,
        /// How long the silence lasts (e.g. 30m, 2h).
        #[arg(long = "for", id = "silence_for", value_name = "DURATION")]
        silence_for: String,
        /// Why, for the people who read the history later.
        #[arg(long)]
        comment: Option<String>,
    },
}

/// `bandwatch replay FILE`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Recorded samples: NDJSON as printed by `bandwatch run --json`, or CSV with the header
    /// `ts,series,value` (series like `net_rx_bits_per_second{iface="eth0"}`).
    pub file: PathBuf,
}

/// `bandwatch config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values (secrets redacted).
    Check,
}

/// Options that override the config file and the environment. Each switch is a flag a
/// person types, so plain bools read best here.
#[allow(clippy::struct_excessive_bools)]
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
    /// Keep the history in MySQL/MariaDB or PostgreSQL instead of the SQLite file
    /// (`mysql://USER:PASSWORD@HOST/DB`, `postgres://…`).
    #[arg(long, global = true, value_name = "URL")]
    pub store: Option<String>,
    /// Serve Prometheus metrics at /metrics.
    #[arg(long, global = true)]
    pub prometheus: bool,
    /// Port of the Prometheus endpoint (default 8000).
    #[arg(long, global = true, value_name = "PORT")]
    pub prometheus_port: Option<u16>,
    /// Write every sample to InfluxDB.
    #[arg(long, global = true)]
    pub influxdb: bool,
    /// InfluxDB server (default http://localhost:8086).
    #[arg(long, global = true, value_name = "URL")]
    pub influxdb_url: Option<String>,
    /// InfluxDB 2 API token.
    #[arg(long, global = true, value_name = "TOKEN")]
    pub influxdb_token: Option<String>,
    /// InfluxDB 2 organisation.
    #[arg(long, global = true, value_name = "ORG")]
    pub influxdb_org: Option<String>,
    /// InfluxDB 2 bucket (default network_metrics).
    #[arg(long, global = true, value_name = "BUCKET")]
    pub influxdb_bucket: Option<String>,
    /// Where the dashboard and API listen (default 127.0.0.1:8080; any other address needs a
    /// token).
    #[arg(long, global = true, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Access token for the dashboard and API (generated and printed when listening beyond
    /// loopback without one).
    #[arg(long, global = true, value_name = "TOKEN")]
    pub web_token: Option<String>,
    /// Do not serve the dashboard and API.
    #[arg(long, global = true)]
    pub no_web: bool,
    /// Where /proc is (for containers and tests).
    #[arg(long, global = true, value_name = "PATH", hide_short_help = true)]
    pub proc_root: Option<PathBuf>,
    /// Where /sys is (for containers and tests).
    #[arg(long, global = true, value_name = "PATH", hide_short_help = true)]
    pub sys_root: Option<PathBuf>,
}
