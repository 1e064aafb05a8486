//! TCP connect and HTTP GET probes over std's `TcpStream` (TLS for `https://` is in
//! [`super::tls`]).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Time to complete a TCP handshake with `addr`.
pub fn tcp_connect(addr: SocketAddr, timeout: Duration) -> io::Result<Duration> {
    let start = Instant::now();
    let _stream = TcpStream::connect_timeout(&addr, timeout)?;
    Ok(start.elapsed())
}

/// What one HTTP GET returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpReply {
    /// The response status code.
    pub status: u16,
    /// From the start of the connect to the first byte of the response.
    pub ttfb: Duration,
}

/// The parts of an `http(s)://host[:port]/path` URL a GET needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// Whether the scheme is `https`.
    pub tls: bool,
    /// The `Host` header value (host and port as written).
    pub authority: String,
    /// Host without port (brackets removed for IPv6).
    pub host: String,
    /// Port, 80 (http) or 443 (https) unless given.
    pub port: u16,
    /// The request target, at least `/`.
    pub path: String,
}

/// Why a URL cannot be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not an `http://` or `https://` URL, or its host or port is not usable.
    #[error("'{0}' is not an http(s)://host[:port]/path URL; check the host and the port")]
    Malformed(String),
}

/// Parses an `http://` or `https://` URL.
pub fn parse_url(url: &str) -> Result<HttpUrl, UrlError> {
    let bad = || UrlError::Malformed(url.to_owned());
    let (tls, rest) = match url.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("http") => (false, rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("https") => (true, rest),
        _ => return Err(bad()),
    };
    let default_port = if tls { 443 } else { 80 };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = match path.split('#').next() {
        Some(p) if p.starts_with('/') => p.to_owned(),
        Some(p) => format!("/{p}"),
        None => "/".to_owned(),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(bad)?;
        h.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => default_port,
            None => return Err(bad()),
        };
        (h, port)
    } else if let Some((h, p)) = authority.rsplit_once(':') {
        (h, p.parse().map_err(|_| bad())?)
    } else {
        (authority, default_port)
    };
    if port == 0 || super::target::Host::parse(host).is_none() || authority.contains('@') {
        return Err(bad());
    }
    Ok(HttpUrl {
        tls,
        authority: authority.to_owned(),
        host: host.to_owned(),
        port,
        path,
    })
}

/// Sends `GET` over plain TCP to `addr` and reads the status line; the body is not read.
pub fn http_get(url: &HttpUrl, addr: SocketAddr, timeout: Duration) -> io::Result<HttpReply> {
    let start = Instant::now();
    let mut s = connect(addr, timeout, start)?;
    request(&mut s, url, start)
}

/// Connects and sets what is left of `timeout` as the read and write timeouts.
pub(super) fn connect(
    addr: SocketAddr,
    timeout: Duration,
    start: Instant,
) -> io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout)?;
    let left = timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1));
    s.set_read_timeout(Some(left))?;
    s.set_write_timeout(Some(left))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Writes the request and reads up to the end of the status line; `ttfb` counts from `start`.
pub(super) fn request(
    s: &mut (impl Read + Write),
    url: &HttpUrl,
    start: Instant,
) -> io::Result<HttpReply> {
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: bandwatch-probe\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    );
    s.write_all(req.as_bytes())?;
    s.flush()?;
    let mut buf = [0u8; 512];
    let mut got = 0;
    let mut ttfb = None;
    while got < buf.len() {
        let n = s.read(&mut buf[got..])?;
        if n == 0 {
            break;
        }
        ttfb.get_or_insert_with(|| start.elapsed());
        got += n;
        if buf[..got].contains(&b'\n') {
            break;
        }
    }
    let status = parse_status_line(&buf[..got])
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP status line"))?;
    Ok(HttpReply {
        status,
        ttfb: ttfb.unwrap_or_else(|| start.elapsed()),
    })
}

/// The status code of an `HTTP/1.x NNN …` line.
pub fn parse_status_line(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    let mut parts = text.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://127.0.0.1:8080/health?x=1").expect("url");
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 8080, "/health?x=1")
        );
        let u = parse_url("http://[::1]:81").expect("url");
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("::1", 81, "/"));
        assert_eq!(parse_url("http://example.org").map(|u| u.port), Ok(80));
        let u = parse_url("HTTPS://nas.lan?x#frag").expect("url");
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (true, "nas.lan", 443, "/?x")
        );
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http://x:port/").is_err());
        assert!(parse_url("http://x:0/").is_err());
        assert!(parse_url("http:///").is_err());
        assert!(parse_url("http://[nope]/").is_err());
        assert!(parse_url("http://user@x/").is_err());
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status_line(b"HTTP/1.0 404\r\n"), Some(404));
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status_line(b""), None);
    }
}
