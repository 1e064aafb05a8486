//! The reader thread: a backend that can wait for the kernel (the capture ring) is drained
//! as the kernel fills it, not once per tick, so its ring only has to hold the frames of a
//! scheduling delay (a few milliseconds) instead of a whole tick — a 256 KiB ring instead of
//! 4 MiB, which is most of the source's memory (the ring is mapped, so it counts in RSS).
//!
//! The thread blocks in poll(2) on the backend's sockets and on a stop pipe, and when woken
//! walks the retired blocks into the shared accounting; the source drains that accounting on
//! its tick. Dropping the [`Reader`] writes to the pipe and joins the thread.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::account::Accounting;
use super::backend::Backend;
use crate::error::CollectError;

/// How long the thread waits before looking again when the kernel says nothing: a safety
/// net only (the kernel wakes it for every retired block), so an idle agent wakes once a
/// second.
const WAIT: Duration = Duration::from_secs(1);

/// What the thread tells the source.
#[derive(Default)]
struct State {
    stop: AtomicBool,
    drops: AtomicU64,
    observed: AtomicU64,
    error: Mutex<Option<CollectError>>,
}

/// A backend running on a thread of its own; see the module documentation.
pub struct Reader {
    state: Arc<State>,
    stop_tx: Option<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl Reader {
    /// Starts a thread that waits on `backend` and polls it into `accounting`.
    pub fn start(
        mut backend: Box<dyn Backend>,
        accounting: Arc<Mutex<Accounting>>,
    ) -> std::io::Result<Self> {
        let (stop_rx, stop_tx) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        let state = Arc::new(State::default());
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(format!("devices-{}", backend.name()))
            .stack_size(64 * 1024)
            .spawn(move || {
                let state = thread_state;
                while !state.stop.load(Ordering::Acquire) {
                    if let Err(e) = backend.wait(stop_rx.as_fd(), WAIT) {
                        state.keep(e);
                        // Not a tight loop when waiting itself fails: sleep on the stop pipe.
                        let mut fds = [rustix::event::PollFd::new(
                            &stop_rx,
                            rustix::event::PollFlags::IN,
                        )];
                        let _ = rustix::event::poll(&mut fds, Some(&timespec(WAIT)));
                        continue;
                    }
                    if state.stop.load(Ordering::Acquire) {
                        break;
                    }
                    let polled = {
                        let mut acc = accounting.lock().unwrap_or_else(PoisonError::into_inner);
                        backend.poll(&mut *acc)
                    };
                    match polled {
                        Ok(seen) => {
                            state.drops.fetch_add(seen.kernel_drops, Ordering::Relaxed);
                            state.observed.fetch_add(seen.observed, Ordering::Relaxed);
                        }
                        Err(e) => state.keep(e),
                    }
                }
            })?;
        Ok(Self {
            state,
            stop_tx: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Packets the kernel dropped since the last call.
    pub fn take_drops(&self) -> u64 {
        self.state.drops.swap(0, Ordering::Relaxed)
    }

    /// Packets read since the last call.
    pub fn take_observed(&self) -> u64 {
        self.state.observed.swap(0, Ordering::Relaxed)
    }

    /// The first error the thread met since the last call.
    pub fn take_error(&self) -> Option<CollectError> {
        self.state
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.state.stop.store(true, Ordering::Release);
        // Closing the write end makes the read end readable (end of file): that wakes the
        // thread from its poll at once.
        self.stop_tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.shut();
    }
}

impl State {
    fn keep(&self, e: CollectError) {
        let mut slot = self.error.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(e);
        }
    }
}

/// `d` as poll(2)'s timeout.
pub(crate) fn timespec(d: Duration) -> rustix::event::Timespec {
    rustix::event::Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::BorrowedFd;

    use super::*;
    use crate::devices::account::AccountingConfig;
    use crate::devices::backend::{BackendStats, Observer};
    use crate::devices::packet::{Mac, PacketMeta};

    /// A backend whose "kernel" is a pipe the test writes to: each byte is one packet.
    struct PipeBackend {
        rx: OwnedFd,
    }

    impl Backend for PipeBackend {
        fn name(&self) -> &'static str {
            "pipe"
        }
        fn can_wait(&self) -> bool {
            true
        }
        fn wait(&mut self, stop: BorrowedFd<'_>, timeout: Duration) -> crate::Result<()> {
            let mut fds = [
                rustix::event::PollFd::new(&self.rx, rustix::event::PollFlags::IN),
                rustix::event::PollFd::from_borrowed_fd(stop, rustix::event::PollFlags::IN),
            ];
            let _ = rustix::event::poll(&mut fds, Some(&timespec(timeout)));
            Ok(())
        }
        fn poll(&mut self, out: &mut dyn Observer) -> crate::Result<BackendStats> {
            let mut buf = [0u8; 64];
            let n = rustix::io::read(&self.rx, &mut buf).unwrap_or(0);
            for _ in 0..n {
                out.packet(&PacketMeta {
                    src_mac: Some(Mac([2, 0, 0, 0, 0, 1])),
                    dst_mac: Some(Mac([2, 0, 0, 0, 0, 0xfe])),
                    src_ip: Some("192.168.1.2".parse().unwrap()),
                    dst_ip: Some("1.1.1.1".parse().unwrap()),
                    wire_len: 100,
                });
            }
            Ok(BackendStats {
                kernel_drops: 1,
                observed: n as u64,
            })
        }
    }

    #[test]
    fn the_thread_counts_what_arrives_and_stops_at_once() {
        let (rx, tx) = rustix::pipe::pipe().unwrap();
        rustix::fs::fcntl_setfl(&rx, rustix::fs::OFlags::NONBLOCK).unwrap();
        let acc = Arc::new(Mutex::new(Accounting::new(AccountingConfig::default())));
        let reader = Reader::start(Box::new(PipeBackend { rx }), Arc::clone(&acc)).unwrap();
        rustix::io::write(&tx, &[0; 5]).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut seen = 0;
        while seen < 5 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
            seen += reader.take_observed();
        }
        assert_eq!(seen, 5);
        let drained = acc.lock().unwrap().drain();
        assert_eq!(drained.devices[0].counts.tx, 500);
        assert!(reader.take_drops() >= 1);
        let t = std::time::Instant::now();
        reader.stop();
        assert!(
            t.elapsed() < Duration::from_millis(900),
            "woken by the pipe, not the timeout"
        );
    }
}
