//! Scheduled summaries (`[[reports]]`): the binary's side of the notify runtime's
//! [`Summaries`]. [`schedule`] says when each report is due and which period it covers;
//! [`compose`] reads the period from the history (read-only, beside the writer) and writes
//! the summary. The runtime's thread calls both, so sampling never waits for a report.

pub mod compose;
pub mod schedule;

use bandwatch_core::{Clock as _, SystemClock, Timestamp};
use bandwatch_notify::summary::{Due, Summaries, Summary};

use crate::config::reports::ReportConfig;
use crate::config::Config;
use schedule::Occurrence;

/// How late a missed summary is still sent at start (the agent was stopped when it was due).
pub const CATCH_UP_MS: i64 = 24 * 3_600_000;

/// The configured reports in the local time zone.
pub struct Scheduled {
    config: Config,
    tz: chrono::Local,
    host: String,
}

impl Scheduled {
    /// The reports of `config`, titled with `host`.
    pub fn new(config: &Config, host: String) -> Self {
        Self {
            config: config.clone(),
            tz: chrono::Local,
            host,
        }
    }

    fn billing_day(&self) -> u8 {
        self.config.calendar.billing_day
    }

    fn due(report: &ReportConfig, o: Occurrence) -> Due {
        Due {
            report: report.name.clone(),
            at: o.due,
            key: key(report, o),
            channels: report.channels.clone(),
        }
    }
}

/// The outbox key of a report's summary of one period.
pub fn key(report: &ReportConfig, o: Occurrence) -> String {
    format!("summary:{}:{}", report.name, o.span.start.millis())
}

impl Summaries for Scheduled {
    fn next_due(&self, after: Timestamp) -> Option<Timestamp> {
        self.config
            .reports
            .iter()
            .filter_map(|r| r.schedule.next_after(&self.tz, self.billing_day(), after))
            .map(|o| o.due)
            .min()
    }

    fn due(&self, after: Timestamp, upto: Timestamp) -> Vec<Due> {
        self.config
            .reports
            .iter()
            .filter_map(|r| {
                let o = r.schedule.latest(&self.tz, self.billing_day(), upto)?;
                (o.due > after).then(|| Self::due(r, o))
            })
            .collect()
    }

    fn missed(&self, now: Timestamp) -> Vec<Due> {
        self.config
            .reports
            .iter()
            .filter_map(|r| {
                let o = r.schedule.latest(&self.tz, self.billing_day(), now)?;
                (now.millis() - o.due.millis() <= CATCH_UP_MS).then(|| Self::due(r, o))
            })
            .collect()
    }

    fn compose(&mut self, due: &Due) -> Result<Summary, String> {
        let report = self
            .config
            .reports
            .iter()
            .find(|r| r.name == due.report)
            .ok_or_else(|| format!("no report is named '{}'", due.report))?;
        let occurrence = report
            .schedule
            .latest(&self.tz, self.billing_day(), due.at)
            .ok_or_else(|| "the period is outside the calendar".to_string())?;
        let subject = compose::Subject {
            report,
            occurrence,
            host: &self.host,
            key: due.key.clone(),
        };
        let now = SystemClock::new().wall();
        let run = || -> anyhow::Result<Summary> {
            let mut store = crate::history::open_read_only(&self.config)?;
            store.begin_read()?;
            let summary = compose::compose(store.as_ref(), &self.config, &self.tz, &subject, now);
            store.end_read();
            summary
        };
        run().map_err(|e| format!("{e:#}"))
    }
}
