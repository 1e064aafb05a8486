//! The `network_usage` and `alerts` tables against real MySQL/MariaDB and PostgreSQL servers,
//! read back with plain SQL the way users' reports read them: the old spike monitor's columns
//! and units, its alert types, the flags while alerts fire, and the upgrade of a database
//! that an earlier bandwatch (schema version 1) wrote.

// Exact equality of converted rates is what these tests are about.
#![allow(clippy::float_cmp)]

mod common;
mod sqlcommon;

use std::collections::BTreeSet;
use std::sync::Arc;

use bandwatch_core::{AlertEvent, EventKind, Frame, SampleKind, Seconds, SeriesKey, Severity};
use bandwatch_store::{CompatOptions, SqlOptions, SqlStore, Store, TotalRates, SQL_LATEST_VERSION};
use common::{alert_event, ts};
use sqlcommon::{FreshDb, Server};

use EventKind::{Escalated, Fired, Pending, Resolved};
use Severity::{Critical, High, Low};

fn open(db: &FreshDb, opts: SqlOptions) -> SqlStore {
    SqlStore::connect(&db.url, opts).expect("connect")
}

/// A netdev frame with total rates in Mbit/s at `T0 + secs`.
fn netdev(secs: i64, sent_mbps: f64, recv_mbps: f64) -> Frame {
    let mut f = Frame::new("netdev", ts(secs), Seconds(1.0));
    let total = |m: &str| Arc::new(SeriesKey::with_label(m, "scope", "total"));
    f.push(
        total("net_tx_bits_per_second"),
        sent_mbps * 1e6,
        SampleKind::Rate,
    );
    f.push(
        total("net_rx_bits_per_second"),
        recv_mbps * 1e6,
        SampleKind::Rate,
    );
    f
}

/// Options with the total rates `netdev` frames carry (the binary reads them from the
/// catalogue), `rx_high` as the high-usage rule and `rx_spike` as the spike rule.
fn compat_options() -> SqlOptions {
    SqlOptions {
        compat: CompatOptions {
            usage_rules: BTreeSet::from(["rx_high".to_owned()]),
            spike_rules: BTreeSet::from(["rx_spike".to_owned()]),
            total_rates: Some(TotalRates {
                sent: SeriesKey::with_label("net_tx_bits_per_second", "scope", "total"),
                recv: SeriesKey::with_label("net_rx_bits_per_second", "scope", "total"),
            }),
        },
        ..SqlOptions::default()
    }
}

const USAGE_COLUMNS: [&str; 7] = [
    "id",
    "timestamp",
    "sent_rate",
    "recv_rate",
    "total_rate",
    "is_high_usage",
    "is_spike",
];
const ALERTS_COLUMNS: [&str; 7] = [
    "id",
    "timestamp",
    "alert_type",
    "message",
    "sent_rate",
    "recv_rate",
    "total_rate",
];

/// `network_usage` as text: time, rates, the two flags as yes/no, oldest first.
fn usage(db: &FreshDb) -> Vec<Vec<String>> {
    let t = db.text_type();
    db.text_rows(&format!(
        "SELECT {}, CAST(sent_rate AS {t}), CAST(recv_rate AS {t}), CAST(total_rate AS {t}), \
         CASE WHEN is_high_usage THEN 'yes' ELSE 'no' END, CASE WHEN is_spike THEN 'yes' ELSE 'no' END \
         FROM network_usage ORDER BY timestamp",
        db.datetime_text("timestamp")
    ))
}

/// `alerts` as text, oldest first; missing rates read `-`.
fn alerts(db: &FreshDb) -> Vec<Vec<String>> {
    let t = db.text_type();
    let rate = |c: &str| format!("COALESCE(CAST({c} AS {t}), '-')");
    db.text_rows(&format!(
        "SELECT {}, alert_type, message, {}, {}, {} FROM alerts ORDER BY timestamp, id",
        db.datetime_text("timestamp"),
        rate("sent_rate"),
        rate("recv_rate"),
        rate("total_rate")
    ))
}

/// The `id`s of `table` in time order: each larger than the one before.
fn ids_rise_with_time(db: &FreshDb, table: &str) {
    let t = db.text_type();
    let ids: Vec<i64> = db
        .text_rows(&format!(
            "SELECT CAST(id AS {t}) FROM {table} ORDER BY timestamp, id"
        ))
        .iter()
        .map(|r| r[0].parse().expect("an integer id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{table}: {ids:?}");
}

fn row(secs: i64, cells: &[&str]) -> Vec<String> {
    let mut r = vec![format!("2026-01-01 00:00:0{secs}.000")];
    r.extend(cells.iter().map(|c| (*c).to_owned()));
    r
}

fn event(rule: &str, started: i64, kind: EventKind, at: i64) -> AlertEvent {
    let mut e = alert_event(rule, "eth0", started, kind, High, at);
    e.message = format!("{rule} {kind} at {at}");
    e
}

/// The defect: rates were written in Mbit/s, without the `id` columns, with the rule's name
/// as `alert_type`, and `is_high_usage` compared the total with the thresholds instead of
/// following the alerts. Now: bytes per second, ids in time order, `HIGH_USAGE`/`SPIKE`, and
/// each row flagged while an alert of that kind fires at its tick.
fn tables_have_the_old_shape_units_and_names(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = open(&db, compat_options());
    assert_eq!(db.columns("network_usage"), USAGE_COLUMNS);
    assert_eq!(db.columns("alerts"), ALERTS_COLUMNS);
    // Alerts recorded after their frames (the writer may hold frames back) and before them.
    store
        .write(&[
            netdev(1, 2.0, 4.0),
            netdev(2, 12.0, 4.0),
            netdev(3, 1.0, 80.5),
        ])
        .expect("store call");
    store
        .record_alerts(&[
            event("rx_high", 2, Fired, 2),
            event("rx_spike", 3, Fired, 3),
        ])
        .expect("store call");
    store
        .write(&[netdev(4, 1.5, 60.0), netdev(5, 1.0, 8.0)])
        .expect("store call");
    // Retried, and the same event again: nothing doubles.
    store.write(&[netdev(4, 1.5, 60.0)]).expect("store call");
    store
        .record_alerts(&[event("rx_spike", 3, Fired, 3)])
        .expect("store call");
    let pending = alert_event("rx_high", "eth1", 5, Pending, Low, 5);
    store
        .record_alerts(&[event("rx_high", 2, Escalated, 4), pending])
        .expect("store call");
    // The spike ends at 5 (after its frame), the high usage at 6 (before its frame).
    store
        .record_alerts(&[
            event("rx_spike", 3, Resolved, 5),
            event("rx_high", 2, Resolved, 6),
        ])
        .expect("store call");
    store.write(&[netdev(6, 0.5, 1.0)]).expect("store call");
    store
        .record_alerts(&[alert_event("link", "eth2", 6, Fired, Critical, 6)])
        .expect("store call");

    assert_eq!(
        usage(&db),
        vec![
            row(1, &["250000", "500000", "750000", "no", "no"]),
            row(2, &["1500000", "500000", "2000000", "yes", "no"]),
            row(3, &["125000", "10062500", "10187500", "yes", "yes"]),
            row(4, &["187500", "7500000", "7687500", "yes", "yes"]),
            row(5, &["125000", "1000000", "1125000", "yes", "no"]),
            row(6, &["62500", "125000", "187500", "no", "no"]),
        ]
    );
    let link_msg = format!("fired at {}", ts(6));
    assert_eq!(
        alerts(&db),
        vec![
            row(
                2,
                &[
                    "HIGH_USAGE",
                    "rx_high fired at 2",
                    "125000",
                    "10062500",
                    "10187500"
                ]
            ),
            row(
                3,
                &[
                    "SPIKE",
                    "rx_spike fired at 3",
                    "125000",
                    "10062500",
                    "10187500"
                ]
            ),
            row(
                4,
                &[
                    "HIGH_USAGE",
                    "rx_high escalated at 4",
                    "125000",
                    "1000000",
                    "1125000"
                ]
            ),
            row(6, &["link", &link_msg, "62500", "125000", "187500"]),
        ]
    );
    ids_rise_with_time(&db, "network_usage");
    ids_rise_with_time(&db, "alerts");

    // After a restart the latest rates come from the table.
    drop(store);
    let mut store = open(&db, compat_options());
    store
        .record_alerts(&[event("rx_high", 7, Fired, 7)])
        .expect("store call");
    let t = db.text_type();
    let last = db.text_rows(&format!(
        "SELECT alert_type, CAST(total_rate AS {t}) FROM alerts ORDER BY timestamp DESC, id DESC"
    ));
    assert_eq!(last[0], ["HIGH_USAGE", "187500"]);
}

#[test]
fn mysql_tables_have_the_old_shape_units_and_names() {
    tables_have_the_old_shape_units_and_names(Server::MySql);
}

#[test]
fn postgres_tables_have_the_old_shape_units_and_names() {
    tables_have_the_old_shape_units_and_names(Server::Postgres);
}

/// The first alert of a fresh database is recorded before any usage row exists (alerts are
/// written at once, frames in batches): it gets its own tick's rates when that row arrives.
fn first_alert_gets_its_ticks_rates(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut store = open(&db, compat_options());
    store
        .record_alerts(&[event("download-threshold", 1, Fired, 1)])
        .expect("store call");
    store
        .write(&[netdev(1, 3.0, 70.0), netdev(2, 1.0, 20.0)])
        .expect("store call");
    let t = db.text_type();
    let rates = db.text_rows(&format!(
        "SELECT alert_type, CAST(sent_rate AS {t}), CAST(recv_rate AS {t}), CAST(total_rate AS {t}) FROM alerts"
    ));
    assert_eq!(
        rates,
        [["download-threshold", "375000", "8750000", "9125000"]]
    );
}

#[test]
fn mysql_first_alert_gets_its_ticks_rates() {
    first_alert_gets_its_ticks_rates(Server::MySql);
}

#[test]
fn postgres_first_alert_gets_its_ticks_rates() {
    first_alert_gets_its_ticks_rates(Server::Postgres);
}

/// Version 1 as bandwatch created it, kept verbatim so the upgrade is tested from what is
/// really on users' servers.
fn v1_schema(server: Server) -> Vec<String> {
    let (real, serial, key, short_key, datetime, table) = match server {
        Server::MySql => (
            "DOUBLE",
            "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
            "VARCHAR(768)",
            "VARCHAR(255)",
            "DATETIME(3)",
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        ),
        Server::Postgres => (
            "DOUBLE PRECISION",
            "BIGSERIAL PRIMARY KEY",
            "TEXT",
            "TEXT",
            "TIMESTAMP(3)",
            "",
        ),
    };
    vec![
        format!("CREATE TABLE IF NOT EXISTS bw_schema_version (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL){table}"),
        format!("CREATE TABLE IF NOT EXISTS bw_meta (name VARCHAR(64) NOT NULL PRIMARY KEY, value BIGINT NOT NULL){table}"),
        format!(
            "CREATE TABLE IF NOT EXISTS bw_series (id {serial}, metric TEXT NOT NULL, labels TEXT NOT NULL, \
             series_key {key} NOT NULL, UNIQUE (series_key)){table}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS bw_samples (series_id BIGINT NOT NULL, ts BIGINT NOT NULL, value {real} NULL, \
             derived SMALLINT NOT NULL DEFAULT 0, PRIMARY KEY (series_id, ts)){table}"
        ),
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
        "INSERT INTO bw_schema_version (version, applied_at) VALUES (1, 0)".to_owned(),
    ]
}

/// What a version 1 bandwatch left: Mbit/s rates, rule names as alert types, one series.
const V1_ROWS: &str = "\
INSERT INTO network_usage (timestamp, sent_rate, recv_rate, total_rate, is_high_usage, is_spike) VALUES \
 ('2026-01-01 00:00:03.000', 1, 80.5, 81.5, TRUE, TRUE), \
 ('2026-01-01 00:00:01.000', 2, 4, 6, FALSE, FALSE), \
 ('2026-01-01 00:00:02.000', 12, 4, 16, TRUE, FALSE); \
INSERT INTO alerts (timestamp, alert_type, message, sent_rate, recv_rate, total_rate) VALUES \
 ('2026-01-01 00:00:03.000', 'wan-spike', 'spike', 1, 80.5, 81.5), \
 ('2026-01-01 00:00:02.000', 'upload-threshold', 'over 10 Mbps', 12, 4, 16), \
 ('2026-01-01 00:00:03.000', 'cpu-threshold', 'cpu at 93 %', 1, 80.5, 81.5), \
 ('2026-01-01 00:00:00.500', 'upload-threshold', 'before any rates', NULL, NULL, NULL); \
INSERT INTO bw_series (metric, labels, series_key) VALUES ('net_rx_bytes', '{\"iface\":\"eth0\"}', 'net_rx_bytes{iface=\"eth0\"}'); \
INSERT INTO bw_samples (series_id, ts, value, derived) VALUES (1, 1767225601000, 1234, 0);";

fn upgrade_options() -> SqlOptions {
    let mut opts = compat_options();
    opts.compat.usage_rules = BTreeSet::from(["upload-threshold".to_owned()]);
    opts.compat.spike_rules = BTreeSet::from(["wan-spike".to_owned()]);
    opts
}

/// Every row of a version 1 database after the upgrade, in the old tool's units and names.
fn assert_upgraded(db: &FreshDb) {
    assert_eq!(db.columns("network_usage"), USAGE_COLUMNS);
    assert_eq!(db.columns("alerts"), ALERTS_COLUMNS);
    assert_eq!(
        usage(db),
        vec![
            row(1, &["250000", "500000", "750000", "no", "no"]),
            row(2, &["1500000", "500000", "2000000", "yes", "no"]),
            row(3, &["125000", "10062500", "10187500", "yes", "yes"]),
        ]
    );
    let mut rows = alerts(db);
    // Two alerts at 3 s: their order among themselves is not part of the contract.
    rows[2..].sort();
    assert_eq!(
        rows,
        vec![
            vec![
                "2026-01-01 00:00:00.500".to_owned(),
                "HIGH_USAGE".into(),
                "before any rates".into(),
                "-".into(),
                "-".into(),
                "-".into()
            ],
            row(
                2,
                &["HIGH_USAGE", "over 10 Mbps", "1500000", "500000", "2000000"]
            ),
            row(3, &["SPIKE", "spike", "125000", "10062500", "10187500"]),
            row(
                3,
                &[
                    "cpu-threshold",
                    "cpu at 93 %",
                    "125000",
                    "10062500",
                    "10187500"
                ]
            ),
        ]
    );
    ids_rise_with_time(db, "network_usage");
    ids_rise_with_time(db, "alerts");
    assert_eq!(
        db.int("SELECT COUNT(*) FROM bw_schema_version"),
        SQL_LATEST_VERSION
    );
}

/// The defect's other half: databases that an earlier bandwatch wrote keep every row, now in
/// the old tool's shape, units and alert types; the store goes on writing after them; and an
/// upgrade that was cut (MySQL commits each DDL statement) is finished, not applied twice.
fn upgrades_version_1_without_losing_rows(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    for sql in v1_schema(server) {
        db.exec(&sql);
    }
    db.exec(V1_ROWS);
    let mut store = open(&db, upgrade_options());
    assert_eq!(store.schema_version().expect("store call"), 2);
    assert_upgraded(&db);
    let key = SeriesKey::with_label("net_rx_bytes", "iface", "eth0");
    let raw = store.query_raw(&key, ts(0), ts(10)).expect("store call");
    assert_eq!(raw, vec![(ts(1), 1234.0)]);
    store.write(&[netdev(4, 8.0, 16.0)]).expect("store call");
    drop(store);
    let last = usage(&db).pop().expect("a row");
    assert_eq!(last, row(4, &["1000000", "2000000", "3000000", "no", "no"]));
    ids_rise_with_time(&db, "network_usage");

    // Cut after the swap, before the version was recorded (the old copy still there on
    // MySQL): opening again finishes the job without converting anything twice.
    db.exec("DELETE FROM bw_schema_version WHERE version = 2");
    if server == Server::MySql {
        db.exec("CREATE TABLE bw_v1_network_usage (x INT)");
    }
    let store = open(&db, upgrade_options());
    assert_eq!(store.schema_version().expect("store call"), 2);
    drop(store);
    let rows = usage(&db);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], row(1, &["250000", "500000", "750000", "no", "no"]));
    let (t, schema) = match server {
        Server::MySql => ("CHAR", "DATABASE()"),
        Server::Postgres => ("TEXT", "current_schema()"),
    };
    let leftovers = db.text_rows(&format!(
        "SELECT CAST(table_name AS {t}) FROM information_schema.tables \
         WHERE table_schema = {schema} AND table_name LIKE 'bw_v%'"
    ));
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn mysql_upgrades_version_1_without_losing_rows() {
    upgrades_version_1_without_losing_rows(Server::MySql);
}

#[test]
fn postgres_upgrades_version_1_without_losing_rows() {
    upgrades_version_1_without_losing_rows(Server::Postgres);
}
