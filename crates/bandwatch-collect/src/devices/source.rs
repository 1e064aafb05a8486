//! The devices source: each tick polls its backend into the accounting and turns what was
//! counted since the previous tick into one frame of per-device deltas and rates.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{Clock, Frame, Labels, SampleKind, Seconds, SeriesKey};

use super::account::{Accounting, AccountingConfig, Counts, DeviceDelta, DeviceKey, Drained};
use super::backend::Backend;
use super::metric as m;
use crate::error::Result;
use crate::Source;

/// The name this source puts in [`Frame::source`].
pub const SOURCE_NAME: &str = "devices";

/// Gives devices the names people know them by (the registry, DHCP leases, the neighbour
/// table); a device without one is labelled with its MAC or IP address.
pub trait Namer: Send {
    /// The name of this device, if it has one.
    fn name(&self, device: &DeviceDelta) -> Option<String>;
}

/// Settings of the devices source.
#[derive(Debug, Clone)]
pub struct DevicesConfig {
    /// Which addresses are devices, how many are held, how they are keyed.
    pub accounting: AccountingConfig,
    /// A device is active (`device_active` = 1) in a tick where it moved more than this many
    /// bytes per second to or from the internet (LAN-to-LAN traffic does not make it active).
    pub active_floor: f64,
}

impl Default for DevicesConfig {
    fn default() -> Self {
        Self {
            accounting: AccountingConfig::default(),
            // 1 kB/s: background chatter (NTP, keep-alives) stays below it, any use above.
            active_floor: 1000.0,
        }
    }
}

/// The series of one device, built once and reused while its labels stay the same.
struct DeviceSeries {
    labels: (String, String, String),
    rx: Arc<SeriesKey>,
    tx: Arc<SeriesKey>,
    rx_rate: Arc<SeriesKey>,
    tx_rate: Arc<SeriesKey>,
    lan_rx: Arc<SeriesKey>,
    lan_tx: Arc<SeriesKey>,
    active: Arc<SeriesKey>,
    /// Its `device_active` in the last frame that had it, so a device that falls idle gets
    /// one 0 and then nothing.
    was_active: bool,
    /// The tick it last moved bytes in.
    seen_tick: u64,
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
            lan_rx: key(m::DEVICE_LAN_RX_BYTES),
            lan_tx: key(m::DEVICE_LAN_TX_BYTES),
            active: key(m::DEVICE_ACTIVE),
            labels: (device, ip, mac),
            was_active: false,
            seen_tick: 0,
        }
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
        frame.push(self.lan_rx.clone(), c.lan_rx as f64, SampleKind::Delta);
        frame.push(self.lan_tx.clone(), c.lan_tx as f64, SampleKind::Delta);
        let active = c.internet() as f64 / secs > floor;
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

/// Bytes per LAN device from a [`Backend`]; see [`Source::collect`] for what a frame holds.
pub struct DevicesSource<C: Clock> {
    backend: Box<dyn Backend>,
    accounting: Accounting,
    namer: Option<Box<dyn Namer>>,
    active_floor: f64,
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
            backend,
            accounting: Accounting::new(cfg.accounting),
            namer: None,
            active_floor: cfg.active_floor,
            last_tick: clock.monotonic(),
            clock,
            tick: 0,
            series: HashMap::new(),
            other: DeviceSeries::new(m::DEVICE_OTHER.into(), String::new(), String::new()),
            own: SelfSeries::new(),
        }
    }

    /// Names devices with `namer` from the next tick on.
    #[must_use]
    pub fn with_namer(mut self, namer: Box<dyn Namer>) -> Self {
        self.namer = Some(namer);
        self
    }

    /// The backend's name (`capture`, `conntrack`, `pcap`).
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
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

    fn frame(&mut self, drained: &Drained, kernel_drops: u64, secs: f64) -> Frame {
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
                let was_active = s.was_active;
                *s = DeviceSeries::new(labels.0, labels.1, labels.2);
                s.was_active = was_active;
            }
            s.seen_tick = self.tick;
            s.push(&mut frame, &d.counts, secs, self.active_floor);
        }
        // A device that fell idle: one last 0, so its activity visibly ends.
        for s in self.series.values_mut() {
            if s.seen_tick != self.tick && s.was_active {
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
        let bound = 2 * self.accounting.config().max_tracked + 16;
        if self.series.len() > bound {
            let tick = self.tick;
            self.series
                .retain(|_, s| s.seen_tick == tick || s.was_active);
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
        self.accounting.set_now(self.clock.wall());
        let stats = self.backend.poll(&mut self.accounting)?;
        self.last_tick = now;
        let drained = self.accounting.drain();
        Ok(Some(self.frame(
            &drained,
            stats.kernel_drops,
            span.as_secs_f64(),
        )))
    }
}

#[cfg(test)]
mod tests;
