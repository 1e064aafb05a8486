//! The TOML file layer: finding the file and reading it with line numbers kept.

use std::path::{Path, PathBuf};

use bandwatch_engine::RuleSpec;
use serde::Deserialize;
use toml::Spanned;

use super::error::ConfigError;
use super::layer::RawConfig;
use super::origin::{Origin, Setting};

/// The file as written, every value with its position.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    monitor: Option<MonitorSection>,
    thresholds: Option<ThresholdsSection>,
    output: Option<OutputSection>,
    store: Option<StoreSection>,
    log: Option<LogSection>,
    paths: Option<PathsSection>,
    rules: Option<Spanned<Vec<Spanned<RuleSpec>>>>,
    notify: Option<Spanned<super::notify::NotifySection>>,
    system: Option<SystemSection>,
    probe: Option<ProbeSection>,
    prometheus: Option<PrometheusSection>,
    influxdb: Option<InfluxSection>,
    web: Option<WebSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrometheusSection {
    enabled: Option<Spanned<bool>>,
    port: Option<Spanned<i64>>,
    bind: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebSection {
    enabled: Option<Spanned<bool>>,
    listen: Option<Spanned<String>>,
    token: Option<Spanned<String>>,
    auto_refresh: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfluxSection {
    enabled: Option<Spanned<bool>>,
    url: Option<Spanned<String>>,
    token: Option<Spanned<String>>,
    org: Option<Spanned<String>>,
    bucket: Option<Spanned<String>>,
    database: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    buffer_dir: Option<Spanned<PathBuf>>,
    buffer_max_mb: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SystemSection {
    enabled: Option<Spanned<bool>>,
    interval: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeSection {
    targets: Option<Spanned<Vec<Spanned<super::probe::TargetEntry>>>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    count: Option<Spanned<i64>>,
    down_after: Option<Spanned<i64>>,
    flap_changes: Option<Spanned<i64>>,
    flap_window: Option<Spanned<String>>,
    rtt_limit: Option<Spanned<String>>,
    loss_limit: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MonitorSection {
    interval: Option<Spanned<f64>>,
    duration: Option<Spanned<f64>>,
    interfaces: Option<Spanned<Vec<String>>>,
    exclude: Option<Spanned<Vec<String>>>,
    loopback_in_total: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsSection {
    upload_mbps: Option<Spanned<f64>>,
    download_mbps: Option<Spanned<f64>>,
    cooldown: Option<Spanned<String>>,
    cpu_percent: Option<Spanned<f64>>,
    memory_percent: Option<Spanned<f64>>,
    disk_percent: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputSection {
    format: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    path: Option<Spanned<PathBuf>>,
    raw_retention: Option<Spanned<String>>,
    minute_retention: Option<Spanned<String>>,
    hour_retention: Option<Spanned<String>>,
    flush_interval: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    optional: Option<Spanned<bool>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    level: Option<Spanned<String>>,
    file: Option<Spanned<PathBuf>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathsSection {
    proc_root: Option<Spanned<PathBuf>>,
    sys_root: Option<Spanned<PathBuf>>,
}

/// Which config file to read: the one given, or the first that exists of the usual places.
pub fn discover(
    given: Option<Setting<PathBuf>>,
    cwd: &Path,
    xdg_config_home: Option<PathBuf>,
) -> Option<Setting<PathBuf>> {
    if given.is_some() {
        return given;
    }
    let mut candidates = vec![cwd.join("bandwatch.toml")];
    if let Some(xdg) = xdg_config_home {
        candidates.push(xdg.join("bandwatch").join("config.toml"));
    }
    candidates.push(PathBuf::from("/etc/bandwatch/config.toml"));
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| Setting::new(p, Origin::Default))
}

/// Reads and parses the file into a layer.
pub fn load(file: &Setting<PathBuf>, cwd: &Path) -> Result<RawConfig, ConfigError> {
    let text =
        std::fs::read_to_string(cwd.join(&file.value)).map_err(|source| ConfigError::ReadFile {
            path: file.value.clone(),
            given_by: file.origin.clone(),
            source,
        })?;
    parse(&text, &shown(&file.value, cwd))
}

/// The path as a person would type it: files in the working directory as `./name`.
pub fn shown(path: &Path, cwd: &Path) -> PathBuf {
    match path.strip_prefix(cwd) {
        Ok(rel) => Path::new(".").join(rel),
        Err(_) => path.to_path_buf(),
    }
}

/// Parses file text into a layer; `path` is only used in messages and origins.
pub fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    let parsed: FileConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        ConfigError::File {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let at = |span: std::ops::Range<usize>| Origin::File {
        path: path.to_path_buf(),
        line: line_col(text, span.start).0,
    };
    let mut raw = RawConfig::default();
    let monitor = parsed.monitor.unwrap_or_default();
    raw.interval = monitor.interval.map(|s| take(s, &at));
    raw.duration = monitor.duration.map(|s| take(s, &at));
    raw.interfaces = monitor.interfaces.map(|s| take(s, &at));
    raw.exclude = monitor.exclude.map(|s| take(s, &at));
    raw.loopback_in_total = monitor.loopback_in_total.map(|s| take(s, &at));
    let thresholds = parsed.thresholds.unwrap_or_default();
    raw.upload_mbps = thresholds.upload_mbps.map(|s| take(s, &at));
    raw.download_mbps = thresholds.download_mbps.map(|s| take(s, &at));
    raw.cooldown = thresholds.cooldown.map(|s| take(s, &at));
    raw.cpu_percent = thresholds.cpu_percent.map(|s| take(s, &at));
    raw.memory_percent = thresholds.memory_percent.map(|s| take(s, &at));
    raw.disk_percent = thresholds.disk_percent.map(|s| take(s, &at));
    raw.output = parsed
        .output
        .unwrap_or_default()
        .format
        .map(|s| take(s, &at));
    let store = parsed.store.unwrap_or_default();
    raw.db_path = store.path.map(|s| take(s, &at));
    raw.raw_retention = store.raw_retention.map(|s| take(s, &at));
    raw.minute_retention = store.minute_retention.map(|s| take(s, &at));
    raw.hour_retention = store.hour_retention.map(|s| take(s, &at));
    raw.flush_interval = store.flush_interval.map(|s| take(s, &at));
    raw.store_url = store.url.map(|s| take(s, &at));
    raw.store_optional = store.optional.map(|s| take(s, &at));
    let log = parsed.log.unwrap_or_default();
    raw.log_level = log.level.map(|s| take(s, &at));
    raw.log_file = log.file.map(|s| take(s, &at));
    let paths = parsed.paths.unwrap_or_default();
    raw.proc_root = paths.proc_root.map(|s| take(s, &at));
    raw.sys_root = paths.sys_root.map(|s| take(s, &at));
    raw.rules = parsed.rules.map(|list| {
        let origin = at(list.span());
        let rules = list
            .into_inner()
            .into_iter()
            .map(|r| take(r, &at))
            .collect();
        Setting::new(rules, origin)
    });
    raw.notify = parsed.notify.map(|s| take(s, &at));
    let system = parsed.system.unwrap_or_default();
    raw.system_enabled = system.enabled.map(|s| take(s, &at));
    raw.system_interval = system.interval.map(|s| take(s, &at));
    probe_section(&mut raw, parsed.probe.unwrap_or_default(), &at);
    export_sections(
        &mut raw,
        parsed.prometheus.unwrap_or_default(),
        parsed.influxdb.unwrap_or_default(),
        &at,
    );
    let web = parsed.web.unwrap_or_default();
    raw.web_enabled = web.enabled.map(|s| take(s, &at));
    raw.web_listen = web.listen.map(|s| take(s, &at));
    raw.web_token = web.token.map(|s| take(s, &at));
    raw.web_auto_refresh = web.auto_refresh.map(|s| take(s, &at));
    Ok(raw)
}

fn probe_section(
    raw: &mut RawConfig,
    p: ProbeSection,
    at: &impl Fn(std::ops::Range<usize>) -> Origin,
) {
    raw.probe_targets = p.targets.map(|list| {
        let origin = at(list.span());
        let targets = list
            .into_inner()
            .into_iter()
            .map(|t| {
                let origin = at(t.span());
                Setting::new(t.into_inner().0, origin)
            })
            .collect();
        Setting::new(targets, origin)
    });
    raw.probe_interval = p.interval.map(|s| take(s, at));
    raw.probe_timeout = p.timeout.map(|s| take(s, at));
    raw.probe_count = p.count.map(|s| take(s, at));
    raw.probe_down_after = p.down_after.map(|s| take(s, at));
    raw.probe_flap_changes = p.flap_changes.map(|s| take(s, at));
    raw.probe_flap_window = p.flap_window.map(|s| take(s, at));
    raw.probe_rtt_limit = p.rtt_limit.map(|s| take(s, at));
    raw.probe_loss_limit = p.loss_limit.map(|s| take(s, at));
}

fn export_sections(
    raw: &mut RawConfig,
    p: PrometheusSection,
    i: InfluxSection,
    at: &impl Fn(std::ops::Range<usize>) -> Origin,
) {
    raw.prometheus = p.enabled.map(|s| take(s, at));
    raw.prometheus_port = p.port.map(|s| take(s, at));
    raw.prometheus_bind = p.bind.map(|s| take(s, at));
    raw.influxdb = i.enabled.map(|s| take(s, at));
    raw.influxdb_url = i.url.map(|s| take(s, at));
    raw.influxdb_token = i.token.map(|s| take(s, at));
    raw.influxdb_org = i.org.map(|s| take(s, at));
    raw.influxdb_bucket = i.bucket.map(|s| take(s, at));
    raw.influxdb_database = i.database.map(|s| take(s, at));
    raw.influxdb_username = i.username.map(|s| take(s, at));
    raw.influxdb_password = i.password.map(|s| take(s, at));
    raw.influxdb_buffer_dir = i.buffer_dir.map(|s| take(s, at));
    raw.influxdb_buffer_mb = i.buffer_max_mb.map(|s| take(s, at));
}

fn take<T>(s: Spanned<T>, at: &impl Fn(std::ops::Range<usize>) -> Origin) -> Setting<T> {
    let origin = at(s.span());
    Setting::new(s.into_inner(), origin)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_carry_their_line() {
        let raw = parse("[monitor]\n\ninterval = 0.5\n", Path::new("b.toml")).unwrap();
        let s = raw.interval.unwrap();
        assert!((s.value - 0.5).abs() < f64::EPSILON);
        assert_eq!(
            s.origin,
            Origin::File {
                path: PathBuf::from("b.toml"),
                line: 3
            }
        );
    }

    #[test]
    fn unknown_key_names_line() {
        let err = parse("[monitor]\nintervall = 1\n", Path::new("b.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("b.toml line 2"), "{msg}");
        assert!(msg.contains("intervall"), "{msg}");
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 0), (1, 1));
    }
}
