//! The system source through the real file system against a fixture `/proc` tree copied to
//! a temp dir, proving that `proc_root` is honoured and the rules hold on whole files.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bandwatch_collect::system::metric::*;
use bandwatch_collect::{FakeFsUsage, Frame, RealFs, Source, SystemConfig, SystemSource};
use bandwatch_core::{FakeClock, Seconds, Timestamp};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/system")
        .join(rel)
}

/// A copy of `tests/fixtures/system/proc` that a test may change.
fn proc_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("proc");
    fs::create_dir_all(root.join("self")).expect("proc/self");
    for rel in ["stat", "loadavg", "meminfo", "diskstats", "self/mountinfo"] {
        fs::copy(fixture(&format!("proc/{rel}")), root.join(rel)).expect("fixture copy");
    }
    (dir, root)
}

fn labelled(f: &Frame, metric: &str) -> Vec<String> {
    let mut v: Vec<String> = f
        .samples
        .iter()
        .filter(|s| s.series.metric == metric)
        .map(|s| s.series.labels_text())
        .collect();
    v.sort();
    v
}

fn plain(f: &Frame, metric: &str) -> Option<f64> {
    f.samples
        .iter()
        .find(|s| s.series.metric == metric)
        .map(|s| s.value)
}

#[test]
fn fixture_tree_gives_every_part_after_the_baseline() {
    let (_dir, root) = proc_tree();
    let usage = FakeFsUsage::new();
    usage.set("/", 500_000_000_000, 100_000_000_000);
    usage.set("/boot/efi", 500_000_000, 400_000_000);
    usage.set("/mnt/backup", 2_000_000_000_000, 1_500_000_000_000);
    // Listed so that a wrong de-duplication or a kept squashfs would show up.
    usage.set("/home/me/photos", 1, 1);
    usage.set("/var/lib/y", 1, 1);
    usage.set("/snap/core22/1380", 1, 0);
    let cfg = SystemConfig {
        proc_root: root.clone(),
        fs_usage: Arc::new(usage),
    };
    let clock = FakeClock::new(Timestamp::from_secs(1_795_255_200));
    let mut src = SystemSource::new(cfg, RealFs, clock.clone());
    assert!(src.collect().unwrap().is_none(), "baseline");

    fs::copy(fixture("stat_later"), root.join("stat")).unwrap();
    fs::copy(fixture("diskstats_later"), root.join("diskstats")).unwrap();
    clock.advance(Duration::from_secs(10));
    let f = src.collect().unwrap().expect("frame");
    assert_eq!(f.elapsed, Seconds(10.0));

    let cpu = |c: &str| f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, c);
    assert_eq!(cpu(CPU_TOTAL), Some(20.0));
    assert_eq!(cpu("0"), Some(25.0));
    assert_eq!(cpu("1"), None, "no ticks counted on cpu1");
    assert_eq!(cpu("2"), Some(0.0));
    assert_eq!(cpu("3"), Some(0.0));

    assert_eq!(plain(&f, SYSTEM_LOAD1), Some(1.5));
    assert_eq!(plain(&f, SYSTEM_LOAD5), Some(0.75));
    assert_eq!(plain(&f, SYSTEM_LOAD15), Some(0.25));
    assert_eq!(plain(&f, SYSTEM_MEMORY_TOTAL_BYTES), Some(8_192_000_000.0));
    assert_eq!(
        plain(&f, SYSTEM_MEMORY_AVAILABLE_BYTES),
        Some(6_144_000_000.0)
    );
    assert_eq!(plain(&f, SYSTEM_MEMORY_USED_PERCENT), Some(25.0));
    assert_eq!(plain(&f, SYSTEM_SWAP_TOTAL_BYTES), Some(0.0));
    assert_eq!(plain(&f, SYSTEM_SWAP_USED_PERCENT), None, "no swap");

    assert_eq!(
        labelled(&f, SYSTEM_DISK_USED_PERCENT),
        [
            r#"{mount="/"}"#,
            r#"{mount="/boot/efi"}"#,
            r#"{mount="/mnt/backup"}"#
        ]
    );
    assert_eq!(
        f.find(SYSTEM_DISK_USED_PERCENT, LABEL_MOUNT, "/"),
        Some(80.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_AVAILABLE_BYTES, LABEL_MOUNT, "/mnt/backup"),
        Some(1.5e12)
    );

    assert_eq!(
        labelled(&f, SYSTEM_DISK_READ_BYTES_PER_SECOND),
        [r#"{device="nvme0n1"}"#, r#"{device="sda"}"#]
    );
    let disk = |m: &str, d: &str| f.find(m, LABEL_DEVICE, d);
    assert_eq!(disk(SYSTEM_DISK_READ_BYTES, "nvme0n1"), Some(10_485_760.0));
    assert_eq!(
        disk(SYSTEM_DISK_WRITTEN_BYTES, "nvme0n1"),
        Some(20_971_520.0)
    );
    assert_eq!(
        disk(SYSTEM_DISK_READ_BYTES_PER_SECOND, "nvme0n1"),
        Some(1_048_576.0)
    );
    assert_eq!(
        disk(SYSTEM_DISK_WRITE_BYTES_PER_SECOND, "nvme0n1"),
        Some(2_097_152.0)
    );
    assert_eq!(disk(SYSTEM_DISK_WRITE_BYTES_PER_SECOND, "sda"), Some(0.0));
}

#[test]
fn missing_proc_root_gives_empty_frames_not_errors() {
    let clock = FakeClock::new(Timestamp::from_secs(1_795_255_200));
    let cfg = SystemConfig {
        proc_root: PathBuf::from("/nonexistent/bandwatch-proc"),
        fs_usage: Arc::new(FakeFsUsage::new()),
    };
    let mut src = SystemSource::new(cfg, RealFs, clock.clone());
    assert!(src.collect().unwrap().is_none());
    clock.advance(Duration::from_secs(1));
    let f = src.collect().unwrap().expect("frame");
    assert!(f.samples.is_empty());
}
