//! Moving payload: paced sending to any writer for a plan's duration, and reading a stream
//! to its end; both count every payload byte into a shared counter as it goes, so progress
//! can be read while they run.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::pace::{Take, TokenBucket, MAX_CHUNK};
use crate::rate::Plan;
use crate::timer::Timer;

/// How long a sender may go on paying what the bucket owes at the end.
const FLUSH: Duration = Duration::from_millis(50);

/// The payload: zeros (TCP does not compress, and nothing on the path should care).
static ZEROS: [u8; MAX_CHUNK as usize] = [0; MAX_CHUNK as usize];

/// Sends payload to `w` at the plan's rate until its duration has passed, adding each byte
/// written to `count`; returns the bytes sent.
pub fn send_paced<W: Write + ?Sized, T: Timer + ?Sized>(
    w: &mut W,
    plan: &Plan,
    timer: &T,
    count: &AtomicU64,
) -> io::Result<u64> {
    let start = timer.now();
    let end = start + plan.duration();
    let mut bucket = TokenBucket::new(plan.bytes_per_second(), start);
    let mut sent = 0u64;
    let mut write = |n: u64| -> io::Result<()> {
        w.write_all(&ZEROS[..n as usize])?;
        sent += n;
        count.fetch_add(n, Ordering::Relaxed);
        Ok(())
    };
    loop {
        let now = timer.now();
        if now >= end {
            break;
        }
        match bucket.take(now) {
            Take::Send(n) => write(n)?,
            Take::Wait(d) => timer.sleep(d.min(end.saturating_sub(now))),
        }
    }
    // What the bucket owes up to the end (a stall just before it) still goes out, so the
    // total is the rate times the duration, give or take a chunk; but only for [`FLUSH`]:
    // on a link slower than the rate the bucket is always full, and paying it all would
    // send on well past the end.
    let flush_until = timer.now() + FLUSH;
    while timer.now() < flush_until {
        let Take::Send(n) = bucket.take(end) else {
            break;
        };
        write(n)?;
    }
    Ok(sent)
}

/// Reads `r` to its end, adding each byte to `count`; returns the bytes read.
pub fn receive_all<R: Read + ?Sized>(r: &mut R, count: &AtomicU64) -> io::Result<u64> {
    let mut buf = vec![0u8; MAX_CHUNK as usize];
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                total += n as u64;
                count.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::intensity_bps;
    use crate::timer::FakeTimer;

    /// A writer that counts, and stalls the fake clock on chosen writes.
    struct Sink<'a> {
        written: u64,
        writes: u64,
        stall_every: u64,
        stall: Duration,
        timer: &'a FakeTimer,
    }

    impl Write for Sink<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            if self.stall_every > 0 && self.writes % self.stall_every == 0 {
                self.timer.advance(self.stall);
            }
            self.written += buf.len() as u64;
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn run(rate_bps: u64, secs: u64, stall_every: u64, stall: Duration) -> (u64, u64) {
        let timer = FakeTimer::default();
        let mut sink = Sink {
            written: 0,
            writes: 0,
            stall_every,
            stall,
            timer: &timer,
        };
        let count = AtomicU64::new(0);
        let plan = Plan::new(rate_bps, Duration::from_secs(secs));
        let sent = send_paced(&mut sink, &plan, &timer, &count).expect("send");
        assert_eq!(sent, sink.written);
        assert_eq!(count.load(Ordering::Relaxed), sent);
        assert!(timer.now() >= plan.duration());
        (sent, sink.written)
    }

    #[test]
    fn every_intensity_sends_its_rate_within_a_tenth_of_a_percent() {
        for i in 1..=10 {
            let rate = intensity_bps(i).expect("scale");
            let (sent, _) = run(rate, 5, 0, Duration::ZERO);
            let expected = rate as f64 / 8.0 * 5.0;
            let err = (sent as f64 - expected).abs() / expected;
            assert!(
                err < 0.001,
                "intensity {i}: sent {sent}, expected {expected}"
            );
        }
    }

    #[test]
    fn stalls_shorter_than_the_catch_up_keep_the_average() {
        // Every 500th write (about a quarter second of sending) the process is held up for
        // 100 ms; only a stall right at the end is not made up (100 ms of 20 s).
        let rate = intensity_bps(10).expect("scale");
        let (sent, _) = run(rate, 20, 500, Duration::from_millis(100));
        let expected = rate as f64 / 8.0 * 20.0;
        let err = (sent as f64 - expected).abs() / expected;
        assert!(err < 0.01, "sent {sent}, expected {expected}");
    }

    /// A writer whose first write at or after 990 ms stalls until past the end.
    struct Late<'a>(&'a FakeTimer, bool);
    impl Write for Late<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !self.1 && self.0.now() >= Duration::from_millis(990) {
                self.0.advance(Duration::from_millis(150));
                self.1 = true;
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stall_at_the_very_end_is_made_up_too() {
        let timer = FakeTimer::default();
        let plan = Plan::new(8_000_000, Duration::from_secs(1));
        let mut w = Late(&timer, false);
        let sent = send_paced(&mut w, &plan, &timer, &AtomicU64::new(0)).expect("send");
        assert!(w.1, "the stall happened");
        assert!(sent.abs_diff(1_000_000) <= 1024, "{sent}");
    }

    #[test]
    fn receiving_counts_every_byte() {
        let data = vec![7u8; 200_000];
        let count = AtomicU64::new(5);
        let n = receive_all(&mut data.as_slice(), &count).expect("read");
        assert_eq!(n, 200_000);
        assert_eq!(count.load(Ordering::Relaxed), 200_005);
    }
}
