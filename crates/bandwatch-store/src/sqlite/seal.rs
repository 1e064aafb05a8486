//! Sealing: moving the head's older raw points into one compressed chunk per series per window.

use std::path::Path;

use rusqlite::{params, Connection};

use super::chunk;
use super::head::{encode_row, Head, Sealed};
use super::rollup::{write_rows, MinuteChanges, MinuteStage};
use super::Memory;
use crate::error::{Op, Result, StoreError};

/// What a committed seal changes in memory.
pub(super) struct SealStaged {
    rest: Option<Head>,
    minutes: MinuteChanges,
    /// Chunks written.
    pub chunks: u64,
    /// Raw points moved into them.
    pub points: u64,
}

impl SealStaged {
    /// Applies the committed seal to the in-memory state.
    pub(super) fn apply(self, mem: &mut Memory) {
        if let Some(rest) = self.rest {
            mem.head = rest;
        }
        mem.minutes.commit(self.minutes);
    }
}

/// Seals everything before `cutoff` inside `tx`: closes the minutes that start before it (so
/// the remaining head alone rebuilds the open minutes), writes the chunks, rewrites the head.
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
    write_rows(tx, &minutes.rows, mem.hours_until).map_err(err)?;
    let mut staged = SealStaged {
        rest: None,
        minutes: minutes.into_changes(),
        chunks: 0,
        points: 0,
    };
    if mem.head.has_before(cutoff) {
        let (sealed, rest) = mem.head.split(cutoff);
        (staged.chunks, staged.points) = write_chunks(tx, path, &sealed, span_ms, op)?;
        rewrite_head(tx, &rest).map_err(err)?;
        staged.rest = Some(rest);
    }
    Ok(staged)
}

/// Inserts one chunk per series per `span_ms` window; returns (chunks, points).
fn write_chunks(
    tx: &Connection,
    path: &Path,
    sealed: &Sealed,
    span_ms: i64,
    op: Op,
) -> Result<(u64, u64)> {
    let err = |e| StoreError::db(op, path, e);
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO chunks (series_id, start_ts, end_ts, n, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err)?;
    let (mut chunks, mut points) = (0, 0);
    for (&series, pts) in sealed {
        for window in pts.chunk_by(|a, b| a.0.div_euclid(span_ms) == b.0.div_euclid(span_ms)) {
            let (ts, values): (Vec<i64>, Vec<f64>) = window.iter().copied().unzip();
            let data = chunk::encode(&ts, &values).map_err(|source| StoreError::Compress {
                path: path.to_path_buf(),
                source,
            })?;
            let (first, last) = (ts[0], ts[ts.len() - 1]);
            stmt.execute(params![series, first, last, ts.len() as i64, data])
                .map_err(err)?;
            chunks += 1;
            points += ts.len() as u64;
        }
    }
    Ok((chunks, points))
}

/// Replaces every head row by one row holding what remains.
fn rewrite_head(tx: &Connection, rest: &Head) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM head", [])?;
    if !rest.is_empty() {
        tx.prepare_cached("INSERT INTO head (data) VALUES (?1)")?
            .execute([encode_row(rest.entries())])?;
    }
    Ok(())
}
