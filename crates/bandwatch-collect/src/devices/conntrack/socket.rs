//! The kernel side of the conntrack backend: two NETLINK_NETFILTER sockets, one that asks for
//! dumps and one subscribed to destroy events. Safe code over `rustix`.

use std::io;
use std::os::fd::OwnedFd;
use std::time::Duration;

use rustix::net::{
    bind, netlink, recv, send, socket_with, sockopt, AddressFamily, RecvFlags, SendFlags,
    SocketFlags, SocketType,
};

use super::msg::{dump_request, parse_datagram, Message};

/// `NFNLGRP_CONNTRACK_DESTROY`; a group `g` is bit `g - 1` of the bind mask.
const NFNLGRP_CONNTRACK_DESTROY: u32 = 3;
/// Big enough for the kernel's largest dump batch (it sizes them to our reads).
const RECV_BUF: usize = 64 * 1024;
/// Room for bursts of destroy events between two polls (asked with SO_RCVBUFFORCE, which
/// CAP_NET_ADMIN allows past `net.core.rmem_max`).
const EVENT_BUF: usize = 8 << 20;

/// What the backend needs of netlink; a fake replays canned messages in tests.
pub trait Netlink: Send {
    /// Asks for a dump of the table and calls `each` for every message up to its end.
    fn dump(&mut self, each: &mut dyn FnMut(Message)) -> io::Result<()>;
    /// Reads every queued event without waiting; returns how many times the kernel said it
    /// dropped events (ENOBUFS) meanwhile.
    fn drain_events(&mut self, each: &mut dyn FnMut(Message)) -> io::Result<u64>;
}

/// Real netlink sockets.
pub struct KernelNetlink {
    dumps: OwnedFd,
    events: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

/// Which step failed and how.
pub type OpenError = (&'static str, io::Error);

impl KernelNetlink {
    /// Opens both sockets and subscribes to destroy events.
    pub fn open() -> Result<Self, OpenError> {
        let open = |flags| {
            socket_with(
                AddressFamily::NETLINK,
                SocketType::RAW,
                SocketFlags::CLOEXEC | flags,
                Some(netlink::NETFILTER),
            )
            .map_err(|e| ("socket", io::Error::from(e)))
        };
        let dumps = open(SocketFlags::empty())?;
        // A dump answers at once; the timeout only guards against a kernel that never ends it.
        sockopt::set_socket_timeout(&dumps, sockopt::Timeout::Recv, Some(Duration::from_secs(5)))
            .map_err(|e| ("SO_RCVTIMEO", e.into()))?;
        let events = open(SocketFlags::NONBLOCK)?;
        if sockopt::set_socket_recv_buffer_size_force(&events, EVENT_BUF).is_err() {
            // Without CAP_NET_ADMIN only up to rmem_max; the bind below then fails anyway.
            let _ = sockopt::set_socket_recv_buffer_size(&events, EVENT_BUF);
        }
        let groups = 1 << (NFNLGRP_CONNTRACK_DESTROY - 1);
        bind(&events, &netlink::SocketAddrNetlink::new(0, groups))
            .map_err(|e| ("subscribe to destroy events of", e.into()))?;
        Ok(Self {
            dumps,
            events,
            seq: 0,
            buf: vec![0; RECV_BUF],
        })
    }
}

fn parse(buf: &[u8]) -> io::Result<Vec<(u32, Message)>> {
    parse_datagram(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

impl Netlink for KernelNetlink {
    fn dump(&mut self, each: &mut dyn FnMut(Message)) -> io::Result<()> {
        self.seq = self.seq.wrapping_add(1);
        send(&self.dumps, &dump_request(self.seq), SendFlags::empty())?;
        loop {
            let (n, full) = recv(&self.dumps, &mut self.buf[..], RecvFlags::TRUNC)?;
            if full > n {
                return Err(io::Error::other(
                    "netlink dump message larger than the buffer",
                ));
            }
            for (seq, msg) in parse(&self.buf[..n])? {
                if seq != self.seq {
                    continue; // a late answer to an earlier, abandoned dump
                }
                match msg {
                    Message::Done => return Ok(()),
                    Message::Error(0) => {}
                    Message::Error(errno) => return Err(io::Error::from_raw_os_error(-errno)),
                    other => each(other),
                }
            }
        }
    }

    fn drain_events(&mut self, each: &mut dyn FnMut(Message)) -> io::Result<u64> {
        let mut overruns = 0;
        loop {
            match recv(&self.events, &mut self.buf[..], RecvFlags::TRUNC) {
                Ok((n, full)) => {
                    if full > n {
                        overruns += 1; // an event cut short: its counters are lost
                        continue;
                    }
                    for (_, msg) in parse(&self.buf[..n])? {
                        each(msg);
                    }
                }
                Err(rustix::io::Errno::AGAIN) => return Ok(overruns),
                // The kernel dropped events for us; the socket stays usable.
                Err(rustix::io::Errno::NOBUFS) => overruns += 1,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}
