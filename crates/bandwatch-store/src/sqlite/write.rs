//! The write path: one transaction per `write()` call, its samples appended to the head table
//! and to the in-memory head, and every series whose head outgrew its threshold sealed in the
//! same transaction, so the head stays bounded per series at every commit.

use rustc_hash::FxHashMap as HashMap;
use std::path::Path;
use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, SeriesKey};
use rusqlite::Connection;

use super::head::{HeadChanges, HeadStage};
use super::head_row::{Entry, RowWriter};
use super::rollup::{write_rows, MinuteChanges, MinuteStage};
use super::series::SeriesStage;
use super::{begin, seal, Memory};
use crate::error::{Op, Result, StoreError};
use crate::model::ELAPSED_METRIC;

/// What a committed write changes in memory.
pub(super) struct WriteStaged {
    added: HashMap<SeriesKey, i64>,
    head: HeadChanges,
    minutes: MinuteChanges,
}

impl WriteStaged {
    /// Applies the committed write to the in-memory state.
    pub(super) fn apply(self, mem: &mut Memory) {
        mem.series.extend(self.added);
        mem.head.commit(self.head);
        mem.minutes.commit(self.minutes);
    }
}

/// Writes `frames` in one transaction; the in-memory state is untouched until `apply`.
pub(super) fn write(
    conn: &Connection,
    path: &Path,
    mem: &Memory,
    frames: &[Frame],
    span_ms: i64,
) -> Result<WriteStaged> {
    let err = |e| StoreError::db(Op::Write, path, e);
    let tx = begin(conn).map_err(err)?;
    let mut ids = SeriesStage::new(&mem.series);
    let mut minutes = MinuteStage::new(&mem.minutes);
    let mut head = HeadStage::new(&mem.head);
    let mut rows = RowWriter::new(&tx);
    let mut entries = Vec::new();
    for frame in frames {
        entries.clear();
        frame_entries(&tx, &mut ids, frame, &mut entries).map_err(err)?;
        for &e in &entries {
            minutes.apply(e.series, e.ts, e.value);
            head.push(e);
            rows.push(e).map_err(err)?;
        }
    }
    let sealed = match rows.finish().map_err(err)? {
        Some(through) => {
            let over = head.over_budget();
            seal::seal_series(&tx, path, &head, &minutes, &over, through, span_ms)?
        }
        None => Vec::new(),
    };
    write_rows(&tx, &minutes.rows, mem.hours_until).map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(WriteStaged {
        added: ids.into_added(),
        head: head.into_changes(sealed),
        minutes: minutes.into_changes(),
    })
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
            series: ids.id(conn, &s.series)?,
            // Rates are derivable exactly from the delta and the elapsed time of the same
            // frame, so the raw tier skips them; their rollups keep the peaks.
            raw: s.kind != SampleKind::Rate,
            ts: s.ts.0,
            value: s.value,
        });
    }
    let elapsed = Arc::new(SeriesKey::with_label(
        ELAPSED_METRIC,
        "source",
        &frame.source,
    ));
    out.push(Entry {
        series: ids.id(conn, &elapsed)?,
        raw: true,
        ts: frame.ts.0,
        value: frame.elapsed.0,
    });
    Ok(())
}
