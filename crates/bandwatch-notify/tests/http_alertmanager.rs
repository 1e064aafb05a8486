//! `AlertmanagerSender` against a real Prometheus Alertmanager started by the test on
//! 127.0.0.1 (Debian's `prometheus-alertmanager`; `.ci/deps/alertmanager.sh` installs it).

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bandwatch_core::{AlertEvent, AlertState, EventKind, Timestamp};
use bandwatch_notify::send::http::{AlertmanagerSender, ReqwestPost};
use serde_json::Value;

const BINARIES: [&str; 2] = ["prometheus-alertmanager", "alertmanager"];
const CONFIG: &str = "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n";

/// The Alertmanager binary on `PATH`, or why the test cannot run.
fn binary() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .flat_map(|dir| BINARIES.map(|b| dir.join(b)))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "no prometheus-alertmanager on PATH; run `bash .ci/deps/alertmanager.sh`".to_string()
        })
}

/// Kills and reaps the Alertmanager process however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

fn start(bin: &Path, dir: &Path) -> (Running, String) {
    let config = dir.join("alertmanager.yml");
    std::fs::write(&config, CONFIG).expect("write the config");
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
    (Running(child), format!("http://127.0.0.1:{port}"))
}

/// Polls `/-/ready`: Alertmanager takes a moment to load its config and open its port.
fn wait_ready(am: &mut Running, base: &str, dir: &Path) {
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = client
            .get(format!("{base}/-/ready"))
            .timeout(Duration::from_secs(2))
            .send()
            .is_ok_and(|r| r.status().is_success());
        if ready {
            return;
        }
        let log = || std::fs::read_to_string(dir.join("alertmanager.log")).unwrap_or_default();
        if let Ok(Some(status)) = am.0.try_wait() {
            panic!("alertmanager exited with {status}:\n{}", log());
        }
        assert!(
            Instant::now() < deadline,
            "alertmanager not ready in 30 s:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The alerts Alertmanager holds with our `bandwatch_id` label.
fn alerts_with_id(base: &str, id: &str) -> Vec<Value> {
    let body = reqwest::blocking::Client::new()
        .get(format!("{base}/api/v2/alerts"))
        .timeout(Duration::from_secs(5))
        .send()
        .and_then(reqwest::blocking::Response::bytes)
        .expect("GET /api/v2/alerts");
    let list: Value = serde_json::from_slice(&body).expect("a JSON answer");
    list.as_array()
        .expect("a list of alerts")
        .iter()
        .filter(|a| a["labels"]["bandwatch_id"] == id)
        .cloned()
        .collect()
}

fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    Timestamp(i64::try_from(since.as_millis()).expect("millis fit"))
}

/// A firing event that started a minute ago, and its resolution now (same labels).
fn firing_then_resolved() -> (AlertEvent, AlertEvent) {
    let now = now();
    let mut firing = common::fired_high();
    firing.started = now.add_millis(-60_000);
    firing.at = now.add_millis(-30_000);
    firing.id = bandwatch_core::alert_id(&firing.rule, &firing.series, firing.started);
    let mut resolved = firing.clone();
    resolved.kind = EventKind::Resolved;
    resolved.state = AlertState::Resolved;
    resolved.ended = Some(now);
    resolved.at = now;
    (firing, resolved)
}

#[test]
fn alerts_fire_and_resolve_in_a_real_alertmanager() {
    let bin = match binary() {
        Ok(bin) => bin,
        Err(why) if std::env::var("BANDWATCH_REQUIRE_ROOT_TESTS").as_deref() == Ok("1") => {
            panic!("BANDWATCH_REQUIRE_ROOT_TESTS=1 but {why}")
        }
        Err(why) => {
            println!("SKIPPED: {why}");
            return;
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut am, base) = start(&bin, dir.path());
    wait_ready(&mut am, &base, dir.path());

    let mut sender = AlertmanagerSender::new(ReqwestPost::new().expect("client"), &base);
    sender.settings.instance = "bandwatch-test".into();
    let (firing, resolved) = firing_then_resolved();

    sender
        .send(std::slice::from_ref(&firing))
        .expect("post the firing alert");
    let held = alerts_with_id(&base, &firing.id);
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(held[0]["status"]["state"], "active", "{held:#?}");
    assert_eq!(held[0]["labels"]["alertname"], "wan_rx_high");
    assert_eq!(held[0]["labels"]["severity"], "high");
    assert_eq!(held[0]["labels"]["instance"], "bandwatch-test");

    sender.send(&[resolved]).expect("post the resolution");
    let held = alerts_with_id(&base, &firing.id);
    assert!(
        held.iter().all(|a| a["status"]["state"] != "active"),
        "still active after the resolution: {held:#?}"
    );
    drop(am);
}
