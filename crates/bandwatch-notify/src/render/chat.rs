//! Chat channels: Slack, Discord and Microsoft Teams incoming webhooks, and Telegram bots.
//!
//! Each payload is a `serde_json::Value` ready to POST. Every value that comes from the
//! network (interface and device names, messages) is escaped for the markup each one parses.

use std::fmt::Write as _;

use bandwatch_core::human::format_metric;
use bandwatch_core::{AlertEvent, AlertState, Severity};
use serde_json::{json, Value};

use super::{batch_title, colour_int, escape_html, event_colour, headline};

/// Discord shows at most this many embeds in one message.
pub const DISCORD_MAX_EMBEDS: usize = 10;

/// What chat messages need besides the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatSettings {
    /// The dashboard's address, linked from every message when set.
    pub dashboard_url: Option<String>,
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
pub fn escape_slack(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Escapes Discord markdown so names and messages show literally.
pub fn escape_discord(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '<' | '[' | ']' | '(' | ')' | '#' | '@'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The facts of one event as a single line of text (caller escapes).
fn detail(event: &AlertEvent) -> String {
    let mut out = format!(
        "{}\nValue {} (limit or baseline {}); started {}",
        event.message,
        format_metric(&event.series.metric, event.value),
        format_metric(&event.series.metric, event.reference),
        event.started.to_rfc3339()
    );
    if let Some(ended) = event.ended {
        let _ = write!(out, "; ended {}", ended.to_rfc3339());
    }
    out
}

/// A Slack incoming-webhook body: one coloured attachment per event.
pub fn slack_payload(events: &[AlertEvent], settings: &ChatSettings) -> Value {
    let attachments: Vec<Value> = events.iter().map(slack_attachment).collect();
    let mut text = escape_slack(&batch_title(events));
    if let Some(url) = &settings.dashboard_url {
        let _ = write!(text, " <{}|Dashboard>", escape_slack(url));
    }
    json!({ "text": text, "attachments": attachments })
}

fn slack_attachment(event: &AlertEvent) -> Value {
    json!({
        "color": event_colour(event),
        "fallback": escape_slack(&headline(event)),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*", escape_slack(&headline(event)))}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": escape_slack(&detail(event))}]}
        ]
    })
}

/// A Discord webhook body: one embed per event with an integer colour; mentions disabled.
pub fn discord_payload(events: &[AlertEvent], settings: &ChatSettings) -> Value {
    let embeds: Vec<Value> = events
        .iter()
        .take(DISCORD_MAX_EMBEDS)
        .map(|e| discord_embed(e, settings))
        .collect();
    let mut content = escape_discord(&batch_title(events));
    if events.len() > DISCORD_MAX_EMBEDS {
        let _ = write!(content, " (first {DISCORD_MAX_EMBEDS} shown)");
    }
    json!({ "content": content, "embeds": embeds, "allowed_mentions": {"parse": []} })
}

fn discord_embed(event: &AlertEvent, settings: &ChatSettings) -> Value {
    let mut embed = json!({
        "title": escape_discord(&headline(event)),
        "description": escape_discord(&detail(event)),
        "color": colour_int(event_colour(event)),
        "timestamp": event.at.to_rfc3339(),
    });
    if let Some(url) = &settings.dashboard_url {
        embed["url"] = json!(url);
    }
    embed
}

/// A Microsoft Teams (Workflows) webhook body: one Adaptive Card with a container per event.
pub fn teams_payload(events: &[AlertEvent], settings: &ChatSettings) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
        "text": escape_html(&batch_title(events))
    })];
    body.extend(events.iter().map(teams_container));
    teams_message(&body, settings)
}

/// A Teams message holding one Adaptive Card with `body`, and the dashboard's link as an
/// action when there is one.
pub fn teams_message(body: &[Value], settings: &ChatSettings) -> Value {
    let mut card = json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    });
    if let Some(url) = &settings.dashboard_url {
        card["actions"] =
            json!([{"type": "Action.OpenUrl", "title": "Open dashboard", "url": url}]);
    }
    json!({
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]
    })
}

fn teams_container(event: &AlertEvent) -> Value {
    let style = match (event.state, event.severity) {
        (AlertState::Resolved, _) => "good",
        (_, Severity::Critical | Severity::High) => "attention",
        _ => "warning",
    };
    json!({
        "type": "Container", "style": style, "bleed": false,
        "items": [
            {"type": "TextBlock", "weight": "Bolder", "wrap": true, "text": escape_html(&headline(event))},
            {"type": "TextBlock", "wrap": true, "text": escape_html(&detail(event))}
        ]
    })
}

/// A Telegram `sendMessage` body with `parse_mode` HTML; all text escaped.
pub fn telegram_payload(events: &[AlertEvent], chat_id: &str, settings: &ChatSettings) -> Value {
    let mut text = format!("<b>{}</b>", escape_html(&batch_title(events)));
    for event in events {
        let _ = write!(
            text,
            "\n\n<b>{}</b>\n{}",
            escape_html(&headline(event)),
            escape_html(&detail(event))
        );
    }
    if let Some(url) = &settings.dashboard_url {
        let _ = write!(text, "\n\n<a href=\"{}\">Dashboard</a>", escape_html(url));
    }
    json!({
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    })
}
