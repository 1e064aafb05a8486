//! Which addresses are "the LAN": the networks whose hosts are devices, as opposed to the
//! internet they talk to.
//!
//! The default is the private and local ranges a home or office network uses:
//! IPv4 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and link-local 169.254.0.0/16; IPv6
//! unique-local fc00::/7 and link-local fe80::/10.
//!
//! Left out on purpose:
//! - 100.64.0.0/10 (RFC 6598 shared address space): it is the carrier-grade NAT range between
//!   an ISP and a home router, so on a router it is the WAN side; counting it as LAN would turn
//!   the router's own uplink and every CGNAT peer into "devices" and their traffic into
//!   LAN-to-LAN traffic. Add it with `--lan 100.64.0.0/10` where it really is the LAN (some
//!   overlay networks use it).
//! - 127.0.0.0/8 and ::1: loopback never crosses a wire.
//! - Global IPv6 prefixes: they belong to the LAN only where the ISP delegated them, which
//!   only the user knows (`--lan 2001:db8:1::/64`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A text that is not a network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{text}' is not a network: {reason}; write it in CIDR form, like 192.168.1.0/24 or \
     fd00::/8 (a bare address means that one host)"
)]
pub struct LanError {
    /// What the user wrote.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The set of LAN networks, IPv4 and IPv6 kept apart so a lookup scans only its family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanNets {
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
}

/// The default LAN ranges, as `(address, prefix)` pairs (see the module documentation for
/// what is left out and why).
const DEFAULT_V4: [([u8; 4], u8); 4] = [
    ([10, 0, 0, 0], 8),
    ([172, 16, 0, 0], 12),
    ([192, 168, 0, 0], 16),
    ([169, 254, 0, 0], 16),
];
const DEFAULT_V6: [(u16, u8); 2] = [(0xfc00, 7), (0xfe80, 10)];

impl Default for LanNets {
    fn default() -> Self {
        Self::private()
    }
}

impl LanNets {
    /// The private and link-local ranges of both families.
    pub fn private() -> Self {
        let v4 = DEFAULT_V4
            .iter()
            .filter_map(|&(a, p)| Ipv4Net::new(Ipv4Addr::from(a), p).ok())
            .collect();
        let v6 = DEFAULT_V6
            .iter()
            .filter_map(|&(a, p)| Ipv6Net::new(Ipv6Addr::new(a, 0, 0, 0, 0, 0, 0, 0), p).ok())
            .collect();
        Self { v4, v6 }
    }

    /// Exactly these networks.
    pub fn from_nets(nets: impl IntoIterator<Item = IpNet>) -> Self {
        let mut out = Self {
            v4: Vec::new(),
            v6: Vec::new(),
        };
        for net in nets {
            match net.trunc() {
                IpNet::V4(n) => out.v4.push(n),
                IpNet::V6(n) => out.v6.push(n),
            }
        }
        out
    }

    /// Parses CIDRs (`192.168.1.0/24`, `fd00::/8`) or bare addresses (one host); host bits
    /// after the prefix are ignored (`192.168.1.7/24` is `192.168.1.0/24`).
    pub fn parse<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Result<Self, LanError> {
        let nets = items
            .into_iter()
            .map(|s| parse_net(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::from_nets(nets))
    }

    /// Whether `ip` is on the LAN. An IPv4-mapped IPv6 address (`::ffff:192.168.1.2`) is
    /// looked up as the IPv4 address it carries.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.iter().any(|n| n.contains(&a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.iter().any(|n| n.contains(&v4)),
                None => self.v6.iter().any(|n| n.contains(&a)),
            },
        }
    }

    /// Every network, IPv4 first.
    pub fn nets(&self) -> impl Iterator<Item = IpNet> + '_ {
        self.v4
            .iter()
            .map(|&n| IpNet::V4(n))
            .chain(self.v6.iter().map(|&n| IpNet::V6(n)))
    }

    /// True when no network is listed (nothing is LAN: every packet is transit).
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

impl fmt::Display for LanNets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.nets().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// One network from text.
pub fn parse_net(text: &str) -> Result<IpNet, LanError> {
    let t = text.trim();
    let err = |reason: String| LanError {
        text: text.to_string(),
        reason,
    };
    if t.is_empty() {
        return Err(err("it is empty".into()));
    }
    match t.split_once('/') {
        None => t
            .parse::<IpAddr>()
            .map(IpNet::from)
            .map_err(|_| err("not an IPv4 or IPv6 address".into())),
        Some((addr, prefix)) => {
            let addr: IpAddr = addr
                .parse()
                .map_err(|_| err(format!("'{addr}' is not an IPv4 or IPv6 address")))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix: u8 = prefix
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| err(format!("the prefix length must be a number 0 to {max}")))?;
            IpNet::new(addr, prefix)
                .map(|n| n.trunc())
                .map_err(|e| err(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_is_the_private_and_local_ranges() {
        let lan = LanNets::default();
        for inside in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.20",
            "169.254.7.7",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:192.168.1.2",
        ] {
            assert!(lan.contains(ip(inside)), "{inside}");
        }
        for outside in [
            "1.1.1.1",
            "172.32.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "2001:db8::1",
            "::1",
            "224.0.0.251",
        ] {
            assert!(!lan.contains(ip(outside)), "{outside}");
        }
        assert_eq!(
            lan.to_string(),
            "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16, fc00::/7, fe80::/10"
        );
    }

    #[test]
    fn parses_cidrs_and_bare_addresses() {
        let lan = LanNets::parse(["192.168.1.7/24", " 2001:db8:1::/64 ", "100.64.0.9"]).unwrap();
        assert_eq!(
            lan.to_string(),
            "192.168.1.0/24, 100.64.0.9/32, 2001:db8:1::/64"
        );
        assert!(lan.contains(ip("192.168.1.200")));
        assert!(!lan.contains(ip("192.168.2.1")));
        assert!(lan.contains(ip("100.64.0.9")));
        assert!(!lan.contains(ip("100.64.0.10")));
        assert!(lan.contains(ip("2001:db8:1::abcd")));
        assert!(LanNets::parse::<&str>([]).unwrap().is_empty());
    }

    #[test]
    fn bad_networks_say_what_is_wrong() {
        for (text, why) in [
            ("", "it is empty"),
            ("lan", "not an IPv4 or IPv6 address"),
            ("192.168.1.0/33", "0 to 32"),
            ("fd00::/129", "0 to 128"),
            ("192.168.1/24", "'192.168.1' is not"),
            ("10.0.0.0/x", "must be a number"),
            ("10.0.0.0/-1", "must be a number"),
        ] {
            let e = LanNets::parse([text]).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(why), "{text}: {msg}");
            assert!(msg.contains("CIDR form"), "{msg}");
            assert_eq!(e.text, text);
        }
    }
}
