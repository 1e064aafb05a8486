//! `bandwatch init`: writes a commented `bandwatch.toml` for a first start. On a terminal it
//! asks a few questions (the interfaces to watch, the limits, the router to probe, proposing
//! the default gateway from `/proc/net/route`, and an email or webhook to notify); without a
//! terminal, or with `--defaults`, it writes what each question proposes. It never replaces
//! a file without `--force`, checks what it wrote reads back as a valid configuration, and
//! writes atomically.

pub mod answers;
pub mod prompt;
pub mod render;
pub mod route;
pub mod write;

use std::io::{BufReader, IsTerminal as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::InitArgs;
use crate::config::FlagValues;
use crate::error::BadInput;
use answers::{Answers, Facts, Notify};

/// Where the file goes without `--config`.
const DEFAULT_PATH: &str = "bandwatch.toml";

/// Runs `bandwatch init`; `config` is the `--config` flag.
pub fn command(args: &InitArgs, config: Option<&Path>, flags: &FlagValues) -> anyhow::Result<()> {
    let path = config.map_or_else(|| PathBuf::from(DEFAULT_PATH), Path::to_path_buf);
    // Before any question: an answer typed for a file that will not be written is wasted.
    if !args.force && std::fs::symlink_metadata(&path).is_ok() {
        return Err(write::exists(&path).into());
    }
    let facts = facts(flags.path("--proc-root").unwrap_or(Path::new("/proc")));
    let interactive =
        !args.defaults && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let answers = if interactive {
        let stdin = std::io::stdin();
        let mut p = prompt::Prompt::new(BufReader::new(stdin.lock()), std::io::stdout())
            .with_hiding(Box::new(prompt::terminal_echo));
        answers::ask(&mut p, &facts).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                anyhow::anyhow!(
                    "init stopped before every question was answered; nothing was written"
                )
            } else {
                anyhow::Error::new(e).context("asking on the terminal")
            }
        })?
    } else {
        Answers::proposed(&facts)
    };
    let text = render::render(&answers);
    // What is written must start bandwatch; an answer the checks let through but the
    // configuration refuses stops here, before anything is written.
    crate::config::from_file_text(&text, &path).map_err(|e| {
        BadInput(format!(
            "{e}; nothing was written, run `bandwatch init` again"
        ))
    })?;
    write::write_atomically(&path, &text, answers.has_secret(), args.force)
        .with_context(|| format!("writing {}", path.display()))?;
    print!("{}", summary(&path, &answers, &facts));
    Ok(())
}

/// The interfaces and the default gateway of the machine whose proc filesystem is at `proc`;
/// what cannot be read is simply not proposed.
fn facts(proc: &Path) -> Facts {
    let interfaces = std::fs::read(proc.join("net/dev"))
        .map(|text| {
            bandwatch_collect::netdev::parse::parse_proc_net_dev(&text)
                .interfaces
                .iter()
                .map(|i| bandwatch_collect::netdev::name::shown(i.name).into_owned())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default();
    let gateway = std::fs::read_to_string(proc.join("net/route"))
        .ok()
        .and_then(|t| route::default_gateway(&t));
    Facts {
        interfaces,
        gateway,
    }
}

/// What was written, for people; a password is never repeated, a webhook URL shows its host.
fn summary(path: &Path, a: &Answers, facts: &Facts) -> String {
    let watched = if a.interfaces.is_empty() {
        if facts.interfaces.is_empty() {
            "all interfaces".to_string()
        } else {
            format!("all interfaces ({})", facts.interfaces.join(", "))
        }
    } else {
        a.interfaces.join(", ")
    };
    let probe = a
        .router
        .as_deref()
        .map_or_else(|| "nothing".to_string(), |r| format!("the router at {r}"));
    let notify = match &a.notify {
        Notify::Nowhere => "the log only".to_string(),
        Notify::Email(e) => {
            let login = if e.username.is_empty() {
                "without a login".to_string()
            } else {
                format!("as {} (password saved in the file, not shown)", e.username)
            };
            format!(
                "email to {} through {}:{} {login}",
                e.to.join(", "),
                e.server,
                e.port
            )
        }
        Notify::Webhook { url } => format!("a webhook at {}", crate::config::hidden_url(url)),
    };
    let check = if path == Path::new(DEFAULT_PATH) {
        "bandwatch config check".to_string()
    } else {
        format!("bandwatch config check --config {}", path.display())
    };
    format!(
        "wrote {}:\n  watch      {watched}\n  limits     upload {} Mbit/s, download {} Mbit/s\n  probe      {probe}\n  notify     {notify}\nCheck it with `{check}`, then start with `bandwatch run`.\n",
        path.display(),
        a.upload_mbps,
        a.download_mbps,
    )
}
