//! What the netdev source remembers about each interface between ticks.

use std::collections::HashMap;
use std::path::Path;

use bandwatch_core::{human, Unit};

use crate::fs::FileSystem;

use super::counter::{counter_delta, Ceiling, Discard, Movement, Outcome};
use super::link::{self, LinkPaths, LinkReader, LinkState};
use super::metric::{COUNTERS, COUNTER_METRICS};
use super::name;
use super::series::{CounterSeries, Deltas, LinkSeries};

/// A watched interface: its last counters and everything built for it on first sight.
pub(crate) struct Tracked {
    /// The name as shown in labels and logs (see [`name::shown`]).
    pub name: String,
    counters: [u64; COUNTERS],
    pub link: LinkReader,
    /// Decided once: whether an interface is a loopback does not change while it exists.
    pub loopback: bool,
    /// Decided once: whether its link speed limits what its counters may show.
    physical: bool,
    /// Whether a discarded jump was already logged as a warning; later ones go to debug,
    /// so a misbehaving driver costs one warning, not one per tick.
    warned_implausible: bool,
    pub series: CounterSeries,
    pub link_series: LinkSeries,
}

impl Tracked {
    /// Baselines an interface seen for the first time; `raw` is its name as the kernel
    /// printed it, which is what its sysfs paths are made of.
    pub fn new<F: FileSystem + ?Sized>(
        raw: &[u8],
        counters: [u64; COUNTERS],
        sys_root: &Path,
        fs: &F,
    ) -> Self {
        let shown = name::shown(raw).into_owned();
        let os = name::os(raw);
        Self {
            counters,
            link: LinkReader::new(LinkPaths::new(sys_root, os)),
            loopback: link::is_loopback(fs, sys_root, os),
            physical: link::is_physical(fs, sys_root, os),
            warned_implausible: false,
            series: CounterSeries::for_iface(&shown),
            link_series: LinkSeries::for_iface(&shown),
            name: shown,
        }
    }

    /// The ceiling for this tick: from the link speed on a physical interface that reports
    /// one, else `fallback_bps`.
    pub fn ceiling(&self, link: &LinkState, fallback_bps: f64) -> Ceiling {
        let speed = link.speed_bits_per_second.filter(|_| self.physical);
        Ceiling::new(speed, fallback_bps)
    }

    /// Moves to the new readings and returns the accepted deltas since the previous ones.
    pub fn advance(&mut self, now: [u64; COUNTERS], secs: f64, ceiling: Ceiling) -> Deltas {
        let mut out = [None; COUNTERS];
        for (i, slot) in out.iter_mut().enumerate() {
            let (prev, cur) = (self.counters[i], now[i]);
            let metric = COUNTER_METRICS[i].delta;
            match counter_delta(prev, cur, secs, ceiling) {
                Outcome::Delta { value, movement } => {
                    if movement != Movement::Increase {
                        tracing::debug!(
                            iface = ?self.name,
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
                Outcome::Discard(why) => self.log_discard(metric, prev, cur, secs, ceiling, why),
            }
        }
        // The new readings are the baseline even where a change was discarded, so the
        // discard costs this interval only.
        self.counters = now;
        out
    }

    /// Says why a change was dropped: the first jump on an interface as a warning naming
    /// the interface, the rate and the bound; everything else at debug level.
    fn log_discard(
        &mut self,
        metric: &str,
        prev: u64,
        cur: u64,
        secs: f64,
        ceiling: Ceiling,
        why: Discard,
    ) {
        let Discard::Implausible {
            delta,
            bits_per_second,
            bound_bits_per_second,
        } = why
        else {
            tracing::debug!(iface = ?self.name, metric, prev, cur, ?why, "counter change discarded");
            return;
        };
        if std::mem::replace(&mut self.warned_implausible, true) {
            tracing::debug!(iface = ?self.name, metric, prev, cur, ?why, "counter change discarded");
            return;
        }
        let rate = |bps: f64| human::format(Unit::BitsPerSecond, bps);
        let bound = match ceiling {
            Ceiling::Link(speed) => format!(
                "{} (twice the {} link speed)",
                rate(bound_bits_per_second),
                rate(speed)
            ),
            Ceiling::Fixed(_) => format!(
                "{} (the bound for a link of unknown speed)",
                rate(bound_bits_per_second)
            ),
        };
        tracing::warn!(
            iface = ?self.name,
            metric,
            delta,
            seconds = secs,
            implied = %rate(bits_per_second),
            bound = %bound,
            "discarded a counter jump faster than the interface can carry (a driver or \
             counter glitch); further ones on this interface are logged at debug level"
        );
    }
}

/// One interface name on the list: watched (`Some`) or filtered out (`None`, remembered so
/// the globs are matched once per appearance rather than every tick).
struct Slot {
    seen: u64,
    tracked: Option<Tracked>,
}

/// Every interface on the list at the last tick, by name as the kernel printed it.
#[derive(Default)]
pub(crate) struct Interfaces {
    slots: HashMap<Vec<u8>, Slot>,
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
        name: &[u8],
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
