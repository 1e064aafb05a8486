//! The snapshot `bandwatch stats` prints: built from one system frame and one netdev frame,
//! rendered as text or serialised as JSON.

use std::fmt::Write as _;

use bandwatch_collect::netdev::metric as net;
use bandwatch_collect::system::metric as sys;
use bandwatch_core::{Frame, Unit};
use serde::Serialize;

use super::history::{History, TargetState};

/// The whole `bandwatch stats` answer. As JSON (`--json`) it is one object:
///
/// ```text
/// {
///   "ts": "2026-11-21T13:40:00.000Z",           // time of the second reading
///   "interval_seconds": 1.0,                     // time between the two readings
///   "cpu": { "total_percent": 12.5, "cores": [{ "cpu": "0", "percent": 10.0 }, …] },
///   "load": { "load1": 0.5, "load5": 0.4, "load15": 0.3 },
///   "memory": { "total_bytes": …, "available_bytes": …, "used_percent": … },
///   "swap": { "total_bytes": …, "free_bytes": …, "used_percent": … },
///   "filesystems": [{ "mount": "/", "used_percent": …, "total_bytes": …, "available_bytes": … }],
///   "disks": [{ "device": "sda", "read_bytes_per_second": …, "write_bytes_per_second": … }],
///   "interfaces": [{ "iface": "eth0", "rx_bits_per_second": …, "tx_bits_per_second": …, "up": true,
///                    "mtu": 1500 }],
///   "history": { "database": "/var/lib/bandwatch/history.db", "available": true },
///   "targets": [{ "name": "router", "spec": "192.168.1.1", "up": true,
///                 "last_seen": "…", "rtt_avg_ms": 1.2, "loss_percent": 0.0,
///                 "uptime_percent": { "1h": 100.0, "24h": 99.5, "7d": 99.9 } }]
///   // `last_seen`: when the target last answered (`null`: never); `spec` is `null` for a
///   // target no longer configured that the last week of history still holds
/// }
/// ```
///
/// A value that could not be read is `null` (a part of /proc missing, no swap, no history
/// for a target); lists are empty rather than absent.
#[derive(Debug, Serialize)]
pub struct Snapshot {
    /// Time of the second reading, RFC 3339.
    pub ts: String,
    /// Seconds between the two readings.
    pub interval_seconds: f64,
    /// CPU busy shares.
    pub cpu: Cpu,
    /// Load averages.
    pub load: Load,
    /// Physical memory.
    pub memory: Memory,
    /// Swap space.
    pub swap: Swap,
    /// Mounted filesystems, in mount order.
    pub filesystems: Vec<Filesystem>,
    /// Whole disks and their I/O rates.
    pub disks: Vec<Disk>,
    /// Network interfaces and their rates.
    pub interfaces: Vec<Interface>,
    /// Where the probe history comes from.
    pub history: History,
    /// Each configured probe target's last known state, then those of targets only the last
    /// week of history holds (empty without history).
    pub targets: Vec<TargetState>,
}

/// CPU busy shares over the interval.
#[derive(Debug, Default, Serialize)]
pub struct Cpu {
    /// All cores together, 0–100.
    pub total_percent: Option<f64>,
    /// Each core, in the kernel's order.
    pub cores: Vec<Core>,
}

/// One core's busy share.
#[derive(Debug, Serialize)]
pub struct Core {
    /// The core number as the kernel names it.
    pub cpu: String,
    /// Busy share, 0–100.
    pub percent: f64,
}

/// Load averages.
#[derive(Debug, Default, Serialize)]
pub struct Load {
    /// One minute.
    pub load1: Option<f64>,
    /// Five minutes.
    pub load5: Option<f64>,
    /// Fifteen minutes.
    pub load15: Option<f64>,
}

/// Physical memory.
#[derive(Debug, Default, Serialize)]
pub struct Memory {
    /// Size in bytes.
    pub total_bytes: Option<f64>,
    /// Available for new work, bytes.
    pub available_bytes: Option<f64>,
    /// Share not available, 0–100.
    pub used_percent: Option<f64>,
}

/// Swap space.
#[derive(Debug, Default, Serialize)]
pub struct Swap {
    /// Size in bytes (0 without swap).
    pub total_bytes: Option<f64>,
    /// Unused, bytes.
    pub free_bytes: Option<f64>,
    /// Share in use, 0–100 (`null` without swap).
    pub used_percent: Option<f64>,
}

/// One mounted filesystem.
#[derive(Debug, Serialize)]
pub struct Filesystem {
    /// Mount point.
    pub mount: String,
    /// Share not available to unprivileged users, 0–100.
    pub used_percent: Option<f64>,
    /// Size in bytes.
    pub total_bytes: Option<f64>,
    /// Available to unprivileged users, bytes.
    pub available_bytes: Option<f64>,
}

/// One whole disk.
#[derive(Debug, Serialize)]
pub struct Disk {
    /// Kernel name (`sda`, `nvme0n1`).
    pub device: String,
    /// Bytes read per second over the interval.
    pub read_bytes_per_second: Option<f64>,
    /// Bytes written per second over the interval.
    pub write_bytes_per_second: Option<f64>,
}

/// One network interface.
#[derive(Debug, Serialize)]
pub struct Interface {
    /// Interface name.
    pub iface: String,
    /// Receive rate, bits per second.
    pub rx_bits_per_second: Option<f64>,
    /// Transmit rate, bits per second.
    pub tx_bits_per_second: Option<f64>,
    /// Whether the link is up (`null` when unknown).
    pub up: Option<bool>,
    /// The MTU in bytes (`null` when sysfs does not say).
    pub mtu: Option<u64>,
}

/// The value of the label-less series `metric` in `frame`.
fn plain(frame: Option<&Frame>, metric: &str) -> Option<f64> {
    frame?
        .samples
        .iter()
        .find(|s| s.series.metric == metric && s.series.labels.is_empty())
        .map(|s| s.value)
}

/// The distinct values of `label` on series of `metric`, in frame order.
fn label_values(frame: Option<&Frame>, metric: &str, label: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in frame.iter().flat_map(|f| &f.samples) {
        if s.series.metric != metric {
            continue;
        }
        if let Some(v) = s.series.labels.get(label) {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
    }
    out
}

fn labelled(frame: Option<&Frame>, metric: &str, label: &str, value: &str) -> Option<f64> {
    frame?.find(metric, label, value)
}

impl Snapshot {
    /// The snapshot of a system frame and a netdev frame (either may be missing).
    pub fn from_frames(
        system: Option<&Frame>,
        netdev: Option<&Frame>,
        history: History,
        targets: Vec<TargetState>,
    ) -> Self {
        let latest = [system, netdev].into_iter().flatten().max_by_key(|f| f.ts);
        let cpu_ids = label_values(system, sys::SYSTEM_CPU_PERCENT, sys::LABEL_CPU);
        let cpu = Cpu {
            total_percent: labelled(
                system,
                sys::SYSTEM_CPU_PERCENT,
                sys::LABEL_CPU,
                sys::CPU_TOTAL,
            ),
            cores: cpu_ids
                .into_iter()
                .filter(|c| c != sys::CPU_TOTAL)
                .filter_map(|c| {
                    let percent = labelled(system, sys::SYSTEM_CPU_PERCENT, sys::LABEL_CPU, &c)?;
                    Some(Core { cpu: c, percent })
                })
                .collect(),
        };
        Self {
            ts: latest.map_or_else(String::new, |f| f.ts.to_rfc3339()),
            interval_seconds: latest.map_or(0.0, |f| f.elapsed.0),
            cpu,
            load: Load {
                load1: plain(system, sys::SYSTEM_LOAD1),
                load5: plain(system, sys::SYSTEM_LOAD5),
                load15: plain(system, sys::SYSTEM_LOAD15),
            },
            memory: Memory {
                total_bytes: plain(system, sys::SYSTEM_MEMORY_TOTAL_BYTES),
                available_bytes: plain(system, sys::SYSTEM_MEMORY_AVAILABLE_BYTES),
                used_percent: plain(system, sys::SYSTEM_MEMORY_USED_PERCENT),
            },
            swap: Swap {
                total_bytes: plain(system, sys::SYSTEM_SWAP_TOTAL_BYTES),
                free_bytes: plain(system, sys::SYSTEM_SWAP_FREE_BYTES),
                used_percent: plain(system, sys::SYSTEM_SWAP_USED_PERCENT),
            },
            filesystems: filesystems(system),
            disks: disks(system),
            interfaces: interfaces(netdev),
            history,
            targets,
        }
    }

    /// The report for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_system(&mut out);
        self.render_network(&mut out);
        self.render_targets(&mut out);
        out
    }

    fn render_system(&self, out: &mut String) {
        let _ = writeln!(out, "CPU      {}", percent(self.cpu.total_percent));
        if !self.cpu.cores.is_empty() {
            let cores: Vec<String> = self
                .cpu
                .cores
                .iter()
                // Whole percents keep the strip of many cores on one line.
                .map(|c| format!("{}:{:.0}%", name(&c.cpu), c.percent))
                .collect();
            let _ = writeln!(out, "  cores  {}", cores.join(" "));
        }
        let load = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
        let _ = writeln!(
            out,
            "Load     {} {} {} (1, 5, 15 min)",
            load(self.load.load1),
            load(self.load.load5),
            load(self.load.load15)
        );
        let _ = writeln!(
            out,
            "Memory   {} used, {} available of {}",
            percent(self.memory.used_percent),
            bytes(self.memory.available_bytes),
            bytes(self.memory.total_bytes)
        );
        match self.swap.total_bytes {
            Some(t) if t > 0.0 => {
                let _ = writeln!(
                    out,
                    "Swap     {} used of {}",
                    percent(self.swap.used_percent),
                    bytes(Some(t))
                );
            }
            Some(_) => out.push_str("Swap     none\n"),
            None => out.push_str("Swap     -\n"),
        }
        if !self.filesystems.is_empty() {
            out.push_str("Filesystems\n");
        }
        for f in &self.filesystems {
            let _ = writeln!(
                out,
                "  {:<24} {:>6} used, {} free of {}",
                name(&f.mount),
                percent(f.used_percent),
                bytes(f.available_bytes),
                bytes(f.total_bytes)
            );
        }
        if !self.disks.is_empty() {
            out.push_str("Disks\n");
        }
        for d in &self.disks {
            let _ = writeln!(
                out,
                "  {:<12} read {:>12}  write {:>12}",
                name(&d.device),
                byte_rate(d.read_bytes_per_second),
                byte_rate(d.write_bytes_per_second)
            );
        }
    }

    fn render_network(&self, out: &mut String) {
        out.push_str("Interfaces\n");
        if self.interfaces.is_empty() {
            out.push_str("  none found\n");
        }
        for i in &self.interfaces {
            let state = match i.up {
                Some(true) => "up",
                Some(false) => "down",
                None => "",
            };
            let mtu = i.mtu.map_or_else(|| "-".to_string(), |m| m.to_string());
            let line = format!(
                "  {:<12} rx {:>12}  tx {:>12}  mtu {mtu:>5}  {state}",
                name(&i.iface),
                bit_rate(i.rx_bits_per_second),
                bit_rate(i.tx_bits_per_second)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    fn render_targets(&self, out: &mut String) {
        if !self.history.available {
            let _ = writeln!(
                out,
                "Targets  no history database at {} (start `bandwatch run` to record probes)",
                name(&self.history.database)
            );
            return;
        }
        if self.targets.is_empty() {
            out.push_str("Targets  none configured, none in the last week of history\n");
            return;
        }
        out.push_str("Targets\n");
        let _ = writeln!(
            out,
            "  {:<24} {:<6} {:>9} {:>6} {:>8} {:>8} {:>8}  LAST SEEN",
            "NAME", "STATE", "RTT", "LOSS", "UP 1h", "UP 24h", "UP 7d"
        );
        for t in &self.targets {
            let _ = writeln!(out, "  {}", t.row());
        }
    }
}

fn filesystems(system: Option<&Frame>) -> Vec<Filesystem> {
    label_values(system, sys::SYSTEM_DISK_USED_PERCENT, sys::LABEL_MOUNT)
        .into_iter()
        .map(|m| Filesystem {
            used_percent: labelled(system, sys::SYSTEM_DISK_USED_PERCENT, sys::LABEL_MOUNT, &m),
            total_bytes: labelled(system, sys::SYSTEM_DISK_TOTAL_BYTES, sys::LABEL_MOUNT, &m),
            available_bytes: labelled(
                system,
                sys::SYSTEM_DISK_AVAILABLE_BYTES,
                sys::LABEL_MOUNT,
                &m,
            ),
            mount: m,
        })
        .collect()
}

fn disks(system: Option<&Frame>) -> Vec<Disk> {
    let rate = |metric: &str, d: &str| labelled(system, metric, sys::LABEL_DEVICE, d);
    label_values(
        system,
        sys::SYSTEM_DISK_READ_BYTES_PER_SECOND,
        sys::LABEL_DEVICE,
    )
    .into_iter()
    .map(|d| Disk {
        read_bytes_per_second: rate(sys::SYSTEM_DISK_READ_BYTES_PER_SECOND, &d),
        write_bytes_per_second: rate(sys::SYSTEM_DISK_WRITE_BYTES_PER_SECOND, &d),
        device: d,
    })
    .collect()
}

fn interfaces(netdev: Option<&Frame>) -> Vec<Interface> {
    let value = |metric: &str, i: &str| labelled(netdev, metric, net::LABEL_IFACE, i);
    label_values(netdev, net::NET_RX_BYTES, net::LABEL_IFACE)
        .into_iter()
        .map(|i| Interface {
            rx_bits_per_second: value(net::NET_RX_BITS_PER_SECOND, &i),
            tx_bits_per_second: value(net::NET_TX_BITS_PER_SECOND, &i),
            up: value(net::NET_UP, &i).map(|v| v > 0.5),
            mtu: value(net::NET_MTU_BYTES, &i).and_then(whole),
            iface: i,
        })
        .collect()
}

/// A count held as a float, as the integer it is.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked: whole, in range
fn whole(v: f64) -> Option<u64> {
    (v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53)).then_some(v as u64)
}

/// A value in `unit` as people read it (the one formatter), or `-` when unknown.
fn human(unit: Unit, v: Option<f64>) -> String {
    v.map_or_else(
        || "-".to_string(),
        |v| bandwatch_core::human::format(unit, v),
    )
}

/// `12.5%`, or `-` when unknown.
pub fn percent(v: Option<f64>) -> String {
    human(Unit::Percent, v)
}

/// A size in binary units: `512 B`, `1.50 KiB`, `3.00 GiB`.
pub fn bytes(v: Option<f64>) -> String {
    human(Unit::Bytes, v)
}

/// A byte rate in binary units per second.
pub fn byte_rate(v: Option<f64>) -> String {
    human(Unit::BytesPerSecond, v)
}

/// A bit rate in decimal units: `800 bps`, `12.35 Mbps`.
pub fn bit_rate(v: Option<f64>) -> String {
    human(Unit::BitsPerSecond, v)
}

/// A name from the kernel or the configuration, made safe to print.
fn name(text: &str) -> std::borrow::Cow<'_, str> {
    bandwatch_core::human::escape_control(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_like_people_write_them() {
        assert_eq!(bytes(Some(512.0)), "512 B");
        assert_eq!(bytes(Some(1536.0)), "1.50 KiB");
        assert_eq!(bytes(Some(3.0 * 1024.0 * 1024.0 * 1024.0)), "3.00 GiB");
        assert_eq!(bit_rate(Some(800.0)), "800 bps");
        assert_eq!(bit_rate(Some(12_345_678.0)), "12.35 Mbps");
        assert_eq!(byte_rate(Some(2048.0)), "2.00 KiB/s");
        assert_eq!(percent(Some(12.5)), "12.5%");
        assert_eq!(percent(None), "-");
    }
}
