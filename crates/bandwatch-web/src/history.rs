//! How handlers reach the history: a job handed to whoever owns the store (in `bandwatch run`
//! the store writer thread, so reads see what it has committed and no second connection is
//! opened; in `bandwatch serve` the [`Reader`] thread of a store opened read-only), answered
//! through a one-shot channel with a deadline.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bandwatch_core::{Catalog, Clock, Snapshot};
use bandwatch_store::{Store, StoreHandle, StoreJob};

use crate::recorded::Recorded;

use crate::error::{ApiError, ApiResult};

/// Something that runs jobs against the store.
pub trait History: Send + Sync {
    /// Queues a job; false when it cannot be taken now.
    fn submit(&self, job: StoreJob) -> bool;
}

impl History for StoreHandle {
    fn submit(&self, job: StoreJob) -> bool {
        StoreHandle::submit(self, job)
    }
}

/// A store owned here, each job on a thread of its own (tests, and tools without a writer).
#[derive(Clone)]
pub struct Direct(Arc<Mutex<Box<dyn Store>>>);

impl Direct {
    /// Wraps a store.
    pub fn new(store: Box<dyn Store>) -> Self {
        Self(Arc::new(Mutex::new(store)))
    }
}

impl History for Direct {
    fn submit(&self, job: StoreJob) -> bool {
        let store = Arc::clone(&self.0);
        std::thread::spawn(move || {
            let mut guard = store.lock().unwrap_or_else(PoisonError::into_inner);
            job(guard.as_mut());
        });
        true
    }
}

/// A store read on one thread of its own, each job inside one consistent read
/// ([`Store::begin_read`]): how `bandwatch serve` reaches a history it opened read-only, so
/// a job sees what a running agent committed and never a half-sealed chunk. Dropping it
/// finishes the queued jobs and joins the thread.
pub struct Reader {
    jobs: Option<std::sync::mpsc::SyncSender<StoreJob>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long [`Reader::following`] waits for the first read of the newest values.
pub const FIRST_READ: Duration = Duration::from_secs(60);

/// Jobs that may wait for the reader thread; more are refused (the handler answers 503).
const READER_QUEUE: usize = 64;

/// What a [`Reader`] keeps up to date besides answering jobs: a snapshot of the newest
/// recorded values (see [`crate::recorded`]).
pub struct Follow {
    /// The snapshot the server shows.
    pub snapshot: Snapshot,
    /// What each metric is (its kind).
    pub catalog: &'static Catalog,
    /// Wall-clock time, for how far back to look first.
    pub clock: Arc<dyn Clock>,
    /// How often the newest values are read again.
    pub every: Duration,
}

impl Reader {
    /// Starts the thread that owns `store`.
    pub fn start(store: Box<dyn Store>) -> std::io::Result<Self> {
        Self::spawn(store, None)
    }

    /// Starts the thread that owns `store`; it first reads the newest recorded values into
    /// `follow.snapshot`, then again every `follow.every`. Returns once the first read is
    /// done (so the snapshot is not empty when serving starts), or after [`FIRST_READ`]
    /// when the history is that slow.
    pub fn following(store: Box<dyn Store>, follow: Follow) -> std::io::Result<Self> {
        let (done, first) = std::sync::mpsc::channel();
        let reader = Self::spawn(store, Some((follow, done)))?;
        if first.recv_timeout(FIRST_READ).is_err() {
            tracing::warn!("the newest recorded values are still being read; the page shows them once they are");
        }
        Ok(reader)
    }

    fn spawn(
        mut store: Box<dyn Store>,
        follow: Option<(Follow, std::sync::mpsc::Sender<()>)>,
    ) -> std::io::Result<Self> {
        use std::sync::mpsc::RecvTimeoutError;
        let (tx, rx) = std::sync::mpsc::sync_channel::<StoreJob>(READER_QUEUE);
        let (follow, first_done) = follow.map_or((None, None), |(f, d)| (Some(f), Some(d)));
        let thread = std::thread::Builder::new()
            .name("history-reader".into())
            .spawn(move || {
                let mut recorded = Recorded::default();
                let mut refresh = |store: &mut Box<dyn Store>| {
                    if let Some(f) = &follow {
                        in_read(store, |s| match recorded.newer(s, f.catalog, f.clock.wall()) {
                            Ok(frames) => frames.iter().for_each(|fr| f.snapshot.observe(fr)),
                            Err(e) => tracing::warn!(error = %e, "the newest recorded values could not be read"),
                        });
                    }
                };
                refresh(&mut store);
                if let Some(d) = first_done {
                    let _ = d.send(());
                }
                let every = follow.as_ref().map(|f| f.every);
                let mut due = every.map(|e| Instant::now() + e);
                loop {
                    let job = match due {
                        Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
                        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    };
                    match job {
                        Ok(job) => in_read(&mut store, job),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                    // Also between jobs: a steady stream of requests must not starve it.
                    if let (Some(at), Some(e)) = (due, every) {
                        if Instant::now() >= at {
                            refresh(&mut store);
                            due = Some(Instant::now() + e);
                        }
                    }
                }
            })?;
        Ok(Self {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }
}

/// Runs `job` inside one consistent read; a job that panics does not take the thread.
fn in_read(store: &mut Box<dyn Store>, job: impl FnOnce(&mut dyn Store)) {
    if let Err(e) = store.begin_read() {
        // The job still runs, on what was read last; its own queries say whether the
        // history answers at all.
        tracing::warn!(error = %e, "the history could not be brought up to date");
    }
    let s = store.as_mut();
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(s))).is_err() {
        tracing::error!("a history read panicked; the reader carries on");
    }
    store.end_read();
}

impl History for Reader {
    fn submit(&self, job: StoreJob) -> bool {
        self.jobs
            .as_ref()
            .is_some_and(|tx| tx.try_send(job).is_ok())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How long a handler waits for the history before answering 503.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Runs `f` against the store and waits for its answer.
pub async fn ask<R, F>(history: &dyn History, f: F) -> ApiResult<R>
where
    R: Send + 'static,
    F: FnOnce(&mut dyn Store) -> R + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: StoreJob = Box::new(move |store| {
        // The asker may have given up; nobody else wants the answer.
        let _ = tx.send(f(store));
    });
    if !history.submit(job) {
        return Err(ApiError::unavailable(
            "the history is busy (its queue is full); try again in a moment",
        ));
    }
    match tokio::time::timeout(DEADLINE, rx).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(_)) => Err(ApiError::unavailable(
            "the history stopped before answering; see bandwatch's log",
        )),
        Err(_) => Err(ApiError::unavailable(
            "the history did not answer within 10 s (the database may be slow or down); try again",
        )),
    }
}
