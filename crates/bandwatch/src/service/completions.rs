//! `bandwatch completions SHELL`: the completion script for bash, zsh or fish, generated from
//! the command line's own definition.

use std::io::Write;

use clap::CommandFactory as _;

use crate::cli::{Cli, Shell};

/// Writes `shell`'s completion script for `bandwatch` to `out`.
pub fn command(shell: Shell, out: &mut dyn Write) -> anyhow::Result<()> {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut cli = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(generator, &mut cli, "bandwatch", &mut buf);
    out.write_all(&buf)?;
    Ok(())
}
