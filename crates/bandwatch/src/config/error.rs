//! Configuration errors: each names what was wrong, where it was set and how to fix it.
//!
//! Messages quote what the user wrote (values, names, paths), so every quoted part goes out
//! through [`safe`]: a control character in a config value cannot drive the terminal that
//! shows the error.

use std::fmt::Display;
use std::path::{Path, PathBuf};

use super::origin::Origin;

/// `text` with control characters escaped, for a message a person reads in a terminal.
fn safe(text: &dyn Display) -> String {
    bandwatch_core::human::escape_control(&text.to_string()).into_owned()
}

/// A path as [`safe`] text.
fn safe_path(p: &Path) -> String {
    safe(&p.display())
}

/// Why the configuration could not be resolved. Every variant leads to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value is out of range or malformed.
    #[error("{}: key '{key}' {}; {}", safe(.origin), safe(.problem), safe(.fix))]
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
    #[error(
        "{}: {}; see \"Alert rules\" in the README for every field",
        safe(.origin),
        safe(.message)
    )]
    Rule {
        /// Where the rule was written.
        origin: Origin,
        /// The engine's description, naming the rule and the field.
        message: String,
    },
    /// A `[[caps]]` entry is invalid.
    #[error(
        "{}: {}; see \"Data caps\" in the README for every field",
        safe(.origin),
        safe(.message)
    )]
    Cap {
        /// Where the cap was written.
        origin: Origin,
        /// What is wrong, naming the cap and the field.
        message: String,
    },
    /// A `[[reports]]` entry is invalid.
    #[error(
        "{}: {}; see \"Scheduled summaries\" in the README for every field",
        safe(.origin),
        safe(.message)
    )]
    Report {
        /// Where the report was written.
        origin: Origin,
        /// What is wrong, naming the report and the field.
        message: String,
    },
    /// A `[[notify.channels]]` entry is invalid.
    #[error(
        "{}: {}; see \"Notifications\" in the README for every field",
        safe(.origin),
        safe(.message)
    )]
    Channel {
        /// Where the channel was configured.
        origin: Origin,
        /// What is wrong, naming the channel and the field (never a secret).
        message: String,
    },
    /// The TOML file could not be parsed (syntax, unknown key, wrong type).
    #[error(
        "{} line {line}, column {column}: {}; fix the file (every key is documented in \
         bandwatch.example.toml)",
        safe_path(.path),
        safe(.message)
    )]
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
    #[error(
        "cannot read config file {}: {source}; check the path given by {}",
        safe_path(.path),
        safe(.given_by)
    )]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Where the path was given.
        given_by: Origin,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file was read but is not UTF-8 text.
    #[error(
        "config file {} is not UTF-8 text: byte 0x{byte:02x} at byte offset {offset} \
         (line {line}) is not valid UTF-8; save the file as UTF-8 (TOML files must be)",
        safe_path(.path)
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first byte that is not valid UTF-8.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        /// The byte itself.
        byte: u8,
    },
    /// An environment variable bandwatch reads holds bytes that are not UTF-8.
    #[error(
        "environment variable {} is not UTF-8 text, so it cannot be read; set it to UTF-8 \
         text or unset it",
        safe(.var)
    )]
    EnvNotUtf8 {
        /// The variable's name.
        var: String,
    },
    /// A statement of the `.env` file in the working directory cannot be read.
    #[error(
        "{} {error}; values are read as python-dotenv reads them (NAME=value, quotes optional, \
         # starts a comment after a space)",
        safe_path(.path)
    )]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// The line, the name if known, and the fault (never the value).
        error: super::dotenv::LineError,
    },
    /// The `.env` file in the working directory exists but cannot be read as text.
    #[error("cannot read {}: {}; fix or remove the file", safe_path(.path), safe(.problem))]
    DotEnvUnreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error, or where the text stops being UTF-8.
        problem: String,
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
