//! A table of filesystem sizes for tests. Only built for this crate's tests and with the
//! `fake` feature (enabled by other crates from `[dev-dependencies]`).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::FsUsage;

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
