//! One TCP or HTTP(S) target probed `count` times on its own thread.

use std::io;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use super::round::{failed, ProbeConfig, TargetResult};
use super::stats::RoundStats;
use super::target::{Host, ProbeKind, Target};
use super::tcp::{http_get, parse_url, tcp_connect, HttpUrl};
use super::tls::https_get;

/// What each probe of a stream target does, its address resolved once for the round.
enum Plan {
    Tcp(SocketAddr),
    Http {
        url: HttpUrl,
        addr: SocketAddr,
        verify: bool,
    },
}

impl Plan {
    /// Resolves the target's host (within `timeout`); the error is the line for the log.
    fn new(kind: &ProbeKind, timeout: Duration) -> Result<Self, String> {
        match kind {
            ProbeKind::Tcp { host, port } => {
                Ok(Self::Tcp(SocketAddr::new(host.resolve(timeout)?, *port)))
            }
            ProbeKind::Http { url, verify_tls } => {
                let url = parse_url(url).map_err(|e| e.to_string())?;
                let host = Host::parse(&url.host)
                    .ok_or_else(|| format!("'{}' is not a host name", url.host))?;
                let addr = SocketAddr::new(host.resolve(timeout)?, url.port);
                Ok(Self::Http {
                    url,
                    addr,
                    verify: *verify_tls,
                })
            }
            ProbeKind::Icmp(_) => Err("an ICMP target is not a stream target".to_owned()),
        }
    }

    /// One probe: the handshake time (TCP) or time to first byte and status (HTTP).
    fn probe(&self, timeout: Duration) -> io::Result<(Duration, Option<u16>)> {
        match self {
            Self::Tcp(addr) => tcp_connect(*addr, timeout).map(|d| (d, None)),
            Self::Http { url, addr, verify } => {
                let reply = if url.tls {
                    https_get(url, *addr, *verify, timeout)?
                } else {
                    http_get(url, *addr, timeout)?
                };
                Ok((reply.ttfb, Some(reply.status)))
            }
        }
    }
}

/// Probes one TCP or HTTP target `count` times, `gap` apart (start to start).
pub(super) fn stream_target(t: &Target, cfg: &ProbeConfig) -> TargetResult {
    let plan = match Plan::new(&t.kind, cfg.timeout) {
        Ok(p) => p,
        Err(e) => return failed(t, cfg.count as usize, &e),
    };
    let mut rtts = Vec::with_capacity(cfg.count as usize);
    let mut status = None;
    let mut last_error = None;
    let start = Instant::now();
    for i in 0..cfg.count {
        let due = cfg.gap * i;
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            thread::sleep(wait);
        }
        match plan.probe(cfg.timeout) {
            Ok((d, code)) => {
                status = code.or(status);
                rtts.push((d <= cfg.timeout).then_some(d));
            }
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
