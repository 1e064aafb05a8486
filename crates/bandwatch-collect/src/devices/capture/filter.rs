//! The classic BPF program attached to each capture socket. The kernel runs it before it
//! copies a frame into the ring: its return value is how many bytes to keep (the snap length,
//! so the capture stays header-only) or 0 to skip the frame (the direction this socket must
//! not count, so it costs no ring space).

use super::block::PACKET_OUTGOING;
use super::plan::Direction;

/// One classic BPF instruction (`struct sock_filter`): opcode, jump if true, jump if false, k.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// The opcode (`BPF_LD|BPF_B|BPF_ABS`, …).
    pub code: u16,
    /// Instructions to skip when a comparison holds.
    pub jt: u8,
    /// Instructions to skip when it does not.
    pub jf: u8,
    /// The constant operand.
    pub k: u32,
}

/// `BPF_LD | BPF_B | BPF_ABS` (`BPF_LD` is 0).
const BPF_LD_B_ABS: u16 = 0x10 | 0x20;
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10;
const BPF_RET_K: u16 = 0x06;
/// `SKF_AD_OFF + SKF_AD_PKTTYPE`: the ancillary load of the frame's packet type.
const LOAD_PKTTYPE: u32 = (-0x1000i32 + 4) as u32;

/// The program keeping `snaplen` bytes of every frame `direction` counts.
pub fn program(direction: Direction, snaplen: u32) -> Vec<Insn> {
    let ret = |k| Insn {
        code: BPF_RET_K,
        jt: 0,
        jf: 0,
        k,
    };
    // jeq outgoing: (jt, jf) pick "accept" (skip 0) or "drop" (skip 1).
    let (jt, jf) = match direction {
        Direction::Both => return vec![ret(snaplen)],
        Direction::IncomingOnly => (1, 0),
        Direction::OutgoingOnly => (0, 1),
    };
    vec![
        Insn {
            code: BPF_LD_B_ABS,
            jt: 0,
            jf: 0,
            k: LOAD_PKTTYPE,
        },
        Insn {
            code: BPF_JMP_JEQ_K,
            jt,
            jf,
            k: u32::from(PACKET_OUTGOING),
        },
        ret(snaplen),
        ret(0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny interpreter of exactly the instructions `program` emits.
    fn run(prog: &[Insn], pkttype: u8) -> u32 {
        let (mut pc, mut a) = (0usize, 0u32);
        loop {
            let i = prog[pc];
            match i.code {
                BPF_LD_B_ABS => {
                    assert_eq!(i.k, 0xffff_f004);
                    a = u32::from(pkttype);
                    pc += 1;
                }
                BPF_JMP_JEQ_K => pc += 1 + usize::from(if a == i.k { i.jt } else { i.jf }),
                BPF_RET_K => return i.k,
                other => panic!("unexpected opcode {other:#x}"),
            }
        }
    }

    #[test]
    fn each_direction_keeps_the_snap_length_of_its_frames_only() {
        for (dir, host, out) in [
            (Direction::Both, 128, 128),
            (Direction::IncomingOnly, 128, 0),
            (Direction::OutgoingOnly, 0, 128),
        ] {
            let p = program(dir, 128);
            assert_eq!(run(&p, 0), host, "{dir:?} incoming");
            assert_eq!(run(&p, 3), host, "{dir:?} other host");
            assert_eq!(run(&p, PACKET_OUTGOING), out, "{dir:?} outgoing");
        }
    }
}
