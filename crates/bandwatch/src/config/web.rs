//! `[web]`: where the dashboard and API listen, and the token that guards them when they
//! listen beyond loopback.

use std::net::SocketAddr;
use std::time::Duration;

use super::error::ConfigError;
use super::keys;
use super::layer::Layers;
use super::origin::Setting;

/// Where the dashboard listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The dashboard and API server.
#[derive(Clone, PartialEq)]
pub struct WebSettings {
    /// Whether `bandwatch run` serves them.
    pub enabled: bool,
    /// Where they listen.
    pub listen: SocketAddr,
    /// The access token; `None` on loopback without one (a non-loopback listener gets a
    /// generated one at start).
    pub token: Option<String>,
    /// How often the page refreshes when it cannot use the live stream.
    pub auto_refresh: Duration,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("enabled", &self.enabled)
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("auto_refresh", &self.auto_refresh)
            .finish()
    }
}

impl WebSettings {
    /// The `[web]` keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: l.get(&keys::WEB_ENABLED)?,
            listen: l.get(&keys::WEB_LISTEN)?,
            token: l.opt(&keys::WEB_TOKEN)?,
            auto_refresh: l.get(&keys::WEB_AUTO_REFRESH)?,
        })
    }
}

/// `web.listen`: an address and port.
pub fn listen(s: &Setting<String>, key: &'static str) -> Result<SocketAddr, ConfigError> {
    s.value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            key,
            &s.origin,
            format!("is not an address and port (got '{}')", s.value),
            "use e.g. 127.0.0.1:8080, or 0.0.0.0:8080 to serve every interface (a token is then required)",
        )
    })
}

/// `web.token`: at least 8 characters, no spaces.
pub fn token(s: &Setting<String>, key: &'static str) -> Result<String, ConfigError> {
    if s.value.trim().len() < 8 || s.value.contains(char::is_whitespace) {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            "is too short or contains spaces".to_string(),
            "use at least 8 characters without spaces, or leave it unset to have one generated",
        ));
    }
    Ok(s.value.trim().to_string())
}

/// `web.auto_refresh`: 0.1 s to 1 h, a number of seconds or a duration.
pub fn auto_refresh(s: &Setting<String>, key: &'static str) -> Result<Duration, ConfigError> {
    let text = s.value.trim();
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .or_else(|| humantime::parse_duration(text).ok())
        .filter(|d| (Duration::from_millis(100)..=Duration::from_secs(3600)).contains(d))
        .ok_or_else(|| {
            ConfigError::invalid(
                key,
                &s.origin,
                format!("is not a period from 0.1 s to 1 h (got '{text}')"),
                "use e.g. 2s or 5",
            )
        })
}
