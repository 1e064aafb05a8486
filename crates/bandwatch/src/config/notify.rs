//! `[notify]` and `[[notify.channels]]`: where alert notifications go. Parsed from the file
//! (plus the seed tool's `SMTP_*`/`EMAIL_*`/`ALERT_RECIPIENTS` environment names, which make
//! one email channel), validated once into [`NotifyConfig`].

use std::collections::BTreeMap;
use std::time::Duration;

use bandwatch_core::Severity;
pub use bandwatch_notify::send::smtp::TlsMode;
use serde::Deserialize;

use super::env::EnvVars;
use super::error::ConfigError;
use super::origin::{KeyOrigins, Origin, Setting};

/// The `[notify]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// The first alert goes out at once; what follows within this window of a message goes
    /// out as one message per channel (default `30s`).
    pub group_window: Option<String>,
    /// How long the first alert of a group waits for companions (default `0s`; Alertmanager's
    /// `group_wait`).
    pub group_wait: Option<String>,
    /// Whether the end of an alert is announced (default true; per channel too).
    pub send_resolved: Option<bool>,
    /// The dashboard's address, linked from messages.
    pub dashboard_url: Option<String>,
    /// Shorthand for one generic webhook channel named `url_notify`.
    pub url_notify: Option<String>,
    /// Delay before the first retry of a failed delivery (default `5s`; doubled each time).
    pub retry_base: Option<String>,
    /// Longest delay between retries (default `10m`).
    pub retry_max: Option<String>,
    /// The channels.
    #[serde(default)]
    pub channels: Vec<ChannelTable>,
    /// Where each key was written (filled in by the file reader, not part of the TOML).
    #[serde(skip)]
    pub origins: NotifyOrigins,
}

/// Where the keys of `[notify]` and of each `[[notify.channels]]` entry were written, so an
/// error points at the offending key's line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotifyOrigins {
    /// The keys of `[notify]` itself.
    pub keys: KeyOrigins,
    /// The keys of each channel, in the order of `channels`.
    pub channels: Vec<KeyOrigins>,
}

/// A `[[notify.channels]]` entry as written: the type, TLS mode and timeout still text.
pub type ChannelTable = Channel<String, Option<String>, Option<String>>;

/// A validated channel: its type, TLS mode and timeout are known values.
pub type ChannelSpec = Channel<ChannelKind, TlsMode, Duration>;

/// The request or SMTP timeout of a channel that sets none.
pub const DEFAULT_CHANNEL_TIMEOUT: Duration = Duration::from_secs(10);

/// One `[[notify.channels]]` entry; which fields apply depends on `type`. Read as a
/// [`ChannelTable`], validated into a [`ChannelSpec`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel<Kind, Tls, Timeout> {
    /// Unique name, used by `bandwatch notify test NAME` and in the outbox.
    pub name: String,
    /// What it sends to.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Least severity sent (default low).
    pub min_severity: Option<Severity>,
    /// Label globs the alert's series must match (`rule` and `metric` too).
    #[serde(default, rename = "match")]
    pub matchers: BTreeMap<String, String>,
    /// Overrides `[notify] send_resolved` for this channel.
    pub send_resolved: Option<bool>,
    /// Webhook, chat and Alertmanager address.
    pub url: Option<String>,
    /// Webhook: extra headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Webhook: HMAC-SHA256 key for the signature header.
    pub secret: Option<String>,
    /// Request or SMTP timeout (default `10s`).
    pub timeout: Timeout,
    /// Email: SMTP server.
    pub server: Option<String>,
    /// Email: SMTP port (default 587; 465 with implicit TLS).
    pub port: Option<u16>,
    /// Email: `starttls` (default), `implicit` or `plain`.
    #[serde(default)]
    pub tls: Tls,
    /// Email: permit `tls = "plain"` (credentials and alerts cross the network unencrypted).
    pub allow_plain: Option<bool>,
    /// Email: login name.
    pub username: Option<String>,
    /// Email: login password.
    pub password: Option<String>,
    /// Email: sender address.
    pub from: Option<String>,
    /// Email: recipients.
    #[serde(default)]
    pub to: Vec<String>,
    /// Email: subject template (`{severity}`, `{state}`, `{rule}`, `{subject}`, `{count}`).
    pub subject: Option<String>,
    /// Telegram: bot token.
    pub bot_token: Option<String>,
    /// Telegram: chat id.
    pub chat_id: Option<String>,
    /// MQTT: broker host (port in `port`, default 1883).
    pub host: Option<String>,
    /// MQTT: topic prefix (default `bandwatch`).
    pub prefix: Option<String>,
    /// MQTT: also publish Home Assistant discovery configs (default false).
    pub discovery: Option<bool>,
    /// MQTT: client id (default `bandwatch-<host name>`).
    pub client_id: Option<String>,
}

/// Validated notification settings.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// Least time between two messages of a channel.
    pub group_window: Duration,
    /// How long the first alert of a group waits.
    pub group_wait: Duration,
    /// Dashboard link for messages.
    pub dashboard_url: Option<String>,
    /// The channels, each with where it was defined.
    pub channels: Vec<Setting<ChannelSpec>>,
    /// Default for channels that do not say.
    pub send_resolved: bool,
    /// First retry delay.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            group_window: Duration::from_secs(30),
            group_wait: Duration::ZERO,
            dashboard_url: None,
            channels: Vec::new(),
            send_resolved: true,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(600),
        }
    }
}

/// What a channel sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// An SMTP server.
    Email,
    /// A generic JSON webhook.
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Discord webhook.
    Discord,
    /// A Microsoft Teams webhook.
    Teams,
    /// A Telegram bot.
    Telegram,
    /// A Prometheus Alertmanager.
    Alertmanager,
    /// An MQTT broker.
    Mqtt,
}

impl ChannelKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [Self; 8] = [
        Self::Email,
        Self::Webhook,
        Self::Slack,
        Self::Discord,
        Self::Teams,
        Self::Telegram,
        Self::Alertmanager,
        Self::Mqtt,
    ];

    /// The name `type` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Teams => "teams",
            Self::Telegram => "telegram",
            Self::Alertmanager => "alertmanager",
            Self::Mqtt => "mqtt",
        }
    }
}

impl std::fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every SMTP TLS mode, in the order the documentation lists them.
const TLS_MODES: [TlsMode; 3] = [TlsMode::StartTls, TlsMode::Implicit, TlsMode::Plain];

impl ChannelTable {
    /// The same channel with its type, TLS mode and timeout checked.
    fn typed(self, (kind, tls, timeout): (ChannelKind, TlsMode, Duration)) -> ChannelSpec {
        Channel {
            name: self.name,
            kind,
            min_severity: self.min_severity,
            matchers: self.matchers,
            send_resolved: self.send_resolved,
            url: self.url,
            headers: self.headers,
            secret: self.secret,
            timeout,
            server: self.server,
            port: self.port,
            tls,
            allow_plain: self.allow_plain,
            username: self.username,
            password: self.password,
            from: self.from,
            to: self.to,
            subject: self.subject,
            bot_token: self.bot_token,
            chat_id: self.chat_id,
            host: self.host,
            prefix: self.prefix,
            discovery: self.discovery,
            client_id: self.client_id,
        }
    }
}

/// The seed tool's environment names that make the email channel.
pub const SEED_ENV: [&str; 5] = [
    "SMTP_SERVER",
    "SMTP_PORT",
    "EMAIL_USER",
    "EMAIL_PASSWORD",
    "ALERT_RECIPIENTS",
];

/// The email channel the seed tool's environment names describe, if `SMTP_SERVER` is set.
pub fn seed_email(env: &EnvVars) -> Result<Option<Setting<ChannelTable>>, ConfigError> {
    let Some((server, origin)) = env.get("SMTP_SERVER").filter(|(v, _)| !v.trim().is_empty())
    else {
        return Ok(None);
    };
    let origin = origin.clone();
    let port = match env.get("SMTP_PORT") {
        Some((p, o)) => Some(p.trim().parse::<u16>().map_err(|_| {
            ConfigError::invalid(
                "notify.channels.port",
                o,
                format!("is not a port number (got '{p}')"),
                "use e.g. 587 (STARTTLS) or 465 (implicit TLS)",
            )
        })?),
        None => None,
    };
    let user = env.get("EMAIL_USER").map(|(v, _)| v.trim().to_string());
    let to = env
        .get("ALERT_RECIPIENTS")
        .map(|(v, _)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let spec = ChannelTable {
        name: "email".into(),
        kind: ChannelKind::Email.as_str().into(),
        server: Some(server.trim().to_string()),
        port,
        tls: (port == Some(465)).then(|| TlsMode::Implicit.as_str().to_string()),
        username: user.clone(),
        password: env.get("EMAIL_PASSWORD").map(|(v, _)| v.to_string()),
        from: user,
        to,
        ..ChannelTable::default()
    };
    Ok(Some(Setting::new(spec, origin)))
}

/// Checks the section and the seed channel; every error names the channel and the field,
/// and points at the line of the key at fault (or of the channel, for a missing key).
pub fn validate(
    section: Option<Setting<NotifySection>>,
    seed: Option<Setting<ChannelTable>>,
) -> Result<NotifyConfig, ConfigError> {
    let mut out = NotifyConfig::default();
    let mut channels: Vec<(Setting<ChannelTable>, KeyOrigins)> = Vec::new();
    if let Some(section) = section {
        let s = section.value;
        let keys = &s.origins.keys;
        let at = |key: &str| keys.of(key, &section.origin);
        out.group_window = span(
            s.group_window.as_deref(),
            "notify.group_window",
            &at("group_window"),
            out.group_window,
        )?;
        out.group_wait = span(
            s.group_wait.as_deref(),
            "notify.group_wait",
            &at("group_wait"),
            out.group_wait,
        )?;
        out.retry_base = span(
            s.retry_base.as_deref(),
            "notify.retry_base",
            &at("retry_base"),
            out.retry_base,
        )?;
        out.retry_max = span(
            s.retry_max.as_deref(),
            "notify.retry_max",
            &at("retry_max"),
            out.retry_max,
        )?;
        out.send_resolved = s.send_resolved.unwrap_or(true);
        out.dashboard_url = s.dashboard_url.filter(|u| !u.trim().is_empty());
        if let Some(url) = s.url_notify.filter(|u| !u.trim().is_empty()) {
            let spec = ChannelTable {
                name: "url_notify".into(),
                kind: ChannelKind::Webhook.as_str().into(),
                url: Some(url),
                ..ChannelTable::default()
            };
            // Every field of this channel comes from the one key.
            let origin = at("url_notify");
            channels.push((Setting::new(spec, origin.clone()), KeyOrigins::at(origin)));
        }
        let mut origins = s.origins.channels.into_iter();
        for c in s.channels {
            let keys = origins.next().unwrap_or_default();
            let origin = keys.table.clone().unwrap_or_else(|| section.origin.clone());
            channels.push((Setting::new(c, origin), keys));
        }
    }
    channels.extend(seed.map(|c| (c, KeyOrigins::default())));
    let mut names = std::collections::BTreeSet::new();
    for (setting, keys) in channels {
        let c = Entry {
            setting: &setting,
            keys: &keys,
        };
        let checked = check_channel(&c)?;
        if !names.insert(setting.value.name.clone()) {
            return Err(channel_error(
                &c,
                "name",
                "is used by another channel; names must be unique",
            ));
        }
        out.channels
            .push(Setting::new(setting.value.typed(checked), setting.origin));
    }
    Ok(out)
}

/// One channel under check: the table, where it was defined, and where each key was.
struct Entry<'a> {
    setting: &'a Setting<ChannelTable>,
    keys: &'a KeyOrigins,
}

impl std::ops::Deref for Entry<'_> {
    type Target = Setting<ChannelTable>;

    fn deref(&self) -> &Self::Target {
        self.setting
    }
}

fn span(
    text: Option<&str>,
    key: &'static str,
    origin: &Origin,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match text {
        None => Ok(default),
        Some(t) => humantime::parse_duration(t.trim()).map_err(|e| {
            ConfigError::invalid(
                key,
                origin,
                format!("is not a duration ({e})"),
                "write it like 500ms, 30s or 2m",
            )
        }),
    }
}

fn channel_error(c: &Entry<'_>, field: &str, problem: &str) -> ConfigError {
    ConfigError::Channel {
        origin: c.keys.of(field, &c.origin),
        message: format!(
            "notify channel '{}': field '{field}' {problem}",
            c.value.name
        ),
    }
}

/// Checks one channel; its type, TLS mode and timeout as values.
fn check_channel(c: &Entry<'_>) -> Result<(ChannelKind, TlsMode, Duration), ConfigError> {
    let s = &c.value;
    if s.name.trim().is_empty() {
        return Err(channel_error(c, "name", "must not be empty"));
    }
    let kind = ChannelKind::ALL
        .into_iter()
        .find(|k| k.as_str() == s.kind)
        .ok_or_else(|| {
            let all: Vec<&str> = ChannelKind::ALL.iter().map(|k| k.as_str()).collect();
            channel_error(
                c,
                "type",
                &format!(
                    "'{}' is not a channel type; use one of {}",
                    s.kind,
                    all.join(", ")
                ),
            )
        })?;
    let timeout = match &s.timeout {
        Some(t) => humantime::parse_duration(t.trim()).map_err(|e| {
            channel_error(
                c,
                "timeout",
                &format!("is not a duration ({e}); write it like 10s"),
            )
        })?,
        None => DEFAULT_CHANNEL_TIMEOUT,
    };
    for (label, glob) in &s.matchers {
        // The route is built with the one selector, so a pattern it would refuse is refused
        // here, at config check, instead of being dropped at run time.
        bandwatch_core::Term::new(label, glob).map_err(|e| {
            channel_error(c, &format!("match.{label}"), &format!("is not valid: {e}"))
        })?;
    }
    match kind {
        ChannelKind::Email => return check_email(c).map(|tls| (kind, tls, timeout)),
        ChannelKind::Mqtt => check_mqtt(c)?,
        ChannelKind::Telegram => require(c, "bot_token", s.bot_token.as_ref())
            .and_then(|()| require(c, "chat_id", s.chat_id.as_ref()))?,
        ChannelKind::Webhook
        | ChannelKind::Slack
        | ChannelKind::Discord
        | ChannelKind::Teams
        | ChannelKind::Alertmanager => check_url(c)?,
    }
    Ok((kind, TlsMode::default(), timeout))
}

fn require(c: &Entry<'_>, field: &str, value: Option<&String>) -> Result<(), ConfigError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(()),
        _ => Err(channel_error(
            c,
            field,
            &format!("is required for a {} channel", c.value.kind),
        )),
    }
}

fn check_url(c: &Entry<'_>) -> Result<(), ConfigError> {
    require(c, "url", c.value.url.as_ref())?;
    let url = c.value.url.as_deref().unwrap_or_default().trim();
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if ok {
        Ok(())
    } else {
        // The URL may hold a token, so it is not repeated in the message.
        Err(channel_error(
            c,
            "url",
            "is not an http:// or https:// address with a host",
        ))
    }
}

fn check_mqtt(c: &Entry<'_>) -> Result<(), ConfigError> {
    require(c, "host", c.value.host.as_ref())?;
    let prefix = c.value.prefix.as_deref().unwrap_or("bandwatch");
    bandwatch_notify::render::mqtt::TopicPrefix::parse(prefix)
        .map(|_| ())
        .map_err(|e| channel_error(c, "prefix", &format!("is not a usable topic prefix ({e})")))
}

/// Checks an email channel; its TLS mode as a value.
fn check_email(c: &Entry<'_>) -> Result<TlsMode, ConfigError> {
    let s = &c.value;
    require(c, "server", s.server.as_ref())?;
    require(c, "from", s.from.as_ref())?;
    if s.to.is_empty() {
        return Err(channel_error(
            c,
            "to",
            "needs at least one recipient (or set ALERT_RECIPIENTS)",
        ));
    }
    let addresses = s.to.iter().map(|a| ("to", a));
    for (field, addr) in addresses.chain(s.from.iter().map(|a| ("from", a))) {
        if !bandwatch_notify::send::smtp::is_mailbox(addr) {
            return Err(channel_error(
                c,
                field,
                &format!("'{addr}' is not an email address like ops@example.com or \"Ops <ops@example.com>\""),
            ));
        }
    }
    if let Some(subject) = &s.subject {
        bandwatch_notify::render::email::SubjectTemplate::parse(subject)
            .map_err(|e| channel_error(c, "subject", &format!("is not a usable template ({e})")))?;
    }
    let tls = match s.tls.as_deref() {
        None => TlsMode::default(),
        Some(text) => TLS_MODES
            .into_iter()
            .find(|m| m.as_str() == text)
            .ok_or_else(|| {
                channel_error(
                    c,
                    "tls",
                    &format!(
                        "'{text}' is not {}, {} or {}",
                        TLS_MODES[0].as_str(),
                        TLS_MODES[1].as_str(),
                        TLS_MODES[2].as_str()
                    ),
                )
            })?,
    };
    if tls == TlsMode::Plain && s.allow_plain != Some(true) {
        return Err(channel_error(c, "tls", "is \"plain\", which sends the password and alerts unencrypted; set allow_plain = true if that is intended"));
    }
    Ok(tls)
}
