//! Names of the system series, for anyone who looks samples up (JSON output, exporters,
//! rules). CPU series carry [`LABEL_CPU`] (`total` or the core number), disk usage series
//! [`LABEL_MOUNT`] and disk I/O series [`LABEL_DEVICE`].

use bandwatch_core::SampleKind;

use crate::netdev::metric::MetricInfo;

/// Label naming the core (`0`, `1`, …) or [`CPU_TOTAL`].
pub const LABEL_CPU: &str = "cpu";
/// Value of [`LABEL_CPU`] on the all-cores series.
pub const CPU_TOTAL: &str = "total";
/// Label naming a filesystem's mount point.
pub const LABEL_MOUNT: &str = "mount";
/// Label naming a whole disk (`sda`, `nvme0n1`).
pub const LABEL_DEVICE: &str = "device";

/// Share of the interval the CPU was busy, in percent.
pub const SYSTEM_CPU_PERCENT: &str = "system_cpu_percent";
/// One-minute load average.
pub const SYSTEM_LOAD1: &str = "system_load1";
/// Five-minute load average.
pub const SYSTEM_LOAD5: &str = "system_load5";
/// Fifteen-minute load average.
pub const SYSTEM_LOAD15: &str = "system_load15";
/// Physical memory in bytes.
pub const SYSTEM_MEMORY_TOTAL_BYTES: &str = "system_memory_total_bytes";
/// Memory available for new work without swapping (`MemAvailable`), in bytes.
pub const SYSTEM_MEMORY_AVAILABLE_BYTES: &str = "system_memory_available_bytes";
/// Share of memory not available, in percent.
pub const SYSTEM_MEMORY_USED_PERCENT: &str = "system_memory_used_percent";
/// Swap space in bytes.
pub const SYSTEM_SWAP_TOTAL_BYTES: &str = "system_swap_total_bytes";
/// Unused swap space in bytes.
pub const SYSTEM_SWAP_FREE_BYTES: &str = "system_swap_free_bytes";
/// Share of swap in use, in percent (only when there is swap).
pub const SYSTEM_SWAP_USED_PERCENT: &str = "system_swap_used_percent";
/// Share of a filesystem not available to unprivileged users, in percent.
pub const SYSTEM_DISK_USED_PERCENT: &str = "system_disk_used_percent";
/// Size of a filesystem in bytes.
pub const SYSTEM_DISK_TOTAL_BYTES: &str = "system_disk_total_bytes";
/// Bytes of a filesystem available to unprivileged users.
pub const SYSTEM_DISK_AVAILABLE_BYTES: &str = "system_disk_available_bytes";
/// Bytes read from a disk in the interval.
pub const SYSTEM_DISK_READ_BYTES: &str = "system_disk_read_bytes";
/// Bytes written to a disk in the interval.
pub const SYSTEM_DISK_WRITTEN_BYTES: &str = "system_disk_written_bytes";
/// Bytes read from a disk per second.
pub const SYSTEM_DISK_READ_BYTES_PER_SECOND: &str = "system_disk_read_bytes_per_second";
/// Bytes written to a disk per second.
pub const SYSTEM_DISK_WRITE_BYTES_PER_SECOND: &str = "system_disk_write_bytes_per_second";

const fn info(name: &'static str, kind: SampleKind, help: &'static str) -> MetricInfo {
    MetricInfo { name, kind, help }
}

/// Every metric the system source emits.
pub const ALL: [MetricInfo; 17] = [
    info(
        SYSTEM_CPU_PERCENT,
        SampleKind::Gauge,
        "CPU busy time in the interval, percent.",
    ),
    info(SYSTEM_LOAD1, SampleKind::Gauge, "One-minute load average."),
    info(SYSTEM_LOAD5, SampleKind::Gauge, "Five-minute load average."),
    info(
        SYSTEM_LOAD15,
        SampleKind::Gauge,
        "Fifteen-minute load average.",
    ),
    info(
        SYSTEM_MEMORY_TOTAL_BYTES,
        SampleKind::Gauge,
        "Physical memory in bytes.",
    ),
    info(
        SYSTEM_MEMORY_AVAILABLE_BYTES,
        SampleKind::Gauge,
        "Available memory in bytes.",
    ),
    info(
        SYSTEM_MEMORY_USED_PERCENT,
        SampleKind::Gauge,
        "Memory not available, percent.",
    ),
    info(
        SYSTEM_SWAP_TOTAL_BYTES,
        SampleKind::Gauge,
        "Swap space in bytes.",
    ),
    info(
        SYSTEM_SWAP_FREE_BYTES,
        SampleKind::Gauge,
        "Unused swap in bytes.",
    ),
    info(
        SYSTEM_SWAP_USED_PERCENT,
        SampleKind::Gauge,
        "Swap in use, percent.",
    ),
    info(
        SYSTEM_DISK_USED_PERCENT,
        SampleKind::Gauge,
        "Filesystem space not available, percent.",
    ),
    info(
        SYSTEM_DISK_TOTAL_BYTES,
        SampleKind::Gauge,
        "Filesystem size in bytes.",
    ),
    info(
        SYSTEM_DISK_AVAILABLE_BYTES,
        SampleKind::Gauge,
        "Filesystem bytes available.",
    ),
    info(
        SYSTEM_DISK_READ_BYTES,
        SampleKind::Delta,
        "Bytes read from the disk in the interval.",
    ),
    info(
        SYSTEM_DISK_WRITTEN_BYTES,
        SampleKind::Delta,
        "Bytes written to the disk in the interval.",
    ),
    info(
        SYSTEM_DISK_READ_BYTES_PER_SECOND,
        SampleKind::Rate,
        "Bytes read from the disk per second.",
    ),
    info(
        SYSTEM_DISK_WRITE_BYTES_PER_SECOND,
        SampleKind::Rate,
        "Bytes written to the disk per second.",
    ),
];
