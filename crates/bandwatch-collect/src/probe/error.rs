//! The error type of the probe engine.

use std::io;
use std::net::IpAddr;

/// Everything that can stop a probe round from starting.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Neither an unprivileged ICMP datagram socket nor a raw socket could be opened.
    #[error(
        "cannot open an ICMP socket for {family}: {source}; allow unprivileged ping with \
         `sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"` or give the binary raw \
         sockets with `setcap cap_net_raw+ep {exe}`"
    )]
    IcmpNotPermitted {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The path of the running binary, for the `setcap` line.
        exe: String,
        /// Why the raw socket was refused.
        #[source]
        source: io::Error,
    },

    /// The kernel has no ICMP sockets of this family (IPv6 disabled, for instance).
    #[error(
        "cannot open an ICMP socket for {family}: {source}; is {family} enabled on this host?"
    )]
    IcmpUnavailable {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A socket operation other than opening failed.
    #[error("ICMP {op} failed for {target}: {source}")]
    Socket {
        /// What was being done (`send`, `receive`, `configure`).
        op: &'static str,
        /// The address concerned.
        target: IpAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The round asks for more ICMP probes than one 16-bit sequence space holds.
    #[error(
        "a round of {probes} ICMP probes per address family exceeds 65536; use fewer \
         targets or a smaller `count`"
    )]
    TooManyProbes {
        /// Targets × count for one family.
        probes: usize,
    },

    /// A probe setting is out of range.
    #[error("probe setting '{field}' {reason}")]
    InvalidConfig {
        /// The setting's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The result type of the probe engine.
pub type Result<T> = std::result::Result<T, ProbeError>;
