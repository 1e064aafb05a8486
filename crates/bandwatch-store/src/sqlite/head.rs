//! The head in memory: the raw samples of each series that are not sealed into a chunk yet,
//! compactly encoded, and bounded per series whatever the sampling interval or the uptime.
//!
//! Each series seals on its own as soon as its encoded samples outgrow its threshold
//! ([`seal_threshold`]: between half and all of [`HEAD_BYTES_PER_SERIES`], spread by series
//! id), so series that sample at the same rate seal at different writes instead of all at one
//! boundary, and none holds more than [`HEAD_BYTES_PER_SERIES`]. Upkeep still seals whatever
//! is older than the last chunk boundary, so a slow series is bounded by age as before and,
//! at the default one-second interval, chunks still cover whole windows.
//!
//! Rollup-only samples (rates) are not held here, only counted: the head table on disk keeps
//! them for replay, and the open minute accumulators already summarise them.
//!
//! Point layout: zigzag varint of the change of the time step since the previous point (one
//! byte for regular ticks), then the value as a head row holds it ([`head_row::put_value`]).

use rustc_hash::FxHashMap as HashMap;

use super::head_row::{self, Entry};
use super::rollup::Acc;
use super::varint::{get_u64, put_u64, unzigzag, zigzag};
use super::HEAD_BYTES_PER_SERIES;
use crate::held::hash_map_bytes;

/// The head size in bytes at which series `series` seals: between half and all of
/// [`HEAD_BYTES_PER_SERIES`], spread by id so that series filling at the same rate (every
/// interface of one source) reach it at different writes.
pub(crate) fn seal_threshold(series: i64) -> usize {
    let full = HEAD_BYTES_PER_SERIES as usize;
    let half = full / 2;
    // Fibonacci hashing spreads consecutive ids (series are numbered as they appear) evenly.
    let spread = ((series as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize;
    half + spread % (full - half + 1)
}

/// Where an encoded stream of points stands: the last time and time step written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Cursor {
    last_ts: i64,
    step: i64,
}

impl Cursor {
    fn put(&mut self, out: &mut Vec<u8>, ts: i64, value: f64) {
        let step = ts.wrapping_sub(self.last_ts);
        put_u64(out, zigzag(step.wrapping_sub(self.step)));
        head_row::put_value(out, value);
        (self.last_ts, self.step) = (ts, step);
    }

    /// The next point at `*pos`; `None` at the end (the head only decodes what it encoded).
    fn get(&mut self, data: &[u8], pos: &mut usize) -> Option<(i64, f64)> {
        let change = unzigzag(get_u64(data, pos)?);
        let value = head_row::get_value(data, pos).ok()?;
        self.step = self.step.wrapping_add(change);
        self.last_ts = self.last_ts.wrapping_add(self.step);
        Some((self.last_ts, value))
    }
}

/// The points of `data`, encoded from cursor state `from`, in arrival order.
fn decode(data: &[u8], from: Cursor) -> impl Iterator<Item = (i64, f64)> + '_ {
    let (mut cursor, mut pos) = (from, 0);
    std::iter::from_fn(move || cursor.get(data, &mut pos))
}

/// Makes room for `extra` more bytes, doubling as a `Vec` does but never past `limit` unless
/// the bytes themselves need it: a head at rest is no longer than its threshold, so neither
/// is its allocation.
fn reserve_within(buf: &mut Vec<u8>, extra: usize, limit: usize) {
    let need = buf.len() + extra;
    if need <= buf.capacity() {
        return;
    }
    let target = (buf.capacity() * 2).max(64).min(limit).max(need);
    buf.reserve_exact(target - buf.len());
}

/// What one series has not sealed yet.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeriesHead {
    /// Raw points in arrival order (see the module's point layout).
    buf: Vec<u8>,
    /// Where `buf` ends.
    end: Cursor,
    /// Raw points in `buf`.
    raw: u64,
    /// Rollup-only entries in the head table (not held in memory).
    rollup_only: u64,
    /// The open minute its seal mark holds, which replay continues (`None`: replay starts
    /// from no open minute).
    start: Option<Acc>,
    /// Touched by the write in progress (its state before is in that write's undo log).
    touched: bool,
}

impl SeriesHead {
    /// Its raw points in arrival order.
    pub(crate) fn points(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        decode(&self.buf, Cursor::default())
    }

    fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.rollup_only == 0 && self.start.is_none()
    }

    /// A head of raw points only, allocated to fit.
    fn from_points(points: &[(i64, f64)]) -> Self {
        let mut head = Self::default();
        for &(ts, value) in points {
            head.end.put(&mut head.buf, ts, value);
        }
        head.buf.shrink_to_fit();
        head.raw = points.len() as u64;
        head
    }
}

/// The heads of every series with something unsealed.
#[derive(Debug, Default)]
pub(crate) struct Head {
    series: HashMap<i64, SeriesHead>,
    raw_len: u64,
}

/// What sealing one series at a cutoff does to its head.
#[derive(Debug)]
pub(crate) struct Cut {
    /// Points to store, sorted by time.
    pub sealed: Vec<(i64, f64)>,
    /// What remains when that changed (`None`: the head stays as it is).
    pub rest: Option<SeriesHead>,
    /// True when no entry remains, so nothing in the head can rebuild its open minute.
    pub whole: bool,
}

/// Series a write sealed whole, each with the open minute it continues.
pub(crate) type Sealed = Vec<(i64, Option<Acc>)>;

/// What upkeep leaves of one series: its new head (`None`: unchanged) and the open minute
/// its mark now holds.
pub(crate) type Upkept = (i64, Option<SeriesHead>, Option<Acc>);

impl Head {
    /// Sets the open minute replay of `series` starts from (from its seal mark).
    pub(crate) fn restore_start(&mut self, series: i64, start: Acc) {
        self.series.entry(series).or_default().start = Some(start);
    }

    /// Raw points held.
    pub(crate) fn raw_len(&self) -> u64 {
        self.raw_len
    }

    /// True when no series has anything unsealed.
    pub(crate) fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Bytes held: every head's buffer, reserved or filled, and the map's table.
    pub(crate) fn held_bytes(&self) -> u64 {
        let buffers: usize = self.series.values().map(|h| h.buf.capacity()).sum();
        hash_map_bytes::<i64, SeriesHead>(self.series.capacity()) + buffers as u64
    }

    /// Series with something unsealed, in id order.
    pub(crate) fn ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.series.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Raw points of one series with `from <= ts < to`, in arrival order.
    pub(crate) fn points(&self, series: i64, from: i64, to: i64) -> Vec<(i64, f64)> {
        self.series.get(&series).map_or_else(Vec::new, |h| {
            h.points()
                .filter(|(ts, _)| (from..to).contains(ts))
                .collect()
        })
    }

    /// Raw points of one series in arrival order (empty when it has none).
    pub(crate) fn series_points(&self, series: i64) -> impl Iterator<Item = (i64, f64)> + '_ {
        self.series
            .get(&series)
            .into_iter()
            .flat_map(SeriesHead::points)
    }

    /// The open minute replay of `series` starts from.
    pub(crate) fn start(&self, series: i64) -> Option<Acc> {
        self.series.get(&series).and_then(|h| h.start)
    }

    /// Seals one series at `cutoff`: points before it are sealed and the rest remains, in
    /// arrival order. A series with rollup-only entries seals everything, since the rest of
    /// those entries is not held to be written back.
    pub(crate) fn cut(&self, series: i64, cutoff: i64) -> Cut {
        let Some(head) = self.series.get(&series) else {
            return Cut {
                sealed: Vec::new(),
                rest: None,
                whole: true,
            };
        };
        let all = head.rollup_only > 0;
        if !all && head.points().all(|(ts, _)| ts >= cutoff) {
            return Cut {
                sealed: Vec::new(),
                rest: None,
                whole: head.buf.is_empty(),
            };
        }
        let (mut sealed, rest): (Vec<_>, Vec<_>) =
            head.points().partition(|(ts, _)| all || *ts < cutoff);
        sealed.sort_by_key(|(ts, _)| *ts);
        Cut {
            sealed,
            whole: rest.is_empty(),
            rest: Some(SeriesHead::from_points(&rest)),
        }
    }

    /// Applies a committed upkeep: new heads where they changed, every mark's open minute, and
    /// no rollup-only entries left anywhere.
    pub(crate) fn commit_upkeep(&mut self, upkept: Vec<Upkept>) {
        for (series, rest, start) in upkept {
            if let Some(rest) = rest {
                self.raw_len += rest.raw;
                if let Some(old) = self.series.insert(series, rest) {
                    self.raw_len -= old.raw;
                }
            }
            if let Some(head) = self.series.get_mut(&series) {
                head.start = start;
                head.rollup_only = 0;
                if head.is_empty() {
                    self.series.remove(&series);
                }
            }
        }
    }
}

/// A series' state before a write touched it.
#[derive(Debug, Clone, Copy)]
struct Saved {
    len: usize,
    end: Cursor,
    raw: u64,
    rollup_only: u64,
}

/// A write's changes to the head, made in place (each series appends to its own buffer, so a
/// write allocates nothing per series) and undone by [`HeadTx::rollback`] when its
/// transaction does not commit: until then the committed head is what it was.
pub(crate) struct HeadTx<'a> {
    head: &'a mut Head,
    /// Each series the write touched and its state before (`None`: it had no head).
    undo: Vec<(i64, Option<Saved>)>,
    /// One point, encoded before it is appended, so the buffer grows by what it needs.
    point: Vec<u8>,
}

impl<'a> HeadTx<'a> {
    /// Starts a write over the committed head.
    pub(crate) fn begin(head: &'a mut Head) -> Self {
        Self {
            head,
            undo: Vec::new(),
            point: Vec::with_capacity(24),
        }
    }

    /// Makes room for `n` more series in the undo log.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.undo.reserve(n);
    }

    /// Adds one entry (raw points are held, rollup-only ones counted).
    pub(crate) fn push(&mut self, e: Entry) {
        use std::collections::hash_map::Entry as Slot;
        let head = match self.head.series.entry(e.series) {
            Slot::Occupied(slot) => {
                let head = slot.into_mut();
                if !head.touched {
                    let saved = Saved {
                        len: head.buf.len(),
                        end: head.end,
                        raw: head.raw,
                        rollup_only: head.rollup_only,
                    };
                    self.undo.push((e.series, Some(saved)));
                    head.touched = true;
                }
                head
            }
            Slot::Vacant(slot) => {
                self.undo.push((e.series, None));
                slot.insert(SeriesHead {
                    touched: true,
                    ..SeriesHead::default()
                })
            }
        };
        if e.raw {
            self.point.clear();
            head.end.put(&mut self.point, e.ts, e.value);
            reserve_within(&mut head.buf, self.point.len(), seal_threshold(e.series));
            head.buf.extend_from_slice(&self.point);
            head.raw += 1;
            self.head.raw_len += 1;
        } else {
            head.rollup_only += 1;
        }
    }

    /// Series whose head, with what this write added, has outgrown its threshold, in id order.
    pub(crate) fn over_budget(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .undo
            .iter()
            .map(|(s, _)| *s)
            .filter(|s| {
                self.head
                    .series
                    .get(s)
                    .is_some_and(|h| h.buf.len() > seal_threshold(*s))
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Every raw point of one series, committed and added, sorted by time.
    pub(crate) fn points(&self, series: i64) -> Vec<(i64, f64)> {
        let mut points: Vec<_> = self.head.series_points(series).collect();
        points.sort_by_key(|(ts, _)| *ts);
        points
    }

    /// Keeps the write, with the `sealed` series emptied and starting from the given minutes.
    pub(crate) fn commit(mut self, sealed: Sealed) {
        for (series, _) in std::mem::take(&mut self.undo) {
            if let Some(head) = self.head.series.get_mut(&series) {
                head.touched = false;
            }
        }
        for (series, start) in sealed {
            if let Some(old) = self.head.series.remove(&series) {
                self.head.raw_len -= old.raw;
            }
            if start.is_some() {
                let head = SeriesHead {
                    start,
                    ..SeriesHead::default()
                };
                self.head.series.insert(series, head);
            }
        }
    }

    /// Undoes the write: every series it touched is as it was before. (Dropping the write
    /// without [`HeadTx::commit`] does the same, so an early return cannot leave it half done.)
    pub(crate) fn rollback(mut self) {
        self.undo();
    }

    fn undo(&mut self) {
        for (series, saved) in std::mem::take(&mut self.undo) {
            match saved {
                None => {
                    if let Some(head) = self.head.series.remove(&series) {
                        self.head.raw_len -= head.raw;
                    }
                }
                Some(saved) => {
                    let Some(head) = self.head.series.get_mut(&series) else {
                        continue;
                    };
                    self.head.raw_len -= head.raw - saved.raw;
                    head.buf.truncate(saved.len);
                    head.buf.shrink_to(seal_threshold(series));
                    head.end = saved.end;
                    head.raw = saved.raw;
                    head.rollup_only = saved.rollup_only;
                    head.touched = false;
                }
            }
        }
    }
}

impl Drop for HeadTx<'_> {
    fn drop(&mut self) {
        self.undo();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(series: i64, ts: i64, value: f64) -> Entry {
        Entry {
            series,
            raw: true,
            ts,
            value,
        }
    }

    fn staged(head: &mut Head, entries: &[Entry]) {
        let mut tx = HeadTx::begin(head);
        for e in entries {
            tx.push(*e);
        }
        tx.commit(Vec::new());
    }

    #[test]
    fn points_round_trip_through_writes_and_regular_ticks_cost_a_few_bytes() {
        let mut head = Head::default();
        let values = [1500.0, -4.0, f64::NAN, 1e19, 0.25, 7.0];
        let pts: Vec<(i64, f64)> = (0..600)
            .map(|i| (1_700_000_000_000 + i * 100, values[i as usize % 6]))
            .collect();
        for batch in pts.chunks(7) {
            let entries: Vec<_> = batch.iter().map(|&(t, v)| raw(3, t, v)).collect();
            staged(&mut head, &entries);
        }
        let back = head.points(3, i64::MIN, i64::MAX);
        let bits = |p: &[(i64, f64)]| p.iter().map(|(t, v)| (*t, v.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&pts));
        assert_eq!(head.raw_len(), 600);
        // Small integers at a regular step: one byte of time and one of value.
        let mut small = Head::default();
        let entries: Vec<_> = (0..100).map(|i| raw(1, 5_000 + i * 100, 5.0)).collect();
        staged(&mut small, &entries);
        assert!(small.series[&1].buf.len() <= 2 * 100 + 8);
    }

    #[test]
    fn a_series_outgrowing_its_threshold_is_flagged_and_its_head_never_outgrows_the_bound() {
        let mut head = Head::default();
        let mut sealed_at = None;
        for i in 0..10_000i64 {
            let mut tx = HeadTx::begin(&mut head);
            tx.push(raw(9, i * 100, (i * 7919 % 1_000_000) as f64));
            tx.push(Entry {
                series: 10,
                raw: false,
                ts: i * 100,
                value: 1.0,
            });
            let over = tx.over_budget();
            if !over.is_empty() {
                assert_eq!(over, vec![9]);
                assert_eq!(tx.points(9).len() as i64, i + 1);
                sealed_at = Some(i);
                tx.commit(vec![(9, None)]);
                break;
            }
            tx.commit(Vec::new());
            let cap = head.series[&9].buf.capacity();
            assert!(cap <= seal_threshold(9), "{cap} bytes reserved");
        }
        assert!(sealed_at.is_some(), "series 9 never sealed");
        assert!(!head.series.contains_key(&9));
        assert_eq!(head.raw_len(), 0);
        // The rate is only counted, never held.
        assert_eq!(head.series[&10].buf.capacity(), 0);
    }

    #[test]
    fn a_rolled_back_write_leaves_the_head_as_it_was() {
        let mut head = Head::default();
        staged(&mut head, &[raw(1, 100, 1.0), raw(1, 200, 2.0)]);
        let before = head.points(1, i64::MIN, i64::MAX);
        let mut tx = HeadTx::begin(&mut head);
        for i in 0..5_000 {
            tx.push(raw(1, 300 + i * 100, 3.5));
            tx.push(raw(2, i, 4.0));
        }
        assert_eq!(tx.over_budget(), vec![1, 2]);
        tx.rollback();
        assert_eq!(head.points(1, i64::MIN, i64::MAX), before);
        assert!(!head.series.contains_key(&2));
        assert_eq!(head.raw_len(), 2);
        assert!(head.series[&1].buf.capacity() <= seal_threshold(1));
        // Dropping a write without committing it undoes it too.
        let mut tx = HeadTx::begin(&mut head);
        tx.push(raw(1, 250, 9.0));
        drop(tx);
        assert_eq!(head.points(1, i64::MIN, i64::MAX), before);
        // The next write continues the head as if the failed one never happened.
        staged(&mut head, &[raw(1, 300, 3.0)]);
        assert_eq!(head.points(1, i64::MIN, i64::MAX).len(), 3);
        assert_eq!(head.points(1, 300, 301), vec![(300, 3.0)]);
    }

    #[test]
    fn the_per_series_bound_covers_a_head_and_its_map_slots() {
        use crate::HELD_BYTES_PER_SERIES;
        // A series has one slot in the head map and one in the open-minute map; a map's
        // power-of-two table is at most 16/7 slots per entry, one control byte each.
        let slots = std::mem::size_of::<(i64, SeriesHead)>() + std::mem::size_of::<(i64, Acc)>();
        let per_series = (slots + 2) * 16 / 7;
        assert!(
            HEAD_BYTES_PER_SERIES as usize + per_series <= HELD_BYTES_PER_SERIES as usize,
            "{per_series} bytes of map slots per series"
        );
    }

    #[test]
    fn thresholds_spread_between_half_and_all_of_the_bound() {
        let full = HEAD_BYTES_PER_SERIES as usize;
        let t: Vec<usize> = (1..=1000).map(seal_threshold).collect();
        assert!(t.iter().all(|&b| (full / 2..=full).contains(&b)));
        // Consecutive ids land all over the range, not in a few places.
        let quarters = t.iter().fold([0; 4], |mut q, &b| {
            q[((b - full / 2) * 4 / (full / 2 + 1)).min(3)] += 1;
            q
        });
        assert!(quarters.iter().all(|&n| n > 200), "{quarters:?}");
    }

    #[test]
    fn a_cut_keeps_later_points_and_a_series_with_rates_seals_whole() {
        let mut head = Head::default();
        let entries: Vec<_> = [30, 10, 50, 40]
            .iter()
            .map(|&t| raw(1, t, t as f64))
            .collect();
        staged(&mut head, &entries);
        let keep = head.cut(1, 10);
        assert!(keep.sealed.is_empty() && keep.rest.is_none() && !keep.whole);
        let cut = head.cut(1, 35);
        assert_eq!(cut.sealed, vec![(10, 10.0), (30, 30.0)]);
        let rest = cut.rest.unwrap();
        assert_eq!(
            rest.points().collect::<Vec<_>>(),
            vec![(50, 50.0), (40, 40.0)]
        );
        assert!(!cut.whole);
        head.commit_upkeep(vec![(1, Some(rest), None)]);
        assert_eq!(head.raw_len(), 2);
        staged(
            &mut head,
            &[Entry {
                series: 1,
                raw: false,
                ts: 60,
                value: 1.0,
            }],
        );
        let cut = head.cut(1, 0);
        assert_eq!((cut.sealed.len(), cut.whole), (2, true));
        // A series sealed whole stays only while its mark holds an open minute.
        let open = Some(Acc {
            bucket: 0,
            count: 1,
            sum: 1.0,
            min: 1.0,
            max: 1.0,
            last: 1.0,
        });
        head.commit_upkeep(vec![(1, cut.rest, open)]);
        assert_eq!((head.raw_len(), head.start(1)), (0, open));
        assert!(head.cut(1, i64::MAX).whole);
        head.commit_upkeep(vec![(1, None, None)]);
        assert!(head.is_empty());
    }
}
