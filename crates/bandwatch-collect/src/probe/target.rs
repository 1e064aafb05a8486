//! Targets: what to probe, written as one spec string whose form says the kind
//! (`8.8.8.8`, `router.lan`, `tcp://nas:22`, `https://nas.lan/`), and host-name resolution.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::tcp::parse_url;

/// The forms a spec may take, for error messages.
const FORMS: &str = "use an address, a host name, tcp://host:port, http:// or https://";

/// A host as written: an address, or a name resolved at every round.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A literal IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A DNS (or `/etc/hosts`) name.
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Name(n) => f.write_str(n),
        }
    }
}

impl Host {
    /// Parses an address (IPv6 without brackets) or checks that `s` is a valid host name.
    pub fn parse(s: &str) -> Option<Self> {
        if let Ok(ip) = s.parse() {
            return Some(Self::Ip(ip));
        }
        valid_host_name(s).then(|| Self::Name(s.to_owned()))
    }

    /// The address to probe now: the literal, or the first address `getaddrinfo` gives
    /// (IPv4 or IPv6, as resolved). Waits at most `timeout` for the resolver; the error is a
    /// line for the log, `cannot resolve NAME: …`.
    pub fn resolve(&self, timeout: Duration) -> Result<IpAddr, String> {
        resolve_all(&[self], timeout)
            .pop()
            .unwrap_or_else(|| Err(format!("cannot resolve {self}")))
    }
}

/// Resolves every host at once, waiting at most `timeout` in all; literals cost nothing.
pub fn resolve_all(hosts: &[&Host], timeout: Duration) -> Vec<Result<IpAddr, String>> {
    let deadline = Instant::now() + timeout;
    let pending: Vec<_> = hosts
        .iter()
        .map(|h| match h {
            Host::Ip(ip) => Pending::Done(Ok(*ip)),
            Host::Name(n) => start_resolve(n),
        })
        .collect();
    hosts
        .iter()
        .zip(pending)
        .map(|(h, p)| match p {
            Pending::Done(r) => r,
            Pending::Waiting(rx) => finish_resolve(&h.to_string(), &rx, deadline, timeout),
        })
        .collect()
}

type Answer = std::io::Result<Option<IpAddr>>;

enum Pending {
    Done(Result<IpAddr, String>),
    Waiting(mpsc::Receiver<Answer>),
}

/// Resolves on a detached thread so a hung resolver costs the round at most the timeout.
fn start_resolve(name: &str) -> Pending {
    let (tx, rx) = mpsc::channel();
    let owned = name.to_owned();
    let spawned = thread::Builder::new()
        .name("probe-resolve".into())
        .stack_size(128 << 10)
        .spawn(move || {
            let first = (owned.as_str(), 0)
                .to_socket_addrs()
                .map(|mut it| it.next().map(|a: SocketAddr| a.ip()));
            let _ = tx.send(first);
        });
    match spawned {
        Ok(_) => Pending::Waiting(rx),
        Err(e) => Pending::Done(Err(format!(
            "cannot resolve {name}: cannot start thread: {e}"
        ))),
    }
}

fn finish_resolve(
    name: &str,
    rx: &mpsc::Receiver<Answer>,
    deadline: Instant,
    timeout: Duration,
) -> Result<IpAddr, String> {
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(Some(ip))) => Ok(ip),
        Ok(Ok(None)) => Err(format!("cannot resolve {name}: the name has no address")),
        Ok(Err(e)) => Err(format!("cannot resolve {name}: {e}")),
        Err(_) => Err(format!(
            "cannot resolve {name}: no answer from the resolver within {timeout:?}"
        )),
    }
}

/// RFC 1123 host names (letters, digits, `-`, `.`; `_` tolerated as in real networks).
fn valid_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// What kind of probe a target gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeKind {
    /// ICMP echo to an address, or to a name resolved at every round.
    Icmp(Host),
    /// TCP handshake with a host and port.
    Tcp {
        /// Address or name (resolved at every round).
        host: Host,
        /// The port, 1–65535.
        port: u16,
    },
    /// HTTP GET of an `http://` or `https://` URL.
    Http {
        /// The URL as written.
        url: String,
        /// Whether an `https://` server's certificate must chain to a trusted root and match
        /// the host name (turn off for a self-signed NAS).
        verify_tls: bool,
    },
}

/// One thing to probe, with the label its series carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The `target` label value.
    pub name: String,
    /// How to probe it.
    pub kind: ProbeKind,
}

impl Target {
    /// An ICMP target named after its address.
    pub fn icmp(ip: IpAddr) -> Self {
        Self {
            name: ip.to_string(),
            kind: ProbeKind::Icmp(Host::Ip(ip)),
        }
    }

    /// A TCP connect target named after its address.
    pub fn tcp(addr: SocketAddr) -> Self {
        Self {
            name: addr.to_string(),
            kind: ProbeKind::Tcp {
                host: Host::Ip(addr.ip()),
                port: addr.port(),
            },
        }
    }

    /// An HTTP(S) target named after its URL, verifying certificates.
    pub fn http(url: &str) -> Self {
        Self {
            name: url.to_owned(),
            kind: ProbeKind::Http {
                url: url.to_owned(),
                verify_tls: true,
            },
        }
    }

    /// The same target with certificate verification on or off (HTTP targets only; other
    /// kinds are returned unchanged).
    #[must_use]
    pub fn with_tls_verify(mut self, verify: bool) -> Self {
        if let ProbeKind::Http { verify_tls, .. } = &mut self.kind {
            *verify_tls = verify;
        }
        self
    }

    /// Parses a spec (`8.8.8.8`, `2001:db8::1`, `router.lan`, `tcp://host:port`,
    /// `http://…`, `https://…`); the name defaults to the spec as written.
    pub fn parse(name: Option<&str>, spec: &str) -> Result<Self, TargetError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(TargetError::Empty);
        }
        let name = match name.map(str::trim) {
            Some("") => {
                return Err(TargetError::EmptyName {
                    spec: spec.to_owned(),
                })
            }
            Some(n) => n.to_owned(),
            None => spec.to_owned(),
        };
        Ok(Self {
            name,
            kind: parse_kind(spec)?,
        })
    }
}

fn parse_kind(spec: &str) -> Result<ProbeKind, TargetError> {
    let Some((scheme, rest)) = spec.split_once("://") else {
        return parse_plain_host(spec).map(ProbeKind::Icmp);
    };
    match scheme.to_ascii_lowercase().as_str() {
        "tcp" => parse_tcp(spec, rest),
        "http" | "https" => {
            parse_url(spec).map_err(|e| TargetError::BadUrl {
                spec: spec.to_owned(),
                reason: e.to_string(),
            })?;
            Ok(ProbeKind::Http {
                url: spec.to_owned(),
                verify_tls: true,
            })
        }
        _ => Err(TargetError::UnknownScheme {
            spec: spec.to_owned(),
            scheme: format!("{scheme}://"),
        }),
    }
}

/// An ICMP spec: an address or a host name.
fn parse_plain_host(spec: &str) -> Result<Host, TargetError> {
    if let Some((addr, zone)) = spec.split_once('%') {
        if addr.parse::<std::net::Ipv6Addr>().is_ok() {
            return Err(TargetError::ZoneId {
                spec: spec.to_owned(),
                zone: zone.to_owned(),
            });
        }
    }
    if let Some((host, port)) = spec.rsplit_once(':') {
        if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TargetError::PortWithoutScheme {
                spec: spec.to_owned(),
            });
        }
    }
    Host::parse(spec).ok_or_else(|| TargetError::BadHost {
        spec: spec.to_owned(),
        host: spec.to_owned(),
    })
}

/// `tcp://host:port`, host being IPv4, `[IPv6]` or a name; a trailing `/` is tolerated.
fn parse_tcp(spec: &str, rest: &str) -> Result<ProbeKind, TargetError> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let err_host = |host: &str| TargetError::BadHost {
        spec: spec.to_owned(),
        host: host.to_owned(),
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| err_host(rest))?;
        let ip: IpAddr = h.parse().map_err(|_| err_host(h))?;
        (Host::Ip(ip), after.strip_prefix(':'))
    } else if rest.matches(':').count() > 1 {
        return Err(TargetError::UnbracketedIpv6 {
            spec: spec.to_owned(),
        });
    } else {
        let (h, p) = rest
            .split_once(':')
            .map_or((rest, None), |(h, p)| (h, Some(p)));
        (Host::parse(h).ok_or_else(|| err_host(h))?, p)
    };
    let Some(port) = port else {
        return Err(TargetError::NoPort {
            spec: spec.to_owned(),
            example: format!("tcp://{}:22", bracketed(&host)),
        });
    };
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(ProbeKind::Tcp { host, port: p }),
        _ => Err(TargetError::BadPort {
            spec: spec.to_owned(),
            port: port.to_owned(),
        }),
    }
}

fn bracketed(host: &Host) -> String {
    match host {
        Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        other => other.to_string(),
    }
}

/// Why a target spec cannot be used; each message names the spec and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The spec is empty.
    #[error("target spec is empty; {FORMS}")]
    Empty,
    /// A name was given but is empty.
    #[error("target '{spec}' has an empty name; give it a name or leave the name out")]
    EmptyName {
        /// The spec.
        spec: String,
    },
    /// The scheme is not one the prober knows.
    #[error("target '{spec}' has unknown scheme '{scheme}'; {FORMS}")]
    UnknownScheme {
        /// The spec.
        spec: String,
        /// The scheme with its `://`.
        scheme: String,
    },
    /// A `tcp://` spec without a port.
    #[error("target '{spec}' has no port; write it like {example}")]
    NoPort {
        /// The spec.
        spec: String,
        /// The spec with a port added.
        example: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("target '{spec}' has bad port '{port}'; use a number from 1 to 65535")]
    BadPort {
        /// The spec.
        spec: String,
        /// The port as written.
        port: String,
    },
    /// `host:port` without a scheme: probably meant as TCP.
    #[error(
        "target '{spec}' has a port but no scheme; write tcp://{spec} for a TCP probe, or \
         leave the port out for ICMP"
    )]
    PortWithoutScheme {
        /// The spec.
        spec: String,
    },
    /// An IPv6 address with a port, not in brackets.
    #[error("target '{spec}' has an IPv6 address without brackets; write it like tcp://[2001:db8::1]:22")]
    UnbracketedIpv6 {
        /// The spec.
        spec: String,
    },
    /// Neither an address nor a valid host name.
    #[error(
        "target '{spec}': '{host}' is neither an IP address nor a host name (letters, digits, \
         '-' and '.'); {FORMS}"
    )]
    BadHost {
        /// The spec.
        spec: String,
        /// The host part as written.
        host: String,
    },
    /// A link-local address with a zone (`%eth0`), which the prober cannot route yet.
    #[error(
        "target '{spec}': zone ids ('%{zone}') are not supported; probe a global or \
         unique-local address of the host instead"
    )]
    ZoneId {
        /// The spec.
        spec: String,
        /// The zone as written.
        zone: String,
    },
    /// An `http://` or `https://` URL that does not parse.
    #[error("target '{spec}': {reason}")]
    BadUrl {
        /// The spec.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn name(s: &str) -> Host {
        Host::Name(s.to_owned())
    }

    #[test]
    fn good_specs() {
        let v4 = IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8));
        let v6: IpAddr = "2001:db8::1".parse().expect("v6");
        let http = |url: &str| ProbeKind::Http {
            url: url.to_owned(),
            verify_tls: true,
        };
        let table = [
            ("8.8.8.8", ProbeKind::Icmp(Host::Ip(v4))),
            ("2001:db8::1", ProbeKind::Icmp(Host::Ip(v6))),
            (
                " ::1 ",
                ProbeKind::Icmp(Host::Ip(Ipv6Addr::LOCALHOST.into())),
            ),
            ("router.lan", ProbeKind::Icmp(name("router.lan"))),
            ("localhost", ProbeKind::Icmp(name("localhost"))),
            ("my_box.", ProbeKind::Icmp(name("my_box."))),
            (
                "tcp://nas:22",
                ProbeKind::Tcp {
                    host: name("nas"),
                    port: 22,
                },
            ),
            (
                "tcp://8.8.8.8:53/",
                ProbeKind::Tcp {
                    host: Host::Ip(v4),
                    port: 53,
                },
            ),
            (
                "TCP://[2001:db8::1]:443",
                ProbeKind::Tcp {
                    host: Host::Ip(v6),
                    port: 443,
                },
            ),
            ("http://nas.lan/health", http("http://nas.lan/health")),
            (
                "https://[2001:db8::1]:8443",
                http("https://[2001:db8::1]:8443"),
            ),
            ("https://example.org", http("https://example.org")),
        ];
        for (spec, kind) in table {
            let t = Target::parse(None, spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert_eq!(t.kind, kind, "{spec}");
            assert_eq!(t.name, spec.trim());
        }
        let t = Target::parse(Some("nas"), "https://nas.lan/")
            .expect("named")
            .with_tls_verify(false);
        assert_eq!(t.name, "nas");
        assert_eq!(
            t.kind,
            ProbeKind::Http {
                url: "https://nas.lan/".into(),
                verify_tls: false
            }
        );
    }

    #[test]
    fn bad_specs() {
        let table = [
            ("", "target spec is empty; use an address, a host name, tcp://host:port, http:// or https://"),
            ("tcp://nas", "target 'tcp://nas' has no port; write it like tcp://nas:22"),
            ("tcp://[::1]", "target 'tcp://[::1]' has no port; write it like tcp://[::1]:22"),
            ("tcp://nas:", "target 'tcp://nas:' has bad port ''; use a number from 1 to 65535"),
            ("tcp://nas:99999", "target 'tcp://nas:99999' has bad port '99999'; use a number from 1 to 65535"),
            ("tcp://nas:0", "target 'tcp://nas:0' has bad port '0'; use a number from 1 to 65535"),
            ("tcp://2001:db8::1:22", "target 'tcp://2001:db8::1:22' has an IPv6 address without brackets; write it like tcp://[2001:db8::1]:22"),
            ("ftp://x/", "target 'ftp://x/' has unknown scheme 'ftp://'; use an address, a host name, tcp://host:port, http:// or https://"),
            ("nas:22", "target 'nas:22' has a port but no scheme; write tcp://nas:22 for a TCP probe, or leave the port out for ICMP"),
            ("bad host", "target 'bad host': 'bad host' is neither an IP address nor a host name (letters, digits, '-' and '.'); use an address, a host name, tcp://host:port, http:// or https://"),
            ("tcp://-x-:22", "target 'tcp://-x-:22': '-x-' is neither an IP address nor a host name (letters, digits, '-' and '.'); use an address, a host name, tcp://host:port, http:// or https://"),
            ("fe80::1%eth0", "target 'fe80::1%eth0': zone ids ('%eth0') are not supported; probe a global or unique-local address of the host instead"),
            ("http://x:port/", "target 'http://x:port/': 'http://x:port/' is not an http(s)://host[:port]/path URL; check the host and the port"),
            ("https:///", "target 'https:///': 'https:///' is not an http(s)://host[:port]/path URL; check the host and the port"),
        ];
        for (spec, msg) in table {
            let e = Target::parse(None, spec).expect_err(spec);
            assert_eq!(e.to_string(), msg, "{spec}");
        }
        assert_eq!(
            Target::parse(Some(" "), "1.1.1.1")
                .expect_err("empty name")
                .to_string(),
            "target '1.1.1.1' has an empty name; give it a name or leave the name out"
        );
    }

    #[test]
    fn resolution() {
        let lo = Host::Name("localhost".into())
            .resolve(Duration::from_secs(5))
            .expect("localhost resolves");
        assert!(lo.is_loopback(), "{lo}");
        let e = Host::Name("nonexistent.invalid".into())
            .resolve(Duration::from_secs(5))
            .expect_err("invalid TLD");
        assert!(e.starts_with("cannot resolve nonexistent.invalid: "), "{e}");
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(Host::Ip(ip).resolve(Duration::ZERO), Ok(ip));
    }
}
