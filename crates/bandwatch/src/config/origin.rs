//! Where a configuration value came from, so every error can point at it.

use std::fmt;
use std::path::PathBuf;

/// The layer (and place within it) that set a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built into bandwatch.
    Default,
    /// A key in a TOML file, with its 1-based line.
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the value.
        line: usize,
    },
    /// A process environment variable.
    Env(String),
    /// A variable from the `.env` file in the working directory.
    DotEnv(String),
    /// A command-line flag.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("built-in default"),
            Origin::File { path, line } => write!(f, "{} line {line}", path.display()),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::DotEnv(var) => write!(f, ".env variable {var}"),
            Origin::Flag(flag) => write!(f, "command-line flag {flag}"),
        }
    }
}

/// A value together with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    /// The value as given.
    pub value: T,
    /// Where it was given.
    pub origin: Origin,
}

impl<T> Setting<T> {
    /// Pairs a value with its origin.
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }
}
