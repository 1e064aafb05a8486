//! The shared model of bandwatch: everything measured is a [`Sample`] of a labelled
//! [`SeriesKey`], sources emit one [`Frame`] per tick, and time comes from a [`Clock`].
//!
//! This crate does no I/O.

pub mod alert;
pub mod clock;
pub mod sample;
pub mod series;
pub mod units;

pub use alert::{alert_id, AlertEvent, AlertState, EventKind, Severity};
pub use clock::{Clock, FakeClock, SystemClock, Timestamp};
pub use sample::{Frame, Sample, SampleKind};
pub use series::{Labels, SeriesKey};
pub use units::{BitsPerSecond, Bytes, Seconds};
