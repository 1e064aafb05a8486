//! [`ProbeSource`]: one probe round per tick, as a [`Source`].

use std::time::Duration;

use bandwatch_core::{Clock, Frame, Seconds};

use super::error::Result as ProbeResult;
use super::metric::push_report;
use super::round::{ProbeConfig, Prober, RoundReport, TargetResult};
use super::stats::RoundStats;
use super::Target;
use crate::Source;

/// The name this source puts in [`Frame::source`].
pub const SOURCE_NAME: &str = "probe";

/// Probes its targets once per tick; a tick lasts about one round
/// (`(count - 1) × gap + timeout` at most).
pub struct ProbeSource<C: Clock> {
    prober: Prober,
    targets: Vec<Target>,
    cfg: ProbeConfig,
    clock: C,
    last_tick: Option<Duration>,
}

impl<C: Clock> ProbeSource<C> {
    /// Validates `cfg` and opens the ICMP sockets now, so privileges can be dropped after.
    pub fn new(targets: Vec<Target>, cfg: ProbeConfig, clock: C) -> ProbeResult<Self> {
        cfg.validate()?;
        Ok(Self {
            prober: Prober::open_for(&targets)?,
            targets,
            cfg,
            clock,
            last_tick: None,
        })
    }

    /// The prober, to tell which ICMP mode is in use.
    pub fn prober(&self) -> &Prober {
        &self.prober
    }
}

impl<C: Clock> Source for ProbeSource<C> {
    fn name(&self) -> &str {
        SOURCE_NAME
    }

    /// One round; every target is reported each tick, a failed round as all targets down
    /// (the cause goes to the log, since probe errors are not [`crate::CollectError`]s).
    fn collect(&mut self) -> crate::Result<Option<Frame>> {
        let report = self
            .prober
            .run(&self.targets, &self.cfg)
            .unwrap_or_else(|e| {
                tracing::warn!(target: "bandwatch::probe", "probe round failed: {e}");
                all_down(&self.targets, self.cfg.count, &e.to_string())
            });
        let now = self.clock.monotonic();
        let elapsed = self
            .last_tick
            .map_or(Duration::ZERO, |t| now.saturating_sub(t));
        self.last_tick = Some(now);
        let mut frame = Frame::new(
            SOURCE_NAME,
            self.clock.wall(),
            Seconds(elapsed.as_secs_f64()),
        );
        push_report(&mut frame, &report);
        Ok(Some(frame))
    }
}

fn all_down(targets: &[Target], count: u32, why: &str) -> RoundReport {
    RoundReport {
        results: targets
            .iter()
            .map(|t| TargetResult {
                name: t.name.clone(),
                stats: RoundStats::from_rtts(&vec![None; count as usize]),
                http_status: None,
                last_error: Some(why.to_owned()),
            })
            .collect(),
        icmp_v4_mode: None,
        icmp_v6_mode: None,
    }
}
