//! Base units as newtypes; human units (Mbps, MB) appear only when formatting.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A count of bytes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Bytes(pub u64);

/// A rate in bits per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct BitsPerSecond(pub f64);

/// A span of time in seconds.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct Seconds(pub f64);

impl BitsPerSecond {
    /// From megabits per second (10^6 bits), the unit people configure limits in.
    pub fn from_mbps(mbps: f64) -> Self {
        Self(mbps * 1e6)
    }

    /// In megabits per second.
    pub fn as_mbps(self) -> f64 {
        self.0 / 1e6
    }

    /// The rate of `bytes` moved in `over`; zero when no time passed.
    pub fn from_bytes(bytes: u64, over: Seconds) -> Self {
        if over.0 > 0.0 {
            Self(bytes as f64 * 8.0 / over.0)
        } else {
            Self(0.0)
        }
    }
}

impl fmt::Display for BitsPerSecond {
    /// Decimal SI units as network people read them: `248.0 kbps`, `10.00 Mbps`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let (scaled, unit) = if v >= 1e9 {
            (v / 1e9, "Gbps")
        } else if v >= 1e6 {
            (v / 1e6, "Mbps")
        } else if v >= 1e3 {
            (v / 1e3, "kbps")
        } else {
            (v, "bps")
        };
        if unit == "bps" {
            write!(f, "{scaled:.0} {unit}")
        } else if scaled >= 100.0 {
            write!(f, "{scaled:.1} {unit}")
        } else {
            write!(f, "{scaled:.2} {unit}")
        }
    }
}

impl fmt::Display for Bytes {
    /// Binary units as disk and transfer totals are usually read: `1.50 MiB`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        let mut v = self.0 as f64;
        let mut i = 0;
        while v >= 1024.0 && i < UNITS.len() - 1 {
            v /= 1024.0;
            i += 1;
        }
        if i == 0 {
            write!(f, "{} B", self.0)
        } else {
            write!(f, "{v:.2} {}", UNITS[i])
        }
    }
}

impl Seconds {
    /// From a std duration.
    pub fn from_duration(d: std::time::Duration) -> Self {
        Self(d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rates_for_people() {
        assert_eq!(BitsPerSecond(10_000_000.0).to_string(), "10.00 Mbps");
        assert_eq!(BitsPerSecond(248_000.0).to_string(), "248.0 kbps");
        assert_eq!(BitsPerSecond(12.0).to_string(), "12 bps");
        assert_eq!(BitsPerSecond(2.5e9).to_string(), "2.50 Gbps");
    }

    #[test]
    fn rate_from_bytes() {
        assert!((BitsPerSecond::from_bytes(1_250_000, Seconds(1.0)).as_mbps() - 10.0).abs() < 1e-9);
        assert!(BitsPerSecond::from_bytes(5, Seconds(0.0)).0.abs() < f64::EPSILON);
    }

    #[test]
    fn formats_bytes() {
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes(1536 * 1024).to_string(), "1.50 MiB");
    }
}
