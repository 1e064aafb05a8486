//! The dashboard and API server inside `run`: bound before sampling starts (an address the
//! user chose that cannot be bound stops the start with exit 2), reading the newest values
//! from the shared snapshot, the stream from the agent's [`Live`], and the history through the
//! store writer thread.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use bandwatch_core::{SinkBoard, Snapshot, SourceBoard, SystemClock};
use bandwatch_export::prometheus::Exporter;
use bandwatch_store::{StoreHandle, HOUR_MS};
use bandwatch_web::{Limits, Live, PageConfig, PageThresholds, WebState};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::alerts::SilenceMatcher;
use crate::config::Config;
use crate::error::BadInput;

/// Binds the address before anything is opened or written; `Ok(None)` when the server is
/// off, or when the default port is taken (said in the log: sampling matters more than the
/// page).
pub async fn bind(config: &Config) -> anyhow::Result<Option<TcpListener>> {
    let w = &config.web;
    if !w.enabled {
        return Ok(None);
    }
    match bandwatch_web::bind(w.listen).await {
        Ok(l) => Ok(Some(l)),
        // Another program (or a second bandwatch) on the default port: sampling matters more
        // than the page. An address the user chose must work.
        Err(e) if w.listen.to_string() == crate::config::web::DEFAULT_LISTEN => {
            tracing::warn!(addr = %w.listen, error = %e, "the dashboard is not served: its default address is taken; choose another with --listen (or BANDWATCH_WEB_LISTEN)");
            Ok(None)
        }
        Err(e) => Err(BadInput(format!(
            "key 'web.listen': cannot listen on {} for the dashboard: {e}; pick a free port with --listen ADDR:PORT (or BANDWATCH_WEB_LISTEN), or turn it off with --no-web",
            w.listen
        ))
        .into()),
    }
}

/// What the agent shares with the page: the stream, the newest values, the boards and the
/// exporter (also served on the dashboard's port).
#[derive(Clone)]
pub struct Views {
    /// The live stream.
    pub live: Live,
    /// The newest value of every series.
    pub snapshot: Snapshot,
    /// What each source did.
    pub sources: SourceBoard,
    /// Each sink's counts.
    pub sinks: SinkBoard,
    /// The Prometheus exposition.
    pub exporter: Exporter,
}

/// Serves the dashboard and API on `listener` until `shutdown`.
pub fn start(
    listener: TcpListener,
    config: &Config,
    views: &Views,
    store: &StoreHandle,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let w = &config.web;
    let addr = listener.local_addr().unwrap_or(w.listen);
    let token = token(config, addr)?;
    let state = WebState {
        live: views.live.clone(),
        snapshot: views.snapshot.clone(),
        catalog: bandwatch_collect::catalog(),
        sources: views.sources.clone(),
        sinks: views.sinks.clone(),
        history: Arc::new(store.clone()),
        page: Arc::new(page(config, token.is_some())),
        limits: limits(config),
        token: token.clone().map(Arc::from),
        check_matcher: Arc::new(|m: &str| SilenceMatcher::parse(m).map(|_| ()).map_err(|e| e.0)),
        clock: Arc::new(SystemClock::new()),
        exporter: Some(views.exporter.clone()),
        devices: config
            .probe
            .targets
            .iter()
            .map(|t| t.target.name.clone())
            .collect(),
    };
    announce(addr, token.as_deref());
    // Its own thread and runtime: a flood of requests must not delay the sampling ticks,
    // which run on the main runtime.
    let listener = listener
        .into_std()
        .context("handing the dashboard socket to its thread")?;
    let stop = shutdown.clone();
    std::thread::Builder::new()
        .name("web".into())
        .spawn(move || serve_on_own_runtime(listener, state, stop))
        .context("starting the dashboard thread")?;
    Ok(())
}

fn serve_on_own_runtime(listener: std::net::TcpListener, state: WebState, stop: CancellationToken) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "the dashboard could not start its runtime");
            return;
        }
    };
    runtime.block_on(async move {
        let served = match TcpListener::from_std(listener) {
            Ok(l) => bandwatch_web::serve(l, state, async move { stop.cancelled().await }).await,
            Err(e) => Err(e),
        };
        if let Err(e) = served {
            tracing::error!(error = %e, "the dashboard server stopped");
        }
    });
}

/// The configured token; on a non-loopback address without one, a new one.
fn token(config: &Config, addr: SocketAddr) -> anyhow::Result<Option<String>> {
    if let Some(t) = &config.web.token {
        return Ok(Some(t.clone()));
    }
    if addr.ip().is_loopback() {
        return Ok(None);
    }
    let t = bandwatch_web::auth::generate_token().map_err(|e| {
        anyhow::anyhow!(
            "cannot make a dashboard token from the OS random source: {e}; set one with --web-token"
        )
    })?;
    Ok(Some(t))
}

/// Says where the page is, with the token when one is needed, on stderr (not in the log
/// file, where a token would stay).
fn announce(addr: SocketAddr, token: Option<&str>) {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    match token {
        Some(t) => eprintln!("dashboard: http://{host}:{}/?token={t}", addr.port()),
        None => eprintln!("dashboard: http://{host}:{}/", addr.port()),
    }
    tracing::info!(%addr, token = token.is_some(), "serving the dashboard and API");
}

fn page(config: &Config, token_required: bool) -> PageConfig {
    let t = &config.thresholds;
    PageConfig {
        version: env!("CARGO_PKG_VERSION").to_string(),
        host: host_name(config),
        interval_s: config.monitor.interval.as_secs_f64(),
        auto_refresh_s: config.web.auto_refresh.as_secs_f64(),
        thresholds: PageThresholds {
            upload_bps: t.upload_bps,
            download_bps: t.download_bps,
            cpu_percent: t.cpu_percent,
            memory_percent: t.memory_percent,
            disk_percent: t.disk_percent,
        },
        raw_retention_s: config.store.raw_retention.as_secs(),
        token_required,
    }
}

fn host_name(config: &Config) -> String {
    std::fs::read_to_string(config.paths.proc_root.join("sys/kernel/hostname"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "bandwatch".into())
}

fn limits(config: &Config) -> Limits {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    Limits {
        raw_ms: ms(config.store.raw_retention),
        minute_ms: ms(config.store.minute_retention),
        hour_ms: ms(config.store.hour_retention).max(HOUR_MS),
        interval_ms: ms(config.monitor.interval).max(1),
    }
}
