//! `[prometheus]`, `[influxdb]` and the external store URL: where the data goes besides the
//! embedded history. Validated once; secrets (token, password) are kept but never shown.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::error::ConfigError;
use super::keys::{self, Key};
use super::origin::Setting;

/// The Prometheus exporter.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusSettings {
    /// Whether `/metrics` is served.
    pub enabled: bool,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// Which InfluxDB API is written to, with its credentials (the writer's own type, whose
/// `Debug` never shows a secret).
pub use bandwatch_export::influx::Api as InfluxApi;

/// The InfluxDB writer.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxSettings {
    /// Whether frames are written to InfluxDB.
    pub enabled: bool,
    /// The server, e.g. `http://localhost:8086`.
    pub url: String,
    /// Which API and credentials (`None` when disabled and not configurable).
    pub api: Option<InfluxApi>,
    /// Where batches wait while the server is away.
    pub buffer_dir: PathBuf,
    /// The most the buffer may hold, in bytes.
    pub buffer_max_bytes: u64,
}

/// The raw `[prometheus]` values after layering.
pub struct PrometheusInputs {
    /// `prometheus.enabled`.
    pub enabled: Setting<bool>,
    /// `prometheus.port`.
    pub port: Setting<i64>,
    /// `prometheus.bind`.
    pub bind: Setting<String>,
}

/// Checks the exporter's port and address.
pub fn prometheus(p: &PrometheusInputs) -> Result<PrometheusSettings, ConfigError> {
    let port = u16::try_from(p.port.value)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            ConfigError::invalid(
                keys::PROMETHEUS_PORT.file,
                &p.port.origin,
                format!("must be a port from 1 to 65535 (got {})", p.port.value),
                "use e.g. 8000",
            )
        })?;
    let ip: IpAddr = p.bind.value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            keys::PROMETHEUS_BIND.file,
            &p.bind.origin,
            format!("is not an IP address (got '{}')", p.bind.value),
            "use 0.0.0.0 (every interface), 127.0.0.1 or one of this host's addresses",
        )
    })?;
    Ok(PrometheusSettings {
        enabled: p.enabled.value,
        addr: SocketAddr::new(ip, port),
    })
}

/// The raw `[influxdb]` values after layering.
pub struct InfluxInputs {
    /// `influxdb.enabled`.
    pub enabled: Setting<bool>,
    /// `influxdb.url`.
    pub url: Setting<String>,
    /// `influxdb.token`.
    pub token: Option<Setting<String>>,
    /// `influxdb.org`.
    pub org: Option<Setting<String>>,
    /// `influxdb.bucket`.
    pub bucket: Setting<String>,
    /// `influxdb.database`.
    pub database: Option<Setting<String>>,
    /// `influxdb.username`.
    pub username: Option<Setting<String>>,
    /// `influxdb.password`.
    pub password: Option<Setting<String>>,
    /// `influxdb.buffer_dir`.
    pub buffer_dir: Setting<PathBuf>,
    /// `influxdb.buffer_max_mb`.
    pub buffer_mb: Setting<f64>,
}

/// Checks the writer's settings; the API follows from what is set: a database means v1,
/// otherwise v2 with token and org (both required when enabled).
pub fn influx(i: InfluxInputs) -> Result<InfluxSettings, ConfigError> {
    let url = http_url(&i.url, keys::INFLUXDB_URL)?;
    let mb = i.buffer_mb.value;
    if !(mb.is_finite() && mb > 0.0) {
        return Err(ConfigError::invalid(
            keys::INFLUXDB_BUFFER_MB.file,
            &i.buffer_mb.origin,
            format!("must be a positive number of megabytes (got {mb})"),
            "use e.g. 100",
        ));
    }
    let enabled = i.enabled.value;
    let api = if let Some(db) = i.database {
        Some(InfluxApi::V1 {
            database: db.value,
            username: i.username.map(|s| s.value),
            password: i.password.map(|s| s.value),
        })
    } else {
        match (i.token, i.org) {
            (Some(token), Some(org)) => Some(InfluxApi::V2 {
                token: token.value,
                org: org.value,
                bucket: i.bucket.value,
            }),
            (token, org) if enabled => {
                let (key, flag) = if token.is_none() {
                    (keys::INFLUXDB_TOKEN, "--influxdb-token")
                } else {
                    (keys::INFLUXDB_ORG, "--influxdb-org")
                };
                let origin = org.or(token).map_or(i.enabled.origin.clone(), |s| s.origin);
                return Err(ConfigError::invalid(
                    key.file,
                    &origin,
                    "is not set, and InfluxDB 2 needs a token and an organisation",
                    format!(
                        "give {flag} (or {}), or set influxdb.database for an InfluxDB 1.x server",
                        key.env
                    ),
                ));
            }
            _ => None,
        }
    };
    Ok(InfluxSettings {
        enabled,
        url,
        api,
        buffer_dir: i.buffer_dir.value,
        buffer_max_bytes: (mb * 1024.0 * 1024.0) as u64,
    })
}

/// An `http://` or `https://` URL with a host, without a trailing slash.
fn http_url(s: &Setting<String>, key: Key) -> Result<String, ConfigError> {
    let v = s.value.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(v.to_string()),
        _ => Err(ConfigError::invalid(
            key.file,
            &s.origin,
            format!("is not an http:// or https:// URL (got '{}')", s.value),
            "write it like http://localhost:8086",
        )),
    }
}

/// Checks an external store URL: `mysql://`, `mariadb://`, `postgres://` or `postgresql://`
/// with a host. The password it may hold is never repeated in a message.
pub fn store_url(s: &Setting<String>) -> Result<String, ConfigError> {
    let v = s.value.trim();
    let known = ["mysql://", "mariadb://", "postgres://", "postgresql://"];
    let Some(scheme) = known.iter().find(|p| v.starts_with(**p)) else {
        let shown = v.split("://").next().unwrap_or_default();
        return Err(ConfigError::invalid(
            keys::STORE_URL.file,
            &s.origin,
            format!("has an unknown scheme '{shown}'"),
            "use mysql://USER:PASSWORD@HOST:3306/DB or postgres://USER:PASSWORD@HOST:5432/DB, or leave it unset for the embedded SQLite file",
        ));
    };
    let rest = &v[scheme.len()..];
    let host_part = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host_part.split(['/', '?']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(ConfigError::invalid(
            keys::STORE_URL.file,
            &s.origin,
            "has no host",
            format!("write it like {scheme}USER:PASSWORD@HOST/DB"),
        ));
    }
    Ok(v.to_string())
}

/// `scheme://user:***@host/db`: a store URL fit for logs and `config check`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((creds, host)) => {
            let user = creds.split(':').next().unwrap_or_default();
            if creds.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Origin;

    fn set<T>(v: T) -> Setting<T> {
        Setting::new(v, Origin::Default)
    }

    #[test]
    fn store_urls_are_checked_and_redacted() {
        assert!(store_url(&set("postgres://bw:pw@db:5432/bw".into())).is_ok());
        let e = store_url(&set("redis://x".into())).expect_err("unknown");
        assert!(e.to_string().contains("unknown scheme 'redis'"), "{e}");
        let e = store_url(&set("mysql://root:secret@/db".into())).expect_err("no host");
        assert!(!e.to_string().contains("secret"), "{e}");
        assert_eq!(
            redact_url("mysql://root:secret@127.0.0.1:3306/test"),
            "mysql://root:***@127.0.0.1:3306/test"
        );
        assert_eq!(redact_url("postgres://db/x"), "postgres://db/x");
    }

    fn inputs() -> InfluxInputs {
        InfluxInputs {
            enabled: set(true),
            url: set("http://localhost:8086/".into()),
            token: None,
            org: None,
            bucket: set("network_metrics".into()),
            database: None,
            username: None,
            password: None,
            buffer_dir: set(PathBuf::from("./data/influx")),
            buffer_mb: set(100.0),
        }
    }

    #[test]
    fn influx_v2_needs_token_and_org_v1_a_database() {
        let e = influx(inputs()).expect_err("no token");
        assert!(e.to_string().contains("influxdb.token"), "{e}");
        let v2 = influx(InfluxInputs {
            token: Some(set("t0ken".into())),
            org: Some(set("home".into())),
            ..inputs()
        })
        .expect("v2");
        assert_eq!(v2.url, "http://localhost:8086");
        assert!(!format!("{v2:?}").contains("t0ken"));
        let v1 = influx(InfluxInputs {
            database: Some(set("net".into())),
            ..inputs()
        })
        .expect("v1");
        assert!(matches!(v1.api, Some(InfluxApi::V1 { .. })));
    }

    #[test]
    fn prometheus_port_and_bind_are_checked() {
        let ok = prometheus(&PrometheusInputs {
            enabled: set(true),
            port: set(8000),
            bind: set("0.0.0.0".into()),
        })
        .expect("valid");
        assert_eq!(ok.addr.port(), 8000);
        let e = prometheus(&PrometheusInputs {
            enabled: set(true),
            port: set(70000),
            bind: set("0.0.0.0".into()),
        })
        .expect_err("port");
        assert!(e.to_string().contains("prometheus.port"), "{e}");
    }
}
