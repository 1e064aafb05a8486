//! An in-memory [`FileSystem`] for tests. Only built for this crate's tests and with the
//! `fake` feature, which other crates enable from `[dev-dependencies]`: it is not part of the
//! public API of a normal build.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::FileSystem;

/// An in-memory file system for tests. Clones share the same files, so a test can keep one
/// handle and change what the source will read on its next tick.
#[derive(Debug, Clone, Default)]
pub struct FakeFs {
    files: Arc<Mutex<HashMap<PathBuf, FakeFile>>>,
}

/// What reading one fake path yields.
#[derive(Debug, Clone)]
enum FakeFile {
    Bytes(Vec<u8>),
    // io::Error is not Clone, so keep what is needed to make a fresh one on each read.
    OsError(i32),
    Error(io::ErrorKind),
}

impl FakeFs {
    /// An empty file system: every read fails with `NotFound`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates or replaces the file at `path` (text, or any bytes).
    pub fn set(&self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.put(path.into(), FakeFile::Bytes(contents.into()));
    }

    /// Makes reads of `path` fail with the OS error number `errno` (e.g. 22, `EINVAL`).
    pub fn fail_with_os_error(&self, path: impl Into<PathBuf>, errno: i32) {
        self.put(path.into(), FakeFile::OsError(errno));
    }

    /// Makes reads of `path` fail with an error of this kind.
    pub fn fail_with(&self, path: impl Into<PathBuf>, kind: io::ErrorKind) {
        self.put(path.into(), FakeFile::Error(kind));
    }

    /// Removes the file at `path`, so reads fail with `NotFound`.
    pub fn remove(&self, path: impl AsRef<Path>) {
        self.lock().remove(path.as_ref());
    }

    fn put(&self, path: PathBuf, file: FakeFile) {
        self.lock().insert(path, file);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, FakeFile>> {
        // A test that panicked while holding the lock has already failed; keep serving reads.
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FileSystem for FakeFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.lock().get(path) {
            Some(FakeFile::Bytes(b)) => Ok(b.clone()),
            Some(FakeFile::OsError(errno)) => Err(io::Error::from_raw_os_error(*errno)),
            Some(FakeFile::Error(kind)) => Err(io::Error::from(*kind)),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such file in FakeFs", path.display()),
            )),
        }
    }
}
