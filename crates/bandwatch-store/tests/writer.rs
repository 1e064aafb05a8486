//! The background writer: never blocks the sender, survives a locked database, bounds its memory.
//! Events are sequenced by channels from a wrapping store, never by sleeping.

mod common;

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bandwatch_core::{AlertEvent, EventKind, Frame, SeriesKey, Severity, Timestamp};
use bandwatch_store::{
    AlertQuery, AlertRecord, HeldMemory, MaintenanceReport, Op, Result, RollupPoint, Silence,
    SqliteOptions, SqliteStore, Store, StoreError, StoreStats, StoreWriter, Tier, WriterConfig,
    MINUTE_MS,
};
use common::{alert_event, delta_key, frame, oracles};

const PATIENCE: Duration = Duration::from_secs(20);

/// Forwards to a store and reports each write's outcome; optionally waits for permission first.
struct Observed<S> {
    inner: S,
    outcomes: Sender<bool>,
    gate: Option<Receiver<()>>,
    maintained: Arc<Mutex<Vec<Timestamp>>>,
}

impl<S> Observed<S> {
    fn new(inner: S, outcomes: Sender<bool>) -> Self {
        Self {
            inner,
            outcomes,
            gate: None,
            maintained: Arc::default(),
        }
    }
}

impl<S: Store> Store for Observed<S> {
    fn write(&mut self, frames: &[Frame]) -> Result<()> {
        if let Some(gate) = &self.gate {
            let _ = self.outcomes.send(true);
            let _ = gate.recv_timeout(PATIENCE);
        }
        let r = self.inner.write(frames);
        let _ = self.outcomes.send(r.is_ok());
        r
    }
    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }
    fn maintain(&mut self, now: Timestamp) -> Result<MaintenanceReport> {
        self.maintained.lock().expect("lock").push(now);
        self.inner.maintain(now)
    }
    fn series(&self) -> Result<Vec<SeriesKey>> {
        self.inner.series()
    }
    fn query_raw(
        &self,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(Timestamp, f64)>> {
        self.inner.query_raw(key, from, to)
    }
    fn query_rollup(
        &self,
        tier: Tier,
        key: &SeriesKey,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<RollupPoint>> {
        self.inner.query_rollup(tier, key, from, to)
    }
    fn held_memory(&self) -> HeldMemory {
        self.inner.held_memory()
    }

    fn stats(&self) -> Result<StoreStats> {
        self.inner.stats()
    }
    fn record_alerts(&mut self, events: &[AlertEvent]) -> Result<()> {
        let r = self.inner.record_alerts(events);
        let _ = self.outcomes.send(r.is_ok());
        r
    }
    fn open_alerts(&self) -> Result<Vec<AlertEvent>> {
        self.inner.open_alerts()
    }
    fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertRecord>> {
        self.inner.alerts(q)
    }
    fn acknowledge(&mut self, id: &str, at: Timestamp, by: Option<&str>) -> Result<bool> {
        self.inner.acknowledge(id, at, by)
    }
    fn add_silence(
        &mut self,
        matcher: &str,
        created: Timestamp,
        until: Timestamp,
        comment: Option<&str>,
    ) -> Result<i64> {
        self.inner.add_silence(matcher, created, until, comment)
    }
    fn silences(&self, now: Timestamp) -> Result<Vec<Silence>> {
        self.inner.silences(now)
    }
}

/// A store whose disk is always full.
struct Full;

fn disk_full() -> StoreError {
    let e = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL);
    StoreError::db(
        Op::Write,
        Path::new("/full.db"),
        rusqlite::Error::SqliteFailure(e, None),
    )
}

impl Store for Full {
    fn write(&mut self, _: &[Frame]) -> Result<()> {
        Err(disk_full())
    }
    fn flush(&mut self) -> Result<()> {
        Err(disk_full())
    }
    fn maintain(&mut self, _: Timestamp) -> Result<MaintenanceReport> {
        Err(disk_full())
    }
    fn series(&self) -> Result<Vec<SeriesKey>> {
        Ok(Vec::new())
    }
    fn query_raw(
        &self,
        _: &SeriesKey,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<Vec<(Timestamp, f64)>> {
        Ok(Vec::new())
    }
    fn query_rollup(
        &self,
        _: Tier,
        _: &SeriesKey,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<Vec<RollupPoint>> {
        Ok(Vec::new())
    }
    fn stats(&self) -> Result<StoreStats> {
        Ok(StoreStats::default())
    }
    fn record_alerts(&mut self, _: &[AlertEvent]) -> Result<()> {
        Err(disk_full())
    }
    fn open_alerts(&self) -> Result<Vec<AlertEvent>> {
        Ok(Vec::new())
    }
    fn alerts(&self, _: &AlertQuery) -> Result<Vec<AlertRecord>> {
        Ok(Vec::new())
    }
    fn acknowledge(&mut self, _: &str, _: Timestamp, _: Option<&str>) -> Result<bool> {
        Err(disk_full())
    }
    fn add_silence(&mut self, _: &str, _: Timestamp, _: Timestamp, _: Option<&str>) -> Result<i64> {
        Err(disk_full())
    }
    fn silences(&self, _: Timestamp) -> Result<Vec<Silence>> {
        Ok(Vec::new())
    }
}

fn fast_retry() -> WriterConfig {
    WriterConfig {
        queue_capacity: 1000,
        flush_every: Duration::ZERO,
        retry_initial: Duration::from_millis(2),
        retry_max: Duration::from_millis(20),
        close_timeout: Duration::from_secs(10),
        ..WriterConfig::default()
    }
}

fn wait_for(outcomes: &Receiver<bool>, want: bool) {
    loop {
        let got = outcomes
            .recv_timeout(PATIENCE)
            .expect("the writer went quiet");
        if got == want {
            return;
        }
    }
}

#[test]
fn a_locked_database_delays_writes_but_stores_every_frame_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let (tx, outcomes) = mpsc::channel();
    let observed = Observed::new(store, tx);
    let (handle, join) = StoreWriter::spawn(Box::new(observed), fast_retry()).unwrap();
    for i in 0..100 {
        assert!(handle.send(frame(i, 1000)));
    }
    wait_for(&outcomes, false);
    // Still accepting while the database is locked, and still retrying.
    for i in 100..200 {
        assert!(handle.send(frame(i, 1000)));
    }
    wait_for(&outcomes, false);
    // The writer counts a failure after the store returns it; the next attempt's outcome
    // comes after that count, so two failures are surely counted once a third is seen.
    wait_for(&outcomes, false);
    let counters = handle.counters();
    assert!(counters.snapshot().failed_writes >= 2);
    lock.execute_batch("ROLLBACK").unwrap();
    wait_for(&outcomes, true);

    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(summary.frames_written, 200, "{summary:?}");
    assert_eq!(summary.frames_dropped, 0, "{summary:?}");
    assert!(summary.flushed);
    let stats = counters.snapshot();
    assert_eq!(
        (stats.accepted, stats.written, stats.pending),
        (200, 200, 0)
    );

    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let raw = store
        .query_raw(&delta_key(), Timestamp(0), Timestamp(i64::MAX))
        .unwrap();
    assert_eq!(raw.len(), 200);
    assert!(raw.windows(2).all(|w| w[0].0 < w[1].0));
    let minutes = store
        .query_rollup(
            Tier::Minute,
            &delta_key(),
            Timestamp(0),
            Timestamp(i64::MAX),
        )
        .unwrap();
    oracles(200, 1000, MINUTE_MS)[0].check("minute", &minutes, 0, i64::MAX);
}

#[test]
fn a_full_disk_bounds_the_retry_buffer_and_counts_every_lost_frame() {
    let cfg = WriterConfig {
        max_pending_frames: 5,
        close_timeout: Duration::from_millis(30),
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(Full), cfg).unwrap();
    for i in 0..20 {
        assert!(handle.send(frame(i, 1000)));
    }
    let counters = handle.counters();
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(summary.frames_written, 0);
    assert_eq!(summary.frames_dropped, 20, "{summary:?}");
    assert!(!summary.flushed);
    assert!(summary.failed_writes >= 1);
    let stats = counters.snapshot();
    assert_eq!(stats.dropped_overflow, 20);
    assert_eq!(stats.pending, 0);
}

#[test]
fn a_full_queue_drops_instead_of_blocking_the_sender() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db"), SqliteOptions::default()).unwrap();
    let (tx, outcomes) = mpsc::channel();
    let (open_gate, gate) = mpsc::channel();
    let observed = Observed {
        gate: Some(gate),
        ..Observed::new(store, tx)
    };
    let cfg = WriterConfig {
        queue_capacity: 2,
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(observed), cfg).unwrap();

    assert!(handle.send(frame(0, 1000)));
    wait_for(&outcomes, true); // the writer is inside write(), holding frame 0
    assert!(handle.send(frame(1, 1000)));
    assert!(handle.send(frame(2, 1000)));
    assert!(!handle.send(frame(3, 1000)), "queue of 2 is full");
    assert_eq!(handle.counters().snapshot().dropped_queue_full, 1);

    for _ in 0..10 {
        open_gate.send(()).unwrap();
    }
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(
        (summary.frames_written, summary.frames_dropped),
        (3, 1),
        "{summary:?}"
    );
}

#[test]
fn frames_are_batched_into_few_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db"), SqliteOptions::default()).unwrap();
    let (tx, outcomes) = mpsc::channel();
    let observed = Observed::new(store, tx);
    let cfg = WriterConfig {
        flush_every: Duration::from_secs(3600),
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(observed), cfg).unwrap();
    for i in 0..300 {
        assert!(handle.send(frame(i, 1000)));
    }
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(summary.frames_written, 300);
    let writes = outcomes.try_iter().count();
    assert!(writes <= 2, "{writes} transactions for 300 frames");
}

#[test]
fn upkeep_runs_on_data_time_once_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("h.db"), SqliteOptions::default()).unwrap();
    let (tx, outcomes) = mpsc::channel();
    let observed = Observed::new(store, tx);
    let maintained = Arc::clone(&observed.maintained);
    let (handle, join) = StoreWriter::spawn(Box::new(observed), fast_retry()).unwrap();
    for i in 0..600 {
        assert!(handle.send(frame(i, 1000)));
        if i % 50 == 49 {
            wait_for(&outcomes, true); // let some writes finish mid-stream
        }
    }
    handle.close();
    join.join().unwrap();
    let runs = maintained.lock().unwrap().clone();
    assert!(!runs.is_empty());
    assert!(
        runs.windows(2).all(|w| w[1].0 - w[0].0 >= 60_000),
        "at most one upkeep per minute of data time: {runs:?}"
    );
}

/// Ten events of alert `n`: fired, eight reminders, resolved, one second apart.
fn alert_batch(n: i64) -> Vec<AlertEvent> {
    let iface = format!("eth{n}");
    let start = n * 100;
    (0..10)
        .map(|i| {
            let kind = match i {
                0 => EventKind::Fired,
                9 => EventKind::Resolved,
                _ => EventKind::Renotified,
            };
            alert_event("rx_high", &iface, start, kind, Severity::High, start + i)
        })
        .collect()
}

fn stored_events(path: &Path) -> Vec<AlertEvent> {
    let store = SqliteStore::open(path, SqliteOptions::default()).expect("open");
    let mut records = store.alerts(&AlertQuery::default()).expect("alerts");
    records.reverse();
    records.into_iter().flat_map(|r| r.events).collect()
}

fn event_rows(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM alert_event", [], |r| r.get(0))
        .expect("count events")
}

#[test]
fn alerts_sent_while_the_database_is_locked_are_all_stored_once_and_outlive_the_frame_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let (tx, outcomes) = mpsc::channel();
    let cfg = WriterConfig {
        max_pending_frames: 5,
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(Observed::new(store, tx)), cfg).unwrap();
    let counters = handle.counters();
    assert!(handle.send_alerts(alert_batch(0)));
    wait_for(&outcomes, false);
    for i in 0..20 {
        assert!(handle.send(frame(i, 1000)));
    }
    assert!(handle.send_alerts(alert_batch(1)));
    assert!(handle.send_alerts(alert_batch(2)));
    // Every frame and alert has reached the writer's buffers; the frame bound has dropped
    // 15 frames but no alert event.
    let deadline = Instant::now() + PATIENCE;
    while {
        let s = counters.snapshot();
        s.dropped_overflow < 15 || s.alerts_pending < 30
    } {
        let s = counters.snapshot();
        assert!(Instant::now() < deadline, "the writer lost track: {s:?}");
        wait_for(&outcomes, false);
    }
    let stats = counters.snapshot();
    assert_eq!((stats.dropped_overflow, stats.pending), (15, 5));
    assert_eq!((stats.alerts_accepted, stats.alerts_pending), (30, 30));
    assert!(stats.alert_batches_failed >= 1, "{stats:?}");
    assert_eq!(stats.alerts_written, 0);

    lock.execute_batch("ROLLBACK").unwrap();
    wait_for(&outcomes, true);
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(
        (summary.alerts_written, summary.alerts_lost),
        (30, 0),
        "{summary:?}"
    );
    assert_eq!((summary.frames_written, summary.frames_dropped), (5, 15));
    let stats = counters.snapshot();
    assert_eq!((stats.alerts_pending, stats.alerts_lost), (0, 0));
    assert!(stats.alert_batches_written >= 1);

    let expected: Vec<AlertEvent> = (0..3).flat_map(alert_batch).collect();
    assert_eq!(stored_events(&path), expected);
    assert_eq!(event_rows(&path), 30);
}

#[test]
fn alerts_queued_before_close_are_stored_before_the_writer_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let cfg = WriterConfig {
        flush_every: Duration::from_secs(3600),
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(store), cfg).unwrap();
    for n in 0..4 {
        assert!(handle.send(frame(n, 1000)));
        assert!(handle.send_alerts(alert_batch(n)));
    }
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(
        (summary.alerts_written, summary.alerts_lost),
        (40, 0),
        "{summary:?}"
    );
    assert_eq!(summary.frames_written, 4);
    let expected: Vec<AlertEvent> = (0..4).flat_map(alert_batch).collect();
    assert_eq!(stored_events(&path), expected);
}

#[test]
fn alerts_that_find_the_queue_full_wait_beside_it_instead_of_being_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = SqliteStore::open(&path, SqliteOptions::default()).unwrap();
    let (tx, outcomes) = mpsc::channel();
    let (open_gate, gate) = mpsc::channel();
    let observed = Observed {
        gate: Some(gate),
        ..Observed::new(store, tx)
    };
    let cfg = WriterConfig {
        queue_capacity: 2,
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(observed), cfg).unwrap();

    assert!(handle.send(frame(0, 1000)));
    wait_for(&outcomes, true); // the writer is inside write(), holding frame 0
    assert!(handle.send(frame(1, 1000)));
    assert!(handle.send(frame(2, 1000)));
    assert!(!handle.send(frame(3, 1000)), "queue of 2 is full");
    for n in 0..3 {
        assert!(
            handle.send_alerts(alert_batch(n)),
            "alerts are never refused"
        );
    }
    assert_eq!(handle.counters().snapshot().alerts_accepted, 30);

    for _ in 0..10 {
        open_gate.send(()).unwrap();
    }
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(
        (summary.alerts_written, summary.alerts_lost),
        (30, 0),
        "{summary:?}"
    );
    let expected: Vec<AlertEvent> = (0..3).flat_map(alert_batch).collect();
    assert_eq!(stored_events(&path), expected);
}

#[test]
fn alerts_the_database_never_accepts_are_kept_until_close_and_counted_lost() {
    let cfg = WriterConfig {
        max_pending_frames: 5,
        close_timeout: Duration::from_millis(30),
        ..fast_retry()
    };
    let (handle, join) = StoreWriter::spawn(Box::new(Full), cfg).unwrap();
    for i in 0..20 {
        assert!(handle.send(frame(i, 1000)));
    }
    assert!(handle.send_alerts(alert_batch(0)));
    let counters = handle.counters();
    let summary = handle.close();
    join.join().unwrap();
    assert_eq!(
        (summary.alerts_written, summary.alerts_lost),
        (0, 10),
        "{summary:?}"
    );
    assert_eq!(summary.frames_dropped, 20);
    let stats = counters.snapshot();
    assert!(stats.alert_batches_failed >= 1);
    assert_eq!(stats.alerts_pending, 0);
}

#[test]
fn jobs_run_on_the_writer_thread_and_a_panicking_one_does_not_stop_it() {
    let store =
        bandwatch_store::SqliteStore::open_in_memory(bandwatch_store::SqliteOptions::default())
            .expect("store");
    let (handle, join) =
        StoreWriter::spawn(Box::new(store), WriterConfig::default()).expect("spawn");
    assert!(handle.submit(Box::new(|_| panic!("a bad job"))));
    let (tx, rx) = std::sync::mpsc::channel();
    assert!(handle.submit(Box::new(move |s| {
        let _ = tx.send(s.series().map(|v| v.len()).ok());
    })));
    let answer = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("the second job ran");
    assert_eq!(answer, Some(0));
    handle.close();
    join.join().expect("writer thread ends cleanly");
}

#[test]
fn what_the_store_holds_in_memory_is_published_by_the_writer_and_readable_by_a_job() {
    let store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    let (tx, outcomes) = mpsc::channel();
    let (handle, join) =
        StoreWriter::spawn(Box::new(Observed::new(store, tx)), fast_retry()).expect("spawn");
    for i in 0..120 {
        assert!(handle.send(frame(i, 1000)));
        wait_for(&outcomes, true);
    }
    let published = || handle.counters().snapshot().store_held_bytes;
    // The writer thread takes the job only after finishing the last write (and any upkeep
    // after it), so the job and the published figure see the same store.
    let (reply, answer) = mpsc::channel();
    assert!(handle.submit(Box::new(move |s| {
        let _ = reply.send(s.held_memory());
    })));
    let held = answer.recv_timeout(PATIENCE).expect("the job ran");
    assert!(
        held.heads > 0 && held.rollups > 0 && held.series_index > 0,
        "{held:?}"
    );
    assert_eq!(published(), held.total());
    handle.close();
    join.join().expect("writer thread ends cleanly");
}
