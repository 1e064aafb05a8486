//! The shared model of bandwatch: everything measured is a [`Sample`] of a labelled
//! [`SeriesKey`], sources emit one [`Frame`] per tick, and time comes from a [`Clock`].
//! The [`catalog`] says what each metric means, [`Sink`]s take frames, one [`Snapshot`]
//! holds the newest values, one [`Selector`] picks series, and [`human`] formats values.
//!
//! This crate does no I/O.

pub mod alert;
pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod human;
pub mod sample;
pub mod selector;
pub mod series;
pub mod sink;
pub mod snapshot;
pub mod units;

pub use alert::{alert_id, AlertEvent, AlertState, EventKind, Severity};
pub use catalog::{Catalog, Derivation, LabelDef, MetricDef, Role, Unit};
pub use clock::{Clock, FakeClock, SystemClock, Timestamp};
pub use sample::{Frame, Sample, SampleKind};
pub use selector::{Selector, SelectorError, SilenceMatcher, Term};
pub use series::{Labels, SeriesKey};
pub use sink::{Flow, Sink, SinkBoard, SinkCounters, SinkStats, SourceBoard, SourceStats};
pub use snapshot::{Latest, Snapshot};
pub use units::{BitsPerSecond, Bytes, Seconds};
