//! `bandwatch stats`: a snapshot of this machine and its network now. Two readings of the
//! system and interface sources [`GAP`] apart give CPU, disk and interface rates; the
//! history database, when there is one, gives each probe target's last state and uptime.

mod history;
mod report;

use std::time::Duration;

use bandwatch_collect::{Source, SystemConfig, SystemSource};
use bandwatch_core::{Clock as _, Frame, SystemClock};

use crate::config::Config;
pub use report::Snapshot;

/// Time between the two readings.
pub const GAP: Duration = Duration::from_secs(1);

/// Runs `bandwatch stats`: prints the snapshot as text, or as one JSON object with `json`
/// (the shape is documented on [`Snapshot`]).
pub fn command(config: &Config, json: bool) -> anyhow::Result<()> {
    let (system, netdev) = read_twice(config)?;
    let (history, store) = history::open(config)?;
    let now = SystemClock::new().wall();
    let mut targets = Vec::new();
    if let Some(store) = &store {
        let store = store.as_ref();
        for t in &config.probe.targets {
            targets.push(history::target_state(
                store,
                &t.target.name,
                Some(&t.spec),
                now,
            )?);
        }
        // Targets removed from the configuration still have a last week of rounds to show.
        let configured: Vec<&str> = config
            .probe
            .targets
            .iter()
            .map(|t| t.target.name.as_str())
            .collect();
        for name in history::other_targets(store, &configured)? {
            let state = history::target_state(store, &name, None, now)?;
            if state.up.is_some() {
                targets.push(state);
            }
        }
    }
    let snapshot = Snapshot::from_frames(system.as_ref(), netdev.as_ref(), history, targets);
    if json {
        let json = crate::output::escape_unsafe_chars(serde_json::to_string(&snapshot)?);
        println!("{json}");
    } else {
        print!("{}", snapshot.render());
    }
    Ok(())
}

/// A baseline reading of each source, a pause, and the reading that has rates.
fn read_twice(config: &Config) -> anyhow::Result<(Option<Frame>, Option<Frame>)> {
    let mut system = SystemSource::new(
        SystemConfig {
            proc_root: config.paths.proc_root.clone(),
            ..SystemConfig::default()
        },
        crate::wiring::sources::file_system(config),
        SystemClock::new(),
    );
    let mut netdev = crate::wiring::sources::netdev_source(config)?;
    let first = |s: &mut dyn Source| {
        if let Err(e) = s.collect() {
            tracing::debug!(source = s.name(), error = %e, "baseline reading failed");
        }
    };
    first(&mut system);
    first(&mut netdev);
    pause(GAP);
    let system = system.collect().unwrap_or_else(|e| {
        eprintln!("warning: cannot read the system figures: {}", safe(&e));
        None
    });
    let netdev = netdev.collect().unwrap_or_else(|e| {
        eprintln!("warning: cannot read the interfaces: {}", safe(&e));
        None
    });
    Ok((system, netdev))
}

/// An error for the terminal: its paths come from the configuration and its quoted lines
/// from the kernel, either may hold control characters.
fn safe(e: &dyn std::fmt::Display) -> String {
    bandwatch_core::human::escape_control(&e.to_string()).into_owned()
}

/// Waits `d` on the system clock (nothing can cut it short).
fn pause(d: std::time::Duration) {
    let clock = std::sync::Arc::new(SystemClock::new());
    let until = bandwatch_core::Clock::monotonic(clock.as_ref()) + d;
    bandwatch_agent::Wait::until(
        &bandwatch_agent::ClockWait::new(clock),
        until,
        &bandwatch_agent::Cancel::new(),
    );
}
