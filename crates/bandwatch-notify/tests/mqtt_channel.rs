//! `MqttChannel` and `MqttRates` against the Mosquitto broker on 127.0.0.1:1883: the stored
//! payload is what a subscriber receives, an unreachable broker is a retry that shows no
//! password, and one netdev frame becomes rates plus retained Home Assistant discovery.

mod common;

mod mqtt_support;

use mqtt_support::{Subscriber, BROKER};

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bandwatch_core::{Catalog, Frame, MetricDef, Role, SampleKind, Seconds, SeriesKey, Unit};
use bandwatch_notify::dispatch::{Deliver, Outcome};
use bandwatch_notify::mqtt_channel::{
    frame_rates, MqttChannel, MqttRates, RateMetrics, StoredMessage,
};
use bandwatch_notify::render::mqtt::{DiscoverySettings, MqttMessage, TopicPrefix};
use bandwatch_notify::send::mqtt::{MqttPublisher, MqttSettings};
use bandwatch_notify::Secret;
use tokio::runtime::Runtime;

const PASSWORD: &str = "hunter2-mqtt-secret";

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

/// A name no other test (or run) uses.
fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{tag}-{}-{nanos}", std::process::id())
}

fn test_runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("test runtime")
}

/// Clears retained messages a test left on the broker (an empty retained payload).
async fn clear_retained(root: &str, topics: &[String]) {
    let clear: Vec<MqttMessage> = topics
        .iter()
        .map(|topic| MqttMessage {
            topic: topic.clone(),
            payload: String::new(),
            retain: true,
        })
        .collect();
    let prefix = TopicPrefix::parse(root).expect("prefix");
    let settings = MqttSettings::new(BROKER.0, BROKER.1, unique("bw-clean"), prefix);
    let mut p = MqttPublisher::connect(&settings)
        .await
        .expect("cleanup connect");
    p.publish(&clear).await.expect("clear retained");
    p.shutdown().await.expect("cleanup shutdown");
}

fn settings(root: &str, client: &str) -> MqttSettings {
    let prefix = TopicPrefix::parse(&format!("{root}/bw")).expect("prefix");
    MqttSettings::new(BROKER.0, BROKER.1, unique(client), prefix)
}

#[test]
fn the_stored_payload_reaches_a_subscriber() {
    if !broker_available() {
        return;
    }
    let root = unique("bandwatch-test/chan");
    let rt = test_runtime();
    let mut live = rt.block_on(Subscriber::start(&unique("bw-sub"), &format!("{root}/#")));

    let mut channel = MqttChannel::new("mqtt:home", settings(&root, "bw-chan")).expect("runtime");
    assert_eq!(channel.name(), "mqtt:home");
    assert!(!channel.is_connected(), "connects lazily");
    let payload = channel
        .render(&[common::fired_high()])
        .expect("render alerts");
    let stored: Vec<StoredMessage> = serde_json::from_str(&payload).expect("a JSON list");
    assert_eq!(stored.len(), 2, "{payload}");
    assert_eq!(stored[0].topic, format!("{root}/bw/events"));
    assert!(!stored[0].retain);
    assert_eq!(
        stored[1].topic,
        format!("{root}/bw/alerts/wan_rx_high/eth0")
    );
    assert!(stored[1].retain);

    assert_eq!(channel.deliver(&payload), Outcome::Delivered);
    assert!(channel.is_connected());
    let want: Vec<&str> = stored.iter().map(|m| m.topic.as_str()).collect();
    let got = rt.block_on(live.collect(&want));
    for m in &stored {
        let received = got
            .get(&m.topic)
            .unwrap_or_else(|| panic!("nothing on {}; got {:?}", m.topic, got.keys()));
        assert_eq!(received[0].payload, m.payload, "{}", m.topic);
    }

    // The same stored bytes again, on the same connection.
    assert_eq!(channel.deliver(&payload), Outcome::Delivered);
    let again = rt.block_on(live.collect(&want[..1]));
    assert_eq!(again[want[0]][0].payload, stored[0].payload);

    assert!(matches!(
        channel.deliver("not json"),
        Outcome::Permanent(why) if why.contains("not a JSON list")
    ));
    channel.shutdown().expect("clean shutdown");
    rt.block_on(live.stop());
    rt.block_on(clear_retained(&root, &[stored[1].topic.clone()]));
}

#[test]
fn a_summary_is_published_retained_under_its_report() {
    if !broker_available() {
        return;
    }
    let root = unique("bandwatch-test/summary");
    let rt = test_runtime();
    let mut live = rt.block_on(Subscriber::start(&unique("bw-sub"), &format!("{root}/#")));
    let mut channel = MqttChannel::new("mqtt:home", settings(&root, "bw-sum")).expect("runtime");
    let summary = bandwatch_notify::summary::Summary {
        report: "daily".into(),
        key: "summary:daily:1".into(),
        title: "t".into(),
        text: "x".into(),
        html: "<p>x</p>".into(),
        json: r#"{"kind":"bandwatch.summary"}"#.into(),
        chart_png: Some(vec![1, 2, 3]),
    };
    let payload = channel
        .render_summary(&summary)
        .expect("MQTT carries summaries")
        .expect("render");
    let stored: Vec<StoredMessage> = serde_json::from_str(&payload).expect("a JSON list");
    let topic = format!("{root}/bw/summary/daily");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].topic, topic);
    assert!(
        stored[0].retain,
        "the latest summary waits for late subscribers"
    );
    assert_eq!(channel.deliver(&payload), Outcome::Delivered);
    let got = rt.block_on(live.collect(&[topic.as_str()]));
    assert_eq!(got[&topic][0].payload, summary.json);
    channel.shutdown().expect("clean shutdown");
    rt.block_on(live.stop());
    rt.block_on(clear_retained(&root, &[topic]));
}

#[test]
fn an_unreachable_broker_is_a_retry_without_the_password() {
    // A port that was just free: nothing listens there.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("local addr").port()
    };
    let prefix = TopicPrefix::parse("bandwatch-test/closed").expect("prefix");
    let mut settings = MqttSettings::new("127.0.0.1", port, unique("bw-closed"), prefix);
    settings.username = Some("bandwatch".into());
    settings.password = Some(Secret::new(PASSWORD));
    settings.timeout = Duration::from_secs(3);
    let mut channel = MqttChannel::new("mqtt:closed", settings).expect("runtime");
    let payload = channel.render(&[common::fired_high()]).expect("render");
    assert!(!payload.contains(PASSWORD));
    assert!(!format!("{channel:?}").contains(PASSWORD));

    for _ in 0..2 {
        match channel.deliver(&payload) {
            Outcome::Retry(why) => {
                assert!(why.contains(&format!("127.0.0.1:{port}")), "{why}");
                assert!(!why.contains(PASSWORD), "shows the password: {why}");
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        assert!(!channel.is_connected());
    }
}

fn netdev_frame(secs: i64) -> Frame {
    let mut frame = Frame::new("netdev", common::at(secs), Seconds(1.0));
    let mut push = |metric: &str, iface: &str, value: f64| {
        let key = if iface == "total" {
            SeriesKey::with_label(metric, "scope", "total")
        } else {
            SeriesKey::with_label(metric, "iface", iface)
        };
        frame.push(Arc::new(key), value, SampleKind::Rate);
    };
    push("net_rx_bits_per_second", "eth0", 950_123_456.0);
    push("net_tx_bits_per_second", "eth0", 12_000_000.0);
    push("net_rx_bits_per_second", "wlan0", 54_321_000.0);
    push("net_tx_bits_per_second", "wlan0", 1_500_000.0);
    push("net_rx_bits_per_second", "total", 1e9);
    push("net_rx_bytes", "eth0", 118_765_432.0);
    frame
}

/// The two rate metrics, as the netdev source declares them.
fn catalog() -> Catalog {
    let rate = |name, role| {
        MetricDef::new(
            name,
            SampleKind::Rate,
            Unit::BitsPerSecond,
            &["iface"],
            name,
            name,
        )
        .role(role)
    };
    let mut catalog = Catalog::new();
    catalog
        .extend(&[
            rate("net_rx_bits_per_second", Role::RxRate),
            rate("net_tx_bits_per_second", Role::TxRate),
        ])
        .expect("two metrics");
    catalog
}

#[test]
fn frame_rates_pairs_rx_and_tx_per_interface() {
    let metrics = RateMetrics::from_catalog(&catalog());
    let rates = frame_rates(&netdev_frame(0), metrics);
    let names: Vec<&str> = rates.iter().map(|r| r.iface.as_str()).collect();
    assert_eq!(names, ["eth0", "wlan0"]);
    assert!((rates[0].rx.as_mbps() - 950.123_456).abs() < 1e-9);
    assert!((rates[1].tx.as_mbps() - 1.5).abs() < 1e-9);
    let empty = Frame::new("netdev", common::at(0), Seconds(1.0));
    assert!(frame_rates(&empty, metrics).is_empty());
}

#[test]
fn rates_and_retained_discovery_reach_the_broker() {
    if !broker_available() {
        return;
    }
    let root = unique("bandwatch-test/rates");
    let mut settings = settings(&root, "bw-rates");
    settings.discovery = Some(DiscoverySettings {
        discovery_prefix: format!("{root}/ha"),
        node_id: "router.lan".into(),
        device_name: "bandwatch test".into(),
    });
    let rt = test_runtime();
    let mut live = rt.block_on(Subscriber::start(&unique("bw-sub"), &format!("{root}/#")));

    let mut rates = MqttRates::start(settings, 4, &catalog()).expect("start");
    rates.publish_frame(&netdev_frame(60));
    let eth0 = format!("{root}/bw/rates/eth0");
    let wlan0 = format!("{root}/bw/rates/wlan0");
    let config = |iface: &str, dir: &str| {
        format!("{root}/ha/sensor/bandwatch_router_lan/{iface}_{dir}/config")
    };
    let configs = [
        config("eth0", "rx"),
        config("eth0", "tx"),
        config("wlan0", "rx"),
        config("wlan0", "tx"),
    ];
    let mut want = vec![eth0.as_str(), wlan0.as_str()];
    want.extend(configs.iter().map(String::as_str));
    let got = rt.block_on(live.collect(&want));
    for topic in &want {
        assert!(
            got.contains_key(*topic),
            "nothing on {topic}: {:?}",
            got.keys()
        );
    }
    let doc: serde_json::Value = serde_json::from_str(&got[&eth0][0].payload).expect("JSON");
    assert_eq!(doc["rx_mbps"], 950.123);
    assert_eq!(doc["tx_mbps"], 12.0);
    assert_eq!(doc["at"], "2026-11-21T10:01:00.000Z");
    let doc: serde_json::Value = serde_json::from_str(&got[&wlan0][0].payload).expect("JSON");
    assert_eq!(doc["rx_mbps"], 54.321);
    assert_eq!(doc["tx_mbps"], 1.5);
    rt.block_on(live.stop());

    let stats = rates.close();
    assert_eq!(stats.published, 1, "{stats:?}");
    assert_eq!(stats.dropped + stats.failed, 0, "{stats:?}");

    // A subscriber that comes later still finds the discovery configs, marked retained.
    let mut late = rt.block_on(Subscriber::start(
        &unique("bw-late"),
        &format!("{root}/ha/#"),
    ));
    let want: Vec<&str> = configs.iter().map(String::as_str).collect();
    let retained = rt.block_on(late.collect(&want));
    for topic in &configs {
        let got = &retained.get(topic).expect("retained discovery config")[0];
        assert!(got.retain, "{topic} is not retained");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&retained[&configs[0]][0].payload).expect("config JSON");
    assert_eq!(doc["state_topic"], eth0);
    assert_eq!(doc["unit_of_measurement"], "Mbit/s");
    rt.block_on(late.stop());
    rt.block_on(clear_retained(&root, &configs));
}

#[test]
fn a_full_queue_drops_and_counts_instead_of_waiting() {
    // Nothing listens on the port, so the worker is busy failing while frames keep coming.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("local addr").port()
    };
    let prefix = TopicPrefix::parse("bandwatch-test/full").expect("prefix");
    let mut settings = MqttSettings::new("127.0.0.1", port, unique("bw-full"), prefix);
    settings.timeout = Duration::from_secs(2);
    let mut rates = MqttRates::start(settings, 1, &catalog()).expect("start");
    let started = std::time::Instant::now();
    for i in 0..50 {
        rates.publish_frame(&netdev_frame(i));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "publish_frame waited"
    );
    let stats = rates.close();
    assert_eq!(stats.published, 0, "{stats:?}");
    assert_eq!(
        stats.dropped + stats.failed,
        50,
        "every frame is either dropped or failed: {stats:?}"
    );
    assert!(stats.dropped >= 48, "{stats:?}");
}
