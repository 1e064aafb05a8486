//! The far end: accepts sessions (see [`crate::wire`]), receives the upload, sends the
//! download at the rate the hello asked for, and reports its counts. `bandwatch generate
//! --serve` runs it until stopped; a loopback run starts one for a single session.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::{GenerateError, Result};
use crate::rate::{Plan, MAX_RATE_BPS, MIN_RATE_BPS};
use crate::stream::{receive_all, send_paced};
use crate::timer::RealTimer;
use crate::wire::{read_frame, write_frame, Direction, Frame, VERSION};

/// How long a silent socket is waited on before the session is given up.
pub(crate) const IDLE: Duration = Duration::from_secs(30);
/// The longest session a far end accepts.
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// What happened to a session, for the far end's log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// A session began.
    Started {
        /// Who asked.
        peer: SocketAddr,
        /// What they will send.
        upload: Option<Plan>,
        /// What they asked us to send.
        download: Option<Plan>,
    },
    /// A session ended with these payload counts.
    Finished {
        /// Who it was.
        peer: SocketAddr,
        /// Payload bytes received.
        received: u64,
        /// Payload bytes sent.
        sent: u64,
    },
    /// A connection or session failed.
    Failed {
        /// Who it was.
        peer: SocketAddr,
        /// Why.
        error: String,
    },
}

/// Sessions waiting for their data connections.
#[derive(Default)]
struct Registry {
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, Sender<(Direction, TcpStream)>>>,
}

type Observer = Arc<dyn Fn(ServerEvent) + Send + Sync>;

/// A bound far end.
pub struct Server {
    listener: TcpListener,
    registry: Arc<Registry>,
}

impl Server {
    /// Listens on `addr` (`0.0.0.0:5210`, `[::]:5210`, `127.0.0.1:0`).
    pub fn bind(addr: &str) -> Result<Self> {
        let listener = TcpListener::bind(addr).map_err(|source| GenerateError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        Ok(Self {
            listener,
            registry: Arc::default(),
        })
    }

    /// The address it listens on (with the port chosen, for `:0`).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(GenerateError::io("reading the listening address"))
    }

    /// Serves sessions until the process is stopped, telling `on_event` of each.
    pub fn run(self, on_event: impl Fn(ServerEvent) + Send + Sync + 'static) -> Result<()> {
        let on_event: Observer = Arc::new(on_event);
        loop {
            let (stream, peer) = self
                .listener
                .accept()
                .map_err(GenerateError::io("accepting a connection"))?;
            let registry = Arc::clone(&self.registry);
            let on_event = Arc::clone(&on_event);
            std::thread::spawn(move || {
                if let Err(e) = handle(stream, peer, &registry, &on_event) {
                    on_event(ServerEvent::Failed {
                        peer,
                        error: e.to_string(),
                    });
                }
            });
        }
    }

    /// Serves the first `connections` connections (one session's control and data) on a
    /// thread of its own, which ends when that session has.
    pub(crate) fn spawn_one(self, connections: usize) -> JoinHandle<Result<()>> {
        std::thread::spawn(move || {
            let on_event: Observer = Arc::new(|_| {});
            let mut handlers = Vec::new();
            for _ in 0..connections {
                let (stream, peer) = self
                    .listener
                    .accept()
                    .map_err(GenerateError::io("accepting a connection"))?;
                let registry = Arc::clone(&self.registry);
                let on_event = Arc::clone(&on_event);
                handlers.push(std::thread::spawn(move || {
                    handle(stream, peer, &registry, &on_event)
                }));
            }
            for h in handlers {
                h.join().map_err(|_| GenerateError::Panicked("far end"))??;
            }
            Ok(())
        })
    }
}

/// One accepted connection: a session's control connection or one of its data connections.
fn handle(
    mut stream: TcpStream,
    peer: SocketAddr,
    registry: &Registry,
    on_event: &Observer,
) -> Result<()> {
    set_timeouts(&stream)?;
    match read_frame(&mut stream)?.0 {
        Frame::Hello {
            version,
            upload,
            download,
        } => {
            if let Err(reason) = check_hello(version, upload.as_ref(), download.as_ref()) {
                write_frame(
                    &mut stream,
                    &Frame::Refuse {
                        reason: reason.clone(),
                    },
                )?;
                return Err(GenerateError::Refused(reason));
            }
            on_event(ServerEvent::Started {
                peer,
                upload,
                download,
            });
            let (received, sent) = session(stream, registry, upload, download)?;
            on_event(ServerEvent::Finished {
                peer,
                received,
                sent,
            });
            Ok(())
        }
        Frame::Join { session, direction } => {
            let waiting = registry
                .waiting
                .lock()
                .map_err(|_| GenerateError::Panicked("far end"))?
                .get(&session)
                .cloned();
            let tx = waiting.ok_or_else(|| {
                GenerateError::Protocol(format!("a data connection for unknown session {session}"))
            })?;
            tx.send((direction, stream))
                .map_err(|_| GenerateError::Protocol(format!("session {session} is over")))
        }
        other => Err(GenerateError::Protocol(format!(
            "expected hello or join, got {other:?}"
        ))),
    }
}

/// Why a hello cannot be served, if it cannot.
fn check_hello(
    version: u32,
    upload: Option<&Plan>,
    download: Option<&Plan>,
) -> std::result::Result<(), String> {
    if version != VERSION {
        return Err(format!(
            "protocol version {version}, this far end speaks {VERSION}; run the same bandwatch version on both machines"
        ));
    }
    if upload.is_none() && download.is_none() {
        return Err("neither upload nor download was asked for".into());
    }
    for plan in upload.iter().chain(download.iter()) {
        if !(MIN_RATE_BPS..=MAX_RATE_BPS).contains(&plan.rate_bps)
            || plan.duration() > MAX_DURATION
            || plan.duration_ms == 0
        {
            return Err(format!(
                "{} bit/s for {} ms is beyond what this far end serves (1k to 100G bit/s, up to 24 h)",
                plan.rate_bps, plan.duration_ms
            ));
        }
    }
    Ok(())
}

/// Runs an accepted session: welcomes it, waits for its data connections, moves the payload
/// and reports. Returns the payload received and sent.
fn session(
    mut control: TcpStream,
    registry: &Registry,
    upload: Option<Plan>,
    download: Option<Plan>,
) -> Result<(u64, u64)> {
    let id = registry.next.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = channel();
    registry
        .waiting
        .lock()
        .map_err(|_| GenerateError::Panicked("far end"))?
        .insert(id, tx);
    let welcomed = write_frame(&mut control, &Frame::Welcome { session: id });
    let wanted = usize::from(upload.is_some()) + usize::from(download.is_some());
    let mut joined = Vec::new();
    while welcomed.is_ok() && joined.len() < wanted {
        match rx.recv_timeout(IDLE) {
            Ok(j) => joined.push(j),
            Err(_) => break,
        }
    }
    registry
        .waiting
        .lock()
        .map_err(|_| GenerateError::Panicked("far end"))?
        .remove(&id);
    welcomed?;
    if joined.len() < wanted {
        return Err(GenerateError::Protocol(
            "the client did not open its data connections".into(),
        ));
    }
    let mut workers = Vec::new();
    for (direction, stream) in joined {
        let plan = match direction {
            Direction::Upload if upload.is_some() => None,
            Direction::Upload => {
                return Err(GenerateError::Protocol(
                    "an upload connection no hello asked for".into(),
                ))
            }
            Direction::Download => Some(download.ok_or_else(|| {
                GenerateError::Protocol("a download connection no hello asked for".into())
            })?),
        };
        workers.push((
            direction,
            std::thread::spawn(move || move_payload(stream, plan)),
        ));
    }
    let (mut received, mut sent) = (0, 0);
    for (direction, worker) in workers {
        let n = worker
            .join()
            .map_err(|_| GenerateError::Panicked("payload"))?
            .map_err(GenerateError::io("moving payload"))?;
        match direction {
            Direction::Upload => received += n,
            Direction::Download => sent += n,
        }
    }
    write_frame(&mut control, &Frame::Report { received, sent })?;
    control
        .flush()
        .map_err(GenerateError::io("sending the report"))?;
    Ok((received, sent))
}

/// The far end's side of one data connection: receive to the end, or send the plan and
/// close our side, then wait for the client to close its own.
fn move_payload(mut stream: TcpStream, plan: Option<Plan>) -> std::io::Result<u64> {
    let unused = AtomicU64::new(0);
    match plan {
        None => receive_all(&mut stream, &unused),
        Some(plan) => {
            let sent = send_paced(&mut stream, &plan, &RealTimer::new(), &unused)?;
            stream.shutdown(Shutdown::Write)?;
            receive_all(&mut stream, &unused)?;
            Ok(sent)
        }
    }
}

/// Reads and writes that wait longer than [`IDLE`] fail, so a vanished client frees its
/// session.
pub(crate) fn set_timeouts(stream: &TcpStream) -> Result<()> {
    stream
        .set_read_timeout(Some(IDLE))
        .and_then(|()| stream.set_write_timeout(Some(IDLE)))
        .map_err(GenerateError::io("setting socket timeouts"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hellos_beyond_the_limits_are_refused_with_reasons() {
        let ok = Plan::new(1_000_000, Duration::from_secs(1));
        assert_eq!(check_hello(VERSION, Some(&ok), None), Ok(()));
        assert!(check_hello(2, Some(&ok), None)
            .unwrap_err()
            .contains("same bandwatch version"));
        assert!(check_hello(VERSION, None, None).is_err());
        let huge = Plan::new(MAX_RATE_BPS + 1, Duration::from_secs(1));
        assert!(check_hello(VERSION, None, Some(&huge)).is_err());
        let long = Plan::new(1_000_000, MAX_DURATION + Duration::from_secs(1));
        assert!(check_hello(VERSION, Some(&long), None).is_err());
    }
}
