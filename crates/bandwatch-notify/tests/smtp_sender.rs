//! The SMTP sender over a fake transport: validation, the message it builds, and how failures
//! are classified and explained.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use bandwatch_notify::dispatch::Outcome;
use bandwatch_notify::render::email::{render_email, EmailSettings};
use bandwatch_notify::send::smtp::{
    classify, MailTransport, SendError, SmtpSettings, TlsMode, TransportFailure,
};
use bandwatch_notify::Secret;
use lettre::address::Envelope;

const PASSWORD: &str = "hunter2-very-secret";

/// Records what it is asked to send and answers with the scripted failures, then success.
#[derive(Default)]
struct Fake {
    sent: Mutex<Vec<(Envelope, String)>>,
    failures: Mutex<Vec<TransportFailure>>,
}

impl MailTransport for &Fake {
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

fn settings() -> SmtpSettings {
    SmtpSettings {
        server: "mail.example".into(),
        port: 587,
        username: Some("alerts".into()),
        password: Some(Secret::new(PASSWORD)),
        from: "bandwatch <alerts@example.com>".into(),
        to: vec!["ops@example.com".into(), "night@example.org".into()],
        ..SmtpSettings::default()
    }
}

fn field_of(err: &SendError) -> &'static str {
    match err {
        SendError::InvalidSetting { field, .. } => field,
        other => panic!("not a settings error: {other}"),
    }
}

#[test]
fn defaults_are_starttls_with_a_timeout() {
    let s = SmtpSettings::default();
    assert_eq!(s.tls, TlsMode::StartTls);
    assert_eq!(s.timeout, Duration::from_secs(30));
    assert_eq!(TlsMode::Implicit.as_str(), "implicit");
}

#[test]
fn invalid_settings_name_the_field() {
    let fake = Fake::default();
    let cases: Vec<(&str, SmtpSettings)> = vec![
        (
            "server",
            SmtpSettings {
                server: " ".into(),
                ..settings()
            },
        ),
        (
            "port",
            SmtpSettings {
                port: 0,
                ..settings()
            },
        ),
        (
            "from",
            SmtpSettings {
                from: "not an address".into(),
                ..settings()
            },
        ),
        (
            "to",
            SmtpSettings {
                to: vec![],
                ..settings()
            },
        ),
        (
            "to",
            SmtpSettings {
                to: vec!["ops@example.com".into(), "ops@".into()],
                ..settings()
            },
        ),
        (
            "tls",
            SmtpSettings {
                tls: TlsMode::Plain,
                ..settings()
            },
        ),
        (
            "password",
            SmtpSettings {
                username: None,
                ..settings()
            },
        ),
        (
            "timeout",
            SmtpSettings {
                timeout: Duration::ZERO,
                ..settings()
            },
        ),
    ];
    for (field, s) in cases {
        let err = s.validate_with(&fake).expect_err(field);
        assert_eq!(field_of(&err), field, "{err}");
        let text = err.to_string();
        assert!(text.contains(&format!("'{field}'")), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
    }
    let err = SmtpSettings {
        to: vec!["ops@".into()],
        ..settings()
    }
    .validate_with(&fake)
    .expect_err("bad recipient");
    assert!(
        err.to_string().contains("'ops@' is not an email address"),
        "{err}"
    );
}

#[test]
fn plain_needs_explicit_permission() {
    let fake = Fake::default();
    let err = SmtpSettings {
        tls: TlsMode::Plain,
        ..settings()
    }
    .validate_with(&fake)
    .expect_err("plain without permission");
    assert!(err.to_string().contains("allow_plain = true"), "{err}");
    SmtpSettings {
        tls: TlsMode::Plain,
        allow_plain: true,
        ..settings()
    }
    .validate_with(&fake)
    .expect("plain when allowed");
}

#[test]
fn secrets_never_print() {
    let s = settings();
    assert!(!format!("{s:?}").contains(PASSWORD));
    let sender = s.validate().expect("valid");
    assert!(!format!("{sender:?}").contains(PASSWORD));
}

#[test]
fn sends_one_multipart_message_to_all_recipients() {
    let fake = Fake::default();
    let sender = settings().validate_with(&fake).expect("valid");
    assert_eq!(sender.target(), "mail.example:587");
    let email = render_email(&[common::hostile()], &EmailSettings::default());
    sender.send(&email).expect("send");
    let sent = fake.sent.lock().expect("lock");
    assert_eq!(sent.len(), 1);
    let (envelope, text) = &sent[0];
    let to: Vec<String> = envelope.to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["ops@example.com", "night@example.org"]);
    assert_eq!(
        envelope.from().map(ToString::to_string).as_deref(),
        Some("alerts@example.com")
    );
    assert!(text.contains("multipart/alternative"), "{text}");
    assert!(text.contains("text/plain"), "{text}");
    assert!(text.contains("text/html"), "{text}");
    assert!(!text.contains(PASSWORD));
}

fn boom(text: &str) -> Box<dyn std::error::Error + Send + Sync> {
    text.to_string().into()
}

#[test]
fn failures_are_classified_with_advice() {
    let t = "mail.example:25";
    let cases: Vec<(TransportFailure, bool, &str)> = vec![
        (TransportFailure::Connect(boom("Connection refused")), true, "check that the server runs"),
        (TransportFailure::Timeout(boom("timed out")), true, "raise 'timeout'"),
        (TransportFailure::Transient(451, boom("try later")), true, "451"),
        (TransportFailure::Other(boom("eof")), true, "conversation failed"),
        (
            TransportFailure::StartTlsNotOffered,
            false,
            "STARTTLS not offered by mail.example:25; set tls = \"implicit\" for port 465 or allow plain",
        ),
        (TransportFailure::Auth(boom("535 bad credentials")), false, "check 'username' and 'password'"),
        (TransportFailure::Rejected(550, boom("no relay")), false, "550"),
        (TransportFailure::Tls(boom("corrupt message")), false, "TLS failed"),
    ];
    for (failure, retryable, advice) in cases {
        let err = classify(failure, t, TlsMode::StartTls);
        let text = err.to_string();
        assert_eq!(err.is_retryable(), retryable, "{text}");
        assert!(text.contains(t), "{text}");
        assert!(text.contains(advice), "{text}");
        match err.outcome() {
            Outcome::Retry(s) | Outcome::Permanent(s) => assert_eq!(s, text),
            Outcome::Delivered => panic!("a failure is not a delivery"),
        }
    }
    let implicit = classify(TransportFailure::Tls(boom("x")), t, TlsMode::Implicit);
    assert!(
        implicit.to_string().contains("set tls = \"starttls\""),
        "{implicit}"
    );
}

#[test]
fn a_failed_send_can_be_retried() {
    let fake = Fake::default();
    fake.failures
        .lock()
        .expect("lock")
        .push(TransportFailure::Transient(421, boom("busy")));
    let sender = settings().validate_with(&fake).expect("valid");
    let email = render_email(&[common::fired_high()], &EmailSettings::default());
    let err = sender.send(&email).expect_err("first attempt fails");
    assert!(err.is_retryable());
    sender.send(&email).expect("second attempt");
    assert_eq!(fake.sent.lock().expect("lock").len(), 1);
}
