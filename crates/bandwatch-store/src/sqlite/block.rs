//! Sealed minute rollups: finished minute rows of one series over one block window, stored as
//! one blob of six pco columns instead of one ~58-byte row per minute.
//!
//! Minute rows stay in `rollup_1m` while they can still change cheaply in SQL (closing minutes,
//! hour building); [`seal`] moves whole blocks older than [`LIVE_MS`] and the built hours into
//! `rollup_1m_blocks`. A late sample for a sealed minute is upserted into `rollup_1m` as
//! before; queries merge it with the block (treating it as older, like any late sample), and
//! the next seal folds it into a rewritten block, so count, sum, min and max stay exact.
//!
//! Blob layout: `[n varint]`, then `bucket` and `count` as `[len varint][i64 stream]`, then
//! `sum`, `min`, `max`, `last` as `[kind u8][len varint][stream]` (integers when every value is
//! one, else f64; see [`chunk::compress_values`]). Every value round-trips bit for bit.

use std::path::Path;

use bandwatch_core::Timestamp;
use pco::errors::PcoError;
use pco::standalone::{simple_compress, simple_decompress};
use pco::ChunkConfig;
use rusqlite::{params, Connection};

use super::chunk;
use super::rollup::{self, merge_older};
use super::varint::{get_u64, put_u64};
use crate::error::{Op, Result, StoreError};
use crate::model::{RollupPoint, Tier, HOUR_MS};

/// The window one block covers; blocks start at multiples of it (UTC).
pub(crate) const BLOCK_MS: i64 = 6 * HOUR_MS;
/// How far behind data time minute rows stay live at least.
pub(crate) const LIVE_MS: i64 = 3 * HOUR_MS;

/// Minute rows before this instant are sealed at data time `now`: whole blocks only, never
/// rows younger than [`LIVE_MS`], never minutes of hours not yet built.
pub(crate) fn horizon(now: i64, hours_until: i64) -> i64 {
    now.saturating_sub(LIVE_MS)
        .min(hours_until)
        .div_euclid(BLOCK_MS)
        * BLOCK_MS
}

/// Compresses points (in bucket order) into one block blob.
pub(crate) fn encode(points: &[RollupPoint]) -> Result<Vec<u8>, PcoError> {
    let mut out = Vec::new();
    put_u64(&mut out, points.len() as u64);
    if points.is_empty() {
        return Ok(out);
    }
    let config = ChunkConfig::default();
    let buckets: Vec<i64> = points.iter().map(|p| p.bucket.0).collect();
    let counts: Vec<u64> = points.iter().map(|p| p.count).collect();
    put_stream(&mut out, &simple_compress(&buckets, &config)?);
    put_stream(&mut out, &simple_compress(&counts, &config)?);
    let columns: [fn(&RollupPoint) -> f64; 4] = [|p| p.sum, |p| p.min, |p| p.max, |p| p.last];
    for column in columns {
        let values: Vec<f64> = points.iter().map(column).collect();
        let (kind, stream) = chunk::compress_values(&values)?;
        out.push(kind);
        put_stream(&mut out, &stream);
    }
    Ok(out)
}

fn put_stream(out: &mut Vec<u8>, stream: &[u8]) {
    put_u64(out, stream.len() as u64);
    out.extend_from_slice(stream);
}

/// Reads the next length-prefixed stream at `*pos`.
fn get_stream<'a>(data: &'a [u8], pos: &mut usize) -> Result<&'a [u8], String> {
    let len = get_u64(data, pos).ok_or("truncated column length")?;
    let end = usize::try_from(len)
        .ok()
        .and_then(|len| pos.checked_add(len))
        .filter(|end| *end <= data.len())
        .ok_or("column longer than the block")?;
    let stream = &data[*pos..end];
    *pos = end;
    Ok(stream)
}

/// Decompresses a block blob; the error says what was malformed.
pub(crate) fn decode(data: &[u8]) -> Result<Vec<RollupPoint>, String> {
    let mut pos = 0;
    let n = get_u64(data, &mut pos).ok_or("truncated row count")?;
    let n = usize::try_from(n).map_err(|_| "row count out of range")?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let pco_err = |e: PcoError| e.to_string();
    let buckets: Vec<i64> = simple_decompress(get_stream(data, &mut pos)?).map_err(pco_err)?;
    let counts: Vec<u64> = simple_decompress(get_stream(data, &mut pos)?).map_err(pco_err)?;
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(4);
    for _ in 0..4 {
        let kind = *data.get(pos).ok_or("truncated column kind")?;
        pos += 1;
        values.push(chunk::decompress_values(kind, get_stream(data, &mut pos)?)?);
    }
    if buckets.len() != n || counts.len() != n || values.iter().any(|v| v.len() != n) {
        return Err(format!(
            "block says {n} rows but a column holds another number"
        ));
    }
    Ok((0..n)
        .map(|i| RollupPoint {
            bucket: Timestamp(buckets[i]),
            count: counts[i],
            sum: values[0][i],
            min: values[1][i],
            max: values[2][i],
            last: values[3][i],
        })
        .collect())
}

/// What one seal of minute rows did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SealedMinutes {
    /// Blocks written (new or rewritten with late rows).
    pub blocks: u64,
    /// Live minute rows moved into them.
    pub rows: u64,
}

/// Moves every live minute row before `horizon` into blocks and deletes those rows.
pub(crate) fn seal(
    tx: &Connection,
    path: &Path,
    series: impl Iterator<Item = i64>,
    horizon: i64,
) -> Result<SealedMinutes> {
    let err = |e| StoreError::db(Op::Maintain, path, e);
    let mut out = SealedMinutes::default();
    // Upkeep runs every minute and almost never has a whole block to seal: one indexed
    // look-up instead of a query per series keeps that cheap.
    let oldest: Option<i64> = tx
        .query_row("SELECT MIN(bucket) FROM rollup_1m", [], |r| r.get(0))
        .map_err(err)?;
    if oldest.is_none_or(|b| b >= horizon) {
        return Ok(out);
    }
    for s in series {
        let rows = rollup::query(tx, Tier::Minute, s, i64::MIN, horizon).map_err(err)?;
        if rows.is_empty() {
            continue;
        }
        let same_block = |a: &RollupPoint, b: &RollupPoint| {
            a.bucket.0.div_euclid(BLOCK_MS) == b.bucket.0.div_euclid(BLOCK_MS)
        };
        for window in rows.chunk_by(same_block) {
            seal_window(tx, path, s, window)?;
            out.blocks += 1;
        }
        out.rows += rows.len() as u64;
        tx.prepare_cached("DELETE FROM rollup_1m WHERE series_id = ?1 AND bucket < ?2")
            .and_then(|mut stmt| stmt.execute(params![s, horizon]))
            .map_err(err)?;
    }
    Ok(out)
}

/// Writes the live rows of one block window, merged into the block already there (late rows).
fn seal_window(tx: &Connection, path: &Path, series: i64, live: &[RollupPoint]) -> Result<()> {
    let err = |e| StoreError::db(Op::Maintain, path, e);
    let start = live[0].bucket.0.div_euclid(BLOCK_MS) * BLOCK_MS;
    let old = blobs(tx, series, start, start + BLOCK_MS).map_err(err)?;
    let mut sealed = Vec::new();
    for (id, blob) in &old {
        sealed.extend(decode(blob).map_err(|detail| corrupt(path, series, &detail))?);
        tx.prepare_cached("DELETE FROM rollup_1m_blocks WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute([id]))
            .map_err(err)?;
    }
    let points = merge_older(sealed, live.to_vec());
    let data = encode(&points).map_err(|source| StoreError::Compress {
        path: path.to_path_buf(),
        source,
    })?;
    let (first, last) = (points[0].bucket.0, points[points.len() - 1].bucket.0);
    tx.prepare_cached(
        "INSERT INTO rollup_1m_blocks (series_id, start_ts, end_ts, n, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut stmt| stmt.execute(params![series, first, last, points.len() as i64, data]))
    .map_err(err)?;
    Ok(())
}

/// Blocks of one series holding buckets in `[from, to)`, oldest first, with their ids.
fn blobs(
    conn: &Connection,
    series: i64,
    from: i64,
    to: i64,
) -> rusqlite::Result<Vec<(i64, Vec<u8>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, data FROM rollup_1m_blocks WHERE series_id = ?1 AND end_ts >= ?2 AND start_ts < ?3 ORDER BY start_ts",
    )?;
    let rows = stmt.query_map(params![series, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn corrupt(path: &Path, series_id: i64, detail: &str) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        series_id,
        detail: format!("minute block: {detail}"),
    }
}

/// Sealed minutes of one series with `from <= bucket < to` and `bucket > floor`, in time order.
///
/// `floor` is the last bucket retention removed: a block partly past retention is kept until
/// it is wholly past, and its expired minutes are hidden here.
pub(crate) fn query(
    conn: &Connection,
    path: &Path,
    series: i64,
    from: i64,
    to: i64,
    floor: Option<i64>,
) -> Result<Vec<RollupPoint>> {
    let from = floor.map_or(from, |f| from.max(f.saturating_add(1)));
    let blocks = blobs(conn, series, from, to).map_err(|e| StoreError::db(Op::Query, path, e))?;
    let mut out = Vec::new();
    for (_, blob) in blocks {
        let points = decode(&blob).map_err(|detail| corrupt(path, series, &detail))?;
        out.extend(
            points
                .into_iter()
                .filter(|p| (from..to).contains(&p.bucket.0)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(bucket: i64, count: u64, sum: f64, min: f64, max: f64, last: f64) -> RollupPoint {
        RollupPoint {
            bucket: Timestamp(bucket),
            count,
            sum,
            min,
            max,
            last,
        }
    }

    fn round_trip(points: &[RollupPoint]) -> Vec<u8> {
        let data = encode(points).unwrap();
        let back = decode(&data).unwrap();
        let bits = |p: &RollupPoint| {
            (
                p.bucket.0,
                p.count,
                [p.sum, p.min, p.max, p.last].map(f64::to_bits),
            )
        };
        assert_eq!(
            back.iter().map(bits).collect::<Vec<_>>(),
            points.iter().map(bits).collect::<Vec<_>>()
        );
        data
    }

    #[test]
    fn integral_minutes_round_trip_compactly() {
        let points: Vec<_> = (0..360)
            .map(|i| {
                let v = f64::from((i * 7919) % 5000);
                let sum = v * 60.0 + 9_007_199_254_740_000.0; // near 2^53, still exact
                point(
                    1_767_225_600_000 + i64::from(i) * 60_000,
                    60,
                    sum,
                    v,
                    v + 9.0,
                    v + 1.0,
                )
            })
            .collect();
        let data = round_trip(&points);
        assert!(data.len() < 360 * 12, "{} bytes", data.len());
    }

    #[test]
    fn fractional_and_special_values_round_trip() {
        round_trip(&[
            point(0, 1, 0.5, -0.0, f64::MAX, 1e-300),
            point(60_000, u64::MAX, -1.25, f64::MIN, 3.0, -0.0),
            point(-60_000, 0, 2.0, 2.0, 2.0, 2.0),
        ]);
        round_trip(&[]);
        round_trip(&[point(42, 7, 1.0, 1.0, 1.0, 1.0)]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[3, 200]).is_err());
        let mut data = encode(&[point(0, 1, 1.0, 1.0, 1.0, 1.0)]).unwrap();
        data.truncate(data.len() - 2);
        assert!(decode(&data).is_err());
    }

    #[test]
    fn horizon_seals_whole_blocks_behind_live_rows_and_built_hours() {
        let day = 4 * BLOCK_MS;
        assert_eq!(horizon(day + LIVE_MS, day), day);
        assert_eq!(horizon(day + LIVE_MS - 1, day), day - BLOCK_MS);
        assert_eq!(horizon(day + 2 * BLOCK_MS, day - 1), day - BLOCK_MS);
    }
}
