//! The write-ahead head: every sample since the last seal, one compact row per `write()`.
//!
//! The head holds rollup-only samples (rates) too, so that reopening after a crash can replay
//! the open minute accumulators exactly; only raw samples are sealed into chunks.
//!
//! Row layout: `[version u8]` then per entry `varint(series << 1 | raw)`,
//! `zigzag varint(ts - previous ts)`, and the value as `varint(zigzag(int) << 1)` for exact
//! integers below 2^61 or `0x01` followed by 8 little-endian bytes of the f64.

use std::collections::BTreeMap;

use super::varint::{exact_i64, get_u64, put_u64, unzigzag, zigzag};

const ROW_VERSION: u8 = 1;
const FLOAT_TAG: u64 = 1;
const SMALL_INT_LIMIT: i64 = 1 << 61;

/// One sample as the head keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    /// Series id.
    pub series: i64,
    /// True when the sample belongs to the raw tier (gauges, deltas, elapsed).
    pub raw: bool,
    /// Milliseconds since the epoch.
    pub ts: i64,
    /// The value.
    pub value: f64,
}

/// Encodes entries as one head row.
pub(crate) fn encode_row(entries: impl IntoIterator<Item = Entry>) -> Vec<u8> {
    let mut out = vec![ROW_VERSION];
    let mut prev_ts = 0i64;
    for e in entries {
        put_u64(&mut out, ((e.series as u64) << 1) | u64::from(e.raw));
        put_u64(&mut out, zigzag(e.ts.wrapping_sub(prev_ts)));
        prev_ts = e.ts;
        put_value(&mut out, e.value);
    }
    out
}

fn put_value(out: &mut Vec<u8>, v: f64) {
    if let Some(i) = exact_i64(v).filter(|i| i.abs() < SMALL_INT_LIMIT) {
        put_u64(out, zigzag(i) << 1);
    } else {
        put_u64(out, FLOAT_TAG);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Decodes one head row; the error says what was malformed.
pub(crate) fn decode_row(data: &[u8]) -> Result<Vec<Entry>, String> {
    match data.first() {
        Some(&ROW_VERSION) => {}
        Some(v) => return Err(format!("unknown head row version {v}")),
        None => return Err("empty head row".into()),
    }
    let mut pos = 1;
    let mut prev_ts = 0i64;
    let mut out = Vec::new();
    while pos < data.len() {
        let tag = get_u64(data, &mut pos).ok_or("truncated series id")?;
        let dts = get_u64(data, &mut pos).ok_or("truncated timestamp")?;
        prev_ts = prev_ts.wrapping_add(unzigzag(dts));
        out.push(Entry {
            series: (tag >> 1) as i64,
            raw: tag & 1 == 1,
            ts: prev_ts,
            value: get_value(data, &mut pos)?,
        });
    }
    Ok(out)
}

fn get_value(data: &[u8], pos: &mut usize) -> Result<f64, String> {
    let v = get_u64(data, pos).ok_or("truncated value")?;
    if v & 1 == 0 {
        return Ok(unzigzag(v >> 1) as f64);
    }
    if v != FLOAT_TAG {
        return Err(format!("unknown value tag {v}"));
    }
    let bytes: [u8; 8] = data
        .get(*pos..*pos + 8)
        .and_then(|b| b.try_into().ok())
        .ok_or("truncated float value")?;
    *pos += 8;
    Ok(f64::from_le_bytes(bytes))
}

/// Raw points per series, sorted by time, ready to be cut into chunks.
pub(crate) type Sealed = BTreeMap<i64, Vec<(i64, f64)>>;

/// The open head in memory, per series in arrival order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Head {
    series: BTreeMap<i64, Vec<(i64, f64, bool)>>,
    raw_len: u64,
}

impl Head {
    /// Appends one entry.
    pub(crate) fn push(&mut self, e: Entry) {
        self.series
            .entry(e.series)
            .or_default()
            .push((e.ts, e.value, e.raw));
        self.raw_len += u64::from(e.raw);
    }

    /// Bytes held: every point's slot, reserved or filled, and a node share per series.
    pub(crate) fn held_bytes(&self) -> u64 {
        let points: usize = self.series.values().map(Vec::capacity).sum();
        let per_series = std::mem::size_of::<(i64, Vec<(i64, f64, bool)>)>() + 16;
        (points * std::mem::size_of::<(i64, f64, bool)>() + self.series.len() * per_series) as u64
    }

    /// Raw points held.
    pub(crate) fn raw_len(&self) -> u64 {
        self.raw_len
    }

    /// True when nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Raw points of one series with `from <= ts < to`, in arrival order.
    pub(crate) fn points(&self, series: i64, from: i64, to: i64) -> Vec<(i64, f64)> {
        self.series.get(&series).map_or_else(Vec::new, |pts| {
            pts.iter()
                .filter(|(ts, _, raw)| *raw && (from..to).contains(ts))
                .map(|(ts, v, _)| (*ts, *v))
                .collect()
        })
    }

    /// True when some entry is older than `cutoff`.
    pub(crate) fn has_before(&self, cutoff: i64) -> bool {
        self.series
            .values()
            .any(|pts| pts.iter().any(|(ts, _, _)| *ts < cutoff))
    }

    /// Splits at `cutoff`: raw points older than it (sorted by time, per series) and the
    /// head that remains (every entry at or after it, order kept).
    pub(crate) fn split(&self, cutoff: i64) -> (Sealed, Head) {
        let mut sealed = Sealed::new();
        let mut rest = Head::default();
        for (&series, pts) in &self.series {
            for &(ts, value, raw) in pts {
                if ts >= cutoff {
                    rest.push(Entry {
                        series,
                        raw,
                        ts,
                        value,
                    });
                } else if raw {
                    sealed.entry(series).or_default().push((ts, value));
                }
            }
        }
        for pts in sealed.values_mut() {
            pts.sort_by_key(|(ts, _)| *ts);
        }
        (sealed, rest)
    }

    /// Every entry, series by series, in arrival order within a series (all replay needs).
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.series.iter().flat_map(|(&series, pts)| {
            pts.iter().map(move |&(ts, value, raw)| Entry {
                series,
                raw,
                ts,
                value,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(series: i64, raw: bool, ts: i64, value: f64) -> Entry {
        Entry {
            series,
            raw,
            ts,
            value,
        }
    }

    #[test]
    fn rows_round_trip() {
        let entries = vec![
            e(1, true, 1_700_000_000_000, 1500.0),
            e(2, false, 1_700_000_000_000, 12_000.5),
            e(300, true, 1_699_999_999_000, -4.0),
            e(3, true, 5, f64::NAN),
            e(4, true, 6, 1e19),
        ];
        let row = encode_row(entries.iter().copied());
        let back = decode_row(&row).unwrap();
        assert_eq!(back.len(), entries.len());
        for (a, b) in back.iter().zip(&entries) {
            assert_eq!((a.series, a.raw, a.ts), (b.series, b.raw, b.ts));
            assert_eq!(a.value.to_bits(), b.value.to_bits());
        }
        // Two small integer samples cost a few bytes each, not the 24 of a triple.
        assert!(encode_row([e(1, true, 1000, 5.0), e(2, true, 1000, 6.0)]).len() <= 12);
    }

    #[test]
    fn damaged_rows_are_errors() {
        assert!(decode_row(&[]).is_err());
        assert!(decode_row(&[9]).is_err());
        let mut row = encode_row([e(1, true, 1, 0.25)]);
        row.pop();
        assert!(decode_row(&row).is_err());
    }

    #[test]
    fn split_keeps_rollup_only_entries_in_the_rest() {
        let mut head = Head::default();
        for (ts, raw) in [(30, true), (10, true), (20, false), (40, false), (50, true)] {
            head.push(e(1, raw, ts, ts as f64));
        }
        assert_eq!(head.raw_len(), 3);
        let (sealed, rest) = head.split(35);
        assert_eq!(sealed[&1], vec![(10, 10.0), (30, 30.0)]);
        let rest: Vec<_> = rest.entries().map(|e| (e.ts, e.raw)).collect();
        assert_eq!(rest, vec![(40, false), (50, true)]);
        assert_eq!(head.points(1, 0, 100).len(), 3);
        assert!(head.has_before(11) && !head.has_before(10));
    }
}
