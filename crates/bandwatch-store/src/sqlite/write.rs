//! The write path: one transaction per `write()` call, its samples appended to the head table
//! and to the in-memory head, and every series whose head outgrew its threshold sealed in the
//! same transaction, so the head stays bounded per series at every commit.

use std::path::Path;

use bandwatch_core::{Frame, SampleKind, SeriesKey};
use rusqlite::Connection;

use super::head::{HeadTx, Sealed};
use super::head_row::{Entry, RowWriter};
use super::rollup::{write_rows, MinuteTx};
use super::series::SeriesStage;
use super::{begin, seal, Memory};
use crate::error::{Op, Result, StoreError};
use crate::model::ELAPSED_METRIC;

/// Writes `frames` in one transaction and applies it to the in-memory state once committed;
/// on error the database and the in-memory state are as they were.
pub(super) fn write(
    conn: &Connection,
    path: &Path,
    mem: &mut Memory,
    frames: &[Frame],
    span_ms: i64,
) -> Result<()> {
    let Memory {
        series,
        head,
        minutes,
        hours_until,
        head_oldest,
        ..
    } = mem;
    let entries: usize = frames.iter().map(|f| f.samples.len() + 1).sum();
    let mut head = HeadTx::begin(head);
    head.reserve(entries);
    let mut ids = SeriesStage::new(series);
    let mut stage = MinuteTx::begin(minutes);
    stage.reserve(entries);
    match write_tx(
        conn,
        path,
        &mut ids,
        &mut stage,
        &mut head,
        *hours_until,
        frames,
        entries,
        span_ms,
    ) {
        Ok((sealed, oldest)) => {
            let added = ids.into_added();
            head.commit(sealed);
            series.extend(added);
            stage.commit();
            *head_oldest = match (*head_oldest, oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            Ok(())
        }
        Err(e) => {
            head.rollback();
            stage.rollback();
            Err(e)
        }
    }
}

/// The transaction of [`write`]; returns the series it sealed, with their open minutes, and
/// the oldest sample time it added to the head table.
#[allow(clippy::too_many_arguments)] // the parts of one staged write, each kept apart on purpose
fn write_tx(
    conn: &Connection,
    path: &Path,
    ids: &mut SeriesStage<'_>,
    minutes: &mut MinuteTx<'_>,
    head: &mut HeadTx<'_>,
    hours_until: Option<i64>,
    frames: &[Frame],
    total: usize,
    span_ms: i64,
) -> Result<(Sealed, Option<i64>)> {
    let err = |e| StoreError::db(Op::Write, path, e);
    let tx = begin(conn).map_err(err)?;
    let mut rows = RowWriter::with_entries(&tx, total);
    let mut entries = Vec::with_capacity(
        frames
            .iter()
            .map(|f| f.samples.len() + 1)
            .max()
            .unwrap_or(0),
    );
    for frame in frames {
        entries.clear();
        frame_entries(&tx, ids, frame, &mut entries).map_err(err)?;
        for &e in &entries {
            minutes.apply(e.series, e.ts, e.value);
            head.push(e);
            rows.push(e).map_err(err)?;
        }
    }
    let written = rows.finish().map_err(err)?;
    let sealed = match written.last_id {
        Some(through) => {
            let over = head.over_budget();
            seal::seal_series(&tx, path, head, minutes, &over, through, span_ms)?
        }
        None => Vec::new(),
    };
    write_rows(&tx, &minutes.rows, hours_until).map_err(err)?;
    tx.commit().map_err(err)?;
    Ok((sealed, written.oldest))
}

/// The entries of one frame: its samples (rates only for rollups) and its elapsed time.
fn frame_entries(
    conn: &Connection,
    ids: &mut SeriesStage<'_>,
    frame: &Frame,
    out: &mut Vec<Entry>,
) -> rusqlite::Result<()> {
    for s in &frame.samples {
        out.push(Entry {
            series: ids.id_shared(conn, &s.series)?,
            // Rates are derivable exactly from the delta and the elapsed time of the same
            // frame, so the raw tier skips them; their rollups keep the peaks.
            raw: s.kind != SampleKind::Rate,
            ts: s.ts.0,
            value: s.value,
        });
    }
    let elapsed = SeriesKey::with_label(ELAPSED_METRIC, "source", &frame.source);
    out.push(Entry {
        series: ids.id(conn, &elapsed)?,
        raw: true,
        ts: frame.ts.0,
        value: frame.elapsed.0,
    });
    Ok(())
}
