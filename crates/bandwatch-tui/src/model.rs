//! The values the view shows, kept from frames: interfaces with their recent history and
//! peaks, LAN devices, probe targets, the system figures and the firing alerts.

use std::collections::{BTreeMap, VecDeque};

use bandwatch_core::{AlertEvent, AlertState, Frame, Sample, Timestamp};

use crate::vocab::Vocabulary;

/// An entry not updated for this long (milliseconds) is dropped: the interface went away,
/// the device left, the target was removed. The same five minutes as the shared snapshot.
pub const STALE_AFTER_MS: i64 = 5 * 60 * 1000;

/// One interface.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Iface {
    /// Receive rate now, bits/s.
    pub rx: f64,
    /// Transmit rate now, bits/s.
    pub tx: f64,
    /// Highest receive rate seen since the view started, bits/s.
    pub peak_rx: f64,
    /// Highest transmit rate seen since the view started, bits/s.
    pub peak_tx: f64,
    /// Recent rates, oldest first, at the sampling rate: (time, rx, tx).
    pub history: VecDeque<(Timestamp, f64, f64)>,
    /// When it last had a value (Unix milliseconds).
    pub seen_ms: i64,
}

/// One LAN device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Device {
    /// Download rate from the internet, bits/s.
    pub rx: f64,
    /// Upload rate to the internet, bits/s.
    pub tx: f64,
    /// When it last had a value (Unix milliseconds).
    pub seen_ms: i64,
}

/// One probe target.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probe {
    /// Whether it answered in the last round.
    pub up: Option<bool>,
    /// The last round's round-trip time, seconds.
    pub rtt: Option<f64>,
    /// The last round's loss, percent.
    pub loss: Option<f64>,
    /// When it last had a value (Unix milliseconds).
    pub seen_ms: i64,
}

/// CPU, memory and disks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct System {
    /// CPU busy percent, all cores.
    pub cpu: Option<f64>,
    /// Memory used percent.
    pub memory: Option<f64>,
    /// Used percent per mount point.
    pub disks: BTreeMap<String, f64>,
}

/// Everything measured that the view shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// Interfaces by name.
    pub interfaces: BTreeMap<String, Iface>,
    /// LAN devices by label.
    pub devices: BTreeMap<String, Device>,
    /// Probe targets by name.
    pub probes: BTreeMap<String, Probe>,
    /// The system figures.
    pub system: System,
    /// Firing alerts by id.
    pub alerts: BTreeMap<String, AlertEvent>,
    /// The newest time seen in any frame.
    pub now: Option<Timestamp>,
}

impl Model {
    /// Takes a frame's values; history older than `window_ms` before the frame is dropped.
    pub fn observe(&mut self, vocab: &Vocabulary, frame: &Frame, window_ms: i64) {
        let ts = frame.ts;
        self.now = Some(self.now.map_or(ts, |n| n.max(ts)));
        let mut touched: Vec<String> = Vec::new();
        for s in &frame.samples {
            if let Some(name) = self.iface_sample(vocab, s) {
                if !touched.contains(&name) {
                    touched.push(name);
                }
            }
            self.device_sample(vocab, s);
            self.probe_sample(vocab, s);
            self.system_sample(vocab, s);
        }
        for name in touched {
            if let Some(i) = self.interfaces.get_mut(&name) {
                // The sample's own time: a snapshot's series each carry theirs.
                let seen = Timestamp(i.seen_ms);
                push_history(i, seen, window_ms);
            }
        }
        self.prune();
    }

    /// An interface's rate; returns the interface's name when the sample was one.
    fn iface_sample(&mut self, v: &Vocabulary, s: &Sample) -> Option<String> {
        let rx = Some(s.series.metric.as_str()) == v.rx_rate;
        let tx = Some(s.series.metric.as_str()) == v.tx_rate;
        if !rx && !tx {
            return None;
        }
        let name = s.series.labels.get(v.iface?)?.to_string();
        let i = self.interfaces.entry(name.clone()).or_default();
        i.seen_ms = s.ts.millis();
        if rx {
            i.rx = s.value;
            i.peak_rx = i.peak_rx.max(s.value);
        } else {
            i.tx = s.value;
            i.peak_tx = i.peak_tx.max(s.value);
        }
        Some(name)
    }

    fn device_sample(&mut self, v: &Vocabulary, s: &Sample) {
        let rx = Some(s.series.metric.as_str()) == v.device_rx;
        let tx = Some(s.series.metric.as_str()) == v.device_tx;
        if !rx && !tx {
            return;
        }
        let Some(name) = v.device.and_then(|l| s.series.labels.get(l)) else {
            return;
        };
        let d = self.devices.entry(name.to_string()).or_default();
        d.seen_ms = s.ts.millis();
        if rx {
            d.rx = s.value;
        } else {
            d.tx = s.value;
        }
    }

    fn probe_sample(&mut self, v: &Vocabulary, s: &Sample) {
        let metric = Some(s.series.metric.as_str());
        let which = [v.probe_up, v.probe_rtt, v.probe_loss]
            .iter()
            .position(|m| m.is_some() && *m == metric);
        let Some(which) = which else { return };
        let Some(name) = v.target.and_then(|l| s.series.labels.get(l)) else {
            return;
        };
        if which == 1 {
            // Only the statistic shown: min and max are other series of the same metric.
            let stat = v.stat_label.and_then(|l| s.series.labels.get(l));
            if stat.is_some_and(|x| x != v.rtt_stat) {
                return;
            }
        }
        let p = self.probes.entry(name.to_string()).or_default();
        p.seen_ms = s.ts.millis();
        match which {
            0 => {
                p.up = Some(s.value >= 0.5);
                // A round without an answer has no round-trip time: the last one would lie.
                if s.value < 0.5 {
                    p.rtt = None;
                }
            }
            1 => p.rtt = s.value.is_finite().then_some(s.value),
            _ => p.loss = Some(s.value),
        }
    }

    fn system_sample(&mut self, v: &Vocabulary, s: &Sample) {
        let metric = Some(s.series.metric.as_str());
        if metric == v.cpu {
            let label = v.cpu_label.and_then(|l| s.series.labels.get(l));
            if label.is_none_or(|c| c == v.cpu_total) {
                self.system.cpu = Some(s.value);
            }
        } else if metric == v.memory {
            self.system.memory = Some(s.value);
        } else if metric == v.disk {
            if let Some(mount) = v.mount.and_then(|l| s.series.labels.get(l)) {
                self.system.disks.insert(mount.to_string(), s.value);
            }
        }
    }

    /// Takes one alert transition: firing ones are kept (the newest event of each), the
    /// rest leave the list.
    pub fn alert(&mut self, event: AlertEvent) {
        if event.state == AlertState::Firing {
            self.alerts.insert(event.id.clone(), event);
        } else {
            self.alerts.remove(&event.id);
        }
    }

    /// Replaces the firing alerts with `firing`.
    pub fn firing(&mut self, firing: Vec<AlertEvent>) {
        self.alerts = firing
            .into_iter()
            .filter(|e| e.state == AlertState::Firing)
            .map(|e| (e.id.clone(), e))
            .collect();
    }

    /// Drops entries without a value for [`STALE_AFTER_MS`].
    fn prune(&mut self) {
        let Some(now) = self.now else { return };
        let fresh = |seen: i64| now.millis() - seen <= STALE_AFTER_MS;
        self.interfaces.retain(|_, i| fresh(i.seen_ms));
        self.devices.retain(|_, d| fresh(d.seen_ms));
        self.probes.retain(|_, p| fresh(p.seen_ms));
    }
}

/// Appends the interface's rates at `ts` (once per time: a snapshot polled faster than the
/// agent samples repeats its values) and forgets what is older than the window.
fn push_history(i: &mut Iface, ts: Timestamp, window_ms: i64) {
    match i.history.back_mut() {
        Some(last) if last.0 == ts => *last = (ts, i.rx, i.tx),
        Some(last) if last.0 > ts => {}
        _ => i.history.push_back((ts, i.rx, i.tx)),
    }
    while i
        .history
        .front()
        .is_some_and(|(t, _, _)| ts.millis() - t.millis() > window_ms)
    {
        i.history.pop_front();
    }
}
