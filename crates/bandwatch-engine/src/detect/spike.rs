//! Spike: the value is more than `factor` times the mean of the previous `window` samples,
//! and at least `floor` above it (so 1 kbit/s → 3 kbit/s is not a spike).

use super::ring::Ring;
#[cfg(test)]
use super::Level;
use super::{classify, weaker, Detail, Reading};

/// A rolling mean baseline and the spike test against it.
#[derive(Debug, Clone)]
pub struct Spike {
    factor: f64,
    floor: f64,
    baseline: Ring,
}

impl Spike {
    /// A spike detector; silent until `window` samples were seen.
    pub fn new(factor: f64, window: usize, floor: f64) -> Self {
        Self {
            factor,
            floor,
            baseline: Ring::new(window),
        }
    }

    /// Reads one value, then adds it to the baseline (the baseline adapts to a new level).
    pub fn observe(&mut self, value: f64, hysteresis: f64) -> Option<Reading> {
        let reading = self.baseline.is_full().then(|| {
            let baseline = self.baseline.mean();
            let ratio = classify(value, self.factor * baseline, true, hysteresis);
            let rise = classify(value - baseline, self.floor, true, hysteresis);
            // Both the ratio and the absolute rise must be past their limits.
            let level = weaker(ratio, rise);
            Reading {
                level,
                reference: baseline,
                detail: Detail::Spike {
                    baseline,
                    window: self.baseline.capacity(),
                },
            }
        });
        let _ = self.baseline.push(value);
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(d: &mut Spike, values: &[f64]) -> Vec<Option<Level>> {
        values
            .iter()
            .map(|v| d.observe(*v, 0.0).map(|r| r.level))
            .collect()
    }

    #[test]
    fn step_is_a_spike() {
        let mut d = Spike::new(2.0, 3, 0.0);
        let got = levels(&mut d, &[10.0, 10.0, 10.0, 30.0]);
        assert_eq!(got, vec![None, None, None, Some(Level::Breach)]);
    }

    #[test]
    fn floor_keeps_small_rises_quiet() {
        let mut d = Spike::new(2.0, 3, 10_000.0);
        let got = levels(&mut d, &[1000.0, 1000.0, 1000.0, 3000.0]);
        assert_eq!(got[3], Some(Level::Clear));
    }
}
