//! A history opened read-only (`bandwatch serve`): beside a writer it sees each commit, with
//! the raw points the head holds and the ones already sealed, never twice; it refuses every
//! change; it creates nothing and leaves the file as it was; and a file that is missing,
//! empty or of another schema version is a clear error.

mod common;

use std::path::Path;

use bandwatch_core::Timestamp;
use bandwatch_store::{SqliteOptions, SqliteStore, Store, StoreError};
use common::{delta_key, frame, open, ts, T0};

fn read_only(path: &Path) -> Result<SqliteStore, StoreError> {
    SqliteStore::open_read_only(path, SqliteOptions::default())
}

/// Raw points of the delta series from `T0` on, as the reader sees them in one read.
fn raw_points(store: &mut SqliteStore) -> Vec<(Timestamp, f64)> {
    store.begin_read().expect("begin_read");
    let points = store
        .query_raw(&delta_key(), Timestamp(T0), ts(1_000_000))
        .expect("query");
    store.end_read();
    points
}

#[test]
fn a_reader_beside_the_writer_sees_each_commit_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut writer = open(&path);
    writer.write(&[frame(0, 1000), frame(1, 1000)]).unwrap();
    let mut reader = read_only(&path).expect("opens beside the writer");
    assert!(reader.is_read_only());
    assert_eq!(raw_points(&mut reader).len(), 2);
    // Ten more minutes: the writer seals its head into chunks as it goes (upkeep at the
    // chunk boundary); the reader must see every point exactly once.
    for i in 2..700 {
        writer.write(&[frame(i, 1000)]).unwrap();
        if i % 300 == 0 {
            writer.maintain(ts(i)).unwrap();
        }
    }
    let points = raw_points(&mut reader);
    assert_eq!(points.len(), 700, "every sample once");
    assert!(
        points.windows(2).all(|w| w[0].0 < w[1].0),
        "in order, no repeats"
    );
    // A series the writer added after the reader opened appears too.
    assert_eq!(
        reader.series().unwrap().len(),
        writer.series().unwrap().len()
    );
}

#[test]
fn a_reader_opened_before_the_writer_starts_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut writer = open(&path);
    writer.write(&[frame(0, 1000)]).unwrap();
    drop(writer);
    let mut reader = read_only(&path).unwrap();
    assert_eq!(raw_points(&mut reader).len(), 1);
    // An agent starts on the file the reader holds.
    let mut writer = open(&path);
    writer.write(&[frame(1, 1000), frame(2, 1000)]).unwrap();
    assert_eq!(raw_points(&mut reader).len(), 3);
    writer.write(&[frame(3, 1000)]).unwrap();
    assert_eq!(raw_points(&mut reader).len(), 4);
}

#[test]
fn a_reader_refuses_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut writer = open(&path);
    writer.write(&[frame(0, 1000), frame(1, 1000)]).unwrap();
    writer.record_alerts(&common::alert_history()).unwrap();
    drop(writer);
    let mut reader = read_only(&path).unwrap();
    let refused = |r: Result<(), StoreError>| match r {
        Err(e @ StoreError::ReadOnly { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("read-only") && msg.contains("bandwatch run"),
                "{msg}"
            );
        }
        other => panic!("expected a read-only refusal, got {other:?}"),
    };
    refused(reader.write(&[frame(2, 1000)]));
    refused(reader.flush());
    refused(reader.maintain(ts(10)).map(|_| ()));
    refused(reader.record_alerts(&common::alert_history()));
    let id = reader.open_alerts().unwrap()[0].id.clone();
    refused(reader.acknowledge(&id, ts(5), None).map(|_| ()));
    refused(
        reader
            .add_silence("rule=x", ts(5), ts(50), None)
            .map(|_| ()),
    );
    // Reads work.
    assert!(!reader
        .alerts(&bandwatch_store::AlertQuery::default())
        .unwrap()
        .is_empty());
}

#[test]
fn a_reader_creates_nothing_and_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut writer = open(&path);
    writer.write(&[frame(0, 1000), frame(1, 1000)]).unwrap();
    drop(writer);
    let before = std::fs::read(&path).unwrap();
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let files = listing();
    let mut reader = read_only(&path).unwrap();
    assert_eq!(raw_points(&mut reader).len(), 2);
    assert_eq!(
        listing(),
        files,
        "no -wal or -shm made beside a file nobody writes"
    );
    drop(reader);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file is unchanged"
    );
    assert_eq!(listing(), files);

    let missing = dir.path().join("none/h.db");
    let err = read_only(&missing).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("no history database at") && msg.contains("--db"),
        "{msg}"
    );
    assert!(!missing.exists() && !dir.path().join("none").exists());
}

#[test]
fn files_that_are_not_this_history_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.db");
    rusqlite_touch(&empty);
    let err = read_only(&empty).unwrap_err();
    assert!(matches!(err, StoreError::NotAHistory { .. }), "{err:?}");

    let old = dir.path().join("old.db");
    drop(open(&old));
    common::downgrade(&old, "DROP TABLE head_sealed; PRAGMA user_version = 4;");
    let err = read_only(&old).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, StoreError::SchemaTooOld { found: 4, .. }),
        "{err:?}"
    );
    assert!(msg.contains("run `bandwatch run` on it once"), "{msg}");
    assert_eq!(common::user_version(&old), 4, "not migrated");

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "not a database at all, but long enough to look like a header",
    )
    .unwrap();
    let err = read_only(&text).unwrap_err();
    assert!(err.to_string().contains("notes.txt"), "{err}");
}

/// An empty SQLite database (no tables, version 0).
fn rusqlite_touch(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.execute_batch("CREATE TABLE t (x); DROP TABLE t;")
        .expect("an empty schema");
}
