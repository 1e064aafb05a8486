//! Golden tests: every renderer over the fixed events, plus escaping of hostile names.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use bandwatch_core::BitsPerSecond;
use bandwatch_notify::render::alertmanager::{alertmanager_alerts, AlertmanagerSettings};
use bandwatch_notify::render::chat::{
    discord_payload, slack_payload, teams_payload, telegram_payload, ChatSettings,
};
use bandwatch_notify::render::email::{render_email, EmailSettings, SubjectTemplate};
use bandwatch_notify::render::mqtt::{
    alert_messages, discovery_messages, rate_messages, DiscoverySettings, InterfaceRates,
    MqttMessage, TopicPrefix,
};
use bandwatch_notify::render::webhook::webhook_body;
use serde_json::Value;

const DASHBOARD: &str = "http://router.lan:9180/";

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json")
}

fn chat() -> ChatSettings {
    ChatSettings {
        dashboard_url: Some(DASHBOARD.into()),
    }
}

fn email_settings() -> EmailSettings {
    EmailSettings {
        subject: SubjectTemplate::default(),
        dashboard_url: Some(DASHBOARD.into()),
    }
}

fn mqtt_text(messages: &[MqttMessage]) -> String {
    let mut out = String::new();
    for m in messages {
        let _ = write!(out, "{} retain={}\n{}\n", m.topic, m.retain, m.payload);
    }
    out
}

#[test]
fn email_subject_text_and_html() {
    let msg = render_email(&common::all(), &email_settings());
    insta::assert_snapshot!("email_subject", msg.subject);
    insta::assert_snapshot!("email_text", msg.text);
    insta::assert_snapshot!("email_html", msg.html);
}

#[test]
fn email_single_event_subject() {
    let msg = render_email(&[common::fired_high()], &EmailSettings::default());
    assert_eq!(msg.subject, "[bandwatch] HIGH firing: wan_rx_high on eth0");
    assert!(!msg.html.contains("dashboard"));
}

#[test]
fn webhook_document() {
    let body = webhook_body(&common::all()).expect("body");
    let v: Value = serde_json::from_str(&body).expect("parse");
    assert_eq!(v["version"], 1);
    assert_eq!(v["kind"], "bandwatch.alerts");
    insta::assert_snapshot!("webhook", pretty(&v));
}

#[test]
fn slack() {
    insta::assert_snapshot!("slack", pretty(&slack_payload(&common::all(), &chat())));
}

#[test]
fn discord() {
    insta::assert_snapshot!("discord", pretty(&discord_payload(&common::all(), &chat())));
}

#[test]
fn teams() {
    insta::assert_snapshot!("teams", pretty(&teams_payload(&common::all(), &chat())));
}

#[test]
fn telegram() {
    let v = telegram_payload(&common::all(), "-100123", &chat());
    insta::assert_snapshot!("telegram", pretty(&v));
}

#[test]
fn alertmanager() {
    let settings = AlertmanagerSettings {
        instance: "router".into(),
        generator_url: Some(DASHBOARD.into()),
        firing_ttl: Some(Duration::from_secs(300)),
    };
    let v = alertmanager_alerts(&common::all(), &settings);
    insta::assert_snapshot!("alertmanager", pretty(&v));
    let plain = alertmanager_alerts(&[common::fired_high()], &AlertmanagerSettings::default());
    assert!(plain[0].get("endsAt").is_none());
    assert!(plain[0].get("generatorURL").is_none());
    assert!(plain[0]["labels"].get("instance").is_none());
}

#[test]
fn alertmanager_escalation_closes_the_old_severity() {
    let events = [common::fired_high(), common::escalated_critical()];
    let v = alertmanager_alerts(&events, &AlertmanagerSettings::default());
    assert_eq!(v[0]["labels"]["severity"], "high");
    assert_eq!(v[0]["endsAt"], "2026-11-21T10:02:00.000Z");
    assert!(v[1].get("endsAt").is_none());
}

#[test]
fn mqtt_events_rates_and_discovery() {
    let prefix = TopicPrefix::parse("home/bandwatch").expect("prefix");
    insta::assert_snapshot!(
        "mqtt_alerts",
        mqtt_text(&alert_messages(&common::all(), &prefix))
    );
    let rates = [
        InterfaceRates {
            iface: "eth0".into(),
            rx: BitsPerSecond(950_123_456.0),
            tx: BitsPerSecond(12_000_000.0),
        },
        InterfaceRates {
            iface: "wg0".into(),
            rx: BitsPerSecond(0.0),
            tx: BitsPerSecond(1_500.0),
        },
    ];
    insta::assert_snapshot!(
        "mqtt_rates",
        mqtt_text(&rate_messages(&rates, common::at(60), &prefix))
    );
    let ha = DiscoverySettings {
        discovery_prefix: "homeassistant".into(),
        node_id: "router.lan".into(),
        device_name: "bandwatch on router".into(),
    };
    insta::assert_snapshot!(
        "mqtt_discovery",
        mqtt_text(&discovery_messages(&["eth0"], &prefix, &ha))
    );
}

#[test]
fn mqtt_prefix_validation() {
    for bad in ["", "a/+/b", "a/#", "$SYS", "a//b", "a/"] {
        let err = TopicPrefix::parse(bad).expect_err(bad);
        assert!(err.to_string().contains("MQTT topic prefix"), "{err}");
    }
    assert_eq!(
        TopicPrefix::parse("bandwatch").expect("ok").as_str(),
        "bandwatch"
    );
}

#[test]
fn mqtt_topic_levels_are_sanitised() {
    let prefix = TopicPrefix::parse("bw").expect("prefix");
    let mut e = common::fired_high();
    e.series = common::rx("a/b+#c d");
    let msgs = alert_messages(&[e], &prefix);
    assert_eq!(msgs[1].topic, "bw/alerts/wan_rx_high/a_b__c_d");
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

fn assert_no_markup(what: &str, text: &str) {
    assert!(
        !text.contains(HOSTILE),
        "{what} carries the raw name: {text}"
    );
    assert!(!text.contains("<img"), "{what} carries an <img tag: {text}");
    assert!(
        !text.contains("<b>down"),
        "{what} carries the raw message markup: {text}"
    );
}

#[test]
fn html_email_escapes_names() {
    let msg = render_email(&[common::hostile()], &email_settings());
    assert_no_markup("html email", &msg.html);
    assert!(msg.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(msg.html.contains("&amp; went &lt;b&gt;down&lt;/b&gt;"));
    // The plain-text part is not markup; it shows the name as it is.
    assert!(msg.text.contains(HOSTILE));
}

#[test]
fn telegram_escapes_names() {
    let v = telegram_payload(&[common::hostile()], "1", &ChatSettings::default());
    let text = v["text"].as_str().expect("text");
    assert_no_markup("telegram", text);
    assert!(text.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn teams_escapes_names() {
    let v = teams_payload(&[common::hostile()], &ChatSettings::default());
    assert_no_markup("teams", &v.to_string());
}

#[test]
fn slack_and_discord_escape_names() {
    let slack = slack_payload(&[common::hostile()], &ChatSettings::default()).to_string();
    assert_no_markup("slack", &slack);
    let discord = discord_payload(&[common::hostile()], &ChatSettings::default());
    assert!(discord["embeds"][0]["title"]
        .as_str()
        .expect("title")
        .contains("\\<img src=x onerror=alert\\(1\\)\\>"));
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
}

#[test]
fn email_subject_has_no_line_breaks() {
    let mut e = common::fired_high();
    e.series = common::rx("eth0\r\nBcc: victim@example.com");
    let msg = render_email(&[e], &EmailSettings::default());
    assert!(!msg.subject.contains(['\r', '\n']), "{}", msg.subject);
}

/// Notifications show values with the engine's formatter (`bandwatch_core::human`), so an
/// alert's message and its notification agree: a 12.3 ms RTT is "12.3 ms" in both, no longer
/// "0.012 s" in the notification.
#[test]
fn probe_values_read_as_the_engine_writes_them() {
    let mut rtt = common::fired_high();
    rtt.series = bandwatch_core::SeriesKey::with_label("probe_rtt_seconds", "target", "router");
    (rtt.value, rtt.reference) = (0.0123, 0.01);
    let events = [rtt];
    let email = render_email(&events, &email_settings());
    let rendered = [
        email.text,
        email.html,
        webhook_body(&events).expect("body"),
        slack_payload(&events, &chat()).to_string(),
        telegram_payload(&events, "1", &chat()).to_string(),
        alertmanager_alerts(&events, &AlertmanagerSettings::default()).to_string(),
    ];
    for text in rendered {
        assert!(text.contains("12.3 ms"), "{text}");
        assert!(text.contains("10.0 ms"), "{text}");
        assert!(!text.contains("0.012 s"), "{text}");
    }
}
