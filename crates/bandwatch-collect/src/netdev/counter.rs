//! Turning two readings of a kernel counter into the exact increase between them.
//!
//! Counters normally only grow, but they can wrap (32-bit counters on 32-bit kernels and some
//! drivers) or restart from zero (driver reload, interface re-created under the same name).
//! Whatever happens, the result is a non-negative integer or nothing: a rate computed from it
//! can never be negative or absurd.

/// How the counter moved between the two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    /// It grew (or stayed the same).
    Increase,
    /// It went backwards from the upper half of the 32-bit range: a 32-bit wrap.
    Wrap32,
    /// It went backwards otherwise: it restarted from zero.
    Reset,
}

/// Why a change was not counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discard {
    /// The elapsed time was zero, negative or not a number.
    NoElapsedTime,
    /// The increase implies a rate above `max_plausible_bps`.
    Implausible {
        /// The increase that was rejected.
        delta: u64,
        /// The rate it implied, in bits per second.
        bits_per_second: f64,
    },
}

/// The verdict on one counter for one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Count this increase.
    Delta {
        /// The exact increase.
        value: u64,
        /// How it was derived.
        movement: Movement,
    },
    /// Count nothing for this interval.
    Discard(Discard),
}

/// The increase from `prev` to `cur`, assuming a counter that may wrap at 32 bits or reset.
pub fn raw_delta(prev: u64, cur: u64) -> (u64, Movement) {
    const HALF_U32: u64 = u32::MAX as u64 / 2;
    if cur >= prev {
        (cur - prev, Movement::Increase)
    } else if prev > HALF_U32 && u32::try_from(prev).is_ok() {
        // Both readings fit in 32 bits and the old one was high: the counter overflowed.
        ((1u64 << 32) - prev + cur, Movement::Wrap32)
    } else {
        // Counting restarted from zero, so everything it holds now is new.
        (cur, Movement::Reset)
    }
}

/// The verdict for a counter read as `prev` then `cur`, `elapsed_secs` apart.
///
/// The plausibility bound treats the delta as bytes (`delta * 8 / elapsed`). For packet,
/// error and drop counters that is loose but sound: every packet carries at least one byte,
/// so a packet count above the byte bound cannot be real.
pub fn counter_delta(prev: u64, cur: u64, elapsed_secs: f64, max_plausible_bps: f64) -> Outcome {
    if elapsed_secs.is_nan() || elapsed_secs <= 0.0 {
        return Outcome::Discard(Discard::NoElapsedTime);
    }
    let (value, movement) = raw_delta(prev, cur);
    let bits_per_second = value as f64 * 8.0 / elapsed_secs;
    if bits_per_second > max_plausible_bps {
        return Outcome::Discard(Discard::Implausible {
            delta: value,
            bits_per_second,
        });
    }
    Outcome::Delta { value, movement }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: f64 = 1e12;

    fn delta(prev: u64, cur: u64, secs: f64) -> Option<u64> {
        match counter_delta(prev, cur, secs, MAX) {
            Outcome::Delta { value, .. } => Some(value),
            Outcome::Discard(_) => None,
        }
    }

    #[test]
    fn increase_is_the_difference() {
        assert_eq!(raw_delta(100, 350), (250, Movement::Increase));
        assert_eq!(raw_delta(7, 7), (0, Movement::Increase));
        assert_eq!(delta(100, 350, 1.0), Some(250));
    }

    #[test]
    fn backwards_from_upper_32_bit_half_is_a_wrap() {
        assert_eq!(
            raw_delta(u64::from(u32::MAX) - 99, 50),
            (150, Movement::Wrap32)
        );
        assert_eq!(raw_delta(u64::from(u32::MAX), 0), (1, Movement::Wrap32));
        assert_eq!(
            raw_delta(u64::from(u32::MAX) / 2 + 1, 0),
            (1u64 << 31, Movement::Wrap32)
        );
    }

    #[test]
    fn backwards_otherwise_is_a_reset() {
        assert_eq!(raw_delta(1000, 200), (200, Movement::Reset));
        assert_eq!(
            raw_delta(u64::from(u32::MAX) / 2, 10),
            (10, Movement::Reset)
        );
        // Above 32 bits a wrap is impossible in practice (it would take centuries).
        assert_eq!(raw_delta(10_000_000_000, 5_000), (5_000, Movement::Reset));
        assert_eq!(raw_delta(u64::MAX, 3), (3, Movement::Reset));
    }

    #[test]
    fn no_time_means_no_delta() {
        for secs in [0.0, -1.0, f64::NAN] {
            assert_eq!(
                counter_delta(1, 2, secs, MAX),
                Outcome::Discard(Discard::NoElapsedTime)
            );
        }
    }

    #[test]
    fn implausible_rates_are_discarded() {
        // 1 Gbit/s bound: 125 MB in one second is the limit, one byte more is not.
        assert_eq!(
            counter_delta(0, 125_000_000, 1.0, 1e9),
            Outcome::Delta {
                value: 125_000_000,
                movement: Movement::Increase
            }
        );
        assert!(matches!(
            counter_delta(0, 125_000_001, 1.0, 1e9),
            Outcome::Discard(Discard::Implausible {
                delta: 125_000_001,
                ..
            })
        ));
        // The same bytes over a longer interval are fine.
        assert_eq!(delta(0, 125_000_001, 2.0), Some(125_000_001));
        // A reset of a huge u64 counter to a huge value is discarded, not reported.
        assert_eq!(delta(u64::MAX, u64::MAX - 1, 1.0), None);
    }
}
