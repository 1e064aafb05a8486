//! The data caps. No source reads them from the OS (the agent's cap tracker computes them);
//! their catalogue entries live in `metric.rs` like every source's, so rules, exporters, the
//! API and the reports find them in the one catalogue.

pub mod metric;

pub use metric::*;
