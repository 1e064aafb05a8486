//! The SQL store opened read-only (`bandwatch serve --store URL`) against real MySQL/MariaDB
//! and PostgreSQL servers: it reads what a writer records (series added after it connected
//! too), every change is refused before it reaches the server, and a database without
//! bandwatch's tables is a clear error that creates nothing. (That the server's own sessions
//! are read-only is a unit test of `sql/conn.rs`.)

mod common;
mod sqlcommon;

use bandwatch_core::Timestamp;
use bandwatch_store::{AlertQuery, SqlOptions, SqlStore, Store, StoreError, Tier};
use common::{alert_history, frame, rate_key, ts, T0};
use sqlcommon::{FreshDb, Server};

fn reads_what_the_writer_records(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let mut writer = SqlStore::connect(&db.url, SqlOptions::default()).expect("writer");
    writer
        .write(&[frame(0, 1000), frame(1, 1000)])
        .expect("store call");
    writer.record_alerts(&alert_history()).expect("store call");
    let mut reader =
        SqlStore::connect_read_only(&db.url, SqlOptions::default()).expect("read-only connect");
    let minutes = |r: &mut SqlStore| {
        r.begin_read().expect("store call");
        let points = r
            .query_rollup(Tier::Minute, &rate_key(), Timestamp(T0), ts(3600))
            .expect("store call");
        r.end_read();
        points.iter().map(|p| p.count).sum::<u64>()
    };
    assert_eq!(minutes(&mut reader), 2);
    assert!(!reader
        .alerts(&AlertQuery::default())
        .expect("store call")
        .is_empty());
    writer.write(&[frame(2, 1000)]).expect("store call");
    assert_eq!(minutes(&mut reader), 3, "a later commit is seen");

    let refused = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::ReadOnly { .. })), "{r:?}");
    };
    refused(reader.write(&[frame(3, 1000)]));
    refused(reader.maintain(ts(3600)).map(|_| ()));
    refused(reader.record_alerts(&alert_history()));
    refused(reader.acknowledge("x", ts(1), None).map(|_| ()));
    refused(reader.add_silence("rule=x", ts(1), ts(2), None).map(|_| ()));
    let samples = "SELECT COUNT(*) FROM bw_samples";
    let before = db.int(samples);
    drop(reader);
    assert_eq!(db.int(samples), before);
}

fn an_empty_database_is_named_and_left_empty(server: Server) {
    let Some(db) = FreshDb::create(server) else {
        return;
    };
    let err = SqlStore::connect_read_only(&db.url, SqlOptions::default()).expect_err("refused");
    assert!(matches!(err, StoreError::SqlNotAHistory { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("no bandwatch history") && msg.contains("--store"),
        "{msg}"
    );
    let tables = match server {
        Server::MySql => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
        Server::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    assert_eq!(db.int(tables), 0, "nothing was created");
}

#[test]
fn mysql_reads_what_the_writer_records() {
    reads_what_the_writer_records(Server::MySql);
}

#[test]
fn postgres_reads_what_the_writer_records() {
    reads_what_the_writer_records(Server::Postgres);
}

#[test]
fn mysql_empty_database_is_named() {
    an_empty_database_is_named_and_left_empty(Server::MySql);
}

#[test]
fn postgres_empty_database_is_named() {
    an_empty_database_is_named_and_left_empty(Server::Postgres);
}
