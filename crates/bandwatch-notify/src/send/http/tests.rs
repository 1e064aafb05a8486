//! What every sender must do alike: keep tokens, secrets and header values out of errors and
//! `Debug`. Also the sample event the senders' own tests send.

use bandwatch_core::{alert_id, AlertEvent, EventKind, SeriesKey, Severity, Timestamp};

use super::*;
use crate::render::Secret;

/// A bot token shaped like Telegram's; `secret-token` marks it in any text.
pub(super) const TOKEN: &str = "123456:AAH-secret-token";

/// One fired alert on `eth0`.
pub(super) fn event() -> AlertEvent {
    let series = SeriesKey::with_label("net_rx_bits_per_second", "iface", "eth0");
    let started = Timestamp::from_secs(1_795_255_200);
    AlertEvent {
        id: alert_id("wan_rx_high", &series, started),
        rule: "wan_rx_high".into(),
        series,
        kind: EventKind::Fired,
        state: EventKind::Fired.state(),
        severity: Severity::High,
        value: 950e6,
        reference: 800e6,
        message: "receive rate above the limit".into(),
        started,
        ended: None,
        at: started.add_millis(30_000),
    }
}

#[test]
fn chat_errors_never_show_the_token() {
    type Send = Box<dyn Fn(&FakeHttp) -> Result<(), SendError>>;
    let cases: Vec<(Send, (&str, &str))> = vec![
        (
            Box::new(|h| {
                let url = format!("https://hooks.slack.com/services/T0/B0/{TOKEN}?x={TOKEN}");
                SlackSender::new(h, Secret::new(url)).send(&[event()])
            }),
            ("slack: ", "https://hooks.slack.com "),
        ),
        (
            Box::new(|h| {
                let url = format!("https://discord.com/api/webhooks/1/{TOKEN}");
                DiscordSender::new(h, Secret::new(url)).send(&[event()])
            }),
            ("discord: ", "https://discord.com "),
        ),
        (
            Box::new(|h| {
                let url = format!("https://user:{TOKEN}@example.com:8443/wf/{TOKEN}");
                TeamsSender::new(h, Secret::new(url)).send(&[event()])
            }),
            ("teams: ", "https://example.com:8443 "),
        ),
        (
            Box::new(|h| TelegramSender::new(h, Secret::new(TOKEN), "1").send(&[event()])),
            ("telegram: ", "https://api.telegram.org "),
        ),
    ];
    for (send, (prefix, shown_host)) in cases {
        let http = FakeHttp::new();
        http.then(Ok(HttpReply::status(403)));
        http.then(Err(SendError::Timeout {
            channel: "http",
            target: "x".into(),
            after: DEFAULT_TIMEOUT,
        }));
        for _ in 0..2 {
            let err = send(&http).expect_err("scripted failure");
            let shown = format!("{err} / {err:?}");
            assert!(!shown.contains("secret-token"), "{shown}");
            assert!(!shown.contains("/T0/"), "{shown}");
            let text = err.to_string();
            assert!(text.starts_with(prefix), "{err}");
            assert!(text.contains(shown_host), "{err}");
        }
        assert!(http.requests()[0].url.contains(TOKEN));
    }
}

#[test]
fn invalid_chat_urls_never_show_the_token() {
    let http = FakeHttp::new();
    let err = SlackSender::new(&http, Secret::new(format!("ftp://h/{TOKEN}")))
        .send(&[event()])
        .expect_err("not http");
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains("secret-token"), "{shown}");
    assert!(shown.starts_with("slack: invalid URL ftp://h:"), "{shown}");
    let err = WebhookSender::new(&http, format!("https://h/p?token={TOKEN}")).send(&[event()]);
    assert!(err.is_ok(), "{err:?}");
    http.then(Ok(HttpReply::status(500)));
    let err = WebhookSender::new(&http, format!("https://u:{TOKEN}@h/p?token={TOKEN}"))
        .send(&[event()])
        .expect_err("500");
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains("secret-token"), "{shown}");
    assert_eq!(err.to_string(), "webhook: https://h answered HTTP 500: ");
}

#[test]
fn senders_do_not_debug_print_secrets() {
    let http = FakeHttp::new();
    let mut hook = WebhookSender::new(&http, format!("https://h/p?token={TOKEN}"));
    hook.headers = vec![("Authorization".into(), format!("Bearer {TOKEN}"))];
    hook.secret = Some(Secret::new(TOKEN));
    let slack = SlackSender::new(&http, Secret::new(format!("https://h/{TOKEN}")));
    let discord = DiscordSender::new(&http, Secret::new(format!("https://h/{TOKEN}")));
    let teams = TeamsSender::new(&http, Secret::new(format!("https://h/{TOKEN}")));
    let tg = TelegramSender::new(&http, Secret::new(TOKEN), "1");
    for shown in [
        format!("{hook:?}"),
        format!("{slack:?}"),
        format!("{discord:?}"),
        format!("{teams:?}"),
        format!("{tg:?}"),
    ] {
        assert!(!shown.contains("secret-token"), "{shown}");
    }
}
