//! A host in its own network namespace behind `tc netem delay 100ms loss 20%`, probed from a
//! second namespace: the measured RTT and loss must match what netem imposes, and a downed
//! link must read as unreachable. Needs root; the probing half re-runs this test binary
//! inside the prober namespace (`ip netns exec`), so no `setns` (and no `unsafe`) is needed.
//!
//! Kernels built without `sch_netem` refuse the qdisc; there the host's own echo replies are
//! switched off and a responder (this binary again, inside the host namespace) answers each
//! echo 100 ms late and drops 20 %, so the prober still sees a delayed, lossy host.

mod probe_support;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bandwatch_collect::probe::packet::{checksum, strip_ipv4_header};
use socket2::{Domain, Protocol, Socket, Type};

use bandwatch_collect::probe::{ProbeConfig, Prober, Target};
use probe_support::{root_or_skip, sh, NsPair, VETH_B};

const CHILD_TARGET: &str = "BW_PROBE_CHILD_TARGET";
const CHILD_EXPECT: &str = "BW_PROBE_CHILD_EXPECT";
const RESPONDER: &str = "BW_PROBE_RESPONDER";

/// The stand-in for netem; does nothing unless started by [`start_responder`]. Answers
/// echo requests 100 ms late and drops a fixed pseudo-random 20 % of them, until killed.
#[test]
fn probe_netns_responder() {
    if std::env::var(RESPONDER).is_err() {
        return;
    }
    let sock: UdpSocket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))
        .expect("raw socket")
        .into();
    let out = sock.try_clone().expect("clone");
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>, SocketAddr)>();
    thread::spawn(move || {
        for (due, pkt, to) in rx {
            thread::sleep(due.saturating_duration_since(Instant::now()));
            let _ = out.send_to(&pkt, to);
        }
    });
    println!("READY");
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut buf = [0u8; 2048];
    loop {
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let Some((_, icmp)) = strip_ipv4_header(&buf[..n]) else {
            continue;
        };
        if icmp.len() < 8 || icmp[0] != 8 {
            continue;
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if rng % 100 < 20 {
            continue;
        }
        let mut reply = icmp.to_vec();
        reply[0] = 0;
        reply[2..4].copy_from_slice(&[0, 0]);
        let c = checksum(&reply);
        reply[2..4].copy_from_slice(&c.to_be_bytes());
        let _ = tx.send((Instant::now() + Duration::from_millis(100), reply, from));
    }
}

/// The responder process, killed when the test ends however it ends.
struct Responder(Child);

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the responder inside `ns` and waits until it listens.
fn start_responder(ns: &str) -> Responder {
    sh(&[
        "ip",
        "netns",
        "exec",
        ns,
        "sysctl",
        "-qw",
        "net.ipv4.icmp_echo_ignore_all=1",
    ]);
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns])
        .arg(exe)
        .args(["--exact", "probe_netns_responder", "--nocapture"])
        .env(RESPONDER, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("responder");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("READY"))),
        "responder did not start"
    );
    Responder(child)
}

/// The probing half; does nothing unless started by [`netem_delay_and_loss_then_link_down`].
#[test]
fn probe_netns_child() {
    let (Ok(target), Ok(expect)) = (std::env::var(CHILD_TARGET), std::env::var(CHILD_EXPECT))
    else {
        return;
    };
    let ip: IpAddr = target.parse().expect("target ip");
    let targets = [Target::icmp(ip)];
    let prober = Prober::open_for(&targets).expect("ICMP socket");
    let cfg = ProbeConfig {
        count: if expect == "lossy" { 60 } else { 5 },
        timeout: Duration::from_secs(1),
        gap: Duration::from_millis(10),
    };
    let report = prober.run(&targets, &cfg).expect("round");
    let s = &report.results[0].stats;
    let avg_ms = s.rtt_avg.map(|d| d.as_secs_f64() * 1e3);
    println!(
        "CHILD {expect}: mode {:?} sent {} received {} loss {:.1}% avg {avg_ms:?} ms jitter {:?}",
        report.icmp_v4_mode, s.sent, s.received, s.loss_percent, s.jitter
    );
    if expect == "lossy" {
        let avg = avg_ms.expect("some replies");
        assert!(
            (95.0..=105.0).contains(&avg),
            "avg RTT {avg} ms, want 100 ± 5"
        );
        assert!(
            (5.0..=40.0).contains(&s.loss_percent),
            "loss {}%",
            s.loss_percent
        );
        assert!(s.reachable);
    } else {
        assert!(!s.reachable, "{s:?}");
        assert!((s.loss_percent - 100.0).abs() < 1e-9);
    }
}

fn run_child(pair: &NsPair, expect: &str) -> String {
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("ip")
        .args(["netns", "exec", &pair.a])
        .arg(exe)
        .args([
            "--exact",
            "probe_netns_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_TARGET, &pair.ip_b)
        .env(CHILD_EXPECT, expect)
        .output()
        .expect("run child");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child '{expect}' failed:\n{text}");
    assert!(text.contains("CHILD "), "child did not probe:\n{text}");
    text
}

#[test]
fn netem_delay_and_loss_then_link_down() {
    if !root_or_skip("netem_delay_and_loss_then_link_down") {
        return;
    }
    let pair = NsPair::new("n", 41);
    // Only B's egress is shaped, so the delay counts once per round trip; loss hits replies.
    let netem = Command::new("ip")
        .args([
            "netns", "exec", &pair.b, "tc", "qdisc", "add", "dev", VETH_B, "root",
        ])
        .args(["netem", "delay", "100ms", "loss", "20%"])
        .output()
        .expect("tc");
    // Declared after `pair`, so it is dropped (killed) before the namespaces are deleted.
    let mut responder = None;
    if !netem.status.success() {
        println!(
            "netem unavailable ({}): emulating delay and loss with a userspace responder",
            String::from_utf8_lossy(&netem.stderr).trim()
        );
        responder = Some(start_responder(&pair.b));
    }
    // The prober namespace allows unprivileged ping, so this exercises datagram sockets.
    sh(&[
        "ip",
        "netns",
        "exec",
        &pair.a,
        "sysctl",
        "-qw",
        "net.ipv4.ping_group_range=0 2147483647",
    ]);
    let lossy = run_child(&pair, "lossy");
    println!("{lossy}");
    assert!(lossy.contains("Some(Datagram)"), "{lossy}");

    sh(&["ip", "-n", &pair.b, "link", "set", VETH_B, "down"]);
    let down = run_child(&pair, "down");
    println!("{down}");
    drop(responder);
}

const UNPRIVILEGED: &str = "BW_PROBE_UNPRIVILEGED";

/// The unprivileged half of [`without_privileges_the_error_gives_both_fixes`].
#[test]
fn probe_unprivileged_child() {
    if std::env::var(UNPRIVILEGED).is_err() {
        return;
    }
    let targets = [Target::icmp(IpAddr::from([127, 0, 0, 1]))];
    let Err(e) = Prober::open_for(&targets) else {
        panic!("an ICMP socket opened without privileges")
    };
    let msg = e.to_string();
    println!("CHILD error: {msg}");
    assert!(
        msg.contains("sysctl -w net.ipv4.ping_group_range=\"0 2147483647\""),
        "{msg}"
    );
    let exe = std::env::current_exe().expect("exe");
    assert!(
        msg.contains(&format!("setcap cap_net_raw+ep {}", exe.display())),
        "{msg}"
    );
}

/// As `nobody`, without capabilities, in a fresh namespace whose `ping_group_range` is the
/// kernel default ("1 0"): neither socket opens and the message names both fixes.
#[test]
fn without_privileges_the_error_gives_both_fixes() {
    if !root_or_skip("without_privileges_the_error_gives_both_fixes") {
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("unshare")
        .args([
            "-n",
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ])
        .args(["--inh-caps=-all", "--bounding-set=-all"])
        .arg(exe)
        .args(["--exact", "probe_unprivileged_child", "--nocapture"])
        .env(UNPRIVILEGED, "1")
        .output()
        .expect("unshare");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("CHILD error"), "{text}");
}
