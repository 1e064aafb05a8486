//! `bandwatch run` with the devices source, end to end, in the testkit's router lab (a LAN
//! bridge with three hosts, a WAN host behind NAT): the real binary runs in the router
//! namespace with `[devices]` on `br-lan`, the old monitor's registry file (with the test
//! hosts' addresses) and `url_notify` pointing at a receiver that runs in the router
//! namespace too (this test binary re-run there: the agent and the receiver talk over the
//! router's loopback only).
//!
//! Checked: each host's per-device totals in the history equal its own veth counters (capture:
//! L2 frame bytes without FCS on both sides; conntrack: IP bytes, the veth bytes minus 14 per
//! packet); a host over its `bandwidth_threshold` fires `device-bandwidth` and the receiver
//! gets it; each new host raises `device-new` once, and a restart on the same history does
//! not announce it again while a host first seen after the restart is announced.
//!
//! Needs root, iproute2, iperf3, nftables, procps: SKIPPED otherwise, mandatory under
//! BANDWATCH_REQUIRE_ROOT_TESTS=1.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bandwatch_store::Store as _;
use bandwatch_testkit::router::{minus, settled, sh, transfer, Lab, Proc, HOSTS, WAN};
use support::{bin, root_test_ready, LineChild};

const RECEIVER_CHILD: &str = "BW_NETNS_DEVICES_RECEIVER";

/// The receiver when this binary is re-run in the router namespace: prints its port, then
/// every request body, one per line, until killed.
#[test]
fn netns_devices_receiver_child() {
    if std::env::var_os(RECEIVER_CHILD).is_none() {
        return;
    }
    let r = support::receiver::Receiver::start(0, Vec::new(), false);
    println!("@@ PORT {}", r.port);
    let mut shown = 0;
    loop {
        let reqs = r.requests();
        for req in &reqs[shown..] {
            println!("@@ BODY {}", req.body.replace('\n', " "));
        }
        shown = reqs.len();
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The receiver running in `ns`: its port and the alerts of every document it got.
struct Hook {
    _proc: Proc,
    port: u16,
    lines: mpsc::Receiver<String>,
    alerts: Vec<serde_json::Value>,
}

impl Hook {
    fn start(ns: &str) -> Self {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(exe)
            .args(["--exact", "netns_devices_receiver_child", "--nocapture"])
            .env(RECEIVER_CHILD, "1")
            .stdout(Stdio::piped())
            .spawn()
            .expect("receiver child");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some((_, ours)) = l.split_once("@@ ") {
                    let _ = tx.send(ours.to_owned());
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("receiver port");
        let port = first
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .expect("PORT n");
        Self {
            _proc: Proc(child),
            port,
            lines,
            alerts: Vec::new(),
        }
    }

    /// Takes what arrived, waiting up to `limit` for an alert `pred` accepts.
    fn wait_for(&mut self, limit: Duration, pred: impl Fn(&serde_json::Value) -> bool) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if self.alerts.iter().any(&pred) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(line) = self.lines.recv_timeout(left) else {
                return false;
            };
            if let Some(body) = line.strip_prefix("BODY ") {
                let doc: serde_json::Value = serde_json::from_str(body).expect("webhook JSON");
                self.alerts
                    .extend(doc["alerts"].as_array().cloned().unwrap_or_default());
            }
        }
    }

    /// Devices announced by a `device-new` alert that fired, with how often.
    fn announced(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for a in &self.alerts {
            if a["rule"] == "device-new" && a["event"] == "fired" {
                let d = a["labels"]["device"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                *out.entry(d).or_default() += 1;
            }
        }
        out
    }
}

/// The issue's registry, unchanged in form, with the lab hosts' addresses; the cellphone's
/// threshold is 1 MB, so its 3 MB upload goes over it.
fn registry() -> String {
    let [a, b, c] = [HOSTS[0].ip, HOSTS[1].ip, HOSTS[2].ip];
    format!(
        r#"{{
  "unknown":      {{ "bandwidth_threshold": 100000000, "max_active_time": 10800 }},
  "{a}":  {{ "name": "Laptop",    "bandwidth_threshold": 500000000,  "max_active_time": 18000 }},
  "{b}":  {{ "name": "Cellphone", "bandwidth_threshold": 1000000,  "max_active_time": 10800 }},
  "{c}":  {{ "name": "Smart TV",  "bandwidth_threshold": 2000000000, "max_active_time": 14400 }}
}}
"#
    )
}

/// `bandwatch run` in the router namespace, started and ready.
fn start_agent(lab: &Lab, dir: &Path) -> LineChild {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &lab.router, bin()])
        .args(["run", "--interval", "0.5", "--db", "h.db"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("BANDWATCH_WEB_LISTEN", "127.0.0.1:0");
    let agent = LineChild::spawn(cmd);
    agent.wait_stderr("counting bytes per LAN device", Duration::from_secs(30));
    agent
}

/// The sum of every stored point of `metric` for the device labelled `device`.
fn stored_total(db: &Path, metric: &str, device: &str) -> u64 {
    let store = bandwatch_store::SqliteStore::open(db, bandwatch_store::SqliteOptions::default())
        .expect("open store");
    let mut total = 0.0;
    for key in store.series().expect("series") {
        if key.metric == metric && key.labels.get("device") == Some(device) {
            let points = store
                .query_raw(
                    &key,
                    bandwatch_core::Timestamp(0),
                    bandwatch_core::Timestamp(i64::MAX),
                )
                .expect("query");
            total += points.iter().map(|(_, v)| v).sum::<f64>();
        }
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // whole byte counts
    let total = total as u64;
    total
}

fn run_lab(tag: &str, backend: &str) {
    let lab = Lab::new(tag);
    if backend == "conntrack" {
        lab.router_sysctl("net.netfilter.nf_conntrack_acct=1");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("registered_devices.json"), registry()).expect("registry");
    let mut hook = Hook::start(&lab.router);
    std::fs::write(
        dir.path().join("bandwatch.toml"),
        format!(
            "[system]\nenabled = false\n\n[devices]\nenabled = true\nbackend = \"{backend}\"\n\
             interfaces = [\"br-lan\"]\nregistry = \"registered_devices.json\"\n\n\
             [notify]\nurl_notify = \"http://127.0.0.1:{}/hook\"\ngroup_window = \"200ms\"\n",
            hook.port
        ),
    )
    .expect("config");
    let db = dir.path().join("h.db");
    let w = lab.wan.clone();
    let wan_ip = format!("{WAN}.2");

    let agent = start_agent(&lab, dir.path());
    let before = settled(&lab);
    transfer(&w, &wan_ip, lab.host("a"), "3M", true); // a download to A
    transfer(&w, &wan_ip, lab.host("b"), "3M", false); // an upload from B
    let after = settled(&lab);
    let over = hook.wait_for(Duration::from_secs(30), |a| {
        a["rule"] == "device-bandwidth"
            && a["labels"]["device"] == "Cellphone"
            && a["event"] == "fired"
    });
    assert!(
        over,
        "no device-bandwidth for the cellphone; got {:?}",
        hook.alerts
    );
    assert!(hook.wait_for(Duration::from_secs(10), |a| {
        a["rule"] == "device-new" && a["labels"]["device"] == "Laptop"
    }));
    // Two more ticks: the last frames of the traffic are in the history.
    std::thread::sleep(Duration::from_millis(1500));
    let (status, _, errs) = agent.terminate();
    assert!(status.success(), "{errs}");

    for (i, name) in [(0, "Laptop"), (1, "Cellphone")] {
        let d = minus(after[i], before[i]);
        let (rx, tx) = if backend == "capture" {
            (d[0], d[1])
        } else {
            // conntrack counts IP packets: the veth's frames without their Ethernet header.
            (d[0] - 14 * d[2], d[1] - 14 * d[3])
        };
        assert!(rx + tx > 2_000_000, "{name} moved its megabytes: {d:?}");
        assert_eq!(
            (
                stored_total(&db, "device_rx_bytes", name),
                stored_total(&db, "device_tx_bytes", name)
            ),
            (rx, tx),
            "{name} ({backend}): stored totals against its veth"
        );
        assert_eq!(stored_total(&db, "device_bytes", name), rx + tx);
    }
    assert!(
        !hook
            .alerts
            .iter()
            .any(|a| a["rule"] == "device-bandwidth" && a["labels"]["device"] == "Laptop"),
        "3 MB is far below the laptop's 500 MB"
    );

    // A restart on the same history: the laptop is not announced again, the TV (first seen
    // now) is.
    let agent = start_agent(&lab, dir.path());
    transfer(&w, &wan_ip, lab.host("a"), "200K", true);
    transfer(&w, &wan_ip, lab.host("c"), "200K", true);
    assert!(
        hook.wait_for(Duration::from_secs(30), |a| {
            a["rule"] == "device-new" && a["labels"]["device"] == "Smart TV"
        }),
        "the TV is announced: {:?}",
        hook.alerts
    );
    std::thread::sleep(Duration::from_millis(1500));
    let (status, _, errs) = agent.terminate();
    assert!(status.success(), "{errs}");
    hook.wait_for(Duration::from_millis(500), |_| false);
    let announced = hook.announced();
    assert_eq!(
        announced,
        BTreeMap::from([
            ("Cellphone".to_owned(), 1),
            ("Laptop".to_owned(), 1),
            ("Smart TV".to_owned(), 1)
        ]),
        "each device announced once over both runs"
    );
    drop(lab);
    let _ = sh(&["true"]);
}

#[test]
fn capture_in_run_counts_alerts_and_announces_once() {
    if !root_test_ready(
        "capture_in_run_counts_alerts_and_announces_once",
        &["iperf3", "nft", "bridge", "sysctl"],
    ) {
        return;
    }
    run_lab("k", "capture");
}

#[test]
fn conntrack_in_run_counts_alerts_and_announces_once() {
    if !root_test_ready(
        "conntrack_in_run_counts_alerts_and_announces_once",
        &["iperf3", "nft", "bridge", "sysctl"],
    ) {
        return;
    }
    run_lab("t", "conntrack");
}
