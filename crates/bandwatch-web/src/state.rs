//! What every handler shares: the live snapshot and stream, the metric catalogue, the source
//! and sink boards, the way to the history, the page settings, the names the server answers
//! to, the token and the clock. Built
//! once by the binary from the validated configuration.

use std::sync::Arc;

use bandwatch_core::{Catalog, Clock, SinkBoard, Snapshot, SourceBoard};
use serde::Serialize;

use crate::auth::AllowedHosts;
use crate::history::History;
use crate::live::Live;
use crate::query::Limits;

/// The limits the page draws threshold lines and gauge colours from, in base units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PageThresholds {
    /// Upload limit, bits per second.
    pub upload_bps: f64,
    /// Download limit, bits per second.
    pub download_bps: f64,
    /// CPU busy percent.
    pub cpu_percent: f64,
    /// Memory used percent.
    pub memory_percent: f64,
    /// Filesystem used percent.
    pub disk_percent: f64,
}

/// What `GET /api/v1/config` tells the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageConfig {
    /// bandwatch's version.
    pub version: String,
    /// This machine's name.
    pub host: String,
    /// Seconds between samples.
    pub interval_s: f64,
    /// Seconds between refreshes when the live stream is not available.
    pub auto_refresh_s: f64,
    /// Whether the page updates by itself; when false it opens paused (Resume starts it).
    pub auto_refresh: bool,
    /// The limits.
    pub thresholds: PageThresholds,
    /// Seconds of raw history.
    pub raw_retention_s: u64,
    /// Whether requests need the token.
    pub token_required: bool,
    /// Whether this server only shows recorded history (`bandwatch serve`): nothing is
    /// sampled, and acknowledging or silencing is refused.
    pub read_only: bool,
}

/// Checks a silence matcher the way the rest of bandwatch reads it; the message says why not.
pub type MatcherCheck = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct WebState {
    /// The stream of frames and alert transitions.
    pub live: Live,
    /// The newest value of every series (shared with the Prometheus exporter).
    pub snapshot: Snapshot,
    /// What every metric means; the page reads it from `/api/v1/catalog`.
    pub catalog: &'static Catalog,
    /// What each source did so far.
    pub sources: SourceBoard,
    /// Each sink's queue and counts.
    pub sinks: SinkBoard,
    /// The history.
    pub history: Arc<dyn History>,
    /// Page settings.
    pub page: Arc<PageConfig>,
    /// Retention and interval, for picking tiers.
    pub limits: Limits,
    /// The names the server answers to in `Host` and `Origin` (DNS-rebinding guard).
    pub allowed_hosts: AllowedHosts,
    /// The access token, when one is required.
    pub token: Option<Arc<str>>,
    /// Silence matcher validation.
    pub check_matcher: MatcherCheck,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The configured probe targets, listed before their first round.
    pub devices: Arc<[String]>,
    /// Each probe target's name and the host it probes (address or host name), so a target
    /// that probes a LAN device is listed as that device.
    pub probe_hosts: Arc<[(String, String)]>,
    /// The Prometheus snapshot, also served at `/metrics` here.
    pub exporter: Option<bandwatch_export::prometheus::Exporter>,
}
