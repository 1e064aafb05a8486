//! The environment layer: `BANDWATCH_*` variables from the process and from `./.env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::ConfigError;
use super::keys::{self, Key};
use super::layer::RawConfig;
use super::origin::{Origin, Setting};

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
        rules: None,
        notify: None,
        seed_email: super::notify::seed_email(env)?,
    })
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
        .map(|(v, origin)| {
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
        })
        .transpose()
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
