//! Minute and hour rollups computed by the server from the raw samples.
//!
//! Minutes before the `minutes_built_until` mark are stored rows (built by upkeep from the
//! samples); later minutes are summarised from the samples at query time, so the open minute is
//! always included. Hours before `hours_built_until` are built from the minute rows. Building
//! deletes and re-inserts whole buckets, so it is idempotent: a retried write, or a late sample
//! for a minute already built, rebuilds the bucket from the samples instead of adding twice.

use bandwatch_core::Timestamp;

use super::conn::{Arg, Col, Row, Tx};
use super::dialect::{floor_to, to_bigint};
use crate::model::{RollupPoint, Tier, HOUR_MS, MINUTE_MS};

/// The `tier` column value.
pub(crate) fn tier_code(tier: Tier) -> i64 {
    match tier {
        Tier::Minute => 0,
        Tier::Hour => 1,
    }
}

const POINT_COLS: [Col; 6] = [
    Col::Int,
    Col::Int,
    Col::Real,
    Col::Real,
    Col::Real,
    Col::Real,
];

fn point(r: &Row) -> RollupPoint {
    RollupPoint {
        bucket: Timestamp(r.int(0)),
        count: r.int(1).unsigned_abs(),
        sum: r.real(2),
        min: r.real(3),
        max: r.real(4),
        last: r.real(5),
    }
}

/// `SELECT bucket, count, sum, min, max, last` of the minutes of one series in `[from, to)`,
/// summarised from the samples; `last` is the value of the newest sample. Arguments: series,
/// from, to, series.
fn minutes_from_samples_sql(tx: &Tx) -> String {
    let b = floor_to(tx.dialect(), "ts", MINUTE_MS);
    format!(
        "SELECT g.bucket, g.n, g.s, g.lo, g.hi, l.value FROM (\
           SELECT {b} AS bucket, COUNT(*) AS n, SUM(value) AS s, MIN(value) AS lo, MAX(value) AS hi, MAX(ts) AS lts \
           FROM bw_samples WHERE series_id = ? AND ts >= ? AND ts < ? AND value IS NOT NULL GROUP BY {b}) g \
         JOIN bw_samples l ON l.series_id = ? AND l.ts = g.lts"
    )
}

/// `SELECT bucket, count, sum, min, max, last` of the hours of one series in `[from, to)`,
/// summarised from its minute rows. Arguments: series, from, to, series.
fn hours_from_minutes_sql(tx: &Tx) -> String {
    let d = tx.dialect();
    let b = floor_to(d, "bucket", HOUR_MS);
    let n = to_bigint(d, "SUM(count)");
    format!(
        "SELECT g.bucket, g.n, g.s, g.lo, g.hi, l.last FROM (\
           SELECT {b} AS bucket, {n} AS n, SUM(sum) AS s, MIN(min) AS lo, MAX(max) AS hi, MAX(bucket) AS lb \
           FROM bw_rollups WHERE tier = 0 AND series_id = ? AND bucket >= ? AND bucket < ? GROUP BY {b}) g \
         JOIN bw_rollups l ON l.tier = 0 AND l.series_id = ? AND l.bucket = g.lb"
    )
}

/// Minutes of one series in `[from, to)` summarised from the samples, in time order.
pub(crate) async fn minutes_from_samples(
    tx: &mut Tx,
    series: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<RollupPoint>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let sql = format!("{} ORDER BY g.bucket", minutes_from_samples_sql(tx));
    let args = [
        Arg::Int(series),
        Arg::Int(from),
        Arg::Int(to),
        Arg::Int(series),
    ];
    Ok(tx
        .fetch(&sql, &args, &POINT_COLS)
        .await?
        .iter()
        .map(point)
        .collect())
}

/// Stored rows of one series and tier in `[from, to)`, in time order.
pub(crate) async fn stored(
    tx: &mut Tx,
    tier: Tier,
    series: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<Vec<RollupPoint>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let sql = "SELECT bucket, count, sum, min, max, last FROM bw_rollups \
               WHERE tier = ? AND series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket";
    let args = [
        Arg::Int(tier_code(tier)),
        Arg::Int(series),
        Arg::Int(from),
        Arg::Int(to),
    ];
    Ok(tx
        .fetch(sql, &args, &POINT_COLS)
        .await?
        .iter()
        .map(point)
        .collect())
}

/// (Re)builds the rows of one series and tier for the buckets in `[from, to)`; returns the rows written.
pub(crate) async fn build(
    tx: &mut Tx,
    tier: Tier,
    series: i64,
    from: i64,
    to: i64,
) -> sqlx::Result<u64> {
    if from >= to {
        return Ok(0);
    }
    let code = tier_code(tier);
    tx.exec(
        "DELETE FROM bw_rollups WHERE tier = ? AND series_id = ? AND bucket >= ? AND bucket < ?",
        &[
            Arg::Int(code),
            Arg::Int(series),
            Arg::Int(from),
            Arg::Int(to),
        ],
    )
    .await?;
    let select = match tier {
        Tier::Minute => minutes_from_samples_sql(tx),
        Tier::Hour => hours_from_minutes_sql(tx),
    };
    let sql = format!(
        "INSERT INTO bw_rollups (tier, series_id, bucket, count, sum, min, max, last) \
         SELECT {code}, ?, x.* FROM ({select}) x"
    );
    let args = [
        Arg::Int(series),
        Arg::Int(series),
        Arg::Int(from),
        Arg::Int(to),
        Arg::Int(series),
    ];
    tx.exec(&sql, &args).await
}

/// The whole `tier` bucket containing `ts`.
pub(crate) fn bucket_of(tier: Tier, ts: i64) -> i64 {
    ts.div_euclid(tier.width_ms()) * tier.width_ms()
}
