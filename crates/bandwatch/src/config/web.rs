//! `[web]`: where the dashboard and API listen, and the token that guards them when they
//! listen beyond loopback.

use std::net::SocketAddr;
use std::time::Duration;

use super::error::ConfigError;
use super::keys;
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

/// The raw `[web]` values after layering.
pub struct WebInputs {
    /// `web.enabled`.
    pub enabled: Setting<bool>,
    /// `web.listen`.
    pub listen: Setting<String>,
    /// `web.token`.
    pub token: Option<Setting<String>>,
    /// `web.auto_refresh`.
    pub auto_refresh: Setting<String>,
}

/// Checks the address, the token and the refresh period.
pub fn web(w: WebInputs) -> Result<WebSettings, ConfigError> {
    let listen: SocketAddr = w.listen.value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            keys::WEB_LISTEN.file,
            &w.listen.origin,
            format!("is not an address and port (got '{}')", w.listen.value),
            "use e.g. 127.0.0.1:8080, or 0.0.0.0:8080 to serve every interface (a token is then required)",
        )
    })?;
    let token = match w.token {
        Some(t) if t.value.trim().len() < 8 || t.value.contains(char::is_whitespace) => {
            return Err(ConfigError::invalid(
                keys::WEB_TOKEN.file,
                &t.origin,
                "is too short or contains spaces".to_string(),
                "use at least 8 characters without spaces, or leave it unset to have one generated",
            ))
        }
        Some(t) => Some(t.value.trim().to_string()),
        None => None,
    };
    let text = w.auto_refresh.value.trim();
    let auto_refresh = text
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .or_else(|| humantime::parse_duration(text).ok())
        .filter(|d| (Duration::from_millis(100)..=Duration::from_secs(3600)).contains(d))
        .ok_or_else(|| {
            ConfigError::invalid(
                keys::WEB_AUTO_REFRESH.file,
                &w.auto_refresh.origin,
                format!("is not a period from 0.1 s to 1 h (got '{text}')"),
                "use e.g. 2s or 5",
            )
        })?;
    Ok(WebSettings {
        enabled: w.enabled.value,
        listen,
        token,
        auto_refresh,
    })
}
