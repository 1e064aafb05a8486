//! Which frames each capture socket counts, so that every frame crossing the watched segment
//! is counted exactly once.
//!
//! - A plain interface (the host's own NIC, a mirror port, a router's LAN bridge listed
//!   alone): both directions (a socket bound to one interface sees each frame once, as
//!   received or as sent).
//! - Ports of a bridge: a frame forwarded from port B to port C is received on B and sent on
//!   C, and a frame the router itself sends into the LAN leaves through the bridge device. So
//!   ports count only what they receive, and the bridge (added when only its ports are
//!   listed) counts only what it sends.
//! - Loopback: each frame is seen as sent and again as received; count it once (received).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::CaptureError;

/// The frames one socket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received and sent frames.
    Both,
    /// Received frames only (bridge ports, loopback).
    IncomingOnly,
    /// Sent frames only (a bridge whose ports are captured too).
    OutgoingOnly,
}

impl Direction {
    /// Whether a frame of this `sll_pkttype` is counted.
    pub fn counts(self, pkttype: u8) -> bool {
        let outgoing = pkttype == super::block::PACKET_OUTGOING;
        match self {
            Self::Both => true,
            Self::IncomingOnly => !outgoing,
            Self::OutgoingOnly => outgoing,
        }
    }
}

/// What the plan needs to know of the interfaces (sysfs on a real machine).
pub trait Topology {
    /// The interface's index, or `None` when it does not exist.
    fn ifindex(&self, name: &str) -> Option<u32>;
    /// The bridge this interface is a port of, if any.
    fn bridge_of(&self, name: &str) -> Option<String>;
    /// Whether this is the loopback interface.
    fn is_loopback(&self, name: &str) -> bool;
}

/// One socket to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tap {
    /// The interface's name.
    pub interface: String,
    /// Its index, for `bind`.
    pub ifindex: u32,
    /// What it counts.
    pub direction: Direction,
}

/// The sockets that count every frame on `interfaces` once (see the module's text).
pub fn plan(interfaces: &[String], topo: &dyn Topology) -> Result<Vec<Tap>, CaptureError> {
    if interfaces.is_empty() {
        return Err(CaptureError::NoInterfaces);
    }
    let mut chosen: BTreeMap<String, Direction> = BTreeMap::new();
    for name in interfaces {
        if topo.ifindex(name).is_none() {
            return Err(CaptureError::NoSuchInterface { name: name.clone() });
        }
        let dir = if topo.is_loopback(name) {
            Direction::IncomingOnly
        } else if let Some(bridge) = topo.bridge_of(name) {
            chosen.insert(bridge, Direction::OutgoingOnly);
            Direction::IncomingOnly
        } else {
            Direction::Both
        };
        // A bridge already marked (one of its ports came first) stays outgoing-only.
        chosen.entry(name.clone()).or_insert(dir);
    }
    chosen
        .into_iter()
        .map(|(interface, direction)| {
            let ifindex =
                topo.ifindex(&interface)
                    .ok_or_else(|| CaptureError::NoSuchInterface {
                        name: interface.clone(),
                    })?;
            Ok(Tap {
                interface,
                ifindex,
                direction,
            })
        })
        .collect()
}

/// The machine's interfaces as `/sys/class/net` shows them (of the current network
/// namespace).
#[derive(Debug, Clone)]
pub struct SysTopology {
    root: PathBuf,
}

impl SysTopology {
    /// Reads `<sys_root>/class/net` (`sys_root` is normally `/sys`).
    pub fn new(sys_root: &Path) -> Self {
        Self {
            root: sys_root.join("class/net"),
        }
    }
}

impl Topology for SysTopology {
    fn ifindex(&self, name: &str) -> Option<u32> {
        // Names with a slash or dots could leave the directory; no interface has them.
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return None;
        }
        std::fs::read_to_string(self.root.join(name).join("ifindex"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn bridge_of(&self, name: &str) -> Option<String> {
        let port = self.root.join(name).join("brport");
        let target = std::fs::read_link(port.join("bridge")).ok()?;
        Some(target.file_name()?.to_string_lossy().into_owned())
    }

    fn is_loopback(&self, name: &str) -> bool {
        // ARPHRD_LOOPBACK
        std::fs::read_to_string(self.root.join(name).join("type")).is_ok_and(|t| t.trim() == "772")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;
    impl Topology for Fake {
        fn ifindex(&self, name: &str) -> Option<u32> {
            ["lo", "br-lan", "lan1", "lan2", "wlan0", "eth0"]
                .iter()
                .position(|n| *n == name)
                .map(|i| i as u32 + 1)
        }
        fn bridge_of(&self, name: &str) -> Option<String> {
            matches!(name, "lan1" | "lan2" | "wlan0").then(|| "br-lan".to_owned())
        }
        fn is_loopback(&self, name: &str) -> bool {
            name == "lo"
        }
    }

    fn dirs(names: &[&str]) -> Vec<(String, Direction)> {
        let names: Vec<String> = names.iter().map(|s| (*s).to_owned()).collect();
        plan(&names, &Fake)
            .expect("plan")
            .into_iter()
            .map(|t| (t.interface, t.direction))
            .collect()
    }

    #[test]
    fn a_bridge_or_a_plain_interface_alone_counts_both_directions() {
        assert_eq!(dirs(&["br-lan"]), [("br-lan".into(), Direction::Both)]);
        assert_eq!(dirs(&["eth0"]), [("eth0".into(), Direction::Both)]);
        assert_eq!(dirs(&["lo"]), [("lo".into(), Direction::IncomingOnly)]);
    }

    #[test]
    fn ports_count_what_they_receive_and_the_bridge_what_it_sends() {
        let want = [
            ("br-lan".into(), Direction::OutgoingOnly),
            ("lan1".into(), Direction::IncomingOnly),
            ("lan2".into(), Direction::IncomingOnly),
        ];
        assert_eq!(dirs(&["lan1", "lan2"]), want);
        assert_eq!(dirs(&["br-lan", "lan1", "lan2"]), want);
        assert_eq!(dirs(&["lan2", "br-lan", "lan1", "lan1"]), want);
    }

    #[test]
    fn an_unknown_interface_is_named() {
        let err = plan(&["lan9".to_owned()], &Fake).expect_err("no lan9");
        assert!(err.to_string().contains("'lan9'"), "{err}");
        assert!(matches!(plan(&[], &Fake), Err(CaptureError::NoInterfaces)));
    }

    #[test]
    fn direction_filters_by_packet_type() {
        assert!(Direction::Both.counts(4) && Direction::Both.counts(0));
        assert!(Direction::IncomingOnly.counts(3) && !Direction::IncomingOnly.counts(4));
        assert!(Direction::OutgoingOnly.counts(4) && !Direction::OutgoingOnly.counts(0));
    }
}
