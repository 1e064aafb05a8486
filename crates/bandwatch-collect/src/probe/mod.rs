//! The probe engine: ICMP echo, TCP connect and HTTP GET rounds to many targets at once,
//! reduced to loss, RTT and jitter per target.
//!
//! ICMP uses unprivileged datagram sockets when `net.ipv4.ping_group_range` allows the
//! process's group and raw sockets (`CAP_NET_RAW`) otherwise; HTTP is plain HTTP/1.1 over
//! `TcpStream` (https:// is refused with a clear error for now).

pub mod error;
pub mod icmp;
pub mod metric;
pub mod packet;
pub mod round;
pub mod source;
pub mod stats;
pub mod tcp;

use std::net::{IpAddr, SocketAddr};

pub use error::ProbeError;
pub use icmp::{IcmpMode, IcmpSocket};
pub use round::{run_round, ProbeConfig, Prober, RoundReport, TargetResult};
pub use source::ProbeSource;
pub use stats::RoundStats;

/// What kind of probe a target gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeKind {
    /// ICMP echo to an address.
    Icmp(IpAddr),
    /// TCP handshake with an address and port.
    Tcp(SocketAddr),
    /// HTTP GET of an `http://` URL.
    Http(String),
}

/// One thing to probe, with the label its series carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The `target` label value.
    pub name: String,
    /// How to probe it.
    pub kind: ProbeKind,
}

impl Target {
    /// An ICMP target named after its address.
    pub fn icmp(ip: IpAddr) -> Self {
        Self {
            name: ip.to_string(),
            kind: ProbeKind::Icmp(ip),
        }
    }

    /// A TCP connect target named after its address.
    pub fn tcp(addr: SocketAddr) -> Self {
        Self {
            name: addr.to_string(),
            kind: ProbeKind::Tcp(addr),
        }
    }

    /// An HTTP target named after its URL.
    pub fn http(url: &str) -> Self {
        Self {
            name: url.to_owned(),
            kind: ProbeKind::Http(url.to_owned()),
        }
    }
}
