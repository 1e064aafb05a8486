//! The names devices carry in their `device` label: the registry's name (looked up by MAC,
//! then by each recent IP), else the hostname the device gave the DHCP server (dnsmasq's
//! leases file, read again whenever it changes), else its MAC, else its IP. The neighbour
//! table (`/proc/net/arp`) gives the MAC of a device known only by its IP (conntrack), so
//! such a device still finds its registry entry or lease by hardware address.
//!
//! A registered device is labelled exactly as the built-in rules' limit tables key it
//! ([`label`]), so its own `bandwidth_threshold` and `max_active_time` apply.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::account::DeviceDelta;
use super::names::{parse_arp, parse_leases};
use super::packet::Mac;
use super::registry::Registry;
use super::source::Namer;
use crate::fs::FileSystem;

/// How often the neighbour table is read again (it changes slowly; a device new to it is
/// labelled by its IP until then).
const NEIGHBOURS_EVERY: Duration = Duration::from_secs(30);

/// The `device` label of a registered device: its name, else its MAC, else its IP.
pub fn label(name: Option<&str>, mac: Option<Mac>, ip: Option<IpAddr>) -> String {
    name.map(str::to_string)
        .or_else(|| mac.map(|m| m.to_string()))
        .or_else(|| ip.map(|a| a.to_string()))
        .unwrap_or_default()
}

/// Names from the registry, the leases file and the neighbour table.
pub struct SystemNamer {
    registry: Registry,
    fs: Box<dyn FileSystem>,
    leases_path: Option<PathBuf>,
    leases_changed: Option<SystemTime>,
    by_mac: HashMap<Mac, String>,
    by_ip: HashMap<IpAddr, String>,
    arp_path: PathBuf,
    neighbours: HashMap<IpAddr, Mac>,
    neighbours_at: Option<Duration>,
}

impl std::fmt::Debug for SystemNamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemNamer")
            .field("leases", &self.leases_path)
            .finish_non_exhaustive()
    }
}

impl SystemNamer {
    /// Names from `registry`, the dnsmasq leases at `leases` (if any) and the neighbour
    /// table under `proc_root`, read through `fs`. Pass a file system that opens each file
    /// afresh: dnsmasq replaces its leases file rather than rewriting it.
    pub fn new(
        registry: Registry,
        leases: Option<PathBuf>,
        proc_root: &Path,
        fs: Box<dyn FileSystem>,
    ) -> Self {
        Self {
            registry,
            fs,
            leases_path: leases,
            leases_changed: None,
            by_mac: HashMap::new(),
            by_ip: HashMap::new(),
            arp_path: proc_root.join("net/arp"),
            neighbours: HashMap::new(),
            neighbours_at: None,
        }
    }

    fn read_leases(&mut self) {
        let Some(path) = &self.leases_path else {
            return;
        };
        let changed = self.fs.modified(path).ok().flatten();
        if changed.is_some() && changed == self.leases_changed {
            return;
        }
        self.leases_changed = changed;
        self.by_mac.clear();
        self.by_ip.clear();
        // A missing or unreadable file names nobody; it may appear later.
        let Ok(text) = self.fs.read_to_string(path) else {
            return;
        };
        for lease in parse_leases(&text) {
            let Some(host) = lease.hostname else {
                continue;
            };
            if let Some(mac) = lease.mac {
                self.by_mac.insert(mac, host.clone());
            }
            self.by_ip.insert(lease.ip, host);
        }
    }

    fn read_neighbours(&mut self, now: Duration) {
        if self
            .neighbours_at
            .is_some_and(|at| now.saturating_sub(at) < NEIGHBOURS_EVERY)
        {
            return;
        }
        self.neighbours_at = Some(now);
        if let Ok(text) = self.fs.read_to_string(&self.arp_path) {
            self.neighbours = parse_arp(&text)
                .into_iter()
                .map(|n| (n.ip, n.mac))
                .collect();
        }
    }
}

impl Namer for SystemNamer {
    fn refresh(&mut self, now: Duration) {
        self.read_leases();
        self.read_neighbours(now);
    }

    fn name(&self, d: &DeviceDelta) -> Option<String> {
        let mac = d.mac.or_else(|| {
            d.ips
                .iter()
                .find_map(|ip| self.neighbours.get(&ip).copied())
        });
        let known = mac
            .and_then(|m| self.registry.lookup(Some(m), None))
            .or_else(|| {
                d.ips
                    .iter()
                    .find_map(|ip| self.registry.lookup(None, Some(ip)))
            });
        if let Some(k) = known {
            return Some(label(k.name.as_deref(), k.mac, k.ip));
        }
        mac.and_then(|m| self.by_mac.get(&m))
            .or_else(|| d.ips.iter().find_map(|ip| self.by_ip.get(&ip)))
            .cloned()
            .or_else(|| mac.map(|m| m.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use bandwatch_core::Timestamp;

    use super::*;
    use crate::devices::account::{Counts, DeviceKey, RecentIps};
    use crate::fs::FakeFs;

    fn delta(mac: Option<Mac>, ip: &str) -> DeviceDelta {
        let ip: IpAddr = ip.parse().unwrap();
        let mut ips = RecentIps::default();
        ips.note(ip);
        DeviceDelta {
            key: mac.map_or(DeviceKey::Ip(ip), DeviceKey::Mac),
            mac,
            ips,
            counts: Counts::default(),
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
        }
    }

    const M1: Mac = Mac([2, 0, 0, 0, 0, 1]);
    const M2: Mac = Mac([2, 0, 0, 0, 0, 2]);
    const M3: Mac = Mac([2, 0, 0, 0, 0, 3]);

    fn namer(fs: &FakeFs) -> SystemNamer {
        let registry = Registry::from_json(
            r#"{ "unknown": { "bandwidth_threshold": 1 },
                 "192.168.1.5": { "name": "Laptop", "bandwidth_threshold": 5 },
                 "02:00:00:00:00:03": { "bandwidth_threshold": 7 } }"#,
        )
        .unwrap();
        SystemNamer::new(
            registry,
            Some("/leases".into()),
            Path::new("/proc"),
            Box::new(fs.clone()),
        )
    }

    #[test]
    fn registry_then_lease_then_mac_then_ip() {
        let fs = FakeFs::new();
        fs.set(
            "/leases",
            "1900000000 02:00:00:00:00:02 192.168.1.6 phone *\n1900000000 02:00:00:00:00:09 192.168.1.9 * *\n",
        );
        fs.set(
            "/proc/net/arp",
            "IP address       HW type     Flags       HW address            Mask     Device\n192.168.1.7      0x1         0x2         02:00:00:00:00:02     *        br-lan\n",
        );
        let mut n = namer(&fs);
        n.refresh(Duration::ZERO);
        assert_eq!(
            n.name(&delta(Some(M1), "192.168.1.5")).as_deref(),
            Some("Laptop")
        );
        assert_eq!(
            n.name(&delta(Some(M2), "192.168.1.6")).as_deref(),
            Some("phone")
        );
        // No name in the registry: labelled as the rules' limit tables key it (its MAC).
        assert_eq!(
            n.name(&delta(Some(M3), "192.168.1.8")).as_deref(),
            Some("02:00:00:00:00:03")
        );
        assert_eq!(
            n.name(&delta(Some(Mac([2, 0, 0, 0, 0, 4])), "192.168.1.10"))
                .as_deref(),
            Some("02:00:00:00:00:04")
        );
        assert_eq!(
            n.name(&delta(None, "192.168.1.11")),
            None,
            "the source uses the IP"
        );
        // Known only by IP (conntrack): the neighbour table gives the MAC, the lease the name.
        assert_eq!(
            n.name(&delta(None, "192.168.1.7")).as_deref(),
            Some("phone")
        );
        assert_eq!(
            label(None, None, Some("10.0.0.1".parse().unwrap())),
            "10.0.0.1"
        );
    }

    #[test]
    fn a_changed_leases_file_is_read_again() {
        let fs = FakeFs::new();
        let mut n = namer(&fs);
        n.refresh(Duration::ZERO);
        assert_eq!(
            n.name(&delta(Some(M2), "192.168.1.6")).as_deref(),
            Some("02:00:00:00:00:02")
        );
        fs.set("/leases", "0 02:00:00:00:00:02 192.168.1.6 tablet *\n");
        n.refresh(Duration::from_secs(1));
        assert_eq!(
            n.name(&delta(Some(M2), "192.168.1.6")).as_deref(),
            Some("tablet")
        );
    }

    #[test]
    fn the_real_file_system_reports_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leases");
        std::fs::write(&path, "0 02:00:00:00:00:02 192.168.1.6 one *\n").unwrap();
        let mut n = SystemNamer::new(
            Registry::default(),
            Some(path.clone()),
            dir.path(),
            Box::new(crate::RealFs),
        );
        n.refresh(Duration::ZERO);
        assert_eq!(
            n.name(&delta(Some(M2), "192.168.1.6")).as_deref(),
            Some("one")
        );
        // dnsmasq writes a new file and renames it over the old one.
        let tmp = dir.path().join("leases.new");
        std::fs::write(&tmp, "0 02:00:00:00:00:02 192.168.1.6 two *\n").unwrap();
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&tmp)
            .unwrap()
            .set_modified(later)
            .unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        n.refresh(Duration::from_secs(1));
        assert_eq!(
            n.name(&delta(Some(M2), "192.168.1.6")).as_deref(),
            Some("two")
        );
    }
}
