//! The accounting: bytes per LAN device, from packets or flows.
//!
//! **Who is a device.** A device is keyed by its hardware address where the capture shows a
//! unicast one (so a laptop that changes IPv4 address or uses IPv6 privacy addresses stays
//! one device), else by its IP address. Only the LAN side of a packet is a device: the MAC
//! used is the source MAC when the LAN host sent the packet and the destination MAC when it
//! received it. (Where the LAN spans routed subnets, hosts behind another router show that
//! router's MAC: list only the directly attached subnets with `lan`, or key by IP.)
//!
//! **What is counted where** (direction from the device's side: `rx` is what it downloaded,
//! `tx` what it uploaded):
//! - LAN → internet: the LAN device's `tx`; internet → LAN: its `rx`.
//! - LAN → LAN, or to a multicast or broadcast group: the sender's `lan_tx` and the receiver's
//!   `lan_rx` (a group has no receiver device); the frame is counted once in
//!   [`Totals::lan`], never as internet usage.
//! - Neither side on the LAN: [`Totals::transit`]. Not IP at all (ARP, LLDP, …):
//!   [`Totals::non_ip`].
//!
//! So for every interval: Σ devices (rx + tx) + other (rx + tx) + lan + non_ip + transit ==
//! observed (a property test below holds it to that).
//!
//! **Bounded.** At most `max_tracked` devices are held. A new device beyond that evicts the
//! least recently seen one; what the evicted device had counted since the last
//! [`Accounting::drain`] moves to the `other` bucket, and [`Drained::evicted`] counts it. The
//! recency order is an intrusive doubly linked list over a slab, so each packet costs one or
//! two hash lookups and a few index writes: no allocation once the table has grown.
//!
//! Keys come from the network, so the table uses a randomly seeded hasher (foldhash's
//! per-instance seed), which a sender of crafted addresses cannot aim collisions at.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use bandwatch_core::Timestamp;

use super::backend::{FlowBytes, Observer};
use super::lan::LanNets;
use super::packet::{Mac, PacketMeta};

/// The default bound on devices held at once.
pub const DEFAULT_MAX_TRACKED: usize = 4096;

/// How many distinct recent addresses a device remembers.
pub const RECENT_IPS: usize = 4;

/// What tells one device from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKey {
    /// Its hardware address (captures with a link header).
    Mac(Mac),
    /// Its IP address (no link header, conntrack, or keying by IP asked for).
    Ip(IpAddr),
}

impl std::fmt::Display for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mac(m) => m.fmt(f),
            Self::Ip(ip) => ip.fmt(f),
        }
    }
}

/// How devices are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Identity {
    /// By MAC where a unicast one is visible, else by IP.
    #[default]
    MacOrIp,
    /// By IP address only (each address is its own device; the MAC last seen is kept).
    Ip,
}

/// Settings of the accounting.
#[derive(Debug, Clone)]
pub struct AccountingConfig {
    /// Which addresses are LAN devices.
    pub lan: LanNets,
    /// The most devices held at once.
    pub max_tracked: usize,
    /// How devices are keyed.
    pub identity: Identity,
}

impl Default for AccountingConfig {
    fn default() -> Self {
        Self {
            lan: LanNets::default(),
            max_tracked: DEFAULT_MAX_TRACKED,
            identity: Identity::default(),
        }
    }
}

/// Bytes of one device (or of the `other` bucket) in one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Downloaded from the internet.
    pub rx: u64,
    /// Uploaded to the internet.
    pub tx: u64,
    /// Received from other LAN hosts.
    pub lan_rx: u64,
    /// Sent to other LAN hosts or LAN groups (multicast, broadcast).
    pub lan_tx: u64,
}

impl Counts {
    /// True when nothing was counted.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// Adds another interval's counts.
    pub fn add(&mut self, o: &Counts) {
        self.rx += o.rx;
        self.tx += o.tx;
        self.lan_rx += o.lan_rx;
        self.lan_tx += o.lan_tx;
    }

    /// Internet bytes in both directions.
    pub fn internet(&self) -> u64 {
        self.rx + self.tx
    }
}

/// Everything observed in one interval, whoever it belonged to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes of every packet and flow reported.
    pub observed: u64,
    /// Packets reported (flow reports are not packets and do not count here).
    pub packets: u64,
    /// Bytes between two LAN hosts or from a LAN host to a group, each frame once.
    pub lan: u64,
    /// Bytes of frames that are not IPv4 or IPv6.
    pub non_ip: u64,
    /// Bytes with no LAN side (neither address on the LAN).
    pub transit: u64,
}

impl Totals {
    /// Adds another interval's totals.
    pub fn add(&mut self, o: &Totals) {
        self.observed += o.observed;
        self.packets += o.packets;
        self.lan += o.lan;
        self.non_ip += o.non_ip;
        self.transit += o.transit;
    }
}

/// The distinct addresses a device used most recently, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecentIps([Option<IpAddr>; RECENT_IPS]);

impl RecentIps {
    /// The newest address.
    pub fn last(&self) -> Option<IpAddr> {
        self.0[0]
    }

    /// Newest first.
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.0.iter().map_while(|ip| *ip)
    }

    pub(crate) fn note(&mut self, ip: IpAddr) {
        if self.0[0] == Some(ip) {
            return;
        }
        // Move it to the front: from where it was, or pushing the oldest out.
        let at = self
            .0
            .iter()
            .position(|x| *x == Some(ip))
            .unwrap_or(RECENT_IPS - 1);
        self.0.copy_within(0..at, 1);
        self.0[0] = Some(ip);
    }
}

/// One device's counts since the previous drain, with what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDelta {
    /// What tells it apart.
    pub key: DeviceKey,
    /// Its hardware address, when one was seen.
    pub mac: Option<Mac>,
    /// Its recent addresses, newest first.
    pub ips: RecentIps,
    /// Bytes since the previous drain.
    pub counts: Counts,
    /// When it was first seen (since it was last admitted to the table).
    pub first_seen: Timestamp,
    /// When it was last seen.
    pub last_seen: Timestamp,
}

impl DeviceDelta {
    /// The address it used last.
    pub fn ip(&self) -> Option<IpAddr> {
        self.ips.last()
    }
}

/// What [`Accounting::drain`] returns: the interval since the previous drain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drained {
    /// Devices that moved bytes in the interval, most recently seen first.
    pub devices: Vec<DeviceDelta>,
    /// Bytes of devices evicted in the interval (and of any device when `max_tracked` is 0).
    pub other: Counts,
    /// Everything observed.
    pub totals: Totals,
    /// Devices evicted in the interval.
    pub evicted: u64,
    /// Devices held now.
    pub tracked: usize,
}

const NIL: u32 = u32::MAX;

struct Slot {
    key: DeviceKey,
    mac: Option<Mac>,
    ips: RecentIps,
    pending: Counts,
    first_seen: Timestamp,
    last_seen: Timestamp,
    /// The drain epoch of its last touch: the list is in recency order, so the devices
    /// touched since the previous drain are exactly the head run with the current epoch.
    epoch: u64,
    prev: u32,
    next: u32,
}

type Hasher = foldhash::fast::RandomState;

/// Per-device byte accounting; see the module documentation.
pub struct Accounting {
    cfg: AccountingConfig,
    index: HashMap<DeviceKey, u32, Hasher>,
    slots: Vec<Slot>,
    head: u32,
    tail: u32,
    epoch: u64,
    now: Timestamp,
    other: Counts,
    totals: Totals,
    evicted: u64,
}

/// Where an address sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// A LAN host.
    Lan,
    /// A group (multicast, broadcast) or no one (unspecified): local, but no device.
    Group,
    /// The internet.
    Wan,
}

/// Which counter of a device a packet adds to.
#[derive(Debug, Clone, Copy)]
enum Dir {
    Rx,
    Tx,
    LanRx,
    LanTx,
}

impl Counts {
    fn bump(&mut self, dir: Dir, n: u64) {
        let c = match dir {
            Dir::Rx => &mut self.rx,
            Dir::Tx => &mut self.tx,
            Dir::LanRx => &mut self.lan_rx,
            Dir::LanTx => &mut self.lan_tx,
        };
        *c += n;
    }
}

/// A MAC that names one device: not a group address, not all zeros (loopback captures).
fn device_mac(mac: Option<Mac>) -> Option<Mac> {
    mac.filter(|m| !m.is_group() && m.0 != [0; 6])
}

impl Accounting {
    /// An empty table.
    pub fn new(cfg: AccountingConfig) -> Self {
        Self {
            cfg,
            index: HashMap::default(),
            slots: Vec::new(),
            head: NIL,
            tail: NIL,
            epoch: 0,
            now: Timestamp(0),
            other: Counts::default(),
            totals: Totals::default(),
            evicted: 0,
        }
    }

    /// The settings it runs with.
    pub fn config(&self) -> &AccountingConfig {
        &self.cfg
    }

    /// Devices held now.
    pub fn tracked(&self) -> usize {
        self.slots.len()
    }

    /// Sets the time stamped on devices seen from now on.
    pub fn set_now(&mut self, wall: Timestamp) {
        self.now = wall;
    }

    fn scope(&self, ip: IpAddr, group_mac: bool) -> Scope {
        let group = match ip {
            IpAddr::V4(a) => a.is_multicast() || a == Ipv4Addr::BROADCAST || a.is_unspecified(),
            IpAddr::V6(a) => a.is_multicast() || a.is_unspecified(),
        };
        if group || group_mac {
            Scope::Group
        } else if self.cfg.lan.contains(ip) {
            Scope::Lan
        } else {
            Scope::Wan
        }
    }

    /// The device on one side of a packet, if that side is one.
    fn side(&self, ip: IpAddr, scope: Scope, mac: Option<Mac>) -> Option<DeviceKey> {
        if self.cfg.identity == Identity::MacOrIp {
            if let Some(m) = device_mac(mac) {
                return Some(DeviceKey::Mac(m));
            }
        }
        (scope == Scope::Lan).then_some(DeviceKey::Ip(ip))
    }

    fn count(&mut self, key: DeviceKey, ip: Option<IpAddr>, mac: Option<Mac>, dir: Dir, n: u64) {
        match self.touch(key) {
            Some(i) => {
                let s = &mut self.slots[i as usize];
                s.pending.bump(dir, n);
                if let Some(ip) = ip.filter(|ip| !ip.is_unspecified()) {
                    s.ips.note(ip);
                }
                if let Some(m) = device_mac(mac) {
                    s.mac = Some(m);
                }
            }
            None => self.other.bump(dir, n),
        }
    }

    /// The slot of `key`, moved to the front of the recency list; admitted (evicting the
    /// least recently seen when full) when new. `None` only when `max_tracked` is 0.
    fn touch(&mut self, key: DeviceKey) -> Option<u32> {
        if let Some(&i) = self.index.get(&key) {
            let s = &mut self.slots[i as usize];
            s.last_seen = self.now;
            s.epoch = self.epoch;
            if self.head != i {
                self.unlink(i);
                self.push_front(i);
            }
            return Some(i);
        }
        let fresh = Slot {
            key,
            mac: None,
            ips: RecentIps::default(),
            pending: Counts::default(),
            first_seen: self.now,
            last_seen: self.now,
            epoch: self.epoch,
            prev: NIL,
            next: NIL,
        };
        let i = if self.slots.len() < self.cfg.max_tracked {
            self.slots.push(fresh);
            (self.slots.len() - 1) as u32
        } else if self.tail == NIL {
            return None;
        } else {
            let i = self.tail;
            self.unlink(i);
            let old = std::mem::replace(&mut self.slots[i as usize], fresh);
            self.index.remove(&old.key);
            self.other.add(&old.pending);
            self.evicted += 1;
            i
        };
        self.index.insert(key, i);
        self.push_front(i);
        Some(i)
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let s = &self.slots[i as usize];
            (s.prev, s.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    fn push_front(&mut self, i: u32) {
        let old = self.head;
        {
            let s = &mut self.slots[i as usize];
            s.prev = NIL;
            s.next = old;
        }
        if old == NIL {
            self.tail = i;
        } else {
            self.slots[old as usize].prev = i;
        }
        self.head = i;
    }

    /// Everything counted since the previous drain; the counts start again from zero.
    pub fn drain(&mut self) -> Drained {
        let mut devices = Vec::new();
        let mut i = self.head;
        while i != NIL {
            let s = &mut self.slots[i as usize];
            if s.epoch != self.epoch {
                break;
            }
            if !s.pending.is_zero() {
                devices.push(DeviceDelta {
                    key: s.key,
                    mac: s.mac,
                    ips: s.ips,
                    counts: std::mem::take(&mut s.pending),
                    first_seen: s.first_seen,
                    last_seen: s.last_seen,
                });
            }
            i = s.next;
        }
        self.epoch += 1;
        Drained {
            devices,
            other: std::mem::take(&mut self.other),
            totals: std::mem::take(&mut self.totals),
            evicted: std::mem::take(&mut self.evicted),
            tracked: self.slots.len(),
        }
    }
}

impl Observer for Accounting {
    fn packet(&mut self, p: &PacketMeta) {
        let n = p.wire_len;
        self.totals.observed += n;
        self.totals.packets += 1;
        let (Some(src), Some(dst)) = (p.src_ip, p.dst_ip) else {
            self.totals.non_ip += n;
            return;
        };
        let s_scope = self.scope(src, false);
        let d_scope = self.scope(dst, p.dst_mac.is_some_and(Mac::is_group));
        match (s_scope, d_scope) {
            (Scope::Lan | Scope::Group, Scope::Lan | Scope::Group) => {
                self.totals.lan += n;
                if let Some(k) = self.side(src, s_scope, p.src_mac) {
                    self.count(k, Some(src), p.src_mac, Dir::LanTx, n);
                }
                if d_scope == Scope::Lan {
                    if let Some(k) = self.side(dst, d_scope, p.dst_mac) {
                        self.count(k, Some(dst), p.dst_mac, Dir::LanRx, n);
                    }
                }
            }
            (Scope::Lan, Scope::Wan) => {
                if let Some(k) = self.side(src, s_scope, p.src_mac) {
                    self.count(k, Some(src), p.src_mac, Dir::Tx, n);
                }
            }
            (Scope::Wan, Scope::Lan) => {
                if let Some(k) = self.side(dst, d_scope, p.dst_mac) {
                    self.count(k, Some(dst), p.dst_mac, Dir::Rx, n);
                }
            }
            _ => self.totals.transit += n,
        }
    }

    fn flow(&mut self, f: &FlowBytes) {
        let n = f.orig_bytes + f.reply_bytes;
        self.totals.observed += n;
        let s_lan = self.scope(f.orig_src, false) == Scope::Lan;
        let d_lan = self.scope(f.orig_dst, false) == Scope::Lan;
        let (src, dst) = (DeviceKey::Ip(f.orig_src), DeviceKey::Ip(f.orig_dst));
        let (s_ip, d_ip) = (Some(f.orig_src), Some(f.orig_dst));
        match (s_lan, d_lan) {
            (true, true) => {
                self.totals.lan += n;
                self.count(src, s_ip, None, Dir::LanTx, f.orig_bytes);
                self.count(src, s_ip, None, Dir::LanRx, f.reply_bytes);
                self.count(dst, d_ip, None, Dir::LanRx, f.orig_bytes);
                self.count(dst, d_ip, None, Dir::LanTx, f.reply_bytes);
            }
            (true, false) => {
                self.count(src, s_ip, None, Dir::Tx, f.orig_bytes);
                self.count(src, s_ip, None, Dir::Rx, f.reply_bytes);
            }
            // A connection opened from the internet to a LAN host (a forwarded port).
            (false, true) => {
                self.count(dst, d_ip, None, Dir::Rx, f.orig_bytes);
                self.count(dst, d_ip, None, Dir::Tx, f.reply_bytes);
            }
            (false, false) => self.totals.transit += n,
        }
    }

    fn at(&mut self, wall: Timestamp) {
        self.now = wall;
    }
}

#[cfg(test)]
mod tests;
