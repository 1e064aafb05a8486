//! A plain rumqttc subscriber the MQTT tests drive themselves (shared by `mqtt_live` and
//! `mqtt_channel`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, Incoming, MqttOptions, QoS};
use tokio::time::{timeout_at, Instant};

/// The test broker: the machine's Mosquitto.
pub const BROKER: (&str, u16) = ("127.0.0.1", 1883);

/// A received publish: payload and whether the broker marked it retained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub payload: String,
    pub retain: bool,
}

/// A plain rumqttc subscriber that the test drives itself.
pub struct Subscriber {
    client: AsyncClient,
    eventloop: EventLoop,
}

impl Subscriber {
    pub async fn start(name: &str, filter: &str) -> Self {
        let mut options = MqttOptions::new(name, BROKER.0, BROKER.1);
        options.set_max_packet_size(256 * 1024, 256 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .expect("queue subscribe");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let event = timeout_at(deadline, eventloop.poll())
                .await
                .expect("SUBACK within 10s")
                .expect("subscriber connection");
            if matches!(event, Event::Incoming(Incoming::SubAck(_))) {
                break;
            }
        }
        Self { client, eventloop }
    }

    /// Collects publishes until every topic in `want` arrived, or the deadline passes.
    pub async fn collect(&mut self, want: &[&str]) -> BTreeMap<String, Vec<Got>> {
        let mut got: BTreeMap<String, Vec<Got>> = BTreeMap::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !want.iter().all(|t| got.contains_key(*t)) {
            let Ok(event) = timeout_at(deadline, self.eventloop.poll()).await else {
                break;
            };
            if let Event::Incoming(Incoming::Publish(p)) = event.expect("subscriber connection") {
                got.entry(p.topic.clone()).or_default().push(Got {
                    payload: String::from_utf8(p.payload.to_vec()).expect("utf-8 payload"),
                    retain: p.retain,
                });
            }
        }
        got
    }

    pub async fn stop(mut self) {
        let _ = self.client.disconnect().await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(Ok(event)) = timeout_at(deadline, self.eventloop.poll()).await {
            if matches!(event, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    }
}
