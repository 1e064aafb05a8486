//! ctnetlink messages, built and parsed over byte slices (`linux/netlink.h`,
//! `linux/netfilter/nfnetlink.h`, `linux/netfilter/nfnetlink_conntrack.h`). Pure, tested on
//! hand-built messages.
//!
//! A netlink datagram holds messages, each a 16-byte `nlmsghdr` (len, type, flags, seq, pid;
//! host byte order) then, for ctnetlink, a 4-byte `nfgenmsg` (family, version, res_id) and
//! attributes: `nlattr` (len, type; host order), payload, padding to 4 bytes. Attribute
//! payloads of ctnetlink (addresses, counters, ids) are in network byte order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const NLMSG_HDR: usize = 16;
const NFGENMSG: usize = 4;
/// `NLMSG_ERROR`.
const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`.
const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
const NLMSG_OVERRUN: u16 = 4;
const NLM_F_REQUEST: u16 = 1;
/// `NLM_F_ROOT | NLM_F_MATCH`.
const NLM_F_DUMP: u16 = 0x300;
/// `NFNL_SUBSYS_CTNETLINK << 8`.
const SUBSYS_CTNETLINK: u16 = 1 << 8;
const IPCTNL_MSG_CT_NEW: u16 = 0;
const IPCTNL_MSG_CT_GET: u16 = 1;
const IPCTNL_MSG_CT_DELETE: u16 = 2;
const NLA_TYPE_MASK: u16 = 0x3fff;

const CTA_TUPLE_ORIG: u16 = 1;
const CTA_TUPLE_REPLY: u16 = 2;
const CTA_COUNTERS_ORIG: u16 = 9;
const CTA_COUNTERS_REPLY: u16 = 10;
const CTA_ID: u16 = 12;
const CTA_ZONE: u16 = 18;
const CTA_TUPLE_IP: u16 = 1;
const CTA_TUPLE_PROTO: u16 = 2;
const CTA_IP_V4_SRC: u16 = 1;
const CTA_IP_V4_DST: u16 = 2;
const CTA_IP_V6_SRC: u16 = 3;
const CTA_IP_V6_DST: u16 = 4;
const CTA_PROTO_NUM: u16 = 1;
const CTA_PROTO_SRC_PORT: u16 = 2;
const CTA_PROTO_DST_PORT: u16 = 3;
const CTA_COUNTERS_BYTES: u16 = 2;
const CTA_COUNTERS32_BYTES: u16 = 4;

/// The request for a dump of the whole table (every address family).
pub fn dump_request(seq: u32) -> Vec<u8> {
    let len = (NLMSG_HDR + NFGENMSG) as u32;
    let mut m = Vec::with_capacity(len as usize);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&(SUBSYS_CTNETLINK | IPCTNL_MSG_CT_GET).to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    // nfgenmsg: AF_UNSPEC (all families), NFNETLINK_V0, res_id 0.
    m.extend_from_slice(&[0, 0, 0, 0]);
    m
}

/// One end-to-end identity of a connection: addresses, protocol and ports of one tuple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tuple {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol number.
    pub proto: u8,
    /// Source port (or ICMP id), 0 when the protocol has none.
    pub src_port: u16,
    /// Destination port, 0 when the protocol has none.
    pub dst_port: u16,
}

/// One conntrack entry as a dump or a destroy event reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// `CTA_ID`, the kernel's id of the entry (0 when absent).
    pub id: u32,
    /// `CTA_ZONE`, 0 by default.
    pub zone: u16,
    /// The original direction (as the first packet went, before NAT).
    pub orig: Tuple,
    /// The reply direction (as replies come back, after NAT: its source is the real
    /// destination).
    pub reply: Tuple,
    /// Bytes in the original direction, if accounting is on.
    pub orig_bytes: Option<u64>,
    /// Bytes in the reply direction, if accounting is on.
    pub reply_bytes: Option<u64>,
}

/// One message of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A conntrack entry: from a dump, or a new/update event.
    Entry(Entry),
    /// A destroy event: the entry's final counters.
    Destroyed(Entry),
    /// The end of a dump.
    Done,
    /// An error (negative errno) or, with 0, an acknowledgement.
    Error(i32),
    /// The kernel lost messages for this socket.
    Overrun,
    /// A message of another kind, or a conntrack message without its tuples.
    Other,
}

/// Why a datagram could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MsgError {
    /// A header's length runs past the datagram or is shorter than a header.
    #[error("netlink message at byte {at} has a bad length")]
    BadLength {
        /// Where the message starts.
        at: usize,
    },
}

fn u16_ne(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_ne(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The messages of one datagram, in order, each with its sequence number.
pub fn parse_datagram(buf: &[u8]) -> Result<Vec<(u32, Message)>, MsgError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + NLMSG_HDR <= buf.len() {
        let len = u32_ne(buf, at).unwrap_or(0) as usize;
        if len < NLMSG_HDR || at + len > buf.len() {
            return Err(MsgError::BadLength { at });
        }
        let kind = u16_ne(buf, at + 4).unwrap_or(0);
        let seq = u32_ne(buf, at + 8).unwrap_or(0);
        let body = &buf[at + NLMSG_HDR..at + len];
        out.push((seq, parse_message(kind, body)));
        at += align4(len);
    }
    Ok(out)
}

fn parse_message(kind: u16, body: &[u8]) -> Message {
    match kind {
        NLMSG_DONE => return Message::Done,
        NLMSG_OVERRUN => return Message::Overrun,
        NLMSG_ERROR => {
            return Message::Error(body.get(0..4).map_or(-1, |b| {
                i32::from_ne_bytes(b.try_into().unwrap_or([0xff; 4]))
            }));
        }
        _ => {}
    }
    let destroyed = match kind {
        k if k == SUBSYS_CTNETLINK | IPCTNL_MSG_CT_NEW => false,
        k if k == SUBSYS_CTNETLINK | IPCTNL_MSG_CT_DELETE => true,
        _ => return Message::Other,
    };
    let Some(attrs) = body.get(NFGENMSG..) else {
        return Message::Other;
    };
    match parse_entry(attrs) {
        Some(e) if destroyed => Message::Destroyed(e),
        Some(e) => Message::Entry(e),
        None => Message::Other,
    }
}

/// The attributes of a block: (type without flags, payload).
fn attrs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let len = usize::from(u16_ne(b, 0)?);
        let kind = u16_ne(b, 2)? & NLA_TYPE_MASK;
        if len < 4 || len > b.len() {
            return None;
        }
        let payload = &b[4..len];
        b = b.get(align4(len)..).unwrap_or(&[]);
        Some((kind, payload))
    })
}

fn be_u64(p: &[u8]) -> Option<u64> {
    match p.len() {
        8 => Some(u64::from_be_bytes(p.try_into().ok()?)),
        4 => Some(u64::from(u32::from_be_bytes(p.try_into().ok()?))),
        _ => None,
    }
}

fn be_u16(p: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(p.get(..2)?.try_into().ok()?))
}

fn parse_entry(b: &[u8]) -> Option<Entry> {
    let (mut orig, mut reply, mut id, mut zone) = (None, None, 0, 0);
    let (mut orig_bytes, mut reply_bytes) = (None, None);
    for (kind, p) in attrs(b) {
        match kind {
            CTA_TUPLE_ORIG => orig = parse_tuple(p),
            CTA_TUPLE_REPLY => reply = parse_tuple(p),
            CTA_COUNTERS_ORIG => orig_bytes = parse_bytes(p),
            CTA_COUNTERS_REPLY => reply_bytes = parse_bytes(p),
            CTA_ID => {
                id = p
                    .get(..4)
                    .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            }
            CTA_ZONE => zone = be_u16(p).unwrap_or(0),
            _ => {}
        }
    }
    Some(Entry {
        id,
        zone,
        orig: orig?,
        reply: reply?,
        orig_bytes,
        reply_bytes,
    })
}

fn parse_bytes(b: &[u8]) -> Option<u64> {
    attrs(b)
        .find(|(k, _)| *k == CTA_COUNTERS_BYTES || *k == CTA_COUNTERS32_BYTES)
        .and_then(|(_, p)| be_u64(p))
}

fn parse_tuple(b: &[u8]) -> Option<Tuple> {
    let (mut src, mut dst) = (None, None);
    let (mut proto, mut src_port, mut dst_port) = (0, 0, 0);
    for (kind, p) in attrs(b) {
        match kind {
            CTA_TUPLE_IP => {
                for (k, a) in attrs(p) {
                    let addr = match a.len() {
                        4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(a).ok()?)),
                        16 => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(a).ok()?)),
                        _ => continue,
                    };
                    match k {
                        CTA_IP_V4_SRC | CTA_IP_V6_SRC => src = Some(addr),
                        CTA_IP_V4_DST | CTA_IP_V6_DST => dst = Some(addr),
                        _ => {}
                    }
                }
            }
            CTA_TUPLE_PROTO => {
                for (k, a) in attrs(p) {
                    match k {
                        CTA_PROTO_NUM => proto = a.first().copied().unwrap_or(0),
                        CTA_PROTO_SRC_PORT => src_port = be_u16(a).unwrap_or(0),
                        CTA_PROTO_DST_PORT => dst_port = be_u16(a).unwrap_or(0),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(Tuple {
        src: src?,
        dst: dst?,
        proto,
        src_port,
        dst_port,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An attribute: header, payload, padding.
    pub(crate) fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(payload);
        a.resize(align4(a.len()), 0);
        a
    }

    /// A nested attribute (NLA_F_NESTED set, as the kernel sends it).
    pub(crate) fn nest(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
        attr(kind | 0x8000, &parts.concat())
    }

    pub(crate) fn tuple(kind: u16, src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        nest(
            kind,
            &[
                nest(
                    CTA_TUPLE_IP,
                    &[attr(CTA_IP_V4_SRC, &src), attr(CTA_IP_V4_DST, &dst)],
                ),
                nest(
                    CTA_TUPLE_PROTO,
                    &[
                        attr(CTA_PROTO_NUM, &[6]),
                        attr(CTA_PROTO_SRC_PORT, &sport.to_be_bytes()),
                        attr(CTA_PROTO_DST_PORT, &dport.to_be_bytes()),
                    ],
                ),
            ],
        )
    }

    pub(crate) fn counters(kind: u16, packets: u64, bytes: u64) -> Vec<u8> {
        nest(
            kind,
            &[
                attr(1, &packets.to_be_bytes()),
                attr(CTA_COUNTERS_BYTES, &bytes.to_be_bytes()),
            ],
        )
    }

    /// A whole message: nlmsghdr + nfgenmsg + attributes.
    pub(crate) fn message(kind: u16, seq: u32, attrs: &[Vec<u8>]) -> Vec<u8> {
        let body = attrs.concat();
        let len = (NLMSG_HDR + NFGENMSG + body.len()) as u32;
        let mut m = Vec::new();
        m.extend_from_slice(&len.to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&2u16.to_ne_bytes()); // NLM_F_MULTI
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&[2, 0, 0, 0]); // AF_INET
        m.extend_from_slice(&body);
        m
    }

    /// A ctnetlink entry message for a NATed TCP connection 10.0.0.5:40000 → 1.2.3.4:443,
    /// replies to the router's 203.0.113.1.
    pub(crate) fn entry_msg(kind: u16, seq: u32, id: u32, ob: u64, rb: u64) -> Vec<u8> {
        message(
            SUBSYS_CTNETLINK | kind,
            seq,
            &[
                tuple(CTA_TUPLE_ORIG, [10, 0, 0, 5], [1, 2, 3, 4], 40000, 443),
                tuple(CTA_TUPLE_REPLY, [1, 2, 3, 4], [203, 0, 113, 1], 443, 40000),
                attr(3, &0x18e_u32.to_be_bytes()), // CTA_STATUS, ignored
                counters(CTA_COUNTERS_ORIG, 10, ob),
                counters(CTA_COUNTERS_REPLY, 12, rb),
                attr(CTA_ID, &id.to_be_bytes()),
            ],
        )
    }

    pub(crate) const NEW: u16 = IPCTNL_MSG_CT_NEW;
    pub(crate) const DELETE: u16 = IPCTNL_MSG_CT_DELETE;

    pub(crate) fn done(seq: u32) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&20u32.to_ne_bytes());
        m.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        m.extend_from_slice(&2u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&0i32.to_ne_bytes());
        m
    }

    #[test]
    fn the_dump_request_asks_ctnetlink_for_everything() {
        let r = dump_request(7);
        assert_eq!(r.len(), 20);
        assert_eq!(u32_ne(&r, 0), Some(20));
        assert_eq!(u16_ne(&r, 4), Some(0x0101)); // CTNETLINK, CT_GET
        assert_eq!(u16_ne(&r, 6), Some(0x0301)); // REQUEST | DUMP
        assert_eq!(u32_ne(&r, 8), Some(7));
        assert_eq!(&r[16..], &[0, 0, 0, 0]);
    }

    #[test]
    fn reads_tuples_counters_and_id_of_a_dump_entry() {
        let mut dgram = entry_msg(NEW, 7, 0xdead_beef, 1500, 64_000);
        dgram.extend(done(7));
        let msgs = parse_datagram(&dgram).expect("parse");
        assert_eq!(msgs.len(), 2);
        let (seq, Message::Entry(e)) = &msgs[0] else {
            panic!("{msgs:?}")
        };
        assert_eq!(*seq, 7);
        assert_eq!(e.id, 0xdead_beef);
        assert_eq!(e.orig.src, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(e.orig.dst, "1.2.3.4".parse::<IpAddr>().unwrap());
        assert_eq!(
            (e.orig.proto, e.orig.src_port, e.orig.dst_port),
            (6, 40000, 443)
        );
        assert_eq!(e.reply.dst, "203.0.113.1".parse::<IpAddr>().unwrap());
        assert_eq!((e.orig_bytes, e.reply_bytes), (Some(1500), Some(64_000)));
        assert_eq!(msgs[1], (7, Message::Done));
    }

    #[test]
    fn a_destroy_event_is_told_apart_and_counters_may_be_absent() {
        let m = message(
            SUBSYS_CTNETLINK | DELETE,
            0,
            &[
                tuple(CTA_TUPLE_ORIG, [10, 0, 0, 5], [1, 2, 3, 4], 1, 2),
                tuple(CTA_TUPLE_REPLY, [1, 2, 3, 4], [10, 0, 0, 5], 2, 1),
            ],
        );
        let msgs = parse_datagram(&m).expect("parse");
        let Message::Destroyed(e) = &msgs[0].1 else {
            panic!("{msgs:?}")
        };
        assert_eq!((e.id, e.orig_bytes, e.reply_bytes), (0, None, None));
    }

    #[test]
    fn ipv6_addresses_and_32_bit_counters() {
        let v6 = |kind, s: u8, d: u8| {
            let (mut a, mut b) = ([0u8; 16], [0u8; 16]);
            a[0] = 0xfd;
            a[15] = s;
            b[0] = 0x20;
            b[15] = d;
            nest(
                kind,
                &[nest(
                    CTA_TUPLE_IP,
                    &[attr(CTA_IP_V6_SRC, &a), attr(CTA_IP_V6_DST, &b)],
                )],
            )
        };
        let m = message(
            SUBSYS_CTNETLINK,
            1,
            &[
                v6(CTA_TUPLE_ORIG, 5, 9),
                v6(CTA_TUPLE_REPLY, 9, 5),
                nest(
                    CTA_COUNTERS_ORIG,
                    &[attr(CTA_COUNTERS32_BYTES, &77u32.to_be_bytes())],
                ),
            ],
        );
        let msgs = parse_datagram(&m).expect("parse");
        let Message::Entry(e) = &msgs[0].1 else {
            panic!("{msgs:?}")
        };
        assert_eq!(e.orig.src, "fd00::5".parse::<IpAddr>().unwrap());
        assert_eq!(e.orig.dst, "2000::9".parse::<IpAddr>().unwrap());
        assert_eq!((e.orig_bytes, e.reply_bytes), (Some(77), None));
    }

    proptest::proptest! {
        /// Whatever the kernel (or a corrupted buffer) hands over, parsing never panics.
        #[test]
        fn any_bytes_parse_without_panicking(bytes in proptest::collection::vec(0u8..=255, 0..600)) {
            let _ = parse_datagram(&bytes);
        }

        /// A real message with any one byte changed still parses without panicking.
        #[test]
        fn a_mutated_entry_never_panics(at in 0usize..200, value in 0u8..=255) {
            let mut m = entry_msg(NEW, 1, 1, 100, 200);
            let i = at % m.len();
            m[i] = value;
            let _ = parse_datagram(&m);
        }
    }

    #[test]
    fn errors_and_bad_lengths() {
        let mut m = Vec::new();
        m.extend_from_slice(&36u32.to_ne_bytes());
        m.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(&(-1i32).to_ne_bytes()); // -EPERM
        m.extend_from_slice(&[0; 16]);
        assert_eq!(parse_datagram(&m).expect("parse")[0].1, Message::Error(-1));
        let mut bad = done(1);
        bad[0] = 200;
        assert_eq!(parse_datagram(&bad), Err(MsgError::BadLength { at: 0 }));
        // A truncated attribute inside an entry loses the entry, never panics.
        let mut e = entry_msg(NEW, 1, 1, 1, 1);
        let n = e.len();
        e[n - 8..n - 6].copy_from_slice(&200u16.to_ne_bytes());
        assert!(parse_datagram(&e).is_ok());
    }
}
