//! The devices backends on real traffic: a router namespace with a LAN bridge `br-lan`
//! (veth ports `pa`, `pb`, `pc` to three LAN hosts A, B, C in 10.231.7.0/24) and a WAN veth
//! to a host W (10.231.207.0/24) behind nftables masquerade. iperf3 moves known traffic: a
//! download to A from W, an upload from B to W, and LAN-to-LAN from B to C.
//!
//! The backend runs inside the router namespace: this test binary re-runs itself there
//! (`ip netns exec`, the `devices_netns_child` test), polls until told to stop on stdin, and
//! prints its totals. No ARP, IPv6 or unknown-unicast flooding disturbs the counts: neighbours
//! and bridge forwarding entries are static, IPv6 is off and multicast is off (no IGMP
//! reports).
//!
//! What is compared, like with like:
//! - capture: per host MAC, the frame bytes the capture counted (`tp_len`: the L2 frame
//!   without FCS) to and from it, against the bytes on that host's own veth
//!   (`/sys/class/net/eth0/statistics/{rx,tx}_bytes` in its namespace, also L2 frames without
//!   FCS), over the same traffic, LAN-to-LAN included;
//! - conntrack: per host IP, the connection bytes (IP packet lengths) against the veth bytes
//!   minus 14 bytes of Ethernet header per veth packet, over the internet traffic; the
//!   LAN-to-LAN traffic (bridged, never routed) must add nothing; connections end before the
//!   last poll, so their rest comes from destroy events.
//!
//! Needs root, iperf3, nft and iproute2: SKIPPED otherwise, mandatory under
//! BANDWATCH_REQUIRE_ROOT_TESTS=1.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use bandwatch_collect::devices::capture::{CaptureBackend, CaptureConfig};
use bandwatch_collect::devices::conntrack::{ConntrackBackend, ConntrackConfig};
use bandwatch_collect::devices::{Backend, FlowBytes, Mac, Observer, PacketMeta};

const CHILD: &str = "BW_DEVICES_NETNS_CHILD";
use bandwatch_testkit::router::{counters, minus, settled, transfer, Lab, Proc, HOSTS, WAN};

fn root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// Whether everything the lab needs is here (else SKIPPED, or a failure in CI).
fn ready(test: &str) -> bool {
    let mut missing: Vec<String> = Vec::new();
    if !root() {
        missing.push("root (network namespaces)".into());
    }
    for p in ["ip", "bridge", "iperf3", "nft", "sysctl"] {
        if !bandwatch_testkit::have(p) {
            missing.push(format!("the `{p}` program"));
        }
    }
    bandwatch_testkit::require(
        test,
        &missing,
        "run as root with `apt-get install iproute2 iperf3 nftables procps`",
    )
}

/// The backend running in the router namespace.
struct Backender {
    proc: Proc,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
}

impl Backender {
    fn start(ns: &str, mode: &str) -> Self {
        let exe = std::env::current_exe().expect("test binary");
        let mut child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(exe)
            .args([
                "--exact",
                "devices_netns_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("child");
        let stdin = child.stdin.take();
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            // The child's own lines start with "@@ " (libtest writes around them).
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some((_, ours)) = l.split_once("@@ ") {
                    let _ = tx.send(ours.to_owned());
                }
            }
        });
        let b = Self {
            proc: Proc(child),
            stdin,
            lines,
        };
        b.wait_for("READY");
        b
    }

    /// Lines up to (and including) one starting with `mark`.
    fn wait_for(&self, mark: &str) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let l = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("child never said {mark}; said {seen:?}"));
            let done = l.starts_with(mark);
            seen.push(l);
            if done {
                return seen;
            }
        }
    }

    /// Tells the child to stop; returns `KEY rest` lines as a map.
    fn stop(mut self) -> HashMap<String, Vec<u64>> {
        let mut stdin = self.stdin.take().expect("stdin");
        writeln!(stdin, "STOP").expect("stop");
        let lines = self.wait_for("DONE");
        let _ = self.proc.0.wait();
        lines
            .iter()
            .filter_map(|l| {
                let mut f = l.split_whitespace();
                let key = f.next()?.to_owned();
                let nums: Vec<u64> = f.filter_map(|x| x.parse().ok()).collect();
                Some((key, nums))
            })
            .collect()
    }
}

fn parse_mac(s: &str) -> Mac {
    let mut m = [0u8; 6];
    for (b, x) in m.iter_mut().zip(s.split(':')) {
        *b = u8::from_str_radix(x, 16).expect("mac");
    }
    Mac(m)
}

/// Sums what a backend reports: per MAC and per IP, (rx, tx) from that end's side.
#[derive(Default)]
struct Totals {
    mac: HashMap<Mac, [u64; 2]>,
    ip: HashMap<IpAddr, [u64; 2]>,
}

impl Observer for Totals {
    fn packet(&mut self, p: &PacketMeta) {
        if let Some(m) = p.src_mac {
            self.mac.entry(m).or_default()[1] += p.wire_len;
        }
        match p.dst_mac {
            // The bridge floods group frames (IGMP reports the kernel sends on its own) to
            // every port but the one they came in on: every other host receives them.
            Some(m) if m.is_group() => {
                for h in &HOSTS {
                    let host = parse_mac(h.mac);
                    if p.src_mac != Some(host) {
                        self.mac.entry(host).or_default()[0] += p.wire_len;
                    }
                }
            }
            Some(m) => self.mac.entry(m).or_default()[0] += p.wire_len,
            None => {}
        }
    }

    fn flow(&mut self, f: &FlowBytes) {
        let src = self.ip.entry(f.orig_src).or_default();
        src[1] += f.orig_bytes;
        src[0] += f.reply_bytes;
        let dst = self.ip.entry(f.orig_dst).or_default();
        dst[0] += f.orig_bytes;
        dst[1] += f.reply_bytes;
    }
}

/// The backend half, inside the router namespace; does nothing unless started by a test.
#[test]
fn devices_netns_child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    match mode.as_str() {
        "open-capture" => match CaptureBackend::open(&CaptureConfig::new(vec!["lo".into()])) {
            Ok(_) => println!("@@ OPENED"),
            Err(e) => println!("@@ ERROR {e}"),
        },
        "open-conntrack" => {
            // Accounting may be off in this namespace; the permission error comes first
            // only when it is on, so read the table without the sysctl check.
            let cfg = ConntrackConfig {
                proc_root: "/nonexistent".into(),
                ..ConntrackConfig::default()
            };
            match ConntrackBackend::open(&cfg).map(|mut b| b.poll(&mut Totals::default())) {
                Ok(Ok(_)) => println!("@@ OPENED"),
                Ok(Err(e)) => println!("@@ ERROR {e}"),
                Err(e) => println!("@@ ERROR {e}"),
            }
        }
        "conntrack-open" => {
            println!("@@ READY");
            match ConntrackBackend::open(&ConntrackConfig::default()) {
                Ok(_) => println!("@@ OPENED"),
                Err(e) => println!("@@ ERROR {e}"),
            }
            println!("@@ DONE");
        }
        "conntrack" => {
            let ct = ConntrackBackend::open(&ConntrackConfig::default()).expect("conntrack");
            // One poll at the start and the last ones at the end: every connection ends
            // between two polls, so its bytes come from destroy events.
            let ct = run_child(ct, Duration::from_secs(3600));
            println!("@@ DESTROYED {}", ct.destroyed());
            println!("@@ DONE");
        }
        ifaces => {
            let names = ifaces.split(',').map(str::to_owned).collect();
            let cap = CaptureBackend::open(&CaptureConfig::new(names)).expect("capture");
            let cap = run_child(cap, Duration::from_millis(200));
            println!("@@ MALFORMED {}", cap.malformed_blocks());
            println!("@@ DONE");
        }
    }
}

/// Polls `backend` every `every` until stdin says stop, then prints its totals.
fn run_child<B: Backend>(mut backend: B, every: Duration) -> B {
    let (stop_tx, stop) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = stop_tx.send(());
    });
    let mut totals = Totals::default();
    let mut drops = 0;
    let mut poll = |b: &mut B, totals: &mut Totals| {
        drops += b.poll(totals).expect("poll").kernel_drops;
    };
    poll(&mut backend, &mut totals);
    println!("@@ READY");
    while stop.recv_timeout(every).is_err() {
        poll(&mut backend, &mut totals);
    }
    // Let the kernel retire the last capture blocks (100 ms) and queue the last events.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        poll(&mut backend, &mut totals);
    }
    for (m, [rx, tx]) in &totals.mac {
        println!("@@ {m} {rx} {tx}");
    }
    for (ip, [rx, tx]) in &totals.ip {
        println!("@@ {ip} {rx} {tx}");
    }
    println!("@@ DROPS {drops}");
    backend
}

#[test]
fn capture_counts_each_hosts_frames_like_its_veth() {
    if !ready("capture_counts_each_hosts_frames_like_its_veth") {
        return;
    }
    let lab = Lab::new("c");
    let wan = format!("{WAN}.2");
    // The bridge and its ports: internet traffic and LAN-to-LAN, each frame once.
    let quiet = settled(&lab);
    let cap = Backender::start(&lab.router, "br-lan,pa,pb,pc");
    let before = counters(&lab);
    assert_eq!(before, quiet, "a stray frame while the capture started");
    transfer(&lab.wan, &wan, lab.host("a"), "3M", true);
    transfer(&lab.wan, &wan, lab.host("b"), "3M", false);
    transfer(lab.host("c"), HOSTS[2].ip, lab.host("b"), "2M", false);
    let after = settled(&lab);
    let got = cap.stop();
    assert_eq!(got["DROPS"], [0], "the kernel dropped frames: {got:?}");
    assert_eq!(got["MALFORMED"], [0]);
    for (i, h) in HOSTS.iter().enumerate() {
        let d = minus(after[i], before[i]);
        let seen = got.get(h.mac).cloned().unwrap_or_default();
        assert!(
            d[0] > 1_000_000 || d[1] > 1_000_000,
            "host {} moved {d:?}",
            h.tag
        );
        assert_eq!(
            seen,
            [d[0], d[1]],
            "host {} ({}): captured [rx, tx] vs its veth's [rx_bytes, tx_bytes]",
            h.tag,
            h.mac
        );
    }
}

#[test]
fn conntrack_counts_each_hosts_ip_bytes_like_its_veth() {
    if !ready("conntrack_counts_each_hosts_ip_bytes_like_its_veth") {
        return;
    }
    let lab = Lab::new("t");
    // Off: the open names the sysctl line.
    lab.router_sysctl("net.netfilter.nf_conntrack_acct=0");
    let opened = Backender::start(&lab.router, "conntrack-open").stop();
    let err = opened.keys().find(|k| k.starts_with("ERROR")).cloned();
    assert!(err.is_some(), "open with acct off: {opened:?}");
    lab.router_sysctl("net.netfilter.nf_conntrack_acct=1");
    // Short timeouts, so finished connections are destroyed before the last poll.
    for t in ["time_wait", "close", "close_wait", "fin_wait", "last_ack"] {
        lab.router_sysctl(&format!("net.netfilter.nf_conntrack_tcp_timeout_{t}=1"));
    }
    let wan = format!("{WAN}.2");
    let quiet = settled(&lab);
    let ct = Backender::start(&lab.router, "conntrack");
    let before = counters(&lab);
    assert_eq!(before, quiet, "a stray frame while conntrack started");
    transfer(&lab.wan, &wan, lab.host("a"), "3M", true);
    transfer(&lab.wan, &wan, lab.host("b"), "3M", false);
    let internet = settled(&lab);
    transfer(lab.host("c"), HOSTS[2].ip, lab.host("b"), "2M", false);
    // Let the finished connections time out (1 s) and be destroyed.
    std::thread::sleep(Duration::from_secs(3));
    let got = ct.stop();
    for (i, h) in HOSTS.iter().enumerate() {
        let d = minus(internet[i], before[i]);
        // IP bytes = frame bytes - 14-byte Ethernet header per packet.
        let want = [d[0] - 14 * d[2], d[1] - 14 * d[3]];
        let seen = got.get(h.ip).cloned().unwrap_or([0, 0].into());
        assert_eq!(
            seen, want,
            "host {} ({}): conntrack [rx, tx] vs its veth's IP bytes over the internet traffic",
            h.tag, h.ip
        );
    }
    assert_eq!(got.get(HOSTS[2].ip), None, "LAN-to-LAN must not show up");
    assert!(got["DESTROYED"][0] > 0, "no destroy event: {got:?}");
    assert_eq!(got["DROPS"], [0], "events lost: {got:?}");
}

#[test]
fn capture_on_the_bridge_alone_sees_internet_traffic_only() {
    if !ready("capture_on_the_bridge_alone_sees_internet_traffic_only") {
        return;
    }
    let lab = Lab::new("g");
    let wan = format!("{WAN}.2");
    let quiet = settled(&lab);
    // The LAN bridge alone, as on a typical router: frames bridged between two ports never
    // reach the bridge device, so LAN-to-LAN traffic is not seen (and never counted as
    // internet usage); everything between the LAN and the router is, once.
    let cap = Backender::start(&lab.router, "br-lan");
    let before = counters(&lab);
    assert_eq!(before, quiet, "a stray frame while the capture started");
    transfer(&lab.wan, &wan, lab.host("a"), "3M", true);
    transfer(&lab.wan, &wan, lab.host("b"), "3M", false);
    let internet = settled(&lab);
    transfer(lab.host("c"), HOSTS[2].ip, lab.host("b"), "2M", false);
    let lan = settled(&lab);
    let got = cap.stop();
    assert_eq!(got["DROPS"], [0], "the kernel dropped frames: {got:?}");
    for (i, h) in HOSTS.iter().enumerate() {
        let d = minus(internet[i], before[i]);
        let seen = got.get(h.mac).cloned().unwrap_or([0, 0].into());
        assert_eq!(seen, [d[0], d[1]], "host {}: internet frames", h.tag);
    }
    let lan_c = minus(lan[2], internet[2]);
    assert!(
        lan_c[0] > 2_000_000,
        "C received the LAN transfer: {lan_c:?}"
    );
    assert_eq!(got.get(HOSTS[2].mac), None, "LAN-to-LAN seen on the bridge");
}

#[test]
fn without_capabilities_the_errors_say_the_setcap_line() {
    let test = "without_capabilities_the_errors_say_the_setcap_line";
    if !ready(test) || !bandwatch_testkit::require_program(test, "setpriv", "install util-linux") {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    // Root without CAP_NET_RAW and CAP_NET_ADMIN: dropped from the bounding set, so the
    // re-executed child has neither.
    for (mode, want) in [
        ("open-capture", "setcap cap_net_raw,cap_net_admin+ep "),
        ("open-conntrack", "CAP_NET_ADMIN"),
    ] {
        let out = Command::new("setpriv")
            .args(["--bounding-set=-net_raw,-net_admin", "--inh-caps=-all"])
            .arg(&exe)
            .args(["--exact", "devices_netns_child", "--nocapture"])
            .env(CHILD, mode)
            .output()
            .expect("setpriv");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("@@ ERROR ").map(|(_, e)| e.to_owned()))
            .unwrap_or_else(|| panic!("{mode}: no error: {stdout}"));
        assert!(line.contains(want), "{mode}: {line}");
        assert!(line.contains(&exe.display().to_string()), "{mode}: {line}");
    }
}

#[test]
fn a_missing_interface_is_named() {
    let cfg = CaptureConfig::new(vec!["bwnosuch0".into()]);
    let err = CaptureBackend::open(&cfg).expect_err("no such interface");
    assert!(err.to_string().contains("'bwnosuch0'"), "{err}");
}
