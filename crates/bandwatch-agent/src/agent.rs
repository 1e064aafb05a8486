//! The run: starts a thread per source (and one for the duration limit), runs the pipeline on
//! the calling thread until the run is cancelled, then shuts down along one path — sources
//! stop, the channel is drained, every sink is closed, every thread is joined.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use bandwatch_collect::Source;
use bandwatch_core::snapshot::DEFAULT_STALE_AFTER;
use bandwatch_core::{Clock, Sink, SinkBoard, SinkStats, Snapshot, SourceBoard};
use bandwatch_engine::Engine;

use crate::cancel::Cancel;
use crate::caps::Caps;
use crate::error::{AgentError, Result};
use crate::pipeline::Pipeline;
use crate::schedule::{self, Msg, Scheduled, Shared};
use crate::service::Service;
use crate::uptime::Uptime;
use crate::wait::Wait;

/// Frames waiting for the pipeline; a source blocks when it is this far behind.
pub const DEFAULT_QUEUE: usize = 64;

/// Readings closer together than this are not asked for (an interval of zero would spin).
const SHORTEST_INTERVAL: Duration = Duration::from_millis(1);

/// What a finished run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    /// Frames that went through the pipeline.
    pub frames: u64,
    /// Collections that failed, over every source.
    pub failed_ticks: u64,
    /// Every sink's counters at the end, by name.
    pub sinks: Vec<(String, SinkStats)>,
}

/// The pipeline with its sources and sinks, ready to [`run`](Agent::run).
pub struct Agent {
    clock: Arc<dyn Clock>,
    wait: Arc<dyn Wait>,
    engine: Engine,
    sources: Vec<Scheduled>,
    sinks: Vec<Box<dyn Sink>>,
    snapshot: Snapshot,
    uptime: Option<Uptime>,
    caps: Option<Caps>,
    duration: Option<Duration>,
    queue: usize,
    quick_stop: bool,
    sink_board: SinkBoard,
    source_board: SourceBoard,
    service: Option<Service>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("sources", &self.sources.len())
            .field(
                "sinks",
                &self.sinks.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .field("duration", &self.duration)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// An agent on `clock`, waiting with `wait`, judging frames with `engine`; its snapshot
    /// drops series after [`DEFAULT_STALE_AFTER`] of `clock`.
    pub fn new(clock: Arc<dyn Clock>, wait: Arc<dyn Wait>, engine: Engine) -> Self {
        Self {
            snapshot: Snapshot::new(Arc::clone(&clock), DEFAULT_STALE_AFTER),
            clock,
            wait,
            engine,
            sources: Vec::new(),
            sinks: Vec::new(),
            uptime: None,
            caps: None,
            duration: None,
            queue: DEFAULT_QUEUE,
            quick_stop: false,
            sink_board: SinkBoard::default(),
            source_board: SourceBoard::default(),
            service: None,
        }
    }

    /// Adds a source read every `every` (read at once when the run starts).
    #[must_use]
    pub fn source(mut self, source: Box<dyn Source + Send>, every: Duration) -> Self {
        self.sources.push(Scheduled {
            source,
            every: every.max(SHORTEST_INTERVAL),
        });
        self
    }

    /// Adds a sink and lists its counters on the sink board.
    #[must_use]
    pub fn sink(mut self, sink: Box<dyn Sink>) -> Self {
        self.sink_board.register(sink.name(), sink.counters());
        self.sinks.push(sink);
        self
    }

    /// Replaces the snapshot (e.g. one whose staleness differs, or one already shared).
    #[must_use]
    pub fn with_snapshot(mut self, snapshot: Snapshot) -> Self {
        self.snapshot = snapshot;
        self
    }

    /// Adds uptime figures to probe frames.
    #[must_use]
    pub fn uptime(mut self, uptime: Uptime) -> Self {
        self.uptime = Some(uptime);
        self
    }

    /// Adds the data caps' usage and forecast to interface and device frames.
    #[must_use]
    pub fn caps(mut self, caps: Caps) -> Self {
        self.caps = Some(caps);
        self
    }

    /// Ends the run by itself after `limit` of the clock's monotonic time.
    #[must_use]
    pub fn duration(mut self, limit: Option<Duration>) -> Self {
        self.duration = limit;
        self
    }

    /// Tells a service manager when the run is ready, that it is alive, and when it stops.
    #[must_use]
    pub fn service(mut self, service: Service) -> Self {
        self.service = Some(service);
        self
    }

    /// How many frames may wait for the pipeline (at least one).
    #[must_use]
    pub fn queue(mut self, frames: usize) -> Self {
        self.queue = frames.max(1);
        self
    }

    /// At shutdown, does not wait for a reading under way (a probe round waiting for its
    /// timeout): its frame is dropped and its thread left to end by itself. For a view whose
    /// quit key must end the process at once; a recording run keeps every reading instead.
    #[must_use]
    pub fn quick_stop(mut self) -> Self {
        self.quick_stop = true;
        self
    }

    /// The latest-value snapshot the pipeline keeps (clones share it).
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.clone()
    }

    /// Every sink's counters, by name (clones share them).
    pub fn sink_board(&self) -> SinkBoard {
        self.sink_board.clone()
    }

    /// Every source's collections, by name (clones share them).
    pub fn source_board(&self) -> SourceBoard {
        self.source_board.clone()
    }

    /// Runs until `cancel` fires (or the duration passes, or a sink asks to stop), then
    /// stops the sources, drains the channel, closes every sink and joins every thread.
    pub fn run(self, cancel: &Cancel) -> Result<RunReport> {
        let started = self.clock.monotonic();
        let (tx, rx) = sync_channel(self.queue);
        // The pipeline waits for frames; a cancellation must reach it there too. The sender
        // is taken back at shutdown so that the channel closes once the sources have stopped.
        let wake_tx = Arc::new(Mutex::new(Some(tx.clone())));
        {
            let wake_tx = Arc::clone(&wake_tx);
            cancel.on_cancel(move || {
                if let Some(tx) = &*wake_tx.lock().unwrap_or_else(PoisonError::into_inner) {
                    // A full channel is fine: the pipeline looks at the token after each frame.
                    let _ = tx.try_send(Msg::Wake);
                }
            });
        }
        let shared = Shared {
            clock: Arc::clone(&self.clock),
            wait: Arc::clone(&self.wait),
            cancel: cancel.clone(),
            board: self.source_board.clone(),
        };
        let mut pipeline = Pipeline {
            uptime: self.uptime,
            caps: self.caps,
            snapshot: self.snapshot,
            engine: self.engine,
            sinks: self.sinks,
            cancel: cancel.clone(),
            frames: 0,
            pruned_at: None,
        };
        let mut service = self.service;
        let threads = start_threads(
            self.sources,
            &shared,
            &tx,
            self.duration.map(|d| started + d),
            service.as_ref(),
        );
        drop(tx);
        let quick = self.quick_stop;
        let threads = match threads {
            Ok(t) => t,
            Err((e, started_threads)) => {
                cancel.cancel();
                if let Some(s) = &mut service {
                    s.stopping();
                }
                shut_down(&mut pipeline, rx, &wake_tx, started_threads, quick);
                return Err(e);
            }
        };
        while let Ok(msg) = rx.recv() {
            if let Msg::Frame(frame) = msg {
                pipeline.deliver(frame);
            }
            if let Some(s) = &mut service {
                s.after_message(self.clock.monotonic());
            }
            if cancel.is_cancelled() {
                break;
            }
        }
        if let Some(s) = &mut service {
            s.stopping();
        }
        shut_down(&mut pipeline, rx, &wake_tx, threads, quick);
        let failed_ticks = self
            .source_board
            .stats()
            .iter()
            .map(|(_, s)| s.errors)
            .sum();
        Ok(RunReport {
            frames: pipeline.frames,
            failed_ticks,
            sinks: self.sink_board.stats(),
        })
    }
}

type Started = Vec<JoinHandle<()>>;

/// A thread per source, the duration limit's and the service manager's ticker; on failure,
/// the error and what started.
fn start_threads(
    sources: Vec<Scheduled>,
    shared: &Shared,
    tx: &SyncSender<Msg>,
    deadline: Option<Duration>,
    service: Option<&Service>,
) -> std::result::Result<Started, (AgentError, Started)> {
    let mut threads = Vec::new();
    for s in sources {
        match schedule::spawn(s, shared.clone(), tx.clone()) {
            Ok(t) => threads.push(t),
            Err(e) => return Err((e, threads)),
        }
    }
    if let Some(deadline) = deadline {
        match spawn_limit(shared, deadline) {
            Ok(t) => threads.push(t),
            Err(e) => return Err((e, threads)),
        }
    }
    if let Some(service) = service {
        match service.spawn_ticker(shared, tx.clone()) {
            Ok(t) => threads.push(t),
            Err(e) => return Err((e, threads)),
        }
    }
    Ok(threads)
}

/// Cancels the run when the clock reaches `deadline`.
fn spawn_limit(shared: &Shared, deadline: Duration) -> Result<JoinHandle<()>> {
    let (wait, cancel) = (Arc::clone(&shared.wait), shared.cancel.clone());
    let thread = "run-duration".to_string();
    std::thread::Builder::new()
        .name(thread.clone())
        .spawn(move || {
            if wait.until(deadline, &cancel) {
                tracing::info!("configured duration reached");
                cancel.cancel();
            }
        })
        .map_err(|source| AgentError::Spawn { thread, source })
}

/// The one shutdown path (the token is already cancelled): every source stops after its
/// current reading, whose frame still goes through the pipeline; then the sinks close. With
/// `quick`, only the frames already queued go through, and no reading under way is waited for.
fn shut_down(
    pipeline: &mut Pipeline,
    rx: Receiver<Msg>,
    wake_tx: &Mutex<Option<SyncSender<Msg>>>,
    threads: Started,
    quick: bool,
) {
    tracing::info!("shutting down: flushing the sinks");
    wake_tx
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if quick {
        for msg in rx.try_iter() {
            if let Msg::Frame(frame) = msg {
                pipeline.deliver(frame);
            }
        }
        // A source still reading finds the channel closed when it sends, and ends there.
        drop(rx);
        for t in threads.into_iter().filter(JoinHandle::is_finished) {
            join(t);
        }
    } else {
        // Ends when the last source thread has dropped its sender.
        while let Ok(msg) = rx.recv() {
            if let Msg::Frame(frame) = msg {
                pipeline.deliver(frame);
            }
        }
        threads.into_iter().for_each(join);
    }
    pipeline.close();
}

fn join(t: JoinHandle<()>) {
    let name = t.thread().name().unwrap_or("source").to_string();
    if t.join().is_err() {
        tracing::error!(thread = %name, "a source thread panicked");
    }
}
