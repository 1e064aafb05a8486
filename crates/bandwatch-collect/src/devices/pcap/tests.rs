use std::io::Cursor;

use proptest::prelude::*;

use super::*;
use crate::devices::backend::FlowBytes;

/// What a reader reported.
#[derive(Default)]
pub(crate) struct Seen {
    pub packets: Vec<PacketMeta>,
    pub times: Vec<Timestamp>,
}

impl Observer for Seen {
    fn packet(&mut self, p: &PacketMeta) {
        self.packets.push(*p);
    }
    fn flow(&mut self, _: &FlowBytes) {}
    fn at(&mut self, wall: Timestamp) {
        self.times.push(wall);
    }
}

/// An Ethernet + IPv4 + UDP header (42 bytes).
pub(crate) fn eth_ipv4(src_mac: u8, dst_mac: u8, src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    let mut f = vec![
        0x02, 0, 0, 0, 0, dst_mac, 0x02, 0, 0, 0, 0, src_mac, 0x08, 0x00,
    ];
    f.extend_from_slice(&[0x45, 0, 0x05, 0xdc, 0, 0, 0x40, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&[0x30, 0x39, 0, 53, 0x05, 0xc8, 0, 0]);
    f
}

/// One packet to write: seconds, fraction (in the file's units), captured bytes, wire length.
pub(crate) type Rec<'a> = (u32, u32, &'a [u8], u32);

/// A classic pcap file.
pub(crate) fn pcap_file(link: u32, nanos: bool, big_endian: bool, recs: &[Rec<'_>]) -> Vec<u8> {
    let w32 = |v: &mut Vec<u8>, x: u32| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        });
    };
    let w16 = |v: &mut Vec<u8>, x: u16| {
        v.extend_from_slice(&if big_endian {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        });
    };
    let mut v = Vec::new();
    w32(&mut v, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    w16(&mut v, 2);
    w16(&mut v, 4);
    w32(&mut v, 0);
    w32(&mut v, 0);
    w32(&mut v, 262_144);
    w32(&mut v, link);
    for (sec, frac, data, orig) in recs {
        w32(&mut v, *sec);
        w32(&mut v, *frac);
        w32(&mut v, data.len() as u32);
        w32(&mut v, *orig);
        v.extend_from_slice(data);
    }
    v
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() % 4 != 0 {
        v.push(0);
    }
}

fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    pad4(&mut b);
    let len = (b.len() + 12) as u32;
    let mut v = Vec::new();
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&b);
    v.extend_from_slice(&len.to_le_bytes());
    v
}

/// A pcapng section: interfaces as (link type, `if_tsresol`), then blocks.
pub(crate) fn pcapng_file(ifaces: &[(u16, Option<u8>)], blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut v = ng_block(0x0A0D_0D0A, &shb);
    for (link, tsresol) in ifaces {
        let mut idb = Vec::new();
        idb.extend_from_slice(&link.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&262_144u32.to_le_bytes());
        if let Some(r) = tsresol {
            idb.extend_from_slice(&9u16.to_le_bytes());
            idb.extend_from_slice(&1u16.to_le_bytes());
            idb.extend_from_slice(&[*r, 0, 0, 0]);
            idb.extend_from_slice(&[0, 0, 0, 0]);
        }
        v.extend(ng_block(1, &idb));
    }
    for b in blocks {
        v.extend_from_slice(b);
    }
    v
}

/// An enhanced packet block.
pub(crate) fn epb(if_id: u32, ts: u64, data: &[u8], orig: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&if_id.to_le_bytes());
    b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    b.extend_from_slice(&(ts as u32).to_le_bytes());
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&orig.to_le_bytes());
    b.extend_from_slice(data);
    ng_block(6, &b)
}

fn spb(data: &[u8], orig: u32) -> Vec<u8> {
    let mut b = orig.to_le_bytes().to_vec();
    b.extend_from_slice(data);
    ng_block(3, &b)
}

fn read_all(bytes: Vec<u8>) -> Result<Seen, PcapFileError> {
    let mut b = PcapBackend::from_reader(Path::new("t.pcap"), Cursor::new(bytes))?;
    let mut seen = Seen::default();
    let stats = b.read(&mut seen)?;
    assert!(b.is_done());
    assert_eq!(stats.observed, seen.packets.len() as u64);
    assert_eq!(b.packets(), seen.packets.len() as u64);
    Ok(seen)
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

#[test]
fn reads_classic_pcap_in_either_byte_order_and_precision() {
    let a = eth_ipv4(1, 2, [192, 168, 1, 20], [1, 1, 1, 1]);
    let b = eth_ipv4(2, 1, [1, 1, 1, 1], [192, 168, 1, 20]);
    for (nanos, be) in [(false, false), (true, false), (false, true), (true, true)] {
        let frac = if nanos { 250_000_000 } else { 250_000 };
        let f = pcap_file(
            1,
            nanos,
            be,
            &[(1_700_000_000, frac, &a, 1514), (1_700_000_001, 0, &b, 60)],
        );
        let seen = read_all(f).unwrap();
        assert_eq!(seen.packets.len(), 2);
        assert_eq!(
            seen.packets[0].wire_len, 1514,
            "the wire length, not the captured"
        );
        assert_eq!(seen.packets[0].src_ip, Some(ip("192.168.1.20")));
        assert_eq!(
            seen.packets[1].dst_mac,
            Some(crate::devices::Mac([2, 0, 0, 0, 0, 1]))
        );
        assert_eq!(
            seen.times,
            [Timestamp(1_700_000_000_250), Timestamp(1_700_000_001_000)],
            "nanos {nanos} big-endian {be}"
        );
    }
}

#[test]
fn reads_pcapng_with_several_interfaces_and_link_types() {
    let eth = eth_ipv4(1, 2, [10, 0, 0, 1], [10, 0, 0, 2]);
    let raw = eth[14..].to_vec();
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
    ];
    sll2.extend_from_slice(&raw);
    // A comment-only custom block between packets is skipped.
    let custom = ng_block(0x0000_0BAD, &[0, 0, 0, 0, b'h', b'i']);
    let f = pcapng_file(
        &[(1, None), (101, Some(9)), (276, Some(0x80 | 0x14))],
        &[
            epb(0, 1_700_000_000_123_456, &eth, 1000),
            custom,
            epb(1, 1_700_000_000_500_000_000, &raw, 986),
            epb(2, 5 << 20, &sll2, 1006),
            spb(&eth, 1000),
        ],
    );
    let seen = read_all(f).unwrap();
    let lens: Vec<_> = seen.packets.iter().map(|p| p.wire_len).collect();
    assert_eq!(lens, [1000, 986, 1006, 1000]);
    assert!(seen
        .packets
        .iter()
        .all(|p| p.dst_ip == Some(ip("10.0.0.2"))));
    assert!(seen.packets[0].src_mac.is_some() && seen.packets[1].src_mac.is_none());
    assert_eq!(
        seen.times,
        [
            Timestamp(1_700_000_000_123),
            Timestamp(1_700_000_000_500),
            Timestamp(5000)
        ],
        "microseconds by default, nanoseconds, and a power-of-two resolution"
    );
}

#[test]
fn polls_in_batches_when_asked() {
    let a = eth_ipv4(1, 2, [192, 168, 1, 20], [1, 1, 1, 1]);
    let recs: Vec<Rec<'_>> = (0..5).map(|i| (i, 0, &a[..], 100)).collect();
    let mut b = PcapBackend::from_reader(
        Path::new("t.pcap"),
        Cursor::new(pcap_file(1, false, false, &recs)),
    )
    .unwrap()
    .with_batch(2);
    let mut seen = Seen::default();
    let mut polls = 0;
    while !b.is_done() {
        polls += 1;
        let s = Backend::poll(&mut b, &mut seen).unwrap();
        assert!(s.observed <= 2);
    }
    assert_eq!((seen.packets.len(), polls), (5, 3));
}

#[test]
fn a_record_larger_than_the_buffer_is_read() {
    let mut big = eth_ipv4(1, 2, [192, 168, 1, 20], [1, 1, 1, 1]);
    big.resize(3 << 20, 0xab);
    let f = pcap_file(
        1,
        false,
        false,
        &[(1, 0, &big, 3 << 20), (2, 0, &big[..60], 60)],
    );
    let seen = read_all(f).unwrap();
    assert_eq!(seen.packets.len(), 2);
    assert_eq!(seen.packets[0].src_ip, Some(ip("192.168.1.20")));
}

#[test]
fn bad_files_say_which_file_where_and_what() {
    let a = eth_ipv4(1, 2, [192, 168, 1, 20], [1, 1, 1, 1]);
    let good = pcap_file(
        1,
        false,
        false,
        &[(1, 0, &a, 100), (2, 0, &a, 100), (3, 0, &a, 100)],
    );
    // Cut inside the third packet's data.
    let cut = good[..good.len() - 5].to_vec();
    let e = read_all(cut).err().unwrap();
    assert_eq!(
        (e.problem.clone(), e.packet, e.offset),
        (Problem::Truncated, 3, 24 + 2 * 58)
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with("t.pcap: the file ends in the middle of a record"),
        "{msg}"
    );
    assert!(msg.contains("at byte 140, packet 3"), "{msg}");
    // Cut inside the file header.
    assert_eq!(
        read_all(good[..10].to_vec()).err().unwrap().problem,
        Problem::Truncated
    );
    assert_eq!(read_all(Vec::new()).err().unwrap().problem, Problem::Empty);
    let text = b"this is a text file, not a capture at all\n".to_vec();
    let e = read_all(text).err().unwrap();
    assert_eq!(e.problem, Problem::NotACapture);
    assert!(e.to_string().contains("not a pcap or pcapng file"), "{e}");
    // 802.11 with radiotap.
    let e = read_all(pcap_file(127, false, false, &[])).err().unwrap();
    assert_eq!(
        (e.problem.clone(), e.packet),
        (Problem::UnsupportedLinkType(127), 1)
    );
    assert!(
        e.to_string()
            .contains("link type 127 (802.11 with radiotap) is not supported"),
        "{e}"
    );
    let e = read_all(pcapng_file(&[(105, None)], &[])).err().unwrap();
    assert_eq!(e.problem, Problem::UnsupportedLinkType(105));
    // A packet of an interface the file never described.
    let e = read_all(pcapng_file(&[(1, None)], &[epb(3, 0, &a, 100)]))
        .err()
        .unwrap();
    assert!(
        matches!(&e.problem, Problem::Corrupt(why) if why.contains("interface 3")),
        "{e}"
    );
    // A length field no capture has: corrupt, said without reading gigabytes.
    let mut huge = good.clone();
    huge[24 + 8..24 + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let e = read_all(huge).err().unwrap();
    assert!(
        matches!(
            e.problem,
            Problem::Truncated | Problem::RecordTooLarge | Problem::Corrupt(_)
        ),
        "{e}"
    );
    assert_eq!(e.packet, 1);
}

#[test]
fn an_empty_capture_is_fine() {
    assert!(read_all(pcap_file(1, false, false, &[]))
        .unwrap()
        .packets
        .is_empty());
    assert!(read_all(pcapng_file(&[(1, None)], &[]))
        .unwrap()
        .packets
        .is_empty());
}

#[test]
fn the_reader_reports_through_the_collect_error() {
    let e = crate::CollectError::from(read_all(Vec::new()).err().unwrap());
    assert_eq!(e.to_string(), "t.pcap: the file is empty");
}

/// A valid file of each format to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let a = eth_ipv4(1, 2, [192, 168, 1, 20], [1, 1, 1, 1]);
    let raw = a[14..].to_vec();
    vec![
        pcap_file(
            1,
            false,
            false,
            &[(1, 0, &a, 100), (2, 5, &a[..20], 1500), (3, 0, &a, 60)],
        ),
        pcap_file(113, true, true, &[(1, 0, &a, 100)]),
        pcapng_file(
            &[(1, None), (101, Some(9))],
            &[epb(0, 1, &a, 100), spb(&a, 90), epb(1, 2, &raw, 80)],
        ),
    ]
}

fn outcome(bytes: Vec<u8>) {
    match PcapBackend::from_reader(Path::new("fuzz.pcap"), Cursor::new(bytes)) {
        Err(e) => assert!(e.to_string().starts_with("fuzz.pcap: "), "{e}"),
        Ok(mut b) => {
            let mut seen = Seen::default();
            match b.read(&mut seen) {
                Ok(_) => assert!(b.is_done()),
                Err(e) => {
                    assert!(e.to_string().starts_with("fuzz.pcap: "), "{e}");
                    assert!(e.packet >= 1);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random bytes, with or without a valid magic in front: an error or packets, never a
    /// panic or a hang.
    #[test]
    fn random_bytes_never_panic(
        magic in prop::sample::select(vec![vec![], vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0], vec![0x0a, 0x0d, 0x0d, 0x0a]]),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = magic;
        bytes.extend(body);
        outcome(bytes);
    }

    /// Valid files with bytes overwritten and the tail cut: an error or packets, never a
    /// panic or a hang.
    #[test]
    fn mutated_files_never_panic(
        seed in 0usize..3,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        keep in any::<prop::sample::Index>(),
    ) {
        let mut bytes = seeds()[seed].clone();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let keep = keep.index(bytes.len() + 1);
        bytes.truncate(keep);
        outcome(bytes);
    }
}
