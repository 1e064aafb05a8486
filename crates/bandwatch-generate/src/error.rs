//! The errors of traffic generation.

use std::io;

/// What went wrong, with the operation and its target.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The far end could not be reached.
    #[error("cannot connect to {peer}: {source}; check that `bandwatch generate --serve` runs there and the port is open")]
    Connect {
        /// The address as given.
        peer: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address as given.
        addr: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A socket operation failed mid-session.
    #[error("{op}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The other end spoke something that is not this protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The far end refused the session and said why.
    #[error("the far end refused: {0}")]
    Refused(String),
    /// A worker thread panicked.
    #[error("a {0} thread panicked")]
    Panicked(&'static str),
}

impl GenerateError {
    /// An I/O error of `op`.
    pub fn io(op: &'static str) -> impl FnOnce(io::Error) -> Self {
        move |source| Self::Io { op, source }
    }
}

/// The result of traffic generation.
pub type Result<T> = std::result::Result<T, GenerateError>;
