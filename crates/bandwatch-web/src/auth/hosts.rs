//! The names the server answers to, against DNS rebinding. A page on `rebind.example` whose
//! name is then made to resolve to 127.0.0.1 is, in the browser's eyes, the same origin as
//! this server: without this check it could read the API and post silences. What such a page
//! cannot change is the name the browser writes in `Host` and `Origin`, so every request's
//! `Host` must be one of the listener's own names, and a state-changing request's `Origin`
//! must be the page's own origin.
//!
//! A listener's own names: `localhost` and `*.localhost` (browsers resolve them to loopback
//! themselves, never through DNS), the loopback addresses, the listen address, the names in
//! `web.allowed_hosts`, and, on an unspecified listener (0.0.0.0, ::), any IP address: the
//! machine's addresses are not known in advance (DHCP), and an IP literal cannot be rebound
//! (the page's origin is then that address itself). The port is not checked: the attack is in
//! the name, and SSH tunnels and port mappings change the port legitimately.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use crate::error::ApiError;

/// The longest host text an error repeats, so a huge header is not echoed whole.
const SHOWN: usize = 100;

/// A host as `Host`, `Origin` or `web.allowed_hosts` write it: an IP address, or a name in
/// lower case without its trailing dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostName {
    /// An IPv4 or IPv6 address (IPv4-mapped IPv6 addresses are kept as IPv4).
    Ip(IpAddr),
    /// A DNS name.
    Name(String),
}

impl HostName {
    /// Reads a bare host: a name (letters, digits, `-`, `_` and dots), an IPv4 address, or an
    /// IPv6 address with or without brackets; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let bracketed = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'));
        if let Some(inner) = bracketed {
            return inner
                .parse::<Ipv6Addr>()
                .ok()
                .map(|ip| Self::Ip(IpAddr::V6(ip).to_canonical()));
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Some(Self::Ip(ip.to_canonical()));
        }
        let name = text.strip_suffix('.').unwrap_or(text);
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (name.len() <= 253 && name.split('.').all(label_ok))
            .then(|| Self::Name(name.to_ascii_lowercase()))
    }
}

/// A host and the port it names, if any: the `Host` header, or the part of an origin after
/// its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    /// The host.
    pub host: HostName,
    /// The port, when one is written.
    pub port: Option<u16>,
}

impl Authority {
    /// Reads `host[:port]`, an IPv6 host in brackets; `None` when it is not that.
    pub fn parse(text: &str) -> Option<Self> {
        let (host, port) = if text.starts_with('[') {
            let end = text.find(']')?;
            let rest = &text[end + 1..];
            let port = if rest.is_empty() {
                None
            } else {
                Some(rest.strip_prefix(':')?)
            };
            (&text[..=end], port)
        } else {
            match text.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (text, None),
            }
        };
        let port = match port {
            // `host:` with an empty port is allowed by RFC 3986 and means the default one.
            None | Some("") => None,
            Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
                Some(p.parse().ok()?)
            }
            Some(_) => return None,
        };
        // A bare IPv6 address (`::1`) is not an authority: it would be read as host and port.
        let host = HostName::parse(host).filter(|h| match h {
            HostName::Ip(IpAddr::V6(_)) => host.starts_with('['),
            _ => true,
        })?;
        Some(Self { host, port })
    }
}

/// Whether `ip` is a loopback address (127.0.0.0/8, ::1).
fn loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// The names one listener answers to; cheap to clone.
#[derive(Debug, Clone)]
pub struct AllowedHosts(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    listen: IpAddr,
    listed: Vec<HostName>,
}

impl AllowedHosts {
    /// The names of a listener on `listen`, with the extra names of `web.allowed_hosts`
    /// (entries that are not host names are left out; the configuration refuses them first).
    pub fn new<S: AsRef<str>>(addr: SocketAddr, names: &[S]) -> Self {
        Self(Arc::new(Inner {
            listen: addr.ip().to_canonical(),
            listed: names
                .iter()
                .filter_map(|s| HostName::parse(s.as_ref().trim()))
                .collect(),
        }))
    }

    /// Whether `host` is one of the listener's names.
    pub fn allows(&self, host: &HostName) -> bool {
        let builtin = match host {
            HostName::Ip(ip) => {
                loopback(*ip) || *ip == self.0.listen || self.0.listen.is_unspecified()
            }
            HostName::Name(n) => n == "localhost" || n.ends_with(".localhost"),
        };
        builtin || self.listed(host)
    }

    /// Whether `host` was named in `web.allowed_hosts`.
    fn listed(&self, host: &HostName) -> bool {
        self.0.listed.contains(host)
    }

    /// Checks a `Host` header (or the authority of an absolute-form target): `400` when it is
    /// not `host[:port]`, `421` when it names another server.
    pub fn check_host(&self, value: &str) -> Result<(), ApiError> {
        let shown: String = value.chars().take(SHOWN).collect();
        let a = Authority::parse(value).ok_or_else(|| {
            ApiError::bad_request(format!(
                "the Host header '{shown}' is not a host name or address with an optional port"
            ))
        })?;
        if self.allows(&a.host) {
            Ok(())
        } else {
            Err(ApiError::misdirected(format!(
                "this server does not answer to the name '{shown}' (a guard against DNS rebinding): it answers to localhost, loopback addresses and its listen address; to reach it by this name, add the name to web.allowed_hosts (or BANDWATCH_WEB_ALLOWED_HOSTS)"
            )))
        }
    }

    /// Checks the `Origin` of a state-changing request whose `Host` (already checked) is
    /// `host`: the origin must be the page's own (same host and port as `Host`), or name a
    /// host listed in `web.allowed_hosts` (at any port: a reverse proxy in front).
    pub fn check_origin(&self, origin: &str, host: Option<&str>) -> Result<(), ApiError> {
        if self.same_origin(origin, host) {
            return Ok(());
        }
        let shown: String = origin.chars().take(SHOWN).collect();
        Err(ApiError::forbidden(format!(
            "a state-changing request from another origin ({shown}) is refused: it must come from the page this server serves; if that page is reached through a proxy under another name, add the name to web.allowed_hosts (or BANDWATCH_WEB_ALLOWED_HOSTS)"
        )))
    }

    fn same_origin(&self, origin: &str, host: Option<&str>) -> bool {
        let Some((scheme, rest)) = origin.split_once("://") else {
            return false;
        };
        let default_port = if scheme.eq_ignore_ascii_case("http") {
            80
        } else if scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            return false;
        };
        let Some(from) = Authority::parse(rest) else {
            return false;
        };
        if self.listed(&from.host) {
            return true;
        }
        let Some(to) = host.and_then(Authority::parse) else {
            return false;
        };
        // The page's own origin: the same host at the same port, either port being the
        // scheme's default when it is not written.
        self.allows(&to.host)
            && from.host == to.host
            && from.port.unwrap_or(default_port) == to.port.unwrap_or(default_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn on(addr: &str, names: &[&str]) -> AllowedHosts {
        AllowedHosts::new(addr.parse().expect("listen"), names)
    }

    fn status(r: Result<(), ApiError>) -> u16 {
        r.map_or_else(|e| e.status.as_u16(), |()| 200)
    }

    #[test]
    fn hosts_and_authorities_parse_in_every_written_form() {
        let ip = |s: &str| HostName::Ip(s.parse().expect("ip"));
        let name = |s: &str| HostName::Name(s.into());
        assert_eq!(HostName::parse("LocalHost."), Some(name("localhost")));
        assert_eq!(HostName::parse("[::1]"), Some(ip("::1")));
        assert_eq!(HostName::parse("::1"), Some(ip("::1")));
        assert_eq!(HostName::parse("::ffff:127.0.0.1"), Some(ip("127.0.0.1")));
        for bad in [
            "",
            "a b",
            "a..b",
            "exa$mple",
            "[::1",
            "é.example",
            &"a".repeat(64),
        ] {
            assert_eq!(HostName::parse(bad), None, "{bad:?}");
        }
        let a = |s: &str| Authority::parse(s);
        assert_eq!(
            a("[::1]:8080"),
            Some(Authority {
                host: ip("::1"),
                port: Some(8080)
            })
        );
        assert_eq!(a("127.0.0.1").map(|x| x.port), Some(None));
        assert_eq!(a("localhost:").map(|x| x.port), Some(None));
        assert_eq!(a("example.com:443").map(|x| x.port), Some(Some(443)));
        for bad in [
            "::1",
            "[::1]8080",
            "[::1]:x",
            "host:99999",
            "host:+80",
            "host:80:80",
            "user@host",
            "",
        ] {
            assert_eq!(a(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_loopback_listener_answers_to_its_own_names_only() {
        let h = on("127.0.0.1:8080", &[]);
        for ok in [
            "localhost",
            "localhost:8080",
            "LOCALHOST:1",
            "dash.localhost:8080",
            "127.0.0.1:8080",
            "127.1.2.3",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:8080",
        ] {
            assert_eq!(status(h.check_host(ok)), 200, "{ok}");
        }
        for rebinding in [
            "rebind.example:8080",
            "rebind.example",
            "localhost.rebind.example",
            "127.0.0.1.rebind.example",
            "10.0.0.5:8080",
            "[fe80::1]:8080",
        ] {
            let e = h.check_host(rebinding).expect_err(rebinding);
            assert_eq!(e.status, StatusCode::MISDIRECTED_REQUEST, "{rebinding}");
            assert!(e.message.contains("web.allowed_hosts"), "{e}");
        }
        for malformed in ["a b", "host:port", "::1", "x".repeat(300).as_str()] {
            assert_eq!(status(h.check_host(malformed)), 400, "{malformed}");
        }
        let long = h.check_host(&"y".repeat(300)).expect_err("long");
        assert!(long.message.len() < 400, "a long Host is not echoed whole");
    }

    #[test]
    fn listed_names_the_listen_address_and_unspecified_listeners() {
        let h = on(
            "192.168.1.5:8080",
            &["Bandwatch.LAN.", "203.0.113.9", "[2001:db8::1]"],
        );
        for ok in [
            "bandwatch.lan:8080",
            "BANDWATCH.lan",
            "192.168.1.5:8080",
            "203.0.113.9:80",
            "[2001:db8::1]",
            "localhost:9000",
        ] {
            assert_eq!(status(h.check_host(ok)), 200, "{ok}");
        }
        for no in ["other.lan", "sub.bandwatch.lan", "192.168.1.6:8080"] {
            assert_eq!(status(h.check_host(no)), 421, "{no}");
        }
        for any in ["0.0.0.0:8080", "[::]:8080"] {
            let h = on(any, &[]);
            assert_eq!(status(h.check_host("192.168.1.77:8080")), 200, "{any}");
            assert_eq!(status(h.check_host("[2001:db8::7]:8080")), 200, "{any}");
            assert_eq!(status(h.check_host("rebind.example:8080")), 421, "{any}");
        }
    }

    #[test]
    fn an_origin_must_be_the_pages_own_or_a_listed_name() {
        let h = on("127.0.0.1:8080", &["bandwatch.lan"]);
        let ok = |o: &str, host: Option<&str>| status(h.check_origin(o, host));
        assert_eq!(ok("http://127.0.0.1:8080", Some("127.0.0.1:8080")), 200);
        assert_eq!(
            ok("http://localhost:9000", Some("localhost:9000")),
            200,
            "a tunnel"
        );
        assert_eq!(ok("HTTP://[::1]:8080", Some("[::1]:8080")), 200);
        assert_eq!(
            ok("http://localhost", Some("localhost:80")),
            200,
            "default port"
        );
        assert_eq!(
            ok("https://bandwatch.lan", Some("127.0.0.1:8080")),
            200,
            "a proxy"
        );
        assert_eq!(ok("http://bandwatch.lan:3000", None), 200);
        for (origin, host) in [
            ("http://rebind.example:8080", Some("rebind.example:8080")),
            ("http://evil.example", Some("127.0.0.1:8080")),
            ("http://localhost:3000", Some("localhost:8080")),
            ("https://localhost:80", Some("localhost")),
            ("http://127.0.0.1:8080", Some("localhost:8080")),
            ("http://127.0.0.1:8080", None),
            ("null", Some("127.0.0.1:8080")),
            ("file://", Some("127.0.0.1:8080")),
            ("ftp://127.0.0.1:8080", Some("127.0.0.1:8080")),
            ("http://127.0.0.1:8080/path", Some("127.0.0.1:8080")),
            ("127.0.0.1:8080", Some("127.0.0.1:8080")),
        ] {
            let e = h.check_origin(origin, host).expect_err(origin);
            assert_eq!(e.status, StatusCode::FORBIDDEN, "{origin} {host:?}");
            assert!(e.message.contains("another origin"), "{e}");
        }
    }
}
