//! How handlers reach the history: a job handed to whoever owns the store (in `bandwatch run`
//! the store writer thread, so reads see what it has committed and no second connection is
//! opened; in `bandwatch serve` the [`Reader`] thread of a store opened read-only), answered
//! through a one-shot channel with a deadline.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bandwatch_store::{Store, StoreHandle, StoreJob};

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

/// Jobs that may wait for the reader thread; more are refused (the handler answers 503).
const READER_QUEUE: usize = 64;

impl Reader {
    /// Starts the thread that owns `store`.
    pub fn start(mut store: Box<dyn Store>) -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<StoreJob>(READER_QUEUE);
        let thread = std::thread::Builder::new()
            .name("history-reader".into())
            .spawn(move || {
                for job in rx {
                    if let Err(e) = store.begin_read() {
                        // The job still runs, on what was read last; its own queries say
                        // whether the history answers at all.
                        tracing::warn!(error = %e, "the history could not be brought up to date");
                    }
                    let s = store.as_mut();
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(s))).is_err() {
                        tracing::error!("a history read panicked; the reader carries on");
                    }
                    store.end_read();
                }
            })?;
        Ok(Self {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }
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
