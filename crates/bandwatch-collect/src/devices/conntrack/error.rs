//! What can stop the conntrack backend.

use std::io;

/// Errors of the conntrack backend.
#[derive(Debug, thiserror::Error)]
pub enum ConntrackError {
    /// The kernel keeps no byte counters per connection.
    #[error(
        "connection tracking keeps no byte counters (net.netfilter.nf_conntrack_acct = 0); \
         turn them on with `sysctl -w net.netfilter.nf_conntrack_acct=1` and keep them on \
         across reboots with the line `net.netfilter.nf_conntrack_acct = 1` in \
         /etc/sysctl.d/90-bandwatch.conf (connections opened before that stay uncounted)"
    )]
    AcctOff,

    /// The process may not read the conntrack table or its events.
    #[error(
        "cannot {op} connection tracking over netlink: {source}; this needs CAP_NET_ADMIN: \
         `setcap cap_net_raw,cap_net_admin+ep {exe}` or run it as root"
    )]
    NotPermitted {
        /// What was refused (`dump`, `subscribe to destroy events of`).
        op: &'static str,
        /// The path of the running binary, for the `setcap` line.
        exe: String,
        /// The refusal.
        #[source]
        source: io::Error,
    },

    /// The kernel has no ctnetlink (module missing) or no connection tracking.
    #[error(
        "connection tracking is not available over netlink: {source}; load it with \
         `modprobe nf_conntrack_netlink` (conntrack runs only where NAT or stateful firewall \
         rules use it)"
    )]
    Unavailable {
        /// The kernel's answer.
        #[source]
        source: io::Error,
    },

    /// Another netlink failure.
    #[error("conntrack netlink {op} failed: {source}")]
    Netlink {
        /// The step (`socket`, `send`, `receive`, `parse`).
        op: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}
