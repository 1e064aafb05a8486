//! Crash safety, restarts mid-minute, failed writes retried, and schema migrations.

// Exact equality of sums is what these tests are about.
#![allow(clippy::float_cmp)]

mod common;

use std::path::Path;

use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{
    Problem, SqliteOptions, SqliteStore, Store, StoreError, Tier, LATEST_VERSION, MINUTE_MS,
};
use common::{delta_key, downgrade, frame, open, oracles, rate_key, user_version, T0};

fn write_ticks(store: &mut SqliteStore, ticks: std::ops::Range<i64>) {
    for i in ticks {
        store.write(&[frame(i, 1000)]).expect("write");
    }
}

/// Checks every minute bucket of the delta and rate series against ticks `0..n`.
fn check_minutes(store: &SqliteStore, n: i64) {
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let expected = oracles(n, 1000, MINUTE_MS);
    for (key, oracle) in [delta_key(), rate_key()].iter().zip(&expected) {
        let got = store
            .query_rollup(Tier::Minute, key, all.0, all.1)
            .expect("query");
        oracle.check(&format!("minute {key}"), &got, 0, i64::MAX);
    }
}

fn raw_count(store: &SqliteStore) -> usize {
    store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .expect("query")
        .len()
}

#[test]
fn committed_writes_survive_a_crash_and_minutes_continue_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    // 25 minutes, sealed at 20: some points in chunks, the rest in the head. A probe that
    // reported once in minute 19 and then stopped has its minute still open at the seal.
    write_ticks(&mut store, 0..1190);
    store.write(&[probe_frame(T0 + 1_150_000, 0.25)]).unwrap();
    write_ticks(&mut store, 1190..1500);
    store.maintain(Timestamp(T0 + 1500 * 1000)).unwrap();
    write_ticks(&mut store, 1500..1530);
    drop(store); // no flush: as after kill -9

    let mut store = open(&path);
    assert_eq!(raw_count(&store), 1530);
    check_minutes(&store, 1530);
    let probe = store
        .query_rollup(
            Tier::Minute,
            &probe_key(),
            Timestamp(0),
            Timestamp(i64::MAX),
        )
        .unwrap();
    assert_eq!(probe.len(), 1);
    assert_eq!(
        (probe[0].bucket.0, probe[0].count, probe[0].sum),
        (T0 + 1_140_000, 1, 0.25)
    );
    // Keep going through the end of the replayed minute: no sample lost or counted twice.
    write_ticks(&mut store, 1530..1700);
    store.maintain(Timestamp(T0 + 1700 * 1000)).unwrap();
    check_minutes(&store, 1700);
    assert_eq!(raw_count(&store), 1700);
}

fn probe_key() -> Arc<SeriesKey> {
    Arc::new(SeriesKey::with_label(
        "probe_rtt_seconds",
        "target",
        "router",
    ))
}

fn probe_frame(ts: i64, rtt: f64) -> Frame {
    let mut f = Frame::new("probe", Timestamp(ts), Seconds(60.0));
    f.push(probe_key(), rtt, SampleKind::Gauge);
    f
}

#[test]
fn late_samples_reach_closed_minutes_and_built_hours_exactly_once() {
    let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).unwrap();
    write_ticks(&mut store, 0..7300);
    store.maintain(Timestamp(T0 + 7300 * 1000)).unwrap();
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let hour = |s: &SqliteStore| {
        s.query_rollup(Tier::Hour, &probe_key(), all.0, all.1)
            .unwrap()
    };
    // The probe's first samples arrive after hours 0 and 1 were built (a slow source).
    store.write(&[probe_frame(T0 + 7_290_000, 2.0)]).unwrap();
    store.write(&[probe_frame(T0 + 30_000, 4.0)]).unwrap(); // into built hour 0
                                                            // Same late minute: a sample arriving after its minute closed is taken as older than
                                                            // what the row holds, so `last` stays (exact for in-order data; see Age).
    store.write(&[probe_frame(T0 + 40_000, 1.0)]).unwrap();
    store.write(&[probe_frame(T0 + 3_700_000, 8.0)]).unwrap(); // into built hour 1
    store.flush().unwrap();
    let minutes = store
        .query_rollup(Tier::Minute, &probe_key(), all.0, all.1)
        .unwrap();
    let got: Vec<_> = minutes
        .iter()
        .map(|p| (p.bucket.0 - T0, p.count, p.sum, p.min, p.max, p.last))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, 2, 5.0, 1.0, 4.0, 4.0),
            (3_660_000, 1, 8.0, 8.0, 8.0, 8.0),
            (7_260_000, 1, 2.0, 2.0, 2.0, 2.0)
        ]
    );
    let hours: Vec<_> = hour(&store)
        .iter()
        .map(|p| (p.bucket.0 - T0, p.count, p.sum))
        .collect();
    assert_eq!(hours, vec![(0, 2, 5.0), (3_600_000, 1, 8.0)]);
    // Hour 2 is built once it closes, from its minute rows only.
    store.maintain(Timestamp(T0 + 4 * 3_600_000)).unwrap();
    assert_eq!(hour(&store).len(), 3);
    assert_eq!(hour(&store)[2].sum, 2.0);
}

#[test]
fn hours_merged_late_are_not_rebuilt_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    write_ticks(&mut store, 0..30);
    store.maintain(Timestamp(T0 + 30_000)).unwrap(); // nothing to build yet: hours start at T0
    store.write(&[probe_frame(T0 - 600_000, 3.0)]).unwrap(); // a clock step back
    store.flush().unwrap();
    drop(store);

    let mut store = open(&path);
    write_ticks(&mut store, 30..4000);
    store.maintain(Timestamp(T0 + 4_000_000)).unwrap();
    let hours = store
        .query_rollup(Tier::Hour, &probe_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap();
    let got: Vec<_> = hours
        .iter()
        .map(|p| (p.bucket.0 - T0, p.count, p.sum))
        .collect();
    assert_eq!(got, vec![(-3_600_000, 1, 3.0)]);
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
    let mut store = open(&path);
    write_ticks(&mut store, 0..10);
    drop(store);
    assert_eq!(user_version(&path), LATEST_VERSION);
    let store = open(&path);
    assert_eq!(raw_count(&store), 10);
    drop(store);
    assert_eq!(user_version(&path), LATEST_VERSION);
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
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_version_1_database_upgrades_and_seals_its_old_minute_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    write_ticks(&mut store, 0..7300);
    store.maintain(Timestamp(T0 + 7_300_000)).unwrap(); // hours built, nothing sealed yet
                                                        // Version 1 kept open minutes in head rows only; since version 5 upkeep may keep one in a
                                                        // seal mark instead, so flush first to leave no mark for the downgrade below to drop.
    store.flush().unwrap();
    drop(store);
    // What version 1 left on disk: the same tables without the sealed minute blocks (and
    // without the alert tables of version 3, the outbox of version 4 and the head seal marks
    // of version 5).
    downgrade(
        &path,
        "DROP TABLE rollup_1m_blocks; DROP TABLE alert; DROP TABLE alert_event;
         DROP TABLE silence; DROP TABLE outbox; DROP TABLE head_sealed; PRAGMA user_version = 1",
    );

    let mut store = open(&path);
    assert_eq!(user_version(&path), LATEST_VERSION);
    check_minutes(&store, 7300);
    // Past the live window, upkeep seals the minute rows version 1 wrote.
    write_ticks(&mut store, 7300..7400);
    let report = store
        .maintain(Timestamp(T0 + 6 * 3_600_000 + 3 * 3_600_000))
        .unwrap();
    // Minutes 0..=123 (samples at 1 s ..= 7400 s) of 4 series, all in the first 6-hour block.
    assert_eq!(
        (report.minute_rows_sealed, report.minute_blocks_sealed),
        (4 * 124, 4),
        "{report:?}"
    );
    check_minutes(&store, 7400);
    drop(store);
    let store = open(&path);
    check_minutes(&store, 7400);
}
