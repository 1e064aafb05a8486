//! The silences in force, re-read every few seconds, so `bandwatch alerts silence` takes
//! effect on a running agent.

use std::path::Path;

use bandwatch_core::{AlertEvent, SilenceMatcher, Timestamp};
use bandwatch_store::SqliteOutbox;

/// How long a reading of the silences is trusted.
const REFRESH_MS: i64 = 5_000;

pub(crate) struct Silences {
    db: Option<SqliteOutbox>,
    active: Vec<(SilenceMatcher, Timestamp)>,
    read_at: Option<Timestamp>,
}

impl Silences {
    /// Reads the silences from the database at `db`; one that cannot be opened silences
    /// nothing.
    pub(crate) fn new(db: &Path) -> Self {
        Self {
            db: SqliteOutbox::open(db).ok(),
            active: Vec::new(),
            read_at: None,
        }
    }

    fn refresh(&mut self, now: Timestamp) {
        if self
            .read_at
            .is_some_and(|t| now.millis() - t.millis() < REFRESH_MS)
        {
            return;
        }
        let Some(db) = &self.db else { return };
        match db.silences(now) {
            Ok(list) => {
                self.active = list
                    .into_iter()
                    .filter_map(|s| SilenceMatcher::parse(&s.matcher).ok().map(|m| (m, s.until)))
                    .collect();
                self.read_at = Some(now);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read silences; sending everything"),
        }
    }

    /// The events no active silence covers; the others are logged and not sent.
    pub(crate) fn unsilenced(
        &mut self,
        events: Vec<AlertEvent>,
        now: Timestamp,
    ) -> Vec<AlertEvent> {
        self.refresh(now);
        events
            .into_iter()
            .filter(|e| {
                let hit = self
                    .active
                    .iter()
                    .find(|(m, until)| *until > now && m.matches(&e.id, &e.rule, &e.series));
                if let Some((_, until)) = hit {
                    tracing::info!(alert = %e.id, until = %until, "alert silenced; not sent");
                }
                hit.is_none()
            })
            .collect()
    }
}
