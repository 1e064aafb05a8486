//! MQTT: one connection to the broker, Home Assistant discovery (retained) on every connect,
//! and rendered messages published at QoS 1, each call waiting until the broker acknowledged
//! every message.
//!
//! The publisher drives rumqttc's event loop itself instead of leaving it to a background task,
//! so a call knows exactly which of its packets were acknowledged and no task outlives it.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectionError, Event, EventLoop, Incoming, MqttOptions, Outgoing, Publish, QoS,
    Request,
};
use tokio::time::{timeout_at, Instant};

use crate::render::mqtt::{discovery_messages, DiscoverySettings, MqttMessage, TopicPrefix};
use crate::render::Secret;

/// How long connecting, or publishing one batch, may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest packet this client sends or accepts; event payloads are a few KiB.
const MAX_PACKET: usize = 256 * 1024;

/// The boxed source of a failure.
pub use super::{SendError, Service, Source};

/// The `[mqtt]` channel settings.
#[derive(Clone, PartialEq, Eq)]
pub struct MqttSettings {
    /// The broker's host name or address.
    pub host: String,
    /// The broker's port (1883 without TLS).
    pub port: u16,
    /// The client id; must be unique on the broker (a second client with it is disconnected).
    pub client_id: String,
    /// The login name, when the broker wants one.
    pub username: Option<String>,
    /// The password; only used together with `username`.
    pub password: Option<Secret>,
    /// The prefix of every state topic.
    pub prefix: TopicPrefix,
    /// Home Assistant discovery, published retained on every connect when set.
    pub discovery: Option<DiscoverySettings>,
    /// The interfaces discovery announces sensors for.
    pub interfaces: Vec<String>,
    /// How long connecting, or publishing one batch, may take.
    pub timeout: Duration,
}

impl fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("prefix", &self.prefix)
            .field("discovery", &self.discovery)
            .field("interfaces", &self.interfaces)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> SendError {
    SendError::InvalidSetting {
        service: Service::Mqtt,
        field,
        reason: reason.into(),
    }
}

impl MqttSettings {
    /// Settings for `host:port` with the usual defaults: no login, no discovery.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        client_id: impl Into<String>,
        prefix: TopicPrefix,
    ) -> Self {
        Self {
            host: host.into(),
            port,
            client_id: client_id.into(),
            username: None,
            password: None,
            prefix,
            discovery: None,
            interfaces: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    fn check(&self) -> Result<(), SendError> {
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return Err(invalid(
                "host",
                format!(
                    "'{}' is not a host name; write e.g. 'broker.lan' or '127.0.0.1'",
                    self.host
                ),
            ));
        }
        if self.port == 0 {
            return Err(invalid("port", "0 is not a port; the MQTT default is 1883"));
        }
        if self.client_id.trim().is_empty() {
            return Err(invalid(
                "client_id",
                "must not be empty; e.g. 'bandwatch-router'",
            ));
        }
        if self.password.is_some() && self.username.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                "password",
                "a password is set but no username; set username too",
            ));
        }
        if self.timeout.is_zero() {
            return Err(invalid(
                "timeout",
                "must be greater than 0; the default is 10s",
            ));
        }
        Ok(())
    }

    fn options(&self) -> MqttOptions {
        let mut options = MqttOptions::new(&self.client_id, self.host.trim(), self.port);
        options.set_clean_session(true);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(MAX_PACKET, MAX_PACKET);
        if let Some(user) = &self.username {
            let password = self.password.as_ref().map_or("", Secret::expose);
            options.set_credentials(user.clone(), password);
        }
        options
    }
}

/// A connection to one broker that publishes rendered messages.
pub struct MqttPublisher {
    client: AsyncClient,
    eventloop: EventLoop,
    target: String,
    timeout: Duration,
    discovery: Vec<MqttMessage>,
    connected: bool,
}

impl fmt::Debug for MqttPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MqttPublisher")
            .field("target", &self.target)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

/// What one pass over the event loop is waiting for.
#[derive(Debug, Default)]
struct Progress {
    expected: usize,
    sent: usize,
    unacked: HashSet<u16>,
}

impl Progress {
    fn done(&self) -> bool {
        self.sent >= self.expected && self.unacked.is_empty()
    }
}

impl MqttPublisher {
    /// Validates the settings, connects, and publishes the discovery configs (retained).
    pub async fn connect(settings: &MqttSettings) -> Result<Self, SendError> {
        settings.check()?;
        let (client, mut eventloop) = AsyncClient::new(settings.options(), 16);
        let mut network = eventloop.network_options();
        network.set_connection_timeout(settings.timeout.as_secs().max(1));
        eventloop.set_network_options(network);
        let discovery = settings.discovery.as_ref().map_or_else(Vec::new, |d| {
            let ifaces: Vec<&str> = settings.interfaces.iter().map(String::as_str).collect();
            discovery_messages(&ifaces, &settings.prefix, d)
        });
        let mut publisher = Self {
            client,
            eventloop,
            target: format!("{}:{}", settings.host.trim(), settings.port),
            timeout: settings.timeout,
            discovery,
            connected: false,
        };
        publisher.publish(&[]).await?;
        Ok(publisher)
    }

    /// `host:port`, as errors name it.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Publishes `messages` at QoS 1 and returns once the broker acknowledged all of them.
    ///
    /// A dropped connection is re-opened once within the call (discovery is sent again then);
    /// on error some messages may have arrived, so a retry can deliver them twice (QoS 1 is
    /// at least once).
    pub async fn publish(&mut self, messages: &[MqttMessage]) -> Result<(), SendError> {
        let deadline = Instant::now() + self.timeout;
        let mut progress = Progress::default();
        if self.connected {
            progress.expected = self.enqueue(messages);
        }
        let mut reconnects = 0;
        while !(self.connected && progress.done()) {
            let event = match timeout_at(deadline, self.eventloop.poll()).await {
                Err(_) => {
                    self.drop_connection();
                    return Err(self.timed_out());
                }
                Ok(Err(e)) => {
                    let was_connected = std::mem::replace(&mut self.connected, false);
                    // A connection the broker closed while we were idle gets one fresh try.
                    if was_connected
                        && reconnects == 0
                        && !matches!(e, ConnectionError::ConnectionRefused(_))
                    {
                        reconnects += 1;
                        continue;
                    }
                    self.drop_connection();
                    return Err(classify(e, &self.target));
                }
                Ok(Ok(event)) => event,
            };
            match event {
                Event::Incoming(Incoming::ConnAck(_)) => {
                    self.connected = true;
                    self.eventloop.pending.clear();
                    let discovery = self.discovery.clone();
                    progress = Progress {
                        expected: self.enqueue(&discovery) + self.enqueue(messages),
                        ..Progress::default()
                    };
                }
                Event::Outgoing(Outgoing::Publish(pkid)) => {
                    progress.sent += 1;
                    progress.unacked.insert(pkid);
                }
                Event::Incoming(Incoming::PubAck(ack)) => {
                    progress.unacked.remove(&ack.pkid);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Says goodbye to the broker (DISCONNECT) and closes the connection.
    pub async fn shutdown(mut self) -> Result<(), SendError> {
        if !self.connected {
            return Ok(());
        }
        let deadline = Instant::now() + self.timeout;
        self.client
            .disconnect()
            .await
            .map_err(|e| SendError::Retryable {
                service: Service::Mqtt,
                target: self.target.clone(),
                reason: format!("cannot queue the disconnect: {e}"),
                source: Some(Box::new(e)),
            })?;
        loop {
            match timeout_at(deadline, self.eventloop.poll()).await {
                Err(_) => return Err(self.timed_out()),
                Ok(Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_)) => return Ok(()),
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Queues messages for the event loop directly, so no channel capacity limits a batch.
    fn enqueue(&mut self, messages: &[MqttMessage]) -> usize {
        for m in messages {
            let mut publish =
                Publish::new(&m.topic, QoS::AtLeastOnce, m.payload.clone().into_bytes());
            publish.retain = m.retain;
            self.eventloop.pending.push_back(Request::Publish(publish));
        }
        messages.len()
    }

    /// Forgets the connection and anything still queued; the next call connects afresh.
    fn drop_connection(&mut self) {
        self.connected = false;
        self.eventloop.clean();
        self.eventloop.pending.clear();
    }

    fn timed_out(&self) -> SendError {
        SendError::Retryable {
        service: Service::Mqtt,
            target: self.target.clone(),
            reason: format!(
                "no answer within {:?}; check that the broker runs and 'host' and 'port' are right, or raise 'timeout'",
                self.timeout
            ),
            source: None,
        }
    }
}

/// Turns a client error into a retryable or permanent error that says what to do.
pub fn classify(e: ConnectionError, target: &str) -> SendError {
    use rumqttc::ConnectReturnCode as Code;
    let permanent = |reason: String, e: ConnectionError| SendError::Permanent {
        service: Service::Mqtt,
        target: target.to_string(),
        reason,
        source: Some(Box::new(e)),
    };
    match e {
        ConnectionError::ConnectionRefused(Code::BadUserNamePassword | Code::NotAuthorized) => {
            permanent("the broker rejected the login; check 'username' and 'password'".into(), e)
        }
        ConnectionError::ConnectionRefused(Code::BadClientId) => {
            permanent("the broker rejected the client id; set another 'client_id'".into(), e)
        }
        ConnectionError::ConnectionRefused(Code::RefusedProtocolVersion) => permanent(
            "the broker does not speak MQTT 3.1.1; upgrade it or use another broker".into(),
            e,
        ),
        ConnectionError::Io(_) | ConnectionError::NetworkTimeout | ConnectionError::FlushTimeout => {
            SendError::Retryable {
        service: Service::Mqtt,
                target: target.to_string(),
                reason: format!("cannot reach the broker ({e}); check that it runs and that 'host' and 'port' are right"),
                source: Some(Box::new(e)),
            }
        }
        other => SendError::Retryable {
        service: Service::Mqtt,
            target: target.to_string(),
            reason: format!("connection failed ({other})"),
            source: Some(Box::new(other)),
        },
    }
}
