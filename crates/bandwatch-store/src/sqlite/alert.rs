//! Alert history: an append-only `alert_event` log, one `alert` row per alert id holding its
//! current state (plus acknowledgement), and the `silence` table.
//!
//! Recording is idempotent: an event already in the log (same alert, time and kind) is
//! skipped together with its effect on the alert row, so the writer may retry a batch whose
//! commit it could not confirm. Events that arrive out of order only raise the highest
//! severity; the row's current fields follow the newest event.

use std::path::Path;

use bandwatch_core::{AlertEvent, AlertState, EventKind, SeriesKey, Severity, Timestamp};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::begin;
use crate::codec::{
    kind_from, labels_from_text, labels_to_text, severity_from, state_from, state_str, SEVERITIES,
};
use crate::error::{Op, Result, StoreError};
use crate::model::{AlertQuery, AlertRecord, Silence};

/// SQLite stores NaN as NULL; read it back as NaN.
fn real(r: &Row<'_>, i: usize) -> rusqlite::Result<f64> {
    Ok(r.get::<_, Option<f64>>(i)?.unwrap_or(f64::NAN))
}

/// Records `events` in one transaction.
pub(super) fn record(conn: &Connection, events: &[AlertEvent]) -> rusqlite::Result<()> {
    let tx = begin(conn)?;
    for e in events {
        record_one(&tx, e)?;
    }
    tx.commit()
}

fn record_one(tx: &Connection, e: &AlertEvent) -> rusqlite::Result<()> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO alert_event (alert_id, kind, state, severity, value, reference, message, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (alert_id, at, kind) DO NOTHING",
        )?
        .execute(params![
            e.id,
            e.kind.as_str(),
            state_str(e.state),
            e.severity.as_str(),
            e.value,
            e.reference,
            e.message,
            e.at.0
        ])?;
    if inserted == 0 {
        // Already recorded (a retried batch): the alert row took it in back then.
        return Ok(());
    }
    let existing: Option<(String, i64)> = tx
        .prepare_cached("SELECT max_severity, updated FROM alert WHERE id = ?1")?
        .query_row([&e.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let ended = (e.state == AlertState::Resolved).then(|| e.ended.unwrap_or(e.at).0);
    let Some((max, updated)) = existing else {
        tx.prepare_cached(
            "INSERT INTO alert (id, rule, metric, labels, state, severity, max_severity, value,
                 reference, message, started, ended, updated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            e.id,
            e.rule,
            e.series.metric,
            labels_to_text(&e.series.labels),
            state_str(e.state),
            e.severity.as_str(),
            e.value,
            e.reference,
            e.message,
            e.started.0,
            ended,
            e.at.0
        ])?;
        return Ok(());
    };
    let max = severity_from(&max).map_or(e.severity, |m| m.max(e.severity));
    if e.at.0 < updated {
        // An older event arriving late: the row already shows something newer.
        tx.prepare_cached("UPDATE alert SET max_severity = ?2 WHERE id = ?1")?
            .execute(params![e.id, max.as_str()])?;
        return Ok(());
    }
    tx.prepare_cached(
        "UPDATE alert SET state = ?2, severity = ?3, max_severity = ?4, value = ?5,
             reference = ?6, message = ?7, ended = ?8, updated = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        e.id,
        state_str(e.state),
        e.severity.as_str(),
        max.as_str(),
        e.value,
        e.reference,
        e.message,
        ended,
        e.at.0
    ])?;
    Ok(())
}

/// The identity part of an alert row that every one of its events repeats.
struct Head {
    id: String,
    rule: String,
    series: SeriesKey,
    started: Timestamp,
    ended: Option<Timestamp>,
}

/// An `alert_event` row as stored.
struct EventRow {
    kind: String,
    state: String,
    severity: String,
    value: f64,
    reference: f64,
    message: String,
    at: i64,
}

impl EventRow {
    /// Reads columns `from..from + 7`: kind, state, severity, value, reference, message, at.
    fn read(r: &Row<'_>, from: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            kind: r.get(from)?,
            state: r.get(from + 1)?,
            severity: r.get(from + 2)?,
            value: real(r, from + 3)?,
            reference: real(r, from + 4)?,
            message: r.get(from + 5)?,
            at: r.get(from + 6)?,
        })
    }

    fn into_event(self, head: &Head) -> Result<AlertEvent, String> {
        let kind = kind_from(&self.kind).ok_or_else(|| format!("unknown kind {:?}", self.kind))?;
        Ok(AlertEvent {
            id: head.id.clone(),
            rule: head.rule.clone(),
            series: head.series.clone(),
            kind,
            state: parse_state(&self.state)?,
            severity: parse_severity(&self.severity)?,
            value: self.value,
            reference: self.reference,
            message: self.message,
            started: head.started,
            ended: head.ended.filter(|_| kind == EventKind::Resolved),
            at: Timestamp(self.at),
        })
    }
}

fn parse_state(text: &str) -> Result<AlertState, String> {
    state_from(text).ok_or_else(|| format!("unknown state {text:?}"))
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    severity_from(text).ok_or_else(|| format!("unknown severity {text:?}"))
}

/// Reads columns 0..5 of an alert row: id, rule, metric, labels, started, ended.
fn read_head(r: &Row<'_>) -> rusqlite::Result<(String, String, String, String, i64, Option<i64>)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn make_head(
    (id, rule, metric, labels, started, ended): (String, String, String, String, i64, Option<i64>),
) -> Result<Head, (String, String)> {
    let labels = labels_from_text(&labels).map_err(|detail| (id.clone(), detail))?;
    Ok(Head {
        series: SeriesKey::new(metric, labels),
        id,
        rule,
        started: Timestamp(started),
        ended: ended.map(Timestamp),
    })
}

fn corrupt(path: &Path, (alert_id, detail): (String, String)) -> StoreError {
    StoreError::CorruptAlert {
        path: path.to_path_buf(),
        alert_id,
        detail,
    }
}

/// The newest event of every alert that is not resolved, oldest alert first.
pub(super) fn open_alerts(conn: &Connection, path: &Path) -> Result<Vec<AlertEvent>> {
    let err = |e| StoreError::db(Op::Query, path, e);
    // `state <> 'resolved'` is spelled as in the partial index `alert_open`, so it is used.
    let mut stmt = conn
        .prepare_cached(
            "SELECT a.id, a.rule, a.metric, a.labels, a.started, a.ended,
                    e.kind, e.state, e.severity, e.value, e.reference, e.message, e.at
             FROM alert a JOIN alert_event e ON e.id = (
                 SELECT id FROM alert_event WHERE alert_id = a.id ORDER BY at DESC, id DESC LIMIT 1)
             WHERE a.state <> 'resolved'
             ORDER BY a.started, a.id",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((read_head(r)?, EventRow::read(r, 6)?)))
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(err)?;
    rows.into_iter()
        .map(|(head, event)| {
            let head = make_head(head).map_err(|c| corrupt(path, c))?;
            event
                .into_event(&head)
                .map_err(|detail| corrupt(path, (head.id.clone(), detail)))
        })
        .collect()
}

/// An `alert` row as stored, before its events are attached.
struct AlertRow {
    head: (String, String, String, String, i64, Option<i64>),
    state: String,
    severity: String,
    max_severity: String,
    value: f64,
    reference: f64,
    message: String,
    updated: i64,
    acked_at: Option<i64>,
    acked_by: Option<String>,
}

const ALERT_COLUMNS: &str = "id, rule, metric, labels, started, ended, state, severity, \
     max_severity, value, reference, message, updated, acked_at, acked_by";

impl AlertRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            head: read_head(r)?,
            state: r.get(6)?,
            severity: r.get(7)?,
            max_severity: r.get(8)?,
            value: real(r, 9)?,
            reference: real(r, 10)?,
            message: r.get(11)?,
            updated: r.get(12)?,
            acked_at: r.get(13)?,
            acked_by: r.get(14)?,
        })
    }
}

/// The `WHERE` clause and its arguments for `q`, ending with the limit.
fn filter(q: &AlertQuery) -> (String, Vec<Value>) {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    if let Some(since) = q.since {
        // Open alerts have no end yet; they are active now, so after any `since`.
        conds.push("(ended IS NULL OR ended >= ?)".to_owned());
        args.push(Value::Integer(since.0));
    }
    if let Some(min) = q.min_severity {
        let names: Vec<_> = SEVERITIES.into_iter().filter(|s| *s >= min).collect();
        conds.push(format!(
            "max_severity IN ({})",
            vec!["?"; names.len()].join(", ")
        ));
        args.extend(names.iter().map(|s| Value::Text(s.as_str().to_owned())));
    }
    if let Some(state) = q.state {
        conds.push("state = ?".to_owned());
        args.push(Value::Text(state_str(state).to_owned()));
    }
    let mut sql = String::new();
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    sql.push_str(" ORDER BY started DESC, id DESC LIMIT ?");
    // A negative limit is no limit in SQLite.
    args.push(Value::Integer(
        q.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
    ));
    (sql, args)
}

/// The alerts `q` selects, newest first, each with its events in time order.
pub(super) fn query(conn: &Connection, path: &Path, q: &AlertQuery) -> Result<Vec<AlertRecord>> {
    let err = |e| StoreError::db(Op::Query, path, e);
    let (filter, args) = filter(q);
    let rows = conn
        .prepare_cached(&format!("SELECT {ALERT_COLUMNS} FROM alert{filter}"))
        .and_then(|mut stmt| {
            stmt.query_map(params_from_iter(args), AlertRow::read)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(err)?;
    let mut events = conn
        .prepare_cached(
            "SELECT kind, state, severity, value, reference, message, at
             FROM alert_event WHERE alert_id = ?1 ORDER BY at, id",
        )
        .map_err(err)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let head = make_head(row.head.clone()).map_err(|c| corrupt(path, c))?;
        let stored = events
            .query_map([&head.id], |r| EventRow::read(r, 0))
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(err)?;
        let record = to_record(row, &head, stored).map_err(|d| corrupt(path, (head.id, d)))?;
        out.push(record);
    }
    Ok(out)
}

fn to_record(row: AlertRow, head: &Head, events: Vec<EventRow>) -> Result<AlertRecord, String> {
    Ok(AlertRecord {
        id: head.id.clone(),
        rule: head.rule.clone(),
        series: head.series.clone(),
        state: parse_state(&row.state)?,
        severity: parse_severity(&row.severity)?,
        max_severity: parse_severity(&row.max_severity)?,
        value: row.value,
        reference: row.reference,
        message: row.message,
        started: head.started,
        ended: head.ended,
        updated: Timestamp(row.updated),
        acked_at: row.acked_at.map(Timestamp),
        acked_by: row.acked_by,
        events: events
            .into_iter()
            .map(|e| e.into_event(head))
            .collect::<Result<_, _>>()?,
    })
}

/// Marks alert `id` acknowledged; false when there is no such alert.
pub(super) fn acknowledge(
    conn: &Connection,
    id: &str,
    at: Timestamp,
    by: Option<&str>,
) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached("UPDATE alert SET acked_at = ?2, acked_by = ?3 WHERE id = ?1")?
        .execute(params![id, at.0, by])?;
    Ok(changed > 0)
}

/// Stores a silence; returns its id.
pub(super) fn add_silence(
    conn: &Connection,
    matcher: &str,
    created: Timestamp,
    until: Timestamp,
    comment: Option<&str>,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO silence (matcher, created, until, comment) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![matcher, created.0, until.0, comment])?;
    Ok(conn.last_insert_rowid())
}

/// The silences still in force at `now` (`until > now`), oldest first.
pub(super) fn silences(conn: &Connection, now: Timestamp) -> rusqlite::Result<Vec<Silence>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, matcher, created, until, comment FROM silence WHERE until > ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([now.0], |r| {
        Ok(Silence {
            id: r.get(0)?,
            matcher: r.get(1)?,
            created: Timestamp(r.get(2)?),
            until: Timestamp(r.get(3)?),
            comment: r.get(4)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for s in SEVERITIES {
            assert_eq!(severity_from(s.as_str()), Some(s));
            // Exhaustive, so a new severity fails to compile until SEVERITIES has it.
            match s {
                Severity::Low | Severity::Medium | Severity::High | Severity::Critical => {}
            }
        }
        for s in [
            AlertState::Pending,
            AlertState::Firing,
            AlertState::Resolved,
        ] {
            assert_eq!(state_from(state_str(s)), Some(s));
        }
        assert_eq!(kind_from("escalated"), Some(EventKind::Escalated));
        assert_eq!(severity_from("urgent"), None);
    }

    #[test]
    fn filters_build_one_placeholder_per_argument() {
        let q = AlertQuery {
            since: Some(Timestamp(5)),
            min_severity: Some(Severity::High),
            state: Some(AlertState::Firing),
            limit: Some(3),
        };
        let (sql, args) = filter(&q);
        assert_eq!(sql.matches('?').count(), args.len());
        assert_eq!(args.len(), 5);
        assert!(sql.contains("max_severity IN (?, ?)"));
        let (sql, args) = filter(&AlertQuery::default());
        assert_eq!(sql, " ORDER BY started DESC, id DESC LIMIT ?");
        assert_eq!(args, vec![Value::Integer(-1)]);
    }
}
