//! Real traffic between two network namespaces, measured by `bandwatch run --json` on one
//! end and checked against the kernel's own counters. Needs root, iproute2 and iperf3:
//! `.ci/run` makes these tests mandatory; elsewhere they say why they did not run.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::netns::{sh, NetnsPair, VETH_A, VETH_B};
use support::{bin, root_test_ready, LineChild};

const TICK: Duration = Duration::from_secs(10);

/// bandwatch inside namespace `ns`, printing NDJSON at `interval` seconds.
fn bandwatch_in(ns: &str, dir: &std::path::Path, interval: &str) -> LineChild {
    let mut cmd = NetnsPair::exec(ns, bin());
    cmd.args(["run", "--json", "--interval", interval, "--db"])
        .arg(dir.join("bw.db"))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    LineChild::spawn(cmd)
}

/// Starts a one-shot iperf3 server in `ns` and waits until it listens.
fn iperf_server(ns: &str, ip: &str) -> std::process::Child {
    let mut server = NetnsPair::exec(ns, "iperf3")
        .args(["-s", "-1", "-B", ip])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("iperf3 server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let out = sh(&[
            "ip", "netns", "exec", ns, "ss", "-Hltn", "sport", "=", ":5201",
        ]);
        if !out.stdout.is_empty() {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    panic!("iperf3 server in {ns} never listened");
}

/// Runs an iperf3 client in `ns` with extra arguments and waits for it.
fn iperf_client(ns: &str, server_ip: &str, args: &[&str]) {
    let out = NetnsPair::exec(ns, "iperf3")
        .args(["-c", server_ip])
        .args(args)
        .output()
        .expect("iperf3 client");
    assert!(
        out.status.success(),
        "iperf3 client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

fn field(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_u64()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

#[test]
fn reported_bytes_equal_kernel_counter_delta_exactly() {
    if !root_test_ready(
        "reported_bytes_equal_kernel_counter_delta_exactly",
        &["ip", "iperf3", "ss"],
    ) {
        return;
    }
    let net = NetnsPair::new("x", 41);
    let dir = tempfile::tempdir().expect("tempdir");
    let names = ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets"];
    let before: Vec<u64> = names
        .iter()
        .map(|n| NetnsPair::counter(&net.a, VETH_A, n))
        .collect();

    let bw = bandwatch_in(&net.a, dir.path(), "0.2");
    let mut lines = vec![bw.next_line(TICK)]; // the baseline has been taken
    let server = iperf_server(&net.b, &net.ip_b);
    // -R: the server in B sends 20 MB to A.
    iperf_client(&net.a, &net.ip_b, &["-n", "20M", "-R"]);
    let _ = support::wait_timeout(&mut { server }, Duration::from_secs(10));
    for _ in 0..3 {
        lines.push(bw.next_line(TICK));
    }
    let after: Vec<u64> = names
        .iter()
        .map(|n| NetnsPair::counter(&net.a, VETH_A, n))
        .collect();
    for _ in 0..2 {
        lines.push(bw.next_line(TICK)); // at least one sample taken after `after` was read
    }
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "bandwatch exited with {status}: {stderr}");
    assert!(
        stderr.contains("bandwatch stopped"),
        "no clean shutdown in log: {stderr}"
    );
    lines.extend(rest);

    let ticks: Vec<Value> = lines.iter().map(|l| parse(l)).collect();
    for (i, name) in names.iter().enumerate() {
        let reported: u64 = ticks
            .iter()
            .map(|t| field(t, &["interfaces", VETH_A, name]))
            .sum();
        assert_eq!(
            reported,
            after[i] - before[i],
            "{name}: bandwatch's sum must equal the kernel's delta"
        );
        let total: u64 = ticks.iter().map(|t| field(t, &["total", name])).sum();
        assert_eq!(
            total, reported,
            "{name}: the total (loopback excluded) must equal the only link"
        );
    }
    let rx: u64 = ticks
        .iter()
        .map(|t| field(t, &["interfaces", VETH_A, "rx_bytes"]))
        .sum();
    assert!(
        rx >= 20 * 1024 * 1024,
        "20 MiB were sent, bandwatch saw {rx}"
    );
    assert!(
        dir.path().join("bw.db").exists(),
        "the history database was written"
    );
}

#[test]
fn rates_under_tc_shaping_sit_near_the_shaped_rate() {
    if !root_test_ready(
        "rates_under_tc_shaping_sit_near_the_shaped_rate",
        &["ip", "iperf3", "ss", "tc"],
    ) {
        return;
    }
    let net = NetnsPair::new("s", 42);
    let dir = tempfile::tempdir().expect("tempdir");
    // B's egress towards A is shaped to 20 Mbit/s.
    sh(&[
        "ip", "netns", "exec", &net.b, "tc", "qdisc", "add", "dev", VETH_B, "root", "tbf", "rate",
        "20mbit", "burst", "32kb", "latency", "200ms",
    ]);
    let bw = bandwatch_in(&net.a, dir.path(), "0.5");
    let _ = bw.next_line(TICK);
    let server = iperf_server(&net.b, &net.ip_b);
    iperf_client(&net.a, &net.ip_b, &["-t", "5", "-R"]);
    let _ = support::wait_timeout(&mut { server }, Duration::from_secs(10));
    let (status, rest, stderr) = bw.terminate();
    assert!(status.success(), "bandwatch exited with {status}: {stderr}");

    let rates: Vec<f64> = rest
        .iter()
        .map(|l| {
            parse(l)["interfaces"][VETH_A]["rx_bps"]
                .as_f64()
                .expect("rx_bps")
        })
        .filter(|r| *r > 1e6)
        .collect();
    assert!(
        rates.len() >= 6,
        "expected ~10 busy ticks at 0.5 s over 5 s, got {rates:?}"
    );
    // The first and last busy ticks are partial (TCP slow start, the end of the run).
    let mut middle = rates[1..rates.len() - 1].to_vec();
    middle.sort_by(f64::total_cmp);
    let median = middle[middle.len() / 2];
    let shaped = 20e6;
    eprintln!("busy ticks (bit/s): {rates:?}; median of the middle: {median}");
    assert!(
        (median - shaped).abs() / shaped < 0.10,
        "median rx rate {median} bit/s should be within 10% of {shaped}: {rates:?}"
    );
    for r in &middle {
        assert!(
            *r < shaped * 1.25,
            "no tick may be far above the shaped rate: {r} in {rates:?}"
        );
    }
}

#[test]
fn netns_helpers_clean_up() {
    if !root_test_ready("netns_helpers_clean_up", &["ip"]) {
        return;
    }
    let name = {
        let net = NetnsPair::new("c", 43);
        net.a.clone()
    };
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&name),
        "namespace {name} was left behind"
    );
}
