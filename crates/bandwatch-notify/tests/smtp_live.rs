//! The SMTP sender against a real server: aiosmtpd on 127.0.0.1, storing what it receives
//! through `tests/support/smtp_sink.py` (installed in CI by `.ci/deps/smtp.sh`).

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bandwatch_notify::render::email::{render_email, EmailMessage, EmailSettings};
use bandwatch_notify::send::smtp::{SmtpSettings, TlsMode};
use serde_json::Value;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// Skips (or, when root tests are required, fails) when python3 with aiosmtpd is missing.
fn aiosmtpd_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return true;
    }
    let reason = "python3 with aiosmtpd not found; run `bash .ci/deps/smtp.sh`";
    assert!(
        std::env::var("BANDWATCH_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
        "BANDWATCH_REQUIRE_ROOT_TESTS=1 but {reason}"
    );
    println!("SKIPPED: {reason}");
    false
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

/// The aiosmtpd server, killed when dropped.
struct Sink {
    child: Child,
    dir: PathBuf,
}

impl Sink {
    fn start(port: u16, dir: &Path) -> Self {
        let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.Sink"])
            .arg(dir)
            .env("PYTHONPATH", support)
            .stdout(Stdio::null())
            .spawn()
            .expect("start python3 -m aiosmtpd");
        let mut sink = Self {
            child,
            dir: dir.to_path_buf(),
        };
        sink.wait_ready(port);
        sink
    }

    fn wait_ready(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("poll aiosmtpd") {
                panic!("aiosmtpd exited before listening on 127.0.0.1:{port}: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on 127.0.0.1:{port} within 20s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every stored message, oldest first.
    fn messages(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("read the sink directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("read a stored message");
                serde_json::from_str(&text).expect("stored message is JSON")
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        server: "127.0.0.1".into(),
        port,
        tls: TlsMode::Plain,
        allow_plain: true,
        from: "bandwatch <bandwatch@router.example>".into(),
        to: vec![
            "ops@example.com".into(),
            "Night Shift <night@example.org>".into(),
        ],
        timeout: Duration::from_secs(10),
        ..SmtpSettings::default()
    }
}

fn hostile_email() -> EmailMessage {
    render_email(&[common::hostile()], &EmailSettings::default())
}

fn part<'a>(msg: &'a Value, content_type: &str) -> &'a str {
    msg["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["body"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part in {msg}"))
}

#[test]
fn delivers_multipart_mail_to_both_recipients() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let sink = Sink::start(port, dir.path());
    let email = hostile_email();
    settings(port)
        .validate()
        .expect("valid settings")
        .send(&email)
        .expect("send");

    let stored = sink.messages();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let m = &stored[0];
    assert_eq!(m["mail_from"], "bandwatch@router.example");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["ops@example.com", "night@example.org"])
    );
    assert!(m["to"].as_str().expect("to").contains("night@example.org"));
    assert_eq!(m["subject"], email.subject.as_str());
    assert_eq!(m["content_type"], "multipart/alternative");

    let text = part(m, "text/plain");
    assert!(
        text.contains(HOSTILE),
        "plain part shows the name as is: {text}"
    );
    let html = part(m, "text/html");
    assert!(html.contains("#c62828"), "critical colour missing: {html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("<img"),
        "raw markup in the HTML part: {html}"
    );
}

#[test]
fn server_down_is_retryable_then_the_retry_arrives_once() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let sender = settings(port).validate().expect("valid settings");
    let email = hostile_email();

    let err = sender.send(&email).expect_err("nobody listens yet");
    assert!(err.is_retryable(), "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("check that the server runs"), "{text}");

    let sink = Sink::start(port, dir.path());
    assert!(sink.messages().is_empty());
    sender.send(&email).expect("the retry is accepted");
    let stored = sink.messages();
    assert_eq!(stored.len(), 1, "exactly one delivery: {stored:?}");
    assert_eq!(stored[0]["subject"], email.subject.as_str());
}

#[test]
fn tls_mismatches_are_permanent_and_explained() {
    if !aiosmtpd_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let sink = Sink::start(port, dir.path());
    let email = hostile_email();
    let target = format!("127.0.0.1:{port}");

    // aiosmtpd without a certificate does not offer STARTTLS.
    let starttls = SmtpSettings {
        tls: TlsMode::StartTls,
        allow_plain: false,
        ..settings(port)
    };
    let err = starttls
        .validate()
        .expect("valid")
        .send(&email)
        .expect_err("no STARTTLS");
    assert!(!err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains(&format!(
            "STARTTLS not offered by {target}; set tls = \"implicit\" for port 465 or allow plain"
        )),
        "{err}"
    );

    // Implicit TLS spoken to a plain SMTP port.
    let implicit = SmtpSettings {
        tls: TlsMode::Implicit,
        allow_plain: false,
        ..settings(port)
    };
    let err = implicit
        .validate()
        .expect("valid")
        .send(&email)
        .expect_err("no TLS");
    assert!(!err.is_retryable(), "{err}");
    assert!(err.to_string().contains(&target), "{err}");
    assert!(err.to_string().contains("set tls = \"starttls\""), "{err}");
    assert!(sink.messages().is_empty());
}
