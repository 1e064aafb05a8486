//! Threshold: the value is past a fixed limit. Stateless.

use super::{classify, Detail, Level, Reading};
use crate::rule::Direction;

/// Compares each value with a fixed limit.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    direction: Direction,
    limit: f64,
}

impl Threshold {
    /// A threshold on one side of `limit`.
    pub fn new(direction: Direction, limit: f64) -> Self {
        Self { direction, limit }
    }

    /// Reads one value.
    pub fn observe(&self, value: f64, hysteresis: f64) -> Reading {
        let above = self.direction == Direction::Above;
        let level: Level = classify(value, self.limit, above, hysteresis);
        let limit = self.limit;
        Reading {
            level,
            reference: limit,
            detail: if above {
                Detail::Above { limit }
            } else {
                Detail::Below { limit }
            },
        }
    }
}
