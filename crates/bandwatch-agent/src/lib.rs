//! bandwatch's pipeline. An [`Agent`] takes built sources and sinks and runs them: one
//! scheduler reads every source on a thread of its own at its own interval; each frame is
//! enriched ([`Uptime`]), folded into the latest-value [`Snapshot`](bandwatch_core::Snapshot),
//! shown to the rule engine and handed to every [`Sink`](bandwatch_core::Sink), its alert
//! transitions after it. Shutdown is one path: a [`Cancel`] token (fired by [`SignalWatch`],
//! the duration limit or a sink) stops the sources, the channel is drained, every sink is
//! closed and every thread joined (with [`Agent::quick_stop`], a reading under way is left
//! behind instead of waited for). A [`Service`] tells systemd (`Type=notify`) when the
//! first tick is stored, that the loop is alive (watchdog) and when shutdown begins.
//!
//! Time comes from an injected [`Clock`](bandwatch_core::Clock) and waiting from an injected
//! [`Wait`], so a whole pipeline runs in a test on a fake clock without sleeping.

mod agent;
mod cancel;
pub mod caps;
mod error;
mod pipeline;
mod residency;
mod restore;
mod schedule;
pub mod sd_notify;
mod service;
mod signals;
mod uptime;
mod wait;

pub use agent::{Agent, RunReport, DEFAULT_QUEUE};
pub use cancel::Cancel;
pub use caps::Caps;
pub use error::{AgentError, Result};
pub use residency::Releaser;
pub use restore::restore_open_alerts;
pub use schedule::BASELINE_GAP;
pub use service::{Service, READY_POLL};
pub use signals::SignalWatch;
pub use uptime::Uptime;
pub use wait::{ClockWait, Wait};
