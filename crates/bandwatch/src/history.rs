//! Opening the configured history: the SQLite file, or MySQL/MariaDB/PostgreSQL when
//! `store.url` is set. Every command that reads or writes the history opens it here, so
//! `alerts`, `stats` and `run` always look at the same place.

use std::collections::BTreeSet;
use std::path::Path;

use bandwatch_store::sql::{CompatOptions, SqlOptions, SqlStore, TotalRates};
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

fn sql_options(config: &Config) -> SqlOptions {
    let spike_rules: BTreeSet<String> = crate::config::effective_rules(config)
        .into_iter()
        .filter(|r| matches!(r.condition.as_str(), "spike" | "anomaly"))
        .map(|r| r.name)
        .collect();
    SqlOptions {
        retention: retention(config),
        compat: CompatOptions {
            upload_mbps: Some(config.thresholds.upload_bps / 1e6),
            download_mbps: Some(config.thresholds.download_bps / 1e6),
            spike_rules,
            total_rates: TotalRates::from_catalog(bandwatch_collect::catalog()),
        },
        ..SqlOptions::default()
    }
}
