//! The newest recorded value of every series, for the snapshot a read-only server
//! (`bandwatch serve`) shows in place of live values: each series' newest minute rollup, its
//! last value, stamped with that minute. The [`crate::Reader`] refreshes it while serving, so
//! the page follows an agent that is still recording.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bandwatch_core::{Catalog, Frame, SampleKind, Seconds, SeriesKey, Timestamp};
use bandwatch_store::{RollupPoint, Store, Tier, MINUTE_MS};

/// How far back the first look for a series' newest minute goes before it reads all of them.
const RECENT_MS: i64 = 2 * 3_600_000;
/// How far ahead of this clock a recording may be (one made on a machine whose clock ran ahead).
const AHEAD_MS: i64 = 24 * 3_600_000;

/// What has been shown of each series, so a refresh reads only from its newest minute on.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Each series' newest minute and the samples it summarised when last read.
    seen: HashMap<SeriesKey, (Timestamp, u64)>,
}

impl Recorded {
    /// Frames of the values recorded since the last call (or all series' newest values, the
    /// first time), one per minute, oldest first: what the snapshot has to take in.
    pub fn newer(
        &mut self,
        store: &dyn Store,
        catalog: &Catalog,
        now: Timestamp,
    ) -> bandwatch_store::Result<Vec<Frame>> {
        let until = now.add_millis(AHEAD_MS);
        let mut frames: BTreeMap<Timestamp, Frame> = BTreeMap::new();
        for key in store.series()? {
            let newest = match self.seen.get(&key) {
                Some(&(minute, _)) => newest_from(store, &key, minute, until)?,
                None => match newest_from(store, &key, now.add_millis(-RECENT_MS), until)? {
                    Some(p) => Some(p),
                    // Recorded a while ago (or the agent is stopped): read all its minutes.
                    None => newest_from(store, &key, Timestamp(0), until)?,
                },
            };
            let Some(point) = newest else {
                continue;
            };
            let state = (point.bucket, point.count);
            if self.seen.get(&key) == Some(&state) {
                continue;
            }
            self.seen.insert(key.clone(), state);
            let kind = catalog
                .get(&key.metric)
                .map_or(SampleKind::Gauge, |d| d.kind);
            frames
                .entry(point.bucket)
                .or_insert_with(|| {
                    Frame::new("history", point.bucket, Seconds(MINUTE_MS as f64 / 1000.0))
                })
                .push(Arc::new(key), point.last, kind);
        }
        Ok(frames.into_values().collect())
    }
}

/// The newest minute of `key` in `[from, to)`.
fn newest_from(
    store: &dyn Store,
    key: &SeriesKey,
    from: Timestamp,
    to: Timestamp,
) -> bandwatch_store::Result<Option<RollupPoint>> {
    Ok(store.query_rollup(Tier::Minute, key, from, to)?.pop())
}

#[cfg(test)]
mod tests {
    use bandwatch_core::Labels;
    use bandwatch_store::{SqliteOptions, SqliteStore};

    use super::*;

    const T0: i64 = 1_767_225_600_000;

    fn frame(ts: i64, rx_bps: f64, cpu: Option<f64>) -> Frame {
        let mut f = Frame::new("netdev", Timestamp(ts), Seconds(1.0));
        let iface = Labels::from_pairs([("iface", "eth0")]);
        f.push(
            Arc::new(SeriesKey::new("net_rx_bits_per_second", iface)),
            rx_bps,
            SampleKind::Rate,
        );
        if let Some(cpu) = cpu {
            let total = Labels::from_pairs([("cpu", "total")]);
            f.push(
                Arc::new(SeriesKey::new("system_cpu_percent", total)),
                cpu,
                SampleKind::Gauge,
            );
        }
        f
    }

    /// The values of the test's own series (the store adds its elapsed-time series).
    fn values(frames: &[Frame]) -> Vec<(i64, String, f64)> {
        frames
            .iter()
            .flat_map(|f| {
                f.samples
                    .iter()
                    .filter(|s| s.series.metric != bandwatch_store::ELAPSED_METRIC)
                    .map(move |s| (f.ts.0 - T0, s.series.metric.clone(), s.value))
            })
            .collect()
    }

    #[test]
    fn each_series_gives_its_newest_minute_once_and_again_when_it_moves() {
        let mut store = SqliteStore::open_in_memory(SqliteOptions::default()).unwrap();
        // CPU stopped in the first minute; the interface goes on into the third.
        store
            .write(&[
                frame(T0, 1.0, Some(50.0)),
                frame(T0 + 1000, 2.0, Some(60.0)),
            ])
            .unwrap();
        store
            .write(&[
                frame(T0 + 61_000, 3.0, None),
                frame(T0 + 125_000, 4.0, None),
            ])
            .unwrap();
        let catalog = bandwatch_collect::catalog();
        let mut recorded = Recorded::default();
        // Long after: the recording is older than the first look back.
        let later = Timestamp(T0 + 30 * 24 * 3_600_000);
        let first = recorded.newer(&store, catalog, later).unwrap();
        assert_eq!(
            values(&first),
            [
                (0, "system_cpu_percent".to_string(), 60.0),
                (120_000, "net_rx_bits_per_second".to_string(), 4.0)
            ]
        );
        assert_eq!(first[0].samples[0].kind, SampleKind::Gauge);
        assert_eq!(first[1].samples[0].kind, SampleKind::Rate);
        assert!(
            recorded.newer(&store, catalog, later).unwrap().is_empty(),
            "nothing new"
        );
        store.write(&[frame(T0 + 126_000, 5.0, None)]).unwrap();
        let next = recorded.newer(&store, catalog, later).unwrap();
        assert_eq!(
            values(&next),
            [(120_000, "net_rx_bits_per_second".to_string(), 5.0)]
        );
    }
}
