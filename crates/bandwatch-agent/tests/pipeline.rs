//! A whole pipeline on a fake clock and a fake kernel, without sleeping: the netdev source
//! reads a `/proc` and `/sys` tree that the test rewrites between steps; frames go through
//! the real scheduler, the rule engine, the real store writer into SQLite in a temp dir, and
//! a recording sink. The fake [`Wait`] lets a source thread move only when the test moves the
//! clock, and tells the test when every thread is waiting again.

// Exact totals are the point: integer byte counts are carried exactly in f64.
#![allow(clippy::float_cmp)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bandwatch_agent::{Agent, Cancel, RunReport, Wait};
use bandwatch_collect::netdev::metric::{NET_RX_BITS_PER_SECOND, NET_RX_BYTES, NET_TX_BYTES};
use bandwatch_collect::{NetdevConfig, NetdevSource, RealFs, Source};
use bandwatch_core::{
    AlertEvent, Clock, EventKind, FakeClock, Flow, Frame, Seconds, SeriesKey, Sink, SinkCounters,
    SinkStats, Snapshot, Timestamp,
};
use bandwatch_engine::{Engine, RuleSpec};
use bandwatch_store::{SqliteOptions, SqliteStore, Store, StoreWriter, WriterConfig};

const START: Timestamp = Timestamp(1_795_255_200_000);
const STEP: Duration = Duration::from_secs(1);
/// Only a guard against a hung test; nothing is sequenced by it.
const PATIENCE: Duration = Duration::from_secs(10);

/// Source threads wait here until the test moves the fake clock.
struct FakeWait {
    clock: FakeClock,
    /// Deadlines of the threads waiting now.
    waiting: Mutex<Vec<Duration>>,
    changed: Condvar,
}

impl FakeWait {
    fn new(clock: FakeClock, cancel: &Cancel) -> Arc<Self> {
        let wait = Arc::new(Self {
            clock,
            waiting: Mutex::new(Vec::new()),
            changed: Condvar::new(),
        });
        let w = Arc::clone(&wait);
        cancel.on_cancel(move || {
            let _guard = w.lock();
            w.changed.notify_all();
        });
        wait
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Duration>> {
        self.waiting.lock().expect("wait lock")
    }

    /// Moves the clock (under the lock, so no waiter misses it).
    fn advance(&self, by: Duration) {
        let _guard = self.lock();
        self.clock.advance(by);
        self.changed.notify_all();
    }

    /// Blocks until `threads` threads wait for a deadline still ahead.
    fn settle(&self, threads: usize) {
        let started = Instant::now();
        let mut waiting = self.lock();
        loop {
            let now = self.clock.monotonic();
            if waiting.len() == threads && waiting.iter().all(|d| *d > now) {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "threads never settled");
            waiting = self
                .changed
                .wait_timeout(waiting, PATIENCE)
                .expect("wait lock")
                .0;
        }
    }
}

impl Wait for FakeWait {
    fn until(&self, deadline: Duration, cancel: &Cancel) -> bool {
        let mut waiting = self.lock();
        waiting.push(deadline);
        self.changed.notify_all();
        let reached = loop {
            if cancel.is_cancelled() {
                break false;
            }
            if self.clock.monotonic() >= deadline {
                break true;
            }
            waiting = self.changed.wait(waiting).expect("wait lock");
        };
        if let Some(i) = waiting.iter().position(|d| *d == deadline) {
            waiting.swap_remove(i);
        }
        self.changed.notify_all();
        reached
    }
}

/// Everything the pipeline handed it, in order.
#[derive(Clone, Default)]
struct Record {
    frames: Arc<(Mutex<Vec<Frame>>, Condvar)>,
    events: Arc<Mutex<Vec<AlertEvent>>>,
}

impl Record {
    /// Blocks until `n` frames have arrived.
    fn wait_frames(&self, n: usize) {
        let (frames, arrived) = &*self.frames;
        let guard = frames.lock().expect("frames lock");
        let (guard, timeout) = arrived
            .wait_timeout_while(guard, PATIENCE, |f| f.len() < n)
            .expect("frames lock");
        assert!(!timeout.timed_out(), "{} of {n} frames", guard.len());
    }

    fn frames(&self) -> Vec<Frame> {
        self.frames.0.lock().expect("frames lock").clone()
    }
}

struct Recording {
    record: Record,
    counters: SinkCounters,
}

impl Sink for Recording {
    fn name(&self) -> &'static str {
        "recording"
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        let (frames, arrived) = &*self.record.frames;
        frames.lock().expect("frames lock").push(frame.clone());
        self.counters.add_written(1);
        arrived.notify_all();
        Flow::Continue
    }

    fn alerts(&mut self, events: &[AlertEvent]) {
        self.record
            .events
            .lock()
            .expect("events lock")
            .extend_from_slice(events);
    }

    fn counters(&self) -> SinkCounters {
        self.counters.clone()
    }
}

/// A `/proc/net/dev` and `/sys/class/net` tree with one interface, `eth0`, beside `lo`.
struct Kernel {
    root: tempfile::TempDir,
}

impl Kernel {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        let eth0 = root.path().join("sys/class/net/eth0");
        std::fs::create_dir_all(&eth0).expect("sys tree");
        std::fs::create_dir_all(root.path().join("proc/net")).expect("proc tree");
        std::fs::write(eth0.join("operstate"), "up\n").expect("operstate");
        std::fs::write(eth0.join("carrier"), "1\n").expect("carrier");
        std::fs::write(eth0.join("speed"), "1000\n").expect("speed");
        Self { root }
    }

    fn proc(&self) -> PathBuf {
        self.root.path().join("proc")
    }

    fn sys(&self) -> PathBuf {
        self.root.path().join("sys")
    }

    /// Replaces the counters (a new file each time, as the kernel's text changes).
    fn set(&self, rx_bytes: u64, tx_bytes: u64) {
        let text = format!(
            "Inter-|   Receive                                                |  Transmit\n \
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
             lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n  \
             eth0: {rx_bytes} {} 0 0 0 0 0 0 {tx_bytes} {} 0 0 0 0 0 0\n",
            rx_bytes / 100,
            tx_bytes / 100,
        );
        let tmp = self.proc().join("net/dev.new");
        std::fs::write(&tmp, text).expect("write counters");
        std::fs::rename(tmp, self.proc().join("net/dev")).expect("replace counters");
    }
}

fn rx_above(bits_per_second: f64) -> Engine {
    let spec = RuleSpec {
        name: "rx_high".into(),
        metric: NET_RX_BITS_PER_SECOND.into(),
        matchers: [("iface".to_string(), "eth0".to_string())].into(),
        condition: "threshold".into(),
        above: Some(bits_per_second),
        ..RuleSpec::default()
    };
    Engine::from_specs(&[spec]).expect("valid rule")
}

fn sum_of(frames: &[Frame], key: &SeriesKey) -> f64 {
    frames
        .iter()
        .flat_map(|f| &f.samples)
        .filter(|s| *s.series == *key)
        .map(|s| s.value)
        .sum()
}

fn stored_sum(db: &Path, key: &SeriesKey) -> f64 {
    let store = SqliteStore::open(db, SqliteOptions::default()).expect("reopen store");
    let to = START.add_millis(3_600_000);
    store
        .query_raw(key, START, to)
        .expect("query")
        .iter()
        .map(|(_, v)| v)
        .sum()
}

/// (rx, tx) bytes per one-second step; 1,000 B/s is the rule's 8,000 bit/s.
const STEPS: [(u64, u64); 5] = [
    (500, 100),
    (2_000, 100),
    (3_000, 100),
    (500, 100),
    (400, 100),
];

/// What a driven run left behind.
struct Outcome {
    report: RunReport,
    record: Record,
    sinks: Vec<(String, SinkStats)>,
    snapshot: Snapshot,
    db: PathBuf,
    _db_dir: tempfile::TempDir,
}

/// Runs netdev → engine → store + recording sink over [`STEPS`], one fake second each.
fn drive_steps() -> Outcome {
    let kernel = Kernel::new();
    let db_dir = tempfile::tempdir().expect("tempdir");
    let db = db_dir.path().join("history.db");
    let clock = FakeClock::new(START);
    let cancel = Cancel::new();
    let wait = FakeWait::new(clock.clone(), &cancel);
    let netdev = NetdevSource::new(
        NetdevConfig {
            proc_root: kernel.proc(),
            sys_root: kernel.sys(),
            ..NetdevConfig::default()
        },
        RealFs,
        clock.clone(),
    );
    let store = SqliteStore::open(&db, SqliteOptions::default()).expect("open store");
    let writer = StoreWriter::start(Box::new(store), WriterConfig::default()).expect("writer");
    let record = Record::default();
    let agent = Agent::new(Arc::new(clock.clone()), wait.clone(), rx_above(8_000.0))
        .source(Box::new(netdev), STEP)
        .sink(Box::new(writer))
        .sink(Box::new(Recording {
            record: record.clone(),
            counters: SinkCounters::default(),
        }));
    let (board, snapshot) = (agent.sink_board(), agent.snapshot());
    let (mut rx, mut tx) = (10_000_u64, 20_000_u64);
    kernel.set(rx, tx);
    let run = {
        let cancel = cancel.clone();
        std::thread::spawn(move || agent.run(&cancel))
    };
    wait.settle(1); // the baseline reading is taken
    for (i, (drx, dtx)) in STEPS.iter().enumerate() {
        (rx, tx) = (rx + drx, tx + dtx);
        kernel.set(rx, tx);
        wait.advance(STEP);
        wait.settle(1);
        record.wait_frames(i + 1);
    }
    cancel.cancel();
    let report = run.join().expect("agent thread").expect("run");
    Outcome {
        report,
        record,
        sinks: board.stats(),
        snapshot,
        db,
        _db_dir: db_dir,
    }
}

#[test]
fn frames_reach_the_store_the_engine_and_every_sink_exactly() {
    let started = Instant::now();
    let out = drive_steps();
    let eth0 = |m: &str| SeriesKey::with_label(m, "iface", "eth0");
    let total_rx = STEPS.iter().map(|s| s.0).sum::<u64>() as f64;
    let total_tx = STEPS.iter().map(|s| s.1).sum::<u64>() as f64;
    let frames = out.record.frames();
    assert_eq!(frames.len(), STEPS.len());
    assert_eq!((out.report.frames, out.report.failed_ticks), (5, 0));
    assert_eq!(sum_of(&frames, &eth0(NET_RX_BYTES)), total_rx);
    assert_eq!(sum_of(&frames, &eth0(NET_TX_BYTES)), total_tx);
    assert_eq!(stored_sum(&out.db, &eth0(NET_RX_BYTES)), total_rx);
    assert_eq!(stored_sum(&out.db, &eth0(NET_TX_BYTES)), total_tx);
    let latest = out
        .snapshot
        .get(&eth0(NET_RX_BYTES))
        .expect("in the snapshot");
    assert_eq!(latest.total, total_rx);

    let events: Vec<(EventKind, String, Timestamp, f64)> = out
        .record
        .events
        .lock()
        .expect("events lock")
        .iter()
        .map(|e| (e.kind, e.series.to_string(), e.at, e.value))
        .collect();
    let rx_rate = eth0(NET_RX_BITS_PER_SECOND).to_string();
    assert_eq!(
        events,
        vec![
            (
                EventKind::Fired,
                rx_rate.clone(),
                START.add_millis(2_000),
                16_000.0
            ),
            (
                EventKind::Resolved,
                rx_rate,
                START.add_millis(4_000),
                4_000.0
            ),
        ]
    );

    let stats = |name: &str| out.sinks.iter().find(|(n, _)| n == name).expect(name).1;
    let store = stats("store");
    assert_eq!((store.written, store.dropped, store.queue_depth), (5, 0, 0));
    assert_eq!(stats("recording").written, 5);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_configured_duration_ends_the_run_on_the_fake_clock() {
    let clock = FakeClock::new(START);
    let cancel = Cancel::new();
    let wait = FakeWait::new(clock.clone(), &cancel);
    let agent = Agent::new(Arc::new(clock), wait.clone(), rx_above(1.0))
        .duration(Some(Duration::from_secs(30)));
    let run = {
        let cancel = cancel.clone();
        std::thread::spawn(move || agent.run(&cancel))
    };
    wait.settle(1);
    wait.advance(Duration::from_secs(29));
    wait.settle(1);
    assert!(!cancel.is_cancelled());
    wait.advance(Duration::from_secs(1));
    let report = run.join().expect("agent thread").expect("run");
    assert!(cancel.is_cancelled());
    assert_eq!(report.frames, 0);
}

/// Emits one empty frame per reading.
struct Ticks(FakeClock);

impl Source for Ticks {
    fn name(&self) -> &'static str {
        "ticks"
    }

    fn collect(&mut self) -> bandwatch_collect::Result<Option<Frame>> {
        Ok(Some(Frame::new("ticks", self.0.wall(), Seconds(1.0))))
    }
}

/// A probe round that does not end until the test says so.
struct Stuck(Mutex<std::sync::mpsc::Receiver<()>>);

impl Source for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }

    fn collect(&mut self) -> bandwatch_collect::Result<Option<Frame>> {
        let _ = self.0.lock().expect("stuck lock").recv();
        Ok(None)
    }
}

#[test]
fn a_source_stuck_in_a_reading_never_delays_another() {
    let clock = FakeClock::new(START);
    let cancel = Cancel::new();
    let wait = FakeWait::new(clock.clone(), &cancel);
    let (release, stuck) = std::sync::mpsc::channel();
    let record = Record::default();
    let agent = Agent::new(Arc::new(clock.clone()), wait.clone(), rx_above(1.0))
        .source(Box::new(Stuck(Mutex::new(stuck))), STEP)
        .source(Box::new(Ticks(clock)), STEP)
        .sink(Box::new(Recording {
            record: record.clone(),
            counters: SinkCounters::default(),
        }));
    let run = {
        let cancel = cancel.clone();
        std::thread::spawn(move || agent.run(&cancel))
    };
    record.wait_frames(1);
    for n in 2..=4 {
        wait.advance(STEP);
        record.wait_frames(n);
    }
    cancel.cancel();
    release.send(()).expect("release the stuck reading");
    let report = run.join().expect("agent thread").expect("run");
    assert_eq!(report.frames, 4);
}

#[test]
fn a_quick_stop_leaves_a_stuck_reading_behind() {
    let clock = FakeClock::new(START);
    let cancel = Cancel::new();
    let wait = FakeWait::new(clock.clone(), &cancel);
    let (release, stuck) = std::sync::mpsc::channel();
    let record = Record::default();
    let agent = Agent::new(Arc::new(clock.clone()), wait, rx_above(1.0))
        .source(Box::new(Stuck(Mutex::new(stuck))), STEP)
        .source(Box::new(Ticks(clock)), STEP)
        .sink(Box::new(Recording {
            record: record.clone(),
            counters: SinkCounters::default(),
        }))
        .quick_stop();
    let (done, report) = std::sync::mpsc::channel();
    {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            let _ = done.send(agent.run(&cancel));
        });
    }
    record.wait_frames(1);
    cancel.cancel();
    // The stuck reading is still under way: the run ends without it.
    let report = report
        .recv_timeout(PATIENCE)
        .expect("the run ends while a reading is stuck")
        .expect("run");
    assert_eq!(report.frames, 1);
    let _ = release.send(());
}
