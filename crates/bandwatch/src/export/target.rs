//! Where the export goes: standard output for `-`, else a temporary file beside the named one
//! that is renamed over it only when the whole document is written, so a failed export
//! never leaves a half-written file (nor replaces a good one).

use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use bandwatch_core::human::escape_control;
use tempfile::NamedTempFile;

use crate::error::BadInput;

/// Bytes buffered before a write reaches the file.
const BUFFER: usize = 256 * 1024;

/// An output being written.
pub enum Target {
    /// `--output -`.
    Stdout(BufWriter<io::Stdout>),
    /// A file, written under a temporary name until [`Target::commit`].
    File {
        /// The name asked for.
        path: PathBuf,
        /// The temporary file beside it (removed when dropped uncommitted).
        tmp: BufWriter<NamedTempFile>,
    },
}

impl Target {
    /// Opens `path` (`-`: standard output). The temporary file is created now, so a
    /// directory that does not exist or cannot be written is found before any reading.
    pub fn open(path: &Path) -> Result<Self, BadInput> {
        if path == Path::new("-") {
            return Ok(Self::Stdout(BufWriter::with_capacity(BUFFER, io::stdout())));
        }
        let shown = || escape_control(&path.display().to_string()).into_owned();
        if path.is_dir() {
            return Err(BadInput(format!(
                "--output {}: is a directory; name a file in it",
                shown()
            )));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            // As a file the user creates: the umask decides, not tempfile's private 0600.
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(|e| {
                BadInput(format!(
                    "--output {}: cannot write in {}: {e}; name a file in a directory you \
                     can write",
                    shown(),
                    escape_control(&dir.display().to_string())
                ))
            })?;
        Ok(Self::File {
            path: path.to_path_buf(),
            tmp: BufWriter::with_capacity(BUFFER, tmp),
        })
    }

    /// Where bytes go.
    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Self::Stdout(w) => w,
            Self::File { tmp, .. } => tmp,
        }
    }

    /// Flushes, and gives a file its name.
    pub fn commit(self) -> io::Result<()> {
        match self {
            Self::Stdout(mut w) => w.flush(),
            Self::File { path, tmp } => {
                let tmp = tmp.into_inner().map_err(io::IntoInnerError::into_error)?;
                // On disk before the rename, so a crash right after it leaves the whole file.
                tmp.as_file().sync_all()?;
                tmp.persist(&path).map_err(|e| e.error)?;
                Ok(())
            }
        }
    }
}
