//! `bandwatch config check`: the effective configuration as TOML, each value annotated
//! with where it came from, secrets redacted.

use std::fmt::Write as _;

use super::key::{KeyDef, Show, Value};
use super::keys;
use super::notify::{ChannelKind, TlsMode};
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
    let mut section = "";
    for key in keys::ALL {
        if key.section() != section {
            section = key.section();
            let _ = writeln!(out, "\n[{section}]");
        }
        match resolved.values.get(key.name) {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "{} = {}  # {}",
                    key.field(),
                    shown(key, &s.value),
                    s.origin
                );
            }
            None => {
                let _ = writeln!(out, "# {} is not set", key.field());
            }
        }
    }
    render_targets(&mut out, &c.probe);
    render_notify(&mut out, &c.notify);
    terminal_safe(&out)
}

/// `text` with any control character left outside a quoted value (in a comment: a path,
/// a target spec) escaped, line by line so the lines stay.
fn terminal_safe(text: &str) -> String {
    text.split('\n')
        .map(bandwatch_core::human::escape_control)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A raw value as TOML, secrets hidden.
fn shown(key: &KeyDef, value: &Value) -> String {
    match (key.show, value) {
        (Show::Secret, _) => quote("***"),
        (Show::RedactedUrl, Value::Text(url)) => quote(&super::export::redact_url(url)),
        (_, Value::Number(v)) => float(*v),
        (_, Value::Whole(v)) => v.to_string(),
        (_, Value::Switch(v)) => v.to_string(),
        (_, Value::Text(v)) => quote(v),
        (_, Value::Path(v)) => quote(&v.display().to_string()),
        (_, Value::List(v)) => list(v),
        (_, Value::Targets(v)) => {
            let specs: Vec<String> = v.iter().map(|t| t.value.target.clone()).collect();
            list(&specs)
        }
    }
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

/// The notification channels: names, types and routes; credentials and URLs (which carry
/// tokens) are shown only as set or not.
fn render_notify(out: &mut String, n: &super::notify::NotifyConfig) {
    let _ = writeln!(out, "\n[notify]");
    let _ = writeln!(
        out,
        "group_window = {}",
        quote(&humantime::format_duration(n.group_window).to_string())
    );
    let _ = writeln!(
        out,
        "group_wait = {}",
        quote(&humantime::format_duration(n.group_wait).to_string())
    );
    let _ = writeln!(out, "send_resolved = {}", n.send_resolved);
    for ch in &n.channels {
        let c = &ch.value;
        let set = |v: &Option<String>| if v.is_some() { "\"***\"" } else { "(not set)" };
        let _ = writeln!(out, "\n[[notify.channels]]  # {}", ch.origin);
        let _ = writeln!(
            out,
            "name = {}\ntype = {}",
            quote(&c.name),
            quote(c.kind.as_str())
        );
        if let Some(s) = c.min_severity {
            let _ = writeln!(out, "min_severity = {}", quote(s.as_str()));
        }
        match c.kind {
            ChannelKind::Email => {
                let port = c
                    .port
                    .unwrap_or(if c.tls == TlsMode::Implicit { 465 } else { 587 });
                let _ = writeln!(
                    out,
                    "server = {}\nport = {port}\ntls = {}",
                    quote(c.server.as_deref().unwrap_or_default()),
                    quote(c.tls.as_str())
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
            ChannelKind::Mqtt => {
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
            ChannelKind::Telegram => {
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

/// `s` as a TOML basic string. Control characters and line separators are written as
/// escapes, which keeps the output valid TOML and keeps them away from the terminal.
fn quote(s: &str) -> String {
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
