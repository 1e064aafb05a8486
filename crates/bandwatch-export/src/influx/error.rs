//! The one error type of the InfluxDB writer; no variant ever carries a token or password.

use std::path::PathBuf;
use std::time::Duration;

/// Result alias for the InfluxDB writer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to InfluxDB or keeping the disk buffer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration cannot work; `reason` says what to change.
    #[error("influx configuration: {reason}")]
    Config {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("building the HTTP client for InfluxDB: {source}")]
    Client {
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server could not be reached or did not answer in time; worth retrying.
    #[error("writing to InfluxDB at {url} failed: {source}")]
    Connect {
        /// The endpoint, without credentials.
        url: String,
        /// The transport error (its own URL stripped).
        #[source]
        source: reqwest::Error,
    },
    /// The server is overloaded or failing (429 or 5xx); worth retrying.
    #[error("InfluxDB at {url} is unavailable (HTTP {status}): {message}")]
    Unavailable {
        /// The endpoint, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// How long the server asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
        /// The server's message.
        message: String,
    },
    /// The server refused the credentials; every later write would fail the same way.
    #[error(
        "InfluxDB at {url} refused the credentials (HTTP {status}): {message}; \
         check the token (v2) or username/password (v1) and their write permission"
    )]
    Unauthorized {
        /// The endpoint, without credentials.
        url: String,
        /// The HTTP status (401 or 403).
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server rejected the batch itself (bad data, missing database…); it will never succeed.
    #[error("InfluxDB at {url} rejected the batch (HTTP {status}): {message}")]
    Rejected {
        /// The endpoint, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// Reading or writing the on-disk buffer failed.
    #[error("influx disk buffer: cannot {op} {path}: {source}; check that the directory exists and is writable")]
    Buffer {
        /// What was being done (`create`, `write`, `read`, `remove`, `list`).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The writer thread could not be started.
    #[error("starting the influx writer thread: {source}")]
    Spawn {
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the same batch may succeed later (connection problems, 429, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Connect { .. } | Self::Unavailable { .. })
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
