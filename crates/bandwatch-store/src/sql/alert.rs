//! Alert history in SQL: the same model and semantics as the SQLite store's (see
//! `sqlite/alert.rs`): an append-only `bw_alert_event` log whose unique key makes a retried
//! batch a no-op, one `bw_alert` row per alert with its current state, and `bw_silence`.

use bandwatch_core::{AlertEvent, AlertState, EventKind, SeriesKey, Severity, Timestamp};

use super::compat::{self, CompatOptions};
use super::conn::{Arg, Col, Row, Tx};
use super::dialect::{insert_ignore, on_conflict_nothing, placeholders};
use crate::codec::{
    kind_from, labels_from_text, labels_to_text, severity_from, state_from, state_str, SEVERITIES,
};
use crate::model::{AlertQuery, AlertRecord, Silence};

/// A stored row that cannot be read back: the alert id and what was wrong.
pub(crate) type Unreadable = (String, String);

/// Records one event (and its compatibility rows) unless it is already in the log.
pub(crate) async fn record_one(
    tx: &mut Tx,
    e: &AlertEvent,
    compat_opts: &CompatOptions,
    rates: Option<(f64, f64)>,
) -> sqlx::Result<()> {
    let d = tx.dialect();
    let inserted = tx
        .exec(
            &format!(
                "{} INTO bw_alert_event (alert_id, kind, state, severity, value, reference, message, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?){}",
                insert_ignore(d),
                on_conflict_nothing(d)
            ),
            &[
                Arg::Text(&e.id),
                Arg::Text(e.kind.as_str()),
                Arg::Text(state_str(e.state)),
                Arg::Text(e.severity.as_str()),
                Arg::Real(e.value),
                Arg::Real(e.reference),
                Arg::Text(&e.message),
                Arg::Int(e.at.0),
            ],
        )
        .await?;
    if inserted == 0 {
        // Already recorded (a retried batch): the alert row took it in back then.
        return Ok(());
    }
    update_alert_row(tx, e).await?;
    compat::record_event(tx, compat_opts, e, rates).await
}

async fn update_alert_row(tx: &mut Tx, e: &AlertEvent) -> sqlx::Result<()> {
    let existing = tx
        .fetch_one(
            "SELECT max_severity, updated FROM bw_alert WHERE id = ?",
            &[Arg::Text(&e.id)],
            &[Col::Text, Col::Int],
        )
        .await?;
    let ended = (e.state == AlertState::Resolved).then(|| e.ended.unwrap_or(e.at).0);
    let Some(row) = existing else {
        let labels = labels_to_text(&e.series.labels);
        tx.exec(
            "INSERT INTO bw_alert (id, rule, metric, labels, state, severity, max_severity, value, \
                 reference, message, started, ended, updated) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &[
                Arg::Text(&e.id),
                Arg::Text(&e.rule),
                Arg::Text(&e.series.metric),
                Arg::Text(&labels),
                Arg::Text(state_str(e.state)),
                Arg::Text(e.severity.as_str()),
                Arg::Text(e.severity.as_str()),
                Arg::Real(e.value),
                Arg::Real(e.reference),
                Arg::Text(&e.message),
                Arg::Int(e.started.0),
                Arg::OptInt(ended),
                Arg::Int(e.at.0),
            ],
        )
        .await?;
        return Ok(());
    };
    let max = severity_from(&row.text(0)).map_or(e.severity, |m| m.max(e.severity));
    if e.at.0 < row.int(1) {
        // An older event arriving late: the row already shows something newer.
        tx.exec(
            "UPDATE bw_alert SET max_severity = ? WHERE id = ?",
            &[Arg::Text(max.as_str()), Arg::Text(&e.id)],
        )
        .await?;
        return Ok(());
    }
    tx.exec(
        "UPDATE bw_alert SET state = ?, severity = ?, max_severity = ?, value = ?, reference = ?, \
             message = ?, ended = ?, updated = ? WHERE id = ?",
        &[
            Arg::Text(state_str(e.state)),
            Arg::Text(e.severity.as_str()),
            Arg::Text(max.as_str()),
            Arg::Real(e.value),
            Arg::Real(e.reference),
            Arg::Text(&e.message),
            Arg::OptInt(ended),
            Arg::Int(e.at.0),
            Arg::Text(&e.id),
        ],
    )
    .await?;
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

/// Columns 0..6 of an alert row: id, rule, metric, labels, started, ended.
const HEAD_COLS: [Col; 6] = [
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Int,
    Col::Int,
];
/// Event columns: kind, state, severity, value, reference, message, at.
const EVENT_COLS: [Col; 7] = [
    Col::Text,
    Col::Text,
    Col::Text,
    Col::Real,
    Col::Real,
    Col::Text,
    Col::Int,
];

fn head(r: &Row) -> Result<Head, Unreadable> {
    let id = r.text(0);
    let labels = labels_from_text(&r.text(3)).map_err(|d| (id.clone(), d))?;
    Ok(Head {
        series: SeriesKey::new(r.text(2), labels),
        rule: r.text(1),
        started: Timestamp(r.int(4)),
        ended: r.opt_int(5).map(Timestamp),
        id,
    })
}

fn parse_state(text: &str) -> Result<AlertState, String> {
    state_from(text).ok_or_else(|| format!("unknown state {text:?}"))
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    severity_from(text).ok_or_else(|| format!("unknown severity {text:?}"))
}

/// The event in columns `from..from + 7` of `r`.
fn event(r: &Row, from: usize, head: &Head) -> Result<AlertEvent, String> {
    let kind_text = r.text(from);
    let kind = kind_from(&kind_text).ok_or_else(|| format!("unknown kind {kind_text:?}"))?;
    Ok(AlertEvent {
        id: head.id.clone(),
        rule: head.rule.clone(),
        series: head.series.clone(),
        kind,
        state: parse_state(&r.text(from + 1))?,
        severity: parse_severity(&r.text(from + 2))?,
        value: r.real(from + 3),
        reference: r.real(from + 4),
        message: r.text(from + 5),
        started: head.started,
        ended: head.ended.filter(|_| kind == EventKind::Resolved),
        at: Timestamp(r.int(from + 6)),
    })
}

/// The newest event of every alert that is not resolved, oldest alert first.
pub(crate) async fn open_alerts(tx: &mut Tx) -> sqlx::Result<Result<Vec<AlertEvent>, Unreadable>> {
    let sql = "SELECT a.id, a.rule, a.metric, a.labels, a.started, a.ended, \
                      e.kind, e.state, e.severity, e.value, e.reference, e.message, e.at \
               FROM bw_alert a JOIN bw_alert_event e ON e.id = ( \
                   SELECT MAX(x.id) FROM bw_alert_event x WHERE x.alert_id = a.id AND x.at = ( \
                       SELECT MAX(y.at) FROM bw_alert_event y WHERE y.alert_id = a.id)) \
               WHERE a.state <> 'resolved' ORDER BY a.started, a.id";
    let cols: Vec<Col> = HEAD_COLS.iter().chain(&EVENT_COLS).copied().collect();
    let rows = tx.fetch(sql, &[], &cols).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let h = head(r)?;
            event(r, 6, &h).map_err(|d| (h.id.clone(), d))
        })
        .collect())
}

/// The `WHERE … ORDER BY … LIMIT` tail for `q` and its arguments.
fn filter(q: &AlertQuery) -> (String, Vec<Arg<'static>>) {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    if let Some(since) = q.since {
        conds.push("(ended IS NULL OR ended >= ?)".to_owned());
        args.push(Arg::Int(since.0));
    }
    if let Some(min) = q.min_severity {
        let names: Vec<_> = SEVERITIES.into_iter().filter(|s| *s >= min).collect();
        conds.push(format!("max_severity IN ({})", placeholders(names.len())));
        args.extend(names.iter().map(|s| Arg::Text(s.as_str())));
    }
    if let Some(state) = q.state {
        conds.push("state = ?".to_owned());
        args.push(Arg::Text(state_str(state)));
    }
    let mut sql = String::new();
    if !conds.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conds.join(" AND "));
    }
    sql.push_str(" ORDER BY started DESC, id DESC");
    if let Some(n) = q.limit {
        sql.push_str(" LIMIT ?");
        args.push(Arg::Int(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    (sql, args)
}

/// The alerts `q` selects, newest first, each with its events in time order.
pub(crate) async fn query(
    tx: &mut Tx,
    q: &AlertQuery,
) -> sqlx::Result<Result<Vec<AlertRecord>, Unreadable>> {
    let (tail, args) = filter(q);
    let sql = format!(
        "SELECT id, rule, metric, labels, started, ended, state, severity, max_severity, value, \
                reference, message, updated, acked_at, acked_by FROM bw_alert{tail}"
    );
    let mut cols: Vec<Col> = HEAD_COLS.to_vec();
    cols.extend([
        Col::Text,
        Col::Text,
        Col::Text,
        Col::Real,
        Col::Real,
        Col::Text,
        Col::Int,
        Col::Int,
        Col::Text,
    ]);
    let rows = tx.fetch(&sql, &args, &cols).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let h = match head(r) {
            Ok(h) => h,
            Err(u) => return Ok(Err(u)),
        };
        let events = tx
            .fetch(
                "SELECT kind, state, severity, value, reference, message, at \
                 FROM bw_alert_event WHERE alert_id = ? ORDER BY at, id",
                &[Arg::Text(&h.id)],
                &EVENT_COLS,
            )
            .await?;
        match record(r, &h, &events) {
            Ok(rec) => out.push(rec),
            Err(d) => return Ok(Err((h.id, d))),
        }
    }
    Ok(Ok(out))
}

fn record(r: &Row, h: &Head, events: &[Row]) -> Result<AlertRecord, String> {
    Ok(AlertRecord {
        id: h.id.clone(),
        rule: h.rule.clone(),
        series: h.series.clone(),
        state: parse_state(&r.text(6))?,
        severity: parse_severity(&r.text(7))?,
        max_severity: parse_severity(&r.text(8))?,
        value: r.real(9),
        reference: r.real(10),
        message: r.text(11),
        started: h.started,
        ended: h.ended,
        updated: Timestamp(r.int(12)),
        acked_at: r.opt_int(13).map(Timestamp),
        acked_by: r.opt_text(14),
        events: events
            .iter()
            .map(|e| event(e, 0, h))
            .collect::<Result<_, _>>()?,
    })
}

/// Marks alert `id` acknowledged; false when there is no such alert.
pub(crate) async fn acknowledge(
    tx: &mut Tx,
    id: &str,
    at: Timestamp,
    by: Option<&str>,
) -> sqlx::Result<bool> {
    // Checked first: MySQL counts an UPDATE that changes nothing as zero rows.
    let exists = tx
        .fetch_one("SELECT 1 FROM bw_alert WHERE id = ?", &[Arg::Text(id)], &[])
        .await?
        .is_some();
    if exists {
        tx.exec(
            "UPDATE bw_alert SET acked_at = ?, acked_by = ? WHERE id = ?",
            &[Arg::Int(at.0), Arg::OptText(by), Arg::Text(id)],
        )
        .await?;
    }
    Ok(exists)
}

/// Stores a silence; returns its id.
pub(crate) async fn add_silence(
    tx: &mut Tx,
    matcher: &str,
    created: Timestamp,
    until: Timestamp,
    comment: Option<&str>,
) -> sqlx::Result<i64> {
    let args = [
        Arg::Text(matcher),
        Arg::Int(created.0),
        Arg::Int(until.0),
        Arg::OptText(comment),
    ];
    let insert = "INSERT INTO bw_silence (matcher, created, until_ms, comment) VALUES (?, ?, ?, ?)";
    let row = match tx.dialect() {
        super::target::Dialect::Postgres => {
            tx.fetch_one(&format!("{insert} RETURNING id"), &args, &[Col::Int])
                .await?
        }
        super::target::Dialect::MySql => {
            tx.exec(insert, &args).await?;
            tx.fetch_one("SELECT CAST(LAST_INSERT_ID() AS SIGNED)", &[], &[Col::Int])
                .await?
        }
    };
    row.map(|r| r.int(0)).ok_or(sqlx::Error::RowNotFound)
}

/// The silences still in force at `now` (`until > now`), oldest first.
pub(crate) async fn silences(tx: &mut Tx, now: Timestamp) -> sqlx::Result<Vec<Silence>> {
    let rows = tx
        .fetch(
            "SELECT id, matcher, created, until_ms, comment FROM bw_silence WHERE until_ms > ? ORDER BY id",
            &[Arg::Int(now.0)],
            &[Col::Int, Col::Text, Col::Int, Col::Int, Col::Text],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Silence {
            id: r.int(0),
            matcher: r.text(1),
            created: Timestamp(r.int(2)),
            until: Timestamp(r.int(3)),
            comment: r.opt_text(4),
        })
        .collect())
}
