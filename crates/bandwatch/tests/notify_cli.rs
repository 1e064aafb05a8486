//! Notifications from `bandwatch run` to a real HTTP receiver on 127.0.0.1: delivered once
//! after failures, delivered after a kill -9 between the outbox and the send, a hanging
//! receiver that does not slow sampling, and `bandwatch notify test`.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bandwatch_testkit::free_port;
use support::receiver::Receiver;
use support::{bandwatch, LineChild};

const WAIT: Duration = Duration::from_secs(20);

/// A rule that fires on the first tick on any Linux machine (loopback is up, 1 < 2), and a
/// webhook channel with fast retries for the test.
fn config(port: u16, timeout: &str) -> String {
    format!(
        r#"
[[rules]]
name = "lo-check"
metric = "net_up"
match = {{ iface = "lo" }}
condition = "threshold"
below = 2
severity = "high"

[notify]
group_window = "200ms"
retry_base = "100ms"
retry_max = "400ms"

[[notify.channels]]
name = "hook"
type = "webhook"
url = "http://127.0.0.1:{port}/hook/s3cret-path?token=s3cret-query"
secret = "s3cret-key"
timeout = "{timeout}"
"#
    )
}

fn run(dir: &Path, extra: &[&str]) -> LineChild {
    let mut cmd = bandwatch(dir);
    cmd.args(["run", "--interval", "0.1", "--db", "h.db"])
        .args(extra);
    LineChild::spawn(cmd)
}

#[test]
fn an_alert_reaches_the_webhook_once_after_three_failures() {
    let receiver = Receiver::start(0, vec![500, 500, 500], false);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        config(receiver.port, "5s"),
    )
    .expect("config");
    let bw = run(dir.path(), &["--quiet"]);
    receiver.wait_for(4, WAIT);
    std::thread::sleep(Duration::from_millis(800)); // nothing more may arrive
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    let got = receiver
        .requests()
        .into_iter()
        .filter(|r| r.body.contains("lo-check"))
        .collect::<Vec<_>>();
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(500), Some(500), Some(500), Some(200)],
        "{got:?}"
    );
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "every retry sends the stored bytes"
    );
    assert!(
        got[0]
            .headers
            .iter()
            .any(|(k, _)| k == "x-bandwatch-signature"),
        "signed: {:?}",
        got[0].headers
    );
    assert!(
        stderr.contains("delivery failed"),
        "the failures are logged: {stderr}"
    );
    // The delivery leaves its line too: channel, the alert it carried, and which attempt.
    let id = serde_json::from_str::<serde_json::Value>(&got[3].body)
        .ok()
        .and_then(|b| b["alerts"][0]["id"].as_str().map(String::from))
        .unwrap_or_else(|| panic!("an alert id in {}", got[3].body));
    let delivered = stderr
        .lines()
        .find(|l| l.contains("notification delivered"))
        .unwrap_or_else(|| panic!("no delivery line: {stderr}"));
    assert!(delivered.contains(" INFO "), "{delivered}");
    assert!(delivered.contains("channel=hook"), "{delivered}");
    assert!(delivered.contains(&format!("alerts={id}")), "{delivered}");
    assert!(delivered.contains("attempt=4"), "{delivered}");
    assert!(
        !stderr.contains("s3cret"),
        "neither the signing key nor the webhook's path or query reaches the log: {stderr}"
    );
}

#[test]
fn a_notification_written_before_a_kill_9_is_delivered_after_restart() {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), config(port, "2s")).expect("config");
    let mut first = run(dir.path(), &["--quiet"]);
    first.wait_stderr("delivery failed", WAIT); // in the outbox, receiver not there yet
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg(first.child.id().to_string())
        .status();
    let _ = first.child.wait();
    let receiver = Receiver::start(port, vec![], false);
    let second = run(dir.path(), &["--quiet"]);
    receiver.wait_for(1, WAIT);
    std::thread::sleep(Duration::from_millis(800));
    let (status, _, stderr) = second.terminate();
    assert!(status.success(), "{stderr}");
    let delivered: Vec<_> = receiver
        .requests()
        .into_iter()
        .filter(|r| r.body.contains("\"fired\"") && r.body.contains("lo-check"))
        .collect();
    assert_eq!(delivered.len(), 1, "exactly once: {delivered:?}");
}

#[test]
fn a_hanging_receiver_does_not_slow_sampling() {
    let receiver = Receiver::start(0, vec![], true);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        config(receiver.port, "30s"),
    )
    .expect("config");
    let bw = run(dir.path(), &["--json"]);
    receiver.wait_for(1, WAIT); // the delivery is now stuck waiting for an answer
    let start = std::time::Instant::now();
    for _ in 0..20 {
        let _ = bw.next_line(Duration::from_secs(2));
    }
    let took = start.elapsed();
    let _ = bw.stop_with("-KILL");
    assert!(
        took < Duration::from_secs(6),
        "20 ticks at 0.1 s took {took:?} while the receiver hung"
    );
}

#[test]
fn notify_test_reports_each_channel() {
    let receiver = Receiver::start(0, vec![], false);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        config(receiver.port, "5s"),
    )
    .expect("config");
    let ok = bandwatch(dir.path())
        .args(["notify", "test"])
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "hook (webhook): ok\n");
    assert!(receiver.wait_for(1, WAIT)[0]
        .body
        .contains("bandwatch-test"));

    let unknown = bandwatch(dir.path())
        .args(["notify", "test", "pager"])
        .output()
        .expect("run");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr)
        .contains("no notification channel is named 'pager'"));

    std::fs::write(dir.path().join("bandwatch.toml"), config(free_port(), "2s")).expect("config");
    let down = bandwatch(dir.path())
        .args(["notify", "test"])
        .output()
        .expect("run");
    assert_eq!(down.status.code(), Some(1));
    let out = String::from_utf8_lossy(&down.stdout);
    assert!(
        out.starts_with("hook (webhook): FAILED: ") && !out.contains("s3cret"),
        "{out}"
    );
}
