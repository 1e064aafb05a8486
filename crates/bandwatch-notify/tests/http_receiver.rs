//! HTTP senders against a real receiver on 127.0.0.1 that this test runs itself.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bandwatch_notify::render::chat::{
    discord_payload, slack_payload, teams_payload, telegram_payload, ChatSettings,
};
use bandwatch_notify::render::webhook::{webhook_body, SIGNATURE_HEADER};
use bandwatch_notify::send::http::{
    DiscordSender, ReqwestPost, SendError, SlackSender, TeamsSender, TelegramSender, WebhookSender,
};
use bandwatch_notify::Secret;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const TOKEN: &str = "987654:AAH-secret-token";
const WAIT: Duration = Duration::from_secs(10);

/// One request as the receiver read it.
#[derive(Debug)]
struct Captured {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A receiver answering every request with `status`, handing each request to the test.
struct Receiver {
    addr: SocketAddr,
    requests: mpsc::Receiver<Captured>,
}

impl Receiver {
    fn start(status: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (tx, requests) = mpsc::channel();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let Some(captured) = serve(&stream, status) else {
                    continue;
                };
                if tx.send(captured).is_err() {
                    return;
                }
            }
        });
        Self { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn next(&self) -> Captured {
        self.requests
            .recv_timeout(WAIT)
            .expect("the receiver got a request")
    }
}

/// Reads one request (request line, headers, `Content-Length` body) and answers it.
fn serve(stream: &TcpStream, status: u16) -> Option<Captured> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let reply = format!(
        "HTTP/1.1 {status} Test\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nfrom-server"
    );
    (&*stream).write_all(reply.as_bytes()).ok()?;
    Some(Captured {
        method,
        path,
        headers,
        body,
    })
}

fn http() -> ReqwestPost {
    ReqwestPost::new().expect("client")
}

#[test]
fn webhook_body_and_signature_arrive_intact() {
    let rx = Receiver::start(200);
    let events = common::all();
    let mut sender = WebhookSender::new(http(), rx.url("/hooks/bandwatch?source=test"));
    sender.secret = Some(Secret::new("shared-key"));
    sender.headers = vec![("X-Extra".into(), "1".into())];
    sender.send(&events).expect("delivered");

    let req = rx.next();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hooks/bandwatch?source=test");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("x-extra"), Some("1"));
    assert_eq!(
        req.body,
        webhook_body(&events).expect("renders").as_bytes(),
        "the exact rendered document"
    );
    // Verify the way a receiver would: HMAC over the bytes received, under the shared key.
    let signature = req.header(SIGNATURE_HEADER).expect("signed");
    let raw: Vec<u8> = (0..signature.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&signature[i..i + 2], 16).expect("hex"))
        .collect();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"shared-key").expect("key");
    mac.update(&req.body);
    mac.verify_slice(&raw)
        .expect("the signature matches the body");
}

#[test]
fn chat_bodies_reach_their_endpoints() {
    let rx = Receiver::start(200);
    let events = common::all();
    let settings = ChatSettings::default();
    let path = format!("/services/T0/B0/{TOKEN}");
    let url = || Secret::new(rx.url(&path));

    SlackSender::new(http(), url())
        .send(&events)
        .expect("slack");
    let req = rx.next();
    assert_eq!(req.path, path);
    assert_eq!(req.json(), slack_payload(&events, &settings));

    DiscordSender::new(http(), url())
        .send(&events)
        .expect("discord");
    assert_eq!(rx.next().json(), discord_payload(&events, &settings));

    TeamsSender::new(http(), url())
        .send(&events)
        .expect("teams");
    assert_eq!(rx.next().json(), teams_payload(&events, &settings));

    let mut telegram = TelegramSender::new(http(), Secret::new(TOKEN), "-1001");
    telegram.api_base = rx.url("");
    telegram.send(&events).expect("telegram");
    let req = rx.next();
    assert_eq!(req.path, format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.json(), telegram_payload(&events, "-1001", &settings));
}

#[test]
fn a_500_is_retryable_and_shows_no_token() {
    let rx = Receiver::start(500);
    let url = Secret::new(rx.url(&format!("/services/T0/B0/{TOKEN}")));
    let err = SlackSender::new(http(), url)
        .send(&common::all())
        .expect_err("500");
    rx.next();
    assert!(err.is_retryable(), "{err}");
    assert!(
        matches!(err, SendError::Status { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("slack: http://{} answered HTTP 500: from-server", rx.addr)
    );
    assert!(!format!("{err:?}").contains(TOKEN));
}

#[test]
fn a_404_is_permanent() {
    let rx = Receiver::start(404);
    let err = WebhookSender::new(http(), rx.url("/nowhere"))
        .send(&common::all())
        .expect_err("404");
    assert!(!err.is_retryable(), "{err}");
}

#[test]
fn a_silent_server_times_out_within_the_timeout() {
    // Bound but never accepting: the kernel completes the handshake and nobody answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut telegram = TelegramSender::new(http(), Secret::new(TOKEN), "1");
    telegram.api_base = format!("http://{addr}");
    telegram.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = telegram.send(&common::all()).expect_err("no answer");
    let took = started.elapsed();
    assert!(matches!(err, SendError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        took >= Duration::from_millis(450),
        "gave up early: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN), "{err:?}");
    drop(listener);
}

#[test]
fn a_refused_connection_is_retryable() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address");
    // The listener is gone: nothing listens on `addr` any more.
    let url = Secret::new(format!("http://{addr}/api/webhooks/1/{TOKEN}"));
    let err = DiscordSender::new(http(), url)
        .send(&common::all())
        .expect_err("refused");
    assert!(matches!(err, SendError::Connect { .. }), "{err:?}");
    assert!(err.is_retryable());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.starts_with(&format!("discord: cannot connect to http://{addr}")));
}
