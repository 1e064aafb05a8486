//! Notifications from `bandwatch run` to real servers on 127.0.0.1: an aiosmtpd mail sink
//! (also down first, then up), a Prometheus Alertmanager the test starts, the Mosquitto broker
//! on 127.0.0.1:1883, and a silence that keeps an alert from a webhook.
//!
//! Each test skips with "SKIPPED" when its server software is missing, and fails instead when
//! BANDWATCH_REQUIRE_ROOT_TESTS=1.

mod support;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bandwatch_testkit::{free_port, have, http, require};
use serde_json::Value;
use support::mail::{aiosmtpd_missing, email_channel, part, poll, Running, Sink, WAIT};
use support::receiver::Receiver;
use support::{bandwatch, LineChild};

/// How to get what a test here needs (each missing piece also names its own fix).
const FIX: &str = "install what is named (CI does: bash .ci/run)";

/// A rule that fires on the first tick on any Linux machine (loopback is up, 1 < 2), fast
/// grouping and retries, and the given channel table.
fn config(channel: &str) -> String {
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
retry_max = "500ms"

[[notify.channels]]
{channel}
"#
    )
}

fn run(dir: &Path, config_text: &str, extra: &[&str]) -> LineChild {
    std::fs::write(dir.join("bandwatch.toml"), config_text).expect("config");
    let mut cmd = bandwatch(dir);
    cmd.args(["run", "--interval", "0.1", "--db", "h.db"])
        .args(extra);
    LineChild::spawn(cmd)
}

/// The dirs for the sink and for bandwatch stay apart, so the sink dir holds only mail.
fn two_dirs() -> (tempfile::TempDir, tempfile::TempDir) {
    (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    )
}

#[test]
fn an_alert_arrives_as_one_multipart_mail_to_both_recipients() {
    if !require("email e2e", &aiosmtpd_missing(), FIX) {
        return;
    }
    let (mail_dir, dir) = two_dirs();
    let port = free_port();
    let sink = Sink::start(port, mail_dir.path());
    let bw = run(dir.path(), &config(&email_channel(port)), &["--quiet"]);
    sink.wait_for(1);
    std::thread::sleep(Duration::from_millis(800)); // nothing more may arrive
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");

    let stored = sink.messages();
    assert_eq!(stored.len(), 1, "one mail: {stored:#?}");
    let m = &stored[0];
    assert_eq!(m["mail_from"], "bandwatch@router.example");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["ops@example.com", "night@example.org"])
    );
    let to = m["to"].as_str().expect("to");
    assert!(
        to.contains("ops@example.com") && to.contains("night@example.org"),
        "{to}"
    );
    assert_eq!(m["content_type"], "multipart/alternative");
    let subject = m["subject"].as_str().expect("subject");
    assert_eq!(subject, "[bandwatch] HIGH firing: lo-check on lo");
    let text = part(m, "text/plain");
    assert!(text.starts_with("HIGH lo: lo-check fired"), "{text}");
    assert!(text.contains("below the limit of 2"), "{text}");
    let html = part(m, "text/html");
    assert!(
        html.contains(">HIGH fired</span>"),
        "severity badge: {html}"
    );
    assert!(html.contains("#ef6c00"), "the colour of high: {html}");
    assert!(html.contains("lo-check on lo"), "{html}");
}

#[test]
fn mail_fails_while_the_server_is_down_then_arrives_once() {
    if !require("email e2e", &aiosmtpd_missing(), FIX) {
        return;
    }
    let (mail_dir, dir) = two_dirs();
    let port = free_port();
    let bw = run(dir.path(), &config(&email_channel(port)), &["--quiet"]);
    let failed = bw.wait_stderr("delivery failed", WAIT);
    assert!(failed.contains("mail"), "{failed}");
    let sink = Sink::start(port, mail_dir.path());
    sink.wait_for(1);
    std::thread::sleep(Duration::from_millis(1500)); // retries would come every <= 500 ms
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    let stored = sink.messages();
    assert_eq!(stored.len(), 1, "exactly once: {stored:#?}");
    assert!(
        stored[0]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("lo-check")),
        "{stored:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Prometheus Alertmanager

const ALERTMANAGER: [&str; 2] = ["prometheus-alertmanager", "alertmanager"];

fn alertmanager_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .flat_map(|dir| ALERTMANAGER.map(|b| dir.join(b)))
        .find(|p| p.is_file())
}

/// A GET to 127.0.0.1:`port`; the status and the body, `None` when nothing answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    http::get(port, path).ok().map(|r| (r.status, r.body))
}

fn start_alertmanager(bin: &Path, dir: &Path) -> (Running, u16) {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n",
    )
    .expect("write the config");
    let port = free_port();
    let log = std::fs::File::create(dir.join("alertmanager.log")).expect("log file");
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        // An empty address turns clustering (gossip on 0.0.0.0:9094) off.
        .arg("--cluster.listen-address=")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start alertmanager");
    let mut am = Running(child);
    poll("alertmanager is ready", Duration::from_secs(30), || {
        if let Ok(Some(status)) = am.0.try_wait() {
            let log = std::fs::read_to_string(dir.join("alertmanager.log")).unwrap_or_default();
            panic!("alertmanager exited with {status}:\n{log}");
        }
        http_get(port, "/-/ready").filter(|(s, _)| *s == 200)
    });
    (am, port)
}

#[test]
fn a_firing_alert_is_active_in_a_real_alertmanager() {
    let bin = alertmanager_binary();
    let missing: Vec<String> = if bin.is_none() {
        vec!["prometheus-alertmanager (run `bash .ci/deps/alertmanager.sh`)".into()]
    } else {
        Vec::new()
    };
    if !require("alertmanager e2e", &missing, FIX) {
        return;
    }
    let am_dir = tempfile::tempdir().expect("tempdir");
    let (_am, am_port) = start_alertmanager(&bin.expect("checked"), am_dir.path());
    let dir = tempfile::tempdir().expect("tempdir");
    let channel =
        format!("name = \"am\"\ntype = \"alertmanager\"\nurl = \"http://127.0.0.1:{am_port}\"\n");
    let bw = run(dir.path(), &config(&channel), &["--quiet"]);
    let alert = poll("Alertmanager holds the lo-check alert", WAIT, || {
        let (_, body) = http_get(am_port, "/api/v2/alerts")?;
        let list: Value = serde_json::from_str(&body).ok()?;
        list.as_array()?
            .iter()
            .find(|a| a["labels"]["alertname"] == "lo-check")
            .cloned()
    });
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    assert_eq!(alert["status"]["state"], "active", "{alert:#}");
    assert_eq!(alert["labels"]["severity"], "high", "{alert:#}");
    assert_eq!(alert["labels"]["iface"], "lo", "{alert:#}");
}

// ---------------------------------------------------------------------------------------------
// MQTT through Mosquitto

/// Home Assistant object ids allow `[a-zA-Z0-9_-]` only (as bandwatch maps the host name).
fn object_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `mosquitto_sub` printing `retain topic payload` per message, one per line.
fn subscribe(topics: &[&str], extra: &[&str]) -> LineChild {
    let mut cmd = Command::new("mosquitto_sub");
    cmd.args(["-h", "127.0.0.1", "-p", "1883", "-q", "1", "-F", "%r %t %p"])
        .args(extra);
    for t in topics {
        cmd.args(["-t", t]);
    }
    LineChild::spawn(cmd)
}

fn publish(topic: &str, payload: &str) {
    let ok = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "1883",
            "-q",
            "1",
            "-t",
            topic,
            "-m",
        ])
        .arg(payload)
        .status()
        .expect("mosquitto_pub");
    assert!(ok.success(), "mosquitto_pub to {topic}");
}

/// Removes retained messages under the topic filters (the broker is shared).
fn clear_retained(topics: &[&str]) {
    let mut cmd = Command::new("mosquitto_sub");
    cmd.args([
        "-h",
        "127.0.0.1",
        "-p",
        "1883",
        "--remove-retained",
        "--retained-only",
        "-W",
        "2",
    ]);
    for t in topics {
        cmd.args(["-t", t]);
    }
    let _ = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status();
}

#[test]
fn mqtt_gets_the_event_the_rates_and_a_retained_discovery_config() {
    let mut missing = Vec::new();
    if TcpStream::connect_timeout(&([127, 0, 0, 1], 1883).into(), Duration::from_secs(2)).is_err() {
        missing.push("an MQTT broker on 127.0.0.1:1883 (mosquitto -d)".to_string());
    }
    for p in ["mosquitto_sub", "mosquitto_pub"] {
        if !have(p) {
            missing.push(format!("the `{p}` program (mosquitto-clients)"));
        }
    }
    if !require("mqtt e2e", &missing, FIX) {
        return;
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let prefix = format!("bandwatch-e2e/{}-{nanos}", std::process::id());
    let node = object_id(
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .unwrap_or_else(|_| "bandwatch".into())
            .trim(),
    );
    let rx_config = format!("homeassistant/sensor/bandwatch_{node}/lo_rx/config");

    let all = format!("{prefix}/#");
    let sub = subscribe(&[&all], &[]);
    let lines = &sub.lines;
    // The subscription is in place once our own marker comes back.
    poll("the subscriber is ready", WAIT, || {
        publish(&format!("{prefix}/marker"), "x");
        lines
            .recv_timeout(Duration::from_millis(300))
            .ok()
            .filter(|l| l.contains("/marker"))
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let channel = format!(
        "name = \"mq\"\ntype = \"mqtt\"\nhost = \"127.0.0.1\"\nport = 1883\nprefix = \"{prefix}\"\ndiscovery = true\nclient_id = \"bw-e2e-{}-{nanos}\"\n",
        std::process::id()
    );
    let bw = run(dir.path(), &config(&channel), &["--quiet"]);
    let events = format!("{prefix}/events");
    let rates = format!("{prefix}/rates/lo");
    let mut seen: Vec<(String, String)> = Vec::new();
    poll("an event and lo rates arrive", WAIT, || {
        while let Ok(l) = lines.try_recv() {
            let mut it = l.splitn(3, ' ');
            let (_, topic, payload) = (it.next()?, it.next()?, it.next().unwrap_or(""));
            seen.push((topic.to_string(), payload.to_string()));
        }
        let has = |t: &str| seen.iter().any(|(topic, _)| topic == t);
        (has(&events) && has(&rates)).then_some(())
    });
    let (status, _, stderr) = bw.terminate();

    // A late subscriber finds the discovery config retained, pointing at our rates topic.
    let late = subscribe(&[&rx_config], &["--retained-only", "-C", "1", "-W", "10"]);
    let config_line = late.lines.recv_timeout(WAIT);
    clear_retained(&[&all, &format!("homeassistant/sensor/bandwatch_{node}/#")]);
    assert!(status.success(), "{stderr}");

    let event: Value = seen
        .iter()
        .find(|(t, _)| *t == events)
        .map(|(_, p)| serde_json::from_str(p).expect("event JSON"))
        .expect("event");
    let event_text = event.to_string();
    assert!(
        event_text.contains("lo-check") && event_text.contains("high"),
        "{event:#}"
    );
    let rate: Value = seen
        .iter()
        .find(|(t, _)| *t == rates)
        .map(|(_, p)| serde_json::from_str(p).expect("rates JSON"))
        .expect("rates");
    assert!(
        rate["rx_mbps"].is_number() && rate["tx_mbps"].is_number(),
        "{rate}"
    );

    let config_line = config_line.expect("a retained discovery config");
    let (retain, rest) = config_line.split_once(' ').expect("retain flag");
    let (topic, payload) = rest.split_once(' ').expect("topic and payload");
    assert_eq!((retain, topic), ("1", rx_config.as_str()), "{config_line}");
    let doc: Value = serde_json::from_str(payload).expect("discovery JSON");
    assert_eq!(doc["state_topic"], rates, "{doc:#}");
    assert_eq!(doc["unit_of_measurement"], "Mbit/s", "{doc:#}");
}

// ---------------------------------------------------------------------------------------------
// Silences

#[test]
fn a_silence_added_before_the_run_keeps_the_alert_from_the_webhook() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The history database must exist before a silence can be added to it.
    let created = bandwatch(dir.path())
        .args([
            "run",
            "--interval",
            "0.1",
            "--duration",
            "0.5",
            "--quiet",
            "--db",
            "h.db",
        ])
        .output()
        .expect("run");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let silenced = bandwatch(dir.path())
        .args([
            "alerts",
            "silence",
            "rule=lo-check",
            "--for",
            "1h",
            "--db",
            "h.db",
        ])
        .output()
        .expect("silence");
    assert!(
        silenced.status.success(),
        "{}",
        String::from_utf8_lossy(&silenced.stderr)
    );

    let receiver = Receiver::start(0, vec![], false);
    let channel = format!(
        "name = \"hook\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{}/hook\"\n",
        receiver.port
    );
    let bw = run(
        dir.path(),
        &config(&channel),
        &["--quiet", "--log-level", "info"],
    );
    let line = bw.wait_stderr("alert silenced", WAIT);
    std::thread::sleep(Duration::from_secs(3)); // a delivery would have come by now
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    let got = receiver.requests();
    assert!(got.is_empty(), "silenced, yet sent ({line}): {got:?}");
}
