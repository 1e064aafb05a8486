//! The command line: what a person types. Parsed by clap, then layered into the
//! configuration by `config::resolve`.
//!
//! Each command has its own arguments struct, and takes only the flags of the key table that
//! mean something to it (its [`FlagScope`]), so its `--help` lists only its own options. A
//! new command is a variant of [`Command`], its arguments struct with a scope, and a line in
//! [`Command::flags`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{FlagScope, FlagValues, KeyFlags};
use crate::error::BadInput;

/// Watches network bandwidth on this machine, keeps the history and warns when limits are crossed.
#[derive(Debug, Parser)]
#[command(name = "bandwatch", version = crate::service::VERSION, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command, `run`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Configuration file.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        display_order = 0,
        help = concat!(
            "Configuration file (default: ./bandwatch.toml, then ",
            "$XDG_CONFIG_HOME/bandwatch/config.toml, then ",
            crate::system_config!(),
            ")"
        )
    )]
    pub config: Option<PathBuf>,
    /// `run`'s options, for `bandwatch` without a command.
    #[command(flatten)]
    pub run: RunArgs,
}

impl Cli {
    /// The key flags of the command given (or `run`), with those written before the
    /// command's name (`bandwatch --json stats`) where the command takes them.
    pub fn flags(&self) -> Result<FlagValues, BadInput> {
        let Some(command) = &self.command else {
            return Ok(self.run.flags.clone());
        };
        command.flags().after(&self.run.flags).map_err(|flag| {
            BadInput(format!(
                "{flag} is not an option of `bandwatch {}`; see `bandwatch {} --help` for \
                 the options it takes",
                command.name(),
                command.name()
            ))
        })
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sample every network interface and print, store and check the rates until stopped.
    Run(RunArgs),
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
    Stats(StatsArgs),
    /// Probe every configured target once (or the targets given) and report up or down.
    #[command(visible_alias = "ping")]
    Test(TestArgs),
    /// Bytes per LAN device: as recorded in the history (now, today, this month, threshold
    /// state), or counted from a capture file with --pcap (pcap or pcapng).
    Devices(DevicesArgs),
    /// Serve the dashboard and API over a recorded history, read-only, without sampling
    /// (beside a running agent too).
    Serve(ServeArgs),
    /// Write a commented bandwatch.toml (or --config PATH) for a first start: on a terminal
    /// it asks about interfaces, limits, the router to probe and where to notify; otherwise
    /// it writes the defaults.
    Init(InitArgs),
    /// What happened over a range of the history: totals, average, peak and 95th percentile
    /// rates, busiest hours, devices, probes, CPU/memory/disk, alerts, and findings in words.
    Analyze(AnalyzeArgs),
    /// Every interface: state, carrier, speed, MTU, MAC, addresses, rates now, and today's
    /// and this month's totals from the history.
    Interfaces(InterfacesArgs),
    /// Traffic per hour, day, week, month or year (vnstat's views), or the top days, exact
    /// from the recorded deltas; `report caps` shows the data caps.
    Report(ReportArgs),
    /// Write the recorded history of a range to a file: every series (or those --metric and
    /// --match select), as JSON (the documented, versioned shape) or CSV.
    Export(ExportArgs),
    /// A live view in the terminal: interfaces with a rolling chart and peaks, LAN devices,
    /// probe targets, firing alerts, CPU/memory/disk; standalone, or attached to a running
    /// agent with --connect.
    Top(TopArgs),
    /// Print the shell completion script for bash, zsh or fish (e.g. `bandwatch completions
    /// bash > /etc/bash_completion.d/bandwatch`).
    Completions(CompletionsArgs),
    /// Print the manual page, bandwatch(1), in roff (e.g. `bandwatch man | man -l -`).
    Man(ManArgs),
    /// Test traffic to check a setup end to end: paced TCP both ways through loopback (or to
    /// a far end: --serve there, --peer here), progress each second, and the exact payload
    /// bytes to compare with what `bandwatch run` reported.
    Generate(GenerateArgs),
}

impl Command {
    /// The command as typed after `bandwatch`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Run(_) => "run",
            Self::Config(ConfigCommand::Check(_)) => "config check",
            Self::Alerts(_) => "alerts",
            Self::Notify(NotifyCommand::Test(_)) => "notify test",
            Self::Analyze(_) => "analyze",
            Self::Interfaces(_) => "interfaces",
            Self::Replay(_) => "replay",
            Self::Stats(_) => "stats",
            Self::Test(_) => "test",
            Self::Devices(_) => "devices",
            Self::Serve(_) => "serve",
            Self::Init(_) => "init",
            Self::Report(_) => "report",
            Self::Export(_) => "export",
            Self::Top(_) => "top",
            Self::Completions(_) => "completions",
            Self::Man(_) => "man",
            Self::Generate(_) => "generate",
        }
    }

    /// The key flags this command took.
    pub fn flags(&self) -> &FlagValues {
        match self {
            Self::Run(a) => &a.flags,
            Self::Config(ConfigCommand::Check(a)) => &a.flags,
            Self::Analyze(a) => &a.flags,
            Self::Interfaces(a) => &a.flags,
            Self::Alerts(a) => &a.flags,
            Self::Notify(NotifyCommand::Test(a)) => &a.flags,
            Self::Replay(a) => &a.flags,
            Self::Stats(a) => &a.flags,
            Self::Test(a) => &a.flags,
            Self::Devices(a) => &a.flags,
            Self::Serve(a) => &a.flags,
            Self::Init(a) => &a.flags,
            Self::Report(a) => &a.flags,
            Self::Export(a) => &a.flags,
            Self::Top(a) => &a.flags,
            Self::Completions(a) => &a.flags,
            Self::Man(a) => &a.flags,
            Self::Generate(a) => &a.flags,
        }
    }
}

/// Every flag of the key table.
#[derive(Debug)]
pub enum EveryFlag {}

impl FlagScope for EveryFlag {
    const FLAGS: Option<&'static [&'static str]> = None;
}

/// `bandwatch run`
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    #[allow(missing_docs)] // clap would show a doc comment here as a heading
    pub flags: KeyFlags<EveryFlag>,
}

/// `bandwatch config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the effective values (secrets redacted) as a
    /// config file.
    Check(CheckArgs),
}

/// `bandwatch config check`: every flag, since it shows what a run with them would use.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<EveryFlag>,
}

/// `alerts`: where the history is, and JSON.
#[derive(Debug)]
pub enum AlertsFlags {}

impl FlagScope for AlertsFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--json", "--db", "--store"]);
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "--json",
        "Print one JSON object per alert (NDJSON) instead of a table",
    )];
    const TO_SUBCOMMANDS: bool = true;
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
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<AlertsFlags>,
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

/// `notify test`: only the configuration file.
#[derive(Debug)]
pub enum NotifyFlags {}

impl FlagScope for NotifyFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&[]);
}

/// `bandwatch notify …`
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Send a test message through every channel (or one) and report success or the exact failure.
    Test(NotifyTestArgs),
}

/// `bandwatch notify test [CHANNEL]`
#[derive(Debug, Args)]
pub struct NotifyTestArgs {
    /// Only this channel (by its name).
    pub channel: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<NotifyFlags>,
}

/// `replay`: the limits that make the two threshold rules, and JSON.
#[derive(Debug)]
pub enum ReplayFlags {}

impl FlagScope for ReplayFlags {
    const FLAGS: Option<&'static [&'static str]> =
        Some(&["--json", "--upload-threshold", "--download-threshold"]);
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "--json",
        "Print one JSON object per alert event instead of a line for people",
    )];
}

/// `bandwatch replay FILE`
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Recorded samples: NDJSON as printed by `bandwatch run --json` (`.ndjson`, `.jsonl`,
    /// `.json`), or CSV with the header `ts,series,value` (`.csv`; series like
    /// `net_rx_bits_per_second{iface="eth0"}`). Other names are read by their first line.
    pub file: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<ReplayFlags>,
}

/// `stats`: which interfaces, where the kernel's files and the history are, and JSON.
#[derive(Debug)]
pub enum StatsFlags {}

impl FlagScope for StatsFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&[
        "--json",
        "--interface",
        "--exclude",
        "--db",
        "--store",
        "--proc-root",
        "--sys-root",
    ]);
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "--json",
        "Print the snapshot as one JSON document instead of text",
    )];
}

/// `bandwatch stats`
#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<StatsFlags>,
}

/// `test`: JSON only; the targets are arguments or the configuration's.
#[derive(Debug)]
pub enum TestFlags {}

impl FlagScope for TestFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--json"]);
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "--json",
        "Print the results as one JSON document instead of a line per target",
    )];
}

/// `bandwatch test [TARGET…]`
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Probe these instead of the configured targets: an address or host name (ICMP),
    /// `tcp://host:port`, `http://…` or `https://…`.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<TestFlags>,
}

/// `devices`: JSON only; the rest are its own arguments.
#[derive(Debug)]
pub enum DevicesFlags {}

impl FlagScope for DevicesFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--json", "--db", "--store"]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--json",
            "Print the devices as one JSON array of objects instead of a table",
        ),
        (
            "--db",
            "History database file (SQLite) to read without --pcap; opened read-only",
        ),
        (
            "--store",
            "Read the history from this MySQL/MariaDB or PostgreSQL database instead",
        ),
    ];
}

/// How `bandwatch devices` orders its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceSort {
    /// Most downloaded from the internet first.
    Rx,
    /// Most uploaded to the internet first.
    Tx,
    /// Most internet traffic (download + upload) first.
    Total,
    /// By address.
    Ip,
}

/// How `bandwatch devices` tells devices apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceBy {
    /// By hardware address where the capture shows one, else by IP.
    Mac,
    /// By IP address (each address is a device of its own).
    Ip,
}

/// `bandwatch devices --pcap FILE`
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// The capture to count (pcap or pcapng: Ethernet, Linux cooked or raw IP).
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// A LAN network (CIDR); repeat for several. Default: 10/8, 172.16/12, 192.168/16,
    /// 169.254/16, fc00::/7, fe80::/10.
    #[arg(long, value_name = "CIDR")]
    pub lan: Vec<String>,
    /// Row order.
    #[arg(long, value_enum, default_value = "total")]
    pub sort: DeviceSort,
    /// How devices are told apart.
    #[arg(long, value_enum, default_value = "mac")]
    pub by: DeviceBy,
    /// The most devices held at once; beyond it the least recently seen are summed as
    /// `other`.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_tracked: usize,
    /// Without --pcap: list the devices seen within this long (e.g. 24h, 7d).
    #[arg(long, value_name = "DURATION", default_value = "31d")]
    pub since: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<DevicesFlags>,
}

/// `serve`: which history, where to listen, the token and logging.
#[derive(Debug)]
pub enum ServeFlags {}

impl FlagScope for ServeFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&[
        "--db",
        "--store",
        "--listen",
        "--web-token",
        "--log-level",
        "--log-file",
    ]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--db",
            "History database file (SQLite) to serve; opened read-only, never created",
        ),
        (
            "--store",
            "Serve the history in this MySQL/MariaDB or PostgreSQL database instead, read-only",
        ),
    ];
}

/// `bandwatch serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<ServeFlags>,
}

/// `init`: where the proc filesystem is (its route table and interfaces are proposed).
#[derive(Debug)]
pub enum InitFlags {}

impl FlagScope for InitFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--proc-root"]);
}

/// `bandwatch init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Write what each question proposes without asking, even on a terminal.
    #[arg(long)]
    pub defaults: bool,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<InitFlags>,
}

/// `report`: which history, the billing day, and JSON.
#[derive(Debug)]
pub enum ReportFlags {}

impl FlagScope for ReportFlags {
    const FLAGS: Option<&'static [&'static str]> =
        Some(&["--json", "--db", "--store", "--billing-day"]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--json",
            "Print the report as one JSON document (\"version\": 1) instead of tables",
        ),
        (
            "--db",
            "History database file (SQLite) to read; opened read-only",
        ),
        (
            "--store",
            "Read the history from this MySQL/MariaDB or PostgreSQL database instead",
        ),
    ];
}

/// `export`: where the history is, and whether the terminal shows progress.
#[derive(Debug)]
pub enum ExportFlags {}

impl FlagScope for ExportFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--db", "--store", "--quiet"]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--db",
            "History database file (SQLite) to export from; opened read-only",
        ),
        (
            "--store",
            "Export from this MySQL/MariaDB or PostgreSQL database instead, read-only",
        ),
        (
            "--quiet",
            "Show no progress bar or summary (they appear only on a terminal anyway)",
        ),
    ];
}

/// The views of `bandwatch report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportView {
    /// One row per hour (default: the last 24).
    Hourly,
    /// One row per day (default: the last 30).
    Daily,
    /// One row per week from Monday (default: the last 8).
    Weekly,
    /// One row per month from the billing day (default: the last 12).
    Monthly,
    /// One row per year (default: every year recorded).
    Yearly,
    /// The busiest days by total (default: the top 10 of the whole history).
    Top,
    /// The data caps: usage, forecast and when a cap will be reached.
    Caps,
}

/// `bandwatch report [VIEW]`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// What one row is.
    #[arg(value_enum, default_value = "daily")]
    pub view: ReportView,
    /// Only this interface (repeatable; default: every interface recorded).
    #[arg(long, value_name = "NAME")]
    pub iface: Vec<String>,
    /// The total over every interface but loopback, instead of each interface.
    #[arg(long, conflicts_with_all = ["iface", "device"])]
    pub total: bool,
    /// A LAN device by its label, as `bandwatch devices` shows it (repeatable).
    #[arg(long, value_name = "LABEL", conflicts_with = "iface")]
    pub device: Vec<String>,
    /// First period: a date (2026-11-01), a local date and time (2026-11-01T08:00) or a time
    /// back from now (-7d, -12h).
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub begin: Option<String>,
    /// Last period, as --begin; a date counts whole (default: now).
    #[arg(long, value_name = "WHEN", allow_hyphen_values = true)]
    pub end: Option<String>,
    /// At most this many rows per series (the newest; for `top`, the busiest).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print CSV (a header row, then one row per period per series) instead of tables.
    #[arg(long)]
    pub csv: bool,
    /// Also draw a bar chart of received vs sent per period into FILE (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub chart: Option<PathBuf>,
    /// With `caps`: exit 1 when a cap is over or forecast to be over (for cron).
    #[arg(long)]
    pub alert: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<ReportFlags>,
}

/// The document `bandwatch export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON document (docs/export-format.md).
    Json,
    /// One row per point: time, metric, a column per label, value, min, max.
    Csv,
}

/// Which stored resolution `bandwatch export` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportStep {
    /// Every stored sample (kept for store.raw_retention).
    Raw,
    /// 1-minute rollups (kept for store.minute_retention).
    #[value(name = "1m")]
    Minute,
    /// 1-hour rollups (kept for store.hour_retention).
    #[value(name = "1h")]
    Hour,
}

/// `bandwatch export`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The last N hours (fractions allowed), ending at --until or now [default: 24].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub hours: Option<String>,
    /// Start: RFC 3339 (2025-03-01T00:00:00Z), a local date or date and time (2025-03-01,
    /// "2025-03-01 12:30") or a duration before now (36h, 7d).
    #[arg(long, value_name = "TIME", conflicts_with = "hours")]
    pub since: Option<String>,
    /// End (exclusive), in the same forms [default: now].
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// The file to write (replaced only once it is whole); `-` for standard output.
    #[arg(long, short = 'o', value_name = "FILE", default_value = "-")]
    pub output: PathBuf,
    /// The format [default: csv for a name ending in .csv, else json].
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// The stored resolution to read [default: the finest that still holds the start].
    #[arg(long, value_enum)]
    pub step: Option<ExportStep>,
    /// Only this metric (repeat for several).
    #[arg(long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Only series whose labels match (repeat: all must match), as the API's `match`:
    /// iface=eth*, iface!=lo, device=~"lap.*".
    #[arg(long = "match", value_name = "LABEL=GLOB")]
    pub matches: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<ExportFlags>,
}

/// `analyze`: where the history is, and JSON.
#[derive(Debug)]
pub enum AnalyzeFlags {}

impl FlagScope for AnalyzeFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--json", "--db", "--store"]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--json",
            "Print the analysis as one JSON document (\"version\": 1) instead of text",
        ),
        (
            "--db",
            "History database file (SQLite) to analyse; opened read-only",
        ),
        (
            "--store",
            "Analyse the history in this MySQL/MariaDB or PostgreSQL database instead",
        ),
    ];
}

/// `bandwatch analyze`
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The last N hours (default 24); with --since, N hours from it; with --until, N hours
    /// up to it.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub hours: Option<u64>,
    /// Start of the range: RFC 3339 (2026-03-01T12:00:00Z), a local time (2026-03-01 12:00)
    /// or a local date (2026-03-01).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// End of the range (default now), in the same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this interface (devices, probes and the system are still shown).
    #[arg(long, value_name = "NAME")]
    pub iface: Option<String>,
    /// Also draw the interfaces' rates over the range, with their peaks, into FILE (.svg or
    /// .png).
    #[arg(long, value_name = "FILE")]
    pub chart: Option<std::path::PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<AnalyzeFlags>,
}

/// `interfaces`: which interfaces, where the kernel's files and the history are, and JSON.
#[derive(Debug)]
pub enum InterfacesFlags {}

impl FlagScope for InterfacesFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&[
        "--json",
        "--interface",
        "--exclude",
        "--db",
        "--store",
        "--proc-root",
        "--sys-root",
    ]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--json",
            "Print the interfaces as one JSON document (\"version\": 1) instead of text",
        ),
        (
            "--db",
            "History database file (SQLite) the totals come from; opened read-only",
        ),
    ];
}

/// `bandwatch interfaces`
#[derive(Debug, Args)]
pub struct InterfacesArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<InterfacesFlags>,
}

/// `top`: what to sample and where (standalone), the history to record into, the token for
/// --connect.
#[derive(Debug)]
pub enum TopFlags {}

impl FlagScope for TopFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&[
        "--interval",
        "--interface",
        "--exclude",
        "--db",
        "--proc-root",
        "--sys-root",
        "--web-token",
    ]);
    const HELP: &'static [(&'static str, &'static str)] = &[
        (
            "--db",
            "Also record the history into this SQLite file (without it, `top` stores nothing)",
        ),
        (
            "--web-token",
            "The agent's API token for --connect [env: BANDWATCH_WEB_TOKEN]",
        ),
    ];
}

/// `bandwatch top`
#[derive(Debug, Args)]
pub struct TopArgs {
    /// Show a running agent's values (its dashboard address, e.g. http://127.0.0.1:8080)
    /// instead of sampling here.
    #[arg(long, value_name = "URL")]
    pub connect: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<TopFlags>,
}

/// `generate`: JSON only; it reads no configuration.
#[derive(Debug)]
pub enum GenerateFlags {}

impl FlagScope for GenerateFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&["--json"]);
    const HELP: &'static [(&'static str, &'static str)] = &[(
        "--json",
        "Print one JSON summary object at the end instead of progress lines and text",
    )];
}

/// `bandwatch generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How long to send: seconds (2.5) or a time (90s, 2m) [default: 60].
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub duration: Option<String>,
    /// How fast the far end sends to us: 1 (1 Mbit/s) to 10 (1 Gbit/s), logarithmic, see the
    /// README [default: 5].
    #[arg(long, value_name = "1-10", allow_negative_numbers = true)]
    pub download_intensity: Option<i64>,
    /// How fast we send, as --download-intensity [default: 5].
    #[arg(long, value_name = "1-10", allow_negative_numbers = true)]
    pub upload_intensity: Option<i64>,
    /// Only the far end sends (to us).
    #[arg(long)]
    pub download_only: bool,
    /// Only we send.
    #[arg(long)]
    pub upload_only: bool,
    /// An exact payload rate for each direction instead of an intensity, bits per second:
    /// 200M, 1.5G, 800k.
    #[arg(long, value_name = "BITS")]
    pub rate: Option<String>,
    /// Send to a far end running `bandwatch generate --serve` (default port 5210) instead of
    /// our own sink on 127.0.0.1.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "serve")]
    pub peer: Option<String>,
    /// Be the far end for `--peer` on another machine: serve sessions until stopped.
    #[arg(long)]
    pub serve: bool,
    /// With --serve: the address to listen on [default: 0.0.0.0:5210].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<GenerateFlags>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;
    use crate::config::FlagScope;

    #[test]
    fn every_scope_names_flags_of_the_key_table() {
        fn check<S: FlagScope>() {
            for name in S::FLAGS.unwrap_or_default() {
                assert!(crate::config::is_key_flag(name), "{name} is not a key flag");
            }
            for (name, _) in S::HELP {
                assert!(
                    S::FLAGS.is_none_or(|f| f.contains(name)),
                    "help for {name}, which the scope does not take"
                );
            }
        }
        check::<AlertsFlags>();
        check::<NotifyFlags>();
        check::<ReplayFlags>();
        check::<StatsFlags>();
        check::<TestFlags>();
        check::<DevicesFlags>();
        check::<ServeFlags>();
        check::<InitFlags>();
        check::<AnalyzeFlags>();
        check::<InterfacesFlags>();
        check::<ReportFlags>();
        check::<ExportFlags>();
        check::<TopFlags>();
        check::<GenerateFlags>();
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}

/// `completions` and `man` read no configuration: no key flags.
#[derive(Debug)]
pub enum GeneratedFlags {}

impl FlagScope for GeneratedFlags {
    const FLAGS: Option<&'static [&'static str]> = Some(&[]);
}

/// The shells `bandwatch completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

/// `bandwatch completions SHELL`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_enum)]
    pub shell: Shell,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<GeneratedFlags>,
}

/// `bandwatch man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write bandwatch.1 and a page per command (bandwatch-run.1, …) into this directory
    /// instead of printing bandwatch(1).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub flags: KeyFlags<GeneratedFlags>,
}
