//! Which interface a session crosses, and its kernel counters (through collect's
//! `/proc/net/dev` parser), so the summary can give the overhead as the kernel counted it.
//!
//! Loopback sessions cross `lo`. For a far end, the IPv4 route table (`/proc/net/route`)
//! names the interface: the most specific route that holds the address. IPv6 far ends get
//! no interface (and so no overhead figure) for now.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs as _};
use std::path::PathBuf;

use bandwatch_collect::netdev::parse_proc_net_dev;
use bandwatch_generate::{LinkCounters, Target};

/// An interface's counters read from a `/proc/net/dev` file.
pub struct ProcLink {
    name: String,
    path: PathBuf,
}

impl LinkCounters for ProcLink {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&mut self) -> Option<(u64, u64)> {
        let text = std::fs::read(&self.path).ok()?;
        parse_proc_net_dev(&text)
            .interfaces
            .iter()
            .find(|i| i.name == self.name.as_bytes())
            .map(|i| (i.rx_bytes, i.tx_bytes))
    }
}

/// The counters of the interface `target` is reached by, when it can be told.
pub fn for_target(target: &Target) -> Option<ProcLink> {
    let name = match target {
        Target::Loopback => "lo".to_string(),
        Target::Peer(peer) => {
            let ip = peer.to_socket_addrs().ok()?.next()?.ip();
            match ip {
                ip if ip.is_loopback() => "lo".to_string(),
                IpAddr::V4(v4) => {
                    route_iface(&std::fs::read_to_string("/proc/net/route").ok()?, v4)?
                }
                IpAddr::V6(_) => return None,
            }
        }
    };
    Some(ProcLink {
        name,
        path: PathBuf::from("/proc/net/dev"),
    })
}

/// The interface of the most specific route in `text` (the contents of `/proc/net/route`)
/// that holds `ip`. Addresses there are 8 hex digits of the value in this machine's byte
/// order (network-order bytes printed as a native integer).
pub fn route_iface(text: &str, ip: Ipv4Addr) -> Option<String> {
    let ip = u32::from_ne_bytes(ip.octets());
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let hex = |i: usize| f.get(i).and_then(|s| u32::from_str_radix(s, 16).ok());
            Some((*f.first()?, hex(1)?, hex(7)?))
        })
        .filter(|(_, dest, mask)| ip & mask == *dest)
        .max_by_key(|(_, _, mask)| mask.count_ones())
        .map(|(iface, _, _)| iface.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written as the kernel writes it on a little-endian machine.
    const ROUTES: &str = "\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
veth-a\t0017E70A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
";

    #[test]
    fn the_most_specific_route_names_the_interface() {
        if cfg!(target_endian = "big") {
            return;
        }
        let at = |s: &str| route_iface(ROUTES, s.parse().expect("ip"));
        assert_eq!(at("10.231.23.2").as_deref(), Some("veth-a"));
        assert_eq!(at("192.168.1.7").as_deref(), Some("eth0"));
        assert_eq!(at("8.8.8.8").as_deref(), Some("eth0"));
        assert_eq!(route_iface("Iface\n", "8.8.8.8".parse().expect("ip")), None);
    }

    #[test]
    fn loopback_is_lo() {
        assert_eq!(
            for_target(&Target::Loopback).map(|l| l.name),
            Some("lo".into())
        );
        assert_eq!(
            for_target(&Target::Peer("127.0.0.1:9".into())).map(|l| l.name),
            Some("lo".into())
        );
    }
}
