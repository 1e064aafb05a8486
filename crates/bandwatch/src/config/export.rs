//! `[prometheus]`, `[influxdb]` and the external store URL: where the data goes besides the
//! embedded history. Validated once; secrets (token, password) are kept but never shown.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use super::error::ConfigError;
use super::keys;
use super::layer::Layers;
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

impl PrometheusSettings {
    /// The `[prometheus]` keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        let enabled = l.get(&keys::PROMETHEUS)?;
        let port = l.get(&keys::PROMETHEUS_PORT)?;
        let ip = l.get(&keys::PROMETHEUS_BIND)?;
        Ok(Self {
            enabled,
            addr: SocketAddr::new(ip, port),
        })
    }
}

impl InfluxSettings {
    /// The `[influxdb]` keys, each checked, and the API they ask for.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        influx(InfluxInputs {
            enabled: l.required(&keys::INFLUXDB)?,
            url: l.get(&keys::INFLUXDB_URL)?,
            token: l.setting(&keys::INFLUXDB_TOKEN)?,
            org: l.setting(&keys::INFLUXDB_ORG)?,
            bucket: l.get(&keys::INFLUXDB_BUCKET)?,
            database: l.opt(&keys::INFLUXDB_DATABASE)?,
            username: l.opt(&keys::INFLUXDB_USERNAME)?,
            password: l.opt(&keys::INFLUXDB_PASSWORD)?,
            buffer_dir: l.get(&keys::INFLUXDB_BUFFER_DIR)?,
            buffer_max_bytes: l.get(&keys::INFLUXDB_BUFFER_MB)?,
        })
    }
}

/// `prometheus.port`: 1 to 65535.
pub fn port(s: &Setting<i64>, key: &'static str) -> Result<u16, ConfigError> {
    u16::try_from(s.value)
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            ConfigError::invalid(
                key,
                &s.origin,
                format!("must be a port from 1 to 65535 (got {})", s.value),
                "use e.g. 8000",
            )
        })
}

/// `prometheus.bind`: an IP address of this host.
pub fn bind(s: &Setting<String>, key: &'static str) -> Result<IpAddr, ConfigError> {
    s.value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            key,
            &s.origin,
            format!("is not an IP address (got '{}')", s.value),
            "use 0.0.0.0 (every interface), 127.0.0.1 or one of this host's addresses",
        )
    })
}

/// `influxdb.buffer_max_mb`: a positive number of megabytes, kept in bytes.
pub fn buffer_bytes(s: &Setting<f64>, key: &'static str) -> Result<u64, ConfigError> {
    let mb = s.value;
    if !(mb.is_finite() && mb > 0.0) {
        return Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("must be a positive number of megabytes (got {mb})"),
            "use e.g. 100",
        ));
    }
    Ok((mb * 1024.0 * 1024.0) as u64)
}

/// The `[influxdb]` values after their own checks; which API follows from what is set.
pub struct InfluxInputs {
    /// `influxdb.enabled`.
    pub enabled: Setting<bool>,
    /// `influxdb.url`.
    pub url: String,
    /// `influxdb.token`.
    pub token: Option<Setting<String>>,
    /// `influxdb.org`.
    pub org: Option<Setting<String>>,
    /// `influxdb.bucket`.
    pub bucket: String,
    /// `influxdb.database`.
    pub database: Option<String>,
    /// `influxdb.username`.
    pub username: Option<String>,
    /// `influxdb.password`.
    pub password: Option<String>,
    /// `influxdb.buffer_dir`.
    pub buffer_dir: PathBuf,
    /// `influxdb.buffer_max_mb`, in bytes.
    pub buffer_max_bytes: u64,
}

/// Picks the writer's API: a database means v1, otherwise v2 with token and org (both
/// required when enabled).
pub fn influx(i: InfluxInputs) -> Result<InfluxSettings, ConfigError> {
    let enabled = i.enabled.value;
    let api = if let Some(database) = i.database {
        Some(InfluxApi::V1 {
            database,
            username: i.username,
            password: i.password,
        })
    } else {
        match (i.token, i.org) {
            (Some(token), Some(org)) => Some(InfluxApi::V2 {
                token: token.value,
                org: org.value,
                bucket: i.bucket,
            }),
            (token, org) if enabled => {
                let key = if token.is_none() {
                    &keys::INFLUXDB_TOKEN.def
                } else {
                    &keys::INFLUXDB_ORG.def
                };
                let origin = org.or(token).map_or(i.enabled.origin, |s| s.origin);
                return Err(ConfigError::invalid(
                    key.name,
                    &origin,
                    "is not set, and InfluxDB 2 needs a token and an organisation",
                    format!(
                        "give {} (or {}), or set influxdb.database for an InfluxDB 1.x server",
                        key.flag_name().unwrap_or_default(),
                        key.env_name()
                    ),
                ));
            }
            _ => None,
        }
    };
    Ok(InfluxSettings {
        enabled,
        url: i.url,
        api,
        buffer_dir: i.buffer_dir,
        buffer_max_bytes: i.buffer_max_bytes,
    })
}

/// An `http://` or `https://` URL with a host, without a trailing slash.
pub fn http_url(s: &Setting<String>, key: &'static str) -> Result<String, ConfigError> {
    let v = s.value.trim().trim_end_matches('/');
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => Ok(v.to_string()),
        _ => Err(ConfigError::invalid(
            key,
            &s.origin,
            format!("is not an http:// or https:// URL (got '{}')", s.value),
            "write it like http://localhost:8086",
        )),
    }
}

/// Checks an external store URL: `mysql://`, `mariadb://`, `postgres://` or `postgresql://`
/// with a host. The password it may hold is never repeated in a message.
pub fn store_url(s: &Setting<String>, key: &'static str) -> Result<String, ConfigError> {
    let v = s.value.trim();
    let known = ["mysql://", "mariadb://", "postgres://", "postgresql://"];
    let Some(scheme) = known.iter().find(|p| v.starts_with(**p)) else {
        let shown = v.split("://").next().unwrap_or_default();
        return Err(ConfigError::invalid(
            key,
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
            key,
            &s.origin,
            "has no host",
            format!("write it like {scheme}USER:PASSWORD@HOST/DB"),
        ));
    }
    Ok(v.to_string())
}

/// `scheme://user:***@host/db`: a store URL fit for logs and `config check`.
pub fn redact_url(url: &str) -> String {
    // the store's redaction: it also hides `?password=…`, which this one used to print
    bandwatch_store::redacted_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Origin;

    fn set<T>(v: T) -> Setting<T> {
        Setting::new(v, Origin::Default)
    }

    #[test]
    fn a_password_in_the_query_is_redacted_too() {
        let shown = redact_url("postgres://bw@db:5432/bw?sslmode=disable&password=s3cret");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("password=***"), "{shown}");
        assert_eq!(
            redact_url("mysql://u:pw@h:3306/db"),
            "mysql://u:***@h:3306/db"
        );
    }

    #[test]
    fn store_urls_are_checked_and_redacted() {
        let url = |text: &str| store_url(&set(text.into()), "store.url");
        assert!(url("postgres://bw:pw@db:5432/bw").is_ok());
        let e = url("redis://x").expect_err("unknown");
        assert!(e.to_string().contains("unknown scheme 'redis'"), "{e}");
        let e = url("mysql://root:secret@/db").expect_err("no host");
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
            url: http_url(&set("http://localhost:8086/".into()), "influxdb.url").expect("url"),
            token: None,
            org: None,
            bucket: "network_metrics".into(),
            database: None,
            username: None,
            password: None,
            buffer_dir: PathBuf::from("./data/influx"),
            buffer_max_bytes: buffer_bytes(&set(100.0), "influxdb.buffer_max_mb").expect("mb"),
        }
    }

    #[test]
    fn influx_v2_needs_token_and_org_v1_a_database() {
        let e = influx(inputs()).expect_err("no token");
        assert!(e.to_string().contains("influxdb.token"), "{e}");
        assert!(
            e.to_string()
                .contains("give --influxdb-token (or BANDWATCH_INFLUXDB_TOKEN)"),
            "{e}"
        );
        let v2 = influx(InfluxInputs {
            token: Some(set("t0ken".into())),
            org: Some(set("home".into())),
            ..inputs()
        })
        .expect("v2");
        assert_eq!(v2.url, "http://localhost:8086");
        assert_eq!(v2.buffer_max_bytes, 100 * 1024 * 1024);
        assert!(!format!("{v2:?}").contains("t0ken"));
        let v1 = influx(InfluxInputs {
            database: Some("net".into()),
            ..inputs()
        })
        .expect("v1");
        assert!(matches!(v1.api, Some(InfluxApi::V1 { .. })));
        assert!(buffer_bytes(&set(0.0), "influxdb.buffer_max_mb").is_err());
    }

    #[test]
    fn prometheus_port_and_bind_are_checked() {
        assert_eq!(port(&set(8000), "prometheus.port").expect("valid"), 8000);
        let e = port(&set(70000), "prometheus.port").expect_err("port");
        assert!(e.to_string().contains("prometheus.port"), "{e}");
        assert!(bind(&set("0.0.0.0".into()), "prometheus.bind").is_ok());
        assert!(bind(&set("localhost".into()), "prometheus.bind").is_err());
    }
}
