//! TCP connect and plain-HTTP GET probes over std's `TcpStream`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
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

/// The parts of an `http://host[:port]/path` URL a GET needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// The `Host` header value (host and port as written).
    pub authority: String,
    /// Host without port (brackets removed for IPv6).
    pub host: String,
    /// Port, 80 unless given.
    pub port: u16,
    /// The request target, at least `/`.
    pub path: String,
}

/// Why a URL cannot be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// `https://` needs TLS, which this probe does not do yet.
    #[error(
        "https:// is not yet supported by the HTTP probe; probe the port with a TCP target instead"
    )]
    HttpsUnsupported,
    /// Not an `http://` URL, or its port is not a number.
    #[error("'{0}' is not an http://host[:port]/path URL")]
    Malformed(String),
}

/// Parses an `http://` URL.
pub fn parse_http_url(url: &str) -> Result<HttpUrl, UrlError> {
    if url.starts_with("https://") {
        return Err(UrlError::HttpsUnsupported);
    }
    let bad = || UrlError::Malformed(url.to_owned());
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    if authority.is_empty() {
        return Err(bad());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => 80,
            None => return Err(bad()),
        };
        (h, port)
    } else if let Some((h, p)) = authority.rsplit_once(':') {
        (h, p.parse().map_err(|_| bad())?)
    } else {
        (authority, 80)
    };
    Ok(HttpUrl {
        authority: authority.to_owned(),
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// Sends `GET` and reads the status line; the body is not read.
pub fn http_get(url: &HttpUrl, timeout: Duration) -> io::Result<HttpReply> {
    let start = Instant::now();
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "host has no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    let left = timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1));
    s.set_read_timeout(Some(left))?;
    s.set_write_timeout(Some(left))?;
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: bandwatch-probe\r\nConnection: close\r\n\r\n",
        url.path, url.authority
    );
    s.write_all(req.as_bytes())?;
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
        let u = parse_http_url("http://127.0.0.1:8080/health?x=1").expect("url");
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/health?x=1")
        );
        let u = parse_http_url("http://[::1]:81").expect("url");
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("::1", 81, "/"));
        assert_eq!(parse_http_url("http://example.org").map(|u| u.port), Ok(80));
        assert_eq!(
            parse_http_url("https://x/"),
            Err(UrlError::HttpsUnsupported)
        );
        assert!(parse_http_url("ftp://x/").is_err());
        assert!(parse_http_url("http://x:port/").is_err());
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status_line(b"HTTP/1.0 404\r\n"), Some(404));
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status_line(b""), None);
    }
}
