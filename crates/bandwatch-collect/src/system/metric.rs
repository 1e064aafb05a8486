//! Names of the system series, for anyone who looks samples up (JSON output, exporters,
//! rules). CPU series carry [`LABEL_CPU`] (`total` or the core number), disk usage series
//! [`LABEL_MOUNT`] and disk I/O series [`LABEL_DEVICE`].

use bandwatch_core::{LabelDef, MetricDef, Role, SampleKind, Unit};

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

const CPU: &[&str] = &[LABEL_CPU];
const MOUNT: &[&str] = &[LABEL_MOUNT];
const DISK: &[&str] = &[LABEL_DEVICE];

/// Every metric the system source emits.
pub const ALL: [MetricDef; 17] = [
    MetricDef::gauge(
        SYSTEM_CPU_PERCENT,
        Unit::Percent,
        CPU,
        "bandwatch_cpu_busy_ratio",
        "Share of the last interval the CPU was busy (0-1).",
    )
    .role(Role::CpuPercent),
    MetricDef::gauge(
        SYSTEM_LOAD1,
        Unit::Number,
        &[],
        "bandwatch_load1",
        "One-minute load average.",
    ),
    MetricDef::gauge(
        SYSTEM_LOAD5,
        Unit::Number,
        &[],
        "bandwatch_load5",
        "Five-minute load average.",
    ),
    MetricDef::gauge(
        SYSTEM_LOAD15,
        Unit::Number,
        &[],
        "bandwatch_load15",
        "Fifteen-minute load average.",
    ),
    MetricDef::gauge(
        SYSTEM_MEMORY_TOTAL_BYTES,
        Unit::Bytes,
        &[],
        "bandwatch_memory_total_bytes",
        "Physical memory in bytes.",
    ),
    MetricDef::gauge(
        SYSTEM_MEMORY_AVAILABLE_BYTES,
        Unit::Bytes,
        &[],
        "bandwatch_memory_available_bytes",
        "Memory available for new work without swapping, in bytes.",
    ),
    MetricDef::gauge(
        SYSTEM_MEMORY_USED_PERCENT,
        Unit::Percent,
        &[],
        "bandwatch_memory_used_ratio",
        "Share of memory not available (0-1).",
    )
    .role(Role::MemoryPercent),
    MetricDef::gauge(
        SYSTEM_SWAP_TOTAL_BYTES,
        Unit::Bytes,
        &[],
        "bandwatch_swap_total_bytes",
        "Swap space in bytes.",
    ),
    MetricDef::gauge(
        SYSTEM_SWAP_FREE_BYTES,
        Unit::Bytes,
        &[],
        "bandwatch_swap_free_bytes",
        "Unused swap space in bytes.",
    ),
    MetricDef::gauge(
        SYSTEM_SWAP_USED_PERCENT,
        Unit::Percent,
        &[],
        "bandwatch_swap_used_ratio",
        "Share of swap in use (0-1).",
    ),
    MetricDef::gauge(
        SYSTEM_DISK_USED_PERCENT,
        Unit::Percent,
        MOUNT,
        "bandwatch_filesystem_used_ratio",
        "Share of the filesystem not available to unprivileged users (0-1).",
    )
    .role(Role::DiskPercent),
    MetricDef::gauge(
        SYSTEM_DISK_TOTAL_BYTES,
        Unit::Bytes,
        MOUNT,
        "bandwatch_filesystem_size_bytes",
        "Filesystem size in bytes.",
    ),
    MetricDef::gauge(
        SYSTEM_DISK_AVAILABLE_BYTES,
        Unit::Bytes,
        MOUNT,
        "bandwatch_filesystem_avail_bytes",
        "Filesystem bytes available to unprivileged users.",
    ),
    MetricDef::new(
        SYSTEM_DISK_READ_BYTES,
        SampleKind::Delta,
        Unit::Bytes,
        DISK,
        "bandwatch_disk_read_bytes_total",
        "Bytes read from the disk.",
    ),
    MetricDef::new(
        SYSTEM_DISK_WRITTEN_BYTES,
        SampleKind::Delta,
        Unit::Bytes,
        DISK,
        "bandwatch_disk_written_bytes_total",
        "Bytes written to the disk.",
    ),
    MetricDef::new(
        SYSTEM_DISK_READ_BYTES_PER_SECOND,
        SampleKind::Rate,
        Unit::BytesPerSecond,
        DISK,
        "bandwatch_disk_read_bytes_per_second",
        "Bytes read from the disk per second over the last interval.",
    )
    .derived(SYSTEM_DISK_READ_BYTES, 1.0),
    MetricDef::new(
        SYSTEM_DISK_WRITE_BYTES_PER_SECOND,
        SampleKind::Rate,
        Unit::BytesPerSecond,
        DISK,
        "bandwatch_disk_write_bytes_per_second",
        "Bytes written to the disk per second over the last interval.",
    )
    .derived(SYSTEM_DISK_WRITTEN_BYTES, 1.0),
];

/// The labels of system series, for people and exporters.
pub const LABELS: [LabelDef; 3] = [
    LabelDef {
        name: LABEL_CPU,
        help: "A core number, or `total` for all cores.",
        prometheus: None,
    },
    LabelDef {
        name: LABEL_MOUNT,
        help: "A filesystem's mount point.",
        prometheus: Some("mountpoint"),
    },
    LabelDef {
        name: LABEL_DEVICE,
        // One label name, two meanings by metric family; the catalogue keeps one help per
        // label, so it says both (the devices source declares the same name).
        help: "A whole disk (sda, nvme0n1) for system_disk_* metrics; a LAN device (its name, \
               else its MAC or IP) for device_* metrics.",
        prometheus: None,
    },
];
