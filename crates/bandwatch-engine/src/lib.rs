//! bandwatch's rule engine: detectors (threshold, spike, robust z-score, state change, N
//! consecutive bad samples, flapping, a sum over a rolling window, a run of activity; each
//! optionally sustained with `for`, with limits per series by a label's value) and the alert
//! lifecycle with hysteresis, escalation and cooldown.
//!
//! Pure: rules are validated once ([`RuleSpec::validate`]), then [`Engine::observe`] takes a
//! [`Frame`](bandwatch_core::Frame) and returns [`AlertEvent`](bandwatch_core::AlertEvent)s.
//! Time is the frame's timestamp; nothing here reads a clock or does I/O. [`builtin`] holds
//! the interface rules that are on by default.

pub mod builtin;
pub mod detect;
pub mod engine;
pub mod error;
pub mod forecast;
pub mod lifecycle;
pub mod limits;
pub mod rule;

pub use engine::Engine;
pub use error::{EngineError, Result};
pub use limits::LimitTable;
pub use rule::{Condition, Direction, Rule, RuleSpec, SeverityPolicy, StepSpec, Timing};
