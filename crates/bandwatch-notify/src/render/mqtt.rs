//! MQTT: alert events and rate snapshots under a topic prefix, and Home Assistant discovery.

use bandwatch_core::{AlertEvent, BitsPerSecond, Timestamp};
use serde_json::{json, Value};

use super::webhook::webhook_document;
use super::{state_str, subject};
use crate::error::{NotifyError, Result};

/// The Home Assistant discovery prefix unless configured otherwise.
pub const DEFAULT_DISCOVERY_PREFIX: &str = "homeassistant";

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttMessage {
    /// The topic, under the configured prefix.
    pub topic: String,
    /// The JSON payload.
    pub payload: String,
    /// Whether the broker keeps it for late subscribers.
    pub retain: bool,
}

/// A validated topic prefix such as `bandwatch` or `home/router/bandwatch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPrefix(String);

impl TopicPrefix {
    /// Checks a prefix: not empty, no wildcards, no empty levels, no leading `$`.
    pub fn parse(prefix: &str) -> Result<Self> {
        let invalid = |reason| NotifyError::InvalidTopicPrefix {
            prefix: prefix.to_string(),
            reason,
        };
        if prefix.is_empty() {
            return Err(invalid("must not be empty; the default is 'bandwatch'"));
        }
        if prefix.contains(['+', '#', '\0']) {
            return Err(invalid("must not contain '+', '#' or NUL"));
        }
        if prefix.starts_with('$') {
            return Err(invalid("must not start with '$' (reserved for the broker)"));
        }
        if prefix.split('/').any(str::is_empty) {
            return Err(invalid(
                "has an empty level; remove leading, trailing or double '/'",
            ));
        }
        Ok(Self(prefix.to_string()))
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn topic(&self, levels: &[&str]) -> String {
        let mut out = self.0.clone();
        for level in levels {
            out.push('/');
            out.push_str(&topic_level(level));
        }
        out
    }
}

/// One topic level from any text: `/`, `+`, `#`, NUL and whitespace become `_`.
pub fn topic_level(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| match c {
            '/' | '+' | '#' | '\0' => '_',
            c if c.is_whitespace() || c.is_control() => '_',
            c => c,
        })
        .collect();
    if out.is_empty() {
        "_".into()
    } else {
        out
    }
}

/// Per event: the event itself on `<prefix>/events` and the alert's state, retained, on
/// `<prefix>/alerts/<rule>/<subject>`.
pub fn alert_messages(events: &[AlertEvent], prefix: &TopicPrefix) -> Vec<MqttMessage> {
    events
        .iter()
        .flat_map(|e| {
            let doc = webhook_document(std::slice::from_ref(e));
            let event = serde_json::to_value(&doc.alerts[0]).unwrap_or(Value::Null);
            let state = json!({
                "state": state_str(e.state),
                "severity": e.severity,
                "id": e.id,
                "at": e.at.to_rfc3339(),
            });
            [
                message(prefix.topic(&["events"]), &event, false),
                message(
                    prefix.topic(&["alerts", &e.rule, &subject(&e.series)]),
                    &state,
                    true,
                ),
            ]
        })
        .collect()
}

/// The current receive and transmit rates of one interface.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceRates {
    /// The interface name.
    pub iface: String,
    /// Receive rate.
    pub rx: BitsPerSecond,
    /// Transmit rate.
    pub tx: BitsPerSecond,
}

/// One message per interface on `<prefix>/rates/<iface>`: `{"rx_mbps":…,"tx_mbps":…,"at":…}`.
pub fn rate_messages(
    rates: &[InterfaceRates],
    at: Timestamp,
    prefix: &TopicPrefix,
) -> Vec<MqttMessage> {
    rates
        .iter()
        .map(|r| {
            let payload = json!({
                "rx_mbps": round3(r.rx.as_mbps()),
                "tx_mbps": round3(r.tx.as_mbps()),
                "at": at.to_rfc3339(),
            });
            message(prefix.topic(&["rates", &r.iface]), &payload, false)
        })
        .collect()
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Names the Home Assistant device that groups bandwatch's sensors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoverySettings {
    /// The discovery prefix Home Assistant listens on.
    pub discovery_prefix: String,
    /// A stable id for this bandwatch instance (host name), part of every `unique_id`.
    pub node_id: String,
    /// The device name shown in Home Assistant.
    pub device_name: String,
}

/// Retained discovery configs: an rx and a tx sensor in Mbit/s per interface.
pub fn discovery_messages(
    ifaces: &[&str],
    prefix: &TopicPrefix,
    settings: &DiscoverySettings,
) -> Vec<MqttMessage> {
    ifaces
        .iter()
        .flat_map(|iface| ["rx", "tx"].map(|dir| discovery_message(iface, dir, prefix, settings)))
        .collect()
}

fn discovery_message(
    iface: &str,
    dir: &str,
    prefix: &TopicPrefix,
    settings: &DiscoverySettings,
) -> MqttMessage {
    let node = object_id(&settings.node_id);
    let object = object_id(&format!("{iface}_{dir}"));
    let payload = json!({
        "name": format!("{iface} {dir}"),
        "unique_id": format!("bandwatch_{node}_{object}"),
        "state_topic": prefix.topic(&["rates", iface]),
        "value_template": format!("{{{{ value_json.{dir}_mbps }}}}"),
        "unit_of_measurement": "Mbit/s",
        "device_class": "data_rate",
        "state_class": "measurement",
        "device": {
            "identifiers": [format!("bandwatch_{node}")],
            "name": settings.device_name,
            "manufacturer": "bandwatch",
            "model": "bandwatch",
        },
    });
    let topic = format!(
        "{}/sensor/bandwatch_{node}/{object}/config",
        settings.discovery_prefix
    );
    message(topic, &payload, true)
}

/// Home Assistant ids allow `[a-zA-Z0-9_-]` only.
fn object_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A scheduled summary's JSON under `<prefix>/summary/<report>`, retained so a dashboard
/// that subscribes later still finds the latest one.
pub fn summary_message(prefix: &TopicPrefix, report: &str, json: &str) -> MqttMessage {
    MqttMessage {
        topic: prefix.topic(&["summary", report]),
        payload: json.to_string(),
        retain: true,
    }
}

fn message(topic: String, payload: &Value, retain: bool) -> MqttMessage {
    MqttMessage {
        topic,
        payload: payload.to_string(),
        retain,
    }
}
