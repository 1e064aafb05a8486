//! Mail for the notification tests: an aiosmtpd sink on 127.0.0.1 storing each message as
//! JSON (the notify crate's `smtp_sink.py`, so both crates test against one), the email
//! channel table that sends to it, and small process helpers.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a test waits for a server or a message.
pub const WAIT: Duration = Duration::from_secs(20);

/// Waits until `f` returns something, panicking with `what` at the deadline.
pub fn poll<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed and reaped however the test ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn aiosmtpd_missing() -> Vec<String> {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Vec::new()
    } else {
        vec!["python3 with aiosmtpd (run `bash .ci/deps/smtp.sh`)".into()]
    }
}

/// aiosmtpd storing each message as JSON in `dir`, with the notify crate's sink
/// (`crates/bandwatch-notify/tests/support/smtp_sink.py`), so both crates test against one.
pub struct Sink {
    _child: Running,
    dir: PathBuf,
}

impl Sink {
    pub fn start(port: u16, dir: &Path) -> Self {
        let support =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../bandwatch-notify/tests/support");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "smtp_sink.Sink"])
            .arg(dir)
            .env("PYTHONPATH", support)
            .stdout(Stdio::null())
            .spawn()
            .expect("start python3 -m aiosmtpd");
        let mut child = Running(child);
        poll(
            &format!("aiosmtpd listens on 127.0.0.1:{port}"),
            WAIT,
            || {
                if let Ok(Some(status)) = child.0.try_wait() {
                    panic!("aiosmtpd exited before listening: {status}");
                }
                TcpStream::connect(("127.0.0.1", port)).ok()
            },
        );
        Self {
            _child: child,
            dir: dir.to_path_buf(),
        }
    }

    /// Every stored message, oldest first.
    pub fn messages(&self) -> Vec<Value> {
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

    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        poll(&format!("{n} mail(s) arrive"), WAIT, || {
            let got = self.messages();
            (got.len() >= n).then_some(got)
        })
    }
}

pub fn email_channel(port: u16) -> String {
    format!(
        r#"name = "mail"
type = "email"
server = "127.0.0.1"
port = {port}
tls = "plain"
allow_plain = true
from = "bandwatch@router.example"
to = ["ops@example.com", "night@example.org"]
timeout = "2s"
"#
    )
}

pub fn part<'a>(msg: &'a Value, content_type: &str) -> &'a str {
    msg["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["body"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part in {msg}"))
}
