//! A router lab in network namespaces, shared by the devices tests: a router namespace with a
//! LAN bridge `br-lan` (veth ports `pa`, `pb`, `pc` to three LAN hosts A, B, C in
//! 10.231.7.0/24, each host's side called `eth0`) and a WAN veth to a host W
//! (10.231.207.0/24) behind nftables masquerade. Neighbours and bridge forwarding entries are
//! static, IPv6 and multicast are off, so nothing but the test's own traffic crosses a veth.
//! Every namespace is deleted when the [`Lab`] is dropped, even on panic. Needs root,
//! iproute2, nftables, procps and (for [`transfer`]) iperf3.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The LAN's first three octets.
pub const LAN: &str = "10.231.7";
/// The WAN's first three octets.
pub const WAN: &str = "10.231.207";
/// The bridge's MAC.
pub const BRIDGE_MAC: &str = "02:31:00:00:00:01";

/// A LAN host: namespace suffix, router-side port, address, MAC.
pub struct HostDef {
    /// Its tag (namespace suffix).
    pub tag: &'static str,
    /// The router-side port.
    pub port: &'static str,
    /// Its address.
    pub ip: &'static str,
    /// Its MAC.
    pub mac: &'static str,
}

/// The three LAN hosts.
pub const HOSTS: [HostDef; 3] = [
    HostDef {
        tag: "a",
        port: "pa",
        ip: "10.231.7.10",
        mac: "02:31:00:00:00:0a",
    },
    HostDef {
        tag: "b",
        port: "pb",
        ip: "10.231.7.11",
        mac: "02:31:00:00:00:0b",
    },
    HostDef {
        tag: "c",
        port: "pc",
        ip: "10.231.7.12",
        mac: "02:31:00:00:00:0c",
    },
];

/// Runs a command, panicking with its stderr when it fails; its stdout.
pub fn sh(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The namespaces; deleted when dropped, even on panic.
pub struct Lab {
    /// The router namespace.
    pub router: String,
    /// The WAN host's namespace.
    pub wan: String,
    /// The LAN hosts' namespaces, in [`HOSTS`] order.
    pub hosts: Vec<String>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in self.hosts.iter().chain([&self.router, &self.wan]) {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// `ip -n <ns> <words>`, the words split on spaces.
pub fn ip_in(ns: &str, words: &str) {
    let mut args = vec!["ip", "-n", ns];
    args.extend(words.split_whitespace());
    sh(&args);
}

impl Lab {
    /// Builds the lab; `tag` keeps namespace names apart between tests of one process.
    pub fn new(tag: &str) -> Self {
        let pid = std::process::id();
        let name = |s: &str| format!("bwd{pid}{tag}{s}");
        let lab = Self {
            router: name("r"),
            wan: name("w"),
            hosts: HOSTS.iter().map(|h| name(h.tag)).collect(),
        };
        for ns in lab.hosts.iter().chain([&lab.router, &lab.wan]) {
            sh(&["ip", "netns", "add", ns]);
            for key in ["all", "default"] {
                let k = format!("net.ipv6.conf.{key}.disable_ipv6=1");
                sh(&["ip", "netns", "exec", ns, "sysctl", "-qw", &k]);
            }
            ip_in(ns, "link set lo up");
        }
        let r = lab.router.as_str();
        // No multicast anywhere: a link with it sends IGMP reports of its own in its first
        // seconds, which would land in one count and not the other.
        ip_in(
            r,
            &format!("link add br-lan address {BRIDGE_MAC} type bridge mcast_snooping 0"),
        );
        ip_in(r, "link set br-lan multicast off");
        for (h, ns) in HOSTS.iter().zip(&lab.hosts) {
            lab.add_host(h, ns);
        }
        ip_in(r, &format!("addr add {LAN}.1/24 dev br-lan"));
        ip_in(r, "link set br-lan up");
        lab.add_wan();
        lab
    }

    /// Host `h` in namespace `ns`: its veth `eth0`, the router's port into `br-lan`, static
    /// neighbours and forwarding entries.
    fn add_host(&self, h: &HostDef, ns: &str) {
        let r = self.router.as_str();
        let port_mac = format!("02:31:00:00:10:{}", &h.mac[15..]);
        #[rustfmt::skip]
        sh(&["ip", "link", "add", "name", h.port, "netns", r, "address", &port_mac,
            "type", "veth", "peer", "name", "eth0", "netns", ns, "address", h.mac]);
        ip_in(ns, "link set eth0 multicast off");
        ip_in(r, &format!("link set {} multicast off", h.port));
        ip_in(r, &format!("link set {} master br-lan up", h.port));
        // Static forwarding entries: the bridge never floods a frame to the wrong host.
        sh(&[
            "bridge", "-n", r, "fdb", "replace", h.mac, "dev", h.port, "master", "static",
        ]);
        ip_in(ns, &format!("addr add {}/24 dev eth0", h.ip));
        ip_in(ns, "link set eth0 up");
        ip_in(ns, &format!("route add default via {LAN}.1"));
        let neigh = |ns: &str, ip: &str, mac: &str, dev: &str| {
            ip_in(
                ns,
                &format!("neigh replace {ip} lladdr {mac} dev {dev} nud permanent"),
            );
        };
        neigh(r, h.ip, h.mac, "br-lan");
        neigh(ns, &format!("{LAN}.1"), BRIDGE_MAC, "eth0");
        for o in HOSTS.iter().filter(|o| o.tag != h.tag) {
            neigh(ns, o.ip, o.mac, "eth0");
        }
    }

    /// The WAN host behind the router's `wan` veth, forwarding and masquerade.
    fn add_wan(&self) {
        let (r, w) = (self.router.as_str(), self.wan.as_str());
        #[rustfmt::skip]
        sh(&["ip", "link", "add", "name", "wan", "netns", r, "address", "02:31:00:00:01:01",
            "type", "veth", "peer", "name", "eth0", "netns", w, "address", "02:31:00:00:01:02"]);
        for (ns, dev, me, peer, mac) in [
            (r, "wan", 1, 2, "02:31:00:00:01:02"),
            (w, "eth0", 2, 1, "02:31:00:00:01:01"),
        ] {
            ip_in(ns, &format!("link set {dev} multicast off"));
            ip_in(ns, &format!("addr add {WAN}.{me}/24 dev {dev}"));
            ip_in(ns, &format!("link set {dev} up"));
            ip_in(
                ns,
                &format!("neigh replace {WAN}.{peer} lladdr {mac} dev {dev} nud permanent"),
            );
        }
        self.router_sysctl("net.ipv4.ip_forward=1");
        let nat =
            "table ip bwnat {\n chain post {\n  type nat hook postrouting priority srcnat;\n  \
                   oifname \"wan\" masquerade\n }\n}\n";
        let mut nft = Command::new("ip")
            .args(["netns", "exec", r, "nft", "-f", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("nft");
        nft.stdin
            .take()
            .expect("stdin")
            .write_all(nat.as_bytes())
            .expect("write rules");
        assert!(nft.wait().expect("nft").success(), "nft rules refused");
        // A plain router: bridged frames do not go through iptables/conntrack (that switch
        // exists only where br_netfilter is loaded).
        let _ = Command::new("ip")
            .args(["netns", "exec", r, "sysctl", "-qw"])
            .arg("net.bridge.bridge-nf-call-iptables=0")
            .stderr(Stdio::null())
            .status();
    }

    /// The namespace of the host tagged `tag`.
    pub fn host(&self, tag: &str) -> &str {
        let i = HOSTS.iter().position(|h| h.tag == tag).expect("host");
        &self.hosts[i]
    }

    /// `sysctl -w` inside the router.
    /// `sysctl -w` inside the router.
    pub fn router_sysctl(&self, kv: &str) {
        sh(&["ip", "netns", "exec", &self.router, "sysctl", "-qw", kv]);
    }
}

/// A process killed when the test ends however it ends.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Moves `bytes` between a one-off iperf3 server in `server_ns` on `server_ip` and a client
/// in `client_ns` (`reverse`: the server sends), and waits until both have exited, so every
/// socket of the run is closed (a server closing late sends its RSTs after the client left).
pub fn transfer(server_ns: &str, server_ip: &str, client_ns: &str, bytes: &str, reverse: bool) {
    let mut server = Proc(
        Command::new("ip")
            .args([
                "netns", "exec", server_ns, "iperf3", "-s", "-1", "-B", server_ip,
            ])
            .args(["-p", "5201"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("iperf3 server"),
    );
    let listening = crate::wait_for(Duration::from_secs(10), || {
        sh(&["ip", "netns", "exec", server_ns, "ss", "-ltnH"]).contains(":5201")
    });
    assert!(listening, "iperf3 server in {server_ns} did not listen");
    let mut args = vec![
        "netns", "exec", client_ns, "iperf3", "-c", server_ip, "-p", "5201",
    ];
    args.extend(["-n", bytes]);
    if reverse {
        args.push("-R");
    }
    let out = Command::new("ip").args(&args).output().expect("iperf3");
    assert!(
        out.status.success(),
        "iperf3 {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ended = crate::wait_for(Duration::from_secs(10), || {
        server.0.try_wait().is_ok_and(|s| s.is_some())
    });
    assert!(ended, "the one-off iperf3 server did not exit");
}

/// One veth's counters: rx bytes, tx bytes, rx packets, tx packets.
pub fn veth(ns: &str) -> [u64; 4] {
    ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets"].map(|f| {
        let path = format!("/sys/class/net/eth0/statistics/{f}");
        sh(&["ip", "netns", "exec", ns, "cat", &path])
            .trim()
            .parse()
            .expect("counter")
    })
}

/// Every host's veth counters.
pub fn counters(lab: &Lab) -> Vec<[u64; 4]> {
    lab.hosts.iter().map(|h| veth(h)).collect()
}

/// Every host's veth counters once they stopped moving for a second (the last segments,
/// FINs and RSTs of a finished run arrive after the client exits; a new link may send a
/// report or two in its first seconds).
pub fn settled(lab: &Lab) -> Vec<[u64; 4]> {
    let mut last = counters(lab);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = counters(lab);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// `a - b`, field by field.
pub fn minus(a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
}
