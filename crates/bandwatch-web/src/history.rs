//! How handlers reach the history: a job handed to whoever owns the store (in `bandwatch run`
//! the store writer thread, so reads see what it has committed and no second connection is
//! opened), answered through a one-shot channel with a deadline.

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
