//! The servers inside `run`: the dashboard and API, and the `/metrics` port. Both are bound
//! before anything is opened or written (an address the user chose that cannot be bound stops
//! the start with exit 2) and then started by `bandwatch-web` on threads it owns. The
//! dashboard reads the newest values from the shared snapshot, the stream from the agent's
//! [`Live`], and the history through the
//! store writer thread.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use anyhow::Context as _;
use bandwatch_core::{SinkBoard, Snapshot, SourceBoard, SystemClock};
use bandwatch_export::prometheus::Exporter;
use bandwatch_store::{StoreHandle, HOUR_MS};
use bandwatch_web::auth::AllowedHosts;
use bandwatch_web::server::WebServer;
use bandwatch_web::{History, Limits, Live, PageConfig, PageThresholds, WebState};

use crate::config::Config;
use crate::error::BadInput;
use bandwatch_core::SilenceMatcher;

/// Binds the `/metrics` port when it is on; a port in use is the user's to fix (exit 2).
pub fn bind_metrics(config: &Config) -> Result<Option<TcpListener>, BadInput> {
    if !config.prometheus.enabled {
        return Ok(None);
    }
    let addr = config.prometheus.addr;
    TcpListener::bind(addr).map(Some).map_err(|e| {
        BadInput(format!(
            "key 'prometheus.port': cannot listen on {addr} for /metrics: {e}; pick a free port with --prometheus-port (or BANDWATCH_PROMETHEUS_PORT)"
        ))
    })
}

/// Serves `/metrics` from `exporter` on `listener`.
pub fn start_metrics(
    listener: TcpListener,
    config: &Config,
    exporter: &Exporter,
) -> anyhow::Result<WebServer> {
    let server = bandwatch_web::metrics::start(listener, exporter.clone())
        .context("starting the /metrics server")?;
    tracing::info!(addr = %config.prometheus.addr, "serving Prometheus metrics at /metrics");
    Ok(server)
}

/// Binds the dashboard's address before anything is opened or written; `Ok(None)` when the
/// server is off, or when the default port is taken (said in the log: sampling matters more
/// than the page).
pub fn bind(config: &Config) -> anyhow::Result<Option<TcpListener>> {
    let w = &config.web;
    if !w.enabled {
        return Ok(None);
    }
    match TcpListener::bind(w.listen) {
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

/// Serves the dashboard and API on `listener` until the returned server is stopped.
pub fn start(
    listener: TcpListener,
    config: &Config,
    views: &Views,
    store: &StoreHandle,
) -> anyhow::Result<WebServer> {
    let parts = Parts {
        live: views.live.clone(),
        snapshot: views.snapshot.clone(),
        sources: views.sources.clone(),
        sinks: views.sinks.clone(),
        history: Arc::new(store.clone()),
        exporter: Some(views.exporter.clone()),
        devices: config
            .probe
            .targets
            .iter()
            .map(|t| t.target.name.clone())
            .collect(),
        probe_hosts: probe_hosts(config),
        read_only: false,
    };
    serve(listener, config, parts)
}

/// Serves a recorded history read-only on `listener` (`bandwatch serve`): values from
/// `snapshot` (the newest recorded ones), history from `history`, nothing live, no
/// `/metrics`.
pub fn start_read_only(
    listener: TcpListener,
    config: &Config,
    snapshot: Snapshot,
    history: Arc<dyn History>,
) -> anyhow::Result<WebServer> {
    let parts = Parts {
        live: Live::default(),
        snapshot,
        sources: SourceBoard::default(),
        sinks: SinkBoard::default(),
        history,
        exporter: None,
        devices: Arc::from(Vec::new()),
        probe_hosts: probe_hosts(config),
        read_only: true,
    };
    serve(listener, config, parts)
}

/// What a server shows that differs between the agent's and a read-only one.
struct Parts {
    live: Live,
    snapshot: Snapshot,
    sources: SourceBoard,
    sinks: SinkBoard,
    history: Arc<dyn History>,
    exporter: Option<Exporter>,
    devices: Arc<[String]>,
    probe_hosts: Arc<[(String, String)]>,
    read_only: bool,
}

/// Each ICMP and TCP target's name and host, so the API lists a probed LAN device once.
fn probe_hosts(config: &Config) -> Arc<[(String, String)]> {
    use bandwatch_collect::probe::ProbeKind;
    config
        .probe
        .targets
        .iter()
        .filter_map(|t| match &t.target.kind {
            ProbeKind::Icmp(host) | ProbeKind::Tcp { host, .. } => {
                Some((t.target.name.clone(), host.to_string()))
            }
            ProbeKind::Http { .. } => None,
        })
        .collect()
}

fn serve(listener: TcpListener, config: &Config, parts: Parts) -> anyhow::Result<WebServer> {
    let w = &config.web;
    let addr = listener.local_addr().unwrap_or(w.listen);
    let token = token(config, addr)?;
    let state = WebState {
        live: parts.live,
        snapshot: parts.snapshot,
        catalog: bandwatch_collect::catalog(),
        sources: parts.sources,
        sinks: parts.sinks,
        history: parts.history,
        page: Arc::new(page(config, token.is_some(), parts.read_only)),
        limits: limits(config),
        // The listener's own names, so a page on another name (DNS rebinding) is refused.
        allowed_hosts: AllowedHosts::new(addr, &w.allowed_hosts),
        token: token.clone().map(Arc::from),
        check_matcher: Arc::new(|m: &str| SilenceMatcher::parse(m).map(|_| ()).map_err(|e| e.0)),
        clock: Arc::new(SystemClock::new()),
        exporter: parts.exporter,
        devices: parts.devices,
        probe_hosts: parts.probe_hosts,
    };
    // Only a token bandwatch made up is shown, once: one the user chose is theirs already, and
    // printing it would put it in the journal under systemd.
    let shown = token.as_deref().filter(|_| config.web.token.is_none());
    announce(addr, shown, token.is_some());
    WebServer::start(listener, state).context("starting the dashboard thread")
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

/// Says where the page is on stderr (not in the log file, where a token would stay), with
/// the token when bandwatch generated it; a token the user set is only said to be needed.
fn announce(addr: SocketAddr, token: Option<&str>, required: bool) {
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
    if required && token.is_none() {
        eprintln!("dashboard: open it with the token you set (--web-token or BANDWATCH_WEB_TOKEN)");
    }
    tracing::info!(%addr, token = required, "serving the dashboard and API");
}

fn page(config: &Config, token_required: bool, read_only: bool) -> PageConfig {
    let t = &config.thresholds;
    PageConfig {
        version: env!("CARGO_PKG_VERSION").to_string(),
        host: host_name(config),
        interval_s: config.monitor.interval.as_secs_f64(),
        // Off keeps the default period for a page that is resumed by hand.
        auto_refresh_s: config
            .web
            .auto_refresh
            .unwrap_or(crate::config::web::DEFAULT_AUTO_REFRESH_PERIOD)
            .as_secs_f64(),
        auto_refresh: config.web.auto_refresh.is_some(),
        thresholds: PageThresholds {
            upload_bps: t.upload_bps,
            download_bps: t.download_bps,
            cpu_percent: t.cpu_percent,
            memory_percent: t.memory_percent,
            disk_percent: t.disk_percent,
        },
        raw_retention_s: config.store.raw_retention.as_secs(),
        token_required,
        read_only,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_refresh_off_tells_the_page_to_open_paused() {
        let on = crate::config::defaults();
        assert!(page(&on, false, false).auto_refresh);
        assert!((page(&on, false, false).auto_refresh_s - 2.0).abs() < f64::EPSILON);
        let off = crate::config::from_file_text(
            "[web]\nauto_refresh = false\n",
            std::path::Path::new("b.toml"),
        )
        .expect("valid");
        let p = page(&off, false, false);
        assert!(!p.auto_refresh);
        assert!(
            (p.auto_refresh_s - 2.0).abs() < f64::EPSILON,
            "kept for Resume"
        );
    }
}
