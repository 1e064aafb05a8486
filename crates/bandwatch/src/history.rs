//! Opening the configured history: the SQLite file, or MySQL/MariaDB/PostgreSQL when
//! `store.url` is set. Every command that reads or writes the history opens it here, so
//! `alerts`, `stats` and `run` always look at the same place.

use std::path::Path;

use bandwatch_engine::RuleSpec;
use bandwatch_store::sql::{AlertType, CompatOptions, SqlOptions, SqlStore, TotalRates};
use bandwatch_store::{Retention, SqliteOptions, SqliteStore, Store};

use crate::config::export::redact_url;
use crate::config::Config;
use crate::error::BadInput;

/// The retention the configuration asks for.
fn retention(config: &Config) -> Retention {
    Retention {
        raw: config.store.raw_retention,
        minute: config.store.minute_retention,
        hour: config.store.hour_retention,
    }
}

/// Opens the history for writing (`run`): an unreachable database is the user's to fix
/// (exit 2) unless the store is optional, when the SQLite file takes over.
pub fn open(config: &Config) -> anyhow::Result<Box<dyn Store>> {
    if let Some(url) = &config.store.url {
        match SqlStore::connect(url, sql_options(config)) {
            Ok(store) => {
                tracing::info!(store = %redact_url(url), "history kept in the database");
                return Ok(Box::new(store));
            }
            Err(e) if config.store.optional => tracing::warn!(
                store = %redact_url(url), error = %e,
                "the database cannot be reached; store.optional is set, so the history goes to the SQLite file"
            ),
            Err(e) => {
                return Err(BadInput(format!(
                    "key 'store.url' ({}): {e}; fix the URL or start the database (or set store.optional = true to fall back to SQLite)",
                    redact_url(url)
                ))
                .into())
            }
        }
    }
    let opts = SqliteOptions {
        retention: retention(config),
        ..SqliteOptions::default()
    };
    let store = SqliteStore::open(&config.store.path, opts)
        .map_err(|e| BadInput(format!("key 'store.path': {e}")))?;
    Ok(Box::new(store))
}

/// Opens the configured history read-only (`serve`): nothing is created, migrated or
/// written, and a history that is missing, unreadable or of another schema is the user's to
/// fix (exit 2).
pub fn open_read_only(config: &Config) -> anyhow::Result<Box<dyn Store>> {
    if let Some(url) = &config.store.url {
        return match SqlStore::connect_read_only(url, sql_options(config)) {
            Ok(store) => Ok(Box::new(store)),
            Err(e) => Err(BadInput(format!("key 'store.url' ({}): {e}", redact_url(url))).into()),
        };
    }
    let opts = SqliteOptions {
        retention: retention(config),
        ..SqliteOptions::default()
    };
    SqliteStore::open_read_only(&config.store.path, opts)
        .map(|s| Box::new(s) as Box<dyn Store>)
        .map_err(|e| BadInput(format!("key 'store.path': {e}")).into())
}

/// Opens the history for a command that only looks at it (`alerts`, `stats`): `None` when
/// there is no SQLite file yet.
pub fn open_existing(config: &Config) -> anyhow::Result<Option<Box<dyn Store>>> {
    if config.store.url.is_none() && !Path::new(&config.store.path).exists() {
        return Ok(None);
    }
    open(config).map(Some)
}

/// Where the history is, for messages.
pub fn describe(config: &Config) -> String {
    config
        .store
        .url
        .as_deref()
        .map_or_else(|| config.store.path.display().to_string(), redact_url)
}

/// What the offline commands say when the history is missing or holds nothing yet.
pub fn no_history(config: &Config) -> String {
    format!(
        "no history in {} yet: run `bandwatch run` first (or name another history with \
         --db PATH or --store URL)",
        bandwatch_core::human::escape_control(&describe(config))
    )
}

/// Which of the old spike monitor's two alert kinds `rule` is: a threshold above a limit on
/// an interface metric is `HIGH_USAGE`, a spike or anomaly on one is `SPIKE`. Rules on
/// other metrics (CPU, disks, probes) were never part of that tool and keep their names.
fn alert_type(rule: &RuleSpec) -> Option<AlertType> {
    bandwatch_collect::netdev::metric::info_for(rule.metric.trim())?;
    match rule.condition.as_str() {
        "threshold" if rule.above.is_some() => Some(AlertType::HighUsage),
        "spike" | "anomaly" => Some(AlertType::Spike),
        _ => None,
    }
}

/// The compatibility tables' settings: the two kinds' rules and the total rate series.
fn compat_options(config: &Config) -> CompatOptions {
    let mut opts = CompatOptions {
        total_rates: TotalRates::from_catalog(bandwatch_collect::catalog()),
        ..CompatOptions::default()
    };
    for rule in crate::config::effective_rules(config) {
        match alert_type(&rule) {
            Some(AlertType::HighUsage) => opts.usage_rules.insert(rule.name),
            Some(AlertType::Spike) => opts.spike_rules.insert(rule.name),
            None => false,
        };
    }
    opts
}

fn sql_options(config: &Config) -> SqlOptions {
    SqlOptions {
        retention: retention(config),
        compat: compat_options(config),
        ..SqlOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &std::collections::BTreeSet<String>) -> Vec<&str> {
        s.iter().map(String::as_str).collect()
    }

    fn config(text: &str) -> Config {
        crate::config::from_file_text(text, Path::new("t.toml")).expect("valid")
    }

    #[test]
    fn interface_thresholds_are_high_usage_and_spikes_are_spikes() {
        let c = config(
            r#"
[[rules]]
name = "wan-spike"
metric = "net_rx_bits_per_second"
condition = "spike"

[[rules]]
name = "wan-odd"
metric = "net_tx_bits_per_second"
condition = "anomaly"

[[rules]]
name = "quiet"
metric = "net_rx_bits_per_second"
condition = "threshold"
below = 1000.0

[[rules]]
name = "cpu-jump"
metric = "system_cpu_percent"
condition = "spike"
"#,
        );
        let opts = compat_options(&c);
        assert_eq!(
            names(&opts.usage_rules),
            ["download-threshold", "upload-threshold"]
        );
        // The built-in spike rules are on interface rates too.
        assert_eq!(
            names(&opts.spike_rules),
            ["download-spike", "upload-spike", "wan-odd", "wan-spike"]
        );
        assert_eq!(opts.alert_type_text("cpu-threshold"), "cpu-threshold");
        assert_eq!(opts.alert_type_text("cpu-jump"), "cpu-jump");
        assert_eq!(opts.alert_type_text("quiet"), "quiet");
        assert!(opts.total_rates.is_some());
    }
}
