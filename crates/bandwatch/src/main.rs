//! bandwatch: watches network bandwidth on this machine, keeps the history and warns when
//! limits are crossed. This binary parses the command line, resolves the configuration once
//! and wires the agent.

mod alerts;
mod analyze;
mod caps;
mod chart;
mod cli;
mod config;
mod devices;
mod error;
mod export;
mod generate;
mod history;
mod init;
mod interfaces;
mod logging;
mod output;
mod ping;
mod replay;
mod report;
mod serve;
mod service;
mod stats;
mod summary;
mod top;
mod when;
mod wiring;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use crate::cli::{Cli, Command, ConfigCommand, NotifyCommand};
use crate::config::{EnvVars, Resolved};
use crate::error::BadInput;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote what the user gave (names, paths, values): control characters in it
            // must not reach the terminal.
            eprintln!("error: {}", printable(&format!("{e:#}")));
            ExitCode::from(error::exit_code(&e))
        }
    }
}

/// An error as the terminal may show it: control characters escaped line by line, so a
/// message that spans lines keeps its shape.
fn printable(message: &str) -> String {
    message
        .split('\n')
        .map(|line| bandwatch_core::human::escape_control(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn real_main(cli: &Cli) -> anyhow::Result<()> {
    let flags = cli.flags()?;
    // `init` writes the configuration: it reads none, so a broken one cannot stop it.
    if let Some(Command::Init(args)) = &cli.command {
        return init::command(args, cli.config.as_deref(), &flags);
    }
    // Generated from the command line alone: they must work before any configuration exists.
    match &cli.command {
        Some(Command::Completions(args)) => {
            return service::completions::command(args.shell, &mut std::io::stdout().lock())
        }
        Some(Command::Man(args)) => {
            let out = &mut std::io::stdout().lock();
            return match &args.dir {
                Some(dir) => service::man::write_all(dir, out),
                None => service::man::command(out),
            };
        }
        _ => {}
    }
    // `generate` needs no configuration either: test traffic must run on a machine that
    // has none yet.
    if let Some(Command::Generate(args)) = &cli.command {
        return generate::command(args, flags.switched("--json"));
    }
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let env = EnvVars::gather(&cwd)?;
    let resolved = config::resolve(cli.config.as_deref(), &flags, &env, &cwd)?;
    let json = flags.switched("--json");
    match &cli.command {
        Some(Command::Config(ConfigCommand::Check(_))) => config_check(&resolved),
        Some(Command::Run(_)) | None => run(&resolved),
        Some(Command::Alerts(args)) => alerts::command(args, &resolved.config, json),
        Some(Command::Notify(NotifyCommand::Test(args))) => {
            notify_test(&resolved, args.channel.as_deref())
        }
        Some(Command::Replay(args)) => replay_file(&resolved, &args.file, json),
        Some(Command::Stats(_)) => stats::command(&resolved.config, json),
        Some(Command::Test(args)) => ping::command(&resolved.config, &args.targets, json),
        Some(Command::Devices(args)) => devices::command(&resolved.config, args, json),
        Some(Command::Serve(_)) => serve::command(&resolved),
        Some(Command::Report(args)) => report::command(&resolved.config, args, json),
        Some(Command::Export(args)) => {
            export::command(&resolved.config, args, flags.switched("--quiet"))
        }
        Some(Command::Analyze(args)) => analyze::command(&resolved.config, args, json),
        Some(Command::Interfaces(_)) => interfaces::command(&resolved.config, json),
        Some(Command::Top(args)) => top::command(&resolved, args, &flags),
        Some(
            Command::Init(_) | Command::Completions(_) | Command::Man(_) | Command::Generate(_),
        ) => {
            unreachable!("these run before the configuration is read")
        }
    }
}

/// `bandwatch notify test [CHANNEL]`: one test message per channel, sent directly (not through
/// the outbox); exit 1 when any channel failed.
fn notify_test(resolved: &Resolved, only: Option<&str>) -> anyhow::Result<()> {
    use bandwatch_core::Clock as _;
    use bandwatch_notify::dispatch::Outcome;
    let channels: Vec<_> = resolved
        .config
        .notify
        .channels
        .iter()
        .map(|c| &c.value)
        .filter(|c| only.is_none_or(|n| c.name == n))
        .collect();
    if channels.is_empty() {
        let which = only.map_or_else(
            || "no notification channel is configured".to_string(),
            |n| format!("no notification channel is named '{n}'"),
        );
        return Err(BadInput(format!(
            "{which}; add one under [[notify.channels]] (see the README)"
        ))
        .into());
    }
    let event = wiring::channels::test_event(bandwatch_core::SystemClock::new().wall());
    let mut failed = 0;
    for spec in channels {
        let outcome = wiring::channels::build_channel(spec, &resolved.config.notify)
            .map_err(Outcome::Permanent)
            .and_then(|mut ch| {
                ch.render(std::slice::from_ref(&event))
                    .map_err(|e| Outcome::Permanent(e.to_string()))
                    .map(|p| ch.deliver(&p))
            });
        match outcome {
            Ok(Outcome::Delivered) => println!("{} ({}): ok", spec.name, spec.kind),
            Ok(Outcome::Retry(why) | Outcome::Permanent(why))
            | Err(Outcome::Retry(why) | Outcome::Permanent(why)) => {
                failed += 1;
                println!("{} ({}): FAILED: {why}", spec.name, spec.kind);
            }
            Err(Outcome::Delivered) => {}
        }
    }
    if failed > 0 {
        std::process::exit(i32::from(error::EXIT_FAILURE));
    }
    Ok(())
}

/// `bandwatch replay FILE`: the configured rules over a recording; events on stdout.
fn replay_file(resolved: &Resolved, file: &std::path::Path, json: bool) -> anyhow::Result<()> {
    let mut engine =
        bandwatch_engine::Engine::from_specs(&config::effective_rules(&resolved.config))
            .map_err(|e| BadInput(e.to_string()))?;
    let cooldowns = wiring::sinks::cooldowns(engine.rules());
    let frames = replay::read_frames(file)?;
    for event in replay::replay(&mut engine, &frames, cooldowns) {
        if json {
            println!("{}", serde_json::to_string(&event)?);
        } else {
            println!("{}", replay::event_line(&event));
        }
    }
    Ok(())
}

fn config_check(resolved: &Resolved) -> anyhow::Result<()> {
    for w in &resolved.warnings {
        eprintln!("warning: {w}");
    }
    check_db_path(resolved)?;
    print!("{}", config::render(resolved));
    println!("# configuration is valid");
    Ok(())
}

fn run(resolved: &Resolved) -> anyhow::Result<()> {
    let config = &resolved.config;
    // Everything the user gave is checked before anything is written (log file, database).
    check_db_path(resolved)?;
    check_channels(resolved)?;
    let _log = logging::init(&config.log)?;
    for w in &resolved.warnings {
        tracing::warn!("{w}");
    }
    if let Some(file) = &resolved.file {
        tracing::info!(config = %file.display(), "configuration loaded");
    }
    wiring::run(config).map(|_| ())
}

/// The history database must be writable before anything starts; the error names the key
/// and where it was set.
fn check_db_path(resolved: &Resolved) -> Result<(), BadInput> {
    bandwatch_store::check_writable(&resolved.config.store.path).map_err(|e| {
        let origin = resolved
            .origins
            .get("store.path")
            .map_or_else(String::new, |o| format!("{o}: "));
        BadInput(format!("{origin}key 'store.path': {e}"))
    })
}

/// Every notification channel must be buildable before sampling starts, so a channel that
/// cannot work is a start-up error (exit 2) rather than a thread that quietly gives up.
fn check_channels(resolved: &Resolved) -> Result<(), BadInput> {
    for c in &resolved.config.notify.channels {
        wiring::channels::build_channel(&c.value, &resolved.config.notify).map_err(|e| {
            BadInput(format!(
                "{}: notify channel '{}': {e}",
                c.origin, c.value.name
            ))
        })?;
    }
    Ok(())
}
