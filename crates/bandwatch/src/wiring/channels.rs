//! Turning a validated `[[notify.channels]]` entry into a channel that can deliver, with its
//! route; and the MQTT rates publisher's broker settings.

use bandwatch_core::{alert_id, AlertEvent, EventKind, Role, SeriesKey, Severity, Timestamp};
use bandwatch_notify::channels::{
    AlertmanagerChannel, DiscordChannel, EmailChannel, SlackChannel, TeamsChannel, TelegramChannel,
    WebhookChannel,
};
use bandwatch_notify::dispatch::{Deliver, Route};
use bandwatch_notify::mqtt_channel::MqttChannel;
use bandwatch_notify::render::alertmanager::AlertmanagerSettings;
use bandwatch_notify::render::chat::ChatSettings;
use bandwatch_notify::render::email::{EmailSettings, SubjectTemplate, DEFAULT_SUBJECT};
use bandwatch_notify::render::mqtt::{DiscoverySettings, TopicPrefix, DEFAULT_DISCOVERY_PREFIX};
use bandwatch_notify::send::http::{
    AlertmanagerSender, DiscordSender, ReqwestPost, SlackSender, TeamsSender, TelegramSender,
    WebhookSender,
};
use bandwatch_notify::send::mqtt::MqttSettings;
use bandwatch_notify::send::smtp::{SmtpSettings, TlsMode};
use bandwatch_notify::Secret;

use crate::config::notify::{ChannelKind, ChannelSpec, NotifyConfig};

/// Which events the channel gets.
pub fn route(spec: &ChannelSpec, config: &NotifyConfig) -> Route {
    // Validation already refused patterns that do not parse; as before, one that slips
    // through is left out rather than failing a channel at start-up.
    let terms = spec
        .matchers
        .iter()
        .filter_map(|(label, pattern)| bandwatch_core::Term::new(label, pattern).ok())
        .collect();
    Route {
        min_severity: spec.min_severity.unwrap_or(Severity::Low),
        selector: bandwatch_core::Selector::new(terms),
        send_resolved: spec.send_resolved.unwrap_or(config.send_resolved),
    }
}

/// A ready channel; the error says what is wrong without repeating secrets.
pub fn build_channel(
    spec: &ChannelSpec,
    config: &NotifyConfig,
) -> Result<Box<dyn Deliver>, String> {
    let name = spec.name.clone();
    let chat = ChatSettings {
        dashboard_url: config.dashboard_url.clone(),
    };
    let url = || spec.url.clone().unwrap_or_default();
    let http = || ReqwestPost::new().map_err(|e| e.to_string());
    let channel: Box<dyn Deliver> = match spec.kind {
        ChannelKind::Email => Box::new(email(spec, config)?),
        ChannelKind::Webhook => {
            let mut s = WebhookSender::new(http()?, url());
            s.headers = spec
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            s.secret = spec.secret.clone().map(Secret::new);
            s.timeout = spec.timeout;
            Box::new(WebhookChannel::new(name, s))
        }
        ChannelKind::Slack => {
            let mut s = SlackSender::new(http()?, Secret::new(url()));
            (s.settings, s.timeout) = (chat, spec.timeout);
            Box::new(SlackChannel::new(name, s))
        }
        ChannelKind::Discord => {
            let mut s = DiscordSender::new(http()?, Secret::new(url()));
            (s.settings, s.timeout) = (chat, spec.timeout);
            Box::new(DiscordChannel::new(name, s))
        }
        ChannelKind::Teams => {
            let mut s = TeamsSender::new(http()?, Secret::new(url()));
            (s.settings, s.timeout) = (chat, spec.timeout);
            Box::new(TeamsChannel::new(name, s))
        }
        ChannelKind::Telegram => {
            let mut s = TelegramSender::new(
                http()?,
                Secret::new(spec.bot_token.clone().unwrap_or_default()),
                spec.chat_id.clone().unwrap_or_default(),
            );
            if let Some(base) = &spec.url {
                s.api_base.clone_from(base);
            }
            (s.settings, s.timeout) = (chat, spec.timeout);
            Box::new(TelegramChannel::new(name, s))
        }
        ChannelKind::Alertmanager => {
            let mut s = AlertmanagerSender::new(http()?, url());
            s.settings = AlertmanagerSettings {
                instance: host_name(),
                generator_url: config.dashboard_url.clone(),
                firing_ttl: None,
            };
            s.timeout = spec.timeout;
            Box::new(AlertmanagerChannel::new(name, s))
        }
        ChannelKind::Mqtt => {
            Box::new(MqttChannel::new(name, mqtt_settings(spec)?).map_err(|e| e.to_string())?)
        }
    };
    Ok(channel)
}

fn email(spec: &ChannelSpec, config: &NotifyConfig) -> Result<EmailChannel, String> {
    let tls = spec.tls;
    let settings = SmtpSettings {
        server: spec.server.clone().unwrap_or_default(),
        port: spec
            .port
            .unwrap_or(if tls == TlsMode::Implicit { 465 } else { 587 }),
        tls,
        allow_plain: spec.allow_plain.unwrap_or(false),
        username: spec.username.clone(),
        password: spec.password.clone().map(Secret::new),
        from: spec.from.clone().unwrap_or_default(),
        to: spec.to.clone(),
        timeout: spec.timeout,
    };
    let sender = settings.validate().map_err(|e| e.to_string())?;
    let subject = SubjectTemplate::parse(spec.subject.as_deref().unwrap_or(DEFAULT_SUBJECT))
        .map_err(|e| e.to_string())?;
    Ok(EmailChannel::new(
        spec.name.clone(),
        EmailSettings {
            subject,
            dashboard_url: config.dashboard_url.clone(),
        },
        sender,
    ))
}

/// The broker settings of an MQTT channel (also used for the rates publisher).
pub fn mqtt_settings(spec: &ChannelSpec) -> Result<MqttSettings, String> {
    let prefix = TopicPrefix::parse(spec.prefix.as_deref().unwrap_or("bandwatch"))
        .map_err(|e| e.to_string())?;
    let client = spec
        .client_id
        .clone()
        .unwrap_or_else(|| format!("bandwatch-{}", host_name()));
    let mut settings = MqttSettings::new(
        spec.host.clone().unwrap_or_default(),
        spec.port.unwrap_or(1883),
        client,
        prefix,
    );
    settings.username.clone_from(&spec.username);
    settings.password = spec.password.clone().map(Secret::new);
    settings.timeout = spec.timeout;
    if spec.discovery == Some(true) {
        let node = host_name();
        settings.discovery = Some(DiscoverySettings {
            discovery_prefix: DEFAULT_DISCOVERY_PREFIX.to_string(),
            device_name: format!("bandwatch on {node}"),
            node_id: node,
        });
    }
    Ok(settings)
}

/// This machine's name, for titles of messages.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map_or_else(|_| "bandwatch".to_string(), |h| h.trim().to_string())
}

/// The event `bandwatch notify test` sends: clearly a test, never confused with a real alert.
pub fn test_event(now: Timestamp) -> AlertEvent {
    let catalog = bandwatch_collect::catalog();
    let series = SeriesKey::with_label(catalog.name_of(Role::RxRate), "iface", "test");
    AlertEvent {
        id: alert_id("bandwatch-test", &series, now),
        rule: "bandwatch-test".into(),
        series,
        kind: EventKind::Fired,
        state: EventKind::Fired.state(),
        severity: Severity::Low,
        value: 0.0,
        reference: 0.0,
        message: "This is a test notification from `bandwatch notify test`; no action is needed."
            .into(),
        started: now,
        ended: None,
        at: now,
    }
}
