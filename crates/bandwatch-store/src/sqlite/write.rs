//! The write path: one transaction and one head row per `write()` call.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, SeriesKey};
use rusqlite::Connection;

use super::head::{encode_row, Entry};
use super::rollup::{write_rows, MinuteChanges, MinuteStage};
use super::series::SeriesStage;
use super::{begin, Memory};
use crate::model::ELAPSED_METRIC;

/// What a committed write changes in memory.
pub(super) struct WriteStaged {
    added: HashMap<SeriesKey, i64>,
    entries: Vec<Entry>,
    minutes: MinuteChanges,
}

impl WriteStaged {
    /// Applies the committed write to the in-memory state.
    pub(super) fn apply(self, mem: &mut Memory) {
        mem.series.extend(self.added);
        for e in self.entries {
            mem.head.push(e);
        }
        mem.minutes.commit(self.minutes);
    }
}

/// Writes `frames` in one transaction; the in-memory state is untouched until `apply`.
pub(super) fn write(
    conn: &Connection,
    mem: &Memory,
    frames: &[Frame],
) -> rusqlite::Result<WriteStaged> {
    let tx = begin(conn)?;
    let mut ids = SeriesStage::new(&mem.series);
    let capacity = frames.iter().map(|f| f.samples.len() + 1).sum();
    let mut entries = Vec::with_capacity(capacity);
    for frame in frames {
        frame_entries(&tx, &mut ids, frame, &mut entries)?;
    }
    let mut minutes = MinuteStage::new(&mem.minutes);
    for e in &entries {
        minutes.apply(e.series, e.ts, e.value);
    }
    tx.prepare_cached("INSERT INTO head (data) VALUES (?1)")?
        .execute([encode_row(entries.iter().copied())])?;
    write_rows(&tx, &minutes.rows, mem.hours_until)?;
    tx.commit()?;
    Ok(WriteStaged {
        added: ids.into_added(),
        entries,
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
