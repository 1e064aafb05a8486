//! The environment layer: `BANDWATCH_*` variables from the process and from `./.env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::ConfigError;
use super::key::{Env, KeyDef, Kind, Value};
use super::keys;
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
        let mut process = Self::default();
        for (k, v) in std::env::vars_os() {
            // Variables bandwatch does not read may hold anything; one it reads but cannot
            // decode is an error rather than a setting silently ignored.
            let Ok(k) = k.into_string() else { continue };
            match v.into_string() {
                Ok(v) => process.set(&k, &v, Origin::Env(k.clone())),
                Err(_) if is_read(&k) => return Err(ConfigError::EnvNotUtf8 { var: k }),
                Err(_) => {}
            }
        }
        let dotenv = cwd.join(".env");
        let mut env = Self::default();
        if dotenv.is_file() {
            env.read_dotenv(&dotenv, &process)?;
        }
        env.vars.extend(process.vars);
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

    /// The `.env` file's variables; `${NAME}` in them reads `process` first.
    fn read_dotenv(&mut self, path: &Path, process: &Self) -> Result<(), ConfigError> {
        // Messages name the file as people know it: it is always the one in the working
        // directory.
        let shown = PathBuf::from(".env");
        let unreadable = |problem: String| ConfigError::DotEnvUnreadable {
            path: shown.clone(),
            problem,
        };
        let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..offset].split(|&b| b == b'\n').count();
            unreadable(format!(
                "it is not UTF-8 text (line {line}, byte offset {offset}); save it as UTF-8"
            ))
        })?;
        let vars = super::dotenv::read(&text, |name| process.get(name).map(|(v, _)| v.to_string()))
            .map_err(|error| ConfigError::DotEnv {
                path: shown.clone(),
                error,
            })?;
        for (k, v) in vars {
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
            .filter(|k| !keys::is_setting_env(k) && !keys::NON_SETTING_ENV.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

impl EnvVars {
    /// Variables that look like the seed tool's names (`DASHBOARD_THEME`, a misspelt
    /// `BANDWITH_THRESHOLD_MBPS`) but that bandwatch does not read, each with where it was
    /// set: without a word they would be ignored.
    pub fn unknown_seed_vars(&self) -> Vec<&Origin> {
        self.vars
            .iter()
            .filter(|(k, _)| !k.starts_with("BANDWATCH_") && !is_read(k))
            .filter(|(k, (_, origin))| {
                keys::looks_like_seed_env(k, matches!(origin, Origin::DotEnv(_)))
            })
            .map(|(_, (_, origin))| origin)
            .collect()
    }
}

/// Whether bandwatch reads the environment variable `name`.
fn is_read(name: &str) -> bool {
    name.starts_with("BANDWATCH_")
        || keys::is_setting_env(name)
        || super::notify::SEED_ENV.contains(&name)
}

/// Reads every setting the environment gives into a layer.
pub fn layer(env: &EnvVars) -> Result<RawConfig, ConfigError> {
    let mut raw = RawConfig::default();
    for key in keys::ALL {
        if let Some(v) = lookup(env, key)? {
            raw.set(key, v);
        }
    }
    raw.seed_email = super::notify::seed_email(env)?;
    Ok(raw)
}

/// The first of the key's variables that is set and not blank, read as the key's kind.
fn lookup(env: &EnvVars, key: &KeyDef) -> Result<Option<Setting<Value>>, ConfigError> {
    for source in key.env {
        let found = match *source {
            Env::Var(var) => given(env, var).map(|(v, o)| (v.to_string(), o)),
            Env::Minutes(var) => given(env, var).map(|(v, o)| (format!("{}m", v.trim()), o)),
            Env::BytesPerSecond(var) => match given(env, var) {
                Some((v, o)) => Some((bytes_as_mbps(key, v, o)?, o)),
                None => None,
            },
            Env::HostPort { host, port } => host_port(env, host, port, key.default),
        };
        if let Some((text, origin)) = found {
            return parse(key, &text, origin).map(Some);
        }
    }
    Ok(None)
}

/// A rate the old tool gave in bytes per second, as the megabits per second the key holds.
fn bytes_as_mbps(key: &KeyDef, text: &str, origin: &Origin) -> Result<String, ConfigError> {
    match f64::from_str(text.trim()) {
        Ok(bytes) if bytes.is_finite() && bytes > 0.0 => Ok((bytes * 8.0 / 1e6).to_string()),
        _ => Err(ConfigError::invalid(
            key.name,
            origin,
            format!("is not a positive number of bytes per second (got '{text}')"),
            "set it to a rate in bytes per second, e.g. 12500000 for 100 Mbit/s",
        )),
    }
}

fn given<'a>(env: &'a EnvVars, var: &str) -> Option<(&'a str, &'a Origin)> {
    env.get(var).filter(|(v, _)| !v.trim().is_empty())
}

/// An address from a host variable and a port variable (either may be missing; the other
/// half then keeps the default's).
fn host_port<'a>(
    env: &'a EnvVars,
    host_var: &str,
    port_var: &str,
    default: Option<&str>,
) -> Option<(String, &'a Origin)> {
    let host = given(env, host_var);
    let port = given(env, port_var);
    let origin = host.or(port).map(|(_, o)| o)?;
    let (default_host, default_port) = default.and_then(|d| d.rsplit_once(':'))?;
    let host = host.map_or(default_host, |(v, _)| v.trim());
    let port = port.map_or(default_port, |(v, _)| v.trim());
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    Some((format!("{host}:{port}"), origin))
}

/// Reads `text` (as the environment writes it) as a value of the key's kind.
pub fn parse(key: &KeyDef, text: &str, origin: &Origin) -> Result<Setting<Value>, ConfigError> {
    let trimmed = text.trim();
    let items = || trimmed.split(',').map(str::trim).filter(|s| !s.is_empty());
    let value = match key.kind {
        Kind::Number => Value::Number(f64::from_str(trimmed).map_err(|_| {
            ConfigError::invalid(
                key.name,
                origin,
                format!("is not a number (got '{text}')"),
                format!("set it to {}", key.hint),
            )
        })?),
        Kind::Whole => Value::Whole(trimmed.parse::<i64>().map_err(|_| {
            ConfigError::invalid(
                key.name,
                origin,
                format!("is not a whole number (got '{text}')"),
                "set it to a whole number such as 3",
            )
        })?),
        Kind::Switch => Value::Switch(switch(trimmed).ok_or_else(|| {
            ConfigError::invalid(
                key.name,
                origin,
                format!("is not true or false (got '{text}')"),
                "set it to true or false",
            )
        })?),
        Kind::Text => Value::Text(trimmed.to_string()),
        Kind::Path => Value::Path(PathBuf::from(trimmed)),
        Kind::List => Value::List(items().map(String::from).collect()),
        Kind::Targets => Value::Targets(
            items()
                .map(|spec| Setting::new(TargetTable::from_spec(spec), origin.clone()))
                .collect(),
        ),
        Kind::Known => Value::Known(
            items()
                .map(|spec| Setting::new(super::devices::known_from_spec(spec), origin.clone()))
                .collect(),
        ),
    };
    Ok(Setting::new(value, origin.clone()))
}

fn switch(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(raw: &'a RawConfig, key: &str) -> &'a Setting<Value> {
        &raw.values[key]
    }

    #[test]
    fn reads_numbers_and_lists() {
        let env = EnvVars::from_pairs([
            ("BANDWATCH_INTERVAL", "0.5"),
            ("BANDWATCH_INTERFACES", "eth*, wl*"),
        ]);
        let raw = layer(&env).unwrap();
        assert_eq!(value(&raw, "monitor.interval").value, Value::Number(0.5));
        assert_eq!(
            value(&raw, "monitor.interfaces").value,
            Value::List(vec!["eth*".into(), "wl*".into()])
        );
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
        let Value::Targets(targets) = &value(&raw, "probe.targets").value else {
            panic!("targets");
        };
        let targets: Vec<&str> = targets.iter().map(|t| t.value.target.as_str()).collect();
        assert_eq!(targets, vec!["8.8.8.8", "192.168.1.1"]);
        let text = |k: &str| value(&raw, k).value.clone();
        assert_eq!(text("probe.interval"), Value::Text("20".into()));
        assert_eq!(text("probe.timeout"), Value::Text("2".into()));
        assert_eq!(text("system.interval"), Value::Text("30".into()));
        let cpu = value(&raw, "thresholds.cpu_percent");
        assert_eq!(cpu.value, Value::Number(75.0));
        assert_eq!(cpu.origin, Origin::Env("BANDWATCH_CPU_THRESHOLD".into()));
        assert_eq!(text("thresholds.disk_percent"), Value::Number(95.0));
    }

    #[test]
    fn the_spike_monitor_names_fill_the_total_limit_spike_rules_and_interval() {
        let env = EnvVars::from_pairs([
            ("DATA_RATE_THRESHOLD", "12500000"),
            ("SPIKE_MULTIPLIER", "4"),
            ("HISTORY_SIZE", "20"),
            ("CHECK_INTERVAL", "5"),
        ]);
        let raw = layer(&env).unwrap();
        let total = value(&raw, "thresholds.total_mbps");
        assert_eq!(total.value, Value::Number(100.0), "bytes/s as Mbit/s");
        assert_eq!(total.origin, Origin::Env("DATA_RATE_THRESHOLD".into()));
        let num = |k: &str| value(&raw, k).value.clone();
        assert_eq!(num("thresholds.spike_factor"), Value::Number(4.0));
        assert_eq!(num("thresholds.spike_window"), Value::Whole(20));
        assert_eq!(num("monitor.interval"), Value::Number(5.0));
        let env = EnvVars::from_pairs([
            ("DATA_RATE_THRESHOLD", "12500000"),
            ("BANDWATCH_TOTAL_THRESHOLD", "80"),
        ]);
        let raw = layer(&env).unwrap();
        assert_eq!(
            value(&raw, "thresholds.total_mbps").value,
            Value::Number(80.0)
        );
    }

    #[test]
    fn a_bad_data_rate_threshold_says_bytes_per_second() {
        for bad in ["fast", "-5", "0", "inf"] {
            let env = EnvVars::from_pairs([("DATA_RATE_THRESHOLD", bad)]);
            let msg = layer(&env).unwrap_err().to_string();
            assert!(
                msg.starts_with("environment variable DATA_RATE_THRESHOLD: key 'thresholds.total_mbps' is not a positive number of bytes per second"),
                "{msg}"
            );
            assert!(msg.contains("e.g. 12500000 for 100 Mbit/s"), "{msg}");
        }
    }

    #[test]
    fn dashboard_host_and_port_fill_the_listen_address() {
        let env = EnvVars::from_pairs([("DASHBOARD_PORT", "9090")]);
        let raw = layer(&env).unwrap();
        let listen = value(&raw, "web.listen");
        assert_eq!(listen.value, Value::Text("127.0.0.1:9090".into()));
        assert_eq!(listen.origin, Origin::Env("DASHBOARD_PORT".into()));
        let env = EnvVars::from_pairs([("DASHBOARD_HOST", "::1")]);
        let raw = layer(&env).unwrap();
        assert_eq!(
            value(&raw, "web.listen").value,
            Value::Text("[::1]:8080".into())
        );
    }

    #[test]
    fn seed_names_that_bandwatch_does_not_read_are_reported_with_their_origin() {
        let mut env = EnvVars::from_pairs([
            ("DASHBOARD_THEME", "dark"),
            ("BANDWITH_THRESHOLD_MBPS", "10"),
            ("BANDWIDTH_THRESHOLD_MBPS", "10"),
            ("DATA_RATE_THRESHOLD", "10"),
            ("EMAIL_PASSWORD", "x"),
            ("MEMORY_PRESSURE_WATCH", "/x"),
            ("PATH", "/bin"),
        ]);
        env.set("LOG_FORMAT", "json", Origin::DotEnv("LOG_FORMAT".into()));
        let got: Vec<String> = env
            .unknown_seed_vars()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            [
                "environment variable BANDWITH_THRESHOLD_MBPS",
                "environment variable DASHBOARD_THEME",
                ".env variable LOG_FORMAT",
            ]
        );
    }

    #[test]
    fn the_seed_tools_names_set_their_keys() {
        let env = EnvVars::from_pairs([
            ("BANDWIDTH_THRESHOLD_MBPS", "30"),
            ("NETWORK_CHECK_INTERVAL", "5"),
            ("LOG_LEVEL", "WARNING"),
            ("LOG_FILE", "logs/monitor.log"),
        ]);
        let raw = layer(&env).unwrap();
        assert_eq!(
            value(&raw, "thresholds.upload_mbps").value,
            Value::Number(30.0)
        );
        assert_eq!(
            value(&raw, "thresholds.download_mbps").value,
            Value::Number(30.0)
        );
        assert_eq!(value(&raw, "monitor.interval").value, Value::Number(5.0));
        assert_eq!(
            value(&raw, "log.level").value,
            Value::Text("WARNING".into())
        );
        assert_eq!(
            value(&raw, "log.file").value,
            Value::Path("logs/monitor.log".into())
        );
        // Each direction's own limit wins over the one for both.
        let env = EnvVars::from_pairs([
            ("BANDWIDTH_THRESHOLD_MBPS", "30"),
            ("BANDWATCH_DOWNLOAD_THRESHOLD", "200"),
        ]);
        let raw = layer(&env).unwrap();
        assert_eq!(
            value(&raw, "thresholds.upload_mbps").value,
            Value::Number(30.0)
        );
        assert_eq!(
            value(&raw, "thresholds.download_mbps").value,
            Value::Number(200.0)
        );
    }

    #[test]
    fn flags_typos() {
        let env = EnvVars::from_pairs([
            ("BANDWATCH_INTERVL", "1"),
            ("BANDWATCH_REQUIRE_ROOT_TESTS", "1"),
            ("BANDWATCH_TARGETS", "192.0.2.1"),
        ]);
        assert_eq!(
            env.unknown_bandwatch_vars(),
            vec!["BANDWATCH_INTERVL".to_string()]
        );
    }
}
