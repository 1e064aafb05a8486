//! Email: a subject from a template, a plain-text body and an HTML body with inline styles.

use std::fmt::Write as _;

use bandwatch_core::human::format_metric;
use bandwatch_core::AlertEvent;

use super::{
    batch_state, distinct_joined, escape_html, event_colour, headline, state_str, subject,
    top_severity,
};
use crate::error::{NotifyError, Result};

/// The subject template used when none is configured.
pub const DEFAULT_SUBJECT: &str = "[bandwatch] {severity} {state}: {rule} on {subject}";

/// A placeholder a subject template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Severity,
    Rule,
    Subject,
    Count,
    State,
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(Field),
}

/// A validated subject template with `{severity}`, `{rule}`, `{subject}`, `{count}`, `{state}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTemplate {
    parts: Vec<Part>,
}

impl Default for SubjectTemplate {
    fn default() -> Self {
        Self {
            parts: vec![
                Part::Text("[bandwatch] ".into()),
                Part::Field(Field::Severity),
                Part::Text(" ".into()),
                Part::Field(Field::State),
                Part::Text(": ".into()),
                Part::Field(Field::Rule),
                Part::Text(" on ".into()),
                Part::Field(Field::Subject),
            ],
        }
    }
}

impl SubjectTemplate {
    /// Parses and validates a template; `{{` and `}}` are literal braces.
    pub fn parse(template: &str) -> Result<Self> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = template.char_indices().peekable();
        while let Some((at, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|p| p.1) == Some('{') => {
                    rest.next();
                    text.push('{');
                }
                '}' if rest.peek().map(|p| p.1) == Some('}') => {
                    rest.next();
                    text.push('}');
                }
                '{' => {
                    let name: String = rest
                        .by_ref()
                        .map(|p| p.1)
                        .take_while(|c| *c != '}')
                        .collect();
                    let end = at + 1 + name.len();
                    if template.as_bytes().get(end) != Some(&b'}') {
                        return Err(unbalanced(template, at));
                    }
                    parts.push(Part::Text(std::mem::take(&mut text)));
                    parts.push(Part::Field(field(template, &name)?));
                }
                '}' => return Err(unbalanced(template, at)),
                c => text.push(c),
            }
        }
        parts.push(Part::Text(text));
        parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
        Ok(Self { parts })
    }

    /// The subject for a batch, on one line (control characters become spaces).
    pub fn render(&self, events: &[AlertEvent]) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => out.push_str(&field_value(*f, events)),
            }
        }
        out.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    }
}

fn unbalanced(template: &str, at: usize) -> NotifyError {
    NotifyError::UnbalancedBrace {
        template: template.to_string(),
        at,
    }
}

fn field(template: &str, name: &str) -> Result<Field> {
    match name.trim() {
        "severity" => Ok(Field::Severity),
        "rule" => Ok(Field::Rule),
        "subject" => Ok(Field::Subject),
        "count" => Ok(Field::Count),
        "state" => Ok(Field::State),
        _ => Err(NotifyError::UnknownPlaceholder {
            template: template.to_string(),
            name: name.to_string(),
        }),
    }
}

fn field_value(field: Field, events: &[AlertEvent]) -> String {
    match field {
        Field::Severity => top_severity(events)
            .map_or("", |s| s.as_str())
            .to_uppercase(),
        Field::Rule => distinct_joined(events, |e| e.rule.clone()),
        Field::Subject => distinct_joined(events, |e| subject(&e.series)),
        Field::Count => events.len().to_string(),
        Field::State => state_str(batch_state(events)).to_string(),
    }
}

/// What an email needs besides the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailSettings {
    /// The subject template.
    pub subject: SubjectTemplate,
    /// The dashboard's address, linked from every message when set.
    pub dashboard_url: Option<String>,
}

/// A rendered email: the subject and both bodies of a multipart/alternative message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// The subject line.
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part.
    pub html: String,
    /// Images the HTML shows by `cid:` (a summary's chart); none for alerts.
    pub inline: Vec<InlineImage>,
}

/// An image shown inside an email's HTML, sent as a part of its own with a Content-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    /// The Content-ID the HTML refers to as `cid:…` (without angle brackets).
    pub cid: String,
    /// The MIME type, `image/png`.
    pub content_type: String,
    /// The image's bytes.
    pub data: Vec<u8>,
}

/// Renders one batch as an email.
pub fn render_email(events: &[AlertEvent], settings: &EmailSettings) -> EmailMessage {
    EmailMessage {
        subject: settings.subject.render(events),
        text: text_body(events, settings.dashboard_url.as_deref()),
        html: html_body(events, settings.dashboard_url.as_deref()),
        inline: Vec::new(),
    }
}

/// The facts of one event as (label, value) pairs, shared by both bodies.
fn facts(event: &AlertEvent) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Value", format_metric(&event.series.metric, event.value)),
        (
            "Limit or baseline",
            format_metric(&event.series.metric, event.reference),
        ),
        ("Series", event.series.to_string()),
        ("Started", event.started.to_rfc3339()),
        ("Event at", event.at.to_rfc3339()),
    ];
    if let Some(ended) = event.ended {
        out.push(("Ended", ended.to_rfc3339()));
    }
    out.push(("Alert id", event.id.clone()));
    out
}

/// The text/plain body.
pub fn text_body(events: &[AlertEvent], dashboard_url: Option<&str>) -> String {
    let mut out = String::new();
    for event in events {
        let _ = writeln!(out, "{}", headline(event));
        let _ = writeln!(out, "  {}", event.message);
        for (label, value) in facts(event) {
            let _ = writeln!(out, "  {label}: {value}");
        }
        out.push('\n');
    }
    if let Some(url) = dashboard_url {
        let _ = writeln!(out, "Dashboard: {url}");
    }
    out
}

/// The text/html body: one colour-coded card per event, every value escaped.
pub fn html_body(events: &[AlertEvent], dashboard_url: Option<&str>) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html><body style=\"margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#212121;background:#fafafa\">\n",
    );
    for event in events {
        out.push_str(&html_card(event));
    }
    if let Some(url) = dashboard_url {
        let _ = writeln!(
            out,
            "<p style=\"margin:16px 0 0\"><a href=\"{}\" style=\"color:#1565c0\">Open the bandwatch dashboard</a></p>",
            escape_html(url)
        );
    }
    out.push_str("</body></html>\n");
    out
}

fn html_card(event: &AlertEvent) -> String {
    let colour = event_colour(event);
    let mut out = format!(
        "<div style=\"margin:0 0 12px;padding:12px;border-left:6px solid {colour};background:#ffffff\">\n\
         <p style=\"margin:0 0 8px;font-size:16px\"><span style=\"display:inline-block;padding:2px 8px;border-radius:4px;background:{colour};color:#ffffff;font-weight:bold\">{}</span> <strong>{}</strong></p>\n\
         <p style=\"margin:0 0 8px\">{}</p>\n<table style=\"border-collapse:collapse;font-size:14px\">\n",
        escape_html(&badge(event)),
        escape_html(&format!("{} on {}", event.rule, subject(&event.series))),
        escape_html(&event.message),
    );
    for (label, value) in facts(event) {
        let _ = writeln!(
            out,
            "<tr><td style=\"padding:2px 12px 2px 0;color:#616161\">{label}</td><td style=\"padding:2px 0\">{}</td></tr>",
            escape_html(&value)
        );
    }
    out.push_str("</table>\n</div>\n");
    out
}

fn badge(event: &AlertEvent) -> String {
    format!(
        "{} {}",
        event.severity.as_str().to_uppercase(),
        event.kind.as_str()
    )
}
