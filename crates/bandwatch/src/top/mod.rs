//! `bandwatch top`: the live terminal view. Standalone it samples this machine with the same
//! sources as `run` (through the agent, so probe rounds never hold the screen up), storing
//! nothing unless `--db` is given; with `--connect URL` it shows a running agent's values
//! through its API. The view itself (state, update, rendering) is `bandwatch-tui`; this module
//! owns the terminal, the keys and the feed.

mod keys;
mod local;
mod remote;
mod terminal;

use std::time::Duration;

use bandwatch_tui::{Options, State, Vocabulary};

use crate::cli::TopArgs;
use crate::config::{FlagValues, Resolved};
use crate::error::BadInput;

/// How much history the chart keeps.
const WINDOW: Duration = Duration::from_secs(120);

/// Runs `bandwatch top` until `q`.
pub fn command(resolved: &Resolved, args: &TopArgs, flags: &FlagValues) -> anyhow::Result<()> {
    let config = &resolved.config;
    let store = flags.switched("--db");
    if store {
        crate::check_db_path(resolved)?;
    }
    let remote = args
        .connect
        .as_deref()
        .map(|url| remote::Agent::new(url, config.web.token.as_deref()))
        .transpose()?;
    if !terminal::is_terminal() {
        return Err(BadInput(
            "`bandwatch top` draws on a terminal, and standard output is not one; run it in a \
             terminal (or use `bandwatch run` or `bandwatch stats` for text)"
                .into(),
        )
        .into());
    }
    let title = match &remote {
        Some(agent) => format!("bandwatch top · {}", agent.shown_url()),
        None => format!("bandwatch top · {}", host_name()),
    };
    let state = State::new(
        Vocabulary::new(
            bandwatch_collect::catalog(),
            bandwatch_collect::system::metric::CPU_TOTAL,
            "avg",
        ),
        Options {
            color: colour_allowed(std::env::var_os("NO_COLOR").as_deref()),
            window: WINDOW,
            title,
        },
    );
    match remote {
        Some(agent) => remote::run(state, &agent, config.monitor.interval),
        None => local::run(state, config, store),
    }
}

/// NO_COLOR set to anything but the empty string turns every colour off (no-color.org).
fn colour_allowed(no_color: Option<&std::ffi::OsStr>) -> bool {
    no_color.is_none_or(std::ffi::OsStr::is_empty)
}

/// This machine's name for the title line.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

#[cfg(test)]
mod tests {
    use super::colour_allowed;

    #[test]
    fn no_color_with_any_value_turns_colours_off() {
        assert!(colour_allowed(None));
        assert!(colour_allowed(Some("".as_ref())));
        assert!(!colour_allowed(Some("1".as_ref())));
        assert!(!colour_allowed(Some("yes".as_ref())));
    }
}
