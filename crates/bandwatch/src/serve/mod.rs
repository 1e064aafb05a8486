//! `bandwatch serve`: the dashboard and API over a recorded history, read-only, without
//! sampling. The history (the SQLite file, or `--store URL`) is opened read-only, so it may
//! belong to a running agent or be a file this user may only read; nothing is created or
//! written, and the page says "read-only: recorded history". In place of live values the
//! snapshot holds the newest recorded value of every series, which the web crate's reader
//! thread keeps up to date.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bandwatch_agent::{Cancel, SignalWatch};
use bandwatch_core::{Clock, Snapshot, SystemClock};
use bandwatch_web::{Follow, History, Reader};

use crate::config::{Config, Resolved};
use crate::error::BadInput;

/// How often the newest recorded values are read again (the agent may still be recording).
const REFRESH: Duration = Duration::from_secs(10);

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
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    // Recorded values never go stale: they are the newest there are.
    let snapshot = Snapshot::new(Arc::clone(&clock), Duration::MAX);
    let follow = Follow {
        snapshot: snapshot.clone(),
        catalog: bandwatch_collect::catalog(),
        clock,
        every: REFRESH,
    };
    let reader: Arc<dyn History> =
        Arc::new(Reader::following(store, follow).context("starting the history reader thread")?);
    let cancel = Cancel::new();
    let signals = SignalWatch::start(&cancel).context("listening for Ctrl+C and SIGTERM")?;
    let server = crate::wiring::web::start_read_only(listener, config, snapshot, reader)?;
    let history = crate::history::describe(config);
    eprintln!("serving the history in {history} read-only: nothing is sampled or changed");
    tracing::info!(%history, "serving recorded history read-only; press Ctrl+C to stop");
    cancel.wait();
    signals.stop();
    // The reader thread ends with the server's state, its last holder.
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
