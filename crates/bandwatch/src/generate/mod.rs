//! `bandwatch generate`: test traffic to check a setup end to end. By default both ends run
//! here, through loopback; `--serve` runs the far end on another machine and `--peer` sends
//! to it. The traffic engine (threads, sockets, pacing) is `bandwatch-generate`'s; this
//! module resolves the flags, prints progress and the summary.

mod link;
mod report;
mod request;

use std::io::IsTerminal as _;

use bandwatch_generate::{LinkCounters, ServerEvent, Target, Tick};

use crate::cli::GenerateArgs;
use crate::error::BadInput;
use report::{progress_line, SummaryJson};
use request::Request;

/// Runs `bandwatch generate`.
pub fn command(args: &GenerateArgs, json: bool) -> anyhow::Result<()> {
    match request::resolve(args)? {
        Request::Serve { listen } => serve(&listen),
        Request::Send {
            target,
            upload,
            download,
        } => send(&target, upload, download, json),
    }
}

/// The far end, until stopped: a line per session begun and ended.
fn serve(listen: &str) -> anyhow::Result<()> {
    let server =
        bandwatch_generate::Server::bind(listen).map_err(|e| BadInput(format!("--listen: {e}")))?;
    println!(
        "bandwatch generate: serving on {}; run `bandwatch generate --peer THIS-HOST:{}` on the \
         other machine",
        server.local_addr()?,
        server.local_addr()?.port()
    );
    server.run(|event| println!("{}", event_line(&event)))?;
    Ok(())
}

/// A far end's log line.
fn event_line(event: &ServerEvent) -> String {
    let plan = |p: Option<bandwatch_generate::Plan>| {
        p.map_or_else(
            || "none".to_string(),
            |p| {
                format!(
                    "{} bit/s for {:.1} s",
                    p.rate_bps,
                    p.duration().as_secs_f64()
                )
            },
        )
    };
    match event {
        ServerEvent::Started {
            peer,
            upload,
            download,
        } => format!(
            "{peer}: session: they send {}, we send {}",
            plan(*upload),
            plan(*download)
        ),
        ServerEvent::Finished {
            peer,
            received,
            sent,
        } => format!("{peer}: done: received {received} B, sent {sent} B of payload"),
        ServerEvent::Failed { peer, error } => format!("{peer}: failed: {error}"),
    }
}

/// A session: progress each second, then the summary.
fn send(
    target: &Target,
    upload: Option<bandwatch_generate::Plan>,
    download: Option<bandwatch_generate::Plan>,
    json: bool,
) -> anyhow::Result<()> {
    let counters = link::for_target(target).map(|l| Box::new(l) as Box<dyn LinkCounters>);
    let mut running = bandwatch_generate::start(target, upload, download, counters).map_err(
        |e| match target {
            Target::Peer(p) => anyhow::anyhow!("--peer {p}: {e}"),
            Target::Loopback => e.into(),
        },
    )?;
    // With --json, stdout holds the one summary object; progress goes to a terminal only.
    let show = !json || std::io::stderr().is_terminal();
    let mut prev: Option<Tick> = None;
    while let Some(tick) = running.next_tick() {
        if show {
            let line = progress_line(prev.as_ref(), &tick);
            if json {
                eprintln!("{line}");
            } else {
                println!("{line}");
            }
        }
        prev = Some(tick);
    }
    let summary = SummaryJson::new(&running.finish()?, *target == Target::Loopback);
    if let Some(m) = summary.mismatch() {
        eprintln!("warning: {m}");
    }
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print!("{}", summary.text());
    }
    Ok(())
}
