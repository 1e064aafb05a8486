//! `[calendar]`: how periods are counted by the reports (and, later, data caps and scheduled
//! summaries): the day a billing month starts on, as vnstat's `MonthRotate`.

use super::error::ConfigError;
use super::keys;
use super::layer::Layers;

/// The validated `[calendar]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarSettings {
    /// The day of the month a month starts on, 1–31 (past a short month's end: its last day).
    pub billing_day: u8,
}

impl Default for CalendarSettings {
    fn default() -> Self {
        Self { billing_day: 1 }
    }
}

impl CalendarSettings {
    /// The `[calendar]` keys, each checked.
    pub(super) fn take(l: &mut Layers) -> Result<Self, ConfigError> {
        let day = l.get(&keys::CALENDAR_BILLING_DAY)?;
        Ok(Self {
            // The key's check keeps it within 1..=31.
            billing_day: u8::try_from(day).unwrap_or(1),
        })
    }
}
