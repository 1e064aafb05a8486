//! `bandwatch config check`: the effective configuration as a config file, each value
//! annotated with where it came from, secrets redacted. The output is itself a valid config
//! that reads back to the same configuration: each table once, the rules, probe targets and
//! channels in full. Secrets never appear: a secret key is written as a comment naming where
//! it is set (the environment gives it again), and a secret a channel needs to be valid is
//! written as `"***"` (a URL keeps its scheme and host), to be put back by hand.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::key::{KeyDef, Show, Value};
use super::keys;
use super::notify::{ChannelKind, ChannelSpec, NotifyConfig, DEFAULT_CHANNEL_TIMEOUT};
use super::origin::{Origin, Setting};
use super::probe::TargetTable;
use super::Resolved;

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
    // Section by section, so a table is written once even if its keys were not declared
    // together.
    for section in keys::SECTIONS {
        let in_section: Vec<&KeyDef> = keys::ALL
            .iter()
            .copied()
            .filter(|k| k.section() == *section)
            .collect();
        if in_section.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n[{section}]");
        for key in in_section {
            render_key(&mut out, key, resolved.values.get(key.name));
        }
        if *section == "probe" {
            render_targets(&mut out, &c.probe);
        }
        if *section == "devices" {
            render_devices(&mut out, &c.devices);
        }
    }
    render_rules(&mut out, &c.rules);
    render_caps(&mut out, &c.caps);
    render_notify(&mut out, &c.notify);
    render_reports(&mut out, &c.reports);
    terminal_safe(&out)
}

fn render_key(out: &mut String, key: &KeyDef, setting: Option<&Setting<Value>>) {
    let Some(s) = setting else {
        let _ = writeln!(out, "# {} is not set", key.field());
        return;
    };
    match (key.show, &s.value) {
        (Show::Secret, _) => {
            let _ = writeln!(
                out,
                "# {} = \"***\"  # set by {}; hidden, so give it there (or here) again",
                key.field(),
                s.origin
            );
        }
        (Show::RedactedUrl, Value::Text(url)) if super::export::redact_url(url) != *url => {
            let _ = writeln!(
                out,
                "{} = {}  # {}; the password is hidden: put it back",
                key.field(),
                quote(&super::export::redact_url(url)),
                s.origin
            );
        }
        (_, value) => {
            let _ = writeln!(out, "{} = {}  # {}", key.field(), shown(value), s.origin);
        }
    }
}

/// `text` with any control character left outside a quoted value (in a comment: a path,
/// a target spec) escaped, line by line so the lines stay.
fn terminal_safe(text: &str) -> String {
    text.split('\n')
        .map(bandwatch_core::human::escape_control)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A raw value as TOML.
fn shown(value: &Value) -> String {
    match value {
        Value::Number(v) => float(*v),
        Value::Whole(v) => v.to_string(),
        Value::Switch(v) => v.to_string(),
        Value::Text(v) => quote(v),
        Value::Path(v) => quote(&v.display().to_string()),
        Value::List(v) => list(v),
        Value::Targets(v) => {
            let items: Vec<String> = v.iter().map(|t| target(&t.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Known(v) => {
            let items: Vec<String> = v
                .iter()
                .map(|d| super::devices::known_table(&d.value))
                .collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// One probe target as written: its spec, or an inline table with every field it set.
fn target(t: &TargetTable) -> String {
    let mut fields = vec![format!("target = {}", quote(&t.target))];
    let mut text = |name: &str, v: &Option<String>| {
        if let Some(v) = v {
            fields.push(format!("{name} = {}", quote(v)));
        }
    };
    text("name", &t.name);
    text("interval", &t.interval);
    text("timeout", &t.timeout);
    text("rtt_limit", &t.rtt_limit);
    if let Some(c) = t.count {
        fields.push(format!("count = {c}"));
    }
    if let Some(l) = t.loss_limit {
        fields.push(format!("loss_limit = {}", float(l)));
    }
    if let Some(v) = t.tls_verify {
        fields.push(format!("tls_verify = {v}"));
    }
    if fields.len() == 1 {
        quote(&t.target)
    } else {
        format!("{{ {} }}", fields.join(", "))
    }
}

/// One comment line per probe target with the schedule and limits it ends up with.
/// Comment lines with what the devices source and rules end up with: the mode, the leases
/// file, and each known device's limits (the registry file's and the tables').
fn render_devices(out: &mut String, d: &super::devices::DevicesSettings) {
    let leases = d
        .leases_path(Path::exists)
        .map_or_else(|| "none".to_string(), |p| p.display().to_string());
    let _ = writeln!(
        out,
        "# devices: enabled {}, backend {}, leases file {leases}",
        d.mode.as_str(),
        d.backend.as_str()
    );
    // The spike window does not show here; any will do.
    let rules = d.rule_settings(1);
    let limits = |bytes: f64, secs: f64| {
        format!(
            "at most {} bytes within {}, active at most {}",
            float(bytes),
            span(rules.threshold_window),
            span(Duration::from_secs_f64(secs))
        )
    };
    for dev in d.registry.devices() {
        let label = super::devices::device_label(dev.name.as_deref(), dev.mac, dev.ip);
        let _ = writeln!(
            out,
            "# device {}: {}",
            quote(&label),
            limits(
                rules
                    .thresholds
                    .get(&label)
                    .copied()
                    .unwrap_or(rules.default_threshold),
                rules
                    .max_active
                    .get(&label)
                    .copied()
                    .unwrap_or(rules.default_max_active.as_secs_f64())
            )
        );
    }
    let _ = writeln!(
        out,
        "# every other device: {}",
        limits(
            rules.default_threshold,
            rules.default_max_active.as_secs_f64()
        )
    );
}

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

/// The user's `[[rules]]`, every field as given (the built-in rules are not written: they
/// come from the keys above).
fn render_rules(out: &mut String, rules: &[bandwatch_engine::RuleSpec]) {
    #[derive(serde::Serialize)]
    struct Rules<'a> {
        rules: &'a [bandwatch_engine::RuleSpec],
    }
    if rules.is_empty() {
        return;
    }
    match toml::to_string(&Rules { rules }) {
        Ok(text) => {
            let _ = write!(out, "\n{text}");
        }
        Err(e) => {
            // A checked rule always serialises; say so rather than write half a file.
            let _ = writeln!(out, "\n# the rules could not be written: {e}");
        }
    }
}

/// Each `[[caps]]` table with every field, defaults written out.
fn render_caps(out: &mut String, caps: &[super::caps::CapConfig]) {
    use bandwatch_agent::caps::CapTarget;
    use bandwatch_core::calendar::Period;
    for c in caps {
        let s = &c.spec;
        let _ = writeln!(out, "\n[[caps]]\nname = {}", quote(&s.name));
        match &s.target {
            CapTarget::Interface(i) => {
                let _ = writeln!(out, "interface = {}", quote(i));
            }
            CapTarget::Device(d) => {
                let _ = writeln!(out, "device = {}", quote(d));
            }
        }
        let _ = writeln!(
            out,
            "limit = {}  # {}",
            s.limit,
            bandwatch_core::units::Bytes(s.limit)
        );
        let _ = writeln!(out, "direction = \"{}\"", s.direction.as_str());
        match s.period {
            Period::Month { billing_day } => {
                let _ = writeln!(out, "period = \"month\"\nbilling_day = {billing_day}");
            }
            Period::Week => out.push_str("period = \"week\"\n"),
            _ => out.push_str("period = \"day\"\n"),
        }
        let steps: Vec<String> = c.alerts.steps.iter().map(|v| float(*v)).collect();
        let _ = writeln!(out, "steps = [{}]", steps.join(", "));
        let _ = writeln!(out, "forecast_alert = {}", c.alerts.forecast);
        if let Some(sev) = c.alerts.severity {
            let _ = writeln!(out, "severity = \"{sev}\"");
        }
    }
}

/// Each `[[reports]]` table with its schedule in full and its channels.
fn render_reports(out: &mut String, reports: &[super::reports::ReportConfig]) {
    for r in reports {
        let channels: Vec<String> = r.channels.iter().map(|c| quote(c)).collect();
        let _ = writeln!(
            out,
            "\n[[reports]]\nname = {}\nschedule = {}\nchannels = [{}]",
            quote(&r.name),
            quote(&r.schedule.describe()),
            channels.join(", ")
        );
    }
}

/// `[notify]` and the channels, every field given; credentials are `"***"` and URLs (which
/// carry tokens) keep only their scheme and host.
fn render_notify(out: &mut String, n: &NotifyConfig) {
    let _ = writeln!(out, "\n[notify]");
    let _ = writeln!(out, "group_window = {}", quote(&span(n.group_window)));
    let _ = writeln!(out, "group_wait = {}", quote(&span(n.group_wait)));
    let _ = writeln!(out, "send_resolved = {}", n.send_resolved);
    let _ = writeln!(out, "retry_base = {}", quote(&span(n.retry_base)));
    let _ = writeln!(out, "retry_max = {}", quote(&span(n.retry_max)));
    if let Some(url) = &n.dashboard_url {
        let _ = writeln!(out, "dashboard_url = {}", quote(url));
    }
    let from_key = |c: &&Setting<ChannelSpec>| is_url_notify(&c.value);
    for ch in n.channels.iter().filter(|c| from_key(c)) {
        let _ = writeln!(
            out,
            "url_notify = {}  # {}; hidden past the host: put it back",
            quote(&hidden_url(ch.value.url.as_deref().unwrap_or_default())),
            ch.origin
        );
    }
    for ch in n.channels.iter().filter(|c| !from_key(c)) {
        render_channel(out, ch);
    }
}

/// Whether `c` is the channel `[notify] url_notify` stands for: a webhook of that name with
/// nothing but its URL.
fn is_url_notify(c: &ChannelSpec) -> bool {
    c.name == "url_notify"
        && c.kind == ChannelKind::Webhook
        && c.url.is_some()
        && c.secret.is_none()
        && c.headers.is_empty()
        && c.matchers.is_empty()
        && c.min_severity.is_none()
        && c.send_resolved.is_none()
        && c.timeout == DEFAULT_CHANNEL_TIMEOUT
}

fn render_channel(out: &mut String, ch: &Setting<ChannelSpec>) {
    let c = &ch.value;
    // The seed tool's email channel comes from its variables, which give it again; written
    // as a table as well, it would be a second channel of the same name.
    let from_env = matches!(ch.origin, Origin::Env(_) | Origin::DotEnv(_));
    let prefix = if from_env { "# " } else { "" };
    let mut lines: Vec<String> = Vec::new();
    let mut push = |line: String| lines.push(line);
    push(format!("name = {}", quote(&c.name)));
    push(format!("type = {}", quote(c.kind.as_str())));
    if let Some(s) = c.min_severity {
        push(format!("min_severity = {}", quote(s.as_str())));
    }
    if let Some(v) = c.send_resolved {
        push(format!("send_resolved = {v}"));
    }
    if c.timeout != DEFAULT_CHANNEL_TIMEOUT {
        push(format!("timeout = {}", quote(&span(c.timeout))));
    }
    if let Some(url) = &c.url {
        push(format!(
            "url = {}  # hidden past the host: put it back",
            quote(&hidden_url(url))
        ));
    }
    if let Some(_secret) = &c.secret {
        push("secret = \"***\"  # hidden: put it back".into());
    }
    let texts = [
        ("server", &c.server),
        ("username", &c.username),
        ("from", &c.from),
        ("subject", &c.subject),
        ("chat_id", &c.chat_id),
        ("host", &c.host),
        ("prefix", &c.prefix),
        ("client_id", &c.client_id),
    ];
    for (name, value) in texts {
        if let Some(v) = value {
            push(format!("{name} = {}", quote(v)));
        }
    }
    if let Some(p) = c.port {
        push(format!("port = {p}"));
    }
    if c.kind == ChannelKind::Email {
        push(format!("tls = {}", quote(c.tls.as_str())));
        push(format!("to = {}", list(&c.to)));
    }
    if let Some(v) = c.allow_plain {
        push(format!("allow_plain = {v}"));
    }
    if let Some(v) = c.discovery {
        push(format!("discovery = {v}"));
    }
    for (name, value) in [("password", &c.password), ("bot_token", &c.bot_token)] {
        if value.is_some() {
            push(format!("{name} = \"***\"  # hidden: put it back"));
        }
    }
    if !c.matchers.is_empty() {
        let pairs: Vec<String> = c
            .matchers
            .iter()
            .map(|(k, v)| format!("{} = {}", quote(k), quote(v)))
            .collect();
        push(format!("match = {{ {} }}", pairs.join(", ")));
    }
    if !c.headers.is_empty() {
        let pairs: Vec<String> = c
            .headers
            .keys()
            .map(|k| format!("{} = \"***\"", quote(k)))
            .collect();
        push(format!(
            "headers = {{ {} }}  # values hidden: put them back",
            pairs.join(", ")
        ));
    }
    let _ = writeln!(out, "\n{prefix}[[notify.channels]]  # {}", ch.origin);
    if from_env {
        let _ = writeln!(
            out,
            "# (made from the environment, which gives it again; not written as a table)"
        );
    }
    for line in lines {
        let _ = writeln!(out, "{prefix}{line}");
    }
}

/// A URL with everything after its host hidden (webhook URLs carry their token in the
/// path), still a valid `http(s)://host/…` address.
pub(crate) fn hidden_url(url: &str) -> String {
    let redacted = super::export::redact_url(url);
    match redacted.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}/***")
        }
        None => "***".to_string(),
    }
}

/// A number as TOML writes a float (`50.0`, `0.5`).
pub(crate) fn float(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

/// `s` as a TOML basic string. Control characters and line separators are written as
/// escapes, which keeps the output valid TOML and keeps them away from the terminal.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defect: a value holding ESC or a newline was written raw, so `config check`
    /// drove the terminal and printed invalid TOML.
    #[test]
    fn quoted_values_are_valid_toml_without_raw_controls() {
        for s in [
            "plain",
            "back\\slash \"quoted\"",
            "e\u{1b}[31mx",
            "two\nlines\r\n",
            "tab\tbell\u{7}del\u{7f}c1\u{9b}",
            "u\u{2028}x\u{2029}",
            "",
        ] {
            let q = quote(s);
            assert!(
                !q.chars()
                    .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')),
                "{q}"
            );
            let doc: toml::Table = toml::from_str(&format!("v = {q}")).expect("valid TOML");
            assert_eq!(doc["v"].as_str(), Some(s), "{q}");
        }
    }

    #[test]
    fn comments_are_made_terminal_safe_line_by_line() {
        assert_eq!(
            terminal_safe("a = 1  # ./e\u{1b}x.toml line 1\nb = 2\n"),
            "a = 1  # ./e\\u{1b}x.toml line 1\nb = 2\n"
        );
    }
}
