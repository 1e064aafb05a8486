//! The writer thread: frames arrive through a bounded queue, leave in gzip batches, and wait
//! in the disk buffer while the server is away; the buffer is replayed in order before live
//! data when it returns, and after a restart.
//!
//! [`InfluxSink`] is the writer as one of the agent's sinks: it owns the thread and counts
//! lines in [`SinkCounters`] (queued in memory or on disk, written, dropped, retried requests).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bandwatch_core::{Flow, Frame, Sink, SinkCounters};

use super::buffer::DiskBuffer;
use super::client::{gzip, InfluxClient};
use super::config::InfluxConfig;
use super::error::{Error, Result};
use super::line::LineEncoder;

/// A snapshot of the writer's self-metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfluxStats {
    /// Lines the server accepted.
    pub written_lines: u64,
    /// Bytes (gzip) waiting in the disk buffer.
    pub buffered_bytes: u64,
    /// Batches waiting in the disk buffer.
    pub buffered_batches: u64,
    /// Lines given up: queue full, oldest dropped from a full disk buffer, rejected by the
    /// server (4xx other than 429), or lost to a disk error.
    pub dropped_lines: u64,
    /// Requests that failed (any error).
    pub failed_requests: u64,
}

#[derive(Debug, Default)]
struct Counters {
    written_lines: AtomicU64,
    buffered_bytes: AtomicU64,
    buffered_batches: AtomicU64,
    dropped_lines: AtomicU64,
    failed_requests: AtomicU64,
    queue_full: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// Lines in the queue to the thread.
    queued_lines: AtomicU64,
    /// Lines the thread holds: its in-memory batch and the disk buffer.
    held_lines: AtomicU64,
    /// The same story as the agent's sink board reads it.
    sink: SinkCounters,
}

impl Counters {
    fn drop_lines(&self, n: u64) {
        self.dropped_lines.fetch_add(n, Ordering::Relaxed);
        self.sink.add_dropped(n);
    }

    fn publish_depth(&self) {
        let queued = self.queued_lines.load(Ordering::Relaxed);
        let held = self.held_lines.load(Ordering::Relaxed);
        self.sink.set_queue_depth(queued + held);
    }

    fn set_error(&self, e: &Error) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
    }
}

enum Msg {
    Lines(String, usize),
    Close,
}

/// Starts the writer thread.
#[derive(Debug)]
pub struct InfluxWriter;

impl InfluxWriter {
    /// Checks the configuration, opens the disk buffer (leftover batches are sent first) and
    /// starts the thread; join the handle after [`InfluxHandle::close`].
    pub fn spawn(config: InfluxConfig) -> Result<(InfluxHandle, JoinHandle<()>)> {
        let client = InfluxClient::new(&config)?;
        let (buffer, trimmed) = DiskBuffer::open(&config.buffer_dir, config.buffer_max_bytes)?;
        let stats = Arc::new(Counters::default());
        if trimmed > 0 {
            tracing::warn!(lines = trimmed, dir = %config.buffer_dir.display(),
                "influx disk buffer was over its size bound; dropped its oldest batches");
            stats.drop_lines(trimmed);
        }
        if !buffer.is_empty() {
            tracing::info!(
                batches = buffer.batches(),
                lines = buffer.lines(),
                "influx: replaying batches left in the disk buffer"
            );
        }
        let (tx, rx) = sync_channel(config.queue_frames);
        let encoder = Arc::new(LineEncoder::new(config.host_tag.clone(), config.catalog));
        let worker = Worker {
            retry: Backoff::new(config.retry_initial, config.retry_max),
            config,
            client,
            buffer,
            stats: Arc::clone(&stats),
            pending: String::new(),
            pending_lines: 0,
            pending_since: None,
            retry_at: None,
        };
        worker.publish_buffer();
        let join = std::thread::Builder::new()
            .name("influx-writer".into())
            .spawn(move || worker.run(&rx))
            .map_err(|source| Error::Spawn { source })?;
        Ok((InfluxHandle { tx, encoder, stats }, join))
    }

    /// Starts the writer as an [`InfluxSink`] that owns its thread.
    pub fn start(config: InfluxConfig) -> Result<InfluxSink> {
        let (handle, thread) = Self::spawn(config)?;
        Ok(InfluxSink {
            handle,
            thread: Some(thread),
        })
    }
}

/// The writer as a sink of the agent: each frame is encoded and queued, and
/// [`Sink::close`] flushes (to the server, or to the disk buffer) and joins the thread.
#[derive(Debug)]
pub struct InfluxSink {
    handle: InfluxHandle,
    thread: Option<JoinHandle<()>>,
}

impl InfluxSink {
    /// The caller's side, for its stats and last error.
    pub fn handle(&self) -> &InfluxHandle {
        &self.handle
    }
}

impl Sink for InfluxSink {
    fn name(&self) -> &'static str {
        "influxdb"
    }

    fn frame(&mut self, frame: &Frame) -> Flow {
        self.handle.send(frame);
        Flow::Continue
    }

    fn counters(&self) -> SinkCounters {
        self.handle.sink_counters()
    }

    fn close(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.handle.close();
        if thread.join().is_err() {
            tracing::error!("the InfluxDB writer thread panicked");
        }
        let s = self.handle.stats();
        tracing::info!(
            written_lines = s.written_lines,
            dropped_lines = s.dropped_lines,
            buffered_batches = s.buffered_batches,
            failed_requests = s.failed_requests,
            "InfluxDB writer stopped"
        );
    }
}

impl Drop for InfluxSink {
    fn drop(&mut self) {
        self.close();
    }
}

/// The caller's side of the writer: cheap to clone, never blocks on [`InfluxHandle::send`].
#[derive(Debug, Clone)]
pub struct InfluxHandle {
    tx: SyncSender<Msg>,
    encoder: Arc<LineEncoder>,
    stats: Arc<Counters>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lines(_, n) => write!(f, "Lines({n})"),
            Self::Close => f.write_str("Close"),
        }
    }
}

impl InfluxHandle {
    /// Encodes the frame and queues it; when the queue is full (or the writer has stopped)
    /// the frame is dropped and counted in `dropped_lines`. Returns whether it was queued.
    pub fn send(&self, frame: &Frame) -> bool {
        let (lines, n) = self.encoder.encode(frame);
        if n == 0 {
            return true;
        }
        // Counted before it is sent, so the thread never takes lines off a count of zero.
        self.stats
            .queued_lines
            .fetch_add(n as u64, Ordering::Relaxed);
        match self.tx.try_send(Msg::Lines(lines, n)) {
            Ok(()) => {
                self.stats.queue_full.store(false, Ordering::Relaxed);
                self.stats.publish_depth();
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats
                    .queued_lines
                    .fetch_sub(n as u64, Ordering::Relaxed);
                if !self.stats.queue_full.swap(true, Ordering::Relaxed) {
                    tracing::warn!("influx writer queue is full or stopped; dropping frames");
                }
                self.stats.drop_lines(n as u64);
                false
            }
        }
    }

    /// Asks the writer to flush what it holds (to the server, or to disk when it is down)
    /// and stop; join the thread to wait for it. Blocks only while the queue is full.
    pub fn close(&self) {
        // An error means the thread has already stopped, which is what was asked.
        let _ = self.tx.send(Msg::Close);
    }

    /// The current self-metrics.
    pub fn stats(&self) -> InfluxStats {
        let s = &self.stats;
        InfluxStats {
            written_lines: s.written_lines.load(Ordering::Relaxed),
            buffered_bytes: s.buffered_bytes.load(Ordering::Relaxed),
            buffered_batches: s.buffered_batches.load(Ordering::Relaxed),
            dropped_lines: s.dropped_lines.load(Ordering::Relaxed),
            failed_requests: s.failed_requests.load(Ordering::Relaxed),
        }
    }

    /// The counters as a sink reports them, in lines.
    pub fn sink_counters(&self) -> SinkCounters {
        self.stats.sink.clone()
    }

    /// The message of the most recent failed request or disk error (no credentials in it).
    pub fn last_error(&self) -> Option<String> {
        self.stats
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Doubling waits between retries, up to a cap.
#[derive(Debug)]
struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            next: initial,
        }
    }

    fn step(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    fn reset(&mut self) {
        self.next = self.initial;
    }
}

/// What became of one attempt to send a batch.
enum Sent {
    Ok,
    RetryLater,
    Never,
}

struct Worker {
    config: InfluxConfig,
    client: InfluxClient,
    buffer: DiskBuffer,
    stats: Arc<Counters>,
    pending: String,
    pending_lines: usize,
    pending_since: Option<Instant>,
    retry: Backoff,
    /// Set while the server is considered away: no request before this instant.
    retry_at: Option<Instant>,
}

impl Worker {
    fn run(mut self, rx: &Receiver<Msg>) {
        loop {
            let msg = match self.next_deadline() {
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(at) => rx.recv_timeout(at.saturating_duration_since(Instant::now())),
            };
            match msg {
                Ok(Msg::Lines(lines, n)) => {
                    self.stats
                        .queued_lines
                        .fetch_sub(n as u64, Ordering::Relaxed);
                    self.add(&lines, n);
                }
                Ok(Msg::Close) | Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            if self
                .pending_since
                .is_some_and(|t| now >= t + self.config.flush_every)
            {
                self.flush();
            }
            if !self.buffer.is_empty() && self.server_due(now) {
                self.replay_one();
            }
            self.publish_buffer();
        }
        self.shutdown();
    }

    /// When the loop must wake up without a message: the oldest pending line's flush time,
    /// or the next replay attempt.
    fn next_deadline(&self) -> Option<Instant> {
        let flush = self.pending_since.map(|t| t + self.config.flush_every);
        let replay = if self.buffer.is_empty() {
            None
        } else {
            Some(self.retry_at.unwrap_or_else(Instant::now))
        };
        match (flush, replay) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn server_due(&self, now: Instant) -> bool {
        self.retry_at.is_none_or(|t| now >= t)
    }

    fn add(&mut self, lines: &str, n: usize) {
        self.pending.push_str(lines);
        self.pending_lines += n;
        self.pending_since.get_or_insert_with(Instant::now);
        if self.pending_lines >= self.config.batch_lines {
            self.flush();
        }
    }

    /// Sends the in-memory batch, or appends it to the disk buffer behind older batches or
    /// when the server is away.
    fn flush(&mut self) {
        self.pending_since = None;
        if self.pending_lines == 0 {
            return;
        }
        let lines = std::mem::take(&mut self.pending_lines);
        let body = gzip(&std::mem::take(&mut self.pending));
        if self.buffer.is_empty() && self.server_due(Instant::now()) {
            match self.attempt(body.clone(), lines) {
                Sent::Ok => return,
                Sent::Never => return self.stats.drop_lines(lines as u64),
                Sent::RetryLater => {}
            }
        }
        self.spill(&body, lines);
    }

    fn spill(&mut self, body: &[u8], lines: usize) {
        match self.buffer.push(body, lines) {
            Ok(0) => {}
            Ok(dropped) => {
                tracing::warn!(
                    lines = dropped,
                    max_bytes = self.config.buffer_max_bytes,
                    "influx disk buffer is full; dropped its oldest batches"
                );
                self.stats.drop_lines(dropped);
            }
            Err(e) => {
                tracing::error!(error = %e, lines, "influx: batch lost");
                self.stats.set_error(&e);
                self.stats.drop_lines(lines as u64);
            }
        }
        self.publish_buffer();
    }

    /// Sends the oldest buffered batch; removes it unless it should be retried.
    fn replay_one(&mut self) {
        let Some(front) = self.buffer.front() else {
            return;
        };
        let outcome = match front {
            Ok((body, lines)) => self.attempt(body, lines),
            Err(e) => {
                tracing::error!(error = %e, "influx: unreadable buffered batch dropped");
                self.stats.set_error(&e);
                Sent::Never
            }
        };
        if matches!(outcome, Sent::RetryLater) {
            return;
        }
        match self.buffer.pop_front() {
            Ok(lines) if matches!(outcome, Sent::Never) => self.stats.drop_lines(lines as u64),
            Ok(_) => {}
            Err(e) => {
                // Left on disk it would be sent again; better once twice than lost.
                tracing::error!(error = %e, "influx: cannot remove a sent batch");
                self.stats.set_error(&e);
            }
        }
        self.publish_buffer();
    }

    /// One request; updates counters and the retry schedule (the caller counts a `Never`
    /// batch as dropped).
    fn attempt(&mut self, body: Vec<u8>, lines: usize) -> Sent {
        match self.client.write_gzip(body) {
            Ok(()) => {
                self.stats
                    .written_lines
                    .fetch_add(lines as u64, Ordering::Relaxed);
                self.stats.sink.add_written(lines as u64);
                if self.retry_at.take().is_some() {
                    tracing::info!(url = self.client.display_url(), "influx: server is back");
                }
                self.retry.reset();
                Sent::Ok
            }
            Err(e) => {
                self.stats.failed_requests.fetch_add(1, Ordering::Relaxed);
                self.stats.set_error(&e);
                if e.is_retryable() {
                    self.stats.sink.add_retried(1);
                    let wait = e.retry_after().unwrap_or_else(|| self.retry.step());
                    tracing::warn!(error = %e, retry_in = ?wait, "influx: write failed; buffering to disk");
                    self.retry_at = Some(Instant::now() + wait);
                    Sent::RetryLater
                } else {
                    tracing::error!(error = %e, lines, "influx: batch dropped; the server will never accept it");
                    Sent::Never
                }
            }
        }
    }

    /// Final flush: send what is in memory (behind anything buffered) while the server
    /// answers; whatever is left stays on disk for the next start.
    fn shutdown(mut self) {
        if self.pending_lines > 0 {
            if self.buffer.is_empty() {
                self.flush();
            } else {
                let lines = std::mem::take(&mut self.pending_lines);
                let body = gzip(&std::mem::take(&mut self.pending));
                self.spill(&body, lines);
            }
        }
        while !self.buffer.is_empty() && self.server_due(Instant::now()) {
            let before = self.buffer.batches();
            self.replay_one();
            if self.buffer.batches() == before {
                break;
            }
        }
        self.publish_buffer();
        if !self.buffer.is_empty() {
            tracing::info!(
                batches = self.buffer.batches(),
                lines = self.buffer.lines(),
                "influx writer stopped; batches stay in the disk buffer for the next start"
            );
        }
    }

    fn publish_buffer(&self) {
        self.stats
            .buffered_bytes
            .store(self.buffer.bytes(), Ordering::Relaxed);
        self.stats
            .buffered_batches
            .store(self.buffer.batches() as u64, Ordering::Relaxed);
        let held = self.pending_lines as u64 + self.buffer.lines() as u64;
        self.stats.held_lines.store(held, Ordering::Relaxed);
        self.stats.publish_depth();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(3));
        let waits: Vec<u128> = (0..5).map(|_| b.step().as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 3000, 3000]);
        b.reset();
        assert_eq!(b.step(), Duration::from_millis(500));
    }
}
