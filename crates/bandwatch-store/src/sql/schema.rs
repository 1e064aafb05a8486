//! The schema of the SQL stores, created and upgraded by numbered migrations recorded in
//! `bw_schema_version`. Every step can run again (`IF NOT EXISTS`, or a check of what is
//! there, see `compat_schema`) because MySQL commits DDL one statement at a time: an upgrade
//! cut half way is simply run again.

use std::time::{SystemTime, UNIX_EPOCH};

use super::compat::CompatOptions;
use super::conn::{Arg, Col, Db};
use super::target::{Dialect, Target};
use crate::error::{Op, Result, StoreError};

/// The newest schema version of the SQL stores.
pub const SQL_LATEST_VERSION: i64 = 2;

/// Column types and table options that differ between the dialects.
pub(super) struct Types {
    pub real: &'static str,
    pub serial: &'static str,
    /// Text that is part of a key (MySQL cannot index unbounded TEXT).
    pub key: &'static str,
    pub short_key: &'static str,
    pub datetime: &'static str,
    /// Appended to every CREATE TABLE.
    pub table: &'static str,
}

pub(super) fn types(d: Dialect) -> Types {
    match d {
        Dialect::MySql => Types {
            real: "DOUBLE",
            serial: "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
            // 768 four-byte characters fill InnoDB's 3072-byte key limit.
            key: "VARCHAR(768)",
            short_key: "VARCHAR(255)",
            datetime: "DATETIME(3)",
            // Binary collation: series and alert ids that differ only in case are different.
            table: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        },
        Dialect::Postgres => Types {
            real: "DOUBLE PRECISION",
            serial: "BIGSERIAL PRIMARY KEY",
            key: "TEXT",
            short_key: "TEXT",
            datetime: "TIMESTAMP(3)",
            table: "",
        },
    }
}

/// Version 1: series, samples, rollups, marks, alert history, silences, compatibility tables.
fn v1(d: Dialect) -> Vec<String> {
    let Types {
        real,
        serial,
        key,
        short_key,
        datetime,
        table,
    } = types(d);
    vec![
        format!("CREATE TABLE IF NOT EXISTS bw_meta (name VARCHAR(64) NOT NULL PRIMARY KEY, value BIGINT NOT NULL){table}"),
        format!(
            "CREATE TABLE IF NOT EXISTS bw_series (id {serial}, metric TEXT NOT NULL, labels TEXT NOT NULL, \
             series_key {key} NOT NULL, UNIQUE (series_key)){table}"
        ),
        // Rates (derived = 1) are kept for rollups only; raw queries skip them like SQLite does.
        format!(
            "CREATE TABLE IF NOT EXISTS bw_samples (series_id BIGINT NOT NULL, ts BIGINT NOT NULL, value {real} NULL, \
             derived SMALLINT NOT NULL DEFAULT 0, PRIMARY KEY (series_id, ts)){table}"
        ),
        // tier 0 = minute, 1 = hour.
        format!(
            "CREATE TABLE IF NOT EXISTS bw_rollups (tier SMALLINT NOT NULL, series_id BIGINT NOT NULL, bucket BIGINT NOT NULL, \
             count BIGINT NOT NULL, sum {real} NOT NULL, min {real} NOT NULL, max {real} NOT NULL, last {real} NOT NULL, \
             PRIMARY KEY (tier, series_id, bucket)){table}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS bw_alert (id {short_key} NOT NULL PRIMARY KEY, rule TEXT NOT NULL, metric TEXT NOT NULL, \
             labels TEXT NOT NULL, state VARCHAR(16) NOT NULL, severity VARCHAR(16) NOT NULL, max_severity VARCHAR(16) NOT NULL, \
             value {real} NULL, reference {real} NULL, message TEXT NOT NULL, started BIGINT NOT NULL, ended BIGINT NULL, \
             updated BIGINT NOT NULL, acked_at BIGINT NULL, acked_by TEXT NULL){table}"
        ),
        "CREATE INDEX IF NOT EXISTS bw_alert_by_started ON bw_alert (started)".to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS bw_alert_event (id {serial}, alert_id {short_key} NOT NULL, kind VARCHAR(16) NOT NULL, \
             state VARCHAR(16) NOT NULL, severity VARCHAR(16) NOT NULL, value {real} NULL, reference {real} NULL, \
             message TEXT NOT NULL, at BIGINT NOT NULL, UNIQUE (alert_id, at, kind)){table}"
        ),
        "CREATE INDEX IF NOT EXISTS bw_alert_event_by_at ON bw_alert_event (at)".to_owned(),
        format!(
            "CREATE TABLE IF NOT EXISTS bw_silence (id {serial}, matcher TEXT NOT NULL, created BIGINT NOT NULL, \
             until_ms BIGINT NOT NULL, comment TEXT NULL){table}"
        ),
        // The two tables the old spike monitor wrote; users' reports read them by name.
        // Version 2 gives them that tool's exact shape (see `compat_schema`).
        format!(
            "CREATE TABLE IF NOT EXISTS network_usage (timestamp {datetime} NOT NULL PRIMARY KEY, sent_rate {real} NOT NULL, \
             recv_rate {real} NOT NULL, total_rate {real} NOT NULL, is_high_usage BOOLEAN NOT NULL DEFAULT FALSE, \
             is_spike BOOLEAN NOT NULL DEFAULT FALSE){table}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS alerts (timestamp {datetime} NOT NULL, alert_type VARCHAR(255) NOT NULL, \
             message TEXT NOT NULL, sent_rate {real} NULL, recv_rate {real} NULL, total_rate {real} NULL){table}"
        ),
        "CREATE INDEX IF NOT EXISTS bw_alerts_by_timestamp ON alerts (timestamp)".to_owned(),
    ]
}

/// Runs the steps of one version.
async fn apply(db: &Db, d: Dialect, version: i64, compat: &CompatOptions) -> sqlx::Result<()> {
    match version {
        1 => {
            for sql in v1(d) {
                db.raw(&sql).await?;
            }
            Ok(())
        }
        _ => super::compat_schema::upgrade(db, d, compat).await,
    }
}

/// Brings the schema up to [`SQL_LATEST_VERSION`]; returns the version found before.
/// `compat` names the rules whose old `alerts` rows become `HIGH_USAGE` and `SPIKE`.
pub(crate) async fn migrate(db: &Db, target: &Target, compat: &CompatOptions) -> Result<i64> {
    let err = |op| move |e| super::sql_error(op, target, e);
    db.raw(&format!(
        "CREATE TABLE IF NOT EXISTS bw_schema_version (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL){}",
        types(target.dialect).table
    ))
    .await
    .map_err(err(Op::Migrate))?;
    let found = current_version(db).await.map_err(err(Op::Migrate))?;
    if found > SQL_LATEST_VERSION {
        return Err(StoreError::SqlSchemaTooNew {
            target: target.redacted.clone(),
            found,
            supported: SQL_LATEST_VERSION,
        });
    }
    for version in (found + 1)..=SQL_LATEST_VERSION {
        apply(db, target.dialect, version, compat)
            .await
            .map_err(err(Op::Migrate))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut tx = db.begin().await.map_err(err(Op::Migrate))?;
        let ignore = super::dialect::insert_ignore(target.dialect);
        let nothing = super::dialect::on_conflict_nothing(target.dialect);
        tx.exec(
            &format!(
                "{ignore} INTO bw_schema_version (version, applied_at) VALUES (?, ?){nothing}"
            ),
            &[Arg::Int(version), Arg::Int(now)],
        )
        .await
        .map_err(err(Op::Migrate))?;
        tx.commit().await.map_err(err(Op::Migrate))?;
    }
    Ok(found)
}

/// Checks, without changing anything, that the database holds a history of exactly the
/// schema this build reads (a reader cannot migrate).
pub(crate) async fn check_read_only(db: &Db, target: &Target) -> Result<()> {
    let found = match current_version(db).await {
        Ok(v) => v,
        // No version table: the database was never written by bandwatch.
        Err(sqlx::Error::Database(e)) if missing_table(&*e) => 0,
        Err(e) => return Err(super::sql_error(Op::Query, target, e)),
    };
    let target = target.redacted.clone();
    match found {
        SQL_LATEST_VERSION => Ok(()),
        0 => Err(StoreError::SqlNotAHistory { target }),
        v if v > SQL_LATEST_VERSION => Err(StoreError::SqlSchemaTooNew {
            target,
            found: v,
            supported: SQL_LATEST_VERSION,
        }),
        v => Err(StoreError::SqlSchemaTooOld {
            target,
            found: v,
            supported: SQL_LATEST_VERSION,
        }),
    }
}

/// Whether a server error says a table does not exist (MySQL 1146, PostgreSQL 42P01).
fn missing_table(e: &dyn sqlx::error::DatabaseError) -> bool {
    matches!(e.code().as_deref(), Some("42S02" | "42P01"))
}

/// The newest applied version (0 for an empty database).
pub(crate) async fn current_version(db: &Db) -> sqlx::Result<i64> {
    let mut tx = db.begin().await?;
    let row = tx
        .fetch_one(
            "SELECT MAX(version) FROM bw_schema_version",
            &[],
            &[Col::Int],
        )
        .await?;
    Ok(row.and_then(|r| r.opt_int(0)).unwrap_or(0))
}
