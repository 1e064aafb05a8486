//! The write path: series registration, one bulk insert of the samples per call, rebuilt
//! rollups for late samples, and the `network_usage` rows, all in one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use bandwatch_core::{Frame, SampleKind, SeriesKey};

use crate::codec::{labels_from_text, labels_to_text};
use rustc_hash::FxHashMap as HashMap;

use super::compat::{self, CompatOptions};
use super::conn::{Arg, Col, SampleRow, Tx};
use super::dialect::{insert_ignore, on_conflict_nothing};
use super::rollup;
use super::Marks;
use crate::model::{Tier, ELAPSED_METRIC, HOUR_MS, MINUTE_MS};

/// Every series of the database: `(id, key)`, or the id of the row whose labels are unreadable.
pub(crate) async fn load_series(tx: &mut Tx) -> sqlx::Result<Result<Vec<(i64, SeriesKey)>, i64>> {
    let rows = tx
        .fetch(
            "SELECT id, metric, labels FROM bw_series",
            &[],
            &[Col::Int, Col::Text, Col::Text],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Ok(labels) = labels_from_text(&r.text(2)) else {
            return Ok(Err(r.int(0)));
        };
        out.push((r.int(0), SeriesKey::new(r.text(1), labels)));
    }
    Ok(Ok(out))
}

/// What a committed write changes in memory.
#[derive(Debug, Default)]
pub(crate) struct Staged {
    pub added: Vec<(SeriesKey, i64)>,
    /// The newest usage row written.
    pub last_usage: Option<compat::Usage>,
}

/// The id of `key`, creating its row when it is new; new ids go to `added`.
async fn series_id(
    tx: &mut Tx,
    known: &HashMap<SeriesKey, i64>,
    added: &mut HashMap<SeriesKey, i64>,
    key: &SeriesKey,
) -> sqlx::Result<i64> {
    if let Some(id) = known.get(key).or_else(|| added.get(key)) {
        return Ok(*id);
    }
    let d = tx.dialect();
    let text = stored_key(key);
    tx.exec(
        &format!(
            "{} INTO bw_series (metric, labels, series_key) VALUES (?, ?, ?){}",
            insert_ignore(d),
            on_conflict_nothing(d)
        ),
        &[
            Arg::Text(&key.metric),
            Arg::Text(&labels_to_text(&key.labels)),
            Arg::Text(&text),
        ],
    )
    .await?;
    let id = tx
        .fetch_one(
            "SELECT id FROM bw_series WHERE series_key = ?",
            &[Arg::Text(&text)],
            &[Col::Int],
        )
        .await?
        .ok_or(sqlx::Error::RowNotFound)?
        .int(0);
    added.insert(key.clone(), id);
    Ok(id)
}

/// The sample rows of `frames`: every sample, plus each frame's elapsed seconds.
async fn sample_rows(
    tx: &mut Tx,
    known: &HashMap<SeriesKey, i64>,
    added: &mut HashMap<SeriesKey, i64>,
    frames: &[Frame],
) -> sqlx::Result<Vec<SampleRow>> {
    let capacity = frames.iter().map(|f| f.samples.len() + 1).sum();
    let mut rows = Vec::with_capacity(capacity);
    for frame in frames {
        for s in &frame.samples {
            rows.push(SampleRow {
                series: series_id(tx, known, added, &s.series).await?,
                ts: s.ts.0,
                value: s.value,
                derived: i16::from(s.kind == SampleKind::Rate),
            });
        }
        let elapsed = Arc::new(SeriesKey::with_label(
            ELAPSED_METRIC,
            "source",
            &frame.source,
        ));
        rows.push(SampleRow {
            series: series_id(tx, known, added, &elapsed).await?,
            ts: frame.ts.0,
            value: frame.elapsed.0,
            derived: 0,
        });
    }
    Ok(rows)
}

/// Writes `frames` inside `tx`; memory is untouched until the caller applies the result.
pub(crate) async fn write(
    tx: &mut Tx,
    known: &HashMap<SeriesKey, i64>,
    marks: Marks,
    compat_opts: &CompatOptions,
    frames: &[Frame],
) -> sqlx::Result<Staged> {
    let mut added = HashMap::default();
    let rows = sample_rows(tx, known, &mut added, frames).await?;
    tx.insert_samples(&rows).await?;
    rebuild_late(tx, marks, &rows).await?;
    let usage = compat::usage_rows(frames, compat_opts);
    compat::insert_usage(tx, compat_opts, &usage).await?;
    Ok(Staged {
        added: added.into_iter().collect(),
        last_usage: usage.iter().max_by_key(|u| u.ts).copied(),
    })
}

/// Rebuilds the stored minutes (and hours) that samples older than the built marks fall in,
/// from the samples, so they count exactly once however often the write is retried. Minutes
/// whose raw samples retention already removed cannot be rebuilt and are left as they are.
/// Each series is rebuilt over one range from its oldest to its newest late minute.
async fn rebuild_late(tx: &mut Tx, marks: Marks, rows: &[SampleRow]) -> sqlx::Result<()> {
    let Some(built) = marks.minutes_built else {
        return Ok(());
    };
    let raw_floor = marks.raw_floor.unwrap_or(i64::MIN);
    let mut late: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let minute = rollup::bucket_of(Tier::Minute, r.ts);
        if r.ts < built && minute >= raw_floor {
            let range = late.entry(r.series).or_insert((minute, minute));
            *range = (range.0.min(minute), range.1.max(minute));
        }
    }
    let minute_floor = marks.minute_floor.unwrap_or(i64::MIN);
    for (series, (first, last)) in late {
        rollup::build(tx, Tier::Minute, series, first, last + MINUTE_MS).await?;
        let Some(hours_built) = marks.hours_built else {
            continue;
        };
        // Only hours whose every minute is still kept can be summed again.
        let from = rollup::bucket_of(Tier::Hour, first);
        let from = if from > minute_floor {
            from
        } else {
            from + HOUR_MS
        };
        let to = (rollup::bucket_of(Tier::Hour, last) + HOUR_MS).min(hours_built);
        rollup::build(tx, Tier::Hour, series, from, to).await?;
    }
    Ok(())
}

/// The longest `series_key` stored as it is; MySQL indexes at most 768 characters.
const MAX_KEY_CHARS: usize = 700;

/// The unique text of a series: its display form, or for a very long one a prefix and a
/// fixed hash of the whole, so every key fits the index.
pub(crate) fn stored_key(key: &SeriesKey) -> String {
    let text = key.to_string();
    if text.chars().count() <= MAX_KEY_CHARS {
        return text;
    }
    // FNV-1a: fixed across builds, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let prefix: String = text.chars().take(MAX_KEY_CHARS - 20).collect();
    format!("{prefix}#{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_shortened_uniquely() {
        let short = SeriesKey::with_label("m", "iface", "eth0");
        assert_eq!(stored_key(&short), "m{iface=\"eth0\"}");
        let long = |c: &str| SeriesKey::with_label("m", "path", &c.repeat(1000));
        let (a, b) = (stored_key(&long("a")), stored_key(&long("b")));
        assert!(a.chars().count() <= MAX_KEY_CHARS && a != b);
        assert_eq!(a, stored_key(&long("a")));
    }
}
