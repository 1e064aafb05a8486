//! The unit an axis counts in, chosen so its largest value reads as a small number:
//! bytes in binary units as the tables show them, rates in decimal bits per second.

/// An axis unit: its name and how many base units one of it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisUnit {
    /// As written on the axis (`GiB`, `Mbps`).
    pub name: &'static str,
    /// Base units (bytes, bits/s) per one of it.
    pub factor: f64,
}

fn pick(max: f64, step: f64, names: &'static [&'static str]) -> AxisUnit {
    let mut factor = 1.0;
    let mut i = 0;
    while max >= factor * step && i + 1 < names.len() {
        factor *= step;
        i += 1;
    }
    AxisUnit {
        name: names[i],
        factor,
    }
}

/// The unit for byte counts up to `max`.
pub fn bytes(max: f64) -> AxisUnit {
    pick(max, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"])
}

/// The unit for rates (bits per second) up to `max`.
pub fn bits_per_second(max: f64) -> AxisUnit {
    pick(max, 1000.0, &["bps", "kbps", "Mbps", "Gbps", "Tbps"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_value_reads_small() {
        assert_eq!(bytes(0.0).name, "B");
        assert_eq!(bytes(1023.0).name, "B");
        assert_eq!(bytes(1024.0).name, "KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * 1024.0).name, "GiB");
        assert_eq!(bits_per_second(912e6).name, "Mbps");
        assert_eq!(bits_per_second(1e30).name, "Tbps");
    }
}
