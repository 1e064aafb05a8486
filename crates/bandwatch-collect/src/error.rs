//! The one error type of this crate.
//!
//! Each variant names what was being read or parsed, keeps the underlying error as its
//! `source`, and its message tells a person what to check.

use std::io;
use std::path::PathBuf;

use crate::netdev::parse::ParseError;

/// Everything that can go wrong while setting up or running a source.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The interface counters file could not be read.
    #[error(
        "cannot read interface counters from {}: {source}; check that `proc_root` points at \
         a mounted procfs (default /proc)",
        path.display()
    )]
    ReadCounters {
        /// The file that failed (`<proc_root>/net/dev`).
        path: PathBuf,
        /// Why the read failed.
        #[source]
        source: io::Error,
    },

    /// The interface counters file was read but is not in the kernel's format.
    #[error(
        "{} is not in the /proc/net/dev format ({source}); check that `proc_root` points at \
         a Linux procfs (default /proc)",
        path.display()
    )]
    MalformedCounters {
        /// The file that was read.
        path: PathBuf,
        /// Which line was wrong and how.
        #[source]
        source: ParseError,
    },

    /// An include or exclude interface pattern is not a valid glob.
    #[error(
        "interface pattern '{pattern}' is not a valid glob: {}; use shell-style patterns \
         like 'eth*' or 'wl?0'",
        source.kind()
    )]
    InvalidPattern {
        /// The pattern as the user wrote it.
        pattern: String,
        /// The glob compiler's complaint.
        #[source]
        source: globset::Error,
    },

    /// Live packet capture (the devices source's `capture` backend) failed.
    #[error(transparent)]
    Capture(#[from] crate::devices::capture::CaptureError),

    /// Reading connection tracking (the devices source's `conntrack` backend) failed.
    #[error(transparent)]
    Conntrack(#[from] crate::devices::conntrack::ConntrackError),

    /// A capture file (`--pcap`) could not be read.
    #[error(transparent)]
    PcapFile(#[from] crate::devices::pcap::PcapFileError),
}

/// The result type of this crate.
pub type Result<T> = std::result::Result<T, CollectError>;
