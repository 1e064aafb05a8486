//! The last counters of every connection, so each poll reports exact byte deltas.
//!
//! A dump gives every live connection's running totals: the delta is the total minus what was
//! last reported. A destroy event gives a connection's final totals: the delta is the rest,
//! and the connection is marked dead (kept a few polls so a dump that still lists it, or an
//! event seen twice, adds nothing). Connections that neither a dump nor an event mentions for
//! `evict_after` polls are forgotten, which bounds the table by the kernel's own
//! (`nf_conntrack_max`) plus a few polls of churn.

use std::collections::HashMap;
use std::net::IpAddr;

use super::msg::{Entry, Tuple};
use crate::devices::backend::FlowBytes;

/// What identifies one connection across polls: the kernel's id plus its original tuple
/// and zone (ids are hashes and may repeat for different connections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    id: u32,
    zone: u16,
    orig: Tuple,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    orig_bytes: u64,
    reply_bytes: u64,
    last_poll: u64,
    dead: bool,
}

/// Per-connection counters between polls.
#[derive(Debug)]
pub struct FlowTable {
    flows: HashMap<Key, Seen>,
    poll: u64,
    evict_after: u64,
}

/// The two ends of a connection that accounting cares about: who opened it (before source
/// NAT) and who answered (after destination NAT: the reply tuple's source, which for a port
/// forward is the LAN server, not the router's public address).
fn ends(e: &Entry) -> (IpAddr, IpAddr) {
    (e.orig.src, e.reply.src)
}

fn delta(now: u64, before: u64) -> u64 {
    // Counters only grow; a smaller total means another tool zeroed them (conntrack -Z),
    // and everything counted since is new.
    if now >= before {
        now - before
    } else {
        now
    }
}

impl FlowTable {
    /// An empty table forgetting connections unseen for `evict_after` polls (at least 2: a
    /// destroy event can arrive one poll after the last dump that listed its connection).
    pub fn new(evict_after: u64) -> Self {
        Self {
            flows: HashMap::new(),
            poll: 0,
            evict_after: evict_after.max(2),
        }
    }

    /// Starts a new poll: forgets connections unseen for too long.
    pub fn begin_poll(&mut self) {
        self.poll += 1;
        let (poll, keep) = (self.poll, self.evict_after);
        self.flows.retain(|_, s| poll - s.last_poll < keep);
    }

    /// Connections held.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Takes an entry of a dump (or a new/update event); returns its bytes since the last
    /// report, or `None` when it has no counters or nothing new.
    pub fn update(&mut self, e: &Entry) -> Option<FlowBytes> {
        self.account(e, false)
    }

    /// Takes a destroy event; returns the connection's bytes not yet reported.
    pub fn destroyed(&mut self, e: &Entry) -> Option<FlowBytes> {
        self.account(e, true)
    }

    fn account(&mut self, e: &Entry, dying: bool) -> Option<FlowBytes> {
        let (Some(ob), Some(rb)) = (e.orig_bytes, e.reply_bytes) else {
            return None;
        };
        let key = Key {
            id: e.id,
            zone: e.zone,
            orig: e.orig,
        };
        let poll = self.poll;
        let seen = self.flows.entry(key).or_insert(Seen {
            orig_bytes: 0,
            reply_bytes: 0,
            last_poll: poll,
            dead: false,
        });
        // A dead connection listed again with smaller totals is a new one reusing the key.
        if seen.dead && (ob < seen.orig_bytes || rb < seen.reply_bytes) {
            *seen = Seen {
                orig_bytes: 0,
                reply_bytes: 0,
                last_poll: poll,
                dead: false,
            };
        }
        let d_orig = delta(ob, seen.orig_bytes);
        let d_reply = delta(rb, seen.reply_bytes);
        seen.orig_bytes = ob;
        seen.reply_bytes = rb;
        seen.last_poll = poll;
        seen.dead |= dying;
        if d_orig == 0 && d_reply == 0 {
            return None;
        }
        let (orig_src, orig_dst) = ends(e);
        Some(FlowBytes {
            orig_src,
            orig_dst,
            orig_bytes: d_orig,
            reply_bytes: d_reply,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32, port: u16, ob: u64, rb: u64) -> Entry {
        let t = |s: &str, d: &str| Tuple {
            src: s.parse().unwrap(),
            dst: d.parse().unwrap(),
            proto: 6,
            src_port: port,
            dst_port: 443,
        };
        Entry {
            id,
            zone: 0,
            orig: t("10.0.0.5", "1.2.3.4"),
            reply: t("1.2.3.4", "203.0.113.1"),
            orig_bytes: Some(ob),
            reply_bytes: Some(rb),
        }
    }

    fn bytes(f: Option<FlowBytes>) -> (u64, u64) {
        f.map_or((0, 0), |f| (f.orig_bytes, f.reply_bytes))
    }

    #[test]
    fn dumps_report_what_grew_since_the_last_one() {
        let mut t = FlowTable::new(3);
        t.begin_poll();
        assert_eq!(bytes(t.update(&entry(1, 1, 100, 1000))), (100, 1000));
        t.begin_poll();
        assert_eq!(bytes(t.update(&entry(1, 1, 150, 1000))), (50, 0));
        t.begin_poll();
        assert_eq!(t.update(&entry(1, 1, 150, 1000)), None);
        let f = t.update(&entry(2, 2, 5, 6)).expect("new flow");
        assert_eq!(f.orig_src, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(f.orig_dst, "1.2.3.4".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn a_destroy_event_reports_the_rest_once() {
        let mut t = FlowTable::new(3);
        t.begin_poll();
        t.update(&entry(1, 1, 100, 1000));
        t.begin_poll();
        assert_eq!(bytes(t.destroyed(&entry(1, 1, 300, 5000))), (200, 4000));
        // The same event again, or a dump that still lists the dying entry: nothing.
        assert_eq!(t.destroyed(&entry(1, 1, 300, 5000)), None);
        assert_eq!(t.update(&entry(1, 1, 300, 5000)), None);
        // A flow born and dead between two polls counts whole.
        assert_eq!(bytes(t.destroyed(&entry(9, 9, 40, 60))), (40, 60));
    }

    #[test]
    fn a_reused_key_starts_from_zero() {
        let mut t = FlowTable::new(3);
        t.begin_poll();
        t.destroyed(&entry(1, 1, 300, 5000));
        t.begin_poll();
        assert_eq!(bytes(t.update(&entry(1, 1, 10, 20))), (10, 20));
        // Counters zeroed by another tool: what is there now is new.
        t.begin_poll();
        assert_eq!(bytes(t.update(&entry(1, 1, 4, 50))), (4, 30));
    }

    #[test]
    fn unseen_connections_are_forgotten_and_entries_without_counters_ignored() {
        let mut t = FlowTable::new(2);
        t.begin_poll();
        t.update(&entry(1, 1, 1, 1));
        t.begin_poll();
        assert_eq!(t.len(), 1, "kept while a late destroy event may come");
        t.begin_poll();
        assert_eq!(t.len(), 0);
        let mut e = entry(2, 2, 1, 1);
        e.reply_bytes = None;
        assert_eq!(t.update(&e), None);
        assert_eq!(t.len(), 0);
    }
}
