//! `bandwatch serve`: the dashboard and API over a recorded history, read-only, without
//! sampling. The history (the SQLite file, or `--store URL`) is opened read-only, so it may
//! belong to a running agent or be a file this user may only read; nothing is created or
//! written, and the page says "read-only: recorded history". In place of live values the
//! snapshot holds the newest recorded value of every series, refreshed while serving.

mod recorded;

use std::net::TcpListener;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Context as _;
use bandwatch_agent::{Cancel, SignalWatch};
use bandwatch_core::{Clock, Snapshot, SystemClock};
use bandwatch_web::{History as _, Reader};

use crate::config::{Config, Resolved};
use crate::error::BadInput;
use recorded::Recorded;

/// How often the newest recorded values are read again (the agent may still be recording).
const REFRESH: Duration = Duration::from_secs(10);
/// How long the first read of the newest values may take before serving starts anyway.
const FIRST_READ: Duration = Duration::from_secs(60);

/// Serves until Ctrl+C or SIGTERM.
pub fn command(resolved: &Resolved) -> anyhow::Result<()> {
    let config = &resolved.config;
    // Everything the user gave is checked before the server starts: the history and the port.
    let store = crate::history::open_read_only(config)?;
    let listener = bind(config)?;
    let _log = crate::logging::init(&config.log)?;
    for w in &resolved.warnings {
        tracing::warn!("{w}");
    }
    let where_ = crate::history::describe(config);
    let reader = Arc::new(Reader::start(store).context("starting the history reader thread")?);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    // Recorded values never go stale: they are the newest there are.
    let snapshot = Snapshot::new(Arc::clone(&clock), Duration::MAX);
    let recorded = Arc::new(Mutex::new(Recorded::default()));
    if !refresh(&reader, &recorded, &snapshot, &clock).wait(FIRST_READ) {
        tracing::warn!(history = %where_, "the newest recorded values are still being read; the page shows them once they are");
    }
    let server = crate::wiring::web::start_read_only(
        listener,
        config,
        snapshot.clone(),
        Arc::clone(&reader) as Arc<dyn bandwatch_web::History>,
    )?;
    eprintln!("serving the history in {where_} read-only: nothing is sampled or changed");
    tracing::info!(history = %where_, "serving recorded history read-only; press Ctrl+C to stop");
    let cancel = Cancel::new();
    let signals = SignalWatch::start(&cancel).context("listening for Ctrl+C and SIGTERM")?;
    while !cancel.wait_timeout(REFRESH) {
        // Not waited for: a slow history delays the values, never the loop or shutdown.
        drop(refresh(&reader, &recorded, &snapshot, &clock));
    }
    signals.stop();
    server.stop();
    tracing::info!("bandwatch serve stopped");
    Ok(())
}

/// Binds the dashboard's address: serving is the whole job, so a taken port (even the
/// default one) stops the start, and `web.enabled = false` (which is about `run`) is not
/// asked.
fn bind(config: &Config) -> Result<TcpListener, BadInput> {
    let addr = config.web.listen;
    TcpListener::bind(addr).map_err(|e| {
        BadInput(format!(
            "key 'web.listen': cannot listen on {addr} for the dashboard: {e}; pick a free port with --listen ADDR:PORT (or BANDWATCH_WEB_LISTEN)"
        ))
    })
}

/// Done when the refresh job ran.
struct Done(mpsc::Receiver<()>);

impl Done {
    /// Waits up to `d`; true when the job ran.
    fn wait(&self, d: Duration) -> bool {
        self.0.recv_timeout(d).is_ok()
    }
}

/// Reads what was recorded since the last refresh into the snapshot, on the reader thread.
fn refresh(
    reader: &Reader,
    recorded: &Arc<Mutex<Recorded>>,
    snapshot: &Snapshot,
    clock: &Arc<dyn Clock>,
) -> Done {
    let (done, wait) = mpsc::channel();
    let (recorded, snapshot) = (Arc::clone(recorded), snapshot.clone());
    let now = clock.wall();
    let queued = reader.submit(Box::new(move |store| {
        let mut recorded = recorded.lock().unwrap_or_else(PoisonError::into_inner);
        match recorded.newer(store, bandwatch_collect::catalog(), now) {
            Ok(frames) => frames.iter().for_each(|f| snapshot.observe(f)),
            Err(e) => tracing::warn!(error = %e, "the newest recorded values could not be read"),
        }
        let _ = done.send(());
    }));
    if !queued {
        tracing::debug!("the history reader is busy; the newest values are read next time");
    }
    Done(wait)
}
