//! Two network namespaces joined by a veth pair: the test's own hosts. Traffic in these
//! tests goes only between addresses inside namespaces the test created.

use std::process::{Command, Output};

/// Runs a command and fails the test with its output when it fails.
pub fn sh(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Host A (`a`, veth `veth-a`, 10.231.N.1) and host B (`b`, `veth-b`, 10.231.N.2).
pub struct NetnsPair {
    /// Namespace of host A.
    pub a: String,
    /// Namespace of host B.
    pub b: String,
    /// Address of A.
    pub ip_a: String,
    /// Address of B.
    pub ip_b: String,
}

/// Interface name on host A.
pub const VETH_A: &str = "veth-a";
/// Interface name on host B.
pub const VETH_B: &str = "veth-b";

impl NetnsPair {
    /// Creates both namespaces and the link; `net` (1–250) keeps parallel tests apart.
    /// IPv6 is off and neighbours are static, so the link carries nothing but test traffic.
    pub fn new(tag: &str, net: u8) -> Self {
        let pid = std::process::id();
        let pair = Self {
            a: format!("bw{pid}{tag}a"),
            b: format!("bw{pid}{tag}b"),
            ip_a: format!("10.231.{net}.1"),
            ip_b: format!("10.231.{net}.2"),
        };
        for ns in [&pair.a, &pair.b] {
            sh(&["ip", "netns", "add", ns]);
            for key in [
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ] {
                sh(&["ip", "netns", "exec", ns, "sysctl", "-qw", key]);
            }
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        sh(&[
            "ip",
            "link",
            "add",
            "name",
            VETH_A,
            "netns",
            &pair.a,
            "address",
            "02:00:00:00:00:0a",
            "type",
            "veth",
            "peer",
            "name",
            VETH_B,
            "netns",
            &pair.b,
            "address",
            "02:00:00:00:00:0b",
        ]);
        Self::configure(&pair.a, VETH_A, &pair.ip_a, &pair.ip_b, "02:00:00:00:00:0b");
        Self::configure(&pair.b, VETH_B, &pair.ip_b, &pair.ip_a, "02:00:00:00:00:0a");
        pair
    }

    fn configure(ns: &str, dev: &str, ip: &str, peer_ip: &str, peer_mac: &str) {
        sh(&[
            "ip",
            "-n",
            ns,
            "addr",
            "add",
            &format!("{ip}/24"),
            "dev",
            dev,
        ]);
        sh(&["ip", "-n", ns, "link", "set", dev, "up"]);
        sh(&[
            "ip",
            "-n",
            ns,
            "neigh",
            "replace",
            peer_ip,
            "lladdr",
            peer_mac,
            "dev",
            dev,
            "nud",
            "permanent",
        ]);
    }

    /// A command run inside namespace `ns`.
    pub fn exec(ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }

    /// One kernel counter of an interface, read inside its namespace.
    pub fn counter(ns: &str, dev: &str, name: &str) -> u64 {
        let out = sh(&[
            "ip",
            "netns",
            "exec",
            ns,
            "cat",
            &format!("/sys/class/net/{dev}/statistics/{name}"),
        ]);
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("counter")
    }
}

impl Drop for NetnsPair {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
