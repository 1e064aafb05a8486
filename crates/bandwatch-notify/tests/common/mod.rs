//! The fixed events every golden test renders.

#![allow(dead_code)]

use bandwatch_core::{alert_id, AlertEvent, EventKind, Labels, SeriesKey, Severity, Timestamp};

/// 2026-11-21T10:00:00Z.
pub const T0: i64 = 1_795_255_200;

pub fn at(secs: i64) -> Timestamp {
    Timestamp::from_secs(T0 + secs)
}

fn event(
    rule: &str,
    series: SeriesKey,
    kind: EventKind,
    severity: Severity,
    (value, reference): (f64, f64),
    message: &str,
    (started, now): (i64, i64),
) -> AlertEvent {
    AlertEvent {
        id: alert_id(rule, &series, at(started)),
        rule: rule.into(),
        series,
        kind,
        state: kind.state(),
        severity,
        value,
        reference,
        message: message.into(),
        started: at(started),
        ended: (kind == EventKind::Resolved).then(|| at(now)),
        at: at(now),
    }
}

pub fn rx(iface: &str) -> SeriesKey {
    SeriesKey::with_label("net_rx_bits_per_second", "iface", iface)
}

/// `wan_rx_high` fired at high on eth0.
pub fn fired_high() -> AlertEvent {
    event(
        "wan_rx_high",
        rx("eth0"),
        EventKind::Fired,
        Severity::High,
        (950e6, 800e6),
        "receive rate 950.0 Mbps above the limit 800.0 Mbps for 30s",
        (0, 30),
    )
}

/// The same alert escalated to critical.
pub fn escalated_critical() -> AlertEvent {
    event(
        "wan_rx_high",
        rx("eth0"),
        EventKind::Escalated,
        Severity::Critical,
        (990e6, 950e6),
        "receive rate 990.0 Mbps above the critical step 950.0 Mbps",
        (0, 120),
    )
}

/// The same alert resolved.
pub fn resolved() -> AlertEvent {
    event(
        "wan_rx_high",
        rx("eth0"),
        EventKind::Resolved,
        Severity::Critical,
        (120e6, 800e6),
        "receive rate back to 120.0 Mbps",
        (0, 600),
    )
}

/// A state-change rule: eth1 went down.
pub fn link_down() -> AlertEvent {
    event(
        "link_down",
        SeriesKey::new("net_up", Labels::from_pairs([("iface", "eth1")])),
        EventKind::Fired,
        Severity::Critical,
        (0.0, 1.0),
        "eth1 changed state from up to down",
        (200, 200),
    )
}

/// The four fixture events in order.
pub fn all() -> Vec<AlertEvent> {
    vec![fired_high(), escalated_critical(), resolved(), link_down()]
}

/// A link-down alert on an interface whose name is markup.
pub fn hostile() -> AlertEvent {
    let mut e = link_down();
    let name = "<img src=x onerror=alert(1)>";
    e.series = SeriesKey::with_label("net_up", "iface", name);
    e.message = format!("{name} changed state & went <b>down</b>");
    e
}
