//! Notifications: grouping alert events per channel and rendering them into each channel's
//! message format (email, generic webhook, Slack, Discord, Teams, Telegram, Alertmanager, MQTT).
//!
//! Everything here is pure: events and settings in, messages out. Sending lives behind traits
//! that come with the delivery side.

pub mod error;
pub mod group;
pub mod render;

pub use error::{NotifyError, Result};
pub use group::{Batch, Grouper, DEFAULT_WINDOW};
pub use render::{escape_html, Secret};
