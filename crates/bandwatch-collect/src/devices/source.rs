//! The devices source: each tick polls its backend into the accounting (or, for a backend
//! that can wait for the kernel, lets a reader thread do so as traffic arrives: `reader.rs`)
//! and turns what was counted since the previous tick into one frame of per-device deltas
//! and rates.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bandwatch_core::{Clock, Frame, Labels, SampleKind, Seconds, SeriesKey};

use super::account::{Accounting, AccountingConfig, Counts, DeviceDelta, DeviceKey, Drained};
use super::backend::Backend;
use super::metric as m;
use super::reader::Reader;
use crate::error::Result;
use crate::Source;

/// The name this source puts in [`Frame::source`].
pub const SOURCE_NAME: &str = "devices";

/// Gives devices the names people know them by (the registry, DHCP leases, the neighbour
/// table); a device without one is labelled with its MAC or IP address.
pub trait Namer: Send {
    /// The name of this device, if it has one.
    fn name(&self, device: &DeviceDelta) -> Option<String>;
    /// Called once per tick before any [`Namer::name`], at monotonic time `now`: the time to
    /// read again what may have changed (the leases file).
    fn refresh(&mut self, now: Duration) {
        let _ = now;
    }
}

/// Settings of the devices source.
#[derive(Debug, Clone)]
pub struct DevicesConfig {
    /// Which addresses are devices, how many are held, how they are keyed.
    pub accounting: AccountingConfig,
    /// A device is active (`device_active` = 1) in a tick where it moved more than this many
    /// bytes per second to or from the internet (LAN-to-LAN traffic does not make it active).
    pub active_floor: f64,
    /// How long a device that stopped moving bytes still gets zero deltas, rates and
    /// `device_active` 0 each tick: a rule judges a series only when it has a sample, so a
    /// rolling sum or a run of activity can end (and its alert resolve) only while the
    /// samples go on. Set it to the longest window a rule looks back (`threshold_window`,
    /// `idle_gap`); zero: one `device_active` 0, then nothing.
    pub linger: Duration,
}

impl Default for DevicesConfig {
    fn default() -> Self {
        Self {
            accounting: AccountingConfig::default(),
            // 1 kB/s: background chatter (NTP, keep-alives) stays below it, any use above.
            active_floor: 1000.0,
            linger: Duration::ZERO,
        }
    }
}

/// The devices a history says were announced: the `mac` (else `ip`) label of each
/// `device_new` series, as the source keys devices.
pub fn announced(series: &[SeriesKey]) -> Vec<DeviceKey> {
    series
        .iter()
        .filter(|k| k.metric == m::DEVICE_NEW)
        .filter_map(|k| {
            let mac = k.labels.get(m::LABEL_MAC).and_then(super::names::parse_mac);
            mac.map(DeviceKey::Mac).or_else(|| {
                k.labels
                    .get(m::LABEL_IP)
                    .and_then(|ip| ip.parse().ok())
                    .map(DeviceKey::Ip)
            })
        })
        .collect()
}

/// The series of one device, built once and reused while its labels stay the same.
struct DeviceSeries {
    labels: (String, String, String),
    rx: Arc<SeriesKey>,
    tx: Arc<SeriesKey>,
    rx_rate: Arc<SeriesKey>,
    tx_rate: Arc<SeriesKey>,
    bytes: Arc<SeriesKey>,
    rate: Arc<SeriesKey>,
    lan_rx: Arc<SeriesKey>,
    lan_tx: Arc<SeriesKey>,
    active: Arc<SeriesKey>,
    new: Arc<SeriesKey>,
    /// Its `device_active` in the last frame that had it, so a device that falls idle gets
    /// one 0 and then nothing.
    was_active: bool,
    /// The tick it last moved bytes in.
    seen_tick: u64,
    /// The monotonic time it last moved bytes.
    moved_at: Duration,
    /// Its `device_new` was 1 in the last frame: the next one says 0.
    new_pending: bool,
}

impl DeviceSeries {
    fn new(device: String, ip: String, mac: String) -> Self {
        let key = |metric: &str| {
            Arc::new(SeriesKey::new(
                metric,
                Labels::from_pairs([
                    (m::LABEL_DEVICE, device.as_str()),
                    (m::LABEL_IP, ip.as_str()),
                    (m::LABEL_MAC, mac.as_str()),
                ]),
            ))
        };
        Self {
            rx: key(m::DEVICE_RX_BYTES),
            tx: key(m::DEVICE_TX_BYTES),
            rx_rate: key(m::DEVICE_RX_BITS_PER_SECOND),
            tx_rate: key(m::DEVICE_TX_BITS_PER_SECOND),
            bytes: key(m::DEVICE_BYTES),
            rate: key(m::DEVICE_BITS_PER_SECOND),
            lan_rx: key(m::DEVICE_LAN_RX_BYTES),
            lan_tx: key(m::DEVICE_LAN_TX_BYTES),
            active: key(m::DEVICE_ACTIVE),
            new: key(m::DEVICE_NEW),
            labels: (device, ip, mac),
            was_active: false,
            seen_tick: 0,
            moved_at: Duration::ZERO,
            new_pending: false,
        }
    }

    /// Zero traffic for a device that is still watched by the rules but moved nothing.
    fn push_idle(&mut self, frame: &mut Frame) {
        for (series, kind) in [
            (&self.rx, SampleKind::Delta),
            (&self.tx, SampleKind::Delta),
            (&self.bytes, SampleKind::Delta),
            (&self.rx_rate, SampleKind::Rate),
            (&self.tx_rate, SampleKind::Rate),
            (&self.rate, SampleKind::Rate),
            (&self.active, SampleKind::Gauge),
        ] {
            frame.push(series.clone(), 0.0, kind);
        }
        self.was_active = false;
    }

    fn push(&mut self, frame: &mut Frame, c: &Counts, secs: f64, floor: f64) {
        frame.push(self.rx.clone(), c.rx as f64, SampleKind::Delta);
        frame.push(self.tx.clone(), c.tx as f64, SampleKind::Delta);
        frame.push(
            self.rx_rate.clone(),
            c.rx as f64 * 8.0 / secs,
            SampleKind::Rate,
        );
        frame.push(
            self.tx_rate.clone(),
            c.tx as f64 * 8.0 / secs,
            SampleKind::Rate,
        );
        let internet = c.internet();
        frame.push(self.bytes.clone(), internet as f64, SampleKind::Delta);
        frame.push(
            self.rate.clone(),
            internet as f64 * 8.0 / secs,
            SampleKind::Rate,
        );
        frame.push(self.lan_rx.clone(), c.lan_rx as f64, SampleKind::Delta);
        frame.push(self.lan_tx.clone(), c.lan_tx as f64, SampleKind::Delta);
        let active = internet as f64 / secs > floor;
        frame.push(
            self.active.clone(),
            f64::from(u8::from(active)),
            SampleKind::Gauge,
        );
        self.was_active = active;
    }
}

/// The source's own series.
struct SelfSeries {
    tracked: Arc<SeriesKey>,
    evicted: Arc<SeriesKey>,
    drops: Arc<SeriesKey>,
    observed: Arc<SeriesKey>,
    lan: Arc<SeriesKey>,
    non_ip: Arc<SeriesKey>,
    transit: Arc<SeriesKey>,
}

impl SelfSeries {
    fn new() -> Self {
        let key = |metric: &str| Arc::new(SeriesKey::new(metric, Labels::new()));
        Self {
            tracked: key(m::DEVICES_TRACKED),
            evicted: key(m::DEVICES_EVICTED),
            drops: key(m::DEVICES_KERNEL_DROPS),
            observed: key(m::DEVICES_OBSERVED_BYTES),
            lan: key(m::DEVICES_LAN_BYTES),
            non_ip: key(m::DEVICES_NON_IP_BYTES),
            transit: key(m::DEVICES_TRANSIT_BYTES),
        }
    }
}

/// Where the counts come from.
enum Feed {
    /// The source polls the backend itself, once per tick.
    Inline(Box<dyn Backend>),
    /// A reader thread polls it as the kernel fills it.
    Thread(Reader),
}

/// Bytes per LAN device from a [`Backend`]; see [`Source::collect`] for what a frame holds.
pub struct DevicesSource<C: Clock> {
    feed: Feed,
    backend_name: &'static str,
    accounting: Arc<Mutex<Accounting>>,
    max_tracked: usize,
    namer: Option<Box<dyn Namer>>,
    active_floor: f64,
    linger: Duration,
    /// Devices already announced (`device_new`); `None`: announcing is off.
    known: Option<HashSet<DeviceKey>>,
    clock: C,
    /// Monotonic time the previous frame ended (at first: when the source was made, as the
    /// backend has been collecting since it was opened).
    last_tick: Duration,
    tick: u64,
    series: HashMap<DeviceKey, DeviceSeries>,
    other: DeviceSeries,
    own: SelfSeries,
}

impl<C: Clock> DevicesSource<C> {
    /// A source counting what `backend` reports, timed with `clock`.
    pub fn new(cfg: DevicesConfig, backend: Box<dyn Backend>, clock: C) -> Self {
        Self {
            backend_name: backend.name(),
            feed: Feed::Inline(backend),
            max_tracked: cfg.accounting.max_tracked,
            accounting: Arc::new(Mutex::new(Accounting::new(cfg.accounting))),
            namer: None,
            active_floor: cfg.active_floor,
            linger: cfg.linger,
            known: None,
            last_tick: clock.monotonic(),
            clock,
            tick: 0,
            series: HashMap::new(),
            other: DeviceSeries::new(m::DEVICE_OTHER.into(), String::new(), String::new()),
            own: SelfSeries::new(),
        }
    }

    /// Like [`DevicesSource::new`], but a backend that can wait for the kernel (capture) runs
    /// on a reader thread of its own that drains it as traffic arrives, so its ring can be
    /// small; the thread stops when the source is dropped.
    pub fn threaded(
        cfg: DevicesConfig,
        backend: Box<dyn Backend>,
        clock: C,
    ) -> std::io::Result<Self> {
        let mut source = Self::new(cfg, Box::new(Nothing), clock);
        source.backend_name = backend.name();
        source.feed = if backend.can_wait() {
            Feed::Thread(Reader::start(backend, Arc::clone(&source.accounting))?)
        } else {
            Feed::Inline(backend)
        };
        Ok(source)
    }

    /// Announces devices not in `announced` (and not seen before by this source) with
    /// `device_new` 1 in the first frame that holds them; see [`announced`].
    #[must_use]
    pub fn announcing(mut self, announced: impl IntoIterator<Item = DeviceKey>) -> Self {
        self.known = Some(announced.into_iter().collect());
        self
    }

    /// Whether a reader thread feeds the source.
    pub fn is_threaded(&self) -> bool {
        matches!(self.feed, Feed::Thread(_))
    }

    /// Names devices with `namer` from the next tick on.
    #[must_use]
    pub fn with_namer(mut self, namer: Box<dyn Namer>) -> Self {
        self.namer = Some(namer);
        self
    }

    /// The backend's name (`capture`, `conntrack`, `pcap`).
    pub fn backend_name(&self) -> &'static str {
        self.backend_name
    }

    fn labels(&self, d: &DeviceDelta) -> (String, String, String) {
        let name = self
            .namer
            .as_ref()
            .and_then(|n| n.name(d))
            .unwrap_or_else(|| d.key.to_string());
        let ip = d.ip().map(|ip| ip.to_string()).unwrap_or_default();
        let mac = d.mac.map(|m| m.to_string()).unwrap_or_default();
        (name, ip, mac)
    }

    fn frame(&mut self, drained: &Drained, kernel_drops: u64, now: Duration, secs: f64) -> Frame {
        let mut frame = Frame::new(SOURCE_NAME, self.clock.wall(), Seconds(secs));
        frame.samples.reserve(drained.devices.len() * 7 + 16);
        self.tick += 1;
        for d in &drained.devices {
            let labels = self.labels(d);
            let s = self
                .series
                .entry(d.key)
                .or_insert_with(|| DeviceSeries::new(String::new(), String::new(), String::new()));
            if s.labels != labels {
                if s.new_pending {
                    // Its announcement ends under the old labels, or it would stay open.
                    frame.push(s.new.clone(), 0.0, SampleKind::Gauge);
                }
                let was_active = s.was_active;
                *s = DeviceSeries::new(labels.0, labels.1, labels.2);
                s.was_active = was_active;
            }
            s.seen_tick = self.tick;
            s.moved_at = now;
            s.push(&mut frame, &d.counts, secs, self.active_floor);
            if let Some(known) = &mut self.known {
                if known.insert(d.key) {
                    frame.push(s.new.clone(), 1.0, SampleKind::Gauge);
                    s.new_pending = true;
                } else if s.new_pending {
                    frame.push(s.new.clone(), 0.0, SampleKind::Gauge);
                    s.new_pending = false;
                }
            }
        }
        for s in self.series.values_mut() {
            if s.seen_tick == self.tick {
                continue;
            }
            if s.new_pending {
                frame.push(s.new.clone(), 0.0, SampleKind::Gauge);
                s.new_pending = false;
            }
            if now.saturating_sub(s.moved_at) < self.linger {
                s.push_idle(&mut frame);
            } else if s.was_active {
                // A device that fell idle: one last 0, so its activity visibly ends.
                frame.push(s.active.clone(), 0.0, SampleKind::Gauge);
                s.was_active = false;
            }
        }
        if !drained.other.is_zero() {
            self.other
                .push(&mut frame, &drained.other, secs, self.active_floor);
        }
        // The table holds at most max_tracked devices; keep the labels of at most as many
        // again (recently gone ones may come back).
        let bound = 2 * self.max_tracked + 16;
        if self.series.len() > bound {
            let tick = self.tick;
            let linger = self.linger;
            self.series.retain(|_, s| {
                s.seen_tick == tick || s.was_active || now.saturating_sub(s.moved_at) < linger
            });
        }
        let own = &self.own;
        let t = &drained.totals;
        frame.push(
            own.tracked.clone(),
            drained.tracked as f64,
            SampleKind::Gauge,
        );
        for (series, v) in [
            (&own.evicted, drained.evicted),
            (&own.drops, kernel_drops),
            (&own.observed, t.observed),
            (&own.lan, t.lan),
            (&own.non_ip, t.non_ip),
            (&own.transit, t.transit),
        ] {
            frame.push(series.clone(), v as f64, SampleKind::Delta);
        }
        frame
    }
}

impl<C: Clock> Source for DevicesSource<C> {
    fn name(&self) -> &str {
        SOURCE_NAME
    }

    /// One tick: polls the backend, then returns a frame covering the monotonic time since
    /// the previous frame (the first covers the time since the source was made) with, for
    /// each device that moved bytes, its exact `rx`/`tx`/`lan_rx`/`lan_tx` deltas, its rates
    /// and `device_active`; `device="other"` for evicted devices' bytes; and the source's own
    /// series. A tick with no monotonic time passed returns `Ok(None)` without polling, so
    /// nothing is lost; a failed poll returns the error, and what was counted before it is
    /// reported with the next frame.
    fn collect(&mut self) -> Result<Option<Frame>> {
        let now = self.clock.monotonic();
        let span = match now.checked_sub(self.last_tick) {
            Some(span) if !span.is_zero() => span,
            _ => return Ok(None),
        };
        if let Some(namer) = &mut self.namer {
            namer.refresh(now);
        }
        let wall = self.clock.wall();
        let (drained, drops) = {
            let mut acc = self
                .accounting
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let drops = match &mut self.feed {
                Feed::Inline(backend) => {
                    acc.set_now(wall);
                    backend.poll(&mut *acc)?.kernel_drops
                }
                Feed::Thread(reader) => {
                    if let Some(e) = reader.take_error() {
                        return Err(e);
                    }
                    // What the thread counts from here on carries this tick's time.
                    acc.set_now(wall);
                    reader.take_drops()
                }
            };
            (acc.drain(), drops)
        };
        self.last_tick = now;
        Ok(Some(self.frame(&drained, drops, now, span.as_secs_f64())))
    }
}

/// The placeholder backend while the real one moves to its thread.
struct Nothing;

impl Backend for Nothing {
    fn name(&self) -> &'static str {
        "none"
    }
    fn poll(
        &mut self,
        _out: &mut dyn super::backend::Observer,
    ) -> Result<super::backend::BackendStats> {
        Ok(super::backend::BackendStats::default())
    }
}

#[cfg(test)]
mod tests;
