//! Gzips every file of `assets/` into `OUT_DIR/assets/<same path>.gz` at build time, so the
//! server hands out compressed bytes compiled into the binary and compresses nothing (and
//! allocates nothing for it) while it runs. See `src/assets.rs` for the serving side.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

fn main() -> io::Result<()> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("assets");
    let root = manifest.join("assets");
    // The directory itself catches added and removed files; each file its own edits.
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files)?;
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(&root).map_err(io::Error::other)?;
        let mut target = out.join(rel).into_os_string();
        target.push(".gz");
        let target = PathBuf::from(target);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&target, gzip(&fs::read(&file)?)?)?;
    }
    Ok(())
}

/// Every file under `dir`, depth first.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// The best compression flate2 has: it runs once per build, the bytes are sent many times.
/// The header carries no file name and a zero mtime, so builds are reproducible.
fn gzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    enc.finish()
}
