//! The seam between what reads traffic (capture ring, conntrack, pcap file) and what counts it.

use std::net::IpAddr;
use std::os::fd::BorrowedFd;
use std::time::Duration;

use super::packet::PacketMeta;

/// Bytes one connection moved since it was last reported, as conntrack counts them: IP packet
/// lengths (conntrack never sees link headers), in the direction of the connection's
/// original tuple (`orig_*`, from `orig_src` to `orig_dst`) and of its reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowBytes {
    /// The source address of the original direction (before NAT: the LAN device that
    /// opened a connection to the internet).
    pub orig_src: IpAddr,
    /// The peer the connection really reached: the reply direction's source, which is the
    /// original destination after any destination NAT. For a port-forwarded connection from
    /// the internet this is the LAN server, not the router's public address.
    pub orig_dst: IpAddr,
    /// Bytes sent from `orig_src` towards `orig_dst` since the last report.
    pub orig_bytes: u64,
    /// Bytes sent back from `orig_dst` towards `orig_src` since the last report.
    pub reply_bytes: u64,
}

/// What a backend reports to; the accounting implements it.
pub trait Observer {
    /// One packet seen on the wire.
    fn packet(&mut self, packet: &PacketMeta);
    /// One connection's bytes since its last report.
    fn flow(&mut self, flow: &FlowBytes);
    /// The wall-clock time of the packets and flows that follow, for backends that know it
    /// (a pcap file's timestamps); others leave it to the owner of the observer, which sets
    /// the tick's time before each poll.
    fn at(&mut self, _wall: bandwatch_core::Timestamp) {}
}

/// What a backend says about its own health on each poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendStats {
    /// Packets the kernel dropped since the previous poll (capture ring overflow,
    /// conntrack event overruns).
    pub kernel_drops: u64,
    /// Packets (or flow updates) read since the previous poll.
    pub observed: u64,
}

/// Something that reads traffic and reports it; polled once per tick by the devices source.
pub trait Backend: Send {
    /// A short name for logs and labels (`capture`, `conntrack`, `pcap`).
    fn name(&self) -> &'static str;
    /// Reports everything seen since the previous poll to `out`, without blocking for long.
    fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats>;
    /// Whether [`Backend::wait`] blocks until there is something to read (a capture ring):
    /// then the source runs the backend on a reader thread that drains it as the kernel
    /// fills it (see `reader.rs`).
    fn can_wait(&self) -> bool {
        false
    }
    /// Blocks until there may be something to poll, `stop` is readable, or `timeout` passed.
    fn wait(&mut self, stop: BorrowedFd<'_>, timeout: Duration) -> crate::Result<()> {
        let _ = (stop, timeout);
        Ok(())
    }
}
