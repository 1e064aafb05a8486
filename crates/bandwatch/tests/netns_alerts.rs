//! The alert engine end to end with real traffic between two network namespaces: steady
//! baseline traffic, then a burst → exactly one spike alert, then its resolution, and both
//! visible in `bandwatch alerts`. Needs root, iproute2, iperf3 and ping; `.ci/run` makes it
//! mandatory.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::netns::{sh, NetnsPair, VETH_A};
use support::{bandwatch, bin, root_test_ready, LineChild};

const CONFIG: &str = r#"
[thresholds]
upload_mbps = 100000
download_mbps = 100000

[[rules]]
name = "burst"
metric = "net_rx_bits_per_second"
match = { iface = "veth-a" }
condition = "spike"
factor = 3.0
window = 10
floor = 2e6
severity = "high"
cooldown = "10m"
"#;

#[test]
fn a_burst_over_steady_traffic_raises_exactly_one_spike_alert_and_resolves_it() {
    if !root_test_ready(
        "a_burst_over_steady_traffic_raises_exactly_one_spike_alert_and_resolves_it",
        &["ip", "iperf3", "ss", "ping"],
    ) {
        return;
    }
    let net = NetnsPair::new("e", 44);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("bandwatch.toml"), CONFIG).expect("config");
    let mut cmd = NetnsPair::exec(&net.a, bin());
    cmd.args(["run", "--json", "--interval", "0.2", "--db", "bw.db"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // Only the network is under test: a busy CI machine must not add a CPU alert.
        .env("BANDWATCH_SYSTEM", "false");
    let bw = LineChild::spawn(cmd);
    let _ = bw.next_line(Duration::from_secs(10));

    // Steady baseline: ~1 Mbit/s of echo replies from B (100 pings a second, 1200 bytes).
    let mut baseline = NetnsPair::exec(&net.a, "ping")
        .args(["-q", "-i", "0.01", "-s", "1200", &net.ip_b])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ping");
    wait_lines(&bw, 20); // four seconds: the 10-sample baseline is full and steady

    // The burst: B sends at 50 Mbit/s for one second.
    let mut server = NetnsPair::exec(&net.b, "iperf3")
        .args(["-s", "-1", "-B", &net.ip_b])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("iperf3 server");
    wait_listening(&net.b);
    let out = NetnsPair::exec(&net.a, "iperf3")
        .args(["-c", &net.ip_b, "-R", "-t", "1", "-b", "50M"])
        .output()
        .expect("iperf3 client");
    assert!(
        out.status.success(),
        "iperf3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = support::wait_timeout(&mut server, Duration::from_secs(10));
    wait_lines(&bw, 25); // five seconds of steady traffic again
    let _ = baseline.kill();
    let _ = baseline.wait();
    let (status, _, stderr) = bw.terminate();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("alert fired").count(),
        1,
        "one alert fired: {stderr}"
    );

    let alerts = support::alerts_json(dir.path(), "bw.db", &["--since", "1h"]);
    assert_eq!(alerts.len(), 1, "exactly one alert: {alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["rule"], "burst");
    assert_eq!(alert["state"], "resolved");
    assert_eq!(alert["severity"], "high");
    assert_eq!(alert["series"]["labels"][0][1], VETH_A, "{alert}");
    let kinds: Vec<&str> = alert["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["fired", "resolved"], "{alert}");

    let table = bandwatch(dir.path())
        .args(["alerts", "--since", "1h", "--db", "bw.db"])
        .output()
        .expect("alerts");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("resolved") && text.contains("burst") && text.contains("veth-a"),
        "{text}"
    );
}

fn wait_lines(bw: &LineChild, n: usize) {
    for _ in 0..n {
        let _ = bw.next_line(Duration::from_secs(10));
    }
}

fn wait_listening(ns: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !sh(&[
            "ip", "netns", "exec", ns, "ss", "-Hltn", "sport", "=", ":5201",
        ])
        .stdout
        .is_empty()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("iperf3 server in {ns} never listened");
}
