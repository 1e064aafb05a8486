//! Message formats of every channel, and the small helpers they share.
//!
//! Every renderer is a function of `&[AlertEvent]` (one grouped batch) plus a small settings
//! struct, returning data; none performs I/O.

pub mod alertmanager;
pub mod chat;
pub mod email;
pub mod mqtt;
pub mod summary;
pub mod webhook;

use std::fmt;

use bandwatch_core::human::format_metric;
use bandwatch_core::{AlertEvent, AlertState, SeriesKey, Severity};

/// A credential (webhook secret, bot token) whose `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that must use it (signing, the request URL).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Labels that name what an alert is about, most specific first.
const SUBJECT_LABELS: [&str; 6] = ["device", "host", "ip", "target", "iface", "scope"];

/// What an alert is about, for people: `eth0`, `192.168.1.20`, or the series when unlabelled.
pub fn subject(series: &SeriesKey) -> String {
    SUBJECT_LABELS
        .iter()
        .find_map(|name| series.labels.get(name))
        .map_or_else(|| series.to_string(), str::to_string)
}

/// The highest severity among still-open events, else among all; `None` for an empty batch.
pub fn top_severity(events: &[AlertEvent]) -> Option<Severity> {
    let open = events.iter().filter(|e| e.state != AlertState::Resolved);
    open.map(|e| e.severity)
        .max()
        .or_else(|| events.iter().map(|e| e.severity).max())
}

/// The state that sums up a batch: firing if any event fires, else pending, else resolved.
pub fn batch_state(events: &[AlertEvent]) -> AlertState {
    let has = |s| events.iter().any(|e| e.state == s);
    if has(AlertState::Firing) {
        AlertState::Firing
    } else if has(AlertState::Pending) {
        AlertState::Pending
    } else {
        AlertState::Resolved
    }
}

/// The lowercase name of a state.
pub fn state_str(state: AlertState) -> &'static str {
    match state {
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
        AlertState::Resolved => "resolved",
    }
}

/// The colour of an event: its severity's, or green once resolved (`#rrggbb`).
pub fn event_colour(event: &AlertEvent) -> &'static str {
    if event.state == AlertState::Resolved {
        RESOLVED_COLOUR
    } else {
        severity_colour(event.severity)
    }
}

/// The colour used for resolved alerts.
pub const RESOLVED_COLOUR: &str = "#2e7d32";

/// The colour of a severity (`#rrggbb`).
pub fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "#1e88e5",
        Severity::Medium => "#f9a825",
        Severity::High => "#ef6c00",
        Severity::Critical => "#c62828",
    }
}

/// A `#rrggbb` colour as the integer Discord wants.
pub fn colour_int(colour: &str) -> u32 {
    u32::from_str_radix(colour.trim_start_matches('#'), 16).unwrap_or(0)
}

/// One line for one event: `HIGH eth0: link_bw fired`.
pub fn headline(event: &AlertEvent) -> String {
    format!(
        "{} {}: {} {}",
        event.severity.as_str().to_uppercase(),
        subject(&event.series),
        event.rule,
        event.kind
    )
}

/// `950.0 Mbps (reference 800.0 Mbps)` for one event.
pub fn value_line(event: &AlertEvent) -> String {
    format!(
        "{} (limit or baseline {})",
        format_metric(&event.series.metric, event.value),
        format_metric(&event.series.metric, event.reference)
    )
}

/// The distinct values `f` yields over `events`, in first-seen order, joined by `, `.
pub(crate) fn distinct_joined(events: &[AlertEvent], f: impl Fn(&AlertEvent) -> String) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in events {
        let v = f(e);
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen.join(", ")
}

/// A one-line summary of a batch: `2 alerts: link_bw on eth0, eth1`.
pub fn batch_title(events: &[AlertEvent]) -> String {
    match events {
        [one] => headline(one),
        _ => format!(
            "{} alerts ({}): {} on {}",
            events.len(),
            state_str(batch_state(events)),
            distinct_joined(events, |e| e.rule.clone()),
            distinct_joined(events, |e| subject(&e.series))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            escape_html(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn values_are_shown_as_the_engine_shows_them() {
        // The one formatter of bandwatch_core::human: a 12.3 ms RTT reads "12.3 ms" in the
        // alert's message and in the notification alike (it used to read "0.012 s" here).
        let event = |metric: &str, value: f64, reference: f64| AlertEvent {
            series: SeriesKey::with_label(metric, "iface", "eth0"),
            value,
            reference,
            ..sample_event()
        };
        let cases = [
            (
                "net_rx_bits_per_second",
                1.5e6,
                1e6,
                "1.50 Mbps (limit or baseline 1.00 Mbps)",
            ),
            (
                "net_rx_bytes",
                1536.0,
                1024.0,
                "1.50 KiB (limit or baseline 1.00 KiB)",
            ),
            (
                "probe_rtt_seconds",
                0.0123,
                0.01,
                "12.3 ms (limit or baseline 10.0 ms)",
            ),
            (
                "system_cpu_percent",
                85.04,
                80.0,
                "85.0% (limit or baseline 80.0%)",
            ),
            ("net_up", 0.0, 1.0, "0 (limit or baseline 1)"),
            ("cpu_ratio", 0.25, 0.5, "0.25 (limit or baseline 0.5)"),
        ];
        for (metric, value, reference, want) in cases {
            assert_eq!(
                value_line(&event(metric, value, reference)),
                want,
                "{metric}"
            );
        }
    }

    fn sample_event() -> AlertEvent {
        let series = SeriesKey::with_label("net_up", "iface", "eth0");
        let at = bandwatch_core::Timestamp::from_secs(1_795_255_200);
        AlertEvent {
            id: bandwatch_core::alert_id("r", &series, at),
            rule: "r".into(),
            series,
            kind: bandwatch_core::EventKind::Fired,
            state: AlertState::Firing,
            severity: Severity::High,
            value: 0.0,
            reference: 0.0,
            message: String::new(),
            started: at,
            ended: None,
            at,
        }
    }

    #[test]
    fn subjects_prefer_the_most_specific_label() {
        let k = SeriesKey::new(
            "host_rx_bytes",
            bandwatch_core::Labels::from_pairs([("iface", "eth0"), ("ip", "10.0.0.2")]),
        );
        assert_eq!(subject(&k), "10.0.0.2");
        assert_eq!(
            subject(&SeriesKey::new("up", bandwatch_core::Labels::new())),
            "up"
        );
    }

    #[test]
    fn colours_as_integers() {
        assert_eq!(colour_int("#c62828"), 0x00c6_2828);
        assert_eq!(colour_int("nonsense"), 0);
    }
}
