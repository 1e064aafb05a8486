//! The bounded on-disk buffer: one gzip file per batch, named `<seq>-<lines>.lp.gz` so the
//! order and the line count survive a restart; beyond the size bound the oldest go first.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::{Error, Result};

const SUFFIX: &str = ".lp.gz";

/// One buffered batch on disk.
#[derive(Debug, Clone)]
struct Entry {
    path: PathBuf,
    lines: usize,
    bytes: u64,
}

/// Batches waiting for the server, oldest first.
#[derive(Debug)]
pub(crate) struct DiskBuffer {
    dir: PathBuf,
    max_bytes: u64,
    entries: VecDeque<Entry>,
    bytes: u64,
    next_seq: u64,
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Buffer {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// `00000000000000000042-5000.lp.gz` → (42, 5000).
fn parse_name(name: &str) -> Option<(u64, usize)> {
    let stem = name.strip_suffix(SUFFIX)?;
    let (seq, lines) = stem.split_once('-')?;
    Some((seq.parse().ok()?, lines.parse().ok()?))
}

impl DiskBuffer {
    /// Opens (creating) the directory, drops half-written files and lists what is left;
    /// returns the buffer and the lines dropped to fit `max_bytes`.
    pub(crate) fn open(dir: &Path, max_bytes: u64) -> Result<(Self, u64)> {
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let mut found = Vec::new();
        for item in fs::read_dir(dir).map_err(io_err("list", dir))? {
            let item = item.map_err(io_err("list", dir))?;
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            if Path::new(&name).extension().is_some_and(|e| e == "tmp") {
                // A crash while writing left it; its batch was never acknowledged as buffered.
                fs::remove_file(&path).map_err(io_err("remove", &path))?;
                continue;
            }
            let Some((seq, lines)) = parse_name(&name) else {
                continue;
            };
            let bytes = item.metadata().map_err(io_err("read", &path))?.len();
            found.push((seq, Entry { path, lines, bytes }));
        }
        found.sort_by_key(|(seq, _)| *seq);
        let next_seq = found.last().map_or(1, |(seq, _)| seq + 1);
        let mut buffer = Self {
            dir: dir.to_path_buf(),
            max_bytes,
            bytes: found.iter().map(|(_, e)| e.bytes).sum(),
            entries: found.into_iter().map(|(_, e)| e).collect(),
            next_seq,
        };
        let dropped = buffer.trim_to(max_bytes)?;
        Ok((buffer, dropped))
    }

    /// True when nothing is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes on disk.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Number of batches on disk.
    pub(crate) fn batches(&self) -> usize {
        self.entries.len()
    }

    /// Lines in all buffered batches.
    pub(crate) fn lines(&self) -> usize {
        self.entries.iter().map(|e| e.lines).sum()
    }

    /// Removes the oldest batches until `limit` bytes remain at most; returns their lines.
    fn trim_to(&mut self, limit: u64) -> Result<u64> {
        let mut dropped = 0;
        while self.bytes > limit {
            dropped += self.pop_front()? as u64;
        }
        Ok(dropped)
    }

    /// Appends one gzip batch, first dropping the oldest to stay within the bound; returns the
    /// lines dropped (the new batch's own when it alone is larger than the bound).
    pub(crate) fn push(&mut self, body: &[u8], lines: usize) -> Result<u64> {
        let size = body.len() as u64;
        if size > self.max_bytes {
            return Ok(lines as u64);
        }
        let dropped = self.trim_to(self.max_bytes - size)?;
        let name = format!("{:020}-{lines}{SUFFIX}", self.next_seq);
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        // Written aside and renamed, so a crash never leaves a truncated batch behind.
        fs::write(&tmp, body).map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, &path).map_err(io_err("write", &path))?;
        self.next_seq += 1;
        self.bytes += size;
        self.entries.push_back(Entry {
            path,
            lines,
            bytes: size,
        });
        Ok(dropped)
    }

    /// The oldest batch (gzip body, lines), if any.
    pub(crate) fn front(&self) -> Option<Result<(Vec<u8>, usize)>> {
        let e = self.entries.front()?;
        Some(
            fs::read(&e.path)
                .map(|body| (body, e.lines))
                .map_err(io_err("read", &e.path)),
        )
    }

    /// Removes the oldest batch; returns its lines.
    pub(crate) fn pop_front(&mut self) -> Result<usize> {
        let Some(e) = self.entries.pop_front() else {
            return Ok(0);
        };
        self.bytes -= e.bytes;
        match fs::remove_file(&e.path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                Err(io_err("remove", &e.path)(err))
            }
            _ => Ok(e.lines),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_bound_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let (mut b, dropped) = DiskBuffer::open(dir.path(), 25).unwrap();
        assert_eq!(dropped, 0);
        assert_eq!(b.push(b"aaaaaaaaaa", 1).unwrap(), 0);
        assert_eq!(b.push(b"bbbbbbbbbb", 2).unwrap(), 0);
        assert_eq!(b.push(b"cccccccccc", 3).unwrap(), 1, "oldest dropped");
        assert_eq!(b.push(&[0; 30], 4).unwrap(), 4, "too big alone");
        assert_eq!((b.batches(), b.bytes(), b.lines()), (2, 20, 5));
        fs::write(dir.path().join("x.lp.gz.tmp"), b"half").unwrap();
        drop(b);
        let (mut b, dropped) = DiskBuffer::open(dir.path(), 15).unwrap();
        assert_eq!(dropped, 2);
        assert_eq!(b.front().unwrap().unwrap(), (b"cccccccccc".to_vec(), 3));
        assert_eq!(b.push(b"d", 1).unwrap(), 0);
        assert_eq!(b.pop_front().unwrap(), 3);
        assert_eq!(b.front().unwrap().unwrap(), (b"d".to_vec(), 1));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
