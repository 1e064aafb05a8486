//! The environment layer: `BANDWATCH_*` variables from the process and from `./.env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::ConfigError;
use super::keys::{self, Key};
use super::layer::RawConfig;
use super::origin::{Origin, Setting};
use super::probe::TargetTable;

/// Environment variables with where each came from; the process wins over `.env`.
#[derive(Debug, Default, Clone)]
pub struct EnvVars {
    vars: BTreeMap<String, (String, Origin)>,
}

impl EnvVars {
    /// The process environment laid over the `.env` file in `cwd` (if there is one).
    pub fn gather(cwd: &Path) -> Result<Self, ConfigError> {
        let mut env = Self::default();
        let dotenv = cwd.join(".env");
        if dotenv.is_file() {
            env.read_dotenv(&dotenv)?;
        }
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                env.set(&k, &v, Origin::Env(k.clone()));
            }
        }
        Ok(env)
    }

    /// Builds an environment from literal pairs (tests).
    #[cfg(test)]
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut env = Self::default();
        for (k, v) in pairs {
            env.set(k, v, Origin::Env(k.to_string()));
        }
        env
    }

    fn read_dotenv(&mut self, path: &Path) -> Result<(), ConfigError> {
        let iter = dotenvy::from_path_iter(path).map_err(|e| ConfigError::DotEnv {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        for item in iter {
            let (k, v) = item.map_err(|e| ConfigError::DotEnv {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
            self.set(&k, &v, Origin::DotEnv(k.clone()));
        }
        Ok(())
    }

    fn set(&mut self, k: &str, v: &str, origin: Origin) {
        self.vars.insert(k.to_string(), (v.to_string(), origin));
    }

    /// One variable's value and origin.
    pub fn get(&self, k: &str) -> Option<(&str, &Origin)> {
        self.vars.get(k).map(|(v, o)| (v.as_str(), o))
    }

    /// `BANDWATCH_*` variables that are not settings: probably typos, worth a warning.
    pub fn unknown_bandwatch_vars(&self) -> Vec<String> {
        self.vars
            .keys()
            .filter(|k| k.starts_with("BANDWATCH_"))
            .filter(|k| keys::by_env(k).is_none() && !keys::NON_SETTING_ENV.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

/// Reads every setting the environment gives into a layer.
pub fn layer(env: &EnvVars) -> Result<RawConfig, ConfigError> {
    Ok(RawConfig {
        interval: number(
            env,
            keys::INTERVAL,
            "seconds between samples, e.g. 1 or 0.5",
        )?,
        duration: number(env, keys::DURATION, "seconds to run, e.g. 60")?,
        interfaces: list(env, keys::INTERFACES),
        exclude: list(env, keys::EXCLUDE),
        loopback_in_total: boolean(env, keys::LOOPBACK_IN_TOTAL)?,
        upload_mbps: number(env, keys::UPLOAD, "megabits per second, e.g. 50")?,
        download_mbps: number(env, keys::DOWNLOAD, "megabits per second, e.g. 100")?,
        cooldown: text(env, keys::COOLDOWN).or_else(|| seed_cooldown(env)),
        output: text(env, keys::OUTPUT),
        db_path: path(env, keys::DB),
        raw_retention: text(env, keys::RAW_RETENTION),
        minute_retention: text(env, keys::MINUTE_RETENTION),
        hour_retention: text(env, keys::HOUR_RETENTION),
        flush_interval: text(env, keys::FLUSH_INTERVAL),
        log_level: text(env, keys::LOG_LEVEL),
        log_file: path(env, keys::LOG_FILE),
        proc_root: path(env, keys::PROC_ROOT),
        sys_root: path(env, keys::SYS_ROOT),
        cpu_percent: number_or_seed(
            env,
            keys::CPU,
            "CPU_THRESHOLD_PERCENT",
            "a percentage, e.g. 80",
        )?,
        memory_percent: number_or_seed(
            env,
            keys::MEMORY,
            "MEMORY_THRESHOLD_PERCENT",
            "a percentage, e.g. 85",
        )?,
        disk_percent: number_or_seed(
            env,
            keys::DISK,
            "DISK_THRESHOLD_PERCENT",
            "a percentage, e.g. 90",
        )?,
        system_enabled: boolean(env, keys::SYSTEM_ENABLED)?,
        system_interval: text_or_seed(env, keys::SYSTEM_INTERVAL, "SYSTEM_CHECK_INTERVAL"),
        probe_targets: targets(env),
        probe_interval: text_or_seed(env, keys::PROBE_INTERVAL, "DEVICE_PING_INTERVAL"),
        probe_timeout: text_or_seed(env, keys::PROBE_TIMEOUT, "PING_TIMEOUT_SECONDS"),
        probe_count: integer(env, keys::PROBE_COUNT)?,
        probe_down_after: integer(env, keys::PROBE_DOWN_AFTER)?,
        probe_flap_changes: integer(env, keys::PROBE_FLAP_CHANGES)?,
        probe_flap_window: text(env, keys::PROBE_FLAP_WINDOW),
        probe_rtt_limit: text(env, keys::PROBE_RTT_LIMIT),
        probe_loss_limit: number(env, keys::PROBE_LOSS_LIMIT, "a percentage, e.g. 20")?,
        store_url: text(env, keys::STORE_URL),
        store_optional: boolean(env, keys::STORE_OPTIONAL)?,
        prometheus: boolean(env, keys::PROMETHEUS)?,
        prometheus_port: integer_or_seed(env, keys::PROMETHEUS_PORT, "PROMETHEUS_PORT")?,
        prometheus_bind: text(env, keys::PROMETHEUS_BIND),
        influxdb: boolean(env, keys::INFLUXDB)?,
        influxdb_url: text_or_seed(env, keys::INFLUXDB_URL, "INFLUXDB_URL"),
        influxdb_token: text_or_seed(env, keys::INFLUXDB_TOKEN, "INFLUXDB_TOKEN"),
        influxdb_org: text_or_seed(env, keys::INFLUXDB_ORG, "INFLUXDB_ORG"),
        influxdb_bucket: text_or_seed(env, keys::INFLUXDB_BUCKET, "INFLUXDB_BUCKET"),
        influxdb_database: text(env, keys::INFLUXDB_DATABASE),
        influxdb_username: text(env, keys::INFLUXDB_USERNAME),
        influxdb_password: text(env, keys::INFLUXDB_PASSWORD),
        influxdb_buffer_dir: path(env, keys::INFLUXDB_BUFFER_DIR),
        influxdb_buffer_mb: number(env, keys::INFLUXDB_BUFFER_MB, "megabytes, e.g. 100")?,
        web_enabled: boolean(env, keys::WEB_ENABLED)?,
        web_listen: dashboard_listen(env),
        web_token: text(env, keys::WEB_TOKEN),
        web_auto_refresh: text_or_seed(env, keys::WEB_AUTO_REFRESH, "DASHBOARD_AUTO_REFRESH"),
        rules: None,
        notify: None,
        seed_email: super::notify::seed_email(env)?,
    })
}

/// `BANDWATCH_WEB_LISTEN`, or the seed tool's `DASHBOARD_HOST` and `DASHBOARD_PORT` (either
/// may be missing; the other half then keeps its default).
fn dashboard_listen(env: &EnvVars) -> Option<Setting<String>> {
    if let Some(s) = text(env, keys::WEB_LISTEN) {
        return Some(s);
    }
    let host = env
        .get("DASHBOARD_HOST")
        .filter(|(v, _)| !v.trim().is_empty());
    let port = env
        .get("DASHBOARD_PORT")
        .filter(|(v, _)| !v.trim().is_empty());
    let origin = host.or(port).map(|(_, o)| o.clone())?;
    let host = host.map_or("127.0.0.1", |(v, _)| v.trim());
    let port = port.map_or("8080", |(v, _)| v.trim());
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Some(Setting::new(format!("{host}:{port}"), origin))
}

/// A variable by its seed-tool name when the `BANDWATCH_*` one is not set.
fn seeded<'a>(env: &'a EnvVars, key: Key, seed: &str) -> Option<(&'a str, &'a Origin)> {
    raw(env, key).or_else(|| env.get(seed).filter(|(v, _)| !v.trim().is_empty()))
}

fn text_or_seed(env: &EnvVars, key: Key, seed: &str) -> Option<Setting<String>> {
    seeded(env, key, seed).map(|(v, origin)| Setting::new(v.trim().to_string(), origin.clone()))
}

fn number_or_seed(
    env: &EnvVars,
    key: Key,
    seed: &str,
    example: &str,
) -> Result<Option<Setting<f64>>, ConfigError> {
    seeded(env, key, seed)
        .map(|(v, origin)| parse_number(v, key, origin, example))
        .transpose()
}

/// `BANDWATCH_TARGETS`, else the seed tool's `MONITORED_DEVICES`: comma-separated specs.
fn targets(env: &EnvVars) -> Option<Setting<Vec<Setting<TargetTable>>>> {
    seeded(env, keys::PROBE_TARGETS, "MONITORED_DEVICES").map(|(v, origin)| {
        let items = v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|spec| Setting::new(TargetTable::from_spec(spec), origin.clone()))
            .collect();
        Setting::new(items, origin.clone())
    })
}

fn integer(env: &EnvVars, key: Key) -> Result<Option<Setting<i64>>, ConfigError> {
    parse_integer(raw(env, key), key)
}

fn integer_or_seed(
    env: &EnvVars,
    key: Key,
    seed: &str,
) -> Result<Option<Setting<i64>>, ConfigError> {
    parse_integer(seeded(env, key, seed), key)
}

fn parse_integer(
    found: Option<(&str, &Origin)>,
    key: Key,
) -> Result<Option<Setting<i64>>, ConfigError> {
    found
        .map(|(v, origin)| {
            v.trim()
                .parse::<i64>()
                .map(|n| Setting::new(n, origin.clone()))
                .map_err(|_| {
                    ConfigError::invalid(
                        key.file,
                        origin,
                        format!("is not a whole number (got '{v}')"),
                        "set it to a whole number such as 3",
                    )
                })
        })
        .transpose()
}

/// The seed tool's `ALERT_COOLDOWN_MINUTES`, as a duration text.
fn seed_cooldown(env: &EnvVars) -> Option<Setting<String>> {
    env.get("ALERT_COOLDOWN_MINUTES")
        .filter(|(v, _)| !v.trim().is_empty())
        .map(|(v, origin)| Setting::new(format!("{}m", v.trim()), origin.clone()))
}

fn raw(env: &EnvVars, key: Key) -> Option<(&str, &Origin)> {
    env.get(key.env).filter(|(v, _)| !v.trim().is_empty())
}

fn number(env: &EnvVars, key: Key, example: &str) -> Result<Option<Setting<f64>>, ConfigError> {
    raw(env, key)
        .map(|(v, origin)| parse_number(v, key, origin, example))
        .transpose()
}

fn parse_number(
    v: &str,
    key: Key,
    origin: &Origin,
    example: &str,
) -> Result<Setting<f64>, ConfigError> {
    f64::from_str(v.trim())
        .map(|n| Setting::new(n, origin.clone()))
        .map_err(|_| {
            ConfigError::invalid(
                key.file,
                origin,
                format!("is not a number (got '{v}')"),
                format!("set it to {example}"),
            )
        })
}

fn boolean(env: &EnvVars, key: Key) -> Result<Option<Setting<bool>>, ConfigError> {
    raw(env, key)
        .map(|(v, origin)| match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Setting::new(true, origin.clone())),
            "0" | "false" | "no" | "off" => Ok(Setting::new(false, origin.clone())),
            _ => Err(ConfigError::invalid(
                key.file,
                origin,
                format!("is not true or false (got '{v}')"),
                "set it to true or false",
            )),
        })
        .transpose()
}

fn list(env: &EnvVars, key: Key) -> Option<Setting<Vec<String>>> {
    raw(env, key).map(|(v, origin)| {
        let items = v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        Setting::new(items, origin.clone())
    })
}

fn text(env: &EnvVars, key: Key) -> Option<Setting<String>> {
    raw(env, key).map(|(v, origin)| Setting::new(v.trim().to_string(), origin.clone()))
}

fn path(env: &EnvVars, key: Key) -> Option<Setting<PathBuf>> {
    raw(env, key).map(|(v, origin)| Setting::new(PathBuf::from(v.trim()), origin.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_lists() {
        let env = EnvVars::from_pairs([
            ("BANDWATCH_INTERVAL", "0.5"),
            ("BANDWATCH_INTERFACES", "eth*, wl*"),
        ]);
        let raw = layer(&env).unwrap();
        assert!((raw.interval.unwrap().value - 0.5).abs() < f64::EPSILON);
        assert_eq!(raw.interfaces.unwrap().value, vec!["eth*", "wl*"]);
    }

    #[test]
    fn non_numeric_threshold_names_variable() {
        let env = EnvVars::from_pairs([("BANDWATCH_UPLOAD_THRESHOLD", "fast")]);
        let msg = layer(&env).unwrap_err().to_string();
        assert!(
            msg.contains("environment variable BANDWATCH_UPLOAD_THRESHOLD"),
            "{msg}"
        );
        assert!(msg.contains("thresholds.upload_mbps"), "{msg}");
        assert!(msg.contains("not a number"), "{msg}");
    }

    #[test]
    fn seed_names_fill_the_new_keys_and_bandwatch_names_win() {
        let env = EnvVars::from_pairs([
            ("MONITORED_DEVICES", "8.8.8.8, 192.168.1.1"),
            ("DEVICE_PING_INTERVAL", "20"),
            ("PING_TIMEOUT_SECONDS", "2"),
            ("SYSTEM_CHECK_INTERVAL", "30"),
            ("CPU_THRESHOLD_PERCENT", "70"),
            ("BANDWATCH_CPU_THRESHOLD", "75"),
            ("DISK_THRESHOLD_PERCENT", "95"),
        ]);
        let raw = layer(&env).unwrap();
        let targets: Vec<String> = raw
            .probe_targets
            .unwrap()
            .value
            .into_iter()
            .map(|t| t.value.target)
            .collect();
        assert_eq!(targets, vec!["8.8.8.8", "192.168.1.1"]);
        assert_eq!(raw.probe_interval.unwrap().value, "20");
        assert_eq!(raw.probe_timeout.unwrap().value, "2");
        assert_eq!(raw.system_interval.unwrap().value, "30");
        let cpu = raw.cpu_percent.unwrap();
        assert!((cpu.value - 75.0).abs() < f64::EPSILON);
        assert_eq!(cpu.origin, Origin::Env("BANDWATCH_CPU_THRESHOLD".into()));
        assert!((raw.disk_percent.unwrap().value - 95.0).abs() < f64::EPSILON);
    }

    #[test]
    fn flags_typos() {
        let env = EnvVars::from_pairs([
            ("BANDWATCH_INTERVL", "1"),
            ("BANDWATCH_REQUIRE_ROOT_TESTS", "1"),
        ]);
        assert_eq!(
            env.unknown_bandwatch_vars(),
            vec!["BANDWATCH_INTERVL".to_string()]
        );
    }
}
