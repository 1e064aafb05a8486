//! What the accounting needs of one packet: its link and IP addresses and its length on the
//! wire, parsed from the headers only (a capture may keep nothing past them).

use std::fmt;
use std::net::IpAddr;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, LinkSlice};

/// A 48-bit hardware address.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Whether this is a group (multicast or broadcast) address, which names no one device.
    pub fn is_group(self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { ":" };
            write!(f, "{sep}{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The addresses and size of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMeta {
    /// The sending hardware address, when the capture has a link header.
    pub src_mac: Option<Mac>,
    /// The receiving hardware address, when the capture has a link header.
    pub dst_mac: Option<Mac>,
    /// The IP source, for IPv4 and IPv6 packets.
    pub src_ip: Option<IpAddr>,
    /// The IP destination, for IPv4 and IPv6 packets.
    pub dst_ip: Option<IpAddr>,
    /// The frame's length on the wire (tshark's `frame.len`), even when fewer bytes were
    /// captured.
    pub wire_len: u64,
}

/// Parses an Ethernet II frame (VLAN tags allowed) whose first bytes are `head`; `wire_len` is
/// its original length. Never fails: what cannot be read is `None` (a non-IP frame keeps its
/// MACs, a runt keeps nothing but its length).
pub fn parse_ethernet(head: &[u8], wire_len: u64) -> PacketMeta {
    let mut meta = PacketMeta {
        src_mac: None,
        dst_mac: None,
        src_ip: None,
        dst_ip: None,
        wire_len,
    };
    let Ok(sliced) = LaxSlicedPacket::from_ethernet(head) else {
        return meta;
    };
    if let Some(LinkSlice::Ethernet2(eth)) = &sliced.link {
        meta.src_mac = Some(Mac(eth.source()));
        meta.dst_mac = Some(Mac(eth.destination()));
    }
    read_ips(&sliced, &mut meta);
    meta
}

/// A packet that starts with its IP header (raw IP captures, a tunnel, conntrack-sized
/// headers): addresses only, no MACs.
pub fn parse_ip(head: &[u8], wire_len: u64) -> PacketMeta {
    let mut meta = PacketMeta::len_only(wire_len);
    if let Ok(sliced) = LaxSlicedPacket::from_ip(head) {
        read_ips(&sliced, &mut meta);
    }
    meta
}

/// A payload of the given EtherType (after a cooked or loopback header).
pub fn parse_ether_type(ether_type: u16, payload: &[u8], wire_len: u64) -> PacketMeta {
    let mut meta = PacketMeta::len_only(wire_len);
    let sliced = LaxSlicedPacket::from_ether_type(EtherType(ether_type), payload);
    read_ips(&sliced, &mut meta);
    meta
}

/// A Linux "cooked" capture (`tcpdump -i any`, link type LINUX_SLL): a 16-byte header whose
/// last two bytes are the EtherType. Its address field holds only the sender's link address,
/// never the receiver's, so no MAC is reported: a device would otherwise be keyed by MAC when
/// it sends and by IP when it receives.
pub fn parse_linux_sll(head: &[u8], wire_len: u64) -> PacketMeta {
    match head.get(14..16) {
        Some(t) => parse_ether_type(u16::from_be_bytes([t[0], t[1]]), &head[16..], wire_len),
        None => PacketMeta::len_only(wire_len),
    }
}

/// The second cooked format (LINUX_SLL2): a 20-byte header that starts with the EtherType;
/// no MACs, as for [`parse_linux_sll`].
pub fn parse_linux_sll2(head: &[u8], wire_len: u64) -> PacketMeta {
    match (head.get(0..2), head.get(20..)) {
        (Some(t), Some(rest)) => parse_ether_type(u16::from_be_bytes([t[0], t[1]]), rest, wire_len),
        _ => PacketMeta::len_only(wire_len),
    }
}

/// BSD loopback (link types NULL and LOOP): a 4-byte address family in either byte order,
/// then the IP packet; the IP version nibble says which family it is.
pub fn parse_null(head: &[u8], wire_len: u64) -> PacketMeta {
    head.get(4..).map_or_else(
        || PacketMeta::len_only(wire_len),
        |ip| parse_ip(ip, wire_len),
    )
}

impl PacketMeta {
    /// A packet of which nothing but its length is known.
    pub fn len_only(wire_len: u64) -> Self {
        Self {
            src_mac: None,
            dst_mac: None,
            src_ip: None,
            dst_ip: None,
            wire_len,
        }
    }
}

fn read_ips(sliced: &LaxSlicedPacket<'_>, meta: &mut PacketMeta) {
    match &sliced.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            meta.src_ip = Some(IpAddr::V4(h.source_addr()));
            meta.dst_ip = Some(IpAddr::V4(h.destination_addr()));
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            meta.src_ip = Some(IpAddr::V6(h.source_addr()));
            meta.dst_ip = Some(IpAddr::V6(h.destination_addr()));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet II + IPv4 + UDP header, payload cut off as a header-only capture would.
    fn udp_v4_head() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // destination
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // source
        f.extend_from_slice(&[0x08, 0x00]); // IPv4
        f.extend_from_slice(&[
            0x45, 0, 0x05, 0xdc, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 168, 1, 20, 1, 1, 1, 1,
        ]);
        f.extend_from_slice(&[0x30, 0x39, 0, 53, 0x05, 0xc8, 0, 0]);
        f
    }

    #[test]
    fn reads_addresses_from_a_truncated_ipv4_frame() {
        let m = parse_ethernet(&udp_v4_head(), 1514);
        assert_eq!(
            m.src_mac.map(|m| m.to_string()).as_deref(),
            Some("02:00:00:00:00:01")
        );
        assert_eq!(m.dst_mac, Some(Mac([2, 0, 0, 0, 0, 2])));
        assert_eq!(m.src_ip, Some("192.168.1.20".parse().unwrap()));
        assert_eq!(m.dst_ip, Some("1.1.1.1".parse().unwrap()));
        assert_eq!(m.wire_len, 1514);
    }

    #[test]
    fn a_runt_keeps_only_its_length() {
        let m = parse_ethernet(&[1, 2, 3], 60);
        assert_eq!((m.src_mac, m.src_ip, m.wire_len), (None, None, 60));
    }

    #[test]
    fn reads_raw_ip_cooked_and_loopback_link_types() {
        let eth = udp_v4_head();
        let ip = &eth[14..];
        let want = (
            Some("192.168.1.20".parse::<IpAddr>().unwrap()),
            Some("1.1.1.1".parse::<IpAddr>().unwrap()),
        );
        let m = parse_ip(ip, 1500);
        assert_eq!(
            ((m.src_ip, m.dst_ip), m.src_mac, m.wire_len),
            (want, None, 1500)
        );
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(ip);
        let m = parse_linux_sll(&sll, 1516);
        assert_eq!(((m.src_ip, m.dst_ip), m.src_mac), (want, None));
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        sll2.extend_from_slice(ip);
        let m = parse_linux_sll2(&sll2, 1520);
        assert_eq!((m.src_ip, m.dst_ip), want);
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(ip);
        assert_eq!(
            (
                parse_null(&null, 1504).src_ip,
                parse_null(&null, 1504).dst_ip
            ),
            want
        );
        for short in [&[][..], &[1, 2][..], &[0x45][..]] {
            for m in [
                parse_ip(short, 9),
                parse_linux_sll(short, 9),
                parse_linux_sll2(short, 9),
                parse_null(short, 9),
            ] {
                assert_eq!(m, PacketMeta::len_only(9));
            }
        }
        // ARP in a cooked capture: not IP.
        let mut arp = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x06];
        arp.extend_from_slice(&[0; 28]);
        assert_eq!(parse_linux_sll(&arp, 44), PacketMeta::len_only(44));
    }

    #[test]
    fn group_addresses_are_not_devices() {
        assert!(Mac([0xff; 6]).is_group());
        assert!(Mac([0x01, 0, 0x5e, 0, 0, 1]).is_group());
        assert!(!Mac([0x02, 0, 0, 0, 0, 1]).is_group());
    }
}
