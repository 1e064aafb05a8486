use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::{FakeClock, Frame, SampleKind, Seconds, Timestamp};

use super::metric::*;
use super::*;
use crate::fs::FakeFs;

const STAT_2CPU: &str = "\
cpu  1000 50 300 8000 200 10 20 5 100 0
cpu0 500 25 150 4000 100 5 10 0 50 0
cpu1 500 25 150 4000 100 5 10 5 50 0
intr 12345 1 2 3
ctxt 999
btime 1700000000
processes 42
";

// Per core 1 s later: cpu0 busy 60 of 100 ticks, cpu1 busy 20 of 100 ticks.
const STAT_2CPU_LATER: &str = "\
cpu  1060 50 320 8100 220 10 20 5 130 0
cpu0 550 25 160 4030 110 5 10 0 70 0
cpu1 510 25 160 4070 110 5 10 5 60 0
intr 12399 1 2 3
";

const MEMINFO: &str = "\
MemTotal:       16000000 kB
MemFree:         2000000 kB
MemAvailable:    4000000 kB
Buffers:          100000 kB
Cached:          3000000 kB
SwapCached:            0 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
HugePages_Total:       0
";

const LOADAVG: &str = "0.52 0.48 0.41 2/1234 56789\n";

const MOUNTINFO: &str = r"22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
25 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro
26 25 0:24 / /run rw,nosuid,nodev shared:7 - tmpfs tmpfs rw,size=1620944k,mode=755
27 25 8:1 / /boot/efi rw,relatime shared:8 - vfat /dev/sda1 rw,fmask=0077
28 25 7:0 / /snap/core22/1380 ro,nodev,relatime shared:9 - squashfs /dev/loop0 ro
29 25 8:2 /home/user/share /srv/share rw,relatime shared:1 - ext4 /dev/sda2 rw
30 25 259:1 / /mnt/my\040data rw,relatime shared:10 - xfs /dev/nvme0n1p1 rw
31 25 0:50 / /var/lib/docker/overlay2/x/merged rw,relatime - overlay overlay rw,lowerdir=/a
32 25 11:0 / /media/cdrom ro,relatime - iso9660 /dev/sr0 ro
33 25 0:60 / /mnt/nas rw,relatime - nfs4 nas:/export rw
34 25 254:0 / /mnt/image ro,relatime - erofs /dev/dm-0 ro
35 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw
";

const DISKSTATS: &str = "\
   7       0 loop0 100 0 2000 10 0 0 0 0 0 20 10 0 0 0 0
   8       0 sda 1000 10 20000 500 2000 30 40000 900 0 1200 1400 0 0 0 0
   8       1 sda1 100 0 2000 50 10 0 80 5 0 60 55 0 0 0 0
   8       2 sda2 900 10 18000 450 1990 30 39920 895 0 1100 1345 0 0 0 0
 259       0 nvme0n1 500 0 8000 100 600 0 16000 200 0 300 300 0 0 0 0
 259       1 nvme0n1p1 500 0 8000 100 600 0 16000 200 0 300 300 0 0 0 0
 253       0 dm-0 10 0 80 1 0 0 0 0 0 1 1 0 0 0 0
   1       0 ram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 179       0 mmcblk0 10 0 100 1 0 0 0 0 0 1 1
 179       1 mmcblk0p1 10 0 100 1 0 0 0 0 0 1 1
";

#[test]
fn stat_with_two_cores_parses_total_and_each_core() {
    let lines = parse_stat(STAT_2CPU);
    let labels: Vec<&str> = lines.iter().map(|l| l.label).collect();
    assert_eq!(labels, ["total", "0", "1"]);
    assert_eq!(lines[0].times.fields, [1000, 50, 300, 8000, 200, 10, 20, 5]);
    assert_eq!(lines[0].times.total(), 9585, "guest is not added again");
    assert_eq!(lines[0].times.idle(), 8200);
}

#[test]
fn stat_on_an_old_kernel_reads_missing_counters_as_zero() {
    let lines = parse_stat("cpu 1 2 3 4\ncpu0 1 2 3\ncpux 1 2 3 4\n");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].times.fields, [1, 2, 3, 4, 0, 0, 0, 0]);
}

#[test]
fn busy_percent_counts_iowait_as_idle_and_refuses_backwards_counters() {
    let p = parse_stat(STAT_2CPU);
    let n = parse_stat(STAT_2CPU_LATER);
    assert_eq!(busy_percent(&p[1].times, &n[1].times), Some(60.0));
    assert_eq!(busy_percent(&p[2].times, &n[2].times), Some(20.0));
    assert_eq!(busy_percent(&p[0].times, &n[0].times), Some(40.0));
    assert_eq!(busy_percent(&n[1].times, &p[1].times), None);
    assert_eq!(
        busy_percent(&p[1].times, &p[1].times),
        None,
        "no time counted"
    );
}

#[test]
fn meminfo_gives_bytes_and_percents() {
    let m = parse_meminfo(MEMINFO).unwrap();
    assert_eq!(m.total, 16_000_000 * 1024);
    assert_eq!(m.available, 4_000_000 * 1024);
    assert_eq!(m.used_percent(), Some(75.0));
    assert_eq!(m.swap_used_percent(), Some(25.0));
}

#[test]
fn meminfo_without_mem_available_estimates_it_and_without_swap_has_no_swap_percent() {
    let m = parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n")
        .unwrap();
    assert_eq!(m.available, 400 * 1024);
    assert_eq!(m.swap_used_percent(), None);
    assert_eq!(parse_meminfo("MemFree: 1 kB\n"), None);
}

#[test]
fn loadavg_gives_three_averages() {
    assert_eq!(parse_loadavg(LOADAVG), Some([0.52, 0.48, 0.41]));
    assert_eq!(parse_loadavg("0.1 0.2\n"), None);
    assert_eq!(parse_loadavg("a b c\n"), None);
}

#[test]
fn mountinfo_keeps_real_filesystems_once_each() {
    let all = parse_mountinfo(MOUNTINFO);
    assert_eq!(all.len(), 13);
    assert_eq!(all[7].mount_point, "/mnt/my data", "octal escape decoded");
    assert!(all[5].read_only);
    let chosen: Vec<&str> = select_mounts(&all)
        .iter()
        .map(|m| m.mount_point.as_str())
        .collect();
    assert_eq!(
        chosen,
        [
            "/",
            "/boot/efi",
            "/mnt/my data",
            "/var/lib/docker/overlay2/x/merged"
        ],
        "pseudo, image, network and bind mounts left out"
    );
}

#[test]
fn a_bind_mount_listed_first_gives_way_to_the_filesystem_root() {
    let text = "\
40 1 8:3 /data/sub /bind rw - ext4 /dev/sda3 rw
41 1 8:3 / /data/long/path rw - ext4 /dev/sda3 rw
42 1 8:3 / /data rw - ext4 /dev/sda3 rw
";
    let all = parse_mountinfo(text);
    let chosen = select_mounts(&all);
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0].mount_point, "/data");
}

#[test]
fn diskstats_keeps_whole_disks_only() {
    let lines = parse_diskstats(DISKSTATS);
    assert_eq!(
        lines.len(),
        10,
        "older kernels' 11-field lines are read too"
    );
    let disks: Vec<&str> = whole_disks(&lines).iter().map(|d| d.name).collect();
    assert_eq!(disks, ["sda", "nvme0n1", "mmcblk0"]);
    assert!(
        parse_diskstats("8 0 sda 1 2 3\n").is_empty(),
        "short line skipped"
    );
    assert_eq!(lines[1].sectors_read, 20000);
    assert_eq!(lines[1].sectors_written, 40000);
    let mmc = parse_diskstats(
        "179 0 mmcblk0 1 0 8 0 1 0 16 0 0 0 0\n179 1 mmcblk0p1 1 0 8 0 1 0 16 0 0 0 0\n",
    );
    let disks: Vec<&str> = whole_disks(&mmc).iter().map(|d| d.name).collect();
    assert_eq!(disks, ["mmcblk0"]);
}

/// Fake proc tree plus fake sizes for the tick tests.
struct Rig {
    fs: FakeFs,
    usage: FakeFsUsage,
    clock: FakeClock,
    src: SystemSource<FakeFs, FakeClock>,
}

fn rig() -> Rig {
    let fs = FakeFs::new();
    fs.set("/p/stat", STAT_2CPU);
    fs.set("/p/loadavg", LOADAVG);
    fs.set("/p/meminfo", MEMINFO);
    fs.set("/p/self/mountinfo", MOUNTINFO);
    fs.set("/p/diskstats", DISKSTATS);
    let usage = FakeFsUsage::new();
    usage.set("/", 100_000, 25_000);
    usage.set("/boot/efi", 1000, 1000);
    usage.set("/var/lib/docker/overlay2/x/merged", 0, 0);
    let clock = FakeClock::new(Timestamp::from_secs(1_795_255_200));
    let cfg = SystemConfig {
        proc_root: "/p".into(),
        fs_usage: Arc::new(usage.clone()),
    };
    let src = SystemSource::new(cfg, fs.clone(), clock.clone());
    Rig {
        fs,
        usage,
        clock,
        src,
    }
}

fn gauge(f: &Frame, metric: &str) -> Option<f64> {
    f.samples
        .iter()
        .find(|s| s.series.metric == metric && s.series.labels.is_empty())
        .map(|s| s.value)
}

#[test]
fn tick_after_baseline_reports_every_part() {
    let mut r = rig();
    assert_eq!(r.src.name(), "system");
    assert!(r.src.collect().unwrap().is_none(), "baseline");
    r.fs.set("/p/stat", STAT_2CPU_LATER);
    r.fs.set(
        "/p/diskstats",
        DISKSTATS.replace(
            "sda 1000 10 20000 500 2000 30 40000",
            "sda 1100 10 24000 500 2100 30 48000",
        ),
    );
    r.clock.advance(Duration::from_secs(2));
    let f = r.src.collect().unwrap().expect("frame");
    assert_eq!(f.source, "system");
    assert_eq!(f.elapsed, Seconds(2.0));

    assert_eq!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, CPU_TOTAL), Some(40.0));
    assert_eq!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, "0"), Some(60.0));
    assert_eq!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, "1"), Some(20.0));
    assert_eq!(gauge(&f, SYSTEM_LOAD1), Some(0.52));
    assert_eq!(gauge(&f, SYSTEM_LOAD15), Some(0.41));
    assert_eq!(gauge(&f, SYSTEM_MEMORY_USED_PERCENT), Some(75.0));
    assert_eq!(gauge(&f, SYSTEM_SWAP_USED_PERCENT), Some(25.0));
    assert_eq!(gauge(&f, SYSTEM_MEMORY_TOTAL_BYTES), Some(16_384_000_000.0));

    assert_eq!(
        f.find(SYSTEM_DISK_USED_PERCENT, LABEL_MOUNT, "/"),
        Some(75.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_TOTAL_BYTES, LABEL_MOUNT, "/"),
        Some(100_000.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_USED_PERCENT, LABEL_MOUNT, "/boot/efi"),
        Some(0.0)
    );
    assert_eq!(
        f.find(
            SYSTEM_DISK_TOTAL_BYTES,
            LABEL_MOUNT,
            "/var/lib/docker/overlay2/x/merged"
        ),
        None,
        "0 blocks"
    );
    assert_eq!(
        f.find(SYSTEM_DISK_TOTAL_BYTES, LABEL_MOUNT, "/mnt/my data"),
        None,
        "statvfs failed"
    );

    assert_eq!(
        f.find(SYSTEM_DISK_READ_BYTES, LABEL_DEVICE, "sda"),
        Some(4000.0 * 512.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_WRITTEN_BYTES, LABEL_DEVICE, "sda"),
        Some(8000.0 * 512.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_READ_BYTES_PER_SECOND, LABEL_DEVICE, "sda"),
        Some(1_024_000.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_WRITE_BYTES_PER_SECOND, LABEL_DEVICE, "sda"),
        Some(2_048_000.0)
    );
    assert_eq!(
        f.find(SYSTEM_DISK_READ_BYTES, LABEL_DEVICE, "nvme0n1"),
        Some(0.0)
    );
    assert_eq!(f.find(SYSTEM_DISK_READ_BYTES, LABEL_DEVICE, "sda1"), None);

    for s in &f.samples {
        let kind = ALL
            .iter()
            .find(|i| i.name == s.series.metric)
            .map(|i| i.kind);
        assert_eq!(
            kind,
            Some(s.kind),
            "{} listed with its kind",
            s.series.metric
        );
    }
}

#[test]
fn counters_going_backwards_give_nothing_that_tick_then_resume() {
    let mut r = rig();
    r.fs.set("/p/stat", STAT_2CPU_LATER);
    assert!(r.src.collect().unwrap().is_none());
    r.fs.set("/p/stat", STAT_2CPU);
    r.fs.set(
        "/p/diskstats",
        DISKSTATS.replace("sda 1000 10 20000", "sda 1 0 2"),
    );
    r.clock.advance(Duration::from_secs(1));
    let f = r.src.collect().unwrap().expect("frame");
    assert_eq!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, "0"), None);
    assert_eq!(f.find(SYSTEM_DISK_READ_BYTES, LABEL_DEVICE, "sda"), None);
    assert_eq!(
        f.find(SYSTEM_DISK_WRITTEN_BYTES, LABEL_DEVICE, "sda"),
        Some(0.0)
    );

    r.fs.set("/p/stat", STAT_2CPU_LATER);
    r.clock.advance(Duration::from_secs(1));
    let f = r.src.collect().unwrap().expect("frame");
    assert_eq!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, "0"), Some(60.0));
    assert_eq!(
        f.find(SYSTEM_DISK_READ_BYTES, LABEL_DEVICE, "sda"),
        Some(0.0)
    );
}

#[test]
fn a_failing_part_is_left_out_and_the_others_still_report() {
    let mut r = rig();
    assert!(r.src.collect().unwrap().is_none());
    r.fs.set("/p/stat", STAT_2CPU_LATER);
    r.fs.remove("/p/meminfo");
    r.fs.set("/p/loadavg", "garbage");
    r.fs.fail_with_os_error("/p/self/mountinfo", 13);
    r.clock.advance(Duration::from_secs(1));
    let f = r.src.collect().unwrap().expect("frame");
    assert_eq!(gauge(&f, SYSTEM_MEMORY_TOTAL_BYTES), None);
    assert_eq!(gauge(&f, SYSTEM_LOAD1), None);
    assert_eq!(f.find(SYSTEM_DISK_USED_PERCENT, LABEL_MOUNT, "/"), None);
    assert!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, CPU_TOTAL).is_some());

    r.fs.set("/p/meminfo", MEMINFO);
    r.usage.set("/", 100, 90);
    r.fs.set("/p/self/mountinfo", MOUNTINFO);
    r.clock.advance(Duration::from_secs(1));
    let f = r.src.collect().unwrap().expect("frame");
    assert_eq!(gauge(&f, SYSTEM_MEMORY_USED_PERCENT), Some(75.0));
    let root = f.find(SYSTEM_DISK_USED_PERCENT, LABEL_MOUNT, "/").unwrap();
    assert!((root - 10.0).abs() < 1e-9, "{root}");
}

#[test]
fn no_time_passed_reads_nothing() {
    let mut r = rig();
    assert!(r.src.collect().unwrap().is_none());
    assert!(r.src.collect().unwrap().is_none());
    r.fs.set("/p/stat", STAT_2CPU_LATER);
    r.clock.advance(Duration::from_secs(1));
    let f = r.src.collect().unwrap().expect("frame");
    assert_eq!(f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, "0"), Some(60.0));
}

#[test]
fn real_machine_readings_are_in_sane_ranges() {
    let mut src = SystemSource::new(
        SystemConfig::default(),
        crate::fs::RealFs,
        bandwatch_core::SystemClock::new(),
    );
    assert!(src.collect().unwrap().is_none());
    let burn: u64 = (0..5_000_000u64).map(std::hint::black_box).sum();
    assert!(burn > 0);
    // Not sequencing: the kernel counts CPU time in 10 ms jiffies, so let a few pass.
    std::thread::sleep(Duration::from_millis(50));
    let f = src.collect().unwrap().expect("frame");
    let total = f.find(SYSTEM_CPU_PERCENT, LABEL_CPU, CPU_TOTAL);
    for s in &f.samples {
        if s.series.metric.ends_with("_percent") {
            assert!(
                (0.0..=100.0).contains(&s.value),
                "{:?} = {}",
                s.series,
                s.value
            );
        }
        assert!(
            s.value.is_finite() && s.value >= 0.0,
            "{:?} = {}",
            s.series,
            s.value
        );
        if s.kind == SampleKind::Gauge
            && s.series.metric.ends_with("total_bytes")
            && s.series.metric != SYSTEM_SWAP_TOTAL_BYTES
        {
            assert!(s.value > 0.0, "{:?}", s.series);
        }
    }
    assert!(total.is_some(), "cpu total");
    assert!(gauge(&f, SYSTEM_MEMORY_TOTAL_BYTES).is_some_and(|v| v > 0.0));
    assert!(gauge(&f, SYSTEM_LOAD1).is_some());
    let root = f.find(SYSTEM_DISK_TOTAL_BYTES, LABEL_MOUNT, "/");
    assert!(root.is_some_and(|v| v > 0.0), "/ present: {root:?}");
    let (t, a) = StatvfsUsage.usage(Path::new("/")).unwrap();
    assert!(t > 0 && a <= t);
}
