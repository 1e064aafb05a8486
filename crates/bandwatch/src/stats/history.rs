//! The probe history `bandwatch stats` shows: each target's last recorded round, when it last
//! answered, and its uptime over 1 h, 24 h and 7 d, from the minute rollups in the store, for
//! the configured targets and for any other target the last week of history holds.

use bandwatch_collect::probe::metric as probe;
use bandwatch_core::{Labels, SeriesKey, Timestamp};
use bandwatch_store::{last_time_above, RollupPoint, Store, Tier, MINUTE_MS};

use crate::config::Config;
use serde::Serialize;

use super::report::percent;

/// Where the probe history came from.
#[derive(Debug, Serialize)]
pub struct History {
    /// The configured history database.
    pub database: String,
    /// Whether it exists and could be read.
    pub available: bool,
}

/// Uptime over the three windows, percent of rounds that were up (`null` without rounds).
#[derive(Debug, Default, Serialize)]
pub struct Uptime {
    /// The last hour.
    #[serde(rename = "1h")]
    pub hour: Option<f64>,
    /// The last 24 hours.
    #[serde(rename = "24h")]
    pub day: Option<f64>,
    /// The last 7 days.
    #[serde(rename = "7d")]
    pub week: Option<f64>,
}

/// One target's last known state.
#[derive(Debug, Serialize)]
pub struct TargetState {
    /// The `target` label.
    pub name: String,
    /// The spec as configured (`null` for a target only the history still holds).
    pub spec: Option<String>,
    /// Whether the last recorded round was up (`null` when never recorded).
    pub up: Option<bool>,
    /// When the target last answered a round, RFC 3339 (`null` when it never did).
    pub last_seen: Option<String>,
    /// Average RTT of the last recorded minute, milliseconds.
    pub rtt_avg_ms: Option<f64>,
    /// Loss of the last recorded round, percent.
    pub loss_percent: Option<f64>,
    /// Share of rounds that were up.
    pub uptime_percent: Uptime,
}

impl TargetState {
    /// One table row (the header is in the report).
    pub fn row(&self) -> String {
        let state = match self.up {
            Some(true) => "up",
            Some(false) => "DOWN",
            None => "?",
        };
        let rtt = self.rtt_avg_ms.map_or_else(
            || "-".to_string(),
            |ms| bandwatch_core::human::format(bandwatch_core::Unit::Seconds, ms / 1000.0),
        );
        let removed = if self.spec.is_none() {
            "  (no longer configured)"
        } else {
            ""
        };
        format!(
            "{:<24} {state:<6} {rtt:>9} {:>6} {:>8} {:>8} {:>8}  {}{removed}",
            bandwatch_core::human::escape_control(&self.name),
            percent(self.loss_percent),
            percent(self.uptime_percent.hour),
            percent(self.uptime_percent.day),
            percent(self.uptime_percent.week),
            self.last_seen.as_deref().unwrap_or("never")
        )
    }
}

const WEEK_MS: i64 = 7 * 24 * 3_600_000;

/// Opens the history database when it exists; `None` (and `available: false`) otherwise.
pub fn open(config: &Config) -> anyhow::Result<(History, Option<Box<dyn Store>>)> {
    let store = crate::history::open_existing(config)?;
    let history = History {
        database: crate::history::describe(config),
        available: store.is_some(),
    };
    Ok((history, store))
}

/// Targets the store has probe rounds of that `configured` does not name, sorted.
pub fn other_targets(store: &dyn Store, configured: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut out: Vec<String> = store
        .series()?
        .iter()
        .filter(|k| k.metric == probe::PROBE_UP)
        .filter_map(|k| k.labels.get(probe::LABEL_TARGET))
        .filter(|t| !configured.contains(t))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The last known state of the target `name` (configured as `spec`, if it still is) at `now`.
pub fn target_state(
    store: &dyn Store,
    name: &str,
    spec: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<TargetState> {
    let to = now.add_millis(MINUTE_MS);
    let week = |metric: &str, labels: Labels| -> anyhow::Result<Vec<RollupPoint>> {
        let key = SeriesKey::new(metric, labels);
        Ok(store.query_rollup(Tier::Minute, &key, now.add_millis(-WEEK_MS), to)?)
    };
    let target = || Labels::from_pairs([(probe::LABEL_TARGET, name)]);
    let up = week(probe::PROBE_UP, target())?;
    let rtt = week(
        probe::PROBE_RTT_SECONDS,
        Labels::from_pairs([(probe::LABEL_TARGET, name), (probe::LABEL_STAT, "avg")]),
    )?;
    let loss = week(probe::PROBE_LOSS_PERCENT, target())?;
    let last = up.last();
    // The same question the agent asks for the API's `last_seen`, so both say the same.
    let answered = last_time_above(
        store,
        &SeriesKey::new(probe::PROBE_UP, target()),
        0.5,
        now.add_millis(-WEEK_MS),
        to,
    )?;
    Ok(TargetState {
        name: name.to_string(),
        spec: spec.map(str::to_string),
        up: last.map(|p| p.last > 0.5),
        last_seen: answered.map(Timestamp::to_rfc3339),
        rtt_avg_ms: rtt.last().map(|p| p.last * 1000.0),
        loss_percent: loss.last().map(|p| p.last),
        uptime_percent: Uptime {
            hour: uptime(&up, now.add_millis(-3_600_000)),
            day: uptime(&up, now.add_millis(-24 * 3_600_000)),
            week: uptime(&up, now.add_millis(-WEEK_MS)),
        },
    })
}

/// Share of rounds up among the minute buckets starting at or after `from`: the sum of
/// mean × count over the sum of count, in percent.
fn uptime(points: &[RollupPoint], from: Timestamp) -> Option<f64> {
    let (up, rounds) = points
        .iter()
        .filter(|p| p.bucket >= from)
        .fold((0.0, 0u64), |(up, n), p| (up + p.sum, n + p.count));
    (rounds > 0).then(|| up * 100.0 / u64_to_f64(rounds))
}

#[allow(clippy::cast_precision_loss)] // round counts stay far below 2^52
fn u64_to_f64(n: u64) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(minute: i64, sum: f64, count: u64) -> RollupPoint {
        RollupPoint {
            bucket: Timestamp(minute * MINUTE_MS),
            count,
            sum,
            min: 0.0,
            max: 1.0,
            last: 0.0,
        }
    }

    #[test]
    fn uptime_weighs_buckets_by_their_rounds() {
        let points = [point(0, 2.0, 2), point(1, 0.0, 2), point(2, 1.0, 4)];
        assert_eq!(uptime(&points, Timestamp(0)), Some(37.5));
        assert_eq!(uptime(&points, Timestamp(MINUTE_MS)), Some(100.0 / 6.0));
        assert_eq!(uptime(&points, Timestamp(10 * MINUTE_MS)), None);
    }
}
