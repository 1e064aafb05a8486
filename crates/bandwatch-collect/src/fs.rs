//! The seam between the sources and the OS: reading small files from `/proc` and `/sys`.

use rustc_hash::FxHashMap;
use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

#[cfg(any(test, feature = "fake"))]
mod fake;
#[cfg(any(test, feature = "fake"))]
pub use fake::FakeFs;

/// Reads whole files; sources build every path from their configured roots.
pub trait FileSystem: Send + Sync {
    /// The full contents of the file at `path`, as bytes: `/proc/net/dev` carries interface
    /// names verbatim, and Linux allows any byte but `/`, `:` and whitespace in them.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The full contents of the file at `path` as text; not UTF-8 is `InvalidData`.
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        String::from_utf8(self.read(path)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// A sysfs attribute as text: at most a page, which the kernel produces whole on one
    /// read from offset 0, so a reader may skip the read that would find the end.
    fn read_attribute(&self, path: &Path) -> io::Result<String> {
        self.read_to_string(path)
    }

    /// When the file at `path` last changed, where the file system knows (`None`: unknown,
    /// so a reader that caches the file reads it again).
    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        let _ = path;
        Ok(None)
    }
}

/// The modification time from the file's metadata.
fn metadata_modified(path: &Path) -> io::Result<Option<std::time::SystemTime>> {
    Ok(std::fs::metadata(path)?.modified().ok())
}

/// The machine's own file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

/// First read size: a whole sysfs attribute (at most one page) or a typical /proc/net/dev.
const FIRST_READ: usize = 4096;

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_all_at(&std::fs::File::open(path)?)
    }

    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        metadata_modified(path)
    }
}

/// Reads a whole file from offset 0 with a page-sized first buffer. `std::fs::read_to_string`
/// sizes its buffer from `statx`, which is one extra syscall per file and reports 0 for
/// procfs, so /proc/net/dev would be read 32 bytes at a time, doubling; this runs every tick.
fn read_all_at(file: &std::fs::File) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; FIRST_READ];
    let len = fill_at(file, &mut buf)?;
    buf.truncate(len);
    Ok(buf)
}

/// Reads `file` from offset 0 into `buf` (grown, never shrunk, so a kept buffer is zeroed
/// once rather than on every read) until the end; returns the length read. A short read is
/// not taken for the end: procfs `seq_file`s stop at their own page even when more follows.
fn fill_at(file: &std::fs::File, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.len() < FIRST_READ {
        buf.resize(FIRST_READ, 0);
    }
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        match file.read_at(&mut buf[len..], len as u64) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads a sysfs attribute with one `pread` when it fits the buffer, as it always does (the
/// kernel fills at most a page per attribute, in one go); the loop of [`fill_at`] otherwise.
fn fill_attribute_at(file: &std::fs::File, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.len() < FIRST_READ {
        buf.resize(FIRST_READ, 0);
    }
    loop {
        match file.read_at(buf, 0) {
            Ok(n) if n < buf.len() => return Ok(n),
            Ok(_) => return fill_at(file, buf),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn into_text(bytes: Vec<u8>) -> io::Result<String> {
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Files kept open at most; past this the cache starts over (interfaces come and go).
const MAX_KEPT_OPEN: usize = 1024;

/// The machine's procfs and sysfs, with each file kept open and re-read from offset 0 on
/// every tick. Both regenerate a file's contents on a read from its start, so this saves an
/// open and a close per file per tick (on sysfs the open walks the `/sys/class/net` links,
/// ~12 µs each). Only for those pseudo-filesystems: a regular file replaced by a rename would
/// be read stale through the old handle, so fixture trees use [`RealFs`].
#[derive(Debug, Default)]
pub struct KeptOpenFs {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// Keyed by the path's bytes under FxHash: hashing a `Path` walks its components through
    /// SipHash, which cost more than the `pread` itself for the ~10 attributes read a tick.
    files: FxHashMap<Box<[u8]>, std::fs::File>,
    /// One read buffer for every file, so a read allocates only its answer.
    scratch: Vec<u8>,
}

/// How a file is read: whole, or as a sysfs attribute.
#[derive(Clone, Copy)]
enum Mode {
    Whole,
    Attribute,
}

impl Kept {
    fn fill(&mut self, path: &Path, mode: Mode) -> io::Result<usize> {
        let read = |file: &std::fs::File, buf: &mut Vec<u8>| match mode {
            Mode::Whole => fill_at(file, buf),
            Mode::Attribute => fill_attribute_at(file, buf),
        };
        let key = path.as_os_str().as_bytes();
        if let Some(file) = self.files.get(key) {
            match read(file, &mut self.scratch) {
                Ok(len) => return Ok(len),
                // EINVAL is an attribute's own answer (`carrier` of a link that is down,
                // `speed` of a virtual one): the handle stays good for the next tick.
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => return Err(e),
                // ENODEV after the interface was removed: answer from a fresh open below.
                Err(_) => {
                    self.files.remove(key);
                }
            }
        }
        let file = std::fs::File::open(path)?;
        let result = read(&file, &mut self.scratch);
        let keep = match &result {
            Ok(_) => true,
            Err(e) => e.kind() == io::ErrorKind::InvalidInput,
        };
        if keep {
            if self.files.len() >= MAX_KEPT_OPEN {
                self.files.clear();
            }
            self.files.insert(key.into(), file);
        }
        result
    }

    fn read(&mut self, path: &Path, mode: Mode) -> io::Result<Vec<u8>> {
        let len = self.fill(path, mode)?;
        Ok(self.scratch[..len].to_vec())
    }
}

impl KeptOpenFs {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FileSystem for KeptOpenFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.kept().read(path, Mode::Whole)
    }

    fn read_attribute(&self, path: &Path) -> io::Result<String> {
        into_text(self.kept().read(path, Mode::Attribute)?)
    }

    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        metadata_modified(path)
    }
}

impl<T: FileSystem + ?Sized> FileSystem for Box<T> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        (**self).read(path)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        (**self).read_to_string(path)
    }

    fn read_attribute(&self, path: &Path) -> io::Result<String> {
        (**self).read_attribute(path)
    }

    fn modified(&self, path: &Path) -> io::Result<Option<std::time::SystemTime>> {
        (**self).modified(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_files_and_errors() {
        let fs = FakeFs::new();
        let seen_by_source = fs.clone();
        fs.set("/a", "one");
        assert_eq!(
            seen_by_source.read_to_string(Path::new("/a")).unwrap(),
            "one"
        );
        fs.fail_with_os_error("/a", 22);
        let err = seen_by_source.read_to_string(Path::new("/a")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        fs.remove("/a");
        let err = seen_by_source.read_to_string(Path::new("/a")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        fs.fail_with("/b", io::ErrorKind::PermissionDenied);
        let err = fs.read_to_string(Path::new("/b")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn kept_open_fs_sees_fresh_proc_contents_and_survives_errors() {
        let fs = KeptOpenFs::default();
        let path = Path::new("/proc/self/stat");
        let first = fs.read_to_string(path).unwrap();
        let burn: u64 = (0..2_000_000u64).map(std::hint::black_box).sum();
        assert!(burn > 0);
        let second = fs.read_to_string(path).unwrap();
        assert!(
            first.starts_with(&second[..second.find(' ').unwrap()]),
            "same process"
        );
        assert_ne!(first, second, "procfs regenerates on a read from offset 0");
        assert!(fs
            .read_to_string(Path::new("/proc/self/no-such-file"))
            .is_err());
        assert_eq!(fs.kept().files.len(), 1, "failed opens are not cached");
    }

    #[test]
    fn kept_open_fs_reads_attributes_whole_and_keeps_handles_that_answer_einval() {
        let fs = KeptOpenFs::default();
        let mtu = Path::new("/sys/class/net/lo/mtu");
        assert_eq!(
            fs.read_attribute(mtu).unwrap(),
            fs.read_to_string(mtu).unwrap()
        );
        assert_eq!(fs.read_attribute(mtu).unwrap().trim(), "65536");
        // Loopback has no link speed: the kernel answers EINVAL on every read of it, and
        // that answer must not cost an open and a close per tick.
        let speed = Path::new("/sys/class/net/lo/speed");
        for _ in 0..2 {
            let err = fs.read_attribute(speed).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        assert!(
            fs.kept().files.contains_key(speed.as_os_str().as_bytes()),
            "an EINVAL answer keeps its handle"
        );
    }

    #[test]
    fn whole_reads_past_the_first_buffer_are_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let text = (0..3000).fold(String::new(), |mut t, i| {
            t.push_str(&i.to_string());
            t.push('\n');
            t
        });
        std::fs::write(&path, &text).unwrap();
        let fs = KeptOpenFs::default();
        assert!(!fs
            .read_to_string(Path::new("/proc/self/status"))
            .unwrap()
            .is_empty());
        assert_eq!(fs.read_to_string(&path).unwrap(), text);
        assert_eq!(
            fs.read_attribute(&path).unwrap(),
            text,
            "an over-long attribute falls back"
        );
        assert!(!fs
            .read_to_string(Path::new("/proc/self/comm"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn boxed_file_systems_work_as_file_systems() {
        let fake = FakeFs::new();
        fake.set("/a", "one");
        fake.set("/b", b"b\xff".as_slice());
        let boxed: Box<dyn FileSystem> = Box::new(fake);
        assert_eq!(boxed.read_to_string(Path::new("/a")).unwrap(), "one");
        assert_eq!(boxed.read(Path::new("/b")).unwrap(), b"b\xff");
        let err = boxed.read_to_string(Path::new("/b")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn real_fs_reads_small_and_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "x\n").unwrap();
        assert_eq!(RealFs.read_to_string(&p).unwrap(), "x\n");
        std::fs::write(&p, "").unwrap();
        assert_eq!(RealFs.read_to_string(&p).unwrap(), "");
        let big: String = (0..3 * FIRST_READ)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        std::fs::write(&p, &big).unwrap();
        assert_eq!(RealFs.read_to_string(&p).unwrap(), big);
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        let err = RealFs.read_to_string(&p).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            RealFs.read(&p).unwrap(),
            [0xff, 0xfe],
            "bytes are read as they are"
        );
        let err = RealFs
            .read_to_string(&dir.path().join("missing"))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
