//! `bandwatch config check`: the effective configuration as TOML, each value annotated
//! with where it came from, secrets redacted.

use std::fmt::Write as _;

use super::keys::{self, Key};
use super::{OutputMode, Resolved};

/// Renders the effective configuration.
pub fn render(resolved: &Resolved) -> String {
    let c = &resolved.config;
    let mut out = String::new();
    match &resolved.file {
        Some(f) => {
            let _ = writeln!(out, "# effective configuration (file: {})", f.display());
        }
        None => out.push_str(
            "# effective configuration (no config file found; defaults, environment and flags)\n",
        ),
    }
    let entries = entries(c);
    let mut section = "";
    for (key, value) in entries {
        let (sec, name) = key.file.split_once('.').unwrap_or(("", key.file));
        if sec != section {
            let _ = writeln!(out, "\n[{sec}]");
            section = sec;
        }
        match value {
            Some(v) => {
                let shown = if key.secret { quote("***") } else { v };
                let origin = resolved
                    .origins
                    .get(key.file)
                    .map_or_else(String::new, ToString::to_string);
                let _ = writeln!(out, "{name} = {shown}  # {origin}");
            }
            None => {
                let _ = writeln!(out, "# {name} is not set");
            }
        }
    }
    render_targets(&mut out, &c.probe);
    render_notify(&mut out, &c.notify);
    out
}

/// One comment line per probe target with the schedule and limits it ends up with.
fn render_targets(out: &mut String, p: &super::probe::ProbeSettings) {
    for t in &p.targets {
        let mut line = format!(
            "# target {} = {}: every {}, {} probes, timeout {}",
            quote(&t.target.name),
            t.spec,
            span(t.interval),
            t.count,
            span(t.timeout)
        );
        if let Some(l) = t.rtt_limit {
            let _ = write!(line, ", rtt limit {}", span(l));
        }
        if let Some(l) = t.loss_limit {
            let _ = write!(line, ", loss limit {}%", float(l));
        }
        let _ = writeln!(out, "{line}");
    }
}

fn span(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// Every key with its rendered value (`None`: not set).
fn entries(c: &super::Config) -> Vec<(Key, Option<String>)> {
    let output = match c.output {
        OutputMode::Console => "console",
        OutputMode::Json => "json",
        OutputMode::Quiet => "quiet",
    };
    let mut entries = vec![
        (
            keys::INTERVAL,
            Some(float(c.monitor.interval.as_secs_f64())),
        ),
        (
            keys::DURATION,
            c.monitor.duration.map(|d| float(d.as_secs_f64())),
        ),
        (keys::INTERFACES, Some(list(&c.monitor.interfaces))),
        (keys::EXCLUDE, Some(list(&c.monitor.exclude))),
        (
            keys::LOOPBACK_IN_TOTAL,
            Some(c.monitor.loopback_in_total.to_string()),
        ),
        (keys::UPLOAD, Some(float(c.thresholds.upload_bps / 1e6))),
        (keys::DOWNLOAD, Some(float(c.thresholds.download_bps / 1e6))),
        (
            keys::COOLDOWN,
            Some(quote(
                &humantime::format_duration(c.thresholds.cooldown).to_string(),
            )),
        ),
        (keys::CPU, Some(float(c.thresholds.cpu_percent))),
        (keys::MEMORY, Some(float(c.thresholds.memory_percent))),
        (keys::DISK, Some(float(c.thresholds.disk_percent))),
        (keys::OUTPUT, Some(quote(output))),
        (keys::DB, Some(quote(&c.store.path.display().to_string()))),
        (
            keys::RAW_RETENTION,
            Some(quote(
                &humantime::format_duration(c.store.raw_retention).to_string(),
            )),
        ),
        (
            keys::MINUTE_RETENTION,
            Some(quote(
                &humantime::format_duration(c.store.minute_retention).to_string(),
            )),
        ),
        (
            keys::HOUR_RETENTION,
            Some(quote(
                &humantime::format_duration(c.store.hour_retention).to_string(),
            )),
        ),
        (
            keys::FLUSH_INTERVAL,
            Some(quote(
                &humantime::format_duration(c.store.flush_interval).to_string(),
            )),
        ),
        (keys::LOG_LEVEL, Some(quote(&c.log.level))),
        (
            keys::LOG_FILE,
            c.log.file.as_ref().map(|p| quote(&p.display().to_string())),
        ),
        (
            keys::PROC_ROOT,
            Some(quote(&c.paths.proc_root.display().to_string())),
        ),
        (
            keys::SYS_ROOT,
            Some(quote(&c.paths.sys_root.display().to_string())),
        ),
        (keys::SYSTEM_ENABLED, Some(c.system.enabled.to_string())),
        (keys::SYSTEM_INTERVAL, Some(quote(&span(c.system.interval)))),
    ];
    entries.extend(probe_entries(&c.probe));
    entries.extend(export_entries(c));
    entries.extend([
        (keys::WEB_ENABLED, Some(c.web.enabled.to_string())),
        (keys::WEB_LISTEN, Some(quote(&c.web.listen.to_string()))),
        (keys::WEB_TOKEN, c.web.token.as_ref().map(|_| quote("***"))),
        (
            keys::WEB_AUTO_REFRESH,
            Some(quote(
                &humantime::format_duration(c.web.auto_refresh).to_string(),
            )),
        ),
    ]);
    entries
}

fn export_entries(c: &super::Config) -> Vec<(Key, Option<String>)> {
    use super::export::InfluxApi;
    let i = &c.influxdb;
    let (token, org, database, username, password) = match &i.api {
        Some(InfluxApi::V2 { org, .. }) => {
            (Some(String::new()), Some(quote(org)), None, None, None)
        }
        Some(InfluxApi::V1 {
            database,
            username,
            password,
        }) => (
            None,
            None,
            Some(quote(database)),
            username.as_deref().map(quote),
            password.as_ref().map(|_| String::new()),
        ),
        None => (None, None, None, None, None),
    };
    let bucket = match &i.api {
        Some(InfluxApi::V2 { bucket, .. }) => quote(bucket),
        _ => quote("network_metrics"),
    };
    vec![
        (
            keys::STORE_URL,
            c.store
                .url
                .as_deref()
                .map(|u| quote(&super::export::redact_url(u))),
        ),
        (keys::STORE_OPTIONAL, Some(c.store.optional.to_string())),
        (keys::PROMETHEUS, Some(c.prometheus.enabled.to_string())),
        (
            keys::PROMETHEUS_PORT,
            Some(c.prometheus.addr.port().to_string()),
        ),
        (
            keys::PROMETHEUS_BIND,
            Some(quote(&c.prometheus.addr.ip().to_string())),
        ),
        (keys::INFLUXDB, Some(i.enabled.to_string())),
        (keys::INFLUXDB_URL, Some(quote(&i.url))),
        (keys::INFLUXDB_TOKEN, token),
        (keys::INFLUXDB_ORG, org),
        (keys::INFLUXDB_BUCKET, Some(bucket)),
        (keys::INFLUXDB_DATABASE, database),
        (keys::INFLUXDB_USERNAME, username),
        (keys::INFLUXDB_PASSWORD, password),
        (
            keys::INFLUXDB_BUFFER_DIR,
            Some(quote(&i.buffer_dir.display().to_string())),
        ),
        (
            keys::INFLUXDB_BUFFER_MB,
            Some(float(i.buffer_max_bytes as f64 / 1024.0 / 1024.0)),
        ),
    ]
}

fn probe_entries(p: &super::probe::ProbeSettings) -> Vec<(Key, Option<String>)> {
    let specs: Vec<String> = p.targets.iter().map(|t| t.spec.clone()).collect();
    vec![
        (keys::PROBE_TARGETS, Some(list(&specs))),
        (keys::PROBE_INTERVAL, Some(quote(&span(p.interval)))),
        (keys::PROBE_TIMEOUT, Some(quote(&span(p.timeout)))),
        (keys::PROBE_COUNT, Some(p.count.to_string())),
        (keys::PROBE_DOWN_AFTER, Some(p.down_after.to_string())),
        (keys::PROBE_FLAP_CHANGES, Some(p.flap_changes.to_string())),
        (keys::PROBE_FLAP_WINDOW, Some(quote(&span(p.flap_window)))),
        (keys::PROBE_RTT_LIMIT, p.rtt_limit.map(|d| quote(&span(d)))),
        (keys::PROBE_LOSS_LIMIT, p.loss_limit.map(float)),
    ]
}

/// The notification channels: names, types and routes; credentials and URLs (which carry
/// tokens) are shown only as set or not.
fn render_notify(out: &mut String, n: &super::notify::NotifyConfig) {
    let _ = writeln!(out, "\n[notify]");
    let _ = writeln!(
        out,
        "group_window = {}",
        quote(&humantime::format_duration(n.group_window).to_string())
    );
    let _ = writeln!(out, "send_resolved = {}", n.send_resolved);
    for ch in &n.channels {
        let c = &ch.value;
        let set = |v: &Option<String>| if v.is_some() { "\"***\"" } else { "(not set)" };
        let _ = writeln!(out, "\n[[notify.channels]]  # {}", ch.origin);
        let _ = writeln!(out, "name = {}\ntype = {}", quote(&c.name), quote(&c.kind));
        if let Some(s) = c.min_severity {
            let _ = writeln!(out, "min_severity = {}", quote(s.as_str()));
        }
        match c.kind.as_str() {
            "email" => {
                let _ = writeln!(
                    out,
                    "server = {}\nport = {}",
                    quote(c.server.as_deref().unwrap_or_default()),
                    c.port.unwrap_or(587)
                );
                let _ = writeln!(
                    out,
                    "from = {}\nto = {}",
                    quote(c.from.as_deref().unwrap_or_default()),
                    list(&c.to)
                );
                let _ = writeln!(
                    out,
                    "username = {}\npassword = {}",
                    c.username
                        .as_deref()
                        .map_or_else(|| "(not set)".into(), quote),
                    set(&c.password)
                );
            }
            "mqtt" => {
                let _ = writeln!(
                    out,
                    "host = {}\nport = {}",
                    quote(c.host.as_deref().unwrap_or_default()),
                    c.port.unwrap_or(1883)
                );
                let _ = writeln!(
                    out,
                    "prefix = {}\npassword = {}",
                    quote(c.prefix.as_deref().unwrap_or("bandwatch")),
                    set(&c.password)
                );
            }
            "telegram" => {
                let _ = writeln!(
                    out,
                    "bot_token = {}\nchat_id = {}",
                    set(&c.bot_token),
                    quote(c.chat_id.as_deref().unwrap_or_default())
                );
            }
            _ => {
                let _ = writeln!(out, "url = {}", set(&c.url));
                if c.secret.is_some() {
                    let _ = writeln!(out, "secret = \"***\"");
                }
            }
        }
    }
}

fn float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn quote(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}
