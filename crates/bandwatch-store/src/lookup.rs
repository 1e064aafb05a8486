//! Small questions any [`Store`] answers from its tiers, so every reader of the history
//! (the agent at start, `bandwatch stats`) gives the same answer.

use bandwatch_core::{SeriesKey, Timestamp};

use crate::error::Result;
use crate::model::{Tier, MINUTE_MS};
use crate::Store;

/// The newest instant in `[from, to)` at which `key` was above `level`: found in the minute
/// rollups, then made exact from the raw samples of that minute; the minute's start when its
/// raw samples are gone. `None` when it never was (a target that never answered).
pub fn last_time_above(
    store: &dyn Store,
    key: &SeriesKey,
    level: f64,
    from: Timestamp,
    to: Timestamp,
) -> Result<Option<Timestamp>> {
    let minutes = store.query_rollup(Tier::Minute, key, from, to)?;
    let Some(minute) = minutes.iter().rev().find(|p| p.max > level) else {
        return Ok(None);
    };
    let end = minute.bucket.add_millis(MINUTE_MS).min(to);
    let raw = store.query_raw(key, minute.bucket.max(from), end)?;
    let exact = raw
        .iter()
        .rev()
        .find(|(_, v)| *v > level)
        .map(|(ts, _)| *ts);
    Ok(Some(exact.unwrap_or(minute.bucket)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bandwatch_core::{Frame, SampleKind, Seconds};

    use super::*;
    use crate::{SqliteOptions, SqliteStore};

    const T0: i64 = 1_767_225_600_000;

    fn store(values: &[(i64, f64)]) -> SqliteStore {
        let mut s = SqliteStore::open_in_memory(SqliteOptions::default()).expect("open");
        let key = Arc::new(SeriesKey::with_label("up", "target", "t"));
        let frames: Vec<Frame> = values
            .iter()
            .map(|&(ms, v)| {
                let mut f = Frame::new("probe", Timestamp(T0 + ms), Seconds(1.0));
                f.push(Arc::clone(&key), v, SampleKind::Gauge);
                f
            })
            .collect();
        s.write(&frames).expect("write");
        s
    }

    fn last(s: &SqliteStore) -> Option<Timestamp> {
        let key = SeriesKey::with_label("up", "target", "t");
        last_time_above(s, &key, 0.5, Timestamp(T0), Timestamp(T0 + 3_600_000)).expect("query")
    }

    #[test]
    fn the_newest_instant_above_to_the_millisecond() {
        let s = store(&[(1_000, 1.0), (61_500, 1.0), (62_000, 0.0), (130_000, 0.0)]);
        assert_eq!(last(&s), Some(Timestamp(T0 + 61_500)));
        let never = store(&[(1_000, 0.0), (70_000, 0.0)]);
        assert_eq!(last(&never), None);
        assert_eq!(last(&store(&[])), None);
    }
}
