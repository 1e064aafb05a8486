//! The one error type of the store, with messages that say what to do.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::ErrorCode;

/// The result of every store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What the store was doing when it failed; part of every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Opening or creating the database file.
    Open,
    /// Bringing the schema up to date.
    Migrate,
    /// Writing frames.
    Write,
    /// Sealing open rollups and the head.
    Flush,
    /// Sealing chunks, building hour rollups, pruning.
    Maintain,
    /// Reading series, points or rollups.
    Query,
    /// Measuring the database.
    Stats,
    /// Recording alert events, acknowledgements or silences.
    WriteAlerts,
    /// Connecting to a database server.
    Connect,
    /// Enqueueing notifications or recording their delivery.
    WriteOutbox,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Open => "open",
            Op::Migrate => "upgrade the schema of",
            Op::Write => "write samples to",
            Op::Flush => "flush",
            Op::Maintain => "run upkeep on",
            Op::Query => "read from",
            Op::Stats => "measure",
            Op::WriteAlerts => "record alerts in",
            Op::Connect => "connect to",
            Op::WriteOutbox => "write notifications to",
        })
    }
}

/// The cause of a failure, classified so the message can say what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The OS refused access.
    PermissionDenied,
    /// The file or its filesystem is read-only.
    ReadOnly,
    /// A parent in the path is a file.
    NotADirectory,
    /// The path cannot be created there (e.g. a pseudo-filesystem such as /proc).
    NotFound,
    /// The path names a directory, not a file.
    IsADirectory,
    /// No space left.
    DiskFull,
    /// Another connection holds a lock longer than the busy timeout.
    Locked,
    /// The file is not a SQLite database, or it is damaged.
    NotADatabase,
    /// The connection to a database server broke or cannot be made now (server down, network
    /// cut); retrying later is expected to succeed.
    ConnectionLost,
    /// Anything else, with the underlying text.
    Other(String),
}

impl Problem {
    /// Classifies a SQLite error.
    pub fn from_sqlite(e: &rusqlite::Error) -> Self {
        let Some(code) = e.sqlite_error_code() else {
            return Self::Other(e.to_string());
        };
        match code {
            ErrorCode::PermissionDenied => Self::PermissionDenied,
            ErrorCode::ReadOnly => Self::ReadOnly,
            ErrorCode::DiskFull => Self::DiskFull,
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Self::Locked,
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => Self::NotADatabase,
            _ => Self::Other(e.to_string()),
        }
    }

    /// Classifies an I/O error.
    pub fn from_io(e: &io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::PermissionDenied => Self::PermissionDenied,
            io::ErrorKind::ReadOnlyFilesystem => Self::ReadOnly,
            io::ErrorKind::NotADirectory => Self::NotADirectory,
            io::ErrorKind::NotFound => Self::NotFound,
            io::ErrorKind::IsADirectory => Self::IsADirectory,
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Self::DiskFull,
            _ => Self::Other(e.to_string()),
        }
    }

    /// What a person can do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::PermissionDenied | Self::ReadOnly | Self::NotADirectory | Self::NotFound => {
                "choose a writable path with --db or [store] path, or fix the directory's permissions"
            }
            Self::IsADirectory => "give a file name, not a directory, with --db or [store] path",
            Self::DiskFull => {
                "free space on that filesystem or shorten [store] retention; recent samples are kept in memory and retried"
            }
            Self::Locked => {
                "another program holds a lock on it (a second bandwatch with the same --db, or an open sqlite3 shell); close it, recent samples are kept in memory and retried"
            }
            Self::NotADatabase => {
                "move the file aside to start a new history, or choose another path with --db"
            }
            Self::ConnectionLost => {
                "check that the database server is running and reachable; recent samples are kept in memory and retried"
            }
            Self::Other(_) => "check the file and its filesystem, then retry",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PermissionDenied => f.write_str("permission denied"),
            Self::ReadOnly => f.write_str("the file or its filesystem is read-only"),
            Self::NotADirectory => f.write_str("a parent in the path is not a directory"),
            Self::NotFound => f.write_str("files cannot be created there"),
            Self::IsADirectory => f.write_str("the path is a directory"),
            Self::DiskFull => f.write_str("the disk is full"),
            Self::Locked => f.write_str("the database is locked by another connection"),
            Self::NotADatabase => f.write_str("the file is not a SQLite database or is damaged"),
            Self::ConnectionLost => f.write_str("the connection to the database server is lost"),
            Self::Other(text) => f.write_str(text),
        }
    }
}

/// Every way the store can fail.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation on the database.
    #[error("cannot {op} the history database at {}: {problem}; {}", path.display(), problem.advice())]
    Db {
        /// What the store was doing.
        op: Op,
        /// The database file.
        path: PathBuf,
        /// The classified cause.
        problem: Problem,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The filesystem refused to let the database file or its directory be created.
    #[error("cannot {op} the history database at {}: {problem}{}; {}", path.display(), at_suffix(path, at), problem.advice())]
    Fs {
        /// What the store was doing.
        op: Op,
        /// The database file.
        path: PathBuf,
        /// The file or directory that failed (may be a parent of `path`).
        at: PathBuf,
        /// The classified cause.
        problem: Problem,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The database was written by a newer bandwatch.
    #[error("the history database at {} has schema version {found}, newer than this bandwatch knows ({supported}); upgrade bandwatch or choose another path with --db", path.display())]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A history opened read-only does not exist (and is not created).
    #[error("there is no history database at {}; point --db at the file `bandwatch run` writes (nothing was created)", path.display())]
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// A history opened read-only cannot be read.
    #[error("cannot read the history database at {}: {problem}; give --db a history file this user may read", path.display())]
    Unreadable {
        /// The database file.
        path: PathBuf,
        /// The classified cause.
        problem: Problem,
    },
    /// The file is a SQLite database without bandwatch's tables.
    #[error("{} holds no bandwatch history (its schema is empty); point --db at the file `bandwatch run` writes", path.display())]
    NotAHistory {
        /// The database file.
        path: PathBuf,
    },
    /// A history opened read-only was written by an older bandwatch; only a writer migrates.
    #[error("the history database at {} has schema version {found}, older than this bandwatch reads ({supported}); run `bandwatch run` on it once to upgrade it, or serve it with the bandwatch that wrote it", path.display())]
    SchemaTooOld {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// A change was asked of a history opened read-only.
    #[error("the history at {target} is open read-only (bandwatch serve); record and change it with `bandwatch run`")]
    ReadOnly {
        /// The database file or URL without its password.
        target: String,
    },
    /// A stored chunk or head row cannot be decoded.
    #[error("stored data of series #{series_id} in the history database at {} is unreadable: {detail}; move the file aside to start a new history, or restore a backup", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The series the data belongs to (0 for head rows).
        series_id: i64,
        /// What was wrong.
        detail: String,
    },
    /// A stored alert row cannot be read back.
    #[error("stored alert {alert_id:?} in the history database at {} is unreadable: {detail}; move the file aside to start a new history, or restore a backup", path.display())]
    CorruptAlert {
        /// The database file.
        path: PathBuf,
        /// The alert the row belongs to.
        alert_id: String,
        /// What was wrong.
        detail: String,
    },
    /// Compressing a chunk failed (a bug: the inputs are always valid numbers).
    #[error("cannot compress a chunk for the history database at {}: {source}; this is a bug, please report it", path.display())]
    Compress {
        /// The database file.
        path: PathBuf,
        /// The codec error.
        #[source]
        source: pco::errors::PcoError,
    },
    /// A store option is out of range.
    #[error("invalid store setting {field}: {reason}")]
    InvalidOptions {
        /// The option, as named in the configuration.
        field: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A MySQL/MariaDB or PostgreSQL server refused or failed an operation.
    #[error(
        "cannot {op} the history database at {target}: {problem}; {}",
        sql_advice(problem)
    )]
    Sql {
        /// What the store was doing.
        op: Op,
        /// The database URL without its password.
        target: String,
        /// The classified cause.
        problem: Problem,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// Nothing answers at the database server's address.
    #[error("cannot reach the database at {address}: {detail}; is it running?")]
    Unreachable {
        /// `host:port` as the URL gives it.
        address: String,
        /// The network error.
        detail: String,
    },
    /// The database server refused the user name or password.
    #[error("the database refused user '{user}' (wrong password?) at {address}: {detail}")]
    AccessDenied {
        /// `host:port` as the URL gives it.
        address: String,
        /// The user name from the URL.
        user: String,
        /// The server's message.
        detail: String,
    },
    /// The database named in the URL does not exist on the server.
    #[error("the database server at {address} has no database '{database}': {detail}; create it or fix the name in the URL")]
    NoSuchDatabase {
        /// `host:port` as the URL gives it.
        address: String,
        /// The database name from the URL.
        database: String,
        /// The server's message.
        detail: String,
    },
    /// The database URL cannot be read.
    #[error("invalid database URL {url}: {reason}")]
    BadUrl {
        /// The URL without its password.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database URL names a kind of database this build does not speak.
    #[error("unsupported database URL scheme '{scheme}' in {url}: use mysql://, mariadb://, postgres:// or postgresql://")]
    UnknownScheme {
        /// The URL's scheme.
        scheme: String,
        /// The URL without its password.
        url: String,
    },
    /// The SQL database was migrated by a newer bandwatch.
    #[error("the history database at {target} has schema version {found}, newer than this bandwatch knows ({supported}); upgrade bandwatch or use another database")]
    SqlSchemaTooNew {
        /// The database URL without its password.
        target: String,
        /// Its newest `bw_schema_version` row.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A SQL database opened read-only holds no bandwatch history.
    #[error("the database at {target} holds no bandwatch history (no bw_schema_version table); point --store at the database `bandwatch run --store` writes")]
    SqlNotAHistory {
        /// The database URL without its password.
        target: String,
    },
    /// A SQL history opened read-only was migrated by an older bandwatch.
    #[error("the history database at {target} has schema version {found}, older than this bandwatch reads ({supported}); run `bandwatch run --store` on it once to upgrade it")]
    SqlSchemaTooOld {
        /// The database URL without its password.
        target: String,
        /// Its newest `bw_schema_version` row.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// The background writer thread could not start.
    #[error(
        "cannot start the history writer thread: {source}; the system is out of threads or memory"
    )]
    Spawn {
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    /// A SQLite failure of `op` on `path`.
    pub fn db(op: Op, path: &Path, source: rusqlite::Error) -> Self {
        Self::Db {
            op,
            path: path.to_path_buf(),
            problem: Problem::from_sqlite(&source),
            source,
        }
    }

    /// A filesystem failure of `op` on `path`, found at `at`.
    pub fn fs(op: Op, path: &Path, at: &Path, source: io::Error) -> Self {
        Self::Fs {
            op,
            path: path.to_path_buf(),
            at: at.to_path_buf(),
            problem: Problem::from_io(&source),
            source,
        }
    }

    /// The classified cause, when the failure came from SQLite or the filesystem.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Db { problem, .. } | Self::Fs { problem, .. } | Self::Sql { problem, .. } => {
                Some(problem)
            }
            _ => None,
        }
    }
}

impl StoreError {
    /// True when the same operation may succeed later without anyone changing anything: a
    /// locked database, a full disk being cleared, a database server that went away. The
    /// background writer keeps its frames and retries every failed write either way.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.problem(),
            Some(Problem::Locked | Problem::DiskFull | Problem::ConnectionLost)
        ) || matches!(self, Self::Unreachable { .. })
    }
}

/// What to do about a failure on a database server (the file advice does not apply there).
fn sql_advice(problem: &Problem) -> &'static str {
    match problem {
        Problem::Other(_) => {
            "check the database server's log and the account's privileges on that database, then retry"
        }
        p => p.advice(),
    }
}

/// Names the failing parent only when it differs from the database path itself.
fn at_suffix(path: &Path, at: &Path) -> String {
    if path == at {
        String::new()
    } else {
        format!(" ({})", at.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_message_names_path_and_fix() {
        let e = StoreError::fs(
            Op::Open,
            Path::new("/data/h.db"),
            Path::new("/data/h.db"),
            io::Error::from(io::ErrorKind::PermissionDenied),
        );
        assert_eq!(
            e.to_string(),
            "cannot open the history database at /data/h.db: permission denied; choose a writable path with --db or [store] path, or fix the directory's permissions"
        );
    }

    #[test]
    fn parent_is_named_when_it_failed() {
        let e = StoreError::fs(
            Op::Open,
            Path::new("/f/h.db"),
            Path::new("/f"),
            io::Error::from(io::ErrorKind::NotADirectory),
        );
        assert!(e.to_string().contains("not a directory (/f); choose"));
    }

    #[test]
    fn locked_and_full_are_classified() {
        let busy = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        );
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        assert_eq!(Problem::from_sqlite(&busy), Problem::Locked);
        assert_eq!(Problem::from_sqlite(&full), Problem::DiskFull);
        let msg = StoreError::db(Op::Write, Path::new("/h.db"), full).to_string();
        assert!(msg.starts_with(
            "cannot write samples to the history database at /h.db: the disk is full; free space"
        ));
    }
}
