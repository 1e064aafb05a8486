//! ICMP echo packets: built and parsed by hand, tested on literals.

use std::net::IpAddr;

/// ICMPv4 echo request type.
pub const ICMPV4_ECHO_REQUEST: u8 = 8;
/// ICMPv4 echo reply type.
pub const ICMPV4_ECHO_REPLY: u8 = 0;
/// ICMPv6 echo request type.
pub const ICMPV6_ECHO_REQUEST: u8 = 128;
/// ICMPv6 echo reply type.
pub const ICMPV6_ECHO_REPLY: u8 = 129;

/// Length of an echo packet built by [`build_echo_request`]: 8-byte header, 16-byte payload.
pub const ECHO_LEN: usize = 24;

/// Marks our payload so stray echoes with the same id and seq are not mistaken for ours.
const MAGIC: &[u8; 8] = b"bandwtch";

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request for `ip`'s family with a timestamp payload (nanoseconds, any epoch).
/// The ICMPv6 checksum is left zero: the kernel fills it in for ICMPv6 sockets.
pub fn build_echo_request(v6: bool, id: u16, seq: u16, stamp_nanos: u64) -> [u8; ECHO_LEN] {
    let mut p = [0u8; ECHO_LEN];
    p[0] = if v6 {
        ICMPV6_ECHO_REQUEST
    } else {
        ICMPV4_ECHO_REQUEST
    };
    p[4..6].copy_from_slice(&id.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    p[8..16].copy_from_slice(&stamp_nanos.to_be_bytes());
    p[16..24].copy_from_slice(MAGIC);
    if !v6 {
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// The parts of an echo reply we match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply {
    /// Identifier (rewritten by the kernel on datagram sockets).
    pub id: u16,
    /// Sequence number.
    pub seq: u16,
    /// The timestamp we put in the request.
    pub stamp_nanos: u64,
}

/// Parses an ICMP echo reply of our own making; `None` for anything else (requests, errors,
/// foreign echoes, bad ICMPv4 checksums). `icmp` starts at the ICMP header.
pub fn parse_echo_reply(v6: bool, icmp: &[u8]) -> Option<EchoReply> {
    if icmp.len() < ECHO_LEN || icmp[1] != 0 || &icmp[16..24] != MAGIC {
        return None;
    }
    let want = if v6 {
        ICMPV6_ECHO_REPLY
    } else {
        ICMPV4_ECHO_REPLY
    };
    if icmp[0] != want || (!v6 && checksum(icmp) != 0) {
        return None;
    }
    Some(EchoReply {
        id: u16::from_be_bytes([icmp[4], icmp[5]]),
        seq: u16::from_be_bytes([icmp[6], icmp[7]]),
        stamp_nanos: u64::from_be_bytes(icmp[8..16].try_into().ok()?),
    })
}

/// Strips the IPv4 header a raw IPv4 socket delivers, returning the source address and the
/// ICMP part.
pub fn strip_ipv4_header(packet: &[u8]) -> Option<(IpAddr, &[u8])> {
    let first = *packet.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < 20 || packet.len() < ihl {
        return None;
    }
    let src: [u8; 4] = packet[12..16].try_into().ok()?;
    Some((IpAddr::from(src), &packet[ihl..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_known_vectors() {
        // RFC 1071 section 3 example: the one's complement sum is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
        // A ping echo request captured from iputils ping: id 0x1234, seq 1, no payload.
        let req = [0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01];
        assert_eq!(checksum(&req), 0xe5ca);
        // Odd length pads with a zero byte.
        assert_eq!(checksum(&[0xff]), 0x00ff);
        assert_eq!(checksum(&[]), 0xffff);
    }

    #[test]
    fn a_built_request_checks_out_and_round_trips_as_a_reply() {
        let mut p = build_echo_request(false, 0xbeef, 7, 123_456_789);
        assert_eq!(p[0], 8);
        assert_eq!(checksum(&p), 0, "a valid packet sums to zero");
        // Turn it into the reply a host would send: type 0, checksum recomputed.
        p[0] = 0;
        p[2..4].copy_from_slice(&[0, 0]);
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
        let r = parse_echo_reply(false, &p).expect("reply");
        assert_eq!(
            r,
            EchoReply {
                id: 0xbeef,
                seq: 7,
                stamp_nanos: 123_456_789
            }
        );
        // A corrupted reply is refused.
        p[10] ^= 1;
        assert_eq!(parse_echo_reply(false, &p), None);
    }

    #[test]
    fn requests_and_short_packets_are_not_replies() {
        let p = build_echo_request(false, 1, 2, 3);
        assert_eq!(parse_echo_reply(false, &p), None);
        assert_eq!(parse_echo_reply(false, &p[..8]), None);
        let mut v6 = build_echo_request(true, 1, 2, 3);
        assert_eq!(v6[0], 128);
        assert_eq!(parse_echo_reply(true, &v6), None);
        v6[0] = 129;
        assert_eq!(parse_echo_reply(true, &v6).map(|r| r.seq), Some(2));
    }

    #[test]
    fn ipv4_header_is_stripped() {
        let mut pkt = vec![
            0x45, 0, 0, 44, 0, 0, 0, 0, 64, 1, 0, 0, 127, 0, 0, 9, 127, 0, 0, 1,
        ];
        pkt.extend_from_slice(&[0xaa; 8]);
        let (src, icmp) = strip_ipv4_header(&pkt).expect("header");
        assert_eq!(src, IpAddr::from([127, 0, 0, 9]));
        assert_eq!(icmp, &[0xaa; 8]);
        assert_eq!(strip_ipv4_header(&[0x60]), None);
    }
}
