//! The probe engine: ICMP echo, TCP connect and HTTP(S) GET rounds to many targets at once,
//! reduced to loss, RTT and jitter per target, plus the uptime kept over rounds.
//!
//! ICMP uses unprivileged datagram sockets when `net.ipv4.ping_group_range` allows the
//! process's group and raw sockets (`CAP_NET_RAW`) otherwise; HTTP is HTTP/1.1 over
//! `TcpStream`, with rustls (ring provider, webpki roots) for `https://`. Targets are written
//! as one spec string ([`Target::parse`]); host names are resolved at every round.

pub mod error;
pub mod icmp;
pub mod metric;
pub mod packet;
pub mod round;
pub mod source;
pub mod stats;
mod stream;
pub mod target;
pub mod tcp;
pub mod tls;
pub mod uptime;

pub use error::ProbeError;
pub use icmp::{IcmpMode, IcmpSocket};
pub use round::{run_round, ProbeConfig, Prober, RoundReport, TargetResult};
pub use source::ProbeSource;
pub use stats::RoundStats;
pub use target::{Host, ProbeKind, Target, TargetError};
pub use uptime::UptimeTracker;
