//! Opening an existing history read-only (`bandwatch serve`): no file is created, nothing is
//! written, and the file may belong to a running agent (WAL) or be readable only.
//!
//! An agent keeps a `-wal` file beside the database while it runs. With one there, the file
//! is opened read-only sharing the agent's log, so every commit is seen. Without one nobody
//! is writing, and the file is taken as it is (immutable): that creates no `-shm` or `-wal`
//! and works on a file in a directory this user may not write. Should a `-wal` appear later
//! (an agent started), the next read reopens the file sharing its log.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::schema::{self, BUSY_TIMEOUT, LATEST_VERSION};
use crate::error::{Op, Result, StoreError};

/// How a read-only connection was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Sharing the agent's WAL: sees every commit.
    Shared,
    /// The file is taken as it is (no WAL readable and none can be made).
    Immutable,
}

/// What a read-only store keeps about its connection.
#[derive(Debug)]
pub(super) struct Reader {
    /// How the connection was opened.
    pub mode: Mode,
    /// `PRAGMA data_version` when the memory was last loaded; another connection's commit
    /// changes it.
    pub seen: Option<i64>,
    /// Whether a read transaction is open (between `begin_read` and `end_read`).
    pub in_read: bool,
}

/// Opens the existing file at `path` read-only and checks it holds a history this build
/// reads; a missing file is an error, never created.
pub(super) fn open(path: &Path) -> Result<(Connection, Mode)> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            let e = std::io::Error::from(std::io::ErrorKind::IsADirectory);
            return Err(StoreError::fs(Op::Open, path, path, e));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(StoreError::Unreadable {
                path: path.to_path_buf(),
                problem: crate::error::Problem::from_io(&e),
            })
        }
    }
    // Without a `-wal` beside it nobody is writing the file: taking it as it is creates no
    // `-shm`/`-wal` and works where this user may not create files.
    let mode = if wal_path(path).exists() {
        Mode::Shared
    } else {
        Mode::Immutable
    };
    let conn = connect(path, mode).map_err(|e| read_error(path, &e))?;
    check(&conn, path).map_err(|f| f.into_error(path))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| read_error(path, &e))?;
    Ok((conn, mode))
}

/// Reopens when a file opened immutable got a `-wal` (an agent started writing it).
pub(super) fn needs_reopen(path: &Path, mode: Mode) -> bool {
    mode == Mode::Immutable && wal_path(path).exists()
}

/// Opens a connection in `mode`, without creating anything.
pub(super) fn connect(path: &Path, mode: Mode) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let uri = match mode {
        Mode::Shared => format!("{}?mode=ro", file_uri(path)),
        Mode::Immutable => format!("{}?mode=ro&immutable=1", file_uri(path)),
    };
    Connection::open_with_flags(uri, flags)
}

/// Why opening failed: SQLite refused, or the file is not a history this build reads.
enum Failure {
    Sqlite(rusqlite::Error),
    Store(StoreError),
}

impl Failure {
    fn into_error(self, path: &Path) -> StoreError {
        match self {
            Self::Sqlite(e) => read_error(path, &e),
            Self::Store(e) => e,
        }
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

/// The schema must be exactly the one this build reads: an older one would need the
/// migration only a writer may run.
fn check(conn: &Connection, path: &Path) -> std::result::Result<(), Failure> {
    let version = schema::user_version(conn)?;
    if version == LATEST_VERSION {
        return Ok(());
    }
    let path = path.to_path_buf();
    Err(Failure::Store(match version {
        0 => StoreError::NotAHistory { path },
        v if v > LATEST_VERSION => StoreError::SchemaTooNew {
            path,
            found: v,
            supported: LATEST_VERSION,
        },
        v => StoreError::SchemaTooOld {
            path,
            found: v,
            supported: LATEST_VERSION,
        },
    }))
}

fn read_error(path: &Path, e: &rusqlite::Error) -> StoreError {
    StoreError::Unreadable {
        path: path.to_path_buf(),
        problem: crate::error::Problem::from_sqlite(e),
    }
}

fn wal_path(path: &Path) -> PathBuf {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// `path` as a `file:` URI: absolute, with every byte outside the unreserved set and `/`
/// percent-encoded, so `?`, `#` and `%` in a name stay part of it.
fn file_uri(path: &Path) -> String {
    use std::fmt::Write as _;
    use std::os::unix::ffi::OsStrExt as _;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in absolute.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_keep_odd_names_whole() {
        assert_eq!(
            file_uri(Path::new("/data/h?1#%.db")),
            "file:/data/h%3F1%23%25.db"
        );
        assert_eq!(file_uri(Path::new("/a b/é")), "file:/a%20b/%C3%A9");
    }
}
