//! The one place capture touches the kernel: an AF_PACKET socket with a memory-mapped
//! TPACKET_V3 receive ring (`Documentation/networking/packet_mmap.rst`). Everything here is
//! FFI through `libc`; the API it offers is safe: open a ring, hand each retired block's
//! bytes to a closure, read the drop counter. Parsing the blocks is `block.rs`'s job.

// FFI for AF_PACKET: setsockopt/getsockopt with kernel structs, mmap of the ring, and
// atomic access to the block status word the kernel shares with us. Each `unsafe` block
// states the invariant it relies on.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use super::filter::Insn;

/// Offset of `block_status` in `tpacket_block_desc` (`version`, `offset_to_priv`, then
/// `tpacket_hdr_v1.block_status`).
const BLOCK_STATUS: usize = 8;
/// `TP_STATUS_USER`: the kernel retired the block and will not touch it until we return it.
const TP_STATUS_USER: u32 = 1;
/// `TP_STATUS_KERNEL`: the block is the kernel's again.
const TP_STATUS_KERNEL: u32 = 0;

/// The shape of the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingShape {
    /// Bytes per block (a multiple of the page size).
    pub block_size: u32,
    /// Number of blocks.
    pub block_count: u32,
    /// Milliseconds after which the kernel retires a block that is not full, so a quiet link
    /// still delivers its frames within a tick.
    pub retire_ms: u32,
}

/// Why opening failed: the step and the OS error.
pub type OpenError = (&'static str, io::Error);

/// A bound packet socket and its mapped ring.
pub struct Ring {
    fd: OwnedFd,
    map: NonNull<u8>,
    len: usize,
    shape: RingShape,
    next: u32,
}

// SAFETY: the mapping belongs to this value alone (no other handle to it exists in the
// process); moving it to another thread moves that exclusive ownership.
unsafe impl Send for Ring {}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn setsockopt<T>(fd: &OwnedFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` points to a live, initialised `T` whose size we pass; the kernel only
    // reads it during the call.
    check(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(value).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    })
}

impl Ring {
    /// Opens a socket on interface `ifindex` that keeps the frames `filter` accepts, with a
    /// ring of `shape`, optionally putting the interface in promiscuous mode (undone by the
    /// kernel when the socket closes).
    pub fn open(
        ifindex: u32,
        shape: RingShape,
        filter: &[Insn],
        promiscuous: bool,
    ) -> Result<Self, OpenError> {
        // Protocol 0 until `bind`: the socket receives nothing before its filter and ring
        // are in place.
        // SAFETY: plain syscall; the returned descriptor is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                0,
            )
        };
        if raw < 0 {
            return Err(("socket", io::Error::last_os_error()));
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };

        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_VERSION, &version)
            .map_err(|e| ("PACKET_VERSION", e))?;

        let mut insns: Vec<libc::sock_filter> = filter
            .iter()
            .map(|i| libc::sock_filter {
                code: i.code,
                jt: i.jt,
                jf: i.jf,
                k: i.k,
            })
            .collect();
        let prog = libc::sock_fprog {
            len: insns.len() as u16,
            filter: insns.as_mut_ptr(),
        };
        setsockopt(&fd, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &prog)
            .map_err(|e| ("SO_ATTACH_FILTER", e))?;

        // Frames are variable-sized in V3; frame_size/frame_nr only need to be consistent.
        let frame_size = 2048;
        let req = libc::tpacket_req3 {
            tp_block_size: shape.block_size,
            tp_block_nr: shape.block_count,
            tp_frame_size: frame_size,
            tp_frame_nr: shape.block_size / frame_size * shape.block_count,
            tp_retire_blk_tov: shape.retire_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        };
        setsockopt(&fd, libc::SOL_PACKET, libc::PACKET_RX_RING, &req)
            .map_err(|e| ("PACKET_RX_RING", e))?;

        let len = shape.block_size as usize * shape.block_count as usize;
        // SAFETY: maps the ring the kernel just allocated for this socket; the length is the
        // ring's size; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(("mmap", io::Error::last_os_error()));
        }
        let map = NonNull::new(ptr.cast::<u8>()).ok_or(("mmap", io::Error::other("null map")))?;
        // From here on `Drop` unmaps.
        let ring = Self {
            fd,
            map,
            len,
            shape,
            next: 0,
        };

        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        addr.sll_ifindex = ifindex as i32;
        // SAFETY: `addr` is a valid sockaddr_ll and we pass its size.
        check(unsafe {
            libc::bind(
                ring.fd.as_raw_fd(),
                std::ptr::from_ref(&addr).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })
        .map_err(|e| ("bind", e))?;

        if promiscuous {
            let mreq = libc::packet_mreq {
                mr_ifindex: ifindex as i32,
                mr_type: libc::PACKET_MR_PROMISC as u16,
                mr_alen: 0,
                mr_address: [0; 8],
            };
            setsockopt(
                &ring.fd,
                libc::SOL_PACKET,
                libc::PACKET_ADD_MEMBERSHIP,
                &mreq,
            )
            .map_err(|e| ("PACKET_ADD_MEMBERSHIP (promiscuous)", e))?;
        }
        // Start the drop counter at this moment (reading it resets it).
        ring.take_drops().map_err(|e| ("PACKET_STATISTICS", e))?;
        Ok(ring)
    }

    /// The socket, for waiting until the kernel retires a block.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    fn status(&self, block: u32) -> &AtomicU32 {
        let offset = block as usize * self.shape.block_size as usize + BLOCK_STATUS;
        debug_assert!(offset + 4 <= self.len);
        // SAFETY: `offset` is inside the mapping (block < block_count) and 4-aligned (blocks
        // are page-aligned); the kernel writes this word concurrently, which is why it is
        // only ever accessed atomically.
        #[allow(clippy::cast_ptr_alignment)] // aligned: see above
        unsafe {
            &*self.map.as_ptr().add(offset).cast::<AtomicU32>()
        }
    }

    /// Hands every block the kernel has retired to `each`, oldest first, and gives it back;
    /// returns how many blocks were read. Never waits.
    pub fn drain(&mut self, mut each: impl FnMut(&[u8])) -> u32 {
        let mut read = 0;
        // At most one lap: under load the kernel keeps retiring, and the tick must end.
        while read < self.shape.block_count {
            let status = self.status(self.next);
            if status.load(Ordering::Acquire) & TP_STATUS_USER == 0 {
                break;
            }
            let start = self.next as usize * self.shape.block_size as usize;
            // SAFETY: the block lies inside the mapping, and while its status says USER the
            // kernel does not write it, so a shared slice of it is sound until we flip the
            // status back below (after `each` returned).
            let block = unsafe {
                std::slice::from_raw_parts(
                    self.map.as_ptr().add(start),
                    self.shape.block_size as usize,
                )
            };
            each(block);
            status.store(TP_STATUS_KERNEL, Ordering::Release);
            self.next = (self.next + 1) % self.shape.block_count;
            read += 1;
        }
        read
    }

    /// Frames the kernel dropped (ring full) since the last call; reading resets the count.
    pub fn take_drops(&self) -> io::Result<u64> {
        // SAFETY: plain data; zero is valid.
        let mut stats: libc::tpacket_stats_v3 = unsafe { std::mem::zeroed() };
        let mut len = size_of::<libc::tpacket_stats_v3>() as libc::socklen_t;
        // SAFETY: the kernel writes at most `len` bytes into `stats`.
        check(unsafe {
            libc::getsockopt(
                self.fd.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                std::ptr::from_mut(&mut stats).cast(),
                &raw mut len,
            )
        })?;
        Ok(u64::from(stats.tp_drops))
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `open`; no slice of it outlives `drain`.
        unsafe {
            libc::munmap(self.map.as_ptr().cast(), self.len);
        }
    }
}
