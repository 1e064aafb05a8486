//! Scheduled summaries in each channel's format. The summary arrives composed (title, text,
//! HTML, JSON, chart); these only fit it to a channel: email with the chart inline, chat
//! messages with the text in a monospaced block, cut to what each service accepts.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::chat::{escape_discord, escape_slack, teams_message, ChatSettings};
use super::email::{EmailMessage, InlineImage};
use super::escape_html;
use crate::summary::{Summary, CHART_CID};

/// Discord takes at most this many characters in an embed's description.
const DISCORD_DESCRIPTION: usize = 4096;
/// Telegram takes at most this many characters in a message.
const TELEGRAM_TEXT: usize = 4096;
/// Slack shows at most about this many characters of a message's text.
const SLACK_TEXT: usize = 39_000;
/// Teams cards above about 28 KB are refused; the text is kept well under that.
const TEAMS_TEXT: usize = 20_000;

/// `text` cut to at most `max` characters (counting the note), on a line boundary when
/// there is one, with a note that it was cut.
pub fn cut(text: &str, max: usize) -> String {
    const NOTE: &str = "\n… (cut short; the email, the webhook or `bandwatch analyze` has it all)";
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(NOTE.chars().count());
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let head = head.rfind('\n').map_or(head, |nl| &head[..nl]);
    format!("{head}{NOTE}")
}

/// The email: the summary's text and HTML, and its chart inline.
pub fn email(summary: &Summary) -> EmailMessage {
    EmailMessage {
        subject: one_line(&summary.title),
        text: summary.text.clone(),
        html: summary.html.clone(),
        inline: summary
            .chart_png
            .iter()
            .map(|png| InlineImage {
                cid: CHART_CID.to_string(),
                content_type: "image/png".to_string(),
                data: png.clone(),
            })
            .collect(),
    }
}

/// A Slack message: the title in bold and the text in a code block.
pub fn slack(summary: &Summary, settings: &ChatSettings) -> Value {
    let mut text = format!("*{}*", escape_slack(&summary.title));
    if let Some(url) = &settings.dashboard_url {
        let _ = write!(text, " <{}|Dashboard>", escape_slack(url));
    }
    let budget = SLACK_TEXT.saturating_sub(text.chars().count() + 8);
    let _ = write!(
        text,
        "\n```\n{}\n```",
        cut(&escape_slack(&summary.text), budget)
    );
    json!({ "text": text })
}

/// A Discord message: the title as the content, the text in an embed's code block.
pub fn discord(summary: &Summary, settings: &ChatSettings) -> Value {
    // Inside a code block Discord shows text literally, except a closing fence.
    let body = summary.text.replace("```", "'''");
    let mut embed = json!({
        "title": escape_discord(&one_line(&summary.title)),
        "description": format!("```\n{}\n```", cut(&body, DISCORD_DESCRIPTION - 8)),
    });
    if let Some(url) = &settings.dashboard_url {
        embed["url"] = json!(url);
    }
    json!({
        "content": escape_discord(&one_line(&summary.title)),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    })
}

/// A Microsoft Teams message: an Adaptive Card with the title and the text in a monospaced block.
pub fn teams(summary: &Summary, settings: &ChatSettings) -> Value {
    let body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true,
               "text": escape_html(&one_line(&summary.title))}),
        json!({"type": "TextBlock", "wrap": true, "fontType": "Monospace",
               "text": escape_html(&cut(&summary.text, TEAMS_TEXT))}),
    ];
    teams_message(&body, settings)
}

/// A Telegram `sendMessage` body: the title in bold and the text preformatted (HTML mode).
pub fn telegram(summary: &Summary, chat_id: &str, settings: &ChatSettings) -> Value {
    let title = format!("<b>{}</b>\n", escape_html(&one_line(&summary.title)));
    let link = settings
        .dashboard_url
        .as_ref()
        .map(|url| format!("\n<a href=\"{}\">Dashboard</a>", escape_html(url)))
        .unwrap_or_default();
    // The limit counts the text after entities are parsed; escaping only lengthens it, so
    // cutting the escaped text keeps under it.
    let budget = TELEGRAM_TEXT.saturating_sub(title.chars().count() + link.chars().count() + 11);
    let text = format!(
        "{title}<pre>{}</pre>{link}",
        escape_html(&cut(&summary.text, budget))
    );
    json!({
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    })
}

/// A title on one line: control characters become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(text: &str) -> Summary {
        Summary {
            report: "daily".into(),
            key: "summary-daily-1".into(),
            title: "bandwatch daily summary\nSat 5 Dec".into(),
            text: text.into(),
            html: "<p>x</p>".into(),
            json: "{}".into(),
            chart_png: Some(vec![0x89, b'P', b'N', b'G']),
        }
    }

    #[test]
    fn cut_keeps_short_text_and_cuts_long_text_on_a_line_with_a_note() {
        assert_eq!(cut("a\nb", 10), "a\nb");
        let long = "line one\nline two\nline three\n".repeat(200);
        let short = cut(&long, 300);
        assert!(short.chars().count() <= 300, "{}", short.chars().count());
        assert!(short.ends_with("has it all)"));
        assert!(short.starts_with("line one\nline two\n"));
        let head = short.split("\n…").next().expect("head");
        assert!(
            head.ends_with("line one")
                || head.ends_with("line two")
                || head.ends_with("line three")
        );
        // multi-byte characters are never split
        let wide = "é".repeat(10_000);
        assert!(cut(&wide, 100).chars().count() <= 100);
    }

    #[test]
    fn email_shows_the_chart_inline_and_keeps_the_subject_on_one_line() {
        let m = email(&summary("t"));
        assert_eq!(m.subject, "bandwatch daily summary Sat 5 Dec");
        assert_eq!(m.inline.len(), 1);
        assert_eq!(m.inline[0].cid, CHART_CID);
        assert_eq!(m.inline[0].content_type, "image/png");
    }

    #[test]
    fn chat_messages_fit_their_services_limits() {
        let s = summary(&"eth0  1.21 GiB  <b>&\n".repeat(2_000));
        let tg = telegram(&s, "42", &ChatSettings::default());
        let text = tg["text"].as_str().expect("text");
        assert!(
            text.chars().count() <= TELEGRAM_TEXT + 2_000,
            "escaped text stays bounded"
        );
        assert!(text.contains("&lt;b&gt;&amp;"), "escaped");
        assert!(text.starts_with("<b>bandwatch daily summary Sat 5 Dec</b>\n<pre>"));
        let d = discord(&s, &ChatSettings::default());
        let desc = d["embeds"][0]["description"].as_str().expect("description");
        assert!(
            desc.chars().count() <= DISCORD_DESCRIPTION,
            "{}",
            desc.chars().count()
        );
        let sl = slack(&s, &ChatSettings::default());
        assert!(sl["text"]
            .as_str()
            .expect("text")
            .contains("&lt;b&gt;&amp;"));
        let t = teams(&s, &ChatSettings::default());
        assert_eq!(
            t["attachments"][0]["content"]["body"][1]["fontType"],
            "Monospace"
        );
    }
}
