// Sums of small integers are exact in f64: the tests mean to compare them exactly.
#![allow(clippy::float_cmp)]

use std::sync::Arc;
use std::time::Duration;

use bandwatch_core::calendar::{periods, Period};
use bandwatch_core::{Frame, SampleKind, Seconds};
use chrono::{FixedOffset, Utc};

use super::*;
use crate::model::{Retention, MINUTE_MS};
use crate::{delta_sum, SqliteOptions, SqliteStore};

/// 2026-01-01T00:00:00Z, an hour boundary.
const T0: i64 = 1_767_225_600_000;

fn key() -> SeriesKey {
    SeriesKey::with_label("net_rx_bytes", "iface", "eth0")
}

/// The delta written at minute `i`: distinct per minute, so a minute counted twice or
/// missed changes the sum.
fn delta(i: i64) -> f64 {
    (i % 997 + 1) as f64
}

/// One sample a minute for `minutes` minutes from `T0`, then upkeep at `now`.
fn store(minutes: i64, opts: SqliteOptions, now: Timestamp) -> SqliteStore {
    let mut s = SqliteStore::open_in_memory(opts).expect("open");
    let k = Arc::new(key());
    let frames: Vec<Frame> = (0..minutes)
        .map(|i| {
            let mut f = Frame::new(
                "netdev",
                Timestamp(T0 + i * MINUTE_MS + 5_000),
                Seconds(60.0),
            );
            f.push(Arc::clone(&k), delta(i), SampleKind::Delta);
            f
        })
        .collect();
    for chunk in frames.chunks(1000) {
        s.write(chunk).expect("write");
    }
    s.maintain(now).expect("maintain");
    s
}

/// What the generator wrote in `[from, to)`.
fn expected(from: Timestamp, to: Timestamp) -> f64 {
    let first = (from.0 - T0).div_euclid(MINUTE_MS).max(0);
    let last = (to.0 - T0).div_euclid(MINUTE_MS);
    (first..last).map(delta).sum()
}

#[test]
fn each_day_sums_exactly_what_was_written() {
    let minutes = 3 * 24 * 60 + 90;
    let now = Timestamp(T0 + minutes * MINUTE_MS);
    let s = store(minutes, SqliteOptions::default(), now);
    let spans = periods(&Utc, Period::Day, Timestamp(T0), now, 100);
    assert_eq!(spans.len(), 4);
    let sums = period_sums(&s, &key(), &spans).expect("sums");
    for (span, got) in spans.iter().zip(&sums) {
        assert_eq!(got.total.sum, expected(span.start, span.end.min(now)));
        assert_eq!(got.split_hours, 0);
    }
    assert_eq!(sums[3].total.samples, 90);
}

#[test]
fn half_hour_zones_agree_with_delta_sum_period_by_period() {
    let minutes = 2 * 24 * 60 + 200;
    let now = Timestamp(T0 + minutes * MINUTE_MS);
    let s = store(minutes, SqliteOptions::default(), now);
    let india = FixedOffset::east_opt(5 * 3600 + 1800).expect("offset");
    for period in [Period::Hour, Period::Day, Period::Week] {
        let spans = periods(&india, period, Timestamp(T0), now, 1000);
        let sums = period_sums(&s, &key(), &spans).expect("sums");
        for (span, got) in spans.iter().zip(&sums) {
            let one = delta_sum(&s, &key(), span.start, span.end).expect("sum");
            assert_eq!(got.total, one, "{period:?} {span:?}");
            let clipped = (span.start.max(Timestamp(T0)), span.end.min(now));
            assert_eq!(got.total.sum, expected(clipped.0, clipped.1), "{span:?}");
        }
    }
}

#[test]
fn an_hour_split_by_a_period_whose_minutes_expired_counts_once_and_says_so() {
    // Minutes kept one day: after three days only the hour rollups of the first two remain.
    let opts = SqliteOptions {
        retention: Retention {
            minute: Duration::from_secs(86_400),
            ..Retention::default()
        },
        ..SqliteOptions::default()
    };
    let minutes = 2 * 24 * 60;
    let s = store(minutes, opts, Timestamp(T0 + 4 * 86_400_000));
    let india = FixedOffset::east_opt(5 * 3600 + 1800).expect("offset");
    let spans = periods(
        &india,
        Period::Day,
        Timestamp(T0),
        Timestamp(T0 + minutes * MINUTE_MS),
        10,
    );
    let sums = period_sums(&s, &key(), &spans).expect("sums");
    let total: f64 = sums.iter().map(|p| p.total.sum).sum();
    assert_eq!(
        total,
        expected(Timestamp(T0), Timestamp(T0 + minutes * MINUTE_MS))
    );
    assert!(sums.iter().any(|p| p.split_hours == 1), "{sums:?}");
}

#[test]
fn no_spans_and_gaps_between_spans() {
    let s = store(120, SqliteOptions::default(), Timestamp(T0 + 2 * HOUR_MS));
    assert!(period_sums(&s, &key(), &[]).expect("sums").is_empty());
    let all = periods(
        &Utc,
        Period::Hour,
        Timestamp(T0),
        Timestamp(T0 + 2 * HOUR_MS),
        10,
    );
    // Only the second hour asked for: the first is not counted anywhere.
    let sums = period_sums(&s, &key(), &all[1..]).expect("sums");
    assert_eq!(sums[0].total.sum, expected(all[1].start, all[1].end));
}

#[test]
fn one_query_per_tier() {
    use std::cell::Cell;
    struct Counting(SqliteStore, Cell<u32>);
    impl Store for Counting {
        fn write(&mut self, _: &[Frame]) -> Result<()> {
            unreachable!()
        }
        fn flush(&mut self) -> Result<()> {
            unreachable!()
        }
        fn maintain(&mut self, _: Timestamp) -> Result<crate::MaintenanceReport> {
            unreachable!()
        }
        fn series(&self) -> Result<Vec<SeriesKey>> {
            self.0.series()
        }
        fn query_raw(
            &self,
            k: &SeriesKey,
            f: Timestamp,
            t: Timestamp,
        ) -> Result<Vec<(Timestamp, f64)>> {
            self.0.query_raw(k, f, t)
        }
        fn query_rollup(
            &self,
            tier: Tier,
            k: &SeriesKey,
            f: Timestamp,
            t: Timestamp,
        ) -> Result<Vec<RollupPoint>> {
            self.1.set(self.1.get() + 1);
            self.0.query_rollup(tier, k, f, t)
        }
        fn stats(&self) -> Result<crate::StoreStats> {
            self.0.stats()
        }
        fn record_alerts(&mut self, _: &[bandwatch_core::AlertEvent]) -> Result<()> {
            unreachable!()
        }
        fn open_alerts(&self) -> Result<Vec<bandwatch_core::AlertEvent>> {
            unreachable!()
        }
        fn alerts(&self, _: &crate::AlertQuery) -> Result<Vec<crate::AlertRecord>> {
            unreachable!()
        }
        fn acknowledge(&mut self, _: &str, _: Timestamp, _: Option<&str>) -> Result<bool> {
            unreachable!()
        }
        fn add_silence(
            &mut self,
            _: &str,
            _: Timestamp,
            _: Timestamp,
            _: Option<&str>,
        ) -> Result<i64> {
            unreachable!()
        }
        fn silences(&self, _: Timestamp) -> Result<Vec<crate::Silence>> {
            unreachable!()
        }
    }
    // Five days of closed hours and half an open one: hours, then minutes from the open hour.
    let minutes = 5 * 24 * 60 + 30;
    let now = Timestamp(T0 + minutes * MINUTE_MS);
    let s = store(minutes, SqliteOptions::default(), now);
    let c = Counting(s, Cell::new(0));
    let spans = periods(&Utc, Period::Hour, Timestamp(T0), now, 1000);
    assert_eq!(spans.len(), 121);
    let sums = period_sums(&c, &key(), &spans).expect("sums");
    assert_eq!(c.1.get(), 2);
    assert_eq!(sums[120].total.samples, 30);
}
