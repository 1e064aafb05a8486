//! The notification outbox in SQLite (table `outbox`, migration 4); see [`crate::outbox`].
//!
//! The same statements serve [`SqliteStore`](super::SqliteStore) and the lighter
//! [`SqliteOutbox`], a second connection to the same file for the notifier's thread: the
//! store writer's connection stays with the writer thread, and WAL lets both work side by side.

use std::path::{Path, PathBuf};

use bandwatch_core::Timestamp;
use rusqlite::types::{FromSqlError, Type};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{begin, path, schema};
use crate::error::{Op, Result, StoreError};
use crate::outbox::{
    ChannelStats, NewNotification, Notification, Outbox, OutboxState, OutboxStats,
};

const COLUMNS: &str = "id, channel, idempotency_key, payload, created, next_attempt, attempts, \
     last_error, state, delivered_at, updated";

/// Due rows of one channel; `state = 'pending'` is spelled as in the partial index
/// `outbox_due`, so the index is used.
fn due_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM outbox
         WHERE channel = ?1 AND state = 'pending' AND next_attempt <= ?2
         ORDER BY created, id LIMIT ?3"
    )
}

fn read(r: &Row<'_>) -> rusqlite::Result<Notification> {
    Ok(Notification {
        id: r.get(0)?,
        channel: r.get(1)?,
        idempotency_key: r.get(2)?,
        payload: r.get(3)?,
        created: Timestamp(r.get(4)?),
        next_attempt: Timestamp(r.get(5)?),
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        state: read_state(r, 8)?,
        delivered_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
        updated: Timestamp(r.get(10)?),
    })
}

/// The schema's CHECK allows only the three names; anything else is reported, not guessed.
fn read_state(r: &Row<'_>, i: usize) -> rusqlite::Result<OutboxState> {
    let text: String = r.get(i)?;
    OutboxState::from_name(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            Type::Text,
            Box::new(FromSqlError::Other(
                format!("unknown outbox state {text:?}").into(),
            )),
        )
    })
}

/// Inserts `items` in one transaction; a stored (channel, key) keeps its row and id.
fn enqueue(conn: &Connection, items: &[NewNotification]) -> rusqlite::Result<Vec<i64>> {
    let tx = begin(conn)?;
    let mut ids = Vec::with_capacity(items.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO outbox (channel, idempotency_key, payload, created, next_attempt, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4)
             ON CONFLICT (channel, idempotency_key) DO NOTHING",
        )?;
        let mut existing =
            tx.prepare_cached("SELECT id FROM outbox WHERE channel = ?1 AND idempotency_key = ?2")?;
        for n in items {
            let added = insert.execute(params![
                n.channel,
                n.idempotency_key,
                n.payload,
                n.created.0,
                n.next_attempt.0
            ])?;
            ids.push(if added == 0 {
                existing.query_row(params![n.channel, n.idempotency_key], |r| r.get(0))?
            } else {
                tx.last_insert_rowid()
            });
        }
    }
    tx.commit()?;
    Ok(ids)
}

fn due(
    conn: &Connection,
    channel: &str,
    now: Timestamp,
    limit: usize,
) -> rusqlite::Result<Vec<Notification>> {
    let mut stmt = conn.prepare_cached(&due_sql())?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![channel, now.0, limit], read)?;
    rows.collect()
}

fn mark_delivered(conn: &Connection, id: i64, at: Timestamp) -> rusqlite::Result<()> {
    // A dead row may still turn delivered: a send the notifier gave up on can have arrived,
    // and the outbox should say what happened.
    conn.prepare_cached(
        "UPDATE outbox SET state = 'delivered', delivered_at = ?2, updated = ?2,
             attempts = attempts + 1
         WHERE id = ?1 AND state <> 'delivered'",
    )?
    .execute(params![id, at.0])?;
    Ok(())
}

fn mark_failed(
    conn: &Connection,
    id: i64,
    at: Timestamp,
    error: &str,
    next_attempt: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?3, next_attempt = ?4,
             updated = ?2
         WHERE id = ?1 AND state = 'pending'",
    )?
    .execute(params![id, at.0, error, next_attempt.0])?;
    Ok(())
}

fn mark_dead(conn: &Connection, id: i64, at: Timestamp, error: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?3, updated = ?2
         WHERE id = ?1 AND state = 'pending'",
    )?
    .execute(params![id, at.0, error])?;
    Ok(())
}

fn notification(conn: &Connection, id: i64) -> rusqlite::Result<Option<Notification>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1"))?
        .query_row([id], read)
        .optional()
}

fn stats(conn: &Connection) -> rusqlite::Result<OutboxStats> {
    let mut stmt = conn.prepare_cached(
        "SELECT channel, state, COUNT(*), MIN(created) FROM outbox
         GROUP BY channel, state ORDER BY channel",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            read_state(r, 1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut out = OutboxStats::default();
    for row in rows {
        let (channel, state, count, oldest) = row?;
        if out.channels.last().is_none_or(|c| c.channel != channel) {
            out.channels.push(ChannelStats {
                channel,
                ..ChannelStats::default()
            });
        }
        let Some(entry) = out.channels.last_mut() else {
            continue;
        };
        let count = count.unsigned_abs();
        match state {
            OutboxState::Pending => {
                entry.pending = count;
                entry.oldest_pending = Some(Timestamp(oldest));
            }
            OutboxState::Delivered => entry.delivered = count,
            OutboxState::Dead => entry.dead = count,
        }
    }
    Ok(out)
}

fn contains(conn: &Connection, channel: &str, key: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM outbox WHERE channel = ?1 AND idempotency_key = ?2")?
        .exists(params![channel, key])
}

fn prune(conn: &Connection, before: Timestamp) -> rusqlite::Result<u64> {
    // `state <> 'pending'` is spelled as in the partial index `outbox_finished`.
    let n = conn
        .prepare_cached("DELETE FROM outbox WHERE state <> 'pending' AND updated < ?1")?
        .execute([before.0])?;
    Ok(n as u64)
}

/// Implements [`Outbox`] for a type with a connection and a path for messages.
macro_rules! impl_outbox {
    ($ty:ty) => {
        impl Outbox for $ty {
            fn enqueue(&mut self, items: &[NewNotification]) -> Result<Vec<i64>> {
                if items.is_empty() {
                    return Ok(Vec::new());
                }
                enqueue(&self.conn, items).map_err(|e| self.err(Op::WriteOutbox, e))
            }

            fn due(
                &self,
                channel: &str,
                now: Timestamp,
                limit: usize,
            ) -> Result<Vec<Notification>> {
                due(&self.conn, channel, now, limit).map_err(|e| self.err(Op::Query, e))
            }

            fn mark_delivered(&mut self, id: i64, at: Timestamp) -> Result<()> {
                mark_delivered(&self.conn, id, at).map_err(|e| self.err(Op::WriteOutbox, e))
            }

            fn mark_failed(
                &mut self,
                id: i64,
                at: Timestamp,
                error: &str,
                next_attempt: Timestamp,
            ) -> Result<()> {
                mark_failed(&self.conn, id, at, error, next_attempt)
                    .map_err(|e| self.err(Op::WriteOutbox, e))
            }

            fn mark_dead(&mut self, id: i64, at: Timestamp, error: &str) -> Result<()> {
                mark_dead(&self.conn, id, at, error).map_err(|e| self.err(Op::WriteOutbox, e))
            }

            fn contains(&self, channel: &str, idempotency_key: &str) -> Result<bool> {
                contains(&self.conn, channel, idempotency_key).map_err(|e| self.err(Op::Query, e))
            }

            fn notification(&self, id: i64) -> Result<Option<Notification>> {
                notification(&self.conn, id).map_err(|e| self.err(Op::Query, e))
            }

            fn outbox_stats(&self) -> Result<OutboxStats> {
                stats(&self.conn).map_err(|e| self.err(Op::Stats, e))
            }

            fn prune_outbox(&mut self, delivered_before: Timestamp) -> Result<u64> {
                prune(&self.conn, delivered_before).map_err(|e| self.err(Op::WriteOutbox, e))
            }
        }
    };
}

impl_outbox!(super::SqliteStore);
impl_outbox!(SqliteOutbox);

impl super::SqliteStore {
    fn err(&self, op: Op, e: rusqlite::Error) -> StoreError {
        StoreError::db(op, &self.path, e)
    }
}

/// The outbox of a SQLite history file on a connection of its own, for the notifier's thread;
/// unlike [`SqliteStore`](super::SqliteStore) it loads no series and replays no head.
pub struct SqliteOutbox {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteOutbox")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteOutbox {
    /// The silences in force at `now` (the notifier honours them before sending).
    pub fn silences(&self, now: Timestamp) -> Result<Vec<crate::model::Silence>> {
        super::alert::silences(&self.conn, now)
            .map_err(|e| StoreError::db(Op::Query, &self.path, e))
    }

    /// Opens or creates the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        path::check_writable(path)?;
        path::create_parents(path)?;
        let mut conn = Connection::open(path).map_err(|e| StoreError::db(Op::Open, path, e))?;
        schema::configure(&conn, path)?;
        schema::migrate(&mut conn, path)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, op: Op, e: rusqlite::Error) -> StoreError {
        StoreError::db(op, &self.path, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_a_channel_walks_the_partial_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        schema::migrate(&mut conn, Path::new(":memory:")).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", due_sql()))
            .unwrap()
            .query_map(params!["email", 0, 10], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().any(|p| p.contains("USING INDEX outbox_due")),
            "{plan:?}"
        );
    }
}
