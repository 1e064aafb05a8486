//! The head seals series by series as they outgrow their share of memory: sealing that way
//! loses and repeats nothing across a crash, keeps open minutes bit for bit (float sums
//! included), leaves nothing behind when the write fails, and reads heads older versions left.

// Exact equality of sums is what these tests are about.
#![allow(clippy::float_cmp)]

mod common;

use std::path::Path;

use bandwatch_core::{SeriesKey, Timestamp};
use bandwatch_store::{SqliteStore, Store, Tier, MINUTE_MS};
use common::{delta_key, downgrade, elapsed_key, frame, gauge_key, open, oracles, rate_key, T0};

/// The sampling interval that makes heads fill in a minute or two.
const STEP_MS: i64 = 100;

fn write_ticks(store: &mut SqliteStore, ticks: std::ops::Range<i64>) {
    // Ten frames per write, as the writer batches them at its default one-second flush.
    let ticks: Vec<i64> = ticks.collect();
    for batch in ticks.chunks(10) {
        let frames: Vec<_> = batch.iter().map(|&i| frame(i, STEP_MS)).collect();
        store.write(&frames).expect("write");
    }
}

/// Every minute of the delta, rate (fractional values) and gauge series against ticks `0..n`.
fn check_minutes(store: &SqliteStore, n: i64) {
    let all = (Timestamp(0), Timestamp(i64::MAX));
    let keys = [delta_key(), rate_key(), gauge_key()];
    for (key, oracle) in keys.iter().zip(&oracles(n, STEP_MS, MINUTE_MS)) {
        let got = store
            .query_rollup(Tier::Minute, key, all.0, all.1)
            .expect("query");
        oracle.check(&format!("minute {key}"), &got, 0, i64::MAX);
    }
}

/// Checks that the raw series hold ticks `0..n` exactly once, in order.
fn check_raw(store: &SqliteStore, n: i64) {
    for key in [
        (*delta_key()).clone(),
        (*gauge_key()).clone(),
        elapsed_key(),
    ] {
        let raw = store
            .query_raw(&key, Timestamp(0), Timestamp(i64::MAX))
            .expect("query");
        let want: Vec<i64> = (0..n).map(|i| T0 + (i + 1) * STEP_MS).collect();
        let got: Vec<i64> = raw.iter().map(|(t, _)| t.0).collect();
        assert_eq!(got, want, "{key}");
    }
}

fn marks(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM head_sealed", [], |r| r.get(0))
        .expect("count marks")
}

fn max_through(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("SELECT MAX(through) FROM head_sealed", [], |r| r.get(0))
        .expect("max through")
}

fn chunks_of(path: &Path, key: &SeriesKey) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row(
            "SELECT COUNT(*) FROM chunks JOIN series ON series.id = chunks.series_id WHERE metric = ?1",
            [&key.metric],
            |r| r.get(0),
        )
        .expect("count chunks")
}

#[test]
fn series_seal_on_their_own_and_a_crash_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    // Five minutes at 0.1 s and no upkeep: every raw series outgrows its head and seals alone.
    write_ticks(&mut store, 0..3000);
    assert!(marks(&path) >= 3, "{} seal marks", marks(&path));
    assert!(chunks_of(&path, &delta_key()) >= 1);
    assert!(chunks_of(&path, &elapsed_key()) >= 2);
    check_raw(&store, 3000);
    check_minutes(&store, 3000);
    drop(store); // no flush: as after kill -9

    let mut store = open(&path);
    check_raw(&store, 3000);
    check_minutes(&store, 3000);
    // Upkeep past the 10-minute boundary in the middle of a minute (the rates' open minutes
    // go into marks, the rest of the heads into new rows), more sealing alone, another crash.
    write_ticks(&mut store, 3000..7050);
    store.maintain(Timestamp(T0 + 7050 * STEP_MS)).unwrap();
    // The head was rewritten: marks left only carry open minutes (the rates' at least).
    assert!(marks(&path) >= 1);
    assert_eq!(max_through(&path), 0);
    write_ticks(&mut store, 7050..9030);
    drop(store);

    let mut store = open(&path);
    check_raw(&store, 9030);
    check_minutes(&store, 9030);
    write_ticks(&mut store, 9030..9100);
    store.flush().unwrap();
    assert_eq!(marks(&path), 0, "a flush leaves no marks");
    drop(store);
    let store = open(&path);
    check_raw(&store, 9100);
    check_minutes(&store, 9100);
}

fn head_rows(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM head", [], |r| r.get(0))
        .expect("count head rows")
}

#[test]
fn the_head_table_keeps_about_fifteen_minutes_however_series_seal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    // An hour at 0.1 s with upkeep every five minutes, as the writer runs it: every raw series
    // seals alone many times, and the head rows (one per write) must still be cleared at the
    // chunk boundaries rather than pile up behind the marks.
    for five in 0..12 {
        write_ticks(&mut store, five * 3000..(five + 1) * 3000);
        store
            .maintain(Timestamp(T0 + (five + 1) * 3000 * STEP_MS))
            .unwrap();
        // One row per one-second write for at most 15 minutes, plus the rewritten rest.
        assert!(head_rows(&path) <= 15 * 60 + 10, "{}", head_rows(&path));
    }
    check_raw(&store, 36_000);
    check_minutes(&store, 36_000);
}

#[test]
fn a_write_that_fails_while_sealing_changes_nothing_and_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    write_ticks(&mut store, 0..3000);
    // A hundred seconds outgrow any head (elapsed floats take 10 bytes each): this write
    // seals series, and then fails.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch(
            "CREATE TRIGGER full BEFORE INSERT ON chunks BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        )
        .unwrap();
    let batch: Vec<_> = (3000..4000).map(|i| frame(i, STEP_MS)).collect();
    let err = store.write(&batch).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    check_raw(&store, 3000);
    check_minutes(&store, 3000);
    other.execute_batch("DROP TRIGGER full").unwrap();
    store.write(&batch).unwrap();
    check_raw(&store, 4000);
    check_minutes(&store, 4000);
    drop(store);
    let store = open(&path);
    check_raw(&store, 4000);
    check_minutes(&store, 4000);
}

#[test]
fn a_version_4_head_replays_exactly_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = open(&path);
    // Short enough that nothing seals: the head rows are what version 4 wrote too.
    write_ticks(&mut store, 0..300);
    drop(store);
    assert_eq!(marks(&path), 0);
    downgrade(&path, "DROP TABLE head_sealed; PRAGMA user_version = 4");

    let mut store = open(&path);
    check_raw(&store, 300);
    check_minutes(&store, 300);
    write_ticks(&mut store, 300..3000);
    drop(store);
    let store = open(&path);
    check_raw(&store, 3000);
    check_minutes(&store, 3000);
}
