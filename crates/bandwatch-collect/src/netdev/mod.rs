//! The interface source: byte, packet, error and drop counters from `<proc_root>/net/dev`
//! turned into exact per-interval deltas and rates, plus link state from
//! `<sys_root>/class/net/<iface>/`.

mod bad_lines;
pub mod counter;
pub mod filter;
pub mod link;
pub mod metric;
pub mod name;
pub mod parse;
mod series;
mod state;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use bandwatch_core::{Clock, Frame, Seconds};

use crate::error::{CollectError, Result};
use crate::fs::FileSystem;
use crate::Source;

pub use filter::InterfaceFilter;
pub use parse::{parse_proc_net_dev, IfaceCounters, ProcNetDev};

use bad_lines::BadLines;
use series::{CounterSeries, Totals};
use state::{Interfaces, Tracked};

/// The name this source puts in [`Frame::source`].
pub const SOURCE_NAME: &str = "netdev";

/// Settings of the interface source.
#[derive(Debug, Clone)]
pub struct NetdevConfig {
    /// Where procfs is mounted; counters are read from `<proc_root>/net/dev`.
    pub proc_root: PathBuf,
    /// Where sysfs is mounted; link state is read from `<sys_root>/class/net/<iface>/`.
    pub sys_root: PathBuf,
    /// Which interfaces to watch.
    pub filter: InterfaceFilter,
    /// Whether loopback traffic counts towards the `scope="total"` series.
    pub loopback_in_total: bool,
    /// Changes implying more than this many bits per second are discarded as counter
    /// glitches, on interfaces whose link speed is unknown; where it is known, the bound is
    /// twice the link speed (see [`counter::Ceiling`]).
    pub max_plausible_bps: f64,
}

impl Default for NetdevConfig {
    fn default() -> Self {
        Self {
            proc_root: PathBuf::from("/proc"),
            sys_root: PathBuf::from("/sys"),
            filter: InterfaceFilter::all(),
            loopback_in_total: false,
            max_plausible_bps: 1e12,
        }
    }
}

/// Reads interface counters and link state on each tick; see [`Source::collect`] for what a
/// frame holds.
pub struct NetdevSource<F: FileSystem, C: Clock> {
    cfg: NetdevConfig,
    dev_path: PathBuf,
    fs: F,
    clock: C,
    /// Monotonic time of the last successful read; `None` until the baseline tick.
    last_tick: Option<Duration>,
    ifaces: Interfaces,
    bad_lines: BadLines,
    total_series: CounterSeries,
    /// Samples in the previous frame, to size the next one in one allocation.
    samples_hint: usize,
}

impl<F: FileSystem, C: Clock> NetdevSource<F, C> {
    /// A source reading through `fs` and timing with `clock`; the first tick is a baseline.
    pub fn new(cfg: NetdevConfig, fs: F, clock: C) -> Self {
        Self {
            dev_path: cfg.proc_root.join("net/dev"),
            cfg,
            fs,
            clock,
            last_tick: None,
            ifaces: Interfaces::default(),
            bad_lines: BadLines::default(),
            total_series: CounterSeries::for_total(),
            samples_hint: 0,
        }
    }

    /// The settings it runs with.
    pub fn config(&self) -> &NetdevConfig {
        &self.cfg
    }

    /// How many interfaces passed the filter on the last tick.
    pub fn watched_interfaces(&self) -> usize {
        self.ifaces.watched()
    }

    fn read_counters(&self) -> Result<Vec<u8>> {
        self.fs
            .read(&self.dev_path)
            .map_err(|source| CollectError::ReadCounters {
                path: self.dev_path.clone(),
                source,
            })
    }

    /// Records the first readings of every watched interface.
    fn baseline(&mut self, list: &[IfaceCounters<'_>]) {
        for c in list {
            observe(&mut self.ifaces, &self.cfg, &self.fs, c);
        }
    }

    /// Builds the frame for an interval of `secs` (> 0) ending with readings `list`.
    fn measure(&mut self, list: &[IfaceCounters<'_>], secs: f64) -> Frame {
        let mut frame = Frame::new(SOURCE_NAME, self.clock.wall(), Seconds(secs));
        frame.samples.reserve(self.samples_hint);
        let mut total = Totals::default();
        let (max_bps, loopback_in_total) = (self.cfg.max_plausible_bps, self.cfg.loopback_in_total);
        for c in list {
            let Some(t) = observe(&mut self.ifaces, &self.cfg, &self.fs, c) else {
                continue;
            };
            // The link is read first: its speed bounds what the counters may show.
            let link = t.link.read(&self.fs, secs);
            let ceiling = t.ceiling(&link, max_bps);
            let deltas = t.advance(metric::counter_values(c), secs, ceiling);
            t.series.push(&mut frame, &deltas, secs);
            if loopback_in_total || !t.loopback {
                total.add(&deltas);
            }
            t.link_series.push(&mut frame, &link);
        }
        self.total_series.push(&mut frame, &total.deltas(), secs);
        self.samples_hint = frame.samples.len();
        frame
    }
}

impl<F: FileSystem, C: Clock> Source for NetdevSource<F, C> {
    fn name(&self) -> &str {
        SOURCE_NAME
    }

    /// One tick. The first successful tick only records the baseline (`Ok(None)`); each
    /// later one returns a frame covering the monotonic time since the previous successful
    /// tick, with per-interface and `scope="total"` deltas and rates plus link gauges.
    /// Interfaces new to the list are baselined and reported from the next tick. A tick
    /// with no monotonic time passed returns `Ok(None)` without reading, so no change is
    /// lost; a failed read returns the error and changes nothing. A line that cannot be
    /// parsed costs only that line (warned about once while it stays bad); only a text with
    /// no readable interface line but some bad one fails the tick, as that is not a
    /// /proc/net/dev at all.
    fn collect(&mut self) -> Result<Option<Frame>> {
        let now = self.clock.monotonic();
        let span = match self.last_tick {
            None => None,
            Some(last) => match now.checked_sub(last) {
                Some(span) if !span.is_zero() => Some(span),
                _ => return Ok(None),
            },
        };
        let text = self.read_counters()?;
        let ProcNetDev {
            interfaces: list,
            bad_lines,
        } = parse_proc_net_dev(&text);
        if list.is_empty() {
            if let Some(first) = bad_lines.into_iter().next() {
                return Err(CollectError::MalformedCounters {
                    path: self.dev_path.clone(),
                    source: first,
                });
            }
        } else {
            self.bad_lines.report(&self.dev_path, &bad_lines);
        }
        self.last_tick = Some(now);
        self.ifaces.begin_tick();
        let frame = if let Some(span) = span {
            Some(self.measure(&list, span.as_secs_f64()))
        } else {
            self.baseline(&list);
            None
        };
        self.ifaces.forget_vanished();
        Ok(frame)
    }
}

/// Marks `c` present; returns its state when it was already watched. A free function so the
/// caller can keep reading through `fs` while holding the returned state.
fn observe<'a, F: FileSystem>(
    ifaces: &'a mut Interfaces,
    cfg: &NetdevConfig,
    fs: &F,
    c: &IfaceCounters<'_>,
) -> Option<&'a mut Tracked> {
    ifaces.observe(c.name, || {
        // Patterns are matched against the name as shown, as the user sees it.
        cfg.filter
            .matches(&name::shown(c.name))
            .then(|| Tracked::new(c.name, metric::counter_values(c), &cfg.sys_root, fs))
    })
}
