//! The token bucket that paces payload: tokens (bytes) accrue at the rate, up to a capacity,
//! and a chunk may go out once the bucket holds it. Pure: the caller says what time it is.
//!
//! The capacity is [`CATCH_UP`] of the rate, so a sender that was held up (a busy CPU, a full
//! socket buffer) for up to that long sends what it owes and the average stays on the rate;
//! a longer stall is lost rather than burst out.

use std::time::Duration;

/// How much of a stall the bucket makes up for.
pub const CATCH_UP: Duration = Duration::from_millis(200);
/// Smallest chunk written at once.
const MIN_CHUNK: u64 = 1024;
/// Largest chunk written at once.
pub const MAX_CHUNK: u64 = 64 * 1024;

/// What the bucket allows now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Send this many bytes now.
    Send(u64),
    /// Nothing yet: wait this long.
    Wait(Duration),
}

/// Bytes allowed over time at a fixed rate.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    bytes_per_second: f64,
    capacity: f64,
    tokens: f64,
    last: Duration,
    chunk: u64,
}

impl TokenBucket {
    /// An empty bucket filling at `bytes_per_second` from `now`.
    pub fn new(bytes_per_second: f64, now: Duration) -> Self {
        let chunk = chunk_size(bytes_per_second);
        Self {
            bytes_per_second,
            capacity: (bytes_per_second * CATCH_UP.as_secs_f64()).max(chunk as f64),
            tokens: 0.0,
            last: now,
            chunk,
        }
    }

    /// The size of the chunks this bucket hands out: about a millisecond of the rate.
    pub fn chunk(&self) -> u64 {
        self.chunk
    }

    /// One chunk if the bucket holds it at `now`, else how long until it will.
    pub fn take(&mut self, now: Duration) -> Take {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.bytes_per_second).min(self.capacity);
        let chunk = self.chunk as f64;
        if self.tokens >= chunk {
            self.tokens -= chunk;
            return Take::Send(self.chunk);
        }
        // Rounded up, and at least a nanosecond, so the caller's time always moves on.
        let missing = chunk - self.tokens;
        let nanos = (missing / self.bytes_per_second * 1e9).ceil().max(1.0);
        Take::Wait(Duration::from_nanos(nanos as u64))
    }
}

/// About a millisecond of payload at the rate, within 1 KiB to 64 KiB: small enough that the
/// last chunk before the end errs by little, large enough that 1 Gbit/s is ~2000 writes/s.
fn chunk_size(bytes_per_second: f64) -> u64 {
    ((bytes_per_second / 1000.0) as u64).clamp(MIN_CHUNK, MAX_CHUNK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Bytes handed out by `until` when asked every `step`.
    fn drain(bucket: &mut TokenBucket, step: Duration, until: Duration) -> u64 {
        let mut now = Duration::ZERO;
        let mut sent = 0;
        while now < until {
            match bucket.take(now) {
                Take::Send(n) => sent += n,
                Take::Wait(_) => now += step,
            }
        }
        sent
    }

    #[test]
    fn it_starts_empty_and_says_how_long_to_wait() {
        let mut b = TokenBucket::new(1_024_000.0, Duration::ZERO);
        assert_eq!(b.chunk(), 1024);
        assert_eq!(b.take(Duration::ZERO), Take::Wait(ms(1)));
        assert_eq!(b.take(Duration::from_micros(1001)), Take::Send(1024));
        assert!(matches!(b.take(Duration::from_micros(1001)), Take::Wait(_)));
    }

    #[test]
    fn over_a_second_it_hands_out_the_rate_within_one_chunk() {
        for rate in [125_000.0, 12_500_000.0, 125_000_000.0] {
            let mut b = TokenBucket::new(rate, Duration::ZERO);
            let sent = drain(&mut b, Duration::from_micros(100), ms(1000)) as f64;
            assert!(
                (rate - sent).abs() <= b.chunk() as f64,
                "rate {rate}: sent {sent}"
            );
        }
    }

    #[test]
    fn a_short_stall_is_made_up_and_a_long_one_is_not() {
        let rate = 1_000_000.0;
        let mut b = TokenBucket::new(rate, Duration::ZERO);
        // Nothing asked for 150 ms, then asked as fast as it gives.
        let mut sent = 0;
        while let Take::Send(n) = b.take(ms(150)) {
            sent += n;
        }
        assert!((150_000 - 1024..=150_000).contains(&sent), "{sent}");
        let mut b = TokenBucket::new(rate, Duration::ZERO);
        let mut sent = 0;
        while let Take::Send(n) = b.take(ms(500)) {
            sent += n;
        }
        assert!(
            sent <= 200_000,
            "capped at {CATCH_UP:?} of the rate: {sent}"
        );
    }

    #[test]
    fn time_going_backwards_grants_nothing() {
        let mut b = TokenBucket::new(1_000_000.0, ms(10));
        assert!(matches!(b.take(ms(5)), Take::Wait(_)));
    }

    #[test]
    fn chunks_stay_within_bounds() {
        assert_eq!(chunk_size(1.0), MIN_CHUNK);
        assert_eq!(chunk_size(125_000_000.0), MAX_CHUNK);
        assert_eq!(chunk_size(10_000_000.0), 10_000);
    }
}
