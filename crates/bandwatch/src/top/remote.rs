//! Attached to a running agent (`--connect URL`): its values through the API, polled at the
//! agent's own sampling interval — `/api/v1/snapshot` for the series and
//! `/api/v1/alerts?state=firing` for the alerts — with the keys read between polls. Polling
//! rather than the live stream keeps this a single-threaded loop (the binary starts no thread).

use std::time::{Duration, Instant};

use bandwatch_core::{
    AlertEvent, AlertState, EventKind, Frame, Labels, SampleKind, Seconds, SeriesKey, Severity,
    Timestamp,
};
use bandwatch_tui::{render, update, Action, Effect, State};
use serde_json::Value;

use super::{keys, terminal};
use crate::error::BadInput;

/// How long one request may take before the view says the agent does not answer.
const TIMEOUT: Duration = Duration::from_secs(3);

/// A running agent's API.
pub struct Agent {
    base: String,
    token: Option<String>,
    client: reqwest::blocking::Client,
}

impl Agent {
    /// The agent at `url` (its dashboard's address), asked with `token` when there is one.
    pub fn new(url: &str, token: Option<&str>) -> anyhow::Result<Self> {
        let base = url.trim_end_matches('/');
        let parsed = reqwest::Url::parse(base).ok();
        if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
            return Err(BadInput(format!(
                "--connect '{}' is not an http:// or https:// address; give the agent's \
                 dashboard address, e.g. --connect http://127.0.0.1:8080",
                bandwatch_core::human::escape_control(url)
            ))
            .into());
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| anyhow::anyhow!("starting the HTTP client: {e}"))?;
        Ok(Self {
            base: base.to_string(),
            token: token.map(str::to_string),
            client,
        })
    }

    /// The address as the title shows it.
    pub fn shown_url(&self) -> String {
        bandwatch_core::human::escape_control(&self.base).into_owned()
    }

    /// `GET /api/v1/<path>` as JSON; the error in words for the status line.
    fn get(&self, path: &str) -> Result<Value, String> {
        let mut request = self.client.get(format!("{}/api/v1/{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .map_err(|e| format!("{} does not answer: {}", self.shown_url(), e.without_url()))?;
        match response.status().as_u16() {
            200 => response
                .json_value()
                .map_err(|e| format!("{}: unreadable answer: {e}", self.shown_url())),
            401 => Err(format!(
                "{} wants its token: give --web-token or set BANDWATCH_WEB_TOKEN",
                self.shown_url()
            )),
            code => Err(format!(
                "{} answered {code} to /api/v1/{path}",
                self.shown_url()
            )),
        }
    }

    /// One poll: the snapshot's values and the firing alerts.
    fn poll(&self) -> Result<Vec<Action>, String> {
        let snapshot = self.get("snapshot")?;
        let alerts = self.get("alerts?state=firing&limit=1000")?;
        Ok(vec![
            Action::Frame(frame_of(&snapshot)),
            Action::Firing(firing_of(&alerts)),
        ])
    }
}

/// A response body as JSON (reqwest's `json` feature would add a dependency for one call).
trait JsonValue {
    fn json_value(self) -> Result<Value, String>;
}

impl JsonValue for reqwest::blocking::Response {
    fn json_value(self) -> Result<Value, String> {
        let text = self.text().map_err(|e| e.without_url().to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }
}

/// Runs the view over the agent until `q`; the agent must answer once before the screen
/// changes, so a wrong address or token is a plain error (exit 2).
pub fn run(state: State, agent: &Agent, fallback: Duration) -> anyhow::Result<()> {
    let config = agent.get("config").map_err(BadInput)?;
    let every = config
        .get("interval_s")
        .and_then(Value::as_f64)
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(fallback, Duration::from_secs_f64)
        .clamp(Duration::from_millis(100), Duration::from_secs(5));
    let (mut screen, _restore) = terminal::enter()?;
    let mut state = state;
    let mut next = Instant::now();
    loop {
        if Instant::now() >= next {
            next = Instant::now() + every;
            match agent.poll() {
                Ok(actions) => {
                    for a in actions {
                        update(&mut state, a);
                    }
                    update(&mut state, Action::Status(None));
                }
                Err(why) => {
                    update(&mut state, Action::Status(Some(why)));
                }
            }
        }
        screen.draw(|f| render(&state, f))?;
        for action in keys::pending(next.saturating_duration_since(Instant::now()))? {
            if update(&mut state, action) == Effect::Quit {
                return Ok(());
            }
        }
    }
}

/// The snapshot's samples as one frame; each sample keeps its own time.
pub fn frame_of(snapshot: &Value) -> Frame {
    let ts = Timestamp(snapshot.get("ts").and_then(Value::as_i64).unwrap_or(0));
    let mut frame = Frame::new("snapshot", ts, Seconds(0.0));
    let samples = snapshot.get("samples").and_then(Value::as_array);
    for s in samples.into_iter().flatten() {
        let (Some(metric), Some(value)) = (
            s.get("metric").and_then(Value::as_str),
            s.get("value").and_then(Value::as_f64),
        ) else {
            continue;
        };
        let labels = s
            .get("labels")
            .and_then(Value::as_object)
            .map(|m| {
                Labels::from_pairs(
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v))),
                )
            })
            .unwrap_or_default();
        let at = s.get("ts").and_then(Value::as_i64).map_or(ts, Timestamp);
        frame.samples.push(bandwatch_core::Sample {
            series: std::sync::Arc::new(SeriesKey::new(metric, labels)),
            ts: at,
            value,
            kind: SampleKind::Gauge,
        });
    }
    frame
}

/// The alerts list's entries as firing events.
pub fn firing_of(alerts: &Value) -> Vec<AlertEvent> {
    alerts
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(alert_of)
        .collect()
}

fn alert_of(a: &Value) -> Option<AlertEvent> {
    let text = |k: &str| a.get(k).and_then(Value::as_str);
    let number = |k: &str| a.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    if text("state") != Some("firing") {
        return None;
    }
    let severity: Severity = serde_json::from_value(a.get("severity")?.clone()).ok()?;
    let started = Timestamp(a.get("started").and_then(Value::as_i64)?);
    Some(AlertEvent {
        id: text("id")?.to_string(),
        rule: text("rule")?.to_string(),
        series: text("series")?.parse().ok()?,
        kind: EventKind::Fired,
        state: AlertState::Firing,
        severity,
        value: number("value"),
        reference: number("reference"),
        message: text("message").unwrap_or_default().to_string(),
        started,
        ended: None,
        at: Timestamp(
            a.get("updated")
                .and_then(Value::as_i64)
                .unwrap_or(started.0),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_becomes_one_frame_with_each_samples_time() {
        let json: Value = serde_json::from_str(
            r#"{"ts": 2000, "samples": [
                {"metric": "net_rx_bits_per_second", "labels": {"iface": "eth0"}, "value": 1.5e6, "ts": 1500},
                {"metric": "system_memory_used_percent", "labels": {}, "value": 40.0},
                {"metric": "broken"}
            ], "sources": [], "sinks": []}"#,
        )
        .expect("json");
        let f = frame_of(&json);
        assert_eq!(f.ts, Timestamp(2000));
        assert_eq!(f.samples.len(), 2);
        assert_eq!(f.samples[0].ts, Timestamp(1500));
        assert_eq!(f.samples[0].series.labels.get("iface"), Some("eth0"));
        assert_eq!(f.samples[1].ts, Timestamp(2000));
    }

    #[test]
    fn only_firing_alerts_are_taken() {
        let json: Value = serde_json::from_str(
            r#"[{"id": "a-1", "rule": "download-threshold",
                 "series": "net_rx_bits_per_second{iface=\"eth0\"}", "state": "firing",
                 "severity": "high", "value": 1.2e8, "reference": 1e8, "message": "too much",
                 "started": 1000, "updated": 3000},
                {"id": "b-1", "rule": "x", "series": "up", "state": "resolved",
                 "severity": "low", "started": 1000}]"#,
        )
        .expect("json");
        let alerts = firing_of(&json);
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].severity, Severity::High);
        assert_eq!(alerts[0].series.labels.get("iface"), Some("eth0"));
        assert_eq!(alerts[0].at, Timestamp(3000));
    }

    #[test]
    fn an_address_that_is_not_http_is_refused_with_an_example() {
        let e = Agent::new("ftp://x", None)
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("--connect http://127.0.0.1:8080"), "{e}");
        assert!(Agent::new("localhost:8080", None).is_err());
        assert!(Agent::new("http://127.0.0.1:8080/", Some("secret-token")).is_ok());
    }
}
