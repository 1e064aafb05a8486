//! The slow sources (system health, probe rounds) on threads of their own, so a probe round
//! that waits for its timeout never delays an interface tick. Each thread sends its frames
//! to the agent loop over a bounded channel.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use bandwatch_collect::{ProbeConfig, ProbeSource, Source, SystemConfig, SystemSource, Target};
use bandwatch_core::{Frame, SourceBoard, SystemClock};
use tokio::sync::mpsc::Sender;

use crate::config::probe::ProbeTarget;
use crate::config::Config;
use crate::error::BadInput;

/// Frames waiting for the agent loop; a source blocks when the loop is this far behind.
pub const QUEUE: usize = 64;

/// Wakes sleeping source threads at shutdown.
#[derive(Clone, Default)]
pub struct Stop(Arc<(Mutex<bool>, Condvar)>);

impl Stop {
    /// Tells every thread to stop.
    pub fn stop(&self) {
        let (flag, cv) = &*self.0;
        if let Ok(mut f) = flag.lock() {
            *f = true;
        }
        cv.notify_all();
    }

    /// Sleeps up to `d`; true when stopped meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let (flag, cv) = &*self.0;
        let Ok(guard) = flag.lock() else { return true };
        match cv.wait_timeout_while(guard, d, |stopped| !*stopped) {
            Ok((g, _)) => *g,
            Err(_) => true,
        }
    }
}

/// A source with its schedule: read at once, then every `every`; a reading that was only
/// a baseline (no frame) is followed by another within [`BASELINE_GAP`].
struct Scheduled {
    source: Box<dyn Source + Send>,
    every: Duration,
}

/// Longest wait after a baseline reading, so that health numbers show up within seconds of
/// starting rather than a whole interval later.
const BASELINE_GAP: Duration = Duration::from_secs(5);

/// Starts the system source and one probe thread per distinct schedule. Opening the ICMP
/// sockets happens here, so a missing privilege stops the start with the fix to apply.
pub fn start(
    config: &Config,
    tx: &Sender<Frame>,
    stop: &Stop,
    board: &SourceBoard,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let mut scheduled = Vec::new();
    if config.system.enabled {
        let source = SystemSource::new(
            SystemConfig {
                proc_root: config.paths.proc_root.clone(),
                ..SystemConfig::default()
            },
            super::file_system(config),
            SystemClock::new(),
        );
        scheduled.push(Scheduled {
            source: Box::new(source),
            every: config.system.interval,
        });
    }
    for (cfg, every, targets) in probe_groups(&config.probe.targets) {
        let source = ProbeSource::new(targets, cfg, SystemClock::new())
            .map_err(|e| BadInput(format!("probe targets: {e}")))?;
        scheduled.push(Scheduled {
            source: Box::new(source),
            every,
        });
    }
    scheduled
        .into_iter()
        .map(|s| spawn(s, tx.clone(), stop.clone(), board.clone()))
        .collect()
}

/// Targets that share interval, count and timeout are probed in one round.
fn probe_groups(targets: &[ProbeTarget]) -> Vec<(ProbeConfig, Duration, Vec<Target>)> {
    let mut groups: BTreeMap<(Duration, u32, Duration), Vec<Target>> = BTreeMap::new();
    for t in targets {
        groups
            .entry((t.interval, t.count, t.timeout))
            .or_default()
            .push(t.target.clone());
    }
    groups
        .into_iter()
        .map(|((every, count, timeout), targets)| {
            (round_config(every, count, timeout), every, targets)
        })
        .collect()
}

/// Probes one second apart, like ping, unless the round would then not fit its interval.
pub fn round_config(every: Duration, count: u32, timeout: Duration) -> ProbeConfig {
    let room = every.saturating_sub(timeout) / count.max(1);
    ProbeConfig {
        count,
        timeout,
        gap: room.min(Duration::from_secs(1)),
    }
}

fn spawn(
    mut s: Scheduled,
    tx: Sender<Frame>,
    stop: Stop,
    board: SourceBoard,
) -> anyhow::Result<JoinHandle<()>> {
    let name = format!("source-{}", s.source.name());
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let mut wait = Duration::ZERO;
            loop {
                if stop.sleep(wait) {
                    return;
                }
                let started = std::time::Instant::now();
                let mut every = s.every;
                let collected = s.source.collect();
                let frame_at = match &collected {
                    Ok(Some(f)) => Some(f.ts),
                    _ => None,
                };
                board.record(s.source.name(), started.elapsed(), collected.is_ok(), frame_at);
                match collected {
                    Ok(Some(frame)) => {
                        if tx.blocking_send(frame).is_err() {
                            return;
                        }
                    }
                    Ok(None) => every = every.min(BASELINE_GAP),
                    Err(e) => tracing::warn!(source = s.source.name(), error = %e, "collection failed; will try again"),
                }
                wait = every.saturating_sub(started.elapsed());
            }
        })
        .with_context(|| format!("starting the {name} thread"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_fit_their_interval() {
        let c = round_config(Duration::from_secs(30), 5, Duration::from_secs(5));
        assert_eq!(c.gap, Duration::from_secs(1));
        let c = round_config(Duration::from_secs(2), 5, Duration::from_secs(1));
        assert_eq!(c.gap, Duration::from_millis(200));
    }
}
