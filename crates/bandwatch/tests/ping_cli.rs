//! `bandwatch test` (alias `ping`) as a process, probing only loopback: ICMP to 127.0.0.1,
//! TCP to a port a listener of the test holds and to a closed one; targets from the command
//! line and from the environment; exit codes 0, 1 and 2; the JSON array.

mod support;

use std::net::TcpListener;
use std::process::{Command, Output};

use serde_json::Value;
use support::bandwatch;

/// The binary with short rounds (two probes, one-second timeout).
fn quick(dir: &std::path::Path) -> Command {
    let mut c = bandwatch(dir);
    c.env("BANDWATCH_PROBE_TIMEOUT", "1")
        .env("BANDWATCH_PROBE_COUNT", "2");
    c
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The table row of `name`.
fn row<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{stdout}"))
}

/// A loopback port nobody listens on.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[test]
fn targets_on_the_command_line_that_answer_exit_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let tcp = format!(
        "tcp://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let out = quick(dir.path())
        .args(["test", "127.0.0.1", &tcp])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.starts_with("NAME"), "{stdout}");
    for name in ["127.0.0.1", tcp.as_str()] {
        let r = row(&stdout, name);
        assert_eq!(r.split_whitespace().nth(1), Some("up"), "{r}");
        assert!(r.contains(" 0%"), "no loss expected: {r}");
    }
}

#[test]
fn a_refused_port_is_down_and_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = format!(
        "tcp://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let closed = format!("tcp://127.0.0.1:{}", closed_port());
    let out = quick(dir.path())
        .args(["test", "127.0.0.1", &open, &closed])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let down = row(&stdout, &closed);
    assert_eq!(down.split_whitespace().nth(1), Some("DOWN"), "{down}");
    assert!(down.contains("refused"), "{down}");
    assert!(down.contains("100%"), "{down}");
    assert_eq!(row(&stdout, &open).split_whitespace().nth(1), Some("up"));
    assert_eq!(
        row(&stdout, "127.0.0.1").split_whitespace().nth(1),
        Some("up")
    );
}

#[test]
fn targets_come_from_the_environment_and_ping_is_an_alias() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = quick(dir.path())
        .env("MONITORED_DEVICES", "127.0.0.1")
        .arg("ping")
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        row(&stdout, "127.0.0.1").split_whitespace().nth(1),
        Some("up")
    );
}

#[test]
fn json_is_an_array_of_outcomes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let closed = format!("tcp://127.0.0.1:{}", closed_port());
    let out = quick(dir.path())
        .env("BANDWATCH_TARGETS", format!("127.0.0.1,{closed}"))
        .args(["ping", "--json"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let doc: Value = serde_json::from_str(stdout.trim()).expect("one JSON document");
    let items = doc.as_array().expect("an array");
    assert_eq!(items.len(), 2);
    let up = &items[0];
    assert_eq!(up["name"], "127.0.0.1");
    assert_eq!(up["status"], "up");
    assert_eq!(up["sent"], 2);
    assert_eq!(up["received"], 2);
    assert_eq!(up["loss_percent"], 0.0);
    let avg = up["rtt_avg_ms"].as_f64().expect("rtt");
    assert!((0.0..1000.0).contains(&avg), "{avg}");
    let down = &items[1];
    assert_eq!(down["name"], closed.as_str());
    assert_eq!(down["status"], "down");
    assert_eq!(down["loss_percent"], 100.0);
    assert!(down["rtt_avg_ms"].is_null());
    assert!(
        down["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{down}"
    );
}

#[test]
fn no_targets_at_all_exits_2_with_how_to_configure_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = quick(dir.path()).arg("test").output().expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    for needle in [
        "probe.targets",
        "BANDWATCH_TARGETS",
        "MONITORED_DEVICES",
        "bandwatch test ",
    ] {
        assert!(stderr.contains(needle), "{needle} missing from: {stderr}");
    }
}

#[test]
fn a_bad_spec_exits_2_with_the_parsers_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = quick(dir.path())
        .args(["test", "127.0.0.1", "ftp://127.0.0.1"])
        .output()
        .expect("run");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.is_empty(), "nothing probed: {stdout}");
    assert!(stderr.contains("ftp://127.0.0.1"), "{stderr}");
    assert!(stderr.contains("tcp://host:port"), "{stderr}");
}
