//! Notifications: grouping alert events per channel and rendering them into each channel's
//! message format (email, generic webhook, Slack, Discord, Teams, Telegram, Alertmanager, MQTT).
//!
//! `group` and `render` are pure (events and settings in, messages out; values shown with
//! `bandwatch_core::human`, as in the engine's messages); `send` holds the transports (HTTP
//! via reqwest, SMTP via lettre, MQTT via rumqttc; rustls with ring), each behind a narrow
//! trait (the HTTP fake exists only for tests, with the `fake` feature); `throttle` holds back
//! what people heard of within a rule's cooldown; `dispatch` routes
//! events with the one `bandwatch_core::Selector`, writes rendered batches to the store's
//! outbox before sending, and retries due items with backoff; `runtime` runs one delivery
//! thread per channel inside `bandwatch run` (the [`runtime::Notifier`] sink).

pub mod channels;
pub mod dispatch;
pub mod error;
pub mod group;
pub mod mqtt_channel;
pub mod render;
pub mod runtime;
pub mod send;
pub mod summary;
pub mod throttle;

pub use error::{NotifyError, Result};
pub use group::{Batch, Grouper, DEFAULT_WAIT, DEFAULT_WINDOW};
pub use render::{escape_html, Secret};
pub use throttle::{Cooldowns, Throttle};
