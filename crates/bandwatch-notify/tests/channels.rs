//! Every channel through the `Deliver` seam: the stored payload is exactly what is sent (and
//! signed), failures map to retry or permanent without showing secrets, and a webhook retried
//! through the dispatcher and a real local receiver arrives once, byte-identical.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use bandwatch_core::{EventKind, Timestamp};
use bandwatch_notify::channels::{
    AlertmanagerChannel, DiscordChannel, EmailChannel, EmailPayload, SlackChannel, TeamsChannel,
    TelegramChannel, WebhookChannel,
};
use bandwatch_notify::dispatch::{
    Deliver, DeliveryReport, Dispatcher, Outcome, RetryPolicy, Route,
};
use bandwatch_notify::render::alertmanager::{alertmanager_alerts, AlertmanagerSettings};
use bandwatch_notify::render::chat::{
    discord_payload, slack_payload, teams_payload, telegram_payload, ChatSettings,
};
use bandwatch_notify::render::email::{render_email, EmailSettings};
use bandwatch_notify::render::webhook::{sign, webhook_body, SIGNATURE_HEADER};
use bandwatch_notify::send::http::{
    AlertmanagerSender, DiscordSender, FakeHttp, HttpReply, ReqwestPost, SendError, SlackSender,
    TeamsSender, TelegramSender, WebhookSender, DEFAULT_TIMEOUT,
};
use bandwatch_notify::send::smtp::{MailTransport, SmtpSettings, TransportFailure};
use bandwatch_notify::Secret;
use bandwatch_store::{SqliteOptions, SqliteStore};
use lettre::address::Envelope;

const TOKEN: &str = "424242:AAH-channel-secret-token";
const HMAC_KEY: &str = "hmac-key-secret-token";
const PASSWORD: &str = "hunter2-secret-token";

/// Everything that must never appear in an outcome message.
const SECRETS: [&str; 3] = [TOKEN, HMAC_KEY, PASSWORD];

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "shows a secret: {text}");
    }
    assert!(!text.contains("secret-token"), "shows a secret: {text}");
}

fn webhook_sender(http: Arc<FakeHttp>) -> WebhookSender<Arc<FakeHttp>> {
    let mut sender = WebhookSender::new(http, format!("https://hooks.example/in?token={TOKEN}"));
    sender.secret = Some(Secret::new(HMAC_KEY));
    sender.headers = vec![("Authorization".into(), format!("Bearer {TOKEN}"))];
    sender
}

/// One channel of each HTTP kind over one fake, every URL carrying the token.
fn http_channels(http: &Arc<FakeHttp>) -> Vec<Box<dyn Deliver>> {
    let h = || Arc::clone(http);
    let mut alertmanager =
        AlertmanagerSender::new(h(), format!("http://am:{TOKEN}@am.example:9093"));
    alertmanager.settings = AlertmanagerSettings {
        instance: "gw".into(),
        ..AlertmanagerSettings::default()
    };
    vec![
        Box::new(WebhookChannel::new("webhook:noc", webhook_sender(h()))),
        Box::new(SlackChannel::new(
            "slack:ops",
            SlackSender::new(
                h(),
                Secret::new(format!("https://hooks.slack.com/services/T0/B0/{TOKEN}")),
            ),
        )),
        Box::new(DiscordChannel::new(
            "discord:ops",
            DiscordSender::new(
                h(),
                Secret::new(format!("https://discord.com/api/webhooks/1/{TOKEN}")),
            ),
        )),
        Box::new(TeamsChannel::new(
            "teams:ops",
            TeamsSender::new(
                h(),
                Secret::new(format!("https://example.com:8443/wf/{TOKEN}?sig={TOKEN}")),
            ),
        )),
        Box::new(TelegramChannel::new(
            "telegram:ops",
            TelegramSender::new(h(), Secret::new(TOKEN), "-1001"),
        )),
        Box::new(AlertmanagerChannel::new("alertmanager:main", alertmanager)),
    ]
}

#[test]
fn every_http_channel_sends_exactly_the_payload_it_rendered() {
    let http = Arc::new(FakeHttp::new());
    let events = common::all();
    let settings = ChatSettings::default();
    let am = AlertmanagerSettings {
        instance: "gw".into(),
        ..AlertmanagerSettings::default()
    };
    let expected = [
        webhook_body(&events).expect("renders"),
        slack_payload(&events, &settings).to_string(),
        discord_payload(&events, &settings).to_string(),
        teams_payload(&events, &settings).to_string(),
        telegram_payload(&events, "-1001", &settings).to_string(),
        alertmanager_alerts(&events, &am).to_string(),
    ];
    let names = [
        "webhook:noc",
        "slack:ops",
        "discord:ops",
        "teams:ops",
        "telegram:ops",
        "alertmanager:main",
    ];
    let mut channels = http_channels(&http);
    for (i, channel) in channels.iter_mut().enumerate() {
        assert_eq!(channel.name(), names[i]);
        let payload = channel.render(&events).expect("renders");
        assert_eq!(payload, expected[i], "{}: the renderer's output", names[i]);
        assert_eq!(
            channel.deliver(&payload),
            Outcome::Delivered,
            "{}",
            names[i]
        );
        let req = &http.requests()[i];
        assert_eq!(
            req.body,
            payload.as_bytes(),
            "{}: the stored bytes",
            names[i]
        );
        assert_eq!(req.header("content-type"), Some("application/json"));
    }
    let urls: Vec<String> = http.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(
        urls[4],
        format!("https://api.telegram.org/bot{TOKEN}/sendMessage")
    );
    assert_eq!(
        urls[5],
        format!("http://am:{TOKEN}@am.example:9093/api/v2/alerts")
    );
}

#[test]
fn a_stored_webhook_payload_is_resent_byte_identical_with_the_same_signature() {
    let http = Arc::new(FakeHttp::new());
    http.then(Ok(HttpReply::status(503)));
    let mut channel = WebhookChannel::new("webhook:noc", webhook_sender(Arc::clone(&http)));
    let payload = channel.render(&common::all()).expect("renders");

    assert!(matches!(channel.deliver(&payload), Outcome::Retry(_)));
    assert_eq!(channel.deliver(&payload), Outcome::Delivered);

    let [first, second] = http.requests().try_into().expect("two requests");
    assert_eq!(first.body, payload.as_bytes());
    assert_eq!(second.body, first.body);
    let signature = sign(payload.as_bytes(), &Secret::new(HMAC_KEY));
    assert_eq!(first.header(SIGNATURE_HEADER), Some(signature.as_str()));
    assert_eq!(second.header(SIGNATURE_HEADER), Some(signature.as_str()));
    assert_eq!(
        second.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

#[test]
fn the_stored_payload_is_sent_even_when_the_events_would_render_differently() {
    // What was stored is what goes out: deliver takes the payload, never the events.
    let http = Arc::new(FakeHttp::new());
    let mut channel = WebhookChannel::new("webhook:noc", webhook_sender(Arc::clone(&http)));
    let stored = channel.render(&[common::fired_high()]).expect("renders");
    let later = channel.render(&[common::resolved()]).expect("renders");
    assert_ne!(stored, later);
    assert_eq!(channel.deliver(&stored), Outcome::Delivered);
    assert_eq!(http.requests()[0].body, stored.as_bytes());
}

fn refused() -> SendError {
    SendError::Connect {
        channel: "http",
        target: "http://127.0.0.1:1".into(),
        source: "Connection refused (os error 111)".into(),
    }
}

#[test]
fn http_failures_map_to_retry_or_permanent_without_secrets() {
    let http = Arc::new(FakeHttp::new());
    let mut channels = http_channels(&http);
    let events = common::all();
    for channel in &mut channels {
        let name = channel.name().to_string();
        let payload = channel.render(&events).expect("renders");
        let mut reply = HttpReply::status(500);
        reply.body = format!("upstream broke for {name}").into_bytes();
        http.then(Ok(reply));
        http.then(Ok(HttpReply::status(400)));
        http.then(Err(refused()));
        http.then(Ok(HttpReply::status(429)));
        http.then(Ok(HttpReply::status(404)));
        http.then(Err(SendError::Timeout {
            channel: "http",
            target: "x".into(),
            after: DEFAULT_TIMEOUT,
        }));
        let outcomes: Vec<Outcome> = (0..6).map(|_| channel.deliver(&payload)).collect();
        let kinds: Vec<&str> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Delivered => "delivered",
                Outcome::Retry(_) => "retry",
                Outcome::Permanent(_) => "permanent",
            })
            .collect();
        assert_eq!(
            kinds,
            ["retry", "permanent", "retry", "retry", "permanent", "retry"],
            "{name}: {outcomes:?}"
        );
        for outcome in &outcomes {
            let (Outcome::Retry(text) | Outcome::Permanent(text)) = outcome else {
                unreachable!("all failed");
            };
            assert_no_secret(text);
            let kind = name.split(':').next().expect("kind");
            assert!(text.starts_with(&format!("{kind}: ")), "{text}");
        }
        let Outcome::Retry(text) = &outcomes[0] else {
            unreachable!("checked above");
        };
        assert!(text.contains("HTTP 500"), "{text}");
        assert!(text.contains("upstream broke"), "{text}");
        let Outcome::Retry(text) = &outcomes[2] else {
            unreachable!("checked above");
        };
        assert!(text.contains("cannot connect"), "{text}");
    }
}

#[test]
fn an_invalid_url_is_permanent() {
    let http = Arc::new(FakeHttp::new());
    let mut channel = WebhookChannel::new(
        "webhook:noc",
        WebhookSender::new(Arc::clone(&http), format!("ftp://u:{TOKEN}@host/x")),
    );
    let payload = channel.render(&common::all()).expect("renders");
    let Outcome::Permanent(text) = channel.deliver(&payload) else {
        panic!("an ftp URL can never work");
    };
    assert!(text.starts_with("webhook: invalid URL"), "{text}");
    assert_no_secret(&text);
}

#[test]
fn a_refused_connection_over_the_network_is_retry() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address");
    // The listener is gone: nothing listens on `addr` any more.
    let post = ReqwestPost::new().expect("client");
    let mut hook = WebhookSender::new(post.clone(), format!("http://{addr}/in?token={TOKEN}"));
    hook.secret = Some(Secret::new(HMAC_KEY));
    let mut webhook = WebhookChannel::new("webhook:noc", hook);
    let mut slack = SlackChannel::new(
        "slack:ops",
        SlackSender::new(post, Secret::new(format!("http://{addr}/services/{TOKEN}"))),
    );
    for channel in [&mut webhook as &mut dyn Deliver, &mut slack] {
        let payload = channel.render(&common::all()).expect("renders");
        let Outcome::Retry(text) = channel.deliver(&payload) else {
            panic!("{}: refused is worth a retry", channel.name());
        };
        assert!(
            text.contains(&format!("cannot connect to http://{addr}")),
            "{text}"
        );
        assert_no_secret(&text);
    }
}

/// An SMTP transport that records messages and answers scripted failures first.
#[derive(Clone, Default)]
struct FakeMail {
    sent: Arc<Mutex<Vec<(Envelope, String)>>>,
    failures: Arc<Mutex<Vec<TransportFailure>>>,
}

impl FakeMail {
    fn fail_next(&self, failure: TransportFailure) {
        self.failures.lock().expect("lock").insert(0, failure);
    }
}

impl MailTransport for FakeMail {
    fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), TransportFailure> {
        if let Some(f) = self.failures.lock().expect("lock").pop() {
            return Err(f);
        }
        let text = String::from_utf8(message.to_vec()).expect("utf-8 message");
        self.sent
            .lock()
            .expect("lock")
            .push((envelope.clone(), text));
        Ok(())
    }
}

fn email_channel(mail: &FakeMail) -> EmailChannel<FakeMail> {
    let sender = SmtpSettings {
        server: "mail.example".into(),
        port: 587,
        username: Some("alerts".into()),
        password: Some(Secret::new(PASSWORD)),
        from: "bandwatch <alerts@example.com>".into(),
        to: vec!["ops@example.com".into(), "night@example.org".into()],
        ..SmtpSettings::default()
    }
    .validate_with(mail.clone())
    .expect("valid settings");
    EmailChannel::new("email:ops", EmailSettings::default(), sender)
}

#[test]
fn email_stores_subject_and_bodies_and_sends_them_as_multipart() {
    let mail = FakeMail::default();
    let mut channel = email_channel(&mail);
    assert_eq!(channel.name(), "email:ops");
    let events = [common::fired_high()];
    let payload = channel.render(&events).expect("renders");

    let stored: EmailPayload = serde_json::from_str(&payload).expect("JSON of the email");
    let expected = render_email(&events, &EmailSettings::default());
    assert_eq!(stored, EmailPayload::from(expected.clone()));
    let value: serde_json::Value = serde_json::from_str(&payload).expect("JSON");
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["html", "subject", "text"]);

    assert_eq!(channel.deliver(&payload), Outcome::Delivered);
    let sent = mail.sent.lock().expect("lock");
    let [(envelope, message)] = sent.as_slice() else {
        panic!("one message, got {}", sent.len());
    };
    let to: Vec<String> = envelope.to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["ops@example.com", "night@example.org"]);
    assert!(
        message.contains(&format!("Subject: {}", expected.subject)),
        "{message}"
    );
    assert!(message.contains("multipart/alternative"), "{message}");
    assert!(message.contains("text/plain"), "{message}");
    assert!(message.contains("text/html"), "{message}");
    assert!(
        message.contains("receive rate 950.0 Mbps above the limit"),
        "{message}"
    );
    assert!(!message.contains(PASSWORD));
}

#[test]
fn email_delivers_the_stored_subject_not_a_new_rendering() {
    let mail = FakeMail::default();
    let mut channel = email_channel(&mail);
    let stored = EmailPayload {
        subject: "stored subject 7".into(),
        text: "stored text".into(),
        html: "<p>stored html</p>".into(),
        inline: Vec::new(),
    };
    let payload = serde_json::to_string(&stored).expect("encodes");
    assert_eq!(channel.deliver(&payload), Outcome::Delivered);
    let sent = mail.sent.lock().expect("lock");
    assert!(
        sent[0].1.contains("Subject: stored subject 7"),
        "{}",
        sent[0].1
    );
    assert!(sent[0].1.contains("stored text"), "{}", sent[0].1);
}

fn boom(text: &str) -> Box<dyn std::error::Error + Send + Sync> {
    text.to_string().into()
}

#[test]
fn email_failures_map_to_retry_or_permanent_without_the_password() {
    let mail = FakeMail::default();
    let mut channel = email_channel(&mail);
    let payload = channel.render(&[common::fired_high()]).expect("renders");
    let cases = [
        (TransportFailure::Connect(boom("Connection refused")), true),
        (TransportFailure::Timeout(boom("timed out")), true),
        (TransportFailure::Transient(451, boom("try later")), true),
        (TransportFailure::Rejected(550, boom("no relay")), false),
        (TransportFailure::Auth(boom("535 bad credentials")), false),
        (TransportFailure::StartTlsNotOffered, false),
    ];
    for (failure, retry) in cases {
        mail.fail_next(failure);
        let outcome = channel.deliver(&payload);
        let (Outcome::Retry(text) | Outcome::Permanent(text)) = &outcome else {
            panic!("scripted failure was delivered");
        };
        assert_eq!(matches!(outcome, Outcome::Retry(_)), retry, "{text}");
        assert!(text.contains("mail.example:587"), "{text}");
        assert_no_secret(text);
    }
    assert!(mail.sent.lock().expect("lock").is_empty());
    assert_eq!(channel.deliver(&payload), Outcome::Delivered);

    let Outcome::Permanent(text) = channel.deliver("{\"subject\":\"only\"}") else {
        panic!("a broken payload never works");
    };
    assert!(text.starts_with("stored email payload is not"), "{text}");
}

/// What the local receiver saw: each request's body, signature and the status it answered.
#[derive(Debug, Clone)]
struct Seen {
    status: u16,
    body: Vec<u8>,
    signature: Option<String>,
}

/// A webhook receiver on 127.0.0.1 answering from `statuses`, then 200. Each request is
/// recorded before its answer is written, so once the client has its reply the record exists.
struct Receiver {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    fn start(statuses: Vec<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            let mut statuses = statuses.into_iter();
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let status = statuses.next().unwrap_or(200);
                serve(&stream, status, &log);
            }
        });
        Self { addr, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Reads one request (headers, `Content-Length` body), records it, then answers `status`.
fn serve(stream: &TcpStream, status: u16, log: &Mutex<Vec<Seen>>) -> Option<()> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let find = |n: &str| headers.iter().find(|(h, _)| h == n).map(|(_, v)| v.clone());
    let length: usize = find("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    log.lock().ok()?.push(Seen {
        status,
        body,
        signature: find(&SIGNATURE_HEADER.to_ascii_lowercase()),
    });
    let reply = format!(
        "HTTP/1.1 {status} Test\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    );
    (&*stream).write_all(reply.as_bytes()).ok()
}

#[test]
fn a_webhook_retried_through_the_dispatcher_is_accepted_exactly_once() {
    let receiver = Receiver::start(vec![500, 500, 500]);
    let mut hook = WebhookSender::new(
        ReqwestPost::new().expect("client"),
        format!("http://{}/hooks/bandwatch", receiver.addr),
    );
    hook.secret = Some(Secret::new(HMAC_KEY));
    hook.timeout = Duration::from_secs(5);
    let channel: Box<dyn Deliver> = Box::new(WebhookChannel::new("webhook:noc", hook));
    let store = SqliteStore::open_in_memory(SqliteOptions::default()).expect("store");
    let window = Duration::from_secs(30);
    let retry = RetryPolicy {
        base: Duration::from_secs(5),
        max: Duration::from_secs(60),
        max_attempts: 10,
    };
    let mut d = Dispatcher::new(store, vec![(channel, Route::default())], window, retry);

    let events = [common::fired_high()];
    assert_eq!(events[0].kind, EventKind::Fired);
    let t0 = events[0].at;
    d.submit(&events, t0);
    let mut now = Timestamp(t0.millis() + 30_000);
    assert_eq!(d.enqueue_due(now).expect("enqueue"), 1);

    let mut reports = Vec::new();
    for _ in 0..4 {
        reports.push(d.deliver_due(now, 10).expect("deliver"));
        // Later than the longest backoff (60 s plus jitter), so the item is due again.
        now = Timestamp(now.millis() + 5 * 60_000);
    }
    let retrying = DeliveryReport {
        retrying: 1,
        ..DeliveryReport::default()
    };
    let delivered = DeliveryReport {
        delivered: 1,
        ..DeliveryReport::default()
    };
    assert_eq!(
        reports,
        [retrying.clone(), retrying.clone(), retrying, delivered]
    );
    assert_eq!(
        d.deliver_due(now, 10).expect("deliver"),
        DeliveryReport::default(),
        "nothing left to send"
    );
    // The same batch again is the same idempotency key: not stored or sent a second time.
    d.submit(&events, now);
    let later = Timestamp(now.millis() + 30_000);
    d.enqueue_due(later).expect("enqueue");
    assert_eq!(
        d.deliver_due(later, 10).expect("deliver"),
        DeliveryReport::default()
    );

    let seen = receiver.seen();
    let statuses: Vec<u16> = seen.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [500, 500, 500, 200]);
    assert_eq!(seen.iter().filter(|s| s.status == 200).count(), 1);
    let body = webhook_body(&events).expect("renders");
    let signature = sign(body.as_bytes(), &Secret::new(HMAC_KEY));
    for s in &seen {
        assert_eq!(
            s.body,
            body.as_bytes(),
            "every attempt carries the stored bytes"
        );
        assert_eq!(s.signature.as_deref(), Some(signature.as_str()));
    }
}
