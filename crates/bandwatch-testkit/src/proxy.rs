//! A TCP proxy on 127.0.0.1 that a test can cut, to make a server go away and come back
//! without touching the server.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A TCP proxy to a server that the test can cut: every connection closed, new ones closed
/// as soon as they are accepted, until it is restored. Its thread lives as long as the test
/// process.
pub struct Proxy {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Listens on a free port and forwards every connection to `upstream` (`host:port`).
    pub fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (c, o) = (Arc::clone(&cut), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if c.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut open = o.lock().expect("lock");
                open.push(client.try_clone().expect("clone"));
                open.push(server.try_clone().expect("clone"));
                drop(open);
                pipe(
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                pipe(server, client);
            }
        });
        Self { port, cut, open }
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for s in self.open.lock().expect("lock").drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` on a thread of its own until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead as _;
    use std::io::BufReader;
    use std::time::Duration;

    /// An echo server of lines.
    fn echo() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for s in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut w = s.try_clone().unwrap();
                    for line in BufReader::new(s).lines().map_while(Result::ok) {
                        if writeln!(w, "{line}").is_err() {
                            break;
                        }
                    }
                });
            }
        });
        port
    }

    fn round_trip(port: u16) -> Option<String> {
        let s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        writeln!(&s, "ping").ok()?;
        let mut line = String::new();
        BufReader::new(&s).read_line(&mut line).ok()?;
        Some(line).filter(|l| !l.is_empty())
    }

    #[test]
    fn forwards_until_cut_and_again_once_restored() {
        let proxy = Proxy::start(format!("127.0.0.1:{}", echo()));
        assert_eq!(round_trip(proxy.port).as_deref(), Some("ping\n"));
        let held = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
        held.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        proxy.cut();
        let mut buf = [0u8; 1];
        assert_eq!(
            (&held).read(&mut buf).unwrap_or(0),
            0,
            "held connection closed"
        );
        assert_eq!(round_trip(proxy.port), None);
        proxy.restore();
        assert_eq!(round_trip(proxy.port).as_deref(), Some("ping\n"));
    }
}
