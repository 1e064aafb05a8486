//! Helpers of the probe tests: tiny HTTP and HTTPS servers, CPU time, and a namespace host behind a
//! veth (the pattern of `crates/bandwatch/tests/support/netns.rs`). Traffic goes only to
//! loopback or to addresses inside namespaces the test created.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};
use std::thread;
use std::time::Duration;

/// Starts a server on `bind` answering every request with `status`; returns its address.
pub fn http_server(bind: &str, status: u16) -> SocketAddr {
    let l = TcpListener::bind(bind).expect("bind");
    let addr = l.local_addr().expect("addr");
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
            });
        }
    });
    addr
}

/// Starts a TLS server on `bind` with a fresh self-signed certificate for `localhost` and
/// 127.0.0.1, answering every request `HTTP/1.1 204 No Content`; returns its address.
pub fn https_server(bind: &str) -> SocketAddr {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;

    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![ck.cert.der().clone()], key)
    .expect("server config");
    let cfg = Arc::new(cfg);
    let l = TcpListener::bind(bind).expect("bind");
    let addr = l.local_addr().expect("addr");
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut tcp) = s else { continue };
            let cfg = Arc::clone(&cfg);
            thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let Ok(mut conn) = rustls::ServerConnection::new(cfg) else {
                    return;
                };
                let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                let mut buf = [0u8; 1024];
                // A client that rejects the certificate aborts the handshake here.
                if tls.read(&mut buf).is_err() {
                    return;
                }
                let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                let _ = tls.flush();
                conn.send_close_notify();
                let _ = conn.complete_io(&mut tcp);
            });
        }
    });
    addr
}

/// User plus system CPU time of this process so far, from `/proc/self/stat`.
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("stat");
    // Fields after the command name (which may hold spaces) start at state (field 3).
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
    // USER_HZ is 100 on every Linux architecture bandwatch targets.
    Duration::from_millis(ticks * 10)
}

/// Whether the test runs as root; when not, panics if root tests are required, else says
/// SKIPPED and returns false.
pub fn root_or_skip(test: &str) -> bool {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_default();
    if uid == "0" {
        return true;
    }
    assert!(
        std::env::var("BANDWATCH_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
        "{test} needs root (network namespaces, tc netem) and BANDWATCH_REQUIRE_ROOT_TESTS=1"
    );
    println!("SKIPPED {test}: needs root to create network namespaces");
    false
}

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

/// Prober namespace `a` (veth `pa`, 10.232.N.1) and target namespace `b` (`pb`, 10.232.N.2).
pub struct NsPair {
    /// The namespace the probes run in.
    pub a: String,
    /// The probed host.
    pub b: String,
    /// Address of B.
    pub ip_b: String,
}

/// Veth end in the probed namespace.
pub const VETH_B: &str = "pb";

impl NsPair {
    /// Creates both namespaces and the link; IPv6 off, static neighbours.
    pub fn new(tag: &str, net: u8) -> Self {
        let pid = std::process::id();
        let pair = Self {
            a: format!("bwp{pid}{tag}a"),
            b: format!("bwp{pid}{tag}b"),
            ip_b: format!("10.232.{net}.2"),
        };
        for ns in [&pair.a, &pair.b] {
            sh(&["ip", "netns", "add", ns]);
            sh(&[
                "ip",
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
            ]);
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        sh(&[
            "ip",
            "link",
            "add",
            "name",
            "pa",
            "netns",
            &pair.a,
            "address",
            "02:00:00:00:01:0a",
            "type",
            "veth",
            "peer",
            "name",
            VETH_B,
            "netns",
            &pair.b,
            "address",
            "02:00:00:00:01:0b",
        ]);
        let ip_a = format!("10.232.{net}.1");
        for (ns, dev, ip, peer, mac) in [
            (&pair.a, "pa", &ip_a, &pair.ip_b, "02:00:00:00:01:0b"),
            (&pair.b, VETH_B, &pair.ip_b, &ip_a, "02:00:00:00:01:0a"),
        ] {
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
                peer,
                "lladdr",
                mac,
                "dev",
                dev,
                "nud",
                "permanent",
            ]);
        }
        pair
    }
}

impl Drop for NsPair {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
