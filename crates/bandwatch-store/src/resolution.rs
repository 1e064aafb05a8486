//! Which stored resolution answers a range query: every raw point, the minute rollups or the
//! hour rollups. The web API's range queries and `bandwatch export` choose the same way, so
//! the same range reads the same tier wherever it is asked.

use serde::Serialize;

use crate::model::{Tier, HOUR_MS, MINUTE_MS};

/// Where the points of a range come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    /// Every stored sample.
    Raw,
    /// 1-minute rollups.
    Minute,
    /// 1-hour rollups.
    Hour,
}

impl Resolution {
    /// The finest resolution for steps of `step_ms` over a range that starts `age_ms` before
    /// now: raw for steps under a minute while raw points of the start are still kept
    /// (`raw_ms`), minutes for steps under an hour within their retention (`minute_ms`),
    /// hours otherwise.
    pub fn for_step(step_ms: i64, age_ms: i64, raw_ms: i64, minute_ms: i64) -> Self {
        if step_ms < MINUTE_MS && age_ms <= raw_ms {
            Self::Raw
        } else if step_ms < HOUR_MS && age_ms <= minute_ms {
            Self::Minute
        } else {
            Self::Hour
        }
    }

    /// `step_ms` rounded up to a whole number of this resolution's rows (unchanged on raw),
    /// saturating instead of overflowing.
    pub fn round_step(self, step_ms: i64) -> i64 {
        match self.tier() {
            None => step_ms,
            Some(tier) => round_up(step_ms, tier.width_ms()),
        }
    }

    /// The rollup tier behind it (`None` for raw points).
    pub fn tier(self) -> Option<Tier> {
        match self {
            Self::Raw => None,
            Self::Minute => Some(Tier::Minute),
            Self::Hour => Some(Tier::Hour),
        }
    }

    /// Its name as documents and the API write it (`raw`, `minute`, `hour`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Minute => "minute",
            Self::Hour => "hour",
        }
    }
}

/// `v` rounded up to a whole number of `unit`s (at least one), saturating.
fn round_up(v: i64, unit: i64) -> i64 {
    (v / unit + i64::from(v % unit != 0))
        .max(1)
        .saturating_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: i64 = 48 * HOUR_MS;
    const MINUTES: i64 = 30 * 24 * HOUR_MS;

    #[test]
    fn the_finest_tier_that_still_holds_the_start() {
        let r = |step, age| Resolution::for_step(step, age, RAW, MINUTES);
        assert_eq!(r(1000, HOUR_MS), Resolution::Raw);
        assert_eq!(r(1000, RAW + 1), Resolution::Minute, "raw points are gone");
        assert_eq!(r(MINUTE_MS, HOUR_MS), Resolution::Minute, "a minute step");
        assert_eq!(r(1000, MINUTES + 1), Resolution::Hour);
        assert_eq!(r(HOUR_MS, HOUR_MS), Resolution::Hour);
    }

    #[test]
    fn steps_round_up_to_whole_rows_without_overflow() {
        assert_eq!(Resolution::Raw.round_step(1234), 1234);
        assert_eq!(Resolution::Minute.round_step(1), MINUTE_MS);
        assert_eq!(Resolution::Minute.round_step(2 * MINUTE_MS), 2 * MINUTE_MS);
        assert_eq!(Resolution::Hour.round_step(HOUR_MS + 1), 2 * HOUR_MS);
        assert_eq!(Resolution::Hour.round_step(i64::MAX), i64::MAX, "saturates");
        assert_eq!(Resolution::Minute.as_str(), "minute");
    }
}
