//! A tiny HTTP receiver on 127.0.0.1 for the notification tests: it records every request and
//! answers from a script of status codes (then 200), or never answers when told to hang.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// Header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// The status it was answered with (None when it was left hanging).
    pub status: Option<u16>,
}

/// The receiver; dropping it stops nothing (the thread dies with the test process).
pub struct Receiver {
    /// Its port on 127.0.0.1.
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Receiver {
    /// Listens on `port` (0: any free port) and answers with `script`, then 200; `hang` makes
    /// it read requests but never answer.
    pub fn start(port: u16, script: Vec<u16>, hang: bool) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind receiver");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            let mut script = script.into_iter();
            let mut held = Vec::new();
            for stream in listener.incoming().flatten() {
                let status = if hang {
                    None
                } else {
                    Some(script.next().unwrap_or(200))
                };
                if let Some(req) = serve(&stream, status) {
                    seen.lock().expect("lock").push(req);
                }
                if hang {
                    held.push(stream);
                }
            }
        });
        Self { port, requests }
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }

    /// Waits until `n` requests have arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Request> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} requests arrived: {got:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(stream: &TcpStream, status: Option<u16>) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    if let Some(code) = status {
        let mut w = stream;
        let _ = write!(
            w,
            "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
    }
    Some(Request {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status,
    })
}
