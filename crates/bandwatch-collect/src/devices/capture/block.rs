//! Reading one retired TPACKET_V3 block: the block descriptor and the packet headers the
//! kernel wrote into it (`linux/if_packet.h`). Pure: it takes the block's bytes, so the walk is
//! tested on hand-built blocks; `ring.rs` owns the memory and says when a block is ours.
//!
//! Layout (all fields in host byte order, written by the kernel of this machine):
//! block descriptor `tpacket_block_desc` = version, offset_to_priv, then `tpacket_hdr_v1`
//! (block_status @8, num_pkts @12, offset_to_first_pkt @16, blk_len @20, seq_num @24, …);
//! each packet starts with `tpacket3_hdr` (next_offset @0, sec @4, nsec @8, snaplen @12,
//! len @16, status @20, mac @24, net @26, …, 48 bytes) followed by a `sockaddr_ll`
//! whose `sll_pkttype` (@10) says whether the frame was received or sent.

/// Offset of `num_pkts` in the block descriptor.
const BLOCK_NUM_PKTS: usize = 12;
/// Offset of `offset_to_first_pkt` in the block descriptor.
const BLOCK_FIRST: usize = 16;
/// `sizeof(struct tpacket3_hdr)`, already a multiple of `TPACKET_ALIGNMENT` (16).
pub const TPACKET3_HDR_LEN: usize = 48;
/// Offset of `sll_pkttype` in the `sockaddr_ll` that follows the packet header.
const SLL_PKTTYPE: usize = 10;
/// `TP_STATUS_VLAN_VALID`: the kernel moved an 802.1Q tag out of the data into the header.
const TP_STATUS_VLAN_VALID: u32 = 1 << 4;
/// Length of the 802.1Q tag the kernel took out of the frame.
const VLAN_TAG_LEN: u32 = 4;

/// `PACKET_OUTGOING`: a frame this host sent on the interface.
pub const PACKET_OUTGOING: u8 = 4;

/// One frame as the ring holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingFrame<'a> {
    /// The captured head of the frame (at most the snap length).
    pub head: &'a [u8],
    /// The frame's length on the wire, including an 802.1Q tag the kernel stripped.
    pub wire_len: u32,
    /// `sll_pkttype`: host, broadcast, multicast, other host, outgoing…
    pub pkttype: u8,
}

/// What walking a block found besides its frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockWalk {
    /// Frames handed to the callback.
    pub frames: u32,
    /// Whether the block ended early because a header pointed outside it (never seen from a
    /// real kernel; the walk stops instead of reading past the block).
    pub malformed: bool,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(bytes.try_into().ok()?))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_ne_bytes(bytes.try_into().ok()?))
}

/// Calls `each` for every frame of a retired block, in order.
pub fn walk_block(block: &[u8], mut each: impl FnMut(RingFrame<'_>)) -> BlockWalk {
    let mut walk = BlockWalk::default();
    let (Some(count), Some(first)) = (u32_at(block, BLOCK_NUM_PKTS), u32_at(block, BLOCK_FIRST))
    else {
        walk.malformed = true;
        return walk;
    };
    let mut at = first as usize;
    for i in 0..count {
        let Some(frame) = frame_at(block, at) else {
            walk.malformed = true;
            return walk;
        };
        each(frame);
        walk.frames += 1;
        // The last packet's next_offset is 0; only follow it while packets remain.
        let next = u32_at(block, at).unwrap_or(0) as usize;
        if i + 1 < count {
            if next == 0 {
                walk.malformed = true;
                return walk;
            }
            at += next;
        }
    }
    walk
}

/// The frame whose `tpacket3_hdr` starts at `at`, if it lies wholly inside the block.
fn frame_at(block: &[u8], at: usize) -> Option<RingFrame<'_>> {
    let snaplen = u32_at(block, at + 12)? as usize;
    let len = u32_at(block, at + 16)?;
    let status = u32_at(block, at + 20)?;
    let mac = usize::from(u16_at(block, at + 24)?);
    let pkttype = *block.get(at + TPACKET3_HDR_LEN + SLL_PKTTYPE)?;
    let start = at.checked_add(mac)?;
    let head = block.get(start..start.checked_add(snaplen)?)?;
    let vlan = if status & TP_STATUS_VLAN_VALID == 0 {
        0
    } else {
        VLAN_TAG_LEN
    };
    Some(RingFrame {
        head,
        wire_len: len.saturating_add(vlan),
        pkttype,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a block the way the kernel lays one out: a 48-byte descriptor, then packets
    /// at 16-byte aligned offsets, each header + sockaddr_ll + frame bytes at `mac` = 82.
    pub(crate) fn block(frames: &[(&[u8], u32, u8, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; 48];
        b[8..12].copy_from_slice(&1u32.to_ne_bytes()); // TP_STATUS_USER
        b[12..16].copy_from_slice(&(frames.len() as u32).to_ne_bytes());
        b[16..20].copy_from_slice(&48u32.to_ne_bytes());
        for (i, (head, len, pkttype, status)) in frames.iter().enumerate() {
            let at = b.len();
            let mac = 82usize;
            let size = (mac + head.len()).div_ceil(16) * 16;
            b.resize(at + size, 0);
            let next = if i + 1 == frames.len() {
                0
            } else {
                size as u32
            };
            b[at..at + 4].copy_from_slice(&next.to_ne_bytes());
            b[at + 12..at + 16].copy_from_slice(&(head.len() as u32).to_ne_bytes());
            b[at + 16..at + 20].copy_from_slice(&len.to_ne_bytes());
            b[at + 20..at + 24].copy_from_slice(&status.to_ne_bytes());
            b[at + 24..at + 26].copy_from_slice(&(mac as u16).to_ne_bytes());
            b[at + 48 + 10] = *pkttype;
            b[at + mac..at + mac + head.len()].copy_from_slice(head);
        }
        let len = b.len() as u32;
        b[20..24].copy_from_slice(&len.to_ne_bytes());
        b
    }

    fn collect(b: &[u8]) -> (Vec<(Vec<u8>, u32, u8)>, BlockWalk) {
        let mut seen = Vec::new();
        let walk = walk_block(b, |f| seen.push((f.head.to_vec(), f.wire_len, f.pkttype)));
        (seen, walk)
    }

    #[test]
    fn walks_every_frame_of_a_block_in_order() {
        let b = block(&[
            (&[1, 2, 3], 1514, 0, 1),
            (&[4; 100], 60, PACKET_OUTGOING, 1),
            (&[5], 42, 3, 1),
        ]);
        let (seen, walk) = collect(&b);
        assert_eq!(
            walk,
            BlockWalk {
                frames: 3,
                malformed: false
            }
        );
        assert_eq!(seen[0], (vec![1, 2, 3], 1514, 0));
        assert_eq!(seen[1], (vec![4; 100], 60, PACKET_OUTGOING));
        assert_eq!(seen[2], (vec![5], 42, 3));
    }

    proptest::proptest! {
        /// A block with any byte changed is walked without panicking or reading past it.
        #[test]
        fn a_mutated_block_never_panics(at in 0usize..400, value in 0u8..=255) {
            let mut b = block(&[(&[1; 40], 1514, 0, 1), (&[2; 60], 60, 4, 1)]);
            let i = at % b.len();
            b[i] = value;
            let _ = walk_block(&b, |f| assert!(f.head.len() <= b.len()));
        }
    }

    #[test]
    fn an_empty_block_has_no_frames() {
        let (seen, walk) = collect(&block(&[]));
        assert!(seen.is_empty());
        assert_eq!(walk, BlockWalk::default());
    }

    #[test]
    fn a_stripped_vlan_tag_counts_on_the_wire() {
        let (seen, _) = collect(&block(&[(&[0; 14], 100, 0, 1 | TP_STATUS_VLAN_VALID)]));
        assert_eq!(seen[0].1, 104);
    }

    #[test]
    fn a_header_pointing_outside_the_block_stops_the_walk() {
        let mut b = block(&[(&[1; 20], 80, 0, 1), (&[2; 20], 80, 0, 1)]);
        // Second packet's snaplen far past the end.
        let second = 48 + (82 + 20usize).div_ceil(16) * 16;
        b[second + 12..second + 16].copy_from_slice(&10_000u32.to_ne_bytes());
        let (seen, walk) = collect(&b);
        assert_eq!(seen.len(), 1);
        assert!(walk.malformed);
        // A count larger than the packets present, with next_offset 0, also stops.
        let mut b = block(&[(&[1; 20], 80, 0, 1)]);
        b[12..16].copy_from_slice(&5u32.to_ne_bytes());
        let (seen, walk) = collect(&b);
        assert_eq!((seen.len(), walk.malformed), (1, true));
        assert!(walk_block(&[0; 10], |_| {}).malformed);
    }
}
