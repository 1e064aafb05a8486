//! Schema version 2: `network_usage` and `alerts` rebuilt in the old spike monitor's shape
//! (an auto-increment `id` first, rates in bytes per second, `alert_type` `HIGH_USAGE` or
//! `SPIKE` for the rules of those kinds), keeping every row in time order.
//!
//! A table is rebuilt only while it has no `id` column, so a run that was cut is simply run
//! again. On PostgreSQL each rebuild is one transaction. MySQL commits DDL statement by
//! statement, so there the new table is filled beside the old one and swapped in by one
//! atomic `RENAME TABLE`: a cut before the swap leaves the old table whole, one after it
//! leaves only the old copy to drop.

use super::compat::{AlertType, CompatOptions};
use super::conn::{Arg, Col, Db, Tx};
use super::schema::types;
use super::target::Dialect;

/// Mbit/s (version 1) to bytes per second.
const BYTES_PER_SECOND_PER_MBPS: f64 = 1e6 / 8.0;

/// The widest `alert_type` (the column is `VARCHAR(255)`).
const ALERT_TYPE_CHARS: usize = 255;

/// `CREATE TABLE` of the version 2 `network_usage`, named `name`.
pub(crate) fn usage_table(d: Dialect, name: &str) -> String {
    let t = types(d);
    let (real, datetime) = (t.real, t.datetime);
    let unique = match d {
        Dialect::MySql => "UNIQUE KEY bw_usage_by_timestamp (timestamp)",
        Dialect::Postgres => "UNIQUE (timestamp)",
    };
    format!(
        "CREATE TABLE {name} (id {serial}, timestamp {datetime} NOT NULL, sent_rate {real} NOT NULL, \
         recv_rate {real} NOT NULL, total_rate {real} NOT NULL, is_high_usage BOOLEAN NOT NULL DEFAULT FALSE, \
         is_spike BOOLEAN NOT NULL DEFAULT FALSE, {unique}){table}",
        serial = t.serial,
        table = t.table
    )
}

/// `CREATE TABLE` of the version 2 `alerts`, named `name` (on MySQL with its time index).
pub(crate) fn alerts_table(d: Dialect, name: &str) -> String {
    let t = types(d);
    let (real, datetime) = (t.real, t.datetime);
    let index = match d {
        Dialect::MySql => ", INDEX bw_alerts_by_timestamp (timestamp)",
        Dialect::Postgres => "",
    };
    format!(
        "CREATE TABLE {name} (id {serial}, timestamp {datetime} NOT NULL, alert_type VARCHAR(255) NOT NULL, \
         message TEXT NOT NULL, sent_rate {real} NULL, recv_rate {real} NULL, total_rate {real} NULL{index}){table}",
        serial = t.serial,
        table = t.table
    )
}

/// Copies version 1 usage rows from `from` into `to`, oldest first, in bytes per second.
fn copy_usage(from: &str, to: &str) -> String {
    let k = BYTES_PER_SECOND_PER_MBPS;
    format!(
        "INSERT INTO {to} (timestamp, sent_rate, recv_rate, total_rate, is_high_usage, is_spike) \
         SELECT timestamp, sent_rate * {k}, recv_rate * {k}, total_rate * {k}, is_high_usage, is_spike \
         FROM {from} ORDER BY timestamp"
    )
}

/// Copies version 1 alert rows from `from` into `to`, oldest first, in bytes per second,
/// with rule names that `TYPES` maps replaced by their old type.
fn copy_alerts(from: &str, to: &str) -> String {
    let k = BYTES_PER_SECOND_PER_MBPS;
    format!(
        "INSERT INTO {to} (timestamp, alert_type, message, sent_rate, recv_rate, total_rate) \
         SELECT a.timestamp, COALESCE(m.alert_type, a.alert_type), a.message, a.sent_rate * {k}, \
         a.recv_rate * {k}, a.total_rate * {k} FROM {from} a LEFT JOIN {TYPES} m ON m.rule = a.alert_type \
         ORDER BY a.timestamp"
    )
}

/// The rule-to-type table the alert copy joins; it lives only during the upgrade.
const TYPES: &str = "bw_v2_alert_types";

/// Runs the upgrade's statements: all in one transaction (PostgreSQL), or each on its own
/// (MySQL, where DDL commits anyway).
enum Runner<'a> {
    Each(&'a Db),
    One(Tx),
}

impl Runner<'_> {
    async fn run(&mut self, sql: &str, args: &[Arg<'_>]) -> sqlx::Result<()> {
        match self {
            Self::One(tx) => tx.exec(sql, args).await.map(|_| ()),
            Self::Each(db) if args.is_empty() => db.raw(sql).await,
            Self::Each(db) => {
                let mut tx = db.begin().await?;
                tx.exec(sql, args).await?;
                tx.commit().await
            }
        }
    }

    async fn fetch_int(&mut self, sql: &str, args: &[Arg<'_>]) -> sqlx::Result<i64> {
        let row = match self {
            Self::One(tx) => tx.fetch_one(sql, args, &[Col::Int]).await?,
            Self::Each(db) => {
                let mut tx = db.begin().await?;
                let row = tx.fetch_one(sql, args, &[Col::Int]).await?;
                tx.commit().await?;
                row
            }
        };
        Ok(row.map_or(0, |r| r.int(0)))
    }

    async fn fetch_text(&mut self, sql: &str, args: &[Arg<'_>]) -> sqlx::Result<Option<String>> {
        let row = match self {
            Self::One(tx) => tx.fetch_one(sql, args, &[Col::Text]).await?,
            Self::Each(db) => {
                let mut tx = db.begin().await?;
                let row = tx.fetch_one(sql, args, &[Col::Text]).await?;
                tx.commit().await?;
                row
            }
        };
        Ok(row.and_then(|r| r.opt_text(0)))
    }

    /// Whether `table` already has its version 2 `id` column.
    async fn has_id(&mut self, d: Dialect, table: &str) -> sqlx::Result<bool> {
        let schema = match d {
            Dialect::MySql => "DATABASE()",
            Dialect::Postgres => "current_schema()",
        };
        let sql = format!(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = {schema} \
             AND table_name = ? AND column_name = 'id'"
        );
        Ok(self.fetch_int(&sql, &[Arg::Text(table)]).await? > 0)
    }
}

/// Brings `network_usage` and `alerts` to version 2; rule names of `opts`' two kinds in
/// `alerts` become `HIGH_USAGE` and `SPIKE`.
pub(crate) async fn upgrade(db: &Db, d: Dialect, opts: &CompatOptions) -> sqlx::Result<()> {
    match d {
        Dialect::Postgres => {
            let mut runner = Runner::One(db.begin().await?);
            postgres(&mut runner, opts).await?;
            if let Runner::One(tx) = runner {
                tx.commit().await?;
            }
        }
        Dialect::MySql => mysql(&mut Runner::Each(db), opts).await?,
    }
    Ok(())
}

/// Fills the rule-to-type table from `opts`.
async fn fill_types(r: &mut Runner<'_>, d: Dialect, opts: &CompatOptions) -> sqlx::Result<()> {
    let t = types(d);
    r.run(&format!("DROP TABLE IF EXISTS {TYPES}"), &[]).await?;
    r.run(
        &format!(
            "CREATE TABLE {TYPES} (rule {key} NOT NULL PRIMARY KEY, alert_type VARCHAR(16) NOT NULL){table}",
            key = t.short_key,
            table = t.table
        ),
        &[],
    )
    .await?;
    for kind in AlertType::ALL {
        for rule in opts.rules(kind) {
            // A longer name never fitted in `alert_type`, so no row can carry it.
            if rule.chars().count() > ALERT_TYPE_CHARS || opts.alert_type(rule) != Some(kind) {
                continue;
            }
            r.run(
                &format!("INSERT INTO {TYPES} (rule, alert_type) VALUES (?, ?)"),
                &[Arg::Text(rule), Arg::Text(kind.as_str())],
            )
            .await?;
        }
    }
    Ok(())
}

async fn mysql(r: &mut Runner<'_>, opts: &CompatOptions) -> sqlx::Result<()> {
    let d = Dialect::MySql;
    if !r.has_id(d, "network_usage").await? {
        r.run("DROP TABLE IF EXISTS bw_v2_network_usage", &[])
            .await?;
        r.run(&usage_table(d, "bw_v2_network_usage"), &[]).await?;
        r.run(&copy_usage("network_usage", "bw_v2_network_usage"), &[])
            .await?;
        r.run(
            "RENAME TABLE network_usage TO bw_v1_network_usage, bw_v2_network_usage TO network_usage",
            &[],
        )
        .await?;
    }
    if !r.has_id(d, "alerts").await? {
        fill_types(r, d, opts).await?;
        r.run("DROP TABLE IF EXISTS bw_v2_alerts", &[]).await?;
        r.run(&alerts_table(d, "bw_v2_alerts"), &[]).await?;
        r.run(&copy_alerts("alerts", "bw_v2_alerts"), &[]).await?;
        r.run(
            "RENAME TABLE alerts TO bw_v1_alerts, bw_v2_alerts TO alerts",
            &[],
        )
        .await?;
    }
    for old in ["bw_v1_network_usage", "bw_v1_alerts", TYPES] {
        r.run(&format!("DROP TABLE IF EXISTS {old}"), &[]).await?;
    }
    Ok(())
}

async fn postgres(r: &mut Runner<'_>, opts: &CompatOptions) -> sqlx::Result<()> {
    let d = Dialect::Postgres;
    if !r.has_id(d, "network_usage").await? {
        r.run(
            "ALTER TABLE network_usage RENAME TO bw_v1_network_usage",
            &[],
        )
        .await?;
        // The old primary key's name would clash with the new table's.
        let pk = r
            .fetch_text(
                "SELECT conname::TEXT FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'p'",
                &[Arg::Text("bw_v1_network_usage")],
            )
            .await?;
        if let Some(pk) = pk {
            r.run(
                &format!(
                    "ALTER TABLE bw_v1_network_usage DROP CONSTRAINT \"{}\"",
                    pk.replace('"', "\"\"")
                ),
                &[],
            )
            .await?;
        }
        r.run(&usage_table(d, "network_usage"), &[]).await?;
        r.run(&copy_usage("bw_v1_network_usage", "network_usage"), &[])
            .await?;
        r.run("DROP TABLE bw_v1_network_usage", &[]).await?;
    }
    if !r.has_id(d, "alerts").await? {
        fill_types(r, d, opts).await?;
        r.run("ALTER TABLE alerts RENAME TO bw_v1_alerts", &[])
            .await?;
        r.run("DROP INDEX IF EXISTS bw_alerts_by_timestamp", &[])
            .await?;
        r.run(&alerts_table(d, "alerts"), &[]).await?;
        r.run(
            "CREATE INDEX bw_alerts_by_timestamp ON alerts (timestamp)",
            &[],
        )
        .await?;
        r.run(&copy_alerts("bw_v1_alerts", "alerts"), &[]).await?;
        r.run("DROP TABLE bw_v1_alerts", &[]).await?;
        r.run(&format!("DROP TABLE {TYPES}"), &[]).await?;
    }
    Ok(())
}
