//! `bandwatch test` (alias `ping`): one probe round to every configured target, or to the
//! specs given on the command line, printed as a table or a JSON array. Exit 1 when a target
//! is down, 2 when there is nothing to probe or ICMP is not permitted.

use std::fmt::Write as _;
use std::time::Duration;

use bandwatch_collect::probe::TargetResult;
use bandwatch_collect::{Prober, Target};
use serde::Serialize;

use crate::config::Config;
use crate::error::{self, BadInput};
use crate::wiring::sources::round_config;

/// Pause between consecutive probes to one target.
const GAP: Duration = Duration::from_millis(200);

/// One target's outcome as `--json` prints it (the output is an array of these).
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The `target` label.
    pub name: String,
    /// `"up"` when at least one probe was answered, else `"down"`.
    pub status: &'static str,
    /// Probes sent.
    pub sent: u32,
    /// Probes answered.
    pub received: u32,
    /// Share lost, percent.
    pub loss_percent: f64,
    /// Smallest RTT, milliseconds.
    pub rtt_min_ms: Option<f64>,
    /// Mean RTT, milliseconds.
    pub rtt_avg_ms: Option<f64>,
    /// Largest RTT, milliseconds.
    pub rtt_max_ms: Option<f64>,
    /// Mean difference of consecutive RTTs, milliseconds.
    pub jitter_ms: Option<f64>,
    /// Last HTTP status (HTTP targets only).
    pub http_status: Option<u16>,
    /// Why the last probe failed, if one did.
    pub error: Option<String>,
}

fn ms(d: Option<Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() * 1000.0)
}

impl From<&TargetResult> for Outcome {
    fn from(r: &TargetResult) -> Self {
        let s = &r.stats;
        Self {
            name: r.name.clone(),
            status: if s.reachable { "up" } else { "down" },
            sent: s.sent,
            received: s.received,
            loss_percent: s.loss_percent,
            rtt_min_ms: ms(s.rtt_min),
            rtt_avg_ms: ms(s.rtt_avg),
            rtt_max_ms: ms(s.rtt_max),
            jitter_ms: ms(s.jitter),
            http_status: r.http_status,
            error: r.last_error.clone(),
        }
    }
}

/// What to probe and how: the command-line specs, else the configured targets.
fn targets(config: &Config, specs: &[String]) -> anyhow::Result<Vec<Target>> {
    if specs.is_empty() {
        return Ok(config
            .probe
            .targets
            .iter()
            .map(|t| t.target.clone())
            .collect());
    }
    specs
        .iter()
        .map(|s| Target::parse(None, s).map_err(|e| BadInput(e.to_string()).into()))
        .collect()
}

/// The count and timeout of the round: the largest configured for any target, else the
/// `[probe]` defaults.
fn round_settings(config: &Config, specs: &[String]) -> (u32, Duration) {
    let p = &config.probe;
    if !specs.is_empty() || p.targets.is_empty() {
        return (p.count, p.timeout);
    }
    let count = p.targets.iter().map(|t| t.count).max().unwrap_or(p.count);
    let timeout = p
        .targets
        .iter()
        .map(|t| t.timeout)
        .max()
        .unwrap_or(p.timeout);
    (count, timeout)
}

/// Runs `bandwatch test [TARGET…]`.
pub fn command(config: &Config, specs: &[String], json: bool) -> anyhow::Result<()> {
    let targets = targets(config, specs)?;
    if targets.is_empty() {
        return Err(BadInput(
            "no probe targets: list them under `probe.targets` in the configuration, in \
             BANDWATCH_TARGETS or MONITORED_DEVICES (comma-separated, e.g. \
             `192.168.1.1,tcp://nas.lan:445,https://example.com`), or give them here: \
             `bandwatch test 192.168.1.1 tcp://nas.lan:445`"
                .to_string(),
        )
        .into());
    }
    let (count, timeout) = round_settings(config, specs);
    // One round only, so no interval to fit: probes [`GAP`] apart.
    let cfg = round_config(timeout + GAP * count, count, timeout);
    let prober = Prober::open_for(&targets).map_err(|e| BadInput(e.to_string()))?;
    let report = prober
        .run(&targets, &cfg)
        .map_err(|e| BadInput(e.to_string()))?;
    let outcomes: Vec<Outcome> = report.results.iter().map(Outcome::from).collect();
    if json {
        println!("{}", serde_json::to_string(&outcomes)?);
    } else {
        print!("{}", table(&outcomes));
    }
    if outcomes.iter().any(|o| o.status != "up") {
        std::process::exit(i32::from(error::EXIT_FAILURE));
    }
    Ok(())
}

/// The outcomes as an aligned table.
pub fn table(outcomes: &[Outcome]) -> String {
    let width = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = format!(
        "{:<width$}  {:<6} {:>9} {:>9} {:>9} {:>6}  {:<4}  ERROR\n",
        "NAME", "STATUS", "MIN ms", "AVG ms", "MAX ms", "LOSS", "HTTP"
    );
    let num = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
    for o in outcomes {
        let up = o.status == "up";
        let http = o
            .http_status
            .map_or_else(|| "-".to_string(), |c| c.to_string());
        let why = if up {
            ""
        } else {
            o.error.as_deref().unwrap_or("no answer")
        };
        let line = format!(
            "{:<width$}  {:<6} {:>9} {:>9} {:>9} {:>5.0}%  {http:<4}  {why}",
            o.name,
            if up { "up" } else { "DOWN" },
            num(o.rtt_min_ms),
            num(o.rtt_avg_ms),
            num(o.rtt_max_ms),
            o.loss_percent,
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}
