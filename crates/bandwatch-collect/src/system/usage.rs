//! The seam for filesystem sizes: `statvfs` on the machine, a table in tests.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Tells the size of the filesystem mounted at a path.
pub trait FsUsage: Send + Sync {
    /// `(total, available)` in bytes; available is what an unprivileged user may still use.
    fn usage(&self, mount_point: &Path) -> io::Result<(u64, u64)>;
}

/// The machine's filesystems, through `statvfs(2)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StatvfsUsage;

impl FsUsage for StatvfsUsage {
    fn usage(&self, mount_point: &Path) -> io::Result<(u64, u64)> {
        let st = rustix::fs::statvfs(mount_point)?;
        let total = st.f_blocks.saturating_mul(st.f_frsize);
        let available = st.f_bavail.saturating_mul(st.f_frsize);
        Ok((total, available))
    }
}

/// A table of sizes for tests; clones share it. Unknown paths fail with `NotFound`.
#[derive(Debug, Clone, Default)]
pub struct FakeFsUsage {
    sizes: Arc<Mutex<HashMap<PathBuf, (u64, u64)>>>,
}

impl FakeFsUsage {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the `(total, available)` bytes reported for `mount_point`.
    pub fn set(&self, mount_point: impl Into<PathBuf>, total: u64, available: u64) {
        self.sizes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(mount_point.into(), (total, available));
    }
}

impl FsUsage for FakeFsUsage {
    fn usage(&self, mount_point: &Path) -> io::Result<(u64, u64)> {
        let sizes = self.sizes.lock().unwrap_or_else(PoisonError::into_inner);
        sizes.get(mount_point).copied().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: no such mount in FakeFsUsage", mount_point.display()),
            )
        })
    }
}

impl<T: FsUsage + ?Sized> FsUsage for Box<T> {
    fn usage(&self, mount_point: &Path) -> io::Result<(u64, u64)> {
        (**self).usage(mount_point)
    }
}
