//! `bandwatch alerts`: the alert history, acknowledgement and silences, read from and
//! written to the same store `run` writes.

use std::fmt::Write as _;
use std::time::Duration;

use bandwatch_core::{AlertState, Clock as _, Severity, SilenceMatcher, SystemClock, Timestamp};
use bandwatch_store::{AlertQuery, AlertRecord, Silence, Store};
use serde::Serialize;

use crate::cli::{AlertsAction, AlertsArgs};
use crate::config::Config;
use crate::error::BadInput;

/// Runs `bandwatch alerts …` against the history database.
pub fn command(args: &AlertsArgs, db: &Config, json: bool) -> anyhow::Result<()> {
    let now = SystemClock::new().wall();
    match &args.action {
        None => list(args, db, json, now),
        Some(AlertsAction::Ack { id }) => ack(db, id, now),
        Some(AlertsAction::Silence {
            matcher,
            silence_for,
            comment,
        }) => silence(db, matcher, silence_for, comment.as_deref(), now),
    }
}

fn open(config: &Config) -> anyhow::Result<Box<dyn Store>> {
    crate::history::open_existing(config)?.ok_or_else(|| {
        BadInput(format!(
            "no history database at {}; start `bandwatch run` first, or point --db at the one it writes",
            crate::history::describe(config)
        ))
        .into()
    })
}

fn parse_duration(text: &str, what: &str) -> Result<Duration, BadInput> {
    humantime::parse_duration(text.trim()).map_err(|e| {
        BadInput(format!(
            "{what} '{text}' is not a duration ({e}); write it like 30m, 2h or 7d"
        ))
    })
}

fn parse_severity(text: &str) -> Result<Severity, BadInput> {
    match text.trim().to_ascii_lowercase().as_str() {
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        "critical" => Ok(Severity::Critical),
        _ => Err(BadInput(format!(
            "--severity '{text}' is not a severity; use low, medium, high or critical"
        ))),
    }
}

fn parse_state(text: &str) -> Result<AlertState, BadInput> {
    match text.trim().to_ascii_lowercase().as_str() {
        "pending" => Ok(AlertState::Pending),
        "firing" => Ok(AlertState::Firing),
        "resolved" => Ok(AlertState::Resolved),
        _ => Err(BadInput(format!(
            "--state '{text}' is not a state; use pending, firing or resolved"
        ))),
    }
}

/// A silence matcher in the one selector dialect (`rule=wan*,iface!=lo`), or an alert id.
fn parse_matcher(text: &str) -> Result<SilenceMatcher, BadInput> {
    SilenceMatcher::parse(text).map_err(|e| {
        // The core's message already says "silence matcher"; name the text as given.
        let why = e.0.strip_prefix("silence matcher: ").unwrap_or(&e.0);
        BadInput(format!("silence matcher '{}': {why}", text.trim()))
    })
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn list(args: &AlertsArgs, db: &Config, json: bool, now: Timestamp) -> anyhow::Result<()> {
    let since = parse_duration(&args.since, "--since")?;
    let query = AlertQuery {
        since: Some(now.add_millis(-ms(since))),
        min_severity: args.severity.as_deref().map(parse_severity).transpose()?,
        state: args.state.as_deref().map(parse_state).transpose()?,
        limit: None,
    };
    let store = open(db)?;
    let records = store.alerts(&query)?;
    let silences = store.silences(now)?;
    let out = if json {
        json_lines(&records, &silences)
    } else {
        table(&records, &silences)
    };
    print!("{out}");
    Ok(())
}

fn silenced_by<'a>(r: &AlertRecord, silences: &'a [Silence]) -> Option<&'a Silence> {
    silences.iter().find(|s| {
        SilenceMatcher::parse(&s.matcher).is_ok_and(|m| m.matches(&r.id, &r.rule, &r.series))
    })
}

#[derive(Serialize)]
struct JsonAlert<'a> {
    #[serde(flatten)]
    record: &'a AlertRecord,
    silenced_until: Option<String>,
}

fn json_lines(records: &[AlertRecord], silences: &[Silence]) -> String {
    let mut out = String::new();
    for r in records {
        let doc = JsonAlert {
            record: r,
            silenced_until: silenced_by(r, silences).map(|s| s.until.to_rfc3339()),
        };
        let _ = writeln!(out, "{}", serde_json::to_string(&doc).unwrap_or_default());
    }
    out
}

fn short_time(ts: Timestamp) -> String {
    ts.to_datetime().map_or_else(
        || ts.to_string(),
        |d| d.format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// Text from the history made safe for a terminal (names come from interfaces and configs).
fn safe(text: &str) -> String {
    bandwatch_core::human::escape_control(text).into_owned()
}

fn table(records: &[AlertRecord], silences: &[Silence]) -> String {
    if records.is_empty() {
        return "no alerts in that window\n".to_string();
    }
    let mut out = format!(
        "{:<9} {:<9} {:<20} {:<19} {:<19} {}\n",
        "STATE", "SEVERITY", "RULE", "STARTED", "ENDED", "SUBJECT"
    );
    for r in records {
        let state = match r.state {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        };
        let ended = r.ended.map_or_else(|| "-".to_string(), short_time);
        let _ = writeln!(
            out,
            "{state:<9} {:<9} {:<20} {:<19} {ended:<19} {}",
            r.severity.as_str(),
            safe(&r.rule),
            short_time(r.started),
            safe(&r.series.to_string())
        );
        let mut notes = vec![format!("id {}", r.id)];
        if let Some(at) = r.acked_at {
            notes.push(format!(
                "acknowledged {}{}",
                short_time(at),
                r.acked_by
                    .as_deref()
                    .map(|b| format!(" by {b}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(s) = silenced_by(r, silences) {
            notes.push(format!("silenced until {}", short_time(s.until)));
        }
        let _ = writeln!(
            out,
            "          {}  ({})",
            safe(&r.message),
            notes.join("; ")
        );
    }
    out
}

fn ack(db: &Config, id: &str, now: Timestamp) -> anyhow::Result<()> {
    let mut store = open(db)?;
    let by = std::env::var("USER").ok();
    if store.acknowledge(id, now, by.as_deref())? {
        println!("acknowledged {id}");
        Ok(())
    } else {
        Err(BadInput(format!(
            "no alert with id '{id}'; `bandwatch alerts --since 30d` lists the ids"
        ))
        .into())
    }
}

fn silence(
    db: &Config,
    matcher: &str,
    duration: &str,
    comment: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<()> {
    parse_matcher(matcher)?;
    let length = parse_duration(duration, "--for")?;
    if length.is_zero() {
        return Err(
            BadInput("--for must be longer than zero; write it like 30m or 2h".into()).into(),
        );
    }
    let until = now.add_millis(ms(length));
    let mut store = open(db)?;
    let id = store.add_silence(matcher, now, until, comment)?;
    println!("silence {id}: '{matcher}' until {}", until.to_rfc3339());
    Ok(())
}
