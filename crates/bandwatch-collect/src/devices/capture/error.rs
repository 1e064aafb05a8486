//! What can stop a live capture from starting or running.

use std::io;

/// Errors of the capture backend.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The process may not open packet sockets.
    #[error(
        "cannot open a packet capture socket: {source}; give the binary the capability with \
         `setcap cap_net_raw,cap_net_admin+ep {exe}` or run it as root"
    )]
    NotPermitted {
        /// The path of the running binary, for the `setcap` line.
        exe: String,
        /// The refusal.
        #[source]
        source: io::Error,
    },

    /// A configured interface does not exist (in this network namespace).
    #[error(
        "capture interface '{name}' does not exist; check `devices.interfaces` against \
         `ip link` (on a router, the LAN bridge such as br-lan)"
    )]
    NoSuchInterface {
        /// The name as configured.
        name: String,
    },

    /// No interface was given.
    #[error("no capture interface configured; set `devices.interfaces` (e.g. [\"br-lan\"])")]
    NoInterfaces,

    /// A ring setting is out of the range the kernel accepts.
    #[error("capture setting '{field}' {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },

    /// Setting up or reading the socket of one interface failed.
    #[error("packet capture on '{interface}': {op} failed: {source}")]
    Socket {
        /// What was being done (`socket`, `PACKET_RX_RING`, `mmap`, `bind`, …).
        op: &'static str,
        /// The interface concerned.
        interface: String,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}
