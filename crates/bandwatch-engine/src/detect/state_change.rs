//! State change: a state-like gauge (`net_up`, `net_carrier`) went from its good value to its
//! bad one. A series never seen in the good state does not alert: an interface that was always
//! down is configuration, not news.

use super::{same, Detail, Level, Reading};

/// Remembers whether the good state was seen.
#[derive(Debug, Clone, Copy)]
pub struct StateChange {
    from: f64,
    to: f64,
    seen_from: bool,
}

impl StateChange {
    /// A detector for `from` → `to`.
    pub fn new(from: f64, to: f64) -> Self {
        Self {
            from,
            to,
            seen_from: false,
        }
    }

    /// Reads one value; `None` until the good state was seen.
    pub fn observe(&mut self, value: f64) -> Option<Reading> {
        let level = if same(value, self.from) {
            self.seen_from = true;
            Level::Clear
        } else if !self.seen_from {
            return None;
        } else if same(value, self.to) {
            Level::Breach
        } else {
            Level::Band
        };
        Some(Reading {
            level,
            reference: self.from,
            detail: Detail::StateChange {
                from: self.from,
                to: self.to,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_after_up_breaches() {
        let mut d = StateChange::new(1.0, 0.0);
        assert_eq!(d.observe(0.0), None);
        let levels: Vec<_> = [1.0, 0.0, 1.0]
            .iter()
            .map(|v| d.observe(*v).map(|r| r.level))
            .collect();
        assert_eq!(
            levels,
            vec![Some(Level::Clear), Some(Level::Breach), Some(Level::Clear)]
        );
    }
}
