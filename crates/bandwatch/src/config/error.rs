//! Configuration errors: each names what was wrong, where it was set and how to fix it.

use std::path::PathBuf;

use super::origin::Origin;

/// Why the configuration could not be resolved. Every variant leads to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value is out of range or malformed.
    #[error("{origin}: key '{key}' {problem}; {fix}")]
    Invalid {
        /// Dotted file key, e.g. `monitor.interval`.
        key: &'static str,
        /// Where the bad value was set.
        origin: Origin,
        /// What is wrong with it.
        problem: String,
        /// What to do instead.
        fix: String,
    },
    /// A `[[rules]]` entry is invalid.
    #[error("{origin}: {message}; see \"Alert rules\" in the README for every field")]
    Rule {
        /// Where the rule was written.
        origin: Origin,
        /// The engine's description, naming the rule and the field.
        message: String,
    },
    /// A `[[notify.channels]]` entry is invalid.
    #[error("{origin}: {message}; see \"Notifications\" in the README for every field")]
    Channel {
        /// Where the channel was configured.
        origin: Origin,
        /// What is wrong, naming the channel and the field (never a secret).
        message: String,
    },
    /// The TOML file could not be parsed (syntax, unknown key, wrong type).
    #[error("{path} line {line}, column {column}: {message}; fix the file (every key is documented in bandwatch.example.toml)")]
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// The file named by `--config` or `BANDWATCH_CONFIG` could not be read.
    #[error("cannot read config file {path}: {source}; check the path given by {given_by}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Where the path was given.
        given_by: Origin,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `.env` file in the working directory is malformed.
    #[error("cannot read {path}: {message}; each line must be NAME=value")]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// The parser's description.
        message: String,
    },
}

impl ConfigError {
    /// Shorthand for an invalid value.
    pub fn invalid(
        key: &'static str,
        origin: &Origin,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            key,
            origin: origin.clone(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}
