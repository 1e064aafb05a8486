//! A fake kernel for running `bandwatch` against fixture trees: `<root>/proc/net/dev` with
//! `lo` and `eth0`, whose rx counter a thread moves like a kernel would, and a matching
//! `<root>/sys/class/net`. Also the pieces to build a still tree by hand.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// eth0's rx counter when a tree is created.
pub const RX_START: u64 = 5_000_000;

/// eth0's tx counter (it never moves).
pub const TX: u64 = 7_000;

/// How often the fake kernel adds its step to the rx counter.
pub const TICK: Duration = Duration::from_millis(20);

/// The text of `/proc/net/dev` with `lo` (still) and `eth0` at these byte counters (a
/// packet per 1000 bytes).
pub fn dev_text(rx: u64, tx: u64) -> String {
    format!(
        "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:  1000  10 0 0 0 0 0 0  1000  10 0 0 0 0 0 0\n  eth0: {rx} {} 0 0 0 0 0 0 {tx} {} 0 0 0 0 0 0\n",
        rx / 1000,
        tx / 1000
    )
}

/// Replaces `path` with `text` in one rename, so a reader never sees half a file.
pub fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// `<root>/sys/class/net/{lo,eth0}` with link state files (both carrying, eth0 up, MTUs
/// 65536 and 1500).
pub fn sys_tree(root: &Path) {
    for (iface, flags) in [("lo", "0x9"), ("eth0", "0x1003")] {
        let dir = root.join("sys/class/net").join(iface);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(
            dir.join("operstate"),
            if iface == "lo" { "unknown\n" } else { "up\n" },
        )
        .expect("write");
        std::fs::write(dir.join("carrier"), "1\n").expect("write");
        std::fs::write(dir.join("flags"), format!("{flags}\n")).expect("write");
        let mtu = if iface == "lo" { "65536\n" } else { "1500\n" };
        std::fs::write(dir.join("mtu"), mtu).expect("write");
    }
}

/// A still `<root>/proc` and `<root>/sys`: 8 000 000 kB of memory with 2 000 000 kB
/// available, swap a quarter free, load averages 1.50 0.75 0.25, two CPUs, no disks or
/// mounts, and `lo` and `eth0` (at [`RX_START`]) whose counters stand still.
pub fn static_tree(root: &Path) {
    let proc = root.join("proc");
    std::fs::create_dir_all(proc.join("net")).expect("mkdir");
    std::fs::create_dir_all(proc.join("self")).expect("mkdir");
    let files = [
        (
            "meminfo",
            "MemTotal:        8000000 kB\nMemFree:          500000 kB\nMemAvailable:    2000000 kB\nBuffers:           10000 kB\nCached:           900000 kB\nSwapTotal:       1000000 kB\nSwapFree:         250000 kB\n",
        ),
        ("loadavg", "1.50 0.75 0.25 2/345 6789\n"),
        (
            "stat",
            "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n",
        ),
        ("diskstats", ""),
        ("self/mountinfo", ""),
        ("net/dev", &dev_text(RX_START, TX)),
    ];
    for (rel, text) in files {
        std::fs::write(proc.join(rel), text).expect("write");
    }
    sys_tree(root);
}

/// A fake kernel: a tree as [`sys_tree`] and [`dev_text`] make it, whose eth0 rx counter a
/// thread grows by `step` bytes every [`TICK`] (not at all while the step is 0). Dropping it
/// stops the thread and removes the tree.
pub struct FakeKernel {
    root: tempfile::TempDir,
    rx: Arc<AtomicU64>,
    step: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeKernel {
    /// Creates the tree with eth0 at [`RX_START`] and starts adding `bytes_per_step` every
    /// [`TICK`].
    pub fn start(bytes_per_step: u64) -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(root.path().join("proc/net")).expect("mkdir");
        sys_tree(root.path());
        let dev = root.path().join("proc/net/dev");
        write_atomic(&dev, &dev_text(RX_START, TX));
        let rx = Arc::new(AtomicU64::new(RX_START));
        let stop = Arc::new(AtomicBool::new(false));
        let pace = Arc::new(AtomicU64::new(bytes_per_step));
        let thread = {
            let (counter, halt, bytes) = (Arc::clone(&rx), Arc::clone(&stop), Arc::clone(&pace));
            std::thread::spawn(move || {
                // Whole steps, as many as 20 ms ticks have really passed: the rate stays what
                // the test asked for on a loaded machine where a 20 ms sleep takes 25, and
                // every delta is still a whole number of steps.
                let start = std::time::Instant::now();
                let mut done: u128 = 0;
                while !halt.load(Ordering::SeqCst) {
                    std::thread::sleep(TICK);
                    let due = start.elapsed().as_nanos() / TICK.as_nanos();
                    let steps = due.saturating_sub(done);
                    done = due;
                    let add = bytes.load(Ordering::SeqCst).saturating_mul(steps as u64);
                    if add == 0 {
                        continue;
                    }
                    let total = counter.fetch_add(add, Ordering::SeqCst) + add;
                    write_atomic(&dev, &dev_text(total, TX));
                }
            })
        };
        Self {
            root,
            rx,
            step: pace,
            stop,
            thread: Some(thread),
        }
    }

    /// Changes the traffic: bytes added every [`TICK`] from now on (0: none).
    pub fn set_step(&self, bytes: u64) {
        self.step.store(bytes, Ordering::SeqCst);
    }

    /// The root of the tree, holding `proc` and `sys`.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The `/proc` root to pass as `--proc-root`.
    pub fn proc_root(&self) -> PathBuf {
        self.root.path().join("proc")
    }

    /// The `/sys` root to pass as `--sys-root`.
    pub fn sys_root(&self) -> PathBuf {
        self.root.path().join("sys")
    }

    /// eth0's rx counter as last written.
    pub fn rx(&self) -> u64 {
        self.rx.load(Ordering::SeqCst)
    }

    /// Stops the traffic for good and returns the final rx counter.
    pub fn halt(&mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("kernel thread");
        }
        self.rx()
    }
}

impl Drop for FakeKernel {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth0_rx(kernel: &FakeKernel) -> u64 {
        let text = std::fs::read_to_string(kernel.proc_root().join("net/dev")).unwrap();
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("eth0:"))
            .unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn the_counter_moves_by_whole_steps_and_stops() {
        let mut kernel = FakeKernel::start(0);
        assert!(kernel.sys_root().join("class/net/eth0/operstate").is_file());
        std::thread::sleep(TICK * 3);
        assert_eq!((kernel.rx(), eth0_rx(&kernel)), (RX_START, RX_START));
        kernel.set_step(10);
        std::thread::sleep(TICK * 5);
        let last = kernel.halt();
        assert!(last > RX_START && (last - RX_START) % 10 == 0, "{last}");
        assert_eq!(eth0_rx(&kernel), last);
        std::thread::sleep(TICK * 3);
        assert_eq!(kernel.rx(), last);
    }

    #[test]
    fn a_static_tree_has_every_file() {
        let root = tempfile::tempdir().unwrap();
        static_tree(root.path());
        for rel in [
            "proc/meminfo",
            "proc/loadavg",
            "proc/stat",
            "proc/diskstats",
            "proc/self/mountinfo",
            "proc/net/dev",
            "sys/class/net/lo/flags",
            "sys/class/net/eth0/carrier",
        ] {
            assert!(root.path().join(rel).is_file(), "{rel}");
        }
    }
}
