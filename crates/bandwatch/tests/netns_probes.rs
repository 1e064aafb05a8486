//! Probes end to end through `bandwatch run`: a host in its own network namespace, probed
//! from a second namespace over a veth pair (ICMP over IPv4 and IPv6, TCP and HTTP), with
//! the link taken down and brought back, the server stopped, and the host slowed down.
//! The samples are read back from the store and the alerts from the log and from
//! `bandwatch alerts --json`. Needs root and iproute2 (and python3 for the servers);
//! `.ci/run` makes these tests mandatory.
//!
//! bandwatch runs inside the prober namespace rather than in the root namespace: when the
//! link is down, a root-namespace prober could route its probes out of the machine's real
//! interfaces, while a namespace has no route but the test link.
//!
//! Kernels built without `sch_netem` refuse `tc qdisc … netem`; there the host's own echo
//! replies are switched off and a small python3 responder inside the host namespace answers
//! each echo request 100 ms late and drops a fixed pseudo-random 20 %.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::netns::{sh, NetnsPair};
use support::{bin, root_test_ready, LineChild};

/// Interface of the prober namespace.
const VETH_P: &str = "veth-p";
/// Interface of the host namespace.
const VETH_H: &str = "veth-h";

/// A prober namespace and a host namespace joined by a veth pair, IPv4 `10.247.N.1` (prober)
/// and `10.247.N.2` (host), and with `ipv6` also `fd00:247:N::1` and `fd00:247:N::2`.
struct ProbeNet {
    prober: String,
    host: String,
    ip_p: String,
    ip_h: String,
    ip6_h: String,
}

impl ProbeNet {
    fn new(tag: &str, net: u8, ipv6: bool) -> Self {
        let pid = std::process::id();
        let n = Self {
            prober: format!("bw{pid}{tag}p"),
            host: format!("bw{pid}{tag}h"),
            ip_p: format!("10.247.{net}.1"),
            ip_h: format!("10.247.{net}.2"),
            ip6_h: format!("fd00:247:{net}::2"),
        };
        // From here on, a failure deletes whatever was created.
        for ns in [&n.prober, &n.host] {
            sh(&["ip", "netns", "add", ns]);
            let v6 = if ipv6 { "0" } else { "1" };
            for key in ["all", "default"] {
                // The addresses must outlive the link going down and up again.
                for kv in [
                    format!("net.ipv6.conf.{key}.disable_ipv6={v6}"),
                    format!("net.ipv6.conf.{key}.keep_addr_on_down=1"),
                ] {
                    sh(&["ip", "netns", "exec", ns, "sysctl", "-qw", &kv]);
                }
            }
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        sh(&[
            "ip", "link", "add", "name", VETH_P, "netns", &n.prober, "type", "veth", "peer",
            "name", VETH_H, "netns", &n.host,
        ]);
        for (ns, dev, v4, v6) in [
            (&n.prober, VETH_P, &n.ip_p, format!("fd00:247:{net}::1")),
            (&n.host, VETH_H, &n.ip_h, n.ip6_h.clone()),
        ] {
            sh(&[
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                &format!("{v4}/24"),
                "dev",
                dev,
            ]);
            if ipv6 {
                sh(&[
                    "ip",
                    "-n",
                    ns,
                    "-6",
                    "addr",
                    "add",
                    &format!("{v6}/64"),
                    "dev",
                    dev,
                    "nodad",
                ]);
            }
            sh(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        n
    }

    /// Takes the host's end of the link down or up.
    fn host_link(&self, state: &str) {
        sh(&["ip", "-n", &self.host, "link", "set", VETH_H, state]);
    }
}

impl Drop for ProbeNet {
    fn drop(&mut self) {
        for ns in [&self.prober, &self.host] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A helper process (server, responder), killed when the test ends however it ends.
struct Guard(Child);

impl Guard {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `bandwatch run` inside the prober namespace with the system source off and `env` added,
/// writing `bw.db` in `dir`; returns once it logged its start.
fn run_probes(net: &ProbeNet, dir: &Path, env: &[(&str, &str)]) -> (LineChild, Vec<String>) {
    let mut cmd = NetnsPair::exec(&net.prober, bin());
    cmd.args(["run", "--json", "--interval", "1", "--db", "bw.db"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("BANDWATCH_SYSTEM", "false");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let bw = LineChild::spawn(cmd);
    let mut log = Vec::new();
    wait_log(&bw, &mut log, "bandwatch started", |_| true, WAIT);
    (bw, log)
}

const WAIT: Duration = Duration::from_secs(15);

/// Waits for a log line holding `needle` and passing `also`, keeping every line read in
/// `log` (lines already there count too).
fn wait_log(
    bw: &LineChild,
    log: &mut Vec<String>,
    needle: &str,
    also: impl Fn(&str) -> bool,
    timeout: Duration,
) -> String {
    let hit = |l: &String| l.contains(needle) && also(l);
    if let Some(l) = log.iter().find(|l| hit(l)) {
        return l.clone();
    }
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(l) = bw.errs.recv_timeout(Duration::from_millis(100)) {
            log.push(l.clone());
            if hit(&l) {
                return l;
            }
        }
    }
    log.extend(bw.errs.try_iter());
    panic!(
        "the log never said {needle:?} within {timeout:?}:\n{}",
        log.join("\n")
    );
}

/// Whether a log line is about `rule` and `target`.
fn about(rule: &str, target: &str) -> impl Fn(&str) -> bool {
    let rule = format!("rule={rule}");
    let target = target.to_string();
    move |l: &str| {
        l.contains(&target)
            && l.match_indices(&rule).any(|(i, _)| {
                l[i + rule.len()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
            })
    }
}

/// The stored points of one series, `(millis, value)` in time order; empty while the
/// database or the series does not exist yet.
fn points(db: &Path, metric: &str, labels: &[(&str, &str)]) -> Vec<(i64, f64)> {
    if !db.exists() {
        return Vec::new();
    }
    let key = bandwatch_core::SeriesKey::new(
        metric,
        bandwatch_core::Labels::from_pairs(labels.iter().copied()),
    );
    support::stored_points(db, &key)
        .into_iter()
        .map(|(t, v)| (t.millis(), v))
        .collect()
}

/// Stored values are whole numbers here (up, status codes, percentages of whole rounds).
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Waits until the last stored point of a series has `value`; returns all its points.
fn wait_last(db: &Path, metric: &str, labels: &[(&str, &str)], value: f64) -> Vec<(i64, f64)> {
    let deadline = Instant::now() + WAIT;
    loop {
        let p = points(db, metric, labels);
        if p.last().is_some_and(|(_, v)| same(*v, value)) {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "{metric}{labels:?} never read {value} within {WAIT:?}: {p:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `bandwatch alerts --json` over the last hour with extra arguments.
fn alerts_json(dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--since", "1h"];
    all.extend_from_slice(args);
    support::alerts_json(dir, "bw.db", &all)
}

/// The stored alerts of `rule` on `target`.
fn alerts_of(dir: &Path, args: &[&str], rule: &str, target: &str) -> Vec<Value> {
    alerts_json(dir, args)
        .into_iter()
        .filter(|a| a["rule"] == rule && a["series"]["labels"].to_string().contains(target))
        .collect()
}

/// Waits until `bandwatch alerts --state firing` lists one alert of `rule` on `target`.
fn wait_firing(dir: &Path, rule: &str, target: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let firing = alerts_of(dir, &["--state", "firing"], rule, target);
        if let [one] = firing.as_slice() {
            return one.clone();
        }
        assert!(
            Instant::now() < deadline,
            "`alerts --state firing` never listed {rule} on {target}: {:?}",
            alerts_json(dir, &[])
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Stops bandwatch and checks it stopped cleanly; returns the whole log.
fn stop(bw: LineChild, mut log: Vec<String>) -> Vec<String> {
    let (status, _, rest) = bw.terminate();
    log.extend(rest.lines().map(str::to_string));
    assert!(
        status.success(),
        "bandwatch exited with {status}:\n{}",
        log.join("\n")
    );
    log
}

/// Link down → `probe-unreachable` fires after `down_after` failed rounds, link up → it
/// resolves; `target` is the host's address in the chosen family.
fn unreachable_then_resolved(net: &ProbeNet, target: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bw.db");
    let (bw, mut log) = run_probes(
        net,
        dir.path(),
        &[
            ("BANDWATCH_TARGETS", target),
            ("BANDWATCH_PROBE_INTERVAL", "1s"),
            ("BANDWATCH_PROBE_TIMEOUT", "500ms"),
            ("BANDWATCH_PROBE_COUNT", "2"),
            ("BANDWATCH_PROBE_DOWN_AFTER", "3"),
        ],
    );
    let up = [("target", target)];
    wait_last(&db, "probe_up", &up, 1.0);
    let rtt = points(
        &db,
        "probe_rtt_seconds",
        &[("target", target), ("stat", "avg")],
    );
    assert!(
        rtt.last().is_some_and(|(_, s)| *s > 0.0 && *s < 0.1),
        "a direct veth answers fast: {rtt:?}"
    );

    let down_at = now_millis();
    net.host_link("down");
    let fired = wait_log(
        &bw,
        &mut log,
        "alert fired",
        about("probe-unreachable", target),
        WAIT,
    );
    assert!(fired.contains("severity=high"), "{fired}");
    let alert = wait_firing(dir.path(), "probe-unreachable", target);
    assert_eq!(alert["severity"], "high", "{alert}");
    assert_eq!(alert["state"], "firing", "{alert}");
    let fired_at = alert["events"][0]["at"].as_i64().expect("fired at");
    assert_eq!(alert["events"][0]["kind"], "fired", "{alert}");

    net.host_link("up");
    wait_log(
        &bw,
        &mut log,
        "alert resolved",
        about("probe-unreachable", target),
        WAIT,
    );
    let log = stop(bw, log);
    check_down_rounds(&db, target, down_at, fired_at);

    let all = alerts_of(dir.path(), &[], "probe-unreachable", target);
    assert_eq!(all.len(), 1, "one unreachable alert: {all:?}");
    assert_eq!(all[0]["state"], "resolved", "{}", all[0]);
    let kinds: Vec<&str> = all[0]["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["fired", "resolved"], "{}", all[0]);
    assert_eq!(
        log.iter().filter(|l| l.contains("alert fired")).count(),
        1,
        "one alert fired:\n{}",
        log.join("\n")
    );
}

/// The stored rounds around an outage: up before the link went down at `down_at`, the
/// alert fired at `fired_at` after `down_after` (3) failed rounds, up again at the end.
fn check_down_rounds(db: &Path, target: &str, down_at: i64, fired_at: i64) {
    // Three failed rounds in a row, not fewer, stand between the link going down and the
    // alert: count the run of down rounds stored up to the moment it fired.
    let ups = points(db, "probe_up", &[("target", target)]);
    let down_rounds = ups
        .iter()
        .rev()
        .skip_while(|(t, _)| *t > fired_at)
        .take_while(|(_, v)| same(*v, 0.0))
        .count();
    assert!(
        down_rounds >= 3,
        "fired at {fired_at} after only {down_rounds} down rounds: {ups:?}"
    );
    assert!(
        down_rounds <= 4,
        "fired late, after {down_rounds} down rounds: {ups:?}"
    );
    assert!(
        ups.iter().any(|(t, v)| same(*v, 1.0) && *t < down_at),
        "up before the link went down: {ups:?}"
    );
    // Three rounds start 1 s apart, so the third starts at least 2 s after the first.
    assert!(
        fired_at - down_at >= 1900,
        "three 1 s rounds cannot fail within {} ms of the link going down",
        fired_at - down_at
    );
    assert!(
        ups.last().is_some_and(|(_, v)| same(*v, 1.0)),
        "up again at the end: {ups:?}"
    );

    let uptime = points(
        db,
        "probe_uptime_percent",
        &[("target", target), ("window", "1h")],
    );
    assert!(
        uptime.last().is_some_and(|(_, u)| *u > 0.0 && *u < 100.0),
        "some rounds up, some down: {uptime:?}"
    );
}

fn now_millis() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    i64::try_from(d.as_millis()).expect("millis")
}

#[test]
fn link_down_raises_unreachable_then_resolves() {
    if !root_test_ready("link_down_raises_unreachable_then_resolves", &["ip"]) {
        return;
    }
    let net = ProbeNet::new("u4", 51, false);
    unreachable_then_resolved(&net, &net.ip_h);
}

#[test]
fn link_down_raises_unreachable_then_resolves_over_ipv6() {
    if !root_test_ready(
        "link_down_raises_unreachable_then_resolves_over_ipv6",
        &["ip"],
    ) {
        return;
    }
    let net = ProbeNet::new("u6", 52, true);
    unreachable_then_resolved(&net, &net.ip6_h);
}

/// Waits until something listens on TCP `port` inside `ns`.
fn wait_listening(ns: &str, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let sport = format!(":{port}");
    while Instant::now() < deadline {
        let out = sh(&[
            "ip", "netns", "exec", ns, "ss", "-Hltn", "sport", "=", &sport,
        ]);
        if !out.stdout.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listened on {port} in {ns}");
}

#[test]
fn tcp_and_http_probes_reach_a_server_in_a_namespace() {
    if !root_test_ready(
        "tcp_and_http_probes_reach_a_server_in_a_namespace",
        &["ip", "ss", "python3"],
    ) {
        return;
    }
    let net = ProbeNet::new("th", 53, false);
    let port = 8080;
    let mut server = Guard(
        NetnsPair::exec(&net.host, "python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", &net.ip_h])
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 http.server"),
    );
    wait_listening(&net.host, port);

    let tcp = format!("tcp://{}:{port}", net.ip_h);
    let http = format!("http://{}:{port}/", net.ip_h);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bw.db");
    let targets = format!("{tcp},{http}");
    let (bw, log) = run_probes(
        &net,
        dir.path(),
        &[
            ("BANDWATCH_TARGETS", &targets),
            ("BANDWATCH_PROBE_INTERVAL", "1s"),
            ("BANDWATCH_PROBE_TIMEOUT", "500ms"),
            ("BANDWATCH_PROBE_COUNT", "2"),
        ],
    );
    for t in [&tcp, &http] {
        wait_last(&db, "probe_up", &[("target", t)], 1.0);
    }
    let status = points(&db, "probe_http_status", &[("target", &http)]);
    assert!(
        status.last().is_some_and(|(_, s)| same(*s, 200.0)),
        "the directory listing answers 200: {status:?}"
    );
    for t in [&tcp, &http] {
        let rtt = points(&db, "probe_rtt_seconds", &[("target", t), ("stat", "avg")]);
        assert!(
            rtt.last().is_some_and(|(_, s)| *s > 0.0 && *s < 0.5),
            "{t}: {rtt:?}"
        );
    }

    server.stop();
    for t in [&tcp, &http] {
        wait_last(&db, "probe_up", &[("target", t)], 0.0);
    }
    let log = stop(bw, log);
    for t in [&tcp, &http] {
        let loss = points(&db, "probe_loss_percent", &[("target", t)]);
        assert!(
            loss.last().is_some_and(|(_, l)| same(*l, 100.0)),
            "{t}: every probe of the last round failed: {loss:?}"
        );
    }
    assert!(
        !log.iter().any(|l| l.contains("collection failed")),
        "{}",
        log.join("\n")
    );
}

/// Answers ICMP echo requests `DELAY` seconds late and drops a fixed pseudo-random `LOSS`
/// share of them; prints READY once its raw socket is open.
const RESPONDER: &str = r#"
import heapq, random, socket, struct, sys, threading, time
DELAY, LOSS = float(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
rng = random.Random(20)
queue, cv = [], threading.Condition()
def checksum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF
def sender():
    while True:
        with cv:
            while not queue:
                cv.wait()
            wait = queue[0][0] - time.monotonic()
            if wait > 0:
                cv.wait(wait)
                continue
            _, _, pkt, addr = heapq.heappop(queue)
        s.sendto(pkt, addr)
threading.Thread(target=sender, daemon=True).start()
print("READY", flush=True)
n = 0
while True:
    data, addr = s.recvfrom(65535)
    icmp = bytearray(data[(data[0] & 0x0F) * 4:])
    if len(icmp) < 8 or icmp[0] != 8:
        continue
    if rng.random() < LOSS:
        continue
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    n += 1
    with cv:
        heapq.heappush(queue, (time.monotonic() + DELAY, n, bytes(icmp), addr))
        cv.notify()
"#;

/// Makes the host answer 100 ms late and lose 20 %: netem when the kernel has it, else the
/// kernel's echo replies off and the python3 responder on.
fn slow_and_lossy(net: &ProbeNet) -> Option<Guard> {
    let netem = Command::new("ip")
        .args([
            "netns", "exec", &net.host, "tc", "qdisc", "add", "dev", VETH_H,
        ])
        .args(["root", "netem", "delay", "100ms", "loss", "20%"])
        .output()
        .expect("tc");
    if netem.status.success() {
        return None;
    }
    eprintln!(
        "netem unavailable ({}): emulating delay and loss with a userspace responder",
        String::from_utf8_lossy(&netem.stderr).trim()
    );
    sh(&[
        "ip",
        "netns",
        "exec",
        &net.host,
        "sysctl",
        "-qw",
        "net.ipv4.icmp_echo_ignore_all=1",
    ]);
    let mut child = NetnsPair::exec(&net.host, "python3")
        .args(["-c", RESPONDER, "0.1", "0.2"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("responder");
    let out = child.stdout.take().expect("stdout");
    let guard = Guard(child);
    let mut lines = BufReader::new(out).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("READY"))),
        "the responder did not start"
    );
    Some(guard)
}

#[test]
fn slow_lossy_host_measures_delay_and_raises_latency_alert() {
    if !root_test_ready(
        "slow_lossy_host_measures_delay_and_raises_latency_alert",
        &["ip", "tc", "python3"],
    ) {
        return;
    }
    let net = ProbeNet::new("sl", 54, false);
    // Declared after `net`, so it is killed before the namespaces are deleted.
    let _responder = slow_and_lossy(&net);
    let target = net.ip_h.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bw.db");
    let (bw, mut log) = run_probes(
        &net,
        dir.path(),
        &[
            ("BANDWATCH_TARGETS", &target),
            ("BANDWATCH_PROBE_INTERVAL", "1s"),
            ("BANDWATCH_PROBE_TIMEOUT", "400ms"),
            ("BANDWATCH_PROBE_COUNT", "10"),
            ("BANDWATCH_PROBE_RTT_LIMIT", "50ms"),
        ],
    );
    let rule = format!("probe-latency-{target}");
    let fired = wait_log(&bw, &mut log, "alert fired", about(&rule, &target), WAIT);
    assert!(fired.contains("severity=medium"), "{fired}");

    // Enough rounds for a loss share that means something: 150 probes.
    let of = [("target", target.as_str())];
    let deadline = Instant::now() + Duration::from_secs(30);
    while points(&db, "probe_sent", &of)
        .iter()
        .map(|p| p.1)
        .sum::<f64>()
        < 150.0
    {
        assert!(Instant::now() < deadline, "150 probes never went out");
        std::thread::sleep(Duration::from_millis(500));
    }
    let log = stop(bw, log);

    let mut avg: Vec<f64> = points(
        &db,
        "probe_rtt_seconds",
        &[("target", &target), ("stat", "avg")],
    )
    .iter()
    .map(|p| p.1 * 1e3)
    .collect();
    avg.sort_by(f64::total_cmp);
    let median = avg[avg.len() / 2];
    assert!(
        (95.0..=105.0).contains(&median),
        "median avg RTT {median} ms, want 100 ± 5: {avg:?}"
    );
    let sent: f64 = points(&db, "probe_sent", &of).iter().map(|p| p.1).sum();
    let received: f64 = points(&db, "probe_received", &of).iter().map(|p| p.1).sum();
    let loss = points(&db, "probe_loss_percent", &of);
    let mean_loss = loss.iter().map(|p| p.1).sum::<f64>() / loss.len() as f64;
    let overall = 100.0 * (1.0 - received / sent);
    eprintln!(
        "median avg RTT {median:.1} ms over {} rounds; {received}/{sent} answered ({overall:.1} % lost); mean round loss {mean_loss:.1} %",
        avg.len()
    );
    assert!(
        (5.0..=40.0).contains(&overall),
        "{overall} % of {sent} probes lost, want about 20 %"
    );
    assert!(
        (5.0..=40.0).contains(&mean_loss),
        "mean stored loss {mean_loss} %, want about 20 %: {loss:?}"
    );
    let latency = alerts_of(dir.path(), &[], &rule, &target);
    assert_eq!(latency.len(), 1, "{latency:?}");
    assert_eq!(latency[0]["state"], "firing", "{}", latency[0]);
    assert!(
        !log.iter().any(|l| l.contains("rule=probe-unreachable")),
        "a slow host is not unreachable:\n{}",
        log.join("\n")
    );
}
