//! Where a configuration value came from, so every error can point at it.

use std::collections::BTreeMap;
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

/// Where each key of a table was written, so an error about one key points at that key's
/// line rather than at the table's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyOrigins {
    /// Where the table itself starts (its header), for errors about the table as a whole,
    /// such as a missing key.
    pub table: Option<Origin>,
    keys: BTreeMap<String, Origin>,
}

impl KeyOrigins {
    /// Origins for a table that starts at `table`.
    pub fn at(table: Origin) -> Self {
        Self {
            table: Some(table),
            keys: BTreeMap::new(),
        }
    }

    /// Records where `key` (dotted within the table, e.g. `match.iface`) was written.
    pub fn insert(&mut self, key: impl Into<String>, origin: Origin) {
        self.keys.insert(key.into(), origin);
    }

    /// Where `key` was written; for a key not written (a missing one) or written as part of
    /// another (`match.iface` inside an inline `match = {…}`), the nearest enclosing place:
    /// its parent key, then the table, then `fallback`.
    pub fn of(&self, key: &str, fallback: &Origin) -> Origin {
        let mut k = key;
        loop {
            if let Some(o) = self.keys.get(k) {
                return o.clone();
            }
            match k.rsplit_once('.') {
                Some((parent, _)) => k = parent,
                None => return self.table.clone().unwrap_or_else(|| fallback.clone()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> Origin {
        Origin::File {
            path: PathBuf::from("b.toml"),
            line: n,
        }
    }

    #[test]
    fn a_key_points_at_itself_then_its_parent_then_its_table() {
        let mut keys = KeyOrigins::at(line(3));
        keys.insert("url", line(5));
        keys.insert("match", line(6));
        keys.insert("match.iface", line(7));
        let fallback = line(1);
        assert_eq!(keys.of("url", &fallback), line(5));
        assert_eq!(keys.of("match.iface", &fallback), line(7));
        assert_eq!(keys.of("match.rule", &fallback), line(6));
        assert_eq!(keys.of("host", &fallback), line(3), "missing: the table");
        assert_eq!(KeyOrigins::default().of("host", &fallback), fallback);
    }
}
