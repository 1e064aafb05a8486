//! Checking and preparing the database path before SQLite touches it.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Op, Result, StoreError};

/// Fails early, leaving nothing behind, when the database at `path` could not be opened for
/// writing: the file must be writable if it exists, and its directory (or the nearest existing
/// ancestor, for directories still to be created) must accept new files for the WAL.
pub fn check_writable(path: &Path) -> Result<()> {
    let fs_err = |at: &Path, e| StoreError::fs(Op::Open, path, at, e);
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(fs_err(path, io::Error::from(io::ErrorKind::IsADirectory)));
        }
        Ok(_) => {
            OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| fs_err(path, e))?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(fs_err(path, e)),
    }
    let dir = nearest_existing_dir(path)?;
    probe_dir(&dir).map_err(|e| fs_err(&dir, e))
}

/// Creates the missing parent directories of `path` (after [`check_writable`] passed).
pub(crate) fn create_parents(path: &Path) -> Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            fs::create_dir_all(parent).map_err(|e| StoreError::fs(Op::Open, path, parent, e))
        }
        _ => Ok(()),
    }
}

fn parent_or_cwd(p: &Path) -> PathBuf {
    match p.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The closest ancestor of `path` that exists; an error when it is a file.
fn nearest_existing_dir(path: &Path) -> Result<PathBuf> {
    let mut dir = parent_or_cwd(path);
    loop {
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => return Ok(dir),
            Ok(_) => {
                let e = io::Error::from(io::ErrorKind::NotADirectory);
                return Err(StoreError::fs(Op::Open, path, &dir, e));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && dir.parent().is_some() => {
                dir = parent_or_cwd(&dir);
            }
            Err(e) => return Err(StoreError::fs(Op::Open, path, &dir, e)),
        }
    }
}

/// Creates and removes a uniquely named file: the only reliable test (permission bits, ACLs,
/// read-only mounts and root all answer it the same way the real open will).
fn probe_dir(dir: &Path) -> io::Result<()> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let probe = dir.join(format!(".bandwatch-probe-{}-{nanos}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directories_are_checked_not_created() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/history.db");
        check_writable(&path).unwrap();
        assert!(!tmp.path().join("a").exists());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_file_in_the_way_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        let path = file.join("history.db");
        let err = check_writable(&path).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("choose a writable path with --db"), "{msg}");
    }

    #[test]
    fn a_directory_is_not_a_database() {
        let tmp = tempfile::tempdir().unwrap();
        let err = check_writable(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("the path is a directory"), "{err}");
    }
}
