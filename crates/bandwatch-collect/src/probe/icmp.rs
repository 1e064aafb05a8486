//! ICMP echo over `socket2`: unprivileged datagram sockets where `ping_group_range` allows,
//! raw sockets otherwise. One socket per address family serves a whole round; replies are
//! matched by sequence number (the kernel rewrites the id of datagram sockets) and source.

use std::io::{self, ErrorKind};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use socket2::{Domain, Protocol, Socket, Type};

use super::error::{ProbeError, Result};
use super::packet::{build_echo_request, parse_echo_reply, strip_ipv4_header};

/// How an ICMP socket was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpMode {
    /// `SOCK_DGRAM` + `IPPROTO_ICMP[V6]`, allowed by `net.ipv4.ping_group_range`.
    Datagram,
    /// `SOCK_RAW`, needs `CAP_NET_RAW`.
    Raw,
}

/// An open ICMP socket of one family.
pub struct IcmpSocket {
    // std's UdpSocket gives safe `recv_from`/`send_to` on any datagram-like fd.
    sock: UdpSocket,
    mode: IcmpMode,
    v6: bool,
}

impl IcmpSocket {
    /// Opens a datagram ICMP socket, falling back to a raw one; the error names both fixes.
    pub fn open(v6: bool) -> Result<Self> {
        let (domain, proto) = if v6 {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        let (sock, mode) = match Socket::new(domain, Type::DGRAM, Some(proto)) {
            Ok(s) => (s, IcmpMode::Datagram),
            Err(_) => match Socket::new(domain, Type::RAW, Some(proto)) {
                Ok(s) => (s, IcmpMode::Raw),
                Err(source) if source.kind() != ErrorKind::PermissionDenied => {
                    return Err(ProbeError::IcmpUnavailable {
                        family: family(v6),
                        source,
                    })
                }
                Err(source) => {
                    return Err(ProbeError::IcmpNotPermitted {
                        family: family(v6),
                        exe: std::env::current_exe().map_or_else(
                            |_| "<path to bandwatch>".into(),
                            |p| p.display().to_string(),
                        ),
                        source,
                    })
                }
            },
        };
        // Large enough that a burst of replies from many targets is not dropped; the kernel
        // caps it at net.core.rmem_max, which is fine because sends are paced.
        let _ = sock.set_recv_buffer_size(4 << 20);
        Ok(Self {
            sock: sock.into(),
            mode,
            v6,
        })
    }

    /// Whether this socket is a datagram or a raw one.
    pub fn mode(&self) -> IcmpMode {
        self.mode
    }

    fn send(&self, to: IpAddr, id: u16, seq: u16, stamp: u64) -> io::Result<()> {
        let pkt = build_echo_request(self.v6, id, seq, stamp);
        self.sock.send_to(&pkt, SocketAddr::new(to, 0)).map(|_| ())
    }

    /// Waits up to `wait` for one of our echo replies: `(source, id, seq)`. `Ok(None)` on
    /// timeout or for a packet that is not ours.
    fn recv(&self, buf: &mut [u8], wait: Duration) -> io::Result<Option<(IpAddr, u16, u16)>> {
        self.sock
            .set_read_timeout(Some(wait.max(Duration::from_micros(50))))?;
        let (n, from) = match self.sock.recv_from(buf) {
            Ok(x) => x,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(None)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => return Ok(None),
            Err(e) => return Err(e),
        };
        let data = &buf[..n];
        let (src, icmp) = if !self.v6 && self.mode == IcmpMode::Raw {
            match strip_ipv4_header(data) {
                Some(x) => x,
                None => return Ok(None),
            }
        } else {
            (from.ip(), data)
        };
        Ok(parse_echo_reply(self.v6, icmp).map(|r| (src, r.id, r.seq)))
    }
}

/// An echo id unlikely to be used by anyone else: raw sockets see every echo reply on the
/// host, so the id keeps other processes' pings and this process's other rounds apart.
fn round_id() -> u16 {
    static ROUNDS: AtomicU16 = AtomicU16::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (std::process::id() as u16) ^ (nanos >> 10) as u16 ^ ROUNDS.fetch_add(0x9e37, Ordering::Relaxed)
}

fn family(v6: bool) -> &'static str {
    if v6 {
        "IPv6"
    } else {
        "IPv4"
    }
}

/// One scheduled echo: which target, which probe, and when it left.
struct Sent {
    target: usize,
    probe: usize,
    at: Option<Instant>,
}

/// Settings of one ICMP round.
pub(crate) struct IcmpRound<'a> {
    pub targets: &'a [IpAddr],
    pub count: usize,
    pub timeout: Duration,
    pub gap: Duration,
}

/// Runs one round over one socket: probe `i` to every target is sent at `i × gap`, spread
/// evenly over the gap so replies never arrive as one burst. Returns per target, per probe,
/// the RTT (`None` = lost or late).
pub(crate) fn run_icmp_round(
    sock: &IcmpSocket,
    round: &IcmpRound<'_>,
) -> Result<Vec<Vec<Option<Duration>>>> {
    let n = round.targets.len();
    let total = n * round.count;
    if total > 1 << 16 {
        return Err(ProbeError::TooManyProbes { probes: total });
    }
    let mut rtts = vec![vec![None; round.count]; n];
    if total == 0 {
        return Ok(rtts);
    }
    let start = Instant::now();
    let id = round_id();
    let mut sent: Vec<Sent> = Vec::with_capacity(total);
    for probe in 0..round.count {
        for target in 0..n {
            sent.push(Sent {
                target,
                probe,
                at: None,
            });
        }
    }
    let step = round.gap.checked_div(n as u32).unwrap_or_default();
    let due = |k: usize| round.gap * (k / n) as u32 + step * (k % n) as u32;
    let mut next = 0usize;
    let mut answered = 0usize;
    let mut buf = [0u8; 2048];
    let deadline = |now: Instant| now.duration_since(start);
    loop {
        let now = Instant::now();
        let elapsed = deadline(now);
        while next < total && due(next) <= elapsed {
            let s = &mut sent[next];
            let to = round.targets[s.target];
            let stamp = elapsed.as_nanos() as u64;
            match sock.send(to, id, next as u16, stamp) {
                Ok(()) => s.at = Some(Instant::now()),
                // A send failure (unreachable network, link down) is a lost probe.
                Err(e) => tracing::debug!(target: "bandwatch::probe", %to, "echo send: {e}"),
            }
            next += 1;
        }
        let last_sent = next.checked_sub(1).map_or(Duration::ZERO, &due);
        let end = last_sent + round.timeout;
        if next == total && (answered == total || elapsed >= end) {
            break;
        }
        let wait_until = if next < total { due(next) } else { end };
        let wait = wait_until.saturating_sub(elapsed);
        let got = sock
            .recv(&mut buf, wait)
            .map_err(|source| ProbeError::Socket {
                op: "receive",
                target: round.targets[0],
                source,
            })?;
        let Some((src, rid, seq)) = got else { continue };
        if sock.mode == IcmpMode::Raw && rid != id {
            continue;
        }
        let Some(s) = sent.get(usize::from(seq)) else {
            continue;
        };
        let (Some(at), true) = (s.at, round.targets[s.target] == src) else {
            continue;
        };
        let rtt = Instant::now().duration_since(at);
        let slot = &mut rtts[s.target][s.probe];
        if slot.is_none() && rtt <= round.timeout {
            *slot = Some(rtt);
            answered += 1;
        }
    }
    Ok(rtts)
}
