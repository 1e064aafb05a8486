//! The `conntrack` backend: per-connection byte counters from the kernel's connection
//! tracking (ctnetlink), for a Linux router doing NAT. No per-packet work in userspace: each
//! poll reads the destroy events queued since the last poll (connections that ended, with
//! their final counters) and dumps the table (the running counters of the live ones), and
//! reports what each connection moved since it was last reported. Bytes are IP packet
//! lengths (conntrack never sees link headers).
//!
//! Needs `CAP_NET_ADMIN` and `net.netfilter.nf_conntrack_acct = 1` (per network
//! namespace). Hand-written netlink (`msg.rs`, pure) over `rustix` sockets: the netlink crates
//! on crates.io parse the generic and route families well, but their netfilter crate has no
//! conntrack messages, and a dump plus one event group is about two hundred lines.

mod error;
mod msg;
mod socket;
mod table;

use std::path::{Path, PathBuf};

pub use error::ConntrackError;
pub use msg::{Entry, Tuple};
pub use socket::{KernelNetlink, Netlink};

use super::backend::{Backend, BackendStats, FlowBytes, Observer};
use msg::Message;
use table::FlowTable;

/// How to read conntrack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConntrackConfig {
    /// Where procfs is mounted (`/proc`), to read `sys/net/netfilter/nf_conntrack_acct`.
    pub proc_root: PathBuf,
    /// Polls after which a connection no dump or event mentioned is forgotten (at least 2).
    pub evict_after: u64,
}

impl Default for ConntrackConfig {
    fn default() -> Self {
        Self {
            proc_root: PathBuf::from("/proc"),
            evict_after: 3,
        }
    }
}

/// Reads conntrack's per-connection counters.
pub struct ConntrackBackend<N: Netlink = KernelNetlink> {
    netlink: N,
    table: FlowTable,
    acct_file: PathBuf,
    destroyed: u64,
    uncounted: u64,
}

impl<N: Netlink> std::fmt::Debug for ConntrackBackend<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConntrackBackend")
            .field("flows", &self.table.len())
            .field("destroyed", &self.destroyed)
            .finish_non_exhaustive()
    }
}

fn current_exe() -> String {
    std::env::current_exe().map_or_else(
        |_| "/path/to/bandwatch".to_owned(),
        |p| p.display().to_string(),
    )
}

/// Whether the sysctl file says accounting is off (a missing file says nothing: procfs of
/// another namespace, or conntrack not loaded yet).
fn acct_off(file: &Path) -> bool {
    std::fs::read_to_string(file).is_ok_and(|v| v.trim() == "0")
}

fn netlink_error(op: &'static str, source: std::io::Error) -> ConntrackError {
    match source.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => ConntrackError::NotPermitted {
            op,
            exe: current_exe(),
            source,
        },
        Some(libc::ENOENT | libc::EOPNOTSUPP | libc::EPROTONOSUPPORT) => {
            ConntrackError::Unavailable { source }
        }
        _ => ConntrackError::Netlink { op, source },
    }
}

impl ConntrackBackend<KernelNetlink> {
    /// Opens the netlink sockets (of the current network namespace) and checks that
    /// accounting is on.
    pub fn open(config: &ConntrackConfig) -> Result<Self, ConntrackError> {
        let acct_file = config.proc_root.join("sys/net/netfilter/nf_conntrack_acct");
        if acct_off(&acct_file) {
            return Err(ConntrackError::AcctOff);
        }
        let netlink = KernelNetlink::open().map_err(|(op, e)| netlink_error(op, e))?;
        Ok(Self::with_netlink(netlink, config, acct_file))
    }
}

impl<N: Netlink> ConntrackBackend<N> {
    /// A backend over any netlink (a fake in tests).
    pub fn with_netlink(netlink: N, config: &ConntrackConfig, acct_file: PathBuf) -> Self {
        Self {
            netlink,
            table: FlowTable::new(config.evict_after),
            acct_file,
            destroyed: 0,
            uncounted: 0,
        }
    }

    /// Destroy events taken so far (connections that ended, counted with their final
    /// counters).
    pub fn destroyed(&self) -> u64 {
        self.destroyed
    }

    /// Connections held between polls.
    pub fn tracked(&self) -> usize {
        self.table.len()
    }

    /// Entries without counters seen by the last poll (opened while accounting was off).
    pub fn uncounted(&self) -> u64 {
        self.uncounted
    }

    fn take(&mut self, msg: &Message) -> Option<FlowBytes> {
        match msg {
            Message::Entry(e) => {
                if e.orig_bytes.is_none() {
                    self.uncounted += 1;
                }
                self.table.update(e)
            }
            Message::Destroyed(e) => {
                self.destroyed += 1;
                self.table.destroyed(e)
            }
            _ => None,
        }
    }
}

impl<N: Netlink> Backend for ConntrackBackend<N> {
    fn name(&self) -> &'static str {
        "conntrack"
    }

    fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats> {
        let mut stats = BackendStats::default();
        self.table.begin_poll();
        self.uncounted = 0;
        // Events first: a connection that ended since the last dump gets its rest from its
        // final counters; the dump then covers the live ones.
        let mut msgs = Vec::new();
        stats.kernel_drops = self
            .netlink
            .drain_events(&mut |m| msgs.push(m))
            .map_err(|e| netlink_error("receive events of", e))?;
        let mut report = |this: &mut Self, msgs: &mut Vec<Message>| {
            for m in msgs.drain(..) {
                if let Some(flow) = this.take(&m) {
                    out.flow(&flow);
                    stats.observed += 1;
                }
            }
        };
        report(self, &mut msgs);
        self.netlink
            .dump(&mut |m| msgs.push(m))
            .map_err(|e| netlink_error("dump", e))?;
        report(self, &mut msgs);
        if self.uncounted > 0 && acct_off(&self.acct_file) {
            return Err(ConntrackError::AcctOff.into());
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::msg::parse_datagram;
    use super::msg::tests::{done, entry_msg, message, tuple, DELETE, NEW};
    use super::*;
    use crate::devices::packet::PacketMeta;
    use std::collections::VecDeque;
    use std::io;

    /// Replays datagrams: each poll pops one list of event datagrams and one dump.
    #[derive(Default)]
    struct FakeNetlink {
        events: VecDeque<Vec<Vec<u8>>>,
        dumps: VecDeque<Vec<u8>>,
        dump_error: Option<i32>,
    }

    impl Netlink for FakeNetlink {
        fn dump(&mut self, each: &mut dyn FnMut(Message)) -> io::Result<()> {
            if let Some(e) = self.dump_error {
                return Err(io::Error::from_raw_os_error(e));
            }
            let d = self.dumps.pop_front().unwrap_or_else(|| done(0));
            for (_, m) in parse_datagram(&d).expect("fake dump") {
                each(m);
            }
            Ok(())
        }
        fn drain_events(&mut self, each: &mut dyn FnMut(Message)) -> io::Result<u64> {
            for d in self.events.pop_front().unwrap_or_default() {
                for (_, m) in parse_datagram(&d).expect("fake event") {
                    each(m);
                }
            }
            Ok(0)
        }
    }

    #[derive(Default)]
    struct Sum {
        orig: u64,
        reply: u64,
    }
    impl Observer for Sum {
        fn packet(&mut self, _: &PacketMeta) {}
        fn flow(&mut self, f: &FlowBytes) {
            self.orig += f.orig_bytes;
            self.reply += f.reply_bytes;
        }
    }

    fn backend(nl: FakeNetlink, acct: &Path) -> ConntrackBackend<FakeNetlink> {
        ConntrackBackend::with_netlink(nl, &ConntrackConfig::default(), acct.to_path_buf())
    }

    #[test]
    fn totals_stay_exact_across_dumps_and_destroy_events() {
        let mut nl = FakeNetlink::default();
        // Poll 1: flow 1 at 100/1000. Poll 2: flow 1 grew to 300/5000 and ended (event),
        // flow 2 lived and died between the polls. Poll 3: nothing.
        nl.dumps
            .push_back([entry_msg(NEW, 0, 1, 100, 1000), done(0)].concat());
        nl.events.push_back(vec![]);
        nl.events.push_back(vec![
            entry_msg(DELETE, 0, 1, 300, 5000),
            entry_msg(DELETE, 0, 2, 40, 60),
        ]);
        nl.dumps.push_back(done(0));
        let mut b = backend(nl, Path::new("/nonexistent"));
        let mut sum = Sum::default();
        let s1 = b.poll(&mut sum).expect("poll");
        assert_eq!((sum.orig, sum.reply, s1.observed), (100, 1000, 1));
        let s2 = b.poll(&mut sum).expect("poll");
        assert_eq!((sum.orig, sum.reply, s2.observed), (340, 5060, 2));
        b.poll(&mut sum).expect("poll");
        assert_eq!((sum.orig, sum.reply), (340, 5060));
        assert_eq!(b.destroyed(), 2);
    }

    #[test]
    fn entries_without_counters_with_acct_off_say_the_sysctl_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let acct = dir.path().join("nf_conntrack_acct");
        std::fs::write(&acct, "0\n").expect("write");
        let mut nl = FakeNetlink::default();
        // An entry opened while accounting was off: tuples, no counters.
        let e = message(
            0x100,
            0,
            &[
                tuple(1, [10, 0, 0, 5], [1, 2, 3, 4], 1, 2),
                tuple(2, [1, 2, 3, 4], [10, 0, 0, 5], 2, 1),
            ],
        );
        nl.dumps.push_back([e, done(0)].concat());
        let mut b = backend(nl, &acct);
        let err = b.poll(&mut Sum::default()).expect_err("acct off");
        let text = crate::CollectError::from(ConntrackError::AcctOff).to_string();
        assert_eq!(err.to_string(), text);
        assert!(
            text.contains("sysctl -w net.netfilter.nf_conntrack_acct=1"),
            "{text}"
        );
        assert!(text.contains("/etc/sysctl.d/"), "{text}");
    }

    #[test]
    fn a_refused_dump_names_cap_net_admin_and_setcap() {
        let nl = FakeNetlink {
            dump_error: Some(libc::EPERM),
            ..FakeNetlink::default()
        };
        let err = backend(nl, Path::new("/nonexistent"))
            .poll(&mut Sum::default())
            .expect_err("eperm")
            .to_string();
        assert!(err.contains("CAP_NET_ADMIN"), "{err}");
        assert!(
            err.contains("setcap cap_net_raw,cap_net_admin+ep "),
            "{err}"
        );
    }
}
