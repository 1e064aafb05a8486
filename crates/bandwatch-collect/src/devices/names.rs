//! Where device names and hardware addresses come from besides the registry: the DHCP leases
//! file (dnsmasq's format, what OpenWrt and most home routers run) and the kernel's neighbour
//! table (`/proc/net/arp`, and `ip -6 neigh` text for IPv6). Pure functions over text; the
//! caller reads the files. A line that cannot be read is skipped, never fatal: these files
//! belong to other programs and may be mid-rewrite.

use std::net::IpAddr;

use super::packet::Mac;

/// Parses a hardware address written as six hex pairs separated by `:` or `-`
/// (`aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`).
pub fn parse_mac(text: &str) -> Option<Mac> {
    let text = text.trim();
    let sep = if text.contains('-') { '-' } else { ':' };
    let mut out = [0u8; 6];
    let mut parts = text.split(sep);
    for byte in &mut out {
        let part = parts.next()?;
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    parts.next().is_none().then_some(Mac(out))
}

/// One dnsmasq lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// When the lease ends, seconds since the epoch (0: never).
    pub expiry: u64,
    /// The client's hardware address; `None` for a DHCPv6 lease (which has an IAID there).
    pub mac: Option<Mac>,
    /// The leased address.
    pub ip: IpAddr,
    /// The name the client gave, if any (dnsmasq writes `*` for none).
    pub hostname: Option<String>,
    /// The client identifier, if any.
    pub client_id: Option<String>,
}

/// Parses a dnsmasq leases file: one lease a line,
/// `<expiry> <mac> <ip> <hostname|*> <client-id|*>`; DHCPv6 leases put an IAID where the MAC
/// is, and the `duid <…>` line of a DHCPv6 server is skipped.
pub fn parse_leases(text: &str) -> Vec<Lease> {
    let star = |s: &str| (s != "*" && !s.is_empty()).then(|| s.to_string());
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 4 {
                return None;
            }
            Some(Lease {
                expiry: f[0].parse().ok()?,
                mac: parse_mac(f[1]),
                ip: f[2].parse().ok()?,
                hostname: star(f[3]),
                client_id: f.get(4).and_then(|s| star(s)),
            })
        })
        .collect()
}

/// One entry of the neighbour table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    /// The neighbour's address.
    pub ip: IpAddr,
    /// Its hardware address.
    pub mac: Mac,
    /// The interface it was seen on.
    pub device: String,
}

/// ARP flag: the entry is complete (`ATF_COM`); others are still being resolved.
const ATF_COM: u32 = 0x2;

/// Parses `/proc/net/arp`: a header line, then
/// `IP address  HW type  Flags  HW address  Mask  Device`. Incomplete entries are skipped.
pub fn parse_arp(text: &str) -> Vec<Neighbour> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return None;
            }
            let flags = u32::from_str_radix(f[2].trim_start_matches("0x"), 16).ok()?;
            let mac = parse_mac(f[3])?;
            (flags & ATF_COM != 0 && mac.0 != [0; 6]).then_some(())?;
            Some(Neighbour {
                ip: f[0].parse().ok()?,
                mac,
                device: f[5].to_string(),
            })
        })
        .collect()
}

/// Parses the text of `ip neigh` (IPv4 and IPv6 alike):
/// `fe80::1 dev br-lan lladdr aa:bb:cc:dd:ee:ff REACHABLE`. Entries without a link-layer
/// address (`FAILED`, `INCOMPLETE`) are skipped.
pub fn parse_ip_neigh(text: &str) -> Vec<Neighbour> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let after = |word: &str| {
                f.iter()
                    .position(|w| *w == word)
                    .and_then(|i| f.get(i + 1))
                    .copied()
            };
            Some(Neighbour {
                ip: f.first()?.parse().ok()?,
                mac: parse_mac(after("lladdr")?)?,
                device: after("dev")?.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn macs_in_both_spellings() {
        let want = Some(Mac([0xaa, 0xbb, 0xcc, 0x01, 0x02, 0x03]));
        assert_eq!(parse_mac("aa:bb:cc:01:02:03"), want);
        assert_eq!(parse_mac("AA-BB-CC-01-02-03"), want);
        for bad in [
            "aa:bb:cc:01:02",
            "aa:bb:cc:01:02:03:04",
            "aabbcc010203",
            "a:bb:cc:01:02:03",
            "zz:bb:cc:01:02:03",
            "",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }

    #[test]
    fn dnsmasq_leases() {
        let text = "\
1795258800 aa:bb:cc:00:00:01 192.168.1.20 laptop 01:aa:bb:cc:00:00:01
1795258800 aa:bb:cc:00:00:02 192.168.1.21 * *
duid 00:01:00:01:2c:2f:aa:bb:cc:dd:ee:ff
1795258800 1234567 fd00::20 phone 00:04:aa
garbage
0 aa:bb:cc:00:00:03 192.168.1.22 tv
";
        let leases = parse_leases(text);
        assert_eq!(leases.len(), 4);
        assert_eq!(
            leases[0],
            Lease {
                expiry: 1_795_258_800,
                mac: parse_mac("aa:bb:cc:00:00:01"),
                ip: ip("192.168.1.20"),
                hostname: Some("laptop".into()),
                client_id: Some("01:aa:bb:cc:00:00:01".into()),
            }
        );
        assert_eq!(
            (
                leases[1].hostname.as_deref(),
                leases[1].client_id.as_deref()
            ),
            (None, None)
        );
        assert_eq!((leases[2].mac, leases[2].ip), (None, ip("fd00::20")));
        assert_eq!(
            (leases[3].expiry, leases[3].client_id.as_deref()),
            (0, None)
        );
    }

    #[test]
    fn proc_net_arp() {
        let text = "\
IP address       HW type     Flags       HW address            Mask     Device
192.168.1.20     0x1         0x2         aa:bb:cc:00:00:01     *        br-lan
192.168.1.99     0x1         0x0         00:00:00:00:00:00     *        br-lan
192.168.1.21     0x1         0x6         aa:bb:cc:00:00:02     *        eth0
";
        assert_eq!(
            parse_arp(text),
            vec![
                Neighbour {
                    ip: ip("192.168.1.20"),
                    mac: Mac([0xaa, 0xbb, 0xcc, 0, 0, 1]),
                    device: "br-lan".into()
                },
                Neighbour {
                    ip: ip("192.168.1.21"),
                    mac: Mac([0xaa, 0xbb, 0xcc, 0, 0, 2]),
                    device: "eth0".into()
                },
            ]
        );
    }

    #[test]
    fn ip_neigh_text() {
        let text = "\
fe80::a8bb:ccff:fe00:1 dev br-lan lladdr aa:bb:cc:00:00:01 router REACHABLE
fd00::99 dev br-lan INCOMPLETE
192.168.1.21 dev eth0 lladdr aa:bb:cc:00:00:02 STALE
";
        let n = parse_ip_neigh(text);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].ip, ip("fe80::a8bb:ccff:fe00:1"));
        assert_eq!(n[0].device, "br-lan");
        assert_eq!(n[1].mac, Mac([0xaa, 0xbb, 0xcc, 0, 0, 2]));
    }
}
