//! Capture files as a [`Backend`]: pcap (microsecond and nanosecond, either byte order) and
//! pcapng, streamed through a bounded buffer with the `pcap-parser` crate, so a file of any
//! size is read in constant memory.
//!
//! Link types read: Ethernet (with MACs), Linux cooked captures SLL and SLL2 (`tcpdump -i
//! any`; addresses only), raw IP (RAW, IPV4, IPV6) and BSD loopback (NULL, LOOP). Each
//! packet counts its original length (`frame.len` in tshark), not the captured part.
//!
//! A truncated, corrupt or unsupported file is a [`PcapFileError`] naming the file, the byte
//! offset and the packet number where reading stopped; the reader never panics on any input
//! (a property test feeds it random and mutated files).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use bandwatch_core::Timestamp;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock as _, PcapReaderIterator};
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};

use super::backend::{Backend, BackendStats, Observer};
use super::packet::{
    parse_ethernet, parse_ip, parse_linux_sll, parse_linux_sll2, parse_null, PacketMeta,
};

/// The buffer a file is read through; it grows (up to [`MAX_RECORD`]) only for a record that
/// does not fit.
const BUFFER: usize = 1 << 20;
/// The largest record accepted. Real captures stay under 256 KiB per packet (the largest
/// snaplen tools write); a length field beyond this is corruption, not a packet.
pub const MAX_RECORD: usize = 16 << 20;

/// What went wrong with a capture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is empty.
    Empty,
    /// The first bytes are neither a pcap header nor a pcapng section header.
    NotACapture,
    /// The file ends in the middle of a header or a packet.
    Truncated,
    /// A record's length or layout is impossible.
    Corrupt(String),
    /// A record is larger than [`MAX_RECORD`].
    RecordTooLarge,
    /// The capture's link type is not one bandwatch reads.
    UnsupportedLinkType(i32),
    /// The file could not be read.
    Read(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("the file is empty"),
            Self::NotACapture => f.write_str(
                "not a pcap or pcapng file (it starts with neither a pcap header nor a pcapng \
                 section header)",
            ),
            Self::Truncated => f.write_str(
                "the file ends in the middle of a record (was it copied partly, or is the \
                 capture still being written?)",
            ),
            Self::Corrupt(why) => write!(f, "corrupt record: {why}"),
            Self::RecordTooLarge => write!(
                f,
                "a record is larger than {} MiB, which no capture tool writes: the file is \
                 corrupt",
                MAX_RECORD >> 20
            ),
            Self::UnsupportedLinkType(t) => write!(
                f,
                "link type {t} ({}) is not supported; bandwatch reads Ethernet, Linux cooked \
                 (SLL, SLL2), raw IP and BSD loopback captures",
                link_type_name(*t)
            ),
            Self::Read(why) => write!(f, "cannot read it: {why}"),
        }
    }
}

/// A capture file that cannot be read, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcapFileError {
    /// The file as named by the user.
    pub file: PathBuf,
    /// The byte offset of the record where reading stopped.
    pub offset: u64,
    /// The number (from 1) of the packet being read when it stopped; 0 for the file header.
    pub packet: u64,
    /// What is wrong.
    pub problem: Problem,
}

impl std::fmt::Display for PcapFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.problem)?;
        // Where it stopped matters once past the file header.
        if self.packet > 0 {
            write!(f, " (at byte {}, packet {})", self.offset, self.packet)?;
        }
        Ok(())
    }
}

impl std::error::Error for PcapFileError {}

/// How one interface's packets are parsed and stamped.
#[derive(Debug, Clone, Copy)]
struct Iface {
    parse: fn(&[u8], u64) -> PacketMeta,
    /// Timestamp units per second (pcapng `if_tsresol`; 1e6 or 1e9 for pcap).
    units_per_sec: u64,
    /// Seconds added to every timestamp (pcapng `if_tsoffset`).
    offset_secs: i64,
}

fn parser_for(link: Linktype) -> Option<fn(&[u8], u64) -> PacketMeta> {
    Some(match link {
        Linktype::ETHERNET => parse_ethernet,
        Linktype::LINUX_SLL => parse_linux_sll,
        Linktype::LINUX_SLL2 => parse_linux_sll2,
        // 12 and 14 are the other numbers some systems write for raw IP.
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 | Linktype(12 | 14) => parse_ip,
        Linktype::NULL | Linktype::LOOP => parse_null,
        _ => return None,
    })
}

fn link_type_name(t: i32) -> &'static str {
    match t {
        6 => "Token Ring",
        9 => "PPP",
        105 => "IEEE 802.11",
        127 => "802.11 with radiotap",
        195 | 215 | 230 => "IEEE 802.15.4",
        220 => "USB",
        239 => "netfilter log",
        _ => "see tcpdump.org/linktypes.html",
    }
}

/// A pcap or pcapng file read as a backend.
pub struct PcapBackend {
    file: PathBuf,
    reader: Box<dyn PcapReaderIterator + Send>,
    capacity: usize,
    ifaces: Vec<Iface>,
    /// Packets read so far.
    packets: u64,
    /// Most packets one poll reads (`u64::MAX`: the whole file in one poll).
    batch: u64,
    done: bool,
    last_ms: Option<i64>,
}

impl std::fmt::Debug for PcapBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapBackend")
            .field("file", &self.file)
            .field("packets", &self.packets)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl PcapBackend {
    /// Opens `path` and reads its header; each poll then reads the whole rest of the file.
    pub fn open(path: &Path) -> Result<Self, PcapFileError> {
        let file = File::open(path).map_err(|e| PcapFileError {
            file: path.to_path_buf(),
            offset: 0,
            packet: 0,
            problem: Problem::Read(e.to_string()),
        })?;
        Self::from_reader(path, file)
    }

    /// Reads a capture from any byte stream; `name` is what errors call it.
    pub fn from_reader(
        name: &Path,
        reader: impl Read + Send + 'static,
    ) -> Result<Self, PcapFileError> {
        let fail = |problem| PcapFileError {
            file: name.to_path_buf(),
            offset: 0,
            packet: 0,
            problem,
        };
        let reader = pcap_parser::create_reader(BUFFER, reader).map_err(|e| {
            fail(match e {
                PcapError::Eof => Problem::Empty,
                PcapError::Incomplete(_) | PcapError::UnexpectedEof => Problem::Truncated,
                PcapError::ReadError => Problem::Read("read error".into()),
                _ => Problem::NotACapture,
            })
        })?;
        Ok(Self {
            file: name.to_path_buf(),
            reader,
            capacity: BUFFER,
            ifaces: Vec::new(),
            packets: 0,
            batch: u64::MAX,
            done: false,
            last_ms: None,
        })
    }

    /// Makes each poll read at most `packets` packets (at least one), for callers that want
    /// to interleave reading with other work.
    #[must_use]
    pub fn with_batch(mut self, packets: u64) -> Self {
        self.batch = packets.max(1);
        self
    }

    /// True once the end of the file was reached.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    fn error(&self, problem: Problem) -> PcapFileError {
        PcapFileError {
            file: self.file.clone(),
            offset: self.reader.consumed() as u64,
            packet: self.packets + 1,
            problem,
        }
    }

    /// Reads packets until the end of the file or `batch` packets, reporting each to `out`.
    pub fn read(&mut self, out: &mut dyn Observer) -> Result<BackendStats, PcapFileError> {
        let mut stats = BackendStats::default();
        // Rounds without progress: the buffer can neither be refilled nor grown, which only
        // a reader bug could cause, but it must end in an error, not a spin.
        let mut stalled = 0u32;
        while !self.done && stats.observed < self.batch {
            match self.reader.next() {
                Ok((len, block)) => {
                    stalled = 0;
                    let counted =
                        handle(block, &mut self.ifaces, out, &mut self.last_ms).map_err(|p| {
                            PcapFileError {
                                file: self.file.clone(),
                                offset: self.reader.consumed() as u64,
                                packet: self.packets + 1,
                                problem: p,
                            }
                        })?;
                    self.reader.consume(len);
                    if counted {
                        self.packets += 1;
                        stats.observed += 1;
                    }
                }
                Err(PcapError::Eof) => self.done = true,
                Err(PcapError::Incomplete(_)) => {
                    stalled += 1;
                    self.refill()?;
                }
                Err(PcapError::BufferTooSmall) => {
                    stalled += 1;
                    let before = self.reader.data().len();
                    self.refill()?;
                    if self.reader.data().len() == before && !self.reader.reader_exhausted() {
                        let bigger = self.capacity * 2;
                        if bigger > MAX_RECORD || !self.reader.grow(bigger) {
                            return Err(self.error(Problem::RecordTooLarge));
                        }
                        self.capacity = bigger;
                    }
                }
                Err(PcapError::UnexpectedEof) => return Err(self.error(Problem::Truncated)),
                Err(PcapError::ReadError) => {
                    return Err(self.error(Problem::Read("read error".into())))
                }
                Err(e) => {
                    let why = corrupt_reason(&e);
                    return Err(self.error(Problem::Corrupt(why)));
                }
            }
            if stalled > 64 {
                return Err(self.error(Problem::Corrupt("the reader stopped advancing".into())));
            }
        }
        Ok(stats)
    }

    fn refill(&mut self) -> Result<(), PcapFileError> {
        match self.reader.refill() {
            Ok(()) => Ok(()),
            Err(_) => Err(self.error(Problem::Read("read error".into()))),
        }
    }
}

fn corrupt_reason(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::HeaderNotRecognized => "a header of unknown type".into(),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("its fields do not parse ({})", kind.description())
        }
        other => format!("{other:?}"),
    }
}

/// Handles one block; true when it was a packet.
fn handle(
    block: PcapBlockOwned<'_>,
    ifaces: &mut Vec<Iface>,
    out: &mut dyn Observer,
    last_ms: &mut Option<i64>,
) -> Result<bool, Problem> {
    match block {
        PcapBlockOwned::LegacyHeader(h) => {
            let parse = parser_for(h.network).ok_or(Problem::UnsupportedLinkType(h.network.0))?;
            ifaces.clear();
            ifaces.push(Iface {
                parse,
                units_per_sec: if h.is_nanosecond_precision() {
                    1_000_000_000
                } else {
                    1_000_000
                },
                offset_secs: 0,
            });
            Ok(false)
        }
        PcapBlockOwned::Legacy(p) => {
            let iface = ifaces
                .first()
                .ok_or_else(|| Problem::Corrupt("a packet before the file header".into()))?;
            let frac_ms = i64::from(p.ts_usec) * 1000 / iface.units_per_sec as i64;
            stamp(out, last_ms, i64::from(p.ts_sec) * 1000 + frac_ms);
            let data = p.data.get(..p.caplen as usize).unwrap_or(p.data);
            out.packet(&(iface.parse)(data, u64::from(p.origlen)));
            Ok(true)
        }
        PcapBlockOwned::NG(Block::SectionHeader(_)) => {
            // Interface numbers start again in each section.
            ifaces.clear();
            Ok(false)
        }
        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
            let parse =
                parser_for(idb.linktype).ok_or(Problem::UnsupportedLinkType(idb.linktype.0))?;
            let units_per_sec = ts_resolution(idb.if_tsresol).ok_or_else(|| {
                Problem::Corrupt(format!(
                    "interface {} has an impossible timestamp resolution",
                    ifaces.len()
                ))
            })?;
            ifaces.push(Iface {
                parse,
                units_per_sec: units_per_sec.max(1),
                offset_secs: idb.if_tsoffset,
            });
            Ok(false)
        }
        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
            let iface = ifaces.get(epb.if_id as usize).ok_or_else(|| {
                Problem::Corrupt(format!(
                    "a packet of interface {}, which the file never described",
                    epb.if_id
                ))
            })?;
            let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
            let units = iface.units_per_sec;
            let secs = (ts / units) as i64;
            let ms = (u128::from(ts % units) * 1000 / u128::from(units)) as i64;
            stamp(
                out,
                last_ms,
                secs.saturating_add(iface.offset_secs)
                    .saturating_mul(1000)
                    .saturating_add(ms),
            );
            out.packet(&(iface.parse)(epb.packet_data(), u64::from(epb.origlen)));
            Ok(true)
        }
        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
            let iface = ifaces.first().ok_or_else(|| {
                Problem::Corrupt("a simple packet block before any interface".into())
            })?;
            out.packet(&(iface.parse)(spb.packet_data(), u64::from(spb.origlen)));
            Ok(true)
        }
        // Name resolution, statistics, comments, secrets, custom blocks: nothing to count.
        PcapBlockOwned::NG(_) => Ok(false),
    }
}

/// Timestamp units per second from pcapng's `if_tsresol`: 10^n, or 2^n with the top bit
/// set. (pcap-parser's own helper rejects every power of two, as it compares the byte with
/// the flag still set.)
fn ts_resolution(tsresol: u8) -> Option<u64> {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u64.checked_pow(n)
    } else {
        1u64.checked_shl(n).filter(|_| n < 64)
    }
}

/// Tells the observer the packets' time, when it moved on by a millisecond or more.
fn stamp(out: &mut dyn Observer, last_ms: &mut Option<i64>, ms: i64) {
    if *last_ms != Some(ms) {
        *last_ms = Some(ms);
        out.at(Timestamp(ms));
    }
}

impl Backend for PcapBackend {
    fn name(&self) -> &'static str {
        "pcap"
    }

    fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats> {
        Ok(self.read(out)?)
    }
}

#[cfg(test)]
pub(crate) mod tests;
