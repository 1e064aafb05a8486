//! `[web]`: where the dashboard and API listen, the token that guards them when they listen
//! beyond loopback, and the extra names they answer to.

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
    /// How often the page refreshes when it cannot use the live stream; `None`: the page
    /// does not update by itself (it opens paused).
    pub auto_refresh: Option<Duration>,
    /// Host names (or addresses) the server answers to besides localhost, loopback and its
    /// listen address, in lower case.
    pub allowed_hosts: Vec<String>,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("enabled", &self.enabled)
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("auto_refresh", &self.auto_refresh)
            .field("allowed_hosts", &self.allowed_hosts)
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
            allowed_hosts: l.get(&keys::WEB_ALLOWED_HOSTS)?,
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

/// The page's polling period when `web.auto_refresh` is on without one (`true`), as the
/// key's default is written.
pub const DEFAULT_AUTO_REFRESH: &str = "2s";
/// [`DEFAULT_AUTO_REFRESH`] as a period (a test keeps the two equal).
pub const DEFAULT_AUTO_REFRESH_PERIOD: Duration = Duration::from_secs(2);

/// `web.auto_refresh`: 0.1 s to 1 h, a number of seconds or a duration; or, as the seed
/// tool's `DASHBOARD_AUTO_REFRESH` was documented, `true` (the default period) or `false`
/// (off: the page opens paused). `None` is off.
pub fn auto_refresh(
    s: &Setting<String>,
    key: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    let text = s.value.trim();
    // 1 and 0 are not switches here: a bare number is seconds.
    let text = match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" => DEFAULT_AUTO_REFRESH,
        "false" | "off" | "no" => return Ok(None),
        _ => text,
    };
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .or_else(|| humantime::parse_duration(text).ok())
        .filter(|d| (Duration::from_millis(100)..=Duration::from_secs(3600)).contains(d))
        .map(Some)
        .ok_or_else(|| {
            ConfigError::invalid(
                key,
                &s.origin,
                format!("is not a period from 0.1 s to 1 h, nor true or false (got '{text}')"),
                "use e.g. 2s or 5, true for the default period, or false to open the page paused",
            )
        })
}

/// `web.allowed_hosts`: host names or IP addresses, without scheme or port; read by the same
/// rule the server applies to `Host`, so a listed name is one a request can carry.
pub fn allowed_hosts(
    s: &Setting<Vec<String>>,
    key: &'static str,
) -> Result<Vec<String>, ConfigError> {
    s.value
        .iter()
        .map(|entry| {
            let text = entry.trim();
            if bandwatch_web::auth::hosts::HostName::parse(text).is_some() {
                Ok(text.to_ascii_lowercase())
            } else {
                Err(ConfigError::invalid(
                    key,
                    &s.origin,
                    format!("has '{text}', which is not a host name or IP address"),
                    "list the names the dashboard is reached by, without scheme or port, e.g. [\"bandwatch.lan\"]",
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::origin::Origin;

    fn hosts(list: &[&str]) -> Result<Vec<String>, ConfigError> {
        let s = Setting::new(
            list.iter().map(ToString::to_string).collect(),
            Origin::Env("BANDWATCH_WEB_ALLOWED_HOSTS".into()),
        );
        allowed_hosts(&s, "web.allowed_hosts")
    }

    #[test]
    fn auto_refresh_takes_a_period_or_true_or_false() {
        let check = |text: &str| {
            auto_refresh(
                &Setting::new(
                    text.to_string(),
                    Origin::DotEnv("DASHBOARD_AUTO_REFRESH".into()),
                ),
                "web.auto_refresh",
            )
        };
        let two = Some(DEFAULT_AUTO_REFRESH_PERIOD);
        for on in ["true", "True", " TRUE ", "on", "yes"] {
            assert_eq!(check(on).expect(on), two, "{on}");
        }
        for off in ["false", "False", "off", "no"] {
            assert_eq!(check(off).expect(off), None, "{off}");
        }
        assert_eq!(check("5").expect("5"), Some(Duration::from_secs(5)));
        assert_eq!(
            check("1").expect("1"),
            Some(Duration::from_secs(1)),
            "1 is a second"
        );
        assert_eq!(
            check("500ms").expect("ms"),
            Some(Duration::from_millis(500))
        );
        let e = check("sometimes").expect_err("refused").to_string();
        assert!(
            e.contains("DASHBOARD_AUTO_REFRESH") && e.contains("true or false"),
            "{e}"
        );
    }

    #[test]
    fn allowed_hosts_are_names_or_addresses_without_port() {
        assert_eq!(
            hosts(&[" Bandwatch.LAN ", "10.0.0.5", "[2001:db8::1]", "::1"]).expect("valid"),
            ["bandwatch.lan", "10.0.0.5", "[2001:db8::1]", "::1"]
        );
        assert_eq!(hosts(&[]).expect("empty"), Vec::<String>::new());
        for bad in [
            "bandwatch.lan:8080",
            "http://bandwatch.lan",
            "*.lan",
            "a b",
            "",
        ] {
            let e = hosts(&[bad]).expect_err(bad).to_string();
            assert!(
                e.contains("web.allowed_hosts")
                    && e.contains("BANDWATCH_WEB_ALLOWED_HOSTS")
                    && e.contains("without scheme or port"),
                "{e}"
            );
        }
    }
}
