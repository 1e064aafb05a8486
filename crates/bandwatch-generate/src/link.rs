//! The seam to an interface's kernel counters: read before a session and after it, their
//! difference is every byte that crossed the interface meanwhile, so the summary can give
//! the protocol overhead as the kernel counted it (headers, acknowledgements, handshakes,
//! the control frames) next to the exact payload.

use std::time::Duration;

use crate::timer::Timer;

/// An interface's byte counters, as the kernel reports them.
pub trait LinkCounters: Send {
    /// The interface's name.
    fn name(&self) -> &str;
    /// Bytes received and sent so far; `None` when they cannot be read.
    fn read(&mut self) -> Option<(u64, u64)>;
}

/// What crossed an interface during a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDelta {
    /// The interface.
    pub name: String,
    /// Bytes it received.
    pub rx_bytes: u64,
    /// Bytes it sent.
    pub tx_bytes: u64,
}

/// How long the counters must stay still to count as settled.
const QUIET: Duration = Duration::from_millis(200);
/// How often they are read while settling.
const STEP: Duration = Duration::from_millis(50);
/// The longest wait for them to settle (a busy interface never does).
const SETTLE_MAX: Duration = Duration::from_secs(2);

/// The counters once the last packets of a closed session (the final acknowledgements) have
/// been counted: read until they have not moved for [`QUIET`], or [`SETTLE_MAX`] has passed.
pub fn settled<L: LinkCounters + ?Sized, T: Timer + ?Sized>(
    link: &mut L,
    timer: &T,
) -> Option<(u64, u64)> {
    let start = timer.now();
    let mut last = link.read()?;
    let mut still_since = timer.now();
    while timer.now().saturating_sub(start) < SETTLE_MAX {
        timer.sleep(STEP);
        let now = link.read()?;
        if now == last {
            if timer.now().saturating_sub(still_since) >= QUIET {
                break;
            }
        } else {
            last = now;
            still_since = timer.now();
        }
    }
    Some(last)
}

/// The difference of two readings.
pub fn delta(name: &str, before: (u64, u64), after: (u64, u64)) -> LinkDelta {
    LinkDelta {
        name: name.to_string(),
        rx_bytes: after.0.wrapping_sub(before.0),
        tx_bytes: after.1.wrapping_sub(before.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timer::FakeTimer;

    /// Counters that move on each of the first `moves` reads, then stay.
    struct Moving {
        value: u64,
        moves: u32,
    }

    impl LinkCounters for Moving {
        fn name(&self) -> &'static str {
            "veth0"
        }

        fn read(&mut self) -> Option<(u64, u64)> {
            if self.moves > 0 {
                self.moves -= 1;
                self.value += 66;
            }
            Some((self.value, self.value / 2))
        }
    }

    #[test]
    fn it_waits_for_the_last_packets() {
        let timer = FakeTimer::default();
        let mut link = Moving { value: 0, moves: 3 };
        assert_eq!(settled(&mut link, &timer), Some((198, 99)));
        assert!(timer.now() >= QUIET + STEP * 2);
        assert!(timer.now() < SETTLE_MAX);
    }

    #[test]
    fn a_busy_interface_is_read_after_the_longest_wait() {
        let timer = FakeTimer::default();
        let mut link = Moving {
            value: 0,
            moves: u32::MAX,
        };
        assert!(settled(&mut link, &timer).is_some());
        assert!(timer.now() >= SETTLE_MAX && timer.now() < SETTLE_MAX + STEP * 2);
    }

    #[test]
    fn deltas_survive_a_wrap() {
        let d = delta("lo", (u64::MAX - 1, 5), (3, 10));
        assert_eq!((d.rx_bytes, d.tx_bytes), (5, 5));
    }
}
