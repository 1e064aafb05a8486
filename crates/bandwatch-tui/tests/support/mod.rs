//! A recorded feed for the view's tests: frames as the sources emit them (names from the real
//! catalogue), alert events as the engine emits them, and the keys a person presses.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{
    alert_id, AlertEvent, EventKind, Frame, Labels, SampleKind, Seconds, SeriesKey, Severity,
    Timestamp,
};
use bandwatch_tui::{update, Action, Options, State, Vocabulary};

/// The start of every recording: 2026-12-03 10:00:00 UTC.
pub const T0: i64 = 1_764_756_000_000;

pub fn vocab() -> Vocabulary {
    Vocabulary::new(
        bandwatch_collect::catalog(),
        bandwatch_collect::system::metric::CPU_TOTAL,
        "avg",
    )
}

pub fn state(color: bool) -> State {
    State::new(
        vocab(),
        Options {
            color,
            window: Duration::from_secs(60),
            title: "bandwatch top · router".into(),
        },
    )
}

fn key(metric: &str, pairs: &[(&str, &str)]) -> Arc<SeriesKey> {
    Arc::new(SeriesKey::new(
        metric,
        Labels::from_pairs(pairs.iter().copied()),
    ))
}

/// One netdev frame: each interface's rx and tx rate (bits/s).
pub fn net(ms: i64, rates: &[(&str, f64, f64)]) -> Frame {
    let v = vocab();
    let mut f = Frame::new("netdev", Timestamp(ms), Seconds(0.5));
    let label = v.iface.expect("iface label");
    for (iface, rx, tx) in rates {
        f.push(
            key(v.rx_rate.expect("rx"), &[(label, iface)]),
            *rx,
            SampleKind::Rate,
        );
        f.push(
            key(v.tx_rate.expect("tx"), &[(label, iface)]),
            *tx,
            SampleKind::Rate,
        );
    }
    f
}

/// One system frame.
pub fn system(ms: i64, cpu: f64, memory: f64, disks: &[(&str, f64)]) -> Frame {
    let v = vocab();
    let mut f = Frame::new("system", Timestamp(ms), Seconds(1.0));
    let cpu_label = v.cpu_label.expect("cpu label");
    f.push(
        key(v.cpu.expect("cpu"), &[(cpu_label, "total")]),
        cpu,
        SampleKind::Gauge,
    );
    f.push(
        key(v.cpu.expect("cpu"), &[(cpu_label, "0")]),
        99.0,
        SampleKind::Gauge,
    );
    f.push(
        key(v.memory.expect("memory"), &[]),
        memory,
        SampleKind::Gauge,
    );
    for (mount, used) in disks {
        let k = key(v.disk.expect("disk"), &[(v.mount.expect("mount"), mount)]);
        f.push(k, *used, SampleKind::Gauge);
    }
    f
}

/// One probe round: (target, up, rtt seconds, loss percent).
pub fn probes(ms: i64, rounds: &[(&str, bool, Option<f64>, f64)]) -> Frame {
    let v = vocab();
    let mut f = Frame::new("probe", Timestamp(ms), Seconds(5.0));
    let t = v.target.expect("target label");
    let stat = v.stat_label.expect("stat label");
    for (target, up, rtt, loss) in rounds {
        let up_value = if *up { 1.0 } else { 0.0 };
        f.push(
            key(v.probe_up.expect("up"), &[(t, target)]),
            up_value,
            SampleKind::Gauge,
        );
        if let Some(rtt) = rtt {
            let rtt_key = v.probe_rtt.expect("rtt");
            f.push(
                key(rtt_key, &[(t, target), (stat, "min")]),
                rtt / 2.0,
                SampleKind::Gauge,
            );
            f.push(
                key(rtt_key, &[(t, target), (stat, "avg")]),
                *rtt,
                SampleKind::Gauge,
            );
            f.push(
                key(rtt_key, &[(t, target), (stat, "max")]),
                rtt * 2.0,
                SampleKind::Gauge,
            );
        }
        f.push(
            key(v.probe_loss.expect("loss"), &[(t, target)]),
            *loss,
            SampleKind::Gauge,
        );
    }
    f
}

/// One devices frame: (device, rx, tx) in bits/s.
pub fn devices(ms: i64, rates: &[(&str, f64, f64)]) -> Frame {
    let v = vocab();
    let mut f = Frame::new("devices", Timestamp(ms), Seconds(0.5));
    let label = v.device.expect("device label");
    for (device, rx, tx) in rates {
        f.push(
            key(v.device_rx.expect("rx"), &[(label, device)]),
            *rx,
            SampleKind::Rate,
        );
        f.push(
            key(v.device_tx.expect("tx"), &[(label, device)]),
            *tx,
            SampleKind::Rate,
        );
    }
    f
}

/// An alert event on an interface's receive rate.
pub fn alert(
    rule: &str,
    iface: &str,
    severity: Severity,
    kind: EventKind,
    started: i64,
    at: i64,
) -> AlertEvent {
    let v = vocab();
    let series = SeriesKey::with_label(v.rx_rate.expect("rx"), v.iface.expect("iface"), iface);
    AlertEvent {
        id: alert_id(rule, &series, Timestamp(started)),
        rule: rule.into(),
        series,
        kind,
        state: kind.state(),
        severity,
        value: 120e6,
        reference: 100e6,
        message: format!("download on {iface} 120.0 Mbps is above 100.0 Mbps"),
        started: Timestamp(started),
        ended: None,
        at: Timestamp(at),
    }
}

/// eth0's download at step `i` of the recording: a ramp with a burst, all exact.
fn eth0_rx(i: i64) -> f64 {
    let base = 20e6 + (i % 20) as f64 * 2e6;
    if (60..70).contains(&i) {
        base + 60e6
    } else {
        base
    }
}

/// Ninety seconds of a small router at 0.5 s: two interfaces (and loopback), the system
/// every second, two probe targets every 5 s (one goes down), three LAN devices, and a
/// download alert that fires during the burst (and a second that fires and resolves).
pub fn recording() -> Vec<Action> {
    let mut actions = Vec::new();
    for i in 0..180 {
        let ms = T0 + i * 500;
        actions.push(Action::Frame(net(
            ms,
            &[
                ("eth0", eth0_rx(i), 3e6 + (i % 7) as f64 * 1e5),
                ("wlan0", 8e6, 1.5e6),
                ("lo", 4e3, 4e3),
            ],
        )));
        if i % 2 == 0 {
            actions.push(Action::Frame(system(
                ms,
                23.5 + (i % 4) as f64,
                61.25,
                &[("/", 78.0), ("/srv", 93.5), ("/boot", 12.0)],
            )));
            actions.push(Action::Frame(devices(
                ms,
                &[
                    ("laptop", 12e6, 1e6),
                    ("tv", 25e6, 2e5),
                    ("phone", 3e5, 9e5),
                ],
            )));
        }
        if i % 10 == 0 {
            let down = i >= 150;
            actions.push(Action::Frame(probes(
                ms,
                &[
                    ("router", true, Some(0.0012), 0.0),
                    (
                        "dns",
                        !down,
                        (!down).then_some(0.0215),
                        if down { 100.0 } else { 0.0 },
                    ),
                ],
            )));
        }
        if i == 62 {
            actions.push(Action::Alert(alert(
                "download-spike",
                "eth0",
                Severity::High,
                EventKind::Fired,
                T0 + 60 * 500,
                ms,
            )));
            actions.push(Action::Alert(alert(
                "wlan-busy",
                "wlan0",
                Severity::Low,
                EventKind::Fired,
                ms,
                ms,
            )));
        }
        if i == 100 {
            actions.push(Action::Alert(alert(
                "wlan-busy",
                "wlan0",
                Severity::Low,
                EventKind::Resolved,
                T0 + 62 * 500,
                ms,
            )));
        }
        if i == 155 {
            actions.push(Action::Alert(alert(
                "download-threshold",
                "eth0",
                Severity::Critical,
                EventKind::Fired,
                ms,
                ms,
            )));
        }
    }
    actions
}

/// A state after `actions`.
pub fn replay(mut state: State, actions: Vec<Action>) -> State {
    for a in actions {
        update(&mut state, a);
    }
    state
}
