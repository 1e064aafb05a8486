//! Reads: raw points across chunks and head, and the size of what is stored.

use std::path::Path;

use bandwatch_core::Timestamp;
use rusqlite::{params, Connection};

use super::chunk;
use super::head::Head;
use crate::error::{Op, Result, StoreError};
use crate::model::StoreStats;

/// Raw points of series `id` with `from <= ts < to`, chunks and head merged in time order.
pub(super) fn raw(
    conn: &Connection,
    path: &Path,
    head: &Head,
    id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<(Timestamp, f64)>> {
    let blobs = chunk_blobs(conn, id, from, to).map_err(|e| StoreError::db(Op::Query, path, e))?;
    let mut out = Vec::new();
    for blob in blobs {
        let (ts, values) = chunk::decode(&blob).map_err(|detail| StoreError::Corrupt {
            path: path.to_path_buf(),
            series_id: id,
            detail,
        })?;
        out.extend(
            ts.into_iter()
                .zip(values)
                .filter(|(t, _)| (from..to).contains(t))
                .map(|(t, v)| (Timestamp(t), v)),
        );
    }
    out.extend(
        head.points(id, from, to)
            .into_iter()
            .map(|(t, v)| (Timestamp(t), v)),
    );
    // Chunks rarely overlap (late samples, restarts); a stable sort is cheap on sorted input.
    out.sort_by_key(|(t, _)| *t);
    Ok(out)
}

fn chunk_blobs(conn: &Connection, id: i64, from: i64, to: i64) -> rusqlite::Result<Vec<Vec<u8>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT data FROM chunks WHERE series_id = ?1 AND end_ts >= ?2 AND start_ts < ?3 ORDER BY start_ts",
    )?;
    let rows = stmt.query_map(params![id, from, to], |r| r.get(0))?;
    rows.collect()
}

/// Sizes from the database (raw samples in chunks only; the caller adds the head).
pub(super) fn stats(conn: &Connection, path: &Path) -> rusqlite::Result<StoreStats> {
    let count = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|v| v as u64)
    };
    let page_count = count("PRAGMA page_count")?;
    let page_size = count("PRAGMA page_size")?;
    Ok(StoreStats {
        raw_samples: count("SELECT COALESCE(SUM(n), 0) FROM chunks")?,
        series: 0,
        raw_bytes: count(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('chunks', 'chunks_by_series', 'head')",
        )?,
        minute_rows: count(
            "SELECT (SELECT COUNT(*) FROM rollup_1m) + (SELECT COALESCE(SUM(n), 0) FROM rollup_1m_blocks)",
        )?,
        hour_rows: count("SELECT COUNT(*) FROM rollup_1h")?,
        rollup_bytes: count(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('rollup_1m', 'rollup_1h', 'rollup_1m_blocks', 'rollup_1m_blocks_by_series')",
        )?,
        file_bytes: page_count * page_size,
        wal_bytes: wal_size(path),
    })
}

fn wal_size(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}
