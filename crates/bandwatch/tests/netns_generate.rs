//! `bandwatch generate` where nothing else talks: on the loopback of a namespace of its own,
//! and between two namespaces over a veth pair (`--serve` in one, `--peer` from the other).
//! There, the bytes `bandwatch run --json` reports on the receiving interface equal the
//! generator's payload count plus the overhead it reports, exactly.
//!
//! How the generator counts: payload bytes as its sockets moved them (the far end's count is
//! checked against ours), and overhead as the interface's kernel counters moved during the
//! session (read before the first connection and once the counters have been still for
//! 200 ms after the last close) minus that payload: TCP/IP/Ethernet headers, ACKs, the
//! handshakes and the control frames. Needs root and iproute2; `.ci/run` makes it mandatory.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::netns::{sh, NetnsPair, VETH_A, VETH_B};
use support::{bin, root_test_ready, LineChild};

const TICK: Duration = Duration::from_secs(10);

/// A bandwatch command inside namespace `ns`, with a clean environment, in `dir`.
fn in_ns(ns: &str, dir: &std::path::Path) -> std::process::Command {
    let mut cmd = NetnsPair::exec(ns, bin());
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("BANDWATCH_WEB_LISTEN", "127.0.0.1:0");
    cmd
}

/// `bandwatch run --json` in `ns` on one interface, every 0.2 s.
fn watch(ns: &str, dir: &std::path::Path, iface: &str) -> LineChild {
    let mut cmd = in_ns(ns, dir);
    cmd.args([
        "run",
        "--json",
        "--interval",
        "0.2",
        "--interface",
        iface,
        "--db",
    ])
    .arg(dir.join("bw.db"));
    LineChild::spawn(cmd)
}

/// `bandwatch generate --json` in `ns` with `args`: its summary.
fn generate(ns: &str, dir: &std::path::Path, args: &[&str]) -> Value {
    let out = in_ns(ns, dir)
        .args(["generate", "--json"])
        .args(args)
        .output()
        .expect("bandwatch generate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "generate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// Sums of `iface`'s rx and tx bytes over every tick `run` printed, the generator's
/// session lying inside them: a tick before it started is awaited by the caller, and a
/// few after it ended are taken here.
fn run_totals(run: LineChild, mut lines: Vec<String>, iface: &str) -> (u64, u64) {
    for _ in 0..3 {
        lines.push(run.next_line(TICK));
    }
    let (status, rest, stderr) = run.terminate();
    assert!(status.success(), "bandwatch run: {status}: {stderr}");
    lines.extend(rest);
    let sum = |key: &str| -> u64 {
        lines
            .iter()
            .map(|l| {
                support::tick_json(l)["interfaces"][iface][key]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{iface} {key} missing in {l}"))
            })
            .sum()
    };
    (sum("rx_bytes"), sum("tx_bytes"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn i(v: &Value, key: &str) -> i64 {
    v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// The overhead is the plausible size for TCP: more than nothing, under 10 % of payload.
/// (Per interface direction it is not: the ACKs of one direction's payload travel the
/// other way, so the two directions' overheads are summed against all the payload.)
fn plausible(overhead: i64, payload: u64, s: &Value) {
    assert!(
        overhead > 0 && (overhead as f64) < payload as f64 * 0.10,
        "overhead {overhead} B for {payload} B of payload is not TCP's: {s}"
    );
}

#[test]
fn on_a_private_loopback_run_reports_payload_plus_overhead_exactly() {
    if !root_test_ready(
        "on_a_private_loopback_run_reports_payload_plus_overhead_exactly",
        &["ip"],
    ) {
        return;
    }
    let net = NetnsPair::new("g", 47);
    let dir = tempfile::tempdir().expect("tempdir");
    let run = watch(&net.a, dir.path(), "lo");
    let first = vec![run.next_line(TICK)];
    let s = generate(&net.a, dir.path(), &["--duration", "1.5", "--rate", "30M"]);
    let (rx, tx) = run_totals(run, first, "lo");

    assert_eq!(u(&s, "sent_bytes"), u(&s, "peer_received_bytes"), "{s}");
    assert_eq!(u(&s, "received_bytes"), u(&s, "peer_sent_bytes"), "{s}");
    let lo = &s["interface"];
    assert_eq!(lo["name"], "lo");
    let payload = u(&s, "sent_bytes") + u(&s, "received_bytes");
    assert_eq!(u(lo, "payload_rx_bytes"), payload, "{s}");
    assert_eq!(
        rx as i64,
        payload as i64 + i(lo, "overhead_rx_bytes"),
        "lo rx seen by bandwatch run = the generator's payload + overhead: {s}"
    );
    assert_eq!(
        tx as i64,
        payload as i64 + i(lo, "overhead_tx_bytes"),
        "{s}"
    );
    plausible(i(lo, "overhead_rx_bytes"), payload, &s);
}

#[test]
fn serve_and_peer_across_a_veth_match_run_on_the_receiving_interface_exactly() {
    if !root_test_ready(
        "serve_and_peer_across_a_veth_match_run_on_the_receiving_interface_exactly",
        &["ip"],
    ) {
        return;
    }
    let net = NetnsPair::new("p", 48);
    let dir = tempfile::tempdir().expect("tempdir");
    let listen = format!("{}:5210", net.ip_b);
    let mut far = in_ns(&net.b, dir.path());
    far.args(["generate", "--serve", "--listen", &listen]);
    let far = LineChild::spawn(far);
    let hello = far.next_line(TICK);
    assert!(hello.contains("serving on"), "{hello}");

    let run = watch(&net.a, dir.path(), VETH_A);
    let first = vec![run.next_line(TICK)];
    let s = generate(
        &net.a,
        dir.path(),
        &[
            "--peer",
            &listen,
            "--duration",
            "1.5",
            "--download-intensity",
            "6",
            "--upload-intensity",
            "4",
        ],
    );
    let (rx, tx) = run_totals(run, first, VETH_A);
    let started = far.next_line(TICK);
    let done = far.next_line(TICK);
    drop(far);

    assert_eq!(s["mode"], "peer");
    assert_eq!(u(&s, "sent_bytes"), u(&s, "peer_received_bytes"), "{s}");
    assert_eq!(u(&s, "received_bytes"), u(&s, "peer_sent_bytes"), "{s}");
    assert!(started.contains("session"), "{started}");
    assert!(
        done.contains(&format!(
            "received {} B, sent {} B",
            u(&s, "sent_bytes"),
            u(&s, "received_bytes")
        )),
        "the far end's own line agrees: {done}; {s}"
    );
    let veth = &s["interface"];
    assert_eq!(veth["name"], VETH_A, "the route to the far end: {s}");
    assert_eq!(
        rx as i64,
        u(&s, "received_bytes") as i64 + i(veth, "overhead_rx_bytes"),
        "{VETH_A} rx seen by bandwatch run = received payload + overhead: {s}"
    );
    assert_eq!(
        tx as i64,
        u(&s, "sent_bytes") as i64 + i(veth, "overhead_tx_bytes"),
        "{VETH_A} tx seen by bandwatch run = sent payload + overhead: {s}"
    );
    plausible(
        i(veth, "overhead_rx_bytes") + i(veth, "overhead_tx_bytes"),
        u(&s, "received_bytes") + u(&s, "sent_bytes"),
        &s,
    );
    // The scale, across a real link: intensity 6 and 4 are 46.4 and 10 Mbit/s.
    for (key, expected) in [("download_bps", 46_415_888.0), ("upload_bps", 10_000_000.0)] {
        let rate = s[key].as_f64().expect("rate");
        assert!(
            (rate - expected).abs() / expected < 0.05,
            "{key} {rate} not within 5% of {expected}: {s}"
        );
    }
}

#[test]
fn over_a_link_slower_than_the_rate_the_rate_reported_is_the_links() {
    if !root_test_ready(
        "over_a_link_slower_than_the_rate_the_rate_reported_is_the_links",
        &["ip", "tc"],
    ) {
        return;
    }
    let net = NetnsPair::new("t", 50);
    let dir = tempfile::tempdir().expect("tempdir");
    // B's egress towards A is shaped to 20 Mbit/s; A asks B for 100 Mbit/s (intensity 7).
    sh(&[
        "ip", "netns", "exec", &net.b, "tc", "qdisc", "add", "dev", VETH_B, "root", "tbf", "rate",
        "20mbit", "burst", "32kb", "latency", "200ms",
    ]);
    let listen = format!("{}:5210", net.ip_b);
    let mut far = in_ns(&net.b, dir.path());
    far.args(["generate", "--serve", "--listen", &listen]);
    let far = LineChild::spawn(far);
    let _ = far.next_line(TICK);
    let run = watch(&net.a, dir.path(), VETH_A);
    let first = vec![run.next_line(TICK)];
    let s = generate(
        &net.a,
        dir.path(),
        &[
            "--peer",
            &listen,
            "--duration",
            "2",
            "--download-only",
            "--download-intensity",
            "7",
        ],
    );
    let (rx, _) = run_totals(run, first, VETH_A);
    drop(far);

    assert_eq!(u(&s, "received_bytes"), u(&s, "peer_sent_bytes"), "{s}");
    assert_eq!(
        rx as i64,
        u(&s, "received_bytes") as i64 + i(&s["interface"], "overhead_rx_bytes"),
        "{s}"
    );
    // tbf counts whole frames, so the payload rate sits a few percent under 20 Mbit/s.
    let rate = s["download_bps"].as_f64().expect("rate");
    assert!(
        (rate - 20e6).abs() / 20e6 < 0.10,
        "the download ran at the shaped 20 Mbit/s, not at {rate}: {s}"
    );
    assert!(
        s["download_s"].as_f64().expect("download_s") >= 2.0,
        "the payload took at least the duration: {s}"
    );
}

#[test]
fn a_far_end_refuses_what_is_not_its_protocol() {
    if !root_test_ready("a_far_end_refuses_what_is_not_its_protocol", &["ip"]) {
        return;
    }
    let net = NetnsPair::new("r", 49);
    let dir = tempfile::tempdir().expect("tempdir");
    // A port where nothing listens: a clear failure naming the peer, not a hang.
    let out = in_ns(&net.a, dir.path())
        .args(["generate", "--duration", "1", "--peer"])
        .arg(format!("{}:5299", net.ip_b))
        .output()
        .expect("generate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("--peer {}:5299", net.ip_b)) && stderr.contains("--serve"),
        "{stderr}"
    );
}
