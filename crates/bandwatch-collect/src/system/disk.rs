//! Disk I/O from `<proc_root>/diskstats`, whole disks only.
//!
//! Which lines are whole disks is decided from the names alone, so a fixture `proc_root`
//! needs no `/sys`: a line is skipped when its name starts with one of
//! [`VIRTUAL_PREFIXES`] (loop and RAM disks, device-mapper and md arrays — their I/O is
//! already counted on the disks beneath them — optical and floppy drives), or when it is a
//! partition: an earlier line's name followed by digits (`sda1`) or by `p` and digits
//! (`nvme0n1p2`, `mmcblk0p1`). The kernel lists a disk before its partitions.

use std::collections::HashMap;
use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, SeriesKey};

use super::metric::{
    LABEL_DEVICE, SYSTEM_DISK_READ_BYTES, SYSTEM_DISK_READ_BYTES_PER_SECOND,
    SYSTEM_DISK_WRITE_BYTES_PER_SECOND, SYSTEM_DISK_WRITTEN_BYTES,
};

/// Device name prefixes never reported.
pub const VIRTUAL_PREFIXES: &[&str] = &["loop", "ram", "zram", "dm-", "md", "sr", "fd"];

/// diskstats counts in 512-byte sectors whatever the device's sector size.
pub const SECTOR_BYTES: u64 = 512;

/// One line of `/proc/diskstats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskLine<'a> {
    /// Kernel device name.
    pub name: &'a str,
    /// Sectors read since boot.
    pub sectors_read: u64,
    /// Sectors written since boot.
    pub sectors_written: u64,
}

/// Parses a diskstats text; malformed lines are skipped.
pub fn parse_diskstats(text: &str) -> Vec<DiskLine<'_>> {
    text.lines()
        .filter_map(|line| {
            let w: Vec<&str> = line.split_ascii_whitespace().take(10).collect();
            if w.len() < 10 {
                return None;
            }
            Some(DiskLine {
                name: w[2],
                sectors_read: w[5].parse().ok()?,
                sectors_written: w[9].parse().ok()?,
            })
        })
        .collect()
}

/// The whole disks of `lines`, by the rule in the module doc.
pub fn whole_disks<'l, 'a>(lines: &'l [DiskLine<'a>]) -> Vec<&'l DiskLine<'a>> {
    let mut disks: Vec<&DiskLine<'a>> = Vec::new();
    for line in lines {
        if VIRTUAL_PREFIXES.iter().any(|p| line.name.starts_with(p)) {
            continue;
        }
        if lines.iter().any(|d| is_partition_of(line.name, d.name)) {
            continue;
        }
        disks.push(line);
    }
    disks
}

/// Whether `name` is `disk` followed by digits or by `p` and digits.
fn is_partition_of(name: &str, disk: &str) -> bool {
    let Some(rest) = name.strip_prefix(disk) else {
        return false;
    };
    let digits = rest.strip_prefix('p').unwrap_or(rest);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Previous counters and series keys of one disk.
struct Tracked {
    read: u64,
    written: u64,
    keys: [Arc<SeriesKey>; 4],
}

impl Tracked {
    fn new(line: &DiskLine<'_>) -> Self {
        let key = |m: &str| Arc::new(SeriesKey::with_label(m, LABEL_DEVICE, line.name));
        Self {
            read: line.sectors_read,
            written: line.sectors_written,
            keys: [
                key(SYSTEM_DISK_READ_BYTES),
                key(SYSTEM_DISK_WRITTEN_BYTES),
                key(SYSTEM_DISK_READ_BYTES_PER_SECOND),
                key(SYSTEM_DISK_WRITE_BYTES_PER_SECOND),
            ],
        }
    }

    /// Pushes the deltas and rates since the last reading; a counter that went backwards
    /// (a device re-created under the same name) gives nothing this tick.
    fn advance(&mut self, line: &DiskLine<'_>, secs: f64, frame: &mut Frame) {
        let deltas = [
            line.sectors_read.checked_sub(self.read),
            line.sectors_written.checked_sub(self.written),
        ];
        self.read = line.sectors_read;
        self.written = line.sectors_written;
        for (i, d) in deltas.iter().enumerate() {
            if let Some(sectors) = d {
                let bytes = sectors.saturating_mul(SECTOR_BYTES);
                frame.push(Arc::clone(&self.keys[i]), bytes as f64, SampleKind::Delta);
                let rate = bytes as f64 / secs;
                frame.push(Arc::clone(&self.keys[i + 2]), rate, SampleKind::Rate);
            }
        }
    }
}

/// The previous reading of each whole disk.
#[derive(Default)]
pub(crate) struct DiskTracker {
    disks: HashMap<String, Tracked>,
}

impl DiskTracker {
    /// Records `lines`; with `secs` (the interval, > 0) pushes deltas and rates of disks seen
    /// before. Disks gone from the list are forgotten.
    pub fn update(&mut self, lines: &[DiskLine<'_>], secs: Option<f64>, frame: &mut Frame) {
        let disks = whole_disks(lines);
        let mut next = HashMap::with_capacity(disks.len());
        for line in disks {
            let entry = match self.disks.remove_entry(line.name) {
                Some((name, mut t)) => {
                    if let Some(secs) = secs {
                        t.advance(line, secs, frame);
                    } else {
                        (t.read, t.written) = (line.sectors_read, line.sectors_written);
                    }
                    (name, t)
                }
                None => (line.name.to_owned(), Tracked::new(line)),
            };
            next.insert(entry.0, entry.1);
        }
        self.disks = next;
    }
}
