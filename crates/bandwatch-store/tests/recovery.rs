//! Crash safety, restarts mid-minute, failed writes retried, and schema migrations.

mod common;

use std::path::Path;

use bandwatch_core::Timestamp;
use bandwatch_store::{
    Problem, SqliteOptions, SqliteStore, Store, StoreError, Tier, LATEST_VERSION, MINUTE_MS,
};
use common::{delta_key, frame, oracles, rate_key, T0};

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).unwrap()
}

fn write_ticks(store: &mut SqliteStore, ticks: std::ops::Range<i64>) {
    for i in ticks {
        store.write(&[frame(i, 1000)]).unwrap();
    }
}

/// Checks every minute bucket of the delta and rate series against ticks `0..n`.
fn check_minutes(store: &SqliteStore, n: i64) {
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let expected = oracles(n, 1000, MINUTE_MS);
    for (key, oracle) in [delta_key(), rate_key()].iter().zip(&expected) {
        let got = store.query_rollup(Tier::Minute, key, all.0, all.1).unwrap();
        oracle.check(&format!("minute {key}"), &got, 0, i64::MAX);
    }
}

fn raw_count(store: &SqliteStore) -> usize {
    store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap()
        .len()
}

#[test]
fn committed_writes_survive_a_crash_and_minutes_continue_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    // 25 minutes, sealed at 20: some points in chunks, the rest in the head.
    write_ticks(&mut store, 0..1500);
    store.maintain(Timestamp(T0 + 1500 * 1000)).unwrap();
    write_ticks(&mut store, 1500..1530);
    drop(store); // no flush: as after kill -9

    let mut store = open(&path);
    assert_eq!(raw_count(&store), 1530);
    check_minutes(&store, 1530);
    // Keep going through the end of the replayed minute: no sample lost or counted twice.
    write_ticks(&mut store, 1530..1700);
    store.maintain(Timestamp(T0 + 1700 * 1000)).unwrap();
    check_minutes(&store, 1700);
    assert_eq!(raw_count(&store), 1700);
}

#[test]
fn flush_and_reopen_mid_minute_continues_the_same_minute() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    write_ticks(&mut store, 0..90);
    store.flush().unwrap();
    store.flush().unwrap(); // a second flush has nothing left to add
    drop(store);

    let mut store = open(&path);
    check_minutes(&store, 90);
    write_ticks(&mut store, 90..200);
    store.flush().unwrap();
    drop(store);

    let store = open(&path);
    check_minutes(&store, 200);
    assert_eq!(raw_count(&store), 200);
    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap();
    assert!(
        raw.windows(2).all(|w| w[0].0 < w[1].0),
        "each point exactly once, in order"
    );
}

#[test]
fn a_failed_write_changes_nothing_and_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    write_ticks(&mut store, 0..59);
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    // Tick 59 closes minute 0 and opens minute 1: staged, then thrown away.
    let batch = [frame(59, 1000), frame(60, 1000)];
    let err = store.write(&batch).unwrap_err();
    assert_eq!(err.problem(), Some(&Problem::Locked), "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
    lock.execute_batch("ROLLBACK").unwrap();
    store.write(&batch).unwrap();
    write_ticks(&mut store, 61..130);
    check_minutes(&store, 130);
    assert_eq!(raw_count(&store), 130);
}

#[test]
fn fresh_database_gets_the_latest_schema_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/h.db");
    let version = |p: &Path| {
        let c = rusqlite::Connection::open(p).unwrap();
        c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let mut store = open(&path);
    write_ticks(&mut store, 0..10);
    drop(store);
    assert_eq!(version(&path), LATEST_VERSION);
    let store = open(&path);
    assert_eq!(raw_count(&store), 10);
    drop(store);
    assert_eq!(version(&path), LATEST_VERSION);
    let c = rusqlite::Connection::open(&path).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_database_from_a_newer_bandwatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    drop(open(&path));
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA user_version = 99").unwrap();
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade bandwatch"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_reported_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    assert_eq!(err.problem(), Some(&Problem::NotADatabase), "{err}");
    assert!(err.to_string().contains("move the file aside"), "{err}");
}

#[test]
fn unwritable_paths_fail_early_naming_the_path_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let path = file.join("h.db");
    let err = SqliteStore::open(&path, SqliteOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "cannot open the history database at {}:",
            path.display()
        )),
        "{msg}"
    );
    assert!(
        msg.contains("choose a writable path with --db or [store] path"),
        "{msg}"
    );

    // Permission bits stop everyone but root; root is checked on /sys, read-only for it too.
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    set_mode(&ro, 0o500);
    let candidates = [
        ro.join("sub/h.db"),
        Path::new("/sys/bandwatch-test/h.db").to_path_buf(),
    ];
    let denied = candidates
        .iter()
        .find_map(|p| bandwatch_store::check_writable(p).err().map(|e| (p, e)));
    set_mode(&ro, 0o700);
    match denied {
        Some((p, e)) => {
            assert_eq!(e.problem(), Some(&Problem::PermissionDenied), "{e}");
            assert_eq!(
                e.to_string(),
                format!(
                    "cannot open the history database at {}: permission denied ({}); choose a writable path with --db or [store] path, or fix the directory's permissions",
                    p.display(),
                    p.parent().and_then(Path::parent).map_or(String::new(), |d| d.display().to_string()),
                )
            );
            assert!(!ro.join("sub").exists());
        }
        None => eprintln!("skipped: no unwritable directory available to this user"),
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}
