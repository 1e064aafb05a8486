//! What the netdev source remembers about each interface between ticks.

use std::collections::HashMap;
use std::path::Path;

use crate::fs::FileSystem;

use super::counter::{counter_delta, Movement, Outcome};
use super::link::{self, LinkPaths};
use super::metric::{COUNTERS, COUNTER_METRICS};
use super::series::{CounterSeries, Deltas, LinkSeries};

/// A watched interface: its last counters and everything built for it on first sight.
pub(crate) struct Tracked {
    counters: [u64; COUNTERS],
    pub link_paths: LinkPaths,
    /// Decided once: whether an interface is a loopback does not change while it exists.
    pub loopback: bool,
    pub series: CounterSeries,
    pub link_series: LinkSeries,
}

impl Tracked {
    /// Baselines an interface seen for the first time.
    pub fn new<F: FileSystem + ?Sized>(
        name: &str,
        counters: [u64; COUNTERS],
        sys_root: &Path,
        fs: &F,
    ) -> Self {
        Self {
            counters,
            link_paths: LinkPaths::new(sys_root, name),
            loopback: link::is_loopback(fs, sys_root, name),
            series: CounterSeries::for_iface(name),
            link_series: LinkSeries::for_iface(name),
        }
    }

    /// Moves to the new readings and returns the accepted deltas since the previous ones.
    pub fn advance(
        &mut self,
        name: &str,
        now: [u64; COUNTERS],
        secs: f64,
        max_plausible_bps: f64,
    ) -> Deltas {
        let mut out = [None; COUNTERS];
        for (i, slot) in out.iter_mut().enumerate() {
            let (prev, cur) = (self.counters[i], now[i]);
            match counter_delta(prev, cur, secs, max_plausible_bps) {
                Outcome::Delta { value, movement } => {
                    if movement != Movement::Increase {
                        let metric = COUNTER_METRICS[i].delta;
                        tracing::debug!(
                            iface = name,
                            metric,
                            prev,
                            cur,
                            ?movement,
                            value,
                            "counter went backwards"
                        );
                    }
                    *slot = Some(value);
                }
                Outcome::Discard(why) => {
                    let metric = COUNTER_METRICS[i].delta;
                    tracing::debug!(
                        iface = name,
                        metric,
                        prev,
                        cur,
                        ?why,
                        "counter change discarded"
                    );
                }
            }
        }
        // The new readings are the baseline even where a change was discarded, so the
        // discard costs this interval only.
        self.counters = now;
        out
    }
}

/// One interface name on the list: watched (`Some`) or filtered out (`None`, remembered so
/// the globs are matched once per appearance rather than every tick).
struct Slot {
    seen: u64,
    tracked: Option<Tracked>,
}

/// Every interface on the list at the last tick, by name.
#[derive(Default)]
pub(crate) struct Interfaces {
    slots: HashMap<String, Slot>,
    tick: u64,
}

impl Interfaces {
    /// Starts a tick; interfaces not observed before [`Self::forget_vanished`] are dropped.
    pub fn begin_tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
    }

    /// Marks `name` present this tick. Returns it when it was watched on the previous tick;
    /// a name seen for the first time is admitted by `admit` (or remembered as filtered out)
    /// and yields nothing until the next tick. A duplicate line in one tick is ignored.
    pub fn observe(
        &mut self,
        name: &str,
        admit: impl FnOnce() -> Option<Tracked>,
    ) -> Option<&mut Tracked> {
        let tick = self.tick;
        // Two lookups, because returning the borrow from a first `get_mut` would keep the
        // map borrowed in the insert branch (a known borrow-checker limitation).
        if !self.slots.contains_key(name) {
            let tracked = admit();
            self.slots.insert(
                name.to_owned(),
                Slot {
                    seen: tick,
                    tracked,
                },
            );
            return None;
        }
        let slot = self.slots.get_mut(name)?;
        if slot.seen == tick {
            return None;
        }
        slot.seen = tick;
        slot.tracked.as_mut()
    }

    /// Forgets interfaces absent this tick, so one that returns is baselined afresh.
    pub fn forget_vanished(&mut self) {
        let tick = self.tick;
        self.slots.retain(|_, slot| slot.seen == tick);
    }

    /// How many interfaces are watched.
    pub fn watched(&self) -> usize {
        self.slots.values().filter(|s| s.tracked.is_some()).count()
    }
}
