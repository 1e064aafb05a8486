//! A probe round: every target probed `count` times, all targets at once.

use std::net::IpAddr;
use std::thread;
use std::time::Duration;

use super::error::{ProbeError, Result};
use super::icmp::{run_icmp_round, IcmpMode, IcmpRound, IcmpSocket};
use super::stats::RoundStats;
use super::stream::stream_target;
use super::target::{resolve_all, Host, ProbeKind, Target};

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
    /// Why ICMPv6 could not be opened when only host names might have needed it.
    v6_unavailable: Option<String>,
}

impl Prober {
    /// Opens an ICMP socket for each family that `targets` may use: IPv4 for IPv4 addresses
    /// and host names, IPv6 for IPv6 addresses and host names. Fails with the `sysctl` or
    /// `setcap` line to run when neither a datagram nor a raw socket is allowed; an IPv6
    /// socket wanted only for names may fail (names resolving to IPv6 then read as lost).
    pub fn open_for(targets: &[Target]) -> Result<Self> {
        let hosts = || {
            targets.iter().filter_map(|t| match &t.kind {
                ProbeKind::Icmp(h) => Some(h),
                _ => None,
            })
        };
        let names = hosts().any(|h| matches!(h, Host::Name(_)));
        let literal = |v6: bool| hosts().any(|h| matches!(h, Host::Ip(ip) if ip.is_ipv6() == v6));
        let v4 = (names || literal(false))
            .then(|| IcmpSocket::open(false))
            .transpose()?;
        let (v6, v6_unavailable) = if literal(true) {
            (Some(IcmpSocket::open(true)?), None)
        } else if names {
            match IcmpSocket::open(true) {
                Ok(s) => (Some(s), None),
                Err(e) => (None, Some(e.to_string())),
            }
        } else {
            (None, None)
        };
        Ok(Self {
            v4,
            v6,
            v6_unavailable,
        })
    }

    /// How ICMPv4 is done (`None` when no socket was needed).
    pub fn icmp_v4_mode(&self) -> Option<IcmpMode> {
        self.v4.as_ref().map(IcmpSocket::mode)
    }

    /// How ICMPv6 is done (`None` when no socket was needed or it could not be opened).
    pub fn icmp_v6_mode(&self) -> Option<IcmpMode> {
        self.v6.as_ref().map(IcmpSocket::mode)
    }

    /// Why ICMPv6 is unavailable to host-name targets, when opening it failed.
    pub fn icmp_v6_unavailable(&self) -> Option<&str> {
        self.v6_unavailable.as_deref()
    }

    /// Probes every target `cfg.count` times concurrently: ICMP over one socket per family,
    /// TCP and HTTP targets on one small thread each. Host names are resolved first, all at
    /// once, within `timeout`; a name that does not resolve makes only its own target all
    /// lost. The round takes about `(count - 1) × gap + timeout` (plus the resolution)
    /// however many targets there are. An ICMP target of a family this prober has no socket
    /// for counts as all lost.
    pub fn run(&self, targets: &[Target], cfg: &ProbeConfig) -> Result<RoundReport> {
        cfg.validate()?;
        let count = cfg.count as usize;
        let mut results: Vec<TargetResult> = targets
            .iter()
            .map(|t| failed(t, count, "not probed"))
            .collect();
        let [v4, v6] = self.icmp_plan(targets, count, &mut results, cfg.timeout);
        thread::scope(|scope| -> Result<()> {
            let icmp4 = self
                .v4
                .as_ref()
                .filter(|_| !v4.is_empty())
                .map(|s| scope.spawn(|| icmp_family(s, &v4, cfg)));
            let icmp6 = self
                .v6
                .as_ref()
                .filter(|_| !v6.is_empty())
                .map(|s| scope.spawn(|| icmp_family(s, &v6, cfg)));
            let others: Vec<_> = targets
                .iter()
                .enumerate()
                .filter(|(_, t)| !matches!(t.kind, ProbeKind::Icmp(_)))
                .map(|(i, t)| {
                    let h = thread::Builder::new()
                        .stack_size(256 << 10)
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

    /// Resolves the ICMP targets and splits them by family; targets that cannot be probed
    /// (no address, no socket) get their failure written into `results` and are left out.
    fn icmp_plan(
        &self,
        targets: &[Target],
        count: usize,
        results: &mut [TargetResult],
        timeout: Duration,
    ) -> [Vec<(usize, IpAddr)>; 2] {
        let (idx, hosts): (Vec<usize>, Vec<&Host>) = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| match &t.kind {
                ProbeKind::Icmp(h) => Some((i, h)),
                _ => None,
            })
            .unzip();
        let mut lists = [Vec::new(), Vec::new()];
        for (i, r) in idx.into_iter().zip(resolve_all(&hosts, timeout)) {
            let t = &targets[i];
            match r {
                Err(e) => results[i] = failed(t, count, &e),
                Ok(ip) => match self.no_socket_for(t, ip) {
                    Some(why) => results[i] = failed(t, count, &why),
                    None => lists[usize::from(ip.is_ipv6())].push((i, ip)),
                },
            }
        }
        lists
    }

    /// Why `ip` cannot be probed by this prober, if it cannot.
    fn no_socket_for(&self, t: &Target, ip: IpAddr) -> Option<String> {
        match (ip.is_ipv6(), &self.v4, &self.v6) {
            (false, Some(_), _) | (true, _, Some(_)) => None,
            (false, None, _) => Some(format!("no ICMPv4 socket to probe {ip}")),
            (true, _, None) => Some(match (&t.kind, &self.v6_unavailable) {
                (ProbeKind::Icmp(Host::Name(n)), Some(why)) => {
                    format!("{n} resolved to {ip}, but ICMPv6 is unavailable: {why}")
                }
                _ => format!("no ICMPv6 socket to probe {ip}"),
            }),
        }
    }
}

/// Opens the sockets `targets` need and runs one round; see [`Prober::run`].
pub fn run_round(targets: &[Target], cfg: &ProbeConfig) -> Result<RoundReport> {
    Prober::open_for(targets)?.run(targets, cfg)
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

/// A result with every probe lost and `why` as the error.
pub(super) fn failed(t: &Target, count: usize, why: &str) -> TargetResult {
    TargetResult {
        name: t.name.clone(),
        stats: RoundStats::from_rtts(&vec![None; count]),
        http_status: None,
        last_error: Some(why.to_owned()),
    }
}
