//! Turning two readings of a kernel counter into the exact increase between them.
//!
//! Counters normally only grow, but they can wrap (32-bit counters on 32-bit kernels and some
//! drivers) or restart from zero (driver reload, interface re-created under the same name).
//! Whatever happens, the result is a non-negative integer or nothing: a rate computed from it
//! can never be negative or absurd.
//!
//! A change is also discarded when it implies a rate faster than the interface could carry:
//! see [`Ceiling`].

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

/// How many times its link speed an interface may appear to carry before a change is a
/// glitch: real traffic never exceeds the speed, so twice is headroom for timing jitter.
pub const LINK_SPEED_HEADROOM: f64 = 2.0;

/// The shortest window, in seconds, over which a change is held against the link speed.
/// Some drivers refresh their counters from a timer about once a second (tg3's statistics
/// block, for one), so a 0.1 s tick can see a whole second of line-rate traffic at once;
/// judging it over 0.1 s would throw real traffic away.
pub const LINK_WINDOW_SECS: f64 = 1.0;

/// The fastest rate a counter change may imply before it is discarded as a glitch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ceiling {
    /// The link speed is unknown (no `speed`, `-1`, or a virtual interface): a fixed
    /// bound in bits per second (1 Tbit/s by default).
    Fixed(f64),
    /// The link's speed in bits per second: changes may imply up to
    /// [`LINK_SPEED_HEADROOM`] times it, averaged over at least [`LINK_WINDOW_SECS`].
    Link(f64),
}

impl Ceiling {
    /// [`Ceiling::Link`] when `link_speed_bps` is a usable speed, else
    /// [`Ceiling::Fixed`]`(fallback_bps)`.
    pub fn new(link_speed_bps: Option<f64>, fallback_bps: f64) -> Self {
        match link_speed_bps {
            Some(speed) if speed.is_finite() && speed > 0.0 => Self::Link(speed),
            _ => Self::Fixed(fallback_bps),
        }
    }

    /// The bound in bits per second.
    pub fn bits_per_second(self) -> f64 {
        match self {
            Self::Fixed(bps) => bps,
            Self::Link(speed) => LINK_SPEED_HEADROOM * speed,
        }
    }

    /// The seconds a change over `elapsed_secs` is averaged over before the comparison.
    fn window(self, elapsed_secs: f64) -> f64 {
        match self {
            Self::Fixed(_) => elapsed_secs,
            Self::Link(_) => elapsed_secs.max(LINK_WINDOW_SECS),
        }
    }
}

/// Why a change was not counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discard {
    /// The elapsed time was zero, negative or not a number.
    NoElapsedTime,
    /// The increase implies a rate above the [`Ceiling`].
    Implausible {
        /// The increase that was rejected.
        delta: u64,
        /// The rate it implied, in bits per second.
        bits_per_second: f64,
        /// The ceiling it broke, in bits per second.
        bound_bits_per_second: f64,
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
/// The ceiling treats the delta as bytes (`delta * 8 / elapsed`). For packet, error and
/// drop counters that is loose but sound: every packet carries at least one byte, so a
/// packet count above the byte bound cannot be real.
pub fn counter_delta(prev: u64, cur: u64, elapsed_secs: f64, ceiling: Ceiling) -> Outcome {
    if elapsed_secs.is_nan() || elapsed_secs <= 0.0 {
        return Outcome::Discard(Discard::NoElapsedTime);
    }
    let (value, movement) = raw_delta(prev, cur);
    let bits_per_second = value as f64 * 8.0 / ceiling.window(elapsed_secs);
    let bound = ceiling.bits_per_second();
    if bits_per_second > bound {
        return Outcome::Discard(Discard::Implausible {
            delta: value,
            bits_per_second,
            bound_bits_per_second: bound,
        });
    }
    Outcome::Delta { value, movement }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Ceiling = Ceiling::Fixed(1e12);

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
            counter_delta(0, 125_000_000, 1.0, Ceiling::Fixed(1e9)),
            Outcome::Delta {
                value: 125_000_000,
                movement: Movement::Increase
            }
        );
        assert!(matches!(
            counter_delta(0, 125_000_001, 1.0, Ceiling::Fixed(1e9)),
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

    #[test]
    fn a_known_link_speed_bounds_at_twice_the_speed() {
        let gigabit = Ceiling::new(Some(1e9), 1e12);
        assert_eq!(gigabit, Ceiling::Link(1e9));
        assert!((gigabit.bits_per_second() - 2e9).abs() < 1.0);
        // 250 MB in a second is exactly 2 Gbit/s: kept; one byte more is not.
        assert!(matches!(
            counter_delta(0, 250_000_000, 1.0, gigabit),
            Outcome::Delta {
                value: 250_000_000,
                ..
            }
        ));
        assert_eq!(
            counter_delta(0, 250_000_001, 1.0, gigabit),
            Outcome::Discard(Discard::Implausible {
                delta: 250_000_001,
                bits_per_second: 2_000_000_008.0,
                bound_bits_per_second: 2e9,
            })
        );
        // The jump: 4,294,967,000 bytes in a 0.1 s tick.
        assert!(matches!(
            counter_delta(1000, 4_294_968_000, 0.1, gigabit),
            Outcome::Discard(Discard::Implausible {
                delta: 4_294_967_000,
                ..
            })
        ));
        // Under the fixed 1 Tbit/s bound the same jump passed.
        assert!(matches!(
            counter_delta(1000, 4_294_968_000, 0.1, MAX),
            Outcome::Delta { .. }
        ));
    }

    #[test]
    fn a_short_tick_is_judged_over_a_whole_second() {
        let gigabit = Ceiling::Link(1e9);
        // A driver that refreshes once a second shows a second of line rate (125 MB) in a
        // 0.1 s tick: real traffic, kept.
        assert!(matches!(
            counter_delta(0, 125_000_000, 0.1, gigabit),
            Outcome::Delta { .. }
        ));
        // Over longer ticks the window is the tick.
        assert!(matches!(
            counter_delta(0, 750_000_000, 3.0, gigabit),
            Outcome::Delta { .. }
        ));
        assert!(matches!(
            counter_delta(0, 750_000_001, 3.0, gigabit),
            Outcome::Discard(Discard::Implausible { .. })
        ));
    }

    #[test]
    fn an_unknown_speed_keeps_the_fixed_bound() {
        for speed in [
            None,
            Some(0.0),
            Some(-1.0),
            Some(f64::NAN),
            Some(f64::INFINITY),
        ] {
            assert_eq!(Ceiling::new(speed, 1e12), Ceiling::Fixed(1e12), "{speed:?}");
        }
        assert!((Ceiling::Fixed(1e12).bits_per_second() - 1e12).abs() < 1.0);
    }
}
