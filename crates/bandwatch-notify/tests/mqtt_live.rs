//! The MQTT publisher against the Mosquitto broker on 127.0.0.1:1883: discovery on connect,
//! alerts and rates at QoS 1, and the retained discovery config a late subscriber gets.

mod common;

mod mqtt_support;

use mqtt_support::{Subscriber, BROKER};

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bandwatch_core::BitsPerSecond;
use bandwatch_notify::render::mqtt::{
    alert_messages, discovery_messages, rate_messages, DiscoverySettings, InterfaceRates,
    MqttMessage, TopicPrefix,
};
use bandwatch_notify::send::mqtt::{MqttPublisher, MqttSettings};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions};
use tokio::time::{timeout_at, Instant};

/// Skips (or, when root tests are required, fails) when no broker listens on 127.0.0.1:1883.
fn broker_available() -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], BROKER.1));
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok() {
        return true;
    }
    let reason = "no MQTT broker on 127.0.0.1:1883; start it with `mosquitto -d -c /etc/mosquitto/mosquitto.conf`";
    assert!(
        std::env::var("BANDWATCH_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
        "BANDWATCH_REQUIRE_ROOT_TESTS=1 but {reason}"
    );
    println!("SKIPPED: {reason}");
    false
}

/// A topic root no other test run uses.
fn unique_root() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("bandwatch-test/{}-{nanos}", std::process::id())
}

fn rates() -> Vec<InterfaceRates> {
    vec![InterfaceRates {
        iface: "eth0".into(),
        rx: BitsPerSecond(950_123_456.0),
        tx: BitsPerSecond(12_000_000.0),
    }]
}

/// Clears the retained messages a test left on the broker (an empty retained payload).
async fn clear_retained(settings: &MqttSettings, messages: &[MqttMessage]) {
    let clear: Vec<MqttMessage> = messages
        .iter()
        .filter(|m| m.retain)
        .map(|m| MqttMessage {
            topic: m.topic.clone(),
            payload: String::new(),
            retain: true,
        })
        .collect();
    let mut settings = settings.clone();
    settings.client_id.push_str("-cleanup");
    settings.discovery = None;
    let mut p = MqttPublisher::connect(&settings)
        .await
        .expect("cleanup connect");
    p.publish(&clear).await.expect("clear retained");
    p.shutdown().await.expect("cleanup shutdown");
}

#[tokio::test]
async fn publishes_discovery_alerts_and_rates() {
    if !broker_available() {
        return;
    }
    let root = unique_root();
    let prefix = TopicPrefix::parse(&format!("{root}/bw")).expect("prefix");
    let ha = DiscoverySettings {
        discovery_prefix: format!("{root}/ha"),
        node_id: "router.lan".into(),
        device_name: "bandwatch test".into(),
    };
    let mut settings = MqttSettings::new(
        BROKER.0,
        BROKER.1,
        format!("bw-{}", std::process::id()),
        prefix.clone(),
    );
    settings.discovery = Some(ha.clone());
    settings.interfaces = vec!["eth0".into()];

    let mut live = Subscriber::start(
        &format!("bw-sub-{}", std::process::id()),
        &format!("{root}/#"),
    )
    .await;
    let mut publisher = MqttPublisher::connect(&settings).await.expect("connect");
    assert_eq!(publisher.target(), "127.0.0.1:1883");

    let discovery = discovery_messages(&["eth0"], &prefix, &ha);
    let alerts = alert_messages(&[common::fired_high()], &prefix);
    let rate = rate_messages(&rates(), common::at(60), &prefix);
    publisher.publish(&alerts).await.expect("publish alerts");
    publisher.publish(&rate).await.expect("publish rates");

    let mut expected: Vec<&MqttMessage> = discovery.iter().collect();
    expected.extend(alerts.iter());
    expected.extend(rate.iter());
    let want: Vec<&str> = expected.iter().map(|m| m.topic.as_str()).collect();
    let got = live.collect(&want).await;
    for m in &expected {
        let received = got
            .get(&m.topic)
            .unwrap_or_else(|| panic!("nothing on {}; got {:?}", m.topic, got.keys()));
        assert!(
            received.iter().any(|g| g.payload == m.payload),
            "{}: {received:?}",
            m.topic
        );
    }
    assert!(got.contains_key(&format!("{root}/bw/events")));
    assert!(got.contains_key(&format!("{root}/bw/alerts/wan_rx_high/eth0")));
    assert!(got.contains_key(&format!("{root}/bw/rates/eth0")));
    let rx_config = format!("{root}/ha/sensor/bandwatch_router_lan/eth0_rx/config");
    assert!(got.contains_key(&rx_config), "{:?}", got.keys());
    live.stop().await;

    // A subscriber that comes later still finds the discovery config, marked retained.
    let mut late = Subscriber::start(
        &format!("bw-late-{}", std::process::id()),
        &format!("{root}/ha/#"),
    )
    .await;
    let retained = late.collect(&[rx_config.as_str()]).await;
    let config = &retained.get(&rx_config).expect("retained discovery config")[0];
    assert!(config.retain, "discovery config is not retained");
    let doc: serde_json::Value = serde_json::from_str(&config.payload).expect("config JSON");
    assert_eq!(doc["state_topic"], format!("{root}/bw/rates/eth0"));
    assert_eq!(doc["unit_of_measurement"], "Mbit/s");
    late.stop().await;

    publisher.shutdown().await.expect("clean shutdown");
    let mut all: Vec<MqttMessage> = discovery.clone();
    all.extend(alerts);
    clear_retained(&settings, &all).await;
}

#[tokio::test]
async fn reconnects_once_when_the_broker_dropped_the_connection() {
    if !broker_available() {
        return;
    }
    let root = unique_root();
    let prefix = TopicPrefix::parse(&format!("{root}/bw")).expect("prefix");
    let id = format!("bw-drop-{}", std::process::id());
    let settings = MqttSettings::new(BROKER.0, BROKER.1, id.clone(), prefix.clone());
    let mut publisher = MqttPublisher::connect(&settings).await.expect("connect");

    // A second client with the same id makes the broker close the publisher's connection.
    let (intruder, mut intruder_loop) =
        AsyncClient::new(MqttOptions::new(id, BROKER.0, BROKER.1), 4);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let event = timeout_at(deadline, intruder_loop.poll())
            .await
            .expect("CONNACK within 10s")
            .expect("intruder connection");
        if matches!(event, Event::Incoming(Incoming::ConnAck(_))) {
            break;
        }
    }
    drop(intruder);
    drop(intruder_loop);

    let mut live = Subscriber::start(
        &format!("bw-sub-drop-{}", std::process::id()),
        &format!("{root}/#"),
    )
    .await;
    let rate = rate_messages(&rates(), common::at(0), &prefix);
    publisher
        .publish(&rate)
        .await
        .expect("publish after the drop");
    let got = live.collect(&[rate[0].topic.as_str()]).await;
    assert_eq!(got[&rate[0].topic][0].payload, rate[0].payload);
    live.stop().await;
    publisher.shutdown().await.expect("clean shutdown");
}
