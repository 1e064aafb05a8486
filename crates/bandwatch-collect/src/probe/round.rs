//! A probe round: every target probed `count` times, all targets at once.

use std::net::IpAddr;
use std::thread;
use std::time::{Duration, Instant};

use super::error::{ProbeError, Result};
use super::icmp::{run_icmp_round, IcmpMode, IcmpRound, IcmpSocket};
use super::stats::RoundStats;
use super::tcp::{http_get, parse_http_url, tcp_connect};
use super::{ProbeKind, Target};

/// Settings of a round.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Probes per target.
    pub count: u32,
    /// How long one probe waits for its answer.
    pub timeout: Duration,
    /// Pause between consecutive probes to one target.
    pub gap: Duration,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            count: 5,
            timeout: Duration::from_secs(5),
            gap: Duration::from_millis(200),
        }
    }
}

impl ProbeConfig {
    /// Checks that the settings make a round possible.
    pub fn validate(&self) -> Result<()> {
        if self.count == 0 {
            return Err(ProbeError::InvalidConfig {
                field: "count",
                reason: "must be > 0",
            });
        }
        if self.timeout.is_zero() {
            return Err(ProbeError::InvalidConfig {
                field: "timeout",
                reason: "must be > 0",
            });
        }
        Ok(())
    }
}

/// What a round measured for one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetResult {
    /// The target's label.
    pub name: String,
    /// Counts, loss, RTT and jitter.
    pub stats: RoundStats,
    /// The last HTTP status code seen (HTTP targets only).
    pub http_status: Option<u16>,
    /// The last reason a probe failed, for the log.
    pub last_error: Option<String>,
}

/// What a whole round produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundReport {
    /// One result per target, in the order given.
    pub results: Vec<TargetResult>,
    /// How ICMPv4 was done this round (`None` when no IPv4 ICMP target).
    pub icmp_v4_mode: Option<IcmpMode>,
    /// How ICMPv6 was done this round.
    pub icmp_v6_mode: Option<IcmpMode>,
}

/// The ICMP sockets a round needs, opened once (so privileges can be dropped afterwards).
pub struct Prober {
    v4: Option<IcmpSocket>,
    v6: Option<IcmpSocket>,
}

impl Prober {
    /// Opens an ICMP socket for each family that `targets` use; fails with the `sysctl` or
    /// `setcap` line to run when neither a datagram nor a raw socket is allowed.
    pub fn open_for(targets: &[Target]) -> Result<Self> {
        let wants = |v6: bool| {
            targets
                .iter()
                .any(|t| matches!(t.kind, ProbeKind::Icmp(ip) if ip.is_ipv6() == v6))
        };
        Ok(Self {
            v4: wants(false).then(|| IcmpSocket::open(false)).transpose()?,
            v6: wants(true).then(|| IcmpSocket::open(true)).transpose()?,
        })
    }

    /// How ICMPv4 is done (`None` when no socket was needed).
    pub fn icmp_v4_mode(&self) -> Option<IcmpMode> {
        self.v4.as_ref().map(IcmpSocket::mode)
    }

    /// How ICMPv6 is done (`None` when no socket was needed).
    pub fn icmp_v6_mode(&self) -> Option<IcmpMode> {
        self.v6.as_ref().map(IcmpSocket::mode)
    }

    /// Probes every target `cfg.count` times concurrently: ICMP over one socket per family,
    /// TCP and HTTP targets on one small thread each. The round takes about
    /// `(count - 1) × gap + timeout` however many targets there are. An ICMP target of a
    /// family this prober has no socket for counts as all lost.
    pub fn run(&self, targets: &[Target], cfg: &ProbeConfig) -> Result<RoundReport> {
        cfg.validate()?;
        let count = cfg.count as usize;
        let v4 = icmp_targets(targets, false);
        let v6 = icmp_targets(targets, true);
        let mut results: Vec<TargetResult> = targets
            .iter()
            .map(|t| failed(t, count, "no ICMP socket for this address family"))
            .collect();
        thread::scope(|scope| -> Result<()> {
            let icmp4 = self
                .v4
                .as_ref()
                .map(|s| scope.spawn(|| icmp_family(s, &v4, cfg)));
            let icmp6 = self
                .v6
                .as_ref()
                .map(|s| scope.spawn(|| icmp_family(s, &v6, cfg)));
            let others: Vec<_> = targets
                .iter()
                .enumerate()
                .filter(|(_, t)| !matches!(t.kind, ProbeKind::Icmp(_)))
                .map(|(i, t)| {
                    let h = thread::Builder::new()
                        .stack_size(64 << 10)
                        .spawn_scoped(scope, move || stream_target(t, cfg));
                    (i, h)
                })
                .collect();
            for (i, h) in others {
                results[i] = match h {
                    Ok(h) => h
                        .join()
                        .unwrap_or_else(|_| failed(&targets[i], count, "probe panicked")),
                    Err(e) => failed(&targets[i], count, &format!("cannot start thread: {e}")),
                };
            }
            for (list, handle) in [(&v4, icmp4), (&v6, icmp6)] {
                let Some(h) = handle else { continue };
                let rtts = h
                    .join()
                    .unwrap_or_else(|_| Ok(vec![vec![None; count]; list.len()]))?;
                for ((i, _), r) in list.iter().zip(rtts) {
                    results[*i].stats = RoundStats::from_rtts(&r);
                    results[*i].last_error = None;
                }
            }
            Ok(())
        })?;
        Ok(RoundReport {
            results,
            icmp_v4_mode: self.icmp_v4_mode(),
            icmp_v6_mode: self.icmp_v6_mode(),
        })
    }
}

/// Opens the sockets `targets` need and runs one round; see [`Prober::run`].
pub fn run_round(targets: &[Target], cfg: &ProbeConfig) -> Result<RoundReport> {
    Prober::open_for(targets)?.run(targets, cfg)
}

fn icmp_targets(targets: &[Target], v6: bool) -> Vec<(usize, IpAddr)> {
    targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t.kind {
            ProbeKind::Icmp(ip) if ip.is_ipv6() == v6 => Some((i, ip)),
            _ => None,
        })
        .collect()
}

fn icmp_family(
    sock: &IcmpSocket,
    list: &[(usize, IpAddr)],
    cfg: &ProbeConfig,
) -> Result<Vec<Vec<Option<Duration>>>> {
    let addrs: Vec<IpAddr> = list.iter().map(|(_, ip)| *ip).collect();
    run_icmp_round(
        sock,
        &IcmpRound {
            targets: &addrs,
            count: cfg.count as usize,
            timeout: cfg.timeout,
            gap: cfg.gap,
        },
    )
}

fn failed(t: &Target, count: usize, why: &str) -> TargetResult {
    TargetResult {
        name: t.name.clone(),
        stats: RoundStats::from_rtts(&vec![None; count]),
        http_status: None,
        last_error: Some(why.to_owned()),
    }
}

/// Probes one TCP or HTTP target `count` times, `gap` apart (start to start).
fn stream_target(t: &Target, cfg: &ProbeConfig) -> TargetResult {
    let mut rtts = Vec::with_capacity(cfg.count as usize);
    let mut status = None;
    let mut last_error = None;
    let url = match &t.kind {
        ProbeKind::Http(u) => match parse_http_url(u) {
            Ok(u) => Some(u),
            Err(e) => return failed(t, cfg.count as usize, &e.to_string()),
        },
        _ => None,
    };
    let start = Instant::now();
    for i in 0..cfg.count {
        let due = cfg.gap * i;
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        let outcome = match (&t.kind, &url) {
            (ProbeKind::Tcp(addr), _) => tcp_connect(*addr, cfg.timeout),
            (_, Some(u)) => http_get(u, cfg.timeout).map(|r| {
                status = Some(r.status);
                r.ttfb
            }),
            _ => continue,
        };
        match outcome {
            Ok(d) if d <= cfg.timeout => rtts.push(Some(d)),
            Ok(_) => rtts.push(None),
            Err(e) => {
                last_error = Some(e.to_string());
                rtts.push(None);
            }
        }
    }
    TargetResult {
        name: t.name.clone(),
        stats: RoundStats::from_rtts(&rtts),
        http_status: status,
        last_error,
    }
}
