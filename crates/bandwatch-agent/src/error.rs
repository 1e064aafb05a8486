//! What can stop a run from starting.

/// The agent's error.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The operating system refused a thread.
    #[error("cannot start the {thread} thread: {source}; the system is out of threads or memory (check `ulimit -u` and free memory)")]
    Spawn {
        /// Which thread.
        thread: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// The agent's result.
pub type Result<T, E = AgentError> = std::result::Result<T, E>;
