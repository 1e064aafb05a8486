//! The `capture` backend: AF_PACKET sockets with a memory-mapped TPACKET_V3 ring on the
//! configured interfaces, header-only (a BPF filter keeps `snaplen` bytes of each frame),
//! non-blocking. Each poll walks the blocks the kernel has retired, hands every frame's
//! headers and wire length to the observer, and gives the blocks back.
//!
//! What to capture on (see `plan.rs` for why each frame is counted once):
//! - a router: its LAN bridge (`br-lan`) counts every frame between the LAN and the router
//!   (internet traffic and traffic to the router itself) in both directions; frames bridged
//!   between two LAN ports never reach the bridge device, so list the ports too (`br-lan`,
//!   `lan*`, `wlan*`) to also see LAN-to-LAN traffic;
//! - a mirror (SPAN) port: that interface, with `promiscuous = true`;
//! - a single host: its own interface.
//!
//! Sizing: the ring must hold one poll interval of frames. A header-only frame takes about
//! 160–224 bytes of ring, so 4 MiB holds about 20,000 frames; and `block_count ×
//! retire_timeout` must exceed the poll interval, or a quiet link fills the ring with
//! partly empty blocks.

mod block;
mod error;
mod filter;
mod plan;
mod ring;

use std::os::fd::BorrowedFd;
use std::path::Path;
use std::time::Duration;

pub use block::{walk_block, BlockWalk, RingFrame};
pub use error::CaptureError;
pub use plan::{plan, Direction, SysTopology, Tap, Topology};

use super::backend::{Backend, BackendStats, Observer};
use super::packet::parse_ethernet;
use ring::{Ring, RingShape};

/// How to capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureConfig {
    /// Interface names (already expanded from globs).
    pub interfaces: Vec<String>,
    /// Whether to put the interfaces in promiscuous mode (a mirror port needs it).
    pub promiscuous: bool,
    /// Bytes kept of each frame: enough for Ethernet, a VLAN tag and IPv6 headers.
    pub snaplen: u32,
    /// Bytes per ring block (a multiple of 4096).
    pub block_size: u32,
    /// Blocks per ring (per interface).
    pub block_count: u32,
    /// How long the kernel waits before retiring a block that is not full.
    pub retire_timeout: Duration,
}

impl CaptureConfig {
    /// The defaults for `interfaces`: non-promiscuous, 128-byte snap length, a 4 MiB ring
    /// per interface (32 blocks of 128 KiB), blocks retired after 100 ms.
    pub fn new(interfaces: Vec<String>) -> Self {
        Self {
            interfaces,
            promiscuous: false,
            snaplen: 128,
            block_size: 128 * 1024,
            block_count: 32,
            retire_timeout: Duration::from_millis(100),
        }
    }

    /// The ring of about `bytes` per interface: 8 blocks (at least one page each, at most
    /// 1 MiB), so the reader thread is woken every eighth of the ring.
    #[must_use]
    pub fn with_ring_size(mut self, bytes: u64) -> Self {
        let block = (bytes / 8 / 4096 * 4096).clamp(4096, 1 << 20);
        self.block_size = u32::try_from(block).unwrap_or(1 << 20);
        self.block_count = u32::try_from((bytes / block).max(2)).unwrap_or(u32::MAX);
        self
    }

    /// The longest poll interval at which a quiet link loses nothing (each retired block may
    /// hold only one frame).
    pub fn max_quiet_poll_interval(&self) -> Duration {
        self.retire_timeout * self.block_count
    }

    fn shape(&self) -> Result<RingShape, CaptureError> {
        let bad = |field, reason| Err(CaptureError::InvalidConfig { field, reason });
        if self.block_size < 4096 || self.block_size % 4096 != 0 {
            return bad("block_size", "must be a positive multiple of 4096 bytes");
        }
        if self.block_count == 0
            || u64::from(self.block_size) * u64::from(self.block_count) > 1 << 30
        {
            return bad("block_count", "must be at least 1, the ring at most 1 GiB");
        }
        if !(64..=65_535).contains(&self.snaplen) {
            return bad("snaplen", "must be between 64 and 65535 bytes");
        }
        let retire_ms = u32::try_from(self.retire_timeout.as_millis()).unwrap_or(u32::MAX);
        if !(1..=10_000).contains(&retire_ms) {
            return bad("retire_timeout", "must be between 1 ms and 10 s");
        }
        Ok(RingShape {
            block_size: self.block_size,
            block_count: self.block_count,
            retire_ms,
        })
    }
}

struct OpenTap {
    tap: Tap,
    ring: Ring,
}

/// Live capture on one or more interfaces.
pub struct CaptureBackend {
    taps: Vec<OpenTap>,
    malformed_blocks: u64,
}

impl std::fmt::Debug for CaptureBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureBackend")
            .field("taps", &self.taps())
            .finish_non_exhaustive()
    }
}

impl CaptureBackend {
    /// Opens the capture on the machine's interfaces (`/sys` of the current network
    /// namespace).
    pub fn open(config: &CaptureConfig) -> Result<Self, CaptureError> {
        Self::open_with(config, &SysTopology::new(Path::new("/sys")))
    }

    /// Opens the capture with the interfaces as `topology` describes them.
    pub fn open_with(
        config: &CaptureConfig,
        topology: &dyn Topology,
    ) -> Result<Self, CaptureError> {
        let shape = config.shape()?;
        let taps = plan(&config.interfaces, topology)?;
        let mut open = Vec::with_capacity(taps.len());
        for tap in taps {
            let program = filter::program(tap.direction, config.snaplen);
            let ring = Ring::open(tap.ifindex, shape, &program, config.promiscuous).map_err(
                |(op, source)| match source.kind() {
                    std::io::ErrorKind::PermissionDenied => CaptureError::NotPermitted {
                        exe: current_exe(),
                        source,
                    },
                    _ if source.raw_os_error() == Some(libc::ENODEV) => {
                        CaptureError::NoSuchInterface {
                            name: tap.interface.clone(),
                        }
                    }
                    _ => CaptureError::Socket {
                        op,
                        interface: tap.interface.clone(),
                        source,
                    },
                },
            )?;
            open.push(OpenTap { tap, ring });
        }
        Ok(Self {
            taps: open,
            malformed_blocks: 0,
        })
    }

    /// The sockets opened: each interface and the frames it counts.
    pub fn taps(&self) -> Vec<Tap> {
        self.taps.iter().map(|t| t.tap.clone()).collect()
    }

    /// Blocks whose walk stopped early because a header pointed outside them (expected 0).
    pub fn malformed_blocks(&self) -> u64 {
        self.malformed_blocks
    }
}

/// The running binary's path, for the `setcap` line.
fn current_exe() -> String {
    std::env::current_exe().map_or_else(
        |_| "/path/to/bandwatch".to_owned(),
        |p| p.display().to_string(),
    )
}

impl Backend for CaptureBackend {
    fn name(&self) -> &'static str {
        "capture"
    }

    fn can_wait(&self) -> bool {
        true
    }

    fn wait(&mut self, stop: BorrowedFd<'_>, timeout: Duration) -> crate::Result<()> {
        use rustix::event::{PollFd, PollFlags};
        let mut fds: Vec<PollFd<'_>> = self
            .taps
            .iter()
            .map(|t| PollFd::new(t.ring.fd(), PollFlags::IN))
            .collect();
        fds.push(PollFd::from_borrowed_fd(stop, PollFlags::IN));
        match rustix::event::poll(&mut fds, Some(&crate::devices::reader::timespec(timeout))) {
            Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
            Err(e) => Err(CaptureError::Socket {
                op: "poll",
                interface: self
                    .taps
                    .first()
                    .map(|t| t.tap.interface.clone())
                    .unwrap_or_default(),
                source: e.into(),
            }
            .into()),
        }
    }

    fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats> {
        let mut stats = BackendStats::default();
        for open in &mut self.taps {
            let direction = open.tap.direction;
            let mut malformed = 0;
            open.ring.drain(|bytes| {
                let walk = walk_block(bytes, |frame| {
                    // The BPF filter already skips the other direction; this keeps the count
                    // right should a frame slip in before the filter was attached.
                    if direction.counts(frame.pkttype) {
                        out.packet(&parse_ethernet(frame.head, u64::from(frame.wire_len)));
                        stats.observed += 1;
                    }
                });
                malformed += u64::from(walk.malformed);
            });
            self.malformed_blocks += malformed;
            stats.kernel_drops +=
                open.ring
                    .take_drops()
                    .map_err(|source| CaptureError::Socket {
                        op: "PACKET_STATISTICS",
                        interface: open.tap.interface.clone(),
                        source,
                    })?;
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_hold_more_than_a_one_second_tick_of_a_quiet_link() {
        let c = CaptureConfig::new(vec!["br-lan".into()]);
        assert!(c.max_quiet_poll_interval() >= Duration::from_secs(2));
        let shape = c.shape().expect("defaults are valid");
        assert_eq!(shape.block_size * shape.block_count, 4 << 20);
    }

    #[test]
    fn out_of_range_settings_name_the_field() {
        let mut c = CaptureConfig::new(vec!["eth0".into()]);
        c.block_size = 5000;
        assert!(c
            .shape()
            .expect_err("odd block")
            .to_string()
            .contains("block_size"));
        let mut c = CaptureConfig::new(vec!["eth0".into()]);
        c.retire_timeout = Duration::ZERO;
        assert!(c
            .shape()
            .expect_err("zero")
            .to_string()
            .contains("retire_timeout"));
        let mut c = CaptureConfig::new(vec!["eth0".into()]);
        c.block_count = u32::MAX;
        assert!(c
            .shape()
            .expect_err("huge")
            .to_string()
            .contains("block_count"));
    }

    #[test]
    fn not_permitted_names_the_setcap_line() {
        let e = CaptureError::NotPermitted {
            exe: "/usr/bin/bandwatch".into(),
            source: std::io::Error::from_raw_os_error(libc::EPERM),
        };
        assert!(e
            .to_string()
            .contains("setcap cap_net_raw,cap_net_admin+ep /usr/bin/bandwatch"));
    }
}
