//! The command line: what a person types. Parsed by clap, then layered into the
//! configuration by `config::resolve`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::KeyFlags;

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

/// Options that override the config file and the environment: `--config`, and the flag of
/// every configuration key that has one (declared with the key in `config/keys.rs`).
#[derive(Debug, Default, Args)]
pub struct Options {
    /// Configuration file (default: ./bandwatch.toml, then $XDG_CONFIG_HOME/bandwatch/config.toml,
    /// then /etc/bandwatch/config.toml).
    #[arg(long, global = true, value_name = "PATH", display_order = 0)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)] // clap would show a doc comment here as a heading
    pub keys: KeyFlags,
}

impl Options {
    /// Whether `--json` was given: commands other than `run` answer in JSON then too.
    pub fn json(&self) -> bool {
        self.keys.switched("--json")
    }
}
