//! A fixed-size window of the latest values with their sum.

/// The last `cap` values, oldest overwritten first.
#[derive(Debug, Clone)]
pub struct Ring {
    values: Vec<f64>,
    cap: usize,
    next: usize,
    sum: f64,
}

impl Ring {
    /// An empty window of `cap` values (at least one).
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            values: Vec::with_capacity(cap.min(4096)),
            cap,
            next: 0,
            sum: 0.0,
        }
    }

    /// True once `cap` values were pushed.
    pub fn is_full(&self) -> bool {
        self.values.len() == self.cap
    }

    /// The window's capacity.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Adds a value and returns the oldest one it dropped, if the window was full.
    pub fn push(&mut self, v: f64) -> Option<f64> {
        let dropped = if self.is_full() {
            let old = std::mem::replace(&mut self.values[self.next], v);
            self.sum -= old;
            Some(old)
        } else {
            self.values.push(v);
            None
        };
        self.sum += v;
        self.next = (self.next + 1) % self.cap;
        if self.next == 0 {
            // A running sum drifts with rounding; recomputing once per lap keeps it exact
            // enough at O(1) amortised cost.
            self.sum = self.values.iter().sum();
        }
        dropped
    }

    /// The mean of the values held (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.values.is_empty() {
            0.0
        } else {
            self.sum / self.values.len() as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_values() {
        let mut r = Ring::new(3);
        let dropped: Vec<_> = [1.0, 2.0, 3.0, 4.0, 5.0].map(|v| r.push(v)).to_vec();
        assert_eq!(dropped, vec![None, None, None, Some(1.0), Some(2.0)]);
        assert!(r.is_full());
        assert!((r.mean() - 4.0).abs() < 1e-12);
    }
}
