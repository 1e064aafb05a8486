//! Writing the file atomically: the text goes to a temporary file beside it, is synced, and
//! only then renamed into place, so an interrupted `init` leaves the old file (or none), never
//! half a file. Without `force` the rename refuses to replace a file that appeared meanwhile.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::error::BadInput;

/// Writes `text` to `path`; readable by its owner only when it holds a secret.
pub fn write_atomically(path: &Path, text: &str, secret: bool, force: bool) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        BadInput(format!(
            "cannot create the directory {} for {}: {e}",
            dir.display(),
            path.display()
        ))
    })?;
    let cannot = |e: std::io::Error| {
        BadInput(format!(
            "cannot write {}: {e}; choose another place with --config PATH",
            path.display()
        ))
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".bandwatch-init-")
        .tempfile_in(dir)
        .map_err(cannot)?;
    tmp.write_all(text.as_bytes()).map_err(cannot)?;
    let mode = if secret { 0o600 } else { 0o644 };
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(cannot)?;
    tmp.as_file().sync_all().map_err(cannot)?;
    let placed = if force {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    // On failure the temporary file is removed with the error's handle.
    placed.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            exists(path)
        } else {
            cannot(e.error)
        }
    })?;
    // The rename is durable once the directory is synced; not every filesystem allows it.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The refusal to replace an existing file.
pub fn exists(path: &Path) -> BadInput {
    BadInput(format!(
        "{} exists; bandwatch init never replaces a file: pass --force to replace it, or --config PATH to write another",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn a_new_file_is_whole_and_an_old_one_kept_unless_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bandwatch.toml");
        write_atomically(&path, "a = 1\n", false, false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\n");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
        let err = write_atomically(&path, "a = 2\n", true, false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 1\n");
        assert_eq!(
            names(dir.path()),
            ["bandwatch.toml"],
            "no temporary file left"
        );
        write_atomically(&path, "a = 3\n", true, true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 3\n");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600,
            "a file with a secret is its owner's"
        );
        assert_eq!(names(dir.path()), ["bandwatch.toml"]);
    }

    #[test]
    fn missing_directories_are_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etc/bandwatch/config.toml");
        write_atomically(&path, "a = 1\n", false, false).unwrap();
        assert!(path.exists());
    }
}
