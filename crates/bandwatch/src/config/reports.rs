//! `[[reports]]`: scheduled summaries of the traffic (totals, peaks, caps, alerts of the
//! period, a chart) sent through the notification channels. Read from the file only (a list
//! of tables has no one-line form) and checked here against the configured channels.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::ConfigError;
use super::notify::{ChannelKind, NotifyConfig};
use super::origin::Setting;
use crate::summary::schedule::Schedule;

/// One `[[reports]]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportTable {
    /// Unique name (default: the schedule's first word, `daily`).
    pub name: Option<String>,
    /// `daily [HH:MM]`, `weekly [mon…sun] [HH:MM]` or `monthly [HH:MM]` (on the billing day).
    pub schedule: Option<String>,
    /// The channels it goes to, by name (default: every channel that carries summaries).
    pub channels: Option<Vec<String>>,
}

/// A validated scheduled report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportConfig {
    /// Its name, unique among the reports.
    pub name: String,
    /// When it goes out and which period it covers.
    pub schedule: Schedule,
    /// The channels it goes to.
    pub channels: Vec<String>,
}

/// Checks every `[[reports]]` table against the configured channels; names must be unique.
pub fn validate(
    reports: Option<Setting<Vec<Setting<ReportTable>>>>,
    notify: &NotifyConfig,
) -> Result<Vec<ReportConfig>, ConfigError> {
    let Some(list) = reports else {
        return Ok(Vec::new());
    };
    let mut seen: BTreeMap<String, &Setting<ReportTable>> = BTreeMap::new();
    let mut out = Vec::new();
    for table in &list.value {
        let fail = |message| ConfigError::Report {
            origin: table.origin.clone(),
            message,
        };
        let report = check(&table.value, notify).map_err(fail)?;
        if let Some(first) = seen.get(&report.name) {
            return Err(fail(format!(
                "report '{}': field 'name': already used by the report at {}; names must be unique (set `name` when two reports share a schedule word)",
                report.name, first.origin
            )));
        }
        seen.insert(report.name.clone(), table);
        out.push(report);
    }
    Ok(out)
}

/// The channels that carry summaries (Alertmanager takes alerts only).
fn carries_summaries(kind: ChannelKind) -> bool {
    kind != ChannelKind::Alertmanager
}

fn check(t: &ReportTable, notify: &NotifyConfig) -> Result<ReportConfig, String> {
    let label = t.name.as_deref().or(t.schedule.as_deref()).unwrap_or("?");
    let problem = |field: &str, what: &str| format!("report '{label}': field '{field}': {what}");
    let Some(text) = &t.schedule else {
        return Err(problem(
            "schedule",
            "a report needs a schedule, e.g. schedule = \"daily 08:00\", \"weekly mon 08:00\" or \"monthly 08:00\"",
        ));
    };
    let schedule = Schedule::parse(text).map_err(|e| problem("schedule", &e))?;
    let name = match &t.name {
        Some(n) if n.trim().is_empty() => return Err(problem("name", "must not be empty")),
        Some(n) => n.trim().to_string(),
        None => schedule.every_name().to_string(),
    };
    let channels = match &t.channels {
        Some(list) if list.is_empty() => {
            return Err(problem(
                "channels",
                "is empty; name at least one channel, or leave it out for every channel",
            ))
        }
        Some(list) => {
            for name in list {
                let spec = notify
                    .channels
                    .iter()
                    .map(|c| &c.value)
                    .find(|c| &c.name == name)
                    .ok_or_else(|| {
                        problem(
                            "channels",
                            &format!(
                                "no channel is named '{name}'; the channels are: {}",
                                names(notify)
                            ),
                        )
                    })?;
                if !carries_summaries(spec.kind) {
                    return Err(problem(
                        "channels",
                        &format!("'{name}' is an Alertmanager channel, which takes alerts only; name an email, webhook, chat or MQTT channel"),
                    ));
                }
            }
            list.clone()
        }
        None => {
            let all: Vec<String> = notify
                .channels
                .iter()
                .map(|c| &c.value)
                .filter(|c| carries_summaries(c.kind))
                .map(|c| c.name.clone())
                .collect();
            if all.is_empty() {
                return Err(problem(
                    "channels",
                    "no channel can carry it; add an email, webhook, chat or MQTT channel under [[notify.channels]]",
                ));
            }
            all
        }
    };
    Ok(ReportConfig {
        name,
        schedule,
        channels,
    })
}

fn names(notify: &NotifyConfig) -> String {
    let names: Vec<&str> = notify
        .channels
        .iter()
        .map(|c| c.value.name.as_str())
        .collect();
    if names.is_empty() {
        "(none configured)".to_string()
    } else {
        names.join(", ")
    }
}
