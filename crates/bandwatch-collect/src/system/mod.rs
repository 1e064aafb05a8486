//! The system health source: CPU busy share per core and in total, load averages, memory
//! and swap, usage of each mounted filesystem and I/O of each whole disk, all from
//! `<proc_root>` plus `statvfs` through the [`FsUsage`] seam.
//!
//! Each part is read on its own: a file that cannot be read or parsed leaves its series out
//! of that tick's frame (with a warning when it starts failing) and never stops the others.

pub mod cpu;
pub mod disk;
pub mod memory;
pub mod metric;
pub mod mounts;
pub mod usage;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{Clock, Frame, SampleKind, Seconds, SeriesKey};

use crate::error::Result;
use crate::fs::FileSystem;
use crate::Source;

pub use cpu::{busy_percent, parse_stat, CpuLine, CpuTimes};
pub use disk::{parse_diskstats, whole_disks, DiskLine};
pub use memory::{parse_loadavg, parse_meminfo, Memory};
pub use mounts::{parse_mountinfo, select_mounts, Mount};
#[cfg(any(test, feature = "fake"))]
pub use usage::FakeFsUsage;
pub use usage::{FsUsage, StatvfsUsage};

use cpu::CpuTracker;
use disk::DiskTracker;
use memory::percent_used;

/// The name this source puts in [`Frame::source`].
pub const SOURCE_NAME: &str = "system";

/// Settings of the system source.
#[derive(Clone)]
pub struct SystemConfig {
    /// Where procfs is mounted; `stat`, `loadavg`, `meminfo`, `diskstats` and
    /// `self/mountinfo` are read under it.
    pub proc_root: PathBuf,
    /// Tells each watched filesystem's size; [`StatvfsUsage`] on the machine.
    pub fs_usage: Arc<dyn FsUsage>,
}

impl Default for SystemConfig {
    fn default() -> Self {
        Self {
            proc_root: PathBuf::from("/proc"),
            fs_usage: Arc::new(StatvfsUsage),
        }
    }
}

impl fmt::Debug for SystemConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SystemConfig")
            .field("proc_root", &self.proc_root)
            .finish_non_exhaustive()
    }
}

/// The files this source reads, as indices into its path table.
#[derive(Debug, Clone, Copy)]
enum Part {
    Stat,
    Loadavg,
    Meminfo,
    Mountinfo,
    Diskstats,
}

const PARTS: [(Part, &str); 5] = [
    (Part::Stat, "stat"),
    (Part::Loadavg, "loadavg"),
    (Part::Meminfo, "meminfo"),
    (Part::Mountinfo, "self/mountinfo"),
    (Part::Diskstats, "diskstats"),
];

/// Series keys of the fixed gauges, built once.
struct FixedKeys {
    load: [Arc<SeriesKey>; 3],
    memory: [Arc<SeriesKey>; 6],
}

impl FixedKeys {
    fn new() -> Self {
        let key = |m: &str| Arc::new(SeriesKey::new(m, bandwatch_core::Labels::new()));
        Self {
            load: [
                key(metric::SYSTEM_LOAD1),
                key(metric::SYSTEM_LOAD5),
                key(metric::SYSTEM_LOAD15),
            ],
            memory: [
                key(metric::SYSTEM_MEMORY_TOTAL_BYTES),
                key(metric::SYSTEM_MEMORY_AVAILABLE_BYTES),
                key(metric::SYSTEM_MEMORY_USED_PERCENT),
                key(metric::SYSTEM_SWAP_TOTAL_BYTES),
                key(metric::SYSTEM_SWAP_FREE_BYTES),
                key(metric::SYSTEM_SWAP_USED_PERCENT),
            ],
        }
    }
}

/// Reads the machine's health on each tick; see [`Source::collect`] for what a frame holds.
pub struct SystemSource<F: FileSystem, C: Clock> {
    cfg: SystemConfig,
    paths: [PathBuf; 5],
    /// Which parts failed on their last read, so each failure is warned about once.
    failing: [bool; 5],
    fs: F,
    clock: C,
    /// Monotonic time of the last tick; `None` until the baseline tick.
    last_tick: Option<Duration>,
    keys: FixedKeys,
    mount_keys: HashMap<String, [Arc<SeriesKey>; 3]>,
    cpus: CpuTracker,
    disks: DiskTracker,
    samples_hint: usize,
}

impl<F: FileSystem, C: Clock> SystemSource<F, C> {
    /// A source reading through `fs` and timing with `clock`; the first tick is a baseline.
    pub fn new(cfg: SystemConfig, fs: F, clock: C) -> Self {
        Self {
            paths: PARTS.map(|(_, rel)| cfg.proc_root.join(rel)),
            cfg,
            failing: [false; 5],
            fs,
            clock,
            last_tick: None,
            keys: FixedKeys::new(),
            mount_keys: HashMap::new(),
            cpus: CpuTracker::default(),
            disks: DiskTracker::default(),
            samples_hint: 0,
        }
    }

    /// The settings it runs with.
    pub fn config(&self) -> &SystemConfig {
        &self.cfg
    }

    /// Reads one part's file; on failure warns (once per run of failures) and gives `None`.
    fn read(&mut self, part: Part) -> Option<String> {
        let path = &self.paths[part as usize];
        match self.fs.read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                let why = format!(
                    "cannot read it ({e}); check that `proc_root` points at a mounted procfs"
                );
                self.failed(part, &why);
                None
            }
        }
    }

    /// Records the outcome of one part; warns when it starts failing.
    fn failed(&mut self, part: Part, why: &str) {
        let i = part as usize;
        if !self.failing[i] {
            tracing::warn!(
                path = %self.paths[i].display(),
                "system source leaves out {part:?}: {why}"
            );
        }
        self.failing[i] = true;
    }

    fn succeeded(&mut self, part: Part) {
        self.failing[part as usize] = false;
    }

    fn collect_cpu(&mut self, frame: &mut Frame) {
        let Some(text) = self.read(Part::Stat) else {
            return;
        };
        let lines = parse_stat(&text);
        if lines.is_empty() {
            self.failed(Part::Stat, "no `cpu` lines in it");
            return;
        }
        self.succeeded(Part::Stat);
        self.cpus.update(&lines, frame);
    }

    fn collect_load(&mut self, frame: &mut Frame) {
        let Some(text) = self.read(Part::Loadavg) else {
            return;
        };
        let Some(load) = parse_loadavg(&text) else {
            self.failed(Part::Loadavg, "not three load averages");
            return;
        };
        self.succeeded(Part::Loadavg);
        for (key, v) in self.keys.load.iter().zip(load) {
            frame.push(Arc::clone(key), v, SampleKind::Gauge);
        }
    }

    fn collect_memory(&mut self, frame: &mut Frame) {
        let Some(text) = self.read(Part::Meminfo) else {
            return;
        };
        let Some(m) = parse_meminfo(&text) else {
            self.failed(Part::Meminfo, "no MemTotal line in it");
            return;
        };
        self.succeeded(Part::Meminfo);
        let values = [
            Some(m.total as f64),
            Some(m.available as f64),
            m.used_percent(),
            Some(m.swap_total as f64),
            Some(m.swap_free as f64),
            m.swap_used_percent(),
        ];
        for (key, v) in self.keys.memory.iter().zip(values) {
            if let Some(v) = v {
                frame.push(Arc::clone(key), v, SampleKind::Gauge);
            }
        }
    }

    fn collect_usage(&mut self, frame: &mut Frame) {
        let Some(text) = self.read(Part::Mountinfo) else {
            return;
        };
        self.succeeded(Part::Mountinfo);
        let all = parse_mountinfo(&text);
        let chosen = select_mounts(&all);
        let mut keys = HashMap::with_capacity(chosen.len());
        for m in chosen {
            let Some((total, available)) = usage_of(&*self.cfg.fs_usage, &m.mount_point) else {
                continue;
            };
            let k = self
                .mount_keys
                .remove(&m.mount_point)
                .unwrap_or_else(|| mount_keys(&m.mount_point));
            if let Some(pct) = percent_used(total, available) {
                frame.push(Arc::clone(&k[0]), pct, SampleKind::Gauge);
            }
            frame.push(Arc::clone(&k[1]), total as f64, SampleKind::Gauge);
            frame.push(Arc::clone(&k[2]), available as f64, SampleKind::Gauge);
            keys.insert(m.mount_point.clone(), k);
        }
        self.mount_keys = keys;
    }

    fn collect_disk_io(&mut self, secs: Option<f64>, frame: &mut Frame) {
        let Some(text) = self.read(Part::Diskstats) else {
            return;
        };
        self.succeeded(Part::Diskstats);
        self.disks.update(&parse_diskstats(&text), secs, frame);
    }
}

/// Size of the filesystem at `mount_point`, when it has one: a failed `statvfs` (a mount
/// this user may not enter) or 0 blocks (a pseudo filesystem) leaves it out.
fn usage_of(fs_usage: &dyn FsUsage, mount_point: &str) -> Option<(u64, u64)> {
    match fs_usage.usage(Path::new(mount_point)) {
        Ok((total, available)) if total > 0 => Some((total, available)),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(mount_point, "statvfs failed: {e}");
            None
        }
    }
}

fn mount_keys(mount_point: &str) -> [Arc<SeriesKey>; 3] {
    let key = |m: &str| Arc::new(SeriesKey::with_label(m, metric::LABEL_MOUNT, mount_point));
    [
        key(metric::SYSTEM_DISK_USED_PERCENT),
        key(metric::SYSTEM_DISK_TOTAL_BYTES),
        key(metric::SYSTEM_DISK_AVAILABLE_BYTES),
    ]
}

impl<F: FileSystem, C: Clock> Source for SystemSource<F, C> {
    fn name(&self) -> &str {
        SOURCE_NAME
    }

    /// One tick. The first tick records the CPU and disk counters and returns `Ok(None)`;
    /// each later one returns a frame over the monotonic time since the previous tick with
    /// CPU percents, load, memory, filesystem usage and disk I/O. A tick with no monotonic
    /// time passed returns `Ok(None)` without reading. Parts that fail are left out; this
    /// never returns an error.
    fn collect(&mut self) -> Result<Option<Frame>> {
        let now = self.clock.monotonic();
        let secs = match self.last_tick {
            None => None,
            Some(last) => match now.checked_sub(last) {
                Some(span) if !span.is_zero() => Some(span.as_secs_f64()),
                _ => return Ok(None),
            },
        };
        self.last_tick = Some(now);
        let mut frame = Frame::new(SOURCE_NAME, self.clock.wall(), Seconds(secs.unwrap_or(0.0)));
        frame.samples.reserve(self.samples_hint);
        self.collect_cpu(&mut frame);
        self.collect_disk_io(secs, &mut frame);
        if secs.is_none() {
            return Ok(None);
        }
        self.collect_load(&mut frame);
        self.collect_memory(&mut frame);
        self.collect_usage(&mut frame);
        self.samples_hint = frame.samples.len();
        Ok(Some(frame))
    }
}
