//! The seam for filesystem sizes: `statvfs` on the machine, a table in tests.

use std::io;
use std::path::Path;

#[cfg(any(test, feature = "fake"))]
mod fake;
#[cfg(any(test, feature = "fake"))]
pub use fake::FakeFsUsage;

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

impl<T: FsUsage + ?Sized> FsUsage for Box<T> {
    fn usage(&self, mount_point: &Path) -> io::Result<(u64, u64)> {
        (**self).usage(mount_point)
    }
}
