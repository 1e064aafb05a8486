//! What the accounting needs of one packet: its link and IP addresses and its length on the
//! wire, parsed from the headers only (a capture may keep nothing past them).

use std::fmt;
use std::net::IpAddr;

use etherparse::{LaxNetSlice, LaxSlicedPacket, LinkSlice};

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
    meta
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
    fn group_addresses_are_not_devices() {
        assert!(Mac([0xff; 6]).is_group());
        assert!(Mac([0x01, 0, 0x5e, 0, 0, 1]).is_group());
        assert!(!Mac([0x02, 0, 0, 0, 0, 1]).is_group());
    }
}
