//! The series walk: each chosen series read from the store a slice of time at a time and
//! handed to the format, so no more than one slice of one series is ever in memory.
//!
//! Raw rates are not stored (they follow exactly from the delta and the frame's elapsed
//! time), so on the raw tier a rate's points are derived from its delta as the catalogue
//! says: `delta × factor / elapsed` at each of the delta's instants.

use std::io;

use bandwatch_core::{SampleKind, SeriesKey, Timestamp};
use bandwatch_store::{Resolution, RollupPoint, Store, StoreError, ELAPSED_METRIC, HOUR_MS};
use bandwatch_web::query::Derived;

use super::format::{Format, Point};
use super::range::Plan;
use super::select::Chosen;

/// Why a walk stopped.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    /// The history could not be read.
    #[error("reading the history: {0}")]
    Store(#[from] StoreError),
    /// The output could not be written.
    #[error("writing the export: {0}")]
    Write(#[from] io::Error),
}

/// How far one query reaches: at 1 s samples, 6 hours of raw points (21,600 per series),
/// a week of minute rows or a year of hour rows.
pub fn slice_ms(resolution: Resolution) -> i64 {
    match resolution {
        Resolution::Raw => 6 * HOUR_MS,
        Resolution::Minute => 7 * 24 * HOUR_MS,
        Resolution::Hour => 366 * 24 * HOUR_MS,
    }
}

/// The slices `[from, to)` of a plan's window, in order.
pub fn slices(plan: &Plan) -> impl Iterator<Item = (i64, i64)> {
    let (start, end) = (plan.window.start, plan.window.end);
    let step = slice_ms(plan.resolution);
    std::iter::successors(Some(start), move |s| {
        Some(s.saturating_add(step)).filter(|n| *n < end)
    })
    .map(move |s| (s, s.saturating_add(step).min(end)))
}

/// What a walk wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Series with at least one point.
    pub series: u64,
    /// Points (one CSV row each).
    pub points: u64,
}

/// Writes every series of `chosen` over `plan` to `format`; `tick` is called after each
/// slice of each series (for the progress bar) with the points written so far.
pub fn walk(
    store: &dyn Store,
    chosen: &[Chosen],
    plan: &Plan,
    format: &mut dyn Format,
    tick: &mut dyn FnMut(u64),
) -> Result<Written, WalkError> {
    let mut written = Written::default();
    let mut buf = Vec::new();
    for series in chosen {
        let mut started = false;
        for (from, to) in slices(plan) {
            buf.clear();
            read_slice(store, series, plan.resolution, from, to, &mut buf)?;
            if !buf.is_empty() {
                if !started {
                    format.series(series, plan.resolution)?;
                    started = true;
                    written.series += 1;
                }
                format.points(&buf)?;
                written.points += buf.len() as u64;
            }
            tick(written.points);
        }
        if started {
            format.end_series()?;
        }
    }
    Ok(written)
}

/// The points of one series in `[from, to)` into `out`.
fn read_slice(
    store: &dyn Store,
    series: &Chosen,
    resolution: Resolution,
    from: i64,
    to: i64,
    out: &mut Vec<Point>,
) -> Result<(), StoreError> {
    let (from, to) = (Timestamp(from), Timestamp(to));
    let Some(tier) = resolution.tier() else {
        if series.kind == SampleKind::Rate {
            if let Some(d) = series.derives_from {
                derive_rates(store, series, d, from, to, out)?;
                if !out.is_empty() {
                    return Ok(());
                }
            }
        }
        let raw = store.query_raw(&series.key, from, to)?;
        out.extend(raw.into_iter().map(|(ts, value)| Point {
            ts: ts.0,
            value,
            bounds: None,
        }));
        return Ok(());
    };
    let rows = store.query_rollup(tier, &series.key, from, to)?;
    out.extend(
        rows.iter()
            .filter(|r| r.count > 0)
            .map(|r| rollup_point(r, series.kind)),
    );
    Ok(())
}

/// A rollup row as a point: deltas add up over the bucket; levels and rates average.
fn rollup_point(r: &RollupPoint, kind: SampleKind) -> Point {
    Point {
        ts: r.bucket.0,
        value: if kind == SampleKind::Delta {
            r.sum
        } else {
            r.mean()
        },
        bounds: Some((r.min, r.max)),
    }
}

/// A rate's raw points from its delta and the elapsed seconds of the frames that carried it.
fn derive_rates(
    store: &dyn Store,
    series: &Chosen,
    d: Derived,
    from: Timestamp,
    to: Timestamp,
    out: &mut Vec<Point>,
) -> Result<(), StoreError> {
    let deltas = store.query_raw(
        &SeriesKey::new(d.delta, series.key.labels.clone()),
        from,
        to,
    )?;
    if deltas.is_empty() {
        return Ok(());
    }
    let elapsed = store.query_raw(
        &SeriesKey::with_label(ELAPSED_METRIC, "source", d.source),
        from,
        to,
    )?;
    join_rates(&deltas, &elapsed, d.factor, out);
    Ok(())
}

/// Rates at the instants both series share: both come in time order, so one merge pass
/// pairs them. Frames with no positive elapsed time give no rate.
fn join_rates(
    deltas: &[(Timestamp, f64)],
    elapsed: &[(Timestamp, f64)],
    factor: f64,
    out: &mut Vec<Point>,
) {
    let mut e = elapsed.iter().peekable();
    for (ts, d) in deltas {
        while e.next_if(|(t, _)| t < ts).is_some() {}
        if let Some((_, secs)) = e.peek().filter(|(t, s)| t == ts && *s > 0.0) {
            out.push(Point {
                ts: ts.0,
                value: d * factor / secs,
                bounds: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::range::Window;
    use super::*;

    fn plan(resolution: Resolution, start: i64, end: i64) -> Plan {
        Plan {
            window: Window { start, end },
            resolution,
            step_ms: 1000,
        }
    }

    #[test]
    fn slices_cover_the_window_once() {
        let day = 24 * HOUR_MS;
        let got: Vec<_> = slices(&plan(Resolution::Raw, 0, day + 1)).collect();
        assert_eq!(
            got,
            [
                (0, 6 * HOUR_MS),
                (6 * HOUR_MS, 12 * HOUR_MS),
                (12 * HOUR_MS, 18 * HOUR_MS),
                (18 * HOUR_MS, day),
                (day, day + 1)
            ]
        );
        assert_eq!(slices(&plan(Resolution::Hour, 5, 6)).count(), 1);
        let far = plan(Resolution::Raw, i64::MAX - 10, i64::MAX);
        assert_eq!(
            slices(&far).collect::<Vec<_>>(),
            [(i64::MAX - 10, i64::MAX)]
        );
    }

    #[test]
    fn rates_pair_each_delta_with_its_frames_elapsed_time() {
        let t = Timestamp;
        let deltas = [
            (t(0), 1000.0),
            (t(500), 1000.0),
            (t(900), 5.0),
            (t(2000), 3000.0),
        ];
        let elapsed = [
            (t(0), 1.0),
            (t(300), 9.0),
            (t(500), 0.5),
            (t(900), 0.0),
            (t(2000), 1.5),
        ];
        let mut out = Vec::new();
        join_rates(&deltas, &elapsed, 8.0, &mut out);
        let got: Vec<(i64, f64)> = out.iter().map(|p| (p.ts, p.value)).collect();
        assert_eq!(got, [(0, 8000.0), (500, 16_000.0), (2000, 16_000.0)]);
    }

    #[test]
    fn rollup_rows_sum_deltas_and_average_levels() {
        let row = RollupPoint {
            bucket: Timestamp(60_000),
            count: 4,
            sum: 10.0,
            min: 1.0,
            max: 4.0,
            last: 4.0,
        };
        let p = rollup_point(&row, SampleKind::Delta);
        assert_eq!((p.ts, p.value, p.bounds), (60_000, 10.0, Some((1.0, 4.0))));
        assert!((rollup_point(&row, SampleKind::Gauge).value - 2.5).abs() < 1e-12);
    }
}
