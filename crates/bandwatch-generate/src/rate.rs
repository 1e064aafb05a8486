//! How fast to send: the intensity scale and explicit rates, in bits of payload per second.
//!
//! The scale is logarithmic, three steps per decade from 1 Mbit/s to 1 Gbit/s:
//! intensity `i` sends `10^((i-1)/3)` Mbit/s, rounded to a whole bit per second, so 1, 4, 7
//! and 10 are 1, 10, 100 and 1000 Mbit/s.

use std::time::Duration;

/// The lowest intensity.
pub const MIN_INTENSITY: u8 = 1;
/// The highest intensity.
pub const MAX_INTENSITY: u8 = 10;
/// The intensity when none is given.
pub const DEFAULT_INTENSITY: u8 = 5;
/// The highest explicit rate accepted (100 Gbit/s): beyond it a typo is likelier than a link.
pub const MAX_RATE_BPS: u64 = 100_000_000_000;
/// The lowest explicit rate accepted (1 kbit/s).
pub const MIN_RATE_BPS: u64 = 1_000;

/// The payload rate of an intensity, bits per second; `None` outside 1–10.
pub fn intensity_bps(intensity: u8) -> Option<u64> {
    if !(MIN_INTENSITY..=MAX_INTENSITY).contains(&intensity) {
        return None;
    }
    let exponent = f64::from(intensity - 1) / 3.0;
    Some((1e6 * 10f64.powf(exponent)).round() as u64)
}

/// A rate as typed: a number of bits per second with an optional SI suffix (`k`, `M`, `G`,
/// powers of 1000) and an optional `bit/s` or `bps` after it: `200M`, `1.5G`, `800kbit/s`.
pub fn parse_rate(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let t = t
        .strip_suffix("bit/s")
        .or_else(|| t.strip_suffix("bps"))
        .unwrap_or(t)
        .trim_end();
    let (number, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M')) => (&t[..i], 1e6),
        Some((i, 'G')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    let value: f64 = number.trim().parse().map_err(|_| {
        format!("'{text}' is not a rate; write bits per second like 200M, 1.5G or 800k")
    })?;
    let bps = value * scale;
    if !bps.is_finite() || bps < MIN_RATE_BPS as f64 || bps > MAX_RATE_BPS as f64 {
        return Err(format!(
            "'{text}' is out of range; give 1k to 100G bits per second (e.g. 200M)"
        ));
    }
    Ok(bps.round() as u64)
}

/// One direction's traffic: how fast and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// Payload rate, bits per second.
    pub rate_bps: u64,
    /// How long to send, milliseconds.
    pub duration_ms: u64,
}

impl Plan {
    /// A plan of `rate_bps` for `duration`.
    pub fn new(rate_bps: u64, duration: Duration) -> Self {
        Self {
            rate_bps,
            duration_ms: duration.as_millis() as u64,
        }
    }

    /// How long to send.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.duration_ms)
    }

    /// Payload bytes per second.
    pub fn bytes_per_second(&self) -> f64 {
        self.rate_bps as f64 / 8.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_three_steps_per_decade() {
        let scale: Vec<u64> = (1..=10).filter_map(intensity_bps).collect();
        assert_eq!(
            scale,
            [
                1_000_000,
                2_154_435,
                4_641_589,
                10_000_000,
                21_544_347,
                46_415_888,
                100_000_000,
                215_443_469,
                464_158_883,
                1_000_000_000
            ]
        );
        assert_eq!(intensity_bps(0), None);
        assert_eq!(intensity_bps(11), None);
    }

    #[test]
    fn rates_take_si_suffixes() {
        assert_eq!(parse_rate("200M"), Ok(200_000_000));
        assert_eq!(parse_rate("1.5G"), Ok(1_500_000_000));
        assert_eq!(parse_rate("800k"), Ok(800_000));
        assert_eq!(parse_rate("800kbit/s"), Ok(800_000));
        assert_eq!(parse_rate("10Mbps"), Ok(10_000_000));
        assert_eq!(parse_rate("64000"), Ok(64_000));
    }

    #[test]
    fn bad_rates_say_what_to_write() {
        assert!(parse_rate("fast").unwrap_err().contains("200M"));
        assert!(parse_rate("0").unwrap_err().contains("out of range"));
        assert!(parse_rate("-5M").unwrap_err().contains("out of range"));
        assert!(parse_rate("1T").is_err());
        assert!(parse_rate("200G").unwrap_err().contains("100G"));
    }
}
