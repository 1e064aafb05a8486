//! Sealing: moving raw points from the head into compressed chunks, one per series per window.
//!
//! Two ways, both exact across a crash. A series whose head outgrows its threshold seals all
//! of it inside the write that made it grow ([`seal_series`]): its points go to chunks and a
//! mark tells replay to skip its entries in the rows written so far and to continue the minute
//! it has open. Upkeep and flush seal every series at a cutoff ([`seal`]) and rewrite the head
//! table as the few rows that remain, with marks for the open minutes those rows cannot
//! rebuild.

use std::path::Path;

use rusqlite::{params, Connection};

use super::chunk;
use super::head::{HeadTx, Sealed, Upkept};
use super::head_row::{self, Entry, Mark, RowWriter, Written};
use super::rollup::{write_rows, MinuteChanges, MinuteStage, MinuteTx};
use super::Memory;
use crate::error::{Op, Result, StoreError};

/// What a committed seal changes in memory.
pub(super) struct SealStaged {
    upkept: Vec<Upkept>,
    /// What the rewritten head table holds (`None`: the table was left as it was).
    rest: Option<Written>,
    minutes: MinuteChanges,
    /// Chunks written.
    pub chunks: u64,
    /// Raw points moved into them.
    pub points: u64,
}

impl SealStaged {
    /// Applies the committed seal to the in-memory state.
    pub(super) fn apply(self, mem: &mut Memory) {
        mem.head.commit_upkeep(self.upkept);
        mem.minutes.commit(self.minutes);
        if let Some(rest) = self.rest {
            mem.head_oldest = rest.oldest;
        }
    }
}

/// Seals everything before `cutoff` inside `tx`: closes the minutes that start before it,
/// writes the chunks, and replaces the head table by the rows of what remains plus marks for
/// the open minutes those rows cannot rebuild alone. `i64::MAX` seals everything.
pub(super) fn seal(
    tx: &Connection,
    path: &Path,
    mem: &Memory,
    cutoff: i64,
    span_ms: i64,
    op: Op,
) -> Result<SealStaged> {
    let err = |e| StoreError::db(op, path, e);
    let mut minutes = MinuteStage::new(&mem.minutes);
    minutes.close_before(cutoff);
    // Between chunk boundaries nothing is due: no sample in the head table before the cutoff
    // and no minute closing, so every head entry still rebuilds what it did. Upkeep then
    // leaves the table alone instead of rewriting it every few minutes; once the cutoff
    // passes its oldest sample it is rewritten, which keeps it to about 15 minutes.
    let due = mem.head_oldest.is_some_and(|t| t < cutoff) || !minutes.rows.is_empty();
    if cutoff != i64::MAX && !due {
        return Ok(SealStaged {
            upkept: Vec::new(),
            rest: None,
            minutes: minutes.into_changes(),
            chunks: 0,
            points: 0,
        });
    }
    let ids = mem.head.ids();
    let mut upkept = Vec::with_capacity(ids.len());
    let (mut chunks, mut points) = (0, 0);
    for &series in &ids {
        let cut = mem.head.cut(series, cutoff);
        let (c, p) = write_chunks(tx, path, series, &cut.sealed, span_ms, op)?;
        (chunks, points) = (chunks + c, points + p);
        let open = minutes.current(series);
        // Sealed whole, the series continues its open minute from the mark; otherwise the
        // rest rebuilds it on top of the minute its mark already held, if any.
        let start = if cut.whole {
            open
        } else {
            open.and(mem.head.start(series))
        };
        upkept.push((series, cut.rest, start));
    }
    write_rows(tx, &minutes.rows, mem.hours_until).map_err(err)?;
    head_row::clear(tx).map_err(err)?;
    let rest = write_rest(tx, mem, &upkept).map_err(err)?;
    Ok(SealStaged {
        upkept,
        rest: Some(rest),
        minutes: minutes.into_changes(),
        chunks,
        points,
    })
}

/// Writes what remains of every head after upkeep as new head rows, and the marks of the
/// series whose replay starts from an open minute (`through = 0`: every row is new).
fn write_rest(tx: &Connection, mem: &Memory, upkept: &[Upkept]) -> rusqlite::Result<Written> {
    let mut rows = RowWriter::new(tx);
    for (series, rest, start) in upkept {
        let series = *series;
        if start.is_some() {
            let mark = Mark {
                through: 0,
                open: *start,
            };
            head_row::mark_sealed(tx, series, &mark)?;
        }
        let points: Box<dyn Iterator<Item = (i64, f64)>> = match rest {
            Some(rest) => Box::new(rest.points()),
            None => Box::new(mem.head.series_points(series)),
        };
        for (ts, value) in points {
            rows.push(Entry {
                series,
                raw: true,
                ts,
                value,
            })?;
        }
    }
    rows.finish()
}

/// Seals the whole head of each series in `sealed` inside the write transaction whose last
/// head row is `through`: their points (committed and staged) go to chunks, and replay skips
/// their entries up to `through` and continues the minute they have open. Returns each series
/// with that minute.
pub(super) fn seal_series(
    tx: &Connection,
    path: &Path,
    head: &HeadTx<'_>,
    minutes: &MinuteTx<'_>,
    sealed: &[i64],
    through: i64,
    span_ms: i64,
) -> Result<Sealed> {
    let mut out = Vec::with_capacity(sealed.len());
    for &series in sealed {
        write_chunks(tx, path, series, &head.points(series), span_ms, Op::Write)?;
        let mark = Mark {
            through,
            open: minutes.current(series),
        };
        head_row::mark_sealed(tx, series, &mark).map_err(|e| StoreError::db(Op::Write, path, e))?;
        out.push((series, mark.open));
    }
    Ok(out)
}

/// Inserts one chunk per `span_ms` window of one series' points (sorted by time); returns
/// (chunks, points).
fn write_chunks(
    tx: &Connection,
    path: &Path,
    series: i64,
    points: &[(i64, f64)],
    span_ms: i64,
    op: Op,
) -> Result<(u64, u64)> {
    let err = |e| StoreError::db(op, path, e);
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO chunks (series_id, start_ts, end_ts, n, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err)?;
    let mut chunks = 0;
    for window in points.chunk_by(|a, b| a.0.div_euclid(span_ms) == b.0.div_euclid(span_ms)) {
        let (ts, values): (Vec<i64>, Vec<f64>) = window.iter().copied().unzip();
        let data = chunk::encode(&ts, &values).map_err(|source| StoreError::Compress {
            path: path.to_path_buf(),
            source,
        })?;
        let (first, last) = (ts[0], ts[ts.len() - 1]);
        stmt.execute(params![series, first, last, ts.len() as i64, data])
            .map_err(err)?;
        chunks += 1;
    }
    Ok((chunks, points.len() as u64))
}
