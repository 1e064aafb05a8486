//! Gives back the pages of the agent's own code that only start-up used.
//!
//! Starting the agent runs a lot of code once (the command line, the configuration, the
//! store's migrations, binding the dashboard, TLS set-up) and the kernel maps whole runs of the
//! executable around every page it faults in, so a fresh agent holds most of its binary. The
//! sampling loop uses a small part of it, which the release link puts in one contiguous run
//! (`crates/bandwatch/hot-symbols.txt`, `scripts/hot-symbols.sh`). Once start-up is over, and then once an
//! hour so that code used once (a dashboard visit, a TLS handshake) does not stay, the agent
//! asks the kernel to reclaim its read-only file pages (`MADV_PAGEOUT`); the pages the loop
//! needs come back on their next use. It first marks those mappings for random access
//! (`MADV_RANDOM`): without that, each page read back would bring its neighbours with it by
//! read-ahead, and with them the start-up code the release just gave back.
//!
//! Neither advice changes what a page holds: clean file pages are dropped and read again on
//! use, and the relocated (copied) pages of the read-only-after-relocation segment are
//! anonymous and stay, as nothing can swap them out. Pages another process maps too (a second
//! agent on the same binary) are left alone by the kernel.

use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

/// How long after the start the first release waits: start-up is long over by then.
const AFTER_START: Duration = Duration::from_secs(30);
/// How often the release is repeated afterwards.
const EVERY: Duration = Duration::from_secs(3600);

/// A read-only mapping of the executable: its start address and length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    /// The first address.
    pub(crate) start: usize,
    /// The length in bytes.
    pub(crate) len: usize,
}

/// The background release: after [`AFTER_START`], then every [`EVERY`], until stopped.
pub struct Releaser {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Releaser {
    /// Starts the release thread; `None` (and a debug line) if it cannot start, which only
    /// means memory stays as it is.
    #[must_use]
    pub fn start() -> Option<Self> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("residency".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                let mut wait = AFTER_START;
                // A message or a closed channel both mean stop; only the timeout releases.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                    release_code_pages();
                    wait = EVERY;
                }
            });
        match spawned {
            Ok(thread) => Some(Self { stop, thread }),
            Err(e) => {
                tracing::debug!(error = %e, "cannot start the code page release; memory stays as it is");
                None
            }
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// Asks the kernel to reclaim the executable's read-only pages now. Failing is harmless
/// (an old kernel without `MADV_PAGEOUT`, no `/proc`): memory just stays as it was.
pub(crate) fn release_code_pages() {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return;
    };
    let Ok(maps) = std::fs::read("/proc/self/maps") else {
        return;
    };
    let regions = read_only_regions(&maps, &exe);
    let released = regions
        .iter()
        .filter(|r| advise(**r, libc::MADV_RANDOM) && advise(**r, libc::MADV_PAGEOUT))
        .count();
    tracing::debug!(
        regions = regions.len(),
        released,
        "released the code pages start-up used"
    );
}

/// The executable's mappings that are not writable, from the text of `/proc/self/maps`.
pub(crate) fn read_only_regions(maps: &[u8], exe: &Path) -> Vec<Region> {
    maps.split(|b| *b == b'\n')
        .filter_map(|line| parse_line(line, exe))
        .collect()
}

/// One maps line (`start-end perms offset dev inode path`) as a region when it is a
/// read-only mapping of `exe`. The path is compared as bytes: it need not be UTF-8.
fn parse_line(line: &[u8], exe: &Path) -> Option<Region> {
    let mut fields = line.splitn(6, |b| *b == b' ');
    let range = std::str::from_utf8(fields.next()?).ok()?;
    let perms = fields.next()?;
    let path = fields.nth(3)?.trim_ascii_start();
    if perms.get(1) != Some(&b'-') || path != exe.as_os_str().as_bytes() {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    let len = end.checked_sub(start).filter(|l| *l > 0)?;
    Some(Region { start, len })
}

/// `madvise` with `MADV_RANDOM` or `MADV_PAGEOUT` on one region; whether the kernel took it.
#[allow(unsafe_code)]
fn advise(region: Region, advice: libc::c_int) -> bool {
    debug_assert!(advice == libc::MADV_RANDOM || advice == libc::MADV_PAGEOUT);
    // SAFETY: the region is a whole mapping of our own executable, page-aligned as the
    // kernel reported it, and not writable. Both kinds of advice only steer reclaim and
    // read-ahead: they never change the contents of a page (clean file pages are read again
    // on use; anonymous copies stay resident without swap), so no Rust reference into the
    // region can observe a difference.
    let rc = unsafe { libc::madvise(region.start as *mut libc::c_void, region.len, advice) };
    rc == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55b615a91000-55b615d83000 r--p 00000000 fe:00 5309636                    /usr/bin/bandwatch
55b615d83000-55b616362000 r-xp 002f1000 fe:00 5309636                    /usr/bin/bandwatch
55b616362000-55b6163a9000 r--p 008cf000 fe:00 5309636                    /usr/bin/bandwatch
55b6163a9000-55b6163b0000 rw-p 00915000 fe:00 5309636                    /usr/bin/bandwatch
55b6163b0000-55b6163b1000 rw-p 00000000 00:00 0 
55e0aee8e000-55e0aef31000 rw-p 00000000 00:00 0                          [heap]
7f129f000000-7f129f100000 r-xp 00000000 fe:00 123                        /usr/lib/x86_64-linux-gnu/libc.so.6
7f129f200000-7f129f300000 r-xp 00000000 fe:00 124                        /usr/bin/bandwatch (deleted)
";

    #[test]
    fn only_the_executables_read_only_mappings_are_released() {
        let regions = read_only_regions(MAPS.as_bytes(), Path::new("/usr/bin/bandwatch"));
        assert_eq!(
            regions,
            vec![
                Region {
                    start: 0x55b6_15a9_1000,
                    len: 0x2f_2000
                },
                Region {
                    start: 0x55b6_15d8_3000,
                    len: 0x5d_f000
                },
                Region {
                    start: 0x55b6_1636_2000,
                    len: 0x4_7000
                },
            ]
        );
    }

    #[test]
    fn odd_lines_are_skipped_not_fatal() {
        let maps =
            b"garbage\n\xff\xfe\nzz-1 r-xp 0 0 0 /x\n10-5 r-xp 0 0:0 0 /x\n10-20 r-xp 0 0:0 0 /x\n";
        assert_eq!(
            read_only_regions(maps, Path::new("/x")),
            vec![Region {
                start: 0x10,
                len: 0x10
            }]
        );
    }

    #[test]
    fn the_release_thread_stops_when_asked() {
        let releaser = Releaser::start().expect("a thread starts");
        releaser.stop();
    }

    #[test]
    fn releasing_the_running_tests_pages_keeps_it_running() {
        release_code_pages();
        // Still here, and the code still runs after its pages were reclaimed.
        assert_eq!(read_only_regions(b"", Path::new("/x")), vec![]);
    }
}
