//! A session from the client's side: connect (to a far end, or to a sink of our own on
//! 127.0.0.1), move the payload both ways at once on threads of its own, give progress while
//! it runs, and sum it up with the far end's counts and the interface's.

use std::io::Write as _;
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{GenerateError, Result};
use crate::link::{self, LinkCounters, LinkDelta};
use crate::rate::Plan;
use crate::server::{set_timeouts, Server};
use crate::stream::{receive_all, send_paced};
use crate::timer::{RealTimer, Timer};
use crate::wire::{read_frame, write_frame, Direction, Frame, VERSION};

/// How long connecting to a far end may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often progress checks whether the payload is done.
const POLL: Duration = Duration::from_millis(20);

/// Where the traffic goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A sink of our own on 127.0.0.1: everything stays on this machine.
    Loopback,
    /// A far end running `bandwatch generate --serve` at `HOST:PORT`.
    Peer(String),
}

/// Progress: payload moved so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// Since the payload started.
    pub elapsed: Duration,
    /// Payload bytes sent so far.
    pub sent: u64,
    /// Payload bytes received so far.
    pub received: u64,
}

/// One direction's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Way {
    /// What was asked.
    pub plan: Plan,
    /// Payload bytes moved, as we counted them (sent for upload, received for download).
    pub bytes: u64,
    /// The same, as the far end counted them.
    pub peer_bytes: u64,
    /// From this side's first payload byte until the far end had the last one (an upload
    /// ends when the far end closes after reading it all): the plan's duration plus what
    /// was still buffered on the way, so on a link slower than the rate the payload rate
    /// over it is the link's.
    pub took: Duration,
}

/// A finished session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The far end's address.
    pub peer: SocketAddr,
    /// What we sent, if we did.
    pub upload: Option<Way>,
    /// What we received, if we did.
    pub download: Option<Way>,
    /// Control-protocol bytes both ways (frames), none of them payload.
    pub control_bytes: u64,
    /// What crossed the interface meanwhile, when its counters were given and readable.
    pub link: Option<LinkDelta>,
    /// From the first connection to the report.
    pub elapsed: Duration,
}

/// A payload thread: the bytes it moved and how long that took.
type Worker = JoinHandle<std::io::Result<(u64, Duration)>>;

/// A session under way.
pub struct Running {
    peer: SocketAddr,
    control: TcpStream,
    control_bytes: u64,
    upload: Option<Plan>,
    download: Option<Plan>,
    sent: Arc<AtomicU64>,
    received: Arc<AtomicU64>,
    workers: Vec<(Direction, Worker)>,
    sink: Option<JoinHandle<Result<()>>>,
    link: Option<(Box<dyn LinkCounters>, (u64, u64))>,
    timer: RealTimer,
    next_tick: Duration,
}

/// Starts a session to `target`: `upload` is what we send, `download` what the far end sends
/// us (at least one). `link`'s counters are read now and once the session is over.
pub fn start(
    target: &Target,
    upload: Option<Plan>,
    download: Option<Plan>,
    link: Option<Box<dyn LinkCounters>>,
) -> Result<Running> {
    let timer = RealTimer::new();
    // Read before the first connection, so the handshakes count as overhead too.
    let link = link.and_then(|mut l| l.read().map(|before| (l, before)));
    let connections = 1 + usize::from(upload.is_some()) + usize::from(download.is_some());
    let (peer, sink) = match target {
        Target::Loopback => {
            let server = Server::bind("127.0.0.1:0")?;
            let addr = server.local_addr()?;
            (addr.to_string(), Some(server.spawn_one(connections)))
        }
        Target::Peer(p) => (p.clone(), None),
    };
    let mut control = connect(&peer)?;
    let peer_addr = control
        .peer_addr()
        .map_err(GenerateError::io("reading the far end's address"))?;
    let mut control_bytes = write_frame(
        &mut control,
        &Frame::Hello {
            version: VERSION,
            upload,
            download,
        },
    )?;
    let (reply, n) = read_frame(&mut control)?;
    control_bytes += n;
    let session = match reply {
        Frame::Welcome { session } => session,
        Frame::Refuse { reason } => return Err(GenerateError::Refused(reason)),
        other => {
            return Err(GenerateError::Protocol(format!(
                "expected welcome, got {other:?}"
            )))
        }
    };
    let sent = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    let ways = [(Direction::Upload, upload), (Direction::Download, download)];
    for (direction, plan) in ways {
        let Some(plan) = plan else { continue };
        let mut stream = connect(&peer_addr.to_string())?;
        control_bytes += write_frame(&mut stream, &Frame::Join { session, direction })?;
        let worker = match direction {
            Direction::Upload => {
                let count = Arc::clone(&sent);
                std::thread::spawn(move || timed(|| upload_payload(stream, &plan, &count)))
            }
            Direction::Download => {
                let count = Arc::clone(&received);
                std::thread::spawn(move || timed(|| receive_all(&mut stream, &count)))
            }
        };
        workers.push((direction, worker));
    }
    let next_tick = timer.now() + Duration::from_secs(1);
    Ok(Running {
        peer: peer_addr,
        control,
        control_bytes,
        upload,
        download,
        sent,
        received,
        workers,
        sink,
        link,
        timer,
        next_tick,
    })
}

/// Connects to `addr` (any of its addresses), with socket timeouts set.
fn connect(addr: &str) -> Result<TcpStream> {
    let fail = |source| GenerateError::Connect {
        peer: addr.to_string(),
        source,
    };
    let mut last = None;
    for a in addr.to_socket_addrs().map_err(fail)? {
        match TcpStream::connect_timeout(&a, CONNECT_TIMEOUT) {
            Ok(s) => {
                set_timeouts(&s)?;
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(fail(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the name has no address")
    })))
}

/// `work`'s result and how long it took.
fn timed(work: impl FnOnce() -> std::io::Result<u64>) -> std::io::Result<(u64, Duration)> {
    let timer = RealTimer::new();
    work().map(|n| (n, timer.now()))
}

/// Our side of an upload: send the plan, close our side, wait for the far end to close its.
fn upload_payload(mut stream: TcpStream, plan: &Plan, count: &AtomicU64) -> std::io::Result<u64> {
    let sent = send_paced(&mut stream, plan, &RealTimer::new(), count)?;
    stream.flush()?;
    stream.shutdown(Shutdown::Write)?;
    receive_all(&mut stream, &AtomicU64::new(0))?;
    Ok(sent)
}

impl Running {
    /// The far end's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Waits for the next whole second of the session and returns the payload moved so far;
    /// `None` once the payload is done in both directions (then call [`Running::finish`]).
    pub fn next_tick(&mut self) -> Option<Tick> {
        loop {
            if self.workers.iter().all(|(_, w)| w.is_finished()) {
                return None;
            }
            let now = self.timer.now();
            if now >= self.next_tick {
                let tick = Tick {
                    elapsed: self.next_tick,
                    sent: self.sent.load(Ordering::Relaxed),
                    received: self.received.load(Ordering::Relaxed),
                };
                self.next_tick += Duration::from_secs(1);
                return Some(tick);
            }
            self.timer
                .sleep(self.next_tick.saturating_sub(now).min(POLL));
        }
    }

    /// Waits for the payload and the far end's report, reads the interface once the last
    /// packets have been counted, and sums the session up.
    pub fn finish(mut self) -> Result<Summary> {
        let mut ours = [(0, Duration::ZERO); 2];
        for (direction, worker) in self.workers.drain(..) {
            let n = worker
                .join()
                .map_err(|_| GenerateError::Panicked("payload"))?
                .map_err(GenerateError::io("moving payload"))?;
            match direction {
                Direction::Upload => ours[0] = n,
                Direction::Download => ours[1] = n,
            }
        }
        let (report, n) = read_frame(&mut self.control)?;
        self.control_bytes += n;
        let Frame::Report { received, sent } = report else {
            return Err(GenerateError::Protocol(format!(
                "expected the report, got {report:?}"
            )));
        };
        // The far end closes first; waiting for it means its last packets are on the wire.
        let _ = receive_all(&mut self.control, &AtomicU64::new(0));
        drop(self.control);
        if let Some(sink) = self.sink.take() {
            sink.join()
                .map_err(|_| GenerateError::Panicked("loopback sink"))??;
        }
        let link = self.link.take().and_then(|(mut l, before)| {
            link::settled(l.as_mut(), &self.timer).map(|after| link::delta(l.name(), before, after))
        });
        Ok(Summary {
            peer: self.peer,
            upload: self.upload.map(|plan| Way {
                plan,
                bytes: ours[0].0,
                peer_bytes: received,
                took: ours[0].1,
            }),
            download: self.download.map(|plan| Way {
                plan,
                bytes: ours[1].0,
                peer_bytes: sent,
                took: ours[1].1,
            }),
            control_bytes: self.control_bytes,
            link,
            elapsed: self.timer.now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counters that grow by a fixed step on every read.
    struct Growing(u64);

    impl LinkCounters for Growing {
        fn name(&self) -> &'static str {
            "lo"
        }

        fn read(&mut self) -> Option<(u64, u64)> {
            self.0 += 1000;
            Some((self.0, self.0 * 2))
        }
    }

    #[test]
    fn a_loopback_session_counts_the_same_payload_at_both_ends() {
        let plan = Plan::new(8_000_000, Duration::from_millis(300));
        let running = start(&Target::Loopback, Some(plan), Some(plan), None).expect("start");
        assert!(running.peer().ip().is_loopback());
        let s = running.finish().expect("finish");
        let (up, down) = (s.upload.expect("upload"), s.download.expect("download"));
        // 1 MB/s for 0.3 s: a chunk either way, and a stall of the test machine beyond what
        // the bucket makes up.
        for way in [up, down] {
            assert!(way.bytes.abs_diff(300_000) <= 30_000, "{way:?}");
            assert_eq!(way.bytes, way.peer_bytes);
        }
        assert!(s.control_bytes > 0);
        assert_eq!(s.link, None);
    }

    #[test]
    fn one_direction_opens_one_data_connection_and_the_link_is_read_around_it() {
        let plan = Plan::new(1_000_000, Duration::from_millis(100));
        let link = Box::new(Growing(0));
        let s = start(&Target::Loopback, None, Some(plan), Some(link))
            .expect("start")
            .finish()
            .expect("finish");
        assert_eq!(s.upload, None);
        assert!(s
            .download
            .is_some_and(|w| w.bytes > 0 && w.bytes == w.peer_bytes));
        let l = s.link.expect("link");
        assert_eq!(l.name, "lo");
        assert!(l.rx_bytes >= 1000 && l.tx_bytes == l.rx_bytes * 2);
    }

    #[test]
    fn a_hello_beyond_the_far_ends_limits_is_refused_with_its_reason() {
        let plan = Plan::new(1, Duration::from_millis(100));
        let err = start(&Target::Loopback, Some(plan), None, None)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("refused") && err.contains("1k to 100G"),
            "{err}"
        );
    }

    #[test]
    fn nothing_listening_is_a_connect_error_naming_the_peer() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let peer = format!("127.0.0.1:{port}");
        let err = start(&Target::Peer(peer.clone()), None, None, None)
            .err()
            .expect("fails")
            .to_string();
        assert!(err.contains(&peer) && err.contains("--serve"), "{err}");
    }
}
