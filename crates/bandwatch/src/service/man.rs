//! `bandwatch man`: the manual page bandwatch(1) in roff, generated from the command line's
//! own definition, with the files, environment and exit codes a packaged install has.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::error::BadInput;

/// What clap does not know: where a packaged install keeps things and what the exit codes mean.
/// Plain text with roff requests only at line starts; nothing user-supplied is in it.
const EXTRA: &str = r#".SH FILES
.TP
.I /etc/bandwatch/config.toml
The configuration read when no \fB./bandwatch.toml\fR and no
\fB$XDG_CONFIG_HOME/bandwatch/config.toml\fR exist; \fBbandwatch config check\fR validates it.
.TP
.I /etc/bandwatch/bandwatch.env
BANDWATCH_* variables for the systemd unit (secrets such as tokens; keep it mode 0600).
.TP
.I /var/lib/bandwatch
The service's working directory and history.
.SH ENVIRONMENT
Every configuration key has a \fBBANDWATCH_*\fR variable; \fBbandwatch config check\fR shows
where each value came from.
Under systemd, \fBNOTIFY_SOCKET\fR and \fBWATCHDOG_USEC\fR make \fBbandwatch run\fR report
readiness, watchdog pings and shutdown (Type=notify).
.SH "EXIT STATUS"
0 on success, 1 when something failed while running, 2 when the command line or the
configuration is wrong (the message names the problem and the fix).
.SH "SEE ALSO"
\fBbandwatch COMMAND \-\-help\fR for each command's options.
"#;

/// Writes bandwatch(1) to `out`.
pub fn command(out: &mut dyn Write) -> anyhow::Result<()> {
    out.write_all(&top_page()?)?;
    Ok(())
}

/// Writes bandwatch(1) and a page per command (`bandwatch-run.1`, `bandwatch-config-check.1`,
/// …, the pages the top one refers to) into `dir`, and names each file written on `out`.
pub fn write_all(dir: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Err(BadInput(format!(
            "--dir {}: no such directory; create it first (mkdir -p {})",
            dir.display(),
            dir.display()
        ))
        .into());
    }
    let mut pages = vec![("bandwatch.1".to_string(), top_page()?)];
    for sub in built().get_subcommands() {
        command_pages(sub, &mut pages)?;
    }
    for (name, page) in pages {
        let path = dir.join(&name);
        std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(())
}

/// The command line as the pages show it: names resolved (`bandwatch-run`) and no `help`
/// command, which has no page of its own.
fn built() -> clap::Command {
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    cli
}

fn top_page() -> anyhow::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(built());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    buf.extend_from_slice(EXTRA.as_bytes());
    man.render_version_section(&mut buf)?;
    Ok(ascii_only(&buf))
}

/// The page of `cmd` and of each command under it, depth first.
fn command_pages(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render(&mut buf)?;
    pages.push((man.get_filename(), ascii_only(&buf)));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        command_pages(sub, pages)?;
    }
    Ok(())
}

/// Help texts hold a few non-ASCII characters (`…`, `—`); troff without preconv (as `man -l`
/// runs it on some systems) warns about each, so they are written as groff's `\[uXXXX]`.
fn ascii_only(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            // Writing to a String cannot fail.
            let _ = std::fmt::Write::write_fmt(&mut out, format_args!("\\[u{:04X}]", u32::from(c)));
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::ascii_only;

    #[test]
    fn non_ascii_becomes_a_groff_escape() {
        assert_eq!(
            ascii_only("a \u{2026} b \u{2014}".as_bytes()),
            b"a \\[u2026] b \\[u2014]"
        );
    }
}
