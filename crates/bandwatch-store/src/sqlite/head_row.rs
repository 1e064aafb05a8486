//! The head table on disk: every sample not yet sealed, as compact rows appended by each
//! `write()`, and the per-series marks that say which of them a series has already sealed.
//!
//! The head holds rollup-only samples (rates) too, so that reopening after a crash can replay
//! the open minute accumulators exactly; only raw samples are sealed into chunks.
//!
//! A series seals on its own (see [`Head`](super::head::Head)) without rewriting the rows it
//! shares with other series: `head_sealed` records the last row it sealed through and the
//! minute it had open, and replay starts that series from that minute and skips its entries in
//! that row and before. Upkeep and flush seal every series at once and then replace all rows
//! and marks by what remains (marks with `through = 0` then only carry open minutes).
//!
//! Row layout: `[version u8]` then per entry `varint(series << 1 | raw)`,
//! `zigzag varint(ts - previous ts)`, and the value as `varint(zigzag(int) << 1)` for exact
//! integers below 2^61 or `0x01` followed by 8 little-endian bytes of the f64.

use rustc_hash::FxHashMap as HashMap;

use rusqlite::{params, Connection};

use super::rollup::Acc;
use super::varint::{exact_i64, get_u64, put_u64, unzigzag, zigzag};

const ROW_VERSION: u8 = 1;
const FLOAT_TAG: u64 = 1;
const SMALL_INT_LIMIT: i64 = 1 << 61;
/// Bytes a row grows to before the next entry starts another, so that writing a long backlog
/// or the rest of a seal never builds one huge blob in memory.
const ROW_BYTES: usize = 64 * 1024;

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
#[cfg(test)]
pub(crate) fn encode_row(entries: impl IntoIterator<Item = Entry>) -> Vec<u8> {
    let mut row = RowBuf::default();
    for e in entries {
        row.push(e);
    }
    row.data
}

/// One row being encoded.
#[derive(Debug)]
struct RowBuf {
    data: Vec<u8>,
    prev_ts: i64,
}

impl Default for RowBuf {
    fn default() -> Self {
        Self {
            data: vec![ROW_VERSION],
            prev_ts: 0,
        }
    }
}

impl RowBuf {
    fn push(&mut self, e: Entry) {
        put_u64(&mut self.data, ((e.series as u64) << 1) | u64::from(e.raw));
        put_u64(&mut self.data, zigzag(e.ts.wrapping_sub(self.prev_ts)));
        self.prev_ts = e.ts;
        put_value(&mut self.data, e.value);
    }

    fn is_empty(&self) -> bool {
        self.data.len() == 1
    }
}

/// Appends entries to the head table inside an open transaction, one row per [`ROW_BYTES`].
pub(crate) struct RowWriter<'c> {
    conn: &'c Connection,
    row: RowBuf,
    written: Written,
}

/// What a [`RowWriter`] stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Written {
    /// The id of the last row stored (`None` when none was).
    pub last_id: Option<i64>,
    /// The oldest sample time among the entries stored.
    pub oldest: Option<i64>,
}

impl<'c> RowWriter<'c> {
    /// A writer into `conn`'s open transaction.
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            row: RowBuf::default(),
            written: Written::default(),
        }
    }

    /// A writer sized for about `entries` entries, so the row is not regrown as it fills.
    pub(crate) fn with_entries(conn: &'c Connection, entries: usize) -> Self {
        let mut row = RowBuf::default();
        // An entry takes a few bytes (a one-byte series id and time step, a small integer
        // value) up to about 20 (a float after a clock jump).
        row.data
            .reserve(entries.saturating_mul(12).min(ROW_BYTES + 32));
        Self {
            conn,
            row,
            written: Written::default(),
        }
    }

    /// Adds one entry, storing the row first when it is full.
    pub(crate) fn push(&mut self, e: Entry) -> rusqlite::Result<()> {
        if self.row.data.len() >= ROW_BYTES {
            self.store()?;
        }
        self.row.push(e);
        self.written.oldest = Some(self.written.oldest.map_or(e.ts, |t| t.min(e.ts)));
        Ok(())
    }

    fn store(&mut self) -> rusqlite::Result<()> {
        let row = std::mem::take(&mut self.row);
        self.conn
            .prepare_cached("INSERT INTO head (data) VALUES (?1)")?
            .execute([row.data])?;
        self.written.last_id = Some(self.conn.last_insert_rowid());
        Ok(())
    }

    /// Stores what is left; says what was stored.
    pub(crate) fn finish(mut self) -> rusqlite::Result<Written> {
        if !self.row.is_empty() {
            self.store()?;
        }
        Ok(self.written)
    }
}

/// Appends a value the way a row holds it (the in-memory head holds values the same way).
pub(crate) fn put_value(out: &mut Vec<u8>, v: f64) {
    if let Some(i) = exact_i64(v).filter(|i| i.abs() < SMALL_INT_LIMIT) {
        put_u64(out, zigzag(i) << 1);
    } else {
        put_u64(out, FLOAT_TAG);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Reads a value written by [`put_value`] at `*pos`; the error says what was malformed.
pub(crate) fn get_value(data: &[u8], pos: &mut usize) -> Result<f64, String> {
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

/// The entries of one row, decoded as they are read; an error says what was malformed (and
/// ends the row).
pub(crate) fn read_row(data: &[u8]) -> RowReader<'_> {
    RowReader {
        data,
        pos: 1,
        prev_ts: 0,
        failed: false,
        version: data.first().copied(),
    }
}

/// Iterator over the entries of one head row (see [`read_row`]).
pub(crate) struct RowReader<'a> {
    data: &'a [u8],
    pos: usize,
    prev_ts: i64,
    failed: bool,
    version: Option<u8>,
}

impl RowReader<'_> {
    fn entry(&mut self) -> Result<Entry, String> {
        let tag = get_u64(self.data, &mut self.pos).ok_or("truncated series id")?;
        let dts = get_u64(self.data, &mut self.pos).ok_or("truncated timestamp")?;
        self.prev_ts = self.prev_ts.wrapping_add(unzigzag(dts));
        Ok(Entry {
            series: (tag >> 1) as i64,
            raw: tag & 1 == 1,
            ts: self.prev_ts,
            value: get_value(self.data, &mut self.pos)?,
        })
    }
}

impl Iterator for RowReader<'_> {
    type Item = Result<Entry, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let checked = match self.version {
            Some(ROW_VERSION) if self.pos >= self.data.len() => return None,
            Some(ROW_VERSION) => self.entry(),
            Some(v) => Err(format!("unknown head row version {v}")),
            None => Err("empty head row".into()),
        };
        self.failed = checked.is_err();
        Some(checked)
    }
}

/// Decodes one whole head row; the error says what was malformed.
#[cfg(test)]
pub(crate) fn decode_row(data: &[u8]) -> Result<Vec<Entry>, String> {
    read_row(data).collect()
}

/// Where replay starts for one series that sealed on its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mark {
    /// Its entries in this row and before are sealed.
    pub through: i64,
    /// Its open minute when it sealed, which its later entries continue.
    pub open: Option<Acc>,
}

/// The seal marks by series.
pub(crate) fn read_marks(conn: &Connection) -> rusqlite::Result<HashMap<i64, Mark>> {
    let mut stmt = conn.prepare(
        "SELECT series_id, through, bucket, count, sum, min, max, last FROM head_sealed",
    )?;
    let rows = stmt.query_map([], |r| {
        let open = match r.get::<_, Option<i64>>(2)? {
            Some(bucket) => Some(Acc {
                bucket,
                count: r.get::<_, i64>(3)? as u64,
                sum: r.get(4)?,
                min: r.get(5)?,
                max: r.get(6)?,
                last: r.get(7)?,
            }),
            None => None,
        };
        Ok((
            r.get(0)?,
            Mark {
                through: r.get(1)?,
                open,
            },
        ))
    })?;
    rows.collect()
}

/// Records that `series` has sealed its entries in rows up to `mark.through`, and the minute
/// it had open then.
pub(crate) fn mark_sealed(conn: &Connection, series: i64, mark: &Mark) -> rusqlite::Result<()> {
    let acc = mark.open.as_ref();
    conn.prepare_cached(
        "INSERT INTO head_sealed (series_id, through, bucket, count, sum, min, max, last)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (series_id) DO UPDATE SET through = excluded.through,
           bucket = excluded.bucket, count = excluded.count, sum = excluded.sum,
           min = excluded.min, max = excluded.max, last = excluded.last",
    )?
    .execute(params![
        series,
        mark.through,
        acc.map(|a| a.bucket),
        acc.map(|a| a.count as i64),
        acc.map(|a| a.sum),
        acc.map(|a| a.min),
        acc.map(|a| a.max),
        acc.map(|a| a.last),
    ])?;
    Ok(())
}

/// Removes every row and mark: the caller has sealed everything or is about to write the rest.
pub(crate) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM head", [])?;
    conn.execute("DELETE FROM head_sealed", [])?;
    Ok(())
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
        // The reader stops at the first error instead of reading on from a bad position.
        assert_eq!(read_row(&row).count(), 1);
    }

    #[test]
    fn a_long_write_is_split_into_rows_of_bounded_size() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE head (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            .unwrap();
        let mut w = RowWriter::new(&conn);
        let n = 100_000;
        for i in 0..n {
            w.push(e(i % 7, true, i, 1e300)).unwrap();
        }
        let written = w.finish().unwrap();
        assert_eq!(written.oldest, Some(0));
        let last = written.last_id.unwrap();
        let mut stmt = conn.prepare("SELECT data FROM head ORDER BY id").unwrap();
        let rows: Vec<Vec<u8>> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(last, rows.len() as i64);
        assert!(rows.len() > 1 && rows.iter().all(|r| r.len() < ROW_BYTES + 32));
        let back: Vec<Entry> = rows.iter().flat_map(|r| decode_row(r).unwrap()).collect();
        assert_eq!(back.len(), n as usize);
        assert!(back.iter().enumerate().all(|(i, b)| b.ts == i as i64));
        assert_eq!(RowWriter::new(&conn).finish().unwrap(), Written::default());
    }
}
